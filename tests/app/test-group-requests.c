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
#include "sotto-request-bar.h"

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

static gboolean
is_of_type (GtkWidget     *widget,
            gconstpointer  type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type));
}

/* The group view's widget of @type, shown or not. */
static GtkWidget *
group_view_child (Fixture *fixture,
                  GType    type)
{
  return app_test_find_matching (GTK_WIDGET (group_view (fixture)), is_of_type, GSIZE_TO_POINTER (type));
}

static GtkWidget *
group_composer (Fixture *fixture)
{
  return group_view_child (fixture, GTK_TYPE_TEXT_VIEW);
}

static gboolean
composer_is_empty (Fixture *fixture)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (group_composer (fixture)));

  return gtk_text_buffer_get_char_count (buffer) == 0;
}

static SottoRequestBar *
group_request_bar (Fixture *fixture)
{
  return SOTTO_REQUEST_BAR (group_view_child (fixture, SOTTO_TYPE_REQUEST_BAR));
}

static void
open_group (Fixture    *fixture,
            SottoGroup *group)
{
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "open-group",
                                  g_variant_new_string (sotto_group_get_id (group)));
  wait_until (group_view (fixture) != NULL && sotto_group_view_get_group (group_view (fixture)) == group);
}

/* Bob, whom Alice never wrote to, makes the group @title with her; it
 * is returned once Alice's app has it. */
static SottoGroup *
bob_adds_alice (Fixture    *fixture,
                const char *title)
{
  g_autofree char *out = run_cli (fixture, "group", "create", title, "alice", NULL);
  const char *id = g_strstrip (out);
  SottoGroup *group = NULL;

  wait_until ((group = sotto_group_list_find (alice_groups (fixture), id)) != NULL);

  return group;
}

/* Everything that waits on the relay for Bob, as receive --json prints
 * it. */
static char *
bob_receives (Fixture *fixture)
{
  return run_cli (fixture, "--json", "receive", "--timeout", "0", NULL);
}

/* Bob's group reaches Alice as a request: the list marks it, and the
 * group shows who added her, with Accept, Decline and Block where the
 * composer was.  Bob hears nothing of her until she accepts; then the
 * composer is back, and what she writes reaches him. */
static void
test_group_requests_accept (Fixture       *fixture,
                            gconstpointer  user_data)
{
  SottoGroup *group;
  SottoRequestBar *bar;
  GtkWidget *root;
  GtkWidget *accept;
  g_autofree char *nothing = NULL;
  g_autofree char *received = NULL;

  start_alice (fixture);
  root = GTK_WIDGET (fixture->window);
  group = bob_adds_alice (fixture, "Climbers");
  g_assert_true (sotto_group_get_request (group));
  wait_until (app_test_find_label (root, "Request") != NULL);

  open_group (fixture, group);
  bar = group_request_bar (fixture);
  wait_until (gtk_widget_get_mapped (GTK_WIDGET (bar)));
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (bar), "bob added you to Climbers"));
  g_assert_nonnull (find_labelled_button (GTK_WIDGET (bar), "_Decline"));
  g_assert_nonnull (find_labelled_button (GTK_WIDGET (bar), "_Block"));
  g_assert_false (gtk_widget_get_mapped (group_composer (fixture)));

  g_free (run_cli (fixture, "send-group", sotto_group_get_id (group), "Anyone here?", NULL));
  wait_until (app_test_find_label (GTK_WIDGET (group_view (fixture)), "Anyone here?") != NULL);
  run_main_loop_for (1000);
  nothing = bob_receives (fixture);
  g_assert_cmpstr (nothing, ==, "");

  accept = find_labelled_button (GTK_WIDGET (bar), "_Accept");
  app_test_click (accept);
  wait_until (!sotto_group_get_request (group));
  wait_until (gtk_widget_get_mapped (group_composer (fixture)));
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (bar)));
  g_assert_null (app_test_find_label (root, "Request"));

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (group_composer (fixture))), "Me!", -1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (group_view (fixture)), "group.send", NULL));
  /* The composer lets go of the text once the relay took it for Bob. */
  wait_until (composer_is_empty (fixture));
  received = bob_receives (fixture);
  g_assert_nonnull (strstr (received, "Me!"));
}

/* Declined, Bob's group leaves Alice's list and her window, and what he
 * sends to it later shows nowhere; he learns nothing. */
static void
test_group_requests_decline (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autofree char *id = NULL;
  g_autofree char *nothing = NULL;
  SottoGroup *group;
  SottoRequestBar *bar;

  start_alice (fixture);
  group = bob_adds_alice (fixture, "Spam");
  id = g_strdup (sotto_group_get_id (group));
  open_group (fixture, group);
  bar = group_request_bar (fixture);
  wait_until (gtk_widget_get_mapped (GTK_WIDGET (bar)));

  app_test_click (find_labelled_button (GTK_WIDGET (bar), "_Decline"));
  wait_until (sotto_group_list_find (alice_groups (fixture), id) == NULL);
  /* The group view closes. */
  wait_until (group_view (fixture) == NULL);

  g_free (run_cli (fixture, "send-group", id, "Buy now", NULL));
  run_main_loop_for (1500);
  g_assert_null (sotto_group_list_find (alice_groups (fixture), id));
  g_assert_null (app_test_find_label (GTK_WIDGET (fixture->window), "Buy now"));
  nothing = bob_receives (fixture);
  g_assert_cmpstr (nothing, ==, "");
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

  g_test_add ("/app/group-requests/accept", Fixture, NULL,
              fixture_set_up, test_group_requests_accept, fixture_tear_down);
  g_test_add ("/app/group-requests/decline", Fixture, NULL,
              fixture_set_up, test_group_requests_decline, fixture_tear_down);
  g_test_add ("/app/group-requests/reopen", Fixture, NULL,
              fixture_set_up, test_group_requests_reopen, fixture_tear_down);

  return g_test_run ();
}
