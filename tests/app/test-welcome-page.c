/* test-welcome-page.c: the page that registers a new profile's account
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A real session against a real sotto-relay: the page refuses what
 * cannot work before it asks the relay, says in words why a relay could
 * not register the account, and registers it with one that can.
 */

#include "config.h"

#include <string.h>

#include "app-test-util.h"
#include "page-test-util.h"
#include "relay-test-util.h"
#include "sotto-account.h"
#include "sotto-welcome-page.h"

typedef struct
{
  guint session;
  guint activity;
} Notifies;

static gboolean
is_label_containing (GtkWidget     *widget,
                     gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget)
         && strstr (gtk_label_get_label (GTK_LABEL (widget)), text) != NULL;
}

static gboolean
shows_text (GtkWidget  *root,
            const char *text)
{
  return app_test_find_matching (root, is_label_containing, text) != NULL;
}

static gboolean
is_register_button (GtkWidget     *widget,
                    gconstpointer  data)
{
  return GTK_IS_BUTTON (widget)
         && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), "welcome.register") == 0;
}

/* Whether @below starts under the bottom of @above, in @root. */
static gboolean
is_under (GtkWidget *root,
          GtkWidget *below,
          GtkWidget *above)
{
  graphene_rect_t below_bounds;
  graphene_rect_t above_bounds;

  g_assert_true (gtk_widget_compute_bounds (below, root, &below_bounds));
  g_assert_true (gtk_widget_compute_bounds (above, root, &above_bounds));

  return below_bounds.origin.y >= above_bounds.origin.y + above_bounds.size.height;
}

/* Registers with what the rows hold, and waits for the verdict. */
static void
register_account (SottoWelcomePage *page,
                  const char       *expected_activity)
{
  gtk_widget_activate_action (GTK_WIDGET (page), "welcome.register", NULL);
  g_assert_cmpstr (sotto_session_page_get_activity (SOTTO_SESSION_PAGE (page)), ==, expected_activity);
  app_test_wait_until (sotto_session_page_get_activity (SOTTO_SESSION_PAGE (page)) == NULL);
}

static void
test_welcome_page_register (void)
{
  g_autofree char *relay_data = test_relay_make_data_dir ();
  g_autoptr(TestRelay) relay = test_relay_start (relay_data, test_relay_relaxed_conf, NULL);
  g_autofree char *profile = page_test_make_profile ();
  g_autofree char *doing = NULL;
  SottoSession *session = page_test_session_new (profile);
  SottoWelcomePage *page = g_object_ref_sink (g_object_new (SOTTO_TYPE_WELCOME_PAGE, NULL));
  GtkWidget *root = GTK_WIDGET (page);
  GtkWindow *window;
  Notifies notifies = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_true (page_test_unlock (session, PAGE_TEST_PASSPHRASE, &error));
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_UNREGISTERED);

  g_signal_connect (page, "notify::session", G_CALLBACK (page_test_count_cb), &notifies.session);
  g_signal_connect (page, "notify::activity", G_CALLBACK (page_test_count_cb), &notifies.activity);
  window = page_test_show (root);

  sotto_session_page_set_session (SOTTO_SESSION_PAGE (page), session);
  sotto_session_page_set_session (SOTTO_SESSION_PAGE (page), session);
  g_assert_cmpuint (notifies.session, ==, 1);

  /* A relay started beside the app fills in its address. */
  g_setenv ("SOTTO_DEFAULT_RELAY", "http://127.0.0.1:1", TRUE);
  sotto_welcome_page_present (page);
  g_unsetenv ("SOTTO_DEFAULT_RELAY");
  g_assert_cmpstr (gtk_editable_get_text (page_test_find_row (root, "Relay Address")), ==, "http://127.0.0.1:1");

  /* Without a username nothing starts. */
  register_account (page, NULL);
  g_assert_cmpuint (notifies.activity, ==, 0);

  /* A username the relay would refuse is refused here, at once. */
  page_test_set_row_text (root, "Username", "No Such Name!");
  register_account (page, NULL);
  g_assert_cmpuint (notifies.activity, ==, 0);
  g_assert_true (shows_text (root, "A username has no spaces or capital letters."));

  /* A relay that is not there: the page says so in words, and keeps
   * what was typed. */
  page_test_set_row_text (root, "Username", "alice");
  g_assert_false (shows_text (root, "A username"));
  register_account (page, "Creating the account alice on http://127.0.0.1:1…");
  g_assert_cmpuint (notifies.activity, ==, 2);
  g_assert_true (shows_text (root, "Sotto could not reach the relay at http://127.0.0.1:1."));
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_UNREGISTERED);
  g_assert_cmpstr (gtk_editable_get_text (page_test_find_row (root, "Username")), ==, "alice");

  /* A file that cannot be read is no certificate authority. */
  gtk_widget_activate_action (root, "welcome.set-relay-ca", "s", "/nonexistent/ca.pem");
  g_assert_true (shows_text (root, "Cannot read the certificate authority"));

  /* The real relay makes the account; the session has it. */
  page_test_set_row_text (root, "Relay Address", relay->base_url);
  page_test_set_row_text (root, "Invite Token (Optional)", "not needed here");
  doing = g_strdup_printf ("Creating the account alice on %s…", relay->base_url);
  register_account (page, doing);
  g_assert_cmpuint (notifies.activity, ==, 4);
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_OFFLINE);
  g_assert_cmpstr (sotto_account_get_username (sotto_messenger_get_account (sotto_session_get_messenger (session))),
                   ==, "alice");
  g_assert_cmpstr (gtk_editable_get_text (page_test_find_row (root, "Invite Token (Optional)")), ==, "");

  page_test_finish (window, root, session, profile);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (relay_data);
}

/* A username the relay would refuse (docs/relay-api.md, bad-username)
 * never gets as far as Register: the button stays off, and the line
 * right under the field says what to fix; at once for a character no
 * username has, after a pause, or at Enter, for one still being typed. */
static void
test_welcome_page_username_rule (void)
{
  SottoWelcomePage *page = g_object_ref_sink (g_object_new (SOTTO_TYPE_WELCOME_PAGE, NULL));
  GtkWidget *root = GTK_WIDGET (page);
  GtkWindow *window = page_test_show (root);
  GtkWidget *username_row = GTK_WIDGET (page_test_find_row (root, "Username"));
  GtkWidget *register_button = app_test_find_matching (root, is_register_button, NULL);
  GtkWidget *problem;

  g_assert_nonnull (register_button);
  page_test_set_row_text (root, "Relay Address", "http://127.0.0.1:1");

  page_test_set_row_text (root, "Username", "Al ice");
  g_assert_false (gtk_widget_is_sensitive (register_button));
  problem = app_test_find_matching (root, is_label_containing, "A username has no spaces or capital letters.");
  g_assert_nonnull (problem);
  app_test_wait_for_paint (root);
  g_assert_true (is_under (root, problem, username_row));
  g_assert_true (is_under (root, GTK_WIDGET (page_test_find_row (root, "Relay Address")), problem));

  /* Too short may be on its way to a good one: Enter tells at once. */
  page_test_set_row_text (root, "Username", "al");
  g_assert_false (gtk_widget_is_sensitive (register_button));
  g_assert_false (shows_text (root, "A username"));
  g_signal_emit_by_name (username_row, "entry-activated");
  g_assert_true (shows_text (root, "A username has at least 3 characters."));

  page_test_set_row_text (root, "Username", "alice");
  g_assert_true (gtk_widget_is_sensitive (register_button));
  g_assert_false (shows_text (root, "A username"));

  page_test_release (window, page);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/app/welcome-page/register", test_welcome_page_register);
  g_test_add_func ("/app/welcome-page/username-rule", test_welcome_page_username_rule);

  return g_test_run ();
}
