/* sotto-conversation-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-conversation.h"
#include "sotto-records-private.h"

G_BEGIN_DECLS

SottoConversation *_sotto_conversation_new_from_record (SottoStore                 *store,
                                                     SottoAccount               *account,
                                                     const SottoConversationRecord *row) G_GNUC_WARN_UNUSED_RESULT;
gint64             _sotto_conversation_get_id (SottoConversation *self);
void               _sotto_conversation_add_stored (SottoConversation *self,
                                                   SottoMessage      *message);
SottoMessage      *_sotto_conversation_new_queued (const char        *text) G_GNUC_WARN_UNUSED_RESULT;
void               _sotto_conversation_set_message_states_async (SottoConversation   *self,
                                                                 const char * const  *ids,
                                                                 SottoMessageState    state,
                                                                 GAsyncReadyCallback  callback,
                                                                 gpointer             user_data);
void               _sotto_conversation_refresh_preview (SottoConversation *self);
void               _sotto_conversation_apply_identity (SottoConversation      *self,
                                                       GBytes                 *identity_key,
                                                       SottoVerificationState  verification_state,
                                                       SottoMessage           *event);

/* sotto-conversation-typing.c */
void               _sotto_conversation_set_peer_typing (SottoConversation *self,
                                                        gboolean           typing);

/* How long the contact shows as typing after their last "started"
 * without another one, in seconds. */
#define SOTTO_CONVERSATION_PEER_TYPING_TIMEOUT 15

G_END_DECLS
