/* test-chats-page.c: the page of a registered account
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A real session registered on a real sotto-relay: the page shows the
 * session's account once it has one, the profile's settings reach its
 * messenger, and a banner says when the relay is out of reach.
 */

#include "config.h"

#include "app-test-util.h"
#include "page-test-util.h"
#include "relay-test-util.h"
#include "sotto-chats-page.h"

static gboolean
is_list_title (GtkWidget     *widget,
               gconstpointer  data)
{
  return ADW_IS_WINDOW_TITLE (widget)
         && g_strcmp0 (adw_window_title_get_title (ADW_WINDOW_TITLE (widget)), "Sotto") == 0;
}

static gboolean
is_revealer (GtkWidget     *widget,
             gconstpointer  data)
{
  return GTK_IS_REVEALER (widget);
}

/* The username under the list's title. */
static const char *
account_shown (GtkWidget *root)
{
  GtkWidget *title = app_test_find_matching (root, is_list_title, NULL);

  g_assert_nonnull (title);

  return adw_window_title_get_subtitle (ADW_WINDOW_TITLE (title));
}

static void
test_chats_page_account (void)
{
  g_autofree char *relay_data = test_relay_make_data_dir ();
  g_autoptr(TestRelay) relay = test_relay_start (relay_data, test_relay_relaxed_conf, NULL);
  g_autofree char *profile = page_test_make_profile ();
  g_autoptr(GSettings) settings = g_settings_new ("im.sotto.Sotto");
  SottoSession *session = page_test_session_new (profile);
  SottoChatsPage *page = g_object_ref_sink (SOTTO_CHATS_PAGE (sotto_chats_page_new (settings)));
  GtkWidget *root = GTK_WIDGET (page);
  GtkWindow *window;
  g_autoptr(GError) error = NULL;
  SottoMessenger *messenger;
  guint session_notifies = 0;
  gboolean send_read_receipts;
  GtkRevealer *banner;

  g_signal_connect (page, "notify::session", G_CALLBACK (page_test_count_cb), &session_notifies);
  window = page_test_show (root);

  /* A page whose session has no account yet shows none. */
  g_assert_true (page_test_unlock (session, PAGE_TEST_PASSPHRASE, &error));
  sotto_chats_page_set_session (page, session);
  sotto_chats_page_set_session (page, session);
  g_assert_true (sotto_chats_page_get_session (page) == session);
  g_assert_cmpuint (session_notifies, ==, 1);
  g_assert_cmpstr (account_shown (root), ==, "");
  g_assert_false (sotto_chats_page_open_conversation (page, "8f0c3d6e-5b8f-4a43-9d36-7b1c5a3d0e11"));

  /* Once registered, the account is the page's. */
  page_test_register (session, relay->base_url, "carol");
  messenger = sotto_session_get_messenger (session);
  g_assert_cmpstr (account_shown (root), ==, "carol");
  g_assert_nonnull (app_test_find_label (root, "No conversations yet"));
  g_assert_false (sotto_chats_page_open_conversation (page, "8f0c3d6e-5b8f-4a43-9d36-7b1c5a3d0e11"));

  /* The profile's settings reach the messenger. */
  g_settings_set_boolean (settings, "send-read-receipts", FALSE);
  g_object_get (messenger, "send-read-receipts", &send_read_receipts, NULL);
  g_assert_false (send_read_receipts);
  g_settings_set_boolean (settings, "send-read-receipts", TRUE);
  g_object_get (messenger, "send-read-receipts", &send_read_receipts, NULL);
  g_assert_true (send_read_receipts);

  /* Online, the banner stays hidden; with the relay gone it shows, and
   * it goes once the relay is back. */
  banner = GTK_REVEALER (app_test_find_matching (root, is_revealer, NULL));
  sotto_session_connect_async (session, NULL, NULL, NULL);
  app_test_wait_until (sotto_session_get_state (session) == SOTTO_SESSION_STATE_ONLINE);
  g_assert_false (gtk_revealer_get_reveal_child (banner));
  test_relay_kill (relay);
  app_test_wait_until (gtk_revealer_get_reveal_child (banner));
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_OFFLINE);
  test_relay_restart (relay);
  app_test_wait_until (!gtk_revealer_get_reveal_child (banner));
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_ONLINE);

  page_test_finish (window, root, session, profile);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (relay_data);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/app/chats-page/account", test_chats_page_account);

  return g_test_run ();
}
