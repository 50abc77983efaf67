/* relay-storage-sqlite.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The SQLite backend.  One dedicated writer thread owns the connection
 * and runs every op, reads included: it takes everything queued since
 * its last commit, runs each op (inside its own savepoint when it writes
 * with more than one statement), and commits once with
 * synchronous=FULL.  Only then does it call the ops' done callbacks, so
 * an answer never gets ahead of durability, and under load one fsync
 * covers hundreds of sends.  Running reads on the same thread
 * is what makes consuming a one-time prekey trivially atomic.
 */

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "relay-storage-sqlite-private.h"

/* A commit here is one fsync of the WAL, about 100 µs of CPU in the
 * kernel on the development VM whatever it carries, and a wake-up of
 * this thread and of the event loop.  At everyday rates sends come one
 * at a time and each would pay all of that alone; spaced by at least
 * this much, commits carry every send of the last millisecond, and no
 * send waits for its commit more than this longer than it would have
 * (docs/performance.md, "At everyday rates").  The writer spaces
 * commits only while sends come fast enough for a spacing to gather
 * company (relay_writer_set_commit_spacing()). */
#define RELAY_SQLITE_COMMIT_SPACING_US 1000

static const char * const stmt_sql[N_STMTS] = {
  [STMT_INSERT_ACCOUNT] = "INSERT INTO accounts (uuid, username, identity_key, created) VALUES (?1, ?2, ?3, ?4)",
  [STMT_INSERT_DEVICE] = "INSERT INTO devices (account, device_id, registration_id, password_hash, password_digest) VALUES (?1, ?2, ?3, ?4, ?5)",
  [STMT_UPSERT_SIGNED] = "INSERT OR REPLACE INTO signed_prekeys (account, device_id, kind, key_id, public_key, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
  [STMT_INSERT_ONE_TIME] = "INSERT OR REPLACE INTO one_time_prekeys (account, device_id, kind, key_id, public_key, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
  [STMT_COUNT_ONE_TIME] = "SELECT count(*) FROM one_time_prekeys WHERE account = ?1 AND device_id = ?2 AND kind = ?3",
  [STMT_GET_DEVICE] = "SELECT d.password_hash, a.username, d.password_digest FROM devices d JOIN accounts a ON a.uuid = d.account WHERE d.account = ?1 AND d.device_id = ?2",
  [STMT_GET_IDENTITY] = "SELECT identity_key FROM accounts WHERE uuid = ?1",
  [STMT_LIST_DEVICES] = "SELECT device_id, registration_id FROM devices WHERE account = ?1 ORDER BY device_id",
  [STMT_GET_SIGNED] = "SELECT key_id, public_key, signature FROM signed_prekeys WHERE account = ?1 AND device_id = ?2 AND kind = ?3",
  [STMT_FIRST_ONE_TIME] = "SELECT key_id, public_key, signature FROM one_time_prekeys WHERE account = ?1 AND device_id = ?2 AND kind = ?3 ORDER BY key_id LIMIT 1",
  [STMT_DELETE_ONE_TIME] = "DELETE FROM one_time_prekeys WHERE account = ?1 AND device_id = ?2 AND kind = ?3 AND key_id = ?4",
  [STMT_LOOKUP_USERNAME] = "SELECT uuid FROM accounts WHERE username = ?1 AND NOT banned",
  [STMT_INSERT_ENVELOPE] = "INSERT INTO queue (id, account, device_id, tag, type, source, source_device, client_timestamp, server_timestamp, content, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
  [STMT_FETCH_QUEUE] = "SELECT id, tag, legacy_guid, type, source, source_device, client_timestamp, server_timestamp, content, expires_at FROM queue WHERE account = ?1 AND device_id = ?2 AND id > ?3 AND server_timestamp >= ?4 ORDER BY id LIMIT ?5",
  /* Deleting with RETURNING would make SQLite run a trigger for every
   * acknowledgement, several times the cost of reading the row first. */
  [STMT_FIND_ENVELOPE] = "SELECT id, source, length(content) FROM queue WHERE id = ?1 AND tag = ?2 AND account = ?3 AND device_id = ?4",
  [STMT_FIND_LEGACY_ENVELOPE] = "SELECT id, source, length(content) FROM queue WHERE legacy_guid = ?1 AND account = ?2 AND device_id = ?3",
  [STMT_DELETE_ENVELOPE] = "DELETE FROM queue WHERE id = ?1",
  [STMT_FIRST_FRESH] = "SELECT id FROM queue WHERE server_timestamp >= ?1 ORDER BY id LIMIT 1",
  [STMT_DELETE_EXPIRED] = "DELETE FROM queue WHERE id < ?1 AND server_timestamp < ?2",
  [STMT_QUEUE_COUNTS] = "SELECT account, device_id, source, count(*), sum(length(content)) FROM queue GROUP BY account, device_id, source",
  /* Left to itself, SQLite would read the whole device index for the
   * grouping rather than only the expired entries. */
  [STMT_EXPIRED_COUNTS] = "SELECT account, device_id, source, count(*), sum(length(content)) FROM queue NOT INDEXED WHERE id < ?1 AND server_timestamp < ?2 GROUP BY account, device_id, source",
  /* The envelopes whose sender's expiry passed, found through the
   * partial index of expiries, which holds only the envelopes that
   * have one. */
  [STMT_LAPSED_COUNTS] = "SELECT account, device_id, source, count(*), sum(length(content)) FROM queue WHERE expires_at <= ?1 GROUP BY account, device_id, source",
  [STMT_DELETE_LAPSED] = "DELETE FROM queue WHERE expires_at <= ?1",
  [STMT_NEXT_EXPIRY] = "SELECT min(expires_at) FROM queue WHERE expires_at IS NOT NULL",
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_COMMIT] = "COMMIT",
  [STMT_SAVEPOINT] = "SAVEPOINT op",
  [STMT_RELEASE] = "RELEASE op",
  [STMT_ROLLBACK_TO] = "ROLLBACK TO op",
  [STMT_SET_IDENTITY] = "UPDATE accounts SET identity_key = ?2 WHERE uuid = ?1",
  [STMT_SET_REGISTRATION_ID] = "UPDATE devices SET registration_id = ?3 WHERE account = ?1 AND device_id = ?2",
  [STMT_CLEAR_ONE_TIME] = "DELETE FROM one_time_prekeys WHERE account = ?1 AND device_id = ?2",
  [STMT_DATA_VERSION] = "PRAGMA data_version",
  [STMT_TAKE_INVITE] = "DELETE FROM invites WHERE hash = ?1",
  [STMT_FIND_INVITE] = "SELECT 1 FROM invites WHERE hash = ?1",
  [STMT_NOTE_HEALTH_CHECK] = "INSERT OR REPLACE INTO secrets (name, value) VALUES ('last-health-check', ?1)",
  [STMT_STORE_PASSWORD_DIGEST] = "UPDATE devices SET password_digest = ?4 WHERE account = ?1 AND device_id = ?2 AND password_hash = ?3",
  [STMT_GET_ACCESS_KEY] = "SELECT key FROM access_keys WHERE account = ?1",
  [STMT_SET_ACCESS_KEY] = "INSERT OR REPLACE INTO access_keys (account, key) VALUES (?1, ?2)",
  [STMT_PUT_PROFILE] = "INSERT OR REPLACE INTO profiles (account, profile, updated) VALUES (?1, ?2, ?3)",
  [STMT_GET_PROFILE] = "SELECT profile FROM profiles WHERE account = ?1",
};

/* Statement helpers (see stmt()).  All the statements an op used are
 * reset once it is done. */
static void
reset_used_stmts (SqliteStorage *self)
{
  for (guint i = 0; i < N_STMTS; i++)
    if (self->used_stmts & (G_GUINT64_CONSTANT (1) << i))
      sqlite3_reset (self->stmts[i]);
  self->used_stmts = 0;
}

void
relay_sqlite_warn (SqliteStorage *self,
                   const char    *format,
                   ...)
{
  va_list args;

  va_start (args, format);
  relay_log_throttle_vprintf (&self->warnings, G_LOG_LEVEL_WARNING, format, args);
  va_end (args);
}

gboolean
relay_sqlite_exec (SqliteStorage *self,
                   const char    *sql)
{
  char *message = NULL;

  if (sqlite3_exec (self->db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      relay_sqlite_warn (self, "SQLite: %s", message != NULL ? message : "unknown error");
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

/* The ops.  Each returns a status; a failed op's writes are rolled back
 * by its savepoint. */

static RelayStorageStatus
store_signed (gpointer      backend,
              const char   *uuid,
              guint32       device_id,
              RelayKeyKind  kind,
              RelayPreKey  *prekey)
{
  SqliteStorage *self = backend;
  sqlite3_stmt *s = stmt (self, STMT_UPSERT_SIGNED);

  bind_text (s, 1, uuid);
  sqlite3_bind_int64 (s, 2, device_id);
  sqlite3_bind_int (s, 3, kind);
  sqlite3_bind_int64 (s, 4, prekey->key_id);
  bind_bytes (s, 5, prekey->public_key);
  bind_bytes (s, 6, prekey->signature);
  return step_done (s) ? RELAY_STORAGE_OK : RELAY_STORAGE_FAILED;
}

static RelayStorageStatus
store_one_time (gpointer      backend,
                const char   *uuid,
                guint32       device_id,
                RelayKeyKind  kind,
                GPtrArray    *prekeys)
{
  SqliteStorage *self = backend;

  for (guint i = 0; i < prekeys->len; i++)
    {
      RelayPreKey *prekey = g_ptr_array_index (prekeys, i);
      sqlite3_stmt *s = stmt (self, STMT_INSERT_ONE_TIME);

      bind_text (s, 1, uuid);
      sqlite3_bind_int64 (s, 2, device_id);
      sqlite3_bind_int (s, 3, kind);
      sqlite3_bind_int64 (s, 4, prekey->key_id);
      bind_bytes (s, 5, prekey->public_key);
      bind_bytes (s, 6, prekey->signature);
      if (!step_done (s))
        return RELAY_STORAGE_FAILED;
    }
  return RELAY_STORAGE_OK;
}

static RelayStorageStatus
take_invite (gpointer  backend,
             GBytes   *invite_hash)
{
  SqliteStorage *self = backend;
  sqlite3_stmt *s = stmt (self, STMT_TAKE_INVITE);

  bind_bytes (s, 1, invite_hash);
  if (!step_done (s))
    return RELAY_STORAGE_FAILED;
  return sqlite3_changes (self->db) > 0 ? RELAY_STORAGE_OK : RELAY_STORAGE_INVITE_INVALID;
}

static RelayStorageStatus
insert_account (gpointer    backend,
                const char *uuid,
                const char *username,
                GBytes     *identity_key,
                gint64      created)
{
  SqliteStorage *self = backend;
  sqlite3_stmt *s = stmt (self, STMT_INSERT_ACCOUNT);
  int rc;

  bind_text (s, 1, uuid);
  bind_text (s, 2, username);
  bind_bytes (s, 3, identity_key);
  sqlite3_bind_int64 (s, 4, created);
  rc = sqlite3_step (s);
  if (rc == SQLITE_CONSTRAINT)
    return RELAY_STORAGE_CONFLICT;
  return rc == SQLITE_DONE ? RELAY_STORAGE_OK : RELAY_STORAGE_FAILED;
}

static RelayStorageStatus
insert_device (gpointer    backend,
               const char *uuid,
               guint32     device_id,
               guint32     registration_id,
               const char *password_hash,
               GBytes     *password_digest)
{
  SqliteStorage *self = backend;
  sqlite3_stmt *s = stmt (self, STMT_INSERT_DEVICE);

  bind_text (s, 1, uuid);
  sqlite3_bind_int64 (s, 2, device_id);
  sqlite3_bind_int64 (s, 3, registration_id);
  bind_text (s, 4, password_hash);
  bind_bytes (s, 5, password_digest);
  g_hash_table_remove (self->devices, uuid);
  return step_done (s) ? RELAY_STORAGE_OK : RELAY_STORAGE_FAILED;
}

static RelayStorageStatus
op_get_device (gpointer  backend,
               RelayOp  *op)
{
  SqliteStorage *self = backend;
  sqlite3_stmt *s = stmt (self, STMT_GET_DEVICE);
  int rc;

  bind_text (s, 1, op->uuid);
  sqlite3_bind_int64 (s, 2, op->device_id);
  rc = sqlite3_step (s);
  if (rc == SQLITE_DONE)
    return RELAY_STORAGE_NOT_FOUND;
  if (rc != SQLITE_ROW)
    return RELAY_STORAGE_FAILED;
  op->password_hash = column_text (s, 0);
  op->username = column_text (s, 1);
  op->password_digest = column_bytes (s, 2);
  return RELAY_STORAGE_OK;
}

static gint64
count_one_time (gpointer      backend,
                const char   *uuid,
                guint32       device_id,
                RelayKeyKind  kind)
{
  SqliteStorage *self = backend;
  sqlite3_stmt *s = stmt (self, STMT_COUNT_ONE_TIME);

  bind_text (s, 1, uuid);
  sqlite3_bind_int64 (s, 2, device_id);
  sqlite3_bind_int (s, 3, kind);
  if (sqlite3_step (s) != SQLITE_ROW)
    return -1;
  return sqlite3_column_int64 (s, 0);
}

static RelayStorageStatus
replace_identity (gpointer    backend,
                  const char *uuid,
                  guint32     device_id,
                  GBytes     *identity_key)
{
  SqliteStorage *self = backend;
  sqlite3_stmt *s = stmt (self, STMT_SET_IDENTITY);

  bind_text (s, 1, uuid);
  bind_bytes (s, 2, identity_key);
  if (!step_done (s))
    return RELAY_STORAGE_FAILED;
  s = stmt (self, STMT_CLEAR_ONE_TIME);
  bind_text (s, 1, uuid);
  sqlite3_bind_int64 (s, 2, device_id);
  return step_done (s) ? RELAY_STORAGE_OK : RELAY_STORAGE_FAILED;
}

static RelayStorageStatus
set_registration_id (gpointer    backend,
                     const char *uuid,
                     guint32     device_id,
                     guint32     registration_id)
{
  SqliteStorage *self = backend;
  sqlite3_stmt *s = stmt (self, STMT_SET_REGISTRATION_ID);

  bind_text (s, 1, uuid);
  sqlite3_bind_int64 (s, 2, device_id);
  sqlite3_bind_int64 (s, 3, registration_id);
  g_hash_table_remove (self->devices, uuid);
  return step_done (s) ? RELAY_STORAGE_OK : RELAY_STORAGE_FAILED;
}

static RelayPreKey *
read_prekey (sqlite3_stmt *s)
{
  RelayPreKey *prekey = g_new0 (RelayPreKey, 1);

  prekey->key_id = (guint32) sqlite3_column_int64 (s, 0);
  prekey->public_key = column_bytes (s, 1);
  prekey->signature = column_bytes (s, 2);
  return prekey;
}

static RelayPreKey *
get_signed (gpointer      backend,
            const char   *uuid,
            guint32       device_id,
            RelayKeyKind  kind)
{
  SqliteStorage *self = backend;
  sqlite3_stmt *s = stmt (self, STMT_GET_SIGNED);

  bind_text (s, 1, uuid);
  sqlite3_bind_int64 (s, 2, device_id);
  sqlite3_bind_int (s, 3, kind);
  if (sqlite3_step (s) != SQLITE_ROW)
    return NULL;
  return read_prekey (s);
}

/* Reads the lowest one-time prekey of a kind and deletes it in the same
 * transaction: the writer thread runs one op at a time, so no other
 * fetch can see it in between. */
static gboolean
take_one_time (gpointer       backend,
               const char    *uuid,
               guint32        device_id,
               RelayKeyKind   kind,
               RelayPreKey  **out)
{
  SqliteStorage *self = backend;
  sqlite3_stmt *s = stmt (self, STMT_FIRST_ONE_TIME);
  g_autoptr(RelayPreKey) prekey = NULL;
  int rc;

  bind_text (s, 1, uuid);
  sqlite3_bind_int64 (s, 2, device_id);
  sqlite3_bind_int (s, 3, kind);
  rc = sqlite3_step (s);
  if (rc == SQLITE_DONE)
    {
      *out = NULL;
      return TRUE;
    }
  if (rc != SQLITE_ROW)
    return FALSE;
  prekey = read_prekey (s);

  s = stmt (self, STMT_DELETE_ONE_TIME);
  bind_text (s, 1, uuid);
  sqlite3_bind_int64 (s, 2, device_id);
  sqlite3_bind_int (s, 3, kind);
  sqlite3_bind_int64 (s, 4, prekey->key_id);
  if (!step_done (s))
    return FALSE;
  *out = g_steal_pointer (&prekey);
  return TRUE;
}

/* A bound on the device cache, which anyone who can send fills. */
#define MAX_CACHED_ACCOUNTS 100000

/* Returns the devices of an account, from the cache when it has them,
 * or NULL when they cannot be read.  The array belongs to the storage
 * and stays as it is until the op that asked ends. */
GArray *
relay_sqlite_account_devices (SqliteStorage *self,
                              const char    *uuid)
{
  GArray *devices = g_hash_table_lookup (self->devices, uuid);
  sqlite3_stmt *s;
  int rc;

  if (devices != NULL)
    return devices;
  g_array_set_size (self->uncached_devices, 0);
  s = stmt (self, STMT_LIST_DEVICES);
  bind_text (s, 1, uuid);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      RelayDeviceRow row = {
        (guint32) sqlite3_column_int64 (s, 0),
        (guint32) sqlite3_column_int64 (s, 1),
      };

      g_array_append_val (self->uncached_devices, row);
    }
  if (rc != SQLITE_DONE)
    return NULL;
  /* Unknown accounts are not remembered: random UUIDs would fill the
   * cache with nothing. */
  if (self->uncached_devices->len == 0)
    return self->uncached_devices;
  if (g_hash_table_size (self->devices) >= MAX_CACHED_ACCOUNTS)
    g_hash_table_remove_all (self->devices);
  devices = g_array_copy (self->uncached_devices);
  g_hash_table_insert (self->devices, g_strdup (uuid), devices);
  return devices;
}

static const RelayBackendFuncs sqlite_funcs;

/* Reads one blob of an account: *out stays NULL when there is none. */
static gboolean
read_account_blob (SqliteStorage  *self,
                   StmtId          id,
                   const char     *uuid,
                   GBytes        **out)
{
  sqlite3_stmt *s = stmt (self, id);
  int rc;

  bind_text (s, 1, uuid);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    *out = column_bytes (s, 0);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

static RelayStorageStatus
op_get_identity (gpointer  backend,
                 RelayOp  *op)
{
  if (!read_account_blob (backend, STMT_GET_IDENTITY, op->uuid, &op->identity_key))
    return RELAY_STORAGE_FAILED;
  return op->identity_key != NULL ? RELAY_STORAGE_OK : RELAY_STORAGE_NOT_FOUND;
}

static RelayStorageStatus
op_fetch_bundles (gpointer  backend,
                  RelayOp  *op)
{
  SqliteStorage *self = backend;
  RelayStorageStatus status = op_get_identity (self, op);
  GArray *devices;

  if (status != RELAY_STORAGE_OK)
    return status;
  if ((devices = relay_sqlite_account_devices (self, op->uuid)) == NULL)
    return RELAY_STORAGE_FAILED;
  return relay_storage_fill_bundles (&sqlite_funcs, self, op, devices, op->spare_one_time);
}

static RelayStorageStatus
op_lookup_username (gpointer  backend,
                    RelayOp  *op)
{
  SqliteStorage *self = backend;
  sqlite3_stmt *s = stmt (self, STMT_LOOKUP_USERNAME);
  int rc;

  bind_text (s, 1, op->username);
  rc = sqlite3_step (s);
  if (rc == SQLITE_DONE)
    return RELAY_STORAGE_NOT_FOUND;
  if (rc != SQLITE_ROW)
    return RELAY_STORAGE_FAILED;
  op->uuid = column_text (s, 0);
  return RELAY_STORAGE_OK;
}

static RelayStorageStatus
op_find_invite (gpointer  backend,
                RelayOp  *op)
{
  SqliteStorage *self = backend;
  sqlite3_stmt *s = stmt (self, STMT_FIND_INVITE);
  int rc;

  bind_bytes (s, 1, op->invite_hash);
  rc = sqlite3_step (s);
  if (rc == SQLITE_DONE)
    return RELAY_STORAGE_INVITE_INVALID;
  if (rc != SQLITE_ROW)
    return RELAY_STORAGE_FAILED;
  return RELAY_STORAGE_OK;
}

/* Writes one row, so that the batch it runs in shows whether the
 * database takes writes at all: a health check must fail when the
 * storage is locked or full, not only when the relay is down. */
static RelayStorageStatus
op_check_writable (gpointer  backend,
                   RelayOp  *op)
{
  SqliteStorage *self = backend;
  sqlite3_stmt *s = stmt (self, STMT_NOTE_HEALTH_CHECK);

  sqlite3_bind_int64 (s, 1, g_get_real_time () / G_USEC_PER_SEC);
  return step_done (s) ? RELAY_STORAGE_OK : RELAY_STORAGE_FAILED;
}

/* A device whose password hash changed since its password was checked
 * keeps no digest of it: the update matches no row. */
static RelayStorageStatus
op_store_password_digest (gpointer  backend,
                          RelayOp  *op)
{
  sqlite3_stmt *s = stmt (backend, STMT_STORE_PASSWORD_DIGEST);

  bind_text (s, 1, op->uuid);
  sqlite3_bind_int64 (s, 2, op->device_id);
  bind_text (s, 3, op->password_hash);
  bind_bytes (s, 4, op->password_digest);
  return step_done (s) ? RELAY_STORAGE_OK : RELAY_STORAGE_FAILED;
}

static gboolean
read_access_key (gpointer     backend,
                 const char  *uuid,
                 GBytes     **out)
{
  return read_account_blob (backend, STMT_GET_ACCESS_KEY, uuid, out);
}

static RelayStorageStatus
op_set_access_key (gpointer  backend,
                   RelayOp  *op)
{
  sqlite3_stmt *s = stmt (backend, STMT_SET_ACCESS_KEY);

  bind_text (s, 1, op->uuid);
  bind_bytes (s, 2, op->access_key);
  return step_done (s) ? RELAY_STORAGE_OK : RELAY_STORAGE_FAILED;
}

static RelayStorageStatus
op_put_profile (gpointer  backend,
                RelayOp  *op)
{
  sqlite3_stmt *s = stmt (backend, STMT_PUT_PROFILE);

  bind_text (s, 1, op->uuid);
  bind_bytes (s, 2, op->profile);
  sqlite3_bind_int64 (s, 3, op->server_timestamp);
  return step_done (s) ? RELAY_STORAGE_OK : RELAY_STORAGE_FAILED;
}

static RelayStorageStatus
op_get_profile (gpointer  backend,
                RelayOp  *op)
{
  if (!read_account_blob (backend, STMT_GET_PROFILE, op->uuid, &op->profile))
    return RELAY_STORAGE_FAILED;
  return op->profile != NULL ? RELAY_STORAGE_OK : RELAY_STORAGE_NOT_FOUND;
}

/* What the writer remembers of the database (each account's devices,
 * each device's queue length) is only true while nobody else writes.
 * When another process has committed, it is read again, and the server
 * is told through outside_changes so that it forgets what it remembers
 * too (the passwords it has checked). */
static void
notice_outside_changes (SqliteStorage *self)
{
  sqlite3_stmt *s = stmt (self, STMT_DATA_VERSION);
  gint64 version;

  if (sqlite3_step (s) != SQLITE_ROW)
    return;
  version = sqlite3_column_int64 (s, 0);
  if (version == self->data_version)
    return;
  self->data_version = version;
  g_hash_table_remove_all (self->devices);
  relay_sqlite_recount_queues (self);
  relay_writer_set_queued (&self->writer, relay_queue_usage_get_total (self->usage));
  g_atomic_int_inc (&self->parent.outside_changes);
  g_info ("Another process changed the database; its accounts and queues were read again");
}

/* Transaction control goes through prepared statements too: parsing
 * "SAVEPOINT op" twice per op would cost more than many of the ops. */
static gboolean
control (SqliteStorage *self,
         StmtId         id)
{
  return step_done (stmt (self, id));
}

static gboolean
sqlite_begin (gpointer   backend,
              RelayOp  **ops,
              guint      n_ops)
{
  SqliteStorage *self = backend;

  if (!control (self, STMT_BEGIN))
    {
      relay_sqlite_warn (self, "SQLite: cannot begin a transaction: %s", sqlite3_errmsg (self->db));
      reset_used_stmts (self);
      return FALSE;
    }
  notice_outside_changes (self);
  return TRUE;
}

/* Some errors (a full disk, an I/O error, no memory) make SQLite roll
 * back the whole transaction rather than the failed statement,
 * savepoints included; the ops after it would then run outside any
 * transaction and commit each on its own while the batch was answered
 * as failed.  The batch checks this after every op. */
static gboolean
sqlite_transaction_stands (gpointer backend)
{
  return !sqlite3_get_autocommit (((SqliteStorage *) backend)->db);
}

/* What the writer keeps in memory follows its own writes, committed or
 * not; after a rollback it is read again from the database. */
static void
forget_uncommitted (SqliteStorage *self)
{
  if (!sqlite3_get_autocommit (self->db))
    relay_sqlite_exec (self, "ROLLBACK");
  g_hash_table_remove_all (self->devices);
  relay_sqlite_recount_queues (self);
}

static void
sqlite_abandon (gpointer backend)
{
  SqliteStorage *self = backend;

  relay_sqlite_warn (self, "SQLite rolled back a transaction: %s", sqlite3_errmsg (self->db));
  forget_uncommitted (self);
}

static gboolean
sqlite_commit (gpointer backend)
{
  SqliteStorage *self = backend;

  /* No statement may hold a read transaction past the commit. */
  reset_used_stmts (self);
  if (control (self, STMT_COMMIT))
    return TRUE;
  relay_sqlite_warn (self, "SQLite: commit failed: %s", sqlite3_errmsg (self->db));
  forget_uncommitted (self);
  return FALSE;
}

static gboolean
sqlite_savepoint (gpointer backend)
{
  return control (backend, STMT_SAVEPOINT);
}

static gboolean
sqlite_rollback_to_savepoint (gpointer backend)
{
  return sqlite_transaction_stands (backend) && control (backend, STMT_ROLLBACK_TO);
}

static void
sqlite_release_savepoint (gpointer backend)
{
  control (backend, STMT_RELEASE);
}

static const RelayBackendFuncs sqlite_funcs = {
  .get_device = op_get_device,
  .fetch_bundles = op_fetch_bundles,
  .lookup_username = op_lookup_username,
  .send = relay_sqlite_op_send,
  .fetch_queue = relay_sqlite_op_fetch_queue,
  .ack = relay_sqlite_op_ack,
  .expire = relay_sqlite_op_expire,
  .drop_expired = relay_sqlite_op_drop_expired,
  .check_writable = op_check_writable,
  .find_invite = op_find_invite,
  .store_password_digest = op_store_password_digest,
  .get_identity = op_get_identity,
  .set_access_key = op_set_access_key,
  .put_profile = op_put_profile,
  .get_profile = op_get_profile,
  .read_access_key = read_access_key,
  .forget_send = relay_sqlite_forget_send,
  .begin = sqlite_begin,
  .commit = sqlite_commit,
  .transaction_stands = sqlite_transaction_stands,
  .abandon = sqlite_abandon,
  .savepoint = sqlite_savepoint,
  .rollback_to_savepoint = sqlite_rollback_to_savepoint,
  .release_savepoint = sqlite_release_savepoint,
  .take_invite = take_invite,
  .insert_account = insert_account,
  .insert_device = insert_device,
  .replace_identity = replace_identity,
  .set_registration_id = set_registration_id,
  .get_signed = get_signed,
  .store_signed = store_signed,
  .take_one_time = take_one_time,
  .store_one_time = store_one_time,
  .count_one_time = count_one_time,
};

static void
run_batch (gpointer   backend,
           RelayOp  **ops,
           guint      n_ops)
{
  SqliteStorage *self = backend;
  gint64 start = g_get_monotonic_time ();

  if (!relay_storage_run_batch (&sqlite_funcs, self, ops, n_ops))
    return;
  reset_used_stmts (self);
  relay_writer_note_batch (&self->writer, (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC,
                           n_ops, relay_queue_usage_get_total (self->usage));
}

/* Idle: look for outside changes anyway, so that an account an
 * administrator deleted is refused soon even on a quiet relay. */
static void
sqlite_idle (gpointer backend)
{
  SqliteStorage *self = backend;

  notice_outside_changes (self);
  reset_used_stmts (self);
}

static const RelayWriterFuncs sqlite_writer_funcs = {
  .run_batch = run_batch,
  .idle = sqlite_idle,
};

static void
free_storage (SqliteStorage *self)
{
  for (guint i = 0; i < N_STMTS; i++)
    sqlite3_finalize (self->stmts[i]);
  relay_sqlite_checkpointer_stop (self->checkpointer);
  if (self->db != NULL)
    sqlite3_close (self->db);
  relay_writer_clear (&self->writer);
  relay_queue_usage_free (self->usage);
  g_hash_table_unref (self->devices);
  g_array_unref (self->uncached_devices);
  relay_guid_cipher_free (self->guids);
  relay_log_throttle_clear (&self->warnings);
  g_free (self);
}

static void
sqlite_close (RelayStorage *storage)
{
  SqliteStorage *self = (SqliteStorage *) storage;

  relay_writer_stop (&self->writer);
  free_storage (self);
}

static const RelayStorageClass sqlite_class = {
  .name = "sqlite",
  .submit = relay_writer_storage_submit,
  .get_stats = relay_writer_storage_get_stats,
  .close = sqlite_close,
};

/* Runs a statement made for this call only and reads one row of it,
 * whose first column it gives to `read`. */
gboolean
relay_sqlite_query_once (SqliteStorage *self,
                         const char    *sql,
                         const guint8  *blob,
                         gsize          blob_size,
                         gboolean     (*read) (sqlite3_stmt *s, gpointer data),
                         gpointer       data)
{
  sqlite3_stmt *s = NULL;
  int rc;
  gboolean ok;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &s, NULL) != SQLITE_OK)
    return FALSE;
  if (blob != NULL)
    sqlite3_bind_blob64 (s, 1, blob, blob_size, SQLITE_STATIC);
  rc = sqlite3_step (s);
  ok = rc == SQLITE_DONE || (rc == SQLITE_ROW && (read == NULL || read (s, data)));
  sqlite3_finalize (s);
  return ok;
}

gboolean
relay_sqlite_read_int64 (sqlite3_stmt *s,
                         gpointer      data)
{
  *(gint64 *) data = sqlite3_column_int64 (s, 0);
  return TRUE;
}

static gboolean
read_guid_key (sqlite3_stmt *s,
               gpointer      data)
{
  if (sqlite3_column_bytes (s, 0) != RELAY_GUID_KEY_SIZE)
    return FALSE;
  memcpy (data, sqlite3_column_blob (s, 0), RELAY_GUID_KEY_SIZE);
  return TRUE;
}

/* Where this run's ids start, its tag, and the GUID key, which is made
 * the first time the relay opens the database and kept in it: GUIDs
 * handed out before a restart must still name their entries after. */
static gboolean
load_queue_numbering (SqliteStorage *self)
{
  guint8 *key = sodium_malloc (RELAY_GUID_KEY_SIZE);
  gint64 last_id = 0;
  gboolean ok;

  randombytes_buf (key, RELAY_GUID_KEY_SIZE);
  randombytes_buf (&self->tag, sizeof self->tag);
  ok = relay_sqlite_query_once (self, "SELECT max(id) FROM queue", NULL, 0, relay_sqlite_read_int64, &last_id) &&
       relay_sqlite_query_once (self, "INSERT OR IGNORE INTO secrets (name, value) VALUES ('guid-key', ?1)",
                   key, RELAY_GUID_KEY_SIZE, NULL, NULL) &&
       relay_sqlite_query_once (self, "SELECT value FROM secrets WHERE name = 'guid-key'", NULL, 0,
                   read_guid_key, key);
  if (ok)
    self->guids = relay_guid_cipher_new (key);
  self->next_id = last_id + 1;
  sodium_free (key);
  return ok;
}

RelayStorage *
relay_storage_sqlite_open (const char  *data_dir,
                           guint64      max_bytes,
                           GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, "relay.db", NULL);
  SqliteStorage *self = g_new0 (SqliteStorage, 1);

  self->parent.klass = &sqlite_class;
  relay_writer_init (&self->writer, &sqlite_writer_funcs, self);
  self->parent.writer = &self->writer;
  self->usage = relay_queue_usage_new ();
  self->devices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref);
  self->uncached_devices = g_array_new (FALSE, FALSE, sizeof (RelayDeviceRow));

  /* Only one thread at a time uses the connection (this one, then the
   * writer), so SQLite need not lock it around every call. */
  if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                       NULL) != SQLITE_OK)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot open %s: %s", path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : "out of memory");
      free_storage (self);
      return NULL;
    }
  /* WAL lets a commit be one sequential append and one fsync, and
   * synchronous=FULL makes that fsync happen before COMMIT returns. */
  if (!relay_sqlite_exec (self, "PRAGMA journal_mode = WAL") ||
      !relay_sqlite_exec (self, "PRAGMA synchronous = FULL") ||
      !relay_sqlite_exec (self, "PRAGMA foreign_keys = ON") ||
      !relay_sqlite_exec (self, "PRAGMA busy_timeout = 5000") ||
      /* The queue's pages are rewritten by every batch; with SQLite's
       * default 2 MiB cache they keep being read back from the WAL. */
      !relay_sqlite_exec (self, "PRAGMA cache_size = -32768") ||
      !relay_sqlite_migrate (self, error) ||
      !relay_sqlite_limit_size (self, max_bytes))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot set up %s", path);
      free_storage (self);
      return NULL;
    }
  for (guint i = 0; i < N_STMTS; i++)
    if (sqlite3_prepare_v3 (self->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                            &self->stmts[i], NULL) != SQLITE_OK)
      {
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot prepare a statement: %s",
                     sqlite3_errmsg (self->db));
        free_storage (self);
        return NULL;
      }
  if (!relay_sqlite_count_queues (self) || !load_queue_numbering (self) ||
      !relay_sqlite_query_once (self, "PRAGMA data_version", NULL, 0, relay_sqlite_read_int64, &self->data_version))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot read the queue: %s",
                   sqlite3_errmsg (self->db));
      free_storage (self);
      return NULL;
    }
  reset_used_stmts (self);
  self->checkpointer = relay_sqlite_checkpointer_start (self->db, path, error);
  if (self->checkpointer == NULL)
    {
      free_storage (self);
      return NULL;
    }
  relay_writer_set_queued (&self->writer, relay_queue_usage_get_total (self->usage));
  relay_writer_set_commit_spacing (&self->writer, RELAY_SQLITE_COMMIT_SPACING_US);
  relay_writer_start (&self->writer);
  return &self->parent;
}
