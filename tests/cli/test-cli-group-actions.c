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
 * and names the message a contact reacted to by its text, not its id;
 * group list says which groups this account was removed from. */
static void
test_readable (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *group = NULL;
  g_autoptr(CliResult) result = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(JsonObject) sent = NULL;
  JsonObject *line;

  /* Dave is only added. */
  g_free (cli_register (test, "dave"));

  sent = cli_send_json (test, alice, "bob", "Lunch at noon? The new place by the river, or the old one?");
  g_ptr_array_unref (cli_receive (test, bob));
  cli_run_ok (test, bob, "react", "alice", json_object_get_string_member (sent, "id"), "👍", NULL);
  result = cli_run (test, alice, "receive", "--timeout", "0", NULL);
  cli_assert_ok (result);
  g_assert_nonnull (strstr (result->out, "bob reacted 👍 to “Lunch at noon? The new place by the rive…”"));
  g_assert_null (strstr (result->out, json_object_get_string_member (sent, "id")));
  g_clear_pointer (&result, cli_result_free);

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

/* The line of @lines of @type whose "target_id" is @target, which must
 * be there once. */
static JsonObject *
find_line (GPtrArray  *lines,
           const char *type,
           const char *target)
{
  JsonObject *found = NULL;

  for (guint i = 0; i < lines->len; i++)
    {
      JsonObject *line = g_ptr_array_index (lines, i);

      if (g_str_equal (json_object_get_string_member (line, "type"), type)
          && g_strcmp0 (json_object_get_string_member_with_default (line, "target_id", NULL), target) == 0)
        {
          g_assert_null (found);
          found = line;
        }
    }
  g_assert_nonnull (found);

  return found;
}

/* The message @id of @group in @profile's history --group --json. */
static JsonObject *
history_message (CliTest     *test,
                 const char  *profile,
                 const char  *group,
                 const char  *id,
                 GPtrArray  **lines)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "history", "--group", group, NULL);

  cli_assert_ok (result);
  g_clear_pointer (lines, g_ptr_array_unref);
  *lines = cli_parse_lines (result->out);
  for (guint i = 0; i < (*lines)->len; i++)
    {
      JsonObject *line = g_ptr_array_index (*lines, i);

      if (g_strcmp0 (json_object_get_string_member (line, "id"), id) == 0)
        return line;
    }
  g_assert_not_reached ();
}

/* Runs @profile's sotto-cli with --json and the rest, and returns the
 * one object it printed. */
static JsonObject *
run_json (CliTest    *test,
          const char *profile,
          ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(CliResult) result = NULL;
  const char *arg;
  va_list args;

  va_start (args, profile);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_assert_cmpuint (argv->len, <=, 6);
  g_ptr_array_set_size (argv, 6);

  result = cli_run (test, profile, "--json", g_ptr_array_index (argv, 0), g_ptr_array_index (argv, 1),
                    g_ptr_array_index (argv, 2), g_ptr_array_index (argv, 3), g_ptr_array_index (argv, 4),
                    g_ptr_array_index (argv, 5), NULL);
  cli_assert_ok (result);

  return cli_parse_object (result->out);
}

/* Runs a change of a message that must be refused, with @reason in its
 * error. */
static void
assert_refused (CliTest    *test,
                const char *profile,
                const char *reason,
                ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(CliResult) result = NULL;
  const char *arg;
  va_list args;

  va_start (args, reason);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_assert_cmpuint (argv->len, <=, 5);
  g_ptr_array_set_size (argv, 5);

  result = cli_run (test, profile, g_ptr_array_index (argv, 0), g_ptr_array_index (argv, 1),
                    g_ptr_array_index (argv, 2), g_ptr_array_index (argv, 3), g_ptr_array_index (argv, 4), NULL);
  g_assert_cmpint (result->status, ==, 1);
  g_assert_nonnull (strstr (result->err, reason));
}

/* Reactions, an edit, a reply and a deletion for everyone in a group of
 * three, as each member sees them; a member may change only their own
 * messages, and only messages of that group. */
static void
test_actions (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *group = NULL;
  g_autofree char *other = NULL;
  g_autofree char *hello = NULL;
  g_autofree char *reactions = NULL;
  g_autofree char *stranger = g_uuid_string_random ();
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(JsonObject) changed = NULL;
  g_autoptr(CliResult) result = NULL;
  JsonObject *line;

  group = create_group (test, alice, "Climbing", "bob", "carol");
  other = create_group (test, alice, "Running", "bob", "carol");
  hello = cli_send_group (test, alice, group, "Hello all");
  g_ptr_array_unref (cli_receive (test, bob));
  g_ptr_array_unref (cli_receive (test, carol));

  /* One reaction per member; each is told of the others'. */
  changed = run_json (test, bob, "react", "--group", group, hello, "👍", NULL);
  g_assert_cmpstr (json_object_get_string_member (changed, "type"), ==, "reaction");
  g_assert_cmpstr (json_object_get_string_member (changed, "group"), ==, group);
  g_assert_cmpstr (json_object_get_string_member (changed, "target_id"), ==, hello);
  g_clear_pointer (&changed, json_object_unref);
  changed = run_json (test, carol, "react", "--group", group, hello, "🎉", NULL);
  g_clear_pointer (&changed, json_object_unref);
  changed = run_json (test, carol, "react", "--group", group, hello, "❤️", NULL);
  g_clear_pointer (&changed, json_object_unref);

  lines = cli_receive (test, bob);
  line = g_ptr_array_index (lines, lines->len - 1);
  g_assert_cmpstr (json_object_get_string_member (line, "type"), ==, "reaction");
  g_assert_cmpstr (json_object_get_string_member (line, "group"), ==, group);
  g_assert_cmpstr (json_object_get_string_member (line, "from"), ==, "carol");
  g_assert_cmpstr (json_object_get_string_member (line, "target_id"), ==, hello);
  g_assert_cmpstr (json_object_get_string_member (line, "emoji"), ==, "❤️");
  g_clear_pointer (&lines, g_ptr_array_unref);

  /* In text, a reaction names the text it is to. */
  result = cli_run (test, alice, "receive", "--timeout", "0", NULL);
  cli_assert_ok (result);
  g_assert_nonnull (strstr (result->out, "bob reacted 👍 to “Hello all”"));
  g_assert_null (strstr (result->out, hello));
  g_clear_pointer (&result, cli_result_free);

  reactions = cli_reactions_of (history_message (test, alice, group, hello, &history));
  g_assert_cmpstr (reactions, ==, "bob:👍 carol:❤️");

  /* Only its author edits or deletes a message, and a message of
   * another group, or none, is not there to change. */
  assert_refused (test, bob, "author", "edit", "--group", group, hello, "Hacked", NULL);
  assert_refused (test, bob, "author", "delete", "--group", group, hello, NULL);
  assert_refused (test, bob, "no such message", "react", "--group", other, hello, "👎", NULL);
  assert_refused (test, bob, "no such message", "react", "--group", group, stranger, "👎", NULL);

  changed = run_json (test, alice, "edit", "--group", group, hello, "Hello everyone", NULL);
  g_assert_cmpstr (json_object_get_string_member (changed, "type"), ==, "edit");
  g_clear_pointer (&changed, json_object_unref);
  changed = run_json (test, bob, "reply", "--group", group, hello, "Hi Alice", NULL);
  g_assert_cmpstr (json_object_get_string_member (changed, "group"), ==, group);
  g_assert_cmpstr (json_object_get_string_member (changed, "target_id"), ==, hello);
  g_clear_pointer (&changed, json_object_unref);

  lines = cli_receive (test, carol);
  line = find_line (lines, "reaction", hello);
  g_assert_cmpstr (json_object_get_string_member (line, "from"), ==, "bob");
  line = find_line (lines, "edit", hello);
  g_assert_cmpstr (json_object_get_string_member (line, "from"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (line, "text"), ==, "Hello everyone");
  line = find_line (lines, "message", hello);
  g_assert_cmpstr (json_object_get_string_member (line, "from"), ==, "bob");
  g_assert_cmpstr (json_object_get_string_member (line, "text"), ==, "Hi Alice");
  g_clear_pointer (&lines, g_ptr_array_unref);

  line = history_message (test, carol, group, hello, &history);
  g_assert_cmpstr (json_object_get_string_member (line, "text"), ==, "Hello everyone");
  g_assert_true (json_object_get_boolean_member (line, "edited"));
  g_assert_false (json_object_get_boolean_member (line, "deleted"));
  /* Each device keeps the reactions in the order they came. */
  g_clear_pointer (&reactions, g_free);
  reactions = cli_reactions_of (line);
  g_assert_cmpstr (reactions, ==, "carol:❤️ bob:👍");

  /* Deleted for everyone: its text and reactions are gone everywhere. */
  changed = run_json (test, alice, "delete", "--group", group, hello, NULL);
  g_assert_cmpstr (json_object_get_string_member (changed, "type"), ==, "delete");
  g_clear_pointer (&changed, json_object_unref);
  lines = cli_receive (test, bob);
  line = find_line (lines, "delete", hello);
  g_assert_cmpstr (json_object_get_string_member (line, "from"), ==, "alice");
  g_clear_pointer (&lines, g_ptr_array_unref);
  line = history_message (test, bob, group, hello, &history);
  g_assert_true (json_object_get_boolean_member (line, "deleted"));
  g_assert_true (json_object_get_null_member (line, "text"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (line, "reactions")), ==, 0);
  assert_refused (test, bob, "deleted", "react", "--group", group, hello, "😮", NULL);

  /* A removed member changes nothing in the group any more. */
  cli_run_ok (test, alice, "group", "remove", group, "carol", NULL);
  g_ptr_array_unref (cli_receive (test, carol));
  hello = (g_free (hello), cli_send_group (test, alice, group, "After Carol"));
  assert_refused (test, carol, "member", "react", "--group", group, hello, "👎", NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/group-actions/readable", test_readable);
  g_test_add_func ("/cli/group-actions/actions", test_actions);

  return g_test_run ();
}
