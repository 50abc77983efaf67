/* sotto-outbox-compose.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-outbox"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sotto-conversation-private.h"
#include "sotto-message-private.h"
#include "sotto-outbox-private.h"

/* Storing what is written.  Messages handed over together are stored
 * in one transaction: while one transaction runs, the messages written
 * meanwhile gather for the next. */

typedef struct
{
  GTask *task;
  SottoConversation *conversation;
  gint64 conversation_id;
  /* The model on the main thread, and its record on the store's. */
  SottoMessage *message;
  SottoMessageRecord *record;
  GError *error;
  /* Answered once stored, not once sent: a message whose files are
   * still to be uploaded waits for them, not for the relay. */
  gboolean store_only;
} Compose;

static void
compose_free (Compose *compose)
{
  g_clear_object (&compose->task);
  g_clear_object (&compose->conversation);
  g_clear_object (&compose->message);
  g_clear_pointer (&compose->record, _sotto_message_record_free);
  g_clear_error (&compose->error);
  g_free (compose);
}

GPtrArray *
_sotto_outbox_composing_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) compose_free);
}

static void
compose_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  SottoOutbox *self = source_object;
  GPtrArray *composing = task_data;
  g_autoptr(GError) error = NULL;

  if (!_sotto_store_begin_batch (self->store, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  for (guint i = 0; i < composing->len; i++)
    {
      Compose *compose = g_ptr_array_index (composing, i);
      g_autoptr(GPtrArray) messages = g_ptr_array_new ();

      if (compose->error != NULL)
        continue;

      g_ptr_array_add (messages, compose->record);
      if (_sotto_store_insert_messages (self->store, compose->conversation_id, messages, &compose->error))
        _sotto_store_time_outgoing (self->store, compose->conversation_id, compose->record, &compose->error);
    }

  if (!_sotto_store_commit_batch (self->store, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void compose_next (SottoOutbox *self);

static void
composed_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  SottoOutbox *self = SOTTO_OUTBOX (object);
  GPtrArray *composing = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  gboolean stored = g_task_propagate_boolean (G_TASK (result), &error);

  /* The message enters the conversation once it is on disk, before
   * anything is sent, so that no crash can lose it. */
  for (guint i = 0; i < composing->len; i++)
    {
      Compose *compose = g_ptr_array_index (composing, i);

      if (!stored || compose->error != NULL)
        {
          g_task_return_error (compose->task, compose->error != NULL ? g_steal_pointer (&compose->error)
                                                                    : g_error_copy (error));
          continue;
        }

      _sotto_message_set_position (compose->message, compose->record->position);
      _sotto_conversation_add_stored (compose->conversation, compose->message);
      g_task_set_task_data (compose->task, g_object_ref (compose->message), g_object_unref);

      if (compose->store_only)
        {
          /* The store gave the attachments their rows. */
          _sotto_message_update (compose->message, compose->record);
          g_task_return_boolean (compose->task, TRUE);
          continue;
        }
      _sotto_outbox_wait_for_message (self, g_steal_pointer (&compose->task),
                                      sotto_message_get_id (compose->message));
    }

  self->compose_running = FALSE;
  _sotto_outbox_pump (self);
  compose_next (self);
}

static void
compose_next (SottoOutbox *self)
{
  g_autoptr(GTask) task = NULL;
  GPtrArray *composing;

  if (self->compose_running || self->composing->len == 0)
    return;

  composing = g_steal_pointer (&self->composing);
  self->composing = _sotto_outbox_composing_new ();
  self->compose_running = TRUE;

  for (guint i = 0; i < composing->len; i++)
    {
      Compose *compose = g_ptr_array_index (composing, i);

      g_cancellable_set_error_if_cancelled (g_task_get_cancellable (compose->task), &compose->error);
    }

  task = g_task_new (self, NULL, composed_cb, NULL);
  g_task_set_task_data (task, composing, (GDestroyNotify) g_ptr_array_unref);
  _sotto_store_run_in_thread (self->store, task, compose_thread);
}

static gboolean
compose_idle_cb (gpointer user_data)
{
  SottoOutbox *self = user_data;

  self->compose_source = 0;
  compose_next (self);

  return G_SOURCE_REMOVE;
}

/* Stores @text as a queued message, then sends the outbox up to it.
 * The message is safe on disk either way: when this fails with
 * %SOTTO_MESSENGER_ERROR_QUEUED or %SOTTO_MESSENGER_ERROR_HELD it is
 * still queued and goes out later. */
void
_sotto_outbox_send_async (SottoOutbox         *self,
                          SottoConversation   *conversation,
                          const char          *text,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  _sotto_outbox_send_reply_async (self, conversation, text, NULL, cancellable, callback, user_data);
}

static void
compose_add (SottoOutbox               *self,
             SottoConversation         *conversation,
             const char                *text,
             const SottoMessageRecord  *quote,
             GPtrArray                 *attachments,
             GCancellable              *cancellable,
             GAsyncReadyCallback        callback,
             gpointer                   user_data)
{
  g_autoptr(GTask) task = NULL;
  Compose *compose;

  g_return_if_fail (SOTTO_IS_OUTBOX (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));
  g_return_if_fail (text != NULL && g_utf8_validate (text, -1, NULL));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _sotto_outbox_send_async);

  if (strlen (text) > SOTTO_MESSAGE_MAX_TEXT)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               g_dngettext (GETTEXT_PACKAGE, "The message is longer than %u byte",
                                            "The message is longer than %u bytes", SOTTO_MESSAGE_MAX_TEXT),
                               (guint) SOTTO_MESSAGE_MAX_TEXT);
      return;
    }

  compose = g_new0 (Compose, 1);
  compose->task = g_steal_pointer (&task);
  compose->conversation = g_object_ref (conversation);
  compose->conversation_id = _sotto_conversation_get_id (conversation);
  compose->message = _sotto_conversation_new_queued (text);
  compose->record = _sotto_message_to_record (compose->message);
  if (quote != NULL)
    {
      compose->record->quote_id = g_strdup (quote->quote_id);
      compose->record->quote_author = g_strdup (quote->quote_author);
      compose->record->quote_text = g_strdup (quote->quote_text);
    }
  if (attachments != NULL)
    {
      compose->record->attachments = g_ptr_array_ref (attachments);
      compose->store_only = TRUE;
    }
  _sotto_message_update (compose->message, compose->record);
  g_ptr_array_add (self->composing, compose);

  /* Whatever else is handed over before the main loop comes back joins
   * the same transaction. */
  if (self->compose_source == 0 && !self->compose_running)
    self->compose_source = g_idle_add_full (G_PRIORITY_DEFAULT, compose_idle_cb,
                                            g_object_ref (self), g_object_unref);
}

/* Like _sotto_outbox_send_async(), for a message that quotes @quote
 * (a record with quote_id, quote_author and quote_text), or none. */
void
_sotto_outbox_send_reply_async (SottoOutbox               *self,
                                SottoConversation         *conversation,
                                const char                *text,
                                const SottoMessageRecord  *quote,
                                GCancellable              *cancellable,
                                GAsyncReadyCallback        callback,
                                gpointer                   user_data)
{
  compose_add (self, conversation, text, quote, NULL, cancellable, callback, user_data);
}

/* Stores @text as a queued message with @attachments (records that the
 * store gives their rows), answering once it is stored: the outbox sends
 * it once every attachment is on the relay (sotto-attachment-service.c). */
void
_sotto_outbox_store_with_attachments_async (SottoOutbox         *self,
                                            SottoConversation   *conversation,
                                            const char          *text,
                                            GPtrArray           *attachments,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_return_if_fail (attachments != NULL && attachments->len > 0);

  compose_add (self, conversation, text, NULL, attachments, cancellable, callback, user_data);
}

/* Returns %TRUE once the relay committed the message; @message is the
 * message, if it was stored. */
gboolean
_sotto_outbox_send_finish (SottoOutbox    *self,
                           GAsyncResult   *result,
                           SottoMessage  **message,
                           GError        **error)
{
  SottoMessage *stored;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  stored = g_task_get_task_data (G_TASK (result));
  if (message != NULL)
    *message = stored != NULL ? g_object_ref (stored) : NULL;

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Stores what was handed over and waits for the main loop now, before
 * the outbox is read. */
void
_sotto_outbox_compose_now (SottoOutbox *self)
{
  g_clear_handle_id (&self->compose_source, g_source_remove);
  compose_next (self);
}
