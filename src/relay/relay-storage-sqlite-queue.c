/* relay-storage-sqlite-queue.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The SQLite backend's envelope queue: storing, fetching, acknowledging
 * and expiring envelopes, and what every device's queue holds, which
 * the writer counts in memory (RelayQueueUsage) as it changes them.
 */

#include "config.h"

#include "relay-storage-sqlite-private.h"

/* Queue usage.  It changes only once the op that stores or deletes
 * envelopes has succeeded; a rollback counts it all again. */

static void
queued_add (SqliteStorage *self,
            const char    *uuid,
            guint32        device_id,
            const char    *sender,
            gint64         envelopes,
            gint64         bytes)
{
  char key[RELAY_DEVICE_KEY_SIZE];

  relay_device_key (key, uuid, device_id);
  relay_queue_usage_add (self->usage, key, sender, envelopes, bytes);
}

/* Runs a statement whose rows are (account, device_id, source, count,
 * bytes) and adds sign times each to the queue usage. */
static gboolean
queued_add_rows (SqliteStorage *self,
                 sqlite3_stmt  *s,
                 gint64         sign)
{
  int rc;

  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    queued_add (self, (const char *) sqlite3_column_text (s, 0), (guint32) sqlite3_column_int64 (s, 1),
                (const char *) sqlite3_column_text (s, 2), sign * sqlite3_column_int64 (s, 3),
                sign * sqlite3_column_int64 (s, 4));
  return rc == SQLITE_DONE;
}

gboolean
relay_sqlite_count_queues (SqliteStorage *self)
{
  relay_queue_usage_clear (self->usage);
  return queued_add_rows (self, stmt (self, STMT_QUEUE_COUNTS), 1);
}

/* After a failure that may have left the counts off. */
void
relay_sqlite_recount_queues (SqliteStorage *self)
{
  if (!relay_sqlite_count_queues (self))
    relay_sqlite_warn (self, "SQLite: cannot count the queues: %s", sqlite3_errmsg (self->db));
}

RelayStorageStatus
relay_sqlite_op_send (gpointer  backend,
                      RelayOp  *op)
{
  SqliteStorage *self = backend;
  GPtrArray *messages = op->send->messages;
  RelayStorageStatus status;
  GArray *devices;

  if ((devices = relay_sqlite_account_devices (self, op->uuid)) == NULL)
    return RELAY_STORAGE_FAILED;
  if ((status = relay_storage_admit_send (op, devices, self->usage)) != RELAY_STORAGE_OK)
    return status;

  op->ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), messages->len);
  op->guids = g_ptr_array_new_full (messages->len, g_free);
  for (guint i = 0; i < messages->len; i++)
    {
      RelayOutgoingEnvelope *envelope = g_ptr_array_index (messages, i);
      sqlite3_stmt *s = stmt (self, STMT_INSERT_ENVELOPE);
      gint64 id = self->next_id++;
      char *guid = g_malloc (RELAY_UUID_LENGTH + 1);

      sqlite3_bind_int64 (s, 1, id);
      bind_text (s, 2, op->uuid);
      sqlite3_bind_int64 (s, 3, envelope->device_id);
      sqlite3_bind_int64 (s, 4, self->tag);
      sqlite3_bind_int (s, 5, envelope->type);
      bind_text (s, 6, op->source_uuid);
      sqlite3_bind_int64 (s, 7, op->source_device);
      sqlite3_bind_int64 (s, 8, op->send->timestamp);
      sqlite3_bind_int64 (s, 9, op->server_timestamp);
      bind_bytes (s, 10, envelope->content);
      if (envelope->expires_in_ms > 0)
        sqlite3_bind_int64 (s, 11, relay_envelope_expires_at (op, envelope));
      relay_guid_encode (self->guids, id, self->tag, guid);
      g_ptr_array_add (op->guids, guid);
      if (!step_done (s))
        return RELAY_STORAGE_FAILED;
      g_array_append_val (op->ids, id);
    }
  /* The usage follows only what was stored. */
  relay_storage_count_send (op, self->usage);
  return RELAY_STORAGE_OK;
}

void
relay_sqlite_forget_send (gpointer  backend,
                          RelayOp  *op)
{
  for (guint i = 0; i < op->send->messages->len; i++)
    {
      RelayOutgoingEnvelope *envelope = g_ptr_array_index (op->send->messages, i);

      queued_add (backend, op->uuid, envelope->device_id, op->source_uuid, -1,
                  -(gint64) g_bytes_get_size (envelope->content));
    }
}

RelayStorageStatus
relay_sqlite_op_fetch_queue (gpointer  backend,
                             RelayOp  *op)
{
  SqliteStorage *self = backend;
  sqlite3_stmt *s = stmt (self, STMT_FETCH_QUEUE);
  gsize bytes = 0;
  int rc;

  bind_text (s, 1, op->uuid);
  sqlite3_bind_int64 (s, 2, op->device_id);
  sqlite3_bind_int64 (s, 3, op->after_id);
  sqlite3_bind_int64 (s, 4, op->min_timestamp);
  sqlite3_bind_int64 (s, 5, op->limit);
  op->envelopes = g_ptr_array_new_with_free_func ((GDestroyNotify) relay_stored_envelope_free);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      RelayStoredEnvelope *envelope;
      gsize size = (gsize) sqlite3_column_bytes (s, 8);

      /* The first envelope always goes, whatever its size. */
      if (op->max_bytes > 0 && op->envelopes->len > 0 && bytes + size > op->max_bytes)
        {
          sqlite3_reset (s);
          rc = SQLITE_DONE;
          break;
        }
      bytes += size;
      envelope = g_new0 (RelayStoredEnvelope, 1);
      envelope->id = sqlite3_column_int64 (s, 0);
      if (sqlite3_column_type (s, 2) == SQLITE_NULL)
        {
          envelope->guid = g_malloc (RELAY_UUID_LENGTH + 1);
          relay_guid_encode (self->guids, envelope->id, sqlite3_column_int64 (s, 1), envelope->guid);
        }
      else
        envelope->guid = column_text (s, 2);
      envelope->type = (guint8) sqlite3_column_int (s, 3);
      envelope->source_uuid = column_text (s, 4);
      envelope->source_device = (guint32) sqlite3_column_int64 (s, 5);
      envelope->timestamp = sqlite3_column_int64 (s, 6);
      envelope->server_timestamp = sqlite3_column_int64 (s, 7);
      envelope->content = column_bytes (s, 8);
      envelope->expires_at = sqlite3_column_int64 (s, 9);
      g_ptr_array_add (op->envelopes, envelope);
    }
  return rc == SQLITE_DONE ? RELAY_STORAGE_OK : RELAY_STORAGE_FAILED;
}

/* Steps a statement that finds a queue entry, and reads its id, sender
 * and size when it does. */
static int
find_entry (sqlite3_stmt  *s,
            gint64        *id,
            char         **source,
            gint64        *bytes)
{
  int rc = sqlite3_step (s);

  if (rc == SQLITE_ROW)
    {
      *id = sqlite3_column_int64 (s, 0);
      *source = column_text (s, 1);
      *bytes = sqlite3_column_int64 (s, 2);
    }
  sqlite3_reset (s);
  return rc;
}

/* Deletes the entry an acknowledgement names, if the device's queue
 * still holds it, and says whether that went without error.  A GUID that
 * names no entry of this run may be one stored before schema version 4,
 * which is looked up by its text; there are none on a relay that started
 * at version 4, so the partial index it uses is empty. */
static gboolean
delete_acknowledged (SqliteStorage  *self,
                     const RelayAck *ack,
                     gint64         *removed)
{
  g_autofree char *source = NULL;
  sqlite3_stmt *s;
  gint64 id;
  gint64 tag;
  gint64 bytes = 0;
  int rc = SQLITE_DONE;

  *removed = 0;
  if (relay_guid_decode (self->guids, ack->guid, &id, &tag))
    {
      s = stmt (self, STMT_FIND_ENVELOPE);
      sqlite3_bind_int64 (s, 1, id);
      sqlite3_bind_int64 (s, 2, tag);
      bind_text (s, 3, ack->uuid);
      sqlite3_bind_int64 (s, 4, ack->device_id);
      rc = find_entry (s, &id, &source, &bytes);
    }
  if (rc == SQLITE_DONE)
    {
      s = stmt (self, STMT_FIND_LEGACY_ENVELOPE);
      bind_text (s, 1, ack->guid);
      bind_text (s, 2, ack->uuid);
      sqlite3_bind_int64 (s, 3, ack->device_id);
      rc = find_entry (s, &id, &source, &bytes);
    }
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    return FALSE;
  s = stmt (self, STMT_DELETE_ENVELOPE);
  sqlite3_bind_int64 (s, 1, id);
  if (!step_done (s))
    return FALSE;
  queued_add (self, ack->uuid, ack->device_id, source, -1, -bytes);
  *removed = 1;
  return TRUE;
}

/* Deletes every acknowledged envelope that is still there; a client may
 * acknowledge one twice, or one that expired meanwhile.  The deletions
 * are independent of each other: if one fails, those before it stand. */
RelayStorageStatus
relay_sqlite_op_ack (gpointer  backend,
                     RelayOp  *op)
{
  SqliteStorage *self = backend;
  op->removed = 0;
  for (guint i = 0; i < op->acks->len; i++)
    {
      RelayAck *ack = &g_array_index (op->acks, RelayAck, i);
      gint64 removed;

      if (!delete_acknowledged (self, ack, &removed))
        return RELAY_STORAGE_FAILED;
      op->removed += removed;
    }
  return RELAY_STORAGE_OK;
}

/* Finds the first entry young enough to keep.  Server timestamps grow
 * with the ids, so everything that expires lies before it, and reading
 * up to it costs only as many rows as expire.  Should the clock have
 * gone back, an entry before it may be younger than the limit; the
 * statements that use the boundary check every entry's age too. */
static gboolean
first_fresh_id (SqliteStorage *self,
                gint64         min_timestamp,
                gint64        *id)
{
  sqlite3_stmt *s = stmt (self, STMT_FIRST_FRESH);
  int rc;

  sqlite3_bind_int64 (s, 1, min_timestamp);
  rc = sqlite3_step (s);
  *id = rc == SQLITE_ROW ? sqlite3_column_int64 (s, 0) : self->next_id;
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

/* Counts what expires, then deletes it.  Should a step fail, the
 * counts are made again from the table, which the failed statement left
 * as it was. */
RelayStorageStatus
relay_sqlite_op_expire (gpointer  backend,
                        RelayOp  *op)
{
  SqliteStorage *self = backend;
  gint64 before = relay_queue_usage_get_total (self->usage);
  gint64 boundary;
  sqlite3_stmt *s;

  if (!first_fresh_id (self, op->min_timestamp, &boundary))
    return RELAY_STORAGE_FAILED;
  s = stmt (self, STMT_EXPIRED_COUNTS);
  sqlite3_bind_int64 (s, 1, boundary);
  sqlite3_bind_int64 (s, 2, op->min_timestamp);
  if (queued_add_rows (self, s, -1))
    {
      s = stmt (self, STMT_DELETE_EXPIRED);
      sqlite3_bind_int64 (s, 1, boundary);
      sqlite3_bind_int64 (s, 2, op->min_timestamp);
      if (step_done (s))
        {
          op->removed = before - relay_queue_usage_get_total (self->usage);
          return RELAY_STORAGE_OK;
        }
    }
  relay_sqlite_recount_queues (self);
  return RELAY_STORAGE_FAILED;
}

/* Counts what lapsed, deletes it, and reads when the next envelope
 * lapses.  Should the deletion fail, the counts are made again from the
 * table, as for relay_sqlite_op_expire(). */
RelayStorageStatus
relay_sqlite_op_drop_expired (gpointer  backend,
                              RelayOp  *op)
{
  SqliteStorage *self = backend;
  gint64 before = relay_queue_usage_get_total (self->usage);
  sqlite3_stmt *s = stmt (self, STMT_LAPSED_COUNTS);

  sqlite3_bind_int64 (s, 1, op->server_timestamp);
  if (!queued_add_rows (self, s, -1))
    {
      relay_sqlite_recount_queues (self);
      return RELAY_STORAGE_FAILED;
    }
  s = stmt (self, STMT_DELETE_LAPSED);
  sqlite3_bind_int64 (s, 1, op->server_timestamp);
  if (!step_done (s))
    {
      relay_sqlite_recount_queues (self);
      return RELAY_STORAGE_FAILED;
    }
  op->removed = before - relay_queue_usage_get_total (self->usage);
  s = stmt (self, STMT_NEXT_EXPIRY);
  if (sqlite3_step (s) != SQLITE_ROW)
    return RELAY_STORAGE_FAILED;
  op->next_expiry = sqlite3_column_int64 (s, 0);
  return RELAY_STORAGE_OK;
}
