/* test-window.c: the application starts and shows its main window
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>

#include "app-test-util.h"
#include "page-test-util.h"
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

/* Starts the application on the profile in @directory, as launching it
 * does; non-unique, so that the test never talks to a running Sotto. */
static SottoApplication *
start_app (const char *directory)
{
  g_autoptr(GFile) profile = g_file_new_for_path (directory);
  g_autoptr(GError) error = NULL;
  SottoApplication *app = sotto_application_new (APPLICATION_ID, G_APPLICATION_NON_UNIQUE);

  sotto_application_set_profile (app, profile);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));

  return app;
}

static void
test_window_maps (void)
{
  g_autoptr(SottoApplication) app = NULL;
  g_autofree char *directory = page_test_make_profile ();
  GtkWindow *window;
  GtkWidget *status_page;
  SottoSession *session;

  /* On a new profile of its own. */
  app = start_app (directory);

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
  g_autofree char *directory = page_test_make_profile ();
  g_autofree char *settings_path = g_build_filename (directory, "settings.ini", NULL);
  SottoPreferencesWindow *preferences;
  GtkWidget *receipts;
  GtkWindow *window;
  GtkWindow *resized_window;
  GtkWindow *next_window;
  GSettings *settings;
  int width, height;

  app = start_app (directory);
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

  /* The window's size is kept, for the next window of the profile.  The
   * size is given to a window that is not shown: under X without a window
   * manager, a shown window may still take a late configure event of its
   * old size, which GTK remembers as the user's choice. */
  gtk_window_destroy (window);
  resized_window = GTK_WINDOW (sotto_window_new (app));
  gtk_window_set_default_size (resized_window, 700, 500);
  next_window = GTK_WINDOW (sotto_window_new (app));
  gtk_window_present (next_window);
  wait_for_passphrase_page (next_window);
  gtk_window_get_default_size (next_window, &width, &height);
  g_assert_cmpint (width, ==, 700);
  g_assert_cmpint (height, ==, 500);
  gtk_window_destroy (next_window);
  gtk_window_destroy (resized_window);

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
  g_autofree char *directory = page_test_make_profile ();
  gboolean timed_out = FALSE;

  app = start_app (directory);

  gtk_window_destroy (gtk_application_get_active_window (GTK_APPLICATION (app)));

  /* Long enough for the store to have answered; a window that still
   * showed the answer would ask its (gone) application for the profile,
   * a critical warning and so a failure here. */
  g_timeout_add_seconds (2, timeout_cb, &timed_out);
  while (!timed_out)
    g_main_context_iteration (NULL, TRUE);
}

/* Swallows every call to the connection, so that its callers wait. */
static GDBusMessage *
drop_calls_cb (GDBusConnection *connection,
               GDBusMessage    *message,
               gboolean         incoming,
               gpointer         user_data)
{
  if (incoming && g_dbus_message_get_message_type (message) == G_DBUS_MESSAGE_TYPE_METHOD_CALL)
    {
      g_object_unref (message);
      return NULL;
    }

  return message;
}

/* A keyring that does not answer, as one stuck behind a password prompt
 * can be: the window says what it waits for, and why, instead of
 * "Opening your messages…" for as long as it takes. */
static void
test_window_keyring_silent (void)
{
  g_autoptr(SottoApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *directory = page_test_make_profile ();
  g_autofree char *address = NULL;
  g_autoptr(GDBusConnection) keyring = NULL;
  g_autoptr(GVariant) reply = NULL;
  SottoSession *session;
  GtkWindow *window;
  guint32 owned;

  /* The Secret Service's name on the test's private bus, owned by a
   * connection that never replies. */
  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  keyring = g_dbus_connection_new_for_address_sync (address,
                                                    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
                                                    | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                    NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_add_filter (keyring, drop_calls_cb, NULL, NULL);
  reply = g_dbus_connection_call_sync (keyring, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", "org.freedesktop.secrets", 0),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &owned);
  g_assert_cmpuint (owned, ==, 1);  /* DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER */

  app = start_app (directory);
  window = gtk_application_get_active_window (GTK_APPLICATION (app));

  app_test_wait_until (app_test_find_label (GTK_WIDGET (window), "Opening your messages…") != NULL);
  app_test_wait_until (app_test_find_label (GTK_WIDGET (window), "Waiting for the keyring…") != NULL);
  g_assert_true (gtk_widget_get_mapped (app_test_find_label (GTK_WIDGET (window), "Waiting for the keyring…")));
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (window),
                                         "Sotto keeps the key to your messages in your keyring, which has "
                                         "not answered yet. If your system asks for your password, enter it "
                                         "to unlock the keyring."));

  /* Closed, the window goes; once the keyring is gone too, its caller
   * hears so and the session ends. */
  session = sotto_window_get_session (SOTTO_WINDOW (window));
  g_object_add_weak_pointer (G_OBJECT (session), (gpointer *) &session);
  gtk_window_destroy (window);
  g_assert_true (g_dbus_connection_close_sync (keyring, NULL, &error));
  g_assert_no_error (error);
  app_test_wait_until (session == NULL);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/window/maps", test_window_maps);
  g_test_add_func ("/app/window/profile-settings", test_window_profile_settings);
  g_test_add_func ("/app/window/closed-while-opening", test_window_closed_while_opening);
  g_test_add_func ("/app/window/keyring-silent", test_window_keyring_silent);

  return g_test_run ();
}
