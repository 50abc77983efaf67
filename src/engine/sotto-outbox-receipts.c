/* sotto-outbox-receipts.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-outbox"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-contact.h"
#include "sotto-conversation-private.h"
#include "sotto-outbox-private.h"

/* The outbox's receipts: delivery receipts are gathered per
 * conversation and sent together; read receipts go when a conversation,
 * or messages in it, are marked read. */

/* Sends one receipt of @kind for @ids now; the task returns a boolean. */
void
_sotto_outbox_send_receipt_async (SottoOutbox         *self,
                                  SottoConversation   *conversation,
                                  SottoContentKind     kind,
                                  const char * const  *ids,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  g_autoptr(SottoContent) content = NULL;
  g_autofree char *id = g_uuid_string_random ();

  content = sotto_content_new_receipt (kind, id, g_get_real_time () / 1000, ids);
  _sotto_outbox_send_content_async (self, conversation, content, NULL,
                                    _sotto_task_return_step_cb, g_object_ref (task));
}

static void
delivery_receipt_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Receipts are a courtesy: one that does not go through leaves the
   * sender's message as sent, and nothing is lost. */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_debug ("Could not send a delivery receipt: %s", error->message);
}

static gboolean
receipt_timeout_cb (gpointer user_data)
{
  SottoOutbox *self = user_data;

  self->receipt_source = 0;
  _sotto_outbox_flush_receipts (self);

  return G_SOURCE_REMOVE;
}

void
_sotto_outbox_flush_receipts (SottoOutbox *self)
{
  GHashTableIter iter;
  gpointer conversation;
  gpointer ids;

  g_clear_handle_id (&self->receipt_source, g_source_remove);

  g_hash_table_iter_init (&iter, self->receipts);
  while (g_hash_table_iter_next (&iter, &conversation, &ids))
    {
      GPtrArray *array = ids;

      g_ptr_array_add (array, NULL);
      _sotto_outbox_send_receipt_async (self, conversation, SOTTO_CONTENT_KIND_DELIVERY_RECEIPT,
                                        (const char * const *) array->pdata, delivery_receipt_cb, NULL);
      g_hash_table_iter_remove (&iter);
    }
}

/* Notes that message @id arrived; a receipt for it goes out soon. */
void
_sotto_outbox_queue_receipt (SottoOutbox       *self,
                             SottoConversation *conversation,
                             const char        *id)
{
  GPtrArray *ids = g_hash_table_lookup (self->receipts, conversation);

  if (ids == NULL)
    {
      ids = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (self->receipts, g_object_ref (conversation), ids);
    }

  g_ptr_array_add (ids, g_strdup (id));

  if (ids->len >= SOTTO_OUTBOX_RECEIPT_BATCH)
    _sotto_outbox_flush_receipts (self);
  else if (self->receipt_source == 0)
    self->receipt_source = g_timeout_add (SOTTO_OUTBOX_RECEIPT_DELAY_MS, receipt_timeout_cb, self);
}

static void
mark_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoOutbox *self = g_task_get_source_object (task);
  SottoConversation *conversation = SOTTO_CONVERSATION (object);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) ids = NULL;
  guint n_ids;

  ids = sotto_conversation_mark_read_finish (conversation, result, &error);
  if (ids == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* A message request hears nothing back until the user accepts it. */
  n_ids = g_strv_length (ids);
  if (n_ids == 0 || !self->send_read_receipts
      || sotto_contact_get_standing (sotto_conversation_get_contact (conversation)) != SOTTO_CONTACT_STANDING_ACCEPTED)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* One receipt holds a bounded number of ids; the newest ones matter. */
  _sotto_outbox_send_receipt_async (self, conversation, SOTTO_CONTENT_KIND_READ_RECEIPT,
                                    (const char * const *) ids + (n_ids > SOTTO_CONTENT_MAX_RECEIPTS
                                                                  ? n_ids - SOTTO_CONTENT_MAX_RECEIPTS : 0),
                                    _sotto_task_return_step_cb, g_object_ref (task));
}

/* Marks the conversation's unread messages read and, unless
 * #SottoOutbox:send-read-receipts is off, tells the sender; the task
 * returns a boolean.  The messages are marked even when the receipt
 * cannot be sent. */
void
_sotto_outbox_mark_read_async (SottoOutbox         *self,
                               SottoConversation   *conversation,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_OUTBOX (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_outbox_mark_read_async);

  sotto_conversation_mark_read_async (conversation, cancellable, mark_read_cb, g_object_ref (task));
}

/* Like _sotto_outbox_mark_read_async() for the messages @ids only: the
 * user saw them, and the rest of the conversation stays unread. */
void
_sotto_outbox_mark_messages_read_async (SottoOutbox         *self,
                                        SottoConversation   *conversation,
                                        const char * const  *ids,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_OUTBOX (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));
  g_return_if_fail (ids != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_outbox_mark_messages_read_async);

  sotto_conversation_mark_messages_read_async (conversation, ids, cancellable, mark_read_cb, g_object_ref (task));
}

/* Drops the delivery receipts waiting for @conversation: its contact
 * is blocked or gone. */
void
_sotto_outbox_forget_receipts (SottoOutbox       *self,
                               SottoConversation *conversation)
{
  g_hash_table_remove (self->receipts, conversation);
}
