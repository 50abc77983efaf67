/* sotto-avatar.c: a contact's or group's avatar, with its picture when it has one
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-avatar"

#include "config.h"

#include <adwaita.h>

#include "sotto-attachment-files.h"
#include "sotto-avatar.h"
#include "sotto-messenger.h"

/* An #AdwAvatar that follows a #SottoContact: their initials, and the
 * image from their encrypted profile once it is loaded, again whenever
 * the profile gives another; or a #SottoGroup: its title's initials,
 * and the picture its admins set.  The image comes from another person,
 * so it is decoded off the main thread, by GTK's own loaders, from at
 * most %SOTTO_PROFILE_MAX_AVATAR bytes; one that does not decode leaves
 * the initials. */

struct _SottoAvatar
{
  GtkWidget parent_instance;

  SottoContact *contact;
  GSignalGroup *contact_signals;
  SottoGroup *group;
  GSignalGroup *group_signals;
  GCancellable *loading;

  AdwAvatar *avatar;
};

enum {
  PROP_0,
  PROP_CONTACT,
  PROP_GROUP,
  PROP_SIZE,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoAvatar, sotto_avatar, GTK_TYPE_WIDGET)

static GParamSpec *properties [N_PROPS];

GtkWidget *
sotto_avatar_new (void)
{
  return g_object_new (SOTTO_TYPE_AVATAR, NULL);
}

static void
decode_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GBytes *bytes = task_data;
  GError *error = NULL;
  GdkTexture *texture;

  /* A contact chooses these bytes, and a small file may declare a
   * picture of gigabytes: it is scaled down as it is decoded. */
  texture = sotto_attachment_files_load_picture (bytes, SOTTO_AVATAR_MAX_SIDE, &error);
  if (texture == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, texture, g_object_unref);
}

/**
 * sotto_avatar_load_image_async:
 * @bytes: an image's bytes: PNG, JPEG or another format GTK reads
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the texture
 * @user_data: data for @callback
 *
 * Decodes an avatar image on a worker thread.
 */
void
sotto_avatar_load_image_async (GBytes              *bytes,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (bytes != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_avatar_load_image_async);
  if (g_bytes_get_size (bytes) > SOTTO_PROFILE_MAX_AVATAR)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "An avatar is at most 1 MiB");
      return;
    }
  g_task_set_task_data (task, g_bytes_ref (bytes), (GDestroyNotify) g_bytes_unref);
  g_task_run_in_thread (task, decode_thread);
}

GdkTexture *
sotto_avatar_load_image_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
sotto_avatar_decoded_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(SottoAvatar) self = user_data;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  texture = sotto_avatar_load_image_finish (result, &error);
  if (texture == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not show a contact’s avatar: %s", error->message);
      return;
    }

  adw_avatar_set_custom_image (self->avatar, GDK_PAINTABLE (texture));
}

static void
sotto_avatar_read_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(SottoAvatar) self = user_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  if (bytes == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not read a contact’s avatar: %s", error->message);
      return;
    }

  sotto_avatar_load_image_async (bytes, self->loading, sotto_avatar_decoded_cb, g_object_ref (self));
}

static void
sotto_avatar_loaded_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(SottoAvatar) self = user_data;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  stream = g_loadable_icon_load_finish (G_LOADABLE_ICON (object), result, NULL, &error);
  if (stream == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not load a contact’s avatar: %s", error->message);
      return;
    }

  /* One byte more than an avatar may have tells an oversized one. */
  g_input_stream_read_bytes_async (stream, SOTTO_PROFILE_MAX_AVATAR + 1, G_PRIORITY_DEFAULT, self->loading,
                                   sotto_avatar_read_cb, g_object_ref (self));
}

static void
sotto_avatar_update (SottoAvatar *self)
{
  GLoadableIcon *icon;

  g_cancellable_cancel (self->loading);
  g_clear_object (&self->loading);

  if (self->group != NULL)
    {
      adw_avatar_set_text (self->avatar, sotto_group_get_title (self->group));
      icon = sotto_group_get_avatar (self->group);
    }
  else
    {
      adw_avatar_set_text (self->avatar, self->contact != NULL ? sotto_contact_get_name (self->contact) : NULL);
      icon = self->contact != NULL ? sotto_contact_get_avatar (self->contact) : NULL;
    }
  if (icon == NULL)
    {
      adw_avatar_set_custom_image (self->avatar, NULL);
      return;
    }

  /* The old image stays until the new one is decoded. */
  self->loading = g_cancellable_new ();
  g_loadable_icon_load_async (icon, adw_avatar_get_size (self->avatar), self->loading,
                              sotto_avatar_loaded_cb, g_object_ref (self));
}

SottoContact *
sotto_avatar_get_contact (SottoAvatar *self)
{
  g_return_val_if_fail (SOTTO_IS_AVATAR (self), NULL);

  return self->contact;
}

void
sotto_avatar_set_contact (SottoAvatar  *self,
                          SottoContact *contact)
{
  g_return_if_fail (SOTTO_IS_AVATAR (self));
  g_return_if_fail (!contact || SOTTO_IS_CONTACT (contact));

  if (!g_set_object (&self->contact, contact))
    return;

  /* Another contact's picture must not linger on a recycled row. */
  adw_avatar_set_custom_image (self->avatar, NULL);
  g_signal_group_set_target (self->contact_signals, contact);
  sotto_avatar_update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_CONTACT]);
}

SottoGroup *
sotto_avatar_get_group (SottoAvatar *self)
{
  g_return_val_if_fail (SOTTO_IS_AVATAR (self), NULL);

  return self->group;
}

/**
 * sotto_avatar_set_group:
 * @self: a #SottoAvatar
 * @group: (nullable): the group to show, instead of a contact
 */
void
sotto_avatar_set_group (SottoAvatar *self,
                        SottoGroup  *group)
{
  g_return_if_fail (SOTTO_IS_AVATAR (self));
  g_return_if_fail (!group || SOTTO_IS_GROUP (group));

  if (!g_set_object (&self->group, group))
    return;

  /* Another group's picture must not linger on a recycled row. */
  adw_avatar_set_custom_image (self->avatar, NULL);
  g_signal_group_set_target (self->group_signals, group);
  sotto_avatar_update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_GROUP]);
}

/**
 * sotto_avatar_get_image:
 * @self: a #SottoAvatar
 *
 * Returns: (transfer none) (nullable): the contact's picture as shown,
 *   or %NULL while the initials are
 */
GdkPaintable *
sotto_avatar_get_image (SottoAvatar *self)
{
  g_return_val_if_fail (SOTTO_IS_AVATAR (self), NULL);

  return adw_avatar_get_custom_image (self->avatar);
}

static void
sotto_avatar_dispose (GObject *object)
{
  SottoAvatar *self = (SottoAvatar *)object;

  g_cancellable_cancel (self->loading);
  g_clear_object (&self->loading);
  g_clear_object (&self->contact_signals);
  g_clear_object (&self->contact);
  g_clear_object (&self->group_signals);
  g_clear_object (&self->group);
  g_clear_pointer ((GtkWidget **) &self->avatar, gtk_widget_unparent);

  G_OBJECT_CLASS (sotto_avatar_parent_class)->dispose (object);
}

static void
sotto_avatar_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  SottoAvatar *self = SOTTO_AVATAR (object);

  switch (prop_id)
    {
    case PROP_CONTACT:
      g_value_set_object (value, self->contact);
      break;

    case PROP_GROUP:
      g_value_set_object (value, self->group);
      break;

    case PROP_SIZE:
      g_value_set_int (value, adw_avatar_get_size (self->avatar));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_avatar_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  SottoAvatar *self = SOTTO_AVATAR (object);

  switch (prop_id)
    {
    case PROP_CONTACT:
      sotto_avatar_set_contact (self, g_value_get_object (value));
      break;

    case PROP_GROUP:
      sotto_avatar_set_group (self, g_value_get_object (value));
      break;

    case PROP_SIZE:
      adw_avatar_set_size (self->avatar, g_value_get_int (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_avatar_class_init (SottoAvatarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_avatar_dispose;
  object_class->get_property = sotto_avatar_get_property;
  object_class->set_property = sotto_avatar_set_property;

  properties [PROP_CONTACT] =
    g_param_spec_object ("contact", NULL, NULL,
                         SOTTO_TYPE_CONTACT,
                         (G_PARAM_READWRITE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoAvatar:group:
   *
   * The group shown, instead of #SottoAvatar:contact.
   */
  properties [PROP_GROUP] =
    g_param_spec_object ("group", NULL, NULL,
                         SOTTO_TYPE_GROUP,
                         (G_PARAM_READWRITE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoAvatar:size:
   *
   * The avatar's width and height, in pixels.
   */
  properties [PROP_SIZE] =
    g_param_spec_int ("size", NULL, NULL,
                      -1, G_MAXINT, -1,
                      (G_PARAM_READWRITE |
                       G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "sotto-avatar");
}

static void
sotto_avatar_init (SottoAvatar *self)
{
  self->avatar = ADW_AVATAR (adw_avatar_new (32, NULL, TRUE));
  gtk_widget_set_parent (GTK_WIDGET (self->avatar), GTK_WIDGET (self));

  self->contact_signals = g_signal_group_new (SOTTO_TYPE_CONTACT);
  g_signal_group_connect_object (self->contact_signals, "notify::name",
                                 G_CALLBACK (sotto_avatar_update), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->contact_signals, "notify::avatar",
                                 G_CALLBACK (sotto_avatar_update), self, G_CONNECT_SWAPPED);

  self->group_signals = g_signal_group_new (SOTTO_TYPE_GROUP);
  g_signal_group_connect_object (self->group_signals, "notify::title",
                                 G_CALLBACK (sotto_avatar_update), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->group_signals, "notify::avatar",
                                 G_CALLBACK (sotto_avatar_update), self, G_CONNECT_SWAPPED);
}
