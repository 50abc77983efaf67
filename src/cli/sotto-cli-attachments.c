/* sotto-cli-attachments.c: files with send and receive
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-cli"

#include "config.h"

#include <errno.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "sotto-cli.h"

/* send --attach FILE (repeatable) sends the files with the text as their
 * caption.  receive downloads every attachment into the profile, where
 * it stays encrypted, checks it, and decrypts it into --download-dir
 * (by default the profile's "downloads" folder): running receive is
 * the user asking for the files, as Save As is in the app.  Two kinds
 * of message are the exception: a message request's files are not
 * fetched at all (nothing from a stranger until they are accepted), and
 * a disappearing message's are fetched into the profile only, where
 * they go with the message, as a copy in the download folder would
 * outlive it. */

/* Why receive did not save a file (the "withheld" of its JSON). */
#define WITHHELD_REQUEST      "request"
#define WITHHELD_DISAPPEARING "disappearing"

/* The folder in the profile that receive writes files to by default. */
#define DOWNLOADS_FOLDER "downloads"

void
sotto_cli_export_free (SottoCliExport *export)
{
  if (export == NULL)
    return;

  g_free (export->path);
  g_free (export->sha256);
  g_free (export->error);
  g_free (export);
}

/* The line under a message that tells where receive saved a file, or
 * why it did not. */
void
sotto_cli_print_export (SottoCliExport *export)
{
  if (export->path != NULL)
    g_print (_("  saved %s\n"), export->path);
  else if (g_strcmp0 (export->withheld, WITHHELD_REQUEST) == 0)
    g_print (_("  a file, not downloaded from a message request\n"));
  else if (g_strcmp0 (export->withheld, WITHHELD_DISAPPEARING) == 0)
    g_print (_("  a file, kept in the profile only, as the message disappears\n"));
}

void
sotto_cli_send_start (SottoCli           *cli,
                      SottoConversation  *conversation,
                      const char         *text,
                      GAsyncResult      **result)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);

  if (cli->attach == NULL)
    {
      sotto_messenger_send_async (cli->messenger, conversation, text, NULL, sotto_cli_result_cb, result);
      return;
    }

  for (guint i = 0; cli->attach[i] != NULL; i++)
    g_ptr_array_add (files, g_file_new_for_commandline_arg (cli->attach[i]));

  sotto_messenger_send_with_attachments_async (cli->messenger, conversation, text,
                                               (GFile * const *) files->pdata, files->len, NULL,
                                               sotto_cli_result_cb, result);
}

typedef struct
{
  SottoCli *cli;
  SottoConversation *conversation;
  SottoMessage *message;
  GFile *dir;
  GError *dir_error;
  GPtrArray *exports;
  const char *withheld;
  guint next;
  SottoCliFetchedFunc done;
  gpointer data;
} Fetch;

static void
fetch_free (Fetch *fetch)
{
  g_clear_object (&fetch->conversation);
  g_clear_object (&fetch->message);
  g_clear_object (&fetch->dir);
  g_clear_error (&fetch->dir_error);
  g_clear_pointer (&fetch->exports, g_ptr_array_unref);
  g_free (fetch);
}

static void fetch_next (Fetch *fetch);

static SottoAttachment *
fetch_attachment (Fetch *fetch)
{
  return g_list_model_get_item (sotto_message_get_attachments (fetch->message), fetch->next);
}

static void
fetch_failed (Fetch        *fetch,
              const GError *error)
{
  g_autoptr(SottoAttachment) attachment = fetch_attachment (fetch);
  SottoCliExport *export = g_new0 (SottoCliExport, 1);

  g_printerr (_("sotto-cli: could not save the attachment “%s” from %s: %s\n"),
              sotto_attachment_get_name (attachment) != NULL ? sotto_attachment_get_name (attachment) : "",
              sotto_cli_contact_label (sotto_conversation_get_contact (fetch->conversation)),
              error->message);
  export->error = g_strdup (error->message);
  g_ptr_array_add (fetch->exports, export);
  fetch->next++;
  fetch_next (fetch);
}

static void
fetch_withheld (Fetch *fetch)
{
  SottoCliExport *export = g_new0 (SottoCliExport, 1);

  export->withheld = fetch->withheld;
  g_ptr_array_add (fetch->exports, export);
  fetch->next++;
  fetch_next (fetch);
}

static void
exported_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Fetch *fetch = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  SottoCliExport *export;
  char *sha256 = NULL;

  file = sotto_messenger_save_attachment_finish (SOTTO_MESSENGER (object), result, &sha256, &error);
  if (file == NULL)
    {
      fetch_failed (fetch, error);
      return;
    }

  export = g_new0 (SottoCliExport, 1);
  export->path = g_file_get_path (file);
  export->sha256 = sha256;
  g_ptr_array_add (fetch->exports, export);
  fetch->next++;
  fetch_next (fetch);
}

static void
downloaded_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Fetch *fetch = user_data;
  g_autoptr(GError) error = NULL;

  if (!sotto_messenger_download_attachment_finish (SOTTO_MESSENGER (object), result, &error))
    {
      fetch_failed (fetch, error);
      return;
    }

  fetch_withheld (fetch);
}

static void
fetch_next (Fetch *fetch)
{
  g_autoptr(SottoAttachment) attachment = NULL;

  if (fetch->next == g_list_model_get_n_items (sotto_message_get_attachments (fetch->message)))
    {
      fetch->done (fetch->cli, fetch->conversation, fetch->message, fetch->exports, fetch->data);
      fetch_free (fetch);
      return;
    }

  if (g_strcmp0 (fetch->withheld, WITHHELD_REQUEST) == 0)
    {
      fetch_withheld (fetch);
      return;
    }
  if (fetch->dir == NULL && fetch->withheld == NULL)
    {
      fetch_failed (fetch, fetch->dir_error);
      return;
    }

  /* A file withheld from the folder is still fetched into the profile;
   * one to save is fetched, checked and saved in one pass. */
  attachment = fetch_attachment (fetch);
  if (fetch->withheld != NULL)
    sotto_messenger_download_attachment_async (fetch->cli->messenger, attachment, NULL, downloaded_cb, fetch);
  else
    sotto_messenger_save_attachment_async (fetch->cli->messenger, attachment, fetch->dir, NULL,
                                           exported_cb, fetch);
}

/* Where receive writes files: --download-dir, or the profile's
 * downloads folder, made private to the user if it is new. */
static GFile *
download_dir (SottoCli  *cli,
              GError   **error)
{
  g_autofree char *path = cli->download_dir != NULL ? g_strdup (cli->download_dir)
                                                    : g_build_filename (cli->profile, DOWNLOADS_FOLDER, NULL);

  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not make the download folder %s: %s"), path, g_strerror (saved_errno));
      return NULL;
    }

  return g_file_new_for_path (path);
}

/* What a receive killed while it saved left in the download folder goes
 * as the next receive starts, whether or not it saves anything. */
void
sotto_cli_sweep_download_dir (SottoCli *cli)
{
  g_autofree char *path = cli->download_dir != NULL ? g_strdup (cli->download_dir)
                                                    : g_build_filename (cli->profile, DOWNLOADS_FOLDER, NULL);
  g_autoptr(GFile) dir = g_file_new_for_path (path);

  sotto_messenger_sweep_download_folder (cli->messenger, dir);
}

/* Downloads, checks and saves each attachment of @message in turn, then
 * calls @done with what became of each (SottoCliExport, in order). */
void
sotto_cli_fetch_attachments (SottoCli            *cli,
                             SottoConversation   *conversation,
                             SottoMessage        *message,
                             SottoCliFetchedFunc  done,
                             gpointer             data)
{
  Fetch *fetch = g_new0 (Fetch, 1);

  fetch->cli = cli;
  fetch->conversation = g_object_ref (conversation);
  fetch->message = g_object_ref (message);
  fetch->exports = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_cli_export_free);
  fetch->done = done;
  fetch->data = data;

  /* The message's own timer decides, not the conversation's, which may
   * have changed since the message was sent. */
  if (sotto_contact_get_standing (sotto_conversation_get_contact (conversation)) == SOTTO_CONTACT_STANDING_REQUEST)
    fetch->withheld = WITHHELD_REQUEST;
  else if (sotto_message_get_disappears (message))
    fetch->withheld = WITHHELD_DISAPPEARING;
  else
    fetch->dir = download_dir (cli, &fetch->dir_error);
  fetch_next (fetch);
}

/* "attachments": each with its name, type and size, and, from receive,
 * the file it was saved to and the SHA-256 of what was saved (null and
 * an "error" when it could not be, null and "withheld" when receive did
 * not save it on purpose); pictures have their "thumbnail", in
 * base64. */
void
sotto_cli_add_attachments (JsonBuilder  *builder,
                           SottoMessage *message,
                           GPtrArray    *exports)
{
  GListModel *attachments = sotto_message_get_attachments (message);
  guint n_items = g_list_model_get_n_items (attachments);

  if (n_items == 0)
    return;

  json_builder_set_member_name (builder, "attachments");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(SottoAttachment) attachment = g_list_model_get_item (attachments, i);
      SottoCliExport *export = exports != NULL && i < exports->len ? g_ptr_array_index (exports, i) : NULL;
      GBytes *thumbnail = sotto_attachment_get_thumbnail (attachment);

      json_builder_begin_object (builder);
      sotto_cli_add_string (builder, "name", sotto_attachment_get_name (attachment));
      sotto_cli_add_string (builder, "type", sotto_attachment_get_content_type (attachment));
      json_builder_set_member_name (builder, "size");
      json_builder_add_int_value (builder, (gint64) sotto_attachment_get_size (attachment));
      sotto_cli_add_string (builder, "sha256", export != NULL ? export->sha256 : NULL);
      sotto_cli_add_string (builder, "path", export != NULL ? export->path : NULL);
      if (export != NULL && export->error != NULL)
        sotto_cli_add_string (builder, "error", export->error);
      if (export != NULL && export->withheld != NULL)
        sotto_cli_add_string (builder, "withheld", export->withheld);
      if (thumbnail != NULL)
        {
          g_autofree char *encoded = g_base64_encode (g_bytes_get_data (thumbnail, NULL),
                                                      g_bytes_get_size (thumbnail));

          sotto_cli_add_string (builder, "thumbnail", encoded);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}
