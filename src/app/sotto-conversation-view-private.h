/* sotto-conversation-view-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-conversation-view.h"
#include "sotto-reply-bar.h"

G_BEGIN_DECLS

/* What the view's files share: sotto-conversation-view.c shows the
 * conversation and sends what the user writes; the actions on single
 * messages (reply, react, edit, delete for everyone, the original of a
 * quote, the versions of an edit) are in sotto-conversation-view-actions.c. */

/* sotto-conversation-view.c */
SottoReplyBar      *_sotto_conversation_view_get_reply_bar   (SottoConversationView *self);
GtkSingleSelection *_sotto_conversation_view_get_selection   (SottoConversationView *self);
GCancellable       *_sotto_conversation_view_get_cancellable (SottoConversationView *self);

/* sotto-conversation-view-actions.c */
void     _sotto_conversation_view_class_add_message_actions (GtkWidgetClass        *widget_class);
void     _sotto_conversation_view_init_message_actions      (SottoConversationView *self);
gboolean _sotto_conversation_view_send_change               (SottoConversationView *self,
                                                             const char            *text);

G_END_DECLS
