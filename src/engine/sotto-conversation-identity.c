/* sotto-conversation-identity.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-conversation"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-contact-private.h"
#include "sotto-conversation-internal-private.h"
#include "sotto-message-private.h"

/* The contact's identity key, as the user's side records it: the first
 * kept, a change recorded with an event and, for a verified contact,
 * sending held (sotto_conversation_set_identity_key_async()). */

static void
sotto_conversation_identity_thread (GTask        *task,
                                    gpointer      source_object,
                                    gpointer      task_data,
                                    GCancellable *cancellable)
{
  SottoConversation *self = source_object;
  Operation *operation = task_data;
  g_autoptr(GError) error = NULL;

  if (!_sotto_store_change_identity (self->store,
                                     _sotto_contact_get_id (self->contact), self->id,
                                     operation->identity_key,
                                     &operation->verification_state,
                                     &operation->record,
                                     &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
sotto_conversation_identity_apply (SottoConversation *self,
                                   GTask             *task,
                                   Operation         *operation)
{
  if (operation->record != NULL)
    operation->message = _sotto_message_new_from_record (operation->record);

  _sotto_conversation_apply_identity (self, operation->identity_key, operation->verification_state,
                                      operation->message);

  g_task_return_boolean (task, TRUE);
}

/**
 * sotto_conversation_set_identity_key_async:
 * @self: a #SottoConversation
 * @identity_key: the contact's identity key, as the session core saw it
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the key is stored
 * @user_data: data for @callback
 *
 * Records the contact's identity key.  The first key is simply kept.  A
 * different one adds a "safety number changed" event to the conversation;
 * if the contact was verified it becomes
 * %SOTTO_VERIFICATION_STATE_CHANGED and sending is held until the user
 * verifies the new safety number or accepts it.  Receiving goes on
 * regardless.  The decision is taken in the same transaction that stores
 * the key, against what is on disk.
 */
void
sotto_conversation_set_identity_key_async (SottoConversation   *self,
                                           GBytes              *identity_key,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  Operation *operation;

  g_return_if_fail (SOTTO_IS_CONVERSATION (self));
  g_return_if_fail (identity_key != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  operation = g_new0 (Operation, 1);
  operation->apply = sotto_conversation_identity_apply;
  operation->identity_key = g_bytes_ref (identity_key);

  _sotto_conversation_run (self, operation, sotto_conversation_identity_thread,
                           sotto_conversation_set_identity_key_async,
                           cancellable, callback, user_data);
}

gboolean
sotto_conversation_set_identity_key_finish (SottoConversation  *self,
                                            GAsyncResult       *result,
                                            GError            **error)
{
  return _sotto_task_propagate_boolean (self, result, NULL, error);
}
