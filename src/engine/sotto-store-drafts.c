/* sotto-store-drafts.c: what the user started writing, kept sealed
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <glib/gi18n.h>
#include <sqlite3.h>

#include "sotto-store-private.h"

/* Runs on the store's thread.  An empty @text removes the draft. */
gboolean
_sotto_store_save_draft (SottoStore  *self,
                         gint64       conversation_id,
                         const char  *text,
                         GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  if (text[0] == '\0')
    return _sotto_store_exec_int64 (self, "DELETE FROM drafts WHERE conversation_id = ?1",
                                    conversation_id, error);

  statement = _sotto_store_prepare (self,
                                    "INSERT OR REPLACE INTO drafts (conversation_id, text) VALUES (?1, ?2)",
                                    error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, conversation_id);
  if (!_sotto_store_bind_sealed_string (self, statement, 2, "drafts", "text", conversation_id, text, error))
    return FALSE;

  return _sotto_store_step_done (self, statement, error);
}

/* Runs on the store's thread.  Sets @text to the draft, or to %NULL when
 * the conversation has none. */
gboolean
_sotto_store_load_draft (SottoStore  *self,
                         gint64       conversation_id,
                         char       **text,
                         GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  *text = NULL;

  statement = _sotto_store_prepare (self, "SELECT text FROM drafts WHERE conversation_id = ?1", error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, conversation_id);
  rc = sqlite3_step (statement);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read a draft"), error);
      return FALSE;
    }

  return _sotto_store_column_unseal_string (self, statement, 0, "drafts", "text", conversation_id, text, error);
}
