/* cli-attachments-test-util.c: what the sotto-cli attachment tests share
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "cli-attachments-test-util.h"

static const char relay_limits[] =
  "[rate-limits]\n"
  "address-registrations=100000/100000\n"
  "account-sends=100000/100000\n"
  "[limits]\n";

/* A test directory with a relay whose [limits] add @limits. */
CliTest *
new_test (const char *limits,
          gboolean    tolerant)
{
  CliTest *test = cli_test_new_without_relay ();
  g_autofree char *relay_dir = g_build_filename (test->root, "relay", NULL);
  g_autofree char *conf_path = g_build_filename (relay_dir, "relay.conf", NULL);
  g_autofree char *conf = g_strconcat (relay_limits, limits, NULL);
  g_autofree char *saved_debug = g_strdup (g_getenv ("G_DEBUG"));

  g_assert_cmpint (g_mkdir_with_parents (relay_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (conf_path, conf, -1, NULL));

  /* The relay warns of a blob damaged on its disk, which the tampering
   * case does on purpose: there its warnings are not fatal. */
  if (tolerant)
    g_setenv ("G_DEBUG", "gc-friendly", TRUE);
  test->relay = cli_relay_start (relay_dir, 0, FALSE);
  if (tolerant)
    g_setenv ("G_DEBUG", saved_debug, TRUE);

  return test;
}

/* @contents as the file @name in the test's folder of files. */
char *
write_file (CliTest    *test,
            const char *name,
            const char *contents,
            gsize       len)
{
  g_autofree char *dir = g_build_filename (test->root, "files", NULL);
  char *path = g_build_filename (dir, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, (gssize) len, NULL));

  return path;
}

char *
sha256_of_file (const char *path)
{
  g_autoptr(GMappedFile) mapped = g_mapped_file_new (path, FALSE, NULL);
  g_autoptr(GBytes) bytes = NULL;

  g_assert_nonnull (mapped);
  bytes = g_mapped_file_get_bytes (mapped);

  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
}
/* No byte of MARKER in the relay's data or either profile. */
void
assert_no_plaintext (CliTest    *test,
                     const char *alice,
                     const char *bob)
{
  g_assert_false (cli_tree_contains (test->relay->data_dir, MARKER, strlen (MARKER)));
  g_assert_false (cli_tree_contains (alice, MARKER, strlen (MARKER)));
  g_assert_false (cli_tree_contains (bob, MARKER, strlen (MARKER)));
}
