/* test-cli.c: two and three people talking through a real relay with sotto-cli
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <string.h>

#include <libsoup/soup.h>
#include <sodium.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-protobuf.h"
#include "sp-uuid.h"

#include "cli-test-util.h"
#include "protocol-test-util.h"
#include "sotto-engine.h"
#include "sotto-messenger-private.h"

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

static char *
random_name (const char *prefix)
{
  GString *name = g_string_new (prefix);

  for (guint i = 0; i < 16; i++)
    g_string_append_c (name, 'a' + g_test_rand_int_range (0, 26));

  return g_string_free (name, FALSE);
}

static void
assert_absent (const char *profile,
               const void *needle,
               gsize       len,
               const char *what)
{
  if (cli_tree_contains (profile, needle, len))
    g_error ("%s is in the clear in %s", what, profile);
}

static void
test_no_plaintext (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice_name = random_name ("a_");
  g_autofree char *bob_name = random_name ("b_");
  g_autofree char *alice = cli_register (test, alice_name);
  g_autofree char *bob = cli_register (test, bob_name);
  g_autofree char *marker = random_name ("marker-");
  g_autofree char *answer = random_name ("answer-");
  g_autofree char *alice_password = NULL;
  g_autofree char *bob_password = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(CliWhoami) alice_id = NULL;
  g_autoptr(CliWhoami) bob_id = NULL;
  guint8 alice_key[SP_PRIVATE_KEY_SIZE];
  guint8 bob_key[SP_PRIVATE_KEY_SIZE];
  const char *profiles[2];
  char uuid_text[2][37];

  cli_send_ok (test, alice, bob_name, marker);
  cli_assert_receives (test, bob, alice_name, marker, NULL);
  cli_send_ok (test, bob, alice_name, answer);
  cli_assert_receives (test, alice, bob_name, answer, NULL);

  messages = cli_history (test, alice, bob_name);
  g_assert_cmpuint (messages->len, ==, 2);
  alice_id = cli_whoami (test, alice, alice_name);
  bob_id = cli_whoami (test, bob, bob_name);

  cli_read_secrets (alice, alice_key, &alice_password);
  cli_read_secrets (bob, bob_key, &bob_password);

  profiles[0] = alice;
  profiles[1] = bob;
  g_strlcpy (uuid_text[0], alice_id->uuid, sizeof uuid_text[0]);
  g_strlcpy (uuid_text[1], bob_id->uuid, sizeof uuid_text[1]);

  for (guint i = 0; i < G_N_ELEMENTS (profiles); i++)
    {
      assert_absent (profiles[i], marker, strlen (marker), "A message");
      assert_absent (profiles[i], answer, strlen (answer), "A message");
      assert_absent (profiles[i], alice_name, strlen (alice_name), "A username");
      assert_absent (profiles[i], bob_name, strlen (bob_name), "A username");
      assert_absent (profiles[i], uuid_text[0], strlen (uuid_text[0]), "An account");
      assert_absent (profiles[i], uuid_text[1], strlen (uuid_text[1]), "An account");
      assert_absent (profiles[i], alice_key, sizeof alice_key, "A private key");
      assert_absent (profiles[i], bob_key, sizeof bob_key, "A private key");
      assert_absent (profiles[i], alice_password, strlen (alice_password), "A password");
      assert_absent (profiles[i], bob_password, strlen (bob_password), "A password");
    }

  /* And the test would have noticed: the secrets are real. */
  g_assert_cmpuint (strlen (alice_password), >=, 16);
  g_assert_false (sodium_is_zero (alice_key, sizeof alice_key));
}

static JsonObject *
relay_get (SoupSession *session,
           const char  *url,
           const char  *uuid,
           const char  *password,
           const char  *path)
{
  g_autofree char *address = g_strconcat (url, path, NULL);
  g_autofree char *user = g_strdup_printf ("%s.1:%s", uuid, password);
  g_autofree char *encoded = g_base64_encode ((const guint8 *) user, strlen (user));
  g_autofree char *authorization = g_strconcat ("Basic ", encoded, NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", address);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", authorization);
  body = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);

  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

  return cli_parse_object (text);
}

static void
assert_key_counts (SoupSession *session,
                   const char  *url,
                   const char  *uuid,
                   const char  *password,
                   gint64       expected)
{
  g_autoptr(JsonObject) counts = relay_get (session, url, uuid, password, "/v1/keys");

  g_assert_cmpint (json_object_get_int_member (counts, "preKeyCount"), ==, expected);
  g_assert_cmpint (json_object_get_int_member (counts, "pqPreKeyCount"), ==, expected);
}

static gint64
signed_pre_key_id (SoupSession *session,
                   const char  *url,
                   const char  *uuid,
                   const char  *password,
                   const char  *path)
{
  g_autoptr(JsonObject) bundles = relay_get (session, url, uuid, password, path);
  JsonArray *devices = json_object_get_array_member (bundles, "devices");
  JsonObject *device = json_array_get_object_element (devices, 0);

  return json_object_get_int_member (json_object_get_object_member (device, "signedPreKey"), "keyId");
}

/* Makes the profile's signed and last-resort prekeys look a week old. */
static void
age_signed_pre_keys (const char *profile)
{
  g_autoptr(GFile) directory = g_file_new_for_path (profile);
  g_autoptr(SottoStore) store = NULL;
  g_autoptr(GError) error = NULL;

  store = _sotto_store_open_sync (directory, CLI_TEST_PASSPHRASE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (_sotto_store_exec (store,
                                    "UPDATE messenger_keys"
                                    " SET signed_pre_key_rotated_at = signed_pre_key_rotated_at - 8 * 86400000,"
                                    "     last_resort_rotated_at = last_resort_rotated_at - 8 * 86400000",
                                    &error));
  g_assert_no_error (error);
  g_assert_true (_sotto_store_close_sync (store, &error));
  g_assert_no_error (error);
}

/* Others use up the one-time prekeys; the next time the device goes
 * online it tops them up, and sessions keep being set up. */
static void
test_prekeys (void)
{
  g_autoptr(CliTest) test = cli_test_new (TRUE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autoptr(CliWhoami) alice_id = cli_whoami (test, alice, "alice");
  g_autoptr(CliWhoami) bob_id = cli_whoami (test, bob, "bob");
  g_autoptr(SoupSession) session = soup_session_new_with_options ("proxy-resolver", NULL, NULL);
  g_autoptr(GPtrArray) received = NULL;
  g_autoptr(CliResult) online = NULL;
  g_autofree char *alice_password = NULL;
  g_autofree char *bob_password = NULL;
  g_autofree char *path = g_strdup_printf ("/v1/keys/%s/1", alice_id->uuid);
  g_autofree char *carol = NULL;
  guint8 key[SP_PRIVATE_KEY_SIZE];
  gint64 signed_before;
  gint64 signed_after;

  cli_read_secrets (alice, key, &alice_password);
  cli_read_secrets (bob, key, &bob_password);

  assert_key_counts (session, test->relay->url, alice_id->uuid, alice_password, 100);

  for (guint i = 0; i < 80; i++)
    json_object_unref (relay_get (session, test->relay->url, bob_id->uuid, bob_password, path));
  assert_key_counts (session, test->relay->url, alice_id->uuid, alice_password, 20);

  online = cli_run (test, alice, "receive", "--timeout", "0", NULL);
  cli_assert_ok (online);
  assert_key_counts (session, test->relay->url, alice_id->uuid, alice_password, 100);

  cli_send_ok (test, bob, "alice", "With a fresh prekey");
  cli_assert_receives (test, alice, "bob", "With a fresh prekey", NULL);

  /* A week later the signed prekeys are replaced; messages built on the
   * old ones still decrypt, new sessions use the new ones. */
  signed_before = signed_pre_key_id (session, test->relay->url, bob_id->uuid, bob_password, path);
  age_signed_pre_keys (alice);
  g_clear_pointer (&online, cli_result_free);
  cli_run_ok (test, alice, "receive", "--timeout", "0", NULL);
  signed_after = signed_pre_key_id (session, test->relay->url, bob_id->uuid, bob_password, path);
  g_assert_cmpint (signed_after, !=, signed_before);

  carol = cli_register (test, "carol");
  cli_send_ok (test, carol, "alice", "After the rotation");
  cli_send_ok (test, bob, "alice", "Still the old session");
  received = cli_receive (test, alice);
  g_assert_cmpuint (received->len, ==, 2);
}

/* How many WebSockets the relay has open. */
static gint64
open_websockets (SoupSession *session,
                 CliRelay    *relay)
{
  static const char name[] = "sotto_relay_open_connections{kind=\"websocket\"} ";
  g_autoptr(SoupMessage) message = soup_message_new ("GET", relay->metrics_url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const char *line;

  body = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  line = strstr (text, name);
  g_assert_nonnull (line);
  return g_ascii_strtoll (line + strlen (name), NULL, 10);
}

static gint64
pre_key_count (SoupSession *session,
               const char  *url,
               const char  *uuid,
               const char  *password)
{
  g_autoptr(JsonObject) counts = relay_get (session, url, uuid, password, "/v1/keys");

  return json_object_get_int_member (counts, "preKeyCount");
}

/* Others use up the one-time prekeys while the device is online: the
 * relay tells it that few are left, and it tops them up at once rather
 * than at its next start. */
static void
test_prekeys_while_online (void)
{
  g_autoptr(CliTest) test = cli_test_new (TRUE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autoptr(CliWhoami) alice_id = cli_whoami (test, alice, "alice");
  g_autoptr(CliWhoami) bob_id = cli_whoami (test, bob, "bob");
  g_autoptr(SoupSession) session = soup_session_new_with_options ("proxy-resolver", NULL, NULL);
  g_autoptr(GSubprocess) online = NULL;
  g_autofree char *alice_password = NULL;
  g_autofree char *bob_password = NULL;
  g_autofree char *path = g_strdup_printf ("/v1/keys/%s/1", alice_id->uuid);
  guint8 key[SP_PRIVATE_KEY_SIZE];
  gint64 deadline;

  cli_read_secrets (alice, key, &alice_password);
  cli_read_secrets (bob, key, &bob_password);

  online = cli_spawn (test, alice, "receive", "--timeout", "300", NULL);
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (open_websockets (session, test->relay) < 1)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (G_USEC_PER_SEC / 20);
    }

  /* The relay tells Alice once fewer than 10 are left. */
  for (guint i = 0; i < 95; i++)
    json_object_unref (relay_get (session, test->relay->url, bob_id->uuid, bob_password, path));
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (pre_key_count (session, test->relay->url, alice_id->uuid, alice_password) < SOTTO_PRE_KEY_LOW)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (G_USEC_PER_SEC / 20);
    }

  g_subprocess_force_exit (online);
  g_subprocess_wait (online, NULL, NULL);
}


/* A profile's messenger run in this process, to send what sotto-cli
 * never would, and its conversation with one contact. */
typedef struct
{
  SottoStore *store;
  SottoMessenger *messenger;
  SottoConversation *conversation;
} Sender;

static Sender *
sender_open (const char *profile,
             const char *to)
{
  g_autoptr(GAsyncResult) found = NULL;
  g_autoptr(GError) error = NULL;
  Sender *sender = g_new0 (Sender, 1);

  sender->store = cli_open_store (profile);
  sender->messenger = cli_load_messenger (sender->store);
  sotto_messenger_open_conversation_async (sender->messenger, to, NULL, cli_result_cb, &found);
  cli_wait_for (&found);
  sender->conversation = sotto_messenger_open_conversation_finish (sender->messenger, found, &error);
  g_assert_no_error (error);

  return sender;
}

/* Closes the profile, so that sotto-cli can open it. */
static void
sender_close (Sender *sender)
{
  g_clear_object (&sender->conversation);
  g_clear_object (&sender->messenger);
  cli_close_store (sender->store);
  g_free (sender);
}

static void
send_content (Sender       *sender,
              SottoContent *content)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SottoOutbox *outbox = _sotto_messenger_get_outbox (sender->messenger);

  _sotto_outbox_send_content_async (outbox, sender->conversation, content, NULL, cli_result_cb, &result);
  cli_wait_for (&result);
  g_assert_true (_sotto_outbox_send_content_finish (outbox, result, &error));
  g_assert_no_error (error);
}

/* A sender that never heard the relay took a message sends it again,
 * in a new envelope with the same message id: it arrives once. */
static void
test_duplicates (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  Sender *sender = sender_open (alice, "bob");
  g_autoptr(SottoContent) first = NULL;
  g_autoptr(SottoContent) second = NULL;
  g_autoptr(GPtrArray) received = NULL;
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *other_id = g_uuid_string_random ();

  first = sotto_content_new_text (id, 1767225600000, "alice", "Only once");
  second = sotto_content_new_text (other_id, 1767225600001, "alice", "And this");
  send_content (sender, first);
  send_content (sender, first);
  send_content (sender, second);
  send_content (sender, first);
  sender_close (sender);

  received = cli_receive (test, bob);
  cli_assert_texts (received, "alice", "Only once", "And this", NULL);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (received, 0), "id"), ==, id);
}

static void
send_plaintext (Sender *sender,
                GBytes *plaintext)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SottoOutbox *outbox = _sotto_messenger_get_outbox (sender->messenger);

  _sotto_outbox_send_plaintext_async (outbox, sender->conversation, plaintext,
                                      1767225600000, NULL, cli_result_cb, &result);
  cli_wait_for (&result);
  g_assert_true (_sotto_outbox_send_content_finish (outbox, result, &error));
  g_assert_no_error (error);
}

/* Version 2 content as a newer Sotto could write it: a fresh id, a
 * timestamp, @sender, then the fields in @fields_hex. */
static GBytes *
newer_content (const char *sender,
               const char *fields_hex)
{
  g_autofree char *id = g_uuid_string_random ();
  gsize fields_len = strlen (fields_hex) / 2;
  gsize size = 64 + fields_len;
  g_autofree guint8 *message = g_malloc (size);
  guint8 uuid[SP_UUID_SIZE];
  SpPbWriter writer;
  gsize len;
  gsize total;
  guint8 *data;

  g_assert_cmpint (sp_uuid_decode (uuid, id), ==, SP_OK);
  sp_pb_writer_init (&writer, message, size);
  sp_pb_write_bytes (&writer, 1, uuid, sizeof uuid);
  sp_pb_write_varint (&writer, 2, 1767225600000);
  if (sender != NULL)
    sp_pb_write_bytes (&writer, 3, (const guint8 *) sender, strlen (sender));
  g_assert_cmpint (sp_pb_writer_finish (&writer, &len), ==, SP_OK);
  test_unhex (message + len, fields_len, fields_hex);
  len += fields_len;

  /* The version byte, the message, the padding marker, zeros. */
  total = (len + 2 + SOTTO_CONTENT_BLOCK_SIZE - 1) / SOTTO_CONTENT_BLOCK_SIZE * SOTTO_CONTENT_BLOCK_SIZE;
  data = g_malloc0 (total);
  data[0] = 2;
  memcpy (data + 1, message, len);
  data[1 + len] = 0x80;

  return g_bytes_new_take (data, total);
}

/* The text "Old" in version 1, as Sotto 0.1 writes it. */
static GBytes *
old_content (void)
{
  g_autofree char *id = g_uuid_string_random ();
  guint8 *data = g_malloc0 (SOTTO_CONTENT_BLOCK_SIZE);

  data[0] = 1;
  data[1] = SOTTO_CONTENT_KIND_TEXT;
  g_assert_cmpint (sp_uuid_decode (data + 2, id), ==, SP_OK);
  test_unhex (data + 18, 21, "0000019b76daa800" "05" "616c696365" "00000003" "4f6c64");

  return g_bytes_new_take (data, SOTTO_CONTENT_BLOCK_SIZE);
}

/* What a newer Sotto sends arrives: what this version knows of it is
 * shown, what it cannot show becomes a placeholder, and a passing signal
 * leaves no trace and stops nothing after it.  What Sotto 0.1 sends
 * arrives too. */
static void
test_newer_content (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  Sender *sender = sender_open (alice, "bob");
  g_autoptr(GPtrArray) received = NULL;
  /* Data { text "Hi", 15: an emoji, 100: fixed64 }, then 101: varint. */
  g_autoptr(GBytes) with_unknown = newer_content ("alice", "2214" "0a024869" "7a040a02f09f"
                                                  "a1060102030405060708" "a80601");
  /* Data { 15: an emoji } alone. */
  g_autoptr(GBytes) reaction = newer_content ("alice", "2206" "7a040a02f09f");
  /* Data { text "Hi", required level 3 }, a level above this version's. */
  g_autoptr(GBytes) required = newer_content ("alice", "2206" "0a024869" "5003");
  /* Ephemeral { typing { started } }, which names no sender. */
  g_autoptr(GBytes) typing = newer_content (NULL, "3204" "0a020801");
  g_autoptr(GBytes) old = old_content ();
  g_autoptr(SottoContent) last = NULL;
  g_autofree char *last_id = g_uuid_string_random ();

  last = sotto_content_new_text (last_id, 1767225600001, "alice", "Last");
  send_plaintext (sender, typing);
  send_plaintext (sender, with_unknown);
  send_plaintext (sender, reaction);
  send_plaintext (sender, required);
  send_plaintext (sender, typing);
  send_plaintext (sender, old);
  send_content (sender, last);
  sender_close (sender);

  received = cli_receive (test, bob);
  cli_assert_texts (received, "alice",
                "Hi",
                "This message needs a newer version of Sotto.",
                "This message needs a newer version of Sotto.",
                "Old",
                "Last",
                NULL);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (received, 4), "id"), ==, last_id);
}

typedef struct
{
  GTestDBus *bus;
  char *home;
  GSubprocess *daemon;
} Keyring;

static void
name_appeared_cb (GDBusConnection *connection,
                  const char      *name,
                  const char      *owner,
                  gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* gnome-keyring-daemon on a private session bus, in a temporary home. */
static Keyring *
keyring_start (void)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree char *runtime = NULL;
  Keyring *keyring = g_new0 (Keyring, 1);
  GOutputStream *input;
  gboolean appeared = FALSE;
  guint watch_id;

  keyring->home = g_dir_make_tmp ("sotto-cli-keyring-XXXXXX", &error);
  g_assert_no_error (error);
  data = g_build_filename (keyring->home, "data", NULL);
  runtime = g_build_filename (keyring->home, "runtime", NULL);
  g_assert_cmpint (g_mkdir_with_parents (runtime, 0700), ==, 0);

  keyring->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (keyring->bus);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_setenv (launcher, "HOME", keyring->home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime, TRUE);

  /* --unlock creates the login keyring with the password read from
   * standard input: here an empty one. */
  keyring->daemon = g_subprocess_launcher_spawn (launcher, &error, "gnome-keyring-daemon", "--foreground",
                                                 "--unlock", "--components=secrets", NULL);
  g_assert_no_error (error);
  input = g_subprocess_get_stdin_pipe (keyring->daemon);
  g_assert_true (g_output_stream_write_all (input, "\n", 1, NULL, NULL, &error));
  g_assert_true (g_output_stream_close (input, NULL, &error));
  g_assert_no_error (error);

  connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  watch_id = g_bus_watch_name_on_connection (connection, "org.freedesktop.secrets",
                                             G_BUS_NAME_WATCHER_FLAGS_NONE,
                                             name_appeared_cb, NULL, &appeared, NULL);
  while (!appeared)
    g_main_context_iteration (NULL, TRUE);
  g_bus_unwatch_name (watch_id);

  return keyring;
}

static void
keyring_stop (Keyring *keyring)
{
  g_subprocess_send_signal (keyring->daemon, SIGTERM);
  g_subprocess_wait (keyring->daemon, NULL, NULL);
  g_clear_object (&keyring->daemon);
  g_test_dbus_down (keyring->bus);
  g_clear_object (&keyring->bus);
  g_free (keyring->home);
  g_free (keyring);
}

static void
test_keyring (void)
{
  g_autofree char *daemon = g_find_program_in_path ("gnome-keyring-daemon");
  g_autoptr(CliTest) test = NULL;
  g_autoptr(CliResult) locked_out = NULL;
  g_autofree char *kim = NULL;
  g_autofree char *bob = NULL;
  g_autofree char *address = NULL;
  g_autofree char *runtime = NULL;
  Keyring *keyring;

  if (daemon == NULL)
    {
      g_test_skip ("gnome-keyring-daemon is not installed");
      return;
    }

  keyring = keyring_start ();
  test = cli_test_new (FALSE);
  bob = cli_register (test, "bob");

  /* Without SOTTO_PASSPHRASE the database key goes to the keyring. */
  address = g_strdup_printf ("DBUS_SESSION_BUS_ADDRESS=%s", g_test_dbus_get_bus_address (keyring->bus));
  test->extra_env = g_strdupv ((char *[]) { address, (char *) "-SOTTO_PASSPHRASE", NULL });
  kim = cli_register (test, "kim");
  cli_whoami_free (cli_whoami (test, kim, "kim"));

  cli_send_ok (test, kim, "bob", "From the keyring");
  g_strfreev (g_steal_pointer (&test->extra_env));
  cli_assert_receives (test, bob, "kim", "From the keyring", NULL);

  /* A passphrase does not open a keyring profile, and nothing does
   * without the keyring. */
  test->extra_env = g_strdupv ((char *[]) { address, NULL });
  cli_run_ok (test, kim, "whoami", NULL);
  g_strfreev (g_steal_pointer (&test->extra_env));

  keyring_stop (keyring);
  runtime = g_strdup ("DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/sotto-test-bus");
  test->extra_env = g_strdupv ((char *[]) { runtime, NULL });
  locked_out = cli_run (test, kim, "whoami", NULL);
  g_assert_cmpint (locked_out->status, ==, 1);
  g_assert_nonnull (strstr (locked_out->err, "keyring"));
}

/* The state of the newest message in @history. */
static const char *
newest_state (GPtrArray *history)
{
  g_assert_cmpuint (history->len, >, 0);

  return json_object_get_string_member (g_ptr_array_index (history, history->len - 1), "state");
}

/* A first message is a request: no receipt goes back until the recipient
 * accepts; a blocked sender's messages vanish without a receipt. */
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

/* Whether the lock file of @profile names @pid: the process holding the
 * profile has opened its store. */
static gboolean
lock_names (const char *profile,
            const char *pid)
{
  g_autofree char *path = g_build_filename (profile, "sotto.lock", NULL);
  g_autofree char *contents = NULL;

  return g_file_get_contents (path, &contents, NULL, NULL) && g_str_has_prefix (contents, pid)
         && contents[strlen (pid)] == '\n';
}

/* One profile, one process: while one sotto-cli has it open, a second
 * one says which process has it and changes nothing; once the first is
 * gone, the second works. */
static void
test_profile_in_use (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autoptr(GSubprocess) holder = NULL;
  g_autoptr(CliResult) refused = NULL;
  g_autofree char *expected = NULL;
  const char *pid;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  holder = cli_spawn (test, alice, "receive", "--timeout", "60", NULL);
  pid = g_subprocess_get_identifier (holder);
  while (!lock_names (alice, pid))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10000);
    }

  refused = cli_run (test, alice, "whoami", NULL);
  g_assert_cmpint (refused->status, ==, 1);
  expected = g_strdup_printf ("is open in sotto-cli (process %s)", pid);
  g_assert_nonnull (strstr (refused->err, expected));

  g_subprocess_force_exit (holder);
  g_assert_true (g_subprocess_wait (holder, NULL, NULL));

  cli_run_ok (test, alice, "whoami", NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/cli/conversation", test_conversation);
  g_test_add_func ("/cli/usage", test_usage);
  g_test_add_func ("/cli/safety-number", test_safety_number);
  g_test_add_func ("/cli/key-change/unverified", test_key_change_unverified);
  g_test_add_func ("/cli/key-change/verified", test_key_change_verified);
  g_test_add_func ("/cli/relay-down", test_relay_down);
  g_test_add_func ("/cli/receive-timeout-flapping", test_receive_timeout_flapping);
  g_test_add_func ("/cli/no-plaintext", test_no_plaintext);
  g_test_add_func ("/cli/prekeys", test_prekeys);
  g_test_add_func ("/cli/prekeys-while-online", test_prekeys_while_online);
  g_test_add_func ("/cli/duplicates", test_duplicates);
  g_test_add_func ("/cli/newer-content", test_newer_content);
  g_test_add_func ("/cli/keyring", test_keyring);
  g_test_add_func ("/cli/requests", test_requests);
  g_test_add_func ("/cli/stranger-without-requests", test_stranger_without_requests);
  g_test_add_func ("/cli/profile-in-use", test_profile_in_use);

  return g_test_run ();
}
