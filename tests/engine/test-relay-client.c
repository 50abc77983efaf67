/* test-relay-client.c: the relay client against a scripted server
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The end-to-end tests in tests/cli run the client against the real
 * relay.  Here a SoupServer plays the relay, so that the client can be
 * watched where the real one is hard to steer: what it sends, how it
 * reads odd answers, and how it comes back after the socket is cut.
 * test-relay-client-hostile.c has the answers meant to do harm.
 */

#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "sp-error.h"
#include "sp-init.h"

#include "engine-test-util.h"
#include "scripted-relay.h"
#include "sotto-relay-client-private.h"

#define UUID "8f0c3d6e-5b8f-4a43-9d36-7b1c5a3d0e11"
#define PEER "1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b"

static void
test_relay_client_urls (void)
{
  const char *good[] = {
    "https://relay.example.org",
    "https://relay.example.org:8443/sotto/",
    "http://127.0.0.1:8080",
    "http://127.1.2.3",
    "http://[::1]:8080",
    "http://localhost:8080",
  };
  struct {
    const char *url;
    int code;
  } bad[] = {
    { "http://relay.example.org", SOTTO_RELAY_ERROR_INSECURE },
    { "http://192.168.1.1:8080", SOTTO_RELAY_ERROR_INSECURE },
    { "ftp://relay.example.org", SOTTO_RELAY_ERROR_INVALID_URL },
    { "relay.example.org", SOTTO_RELAY_ERROR_INVALID_URL },
    { "https://relay.example.org/?q=1", SOTTO_RELAY_ERROR_INVALID_URL },
    { "https://user:secret@relay.example.org", SOTTO_RELAY_ERROR_INVALID_URL },
    { "", SOTTO_RELAY_ERROR_INVALID_URL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(SottoRelayClient) client = NULL;
      g_autoptr(GError) error = NULL;

      client = sotto_relay_client_new (good[i], &error);
      g_assert_no_error (error);
      g_assert_false (g_str_has_suffix (sotto_relay_client_get_url (client), "/"));
      g_assert_cmpint (sotto_relay_client_get_connection (client), ==, SOTTO_RELAY_CONNECTION_OFFLINE);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(SottoRelayClient) client = NULL;
      g_autoptr(GError) error = NULL;

      client = sotto_relay_client_new (bad[i].url, &error);
      g_assert_error (error, SOTTO_RELAY_ERROR, bad[i].code);
      g_assert_null (client);
    }
}

static void
test_relay_client_requests (void)
{
  g_autoptr(ScriptedRelay) relay = scripted_relay_new ();
  g_autoptr(SottoRelayClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(SottoRelayDeviceChanges) changes = NULL;
  g_autoptr(GPtrArray) envelopes = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_relay_outgoing_free);
  g_autoptr(GBytes) content = g_bytes_new_static ("\x01\x02\x03", 3);
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *expected = NULL;
  guint n_pre_keys = 0;
  guint n_kyber = 0;

  client = sotto_relay_client_new (relay->url, &error);
  g_assert_no_error (error);

  /* Without credentials only registration is possible. */
  sotto_relay_client_lookup_async (client, "bob", NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  g_assert_null (sotto_relay_client_lookup_finish (client, result, &error));
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNAUTHORIZED);
  g_clear_error (&error);
  g_clear_object (&result);

  sotto_relay_client_set_credentials (client, UUID, 1, "a password of sixteen bytes");
  expected = g_strconcat ("Basic ", "OGYwYzNkNmUtNWI4Zi00YTQzLTlkMzYtN2IxYzVhM2QwZTExLjE6YSBwYXNzd29yZCBvZiBzaXh0ZWVuIGJ5dGVz", NULL);

  g_free (relay->reply);
  relay->reply = g_strdup ("{\"uuid\": \"" PEER "\"}");
  sotto_relay_client_lookup_async (client, "bob", NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  uuid = sotto_relay_client_lookup_finish (client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (uuid, ==, PEER);
  g_assert_cmpstr (relay->authorization, ==, expected);
  g_clear_object (&result);

  /* Counts must be integers. */
  g_free (relay->reply);
  relay->reply = g_strdup ("{\"preKeyCount\": 37, \"pqPreKeyCount\": \"40\"}");
  sotto_relay_client_get_key_counts_async (client, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  g_assert_false (sotto_relay_client_get_key_counts_finish (client, result, &n_pre_keys, &n_kyber, &error));
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE);
  g_clear_error (&error);
  g_clear_object (&result);

  g_free (relay->reply);
  relay->reply = g_strdup ("{\"preKeyCount\": 37, \"pqPreKeyCount\": 40}");
  sotto_relay_client_get_key_counts_async (client, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  g_assert_true (sotto_relay_client_get_key_counts_finish (client, result, &n_pre_keys, &n_kyber, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_pre_keys, ==, 37);
  g_assert_cmpuint (n_kyber, ==, 40);
  g_clear_object (&result);

  /* A send the relay refuses says which devices were wrong. */
  g_ptr_array_add (envelopes, sotto_relay_outgoing_new (3, 1, 4242, content));
  relay->status = 409;
  g_free (relay->reply);
  relay->reply = g_strdup ("{\"error\": \"device-mismatch\", \"message\": \"The list of devices is out of date\","
                           " \"missingDevices\": [2, 3], \"extraDevices\": [1]}");
  sotto_relay_client_send_async (client, PEER, 1767225600000, envelopes, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  g_assert_false (sotto_relay_client_send_finish (client, result, &changes, &error));
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_DEVICE_MISMATCH);
  g_assert_false (sotto_relay_error_is_transient (error));
  g_assert_nonnull (changes);
  g_assert_cmpuint (changes->missing->len, ==, 2);
  g_assert_cmpuint (g_array_index (changes->missing, guint, 1), ==, 3);
  g_assert_cmpuint (changes->extra->len, ==, 1);
  g_assert_cmpuint (changes->stale->len, ==, 0);
  g_assert_nonnull (strstr (relay->last_body, "\"destinationRegistrationId\":4242"));
  g_assert_nonnull (strstr (relay->last_body, "\"content\":\"AQID\""));
  g_clear_error (&error);
  g_clear_object (&result);
  g_clear_pointer (&changes, sotto_relay_device_changes_free);

  relay->status = 503;
  g_free (relay->reply);
  relay->reply = g_strdup ("{\"error\": \"unavailable\", \"message\": \"Shutting down\"}");
  sotto_relay_client_send_async (client, PEER, 1767225600000, envelopes, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  g_assert_false (sotto_relay_client_send_finish (client, result, &changes, &error));
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNAVAILABLE);
  g_assert_true (sotto_relay_error_is_transient (error));
  g_assert_null (changes);
}

static gboolean
connected (gpointer data)
{
  return sotto_relay_client_get_connection (data) == SOTTO_RELAY_CONNECTION_CONNECTED;
}

typedef struct
{
  GPtrArray *guids;
  guint n_queue_empty;
  guint n_keys_low;
} Delivery;

static void
envelope_cb (SottoRelayClient   *client,
             SottoRelayEnvelope *envelope,
             Delivery           *delivery)
{
  g_assert_cmpstr (envelope->source, ==, PEER);
  g_assert_cmpuint (envelope->type, ==, 3);
  g_assert_cmpuint (g_bytes_get_size (envelope->content), ==, 3);
  g_ptr_array_add (delivery->guids, g_strdup (envelope->guid));
  sotto_relay_client_acknowledge (client, envelope->guid);
}

static void
queue_empty_cb (SottoRelayClient *client,
                Delivery         *delivery)
{
  delivery->n_queue_empty++;
}

static void
keys_low_cb (SottoRelayClient *client,
             Delivery         *delivery)
{
  delivery->n_keys_low++;
}

static gboolean
told_keys_low (gpointer data)
{
  Delivery *delivery = data;

  return delivery->n_keys_low > 0;
}

static gboolean
delivered (gpointer data)
{
  Delivery *delivery = data;

  return delivery->n_queue_empty > 0;
}

static gboolean
acknowledged (gpointer data)
{
  ScriptedRelay *relay = data;

  return relay->acks->len > 0;
}

static gboolean
two_connections (gpointer data)
{
  ScriptedRelay *relay = data;

  return relay->n_connections >= 2;
}

static void
test_relay_client_delivery (void)
{
  g_autoptr(ScriptedRelay) relay = scripted_relay_new ();
  g_autoptr(SottoRelayClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) guids = g_ptr_array_new_with_free_func (g_free);
  SoupWebsocketConnection *socket;
  Delivery delivery = { guids, 0, 0 };

  client = sotto_relay_client_new (relay->url, &error);
  g_assert_no_error (error);
  sotto_relay_client_set_credentials (client, UUID, 1, "a password of sixteen bytes");
  g_signal_connect (client, "envelope", G_CALLBACK (envelope_cb), &delivery);
  g_signal_connect (client, "queue-empty", G_CALLBACK (queue_empty_cb), &delivery);
  g_signal_connect (client, "keys-low", G_CALLBACK (keys_low_cb), &delivery);

  sotto_relay_client_connect (client);
  engine_test_wait_until (connected, client);
  g_assert_cmpuint (relay->n_connections, ==, 1);

  /* What does not follow the API is skipped, and never acknowledged. */
  socket = g_ptr_array_index (relay->sockets, 0);
  soup_websocket_connection_send_text (socket, "not json");
  soup_websocket_connection_send_text (socket, "{\"type\": \"envelope\", \"guid\": \"g0\"}");
  soup_websocket_connection_send_text (socket,
                                       "{\"type\": \"envelope\", \"guid\": \"g1\", \"envelopeType\": 3,"
                                       " \"source\": \"" PEER "\", \"sourceDevice\": 1,"
                                       " \"timestamp\": 1767225600000, \"serverTimestamp\": 1767225600123,"
                                       " \"content\": \"AQID\"}");
  soup_websocket_connection_send_text (socket, "{\"type\": \"queue-empty\"}");
  engine_test_wait_until (delivered, &delivery);
  g_assert_cmpuint (guids->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (guids, 0), ==, "g1");

  engine_test_wait_until (acknowledged, relay);
  g_assert_cmpstr (g_ptr_array_index (relay->acks, 0), ==, "{\"type\":\"ack\",\"guid\":\"g1\"}");

  /* The relay asks for more one-time prekeys. */
  soup_websocket_connection_send_text (socket, "{\"type\": \"keys-low\", \"preKeyCount\": 3, \"pqPreKeyCount\": 9}");
  engine_test_wait_until (told_keys_low, &delivery);

  /* Cut off: the client comes back by itself. */
  soup_websocket_connection_close (socket, 1001, "going-away");
  engine_test_wait_until (two_connections, relay);
  engine_test_wait_until (connected, client);

  sotto_relay_client_disconnect (client);
  g_assert_cmpint (sotto_relay_client_get_connection (client), ==, SOTTO_RELAY_CONNECTION_OFFLINE);
}

/* The id of the client's socket message @index, a send. */
static gint64
sent_id (ScriptedRelay *relay,
         guint  index)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  json_parser_load_from_data (parser, g_ptr_array_index (relay->acks, index), -1, &error);
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "send");
  g_assert_cmpstr (json_object_get_string_member (object, "destination"), ==, PEER);
  g_assert_cmpint (json_object_get_int_member (object, "timestamp"), ==, 1767225600000);

  return json_object_get_int_member (object, "id");
}

static void
respond (SoupWebsocketConnection *socket,
         gint64                   id,
         const char              *rest)
{
  g_autofree char *text = g_strdup_printf ("{\"type\": \"response\", \"id\": %" G_GINT64_FORMAT ", %s}", id, rest);

  soup_websocket_connection_send_text (socket, text);
}

/* Whether the relay has had @n messages from the client. */
typedef struct
{
  ScriptedRelay *relay;
  guint n;
} Count;

static gboolean
counted (gpointer data)
{
  Count *count = data;

  return count->relay->acks->len >= count->n;
}

static gboolean
all_results (gpointer data)
{
  GAsyncResult **results = data;

  return results[0] != NULL && results[1] != NULL && results[2] != NULL;
}

static gboolean
pipelining (gpointer data)
{
  return sotto_relay_client_can_pipeline (data);
}

/* Sends on the socket are answered by id, in any order, and fail when
 * the socket goes before the answer. */
static void
test_relay_client_socket_sends (void)
{
  g_autoptr(ScriptedRelay) relay = scripted_relay_new ();
  g_autoptr(SottoRelayClient) client = NULL;
  g_autoptr(GPtrArray) envelopes = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_relay_outgoing_free);
  g_autoptr(GBytes) content = g_bytes_new_static ("\x01\x02\x03", 3);
  g_autoptr(SottoRelayDeviceChanges) changes = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) guids = NULL;
  GAsyncResult *results[3] = { NULL, NULL, NULL };
  SoupWebsocketConnection *socket;
  gint64 ids[3];

  client = sotto_relay_client_new (relay->url, &error);
  g_assert_no_error (error);
  sotto_relay_client_set_credentials (client, UUID, 1, "a password of sixteen bytes");
  g_ptr_array_add (envelopes, sotto_relay_outgoing_new (1, 1, 4242, content));

  sotto_relay_client_connect (client);
  engine_test_wait_until (connected, client);
  socket = g_ptr_array_index (relay->sockets, 0);

  /* Until the relay has said something, it may still be checking the
   * password, and a message would make it close the socket: sends go
   * over HTTP. */
  g_assert_false (sotto_relay_client_can_pipeline (client));
  sotto_relay_client_send_async (client, PEER, 1767225600000, envelopes, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  g_assert_true (sotto_relay_client_send_finish (client, result, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (relay->last_body, "\"destinationRegistrationId\":4242"));
  g_assert_cmpuint (relay->acks->len, ==, 0);
  g_clear_object (&result);

  soup_websocket_connection_send_text (socket, "{\"type\": \"queue-empty\"}");
  engine_test_wait_until (pipelining, client);

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    sotto_relay_client_send_async (client, PEER, 1767225600000, envelopes, NULL,
                                   engine_test_result_cb, &results[i]);
  engine_test_wait_until (counted, &(Count) { relay, 3 });
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    ids[i] = sent_id (relay, i);
  g_assert_cmpint (ids[0], !=, ids[1]);
  g_assert_cmpint (ids[1], !=, ids[2]);
  g_assert_nonnull (strstr (g_ptr_array_index (relay->acks, 0), "\"content\":\"AQID\""));

  /* The last is refused at once, before the others are stored; an
   * answer to no send and one that is not an answer change nothing. */
  respond (socket, ids[2], "\"status\": 429, \"body\": {\"error\": \"rate-limited\", \"message\": \"Slow down\"}");
  respond (socket, 12345, "\"status\": 200, \"body\": {}");
  soup_websocket_connection_send_text (socket, "{\"type\": \"response\", \"id\": \"1\", \"status\": 200}");
  respond (socket, ids[0], "\"status\": 200, \"body\": {\"messages\": [], \"serverTimestamp\": 1}");
  respond (socket, ids[1], "\"status\": 409, \"body\": {\"error\": \"device-mismatch\", \"message\": \"Out of date\","
                           " \"missingDevices\": [2], \"extraDevices\": [1]}");
  engine_test_wait_until (all_results, results);

  g_assert_true (sotto_relay_client_send_finish (client, results[0], NULL, &error));
  g_assert_no_error (error);

  g_assert_false (sotto_relay_client_send_finish (client, results[1], &changes, &error));
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_DEVICE_MISMATCH);
  g_assert_nonnull (changes);
  g_assert_cmpuint (changes->missing->len, ==, 1);
  g_assert_cmpuint (g_array_index (changes->missing, guint, 0), ==, 2);
  g_assert_cmpuint (changes->extra->len, ==, 1);
  g_clear_error (&error);

  g_assert_false (sotto_relay_client_send_finish (client, results[2], NULL, &error));
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_RATE_LIMITED);
  g_clear_error (&error);

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    g_clear_object (&results[i]);

  /* A success must carry a body. */
  sotto_relay_client_send_async (client, PEER, 1767225600000, envelopes, NULL, engine_test_result_cb, &result);
  engine_test_wait_until (counted, &(Count) { relay, 4 });
  respond (socket, sent_id (relay, 3), "\"status\": 200");
  engine_test_wait (&result);
  g_assert_false (sotto_relay_client_send_finish (client, result, NULL, &error));
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE);
  g_clear_error (&error);
  g_clear_object (&result);

  /* Acknowledgements go 256 to a message. */
  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *guid = g_strdup_printf ("g%u", i);

      g_strv_builder_add (builder, guid);
    }
  guids = g_strv_builder_end (builder);
  sotto_relay_client_acknowledge_all (client, (const char * const *) guids, g_strv_length (guids));
  engine_test_wait_until (counted, &(Count) { relay, 6 });
  g_assert_true (g_str_has_prefix (g_ptr_array_index (relay->acks, 4), "{\"type\":\"ack\",\"guids\":[\"g0\","));
  g_assert_true (g_str_has_suffix (g_ptr_array_index (relay->acks, 4), ",\"g255\"]}"));
  g_assert_cmpstr (g_ptr_array_index (relay->acks, 5), ==,
                   "{\"type\":\"ack\",\"guids\":[\"g256\",\"g257\",\"g258\",\"g259\",\"g260\",\"g261\",\"g262\","
                   "\"g263\",\"g264\",\"g265\",\"g266\",\"g267\",\"g268\",\"g269\",\"g270\",\"g271\",\"g272\","
                   "\"g273\",\"g274\",\"g275\",\"g276\",\"g277\",\"g278\",\"g279\",\"g280\",\"g281\",\"g282\","
                   "\"g283\",\"g284\",\"g285\",\"g286\",\"g287\",\"g288\",\"g289\",\"g290\",\"g291\",\"g292\","
                   "\"g293\",\"g294\",\"g295\",\"g296\",\"g297\",\"g298\",\"g299\"]}");

  /* A send without an answer fails when the socket goes: the relay may
   * or may not have it, and the caller sends it again. */
  sotto_relay_client_send_async (client, PEER, 1767225600000, envelopes, NULL, engine_test_result_cb, &result);
  engine_test_wait_until (counted, &(Count) { relay, 7 });
  soup_websocket_connection_close (socket, 1001, "going-away");
  engine_test_wait (&result);
  g_assert_false (sotto_relay_client_send_finish (client, result, NULL, &error));
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE);
  g_assert_true (sotto_relay_error_is_transient (error));
  g_assert_false (sotto_relay_client_can_pipeline (client));
  g_clear_error (&error);
  g_clear_object (&result);

  /* A pipelined send does not go around the closed socket over HTTP,
   * where the relay would take it ahead of the one the socket lost. */
  g_clear_pointer (&relay->last_body, g_free);
  sotto_relay_client_send_pipelined_async (client, PEER, 1767225600000, envelopes, engine_test_result_cb, &result);
  engine_test_wait (&result);
  g_assert_false (sotto_relay_client_send_finish (client, result, NULL, &error));
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE);
  g_assert_null (relay->last_body);

  sotto_relay_client_disconnect (client);
}

/* Nothing listens: the attempts continue, further and further apart. */
static void
test_relay_client_backoff (void)
{
  g_autoptr(SottoRelayClient) client = NULL;
  g_autoptr(GSocket) probe = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  /* A port that is free: bound once, and closed again. */
  probe = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (probe, any, TRUE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (probe, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("http://127.0.0.1:%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (probe, NULL);

  client = sotto_relay_client_new (url, &error);
  g_assert_no_error (error);
  sotto_relay_client_set_credentials (client, UUID, 1, "a password of sixteen bytes");
  engine_test_assert_backoff (client);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/engine/relay-client/urls", test_relay_client_urls);
  g_test_add_func ("/engine/relay-client/requests", test_relay_client_requests);
  g_test_add_func ("/engine/relay-client/delivery", test_relay_client_delivery);
  g_test_add_func ("/engine/relay-client/socket-sends", test_relay_client_socket_sends);
  g_test_add_func ("/engine/relay-client/backoff", test_relay_client_backoff);

  return g_test_run ();
}
