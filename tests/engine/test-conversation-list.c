/* test-conversation-list.c: conversations, most recently active first
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "engine-test-util.h"

typedef struct
{
  GFile *profile;
  SottoStore *store;
  SottoAccount *account;
  SottoConversationList *list;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  fixture->profile = engine_test_make_profile ();
  fixture->store = engine_test_open_store (fixture->profile, "conversation list");
  fixture->account = engine_test_make_account (fixture->store);
  fixture->list = engine_test_load_list (fixture->account);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  engine_test_await_finalize (g_steal_pointer (&fixture->list));
  g_clear_object (&fixture->account);
  engine_test_close_store (g_steal_pointer (&fixture->store));
  engine_test_remove_profile (fixture->profile);
}

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

  /* Activity is kept in milliseconds; the next message must be later. */
  g_usleep (2000);
}

/* The conversation at @position, borrowed: the list keeps it alive. */
static SottoConversation *
nth (SottoConversationList *list,
     guint                  position)
{
  SottoConversation *conversation = g_list_model_get_item (G_LIST_MODEL (list), position);

  g_object_unref (conversation);

  return conversation;
}

static void
test_conversation_list_add (Fixture       *fixture,
                            gconstpointer  user_data)
{
  GListModel *model = G_LIST_MODEL (fixture->list);
  g_autoptr(EngineTestMirror) mirror = engine_test_mirror_new (model);
  g_autoptr(SottoConversation) first = NULL;
  g_autoptr(SottoConversation) second = NULL;

  g_assert_true (g_list_model_get_item_type (model) == SOTTO_TYPE_CONVERSATION);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  g_assert_null (g_list_model_get_item (model, 0));

  first = engine_test_add_conversation (fixture->list, "heidi", NULL);
  g_assert_cmpuint (engine_test_mirror_get_n_signals (mirror), ==, 1);
  engine_test_mirror_assert_equal (mirror);

  /* Without messages, the newer conversation comes first. */
  second = engine_test_add_conversation (fixture->list, "ivan", NULL);
  g_assert_cmpuint (engine_test_mirror_get_n_signals (mirror), ==, 2);
  engine_test_mirror_assert_equal (mirror);
  g_assert_true (nth (fixture->list, 0) == second);
  g_assert_true (nth (fixture->list, 1) == first);

  g_assert_true (sotto_conversation_list_find_by_username (fixture->list, "heidi") == first);
  g_assert_true (sotto_conversation_list_find_by_username (fixture->list, "ivan") == second);
  g_assert_null (sotto_conversation_list_find_by_username (fixture->list, "judy"));
  g_assert_true (sotto_conversation_list_find_by_uuid (fixture->list,
                                                       sotto_contact_get_uuid (sotto_conversation_get_contact (first)))
                 == first);
}

static void
test_conversation_list_exists (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(SottoConversation) first = engine_test_add_conversation (fixture->list, "heidi", NULL);
  g_autoptr(EngineTestMirror) mirror = engine_test_mirror_new (G_LIST_MODEL (fixture->list));
  g_autoptr(SottoConversation) again = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sotto_conversation_list_add_async (fixture->list, sotto_contact_get_uuid (sotto_conversation_get_contact (first)),
                                     "other", NULL, NULL, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  again = sotto_conversation_list_add_finish (fixture->list, result, &error);
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_EXISTS);
  g_assert_null (again);

  g_assert_cmpuint (engine_test_mirror_get_n_signals (mirror), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->list)), ==, 1);
}

/* A conversation with new activity moves to the top with one removal and
 * one insertion; one already in place does not signal at all. */
static void
test_conversation_list_activity (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  const char *names[] = { "a", "b", "c", "d", "e" };
  SottoConversation *conversations[G_N_ELEMENTS (names)];
  g_autoptr(EngineTestMirror) mirror = NULL;
  GListModel *model = G_LIST_MODEL (fixture->list);
  guint n_signals;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    conversations[i] = engine_test_add_conversation (fixture->list, names[i], NULL);

  /* e d c b a */
  mirror = engine_test_mirror_new (model);

  compose (conversations[0], "a moves up");   /* a e d c b */
  g_assert_cmpuint (engine_test_mirror_get_n_signals (mirror), ==, 2);
  engine_test_mirror_assert_equal (mirror);
  g_assert_true (nth (fixture->list, 0) == conversations[0]);
  g_assert_true (nth (fixture->list, 1) == conversations[4]);

  compose (conversations[0], "a stays");      /* a e d c b */
  g_assert_cmpuint (engine_test_mirror_get_n_signals (mirror), ==, 2);
  engine_test_mirror_assert_equal (mirror);

  compose (conversations[2], "c moves up");   /* c a e d b */
  g_assert_cmpuint (engine_test_mirror_get_n_signals (mirror), ==, 4);
  engine_test_mirror_assert_equal (mirror);

  compose (conversations[1], "b moves up");   /* b c a e d */
  compose (conversations[3], "d moves up");   /* d b c a e */
  n_signals = engine_test_mirror_get_n_signals (mirror);
  g_assert_cmpuint (n_signals, ==, 8);
  engine_test_mirror_assert_equal (mirror);

  g_assert_true (nth (fixture->list, 0) == conversations[3]);
  g_assert_true (nth (fixture->list, 1) == conversations[1]);
  g_assert_true (nth (fixture->list, 2) == conversations[2]);
  g_assert_true (nth (fixture->list, 3) == conversations[0]);
  g_assert_true (nth (fixture->list, 4) == conversations[4]);

  for (guint i = 0; i < G_N_ELEMENTS (conversations); i++)
    g_object_unref (conversations[i]);
}

static void
test_conversation_list_reload (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(SottoConversation) old = engine_test_add_conversation (fixture->list, "old", NULL);
  g_autoptr(SottoConversation) quiet = engine_test_add_conversation (fixture->list, "quiet", NULL);
  g_autoptr(SottoConversation) busy = engine_test_add_conversation (fixture->list, "busy", NULL);
  g_autoptr(SottoConversationList) reloaded = NULL;
  const char *expected[] = { "old", "busy", "quiet" };

  g_assert_true (nth (fixture->list, 0) == busy);
  g_assert_true (nth (fixture->list, 1) == quiet);

  compose (busy, "first");
  compose (old, "latest");

  reloaded = engine_test_load_list (fixture->account);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (reloaded)), ==, G_N_ELEMENTS (expected));

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      SottoConversation *conversation = nth (reloaded, i);

      g_assert_cmpstr (sotto_contact_get_username (sotto_conversation_get_contact (conversation)), ==, expected[i]);
      g_assert_true (nth (fixture->list, i) != conversation);
      g_assert_cmpint (sotto_conversation_get_last_activity (conversation), ==,
                       sotto_conversation_get_last_activity (nth (fixture->list, i)));
    }

  engine_test_await_finalize (g_steal_pointer (&reloaded));
}

/* The texts of the matches a search for @query finds, newest first,
 * joined with "|". */
static char *
search (SottoConversationList *list,
        const char            *query)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GListModel) matches = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) texts = g_string_new (NULL);

  sotto_conversation_list_search_async (list, query, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  matches = sotto_conversation_list_search_finish (list, result, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < g_list_model_get_n_items (matches); i++)
    {
      g_autoptr(SottoMessageMatch) match = g_list_model_get_item (matches, i);
      SottoConversation *conversation = sotto_message_match_get_conversation (match);
      g_autoptr(SottoMessage) message = g_list_model_get_item (sotto_conversation_get_messages (conversation),
                                                               sotto_message_match_get_position (match));

      /* The match says where its message is. */
      engine_test_wait_until ((gboolean (*) (gpointer)) sotto_message_get_loaded, message);
      g_assert_cmpstr (sotto_message_get_body (message), ==, sotto_message_match_get_text (match));
      g_string_append_printf (texts, "%s%s", i > 0 ? "|" : "", sotto_message_match_get_text (match));
    }

  return g_string_free (g_steal_pointer (&texts), FALSE);
}

/* Search looks through the text of every conversation, newest first,
 * ignoring case also beyond ASCII; a cancelled search says so. */
static void
test_conversation_list_search (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(SottoConversation) alice = engine_test_add_conversation (fixture->list, "alice", NULL);
  g_autoptr(SottoConversation) bob = engine_test_add_conversation (fixture->list, "bob", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GListModel) cancelled = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *lunch = NULL;
  g_autofree char *greeting = NULL;
  g_autofree char *folded = NULL;
  g_autofree char *street = NULL;
  g_autofree char *nothing = NULL;

  compose (alice, "Lunch at noon?");
  compose (bob, "Viele Grüße aus Köln");
  compose (bob, "no LUNCH for me");
  compose (alice, "see you at Hauptstraße 5");

  lunch = search (fixture->list, "lunch");
  g_assert_cmpstr (lunch, ==, "no LUNCH for me|Lunch at noon?");
  greeting = search (fixture->list, "GRÜSSE");
  g_assert_cmpstr (greeting, ==, "Viele Grüße aus Köln");
  folded = search (fixture->list, "KÖLN");
  g_assert_cmpstr (folded, ==, "Viele Grüße aus Köln");
  /* An ASCII query finds text that only folds to it. */
  street = search (fixture->list, "STRASSE");
  g_assert_cmpstr (street, ==, "see you at Hauptstraße 5");
  nothing = search (fixture->list, "dinner");
  g_assert_cmpstr (nothing, ==, "");

  g_cancellable_cancel (cancellable);
  sotto_conversation_list_search_async (fixture->list, "lunch", cancellable, engine_test_result_cb, &result);
  engine_test_wait (&result);
  cancelled = sotto_conversation_list_search_finish (fixture->list, result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (cancelled);
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

#define ADD(path, func) \
  g_test_add ("/engine/conversation-list/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("add", test_conversation_list_add);
  ADD ("exists", test_conversation_list_exists);
  ADD ("activity", test_conversation_list_activity);
  ADD ("reload", test_conversation_list_reload);
  ADD ("search", test_conversation_list_search);

#undef ADD

  return g_test_run ();
}
