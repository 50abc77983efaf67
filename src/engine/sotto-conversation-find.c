/* sotto-conversation-find.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-conversation"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-conversation-internal-private.h"

/* Where a message is in its conversation, by its id: what a reply's
 * quote leads to.  The store answers from its index, so that finding a
 * message on a page not read yet costs one lookup, not a walk through
 * the pages before it. */

static void
sotto_conversation_find_thread (GTask        *task,
                                gpointer      source_object,
                                gpointer      task_data,
                                GCancellable *cancellable)
{
  SottoConversation *self = source_object;
  Operation *operation = task_data;
  g_autoptr(GError) error = NULL;

  operation->record = _sotto_store_load_message (self->store, self->id, operation->id, NULL, &error);
  if (operation->record == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
sotto_conversation_find_apply (SottoConversation *self,
                               GTask             *task,
                               Operation         *operation)
{
  /* A position past the list's end is one of a message stored after the
   * list was last read: not there yet for the views. */
  if (operation->record->position >= g_list_model_get_n_items (G_LIST_MODEL (self->messages)))
    {
      g_task_return_new_error (task, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_FOUND,
                               _("There is no message %s in this conversation"), operation->id);
      return;
    }

  g_task_return_int (task, operation->record->position);
}

/**
 * sotto_conversation_find_message_async:
 * @self: a #SottoConversation
 * @id: the UUID of a message
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the message's position
 * @user_data: data for @callback
 *
 * Looks up where message @id is in sotto_conversation_get_messages(),
 * whether its page was read or not.
 */
void
sotto_conversation_find_message_async (SottoConversation   *self,
                                       const char          *id,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  Operation *operation;

  g_return_if_fail (SOTTO_IS_CONVERSATION (self));
  g_return_if_fail (id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  operation = g_new0 (Operation, 1);
  operation->apply = sotto_conversation_find_apply;
  operation->id = g_ascii_strdown (id, -1);

  _sotto_conversation_run (self, operation, sotto_conversation_find_thread,
                           sotto_conversation_find_message_async,
                           cancellable, callback, user_data);
}

/**
 * sotto_conversation_find_message_finish:
 * @self: a #SottoConversation
 * @result: the result passed to the callback
 * @position: (out): the position of the message in the conversation
 * @error: a location for a #GError
 *
 * Returns: whether the conversation has the message; %FALSE with
 *   %SOTTO_STORE_ERROR_NOT_FOUND for one it does not have (never
 *   received, or deleted on this device)
 */
gboolean
sotto_conversation_find_message_finish (SottoConversation  *self,
                                        GAsyncResult       *result,
                                        guint              *position,
                                        GError            **error)
{
  gssize found;

  g_return_val_if_fail (SOTTO_IS_CONVERSATION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sotto_conversation_find_message_async, FALSE);
  g_return_val_if_fail (position != NULL, FALSE);

  found = g_task_propagate_int (G_TASK (result), error);
  if (found < 0)
    return FALSE;

  *position = found;

  return TRUE;
}
