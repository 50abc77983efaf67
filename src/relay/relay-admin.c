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

void
relay_admin_print_invite (const char *id,
                          gint64      created)
{
  g_autofree char *when = format_time (created);

  g_print ("%s created %s\n", id, when);
}

void
relay_admin_print_account (const char *username,
                           const char *uuid,
                           gboolean    banned)
{
  g_print ("%s %s%s\n", username, uuid, banned ? " banned" : "");
}

void
relay_admin_print_queue (const char *username,
                         const char *uuid,
                         gint64      device_id,
                         gint64      envelopes)
{
  g_print ("%s %s device %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT " envelopes\n",
           username, uuid, device_id, envelopes);
}

/* invite create | list | revoke TOKEN-OR-ID */

static gboolean
invite_create (Admin   *admin,
               GError **error)
{
  char *token = relay_invite_token_new ();
  g_autoptr(GBytes) hash = relay_invite_hash (token);
  gboolean stored = admin->backend->add_invite (admin->db, hash, g_get_real_time () / G_USEC_PER_SEC, error);

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

      ok = admin->backend->revoke_invite (admin->db, id, NULL, &revoked, error);
    }
  else
    {
      g_autoptr(GBytes) hash = relay_invite_hash (token);

      ok = admin->backend->revoke_invite (admin->db, NULL, hash, &revoked, error);
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
  gint64 accounts, banned;

  if (!admin->backend->count_accounts (admin->db, &accounts, &banned, error))
    return FALSE;
  g_print ("%" G_GINT64_FORMAT " accounts, %" G_GINT64_FORMAT " of them banned\n", accounts, banned);
  return TRUE;
}

static gboolean
account_remove (Admin       *admin,
                const char  *username,
                gboolean     ban,
                GError     **error)
{
  RelayAdminRemoved removed = { NULL, 0, 0 };
  gboolean ok = admin->backend->remove_account (admin->db, username, ban, &removed, error);

  if (ok)
    g_print ("%s account %s (%s) with %" G_GINT64_FORMAT " devices and %" G_GINT64_FORMAT " queued envelopes\n",
             ban ? "Banned" : "Deleted", username, removed.uuid, removed.devices, removed.queued);
  g_free (removed.uuid);
  return ok;
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
    return admin->backend->list_invites (admin->db, error);
  if (IS (0, "invite") && IS (1, "revoke") && n == 3)
    return invite_revoke (admin, args[2], error);
  if (IS (0, "accounts") && IS (1, "list") && n == 2)
    return admin->backend->list_accounts (admin->db, error);
  if (IS (0, "accounts") && IS (1, "count") && n == 2)
    return accounts_count (admin, error);
  if (IS (0, "accounts") && (IS (1, "delete") || IS (1, "ban")) && n == 3)
    return account_remove (admin, args[2], IS (1, "ban"), error);
  if (IS (0, "queues") && n == 1)
    return admin->backend->list_queues (admin->db, error);
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
