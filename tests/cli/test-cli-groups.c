/* test-cli-groups.c: groups between sotto-cli profiles
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <sqlite3.h>

#include "cli-test-util.h"
#include "sotto-group-list-private.h"
#include "sotto-group-private.h"

/* Real relay, real sotto-cli processes: three to four profiles create a
 * group, write to it, add, remove, leave and rename, change the group
 * concurrently, and see a member's key change. */

static char *
create_group (CliTest    *test,
              const char *profile,
              const char *title,
              const char *first,
              const char *second)
{
  g_autoptr(CliResult) result = NULL;
  g_autoptr(JsonObject) object = NULL;
  JsonArray *members;

  result = cli_run (test, profile, "--json", "group", "create", title, first, second, NULL);
  cli_assert_ok (result);

  object = cli_parse_object (result->out);
  g_assert_true (g_uuid_string_is_valid (json_object_get_string_member (object, "group")));
  g_assert_cmpstr (json_object_get_string_member (object, "title"), ==, title);
  members = json_object_get_array_member (object, "members");
  g_assert_cmpuint (json_array_get_length (members), ==, 3);
  g_assert_cmpstr (json_array_get_string_element (members, 1), ==, first);
  g_assert_cmpstr (json_array_get_string_element (members, 2), ==, second);

  return g_strdup (json_object_get_string_member (object, "group"));
}

static GPtrArray *
group_history (CliTest    *test,
               const char *profile,
               const char *group)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "history", "--group", group, NULL);

  cli_assert_ok (result);
  return cli_parse_lines (result->out);
}

/* The group info of @profile, as a line of text that three profiles
 * must agree on. */
static char *
group_summary (CliTest    *test,
               const char *profile,
               const char *group)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "group", "info", group, NULL);
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GString) summary = g_string_new (NULL);
  JsonArray *members;
  JsonArray *admins;

  cli_assert_ok (result);
  object = cli_parse_object (result->out);
  g_assert_cmpstr (json_object_get_string_member (object, "group"), ==, group);

  g_string_append_printf (summary, "%s v%" G_GINT64_FORMAT " members:",
                          json_object_get_string_member (object, "title"),
                          json_object_get_int_member (object, "version"));
  members = json_object_get_array_member (object, "members");
  for (guint i = 0; i < json_array_get_length (members); i++)
    g_string_append_printf (summary, " %s", json_array_get_string_element (members, i));
  g_string_append (summary, " admins:");
  admins = json_object_get_array_member (object, "admins");
  for (guint i = 0; i < json_array_get_length (admins); i++)
    g_string_append_printf (summary, " %s", json_array_get_string_element (admins, i));

  return g_string_free (g_steal_pointer (&summary), FALSE);
}

/* The group info that each of the NULL-terminated profiles after
 * @group prints alike, as group_summary() gives it. */
static char *
agreed_summary (CliTest    *test,
                const char *group,
                ...)
{
  char *agreed = NULL;
  const char *profile;
  va_list args;

  va_start (args, group);
  while ((profile = va_arg (args, const char *)) != NULL)
    {
      g_autofree char *summary = group_summary (test, profile, group);

      if (agreed == NULL)
        agreed = g_steal_pointer (&summary);
      else
        g_assert_cmpstr (summary, ==, agreed);
    }
  va_end (args);

  return agreed;
}

static void
assert_group_message (JsonObject *line,
                      const char *group,
                      const char *from,
                      const char *text)
{
  g_assert_cmpstr (json_object_get_string_member (line, "type"), ==, "message");
  g_assert_cmpstr (json_object_get_string_member (line, "group"), ==, group);
  g_assert_cmpstr (json_object_get_string_member (line, "from"), ==, from);
  g_assert_cmpstr (json_object_get_string_member (line, "text"), ==, text);
  g_assert_true (g_uuid_string_is_valid (json_object_get_string_member (line, "id")));
  g_assert_cmpint (json_object_get_int_member (line, "sent_at"), >, 0);
}

static void
assert_group_update (JsonObject *line,
                     const char *group,
                     const char *from,
                     const char *action,
                     const char *detail)
{
  g_assert_cmpstr (json_object_get_string_member (line, "type"), ==, "group-update");
  g_assert_cmpstr (json_object_get_string_member (line, "group"), ==, group);
  g_assert_cmpstr (json_object_get_string_member (line, "from"), ==, from);
  g_assert_cmpstr (json_object_get_string_member (line, "action"), ==, action);
  g_assert_cmpstr (json_object_get_string_member_with_default (line, "detail", NULL), ==, detail);
}

/* @profile's sender key for its one group, in hex, and how many members
 * it went to, read while no process has the profile open. */
static char *
own_sender_key (const char *profile,
                gint64     *n_shares)
{
  g_autofree char *path = g_build_filename (profile, "sotto.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *statement = cli_db_prepare (path, SQLITE_OPEN_READONLY,
                                            "SELECT hex (distribution_id),"
                                            " (SELECT COUNT (*) FROM group_key_shares) FROM group_own_keys",
                                            &db);
  char *key;

  g_assert_cmpint (sqlite3_step (statement), ==, SQLITE_ROW);
  key = g_strdup ((const char *) sqlite3_column_text (statement, 0));
  *n_shares = sqlite3_column_int64 (statement, 1);
  g_assert_cmpint (sqlite3_step (statement), ==, SQLITE_DONE);
  sqlite3_finalize (statement);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);

  return key;
}

/* @profile's timeline of @group shows, once, that @member's key changed. */
static void
assert_key_change_shown (CliTest    *test,
                         const char *profile,
                         const char *group,
                         const char *member)
{
  g_autoptr(GPtrArray) lines = group_history (test, profile, group);
  guint n_shown = 0;

  for (guint i = 0; i < lines->len; i++)
    {
      JsonObject *line = g_ptr_array_index (lines, i);

      if (g_str_equal (json_object_get_string_member (line, "type"), "safety-number-changed"))
        {
          g_assert_cmpstr (json_object_get_string_member (line, "from"), ==, member);
          n_shown++;
        }
    }
  g_assert_cmpuint (n_shown, ==, 1);
}

static gboolean
lines_mention (GPtrArray  *lines,
               const char *text)
{
  for (guint i = 0; i < lines->len; i++)
    {
      JsonObject *line = g_ptr_array_index (lines, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (line, "text", NULL), text) == 0)
        return TRUE;
    }

  return FALSE;
}

/* Create, message, add, remove, leave and rename, as each member sees
 * them. */
static void
test_lifecycle (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *dave = cli_register (test, "dave");
  g_autofree char *group = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(CliResult) refused = NULL;
  g_autofree char *at_alice = NULL;
  g_autofree char *at_dave = NULL;
  g_autofree char *key_before = NULL;
  g_autofree char *key_after = NULL;
  gint64 n_shares = 0;
  JsonObject *line;

  group = create_group (test, alice, "Climbing", "bob", "carol");

  /* Both learn of the group, and can read what is sent to it. */
  lines = cli_receive (test, bob);
  g_assert_cmpuint (lines->len, ==, 1);
  assert_group_update (g_ptr_array_index (lines, 0), group, "alice", "create", "Climbing");
  g_clear_pointer (&lines, g_ptr_array_unref);

  g_free (cli_send_group (test, alice, group, "Before Dave"));
  lines = cli_receive (test, carol);
  g_assert_cmpuint (lines->len, ==, 2);
  assert_group_update (g_ptr_array_index (lines, 0), group, "alice", "create", "Climbing");
  assert_group_message (g_ptr_array_index (lines, 1), group, "alice", "Before Dave");
  g_clear_pointer (&lines, g_ptr_array_unref);

  g_free (cli_send_group (test, bob, group, "Hi all"));
  lines = cli_receive (test, bob);
  g_assert_cmpuint (lines->len, ==, 1);
  assert_group_message (g_ptr_array_index (lines, 0), group, "alice", "Before Dave");
  g_clear_pointer (&lines, g_ptr_array_unref);
  lines = cli_receive (test, carol);
  g_assert_cmpuint (lines->len, ==, 1);
  assert_group_message (g_ptr_array_index (lines, 0), group, "bob", "Hi all");
  g_clear_pointer (&lines, g_ptr_array_unref);

  /* Only an admin adds; Dave joins and reads nothing sent before. */
  refused = cli_run (test, bob, "group", "add", group, "dave", NULL);
  g_assert_cmpint (refused->status, ==, 1);
  g_assert_nonnull (strstr (refused->err, "admin"));
  g_clear_pointer (&refused, cli_result_free);

  cli_run_ok (test, alice, "group", "add", group, "dave", NULL);
  lines = cli_receive (test, dave);
  g_assert_false (lines_mention (lines, "Before Dave"));
  g_assert_false (lines_mention (lines, "Hi all"));
  g_assert_cmpuint (lines->len, ==, 2);
  assert_group_update (g_ptr_array_index (lines, 0), group, "alice", "create", "Climbing");
  assert_group_update (g_ptr_array_index (lines, 1), group, "alice", "add", "dave");
  g_clear_pointer (&lines, g_ptr_array_unref);
  lines = cli_receive (test, carol);
  g_assert_cmpuint (lines->len, ==, 1);
  assert_group_update (g_ptr_array_index (lines, 0), group, "alice", "add", "dave");
  g_clear_pointer (&lines, g_ptr_array_unref);

  /* Carol is removed: she learns it, then nothing more.  Alice's next
   * message starts a new sender key, which goes to Bob and Dave only. */
  key_before = own_sender_key (alice, &n_shares);
  g_assert_cmpint (n_shares, ==, 2);
  cli_run_ok (test, alice, "group", "remove", group, "carol", NULL);
  g_free (cli_send_group (test, alice, group, "After Carol"));
  key_after = own_sender_key (alice, &n_shares);
  g_assert_cmpstr (key_after, !=, key_before);
  g_assert_cmpint (n_shares, ==, 2);
  lines = cli_receive (test, dave);
  assert_group_update (g_ptr_array_index (lines, 0), group, "alice", "remove", "carol");
  assert_group_message (g_ptr_array_index (lines, 1), group, "alice", "After Carol");
  g_clear_pointer (&lines, g_ptr_array_unref);
  g_free (cli_send_group (test, dave, group, "Dave here"));
  lines = cli_receive (test, carol);
  g_assert_cmpuint (lines->len, ==, 1);
  assert_group_update (g_ptr_array_index (lines, 0), group, "alice", "remove", "carol");
  g_clear_pointer (&lines, g_ptr_array_unref);

  refused = cli_run (test, carol, "send-group", group, "Still here?", NULL);
  g_assert_cmpint (refused->status, ==, 1);
  g_clear_pointer (&refused, cli_result_free);

  lines = cli_receive (test, bob);
  g_assert_true (lines_mention (lines, "After Carol"));
  g_assert_true (lines_mention (lines, "Dave here"));
  g_assert_false (lines_mention (lines, "Still here?"));
  g_clear_pointer (&lines, g_ptr_array_unref);

  /* Bob leaves, which anyone may; Dave may not rename, Alice may. */
  cli_run_ok (test, bob, "group", "leave", group, NULL);
  refused = cli_run (test, dave, "group", "rename", group, "Dave's", NULL);
  g_assert_cmpint (refused->status, ==, 1);
  g_clear_pointer (&refused, cli_result_free);
  lines = cli_receive (test, alice);
  line = g_ptr_array_index (lines, lines->len - 1);
  assert_group_update (line, group, "bob", "leave", NULL);
  g_clear_pointer (&lines, g_ptr_array_unref);

  cli_run_ok (test, alice, "group", "rename", group, "Bouldering", NULL);
  lines = cli_receive (test, dave);
  line = g_ptr_array_index (lines, lines->len - 1);
  assert_group_update (line, group, "alice", "rename", "Bouldering");
  g_assert_cmpstr (json_object_get_string_member (line, "title"), ==, "Bouldering");
  g_clear_pointer (&lines, g_ptr_array_unref);

  at_alice = group_summary (test, alice, group);
  at_dave = group_summary (test, dave, group);
  g_assert_cmpstr (at_alice, ==, "Bouldering v5 members: alice dave admins: alice");
  g_assert_cmpstr (at_dave, ==, at_alice);

  /* The history, as history USERNAME shows a conversation. */
  lines = group_history (test, alice, group);
  g_assert_true (lines_mention (lines, "Before Dave"));
  g_assert_true (lines_mention (lines, "After Carol"));
  line = g_ptr_array_index (lines, 0);
  assert_group_update (line, group, "alice", "create", "Climbing");
  g_assert_cmpstr (json_object_get_string_member (line, "direction"), ==, "outgoing");
}

/* group list names each group with its title and member count, and
 * group info finds a group by its exact title while only one has it.
 * Alice is in @group, "Bouldering" with three members, and Bob left it. */
static void
assert_group_list (CliTest    *test,
                   const char *group)
{
  g_autofree char *alice = cli_test_profile (test, "alice");
  g_autofree char *bob = cli_test_profile (test, "bob");
  g_autofree char *second = NULL;
  g_autoptr(CliResult) result = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(JsonObject) info = NULL;
  JsonObject *line;

  result = cli_run (test, alice, "--json", "group", "list", NULL);
  cli_assert_ok (result);
  lines = cli_parse_lines (result->out);
  g_assert_cmpuint (lines->len, ==, 1);
  line = g_ptr_array_index (lines, 0);
  g_assert_cmpstr (json_object_get_string_member (line, "group"), ==, group);
  g_assert_cmpstr (json_object_get_string_member (line, "title"), ==, "Bouldering");
  g_assert_cmpint (json_object_get_int_member (line, "member_count"), ==, 3);
  g_assert_true (json_object_get_boolean_member (line, "member"));
  g_clear_pointer (&result, cli_result_free);
  g_clear_pointer (&lines, g_ptr_array_unref);

  result = cli_run (test, bob, "group", "list", NULL);
  cli_assert_ok (result);
  g_assert_nonnull (strstr (result->out, group));
  g_assert_nonnull (strstr (result->out, "Climbing"));
  g_clear_pointer (&result, cli_result_free);

  result = cli_run (test, alice, "--json", "group", "info", "Bouldering", NULL);
  cli_assert_ok (result);
  info = cli_parse_object (result->out);
  g_assert_cmpstr (json_object_get_string_member (info, "group"), ==, group);
  g_clear_pointer (&result, cli_result_free);

  /* Two groups with that title: the title names neither. */
  second = create_group (test, alice, "Bouldering", "carol", "dave");
  result = cli_run (test, alice, "group", "info", "Bouldering", NULL);
  g_assert_cmpint (result->status, ==, 1);
  g_clear_pointer (&result, cli_result_free);
  result = cli_run (test, alice, "group", "info", "bouldering", NULL);
  g_assert_cmpint (result->status, ==, 1);
  g_clear_pointer (&result, cli_result_free);

  result = cli_run (test, alice, "group", NULL);
  g_assert_cmpint (result->status, ==, 2);
  g_clear_pointer (&result, cli_result_free);
  result = cli_run (test, alice, "group", "info", NULL);
  g_assert_cmpint (result->status, ==, 2);
  g_clear_pointer (&result, cli_result_free);
  result = cli_run (test, alice, "group", "list", "extra", NULL);
  g_assert_cmpint (result->status, ==, 1);
}

/* Updates made at once by members who had not seen each other's: every
 * current member ends with the same group. */
static void
test_concurrent (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *dave = cli_register (test, "dave");
  g_autofree char *group = NULL;
  g_autofree char *at_alice = NULL;
  g_autofree char *at_carol = NULL;
  g_autofree char *at_dave = NULL;
  g_autoptr(GPtrArray) lines = NULL;

  group = create_group (test, alice, "Climbing", "bob", "carol");
  g_ptr_array_unref (cli_receive (test, bob));
  g_ptr_array_unref (cli_receive (test, carol));

  /* Bob leaves while Alice, who has not heard, adds Dave and renames
   * the group: Bob's leave never went to Dave. */
  cli_run_ok (test, bob, "group", "leave", group, NULL);
  cli_run_ok (test, alice, "group", "add", group, "dave", NULL);
  cli_run_ok (test, alice, "group", "rename", group, "Bouldering", NULL);

  g_ptr_array_unref (cli_receive (test, carol));
  /* Alice, the admin, sends Dave what he missed. */
  g_ptr_array_unref (cli_receive (test, alice));
  lines = cli_receive (test, dave);
  g_assert_true (lines->len > 0);

  at_alice = group_summary (test, alice, group);
  at_carol = group_summary (test, carol, group);
  at_dave = group_summary (test, dave, group);
  g_assert_cmpstr (at_alice, ==, "Bouldering v3 members: alice carol dave admins: alice");
  g_assert_cmpstr (at_carol, ==, at_alice);
  g_assert_cmpstr (at_dave, ==, at_alice);
  g_clear_pointer (&lines, g_ptr_array_unref);

  assert_group_list (test, group);
}

/* A member's new key shows in the group; a verified member's holds what
 * the group sends until the user accepts it, and then it goes. */
static void
test_key_change (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *group = NULL;
  g_autofree char *number = NULL;
  g_autoptr(CliResult) held = NULL;
  g_autoptr(GPtrArray) lines = NULL;

  group = create_group (test, alice, "Climbing", "bob", "carol");
  g_ptr_array_unref (cli_receive (test, bob));
  g_ptr_array_unref (cli_receive (test, carol));

  number = cli_safety_number (test, alice, "bob", "unverified");
  cli_run_ok (test, alice, "verify", "bob", number, NULL);
  cli_run_ok (test, bob, "reset-identity", NULL);

  held = cli_run (test, alice, "send-group", group, "Is it still you?", NULL);
  g_assert_cmpint (held->status, ==, 1);
  g_assert_nonnull (strstr (held->err, "safety number"));

  assert_key_change_shown (test, alice, group, "bob");

  /* Carol got it; Bob's new key did not. */
  lines = cli_receive (test, carol);
  g_assert_true (lines_mention (lines, "Is it still you?"));
  g_clear_pointer (&lines, g_ptr_array_unref);
  lines = cli_receive (test, bob);
  g_assert_false (lines_mention (lines, "Is it still you?"));
  g_clear_pointer (&lines, g_ptr_array_unref);

  /* Once Alice accepts, the held message reaches Bob too, kept until
   * the relay took it, and once. */
  cli_run_ok (test, alice, "accept-identity", "bob", NULL);
  g_free (cli_send_group (test, alice, group, "Accepted"));
  lines = cli_receive (test, bob);
  g_assert_true (lines_mention (lines, "Is it still you?"));
  g_assert_true (lines_mention (lines, "Accepted"));
  g_clear_pointer (&lines, g_ptr_array_unref);
  cli_run_ok (test, alice, "group", "info", group, NULL);
  lines = cli_receive (test, bob);
  g_assert_false (lines_mention (lines, "Is it still you?"));
}

/* The index in @lines of the first line of @type, from @from when not
 * %NULL, or of the first that says @text. */
static guint
find_line (GPtrArray  *lines,
           const char *type,
           const char *from,
           const char *text)
{
  for (guint i = 0; i < lines->len; i++)
    {
      JsonObject *line = g_ptr_array_index (lines, i);

      if (text != NULL && g_strcmp0 (json_object_get_string_member_with_default (line, "text", NULL), text) == 0)
        return i;
      if (type != NULL && g_strcmp0 (json_object_get_string_member_with_default (line, "type", NULL), type) == 0
          && (from == NULL || g_strcmp0 (json_object_get_string_member_with_default (line, "from", NULL), from) == 0))
        return i;
    }

  g_assert_not_reached ();
}

/* A member's key change comes before the messages it sent under the
 * new key in the others' group timelines, although they learn of it
 * only on receipt, after the messages were sent: it takes the place of
 * the message that brought the key. */
static void
test_key_change_order (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *group = NULL;
  g_autoptr(GPtrArray) lines = NULL;

  group = create_group (test, alice, "Climbing", "bob", "carol");
  g_ptr_array_unref (cli_receive (test, bob));
  g_ptr_array_unref (cli_receive (test, carol));
  g_free (cli_send_group (test, bob, group, "Before my reset"));
  g_ptr_array_unref (cli_receive (test, carol));

  cli_run_ok (test, bob, "reset-identity", NULL);
  cli_send_ok (test, bob, "alice", "New key, same Bob");
  cli_send_ok (test, bob, "carol", "New key, same Bob");
  g_free (cli_send_group (test, bob, group, "After my reset"));
  g_ptr_array_unref (cli_receive (test, carol));

  assert_key_change_shown (test, carol, group, "bob");
  lines = group_history (test, carol, group);
  g_assert_cmpuint (find_line (lines, NULL, NULL, "Before my reset"), <,
                    find_line (lines, "safety-number-changed", "bob", NULL));
  g_assert_cmpuint (find_line (lines, "safety-number-changed", "bob", NULL), <,
                    find_line (lines, NULL, NULL, "After my reset"));
}

/* The whole of @profile's group info --json, which every current member
 * must print alike. */
static char *
group_info_json (CliTest    *test,
                 const char *profile,
                 const char *group)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "group", "info", group, NULL);

  cli_assert_ok (result);
  return g_strdup (result->out);
}

/* Runs @sql, which changes the schema, on @profile's database while no
 * process has it open. */
static void
change_schema (const char *profile,
               const char *sql)
{
  g_autofree char *path = g_build_filename (profile, "sotto.db", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

/* The catch-up an admin keeps for a member whose key changed is kept in
 * the transaction that received the new key, or not at all: when the
 * store cannot keep it (a trigger makes SQLite refuse), the message that
 * brought the key waits at the relay, and the next receive shows the
 * change and catches the member up. */
static void
test_key_change_kept (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *group = NULL;
  g_autofree char *at_alice = NULL;
  g_autofree char *at_bob = NULL;
  g_autoptr(CliResult) refused = NULL;
  g_autoptr(GPtrArray) lines = NULL;

  group = create_group (test, alice, "Climbing", "bob", "carol");
  g_ptr_array_unref (cli_receive (test, carol));

  /* Bob loses his key before the group reached him. */
  cli_run_ok (test, bob, "reset-identity", NULL);
  g_ptr_array_unref (cli_receive (test, bob));
  cli_send_ok (test, bob, "alice", "New key, same Bob");

  change_schema (alice, "CREATE TRIGGER refuse_deliveries BEFORE INSERT ON group_deliveries"
                        " BEGIN SELECT RAISE (ABORT, 'refused by the test'); END;");
  refused = cli_run (test, alice, "--json", "receive", NULL);
  change_schema (alice, "DROP TRIGGER refuse_deliveries;");

  lines = cli_receive (test, alice);
  g_assert_true (lines_mention (lines, "New key, same Bob"));
  g_clear_pointer (&lines, g_ptr_array_unref);
  assert_key_change_shown (test, alice, group, "bob");

  g_ptr_array_unref (cli_receive (test, bob));
  at_alice = group_info_json (test, alice, group);
  at_bob = group_info_json (test, bob, group);
  g_assert_cmpstr (at_bob, ==, at_alice);
}

/* A member resets their identity while the admin's removal of another
 * and renaming of the group wait for it under the old key, which then
 * opens nothing: once the
 * others accept the new one the member is caught up on the new session
 * and every current member agrees; the removed member reads nothing
 * sent after.  Carol was verified by Bob, whose catch-up waits until he
 * accepts her new key. */
static void
test_identity_reset (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *dave = cli_register (test, "dave");
  g_autofree char *group = NULL;
  g_autofree char *number = NULL;
  g_autofree char *at_alice = NULL;
  g_autofree char *at_bob = NULL;
  g_autofree char *at_carol = NULL;
  g_autoptr(GPtrArray) lines = NULL;

  group = create_group (test, alice, "Climbing", "bob", "carol");
  cli_run_ok (test, alice, "group", "add", group, "dave", NULL);
  g_ptr_array_unref (cli_receive (test, bob));
  g_ptr_array_unref (cli_receive (test, carol));
  g_ptr_array_unref (cli_receive (test, dave));
  g_free (cli_send_group (test, bob, group, "Hello from Bob"));
  g_ptr_array_unref (cli_receive (test, carol));
  number = cli_safety_number (test, bob, "carol", "unverified");
  cli_run_ok (test, bob, "verify", "carol", number, NULL);

  /* The changes wait at the relay under Carol's old key when she
   * resets it. */
  cli_run_ok (test, alice, "group", "remove", group, "dave", NULL);
  cli_run_ok (test, alice, "group", "rename", group, "Bouldering", NULL);
  cli_run_ok (test, carol, "reset-identity", NULL);
  g_ptr_array_unref (cli_receive (test, carol));
  g_ptr_array_unref (cli_receive (test, dave));

  /* Carol writes to both with her new key: Alice, who never verified
   * her, takes it and shows it; Bob holds until he accepts. */
  cli_send_ok (test, carol, "alice", "New key, same Carol");
  cli_send_ok (test, carol, "bob", "New key, same Carol");
  g_ptr_array_unref (cli_receive (test, alice));
  g_ptr_array_unref (cli_receive (test, bob));
  assert_key_change_shown (test, alice, group, "carol");
  cli_run_ok (test, bob, "accept-identity", "carol", NULL);
  cli_run_ok (test, bob, "group", "info", group, NULL);

  g_free (cli_send_group (test, alice, group, "After Dave"));
  g_ptr_array_unref (cli_receive (test, carol));
  g_ptr_array_unref (cli_receive (test, bob));

  at_alice = group_info_json (test, alice, group);
  at_bob = group_info_json (test, bob, group);
  at_carol = group_info_json (test, carol, group);
  g_assert_nonnull (strstr (at_alice, "\"Bouldering\""));
  g_assert_null (strstr (at_alice, "\"dave\""));
  g_assert_cmpstr (at_bob, ==, at_alice);
  g_assert_cmpstr (at_carol, ==, at_alice);

  lines = group_history (test, carol, group);
  g_assert_true (lines_mention (lines, "After Dave"));
  g_clear_pointer (&lines, g_ptr_array_unref);
  lines = cli_receive (test, dave);
  g_assert_false (lines_mention (lines, "After Dave"));
  g_clear_pointer (&lines, g_ptr_array_unref);
  lines = group_history (test, dave, group);
  g_assert_false (lines_mention (lines, "After Dave"));
}

/* A change the relay could not take is kept, and goes once it is back:
 * the next group command sends it. */
static void
test_relay_down (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *group = NULL;
  g_autofree char *at_alice = NULL;
  g_autofree char *at_bob = NULL;
  g_autoptr(CliResult) offline = NULL;
  g_autoptr(GPtrArray) lines = NULL;

  group = create_group (test, alice, "Climbing", "bob", "carol");
  g_ptr_array_unref (cli_receive (test, bob));

  cli_relay_kill (test->relay);
  offline = cli_run (test, alice, "group", "rename", group, "Bouldering", NULL);
  g_assert_cmpint (offline->status, ==, 1);
  cli_relay_restart (test->relay);

  cli_run_ok (test, alice, "group", "info", group, NULL);
  lines = cli_receive (test, bob);
  g_assert_cmpuint (lines->len, ==, 1);
  assert_group_update (g_ptr_array_index (lines, 0), group, "alice", "rename", "Bouldering");

  g_clear_pointer (&lines, g_ptr_array_unref);
  lines = cli_receive (test, carol);
  g_assert_cmpuint (lines->len, ==, 2);
  assert_group_update (g_ptr_array_index (lines, 1), group, "alice", "rename", "Bouldering");

  at_alice = group_summary (test, alice, group);
  at_bob = group_summary (test, bob, group);
  g_assert_cmpstr (at_alice, ==, "Bouldering v2 members: alice bob carol admins: alice");
  g_assert_cmpstr (at_bob, ==, at_alice);
}

/* The unread count of @profile's one group, as group list prints it. */
static gint64
group_unread (CliTest    *test,
              const char *profile)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "group", "list", NULL);
  g_autoptr(GPtrArray) lines = NULL;

  cli_assert_ok (result);
  lines = cli_parse_lines (result->out);
  g_assert_cmpuint (lines->len, ==, 1);
  return json_object_get_int_member (g_ptr_array_index (lines, 0), "unread");
}

/* Members' messages are unread until the user reads them, up to one of
 * them or all; changes and one's own messages are never unread, and the
 * count outlives the process. */
static void
test_unread (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *group = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(CliResult) result = NULL;
  g_autoptr(JsonObject) object = NULL;
  const char *second_id;

  group = create_group (test, alice, "Climbing", "bob", "carol");
  g_ptr_array_unref (cli_receive (test, bob));
  g_assert_cmpint (group_unread (test, bob), ==, 0);

  g_free (cli_send_group (test, alice, group, "One"));
  g_free (cli_send_group (test, alice, group, "Two"));
  g_free (cli_send_group (test, alice, group, "Three"));
  /* Every group command takes the group's exact title, as group info does. */
  result = cli_run (test, bob, "--json", "send-group", "Climbing", "Mine", NULL);
  cli_assert_ok (result);
  object = cli_parse_object (result->out);
  g_assert_cmpstr (json_object_get_string_member (object, "group"), ==, group);
  g_clear_pointer (&result, cli_result_free);
  g_clear_pointer (&object, json_object_unref);
  lines = cli_receive (test, bob);
  g_assert_cmpuint (lines->len, ==, 3);
  second_id = json_object_get_string_member (g_ptr_array_index (lines, 1), "id");
  g_assert_cmpint (group_unread (test, bob), ==, 3);
  g_assert_cmpint (group_unread (test, alice), ==, 0);

  result = cli_run (test, bob, "--json", "group", "read", group, second_id, NULL);
  cli_assert_ok (result);
  object = cli_parse_object (result->out);
  g_assert_cmpint (json_object_get_int_member (object, "unread"), ==, 1);
  g_clear_pointer (&result, cli_result_free);
  g_assert_cmpint (group_unread (test, bob), ==, 1);

  result = cli_run (test, bob, "group", "read", group, "no-such-message", NULL);
  g_assert_cmpint (result->status, ==, 1);
  g_clear_pointer (&result, cli_result_free);
  g_assert_cmpint (group_unread (test, bob), ==, 1);

  cli_run_ok (test, bob, "group", "read", "Climbing", NULL);
  g_assert_cmpint (group_unread (test, bob), ==, 0);

  /* Carol's count is her own: every member's message. */
  g_ptr_array_unref (cli_receive (test, carol));
  g_assert_cmpint (group_unread (test, carol), ==, 4);
}

/* Alice makes Bob an admin, renames the group twice and removes him.
 * Bob, who has not heard of any of it, removes Alice, adds Dave and
 * renames the group: his updates come after his promotion and claim
 * nothing later, as a removed admin's made-up ones would, and sort
 * before Alice's removal of him.  Alice's removal wins over them:
 * Alice, Carol and Bob himself end with Alice's group, and what Alice
 * sends next reaches Carol alone, not Bob nor Dave (who has only Bob's
 * word for being in the group). */
static void
test_removed_admin (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *dave = cli_register (test, "dave");
  g_autofree char *group = NULL;
  g_autofree char *at_alice = NULL;
  g_autofree char *at_carol = NULL;
  g_autofree char *at_bob = NULL;
  g_autoptr(GPtrArray) lines = NULL;

  group = create_group (test, alice, "Climbing", "bob", "carol");
  cli_run_ok (test, alice, "group", "promote", group, "bob", NULL);
  g_ptr_array_unref (cli_receive (test, bob));

  cli_run_ok (test, alice, "group", "rename", group, "Bouldering", NULL);
  cli_run_ok (test, alice, "group", "rename", group, "Crag", NULL);
  cli_run_ok (test, alice, "group", "remove", group, "bob", NULL);
  cli_run_ok (test, bob, "group", "remove", group, "alice", NULL);
  cli_run_ok (test, bob, "group", "add", group, "dave", NULL);
  cli_run_ok (test, bob, "group", "rename", group, "Taken over", NULL);

  g_ptr_array_unref (cli_receive (test, carol));
  g_ptr_array_unref (cli_receive (test, alice));
  g_ptr_array_unref (cli_receive (test, bob));
  g_ptr_array_unref (cli_receive (test, dave));

  at_alice = group_summary (test, alice, group);
  at_carol = group_summary (test, carol, group);
  g_assert_cmpstr (at_alice, ==, "Crag v5 members: alice carol admins: alice");
  g_assert_cmpstr (at_carol, ==, at_alice);
  at_bob = group_summary (test, bob, group);
  g_assert_cmpstr (at_bob, ==, at_alice);

  g_free (cli_send_group (test, alice, group, "Alice's group still"));
  lines = cli_receive (test, carol);
  g_assert_true (lines_mention (lines, "Alice's group still"));
  g_clear_pointer (&lines, g_ptr_array_unref);
  lines = cli_receive (test, bob);
  g_assert_false (lines_mention (lines, "Alice's group still"));
  g_clear_pointer (&lines, g_ptr_array_unref);
  lines = cli_receive (test, dave);
  g_assert_false (lines_mention (lines, "Alice's group still"));
}

/* A dishonest admin's client: @profile's own engine, driven by the test
 * rather than by sotto-cli, which makes up updates in other members'
 * names (signed with the only key it has, its own) and sends them as a
 * history of the group to whoever it likes. */
typedef struct
{
  SottoStore *store;
  SottoMessenger *messenger;
  SottoGroupState *state;
} Forger;

static void
forger_free (Forger *forger)
{
  g_clear_pointer (&forger->state, _sotto_group_state_free);
  g_clear_object (&forger->messenger);
  cli_close_store (g_steal_pointer (&forger->store));
  g_free (forger);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Forger, forger_free)

static Forger *
forger_open (const char *profile,
             const char *group)
{
  Forger *forger = g_new0 (Forger, 1);
  g_autoptr(GAsyncResult) loaded = NULL;
  g_autoptr(GError) error = NULL;
  SottoGroupList *groups;

  forger->store = cli_open_store (profile);
  forger->messenger = cli_load_messenger (forger->store);
  groups = sotto_messenger_get_groups (forger->messenger);
  sotto_group_list_load_async (groups, NULL, cli_result_cb, &loaded);
  cli_wait_for (&loaded);
  g_assert_true (sotto_group_list_load_finish (groups, loaded, &error));
  g_assert_no_error (error);
  forger->state = _sotto_group_state_copy (_sotto_group_get_state (sotto_group_list_find (groups, group)));

  return forger;
}

/* The account UUID of @username, as @forger's profile knows it. */
static char *
forger_uuid (Forger     *forger,
             const char *username)
{
  g_autoptr(GAsyncResult) found = NULL;
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;

  sotto_messenger_open_conversation_async (forger->messenger, username, NULL, cli_result_cb, &found);
  cli_wait_for (&found);
  conversation = sotto_messenger_open_conversation_finish (forger->messenger, found, &error);
  g_assert_no_error (error);

  return g_strdup (sotto_contact_get_uuid (sotto_conversation_get_contact (conversation)));
}

/* Makes up an update by @author after the updates of @history, a
 * history of the group @group_id, about @target (with the forger's own
 * key when it lets @target in), signs it with the forger's key and adds
 * it to @history. */
static void
forger_make_up (Forger           *forger,
                GPtrArray        *history,
                const char       *group_id,
                SottoGroupAction  action,
                const char       *author,
                const char       *title,
                const char       *target)
{
  const SpKeyPair *identity = sotto_account_get_identity_key_pair (sotto_messenger_get_account (forger->messenger));
  g_autoptr(SottoGroupState) state = _sotto_group_state_new (group_id);
  SottoGroupUpdate *update = _sotto_group_update_new (action, 1, author, g_get_real_time () / 1000, title);

  _sotto_group_state_merge (state, history);
  _sotto_group_state_follow (state, update);
  if (target != NULL)
    {
      SottoGroupMember *member = _sotto_group_member_new (target, NULL, FALSE);

      if (action == SOTTO_GROUP_ACTION_ADD)
        _sotto_group_member_set_identity (member, identity->public_key.bytes);
      g_ptr_array_add (update->members, member);
    }
  _sotto_group_update_sign (update, group_id, &identity->private_key);
  g_ptr_array_add (history, update);
}

/* Sends @history's updates to @username as the group's history, inside
 * the forger's 1:1 session with it; returns once the relay has it. */
static void
forger_send (Forger     *forger,
             const char *username,
             const char *group_id,
             GPtrArray  *history)
{
  g_autofree char *uuid = forger_uuid (forger, username);
  g_autofree char *id = g_uuid_string_random ();
  g_autoptr(SottoContent) content = NULL;
  g_autoptr(GBytes) plaintext = NULL;
  g_autoptr(GAsyncResult) sent = NULL;
  g_autoptr(GError) error = NULL;
  SottoGroupList *groups = sotto_messenger_get_groups (forger->messenger);

  content = sotto_content_new_group_update (id, g_get_real_time () / 1000, NULL, group_id, history);
  plaintext = sotto_content_encode (content);
  _sotto_group_list_deliver_async (groups, uuid, username, plaintext, content->timestamp, cli_result_cb, &sent);
  cli_wait_for (&sent);
  g_assert_true (_sotto_group_list_deliver_finish (groups, sent, &error));
  g_assert_no_error (error);
}

/* Bob, an admin, is dishonest.  He catches Alice up on a history into
 * which he put Carol leaving and Alice removing Carol, and before Alice
 * adds Dave he gives Dave a continuation of the group's creation in
 * which Alice adds Dave and renames the group.  Neither counts: Carol
 * stays for everyone, and Dave joins Alice's group once she adds him. */
static void
test_dishonest_admin (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *dave = cli_register (test, "dave");
  g_autofree char *group = NULL;
  g_autofree char *at_alice = NULL;
  g_autofree char *agreed = NULL;
  g_autoptr(GPtrArray) lines = NULL;

  group = create_group (test, alice, "Climbing", "bob", "carol");
  cli_run_ok (test, alice, "group", "promote", group, "bob", NULL);
  g_ptr_array_unref (cli_receive (test, bob));
  g_ptr_array_unref (cli_receive (test, carol));

  {
    g_autoptr(Forger) forger = forger_open (bob, group);
    g_autofree char *alice_uuid = forger_uuid (forger, "alice");
    g_autofree char *carol_uuid = forger_uuid (forger, "carol");
    g_autofree char *dave_uuid = forger_uuid (forger, "dave");
    g_autoptr(GPtrArray) catch_up = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_update_free);
    g_autoptr(GPtrArray) continuation = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_update_free);

    for (guint i = 0; i < forger->state->history->len; i++)
      g_ptr_array_add (catch_up, _sotto_group_update_copy (g_ptr_array_index (forger->state->history, i)));
    forger_make_up (forger, catch_up, group, SOTTO_GROUP_ACTION_LEAVE, carol_uuid, NULL, NULL);
    forger_make_up (forger, catch_up, group, SOTTO_GROUP_ACTION_REMOVE, alice_uuid, NULL, carol_uuid);
    forger_send (forger, "alice", group, catch_up);

    g_ptr_array_add (continuation, _sotto_group_update_copy (g_ptr_array_index (forger->state->history, 0)));
    forger_make_up (forger, continuation, group, SOTTO_GROUP_ACTION_ADD, alice_uuid, NULL, dave_uuid);
    forger_make_up (forger, continuation, group, SOTTO_GROUP_ACTION_RENAME, alice_uuid, "Bob's", NULL);
    forger_send (forger, "dave", group, continuation);
  }

  g_ptr_array_unref (cli_receive (test, alice));
  g_ptr_array_unref (cli_receive (test, dave));
  at_alice = group_summary (test, alice, group);
  g_assert_cmpstr (at_alice, ==, "Climbing v2 members: alice bob carol admins: alice bob");
  lines = group_history (test, alice, group);
  for (guint i = 0; i < lines->len; i++)
    {
      const char *action = json_object_get_string_member_with_default (g_ptr_array_index (lines, i), "action", "");

      g_assert_cmpstr (action, !=, "leave");
      g_assert_cmpstr (action, !=, "remove");
    }
  g_clear_pointer (&lines, g_ptr_array_unref);

  cli_run_ok (test, alice, "group", "add", group, "dave", NULL);
  g_ptr_array_unref (cli_receive (test, carol));
  g_ptr_array_unref (cli_receive (test, dave));
  agreed = agreed_summary (test, group, alice, carol, dave, NULL);
  g_assert_cmpstr (agreed, ==, "Climbing v3 members: alice bob carol dave admins: alice bob");
}

/* Bob, an admin, resets his identity.  His device makes no change to the
 * group until an admin recorded his new key; Alice's device does that
 * once Bob writes to her, and every member shows it.  Then his rename
 * counts everywhere, also for Dave, who joins afterwards and checks the
 * whole history, Bob's updates under his old key included. */
static void
test_reset_then_act (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *dave = cli_register (test, "dave");
  g_autofree char *group = NULL;
  g_autofree char *agreed = NULL;
  g_autoptr(CliResult) early = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  gboolean recorded = FALSE;

  group = create_group (test, alice, "Climbing", "bob", "carol");
  cli_run_ok (test, alice, "group", "promote", group, "bob", NULL);
  g_ptr_array_unref (cli_receive (test, bob));
  g_ptr_array_unref (cli_receive (test, carol));
  cli_run_ok (test, bob, "group", "rename", group, "Bouldering", NULL);
  g_ptr_array_unref (cli_receive (test, alice));
  g_ptr_array_unref (cli_receive (test, carol));

  cli_run_ok (test, bob, "reset-identity", NULL);
  early = cli_run (test, bob, "group", "rename", group, "Too early", NULL);
  g_assert_cmpint (early->status, ==, 1);
  g_assert_nonnull (strstr (early->err, "safety number"));

  cli_send_ok (test, bob, "alice", "New key, same Bob");
  cli_send_ok (test, bob, "carol", "New key, same Bob");
  g_ptr_array_unref (cli_receive (test, alice));
  g_ptr_array_unref (cli_receive (test, carol));
  g_ptr_array_unref (cli_receive (test, bob));
  lines = group_history (test, carol, group);
  for (guint i = 0; i < lines->len; i++)
    recorded |= g_strcmp0 (json_object_get_string_member_with_default (g_ptr_array_index (lines, i), "action", NULL),
                           "key") == 0;
  g_assert_true (recorded);
  g_clear_pointer (&lines, g_ptr_array_unref);

  cli_run_ok (test, bob, "group", "rename", group, "After the reset", NULL);
  g_ptr_array_unref (cli_receive (test, alice));
  cli_run_ok (test, alice, "group", "add", group, "dave", NULL);
  g_ptr_array_unref (cli_receive (test, carol));
  g_ptr_array_unref (cli_receive (test, dave));
  g_ptr_array_unref (cli_receive (test, bob));

  agreed = agreed_summary (test, group, alice, bob, carol, dave, NULL);
  g_assert_cmpstr (agreed, ==, "After the reset v6 members: alice bob carol dave admins: alice bob");
}

/* A group an earlier Sotto stored, before updates were signed, no
 * longer decodes: it stays in Alice's group list, outdated, under the
 * title its timeline last named, and sending to it says to create it
 * again.  Its history here is one that no Sotto of today decodes: a
 * rename that names no parents. */
static void
test_earlier_build (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *group = g_uuid_string_random ();
  g_autoptr(SottoGroupState) earlier = _sotto_group_state_new (group);
  g_autoptr(SottoGroupEvent) created = NULL;
  g_autoptr(CliResult) listed = NULL;
  g_autoptr(CliResult) refused = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CliWhoami) whoami = cli_whoami (test, alice, "alice");
  SottoGroupUpdate *create = _sotto_group_update_new (SOTTO_GROUP_ACTION_CREATE, 1, whoami->uuid, 1767225600000,
                                                      "Old climbers");
  SottoGroupUpdate *rename = _sotto_group_update_new (SOTTO_GROUP_ACTION_RENAME, 2, whoami->uuid, 1767225600001,
                                                      "Older climbers");
  SottoStore *store;
  gint64 row = 0;

  g_ptr_array_add (create->members, _sotto_group_member_new (whoami->uuid, "alice", TRUE));
  _sotto_group_update_seal (create);
  _sotto_group_update_seal (rename);
  g_ptr_array_add (earlier->history, create);
  g_ptr_array_add (earlier->history, rename);
  created = sotto_group_event_new (SOTTO_GROUP_EVENT_UPDATE, "created", TRUE, whoami->uuid, "alice", "create",
                                   "Old climbers", 1767225600000);
  store = cli_open_store (alice);
  g_assert_true (_sotto_store_save_group (store, earlier, &row, &error));
  g_assert_no_error (error);
  g_assert_true (_sotto_store_add_group_event (store, row, created, &error));
  g_assert_no_error (error);
  cli_close_store (store);

  listed = cli_run (test, alice, "--json", "group", "list", NULL);
  cli_assert_ok (listed);
  object = cli_parse_object (listed->out);
  g_assert_cmpstr (json_object_get_string_member (object, "group"), ==, group);
  g_assert_cmpstr (json_object_get_string_member (object, "title"), ==, "Old climbers");
  g_assert_true (json_object_get_boolean_member (object, "outdated"));
  g_assert_false (json_object_get_boolean_member (object, "member"));

  refused = cli_run (test, alice, "send-group", group, "Still here?", NULL);
  g_assert_cmpint (refused->status, !=, 0);
  g_assert_nonnull (strstr (refused->err, "create it again"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/groups/lifecycle", test_lifecycle);
  g_test_add_func ("/cli/groups/concurrent", test_concurrent);
  g_test_add_func ("/cli/groups/key-change", test_key_change);
  g_test_add_func ("/cli/groups/relay-down", test_relay_down);
  g_test_add_func ("/cli/groups/identity-reset", test_identity_reset);
  g_test_add_func ("/cli/groups/unread", test_unread);
  g_test_add_func ("/cli/groups/removed-admin", test_removed_admin);
  g_test_add_func ("/cli/groups/key-change-order", test_key_change_order);
  g_test_add_func ("/cli/groups/key-change-kept", test_key_change_kept);
  g_test_add_func ("/cli/groups/dishonest-admin", test_dishonest_admin);
  g_test_add_func ("/cli/groups/reset-then-act", test_reset_then_act);
  g_test_add_func ("/cli/groups/earlier-build", test_earlier_build);

  return g_test_run ();
}
