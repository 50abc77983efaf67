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
  g_autofree const char **values = g_new0 (const char *, n_params + 1);
  g_autofree int *lengths = g_new0 (int, n_params + 1);
  g_autofree int *formats = g_new0 (int, n_params + 1);
  g_autoptr(PGresult) result = NULL;
  int n_columns;

  for (guint i = 0; i < n_params; i++)
    {
      values[i] = params[i].bytes != NULL ? g_bytes_get_data (params[i].bytes, NULL) : params[i].text;
      lengths[i] = params[i].bytes != NULL ? (int) g_bytes_get_size (params[i].bytes) : 0;
      formats[i] = params[i].bytes != NULL;
    }
  result = PQexecParams (admin->conn, sql, (int) n_params, NULL, values, lengths, formats, 0);
  if (PQresultStatus (result) != PGRES_COMMAND_OK && PQresultStatus (result) != PGRES_TUPLES_OK)
    return relay_admin_fail (error, "%s: %s", what, g_strchomp (PQresultErrorMessage (result)));
  n_columns = PQnfields (result);
  for (int r = 0; r < PQntuples (result) && row != NULL; r++)
    {
      g_autofree const char **columns = g_new0 (const char *, n_columns + 1);

      for (int c = 0; c < n_columns; c++)
        columns[c] = PQgetvalue (result, r, c);
      row (columns, data);
    }
  if (changes != NULL)
    *changes = g_ascii_strtoll (PQcmdTuples (result), NULL, 10);
  return TRUE;
}

static void
read_int_cb (const char * const *columns,
             gpointer            data)
{
  *(gint64 *) data = g_ascii_strtoll (columns[0], NULL, 10);
}

/* PostgreSQL enforces the schema's keys itself and checks its pages when
 * the cluster has data checksums: what is left to check is that every
 * device belongs to an account and every queued envelope to a device,
 * which the foreign keys of the queue do not say. */
static gboolean
admin_check (gpointer   db,
             GError   **error)
{
  gint64 orphans = 0;

  if (!admin_run (db, "Cannot check the database",
                  "SELECT count(*) FROM queue q WHERE NOT EXISTS "
                  "(SELECT 1 FROM devices d WHERE d.account = q.account AND d.device_id = q.device_id)",
                  NULL, 0, read_int_cb, &orphans, NULL, error))
    return FALSE;
  if (orphans > 0)
    {
      g_print ("%" G_GINT64_FORMAT " queued envelopes belong to no device\n", orphans);
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
  gint64 schema = -1;

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
  /* A relay schema has one row there. */
  if (!admin_run (admin, "Cannot read the schema version", "SELECT version FROM schema_version", NULL, 0,
                  read_int_cb, &schema, NULL, error) ||
      (schema < 0 &&
       !relay_admin_fail (error, "The database has no relay schema: start sotto-relay on it once first")) ||
      !relay_admin_check_schema (schema, relay_storage_postgresql_schema_version (), error))
    {
      admin_close (admin);
      return NULL;
    }
  return admin;
}

#define INVITE_ID "encode (substr (hash, 1, " G_STRINGIFY (RELAY_ADMIN_INVITE_ID_BYTES) "), 'hex')"

static const RelayAdminSql postgresql_sql = {
  .list_invites = "SELECT " INVITE_ID ", created FROM invites ORDER BY created, hash",
  .revoke_invite_by_id = "DELETE FROM invites WHERE " INVITE_ID " = $1",
  .list_accounts = "SELECT username, uuid, banned::int FROM accounts ORDER BY username COLLATE \"C\"",
  .count_accounts = "SELECT count(*), count(*) FILTER (WHERE banned) FROM accounts",
  .begin = "BEGIN",
  .find_account = "SELECT uuid FROM accounts WHERE username = $1 FOR UPDATE",
  .notify_removal = "SELECT pg_notify ('" RELAY_POSTGRESQL_ADMIN_CHANNEL "', $1)",
  .list_queues = "SELECT coalesce (a.username, '-'), q.account, q.device_id, count(*) AS n"
                 " FROM queue q LEFT JOIN accounts a ON a.uuid = q.account"
                 " GROUP BY a.username, q.account, q.device_id"
                 " ORDER BY n DESC, q.account COLLATE \"C\", q.device_id",
};

const RelayAdminBackend relay_admin_postgresql_backend = {
  .sql = &postgresql_sql,
  .close = admin_close,
  .run = admin_run,
  .check = admin_check,
  .backup = admin_backup,
};
