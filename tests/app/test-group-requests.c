/* test-group-requests.c: groups from strangers, and a group's window
 * closed
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice is the app in this process, Bob is sotto-cli on a profile of his
 * own, and a real sotto-relay runs between them (conversation-fixture.c).
 * What Bob's own sotto-cli receives is the proof of what Alice sent.
 */

#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "app-test-util.h"
#include "conversation-fixture.h"
#include "page-test-util.h"
#include "sotto-group-list.h"
#include "sotto-group-view.h"
#include "sotto-messenger.h"

static SottoGroupList *
alice_groups (Fixture *fixture)
{
  return sotto_messenger_get_groups (sotto_window_get_messenger (fixture->window));
}

static SottoGroupView *
group_view (Fixture *fixture)
{
  return SOTTO_GROUP_VIEW (app_test_find_widget (GTK_WIDGET (fixture->window), SOTTO_TYPE_GROUP_VIEW));
}

static void
open_group (Fixture    *fixture,
            SottoGroup *group)
{
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "open-group",
                                  g_variant_new_string (sotto_group_get_id (group)));
  wait_until (group_view (fixture) != NULL && sotto_group_view_get_group (group_view (fixture)) == group);
}

/* Alice opens a group, closes the window, and opens her profile again
 * in the same process: the closed window's group view let go of the
 * profile, which a new window then opens. */
static void
test_group_requests_reopen (Fixture       *fixture,
                            gconstpointer  user_data)
{
  const char *usernames[] = { "bob", NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SottoGroup) group = NULL;
  g_autofree char *id = NULL;
  GtkWidget *root;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  send_from_composer (fixture, "hello bob");
  wait_until (last_message_is (fixture, "hello bob", SOTTO_MESSAGE_STATE_SENT));
  sotto_group_list_create_async (alice_groups (fixture), "Climbers", usernames, NULL, page_test_result_cb, &result);
  wait_until (result != NULL);
  group = sotto_group_list_create_finish (alice_groups (fixture), result, &error);
  g_assert_no_error (error);
  /* The result holds the group list, as the group does. */
  g_clear_object (&result);
  id = g_strdup (sotto_group_get_id (group));
  g_clear_object (&group);
  open_group (fixture, sotto_group_list_find (alice_groups (fixture), id));

  close_alice (fixture);
  fixture->window = sotto_window_new (fixture->app);
  gtk_window_present (GTK_WINDOW (fixture->window));
  root = GTK_WIDGET (fixture->window);
  wait_until (page_is (fixture, "passphrase") || page_is (fixture, "error"));
  g_assert_false (page_is (fixture, "error"));
  g_assert_true (set_row_text (root, "Passphrase", passphrase));
  g_assert_true (gtk_widget_activate_action (root, "win.unlock", NULL));
  wait_until (page_is (fixture, "chats"));
  wait_until (sotto_group_list_find (alice_groups (fixture), id) != NULL);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/group-requests/reopen", Fixture, NULL,
              fixture_set_up, test_group_requests_reopen, fixture_tear_down);

  return g_test_run ();
}
