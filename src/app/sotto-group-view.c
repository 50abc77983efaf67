/* sotto-group-view.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group-view"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-accessible.h"
#include "sotto-account.h"
#include "sotto-contact.h"
#include "sotto-error-text.h"
#include "sotto-group-members-page.h"
#include "sotto-group-view-private.h"
#include "sotto-message-row.h"

/* A group conversation: its timeline, read from the store a page at a
 * time as the user scrolls up, in the message rows of 1:1 conversations
 * with each message's sender above it, named and coloured; the
 * composer; and the member list behind the header's button.  A member
 * whose verified safety number changed holds what the group sends (the
 * engine's outbox does), which the banner says. */

/* How many timeline entries one page reads. */
#define PAGE_SIZE 50

/* How many sender colours style.css has. */
#define N_SENDER_COLORS 8


enum {
  PROP_0,
  PROP_FOLDED,
  PROP_OFFLINE,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoGroupView, sotto_group_view, GTK_TYPE_WIDGET)

static GParamSpec *properties [N_PROPS];

static void sotto_group_view_load                 (SottoGroupView *self);
static void sotto_group_view_set_composer_waiting (SottoGroupView *self,
                                                   gboolean        waiting);

/**
 * sotto_group_view_sender_color:
 * @uuid: a member's account UUID
 *
 * Returns: the colour (a "sender-color-N" style class) that the member's
 *   name has in every group, the same on every start
 */
guint
sotto_group_view_sender_color (const char *uuid)
{
  g_autofree char *lower = g_ascii_strdown (uuid, -1);

  /* g_str_hash is djb2, which does not change between runs. */
  return g_str_hash (lower) % N_SENDER_COLORS;
}

static const SottoGroupEvent *
event_at (SottoGroupView *self,
          guint           position)
{
  g_autoptr(SottoMessage) message = NULL;

  if (position >= g_list_model_get_n_items (G_LIST_MODEL (self->messages)))
    return NULL;

  message = g_list_model_get_item (G_LIST_MODEL (self->messages), position);
  return g_hash_table_lookup (self->events, sotto_message_get_id (message));
}

/* The timeline's rows: a message row, under the sender's name where a
 * member's messages start. */

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              SottoGroupView           *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *sender = gtk_label_new (NULL);
  GtkWidget *row = sotto_message_row_new ();

  gtk_label_set_xalign (GTK_LABEL (sender), 0);
  gtk_label_set_ellipsize (GTK_LABEL (sender), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (sender, "group-sender");
  gtk_widget_add_css_class (sender, "caption-heading");
  sotto_message_row_set_in_group (SOTTO_MESSAGE_ROW (row), TRUE);
  /* A message waiting for members says whether it waits for the relay. */
  g_object_bind_property (self, "offline", row, "offline", G_BINDING_SYNC_CREATE);
  gtk_box_append (GTK_BOX (box), sender);
  gtk_box_append (GTK_BOX (box), row);
  /* The message row says who wrote what, and when. */
  sotto_accessible_name_list_item_after (box, row);
  gtk_list_item_set_child (item, box);
}

static void
set_sender_color (GtkWidget *label,
                  guint      color)
{
  for (guint i = 0; i < N_SENDER_COLORS; i++)
    {
      g_autofree char *name = g_strdup_printf ("sender-color-%u", i);

      if (i == color)
        gtk_widget_add_css_class (label, name);
      else
        gtk_widget_remove_css_class (label, name);
    }
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             SottoGroupView           *self)
{
  guint position = gtk_list_item_get_position (item);
  GtkWidget *sender = gtk_widget_get_first_child (gtk_list_item_get_child (item));
  GtkWidget *row = gtk_widget_get_next_sibling (sender);
  SottoMessage *message = gtk_list_item_get_item (item);
  g_autoptr(SottoMessage) previous = NULL;
  const SottoGroupEvent *event = event_at (self, position);
  const SottoGroupEvent *previous_event = NULL;
  gboolean shows_sender;

  if (position > 0)
    {
      previous = g_list_model_get_item (G_LIST_MODEL (self->messages), position - 1);
      previous_event = event_at (self, position - 1);
    }

  sotto_message_row_set_message (SOTTO_MESSAGE_ROW (row), message,
                                 event->author_name != NULL ? event->author_name : event->author, previous);

  /* A member's name where their messages start: after someone else's,
   * after an event, or first. */
  shows_sender = event->kind == SOTTO_GROUP_EVENT_TEXT && !event->outgoing
                 && (previous_event == NULL || previous_event->kind != SOTTO_GROUP_EVENT_TEXT
                     || g_ascii_strcasecmp (previous_event->author, event->author) != 0);
  gtk_widget_set_visible (sender, shows_sender);
  if (shows_sender)
    {
      gtk_label_set_label (GTK_LABEL (sender), event->author_name != NULL ? event->author_name : event->author);
      set_sender_color (sender, sotto_group_view_sender_color (event->author));
    }
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  GtkWidget *sender = gtk_widget_get_first_child (gtk_list_item_get_child (item));

  sotto_message_row_set_message (SOTTO_MESSAGE_ROW (gtk_widget_get_next_sibling (sender)), NULL, NULL, NULL);
}

/* Reading */

static void
mark_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!sotto_group_list_mark_read_finish (SOTTO_GROUP_LIST (object), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not mark a group read: %s", error->message);
}

/* The members' messages the timeline shows are read once the user can
 * see it: the view is on screen, in the window that has the focus, as
 * the 1:1 read tracker has it.  What comes later, or while the user is
 * elsewhere, stays unread until then. */
static void
sotto_group_view_mark_read (SottoGroupView *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));
  g_autoptr(SottoMessage) newest = NULL;
  GtkRoot *root;

  if (self->group == NULL || n == 0 || sotto_group_get_unread_count (self->group) == 0
      || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;

  root = gtk_widget_get_root (GTK_WIDGET (self));
  if (!GTK_IS_WINDOW (root) || !gtk_window_is_active (GTK_WINDOW (root)))
    return;

  newest = g_list_model_get_item (G_LIST_MODEL (self->messages), n - 1);
  sotto_group_list_mark_read_async (self->groups, self->group,
                                    g_hash_table_lookup (self->events, sotto_message_get_id (newest)),
                                    self->cancellable, mark_read_cb, NULL);
}

/* The window the view is in gaining the focus shows what it has. */
static void
sotto_group_view_map_cb (SottoGroupView *self)
{
  g_signal_connect_object (gtk_widget_get_root (GTK_WIDGET (self)), "notify::is-active",
                           G_CALLBACK (sotto_group_view_mark_read), self, G_CONNECT_SWAPPED);
  sotto_group_view_mark_read (self);
}

static void
sotto_group_view_unmap_cb (SottoGroupView *self)
{
  g_signal_handlers_disconnect_by_func (gtk_widget_get_root (GTK_WIDGET (self)),
                                        sotto_group_view_mark_read, self);
}

/* Loading the timeline */

static int
find_message (SottoGroupView *self,
              GPtrArray      *events,
              guint           position)
{
  g_autoptr(SottoMessage) message = g_list_model_get_item (G_LIST_MODEL (self->messages), position);

  for (guint i = 0; i < events->len; i++)
    {
      SottoGroupEvent *event = g_ptr_array_index (events, i);

      if (g_str_equal (event->id, sotto_message_get_id (message)))
        return (int) i;
    }

  return -1;
}

static void
add_events (SottoGroupView *self,
            GPtrArray      *events,
            guint           from,
            guint           to,
            guint           position)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = from; i < to; i++)
    {
      SottoGroupEvent *event = g_ptr_array_index (events, i);

      g_hash_table_replace (self->events, g_strdup (event->id), sotto_group_event_copy (event));
      g_ptr_array_add (messages, sotto_group_event_to_message (event));
    }

  g_list_store_splice (self->messages, position, 0, messages->pdata, messages->len);
}

/* Puts @events (the newest, oldest first) in the timeline: the older
 * ones a page brought go above what it shows, the newer ones below, and
 * the rows already there stay as they are. */
static void
merge_events (SottoGroupView *self,
              GPtrArray      *events)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));
  int first;
  int last;

  if (n == 0)
    {
      add_events (self, events, 0, events->len, 0);
      return;
    }

  first = find_message (self, events, 0);
  last = find_message (self, events, n - 1);

  /* Nothing shown is among the newest: more arrived than a page holds
   * since the last read, and the timeline starts again from them. */
  if (last < 0)
    {
      g_list_store_remove_all (self->messages);
      g_hash_table_remove_all (self->events);
      add_events (self, events, 0, events->len, 0);
      return;
    }

  add_events (self, events, last + 1, events->len, n);
  if (first > 0)
    add_events (self, events, 0, first, 0);
}

/* Keeps the newest rows, as many as the pages the user scrolled up
 * for, and lets the older ones go: a group left open is not read whole. */
static void
trim_events (SottoGroupView *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));
  guint excess = n > self->limit ? n - self->limit : 0;

  for (guint i = 0; i < excess; i++)
    {
      g_autoptr(SottoMessage) message = g_list_model_get_item (G_LIST_MODEL (self->messages), i);

      g_hash_table_remove (self->events, sotto_message_get_id (message));
    }
  if (excess > 0)
    g_list_store_splice (self->messages, 0, excess, NULL, 0);
}

static gboolean
scroll_cb (gpointer user_data)
{
  SottoGroupView *self = user_data;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));
  guint row = self->scroll_row != GTK_INVALID_LIST_POSITION ? self->scroll_row : n - 1;

  self->scroll_source = 0;
  self->scroll_row = GTK_INVALID_LIST_POSITION;
  /* GTK 4.8 has no gtk_list_view_scroll_to(); its list widgets offer the
   * same through this action. */
  if (n > 0 && row < n)
    gtk_widget_activate_action (GTK_WIDGET (self->timeline), "list.scroll-to-item", "u", row);

  return G_SOURCE_REMOVE;
}

/* Once the list view knows of the new rows: to @row, or to the end
 * (GTK_INVALID_LIST_POSITION). */
static void
sotto_group_view_queue_scroll (SottoGroupView *self,
                               guint           row)
{
  self->scroll_row = row;
  if (self->scroll_source == 0)
    self->scroll_source = g_idle_add_full (G_PRIORITY_LOW, scroll_cb, self, NULL);
}

static void
sotto_group_view_queue_scroll_to_end (SottoGroupView *self)
{
  sotto_group_view_queue_scroll (self, GTK_INVALID_LIST_POSITION);
}

/* Shows the message a search found, selected, once the timeline has
 * read it; returns whether it has. */
static gboolean
sotto_group_view_select_wanted (SottoGroupView *self)
{
  const SottoGroupEvent *event = g_hash_table_lookup (self->events, self->wanted_id);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));

  if (event == NULL || g_ascii_strcasecmp (event->author, self->wanted_author) != 0)
    return FALSE;

  for (guint i = n; i > 0; i--)
    {
      g_autoptr(SottoMessage) message = g_list_model_get_item (G_LIST_MODEL (self->messages), i - 1);

      if (!g_str_equal (sotto_message_get_id (message), self->wanted_id))
        continue;

      gtk_single_selection_set_selected (self->selection, i - 1);
      sotto_group_view_queue_scroll (self, i - 1);
      break;
    }

  g_clear_pointer (&self->wanted_author, g_free);
  g_clear_pointer (&self->wanted_id, g_free);
  return TRUE;
}

static void
events_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(SottoGroupView) self = user_data;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;

  events = sotto_group_list_load_events_finish (SOTTO_GROUP_LIST (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->loading = FALSE;
  if (events == NULL)
    {
      g_warning ("Could not read a group’s timeline: %s", error->message);
      return;
    }

  merge_events (self, events);

  /* Whoever reads the end of the timeline goes on seeing it; whoever
   * sends sees their message, from wherever they had scrolled to; a
   * message a search found shows once read. */
  if (self->wanted_id != NULL)
    {
      /* Not in what was read for it: gone since the search. */
      if (!sotto_group_view_select_wanted (self) && !self->reload)
        {
          g_clear_pointer (&self->wanted_author, g_free);
          g_clear_pointer (&self->wanted_id, g_free);
        }
    }
  else if (self->at_end || self->sending_group == self->group)
    sotto_group_view_queue_scroll_to_end (self);
  /* Unless the reader went back for older pages, the timeline holds one. */
  if (self->at_end || self->limit == PAGE_SIZE)
    trim_events (self);
  sotto_group_view_mark_read (self);

  if (self->reload)
    {
      self->reload = FALSE;
      sotto_group_view_load (self);
    }
}

static void
sotto_group_view_load (SottoGroupView *self)
{
  if (self->group == NULL)
    return;

  /* One read at a time; what changed meanwhile is read after it. */
  if (self->loading)
    {
      self->reload = TRUE;
      return;
    }

  self->loading = TRUE;
  sotto_group_list_load_events_async (self->groups, self->group, self->limit, self->cancellable,
                                      events_loaded_cb, g_object_ref (self));
}

/* How near the end, in pixels, the reader still follows it. */
#define END_MARGIN 48

static void
sotto_group_view_update_at_end (SottoGroupView *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);

  self->end_value = gtk_adjustment_get_value (adjustment);
  self->at_end = self->end_value + gtk_adjustment_get_page_size (adjustment)
                 >= gtk_adjustment_get_upper (adjustment) - END_MARGIN;
}

/* The timeline grew: a reader at the end, who did not move, stays
 * there (the list view tells of its new size before it places the
 * rows); anywhere else the view does not move. */
static void
sotto_group_view_adjustment_changed_cb (SottoGroupView *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);

  if (self->at_end && gtk_adjustment_get_value (adjustment) == self->end_value)
    sotto_group_view_queue_scroll_to_end (self);
  else
    sotto_group_view_update_at_end (self);
}

/* Scrolled to the top: the page before.  Back at the bottom: the pages
 * read go, and the newest one stays. */
static void
edge_reached_cb (SottoGroupView  *self,
                 GtkPositionType  position)
{
  if (position == GTK_POS_BOTTOM)
    {
      /* Not while the view goes to a message a search found: the rows
       * read for it, coming above, can move the view to the bottom. */
      if (self->wanted_id != NULL || self->scroll_row != GTK_INVALID_LIST_POSITION)
        return;
      self->limit = PAGE_SIZE;
      trim_events (self);
      return;
    }

  if (position != GTK_POS_TOP || self->group == NULL
      || g_list_model_get_n_items (G_LIST_MODEL (self->messages)) < self->limit)
    return;

  self->limit += PAGE_SIZE;
  sotto_group_view_load (self);
}

/* The group */

static void
sotto_group_view_update_title (SottoGroupView *self)
{
  GListModel *members = sotto_group_get_members (self->group);
  guint n_members = g_list_model_get_n_items (members) + (sotto_group_get_is_member (self->group) ? 1 : 0);
  g_autofree char *subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u member", "%u members",
                                                            n_members),
                                               n_members);

  adw_window_title_set_title (self->title, sotto_group_get_title (self->group));
  adw_window_title_set_subtitle (self->title, subtitle);
  sotto_avatar_set_group (self->avatar, self->group);

  /* A group request has the request bar in the composer's place. */
  gtk_widget_set_visible (self->composer,
                          sotto_group_get_is_member (self->group) && !sotto_group_get_request (self->group));
  gtk_widget_set_visible (GTK_WIDGET (self->left_label), !sotto_group_get_is_member (self->group));
  gtk_label_set_label (self->left_label, sotto_group_get_outdated (self->group)
                       ? _("An earlier version of Sotto stored this group, which can no longer change or "
                           "take messages. Create it again to go on.")
                       : _("You are no longer a member of this group."));
  sotto_group_view_set_composer_waiting (self, self->sending_group == self->group);
}

/* The banner names the members whose safety number changed after the
 * user verified it: what the group sends does not reach them until the
 * user checks the new number or accepts it. */
static void
sotto_group_view_update_hold (SottoGroupView *self)
{
  g_autoptr(GPtrArray) held = g_ptr_array_new ();
  g_autofree char *names = NULL;
  g_autofree char *text = NULL;

  for (guint i = 0; i < self->watched->len; i++)
    {
      SottoContact *contact = g_ptr_array_index (self->watched, i);

      if (sotto_contact_get_verification_state (contact) == SOTTO_VERIFICATION_STATE_CHANGED)
        g_ptr_array_add (held, (gpointer) sotto_contact_get_name (contact));
    }

  if (held->len > 0)
    {
      g_ptr_array_add (held, NULL);
      /* Translators: the separator between the names of members in a list */
      names = g_strjoinv (C_("list separator", ", "), (char **) held->pdata);
      text = g_strdup_printf (_("The safety number of %s changed. Messages to them wait until you check it in the member list."),
                              names);
      gtk_label_set_label (self->hold_label, text);
    }
  gtk_revealer_set_reveal_child (self->hold_revealer, held->len > 0);
}

static void
sotto_group_view_unwatch (SottoGroupView *self)
{
  for (guint i = 0; i < self->watched->len; i++)
    g_signal_handlers_disconnect_by_func (g_ptr_array_index (self->watched, i),
                                          sotto_group_view_update_hold, self);
  g_ptr_array_set_size (self->watched, 0);
}

static void
sotto_group_view_members_changed (SottoGroupView *self)
{
  GListModel *members = sotto_group_get_members (self->group);

  sotto_group_view_unwatch (self);
  for (guint i = 0; i < g_list_model_get_n_items (members); i++)
    {
      SottoContact *contact = g_list_model_get_item (members, i);

      g_signal_connect_object (contact, "notify::verification-state",
                               G_CALLBACK (sotto_group_view_update_hold), self, G_CONNECT_SWAPPED);
      g_ptr_array_add (self->watched, contact);
    }

  sotto_group_view_update_hold (self);
  sotto_group_view_update_title (self);
}

SottoGroup *
sotto_group_view_get_group (SottoGroupView *self)
{
  g_return_val_if_fail (SOTTO_IS_GROUP_VIEW (self), NULL);

  return self->group;
}

/* Drafts */

/* How long the composer rests before what it holds is stored. */
#define DRAFT_SAVE_DELAY_MS 1000

static void
draft_saved_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GApplication) application = user_data;
  g_autoptr(GError) error = NULL;

  if (!sotto_group_list_save_draft_finish (SOTTO_GROUP_LIST (object), result, &error))
    g_warning ("Could not keep the draft: %s", error->message);
  if (application != NULL)
    g_application_release (application);
}

/* Stores @text as @group's draft, unless the store has it already, so
 * that nothing typed is lost to a switch of conversation or a restart.
 * The application stays until it is stored, even when the last window
 * closes or the user quits while it is on its way. */
static void
sotto_group_view_save_draft (SottoGroupView *self,
                             SottoGroup     *group,
                             const char     *text)
{
  const char *stored = g_hash_table_lookup (self->drafts, sotto_group_get_id (group));
  GApplication *application;

  if (g_strcmp0 (text, stored != NULL ? stored : "") == 0)
    return;

  g_hash_table_replace (self->drafts, g_strdup (sotto_group_get_id (group)), g_strdup (text));
  application = g_application_get_default ();
  if (application != NULL)
    g_application_hold (g_object_ref (application));
  sotto_group_list_save_draft_async (self->groups, group, text, NULL, draft_saved_cb, application);
}

static void
draft_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SottoGroupView *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *draft = NULL;
  g_autofree char *typed = NULL;

  draft = sotto_group_list_load_draft_finish (SOTTO_GROUP_LIST (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      g_warning ("Could not read the draft: %s", error->message);
      return;
    }

  g_hash_table_replace (self->drafts, g_strdup (sotto_group_get_id (self->group)),
                        g_strdup (draft != NULL ? draft : ""));
  /* What the user typed meanwhile is not replaced. */
  typed = sotto_message_entry_dup_text (self->entry);
  if (draft != NULL && typed[0] == '\0')
    sotto_message_entry_set_text (self->entry, draft);
}

static gboolean
sotto_group_view_draft_timeout_cb (gpointer user_data)
{
  SottoGroupView *self = user_data;
  g_autofree char *text = sotto_reply_bar_dup_draft (self->reply_bar);

  self->draft_source = 0;
  if (self->group != NULL)
    sotto_group_view_save_draft (self, self->group, text);

  return G_SOURCE_REMOVE;
}

static void
sotto_group_view_text_changed_cb (SottoGroupView *self)
{
  g_clear_handle_id (&self->draft_source, g_source_remove);
  self->draft_source = g_timeout_add (DRAFT_SAVE_DELAY_MS, sotto_group_view_draft_timeout_cb, self);
}

/* Shows @group's draft: the one known, or the store's once read. */
static void
sotto_group_view_show_draft (SottoGroupView *self,
                             SottoGroup     *group)
{
  const char *known = g_hash_table_lookup (self->drafts, sotto_group_get_id (group));

  if (known != NULL)
    sotto_message_entry_set_text (self->entry, known);
  else
    sotto_group_list_load_draft_async (self->groups, group, self->cancellable, draft_loaded_cb, self);
}

/**
 * sotto_group_view_set_group:
 * @self: a #SottoGroupView
 * @groups: (nullable): the account's groups
 * @group: (nullable): one of them, to show
 */
void
sotto_group_view_set_group (SottoGroupView *self,
                            SottoGroupList *groups,
                            SottoGroup     *group)
{
  g_return_if_fail (SOTTO_IS_GROUP_VIEW (self));
  g_return_if_fail (!group || SOTTO_IS_GROUP_LIST (groups));

  if (group == self->group)
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->loading = FALSE;
  self->reload = FALSE;
  self->limit = PAGE_SIZE;
  self->at_end = TRUE;

  sotto_group_view_unwatch (self);
  if (self->group != NULL)
    g_signal_handlers_disconnect_by_func (sotto_group_get_members (self->group),
                                          sotto_group_view_members_changed, self);
  g_list_store_remove_all (self->messages);
  g_hash_table_remove_all (self->events);

  g_clear_handle_id (&self->draft_source, g_source_remove);
  if (self->group != NULL)
    {
      g_autofree char *text = sotto_reply_bar_dup_draft (self->reply_bar);

      sotto_group_view_save_draft (self, self->group, text);
    }
  /* A reply or an edit is of the group left. */
  sotto_reply_bar_cancel (self->reply_bar);
  g_clear_pointer (&self->wanted_author, g_free);
  g_clear_pointer (&self->wanted_id, g_free);
  g_set_object (&self->groups, groups);
  g_set_object (&self->group, group);
  g_signal_group_set_target (self->group_signals, group);
  g_signal_group_set_target (self->groups_signals, groups);
  sotto_request_bar_set_group (self->request_bar, group);
  sotto_message_entry_set_text (self->entry, "");
  sotto_group_view_set_composer_waiting (self, group != NULL && group == self->sending_group);

  if (group == NULL)
    return;

  sotto_group_view_show_draft (self, group);

  g_signal_connect_object (sotto_group_get_members (group), "items-changed",
                           G_CALLBACK (sotto_group_view_members_changed), self, G_CONNECT_SWAPPED);
  sotto_group_view_members_changed (self);
  sotto_group_view_load (self);
}

void
sotto_group_view_focus_composer (SottoGroupView *self)
{
  g_return_if_fail (SOTTO_IS_GROUP_VIEW (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

/**
 * sotto_group_view_show_message:
 * @self: a #SottoGroupView
 * @author: the account UUID of the message's author
 * @id: the message's id
 * @newer: how many entries of the timeline came after it, as far as
 *   known (sotto_message_match_get_position())
 *
 * Reads the timeline back to the message, however far, and shows it
 * selected.
 */
void
sotto_group_view_show_message (SottoGroupView *self,
                               const char     *author,
                               const char     *id,
                               guint           newer)
{
  g_return_if_fail (SOTTO_IS_GROUP_VIEW (self));
  g_return_if_fail (author != NULL && id != NULL);

  if (self->group == NULL)
    return;

  g_free (self->wanted_author);
  self->wanted_author = g_strdup (author);
  g_free (self->wanted_id);
  self->wanted_id = g_strdup (id);
  if (sotto_group_view_select_wanted (self))
    return;

  /* The pages down to it, and one more for what came since the search. */
  self->limit = MAX (self->limit, (MIN (newer, G_MAXUINT / 2) / PAGE_SIZE + 2) * PAGE_SIZE);
  self->at_end = FALSE;
  sotto_group_view_load (self);
}

/* Sending */

/* Send is for a member of a group that is no request, with something
 * written and no message going out. */
static void
sotto_group_view_update_send (SottoGroupView *self)
{
  g_autofree char *text = sotto_message_entry_dup_text (self->entry);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "group.send",
                                 gtk_text_view_get_editable (sotto_message_entry_get_text_view (self->entry))
                                 && self->group != NULL && sotto_group_get_is_member (self->group)
                                 && !sotto_group_get_request (self->group) && text[0] != '\0');
}

/* While a message goes out the composer holds it, read-only: it keeps
 * the focus (GTK 4.8 loses track of a focused entry made insensitive). */
static void
sotto_group_view_set_composer_waiting (SottoGroupView *self,
                                       gboolean        waiting)
{
  gtk_text_view_set_editable (sotto_message_entry_get_text_view (self->entry), !waiting);
  sotto_group_view_update_send (self);
}

typedef struct
{
  SottoGroupView *self;
  SottoGroup *group;
  char *text;
} Sending;

static void
sending_free (Sending *sending)
{
  g_object_unref (sending->self);
  g_object_unref (sending->group);
  g_free (sending->text);
  g_free (sending);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Sending, sending_free)

/* Shows @event in place of the timeline's message of its id and
 * author, if the timeline has it. */
void
_sotto_group_view_replace (SottoGroupView        *self,
                           const SottoGroupEvent *event)
{
  const SottoGroupEvent *shown = g_hash_table_lookup (self->events, event->id);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));

  /* Each member chooses its own ids: the one shown may be another's. */
  if (shown == NULL || g_ascii_strcasecmp (shown->author, event->author) != 0)
    return;

  for (guint i = n; i > 0; i--)
    {
      g_autoptr(SottoMessage) message = g_list_model_get_item (G_LIST_MODEL (self->messages), i - 1);
      g_autoptr(SottoMessage) changed = NULL;

      if (!g_str_equal (sotto_message_get_id (message), event->id))
        continue;

      changed = sotto_group_event_to_message (event);
      g_hash_table_replace (self->events, g_strdup (event->id), sotto_group_event_copy (event));
      g_list_store_splice (self->messages, i - 1, 1, (gpointer *) &changed, 1);
      return;
    }
}

/* The timeline showed @event as soon as it was stored; the members it
 * still waits for, and whether it went sealed, are known once the relay
 * took it or could not, which its row then says. */
static void
sotto_group_view_show_sent (SottoGroupView        *self,
                            const SottoGroupEvent *event)
{
  const SottoGroupEvent *shown = g_hash_table_lookup (self->events, event->id);

  if (shown != NULL && shown->outgoing)
    _sotto_group_view_replace (self, event);
}

/* The relay took a message of the user's for more members, or could not. */
static void
sotto_group_view_message_state_changed_cb (SottoGroupView  *self,
                                           SottoGroup      *group,
                                           SottoGroupEvent *message,
                                           SottoGroupList  *groups)
{
  if (group == self->group)
    sotto_group_view_show_sent (self, message);
}

/* Says why what the user did did not reach every member, in the
 * composer's tooltip. */
void
_sotto_group_view_show_error (SottoGroupView *self,
                              SottoGroupList *groups,
                              const GError   *error)
{
  g_autofree char *message = NULL;

  message = sotto_error_text_describe (error, sotto_account_get_relay_url (sotto_group_list_get_account (groups)),
                                       NULL);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->entry), message);
  gtk_accessible_update_property (GTK_ACCESSIBLE (sotto_message_entry_get_text_view (self->entry)),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message,
                                  -1);
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(Sending) sending = user_data;
  SottoGroupView *self = sending->self;
  gboolean shown = self->group == sending->group;
  g_autoptr(SottoGroupEvent) event = NULL;
  g_autoptr(GError) error = NULL;

  g_clear_object (&self->sending_group);
  if (shown)
    sotto_group_view_set_composer_waiting (self, FALSE);

  event = sotto_group_list_send_finish (SOTTO_GROUP_LIST (object), result, &error);
  if (event != NULL)
    {
      /* The text is the timeline's now: the composer is free again. */
      if (shown)
        {
          sotto_group_view_show_sent (self, event);
          sotto_group_view_queue_scroll_to_end (self);
          /* A reply's quote is in its row now. */
          sotto_reply_bar_cancel (self->reply_bar);
          sotto_message_entry_set_text (self->entry, "");
          gtk_widget_grab_focus (GTK_WIDGET (self->entry));
          sotto_group_view_save_draft (self, sending->group, "");
        }
      else
        {
          g_autofree char *draft = g_strdup (g_hash_table_lookup (self->drafts, sotto_group_get_id (sending->group)));

          /* The draft kept when the user went to another group is what
           * went out, unless it is gone already. */
          if (draft != NULL && g_str_equal (g_strstrip (draft), sending->text))
            sotto_group_view_save_draft (self, sending->group, "");
        }
      return;
    }

  /* What the user wrote stays in the composer, to be sent again. */
  if (shown)
    _sotto_group_view_show_error (self, SOTTO_GROUP_LIST (object), error);
  g_debug ("Could not send to a group: %s", error->message);
}

static void
sotto_group_view_send (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  SottoGroupView *self = SOTTO_GROUP_VIEW (widget);
  g_autofree char *text = sotto_message_entry_dup_text (self->entry);
  SottoMessage *replied = sotto_reply_bar_get_message (self->reply_bar);
  const SottoGroupEvent *quoted = NULL;
  Sending *sending;

  if (self->group == NULL || text[0] == '\0' || self->sending_group != NULL)
    return;

  if (sotto_reply_bar_get_editing (self->reply_bar))
    {
      _sotto_group_view_send_edit (self, text);
      return;
    }

  /* One message at a time, so that the composer holds it until the
   * relay took it for every member; not cancelled with the view, as a
   * message once stored goes out. */
  self->sending_group = g_object_ref (self->group);
  sotto_group_view_set_composer_waiting (self, TRUE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->entry), NULL);
  sending = g_new0 (Sending, 1);
  sending->self = g_object_ref (self);
  sending->group = g_object_ref (self->group);
  sending->text = g_steal_pointer (&text);
  if (replied == NULL)
    {
      sotto_group_list_send_async (self->groups, self->group, sending->text, NULL, sent_cb, sending);
      return;
    }

  /* The timeline names the author of the message answered. */
  quoted = g_hash_table_lookup (self->events, sotto_message_get_id (replied));
  sotto_group_list_reply_async (self->groups, self->group, quoted != NULL ? quoted->author : NULL,
                                sotto_message_get_id (replied), sending->text, NULL, sent_cb, sending);
}

static void
entry_activate_cb (SottoGroupView *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "group.send", NULL);
}

static void
sotto_group_view_show_members (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  SottoGroupView *self = SOTTO_GROUP_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWindow *page;

  if (self->group == NULL)
    return;

  page = GTK_WINDOW (sotto_group_members_page_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                   self->groups, self->group));
  gtk_window_present (page);
}

/* GObject */

static void
sotto_group_view_dispose (GObject *object)
{
  SottoGroupView *self = (SottoGroupView *) object;

  g_clear_handle_id (&self->draft_source, g_source_remove);
  if (self->group != NULL)
    {
      g_autofree char *text = sotto_reply_bar_dup_draft (self->reply_bar);

      sotto_group_view_save_draft (self, self->group, text);
    }
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->scroll_source, g_source_remove);
  if (self->watched != NULL)
    sotto_group_view_unwatch (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_GROUP_VIEW);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->group_signals);
  g_clear_object (&self->groups_signals);
  g_clear_object (&self->group);
  g_clear_object (&self->groups);
  g_clear_object (&self->selection);
  g_clear_object (&self->messages);
  g_clear_pointer (&self->events, g_hash_table_unref);
  g_clear_pointer (&self->wanted_author, g_free);
  g_clear_pointer (&self->wanted_id, g_free);
  g_clear_pointer (&self->watched, g_ptr_array_unref);
  g_clear_pointer (&self->drafts, g_hash_table_unref);
  g_clear_object (&self->sending_group);

  G_OBJECT_CLASS (sotto_group_view_parent_class)->dispose (object);
}

static void
sotto_group_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  SottoGroupView *self = SOTTO_GROUP_VIEW (object);

  switch (prop_id)
    {
    case PROP_FOLDED:
      g_value_set_boolean (value, self->folded);
      break;

    case PROP_OFFLINE:
      g_value_set_boolean (value, self->offline);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_group_view_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  SottoGroupView *self = SOTTO_GROUP_VIEW (object);

  switch (prop_id)
    {
    case PROP_FOLDED:
      if (self->folded != g_value_get_boolean (value))
        {
          self->folded = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    case PROP_OFFLINE:
      if (self->offline != g_value_get_boolean (value))
        {
          self->offline = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_group_view_class_init (SottoGroupViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_group_view_dispose;
  object_class->get_property = sotto_group_view_get_property;
  object_class->set_property = sotto_group_view_set_property;

  properties [PROP_FOLDED] =
    g_param_spec_boolean ("folded", NULL, NULL, FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /* Whether the relay is out of reach: a message waiting for members
   * says it waits for the connection. */
  properties [PROP_OFFLINE] =
    g_param_spec_boolean ("offline", NULL, NULL, FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SOTTO_TYPE_AVATAR);
  g_type_ensure (SOTTO_TYPE_MESSAGE_ENTRY);
  g_type_ensure (SOTTO_TYPE_REQUEST_BAR);
  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-group-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoGroupView, box);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupView, avatar);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupView, title);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupView, hold_revealer);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupView, hold_label);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupView, scroller);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupView, timeline);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupView, request_bar);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupView, composer);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupView, reply_bar);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupView, entry);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupView, left_label);
  gtk_widget_class_bind_template_callback (widget_class, edge_reached_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_activate_cb);

  gtk_widget_class_install_action (widget_class, "group.send", NULL, sotto_group_view_send);
  gtk_widget_class_install_action (widget_class, "group.show-members", NULL, sotto_group_view_show_members);
  /* What the menu of a message row asks the view it is in for. */
  _sotto_group_view_class_add_message_actions (widget_class);
  /* The shortcut that opens a 1:1 conversation's safety number. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_i, GDK_CONTROL_MASK, "group.show-members", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "groupview");
}

static void
sotto_group_view_init (SottoGroupView *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  self->messages = g_list_store_new (SOTTO_TYPE_MESSAGE);
  self->events = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) sotto_group_event_free);
  self->watched = g_ptr_array_new_with_free_func (g_object_unref);
  self->drafts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->limit = PAGE_SIZE;
  self->at_end = TRUE;
  self->scroll_row = GTK_INVALID_LIST_POSITION;

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row_cb), NULL);
  gtk_list_view_set_factory (self->timeline, factory);
  sotto_accessible_single_tab_stop (GTK_WIDGET (self->timeline));
  g_signal_connect_object (gtk_scrolled_window_get_vadjustment (self->scroller), "value-changed",
                           G_CALLBACK (sotto_group_view_update_at_end), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_scrolled_window_get_vadjustment (self->scroller), "changed",
                           G_CALLBACK (sotto_group_view_adjustment_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (sotto_message_entry_get_buffer (self->entry), "changed",
                           G_CALLBACK (sotto_group_view_update_send), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (sotto_message_entry_get_buffer (self->entry), "changed",
                           G_CALLBACK (sotto_group_view_text_changed_cb), self,
                           G_CONNECT_SWAPPED);
  /* Nothing is selected but a message a search found. */
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->messages)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  gtk_list_view_set_model (self->timeline, GTK_SELECTION_MODEL (self->selection));

  /* What the group shows follows it: its title and membership, and its
   * timeline, which its newest entry changing is news of. */
  self->group_signals = g_signal_group_new (SOTTO_TYPE_GROUP);
  g_signal_group_connect_object (self->group_signals, "notify::title",
                                 G_CALLBACK (sotto_group_view_update_title), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->group_signals, "notify::is-member",
                                 G_CALLBACK (sotto_group_view_update_title), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->group_signals, "notify::request",
                                 G_CALLBACK (sotto_group_view_update_title), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->group_signals, "notify::last-event",
                                 G_CALLBACK (sotto_group_view_load), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->group_signals, "notify::unread-count",
                                 G_CALLBACK (sotto_group_view_mark_read), self, G_CONNECT_SWAPPED);
  self->groups_signals = g_signal_group_new (SOTTO_TYPE_GROUP_LIST);
  _sotto_group_view_init_message_actions (self);
  g_signal_group_connect_object (self->groups_signals, "message-state-changed",
                                 G_CALLBACK (sotto_group_view_message_state_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect (self, "map", G_CALLBACK (sotto_group_view_map_cb), NULL);
  g_signal_connect (self, "unmap", G_CALLBACK (sotto_group_view_unmap_cb), NULL);
}
