/* test-cli-attachment-names.c: the names files are sent and saved under
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "cli-test-util.h"

/* A file whose name has a directional override or a line break goes
 * under its name without them: the override would make
 * "invoice\u202efdp.exe" show as "invoiceexe.pdf" to its recipient, and
 * the line break would print a line of the sender's choosing in
 * sotto-cli's output.  Real relay, real sotto-cli processes. */
static void
test_one_line (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *files = g_build_filename (test->root, "files", NULL);
  g_autofree char *downloads = g_build_filename (test->root, "downloads", NULL);
  g_autofree char *reversed = g_build_filename (files, "invoice\u202efdp.exe", NULL);
  g_autofree char *two_lines = g_build_filename (files, "two\nlines.txt", NULL);
  g_autoptr(CliResult) received = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  JsonArray *attachments;

  g_assert_cmpint (g_mkdir_with_parents (files, 0700), ==, 0);
  g_assert_true (g_file_set_contents (reversed, "not a PDF", -1, NULL));
  g_assert_true (g_file_set_contents (two_lines, "hello", -1, NULL));

  cli_run_ok (test, alice, "send", "bob", "", "--attach", reversed, "--attach", two_lines, NULL);
  received = cli_run (test, bob, "--json", "receive", "--timeout", "1", "--download-dir", downloads, NULL);
  cli_assert_ok (received);
  lines = cli_parse_lines (received->out);
  g_assert_cmpuint (lines->len, ==, 1);
  attachments = json_object_get_array_member (g_ptr_array_index (lines, 0), "attachments");
  g_assert_cmpuint (json_array_get_length (attachments), ==, 2);

  for (guint i = 0; i < 2; i++)
    {
      JsonObject *attachment = json_array_get_object_element (attachments, i);
      const char *want = i == 0 ? "invoicefdp.exe" : "twolines.txt";
      g_autofree char *saved_as = g_path_get_basename (json_object_get_string_member (attachment, "path"));

      g_assert_cmpstr (json_object_get_string_member (attachment, "name"), ==, want);
      g_assert_cmpstr (saved_as, ==, want);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/attachment-names/one-line", test_one_line);

  return g_test_run ();
}
