/* relay-blob-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Attachment blobs on the server: the service that owns the store, the
 * accounts' usage and the uploads under way (relay-blob-server.c), the
 * streamed upload (relay-blob-upload.c) and download
 * (relay-blob-download.c).
 */

#pragma once

#include "relay-blob-store.h"
#include "relay-server-private.h"

G_BEGIN_DECLS

/* A bound on what lws may still deliver of a part's body once the relay
 * stops reading it: a few of its reads (RECEIVE_BUFFER_BYTES). */
#define RELAY_BLOB_INPUT_MAX   (4 * RELAY_BLOB_CHUNK)

struct _RelayBlobService
{
  RelayBlobStore *store;
  GHashTable     *usage;     /* account UUID -> guint64 *, the bytes it is charged */
  GHashTable     *active;    /* blob id -> the upload writing it */
  guint           streams;   /* uploads and downloads that hold buffers */
  GHashTable     *account_streams;  /* account UUID -> how many of them are its */
  uv_timer_t      sweep;
  gboolean        sweeping;
};

/* A blocking step on libuv's worker threads: `run` there, then `done`
 * on the loop. */
typedef struct _RelayBlobJob RelayBlobJob;
typedef void (*RelayBlobJobFunc) (RelayBlobJob *job);

struct _RelayBlobJob
{
  uv_work_t         work;
  RelayServer      *server;
  RelayBlobJobFunc  run;
  RelayBlobJobFunc  done;
  gpointer          data;
  RelayBlobStatus   status;
};

/* relay-blob-server.c */
gboolean  _relay_blob_service_init   (RelayServer      *self,
                                      GError          **error);
void      _relay_blob_service_close  (RelayServer      *self);
void      _relay_blob_service_free   (RelayServer      *self);
void      _relay_blob_queue          (RelayServer      *self,
                                      RelayBlobJob     *job,
                                      RelayBlobJobFunc  run,
                                      RelayBlobJobFunc  done,
                                      gpointer          data);
gboolean  _relay_blob_expired        (RelayServer      *self,
                                      const RelayBlobMeta *meta);
void      _relay_blob_respond_status (RelayRequest     *request,
                                      RelayBlobStatus   status);
void      _relay_blob_respond_quota  (RelayRequest     *request);
void      _relay_blob_respond_busy   (RelayRequest     *request);
gboolean  _relay_blob_take_id        (RelayRequest     *request,
                                      const char      **id);
gboolean  _relay_blob_take_stream    (RelayRequest     *request);
void      _relay_blob_release_stream (RelayRequest     *request);
void      _relay_blob_respond_upload (RelayRequest     *request,
                                      const char       *id,
                                      guint64           offset,
                                      gboolean          complete,
                                      const RelayBlobMeta *meta);
void      _relay_blob_handle_create  (RelayRequest     *request);
void      _relay_blob_handle_status  (RelayRequest     *request);

/* relay-blob-upload.c */
gboolean  _relay_blob_upload_claims  (RelayRequest     *request);
void      _relay_blob_upload_start   (RelayRequest     *request,
                                      const char       *content_length);

/* relay-blob-download.c */
void      _relay_blob_handle_download (RelayRequest    *request);

G_END_DECLS
