/* sotto-store-deletion.c: messages the user deletes for themselves
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <sqlite3.h>

#include "sotto-store-private.h"

/* Runs on the store's thread.  Deletes the message @id from this device
 * only, and closes the gap it leaves in the positions, which number the
 * messages densely for the paged list.  A message still waiting in the
 * outbox is refused: the outbox may be sending it.  Sets @n_messages and
 * @n_unread to the conversation's counts afterwards. */
gboolean
_sotto_store_delete_message (SottoStore  *self,
                             gint64       conversation_id,
                             const char  *id,
                             guint       *n_messages,
                             guint       *n_unread,
                             GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  gint64 position;
  gboolean unread;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  if (!_sotto_store_begin (self, error))
    return FALSE;

  statement = _sotto_store_prepare (self,
                                    "SELECT position, direction, state FROM messages"
                                    " WHERE conversation_id = ?1 AND uuid = ?2",
                                    error);
  if (statement == NULL)
    goto fail;
  sqlite3_bind_int64 (statement, 1, conversation_id);
  sqlite3_bind_text (statement, 2, id, -1, SQLITE_TRANSIENT);
  if (!_sotto_store_step_row (self, statement, error, _("Could not read a message"), "No message %s", id))
    goto fail;

  position = sqlite3_column_int64 (statement, 0);
  if (sqlite3_column_int (statement, 1) == SOTTO_MESSAGE_DIRECTION_OUTGOING
      && sqlite3_column_int (statement, 2) == SOTTO_MESSAGE_STATE_QUEUED)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           _("The message is still being sent"));
      goto fail;
    }
  unread = sqlite3_column_int (statement, 1) == SOTTO_MESSAGE_DIRECTION_INCOMING
           && sqlite3_column_int (statement, 2) == SOTTO_MESSAGE_STATE_DELIVERED;
  g_clear_pointer (&statement, _sotto_store_statement_release);

  /* The positions after it move down by one, through negative numbers so
   * that no step collides with (conversation_id, position)'s uniqueness. */
  if (!_sotto_store_exec_int64_pair (self, "DELETE FROM messages WHERE conversation_id = ?1 AND position = ?2",
                                     conversation_id, position, error)
      || !_sotto_store_exec_int64_pair (self, "UPDATE messages SET position = -position"
                                              " WHERE conversation_id = ?1 AND position > ?2",
                                        conversation_id, position, error)
      || !_sotto_store_exec_int64 (self, "UPDATE messages SET position = -position - 1"
                                         " WHERE conversation_id = ?1 AND position < 0",
                                   conversation_id, error)
      || !_sotto_store_exec_int64_pair (self, "UPDATE conversations SET n_messages = n_messages - 1,"
                                              " n_unread = n_unread - ?2 WHERE id = ?1",
                                        conversation_id, unread ? 1 : 0, error))
    goto fail;

  statement = _sotto_store_select_by_id (self, "SELECT n_messages, n_unread FROM conversations WHERE id = ?1",
                                         conversation_id, _("Could not read a conversation"),
                                         _("The conversation does not exist"), error);
  if (statement == NULL)
    goto fail;
  *n_messages = sqlite3_column_int64 (statement, 0);
  *n_unread = sqlite3_column_int64 (statement, 1);
  g_clear_pointer (&statement, _sotto_store_statement_release);

  return _sotto_store_commit (self, error);

fail:
  g_clear_pointer (&statement, _sotto_store_statement_release);
  _sotto_store_rollback (self);

  return FALSE;
}
