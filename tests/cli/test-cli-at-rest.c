/* test-cli-at-rest.c: what a sotto-cli profile keeps on disk
 *
 * Nothing in the clear, the database key in the keyring, and one
 * process at a time.
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <string.h>

#include <sodium.h>

#include "sp-error.h"
#include "sp-init.h"

#include "cli-test-util.h"
#include "protocol-test-util.h"

static char *
random_name (const char *prefix)
{
  GString *name = g_string_new (prefix);

  for (guint i = 0; i < 16; i++)
    g_string_append_c (name, 'a' + g_test_rand_int_range (0, 26));

  return g_string_free (name, FALSE);
}

static void
assert_absent (const char *profile,
               const void *needle,
               gsize       len,
               const char *what)
{
  if (cli_tree_contains (profile, needle, len))
    g_error ("%s is in the clear in %s", what, profile);
}

static void
test_no_plaintext (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice_name = random_name ("a_");
  g_autofree char *bob_name = random_name ("b_");
  g_autofree char *alice = cli_register (test, alice_name);
  g_autofree char *bob = cli_register (test, bob_name);
  g_autofree char *marker = random_name ("marker-");
  g_autofree char *answer = random_name ("answer-");
  g_autofree char *alice_password = NULL;
  g_autofree char *bob_password = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(CliWhoami) alice_id = NULL;
  g_autoptr(CliWhoami) bob_id = NULL;
  guint8 alice_key[SP_PRIVATE_KEY_SIZE];
  guint8 bob_key[SP_PRIVATE_KEY_SIZE];
  const char *profiles[2];
  char uuid_text[2][37];

  cli_send_ok (test, alice, bob_name, marker);
  cli_assert_receives (test, bob, alice_name, marker, NULL);
  cli_send_ok (test, bob, alice_name, answer);
  cli_assert_receives (test, alice, bob_name, answer, NULL);

  messages = cli_history (test, alice, bob_name);
  g_assert_cmpuint (messages->len, ==, 2);
  alice_id = cli_whoami (test, alice, alice_name);
  bob_id = cli_whoami (test, bob, bob_name);

  cli_read_secrets (alice, alice_key, &alice_password);
  cli_read_secrets (bob, bob_key, &bob_password);

  profiles[0] = alice;
  profiles[1] = bob;
  g_strlcpy (uuid_text[0], alice_id->uuid, sizeof uuid_text[0]);
  g_strlcpy (uuid_text[1], bob_id->uuid, sizeof uuid_text[1]);

  for (guint i = 0; i < G_N_ELEMENTS (profiles); i++)
    {
      assert_absent (profiles[i], marker, strlen (marker), "A message");
      assert_absent (profiles[i], answer, strlen (answer), "A message");
      assert_absent (profiles[i], alice_name, strlen (alice_name), "A username");
      assert_absent (profiles[i], bob_name, strlen (bob_name), "A username");
      assert_absent (profiles[i], uuid_text[0], strlen (uuid_text[0]), "An account");
      assert_absent (profiles[i], uuid_text[1], strlen (uuid_text[1]), "An account");
      assert_absent (profiles[i], alice_key, sizeof alice_key, "A private key");
      assert_absent (profiles[i], bob_key, sizeof bob_key, "A private key");
      assert_absent (profiles[i], alice_password, strlen (alice_password), "A password");
      assert_absent (profiles[i], bob_password, strlen (bob_password), "A password");
    }

  /* And the test would have noticed: the secrets are real. */
  g_assert_cmpuint (strlen (alice_password), >=, 16);
  g_assert_false (sodium_is_zero (alice_key, sizeof alice_key));
}

typedef struct
{
  GTestDBus *bus;
  char *home;
  GSubprocess *daemon;
} Keyring;

static void
name_appeared_cb (GDBusConnection *connection,
                  const char      *name,
                  const char      *owner,
                  gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* gnome-keyring-daemon on a private session bus, in a temporary home. */
static Keyring *
keyring_start (void)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree char *runtime = NULL;
  Keyring *keyring = g_new0 (Keyring, 1);
  GOutputStream *input;
  gboolean appeared = FALSE;
  guint watch_id;

  keyring->home = g_dir_make_tmp ("sotto-cli-keyring-XXXXXX", &error);
  g_assert_no_error (error);
  data = g_build_filename (keyring->home, "data", NULL);
  runtime = g_build_filename (keyring->home, "runtime", NULL);
  g_assert_cmpint (g_mkdir_with_parents (runtime, 0700), ==, 0);

  keyring->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (keyring->bus);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_setenv (launcher, "HOME", keyring->home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime, TRUE);

  /* --unlock creates the login keyring with the password read from
   * standard input: here an empty one. */
  keyring->daemon = g_subprocess_launcher_spawn (launcher, &error, "gnome-keyring-daemon", "--foreground",
                                                 "--unlock", "--components=secrets", NULL);
  g_assert_no_error (error);
  input = g_subprocess_get_stdin_pipe (keyring->daemon);
  g_assert_true (g_output_stream_write_all (input, "\n", 1, NULL, NULL, &error));
  g_assert_true (g_output_stream_close (input, NULL, &error));
  g_assert_no_error (error);

  connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  watch_id = g_bus_watch_name_on_connection (connection, "org.freedesktop.secrets",
                                             G_BUS_NAME_WATCHER_FLAGS_NONE,
                                             name_appeared_cb, NULL, &appeared, NULL);
  while (!appeared)
    g_main_context_iteration (NULL, TRUE);
  g_bus_unwatch_name (watch_id);

  return keyring;
}

static void
keyring_stop (Keyring *keyring)
{
  g_subprocess_send_signal (keyring->daemon, SIGTERM);
  g_subprocess_wait (keyring->daemon, NULL, NULL);
  g_clear_object (&keyring->daemon);
  g_test_dbus_down (keyring->bus);
  g_clear_object (&keyring->bus);
  g_free (keyring->home);
  g_free (keyring);
}

static void
test_keyring (void)
{
  g_autofree char *daemon = g_find_program_in_path ("gnome-keyring-daemon");
  g_autoptr(CliTest) test = NULL;
  g_autoptr(CliResult) locked_out = NULL;
  g_autofree char *kim = NULL;
  g_autofree char *bob = NULL;
  g_autofree char *address = NULL;
  g_autofree char *runtime = NULL;
  Keyring *keyring;

  if (daemon == NULL)
    {
      test_skip_or_fail_on_ci ("gnome-keyring-daemon is not installed");
      return;
    }

  keyring = keyring_start ();
  test = cli_test_new (FALSE);
  bob = cli_register (test, "bob");

  /* Without SOTTO_PASSPHRASE the database key goes to the keyring. */
  address = g_strdup_printf ("DBUS_SESSION_BUS_ADDRESS=%s", g_test_dbus_get_bus_address (keyring->bus));
  test->extra_env = g_strdupv ((char *[]) { address, (char *) "-SOTTO_PASSPHRASE", NULL });
  kim = cli_register (test, "kim");
  cli_whoami_free (cli_whoami (test, kim, "kim"));

  cli_send_ok (test, kim, "bob", "From the keyring");
  g_strfreev (g_steal_pointer (&test->extra_env));
  cli_assert_receives (test, bob, "kim", "From the keyring", NULL);

  /* A passphrase does not open a keyring profile, and nothing does
   * without the keyring. */
  test->extra_env = g_strdupv ((char *[]) { address, NULL });
  cli_run_ok (test, kim, "whoami", NULL);
  g_strfreev (g_steal_pointer (&test->extra_env));

  keyring_stop (keyring);
  runtime = g_strdup ("DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/sotto-test-bus");
  test->extra_env = g_strdupv ((char *[]) { runtime, NULL });
  locked_out = cli_run (test, kim, "whoami", NULL);
  g_assert_cmpint (locked_out->status, ==, 1);
  g_assert_nonnull (strstr (locked_out->err, "keyring"));
}

/* Whether the lock file of @profile names @pid: the process holding the
 * profile has opened its store. */
static gboolean
lock_names (const char *profile,
            const char *pid)
{
  g_autofree char *path = g_build_filename (profile, "sotto.lock", NULL);
  g_autofree char *contents = NULL;

  return g_file_get_contents (path, &contents, NULL, NULL) && g_str_has_prefix (contents, pid)
         && contents[strlen (pid)] == '\n';
}

/* One profile, one process: while one sotto-cli has it open, a second
 * one says which process has it and changes nothing; once the first is
 * gone, the second works. */
static void
test_profile_in_use (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autoptr(GSubprocess) holder = NULL;
  g_autoptr(CliResult) refused = NULL;
  g_autofree char *expected = NULL;
  const char *pid;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  holder = cli_spawn (test, alice, "receive", "--timeout", "60", NULL);
  pid = g_subprocess_get_identifier (holder);
  while (!lock_names (alice, pid))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10000);
    }

  refused = cli_run (test, alice, "whoami", NULL);
  g_assert_cmpint (refused->status, ==, 1);
  expected = g_strdup_printf ("is open in sotto-cli (process %s)", pid);
  g_assert_nonnull (strstr (refused->err, expected));

  g_subprocess_force_exit (holder);
  g_assert_true (g_subprocess_wait (holder, NULL, NULL));

  cli_run_ok (test, alice, "whoami", NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/cli/no-plaintext", test_no_plaintext);
  g_test_add_func ("/cli/keyring", test_keyring);
  g_test_add_func ("/cli/profile-in-use", test_profile_in_use);

  return g_test_run ();
}
