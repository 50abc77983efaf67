/* relay-storage-sqlite-schema.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The SQLite backend's schema, its migrations, and the bound on the
 * database's size.
 */

#include "config.h"

#include "relay-storage-sqlite-private.h"

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
  /* 6: a keyed digest of each device's password, once the relay has
   * checked it, so that a known login costs no hash after a restart
   * either (relay-digest-key.c). */
  "ALTER TABLE devices ADD COLUMN password_digest BLOB;",
  /* 7: sealed sender and profiles.  Each account may set the key that
   * lets others send to it without naming themselves, and store its
   * profile, encrypted under a key the relay never sees. */
  "CREATE TABLE access_keys ("
  "  account TEXT PRIMARY KEY NOT NULL REFERENCES accounts (uuid) ON DELETE CASCADE,"
  "  key BLOB NOT NULL);"
  "CREATE TABLE profiles ("
  "  account TEXT PRIMARY KEY NOT NULL REFERENCES accounts (uuid) ON DELETE CASCADE,"
  "  profile BLOB NOT NULL,"
  "  updated INTEGER NOT NULL);",
  /* 8: the expiry a sender may give an envelope (a disappearing
   * message), after which it is neither delivered nor kept.  Only the
   * envelopes that have one are in the index, so that storing the
   * others costs nothing more, and the sweep reads only what expired. */
  "ALTER TABLE queue ADD COLUMN expires_at INTEGER;"
  "CREATE INDEX queue_by_expiry ON queue (expires_at)"
  "  WHERE expires_at IS NOT NULL;",
};

gboolean
relay_sqlite_migrate (SqliteStorage  *self,
                      GError        **error)
{
  gint64 version = 0;

  if (!relay_sqlite_query_once (self, "PRAGMA user_version", NULL, 0, relay_sqlite_read_int64, &version))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot read the schema version: %s",
                   sqlite3_errmsg (self->db));
      return FALSE;
    }
  if (!relay_storage_check_schema (version, G_N_ELEMENTS (migrations), error))
    return FALSE;
  for (guint i = (guint) version; i < G_N_ELEMENTS (migrations); i++)
    {
      g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %u", i + 1);

      if (!relay_sqlite_exec (self, "BEGIN IMMEDIATE") || !relay_sqlite_exec (self, migrations[i]) ||
          !relay_sqlite_exec (self, bump) || !relay_sqlite_exec (self, "COMMIT"))
        {
          relay_sqlite_exec (self, "ROLLBACK");
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
gboolean
relay_sqlite_limit_size (SqliteStorage *self,
                         guint64        max_bytes)
{
  gint64 page_size = 0;
  g_autofree char *sql = NULL;

  if (max_bytes == 0)
    return TRUE;
  if (!relay_sqlite_query_once (self, "PRAGMA page_size", NULL, 0, relay_sqlite_read_int64, &page_size) ||
      page_size <= 0)
    return FALSE;
  sql = g_strdup_printf ("PRAGMA max_page_count = %" G_GUINT64_FORMAT,
                         MAX (max_bytes / (guint64) page_size, 1));
  return relay_sqlite_query_once (self, sql, NULL, 0, NULL, NULL);
}

guint
relay_storage_sqlite_schema_version (void)
{
  return G_N_ELEMENTS (migrations);
}
