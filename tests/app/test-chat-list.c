/* test-chat-list.c: 1:1 and group conversations in one list
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice and Bob on real sessions on a real relay: a group Alice makes
 * with Bob joins her list beside their 1:1 conversation, and each moves
 * to the top as it is active (a message Alice sends, a message Bob
 * sends to the group), on both sides; a chat is never shown twice.
 */

#include "config.h"

#include "app-test-util.h"
#include "chat-test-util.h"
#include "page-test-util.h"
#include "sotto-chat-list.h"
#include "sotto-conversation-list.h"
#include "sotto-group-list.h"
#include "sotto-messenger.h"

static SottoChatList *
chat_list_new (SottoSession *session)
{
  SottoMessenger *messenger = sotto_session_get_messenger (session);

  return sotto_chat_list_new (sotto_messenger_get_conversations (messenger), sotto_messenger_get_groups (messenger));
}

/* Whether @list shows @first and then @second, and nothing else. */
static gboolean
shows (SottoChatList *list,
       gpointer       first,
       gpointer       second)
{
  g_autoptr(GObject) top = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_autoptr(GObject) next = g_list_model_get_item (G_LIST_MODEL (list), 1);

  return g_list_model_get_n_items (G_LIST_MODEL (list)) == 2 && top == first && next == second;
}

static void
test_chat_list_order (ChatTest      *test,
                      gconstpointer  data)
{
  g_autoptr(SottoChatList) alice_chats = chat_list_new (test->alice);
  g_autoptr(SottoChatList) bob_chats = NULL;
  g_autoptr(SottoConversation) to_bob = chat_test_open (test->alice, "bob");
  g_autoptr(SottoConversation) from_alice = NULL;
  SottoGroupList *bob_groups = sotto_messenger_get_groups (sotto_session_get_messenger (test->bob));
  SottoGroup *group;
  SottoGroup *bob_group;

  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (alice_chats)) == G_TYPE_OBJECT);
  chat_test_send (test->alice, to_bob, "Climbing on Saturday?");
  from_alice = chat_test_receive (test->bob, "alice", "Climbing on Saturday?");
  /* Bob accepts Alice, so that her group is no request for him. */
  chat_test_accept (test->bob, from_alice);
  bob_chats = chat_list_new (test->bob);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (alice_chats)), ==, 1);

  /* The new group is the newest chat. */
  group = chat_test_create_group (test->alice, "Climbers", "bob");
  app_test_wait_until (shows (alice_chats, group, to_bob));
  g_assert_cmpint (sotto_chat_list_get_item_activity (group), >=, sotto_conversation_get_last_activity (to_bob));

  /* Bob learns of it: it joins his list too, above the 1:1. */
  app_test_wait_until ((bob_group = sotto_group_list_find (bob_groups, sotto_group_get_id (group))) != NULL);
  app_test_wait_until (shows (bob_chats, bob_group, from_alice));

  /* A 1:1 message moves that conversation above the group... */
  g_usleep (2000);
  chat_test_send (test->alice, to_bob, "Bring the rope");
  app_test_wait_until (shows (alice_chats, to_bob, group));
  g_object_unref (chat_test_receive (test->bob, "alice", "Bring the rope"));
  app_test_wait_until (shows (bob_chats, from_alice, bob_group));

  /* ... and a message to the group moves the group back, for the member
   * who sent it and the one who received it. */
  g_usleep (2000);
  chat_test_send_to_group (test->bob, bob_group, "Which crag?");
  app_test_wait_until (shows (bob_chats, bob_group, from_alice));
  app_test_wait_until (chat_test_group_ends_with (group, "Which crag?"));
  app_test_wait_until (shows (alice_chats, group, to_bob));
  g_assert_cmpstr (sotto_group_get_last_event (group)->author_name, ==, "bob");
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/chat-list/order", ChatTest, NULL,
              chat_test_set_up, test_chat_list_order, chat_test_tear_down);

  return g_test_run ();
}
