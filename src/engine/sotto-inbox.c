/* sotto-inbox.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-inbox"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-account.h"
#include "sotto-contact-private.h"
#include "sotto-conversation-list-private.h"
#include "sotto-conversation-private.h"
#include "sotto-message-actions-private.h"
#include "sotto-message-private.h"
#include "sotto-inbox-internal-private.h"
#include "sotto-messenger-private.h"
#include "sotto-service-signals-private.h"

/* Receiving.  Envelopes are handled in the order the relay pushed
 * them, in batches of what has arrived meanwhile: each one is decrypted
 * on the store's thread in a savepoint that also stores the message, and
 * the batch is one transaction.  Only once that transaction is committed
 * are its envelopes acknowledged, so the relay deletes nothing that is
 * not on disk here.  An envelope delivered again (the
 * acknowledgement was lost) no longer decrypts, because its message key
 * is used up, and is recognised as a duplicate; a message sent again
 * (the sender never heard that the relay took it) decrypts but carries
 * a message id the conversation has, and is dropped too.
 *
 * The identity key a message came with goes through the key-change
 * rules in that same transaction, right after the session core has
 * decrypted the message and before anything else: whatever the message
 * holds, a text, receipts, bytes that do not decode or nothing at all,
 * a key that differs from the contact's is recorded with an event in
 * the conversation, a new safety number, and sending held for a
 * verified contact, all committed together with the session that came
 * with it or not at all.  A message that does not decrypt writes
 * nothing, so it cannot change a key.
 *
 * A sender nobody knows yet needs the main thread halfway: the username
 * must be checked with the relay before the contact is stored.  The
 * decryption is rolled back, which leaves the store exactly as it was,
 * the main thread stores the contact, and the envelope is decrypted
 * again from the start.  That contact is a message request, which hears
 * no receipts until the user accepts it (sotto-messenger-requests.c).
 *
 * An envelope from a blocked contact is decrypted, so that the session
 * stays in step should the user unblock them, and dropped: nothing the
 * message holds is looked at, stored, shown or answered.
 *
 * Each sender device's messages are stored in the order the relay
 * holds them.  An envelope left undone (the relay could not be reached
 * to check a new sender, the store failed) is not acknowledged, and
 * the relay delivers it again on the next connection: until then
 * nothing later from the same device is stored either, or it would
 * overtake it.  The envelopes that wait in the inbox when the socket
 * closes are dropped for the same reason; the relay delivers them
 * again, after those before them. */

/* How often one envelope goes back to the main thread before it is
 * given up for this connection. */
#define MAX_RESTARTS 3

/* How many envelopes are received in one transaction at most. */
#define MAX_BATCH 256

/* Stored envelopes whose guids are remembered, to acknowledge a second
 * delivery without decrypting it. */
#define MAX_STORED_GUIDS 8192

enum {
  PROP_0,
  PROP_DRAINED,
  PROP_MESSAGE_REQUESTS,
  N_PROPS
};

enum {
  MESSAGE_RECEIVED,
  MESSAGE_ACTION,
  IDENTITY_CHANGED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (SottoInbox, sotto_inbox, G_TYPE_OBJECT)

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];

/* Marks the end of what the relay held when the socket opened. */
static SottoRelayEnvelope queue_empty_marker;

static void process_next    (SottoInbox *self);
static void reception_start (Reception  *reception);

static void
reception_free (Reception *reception)
{
  g_clear_object (&reception->inbox);
  g_clear_pointer (&reception->envelope, sotto_relay_envelope_free);
  g_clear_object (&reception->conversation);
  g_clear_pointer (&reception->content, sotto_content_free);
  g_clear_pointer (&reception->identity_key, g_bytes_unref);
  g_clear_pointer (&reception->message, _sotto_message_record_free);
  g_clear_error (&reception->error);
  g_clear_pointer (&reception->identity_event, _sotto_message_record_free);
  g_clear_pointer (&reception->group_key_news, g_ptr_array_unref);
  g_clear_pointer (&reception->changed, _sotto_message_record_free);
  g_clear_pointer (&reception->applied_actions, g_ptr_array_unref);
  g_clear_pointer (&reception->group_news, _sotto_group_news_free);
  g_free (reception);
}

static void
inbox_item_free (gpointer data)
{
  if (data != &queue_empty_marker)
    sotto_relay_envelope_free (data);
}

/* An envelope's name in the log: an online-only one (typing) has no
 * GUID. */
static const char *
envelope_name (const SottoRelayEnvelope *envelope)
{
  return envelope->guid != NULL ? envelope->guid : "(online)";
}

static char *
sender_key (const SottoRelayEnvelope *envelope)
{
  return g_strdup_printf ("%s.%u", envelope->source, envelope->source_device);
}

static gboolean
sender_is_held (SottoInbox               *self,
                const SottoRelayEnvelope *envelope)
{
  g_autofree char *key = sender_key (envelope);

  return g_hash_table_contains (self->held_senders, key);
}

/* @reception was left undone: nothing later from its sender device is
 * stored before the relay delivers it again.  One from a connection
 * that is gone needs nothing, as everything after it comes again. */
static void
hold_sender (Reception *reception)
{
  SottoInbox *self = reception->inbox;

  /* An online-only envelope never comes again: nothing waits for it. */
  if (reception->envelope->online)
    return;

  if (reception->connection_number == self->connection_number)
    g_hash_table_add (self->held_senders, sender_key (reception->envelope));
}

static void
set_drained (SottoInbox *self,
             gboolean    drained)
{
  if (self->drained == drained)
    return;

  self->drained = drained;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_DRAINED]);
}

/* On the main thread */

/* Remembers that the envelope @guid is stored, to acknowledge it again
 * without decrypting it should it come back. */
static void
remember_stored (SottoInbox     *self,
                 const char     *guid)
{
  if (g_hash_table_size (self->stored_guids) >= MAX_STORED_GUIDS)
    g_hash_table_remove_all (self->stored_guids);
  g_hash_table_add (self->stored_guids, g_strdup (guid));
}

static void
reception_finish (Reception *reception,
                  gboolean   acknowledge)
{
  SottoInbox *self = reception->inbox;
  const char *guid = reception->envelope->guid;

  /* An online-only envelope is stored nowhere, so there is nothing to
   * acknowledge. */
  if (acknowledge && guid != NULL)
    {
      sotto_relay_client_acknowledge (self->client, guid);
      remember_stored (self, guid);
    }
  else if (!acknowledge)
    {
      hold_sender (reception);
    }

  self->processing = FALSE;
  reception_free (reception);
  process_next (self);
}

static void
reception_restart (Reception *reception)
{
  if (++reception->restarts > MAX_RESTARTS)
    {
      g_debug ("Giving up on envelope %s for now", envelope_name (reception->envelope));
      reception_finish (reception, FALSE);
      return;
    }

  g_clear_object (&reception->conversation);
  g_clear_pointer (&reception->content, sotto_content_free);
  g_clear_pointer (&reception->identity_key, g_bytes_unref);
  g_clear_pointer (&reception->message, _sotto_message_record_free);
  g_clear_pointer (&reception->changed, _sotto_message_record_free);
  g_clear_pointer (&reception->applied_actions, g_ptr_array_unref);
  g_clear_error (&reception->error);

  reception_start (reception);
}

static void
receipt_applied_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Reception *reception = user_data;
  g_autoptr(GError) error = NULL;

  /* A receipt for a message that is gone, or further along already,
   * changes nothing. */
  if (!sotto_conversation_set_message_state_finish (SOTTO_CONVERSATION (object), result, &error))
    g_debug ("Receipt not applied: %s", error->message);

  reception_finish (reception, TRUE);
}

/* Moves the messages a receipt names on, all in one transaction. */
static void
receipt_apply (Reception *reception)
{
  SottoMessageState state;

  if (reception->conversation == NULL || reception->content->receipts == NULL)
    {
      reception_finish (reception, TRUE);
      return;
    }

  state = reception->content->kind == SOTTO_CONTENT_KIND_READ_RECEIPT
          ? SOTTO_MESSAGE_STATE_READ : SOTTO_MESSAGE_STATE_DELIVERED;

  _sotto_conversation_set_message_states_async (reception->conversation,
                                                (const char * const *) reception->content->receipts,
                                                state, receipt_applied_cb, reception);
}

static void
contact_ensured_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Reception *reception = user_data;
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;

  conversation = _sotto_messenger_ensure_contact_finish (SOTTO_MESSENGER (object), result, &error);
  if (conversation == NULL)
    {
      g_debug ("Could not store a new contact: %s", error->message);
      reception_finish (reception, FALSE);
      return;
    }

  reception_restart (reception);
}

/* A sender nobody knows yet: a message request, where the messenger
 * makes them. */
static SottoContactStanding
new_sender_standing (SottoInbox *self)
{
  return self->message_requests ? SOTTO_CONTACT_STANDING_REQUEST : SOTTO_CONTACT_STANDING_ACCEPTED;
}

/* Stores the sender as a contact through the messenger, which knows
 * the blocked ones too; once the messenger is gone, the envelope waits
 * for the next time. */
static void
reception_add_sender (Reception  *reception,
                      const char *username)
{
  SottoInbox *self = reception->inbox;

  if (self->messenger == NULL)
    {
      reception_finish (reception, FALSE);
      return;
    }

  _sotto_messenger_ensure_contact_async (self->messenger, reception->envelope->source, username,
                                         new_sender_standing (self), NULL,
                                         contact_ensured_cb, reception);
}

static void
sender_looked_up_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Reception *reception = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;
  const char *username = NULL;

  uuid = sotto_relay_client_lookup_finish (SOTTO_RELAY_CLIENT (object), result, &error);
  if (uuid == NULL && error != NULL && sotto_relay_error_is_transient (error))
    {
      g_debug ("Could not check a new sender’s username: %s", error->message);
      reception_finish (reception, FALSE);
      return;
    }

  /* The claim stands only if the relay's directory agrees. */
  if (uuid != NULL && g_ascii_strcasecmp (uuid, reception->envelope->source) == 0)
    username = reception->content->sender;

  reception_add_sender (reception, username);
}

/* Shows the identity key a reception recorded, and a change of it,
 * before anything the message brought. */
static void
reception_show_identity (Reception *reception)
{
  g_autoptr(SottoMessage) event = NULL;

  if (!reception->identity_recorded)
    return;

  if (reception->identity_event != NULL)
    event = _sotto_message_new_from_record (reception->identity_event);

  _sotto_conversation_apply_identity (reception->conversation, reception->identity_key,
                                      reception->verification_state, event);
  if (reception->identity_event != NULL && !reception->blocked)
    g_signal_emit (reception->inbox, signals [IDENTITY_CHANGED], 0, reception->conversation);
  if (reception->group_key_news != NULL && reception->inbox->messenger != NULL)
    _sotto_group_list_key_changed (sotto_messenger_get_groups (reception->inbox->messenger),
                                   reception->group_key_news);
}

/* Tells of @content, which changed @message. */
static void
emit_action (SottoInbox         *self,
             SottoConversation  *conversation,
             const SottoContent *content,
             SottoMessage       *message)
{
  g_signal_emit (self, signals [MESSAGE_ACTION], 0, conversation, _sotto_message_actions_kind (content),
                 content->id, content->target_id,
                 content->kind == SOTTO_CONTENT_KIND_EDIT ? content->text : content->emoji,
                 content->timestamp, message);
}

/* Shows what a reception with a final outcome committed; its envelope
 * can be acknowledged after this. */
static void
reception_settle (Reception *reception)
{
  SottoInbox *self = reception->inbox;
  SottoConversation *conversation = reception->conversation;

  reception_show_identity (reception);

  if (reception->profile_news && self->messenger != NULL)
    _sotto_messenger_profile_key_received (self->messenger, conversation);

  switch (reception->outcome)
    {
    case OUTCOME_STORED:
      {
        g_autoptr(SottoMessage) message = _sotto_message_new_from_record (reception->message);

        _sotto_conversation_add_stored (conversation, message);
        if (self->messenger != NULL)
          _sotto_typing_message_received (self->messenger->typing, conversation);
        g_signal_emit (self, signals [MESSAGE_RECEIVED], 0, conversation, message);
        for (guint i = 0; reception->applied_actions != NULL && i < reception->applied_actions->len; i++)
          emit_action (self, conversation, g_ptr_array_index (reception->applied_actions, i), message);
        if (sotto_contact_get_standing (sotto_conversation_get_contact (conversation)) == SOTTO_CONTACT_STANDING_ACCEPTED)
          _sotto_outbox_queue_receipt (self->outbox, conversation, sotto_message_get_id (message));
      }
      break;

    case OUTCOME_ACTION:
      if (_sotto_message_actions_show_received (conversation, reception->action_result, reception->changed))
        {
          g_autoptr(SottoMessage) changed = _sotto_message_new_from_record (reception->changed);

          emit_action (self, conversation, reception->content, changed);
        }
      break;

    case OUTCOME_BLOCKED:
      break;

    case OUTCOME_GROUP:
      if (self->messenger != NULL)
        _sotto_group_list_received (sotto_messenger_get_groups (self->messenger), reception->group_news);
      break;

    case OUTCOME_TYPING:
      if (self->messenger != NULL)
        _sotto_typing_received (self->messenger->typing, conversation, reception->envelope, reception->content);
      break;

    case OUTCOME_IGNORED:
      g_debug ("Envelope %s carries nothing this version acts on", envelope_name (reception->envelope));
      break;

    case OUTCOME_DUPLICATE:
      g_debug ("Envelope %s repeats a message; dropped", envelope_name (reception->envelope));
      break;

    case OUTCOME_DROPPED:
      g_message ("Dropping envelope %s from %s: %s", envelope_name (reception->envelope),
                 reception->envelope->source,
                 reception->error != NULL ? reception->error->message : "");
      break;

    case OUTCOME_RECEIPT:
    case OUTCOME_UNKNOWN_SENDER:
    case OUTCOME_RETRY_LATER:
    default:
      g_assert_not_reached ();
    }
}

/* Goes on with a reception that the store's thread has decided. */
static void
reception_decided (Reception *reception)
{
  SottoInbox *self = reception->inbox;

  if (_sotto_inbox_outcome_is_final (reception->outcome))
    {
      reception_settle (reception);
      reception_finish (reception, TRUE);
      return;
    }

  reception_show_identity (reception);

  switch (reception->outcome)
    {
    case OUTCOME_RECEIPT:
      receipt_apply (reception);
      break;

    case OUTCOME_UNKNOWN_SENDER:
      if (reception->content->sender != NULL)
        sotto_relay_client_lookup_async (self->client, reception->content->sender, NULL,
                                         sender_looked_up_cb, reception);
      else
        reception_add_sender (reception, NULL);
      break;

    case OUTCOME_RETRY_LATER:
    default:
      g_debug ("Envelope %s waits for the next connection: %s", envelope_name (reception->envelope),
               reception->error != NULL ? reception->error->message : "");
      reception_finish (reception, FALSE);
      break;
    }
}

static void
receive_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_task_propagate_boolean (G_TASK (result), NULL);
  reception_decided (user_data);
}

/* Reads what the main thread knows about the sender, for the store's
 * thread. */
static void
reception_prepare (Reception *reception)
{
  SottoInbox *self = reception->inbox;
  SottoConversation *conversation;
  SottoConversation *blocked;

  blocked = NULL;
  if (self->messenger != NULL)
    blocked = _sotto_messenger_find_blocked (self->messenger, reception->envelope->source);
  conversation = sotto_conversation_list_find_by_uuid (self->conversations, reception->envelope->source);
  if (conversation == NULL)
    conversation = blocked;
  if (conversation != NULL)
    {
      reception->conversation = g_object_ref (conversation);
      reception->conversation_id = _sotto_conversation_get_id (conversation);
      reception->contact_id = _sotto_contact_get_id (sotto_conversation_get_contact (conversation));
    }
  else
    {
      reception->conversation_id = 0;
      reception->contact_id = 0;
    }
  reception->blocked = blocked != NULL;
}

static void
reception_start (Reception *reception)
{
  g_autoptr(GTask) task = NULL;

  reception_prepare (reception);

  task = g_task_new (reception->inbox, NULL, receive_cb, reception);
  g_task_set_task_data (task, reception, NULL);
  _sotto_store_run_in_thread (reception->inbox->store, task, _sotto_inbox_receive_thread);
}

static void
reception_batch_free (ReceptionBatch *batch)
{
  g_ptr_array_unref (batch->receptions);
  g_free (batch);
}

static void
receive_batch_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  SottoInbox *self = SOTTO_INBOX (object);
  ReceptionBatch *batch = g_task_get_task_data (G_TASK (result));
  g_autoptr(GPtrArray) guids = g_ptr_array_new_with_free_func (g_free);
  Reception *next = NULL;

  g_task_propagate_boolean (G_TASK (result), NULL);

  /* What the batch did not reach goes back first, in order, so that a
   * handler of what follows that stops the messenger finds it; after a
   * stop it is delivered again next time. */
  for (guint i = batch->receptions->len; i-- > batch->n_received;)
    {
      Reception *reception = g_ptr_array_index (batch->receptions, i);

      if (self->started && reception->connection_number == self->connection_number)
        g_queue_push_head (&self->queue, g_steal_pointer (&reception->envelope));
      reception_free (reception);
    }

  for (guint i = 0; i < batch->n_received; i++)
    {
      Reception *reception = g_ptr_array_index (batch->receptions, i);

      /* Only the last can need more; before it, only a batch that could
       * not be committed leaves envelopes undone, and the relay delivers
       * those again. */
      if (!_sotto_inbox_outcome_is_final (reception->outcome) && i + 1 == batch->n_received)
        {
          next = reception;
          continue;
        }

      if (!_sotto_inbox_outcome_is_final (reception->outcome))
        {
          g_debug ("Envelope %s waits for the next connection: %s", envelope_name (reception->envelope),
                   reception->error != NULL ? reception->error->message : "");
          hold_sender (reception);
          reception_free (reception);
          continue;
        }

      reception_settle (reception);
      if (reception->envelope->guid != NULL)
        {
          g_ptr_array_add (guids, g_strdup (reception->envelope->guid));
          remember_stored (self, reception->envelope->guid);
        }
      reception_free (reception);
    }

  sotto_relay_client_acknowledge_all (self->client, (const char * const *) guids->pdata, guids->len);

  /* The last one may need the main thread before anything after it. */
  if (next != NULL)
    {
      reception_decided (next);
      return;
    }

  self->processing = FALSE;
  process_next (self);
}

/* Opens the sealed @envelope, which it takes: the envelope its sender
 * certificate names, or %NULL when it is left at the relay or dropped. */
static SottoRelayEnvelope *
open_sealed (SottoInbox         *self,
             SottoRelayEnvelope *envelope)
{
  g_autoptr(SottoRelayEnvelope) sealed = envelope;
  g_autoptr(GError) error = NULL;
  SottoRelayEnvelope *opened;

  /* Without a trust root it cannot be checked: the relay keeps it,
   * unacknowledged, rather than lose it. */
  if (!_sotto_sealed_sender_can_seal (self->outbox->sealed))
    {
      g_message ("Leaving sealed envelope %s at the relay: no trust root is pinned", envelope_name (sealed));
      return NULL;
    }

  /* Nobody can be named as its sender, so nothing waits for it. */
  opened = _sotto_sealed_sender_open (self->outbox->sealed, sealed, &error);
  if (opened == NULL && g_error_matches (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_TRUST_ROOT_CHANGED))
    g_message ("Leaving sealed envelope %s at the relay: %s", envelope_name (sealed), error->message);
  else if (opened == NULL)
    {
      g_message ("Dropping sealed envelope %s: %s", envelope_name (sealed), error->message);
      if (sealed->guid != NULL)
        sotto_relay_client_acknowledge (self->client, sealed->guid);
    }

  return opened;
}

static void
process_next (SottoInbox *self)
{
  g_autoptr(GTask) task = NULL;
  ReceptionBatch *batch;

  /* A sealed envelope is judged with the relay's trust root, which the
   * messenger asks for as it starts. */
  if (self->processing || !self->started || _sotto_sealed_sender_get_checking_root (self->outbox->sealed))
    return;

  batch = g_new0 (ReceptionBatch, 1);
  batch->receptions = g_ptr_array_new ();

  while (batch->receptions->len < MAX_BATCH && self->started)
    {
      SottoRelayEnvelope *envelope = g_queue_peek_head (&self->queue);
      Reception *reception;

      if (envelope == NULL)
        break;

      /* The end of the stored queue counts once what came before it is
       * stored. */
      if (envelope == &queue_empty_marker)
        {
          if (batch->receptions->len > 0)
            break;

          g_queue_pop_head (&self->queue);
          if (sotto_relay_client_get_connection (self->client) == SOTTO_RELAY_CONNECTION_CONNECTED)
            set_drained (self, TRUE);
          _sotto_outbox_flush_receipts (self->outbox);
          continue;
        }

      g_queue_pop_head (&self->queue);

      if (envelope->type == SOTTO_RELAY_ENVELOPE_TYPE_SEALED
          && (envelope = open_sealed (self, envelope)) == NULL)
        continue;

      if (envelope->guid != NULL && g_hash_table_contains (self->stored_guids, envelope->guid))
        {
          sotto_relay_client_acknowledge (self->client, envelope->guid);
          sotto_relay_envelope_free (envelope);
          continue;
        }

      if (sender_is_held (self, envelope))
        {
          g_debug ("Envelope %s waits for an earlier one of its sender", envelope_name (envelope));
          sotto_relay_envelope_free (envelope);
          continue;
        }

      reception = g_new0 (Reception, 1);
      reception->inbox = g_object_ref (self);
      reception->envelope = envelope;
      reception->connection_number = self->connection_number;
      reception_prepare (reception);
      g_ptr_array_add (batch->receptions, reception);
    }

  if (batch->receptions->len == 0)
    {
      reception_batch_free (batch);
      return;
    }

  self->processing = TRUE;

  task = g_task_new (self, NULL, receive_batch_cb, NULL);
  g_task_set_task_data (task, batch, (GDestroyNotify) reception_batch_free);
  _sotto_store_run_in_thread (self->store, task, _sotto_inbox_receive_batch_thread);
}

static void
envelope_cb (SottoRelayClient   *client,
             SottoRelayEnvelope *envelope,
             SottoInbox         *self)
{
  g_assert (SOTTO_IS_INBOX (self));

  g_queue_push_tail (&self->queue, sotto_relay_envelope_copy (envelope));
  process_next (self);
}

static void
queue_empty_cb (SottoRelayClient *client,
                SottoInbox       *self)
{
  g_assert (SOTTO_IS_INBOX (self));

  g_queue_push_tail (&self->queue, &queue_empty_marker);
  process_next (self);
}

static void
connection_cb (SottoRelayClient *client,
               GParamSpec       *pspec,
               SottoInbox       *self)
{
  g_assert (SOTTO_IS_INBOX (self));

  if (sotto_relay_client_get_connection (client) == SOTTO_RELAY_CONNECTION_CONNECTED)
    return;

  /* A new socket starts with the queue again: what waits here now is
   * delivered again, after anything before it that is not stored. */
  set_drained (self, FALSE);
  g_queue_clear_full (&self->queue, inbox_item_free);
  g_hash_table_remove_all (self->held_senders);
  self->connection_number++;
}

/* For the messenger: the relay's trust root is known now, which decides
 * what becomes of sealed envelopes; they waited for it. */
void
_sotto_inbox_resume (SottoInbox *self)
{
  g_return_if_fail (SOTTO_IS_INBOX (self));

  process_next (self);
}

/* Stores and acknowledges what the relay delivers, from now on. */
void
_sotto_inbox_start (SottoInbox *self)
{
  g_return_if_fail (SOTTO_IS_INBOX (self));

  if (self->started)
    return;

  self->started = TRUE;
  self->held_senders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_signal_connect_object (self->client, "envelope", G_CALLBACK (envelope_cb), self, 0);
  g_signal_connect_object (self->client, "queue-empty", G_CALLBACK (queue_empty_cb), self, 0);
  g_signal_connect_object (self->client, "notify::connection", G_CALLBACK (connection_cb), self, 0);
}

void
_sotto_inbox_stop (SottoInbox *self)
{
  g_return_if_fail (SOTTO_IS_INBOX (self));

  if (!self->started)
    return;

  self->started = FALSE;
  g_signal_handlers_disconnect_by_func (self->client, envelope_cb, self);
  g_signal_handlers_disconnect_by_func (self->client, queue_empty_cb, self);
  g_signal_handlers_disconnect_by_func (self->client, connection_cb, self);

  /* What is not stored yet is delivered again next time. */
  g_queue_clear_full (&self->queue, inbox_item_free);
  g_clear_pointer (&self->held_senders, g_hash_table_unref);
  self->connection_number++;
  set_drained (self, FALSE);
}

/* Whether every envelope the relay held when the delivery socket opened
 * has been stored. */
gboolean
_sotto_inbox_get_drained (SottoInbox *self)
{
  g_return_val_if_fail (SOTTO_IS_INBOX (self), FALSE);

  return self->drained;
}

SottoInbox *
_sotto_inbox_new (SottoStore            *store,
                  SottoConversationList *conversations,
                  SottoRelayClient      *client,
                  SottoProtocolState    *protocol,
                  SottoOutbox           *outbox,
                  SottoMessenger        *messenger)
{
  SottoInbox *self;

  g_return_val_if_fail (SOTTO_IS_STORE (store), NULL);
  g_return_val_if_fail (SOTTO_IS_CONVERSATION_LIST (conversations), NULL);
  g_return_val_if_fail (SOTTO_IS_RELAY_CLIENT (client), NULL);
  g_return_val_if_fail (protocol != NULL, NULL);
  g_return_val_if_fail (SOTTO_IS_OUTBOX (outbox), NULL);
  g_return_val_if_fail (messenger == NULL || SOTTO_IS_MESSENGER (messenger), NULL);

  self = g_object_new (SOTTO_TYPE_INBOX, NULL);
  self->store = g_object_ref (store);
  self->conversations = g_object_ref (conversations);
  self->client = g_object_ref (client);
  self->protocol = _sotto_protocol_state_ref (protocol);
  _sotto_protocol_state_get_interface (self->protocol, &self->sp_store);
  self->outbox = g_object_ref (outbox);
  g_set_weak_pointer (&self->messenger, messenger);

  return self;
}

static void
sotto_inbox_dispose (GObject *object)
{
  SottoInbox *self = (SottoInbox *)object;

  _sotto_inbox_stop (self);
  g_clear_weak_pointer (&self->messenger);

  G_OBJECT_CLASS (sotto_inbox_parent_class)->dispose (object);
}

static void
sotto_inbox_finalize (GObject *object)
{
  SottoInbox *self = (SottoInbox *)object;

  g_clear_pointer (&self->stored_guids, g_hash_table_unref);
  g_clear_pointer (&self->protocol, _sotto_protocol_state_unref);
  g_clear_object (&self->outbox);
  g_clear_object (&self->client);
  g_clear_object (&self->conversations);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (sotto_inbox_parent_class)->finalize (object);
}

static void
sotto_inbox_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  SottoInbox *self = SOTTO_INBOX (object);

  switch (prop_id)
    {
    case PROP_DRAINED:
      g_value_set_boolean (value, self->drained);
      break;

    case PROP_MESSAGE_REQUESTS:
      g_value_set_boolean (value, self->message_requests);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_inbox_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  SottoInbox *self = SOTTO_INBOX (object);

  switch (prop_id)
    {
    case PROP_MESSAGE_REQUESTS:
      if (self->message_requests != g_value_get_boolean (value))
        {
          self->message_requests = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_inbox_class_init (SottoInboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sotto_inbox_dispose;
  object_class->finalize = sotto_inbox_finalize;
  object_class->get_property = sotto_inbox_get_property;
  object_class->set_property = sotto_inbox_set_property;

  /* As SottoMessenger:drained. */
  properties [PROP_DRAINED] =
    g_param_spec_boolean ("drained", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  /* As SottoMessenger:message-requests. */
  properties [PROP_MESSAGE_REQUESTS] =
    g_param_spec_boolean ("message-requests", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* As SottoMessenger::message-received. */
  signals [MESSAGE_RECEIVED] = _sotto_signal_new_message_received (G_TYPE_FROM_CLASS (klass));

  /* As SottoMessenger::message-action. */
  signals [MESSAGE_ACTION] = _sotto_signal_new_message_action (G_TYPE_FROM_CLASS (klass));

  /* A message came under a new identity key of its sender. */
  signals [IDENTITY_CHANGED] = _sotto_signal_new_identity_changed (G_TYPE_FROM_CLASS (klass));
}

static void
sotto_inbox_init (SottoInbox *self)
{
  self->stored_guids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&self->queue);
}
