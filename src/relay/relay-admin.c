/* relay-admin.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * sotto-relay admin: what an operator does to a relay's database, safe
 * while the relay runs.  It opens the database as a second SQLite
 * connection and changes it in short IMMEDIATE transactions, waiting
 * for the relay's writer with a busy timeout; the relay notices each
 * commit through PRAGMA data_version (relay-storage-sqlite.c) and reads
 * again what it remembers of the data, and forgets the passwords it has
 * checked, so that a deleted or banned account is refused at its next
 * authentication.  It never takes the data directory's lock, which
 * belongs to the relay.
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relay-admin.h"
#include "relay-invite.h"
#include "relay-storage.h"

/* How long a command waits for the relay's writer. */
#define BUSY_TIMEOUT_MS 10000
/* An invite's id, as `invite list` shows it: the start of its hash. */
#define INVITE_ID_BYTES 8

typedef struct
{
  char    *data_dir;
  sqlite3 *db;
} Admin;

static void
admin_clear (Admin *admin)
{
  if (admin->db != NULL)
    sqlite3_close (admin->db);
  g_free (admin->data_dir);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Admin, admin_clear)

static gboolean
fail (GError     **error,
      const char  *format,
      ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (GError     **error,
      const char  *format,
      ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, message);
  return FALSE;
}

static gboolean
fail_sqlite (Admin       *admin,
             const char  *what,
             GError     **error)
{
  return fail (error, "%s: %s", what, sqlite3_errmsg (admin->db));
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
    return fail (error, "There is no relay database in %s: start sotto-relay on it once first",
                 admin->data_dir);
  if (sqlite3_open_v2 (path, &admin->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    return fail (error, "Cannot open %s: %s", path,
                 admin->db != NULL ? sqlite3_errmsg (admin->db) : "out of memory");
  sqlite3_busy_timeout (admin->db, BUSY_TIMEOUT_MS);
  if (!exec (admin, "PRAGMA foreign_keys = ON", error))
    return FALSE;
  version = prepare (admin, "PRAGMA user_version", error);
  if (version == NULL || sqlite3_step (version) != SQLITE_ROW)
    return fail_sqlite (admin, "Cannot read the schema version", error);
  schema = sqlite3_column_int64 (version, 0);
  if (schema != relay_storage_sqlite_schema_version ())
    return fail (error, "The database has schema version %" G_GINT64_FORMAT " and this tool knows %u: "
                 "run it from the same version as the relay, after the relay has started once",
                 schema, relay_storage_sqlite_schema_version ());
  return TRUE;
}

/* invite create | list | revoke TOKEN-OR-ID */

static gboolean
invite_create (Admin   *admin,
               GError **error)
{
  char *token = relay_invite_token_new ();
  g_autoptr(GBytes) hash = relay_invite_hash (token);
  g_autoptr(sqlite3_stmt) s = prepare (admin, "INSERT INTO invites (hash, created) VALUES (?1, ?2)", error);
  gboolean stored = FALSE;

  if (s != NULL)
    {
      sqlite3_bind_blob (s, 1, g_bytes_get_data (hash, NULL), (int) g_bytes_get_size (hash), SQLITE_STATIC);
      sqlite3_bind_int64 (s, 2, g_get_real_time () / G_USEC_PER_SEC);
      stored = sqlite3_step (s) == SQLITE_DONE;
      if (!stored)
        fail_sqlite (admin, "Cannot store the invite", error);
    }
  /* The token is shown this once: the database keeps only its hash. */
  if (stored)
    g_print ("%s\n", token);
  sodium_memzero (token, strlen (token));
  g_free (token);
  return stored;
}

static char *
format_time (gint64 seconds)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (seconds);

  return time != NULL ? g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("?");
}

static gboolean
invite_list (Admin   *admin,
             GError **error)
{
  g_autoptr(sqlite3_stmt) s = prepare (admin,
                                       "SELECT lower(hex(substr(hash, 1, " G_STRINGIFY (INVITE_ID_BYTES) "))),"
                                       " created FROM invites ORDER BY created, hash", error);
  int rc;

  if (s == NULL)
    return FALSE;
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      g_autofree char *created = format_time (sqlite3_column_int64 (s, 1));

      g_print ("%s created %s\n", (const char *) sqlite3_column_text (s, 0), created);
    }
  if (rc != SQLITE_DONE)
    return fail_sqlite (admin, "Cannot list the invites", error);
  return TRUE;
}

static gboolean
is_invite_id (const char *text)
{
  if (strlen (text) != 2 * INVITE_ID_BYTES)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  return TRUE;
}

/* Takes the token itself, or the id `invite list` shows for one whose
 * token is lost. */
static gboolean
invite_revoke (Admin       *admin,
               const char  *token,
               GError     **error)
{
  gint64 changes = 0;

  if (is_invite_id (token))
    {
      g_autofree char *id = g_ascii_strdown (token, -1);

      if (!run (admin, "DELETE FROM invites WHERE lower(hex(substr(hash, 1, "
                G_STRINGIFY (INVITE_ID_BYTES) "))) = ?1", id, &changes, error))
        return FALSE;
    }
  else
    {
      g_autoptr(GBytes) hash = relay_invite_hash (token);
      g_autoptr(sqlite3_stmt) s = prepare (admin, "DELETE FROM invites WHERE hash = ?1", error);

      if (s == NULL)
        return FALSE;
      sqlite3_bind_blob (s, 1, g_bytes_get_data (hash, NULL), (int) g_bytes_get_size (hash), SQLITE_STATIC);
      if (sqlite3_step (s) != SQLITE_DONE)
        return fail_sqlite (admin, "Cannot revoke the invite", error);
      changes = sqlite3_changes (admin->db);
    }
  if (changes == 0)
    return fail (error, "No such invite: it was used, revoked, or never made");
  g_print ("Revoked the invite\n");
  return TRUE;
}

/* accounts list | count | delete USERNAME | ban USERNAME */

static gboolean
accounts_list (Admin   *admin,
               GError **error)
{
  g_autoptr(sqlite3_stmt) s = prepare (admin, "SELECT username, uuid, banned FROM accounts ORDER BY username",
                                       error);
  int rc;

  if (s == NULL)
    return FALSE;
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    g_print ("%s %s%s\n", (const char *) sqlite3_column_text (s, 0), (const char *) sqlite3_column_text (s, 1),
             sqlite3_column_int (s, 2) ? " banned" : "");
  if (rc != SQLITE_DONE)
    return fail_sqlite (admin, "Cannot list the accounts", error);
  return TRUE;
}

static gboolean
accounts_count (Admin   *admin,
                GError **error)
{
  g_autoptr(sqlite3_stmt) s = prepare (admin, "SELECT count(*), total(banned) FROM accounts", error);

  if (s == NULL)
    return FALSE;
  if (sqlite3_step (s) != SQLITE_ROW)
    return fail_sqlite (admin, "Cannot count the accounts", error);
  g_print ("%" G_GINT64_FORMAT " accounts, %" G_GINT64_FORMAT " of them banned\n",
           (gint64) sqlite3_column_int64 (s, 0), (gint64) sqlite3_column_double (s, 1));
  return TRUE;
}

/* Deletes the account's queue and devices (their keys go with them, by
 * foreign key), and then either the account, or, for a ban, only marks
 * it, so that its username stays taken. */
static gboolean
account_remove (Admin       *admin,
                const char  *username,
                gboolean     ban,
                GError     **error)
{
  g_autoptr(sqlite3_stmt) find = NULL;
  g_autofree char *uuid = NULL;
  gint64 queued = 0, devices = 0;
  gboolean ok;

  if (!exec (admin, "BEGIN IMMEDIATE", error))
    return FALSE;
  find = prepare (admin, "SELECT uuid FROM accounts WHERE username = ?1", error);
  if (find == NULL)
    goto rollback;
  sqlite3_bind_text (find, 1, username, -1, SQLITE_STATIC);
  if (sqlite3_step (find) != SQLITE_ROW)
    {
      fail (error, "No account is named “%s”", username);
      goto rollback;
    }
  uuid = g_strdup ((const char *) sqlite3_column_text (find, 0));
  g_clear_pointer (&find, sqlite3_finalize);
  ok = run (admin, "DELETE FROM queue WHERE account = ?1", uuid, &queued, error) &&
       run (admin, "DELETE FROM devices WHERE account = ?1", uuid, &devices, error) &&
       (ban ? run (admin, "UPDATE accounts SET banned = 1 WHERE uuid = ?1", uuid, NULL, error)
            : run (admin, "DELETE FROM accounts WHERE uuid = ?1", uuid, NULL, error)) &&
       exec (admin, "COMMIT", error);
  if (!ok)
    goto rollback;
  g_print ("%s account %s (%s) with %" G_GINT64_FORMAT " devices and %" G_GINT64_FORMAT " queued envelopes\n",
           ban ? "Banned" : "Deleted", username, uuid, devices, queued);
  return TRUE;

rollback:
  sqlite3_exec (admin->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

/* queues: the longest first. */
static gboolean
queues_list (Admin   *admin,
             GError **error)
{
  g_autoptr(sqlite3_stmt) s = prepare (admin,
                                       "SELECT coalesce(a.username, '-'), q.account, q.device_id, count(*) AS n"
                                       " FROM queue q LEFT JOIN accounts a ON a.uuid = q.account"
                                       " GROUP BY q.account, q.device_id ORDER BY n DESC, q.account, q.device_id",
                                       error);
  int rc;

  if (s == NULL)
    return FALSE;
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    g_print ("%s %s device %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT " envelopes\n",
             (const char *) sqlite3_column_text (s, 0), (const char *) sqlite3_column_text (s, 1),
             (gint64) sqlite3_column_int64 (s, 2), (gint64) sqlite3_column_int64 (s, 3));
  if (rc != SQLITE_DONE)
    return fail_sqlite (admin, "Cannot read the queues", error);
  return TRUE;
}

/* check: SQLite's integrity check, then the foreign keys. */
static gboolean
check_database (Admin   *admin,
                GError **error)
{
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
    return fail (error, "The database is damaged: restore it from a backup");
  g_print ("ok\n");
  return TRUE;
}

/* backup DEST: a new directory, readable by its owner only, holding a
 * consistent copy of relay.db, taken with SQLite's online backup while
 * the relay runs, and relay.conf. */
static gboolean
backup (Admin       *admin,
        const char  *dest,
        GError     **error)
{
  g_autofree char *db_path = g_build_filename (dest, "relay.db", NULL);
  g_autofree char *conf_source = g_build_filename (admin->data_dir, "relay.conf", NULL);
  g_autofree char *conf_path = g_build_filename (dest, "relay.conf", NULL);
  g_autofree char *conf = NULL;
  sqlite3 *copy = NULL;
  sqlite3_backup *job;
  gsize conf_length = 0;
  int rc;

  if (g_mkdir (dest, 0700) != 0)
    return fail (error, "Cannot make the backup directory %s: %s", dest, g_strerror (errno));
  if (sqlite3_open_v2 (db_path, &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
    {
      fail (error, "Cannot create %s: %s", db_path, copy != NULL ? sqlite3_errmsg (copy) : "out of memory");
      sqlite3_close (copy);
      return FALSE;
    }
  job = sqlite3_backup_init (copy, "main", admin->db, "main");
  if (job == NULL)
    {
      fail (error, "Cannot back up: %s", sqlite3_errmsg (copy));
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
      fail (error, "Cannot back up: %s", sqlite3_errstr (rc));
      sqlite3_close (copy);
      return FALSE;
    }
  /* The copy is a database on its own, without a WAL to carry along. */
  sqlite3_exec (copy, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
  sqlite3_close (copy);
  if (g_chmod (db_path, 0600) != 0)
    return fail (error, "Cannot make %s private: %s", db_path, g_strerror (errno));

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

static gboolean
dispatch (Admin       *admin,
          char       **args,
          GError     **error)
{
  guint n = g_strv_length (args);

#define IS(index, word) (n > (index) && strcmp (args[index], word) == 0)

  if (n == 0)
    return fail (error, "Which command? See sotto-relay admin --help");
  if (IS (0, "backup") && n == 2)
    return backup (admin, args[1], error);
  if (IS (0, "invite") && IS (1, "create") && n == 2)
    return invite_create (admin, error);
  if (IS (0, "invite") && IS (1, "list") && n == 2)
    return invite_list (admin, error);
  if (IS (0, "invite") && IS (1, "revoke") && n == 3)
    return invite_revoke (admin, args[2], error);
  if (IS (0, "accounts") && IS (1, "list") && n == 2)
    return accounts_list (admin, error);
  if (IS (0, "accounts") && IS (1, "count") && n == 2)
    return accounts_count (admin, error);
  if (IS (0, "accounts") && (IS (1, "delete") || IS (1, "ban")) && n == 3)
    return account_remove (admin, args[2], IS (1, "ban"), error);
  if (IS (0, "queues") && n == 1)
    return queues_list (admin, error);
  if (IS (0, "check") && n == 1)
    return check_database (admin, error);

#undef IS

  {
    g_autofree char *command = g_strjoinv (" ", args);

    return fail (error, "Unknown command “%s”: see sotto-relay admin --help", command);
  }
}

int
relay_admin_main (int    argc,
                  char **argv)
{
  g_auto(Admin) admin = { NULL, NULL };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &admin.data_dir,
      "The relay's data directory", "DIR" },
    G_OPTION_ENTRY_NULL
  };
  gboolean ok;

  /* The usage line reads "sotto-relay admin [OPTION…] COMMAND". */
  g_set_prgname ("sotto-relay admin");
  context = g_option_context_new ("COMMAND - administer a Sotto relay");
  g_option_context_set_summary (context,
                                "Works on the relay's database, also while the relay runs.\n"
                                "\n"
                                "Commands:\n"
                                "  invite create            Print a new single-use invite token\n"
                                "  invite list              The unused invites: id and creation time\n"
                                "  invite revoke TOKEN|ID   Revoke an unused invite\n"
                                "  accounts list            One account a line: username, UUID\n"
                                "  accounts count           How many accounts there are\n"
                                "  accounts delete USERNAME Delete an account, its devices, keys and queue\n"
                                "  accounts ban USERNAME    As delete, but keep the username taken\n"
                                "  queues                   Envelopes waiting, per device\n"
                                "  check                    Check the database's integrity\n"
                                "  backup DEST              Copy relay.db and relay.conf into the new\n"
                                "                           directory DEST, readable by its owner only");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("sotto-relay admin: %s\n", error->message);
      return 2;
    }
  if (admin.data_dir == NULL)
    {
      g_printerr ("sotto-relay admin: --data-dir is required (see --help)\n");
      return 2;
    }
  /* Whatever the tool creates (a backup, SQLite's side files) is the
   * relay's confidential data. */
  umask (0077);
  ok = admin_open (&admin, &error) && dispatch (&admin, argv + 1, &error);
  if (admin.db != NULL)
    give_files_to_relay (&admin);
  if (!ok)
    {
      g_printerr ("sotto-relay admin: %s\n", error->message);
      return 1;
    }
  return 0;
}
