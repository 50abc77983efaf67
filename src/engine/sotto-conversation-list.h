/* sotto-conversation-list.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-engine-types.h"

G_BEGIN_DECLS

/* The most messages a search hands back. */
#define SOTTO_CONVERSATION_LIST_MAX_MATCHES 200

#define SOTTO_TYPE_CONVERSATION_LIST (sotto_conversation_list_get_type ())

G_DECLARE_FINAL_TYPE (SottoConversationList, sotto_conversation_list, SOTTO, CONVERSATION_LIST, GObject)

void                   sotto_conversation_list_load_async       (SottoAccount           *account,
                                                                 GCancellable           *cancellable,
                                                                 GAsyncReadyCallback     callback,
                                                                 gpointer                user_data);
SottoConversationList *sotto_conversation_list_load_finish      (GAsyncResult           *result,
                                                                 GError                **error) G_GNUC_WARN_UNUSED_RESULT;
SottoAccount          *sotto_conversation_list_get_account      (SottoConversationList  *self);
void                   sotto_conversation_list_add_async        (SottoConversationList  *self,
                                                                 const char             *uuid,
                                                                 const char             *username,
                                                                 const char             *name,
                                                                 GBytes                 *identity_key,
                                                                 GCancellable           *cancellable,
                                                                 GAsyncReadyCallback     callback,
                                                                 gpointer                user_data);
SottoConversation     *sotto_conversation_list_add_finish       (SottoConversationList  *self,
                                                                 GAsyncResult           *result,
                                                                 GError                **error) G_GNUC_WARN_UNUSED_RESULT;
SottoConversation     *sotto_conversation_list_find_by_uuid     (SottoConversationList  *self,
                                                                 const char             *uuid);
SottoConversation     *sotto_conversation_list_find_by_username (SottoConversationList  *self,
                                                                 const char             *username);
void                   sotto_conversation_list_search_async     (SottoConversationList  *self,
                                                                 const char             *query,
                                                                 GCancellable           *cancellable,
                                                                 GAsyncReadyCallback     callback,
                                                                 gpointer                user_data);
GListModel            *sotto_conversation_list_search_finish    (SottoConversationList  *self,
                                                                 GAsyncResult           *result,
                                                                 GError                **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
