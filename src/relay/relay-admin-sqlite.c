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
admin_run (gpointer                db,
           const char             *what,
           const char             *sql,
           const RelayAdminParam  *params,
           guint                   n_params,
           RelayAdminRowFunc       row,
           gpointer                data,
           gint64                 *changes,
           GError                **error)
{
  Admin *admin = db;
  g_autoptr(sqlite3_stmt) s = NULL;
  int rc;

  if (sqlite3_prepare_v2 (admin->db, sql, -1, &s, NULL) != SQLITE_OK)
    return fail_sqlite (admin, what, error);
  for (guint i = 0; i < n_params; i++)
    if (params[i].bytes != NULL)
      sqlite3_bind_blob64 (s, (int) i + 1, g_bytes_get_data (params[i].bytes, NULL),
                           g_bytes_get_size (params[i].bytes), SQLITE_STATIC);
    else
      sqlite3_bind_text (s, (int) i + 1, params[i].text, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      int n_columns = sqlite3_column_count (s);
      g_autofree const char **columns = g_new0 (const char *, n_columns + 1);

      for (int i = 0; i < n_columns; i++)
        columns[i] = (const char *) sqlite3_column_text (s, i);
      if (row != NULL)
        row (columns, data);
    }
  if (rc != SQLITE_DONE)
    return fail_sqlite (admin, what, error);
  if (changes != NULL)
    *changes = sqlite3_changes (admin->db);
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

#define INVITE_ID "lower(hex(substr(hash, 1, " G_STRINGIFY (RELAY_ADMIN_INVITE_ID_BYTES) ")))"

static const RelayAdminSql sqlite_sql = {
  .list_invites = "SELECT " INVITE_ID ", created FROM invites ORDER BY created, hash",
  .revoke_invite_by_id = "DELETE FROM invites WHERE " INVITE_ID " = ?1",
  .list_accounts = "SELECT username, uuid, banned FROM accounts ORDER BY username",
  .count_accounts = "SELECT count(*), coalesce(sum(banned), 0) FROM accounts",
  /* IMMEDIATE waits for the relay's writer, and then holds it off. */
  .begin = "BEGIN IMMEDIATE",
  .find_account = "SELECT uuid FROM accounts WHERE username = ?1",
  /* The relay notices every commit through PRAGMA data_version. */
  .notify_removal = NULL,
  .list_queues = "SELECT coalesce(a.username, '-'), q.account, q.device_id, count(*) AS n"
                 " FROM queue q LEFT JOIN accounts a ON a.uuid = q.account"
                 " GROUP BY q.account, q.device_id ORDER BY n DESC, q.account, q.device_id",
};

const RelayAdminBackend relay_admin_sqlite_backend = {
  .sql = &sqlite_sql,
  .close = admin_close,
  .run = admin_run,
  .check = admin_check,
  .backup = admin_backup,
};
