/* test-search-results.c: the messages that hold what the user looks for
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice's real conversations, on a real sotto-relay: the number of
 * matches notifies once per change, and the results are finalized once
 * released, even with a search still on its way.
 */

#include "config.h"

#include "app-test-util.h"
#include "chat-test-util.h"
#include "page-test-util.h"
#include "sotto-conversation-list.h"
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

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/search-results/n-matches", ChatTest, NULL,
              chat_test_set_up, test_search_results_n_matches, chat_test_tear_down);

  return g_test_run ();
}
