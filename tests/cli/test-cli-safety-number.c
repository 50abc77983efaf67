/* test-cli-safety-number.c: safety numbers and key changes with sotto-cli
 *
 * The number checked against libsignal's, and what a contact's new key
 * holds, verified or not.
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "sp-error.h"
#include "sp-init.h"

#include "cli-test-util.h"

static char *
without (const char *text,
         char        drop)
{
  GString *kept = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p != drop)
        g_string_append_c (kept, *p);
    }

  return g_string_free (kept, FALSE);
}

static char *
without_dashes (const char *uuid)
{
  return without (uuid, '-');
}

static char *
without_spaces (const char *digits)
{
  return without (digits, ' ');
}

/* libsignal's Fingerprint for the same keys and identifiers, from Node. */
static char *
libsignal_safety_number (const CliWhoami *local,
                         const CliWhoami *remote)
{
  g_autoptr(GSubprocess) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *node_path = g_find_program_in_path ("node");
  g_autofree char *module = g_build_filename (SOTTO_INTEROP_DIR, "node_modules", "@signalapp",
                                              "libsignal-client", "package.json", NULL);
  g_autofree char *local_id = NULL;
  g_autofree char *remote_id = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  if (node_path == NULL || !g_file_test (module, G_FILE_TEST_EXISTS))
    {
      g_test_message ("The safety number check needs Node.js and `npm ci` in %s", SOTTO_INTEROP_DIR);
      g_test_fail ();
      return NULL;
    }

  local_id = without_dashes (local->uuid);
  remote_id = without_dashes (remote->uuid);

  node = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                           node_path, SOTTO_CLI_TEST_DIR "/fingerprint.mjs", SOTTO_INTEROP_DIR,
                           local_id, local->identity_key, remote_id, remote->identity_key, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (node, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (node))
    g_error ("node failed: %s", err);

  g_strstrip (out);
  g_assert_true (g_regex_match_simple ("^[0-9]{60}$", out, 0, 0));

  return g_steal_pointer (&out);
}

static void
test_safety_number (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autoptr(CliWhoami) alice_id = cli_whoami (test, alice, "alice");
  g_autoptr(CliWhoami) bob_id = cli_whoami (test, bob, "bob");
  g_autoptr(CliResult) wrong = NULL;
  g_autoptr(CliResult) human = NULL;
  g_autofree char *at_alice = NULL;
  g_autofree char *at_bob = NULL;
  g_autofree char *theirs = NULL;
  g_autofree char *compact = NULL;
  g_autofree char *wrong_digits = NULL;

  /* Before any message: the number comes from the keys the relay
   * publishes. */
  at_alice = cli_safety_number (test, alice, "bob", "unverified");
  at_bob = cli_safety_number (test, bob, "alice", "unverified");
  g_assert_cmpstr (at_alice, ==, at_bob);

  cli_send_ok (test, alice, "bob", "Shall we compare?");
  cli_assert_receives (test, bob, "alice", "Shall we compare?", NULL);
  g_clear_pointer (&at_bob, g_free);
  at_bob = cli_safety_number (test, bob, "alice", "unverified");
  g_assert_cmpstr (at_alice, ==, at_bob);

  theirs = libsignal_safety_number (alice_id, bob_id);
  if (theirs != NULL)
    {
      compact = without_spaces (at_alice);
      g_assert_cmpstr (compact, ==, theirs);
    }

  human = cli_run (test, alice, "safety-number", "bob", NULL);
  cli_assert_ok (human);
  g_assert_cmpstr (g_strstrip (human->out), ==, at_alice);

  /* One digit off is not the number. */
  wrong_digits = g_strdup (at_alice);
  wrong_digits[0] = wrong_digits[0] == '9' ? '0' : wrong_digits[0] + 1;
  wrong = cli_run (test, alice, "verify", "bob", wrong_digits, NULL);
  g_assert_cmpint (wrong->status, ==, 1);
  g_clear_pointer (&at_alice, g_free);
  at_alice = cli_safety_number (test, alice, "bob", "unverified");

  cli_run_ok (test, alice, "verify", "bob", at_alice, NULL);
  g_clear_pointer (&at_alice, g_free);
  at_alice = cli_safety_number (test, alice, "bob", "verified");
}

static void
test_key_change_unverified (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autoptr(CliWhoami) before = NULL;
  g_autoptr(CliWhoami) after = NULL;
  g_autoptr(GPtrArray) received = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(CliResult) noticed = NULL;
  g_autofree char *old_number = NULL;
  g_autofree char *new_number = NULL;
  g_autofree char *bob_number = NULL;
  JsonObject *event;

  cli_send_ok (test, alice, "bob", "Before");
  cli_assert_receives (test, bob, "alice", "Before", NULL);
  old_number = cli_safety_number (test, alice, "bob", "unverified");

  before = cli_whoami (test, bob, "bob");
  cli_run_ok (test, bob, "reset-identity", NULL);
  after = cli_whoami (test, bob, "bob");
  g_assert_cmpstr (before->uuid, ==, after->uuid);
  g_assert_cmpstr (before->identity_key, !=, after->identity_key);

  /* Receiving is never blocked: the message arrives, after an event. */
  cli_send_ok (test, bob, "alice", "New keys here");
  noticed = cli_run (test, alice, "--json", "receive", "--timeout", "0", NULL);
  cli_assert_ok (noticed);
  g_assert_nonnull (strstr (noticed->err, "safety number with bob changed"));
  received = cli_parse_lines (noticed->out);
  cli_assert_texts (received, "bob", "New keys here", NULL);

  messages = cli_history (test, alice, "bob");
  g_assert_cmpuint (messages->len, ==, 3);
  event = g_ptr_array_index (messages, 1);
  g_assert_cmpstr (json_object_get_string_member (event, "kind"), ==, "safety-number-changed");

  new_number = cli_safety_number (test, alice, "bob", "unverified");
  bob_number = cli_safety_number (test, bob, "alice", "unverified");
  g_assert_cmpstr (new_number, !=, old_number);
  g_assert_cmpstr (new_number, ==, bob_number);

  /* An unverified contact's new key does not hold anything. */
  cli_send_ok (test, alice, "bob", "Got it");
  cli_assert_receives (test, bob, "alice", "Got it", NULL);
}

static void
test_key_change_verified (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *carol = cli_register (test, "carol");
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(CliResult) reset = NULL;
  g_autoptr(CliResult) held = NULL;
  g_autoptr(CliResult) verified = NULL;
  g_autoptr(CliResult) held_again = NULL;
  g_autofree char *number = NULL;
  g_autofree char *changed = NULL;
  g_autofree char *carol_number = NULL;
  g_autofree char *unverified = NULL;
  JsonObject *last;

  cli_send_ok (test, alice, "carol", "Hello Carol");
  cli_assert_receives (test, carol, "alice", "Hello Carol", NULL);

  number = cli_safety_number (test, alice, "carol", "unverified");
  verified = cli_run (test, alice, "verify", "carol", number, NULL);
  cli_assert_ok (verified);
  g_clear_pointer (&verified, cli_result_free);

  reset = cli_run (test, carol, "reset-identity", NULL);
  cli_assert_ok (reset);

  /* Alice writes first: the relay says Carol registered again, Alice
   * fetches her new keys, and the verified number no longer holds, so
   * the message waits. */
  held = cli_run (test, alice, "send", "carol", "Is it still you?", NULL);
  g_assert_cmpint (held->status, ==, 1);
  g_assert_nonnull (strstr (held->err, "outbox"));
  g_assert_nonnull (strstr (held->err, "safety number"));

  changed = cli_safety_number (test, alice, "carol", "changed");
  g_assert_cmpstr (changed, !=, number);
  carol_number = cli_safety_number (test, carol, "alice", "unverified");
  g_assert_cmpstr (changed, ==, carol_number);

  /* Nothing reached Carol. */
  cli_assert_receives_nothing (test, carol);

  /* Verifying the new number lets the held message go, before the next. */
  cli_run_ok (test, alice, "verify", "carol", changed, NULL);
  cli_send_ok (test, alice, "carol", "Verified again");
  cli_assert_receives (test, carol, "alice", "Is it still you?", "Verified again", NULL);

  /* Accepting a change without comparing leaves her unverified. */
  cli_run_ok (test, carol, "reset-identity", NULL);
  held_again = cli_run (test, alice, "send", "carol", "Once more?", NULL);
  g_assert_cmpint (held_again->status, ==, 1);

  cli_run_ok (test, alice, "accept-identity", "carol", NULL);
  unverified = cli_safety_number (test, alice, "carol", "unverified");
  cli_send_ok (test, alice, "carol", "Accepted");
  cli_assert_receives (test, carol, "alice", "Once more?", "Accepted", NULL);

  /* Alice's side shows both changes. */
  messages = cli_history (test, alice, "carol");
  last = NULL;
  for (guint i = 0, n_events = 0; i < messages->len; i++)
    {
      last = g_ptr_array_index (messages, i);
      if (g_str_equal (json_object_get_string_member (last, "kind"), "safety-number-changed"))
        g_assert_cmpuint (++n_events, <=, 2);
    }
  g_assert_nonnull (last);
  g_assert_cmpstr (json_object_get_string_member (last, "text"), ==, "Accepted");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/cli/safety-number", test_safety_number);
  g_test_add_func ("/cli/key-change/unverified", test_key_change_unverified);
  g_test_add_func ("/cli/key-change/verified", test_key_change_verified);

  return g_test_run ();
}
