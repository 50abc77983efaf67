/* sotto-attachment-files.c: attachments leaving the profile, at the user's request
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-attachment-files"

#include "config.h"

#include <errno.h>

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "sotto-accessible.h"
#include "sotto-attachment-files.h"
#include "sotto-error-text.h"
#include "sotto-picture.h"
#include "sotto-window.h"

/* Attachments stay encrypted in the profile.  The user takes one out in
 * three ways: Save As decrypts it into the file they chose; Open and the
 * picture viewer need a file of their own, which is decrypted into a
 * private folder (0700, files 0600) under $XDG_RUNTIME_DIR, a tmpfs that
 * never reaches the disk, and removed as soon as it is read, or for a
 * file handed to another application, when Sotto quits
 * (docs/threat-model.md, "Attachments").  Pasted pictures wait there
 * for their send too: nothing goes to a cache folder. */

/* This process's private folder, made on first use. */
static char *private_root;

static void
remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children = NULL;
  GFile *child;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (children != NULL && g_file_enumerator_iterate (children, NULL, &child, NULL, NULL) && child != NULL)
    remove_tree (child);

  g_file_delete (file, NULL, NULL);
}

static void
application_shutdown_cb (GApplication *application)
{
  g_autoptr(GFile) root = NULL;

  if (private_root == NULL)
    return;

  root = g_file_new_for_path (private_root);
  remove_tree (root);
  g_clear_pointer (&private_root, g_free);
}

/* Makes a new folder from the template @path (ending in XXXXXX, which
 * it replaces) that only the user can enter. */
static gboolean
make_private_dir (char    *path,
                  GError **error)
{
  int saved_errno;

  if (g_mkdtemp_full (path, 0700) != NULL)
    return TRUE;

  saved_errno = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               _("Could not make a private folder: %s"), g_strerror (saved_errno));
  return FALSE;
}

/**
 * sotto_attachment_files_new_private_dir:
 * @error: a location for a #GError
 *
 * Returns: (transfer full): a new, empty folder only the user can
 *   read, removed with all it holds when the application shuts down
 */
GFile *
sotto_attachment_files_new_private_dir (GError **error)
{
  g_autofree char *dir = NULL;

  if (private_root == NULL)
    {
      const char *runtime = g_getenv ("XDG_RUNTIME_DIR");
      GApplication *application = g_application_get_default ();
      g_autofree char *root = NULL;

      /* GLib would fall back to the cache folder, which is on disk. */
      if (runtime == NULL || !g_path_is_absolute (runtime))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("There is no private folder in memory for the file: XDG_RUNTIME_DIR is not set"));
          return NULL;
        }

      root = g_build_filename (runtime, "sotto-XXXXXX", NULL);
      if (!make_private_dir (root, error))
        return NULL;
      private_root = g_steal_pointer (&root);
      if (application != NULL)
        g_signal_connect (application, "shutdown", G_CALLBACK (application_shutdown_cb), NULL);
    }

  dir = g_build_filename (private_root, "XXXXXX", NULL);
  if (!make_private_dir (dir, error))
    return NULL;

  return g_file_new_for_path (dir);
}

/**
 * sotto_attachment_files_remove:
 * @file: a file in a folder from sotto_attachment_files_new_private_dir()
 *
 * Removes @file and its folder.
 */
void
sotto_attachment_files_remove (GFile *file)
{
  g_autoptr(GFile) dir = g_file_get_parent (file);

  g_file_delete (file, NULL, NULL);
  if (dir != NULL)
    g_file_delete (dir, NULL, NULL);
}

/**
 * sotto_attachment_files_load_picture_stream:
 * @stream: an encoded picture, which may declare any size
 * @max_side: the longest side, in pixels, it may take in memory
 * @cancellable: (nullable): a #GCancellable
 * @error: a location for a #GError
 *
 * Decodes a picture: one larger than @max_side is scaled down as it is
 * decoded, and one of more than %SOTTO_PICTURE_MAX_PIXELS is refused,
 * so that a small file cannot make the application allocate gigabytes
 * (sotto_picture_load()).  Blocks: call it from a worker thread.
 *
 * Returns: (transfer full) (nullable): the picture
 */
GdkTexture *
sotto_attachment_files_load_picture_stream (GInputStream  *stream,
                                            int            max_side,
                                            GCancellable  *cancellable,
                                            GError       **error)
{
  g_autoptr(SottoPicture) picture = NULL;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);
  g_return_val_if_fail (max_side > 0, NULL);

  picture = sotto_picture_load (stream, max_side, cancellable, error);
  if (picture == NULL)
    return NULL;

  return gdk_memory_texture_new (picture->width, picture->height,
                                 picture->has_alpha ? GDK_MEMORY_R8G8B8A8 : GDK_MEMORY_R8G8B8,
                                 picture->pixels, picture->stride);
}

/**
 * sotto_attachment_files_load_picture:
 * @bytes: a picture someone sent
 * @max_side: the longest side, in pixels, it may take in memory
 * @error: a location for a #GError
 *
 * Decodes a picture from the other side within bounds, as
 * sotto_attachment_files_load_picture_stream() does.  Safe to call from
 * a worker thread.
 *
 * Returns: (transfer full) (nullable): the picture
 */
GdkTexture *
sotto_attachment_files_load_picture (GBytes  *bytes,
                                     int      max_side,
                                     GError **error)
{
  g_autoptr(GInputStream) stream = NULL;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (max_side > 0, NULL);

  stream = g_memory_input_stream_new_from_bytes (bytes);

  return sotto_attachment_files_load_picture_stream (stream, max_side, NULL, error);
}

/**
 * sotto_attachment_files_get_messenger:
 * @widget: a widget in Sotto's window
 *
 * Returns: (transfer none) (nullable): the window's messenger
 */
SottoMessenger *
sotto_attachment_files_get_messenger (GtkWidget *widget)
{
  GtkRoot *root = gtk_widget_get_root (widget);

  if (GTK_IS_WINDOW (root) && !SOTTO_IS_WINDOW (root))
    root = (GtkRoot *) gtk_window_get_transient_for (GTK_WINDOW (root));

  return SOTTO_IS_WINDOW (root) ? sotto_window_get_messenger (SOTTO_WINDOW (root)) : NULL;
}

/**
 * sotto_attachment_files_toast:
 * @widget: a widget in a window with a toast overlay
 * @message: what to tell the user
 *
 * Tells the user, in a toast and to a screen reader.
 */
void
sotto_attachment_files_toast (GtkWidget  *widget,
                              const char *message)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (message));
  sotto_accessible_announce (widget, message);
}

static void
toast_error (GtkWidget    *widget,
             const GError *error)
{
  g_autofree char *message = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  message = sotto_error_text_general (error);
  sotto_attachment_files_toast (widget, message);
}

/* Decrypting into a private folder */

static void
decrypted_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GFile *dir = g_task_get_task_data (task);
  g_autofree char *sha256_hex = NULL;
  GError *error = NULL;
  GFile *file;

  file = sotto_messenger_export_attachment_finish (SOTTO_MESSENGER (object), result, &sha256_hex, &error);
  if (file == NULL)
    {
      g_file_delete (dir, NULL, NULL);
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, file, g_object_unref);
}

/**
 * sotto_attachment_files_decrypt_async:
 * @widget: a widget in Sotto's window
 * @attachment: a ready or sent attachment
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the file is written
 * @user_data: data for @callback
 *
 * Decrypts @attachment into a private folder of its own; the caller
 * removes it with sotto_attachment_files_remove() once done with it.
 */
void
sotto_attachment_files_decrypt_async (GtkWidget           *widget,
                                      SottoAttachment     *attachment,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  SottoMessenger *messenger = sotto_attachment_files_get_messenger (widget);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GFile) dir = NULL;
  GError *error = NULL;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (SOTTO_IS_ATTACHMENT (attachment));

  task = g_task_new (widget, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_attachment_files_decrypt_async);
  if (messenger == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, _("The account is not open"));
      return;
    }

  dir = sotto_attachment_files_new_private_dir (&error);
  if (dir == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_set_task_data (task, g_object_ref (dir), g_object_unref);
  sotto_messenger_export_attachment_async (messenger, attachment, dir, cancellable,
                                           decrypted_cb, g_steal_pointer (&task));
}

GFile *
sotto_attachment_files_decrypt_finish (GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sotto_attachment_files_decrypt_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Open: the file goes to the application the desktop chooses for its
 * type, through the OpenURI portal in a sandbox.  That application
 * reads it after the launch returns, so the file stays until Sotto
 * quits. */

static void
launched_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GtkWidget) widget = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    toast_error (widget, error);
}

static void
decrypted_for_open_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GtkWidget) widget = user_data;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkAppLaunchContext) context = NULL;
  g_autofree char *uri = NULL;

  file = sotto_attachment_files_decrypt_finish (result, &error);
  if (file == NULL)
    {
      toast_error (widget, error);
      return;
    }

  uri = g_file_get_uri (file);
  context = gdk_display_get_app_launch_context (gtk_widget_get_display (widget));
  g_app_info_launch_default_for_uri_async (uri, G_APP_LAUNCH_CONTEXT (context), NULL,
                                           launched_cb, g_object_ref (widget));
}

/**
 * sotto_attachment_files_open:
 * @widget: the widget the user asked from
 * @attachment: a ready or sent attachment
 *
 * Opens @attachment with the application the desktop chooses for it.
 */
void
sotto_attachment_files_open (GtkWidget       *widget,
                             SottoAttachment *attachment)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (SOTTO_IS_ATTACHMENT (attachment));

  sotto_attachment_files_decrypt_async (widget, attachment, NULL, decrypted_for_open_cb, g_object_ref (widget));
}

/* Save As: decrypted privately, then copied over the file the user
 * chose, which in a sandbox may be the only file of its folder the
 * application can write; the private copy goes at once. */

typedef struct
{
  GtkWidget *widget;
  SottoAttachment *attachment;
  GFile *target;
} SaveAs;

static void
save_as_free (SaveAs *save)
{
  g_clear_object (&save->widget);
  g_clear_object (&save->attachment);
  g_clear_object (&save->target);
  g_free (save);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaveAs, save_as_free)

static void
copied_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(SaveAs) save = user_data;
  g_autoptr(GError) error = NULL;

  sotto_attachment_files_remove (G_FILE (object));
  if (!g_file_copy_finish (G_FILE (object), result, &error))
    {
      toast_error (save->widget, error);
      return;
    }

  /* Translators: %s is a file name */
  {
    g_autofree char *message = g_strdup_printf (_("Saved “%s”"), g_file_peek_path (save->target));

    sotto_attachment_files_toast (save->widget, message);
  }
}

static void
decrypted_for_save_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(SaveAs) save = user_data;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  GFile *target;

  file = sotto_attachment_files_decrypt_finish (result, &error);
  if (file == NULL)
    {
      toast_error (save->widget, error);
      return;
    }

  target = save->target;
  g_file_copy_async (file, target, G_FILE_COPY_OVERWRITE, G_PRIORITY_DEFAULT, NULL, NULL, NULL,
                     copied_cb, g_steal_pointer (&save));
}

static void
save_as_response_cb (GtkNativeDialog *chooser,
                     int              response,
                     gpointer         user_data)
{
  g_autoptr(SaveAs) save = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      GtkWidget *widget = save->widget;
      SottoAttachment *attachment = save->attachment;

      save->target = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      if (save->target != NULL)
        sotto_attachment_files_decrypt_async (widget, attachment, NULL, decrypted_for_save_cb,
                                              g_steal_pointer (&save));
    }

  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

/**
 * sotto_attachment_files_save_as:
 * @widget: the widget the user asked from
 * @attachment: a ready or sent attachment
 *
 * Asks the user where to save @attachment, through the file chooser
 * portal in a sandbox, and saves it there.
 */
void
sotto_attachment_files_save_as (GtkWidget       *widget,
                                SottoAttachment *attachment)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *chooser;
  g_autofree char *name = NULL;
  SaveAs *save;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (SOTTO_IS_ATTACHMENT (attachment));

  chooser = gtk_file_chooser_native_new (_("Save File"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  /* The name is the sender's: no folder of it is offered. */
  name = g_strdelimit (g_strdup (sotto_attachment_get_name (attachment)), G_DIR_SEPARATOR_S "/\\", '_');
  if (name[0] == '.')
    name[0] = '_';
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);

  save = g_new0 (SaveAs, 1);
  save->widget = g_object_ref (widget);
  save->attachment = g_object_ref (attachment);
  g_signal_connect (chooser, "response", G_CALLBACK (save_as_response_cb), save);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* Retry and download */

static void
downloaded_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GtkWidget) widget = user_data;
  g_autoptr(GError) error = NULL;

  /* The attachment shows its failure and offers to try again; the toast
   * says why for those who cannot see it. */
  if (!sotto_messenger_download_attachment_finish (SOTTO_MESSENGER (object), result, &error))
    toast_error (widget, error);
}

static void
uploaded_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GtkWidget) widget = user_data;
  g_autoptr(GError) error = NULL;

  if (!sotto_messenger_retry_upload_finish (SOTTO_MESSENGER (object), result, &error))
    toast_error (widget, error);
}

/**
 * sotto_attachment_files_retry:
 * @widget: the widget the user asked from
 * @attachment: an attachment to download, or one that failed
 *
 * Downloads an incoming attachment, or tries a failed one again; an
 * outgoing one resumes its upload where the relay stands.
 */
void
sotto_attachment_files_retry (GtkWidget       *widget,
                              SottoAttachment *attachment)
{
  SottoMessenger *messenger = sotto_attachment_files_get_messenger (widget);

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (SOTTO_IS_ATTACHMENT (attachment));

  if (messenger == NULL)
    return;

  if (sotto_attachment_get_outgoing (attachment))
    sotto_messenger_retry_upload_async (messenger, attachment, NULL, uploaded_cb, g_object_ref (widget));
  else
    sotto_messenger_download_attachment_async (messenger, attachment, NULL, downloaded_cb, g_object_ref (widget));
}
