/* sotto-picture-chooser.c: a picture the user picks, for an avatar
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-picture-chooser"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-picture-chooser.h"

/* The user's own avatar and a group's picture are chosen alike: through
 * the file chooser portal when there is one, so that the app sees only
 * the file the user picked, among the formats GdkPixbuf reads. */

static void
response_cb (GtkFileChooserNative *chooser,
             int                   response,
             gpointer              user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_object_unref (chooser);

  if (file == NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("No picture was chosen"));
  else
    g_task_return_pointer (task, g_steal_pointer (&file), g_object_unref);
}

/**
 * sotto_picture_chooser_choose_async:
 * @parent: (nullable): the window the chooser belongs to
 * @title: the chooser's title
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the picture, or %G_IO_ERROR_CANCELLED when the
 *   user chose none
 * @user_data: data for @callback
 *
 * Asks the user for a picture.
 */
void
sotto_picture_chooser_choose_async (GtkWindow           *parent,
                                    const char          *title,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  GtkFileChooserNative *chooser;
  GTask *task;

  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));
  g_return_if_fail (title != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_picture_chooser_choose_async);

  chooser = gtk_file_chooser_native_new (title, parent, GTK_FILE_CHOOSER_ACTION_OPEN, _("_Choose"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Pictures"));
  gtk_file_filter_add_pixbuf_formats (filter);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (response_cb), task);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/**
 * sotto_picture_chooser_choose_finish:
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the picture the user chose
 */
GFile *
sotto_picture_chooser_choose_finish (GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
