/* relay-admin.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * sotto-relay admin: what an operator does to a relay's database, safe
 * while the relay runs.  The database is the relay's: DATA_DIR/relay.db
 * (relay-admin-sqlite.c), or the PostgreSQL database that --database or
 * relay.conf's [database] url names (relay-admin-postgresql.c).  This
 * file reads the command line, makes invite tokens and prints what the
 * commands find, the same whichever the backend.
 */

#include "config.h"

#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

#include "relay-admin.h"
#include "relay-admin-private.h"
#include "relay-config.h"
#include "relay-invite.h"

typedef struct
{
  const RelayAdminBackend *backend;
  gpointer                 db;
} Admin;

static void
admin_clear (Admin *admin)
{
  if (admin->db != NULL)
    admin->backend->close (admin->db);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Admin, admin_clear)

gboolean
relay_admin_fail (GError     **error,
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

/* The tool works only on a schema it knows, and leaves migrating it to
 * the relay. */
gboolean
relay_admin_check_schema (gint64    schema,
                          guint     known,
                          GError  **error)
{
  if (schema == known)
    return TRUE;
  return relay_admin_fail (error, "The database has schema version %" G_GINT64_FORMAT " and this tool knows %u: "
                           "run it from the same version as the relay, after the relay has started once",
                           schema, known);
}

static char *
format_time (gint64 seconds)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (seconds);

  return time != NULL ? g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("?");
}

static gint64
column_int (const char *column)
{
  return g_ascii_strtoll (column, NULL, 10);
}

static void
print_invite_cb (const char * const *columns,
                 gpointer            data)
{
  g_autofree char *when = format_time (column_int (columns[1]));

  g_print ("%s created %s\n", columns[0], when);
}

static void
print_account_cb (const char * const *columns,
                  gpointer            data)
{
  g_print ("%s %s%s\n", columns[0], columns[1], column_int (columns[2]) != 0 ? " banned" : "");
}

static void
print_queue_cb (const char * const *columns,
                gpointer            data)
{
  g_print ("%s %s device %s: %s envelopes\n", columns[0], columns[1], columns[2], columns[3]);
}

/* Keeps the columns of the one row a statement returns. */
static void
read_row_cb (const char * const *columns,
             gpointer            data)
{
  GStrv *row = data;

  g_clear_pointer (row, g_strfreev);
  *row = g_strdupv ((char **) columns);
}

/* Runs a statement without parameters and hands its rows to `row`. */
static gboolean
query (Admin              *admin,
       const char         *what,
       const char         *sql,
       RelayAdminRowFunc   row,
       gpointer            data,
       GError            **error)
{
  return admin->backend->run (admin->db, what, sql, NULL, 0, row, data, NULL, error);
}

/* Runs a statement that returns no rows, and gives how many rows it
 * changed (`changes` may be NULL). */
static gboolean
change (Admin                  *admin,
        const char             *what,
        const char             *sql,
        const RelayAdminParam  *params,
        guint                   n_params,
        gint64                 *changes,
        GError                **error)
{
  return admin->backend->run (admin->db, what, sql, params, n_params, NULL, NULL, changes, error);
}

/* Runs a statement of the command that removes an account, with its
 * UUID, and gives how many rows it changed. */
static gboolean
run_on_account (Admin       *admin,
                const char  *sql,
                const char  *uuid,
                gint64      *changes,
                GError     **error)
{
  RelayAdminParam param = { uuid, NULL };

  return change (admin, "Cannot change the database", sql, &param, 1, changes, error);
}

/* The statements that read the same in both backends' SQL; SQLite
 * takes $1 as the first parameter too. */
#define SQL_ADD_INVITE      "INSERT INTO invites (hash, created) VALUES ($1, $2)"
#define SQL_REVOKE_INVITE   "DELETE FROM invites WHERE hash = $1"
#define SQL_DELETE_QUEUE    "DELETE FROM queue WHERE account = $1"
#define SQL_DELETE_DEVICES  "DELETE FROM devices WHERE account = $1"
#define SQL_DELETE_ACCESS_KEY "DELETE FROM access_keys WHERE account = $1"
#define SQL_DELETE_PROFILE  "DELETE FROM profiles WHERE account = $1"
#define SQL_BAN_ACCOUNT     "UPDATE accounts SET banned = true WHERE uuid = $1"
#define SQL_DELETE_ACCOUNT  "DELETE FROM accounts WHERE uuid = $1"

/* invite create | list | revoke TOKEN-OR-ID */

static gboolean
invite_create (Admin   *admin,
               GError **error)
{
  char *token = relay_invite_token_new ();
  g_autoptr(GBytes) hash = relay_invite_hash (token);
  g_autofree char *created = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time () / G_USEC_PER_SEC);
  RelayAdminParam params[] = { { NULL, hash }, { created, NULL } };
  gboolean stored = change (admin, "Cannot store the invite", SQL_ADD_INVITE, params, 2, NULL, error);

  /* The token is shown this once: the database keeps only its hash. */
  if (stored)
    g_print ("%s\n", token);
  sodium_memzero (token, strlen (token));
  g_free (token);
  return stored;
}

static gboolean
is_invite_id (const char *text)
{
  if (strlen (text) != 2 * RELAY_ADMIN_INVITE_ID_BYTES)
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
  gint64 revoked = 0;
  gboolean ok;

  if (is_invite_id (token))
    {
      g_autofree char *id = g_ascii_strdown (token, -1);
      RelayAdminParam param = { id, NULL };

      ok = change (admin, "Cannot revoke the invite", admin->backend->sql->revoke_invite_by_id, &param, 1, &revoked,
                   error);
    }
  else
    {
      g_autoptr(GBytes) hash = relay_invite_hash (token);
      RelayAdminParam param = { NULL, hash };

      ok = change (admin, "Cannot revoke the invite", SQL_REVOKE_INVITE, &param, 1, &revoked, error);
    }
  if (!ok)
    return FALSE;
  if (revoked == 0)
    return relay_admin_fail (error, "No such invite: it was used, revoked, or never made");
  g_print ("Revoked the invite\n");
  return TRUE;
}

/* accounts list | count | delete USERNAME | ban USERNAME */

static gboolean
accounts_count (Admin   *admin,
                GError **error)
{
  g_auto(GStrv) row = NULL;

  if (!query (admin, "Cannot count the accounts", admin->backend->sql->count_accounts, read_row_cb, &row, error))
    return FALSE;
  g_print ("%" G_GINT64_FORMAT " accounts, %" G_GINT64_FORMAT " of them banned\n",
           row != NULL ? column_int (row[0]) : 0, row != NULL ? column_int (row[1]) : 0);
  return TRUE;
}

/* Deletes the account's queue and devices (their keys go with them),
 * its unidentified-access key and its encrypted profile, then the
 * account, or for a ban only marks it, so that its username stays
 * taken, all in one transaction; running relays learn of it.  The key
 * and the profile go by name rather than by the schema's cascade, which
 * a ban does not set off: a banned account keeps nothing but its
 * name. */
static gboolean
account_remove (Admin       *admin,
                const char  *username,
                gboolean     ban,
                GError     **error)
{
  const RelayAdminSql *sql = admin->backend->sql;
  RelayAdminParam param = { username, NULL };
  g_auto(GStrv) found = NULL;
  gint64 queued = 0;
  gint64 devices = 0;

  if (!change (admin, "Cannot change the database", sql->begin, NULL, 0, NULL, error))
    return FALSE;
  if (admin->backend->run (admin->db, "Cannot read the database", sql->find_account, &param, 1, read_row_cb, &found,
                           NULL, error) &&
      (found != NULL || relay_admin_fail (error, "No account is named “%s”", username)) &&
      run_on_account (admin, SQL_DELETE_QUEUE, found[0], &queued, error) &&
      run_on_account (admin, SQL_DELETE_DEVICES, found[0], &devices, error) &&
      run_on_account (admin, SQL_DELETE_ACCESS_KEY, found[0], NULL, error) &&
      run_on_account (admin, SQL_DELETE_PROFILE, found[0], NULL, error) &&
      run_on_account (admin, ban ? SQL_BAN_ACCOUNT : SQL_DELETE_ACCOUNT, found[0], NULL, error) &&
      (sql->notify_removal == NULL || run_on_account (admin, sql->notify_removal, found[0], NULL, error)) &&
      change (admin, "Cannot commit the change", "COMMIT", NULL, 0, NULL, error))
    {
      g_print ("%s account %s (%s) with %" G_GINT64_FORMAT " devices and %" G_GINT64_FORMAT " queued envelopes\n",
               ban ? "Banned" : "Deleted", username, found[0], devices, queued);
      return TRUE;
    }
  change (admin, "Cannot roll back", "ROLLBACK", NULL, 0, NULL, NULL);
  return FALSE;
}

static gboolean
dispatch (Admin       *admin,
          char       **args,
          GError     **error)
{
  guint n = g_strv_length (args);

#define IS(index, word) (n > (index) && strcmp (args[index], word) == 0)

  if (n == 0)
    return relay_admin_fail (error, "Which command? See sotto-relay admin --help");
  if (IS (0, "backup") && n == 2)
    return admin->backend->backup (admin->db, args[1], error);
  if (IS (0, "invite") && IS (1, "create") && n == 2)
    return invite_create (admin, error);
  if (IS (0, "invite") && IS (1, "list") && n == 2)
    return query (admin, "Cannot list the invites", admin->backend->sql->list_invites, print_invite_cb, NULL, error);
  if (IS (0, "invite") && IS (1, "revoke") && n == 3)
    return invite_revoke (admin, args[2], error);
  if (IS (0, "accounts") && IS (1, "list") && n == 2)
    return query (admin, "Cannot list the accounts", admin->backend->sql->list_accounts, print_account_cb, NULL,
                  error);
  if (IS (0, "accounts") && IS (1, "count") && n == 2)
    return accounts_count (admin, error);
  if (IS (0, "accounts") && (IS (1, "delete") || IS (1, "ban")) && n == 3)
    return account_remove (admin, args[2], IS (1, "ban"), error);
  if (IS (0, "queues") && n == 1)
    return query (admin, "Cannot read the queues", admin->backend->sql->list_queues, print_queue_cb, NULL, error);
  if (IS (0, "check") && n == 1)
    return admin->backend->check (admin->db, error);

#undef IS

  {
    g_autofree char *command = g_strjoinv (" ", args);

    return relay_admin_fail (error, "Unknown command “%s”: see sotto-relay admin --help", command);
  }
}

/* The relay's database, as its data directory's relay.conf or
 * --database names it. */
static gboolean
admin_open (Admin       *admin,
            const char  *data_dir,
            const char  *database,
            GError     **error)
{
  g_autoptr(RelayConfig) config = relay_config_new ();

  config->data_dir = g_strdup (data_dir);
  config->database_override = g_strdup (database);
  if (!relay_config_load_data_dir (config, error))
    return FALSE;
  if (config->database_url != NULL)
    {
      admin->backend = &relay_admin_postgresql_backend;
      admin->db = relay_admin_postgresql_open (config->database_url, error);
    }
  else
    {
      admin->backend = &relay_admin_sqlite_backend;
      admin->db = relay_admin_sqlite_open (data_dir, error);
    }
  return admin->db != NULL;
}

int
relay_admin_main (int    argc,
                  char **argv)
{
  g_auto(Admin) admin = { NULL, NULL };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *database = NULL;
  GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir,
      "The relay's data directory", "DIR" },
    { "database", 0, 0, G_OPTION_ARG_STRING, &database,
      "The relay's PostgreSQL database (postgresql://...), when DIR/relay.conf does not name it",
      "URL" },
    G_OPTION_ENTRY_NULL
  };
  gboolean ok;

  /* The usage line reads "sotto-relay admin [OPTION…] COMMAND". */
  g_set_prgname ("sotto-relay admin");
  context = g_option_context_new ("COMMAND - administer a Sotto relay");
  g_option_context_set_summary (context,
                                "Works on the relay's database, also while the relay runs: DIR/relay.db,\n"
                                "or the PostgreSQL database of --database or DIR/relay.conf.\n"
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
                                "                           directory DEST, readable by its owner only\n"
                                "                           (SQLite only)");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("sotto-relay admin: %s\n", error->message);
      return 2;
    }
  if (data_dir == NULL)
    {
      g_printerr ("sotto-relay admin: --data-dir is required (see --help)\n");
      return 2;
    }
  /* Whatever the tool creates (a backup, SQLite's side files) is the
   * relay's confidential data. */
  umask (0077);
  ok = admin_open (&admin, data_dir, database, &error) && dispatch (&admin, argv + 1, &error);
  if (!ok)
    {
      g_printerr ("sotto-relay admin: %s\n", error->message);
      return 1;
    }
  return 0;
}
