/* relay-admin-sqlite.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * sotto-relay admin on DATA_DIR/relay.db, safe while the relay runs.  It
 * opens the database as a second SQLite connection and changes it in
 * short IMMEDIATE transactions, waiting for the relay's writer with a
 * busy timeout; the relay notices each commit through PRAGMA
 * data_version (relay-storage-sqlite.c) and reads again what it
 * remembers of the data, and forgets the passwords it has checked, so
 * that a deleted or banned account is refused at its next
 * authentication.  It never takes the data directory's lock, which
 * belongs to the relay.
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relay-admin-private.h"
#include "relay-storage.h"

/* How long a command waits for the relay's writer. */
#define BUSY_TIMEOUT_MS 10000

typedef struct
{
  char    *data_dir;
  sqlite3 *db;
} Admin;

static gboolean
fail_sqlite (Admin       *admin,
             const char  *what,
             GError     **error)
{
  return relay_admin_fail (error, "%s: %s", what, sqlite3_errmsg (admin->db));
}

static gboolean
exec (Admin       *admin,
      const char  *sql,
      GError     **error)
{
  if (sqlite3_exec (admin->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return fail_sqlite (admin, sql, error);
  return TRUE;
}

static sqlite3_stmt *
prepare (Admin       *admin,
         const char  *sql,
         GError     **error)
{
  sqlite3_stmt *s = NULL;

  if (sqlite3_prepare_v2 (admin->db, sql, -1, &s, NULL) != SQLITE_OK)
    fail_sqlite (admin, "Cannot read the database", error);
  return s;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* Runs `sql` with one text parameter (or none) to its end, and gives the
 * number of rows it changed. */
static gboolean
run (Admin       *admin,
     const char  *sql,
     const char  *text,
     gint64      *changes,
     GError     **error)
{
  g_autoptr(sqlite3_stmt) s = prepare (admin, sql, error);

  if (s == NULL)
    return FALSE;
  if (text != NULL)
    sqlite3_bind_text (s, 1, text, -1, SQLITE_STATIC);
  if (sqlite3_step (s) != SQLITE_DONE)
    return fail_sqlite (admin, "Cannot change the database", error);
  if (changes != NULL)
    *changes = sqlite3_changes (admin->db);
  return TRUE;
}

/* The data directory's files, when root made them (an administrator
 * running the tool as root beside a relay that runs as its own user),
 * go to the owner of relay.db, or the relay could no longer open them. */
static void
give_files_to_relay (Admin *admin)
{
  const char *suffixes[] = { "-wal", "-shm" };
  g_autofree char *db_path = g_build_filename (admin->data_dir, "relay.db", NULL);
  GStatBuf owner;

  if (geteuid () != 0 || g_stat (db_path, &owner) != 0)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = g_strconcat (db_path, suffixes[i], NULL);
      GStatBuf info;

      if (g_stat (path, &info) == 0 && (info.st_uid != owner.st_uid || info.st_gid != owner.st_gid) &&
          chown (path, owner.st_uid, owner.st_gid) != 0)
        g_printerr ("sotto-relay admin: cannot give %s to the relay's user: %s\n", path, g_strerror (errno));
    }
}

static gboolean
admin_open (Admin       *admin,
            GError     **error)
{
  g_autofree char *path = g_build_filename (admin->data_dir, "relay.db", NULL);
  g_autoptr(sqlite3_stmt) version = NULL;
  gint64 schema;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return relay_admin_fail (error, "There is no relay database in %s: start sotto-relay on it once first",
                 admin->data_dir);
  if (sqlite3_open_v2 (path, &admin->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    return relay_admin_fail (error, "Cannot open %s: %s", path,
                 admin->db != NULL ? sqlite3_errmsg (admin->db) : "out of memory");
  sqlite3_busy_timeout (admin->db, BUSY_TIMEOUT_MS);
  if (!exec (admin, "PRAGMA foreign_keys = ON", error))
    return FALSE;
  version = prepare (admin, "PRAGMA user_version", error);
  if (version == NULL || sqlite3_step (version) != SQLITE_ROW)
    return fail_sqlite (admin, "Cannot read the schema version", error);
  schema = sqlite3_column_int64 (version, 0);
  return relay_admin_check_schema (schema, relay_storage_sqlite_schema_version (), error);
}


static gboolean
admin_add_invite (gpointer   db,
                  GBytes    *hash,
                  gint64     created,
                  GError   **error)
{
  Admin *admin = db;
  g_autoptr(sqlite3_stmt) s = prepare (admin, "INSERT INTO invites (hash, created) VALUES (?1, ?2)", error);

  if (s == NULL)
    return FALSE;
  sqlite3_bind_blob (s, 1, g_bytes_get_data (hash, NULL), (int) g_bytes_get_size (hash), SQLITE_STATIC);
  sqlite3_bind_int64 (s, 2, created);
  if (sqlite3_step (s) != SQLITE_DONE)
    return fail_sqlite (admin, "Cannot store the invite", error);
  return TRUE;
}

static gboolean
admin_list_invites (gpointer   db,
                    GError   **error)
{
  Admin *admin = db;
  g_autoptr(sqlite3_stmt) s = prepare (admin,
                                       "SELECT lower(hex(substr(hash, 1, " G_STRINGIFY (RELAY_ADMIN_INVITE_ID_BYTES) "))),"
                                       " created FROM invites ORDER BY created, hash", error);
  int rc;

  if (s == NULL)
    return FALSE;
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    relay_admin_print_invite ((const char *) sqlite3_column_text (s, 0), sqlite3_column_int64 (s, 1));
  if (rc != SQLITE_DONE)
    return fail_sqlite (admin, "Cannot list the invites", error);
  return TRUE;
}

static gboolean
admin_revoke_invite (gpointer     db,
                     const char  *id,
                     GBytes      *hash,
                     gint64      *revoked,
                     GError     **error)
{
  Admin *admin = db;
  g_autoptr(sqlite3_stmt) s = NULL;

  if (id != NULL)
    return run (admin, "DELETE FROM invites WHERE lower(hex(substr(hash, 1, "
                G_STRINGIFY (RELAY_ADMIN_INVITE_ID_BYTES) "))) = ?1", id, revoked, error);
  s = prepare (admin, "DELETE FROM invites WHERE hash = ?1", error);
  if (s == NULL)
    return FALSE;
  sqlite3_bind_blob (s, 1, g_bytes_get_data (hash, NULL), (int) g_bytes_get_size (hash), SQLITE_STATIC);
  if (sqlite3_step (s) != SQLITE_DONE)
    return fail_sqlite (admin, "Cannot revoke the invite", error);
  *revoked = sqlite3_changes (admin->db);
  return TRUE;
}

static gboolean
admin_list_accounts (gpointer   db,
                     GError   **error)
{
  Admin *admin = db;
  g_autoptr(sqlite3_stmt) s = prepare (admin, "SELECT username, uuid, banned FROM accounts ORDER BY username",
                                       error);
  int rc;

  if (s == NULL)
    return FALSE;
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    relay_admin_print_account ((const char *) sqlite3_column_text (s, 0), (const char *) sqlite3_column_text (s, 1),
                               sqlite3_column_int (s, 2) != 0);
  if (rc != SQLITE_DONE)
    return fail_sqlite (admin, "Cannot list the accounts", error);
  return TRUE;
}

static gboolean
admin_count_accounts (gpointer   db,
                      gint64    *accounts,
                      gint64    *banned,
                      GError   **error)
{
  Admin *admin = db;
  g_autoptr(sqlite3_stmt) s = prepare (admin, "SELECT count(*), total(banned) FROM accounts", error);

  if (s == NULL)
    return FALSE;
  if (sqlite3_step (s) != SQLITE_ROW)
    return fail_sqlite (admin, "Cannot count the accounts", error);
  *accounts = sqlite3_column_int64 (s, 0);
  *banned = (gint64) sqlite3_column_double (s, 1);
  return TRUE;
}

static gboolean
admin_remove_account (gpointer            db,
                      const char         *username,
                      gboolean            ban,
                      RelayAdminRemoved  *removed,
                      GError            **error)
{
  Admin *admin = db;
  g_autoptr(sqlite3_stmt) find = NULL;

  if (!exec (admin, "BEGIN IMMEDIATE", error))
    return FALSE;
  find = prepare (admin, "SELECT uuid FROM accounts WHERE username = ?1", error);
  if (find == NULL)
    goto rollback;
  sqlite3_bind_text (find, 1, username, -1, SQLITE_STATIC);
  if (sqlite3_step (find) != SQLITE_ROW)
    {
      relay_admin_fail (error, "No account is named “%s”", username);
      goto rollback;
    }
  removed->uuid = g_strdup ((const char *) sqlite3_column_text (find, 0));
  g_clear_pointer (&find, sqlite3_finalize);
  if (run (admin, "DELETE FROM queue WHERE account = ?1", removed->uuid, &removed->queued, error) &&
      run (admin, "DELETE FROM devices WHERE account = ?1", removed->uuid, &removed->devices, error) &&
      (ban ? run (admin, "UPDATE accounts SET banned = 1 WHERE uuid = ?1", removed->uuid, NULL, error)
           : run (admin, "DELETE FROM accounts WHERE uuid = ?1", removed->uuid, NULL, error)) &&
      exec (admin, "COMMIT", error))
    return TRUE;

rollback:
  sqlite3_exec (admin->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

/* The longest first. */
static gboolean
admin_list_queues (gpointer   db,
                   GError   **error)
{
  Admin *admin = db;
  g_autoptr(sqlite3_stmt) s = prepare (admin,
                                       "SELECT coalesce(a.username, '-'), q.account, q.device_id, count(*) AS n"
                                       " FROM queue q LEFT JOIN accounts a ON a.uuid = q.account"
                                       " GROUP BY q.account, q.device_id ORDER BY n DESC, q.account, q.device_id",
                                       error);
  int rc;

  if (s == NULL)
    return FALSE;
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    relay_admin_print_queue ((const char *) sqlite3_column_text (s, 0), (const char *) sqlite3_column_text (s, 1),
                             sqlite3_column_int64 (s, 2), sqlite3_column_int64 (s, 3));
  if (rc != SQLITE_DONE)
    return fail_sqlite (admin, "Cannot read the queues", error);
  return TRUE;
}

/* check: SQLite's integrity check, then the foreign keys. */
static gboolean
admin_check (gpointer  db,
             GError **error)
{
  Admin *admin = db;
  g_autoptr(sqlite3_stmt) integrity = prepare (admin, "PRAGMA integrity_check", error);
  g_autoptr(sqlite3_stmt) keys = NULL;
  gboolean ok = TRUE;
  int rc;

  if (integrity == NULL)
    return FALSE;
  while ((rc = sqlite3_step (integrity)) == SQLITE_ROW)
    {
      const char *line = (const char *) sqlite3_column_text (integrity, 0);

      if (strcmp (line, "ok") != 0)
        {
          g_print ("%s\n", line);
          ok = FALSE;
        }
    }
  if (rc != SQLITE_DONE)
    return fail_sqlite (admin, "Cannot check the database", error);
  keys = prepare (admin, "PRAGMA foreign_key_check", error);
  if (keys == NULL)
    return FALSE;
  while ((rc = sqlite3_step (keys)) == SQLITE_ROW)
    {
      g_print ("A row of %s refers to a missing row of %s\n", (const char *) sqlite3_column_text (keys, 0),
               (const char *) sqlite3_column_text (keys, 2));
      ok = FALSE;
    }
  if (rc != SQLITE_DONE)
    return fail_sqlite (admin, "Cannot check the database", error);
  if (!ok)
    return relay_admin_fail (error, "The database is damaged: restore it from a backup");
  g_print ("ok\n");
  return TRUE;
}

/* backup DEST: a new directory, readable by its owner only, holding a
 * consistent copy of relay.db, taken with SQLite's online backup while
 * the relay runs, and relay.conf. */
static gboolean
admin_backup (gpointer     db,
              const char  *dest,
              GError     **error)
{
  Admin *admin = db;
  g_autofree char *db_path = g_build_filename (dest, "relay.db", NULL);
  g_autofree char *conf_source = g_build_filename (admin->data_dir, "relay.conf", NULL);
  g_autofree char *conf_path = g_build_filename (dest, "relay.conf", NULL);
  g_autofree char *conf = NULL;
  sqlite3 *copy = NULL;
  sqlite3_backup *job;
  gsize conf_length = 0;
  int rc;

  if (g_mkdir (dest, 0700) != 0)
    return relay_admin_fail (error, "Cannot make the backup directory %s: %s", dest, g_strerror (errno));
  if (sqlite3_open_v2 (db_path, &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
    {
      relay_admin_fail (error, "Cannot create %s: %s", db_path, copy != NULL ? sqlite3_errmsg (copy) : "out of memory");
      sqlite3_close (copy);
      return FALSE;
    }
  job = sqlite3_backup_init (copy, "main", admin->db, "main");
  if (job == NULL)
    {
      relay_admin_fail (error, "Cannot back up: %s", sqlite3_errmsg (copy));
      sqlite3_close (copy);
      return FALSE;
    }
  /* All pages in one step: in WAL mode the relay's writer never blocks
   * this reader, which sees one consistent snapshot. */
  while ((rc = sqlite3_backup_step (job, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED)
    sqlite3_sleep (50);
  sqlite3_backup_finish (job);
  if (rc != SQLITE_DONE)
    {
      relay_admin_fail (error, "Cannot back up: %s", sqlite3_errstr (rc));
      sqlite3_close (copy);
      return FALSE;
    }
  /* The copy is a database on its own, without a WAL to carry along. */
  sqlite3_exec (copy, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
  sqlite3_close (copy);
  if (g_chmod (db_path, 0600) != 0)
    return relay_admin_fail (error, "Cannot make %s private: %s", db_path, g_strerror (errno));

  if (g_file_test (conf_source, G_FILE_TEST_EXISTS))
    {
      if (!g_file_get_contents (conf_source, &conf, &conf_length, error) ||
          !g_file_set_contents_full (conf_path, conf, (gssize) conf_length,
                                     G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
        return FALSE;
    }
  g_print ("Backed up %s to %s%s\n", admin->data_dir, dest, conf != NULL ? " with relay.conf" : "");
  return TRUE;
}

static void
admin_close (gpointer db)
{
  Admin *admin = db;

  if (admin->db != NULL)
    {
      give_files_to_relay (admin);
      sqlite3_close (admin->db);
    }
  g_free (admin->data_dir);
  g_free (admin);
}

gpointer
relay_admin_sqlite_open (const char  *data_dir,
                         GError     **error)
{
  Admin *admin = g_new0 (Admin, 1);

  admin->data_dir = g_strdup (data_dir);
  if (!admin_open (admin, error))
    {
      admin_close (admin);
      return NULL;
    }
  return admin;
}

const RelayAdminBackend relay_admin_sqlite_backend = {
  .close = admin_close,
  .add_invite = admin_add_invite,
  .list_invites = admin_list_invites,
  .revoke_invite = admin_revoke_invite,
  .list_accounts = admin_list_accounts,
  .count_accounts = admin_count_accounts,
  .remove_account = admin_remove_account,
  .list_queues = admin_list_queues,
  .check = admin_check,
  .backup = admin_backup,
};
