/* sotto-chat-list.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-chat-list"

#include "config.h"

#include "sotto-chat-list.h"
#include "sotto-conversation-private.h"
#include "sotto-group.h"

/**
 * SottoChatList:
 *
 * Every conversation of the account, 1:1 (#SottoConversation) and group
 * (#SottoGroup) alike, the most recently active first: a #GListModel of
 * #GObject over the conversation list and the group list, which it
 * follows.  Those two stay lists of one type each, as the services that
 * walk them (typing, profiles, the outbox) expect.  Like the
 * conversation list, it reports a chat whose activity changed as removed
 * from its old position and added at its new one; a 1:1 conversation
 * reads its messages from the store a page at a time, a group its
 * timeline (sotto_group_list_load_events_async()).
 */

struct _SottoChatList
{
  GObject parent_instance;

  SottoConversationList *conversations;
  SottoGroupList *groups;
  /* SottoConversation and SottoGroup, in the order shown. */
  GPtrArray *items;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SottoChatList, sotto_chat_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

/**
 * sotto_chat_list_get_item_activity:
 * @item: a #SottoConversation or a #SottoGroup
 *
 * Returns: when @item was last active, in milliseconds since the epoch
 */
gint64
sotto_chat_list_get_item_activity (gpointer item)
{
  if (SOTTO_IS_GROUP (item))
    return sotto_group_get_last_activity (item);

  g_return_val_if_fail (SOTTO_IS_CONVERSATION (item), 0);

  return sotto_conversation_get_last_activity (item);
}

/* Newest activity first; among equals groups before 1:1 conversations,
 * then the conversation created last, or the group id that sorts
 * first, so that the order is total. */
static int
compare_items (gpointer a,
               gpointer b)
{
  gint64 activity_a = sotto_chat_list_get_item_activity (a);
  gint64 activity_b = sotto_chat_list_get_item_activity (b);

  if (activity_a != activity_b)
    return activity_a > activity_b ? -1 : 1;

  if (SOTTO_IS_GROUP (a) != SOTTO_IS_GROUP (b))
    return SOTTO_IS_GROUP (a) ? -1 : 1;

  if (SOTTO_IS_GROUP (a))
    return g_strcmp0 (sotto_group_get_id (a), sotto_group_get_id (b));

  if (_sotto_conversation_get_id (a) != _sotto_conversation_get_id (b))
    return _sotto_conversation_get_id (a) > _sotto_conversation_get_id (b) ? -1 : 1;

  return 0;
}

static guint
find_position (SottoChatList *self,
               gpointer       item)
{
  guint low = 0;
  guint high = self->items->len;

  while (low < high)
    {
      guint middle = low + (high - low) / 2;

      if (compare_items (g_ptr_array_index (self->items, middle), item) < 0)
        low = middle + 1;
      else
        high = middle;
    }

  return low;
}

static void
last_activity_cb (SottoChatList *self,
                  GParamSpec    *pspec,
                  GObject       *item)
{
  guint old_position;
  guint new_position;

  if (!g_ptr_array_find (self->items, item, &old_position))
    g_return_if_reached ();

  if ((old_position == 0 || compare_items (g_ptr_array_index (self->items, old_position - 1), item) < 0)
      && (old_position + 1 == self->items->len
          || compare_items (item, g_ptr_array_index (self->items, old_position + 1)) < 0))
    return;

  /* Two signals, so that a view sees the chat move rather than every
   * row in between change. */
  g_ptr_array_steal_index (self->items, old_position);
  g_list_model_items_changed (G_LIST_MODEL (self), old_position, 1, 0);

  new_position = find_position (self, item);
  g_ptr_array_insert (self->items, new_position, item);
  g_list_model_items_changed (G_LIST_MODEL (self), new_position, 0, 1);
}

static void
add_sources (GHashTable *present,
             GListModel *model)
{
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      GObject *item = g_list_model_get_item (model, i);

      g_hash_table_add (present, item);
      g_object_unref (item);
    }
}

/* One of the lists gained or lost chats: the chats it lost go, the
 * ones it gained come in where their activity puts them, and no other
 * row changes. */
static void
sources_changed_cb (SottoChatList *self)
{
  g_autoptr(GHashTable) present = g_hash_table_new (NULL, NULL);
  g_autoptr(GHashTable) shown = g_hash_table_new (NULL, NULL);
  GHashTableIter iter;
  GObject *item;

  add_sources (present, G_LIST_MODEL (self->conversations));
  add_sources (present, G_LIST_MODEL (self->groups));

  for (guint i = self->items->len; i > 0; i--)
    {
      item = g_ptr_array_index (self->items, i - 1);

      if (g_hash_table_contains (present, item))
        {
          g_hash_table_add (shown, item);
          continue;
        }

      g_signal_handlers_disconnect_by_func (item, last_activity_cb, self);
      g_ptr_array_remove_index (self->items, i - 1);
      g_list_model_items_changed (G_LIST_MODEL (self), i - 1, 1, 0);
    }

  g_hash_table_iter_init (&iter, present);
  while (g_hash_table_iter_next (&iter, (gpointer *) &item, NULL))
    {
      guint position;

      if (g_hash_table_contains (shown, item))
        continue;

      position = find_position (self, item);
      g_ptr_array_insert (self->items, position, g_object_ref (item));
      g_signal_connect_object (item, "notify::last-activity", G_CALLBACK (last_activity_cb), self,
                               G_CONNECT_SWAPPED);
      g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
    }
}

/**
 * sotto_chat_list_new:
 * @conversations: the account's 1:1 conversations
 * @groups: the account's groups
 *
 * Returns: (transfer full): both lists in one, which follows them
 */
SottoChatList *
sotto_chat_list_new (SottoConversationList *conversations,
                     SottoGroupList        *groups)
{
  SottoChatList *self;

  g_return_val_if_fail (SOTTO_IS_CONVERSATION_LIST (conversations), NULL);
  g_return_val_if_fail (SOTTO_IS_GROUP_LIST (groups), NULL);

  self = g_object_new (SOTTO_TYPE_CHAT_LIST, NULL);
  self->conversations = g_object_ref (conversations);
  self->groups = g_object_ref (groups);
  g_signal_connect_object (conversations, "items-changed", G_CALLBACK (sources_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (groups, "items-changed", G_CALLBACK (sources_changed_cb), self,
                           G_CONNECT_SWAPPED);
  sources_changed_cb (self);

  return self;
}

static GType
sotto_chat_list_get_item_type (GListModel *model)
{
  return G_TYPE_OBJECT;
}

static guint
sotto_chat_list_get_n_items (GListModel *model)
{
  return SOTTO_CHAT_LIST (model)->items->len;
}

static gpointer
sotto_chat_list_get_item (GListModel *model,
                          guint       position)
{
  SottoChatList *self = SOTTO_CHAT_LIST (model);

  if (position >= self->items->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = sotto_chat_list_get_item_type;
  iface->get_n_items = sotto_chat_list_get_n_items;
  iface->get_item = sotto_chat_list_get_item;
}

static void
sotto_chat_list_finalize (GObject *object)
{
  SottoChatList *self = (SottoChatList *)object;

  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_object (&self->conversations);
  g_clear_object (&self->groups);

  G_OBJECT_CLASS (sotto_chat_list_parent_class)->finalize (object);
}

static void
sotto_chat_list_class_init (SottoChatListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sotto_chat_list_finalize;
}

static void
sotto_chat_list_init (SottoChatList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}
