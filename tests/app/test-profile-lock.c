/* test-profile-lock.c: one process per profile, with the real window
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The app in this process and sotto-cli, or a second start of the real
 * sotto program, on one profile: only one of them may have it, and the
 * other says who does or, for the app, raises the window that has it.
 */

#include "config.h"

#include <adwaita.h>
#include <string.h>
#include <unistd.h>

#include "app-test-util.h"
#include "conversation-fixture.h"
#include "sotto-application.h"
#include "sotto-window.h"

/* Starts sotto-cli on Alice's profile, with her passphrase. */
static GSubprocess *
spawn_cli_as_alice (Fixture    *fixture,
                    const char *first_arg,
                    ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *cli;
  va_list args;

  g_ptr_array_add (argv, (char *) SOTTO_CLI_PATH);
  g_ptr_array_add (argv, (char *) "--profile");
  g_ptr_array_add (argv, fixture->alice_profile);
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "SOTTO_PASSPHRASE", passphrase, TRUE);
  cli = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  return cli;
}

/* Whether the lock file in @profile names the process @pid. */
static gboolean
lock_names (const char *profile,
            const char *pid)
{
  g_autofree char *path = g_build_filename (profile, "sotto.lock", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *line = g_strdup_printf ("%s\n", pid);

  return g_file_get_contents (path, &contents, NULL, NULL) && g_str_has_prefix (contents, line);
}

static gboolean
is_label_containing (GtkWidget     *widget,
                     gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget)
         && strstr (gtk_label_get_label (GTK_LABEL (widget)), text) != NULL;
}

/* The app has Alice's profile open: sotto-cli on it is refused and told
 * which process has it.  Then sotto-cli has it: the app's next window
 * says so instead of opening it too. */
static void
test_profile_lock_cli_and_app (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr(GSubprocess) refused = NULL;
  g_autoptr(GSubprocess) holder = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *refusal = NULL;
  g_autofree char *app_holder = NULL;
  g_autofree char *cli_holder = NULL;
  const char *pid;

  start_alice (fixture);

  refused = spawn_cli_as_alice (fixture, "whoami", NULL);
  g_subprocess_communicate_utf8 (refused, NULL, NULL, NULL, &refusal, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (refused), ==, 1);
  app_holder = g_strdup_printf ("is open in %s (process %d)", g_get_prgname (), (int) getpid ());
  g_assert_nonnull (strstr (refusal, app_holder));

  /* Alice closes the window, which closes the profile; sotto-cli takes
   * it, and a new window finds it taken. */
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  fixture->window = NULL;
  run_main_loop_for (1000);
  holder = spawn_cli_as_alice (fixture, "receive", "--timeout", "60", NULL);
  pid = g_subprocess_get_identifier (holder);
  wait_until (lock_names (fixture->alice_profile, pid));

  fixture->window = sotto_window_new (fixture->app);
  gtk_window_present (GTK_WINDOW (fixture->window));
  cli_holder = g_strdup_printf ("is open in sotto-cli (process %s)", pid);
  wait_until (app_test_find_matching (GTK_WIDGET (fixture->window), is_label_containing, cli_holder) != NULL);
  g_assert_true (page_is (fixture, "error"));

  g_subprocess_force_exit (holder);
  g_assert_true (g_subprocess_wait (holder, NULL, NULL));
}

static void
exited_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *exited = user_data;

  g_assert_true (g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL));
  *exited = TRUE;
}

static void
count_activation_cb (GApplication *app,
                     guint        *n_activations)
{
  (*n_activations)++;
}

/* `sotto --profile DIR` a second time raises the window of the instance
 * that has DIR, and opens nothing itself. */
static void
test_profile_lock_second_app (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autoptr(GFile) profile = g_file_new_for_path (fixture->alice_profile);
  g_autofree char *application_id = sotto_application_id_for_profile (APPLICATION_ID, profile);
  g_autoptr(GSubprocess) second = NULL;
  g_autoptr(GError) error = NULL;
  guint n_activations = 0;
  gboolean exited = FALSE;
  GtkWidget *window;

  fixture->app = sotto_application_new (application_id, G_APPLICATION_DEFAULT_FLAGS);
  sotto_application_set_profile (fixture->app, profile);
  g_application_register (G_APPLICATION (fixture->app), NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_application_get_is_remote (G_APPLICATION (fixture->app)));
  g_application_activate (G_APPLICATION (fixture->app));
  window = GTK_WIDGET (gtk_application_get_active_window (GTK_APPLICATION (fixture->app)));
  fixture->window = SOTTO_WINDOW (window);
  wait_until (gtk_widget_get_mapped (window));
  wait_until (page_is (fixture, "passphrase"));

  g_signal_connect (fixture->app, "activate", G_CALLBACK (count_activation_cb), &n_activations);
  second = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                             SOTTO_APP_PATH, "--profile", fixture->alice_profile, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (second, NULL, exited_cb, &exited);

  /* The second start hands over to this instance and leaves. */
  wait_until (n_activations == 1 && exited);
  g_assert_true (g_subprocess_get_if_exited (second));
  g_assert_cmpint (g_subprocess_get_exit_status (second), ==, 0);
  g_assert_true (GTK_WIDGET (gtk_application_get_active_window (GTK_APPLICATION (fixture->app))) == window);
  g_assert_cmpuint (g_list_length (gtk_application_get_windows (GTK_APPLICATION (fixture->app))), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add ("/app/profile-lock/cli-and-app", Fixture, NULL,
              fixture_set_up, test_profile_lock_cli_and_app, fixture_tear_down);
  g_test_add ("/app/profile-lock/second-app", Fixture, NULL,
              fixture_set_up, test_profile_lock_second_app, fixture_tear_down);

  return g_test_run ();
}
