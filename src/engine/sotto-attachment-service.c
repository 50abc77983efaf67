/* sotto-attachment-service.c: the messenger's attachment transfers
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-attachment-service"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "sotto-attachment-file-private.h"
#include "sotto-attachment-service-internal-private.h"
#include "sotto-attachment-transfer-private.h"
#include "sotto-conversation-private.h"
#include "sotto-display-text-private.h"
#include "sotto-message-private.h"
#include "sotto-messenger.h"
#include "sotto-picture-private.h"
#include "sotto-store-attachments-private.h"

/* The attachment service moves files between the profile and the relay
 * for the messenger, one concern among its services.
 *
 * Sending: each file is described (name, type, a thumbnail of a picture),
 * encrypted into the profile's attachment folder, and given an upload on
 * the relay, which refuses a file too large or over the account's quota
 * before anything is stored or sent; then the message is stored with its
 * attachments, the blobs are uploaded with progress, and the outbox sends
 * the message once all of them are on the relay.  An upload cut short
 * (the relay went away, the process ended) stays in the store and
 * resumes from where the relay stands on the messenger's next flush.
 *
 * Receiving: an attachment is downloaded into the attachment folder and
 * checked (its length, digest and MAC) before it is ready; it stays
 * encrypted there, under the key the store seals, and is decrypted only
 * into a folder the user chose (export).  Pictures up to
 * auto-download-size are downloaded as they arrive. */

G_DEFINE_FINAL_TYPE (SottoAttachmentService, sotto_attachment_service, G_TYPE_OBJECT)

/* The object data key under which a download that saves leaves the file. */
#define SAVED_KEY "sotto-attachment-saved"

/* A message with files on its way out. */
typedef struct
{
  SottoConversation *conversation;
  char *text;
  GPtrArray *files;
  GPtrArray *records;
  GPtrArray *uploads;
  guint next;
  SottoMessage *message;
  GError *upload_error;
} Send;

static void
send_free (Send *send)
{
  /* Until the message is stored the blobs are nobody's. */
  if (send->message == NULL)
    {
      for (guint i = 0; i < send->uploads->len; i++)
        {
          SottoAttachmentUpload *upload = g_ptr_array_index (send->uploads, i);

          g_file_delete (upload->blob, NULL, NULL);
        }
    }

  g_clear_object (&send->conversation);
  g_free (send->text);
  g_ptr_array_unref (send->files);
  g_ptr_array_unref (send->records);
  g_ptr_array_unref (send->uploads);
  g_clear_object (&send->message);
  g_clear_error (&send->upload_error);
  g_free (send);
}

/* The attachment folder, private to the user like the rest of the
 * profile. */
static gboolean
ensure_folder (SottoAttachmentService  *self,
               GError                 **error)
{
  const char *path = g_file_peek_path (self->folder);

  if (g_mkdir_with_parents (path, 0700) == 0)
    return TRUE;

  {
    int saved_errno = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                 _("Could not make the attachment folder: %s"), g_strerror (saved_errno));
  }
  return FALSE;
}

/* A thumbnail of the picture at @path that fits in @budget bytes: a JPEG
 * (a PNG when the picture has transparency), smaller until it fits.  The
 * picture is decoded once, within bounds: it may be one that came from
 * the other side and declares billions of pixels. */
GBytes *
_sotto_attachment_make_thumbnail (const char *path,
                                  gsize       budget)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) stream = g_file_read (file, NULL, NULL);
  g_autoptr(GdkPixbuf) picture = NULL;

  if (stream == NULL)
    return NULL;
  picture = _sotto_picture_load_pixbuf (G_INPUT_STREAM (stream), SOTTO_ATTACHMENT_THUMBNAIL_SIDE, NULL, NULL);
  if (picture == NULL)
    return NULL;

  for (int side = SOTTO_ATTACHMENT_THUMBNAIL_SIDE; side >= SOTTO_ATTACHMENT_THUMBNAIL_SIDE / 8; side /= 2)
    {
      int width = gdk_pixbuf_get_width (picture);
      int height = gdk_pixbuf_get_height (picture);
      double scale = MIN (1.0, (double) side / MAX (width, height));
      g_autoptr(GdkPixbuf) scaled = gdk_pixbuf_scale_simple (picture, MAX (1, (int) (width * scale)),
                                                             MAX (1, (int) (height * scale)), GDK_INTERP_BILINEAR);
      g_autofree char *buffer = NULL;
      gsize len = 0;
      gboolean saved;

      if (scaled == NULL)
        return NULL;
      if (gdk_pixbuf_get_has_alpha (scaled))
        saved = gdk_pixbuf_save_to_buffer (scaled, &buffer, &len, "png", NULL, NULL);
      else
        saved = gdk_pixbuf_save_to_buffer (scaled, &buffer, &len, "jpeg", NULL, "quality", "75", NULL);
      if (!saved)
        return NULL;
      if (len <= MIN (budget, SOTTO_CONTENT_MAX_THUMBNAIL))
        return g_bytes_new_take (g_steal_pointer (&buffer), len);
    }

  return NULL;
}

/* The name a file is sent under: its display name, valid UTF-8 on one
 * line, cut to what the format carries at a character boundary. */
static char *
sendable_name (const char *display_name)
{
  g_autofree char *valid = _sotto_display_text_clean (display_name);
  const char *end = valid;

  while (*end != '\0' && (gsize) (g_utf8_next_char (end) - valid) <= SOTTO_CONTENT_MAX_FILE_NAME)
    end = g_utf8_next_char (end);

  return end > valid ? g_strndup (valid, end - valid) : NULL;
}

/* In a worker thread: what each file is, and a thumbnail of each
 * picture, as far as the message's budget for thumbnails goes. */
static void
describe_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  Send *send = task_data;
  gsize budget = SOTTO_CONTENT_MAX_THUMBNAILS;

  for (guint i = 0; i < send->files->len; i++)
    {
      GFile *file = g_ptr_array_index (send->files, i);
      g_autoptr(SottoAttachmentRecord) record = g_new0 (SottoAttachmentRecord, 1);
      g_autoptr(GFileInfo) info = NULL;
      g_autofree char *mime = NULL;
      const char *content_type;
      GError *error = NULL;

      info = g_file_query_info (file,
                                G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                                G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                                G_FILE_ATTRIBUTE_STANDARD_DISPLAY_NAME ","
                                G_FILE_ATTRIBUTE_STANDARD_CONTENT_TYPE,
                                G_FILE_QUERY_INFO_NONE, cancellable, &error);
      if (info == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                                   _("“%s” is not a file"), g_file_info_get_display_name (info));
          return;
        }

      content_type = g_file_info_get_content_type (info);
      mime = content_type != NULL ? g_content_type_get_mime_type (content_type) : NULL;
      if (mime == NULL || !_sotto_content_type_is_valid (mime, strlen (mime)))
        {
          g_free (mime);
          mime = g_strdup ("application/octet-stream");
        }

      record->state = SOTTO_ATTACHMENT_STATE_UPLOADING;
      record->index = i;
      record->pointer = sotto_attachment_pointer_new ();
      record->pointer->content_type = g_steal_pointer (&mime);
      record->pointer->file_name = sendable_name (g_file_info_get_display_name (info));
      record->pointer->size = (guint64) g_file_info_get_size (info);

      if (g_str_has_prefix (record->pointer->content_type, "image/")
          && record->pointer->size <= SOTTO_ATTACHMENT_MAX_THUMBNAIL_SOURCE
          && budget > 0)
        {
          g_autofree char *path = g_file_get_path (file);

          record->pointer->thumbnail = path != NULL ? _sotto_attachment_make_thumbnail (path, budget) : NULL;
          if (record->pointer->thumbnail != NULL)
            budget -= g_bytes_get_size (record->pointer->thumbnail);
        }

      g_ptr_array_add (send->records, g_steal_pointer (&record));
    }

  g_task_return_boolean (task, TRUE);
}

/* Storing what changed of an attachment, on the store's thread. */

static void
update_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  SottoAttachmentService *self = source_object;
  GError *error = NULL;

  if (_sotto_store_update_attachment (self->store, task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
_sotto_attachment_service_store_update_async (SottoAttachmentService      *self,
                                              const SottoAttachmentRecord *record,
                                              GAsyncReadyCallback          callback,
                                              gpointer                     user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

  g_task_set_task_data (task, _sotto_attachment_record_copy (record),
                        (GDestroyNotify) _sotto_attachment_record_free);
  _sotto_store_run_in_thread (self->store, task, update_thread);
}

/* An upload that the user cancelled stays cancelled: the store says it
 * failed rather than uploading, so that neither a flush nor the relay's
 * next connection resumes it, even after a restart; only Retry or
 * sending it again does. */
void
_sotto_attachment_service_store_cancelled_async (SottoAttachmentService      *self,
                                                 const SottoAttachmentRecord *record,
                                                 GAsyncReadyCallback          callback,
                                                 gpointer                     user_data)
{
  g_autoptr(SottoAttachmentRecord) failed = _sotto_attachment_record_copy (record);

  failed->state = SOTTO_ATTACHMENT_STATE_FAILED;
  _sotto_attachment_service_store_update_async (self, failed, callback, user_data);
}

/* Whether @attachment's upload stopped because the user cancelled it:
 * nothing else cancels the cancellable it ran with. */
static gboolean
upload_cancelled (SottoAttachment *attachment)
{
  return g_cancellable_is_cancelled (_sotto_attachment_get_cancellable (attachment));
}

/* Sending */

static void send_next_upload (GTask *task);

static void
send_sent_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* Every file is on the relay: the message goes. */
static void
send_message (GTask *task)
{
  SottoAttachmentService *self = g_task_get_source_object (task);
  Send *send = g_task_get_task_data (task);
  GTask *waiter = g_task_new (self->outbox, NULL, send_sent_cb, g_object_ref (task));

  _sotto_outbox_wait_for_message (self->outbox, waiter, sotto_message_get_id (send->message));
  _sotto_outbox_pump (self->outbox);
}

static void
send_uploaded_stored_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Send *send = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }

  send->next++;
  send_next_upload (g_steal_pointer (&task));
}

static SottoAttachment *
send_attachment (Send *send)
{
  GListModel *attachments = sotto_message_get_attachments (send->message);

  return g_list_model_get_item (attachments, send->next);
}

/* A SottoAttachmentProgressFunc for an upload: @user_data is its
 * SottoAttachment, which shows it. */
static void
upload_progress_cb (guint64  transferred,
                    gpointer user_data)
{
  SottoAttachment *attachment = user_data;

  _sotto_attachment_set_transfer (attachment, SOTTO_ATTACHMENT_STATE_UPLOADING, transferred, NULL);
}

/* The whole blob of @attachment is on the relay: the model says so, and
 * the record returned is what to store. */
static SottoAttachmentRecord *
mark_uploaded (SottoAttachment *attachment)
{
  SottoAttachmentRecord *record = _sotto_attachment_record_copy (_sotto_attachment_get_record (attachment));

  record->state = SOTTO_ATTACHMENT_STATE_SENT;
  record->transferred = sp_attachment_blob_size (record->pointer->size);
  _sotto_attachment_update (attachment, record);

  return record;
}

static void
send_cancelled_stored_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_error (task, error);
  else
    g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_QUEUED,
                             _("The attachment's upload was cancelled, it is kept until it is tried again"));
}

static void
send_uploaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoAttachmentService *self = g_task_get_source_object (task);
  Send *send = g_task_get_task_data (task);
  g_autoptr(SottoAttachment) attachment = send_attachment (send);
  g_autoptr(SottoAttachmentRecord) record = NULL;
  g_autoptr(GError) error = NULL;

  _sotto_attachment_upload_end (_sotto_attachment_get_record (attachment)->file);
  if (!sotto_attachment_upload_finish (result, &error))
    {
      /* The store still says uploading, unless the user cancelled it:
       * the next flush resumes it. */
      _sotto_attachment_set_transfer (attachment, SOTTO_ATTACHMENT_STATE_FAILED,
                                      _sotto_attachment_get_record (attachment)->transferred, error->message);
      if (upload_cancelled (attachment))
        {
          _sotto_attachment_service_store_cancelled_async (self, _sotto_attachment_get_record (attachment),
                                                           send_cancelled_stored_cb, g_steal_pointer (&task));
          return;
        }
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_QUEUED,
                               _("The attachment could not be uploaded, it is kept and resumed later: %s"),
                               error->message);
      return;
    }

  record = mark_uploaded (attachment);
  _sotto_attachment_service_store_update_async (self, record, send_uploaded_stored_cb, g_steal_pointer (&task));
}

static void
send_next_upload (GTask *task)
{
  SottoAttachmentService *self = g_task_get_source_object (task);
  Send *send = g_task_get_task_data (task);
  g_autoptr(SottoAttachment) attachment = NULL;
  const SottoAttachmentRecord *record;
  g_autoptr(GFile) blob = NULL;

  if (send->next == send->records->len)
    {
      send_message (task);
      g_object_unref (task);
      return;
    }

  attachment = send_attachment (send);
  record = _sotto_attachment_get_record (attachment);
  _sotto_attachment_reset_cancellable (attachment);
  /* The messenger, going online meanwhile, may have resumed it already:
   * that upload goes on, and sends the message once it is done.  Or the
   * user cancelled it while the files before it went, which failed it. */
  if (!_sotto_attachment_upload_begin (record->file, _sotto_attachment_get_cancellable (attachment), FALSE))
    {
      if (sotto_attachment_get_state (attachment) == SOTTO_ATTACHMENT_STATE_FAILED)
        g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_QUEUED,
                                 _("The attachment's upload was cancelled, it is kept until it is tried again"));
      else
        g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_QUEUED,
                                 _("The attachment is being uploaded already"));
      g_object_unref (task);
      return;
    }
  blob = g_file_new_for_path (record->file);
  sotto_attachment_upload_async (self->client, record->pointer->blob_id, blob, record->pointer->size,
                                 upload_progress_cb, attachment,
                                 _sotto_attachment_get_cancellable (attachment),
                                 send_uploaded_cb, task);
}

static void
send_stored_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Send *send = g_task_get_task_data (task);
  GError *error = NULL;

  if (!_sotto_outbox_send_finish (SOTTO_OUTBOX (object), result, &send->message, &error))
    {
      g_clear_object (&send->message);
      g_task_return_error (task, error);
      return;
    }

  send->next = 0;
  send_next_upload (g_steal_pointer (&task));
}

static void send_next_create (GTask *task);

static void
send_created_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Send *send = g_task_get_task_data (task);
  SottoAttachmentUpload *upload = g_ptr_array_index (send->uploads, send->next);
  SottoAttachmentRecord *record = g_ptr_array_index (send->records, send->next);
  GError *error = NULL;

  if (!sotto_attachment_create_upload_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  record->pointer->blob_id = g_strdup (upload->id);
  send->next++;
  send_next_create (g_steal_pointer (&task));
}

/* Each file gets its upload on the relay before anything is stored, so
 * that a refusal leaves nothing behind. */
static void
send_next_create (GTask *task)
{
  SottoAttachmentService *self = g_task_get_source_object (task);
  Send *send = g_task_get_task_data (task);

  if (send->next == send->records->len)
    {
      _sotto_outbox_store_with_attachments_async (self->outbox, send->conversation, send->text, send->records,
                                                  g_task_get_cancellable (task), send_stored_cb, task);
      return;
    }

  sotto_attachment_create_upload_async (self->client, g_ptr_array_index (send->uploads, send->next),
                                        g_task_get_cancellable (task), send_created_cb, task);
}

static void send_next_encrypt (GTask *task);

static void
send_encrypted_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Send *send = g_task_get_task_data (task);
  SottoAttachmentRecord *record = g_ptr_array_index (send->records, send->next);
  SottoAttachmentUpload *upload;
  GError *error = NULL;

  upload = sotto_attachment_encrypt_finish (result, &error);
  if (upload == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_ptr_array_add (send->uploads, upload);
  memcpy (record->pointer->key, upload->key, SP_ATTACHMENT_KEY_SIZE);
  memcpy (record->pointer->digest, upload->digest, SP_ATTACHMENT_DIGEST_SIZE);
  record->pointer->size = upload->size;
  record->file = g_file_get_path (upload->blob);
  send->next++;
  send_next_encrypt (g_steal_pointer (&task));
}

static void
send_next_encrypt (GTask *task)
{
  SottoAttachmentService *self = g_task_get_source_object (task);
  Send *send = g_task_get_task_data (task);

  if (send->next == send->files->len)
    {
      send->next = 0;
      send_next_create (task);
      return;
    }

  sotto_attachment_encrypt_async (g_ptr_array_index (send->files, send->next), self->folder,
                                  g_task_get_cancellable (task), send_encrypted_cb, task);
}

static void
send_described_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }

  send_next_encrypt (g_steal_pointer (&task));
}

void
_sotto_attachment_service_send_async (SottoAttachmentService *self,
                                      SottoConversation      *conversation,
                                      const char             *text,
                                      GFile * const          *files,
                                      guint                   n_files,
                                      GCancellable           *cancellable,
                                      GAsyncReadyCallback     callback,
                                      gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) describe = NULL;
  GError *error = NULL;
  Send *send;

  g_return_if_fail (SOTTO_IS_ATTACHMENT_SERVICE (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));
  g_return_if_fail (text != NULL);
  g_return_if_fail (files != NULL && n_files > 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_attachment_service_send_async);
  send = g_new0 (Send, 1);
  send->conversation = g_object_ref (conversation);
  send->text = g_strdup (text);
  send->files = g_ptr_array_new_with_free_func (g_object_unref);
  send->records = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_attachment_record_free);
  send->uploads = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_attachment_upload_free);
  for (guint i = 0; i < n_files; i++)
    g_ptr_array_add (send->files, g_object_ref (files[i]));
  g_task_set_task_data (task, send, (GDestroyNotify) send_free);

  if (n_files > SOTTO_CONTENT_MAX_ATTACHMENTS)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               g_dngettext (GETTEXT_PACKAGE, "A message takes at most %u file",
                                            "A message takes at most %u files", SOTTO_CONTENT_MAX_ATTACHMENTS),
                               (guint) SOTTO_CONTENT_MAX_ATTACHMENTS);
      return;
    }
  if (strlen (text) > SOTTO_MESSAGE_MAX_TEXT)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               g_dngettext (GETTEXT_PACKAGE, "The message is longer than %u byte",
                                            "The message is longer than %u bytes", SOTTO_MESSAGE_MAX_TEXT),
                               (guint) SOTTO_MESSAGE_MAX_TEXT);
      return;
    }
  if (!ensure_folder (self, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  describe = g_task_new (self, cancellable, send_described_cb, g_steal_pointer (&task));
  g_task_set_task_data (describe, send, NULL);
  g_task_run_in_thread (describe, describe_thread);
}

gboolean
_sotto_attachment_service_send_finish (SottoAttachmentService  *self,
                                       GAsyncResult            *result,
                                       SottoMessage           **message,
                                       GError                 **error)
{
  Send *send;

  g_return_val_if_fail (SOTTO_IS_ATTACHMENT_SERVICE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  send = g_task_get_task_data (G_TASK (result));
  if (message != NULL)
    *message = send->message != NULL ? g_object_ref (send->message) : NULL;

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Trying one failed upload again */

static void
retry_stored_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoAttachmentService *self = g_object_get_data (G_OBJECT (task), "service");
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* Its message may go now, if its other files are on the relay. */
  _sotto_outbox_pump (self->outbox);
  g_task_return_boolean (task, TRUE);
}

static void
retry_cancelled_stored_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_error (task, error);
  else
    g_task_return_error (task, g_error_copy (g_object_get_data (G_OBJECT (task), "error")));
}

static void
retry_uploaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoAttachmentService *self = g_object_get_data (G_OBJECT (task), "service");
  SottoAttachment *attachment = g_task_get_task_data (task);
  g_autoptr(SottoAttachmentRecord) record = NULL;
  GError *error = NULL;

  _sotto_attachment_upload_end (_sotto_attachment_get_record (attachment)->file);
  if (!sotto_attachment_upload_finish (result, &error))
    {
      /* The store still says what it said (uploading, or failed after
       * a Cancel), unless the user cancelled it now. */
      _sotto_attachment_set_transfer (attachment, SOTTO_ATTACHMENT_STATE_FAILED,
                                      _sotto_attachment_get_record (attachment)->transferred, error->message);
      if (upload_cancelled (attachment))
        {
          g_object_set_data_full (G_OBJECT (task), "error", error, (GDestroyNotify) g_error_free);
          _sotto_attachment_service_store_cancelled_async (self, _sotto_attachment_get_record (attachment),
                                                           retry_cancelled_stored_cb, g_steal_pointer (&task));
          return;
        }
      g_task_return_error (task, error);
      return;
    }

  record = mark_uploaded (attachment);
  _sotto_attachment_service_store_update_async (self, record, retry_stored_cb, g_steal_pointer (&task));
}

/* Uploads the rest of an outgoing attachment whose upload failed, from
 * where the relay stands, with its progress, then lets the outbox send
 * its message; completes @task, the caller's, with a boolean. */
void
_sotto_attachment_service_retry_upload (SottoAttachmentService *self,
                                        SottoAttachment        *attachment,
                                        GTask                  *task)
{
  const SottoAttachmentRecord *record;
  g_autoptr(GFile) blob = NULL;

  g_return_if_fail (SOTTO_IS_ATTACHMENT_SERVICE (self));
  g_return_if_fail (SOTTO_IS_ATTACHMENT (attachment));
  g_return_if_fail (G_IS_TASK (task));

  g_task_set_task_data (task, g_object_ref (attachment), g_object_unref);
  g_object_set_data_full (G_OBJECT (task), "service", g_object_ref (self), g_object_unref);
  record = _sotto_attachment_get_record (attachment);

  _sotto_attachment_reset_cancellable (attachment);
  if (!sotto_attachment_get_outgoing (attachment)
      || sotto_attachment_get_state (attachment) != SOTTO_ATTACHMENT_STATE_FAILED
      || record->file == NULL || record->pointer->blob_id == NULL
      || !_sotto_attachment_upload_begin (record->file, _sotto_attachment_get_cancellable (attachment), TRUE))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("The attachment is not one to upload now"));
      g_object_unref (task);
      return;
    }

  blob = g_file_new_for_path (record->file);
  _sotto_attachment_set_transfer (attachment, SOTTO_ATTACHMENT_STATE_UPLOADING, record->transferred, NULL);
  sotto_attachment_upload_async (self->client, record->pointer->blob_id, blob, record->pointer->size,
                                 upload_progress_cb, attachment,
                                 _sotto_attachment_get_cancellable (attachment), retry_uploaded_cb, task);
}

/* Downloading */

static void
download_progress_cb (guint64  transferred,
                      gpointer user_data)
{
  SottoAttachment *attachment = user_data;

  _sotto_attachment_set_transfer (attachment, SOTTO_ATTACHMENT_STATE_DOWNLOADING, transferred, NULL);
}

static void
download_stored_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoAttachment *attachment = g_task_get_task_data (task);
  const SottoAttachmentRecord *record = _sotto_attachment_get_record (attachment);
  GFile *saved = g_object_get_data (G_OBJECT (task), SAVED_KEY);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      _sotto_attachment_set_transfer (attachment, SOTTO_ATTACHMENT_STATE_FAILED, record->transferred,
                                      error->message);
      g_task_return_error (task, error);
      return;
    }

  if (record->state == SOTTO_ATTACHMENT_STATE_READY && saved != NULL)
    g_task_return_pointer (task, g_object_ref (saved), g_object_unref);
  else if (record->state == SOTTO_ATTACHMENT_STATE_READY)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_new_error (task, SOTTO_ATTACHMENT_FILE_ERROR, SOTTO_ATTACHMENT_FILE_ERROR_REJECTED,
                             "%s", sotto_attachment_get_error (attachment));
}

static void
downloaded_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoAttachmentService *self = g_object_get_data (G_OBJECT (task), "service");
  SottoAttachment *attachment = g_task_get_task_data (task);
  g_autoptr(SottoAttachmentRecord) record = _sotto_attachment_record_copy (_sotto_attachment_get_record (attachment));
  g_autoptr(GFile) blob = NULL;
  g_autoptr(GFile) saved = NULL;
  g_autofree char *sha256_hex = NULL;
  g_autoptr(GError) error = NULL;

  blob = sotto_attachment_download_finish (result, &saved, &sha256_hex, &error);
  if (blob == NULL)
    {
      /* A blob that is not the one described fails for good, until the
       * user tries again; one that did not come is only not there yet. */
      if (!g_error_matches (error, SOTTO_ATTACHMENT_FILE_ERROR, SOTTO_ATTACHMENT_FILE_ERROR_REJECTED))
        {
          _sotto_attachment_set_transfer (attachment, SOTTO_ATTACHMENT_STATE_FAILED, 0, error->message);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      record->state = SOTTO_ATTACHMENT_STATE_FAILED;
      record->transferred = 0;
      g_free (record->error);
      record->error = g_strdup (error->message);
      _sotto_attachment_update (attachment, record);
      _sotto_attachment_service_store_update_async (self, record, download_stored_cb, g_steal_pointer (&task));
      return;
    }

  record->state = SOTTO_ATTACHMENT_STATE_READY;
  record->transferred = sp_attachment_blob_size (record->pointer->size);
  g_free (record->file);
  record->file = g_file_get_path (blob);
  _sotto_attachment_update (attachment, record);
  if (saved != NULL)
    {
      g_object_set_data_full (G_OBJECT (task), SAVED_KEY, g_steal_pointer (&saved), g_object_unref);
      g_object_set_data_full (G_OBJECT (task), SOTTO_ATTACHMENT_EXPORT_SHA256, g_steal_pointer (&sha256_hex), g_free);
    }
  _sotto_attachment_service_store_update_async (self, record, download_stored_cb, g_steal_pointer (&task));
}

/* Downloads and checks @attachment into the profile, once, then
 * completes @task, the caller's, with a boolean; the attachment rides
 * on it.  With @save_dir, it is decrypted into @save_dir in the same
 * pass, and @task completes with the file as export's does. */
static void
download (SottoAttachmentService *self,
          SottoAttachment        *attachment,
          GFile                  *save_dir,
          GTask                  *task)
{
  const SottoAttachmentRecord *record;
  SottoAttachmentState state;
  GError *error = NULL;

  g_task_set_task_data (task, g_object_ref (attachment), g_object_unref);
  g_object_set_data_full (G_OBJECT (task), "service", g_object_ref (self), g_object_unref);
  record = _sotto_attachment_get_record (attachment);
  state = sotto_attachment_get_state (attachment);

  if (state == SOTTO_ATTACHMENT_STATE_READY)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  if (sotto_attachment_get_outgoing (attachment) || state == SOTTO_ATTACHMENT_STATE_DOWNLOADING
      || record->pointer->blob_id == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("The attachment is not one to download now"));
      g_object_unref (task);
      return;
    }
  if (!ensure_folder (self, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  _sotto_attachment_reset_cancellable (attachment);
  _sotto_attachment_set_transfer (attachment, SOTTO_ATTACHMENT_STATE_DOWNLOADING, 0, NULL);
  sotto_attachment_download_async (self->client, record->pointer->blob_id, record->pointer->key,
                                   record->pointer->digest, record->pointer->size, self->folder,
                                   save_dir, record->pointer->file_name,
                                   download_progress_cb, attachment,
                                   _sotto_attachment_get_cancellable (attachment),
                                   downloaded_cb, task);
}

void
_sotto_attachment_service_download (SottoAttachmentService *self,
                                    SottoAttachment        *attachment,
                                    GTask                  *task)
{
  g_return_if_fail (SOTTO_IS_ATTACHMENT_SERVICE (self));
  g_return_if_fail (SOTTO_IS_ATTACHMENT (attachment));
  g_return_if_fail (G_IS_TASK (task));

  download (self, attachment, NULL, task);
}

static void
exported_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autofree char *sha256_hex = NULL;
  GError *error = NULL;
  GFile *file;

  file = sotto_attachment_export_finish (result, &sha256_hex, &error);
  if (file == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_object_set_data_full (G_OBJECT (task), SOTTO_ATTACHMENT_EXPORT_SHA256, g_steal_pointer (&sha256_hex), g_free);
  g_task_return_pointer (task, file, g_object_unref);
}

/* Decrypts a ready attachment, or a sent one, into @dir: what the user
 * asked for, the only place plaintext is written.  Completes @task, the
 * caller's, with the new file, and the SHA-256 of its contents in hex as
 * the task's SOTTO_ATTACHMENT_EXPORT_SHA256 data. */
void
_sotto_attachment_service_export (SottoAttachmentService *self,
                                  SottoAttachment        *attachment,
                                  GFile                  *dir,
                                  GTask                  *task)
{
  const SottoAttachmentRecord *record;
  g_autoptr(GFile) blob = NULL;

  g_return_if_fail (SOTTO_IS_ATTACHMENT_SERVICE (self));
  g_return_if_fail (SOTTO_IS_ATTACHMENT (attachment));
  g_return_if_fail (G_IS_FILE (dir) && G_IS_TASK (task));

  record = _sotto_attachment_get_record (attachment);
  if (record->file == NULL
      || (record->state != SOTTO_ATTACHMENT_STATE_READY && record->state != SOTTO_ATTACHMENT_STATE_SENT))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("The attachment is not downloaded"));
      g_object_unref (task);
      return;
    }

  blob = g_file_new_for_path (record->file);
  sotto_attachment_export_async (blob, record->pointer->key, record->pointer->digest, record->pointer->size,
                                 dir, record->pointer->file_name, g_task_get_cancellable (task),
                                 exported_cb, task);
}

/* Saves @attachment into @dir, as the user asked: a ready attachment,
 * or a sent one, is exported; one not downloaded yet is downloaded,
 * checked and decrypted in one pass, which reads and hashes it half as
 * often as a download then an export.  Completes @task as export. */
void
_sotto_attachment_service_save (SottoAttachmentService *self,
                                SottoAttachment        *attachment,
                                GFile                  *dir,
                                GTask                  *task)
{
  SottoAttachmentState state;

  g_return_if_fail (SOTTO_IS_ATTACHMENT_SERVICE (self));
  g_return_if_fail (SOTTO_IS_ATTACHMENT (attachment));
  g_return_if_fail (G_IS_FILE (dir) && G_IS_TASK (task));

  state = sotto_attachment_get_state (attachment);
  if (state == SOTTO_ATTACHMENT_STATE_READY || state == SOTTO_ATTACHMENT_STATE_SENT)
    _sotto_attachment_service_export (self, attachment, dir, task);
  else
    download (self, attachment, dir, task);
}

/* Automatic downloads */

/* Ends work that nobody waits for: @user_data says what it was, for the
 * debug log, should it fail. */
static void
unattended_done_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  const char *what = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_debug ("Could not %s: %s", what, error->message);
}

void
_sotto_attachment_service_set_auto_download_size (SottoAttachmentService *self,
                                                  guint64                 size)
{
  g_return_if_fail (SOTTO_IS_ATTACHMENT_SERVICE (self));

  self->auto_download_size = size;
}

/* Pictures of @message up to auto-download-size come down at once. */
void
_sotto_attachment_service_message_received (SottoAttachmentService *self,
                                            SottoMessage           *message)
{
  GListModel *attachments;

  g_return_if_fail (SOTTO_IS_ATTACHMENT_SERVICE (self));

  attachments = sotto_message_get_attachments (message);
  for (guint i = 0; i < g_list_model_get_n_items (attachments); i++)
    {
      g_autoptr(SottoAttachment) attachment = g_list_model_get_item (attachments, i);

      if (g_str_has_prefix (sotto_attachment_get_content_type (attachment), "image/")
          && sotto_attachment_get_size (attachment) <= self->auto_download_size
          && sotto_attachment_get_state (attachment) == SOTTO_ATTACHMENT_STATE_AVAILABLE)
        _sotto_attachment_service_download (self, attachment, g_task_new (self, NULL, unattended_done_cb, (gpointer) "download a picture"));
    }
}

/* The services at work, by their attachment folder (unique across
 * profiles): a model whose upload waits, with no transfer to stop, finds
 * through it the store of the profile its blob is in. */
G_LOCK_DEFINE_STATIC (services);
static GHashTable *services;

/* The service of the profile that holds the blob @file, if it is open. */
SottoAttachmentService *
_sotto_attachment_service_find (const char *file)
{
  g_autofree char *folder = NULL;
  SottoAttachmentService *self = NULL;

  g_return_val_if_fail (file != NULL, NULL);

  folder = g_path_get_dirname (file);
  G_LOCK (services);
  if (services != NULL && (self = g_hash_table_lookup (services, folder)) != NULL)
    g_object_ref (self);
  G_UNLOCK (services);

  return self;
}

/* The user cancelled the upload of @record, which waits to resume with
 * no transfer under way: it is stored failed. */
void
_sotto_attachment_service_cancel_waiting (SottoAttachmentService      *self,
                                          const SottoAttachmentRecord *record)
{
  g_return_if_fail (SOTTO_IS_ATTACHMENT_SERVICE (self));
  g_return_if_fail (record != NULL);

  _sotto_attachment_service_store_cancelled_async (self, record, unattended_done_cb,
                                                   (gpointer) "keep an attachment's upload cancelled");
}

SottoAttachmentService *
_sotto_attachment_service_new (SottoStore       *store,
                               SottoRelayClient *client,
                               SottoOutbox      *outbox)
{
  SottoAttachmentService *self;

  self = g_object_new (SOTTO_TYPE_ATTACHMENT_SERVICE, NULL);
  self->store = g_object_ref (store);
  self->client = g_object_ref (client);
  self->outbox = g_object_ref (outbox);
  self->folder = g_file_get_child (sotto_store_get_directory (store), SOTTO_ATTACHMENT_FOLDER);

  G_LOCK (services);
  if (services == NULL)
    services = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_insert (services, g_file_get_path (self->folder), self);
  G_UNLOCK (services);

  return self;
}

/* Before the last reference goes, so that a lookup cannot find a
 * service being finalized. */
static void
sotto_attachment_service_dispose (GObject *object)
{
  SottoAttachmentService *self = (SottoAttachmentService *) object;

  G_LOCK (services);
  if (services != NULL && self->folder != NULL
      && g_hash_table_lookup (services, g_file_peek_path (self->folder)) == self)
    g_hash_table_remove (services, g_file_peek_path (self->folder));
  G_UNLOCK (services);

  G_OBJECT_CLASS (sotto_attachment_service_parent_class)->dispose (object);
}

static void
sotto_attachment_service_finalize (GObject *object)
{
  SottoAttachmentService *self = (SottoAttachmentService *) object;

  /* Each resume holds the service. */
  g_assert (g_queue_is_empty (&self->resumes));
  g_clear_object (&self->store);
  g_clear_object (&self->client);
  g_clear_object (&self->outbox);
  g_clear_object (&self->folder);

  G_OBJECT_CLASS (sotto_attachment_service_parent_class)->finalize (object);
}

static void
sotto_attachment_service_class_init (SottoAttachmentServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sotto_attachment_service_dispose;
  object_class->finalize = sotto_attachment_service_finalize;
}

static void
sotto_attachment_service_init (SottoAttachmentService *self)
{
}
