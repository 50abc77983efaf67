/* test-message-list.c: a conversation's messages, read page by page
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "engine-test-util.h"
#include "sotto-conversation-private.h"
#include "sotto-message-list-private.h"
#include "sotto-message-private.h"
#include "sotto-store-private.h"

#define N_MESSAGES 1000

typedef struct
{
  GFile *profile;
  SottoStore *store;
  SottoAccount *account;
  gint64 conversation_id;
  SottoMessageList *list;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(SottoConversationRecord) conversation = NULL;
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_message_record_free);
  g_autoptr(GError) error = NULL;

  fixture->profile = engine_test_make_profile ();
  fixture->store = engine_test_open_store (fixture->profile, "list");
  fixture->account = engine_test_make_account (fixture->store);

  conversation = _sotto_store_add_conversation (fixture->store,
                                                "7a1e0c9d-51a2-4f43-9b0e-2f5d6c7b8a90",
                                                "erin", NULL, NULL, SOTTO_CONTACT_STANDING_ACCEPTED, &error);
  g_assert_no_error (error);
  fixture->conversation_id = conversation->id;

  for (guint i = 0; i < N_MESSAGES; i++)
    {
      g_autofree char *id = g_uuid_string_random ();
      g_autofree char *body = g_strdup_printf ("message %u", i);

      g_ptr_array_add (messages,
                       _sotto_message_record_new (id,
                                                  SOTTO_MESSAGE_DIRECTION_INCOMING,
                                                  SOTTO_MESSAGE_KIND_TEXT,
                                                  SOTTO_MESSAGE_STATE_READ,
                                                  i, i, body));
    }

  g_assert_true (_sotto_store_insert_messages (fixture->store, fixture->conversation_id, messages, &error));
  g_assert_no_error (error);

  fixture->list = _sotto_message_list_new (fixture->store, fixture->conversation_id, N_MESSAGES, NULL);
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
loaded_cb (SottoMessage *message,
           GParamSpec   *pspec,
           gboolean     *loaded)
{
  *loaded = sotto_message_get_loaded (message);
}

static void
wait_loaded (SottoMessage *message)
{
  gboolean loaded = sotto_message_get_loaded (message);
  gulong handler_id;

  handler_id = g_signal_connect (message, "notify::loaded", G_CALLBACK (loaded_cb), &loaded);
  engine_test_wait_for (&loaded);
  g_signal_handler_disconnect (message, handler_id);
}

static SottoMessage *
get_loaded (Fixture *fixture,
            guint    position)
{
  SottoMessage *message = g_list_model_get_item (G_LIST_MODEL (fixture->list), position);
  g_autofree char *body = g_strdup_printf ("message %u", position);

  wait_loaded (message);
  g_assert_cmpstr (sotto_message_get_body (message), ==, body);
  g_assert_cmpint (sotto_message_get_sent_at (message), ==, position);

  return message;
}

static void
test_message_list_paging (Fixture       *fixture,
                          gconstpointer  user_data)
{
  GListModel *model = G_LIST_MODEL (fixture->list);
  g_autoptr(SottoMessage) newest = NULL;
  g_autoptr(SottoMessage) same_page = NULL;
  g_autoptr(SottoMessage) oldest = NULL;
  g_autoptr(SottoMessage) again = NULL;

  g_assert_true (g_list_model_get_item_type (model) == SOTTO_TYPE_MESSAGE);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, N_MESSAGES);
  g_assert_null (g_list_model_get_item (model, N_MESSAGES));

  /* Knowing the size reads nothing. */
  g_assert_cmpuint (_sotto_message_list_get_n_page_loads (fixture->list), ==, 0);

  /* The newest message comes at once as a placeholder, and its page
   * follows from the store's thread. */
  newest = g_list_model_get_item (model, N_MESSAGES - 1);
  g_assert_false (sotto_message_get_loaded (newest));
  g_assert_cmpuint (_sotto_message_list_get_n_page_loads (fixture->list), ==, 1);
  g_clear_object (&newest);
  newest = get_loaded (fixture, N_MESSAGES - 1);

  /* The rest of that page came with it. */
  same_page = g_list_model_get_item (model, N_MESSAGES - SOTTO_MESSAGE_LIST_PAGE_SIZE);
  g_assert_true (sotto_message_get_loaded (same_page));
  g_assert_cmpuint (_sotto_message_list_get_n_page_loads (fixture->list), ==, 1);

  /* Scrolling to the top reads the first page, and nothing between. */
  oldest = get_loaded (fixture, 0);
  g_assert_cmpuint (_sotto_message_list_get_n_page_loads (fixture->list), ==, 2);
  g_clear_object (&same_page);
  same_page = get_loaded (fixture, SOTTO_MESSAGE_LIST_PAGE_SIZE - 1);
  g_assert_cmpuint (_sotto_message_list_get_n_page_loads (fixture->list), ==, 2);

  /* Asking again hands out the same object. */
  again = g_list_model_get_item (model, 0);
  g_assert_true (again == oldest);
  g_assert_cmpuint (_sotto_message_list_get_n_page_loads (fixture->list), ==, 2);
}

/* A page asked for twice before it arrives is read once. */
static void
test_message_list_one_load_per_page (Fixture       *fixture,
                                     gconstpointer  user_data)
{
  g_autoptr(SottoMessage) first = NULL;
  g_autoptr(SottoMessage) second = NULL;

  first = g_list_model_get_item (G_LIST_MODEL (fixture->list), 500);
  second = g_list_model_get_item (G_LIST_MODEL (fixture->list), 501);
  g_assert_cmpuint (_sotto_message_list_get_n_page_loads (fixture->list), ==, 1);

  wait_loaded (first);
  wait_loaded (second);
  g_assert_cmpstr (sotto_message_get_body (second), ==, "message 501");
  g_assert_cmpuint (_sotto_message_list_get_n_page_loads (fixture->list), ==, 1);
}

/* Scrolling through every page keeps only a few in memory; a message
 * that someone still holds is found again instead of being read twice. */
static void
test_message_list_bounded (Fixture       *fixture,
                           gconstpointer  user_data)
{
  guint n_pages = N_MESSAGES / SOTTO_MESSAGE_LIST_PAGE_SIZE;
  g_autoptr(SottoMessage) held = NULL;
  g_autoptr(SottoMessage) found = NULL;
  gpointer firsts[N_MESSAGES / SOTTO_MESSAGE_LIST_PAGE_SIZE];
  guint alive = 0;

  held = get_loaded (fixture, N_MESSAGES - 1);

  for (guint page = n_pages; page-- > 0;)
    {
      SottoMessage *message = get_loaded (fixture, page * SOTTO_MESSAGE_LIST_PAGE_SIZE);

      firsts[page] = message;
      g_object_add_weak_pointer (G_OBJECT (message), &firsts[page]);
      g_object_unref (message);
    }

  g_assert_cmpuint (_sotto_message_list_get_n_page_loads (fixture->list), ==, n_pages);

  for (guint page = 0; page < n_pages; page++)
    {
      if (firsts[page] != NULL)
        {
          alive++;
          g_object_remove_weak_pointer (firsts[page], &firsts[page]);
        }
    }

  /* The last pages scrolled to are cached, the first ones gone. */
  g_assert_cmpuint (alive, ==, SOTTO_MESSAGE_LIST_MAX_CACHED_PAGES);

  /* The newest page was evicted, but its message is held here. */
  found = g_list_model_get_item (G_LIST_MODEL (fixture->list), N_MESSAGES - 1);
  g_assert_true (found == held);
}

static void
test_message_list_append (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(EngineTestMirror) mirror = NULL;
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(SottoMessage) item = NULL;

  /* The mirror asks for every item, as a view showing all of them would. */
  mirror = engine_test_mirror_new (G_LIST_MODEL (fixture->list));

  message = _sotto_message_new ("3f0c8d4e-2b1a-4c5d-8e7f-6a5b4c3d2e1f",
                                SOTTO_MESSAGE_DIRECTION_OUTGOING,
                                SOTTO_MESSAGE_KIND_TEXT,
                                SOTTO_MESSAGE_STATE_QUEUED,
                                1, 1, "appended");
  _sotto_message_set_position (message, N_MESSAGES);
  _sotto_message_list_append (fixture->list, message);

  g_assert_cmpuint (engine_test_mirror_get_n_signals (mirror), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->list)), ==, N_MESSAGES + 1);
  engine_test_mirror_assert_equal (mirror);

  item = g_list_model_get_item (G_LIST_MODEL (fixture->list), N_MESSAGES);
  g_assert_true (item == message);
  g_assert_true (_sotto_message_list_peek (fixture->list, N_MESSAGES) == message);
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

  g_test_add ("/engine/message-list/paging", Fixture, NULL,
              fixture_set_up, test_message_list_paging, fixture_tear_down);
  g_test_add ("/engine/message-list/one-load-per-page", Fixture, NULL,
              fixture_set_up, test_message_list_one_load_per_page, fixture_tear_down);
  g_test_add ("/engine/message-list/bounded", Fixture, NULL,
              fixture_set_up, test_message_list_bounded, fixture_tear_down);
  g_test_add ("/engine/message-list/append", Fixture, NULL,
              fixture_set_up, test_message_list_append, fixture_tear_down);

  return g_test_run ();
}
