/* sotto-conversation-typing.c: whether the contact is typing
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-conversation"

#include "config.h"

#include "sotto-conversation-internal-private.h"

/* SottoConversation:peer-typing turns on with the contact's "started"
 * and off with their "stopped", with a message from them, or
 * SOTTO_CONVERSATION_PEER_TYPING_TIMEOUT seconds after the last
 * "started": the contact's Sotto sends "started" again every few
 * seconds while the user types, so an indicator that is not refreshed
 * is stale (its "stopped" was lost, or the contact went offline), and a
 * hostile contact cannot keep it on without sending. */

static void
set_peer_typing (SottoConversation *self,
                 gboolean           typing)
{
  if (self->peer_typing == typing)
    return;

  self->peer_typing = typing;
  _sotto_conversation_notify_peer_typing (self);
}

static gboolean
peer_typing_timeout_cb (gpointer user_data)
{
  SottoConversation *self = user_data;

  self->peer_typing_source = 0;
  set_peer_typing (self, FALSE);

  return G_SOURCE_REMOVE;
}

/* Turns the indicator on, or off; on, it goes off by itself after the
 * timeout unless turned on again. */
void
_sotto_conversation_set_peer_typing (SottoConversation *self,
                                     gboolean           typing)
{
  g_return_if_fail (SOTTO_IS_CONVERSATION (self));

  g_clear_handle_id (&self->peer_typing_source, g_source_remove);
  if (typing)
    self->peer_typing_source = g_timeout_add_seconds (SOTTO_CONVERSATION_PEER_TYPING_TIMEOUT,
                                                      peer_typing_timeout_cb, self);
  set_peer_typing (self, typing);
}

/**
 * sotto_conversation_get_peer_typing:
 * @self: a #SottoConversation
 *
 * Returns: whether the contact is typing
 */
gboolean
sotto_conversation_get_peer_typing (SottoConversation *self)
{
  g_return_val_if_fail (SOTTO_IS_CONVERSATION (self), FALSE);

  return self->peer_typing;
}
