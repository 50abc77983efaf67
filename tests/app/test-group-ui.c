/* test-group-ui.c: a group conversation as a newcomer meets it
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice is the app in this process, Bob (and Carol, where a case needs
 * a third person) are sotto-cli, and a real sotto-relay runs between
 * them (conversation-fixture.c).  Each case is something a new user
 * found wrong with groups, or had no test: the chat list, the member
 * list's own row, the composer, where the timeline goes after sending,
 * the shortcut for the members, the New Group dialog, a member's key
 * change, a long history read a page at a time, the keyboard, the
 * unread count of a group's row, the group's picture, the apply buttons
 * of the member list's fields, and reactions to a group's messages and
 * their deletion for everyone.
 */

#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "app-test-util.h"
#include "group-fixture.h"
#include "page-test-util.h"
#include "sotto-avatar.h"
#include "sotto-chats-page.h"
#include "sotto-contact.h"
#include "sotto-group-list.h"
#include "sotto-group-members-page.h"
#include "sotto-group-row.h"
#include "sotto-group-view.h"
#include "sotto-messenger.h"
#include "sotto-message-row.h"
#include "sotto-new-group-dialog.h"
#include "sotto-reaction-list.h"

/* Carol, a third person with a profile of her own on the relay. */
static char *
register_carol (Fixture *fixture)
{
  char *profile = page_test_make_profile ();

  g_free (run_cli_as (profile, "register", "--relay", fixture->relay->base_url, "--username", "carol", NULL));

  return profile;
}

/* The chat list of the window, and whether it has a 1:1 row for @username. */
static GtkListView *
chat_list (Fixture *fixture)
{
  GtkWidget *row = app_test_find_widget (GTK_WIDGET (fixture->window), SOTTO_TYPE_GROUP_ROW);

  g_assert_nonnull (row);

  return GTK_LIST_VIEW (gtk_widget_get_ancestor (row, GTK_TYPE_LIST_VIEW));
}

static gboolean
chat_list_has (Fixture    *fixture,
               const char *username)
{
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (chat_list (fixture)));

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);

      if (SOTTO_IS_CONVERSATION (item)
          && g_strcmp0 (sotto_contact_get_username (sotto_conversation_get_contact (SOTTO_CONVERSATION (item))),
                        username) == 0)
        return TRUE;
    }

  return FALSE;
}

static gboolean
is_action_row_titled (GtkWidget     *widget,
                      gconstpointer  title)
{
  return ADW_IS_ACTION_ROW (widget) && gtk_widget_get_mapped (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static GtkWindow *
open_members (Fixture *fixture)
{
  GtkWindow *members;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (group_view (fixture)), "group.show-members", NULL));
  wait_until ((members = find_toplevel (SOTTO_TYPE_GROUP_MEMBERS_PAGE)) != NULL);
  gtk_window_present (members);
  wait_until (gtk_window_is_active (members));

  return members;
}

/* Adding someone to a group is no 1:1 conversation with them: none
 * shows in the chat list until they write. */
static void
test_group_ui_no_empty_chat (Fixture       *fixture,
                             gconstpointer  user_data)
{
  const char *usernames[] = { "bob", NULL };
  g_autofree char *carol = NULL;
  SottoGroup *group;
  GtkWindow *members;

  start_alice (fixture);
  carol = register_carol (fixture);
  open_conversation_with_bob (fixture);
  send_from_composer (fixture, "Climbing on Saturday?");
  wait_until (last_message_is (fixture, "Climbing on Saturday?", SOTTO_MESSAGE_STATE_SENT));
  group = create_group (fixture, "Climbers", usernames);

  members = open_members (fixture);
  g_assert_true (set_row_text (GTK_WIDGET (members), "Username", "carol"));
  g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (page_test_find_row (GTK_WIDGET (members), "Username"))));
  app_test_press (members, "Return");
  wait_until (app_test_find_matching (GTK_WIDGET (members), is_action_row_titled, "carol") != NULL);
  wait_until (g_list_model_get_n_items (sotto_group_get_members (group)) == 2);
  gtk_window_destroy (members);
  run_main_loop_for (500);

  g_assert_true (chat_list_has (fixture, "bob"));
  g_assert_false (chat_list_has (fixture, "carol"));

  /* Once Carol writes to Alice herself, the conversation is there. */
  g_free (run_cli_as (carol, "send", "alice", "Thanks for adding me", NULL));
  wait_until (chat_list_has (fixture, "carol"));
  page_test_remove_profile (carol);
}

/* The member list has the user too: “You”, an admin here, with no
 * safety number to verify (a row that opens nothing). */
static void
test_group_ui_own_row (Fixture       *fixture,
                       gconstpointer  user_data)
{
  const char *usernames[] = { "bob", NULL };
  GtkWindow *members;
  GtkWidget *you;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  create_group (fixture, "Climbers", usernames);

  members = open_members (fixture);
  wait_until ((you = app_test_find_matching (GTK_WIDGET (members), is_action_row_titled, "You")) != NULL);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (you)), ==, "Your own account · Admin");
  g_assert_false (gtk_list_box_row_get_activatable (GTK_LIST_BOX_ROW (you)));
  g_assert_nonnull (app_test_find_matching (GTK_WIDGET (members), is_action_row_titled, "bob"));
  gtk_window_destroy (members);
}

typedef struct
{
  SottoGroup *group;
  char *sent;
  gboolean emptied;
  gboolean stored_when_emptied;
} ComposerWatch;

/* The composer empties only once the message is in the group's stored
 * timeline. */
static void
composer_changed_cb (GtkTextBuffer *buffer,
                     ComposerWatch *watch)
{
  if (gtk_text_buffer_get_char_count (buffer) > 0 || watch->emptied)
    return;

  watch->emptied = TRUE;
  watch->stored_when_emptied = g_strcmp0 (sotto_group_get_last_event (watch->group)->text, watch->sent) == 0;
}

/* The group's composer is the 1:1 one: it grows with what is written,
 * Shift+Enter starts a line and Enter sends, and what was written stays
 * until it is stored. */
static void
test_group_ui_composer (Fixture       *fixture,
                        gconstpointer  user_data)
{
  const char *usernames[] = { "bob", NULL };
  ComposerWatch watch = { NULL, NULL, FALSE, FALSE };
  GtkTextView *composer;
  GtkAdjustment *adjustment;
  int one_line;
  g_autofree char *text = NULL;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  watch.group = create_group (fixture, "Climbers", usernames);
  activate_alice (fixture);

  composer = group_composer (fixture);
  g_assert_nonnull (composer);
  g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (composer)));
  app_test_type (GTK_WINDOW (fixture->window), "First line");
  wait_until (group_composer_has (fixture, "First line"));
  app_test_wait_for_paint (GTK_WIDGET (composer));
  one_line = gtk_widget_get_height (GTK_WIDGET (composer));

  app_test_press (GTK_WINDOW (fixture->window), "shift+Return");
  app_test_type (GTK_WINDOW (fixture->window), "second line");
  app_test_press (GTK_WINDOW (fixture->window), "shift+Return");
  app_test_type (GTK_WINDOW (fixture->window), "third");
  wait_until (group_composer_has (fixture, "First line\nsecond line\nthird"));
  /* Three lines take more room than one. */
  wait_until (gtk_widget_get_height (GTK_WIDGET (composer)) > one_line);

  watch.sent = (char *) "First line\nsecond line\nthird";
  g_signal_connect (gtk_text_view_get_buffer (composer), "changed", G_CALLBACK (composer_changed_cb), &watch);
  app_test_press (GTK_WINDOW (fixture->window), "Return");
  wait_until (watch.emptied);
  g_assert_true (watch.stored_when_emptied);
  g_signal_handlers_disconnect_by_func (gtk_text_view_get_buffer (composer), composer_changed_cb, &watch);
  /* The composer scrolls back to its top as it empties, and GTK 4.8
   * fails on a window destroyed while a scrolled window animates (it
   * disconnects the animation's handler twice): it is let settle. */
  adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (composer));
  wait_until (gtk_adjustment_get_value (adjustment) == gtk_adjustment_get_lower (adjustment));
  app_test_wait_for_paint (GTK_WIDGET (composer));

  /* Bob gets the three lines as one message. */
  g_free (run_cli (fixture, "receive", "--timeout", "1", NULL));
  text = run_cli (fixture, "history", "--group", sotto_group_get_id (watch.group), "--json", NULL);
  g_assert_nonnull (strstr (text, "\"First line\\nsecond line\\nthird\""));
}

/* Whether @label is within what @scroller shows. */
static gboolean
is_in_sight (GtkWidget         *label,
             GtkScrolledWindow *scroller)
{
  graphene_rect_t bounds;

  if (label == NULL || !gtk_widget_get_mapped (label)
      || !gtk_widget_compute_bounds (label, GTK_WIDGET (scroller), &bounds))
    return FALSE;

  return bounds.origin.y >= 0
         && bounds.origin.y + bounds.size.height <= gtk_widget_get_height (GTK_WIDGET (scroller));
}

/* What the user sends shows: the timeline goes to it, from wherever the
 * user had scrolled. */
static void
test_group_ui_scroll (Fixture       *fixture,
                      gconstpointer  user_data)
{
  const char *usernames[] = { "bob", NULL };
  GtkScrolledWindow *scroller;
  GtkAdjustment *adjustment;
  SottoGroup *group;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  group = create_group (fixture, "Climbers", usernames);
  fill_group (fixture, group, 30);
  activate_alice (fixture);
  wait_until (app_test_find_label (GTK_WIDGET (group_view (fixture)), "Older message 29") != NULL);

  /* Up to the top, where the newest messages are out of sight, once
   * the timeline is done with what came. */
  run_main_loop_for (1000);
  scroller = group_scroller (fixture);
  adjustment = gtk_scrolled_window_get_vadjustment (scroller);
  wait_until (gtk_adjustment_get_upper (adjustment) > 2 * gtk_adjustment_get_page_size (adjustment));
  gtk_adjustment_set_value (adjustment, 0);
  wait_until (is_in_sight (app_test_find_label (GTK_WIDGET (group_view (fixture)), "You created the group “Climbers”"),
                           scroller));
  run_main_loop_for (500);
  g_assert_true (is_in_sight (app_test_find_label (GTK_WIDGET (group_view (fixture)), "You created the group “Climbers”"),
                              scroller));
  g_assert_false (is_in_sight (app_test_find_label (GTK_WIDGET (group_view (fixture)), "Older message 29"), scroller));

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (group_composer (fixture)), "Here is mine", -1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (group_view (fixture)), "group.send", NULL));
  wait_until (g_strcmp0 (sotto_group_get_last_event (group)->text, "Here is mine") == 0);
  wait_until (is_in_sight (app_test_find_label (GTK_WIDGET (group_view (fixture)), "Here is mine"), scroller));
}

/* Ctrl+I opens the member list, as it opens the details of a 1:1
 * conversation. */
static void
test_group_ui_details_shortcut (Fixture       *fixture,
                                gconstpointer  user_data)
{
  const char *usernames[] = { "bob", NULL };
  SottoGroupMembersPage *members;
  SottoGroup *group;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  group = create_group (fixture, "Climbers", usernames);
  activate_alice (fixture);

  g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (group_composer (fixture))));
  app_test_press (GTK_WINDOW (fixture->window), "ctrl+i");
  wait_until ((members = SOTTO_GROUP_MEMBERS_PAGE (find_toplevel (SOTTO_TYPE_GROUP_MEMBERS_PAGE))) != NULL);
  g_assert_true (sotto_group_members_page_get_group (members) == group);
  gtk_window_destroy (GTK_WINDOW (members));
}

static GtkWindow *
open_new_group_dialog (Fixture *fixture)
{
  GtkWindow *dialog;

  g_assert_true (gtk_widget_activate_action (app_test_find_widget (GTK_WIDGET (fixture->window), SOTTO_TYPE_CHATS_PAGE),
                                             "chats.new-group", NULL));
  wait_until ((dialog = find_toplevel (SOTTO_TYPE_NEW_GROUP_DIALOG)) != NULL);

  return dialog;
}

/* The New Group dialog says when there is nobody to choose, and finds
 * a contact by name as the user types. */
static void
test_group_ui_new_group (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autofree char *carol = NULL;
  GtkWidget *search;
  GtkWindow *dialog;

  start_alice (fixture);
  dialog = open_new_group_dialog (fixture);
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (dialog), "You have no contacts yet. Enter the username of "
                                                                "each person to add."));
  gtk_window_destroy (dialog);

  carol = register_carol (fixture);
  open_conversation_with_bob (fixture);
  open_conversation_with (fixture, "carol");
  dialog = open_new_group_dialog (fixture);
  g_assert_null (app_test_find_label (GTK_WIDGET (dialog), "You have no contacts yet. Enter the username of "
                                                             "each person to add."));
  g_assert_nonnull (app_test_find_matching (GTK_WIDGET (dialog), is_action_row_titled, "bob"));
  g_assert_nonnull (app_test_find_matching (GTK_WIDGET (dialog), is_action_row_titled, "carol"));

  search = app_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_SEARCH_ENTRY);
  g_assert_nonnull (search);
  gtk_editable_set_text (GTK_EDITABLE (search), "CAR");
  wait_until (app_test_find_matching (GTK_WIDGET (dialog), is_action_row_titled, "bob") == NULL);
  g_assert_nonnull (app_test_find_matching (GTK_WIDGET (dialog), is_action_row_titled, "carol"));

  gtk_editable_set_text (GTK_EDITABLE (search), "dave");
  wait_until (app_test_find_label (GTK_WIDGET (dialog), "No contact matches “dave”") != NULL);
  gtk_window_destroy (dialog);
  page_test_remove_profile (carol);
}

/* Bob, whom Alice verified, gets a new key: the group's timeline says
 * so, and its banner says that what the group sends waits for him. */
static void
test_group_ui_key_change (Fixture       *fixture,
                          gconstpointer  user_data)
{
  const char *usernames[] = { "bob", NULL };
  g_autofree char *digits = NULL;
  SottoContact *bob;
  SottoGroup *group;
  GtkWidget *view;
  GtkWidget *banner;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  bob = sotto_conversation_get_contact (open_conversation (fixture));
  send_from_composer (fixture, "hello bob");
  wait_until (last_message_is (fixture, "hello bob", SOTTO_MESSAGE_STATE_SENT));
  group = create_group (fixture, "Climbers", usernames);
  view = GTK_WIDGET (group_view (fixture));
  banner = app_test_find_widget (view, GTK_TYPE_REVEALER);
  g_assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (banner)));

  g_free (run_cli (fixture, "receive", "--timeout", "1", NULL));
  digits = g_strstrip (run_cli (fixture, "safety-number", "alice", NULL));
  verify_contact (bob, digits);

  g_free (run_cli (fixture, "reset-identity", NULL));
  g_free (run_cli (fixture, "send-group", sotto_group_get_id (group), "new key, same crag", NULL));
  wait_until (app_test_find_label (view, "new key, same crag") != NULL);
  wait_until (sotto_contact_get_verification_state (bob) == SOTTO_VERIFICATION_STATE_CHANGED);

  wait_until (app_test_find_label (view, "Your safety number with bob changed") != NULL);
  wait_until (gtk_revealer_get_reveal_child (GTK_REVEALER (banner)));
  wait_until (app_test_find_label (banner, "The safety number of bob changed. Messages to them wait until "
                                           "you check it in the member list.") != NULL);
}

/* A long history is read a page at a time: the timeline holds the
 * newest page, and scrolling to its top brings the page before. */
static void
test_group_ui_paging (Fixture       *fixture,
                      gconstpointer  user_data)
{
  const char *usernames[] = { "bob", NULL };
  GtkScrolledWindow *scroller;
  GtkAdjustment *adjustment;
  g_autofree char *bob = NULL;
  GListModel *rows;
  SottoGroup *group;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  bob = g_strdup (sotto_contact_get_uuid (sotto_conversation_get_contact (open_conversation (fixture))));
  group = create_group (fixture, "Climbers", usernames);
  fill_group (fixture, group, 119);

  /* Opened again, the group reads its newest page. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "open-conversation", g_variant_new_string (bob));
  wait_until (g_strcmp0 (gtk_window_get_title (GTK_WINDOW (fixture->window)), "bob") == 0);
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "open-group",
                                  g_variant_new_string (sotto_group_get_id (group)));
  activate_alice (fixture);
  wait_until (app_test_find_label (GTK_WIDGET (group_view (fixture)), "Older message 118") != NULL);
  rows = G_LIST_MODEL (gtk_list_view_get_model (GTK_LIST_VIEW (app_test_find_widget (GTK_WIDGET (group_view (fixture)),
                                                                                      GTK_TYPE_LIST_VIEW))));
  run_main_loop_for (500);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 50);

  /* The creation and 119 messages: three pages, the last one short. */
  scroller = group_scroller (fixture);
  adjustment = gtk_scrolled_window_get_vadjustment (scroller);
  gtk_adjustment_set_value (adjustment, 0);
  wait_until (g_list_model_get_n_items (rows) == 100);
  /* The rows that came stand above those the user was reading. */
  wait_until (gtk_adjustment_get_value (adjustment) > 0);
  gtk_adjustment_set_value (adjustment, 0);
  wait_until (g_list_model_get_n_items (rows) == 120);
  wait_until (gtk_adjustment_get_value (adjustment) > 0);
  gtk_adjustment_set_value (adjustment, 0);
  wait_until (app_test_find_label (GTK_WIDGET (group_view (fixture)), "You created the group “Climbers”") != NULL);
  run_main_loop_for (500);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 120);
}

/* Every group widget is reached by the keyboard and named for a screen
 * reader: the view, from its composer on, its member list, and the New
 * Group dialog. */
static void
test_group_ui_keyboard (Fixture       *fixture,
                        gconstpointer  user_data)
{
  const char *usernames[] = { "bob", NULL };
  GtkWindow *window;
  GtkWindow *members;
  GtkWindow *dialog;
  GtkWidget *view;
  GtkWidget *focus;
  gboolean reached_members = FALSE;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  create_group (fixture, "Climbers", usernames);
  send_to_group (fixture, sotto_group_view_get_group (group_view (fixture)), "Which crag?");
  activate_alice (fixture);
  window = GTK_WINDOW (fixture->window);
  view = GTK_WIDGET (group_view (fixture));
  wait_until (app_test_find_label (view, "Which crag?") != NULL);

  app_test_assert_focusables_named (window, "a group conversation");

  /* Tab from the composer goes round the window and reaches the
   * members button, with the focus shown. */
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (group_composer (fixture)), "Hi", -1);
  g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (group_composer (fixture))));
  for (guint i = 0; i < 40 && !reached_members; i++)
    {
      GtkWidget *before = gtk_window_get_focus (window);

      app_test_press (window, "Tab");
      wait_until ((focus = gtk_window_get_focus (window)) != before);
      reached_members = focus != NULL && GTK_IS_BUTTON (focus)
                        && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (focus)), "group.show-members") == 0;
    }
  g_assert_true (reached_members);
  g_assert_true (gtk_window_get_focus_visible (window));
  app_test_press (window, "space");
  wait_until ((members = find_toplevel (SOTTO_TYPE_GROUP_MEMBERS_PAGE)) != NULL);
  app_test_assert_focusables_named (members, "the member list");
  gtk_window_destroy (members);

  dialog = open_new_group_dialog (fixture);
  app_test_assert_focusables_named (dialog, "the New Group dialog");
  gtk_window_destroy (dialog);
}

/* A group's row counts the members' messages the user has not seen, as
 * a 1:1 row does, while another chat is open; opening the group shows
 * them, and the count goes. */
static void
test_group_ui_unread (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autofree char *id = NULL;
  SottoGroup *group;
  GtkWidget *row;

  group = start_with_group (fixture);
  id = g_strdup (sotto_group_get_id (group));
  g_free (run_cli (fixture, "receive", "--timeout", "1", NULL));

  open_conversation_with_bob (fixture);
  g_free (run_cli (fixture, "send-group", id, "Which crag?", NULL));
  g_free (run_cli (fixture, "send-group", id, "The one by the river", NULL));
  row = app_test_find_widget (GTK_WIDGET (fixture->window), SOTTO_TYPE_GROUP_ROW);
  wait_until (app_test_find_label (row, "2") != NULL);
  g_assert_cmpuint (sotto_group_get_unread_count (group), ==, 2);

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "open-group", g_variant_new_string (id));
  wait_until (group_view (fixture) != NULL && sotto_group_view_get_group (group_view (fixture)) == group);
  wait_until (app_test_find_label (GTK_WIDGET (group_view (fixture)), "The one by the river") != NULL);
  wait_until (sotto_group_get_unread_count (group) == 0);
  wait_until (app_test_find_label (row, "2") == NULL);
  g_assert_null (app_test_find_label (row, "0"));
}

/* The reactions under @row's message, as the row shows them, or %NULL
 * when it shows none. */
static const char *
row_reactions (GtkWidget *row)
{
  GtkWidget *reactions = app_test_find_widget (row, SOTTO_TYPE_REACTION_LIST);

  if (reactions == NULL || !gtk_widget_get_visible (reactions))
    return NULL;

  return gtk_label_get_label (GTK_LABEL (app_test_find_widget (app_test_find_widget (reactions, GTK_TYPE_BUTTON),
                                                               GTK_TYPE_LABEL)));
}

/* A member's message is reacted to from its menu, as in a 1:1
 * conversation, which offers a reply too; the member gets the reaction,
 * and the member's own reaction to the user's message shows. */
static void
test_group_ui_react (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(SottoGroupEvent) sent = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *received = NULL;
  g_autofree char *id = NULL;
  SottoGroup *group;
  GtkWidget *reactions;
  GtkWidget *row;
  GtkWidget *menu;

  group = start_with_group (fixture);
  id = g_strdup (sotto_group_get_id (group));
  g_free (run_cli (fixture, "receive", "--timeout", "1", NULL));
  g_free (run_cli (fixture, "send-group", id, "Which crag?", NULL));

  row = group_row_of (fixture, "Which crag?");
  g_assert_true (gtk_widget_activate_action (row, "message.show-menu", NULL));
  wait_until ((menu = app_test_find_widget (row, GTK_TYPE_POPOVER_MENU)) != NULL);
  g_assert_nonnull (app_test_find_label (menu, "_Reply"));
  gtk_widget_activate (gtk_widget_get_ancestor (app_test_find_label (menu, "❤️"), GTK_TYPE_BUTTON));
  wait_until (g_strcmp0 (row_reactions (group_row_of (fixture, "Which crag?")), "❤️") == 0);

  received = run_cli (fixture, "--json", "receive", "--timeout", "1", NULL);
  g_assert_nonnull (strstr (received, "\"type\":\"reaction\""));
  g_assert_nonnull (strstr (received, "\"emoji\":\"❤️\""));

  /* Bob's reaction to Alice's message comes to its row. */
  sotto_group_list_send_async (alice_groups (fixture), group, "The one by the river", NULL,
                               page_test_result_cb, &result);
  wait_until (result != NULL);
  sent = sotto_group_list_send_finish (alice_groups (fixture), result, &error);
  g_assert_no_error (error);
  g_free (run_cli (fixture, "receive", "--timeout", "1", NULL));
  g_free (run_cli (fixture, "react", "--group", id, sent->id, "👍", NULL));
  wait_until (g_strcmp0 (row_reactions (group_row_of (fixture, "The one by the river")), "👍") == 0);
  reactions = app_test_find_widget (group_row_of (fixture, "The one by the river"), SOTTO_TYPE_REACTION_LIST);
  g_assert_cmpstr (sotto_reaction_list_get_reactors (SOTTO_REACTION_LIST (reactions)), ==, "Other members: 👍");
}

/* The user's own message in a group is deleted for every member from
 * its menu, after the same question as in a 1:1 conversation. */
static void
test_group_ui_delete (Fixture       *fixture,
                      gconstpointer  user_data)
{
  SottoGroup *group = start_with_group (fixture);
  g_autofree char *received = NULL;
  GtkWidget *dialog;

  send_to_group (fixture, group, "Wrong group, sorry");
  g_free (run_cli (fixture, "receive", "--timeout", "1", NULL));

  g_assert_true (gtk_widget_activate_action (group_row_of (fixture, "Wrong group, sorry"),
                                             "message.delete-for-everyone", NULL));
  wait_until ((dialog = GTK_WIDGET (find_toplevel (ADW_TYPE_MESSAGE_DIALOG))) != NULL);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "delete");
  gtk_window_close (GTK_WINDOW (dialog));
  wait_until (app_test_find_label (GTK_WIDGET (group_view (fixture)), "This message was deleted") != NULL);
  g_assert_null (app_test_find_label (GTK_WIDGET (group_view (fixture)), "Wrong group, sorry"));

  received = run_cli (fixture, "--json", "receive", "--timeout", "1", NULL);
  g_assert_nonnull (strstr (received, "\"type\":\"delete\""));
}

/* The picture that @ancestor's SottoAvatar shows, or %NULL. */
static GdkPaintable *
shown_picture (GtkWidget *ancestor)
{
  GtkWidget *avatar = app_test_find_widget (ancestor, SOTTO_TYPE_AVATAR);

  g_assert_nonnull (avatar);
  return sotto_avatar_get_image (SOTTO_AVATAR (avatar));
}

/* Alice gives the group a picture from the member list: the list, the
 * group's row in the chat list and the group view's header show it,
 * the timeline says so, and she removes it again. */
static void
test_group_ui_avatar (Fixture       *fixture,
                      gconstpointer  user_data)
{
  const char *usernames[] = { "bob", NULL };
  g_autofree char *directory = g_dir_make_tmp ("sotto-group-avatar-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (directory, "picture.png", NULL);
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 800, 500);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  GtkWidget *row;
  GtkWindow *members;
  SottoGroup *group;

  gdk_pixbuf_fill (pixbuf, 0x3584e4ff);
  g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", &error, NULL));
  g_assert_no_error (error);

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  group = create_group (fixture, "Climbers", usernames);
  members = open_members (fixture);
  g_assert_null (shown_picture (GTK_WIDGET (members)));
  g_assert_true (gtk_widget_get_mapped (app_test_find_widget (GTK_WIDGET (members), GTK_TYPE_MENU_BUTTON)));

  sotto_group_members_page_set_avatar_file (SOTTO_GROUP_MEMBERS_PAGE (members), file);
  wait_until (sotto_group_get_avatar (group) != NULL);
  wait_until (shown_picture (GTK_WIDGET (members)) != NULL);
  row = app_test_find_widget (GTK_WIDGET (fixture->window), SOTTO_TYPE_GROUP_ROW);
  wait_until (shown_picture (row) != NULL);
  wait_until (shown_picture (GTK_WIDGET (group_view (fixture))) != NULL);
  wait_until (app_test_find_label (GTK_WIDGET (group_view (fixture)), "You changed the group picture") != NULL);

  /* Once the change is done (the page takes one at a time). */
  wait_until (gtk_widget_get_sensitive (find_button (GTK_WIDGET (members), "members.leave")));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (members), "members.remove-avatar", NULL));
  wait_until (sotto_group_get_avatar (group) == NULL);
  wait_until (shown_picture (GTK_WIDGET (members)) == NULL);
  wait_until (shown_picture (row) == NULL);
  wait_until (app_test_find_label (GTK_WIDGET (group_view (fixture)), "You removed the group picture") != NULL);
  gtk_window_destroy (members);

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (directory), ==, 0);
}

/* A visible button inside a field: its apply button (✓). */
static gboolean
is_shown_button (GtkWidget     *widget,
                 gconstpointer  unused)
{
  return GTK_IS_BUTTON (widget) && gtk_widget_get_mapped (widget);
}

/* The fields' apply buttons go once what they applied is done: adding a
 * member empties the field, which is no new edit to apply. */
static void
test_group_ui_apply_buttons (Fixture       *fixture,
                             gconstpointer  user_data)
{
  const char *usernames[] = { "bob", NULL };
  g_autofree char *carol = NULL;
  GtkWidget *add_row;
  GtkWindow *members;
  SottoGroup *group;

  start_alice (fixture);
  carol = register_carol (fixture);
  open_conversation_with_bob (fixture);
  group = create_group (fixture, "Climbers", usernames);

  members = open_members (fixture);
  add_row = GTK_WIDGET (page_test_find_row (GTK_WIDGET (members), "Username"));
  g_assert_true (gtk_widget_grab_focus (add_row));
  g_assert_true (set_row_text (GTK_WIDGET (members), "Username", "carol"));
  wait_until (app_test_find_matching (add_row, is_shown_button, NULL) != NULL);
  app_test_press (members, "Return");
  wait_until (g_list_model_get_n_items (sotto_group_get_members (group)) == 2);
  wait_until (g_str_equal (gtk_editable_get_text (GTK_EDITABLE (add_row)), ""));
  run_main_loop_for (200);
  g_assert_null (app_test_find_matching (add_row, is_shown_button, NULL));
  gtk_window_destroy (members);
  page_test_remove_profile (carol);
}

/* What the user typed in a group's composer is stored, sealed, in the
 * profile, to come back after a restart as a 1:1 conversation's draft
 * does, and shows when the group is opened again; sent, it is a draft
 * no more. */
static void
test_group_ui_draft (Fixture       *fixture,
                     gconstpointer  user_data)
{
  static const char draft[] = "typed to the group, not sent";
  SottoGroup *group = start_with_group (fixture);

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (group_composer (fixture)), draft, -1);
  open_conversation_with_bob (fixture);
  wait_until (stored_draft_is (fixture, group, draft));

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "open-group",
                                  g_variant_new_string (sotto_group_get_id (group)));
  wait_until (group_view (fixture) != NULL && group_composer_has (fixture, draft));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (group_view (fixture)), "group.send", NULL));
  wait_until (group_composer_has (fixture, ""));
  wait_until (stored_draft_is (fixture, group, NULL));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/group-ui/no-empty-chat", Fixture, NULL,
              fixture_set_up, test_group_ui_no_empty_chat, fixture_tear_down);
  g_test_add ("/app/group-ui/own-row", Fixture, NULL,
              fixture_set_up, test_group_ui_own_row, fixture_tear_down);
  g_test_add ("/app/group-ui/composer", Fixture, NULL,
              fixture_set_up, test_group_ui_composer, fixture_tear_down);
  g_test_add ("/app/group-ui/scroll", Fixture, NULL,
              fixture_set_up, test_group_ui_scroll, fixture_tear_down);
  g_test_add ("/app/group-ui/details-shortcut", Fixture, NULL,
              fixture_set_up, test_group_ui_details_shortcut, fixture_tear_down);
  g_test_add ("/app/group-ui/new-group", Fixture, NULL,
              fixture_set_up, test_group_ui_new_group, fixture_tear_down);
  g_test_add ("/app/group-ui/key-change", Fixture, NULL,
              fixture_set_up, test_group_ui_key_change, fixture_tear_down);
  g_test_add ("/app/group-ui/paging", Fixture, NULL,
              fixture_set_up, test_group_ui_paging, fixture_tear_down);
  g_test_add ("/app/group-ui/keyboard", Fixture, NULL,
              fixture_set_up, test_group_ui_keyboard, fixture_tear_down);
  g_test_add ("/app/group-ui/unread", Fixture, NULL,
              fixture_set_up, test_group_ui_unread, fixture_tear_down);
  g_test_add ("/app/group-ui/react", Fixture, NULL,
              fixture_set_up, test_group_ui_react, fixture_tear_down);
  g_test_add ("/app/group-ui/delete", Fixture, NULL,
              fixture_set_up, test_group_ui_delete, fixture_tear_down);
  g_test_add ("/app/group-ui/avatar", Fixture, NULL,
              fixture_set_up, test_group_ui_avatar, fixture_tear_down);
  g_test_add ("/app/group-ui/apply-buttons", Fixture, NULL,
              fixture_set_up, test_group_ui_apply_buttons, fixture_tear_down);
  g_test_add ("/app/group-ui/draft", Fixture, NULL,
              fixture_set_up, test_group_ui_draft, fixture_tear_down);

  return g_test_run ();
}
