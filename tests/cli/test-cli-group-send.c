/* test-cli-group-send.c: group messages written while the relay is down
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "cli-test-util.h"

/* Real relay, real sotto-cli processes, each a restart of its profile:
 * a message written to a group while the relay is stopped says it was
 * not sent, waits in the profile through later commands, and reaches
 * every member exactly once when the relay is back; a key change learnt
 * with it sorts before it; a member who was removed is told so. */

/* @alice makes the group "Climbing" with Bob and Carol, who both have
 * it then; returns its id. */
static char *
start_group (CliTest    *test,
             const char *alice,
             const char *bob,
             const char *carol)
{
  g_autoptr(CliResult) result = NULL;
  g_autoptr(JsonObject) object = NULL;

  result = cli_run (test, alice, "--json", "group", "create", "Climbing", "bob", "carol", NULL);
  cli_assert_ok (result);
  object = cli_parse_object (result->out);
  g_ptr_array_unref (cli_receive (test, bob));
  g_ptr_array_unref (cli_receive (test, carol));

  return g_strdup (json_object_get_string_member (object, "group"));
}

/* The line of @profile's history of @group for the message @id. */
static JsonObject *
history_line (CliTest    *test,
              const char *profile,
              const char *group,
              const char *id)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "history", "--group", group, NULL);
  g_autoptr(GPtrArray) lines = NULL;

  cli_assert_ok (result);
  lines = cli_parse_lines (result->out);
  for (guint i = 0; i < lines->len; i++)
    {
      JsonObject *line = g_ptr_array_index (lines, i);

      if (g_strcmp0 (json_object_get_string_member (line, "id"), id) == 0)
        return json_object_ref (line);
    }

  g_assert_not_reached ();
}

/* The members a message of @profile's waits for, as history says. */
static char *
pending_of (JsonObject *line)
{
  g_autoptr(GString) joined = g_string_new (NULL);
  JsonArray *pending;

  if (!json_object_has_member (line, "pending"))
    return g_strdup ("");

  pending = json_object_get_array_member (line, "pending");
  for (guint i = 0; i < json_array_get_length (pending); i++)
    g_string_append_printf (joined, "%s%s", i > 0 ? " " : "", json_array_get_string_element (pending, i));

  return g_string_free (g_steal_pointer (&joined), FALSE);
}

static void
assert_state (CliTest    *test,
              const char *profile,
              const char *group,
              const char *id,
              const char *state,
              const char *pending)
{
  g_autoptr(JsonObject) line = history_line (test, profile, group, id);
  g_autofree char *waiting = pending_of (line);

  g_assert_cmpstr (json_object_get_string_member (line, "direction"), ==, "outgoing");
  g_assert_cmpstr (json_object_get_string_member (line, "state"), ==, state);
  g_assert_cmpstr (waiting, ==, pending);
}

/* How many times @profile's receive printed the text @text from the
 * group @group, and nothing else. */
static guint
count_received (CliTest    *test,
                const char *profile,
                const char *group,
                const char *text)
{
  g_autoptr(GPtrArray) lines = cli_receive (test, profile);
  guint n = 0;

  for (guint i = 0; i < lines->len; i++)
    {
      JsonObject *line = g_ptr_array_index (lines, i);

      g_assert_cmpstr (json_object_get_string_member (line, "group"), ==, group);
      g_assert_cmpstr (json_object_get_string_member (line, "text"), ==, text);
      n++;
    }

  return n;
}

/* A message sent to a group while the relay is stopped: send-group says
 * it is kept, not sent, and exits 1; the message waits through a later
 * command that cannot reach the relay either, and goes once it is back,
 * with the next group command; every member gets it once, and it is
 * sent.  A second one goes with the next receive, which flushes. */
static void
test_relay_down (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *group = NULL;
  g_autoptr(CliResult) offline = NULL;
  g_autoptr(CliResult) still = NULL;
  g_autoptr(JsonObject) sent = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autofree char *id = NULL;

  group = start_group (test, alice, bob, carol);

  cli_relay_stop (test->relay);
  offline = cli_run (test, alice, "--json", "send-group", group, "While it was down", NULL);
  g_assert_cmpint (offline->status, ==, 1);
  g_assert_nonnull (strstr (offline->err, "kept in the outbox"));
  g_assert_null (strstr (offline->out, "Sent"));
  sent = cli_parse_object (offline->out);
  id = g_strdup (json_object_get_string_member (sent, "id"));
  g_assert_cmpstr (json_object_get_string_member (sent, "state"), ==, "queued");
  assert_state (test, alice, group, id, "queued", "bob carol");

  /* Another process, as offline: it stays queued. */
  still = cli_run (test, alice, "group", "info", group, NULL);
  cli_assert_ok (still);
  assert_state (test, alice, group, id, "queued", "bob carol");

  cli_relay_restart (test->relay);
  cli_run_ok (test, alice, "group", "info", group, NULL);
  assert_state (test, alice, group, id, "sent", "");
  g_assert_cmpuint (count_received (test, bob, group, "While it was down"), ==, 1);
  g_assert_cmpuint (count_received (test, carol, group, "While it was down"), ==, 1);

  /* Nothing goes twice. */
  cli_run_ok (test, alice, "group", "info", group, NULL);
  cli_run_ok (test, alice, "receive", "--timeout", "0", NULL);
  g_assert_cmpuint (count_received (test, bob, group, NULL), ==, 0);

  /* receive sends what waits, as for 1:1 messages. */
  cli_relay_stop (test->relay);
  g_clear_pointer (&offline, cli_result_free);
  offline = cli_run (test, alice, "--json", "send-group", group, "Second", NULL);
  g_assert_cmpint (offline->status, ==, 1);
  second = cli_parse_object (offline->out);
  cli_relay_restart (test->relay);
  cli_run_ok (test, alice, "receive", "--timeout", "0", NULL);
  assert_state (test, alice, group, json_object_get_string_member (second, "id"), "sent", "");
  g_assert_cmpuint (count_received (test, bob, group, "Second"), ==, 1);
  g_assert_cmpuint (count_received (test, carol, group, "Second"), ==, 1);

  /* And one sent while the relay is up is sent at once. */
  g_clear_pointer (&sent, json_object_unref);
  g_clear_pointer (&offline, cli_result_free);
  offline = cli_run (test, alice, "--json", "send-group", group, "Online", NULL);
  cli_assert_ok (offline);
  sent = cli_parse_object (offline->out);
  g_assert_cmpstr (json_object_get_string_member (sent, "state"), ==, "sent");
  g_assert_false (json_object_has_member (sent, "pending"));
}

/* A member who reset their identity writes to the group while the relay
 * is down; the others learn the new key from the sender key that comes
 * with it, when the relay is back, and show the key change where the
 * message was written: before it, not when it arrived. */
static void
test_key_change_stamp (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *group = NULL;
  g_autoptr(CliResult) offline = NULL;
  g_autoptr(CliResult) history = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  gint64 changed_at = 0;
  gint64 written_at = 0;
  gint changed = -1;
  gint written = -1;

  group = start_group (test, alice, bob, carol);
  g_free (cli_send_group (test, carol, group, "Before"));
  g_ptr_array_unref (cli_receive (test, alice));

  cli_run_ok (test, carol, "reset-identity", NULL);
  cli_relay_stop (test->relay);
  offline = cli_run (test, carol, "send-group", group, "New key", NULL);
  g_assert_cmpint (offline->status, ==, 1);
  /* The sender key goes out well after the message was written. */
  g_usleep (1500 * G_TIME_SPAN_MILLISECOND);
  cli_relay_restart (test->relay);
  cli_run_ok (test, carol, "group", "info", group, NULL);
  g_ptr_array_unref (cli_receive (test, alice));

  history = cli_run (test, alice, "--json", "history", "--group", group, NULL);
  cli_assert_ok (history);
  lines = cli_parse_lines (history->out);
  for (guint i = 0; i < lines->len; i++)
    {
      JsonObject *line = g_ptr_array_index (lines, i);

      if (g_str_equal (json_object_get_string_member (line, "type"), "safety-number-changed"))
        {
          changed = (gint) i;
          changed_at = json_object_get_int_member (line, "sent_at");
        }
      else if (g_strcmp0 (json_object_get_string_member_with_default (line, "text", NULL), "New key") == 0)
        {
          written = (gint) i;
          written_at = json_object_get_int_member (line, "sent_at");
        }
    }
  g_assert_cmpint (changed, >=, 0);
  g_assert_cmpint (written, ==, changed + 1);
  g_assert_cmpint (changed_at, <, written_at);
  g_assert_cmpint (written_at - changed_at, <, 1000);
}

/* A member removed from the group is told so in one sentence, and
 * nothing is stored or sent. */
static void
test_removed (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *group = NULL;
  g_autoptr(CliResult) refused = NULL;

  group = start_group (test, alice, bob, carol);
  cli_run_ok (test, alice, "group", "remove", group, "bob", NULL);
  g_ptr_array_unref (cli_receive (test, bob));
  g_ptr_array_unref (cli_receive (test, carol));

  refused = cli_run (test, bob, "send-group", group, "Still here?", NULL);
  g_assert_cmpint (refused->status, ==, 1);
  g_assert_cmpstr (refused->err, ==, "sotto-cli: You are no longer a member of Climbing\n");
  g_assert_cmpuint (count_received (test, carol, group, NULL), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/group-send/relay-down", test_relay_down);
  g_test_add_func ("/cli/group-send/key-change-stamp", test_key_change_stamp);
  g_test_add_func ("/cli/group-send/removed", test_removed);

  return g_test_run ();
}
