/* sotto-group-list-timeline.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group"

#include "config.h"

#include <string.h>

#include "sotto-account.h"
#include "sotto-contact.h"
#include "sotto-engine-private.h"
#include "sotto-conversation.h"
#include "sotto-group-private.h"
#include "sotto-group-list-internal-private.h"
#include "sotto-store-groups-private.h"

/* A group's timeline: reading it, and the members' key changes that
 * enter it beside messages and changes. */

/* The timeline */

typedef struct
{
  char *group_id;
  guint limit;
} EventsQuery;

static void
events_query_free (EventsQuery *query)
{
  g_free (query->group_id);
  g_free (query);
}

static void
load_events_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  SottoGroupList *self = source_object;
  EventsQuery *query = task_data;
  g_autoptr(SottoGroupState) state = NULL;
  GError *error = NULL;
  GPtrArray *events;
  gint64 row = 0;

  state = _sotto_store_load_group (_sotto_group_list_get_store (self), query->group_id, &row, &error);
  if (state == NULL)
    {
      if (error == NULL)
        events = g_ptr_array_new ();
      else
        {
          g_task_return_error (task, error);
          return;
        }
    }
  else
    {
      events = _sotto_store_load_group_events (_sotto_group_list_get_store (self), row, query->limit, &error);
      if (events == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
    }

  g_task_return_pointer (task, events, (GDestroyNotify) g_ptr_array_unref);
}

/**
 * sotto_group_list_load_events_async:
 * @self: a #SottoGroupList
 * @group: a group
 * @limit: how many of the newest entries to read
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the entries
 * @user_data: data for @callback
 *
 * Reads the newest entries of the group's timeline: its messages, its
 * changes, and its members' key changes.
 */
void
sotto_group_list_load_events_async (SottoGroupList      *self,
                                    SottoGroup          *group,
                                    guint                limit,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  EventsQuery *query;

  g_return_if_fail (SOTTO_IS_GROUP_LIST (self));
  g_return_if_fail (SOTTO_IS_GROUP (group));

  query = g_new0 (EventsQuery, 1);
  query->group_id = g_strdup (sotto_group_get_id (group));
  query->limit = limit;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_group_list_load_events_async);
  g_task_set_task_data (task, query, (GDestroyNotify) events_query_free);
  _sotto_store_run_in_thread (_sotto_group_list_get_store (self), task, load_events_thread);
}

/**
 * sotto_group_list_load_events_finish:
 * @self: a #SottoGroupList
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full) (element-type SottoGroupEvent): the entries,
 *   oldest first
 */
GPtrArray *
sotto_group_list_load_events_finish (SottoGroupList  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  return _sotto_task_propagate_pointer (self, result, sotto_group_list_load_events_async, error);
}

/* Reading */

typedef struct
{
  char *group_id;
  char *author;
  char *event_id;
  guint unread_count;
} ReadMark;

static void
read_mark_free (ReadMark *mark)
{
  g_free (mark->group_id);
  g_free (mark->author);
  g_free (mark->event_id);
  g_free (mark);
}

static gboolean
mark_read_in_transaction (SottoGroupList  *self,
                          gpointer         data,
                          GError         **error)
{
  ReadMark *mark = data;
  g_autoptr(SottoGroupState) state = NULL;
  gint64 row = 0;

  /* A group this account left keeps its timeline, which reads too. */
  state = _sotto_group_list_load_group (self, mark->group_id, &row, error);
  if (state == NULL)
    return FALSE;

  return _sotto_store_mark_group_read (self->store, row, mark->author, mark->event_id, error)
         && _sotto_store_count_group_unread (self->store, mark->group_id, &mark->unread_count, error);
}

static void
mark_read_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  _sotto_group_list_run_in_transaction (task, mark_read_in_transaction);
}

static void
mark_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoGroupList *self = g_task_get_source_object (task);
  ReadMark *mark = g_task_get_task_data (task);
  SottoGroup *group;

  if (!_sotto_task_propagate_step (task, result))
    return;

  group = sotto_group_list_find (self, mark->group_id);
  if (group != NULL)
    _sotto_group_set_unread_count (group, mark->unread_count);
  g_task_return_boolean (task, TRUE);
}

/**
 * sotto_group_list_mark_read_async:
 * @self: a #SottoGroupList
 * @group: a group
 * @up_to: (nullable): the newest entry read, or %NULL for all of them
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once it is stored
 * @user_data: data for @callback
 *
 * Marks the members' messages in the group's timeline read, up to and
 * with @up_to in the timeline's order, which updates
 * #SottoGroup:unread-count.  No receipt goes: groups have none.
 */
void
sotto_group_list_mark_read_async (SottoGroupList        *self,
                                  SottoGroup            *group,
                                  const SottoGroupEvent *up_to,
                                  GCancellable          *cancellable,
                                  GAsyncReadyCallback    callback,
                                  gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  ReadMark *mark;

  g_return_if_fail (SOTTO_IS_GROUP_LIST (self));
  g_return_if_fail (SOTTO_IS_GROUP (group));

  mark = g_new0 (ReadMark, 1);
  mark->group_id = g_strdup (sotto_group_get_id (group));
  if (up_to != NULL)
    {
      mark->author = g_strdup (up_to->author);
      mark->event_id = g_strdup (up_to->id);
    }

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_group_list_mark_read_async);
  g_task_set_task_data (task, mark, (GDestroyNotify) read_mark_free);
  _sotto_task_run_step (task, self->store, mark_read_thread, mark_read_cb);
}

gboolean
sotto_group_list_mark_read_finish (SottoGroupList  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  return _sotto_task_propagate_boolean (self, result, sotto_group_list_mark_read_async, error);
}

/* The newest entry, which the conversation list shows and orders by */

static void
last_event_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  SottoGroupList *self = source_object;
  g_autoptr(SottoGroupState) state = NULL;
  g_autoptr(GPtrArray) events = NULL;
  GError *error = NULL;
  gint64 row = 0;

  state = _sotto_store_load_group (_sotto_group_list_get_store (self), task_data, &row, &error);
  if (state != NULL)
    events = _sotto_store_load_group_events (_sotto_group_list_get_store (self), row, 1, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else if (events == NULL || events->len == 0)
    g_task_return_pointer (task, NULL, NULL);
  else
    g_task_return_pointer (task, g_ptr_array_steal_index (events, 0), (GDestroyNotify) sotto_group_event_free);
}

static void
last_event_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  SottoGroupList *self = SOTTO_GROUP_LIST (object);
  g_autoptr(SottoGroupEvent) event = NULL;
  g_autoptr(GError) error = NULL;
  SottoGroup *group;

  /* A store closed meanwhile (the process is ending) has nothing to
   * show any more. */
  event = g_task_propagate_pointer (G_TASK (result), &error);
  if (error != NULL)
    {
      if (!g_error_matches (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CLOSED))
        g_warning ("Could not read a group’s newest message: %s", error->message);
      return;
    }

  group = sotto_group_list_find (self, g_task_get_task_data (G_TASK (result)));
  if (event != NULL && group != NULL)
    _sotto_group_set_last_event (group, event);
}

/* Reads the newest entry of @group's timeline from the store: after
 * loading, and after this device added one (a message it sent, a
 * change it made), which it learns of only as the group's new state. */
void
_sotto_group_list_refresh_last_event (SottoGroupList *self,
                                      SottoGroup     *group)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, last_event_cb, NULL);

  g_task_set_task_data (task, g_strdup (sotto_group_get_id (group)), g_free);
  _sotto_store_run_in_thread (_sotto_group_list_get_store (self), task, last_event_thread);
}

/* Members' key changes */

/* Shows @event, the key change of a member of the group @state that is
 * stored at @row, in its timeline, and keeps for the member what it may
 * have lost with its old key: its copy of this device's sender key is
 * forgotten, so that the next message shares it again on the new
 * session, and it is caught up on the group as this account knows it
 * (all of it, from an admin), since updates that waited for it under
 * its old key opened nothing.  The catch-up, if any, is added to
 * @deliveries. */
static gboolean
keep_key_change (SottoStore       *store,
                 SottoGroupState  *state,
                 gint64            row,
                 const char       *own_uuid,
                 SottoGroupEvent  *event,
                 GPtrArray        *deliveries,
                 GError          **error)
{
  const SottoGroupMember *own = _sotto_group_state_find_member (state, own_uuid);

  if (!_sotto_store_add_group_event (store, row, event, error))
    return FALSE;

  return own == NULL
         || (_sotto_store_set_group_key_shared (store, row, event->author, FALSE, error)
             && _sotto_group_keep_catch_up (store, state, row, own_uuid, own->username, event->author, deliveries,
                                            error));
}

/* An admin records a member's new identity key, @identity, in the group
 * @state stored at @row, so that the others take the member's updates
 * signed with it (sotto-group-state.c): the key update goes to every
 * other member, kept in the transaction that makes it, and @news gets
 * the group after it, its timeline entry and its deliveries.  Nothing
 * happens when this account is no admin, the group has the key, or the
 * group is a request: a stranger who made this account an admin would
 * otherwise make it send whenever the stranger's other accounts reset
 * their keys. */
static gboolean
keep_key_update (SottoProtocolState  *protocol,
                 SottoGroupState     *state,
                 gint64               row,
                 const char          *uuid,
                 const guint8         identity[SP_PUBLIC_KEY_SIZE],
                 SottoGroupNews      *news,
                 GError             **error)
{
  const SottoGroupMember *own = _sotto_group_state_find_member (state, protocol->local_name);
  const SottoGroupMember *member = _sotto_group_state_find_member (state, uuid);
  g_autoptr(SottoGroupUpdate) update = NULL;
  g_autoptr(SottoContent) content = NULL;
  g_autoptr(GPtrArray) one = g_ptr_array_new ();
  g_autoptr(GPtrArray) recipients = g_ptr_array_new ();
  g_autoptr(GBytes) plaintext = NULL;
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *own_username = NULL;
  SottoGroupMember *target;
  SottoGroupEvent *event;

  if (own == NULL || !own->admin || member == NULL || state->request
      || state->history->len == SOTTO_GROUP_MAX_UPDATES
      || (member->has_identity && memcmp (member->identity, identity, SP_PUBLIC_KEY_SIZE) == 0))
    return TRUE;

  own_username = g_strdup (own->username);
  update = _sotto_group_update_new (SOTTO_GROUP_ACTION_KEY, 1, protocol->local_name, _sotto_now_ms (), NULL);
  _sotto_group_state_follow (state, update);
  target = _sotto_group_member_new (member->uuid, member->username, FALSE);
  _sotto_group_member_set_identity (target, identity);
  g_ptr_array_add (update->members, target);
  for (guint i = 0; i < state->members->len; i++)
    {
      SottoGroupMember *recipient = g_ptr_array_index (state->members, i);

      if (recipient != own)
        g_ptr_array_add (recipients, g_strdup (recipient->uuid));
    }
  g_ptr_array_add (recipients, NULL);
  g_strfreev (update->recipients);
  update->recipients = (GStrv) g_ptr_array_free (g_steal_pointer (&recipients), FALSE);
  _sotto_group_update_sign (update, state->id, &protocol->identity->private_key);

  g_ptr_array_add (one, update);
  _sotto_group_state_merge (state, one);
  event = _sotto_group_update_event (update, own_username, TRUE);
  g_ptr_array_add (news->events, event);
  if (!_sotto_store_save_group (protocol->store, state, &row, error)
      || !_sotto_store_add_group_event (protocol->store, row, event, error))
    return FALSE;

  content = sotto_content_new_group_update (id, update->timestamp, own_username, state->id, one);
  plaintext = sotto_content_encode (content);
  for (guint i = 0; update->recipients[i] != NULL; i++)
    {
      const SottoGroupMember *recipient = _sotto_group_state_find_member (state, update->recipients[i]);
      SottoGroupDelivery *delivery;

      delivery = _sotto_store_add_group_delivery (protocol->store, row, recipient->uuid, recipient->username,
                                                  plaintext, update->timestamp, error);
      if (delivery == NULL)
        return FALSE;
      g_ptr_array_add (news->deliveries, delivery);
    }

  return TRUE;
}

/* Runs on the store's thread, in a transaction: the account @uuid has
 * the new identity key @identity_key.  Unless @stamp is -1, every group
 * it is in shows the change at @stamp and keeps a catch-up for it;
 * where this account is an admin, it records the new key in the group
 * too, unless the key is @held until the user verifies or accepts it.
 * @news gets what to show for each group (SottoGroupNews). */
static gboolean
keep_key_changes (SottoProtocolState  *protocol,
                  const char          *uuid,
                  GBytes              *identity_key,
                  gboolean             held,
                  gint64               stamp,
                  GPtrArray           *news,
                  GError             **error)
{
  g_autoptr(GPtrArray) groups = _sotto_store_list_groups (protocol->store, error);

  if (groups == NULL)
    return FALSE;

  for (guint i = 0; i < groups->len; i++)
    {
      SottoGroupState *listed = g_ptr_array_index (groups, i);
      const SottoGroupMember *member = _sotto_group_state_find_member (listed, uuid);
      g_autoptr(SottoGroupState) state = NULL;
      SottoGroupNews *group_news;
      gint64 row = 0;

      if (member == NULL)
        continue;

      state = _sotto_store_load_group (protocol->store, listed->id, &row, error);
      if (state == NULL)
        return FALSE;

      group_news = _sotto_group_news_new (NULL);
      g_ptr_array_add (news, group_news);
      if (stamp >= 0)
        {
          g_autofree char *id = g_uuid_string_random ();
          SottoGroupEvent *event = sotto_group_event_new (SOTTO_GROUP_EVENT_KEY_CHANGE, id, FALSE, member->uuid,
                                                          member->username, NULL, NULL, stamp);

          g_ptr_array_add (group_news->events, event);
          if (!keep_key_change (protocol->store, state, row, protocol->local_name, event, group_news->deliveries,
                                error))
            return FALSE;
        }
      if (!held && g_bytes_get_size (identity_key) == SP_PUBLIC_KEY_SIZE
          && !keep_key_update (protocol, state, row, uuid, g_bytes_get_data (identity_key, NULL), group_news, error))
        return FALSE;
      group_news->state = g_steal_pointer (&state);
    }

  return TRUE;
}

/* Runs on the store's thread, inside the inbox's transaction that
 * recorded a new identity key, @identity_key, for the account @uuid,
 * which came with a message its author sent at @sent_at.  Every group
 * the account is in shows the change just before that message in the
 * timeline's order (the change is learnt on receipt, but the group's
 * messages sort by when they were sent, and those under the new key
 * must come after it), in the same transaction as the key, so that
 * nothing is lost if the process ends once it committed (see
 * keep_key_changes(); @held: the key waits for the user).  @news gets
 * what to show for each group (SottoGroupNews), or %NULL. */
gboolean
_sotto_group_key_changed_thread (SottoProtocolState  *protocol,
                                 const char          *uuid,
                                 GBytes              *identity_key,
                                 gboolean             held,
                                 gint64               sent_at,
                                 GPtrArray          **news,
                                 GError             **error)
{
  g_autoptr(GPtrArray) shown = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_news_free);

  *news = NULL;
  if (!keep_key_changes (protocol, uuid, identity_key, held, MAX (sent_at, 1) - 1, shown, error))
    return FALSE;

  if (shown->len > 0)
    *news = g_steal_pointer (&shown);
  return TRUE;
}

/* Shows, once the transaction committed, what keep_key_changes() kept;
 * the catch-ups and key updates then go. */
void
_sotto_group_list_key_changed (SottoGroupList *self,
                               GPtrArray      *news)
{
  for (guint i = 0; i < news->len; i++)
    _sotto_group_list_received (self, g_ptr_array_index (news, i));
}

/* A key change found out on this device's own (when sending, the relay
 * answered with the new key, or when the user ended a hold on it) has
 * no message to come before: it is kept in a transaction of its own. */

typedef struct
{
  char *uuid;
  GBytes *identity_key;
  gboolean held;
  gint64 stamp;
  GPtrArray *news;
} KeyChange;

static void
key_change_free (KeyChange *change)
{
  g_free (change->uuid);
  g_bytes_unref (change->identity_key);
  g_ptr_array_unref (change->news);
  g_free (change);
}

static gboolean
key_change_in_transaction (SottoGroupList  *self,
                           gpointer         data,
                           GError         **error)
{
  KeyChange *change = data;

  return keep_key_changes (self->protocol, change->uuid, change->identity_key, change->held, change->stamp,
                           change->news, error);
}

static void
key_change_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  _sotto_group_list_run_in_transaction (task, key_change_in_transaction);
}

static void
key_change_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  SottoGroupList *self = SOTTO_GROUP_LIST (object);
  KeyChange *change = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CLOSED))
        g_warning ("Could not show a member’s key change in a group: %s", error->message);
      return;
    }

  _sotto_group_list_key_changed (self, change->news);
}

static void
keep_key_change_async (SottoGroupList *self,
                       SottoContact   *contact,
                       gboolean        shown)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, key_change_cb, NULL);
  GBytes *identity_key = sotto_contact_get_identity_key (contact);
  KeyChange *change;

  if (identity_key == NULL)
    return;

  change = g_new0 (KeyChange, 1);
  change->uuid = g_strdup (sotto_contact_get_uuid (contact));
  change->identity_key = g_bytes_ref (identity_key);
  change->held = sotto_contact_get_verification_state (contact) == SOTTO_VERIFICATION_STATE_CHANGED;
  change->stamp = shown ? _sotto_now_ms () : -1;
  change->news = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_news_free);
  g_task_set_task_data (task, change, (GDestroyNotify) key_change_free);
  _sotto_store_run_in_thread (self->store, task, key_change_thread);
}

/* A member's safety number changed when sending to it: each group it is
 * in shows it, as its 1:1 conversation does, and catches it up on its
 * new key (a change that came with a message is the inbox's, in
 * _sotto_group_key_changed_thread()).  Whether messages to it are held
 * is the contact's, and holds its group messages and catch-ups too,
 * until the user verifies or accepts the new key
 * (_sotto_group_list_watch_holds()). */
void
_sotto_group_list_identity_changed_cb (SottoOutbox       *outbox,
                                       SottoConversation *conversation,
                                       SottoGroupList    *self)
{
  keep_key_change_async (self, sotto_conversation_get_contact (conversation), TRUE);
}

/* The user verified or accepted the new key of @contact, which was held:
 * where this account is an admin, the groups record it now. */
void
_sotto_group_list_record_key (SottoGroupList *self,
                              SottoContact   *contact)
{
  keep_key_change_async (self, contact, FALSE);
}
