/* test-offline.c: the window says when the relay is out of reach
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The whole app as Alice, against a real sotto-relay that the test kills
 * with SIGKILL and starts again on its port.  While the relay is gone a
 * banner says so and why, and a message written meanwhile says that it
 * waits for the connection; both go once the relay is back, and the
 * message is sent.
 */

#include "config.h"

#include <string.h>

#include "app-test-util.h"
#include "conversation-fixture.h"

#define WAITING "Waiting for connection"

static gboolean
is_label_starting (GtkWidget     *widget,
                   gconstpointer  prefix)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget)
         && g_str_has_prefix (gtk_label_get_label (GTK_LABEL (widget)), prefix);
}

/* The banner's text, while it shows. */
static const char *
banner_text (Fixture *fixture)
{
  GtkWidget *label = app_test_find_matching (GTK_WIDGET (fixture->window), is_label_starting, "Offline.");

  return label != NULL ? gtk_label_get_label (GTK_LABEL (label)) : NULL;
}

static void
test_offline_banner (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autofree char *reason = NULL;
  GtkWidget *view;
  SottoMessenger *messenger;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  view = GTK_WIDGET (conversation_view (fixture));
  messenger = sotto_window_get_messenger (fixture->window);
  wait_until (sotto_messenger_get_connection (messenger) == SOTTO_RELAY_CONNECTION_CONNECTED);
  g_assert_null (banner_text (fixture));

  /* The relay dies: the banner says so, in words. */
  test_relay_kill (fixture->relay);
  wait_until (banner_text (fixture) != NULL);
  reason = g_strdup_printf ("The relay at %s cannot be reached.", fixture->relay->base_url);
  g_assert_nonnull (strstr (banner_text (fixture), reason));
  gtk_test_accessible_assert_role (app_test_find_matching (GTK_WIDGET (fixture->window), is_label_starting, "Offline."),
                                   GTK_ACCESSIBLE_ROLE_STATUS);

  /* What Alice writes now waits, and says so rather than spinning. */
  send_from_composer (fixture, "written while offline");
  wait_until (last_message_is (fixture, "written while offline", SOTTO_MESSAGE_STATE_QUEUED));
  wait_until (app_test_find_label (view, WAITING) != NULL);

  /* The relay is back on its port: the banner goes, the message is
   * sent, and nothing says it waits any more. */
  test_relay_restart (fixture->relay);
  wait_until (last_message_is (fixture, "written while offline", SOTTO_MESSAGE_STATE_SENT));
  wait_until (banner_text (fixture) == NULL);
  wait_until (app_test_find_label (view, WAITING) == NULL);

  g_free (run_cli (fixture, "receive", "--timeout", "2", NULL));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add ("/app/offline/banner", Fixture, NULL,
              fixture_set_up, test_offline_banner, fixture_tear_down);

  return g_test_run ();
}
