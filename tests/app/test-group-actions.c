/* test-group-actions.c: finding a group's messages, and answering them
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice is the app in this process, Bob is sotto-cli, and a real
 * sotto-relay runs between them (conversation-fixture.c).  The window's
 * search finds a group's messages, saying in which group and by whom,
 * and opens the group at the one chosen; a group's messages are replied
 * to, edited and deleted for Alice alone from their menus, as a 1:1
 * conversation's are, and nothing she typed is lost to an edit.
 */

#include "config.h"

#include <string.h>

#include "app-test-util.h"
#include "group-fixture.h"
#include "page-test-util.h"
#include "sotto-message-row.h"
#include "sotto-reply-bar.h"
#include "sotto-search-results.h"

static SottoReplyBar *
group_reply_bar (Fixture *fixture)
{
  return SOTTO_REPLY_BAR (app_test_find_any_widget (GTK_WIDGET (group_view (fixture)), SOTTO_TYPE_REPLY_BAR));
}

static void
set_group_composer_text (Fixture    *fixture,
                         const char *text)
{
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (group_composer (fixture)), text, -1);
}

/* Alice's group "Climbers" with Bob, open, which Bob has taken in: what
 * he receives next is what the test did. */
static SottoGroup *
start (Fixture *fixture)
{
  SottoGroup *group = start_with_group (fixture);

  g_free (run_cli (fixture, "receive", "--timeout", "1", NULL));

  return group;
}

/* Bob sends @text to @group; Alice's timeline shows it. */
static GtkWidget *
bob_sends_to_group (Fixture    *fixture,
                    SottoGroup *group,
                    const char *text)
{
  g_free (run_cli (fixture, "send-group", sotto_group_get_id (group), text, NULL));

  return group_row_of (fixture, text);
}

/* Whether the timeline shows @label's message row selected, as a
 * message found by a search is. */
static gboolean
is_selected_row (GtkWidget *label)
{
  GtkWidget *row = label != NULL ? gtk_widget_get_ancestor (label, SOTTO_TYPE_MESSAGE_ROW) : NULL;
  /* The list item holds the sender's name and the row, in a box. */
  GtkWidget *item = row != NULL ? gtk_widget_get_parent (gtk_widget_get_parent (row)) : NULL;

  return item != NULL && gtk_widget_get_mapped (label)
         && (gtk_widget_get_state_flags (item) & GTK_STATE_FLAG_SELECTED) != 0;
}

/* Bob's message, sixty messages back in the group, is found by the
 * window's search, which names the group and Bob; chosen, it opens the
 * group on it, read from the store however far back it is. */
static void
test_group_actions_search (Fixture       *fixture,
                           gconstpointer  user_data)
{
  static const char wanted[] = "Meet at the crag at nine";
  SottoGroup *group = start (fixture);
  GtkWidget *root = GTK_WIDGET (fixture->window);
  GtkWidget *results;
  GtkWidget *entry;
  GtkWidget *match;

  bob_sends_to_group (fixture, group, wanted);
  fill_group (fixture, group, 60);
  open_conversation_with_bob (fixture);

  g_assert_true (gtk_widget_activate_action (root, "win.search", NULL));
  wait_until ((entry = app_test_find_widget (root, GTK_TYPE_SEARCH_ENTRY)) != NULL);
  gtk_editable_set_text (GTK_EDITABLE (entry), "CRAG AT NINE");
  wait_until ((results = app_test_find_widget (root, SOTTO_TYPE_SEARCH_RESULTS)) != NULL
              && (match = page_test_find_subtitled_row (results, "bob: Meet at the crag at nine")) != NULL);
  g_assert_cmpuint (sotto_search_results_get_n_matches (SOTTO_SEARCH_RESULTS (results)), ==, 1);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (match)), ==, "Climbers");

  /* Alice's own messages are hers. */
  gtk_editable_set_text (GTK_EDITABLE (entry), "older message 59");
  wait_until ((match = page_test_find_subtitled_row (results, "You: Older message 59")) != NULL);

  gtk_editable_set_text (GTK_EDITABLE (entry), "crag at nine");
  wait_until ((match = page_test_find_subtitled_row (results, "bob: Meet at the crag at nine")) != NULL);
  g_assert_true (gtk_widget_activate (match));
  wait_until (sotto_group_view_get_group (group_view (fixture)) == group);
  wait_until (is_selected_row (app_test_find_label (GTK_WIDGET (group_view (fixture)), wanted)));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (root)), ==, "Climbers");
}

/* A member's message is replied to from its menu: the composer shows
 * what it answers, Escape leaves the reply and keeps what was typed,
 * and the reply goes with its quote, which its row shows. */
static void
test_group_actions_reply (Fixture       *fixture,
                          gconstpointer  user_data)
{
  SottoGroup *group = start (fixture);
  GtkWidget *view = GTK_WIDGET (group_view (fixture));
  g_autofree char *received = NULL;
  GtkWidget *row;

  row = bob_sends_to_group (fixture, group, "Which crag?");
  activate_alice (fixture);

  g_assert_true (gtk_widget_activate_action (row, "message.reply", NULL));
  wait_until (gtk_widget_get_mapped (GTK_WIDGET (group_reply_bar (fixture))));
  g_assert_nonnull (app_test_find_label (view, "Replying to bob"));
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (group_reply_bar (fixture)), "Which crag?"));
  g_assert_true (gtk_widget_has_focus (GTK_WIDGET (group_composer (fixture))));
  app_test_type (GTK_WINDOW (fixture->window), "Sure");
  wait_until (group_composer_has (fixture, "Sure"));
  app_test_press (GTK_WINDOW (fixture->window), "Escape");
  wait_until (sotto_reply_bar_get_message (group_reply_bar (fixture)) == NULL);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (group_reply_bar (fixture))));
  g_assert_true (group_composer_has (fixture, "Sure"));

  /* Again, and sent. */
  g_assert_true (gtk_widget_activate_action (row, "message.reply", NULL));
  wait_until (sotto_reply_bar_get_message (group_reply_bar (fixture)) != NULL);
  set_group_composer_text (fixture, "The one by the river");
  g_assert_true (gtk_widget_activate_action (view, "group.send", NULL));
  wait_until (group_composer_has (fixture, ""));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (group_reply_bar (fixture))));
  row = group_row_of (fixture, "The one by the river");
  wait_until (app_test_find_label (row, "Which crag?") != NULL);

  received = run_cli (fixture, "--json", "receive", "--timeout", "1", NULL);
  g_assert_nonnull (strstr (received, "\"text\":\"The one by the river\""));
  g_assert_nonnull (strstr (received, "\"target_id\":"));
}

/* Alice's own message is edited from its menu: its text goes into the
 * composer, what she had typed comes back when the edit is cancelled or
 * done, and stays her draft while the edit is under way. */
static void
test_group_actions_edit (Fixture       *fixture,
                         gconstpointer  user_data)
{
  SottoGroup *group = start (fixture);
  GtkWidget *view = GTK_WIDGET (group_view (fixture));
  g_autofree char *received = NULL;
  GtkWidget *row;

  send_to_group (fixture, group, "See you at 5");
  row = group_row_of (fixture, "See you at 5");
  set_group_composer_text (fixture, "half a thought");

  /* Cancelled: the draft is back. */
  g_assert_true (gtk_widget_activate_action (row, "message.edit", NULL));
  wait_until (gtk_widget_get_mapped (GTK_WIDGET (group_reply_bar (fixture))));
  g_assert_nonnull (app_test_find_label (view, "Editing message"));
  g_assert_true (group_composer_has (fixture, "See you at 5"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (group_reply_bar (fixture)), "reply-bar.cancel", NULL));
  wait_until (!gtk_widget_get_visible (GTK_WIDGET (group_reply_bar (fixture))));
  g_assert_true (group_composer_has (fixture, "half a thought"));

  /* Left for another conversation mid-edit, the draft is what she had
   * typed, not the text being edited; the edit waits for her. */
  g_assert_true (gtk_widget_activate_action (row, "message.edit", NULL));
  wait_until (sotto_reply_bar_get_editing (group_reply_bar (fixture)));
  open_conversation_with_bob (fixture);
  wait_until (stored_draft_is (fixture, group, "half a thought"));
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "open-group",
                                  g_variant_new_string (sotto_group_get_id (group)));
  wait_until (gtk_widget_get_mapped (view));
  g_assert_true (sotto_reply_bar_get_editing (group_reply_bar (fixture)));
  g_assert_true (group_composer_has (fixture, "See you at 5"));

  /* Edited and sent: the row changes, the draft is back. */
  set_group_composer_text (fixture, "See you at 6");
  g_assert_true (gtk_widget_activate_action (view, "group.send", NULL));
  row = group_row_of (fixture, "See you at 6");
  wait_until (app_test_find_label (row, "edited") != NULL);
  wait_until (!sotto_reply_bar_get_editing (group_reply_bar (fixture)));
  g_assert_true (group_composer_has (fixture, "half a thought"));
  g_assert_null (app_test_find_label (view, "See you at 5"));

  received = run_cli (fixture, "--json", "receive", "--timeout", "1", NULL);
  g_assert_nonnull (strstr (received, "\"type\":\"edit\""));
  g_assert_nonnull (strstr (received, "\"text\":\"See you at 6\""));
}

/* Whether the store has the message @text in @group's timeline. */
static gboolean
stored_timeline_has (Fixture    *fixture,
                     SottoGroup *group,
                     const char *text)
{
  SottoGroupList *groups = alice_groups (fixture);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;

  sotto_group_list_load_events_async (groups, group, 100, NULL, page_test_result_cb, &result);
  wait_until (result != NULL);
  events = sotto_group_list_load_events_finish (groups, result, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < events->len; i++)
    {
      if (g_strcmp0 (((SottoGroupEvent *) g_ptr_array_index (events, i))->text, text) == 0)
        return TRUE;
    }

  return FALSE;
}

/* A member's message and Alice's own are deleted for her alone: gone
 * from the timeline and from the store, and nothing goes to Bob. */
static void
test_group_actions_delete_for_me (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  SottoGroup *group = start (fixture);
  GtkWidget *view = GTK_WIDGET (group_view (fixture));
  g_autofree char *received = NULL;
  GtkWidget *row;

  row = bob_sends_to_group (fixture, group, "Not for the group");
  send_to_group (fixture, group, "Mine to forget");
  g_assert_true (gtk_widget_activate_action (row, "message.delete", NULL));
  wait_until (app_test_find_label (view, "Not for the group") == NULL);
  g_assert_true (gtk_widget_activate_action (group_row_of (fixture, "Mine to forget"), "message.delete", NULL));
  wait_until (app_test_find_label (view, "Mine to forget") == NULL);

  g_assert_false (stored_timeline_has (fixture, group, "Not for the group"));
  g_assert_false (stored_timeline_has (fixture, group, "Mine to forget"));
  g_assert_nonnull (app_test_find_label (view, "You created the group “Climbers”"));

  received = run_cli (fixture, "--json", "receive", "--timeout", "1", NULL);
  g_assert_null (strstr (received, "\"type\":\"delete\""));
  g_assert_nonnull (strstr (received, "\"text\":\"Mine to forget\""));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/group-actions/search", Fixture, NULL,
              fixture_set_up, test_group_actions_search, fixture_tear_down);
  g_test_add ("/app/group-actions/reply", Fixture, NULL,
              fixture_set_up, test_group_actions_reply, fixture_tear_down);
  g_test_add ("/app/group-actions/edit", Fixture, NULL,
              fixture_set_up, test_group_actions_edit, fixture_tear_down);
  g_test_add ("/app/group-actions/delete-for-me", Fixture, NULL,
              fixture_set_up, test_group_actions_delete_for_me, fixture_tear_down);

  return g_test_run ();
}
