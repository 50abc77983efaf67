/* sotto-store-actions.c: replies, reactions, edits and deletion for
 * everyone, kept sealed
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <glib/gi18n.h>
#include <sqlite3.h>

#include "sotto-store-private.h"

/* What a message carries besides its text lives in its row, sealed like
 * the body: the quote of a reply, the one reaction each side of the
 * conversation may have on it, and the flags "edited" and "deleted for
 * everyone".  An edit keeps the text it replaced in message_edits.
 *
 * Only a message's author may edit or delete it for everyone, and only
 * within SOTTO_STORE_ACTION_WINDOW_MS of writing it; only the two people
 * of a conversation may react to its messages.  An action naming a
 * message that is in another conversation, or one its sender did not
 * write, is forged: it is dropped and logged.  An action whose target is
 * not here yet (the relay delivered it first) waits, sealed, in
 * pending_actions and is applied, or found forged, when a message with
 * that id arrives.
 *
 * Deleting for everyone removes the text, its earlier versions, its
 * quote, its reactions and the excerpts replies quote of it: with
 * PRAGMA secure_delete the freed bytes are overwritten, and after the
 * commit the write-ahead log, which still holds the old pages, is
 * checkpointed and truncated. */

#define FLAG_EDITED 1
#define FLAG_DELETED 2

static const char *
action_name (SottoContentKind kind)
{
  switch (kind)
    {
    case SOTTO_CONTENT_KIND_REACTION:
      return "reaction";
    case SOTTO_CONTENT_KIND_EDIT:
      return "edit";
    case SOTTO_CONTENT_KIND_DELETION:
    default:
      return "deletion";
    }
}

/* Sets the sealed @column of message @row_id to @value, or to NULL. */
static gboolean
set_sealed_column (SottoStore  *self,
                   const char  *sql,
                   const char  *column,
                   gint64       row_id,
                   const char  *value,
                   GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = _sotto_store_prepare (self, sql, error);

  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, row_id);
  if (value != NULL
      && !_sotto_store_bind_sealed_string (self, statement, 2, "messages", column, row_id, value, error))
    return FALSE;

  return _sotto_store_step_done (self, statement, error);
}

/**
 * _sotto_store_load_message:
 * @row_id: (out) (optional): its row
 *
 * Runs on the store's thread.
 *
 * Returns: (transfer full): message @message_id of the conversation as
 *   it is now, or %NULL with %SOTTO_STORE_ERROR_NOT_FOUND
 */
SottoMessageRecord *
_sotto_store_load_message (SottoStore  *self,
                           gint64       conversation_id,
                           const char  *message_id,
                           gint64      *row_id,
                           GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  statement = _sotto_store_prepare (self,
                                    "SELECT " SOTTO_STORE_MESSAGE_COLUMNS " FROM messages"
                                    " WHERE conversation_id = ?1 AND uuid = ?2",
                                    error);
  if (statement == NULL)
    return NULL;

  sqlite3_bind_int64 (statement, 1, conversation_id);
  sqlite3_bind_text (statement, 2, message_id, -1, SQLITE_STATIC);
  if (!_sotto_store_step_row (self, statement, error, _("Could not read a message"),
                              _("There is no message %s in this conversation"), message_id))
    return NULL;

  if (row_id != NULL)
    *row_id = sqlite3_column_int64 (statement, 0);

  return _sotto_store_read_message (self, statement, error);
}

/* Runs on the store's thread, inside the transaction that inserts
 * @message as row @row_id: keeps its quote, if it is a reply. */
gboolean
_sotto_store_save_quote (SottoStore                *self,
                         gint64                     row_id,
                         const SottoMessageRecord  *message,
                         GError                   **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  if (message->quote_id == NULL)
    return TRUE;

  statement = _sotto_store_prepare (self,
                                    "UPDATE messages SET quote_uuid = ?2, quote_author = ?3, quote_text = ?4"
                                    " WHERE id = ?1",
                                    error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, row_id);
  sqlite3_bind_text (statement, 2, message->quote_id, -1, SQLITE_STATIC);
  if ((message->quote_author != NULL
       && !_sotto_store_bind_sealed_string (self, statement, 3, "messages", "quote_author", row_id,
                                            message->quote_author, error))
      || (message->quote_text != NULL
          && !_sotto_store_bind_sealed_string (self, statement, 4, "messages", "quote_text", row_id,
                                               message->quote_text, error)))
    return FALSE;

  return _sotto_store_step_done (self, statement, error);
}

/* Reads flags, quote_uuid, quote_author, quote_text, my_reaction and
 * their_reaction, in that order from @first_column, into @message. */
gboolean
_sotto_store_read_message_extras (SottoStore           *self,
                                  SottoStoreStatement  *statement,
                                  int                   first_column,
                                  gint64                row_id,
                                  SottoMessageRecord   *message,
                                  GError              **error)
{
  gint64 flags = sqlite3_column_int64 (statement, first_column);
  const char *quote_id = (const char *) sqlite3_column_text (statement, first_column + 1);

  message->edited = (flags & FLAG_EDITED) != 0;
  message->deleted = (flags & FLAG_DELETED) != 0;
  message->quote_id = g_strdup (quote_id);

  return _sotto_store_column_unseal_string (self, statement, first_column + 2, "messages", "quote_author",
                                            row_id, &message->quote_author, error)
         && _sotto_store_column_unseal_string (self, statement, first_column + 3, "messages", "quote_text",
                                               row_id, &message->quote_text, error)
         && _sotto_store_column_unseal_string (self, statement, first_column + 4, "messages", "my_reaction",
                                               row_id, &message->my_reaction, error)
         && _sotto_store_column_unseal_string (self, statement, first_column + 5, "messages", "their_reaction",
                                               row_id, &message->their_reaction, error);
}

/* Runs on the store's thread: the quote of the queued message @row_id,
 * for the outbox to send with it. */
gboolean
_sotto_store_load_outbox_quote (SottoStore       *self,
                                gint64            row_id,
                                SottoOutboxItem  *item,
                                GError          **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  statement = _sotto_store_select_by_id (self,
                                         "SELECT quote_uuid, quote_author, quote_text FROM messages WHERE id = ?1",
                                         row_id, _("Could not read a message"), _("No such message"), error);
  if (statement == NULL)
    return FALSE;

  if (sqlite3_column_type (statement, 0) == SQLITE_NULL)
    return TRUE;

  item->quote_id = g_strdup ((const char *) sqlite3_column_text (statement, 0));

  return _sotto_store_column_unseal_string (self, statement, 1, "messages", "quote_author", row_id,
                                            &item->quote_author, error)
         && _sotto_store_column_unseal_string (self, statement, 2, "messages", "quote_text", row_id,
                                               &item->quote_text, error);
}

/* Keeps @content, an action from the contact of @conversation_id whose
 * target is not here yet, until the target arrives. */
static gboolean
keep_pending (SottoStore          *self,
              gint64               conversation_id,
              const SottoContent  *content,
              GError             **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GBytes) encoded = NULL;
  gint64 n_pending;
  gint64 id;
  gsize len;
  const guint8 *data;

  statement = _sotto_store_select_by_id (self, "SELECT COUNT(*) FROM pending_actions WHERE conversation_id = ?1",
                                         conversation_id, _("Could not read a message"), "", error);
  if (statement == NULL)
    return FALSE;
  n_pending = sqlite3_column_int64 (statement, 0);
  g_clear_pointer (&statement, _sotto_store_statement_release);

  /* A sender cannot fill the profile with actions on messages that never
   * come: past the bound, the oldest waiting one goes. */
  if (n_pending >= SOTTO_STORE_MAX_PENDING_ACTIONS
      && !_sotto_store_exec_int64 (self,
                                   "DELETE FROM pending_actions WHERE id ="
                                   " (SELECT MIN(id) FROM pending_actions WHERE conversation_id = ?1)",
                                   conversation_id, error))
    return FALSE;

  if (!_sotto_store_next_id (self, "SELECT IFNULL(MAX(id), 0) + 1 FROM pending_actions", &id, error))
    return FALSE;

  statement = _sotto_store_prepare (self,
                                    "INSERT INTO pending_actions (id, conversation_id, target_uuid, content)"
                                    " VALUES (?1, ?2, ?3, ?4)",
                                    error);
  if (statement == NULL)
    return FALSE;

  encoded = sotto_content_encode (content);
  data = g_bytes_get_data (encoded, &len);
  sqlite3_bind_int64 (statement, 1, id);
  sqlite3_bind_int64 (statement, 2, conversation_id);
  sqlite3_bind_text (statement, 3, content->target_id, -1, SQLITE_STATIC);
  if (!_sotto_store_bind_sealed (self, statement, 4, "pending_actions", "content", id, data, len, error))
    return FALSE;

  return _sotto_store_step_done (self, statement, error);
}

/* Whether message @row_id has as many earlier versions as are kept. */
static gboolean
edits_full (SottoStore  *self,
            gint64       row_id,
            gboolean    *full,
            GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  statement = _sotto_store_select_by_id (self, "SELECT COUNT(*) FROM message_edits WHERE message_id = ?1",
                                         row_id, _("Could not read a message"), "", error);
  if (statement == NULL)
    return FALSE;

  *full = sqlite3_column_int64 (statement, 0) >= SOTTO_STORE_MAX_EDITS;

  return TRUE;
}

static gboolean
apply_edit (SottoStore          *self,
            gint64               row_id,
            const SottoContent  *content,
            GError             **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autofree char *old_text = NULL;
  gint64 edit_id;

  statement = _sotto_store_select_by_id (self, "SELECT body FROM messages WHERE id = ?1", row_id,
                                         _("Could not read a message"), _("No such message"), error);
  if (statement == NULL
      || !_sotto_store_column_unseal_string (self, statement, 0, "messages", "body", row_id, &old_text, error))
    return FALSE;
  g_clear_pointer (&statement, _sotto_store_statement_release);

  if (!_sotto_store_next_id (self, "SELECT IFNULL(MAX(id), 0) + 1 FROM message_edits", &edit_id, error))
    return FALSE;

  statement = _sotto_store_prepare (self,
                                    "INSERT INTO message_edits (id, message_id, replaced_at, text)"
                                    " VALUES (?1, ?2, ?3, ?4)",
                                    error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_int64 (statement, 1, edit_id);
  sqlite3_bind_int64 (statement, 2, row_id);
  sqlite3_bind_int64 (statement, 3, content->timestamp);
  if (!_sotto_store_bind_sealed_string (self, statement, 4, "message_edits", "text", edit_id,
                                        old_text != NULL ? old_text : "", error)
      || !_sotto_store_step_done (self, statement, error))
    return FALSE;

  return set_sealed_column (self, "UPDATE messages SET body = ?2, flags = flags | 1 WHERE id = ?1",
                            "body", row_id, content->text, error);
}

static gboolean
apply_deletion (SottoStore  *self,
                gint64       conversation_id,
                gint64       row_id,
                const char  *target_id,
                GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  if (!_sotto_store_exec_int64 (self,
                                "UPDATE messages SET body = NULL, flags = (flags & ~1) | 2,"
                                " quote_uuid = NULL, quote_author = NULL, quote_text = NULL,"
                                " my_reaction = NULL, their_reaction = NULL WHERE id = ?1",
                                row_id, error)
      || !_sotto_store_exec_int64 (self, "DELETE FROM message_edits WHERE message_id = ?1", row_id, error)
      /* Its files' keys go with it; their blobs are swept from the
       * profile (sotto-attachment-service.c). */
      || !_sotto_store_exec_int64 (self, "DELETE FROM attachments WHERE message_id = ?1", row_id, error))
    return FALSE;

  /* Replies keep pointing at it, without its words. */
  statement = _sotto_store_prepare (self,
                                    "UPDATE messages SET quote_text = NULL"
                                    " WHERE conversation_id = ?1 AND quote_uuid = ?2",
                                    error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_int64 (statement, 1, conversation_id);
  sqlite3_bind_text (statement, 2, target_id, -1, SQLITE_STATIC);
  if (!_sotto_store_step_done (self, statement, error))
    return FALSE;

  self->wipe_journal = TRUE;

  return TRUE;
}

/**
 * _sotto_store_apply_action:
 * @conversation_id: the conversation the action came in (or, from
 *   this device, was sent to)
 * @from_self: whether this account sent it
 * @content: a reaction, an edit or a deletion
 * @result: (out): what became of it
 *
 * Runs on the store's thread, inside the caller's transaction.  Returns
 * %FALSE only when the database failed.
 */
gboolean
_sotto_store_apply_action (SottoStore              *self,
                           gint64                   conversation_id,
                           gboolean                 from_self,
                           const SottoContent      *content,
                           SottoStoreActionResult  *result,
                           GError                 **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  gint64 row_id;
  gint64 target_conversation;
  SottoMessageDirection direction;
  SottoMessageKind kind;
  gint64 sent_at;
  gint64 flags;
  gboolean full = FALSE;
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (content != NULL && content->target_id != NULL, FALSE);

  /* The target in the sender's conversation if it is there, or anywhere
   * else: message ids are unique per conversation only. */
  statement = _sotto_store_prepare (self,
                                    "SELECT id, conversation_id, direction, kind, sent_at, flags FROM messages"
                                    " WHERE uuid = ?2 ORDER BY conversation_id = ?1 DESC LIMIT 1",
                                    error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_int64 (statement, 1, conversation_id);
  sqlite3_bind_text (statement, 2, content->target_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (statement);
  if (rc == SQLITE_DONE)
    {
      *result = SOTTO_STORE_ACTION_PENDING;
      /* This device acts only on messages it has. */
      if (from_self)
        {
          g_set_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_FOUND,
                       _("No message %s"), content->target_id);
          return FALSE;
        }
      g_clear_pointer (&statement, _sotto_store_statement_release);
      return keep_pending (self, conversation_id, content, error);
    }
  if (rc != SQLITE_ROW)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read a message"), error);
      return FALSE;
    }

  row_id = sqlite3_column_int64 (statement, 0);
  target_conversation = sqlite3_column_int64 (statement, 1);
  direction = sqlite3_column_int (statement, 2);
  kind = sqlite3_column_int (statement, 3);
  sent_at = sqlite3_column_int64 (statement, 4);
  flags = sqlite3_column_int64 (statement, 5);
  g_clear_pointer (&statement, _sotto_store_statement_release);

  /* Only the two people of a conversation react to its messages, and
   * only a message's author edits or deletes it. */
  if (target_conversation != conversation_id
      || (content->kind != SOTTO_CONTENT_KIND_REACTION
          && direction != (from_self ? SOTTO_MESSAGE_DIRECTION_OUTGOING : SOTTO_MESSAGE_DIRECTION_INCOMING)))
    {
      g_message ("Dropped a forged %s from conversation %" G_GINT64_FORMAT " naming message %s",
                 action_name (content->kind), conversation_id, content->target_id);
      *result = SOTTO_STORE_ACTION_FORGED;
      return TRUE;
    }

  /* A contact cannot grow the store without end by editing one
   * message again and again. */
  if (content->kind == SOTTO_CONTENT_KIND_EDIT && !edits_full (self, row_id, &full, error))
    return FALSE;

  if (kind != SOTTO_MESSAGE_KIND_TEXT || (flags & FLAG_DELETED) != 0 || full
      || (content->kind != SOTTO_CONTENT_KIND_REACTION
          && content->timestamp - sent_at > SOTTO_STORE_ACTION_WINDOW_MS))
    {
      g_debug ("Dropped a %s of message %s: too late, or the message cannot change",
               action_name (content->kind), content->target_id);
      *result = SOTTO_STORE_ACTION_REFUSED;
      return TRUE;
    }

  *result = SOTTO_STORE_ACTION_APPLIED;

  switch (content->kind)
    {
    case SOTTO_CONTENT_KIND_REACTION:
      if (from_self)
        return set_sealed_column (self, "UPDATE messages SET my_reaction = ?2 WHERE id = ?1",
                                  "my_reaction", row_id, content->emoji, error);
      return set_sealed_column (self, "UPDATE messages SET their_reaction = ?2 WHERE id = ?1",
                                "their_reaction", row_id, content->emoji, error);

    case SOTTO_CONTENT_KIND_EDIT:
      return apply_edit (self, row_id, content, error);

    case SOTTO_CONTENT_KIND_DELETION:
    default:
      return apply_deletion (self, conversation_id, row_id, content->target_id, error);
    }
}

/**
 * _sotto_store_apply_pending:
 * @conversation_id: the conversation message @message_id just arrived in
 *
 * Runs on the store's thread, inside the transaction that stored the
 * message: applies the actions that waited for it, and drops those that
 * came from another conversation as forged.  Adds those that changed
 * it to @applied, which takes them.
 */
gboolean
_sotto_store_apply_pending (SottoStore  *self,
                            gint64       conversation_id,
                            const char  *message_id,
                            GPtrArray   *applied,
                            GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GPtrArray) waiting = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_content_free);
  g_autoptr(GArray) origins = g_array_new (FALSE, FALSE, sizeof (gint64));
  int rc;

  statement = _sotto_store_prepare (self,
                                    "SELECT id, conversation_id, content FROM pending_actions"
                                    " WHERE target_uuid = ?1 ORDER BY id",
                                    error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_text (statement, 1, message_id, -1, SQLITE_STATIC);

  while ((rc = sqlite3_step (statement)) == SQLITE_ROW)
    {
      g_autoptr(GBytes) encoded = NULL;
      g_autoptr(GError) decode_error = NULL;
      SottoContent *content;
      gint64 origin = sqlite3_column_int64 (statement, 1);
      gsize len;
      const guint8 *data;

      if (!_sotto_store_column_unseal_bytes (self, statement, 2, "pending_actions", "content",
                                             sqlite3_column_int64 (statement, 0), &encoded, error))
        return FALSE;

      data = g_bytes_get_data (encoded, &len);
      content = sotto_content_decode (data, len, &decode_error);
      if (content == NULL || content->target_id == NULL)
        {
          g_clear_pointer (&content, sotto_content_free);
          continue;
        }

      g_ptr_array_add (waiting, content);
      g_array_append_val (origins, origin);
    }
  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read a message"), error);
      return FALSE;
    }
  g_clear_pointer (&statement, _sotto_store_statement_release);

  if (waiting->len == 0)
    return TRUE;

  statement = _sotto_store_prepare (self, "DELETE FROM pending_actions WHERE target_uuid = ?1", error);
  if (statement == NULL)
    return FALSE;
  sqlite3_bind_text (statement, 1, message_id, -1, SQLITE_STATIC);
  if (!_sotto_store_step_done (self, statement, error))
    return FALSE;

  for (guint i = 0; i < waiting->len; i++)
    {
      SottoStoreActionResult result;

      if (!_sotto_store_apply_action (self, g_array_index (origins, gint64, i), FALSE,
                                      g_ptr_array_index (waiting, i), &result, error))
        return FALSE;
      if (result == SOTTO_STORE_ACTION_APPLIED)
        {
          g_ptr_array_add (applied, g_ptr_array_index (waiting, i));
          g_ptr_array_index (waiting, i) = NULL;
        }
    }

  return TRUE;
}

/**
 * _sotto_store_load_edits:
 *
 * Runs on the store's thread.
 *
 * Returns: (transfer full): the texts message @message_id had before
 *   its edits, oldest first
 */
GPtrArray *
_sotto_store_load_edits (SottoStore  *self,
                         gint64       conversation_id,
                         const char  *message_id,
                         GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  int rc;

  statement = _sotto_store_prepare (self,
                                    "SELECT e.id, e.text FROM message_edits e JOIN messages m ON m.id = e.message_id"
                                    " WHERE m.conversation_id = ?1 AND m.uuid = ?2 ORDER BY e.replaced_at, e.id",
                                    error);
  if (statement == NULL)
    return NULL;
  sqlite3_bind_int64 (statement, 1, conversation_id);
  sqlite3_bind_text (statement, 2, message_id, -1, SQLITE_STATIC);

  while ((rc = sqlite3_step (statement)) == SQLITE_ROW)
    {
      char *text = NULL;

      if (!_sotto_store_column_unseal_string (self, statement, 1, "message_edits", "text",
                                              sqlite3_column_int64 (statement, 0), &text, error))
        return NULL;
      g_ptr_array_add (texts, text);
    }
  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read a message"), error);
      return NULL;
    }

  return g_steal_pointer (&texts);
}

/* After a commit: a deletion for everyone empties the write-ahead log,
 * whose frames still hold the pages as they were before it. */
void
_sotto_store_wipe_journal (SottoStore *self)
{
  int rc;

  if (!self->wipe_journal)
    return;

  self->wipe_journal = FALSE;
  rc = sqlite3_exec (self->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    g_debug ("Could not empty the write-ahead log: %s", sqlite3_errstr (rc));
}
