/* test-relay-client-hostile.c: the client's receive path against a
 * relay that means harm
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A scripted relay sends what an honest one never would: JSON nested
 * deeply enough to overflow a recursive parser, answers of hundreds of
 * megabytes, frames over the client's limit, more devices for an account
 * than it may have.  Each must be an error
 * that leaves the client working: the next good answer or envelope from
 * the same relay gets through.
 */

#include "config.h"

#include <string.h>

#include "engine-test-util.h"
#include "scripted-relay.h"
#include "sotto-bounded-input-private.h"
#include "sotto-relay-client-private.h"
#include "sp-keys.h"
#include "sp-kyber1024.h"

#define UUID "8f0c3d6e-5b8f-4a43-9d36-7b1c5a3d0e11"
#define PEER "1b2c3d4e-5f60-4718-9a0b-1c2d3e4f5a6b"

#define GOOD_ENVELOPE \
  "{\"type\": \"envelope\", \"guid\": \"g1\", \"envelopeType\": 1," \
  " \"source\": \"" PEER "\", \"sourceDevice\": 1," \
  " \"timestamp\": 1767225600000, \"serverTimestamp\": 1767225600123," \
  " \"content\": \"AQID\"}"

/* Far deeper than any stack holds json-glib's recursion, and still
 * under the client's frame limit, so that it reaches the parser. */
#define HOSTILE_DEPTH (1000 * 1000 - 16)

/* As big an answer as the one that took sotto-cli to 828 MB. */
#define HOSTILE_ANSWER_BYTES (G_GUINT64_CONSTANT (400) * 1024 * 1024)

/* What may be in flight between the relay and the client when it stops
 * reading: the client's limit and the kernel's socket buffers. */
#define IN_FLIGHT_BYTES (32 * 1024 * 1024)

/* @depth times @open, then @depth times @close. */
static char *
make_nested (const char *open,
             const char *close,
             gsize       depth)
{
  GString *text = g_string_new (NULL);

  for (gsize i = 0; i < depth; i++)
    g_string_append (text, open);
  for (gsize i = 0; i < depth; i++)
    g_string_append (text, close);

  return g_string_free (text, FALSE);
}

static GBytes *
make_unclosed (const char *open,
               gsize       depth)
{
  char *text = make_nested (open, "", depth);

  return g_bytes_new_take (text, strlen (text));
}

static SottoRelayClient *
make_client (ScriptedRelay *relay)
{
  g_autoptr(GError) error = NULL;
  SottoRelayClient *client;

  client = sotto_relay_client_new (relay->url, &error);
  g_assert_no_error (error);
  sotto_relay_client_set_credentials (client, UUID, 1, "a password of sixteen bytes");

  return client;
}

static char *
lookup (SottoRelayClient  *client,
        GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  sotto_relay_client_lookup_async (client, "bob", NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);

  return sotto_relay_client_lookup_finish (client, result, error);
}

static void
assert_lookup_works (SottoRelayClient *client,
                     ScriptedRelay    *relay)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;

  scripted_relay_set_reply (relay, 200, "{\"uuid\": \"" PEER "\"}");
  uuid = lookup (client, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (uuid, ==, PEER);
}

/* The scan is the parser's guard, so it must count every bracket
 * json-glib will see, and none that json-glib reads as text. */
static void
test_json_depth (void)
{
  g_autofree char *deepest = make_nested ("[", "]", SOTTO_JSON_MAX_DEPTH);
  g_autofree char *too_deep = make_nested ("{\"a\":", "}", SOTTO_JSON_MAX_DEPTH + 1);
  g_autofree char *in_strings = NULL;
  struct {
    const char *text;
    gboolean within;
  } cases[] = {
    { "{\"type\": \"queue-empty\"}", TRUE },
    { "{\"a\": [1, 2.5e3, -1, true, false, null]}", TRUE },
    { "{\"a\": \"]]]]\"}", TRUE },
    { "{\"a\": \"\\\"[[[\"}", TRUE },
    { "{\"a\": \"\\\\\"}", TRUE },
    { "{\"a\": \"é\"}", TRUE },
    { "", TRUE },
    { "]", FALSE },
    { "{}}", FALSE },
    /* What json-glib reads as comments or strings and JSON does not. */
    { "/* \" */ [[[", FALSE },
    { "# \"\n[", FALSE },
    { "'\"' [", FALSE },
    { "{\"a\": 1} \xc3\xa9", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (_sotto_json_depth_is_within (cases[i].text, strlen (cases[i].text),
                                                  SOTTO_JSON_MAX_DEPTH), ==, cases[i].within);

  g_assert_true (_sotto_json_depth_is_within (deepest, strlen (deepest), SOTTO_JSON_MAX_DEPTH));
  g_assert_false (_sotto_json_depth_is_within (too_deep, strlen (too_deep), SOTTO_JSON_MAX_DEPTH));

  /* Brackets inside strings do not count, however many. */
  in_strings = g_strdup_printf ("{\"a\": \"%s\"}", deepest);
  g_assert_true (_sotto_json_depth_is_within (in_strings, strlen (in_strings), 2));
}

static void
test_nested_answer (void)
{
  g_autoptr(ScriptedRelay) relay = scripted_relay_new ();
  g_autoptr(SottoRelayClient) client = make_client (relay);
  g_autoptr(GBytes) arrays = make_unclosed ("[", HOSTILE_DEPTH);
  g_autoptr(GBytes) objects = make_unclosed ("{\"a\":", HOSTILE_DEPTH / 5);
  g_autofree char *just_too_deep = make_nested ("[", "]", SOTTO_JSON_MAX_DEPTH + 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;

  scripted_relay_set_reply (relay, 200, g_bytes_get_data (arrays, NULL));
  uuid = lookup (client, &error);
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE);
  g_assert_null (uuid);
  g_clear_error (&error);

  scripted_relay_set_reply (relay, 200, g_bytes_get_data (objects, NULL));
  uuid = lookup (client, &error);
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE);
  g_clear_error (&error);

  scripted_relay_set_reply (relay, 200, just_too_deep);
  uuid = lookup (client, &error);
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE);
  g_clear_error (&error);

  /* A refusal's body is parsed too, for its error code. */
  scripted_relay_set_reply (relay, 409, g_bytes_get_data (arrays, NULL));
  uuid = lookup (client, &error);
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_FAILED);
  g_clear_error (&error);

  assert_lookup_works (client, relay);
}

static gsize
resident_bytes (void)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "VmRSS:");
  g_assert_nonnull (line);

  return g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10) * 1024;
}

static void
assert_huge_answer_refused (gboolean with_length)
{
  g_autoptr(ScriptedRelay) relay = scripted_relay_new ();
  g_autoptr(SottoRelayClient) client = make_client (relay);
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;
  gsize resident_before;

  resident_before = resident_bytes ();
  scripted_relay_stream_reply (relay, HOSTILE_ANSWER_BYTES, with_length);
  uuid = lookup (client, &error);
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE);
  g_assert_null (uuid);

  /* The client stopped reading at its limit: the relay could hand over
   * little more than that, and the client's memory did not grow with
   * the answer. */
  g_test_message ("The relay handed over %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes;"
                  " resident memory grew by %" G_GSSIZE_FORMAT " bytes",
                  relay->bytes_streamed, HOSTILE_ANSWER_BYTES,
                  (gssize) (resident_bytes () - resident_before));
  g_assert_cmpuint (relay->bytes_streamed, <, IN_FLIGHT_BYTES);
  g_assert_cmpuint (resident_bytes (), <, resident_before + IN_FLIGHT_BYTES);

  assert_lookup_works (client, relay);
}

static void
test_huge_answer (void)
{
  assert_huge_answer_refused (FALSE);
}

static void
test_huge_answer_with_length (void)
{
  assert_huge_answer_refused (TRUE);
}

typedef struct
{
  GPtrArray *guids;
  guint n_offline;
} Delivery;

static void
envelope_cb (SottoRelayClient   *client,
             SottoRelayEnvelope *envelope,
             Delivery           *delivery)
{
  g_ptr_array_add (delivery->guids, g_strdup (envelope->guid));
}

static void
connection_cb (SottoRelayClient *client,
               GParamSpec       *pspec,
               Delivery         *delivery)
{
  if (sotto_relay_client_get_connection (client) == SOTTO_RELAY_CONNECTION_OFFLINE)
    delivery->n_offline++;
}

static gboolean
has_envelope (gpointer data)
{
  Delivery *delivery = data;

  return delivery->guids->len > 0;
}

static void
test_nested_frame (void)
{
  g_autoptr(ScriptedRelay) relay = scripted_relay_new ();
  g_autoptr(SottoRelayClient) client = make_client (relay);
  g_autoptr(GPtrArray) guids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GBytes) arrays = make_unclosed ("[", HOSTILE_DEPTH);
  g_autoptr(GBytes) envelope = g_bytes_new_static (GOOD_ENVELOPE, strlen (GOOD_ENVELOPE));
  Delivery delivery = { guids, 0 };

  g_assert_cmpuint (g_bytes_get_size (arrays), <, 1024 * 1024);
  scripted_relay_script_socket (relay, arrays, envelope, NULL);
  g_signal_connect (client, "envelope", G_CALLBACK (envelope_cb), &delivery);

  sotto_relay_client_connect (client);
  engine_test_wait_until (has_envelope, &delivery);

  /* The frame was skipped, and the envelope behind it arrived on the
   * same socket. */
  g_assert_cmpuint (guids->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (guids, 0), ==, "g1");
  g_assert_cmpuint (relay->n_connections, ==, 1);

  sotto_relay_client_disconnect (client);
}

static void
test_huge_frame (void)
{
  g_autoptr(ScriptedRelay) relay = scripted_relay_new ();
  g_autoptr(SottoRelayClient) client = make_client (relay);
  g_autoptr(GPtrArray) guids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *padding = g_strnfill (2 * 1024 * 1024, ' ');
  g_autofree char *huge_text = g_strconcat ("{\"type\": \"queue-empty\"}", padding, NULL);
  g_autoptr(GBytes) huge = g_bytes_new (huge_text, strlen (huge_text));
  g_autoptr(GBytes) envelope = g_bytes_new_static (GOOD_ENVELOPE, strlen (GOOD_ENVELOPE));
  Delivery delivery = { guids, 0 };
  SoupWebsocketConnection *first;

  scripted_relay_script_socket (relay, huge, NULL);
  scripted_relay_script_socket (relay, envelope, NULL);
  g_signal_connect (client, "envelope", G_CALLBACK (envelope_cb), &delivery);
  g_signal_connect (client, "notify::connection", G_CALLBACK (connection_cb), &delivery);

  sotto_relay_client_connect (client);
  engine_test_wait_until (has_envelope, &delivery);

  /* The client refused the frame as too big and dropped the socket; it
   * went offline, came back after its pause, and the next socket's
   * envelope arrived. */
  first = g_ptr_array_index (relay->sockets, 0);
  g_assert_cmpint (soup_websocket_connection_get_state (first), ==, SOUP_WEBSOCKET_STATE_CLOSED);
  g_assert_cmpuint (delivery.n_offline, ==, 1);
  g_assert_cmpuint (relay->n_connections, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (guids, 0), ==, "g1");

  sotto_relay_client_disconnect (client);
}

/* A relay that opens every socket only to send a frame the client
 * refuses: the socket opens each time, and yet the pauses between the
 * attempts grow as if it never had. */
static void
test_refused_frames_back_off (void)
{
  g_autoptr(ScriptedRelay) relay = scripted_relay_new ();
  g_autoptr(SottoRelayClient) client = make_client (relay);
  g_autofree char *huge_text = g_strnfill (2 * 1024 * 1024, ' ');
  g_autoptr(GBytes) huge = g_bytes_new (huge_text, strlen (huge_text));

  for (guint i = 0; i < 4; i++)
    scripted_relay_script_socket (relay, huge, NULL);

  engine_test_assert_backoff (client);
  g_assert_cmpuint (relay->n_connections, >=, 3);
}

/* A bundles answer with one bundle for each device in @device_ids, in
 * the form the client checks (the keys are never used). */
static char *
make_bundles (const guint *device_ids,
              guint        n_devices)
{
  guint8 ec_key[SP_PUBLIC_KEY_SIZE] = { SP_KEY_TYPE_DJB, 9 };
  guint8 kyber_key[SP_KYBER_PUBLIC_KEY_SIZE] = { SP_KEY_TYPE_KYBER1024 };
  guint8 signature[64] = { 0 };
  g_autofree char *ec = g_base64_encode (ec_key, sizeof ec_key);
  g_autofree char *kyber = g_base64_encode (kyber_key, sizeof kyber_key);
  g_autofree char *signed_by = g_base64_encode (signature, sizeof signature);
  GString *answer = g_string_new (NULL);

  g_string_append_printf (answer, "{\"identityKey\": \"%s\", \"devices\": [", ec);
  for (guint i = 0; i < n_devices; i++)
    g_string_append_printf (answer,
                            "%s{\"deviceId\": %u, \"registrationId\": 4242,"
                            " \"signedPreKey\": {\"keyId\": 1, \"publicKey\": \"%s\", \"signature\": \"%s\"},"
                            " \"pqPreKey\": {\"keyId\": 1, \"publicKey\": \"%s\", \"signature\": \"%s\"}}",
                            i > 0 ? ", " : "", device_ids[i], ec, signed_by, kyber, signed_by);
  g_string_append (answer, "]}");

  return g_string_free (answer, FALSE);
}

static GPtrArray *
get_bundles (SottoRelayClient  *client,
             GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  sotto_relay_client_get_bundles_async (client, PEER, 0, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);

  return sotto_relay_client_get_bundles_finish (client, result, error);
}

/* An account has at most SOTTO_RELAY_MAX_DEVICES devices, each once: a
 * relay that answers with more, or with one device twice, would have
 * the client build a session and encrypt for each, or fetch each. */
static void
test_too_many_devices (void)
{
  g_autoptr(ScriptedRelay) relay = scripted_relay_new ();
  g_autoptr(SottoRelayClient) client = make_client (relay);
  g_autoptr(GPtrArray) bundles = NULL;
  g_autoptr(GError) error = NULL;
  guint device_ids[SOTTO_RELAY_MAX_DEVICES + 1];
  g_autofree char *most = NULL;
  g_autofree char *too_many = NULL;
  g_autofree char *twice = NULL;
  g_autofree char *repeated = NULL;
  g_autoptr(GString) refusal = g_string_new (NULL);
  g_autoptr(GPtrArray) envelopes = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_relay_outgoing_free);
  g_autoptr(GBytes) content = g_bytes_new_static ("\1\2\3", 3);
  g_autoptr(GAsyncResult) sent = NULL;
  SottoRelayDeviceChanges *changes = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (device_ids); i++)
    device_ids[i] = i + 1;
  most = make_bundles (device_ids, SOTTO_RELAY_MAX_DEVICES);
  too_many = make_bundles (device_ids, SOTTO_RELAY_MAX_DEVICES + 1);
  device_ids[1] = 1;
  twice = make_bundles (device_ids, 2);
  for (guint i = 0; i < G_N_ELEMENTS (device_ids); i++)
    device_ids[i] = 1;
  repeated = make_bundles (device_ids, G_N_ELEMENTS (device_ids));

  scripted_relay_set_reply (relay, 200, most);
  bundles = get_bundles (client, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bundles->len, ==, SOTTO_RELAY_MAX_DEVICES);

  scripted_relay_set_reply (relay, 200, too_many);
  g_assert_null (get_bundles (client, &error));
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE);
  g_clear_error (&error);

  scripted_relay_set_reply (relay, 200, twice);
  g_assert_null (get_bundles (client, &error));
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE);
  g_clear_error (&error);

  scripted_relay_set_reply (relay, 200, repeated);
  g_assert_null (get_bundles (client, &error));
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE);
  g_clear_error (&error);

  /* A refused send that names a device many times names it once. */
  g_string_append (refusal, "{\"error\": \"device-mismatch\", \"message\": \"Out of date\", \"missingDevices\": [3");
  for (guint i = 0; i < 10000; i++)
    g_string_append (refusal, ", 2");
  g_string_append (refusal, "]}");
  scripted_relay_set_reply (relay, 409, refusal->str);
  g_ptr_array_add (envelopes, sotto_relay_outgoing_new (3, 1, 4242, content));
  sotto_relay_client_send_async (client, PEER, 1767225600000, envelopes, NULL, engine_test_result_cb, &sent);
  engine_test_wait (&sent);
  g_assert_false (sotto_relay_client_send_finish (client, sent, &changes, &error));
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_DEVICE_MISMATCH);
  g_assert_cmpuint (changes->missing->len, ==, 2);
  g_assert_cmpuint (g_array_index (changes->missing, guint, 0), ==, 3);
  g_assert_cmpuint (g_array_index (changes->missing, guint, 1), ==, 2);
  g_clear_pointer (&changes, sotto_relay_device_changes_free);

  assert_lookup_works (client, relay);
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

  g_test_add_func ("/engine/relay-client-hostile/json-depth", test_json_depth);
  g_test_add_func ("/engine/relay-client-hostile/nested-answer", test_nested_answer);
  g_test_add_func ("/engine/relay-client-hostile/huge-answer", test_huge_answer);
  g_test_add_func ("/engine/relay-client-hostile/huge-answer-with-length", test_huge_answer_with_length);
  g_test_add_func ("/engine/relay-client-hostile/nested-frame", test_nested_frame);
  g_test_add_func ("/engine/relay-client-hostile/huge-frame", test_huge_frame);
  g_test_add_func ("/engine/relay-client-hostile/refused-frames-back-off", test_refused_frames_back_off);
  g_test_add_func ("/engine/relay-client-hostile/too-many-devices", test_too_many_devices);

  return g_test_run ();
}
