/* sotto-messenger-typing.c: typing indicators
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-messenger"

#include "config.h"

#include "sotto-messenger-private.h"

/* The messenger's face of the typing service (sotto-typing.c). */

/**
 * sotto_messenger_set_composing:
 * @self: a #SottoMessenger
 * @conversation: the conversation the user writes in
 * @composing: %TRUE on every change the user makes to an unsent
 *   message; %FALSE once it is sent or emptied, or the user leaves the
 *   conversation
 *
 * Drives the typing indicators the contact sees: "started" at most
 * every few seconds while @composing comes, "stopped" a few seconds
 * after the last, or at once with %FALSE.  Nothing goes to a message
 * request or a blocked contact, nor while
 * #SottoMessenger:typing-indicators is off.
 */
void
sotto_messenger_set_composing (SottoMessenger    *self,
                               SottoConversation *conversation,
                               gboolean           composing)
{
  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));

  /* Offline, a typing indicator could not go anyway. */
  if (!self->started)
    return;

  _sotto_typing_set_composing (self->typing, conversation, composing);
}
