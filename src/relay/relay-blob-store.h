/* relay-blob-store.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Where the relay keeps attachment blobs: an interface with one backend
 * per kind of storage.  The filesystem backend (relay-blob-store-fs.c)
 * keeps them under DATA_DIR/blobs for a relay on SQLite; the PostgreSQL
 * backend (relay-blob-store-postgresql.c) keeps them in the database
 * that several relay nodes share.
 *
 * Every function but close may block on I/O: the server calls them on
 * libuv's worker threads, one call at a time for any one handle.  A
 * store keeps each blob's RelayBlobMeta with its bytes.  The filesystem
 * store only stores: quota and expiry are worked out from what it holds
 * (relay-blob-server.c), and one upload's parts are kept apart in the
 * relay's memory.  A shared store, which other relays use at the same
 * time, keeps the accounts' usage and the lock on an upload itself, so
 * that every node sees them.
 */

#pragma once

#include <glib.h>

#include "relay-blob-parse.h"
#include "relay-log-throttle.h"

G_BEGIN_DECLS

/* The bytes read from the store, or gathered for it, in one go: no
 * append is longer. */
#define RELAY_BLOB_CHUNK       (256 * 1024)
/* What every blob counts against its account's quota at least, so that
 * empty blobs cannot fill the store. */
#define RELAY_BLOB_MIN_CHARGE  4096

typedef enum
{
  RELAY_BLOB_OK,
  RELAY_BLOB_NOT_FOUND,
  RELAY_BLOB_NO_SPACE,      /* the store is full */
  RELAY_BLOB_FAILED,
  RELAY_BLOB_QUOTA,         /* a shared store's: the owner's quota is full */
  RELAY_BLOB_BUSY,          /* a shared store's: another part of the upload is being written */
  RELAY_BLOB_UNAVAILABLE,   /* a shared store's: it has no connection to spare now */
  RELAY_BLOB_ACCOUNT_BUSY,  /* a shared store's: the owner has its share of them */
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
  /* Whether the store keeps the accounts' usage and the upload lock. */
  gboolean        shared;
  /* Creates an empty upload under `id`, durably, or fails with nothing
   * left behind.  A shared store charges its owner for it in the same
   * step, and answers QUOTA when the charge would take the owner past
   * `quota`; the filesystem store leaves the charge to the service. */
  RelayBlobStatus (*create)  (RelayBlobStore       *self,
                              const char           *id,
                              const RelayBlobMeta  *meta,
                              guint64               quota);
  /* Fills in `info` for `id`: NOT_FOUND when there is no such blob.  A
   * shared store answers BUSY while a part of the upload is being
   * written on any node; asked by the upload's `owner` (NULL for the
   * relay itself), it first ends a part whose node stopped in the
   * middle of writing it, as open does. */
  RelayBlobStatus (*stat)    (RelayBlobStore       *self,
                              const char           *id,
                              const char           *owner,
                              RelayBlobInfo        *info);
  /* Opens an upload to append at info->stored, or a committed blob to
   * read; *handle stays NULL when the upload is complete already.  A
   * blob not yet committed cannot be opened to read: NOT_FOUND.  A
   * shared store answers BUSY when another handle, on any node, has
   * the upload open to append, unless that handle's node stopped in the
   * middle of writing it for as long as the store lets an upload's
   * session wait for its node: then it ends that handle's session and
   * opens the upload.  With an `owner`, another account's
   * blob is NOT_FOUND before anything else is done or told: a stranger
   * never takes, nor learns of, its owner's lock. */
  RelayBlobStatus (*open)    (RelayBlobStore       *self,
                              const char           *id,
                              const char           *owner,
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
   * create left behind.  Not of a shared store, whose usage the service
   * need not work out. */
  RelayBlobStatus (*scan)    (RelayBlobStore       *self,
                              RelayBlobVisitFunc    visit,
                              gpointer              user_data);
  /* Removes one blob, for the sweep; NULL where expire does it. */
  RelayBlobStatus (*remove)  (RelayBlobStore       *self,
                              const char           *id);
  /* Removes every blob created at or before `cutoff_ms`, gives their
   * owners back what they were charged, and appends the RelayBlobInfo
   * of each to `removed`, for a store that does it in one step where
   * several nodes may do it at once; NULL where scan and remove do. */
  RelayBlobStatus (*expire)  (RelayBlobStore       *self,
                              gint64                cutoff_ms,
                              GArray               *removed);
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
RelayBlobStatus relay_blob_store_fs_open_partial (RelayBlobStore   *store,
                                                  const char       *id,
                                                  RelayBlobInfo    *info,
                                                  RelayBlobHandle **handle);
RelayBlobStore *relay_blob_store_new_postgresql (const char      *url,
                                                 guint            idle_seconds,
                                                 GError         **error);
void            relay_blob_store_free           (RelayBlobStore  *self);
void            relay_blob_store_close          (RelayBlobStore  *self,
                                                 RelayBlobHandle **handle);
RelayBlobStatus relay_blob_store_open_upload    (RelayBlobStore  *self,
                                                 const char      *id,
                                                 const char      *owner,
                                                 RelayBlobInfo   *info,
                                                 RelayBlobHandle **handle);
RelayBlobStatus relay_blob_store_stat_upload    (RelayBlobStore  *self,
                                                 const char      *id,
                                                 const char      *owner,
                                                 RelayBlobInfo   *info);
/* Removes every blob created more than `max_age_ms` before `now_ms`,
 * and returns the RelayBlobInfo of each it removed. */
GArray         *relay_blob_store_sweep          (RelayBlobStore  *self,
                                                 gint64           now_ms,
                                                 gint64           max_age_ms);

/* What a blob of `size` bytes counts against its owner's quota. */
static inline guint64
relay_blob_charge (guint64 size)
{
  return MAX (size, RELAY_BLOB_MIN_CHARGE);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayBlobStore, relay_blob_store_free)

G_END_DECLS
