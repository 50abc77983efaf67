/* sotto-conversation-row.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "sotto-conversation.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_CONVERSATION_ROW (sotto_conversation_row_get_type ())

G_DECLARE_FINAL_TYPE (SottoConversationRow, sotto_conversation_row, SOTTO, CONVERSATION_ROW, GtkWidget)

GtkWidget         *sotto_conversation_row_new              (void);
SottoConversation *sotto_conversation_row_get_conversation (SottoConversationRow *self);
void               sotto_conversation_row_set_conversation (SottoConversationRow *self,
                                                            SottoConversation    *conversation);

G_END_DECLS
