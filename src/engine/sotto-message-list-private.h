/* sotto-message-list-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-message.h"
#include "sotto-message-list.h"

G_BEGIN_DECLS

/* Messages are read from the store this many at a time. */
#define SOTTO_MESSAGE_LIST_PAGE_SIZE 50

/* Pages the list keeps once nothing else refers to their messages. */
#define SOTTO_MESSAGE_LIST_MAX_CACHED_PAGES 8

SottoMessageList *_sotto_message_list_new              (SottoStore        *store,
                                                        gint64             conversation_id,
                                                        guint              n_items,
                                                        SottoMessage      *last_message) G_GNUC_WARN_UNUSED_RESULT;
void              _sotto_message_list_append           (SottoMessageList  *self,
                                                        SottoMessage      *message);
SottoMessage     *_sotto_message_list_peek             (SottoMessageList  *self,
                                                        guint              position);
void              _sotto_message_list_mark_read        (SottoMessageList  *self);
guint             _sotto_message_list_get_n_page_loads (SottoMessageList  *self);

G_END_DECLS
