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
#include <sqlite3.h>
#include <string.h>

#include "relay-guid.h"
#include "relay-log-throttle.h"
#include "relay-storage-backend.h"

/* Each entry upgrades the schema by one version; PRAGMA user_version
 * records how many have run.  Entries are never edited once released. */
static const char * const migrations[] = {
  /* 1: accounts, devices, prekeys and the envelope queue. */
  "CREATE TABLE accounts ("
  "  uuid TEXT PRIMARY KEY NOT NULL,"
  "  username TEXT NOT NULL UNIQUE,"
  "  identity_key BLOB NOT NULL,"
  "  created INTEGER NOT NULL);"
  "CREATE TABLE devices ("
  "  account TEXT NOT NULL REFERENCES accounts (uuid) ON DELETE CASCADE,"
  "  device_id INTEGER NOT NULL,"
  "  registration_id INTEGER NOT NULL,"
  "  password_hash TEXT NOT NULL,"
  "  queued INTEGER NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (account, device_id));"
  "CREATE TABLE signed_prekeys ("
  "  account TEXT NOT NULL,"
  "  device_id INTEGER NOT NULL,"
  "  kind INTEGER NOT NULL,"
  "  key_id INTEGER NOT NULL,"
  "  public_key BLOB NOT NULL,"
  "  signature BLOB NOT NULL,"
  "  PRIMARY KEY (account, device_id, kind),"
  "  FOREIGN KEY (account, device_id) REFERENCES devices (account, device_id) ON DELETE CASCADE);"
  "CREATE TABLE one_time_prekeys ("
  "  account TEXT NOT NULL,"
  "  device_id INTEGER NOT NULL,"
  "  kind INTEGER NOT NULL,"
  "  key_id INTEGER NOT NULL,"
  "  public_key BLOB NOT NULL,"
  "  signature BLOB,"
  "  PRIMARY KEY (account, device_id, kind, key_id),"
  "  FOREIGN KEY (account, device_id) REFERENCES devices (account, device_id) ON DELETE CASCADE);"
  /* AUTOINCREMENT keeps ids growing even after the queue empties, which
   * is what lets a connection resume its queue after the last id seen. */
  "CREATE TABLE envelopes ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  account TEXT NOT NULL,"
  "  device_id INTEGER NOT NULL,"
  "  guid TEXT NOT NULL UNIQUE,"
  "  type INTEGER NOT NULL,"
  "  source TEXT NOT NULL,"
  "  source_device INTEGER NOT NULL,"
  "  client_timestamp INTEGER NOT NULL,"
  "  server_timestamp INTEGER NOT NULL,"
  "  content BLOB NOT NULL);"
  "CREATE INDEX envelopes_by_device ON envelopes (account, device_id, id);"
  "CREATE INDEX envelopes_by_age ON envelopes (server_timestamp);",
  /* 2: the queue counters follow the envelopes by themselves, so that
   * storing, acknowledging or expiring an envelope is one statement,
   * atomic without a savepoint of its own. */
  "CREATE TRIGGER envelopes_queued_in AFTER INSERT ON envelopes BEGIN"
  "  UPDATE devices SET queued = queued + 1 WHERE account = NEW.account AND device_id = NEW.device_id;"
  "END;"
  "CREATE TRIGGER envelopes_queued_out AFTER DELETE ON envelopes BEGIN"
  "  UPDATE devices SET queued = queued - 1 WHERE account = OLD.account AND device_id = OLD.device_id;"
  "END;",
  /* 3: the triggers go again.  A statement that fires a trigger makes
   * SQLite keep a statement journal inside the transaction, which tripled
   * the cost of storing and deleting an envelope.  The writer thread
   * counts each device's queue in memory instead, from the envelopes
   * themselves when it opens the database. */
  "DROP TRIGGER envelopes_queued_in;"
  "DROP TRIGGER envelopes_queued_out;"
  "ALTER TABLE devices DROP COLUMN queued;",
  /* 4: the queue costs as few B-tree updates as it can.  The writer
   * numbers the entries itself, in the order it stores them, which does
   * away with the AUTOINCREMENT sequence and, because server timestamps
   * grow with the ids, with the age index too: what expires is a prefix
   * of the table.  GUIDs are made from an entry's id and the run's tag
   * (see relay-guid.h), so no index of GUIDs is needed either.  Entries
   * stored before keep the GUIDs their clients may already hold, in a
   * column indexed only where it is set. */
  "CREATE TABLE queue ("
  "  id INTEGER PRIMARY KEY,"
  "  account TEXT NOT NULL,"
  "  device_id INTEGER NOT NULL,"
  "  tag INTEGER,"
  "  legacy_guid TEXT,"
  "  type INTEGER NOT NULL,"
  "  source TEXT NOT NULL,"
  "  source_device INTEGER NOT NULL,"
  "  client_timestamp INTEGER NOT NULL,"
  "  server_timestamp INTEGER NOT NULL,"
  "  content BLOB NOT NULL);"
  "INSERT INTO queue (id, account, device_id, legacy_guid, type, source, source_device,"
  "                   client_timestamp, server_timestamp, content)"
  "  SELECT id, account, device_id, guid, type, source, source_device,"
  "         client_timestamp, server_timestamp, content FROM envelopes;"
  "DROP TABLE envelopes;"
  "CREATE INDEX queue_by_device ON queue (account, device_id);"
  "CREATE UNIQUE INDEX queue_by_legacy_guid ON queue (legacy_guid) WHERE legacy_guid IS NOT NULL;"
  "CREATE TABLE secrets ("
  "  name TEXT PRIMARY KEY NOT NULL,"
  "  value BLOB NOT NULL);",
  /* 5: what sotto-relay admin manages.  Invites are single-use
   * registration tokens, kept as hashes (relay-invite.h).  A banned
   * account keeps its row, so that its username stays taken, but loses
   * its devices, keys and queue. */
  "CREATE TABLE invites ("
  "  hash BLOB PRIMARY KEY NOT NULL,"
  "  created INTEGER NOT NULL);"
  "ALTER TABLE accounts ADD COLUMN banned INTEGER NOT NULL DEFAULT 0;",
};

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
  N_STMTS,
} StmtId;

G_STATIC_ASSERT (N_STMTS <= 64);

static const char * const stmt_sql[N_STMTS] = {
  [STMT_INSERT_ACCOUNT] = "INSERT INTO accounts (uuid, username, identity_key, created) VALUES (?1, ?2, ?3, ?4)",
  [STMT_INSERT_DEVICE] = "INSERT INTO devices (account, device_id, registration_id, password_hash) VALUES (?1, ?2, ?3, ?4)",
  [STMT_UPSERT_SIGNED] = "INSERT OR REPLACE INTO signed_prekeys (account, device_id, kind, key_id, public_key, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
  [STMT_INSERT_ONE_TIME] = "INSERT OR REPLACE INTO one_time_prekeys (account, device_id, kind, key_id, public_key, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
  [STMT_COUNT_ONE_TIME] = "SELECT count(*) FROM one_time_prekeys WHERE account = ?1 AND device_id = ?2 AND kind = ?3",
  [STMT_GET_DEVICE] = "SELECT d.password_hash, a.username FROM devices d JOIN accounts a ON a.uuid = d.account WHERE d.account = ?1 AND d.device_id = ?2",
  [STMT_GET_IDENTITY] = "SELECT identity_key FROM accounts WHERE uuid = ?1",
  [STMT_LIST_DEVICES] = "SELECT device_id, registration_id FROM devices WHERE account = ?1 ORDER BY device_id",
  [STMT_GET_SIGNED] = "SELECT key_id, public_key, signature FROM signed_prekeys WHERE account = ?1 AND device_id = ?2 AND kind = ?3",
  [STMT_FIRST_ONE_TIME] = "SELECT key_id, public_key, signature FROM one_time_prekeys WHERE account = ?1 AND device_id = ?2 AND kind = ?3 ORDER BY key_id LIMIT 1",
  [STMT_DELETE_ONE_TIME] = "DELETE FROM one_time_prekeys WHERE account = ?1 AND device_id = ?2 AND kind = ?3 AND key_id = ?4",
  [STMT_LOOKUP_USERNAME] = "SELECT uuid FROM accounts WHERE username = ?1 AND NOT banned",
  [STMT_INSERT_ENVELOPE] = "INSERT INTO queue (id, account, device_id, tag, type, source, source_device, client_timestamp, server_timestamp, content) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
  [STMT_FETCH_QUEUE] = "SELECT id, tag, legacy_guid, type, source, source_device, client_timestamp, server_timestamp, content FROM queue WHERE account = ?1 AND device_id = ?2 AND id > ?3 AND server_timestamp >= ?4 ORDER BY id LIMIT ?5",
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
};

typedef struct
{
  RelayStorage      parent;
  sqlite3          *db;
  sqlite3_stmt     *stmts[N_STMTS];
  guint64           used_stmts;  /* a bit per StmtId used since the last reset */
  RelayWriter       writer;

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

static sqlite3_stmt *
stmt (SqliteStorage *self,
      StmtId         id)
{
  sqlite3_stmt *s = self->stmts[id];

  self->used_stmts |= G_GUINT64_CONSTANT (1) << id;
  sqlite3_reset (s);
  sqlite3_clear_bindings (s);
  return s;
}

static void
reset_used_stmts (SqliteStorage *self)
{
  for (guint i = 0; i < N_STMTS; i++)
    if (self->used_stmts & (G_GUINT64_CONSTANT (1) << i))
      sqlite3_reset (self->stmts[i]);
  self->used_stmts = 0;
}

static void
bind_text (sqlite3_stmt *s,
           int           index,
           const char   *text)
{
  sqlite3_bind_text (s, index, text, -1, SQLITE_STATIC);
}

static void
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

static GBytes *
column_bytes (sqlite3_stmt *s,
              int           column)
{
  if (sqlite3_column_type (s, column) == SQLITE_NULL)
    return NULL;
  return g_bytes_new (sqlite3_column_blob (s, column), (gsize) sqlite3_column_bytes (s, column));
}

static char *
column_text (sqlite3_stmt *s,
             int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (s, column));
}

static gboolean
step_done (sqlite3_stmt *s)
{
  return sqlite3_step (s) == SQLITE_DONE;
}

static void warn (SqliteStorage *self, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
warn (SqliteStorage *self,
      const char    *format,
      ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  relay_log_throttle_message (&self->warnings, G_LOG_LEVEL_WARNING, line);
}

static gboolean
exec_sql (SqliteStorage *self,
          const char    *sql)
{
  char *message = NULL;

  if (sqlite3_exec (self->db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      warn (self, "SQLite: %s", message != NULL ? message : "unknown error");
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
               const char *password_hash)
{
  SqliteStorage *self = backend;
  sqlite3_stmt *s = stmt (self, STMT_INSERT_DEVICE);

  bind_text (s, 1, uuid);
  sqlite3_bind_int64 (s, 2, device_id);
  sqlite3_bind_int64 (s, 3, registration_id);
  bind_text (s, 4, password_hash);
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

/* Queue usage.  It changes only once the op that stores or deletes
 * envelopes has succeeded; a rollback counts it all again. */

static void
queued_add (SqliteStorage *self,
            const char    *uuid,
            guint32        device_id,
            const char    *sender,
            gint64         envelopes,
            gint64         bytes)
{
  char key[RELAY_DEVICE_KEY_SIZE];

  relay_device_key (key, uuid, device_id);
  relay_queue_usage_add (self->usage, key, sender, envelopes, bytes);
}

/* Runs a statement whose rows are (account, device_id, source, count,
 * bytes) and adds sign times each to the queue usage. */
static gboolean
queued_add_rows (SqliteStorage *self,
                 sqlite3_stmt  *s,
                 gint64         sign)
{
  int rc;

  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    queued_add (self, (const char *) sqlite3_column_text (s, 0), (guint32) sqlite3_column_int64 (s, 1),
                (const char *) sqlite3_column_text (s, 2), sign * sqlite3_column_int64 (s, 3),
                sign * sqlite3_column_int64 (s, 4));
  return rc == SQLITE_DONE;
}

static gboolean
count_queues (SqliteStorage *self)
{
  relay_queue_usage_clear (self->usage);
  return queued_add_rows (self, stmt (self, STMT_QUEUE_COUNTS), 1);
}

/* After a failure that may have left the counts off. */
static void
recount_queues (SqliteStorage *self)
{
  if (!count_queues (self))
    warn (self, "SQLite: cannot count the queues: %s", sqlite3_errmsg (self->db));
}

/* A bound on the device cache, which anyone who can send fills. */
#define MAX_CACHED_ACCOUNTS 100000

/* Returns the devices of an account, from the cache when it has them,
 * or NULL when they cannot be read.  The array belongs to the storage
 * and stays as it is until the op that asked ends. */
static GArray *
account_devices (SqliteStorage *self,
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

static RelayStorageStatus
op_fetch_bundles (gpointer  backend,
                  RelayOp  *op)
{
  SqliteStorage *self = backend;
  sqlite3_stmt *s = stmt (self, STMT_GET_IDENTITY);
  GArray *devices;
  int rc;

  bind_text (s, 1, op->uuid);
  rc = sqlite3_step (s);
  if (rc == SQLITE_DONE)
    return RELAY_STORAGE_NOT_FOUND;
  if (rc != SQLITE_ROW)
    return RELAY_STORAGE_FAILED;
  op->identity_key = column_bytes (s, 0);

  if ((devices = account_devices (self, op->uuid)) == NULL)
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

static RelayStorageStatus
op_send (gpointer  backend,
         RelayOp  *op)
{
  SqliteStorage *self = backend;
  GPtrArray *messages = op->send->messages;
  RelayStorageStatus status;
  GArray *devices;

  if ((devices = account_devices (self, op->uuid)) == NULL)
    return RELAY_STORAGE_FAILED;
  if (devices->len == 0)
    return RELAY_STORAGE_NOT_FOUND;
  if ((status = relay_storage_check_devices (op, devices)) != RELAY_STORAGE_OK)
    return status;
  for (guint i = 0; i < messages->len; i++)
    {
      RelayOutgoingEnvelope *envelope = g_ptr_array_index (messages, i);
      char key[RELAY_DEVICE_KEY_SIZE];

      relay_device_key (key, op->uuid, envelope->device_id);
      if (!relay_queue_usage_admits (self->usage, key, op->source_uuid,
                                     (gint64) g_bytes_get_size (envelope->content), &op->queue_limits))
        return RELAY_STORAGE_QUEUE_FULL;
    }

  op->ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), messages->len);
  op->guids = g_ptr_array_new_full (messages->len, g_free);
  for (guint i = 0; i < messages->len; i++)
    {
      RelayOutgoingEnvelope *envelope = g_ptr_array_index (messages, i);
      sqlite3_stmt *s = stmt (self, STMT_INSERT_ENVELOPE);
      gint64 id = self->next_id++;
      char *guid = g_malloc (RELAY_UUID_LENGTH + 1);

      sqlite3_bind_int64 (s, 1, id);
      bind_text (s, 2, op->uuid);
      sqlite3_bind_int64 (s, 3, envelope->device_id);
      sqlite3_bind_int64 (s, 4, self->tag);
      sqlite3_bind_int (s, 5, envelope->type);
      bind_text (s, 6, op->source_uuid);
      sqlite3_bind_int64 (s, 7, op->source_device);
      sqlite3_bind_int64 (s, 8, op->send->timestamp);
      sqlite3_bind_int64 (s, 9, op->server_timestamp);
      bind_bytes (s, 10, envelope->content);
      relay_guid_encode (self->guids, id, self->tag, guid);
      g_ptr_array_add (op->guids, guid);
      if (!step_done (s))
        return RELAY_STORAGE_FAILED;
      g_array_append_val (op->ids, id);
    }
  for (guint i = 0; i < messages->len; i++)
    {
      RelayOutgoingEnvelope *envelope = g_ptr_array_index (messages, i);

      queued_add (self, op->uuid, envelope->device_id, op->source_uuid, 1,
                  (gint64) g_bytes_get_size (envelope->content));
    }
  return RELAY_STORAGE_OK;
}

static RelayStorageStatus
op_fetch_queue (gpointer  backend,
                RelayOp  *op)
{
  SqliteStorage *self = backend;
  sqlite3_stmt *s = stmt (self, STMT_FETCH_QUEUE);
  gsize bytes = 0;
  int rc;

  bind_text (s, 1, op->uuid);
  sqlite3_bind_int64 (s, 2, op->device_id);
  sqlite3_bind_int64 (s, 3, op->after_id);
  sqlite3_bind_int64 (s, 4, op->min_timestamp);
  sqlite3_bind_int64 (s, 5, op->limit);
  op->envelopes = g_ptr_array_new_with_free_func ((GDestroyNotify) relay_stored_envelope_free);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      RelayStoredEnvelope *envelope;
      gsize size = (gsize) sqlite3_column_bytes (s, 8);

      /* The first envelope always goes, whatever its size. */
      if (op->max_bytes > 0 && op->envelopes->len > 0 && bytes + size > op->max_bytes)
        {
          sqlite3_reset (s);
          rc = SQLITE_DONE;
          break;
        }
      bytes += size;
      envelope = g_new0 (RelayStoredEnvelope, 1);
      envelope->id = sqlite3_column_int64 (s, 0);
      if (sqlite3_column_type (s, 2) == SQLITE_NULL)
        {
          envelope->guid = g_malloc (RELAY_UUID_LENGTH + 1);
          relay_guid_encode (self->guids, envelope->id, sqlite3_column_int64 (s, 1), envelope->guid);
        }
      else
        envelope->guid = column_text (s, 2);
      envelope->type = (guint8) sqlite3_column_int (s, 3);
      envelope->source_uuid = column_text (s, 4);
      envelope->source_device = (guint32) sqlite3_column_int64 (s, 5);
      envelope->timestamp = sqlite3_column_int64 (s, 6);
      envelope->server_timestamp = sqlite3_column_int64 (s, 7);
      envelope->content = column_bytes (s, 8);
      g_ptr_array_add (op->envelopes, envelope);
    }
  return rc == SQLITE_DONE ? RELAY_STORAGE_OK : RELAY_STORAGE_FAILED;
}

/* Steps a statement that finds a queue entry, and reads its id, sender
 * and size when it does. */
static int
find_entry (sqlite3_stmt  *s,
            gint64        *id,
            char         **source,
            gint64        *bytes)
{
  int rc = sqlite3_step (s);

  if (rc == SQLITE_ROW)
    {
      *id = sqlite3_column_int64 (s, 0);
      *source = column_text (s, 1);
      *bytes = sqlite3_column_int64 (s, 2);
    }
  sqlite3_reset (s);
  return rc;
}

/* Deletes the entry an acknowledgement names, if the device's queue
 * still holds it, and says whether that went without error.  A GUID that
 * names no entry of this run may be one stored before schema version 4,
 * which is looked up by its text; there are none on a relay that started
 * at version 4, so the partial index it uses is empty. */
static gboolean
delete_acknowledged (SqliteStorage  *self,
                     const RelayAck *ack,
                     gint64         *removed)
{
  g_autofree char *source = NULL;
  sqlite3_stmt *s;
  gint64 id;
  gint64 tag;
  gint64 bytes = 0;
  int rc = SQLITE_DONE;

  *removed = 0;
  if (relay_guid_decode (self->guids, ack->guid, &id, &tag))
    {
      s = stmt (self, STMT_FIND_ENVELOPE);
      sqlite3_bind_int64 (s, 1, id);
      sqlite3_bind_int64 (s, 2, tag);
      bind_text (s, 3, ack->uuid);
      sqlite3_bind_int64 (s, 4, ack->device_id);
      rc = find_entry (s, &id, &source, &bytes);
    }
  if (rc == SQLITE_DONE)
    {
      s = stmt (self, STMT_FIND_LEGACY_ENVELOPE);
      bind_text (s, 1, ack->guid);
      bind_text (s, 2, ack->uuid);
      sqlite3_bind_int64 (s, 3, ack->device_id);
      rc = find_entry (s, &id, &source, &bytes);
    }
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    return FALSE;
  s = stmt (self, STMT_DELETE_ENVELOPE);
  sqlite3_bind_int64 (s, 1, id);
  if (!step_done (s))
    return FALSE;
  queued_add (self, ack->uuid, ack->device_id, source, -1, -bytes);
  *removed = 1;
  return TRUE;
}

/* Deletes every acknowledged envelope that is still there; a client may
 * acknowledge one twice, or one that expired meanwhile.  The deletions
 * are independent of each other: if one fails, those before it stand. */
static RelayStorageStatus
op_ack (gpointer  backend,
        RelayOp  *op)
{
  SqliteStorage *self = backend;
  op->removed = 0;
  for (guint i = 0; i < op->acks->len; i++)
    {
      RelayAck *ack = &g_array_index (op->acks, RelayAck, i);
      gint64 removed;

      if (!delete_acknowledged (self, ack, &removed))
        return RELAY_STORAGE_FAILED;
      op->removed += removed;
    }
  return RELAY_STORAGE_OK;
}

/* Finds the first entry young enough to keep.  Server timestamps grow
 * with the ids, so everything that expires lies before it, and reading
 * up to it costs only as many rows as expire.  Should the clock have
 * gone back, an entry before it may be younger than the limit; the
 * statements that use the boundary check every entry's age too. */
static gboolean
first_fresh_id (SqliteStorage *self,
                gint64         min_timestamp,
                gint64        *id)
{
  sqlite3_stmt *s = stmt (self, STMT_FIRST_FRESH);
  int rc;

  sqlite3_bind_int64 (s, 1, min_timestamp);
  rc = sqlite3_step (s);
  *id = rc == SQLITE_ROW ? sqlite3_column_int64 (s, 0) : self->next_id;
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

/* Counts what expires, then deletes it.  Should a step fail, the
 * counts are made again from the table, which the failed statement left
 * as it was. */
static RelayStorageStatus
op_expire (gpointer  backend,
           RelayOp  *op)
{
  SqliteStorage *self = backend;
  gint64 before = relay_queue_usage_get_total (self->usage);
  gint64 boundary;
  sqlite3_stmt *s;

  if (!first_fresh_id (self, op->min_timestamp, &boundary))
    return RELAY_STORAGE_FAILED;
  s = stmt (self, STMT_EXPIRED_COUNTS);
  sqlite3_bind_int64 (s, 1, boundary);
  sqlite3_bind_int64 (s, 2, op->min_timestamp);
  if (queued_add_rows (self, s, -1))
    {
      s = stmt (self, STMT_DELETE_EXPIRED);
      sqlite3_bind_int64 (s, 1, boundary);
      sqlite3_bind_int64 (s, 2, op->min_timestamp);
      if (step_done (s))
        {
          op->removed = before - relay_queue_usage_get_total (self->usage);
          return RELAY_STORAGE_OK;
        }
    }
  recount_queues (self);
  return RELAY_STORAGE_FAILED;
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
  recount_queues (self);
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
      warn (self, "SQLite: cannot begin a transaction: %s", sqlite3_errmsg (self->db));
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
    exec_sql (self, "ROLLBACK");
  g_hash_table_remove_all (self->devices);
  recount_queues (self);
}

static void
sqlite_abandon (gpointer backend)
{
  SqliteStorage *self = backend;

  warn (self, "SQLite rolled back a transaction: %s", sqlite3_errmsg (self->db));
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
  warn (self, "SQLite: commit failed: %s", sqlite3_errmsg (self->db));
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
  .send = op_send,
  .fetch_queue = op_fetch_queue,
  .ack = op_ack,
  .expire = op_expire,
  .check_writable = op_check_writable,
  .find_invite = op_find_invite,
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
sqlite_submit (RelayStorage *storage,
               RelayOp      *op)
{
  relay_writer_submit (&((SqliteStorage *) storage)->writer, op);
}

static void
sqlite_get_stats (RelayStorage     *storage,
                  RelayCommitStats *stats)
{
  relay_writer_get_stats (&((SqliteStorage *) storage)->writer, stats);
}

static void
free_storage (SqliteStorage *self)
{
  for (guint i = 0; i < N_STMTS; i++)
    sqlite3_finalize (self->stmts[i]);
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
  .submit = sqlite_submit,
  .get_stats = sqlite_get_stats,
  .close = sqlite_close,
};

/* Runs a statement made for this call only and reads one row of it,
 * whose first column it gives to `read`. */
static gboolean
query_once (SqliteStorage *self,
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

static gboolean
read_int64 (sqlite3_stmt *s,
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
  ok = query_once (self, "SELECT max(id) FROM queue", NULL, 0, read_int64, &last_id) &&
       query_once (self, "INSERT OR IGNORE INTO secrets (name, value) VALUES ('guid-key', ?1)",
                   key, RELAY_GUID_KEY_SIZE, NULL, NULL) &&
       query_once (self, "SELECT value FROM secrets WHERE name = 'guid-key'", NULL, 0,
                   read_guid_key, key);
  if (ok)
    self->guids = relay_guid_cipher_new (key);
  self->next_id = last_id + 1;
  sodium_free (key);
  return ok;
}

static gboolean
migrate (SqliteStorage  *self,
         GError        **error)
{
  gint64 version = 0;

  if (!query_once (self, "PRAGMA user_version", NULL, 0, read_int64, &version))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot read the schema version: %s",
                   sqlite3_errmsg (self->db));
      return FALSE;
    }
  if (version > (gint64) G_N_ELEMENTS (migrations))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                   "The database has schema version %" G_GINT64_FORMAT ", newer than this relay knows (%u)",
                   version, (guint) G_N_ELEMENTS (migrations));
      return FALSE;
    }
  for (guint i = (guint) version; i < G_N_ELEMENTS (migrations); i++)
    {
      g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %u", i + 1);

      if (!exec_sql (self, "BEGIN IMMEDIATE") || !exec_sql (self, migrations[i]) ||
          !exec_sql (self, bump) || !exec_sql (self, "COMMIT"))
        {
          exec_sql (self, "ROLLBACK");
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                       "Migration to schema version %u failed", i + 1);
          return FALSE;
        }
      g_message ("Migrated the database to schema version %u", i + 1);
    }
  return TRUE;
}

/* Bounds the database's size, so that it fails like a full disk, with
 * every write that would grow it past the bound refused, before the
 * disk itself is full. */
static gboolean
limit_size (SqliteStorage *self,
            guint64        max_bytes)
{
  gint64 page_size = 0;
  g_autofree char *sql = NULL;

  if (max_bytes == 0)
    return TRUE;
  if (!query_once (self, "PRAGMA page_size", NULL, 0, read_int64, &page_size) || page_size <= 0)
    return FALSE;
  sql = g_strdup_printf ("PRAGMA max_page_count = %" G_GUINT64_FORMAT,
                         MAX (max_bytes / (guint64) page_size, 1));
  return query_once (self, sql, NULL, 0, NULL, NULL);
}

guint
relay_storage_sqlite_schema_version (void)
{
  return G_N_ELEMENTS (migrations);
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
  if (!exec_sql (self, "PRAGMA journal_mode = WAL") ||
      !exec_sql (self, "PRAGMA synchronous = FULL") ||
      !exec_sql (self, "PRAGMA foreign_keys = ON") ||
      !exec_sql (self, "PRAGMA busy_timeout = 5000") ||
      /* The queue's pages are rewritten by every batch; with SQLite's
       * default 2 MiB cache they keep being read back from the WAL. */
      !exec_sql (self, "PRAGMA cache_size = -32768") ||
      !migrate (self, error) ||
      !limit_size (self, max_bytes))
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
  if (!count_queues (self) || !load_queue_numbering (self) ||
      !query_once (self, "PRAGMA data_version", NULL, 0, read_int64, &self->data_version))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot read the queue: %s",
                   sqlite3_errmsg (self->db));
      free_storage (self);
      return NULL;
    }
  reset_used_stmts (self);
  relay_writer_set_queued (&self->writer, relay_queue_usage_get_total (self->usage));
  relay_writer_start (&self->writer);
  return &self->parent;
}
