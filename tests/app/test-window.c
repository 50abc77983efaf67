/* test-window.c: the application starts and shows its main window
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>

#include "app-test-util.h"
#include "sotto-application.h"
#include "sotto-preferences-window.h"
#include "sotto-window.h"

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_window_maps (void)
{
  g_autoptr(SottoApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  GtkWindow *window;
  GtkWidget *status_page;
  SottoSession *session;

  g_autofree char *directory = g_dir_make_tmp ("sotto-window-XXXXXX", NULL);
  g_autoptr(GFile) profile = g_file_new_for_path (directory);

  /* Non-unique so that the test never talks to a running Sotto, and on a
   * new profile of its own. */
  app = sotto_application_new (APPLICATION_ID, G_APPLICATION_NON_UNIQUE);
  sotto_application_set_profile (app, profile);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);

  g_application_activate (G_APPLICATION (app));

  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (SOTTO_IS_WINDOW (window));

  app_test_wait_until (gtk_widget_get_mapped (GTK_WIDGET (window)));

  g_assert_cmpstr (gtk_window_get_title (window), ==, "Sotto");
  /* Settings bound to the window must never leave it unusable. */
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (window)));

  /* A new profile on a desktop without keyring starts by asking for the
   * passphrase that will protect the messages. */
  app_test_wait_until ((status_page = app_test_find_widget (GTK_WIDGET (window), ADW_TYPE_STATUS_PAGE)) != NULL);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status_page)), ==,
                   "Protect Your Messages");

  /* Closed, the window is finalized, and its session once the store
   * has closed on its thread. */
  session = sotto_window_get_session (SOTTO_WINDOW (window));
  g_object_add_weak_pointer (G_OBJECT (session), (gpointer *) &session);
  g_object_ref (window);
  gtk_window_destroy (window);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (window);
  app_test_wait_until (session == NULL);
}

/* Waits until @window has opened its profile's store, which for a new
 * profile asks for a passphrase. */
static void
wait_for_passphrase_page (GtkWindow *window)
{
  app_test_wait_until (app_test_find_widget (GTK_WIDGET (window), ADW_TYPE_STATUS_PAGE) != NULL);
}

/* With --profile, as the README runs the app, the settings live in the
 * profile: Preferences can change them, the window's size is kept, and
 * both are in the profile's file for the next start. */
static void
test_window_profile_settings (void)
{
  g_autoptr(SottoApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GKeyFile) saved = g_key_file_new ();
  g_autofree char *directory = g_dir_make_tmp ("sotto-window-XXXXXX", NULL);
  g_autofree char *settings_path = g_build_filename (directory, "settings.ini", NULL);
  g_autoptr(GFile) profile = g_file_new_for_path (directory);
  SottoPreferencesWindow *preferences;
  GtkWidget *receipts;
  GtkWindow *window;
  GtkWindow *next_window;
  GSettings *settings;
  int width, height;

  app = sotto_application_new (APPLICATION_ID, G_APPLICATION_NON_UNIQUE);
  sotto_application_set_profile (app, profile);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  wait_for_passphrase_page (window);
  settings = sotto_application_get_settings (app);

  /* Preferences can be changed. */
  preferences = sotto_preferences_window_new (window, settings, NULL);
  gtk_window_present (GTK_WINDOW (preferences));
  app_test_wait_until ((receipts = app_test_find_widget (GTK_WIDGET (preferences), GTK_TYPE_SWITCH)) != NULL);
  g_assert_true (gtk_widget_is_sensitive (receipts));
  gtk_switch_set_active (GTK_SWITCH (receipts), FALSE);
  g_assert_false (g_settings_get_boolean (settings, "send-read-receipts"));
  gtk_window_destroy (GTK_WINDOW (preferences));

  /* The window's size is kept, for the next window of the profile. */
  gtk_window_set_default_size (window, 700, 500);
  next_window = GTK_WINDOW (sotto_window_new (app));
  gtk_window_present (next_window);
  wait_for_passphrase_page (next_window);
  gtk_window_get_default_size (next_window, &width, &height);
  g_assert_cmpint (width, ==, 700);
  g_assert_cmpint (height, ==, 500);
  gtk_window_destroy (next_window);
  gtk_window_destroy (window);

  /* And all of it is in the profile, for the next start. */
  g_assert_true (g_key_file_load_from_file (saved, settings_path, G_KEY_FILE_NONE, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_key_file_get_integer (saved, "Sotto", "window-width", NULL), ==, 700);
  g_assert_cmpint (g_key_file_get_integer (saved, "Sotto", "window-height", NULL), ==, 500);
  g_assert_false (g_key_file_get_boolean (saved, "Sotto", "send-read-receipts", NULL));

  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* A window closed while it still opens its profile's store says nothing
 * more: what it started is cancelled with it. */
static void
test_window_closed_while_opening (void)
{
  g_autoptr(SottoApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *directory = g_dir_make_tmp ("sotto-window-XXXXXX", NULL);
  g_autoptr(GFile) profile = g_file_new_for_path (directory);
  gboolean timed_out = FALSE;

  app = sotto_application_new (APPLICATION_ID, G_APPLICATION_NON_UNIQUE);
  sotto_application_set_profile (app, profile);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));

  gtk_window_destroy (gtk_application_get_active_window (GTK_APPLICATION (app)));

  /* Long enough for the store to have answered; a window that still
   * showed the answer would ask its (gone) application for the profile,
   * a critical warning and so a failure here. */
  g_timeout_add_seconds (2, timeout_cb, &timed_out);
  while (!timed_out)
    g_main_context_iteration (NULL, TRUE);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/window/maps", test_window_maps);
  g_test_add_func ("/app/window/profile-settings", test_window_profile_settings);
  g_test_add_func ("/app/window/closed-while-opening", test_window_closed_while_opening);

  return g_test_run ();
}
