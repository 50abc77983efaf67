/* sotto-group-list-delivery.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-contact.h"
#include "sotto-conversation.h"
#include "sotto-engine-private.h"
#include "sotto-group-list-internal-private.h"
#include "sotto-store-groups-private.h"

/* One group content to one member, inside their 1:1 session: the
 * outbox's delivery, which sets up a session from a prekey bundle for a
 * member there is none with, handles the relay's 409 and 410 answers,
 * and holds what goes to a member whose verified key changed.  A member
 * there is no contact for yet becomes one.
 *
 * The changes this device makes, the catch-ups it sends, and the
 * messages held for a member whose verified key changed are kept in
 * group_deliveries, in the transaction that makes them, until the relay
 * accepted each for its member: what could not go then goes the next
 * time the group list is loaded (sotto_group_list_load_async()), as the
 * outbox sends what it keeps, and what waited for a member's hold goes
 * as soon as the user ends it. */

typedef struct
{
  GBytes *plaintext;
  gint64 timestamp;
} Delivery;

static void
delivery_free (Delivery *delivery)
{
  g_bytes_unref (delivery->plaintext);
  g_free (delivery);
}

static void
delivered_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (_sotto_outbox_send_content_finish (SOTTO_OUTBOX (object), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
member_ensured_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoGroupList *self = g_task_get_source_object (task);
  Delivery *delivery = g_task_get_task_data (task);
  g_autoptr(SottoConversation) conversation = NULL;
  GError *error = NULL;

  conversation = _sotto_messenger_ensure_contact_finish (SOTTO_MESSENGER (object), result, &error);
  if (conversation == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  _sotto_outbox_send_plaintext_async (self->outbox, conversation, delivery->plaintext, delivery->timestamp, NULL,
                                      delivered_cb, g_steal_pointer (&task));
}

/* The standing of a contact made for a member this account did not add
 * itself: what a new sender gets. */
static SottoContactStanding
member_standing (SottoGroupList *self)
{
  gboolean message_requests = FALSE;

  if (self->messenger != NULL)
    g_object_get (self->messenger, "message-requests", &message_requests, NULL);

  return message_requests ? SOTTO_CONTACT_STANDING_REQUEST : SOTTO_CONTACT_STANDING_ACCEPTED;
}

/* Delivers @plaintext, encoded content made at @timestamp, to the
 * member @uuid (who joined as @username, if known); completes once the
 * relay committed it. */
void
_sotto_group_list_deliver_async (SottoGroupList      *self,
                                 const char          *uuid,
                                 const char          *username,
                                 GBytes              *plaintext,
                                 gint64               timestamp,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  SottoConversation *conversation = sotto_conversation_list_find_by_uuid (self->conversations, uuid);
  Delivery *delivery = g_new0 (Delivery, 1);

  delivery->plaintext = g_bytes_ref (plaintext);
  delivery->timestamp = timestamp;
  g_task_set_source_tag (task, _sotto_group_list_deliver_async);
  g_task_set_task_data (task, delivery, (GDestroyNotify) delivery_free);

  if (conversation != NULL)
    {
      _sotto_outbox_send_plaintext_async (self->outbox, conversation, plaintext, timestamp, NULL, delivered_cb,
                                          g_steal_pointer (&task));
      return;
    }

  if (self->messenger == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The account was closed"));
      return;
    }

  _sotto_messenger_ensure_contact_async (self->messenger, uuid, username, member_standing (self), NULL,
                                         member_ensured_cb, g_steal_pointer (&task));
}

gboolean
_sotto_group_list_deliver_finish (SottoGroupList  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  return _sotto_task_propagate_boolean (self, result, _sotto_group_list_deliver_async, error);
}

/* Kept deliveries */

typedef struct
{
  GPtrArray *deliveries;
  GArray *delivered;
  guint pending;
  GError *error;
} StoredDeliveries;

static void
stored_deliveries_free (StoredDeliveries *stored)
{
  g_ptr_array_unref (stored->deliveries);
  g_array_unref (stored->delivered);
  g_clear_error (&stored->error);
  g_free (stored);
}

static void
forget_delivered_thread (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  SottoGroupList *self = source_object;
  StoredDeliveries *stored = task_data;
  GError *error = NULL;

  for (guint i = 0; i < stored->delivered->len; i++)
    {
      if (!_sotto_store_delete_group_delivery (self->store, g_array_index (stored->delivered, gint64, i), &error))
        {
          g_task_return_error (task, error);
          return;
        }
    }

  g_task_return_boolean (task, TRUE);
}

static void
forgotten_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  StoredDeliveries *stored = g_task_get_task_data (task);

  if (!_sotto_task_propagate_step (task, result))
    return;

  if (stored->error != NULL)
    g_task_return_error (task, g_steal_pointer (&stored->error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
stored_delivery_done (GTask              *task,
                      SottoGroupDelivery *delivery,
                      GError             *error)
{
  SottoGroupList *self = g_task_get_source_object (task);
  StoredDeliveries *stored = g_task_get_task_data (task);

  if (error != NULL && stored->error == NULL)
    stored->error = g_error_copy (error);
  else if (error == NULL && delivery != NULL)
    g_array_append_val (stored->delivered, delivery->id);

  if (--stored->pending == 0)
    _sotto_task_run_step (task, self->store, forget_delivered_thread, forgotten_cb);
}

typedef struct
{
  GTask *task;
  SottoGroupDelivery *delivery;
} StoredDelivery;

static void
stored_delivered_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  StoredDelivery *one = user_data;
  g_autoptr(GTask) task = one->task;
  g_autoptr(GError) error = NULL;

  _sotto_group_list_deliver_finish (SOTTO_GROUP_LIST (object), result, &error);
  stored_delivery_done (task, one->delivery, error);
  g_free (one);
}

/* Delivers each of @deliveries (SottoGroupDelivery, as stored), and
 * forgets the ones the relay accepted; fails with the first error, once
 * every one was tried. */
void
_sotto_group_list_deliver_stored_async (SottoGroupList      *self,
                                        GPtrArray           *deliveries,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  StoredDeliveries *stored = g_new0 (StoredDeliveries, 1);

  stored->deliveries = g_ptr_array_ref (deliveries);
  stored->delivered = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_task_set_source_tag (task, _sotto_group_list_deliver_stored_async);
  g_task_set_task_data (task, stored, (GDestroyNotify) stored_deliveries_free);

  /* One for the loop itself. */
  stored->pending = 1;
  for (guint i = 0; i < deliveries->len; i++)
    {
      SottoGroupDelivery *delivery = g_ptr_array_index (deliveries, i);
      StoredDelivery *one = g_new0 (StoredDelivery, 1);

      one->task = g_object_ref (task);
      one->delivery = delivery;
      stored->pending++;
      _sotto_group_list_deliver_async (self, delivery->uuid, delivery->username, delivery->plaintext,
                                       delivery->timestamp, stored_delivered_cb, one);
    }
  stored_delivery_done (task, NULL, NULL);
}

gboolean
_sotto_group_list_deliver_stored_finish (SottoGroupList  *self,
                                         GAsyncResult    *result,
                                         GError         **error)
{
  return _sotto_task_propagate_boolean (self, result, _sotto_group_list_deliver_stored_async, error);
}

/* Catch-ups */

/* Runs on the store's thread, in the caller's transaction.  Keeps for
 * the member @uuid what this account, @own_uuid known as @own_username,
 * can tell it of the group @state (in row @row): an admin the whole
 * history, anyone else the updates it made itself, since a member takes
 * others' updates only from an admin (sotto-group-list-receive.c).
 * The kept delivery, if there is anything to send, is added to
 * @deliveries.  Nothing is kept while the group is a message request. */
gboolean
_sotto_group_keep_catch_up (SottoStore       *store,
                            SottoGroupState  *state,
                            gint64            row,
                            const char       *own_uuid,
                            const char       *own_username,
                            const char       *uuid,
                            GPtrArray        *deliveries,
                            GError          **error)
{
  const SottoGroupMember *own = _sotto_group_state_find_member (state, own_uuid);
  const SottoGroupMember *member = _sotto_group_state_find_member (state, uuid);
  g_autoptr(GPtrArray) updates = g_ptr_array_new ();
  g_autofree char *id = NULL;
  g_autoptr(SottoContent) content = NULL;
  g_autoptr(GBytes) plaintext = NULL;
  SottoGroupDelivery *delivery;

  if (own == NULL || member == NULL || g_ascii_strcasecmp (uuid, own_uuid) == 0)
    return TRUE;
  /* A stranger's group makes this account send nothing by itself: no
   * sign that it is online, none of its rate of sends, and nothing of
   * the stranger's to whomever they list. */
  if (state->request)
    {
      g_debug ("Keeping no catch-up for group %s, a message request", state->id);
      return TRUE;
    }

  for (guint i = 0; i < state->history->len; i++)
    {
      SottoGroupUpdate *update = g_ptr_array_index (state->history, i);

      if (own->admin || g_ascii_strcasecmp (update->author, own_uuid) == 0)
        g_ptr_array_add (updates, update);
    }
  if (updates->len == 0)
    return TRUE;

  id = g_uuid_string_random ();
  content = sotto_content_new_group_update (id, _sotto_now_ms (), own_username, state->id, updates);
  /* An admin's history goes with the group's picture, as a joining
   * member's does. */
  if (own->admin && state->avatar != NULL)
    content->group_avatar = g_bytes_ref (state->avatar);
  plaintext = sotto_content_encode (content);

  delivery = _sotto_store_add_group_delivery (store, row, uuid, member->username, plaintext, content->timestamp,
                                              error);
  if (delivery == NULL)
    return FALSE;
  g_ptr_array_add (deliveries, delivery);
  return TRUE;
}

static void
kept_delivered_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* What did not go (the member is held, or the relay is away) waits in
   * the store for the next time. */
  if (!_sotto_group_list_deliver_stored_finish (SOTTO_GROUP_LIST (object), result, &error))
    g_debug ("Group contents wait for their members: %s", error->message);
}

/* Delivers @deliveries, kept in the store, with nobody waiting for the
 * outcome: catch-ups, and what waited for a member's hold. */
void
_sotto_group_list_deliver_kept (SottoGroupList *self,
                                GPtrArray      *deliveries)
{
  if (deliveries->len > 0)
    _sotto_group_list_deliver_stored_async (self, deliveries, kept_delivered_cb, NULL);
}

static void
held_listed_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  SottoGroupList *self = SOTTO_GROUP_LIST (object);
  g_autofree char *uuid = user_data;
  g_autoptr(GPtrArray) deliveries = NULL;
  g_autoptr(GPtrArray) waiting = NULL;
  g_autoptr(GError) error = NULL;

  deliveries = g_task_propagate_pointer (G_TASK (result), &error);
  if (deliveries == NULL)
    {
      g_warning ("Could not read what waits for a group member: %s", error->message);
      return;
    }

  waiting = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_delivery_free);
  for (guint i = 0; i < deliveries->len; i++)
    {
      SottoGroupDelivery *delivery = g_ptr_array_index (deliveries, i);

      if (g_ascii_strcasecmp (delivery->uuid, uuid) == 0)
        g_ptr_array_add (waiting, g_steal_pointer (&deliveries->pdata[i]));
    }

  _sotto_group_list_deliver_kept (self, waiting);
}

static void
list_held_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  SottoGroupList *self = source_object;
  GError *error = NULL;
  GPtrArray *deliveries = _sotto_store_list_group_deliveries (self->store, &error);

  if (deliveries == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, deliveries, (GDestroyNotify) g_ptr_array_unref);
}

/* Sending to a contact is no longer held (the outbox's ::hold-ended):
 * what waited for it in its groups (catch-ups, messages) goes now, and
 * the groups this account is an admin of record its key. */
void
_sotto_group_list_hold_ended_cb (SottoOutbox       *outbox,
                                 SottoConversation *conversation,
                                 SottoGroupList    *self)
{
  SottoContact *contact = sotto_conversation_get_contact (conversation);
  g_autoptr(GTask) task = NULL;

  _sotto_group_list_record_key (self, contact);

  task = g_task_new (self, NULL, held_listed_cb, g_strdup (sotto_contact_get_uuid (contact)));
  _sotto_store_run_in_thread (self->store, task, list_held_thread);
}
