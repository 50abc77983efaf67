/* sotto-store-requests.c: message requests and blocked contacts
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "sotto-store-private.h"

/* Runs on the store's thread.  Records whether the contact is accepted,
 * a message request or blocked. */
gboolean
_sotto_store_set_standing (SottoStore            *self,
                           gint64                 contact_id,
                           SottoContactStanding   standing,
                           GError               **error)
{
  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  return _sotto_store_exec_int64_pair (self, "UPDATE contacts SET standing = ?2 WHERE id = ?1",
                                       contact_id, standing, error);
}

/* Runs on the store's thread.  Sets @accepted to whether the account
 * @uuid is a contact the user accepted: one with no contact, a message
 * request and a blocked contact are not. */
gboolean
_sotto_store_is_accepted (SottoStore  *self,
                          const char  *uuid,
                          gboolean    *accepted,
                          GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autofree char *normal_uuid = NULL;
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (uuid != NULL && accepted != NULL, FALSE);

  normal_uuid = g_ascii_strdown (uuid, -1);
  statement = _sotto_store_prepare (self, "SELECT standing FROM contacts WHERE uuid_hash = ?1", error);
  if (statement == NULL)
    return FALSE;

  _sotto_store_bind_lookup_hash (self, statement, 1, "contacts", "uuid", normal_uuid, strlen (normal_uuid));
  rc = sqlite3_step (statement);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, "Could not read a contact", error);
      return FALSE;
    }

  *accepted = rc == SQLITE_ROW && sqlite3_column_int (statement, 0) == SOTTO_CONTACT_STANDING_ACCEPTED;
  return TRUE;
}

/* Runs on the store's thread.  Removes the contact with its conversation,
 * messages and draft, as if they had never written. */
gboolean
_sotto_store_delete_contact (SottoStore  *self,
                             gint64       contact_id,
                             GError     **error)
{
  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  return _sotto_store_exec_int64 (self, "DELETE FROM contacts WHERE id = ?1", contact_id, error);
}

/* Runs on the store's thread.  Collects the ids of the newest @max_ids
 * incoming messages of a conversation, or with @since_key_change only of
 * those after its last "safety number changed" event: all of them in
 * @delivered, and those the user has read in @read, oldest first, for
 * the receipts that were held back (by a message request, or by a
 * changed safety number) and can go now. */
gboolean
_sotto_store_list_incoming (SottoStore  *self,
                            gint64       conversation_id,
                            gboolean     since_key_change,
                            guint        max_ids,
                            GPtrArray  **delivered,
                            GPtrArray  **read,
                            GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GPtrArray) delivered_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) read_ids = g_ptr_array_new_with_free_func (g_free);
  gint64 after = -1;
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (delivered != NULL && read != NULL, FALSE);

  statement = _sotto_store_prepare (self,
                                    "SELECT uuid, state FROM ("
                                    "  SELECT uuid, state, position FROM messages"
                                    "  WHERE conversation_id = ?1 AND direction = 0 AND kind = 0"
                                    "    AND position > ?3"
                                    "  ORDER BY position DESC LIMIT ?2"
                                    ") ORDER BY position",
                                    error);
  if (statement == NULL)
    return FALSE;

  if (since_key_change)
    {
      g_autoptr(SottoStoreStatement) event = NULL;

      event = _sotto_store_prepare (self,
                                    "SELECT IFNULL(MAX(position), -1) FROM messages"
                                    " WHERE conversation_id = ?1 AND kind = 1",
                                    error);
      if (event == NULL)
        return FALSE;

      sqlite3_bind_int64 (event, 1, conversation_id);
      if (sqlite3_step (event) != SQLITE_ROW)
        {
          _sotto_store_set_sqlite_error (self, sqlite3_errcode (self->db), "Could not read messages", error);
          return FALSE;
        }
      after = sqlite3_column_int64 (event, 0);
    }

  sqlite3_bind_int64 (statement, 1, conversation_id);
  sqlite3_bind_int64 (statement, 2, max_ids);
  sqlite3_bind_int64 (statement, 3, after);

  while ((rc = sqlite3_step (statement)) == SQLITE_ROW)
    {
      const char *id = (const char *) sqlite3_column_text (statement, 0);

      if (id == NULL)
        continue;

      g_ptr_array_add (delivered_ids, g_strdup (id));
      if (sqlite3_column_int (statement, 1) == SOTTO_MESSAGE_STATE_READ)
        g_ptr_array_add (read_ids, g_strdup (id));
    }

  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, "Could not read messages", error);
      return FALSE;
    }

  *delivered = g_steal_pointer (&delivered_ids);
  *read = g_steal_pointer (&read_ids);

  return TRUE;
}
