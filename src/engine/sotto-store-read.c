/* sotto-store-read.c: the incoming messages the user has seen
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <glib/gi18n.h>
#include <sqlite3.h>

#include "sotto-message.h"
#include "sotto-store-private.h"

/* The statements below spell these values out, as the partial index
 * messages_unread needs (sotto-store-records.c). */
G_STATIC_ASSERT (SOTTO_MESSAGE_DIRECTION_INCOMING == 0);
G_STATIC_ASSERT (SOTTO_MESSAGE_STATE_DELIVERED == 2);
G_STATIC_ASSERT (SOTTO_MESSAGE_STATE_READ == 3);

typedef struct
{
  guint position;
  const char *id;
} SeenMessage;

static int
compare_positions (gconstpointer a,
                   gconstpointer b)
{
  const SeenMessage *first = a;
  const SeenMessage *second = b;

  return (first->position > second->position) - (first->position < second->position);
}

/* Marks the unread incoming message @id of the conversation read, and
 * adds it to @seen; any other message, or none, is left as it is. */
static gboolean
mark_one_read (SottoStore  *self,
               gint64       conversation_id,
               const char  *id,
               GArray      *seen,
               GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  SeenMessage message = { 0, id };
  gint64 row_id;
  gint64 position;
  int rc;

  statement = _sotto_store_prepare (self,
                                    "SELECT id, position FROM messages"
                                    " WHERE conversation_id = ?1 AND uuid = ?2 AND direction = 0 AND state = 2",
                                    error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, conversation_id);
  sqlite3_bind_text (statement, 2, id, -1, SQLITE_STATIC);

  rc = sqlite3_step (statement);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read a message"), error);
      return FALSE;
    }

  row_id = sqlite3_column_int64 (statement, 0);
  position = sqlite3_column_int64 (statement, 1);
  g_clear_pointer (&statement, _sotto_store_statement_release);

  if (position < 0 || position > G_MAXUINT)
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT,
                           _("A stored message is damaged"));
      return FALSE;
    }

  /* Marked at once, so that an id given twice counts once. */
  if (!_sotto_store_exec_int64 (self, "UPDATE messages SET state = 3 WHERE id = ?1", row_id, error))
    return FALSE;

  message.position = position;
  g_array_append_val (seen, message);

  return TRUE;
}

/* Runs on the store's thread.  Marks those of @ids that are unread
 * incoming messages of the conversation read, in one transaction, and
 * returns their ids in the conversation's order, oldest first, for the
 * read receipt; for each it appends to @changes where the message is,
 * and the conversation's unread count afterwards.  Outgoing messages,
 * messages read already and ids the conversation does not hold are left
 * out: only what the other side sent, and the user has not read yet,
 * becomes read. */
GStrv
_sotto_store_mark_messages_read (SottoStore          *self,
                                 gint64               conversation_id,
                                 const char * const  *ids,
                                 GArray              *changes,
                                 GError             **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GArray) seen = g_array_new (FALSE, FALSE, sizeof (SeenMessage));
  g_autoptr(GStrvBuilder) read_ids = g_strv_builder_new ();
  guint n_unread;
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), NULL);
  g_return_val_if_fail (ids != NULL, NULL);
  g_return_val_if_fail (changes != NULL, NULL);

  if (!_sotto_store_begin (self, error))
    return NULL;

  for (guint i = 0; ids[i] != NULL; i++)
    if (!mark_one_read (self, conversation_id, ids[i], seen, error))
      goto fail;

  statement = _sotto_store_prepare (self,
                                    "UPDATE conversations SET n_unread = MAX (n_unread - ?2, 0) WHERE id = ?1"
                                    " RETURNING n_unread",
                                    error);
  if (statement == NULL)
    goto fail;

  sqlite3_bind_int64 (statement, 1, conversation_id);
  sqlite3_bind_int64 (statement, 2, seen->len);

  rc = sqlite3_step (statement);
  if (rc != SQLITE_ROW)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read a conversation"), error);
      goto fail;
    }
  n_unread = CLAMP (sqlite3_column_int64 (statement, 0), 0, G_MAXUINT);
  g_clear_pointer (&statement, _sotto_store_statement_release);

  if (!_sotto_store_commit (self, error))
    return NULL;

  g_array_sort (seen, compare_positions);
  for (guint i = 0; i < seen->len; i++)
    {
      const SeenMessage *message = &g_array_index (seen, SeenMessage, i);
      SottoStoreStateChange change = { message->position, SOTTO_MESSAGE_STATE_READ, n_unread };

      g_strv_builder_add (read_ids, message->id);
      g_array_append_val (changes, change);
    }

  return g_strv_builder_end (read_ids);

fail:
  _sotto_store_rollback (self);

  return NULL;
}
