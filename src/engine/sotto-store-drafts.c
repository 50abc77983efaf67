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

/* Where each kind of draft is kept: the table, whose name the sealed
 * text is bound to, and the statements on it, by the row the draft
 * belongs to. */
typedef struct
{
  const char *table;
  const char *save;
  const char *delete;
  const char *load;
} DraftTable;

static const DraftTable draft_tables[] = {
  [SOTTO_STORE_DRAFT_CONVERSATION] = {
    "drafts",
    "INSERT OR REPLACE INTO drafts (conversation_id, text) VALUES (?1, ?2)",
    "DELETE FROM drafts WHERE conversation_id = ?1",
    "SELECT text FROM drafts WHERE conversation_id = ?1",
  },
  [SOTTO_STORE_DRAFT_GROUP] = {
    "group_drafts",
    "INSERT OR REPLACE INTO group_drafts (group_id, text) VALUES (?1, ?2)",
    "DELETE FROM group_drafts WHERE group_id = ?1",
    "SELECT text FROM group_drafts WHERE group_id = ?1",
  },
};

/* Runs on the store's thread.  An empty @text removes the draft. */
gboolean
_sotto_store_save_draft (SottoStore           *self,
                         SottoStoreDraftKind   kind,
                         gint64                id,
                         const char           *text,
                         GError              **error)
{
  const DraftTable *table = &draft_tables[kind];
  g_autoptr(SottoStoreStatement) statement = NULL;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (kind < G_N_ELEMENTS (draft_tables), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  if (text[0] == '\0')
    return _sotto_store_exec_int64 (self, table->delete, id, error);

  statement = _sotto_store_prepare (self, table->save, error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, id);
  if (!_sotto_store_bind_sealed_string (self, statement, 2, table->table, "text", id, text, error))
    return FALSE;

  return _sotto_store_step_done (self, statement, error);
}

/* Runs on the store's thread.  Sets @text to the draft, or to %NULL when
 * the conversation or group has none. */
gboolean
_sotto_store_load_draft (SottoStore           *self,
                         SottoStoreDraftKind   kind,
                         gint64                id,
                         char                **text,
                         GError              **error)
{
  const DraftTable *table = &draft_tables[kind];
  g_autoptr(SottoStoreStatement) statement = NULL;
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (kind < G_N_ELEMENTS (draft_tables), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  *text = NULL;

  statement = _sotto_store_prepare (self, table->load, error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, id);
  rc = sqlite3_step (statement);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read a draft"), error);
      return FALSE;
    }

  return _sotto_store_column_unseal_string (self, statement, 0, table->table, "text", id, text, error);
}
