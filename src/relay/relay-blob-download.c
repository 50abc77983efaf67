/* relay-blob-download.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Endpoint: GET /v1/attachments/ID, a committed blob or one range of
 * it, streamed from the store.  A worker reads RELAY_BLOB_CHUNK bytes
 * ahead of the socket into one of two buffers while the other is
 * written, so that the socket rarely waits for the disk; a read starts
 * only once a buffer is free.  The relay holds two chunks per download,
 * and whatever of one the socket did not take, which libwebsockets
 * writes before it calls back for more.  The first chunk leaves in one
 * write with the head.
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
  guint64           written;     /* bytes of the range written */
  /* Each RESPONSE_HEADROOM bytes, then a chunk read: buffers[next] is
   * written next, and `filled` of them, from it on, wait to be. */
  guint8           *buffers[2];
  gsize             lengths[2];
  guint             next;
  guint             filled;
  guint             reading;     /* the buffer the read under way fills */
  gboolean          head_sent;
  gboolean          failed;      /* a read failed after the head went out */
} Download;

static RelayBlobStore *
download_store (Download *download)
{
  return download->request->server->blobs->store;
}

static void
download_free (Download *download)
{
  RelayRequest *request = download->request;

  relay_blob_store_close (download_store (download), &download->handle);
  if (request->stream == download)
    {
      request->stream = NULL;
      request->write_body = NULL;
      request->detached = NULL;
    }
  g_free (download->buffers[0]);
  g_free (download->buffers[1]);
  _relay_blob_release_stream (request);
  _relay_request_unref (request);
  g_free (download);
}

/* On a worker: it touches only the buffer the loop leaves alone until
 * read_done(). */
static void
read_run (RelayBlobJob *job)
{
  Download *download = job->data;
  RelayBlobStore *store = download_store (download);
  guint index = download->reading;

  job->status = store->klass->read (store, download->handle, download->position,
                                    download->buffers[index] + RESPONSE_HEADROOM, download->lengths[index]);
}

static void read_done (RelayBlobJob *job);

/* Reads the next chunk if a buffer is free and none is being read. */
static void
read_ahead (Download *download)
{
  if (download->job_running || download->filled == 2 || download->position == download->end)
    return;
  download->reading = (download->next + download->filled) % 2;
  download->lengths[download->reading] = (gsize) MIN ((guint64) RELAY_BLOB_CHUNK,
                                                      download->end - download->position);
  download->job_running = TRUE;
  _relay_blob_queue (download->request->server, &download->job, read_run, read_done, download);
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
      relay_blob_store_warn (request->server->blobs->store, "Cannot read attachment blob %s", download->info.id);
      download->failed = TRUE;
    }
  else
    {
      download->position += download->lengths[download->reading];
      download->filled++;
      read_ahead (download);
    }
  lws_callback_on_writable (request->wsi);
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
  memcpy (download->buffers[download->next] + RESPONSE_HEADROOM - length, head, (gsize) length);
  return (gsize) length;
}

static int
download_write (RelayRequest *request)
{
  Download *download = request->stream;
  gsize chunk_length = 0;
  gsize head_length = 0;
  guint8 *start;
  gsize length;

  if (download->failed)
    return -1;
  /* Nothing is ready yet: the read under way calls back. */
  if (download->filled == 0 && download->written < download->end - download->first)
    return 0;
  if (download->filled > 0)
    chunk_length = download->lengths[download->next];
  if (!download->head_sent)
    head_length = put_head (download);
  start = download->buffers[download->next] + RESPONSE_HEADROOM - head_length;
  length = head_length + chunk_length;
  if (lws_write (request->wsi, start, length, LWS_WRITE_RAW) != (int) length)
    return -1;
  download->head_sent = TRUE;
  download->written += chunk_length;
  if (download->filled > 0)
    {
      download->next ^= 1;
      download->filled--;
    }
  relay_slot_set_phase (wsi_slot (request->wsi), RELAY_PHASE_WRITING);
  if (download->written == download->end - download->first)
    {
      relay_blob_store_close (download_store (download), &download->handle);
      return 1;
    }
  read_ahead (download);
  if (download->filled > 0)
    lws_callback_on_writable (request->wsi);
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
  download->buffers[0] = g_malloc (RESPONSE_HEADROOM + RELAY_BLOB_CHUNK);
  download->buffers[1] = g_malloc (RESPONSE_HEADROOM + RELAY_BLOB_CHUNK);
  download->position = download->first;
  relay_slot_set_phase (wsi_slot (request->wsi), RELAY_PHASE_WRITING);
  if (download->end > download->first)
    read_ahead (download);
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

  job->status = store->klass->open (store, download->request->segments[3], NULL, FALSE, &download->info,
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

  if (!_relay_blob_take_id (request, &id) || !_relay_blob_take_stream (request))
    return;
  download = g_new0 (Download, 1);
  download->request = _relay_request_ref (request);
  download->job_running = TRUE;
  _relay_blob_queue (request->server, &download->job, open_run, open_done, download);
}
