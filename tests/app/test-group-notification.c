/* test-group-notification.c: messages to a group, told as 1:1 messages are
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice is the app in this process, Bob is sotto-cli, and a real
 * sotto-relay runs between them (see conversation-fixture.c).  Bob makes
 * a group with Alice and writes to it: with Alice's window not the
 * active one, a notification names Bob and the group and, by default,
 * not what he wrote; its default action opens the group.
 */

#include "config.h"

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "app-test-util.h"
#include "conversation-fixture.h"
#include "sotto-group-view.h"

/* The group view, once it shows @text. */
static gboolean
group_view_shows (Fixture    *fixture,
                  const char *text)
{
  GtkWidget *view = app_test_find_widget (GTK_WIDGET (fixture->window), SOTTO_TYPE_GROUP_VIEW);

  return view != NULL && app_test_find_label (view, text) != NULL;
}

static void
test_group_notification_message (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *created = NULL;
  const char *group;

  start_alice (fixture);
  /* Bob is one of Alice's contacts, from whom a group may come. */
  open_conversation_with_bob (fixture);

  created = run_cli (fixture, "--json", "group", "create", "Climbers", "alice", NULL);
  g_assert_true (json_parser_load_from_data (parser, created, -1, &error));
  g_assert_no_error (error);
  group = json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)), "group");
  g_assert_nonnull (group);

  g_free (run_cli (fixture, "send-group", group, "Meet at the crag", NULL));
  wait_until (has_notification (fixture, "bob in Climbers: New message"));
  g_assert_false (has_notification (fixture, "bob in Climbers: Meet at the crag"));

  /* The notification's default action opens the group. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "open-group", g_variant_new_string (group));
  wait_until (group_view_shows (fixture, "Meet at the crag"));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/group-notification/message", Fixture, NULL,
              fixture_set_up, test_group_notification_message, fixture_tear_down);

  return g_test_run ();
}
