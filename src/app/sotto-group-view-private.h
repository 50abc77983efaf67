/* sotto-group-view-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-avatar.h"
#include "sotto-group-view.h"
#include "sotto-message-entry.h"
#include "sotto-reply-bar.h"
#include "sotto-request-bar.h"

G_BEGIN_DECLS

/* What the view's files share: sotto-group-view.c shows the group, its
 * timeline and its composer, and sends what the user writes; the
 * actions on single messages (reply, edit, react, delete for the user or
 * for everyone) are in sotto-group-view-actions.c. */

struct _SottoGroupView
{
  GtkWidget parent_instance;

  SottoGroupList *groups;
  SottoGroup *group;
  GSignalGroup *group_signals;
  GSignalGroup *groups_signals;
  GCancellable *cancellable;
  /* The timeline as messages, oldest first, and the entries they were
   * made of, by id, for their senders. */
  GListStore *messages;
  GHashTable *events;
  guint limit;
  gboolean loading;
  gboolean reload;
  /* The members whose verification state the banner follows. */
  GPtrArray *watched;
  /* Each group's draft as the store has it, by id, once read or
   * stored, and the group a message is being sent to, whose composer
   * waits. */
  GHashTable *drafts;
  guint draft_source;
  SottoGroup *sending_group;
  gboolean folded;
  guint scroll_source;
  guint scroll_row;  /* where scroll_source goes; GTK_INVALID_LIST_POSITION: the end */
  /* The message a search found, by its author and id, until the
   * timeline has read it and shows it selected. */
  char *wanted_author;
  char *wanted_id;
  /* Whether the reader follows the end of the timeline, and where the
   * view was when they last did. */
  gboolean at_end;
  double end_value;

  GtkWidget *box;
  SottoAvatar *avatar;
  AdwWindowTitle *title;
  GtkRevealer *hold_revealer;
  GtkLabel *hold_label;
  GtkScrolledWindow *scroller;
  GtkListView *timeline;
  GtkSingleSelection *selection;
  SottoRequestBar *request_bar;
  GtkWidget *composer;
  SottoReplyBar *reply_bar;
  SottoMessageEntry *entry;
  GtkLabel *left_label;
  gboolean offline;
};

/* sotto-group-view.c */
void _sotto_group_view_replace    (SottoGroupView        *self,
                                   const SottoGroupEvent *event);
void _sotto_group_view_show_error (SottoGroupView        *self,
                                   SottoGroupList        *groups,
                                   const GError          *error);

/* sotto-group-view-actions.c */
void _sotto_group_view_class_add_message_actions (GtkWidgetClass *widget_class);
void _sotto_group_view_init_message_actions      (SottoGroupView *self);
void _sotto_group_view_send_edit                 (SottoGroupView *self,
                                                  const char     *text);

G_END_DECLS
