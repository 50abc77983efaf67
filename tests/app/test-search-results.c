/* test-search-results.c: the messages that hold what the user looks for
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice's real conversations, on a real sotto-relay: the number of
 * matches notifies once per change, and the results are finalized once
 * released, even with a search still on its way; a group's messages are
 * found with those of 1:1 conversations, saying in which group and by
 * whom.
 */

#include "config.h"

#include <adwaita.h>

#include "app-test-util.h"
#include "chat-test-util.h"
#include "page-test-util.h"
#include "sotto-contact.h"
#include "sotto-conversation-list.h"
#include "sotto-group-list.h"
#include "sotto-messenger.h"
#include "sotto-search-results.h"

static guint
get_n_matches (SottoSearchResults *results)
{
  guint n_matches;

  g_object_get (results, "n-matches", &n_matches, NULL);
  g_assert_cmpuint (n_matches, ==, sotto_search_results_get_n_matches (results));

  return n_matches;
}

static void
test_search_results_n_matches (ChatTest      *test,
                               gconstpointer  data)
{
  g_autoptr(SottoConversation) with_bob = chat_test_open (test->alice, "bob");
  SottoConversationList *conversations = sotto_messenger_get_conversations (sotto_session_get_messenger (test->alice));
  SottoSearchResults *results = g_object_ref_sink (g_object_new (SOTTO_TYPE_SEARCH_RESULTS, NULL));
  GtkWindow *window;
  guint notified = 0;

  g_signal_connect (results, "notify::n-matches", G_CALLBACK (page_test_count_cb), &notified);
  window = page_test_show (GTK_WIDGET (results));

  chat_test_send (test->alice, with_bob, "A needle in a haystack");
  chat_test_send (test->alice, with_bob, "Another needle");
  chat_test_send (test->alice, with_bob, "Just hay");

  /* Nothing to search in finds nothing, and says nothing. */
  sotto_search_results_set_query (results, "needle");
  g_assert_cmpuint (get_n_matches (results), ==, 0);
  g_assert_cmpuint (notified, ==, 0);

  sotto_search_results_set_conversations (results, conversations);
  sotto_search_results_set_query (results, "needle");
  app_test_wait_until (notified == 1);
  g_assert_cmpuint (get_n_matches (results), ==, 2);
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (results), "Another needle"));

  /* A new query clears the matches of the old one until its own arrive. */
  sotto_search_results_set_query (results, "haystack");
  g_assert_cmpuint (get_n_matches (results), ==, 0);
  g_assert_cmpuint (notified, ==, 2);
  app_test_wait_until (notified == 3);
  g_assert_cmpuint (get_n_matches (results), ==, 1);

  /* No query, no matches. */
  sotto_search_results_set_query (results, "");
  g_assert_cmpuint (get_n_matches (results), ==, 0);
  g_assert_cmpuint (notified, ==, 4);
  sotto_search_results_set_query (results, NULL);
  g_assert_cmpuint (notified, ==, 4);

  /* Released with a search on its way, the results hold nothing that
   * outlives them; the search's late answer (when the session closes)
   * must not touch them, which the sanitizers check. */
  sotto_search_results_set_query (results, "needle");
  page_test_release (window, results);
}

/* The engine's search through Alice's groups, as the window's search
 * has it. */
static GListModel *
search_groups (SottoGroupList *groups,
               const char     *query,
               GCancellable   *cancellable,
               GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  sotto_group_list_search_async (groups, query, cancellable, page_test_result_cb, &result);
  app_test_wait_until (result != NULL);

  return sotto_group_list_search_finish (groups, result, error);
}

/* Bob's message to a group he is in with Alice is found in her store,
 * with its group, its author and its id; her message to Bob too, the
 * newest first.  A cancelled search finds nothing. */
static void
test_search_results_groups (ChatTest      *test,
                            gconstpointer  data)
{
  SottoMessenger *messenger = sotto_session_get_messenger (test->alice);
  SottoGroupList *groups = sotto_messenger_get_groups (messenger);
  SottoGroupList *bob_groups = sotto_messenger_get_groups (sotto_session_get_messenger (test->bob));
  g_autoptr(SottoConversation) with_bob = chat_test_open (test->alice, "bob");
  g_autoptr(SottoConversation) from_alice = NULL;
  SottoSearchResults *results = g_object_ref_sink (g_object_new (SOTTO_TYPE_SEARCH_RESULTS, NULL));
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(SottoMessageMatch) match = NULL;
  g_autoptr(GListModel) matches = NULL;
  g_autoptr(GError) error = NULL;
  SottoGroup *bob_group;
  SottoGroup *group;
  GtkWindow *window;
  GtkWidget *row;

  /* Bob accepts Alice, so that her group is no request for him. */
  chat_test_send (test->alice, with_bob, "Climbing on Saturday?");
  from_alice = chat_test_receive (test->bob, "alice", "Climbing on Saturday?");
  chat_test_accept (test->bob, from_alice);

  group = chat_test_create_group (test->alice, "Climbers", "bob");
  app_test_wait_until ((bob_group = sotto_group_list_find (bob_groups, sotto_group_get_id (group))) != NULL);
  chat_test_send_to_group (test->bob, bob_group, "Which crag at nine?");
  app_test_wait_until (chat_test_group_ends_with (group, "Which crag at nine?"));
  chat_test_send (test->alice, with_bob, "The crag by the river");

  matches = search_groups (groups, "CRAG", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (matches), ==, 1);
  match = g_list_model_get_item (matches, 0);
  g_assert_true (sotto_message_match_get_group (match) == group);
  g_assert_null (sotto_message_match_get_conversation (match));
  g_assert_cmpstr (sotto_message_match_get_text (match), ==, "Which crag at nine?");
  g_assert_cmpstr (sotto_message_match_get_author_name (match), ==, "bob");
  g_assert_cmpstr (sotto_message_match_get_author (match), ==,
                   sotto_contact_get_uuid (sotto_conversation_get_contact (with_bob)));
  g_assert_cmpstr (sotto_message_match_get_message_id (match), ==, sotto_group_get_last_event (group)->id);
  g_assert_cmpuint (sotto_message_match_get_position (match), ==, 0);
  g_clear_object (&matches);

  g_cancellable_cancel (cancellable);
  matches = search_groups (groups, "crag", cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (matches);

  /* The window's results have both, and say where each is. */
  window = page_test_show (GTK_WIDGET (results));
  sotto_search_results_set_conversations (results, sotto_messenger_get_conversations (messenger));
  sotto_search_results_set_groups (results, groups);
  sotto_search_results_set_query (results, "crag");
  app_test_wait_until (sotto_search_results_get_n_matches (results) == 2);
  row = page_test_find_subtitled_row (GTK_WIDGET (results), "bob: Which crag at nine?");
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Climbers");
  /* The newest first: Alice's message to Bob. */
  g_assert_nonnull (page_test_find_subtitled_row (GTK_WIDGET (results), "The crag by the river"));
  g_assert_true (gtk_widget_get_prev_sibling (row) != NULL);
  page_test_release (window, results);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/search-results/n-matches", ChatTest, NULL,
              chat_test_set_up, test_search_results_n_matches, chat_test_tear_down);
  g_test_add ("/app/search-results/groups", ChatTest, NULL,
              chat_test_set_up, test_search_results_groups, chat_test_tear_down);

  return g_test_run ();
}
