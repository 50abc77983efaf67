/* sotto-store-expiry.c: disappearing-message timers and expiries
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <glib/gi18n.h>
#include <sqlite3.h>

#include "sotto-store-private.h"

/* Each conversation's timer (conversation_timers) and each disappearing
 * message's (message_timers), with when it expires once its countdown
 * started: when it was sent for the sender, when it was read for the
 * recipient.  A message's row goes with the message (ON DELETE CASCADE). */

void
_sotto_expired_message_free (SottoExpiredMessage *expired)
{
  g_free (expired->id);
  g_free (expired);
}

/* Runs on the store's thread.  A timer of 0 turns it off. */
gboolean
_sotto_store_set_conversation_timer (SottoStore  *self,
                                     gint64       conversation_id,
                                     guint        seconds,
                                     GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  if (seconds == 0)
    return _sotto_store_exec_int64 (self, "DELETE FROM conversation_timers WHERE conversation_id = ?1",
                                    conversation_id, error);

  statement = _sotto_store_prepare (self,
                                    "INSERT OR REPLACE INTO conversation_timers (conversation_id, seconds)"
                                    " VALUES (?1, ?2)",
                                    error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, conversation_id);
  sqlite3_bind_int64 (statement, 2, seconds);

  return _sotto_store_step_done (self, statement, error);
}

/* Runs on the store's thread.  Returns: (transfer full): conversation ids
 * (gint64 keys) to their timers (GUINT_TO_POINTER), for those that have
 * one. */
GHashTable *
_sotto_store_list_conversation_timers (SottoStore  *self,
                                       GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GHashTable) timers = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), NULL);

  statement = _sotto_store_prepare (self, "SELECT conversation_id, seconds FROM conversation_timers", error);
  if (statement == NULL)
    return NULL;

  while ((rc = sqlite3_step (statement)) == SQLITE_ROW)
    {
      gint64 conversation_id = sqlite3_column_int64 (statement, 0);
      gint64 seconds = sqlite3_column_int64 (statement, 1);

      g_hash_table_insert (timers, g_memdup2 (&conversation_id, sizeof conversation_id),
                           GUINT_TO_POINTER ((guint) CLAMP (seconds, 0, G_MAXUINT32)));
    }
  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read the disappearing-message timers"), error);
      return NULL;
    }

  return g_steal_pointer (&timers);
}

/* Runs on the store's thread, in the transaction that stored the
 * message @id.  @expires_at is 0 while the countdown has not started. */
gboolean
_sotto_store_add_message_timer (SottoStore  *self,
                                gint64       conversation_id,
                                const char  *id,
                                guint        seconds,
                                gint64       expires_at,
                                GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (id != NULL && seconds > 0, FALSE);

  statement = _sotto_store_prepare (self,
                                    "INSERT OR REPLACE INTO message_timers (message_id, seconds, expires_at)"
                                    " SELECT id, ?3, NULLIF(?4, 0) FROM messages"
                                    " WHERE conversation_id = ?1 AND uuid = ?2",
                                    error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, conversation_id);
  sqlite3_bind_text (statement, 2, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (statement, 3, seconds);
  sqlite3_bind_int64 (statement, 4, expires_at);

  return _sotto_store_step_done (self, statement, error);
}

/* Runs on the store's thread, in the transaction that stored @record, a
 * message the user wrote: it lasts as long as the conversation's timer
 * says, counted from when it was sent. */
gboolean
_sotto_store_time_outgoing (SottoStore                *self,
                            gint64                     conversation_id,
                            SottoMessageRecord        *record,
                            GError                   **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  GError *select_error = NULL;
  gint64 seconds;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  statement = _sotto_store_select_optional (self, "SELECT seconds FROM conversation_timers WHERE conversation_id = ?1",
                                            conversation_id, &select_error);
  if (statement == NULL)
    {
      if (select_error == NULL)
        return TRUE;
      g_propagate_error (error, select_error);
      return FALSE;
    }

  seconds = CLAMP (sqlite3_column_int64 (statement, 0), 0, G_MAXUINT32);
  if (seconds == 0)
    return TRUE;

  record->disappears = TRUE;
  return _sotto_store_add_message_timer (self, conversation_id, record->id, seconds,
                                         record->sent_at + seconds * 1000, error);
}

/* Runs on the store's thread.  Starts the countdown of the disappearing
 * messages of a conversation that were read. */
gboolean
_sotto_store_start_countdowns (SottoStore  *self,
                               gint64       conversation_id,
                               gint64       now,
                               GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  statement = _sotto_store_prepare (self,
                                    "UPDATE message_timers SET expires_at = ?2 + seconds * 1000"
                                    " WHERE expires_at IS NULL AND message_id IN"
                                    " (SELECT id FROM messages WHERE conversation_id = ?1"
                                    "  AND direction = 0 AND state = 3)",
                                    error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, conversation_id);
  sqlite3_bind_int64 (statement, 2, now);

  return _sotto_store_step_done (self, statement, error);
}

/* Runs on the store's thread.  Sets @expires_at to when the next message
 * expires, or to 0 when none is counting down. */
gboolean
_sotto_store_next_expiry (SottoStore  *self,
                          gint64      *expires_at,
                          GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  statement = _sotto_store_prepare (self, "SELECT IFNULL(MIN(expires_at), 0) FROM message_timers"
                                          " WHERE expires_at IS NOT NULL", error);
  if (statement == NULL)
    return FALSE;

  rc = sqlite3_step (statement);
  if (rc != SQLITE_ROW)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read a disappearing-message timer"), error);
      return FALSE;
    }

  *expires_at = sqlite3_column_int64 (statement, 0);
  return TRUE;
}

/* Runs on the store's thread.  Returns: (transfer full) (element-type
 * SottoExpiredMessage): the messages that expired by @now, at most
 * @limit of them, soonest first. */
GPtrArray *
_sotto_store_list_expired (SottoStore  *self,
                           gint64       now,
                           guint        limit,
                           GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GPtrArray) expired = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_expired_message_free);
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), NULL);

  statement = _sotto_store_prepare (self,
                                    "SELECT m.conversation_id, m.uuid FROM message_timers t"
                                    " JOIN messages m ON m.id = t.message_id"
                                    " WHERE t.expires_at IS NOT NULL AND t.expires_at <= ?1"
                                    " ORDER BY t.expires_at LIMIT ?2",
                                    error);
  if (statement == NULL)
    return NULL;

  sqlite3_bind_int64 (statement, 1, now);
  sqlite3_bind_int64 (statement, 2, limit);
  while ((rc = sqlite3_step (statement)) == SQLITE_ROW)
    {
      SottoExpiredMessage *message = g_new0 (SottoExpiredMessage, 1);

      message->conversation_id = sqlite3_column_int64 (statement, 0);
      message->id = g_strdup ((const char *) sqlite3_column_text (statement, 1));
      g_ptr_array_add (expired, message);
    }
  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read the expired messages"), error);
      return NULL;
    }

  return g_steal_pointer (&expired);
}
