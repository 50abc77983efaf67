/* relay-storage-postgresql-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The PostgreSQL backend's state, its prepared statements, and how
 * their parameters go as text or bytes and their binary results are
 * read, for the backend's files: relay-storage-postgresql.c (the
 * connection, accounts and keys, the batch) and
 * relay-storage-postgresql-pipeline.c (the ops that run in pipelines:
 * the envelope queue and the look-ups).
 */

#pragma once

#include <libpq-fe.h>

#include "relay-guid.h"
#include "relay-postgresql-private.h"
#include "relay-storage-backend.h"
#include "relay-storage-postgresql.h"

G_BEGIN_DECLS

typedef enum
{
  STMT_BEGIN,
  STMT_INSERT_ACCOUNT,
  STMT_INSERT_DEVICE,
  STMT_UPSERT_SIGNED,
  STMT_UPSERT_ONE_TIME,
  STMT_COUNT_ONE_TIME,
  STMT_GET_DEVICE,
  STMT_GET_IDENTITY,
  STMT_LIST_DEVICES,
  STMT_LOCK_DEVICES,
  STMT_GET_SIGNED,
  STMT_TAKE_ONE_TIME,
  STMT_LOOKUP_USERNAME,
  STMT_LIST_TARGET_DEVICES,
  STMT_TARGET_QUEUE_USAGE,
  STMT_INSERT_ENVELOPES,
  STMT_NOTIFY_DEVICES,
  STMT_FETCH_QUEUES,
  STMT_DELETE_ENVELOPE,
  STMT_DELETE_EXPIRED,
  STMT_COUNT_QUEUE,
  STMT_SET_IDENTITY,
  STMT_SET_REGISTRATION_ID,
  STMT_CLEAR_ONE_TIME,
  STMT_TAKE_INVITE,
  STMT_FIND_INVITE,
  STMT_NOTE_HEALTH_CHECK,
  STMT_TAKE_SHARED_TOKEN,
  STMT_PRUNE_SHARED_BUCKETS,
  STMT_STORE_PASSWORD_DIGEST,
  STMT_GET_ACCESS_KEY,
  STMT_SET_ACCESS_KEY,
  STMT_PUT_PROFILE,
  STMT_GET_PROFILE,
  STMT_RECORD_REMOVALS,
  STMT_COMMIT,
  STMT_FORGET_SETTLED_USAGE,
  STMT_FORGET_ORPHAN_USAGE,
  STMT_DELETE_LAPSED,
  STMT_NEXT_EXPIRY,
  N_STMTS,
} StmtId;

typedef struct
{
  RelayStorage      parent;
  char             *url;
  PGconn           *conn;
  RelayWriter       writer;

  /* The devices of the accounts that a run of sends sends to (uuid ->
   * GArray of RelayDeviceRow), and what their queues hold, read for the
   * run and judged by the same rule as in the SQLite backend; only the
   * writer thread uses them. */
  GHashTable       *targets;
  RelayQueueUsage  *usage;
  /* What the transaction removed from queues and has not yet recorded
   * in queue_removed ("account\ndevice\nsender" -> PgRemoval); only the
   * writer thread uses it. */
  GHashTable       *removals;
  /* Envelopes queued as last counted, then changed by this node's
   * commits, and what its uncommitted ops added to and took from them;
   * only the writer thread uses these. */
  gint64            queued;
  gint64            queued_change;
  gint64            queued_change_at_savepoint;

  gint64            tag;
  RelayGuidCipher  *guids;

  /* The syncs of the pipeline being run whose results are not read
   * yet, and whether all it queued has been sent. */
  guint             syncs_pending;
  gboolean          pipeline_flushed;

  /* The batch's ops end at batch_end, and its last run may carry the
   * COMMIT, after which `committed` is set (see
   * relay_pg_storage_run_many()); targets_read_for is the first op of
   * the run for which relay_pg_storage_begin() read the targets, else
   * NULL; `begun` when relay_pg_storage_answer_fetches() began the
   * batch's transaction already.  Only the writer thread uses these. */
  RelayOp         **batch_end;
  RelayOp         **targets_read_for;
  gboolean          committed;
  gboolean          begun;
  /* A statement of the batch gave up waiting for a lock (lock_timeout):
   * the writer thread then looks for a stopped session that holds it. */
  gboolean          lock_waited;

  /* The one rate limit that nodes share (see take_shared_token()). */
  RelayRate         target_one_time_prekeys;
} PgStorage;

typedef struct
{
  char   *account;
  gint64  device_id;
  char   *source;
  gint64  envelopes;
  gint64  bytes;
} PgRemoval;

/* Parameters go as text, and bytes as binary, which needs no escaping;
 * results come back binary. */
#define MAX_PARAMS 10

typedef struct
{
  const char *values[MAX_PARAMS];
  int         lengths[MAX_PARAMS];
  int         formats[MAX_PARAMS];
  char        numbers[MAX_PARAMS][G_ASCII_DTOSTR_BUF_SIZE];
  int         n;
} Params;

static inline void
param_text (Params     *p,
            const char *text)
{
  g_assert (p->n < MAX_PARAMS);
  p->values[p->n] = text;
  p->lengths[p->n] = 0;
  p->formats[p->n] = 0;
  p->n++;
}

static inline void
param_int (Params *p,
           gint64  value)
{
  g_assert (p->n < MAX_PARAMS);
  g_snprintf (p->numbers[p->n], sizeof p->numbers[p->n], "%" G_GINT64_FORMAT, value);
  param_text (p, p->numbers[p->n]);
}

static inline void
param_double (Params *p,
              double  value)
{
  g_assert (p->n < MAX_PARAMS);
  g_ascii_dtostr (p->numbers[p->n], sizeof p->numbers[p->n], value);
  param_text (p, p->numbers[p->n]);
}

static inline void
param_bytes (Params *p,
             GBytes *bytes)
{
  gsize size = 0;

  g_assert (p->n < MAX_PARAMS);
  p->values[p->n] = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;
  p->lengths[p->n] = (int) size;
  p->formats[p->n] = 1;
  p->n++;
}

static inline const char *
stmt_name (StmtId id)
{
  static const char * const names[N_STMTS] = {
    "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
    "s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23",
    "s24", "s25", "s26", "s27", "s28", "s29", "s30", "s31", "s32", "s33", "s34", "s35",
    "s36", "s37", "s38", "s39",
  };

  return names[id];
}

G_STATIC_ASSERT (N_STMTS == 40);

/* Rows a statement inserted, updated or deleted. */
static inline gint64
affected (PGresult *result)
{
  return g_ascii_strtoll (PQcmdTuples (result), NULL, 10);
}

static inline char *
value_text (const PGresult *result,
            int             row,
            int             column)
{
  return g_strndup (PQgetvalue (result, row, column), (gsize) PQgetlength (result, row, column));
}

static inline GBytes *
value_bytes (const PGresult *result,
             int             row,
             int             column)
{
  if (PQgetisnull (result, row, column))
    return NULL;
  return g_bytes_new (PQgetvalue (result, row, column), (gsize) PQgetlength (result, row, column));
}

/* Logs why a statement failed: a warning, unless it only waited too
 * long for a lock, which it notes in `lock_waited`. */
void     relay_pg_storage_log_failure (PgStorage       *self,
                                       const PGresult  *result);
gboolean relay_pg_storage_begin       (PgStorage       *self,
                                       RelayOp        **ops,
                                       guint            n_ops);
/* Notes what a statement that deleted from the queue returned (rows of
 * account, device id, sender, envelopes and bytes) as removed by the
 * transaction, and returns how many envelopes that is. */
gint64   relay_pg_storage_note_removals (PgStorage       *self,
                                         const PGresult  *result);
/* Records what the transaction removed from queues, forgets the counts
 * of those that hold nothing more from a sender, and commits, in one
 * round trip, unless the batch's last pipeline did. */
gboolean relay_pg_storage_commit      (PgStorage       *self);
void     relay_pg_removal_free        (PgRemoval       *removal);
/* Answers the fetches of the batch that read only what other
 * transactions committed, in one statement outside the batch's
 * transaction, and calls their done callbacks at once: they wait for no
 * commit of the batch.  The other ops move to the front of `ops`, in
 * their order, the places after them are set to NULL (the writer skips
 * them), and their number is returned.  When there are others, the
 * same round trip begins their transaction, as relay_pg_storage_begin()
 * would, which then has nothing left to do. */
guint    relay_pg_storage_answer_fetches (PgStorage       *self,
                                          RelayOp        **ops,
                                          guint            n_ops);
/* Runs the ops from the first that a pipeline takes, in one pipeline,
 * and returns how many it ran; 0 when the first is not one of them.
 * When they are the last of the batch, the pipeline commits it too. */
guint    relay_pg_storage_run_many    (gpointer         backend,
                                       RelayOp        **ops,
                                       guint            n_ops);

G_END_DECLS
