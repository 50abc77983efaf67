/* relay-postgresql-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the relay's PostgreSQL code shares among its files.
 */

#pragma once

#include <glib.h>
#include <libpq-fe.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

/* Counts what the queue holds into queue_added, which must be empty and
 * queue_removed with it: for the schema's migration that adds them, and
 * for sotto-relay migrate after it copied a queue. */
#define RELAY_PG_COUNT_QUEUE_SQL \
  "INSERT INTO queue_added (account, device_id, source, envelopes, bytes) " \
  "SELECT account, device_id, source, count (*), sum (length (content)) FROM queue " \
  "GROUP BY account, device_id, source"

/* What the relay's sessions are called in pg_stat_activity, unless the
 * URL names them otherwise. */
#define RELAY_PG_APPLICATION_NAME "sotto-relay"

/* Connects to the database at `url`, giving up an attempt after 5 s
 * (PQreset() keeps to that too), refuses a server that would
 * acknowledge commits before they are durable, and brings the schema to
 * the version this relay knows. */
PGconn   *relay_pg_connect   (const char      *url,
                              GError         **error);
/* The same without the schema, for a second connection of a relay that
 * made the first with relay_pg_connect(). */
PGconn   *relay_pg_open      (const char      *url,
                              GError         **error);
/* Runs SQL without parameters; FALSE, after a warning, when it failed. */
gboolean  relay_pg_exec      (PGconn          *conn,
                              const char      *sql);
/* Runs one statement with at most one binary parameter and binary
 * results; NULL, after a warning, when it failed. */
PGresult *relay_pg_query     (PGconn          *conn,
                              const char      *sql,
                              const guint8    *blob,
                              gsize            blob_size);
#define RELAY_PG_PARAMS_MAX 8

/* Runs one statement with at most RELAY_PG_PARAMS_MAX parameters: the
 * `n_params` in text and, when `data` is not NULL, a last binary one;
 * binary results, whatever the statement's status. */
PGresult *relay_pg_query_params (PGconn             *conn,
                                 const char         *sql,
                                 const char * const *params,
                                 int                 n_params,
                                 const guint8       *data,
                                 gsize               length);
/* A binary integer result of whatever width its column has. */
gint64    relay_pg_value_int (const PGresult  *result,
                              int              row,
                              int              column);

G_END_DECLS
