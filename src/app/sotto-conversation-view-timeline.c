/* sotto-conversation-view-timeline.c: the messages of the conversation shown
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-conversation-view"

#include "config.h"

#include "sotto-contact.h"
#include "sotto-conversation-view-private.h"
#include "sotto-message-row.h"

/* The timeline of SottoConversationView: its pages, which grow as the
 * reader scrolls, where the view is kept (at the newest message, or
 * where the reader was), the way back to the newest messages, the
 * "New Messages" divider, and the rows the list view builds. */

/* Once a frame has laid the view out after a scroll, whether the
 * newest messages are in sight is known.  Most often the adjustment has
 * changed meanwhile and said so; but rows that fit the view, laid out as
 * those of the conversation shown before were, leave it as it was, and
 * nothing else would look again. */
static gboolean
sotto_conversation_view_settle_cb (GtkWidget     *widget,
                                   GdkFrameClock *clock,
                                   gpointer       user_data)
{
  SottoConversationView *self = SOTTO_CONVERSATION_VIEW (widget);

  /* The next frame lays the scroll out; the one after sees it. */
  if (gdk_frame_clock_get_frame_counter (clock) <= self->scroll_frame + 1)
    return G_SOURCE_CONTINUE;

  self->settle_tick = 0;
  _sotto_conversation_view_update_at_end (self);

  return G_SOURCE_REMOVE;
}

static gboolean
sotto_conversation_view_scroll_cb (gpointer user_data)
{
  SottoConversationView *self = user_data;
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));
  guint n_rows = g_list_model_get_n_items (G_LIST_MODEL (self->shown));
  guint row = self->scroll_row != GTK_INVALID_LIST_POSITION ? self->scroll_row : n_rows - 1;

  self->scroll_source = 0;

  /* GTK 4.8 has no gtk_list_view_scroll_to(); its list widgets offer the
   * same through this action, which also anchors the view on the item
   * while the rows above it are still being measured. */
  if (n_rows > 0 && row < n_rows)
    gtk_widget_activate_action (GTK_WIDGET (self->timeline), "list.scroll-to-item", "u", row);

  if (clock == NULL)
    return G_SOURCE_REMOVE;
  self->scroll_frame = gdk_frame_clock_get_frame_counter (clock);
  if (self->settle_tick == 0)
    self->settle_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), sotto_conversation_view_settle_cb,
                                                      NULL, NULL);

  return G_SOURCE_REMOVE;
}

/* Waits for the list view to know about new items, and to be shown,
 * before scrolling to the row at @row (GTK_INVALID_LIST_POSITION: the
 * last one, however many there are by then). */
void
_sotto_conversation_view_queue_scroll (SottoConversationView *self,
                                      guint                  row)
{
  self->scroll_row = row;
  if (self->scroll_source == 0)
    self->scroll_source = g_idle_add_full (G_PRIORITY_LOW, sotto_conversation_view_scroll_cb, self, NULL);
}

void
_sotto_conversation_view_queue_scroll_to_end (SottoConversationView *self)
{
  _sotto_conversation_view_queue_scroll (self, GTK_INVALID_LIST_POSITION);
}

/* The least height of a message row: a line of text above the line
 * with its time, in a bubble (46 pixels with the default font). */
#define SMALLEST_ROW_HEIGHT 40

/* Makes the timeline's pages as long as it takes to fill the view, and
 * no longer: the list view builds and measures a row for every message
 * it is given, shown or not, and that is most of what opening a
 * conversation costs.  Before the view has a size, the window's height is
 * the most it can have; before the window has one, the pages keep their
 * length. */
void
_sotto_conversation_view_fit_page_size (SottoConversationView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  int height = gtk_widget_get_height (GTK_WIDGET (self->scroller));

  if (height <= 0 && root != NULL)
    height = gtk_widget_get_height (GTK_WIDGET (root));
  if (height > 0)
    sotto_timeline_model_set_page_size (self->shown, height / SMALLEST_ROW_HEIGHT + 2);
}

/* Takes the mark off a message shown from a search.  GTK 4.8's
 * GtkSingleSelection ignores gtk_selection_model_unselect_all(). */
void
_sotto_conversation_view_unmark (SottoConversationView *self)
{
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
}

/* Goes to the newest message, with the newest page only when the
 * timeline holds other messages or many: a long list view is slow to
 * place on its last row. */
void
_sotto_conversation_view_show_newest (SottoConversationView *self)
{
  if (self->conversation == NULL)
    return;

  if (!sotto_timeline_model_get_shows_newest (self->shown)
      || g_list_model_get_n_items (G_LIST_MODEL (self->shown)) > 2 * SOTTO_TIMELINE_MODEL_PAGE_SIZE)
    {
      _sotto_conversation_view_unmark (self);
      _sotto_conversation_view_fit_page_size (self);
      sotto_timeline_model_show_newest (self->shown, sotto_conversation_get_messages (self->conversation));
    }
  _sotto_conversation_view_queue_scroll_to_end (self);
}

static gboolean
sotto_conversation_view_is_at_end (SottoConversationView *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);

  return sotto_timeline_model_get_shows_newest (self->shown)
         && gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment)
            >= gtk_adjustment_get_upper (adjustment) - 48;
}

/* Adds a page to the timeline when its rows do not fill the view, and
 * when the reader comes within a screen of its top or its bottom; not
 * while a scroll is on its way, and not by position while the view is
 * kept at the end: it starts at the top until the list view has placed
 * the newest row. */
static gboolean
sotto_conversation_view_extend_cb (gpointer user_data)
{
  SottoConversationView *self = user_data;
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  double value = gtk_adjustment_get_value (adjustment);
  double page_size = gtk_adjustment_get_page_size (adjustment);
  double upper = gtk_adjustment_get_upper (adjustment);

  self->extend_source = 0;

  if (self->scroll_source != 0 || page_size <= 0)
    return G_SOURCE_REMOVE;

  /* At the oldest message, a view near the top (or not yet full) grows
   * at the bottom instead. */
  if ((upper <= page_size || (!self->at_end && value < page_size))
      && sotto_timeline_model_extend_older (self->shown))
    return G_SOURCE_REMOVE;

  if (upper <= page_size || (!self->at_end && value + 2 * page_size > upper))
    sotto_timeline_model_extend_newer (self->shown);

  return G_SOURCE_REMOVE;
}

/* The list view reports scrolling while it lays out: the timeline
 * changes afterwards, not under it. */
static void
sotto_conversation_view_queue_extend (SottoConversationView *self)
{
  if (self->extend_source == 0)
    self->extend_source = g_idle_add_full (G_PRIORITY_LOW, sotto_conversation_view_extend_cb, self, NULL);
}

/* The way back to the newest message, for a reader of older ones, with
 * the number of messages that came meanwhile. */
void
_sotto_conversation_view_update_jump_button (SottoConversationView *self)
{
  guint unread = self->conversation != NULL ? sotto_conversation_get_unread_count (self->conversation) : 0;
  g_autofree char *count = g_strdup_printf ("%u", unread);

  gtk_label_set_label (self->jump_count_label, count);
  gtk_widget_set_visible (GTK_WIDGET (self->jump_count_label), unread > 0);
  gtk_widget_set_visible (self->jump_button, self->conversation != NULL && !self->at_end);
}

/* Follows whether the newest messages are on screen, which is when new
 * ones keep the view at the end. */
void
_sotto_conversation_view_update_at_end (SottoConversationView *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  gboolean at_end = sotto_conversation_view_is_at_end (self);

  self->end_value = gtk_adjustment_get_value (adjustment);
  sotto_conversation_view_queue_extend (self);

  if (self->at_end != at_end)
    {
      self->at_end = at_end;
      _sotto_conversation_view_update_jump_button (self);
      _sotto_conversation_view_notify_at_end (self);
    }
}

/* The timeline grew or the window changed size: a reader at the end
 * stays there; elsewhere the view does not move. */
void
_sotto_conversation_view_adjustment_changed_cb (SottoConversationView *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);

  /* A scroll that the list view answers with a new size arrives here
   * before its value-changed reaches this view: only an unmoved reader
   * is taken along. */
  if (self->at_end && gtk_adjustment_get_value (adjustment) == self->end_value)
    _sotto_conversation_view_queue_scroll_to_end (self);
  else
    _sotto_conversation_view_update_at_end (self);
  sotto_conversation_view_queue_extend (self);
}

/* Moves the "New Messages" divider to @message, or takes it away. */
void
_sotto_conversation_view_set_first_unread (SottoConversationView *self,
                                          SottoMessage          *message)
{
  if (!g_set_object (&self->first_unread, message))
    return;

  /* Rows bound before the change learn of it here, the others on bind. */
  for (GtkWidget *item = gtk_widget_get_first_child (GTK_WIDGET (self->timeline));
       item != NULL;
       item = gtk_widget_get_next_sibling (item))
    {
      GtkWidget *row = gtk_widget_get_first_child (item);

      if (SOTTO_IS_MESSAGE_ROW (row))
        sotto_message_row_set_first_unread (SOTTO_MESSAGE_ROW (row),
                                            message != NULL
                                            && sotto_message_row_get_message (SOTTO_MESSAGE_ROW (row)) == message);
    }
}

void
_sotto_conversation_view_messages_changed_cb (SottoConversationView *self,
                                             guint                  position,
                                             guint                  removed,
                                             guint                  added,
                                             GListModel            *messages)
{
  /* Follow new messages only when the reader is at the end already:
   * someone reading history must not be yanked away from it, and sees
   * where the new messages start instead. */
  if (added > 0 && position + added == g_list_model_get_n_items (messages))
    {
      if (self->at_end)
        _sotto_conversation_view_queue_scroll_to_end (self);
      else if (self->first_unread == NULL)
        {
          g_autoptr(SottoMessage) first = g_list_model_get_item (messages, position);

          if (sotto_message_get_direction (first) == SOTTO_MESSAGE_DIRECTION_INCOMING)
            _sotto_conversation_view_set_first_unread (self, first);
        }
    }
}

/* A deletion replaced the list: the view shows the same stretch of the
 * new one, where the reader was. */
void
_sotto_conversation_view_messages_replaced_cb (SottoConversationView *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  GListModel *messages = sotto_conversation_get_messages (self->conversation);
  guint n_messages = g_list_model_get_n_items (messages);
  double value = gtk_adjustment_get_value (adjustment);
  gboolean at_end = self->at_end;
  guint end;

  end = sotto_timeline_model_get_shows_newest (self->shown)
        ? n_messages : MIN (sotto_timeline_model_get_end (self->shown), n_messages);

  _sotto_conversation_view_set_first_unread (self, NULL);
  g_signal_group_set_target (self->messages_signals, messages);
  sotto_timeline_model_set_messages (self->shown, messages,
                                     MIN (sotto_timeline_model_get_start (self->shown), end), end);

  if (at_end)
    _sotto_conversation_view_queue_scroll_to_end (self);
  else
    gtk_adjustment_set_value (adjustment, value);
}

void
_sotto_conversation_view_setup_row_cb (GtkSignalListItemFactory *factory,
                                      GtkListItem              *item,
                                      SottoConversationView    *self)
{
  GtkWidget *row = sotto_message_row_new ();

  g_object_bind_property (self, "offline", row, "offline", G_BINDING_SYNC_CREATE);
  gtk_list_item_set_child (item, row);
  gtk_list_item_set_activatable (item, FALSE);
  /* Only a message looked for is selected, to mark it. */
  gtk_list_item_set_selectable (item, FALSE);
}

void
_sotto_conversation_view_bind_row_cb (GtkSignalListItemFactory *factory,
                                     GtkListItem              *item,
                                     SottoConversationView    *self)
{
  SottoMessageRow *row = SOTTO_MESSAGE_ROW (gtk_list_item_get_child (item));
  g_autoptr(SottoMessage) previous = sotto_timeline_model_dup_before (self->shown, gtk_list_item_get_position (item));

  sotto_message_row_set_conversation (row, self->conversation);
  sotto_message_row_set_message (row,
                                 gtk_list_item_get_item (item),
                                 sotto_contact_get_name (sotto_conversation_get_contact (self->conversation)),
                                 previous);
  sotto_message_row_set_first_unread (row, self->first_unread != NULL
                                           && gtk_list_item_get_item (item) == (gpointer) self->first_unread);
  sotto_read_tracker_queue (self->read_tracker);
}

void
_sotto_conversation_view_unbind_row_cb (GtkSignalListItemFactory *factory,
                                       GtkListItem              *item,
                                       gpointer                  user_data)
{
  sotto_message_row_set_message (SOTTO_MESSAGE_ROW (gtk_list_item_get_child (item)), NULL, NULL, NULL);
  sotto_message_row_set_first_unread (SOTTO_MESSAGE_ROW (gtk_list_item_get_child (item)), FALSE);
}
