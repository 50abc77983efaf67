/* test-cli-prekeys.c: a sotto-cli profile's prekeys at a real relay
 *
 * One-time prekeys used up by others and topped up, offline and online,
 * and signed prekeys replaced after a week.
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "sp-error.h"
#include "sp-init.h"

#include "cli-test-util.h"
#include "sotto-messenger-private.h"

/* Alice and Bob on a relay that hands out prekeys without limit, and a
 * client of the relay's API that can act as either. */
typedef struct
{
  CliTest *test;
  char *alice;
  char *bob;
  CliWhoami *alice_id;
  CliWhoami *bob_id;
  char *alice_password;
  char *bob_password;
  SoupSession *session;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  guint8 key[SP_PRIVATE_KEY_SIZE];

  fixture->test = cli_test_new (TRUE);
  fixture->alice = cli_register (fixture->test, "alice");
  fixture->bob = cli_register (fixture->test, "bob");
  fixture->alice_id = cli_whoami (fixture->test, fixture->alice, "alice");
  fixture->bob_id = cli_whoami (fixture->test, fixture->bob, "bob");
  cli_read_secrets (fixture->alice, key, &fixture->alice_password);
  cli_read_secrets (fixture->bob, key, &fixture->bob_password);
  fixture->session = soup_session_new_with_options ("proxy-resolver", NULL, NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_clear_object (&fixture->session);
  g_free (fixture->bob_password);
  g_free (fixture->alice_password);
  cli_whoami_free (fixture->bob_id);
  cli_whoami_free (fixture->alice_id);
  g_free (fixture->bob);
  g_free (fixture->alice);
  cli_test_free (fixture->test);
}

/* GET @path as Alice's or Bob's device. */
static JsonObject *
relay_get (Fixture         *fixture,
           const CliWhoami *who,
           const char      *password,
           const char      *path)
{
  g_autofree char *address = g_strconcat (fixture->test->relay->url, path, NULL);
  g_autofree char *user = g_strdup_printf ("%s.1:%s", who->uuid, password);
  g_autofree char *encoded = g_base64_encode ((const guint8 *) user, strlen (user));
  g_autofree char *authorization = g_strconcat ("Basic ", encoded, NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", address);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", authorization);
  body = soup_session_send_and_read (fixture->session, message, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);

  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

  return cli_parse_object (text);
}

/* Bob fetches Alice's bundle, using up one of her one-time prekeys of
 * each kind. */
static JsonObject *
fetch_alice_bundle (Fixture *fixture)
{
  g_autofree char *path = g_strdup_printf ("/v1/keys/%s/1", fixture->alice_id->uuid);

  return relay_get (fixture, fixture->bob_id, fixture->bob_password, path);
}

/* How many one-time prekeys Alice has left at the relay. */
static JsonObject *
alice_key_counts (Fixture *fixture)
{
  return relay_get (fixture, fixture->alice_id, fixture->alice_password, "/v1/keys");
}

static void
assert_key_counts (Fixture *fixture,
                   gint64   expected)
{
  g_autoptr(JsonObject) counts = alice_key_counts (fixture);

  g_assert_cmpint (json_object_get_int_member (counts, "preKeyCount"), ==, expected);
  g_assert_cmpint (json_object_get_int_member (counts, "pqPreKeyCount"), ==, expected);
}

static gint64
signed_pre_key_id (Fixture *fixture)
{
  g_autoptr(JsonObject) bundles = fetch_alice_bundle (fixture);
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
test_prekeys (Fixture       *fixture,
              gconstpointer  user_data)
{
  CliTest *test = fixture->test;
  g_autoptr(GPtrArray) received = NULL;
  g_autoptr(CliResult) online = NULL;
  g_autofree char *carol = NULL;
  gint64 signed_before;
  gint64 signed_after;

  assert_key_counts (fixture, 100);

  for (guint i = 0; i < 80; i++)
    json_object_unref (fetch_alice_bundle (fixture));
  assert_key_counts (fixture, 20);

  online = cli_run (test, fixture->alice, "receive", "--timeout", "0", NULL);
  cli_assert_ok (online);
  assert_key_counts (fixture, 100);

  cli_send_ok (test, fixture->bob, "alice", "With a fresh prekey");
  cli_assert_receives (test, fixture->alice, "bob", "With a fresh prekey", NULL);

  /* A week later the signed prekeys are replaced; messages built on the
   * old ones still decrypt, new sessions use the new ones. */
  signed_before = signed_pre_key_id (fixture);
  age_signed_pre_keys (fixture->alice);
  g_clear_pointer (&online, cli_result_free);
  cli_run_ok (test, fixture->alice, "receive", "--timeout", "0", NULL);
  signed_after = signed_pre_key_id (fixture);
  g_assert_cmpint (signed_after, !=, signed_before);

  carol = cli_register (test, "carol");
  cli_send_ok (test, carol, "alice", "After the rotation");
  cli_send_ok (test, fixture->bob, "alice", "Still the old session");
  received = cli_receive (test, fixture->alice);
  g_assert_cmpuint (received->len, ==, 2);
}

/* How many WebSockets the relay has open. */
static gint64
open_websockets (Fixture *fixture)
{
  static const char name[] = "sotto_relay_open_connections{kind=\"websocket\"} ";
  g_autoptr(SoupMessage) message = soup_message_new ("GET", fixture->test->relay->metrics_url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const char *line;

  body = soup_session_send_and_read (fixture->session, message, NULL, &error);
  g_assert_no_error (error);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  line = strstr (text, name);
  g_assert_nonnull (line);
  return g_ascii_strtoll (line + strlen (name), NULL, 10);
}

static gint64
pre_key_count (Fixture *fixture)
{
  g_autoptr(JsonObject) counts = alice_key_counts (fixture);

  return json_object_get_int_member (counts, "preKeyCount");
}

/* Others use up the one-time prekeys while the device is online: the
 * relay tells it that few are left, and it tops them up at once rather
 * than at its next start. */
static void
test_prekeys_while_online (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(GSubprocess) online = NULL;
  gint64 deadline;

  online = cli_spawn (fixture->test, fixture->alice, "receive", "--timeout", "300", NULL);
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (open_websockets (fixture) < 1)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (G_USEC_PER_SEC / 20);
    }

  /* The relay tells Alice once fewer than 10 are left. */
  for (guint i = 0; i < 95; i++)
    json_object_unref (fetch_alice_bundle (fixture));
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (pre_key_count (fixture) < SOTTO_PRE_KEY_LOW)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (G_USEC_PER_SEC / 20);
    }

  g_subprocess_force_exit (online);
  g_subprocess_wait (online, NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add ("/cli/prekeys", Fixture, NULL, fixture_set_up, test_prekeys, fixture_tear_down);
  g_test_add ("/cli/prekeys-while-online", Fixture, NULL, fixture_set_up, test_prekeys_while_online,
              fixture_tear_down);

  return g_test_run ();
}
