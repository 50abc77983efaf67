/* test-relay-expiry.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Envelopes that their senders gave an expiry ("expiresInMs", for
 * disappearing messages), against real sotto-relay processes, on SQLite
 * and, under build-aux/with-postgresql.sh, on PostgreSQL: the relay
 * never delivers one after its expiry, deletes it from its database
 * soon after, and refuses an expiry it could not keep.
 */

#include "config.h"

#include <string.h>

#include "relay-test-util.h"

typedef TestFixture Fixture;

/* The relay keeps envelopes a minute at most here. */
#define RETENTION_MS 60000


/* One envelope to a device of `to`, as a send's messages hold it, with
 * `expiry` as its "expiresInMs" member, or without one when NULL. */
static char *
message_json (TestAccount *to,
              const char  *content,
              const char  *expiry)
{
  g_autofree char *member = expiry != NULL ? g_strdup_printf (",\"expiresInMs\":%s", expiry) : g_strdup ("");

  return g_strdup_printf ("{\"type\":1,\"destinationDeviceId\":1,\"destinationRegistrationId\":%u,"
                          "\"content\":\"%s\"%s}", to->registration_id, content, member);
}

static TestResponse *
send_with_expiry (Fixture     *fixture,
                  TestAccount *from,
                  TestAccount *to,
                  const char  *content,
                  const char  *expiry)
{
  g_autofree char *path = g_strdup_printf ("/v1/messages/%s", to->uuid);
  g_autofree char *message = message_json (to, content, expiry);
  g_autofree char *body = g_strdup_printf ("{\"timestamp\":1767225600000,\"messages\":[%s]}", message);

  return test_request (fixture->session, fixture->relay, "PUT", path, from->auth, body);
}

static char *
send_expiring (Fixture     *fixture,
               TestAccount *from,
               TestAccount *to,
               const char  *content,
               gint64       expires_in_ms)
{
  g_autofree char *expiry = g_strdup_printf ("%" G_GINT64_FORMAT, expires_in_ms);
  g_autoptr(TestResponse) response = send_with_expiry (fixture, from, to, content, expiry);
  JsonArray *messages;

  g_assert_cmpuint (response->status, ==, 200);
  messages = json_object_get_array_member (test_response_object (response), "messages");
  return g_strdup (json_object_get_string_member (json_array_get_object_element (messages, 0), "guid"));
}

/* Runs a statement that changes the relay's database, SQLite or
 * PostgreSQL, as another process would. */
static void
fixture_exec (Fixture    *fixture,
              const char *sql)
{
  g_autofree char *path = NULL;
  g_autofree char *url = NULL;
  sqlite3 *db = NULL;

  if (test_relay_uses_postgresql ())
    {
      url = test_relay_data_dir_database (fixture->dir);
      test_postgresql_query_int (url, sql);
      return;
    }
  path = g_build_filename (fixture->dir, "relay.db", NULL);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  test_sqlite_exec (db, sql);
  sqlite3_close (db);
}

static void
wait_for_rows (Fixture    *fixture,
               const char *sql,
               gint64      rows)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (test_fixture_query_int (fixture, sql) != rows)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50 * G_TIME_SPAN_MILLISECOND);
    }
}

static void
expect_only (TestSocket *socket,
             const char *guid)
{
  g_autoptr(JsonNode) node = NULL;
  JsonObject *envelope = test_socket_expect_envelope (socket, &node);

  g_assert_cmpstr (json_object_get_string_member (envelope, "guid"), ==, guid);
  test_socket_expect_drained (socket);
}

/* An envelope stored for a device that stays offline is deleted from
 * the database about a second after its expiry, by the sweep, and is
 * not delivered when the device comes online; the envelope stored with
 * it, without an expiry, stays and is. */
static void
test_expired_envelope_is_deleted (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autofree char *kept = test_send_envelope (fixture->session, fixture->relay, alice, bob, "a2VwdA==");
  g_autofree char *lapsing = send_expiring (fixture, alice, bob, "bGFwc2luZw==", 3000);
  g_autoptr(TestSocket) socket = NULL;

  g_assert_cmpstr (kept, !=, lapsing);
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, 2);
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue WHERE expires_at = server_timestamp + 3000"),
                   ==, 1);

  wait_for_rows (fixture, "SELECT count(*) FROM queue", 1);
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue WHERE expires_at IS NULL"), ==, 1);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_lapsed_total"), ==, 1);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 1);

  socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  expect_only (socket, kept);
}

/* A device that fetches its queue after an envelope's expiry does not
 * get it, even before the sweep has deleted it: here the expiry is
 * moved into the past behind the relay's back, so that its sweep is not
 * due for a minute. */
static void
test_fetched_after_expiry (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autofree char *lapsed = send_expiring (fixture, alice, bob, "bGFwc2Vk", 3600 * 1000);
  g_autofree char *kept = test_send_envelope (fixture->session, fixture->relay, alice, bob, "a2VwdA==");
  g_autofree char *past = g_strdup_printf ("UPDATE queue SET expires_at = %" G_GINT64_FORMAT
                                           " WHERE expires_at IS NOT NULL", g_get_real_time () / 1000 - 1000);
  g_autoptr(TestSocket) socket = NULL;

  g_assert_cmpstr (kept, !=, lapsed);
  fixture_exec (fixture, past);
  socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  expect_only (socket, kept);
}

/* An envelope pushed to a connected device, and one it fetches, before
 * their expiry are delivered like any other. */
static void
test_delivered_before_expiry (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autofree char *queued = send_expiring (fixture, alice, bob, "cXVldWVk", 50000);
  g_autofree char *pushed = NULL;
  g_autoptr(TestSocket) socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  g_autoptr(JsonNode) node = NULL;

  expect_only (socket, queued);
  pushed = send_expiring (fixture, alice, bob, "cHVzaGVk", 50000);
  g_assert_cmpstr (json_object_get_string_member (test_socket_expect_envelope (socket, &node), "guid"), ==, pushed);
}

/* An envelope that expires while it waits in the relay's memory for
 * the device's window of unacknowledged envelopes (one, here) is not
 * written once the window opens. */
static void
test_waiting_frame_expires (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestSocket) socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  g_autofree char *first = NULL;
  g_autofree char *lapsing = NULL;
  g_autofree char *last = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) next = NULL;

  test_socket_expect_drained (socket);
  first = test_send_envelope (fixture->session, fixture->relay, alice, bob, "Zmlyc3Q=");
  g_assert_cmpstr (json_object_get_string_member (test_socket_expect_envelope (socket, &node), "guid"), ==, first);
  lapsing = send_expiring (fixture, alice, bob, "bGFwc2luZw==", 500);
  g_usleep (800 * G_TIME_SPAN_MILLISECOND);
  test_socket_ack (socket, first);
  last = test_send_envelope (fixture->session, fixture->relay, alice, bob, "bGFzdA==");
  g_clear_pointer (&node, json_node_unref);
  g_assert_cmpstr (json_object_get_string_member (test_socket_expect_envelope (socket, &node), "guid"), ==, last);
  next = test_socket_next (socket, 300);
  g_assert_null (next);
}

static void
assert_refused (TestResponse *response,
                const char   *error)
{
  g_assert_cmpuint (response->status, ==, 400);
  g_assert_cmpstr (test_response_error (response), ==, error);
}

/* An expiry that is not a positive integer, or that is longer than the
 * relay keeps envelopes, is refused with 400, and nothing of the send is
 * stored: single sends over HTTP and the WebSocket, multi-recipient and
 * unidentified sends alike.  The longest the relay keeps is taken. */
static void
test_bad_expiries (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestAccount) carol = test_account_register (fixture->session, fixture->relay, "carol", 0);
  g_autofree char *too_long = g_strdup_printf ("%d", RETENTION_MS + 1);
  g_autofree char *key = test_random_base64 (16, -1);
  g_autofree char *to_bob = message_json (bob, "YmFk", too_long);
  g_autofree char *to_carol = message_json (carol, "Z29vZA==", "5000");
  g_autofree char *multi = g_strdup_printf ("{\"timestamp\":1,\"recipients\":[{\"destination\":\"%s\",\"messages\":[%s]},"
                                            "{\"destination\":\"%s\",\"messages\":[%s]}]}",
                                            carol->uuid, to_carol, bob->uuid, to_bob);
  g_autofree char *unidentified_path = g_strdup_printf ("/v1/messages/%s/unidentified", bob->uuid);
  g_autofree char *unidentified = g_strdup_printf ("{\"accessKey\":\"%s\",\"timestamp\":1,\"messages\":"
                                                   "[{\"type\":6,\"destinationDeviceId\":1,"
                                                   "\"destinationRegistrationId\":%u,\"content\":\"c2VhbGVk\","
                                                   "\"expiresInMs\":%s}]}",
                                                   key, bob->registration_id, too_long);
  g_autofree char *websocket = g_strdup_printf ("{\"type\":\"send\",\"id\":7,\"destination\":\"%s\",\"timestamp\":1,"
                                                "\"messages\":[%s]}", bob->uuid, to_bob);
  const char *malformed[][2] = {
    { "0", "bad-value" }, { "-1", "bad-value" }, { too_long, "bad-value" }, { "1.5", "wrong-type" },
    { "\"5000\"", "wrong-type" }, { "99999999999999999999", "bad-value" },
  };
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(TestSocket) socket = NULL;
  g_autoptr(JsonNode) answer = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autoptr(TestResponse) refused = send_with_expiry (fixture, alice, bob, "YmFk", malformed[i][0]);

      assert_refused (refused, malformed[i][1]);
    }
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, 0);

  response = test_request (fixture->session, fixture->relay, "PUT", "/v1/messages/multi", alice->auth, multi);
  assert_refused (response, "bad-value");
  test_set_access_key (fixture->session, fixture->relay, bob, key);
  g_clear_pointer (&response, test_response_free);
  response = test_request (fixture->session, fixture->relay, "PUT", unidentified_path, NULL, unidentified);
  assert_refused (response, "bad-value");

  socket = test_socket_connect (fixture->session, fixture->relay, alice->auth);
  test_socket_expect_drained (socket);
  soup_websocket_connection_send_text (socket->connection, websocket);
  answer = test_socket_next (socket, 5000);
  g_assert_nonnull (answer);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (answer), "type"), ==, "response");
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (answer), "status"), ==, 400);
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, 0);

  g_free (send_expiring (fixture, alice, bob, "bG9uZ2VzdA==", RETENTION_MS));
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue WHERE expires_at = server_timestamp + 60000"),
                   ==, 1);
}

/* A multi-recipient send gives each recipient's envelopes their own
 * expiry, and every one of them goes once it passes. */
static void
test_multi_send_expires (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestAccount) carol = test_account_register (fixture->session, fixture->relay, "carol", 0);
  g_autofree char *to_bob = message_json (bob, "Ym9i", "3000");
  g_autofree char *to_carol = message_json (carol, "Y2Fyb2w=", "50000");
  g_autofree char *multi = g_strdup_printf ("{\"timestamp\":1,\"recipients\":[{\"destination\":\"%s\",\"messages\":[%s]},"
                                            "{\"destination\":\"%s\",\"messages\":[%s]}]}",
                                            bob->uuid, to_bob, carol->uuid, to_carol);
  g_autoptr(TestResponse) response = test_request (fixture->session, fixture->relay, "PUT", "/v1/messages/multi",
                                                   alice->auth, multi);
  g_autoptr(TestSocket) socket = NULL;

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue WHERE expires_at = server_timestamp + 3000"),
                   ==, 1);
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue WHERE expires_at = server_timestamp + 50000"),
                   ==, 1);
  wait_for_rows (fixture, "SELECT count(*) FROM queue", 1);
  socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  test_socket_expect_drained (socket);
}


int
main (int   argc,
      char *argv[])
{
  /* The relaxed limits end with their section; these add another. */
  g_autofree char *retention_conf = g_strconcat (test_relay_relaxed_conf, "[limits]\nmax-queue-age-seconds=60\n",
                                                 NULL);
  g_autofree char *window_conf = g_strconcat (test_relay_relaxed_conf, "[limits]\nwebsocket-unacked=1\n", NULL);

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, conf) \
  g_test_add ("/relay/expiry/" path, Fixture, conf, test_fixture_setup, func, test_fixture_teardown)

  ADD ("deleted-after-expiry", test_expired_envelope_is_deleted, NULL);
  ADD ("fetched-after-expiry", test_fetched_after_expiry, NULL);
  ADD ("delivered-before-expiry", test_delivered_before_expiry, NULL);
  ADD ("waiting-frame-expires", test_waiting_frame_expires, window_conf);
  ADD ("bad-expiries", test_bad_expiries, retention_conf);
  ADD ("multi-send", test_multi_send_expires, retention_conf);

  return g_test_run ();
}
