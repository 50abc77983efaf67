/* sotto-conversation-view-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "sotto-attachment-tray.h"
#include "sotto-conversation-view.h"
#include "sotto-message-entry.h"
#include "sotto-read-tracker.h"
#include "sotto-reply-bar.h"
#include "sotto-request-bar.h"
#include "sotto-timeline-model.h"

G_BEGIN_DECLS

/* What the view's files share: sotto-conversation-view.c shows the
 * conversation and its contact and sends what the user writes; its
 * timeline (paging, scrolling, the way back to the newest messages, the
 * unread divider, the rows) is in sotto-conversation-view-timeline.c;
 * the actions on single messages (reply, react, edit, delete for
 * everyone, the original of a quote, the versions of an edit) are in
 * sotto-conversation-view-actions.c. */

struct _SottoConversationView
{
  GtkWidget parent_instance;

  SottoConversation *conversation;
  GSignalGroup *contact_signals;
  GSignalGroup *messages_signals;
  GSignalGroup *conversation_signals;
  SottoMessage *first_unread;
  SottoTimelineModel *shown;
  GtkSingleSelection *selection;
  SottoReadTracker *read_tracker;
  GCancellable *cancellable;
  guint scroll_source;
  guint scroll_row;  /* where scroll_source goes; GTK_INVALID_LIST_POSITION: the end */
  guint extend_source;
  guint draft_source;
  guint settle_tick;  /* looks where the view stands after a scroll */
  gint64 scroll_frame;  /* the frame the last scroll was asked in */
  gboolean folded;
  gboolean offline;
  gboolean at_end;
  double end_value;  /* where the view was when at_end was last decided */

  GtkWidget *box;
  AdwWindowTitle *title;
  GtkRevealer *banner_revealer;
  GtkLabel *banner_label;
  GtkScrolledWindow *scroller;
  GtkListView *timeline;
  GtkWidget *jump_button;
  GtkLabel *jump_count_label;
  GtkLabel *too_long_label;
  SottoRequestBar *request_bar;
  SottoReplyBar *reply_bar;
  SottoAttachmentTray *attachment_tray;
  GtkWidget *composer;
  SottoMessageEntry *message_entry;
  GtkTextView *text_view;  /* the entry's */
};


/* sotto-conversation-view.c */
SottoReplyBar      *_sotto_conversation_view_get_reply_bar   (SottoConversationView *self);
GtkSingleSelection *_sotto_conversation_view_get_selection   (SottoConversationView *self);
GCancellable       *_sotto_conversation_view_get_cancellable (SottoConversationView *self);
void                _sotto_conversation_view_notify_at_end   (SottoConversationView *self);

/* sotto-conversation-view-timeline.c */
void _sotto_conversation_view_queue_scroll          (SottoConversationView    *self,
                                                     guint                     row);
void _sotto_conversation_view_queue_scroll_to_end   (SottoConversationView    *self);
void _sotto_conversation_view_fit_page_size         (SottoConversationView    *self);
void _sotto_conversation_view_unmark                (SottoConversationView    *self);
void _sotto_conversation_view_show_newest           (SottoConversationView    *self);
void _sotto_conversation_view_update_jump_button    (SottoConversationView    *self);
void _sotto_conversation_view_update_at_end         (SottoConversationView    *self);
void _sotto_conversation_view_adjustment_changed_cb (SottoConversationView    *self);
void _sotto_conversation_view_set_first_unread      (SottoConversationView    *self,
                                                     SottoMessage             *message);
void _sotto_conversation_view_messages_changed_cb   (SottoConversationView    *self,
                                                     guint                     position,
                                                     guint                     removed,
                                                     guint                     added,
                                                     GListModel               *messages);
void _sotto_conversation_view_messages_replaced_cb  (SottoConversationView    *self);
void _sotto_conversation_view_setup_row_cb          (GtkSignalListItemFactory *factory,
                                                     GtkListItem              *item,
                                                     SottoConversationView    *self);
void _sotto_conversation_view_bind_row_cb           (GtkSignalListItemFactory *factory,
                                                     GtkListItem              *item,
                                                     SottoConversationView    *self);
void _sotto_conversation_view_unbind_row_cb         (GtkSignalListItemFactory *factory,
                                                     GtkListItem              *item,
                                                     gpointer                  user_data);

/* sotto-conversation-view-actions.c */
void     _sotto_conversation_view_class_add_message_actions (GtkWidgetClass        *widget_class);
void     _sotto_conversation_view_init_message_actions      (SottoConversationView *self);
void     _sotto_conversation_view_send_text                 (SottoConversationView *self,
                                                             const char            *text);
void     _sotto_conversation_view_give_back                 (SottoConversationView *self,
                                                             SottoConversation     *conversation,
                                                             const char            *text);

G_END_DECLS
