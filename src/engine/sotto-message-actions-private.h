/* sotto-message-actions-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-content-private.h"
#include "sotto-conversation.h"
#include "sotto-records-private.h"
#include "sotto-store-private.h"

G_BEGIN_DECLS

void     _sotto_message_actions_show           (SottoConversation         *conversation,
                                                const SottoMessageRecord  *record);

/* Receiving, on the store's thread inside the reception's transaction */
gboolean _sotto_message_actions_receive        (SottoStore                *store,
                                                gint64                     conversation_id,
                                                const SottoContent        *content,
                                                SottoStoreActionResult    *result,
                                                SottoMessageRecord       **changed,
                                                GError                   **error);
gboolean _sotto_message_actions_apply_pending  (SottoStore                *store,
                                                gint64                     conversation_id,
                                                SottoMessageRecord       **message,
                                                GPtrArray                **applied,
                                                GError                   **error);

/* Receiving, on the main thread once committed */
gboolean _sotto_message_actions_show_received  (SottoConversation         *conversation,
                                                SottoStoreActionResult     result,
                                                const SottoMessageRecord  *changed);
SottoMessageAction _sotto_message_actions_kind (const SottoContent        *content);
char    *_sotto_message_actions_quote_excerpt  (const char                *text) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
