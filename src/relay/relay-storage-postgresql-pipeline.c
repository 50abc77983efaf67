/* relay-storage-postgresql-pipeline.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The PostgreSQL backend's ops that run in pipelines: sends, fetches
 * and acknowledgements of the envelope queue, and the look-ups of a
 * device, a username and an invite.
 */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "relay-storage-postgresql-private.h"

/* Pipelines.  A run of ops whose statements do not depend on what an
 * earlier statement of theirs returned goes to the server in one
 * pipeline (libpq's pipeline mode): every statement of the run, then
 * one sync, then every result, which costs one round trip for the run
 * instead of one a statement.  A send's statements do depend on the
 * account's devices and on what the devices' queues hold; those are
 * read for all of the run's sends at once, in a pipeline before.  The
 * batch locked the rows in its first round trip
 * (relay_pg_storage_begin()), so what is read stays true until the
 * commit, but for what the run's own sends add, which is counted as
 * they are decided.
 *
 * The connection is non-blocking while a pipeline is written, and what
 * the server answers meanwhile is read into libpq's buffer, so that a
 * server that answers large fetches while the rest of the pipeline is
 * still being written never waits for a client that waits for it. */

static gboolean
pipelines (RelayOp *op)
{
  switch (op->kind)
    {
    case RELAY_OP_GET_DEVICE:
    case RELAY_OP_LOOKUP_USERNAME:
    case RELAY_OP_SEND:
    case RELAY_OP_FETCH_QUEUE:
    case RELAY_OP_ACK:
    case RELAY_OP_CHECK_WRITABLE:
    case RELAY_OP_FIND_INVITE:
      return TRUE;
    case RELAY_OP_REGISTER:
    case RELAY_OP_PREKEY_COUNTS:
    case RELAY_OP_STORE_PREKEYS:
    case RELAY_OP_FETCH_BUNDLES:
    case RELAY_OP_EXPIRE:
    case RELAY_OP_DROP_EXPIRED:
    default:
      return FALSE;
    }
}

static gboolean
pipeline_start (PgStorage *self)
{
  if (PQenterPipelineMode (self->conn) != 1)
    {
      g_warning ("PostgreSQL: cannot start a pipeline: %s", PQerrorMessage (self->conn));
      return FALSE;
    }
  PQsetnonblocking (self->conn, 1);
  self->syncs_pending = 0;
  self->pipeline_flushed = FALSE;
  return TRUE;
}

static gboolean
pipeline_queue (PgStorage    *self,
                GPtrArray    *owners,
                RelayOp      *op,
                StmtId        id,
                const Params *p)
{
  g_ptr_array_add (owners, op);
  self->pipeline_flushed = FALSE;
  return PQsendQueryPrepared (self->conn, stmt_name (id), p->n, p->values, p->lengths, p->formats, 1) == 1;
}

/* Ends a part of the pipeline: a statement that fails skips the rest
 * of its part only, and the statements before the first BEGIN of a part
 * are a transaction of their own. */
static gboolean
pipeline_sync (PgStorage *self)
{
  self->pipeline_flushed = FALSE;
  if (PQpipelineSync (self->conn) != 1)
    return FALSE;
  self->syncs_pending++;
  return TRUE;
}

/* Sends the sync and everything queued, reading answers meanwhile. */
static gboolean
pipeline_flush (PgStorage *self)
{
  int rc;

  if (!pipeline_sync (self))
    return FALSE;
  while ((rc = PQflush (self->conn)) == 1)
    {
      struct pollfd fd = { PQsocket (self->conn), POLLIN | POLLOUT, 0 };

      if (poll (&fd, 1, -1) < 0 && errno != EINTR)
        return FALSE;
      if ((fd.revents & POLLIN) != 0 && PQconsumeInput (self->conn) != 1)
        return FALSE;
    }
  self->pipeline_flushed = rc == 0;
  return rc == 0;
}

/* The result of the next statement, or NULL when the connection
 * broke; a failed statement's result is logged and NULL too, after
 * which the server skips the rest of the pipeline. */
static PGresult *
pipeline_result (PgStorage *self,
                 gboolean  *broken)
{
  PGresult *result = PQgetResult (self->conn);
  PGresult *end;
  ExecStatusType status;

  if (result == NULL)
    {
      *broken = TRUE;
      return NULL;
    }
  /* Each statement's results end with a NULL. */
  while ((end = PQgetResult (self->conn)) != NULL)
    PQclear (end);
  status = PQresultStatus (result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    return result;
  if (status == PGRES_FATAL_ERROR)
    relay_pg_storage_log_failure (self, result);
  PQclear (result);
  return NULL;
}

/* Reads up to the next sync's result, whatever came before; FALSE when
 * the connection broke.  Each statement's results end with a NULL; on a
 * broken connection every call gives NULL. */
static gboolean
pipeline_skip_to_sync (PgStorage *self)
{
  PGresult *result;

  for (;;)
    {
      ExecStatusType status;

      if ((result = PQgetResult (self->conn)) == NULL)
        {
          if (PQstatus (self->conn) != CONNECTION_OK)
            return FALSE;
          continue;
        }
      status = PQresultStatus (result);
      PQclear (result);
      if (status == PGRES_PIPELINE_SYNC)
        {
          self->syncs_pending--;
          return TRUE;
        }
    }
}

/* Reads up to the last sync, which it sends first if that was not
 * done, and leaves pipeline mode, whatever came before. */
static void
pipeline_end (PgStorage *self)
{
  if (!self->pipeline_flushed)
    pipeline_flush (self);
  while (self->syncs_pending > 0 && pipeline_skip_to_sync (self))
    ;
  PQsetnonblocking (self->conn, 0);
  PQexitPipelineMode (self->conn);
}

static void
append_account (GString    *accounts,
                GHashTable *seen,
                const char *uuid)
{
  if (!g_hash_table_add (seen, (gpointer) uuid))
    return;
  g_string_append_printf (accounts, "%s%s", accounts->len > 1 ? "," : "", uuid);
}

/* The accounts of the ops of one kind, or of either kind, as a
 * PostgreSQL array, each once, or NULL when there are none; the parts
 * of a multi-recipient send count as sends.  An account named once per
 * send would cost the server a comparison with every element for each
 * row it looks at.  UUIDs are checked to be hexadecimal and dashes
 * before they reach the storage, so they need no quoting in the array. */
static char *
accounts_of (RelayOp     **ops,
             guint         n_ops,
             RelayOpKind   kind,
             RelayOpKind   other_kind)
{
  g_autoptr(GString) accounts = g_string_new ("{");
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < n_ops; i++)
    {
      if (ops[i]->kind == kind || ops[i]->kind == other_kind)
        append_account (accounts, seen, ops[i]->uuid);
      for (guint j = 0; ops[i]->kind == RELAY_OP_SEND_MULTI && kind == RELAY_OP_SEND && j < ops[i]->parts->len; j++)
        append_account (accounts, seen, ((RelayOp *) g_ptr_array_index (ops[i]->parts, j))->uuid);
    }
  if (accounts->len == 1)
    return NULL;
  g_string_append_c (accounts, '}');
  return g_string_free (g_steal_pointer (&accounts), FALSE);
}

/* Runs a few statements in one pipeline, each with its parameters, and
 * gives their results; FALSE when one of them failed. */
static gboolean
run_short_pipeline (PgStorage     *self,
                    const StmtId  *ids,
                    const Params  *params,
                    guint          n,
                    PGresult     **results)
{
  g_autoptr(GPtrArray) owners = g_ptr_array_new ();
  gboolean broken = FALSE;
  gboolean ok = TRUE;
  guint i;

  if (!pipeline_start (self))
    return FALSE;
  for (i = 0; i < n && ok; i++)
    ok = pipeline_queue (self, owners, NULL, ids[i], &params[i]);
  ok = ok && pipeline_flush (self);
  for (i = 0; i < n && ok; i++)
    ok = (results[i] = pipeline_result (self, &broken)) != NULL;
  pipeline_end (self);
  return ok;
}

/* The ops from the first that a pipeline takes: relay_pg_storage_run_many()'s run. */
static guint
run_length (RelayOp **ops,
            guint     n_ops)
{
  guint n = 0;

  while (n < n_ops && pipelines (ops[n]))
    n++;
  return n;
}

/* An empty element, such as the source of an unidentified send, must
 * be quoted: the array literal has no other way to write it. */
static void
append_element (GString    *array,
                const char *text)
{
  if (array->len > 1)
    g_string_append_c (array, ',');
  g_string_append (array, *text != '\0' ? text : "\"\"");
}

static void
append_number (GString *array,
               gint64   value)
{
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  g_snprintf (number, sizeof number, "%" G_GINT64_FORMAT, value);
  append_element (array, number);
}

static void
add_device_rows (GHashTable     *targets,
                 const PGresult *result)
{
  for (int i = 0; i < PQntuples (result); i++)
    {
      g_autofree char *uuid = value_text (result, i, 0);
      GArray *devices = g_hash_table_lookup (targets, uuid);
      RelayDeviceRow row = { (guint32) relay_pg_value_int (result, i, 1), (guint32) relay_pg_value_int (result, i, 2) };

      if (devices == NULL)
        {
          devices = g_array_new (FALSE, FALSE, sizeof (RelayDeviceRow));
          g_hash_table_insert (targets, g_steal_pointer (&uuid), devices);
        }
      g_array_append_val (devices, row);
    }
}

static void
add_queue_rows (RelayQueueUsage *usage,
                const PGresult  *result)
{
  for (int i = 0; i < PQntuples (result); i++)
    {
      g_autofree char *uuid = value_text (result, i, 0);
      g_autofree char *source = value_text (result, i, 2);
      char key[RELAY_DEVICE_KEY_SIZE];

      relay_device_key (key, uuid, (guint32) relay_pg_value_int (result, i, 1));
      relay_queue_usage_add (usage, key, source, relay_pg_value_int (result, i, 3), relay_pg_value_int (result, i, 4));
    }
}

/* Queues the batch's BEGIN, the lock of the device rows of every
 * account the batch sends to or changes the devices of, and the read
 * of its first run's targets under those locks (as read_send_targets()
 * would); `n` is set to how many statements that is.  See the comment
 * at the top of relay-storage-postgresql.c. */
static gboolean
queue_begin (PgStorage  *self,
             RelayOp   **ops,
             guint       n_ops,
             guint      *n)
{
  g_autoptr(GPtrArray) owners = g_ptr_array_new ();
  g_autofree char *accounts = accounts_of (ops, n_ops, RELAY_OP_SEND, RELAY_OP_STORE_PREKEYS);
  g_autofree char *targets = accounts_of (ops, run_length (ops, n_ops), RELAY_OP_SEND, RELAY_OP_SEND);
  const StmtId ids[] = { STMT_BEGIN, STMT_LOCK_DEVICES, STMT_LIST_TARGET_DEVICES, STMT_TARGET_QUEUE_USAGE };
  Params params[G_N_ELEMENTS (ids)] = { { { NULL } } };
  gboolean ok = TRUE;

  /* A run's sends are sends of the batch, so targets imply accounts. */
  *n = accounts == NULL ? 1 : targets == NULL ? 2 : 4;
  if (accounts != NULL)
    param_text (&params[1], accounts);
  if (targets != NULL)
    {
      param_text (&params[2], targets);
      param_text (&params[3], targets);
    }
  for (guint i = 0; i < *n && ok; i++)
    ok = pipeline_queue (self, owners, NULL, ids[i], &params[i]);
  return ok;
}

/* Reads the results of queue_begin()'s `n` statements. */
static gboolean
read_begin (PgStorage  *self,
            RelayOp   **ops,
            guint       n,
            gboolean   *broken)
{
  PGresult *results[4] = { NULL };
  gboolean ok = TRUE;

  for (guint i = 0; i < n && ok; i++)
    ok = (results[i] = pipeline_result (self, broken)) != NULL;
  if (ok && n == 4)
    {
      g_hash_table_remove_all (self->targets);
      relay_queue_usage_clear (self->usage);
      add_device_rows (self->targets, results[2]);
      add_queue_rows (self->usage, results[3]);
      self->targets_read_for = ops;
    }
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    g_clear_pointer (&results[i], PQclear);
  return ok;
}

gboolean
relay_pg_storage_begin (PgStorage  *self,
                        RelayOp   **ops,
                        guint       n_ops)
{
  gboolean broken = FALSE;
  gboolean ok;
  guint n;

  self->batch_end = ops + n_ops;
  self->committed = FALSE;
  if (self->begun)
    {
      self->begun = FALSE;
      return TRUE;
    }
  self->targets_read_for = NULL;
  if (!pipeline_start (self))
    return FALSE;
  ok = queue_begin (self, ops, n_ops, &n) && pipeline_flush (self) && read_begin (self, ops, n, &broken);
  pipeline_end (self);
  return ok;
}

/* The transaction's own removals are not in queue_removed until it
 * commits; they count at once, as they do on SQLite. */
static void
subtract_removals (PgStorage *self)
{
  GHashTableIter iter;
  PgRemoval *removal;

  g_hash_table_iter_init (&iter, self->removals);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &removal))
    {
      char key[RELAY_DEVICE_KEY_SIZE];

      if (!g_hash_table_contains (self->targets, removal->account))
        continue;
      relay_device_key (key, removal->account, (guint32) removal->device_id);
      relay_queue_usage_add (self->usage, key, removal->source, -removal->envelopes, -removal->bytes);
    }
}

void
relay_pg_removal_free (PgRemoval *removal)
{
  g_free (removal->account);
  g_free (removal->source);
  g_free (removal);
}

gint64
relay_pg_storage_note_removals (PgStorage      *self,
                                const PGresult *result)
{
  gint64 removed = 0;

  for (int i = 0; i < PQntuples (result); i++)
    {
      g_autofree char *account = value_text (result, i, 0);
      gint64 device_id = relay_pg_value_int (result, i, 1);
      g_autofree char *source = value_text (result, i, 2);
      g_autofree char *key = g_strdup_printf ("%s\n%" G_GINT64_FORMAT "\n%s", account, device_id, source);
      PgRemoval *removal = g_hash_table_lookup (self->removals, key);

      if (removal == NULL)
        {
          removal = g_new0 (PgRemoval, 1);
          removal->account = g_steal_pointer (&account);
          removal->device_id = device_id;
          removal->source = g_steal_pointer (&source);
          g_hash_table_insert (self->removals, g_steal_pointer (&key), removal);
        }
      removal->envelopes += relay_pg_value_int (result, i, 3);
      removal->bytes += relay_pg_value_int (result, i, 4);
      removed += relay_pg_value_int (result, i, 3);
    }
  return removed;
}

gboolean
relay_pg_storage_commit (PgStorage *self)
{
  const StmtId ids[] = { STMT_RECORD_REMOVALS, STMT_FORGET_SETTLED_USAGE, STMT_COMMIT };
  Params params[G_N_ELEMENTS (ids)] = { { { NULL } } };
  PGresult *results[G_N_ELEMENTS (ids)] = { NULL };
  guint first = g_hash_table_size (self->removals) > 0 ? 0 : 2;
  gboolean ok;

  if (self->committed)
    return TRUE;
  g_hash_table_remove_all (self->removals);
  ok = run_short_pipeline (self, ids + first, params + first, G_N_ELEMENTS (ids) - first, results);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    g_clear_pointer (&results[i], PQclear);
  return ok;
}

/* Reads the devices of every account the run sends to, and what their
 * queues hold from each sender, into self->targets and self->usage. */
static gboolean
read_send_targets (PgStorage  *self,
                   RelayOp   **ops,
                   guint       n_ops)
{
  g_autofree char *accounts = accounts_of (ops, n_ops, RELAY_OP_SEND, RELAY_OP_SEND);
  const StmtId ids[] = { STMT_LIST_TARGET_DEVICES, STMT_TARGET_QUEUE_USAGE };
  Params params[2] = { { { NULL } } };
  PGresult *results[2] = { NULL, NULL };
  gboolean ok;

  /* Read with the batch's locks, and nothing ran since. */
  if (self->targets_read_for == ops)
    {
      self->targets_read_for = NULL;
      return TRUE;
    }
  self->targets_read_for = NULL;
  g_hash_table_remove_all (self->targets);
  relay_queue_usage_clear (self->usage);
  if (accounts == NULL)
    return TRUE;
  param_text (&params[0], accounts);
  param_text (&params[1], accounts);
  ok = run_short_pipeline (self, ids, params, 2, results);
  if (ok)
    {
      add_device_rows (self->targets, results[0]);
      add_queue_rows (self->usage, results[1]);
      subtract_removals (self);
    }
  g_clear_pointer (&results[0], PQclear);
  g_clear_pointer (&results[1], PQclear);
  return ok;
}

/* The type of the elements of a bytea[], as PostgreSQL's catalog
 * numbers it (pg_type.h, which libpq does not install). */
#define BYTEA_OID 17

/* The envelopes of a run's sends, as the arrays of their columns that
 * STMT_INSERT_ENVELOPES takes.  UUIDs, numbers and device keys need no
 * quoting in an array; the contents go as a binary bytea[]. */
typedef struct
{
  GString    *columns[7];   /* account, device_id, type, source, source_device,
                             * client_timestamp, server_timestamp */
  GString    *expiries;     /* NULL for an envelope without one */
  GString    *keys;
  GByteArray *contents;     /* the elements of the bytea[], each its length and bytes */
  guint       count;
  GPtrArray  *sends;        /* of RelayOp, in the order of their envelopes */
} RunInserts;

static void
run_inserts_init (RunInserts *inserts)
{
  for (guint i = 0; i < G_N_ELEMENTS (inserts->columns); i++)
    inserts->columns[i] = g_string_new ("{");
  inserts->expiries = g_string_new ("{");
  inserts->keys = g_string_new ("{");
  inserts->contents = g_byte_array_new ();
  inserts->count = 0;
  inserts->sends = g_ptr_array_new ();
}

static void
run_inserts_clear (RunInserts *inserts)
{
  if (inserts->sends == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (inserts->columns); i++)
    g_string_free (inserts->columns[i], TRUE);
  g_string_free (inserts->expiries, TRUE);
  g_string_free (inserts->keys, TRUE);
  g_byte_array_unref (inserts->contents);
  g_ptr_array_unref (inserts->sends);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RunInserts, run_inserts_clear)

static void
append_be32 (GByteArray *array,
             guint32     value)
{
  guint32 be = GUINT32_TO_BE (value);

  g_byte_array_append (array, (const guint8 *) &be, sizeof be);
}

/* The fetches of a run, as the arrays of their parameters that
 * STMT_FETCH_QUEUES takes, in the order of `ops`. */
typedef struct
{
  GString   *columns[6];    /* account, device_id, after_id, min_timestamp, limit, max_bytes */
  GPtrArray *ops;
} RunFetches;

static void
run_fetches_init (RunFetches *fetches)
{
  for (guint i = 0; i < G_N_ELEMENTS (fetches->columns); i++)
    fetches->columns[i] = g_string_new ("{");
  fetches->ops = g_ptr_array_new ();
}

static void
run_fetches_clear (RunFetches *fetches)
{
  if (fetches->ops == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (fetches->columns); i++)
    g_string_free (fetches->columns[i], TRUE);
  g_ptr_array_unref (fetches->ops);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RunFetches, run_fetches_clear)

static void
add_fetch (RunFetches *fetches,
           RelayOp    *op)
{
  op->status = RELAY_STORAGE_OK;
  op->envelopes = g_ptr_array_new_with_free_func ((GDestroyNotify) relay_stored_envelope_free);
  g_ptr_array_add (fetches->ops, op);
  append_element (fetches->columns[0], op->uuid);
  append_number (fetches->columns[1], op->device_id);
  append_number (fetches->columns[2], op->after_id);
  append_number (fetches->columns[3], op->min_timestamp);
  append_number (fetches->columns[4], op->limit);
  append_number (fetches->columns[5], op->max_bytes > 0 ? (gint64) op->max_bytes : G_MAXINT64);
}

/* Queues the one statement that reads every page the run's fetches
 * ask for; see STMT_FETCH_QUEUES. */
static gboolean
queue_fetches (PgStorage  *self,
               GPtrArray  *owners,
               RunFetches *fetches)
{
  Params p = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (fetches->columns); i++)
    {
      g_string_append_c (fetches->columns[i], '}');
      param_text (&p, fetches->columns[i]->str);
    }
  return pipeline_queue (self, owners, NULL, STMT_FETCH_QUEUES, &p);
}

/* Admits a send by the rule every backend shares, and adds its
 * envelopes to the run's.  What the send adds is counted at once, for
 * the sends after it in the run; should the transaction fail, the usage
 * is read again for the next run anyway. */
static void
add_send (PgStorage  *self,
          RunInserts *inserts,
          RelayOp    *op)
{
  GPtrArray *messages = op->send->messages;

  op->status = relay_storage_admit_send (op, g_hash_table_lookup (self->targets, op->uuid), self->usage);
  if (op->status != RELAY_STORAGE_OK)
    return;
  relay_storage_count_send (op, self->usage);
  op->ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), messages->len);
  op->guids = g_ptr_array_new_full (messages->len, g_free);
  g_ptr_array_add (inserts->sends, op);
  for (guint i = 0; i < messages->len; i++)
    {
      RelayOutgoingEnvelope *envelope = g_ptr_array_index (messages, i);
      char key[RELAY_DEVICE_KEY_SIZE];
      gsize size;
      gconstpointer content = g_bytes_get_data (envelope->content, &size);

      append_element (inserts->columns[0], op->uuid);
      append_number (inserts->columns[1], envelope->device_id);
      append_number (inserts->columns[2], envelope->type);
      append_element (inserts->columns[3], op->source_uuid);
      append_number (inserts->columns[4], op->source_device);
      append_number (inserts->columns[5], op->send->timestamp);
      append_number (inserts->columns[6], op->server_timestamp);
      if (envelope->expires_in_ms > 0)
        append_number (inserts->expiries, relay_envelope_expires_at (op, envelope));
      else
        append_element (inserts->expiries, "NULL");
      relay_device_key (key, op->uuid, envelope->device_id);
      append_element (inserts->keys, key);
      append_be32 (inserts->contents, (guint32) size);
      g_byte_array_append (inserts->contents, content, (guint) size);
      inserts->count++;
    }
}

/* Queues the insert of the run's envelopes and their notifications. */
static gboolean
queue_inserts (PgStorage  *self,
               GPtrArray  *owners,
               RunInserts *inserts)
{
  /* A one-dimensional bytea[] without NULLs, as array_recv() reads it:
   * dimensions, a NULL flag, the element type, then the length and
   * lower bound of the one dimension. */
  g_autoptr(GByteArray) contents = g_byte_array_sized_new (20 + inserts->contents->len);
  g_autoptr(GBytes) contents_bytes = NULL;
  Params p = { 0 };
  Params notify = { 0 };

  append_be32 (contents, 1);
  append_be32 (contents, 0);
  append_be32 (contents, BYTEA_OID);
  append_be32 (contents, inserts->count);
  append_be32 (contents, 1);
  g_byte_array_append (contents, inserts->contents->data, inserts->contents->len);
  contents_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&contents));
  for (guint i = 0; i < G_N_ELEMENTS (inserts->columns); i++)
    g_string_append_c (inserts->columns[i], '}');
  g_string_append_c (inserts->expiries, '}');
  g_string_append_c (inserts->keys, '}');
  param_text (&p, inserts->columns[0]->str);
  param_text (&p, inserts->columns[1]->str);
  param_int (&p, self->tag);
  for (guint i = 2; i < G_N_ELEMENTS (inserts->columns); i++)
    param_text (&p, inserts->columns[i]->str);
  param_bytes (&p, contents_bytes);
  param_text (&p, inserts->expiries->str);
  param_text (&notify, inserts->keys->str);
  return pipeline_queue (self, owners, NULL, STMT_INSERT_ENVELOPES, &p) &&
         pipeline_queue (self, owners, NULL, STMT_NOTIFY_DEVICES, &notify);
}

/* Hands each send its envelopes' ids and GUIDs, in the order they were
 * added; a failed insert fails every send of the run. */
static void
read_inserts (PgStorage      *self,
              RunInserts     *inserts,
              const PGresult *ids,
              gboolean        notified)
{
  int row = 0;

  for (guint i = 0; i < inserts->sends->len; i++)
    {
      RelayOp *op = g_ptr_array_index (inserts->sends, i);

      if (ids == NULL || !notified || PQntuples (ids) != (int) inserts->count)
        {
          op->status = RELAY_STORAGE_FAILED;
          continue;
        }
      for (guint m = 0; m < op->send->messages->len; m++, row++)
        {
          gint64 id = relay_pg_value_int (ids, row, 0);
          char *guid = g_malloc (RELAY_UUID_LENGTH + 1);

          g_array_append_val (op->ids, id);
          relay_guid_encode (self->guids, id, self->tag, guid);
          g_ptr_array_add (op->guids, guid);
        }
      self->queued_change += op->send->messages->len;
    }
}

/* Deletes every acknowledged envelope that is still there, in one
 * statement over arrays; a client may acknowledge one twice, or one
 * that expired meanwhile. */
static gboolean
queue_ack (PgStorage *self,
           GPtrArray *owners,
           RelayOp   *op)
{
  g_autoptr(GString) ids = g_string_new ("{");
  g_autoptr(GString) tags = g_string_new ("{");
  g_autoptr(GString) accounts = g_string_new ("{");
  g_autoptr(GString) devices = g_string_new ("{");
  Params p = { 0 };

  for (guint i = 0; i < op->acks->len; i++)
    {
      RelayAck *ack = &g_array_index (op->acks, RelayAck, i);
      const char *separator = ids->len > 1 ? "," : "";
      gint64 id, tag;

      /* A GUID that does not decode names no entry. */
      if (!relay_guid_decode (self->guids, ack->guid, &id, &tag))
        continue;
      g_string_append_printf (ids, "%s%" G_GINT64_FORMAT, separator, id);
      g_string_append_printf (tags, "%s%" G_GINT64_FORMAT, separator, tag);
      g_string_append_printf (accounts, "%s%s", separator, ack->uuid);
      g_string_append_printf (devices, "%s%u", separator, ack->device_id);
    }
  if (ids->len == 1)
    return TRUE;
  g_string_append_c (ids, '}');
  g_string_append_c (tags, '}');
  g_string_append_c (accounts, '}');
  g_string_append_c (devices, '}');
  param_text (&p, ids->str);
  param_text (&p, tags->str);
  param_text (&p, accounts->str);
  param_text (&p, devices->str);
  return pipeline_queue (self, owners, op, STMT_DELETE_ENVELOPE, &p);
}

static gboolean
queue_op (PgStorage *self,
          GPtrArray *owners,
          RelayOp   *op)
{
  Params p = { 0 };

  op->status = RELAY_STORAGE_OK;
  switch (op->kind)
    {
    case RELAY_OP_GET_DEVICE:
      param_text (&p, op->uuid);
      param_int (&p, op->device_id);
      return pipeline_queue (self, owners, op, STMT_GET_DEVICE, &p);
    case RELAY_OP_LOOKUP_USERNAME:
      param_text (&p, op->username);
      return pipeline_queue (self, owners, op, STMT_LOOKUP_USERNAME, &p);
    case RELAY_OP_ACK:
      op->removed = 0;
      return queue_ack (self, owners, op);
    case RELAY_OP_CHECK_WRITABLE:
      /* One row written shows whether the database takes writes at all. */
      param_int (&p, g_get_real_time () / G_USEC_PER_SEC);
      return pipeline_queue (self, owners, op, STMT_NOTE_HEALTH_CHECK, &p);
    case RELAY_OP_FIND_INVITE:
      param_bytes (&p, op->invite_hash);
      return pipeline_queue (self, owners, op, STMT_FIND_INVITE, &p);
    default:
      g_assert_not_reached ();
    }
}

/* Hands each fetch the rows of its page, which the result holds in the
 * order of the fetches, each row numbered with its fetch's place. */
static void
read_fetches (PgStorage      *self,
              RunFetches     *fetches,
              const PGresult *result)
{
  for (int i = 0; i < PQntuples (result); i++)
    {
      gint64 n = relay_pg_value_int (result, i, 0);
      RelayStoredEnvelope *envelope;
      RelayOp *op;

      if (n < 1 || n > (gint64) fetches->ops->len)
        continue;
      op = g_ptr_array_index (fetches->ops, n - 1);
      envelope = g_new0 (RelayStoredEnvelope, 1);
      envelope->id = relay_pg_value_int (result, i, 1);
      envelope->guid = g_malloc (RELAY_UUID_LENGTH + 1);
      relay_guid_encode (self->guids, envelope->id, relay_pg_value_int (result, i, 2), envelope->guid);
      envelope->type = (guint8) relay_pg_value_int (result, i, 3);
      envelope->source_uuid = value_text (result, i, 4);
      envelope->source_device = (guint32) relay_pg_value_int (result, i, 5);
      envelope->timestamp = relay_pg_value_int (result, i, 6);
      envelope->server_timestamp = relay_pg_value_int (result, i, 7);
      envelope->content = value_bytes (result, i, 8);
      if (!PQgetisnull (result, i, 9))
        envelope->expires_at = relay_pg_value_int (result, i, 9);
      g_ptr_array_add (op->envelopes, envelope);
    }
}

/* Reads one statement's result into its op. */
static void
read_result (PgStorage *self,
             RelayOp   *op,
             PGresult  *result)
{
  gboolean found = PQntuples (result) > 0;

  switch (op->kind)
    {
    case RELAY_OP_GET_DEVICE:
      if (!found)
        op->status = RELAY_STORAGE_NOT_FOUND;
      else
        {
          op->password_hash = value_text (result, 0, 0);
          op->username = value_text (result, 0, 1);
          op->password_digest = value_bytes (result, 0, 2);
        }
      break;
    case RELAY_OP_LOOKUP_USERNAME:
      if (!found)
        op->status = RELAY_STORAGE_NOT_FOUND;
      else
        op->uuid = value_text (result, 0, 0);
      break;
    case RELAY_OP_ACK:
      op->removed = relay_pg_storage_note_removals (self, result);
      self->queued_change -= op->removed;
      break;
    case RELAY_OP_FIND_INVITE:
      if (!found)
        op->status = RELAY_STORAGE_INVITE_INVALID;
      break;
    case RELAY_OP_CHECK_WRITABLE:
      break;
    default:
      g_assert_not_reached ();
    }
}

/* What the batch writes to queues: the accounts it sends to and the
 * devices it acknowledges for, as keys in `written`; FALSE when it
 * holds an op that may write to any queue (an expiry, a multi-recipient
 * send, which runs alone) or to an account's devices. */
static gboolean
note_written_queues (RelayOp    **ops,
                     guint        n_ops,
                     GHashTable  *written)
{
  for (guint i = 0; i < n_ops; i++)
    {
      RelayOp *op = ops[i];

      switch (op->kind)
        {
        case RELAY_OP_FETCH_QUEUE:
        case RELAY_OP_GET_DEVICE:
        case RELAY_OP_LOOKUP_USERNAME:
        case RELAY_OP_CHECK_WRITABLE:
        case RELAY_OP_FIND_INVITE:
          break;
        case RELAY_OP_SEND:
          g_hash_table_add (written, g_strdup (op->uuid));
          break;
        case RELAY_OP_ACK:
          for (guint a = 0; a < op->acks->len; a++)
            {
              RelayAck *ack = &g_array_index (op->acks, RelayAck, a);
              char *key = g_malloc (RELAY_DEVICE_KEY_SIZE);

              relay_device_key (key, ack->uuid, ack->device_id);
              g_hash_table_add (written, key);
            }
          break;
        default:
          return FALSE;
        }
    }
  return TRUE;
}

guint
relay_pg_storage_answer_fetches (PgStorage  *self,
                                 RelayOp   **ops,
                                 guint       n_ops)
{
  g_autoptr(GPtrArray) owners = g_ptr_array_new ();
  g_autoptr(GHashTable) written = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto(RunFetches) fetches = { { NULL } };
  g_autoptr(PGresult) pages = NULL;
  gboolean broken = FALSE;
  gboolean begins;
  guint n_begin = 0;
  guint kept = 0;

  if (!note_written_queues (ops, n_ops, written))
    return n_ops;
  run_fetches_init (&fetches);
  for (guint i = 0; i < n_ops; i++)
    {
      char key[RELAY_DEVICE_KEY_SIZE];

      if (ops[i]->kind != RELAY_OP_FETCH_QUEUE || g_hash_table_contains (written, ops[i]->uuid))
        continue;
      relay_device_key (key, ops[i]->uuid, ops[i]->device_id);
      if (!g_hash_table_contains (written, key))
        add_fetch (&fetches, ops[i]);
    }
  if (fetches.ops->len == 0)
    return n_ops;
  /* Outside any transaction: a statement that writes nothing commits
   * without waiting for the disk.  A fetch that fails here runs again
   * with the batch.  The batch's transaction, when other ops are left
   * for it, begins after a sync, as a part of the pipeline of its own. */
  begins = fetches.ops->len < n_ops;
  self->begun = FALSE;
  self->targets_read_for = NULL;
  if (!pipeline_start (self))
    return n_ops;
  if (queue_fetches (self, owners, &fetches) && (!begins || (pipeline_sync (self) && queue_begin (self, ops, n_ops, &n_begin))) &&
      pipeline_flush (self))
    {
      pages = pipeline_result (self, &broken);
      if (begins && !broken && pipeline_skip_to_sync (self))
        self->begun = read_begin (self, ops, n_begin, &broken);
    }
  pipeline_end (self);
  /* relay_pg_storage_begin() begins it again. */
  if (begins && !self->begun && PQtransactionStatus (self->conn) != PQTRANS_IDLE)
    relay_pg_exec (self->conn, "ROLLBACK");
  if (pages == NULL)
    {
      for (guint i = 0; i < fetches.ops->len; i++)
        g_clear_pointer (&((RelayOp *) g_ptr_array_index (fetches.ops, i))->envelopes, g_ptr_array_unref);
      return n_ops;
    }
  read_fetches (self, &fetches, pages);
  /* The answered ops leave the batch: the others move up, in their
   * order, and the places left at the end are emptied. */
  for (guint i = 0, f = 0; i < n_ops; i++)
    {
      if (f < fetches.ops->len && ops[i] == g_ptr_array_index (fetches.ops, f))
        {
          f++;
          ops[i]->done (ops[i]);
          continue;
        }
      ops[kept++] = ops[i];
    }
  for (guint i = kept; i < n_ops; i++)
    ops[i] = NULL;
  return kept;
}

/* Queues the end of the batch after its last run: the removals'
 * record, when the batch removed or may remove from queues, and the
 * COMMIT.  The ops are answered only after its result, as they would
 * be after relay_pg_storage_commit()'s; a statement that fails before
 * it skips it, and the transaction is rolled back as always. */
static gboolean
queue_commit (PgStorage  *self,
              GPtrArray  *owners,
              RelayOp   **ops,
              guint       n_ops)
{
  gboolean removes = g_hash_table_size (self->removals) > 0;
  Params p = { 0 };

  for (guint i = 0; i < n_ops && !removes; i++)
    removes = ops[i]->kind == RELAY_OP_ACK;
  if (removes && (!pipeline_queue (self, owners, NULL, STMT_RECORD_REMOVALS, &p) ||
                  !pipeline_queue (self, owners, NULL, STMT_FORGET_SETTLED_USAGE, &p)))
    return FALSE;
  return pipeline_queue (self, owners, NULL, STMT_COMMIT, &p);
}

static void
read_commit (PgStorage *self,
             GPtrArray *owners,
             gboolean  *broken)
{
  gboolean ok = TRUE;

  for (guint i = 0; i < owners->len && ok && !*broken; i++)
    {
      g_autoptr(PGresult) result = pipeline_result (self, broken);

      ok = result != NULL;
    }
  if (!ok || *broken)
    return;
  self->committed = TRUE;
  g_hash_table_remove_all (self->removals);
}

/* Runs the ops from the first that pipelines() takes, in one pipeline;
 * an op whose statement failed fails, and so does the transaction.
 * When they are the batch's last, the pipeline ends with the commit. */
guint
relay_pg_storage_run_many (gpointer   backend,
                           RelayOp  **ops,
                           guint      n_ops)
{
  PgStorage *self = backend;
  g_autoptr(GPtrArray) owners = g_ptr_array_new ();
  g_autoptr(GPtrArray) commit_owners = g_ptr_array_new ();
  g_auto(RunInserts) inserts = { { NULL } };
  g_auto(RunFetches) fetches = { { NULL } };
  gboolean broken = FALSE;
  gboolean queued;
  guint n;

  n = run_length (ops, n_ops);
  if (n == 0)
    return 0;
  if (!read_send_targets (self, ops, n) || !pipeline_start (self))
    {
      relay_storage_fail_ops (ops, 0, n);
      return n;
    }
  run_inserts_init (&inserts);
  run_fetches_init (&fetches);
  /* The run's envelopes are stored before its other statements run, so
   * that a fetch finds every envelope of the run, also those of sends
   * submitted after it: neither is answered before the commit.  Its
   * fetches run last, in one statement, and so after its
   * acknowledgements: an envelope acknowledged is never handed out
   * again. */
  for (guint i = 0; i < n; i++)
    {
      if (ops[i]->kind == RELAY_OP_SEND)
        add_send (self, &inserts, ops[i]);
      else if (ops[i]->kind == RELAY_OP_FETCH_QUEUE)
        add_fetch (&fetches, ops[i]);
    }
  queued = inserts.count == 0 || queue_inserts (self, owners, &inserts);
  for (guint i = 0; i < n && queued; i++)
    if (ops[i]->kind != RELAY_OP_SEND && ops[i]->kind != RELAY_OP_FETCH_QUEUE)
      queued = queue_op (self, owners, ops[i]);
  queued = queued && (fetches.ops->len == 0 || queue_fetches (self, owners, &fetches));
  if (ops + n == self->batch_end)
    queued = queued && queue_commit (self, commit_owners, ops, n);
  if (!queued || !pipeline_flush (self))
    {
      g_warning ("PostgreSQL: cannot send a pipeline: %s", PQerrorMessage (self->conn));
      relay_storage_fail_ops (ops, 0, n);
      pipeline_end (self);
      return n;
    }
  if (inserts.count > 0)
    {
      g_autoptr(PGresult) ids = pipeline_result (self, &broken);
      g_autoptr(PGresult) notified = pipeline_result (self, &broken);

      read_inserts (self, &inserts, ids, notified != NULL);
    }
  for (guint i = 2 * (inserts.count > 0); i < owners->len - (fetches.ops->len > 0) && !broken; i++)
    {
      RelayOp *op = g_ptr_array_index (owners, i);
      g_autoptr(PGresult) result = pipeline_result (self, &broken);

      if (result == NULL)
        op->status = RELAY_STORAGE_FAILED;
      else if (op->status == RELAY_STORAGE_OK)
        read_result (self, op, result);
    }
  if (fetches.ops->len > 0 && !broken)
    {
      g_autoptr(PGresult) pages = pipeline_result (self, &broken);

      if (pages != NULL)
        read_fetches (self, &fetches, pages);
      else
        relay_storage_fail_ops ((RelayOp **) fetches.ops->pdata, 0, fetches.ops->len);
    }
  if (commit_owners->len > 0 && !broken)
    read_commit (self, commit_owners, &broken);
  if (broken)
    relay_storage_fail_ops (ops, 0, n);
  pipeline_end (self);
  return n;
}
