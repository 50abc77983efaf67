/* sotto-outbox-held-receipts.c: receipts that waited, and go now
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-outbox"

#include "config.h"

#include "sotto-contact.h"
#include "sotto-conversation-private.h"
#include "sotto-outbox-private.h"

/* Receipts do not always go out when a message arrives: not to a
 * message request until the user accepts it, and not while sending to a
 * contact is held after their safety number changed, because a receipt
 * is sent like any message.  Once that ends, the sender learns what
 * happened meanwhile: one delivery receipt for the messages in question
 * (the newest SOTTO_CONTENT_MAX_RECEIPTS of them) and, as the user's
 * settings allow, one read receipt for those already read.  The messages
 * are read from the store, so receipts held across a restart go too. */

typedef struct
{
  SottoConversation *conversation;
  gboolean since_key_change;
  GPtrArray *delivered;
  GPtrArray *read;
} HeldReceipts;

static void
held_receipts_free (HeldReceipts *held)
{
  g_clear_object (&held->conversation);
  g_clear_pointer (&held->delivered, g_ptr_array_unref);
  g_clear_pointer (&held->read, g_ptr_array_unref);
  g_free (held);
}

static void
list_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SottoOutbox *self = source_object;
  HeldReceipts *held = task_data;
  g_autoptr(GError) error = NULL;

  if (!_sotto_store_list_incoming (self->store, _sotto_conversation_get_id (held->conversation),
                                   held->since_key_change, SOTTO_CONTENT_MAX_RECEIPTS,
                                   &held->delivered, &held->read, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/* Receipts are a courtesy: one that does not go through loses nothing,
 * and the next step goes on. */
static void
log_receipt_failure (GAsyncResult *result,
                     const char   *what)
{
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_debug ("Could not send a held %s receipt: %s", what, error->message);
}

/* Sends one receipt of @kind for @ids, then goes on in @next; with
 * nothing to send, or @wanted off, the held receipts are done. */
static void
send_or_finish (GTask               *task,
                SottoContentKind     kind,
                GPtrArray           *ids,
                gboolean             wanted,
                GAsyncReadyCallback  next)
{
  SottoOutbox *self = g_task_get_source_object (task);
  HeldReceipts *held = g_task_get_task_data (task);

  if (ids->len == 0 || !wanted)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  g_ptr_array_add (ids, NULL);
  _sotto_outbox_send_receipt_async (self, held->conversation, kind, (const char * const *) ids->pdata,
                                    next, g_object_ref (task));
}

static void
read_sent_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  log_receipt_failure (result, "read");
  g_task_return_boolean (task, TRUE);
}

static void
delivered_sent_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  SottoOutbox *self = SOTTO_OUTBOX (object);
  g_autoptr(GTask) task = user_data;
  HeldReceipts *held = g_task_get_task_data (task);

  log_receipt_failure (result, "delivery");
  send_or_finish (task, SOTTO_CONTENT_KIND_READ_RECEIPT, held->read, self->send_read_receipts, read_sent_cb);
}

static void
listed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HeldReceipts *held = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_debug ("Could not read the messages whose receipts waited: %s", error->message);
      g_task_return_boolean (task, TRUE);
      return;
    }

  send_or_finish (task, SOTTO_CONTENT_KIND_DELIVERY_RECEIPT, held->delivered, TRUE, delivered_sent_cb);
}

/* Sends the receipts held back for @conversation: for all its incoming
 * messages, or with @since_key_change for those since the contact's
 * safety number last changed.  Completes once they went, or could not;
 * the task returns a boolean, always %TRUE. */
void
_sotto_outbox_send_held_receipts_async (SottoOutbox         *self,
                                        SottoConversation   *conversation,
                                        gboolean             since_key_change,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  HeldReceipts *held;

  held = g_new0 (HeldReceipts, 1);
  held->conversation = g_object_ref (conversation);
  held->since_key_change = since_key_change;
  g_task_set_task_data (task, held, (GDestroyNotify) held_receipts_free);

  _sotto_task_run_step (task, self->store, list_thread, listed_cb);
}

static void
released_receipts_sent_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  /* Receipts are a courtesy: each step says what did not go. */
  g_task_propagate_boolean (G_TASK (result), NULL);
}

/* Sending to the contact is no longer held: the receipts for what came
 * in meanwhile go, and the outbox says so (::hold-ended). */
static void
sending_held_cb (SottoOutbox       *self,
                 GParamSpec        *pspec,
                 SottoConversation *conversation)
{
  SottoContact *contact = sotto_conversation_get_contact (conversation);

  if (sotto_conversation_get_sending_held (conversation))
    return;

  _sotto_outbox_emit_hold_ended (self, conversation);
  if (sotto_contact_get_standing (contact) != SOTTO_CONTACT_STANDING_ACCEPTED)
    return;

  _sotto_outbox_send_held_receipts_async (self, conversation, TRUE, released_receipts_sent_cb, NULL);
}

static void
watch_hold (SottoOutbox       *self,
            SottoConversation *conversation)
{
  /* A conversation that moves in the list is added again. */
  if (g_signal_handler_find (conversation, G_SIGNAL_MATCH_FUNC | G_SIGNAL_MATCH_DATA,
                             0, 0, NULL, sending_held_cb, self) != 0)
    return;

  g_signal_connect_object (conversation, "notify::sending-held",
                           G_CALLBACK (sending_held_cb), self, G_CONNECT_SWAPPED);
}

static void
conversations_changed_cb (SottoOutbox    *self,
                          guint           position,
                          guint           removed,
                          guint           added,
                          GListModel     *conversations)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(SottoConversation) conversation = g_list_model_get_item (conversations, i);

      watch_hold (self, conversation);
    }
}

/* Follows every conversation's hold, for the receipts it kept back. */
void
_sotto_outbox_watch_holds (SottoOutbox *self)
{
  GListModel *conversations = G_LIST_MODEL (self->conversations);

  g_signal_connect_object (conversations, "items-changed",
                           G_CALLBACK (conversations_changed_cb), self, G_CONNECT_SWAPPED);
  conversations_changed_cb (self, 0, 0, g_list_model_get_n_items (conversations), conversations);
}
