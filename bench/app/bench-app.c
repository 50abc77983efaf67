/* bench-app.c: start-up and a conversation with 100,000 messages
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs the real application in this process on a profile holding one
 * conversation with N messages (100,000 by default) and measures what a
 * person waits for: from launch to the first frame of the main window;
 * from the passphrase to the conversation list; and from choosing the
 * conversation to the first frame with its newest message on screen, the
 * first time and again, in wall time and in CPU time of the main thread
 * (the figure a busy, shared machine distorts least).  Resident memory is
 * read from /proc/self/status.  run.sh runs it under Xvfb on a private
 * session bus, so the app takes the passphrase path.
 *
 * Usage: bench-app [N_MESSAGES]
 */

#include "config.h"

#include <stdlib.h>

#include <adwaita.h>

#include "sp-init.h"

#include "sotto-application.h"
#include "sotto-conversation-view.h"
#include "sotto-message-row.h"
#include "sotto-search-results.h"
#include "sotto-window.h"

#include "bench-profile.h"

static gboolean painted;
static double search_started;
static double search_started_cpu;

static gboolean
search_changed_hook (GSignalInvocationHint *hint,
                     guint                  n_values,
                     const GValue          *values,
                     gpointer               user_data)
{
  search_started = bench_now_ms ();
  search_started_cpu = bench_process_cpu_ms ();

  return TRUE;
}

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       user_data)
{
  painted = TRUE;
}

/* Runs the main loop until @condition holds and then until one more
 * frame has been painted, so that what is measured is on screen. */
#define run_until_painted(window, condition) \
  G_STMT_START { \
    while (!(condition)) \
      g_main_context_iteration (NULL, TRUE); \
    painted = FALSE; \
    gtk_widget_queue_draw (GTK_WIDGET (window)); \
    while (!painted) \
      g_main_context_iteration (NULL, TRUE); \
  } G_STMT_END

static GtkWidget *
find_widget (GtkWidget *root,
             GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type) && gtk_widget_get_mapped (root))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* Whether a mapped row below @root shows @message, loaded. */
static gboolean
message_shown (GtkWidget    *root,
               SottoMessage *message)
{
  if (!sotto_message_get_loaded (message))
    return FALSE;

  if (SOTTO_IS_MESSAGE_ROW (root) && gtk_widget_get_mapped (root)
      && sotto_message_row_get_message (SOTTO_MESSAGE_ROW (root)) == message)
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      if (message_shown (child, message))
        return TRUE;
    }

  return FALSE;
}

/* Whether a row shows the newest message of the conversation in @view. */
static gboolean
newest_message_shown (GtkWidget             *root,
                      SottoConversationView *view)
{
  GListModel *messages = sotto_conversation_get_messages (sotto_conversation_view_get_conversation (view));
  g_autoptr(SottoMessage) newest = g_list_model_get_item (messages, g_list_model_get_n_items (messages) - 1);

  return message_shown (root, newest);
}

static void
type_passphrase (GtkWidget *root)
{
  GtkWidget *row = find_widget (root, ADW_TYPE_PASSWORD_ENTRY_ROW);

  g_assert (row != NULL);
  gtk_editable_set_text (GTK_EDITABLE (row), BENCH_PROFILE_PASSPHRASE);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(SottoApplication) app = NULL;
  g_autoptr(GFile) profile = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  SottoConversationView *view;
  SottoWindow *window;
  guint n_messages = 100000;
  double start;
  double start_cpu;

  if (argc > 1)
    n_messages = strtoul (argv[1], NULL, 10);
  if (n_messages == 0 || sp_init () != 0)
    {
      g_printerr ("Usage: %s [N_MESSAGES]\n", argv[0]);
      return EXIT_FAILURE;
    }

  path = g_dir_make_tmp ("sotto-bench-app-XXXXXX", &error);
  g_assert_no_error (error);
  profile = g_file_new_for_path (path);

  g_print ("| measurement | result |\n|---|---|\n");
  bench_profile_import (profile, n_messages);

  gtk_init ();
  g_print ("| RSS before launch | %" G_GUINT64_FORMAT " KiB |\n", bench_memory_kib ("VmRSS:"));

  start = bench_now_ms ();
  app = sotto_application_new (APPLICATION_ID, G_APPLICATION_NON_UNIQUE);
  sotto_application_set_profile (app, profile);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  window = SOTTO_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));

  while (!gtk_widget_get_realized (GTK_WIDGET (window)))
    g_main_context_iteration (NULL, TRUE);
  g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "after-paint",
                    G_CALLBACK (after_paint_cb), NULL);
  while (!painted)
    g_main_context_iteration (NULL, TRUE);
  g_print ("| launch to the first frame of the main window | %.1f ms |\n", bench_now_ms () - start);

  /* The passphrase page; Argon2id runs at its minimum cost here. */
  run_until_painted (window, find_widget (GTK_WIDGET (window), ADW_TYPE_PASSWORD_ENTRY_ROW) != NULL);
  type_passphrase (GTK_WIDGET (window));
  start = bench_now_ms ();
  gtk_widget_activate_action (GTK_WIDGET (window), "win.unlock", NULL);
  run_until_painted (window, sotto_window_get_messenger (window) != NULL);
  g_print ("| passphrase to the conversation list on screen | %.1f ms |\n", bench_now_ms () - start);
  g_print ("| RSS with the conversation list | %" G_GUINT64_FORMAT " KiB |\n", bench_memory_kib ("VmRSS:"));

  start = bench_now_ms ();
  start_cpu = bench_thread_cpu_ms ();
  g_assert_true (sotto_window_open_conversation (window, BENCH_PROFILE_CONTACT_UUID));
  view = SOTTO_CONVERSATION_VIEW (find_widget (GTK_WIDGET (window), SOTTO_TYPE_CONVERSATION_VIEW));
  run_until_painted (window, newest_message_shown (GTK_WIDGET (view), view));
  g_print ("| switch to the conversation of %u messages, newest page on screen | %.1f ms |\n",
           n_messages, bench_now_ms () - start);
  g_print ("| the switch, CPU time of the main thread | %.1f ms |\n", bench_thread_cpu_ms () - start_cpu);
  g_print ("| RSS with the conversation shown | %" G_GUINT64_FORMAT " KiB (peak %" G_GUINT64_FORMAT " KiB) |\n",
           bench_memory_kib ("VmRSS:"), bench_memory_kib ("VmHWM:"));

  /* Again, with the view's widgets made and styled once already, as
   * when the user comes back to a conversation. */
  sotto_conversation_view_set_conversation (view, NULL);
  run_until_painted (window, TRUE);
  start = bench_now_ms ();
  start_cpu = bench_thread_cpu_ms ();
  g_assert_true (sotto_window_open_conversation (window, BENCH_PROFILE_CONTACT_UUID));
  run_until_painted (window, newest_message_shown (GTK_WIDGET (view), view));
  g_print ("| switch back to it, newest page on screen | %.1f ms |\n", bench_now_ms () - start);
  g_print ("| the switch back, CPU time of the main thread | %.1f ms |\n", bench_thread_cpu_ms () - start_cpu);

  /* A search for the text of one message: every message is unsealed and
   * compared, on the store's thread.  Timed from the search entry's
   * search-changed, after its typing delay, to the first frame with the
   * match on screen. */
  {
    g_autofree char *query = g_strdup_printf ("#%u ", n_messages / 3);
    SottoSearchResults *results;
    GtkWidget *entry;

    gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL);
    run_until_painted (window, (entry = find_widget (GTK_WIDGET (window), GTK_TYPE_SEARCH_ENTRY)) != NULL);
    g_signal_add_emission_hook (g_signal_lookup ("search-changed", GTK_TYPE_SEARCH_ENTRY), 0,
                                search_changed_hook, NULL, NULL);
    search_started = 0;
    gtk_editable_set_text (GTK_EDITABLE (entry), query);
    run_until_painted (window,
                       search_started > 0
                       && (results = SOTTO_SEARCH_RESULTS (find_widget (GTK_WIDGET (window), SOTTO_TYPE_SEARCH_RESULTS))) != NULL
                       && sotto_search_results_get_n_matches (results) == 1);
    g_print ("| search the text of %u messages, the match on screen | %.1f ms |\n",
             n_messages, bench_now_ms () - search_started);
    g_print ("| the search, CPU time of all threads | %.1f ms |\n", bench_process_cpu_ms () - search_started_cpu);
  }

  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  bench_profile_remove (profile);

  return EXIT_SUCCESS;
}
