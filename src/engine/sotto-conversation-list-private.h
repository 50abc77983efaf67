/* sotto-conversation-list-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-conversation-list.h"

G_BEGIN_DECLS

void _sotto_conversation_list_add_async (SottoConversationList *self,
                                         const char            *uuid,
                                         const char            *username,
                                         const char            *name,
                                         GBytes                *identity_key,
                                         SottoContactStanding   standing,
                                         GCancellable          *cancellable,
                                         GAsyncReadyCallback    callback,
                                         gpointer               user_data);
void _sotto_conversation_list_remove    (SottoConversationList *self,
                                         SottoConversation     *conversation);
void _sotto_conversation_list_insert    (SottoConversationList *self,
                                         SottoConversation     *conversation);
SottoConversation *_sotto_conversation_list_find_by_id (SottoConversationList *self,
                                                        gint64                 conversation_id);

G_END_DECLS
