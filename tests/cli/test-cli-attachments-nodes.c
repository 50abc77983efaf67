/* test-cli-attachments-nodes.c: files between sotto-cli profiles on two relay nodes
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two sotto-relay processes on one PostgreSQL database, each with a
 * data directory of its own: Alice's profile talks to one, Bob's to the
 * other.  The files Alice sends go up to her node, and Bob downloads
 * them from his, byte for byte; his answer goes the other way.  Runs
 * only under build-aux/with-postgresql.sh.
 */

#include "config.h"

#include <string.h>

#include "cli-test-util.h"
#include "relay-test-util.h"

/* A relay node in `dir` on `database`, with room for the test's files. */
static CliRelay *
start_node (const char *dir,
            const char *database)
{
  g_autofree char *conf_path = g_build_filename (dir, "relay.conf", NULL);
  g_autofree char *conf = g_strdup_printf ("%s[limits]\nmax-blob-bytes=10000000\n[database]\nurl=%s\n",
                                           test_relay_relaxed_conf, database);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (conf_path, conf, -1, NULL));
  return cli_relay_start (dir, 0, FALSE);
}

/* A file of `size` bytes that do not repeat, under the test's root;
 * gives their SHA-256 in *digest. */
static char *
write_random_file (CliTest     *test,
                   const char  *name,
                   gsize        size,
                   char       **digest)
{
  g_autofree guint8 *contents = g_malloc (size);
  char *path = g_build_filename (test->root, name, NULL);

  for (gsize i = 0; i < size; i += sizeof (guint32))
    {
      guint32 word = g_random_int ();

      memcpy (contents + i, &word, MIN (sizeof word, size - i));
    }
  g_assert_true (g_file_set_contents (path, (const char *) contents, (gssize) size, NULL));
  *digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, contents, size);
  return path;
}

/* Receives the one message waiting for `profile`, downloads its one
 * attachment into `dir`, and checks it against the SHA-256 of what was
 * sent. */
static void
assert_receives_file (CliTest    *test,
                      const char *profile,
                      const char *dir,
                      const char *digest)
{
  g_autoptr(CliResult) received = cli_run (test, profile, "--json", "receive", "--timeout", "1",
                                           "--download-dir", dir, NULL);
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GMappedFile) saved = NULL;
  g_autofree char *got = NULL;
  JsonArray *attachments;
  JsonObject *attachment;

  cli_assert_ok (received);
  lines = cli_parse_lines (received->out);
  g_assert_cmpuint (lines->len, ==, 1);
  attachments = json_object_get_array_member (g_ptr_array_index (lines, 0), "attachments");
  g_assert_cmpuint (json_array_get_length (attachments), ==, 1);
  attachment = json_array_get_object_element (attachments, 0);
  g_assert_cmpstr (json_object_get_string_member (attachment, "sha256"), ==, digest);
  saved = g_mapped_file_new (json_object_get_string_member (attachment, "path"), FALSE, NULL);
  g_assert_nonnull (saved);
  got = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) g_mapped_file_get_contents (saved),
                                     g_mapped_file_get_length (saved));
  g_assert_cmpstr (got, ==, digest);
}

static void
test_two_nodes (void)
{
  g_autoptr(CliTest) test = cli_test_new_without_relay ();
  g_autofree char *base = g_path_get_basename (test->root);
  g_autofree char *name = g_ascii_strdown (base, -1);
  g_autofree char *database = test_postgresql_database (name);
  g_autofree char *a_dir = g_build_filename (test->root, "node-a", NULL);
  g_autofree char *b_dir = g_build_filename (test->root, "node-b", NULL);
  g_autofree char *a_blobs = g_build_filename (a_dir, "blobs", NULL);
  g_autofree char *b_blobs = g_build_filename (b_dir, "blobs", NULL);
  g_autofree char *alice_downloads = g_build_filename (test->root, "alice-saved", NULL);
  g_autofree char *bob_downloads = g_build_filename (test->root, "bob-saved", NULL);
  g_autoptr(CliRelay) a = start_node (a_dir, database);
  g_autoptr(CliRelay) b = start_node (b_dir, database);
  g_autofree char *alice = NULL;
  g_autofree char *bob = NULL;
  g_autofree char *big_digest = NULL;
  g_autofree char *small_digest = NULL;
  /* Several of the relay's chunks, and not a whole number of them. */
  g_autofree char *big = write_random_file (test, "big.bin", 3 * 1024 * 1024 + 1001, &big_digest);
  g_autofree char *small = write_random_file (test, "small.bin", 777, &small_digest);

  test->relay = a;
  alice = cli_register (test, "alice");
  test->relay = b;
  bob = cli_register (test, "bob");
  test->relay = NULL;

  cli_run_ok (test, alice, "send", "bob", "Through node A", "--attach", big, NULL);
  assert_receives_file (test, bob, bob_downloads, big_digest);
  cli_run_ok (test, bob, "send", "alice", "Through node B", "--attach", small, NULL);
  assert_receives_file (test, alice, alice_downloads, small_digest);

  /* The nodes keep no blob on their disks. */
  g_assert_false (g_file_test (a_blobs, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (b_blobs, G_FILE_TEST_EXISTS));
  cli_relay_stop (a);
  cli_relay_stop (b);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/attachments-nodes/two-nodes", test_two_nodes);
  return g_test_run ();
}
