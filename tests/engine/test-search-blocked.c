/* test-search-blocked.c: a blocked contact's messages use up a search
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "engine-test-util.h"
#include "sotto-conversation-list-private.h"

static void
compose (SottoConversation *conversation,
         const char        *text)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  sotto_conversation_compose_async (conversation, text, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  message = sotto_conversation_compose_finish (conversation, result, &error);
  g_assert_no_error (error);
}

/* A search stops at SOTTO_CONVERSATION_LIST_MAX_MATCHES matches in the
 * store, and only then leaves out those of conversations that are not in
 * the list, such as a blocked contact's (sotto-messenger-requests.c
 * takes it out of the list; its messages stay on disk).  A contact who
 * sent that many messages with a common word before being blocked hides
 * every older message with that word from the user's search.  The
 * search must find what the user can see. */
static void
test_search_blocked (void)
{
  g_autoptr(GFile) profile = engine_test_make_profile ();
  g_autoptr(SottoStore) store = engine_test_open_store (profile, "search blocked");
  g_autoptr(SottoAccount) account = engine_test_make_account (store);
  g_autoptr(SottoConversationList) list = engine_test_load_list (account);
  g_autoptr(SottoConversation) alice = engine_test_add_conversation (list, "alice", NULL);
  g_autoptr(SottoConversation) spammer = engine_test_add_conversation (list, "spammer", NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GListModel) matches = NULL;
  g_autoptr(GError) error = NULL;

  compose (alice, "Lunch at noon?");
  for (guint i = 0; i < SOTTO_CONVERSATION_LIST_MAX_MATCHES; i++)
    compose (spammer, "free lunch, click here");

  /* Blocked: the conversation leaves the list. */
  _sotto_conversation_list_remove (list, spammer);

  sotto_conversation_list_search_async (list, "lunch", NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  matches = sotto_conversation_list_search_finish (list, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (matches), ==, 1);

  g_clear_object (&matches);
  g_clear_object (&result);
  g_clear_object (&alice);
  g_clear_object (&spammer);
  engine_test_await_finalize (g_steal_pointer (&list));
  g_clear_object (&account);
  engine_test_close_store (g_steal_pointer (&store));
  engine_test_remove_profile (g_steal_pointer (&profile));
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

  g_test_add_func ("/engine/search-blocked", test_search_blocked);

  return g_test_run ();
}
