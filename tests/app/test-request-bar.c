/* test-request-bar.c: the bar below a message request
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Bob, whom Alice never wrote to, writes to her over a real sotto-relay:
 * the bar shows itself for that conversation and for no other, hides
 * once Alice accepts, notifies its conversation once per change and is
 * finalized once released.
 */

#include "config.h"

#include "app-test-util.h"
#include "chat-test-util.h"
#include "page-test-util.h"
#include "sotto-messenger.h"
#include "sotto-request-bar.h"

static void
accept_request (SottoSession      *session,
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

static void
test_request_bar_conversation (ChatTest      *test,
                               gconstpointer  data)
{
  g_autoptr(SottoConversation) with_alice = chat_test_open (test->bob, "alice");
  g_autoptr(SottoConversation) request = NULL;
  SottoRequestBar *bar = g_object_ref_sink (g_object_new (SOTTO_TYPE_REQUEST_BAR, NULL));
  GtkWidget *root = GTK_WIDGET (bar);
  g_autoptr(SottoConversation) property = NULL;
  GtkWindow *window;
  guint notified = 0;

  g_signal_connect (bar, "notify::conversation", G_CALLBACK (page_test_count_cb), &notified);
  window = page_test_show (gtk_box_new (GTK_ORIENTATION_VERTICAL, 0));
  gtk_box_append (GTK_BOX (gtk_window_get_child (window)), root);

  /* Without a conversation there is nothing to accept. */
  g_assert_null (sotto_request_bar_get_conversation (bar));
  g_assert_false (gtk_widget_get_visible (root));
  sotto_request_bar_set_conversation (bar, NULL);
  g_assert_cmpuint (notified, ==, 0);

  /* Bob's own conversation with Alice is no request to him. */
  sotto_request_bar_set_conversation (bar, with_alice);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_false (gtk_widget_get_visible (root));

  /* What Bob writes reaches Alice as a request. */
  chat_test_send (test->bob, with_alice, "Hello Alice, it's Bob");
  request = chat_test_receive (test->alice, "bob", "Hello Alice, it's Bob");
  g_object_set (bar, "conversation", request, NULL);
  g_assert_cmpuint (notified, ==, 2);
  g_object_set (bar, "conversation", request, NULL);
  g_assert_cmpuint (notified, ==, 2);
  g_object_get (bar, "conversation", &property, NULL);
  g_assert_true (property == request);
  g_assert_true (gtk_widget_get_visible (root));
  app_test_wait_until (gtk_widget_get_mapped (root));
  g_assert_nonnull (app_test_find_label (root, "bob wants to send you messages"));

  /* The bar follows the contact: accepted, the request is one no more. */
  accept_request (test->alice, request);
  g_assert_false (gtk_widget_get_visible (root));
  g_assert_cmpuint (notified, ==, 2);

  sotto_request_bar_set_conversation (bar, NULL);
  g_assert_cmpuint (notified, ==, 3);
  sotto_request_bar_set_conversation (bar, request);
  g_assert_cmpuint (notified, ==, 4);
  page_test_release (window, bar);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/request-bar/conversation", ChatTest, NULL,
              chat_test_set_up, test_request_bar_conversation, chat_test_tear_down);

  return g_test_run ();
}
