/* sotto-message-list.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-message-list"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-message-list-private.h"
#include "sotto-message-private.h"
#include "sotto-store-private.h"

/* The messages of one conversation, oldest first, read from the store a
 * page at a time.  The list knows how many messages there are without
 * reading them; get_item() hands out the message at once, as a
 * placeholder if its page is not in memory yet, and reads the page on
 * the store's thread.  The placeholder is filled in place when the page
 * arrives, so views bound to its properties update and the list itself
 * never changes for a load.
 *
 * Memory stays bounded however far the user scrolls: the list keeps the
 * last few pages it handed out, and otherwise only weak references, so
 * that a message a view still shows is found again rather than read
 * twice. */

typedef struct
{
  guint index;
  GPtrArray *messages;
} Page;

struct _SottoMessageList
{
  GObject parent_instance;

  SottoStore *store;
  gint64 conversation_id;
  guint n_items;

  /* position → SottoMessage, weak: every message handed out that lives */
  GHashTable *alive;

  /* Most recently used first; at most SOTTO_MESSAGE_LIST_MAX_CACHED_PAGES. */
  GQueue pages;

  /* Indexes of the pages being read. */
  GHashTable *loading;

  guint n_page_loads;
};

typedef struct
{
  guint first;
  guint n_messages;
} PageLoad;

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SottoMessageList, sotto_message_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static void
page_free (Page *page)
{
  g_clear_pointer (&page->messages, g_ptr_array_unref);
  g_free (page);
}

static void
sotto_message_list_message_finalized_cb (gpointer  data,
                                         GObject  *where_the_object_was)
{
  SottoMessageList *self = data;
  guint position = _sotto_message_get_position ((SottoMessage *) where_the_object_was);

  g_hash_table_remove (self->alive, GUINT_TO_POINTER (position));
}

static void
sotto_message_list_track (SottoMessageList *self,
                          SottoMessage     *message)
{
  guint position = _sotto_message_get_position (message);

  g_assert (!g_hash_table_contains (self->alive, GUINT_TO_POINTER (position)));

  g_hash_table_insert (self->alive, GUINT_TO_POINTER (position), message);
  g_object_weak_ref (G_OBJECT (message), sotto_message_list_message_finalized_cb, self);
}

static void
sotto_message_list_page_loaded_cb (GObject      *object,
                                   GAsyncResult *result,
                                   gpointer      user_data)
{
  SottoMessageList *self = (SottoMessageList *)object;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  PageLoad *load = g_task_get_task_data (G_TASK (result));

  g_assert (SOTTO_IS_MESSAGE_LIST (self));

  g_hash_table_remove (self->loading, GUINT_TO_POINTER (load->first / SOTTO_MESSAGE_LIST_PAGE_SIZE));

  messages = g_task_propagate_pointer (G_TASK (result), &error);

  if (messages == NULL)
    {
      if (!g_error_matches (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CLOSED))
        g_warning ("Could not read messages: %s", error->message);
      return;
    }

  /* Only placeholders are filled: a message that is loaded already was
   * appended after the page was read, or changed since, and is newer. */
  for (guint i = 0; i < messages->len; i++)
    {
      const SottoMessageRecord *loaded = g_ptr_array_index (messages, i);
      SottoMessage *message = g_hash_table_lookup (self->alive, GUINT_TO_POINTER (loaded->position));

      if (message != NULL && !sotto_message_get_loaded (message))
        _sotto_message_fill (message, loaded);
    }
}

static void
sotto_message_list_load_thread (GTask        *task,
                                gpointer      source_object,
                                gpointer      task_data,
                                GCancellable *cancellable)
{
  SottoMessageList *self = source_object;
  PageLoad *load = task_data;
  g_autoptr(GError) error = NULL;
  GPtrArray *messages;

  messages = _sotto_store_load_messages (self->store, self->conversation_id,
                                         load->first, load->n_messages, &error);
  if (messages == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, messages, (GDestroyNotify) g_ptr_array_unref);
}

static void
sotto_message_list_load_page (SottoMessageList *self,
                              Page             *page)
{
  g_autoptr(GTask) task = NULL;
  PageLoad *load;

  if (g_hash_table_contains (self->loading, GUINT_TO_POINTER (page->index)))
    return;

  load = g_new0 (PageLoad, 1);
  load->first = page->index * SOTTO_MESSAGE_LIST_PAGE_SIZE;
  load->n_messages = page->messages->len;

  g_hash_table_add (self->loading, GUINT_TO_POINTER (page->index));
  self->n_page_loads++;

  task = g_task_new (self, NULL, sotto_message_list_page_loaded_cb, NULL);
  g_task_set_source_tag (task, sotto_message_list_load_page);
  g_task_set_task_data (task, load, g_free);

  _sotto_store_run_in_thread (self->store, task, sotto_message_list_load_thread);
}

static Page *
sotto_message_list_get_page (SottoMessageList *self,
                             guint             index)
{
  Page *page;
  guint first;
  guint last;
  gboolean complete = TRUE;

  for (GList *link = self->pages.head; link != NULL; link = link->next)
    {
      page = link->data;

      if (page->index == index)
        {
          g_queue_unlink (&self->pages, link);
          g_queue_push_head_link (&self->pages, link);
          return page;
        }
    }

  first = index * SOTTO_MESSAGE_LIST_PAGE_SIZE;
  last = MIN (first + SOTTO_MESSAGE_LIST_PAGE_SIZE, self->n_items);

  page = g_new0 (Page, 1);
  page->index = index;
  page->messages = g_ptr_array_new_full (last - first, g_object_unref);

  for (guint position = first; position < last; position++)
    {
      SottoMessage *message = g_hash_table_lookup (self->alive, GUINT_TO_POINTER (position));

      if (message != NULL)
        {
          g_ptr_array_add (page->messages, g_object_ref (message));
        }
      else
        {
          message = _sotto_message_new_placeholder (position);
          sotto_message_list_track (self, message);
          g_ptr_array_add (page->messages, message);
        }

      complete &= sotto_message_get_loaded (message);
    }

  g_queue_push_head (&self->pages, page);

  while (self->pages.length > SOTTO_MESSAGE_LIST_MAX_CACHED_PAGES)
    page_free (g_queue_pop_tail (&self->pages));

  if (!complete)
    sotto_message_list_load_page (self, page);

  return page;
}

static GType
sotto_message_list_get_item_type (GListModel *model)
{
  return SOTTO_TYPE_MESSAGE;
}

static guint
sotto_message_list_get_n_items (GListModel *model)
{
  return SOTTO_MESSAGE_LIST (model)->n_items;
}

static gpointer
sotto_message_list_get_item (GListModel *model,
                             guint       position)
{
  SottoMessageList *self = SOTTO_MESSAGE_LIST (model);
  Page *page;

  if (position >= self->n_items)
    return NULL;

  page = sotto_message_list_get_page (self, position / SOTTO_MESSAGE_LIST_PAGE_SIZE);

  return g_object_ref (g_ptr_array_index (page->messages, position % SOTTO_MESSAGE_LIST_PAGE_SIZE));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = sotto_message_list_get_item_type;
  iface->get_n_items = sotto_message_list_get_n_items;
  iface->get_item = sotto_message_list_get_item;
}

/* @last_message is the newest message if the conversation has already
 * read it (for its preview), so that the list hands out the same object. */
SottoMessageList *
_sotto_message_list_new (SottoStore   *store,
                         gint64        conversation_id,
                         guint         n_items,
                         SottoMessage *last_message)
{
  SottoMessageList *self;

  g_return_val_if_fail (SOTTO_IS_STORE (store), NULL);
  g_return_val_if_fail (!last_message || SOTTO_IS_MESSAGE (last_message), NULL);
  g_return_val_if_fail (!last_message || _sotto_message_get_position (last_message) + 1 == n_items, NULL);

  self = g_object_new (SOTTO_TYPE_MESSAGE_LIST, NULL);
  self->store = g_object_ref (store);
  self->conversation_id = conversation_id;
  self->n_items = n_items;

  if (last_message != NULL)
    sotto_message_list_track (self, last_message);

  return self;
}

/* Adds a message the store has just given the next position. */
void
_sotto_message_list_append (SottoMessageList *self,
                            SottoMessage     *message)
{
  guint position;

  g_return_if_fail (SOTTO_IS_MESSAGE_LIST (self));
  g_return_if_fail (SOTTO_IS_MESSAGE (message));
  g_return_if_fail (_sotto_message_get_position (message) == self->n_items);

  position = self->n_items++;
  sotto_message_list_track (self, message);

  /* A cached page that ends here grows; otherwise the message is read
   * again with its page if a view asks for it after it is gone. */
  for (GList *link = self->pages.head; link != NULL; link = link->next)
    {
      Page *page = link->data;

      if (page->index == position / SOTTO_MESSAGE_LIST_PAGE_SIZE)
        {
          g_ptr_array_add (page->messages, g_object_ref (message));
          break;
        }
    }

  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
}

/* The message at @position if it is in memory; never reads the store. */
SottoMessage *
_sotto_message_list_peek (SottoMessageList *self,
                          guint             position)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE_LIST (self), NULL);

  return g_hash_table_lookup (self->alive, GUINT_TO_POINTER (position));
}

/* Shows the messages in memory as read once the store has marked every
 * incoming message of the conversation read.  Placeholders end up right
 * too: the store runs jobs in order, so a page read before the change was
 * filled before this runs, and one read after it has the new state. */
void
_sotto_message_list_mark_read (SottoMessageList *self)
{
  GHashTableIter iter;
  gpointer message;

  g_return_if_fail (SOTTO_IS_MESSAGE_LIST (self));

  g_hash_table_iter_init (&iter, self->alive);
  while (g_hash_table_iter_next (&iter, NULL, &message))
    {
      if (sotto_message_get_loaded (message)
          && sotto_message_state_can_change (sotto_message_get_direction (message),
                                             sotto_message_get_state (message),
                                             SOTTO_MESSAGE_STATE_READ)
          && sotto_message_get_direction (message) == SOTTO_MESSAGE_DIRECTION_INCOMING)
        _sotto_message_set_state (message, SOTTO_MESSAGE_STATE_READ);
    }
}

/* How many pages the list asked the store for, for tests. */
guint
_sotto_message_list_get_n_page_loads (SottoMessageList *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE_LIST (self), 0);

  return self->n_page_loads;
}

static void
sotto_message_list_finalize (GObject *object)
{
  SottoMessageList *self = (SottoMessageList *)object;
  GHashTableIter iter;
  gpointer message;

  g_queue_clear_full (&self->pages, (GDestroyNotify) page_free);

  /* Messages that views still hold outlive the list. */
  g_hash_table_iter_init (&iter, self->alive);
  while (g_hash_table_iter_next (&iter, NULL, &message))
    g_object_weak_unref (message, sotto_message_list_message_finalized_cb, self);

  g_clear_pointer (&self->alive, g_hash_table_unref);
  g_clear_pointer (&self->loading, g_hash_table_unref);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (sotto_message_list_parent_class)->finalize (object);
}

static void
sotto_message_list_class_init (SottoMessageListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sotto_message_list_finalize;
}

static void
sotto_message_list_init (SottoMessageList *self)
{
  self->alive = g_hash_table_new (NULL, NULL);
  self->loading = g_hash_table_new (NULL, NULL);
  g_queue_init (&self->pages);
}
