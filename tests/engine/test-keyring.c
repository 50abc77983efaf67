/* test-keyring.c: the database key in a real Secret Service
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include <libsecret/secret.h>
#include <sodium.h>

#include "engine-test-util.h"
#include "protocol-test-util.h"
#include "sotto-store-private.h"

/* The tests run their own dbus-daemon, with no service files so that
 * nothing is activated behind their back, and gnome-keyring-daemon on
 * it in a temporary home: they never touch the user's keyring and need
 * no desktop session.  Both daemons are told to die with the test
 * (PR_SET_PDEATHSIG) and have no hold on its output, so a failing test
 * fails at once instead of leaving them to keep the test runner waiting. */

#define SECRETS_NAME "org.freedesktop.secrets"

#define BUS_CONFIG \
  "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n" \
  " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n" \
  "<busconfig>\n" \
  "  <type>session</type>\n" \
  "  <listen>unix:dir=%s</listen>\n" \
  "  <policy context=\"default\">\n" \
  "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n" \
  "    <allow eavesdrop=\"true\"/>\n" \
  "    <allow own=\"*\"/>\n" \
  "  </policy>\n" \
  "</busconfig>\n"

static struct
{
  GFile *home;
  GSubprocess *bus;
  GSubprocess *keyring;
  GDBusConnection *connection;
} session;

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static GSubprocessLauncher *
make_launcher (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);

  /* The test environment is for the code under test: with
   * G_DEBUG=fatal-warnings the daemons would abort on their own harmless
   * warnings, and the malloc checks find fault with their allocator use. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  g_subprocess_launcher_unsetenv (launcher, "MALLOC_CHECK_");
  g_subprocess_launcher_unsetenv (launcher, "MALLOC_PERTURB_");

  return launcher;
}

/* Starts the bus and makes it this process's session bus.  Runs before
 * any other thread exists, since it changes the environment. */
static void
start_bus (void)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) output = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *home = NULL;
  g_autofree char *config = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *config_arg = NULL;
  g_autofree char *address = NULL;

  home = g_dir_make_tmp ("sotto-keyring-XXXXXX", &error);
  g_assert_no_error (error);
  session.home = g_file_new_for_path (home);

  config = g_strdup_printf (BUS_CONFIG, home);
  config_path = g_build_filename (home, "bus.conf", NULL);
  g_assert_true (g_file_set_contents (config_path, config, -1, &error));
  g_assert_no_error (error);
  config_arg = g_strconcat ("--config-file=", config_path, NULL);

  launcher = make_launcher (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  session.bus = g_subprocess_launcher_spawn (launcher, &error,
                                             "dbus-daemon", config_arg, "--nofork", "--print-address=1",
                                             NULL);
  g_assert_no_error (error);

  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (session.bus));
  address = g_data_input_stream_read_line (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (address);

  g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);

  /* A bus connection normally ends the process when the bus goes away;
   * this one outlives its bus at the end of the tests. */
  session.connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (session.connection, FALSE);
}

static void
name_appeared_cb (GDBusConnection *connection,
                  const char      *name,
                  const char      *owner,
                  gpointer         user_data)
{
  gboolean *appeared = user_data;

  *appeared = TRUE;
}

static void
start_keyring (void)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree char *runtime = NULL;
  g_autofree char *log = NULL;
  const char *home = g_file_peek_path (session.home);
  GOutputStream *input;
  gboolean appeared = FALSE;
  guint watch_id;

  data = g_build_filename (home, "data", NULL);
  runtime = g_build_filename (home, "runtime", NULL);
  log = g_build_filename (home, "gnome-keyring-daemon.log", NULL);
  g_assert_cmpint (g_mkdir_with_parents (runtime, 0700), ==, 0);

  launcher = make_launcher (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime, TRUE);

  /* --unlock reads the login keyring's password from standard input and
   * creates the keyring with it: an empty line is an empty password. */
  session.keyring = g_subprocess_launcher_spawn (launcher, &error,
                                                 "gnome-keyring-daemon", "--foreground",
                                                 "--unlock", "--components=secrets",
                                                 NULL);
  g_assert_no_error (error);

  input = g_subprocess_get_stdin_pipe (session.keyring);
  g_assert_true (g_output_stream_write_all (input, "\n", 1, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_close (input, NULL, &error));
  g_assert_no_error (error);

  watch_id = g_bus_watch_name_on_connection (session.connection, SECRETS_NAME,
                                             G_BUS_NAME_WATCHER_FLAGS_NONE,
                                             name_appeared_cb, NULL,
                                             &appeared, NULL);
  engine_test_wait_for (&appeared);
  g_bus_unwatch_name (watch_id);
}

/* The keyring starts with the first test that needs it; the test of a
 * session without one is registered first. */
static void
ensure_keyring (void)
{
  if (session.keyring == NULL)
    start_keyring ();
}

static void
stop_session (void)
{
  /* libsecret keeps its connection to the bus until it is told to let
   * go; that must happen while the daemon still runs, or the daemon's
   * exit reaches libsecret's proxies and they take the connection again. */
  secret_service_disconnect ();
  while (g_main_context_iteration (NULL, FALSE))
    ;

  if (session.keyring != NULL)
    {
      g_subprocess_send_signal (session.keyring, SIGTERM);
      g_assert_true (g_subprocess_wait (session.keyring, NULL, NULL));
      g_clear_object (&session.keyring);
    }

  g_subprocess_send_signal (session.bus, SIGTERM);
  g_assert_true (g_subprocess_wait (session.bus, NULL, NULL));
  g_clear_object (&session.bus);
  g_clear_object (&session.connection);

  engine_test_remove_profile (g_steal_pointer (&session.home));
}

static SottoStore *
open_store (GFile       *profile,
            const char  *passphrase,
            GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  sotto_store_open_async (profile, passphrase, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);

  return sotto_store_open_finish (result, error);
}

static void
test_keyring_unavailable (void)
{
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) database = NULL;
  GFile *profile;

  /* No Secret Service on the bus: a new profile needs a passphrase, and
   * the failed attempt leaves no database behind. */
  profile = engine_test_make_profile ();
  store = open_store (profile, NULL, &error);
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_PASSPHRASE_REQUIRED);
  g_assert_null (store);

  database = g_file_get_child (profile, SOTTO_STORE_DATABASE_NAME);
  g_assert_false (g_file_query_exists (database, NULL));

  engine_test_remove_profile (profile);
}

static void
test_keyring_round_trip (void)
{
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(SottoAccount) account = NULL;
  g_autoptr(SottoAccountRecord) record = NULL;
  g_autoptr(SottoAccountRecord) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;
  guint8 database_key[SOTTO_STORE_KEY_SIZE];
  GFile *profile;

  ensure_keyring ();

  profile = engine_test_make_profile ();
  store = open_store (profile, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sotto_store_get_key_source (store), ==, SOTTO_KEY_SOURCE_KEYRING);
  memcpy (database_key, store->keys->database_key, sizeof database_key);

  account = engine_test_make_account (store);
  uuid = g_strdup (sotto_account_get_uuid (account));
  record = _sotto_account_to_record (account);
  g_assert_true (_sotto_store_save_account (store, record, &error));
  g_assert_no_error (error);
  g_clear_object (&account);
  engine_test_close_store (g_steal_pointer (&store));

  /* The key is in the keyring, not in the profile. */
  g_assert_false (engine_test_profile_contains (profile, database_key, sizeof database_key));

  store = open_store (profile, NULL, &error);
  g_assert_no_error (error);
  loaded = _sotto_store_load_account (store, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loaded->uuid, ==, uuid);
  g_clear_pointer (&loaded, _sotto_account_record_free);
  engine_test_close_store (g_steal_pointer (&store));

  /* A keyring database ignores a passphrase rather than trying it. */
  store = open_store (profile, "some passphrase", &error);
  g_assert_no_error (error);
  g_assert_cmpint (sotto_store_get_key_source (store), ==, SOTTO_KEY_SOURCE_KEYRING);
  engine_test_close_store (g_steal_pointer (&store));

  engine_test_remove_profile (profile);
}

static void
test_keyring_wrong_key (void)
{
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) database = NULL;
  g_autoptr(GBytes) before = NULL;
  g_autoptr(GBytes) after = NULL;
  guint8 other_key[SOTTO_STORE_KEY_SIZE];
  GFile *profile;

  ensure_keyring ();

  profile = engine_test_make_profile ();
  store = open_store (profile, NULL, &error);
  g_assert_no_error (error);
  engine_test_close_store (g_steal_pointer (&store));

  database = g_file_get_child (profile, SOTTO_STORE_DATABASE_NAME);
  before = engine_test_read_file (database);

  /* Someone replaced the item: the key is refused, the file untouched. */
  randombytes_buf (other_key, sizeof other_key);
  g_assert_true (_sotto_store_keyring_store (g_file_peek_path (profile), other_key, NULL, &error));
  g_assert_no_error (error);

  store = open_store (profile, NULL, &error);
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_WRONG_KEY);
  g_assert_null (store);

  after = engine_test_read_file (database);
  g_assert_true (g_bytes_equal (before, after));

  engine_test_remove_profile (profile);
}

static void
test_keyring_key_missing (void)
{
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) database = NULL;
  g_autoptr(GFile) copy = NULL;
  GFile *profile;
  GFile *moved;

  ensure_keyring ();

  profile = engine_test_make_profile ();
  store = open_store (profile, NULL, &error);
  g_assert_no_error (error);
  engine_test_close_store (g_steal_pointer (&store));

  /* The key belongs to the profile's path: a copy elsewhere has none. */
  moved = engine_test_make_profile ();
  database = g_file_get_child (profile, SOTTO_STORE_DATABASE_NAME);
  copy = g_file_get_child (moved, SOTTO_STORE_DATABASE_NAME);
  g_assert_true (g_file_copy (database, copy, G_FILE_COPY_NONE, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  store = open_store (moved, NULL, &error);
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_KEY_MISSING);
  g_assert_null (store);

  engine_test_remove_profile (moved);
  engine_test_remove_profile (profile);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *keyring = NULL;
  g_autofree char *bus = NULL;
  int ret;

  engine_test_init (&argc, &argv);

  keyring = g_find_program_in_path ("gnome-keyring-daemon");
  bus = g_find_program_in_path ("dbus-daemon");
  if (keyring == NULL || bus == NULL)
    {
      test_skip_or_fail_on_ci ("gnome-keyring-daemon or dbus-daemon is not installed");
      return g_test_run ();
    }

  start_bus ();

  g_test_add_func ("/engine/keyring/unavailable", test_keyring_unavailable);
  g_test_add_func ("/engine/keyring/round-trip", test_keyring_round_trip);
  g_test_add_func ("/engine/keyring/wrong-key", test_keyring_wrong_key);
  g_test_add_func ("/engine/keyring/key-missing", test_keyring_key_missing);

  ret = g_test_run ();

  stop_session ();

  return ret;
}
