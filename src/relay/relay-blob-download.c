/* relay-blob-download.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Endpoint: GET /v1/attachments/ID, a committed blob or one range of
 * it, streamed from the store.  A worker reads RELAY_BLOB_CHUNK bytes
 * while the socket has room, and the next read starts only once they
 * are written: the relay holds one chunk per download, and whatever of
 * it the socket did not take, which libwebsockets writes before it calls
 * back for more.  The first chunk leaves in one write with the head.
 */

#include "config.h"

#include <libwebsockets.h>
#include <string.h>

#include "relay-blob-private.h"

typedef struct
{
  RelayBlobJob      job;
  gboolean          job_running;
  RelayRequest     *request;     /* referenced */
  RelayBlobInfo     info;
  RelayBlobHandle  *handle;
  guint64           first;       /* the range sent: [first, end) */
  guint64           end;
  guint64           position;    /* of the next read */
  guint8           *buffer;      /* RESPONSE_HEADROOM bytes, then the chunk read */
  gsize             ready;       /* bytes read and not yet written */
  gboolean          head_sent;
  gboolean          failed;      /* a read failed after the head went out */
} Download;

static RelayBlobStore *
download_store (Download *download)
{
  return download->request->server->blobs->store;
}

static void
close_handle (Download *download)
{
  if (download->handle == NULL)
    return;
  download_store (download)->klass->close (download_store (download), download->handle);
  download->handle = NULL;
}

static void
download_free (Download *download)
{
  RelayRequest *request = download->request;

  close_handle (download);
  if (request->stream == download)
    {
      request->stream = NULL;
      request->write_body = NULL;
      request->detached = NULL;
    }
  g_free (download->buffer);
  _relay_request_unref (request);
  g_free (download);
}

static void
read_run (RelayBlobJob *job)
{
  Download *download = job->data;
  RelayBlobStore *store = download_store (download);
  gsize length = (gsize) MIN ((guint64) RELAY_BLOB_CHUNK, download->end - download->position);

  job->status = store->klass->read (store, download->handle, download->position,
                                    download->buffer + RESPONSE_HEADROOM, length);
  if (job->status == RELAY_BLOB_OK)
    download->ready = length;
}

static void
read_done (RelayBlobJob *job)
{
  Download *download = job->data;
  RelayRequest *request = download->request;

  download->job_running = FALSE;
  if (!_relay_request_attached (request))
    {
      download_free (download);
      return;
    }
  /* The status has gone out, or is about to: only closing the
   * connection early can tell the client. */
  if (job->status != RELAY_BLOB_OK)
    {
      g_warning ("Cannot read attachment blob %s", download->info.id);
      download->failed = TRUE;
    }
  download->position += download->ready;
  lws_callback_on_writable (request->wsi);
}

static void
queue_read (Download *download)
{
  download->job_running = TRUE;
  _relay_blob_queue (download->request->server, &download->job, read_run, read_done, download);
}

/* Writes the head, with the first chunk behind it. */
static gsize
put_head (Download *download)
{
  RelayRequest *request = download->request;
  char head[RESPONSE_HEADER_ROOM];
  g_autofree char *content_range = NULL;
  int length;

  if (request->status == 206)
    content_range = g_strdup_printf ("content-range: bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                                     "/%" G_GUINT64_FORMAT "\r\n",
                                     download->first, download->end - 1, download->info.meta.size);
  length = g_snprintf (head, sizeof head,
                       "HTTP/1.%c %u %s\r\ncontent-type: application/octet-stream\r\n"
                       "content-length: %" G_GUINT64_FORMAT "\r\n%saccept-ranges: bytes\r\n"
                       "cache-control: no-store\r\n%s\r\n",
                       request->http_1_0 ? '0' : '1', request->status,
                       request->status == 206 ? "Partial Content" : "OK", download->end - download->first,
                       content_range != NULL ? content_range : "",
                       request->close_after ? "connection: close\r\n" : "");
  g_assert (length > 0 && (gsize) length < sizeof head);
  memcpy (download->buffer + RESPONSE_HEADROOM - length, head, (gsize) length);
  return (gsize) length;
}

static int
download_write (RelayRequest *request)
{
  Download *download = request->stream;
  gsize head_length = 0;
  guint8 *start;
  gsize length;

  if (download->failed)
    return -1;
  /* Nothing is ready yet: the read under way calls back. */
  if (download->job_running || (download->ready == 0 && download->position < download->end))
    return 0;
  if (!download->head_sent)
    head_length = put_head (download);
  start = download->buffer + RESPONSE_HEADROOM - head_length;
  length = head_length + download->ready;
  if (lws_write (request->wsi, start, length, LWS_WRITE_RAW) != (int) length)
    return -1;
  download->head_sent = TRUE;
  download->ready = 0;
  relay_slot_set_phase (wsi_slot (request->wsi), RELAY_PHASE_WRITING);
  if (download->position == download->end)
    {
      close_handle (download);
      return 1;
    }
  queue_read (download);
  return 0;
}

static void
download_detached (RelayRequest *request)
{
  Download *download = request->stream;

  if (!download->job_running)
    download_free (download);
}

/* Takes the answer over: the socket's writeable callbacks go to
 * download_write() until the range is all out. */
static void
start_streaming (Download *download,
                 guint     status)
{
  RelayRequest *request = download->request;

  request->status = status;
  request->responded = TRUE;
  request->stream = download;
  request->write_body = download_write;
  request->detached = download_detached;
  download->buffer = g_malloc (RESPONSE_HEADROOM + RELAY_BLOB_CHUNK);
  download->position = download->first;
  relay_slot_set_phase (wsi_slot (request->wsi), RELAY_PHASE_WRITING);
  if (download->end > download->first)
    queue_read (download);
  else
    lws_callback_on_writable (request->wsi);
}

static void
respond_unsatisfiable (Download *download)
{
  g_autoptr(JsonBuilder) builder = _relay_error_builder ("range-not-satisfiable",
                                                         "The range starts past the end of the attachment");

  json_builder_set_member_name (builder, "size");
  json_builder_add_int_value (builder, (gint64) download->info.meta.size);
  json_builder_end_object (builder);
  _relay_respond_builder (download->request, 416, builder);
}

static void
open_run (RelayBlobJob *job)
{
  Download *download = job->data;
  RelayBlobStore *store = download_store (download);

  job->status = store->klass->open (store, download->request->segments[3], FALSE, &download->info,
                                    &download->handle);
}

static void
open_done (RelayBlobJob *job)
{
  Download *download = job->data;
  RelayRequest *request = download->request;
  RelayBlobRangeKind kind = RELAY_BLOB_RANGE_WHOLE;
  guint64 size = download->info.meta.size;

  download->job_running = FALSE;
  if (_relay_request_attached (request) && job->status != RELAY_BLOB_OK)
    _relay_blob_respond_status (request, job->status);
  else if (_relay_request_attached (request) && _relay_blob_expired (request->server, &download->info.meta))
    _relay_respond_error (request, 410, "expired", "The attachment has expired");
  else if (_relay_request_attached (request))
    {
      if (request->range != NULL)
        kind = relay_blob_range_resolve (request->range, strlen (request->range), size, &download->first,
                                         &download->end);
      if (kind == RELAY_BLOB_RANGE_UNSATISFIABLE)
        respond_unsatisfiable (download);
      else
        {
          if (kind == RELAY_BLOB_RANGE_WHOLE)
            {
              download->first = 0;
              download->end = size;
            }
          start_streaming (download, kind == RELAY_BLOB_RANGE_PARTIAL ? 206 : 200);
          return;
        }
    }
  download_free (download);
}

void
_relay_blob_handle_download (RelayRequest *request)
{
  Download *download;
  const char *id;

  if (!_relay_blob_take_id (request, &id))
    return;
  download = g_new0 (Download, 1);
  download->request = _relay_request_ref (request);
  download->job_running = TRUE;
  _relay_blob_queue (request->server, &download->job, open_run, open_done, download);
}
