/* test-group-send.c: what a group message says while the relay is down
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice is the app in this process, Bob is sotto-cli, and a real
 * sotto-relay, which the test kills and starts again on its port, runs
 * between them (conversation-fixture.c).  A message Alice writes to a
 * group while the relay is gone says that it waits for the connection,
 * not that it was sent; it goes once the relay is back, and Bob gets it
 * once.  A group Alice was removed from says so where the composer was.
 */

#include "config.h"

#include <string.h>

#include "app-test-util.h"
#include "conversation-fixture.h"
#include "page-test-util.h"
#include "sotto-group-list.h"
#include "sotto-group-view.h"
#include "sotto-message-row.h"
#include "sotto-messenger.h"

#define WAITING "Waiting for connection"

static SottoGroupView *
group_view (Fixture *fixture)
{
  return SOTTO_GROUP_VIEW (app_test_find_widget (GTK_WIDGET (fixture->window), SOTTO_TYPE_GROUP_VIEW));
}

static void
open_group (Fixture    *fixture,
            const char *id)
{
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "open-group", g_variant_new_string (id));
  wait_until (group_view (fixture) != NULL && sotto_group_view_get_group (group_view (fixture)) != NULL
              && g_str_equal (sotto_group_get_id (sotto_group_view_get_group (group_view (fixture))), id));
}

/* Alice, who wrote to Bob, makes the group "Climbers" with him, opens
 * it, and Bob has it. */
static void
start_with_group (Fixture *fixture)
{
  SottoGroupList *groups;
  const char *usernames[] = { "bob", NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SottoGroup) group = NULL;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  send_from_composer (fixture, "hello bob");
  wait_until (last_message_is (fixture, "hello bob", SOTTO_MESSAGE_STATE_SENT));

  groups = sotto_messenger_get_groups (sotto_window_get_messenger (fixture->window));
  sotto_group_list_create_async (groups, "Climbers", usernames, NULL, page_test_result_cb, &result);
  wait_until (result != NULL);
  group = sotto_group_list_create_finish (groups, result, &error);
  g_assert_no_error (error);
  open_group (fixture, sotto_group_get_id (group));
  g_free (run_cli (fixture, "receive", "--timeout", "1", NULL));
}

/* The state of the group message @text as its row shows it, or -1
 * while it shows no such row. */
static int
row_state (Fixture    *fixture,
           const char *text)
{
  GtkWidget *label = app_test_find_label (GTK_WIDGET (group_view (fixture)), text);
  GtkWidget *row = label != NULL ? gtk_widget_get_ancestor (label, SOTTO_TYPE_MESSAGE_ROW) : NULL;

  if (row == NULL)
    return -1;

  return sotto_message_get_state (sotto_message_row_get_message (SOTTO_MESSAGE_ROW (row)));
}

/* Alice writes @text in the group's composer and sends it with Enter;
 * the composer empties once it is stored. */
static void
send_in_group (Fixture    *fixture,
               const char *text)
{
  GtkTextView *composer = GTK_TEXT_VIEW (app_test_find_widget (GTK_WIDGET (group_view (fixture)),
                                                               GTK_TYPE_TEXT_VIEW));

  activate_alice (fixture);
  g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (composer)));
  app_test_type (GTK_WINDOW (fixture->window), text);
  wait_until (gtk_text_buffer_get_char_count (gtk_text_view_get_buffer (composer)) == (int) g_utf8_strlen (text, -1));
  app_test_press (GTK_WINDOW (fixture->window), "Return");
  wait_until (gtk_text_buffer_get_char_count (gtk_text_view_get_buffer (composer)) == 0);
}

/* How many times Bob's receive prints the group message @text. */
static guint
bob_receives (Fixture    *fixture,
              const char *text)
{
  g_autofree char *received = run_cli (fixture, "--json", "receive", "--timeout", "1", NULL);
  g_autofree char *quoted = g_strdup_printf ("\"text\":\"%s\"", text);
  guint n = 0;

  for (const char *at = strstr (received, quoted); at != NULL; at = strstr (at + 1, quoted))
    n++;

  return n;
}

static void
test_group_send_relay_down (Fixture       *fixture,
                            gconstpointer  user_data)
{
  SottoMessenger *messenger;

  start_with_group (fixture);
  messenger = sotto_window_get_messenger (fixture->window);

  wait_until (sotto_messenger_get_connection (messenger) == SOTTO_RELAY_CONNECTION_CONNECTED);
  test_relay_kill (fixture->relay);
  wait_until (sotto_messenger_get_connection (messenger) != SOTTO_RELAY_CONNECTION_CONNECTED);

  /* Not sent, and it says why rather than a tick. */
  send_in_group (fixture, "written while down");
  wait_until (row_state (fixture, "written while down") == SOTTO_MESSAGE_STATE_QUEUED);
  wait_until (app_test_find_label (GTK_WIDGET (group_view (fixture)), WAITING) != NULL);
  run_main_loop_for (500);
  g_assert_cmpint (row_state (fixture, "written while down"), ==, SOTTO_MESSAGE_STATE_QUEUED);

  /* The relay is back: it goes by itself, and is sent. */
  test_relay_restart (fixture->relay);
  wait_until (row_state (fixture, "written while down") == SOTTO_MESSAGE_STATE_SENT);
  wait_until (app_test_find_label (GTK_WIDGET (group_view (fixture)), WAITING) == NULL);
  g_assert_cmpuint (bob_receives (fixture, "written while down"), ==, 1);
  g_assert_cmpuint (bob_receives (fixture, "written while down"), ==, 0);
}

/* Bob removes Alice from his group: where the composer was, the group
 * says she is no longer a member, and nothing offers to send. */
static void
test_group_send_left (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autofree char *created = NULL;
  g_autofree char *id = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  SottoGroupView *view;
  SottoGroup *group;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  send_from_composer (fixture, "hello bob");
  wait_until (last_message_is (fixture, "hello bob", SOTTO_MESSAGE_STATE_SENT));
  g_free (run_cli (fixture, "receive", "--timeout", "1", NULL));

  created = run_cli (fixture, "--json", "group", "create", "Hikers", "alice", NULL);
  g_assert_true (json_parser_load_from_data (parser, created, -1, &error));
  g_assert_no_error (error);
  id = g_strdup (json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)), "group"));
  wait_until (sotto_group_list_find (sotto_messenger_get_groups (sotto_window_get_messenger (fixture->window)),
                                     id) != NULL);
  open_group (fixture, id);
  view = group_view (fixture);
  group = sotto_group_view_get_group (view);
  g_assert_true (sotto_group_get_is_member (group));

  g_free (run_cli (fixture, "group", "remove", id, "alice", NULL));
  wait_until (!sotto_group_get_is_member (group));
  wait_until (app_test_find_label (GTK_WIDGET (view), "You are no longer a member of this group.") != NULL);
  g_assert_null (app_test_find_widget (GTK_WIDGET (view), GTK_TYPE_TEXT_VIEW));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add ("/app/group-send/relay-down", Fixture, NULL,
              fixture_set_up, test_group_send_relay_down, fixture_tear_down);
  g_test_add ("/app/group-send/left", Fixture, NULL,
              fixture_set_up, test_group_send_left, fixture_tear_down);

  return g_test_run ();
}
