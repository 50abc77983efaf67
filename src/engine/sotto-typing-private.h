/* sotto-typing-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-content-private.h"
#include "sotto-conversation-list.h"
#include "sotto-outbox-private.h"
#include "sotto-relay-client-private.h"

G_BEGIN_DECLS

/* While the user types, "started" goes again after this many seconds,
 * so that the contact's indicator, which goes off by itself after
 * SOTTO_CONVERSATION_PEER_TYPING_TIMEOUT, stays on. */
#define SOTTO_TYPING_REFRESH_SECONDS 10

/* "stopped" goes after this many seconds without a keystroke. */
#define SOTTO_TYPING_IDLE_SECONDS 5

#define SOTTO_TYPE_TYPING (sotto_typing_get_type ())

G_DECLARE_FINAL_TYPE (SottoTyping, sotto_typing, SOTTO, TYPING, GObject)

SottoTyping *_sotto_typing_new              (SottoConversationList    *conversations,
                                             SottoOutbox              *outbox) G_GNUC_WARN_UNUSED_RESULT;
void         _sotto_typing_stop             (SottoTyping              *self);
void         _sotto_typing_set_composing    (SottoTyping              *self,
                                             SottoConversation        *conversation,
                                             gboolean                  composing);
void         _sotto_typing_received         (SottoTyping              *self,
                                             SottoConversation        *conversation,
                                             const SottoRelayEnvelope *envelope,
                                             const SottoContent       *content);
void         _sotto_typing_message_received (SottoTyping              *self,
                                             SottoConversation        *conversation);

G_END_DECLS
