/* relay-admin-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What sotto-relay admin asks of the database it administers, SQLite
 * (relay-admin-sqlite.c) or PostgreSQL (relay-admin-postgresql.c).  The
 * command line, the invite tokens, the order of the statements of each
 * command and every line printed are shared (relay-admin.c); a backend
 * supplies the statements in its SQL and runs them.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* An invite's id, as `invite list` shows it: the start of its hash. */
#define RELAY_ADMIN_INVITE_ID_BYTES 8

/* One parameter of a statement: text, or bytes when `bytes` is set. */
typedef struct
{
  const char *text;
  GBytes     *bytes;
} RelayAdminParam;

/* Called with each row a statement returns, its columns as text. */
typedef void (*RelayAdminRowFunc) (const char * const *columns,
                                   gpointer            data);

/* The statements of the commands that differ between the backends'
 * SQL (relay-admin.c has the others).  Parameters and the columns of
 * rows are listed after each. */
typedef struct
{
  const char *list_invites;         /* -> id, created */
  const char *revoke_invite_by_id;  /* id (lowercase hexadecimal) */
  const char *list_accounts;        /* -> username, uuid, banned (0 or 1) */
  const char *count_accounts;       /* -> accounts, banned */
  const char *begin;
  const char *find_account;         /* username -> uuid, locked until the commit */
  const char *notify_removal;       /* uuid; NULL when the relays notice by themselves */
  const char *list_queues;          /* -> username, uuid, device_id, envelopes; the longest first */
} RelayAdminSql;

typedef struct
{
  const RelayAdminSql *sql;
  void     (*close)  (gpointer                db);
  /* Runs one statement with its parameters, hands each row it returns
   * to `row` (which may be NULL), and gives how many rows it changed
   * (`changes` may be NULL).  A failure says "WHAT: the database's
   * message". */
  gboolean (*run)    (gpointer                db,
                      const char             *what,
                      const char             *sql,
                      const RelayAdminParam  *params,
                      guint                   n_params,
                      RelayAdminRowFunc       row,
                      gpointer                data,
                      gint64                 *changes,
                      GError                **error);
  gboolean (*check)  (gpointer                db,
                      GError                **error);
  gboolean (*backup) (gpointer                db,
                      const char             *dest,
                      GError                **error);
} RelayAdminBackend;

extern const RelayAdminBackend relay_admin_sqlite_backend;
extern const RelayAdminBackend relay_admin_postgresql_backend;

gpointer relay_admin_sqlite_open      (const char  *data_dir,
                                       GError     **error);
gpointer relay_admin_postgresql_open  (const char  *url,
                                       GError     **error);

gboolean relay_admin_fail             (GError     **error,
                                       const char  *format,
                                       ...) G_GNUC_PRINTF (2, 3);
gboolean relay_admin_check_schema     (gint64       schema,
                                       guint        known,
                                       GError     **error);

G_END_DECLS
