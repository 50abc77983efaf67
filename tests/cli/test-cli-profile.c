/* test-cli-profile.c: what sotto-cli does to protect a profile
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Through the real sotto-cli on a pseudo-terminal, the way a person
 * types a passphrase: an empty one is refused as the app refuses it,
 * and the profile it makes is its owner's alone.
 */

#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cli-test-util.h"

static guint
permissions (const char *directory,
             const char *name)
{
  g_autofree char *path = g_build_filename (directory, name, NULL);
  GStatBuf buf;

  g_assert_cmpint (g_stat (path, &buf), ==, 0);

  return buf.st_mode & 0777;
}

static void
test_empty_passphrase (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *profile = cli_test_profile (test, "kim");
  g_autofree char *database = g_build_filename (profile, "sotto.db", NULL);
  g_autoptr(CliResult) refused = NULL;
  g_autoptr(CliResult) registered = NULL;
  GSubprocess *process;
  int terminal;

  process = cli_spawn_on_terminal (test, profile, &terminal,
                                   "register", "--relay", test->relay->url, "--username", "kim", NULL);
  /* Hanging up ends any prompt that follows with an empty line too, so
   * that a sotto-cli that asks again does not wait for ever. */
  cli_terminal_answer (terminal, "New passphrase for this profile: ", "");
  close (terminal);
  refused = cli_wait (process);

  g_assert_cmpint (refused->status, ==, 1);
  g_assert_nonnull (strstr (refused->err, "must not be empty"));
  g_assert_false (g_file_test (database, G_FILE_TEST_EXISTS));

  /* A passphrase that is not empty, typed twice, makes the profile. */
  process = cli_spawn_on_terminal (test, profile, &terminal,
                                   "register", "--relay", test->relay->url, "--username", "kim", NULL);
  cli_terminal_answer (terminal, "New passphrase for this profile: ", CLI_TEST_PASSPHRASE);
  cli_terminal_answer (terminal, "The same passphrase again: ", CLI_TEST_PASSPHRASE);
  registered = cli_wait (process);
  close (terminal);

  cli_assert_ok (registered);
  g_assert_true (g_file_test (database, G_FILE_TEST_EXISTS));
}

/* An existing, empty directory given as the profile, with the umask's
 * permissions, becomes the owner's alone, and so do the files in it. */
static void
test_permissions (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *profile = cli_test_profile (test, "kim");
  g_autofree char *database = g_build_filename (profile, "sotto.db", NULL);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_assert_cmpint (g_mkdir (profile, 0755), ==, 0);
  g_assert_cmpint (g_chmod (profile, 0755), ==, 0);
  g_free (cli_register (test, "kim"));

  g_assert_cmpuint (permissions (profile, "."), ==, 0700);
  dir = g_dir_open (profile, 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_cmpuint (permissions (profile, name), ==, 0600);

  /* A profile that an older version left open to others is closed
   * again the next time it is opened. */
  g_assert_cmpint (g_chmod (profile, 0755), ==, 0);
  g_assert_cmpint (g_chmod (database, 0644), ==, 0);
  cli_run_ok (test, profile, "whoami", NULL);
  g_assert_cmpuint (permissions (profile, "."), ==, 0700);
  g_assert_cmpuint (permissions (profile, "sotto.db"), ==, 0600);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/profile/empty-passphrase", test_empty_passphrase);
  g_test_add_func ("/cli/profile/permissions", test_permissions);

  return g_test_run ();
}
