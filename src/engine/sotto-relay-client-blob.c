/* sotto-relay-client-blob.c: attachment blobs through the relay
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-relay-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sotto-relay-client-blob-private.h"
#include "sotto-relay-client-internal-private.h"

#define UPLOAD_ID_LENGTH 64

/* A download is read and written up to this many bytes at a time:
 * each write is a job for a worker thread, and 256 KiB ones took a
 * fifth less processor time than 64 KiB ones (bench/attachment). */
#define DOWNLOAD_CHUNK_SIZE (256 * 1024)

/* What a request about one upload asked, which its answer must match:
 * the relay is not trusted to say which upload it answers for.  It rides
 * on the task as object data, since the request holds the task data. */
typedef struct
{
  char    *id;    /* NULL when the relay names a new upload */
  guint64  size;
} UploadQuery;

#define UPLOAD_QUERY_KEY "sotto-upload-query"

static void
upload_query_free (UploadQuery *query)
{
  g_free (query->id);
  g_free (query);
}

void
sotto_relay_upload_free (SottoRelayUpload *upload)
{
  if (upload == NULL)
    return;
  g_free (upload->id);
  g_free (upload);
}

static gboolean
is_upload_id (const char *id)
{
  gsize i;

  if (id == NULL || strlen (id) != UPLOAD_ID_LENGTH)
    return FALSE;
  for (i = 0; i < UPLOAD_ID_LENGTH; i++)
    if (!g_ascii_isdigit (id[i]) && !(id[i] >= 'a' && id[i] <= 'f'))
      return FALSE;

  return TRUE;
}

/* What a transfer has moved in the window under way, against what it
 * must move in each (SOTTO_RELAY_TRANSFER_WINDOW_MS): when a window ends
 * short, the transfer's own cancellable is cancelled, and its finish
 * tells why.  The caller's cancellable cancels it too.  It rides on the
 * task as object data, since the request holds the task data. */
typedef struct
{
  GCancellable *cancellable;
  GCancellable *caller;
  gulong        caller_handler;
  guint         source;
  guint64       min_bytes;
  guint64       moved;
  gboolean      too_slow;
  const char   *too_slow_message;
} TransferPace;

#define TRANSFER_PACE_KEY "sotto-transfer-pace"

static void
transfer_pace_free (TransferPace *pace)
{
  g_clear_handle_id (&pace->source, g_source_remove);
  if (pace->caller != NULL)
    g_cancellable_disconnect (pace->caller, pace->caller_handler);
  g_clear_object (&pace->caller);
  g_clear_object (&pace->cancellable);
  g_free (pace);
}

static gboolean
transfer_pace_check_cb (gpointer user_data)
{
  TransferPace *pace = user_data;

  if (pace->moved >= pace->min_bytes)
    {
      pace->moved = 0;
      return G_SOURCE_CONTINUE;
    }

  pace->too_slow = TRUE;
  pace->source = 0;
  g_cancellable_cancel (pace->cancellable);
  return G_SOURCE_REMOVE;
}

static void
transfer_caller_cancelled_cb (GCancellable *caller,
                              gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

/* A task whose I/O is cancelled by @cancellable, and by its pace: its
 * cancellable is the pace's, and a cancelled task still returns its own
 * error, so that one cancelled for its pace can say so. */
static GTask *
transfer_task_new (SottoRelayClient    *self,
                   const char          *too_slow_message,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  TransferPace *pace = g_new0 (TransferPace, 1);
  GTask *task;

  pace->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      pace->caller = g_object_ref (cancellable);
      pace->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (transfer_caller_cancelled_cb),
                                                    pace->cancellable, NULL);
    }
  pace->min_bytes = (guint64) self->transfer_min_bytes_per_second * self->transfer_window_ms / 1000;
  pace->too_slow_message = too_slow_message;
  pace->source = g_timeout_add (self->transfer_window_ms, transfer_pace_check_cb, pace);

  task = g_task_new (self, pace->cancellable, callback, user_data);
  g_task_set_check_cancellable (task, FALSE);
  g_object_set_data_full (G_OBJECT (task), TRANSFER_PACE_KEY, pace, (GDestroyNotify) transfer_pace_free);

  return task;
}

static void
transfer_moved (GTask *task,
                gsize  len)
{
  TransferPace *pace = g_object_get_data (G_OBJECT (task), TRANSFER_PACE_KEY);

  pace->moved += len;
}

/* The error a transfer ended with: the cancellation its pace made is
 * told as the relay's slowness, one the caller made stays what it is. */
static GError *
transfer_error (GAsyncResult *result,
                GError       *error)
{
  TransferPace *pace = g_object_get_data (G_OBJECT (result), TRANSFER_PACE_KEY);

  if (pace == NULL || !pace->too_slow
      || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || g_cancellable_is_cancelled (pace->caller))
    return error;

  g_error_free (error);
  return g_error_new_literal (SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE,
                              pace->too_slow_message);
}

static GTask *
upload_task_new (SottoRelayClient    *self,
                 const char          *id,
                 guint64              size,
                 gpointer             source_tag,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  /* Only an upload's bytes are bounded by their pace; the questions
   * about it have small answers, bounded as every other. */
  GTask *task = source_tag == _sotto_relay_client_put_upload_async
                ? transfer_task_new (self, _("The relay is receiving too slowly"),
                                     cancellable, callback, user_data)
                : g_task_new (self, cancellable, callback, user_data);
  UploadQuery *query = g_new0 (UploadQuery, 1);

  query->id = g_strdup (id);
  query->size = size;
  g_task_set_source_tag (task, source_tag);
  g_object_set_data_full (G_OBJECT (task), UPLOAD_QUERY_KEY, query,
                          (GDestroyNotify) upload_query_free);

  return task;
}

/* Tells the refusals that only attachments meet apart by the relay's
 * error code: a file too large for the relay, an account whose quota is
 * full, a blob that expired.  The user is told which, and none of them
 * is worth trying again as it is. */
static GError *
attachment_refusal (GAsyncResult *result,
                    GError       *error)
{
  SottoRelayRequest *request = g_task_get_task_data (G_TASK (result));
  const char *code;

  if (request == NULL || request->refusal == NULL || error->domain != SOTTO_RELAY_ERROR)
    return error;

  code = _sotto_relay_json_get_string (request->refusal, "error");
  if (g_strcmp0 (code, "too-large") == 0)
    error->code = SOTTO_RELAY_ERROR_TOO_LARGE;
  else if (g_strcmp0 (code, "quota-exceeded") == 0)
    error->code = SOTTO_RELAY_ERROR_QUOTA_EXCEEDED;
  else if (g_strcmp0 (code, "expired") == 0)
    error->code = SOTTO_RELAY_ERROR_EXPIRED;

  return error;
}

/* Reads an upload's state from the relay's answer, checked against what
 * was asked: the same id (when one was asked), the same size, an offset
 * within it, and complete only at its end (an empty blob stands at its
 * end before its upload, which makes it complete). */
static SottoRelayUpload *
upload_finish (SottoRelayClient  *self,
               GAsyncResult      *result,
               gpointer           source_tag,
               GError           **error)
{
  const UploadQuery *query = g_object_get_data (G_OBJECT (result), UPLOAD_QUERY_KEY);
  g_autoptr(JsonObject) object = NULL;
  SottoRelayUpload *upload;
  const char *id;
  gint64 offset;
  gint64 size;
  JsonNode *complete;
  GError *refusal = NULL;

  object = _sotto_relay_client_propagate_object (self, result, source_tag, &refusal);
  if (object == NULL)
    {
      g_propagate_error (error, transfer_error (result, attachment_refusal (result, refusal)));
      return NULL;
    }

  id = query->id != NULL ? query->id : _sotto_relay_json_get_string (object, "id");
  complete = json_object_get_member (object, "complete");
  if (!is_upload_id (id)
      || !_sotto_relay_json_get_int (object, "size", 0, G_MAXINT64, &size)
      || !_sotto_relay_json_get_int (object, "offset", 0, size, &offset)
      || (guint64) size != query->size
      || complete == NULL || !JSON_NODE_HOLDS_VALUE (complete)
      || json_node_get_value_type (complete) != G_TYPE_BOOLEAN
      || (json_node_get_boolean (complete) && offset != size))
    {
      _sotto_relay_set_bad_response (error, "attachment upload");
      return NULL;
    }

  upload = g_new0 (SottoRelayUpload, 1);
  upload->id = g_strdup (id);
  upload->offset = (guint64) offset;
  upload->size = (guint64) size;
  upload->complete = json_node_get_boolean (complete);

  return upload;
}

void
_sotto_relay_client_create_upload_async (SottoRelayClient    *self,
                                         guint64              size,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (size <= G_MAXINT64);

  task = upload_task_new (self, NULL, size, _sotto_relay_client_create_upload_async,
                          cancellable, callback, user_data);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "size");
  json_builder_add_int_value (builder, (gint64) size);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  _sotto_relay_client_request (self, task, "POST", "/v1/attachments", body, TRUE);
}

SottoRelayUpload *
_sotto_relay_client_create_upload_finish (SottoRelayClient  *self,
                                          GAsyncResult      *result,
                                          GError           **error)
{
  return upload_finish (self, result, _sotto_relay_client_create_upload_async, error);
}

void
_sotto_relay_client_get_upload_async (SottoRelayClient    *self,
                                      const char          *id,
                                      guint64              size,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (is_upload_id (id));

  task = upload_task_new (self, id, size, _sotto_relay_client_get_upload_async,
                          cancellable, callback, user_data);
  path = g_strdup_printf ("/v1/attachments/%s/upload", id);

  _sotto_relay_client_request (self, task, "GET", path, NULL, TRUE);
}

SottoRelayUpload *
_sotto_relay_client_get_upload_finish (SottoRelayClient  *self,
                                       GAsyncResult      *result,
                                       GError           **error)
{
  return upload_finish (self, result, _sotto_relay_client_get_upload_async, error);
}

static void
upload_wrote_cb (GTask       *task,
                 guint        len,
                 SoupMessage *message)
{
  transfer_moved (task, len);
}

void
_sotto_relay_client_put_upload_async (SottoRelayClient       *self,
                                      const SottoRelayUpload *upload,
                                      GInputStream           *rest,
                                      GCancellable           *cancellable,
                                      GAsyncReadyCallback     callback,
                                      gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (upload != NULL && is_upload_id (upload->id));
  g_return_if_fail (upload->offset < upload->size || upload->size == 0);
  g_return_if_fail (G_IS_INPUT_STREAM (rest));

  task = upload_task_new (self, upload->id, upload->size, _sotto_relay_client_put_upload_async,
                          cancellable, callback, user_data);
  path = g_strdup_printf ("/v1/attachments/%s", upload->id);
  message = _sotto_relay_client_new_message (self, task, "PUT", path, TRUE);
  if (message == NULL)
    return;

  /* Without a range the body is the whole blob, which is also how a
   * blob of no bytes at all is sent. */
  if (upload->offset > 0)
    soup_message_headers_set_content_range (soup_message_get_request_headers (message),
                                            (goffset) upload->offset,
                                            (goffset) upload->size - 1,
                                            (goffset) upload->size);
  soup_message_set_request_body (message, "application/octet-stream", rest,
                                 (gssize) (upload->size - upload->offset));
  g_signal_connect_object (message, "wrote-body-data", G_CALLBACK (upload_wrote_cb), task, G_CONNECT_SWAPPED);

  _sotto_relay_client_send_message (self, task, message);
}

SottoRelayUpload *
_sotto_relay_client_put_upload_finish (SottoRelayClient  *self,
                                       GAsyncResult      *result,
                                       GError           **error)
{
  return upload_finish (self, result, _sotto_relay_client_put_upload_async, error);
}

/* A download under way: where it goes, and how much has come.  One
 * chunk is read from the relay while the one before it is written (the
 * writer checks, and may decrypt, in a worker thread), so the network
 * and the cipher overlap; at most two chunks are held. */
typedef struct
{
  GInputStream  *in;
  GOutputStream *out;
  GBytes        *writing;   /* the chunk being written, or NULL */
  GBytes        *waiting;   /* the chunk read since, or NULL */
  gboolean       reading;
  gboolean       ended;     /* the relay's answer ended */
  GError        *error;     /* the first error, told once nothing is under way */
  gboolean       read_error;
  guint64        size;
  guint64        received;
} Download;

#define DOWNLOAD_KEY "sotto-download"

static void
download_free (Download *download)
{
  g_clear_object (&download->in);
  g_clear_object (&download->out);
  g_clear_pointer (&download->writing, g_bytes_unref);
  g_clear_pointer (&download->waiting, g_bytes_unref);
  g_clear_error (&download->error);
  g_free (download);
}

/* Keeps the first error; the others follow from it. */
static void
download_fail (Download *download,
               GError   *error,
               gboolean  read_error)
{
  if (download->error != NULL)
    {
      g_error_free (error);
      return;
    }
  download->error = error;
  download->read_error = read_error;
}

static void download_step (GTask *task);

static void
download_written_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Download *download = g_object_get_data (G_OBJECT (task), DOWNLOAD_KEY);
  GError *error = NULL;

  g_clear_pointer (&download->writing, g_bytes_unref);
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error))
    download_fail (download, error, FALSE);

  download_step (task);
}

static void
download_read_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Download *download = g_object_get_data (G_OBJECT (task), DOWNLOAD_KEY);
  g_autoptr(GBytes) chunk = NULL;
  GError *error = NULL;
  gsize len;

  download->reading = FALSE;
  chunk = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  if (chunk == NULL)
    {
      download_fail (download, error, TRUE);
      download_step (task);
      return;
    }

  len = g_bytes_get_size (chunk);
  if (len == 0)
    download->ended = TRUE;
  /* A hostile relay could send without end: no more than the blob's
   * size is ever written. */
  else if (len > download->size - download->received)
    download_fail (download,
                   g_error_new_literal (SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE,
                                        _("The relay sent a longer attachment than the message describes")),
                   FALSE);
  else
    {
      transfer_moved (task, len);
      download->received += len;
      download->waiting = g_steal_pointer (&chunk);
    }

  download_step (task);
}

/* Starts what can start: the write of the chunk read, the read of the
 * next; and once nothing is under way, ends the download. */
static void
download_step (GTask *task)
{
  Download *download = g_object_get_data (G_OBJECT (task), DOWNLOAD_KEY);

  if (download->error != NULL)
    {
      if (download->reading || download->writing != NULL)
        return;
      if (download->read_error)
        _sotto_relay_client_return_read_error (task, download->error);
      else
        g_task_return_error (task, g_steal_pointer (&download->error));
      return;
    }

  if (download->writing == NULL && download->waiting != NULL)
    {
      download->writing = g_steal_pointer (&download->waiting);
      g_output_stream_write_all_async (download->out,
                                       g_bytes_get_data (download->writing, NULL),
                                       g_bytes_get_size (download->writing),
                                       G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                       download_written_cb, g_object_ref (task));
    }

  if (download->ended)
    {
      if (download->writing != NULL)
        return;
      if (download->received != download->size)
        g_task_return_new_error (task, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE,
                                 _("The relay sent a shorter attachment than the message describes"));
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  if (!download->reading && download->waiting == NULL)
    {
      download->reading = TRUE;
      g_input_stream_read_bytes_async (download->in, DOWNLOAD_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                       g_task_get_cancellable (task),
                                       download_read_cb, g_object_ref (task));
    }
}

static void
download_response_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Download *download = g_object_get_data (G_OBJECT (task), DOWNLOAD_KEY);
  SottoRelayRequest *request = g_task_get_task_data (task);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  if (stream == NULL)
    {
      _sotto_relay_client_return_read_error (task, error);
      return;
    }

  /* A refusal is a JSON answer, read as every other one; only 200
   * carries the whole blob. */
  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (request->message)))
    {
      _sotto_relay_client_read_answer (task, stream);
      return;
    }
  if (soup_message_get_status (request->message) != SOUP_STATUS_OK)
    {
      g_task_return_new_error (task, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE,
                               _("The relay's answer is not an attachment"));
      return;
    }

  download->in = g_steal_pointer (&stream);
  download_step (task);
}

void
_sotto_relay_client_download_async (SottoRelayClient    *self,
                                    const char          *id,
                                    guint64              size,
                                    GOutputStream       *out,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *path = NULL;
  SottoRelayRequest *request;
  Download *download;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (is_upload_id (id));
  g_return_if_fail (G_IS_OUTPUT_STREAM (out));

  task = transfer_task_new (self, _("The relay is sending too slowly"), cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_relay_client_download_async);
  download = g_new0 (Download, 1);
  download->out = g_object_ref (out);
  download->size = size;
  g_object_set_data_full (G_OBJECT (task), DOWNLOAD_KEY, download, (GDestroyNotify) download_free);

  path = g_strdup_printf ("/v1/attachments/%s", id);
  message = _sotto_relay_client_new_message (self, task, "GET", path, TRUE);
  if (message == NULL)
    return;

  request = _sotto_relay_request_new (message);
  g_task_set_task_data (task, request, (GDestroyNotify) _sotto_relay_request_free);
  soup_session_send_async (self->session, message, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                           download_response_cb, g_object_ref (task));
}

gboolean
_sotto_relay_client_download_finish (SottoRelayClient  *self,
                                     GAsyncResult      *result,
                                     GError           **error)
{
  GError *refusal = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == _sotto_relay_client_download_async, FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), &refusal))
    {
      g_propagate_error (error, transfer_error (result, attachment_refusal (result, refusal)));
      return FALSE;
    }

  return TRUE;
}

void
_sotto_relay_client_set_transfer_pace (SottoRelayClient *self,
                                       guint             window_ms,
                                       guint             min_bytes_per_second)
{
  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (window_ms > 0);

  self->transfer_window_ms = window_ms;
  self->transfer_min_bytes_per_second = min_bytes_per_second;
}
