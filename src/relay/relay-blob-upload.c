/* relay-blob-upload.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Endpoint: PUT /v1/attachments/ID, one part of an upload, streamed to
 * the store.  The request is taken over as soon as its head is read:
 * the relay stops reading from the socket, authenticates, opens the
 * upload, checks that the part starts where the upload stands, and only
 * then reads the body, RELAY_BLOB_CHUNK at a time.  One chunk is written
 * on a worker thread while the next fills; when both are full the relay
 * stops reading again, so that a client faster than the disk is held
 * back by TCP and the relay never holds more than two chunks of it.
 *
 * What arrives is kept: a part cut short by the client leaves every byte
 * it delivered written and synced, and the upload goes on from there.
 * A part that reaches the end of the blob is answered only once the
 * blob is durable and committed.
 */

#include "config.h"

#include <libwebsockets.h>
#include <string.h>

#include "relay-blob-private.h"

typedef struct _Upload
{
  RelayBlobJob           job;          /* the one step under way */
  gboolean               job_running;
  RelayRequest          *request;      /* referenced */
  guint64                body_length;
  gboolean               has_range;
  RelayBlobContentRange  range;
  gboolean               keep_alive;
  /* The key in RelayBlobService.active once registered: apart from
   * `info`, which a worker fills in while the loop may look the key up. */
  char                   id[RELAY_BLOB_ID_LENGTH + 1];
  gboolean               registered;
  gboolean               streaming;    /* holds one of the blob-streams, and the two chunks below */
  gboolean               behind;       /* came while a part of the id was under way here */
  RelayBlobInfo          info;
  RelayBlobHandle       *handle;
  GByteArray            *input;        /* the connection's, referenced: what it has read */
  gboolean               receiving;    /* the body is being read */
  guint64                received;     /* bytes of the body read */
  GByteArray            *filling;      /* read, not yet handed to the store */
  GByteArray            *writing;      /* being appended by the job */
  gboolean               rx_paused;
  gboolean               finishing;    /* the last step is under way */
  RelayBlobStatus        failure;      /* of an append, or the part was cut (make_room()) */
  struct _Upload        *waiter;       /* opened again once this part's slot is free */
  gboolean               made_room;    /* a part was cut for this one already */
} Upload;

static void advance (Upload *upload);
static void open_run (RelayBlobJob *job);
static void open_done (RelayBlobJob *job);

static RelayBlobStore *
upload_store (Upload *upload)
{
  return upload->request->server->blobs->store;
}

static void
set_reading (Upload   *upload,
             gboolean  reading)
{
  if (upload->rx_paused != reading || !_relay_request_attached (upload->request))
    return;
  upload->rx_paused = !reading;
  lws_rx_flow_control (upload->request->wsi, reading ? 1 : 0);
}

/* Frees the upload once nothing is left to do for it: its request is
 * answered or gone, no step is under way, and the store's handle is
 * closed. */
static void
maybe_free (Upload *upload)
{
  RelayRequest *request = upload->request;
  RelayBlobService *blobs = request->server->blobs;

  if (upload->job_running || upload->handle != NULL ||
      (_relay_request_attached (request) && !request->responded))
    return;
  if (upload->registered)
    g_hash_table_remove (blobs->active, upload->id);
  if (upload->streaming)
    _relay_blob_release_stream (request);
  request->stream = NULL;
  request->take_body = NULL;
  request->detached = NULL;
  g_clear_pointer (&upload->filling, g_byte_array_unref);
  g_clear_pointer (&upload->writing, g_byte_array_unref);
  g_byte_array_unref (upload->input);
  _relay_request_unref (request);
  g_free (upload);
}

static void
queue (Upload           *upload,
       RelayBlobJobFunc  run,
       RelayBlobJobFunc  done)
{
  upload->job_running = TRUE;
  _relay_blob_queue (upload->request->server, &upload->job, run, done, upload);
}

/* Steps on the worker threads. */

static void
open_run (RelayBlobJob *job)
{
  Upload *upload = job->data;
  RelayBlobStore *store = upload_store (upload);

  /* A part that came while another was being written here is only
   * told whose the upload is: opening it could commit the upload under
   * the other part. */
  if (upload->behind)
    job->status = store->klass->stat (store, upload->id, NULL, &upload->info);
  else
    job->status = relay_blob_store_open_upload (store, upload->id, upload->request->credentials->uuid,
                                                &upload->info, &upload->handle);
}

static void
append_run (RelayBlobJob *job)
{
  Upload *upload = job->data;
  RelayBlobStore *store = upload_store (upload);

  job->status = store->klass->append (store, upload->handle, upload->writing->data, upload->writing->len);
}

static void
sync_run (RelayBlobJob *job)
{
  Upload *upload = job->data;
  RelayBlobStore *store = upload_store (upload);

  job->status = store->klass->sync (store, upload->handle);
}

static void
finish_run (RelayBlobJob *job)
{
  Upload *upload = job->data;
  RelayBlobStore *store = upload_store (upload);

  if (upload->range.first + upload->body_length == upload->info.meta.size)
    job->status = store->klass->commit (store, upload->handle);
  else
    job->status = store->klass->sync (store, upload->handle);
}

/* Their ends, on the loop. */

static void
respond_offset (Upload *upload)
{
  guint64 offset = upload->range.first + upload->body_length;

  /* The body has been read to its end: the connection may go on. */
  upload->request->close_after = !upload->keep_alive;
  _relay_blob_respond_upload (upload->request, NULL, offset, offset == upload->info.meta.size,
                              &upload->info.meta);
}

/* A blob the upload opened and then did not find any more was removed
 * by the sweep meanwhile, whether its part was ending or still coming:
 * it expired, which the client is told rather than that it never was. */
static void
respond_failure (RelayRequest    *request,
                 RelayBlobStatus  status)
{
  if (status == RELAY_BLOB_NOT_FOUND)
    _relay_respond_error (request, 410, "expired", "The attachment expired before its upload ended");
  else
    _relay_blob_respond_status (request, status);
}

static void
finish_done (RelayBlobJob *job)
{
  Upload *upload = job->data;

  upload->job_running = FALSE;
  relay_blob_store_close (upload_store (upload), &upload->handle);
  if (_relay_request_attached (upload->request))
    {
      if (job->status == RELAY_BLOB_OK)
        respond_offset (upload);
      else
        respond_failure (upload->request, job->status);
    }
  maybe_free (upload);
}

static void
sync_done (RelayBlobJob *job)
{
  Upload *upload = job->data;
  Upload *waiter = g_steal_pointer (&upload->waiter);

  upload->job_running = FALSE;
  relay_blob_store_close (upload_store (upload), &upload->handle);
  if (waiter != NULL)
    queue (waiter, open_run, open_done);
  maybe_free (upload);
}

static void
append_done (RelayBlobJob *job)
{
  Upload *upload = job->data;
  RelayRequest *request = upload->request;

  upload->job_running = FALSE;
  g_byte_array_set_size (upload->writing, 0);
  if (job->status != RELAY_BLOB_OK)
    upload->failure = job->status;
  else if (_relay_request_attached (request) && upload->receiving)
    {
      /* The body deadline counts from the last chunk written, so that a
       * large body only has to keep coming. */
      relay_slot_set_phase (wsi_slot (request->wsi), RELAY_PHASE_BODY);
      set_reading (upload, TRUE);
    }
  advance (upload);
}

/* Moves what the socket delivered of the body into the chunk that
 * fills, and stops reading while that is full.  The input outlives its
 * connection here: what arrived before the client went is kept too. */
static void
take_input (Upload *upload)
{
  GByteArray *input = upload->input;
  gsize take;

  take = MIN (input->len, upload->body_length - upload->received);
  take = MIN (take, RELAY_BLOB_CHUNK - upload->filling->len);
  g_byte_array_append (upload->filling, input->data, (guint) take);
  g_byte_array_remove_range (input, 0, (guint) take);
  upload->received += take;
  if (upload->filling->len == RELAY_BLOB_CHUNK && upload->received < upload->body_length)
    set_reading (upload, FALSE);
}

/* Takes the next step.  A client that went away leaves its chunk
 * written and the upload synced, so that it resumes from there. */
static void
advance (Upload *upload)
{
  RelayRequest *request = upload->request;
  gboolean attached = _relay_request_attached (request);
  gboolean body_read;
  GByteArray *full;

  if (upload->receiving)
    take_input (upload);
  body_read = upload->received == upload->body_length;
  if (upload->job_running || upload->handle == NULL || upload->finishing)
    return;
  if (upload->failure != RELAY_BLOB_OK)
    {
      upload->receiving = FALSE;
      if (attached && !request->responded)
        respond_failure (request, upload->failure);
      upload->finishing = TRUE;
      queue (upload, sync_run, sync_done);
      return;
    }
  if (upload->filling->len > 0 && (upload->filling->len == RELAY_BLOB_CHUNK || body_read || !attached))
    {
      full = upload->filling;
      upload->filling = upload->writing;
      upload->writing = full;
      queue (upload, append_run, append_done);
      if (attached && upload->receiving)
        set_reading (upload, TRUE);
      return;
    }
  /* A part read to its end is committed even if its client did not
   * wait for the answer. */
  if (body_read && upload->receiving)
    {
      upload->receiving = FALSE;
      upload->finishing = TRUE;
      if (attached)
        relay_slot_set_phase (wsi_slot (request->wsi), RELAY_PHASE_BUSY);
      queue (upload, finish_run, finish_done);
      return;
    }
  if (!attached)
    {
      upload->finishing = TRUE;
      queue (upload, sync_run, sync_done);
    }
}

/* Checks the part against its owner's upload, which it was opened on;
 * answers and returns FALSE when it does not fit. */
static gboolean
part_fits (Upload *upload)
{
  RelayRequest *request = upload->request;
  RelayBlobInfo *info = &upload->info;
  g_autoptr(JsonBuilder) builder = NULL;

  if (_relay_blob_expired (request->server, &info->meta))
    {
      _relay_respond_error (request, 410, "expired", "The attachment has expired");
      return FALSE;
    }
  if (upload->range.total != info->meta.size)
    {
      _relay_respond_error (request, 400, "bad-range", "The part's total is not the upload's size");
      return FALSE;
    }
  if (upload->handle == NULL || upload->range.first != info->stored)
    {
      builder = _relay_error_builder (info->complete ? "complete" : "offset-mismatch",
                                      info->complete ? "The upload is complete"
                                                     : "The part does not start where the upload stands");
      json_builder_set_member_name (builder, "offset");
      json_builder_add_int_value (builder, (gint64) info->stored);
      json_builder_end_object (builder);
      _relay_respond_builder (request, 409, builder);
      return FALSE;
    }
  return TRUE;
}

/* One part at a time: the one before ends when its client goes, or
 * misses the body deadline.  Only the upload's owner is told that it is
 * busy, on this node or, from the store, on another: to anyone else the
 * upload does not exist, as the store's open answered. */
static RelayBlobStatus
claim (Upload          *upload,
       RelayBlobStatus  status)
{
  RelayRequest *request = upload->request;
  RelayBlobService *blobs = request->server->blobs;

  if (upload->behind && (status == RELAY_BLOB_OK || status == RELAY_BLOB_BUSY))
    status = strcmp (upload->info.meta.owner, request->credentials->uuid) == 0 ? RELAY_BLOB_BUSY
                                                                                  : RELAY_BLOB_NOT_FOUND;
  else if (status == RELAY_BLOB_OK && g_hash_table_contains (blobs->active, upload->id))
    status = RELAY_BLOB_BUSY;
  if (status != RELAY_BLOB_OK)
    return status;
  g_hash_table_insert (blobs->active, upload->id, upload);
  upload->registered = TRUE;
  return RELAY_BLOB_OK;
}

/* A store that writes only so many parts at once (PostgreSQL keeps a
 * connection for each) answers UNAVAILABLE once they are all under way,
 * and parts whose bodies come slowly hold theirs for as long as they
 * keep coming: a few accounts that each start the parts their share
 * allows could leave every other account unable to upload.  So an
 * account with no part under way here is given one: of the accounts
 * that hold the most parts, at least two, the part that received least
 * is cut (its client is answered 503 and what it delivered is kept, so
 * that it goes on from there later), and @upload is opened again once
 * that part's slot is free.  Returns whether a part was cut. */
static gboolean
make_room (Upload *upload)
{
  RelayBlobService *blobs = upload->request->server->blobs;
  g_autoptr(GHashTable) held = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  Upload *part;
  Upload *cut = NULL;
  guint cut_held = 1;

  if (upload->made_room)
    return FALSE;
  g_hash_table_iter_init (&iter, blobs->active);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &part))
    g_hash_table_insert (held, part->info.meta.owner,
                         GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (held, part->info.meta.owner)) + 1));
  if (g_hash_table_contains (held, upload->request->credentials->uuid))
    return FALSE;

  g_hash_table_iter_init (&iter, blobs->active);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &part))
    {
      guint parts = GPOINTER_TO_UINT (g_hash_table_lookup (held, part->info.meta.owner));

      if (!part->receiving || part->finishing || part->failure != RELAY_BLOB_OK || part->waiter != NULL)
        continue;
      if (parts > cut_held || (parts == cut_held && cut != NULL && part->received < cut->received))
        {
          cut = part;
          cut_held = parts;
        }
    }
  if (cut == NULL)
    return FALSE;

  upload->made_room = TRUE;
  /* Held until it is opened again: its request may go meanwhile. */
  upload->job_running = TRUE;
  cut->waiter = upload;
  cut->failure = RELAY_BLOB_UNAVAILABLE;
  advance (cut);
  return TRUE;
}

static void
open_done (RelayBlobJob *job)
{
  Upload *upload = job->data;
  RelayRequest *request = upload->request;

  upload->job_running = FALSE;
  if (job->status == RELAY_BLOB_UNAVAILABLE && _relay_request_attached (request) && make_room (upload))
    return;
  job->status = claim (upload, job->status);
  if (_relay_request_attached (request) && job->status != RELAY_BLOB_OK)
    _relay_blob_respond_status (request, job->status);
  else if (_relay_request_attached (request) && part_fits (upload))
    {
      upload->receiving = TRUE;
      relay_slot_set_phase (wsi_slot (request->wsi), RELAY_PHASE_BODY);
      set_reading (upload, TRUE);
      if (request->expect_continue)
        {
          request->continue_due = TRUE;
          lws_callback_on_writable (request->wsi);
        }
      advance (upload);
      return;
    }
  relay_blob_store_close (upload_store (upload), &upload->handle);
  maybe_free (upload);
}

static void
upload_authenticated (RelayRequest *request)
{
  Upload *upload = request->stream;
  RelayBlobService *blobs = request->server->blobs;
  const char *id;

  if (!_relay_blob_take_id (request, &id) || !_relay_blob_take_stream (request))
    return;
  upload->streaming = TRUE;
  g_strlcpy (upload->id, id, sizeof upload->id);
  /* The part is registered once its owner is known (claim()). */
  upload->behind = g_hash_table_contains (blobs->active, id);
  upload->filling = g_byte_array_sized_new (RELAY_BLOB_CHUNK);
  upload->writing = g_byte_array_sized_new (RELAY_BLOB_CHUNK);
  queue (upload, open_run, open_done);
}

static void
upload_take_body (RelayRequest *request)
{
  advance (request->stream);
}

static void
upload_detached (RelayRequest *request)
{
  Upload *upload = request->stream;

  advance (upload);
  maybe_free (upload);
}

/* Whether the request is a part of an upload, which this file reads. */
gboolean
_relay_blob_upload_claims (RelayRequest *request)
{
  return request->method == METHOD_PUT && request->n_segments == 4 &&
         strcmp (request->segments[1], "v1") == 0 && strcmp (request->segments[2], "attachments") == 0 &&
         !_relay_request_on_metrics_address (request);
}

/* Takes the request over, its head read and its body not yet. */
void
_relay_blob_upload_start (RelayRequest *request,
                          const char   *content_length)
{
  Upload *upload;
  guint64 length;

  /* Until the body has been read to its end, whatever answer the
   * request gets closes the connection. */
  gboolean keep_alive = !request->close_after;

  request->close_after = TRUE;
  if (content_length == NULL)
    {
      _relay_respond_error (request, 411, "length-required", "A request body needs a Content-Length");
      return;
    }
  if (!g_ascii_string_to_unsigned (content_length, 10, 0, G_MAXINT64, &length, NULL))
    {
      _relay_respond_error (request, 400, "bad-request", "The Content-Length is not valid");
      return;
    }
  upload = g_new0 (Upload, 1);
  upload->request = _relay_request_ref (request);
  upload->keep_alive = keep_alive;
  upload->body_length = length;
  upload->input = g_byte_array_ref (((Session *) lws_wsi_user (request->wsi))->input);
  request->stream = upload;
  request->take_body = upload_take_body;
  request->detached = upload_detached;
  /* Without a Content-Range, the body is the whole blob. */
  upload->range = (RelayBlobContentRange) { 0, length - 1, length };
  if (request->content_range != NULL &&
      (!relay_blob_content_range_parse (request->content_range, strlen (request->content_range), &upload->range) ||
       upload->range.last - upload->range.first + 1 != length))
    {
      _relay_respond_error (request, 400, "bad-range", "The Content-Range does not describe the body");
      maybe_free (upload);
      return;
    }
  /* Nothing of the body is read until the part is known to fit. */
  set_reading (upload, FALSE);
  _relay_request_authenticate (request, upload_authenticated);
}
