/* test-relay-websocket.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The WebSocket of API v1: delivery, acknowledgement and sends answered
 * by id, against a real sotto-relay process on loopback.
 */

#include "config.h"

#include <string.h>

#include "relay-api-test-conf.h"
#include "relay-test-util.h"

typedef TestFixture Fixture;

static void
expect_nothing (TestSocket *socket)
{
  g_autoptr(JsonNode) node = test_socket_next (socket, 300);

  g_assert_null (node);
}

static void
test_ws_offline_queue (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(GPtrArray) guids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) contents = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(TestSocket) socket = NULL;

  for (guint i = 0; i < 5; i++)
    {
      g_ptr_array_add (contents, test_random_base64 (100, -1));
      g_ptr_array_add (guids, test_send_envelope (fixture->session, fixture->relay, alice, bob, g_ptr_array_index (contents, i)));
    }
  socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  g_assert_no_error (socket->error);
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(JsonNode) node = NULL;
      JsonObject *envelope = test_socket_expect_envelope (socket, &node);

      /* In order, with the sender, and the content byte for byte. */
      g_assert_cmpstr (json_object_get_string_member (envelope, "guid"), ==, g_ptr_array_index (guids, i));
      g_assert_cmpstr (json_object_get_string_member (envelope, "content"), ==, g_ptr_array_index (contents, i));
      g_assert_cmpstr (json_object_get_string_member (envelope, "source"), ==, alice->uuid);
      g_assert_cmpint (json_object_get_int_member (envelope, "sourceDevice"), ==, 1);
      g_assert_cmpint (json_object_get_int_member (envelope, "envelopeType"), ==, 1);
      test_socket_ack (socket, g_ptr_array_index (guids, i));
    }
  test_socket_expect_drained (socket);

  /* Sent while connected: pushed at once. */
  {
    g_autofree char *content = test_random_base64 (100, -1);
    g_autofree char *guid = test_send_envelope (fixture->session, fixture->relay, alice, bob, content);
    g_autoptr(JsonNode) node = NULL;
    JsonObject *envelope = test_socket_expect_envelope (socket, &node);

    g_assert_cmpstr (json_object_get_string_member (envelope, "guid"), ==, guid);
    test_socket_ack (socket, guid);
  }
  g_clear_pointer (&socket, test_socket_free);

  /* Everything was acknowledged, so a new connection finds nothing. */
  socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  test_socket_expect_drained (socket);
  expect_nothing (socket);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_delivered_total"), ==, 6);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 0);
}

static void
test_ws_redelivery (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(GPtrArray) guids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(TestSocket) socket = NULL;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *content = test_random_base64 (50, -1);

      g_ptr_array_add (guids, test_send_envelope (fixture->session, fixture->relay, alice, bob, content));
    }
  socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(JsonNode) node = NULL;
      JsonObject *envelope = test_socket_expect_envelope (socket, &node);

      g_assert_cmpstr (json_object_get_string_member (envelope, "guid"), ==, g_ptr_array_index (guids, i));
    }
  test_socket_expect_drained (socket);
  test_socket_ack (socket, g_ptr_array_index (guids, 1));
  /* An ack for an envelope that is not Bob's, or not at all, changes nothing. */
  test_socket_ack (socket, "00000000-0000-4000-8000-000000000000");
  expect_nothing (socket);
  g_clear_pointer (&socket, test_socket_free);

  socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  {
    g_autoptr(JsonNode) first = NULL;
    g_autoptr(JsonNode) second = NULL;

    g_assert_cmpstr (json_object_get_string_member (test_socket_expect_envelope (socket, &first), "guid"), ==,
                     g_ptr_array_index (guids, 0));
    g_assert_cmpstr (json_object_get_string_member (test_socket_expect_envelope (socket, &second), "guid"), ==,
                     g_ptr_array_index (guids, 2));
  }
  test_socket_expect_drained (socket);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 2);
}

/* The relay says why it closes in a last "close" message. */
static void
expect_close (TestSocket *socket,
              gint64      code)
{
  g_autoptr(JsonNode) node = test_socket_next (socket, 5000);
  JsonObject *object;

  g_assert_nonnull (node);
  object = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "close");
  g_assert_cmpint (json_object_get_int_member (object, "code"), ==, code);
  g_assert_true (test_socket_wait_closed (socket, 5000));
}

static void
test_ws_auth (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autofree char *wrong = test_basic_auth (bob->uuid, 1, "definitely-wrong-password");
  g_autoptr(TestSocket) none = test_socket_connect (fixture->session, fixture->relay, NULL);
  g_autoptr(TestSocket) bad = test_socket_connect (fixture->session, fixture->relay, wrong);
  g_autoptr(TestSocket) first = NULL;
  g_autoptr(TestSocket) second = NULL;

  /* Without credentials the upgrade itself is refused. */
  g_assert_nonnull (none->error);
  /* With wrong ones the socket opens, then closes with 4401. */
  g_assert_no_error (bad->error);
  expect_close (bad, 4401);

  /* A second connection of the same device replaces the first. */
  first = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  test_socket_expect_drained (first);
  second = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  test_socket_expect_drained (second);
  expect_close (first, 4409);
}

static void
test_ws_bad_frames (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestSocket) socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  const char *garbage[] = { "not json", "{\"type\":\"ack\"}", "{\"type\":\"ack\",\"guid\":\"x\"}",
                            "{\"type\":\"dance\"}", "[]", "{\"type\":\"ack\",\"guid\":7}" };
  const char *codes[] = { "bad-json", "missing-field", "bad-value", "bad-value", "bad-json", "wrong-type" };
  /* One byte over max-request-bytes, the bound on any client message. */
  g_autofree char *huge = g_strnfill (1024 * 1024 + 1, 'x');
  g_autoptr(TestSocket) binary = NULL;
  g_autoptr(TestSocket) big = NULL;
  g_autoptr(TestResponse) health = NULL;

  test_socket_expect_drained (socket);
  for (guint i = 0; i < G_N_ELEMENTS (garbage); i++)
    {
      g_autoptr(JsonNode) node = NULL;
      JsonObject *object;

      soup_websocket_connection_send_text (socket->connection, garbage[i]);
      node = test_socket_next (socket, 5000);
      g_assert_nonnull (node);
      object = json_node_get_object (node);
      g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "error");
      g_assert_cmpstr (json_object_get_string_member (object, "error"), ==, codes[i]);
    }
  g_clear_pointer (&socket, test_socket_free);

  binary = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  test_socket_expect_drained (binary);
  soup_websocket_connection_send_binary (binary->connection, "\x01\x02", 2);
  expect_close (binary, 1003);

  big = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  test_socket_expect_drained (big);
  soup_websocket_connection_send_text (big->connection, huge);
  expect_close (big, 1009);

  health = test_request (fixture->session, fixture->relay, "GET", "/v1/health", NULL, NULL);
  g_assert_cmpuint (health->status, ==, 200);
}

/* Sends made on the WebSocket, answered there by id. */

static void
ws_send (TestSocket  *socket,
         gint64       id,
         const char  *destination,
         guint        device_id,
         guint        registration_id,
         const char  *content)
{
  g_autofree char *text = g_strdup_printf ("{\"type\":\"send\",\"id\":%" G_GINT64_FORMAT ","
                                           "\"destination\":\"%s\",\"timestamp\":1767225600000,"
                                           "\"messages\":[{\"type\":1,\"destinationDeviceId\":%u,"
                                           "\"destinationRegistrationId\":%u,\"content\":\"%s\"}]}",
                                           id, destination, device_id, registration_id, content);

  soup_websocket_connection_send_text (socket->connection, text);
}

/* Returns the body of the response to send `id`, which must come next. */
static JsonObject *
expect_response (TestSocket  *socket,
                 gint64       id,
                 guint        status,
                 JsonNode   **holder)
{
  JsonObject *object;

  *holder = test_socket_next (socket, 5000);
  g_assert_nonnull (*holder);
  object = json_node_get_object (*holder);
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "response");
  g_assert_cmpint (json_object_get_int_member (object, "id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (object, "status"), ==, status);
  return json_object_get_object_member (object, "body");
}

static void
wait_for_metric (Fixture    *fixture,
                 const char *name,
                 gint64      value)
{
  for (guint tries = 0; test_relay_metric (fixture->session, fixture->relay, name) != value; tries++)
    {
      g_assert_cmpuint (tries, <, 100);
      g_usleep (50 * 1000);
    }
}

static void
test_ws_send (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestSocket) sender = test_socket_connect (fixture->session, fixture->relay, alice->auth);
  g_autoptr(TestSocket) receiver = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  g_autoptr(GPtrArray) guids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) contents = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) ack = g_string_new ("{\"type\":\"ack\",\"guids\":[");
  const guint total = 50;

  test_socket_expect_drained (sender);
  test_socket_expect_drained (receiver);
  /* Many sends in flight at once, each answered by its id. */
  for (guint i = 0; i < total; i++)
    {
      g_ptr_array_add (contents, test_random_base64 (100, -1));
      ws_send (sender, i + 1, bob->uuid, 1, bob->registration_id, g_ptr_array_index (contents, i));
    }
  for (guint i = 0; i < total; i++)
    {
      g_autoptr(JsonNode) node = NULL;
      JsonObject *body = expect_response (sender, i + 1, 200, &node);
      JsonObject *sent = json_array_get_object_element (json_object_get_array_member (body, "messages"), 0);

      g_assert_cmpint (json_object_get_int_member (sent, "deviceId"), ==, 1);
      g_assert_cmpint (json_object_get_int_member (body, "serverTimestamp"), >, 0);
      g_ptr_array_add (guids, g_strdup (json_object_get_string_member (sent, "guid")));
    }
  /* Bob gets them in order, and acknowledges them all in one message. */
  for (guint i = 0; i < total; i++)
    {
      g_autoptr(JsonNode) node = NULL;
      JsonObject *envelope = test_socket_expect_envelope (receiver, &node);

      g_assert_cmpstr (json_object_get_string_member (envelope, "guid"), ==, g_ptr_array_index (guids, i));
      g_assert_cmpstr (json_object_get_string_member (envelope, "content"), ==, g_ptr_array_index (contents, i));
      g_assert_cmpstr (json_object_get_string_member (envelope, "source"), ==, alice->uuid);
      g_string_append_printf (ack, "%s\"%s\"", i > 0 ? "," : "", (char *) g_ptr_array_index (guids, i));
    }
  g_string_append (ack, "]}");
  soup_websocket_connection_send_text (receiver->connection, ack->str);
  wait_for_metric (fixture, "sotto_relay_envelopes_delivered_total", total);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 0);
  g_clear_pointer (&receiver, test_socket_free);
  receiver = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  test_socket_expect_drained (receiver);
  expect_nothing (receiver);
}

/* Failed sends are answered by id with the status and error body an
 * HTTP send would get, and store nothing. */
static void
test_ws_send_errors (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestSocket) sender = test_socket_connect (fixture->session, fixture->relay, alice->auth);
  g_autofree char *content = test_random_base64 (100, -1);
  g_autoptr(JsonNode) unknown = NULL;
  g_autoptr(JsonNode) mismatch = NULL;
  g_autoptr(JsonNode) stale = NULL;
  g_autoptr(JsonNode) base64 = NULL;
  g_autoptr(JsonNode) no_id = NULL;
  JsonObject *body;

  test_socket_expect_drained (sender);
  ws_send (sender, 1, "00000000-0000-4000-8000-000000000000", 1, 1, content);
  body = expect_response (sender, 1, 404, &unknown);
  g_assert_cmpstr (json_object_get_string_member (body, "error"), ==, "not-found");

  ws_send (sender, 2, bob->uuid, 2, bob->registration_id, content);
  body = expect_response (sender, 2, 409, &mismatch);
  g_assert_cmpstr (json_object_get_string_member (body, "error"), ==, "device-mismatch");
  g_assert_cmpint (json_array_get_int_element (json_object_get_array_member (body, "missingDevices"), 0), ==, 1);
  g_assert_cmpint (json_array_get_int_element (json_object_get_array_member (body, "extraDevices"), 0), ==, 2);

  ws_send (sender, 3, bob->uuid, 1, bob->registration_id % 16000 + 1, content);
  body = expect_response (sender, 3, 410, &stale);
  g_assert_cmpstr (json_object_get_string_member (body, "error"), ==, "stale-devices");

  ws_send (sender, 4, bob->uuid, 1, bob->registration_id, "AAEC=");
  body = expect_response (sender, 4, 400, &base64);
  g_assert_cmpstr (json_object_get_string_member (body, "error"), ==, "bad-base64");

  /* Without an id there is nothing to answer, so an error message comes. */
  soup_websocket_connection_send_text (sender->connection, "{\"type\":\"send\",\"destination\":\"x\"}");
  no_id = test_socket_next (sender, 5000);
  g_assert_nonnull (no_id);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (no_id), "type"), ==, "error");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (no_id), "error"), ==, "missing-field");

  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 0);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_accepted_total"), ==, 0);
}

/* The relay remembers each account's devices between sends; a device
 * that takes a new registration id must be seen at once. */
static void
test_ws_send_new_registration (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestSocket) sender = test_socket_connect (fixture->session, fixture->relay, alice->auth);
  g_autofree char *content = test_random_base64 (100, -1);
  guint old_id = bob->registration_id;
  guint new_id = old_id % 16000 + 1;
  g_autofree char *prekeys = test_prekeys_json (100, 1, FALSE);
  g_autofree char *upload = g_strdup_printf ("{\"registrationId\":%u,\"preKeys\":%s}", new_id, prekeys);
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(JsonNode) before = NULL;
  g_autoptr(JsonNode) stale = NULL;
  g_autoptr(JsonNode) after = NULL;

  test_socket_expect_drained (sender);
  ws_send (sender, 1, bob->uuid, 1, old_id, content);
  expect_response (sender, 1, 200, &before);
  response = test_request (fixture->session, fixture->relay, "PUT", "/v1/keys", bob->auth, upload);
  g_assert_cmpuint (response->status, ==, 200);
  ws_send (sender, 2, bob->uuid, 1, old_id, content);
  expect_response (sender, 2, 410, &stale);
  ws_send (sender, 3, bob->uuid, 1, new_id, content);
  expect_response (sender, 3, 200, &after);
}

/* With websocket-send-queue at 8, a client that writes 200 sends before
 * reading any answer is held back by TCP, and still gets every answer. */
static void
test_ws_send_backpressure (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestSocket) sender = test_socket_connect (fixture->session, fixture->relay, alice->auth);
  g_autofree char *content = test_random_base64 (100, -1);
  const guint total = 200;

  test_socket_expect_drained (sender);
  for (guint i = 0; i < total; i++)
    ws_send (sender, i, bob->uuid, 1, bob->registration_id, content);
  for (guint i = 0; i < total; i++)
    {
      g_autoptr(JsonNode) node = NULL;

      expect_response (sender, i, 200, &node);
    }
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, total);
}

/* Raw bytes that are no WebSocket at all after a valid upgrade. */
static void
test_ws_broken_framing (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autofree char *upgrade = g_strdup_printf ("GET /v1/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                                              "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                              "Authorization: %s\r\n\r\n", bob->auth);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  /* An unmasked client frame with a reserved opcode and bogus length. */
  const guint8 junk[] = { 0x8b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 };
  g_autoptr(TestResponse) health = NULL;
  char buffer[4096];
  GInputStream *input;

  g_socket_client_set_enable_proxy (client, FALSE);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) fixture->relay->port, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (g_socket_connection_get_socket (connection), 5);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), upgrade,
                             strlen (upgrade), NULL, NULL, &error);
  g_assert_no_error (error);
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  g_assert_cmpint (g_input_stream_read (input, buffer, sizeof buffer - 1, NULL, NULL), >, 0);
  g_assert_true (g_str_has_prefix (buffer, "HTTP/1.1 101"));
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), junk,
                             sizeof junk, NULL, NULL, NULL);
  /* The relay drops the connection; reads end rather than hang. */
  while (g_input_stream_read (input, buffer, sizeof buffer, NULL, NULL) > 0)
    ;
  health = test_request (fixture->session, fixture->relay, "GET", "/v1/health", NULL, NULL);
  g_assert_cmpuint (health->status, ==, 200);
}

static void
test_ws_slow_reader (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestSocket) socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const guint total = 40;
  guint received = 0;

  test_socket_expect_drained (socket);
  /* This fixture lets 8 envelopes wait in memory and 4 go unacknowledged:
   * the rest must come from storage as the reader catches up. */
  for (guint i = 0; i < total; i++)
    {
      g_autofree char *content = test_random_base64 (100, -1);

      g_free (test_send_envelope (fixture->session, fixture->relay, alice, bob, content));
    }
  while (received < total)
    {
      g_autoptr(JsonNode) node = NULL;
      JsonObject *envelope = test_socket_expect_envelope (socket, &node);
      const char *guid = json_object_get_string_member (envelope, "guid");

      g_assert_true (g_hash_table_add (seen, g_strdup (guid)));
      test_socket_ack (socket, guid);
      received++;
    }
  expect_nothing (socket);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 0);
}

/* Expired envelopes leave the queue, and free their room in it. */
static void
test_ws_expiry (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(GPtrArray) fresh = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *path = g_strdup_printf ("/v1/messages/%s", bob->uuid);
  g_autofree char *body = test_send_body (1, bob->registration_id, "AAEC");
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(TestSocket) socket = NULL;
  gint64 deadline;

  for (guint i = 0; i < 3; i++)
    g_free (test_send_envelope (fixture->session, fixture->relay, alice, bob, "AAEC"));
  response = test_request (fixture->session, fixture->relay, "PUT", path, alice->auth, body);
  g_assert_cmpstr (test_response_error (response), ==, "queue-full");

  /* A relay expires old envelopes when it starts. */
  g_assert_cmpint (test_relay_stop (fixture->relay), ==, 0);
  test_relay_free (fixture->relay);
  g_usleep (1200 * G_TIME_SPAN_MILLISECOND);
  fixture->relay = test_relay_start (fixture->dir, data, NULL);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_expired_total") < 3)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * G_TIME_SPAN_MILLISECOND);
    }
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 0);

  /* Bob is online before the next sends, so that these arrive however
   * slowly the test runs. */
  socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  test_socket_expect_drained (socket);
  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (fresh, test_send_envelope (fixture->session, fixture->relay, alice, bob, "AAEC"));
  g_clear_pointer (&response, test_response_free);
  response = test_request (fixture->session, fixture->relay, "PUT", path, alice->auth, body);
  g_assert_cmpstr (test_response_error (response), ==, "queue-full");
  for (guint i = 0; i < fresh->len; i++)
    {
      g_autoptr(JsonNode) node = NULL;

      g_assert_cmpstr (json_object_get_string_member (test_socket_expect_envelope (socket, &node), "guid"), ==,
                       g_ptr_array_index (fresh, i));
    }
}

static const char *slow_conf = "[limits]\nwebsocket-send-queue=8\nwebsocket-unacked=4\n";
static const char *backpressure_conf = RELAXED_RATES "[limits]\nwebsocket-send-queue=8\n";
static const char *expiry_conf = RELAXED_RATES "[limits]\nmax-queue-envelopes=3\nmax-queue-age-seconds=1\n";

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  API_TEST_ADD ("websocket/offline-queue", test_ws_offline_queue, NULL);
  API_TEST_ADD ("websocket/redelivery", test_ws_redelivery, NULL);
  API_TEST_ADD ("websocket/auth", test_ws_auth, NULL);
  API_TEST_ADD ("websocket/bad-frames", test_ws_bad_frames, NULL);
  API_TEST_ADD ("websocket/broken-framing", test_ws_broken_framing, NULL);
  API_TEST_ADD ("websocket/slow-reader", test_ws_slow_reader, slow_conf);
  API_TEST_ADD ("websocket/expiry", test_ws_expiry, expiry_conf);
  API_TEST_ADD ("websocket/send", test_ws_send, NULL);
  API_TEST_ADD ("websocket/send-errors", test_ws_send_errors, NULL);
  API_TEST_ADD ("websocket/send-new-registration", test_ws_send_new_registration, LIMITS_CONF);
  API_TEST_ADD ("websocket/send-backpressure", test_ws_send_backpressure, backpressure_conf);

  return g_test_run ();
}
