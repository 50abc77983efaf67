/* test-preferences-window.c: the profile's preferences
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window changes the settings it is given and follows them when they
 * change elsewhere; once closed it is finalized and keeps no binding
 * that would keep the settings, or itself, alive.
 */

#include "config.h"

#include <adwaita.h>

#include "app-test-util.h"
#include "sotto-preferences-window.h"

static gboolean
is_row_titled (GtkWidget     *widget,
               gconstpointer  title)
{
  return ADW_IS_PREFERENCES_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static void
test_preferences_window_settings (void)
{
  GSettings *settings = g_settings_new ("im.sotto.Sotto");
  SottoPreferencesWindow *preferences = g_object_ref (sotto_preferences_window_new (NULL, settings, NULL));
  GtkWidget *root = GTK_WIDGET (preferences);
  GtkSwitch *receipts;
  GtkWidget *typing_row;
  GtkSwitch *typing;
  AdwComboRow *notifications;
  GtkWidget *relay_row;
  g_autofree char *content = NULL;

  gtk_window_present (GTK_WINDOW (preferences));
  app_test_wait_until (gtk_widget_get_mapped (root));

  /* Before there is an account, no relay is in use. */
  relay_row = app_test_find_matching (root, is_row_titled, "Relay in Use");
  g_assert_nonnull (relay_row);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (relay_row)), ==, "Not registered yet");

  /* The switch and the setting follow each other. */
  receipts = GTK_SWITCH (app_test_find_widget (root, GTK_TYPE_SWITCH));
  g_assert_true (gtk_switch_get_active (receipts));
  gtk_switch_set_active (receipts, FALSE);
  g_assert_false (g_settings_get_boolean (settings, "send-read-receipts"));
  g_settings_set_boolean (settings, "send-read-receipts", TRUE);
  g_assert_true (gtk_switch_get_active (receipts));

  /* Typing indicators have a switch of their own, in the same group. */
  typing_row = app_test_find_matching (root, is_row_titled, "_Typing Indicators");
  g_assert_nonnull (typing_row);
  g_assert_true (gtk_widget_get_parent (typing_row) == gtk_widget_get_parent (gtk_widget_get_ancestor (GTK_WIDGET (receipts), ADW_TYPE_PREFERENCES_ROW)));
  typing = GTK_SWITCH (app_test_find_widget (typing_row, GTK_TYPE_SWITCH));
  g_assert_true (gtk_switch_get_active (typing));
  gtk_switch_set_active (typing, FALSE);
  g_assert_false (g_settings_get_boolean (settings, "typing-indicators"));
  g_assert_true (g_settings_get_boolean (settings, "send-read-receipts"));
  g_settings_set_boolean (settings, "typing-indicators", TRUE);
  g_assert_true (gtk_switch_get_active (typing));

  /* The combo row lists the choices in the schema's order. */
  notifications = ADW_COMBO_ROW (app_test_find_widget (root, ADW_TYPE_COMBO_ROW));
  g_assert_cmpuint (adw_combo_row_get_selected (notifications), ==, 1);
  adw_combo_row_set_selected (notifications, 2);
  content = g_settings_get_string (settings, "notification-content");
  g_assert_cmpstr (content, ==, "nothing");
  g_settings_set_string (settings, "notification-content", "name-and-message");
  g_assert_cmpuint (adw_combo_row_get_selected (notifications), ==, 0);

  gtk_window_destroy (GTK_WINDOW (preferences));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_finalize_object (preferences);
  g_assert_finalize_object (settings);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/app/preferences-window/settings", test_preferences_window_settings);

  return g_test_run ();
}
