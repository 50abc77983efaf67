/* sotto-profile-editor.c: the user's own display name and avatar
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-profile-editor"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-account.h"
#include "sotto-error-text.h"
#include "sotto-picture.h"
#include "sotto-picture-chooser.h"
#include "sotto-profile-editor.h"

/* The "Profile" group of the preferences: the display name and avatar
 * that contacts see (sotto_messenger_set_profile_async()).  A picture
 * the user chooses is scaled here to at most
 * %SOTTO_PROFILE_EDITOR_AVATAR_SIZE pixels a side and made small enough
 * for the engine's %SOTTO_PROFILE_MAX_AVATAR.  Every change saves the
 * whole profile, name and picture together; one that fails says why
 * and keeps what the user typed and chose, for the next try. */

struct _SottoProfileEditor
{
  AdwPreferencesGroup parent_instance;

  SottoMessenger *messenger;
  GCancellable *cancellable;

  /* The picture of the profile being edited: what was saved, or what
   * the user chose since; %NULL for none. */
  GBytes *avatar_bytes;

  /* Counts saves, so that only the newest one's end is told. */
  guint save_serial;

  AdwAvatar *avatar;
  GtkWidget *choose_button;
  GtkWidget *remove_button;
  AdwEntryRow *name_row;
  GtkLabel *status_label;
};

G_DEFINE_FINAL_TYPE (SottoProfileEditor, sotto_profile_editor, ADW_TYPE_PREFERENCES_GROUP)

static void
sotto_profile_editor_set_status (SottoProfileEditor *self,
                                 const char         *status,
                                 gboolean            is_error)
{
  gtk_label_set_label (self->status_label, status != NULL ? status : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), status != NULL);
  if (is_error)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "dim-label");
    }
  else
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "dim-label");
      gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
    }
}

static void
sotto_profile_editor_show_avatar (SottoProfileEditor *self)
{
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  /* The user's own picture, which this editor made or the user chose
   * before: small, and decoded at once. */
  if (self->avatar_bytes != NULL)
    {
      texture = gdk_texture_new_from_bytes (self->avatar_bytes, &error);
      if (texture == NULL)
        g_debug ("Could not show the avatar: %s", error->message);
    }

  adw_avatar_set_custom_image (self->avatar, GDK_PAINTABLE (texture));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "profile.remove-avatar",
                                 self->messenger != NULL && self->avatar_bytes != NULL);
}

typedef struct
{
  SottoProfileEditor *self;
  guint serial;
} Save;

static void
save_free (Save *save)
{
  g_clear_object (&save->self);
  g_free (save);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Save, save_free)

static void
sotto_profile_editor_saved_cb (GObject      *object,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  g_autoptr(Save) save = user_data;
  SottoProfileEditor *self = save->self;
  g_autoptr(GError) error = NULL;

  if ((!sotto_messenger_set_profile_finish (SOTTO_MESSENGER (object), result, &error)
       && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      || save->serial != self->save_serial)
    return;

  if (error != NULL)
    {
      g_autofree char *reason = sotto_error_text_general (error);
      /* Translators: shown under the profile when saving it failed; the
       * reason follows */
      g_autofree char *status = g_strdup_printf (_("Your profile was not saved: %s"), reason);

      sotto_profile_editor_set_status (self, status, TRUE);
      return;
    }

  sotto_profile_editor_set_status (self, _("Saved. Your contacts see it the next time they hear from you."), FALSE);
}

/* Saves the name as typed and the avatar as shown. */
static void
sotto_profile_editor_save (SottoProfileEditor *self)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  Save *save;

  if (self->messenger == NULL)
    return;

  if (name[0] == '\0')
    {
      sotto_profile_editor_set_status (self, _("Enter a display name: it is saved together with the avatar."), TRUE);
      return;
    }

  save = g_new0 (Save, 1);
  save->self = g_object_ref (self);
  save->serial = ++self->save_serial;
  sotto_profile_editor_set_status (self, _("Saving…"), FALSE);
  sotto_messenger_set_profile_async (self->messenger, name, self->avatar_bytes, self->cancellable,
                                     sotto_profile_editor_saved_cb, save);
}

static void
sotto_profile_editor_name_applied_cb (SottoProfileEditor *self)
{
  sotto_profile_editor_save (self);
}

/* Choosing a picture */

/* Encodes @pixbuf as PNG, or as JPEG where PNG is too large, shrinking
 * it until it fits the engine's limit. */
static GBytes *
encode_avatar (GdkPixbuf  *pixbuf,
               GError    **error)
{
  g_autoptr(GdkPixbuf) scaled = g_object_ref (pixbuf);

  for (;;)
    {
      GdkPixbuf *smaller;
      gchar *buffer = NULL;
      gsize size = 0;
      int width = gdk_pixbuf_get_width (scaled);
      int height = gdk_pixbuf_get_height (scaled);

      if (!gdk_pixbuf_save_to_buffer (scaled, &buffer, &size, "png", error, NULL))
        return NULL;
      if (size <= SOTTO_PROFILE_MAX_AVATAR)
        return g_bytes_new_take (buffer, size);
      g_free (buffer);

      if (!gdk_pixbuf_save_to_buffer (scaled, &buffer, &size, "jpeg", error, "quality", "85", NULL))
        return NULL;
      if (size <= SOTTO_PROFILE_MAX_AVATAR)
        return g_bytes_new_take (buffer, size);
      g_free (buffer);

      if (width <= 16 || height <= 16)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The picture cannot be made small enough"));
          return NULL;
        }
      smaller = gdk_pixbuf_scale_simple (scaled, width / 2, height / 2, GDK_INTERP_BILINEAR);
      g_object_unref (scaled);
      scaled = smaller;
    }
}

static void
prepare_avatar_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  GFile *file = task_data;
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(SottoPicture) picture = NULL;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  GError *error = NULL;
  GBytes *bytes;

  /* The file the user picked may be a picture from anyone, which can
   * declare billions of pixels: it is decoded within bounds, scaled down
   * as it is, and stands the way the camera said it was held. */
  stream = g_file_read (file, cancellable, &error);
  if (stream != NULL)
    picture = sotto_picture_load (G_INPUT_STREAM (stream), SOTTO_PROFILE_EDITOR_AVATAR_SIZE, cancellable, &error);
  if (picture == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  pixbuf = gdk_pixbuf_new_from_bytes (picture->pixels, GDK_COLORSPACE_RGB, picture->has_alpha, 8,
                                      picture->width, picture->height, picture->stride);
  bytes = encode_avatar (pixbuf, &error);
  if (bytes == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
}

static void
sotto_profile_editor_avatar_prepared_cb (GObject      *object,
                                         GAsyncResult *result,
                                         gpointer      user_data)
{
  SottoProfileEditor *self = SOTTO_PROFILE_EDITOR (object);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  bytes = g_task_propagate_pointer (G_TASK (result), &error);
  if (bytes == NULL)
    {
      g_autofree char *reason = NULL;
      g_autofree char *status = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      /* Translators: shown under the profile when a chosen picture could
       * not be read; the reason follows */
      reason = sotto_error_text_general (error);
      status = g_strdup_printf (_("This picture cannot be used: %s"), reason);
      sotto_profile_editor_set_status (self, status, TRUE);
      return;
    }

  g_clear_pointer (&self->avatar_bytes, g_bytes_unref);
  self->avatar_bytes = g_steal_pointer (&bytes);
  sotto_profile_editor_show_avatar (self);
  sotto_profile_editor_save (self);
}

/**
 * sotto_profile_editor_set_avatar_file:
 * @self: a #SottoProfileEditor
 * @file: the picture the user chose
 *
 * Reads, scales and saves @file as the user's avatar, as choosing it in
 * the file chooser does.
 */
void
sotto_profile_editor_set_avatar_file (SottoProfileEditor *self,
                                      GFile              *file)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_PROFILE_EDITOR (self));
  g_return_if_fail (G_IS_FILE (file));

  sotto_profile_editor_set_status (self, _("Reading the picture…"), FALSE);
  task = g_task_new (self, self->cancellable, sotto_profile_editor_avatar_prepared_cb, NULL);
  g_task_set_source_tag (task, sotto_profile_editor_set_avatar_file);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, prepare_avatar_thread);
}

static void
sotto_profile_editor_chosen_cb (GObject      *object,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  g_autoptr(SottoProfileEditor) self = user_data;
  g_autoptr(GFile) file = sotto_picture_chooser_choose_finish (result, NULL);

  if (file != NULL)
    sotto_profile_editor_set_avatar_file (self, file);
}

static void
sotto_profile_editor_choose_avatar (GtkWidget  *widget,
                                    const char *action_name,
                                    GVariant   *parameter)
{
  SottoProfileEditor *self = SOTTO_PROFILE_EDITOR (widget);
  GtkRoot *root = gtk_widget_get_root (widget);

  sotto_picture_chooser_choose_async (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, _("Choose an Avatar"),
                                      self->cancellable, sotto_profile_editor_chosen_cb, g_object_ref (self));
}

static void
sotto_profile_editor_remove_avatar (GtkWidget  *widget,
                                    const char *action_name,
                                    GVariant   *parameter)
{
  SottoProfileEditor *self = SOTTO_PROFILE_EDITOR (widget);

  g_clear_pointer (&self->avatar_bytes, g_bytes_unref);
  sotto_profile_editor_show_avatar (self);
  sotto_profile_editor_save (self);
}

/* Loading what was saved */

static void
sotto_profile_editor_loaded_cb (GObject      *object,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  g_autoptr(SottoProfileEditor) self = user_data;
  g_autofree char *name = NULL;
  g_autoptr(GBytes) avatar = NULL;
  g_autoptr(GError) error = NULL;

  if (!sotto_messenger_load_profile_finish (SOTTO_MESSENGER (object), result, &name, &avatar, &error))
    {
      g_autofree char *reason = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      reason = sotto_error_text_general (error);
      sotto_profile_editor_set_status (self, reason, TRUE);
      return;
    }

  /* What the user began to type or chose while it was read wins. */
  if (gtk_editable_get_text (GTK_EDITABLE (self->name_row))[0] == '\0' && name != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
  if (self->avatar_bytes == NULL && avatar != NULL)
    {
      self->avatar_bytes = g_steal_pointer (&avatar);
      sotto_profile_editor_show_avatar (self);
    }
}

/**
 * sotto_profile_editor_set_messenger:
 * @self: a #SottoProfileEditor
 * @messenger: the messenger of the registered account
 *
 * Shows the group with the account's profile, which it reads first.
 */
void
sotto_profile_editor_set_messenger (SottoProfileEditor *self,
                                    SottoMessenger     *messenger)
{
  g_return_if_fail (SOTTO_IS_PROFILE_EDITOR (self));
  g_return_if_fail (SOTTO_IS_MESSENGER (messenger));
  g_return_if_fail (self->messenger == NULL);

  self->messenger = g_object_ref (messenger);
  adw_avatar_set_text (self->avatar, sotto_account_get_username (sotto_messenger_get_account (messenger)));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "profile.choose-avatar", TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self), TRUE);
  sotto_messenger_load_profile_async (messenger, self->cancellable, sotto_profile_editor_loaded_cb,
                                      g_object_ref (self));
}

static void
sotto_profile_editor_dispose (GObject *object)
{
  SottoProfileEditor *self = (SottoProfileEditor *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->messenger);
  g_clear_pointer (&self->avatar_bytes, g_bytes_unref);

  G_OBJECT_CLASS (sotto_profile_editor_parent_class)->dispose (object);
}

static void
sotto_profile_editor_class_init (SottoProfileEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_profile_editor_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-profile-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoProfileEditor, avatar);
  gtk_widget_class_bind_template_child (widget_class, SottoProfileEditor, choose_button);
  gtk_widget_class_bind_template_child (widget_class, SottoProfileEditor, remove_button);
  gtk_widget_class_bind_template_child (widget_class, SottoProfileEditor, name_row);
  gtk_widget_class_bind_template_child (widget_class, SottoProfileEditor, status_label);
  gtk_widget_class_bind_template_callback (widget_class, sotto_profile_editor_name_applied_cb);

  gtk_widget_class_install_action (widget_class, "profile.choose-avatar", NULL, sotto_profile_editor_choose_avatar);
  gtk_widget_class_install_action (widget_class, "profile.remove-avatar", NULL, sotto_profile_editor_remove_avatar);
}

static void
sotto_profile_editor_init (SottoProfileEditor *self)
{
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "profile.choose-avatar", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "profile.remove-avatar", FALSE);
}
