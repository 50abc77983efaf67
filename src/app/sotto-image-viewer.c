/* sotto-image-viewer.c: a picture at full size
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-image-viewer"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-attachment-files.h"
#include "sotto-error-text.h"
#include "sotto-image-viewer.h"

/* Shows the thumbnail at once, then the picture itself: decrypted into
 * a private file (sotto-attachment-files.c), read, and the file removed
 * straight away, so the plaintext lives on only in this window's
 * memory. */

struct _SottoImageViewer
{
  AdwWindow parent_instance;

  SottoAttachment *attachment;
  GCancellable *cancellable;
  gboolean loaded;

  AdwWindowTitle *title;
  GtkPicture *picture;
  GtkSpinner *spinner;
};

G_DEFINE_FINAL_TYPE (SottoImageViewer, sotto_image_viewer, ADW_TYPE_WINDOW)

/* The longest side a picture takes in memory: 64 MiB of pixels.  A
 * larger one, or one that only claims to be, is scaled down as it is
 * decoded. */
#define VIEWER_MAX_SIDE 4096

/* In a worker thread: the decrypted file read, decoded and removed. */
static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GFile *file = task_data;
  g_autoptr(GBytes) bytes = NULL;
  GdkTexture *texture = NULL;
  GError *error = NULL;

  bytes = g_file_load_bytes (file, cancellable, NULL, &error);
  sotto_attachment_files_remove (file);
  if (bytes != NULL)
    texture = sotto_attachment_files_load_picture (bytes, VIEWER_MAX_SIDE, &error);

  if (texture != NULL)
    g_task_return_pointer (task, texture, g_object_unref);
  else
    g_task_return_error (task, error);
}

static void
sotto_image_viewer_show_error (SottoImageViewer *self,
                               const GError     *error)
{
  g_autofree char *message = sotto_error_text_general (error);

  gtk_spinner_stop (self->spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
  adw_window_title_set_subtitle (self->title, message);
  sotto_attachment_files_toast (GTK_WIDGET (self->picture), message);
}

static void
sotto_image_viewer_loaded_cb (GObject      *object,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  g_autoptr(SottoImageViewer) self = user_data;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  /* A viewer closed meanwhile has no widgets left to show it in. */
  texture = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (texture == NULL)
    {
      sotto_image_viewer_show_error (self, error);
      return;
    }

  gtk_spinner_stop (self->spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (texture));
  self->loaded = TRUE;
}

static void
sotto_image_viewer_decrypted_cb (GObject      *object,
                                 GAsyncResult *result,
                                 gpointer      user_data)
{
  g_autoptr(SottoImageViewer) self = user_data;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;

  file = sotto_attachment_files_decrypt_finish (result, &error);
  if (file != NULL && g_cancellable_is_cancelled (self->cancellable))
    sotto_attachment_files_remove (file);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (file == NULL)
    {
      sotto_image_viewer_show_error (self, error);
      return;
    }

  task = g_task_new (self, self->cancellable, sotto_image_viewer_loaded_cb, g_object_ref (self));
  g_task_set_task_data (task, g_steal_pointer (&file), g_object_unref);
  g_task_run_in_thread (task, load_thread);
}

/**
 * sotto_image_viewer_new:
 * @transient_for: (nullable): Sotto's window
 * @attachment: a ready or sent picture
 * @thumbnail: (nullable): its thumbnail, shown until it is loaded
 *
 * Returns: (transfer none): a new viewer, which loads the picture
 */
SottoImageViewer *
sotto_image_viewer_new (GtkWindow       *transient_for,
                        SottoAttachment *attachment,
                        GdkPaintable    *thumbnail)
{
  SottoImageViewer *self;

  g_return_val_if_fail (!transient_for || GTK_IS_WINDOW (transient_for), NULL);
  g_return_val_if_fail (SOTTO_IS_ATTACHMENT (attachment), NULL);
  g_return_val_if_fail (!thumbnail || GDK_IS_PAINTABLE (thumbnail), NULL);

  self = g_object_new (SOTTO_TYPE_IMAGE_VIEWER,
                       "transient-for", transient_for,
                       "title", sotto_attachment_get_name (attachment),
                       NULL);
  self->attachment = g_object_ref (attachment);
  adw_window_title_set_title (self->title, sotto_attachment_get_name (attachment));
  gtk_picture_set_paintable (self->picture, thumbnail);
  gtk_picture_set_alternative_text (self->picture, sotto_attachment_get_name (attachment));

  gtk_spinner_start (self->spinner);
  sotto_attachment_files_decrypt_async (GTK_WIDGET (self), attachment, self->cancellable,
                                        sotto_image_viewer_decrypted_cb, g_object_ref (self));

  return self;
}

/**
 * sotto_image_viewer_get_paintable:
 * @self: a #SottoImageViewer
 *
 * Returns: (transfer none) (nullable): what the viewer shows: the
 *   thumbnail, then the picture once it is loaded
 */
GdkPaintable *
sotto_image_viewer_get_paintable (SottoImageViewer *self)
{
  g_return_val_if_fail (SOTTO_IS_IMAGE_VIEWER (self), NULL);

  return gtk_picture_get_paintable (self->picture);
}

gboolean
sotto_image_viewer_get_loaded (SottoImageViewer *self)
{
  g_return_val_if_fail (SOTTO_IS_IMAGE_VIEWER (self), FALSE);

  return self->loaded;
}

static void
sotto_image_viewer_save_as (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  SottoImageViewer *self = SOTTO_IMAGE_VIEWER (widget);

  sotto_attachment_files_save_as (GTK_WIDGET (self->picture), self->attachment);
}

static void
sotto_image_viewer_dispose (GObject *object)
{
  SottoImageViewer *self = (SottoImageViewer *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->attachment);

  G_OBJECT_CLASS (sotto_image_viewer_parent_class)->dispose (object);
}

static void
sotto_image_viewer_finalize (GObject *object)
{
  SottoImageViewer *self = (SottoImageViewer *) object;

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (sotto_image_viewer_parent_class)->finalize (object);
}

static void
sotto_image_viewer_class_init (SottoImageViewerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_image_viewer_dispose;
  object_class->finalize = sotto_image_viewer_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-image-viewer.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoImageViewer, title);
  gtk_widget_class_bind_template_child (widget_class, SottoImageViewer, picture);
  gtk_widget_class_bind_template_child (widget_class, SottoImageViewer, spinner);

  gtk_widget_class_install_action (widget_class, "viewer.save-as", NULL, sotto_image_viewer_save_as);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
sotto_image_viewer_init (SottoImageViewer *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}
