/* relay-admin-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What sotto-relay admin asks of the database it administers, SQLite
 * (relay-admin-sqlite.c) or PostgreSQL (relay-admin-postgresql.c).  The
 * command line, the invite tokens and every line printed are shared
 * (relay-admin.c); a backend runs the SQL and hands each listed row to
 * the printers below.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* An invite's id, as `invite list` shows it: the start of its hash. */
#define RELAY_ADMIN_INVITE_ID_BYTES 8

typedef struct
{
  char   *uuid;
  gint64  devices;
  gint64  queued;
} RelayAdminRemoved;

typedef struct
{
  void     (*close)          (gpointer      db);
  gboolean (*add_invite)     (gpointer      db,
                              GBytes       *hash,
                              gint64        created,
                              GError      **error);
  gboolean (*list_invites)   (gpointer      db,
                              GError      **error);
  /* Exactly one of `id` (lowercase hexadecimal) and `hash` is set. */
  gboolean (*revoke_invite)  (gpointer      db,
                              const char   *id,
                              GBytes       *hash,
                              gint64       *revoked,
                              GError      **error);
  gboolean (*list_accounts)  (gpointer      db,
                              GError      **error);
  gboolean (*count_accounts) (gpointer      db,
                              gint64       *accounts,
                              gint64       *banned,
                              GError      **error);
  /* Deletes the account's queue and devices (their keys go with them),
   * then the account, or for a ban only marks it, so that its username
   * stays taken; running relays learn of it. */
  gboolean (*remove_account) (gpointer           db,
                              const char        *username,
                              gboolean           ban,
                              RelayAdminRemoved *removed,
                              GError           **error);
  gboolean (*list_queues)    (gpointer      db,
                              GError      **error);
  gboolean (*check)          (gpointer      db,
                              GError      **error);
  gboolean (*backup)         (gpointer      db,
                              const char   *dest,
                              GError      **error);
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
void     relay_admin_print_invite     (const char  *id,
                                       gint64       created);
void     relay_admin_print_account    (const char  *username,
                                       const char  *uuid,
                                       gboolean     banned);
void     relay_admin_print_queue      (const char  *username,
                                       const char  *uuid,
                                       gint64       device_id,
                                       gint64       envelopes);

G_END_DECLS
