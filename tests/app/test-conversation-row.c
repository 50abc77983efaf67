/* test-conversation-row.c: a row of the conversation list
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice's real conversation with Bob, on a real sotto-relay: the row
 * notifies its conversation once per change, follows what happens in
 * the conversation, and is finalized once released.
 */

#include "config.h"

#include "app-test-util.h"
#include "chat-test-util.h"
#include "page-test-util.h"
#include "sotto-conversation-row.h"

static void
test_conversation_row_conversation (ChatTest      *test,
                                    gconstpointer  data)
{
  g_autoptr(SottoConversation) with_bob = chat_test_open (test->alice, "bob");
  SottoConversationRow *row = g_object_ref_sink (SOTTO_CONVERSATION_ROW (sotto_conversation_row_new ()));
  GtkWidget *root = GTK_WIDGET (row);
  g_autoptr(SottoConversation) property = NULL;
  GtkWindow *window;
  guint notified = 0;

  g_signal_connect (row, "notify::conversation", G_CALLBACK (page_test_count_cb), &notified);
  window = page_test_show (root);

  g_assert_null (sotto_conversation_row_get_conversation (row));
  sotto_conversation_row_set_conversation (row, NULL);
  g_assert_cmpuint (notified, ==, 0);

  sotto_conversation_row_set_conversation (row, with_bob);
  g_assert_true (sotto_conversation_row_get_conversation (row) == with_bob);
  g_assert_cmpuint (notified, ==, 1);
  sotto_conversation_row_set_conversation (row, with_bob);
  g_assert_cmpuint (notified, ==, 1);
  g_object_get (row, "conversation", &property, NULL);
  g_assert_true (property == with_bob);
  g_assert_nonnull (app_test_find_label (root, "bob"));

  /* The row follows the conversation: what Alice sends is its preview. */
  chat_test_send (test->alice, with_bob, "See you then");
  app_test_wait_until (app_test_find_label (root, "See you then") != NULL);
  g_assert_cmpuint (notified, ==, 1);

  g_object_set (row, "conversation", NULL, NULL);
  g_assert_null (sotto_conversation_row_get_conversation (row));
  g_assert_cmpuint (notified, ==, 2);
  g_object_set (row, "conversation", NULL, NULL);
  g_assert_cmpuint (notified, ==, 2);

  /* Shown or not, the row holds nothing that outlives it. */
  sotto_conversation_row_set_conversation (row, with_bob);
  g_assert_cmpuint (notified, ==, 3);
  page_test_release (window, row);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/conversation-row/conversation", ChatTest, NULL,
              chat_test_set_up, test_conversation_row_conversation, chat_test_tear_down);

  return g_test_run ();
}
