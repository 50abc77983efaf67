/* sotto-conversation-list.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-conversation-list"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-account.h"
#include "sotto-contact.h"
#include "sotto-conversation-list-private.h"
#include "sotto-conversation-private.h"
#include "sotto-store-private.h"

/* Every conversation of the account, the most recently active first.  A
 * conversation whose activity changes moves: the list reports it as
 * removed from its old position and then added at its new one. */

struct _SottoConversationList
{
  GObject parent_instance;

  SottoAccount *account;
  GPtrArray *items;
};

typedef struct
{
  char *uuid;
  char *username;
  char *name;
  GBytes *identity_key;
  SottoContactStanding standing;
  SottoConversationRecord *record;
  SottoConversation *conversation;
} Addition;

enum {
  PROP_0,
  PROP_ACCOUNT,
  N_PROPS
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SottoConversationList, sotto_conversation_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GParamSpec *properties [N_PROPS];

static void
addition_free (Addition *addition)
{
  g_clear_pointer (&addition->uuid, g_free);
  g_clear_pointer (&addition->username, g_free);
  g_clear_pointer (&addition->name, g_free);
  g_clear_pointer (&addition->identity_key, g_bytes_unref);
  g_clear_pointer (&addition->record, _sotto_conversation_record_free);
  g_clear_object (&addition->conversation);
  g_free (addition);
}

/* Newest activity first; among equals, the conversation created last. */
static int
compare_conversations (SottoConversation *a,
                       SottoConversation *b)
{
  gint64 activity_a = sotto_conversation_get_last_activity (a);
  gint64 activity_b = sotto_conversation_get_last_activity (b);
  gint64 id_a = _sotto_conversation_get_id (a);
  gint64 id_b = _sotto_conversation_get_id (b);

  if (activity_a != activity_b)
    return activity_a > activity_b ? -1 : 1;

  if (id_a != id_b)
    return id_a > id_b ? -1 : 1;

  return 0;
}

static int
compare_conversations_indirect (gconstpointer a,
                                gconstpointer b)
{
  return compare_conversations (*(SottoConversation **) a, *(SottoConversation **) b);
}

static guint
sotto_conversation_list_find_position (SottoConversationList *self,
                                       SottoConversation     *conversation)
{
  guint low = 0;
  guint high = self->items->len;

  while (low < high)
    {
      guint middle = low + (high - low) / 2;

      if (compare_conversations (g_ptr_array_index (self->items, middle), conversation) < 0)
        low = middle + 1;
      else
        high = middle;
    }

  return low;
}

static void
sotto_conversation_list_last_activity_cb (SottoConversationList *self,
                                          GParamSpec            *pspec,
                                          SottoConversation     *conversation)
{
  guint old_position;
  guint new_position;

  g_assert (SOTTO_IS_CONVERSATION_LIST (self));
  g_assert (SOTTO_IS_CONVERSATION (conversation));

  if (!g_ptr_array_find (self->items, conversation, &old_position))
    g_return_if_reached ();

  if ((old_position == 0
       || compare_conversations (g_ptr_array_index (self->items, old_position - 1), conversation) < 0)
      && (old_position + 1 == self->items->len
          || compare_conversations (conversation, g_ptr_array_index (self->items, old_position + 1)) < 0))
    return;

  /* Two signals, so that a view sees the conversation move rather than
   * every row in between change. */
  g_ptr_array_steal_index (self->items, old_position);
  g_list_model_items_changed (G_LIST_MODEL (self), old_position, 1, 0);

  new_position = sotto_conversation_list_find_position (self, conversation);
  g_ptr_array_insert (self->items, new_position, conversation);
  g_list_model_items_changed (G_LIST_MODEL (self), new_position, 0, 1);
}

static void
sotto_conversation_list_track (SottoConversationList *self,
                               SottoConversation     *conversation)
{
  g_signal_connect_object (conversation,
                           "notify::last-activity",
                           G_CALLBACK (sotto_conversation_list_last_activity_cb),
                           self,
                           G_CONNECT_SWAPPED);
}

static void
sotto_conversation_list_load_thread (GTask        *task,
                                     gpointer      source_object,
                                     gpointer      task_data,
                                     GCancellable *cancellable)
{
  SottoConversationList *self = source_object;
  g_autoptr(GError) error = NULL;
  GPtrArray *rows;

  rows = _sotto_store_load_conversations (sotto_account_get_store (self->account), &error);
  if (rows == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, rows, (GDestroyNotify) g_ptr_array_unref);
}

/**
 * sotto_conversation_list_load_async:
 * @account: the account whose conversations to load
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the list
 * @user_data: data for @callback
 *
 * Reads every conversation of @account from its store, with each
 * contact, unread count and newest message, but none of the other
 * messages.
 */
void
sotto_conversation_list_load_async (SottoAccount        *account,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(SottoConversationList) self = NULL;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_ACCOUNT (account));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  self = g_object_new (SOTTO_TYPE_CONVERSATION_LIST,
                       "account", account,
                       NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_conversation_list_load_async);

  _sotto_store_run_in_thread (sotto_account_get_store (account), task,
                              sotto_conversation_list_load_thread);
}

/**
 * sotto_conversation_list_load_finish:
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the conversations, or %NULL with @error set
 */
SottoConversationList *
sotto_conversation_list_load_finish (GAsyncResult  *result,
                                     GError       **error)
{
  SottoConversationList *self;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) conversations = NULL;

  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sotto_conversation_list_load_async, NULL);

  rows = g_task_propagate_pointer (G_TASK (result), error);
  if (rows == NULL)
    return NULL;

  /* The models are made here, on the main thread, from the rows the
   * store read; nobody else has the list yet, so it is filled without
   * telling anyone. */
  self = g_task_get_source_object (G_TASK (result));
  conversations = g_ptr_array_new_full (rows->len, g_object_unref);
  for (guint i = 0; i < rows->len; i++)
    g_ptr_array_add (conversations,
                     _sotto_conversation_new_from_record (sotto_account_get_store (self->account), self->account,
                                                       g_ptr_array_index (rows, i)));

  g_ptr_array_sort (conversations, compare_conversations_indirect);
  for (guint i = 0; i < conversations->len; i++)
    {
      SottoConversation *conversation = g_ptr_array_index (conversations, i);

      g_ptr_array_add (self->items, g_object_ref (conversation));
      sotto_conversation_list_track (self, conversation);
    }

  return g_object_ref (self);
}

SottoAccount *
sotto_conversation_list_get_account (SottoConversationList *self)
{
  g_return_val_if_fail (SOTTO_IS_CONVERSATION_LIST (self), NULL);

  return self->account;
}

static void
sotto_conversation_list_add_thread (GTask        *task,
                                    gpointer      source_object,
                                    gpointer      task_data,
                                    GCancellable *cancellable)
{
  SottoConversationList *self = source_object;
  Addition *addition = task_data;
  g_autoptr(GError) error = NULL;

  addition->record = _sotto_store_add_conversation (sotto_account_get_store (self->account),
                                                 addition->uuid,
                                                 addition->username,
                                                 addition->name,
                                                 addition->identity_key,
                                                 addition->standing,
                                                 &error);
  if (addition->record == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
sotto_conversation_list_add_cb (GObject      *object,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  SottoConversationList *self = (SottoConversationList *)object;
  g_autoptr(GTask) task = user_data;
  Addition *addition = g_task_get_task_data (task);

  if (!_sotto_task_propagate_step (task, result))
    return;

  addition->conversation = _sotto_conversation_new_from_record (sotto_account_get_store (self->account),
                                                             self->account, addition->record);
  _sotto_conversation_list_insert (self, addition->conversation);

  g_task_return_pointer (task, g_object_ref (addition->conversation), g_object_unref);
}

/**
 * sotto_conversation_list_add_async:
 * @self: a #SottoConversationList
 * @uuid: the contact's account UUID
 * @username: (nullable): the contact's username
 * @name: (nullable): the name to show for the contact
 * @identity_key: (nullable): the contact's identity key, if known
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the new conversation
 * @user_data: data for @callback
 *
 * Stores a new contact with an empty conversation and adds it to the
 * list.  A contact with the same UUID or username exists already when
 * this fails with %SOTTO_STORE_ERROR_EXISTS.
 */
void
sotto_conversation_list_add_async (SottoConversationList *self,
                                   const char            *uuid,
                                   const char            *username,
                                   const char            *name,
                                   GBytes                *identity_key,
                                   GCancellable          *cancellable,
                                   GAsyncReadyCallback    callback,
                                   gpointer               user_data)
{
  g_return_if_fail (SOTTO_IS_CONVERSATION_LIST (self));
  g_return_if_fail (uuid != NULL && g_uuid_string_is_valid (uuid));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  _sotto_conversation_list_add_async (self, uuid, username, name, identity_key,
                                      SOTTO_CONTACT_STANDING_ACCEPTED,
                                      cancellable, callback, user_data);
}

/* Like sotto_conversation_list_add_async(), for a contact that starts out
 * as @standing: a sender nobody knew is a message request. */
void
_sotto_conversation_list_add_async (SottoConversationList *self,
                                    const char            *uuid,
                                    const char            *username,
                                    const char            *name,
                                    GBytes                *identity_key,
                                    SottoContactStanding   standing,
                                    GCancellable          *cancellable,
                                    GAsyncReadyCallback    callback,
                                    gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  Addition *addition;

  g_assert (SOTTO_IS_CONVERSATION_LIST (self));

  addition = g_new0 (Addition, 1);
  addition->uuid = g_strdup (uuid);
  addition->username = g_strdup (username);
  addition->name = g_strdup (name);
  addition->identity_key = identity_key ? g_bytes_ref (identity_key) : NULL;
  addition->standing = standing;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_conversation_list_add_async);
  g_task_set_task_data (task, addition, (GDestroyNotify) addition_free);

  _sotto_task_run_step (task, sotto_account_get_store (self->account),
                        sotto_conversation_list_add_thread, sotto_conversation_list_add_cb);
}

/* Takes @conversation out of the list: the user deleted or blocked the
 * contact.  The conversation itself lives on for whoever holds it. */
void
_sotto_conversation_list_remove (SottoConversationList *self,
                                 SottoConversation     *conversation)
{
  guint position;

  g_assert (SOTTO_IS_CONVERSATION_LIST (self));
  g_assert (SOTTO_IS_CONVERSATION (conversation));

  if (!g_ptr_array_find (self->items, conversation, &position))
    return;

  g_signal_handlers_disconnect_by_func (conversation, sotto_conversation_list_last_activity_cb, self);
  g_ptr_array_remove_index (self->items, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
}

/* Puts @conversation, taken out before, back into the list: the user
 * unblocked the contact. */
void
_sotto_conversation_list_insert (SottoConversationList *self,
                                 SottoConversation     *conversation)
{
  guint position;

  g_assert (SOTTO_IS_CONVERSATION_LIST (self));
  g_assert (SOTTO_IS_CONVERSATION (conversation));

  position = sotto_conversation_list_find_position (self, conversation);
  g_ptr_array_insert (self->items, position, g_object_ref (conversation));
  sotto_conversation_list_track (self, conversation);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
}

/**
 * sotto_conversation_list_add_finish:
 * @self: a #SottoConversationList
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the new conversation, or %NULL with @error set
 */
SottoConversation *
sotto_conversation_list_add_finish (SottoConversationList  *self,
                                    GAsyncResult           *result,
                                    GError                **error)
{
  return _sotto_task_propagate_pointer (self, result, NULL, error);
}

/* Returns: (transfer none) (nullable): the conversation the store knows
 * as @conversation_id, if it is in the list */
SottoConversation *
_sotto_conversation_list_find_by_id (SottoConversationList *self,
                                     gint64                 conversation_id)
{
  g_return_val_if_fail (SOTTO_IS_CONVERSATION_LIST (self), NULL);

  for (guint i = 0; i < self->items->len; i++)
    {
      SottoConversation *conversation = g_ptr_array_index (self->items, i);

      if (_sotto_conversation_get_id (conversation) == conversation_id)
        return conversation;
    }

  return NULL;
}

/**
 * sotto_conversation_list_find_by_uuid:
 * @self: a #SottoConversationList
 * @uuid: a contact's account UUID
 *
 * Returns: (transfer none) (nullable): the conversation with that contact
 */
SottoConversation *
sotto_conversation_list_find_by_uuid (SottoConversationList *self,
                                      const char            *uuid)
{
  g_return_val_if_fail (SOTTO_IS_CONVERSATION_LIST (self), NULL);
  g_return_val_if_fail (uuid != NULL, NULL);

  for (guint i = 0; i < self->items->len; i++)
    {
      SottoConversation *conversation = g_ptr_array_index (self->items, i);
      SottoContact *contact = sotto_conversation_get_contact (conversation);

      if (g_ascii_strcasecmp (sotto_contact_get_uuid (contact), uuid) == 0)
        return conversation;
    }

  return NULL;
}

/**
 * sotto_conversation_list_find_by_username:
 * @self: a #SottoConversationList
 * @username: a contact's username
 *
 * Returns: (transfer none) (nullable): the conversation with that contact
 */
SottoConversation *
sotto_conversation_list_find_by_username (SottoConversationList *self,
                                          const char            *username)
{
  g_return_val_if_fail (SOTTO_IS_CONVERSATION_LIST (self), NULL);
  g_return_val_if_fail (username != NULL, NULL);

  for (guint i = 0; i < self->items->len; i++)
    {
      SottoConversation *conversation = g_ptr_array_index (self->items, i);
      SottoContact *contact = sotto_conversation_get_contact (conversation);

      if (g_strcmp0 (sotto_contact_get_username (contact), username) == 0)
        return conversation;
    }

  return NULL;
}

static GType
sotto_conversation_list_get_item_type (GListModel *model)
{
  return SOTTO_TYPE_CONVERSATION;
}

static guint
sotto_conversation_list_get_n_items (GListModel *model)
{
  return SOTTO_CONVERSATION_LIST (model)->items->len;
}

static gpointer
sotto_conversation_list_get_item (GListModel *model,
                                  guint       position)
{
  SottoConversationList *self = SOTTO_CONVERSATION_LIST (model);

  if (position >= self->items->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = sotto_conversation_list_get_item_type;
  iface->get_n_items = sotto_conversation_list_get_n_items;
  iface->get_item = sotto_conversation_list_get_item;
}

static void
sotto_conversation_list_finalize (GObject *object)
{
  SottoConversationList *self = (SottoConversationList *)object;

  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_object (&self->account);

  G_OBJECT_CLASS (sotto_conversation_list_parent_class)->finalize (object);
}

static void
sotto_conversation_list_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  SottoConversationList *self = SOTTO_CONVERSATION_LIST (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_conversation_list_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  SottoConversationList *self = SOTTO_CONVERSATION_LIST (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      self->account = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_conversation_list_class_init (SottoConversationListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sotto_conversation_list_finalize;
  object_class->get_property = sotto_conversation_list_get_property;
  object_class->set_property = sotto_conversation_list_set_property;

  properties [PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL,
                         SOTTO_TYPE_ACCOUNT,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sotto_conversation_list_init (SottoConversationList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}
