/* test-welcome.c: the welcome page against a relay that registers by
 * invitation
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The application in this process, a real sotto-relay started with
 * --registration token:SECRET.  Without the invite token, and with a
 * wrong one, the page says why registration failed and keeps what was
 * typed; with the right one the account is made.
 */

#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "relay-test-util.h"
#include "sotto-application.h"
#include "sotto-store.h"
#include "sotto-window.h"

/* Long enough for a slow CI machine under the sanitizers. */
#define WAIT_TIMEOUT_SECONDS 60

#define TOKEN "an invitation of sixteen bytes or more"

static const char passphrase[] = "correct horse battery staple";

/* Runs the main loop until @condition holds, failing after a timeout. */
#define wait_until(condition) \
  G_STMT_START { \
    gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_SECONDS * G_USEC_PER_SEC; \
    while (!(condition)) \
      { \
        g_assert_cmpint (g_get_monotonic_time (), <, deadline); \
        g_main_context_iteration (NULL, FALSE); \
        g_usleep (1000); \
      } \
  } G_STMT_END

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
  GtkStack *stack = GTK_STACK (adw_toast_overlay_get_child (ADW_TOAST_OVERLAY (overlay)));

  return g_strcmp0 (gtk_stack_get_visible_child_name (stack), name) == 0;
}

/* Registers with @token in the Invite Token row and waits for the
 * answer: back on the welcome page with an error, or on to the chats. */
static void
register_with (SottoWindow *window,
               const char  *token)
{
  GtkWidget *root = GTK_WIDGET (window);

  type_into (root, "Invite Token (Optional)", token);
  g_assert_true (gtk_widget_activate_action (root, "win.register", NULL));
  wait_until (page_is (window, "chats")
              || (page_is (window, "welcome") && shows_text (root, "registration token")));
}

static void
test_welcome_token (void)
{
  g_autofree char *relay_data = test_relay_make_data_dir ();
  g_autofree char *profile_path = g_dir_make_tmp ("sotto-welcome-XXXXXX", NULL);
  g_autoptr(GFile) profile = g_file_new_for_path (profile_path);
  const char *args[] = { "--registration", "token:" TOKEN, NULL };
  g_autoptr(TestRelay) relay = test_relay_start (relay_data, test_relay_relaxed_conf, args);
  g_autoptr(SottoApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  SottoWindow *window;
  GtkWidget *root;

  app = sotto_application_new (APPLICATION_ID, G_APPLICATION_NON_UNIQUE);
  sotto_application_set_profile (app, profile);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
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
  type_into (root, "Relay Address", relay->base_url);
  type_into (root, "Username", "alice");

  register_with (window, "");
  g_assert_true (page_is (window, "welcome"));
  register_with (window, TOKEN "!");
  g_assert_true (page_is (window, "welcome"));
  g_assert_cmpstr (gtk_editable_get_text (find_row (root, "Username")), ==, "alice");

  register_with (window, TOKEN);
  g_assert_true (page_is (window, "chats"));

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (relay_data);
  for (const char *const *name = (const char *const[]) { "sotto.db", "sotto.db-wal", "sotto.db-shm", NULL };
       *name != NULL; name++)
    {
      g_autofree char *path = g_build_filename (profile_path, *name, NULL);

      g_remove (path);
    }
  g_rmdir (profile_path);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/welcome/token", test_welcome_token);

  return g_test_run ();
}
