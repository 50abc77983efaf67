/* test-cli-requests.c: message requests with sotto-cli
 *
 * A stranger's first message, accepted or blocked, and sotto-cli without
 * --message-requests.
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "sp-error.h"
#include "sp-init.h"

#include "cli-test-util.h"

/* The state of the newest message in @history. */
static const char *
newest_state (GPtrArray *history)
{
  g_assert_cmpuint (history->len, >, 0);

  return json_object_get_string_member (g_ptr_array_index (history, history->len - 1), "state");
}

/* receive, with a stranger's first message a message request as the
 * app makes it. */
static GPtrArray *
receive_with_requests (CliTest    *test,
                       const char *profile)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "--message-requests",
                                         "receive", "--timeout", "0", NULL);

  cli_assert_ok (result);
  return cli_parse_lines (result->out);
}

/* Without --message-requests, sotto-cli answers a stranger as it always
 * did: the message is delivered, and its sender hears so. */
static void
test_stranger_without_requests (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autoptr(GPtrArray) received = NULL;
  g_autoptr(GPtrArray) history = NULL;

  cli_send_ok (test, alice, "bob", "Hello stranger");
  received = cli_receive (test, bob);
  cli_assert_texts (received, "alice", "Hello stranger", NULL);
  g_assert_false (json_object_get_boolean_member (g_ptr_array_index (received, 0), "request"));
  g_clear_pointer (&received, g_ptr_array_unref);

  received = cli_receive (test, alice);
  history = cli_history (test, alice, "bob");
  g_assert_cmpstr (newest_state (history), !=, "sent");
}

/* A first message is a request: no receipt goes back until the recipient
 * accepts; a blocked sender's messages vanish without a receipt. */
static void
test_requests (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autoptr(GPtrArray) received = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(CliResult) accepted = NULL;
  g_autoptr(JsonObject) decision = NULL;

  cli_send_ok (test, alice, "bob", "Hello stranger");
  received = receive_with_requests (test, bob);
  cli_assert_texts (received, "alice", "Hello stranger", NULL);
  g_assert_true (json_object_get_boolean_member (g_ptr_array_index (received, 0), "request"));
  g_clear_pointer (&received, g_ptr_array_unref);

  /* Bob read it, and Alice heard nothing. */
  received = cli_receive (test, alice);
  history = cli_history (test, alice, "bob");
  g_assert_cmpstr (newest_state (history), ==, "sent");
  g_clear_pointer (&received, g_ptr_array_unref);
  g_clear_pointer (&history, g_ptr_array_unref);

  accepted = cli_run (test, bob, "--json", "accept", "alice", NULL);
  cli_assert_ok (accepted);
  decision = cli_parse_object (accepted->out);
  g_assert_cmpstr (json_object_get_string_member (decision, "username"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (decision, "standing"), ==, "accepted");

  received = cli_receive (test, alice);
  history = cli_history (test, alice, "bob");
  g_assert_cmpstr (newest_state (history), ==, "read");
  g_clear_pointer (&received, g_ptr_array_unref);
  g_clear_pointer (&history, g_ptr_array_unref);

  /* Carol is blocked before she even writes. */
  cli_run_ok (test, bob, "block", "carol", NULL);
  cli_send_ok (test, carol, "bob", "Let me in");
  cli_assert_receives_nothing (test, bob);
  received = cli_receive (test, carol);
  history = cli_history (test, carol, "bob");
  g_assert_cmpstr (newest_state (history), ==, "sent");
}

/* Reacting to a message request, or setting its timer, would tell the
 * stranger that it was read: both are refused, nothing is stored, and
 * the stranger hears nothing. */
static void
test_request_refuses_reaction (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autoptr(GPtrArray) received = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(CliResult) reacted = NULL;
  g_autoptr(CliResult) timed = NULL;
  const char *id;

  cli_send_ok (test, alice, "bob", "Hello stranger");
  received = receive_with_requests (test, bob);
  cli_assert_texts (received, "alice", "Hello stranger", NULL);
  id = json_object_get_string_member (g_ptr_array_index (received, 0), "id");

  reacted = cli_run (test, bob, "react", "alice", id, "👍", NULL);
  g_assert_cmpint (reacted->status, !=, 0);
  g_assert_nonnull (strstr (reacted->err, "accept"));
  timed = cli_run (test, bob, "timer", "alice", "30", NULL);
  g_assert_cmpint (timed->status, !=, 0);
  g_assert_nonnull (strstr (timed->err, "accept"));

  history = cli_history (test, bob, "alice");
  g_assert_cmpuint (history->len, ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (g_ptr_array_index (history, 0),
                                                                         "reactions")), ==, 0);
  cli_assert_receives_nothing (test, alice);
}

/* @title, a group by @profile with @first and @second; returns its id. */
static char *
create_group (CliTest    *test,
              const char *profile,
              const char *title,
              const char *first,
              const char *second)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "group", "create", title, first, second, NULL);
  g_autoptr(JsonObject) object = NULL;

  cli_assert_ok (result);
  object = cli_parse_object (result->out);

  return g_strdup (json_object_get_string_member (object, "group"));
}

/* group info --json of @group on @profile. */
static JsonObject *
group_info (CliTest    *test,
            const char *profile,
            const char *group)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "group", "info", group, NULL);

  cli_assert_ok (result);
  return cli_parse_object (result->out);
}

/* Whether group list --json on @profile lists @group. */
static gboolean
lists_group (CliTest    *test,
             const char *profile,
             const char *group)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "group", "list", NULL);
  g_autoptr(GPtrArray) groups = NULL;

  cli_assert_ok (result);
  groups = cli_parse_lines (result->out);
  for (guint i = 0; i < groups->len; i++)
    {
      if (g_strcmp0 (json_object_get_string_member (g_ptr_array_index (groups, i), "group"), group) == 0)
        return TRUE;
    }

  return FALSE;
}

/* A stranger's group is a request: it shows who added Bob, and Bob's
 * sotto-cli sends it nothing until he accepts it, after which it is
 * as any group.  Declining forgets a group and tells nobody; blocking
 * blocks whoever added him, too.  Carol, the stranger's friend, is in
 * every group, and hears from Bob only once he accepted. */
static void
test_group_request (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *party = NULL;
  g_autofree char *spam = NULL;
  g_autofree char *more = NULL;
  g_autoptr(GPtrArray) received = NULL;
  g_autoptr(JsonObject) info = NULL;
  g_autoptr(CliResult) refused = NULL;

  party = create_group (test, alice, "Party", "bob", "carol");
  cli_run_ok (test, alice, "group", "promote", party, "bob", NULL);
  received = receive_with_requests (test, bob);
  g_clear_pointer (&received, g_ptr_array_unref);
  received = cli_receive (test, carol);
  g_clear_pointer (&received, g_ptr_array_unref);

  info = group_info (test, bob, party);
  g_assert_true (json_object_get_boolean_member (info, "request"));
  g_assert_cmpstr (json_object_get_string_member (info, "invited_by"), ==, "alice");
  g_clear_pointer (&info, json_object_unref);

  /* Nothing goes to a request, by itself or when asked. */
  refused = cli_run (test, bob, "send-group", party, "Hello?", NULL);
  g_assert_cmpint (refused->status, !=, 0);
  g_assert_nonnull (strstr (refused->err, "accept"));
  g_clear_pointer (&refused, cli_result_free);
  refused = cli_run (test, bob, "group", "rename", party, "Mine", NULL);
  g_assert_cmpint (refused->status, !=, 0);
  g_assert_nonnull (strstr (refused->err, "accept"));
  g_clear_pointer (&refused, cli_result_free);
  cli_assert_receives_nothing (test, carol);
  cli_assert_receives_nothing (test, alice);

  /* Accepted, it is as any group. */
  cli_run_ok (test, bob, "group", "accept", party, NULL);
  info = group_info (test, bob, party);
  g_assert_false (json_object_get_boolean_member (info, "request"));
  g_clear_pointer (&info, json_object_unref);
  g_free (cli_send_group (test, bob, party, "Hello, Party"));
  received = cli_receive (test, carol);
  cli_assert_texts (received, "bob", "Hello, Party", NULL);
  g_clear_pointer (&received, g_ptr_array_unref);
  received = cli_receive (test, alice);
  g_clear_pointer (&received, g_ptr_array_unref);

  /* Declined, a group is forgotten without a word, and its messages
   * stay away. */
  spam = create_group (test, alice, "Spam", "bob", "carol");
  received = receive_with_requests (test, bob);
  g_clear_pointer (&received, g_ptr_array_unref);
  g_assert_true (lists_group (test, bob, spam));
  cli_run_ok (test, bob, "group", "decline", spam, NULL);
  g_assert_false (lists_group (test, bob, spam));
  g_free (cli_send_group (test, alice, spam, "Buy now"));
  cli_assert_receives_nothing (test, bob);
  g_assert_false (lists_group (test, bob, spam));
  cli_assert_receives_nothing (test, alice);

  /* Blocked, the group goes and so does its maker. */
  more = create_group (test, alice, "More spam", "bob", "carol");
  received = receive_with_requests (test, bob);
  g_clear_pointer (&received, g_ptr_array_unref);
  cli_run_ok (test, bob, "group", "block", more, NULL);
  g_assert_false (lists_group (test, bob, more));
  cli_send_ok (test, alice, "bob", "Are you there?");
  cli_assert_receives_nothing (test, bob);
  cli_assert_receives_nothing (test, alice);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/cli/requests", test_requests);
  g_test_add_func ("/cli/request-refuses-reaction", test_request_refuses_reaction);
  g_test_add_func ("/cli/stranger-without-requests", test_stranger_without_requests);
  g_test_add_func ("/cli/group-request", test_group_request);

  return g_test_run ();
}
