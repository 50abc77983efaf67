/* test-cli-group-actions.c: replies, reactions, edits and deletion for
 * everyone in groups, and how receive and group list read, end to end
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "cli-test-util.h"

/* Real relay, real sotto-cli processes: three profiles in a group react
 * to, edit, delete and reply to its messages as they do in a 1:1
 * conversation, and a member may not change another's message. */

static char *
create_group (CliTest    *test,
              const char *profile,
              const char *title,
              const char *first,
              const char *second)
{
  g_autoptr(CliResult) result = NULL;
  g_autoptr(JsonObject) object = NULL;

  result = cli_run (test, profile, "--json", "group", "create", title, first, second, NULL);
  cli_assert_ok (result);
  object = cli_parse_object (result->out);

  return g_strdup (json_object_get_string_member (object, "group"));
}

/* receive in text mode says what happened to the group in sentences,
 * and group list says which groups this account was removed from. */
static void
test_readable (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *dave = cli_register (test, "dave");
  g_autofree char *group = NULL;
  g_autoptr(CliResult) result = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  JsonObject *line;

  group = create_group (test, alice, "Climbing", "bob", "carol");
  cli_run_ok (test, alice, "group", "add", group, "dave", NULL);
  cli_run_ok (test, alice, "group", "remove", group, "carol", NULL);
  cli_run_ok (test, alice, "group", "rename", group, "Bouldering", NULL);

  result = cli_run (test, bob, "receive", "--timeout", "0", NULL);
  cli_assert_ok (result);
  g_assert_nonnull (strstr (result->out, "alice created the group “Climbing”"));
  g_assert_nonnull (strstr (result->out, "alice added dave"));
  g_assert_nonnull (strstr (result->out, "alice removed carol"));
  g_assert_nonnull (strstr (result->out, "alice renamed the group “Bouldering”"));
  g_assert_null (strstr (result->out, "add dave"));
  g_clear_pointer (&result, cli_result_free);

  /* Carol learns she was removed, and her list says so. */
  result = cli_run (test, carol, "receive", "--timeout", "0", NULL);
  cli_assert_ok (result);
  g_assert_nonnull (strstr (result->out, "alice removed carol"));
  g_clear_pointer (&result, cli_result_free);

  result = cli_run (test, carol, "group", "list", NULL);
  cli_assert_ok (result);
  g_assert_nonnull (strstr (result->out, "(no longer a member)"));
  g_clear_pointer (&result, cli_result_free);

  result = cli_run (test, bob, "group", "list", NULL);
  cli_assert_ok (result);
  g_assert_null (strstr (result->out, "(no longer a member)"));
  g_clear_pointer (&result, cli_result_free);

  /* The JSON of group list is as it was, with "member" false. */
  result = cli_run (test, carol, "--json", "group", "list", NULL);
  cli_assert_ok (result);
  lines = cli_parse_lines (result->out);
  g_assert_cmpuint (lines->len, ==, 1);
  line = g_ptr_array_index (lines, 0);
  g_assert_cmpstr (json_object_get_string_member (line, "group"), ==, group);
  g_assert_false (json_object_get_boolean_member (line, "member"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/group-actions/readable", test_readable);

  return g_test_run ();
}
