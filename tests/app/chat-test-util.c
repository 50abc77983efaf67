/* chat-test-util.c: two people on a real relay, for the widgets that show
 * what they say to each other
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "app-test-util.h"
#include "chat-test-util.h"
#include "page-test-util.h"
#include "sotto-conversation-list.h"
#include "sotto-group-list.h"
#include "sotto-messenger.h"

/* A new profile's session, registered as @username on @relay and online. */
static SottoSession *
start_person (const char *profile,
              TestRelay  *relay,
              const char *username)
{
  SottoSession *session = page_test_session_new (profile);
  g_autoptr(GError) error = NULL;

  g_assert_true (page_test_unlock (session, PAGE_TEST_PASSPHRASE, &error));
  g_assert_no_error (error);
  page_test_register (session, relay->base_url, username);
  /* As in the app, whose chats page asks for them. */
  g_object_set (sotto_session_get_messenger (session), "message-requests", TRUE, NULL);
  sotto_session_connect_async (session, NULL, NULL, NULL);
  app_test_wait_until (sotto_session_get_state (session) == SOTTO_SESSION_STATE_ONLINE);

  return session;
}

void
chat_test_set_up (ChatTest      *test,
                  gconstpointer  data)
{
  test->relay_data = test_relay_make_data_dir ();
  test->relay = test_relay_start (test->relay_data, test_relay_relaxed_conf, NULL);
  test->alice_profile = page_test_make_profile ();
  test->bob_profile = page_test_make_profile ();
  test->alice = start_person (test->alice_profile, test->relay, "alice");
  test->bob = start_person (test->bob_profile, test->relay, "bob");
}

/* Closes @session and checks that nothing else keeps it alive. */
static void
stop_person (SottoSession *session,
             char         *profile)
{
  page_test_close (session);
  g_assert_finalize_object (session);
  page_test_remove_profile (profile);
  g_free (profile);
}

void
chat_test_tear_down (ChatTest      *test,
                     gconstpointer  data)
{
  stop_person (g_steal_pointer (&test->alice), g_steal_pointer (&test->alice_profile));
  stop_person (g_steal_pointer (&test->bob), g_steal_pointer (&test->bob_profile));
  g_assert_cmpint (test_relay_stop (test->relay), ==, 0);
  g_clear_pointer (&test->relay, test_relay_free);
  test_relay_remove_data_dir (test->relay_data);
  g_clear_pointer (&test->relay_data, g_free);
}

/* @session's conversation with @username, as the user starts one. */
SottoConversation *
chat_test_open (SottoSession *session,
                const char   *username)
{
  SottoMessenger *messenger = sotto_session_get_messenger (session);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SottoConversation *conversation;

  sotto_messenger_open_conversation_async (messenger, username, NULL, page_test_result_cb, &result);
  app_test_wait_until (result != NULL);
  conversation = sotto_messenger_open_conversation_finish (messenger, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (conversation);

  return conversation;
}

/* Sends @text, and waits until the relay has it. */
void
chat_test_send (SottoSession      *session,
                SottoConversation *conversation,
                const char        *text)
{
  SottoMessenger *messenger = sotto_session_get_messenger (session);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sotto_messenger_send_async (messenger, conversation, text, NULL, page_test_result_cb, &result);
  app_test_wait_until (result != NULL);
  g_assert_true (sotto_messenger_send_finish (messenger, result, NULL, &error));
  g_assert_no_error (error);
}

static gboolean
has_received (SottoSession *session,
              const char   *username,
              const char   *text)
{
  SottoConversationList *conversations = sotto_messenger_get_conversations (sotto_session_get_messenger (session));
  SottoConversation *conversation;

  conversation = conversations != NULL ? sotto_conversation_list_find_by_username (conversations, username) : NULL;

  return conversation != NULL && g_strcmp0 (sotto_conversation_get_last_message_preview (conversation), text) == 0;
}

/* Waits until @session's conversation with @username ends with @text,
 * and returns that conversation. */
SottoConversation *
chat_test_receive (SottoSession *session,
                   const char   *username,
                   const char   *text)
{
  SottoConversationList *conversations;

  app_test_wait_until (has_received (session, username, text));
  conversations = sotto_messenger_get_conversations (sotto_session_get_messenger (session));

  return g_object_ref (sotto_conversation_list_find_by_username (conversations, username));
}

/* Accepts the message request @conversation, as its bar's Accept does:
 * a group its contact makes afterwards is no request. */
void
chat_test_accept (SottoSession      *session,
                  SottoConversation *conversation)
{
  SottoMessenger *messenger = sotto_session_get_messenger (session);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sotto_messenger_accept_async (messenger, conversation, NULL, page_test_result_cb, &result);
  app_test_wait_until (result != NULL);
  g_assert_true (sotto_messenger_accept_finish (messenger, result, &error));
  g_assert_no_error (error);
}

/* Sends @text to @group, and waits until the relay has it for every
 * member. */
void
chat_test_send_to_group (SottoSession *session,
                         SottoGroup   *group,
                         const char   *text)
{
  SottoGroupList *groups = sotto_messenger_get_groups (sotto_session_get_messenger (session));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SottoGroupEvent) event = NULL;

  sotto_group_list_send_async (groups, group, text, NULL, page_test_result_cb, &result);
  app_test_wait_until (result != NULL);
  event = sotto_group_list_send_finish (groups, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (event->text, ==, text);
}

/* @session makes the group @title with @member; the group list holds it. */
SottoGroup *
chat_test_create_group (SottoSession *session,
                        const char   *title,
                        const char   *member)
{
  SottoGroupList *groups = sotto_messenger_get_groups (sotto_session_get_messenger (session));
  const char *members[] = { member, NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SottoGroup) group = NULL;

  sotto_group_list_create_async (groups, title, members, NULL, page_test_result_cb, &result);
  app_test_wait_until (result != NULL);
  group = sotto_group_list_create_finish (groups, result, &error);
  g_assert_no_error (error);

  return group;
}

/* Whether the newest entry of @group's timeline is the message @text. */
gboolean
chat_test_group_ends_with (SottoGroup *group,
                           const char *text)
{
  return sotto_group_get_last_event (group) != NULL
         && g_strcmp0 (sotto_group_get_last_event (group)->text, text) == 0;
}
