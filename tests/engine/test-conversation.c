/* test-conversation.c: composing, receiving and message states
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "engine-test-util.h"
#include "sotto-conversation-private.h"

typedef struct
{
  GFile *profile;
  SottoStore *store;
  SottoAccount *account;
  SottoConversationList *list;
  SottoConversation *conversation;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  fixture->profile = engine_test_make_profile ();
  fixture->store = engine_test_open_store (fixture->profile, "conversation");
  fixture->account = engine_test_make_account (fixture->store);
  fixture->list = engine_test_load_list (fixture->account);
  fixture->conversation = engine_test_add_conversation (fixture->list, "frank", NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_clear_object (&fixture->conversation);
  engine_test_await_finalize (g_steal_pointer (&fixture->list));
  g_clear_object (&fixture->account);
  engine_test_close_store (g_steal_pointer (&fixture->store));
  engine_test_remove_profile (fixture->profile);
}

static SottoMessage *
compose (SottoConversation *conversation,
         const char        *text)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SottoMessage *message;

  sotto_conversation_compose_async (conversation, text, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  message = sotto_conversation_compose_finish (conversation, result, &error);
  g_assert_no_error (error);

  return message;
}

static SottoMessage *
receive (SottoConversation  *conversation,
         const char         *id,
         const char         *text,
         GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  sotto_conversation_receive_async (conversation, id, text, 1234, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);

  return sotto_conversation_receive_finish (conversation, result, error);
}

static gboolean
set_state (SottoConversation  *conversation,
           const char         *id,
           SottoMessageState   state,
           GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  sotto_conversation_set_message_state_async (conversation, id, state, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);

  return sotto_conversation_set_message_state_finish (conversation, result, error);
}

static void
test_conversation_compose (Fixture       *fixture,
                           gconstpointer  user_data)
{
  GListModel *messages = sotto_conversation_get_messages (fixture->conversation);
  g_autoptr(EngineTestMirror) mirror = engine_test_mirror_new (messages);
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(SottoMessage) item = NULL;
  gint64 before = g_get_real_time () / 1000;

  g_assert_cmpuint (g_list_model_get_n_items (messages), ==, 0);
  g_assert_null (sotto_conversation_get_last_message_preview (fixture->conversation));
  g_assert_cmpint (sotto_conversation_get_last_activity (fixture->conversation), ==, 0);

  message = compose (fixture->conversation, "hello there");

  g_assert_true (g_uuid_string_is_valid (sotto_message_get_id (message)));
  g_assert_cmpint (sotto_message_get_direction (message), ==, SOTTO_MESSAGE_DIRECTION_OUTGOING);
  g_assert_cmpint (sotto_message_get_state (message), ==, SOTTO_MESSAGE_STATE_QUEUED);
  g_assert_cmpint (sotto_message_get_kind (message), ==, SOTTO_MESSAGE_KIND_TEXT);
  g_assert_cmpstr (sotto_message_get_body (message), ==, "hello there");
  g_assert_cmpint (sotto_message_get_sent_at (message), >=, before);

  g_assert_cmpuint (engine_test_mirror_get_n_signals (mirror), ==, 1);
  engine_test_mirror_assert_equal (mirror);
  item = g_list_model_get_item (messages, 0);
  g_assert_true (item == message);

  g_assert_cmpstr (sotto_conversation_get_last_message_preview (fixture->conversation), ==, "hello there");
  g_assert_cmpint (sotto_conversation_get_last_activity (fixture->conversation), ==,
                   sotto_message_get_received_at (message));
  g_assert_cmpuint (sotto_conversation_get_unread_count (fixture->conversation), ==, 0);
}

static void
test_conversation_receive (Fixture       *fixture,
                           gconstpointer  user_data)
{
  GListModel *messages = sotto_conversation_get_messages (fixture->conversation);
  g_autoptr(EngineTestMirror) mirror = engine_test_mirror_new (messages);
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(SottoMessage) duplicate = NULL;
  g_autoptr(GError) error = NULL;
  const char *id = "a3bb189e-8bf9-3888-9912-ace4e6543002";

  message = receive (fixture->conversation, id, "first line\nsecond line", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sotto_message_get_id (message), ==, id);
  g_assert_cmpint (sotto_message_get_direction (message), ==, SOTTO_MESSAGE_DIRECTION_INCOMING);
  g_assert_cmpint (sotto_message_get_state (message), ==, SOTTO_MESSAGE_STATE_DELIVERED);
  g_assert_cmpint (sotto_message_get_sent_at (message), ==, 1234);
  g_assert_cmpuint (sotto_conversation_get_unread_count (fixture->conversation), ==, 1);
  g_assert_cmpstr (sotto_conversation_get_last_message_preview (fixture->conversation), ==, "first line");

  /* The relay delivering the same message again changes nothing. */
  duplicate = receive (fixture->conversation, id, "first line\nsecond line", &error);
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_EXISTS);
  g_assert_null (duplicate);

  g_assert_cmpuint (engine_test_mirror_get_n_signals (mirror), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (messages), ==, 1);
  engine_test_mirror_assert_equal (mirror);
  g_assert_cmpuint (sotto_conversation_get_unread_count (fixture->conversation), ==, 1);
}

static void
test_conversation_order (Fixture       *fixture,
                         gconstpointer  user_data)
{
  GListModel *messages = sotto_conversation_get_messages (fixture->conversation);
  GAsyncResult *results[20] = { NULL, };

  /* Everything queued is stored in the order it was asked for, even
   * without waiting in between. */
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autofree char *text = g_strdup_printf ("burst %u", i);

      sotto_conversation_compose_async (fixture->conversation, text, NULL, engine_test_result_cb, &results[i]);
    }

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autoptr(SottoMessage) message = NULL;
      g_autoptr(SottoMessage) item = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *text = g_strdup_printf ("burst %u", i);

      engine_test_wait (&results[i]);
      message = sotto_conversation_compose_finish (fixture->conversation, results[i], &error);
      g_assert_no_error (error);
      g_clear_object (&results[i]);

      item = g_list_model_get_item (messages, i);
      g_assert_true (item == message);
      g_assert_cmpstr (sotto_message_get_body (item), ==, text);
    }
}

static void
test_conversation_states (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(SottoMessage) message = compose (fixture->conversation, "receipts");
  g_autoptr(GError) error = NULL;
  const char *id = sotto_message_get_id (message);
  guint notifications = 0;

  g_signal_connect (message, "notify::state", G_CALLBACK (engine_test_count_notify_cb), &notifications);

  g_assert_true (set_state (fixture->conversation, id, SOTTO_MESSAGE_STATE_SENT, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sotto_message_get_state (message), ==, SOTTO_MESSAGE_STATE_SENT);
  g_assert_cmpuint (notifications, ==, 1);

  /* The read receipt overtook the delivery receipt. */
  g_assert_true (set_state (fixture->conversation, id, SOTTO_MESSAGE_STATE_READ, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sotto_message_get_state (message), ==, SOTTO_MESSAGE_STATE_READ);
  g_assert_cmpuint (notifications, ==, 2);

  g_assert_true (set_state (fixture->conversation, id, SOTTO_MESSAGE_STATE_DELIVERED, &error));
  g_assert_no_error (error);
  g_assert_true (set_state (fixture->conversation, id, SOTTO_MESSAGE_STATE_FAILED, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sotto_message_get_state (message), ==, SOTTO_MESSAGE_STATE_READ);
  g_assert_cmpuint (notifications, ==, 2);

  g_assert_false (set_state (fixture->conversation, "00000000-0000-0000-0000-000000000000",
                             SOTTO_MESSAGE_STATE_SENT, &error));
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_FOUND);
}

/* One receipt names many messages, some perhaps gone: the others move
 * in one go, and each notifies once. */
static void
test_conversation_many_states (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(SottoMessage) first = compose (fixture->conversation, "one");
  g_autoptr(SottoMessage) second = compose (fixture->conversation, "two");
  g_autoptr(SottoMessage) third = compose (fixture->conversation, "three");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *ids[] = {
    sotto_message_get_id (first),
    "00000000-0000-0000-0000-000000000000",
    sotto_message_get_id (third),
    NULL,
  };
  guint notifications = 0;

  g_signal_connect (first, "notify::state", G_CALLBACK (engine_test_count_notify_cb), &notifications);
  g_signal_connect (third, "notify::state", G_CALLBACK (engine_test_count_notify_cb), &notifications);

  _sotto_conversation_set_message_states_async (fixture->conversation, ids, SOTTO_MESSAGE_STATE_DELIVERED,
                                                engine_test_result_cb, &result);
  engine_test_wait (&result);
  g_assert_true (sotto_conversation_set_message_state_finish (fixture->conversation, result, &error));
  g_assert_no_error (error);

  g_assert_cmpint (sotto_message_get_state (first), ==, SOTTO_MESSAGE_STATE_DELIVERED);
  g_assert_cmpint (sotto_message_get_state (second), ==, SOTTO_MESSAGE_STATE_QUEUED);
  g_assert_cmpint (sotto_message_get_state (third), ==, SOTTO_MESSAGE_STATE_DELIVERED);
  g_assert_cmpuint (notifications, ==, 2);
}

static void
test_conversation_failed_and_retried (Fixture       *fixture,
                                      gconstpointer  user_data)
{
  g_autoptr(SottoMessage) message = compose (fixture->conversation, "try again");
  g_autoptr(GError) error = NULL;
  const char *id = sotto_message_get_id (message);

  g_assert_true (set_state (fixture->conversation, id, SOTTO_MESSAGE_STATE_FAILED, &error));
  g_assert_cmpint (sotto_message_get_state (message), ==, SOTTO_MESSAGE_STATE_FAILED);
  g_assert_true (set_state (fixture->conversation, id, SOTTO_MESSAGE_STATE_QUEUED, &error));
  g_assert_cmpint (sotto_message_get_state (message), ==, SOTTO_MESSAGE_STATE_QUEUED);
  g_assert_true (set_state (fixture->conversation, id, SOTTO_MESSAGE_STATE_SENT, &error));
  g_assert_cmpint (sotto_message_get_state (message), ==, SOTTO_MESSAGE_STATE_SENT);
  g_assert_no_error (error);
}

static void
test_conversation_mark_read (Fixture       *fixture,
                             gconstpointer  user_data)
{
  const char *ids[] = {
    "11111111-1111-4111-8111-111111111111",
    "22222222-2222-4222-8222-222222222222",
    "33333333-3333-4333-8333-333333333333",
  };
  g_autoptr(SottoMessage) first = NULL;
  g_autoptr(SottoMessage) mine = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) read_ids = NULL;
  guint notifications = 0;

  g_signal_connect (fixture->conversation, "notify::unread-count",
                    G_CALLBACK (engine_test_count_notify_cb), &notifications);

  first = receive (fixture->conversation, ids[0], "one", &error);
  g_assert_no_error (error);
  mine = compose (fixture->conversation, "mine");
  for (guint i = 1; i < G_N_ELEMENTS (ids); i++)
    {
      g_autoptr(SottoMessage) message = receive (fixture->conversation, ids[i], "more", &error);

      g_assert_no_error (error);
      g_assert_nonnull (message);
    }

  g_assert_cmpuint (sotto_conversation_get_unread_count (fixture->conversation), ==, 3);
  g_assert_cmpuint (notifications, ==, 3);

  /* One receipt counts as reading one message. */
  g_assert_true (set_state (fixture->conversation, ids[0], SOTTO_MESSAGE_STATE_READ, &error));
  g_assert_cmpuint (sotto_conversation_get_unread_count (fixture->conversation), ==, 2);
  g_assert_cmpint (sotto_message_get_state (first), ==, SOTTO_MESSAGE_STATE_READ);

  sotto_conversation_mark_read_async (fixture->conversation, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  read_ids = sotto_conversation_mark_read_finish (fixture->conversation, result, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (g_strv_length (read_ids), ==, 2);
  g_assert_cmpstr (read_ids[0], ==, ids[1]);
  g_assert_cmpstr (read_ids[1], ==, ids[2]);
  g_assert_cmpuint (sotto_conversation_get_unread_count (fixture->conversation), ==, 0);
  g_assert_cmpuint (notifications, ==, 5);

  /* The outgoing message keeps its own state. */
  g_assert_cmpint (sotto_message_get_state (mine), ==, SOTTO_MESSAGE_STATE_QUEUED);
}

/* Marking read what the user saw leaves the rest unread: only unread
 * incoming messages among the ids become read, each once, oldest first;
 * an outgoing message, an unknown id and one read already change
 * nothing. */
static void
test_conversation_mark_messages_read (Fixture       *fixture,
                                      gconstpointer  user_data)
{
  const char *ids[] = {
    "11111111-1111-4111-8111-111111111111",
    "22222222-2222-4222-8222-222222222222",
    "33333333-3333-4333-8333-333333333333",
    "44444444-4444-4444-8444-444444444444",
  };
  g_autoptr(GPtrArray) received = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(SottoMessage) mine = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) read_ids = NULL;
  g_auto(GStrv) again = NULL;
  g_autoptr(SottoConversationList) list = NULL;
  SottoConversation *reloaded;
  const char *seen[6];

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_ptr_array_add (received, receive (fixture->conversation, ids[i], "more", &error));
      g_assert_no_error (error);
    }
  mine = compose (fixture->conversation, "mine");
  g_assert_cmpuint (sotto_conversation_get_unread_count (fixture->conversation), ==, 4);

  /* The third and the second, one twice, among ids that are not unread. */
  seen[0] = ids[2];
  seen[1] = sotto_message_get_id (mine);
  seen[2] = "55555555-5555-4555-8555-555555555555";
  seen[3] = ids[1];
  seen[4] = ids[2];
  seen[5] = NULL;
  sotto_conversation_mark_messages_read_async (fixture->conversation, seen, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  read_ids = sotto_conversation_mark_read_finish (fixture->conversation, result, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (g_strv_length (read_ids), ==, 2);
  g_assert_cmpstr (read_ids[0], ==, ids[1]);
  g_assert_cmpstr (read_ids[1], ==, ids[2]);
  g_assert_cmpuint (sotto_conversation_get_unread_count (fixture->conversation), ==, 2);
  g_assert_cmpint (sotto_message_get_state (g_ptr_array_index (received, 0)), ==, SOTTO_MESSAGE_STATE_DELIVERED);
  g_assert_cmpint (sotto_message_get_state (g_ptr_array_index (received, 1)), ==, SOTTO_MESSAGE_STATE_READ);
  g_assert_cmpint (sotto_message_get_state (g_ptr_array_index (received, 2)), ==, SOTTO_MESSAGE_STATE_READ);
  g_assert_cmpint (sotto_message_get_state (g_ptr_array_index (received, 3)), ==, SOTTO_MESSAGE_STATE_DELIVERED);
  g_assert_cmpint (sotto_message_get_state (mine), ==, SOTTO_MESSAGE_STATE_QUEUED);

  /* Seen again, they are no news for the sender. */
  g_clear_object (&result);
  sotto_conversation_mark_messages_read_async (fixture->conversation, seen, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  again = sotto_conversation_mark_read_finish (fixture->conversation, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (again), ==, 0);

  /* So it is on disk. */
  list = engine_test_load_list (fixture->account);
  reloaded = sotto_conversation_list_find_by_username (list, "frank");
  g_assert_nonnull (reloaded);
  g_assert_cmpuint (sotto_conversation_get_unread_count (reloaded), ==, 2);
  engine_test_await_finalize (g_steal_pointer (&list));
}

static void
test_conversation_preview (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(SottoMessage) message = NULL;
  const char *preview;

  for (guint i = 0; i < 30; i++)
    g_string_append (text, "ünï ");

  message = compose (fixture->conversation, text->str);
  preview = sotto_conversation_get_last_message_preview (fixture->conversation);

  g_assert_cmpuint (g_utf8_strlen (preview, -1), ==, 101);
  g_assert_true (g_str_has_suffix (preview, "…"));
  g_assert_cmpint (strncmp (text->str, preview, strlen (preview) - strlen ("…")), ==, 0);
}

/* What the conversation shows survives a restart: the list read back
 * from the store has the same counts, preview and messages. */
static void
test_conversation_reload (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(SottoMessage) sent = compose (fixture->conversation, "before restart");
  g_autoptr(SottoMessage) got = NULL;
  g_autoptr(SottoConversationList) list = NULL;
  g_autoptr(SottoMessage) first = NULL;
  g_autoptr(SottoMessage) last = NULL;
  g_autoptr(GError) error = NULL;
  SottoConversation *reloaded;
  GListModel *messages;

  g_assert_true (set_state (fixture->conversation, sotto_message_get_id (sent), SOTTO_MESSAGE_STATE_DELIVERED, &error));
  got = receive (fixture->conversation, "44444444-4444-4444-8444-444444444444", "after", &error);
  g_assert_no_error (error);

  list = engine_test_load_list (fixture->account);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
  reloaded = sotto_conversation_list_find_by_username (list, "frank");
  g_assert_nonnull (reloaded);
  g_assert_true (reloaded != fixture->conversation);

  g_assert_cmpuint (sotto_conversation_get_unread_count (reloaded), ==, 1);
  g_assert_cmpstr (sotto_conversation_get_last_message_preview (reloaded), ==, "after");
  g_assert_cmpint (sotto_conversation_get_last_activity (reloaded), ==,
                   sotto_conversation_get_last_activity (fixture->conversation));

  messages = sotto_conversation_get_messages (reloaded);
  g_assert_cmpuint (g_list_model_get_n_items (messages), ==, 2);

  /* The newest message was read with the list, for the preview. */
  last = g_list_model_get_item (messages, 1);
  g_assert_true (sotto_message_get_loaded (last));
  g_assert_cmpstr (sotto_message_get_id (last), ==, "44444444-4444-4444-8444-444444444444");

  first = g_list_model_get_item (messages, 0);
  while (!sotto_message_get_loaded (first))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (sotto_message_get_body (first), ==, "before restart");
  g_assert_cmpint (sotto_message_get_state (first), ==, SOTTO_MESSAGE_STATE_DELIVERED);

  g_clear_object (&first);
  g_clear_object (&last);
  engine_test_await_finalize (g_steal_pointer (&list));
}

static void
count_cb (guint *count)
{
  (*count)++;
}

static gboolean
save_draft (SottoConversation *conversation,
            const char        *text)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean saved;

  sotto_conversation_save_draft_async (conversation, text, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  saved = sotto_conversation_save_draft_finish (conversation, result, &error);
  g_assert_no_error (error);

  return saved;
}

static gboolean
delete_message (SottoConversation  *conversation,
                const char         *id,
                GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  sotto_conversation_delete_message_async (conversation, id, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);

  return sotto_conversation_delete_message_finish (conversation, result, error);
}

/* A draft is kept in the store, read back with the list, and gone once
 * it is saved empty. */
static void
test_conversation_draft (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(SottoConversationList) list = NULL;
  g_autoptr(SottoConversationList) emptied = NULL;

  g_assert_null (sotto_conversation_get_draft (fixture->conversation));
  g_assert_true (save_draft (fixture->conversation, "not yet\nsent"));
  g_assert_cmpstr (sotto_conversation_get_draft (fixture->conversation), ==, "not yet\nsent");
  g_assert_false (engine_test_profile_contains (fixture->profile, "not yet", strlen ("not yet")));

  list = engine_test_load_list (fixture->account);
  g_assert_cmpstr (sotto_conversation_get_draft (sotto_conversation_list_find_by_username (list, "frank")),
                   ==, "not yet\nsent");
  engine_test_await_finalize (g_steal_pointer (&list));

  g_assert_true (save_draft (fixture->conversation, ""));
  g_assert_null (sotto_conversation_get_draft (fixture->conversation));
  emptied = engine_test_load_list (fixture->account);
  g_assert_null (sotto_conversation_get_draft (sotto_conversation_list_find_by_username (emptied, "frank")));
  engine_test_await_finalize (g_steal_pointer (&emptied));
}

/* Deleting a message closes the gap: the list is replaced, the others
 * keep their order in memory and in the store, the unread count and the
 * preview follow, and a message in the outbox stays. */
static void
test_conversation_delete (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(SottoMessage) queued = compose (fixture->conversation, "on its way");
  g_autoptr(SottoMessage) first = NULL;
  g_autoptr(SottoMessage) middle = NULL;
  g_autoptr(SottoMessage) last = NULL;
  g_autoptr(SottoConversationList) list = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *messages;
  guint n_notifies = 0;

  first = receive (fixture->conversation, "11111111-1111-4111-8111-111111111111", "one", &error);
  middle = receive (fixture->conversation, "22222222-2222-4222-8222-222222222222", "two", &error);
  last = receive (fixture->conversation, "33333333-3333-4333-8333-333333333333", "three", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sotto_conversation_get_unread_count (fixture->conversation), ==, 3);

  g_assert_false (delete_message (fixture->conversation, sotto_message_get_id (queued), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_false (delete_message (fixture->conversation, "99999999-9999-4999-8999-999999999999", &error));
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_signal_connect_swapped (fixture->conversation, "notify::messages", G_CALLBACK (count_cb), &n_notifies);
  g_assert_true (delete_message (fixture->conversation, "22222222-2222-4222-8222-222222222222", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_notifies, ==, 1);
  g_assert_cmpuint (sotto_conversation_get_unread_count (fixture->conversation), ==, 2);

  messages = sotto_conversation_get_messages (fixture->conversation);
  g_assert_cmpuint (g_list_model_get_n_items (messages), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      static const char *bodies[] = { "on its way", "one", "three" };
      g_autoptr(SottoMessage) item = g_list_model_get_item (messages, i);

      while (!sotto_message_get_loaded (item))
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpstr (sotto_message_get_body (item), ==, bodies[i]);
    }

  g_assert_true (delete_message (fixture->conversation, "33333333-3333-4333-8333-333333333333", &error));
  g_assert_cmpstr (sotto_conversation_get_last_message_preview (fixture->conversation), ==, "one");

  list = engine_test_load_list (fixture->account);
  messages = sotto_conversation_get_messages (sotto_conversation_list_find_by_username (list, "frank"));
  g_assert_cmpuint (g_list_model_get_n_items (messages), ==, 2);
  g_assert_cmpuint (sotto_conversation_get_unread_count (sotto_conversation_list_find_by_username (list, "frank")), ==, 1);
  engine_test_await_finalize (g_steal_pointer (&list));
}

static gboolean
find_message (SottoConversation  *conversation,
              const char         *id,
              guint              *position,
              GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  sotto_conversation_find_message_async (conversation, id, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);

  return sotto_conversation_find_message_finish (conversation, result, position, error);
}

/* A message is found by its id (in any case) where it is in the list,
 * on a page read or not; one the conversation does not have is not. */
static void
test_conversation_find (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(SottoMessage) first = NULL;
  g_autoptr(SottoMessage) second = NULL;
  g_autoptr(GError) error = NULL;
  guint position = G_MAXUINT;

  first = receive (fixture->conversation, "11111111-1111-4111-8111-11111111aaaa", "one", &error);
  second = receive (fixture->conversation, "22222222-2222-4222-8222-22222222bbbb", "two", &error);
  g_assert_no_error (error);

  g_assert_true (find_message (fixture->conversation, "22222222-2222-4222-8222-22222222BBBB", &position, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (position, ==, 1);
  g_assert_true (find_message (fixture->conversation, "11111111-1111-4111-8111-11111111aaaa", &position, &error));
  g_assert_cmpuint (position, ==, 0);

  g_assert_false (find_message (fixture->conversation, "99999999-9999-4999-8999-999999999999", &position, &error));
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_FOUND);
  g_assert_cmpuint (position, ==, 0);
  g_clear_error (&error);

  /* Deleted on this device: gone, and the one after moved up. */
  g_assert_true (delete_message (fixture->conversation, "11111111-1111-4111-8111-11111111aaaa", &error));
  g_assert_false (find_message (fixture->conversation, "11111111-1111-4111-8111-11111111aaaa", &position, &error));
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (find_message (fixture->conversation, "22222222-2222-4222-8222-22222222bbbb", &position, &error));
  g_assert_cmpuint (position, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

#define ADD(path, func) \
  g_test_add ("/engine/conversation/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("compose", test_conversation_compose);
  ADD ("receive", test_conversation_receive);
  ADD ("order", test_conversation_order);
  ADD ("states", test_conversation_states);
  ADD ("many-states", test_conversation_many_states);
  ADD ("failed-and-retried", test_conversation_failed_and_retried);
  ADD ("mark-read", test_conversation_mark_read);
  ADD ("mark-messages-read", test_conversation_mark_messages_read);
  ADD ("preview", test_conversation_preview);
  ADD ("reload", test_conversation_reload);
  ADD ("draft", test_conversation_draft);
  ADD ("delete", test_conversation_delete);
  ADD ("find", test_conversation_find);

#undef ADD

  return g_test_run ();
}
