/* relay-admin-postgresql.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * sotto-relay admin on a PostgreSQL database that relay nodes share,
 * safe while they run.  Each change is one transaction; a deletion or a
 * ban also notifies RELAY_POSTGRESQL_ADMIN_CHANNEL when it commits, and
 * every node's writer connection, which listens on it, then forgets the
 * passwords it has checked and looks its connected devices up again, so
 * that the account is refused and disconnected on every node.  The tool
 * leaves the schema alone: it works only on a database at the version
 * it knows.
 */

#include "config.h"

#include <libpq-fe.h>
#include <string.h>

#include "relay-admin-private.h"
#include "relay-postgresql-private.h"
#include "relay-storage-postgresql.h"

typedef struct
{
  PGconn *conn;
} Admin;

static gboolean
fail_postgresql (Admin       *admin,
                 const char  *what,
                 GError     **error)
{
  return relay_admin_fail (error, "%s: %s", what, g_strchomp (PQerrorMessage (admin->conn)));
}

/* Runs `sql` with text parameters (NULL ends them) and binary results;
 * NULL, with `error` set, when it failed. */
static PGresult *
query (Admin       *admin,
       const char  *what,
       GError     **error,
       const char  *sql,
       ...) G_GNUC_NULL_TERMINATED;

static PGresult *
query (Admin       *admin,
       const char  *what,
       GError     **error,
       const char  *sql,
       ...)
{
  const char *values[4];
  int n = 0;
  va_list args;
  PGresult *result;
  const char *value;

  va_start (args, sql);
  while ((value = va_arg (args, const char *)) != NULL)
    {
      g_assert (n < (int) G_N_ELEMENTS (values));
      values[n++] = value;
    }
  va_end (args);
  result = PQexecParams (admin->conn, sql, n, NULL, values, NULL, NULL, 1);
  if (PQresultStatus (result) == PGRES_COMMAND_OK || PQresultStatus (result) == PGRES_TUPLES_OK)
    return result;
  relay_admin_fail (error, "%s: %s", what, g_strchomp (PQresultErrorMessage (result)));
  PQclear (result);
  return NULL;
}

static char *
text_at (const PGresult *result,
         int             row,
         int             column)
{
  return g_strndup (PQgetvalue (result, row, column), (gsize) PQgetlength (result, row, column));
}

static gboolean
admin_add_invite (gpointer   db,
                  GBytes    *hash,
                  gint64     created,
                  GError   **error)
{
  Admin *admin = db;
  g_autofree char *when = g_strdup_printf ("%" G_GINT64_FORMAT, created);
  const char *values[2] = { g_bytes_get_data (hash, NULL), when };
  int lengths[2] = { (int) g_bytes_get_size (hash), 0 };
  int formats[2] = { 1, 0 };
  g_autoptr(PGresult) result = PQexecParams (admin->conn, "INSERT INTO invites (hash, created) VALUES ($1, $2)",
                                             2, NULL, values, lengths, formats, 1);

  if (PQresultStatus (result) != PGRES_COMMAND_OK)
    return relay_admin_fail (error, "Cannot store the invite: %s", g_strchomp (PQresultErrorMessage (result)));
  return TRUE;
}

static gboolean
admin_list_invites (gpointer   db,
                    GError   **error)
{
  Admin *admin = db;
  g_autoptr(PGresult) result = query (admin, "Cannot list the invites", error,
                                      "SELECT encode (substr (hash, 1, " G_STRINGIFY (RELAY_ADMIN_INVITE_ID_BYTES)
                                      "), 'hex'), created FROM invites ORDER BY created, hash", NULL);

  if (result == NULL)
    return FALSE;
  for (int i = 0; i < PQntuples (result); i++)
    {
      g_autofree char *id = text_at (result, i, 0);

      relay_admin_print_invite (id, relay_pg_value_int (result, i, 1));
    }
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
  g_autoptr(PGresult) result = NULL;

  if (id != NULL)
    result = query (admin, "Cannot revoke the invite", error,
                    "DELETE FROM invites WHERE encode (substr (hash, 1, " G_STRINGIFY (RELAY_ADMIN_INVITE_ID_BYTES)
                    "), 'hex') = $1", id, NULL);
  else
    result = relay_pg_query (admin->conn, "DELETE FROM invites WHERE hash = $1", g_bytes_get_data (hash, NULL),
                             g_bytes_get_size (hash));
  if (result == NULL)
    return id != NULL ? FALSE : fail_postgresql (admin, "Cannot revoke the invite", error);
  *revoked = g_ascii_strtoll (PQcmdTuples (result), NULL, 10);
  return TRUE;
}

static gboolean
admin_list_accounts (gpointer   db,
                     GError   **error)
{
  Admin *admin = db;
  g_autoptr(PGresult) result = query (admin, "Cannot list the accounts", error,
                                      "SELECT username, uuid, banned FROM accounts ORDER BY username COLLATE \"C\"",
                                      NULL);

  if (result == NULL)
    return FALSE;
  for (int i = 0; i < PQntuples (result); i++)
    {
      g_autofree char *username = text_at (result, i, 0);
      g_autofree char *uuid = text_at (result, i, 1);

      relay_admin_print_account (username, uuid, relay_pg_value_int (result, i, 2) != 0);
    }
  return TRUE;
}

static gboolean
admin_count_accounts (gpointer   db,
                      gint64    *accounts,
                      gint64    *banned,
                      GError   **error)
{
  Admin *admin = db;
  g_autoptr(PGresult) result = query (admin, "Cannot count the accounts", error,
                                      "SELECT count(*), count(*) FILTER (WHERE banned) FROM accounts", NULL);

  if (result == NULL)
    return FALSE;
  *accounts = relay_pg_value_int (result, 0, 0);
  *banned = relay_pg_value_int (result, 0, 1);
  return TRUE;
}

static gint64
changed_rows (PGresult *result)
{
  return g_ascii_strtoll (PQcmdTuples (result), NULL, 10);
}

static gboolean
admin_remove_account (gpointer            db,
                      const char         *username,
                      gboolean            ban,
                      RelayAdminRemoved  *removed,
                      GError            **error)
{
  Admin *admin = db;
  g_autoptr(PGresult) find = NULL;
  g_autoptr(PGresult) queue = NULL;
  g_autoptr(PGresult) devices = NULL;
  g_autoptr(PGresult) account = NULL;
  g_autoptr(PGresult) notified = NULL;

  if (!relay_pg_exec (admin->conn, "BEGIN"))
    return fail_postgresql (admin, "Cannot change the database", error);
  find = query (admin, "Cannot read the database", error,
                "SELECT uuid FROM accounts WHERE username = $1 FOR UPDATE", username, NULL);
  if (find == NULL)
    goto rollback;
  if (PQntuples (find) == 0)
    {
      relay_admin_fail (error, "No account is named “%s”", username);
      goto rollback;
    }
  removed->uuid = text_at (find, 0, 0);
  queue = query (admin, "Cannot change the database", error, "DELETE FROM queue WHERE account = $1",
                 removed->uuid, NULL);
  if (queue == NULL)
    goto rollback;
  devices = query (admin, "Cannot change the database", error, "DELETE FROM devices WHERE account = $1",
                   removed->uuid, NULL);
  if (devices == NULL)
    goto rollback;
  account = query (admin, "Cannot change the database", error,
                   ban ? "UPDATE accounts SET banned = true WHERE uuid = $1" : "DELETE FROM accounts WHERE uuid = $1",
                   removed->uuid, NULL);
  if (account == NULL)
    goto rollback;
  notified = query (admin, "Cannot change the database", error,
                    "SELECT pg_notify ('" RELAY_POSTGRESQL_ADMIN_CHANNEL "', $1)", removed->uuid, NULL);
  if (notified == NULL)
    goto rollback;
  if (!relay_pg_exec (admin->conn, "COMMIT"))
    return fail_postgresql (admin, "Cannot commit the change", error);
  removed->queued = changed_rows (queue);
  removed->devices = changed_rows (devices);
  return TRUE;

rollback:
  relay_pg_exec (admin->conn, "ROLLBACK");
  return FALSE;
}

/* The longest first. */
static gboolean
admin_list_queues (gpointer   db,
                   GError   **error)
{
  Admin *admin = db;
  g_autoptr(PGresult) result = query (admin, "Cannot read the queues", error,
                                      "SELECT coalesce (a.username, '-'), q.account, q.device_id, count(*) AS n"
                                      " FROM queue q LEFT JOIN accounts a ON a.uuid = q.account"
                                      " GROUP BY a.username, q.account, q.device_id"
                                      " ORDER BY n DESC, q.account COLLATE \"C\", q.device_id", NULL);

  if (result == NULL)
    return FALSE;
  for (int i = 0; i < PQntuples (result); i++)
    {
      g_autofree char *username = text_at (result, i, 0);
      g_autofree char *uuid = text_at (result, i, 1);

      relay_admin_print_queue (username, uuid, relay_pg_value_int (result, i, 2), relay_pg_value_int (result, i, 3));
    }
  return TRUE;
}

/* PostgreSQL enforces the schema's keys itself and checks its pages when
 * the cluster has data checksums: what is left to check is that every
 * device belongs to an account and every queued envelope to a device,
 * which the foreign keys of the queue do not say. */
static gboolean
admin_check (gpointer   db,
             GError   **error)
{
  Admin *admin = db;
  g_autoptr(PGresult) result = query (admin, "Cannot check the database", error,
                                      "SELECT count(*) FROM queue q WHERE NOT EXISTS "
                                      "(SELECT 1 FROM devices d WHERE d.account = q.account AND d.device_id = q.device_id)",
                                      NULL);

  if (result == NULL)
    return FALSE;
  if (relay_pg_value_int (result, 0, 0) > 0)
    {
      g_print ("%" G_GINT64_FORMAT " queued envelopes belong to no device\n", relay_pg_value_int (result, 0, 0));
      return relay_admin_fail (error, "The database is damaged: restore it from a backup");
    }
  g_print ("ok\n");
  return TRUE;
}

static gboolean
admin_backup (gpointer     db,
              const char  *dest,
              GError     **error)
{
  return relay_admin_fail (error, "The relay's state is in PostgreSQL: back it up with pg_basebackup and WAL "
                           "archiving, or pg_dump (see docs/deploy.md)");
}

static void
admin_close (gpointer db)
{
  Admin *admin = db;

  g_clear_pointer (&admin->conn, PQfinish);
  g_free (admin);
}

gpointer
relay_admin_postgresql_open (const char  *url,
                             GError     **error)
{
  Admin *admin;
  g_autoptr(PGresult) version = NULL;
  gint64 schema;

  if (!relay_storage_postgresql_url_is_valid (url, error))
    return NULL;
  admin = g_new0 (Admin, 1);
  admin->conn = PQconnectdb (url);
  if (PQstatus (admin->conn) != CONNECTION_OK)
    {
      fail_postgresql (admin, "Cannot connect to PostgreSQL", error);
      admin_close (admin);
      return NULL;
    }
  version = query (admin, "Cannot read the schema version", error,
                   "SELECT version FROM schema_version", NULL);
  if (version == NULL || PQntuples (version) != 1)
    {
      if (version != NULL)
        relay_admin_fail (error, "The database has no relay schema: start sotto-relay on it once first");
      admin_close (admin);
      return NULL;
    }
  schema = relay_pg_value_int (version, 0, 0);
  if (!relay_admin_check_schema (schema, relay_storage_postgresql_schema_version (), error))
    {
      admin_close (admin);
      return NULL;
    }
  return admin;
}

const RelayAdminBackend relay_admin_postgresql_backend = {
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
