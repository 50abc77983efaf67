/* relay-blob-server.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Attachment blobs: the store, what each account is charged for the
 * blobs it created, the sweep of expired ones, and the endpoints that
 * create an upload and tell how far it got.  The bytes themselves
 * stream through relay-blob-upload.c and relay-blob-download.c.
 *
 * On the filesystem, the quota lives in memory, worked out from the
 * store when the relay starts and kept up as blobs come and go: the
 * store holds each blob's owner, size and time of creation, so that it
 * needs no table in the relay's database and the backend only stores.
 * A shared store (PostgreSQL) keeps the usage itself, where every node
 * sees it.  An account is charged the declared size of every blob it
 * created, complete or not, until the blob expires,
 * RELAY_BLOB_MIN_CHARGE at least.
 */

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "relay-blob-private.h"

static void
job_work_cb (uv_work_t *work)
{
  RelayBlobJob *job = work->data;

  job->run (job);
}

static void
job_after_cb (uv_work_t *work,
              int        status)
{
  RelayBlobJob *job = work->data;

  job->done (job);
}

/* Runs `run` on a worker thread, then `done` on the loop. */
void
_relay_blob_queue (RelayServer      *self,
                   RelayBlobJob     *job,
                   RelayBlobJobFunc  run,
                   RelayBlobJobFunc  done,
                   gpointer          data)
{
  job->work.data = job;
  job->server = self;
  job->run = run;
  job->done = done;
  job->data = data;
  job->status = RELAY_BLOB_FAILED;
  uv_queue_work (&self->loop, &job->work, job_work_cb, job_after_cb);
}

static guint64 *
usage_of (RelayBlobService *blobs,
          const char       *owner)
{
  guint64 *used = g_hash_table_lookup (blobs->usage, owner);

  if (used == NULL)
    {
      used = g_new0 (guint64, 1);
      g_hash_table_insert (blobs->usage, g_strdup (owner), used);
    }
  return used;
}

static void
usage_release (RelayBlobService *blobs,
               const char       *owner,
               guint64           size)
{
  guint64 *used = usage_of (blobs, owner);

  *used -= MIN (*used, relay_blob_charge (size));
  if (*used == 0)
    g_hash_table_remove (blobs->usage, owner);
}

static void
count_usage (const RelayBlobInfo *info,
             gpointer             user_data)
{
  RelayBlobService *blobs = user_data;

  *usage_of (blobs, info->meta.owner) += relay_blob_charge (info->meta.size);
}

gboolean
_relay_blob_expired (RelayServer         *self,
                     const RelayBlobMeta *meta)
{
  return meta->created_ms + self->config->blob_max_age_seconds * 1000 <= _relay_now_ms ();
}

/* The sweep: a worker removes what expired, then the loop gives the
 * owners their quota back. */

typedef struct
{
  RelayBlobJob  job;
  GArray       *removed;   /* of RelayBlobInfo */
} SweepJob;

static void
sweep_run (RelayBlobJob *job)
{
  SweepJob *sweep = (SweepJob *) job;
  RelayServer *self = job->server;

  sweep->removed = relay_blob_store_sweep (self->blobs->store, _relay_now_ms (),
                                           self->config->blob_max_age_seconds * 1000);
}

static void
sweep_done (RelayBlobJob *job)
{
  SweepJob *sweep = (SweepJob *) job;
  RelayBlobService *blobs = job->server->blobs;

  /* A shared store gave the quota back as it removed them. */
  for (guint i = 0; i < sweep->removed->len; i++)
    {
      RelayBlobInfo *info = &g_array_index (sweep->removed, RelayBlobInfo, i);

      if (!blobs->store->klass->shared)
        usage_release (blobs, info->meta.owner, info->meta.size);
    }
  if (sweep->removed->len > 0)
    g_message ("Removed %u expired attachment blobs", sweep->removed->len);
  blobs->sweeping = FALSE;
  g_array_unref (sweep->removed);
  g_free (sweep);
}

static void
sweep_cb (uv_timer_t *timer)
{
  RelayServer *self = timer->data;
  SweepJob *sweep;

  if (self->blobs->sweeping || self->draining)
    return;
  self->blobs->sweeping = TRUE;
  sweep = g_new0 (SweepJob, 1);
  _relay_blob_queue (self, &sweep->job, sweep_run, sweep_done, NULL);
}

/* Opens the store: the relay's PostgreSQL database when it has one,
 * else DATA_DIR/blobs, from which it works out every account's usage,
 * which takes a look at every blob: the relay does it once, before it
 * serves. */
gboolean
_relay_blob_service_init (RelayServer  *self,
                          GError      **error)
{
  g_autofree char *dir = g_build_filename (self->config->data_dir, "blobs", NULL);
  RelayBlobService *blobs;
  RelayBlobStore *store;
  guint64 interval_ms = (guint64) self->config->blob_sweep_seconds * 1000;

  /* A part's connection idles while its client sends a chunk, for at
   * most body-timeout-seconds when its node is well. */
  store = self->config->database_url != NULL
            ? relay_blob_store_new_postgresql (self->config->database_url, 2 * self->config->body_timeout_seconds, error)
            : relay_blob_store_new_filesystem (dir);
  if (store == NULL)
    return FALSE;
  blobs = self->blobs = g_new0 (RelayBlobService, 1);
  blobs->store = store;
  blobs->usage = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  blobs->active = g_hash_table_new (g_str_hash, g_str_equal);
  blobs->account_streams = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (!store->klass->shared && store->klass->scan (store, count_usage, blobs) != RELAY_BLOB_OK)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot read the attachment blobs in %s", dir);
      return FALSE;
    }
  uv_timer_init (&self->loop, &blobs->sweep);
  blobs->sweep.data = self;
  uv_timer_start (&blobs->sweep, sweep_cb, 0, interval_ms);
  return TRUE;
}

void
_relay_blob_service_close (RelayServer *self)
{
  if (self->blobs != NULL && self->blobs->sweep.data != NULL)
    uv_close ((uv_handle_t *) &self->blobs->sweep, NULL);
}

/* After the loop has run its last jobs. */
void
_relay_blob_service_free (RelayServer *self)
{
  RelayBlobService *blobs = self->blobs;

  if (blobs == NULL)
    return;
  g_assert (g_hash_table_size (blobs->active) == 0);
  relay_blob_store_free (blobs->store);
  g_hash_table_unref (blobs->usage);
  g_hash_table_unref (blobs->active);
  g_hash_table_unref (blobs->account_streams);
  g_free (blobs);
}

void
_relay_blob_respond_quota (RelayRequest *request)
{
  _relay_respond_error (request, 507, "quota-exceeded", "The account's attachments fill its quota until some expire");
}

void
_relay_blob_respond_busy (RelayRequest *request)
{
  _relay_respond_error (request, 409, "upload-busy", "A part of this upload is still being received");
}

/* Answers for a store that could not do what was asked. */
void
_relay_blob_respond_status (RelayRequest    *request,
                            RelayBlobStatus  status)
{
  switch (status)
    {
    case RELAY_BLOB_NOT_FOUND:
      _relay_respond_error (request, 404, "not-found", "No such attachment");
      break;
    case RELAY_BLOB_NO_SPACE:
      _relay_respond_error (request, 507, "storage-full", "The relay has no room for attachments now");
      break;
    case RELAY_BLOB_QUOTA:
      _relay_blob_respond_quota (request);
      break;
    case RELAY_BLOB_BUSY:
      _relay_blob_respond_busy (request);
      break;
    case RELAY_BLOB_ACCOUNT_BUSY:
      _relay_respond_error (request, 429, "rate-limited",
                            "The account has too many attachment uploads under way; try again later");
      break;
    case RELAY_BLOB_UNAVAILABLE:
      _relay_respond_error (request, 503, "unavailable", "Too many attachment transfers are under way; try again later");
      break;
    case RELAY_BLOB_OK:
    case RELAY_BLOB_FAILED:
    default:
      _relay_respond_storage_failure (request);
      break;
    }
}

/* The blob id in the path, which is answered 404 when it cannot be one. */
gboolean
_relay_blob_take_id (RelayRequest  *request,
                     const char   **id)
{
  *id = request->segments[3];
  if (relay_blob_id_is_valid (*id, strlen (*id)))
    return TRUE;
  _relay_respond_error (request, 404, "not-found", "No such attachment");
  return FALSE;
}

/* Each upload or download under way holds two chunks, and lws may hold
 * a third of a download its client does not read: without a bound, a
 * client that opens many and reads none makes the relay hold far more
 * than it sends.  And so that one account cannot take them all, each
 * may hold only blob-streams-per-account.  Takes one for the request's
 * account, or answers and returns FALSE when none is left. */
gboolean
_relay_blob_take_stream (RelayRequest *request)
{
  RelayBlobService *blobs = request->server->blobs;
  const char *account = request->credentials->uuid;
  guint held = GPOINTER_TO_UINT (g_hash_table_lookup (blobs->account_streams, account));

  if (held >= request->server->config->blob_streams_per_account)
    {
      _relay_respond_error (request, 429, "rate-limited",
                            "The account has too many attachment transfers under way; try again later");
      return FALSE;
    }
  if (blobs->streams >= request->server->config->blob_streams)
    {
      _relay_respond_error (request, 503, "unavailable",
                            "Too many attachment transfers are under way; try again later");
      return FALSE;
    }
  blobs->streams++;
  g_hash_table_insert (blobs->account_streams, g_strdup (account), GUINT_TO_POINTER (held + 1));
  return TRUE;
}

void
_relay_blob_release_stream (RelayRequest *request)
{
  RelayBlobService *blobs = request->server->blobs;
  const char *account = request->credentials->uuid;
  guint held = GPOINTER_TO_UINT (g_hash_table_lookup (blobs->account_streams, account));

  g_assert (blobs->streams > 0 && held > 0);
  blobs->streams--;
  if (held == 1)
    g_hash_table_remove (blobs->account_streams, account);
  else
    g_hash_table_insert (blobs->account_streams, g_strdup (account), GUINT_TO_POINTER (held - 1));
}

/* Answers where an upload stands, and its id when `id` is not NULL. */
void
_relay_blob_respond_upload (RelayRequest        *request,
                            const char          *id,
                            guint64              offset,
                            gboolean             complete,
                            const RelayBlobMeta *meta)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  if (id != NULL)
    {
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, id);
    }
  json_builder_set_member_name (builder, "offset");
  json_builder_add_int_value (builder, (gint64) offset);
  json_builder_set_member_name (builder, "size");
  json_builder_add_int_value (builder, (gint64) meta->size);
  json_builder_set_member_name (builder, "complete");
  json_builder_add_boolean_value (builder, complete);
  json_builder_set_member_name (builder, "expiresAt");
  json_builder_add_int_value (builder, meta->created_ms + request->server->config->blob_max_age_seconds * 1000);
  json_builder_end_object (builder);
  _relay_respond_builder (request, 200, builder);
}

/* Endpoint: POST /v1/attachments */

typedef struct
{
  RelayBlobJob   job;
  RelayRequest  *request;
  char           id[RELAY_BLOB_ID_LENGTH + 1];
  RelayBlobMeta  meta;
} CreateJob;

static void
create_run (RelayBlobJob *job)
{
  CreateJob *create = (CreateJob *) job;
  RelayBlobStore *store = job->server->blobs->store;

  job->status = store->klass->create (store, create->id, &create->meta, job->server->config->blob_quota_bytes);
}

static void
create_done (RelayBlobJob *job)
{
  CreateJob *create = (CreateJob *) job;
  RelayRequest *request = create->request;

  /* An upload made for a client that went away is charged until it
   * expires, like one it left unfinished. */
  if (job->status != RELAY_BLOB_OK && !job->server->blobs->store->klass->shared)
    usage_release (job->server->blobs, create->meta.owner, create->meta.size);
  if (_relay_request_attached (request) && job->status != RELAY_BLOB_OK)
    _relay_blob_respond_status (request, job->status);
  else if (_relay_request_attached (request))
    _relay_blob_respond_upload (request, create->id, 0, FALSE, &create->meta);
  _relay_request_unref (request);
  g_free (create);
}

void
_relay_blob_handle_create (RelayRequest *request)
{
  RelayServer *self = request->server;
  const char *owner = request->credentials->uuid;
  g_autoptr(GError) error = NULL;
  guint8 id[RELAY_BLOB_ID_BYTES];
  CreateJob *create;
  guint64 size;

  if (!relay_blob_create_request_parse ((const char *) request->body->data, request->body->len, &size, &error))
    {
      _relay_respond_api_error (request, error);
      return;
    }
  if (size > self->config->max_blob_bytes)
    {
      g_autofree char *message = g_strdup_printf ("An attachment may have at most %" G_GUINT64_FORMAT " bytes",
                                                  self->config->max_blob_bytes);

      _relay_respond_error (request, 413, "too-large", message);
      return;
    }
  /* Charged now, so that uploads created at once cannot overrun it; a
   * shared store charges as it creates. */
  if (!self->blobs->store->klass->shared)
    {
      guint64 *used = usage_of (self->blobs, owner);

      if (*used + relay_blob_charge (size) > self->config->blob_quota_bytes)
        {
          _relay_blob_respond_quota (request);
          return;
        }
      *used += relay_blob_charge (size);
    }

  create = g_new0 (CreateJob, 1);
  create->request = _relay_request_ref (request);
  randombytes_buf (id, sizeof id);
  sodium_bin2hex (create->id, sizeof create->id, id, sizeof id);
  g_strlcpy (create->meta.owner, owner, sizeof create->meta.owner);
  create->meta.size = size;
  create->meta.created_ms = _relay_now_ms ();
  _relay_blob_queue (self, &create->job, create_run, create_done, NULL);
}

/* Endpoint: GET /v1/attachments/ID/upload */

typedef struct
{
  RelayBlobJob   job;
  RelayRequest  *request;
  RelayBlobInfo  info;
  gboolean       active;   /* a part of it is being written on this node */
} StatJob;

static void
stat_run (RelayBlobJob *job)
{
  StatJob *stat = (StatJob *) job;
  RelayBlobStore *store = job->server->blobs->store;

  /* A part under way here may be about to commit the upload itself. */
  if (stat->active)
    job->status = store->klass->stat (store, stat->request->segments[3], NULL, &stat->info);
  else
    job->status = relay_blob_store_stat_upload (store, stat->request->segments[3],
                                                stat->request->credentials->uuid, &stat->info);
}

static void
stat_done (RelayBlobJob *job)
{
  StatJob *stat = (StatJob *) job;
  RelayRequest *request = stat->request;
  RelayBlobInfo *info = &stat->info;

  /* Only its owner learns that an upload exists, and that a part of it
   * is under way (on this node or, from the store, on another). */
  if ((job->status == RELAY_BLOB_OK || job->status == RELAY_BLOB_BUSY) &&
      strcmp (info->meta.owner, request->credentials->uuid) != 0)
    job->status = RELAY_BLOB_NOT_FOUND;
  else if (job->status == RELAY_BLOB_OK && stat->active)
    job->status = RELAY_BLOB_BUSY;
  if (!_relay_request_attached (request))
    {
      /* No one is left to answer. */
    }
  else if (job->status != RELAY_BLOB_OK)
    _relay_blob_respond_status (request, job->status);
  else if (_relay_blob_expired (job->server, &info->meta))
    _relay_respond_error (request, 410, "expired", "The attachment has expired");
  else
    _relay_blob_respond_upload (request, NULL, info->stored, info->complete, &info->meta);
  _relay_request_unref (request);
  g_free (stat);
}

void
_relay_blob_handle_status (RelayRequest *request)
{
  RelayServer *self = request->server;
  StatJob *stat;
  const char *id;

  if (!_relay_blob_take_id (request, &id))
    return;
  /* Whether a part is being written here, whose reach is not known
   * until it ends, is told once the owner is known (stat_done()). */
  stat = g_new0 (StatJob, 1);
  stat->request = _relay_request_ref (request);
  stat->active = g_hash_table_contains (self->blobs->active, id);
  _relay_blob_queue (self, &stat->job, stat_run, stat_done, NULL);
}
