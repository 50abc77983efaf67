/* test-cli.c: two people talking through a real relay with sotto-cli
 *
 * The conversation, the command line itself, and what sotto-cli does
 * while the relay is away.
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "sp-error.h"
#include "sp-init.h"

#include "cli-test-util.h"

static void
test_conversation (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autoptr(CliWhoami) alice_id = cli_whoami (test, alice, "alice");
  g_autoptr(CliWhoami) bob_id = cli_whoami (test, bob, "bob");
  g_autoptr(JsonObject) sent = NULL;
  g_autoptr(GPtrArray) received = NULL;
  g_autoptr(GPtrArray) alice_history = NULL;
  g_autoptr(GPtrArray) bob_history = NULL;
  g_autoptr(CliResult) human = NULL;
  g_autoptr(CliResult) again = NULL;
  JsonObject *message;

  g_assert_cmpstr (alice_id->uuid, !=, bob_id->uuid);

  sent = cli_send_json (test, alice, "bob", "Hello Bob, é ✓");

  received = cli_receive (test, bob);
  cli_assert_texts (received, "alice", "Hello Bob, é ✓", NULL);
  message = g_ptr_array_index (received, 0);
  g_assert_cmpstr (json_object_get_string_member (message, "id"), ==,
                   json_object_get_string_member (sent, "id"));
  g_assert_cmpint (json_object_get_int_member (message, "sent_at"), ==,
                   json_object_get_int_member (sent, "sent_at"));
  g_clear_pointer (&received, g_ptr_array_unref);

  /* Nothing is delivered twice. */
  cli_assert_receives_nothing (test, bob);

  cli_send_ok (test, bob, "alice", "Hi Alice");
  cli_send_ok (test, bob, "alice", "How are you?");

  /* People read the messages, and the sender learns they were read. */
  human = cli_run (test, alice, "receive", "--timeout", "0", NULL);
  cli_assert_ok (human);
  g_assert_nonnull (strstr (human->out, "bob: Hi Alice\n"));
  g_assert_nonnull (strstr (human->out, "bob: How are you?\n"));
  g_assert_true (strstr (human->out, "Hi Alice") < strstr (human->out, "How are you?"));

  alice_history = cli_history (test, alice, "bob");
  g_assert_cmpuint (alice_history->len, ==, 3);
  message = g_ptr_array_index (alice_history, 0);
  g_assert_cmpstr (json_object_get_string_member (message, "direction"), ==, "outgoing");
  g_assert_cmpstr (json_object_get_string_member (message, "from"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (message, "state"), ==, "read");
  message = g_ptr_array_index (alice_history, 2);
  g_assert_cmpstr (json_object_get_string_member (message, "direction"), ==, "incoming");
  g_assert_cmpstr (json_object_get_string_member (message, "text"), ==, "How are you?");

  /* Bob's copies move to read once the receipts reach him. */
  cli_assert_receives_nothing (test, bob);
  bob_history = cli_history (test, bob, "alice");
  g_assert_cmpuint (bob_history->len, ==, 3);
  message = g_ptr_array_index (bob_history, 1);
  g_assert_cmpstr (json_object_get_string_member (message, "text"), ==, "Hi Alice");
  g_assert_cmpstr (json_object_get_string_member (message, "state"), ==, "read");

  again = cli_run (test, bob, "--json", "history", "alice", "--limit", "1", NULL);
  cli_assert_ok (again);
  g_assert_nonnull (strstr (again->out, "How are you?"));
  g_assert_null (strstr (again->out, "Hi Alice"));
}

static void
test_usage (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *other = cli_test_profile (test, "other");
  g_autoptr(CliResult) insecure = NULL;
  g_autoptr(CliResult) taken = NULL;
  g_autoptr(CliResult) unknown = NULL;
  g_autoptr(CliResult) no_command = NULL;
  g_autoptr(CliResult) no_account = NULL;
  g_autoptr(CliResult) twice = NULL;

  /* Plain http leaves this machine only over a relay's TLS. */
  insecure = cli_run (test, other, "register", "--relay", "http://relay.example.org",
                      "--username", "other", NULL);
  g_assert_cmpint (insecure->status, ==, 1);
  g_assert_nonnull (strstr (insecure->err, "https://"));

  taken = cli_run (test, other, "register", "--relay", test->relay->url, "--username", "alice", NULL);
  g_assert_cmpint (taken->status, ==, 1);
  g_assert_nonnull (strstr (taken->err, "username-taken"));

  twice = cli_run (test, alice, "register", "--relay", test->relay->url, "--username", "alice2", NULL);
  g_assert_cmpint (twice->status, ==, 1);
  g_assert_nonnull (strstr (twice->err, "registered already"));

  unknown = cli_run (test, alice, "send", "nobody", "hello", NULL);
  g_assert_cmpint (unknown->status, ==, 1);
  g_assert_nonnull (strstr (unknown->err, "nobody"));

  no_command = cli_run (test, alice, "frobnicate", NULL);
  g_assert_cmpint (no_command->status, ==, 2);

  no_account = cli_run (test, other, "whoami", NULL);
  g_assert_cmpint (no_account->status, ==, 1);
  g_assert_nonnull (strstr (no_account->err, "register"));
}

/* A relay that drops every socket soon after it said queue-empty, and
 * takes the next one, drains the queue anew on each: receive --timeout
 * must still end once that many seconds passed without a new message,
 * with success, rather than start its wait over on every socket and give
 * up only when it happens to look while the relay is away.  The relay
 * here is stopped and started again for up to a minute, much longer than
 * the wait. */
#define FLAPPING_SECONDS 60

static void
test_receive_timeout_flapping (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autoptr(GSubprocess) receiver = NULL;
  g_autoptr(GDataInputStream) output = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autoptr(CliResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  gint64 end;

  cli_send_ok (test, alice, "bob", "Before the relay flaps");
  receiver = cli_spawn (test, bob, "--json", "receive", "--timeout", "3", NULL);

  /* The relay flaps once the message is in. */
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (receiver));
  line = g_data_input_stream_read_line_utf8 (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  message = cli_parse_object (line);
  g_assert_cmpstr (json_object_get_string_member (message, "text"), ==, "Before the relay flaps");

  end = g_get_monotonic_time () + FLAPPING_SECONDS * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end && g_subprocess_get_identifier (receiver) != NULL)
    {
      g_usleep (G_USEC_PER_SEC / 2);
      cli_relay_stop (test->relay);
      cli_relay_restart (test->relay);
    }

  /* Still running after a minute of flapping: the wait never ended. */
  g_assert_null (g_subprocess_get_identifier (receiver));

  /* It ended because the wait was over, not because the relay was
   * away when it looked. */
  result = cli_wait (g_steal_pointer (&receiver));
  g_assert_cmpint (result->status, ==, 0);
}

static void
test_relay_down (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(CliResult) first = NULL;
  g_autoptr(CliResult) second = NULL;
  g_autoptr(CliResult) offline = NULL;

  cli_send_ok (test, alice, "bob", "One");
  cli_assert_receives (test, bob, "alice", "One", NULL);

  cli_relay_kill (test->relay);

  first = cli_run (test, alice, "send", "bob", "Two", NULL);
  g_assert_cmpint (first->status, ==, 1);
  g_assert_nonnull (strstr (first->err, "outbox"));
  second = cli_run (test, alice, "send", "bob", "Three", NULL);
  g_assert_cmpint (second->status, ==, 1);

  /* Receiving without a relay gives up after the wait. */
  offline = cli_run (test, bob, "receive", "--timeout", "1", NULL);
  g_assert_cmpint (offline->status, ==, 1);

  messages = cli_history (test, alice, "bob");
  g_assert_cmpuint (messages->len, ==, 3);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (messages, 2), "state"), ==, "queued");
  g_clear_pointer (&messages, g_ptr_array_unref);

  /* Any later command that reaches the relay sends the outbox first. */
  cli_relay_restart (test->relay);
  cli_run_ok (test, alice, "receive", "--timeout", "0", NULL);
  cli_send_ok (test, alice, "bob", "Four");

  cli_assert_receives (test, bob, "alice", "Two", "Three", "Four", NULL);

  messages = cli_history (test, alice, "bob");
  for (guint i = 0; i < messages->len; i++)
    g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (messages, i), "state"), !=, "queued");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/cli/conversation", test_conversation);
  g_test_add_func ("/cli/usage", test_usage);
  g_test_add_func ("/cli/relay-down", test_relay_down);
  g_test_add_func ("/cli/receive-timeout-flapping", test_receive_timeout_flapping);

  return g_test_run ();
}
