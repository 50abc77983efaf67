/* test-window.c: the application starts and shows its main window
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>

#include "sotto-application.h"
#include "sotto-window.h"

/* Long enough for a slow CI machine under the sanitizers, short enough
 * that a window that never maps fails the test instead of hanging it. */
#define MAP_TIMEOUT_SECONDS 30

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static GtkWidget *
find_mapped_status_page (GtkWidget *widget)
{
  if (ADW_IS_STATUS_PAGE (widget) && gtk_widget_get_mapped (widget))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_mapped_status_page (child);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static void
test_window_maps (void)
{
  g_autoptr(SottoApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  gboolean timed_out = FALSE;
  GtkWindow *window;
  GtkWidget *status_page;
  guint timeout_id;

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

  timeout_id = g_timeout_add_seconds (MAP_TIMEOUT_SECONDS, timeout_cb, &timed_out);
  while (!gtk_widget_get_mapped (GTK_WIDGET (window)) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (timeout_id);

  g_assert_cmpstr (gtk_window_get_title (window), ==, "Sotto");
  /* Settings bound to the window must never leave it unusable. */
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (window)));

  /* A new profile on a desktop without keyring starts by asking for the
   * passphrase that will protect the messages. */
  timeout_id = g_timeout_add_seconds (MAP_TIMEOUT_SECONDS, timeout_cb, &timed_out);
  while ((status_page = find_mapped_status_page (GTK_WIDGET (window))) == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (timeout_id);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status_page)), ==,
                   "Protect Your Messages");

  gtk_window_destroy (window);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/window/maps", test_window_maps);

  return g_test_run ();
}
