/* sotto-messenger-requests.c: message requests and blocked contacts
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-messenger"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-contact-private.h"
#include "sotto-conversation-list-private.h"
#include "sotto-conversation-private.h"
#include "sotto-messenger-private.h"

/* A sender the user never wrote to becomes a message request: the
 * conversation is stored and shown, but neither delivery nor read
 * receipts go back, so the sender does not learn that the account is
 * used or read, until the user accepts.  Writing to the contact accepts
 * too.  The user may instead delete the request, which forgets the
 * contact (a later message is a new request), or block the contact: the
 * conversation leaves the list and whatever the contact sends next is
 * decrypted, to keep the session in step, and dropped without receipt,
 * notification or anything stored.  Starting a conversation with a
 * blocked contact, or accepting them, unblocks them.
 *
 * Blocked conversations are kept aside in self->blocked, by UUID, so
 * that the inbox recognises their envelopes. */

typedef struct
{
  SottoConversation *conversation;
  SottoContactStanding from;
  SottoContactStanding to;
} StandingChange;

static void
standing_change_free (StandingChange *change)
{
  g_clear_object (&change->conversation);
  g_free (change);
}

/* Going back to a request deletes one; a blocked contact goes back to
 * being a request when the block is undone. */
static gboolean
standing_change_forgets (const StandingChange *change)
{
  return change->from == SOTTO_CONTACT_STANDING_REQUEST && change->to == SOTTO_CONTACT_STANDING_REQUEST;
}

static void
set_standing_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  SottoMessenger *self = source_object;
  StandingChange *change = task_data;
  gint64 contact_id = _sotto_contact_get_id (sotto_conversation_get_contact (change->conversation));
  g_autoptr(GError) error = NULL;
  gboolean done;

  if (standing_change_forgets (change))
    done = _sotto_store_delete_contact (self->store, contact_id, &error);
  else
    done = _sotto_store_set_standing (self->store, contact_id, change->to, &error);

  if (!done)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
profile_rotated_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* The block holds either way; the new key is stored, and the relay
   * gets the profile under it the next time the messenger starts. */
  if (!_sotto_profile_service_finish (SOTTO_PROFILE_SERVICE (object), result, &error))
    g_message ("Could not rotate the profile key after a block: %s", error->message);

  g_task_return_boolean (task, TRUE);
}

static void
profile_shared_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);
  StandingChange *change = g_task_get_task_data (task);

  /* A key that did not go goes with the next message. */
  _sotto_profile_service_finish (SOTTO_PROFILE_SERVICE (object), result, NULL);

  if (change->from != SOTTO_CONTACT_STANDING_REQUEST)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* The receipts the request held back; the task ends once they went. */
  _sotto_outbox_send_held_receipts_async (self->outbox, change->conversation, FALSE,
                                          _sotto_task_return_step_cb, g_object_ref (task));
}

static void
set_standing_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SottoMessenger *self = SOTTO_MESSENGER (object);
  g_autoptr(GTask) task = user_data;
  StandingChange *change = g_task_get_task_data (task);
  SottoContact *contact = sotto_conversation_get_contact (change->conversation);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Nothing queued for the contact goes out any more. */
  if (change->to != SOTTO_CONTACT_STANDING_ACCEPTED)
    _sotto_outbox_forget_receipts (self->outbox, change->conversation);

  if (change->from == SOTTO_CONTACT_STANDING_BLOCKED)
    {
      g_hash_table_remove (self->blocked, sotto_contact_get_uuid (contact));
      _sotto_conversation_list_insert (self->conversations, change->conversation);
    }

  if (change->to == SOTTO_CONTACT_STANDING_BLOCKED)
    g_hash_table_insert (self->blocked, g_strdup (sotto_contact_get_uuid (contact)),
                         g_object_ref (change->conversation));

  if (!standing_change_forgets (change))
    _sotto_contact_set_standing (contact, change->to);

  if (change->to == SOTTO_CONTACT_STANDING_BLOCKED || standing_change_forgets (change))
    {
      _sotto_conversation_list_remove (self->conversations, change->conversation);
      _sotto_messenger_emit_conversation_removed (self, change->conversation);
    }

  /* The profile key a blocked contact had opens nothing new (a message
   * request never had it); one the user accepted gets it
   * (profile_shared_cb()). */
  if (change->to == SOTTO_CONTACT_STANDING_BLOCKED && change->from == SOTTO_CONTACT_STANDING_ACCEPTED)
    {
      _sotto_profile_service_rotate_async (self->profiles, profile_rotated_cb, g_object_ref (task));
      return;
    }

  if (change->to == SOTTO_CONTACT_STANDING_ACCEPTED)
    {
      _sotto_profile_service_share_async (self->profiles, change->conversation,
                                          profile_shared_cb, g_object_ref (task));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

/* Moves the contact of @conversation to @to.  Going back to a request is
 * how a request is deleted: the contact is forgotten. */
static void
set_standing_async (SottoMessenger       *self,
                    SottoConversation    *conversation,
                    SottoContactStanding  to,
                    gpointer              source_tag,
                    GCancellable         *cancellable,
                    GAsyncReadyCallback   callback,
                    gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  StandingChange *change;
  SottoContactStanding from = sotto_contact_get_standing (sotto_conversation_get_contact (conversation));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  if (to == SOTTO_CONTACT_STANDING_REQUEST && from != SOTTO_CONTACT_STANDING_REQUEST
      && source_tag == sotto_messenger_delete_request_async)
    {
      g_task_return_new_error (task, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                               _("Only a message request can be deleted"));
      return;
    }

  if (to == from && to != SOTTO_CONTACT_STANDING_REQUEST)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  change = g_new0 (StandingChange, 1);
  change->conversation = g_object_ref (conversation);
  change->from = from;
  change->to = to;
  g_task_set_task_data (task, change, (GDestroyNotify) standing_change_free);

  _sotto_task_run_step (task, self->store, set_standing_thread, set_standing_cb);
}

/**
 * sotto_messenger_accept_async:
 * @self: a #SottoMessenger
 * @conversation: a message request, or a blocked contact's conversation
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the contact is accepted
 * @user_data: data for @callback
 *
 * Accepts a message request: the receipts held back go to the sender,
 * and from now on they hear of deliveries and, as the user's settings
 * allow, of reads.  A blocked contact is unblocked and their
 * conversation comes back into the list.
 */
void
sotto_messenger_accept_async (SottoMessenger      *self,
                              SottoConversation   *conversation,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));

  set_standing_async (self, conversation, SOTTO_CONTACT_STANDING_ACCEPTED, sotto_messenger_accept_async,
                      cancellable, callback, user_data);
}

gboolean
sotto_messenger_accept_finish (SottoMessenger  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  return _sotto_messenger_propagate_boolean (self, result, error);
}

/**
 * sotto_messenger_block_async:
 * @self: a #SottoMessenger
 * @conversation: a conversation
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the contact is blocked
 * @user_data: data for @callback
 *
 * Blocks the contact: the conversation leaves the list, and what the
 * contact sends from now on is dropped without a receipt, a notification
 * or anything stored.  The store remembers the block across restarts.
 */
void
sotto_messenger_block_async (SottoMessenger      *self,
                             SottoConversation   *conversation,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));

  set_standing_async (self, conversation, SOTTO_CONTACT_STANDING_BLOCKED, sotto_messenger_block_async,
                      cancellable, callback, user_data);
}

gboolean
sotto_messenger_block_finish (SottoMessenger  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  return _sotto_messenger_propagate_boolean (self, result, error);
}

/**
 * sotto_messenger_delete_request_async:
 * @self: a #SottoMessenger
 * @conversation: a message request
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the request is deleted
 * @user_data: data for @callback
 *
 * Deletes a message request with its messages and forgets the contact;
 * the sender learns nothing, and a later message from them is a new
 * request.  Fails for a conversation that is not a request.
 */
void
sotto_messenger_delete_request_async (SottoMessenger      *self,
                                      SottoConversation   *conversation,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));

  set_standing_async (self, conversation, SOTTO_CONTACT_STANDING_REQUEST, sotto_messenger_delete_request_async,
                      cancellable, callback, user_data);
}

gboolean
sotto_messenger_delete_request_finish (SottoMessenger  *self,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  return _sotto_messenger_propagate_boolean (self, result, error);
}

/**
 * sotto_messenger_unblock_async:
 * @self: a #SottoMessenger
 * @conversation: a blocked contact's conversation
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the contact is unblocked
 * @user_data: data for @callback
 *
 * Unblocks the contact: their conversation comes back into the list as
 * a message request, which the user accepts, deletes or blocks again,
 * and what they send from now on arrives again, still without receipts
 * until accepted.  (Accepting a blocked contact unblocks and accepts at
 * once.)  Fails for a contact who is not blocked.
 */
void
sotto_messenger_unblock_async (SottoMessenger      *self,
                               SottoConversation   *conversation,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));

  if (sotto_contact_get_standing (sotto_conversation_get_contact (conversation)) != SOTTO_CONTACT_STANDING_BLOCKED)
    {
      g_task_report_new_error (self, callback, user_data, sotto_messenger_unblock_async,
                               SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                               _("Only a blocked contact can be unblocked"));
      return;
    }

  set_standing_async (self, conversation, SOTTO_CONTACT_STANDING_REQUEST, sotto_messenger_unblock_async,
                      cancellable, callback, user_data);
}

gboolean
sotto_messenger_unblock_finish (SottoMessenger  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  return _sotto_messenger_propagate_boolean (self, result, error);
}

static int
compare_by_name (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  return g_utf8_collate (sotto_contact_get_name (sotto_conversation_get_contact ((SottoConversation *) a)),
                         sotto_contact_get_name (sotto_conversation_get_contact ((SottoConversation *) b)));
}

/**
 * sotto_messenger_dup_blocked:
 * @self: a #SottoMessenger
 *
 * Returns: (transfer full): the blocked contacts' conversations, by name,
 *   as they are now
 */
GListModel *
sotto_messenger_dup_blocked (SottoMessenger *self)
{
  GListStore *blocked;
  GHashTableIter iter;
  gpointer conversation;

  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), NULL);

  blocked = g_list_store_new (SOTTO_TYPE_CONVERSATION);
  g_hash_table_iter_init (&iter, self->blocked);
  while (g_hash_table_iter_next (&iter, NULL, &conversation))
    g_list_store_insert_sorted (blocked, conversation, compare_by_name, NULL);

  return G_LIST_MODEL (blocked);
}

/* Takes the blocked contacts' conversations out of the freshly loaded
 * list. */
void
_sotto_messenger_set_aside_blocked (SottoMessenger *self)
{
  GListModel *model = G_LIST_MODEL (self->conversations);

  for (guint i = g_list_model_get_n_items (model); i > 0; i--)
    {
      g_autoptr(SottoConversation) conversation = g_list_model_get_item (model, i - 1);
      SottoContact *contact = sotto_conversation_get_contact (conversation);

      if (sotto_contact_get_standing (contact) != SOTTO_CONTACT_STANDING_BLOCKED)
        continue;

      g_hash_table_insert (self->blocked, g_strdup (sotto_contact_get_uuid (contact)),
                           g_object_ref (conversation));
      _sotto_conversation_list_remove (self->conversations, conversation);
    }
}

/* The conversation with the blocked account @uuid, if it is blocked. */
SottoConversation *
_sotto_messenger_find_blocked (SottoMessenger *self,
                               const char     *uuid)
{
  g_autofree char *normal_uuid = g_ascii_strdown (uuid, -1);

  return g_hash_table_lookup (self->blocked, normal_uuid);
}

/* Sets @error unless the user accepted the contact of @conversation.
 * Anything sent to a message request but a message, which accepts it,
 * would tell the stranger that the request was read. */
gboolean
_sotto_messenger_check_accepted (SottoConversation  *conversation,
                                 GError            **error)
{
  if (sotto_contact_get_standing (sotto_conversation_get_contact (conversation)) == SOTTO_CONTACT_STANDING_ACCEPTED)
    return TRUE;

  g_set_error_literal (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                       _("The conversation is a message request: accept it first"));
  return FALSE;
}
