/* relay-storage-postgresql.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The PostgreSQL backend, for relays that several nodes share.  As in
 * the SQLite backend, one writer thread per node owns a connection and
 * runs every op: it takes everything queued since its last commit, runs
 * the ops (relay-storage-backend.c), commits once, and only then calls
 * the ops' done callbacks, so an answer never gets ahead of durability
 * (synchronous_commit is left as the server has it, on by default).
 * Runs of sends, fetches, acknowledgements and look-ups go to the server
 * in pipelines, a round trip or two for the run
 * (relay-storage-postgresql-pipeline.c); registrations, key uploads and
 * bundle fetches run statement by statement, inside savepoints.
 *
 * Unlike the SQLite backend it remembers nothing of the data between
 * batches, because other nodes change it: the devices of the accounts
 * that a run of sends sends to, and what their queues hold, are read
 * for the run, and an account's devices when another op needs them.  Queue ids come from one sequence for all
 * nodes.  So that a device's entries become visible in the order of
 * their ids, which the connections' "after the last id seen" fetches
 * rely on, a batch locks the device rows of every account it sends to
 * before it draws any id, in one statement and one order, which also
 * keeps two nodes' batches from deadlocking on them.  Each committed
 * send notifies the channel RELAY_POSTGRESQL_CHANNEL with the device's
 * key, which relay-postgresql-listener.c turns into fetches on the node
 * where the device is connected.
 */

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "relay-storage-postgresql-private.h"

/* What a statement deleted from the queue (`gone`), per device and
 * sender: returned, and noted in the transaction's batch_removals,
 * whence STMT_RECORD_REMOVALS records it before the commit. */
#define REMOVALS_NOTED ", counted AS (SELECT account, device_id, source, count (*) AS envelopes, sum (size) AS bytes " \
                       "FROM gone GROUP BY account, device_id, source), " \
                       "noted AS (INSERT INTO batch_removals SELECT * FROM counted) SELECT * FROM counted"

/* The connection's own table of what its transaction removed from
 * queues, emptied at each commit: the removals are recorded from it in
 * the same pipeline as the COMMIT, without waiting for the statements
 * that removed them to come back. */
#define CREATE_BATCH_REMOVALS "CREATE TEMPORARY TABLE IF NOT EXISTS batch_removals (account text, device_id bigint, " \
                              "source text, envelopes bigint, bytes bigint) ON COMMIT DELETE ROWS"

static const char * const stmt_sql[N_STMTS] = {
  [STMT_BEGIN] = "BEGIN",
  /* A taken username or UUID inserts nothing rather than failing,
   * which would abort the whole batch's transaction. */
  [STMT_INSERT_ACCOUNT] = "INSERT INTO accounts (uuid, username, identity_key, created) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
  [STMT_INSERT_DEVICE] = "INSERT INTO devices (account, device_id, registration_id, password_hash, password_digest) VALUES ($1, $2, $3, $4, $5)",
  [STMT_UPSERT_SIGNED] = "INSERT INTO signed_prekeys (account, device_id, kind, key_id, public_key, signature) VALUES ($1, $2, $3, $4, $5, $6) "
                         "ON CONFLICT (account, device_id, kind) DO UPDATE SET key_id = excluded.key_id, public_key = excluded.public_key, signature = excluded.signature",
  [STMT_UPSERT_ONE_TIME] = "INSERT INTO one_time_prekeys (account, device_id, kind, key_id, public_key, signature) VALUES ($1, $2, $3, $4, $5, $6) "
                           "ON CONFLICT (account, device_id, kind, key_id) DO UPDATE SET public_key = excluded.public_key, signature = excluded.signature",
  [STMT_COUNT_ONE_TIME] = "SELECT count(*) FROM one_time_prekeys WHERE account = $1 AND device_id = $2 AND kind = $3",
  [STMT_GET_DEVICE] = "SELECT d.password_hash, a.username, d.password_digest FROM devices d JOIN accounts a ON a.uuid = d.account WHERE d.account = $1 AND d.device_id = $2",
  [STMT_GET_IDENTITY] = "SELECT identity_key FROM accounts WHERE uuid = $1",
  [STMT_LIST_DEVICES] = "SELECT device_id, registration_id FROM devices WHERE account = $1 ORDER BY device_id",
  [STMT_LOCK_DEVICES] = "SELECT 1 FROM devices WHERE account = ANY ($1::text[]) ORDER BY account, device_id FOR UPDATE",
  [STMT_GET_SIGNED] = "SELECT key_id, public_key, signature FROM signed_prekeys WHERE account = $1 AND device_id = $2 AND kind = $3",
  /* A key that another node's fetch holds is skipped, not waited for:
   * it is as good as gone. */
  [STMT_TAKE_ONE_TIME] = "DELETE FROM one_time_prekeys WHERE (account, device_id, kind, key_id) = "
                         "(SELECT account, device_id, kind, key_id FROM one_time_prekeys WHERE account = $1 AND device_id = $2 AND kind = $3 "
                         "ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING key_id, public_key, signature",
  [STMT_LOOKUP_USERNAME] = "SELECT uuid FROM accounts WHERE username = $1 AND NOT banned",
  /* The devices, and what their queues hold from each sender, of the
   * accounts ($1, an array) that a run of sends sends to. */
  [STMT_LIST_TARGET_DEVICES] = "SELECT account, device_id, registration_id FROM devices WHERE account = ANY ($1::text[]) "
                               "ORDER BY account, device_id",
  [STMT_TARGET_QUEUE_USAGE] = "SELECT a.account, a.device_id, a.source, a.envelopes - coalesce (r.envelopes, 0), "
                              "a.bytes - coalesce (r.bytes, 0) FROM queue_added a LEFT JOIN queue_removed r "
                              "USING (account, device_id, source) WHERE a.account = ANY ($1::text[])",
  /* Inserts the envelopes of a run's sends, given as arrays of their
   * columns ($3 is the node's tag for all of them), in one statement,
   * counts them into queue_added, and returns their ids in the order of
   * the arrays: the ids are drawn as the rows are inserted, in that
   * order.  Only the holder of a device's row lock adds to its queue, so
   * the counts' rows are never waited for but by
   * STMT_FORGET_SETTLED_USAGE, which waits for nothing. */
  [STMT_INSERT_ENVELOPES] = "WITH envelope AS (INSERT INTO queue (account, device_id, tag, type, source, source_device, "
                            "client_timestamp, server_timestamp, content, expires_at) "
                            "SELECT account, device_id, $3::bigint, type, source, source_device, client_timestamp, "
                            "server_timestamp, content, expires_at FROM unnest ($1::text[], $2::bigint[], $4::smallint[], "
                            "$5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bytea[], $10::bigint[]) "
                            "WITH ORDINALITY AS e (account, device_id, type, source, source_device, client_timestamp, "
                            "server_timestamp, content, expires_at, n) ORDER BY n "
                            "RETURNING id, account, device_id, source, length (content) AS size), "
                            "counted AS (INSERT INTO queue_added AS u (account, device_id, source, envelopes, bytes) "
                            "SELECT account, device_id, source, count (*), sum (size) FROM envelope "
                            "GROUP BY account, device_id, source ON CONFLICT (account, device_id, source) DO UPDATE "
                            "SET envelopes = u.envelopes + excluded.envelopes, bytes = u.bytes + excluded.bytes) "
                            "SELECT id FROM envelope ORDER BY id",
  /* Notifies the channel once with the key of each device ($1, an
   * array) that the run stored envelopes for; like every NOTIFY, it
   * goes out only if the transaction commits. */
  [STMT_NOTIFY_DEVICES] = "SELECT pg_notify ('" RELAY_POSTGRESQL_CHANNEL "', key) FROM (SELECT DISTINCT unnest ($1::text[]) AS key) k",
  /* Reads the pages of every fetch of a run in one statement: $1 to $6
   * are arrays of their accounts, device ids, the ids after which they
   * read, their oldest server timestamps, their page lengths and byte
   * bounds, and each row says by its first column which fetch, as
   * numbered from 1 in the arrays, it belongs to.  A page holds its
   * first envelope whatever its size, then as many as fit in its bytes,
   * counted by the server: the contents left out are never sent, which
   * six connections fetching a backlog of large envelopes at once
   * would otherwise hold in memory in full. */
  [STMT_FETCH_QUEUES] = "SELECT f.n, w.id, w.tag, w.type, w.source, w.source_device, w.client_timestamp, w.server_timestamp, "
                        "w.content, w.expires_at FROM unnest ($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], "
                        "$5::bigint[], $6::bigint[]) "
                        "WITH ORDINALITY AS f (account, device_id, after_id, min_timestamp, page, max_bytes, n) "
                        "CROSS JOIN LATERAL (SELECT p.*, row_number () OVER (ORDER BY p.id) AS k, "
                        "sum (length (p.content)) OVER (ORDER BY p.id) AS running FROM "
                        "(SELECT id, tag, type, source, source_device, client_timestamp, server_timestamp, content, expires_at "
                        "FROM queue WHERE account = f.account AND device_id = f.device_id AND id > f.after_id "
                        "AND server_timestamp >= f.min_timestamp ORDER BY id LIMIT f.page) p) w "
                        "WHERE w.k = 1 OR w.running <= f.max_bytes ORDER BY f.n, w.id",
  /* Deletes the entries of one acknowledgement in one round trip: $1 to
   * $4 are arrays of their ids, tags, accounts and device ids.  It
   * returns what it removed from each device's queue per sender, which
   * the transaction records in queue_removed before it commits.
   *
   * Each entry is looked up by its device's index on its own (the
   * lateral subquery, which OFFSET 0 keeps from being merged into a
   * join), and deleted where it is in the table.  As a join of the
   * arrays with the queue, the plan followed the table's statistics:
   * analyzed just after a burst had been read, the queue counts as empty
   * however many pages it has, the planner read the whole of it once
   * for every statement, comparing each entry with every element, and
   * an acknowledgement of a few hundred entries held the node's writer
   * for tens of seconds (the stall in docs/performance.md). */
  [STMT_DELETE_ENVELOPE] = "WITH gone AS (DELETE FROM queue WHERE ctid = ANY (ARRAY (SELECT e.ctid FROM "
                           "unnest ($1::bigint[], $2::bigint[], $3::text[], $4::bigint[]) AS a (id, tag, account, device_id) "
                           "CROSS JOIN LATERAL (SELECT ctid FROM queue q WHERE q.account = a.account "
                           "AND q.device_id = a.device_id AND q.id = a.id AND q.tag = a.tag OFFSET 0) e)) "
                           "RETURNING account, device_id, source, length (content) AS size) "
                           REMOVALS_NOTED,
  /* Entries another node is expiring at the same moment are its own to
   * delete.  Those this one locked are deleted where they are in the
   * table (their ctid, which the lock keeps as it is): ids have no
   * index of their own. */
  [STMT_DELETE_EXPIRED] = "WITH gone AS (DELETE FROM queue WHERE ctid = ANY (ARRAY "
                          "(SELECT ctid FROM queue WHERE server_timestamp < $1 FOR UPDATE SKIP LOCKED)) "
                          "RETURNING account, device_id, source, length (content) AS size) "
                          REMOVALS_NOTED,
  /* Adds what the transaction removed from queues (batch_removals) to
   * queue_removed, as its last statement before COMMIT and in one
   * order on every node: two nodes removing from the same queues then
   * take the rows' locks in the same order, and never wait for each
   * other both. */
  [STMT_RECORD_REMOVALS] = "INSERT INTO queue_removed AS u (account, device_id, source, envelopes, bytes) "
                           "SELECT account, device_id, source, sum (envelopes)::bigint, sum (bytes)::bigint "
                           "FROM batch_removals GROUP BY account, device_id, source ORDER BY account, device_id, source "
                           "ON CONFLICT (account, device_id, source) DO UPDATE "
                           "SET envelopes = u.envelopes + excluded.envelopes, bytes = u.bytes + excluded.bytes",
  [STMT_COMMIT] = "COMMIT",
  /* Forgets the counts of the queues (batch_removals) that the
   * transaction removed from and that now hold nothing more from the
   * sender, so that they take no room; the next envelope counts from
   * nothing again.  It skips the rows that others hold, and so waits for
   * nobody. */
  [STMT_FORGET_SETTLED_USAGE] = "WITH settled AS (SELECT a.account, a.device_id, a.source FROM queue_added a "
                                "JOIN queue_removed r USING (account, device_id, source) "
                                "WHERE (a.account, a.device_id, a.source) IN "
                                "(SELECT account, device_id, source FROM batch_removals) "
                                "AND a.envelopes = r.envelopes FOR UPDATE OF a, r SKIP LOCKED), "
                                "added AS (DELETE FROM queue_added WHERE (account, device_id, source) IN "
                                "(SELECT * FROM settled)) "
                                "DELETE FROM queue_removed WHERE (account, device_id, source) IN (SELECT * FROM settled)",
  /* Forgets the counts of devices that no longer exist: sotto-relay
   * admin deleted their accounts and queues.  Like the one above, it
   * waits for nobody. */
  [STMT_FORGET_ORPHAN_USAGE] = "WITH added AS (DELETE FROM queue_added WHERE (account, device_id, source) IN "
                               "(SELECT account, device_id, source FROM queue_added a WHERE NOT EXISTS "
                               "(SELECT 1 FROM devices d WHERE d.account = a.account AND d.device_id = a.device_id) "
                               "FOR UPDATE SKIP LOCKED)) "
                               "DELETE FROM queue_removed WHERE (account, device_id, source) IN "
                               "(SELECT account, device_id, source FROM queue_removed r WHERE NOT EXISTS "
                               "(SELECT 1 FROM devices d WHERE d.account = r.account AND d.device_id = r.device_id) "
                               "FOR UPDATE SKIP LOCKED)",
  /* The envelopes whose sender's expiry ($1) passed, through the
   * partial index of expiries; as above, those another node is
   * dropping at the same moment are its own to delete. */
  [STMT_DELETE_LAPSED] = "WITH gone AS (DELETE FROM queue WHERE ctid = ANY (ARRAY "
                         "(SELECT ctid FROM queue WHERE expires_at <= $1 FOR UPDATE SKIP LOCKED)) "
                         "RETURNING account, device_id, source, length (content) AS size) "
                         REMOVALS_NOTED,
  [STMT_NEXT_EXPIRY] = "SELECT coalesce (min (expires_at), 0) FROM queue",
  /* The envelopes queued, from the counts per device and sender rather
   * than a scan of the queue, which the idle writer would otherwise
   * read in full every second; the counts of devices that are gone,
   * until STMT_FORGET_ORPHAN_USAGE forgets them, count for nothing. */
  [STMT_COUNT_QUEUE] = "SELECT coalesce (sum (a.envelopes - coalesce (r.envelopes, 0)), 0)::bigint FROM queue_added a "
                       "LEFT JOIN queue_removed r USING (account, device_id, source) WHERE EXISTS "
                       "(SELECT 1 FROM devices d WHERE d.account = a.account AND d.device_id = a.device_id)",
  [STMT_SET_IDENTITY] = "UPDATE accounts SET identity_key = $2 WHERE uuid = $1",
  [STMT_SET_REGISTRATION_ID] = "UPDATE devices SET registration_id = $3 WHERE account = $1 AND device_id = $2",
  [STMT_CLEAR_ONE_TIME] = "DELETE FROM one_time_prekeys WHERE account = $1 AND device_id = $2",
  [STMT_TAKE_INVITE] = "DELETE FROM invites WHERE hash = $1",
  [STMT_FIND_INVITE] = "SELECT 1 FROM invites WHERE hash = $1",
  [STMT_NOTE_HEALTH_CHECK] = "INSERT INTO secrets (name, value) VALUES ('last-health-check', int8send ($1)) "
                             "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
  /* Takes a token from a shared bucket ($1 kind, $2 key, $3 burst, $4
   * tokens a second), which a new key starts full; returns a row only
   * when there was one to take.  The row stays locked until the batch
   * commits, so that nodes take from it one after the other. */
  [STMT_TAKE_SHARED_TOKEN] = "WITH now AS (SELECT (extract (epoch FROM clock_timestamp ()) * 1000000)::bigint AS us) "
                             "INSERT INTO rate_buckets AS b (kind, key, tokens, updated) "
                             "SELECT $1, $2, $3::float8 - 1, now.us FROM now WHERE $3::float8 >= 1 "
                             "ON CONFLICT (kind, key) DO UPDATE SET "
                             "tokens = least ($3::float8, b.tokens + (excluded.updated - b.updated) / 1e6 * $4::float8) - 1, "
                             "updated = excluded.updated "
                             "WHERE least ($3::float8, b.tokens + (excluded.updated - b.updated) / 1e6 * $4::float8) >= 1 "
                             "RETURNING 1",
  /* A bucket that has filled up again is as good as none. */
  [STMT_PRUNE_SHARED_BUCKETS] = "DELETE FROM rate_buckets WHERE kind = $1 AND "
                                "tokens + ((extract (epoch FROM clock_timestamp ()) * 1000000)::bigint - updated) / 1e6 * $3::float8 >= $2::float8",
  /* A digest only spares a later hash: a device row that another
   * node's batch holds is skipped rather than waited for, which could
   * deadlock with that batch's locks. */
  [STMT_STORE_PASSWORD_DIGEST] = "UPDATE devices SET password_digest = $4 WHERE (account, device_id) = "
                                 "(SELECT account, device_id FROM devices WHERE account = $1 AND device_id = $2 "
                                 "AND password_hash = $3 FOR UPDATE SKIP LOCKED)",
  [STMT_GET_ACCESS_KEY] = "SELECT key FROM access_keys WHERE account = $1",
  [STMT_SET_ACCESS_KEY] = "INSERT INTO access_keys (account, key) VALUES ($1, $2) "
                          "ON CONFLICT (account) DO UPDATE SET key = excluded.key",
  [STMT_PUT_PROFILE] = "INSERT INTO profiles (account, profile, updated) VALUES ($1, $2, $3) "
                       "ON CONFLICT (account) DO UPDATE SET profile = excluded.profile, updated = excluded.updated",
  [STMT_GET_PROFILE] = "SELECT profile FROM profiles WHERE account = $1",
};

/* Ends the sessions of the relay's nodes on this database (those of
 * its application name) that have waited for their node in the middle
 * of a statement (active, and reading from or writing to their client)
 * for longer than a session may sit idle in its transaction, and waits
 * for each to be gone.  A node stopped while it wrote a batch's
 * pipeline (frozen, a paused VM, its path to the server cut) leaves its
 * session so, holding its recipients' device rows, where
 * idle_in_transaction_session_timeout does not apply, nor
 * statement_timeout, which the server holds off while it reads a
 * message; a node that is well sends a pipeline in one go and reads
 * its answers as they come.  PostgreSQL shows a session's state, and
 * lets it be ended, only to its own role (or to members of
 * pg_read_all_stats and pg_signal_backend): the nodes share one
 * (docs/deploy.md). */
#define END_STUCK_SESSIONS_SQL \
  "SELECT count (*) FILTER (WHERE pg_terminate_backend (pid, 5000)) FROM pg_stat_activity " \
  "WHERE datname = current_database () AND pid <> pg_backend_pid () " \
  "AND application_name = current_setting ('application_name') " \
  "AND state = 'active' AND wait_event IN ('ClientRead', 'ClientWrite') " \
  "AND current_setting ('idle_in_transaction_session_timeout')::interval > interval '0' " \
  "AND state_change < now () - current_setting ('idle_in_transaction_session_timeout')::interval"

void
relay_pg_storage_log_failure (PgStorage      *self,
                              const PGresult *result)
{
  /* lock_timeout (relay_pg_connect()) ran out: another session holds
   * the rows, which is no fault of this node; the batch is answered 503. */
  if (g_strcmp0 (PQresultErrorField (result, PG_DIAG_SQLSTATE), "55P03") == 0)
    {
      g_message ("PostgreSQL: %s", PQresultErrorMessage (result));
      self->lock_waited = TRUE;
    }
  else
    g_warning ("PostgreSQL: %s", PQresultErrorMessage (result));
}

/* After a batch that gave up waiting for a lock was rolled back: the
 * session that holds it may be a stopped node's. */
static void
end_stuck_sessions (PgStorage *self)
{
  g_autoptr(PGresult) result = NULL;

  self->lock_waited = FALSE;
  if (PQstatus (self->conn) != CONNECTION_OK ||
      (result = relay_pg_query (self->conn, END_STUCK_SESSIONS_SQL, NULL, 0)) == NULL ||
      relay_pg_value_int (result, 0, 0) == 0)
    return;
  g_message ("PostgreSQL: ended the sessions of %" G_GINT64_FORMAT " nodes that stopped in the middle of a statement",
             relay_pg_value_int (result, 0, 0));
}

/* Runs a prepared statement; NULL when it failed, which leaves the
 * transaction aborted. */
static PGresult *
run (PgStorage    *self,
     StmtId        id,
     const Params *p)
{
  PGresult *result = PQexecPrepared (self->conn, stmt_name (id), p->n, p->values, p->lengths, p->formats, 1);
  ExecStatusType status = PQresultStatus (result);

  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    return result;
  relay_pg_storage_log_failure (self, result);
  PQclear (result);
  return NULL;
}

static gboolean
run_done (PgStorage    *self,
          StmtId        id,
          const Params *p)
{
  g_autoptr(PGresult) result = run (self, id, p);

  return result != NULL;
}

/* The ops.  Each returns a status; a failed op's writes are rolled back
 * by its savepoint. */

static RelayStorageStatus
store_signed (gpointer      backend,
              const char   *uuid,
              guint32       device_id,
              RelayKeyKind  kind,
              RelayPreKey  *prekey)
{
  PgStorage *self = backend;
  Params p = { 0 };

  param_text (&p, uuid);
  param_int (&p, device_id);
  param_int (&p, kind);
  param_int (&p, prekey->key_id);
  param_bytes (&p, prekey->public_key);
  param_bytes (&p, prekey->signature);
  return run_done (self, STMT_UPSERT_SIGNED, &p) ? RELAY_STORAGE_OK : RELAY_STORAGE_FAILED;
}

static gint64
count_one_time (gpointer      backend,
                const char   *uuid,
                guint32       device_id,
                RelayKeyKind  kind)
{
  PgStorage *self = backend;
  g_autoptr(PGresult) result = NULL;
  Params p = { 0 };

  param_text (&p, uuid);
  param_int (&p, device_id);
  param_int (&p, kind);
  if ((result = run (self, STMT_COUNT_ONE_TIME, &p)) == NULL)
    return -1;
  return relay_pg_value_int (result, 0, 0);
}

static RelayStorageStatus
store_one_time (gpointer      backend,
                const char   *uuid,
                guint32       device_id,
                RelayKeyKind  kind,
                GPtrArray    *prekeys)
{
  PgStorage *self = backend;

  for (guint i = 0; i < prekeys->len; i++)
    {
      RelayPreKey *prekey = g_ptr_array_index (prekeys, i);
      Params p = { 0 };

      param_text (&p, uuid);
      param_int (&p, device_id);
      param_int (&p, kind);
      param_int (&p, prekey->key_id);
      param_bytes (&p, prekey->public_key);
      param_bytes (&p, prekey->signature);
      if (!run_done (self, STMT_UPSERT_ONE_TIME, &p))
        return RELAY_STORAGE_FAILED;
    }
  return RELAY_STORAGE_OK;
}

static RelayStorageStatus
take_invite (gpointer  backend,
             GBytes   *invite_hash)
{
  PgStorage *self = backend;
  g_autoptr(PGresult) result = NULL;
  Params p = { 0 };

  param_bytes (&p, invite_hash);
  if ((result = run (self, STMT_TAKE_INVITE, &p)) == NULL)
    return RELAY_STORAGE_FAILED;
  return affected (result) > 0 ? RELAY_STORAGE_OK : RELAY_STORAGE_INVITE_INVALID;
}

static RelayStorageStatus
insert_account (gpointer    backend,
                const char *uuid,
                const char *username,
                GBytes     *identity_key,
                gint64      created)
{
  PgStorage *self = backend;
  g_autoptr(PGresult) result = NULL;
  Params p = { 0 };

  param_text (&p, uuid);
  param_text (&p, username);
  param_bytes (&p, identity_key);
  param_int (&p, created);
  if ((result = run (self, STMT_INSERT_ACCOUNT, &p)) == NULL)
    return RELAY_STORAGE_FAILED;
  return affected (result) > 0 ? RELAY_STORAGE_OK : RELAY_STORAGE_CONFLICT;
}

static RelayStorageStatus
insert_device (gpointer    backend,
               const char *uuid,
               guint32     device_id,
               guint32     registration_id,
               const char *password_hash,
               GBytes     *password_digest)
{
  Params p = { 0 };

  param_text (&p, uuid);
  param_int (&p, device_id);
  param_int (&p, registration_id);
  param_text (&p, password_hash);
  param_bytes (&p, password_digest);
  return run_done (backend, STMT_INSERT_DEVICE, &p) ? RELAY_STORAGE_OK : RELAY_STORAGE_FAILED;
}

static RelayStorageStatus
replace_identity (gpointer    backend,
                  const char *uuid,
                  guint32     device_id,
                  GBytes     *identity_key)
{
  Params p = { 0 };

  param_text (&p, uuid);
  param_bytes (&p, identity_key);
  if (!run_done (backend, STMT_SET_IDENTITY, &p))
    return RELAY_STORAGE_FAILED;
  p = (Params) { 0 };
  param_text (&p, uuid);
  param_int (&p, device_id);
  return run_done (backend, STMT_CLEAR_ONE_TIME, &p) ? RELAY_STORAGE_OK : RELAY_STORAGE_FAILED;
}

static RelayStorageStatus
set_registration_id (gpointer    backend,
                     const char *uuid,
                     guint32     device_id,
                     guint32     registration_id)
{
  Params p = { 0 };

  param_text (&p, uuid);
  param_int (&p, device_id);
  param_int (&p, registration_id);
  return run_done (backend, STMT_SET_REGISTRATION_ID, &p) ? RELAY_STORAGE_OK : RELAY_STORAGE_FAILED;
}

static RelayPreKey *
read_prekey (const PGresult *result)
{
  RelayPreKey *prekey = g_new0 (RelayPreKey, 1);

  prekey->key_id = (guint32) relay_pg_value_int (result, 0, 0);
  prekey->public_key = value_bytes (result, 0, 1);
  prekey->signature = value_bytes (result, 0, 2);
  return prekey;
}

static RelayPreKey *
get_signed (gpointer      backend,
            const char   *uuid,
            guint32       device_id,
            RelayKeyKind  kind)
{
  PgStorage *self = backend;
  g_autoptr(PGresult) result = NULL;
  Params p = { 0 };

  param_text (&p, uuid);
  param_int (&p, device_id);
  param_int (&p, kind);
  if ((result = run (self, STMT_GET_SIGNED, &p)) == NULL || PQntuples (result) == 0)
    return NULL;
  return read_prekey (result);
}

/* A key that another node's fetch holds is skipped: see
 * STMT_TAKE_ONE_TIME. */
static gboolean
take_one_time (gpointer       backend,
               const char    *uuid,
               guint32        device_id,
               RelayKeyKind   kind,
               RelayPreKey  **out)
{
  PgStorage *self = backend;
  g_autoptr(PGresult) result = NULL;
  Params p = { 0 };

  param_text (&p, uuid);
  param_int (&p, device_id);
  param_int (&p, kind);
  if ((result = run (self, STMT_TAKE_ONE_TIME, &p)) == NULL)
    return FALSE;
  *out = PQntuples (result) > 0 ? read_prekey (result) : NULL;
  return TRUE;
}

static GArray *
account_devices (PgStorage  *self,
                 const char *uuid)
{
  g_autoptr(PGresult) result = NULL;
  GArray *devices;
  Params p = { 0 };

  param_text (&p, uuid);
  if ((result = run (self, STMT_LIST_DEVICES, &p)) == NULL)
    return NULL;
  devices = g_array_sized_new (FALSE, FALSE, sizeof (RelayDeviceRow), (guint) PQntuples (result));
  for (int i = 0; i < PQntuples (result); i++)
    {
      RelayDeviceRow row = { (guint32) relay_pg_value_int (result, i, 0), (guint32) relay_pg_value_int (result, i, 1) };

      g_array_append_val (devices, row);
    }
  return devices;
}

/* Rate limits are each node's own (relay-ratelimit.c), with one
 * exception: the ration of one-time prekeys that fetches may take of one
 * target account.  Those keys are one shared, finite store in the
 * database: with a ration per node, a client that spreads its fetches
 * over N nodes would drain a victim's keys N times as fast.  The other
 * limits ration what each node spends of its own (CPU for password
 * hashes, memory, connections, its writer's time), and N nodes have N
 * times as much of it.  The node's own bucket for the target is taken
 * first, as on one node; the shared one then holds across nodes.
 * `taken` says whether there was a token. */
static gboolean
take_shared_token (PgStorage       *self,
                   RelayRateKind    kind,
                   const char      *key,
                   const RelayRate *rate,
                   gboolean        *taken)
{
  g_autoptr(PGresult) result = NULL;
  Params p = { 0 };

  param_int (&p, kind);
  param_text (&p, key);
  param_double (&p, rate->burst);
  param_double (&p, rate->rate);
  if ((result = run (self, STMT_TAKE_SHARED_TOKEN, &p)) == NULL)
    return FALSE;
  *taken = PQntuples (result) > 0;
  return TRUE;
}

static const RelayBackendFuncs pg_funcs;

/* Reads one blob of an account: *out stays NULL when there is none. */
static gboolean
read_account_blob (PgStorage   *self,
                   StmtId       id,
                   const char  *uuid,
                   GBytes     **out)
{
  g_autoptr(PGresult) result = NULL;
  Params p = { 0 };

  param_text (&p, uuid);
  if ((result = run (self, id, &p)) == NULL)
    return FALSE;
  if (PQntuples (result) > 0)
    *out = value_bytes (result, 0, 0);
  return TRUE;
}

static RelayStorageStatus
op_get_identity (gpointer  backend,
                 RelayOp  *op)
{
  if (!read_account_blob (backend, STMT_GET_IDENTITY, op->uuid, &op->identity_key))
    return RELAY_STORAGE_FAILED;
  return op->identity_key != NULL ? RELAY_STORAGE_OK : RELAY_STORAGE_NOT_FOUND;
}

static RelayStorageStatus
op_fetch_bundles (gpointer  backend,
                  RelayOp  *op)
{
  PgStorage *self = backend;
  RelayStorageStatus status = op_get_identity (self, op);
  g_autoptr(GArray) devices = NULL;
  gboolean shared_token = FALSE;

  if (status != RELAY_STORAGE_OK)
    return status;
  if ((devices = account_devices (self, op->uuid)) == NULL)
    return RELAY_STORAGE_FAILED;
  if (!op->spare_one_time && !take_shared_token (self, RELAY_RATE_TARGET_ONE_TIME_PREKEYS, op->uuid,
                                                 &self->target_one_time_prekeys, &shared_token))
    return RELAY_STORAGE_FAILED;
  return relay_storage_fill_bundles (&pg_funcs, self, op, devices, op->spare_one_time || !shared_token);
}

static RelayStorageStatus
op_expire (gpointer  backend,
           RelayOp  *op)
{
  PgStorage *self = backend;
  g_autoptr(PGresult) result = NULL;
  Params p = { 0 };

  param_int (&p, op->min_timestamp);
  if ((result = run (self, STMT_DELETE_EXPIRED, &p)) == NULL)
    return RELAY_STORAGE_FAILED;
  op->removed = relay_pg_storage_note_removals (self, result);
  self->queued_change -= op->removed;
  p = (Params) { 0 };
  param_int (&p, RELAY_RATE_TARGET_ONE_TIME_PREKEYS);
  param_double (&p, self->target_one_time_prekeys.burst);
  param_double (&p, self->target_one_time_prekeys.rate);
  if (!run_done (self, STMT_PRUNE_SHARED_BUCKETS, &p))
    return RELAY_STORAGE_FAILED;
  p = (Params) { 0 };
  return run_done (self, STMT_FORGET_ORPHAN_USAGE, &p) ? RELAY_STORAGE_OK : RELAY_STORAGE_FAILED;
}

static RelayStorageStatus
op_drop_expired (gpointer  backend,
                 RelayOp  *op)
{
  PgStorage *self = backend;
  g_autoptr(PGresult) result = NULL;
  g_autoptr(PGresult) next = NULL;
  Params p = { 0 };

  param_int (&p, op->server_timestamp);
  if ((result = run (self, STMT_DELETE_LAPSED, &p)) == NULL)
    return RELAY_STORAGE_FAILED;
  op->removed = relay_pg_storage_note_removals (self, result);
  self->queued_change -= op->removed;
  p = (Params) { 0 };
  if ((next = run (self, STMT_NEXT_EXPIRY, &p)) == NULL)
    return RELAY_STORAGE_FAILED;
  op->next_expiry = relay_pg_value_int (next, 0, 0);
  return RELAY_STORAGE_OK;
}

/* A device whose password hash changed since its password was checked
 * keeps no digest of it: the update matches no row. */
static RelayStorageStatus
op_store_password_digest (gpointer  backend,
                          RelayOp  *op)
{
  Params p = { 0 };

  param_text (&p, op->uuid);
  param_int (&p, op->device_id);
  param_text (&p, op->password_hash);
  param_bytes (&p, op->password_digest);
  return run_done (backend, STMT_STORE_PASSWORD_DIGEST, &p) ? RELAY_STORAGE_OK : RELAY_STORAGE_FAILED;
}

static gboolean
read_access_key (gpointer     backend,
                 const char  *uuid,
                 GBytes     **out)
{
  return read_account_blob (backend, STMT_GET_ACCESS_KEY, uuid, out);
}

/* One part of a multi-recipient send, as a pipeline of its own: the
 * devices and queue usage it is judged by are read afresh, and so
 * include what the parts before it stored in this transaction. */
static RelayStorageStatus
send_alone (gpointer  backend,
            RelayOp  *op)
{
  relay_pg_storage_run_many (backend, &op, 1);
  return op->status;
}

static RelayStorageStatus
op_set_access_key (gpointer  backend,
                   RelayOp  *op)
{
  Params p = { 0 };

  param_text (&p, op->uuid);
  param_bytes (&p, op->access_key);
  return run_done (backend, STMT_SET_ACCESS_KEY, &p) ? RELAY_STORAGE_OK : RELAY_STORAGE_FAILED;
}

static RelayStorageStatus
op_put_profile (gpointer  backend,
                RelayOp  *op)
{
  Params p = { 0 };

  param_text (&p, op->uuid);
  param_bytes (&p, op->profile);
  param_int (&p, op->server_timestamp);
  return run_done (backend, STMT_PUT_PROFILE, &p) ? RELAY_STORAGE_OK : RELAY_STORAGE_FAILED;
}

static RelayStorageStatus
op_get_profile (gpointer  backend,
                RelayOp  *op)
{
  if (!read_account_blob (backend, STMT_GET_PROFILE, op->uuid, &op->profile))
    return RELAY_STORAGE_FAILED;
  return op->profile != NULL ? RELAY_STORAGE_OK : RELAY_STORAGE_NOT_FOUND;
}

/* The session's temporary table, which the statements name, and the
 * statements. */
static gboolean
prepare_statements (PgStorage *self)
{
  if (!relay_pg_exec (self->conn, CREATE_BATCH_REMOVALS))
    return FALSE;
  for (guint i = 0; i < N_STMTS; i++)
    {
      g_autoptr(PGresult) result = PQprepare (self->conn, stmt_name (i), stmt_sql[i], 0, NULL);

      if (PQresultStatus (result) != PGRES_COMMAND_OK)
        {
          g_warning ("PostgreSQL: cannot prepare a statement: %s", PQresultErrorMessage (result));
          return FALSE;
        }
    }
  return TRUE;
}

/* What sotto-relay admin changed (relay-admin-postgresql.c) arrives as
 * notifications on the writer's own connection, read along with the
 * answers to its statements or, when idle, without waiting. */
static void
count_queue (PgStorage *self)
{
  g_autoptr(PGresult) result = NULL;
  Params p = { 0 };

  if ((result = run (self, STMT_COUNT_QUEUE, &p)) == NULL)
    return;
  self->queued = relay_pg_value_int (result, 0, 0);
  relay_writer_set_queued (&self->writer, self->queued);
}

/* The queue's length is read again too: the change may have emptied
 * queues.  Returns whether there was a change. */
static gboolean
notice_outside_changes (PgStorage *self)
{
  PGnotify *notify;
  gboolean changed = FALSE;

  PQconsumeInput (self->conn);
  while ((notify = PQnotifies (self->conn)) != NULL)
    {
      changed = TRUE;
      PQfreemem (notify);
    }
  if (!changed)
    return FALSE;
  g_atomic_int_inc (&self->parent.outside_changes);
  count_queue (self);
  return TRUE;
}

static gboolean
listen_for_admin (PgStorage *self)
{
  return relay_pg_exec (self->conn, "LISTEN " RELAY_POSTGRESQL_ADMIN_CHANNEL);
}

/* After the server went away (a restart, a failover), the next batch
 * connects again, as the URL says.  What the administrator changed
 * meanwhile was notified to nobody, so it counts as changed. */
static gboolean
ensure_connected (PgStorage *self)
{
  if (PQstatus (self->conn) == CONNECTION_OK)
    return TRUE;
  PQreset (self->conn);
  if (PQstatus (self->conn) != CONNECTION_OK)
    {
      g_warning ("PostgreSQL: cannot connect again: %s", PQerrorMessage (self->conn));
      return FALSE;
    }
  g_message ("Connected to PostgreSQL again");
  g_atomic_int_inc (&self->parent.outside_changes);
  return prepare_statements (self) && listen_for_admin (self);
}

/* Rolls back what is left of a failed batch, and when it gave up
 * waiting for a lock, ends a stopped node's session that may hold it. */
static void
rollback_if_open (PgStorage *self)
{
  if (PQstatus (self->conn) == CONNECTION_OK && PQtransactionStatus (self->conn) != PQTRANS_IDLE)
    relay_pg_exec (self->conn, "ROLLBACK");
  if (self->lock_waited)
    end_stuck_sessions (self);
}

static gboolean
pg_begin (gpointer   backend,
          RelayOp  **ops,
          guint      n_ops)
{
  PgStorage *self = backend;

  g_hash_table_remove_all (self->removals);
  if (ensure_connected (self) && relay_pg_storage_begin (self, ops, n_ops))
    return TRUE;
  rollback_if_open (self);
  return FALSE;
}

/* An error outside any savepoint (or a lost connection) aborts the
 * transaction: what is left of it can only be rolled back.  A batch
 * whose last pipeline committed it stands too. */
static gboolean
pg_transaction_stands (gpointer backend)
{
  PgStorage *self = backend;

  return self->committed || PQtransactionStatus (self->conn) == PQTRANS_INTRANS;
}

static void
pg_abandon (gpointer backend)
{
  PgStorage *self = backend;

  g_warning ("PostgreSQL rolled back a transaction");
  rollback_if_open (self);
  g_hash_table_remove_all (self->removals);
  self->queued_change = 0;
}

static gboolean
pg_commit (gpointer backend)
{
  PgStorage *self = backend;

  if (relay_pg_storage_commit (self))
    return TRUE;
  g_warning ("PostgreSQL: commit failed");
  rollback_if_open (self);
  self->queued_change = 0;
  return FALSE;
}

static gboolean
pg_savepoint (gpointer backend)
{
  PgStorage *self = backend;

  self->queued_change_at_savepoint = self->queued_change;
  return relay_pg_exec (self->conn, "SAVEPOINT op");
}

static gboolean
pg_rollback_to_savepoint (gpointer backend)
{
  PgStorage *self = backend;

  self->queued_change = self->queued_change_at_savepoint;
  return relay_pg_exec (self->conn, "ROLLBACK TO SAVEPOINT op");
}

static void
pg_release_savepoint (gpointer backend)
{
  relay_pg_exec (((PgStorage *) backend)->conn, "RELEASE SAVEPOINT op");
}

static const RelayBackendFuncs pg_funcs = {
  /* run_many() runs every other kind. */
  .fetch_bundles = op_fetch_bundles,
  .send = send_alone,
  .expire = op_expire,
  .drop_expired = op_drop_expired,
  .store_password_digest = op_store_password_digest,
  .get_identity = op_get_identity,
  .set_access_key = op_set_access_key,
  .put_profile = op_put_profile,
  .get_profile = op_get_profile,
  .read_access_key = read_access_key,
  .run_many = relay_pg_storage_run_many,
  .begin = pg_begin,
  .commit = pg_commit,
  .transaction_stands = pg_transaction_stands,
  .abandon = pg_abandon,
  .savepoint = pg_savepoint,
  .rollback_to_savepoint = pg_rollback_to_savepoint,
  .release_savepoint = pg_release_savepoint,
  .take_invite = take_invite,
  .insert_account = insert_account,
  .insert_device = insert_device,
  .replace_identity = replace_identity,
  .set_registration_id = set_registration_id,
  .get_signed = get_signed,
  .store_signed = store_signed,
  .take_one_time = take_one_time,
  .store_one_time = store_one_time,
  .count_one_time = count_one_time,
};

static void
run_batch (gpointer   backend,
           RelayOp  **ops,
           guint      n_ops)
{
  PgStorage *self = backend;
  gint64 start = g_get_monotonic_time ();
  guint kept = n_ops;

  self->queued_change = 0;
  if (ensure_connected (self))
    kept = relay_pg_storage_answer_fetches (self, ops, n_ops);
  if (kept > 0 && !relay_storage_run_batch (&pg_funcs, self, ops, kept))
    return;
  self->queued += self->queued_change;
  relay_writer_note_batch (&self->writer, (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC,
                           n_ops, self->queued);
  notice_outside_changes (self);
}

/* Idle: the queue's length, which other nodes change too, is read
 * again for /metrics, and a lost connection is made again. */
static void
idle (gpointer backend)
{
  PgStorage *self = backend;

  if (!ensure_connected (self))
    return;
  if (!notice_outside_changes (self))
    count_queue (self);
}

static const RelayWriterFuncs pg_writer_funcs = {
  .run_batch = run_batch,
  .idle = idle,
};

static void
free_storage (PgStorage *self)
{
  g_clear_pointer (&self->conn, PQfinish);
  relay_writer_clear (&self->writer);
  relay_queue_usage_free (self->usage);
  g_hash_table_unref (self->targets);
  g_hash_table_unref (self->removals);
  g_clear_pointer (&self->guids, relay_guid_cipher_free);
  g_free (self->url);
  g_free (self);
}

static void
pg_close (RelayStorage *storage)
{
  PgStorage *self = (PgStorage *) storage;

  relay_writer_stop (&self->writer);
  free_storage (self);
}

static const RelayStorageClass pg_class = {
  .name = "postgresql",
  .submit = relay_writer_storage_submit,
  .get_stats = relay_writer_storage_get_stats,
  .close = pg_close,
};

/* This run's tag, and the GUID key, which the first node to open the
 * database makes and every node shares: a GUID handed out by one node
 * must name its entry on every other. */
static gboolean
load_guid_key (PgStorage *self)
{
  guint8 *key = sodium_malloc (RELAY_GUID_KEY_SIZE);
  g_autoptr(PGresult) inserted = NULL;
  g_autoptr(PGresult) result = NULL;
  gboolean ok = FALSE;

  randombytes_buf (key, RELAY_GUID_KEY_SIZE);
  /* Tags are positive so that they read back the same as bigint. */
  randombytes_buf (&self->tag, sizeof self->tag);
  self->tag &= G_MAXINT64;
  inserted = relay_pg_query (self->conn, "INSERT INTO secrets (name, value) VALUES ('guid-key', $1) ON CONFLICT DO NOTHING",
                         key, RELAY_GUID_KEY_SIZE);
  result = relay_pg_query (self->conn, "SELECT value FROM secrets WHERE name = 'guid-key'", NULL, 0);
  if (inserted != NULL && result != NULL && PQntuples (result) == 1 &&
      PQgetlength (result, 0, 0) == RELAY_GUID_KEY_SIZE)
    {
      memcpy (key, PQgetvalue (result, 0, 0), RELAY_GUID_KEY_SIZE);
      self->guids = relay_guid_cipher_new (key);
      ok = TRUE;
    }
  sodium_free (key);
  return ok;
}

RelayStorage *
relay_storage_postgresql_open (const char       *url,
                               const RelayRate  *target_one_time_prekeys,
                               GError          **error)
{
  PgStorage *self = g_new0 (PgStorage, 1);

  self->target_one_time_prekeys = *target_one_time_prekeys;
  self->parent.klass = &pg_class;
  self->url = g_strdup (url);
  relay_writer_init (&self->writer, &pg_writer_funcs, self);
  self->parent.writer = &self->writer;
  self->usage = relay_queue_usage_new ();
  self->targets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref);
  self->removals = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) relay_pg_removal_free);

  self->conn = relay_pg_connect (url, error);
  if (self->conn == NULL)
    {
      free_storage (self);
      return NULL;
    }
  if (!prepare_statements (self) || !load_guid_key (self) || !listen_for_admin (self))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot set up the database: %s",
                   g_strchomp (PQerrorMessage (self->conn)));
      free_storage (self);
      return NULL;
    }
  count_queue (self);
  relay_writer_start (&self->writer);
  return &self->parent;
}
