/* sotto-conversation-list-search.c: messages of every conversation found by their text
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-conversation-list"

#include "config.h"

#include "sotto-account.h"
#include "sotto-conversation-list.h"
#include "sotto-conversation-private.h"
#include "sotto-message-match-private.h"
#include "sotto-store-private.h"

/* Messages unsealed per job on the store's thread, some 20-40 ms of
 * work: other jobs, such as the page the timeline waits for, run between
 * two batches, and fewer batches mean fewer trips through the main
 * thread, which a busy machine makes slow. */
#define SEARCH_BATCH_MESSAGES 16384

typedef struct
{
  SottoStore *store;
  char *query_folded;
  GHashTable *conversation_ids;  /* of gint64, the list's conversations */
  gint64 before_id;
  GPtrArray *matches;  /* of SottoStoreMatch */
} Search;

static void
search_free (Search *search)
{
  g_clear_object (&search->store);
  g_clear_pointer (&search->query_folded, g_free);
  g_clear_pointer (&search->conversation_ids, g_hash_table_unref);
  g_clear_pointer (&search->matches, g_ptr_array_unref);
  g_free (search);
}

static void
sotto_conversation_list_search_thread (GTask        *task,
                                       gpointer      source_object,
                                       gpointer      task_data,
                                       GCancellable *cancellable)
{
  Search *search = task_data;
  g_autoptr(GError) error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;

  if (!_sotto_store_search_messages (search->store, search->query_folded, search->conversation_ids,
                                     search->before_id,
                                     SEARCH_BATCH_MESSAGES, search->matches, SOTTO_CONVERSATION_LIST_MAX_MATCHES,
                                     &search->before_id, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static SottoConversation *
sotto_conversation_list_find_by_id (SottoConversationList *self,
                                    gint64                 id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SottoConversation) conversation = g_list_model_get_item (G_LIST_MODEL (self), i);

      if (_sotto_conversation_get_id (conversation) == id)
        return conversation;
    }

  return NULL;
}

static void
sotto_conversation_list_search_cb (GObject      *object,
                                   GAsyncResult *result,
                                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoConversationList *self = g_task_get_source_object (task);
  Search *search = g_task_get_task_data (task);
  g_autoptr(GListStore) matches = NULL;

  if (!_sotto_task_propagate_step (task, result)
      || g_task_return_error_if_cancelled (task))
    return;

  if (search->before_id != 0 && search->matches->len < SOTTO_CONVERSATION_LIST_MAX_MATCHES)
    {
      _sotto_task_run_step (task, search->store,
                            sotto_conversation_list_search_thread, sotto_conversation_list_search_cb);
      return;
    }

  matches = g_list_store_new (SOTTO_TYPE_MESSAGE_MATCH);
  for (guint i = 0; i < search->matches->len; i++)
    {
      SottoStoreMatch *match = g_ptr_array_index (search->matches, i);
      SottoConversation *conversation = sotto_conversation_list_find_by_id (self, match->conversation_id);
      g_autoptr(SottoMessageMatch) item = NULL;

      /* Deleted while the search ran. */
      if (conversation == NULL)
        continue;

      item = _sotto_message_match_new (conversation, match->position, match->sent_at,
                                       g_steal_pointer (&match->text));
      g_list_store_append (matches, item);
    }

  g_task_return_pointer (task, g_steal_pointer (&matches), g_object_unref);
}

/**
 * sotto_conversation_list_search_async:
 * @self: a #SottoConversationList
 * @query: what the text of a message must hold, in any case
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the search is done
 * @user_data: data for @callback
 *
 * Looks through the text of every message of every conversation, newest
 * first, for @query, up to %SOTTO_CONVERSATION_LIST_MAX_MATCHES matches.
 * Message bodies are sealed at rest and no index of their words is
 * written: the search unseals them in memory, a batch at a time on the
 * store's thread, and stops between two batches when @cancellable is
 * cancelled.
 */
void
sotto_conversation_list_search_async (SottoConversationList *self,
                                      const char            *query,
                                      GCancellable          *cancellable,
                                      GAsyncReadyCallback    callback,
                                      gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  Search *search;
  guint n;

  g_return_if_fail (SOTTO_IS_CONVERSATION_LIST (self));
  g_return_if_fail (query != NULL && query[0] != '\0');
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  search = g_new0 (Search, 1);
  search->store = g_object_ref (sotto_account_get_store (sotto_conversation_list_get_account (self)));
  search->query_folded = g_utf8_casefold (query, -1);

  /* Only the conversations in the list are searched: a blocked
   * contact's, kept on disk but out of the list, must not use up the
   * matches before the user's own are reached. */
  search->conversation_ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  n = g_list_model_get_n_items (G_LIST_MODEL (self));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SottoConversation) conversation = g_list_model_get_item (G_LIST_MODEL (self), i);
      gint64 *id = g_new (gint64, 1);

      *id = _sotto_conversation_get_id (conversation);
      g_hash_table_add (search->conversation_ids, id);
    }
  search->before_id = G_MAXINT64;
  search->matches = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_store_match_free);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_conversation_list_search_async);
  g_task_set_task_data (task, search, (GDestroyNotify) search_free);

  _sotto_task_run_step (task, search->store,
                        sotto_conversation_list_search_thread, sotto_conversation_list_search_cb);
}

/**
 * sotto_conversation_list_search_finish:
 * @self: a #SottoConversationList
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): a #GListModel of #SottoMessageMatch, the
 *   newest message first, or %NULL with @error set
 */
GListModel *
sotto_conversation_list_search_finish (SottoConversationList  *self,
                                       GAsyncResult           *result,
                                       GError                **error)
{
  return _sotto_task_propagate_pointer (self, result, NULL, error);
}
