/* sotto-messenger-attachments.c: files sent and received through the messenger
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-messenger"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-attachment-plain-stream-private.h"
#include "sotto-attachment-service-private.h"
#include "sotto-contact.h"
#include "sotto-messenger-private.h"

/* The messenger's face for attachments; the attachment service
 * (sotto-attachment-service.c) does the work. */

/* Nothing comes down by itself from someone the user has not accepted:
 * a stranger must not learn that the message was opened, nor fill the
 * profile. */
static void
message_received_cb (SottoMessenger    *self,
                     SottoConversation *conversation,
                     SottoMessage      *message)
{
  if (sotto_contact_get_standing (sotto_conversation_get_contact (conversation)) != SOTTO_CONTACT_STANDING_ACCEPTED)
    return;

  _sotto_attachment_service_message_received (self->attachments, message);
}

/* Called once by _sotto_messenger_new(): the service, and the pictures
 * it downloads as they arrive. */
void
_sotto_messenger_attachments_init (SottoMessenger *self)
{
  self->attachments = _sotto_attachment_service_new (self->store, self->client, self->outbox);
  g_signal_connect_object (self->inbox, "message-received", G_CALLBACK (message_received_cb), self,
                           G_CONNECT_SWAPPED);
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(SottoMessage) message = NULL;
  GError *error = NULL;
  gboolean sent;

  sent = _sotto_attachment_service_send_finish (SOTTO_ATTACHMENT_SERVICE (object), result, &message, &error);
  if (message != NULL)
    g_task_set_task_data (task, g_steal_pointer (&message), g_object_unref);

  if (sent)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * sotto_messenger_send_with_attachments_async:
 * @self: a #SottoMessenger
 * @conversation: the conversation to write to
 * @text: the caption, which may be empty
 * @files: (array length=n_files): the files, at most 32
 * @n_files: how many
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay took the message, or could not
 * @user_data: data for @callback
 *
 * Encrypts each file into the profile and asks the relay for room for
 * it; a file the relay refuses (too large, over the account's quota)
 * fails the send before anything is stored or sent.  Then stores the
 * message, uploads the files (each #SottoAttachment of the message shows
 * its progress) and sends the message.  An upload that is cut short
 * fails with %SOTTO_MESSENGER_ERROR_QUEUED; the message is kept, and
 * sotto_messenger_flush_async() resumes the upload where it stopped.
 */
void
sotto_messenger_send_with_attachments_async (SottoMessenger      *self,
                                             SottoConversation   *conversation,
                                             const char          *text,
                                             GFile * const       *files,
                                             guint                n_files,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));
  g_return_if_fail (text != NULL && g_utf8_validate (text, -1, NULL));
  g_return_if_fail (files != NULL && n_files > 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_send_with_attachments_async);

  /* Writing to a message request accepts it. */
  if (sotto_contact_get_standing (sotto_conversation_get_contact (conversation)) != SOTTO_CONTACT_STANDING_ACCEPTED)
    sotto_messenger_accept_async (self, conversation, NULL, NULL, NULL);

  _sotto_attachment_service_send_async (self->attachments, conversation, text, files, n_files, cancellable,
                                        sent_cb, g_steal_pointer (&task));
}

/**
 * sotto_messenger_send_with_attachments_finish:
 * @self: a #SottoMessenger
 * @result: the result passed to the callback
 * @message: (out) (optional) (transfer full) (nullable): the message, if
 *   it was stored
 * @error: a location for a #GError
 *
 * Returns: %TRUE once the relay committed the message
 */
gboolean
sotto_messenger_send_with_attachments_finish (SottoMessenger  *self,
                                              GAsyncResult    *result,
                                              SottoMessage   **message,
                                              GError         **error)
{
  return sotto_messenger_send_finish (self, result, message, error);
}

/**
 * sotto_messenger_download_attachment_async:
 * @self: a #SottoMessenger
 * @attachment: an incoming attachment of one of the account's messages
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once it is ready or failed
 * @user_data: data for @callback
 *
 * Downloads @attachment into the profile, where it stays encrypted, and
 * checks it: a blob the relay swapped, truncated or damaged fails with
 * %SOTTO_ATTACHMENT_FILE_ERROR_REJECTED and nothing of it is kept.  It
 * is also how a failed download is tried again; a ready one is not
 * fetched twice.  sotto_attachment_cancel() stops it.
 */
void
sotto_messenger_download_attachment_async (SottoMessenger      *self,
                                           SottoAttachment     *attachment,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_ATTACHMENT (attachment));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_download_attachment_async);
  _sotto_attachment_service_download (self->attachments, attachment, task);
}

gboolean
sotto_messenger_download_attachment_finish (SottoMessenger  *self,
                                            GAsyncResult    *result,
                                            GError         **error)
{
  return _sotto_task_propagate_boolean (self, result, sotto_messenger_download_attachment_async, error);
}

/**
 * sotto_messenger_retry_upload_async:
 * @self: a #SottoMessenger
 * @attachment: an outgoing attachment whose upload failed (or was
 *   cancelled with sotto_attachment_cancel())
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once it is on the relay, or failed again
 * @user_data: data for @callback
 *
 * Uploads the rest of @attachment from where the relay stands, showing
 * its progress, then sends its message if all its files are on the
 * relay.  sotto_messenger_flush_async() resumes every such upload too,
 * with its progress on the attachment when a conversation shows it.
 */
void
sotto_messenger_retry_upload_async (SottoMessenger      *self,
                                    SottoAttachment     *attachment,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_ATTACHMENT (attachment));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_retry_upload_async);
  _sotto_attachment_service_retry_upload (self->attachments, attachment, task);
}

gboolean
sotto_messenger_retry_upload_finish (SottoMessenger  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  return _sotto_task_propagate_boolean (self, result, sotto_messenger_retry_upload_async, error);
}

/**
 * sotto_messenger_export_attachment_async:
 * @self: a #SottoMessenger
 * @attachment: a ready incoming attachment, or a sent one
 * @dir: the folder the user chose
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the file is written
 * @user_data: data for @callback
 *
 * Decrypts @attachment into a new file in @dir, named as its sender
 * named it (made safe; an existing file is never replaced: " (2)" and
 * so on are added).  The blob is checked again as it is read.
 */
void
sotto_messenger_export_attachment_async (SottoMessenger      *self,
                                         SottoAttachment     *attachment,
                                         GFile               *dir,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_ATTACHMENT (attachment));
  g_return_if_fail (G_IS_FILE (dir));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_export_attachment_async);
  _sotto_attachment_service_export (self->attachments, attachment, dir, task);
}

/**
 * sotto_messenger_export_attachment_finish:
 * @self: a #SottoMessenger
 * @result: the result passed to the callback
 * @sha256_hex: (out): the SHA-256 of the file written, in hex
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the file written
 */
/* A saved file and its SHA-256, from the task of @source_tag. */
static GFile *
propagate_saved (SottoMessenger  *self,
                 GAsyncResult    *result,
                 gpointer         source_tag,
                 char           **sha256_hex,
                 GError         **error)
{
  GFile *file;

  g_return_val_if_fail (sha256_hex != NULL, NULL);

  file = _sotto_task_propagate_pointer (self, result, source_tag, error);
  if (file != NULL)
    *sha256_hex = g_strdup (g_object_get_data (G_OBJECT (result), SOTTO_ATTACHMENT_EXPORT_SHA256));

  return file;
}

GFile *
sotto_messenger_export_attachment_finish (SottoMessenger  *self,
                                          GAsyncResult    *result,
                                          char           **sha256_hex,
                                          GError         **error)
{
  return propagate_saved (self, result, sotto_messenger_export_attachment_async, sha256_hex, error);
}

/**
 * sotto_messenger_save_attachment_async:
 * @self: a #SottoMessenger
 * @attachment: an incoming attachment, downloaded or not, or a sent one
 * @dir: the folder the user chose
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the file is written
 * @user_data: data for @callback
 *
 * Saves @attachment into @dir as sotto_messenger_export_attachment_async()
 * does; one that is not downloaded yet is downloaded into the profile,
 * checked and decrypted into @dir in one pass, which costs half the
 * reading and hashing of a download followed by an export.  Until the
 * blob passed its checks the plaintext is in a file without a name,
 * which a refused blob, or the process's end, takes with it.  The
 * attachment shows the download's progress, and is ready afterwards as
 * after sotto_messenger_download_attachment_async().
 */
void
sotto_messenger_save_attachment_async (SottoMessenger      *self,
                                       SottoAttachment     *attachment,
                                       GFile               *dir,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_ATTACHMENT (attachment));
  g_return_if_fail (G_IS_FILE (dir));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_save_attachment_async);
  _sotto_attachment_service_save (self->attachments, attachment, dir, task);
}

/**
 * sotto_messenger_save_attachment_finish:
 * @self: a #SottoMessenger
 * @result: the result passed to the callback
 * @sha256_hex: (out): the SHA-256 of the file written, in hex
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the file written
 */
GFile *
sotto_messenger_save_attachment_finish (SottoMessenger  *self,
                                        GAsyncResult    *result,
                                        char           **sha256_hex,
                                        GError         **error)
{
  return propagate_saved (self, result, sotto_messenger_save_attachment_async, sha256_hex, error);
}

/**
 * sotto_messenger_sweep_download_folder:
 * @self: a #SottoMessenger
 * @dir: a local folder that attachments are saved into
 *
 * Removes from @dir what a save that was killed midway left there: on a
 * file system without unnamed files (FAT, some network ones) a save
 * writes to a hidden part file, which a later save into @dir removes
 * too.  Only those part files go, and only when no process holds them.
 * Reads a bounded number of the folder's names, blocking on the disk.
 */
void
sotto_messenger_sweep_download_folder (SottoMessenger *self,
                                       GFile          *dir)
{
  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (G_IS_FILE (dir));

  sotto_attachment_plain_stream_sweep (dir);
}
