/* relay-blob-store.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Where the relay keeps attachment blobs: an interface with one backend
 * per kind of storage.  The filesystem backend (relay-blob-store-fs.c)
 * keeps them under DATA_DIR/blobs; a backend on PostgreSQL's large
 * objects, or on an object store, implements the same functions.
 *
 * Every function but close may block on I/O: the server calls them on
 * libuv's worker threads, one call at a time for any one handle.  A
 * store keeps each blob's RelayBlobMeta with its bytes; quota and expiry
 * are worked out from them (relay-blob-server.c), so that a backend only
 * stores.
 */

#pragma once

#include <glib.h>

#include "relay-blob-parse.h"
#include "relay-log-throttle.h"

G_BEGIN_DECLS

typedef enum
{
  RELAY_BLOB_OK,
  RELAY_BLOB_NOT_FOUND,
  RELAY_BLOB_NO_SPACE,   /* the store is full */
  RELAY_BLOB_FAILED,
} RelayBlobStatus;

typedef struct
{
  char          id[RELAY_BLOB_ID_LENGTH + 1];
  RelayBlobMeta meta;
  guint64       stored;    /* bytes stored so far */
  gboolean      complete;  /* committed: stored is meta.size, and it can be read */
} RelayBlobInfo;

typedef struct _RelayBlobStore RelayBlobStore;
/* An open blob, for appending to an upload or for reading a committed
 * blob; each backend defines it. */
typedef struct _RelayBlobHandle RelayBlobHandle;

typedef void (*RelayBlobVisitFunc) (const RelayBlobInfo *info,
                                    gpointer             user_data);

typedef struct
{
  /* Creates an empty upload under `id`, durably, or fails with nothing
   * left behind. */
  RelayBlobStatus (*create)  (RelayBlobStore       *self,
                              const char           *id,
                              const RelayBlobMeta  *meta);
  /* Fills in `info` for `id`: NOT_FOUND when there is no such blob. */
  RelayBlobStatus (*stat)    (RelayBlobStore       *self,
                              const char           *id,
                              RelayBlobInfo        *info);
  /* Opens an upload to append at info->stored, or a committed blob to
   * read; *handle stays NULL when the upload is complete already.  A
   * blob not yet committed cannot be opened to read: NOT_FOUND. */
  RelayBlobStatus (*open)    (RelayBlobStore       *self,
                              const char           *id,
                              gboolean              append,
                              RelayBlobInfo        *info,
                              RelayBlobHandle     **handle);
  RelayBlobStatus (*append)  (RelayBlobStore       *self,
                              RelayBlobHandle      *handle,
                              const guint8         *data,
                              gsize                 length);
  /* Makes what was appended durable. */
  RelayBlobStatus (*sync)    (RelayBlobStore       *self,
                              RelayBlobHandle      *handle);
  /* Makes a whole upload durable, then a committed blob, at once. */
  RelayBlobStatus (*commit)  (RelayBlobStore       *self,
                              RelayBlobHandle      *handle);
  /* Reads exactly `length` bytes at `offset`. */
  RelayBlobStatus (*read)    (RelayBlobStore       *self,
                              RelayBlobHandle      *handle,
                              guint64               offset,
                              guint8               *data,
                              gsize                 length);
  /* Closes a handle without blocking, on any thread. */
  void            (*close)   (RelayBlobStore       *self,
                              RelayBlobHandle      *handle);
  /* Calls `visit` for every blob, and clears away what an interrupted
   * create left behind. */
  RelayBlobStatus (*scan)    (RelayBlobStore       *self,
                              RelayBlobVisitFunc    visit,
                              gpointer              user_data);
  RelayBlobStatus (*remove)  (RelayBlobStore       *self,
                              const char           *id);
  void            (*free)    (RelayBlobStore       *self);
} RelayBlobStoreClass;

struct _RelayBlobStore
{
  const RelayBlobStoreClass *klass;
  /* A damaged blob is warned of each time a client asks for it, as fast
   * as clients ask, from any worker thread: the lines are throttled
   * (relay-log-throttle.c) under this lock. */
  GMutex                     log_lock;
  RelayLogThrottle           warnings;
};

/* For backends: sets up the part every store shares. */
void            relay_blob_store_init           (RelayBlobStore            *self,
                                                 const RelayBlobStoreClass *klass);
/* Logs a warning of the store's, unless it repeats the one before
 * within a minute; from any thread. */
void            relay_blob_store_warn           (RelayBlobStore  *self,
                                                 const char      *format,
                                                 ...) G_GNUC_PRINTF (2, 3);

RelayBlobStore *relay_blob_store_new_filesystem (const char      *dir);
void            relay_blob_store_free           (RelayBlobStore  *self);
void            relay_blob_store_close          (RelayBlobStore  *self,
                                                 RelayBlobHandle **handle);
RelayBlobStatus relay_blob_store_open_upload    (RelayBlobStore  *self,
                                                 const char      *id,
                                                 RelayBlobInfo   *info,
                                                 RelayBlobHandle **handle);
RelayBlobStatus relay_blob_store_stat_upload    (RelayBlobStore  *self,
                                                 const char      *id,
                                                 RelayBlobInfo   *info);
/* Removes every blob created more than `max_age_ms` before `now_ms`,
 * and returns the RelayBlobInfo of each it removed. */
GArray         *relay_blob_store_sweep          (RelayBlobStore  *self,
                                                 gint64           now_ms,
                                                 gint64           max_age_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayBlobStore, relay_blob_store_free)

G_END_DECLS
