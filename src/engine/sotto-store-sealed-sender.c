/* sotto-store-sealed-sender.c: the pinned sealed sender trust root
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <glib/gi18n.h>
#include <sqlite3.h>

#include "sp-keys.h"

#include "sotto-store-private.h"

/* The public key that every sender certificate must chain to: one row
 * of sealed_sender_trust, or none for a relay whose root was never
 * given.  It is public, so it is stored as it is.  Messages that went
 * through the relay sealed, either way, have a row in sealed_messages. */

/* Runs on the store's thread.  Sets @trust_root to the pinned key, or
 * to %NULL when none is pinned. */
gboolean
_sotto_store_load_trust_root (SottoStore  *self,
                              GBytes     **trust_root,
                              GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  GError *select_error = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  *trust_root = NULL;

  statement = _sotto_store_select_optional (self, "SELECT trust_root FROM sealed_sender_trust WHERE id = ?1",
                                            1, &select_error);
  if (statement == NULL)
    {
      if (select_error == NULL)
        return TRUE;
      g_propagate_error (error, select_error);
      return FALSE;
    }

  if (sqlite3_column_bytes (statement, 0) != SP_PUBLIC_KEY_SIZE)
    {
      _sotto_store_set_sqlite_error (self, SQLITE_CORRUPT, _("Could not read the sealed sender trust root"), error);
      return FALSE;
    }

  *trust_root = g_bytes_new (sqlite3_column_blob (statement, 0), SP_PUBLIC_KEY_SIZE);
  return TRUE;
}

/* Pins @trust_root, a serialized public key, as @sql says: in place of
 * any root pinned before (REPLACE), or only if there is none (IGNORE). */
static gboolean
insert_trust_root (SottoStore  *self,
                   const char  *sql,
                   GBytes      *trust_root,
                   GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_bytes_get_size (trust_root) == SP_PUBLIC_KEY_SIZE, FALSE);

  statement = _sotto_store_prepare (self, sql, error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_blob (statement, 1, g_bytes_get_data (trust_root, NULL), SP_PUBLIC_KEY_SIZE, SQLITE_TRANSIENT);

  return _sotto_store_step_done (self, statement, error);
}

/* Runs on the store's thread.  Pins @trust_root, a serialized public
 * key, in place of any pinned before. */
gboolean
_sotto_store_save_trust_root (SottoStore  *self,
                              GBytes      *trust_root,
                              GError     **error)
{
  return insert_trust_root (self, "INSERT OR REPLACE INTO sealed_sender_trust (id, trust_root) VALUES (1, ?1)",
                            trust_root, error);
}

/* Runs on the store's thread.  Pins @trust_root only if no root is
 * pinned yet (trust on first use), in one statement, so that a root
 * pinned meanwhile, by the user or another check, is never replaced;
 * sets @pinned to the root pinned afterwards, whichever it is. */
gboolean
_sotto_store_pin_first_trust_root (SottoStore  *self,
                                   GBytes      *trust_root,
                                   GBytes     **pinned,
                                   GError     **error)
{
  return insert_trust_root (self, "INSERT OR IGNORE INTO sealed_sender_trust (id, trust_root) VALUES (1, ?1)",
                            trust_root, error)
         && _sotto_store_load_trust_root (self, pinned, error);
}

/* Runs on the store's thread.  Records that the message @message_id of
 * the conversation went through the relay sealed. */
gboolean
_sotto_store_mark_message_sealed (SottoStore  *self,
                                  gint64       conversation_id,
                                  const char  *message_id,
                                  GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  statement = _sotto_store_prepare (self,
                                    "INSERT OR IGNORE INTO sealed_messages (message_id)"
                                    " SELECT id FROM messages WHERE conversation_id = ?1 AND uuid = ?2",
                                    error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, conversation_id);
  sqlite3_bind_text (statement, 2, message_id, -1, SQLITE_TRANSIENT);

  return _sotto_store_step_done (self, statement, error);
}
