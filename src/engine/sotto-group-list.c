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

/* Changes and messages */

typedef struct
{
  /* What to do: an update of @action, the members it lists resolved
   * from @usernames. */
  SottoGroupAction action;
  char *group_id;
  char *title;
  GStrv usernames;
  guint n_resolved;
  GPtrArray *targets;
  char *message_id;
  gint64 timestamp;
  /* For an avatar update, the picture it sets, or %NULL to remove it. */
  GBytes *avatar;

  /* What the store's step made of it: the group after it, the update,
   * its timeline entry, and what is to be delivered to whom, as kept
   * until the relay accepted it (SottoGroupDelivery). */
  SottoGroupState *state;
  SottoGroupUpdate *update;
  SottoGroupEvent *event;
  GPtrArray *deliveries;
} Operation;

static void
operation_free (Operation *operation)
{
  g_free (operation->group_id);
  g_free (operation->title);
  g_strfreev (operation->usernames);
  g_ptr_array_unref (operation->targets);
  g_free (operation->message_id);
  g_clear_pointer (&operation->avatar, g_bytes_unref);
  _sotto_group_state_free (operation->state);
  _sotto_group_update_free (operation->update);
  g_clear_pointer (&operation->event, sotto_group_event_free);
  g_clear_pointer (&operation->deliveries, g_ptr_array_unref);
  g_free (operation);
}

static GTask *
operation_new (SottoGroupList      *self,
               gpointer             source_tag,
               const char          *group_id,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Operation *operation = g_new0 (Operation, 1);

  operation->group_id = g_strdup (group_id);
  operation->targets = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_member_free);
  operation->message_id = g_uuid_string_random ();
  operation->timestamp = _sotto_now_ms ();
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, operation, (GDestroyNotify) operation_free);

  return task;
}

/* Who an update goes to: every member after it, and for a removal or
 * a leave everyone who was a member before it too, so that the member
 * who goes learns it.  Never this account. */
static GStrv
update_recipients (SottoGroupState *before,
                   SottoGroupState *after,
                   const char      *own_uuid)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *recipients = g_ptr_array_new ();
  SottoGroupState *states[] = { before, after };

  for (guint s = 0; s < G_N_ELEMENTS (states); s++)
    {
      for (guint i = 0; i < states[s]->members->len; i++)
        {
          SottoGroupMember *member = g_ptr_array_index (states[s]->members, i);

          if (g_ascii_strcasecmp (member->uuid, own_uuid) != 0 && g_hash_table_add (seen, member->uuid))
            g_ptr_array_add (recipients, g_strdup (member->uuid));
        }
    }
  g_ptr_array_add (recipients, NULL);

  return (GStrv) g_ptr_array_free (recipients, FALSE);
}

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
 * must be a member of, and its row. */
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

  if (_sotto_group_state_find_member (state, sotto_account_get_uuid (self->account)) == NULL)
    {
      _sotto_group_list_refuse (error, _("You are not a member of this group"));
      return NULL;
    }

  return g_steal_pointer (&state);
}

/* Makes the operation's update against @before, checks it against the
 * rules, and adds it to the history. */
static gboolean
make_update (SottoGroupList   *self,
             Operation        *operation,
             SottoGroupState  *before,
             GError          **error)
{
  const char *own_uuid = sotto_account_get_uuid (self->account);
  const SpKeyPair *identity = sotto_account_get_identity_key_pair (self->account);
  g_autoptr(SottoGroupUpdate) update = NULL;
  g_autoptr(GPtrArray) one = g_ptr_array_new ();
  const SottoGroupMember *own;

  if (before->history->len == SOTTO_GROUP_MAX_UPDATES)
    return _sotto_group_list_refuse (error, _("The group cannot change any more"));

  /* Others check this account's updates against the key that the group
   * records for it: after a reset, an admin must record the new one. */
  own = _sotto_group_state_find_member (before, own_uuid);
  if (own != NULL && own->has_identity
      && memcmp (own->identity, identity->public_key.bytes, SP_PUBLIC_KEY_SIZE) != 0)
    return _sotto_group_list_refuse (error, _("The group does not know your new safety number yet: "
                                              "an admin’s device records it once it hears from you"));

  update = _sotto_group_update_new (operation->action, 1, own_uuid, operation->timestamp, operation->title);
  if (operation->action != SOTTO_GROUP_ACTION_CREATE)
    _sotto_group_state_follow (before, update);
  if (operation->action == SOTTO_GROUP_ACTION_CREATE)
    {
      SottoGroupMember *creator = _sotto_group_member_new (own_uuid, sotto_account_get_username (self->account), TRUE);

      _sotto_group_member_set_identity (creator, identity->public_key.bytes);
      g_ptr_array_add (update->members, creator);
    }
  for (guint i = 0; i < operation->targets->len; i++)
    g_ptr_array_add (update->members, _sotto_group_member_copy (g_ptr_array_index (operation->targets, i)));
  if (operation->avatar != NULL)
    _sotto_group_update_set_avatar (update, operation->avatar);

  if (!_sotto_group_update_is_valid (update))
    return _sotto_group_list_refuse (error, operation->action == SOTTO_GROUP_ACTION_CREATE && update->members->len > SOTTO_GROUP_MAX_MEMBERS
                          ? _("A group has too many members")
                          : _("The group change is not valid"));
  if (!_sotto_group_state_allows (before, update))
    {
      switch (operation->action)
        {
        case SOTTO_GROUP_ACTION_ADD:
          return _sotto_group_list_refuse (error, _sotto_group_state_find_member (before, own_uuid)->admin
                                ? _("They are in the group already, or it is full")
                                : _("Only the group’s admins can add members"));
        case SOTTO_GROUP_ACTION_REMOVE:
        case SOTTO_GROUP_ACTION_PROMOTE:
        case SOTTO_GROUP_ACTION_DEMOTE:
          return _sotto_group_list_refuse (error, _sotto_group_state_find_member (before, own_uuid)->admin
                                ? _("They are not a member of the group, or are one already")
                                : _("Only the group’s admins can change its members"));
        case SOTTO_GROUP_ACTION_AVATAR:
          return _sotto_group_list_refuse (error, _("Only the group’s admins can change its picture"));
        default:
          return _sotto_group_list_refuse (error, _("Only the group’s admins can rename it"));
        }
    }

  /* The recipients are part of the update: a member who receives it
   * knows who else did (the catch-up rule in docs/messenger.md). */
  {
    g_autoptr(SottoGroupState) after = _sotto_group_state_copy (before);

    _sotto_group_update_sign (update, before->id, &identity->private_key);
    g_ptr_array_add (one, update);
    _sotto_group_state_merge (after, one);
    g_strfreev (update->recipients);
    update->recipients = update_recipients (before, after, own_uuid);
    _sotto_group_update_sign (update, before->id, &identity->private_key);
  }

  _sotto_group_state_merge (before, one);
  operation->update = g_steal_pointer (&update);

  return TRUE;
}

static SottoContent *
history_content (SottoGroupList  *self,
                 SottoGroupState *state)
{
  g_autofree char *id = g_uuid_string_random ();
  SottoContent *content;

  content = sotto_content_new_group_update (id, _sotto_now_ms (), sotto_account_get_username (self->account),
                                            state->id, state->history);
  /* The group's picture goes with its history (sotto-content-group.c). */
  if (state->avatar != NULL)
    content->group_avatar = g_bytes_ref (state->avatar);

  return content;
}

/* Keeps what the operation's update makes to be delivered, in its
 * transaction: the update to each of its recipients, and to a member it
 * adds the group's whole history. */
static gboolean
keep_deliveries (SottoGroupList   *self,
                 Operation        *operation,
                 SottoGroupState  *state,
                 gint64            row,
                 GError          **error)
{
  const SottoGroupMember *added = NULL;
  g_autoptr(GPtrArray) one = g_ptr_array_new ();
  g_autoptr(SottoContent) update_content = NULL;
  g_autoptr(SottoContent) joining_content = NULL;
  g_autoptr(GBytes) update_plaintext = NULL;
  g_autoptr(GBytes) joining_plaintext = NULL;

  if (operation->update->action == SOTTO_GROUP_ACTION_ADD)
    added = g_ptr_array_index (operation->update->members, 0);
  g_ptr_array_add (one, operation->update);
  update_content = sotto_content_new_group_update (operation->message_id, operation->timestamp,
                                                   sotto_account_get_username (self->account),
                                                   operation->group_id, one);
  if (operation->avatar != NULL)
    update_content->group_avatar = g_bytes_ref (operation->avatar);
  update_plaintext = sotto_content_encode (update_content);
  if (added != NULL)
    {
      joining_content = history_content (self, state);
      joining_plaintext = sotto_content_encode (joining_content);
    }

  operation->deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_delivery_free);
  for (guint i = 0; operation->update->recipients[i] != NULL; i++)
    {
      const char *uuid = operation->update->recipients[i];
      const SottoGroupMember *member = _sotto_group_state_find_member (state, uuid);
      gboolean joining = added != NULL && g_ascii_strcasecmp (added->uuid, uuid) == 0;
      const char *username = member != NULL ? member->username : NULL;
      SottoGroupDelivery *delivery;

      /* A removed member is no longer listed; the update names it. */
      if (username == NULL && operation->update->members->len == 1)
        username = ((SottoGroupMember *) g_ptr_array_index (operation->update->members, 0))->username;

      delivery = _sotto_store_add_group_delivery (self->store, row, uuid, username,
                                                  joining ? joining_plaintext : update_plaintext,
                                                  joining ? joining_content->timestamp : operation->timestamp,
                                                  error);
      if (delivery == NULL)
        return FALSE;
      g_ptr_array_add (operation->deliveries, delivery);
    }

  return TRUE;
}

static gboolean
apply_in_transaction (SottoGroupList  *self,
                      gpointer         data,
                      GError         **error)
{
  Operation *operation = data;
  g_autoptr(SottoGroupState) state = NULL;
  gint64 row = 0;

  /* A new group gets its id once its creation is made. */
  if (operation->action == SOTTO_GROUP_ACTION_CREATE)
    state = _sotto_group_state_new ("");
  else
    state = _sotto_group_list_load_member_group (self, operation->group_id, &row, error);
  if (state == NULL)
    return FALSE;

  if (!make_update (self, operation, state, error))
    return FALSE;
  if (operation->avatar != NULL)
    _sotto_group_state_set_avatar (state, operation->avatar);
  /* A new group's id names its creation (sotto-content-group.c). */
  if (operation->action == SOTTO_GROUP_ACTION_CREATE)
    {
      g_free (operation->group_id);
      operation->group_id = _sotto_group_update_group_id (operation->update);
      g_free (state->id);
      state->id = g_strdup (operation->group_id);
    }
  if (!_sotto_store_save_group (self->store, state, &row, error))
    return FALSE;
  operation->event = _sotto_group_update_event (operation->update, sotto_account_get_username (self->account),
                                                TRUE);
  if (!keep_deliveries (self, operation, state, row, error))
    return FALSE;

  /* A member went: the next message starts a new sender key, which
   * goes only to the members then. */
  if ((operation->action == SOTTO_GROUP_ACTION_REMOVE || operation->action == SOTTO_GROUP_ACTION_LEAVE)
      && !_sotto_store_rotate_group_own_key (self->store, row, error))
    return FALSE;

  if (!_sotto_store_add_group_event (self->store, row, operation->event, error))
    return FALSE;

  operation->state = g_steal_pointer (&state);
  return TRUE;
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

static void
apply_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  _sotto_group_list_run_in_transaction (task, apply_in_transaction);
}

static void
changes_delivered_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoGroupList *self = g_task_get_source_object (task);
  Operation *operation = g_task_get_task_data (task);
  GError *error = NULL;

  if (!_sotto_group_list_deliver_stored_finish (self, result, &error))
    g_task_return_error (task, error);
  else if (operation->action == SOTTO_GROUP_ACTION_CREATE)
    g_task_return_pointer (task, g_object_ref (sotto_group_list_find (self, operation->group_id)), g_object_unref);
  else
    g_task_return_boolean (task, TRUE);
}

static void
applied_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoGroupList *self = g_task_get_source_object (task);
  Operation *operation = g_task_get_task_data (task);

  if (!_sotto_task_propagate_step (task, result))
    return;

  _sotto_group_list_show_state (self, g_steal_pointer (&operation->state));
  _sotto_group_list_deliver_stored_async (self, operation->deliveries, changes_delivered_cb,
                                          g_steal_pointer (&task));
}

static void
operation_apply (GTask *task)
{
  SottoGroupList *self = g_task_get_source_object (task);

  _sotto_task_run_step (task, self->store, apply_thread, applied_cb);
}

static void resolve_next (GTask *task);

/* Adds @conversation's contact to the operation's targets; a member that
 * the group is to let in comes with the identity key its updates are to
 * be signed with, as this account holds it. */
static void
add_target (GTask             *task,
            SottoConversation *conversation)
{
  Operation *operation = g_task_get_task_data (task);
  SottoContact *contact = sotto_conversation_get_contact (conversation);
  GBytes *identity = sotto_contact_get_identity_key (contact);
  SottoGroupMember *target;

  target = _sotto_group_member_new (sotto_contact_get_uuid (contact), sotto_contact_get_username (contact), FALSE);
  g_ptr_array_add (operation->targets, target);
  if (operation->action == SOTTO_GROUP_ACTION_CREATE || operation->action == SOTTO_GROUP_ACTION_ADD)
    {
      if (identity == NULL || g_bytes_get_size (identity) != SP_PUBLIC_KEY_SIZE)
        {
          g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                                   _("Could not find %s’s safety number"), sotto_contact_get_username (contact));
          return;
        }
      _sotto_group_member_set_identity (target, g_bytes_get_data (identity, NULL));
    }

  operation->n_resolved++;
  resolve_next (task);
}

static void
identity_fetched_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(SottoConversation) conversation = g_object_steal_data (G_OBJECT (task), "conversation");
  GError *error = NULL;

  if (!sotto_messenger_fetch_identity_finish (SOTTO_MESSENGER (object), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  add_target (task, conversation);
}

static void
resolved_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Operation *operation = g_task_get_task_data (task);
  g_autoptr(SottoConversation) conversation = NULL;
  GError *error = NULL;

  conversation = sotto_messenger_open_conversation_finish (SOTTO_MESSENGER (object), result, &error);
  if (conversation == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* Someone never written to: the relay's keys give a session, and
   * with it the identity key, shown as the 1:1 conversation shows it. */
  if ((operation->action == SOTTO_GROUP_ACTION_CREATE || operation->action == SOTTO_GROUP_ACTION_ADD)
      && sotto_contact_get_identity_key (sotto_conversation_get_contact (conversation)) == NULL)
    {
      g_object_set_data_full (G_OBJECT (task), "conversation", g_object_ref (conversation), g_object_unref);
      sotto_messenger_fetch_identity_async (SOTTO_MESSENGER (object), conversation, g_task_get_cancellable (task),
                                            identity_fetched_cb, g_object_ref (task));
      return;
    }

  add_target (task, conversation);
}

/* Finds the account of each of the operation's usernames, as a 1:1
 * conversation does, then applies it. */
static void
resolve_next (GTask *task)
{
  SottoGroupList *self = g_task_get_source_object (task);
  Operation *operation = g_task_get_task_data (task);
  const char *username;

  if (operation->usernames == NULL || operation->usernames[operation->n_resolved] == NULL)
    {
      operation_apply (task);
      return;
    }

  username = operation->usernames[operation->n_resolved];
  if (self->messenger == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The account was closed"));
      return;
    }
  if (g_strcmp0 (username, sotto_account_get_username (self->account)) == 0)
    {
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                               _("You are in the group already"));
      return;
    }

  sotto_messenger_open_conversation_async (self->messenger, username, g_task_get_cancellable (task),
                                           resolved_cb, g_object_ref (task));
}

/**
 * sotto_group_list_create_async:
 * @self: a #SottoGroupList
 * @title: the group's title
 * @usernames: the other members
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the group was stored and the relay accepted
 *   its creation for every member
 * @user_data: data for @callback
 *
 * Creates a group with this account as its admin.
 */
void
sotto_group_list_create_async (SottoGroupList      *self,
                               const char          *title,
                               const char * const  *usernames,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Operation *operation;

  g_return_if_fail (SOTTO_IS_GROUP_LIST (self));
  g_return_if_fail (title != NULL && usernames != NULL);

  /* The group's id comes from its creation, once it is made. */
  task = operation_new (self, sotto_group_list_create_async, NULL, cancellable, callback, user_data);
  operation = g_task_get_task_data (task);
  operation->action = SOTTO_GROUP_ACTION_CREATE;
  operation->title = g_strdup (title);
  operation->usernames = g_strdupv ((GStrv) usernames);

  if (!_sotto_group_title_is_valid (title))
    {
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                               _("A group’s title is 1 to %u bytes of text"), SOTTO_GROUP_MAX_TITLE);
      return;
    }
  if (g_strv_length ((GStrv) usernames) >= SOTTO_GROUP_MAX_MEMBERS)
    {
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                               _("A group has at most %u members"), SOTTO_GROUP_MAX_MEMBERS);
      return;
    }

  resolve_next (task);
}

/**
 * sotto_group_list_create_finish:
 * @self: a #SottoGroupList
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the new group
 */
SottoGroup *
sotto_group_list_create_finish (SottoGroupList  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  return _sotto_task_propagate_pointer (self, result, sotto_group_list_create_async, error);
}

/* A change of @action to @group, about @username, @title or (for the
 * picture) @avatar. */
static void
change_async (SottoGroupList      *self,
              SottoGroup          *group,
              SottoGroupAction     action,
              const char          *username,
              const char          *title,
              GBytes              *avatar,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Operation *operation;

  g_return_if_fail (SOTTO_IS_GROUP_LIST (self));
  g_return_if_fail (SOTTO_IS_GROUP (group));

  task = operation_new (self, change_async, sotto_group_get_id (group), cancellable, callback, user_data);
  operation = g_task_get_task_data (task);
  operation->action = action;
  operation->title = g_strdup (title);
  operation->avatar = avatar != NULL ? g_bytes_ref (avatar) : NULL;
  if (username != NULL)
    operation->usernames = g_strdupv ((GStrv) (const char *[]) { username, NULL });

  if (action == SOTTO_GROUP_ACTION_RENAME && !_sotto_group_title_is_valid (title))
    {
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                               _("A group’s title is 1 to %u bytes of text"), SOTTO_GROUP_MAX_TITLE);
      return;
    }

  resolve_next (task);
}

void
sotto_group_list_add_member_async (SottoGroupList      *self,
                                   SottoGroup          *group,
                                   const char          *username,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (username != NULL);

  change_async (self, group, SOTTO_GROUP_ACTION_ADD, username, NULL, NULL, cancellable, callback, user_data);
}

void
sotto_group_list_remove_member_async (SottoGroupList      *self,
                                      SottoGroup          *group,
                                      const char          *username,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (username != NULL);

  change_async (self, group, SOTTO_GROUP_ACTION_REMOVE, username, NULL, NULL, cancellable, callback, user_data);
}

void
sotto_group_list_set_admin_async (SottoGroupList      *self,
                                  SottoGroup          *group,
                                  const char          *username,
                                  gboolean             admin,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (username != NULL);

  change_async (self, group, admin ? SOTTO_GROUP_ACTION_PROMOTE : SOTTO_GROUP_ACTION_DEMOTE, username, NULL, NULL,
                cancellable, callback, user_data);
}

void
sotto_group_list_leave_async (SottoGroupList      *self,
                              SottoGroup          *group,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  change_async (self, group, SOTTO_GROUP_ACTION_LEAVE, NULL, NULL, NULL, cancellable, callback, user_data);
}

void
sotto_group_list_rename_async (SottoGroupList      *self,
                               SottoGroup          *group,
                               const char          *title,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (title != NULL);

  change_async (self, group, SOTTO_GROUP_ACTION_RENAME, NULL, title, NULL, cancellable, callback, user_data);
}

/* Sets the picture of @group to @picture, made small enough already
 * (sotto-group-avatar.c), or removes it when %NULL; finish with
 * sotto_group_list_change_finish(). */
void
_sotto_group_list_change_avatar_async (SottoGroupList      *self,
                                       SottoGroup          *group,
                                       GBytes              *picture,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  change_async (self, group, SOTTO_GROUP_ACTION_AVATAR, NULL, NULL, picture, cancellable, callback, user_data);
}

/**
 * sotto_group_list_change_finish:
 * @self: a #SottoGroupList
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Finishes adding, removing, leaving, renaming and changing admins.
 *
 * Returns: %TRUE once the change was stored and the relay accepted it
 *   for every member it goes to
 */
gboolean
sotto_group_list_change_finish (SottoGroupList  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  return _sotto_task_propagate_boolean (self, result, change_async, error);
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
  self->by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->outgoing_busy = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_queue_init (&self->outgoing_waiters);
  g_signal_connect_object (self->groups, "items-changed", G_CALLBACK (groups_changed_cb), self, 0);
}
