/* sotto-chat-list.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-conversation-list.h"
#include "sotto-group-list.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_CHAT_LIST (sotto_chat_list_get_type ())

G_DECLARE_FINAL_TYPE (SottoChatList, sotto_chat_list, SOTTO, CHAT_LIST, GObject)

SottoChatList *sotto_chat_list_new                (SottoConversationList *conversations,
                                                   SottoGroupList        *groups) G_GNUC_WARN_UNUSED_RESULT;
gint64         sotto_chat_list_get_item_activity  (gpointer               item);

G_END_DECLS
