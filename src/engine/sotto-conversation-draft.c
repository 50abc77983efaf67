/* sotto-conversation-draft.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-conversation"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-conversation-internal-private.h"

/* The conversation's draft: what the user wrote and has not sent, kept
 * sealed in the store (sotto-store-drafts.c). */

static void
sotto_conversation_draft_thread (GTask        *task,
                                 gpointer      source_object,
                                 gpointer      task_data,
                                 GCancellable *cancellable)
{
  SottoConversation *self = source_object;
  Operation *operation = task_data;
  g_autoptr(GError) error = NULL;

  if (_sotto_store_save_draft (self->store, SOTTO_STORE_DRAFT_CONVERSATION, self->id, operation->draft, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
sotto_conversation_draft_apply (SottoConversation *self,
                                GTask             *task,
                                Operation         *operation)
{
  _sotto_conversation_set_draft (self, operation->draft);
  g_task_return_boolean (task, TRUE);
}

/**
 * sotto_conversation_save_draft_async:
 * @self: a #SottoConversation
 * @text: what the user wrote and has not sent; empty for nothing
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the draft is stored
 * @user_data: data for @callback
 *
 * Keeps @text in the store, sealed like the messages, until it is sent
 * or replaced: across switching conversations and restarts.
 */
void
sotto_conversation_save_draft_async (SottoConversation   *self,
                                     const char          *text,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  Operation *operation;

  g_return_if_fail (SOTTO_IS_CONVERSATION (self));
  g_return_if_fail (text != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  operation = g_new0 (Operation, 1);
  operation->apply = sotto_conversation_draft_apply;
  operation->draft = g_strdup (text);

  _sotto_conversation_run (self, operation, sotto_conversation_draft_thread,
                           sotto_conversation_save_draft_async,
                           cancellable, callback, user_data);
}

gboolean
sotto_conversation_save_draft_finish (SottoConversation  *self,
                                      GAsyncResult       *result,
                                      GError            **error)
{
  return _sotto_task_propagate_boolean (self, result, NULL, error);
}

const char *
sotto_conversation_get_draft (SottoConversation *self)
{
  g_return_val_if_fail (SOTTO_IS_CONVERSATION (self), NULL);

  return self->draft;
}
