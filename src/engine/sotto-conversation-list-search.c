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
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GListStore) matches = NULL;
  GError *error = NULL;

  found = _sotto_store_search_finish (result, &error);
  if (found == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  matches = g_list_store_new (SOTTO_TYPE_MESSAGE_MATCH);
  for (guint i = 0; i < found->len; i++)
    {
      SottoStoreMatch *match = g_ptr_array_index (found, i);
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
  GHashTable *conversation_ids;
  guint n;

  g_return_if_fail (SOTTO_IS_CONVERSATION_LIST (self));
  g_return_if_fail (query != NULL && query[0] != '\0');
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  /* Only the conversations in the list are searched: a blocked
   * contact's, kept on disk but out of the list, must not use up the
   * matches before the user's own are reached. */
  conversation_ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  n = g_list_model_get_n_items (G_LIST_MODEL (self));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SottoConversation) conversation = g_list_model_get_item (G_LIST_MODEL (self), i);
      gint64 *id = g_new (gint64, 1);

      *id = _sotto_conversation_get_id (conversation);
      g_hash_table_add (conversation_ids, id);
    }

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_conversation_list_search_async);

  _sotto_store_search_async (sotto_account_get_store (sotto_conversation_list_get_account (self)), self,
                             SOTTO_STORE_SEARCH_MESSAGES, query, conversation_ids, SOTTO_CONVERSATION_LIST_MAX_MATCHES,
                             cancellable, sotto_conversation_list_search_cb, g_steal_pointer (&task));
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
