/* test-outbox.c: SottoOutbox against a scripted relay
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "sp-error.h"
#include "sp-session.h"

#include "party.h"
#include "sotto-content-private.h"
#include "sotto-message.h"
#include "sotto-messenger.h"
#include "sotto-outbox-private.h"

/* Alice writes to Bob; her outbox talks to her scripted relay, which
 * hands out Bob's keys.  Bob decrypts what the relay took. */
typedef struct
{
  Party *alice;
  Party *bob;
  SottoConversation *to_bob;
  SottoOutbox *outbox;
  char *keys_path;
  char *messages_path;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  const char *bob_uuid;

  fixture->alice = party_new ();
  fixture->bob = party_new ();
  fixture->to_bob = party_add_contact (fixture->alice, fixture->bob, "bob");
  fixture->outbox = _sotto_outbox_new (fixture->alice->store, fixture->alice->account, fixture->alice->list,
                                       fixture->alice->client, fixture->alice->protocol);

  bob_uuid = sotto_account_get_uuid (fixture->bob->account);
  fixture->keys_path = g_strconcat ("/v1/keys/", bob_uuid, NULL);
  fixture->messages_path = g_strconcat ("/v1/messages/", bob_uuid, NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  _sotto_outbox_stop (fixture->outbox);
  engine_test_await_finalize (g_steal_pointer (&fixture->outbox));
  g_clear_object (&fixture->to_bob);
  g_clear_pointer (&fixture->alice, party_free);
  g_clear_pointer (&fixture->bob, party_free);
  g_free (fixture->keys_path);
  g_free (fixture->messages_path);
}

/* Bob's relay hands out his keys, for @n_devices devices, to every
 * request after the routes already set. */
static void
serve_bob_keys (Fixture *fixture,
                guint    n_devices)
{
  g_autofree char *bundles = party_bundles_json (fixture->bob, n_devices);

  scripted_relay_route (fixture->alice->relay, "GET", fixture->keys_path, 0, 200, bundles);
}

static void
send_text (Fixture       *fixture,
           const char    *text,
           GAsyncResult **result)
{
  _sotto_outbox_send_async (fixture->outbox, fixture->to_bob, text, NULL, engine_test_result_cb, result);
}

/* Waits for a send and returns its message. */
static SottoMessage *
finish_send (Fixture       *fixture,
             GAsyncResult **result,
             GQuark         domain,
             gint           code)
{
  g_autoptr(GError) error = NULL;
  SottoMessage *message = NULL;
  gboolean sent;

  engine_test_wait (result);
  sent = _sotto_outbox_send_finish (fixture->outbox, *result, &message, &error);
  if (domain == 0)
    {
      g_assert_no_error (error);
      g_assert_true (sent);
    }
  else
    {
      g_assert_error (error, domain, code);
      g_assert_false (sent);
    }
  g_clear_object (result);
  g_assert_nonnull (message);

  return message;
}

/* The bodies of Alice's sends to Bob, in the order the relay had them. */
static GPtrArray *
sends_to_bob (Fixture *fixture)
{
  ScriptedRelay *relay = fixture->alice->relay;
  g_autofree char *request = g_strconcat ("PUT ", fixture->messages_path, NULL);
  GPtrArray *bodies = g_ptr_array_new ();

  for (guint i = 0; i < relay->requests->len; i++)
    if (g_str_equal (g_ptr_array_index (relay->requests, i), request))
      g_ptr_array_add (bodies, g_ptr_array_index (relay->bodies, i));

  return bodies;
}

static guint
n_envelopes (const char *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *request;

  json_parser_load_from_data (parser, body, -1, &error);
  g_assert_no_error (error);
  request = json_node_get_object (json_parser_get_root (parser));

  return json_array_get_length (json_object_get_array_member (request, "messages"));
}

/* Decrypts, as Bob's first device, the envelope for it in @body. */
static SottoContent *
bob_decrypts (Fixture    *fixture,
              const char *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *ciphertext = NULL;
  g_autofree guint8 *plaintext = NULL;
  SpSessionCipher *cipher;
  JsonObject *envelope;
  SottoContent *content;
  gsize ciphertext_len;
  gsize plaintext_len = 0;
  int type;

  json_parser_load_from_data (parser, body, -1, &error);
  g_assert_no_error (error);
  envelope = json_array_get_object_element (json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                                                          "messages"), 0);
  g_assert_cmpint (json_object_get_int_member (envelope, "destinationDeviceId"), ==, 1);
  type = json_object_get_int_member (envelope, "type") == 3 ? SP_CIPHERTEXT_TYPE_PREKEY : SP_CIPHERTEXT_TYPE_WHISPER;
  ciphertext = g_base64_decode (json_object_get_string_member (envelope, "content"), &ciphertext_len);
  plaintext = g_malloc (ciphertext_len);

  cipher = _sotto_protocol_state_get_cipher (fixture->bob->protocol, sotto_account_get_uuid (fixture->alice->account),
                                             1, &error);
  g_assert_no_error (error);
  g_assert_true (_sotto_store_begin (fixture->bob->store, &error));
  g_assert_cmpint (sp_session_cipher_decrypt (cipher, type, ciphertext, ciphertext_len,
                                              plaintext, ciphertext_len, &plaintext_len), ==, SP_OK);
  g_assert_true (_sotto_store_commit (fixture->bob->store, &error));

  content = sotto_content_decode (plaintext, plaintext_len, &error);
  g_assert_no_error (error);

  return content;
}

/* Messages to one contact reach the relay in the order they were
 * written, each once, and what the relay took decrypts at the contact's
 * device. */
static void
test_outbox_order (Fixture       *fixture,
                   gconstpointer  user_data)
{
  static const char *texts[] = { "one", "two", "three", "four" };
  GAsyncResult *results[G_N_ELEMENTS (texts)] = { NULL, };
  g_autoptr(GPtrArray) bodies = NULL;

  serve_bob_keys (fixture, 1);

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    send_text (fixture, texts[i], &results[i]);
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(SottoMessage) message = finish_send (fixture, &results[i], 0, 0);

      g_assert_cmpint (sotto_message_get_state (message), ==, SOTTO_MESSAGE_STATE_SENT);
    }

  /* One session set up, then one send per message, in order. */
  g_assert_cmpuint (scripted_relay_count_requests (fixture->alice->relay, "GET /v1/keys/"), ==, 1);
  bodies = sends_to_bob (fixture);
  g_assert_cmpuint (bodies->len, ==, G_N_ELEMENTS (texts));
  for (guint i = 0; i < bodies->len; i++)
    {
      g_autoptr(SottoContent) content = bob_decrypts (fixture, g_ptr_array_index (bodies, i));

      g_assert_cmpint (content->kind, ==, SOTTO_CONTENT_KIND_TEXT);
      g_assert_cmpstr (content->text, ==, texts[i]);
    }
  g_assert_cmpuint (_sotto_outbox_get_size (fixture->outbox), ==, 0);
}

static gboolean
retry_armed (gpointer data)
{
  SottoOutbox *outbox = data;

  return outbox->pump_retry_source != 0;
}

/* The delay of the retry the outbox has set up, in milliseconds. */
static gint64
retry_delay_ms (SottoOutbox *outbox)
{
  GSource *source = g_main_context_find_source_by_id (NULL, outbox->pump_retry_source);

  g_assert_nonnull (source);

  return (g_source_get_ready_time (source) - g_source_get_time (source)) / 1000;
}

typedef struct
{
  SottoOutbox *outbox;
  guint attempts;
} Attempts;

static gboolean
attempted (gpointer data)
{
  Attempts *attempts = data;

  return attempts->outbox->pump_attempts >= attempts->attempts && attempts->outbox->pump_retry_source != 0;
}

static gboolean
message_sent (gpointer data)
{
  return sotto_message_get_state (data) == SOTTO_MESSAGE_STATE_SENT;
}

/* A relay that fails (5xx) or drops the connection keeps the message
 * queued; the outbox tries again by itself, later each time, and sends
 * it once the relay is back. */
static void
test_outbox_retry (Fixture       *fixture,
                   gconstpointer  user_data)
{
  ScriptedRelay *relay = fixture->alice->relay;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(SottoMessage) message = NULL;
  gint64 first_delay;
  gint64 second_delay;

  scripted_relay_route (relay, "GET", fixture->keys_path, 0, 503,
                        "{\"error\": \"unavailable\", \"message\": \"Busy\"}");
  _sotto_outbox_start (fixture->outbox);

  send_text (fixture, "hello", &result);
  message = finish_send (fixture, &result, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_QUEUED);
  g_assert_cmpint (sotto_message_get_state (message), ==, SOTTO_MESSAGE_STATE_QUEUED);
  g_assert_cmpuint (_sotto_outbox_get_size (fixture->outbox), ==, 1);

  /* The first retry comes after SOTTO_OUTBOX_RETRY_BASE_MS, jittered
   * down by up to a half; the next after twice that. */
  engine_test_wait_until (retry_armed, fixture->outbox);
  g_assert_cmpuint (fixture->outbox->pump_attempts, ==, 1);
  first_delay = retry_delay_ms (fixture->outbox);
  g_assert_cmpint (first_delay, >=, SOTTO_OUTBOX_RETRY_BASE_MS / 2 - 1);
  g_assert_cmpint (first_delay, <=, SOTTO_OUTBOX_RETRY_BASE_MS);

  engine_test_wait_until (attempted, &(Attempts) { fixture->outbox, 2 });
  g_assert_cmpuint (scripted_relay_count_requests (relay, "GET /v1/keys/"), ==, 2);
  second_delay = retry_delay_ms (fixture->outbox);
  g_assert_cmpint (second_delay, >=, SOTTO_OUTBOX_RETRY_BASE_MS - 1);
  g_assert_cmpint (second_delay, <=, 2 * SOTTO_OUTBOX_RETRY_BASE_MS);
  g_assert_cmpint (sotto_message_get_state (message), ==, SOTTO_MESSAGE_STATE_QUEUED);

  /* Then the connection drops on the send itself, twice (libsoup sends
   * a request again once by itself when a kept-alive connection drops);
   * after that the relay takes it. */
  g_ptr_array_set_size (relay->routes, 0);
  scripted_relay_route (relay, "PUT", fixture->messages_path, 2, 0, NULL);
  serve_bob_keys (fixture, 1);
  engine_test_wait_until (attempted, &(Attempts) { fixture->outbox, 3 });
  g_assert_cmpuint (scripted_relay_count_requests (relay, "PUT /v1/messages/"), >=, 1);
  g_assert_cmpint (sotto_message_get_state (message), ==, SOTTO_MESSAGE_STATE_QUEUED);

  engine_test_wait_until (message_sent, message);
  g_assert_cmpuint (scripted_relay_count_requests (relay, "PUT /v1/messages/"), ==, 3);
  g_assert_cmpuint (fixture->outbox->pump_attempts, ==, 0);
  g_assert_cmpuint (fixture->outbox->pump_retry_source, ==, 0);
  g_assert_cmpuint (_sotto_outbox_get_size (fixture->outbox), ==, 0);
}

/* The relay's word on the contact's devices: a 409 names a device that
 * is gone, whose session is dropped; a 410 names one registered again,
 * whose keys are fetched anew.  The message goes once the list fits. */
static void
test_outbox_device_list (Fixture       *fixture,
                         gconstpointer  user_data)
{
  ScriptedRelay *relay = fixture->alice->relay;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(GPtrArray) bodies = NULL;
  g_autoptr(SottoContent) content = NULL;
  g_autofree char *refetch = g_strconcat ("GET ", fixture->keys_path, "/1", NULL);
  g_autofree char *first_device = party_bundles_json (fixture->bob, 1);

  scripted_relay_route (relay, "PUT", fixture->messages_path, 1, 409,
                        "{\"error\": \"device-mismatch\", \"message\": \"Out of date\","
                        " \"missingDevices\": [], \"extraDevices\": [2]}");
  scripted_relay_route (relay, "PUT", fixture->messages_path, 1, 410,
                        "{\"error\": \"stale-devices\", \"message\": \"Out of date\", \"staleDevices\": [1]}");
  scripted_relay_route (relay, "GET", refetch + strlen ("GET "), 0, 200, first_device);
  serve_bob_keys (fixture, 2);

  send_text (fixture, "which devices?", &result);
  message = finish_send (fixture, &result, 0, 0);

  bodies = sends_to_bob (fixture);
  g_assert_cmpuint (bodies->len, ==, 3);
  g_assert_cmpuint (n_envelopes (g_ptr_array_index (bodies, 0)), ==, 2);
  g_assert_cmpuint (n_envelopes (g_ptr_array_index (bodies, 1)), ==, 1);
  g_assert_cmpuint (n_envelopes (g_ptr_array_index (bodies, 2)), ==, 1);
  g_assert_cmpuint (scripted_relay_count_requests (relay, refetch), ==, 1);

  /* The last envelope is from the session set up again. */
  content = bob_decrypts (fixture, g_ptr_array_index (bodies, 2));
  g_assert_cmpstr (content->text, ==, "which devices?");
}

static gboolean
sent_twice (gpointer data)
{
  Fixture *fixture = data;

  return scripted_relay_count_requests (fixture->alice->relay, "PUT /v1/messages/") >= 2;
}

/* Delivery receipts wait, and go together, in one message. */
static void
test_outbox_receipts (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(GPtrArray) bodies = NULL;
  g_autoptr(SottoContent) first = NULL;
  g_autoptr(SottoContent) receipt = NULL;
  g_autofree char *id1 = g_uuid_string_random ();
  g_autofree char *id2 = g_uuid_string_random ();

  serve_bob_keys (fixture, 1);
  send_text (fixture, "hi", &result);
  message = finish_send (fixture, &result, 0, 0);

  _sotto_outbox_queue_receipt (fixture->outbox, fixture->to_bob, id1);
  _sotto_outbox_queue_receipt (fixture->outbox, fixture->to_bob, id2);
  g_assert_cmpuint (fixture->outbox->receipt_source, !=, 0);
  g_assert_cmpuint (scripted_relay_count_requests (fixture->alice->relay, "PUT /v1/messages/"), ==, 1);

  _sotto_outbox_flush_receipts (fixture->outbox);
  g_assert_cmpuint (fixture->outbox->receipt_source, ==, 0);
  engine_test_wait_until (sent_twice, fixture);

  bodies = sends_to_bob (fixture);
  first = bob_decrypts (fixture, g_ptr_array_index (bodies, 0));
  g_assert_cmpstr (first->text, ==, "hi");
  receipt = bob_decrypts (fixture, g_ptr_array_index (bodies, 1));
  g_assert_cmpint (receipt->kind, ==, SOTTO_CONTENT_KIND_DELIVERY_RECEIPT);
  g_assert_cmpuint (g_strv_length (receipt->receipts), ==, 2);
  g_assert_cmpstr (receipt->receipts[0], ==, id1);
  g_assert_cmpstr (receipt->receipts[1], ==, id2);
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

#define ADD(path, func) \
  g_test_add ("/engine/outbox/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("order", test_outbox_order);
  ADD ("retry", test_outbox_retry);
  ADD ("device-list", test_outbox_device_list);
  ADD ("receipts", test_outbox_receipts);

#undef ADD

  return g_test_run ();
}
