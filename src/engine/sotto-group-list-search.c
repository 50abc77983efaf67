/* sotto-group-list-search.c: the messages of every group found by their text
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group"

#include "config.h"

#include "sotto-conversation-list.h"
#include "sotto-group-list-internal-private.h"
#include "sotto-message-match-private.h"
#include "sotto-store-groups-private.h"

/* A group's messages are searched as a conversation's are
 * (sotto-store-search.c): sealed whole in its timeline, they are
 * unsealed a batch at a time on the store's thread, and only those of
 * the groups in the list, whose rows are found first by the keyed
 * hashes of their ids, are read at all. */

typedef struct
{
  char *query;
  GPtrArray *group_ids;  /* of char *, the list's groups */
  GHashTable *rows;      /* gint64 row → its group's id */
} GroupSearch;

static void
group_search_free (GroupSearch *search)
{
  g_free (search->query);
  g_ptr_array_unref (search->group_ids);
  g_hash_table_unref (search->rows);
  g_free (search);
}

static void
find_rows_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  SottoGroupList *self = source_object;
  GroupSearch *search = task_data;
  GError *error = NULL;

  for (guint i = 0; i < search->group_ids->len; i++)
    {
      const char *id = g_ptr_array_index (search->group_ids, i);
      gint64 row;

      if (!_sotto_store_find_group_row (_sotto_group_list_get_store (self), id, &row, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      if (row != 0)
        g_hash_table_insert (search->rows, g_memdup2 (&row, sizeof row), g_strdup (id));
    }

  g_task_return_boolean (task, TRUE);
}

static void
searched_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoGroupList *self = g_task_get_source_object (task);
  GroupSearch *search = g_task_get_task_data (task);
  g_autoptr(GListStore) matches = g_list_store_new (SOTTO_TYPE_MESSAGE_MATCH);
  g_autoptr(GPtrArray) found = NULL;
  GError *error = NULL;

  found = _sotto_store_search_finish (result, &error);
  if (found == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; i < found->len; i++)
    {
      SottoStoreMatch *match = g_ptr_array_index (found, i);
      SottoGroup *group = sotto_group_list_find (self, g_hash_table_lookup (search->rows, &match->conversation_id));
      g_autoptr(SottoMessageMatch) item = NULL;

      /* Gone from the list while the search ran. */
      if (group == NULL)
        continue;

      item = _sotto_message_match_new_in_group (group, match->position, match->sent_at,
                                                g_steal_pointer (&match->text), match->event_id,
                                                match->author, match->author_name);
      g_list_store_append (matches, item);
    }

  g_task_return_pointer (task, g_steal_pointer (&matches), g_object_unref);
}

static void
rows_found_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoGroupList *self = g_task_get_source_object (task);
  GroupSearch *search = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (!_sotto_task_propagate_step (task, result)
      || g_task_return_error_if_cancelled (task))
    return;

  if (g_hash_table_size (search->rows) == 0)
    {
      g_task_return_pointer (task, g_list_store_new (SOTTO_TYPE_MESSAGE_MATCH), g_object_unref);
      return;
    }

  _sotto_store_search_async (_sotto_group_list_get_store (self), self, SOTTO_STORE_SEARCH_GROUP_EVENTS, search->query,
                             g_hash_table_ref (search->rows), SOTTO_CONVERSATION_LIST_MAX_MATCHES,
                             cancellable, searched_cb, g_steal_pointer (&task));
}

/**
 * sotto_group_list_search_async:
 * @self: a #SottoGroupList
 * @query: what the text of a message must hold, in any case
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the search is done
 * @user_data: data for @callback
 *
 * Looks through the text of every message of every group in the list,
 * newest first, for @query, up to %SOTTO_CONVERSATION_LIST_MAX_MATCHES
 * matches, as sotto_conversation_list_search_async() does through the
 * conversations: a batch at a time on the store's thread, stopping
 * between two batches when @cancellable is cancelled.
 */
void
sotto_group_list_search_async (SottoGroupList      *self,
                               const char          *query,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GroupSearch *search;
  guint n;

  g_return_if_fail (SOTTO_IS_GROUP_LIST (self));
  g_return_if_fail (query != NULL && query[0] != '\0');
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  search = g_new0 (GroupSearch, 1);
  search->query = g_strdup (query);
  search->group_ids = g_ptr_array_new_with_free_func (g_free);
  search->rows = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  n = g_list_model_get_n_items (G_LIST_MODEL (self));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SottoGroup) group = g_list_model_get_item (G_LIST_MODEL (self), i);

      g_ptr_array_add (search->group_ids, g_strdup (sotto_group_get_id (group)));
    }

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_group_list_search_async);
  g_task_set_task_data (task, search, (GDestroyNotify) group_search_free);

  _sotto_task_run_step (task, _sotto_group_list_get_store (self), find_rows_thread, rows_found_cb);
}

/**
 * sotto_group_list_search_finish:
 * @self: a #SottoGroupList
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): a #GListModel of #SottoMessageMatch, each
 *   with its group, author and message id, the newest message first, or
 *   %NULL with @error set
 */
GListModel *
sotto_group_list_search_finish (SottoGroupList  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  return _sotto_task_propagate_pointer (self, result, sotto_group_list_search_async, error);
}
