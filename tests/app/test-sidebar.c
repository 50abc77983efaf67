/* test-sidebar.c: the list of conversations keeps its width
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice in the app, Bob with sotto-cli, on a real relay, in a window
 * wide enough for the list beside the conversation.  The list is as
 * wide with nothing in it as with Bob's conversation, whose last message
 * is long, and as when searching: what the rows say is cut to the list,
 * as in GNOME's own apps, and never moves the conversation aside.
 * Narrow, the list alone fills the window.
 */

#include "config.h"

#include "conversation-fixture.h"

static gboolean
is_leaflet (GtkWidget     *widget,
            gconstpointer  data)
{
  return ADW_IS_LEAFLET (widget);
}

/* The list's column asks for 300 pixels (sotto-chats-page.ui). */
static gboolean
is_sidebar (GtkWidget     *widget,
            gconstpointer  data)
{
  int width;

  gtk_widget_get_size_request (widget, &width, NULL);

  return width == 300;
}

/* The width of the list's column. */
static int
sidebar_width (Fixture *fixture)
{
  GtkWidget *leaflet = app_test_find_matching (GTK_WIDGET (fixture->window), is_leaflet, NULL);
  GtkWidget *sidebar;

  g_assert_nonnull (leaflet);
  g_assert_false (adw_leaflet_get_folded (ADW_LEAFLET (leaflet)));
  sidebar = app_test_find_matching (leaflet, is_sidebar, NULL);
  g_assert_nonnull (sidebar);
  wait_until (gtk_widget_get_mapped (sidebar));
  app_test_wait_for_paint (leaflet);

  return gtk_widget_get_width (sidebar);
}

static void
test_sidebar_stable_width (Fixture       *fixture,
                           gconstpointer  user_data)
{
  static const char long_message[] = "This is a rather long message whose preview in the list would like to be "
                                     "very wide indeed, wider than any sidebar in a GNOME app ever is.";
  int empty;

  start_alice (fixture);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 900, 640);
  empty = sidebar_width (fixture);

  open_conversation_with_bob (fixture);
  g_assert_cmpint (sidebar_width (fixture), ==, empty);

  g_free (run_cli (fixture, "send", "alice", long_message, NULL));
  wait_until (last_message_is (fixture, long_message, SOTTO_MESSAGE_STATE_SENT));
  g_assert_cmpint (sidebar_width (fixture), ==, empty);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.search", NULL));
  g_assert_cmpint (sidebar_width (fixture), ==, empty);
}

static void
test_sidebar_folded (Fixture       *fixture,
                     gconstpointer  user_data)
{
  GtkWidget *leaflet;
  GtkWidget *sidebar;

  start_alice (fixture);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 360, 640);
  leaflet = app_test_find_matching (GTK_WIDGET (fixture->window), is_leaflet, NULL);
  wait_until (adw_leaflet_get_folded (ADW_LEAFLET (leaflet)));
  sidebar = app_test_find_matching (leaflet, is_sidebar, NULL);
  /* Once the leaflet's folding has played out. */
  wait_until (gtk_widget_get_width (sidebar) == gtk_widget_get_width (leaflet));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/sidebar/stable-width", Fixture, NULL,
              fixture_set_up, test_sidebar_stable_width, fixture_tear_down);

  g_test_add ("/app/sidebar/folded", Fixture, NULL,
              fixture_set_up, test_sidebar_folded, fixture_tear_down);

  return g_test_run ();
}
