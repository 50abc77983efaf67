/* sotto-conversation-view.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "sotto-conversation.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_CONVERSATION_VIEW (sotto_conversation_view_get_type ())

G_DECLARE_FINAL_TYPE (SottoConversationView, sotto_conversation_view, SOTTO, CONVERSATION_VIEW, GtkWidget)

GtkWidget         *sotto_conversation_view_new              (void);
SottoConversation *sotto_conversation_view_get_conversation (SottoConversationView *self);
void               sotto_conversation_view_set_conversation (SottoConversationView *self,
                                                             SottoConversation     *conversation);
void               sotto_conversation_view_focus_composer   (SottoConversationView *self);
gboolean           sotto_conversation_view_get_at_end       (SottoConversationView *self);
void               sotto_conversation_view_show_message     (SottoConversationView *self,
                                                             guint                  position);

G_END_DECLS
