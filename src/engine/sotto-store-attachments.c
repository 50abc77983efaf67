/* sotto-store-attachments.c: attachment records, sealed like message bodies
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-attachment-private.h"
#include "sotto-store-attachments-private.h"
#include "sotto-store-private.h"

/* Table attachments (schema 10): one row per file of a message, in the
 * message's order.  The pointer (name, type, size, key, digest, the
 * relay's blob id, the thumbnail), the path of the encrypted blob in the
 * profile, the path of a file still being sent and, from schema 19, why
 * a failed one failed are sealed, bound to their row; only the state and
 * the bytes moved are plain, for the outbox to tell which messages may
 * go. */

#define COLUMNS "id, position, state, transferred, pointer, file, source, error"

static gboolean
bind_record (SottoStore                   *self,
             SottoStoreStatement          *statement,
             const SottoAttachmentRecord  *record,
             GError                      **error)
{
  g_autoptr(GBytes) pointer = _sotto_attachment_pointer_encode_stored (record->pointer);
  gboolean ok;

  sqlite3_bind_int (statement, 3, record->state == SOTTO_ATTACHMENT_STATE_DOWNLOADING
                                  ? SOTTO_ATTACHMENT_STATE_AVAILABLE : record->state);
  sqlite3_bind_int64 (statement, 4, (gint64) record->transferred);
  ok = _sotto_store_bind_sealed (self, statement, 5, "attachments", "pointer", record->row_id,
                                 g_bytes_get_data (pointer, NULL), g_bytes_get_size (pointer), error)
       && (record->file == NULL
           || _sotto_store_bind_sealed_string (self, statement, 6, "attachments", "file", record->row_id,
                                               record->file, error))
       && (record->source == NULL
           || _sotto_store_bind_sealed_string (self, statement, 7, "attachments", "source", record->row_id,
                                               record->source, error))
       && (record->state != SOTTO_ATTACHMENT_STATE_FAILED || record->error == NULL
           || _sotto_store_bind_sealed_string (self, statement, 8, "attachments", "error", record->row_id,
                                               record->error, error));

  return ok;
}

/* Runs on the store's thread, inside the transaction that inserts
 * @message as row @message_row_id: keeps its attachments and gives each
 * its row. */
gboolean
_sotto_store_save_attachments (SottoStore          *self,
                               gint64               message_row_id,
                               SottoMessageRecord  *message,
                               GError             **error)
{
  g_autoptr(SottoStoreStatement) insert = NULL;
  gint64 id;

  if (message->attachments == NULL)
    return TRUE;

  if (!_sotto_store_next_id (self, "SELECT IFNULL(MAX(id), 0) + 1 FROM attachments", &id, error))
    return FALSE;

  insert = _sotto_store_prepare (self,
                                 "INSERT INTO attachments"
                                 " (id, message_id, position, state, transferred, pointer, file, source, error)"
                                 " VALUES (?1, ?9, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                                 error);
  if (insert == NULL)
    return FALSE;

  for (guint i = 0; i < message->attachments->len; i++, id++)
    {
      SottoAttachmentRecord *record = g_ptr_array_index (message->attachments, i);

      record->row_id = id;
      record->store_serial = self->serial;
      record->index = i;
      sqlite3_bind_int64 (insert, 1, id);
      sqlite3_bind_int (insert, 2, i);
      sqlite3_bind_int64 (insert, 9, message_row_id);
      if (!bind_record (self, insert, record, error) || !_sotto_store_step_done (self, insert, error))
        return FALSE;
      sqlite3_reset (insert);
      sqlite3_clear_bindings (insert);
    }

  return TRUE;
}

static SottoAttachmentRecord *
read_record (SottoStore           *self,
             SottoStoreStatement  *statement,
             GError              **error)
{
  g_autoptr(SottoAttachmentRecord) record = g_new0 (SottoAttachmentRecord, 1);
  g_autoptr(GBytes) pointer = NULL;
  gint64 position = sqlite3_column_int64 (statement, 1);
  gint64 state = sqlite3_column_int64 (statement, 2);
  gint64 transferred = sqlite3_column_int64 (statement, 3);

  record->row_id = sqlite3_column_int64 (statement, 0);
  record->store_serial = self->serial;
  if (position < 0 || position >= SOTTO_CONTENT_MAX_ATTACHMENTS
      || state < SOTTO_ATTACHMENT_STATE_UPLOADING || state > SOTTO_ATTACHMENT_STATE_FAILED
      || transferred < 0
      || !_sotto_store_column_unseal_bytes (self, statement, 4, "attachments", "pointer", record->row_id,
                                            &pointer, error)
      || !_sotto_store_column_unseal_string (self, statement, 5, "attachments", "file", record->row_id,
                                             &record->file, error)
      || !_sotto_store_column_unseal_string (self, statement, 6, "attachments", "source", record->row_id,
                                             &record->source, error)
      || !_sotto_store_column_unseal_string (self, statement, 7, "attachments", "error", record->row_id,
                                             &record->error, error))
    goto corrupt;

  if (pointer == NULL
      || (record->pointer = _sotto_attachment_pointer_decode_stored (g_bytes_get_data (pointer, NULL),
                                                                     g_bytes_get_size (pointer), NULL)) == NULL)
    goto corrupt;

  record->index = position;
  record->state = state;
  record->transferred = transferred;

  return g_steal_pointer (&record);

corrupt:
  if (error != NULL && *error == NULL)
    g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT,
                         _("A stored attachment is damaged"));
  return NULL;
}

/* Runs on the store's thread: the attachments of message @message_row_id,
 * in its order, or %NULL in *@attachments when it has none. */
gboolean
_sotto_store_load_attachments (SottoStore   *self,
                               gint64        message_row_id,
                               GPtrArray   **attachments,
                               GError      **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GPtrArray) records = NULL;
  int rc;

  statement = _sotto_store_prepare (self,
                                    "SELECT " COLUMNS " FROM attachments WHERE message_id = ?1 ORDER BY position",
                                    error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, message_row_id);
  while ((rc = sqlite3_step (statement)) == SQLITE_ROW)
    {
      SottoAttachmentRecord *record = read_record (self, statement, error);

      if (record == NULL)
        return FALSE;
      if (records == NULL)
        records = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_attachment_record_free);
      g_ptr_array_add (records, record);
    }

  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read an attachment"), error);
      return FALSE;
    }

  *attachments = g_steal_pointer (&records);
  return TRUE;
}

/* Runs on the store's thread: the pointers of the queued message
 * @row_id, which the outbox reads only once every one was sent. */
gboolean
_sotto_store_load_outbox_attachments (SottoStore       *self,
                                      gint64            row_id,
                                      SottoOutboxItem  *item,
                                      GError          **error)
{
  g_autoptr(GPtrArray) records = NULL;

  if (!_sotto_store_load_attachments (self, row_id, &records, error))
    return FALSE;
  if (records == NULL)
    return TRUE;

  item->attachments = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_attachment_pointer_free);
  for (guint i = 0; i < records->len; i++)
    {
      SottoAttachmentRecord *record = g_ptr_array_index (records, i);

      g_ptr_array_add (item->attachments, sotto_attachment_pointer_copy (record->pointer));
    }

  return TRUE;
}

/* Writes what changed of @record: its state, progress, pointer, files,
 * and why it failed. */
gboolean
_sotto_store_update_attachment (SottoStore                   *self,
                                const SottoAttachmentRecord  *record,
                                GError                      **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  statement = _sotto_store_prepare (self,
                                    "UPDATE attachments SET state = ?3, transferred = ?4, pointer = ?5,"
                                    " file = ?6, source = ?7, error = ?8 WHERE id = ?1 AND position = ?2",
                                    error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, record->row_id);
  sqlite3_bind_int (statement, 2, record->index);

  return bind_record (self, statement, record, error)
         && _sotto_store_step_done (self, statement, error);
}

void
_sotto_store_attachment_free (SottoStoreAttachment *attachment)
{
  if (attachment == NULL)
    return;

  g_free (attachment->message_id);
  g_clear_pointer (&attachment->record, _sotto_attachment_record_free);
  g_free (attachment);
}

/* The outgoing attachments whose upload has not finished, oldest first:
 * they are resumed when the messenger starts. */
GPtrArray *
_sotto_store_list_unsent_attachments (SottoStore  *self,
                                      GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_store_attachment_free);
  int rc;

  statement = _sotto_store_prepare (self,
                                    "SELECT a.id, a.position, a.state, a.transferred, a.pointer, a.file, a.source,"
                                    " a.error, m.conversation_id, m.uuid"
                                    " FROM attachments a JOIN messages m ON m.id = a.message_id"
                                    " WHERE a.state = 0 AND m.direction = 1 AND m.state = 0"
                                    " ORDER BY a.id",
                                    error);
  if (statement == NULL)
    return NULL;

  while ((rc = sqlite3_step (statement)) == SQLITE_ROW)
    {
      g_autoptr(SottoStoreAttachment) attachment = g_new0 (SottoStoreAttachment, 1);

      attachment->record = read_record (self, statement, error);
      if (attachment->record == NULL)
        return NULL;
      attachment->conversation_id = sqlite3_column_int64 (statement, 8);
      attachment->message_id = g_strdup ((const char *) sqlite3_column_text (statement, 9));
      g_ptr_array_add (list, g_steal_pointer (&attachment));
    }

  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read the attachments"), error);
      return NULL;
    }

  return g_steal_pointer (&list);
}

/* The blobs in the profile that attachments refer to, by path: the
 * others belonged to messages deleted or expired since. */
GHashTable *
_sotto_store_list_attachment_files (SottoStore  *self,
                                    GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GHashTable) files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  int rc;

  statement = _sotto_store_prepare (self, "SELECT id, file FROM attachments WHERE file IS NOT NULL", error);
  if (statement == NULL)
    return NULL;

  while ((rc = sqlite3_step (statement)) == SQLITE_ROW)
    {
      char *file = NULL;

      if (!_sotto_store_column_unseal_string (self, statement, 1, "attachments", "file",
                                              sqlite3_column_int64 (statement, 0), &file, error))
        return NULL;
      g_hash_table_add (files, file);
    }

  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read the attachments"), error);
      return NULL;
    }

  return g_steal_pointer (&files);
}
