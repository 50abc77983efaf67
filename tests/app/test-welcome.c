/* test-welcome.c: the welcome page against a relay that registers by
 * invitation, and against one with a private CA
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The application in this process, a real sotto-relay started with
 * --registration token:SECRET.  Without the invite token, and with a
 * wrong one, the page says why registration failed and keeps what was
 * typed; with the right one the account is made.  Then a real relay
 * serving TLS with a chain the openssl tool made for the test: without
 * its CA, or with a file that is not one, registration fails and says
 * so; with the CA set through the action the file chooser calls, the
 * account is made.
 */

#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "app-test-util.h"
#include "page-test-util.h"
#include "relay-test-util.h"
#include "sotto-application.h"
#include "sotto-store.h"
#include "sotto-window.h"

#define TOKEN "an invitation of sixteen bytes or more"

static const char passphrase[] = "correct horse battery staple";

#define wait_until(condition) app_test_wait_until (condition)

/* The mapped entry row titled @title below @root, or NULL. */
static GtkEditable *
find_row (GtkWidget  *root,
          const char *title)
{
  if (ADW_IS_PREFERENCES_ROW (root) && GTK_IS_EDITABLE (root) && gtk_widget_get_mapped (root)
      && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (root)), title) == 0)
    return GTK_EDITABLE (root);

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkEditable *found = find_row (child, title);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static void
type_into (GtkWidget  *root,
           const char *title,
           const char *text)
{
  GtkEditable *row = find_row (root, title);

  g_assert_nonnull (row);
  gtk_editable_set_text (row, text);
}

/* Whether a mapped label below @root shows text that contains @text. */
static gboolean
shows_text (GtkWidget  *root,
            const char *text)
{
  if (GTK_IS_LABEL (root) && gtk_widget_get_mapped (root)
      && strstr (gtk_label_get_label (GTK_LABEL (root)), text) != NULL)
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      if (shows_text (child, text))
        return TRUE;
    }

  return FALSE;
}

static gboolean
page_is (SottoWindow *window,
         const char  *name)
{
  GtkWidget *overlay = adw_application_window_get_content (ADW_APPLICATION_WINDOW (window));
  /* The pages, below the window's banner. */
  GtkWidget *content = adw_toast_overlay_get_child (ADW_TOAST_OVERLAY (overlay));
  GtkStack *stack = GTK_STACK (gtk_widget_get_last_child (content));

  return g_strcmp0 (gtk_stack_get_visible_child_name (stack), name) == 0;
}

/* Registers and waits for the answer: back on the welcome page with
 * an error that contains @expected_error, or, if that is %NULL, on to
 * the chats. */
static void
register_expecting (SottoWindow *window,
                    const char  *expected_error)
{
  GtkWidget *root = GTK_WIDGET (window);

  g_assert_true (gtk_widget_activate_action (root, "win.register", NULL));
  g_assert_true (page_is (window, "loading"));
  wait_until (!page_is (window, "loading"));

  if (expected_error == NULL)
    {
      g_assert_true (page_is (window, "chats"));
      return;
    }

  g_assert_true (page_is (window, "welcome"));
  g_assert_true (shows_text (root, expected_error));
}

/* Registers with @token in the Invite Token row. */
static void
register_with (SottoWindow *window,
               const char  *token,
               const char  *expected_error)
{
  type_into (GTK_WIDGET (window), "Invite Token (Optional)", token);
  register_expecting (window, expected_error);
}

/* The application on a fresh profile at @profile_path, its window on
 * the welcome page with @relay_url and the username alice typed in. */
static SottoApplication *
start_on_welcome (const char   *profile_path,
                  const char   *relay_url,
                  SottoWindow **window_out)
{
  g_autoptr(GFile) profile = g_file_new_for_path (profile_path);
  g_autoptr(SottoApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  SottoWindow *window;
  GtkWidget *root;

  app = sotto_application_new (APPLICATION_ID, G_APPLICATION_NON_UNIQUE);
  sotto_application_set_profile (app, profile);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));

  window = SOTTO_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_true (SOTTO_IS_WINDOW (window));
  root = GTK_WIDGET (window);
  wait_until (gtk_widget_get_mapped (root));

  /* No keyring in the test session: a passphrase first. */
  wait_until (page_is (window, "passphrase"));
  type_into (root, "Passphrase", passphrase);
  type_into (root, "Confirm Passphrase", passphrase);
  g_assert_true (gtk_widget_activate_action (root, "win.unlock", NULL));

  wait_until (page_is (window, "welcome"));
  type_into (root, "Relay Address", relay_url);
  type_into (root, "Username", "alice");

  *window_out = window;
  return g_steal_pointer (&app);
}

static void
close_and_remove_profile (SottoWindow *window,
                          const char  *profile_path)
{
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  page_test_remove_profile (profile_path);
}

static gboolean
is_register_button (GtkWidget     *widget,
                    gconstpointer  data)
{
  return GTK_IS_BUTTON (widget) && gtk_widget_get_mapped (widget)
         && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), "welcome.register") == 0;
}

/* Whether all of @widget is in sight in the scrolled window it is in. */
static gboolean
in_sight (GtkWidget *widget)
{
  GtkWidget *scroller = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  graphene_rect_t bounds;

  g_assert_nonnull (scroller);
  g_assert_true (gtk_widget_compute_bounds (widget, scroller, &bounds));

  return bounds.origin.y >= 0 && bounds.origin.y + bounds.size.height <= gtk_widget_get_height (scroller);
}

static void
welcome_token (void)
{
  g_autofree char *relay_data = test_relay_make_data_dir ();
  g_autofree char *profile_path = page_test_make_profile ();
  const char *args[] = { "--registration", "token:" TOKEN, NULL };
  g_autoptr(TestRelay) relay = test_relay_start (relay_data, test_relay_relaxed_conf, args);
  g_autoptr(SottoApplication) app = NULL;
  SottoWindow *window = NULL;
  GtkWidget *root;

  app = start_on_welcome (profile_path, relay->base_url, &window);
  root = GTK_WIDGET (window);

  /* In a window of the default size, 900 by 640, Register comes in
   * sight without scrolling once the page is laid out. */
  g_assert_cmpint (gtk_widget_get_width (root), <=, 900);
  g_assert_cmpint (gtk_widget_get_height (root), <=, 640);
  wait_until (in_sight (app_test_find_matching (root, is_register_button, NULL)));

  register_with (window, "", "valid registration token");
  register_with (window, TOKEN "!", "valid registration token");
  g_assert_cmpstr (gtk_editable_get_text (find_row (root, "Username")), ==, "alice");

  register_with (window, TOKEN, NULL);

  close_and_remove_profile (window, profile_path);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (relay_data);
}

/* The subtitle of the mapped action row titled @title below @root, or
 * NULL if there is no such row. */
static const char *
row_subtitle (GtkWidget  *root,
              const char *title)
{
  if (ADW_IS_ACTION_ROW (root) && gtk_widget_get_mapped (root)
      && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (root)), title) == 0)
    return adw_action_row_get_subtitle (ADW_ACTION_ROW (root));

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      const char *found = row_subtitle (child, title);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static void
set_relay_ca (SottoWindow *window,
              const char  *path)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.set-relay-ca", "s", path));
}

static void
welcome_relay_ca (void)
{
  g_autoptr(TestTls) tls = test_tls_new ();
  g_autofree char *relay_data = test_relay_make_data_dir ();
  g_autofree char *profile_path = page_test_make_profile ();
  g_autoptr(TestRelay) relay = test_relay_start_tls (relay_data, test_relay_relaxed_conf, tls);
  g_autofree char *not_a_ca = g_build_filename (tls->dir, "not-a-ca.pem", NULL);
  g_autofree char *missing = g_build_filename (tls->dir, "missing.pem", NULL);
  g_autofree char *root_name = g_path_get_basename (tls->root);
  g_autoptr(SottoApplication) app = NULL;
  SottoWindow *window = NULL;
  GtkWidget *root;

  g_assert_true (relay->tls);
  app = start_on_welcome (profile_path, relay->base_url, &window);
  root = GTK_WIDGET (window);
  g_assert_cmpstr (row_subtitle (root, "Relay Certificate Authority (Optional)"), ==, "");

  /* Without the CA, the relay's chain is not trusted. */
  register_expecting (window, "could not reach the relay");

  /* A file that cannot be read says so at once and sets nothing. */
  set_relay_ca (window, missing);
  g_assert_true (shows_text (root, "Cannot read the certificate authority"));
  g_assert_cmpstr (row_subtitle (root, "Relay Certificate Authority (Optional)"), ==, "");

  /* A file without certificates is refused by the engine. */
  g_assert_true (g_file_set_contents (not_a_ca, "not a certificate\n", -1, NULL));
  set_relay_ca (window, not_a_ca);
  g_assert_cmpstr (row_subtitle (root, "Relay Certificate Authority (Optional)"), ==, "not-a-ca.pem");
  register_expecting (window, "not a PEM certificate");
  g_assert_cmpstr (gtk_editable_get_text (find_row (root, "Username")), ==, "alice");

  g_assert_true (gtk_widget_activate_action (root, "win.clear-relay-ca", NULL));
  g_assert_cmpstr (row_subtitle (root, "Relay Certificate Authority (Optional)"), ==, "");

  set_relay_ca (window, tls->root);
  g_assert_cmpstr (row_subtitle (root, "Relay Certificate Authority (Optional)"), ==, root_name);
  register_expecting (window, NULL);

  close_and_remove_profile (window, profile_path);
  g_remove (not_a_ca);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (relay_data);
}

/* Runs @body in a process of its own: after a failed registration the
 * application stays referenced, and so exported on the bus at the path
 * where the next test's application would have to be. */
static void
run_isolated (void (*body) (void))
{
  if (g_test_subprocess ())
    {
      body ();
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_welcome_token (void)
{
  run_isolated (welcome_token);
}

static void
test_welcome_relay_ca (void)
{
  run_isolated (welcome_relay_ca);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/welcome/token", test_welcome_token);
  g_test_add_func ("/app/welcome/relay-ca", test_welcome_relay_ca);

  return g_test_run ();
}
