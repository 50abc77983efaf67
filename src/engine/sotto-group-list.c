/* sotto-group-list.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sotto-account-private.h"
#include "sotto-contact.h"
#include "sotto-conversation.h"
#include "sotto-engine-enums.h"
#include "sotto-group-avatar-private.h"
#include "sotto-group-private.h"
#include "sotto-group-list-internal-private.h"
#include "sotto-messenger-private.h"
#include "sotto-store-groups-private.h"

/**
 * SottoGroupList:
 *
 * The groups service (docs/architecture.md): the groups this account is
 * or was in, a #GListModel of #SottoGroup, and what changes them.  A
 * change is made here as a group update (docs/messenger.md, "Groups"):
 * checked against the rules, added to the group's history and stored in
 * one transaction, then delivered inside each member's 1:1 session by
 * the outbox, which sets one up from a prekey bundle for a member it has
 * none with.  A member who joins gets the group's whole history, and
 * nothing sent before.  What members send arrives through the inbox
 * (sotto-group-list-receive.c), which emits ::event-received.
 */

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SottoGroupList, sotto_group_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum
{
  EVENT_RECEIVED,
  MESSAGE_CHANGED,
  MESSAGE_STATE_CHANGED,
  GROUP_REMOVED,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

SottoGroupNews *
_sotto_group_news_new (SottoGroupState *state)
{
  SottoGroupNews *news = g_new0 (SottoGroupNews, 1);

  news->state = state;
  news->events = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_group_event_free);
  news->deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_delivery_free);
  news->unread_count = -1;

  return news;
}

void
_sotto_group_news_free (SottoGroupNews *news)
{
  if (news == NULL)
    return;

  _sotto_group_state_free (news->state);
  g_ptr_array_unref (news->events);
  g_ptr_array_unref (news->deliveries);
  g_clear_pointer (&news->changes, g_ptr_array_unref);
  g_free (news);
}

SottoGroupList *
_sotto_group_list_new (SottoMessenger *messenger)
{
  SottoGroupList *self = g_object_new (SOTTO_TYPE_GROUP_LIST, NULL);

  self->messenger = messenger;
  g_object_add_weak_pointer (G_OBJECT (messenger), (gpointer *) &self->messenger);
  self->account = g_object_ref (sotto_messenger_get_account (messenger));
  self->store = g_object_ref (sotto_account_get_store (self->account));
  self->conversations = g_object_ref (sotto_messenger_get_conversations (messenger));
  self->outbox = g_object_ref (_sotto_messenger_get_outbox (messenger));
  self->client = g_object_ref (_sotto_messenger_get_relay_client (messenger));
  self->protocol = _sotto_protocol_state_ref (_sotto_messenger_get_protocol_state (messenger));
  g_signal_connect_object (self->outbox, "identity-changed", G_CALLBACK (_sotto_group_list_identity_changed_cb), self, 0);
  g_signal_connect_object (self->outbox, "hold-ended", G_CALLBACK (_sotto_group_list_hold_ended_cb), self, 0);
  _sotto_group_list_watch_outgoing (self);

  return self;
}

/* Shows @state, which it takes, in its group, which it adds to the list
 * if it is new. */
SottoGroup *
_sotto_group_list_show_state (SottoGroupList  *self,
                              SottoGroupState *state)
{
  SottoGroup *group = g_hash_table_lookup (self->by_id, state->id);

  if (group == NULL)
    {
      group = _sotto_group_new (state->id);
      g_hash_table_insert (self->by_id, g_strdup (sotto_group_get_id (group)), group);
      g_list_store_append (self->groups, group);
    }

  _sotto_group_set_state (group, state, sotto_account_get_uuid (self->account),
                          sotto_account_get_username (self->account), self->conversations);
  _sotto_group_list_refresh_last_event (self, group);

  return group;
}

/* Takes the group @group_id, which the store forgot, out of the list. */
void
_sotto_group_list_forget (SottoGroupList *self,
                          const char     *group_id)
{
  SottoGroup *found = sotto_group_list_find (self, group_id);
  g_autoptr(SottoGroup) group = NULL;
  guint position;

  if (found == NULL || !g_list_store_find (self->groups, found, &position))
    return;

  /* The list's is the last reference the signal's handlers may need. */
  group = g_object_ref (found);

  g_hash_table_remove (self->by_id, sotto_group_get_id (group));
  g_list_store_remove (self->groups, position);
  g_signal_emit (self, signals [GROUP_REMOVED], 0, group);
}

/**
 * sotto_group_list_get_account:
 * @self: a #SottoGroupList
 *
 * Returns: (transfer none): the account whose groups these are
 */
SottoAccount *
sotto_group_list_get_account (SottoGroupList *self)
{
  g_return_val_if_fail (SOTTO_IS_GROUP_LIST (self), NULL);

  return self->account;
}

/**
 * sotto_group_list_find:
 * @self: a #SottoGroupList
 * @id: a group's UUID
 *
 * Returns: (transfer none) (nullable): the group, once the list is loaded
 */
SottoGroup *
sotto_group_list_find (SottoGroupList *self,
                       const char     *id)
{
  g_autofree char *lower = NULL;

  g_return_val_if_fail (SOTTO_IS_GROUP_LIST (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  lower = g_ascii_strdown (id, -1);
  return g_hash_table_lookup (self->by_id, lower);
}

/* Loading */

/* A read of the store that gives an array: the groups, or the changes
 * waiting for the relay. */
typedef struct
{
  GPtrArray *(*read) (SottoStore  *store,
                      GError     **error);
} StoreList;

static const StoreList list_groups = { _sotto_store_list_groups };
static const StoreList list_deliveries = { _sotto_store_list_group_deliveries };

static void
list_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SottoGroupList *self = source_object;
  const StoreList *list = task_data;
  GError *error = NULL;
  GPtrArray *items = list->read (self->store, &error);

  if (items == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, items, (GDestroyNotify) g_ptr_array_unref);
}

static void
retried_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* What still cannot go waits for the next time. */
  if (!_sotto_group_list_deliver_stored_finish (SOTTO_GROUP_LIST (object), result, &error))
    g_debug ("Group changes wait for the relay: %s", error->message);

  /* Then the messages the relay did not take for every member. */
  _sotto_group_list_flush_outgoing_async (SOTTO_GROUP_LIST (object), _sotto_task_return_step_cb,
                                          g_steal_pointer (&task));
}

static void
deliveries_listed_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoGroupList *self = SOTTO_GROUP_LIST (object);
  g_autoptr(GPtrArray) deliveries = NULL;
  GError *error = NULL;

  deliveries = g_task_propagate_pointer (G_TASK (result), &error);
  if (deliveries == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (deliveries->len == 0)
    {
      _sotto_group_list_flush_outgoing_async (self, _sotto_task_return_step_cb, g_steal_pointer (&task));
      return;
    }

  _sotto_group_list_deliver_stored_async (self, deliveries, retried_cb, g_steal_pointer (&task));
}

static void
unread_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  SottoGroupList *self = source_object;
  GStrv ids = task_data;
  g_autoptr(GArray) counts = g_array_new (FALSE, FALSE, sizeof (guint));
  GError *error = NULL;

  for (guint i = 0; ids[i] != NULL; i++)
    {
      guint count = 0;

      if (!_sotto_store_count_group_unread (self->store, ids[i], &count, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      g_array_append_val (counts, count);
    }

  g_task_return_pointer (task, g_steal_pointer (&counts), (GDestroyNotify) g_array_unref);
}

static void
unread_counted_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoGroupList *self = SOTTO_GROUP_LIST (object);
  GStrv ids = g_task_get_task_data (G_TASK (result));
  g_autoptr(GArray) counts = NULL;
  GError *error = NULL;
  GTask *step;

  counts = g_task_propagate_pointer (G_TASK (result), &error);
  if (counts == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; i < counts->len; i++)
    _sotto_group_set_unread_count (sotto_group_list_find (self, ids[i]), g_array_index (counts, guint, i));

  /* Then the changes the relay did not take before. */
  step = g_task_new (self, NULL, deliveries_listed_cb, g_steal_pointer (&task));
  g_task_set_task_data (step, (gpointer) &list_deliveries, NULL);
  _sotto_store_run_in_thread (self->store, step, list_thread);
  g_object_unref (step);
}

static void
load_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoGroupList *self = SOTTO_GROUP_LIST (object);
  g_autoptr(GPtrArray) groups = NULL;
  g_autoptr(GStrvBuilder) ids = g_strv_builder_new ();
  GError *error = NULL;
  GTask *step;

  groups = g_task_propagate_pointer (G_TASK (result), &error);
  if (groups == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; i < groups->len; i++)
    {
      SottoGroup *group = _sotto_group_list_show_state (self, g_steal_pointer (&groups->pdata[i]));

      g_strv_builder_add (ids, sotto_group_get_id (group));
    }
  g_ptr_array_set_free_func (groups, NULL);

  /* Then how much of each is unread. */
  step = g_task_new (self, NULL, unread_counted_cb, g_steal_pointer (&task));
  g_task_set_task_data (step, g_strv_builder_end (ids), (GDestroyNotify) g_strfreev);
  _sotto_store_run_in_thread (self->store, step, unread_thread);
  g_object_unref (step);
}

/**
 * sotto_group_list_load_async:
 * @self: a #SottoGroupList
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the groups are in the list
 * @user_data: data for @callback
 *
 * Reads the groups from the store into the list, then delivers the
 * changes this device made that the relay did not accept before.
 */
void
sotto_group_list_load_async (SottoGroupList      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GTask *step;

  g_return_if_fail (SOTTO_IS_GROUP_LIST (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_group_list_load_async);

  step = g_task_new (self, cancellable, load_cb, g_object_ref (task));
  g_task_set_task_data (step, (gpointer) &list_groups, NULL);
  _sotto_store_run_in_thread (self->store, step, list_thread);
  g_object_unref (step);
}

gboolean
sotto_group_list_load_finish (SottoGroupList  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  return _sotto_task_propagate_boolean (self, result, sotto_group_list_load_async, error);
}

/* Shared by the changes, the messages and the timeline */

static const char *
update_detail (const SottoGroupUpdate *update)
{
  SottoGroupMember *target;

  if (update->title != NULL)
    return update->title;
  if (update->members->len != 1)
    return NULL;

  target = g_ptr_array_index (update->members, 0);
  return target->username != NULL ? target->username : target->uuid;
}

/* The timeline entry of @update, which @state's history has. */
SottoGroupEvent *
_sotto_group_update_event (const SottoGroupUpdate *update,
                           const char             *author_name,
                           gboolean                outgoing)
{
  g_autofree char *id = _sotto_group_hex (update->hash, SOTTO_GROUP_UPDATE_HASH_SIZE);
  /* A picture set is named by its digest; a picture removed by nothing. */
  g_autofree char *avatar = update->has_avatar ? _sotto_group_hex (update->avatar_digest,
                                                                   SOTTO_GROUP_AVATAR_DIGEST_SIZE) : NULL;

  return sotto_group_event_new (SOTTO_GROUP_EVENT_UPDATE, id, outgoing, update->author, author_name,
                                _sotto_group_action_name (update->action),
                                avatar != NULL ? avatar : update_detail (update), update->timestamp);
}

gboolean
_sotto_group_list_refuse (GError     **error,
                          const char  *message)
{
  g_set_error_literal (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED, message);
  return FALSE;
}

/* Runs on the store's thread.  The group @group_id and its row; one
 * there is not is an error. */
SottoGroupState *
_sotto_group_list_load_group (SottoGroupList  *self,
                              const char      *group_id,
                              gint64          *row,
                              GError         **error)
{
  SottoGroupState *state;
  GError *load_error = NULL;

  state = _sotto_store_load_group (self->store, group_id, row, &load_error);
  if (state == NULL)
    {
      if (load_error != NULL)
        g_propagate_error (error, load_error);
      else
        _sotto_group_list_refuse (error, _("There is no such group"));
    }

  return state;
}

/* Runs on the store's thread.  The group @group_id, which this account
 * must be a member of and have accepted, and its row: anything this
 * account sends to a request would tell a stranger that it is read. */
SottoGroupState *
_sotto_group_list_load_member_group (SottoGroupList  *self,
                                     const char      *group_id,
                                     gint64          *row,
                                     GError         **error)
{
  g_autoptr(SottoGroupState) state = NULL;

  state = _sotto_group_list_load_group (self, group_id, row, error);
  if (state == NULL)
    return NULL;

  if (state->outdated)
    {
      _sotto_group_list_refuse (error, _("The group was made by an earlier version of Sotto and cannot "
                                         "change any more: create it again"));
      return NULL;
    }
  if (_sotto_group_state_find_member (state, sotto_account_get_uuid (self->account)) == NULL)
    {
      _sotto_group_list_refuse (error, _("You are not a member of this group"));
      return NULL;
    }
  if (state->request)
    {
      _sotto_group_list_refuse (error, _("The group is a message request: accept it first"));
      return NULL;
    }

  return g_steal_pointer (&state);
}

/* Runs on the store's thread: @func on @task's data in a transaction of
 * its own, which @task returns the outcome of. */
void
_sotto_group_list_run_in_transaction (GTask                     *task,
                                      SottoGroupTransactionFunc  func)
{
  SottoGroupList *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!_sotto_store_begin (self->store, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (!func (self, g_task_get_task_data (task), &error) || !_sotto_store_commit (self->store, &error))
    {
      _sotto_store_rollback (self->store);
      g_task_return_error (task, error);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

const char *
_sotto_group_list_get_own_uuid (SottoGroupList *self)
{
  return sotto_account_get_uuid (self->account);
}

SottoStore *
_sotto_group_list_get_store (SottoGroupList *self)
{
  return self->store;
}

void
_sotto_group_list_emit_event (SottoGroupList  *self,
                              SottoGroup      *group,
                              SottoGroupEvent *event)
{
  _sotto_group_set_last_event (group, event);
  g_signal_emit (self, signals [EVENT_RECEIVED], 0, group, event);
}

void
_sotto_group_list_emit_message_changed (SottoGroupList     *self,
                                        SottoGroup         *group,
                                        SottoGroupEvent    *message,
                                        SottoMessageAction  action,
                                        const char         *author_name,
                                        const char         *id,
                                        const char         *text,
                                        gint64              sent_at)
{
  g_signal_emit (self, signals [MESSAGE_CHANGED], 0, group, message, action, author_name, id, text, sent_at);
}

/* GListModel */

static GType
list_get_item_type (GListModel *model)
{
  return SOTTO_TYPE_GROUP;
}

static guint
list_get_n_items (GListModel *model)
{
  return g_list_model_get_n_items (G_LIST_MODEL (SOTTO_GROUP_LIST (model)->groups));
}

static gpointer
list_get_item (GListModel *model,
               guint       position)
{
  return g_list_model_get_item (G_LIST_MODEL (SOTTO_GROUP_LIST (model)->groups), position);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = list_get_item_type;
  iface->get_n_items = list_get_n_items;
  iface->get_item = list_get_item;
}

static void
groups_changed_cb (GListModel     *model,
                   guint           position,
                   guint           removed,
                   guint           added,
                   SottoGroupList *self)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
}

static void
sotto_group_list_dispose (GObject *object)
{
  SottoGroupList *self = (SottoGroupList *)object;

  if (self->messenger != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->messenger), (gpointer *) &self->messenger);
  self->messenger = NULL;
  g_clear_handle_id (&self->outgoing_retry_source, g_source_remove);

  G_OBJECT_CLASS (sotto_group_list_parent_class)->dispose (object);
}

static void
sotto_group_list_finalize (GObject *object)
{
  SottoGroupList *self = (SottoGroupList *)object;

  g_clear_object (&self->store);
  g_clear_object (&self->account);
  g_clear_object (&self->conversations);
  g_clear_object (&self->outbox);
  g_clear_object (&self->client);
  g_clear_pointer (&self->protocol, _sotto_protocol_state_unref);
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->outgoing_busy, g_hash_table_unref);
  g_clear_object (&self->groups);

  G_OBJECT_CLASS (sotto_group_list_parent_class)->finalize (object);
}

static void
sotto_group_list_class_init (SottoGroupListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sotto_group_list_dispose;
  object_class->finalize = sotto_group_list_finalize;

  /**
   * SottoGroupList::event-received:
   * @self: the list
   * @group: the group
   * @event: what entered its timeline
   *
   * A member sent a message or changed the group, or a member's safety
   * number changed.
   */
  signals [EVENT_RECEIVED] =
    g_signal_new ("event-received",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 2, SOTTO_TYPE_GROUP, SOTTO_TYPE_GROUP_EVENT);

  /**
   * SottoGroupList::message-changed:
   * @self: the list
   * @group: the group
   * @message: the message as it is now
   * @action: what changed it
   * @author_name: (nullable): the username of the member who did it
   * @id: the id of the content that did it
   * @text: (nullable): the new text, or the emoji (%NULL when a reaction
   *   is taken away, and for a deletion)
   * @sent_at: when the member did it, in milliseconds since the epoch
   *
   * A member reacted to, edited or deleted a message of the group.
   */
  signals [MESSAGE_CHANGED] =
    g_signal_new ("message-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 7, SOTTO_TYPE_GROUP, SOTTO_TYPE_GROUP_EVENT, SOTTO_TYPE_MESSAGE_ACTION,
                  G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT64);

  /**
   * SottoGroupList::message-state-changed:
   * @self: the list
   * @group: the group
   * @message: the message as it is now
   *
   * The relay took a message this device sent for more members, or
   * could not: its #SottoGroupEvent.pending and #SottoGroupEvent.failed
   * say who still waits for it.
   */
  signals [MESSAGE_STATE_CHANGED] =
    g_signal_new ("message-state-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 2, SOTTO_TYPE_GROUP, SOTTO_TYPE_GROUP_EVENT);

  /**
   * SottoGroupList::group-removed:
   * @self: the list
   * @group: the group, no longer in the list
   *
   * The user declined a group request, or blocked whoever made it.
   */
  signals [GROUP_REMOVED] =
    g_signal_new ("group-removed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, SOTTO_TYPE_GROUP);
}

/* A message this device sent to the group @group_id changed state:
 * those who show it hear of it, if the group is in the list. */
void
_sotto_group_list_emit_outgoing_changed (SottoGroupList        *self,
                                         const char            *group_id,
                                         const SottoGroupEvent *message)
{
  SottoGroup *group = sotto_group_list_find (self, group_id);

  if (group != NULL)
    g_signal_emit (self, signals [MESSAGE_STATE_CHANGED], 0, group, message);
}

static void
sotto_group_list_init (SottoGroupList *self)
{
  self->groups = g_list_store_new (SOTTO_TYPE_GROUP);
  /* The reference each group is made with is the table's. */
  self->by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->outgoing_busy = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_queue_init (&self->outgoing_waiters);
  g_signal_connect_object (self->groups, "items-changed", G_CALLBACK (groups_changed_cb), self, 0);
}
