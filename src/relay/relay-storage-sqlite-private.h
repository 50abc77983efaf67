/* relay-storage-sqlite-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the files of the SQLite backend share: the backend's state, its
 * prepared statements and the helpers that run them.  The backend is
 * relay-storage-sqlite.c (the connection, accounts and keys, the
 * batch), relay-storage-sqlite-queue.c (the envelope queue),
 * relay-storage-sqlite-checkpoint.c (checkpoints of the write-ahead log)
 * and relay-storage-sqlite-schema.c (the schema and its migrations).
 */

#pragma once

#include <sqlite3.h>

#include "relay-guid.h"
#include "relay-log-throttle.h"
#include "relay-storage-backend.h"

G_BEGIN_DECLS

typedef enum
{
  STMT_INSERT_ACCOUNT,
  STMT_INSERT_DEVICE,
  STMT_UPSERT_SIGNED,
  STMT_INSERT_ONE_TIME,
  STMT_COUNT_ONE_TIME,
  STMT_GET_DEVICE,
  STMT_GET_IDENTITY,
  STMT_LIST_DEVICES,
  STMT_GET_SIGNED,
  STMT_FIRST_ONE_TIME,
  STMT_DELETE_ONE_TIME,
  STMT_LOOKUP_USERNAME,
  STMT_INSERT_ENVELOPE,
  STMT_FETCH_QUEUE,
  STMT_FIND_ENVELOPE,
  STMT_FIND_LEGACY_ENVELOPE,
  STMT_DELETE_ENVELOPE,
  STMT_FIRST_FRESH,
  STMT_DELETE_EXPIRED,
  STMT_QUEUE_COUNTS,
  STMT_EXPIRED_COUNTS,
  STMT_LAPSED_COUNTS,
  STMT_DELETE_LAPSED,
  STMT_NEXT_EXPIRY,
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_SAVEPOINT,
  STMT_RELEASE,
  STMT_ROLLBACK_TO,
  STMT_SET_IDENTITY,
  STMT_SET_REGISTRATION_ID,
  STMT_CLEAR_ONE_TIME,
  STMT_DATA_VERSION,
  STMT_TAKE_INVITE,
  STMT_FIND_INVITE,
  STMT_NOTE_HEALTH_CHECK,
  STMT_STORE_PASSWORD_DIGEST,
  STMT_GET_ACCESS_KEY,
  STMT_SET_ACCESS_KEY,
  STMT_PUT_PROFILE,
  STMT_GET_PROFILE,
  N_STMTS,
} StmtId;

G_STATIC_ASSERT (N_STMTS <= 64);

typedef struct _RelaySqliteCheckpointer RelaySqliteCheckpointer;

typedef struct
{
  RelayStorage      parent;
  sqlite3          *db;
  sqlite3_stmt     *stmts[N_STMTS];
  guint64           used_stmts;  /* a bit per StmtId used since the last reset */
  RelayWriter       writer;
  RelaySqliteCheckpointer *checkpointer;

  /* What every device's queue holds; only the thread that runs the ops
   * uses it. */
  RelayQueueUsage  *usage;

  /* Each account's devices as last read (uuid -> GArray of RelayDeviceRow),
   * so that a send need not read them again; the ops that change a
   * device drop its account's entry. */
  GHashTable       *devices;
  GArray           *uncached_devices;   /* what an account not cached has */

  /* PRAGMA data_version as last read: it changes when another process
   * (sotto-relay admin, an operator's sqlite3) commits. */
  gint64            data_version;

  /* What the envelopes stored in this run are numbered and tagged
   * with: ids only grow, and a tag drawn afresh for every run keeps a
   * GUID from an earlier run from naming an entry that reuses its id. */
  gint64            next_id;
  gint64            tag;
  RelayGuidCipher  *guids;

  /* A full disk fails every write until space is freed: its warning is
   * logged once a minute, not once a transaction. */
  RelayLogThrottle  warnings;
} SqliteStorage;

/* Statement helpers.  A statement that has returned a row and was not
 * stepped to its end keeps its read transaction, and with it the WAL
 * snapshot it reads, open after COMMIT.  Once anyone else writes to the
 * database, that snapshot is stale and every BEGIN IMMEDIATE on this
 * connection fails with SQLITE_BUSY_SNAPSHOT ("database is locked")
 * until the statement is reset, which a reset only before its next use
 * would never do.  So every statement an op uses is noted, and all of
 * them are reset once the op is done. */

static inline sqlite3_stmt *
stmt (SqliteStorage *self,
      StmtId         id)
{
  sqlite3_stmt *s = self->stmts[id];

  self->used_stmts |= G_GUINT64_CONSTANT (1) << id;
  sqlite3_reset (s);
  sqlite3_clear_bindings (s);
  return s;
}

static inline void
bind_text (sqlite3_stmt *s,
           int           index,
           const char   *text)
{
  sqlite3_bind_text (s, index, text, -1, SQLITE_STATIC);
}

static inline void
bind_bytes (sqlite3_stmt *s,
            int           index,
            GBytes       *bytes)
{
  gsize size;
  gconstpointer data;

  if (bytes == NULL)
    {
      sqlite3_bind_null (s, index);
      return;
    }
  data = g_bytes_get_data (bytes, &size);
  sqlite3_bind_blob64 (s, index, data, size, SQLITE_STATIC);
}

static inline GBytes *
column_bytes (sqlite3_stmt *s,
              int           column)
{
  if (sqlite3_column_type (s, column) == SQLITE_NULL)
    return NULL;
  return g_bytes_new (sqlite3_column_blob (s, column), (gsize) sqlite3_column_bytes (s, column));
}

static inline char *
column_text (sqlite3_stmt *s,
             int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (s, column));
}

static inline gboolean
step_done (sqlite3_stmt *s)
{
  return sqlite3_step (s) == SQLITE_DONE;
}

void          relay_sqlite_warn             (SqliteStorage  *self,
                                            const char     *format,
                                            ...) G_GNUC_PRINTF (2, 3);
gboolean      relay_sqlite_exec             (SqliteStorage  *self,
                                            const char     *sql);
/* Runs a statement made for this call only and reads one row of it,
 * whose first column it gives to `read`. */
gboolean      relay_sqlite_query_once       (SqliteStorage  *self,
                                            const char     *sql,
                                            const guint8   *blob,
                                            gsize           blob_size,
                                            gboolean      (*read) (sqlite3_stmt *s, gpointer data),
                                            gpointer        data);
gboolean      relay_sqlite_read_int64       (sqlite3_stmt   *s,
                                            gpointer        data);
GArray       *relay_sqlite_account_devices  (SqliteStorage  *self,
                                            const char     *uuid);

/* relay-storage-sqlite-queue.c */
gboolean      relay_sqlite_count_queues     (SqliteStorage  *self);
void          relay_sqlite_recount_queues   (SqliteStorage  *self);
RelayStorageStatus relay_sqlite_op_send        (gpointer  backend,
                                                RelayOp  *op);
/* Takes back what a stored send added to the queue usage, once a
 * savepoint has undone it. */
void          relay_sqlite_forget_send      (gpointer  backend,
                                            RelayOp  *op);
RelayStorageStatus relay_sqlite_op_fetch_queue (gpointer  backend,
                                                RelayOp  *op);
RelayStorageStatus relay_sqlite_op_ack         (gpointer  backend,
                                                RelayOp  *op);
RelayStorageStatus relay_sqlite_op_expire      (gpointer  backend,
                                                RelayOp  *op);
RelayStorageStatus relay_sqlite_op_drop_expired (gpointer  backend,
                                                 RelayOp  *op);

/* relay-storage-sqlite-checkpoint.c */
RelaySqliteCheckpointer *relay_sqlite_checkpointer_start (sqlite3     *writer_db,
                                                          const char  *path,
                                                          GError     **error);
void          relay_sqlite_checkpointer_stop (RelaySqliteCheckpointer *self);

/* relay-storage-sqlite-schema.c */
gboolean      relay_sqlite_migrate          (SqliteStorage  *self,
                                            GError        **error);
gboolean      relay_sqlite_limit_size       (SqliteStorage  *self,
                                            guint64         max_bytes);

G_END_DECLS
