/* test-accessibility.c: the app as a screen reader and a keyboard meet it
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice is the application in this process, Bob is sotto-cli, a real
 * relay runs between them (conversation-fixture.c).  GTK's test
 * accessibility backend (GTK_A11Y=test) keeps the accessible tree that
 * AT-SPI would publish: each case checks the names, descriptions, roles
 * and relations a screen reader reads, and where the keyboard focus
 * goes.
 */

#include "config.h"

#include <adwaita.h>

#include "app-test-util.h"
#include "conversation-fixture.h"
#include "sotto-conversation-row.h"
#include "sotto-message-row.h"

static gboolean
is_message_row_of (GtkWidget     *widget,
                   gconstpointer  body)
{
  SottoMessage *message;

  if (!SOTTO_IS_MESSAGE_ROW (widget) || !gtk_widget_get_mapped (widget))
    return FALSE;
  message = sotto_message_row_get_message (SOTTO_MESSAGE_ROW (widget));
  return message != NULL && sotto_message_get_loaded (message)
         && g_strcmp0 (sotto_message_get_body (message), body) == 0;
}

static GtkWidget *
find_message_row (Fixture    *fixture,
                  const char *body)
{
  return app_test_find_matching (GTK_WIDGET (conversation_view (fixture)), is_message_row_of, body);
}

static char *
format_message_time (SottoMessage *message)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (sotto_message_get_sent_at (message) / 1000);

  return g_date_time_format (time, "%H:%M");
}

/* Conversation rows and message rows each say, as one label, what a
 * person reads off them, and the keyboard focus lands on them. */
static void
test_accessibility_rows (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autofree char *row_label = NULL;
  g_autofree char *mine_label = NULL;
  g_autofree char *theirs_label = NULL;
  g_autofree char *time = NULL;
  SottoConversation *conversation;
  GtkWidget *list;
  GtkWidget *row;
  GtkWidget *mine;
  GtkWidget *theirs;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  conversation = open_conversation (fixture);
  send_from_composer (fixture, "Welcome!");
  wait_until (last_message_is (fixture, "Welcome!", SOTTO_MESSAGE_STATE_SENT));
  g_free (run_cli (fixture, "send", "alice", "See you then", NULL));
  wait_until ((theirs = find_message_row (fixture, "See you then")) != NULL);
  mine = find_message_row (fixture, "Welcome!");
  g_assert_nonnull (mine);

  time = format_message_time (sotto_message_row_get_message (SOTTO_MESSAGE_ROW (mine)));
  mine_label = g_strdup_printf ("You, %s: Welcome!", time);
  gtk_test_accessible_assert_property (mine, GTK_ACCESSIBLE_PROPERTY_LABEL, mine_label);
  g_clear_pointer (&time, g_free);
  time = format_message_time (sotto_message_row_get_message (SOTTO_MESSAGE_ROW (theirs)));
  theirs_label = g_strdup_printf ("bob, %s: See you then", time);
  gtk_test_accessible_assert_property (theirs, GTK_ACCESSIBLE_PROPERTY_LABEL, theirs_label);

  /* Bob's row in the list, as the list shows it: with the unread count
   * while Alice's window is not the active one. */
  row = app_test_find_widget (GTK_WIDGET (fixture->window), SOTTO_TYPE_CONVERSATION_ROW);
  g_assert_nonnull (row);
  list = gtk_widget_get_ancestor (row, GTK_TYPE_LIST_VIEW);
  g_clear_pointer (&time, g_free);
  time = sotto_format_time (sotto_conversation_get_last_activity (conversation), g_get_real_time () / 1000);
  wait_until (sotto_conversation_get_unread_count (conversation) == 1);
  row_label = g_strdup_printf ("bob, 1 unread, last message: See you then, %s", time);
  gtk_test_accessible_assert_property (row, GTK_ACCESSIBLE_PROPERTY_LABEL, row_label);

  /* The keyboard reaches the named row, not a nameless item around it. */
  g_assert_true (gtk_widget_child_focus (list, GTK_DIR_TAB_FORWARD));
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (fixture->window)) == row);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add ("/app/accessibility/rows", Fixture, NULL,
              fixture_set_up, test_accessibility_rows, fixture_tear_down);

  return g_test_run ();
}
