/* test-relay-scan.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The fast paths of the send and WebSocket message decoders: the compact
 * requests clients write must take them (or the relay silently loses
 * its speed), and everything outside their subset must fall through to
 * json-glib, which gives the answer.
 */

#include "config.h"

#include <sodium.h>

#include "relay-api-private.h"

#define MAX_CONTENT 1024

static const char canonical_send[] =
  "{\"timestamp\":1767225600000,\"messages\":["
  "{\"type\":1,\"destinationDeviceId\":1,\"destinationRegistrationId\":4242,\"content\":\"AAEC\"},"
  "{\"type\":3,\"destinationDeviceId\":127,\"destinationRegistrationId\":16380,\"content\":\"/w==\"}]}";

static RelaySendRequest *
scan (const char *json)
{
  return _relay_send_request_scan (json, strlen (json), MAX_CONTENT);
}

static void
test_send_canonical (void)
{
  g_autoptr(RelaySendRequest) request = scan (canonical_send);
  RelayOutgoingEnvelope *first;
  RelayOutgoingEnvelope *second;
  gsize size;
  const guint8 *content;

  g_assert_nonnull (request);
  g_assert_cmpint (request->timestamp, ==, 1767225600000);
  g_assert_cmpuint (request->messages->len, ==, 2);
  first = g_ptr_array_index (request->messages, 0);
  second = g_ptr_array_index (request->messages, 1);
  g_assert_cmpuint (first->type, ==, 1);
  g_assert_cmpuint (first->device_id, ==, 1);
  g_assert_cmpuint (first->registration_id, ==, 4242);
  content = g_bytes_get_data (first->content, &size);
  g_assert_cmpmem (content, size, "\x00\x01\x02", 3);
  g_assert_cmpstr (first->content_base64, ==, "AAEC");
  g_assert_cmpuint (second->type, ==, 3);
  g_assert_cmpuint (second->device_id, ==, 127);
  g_assert_cmpuint (second->registration_id, ==, 16380);
  content = g_bytes_get_data (second->content, &size);
  g_assert_cmpmem (content, size, "\xff", 1);
}

/* Whitespace and member order are within the subset. */
static void
test_send_spaces_and_order (void)
{
  g_autoptr(RelaySendRequest) request =
    scan (" {\n\"messages\" : [ { \"content\" : \"AAEC\" , \"destinationRegistrationId\" : 5 ,\t"
          "\"destinationDeviceId\" : 2 , \"type\" : 8 } ] , \"timestamp\" : 0 }\r\n");
  RelayOutgoingEnvelope *envelope;

  g_assert_nonnull (request);
  g_assert_cmpint (request->timestamp, ==, 0);
  g_assert_cmpuint (request->messages->len, ==, 1);
  envelope = g_ptr_array_index (request->messages, 0);
  g_assert_cmpuint (envelope->type, ==, 8);
  g_assert_cmpuint (envelope->device_id, ==, 2);
  g_assert_cmpuint (envelope->registration_id, ==, 5);
}

typedef struct
{
  const char    *json;
  int            error;    /* the full decoder's verdict: -1 when it accepts */
} Fallback;

#define ENVELOPE "{\"type\":1,\"destinationDeviceId\":1,\"destinationRegistrationId\":5,\"content\":\"AAEC\"}"

static const Fallback fallbacks[] = {
  /* Valid JSON outside the subset: json-glib accepts it. */
  { "{\"timestamp\":1,\"messages\":[" ENVELOPE "],\"extra\":null}", -1 },
  { "{\"timestamp\":1,\"messages\":[{\"type\":1,\"destinationDeviceId\":1,\"destinationRegistrationId\":5,"
    "\"content\":\"AA\\u0045C\"}]}", -1 },
  /* Invalid requests: the scan leaves the error to json-glib. */
  { "", RELAY_API_ERROR_BAD_JSON },
  { "{\"timestamp\":1,\"messages\":[" ENVELOPE "]} x", RELAY_API_ERROR_BAD_JSON },
  { "{\"timestamp\":1,\"messages\":[" ENVELOPE "," ENVELOPE "]}", RELAY_API_ERROR_DUPLICATE },
  { "{\"timestamp\":1,\"messages\":[]}", RELAY_API_ERROR_TOO_MANY },
  { "{\"timestamp\":1.5,\"messages\":[" ENVELOPE "]}", RELAY_API_ERROR_WRONG_TYPE },
  { "{\"timestamp\":-1,\"messages\":[" ENVELOPE "]}", RELAY_API_ERROR_BAD_VALUE },
  { "{\"timestamp\":1,\"messages\":[{\"type\":9,\"destinationDeviceId\":1,\"destinationRegistrationId\":5,"
    "\"content\":\"AAEC\"}]}", RELAY_API_ERROR_BAD_VALUE },
  { "{\"timestamp\":1,\"messages\":[{\"type\":1,\"destinationDeviceId\":1,\"destinationRegistrationId\":5,"
    "\"content\":\"A=A=\"}]}", RELAY_API_ERROR_BAD_BASE64 },
  { "{\"timestamp\":1,\"messages\":[{\"type\":1,\"destinationDeviceId\":1,\"destinationRegistrationId\":5,"
    "\"content\":\"\"}]}", RELAY_API_ERROR_BAD_VALUE },
  { "{\"timestamp\":1,\"messages\":[{\"type\":1,\"destinationDeviceId\":1,\"destinationRegistrationId\":5}]}",
    RELAY_API_ERROR_MISSING_FIELD },
};

static void
test_send_fallbacks (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (fallbacks); i++)
    {
      const Fallback *fallback = &fallbacks[i];
      g_autoptr(RelaySendRequest) fast = scan (fallback->json);
      g_autoptr(RelaySendRequest) full = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("case %u: %s", i, fallback->json);
      g_assert_null (fast);
      full = relay_send_request_parse (fallback->json, strlen (fallback->json), MAX_CONTENT, &error);
      if (fallback->error < 0)
        {
          g_assert_no_error (error);
          g_assert_nonnull (full);
        }
      else
        {
          g_assert_error (error, RELAY_API_ERROR, fallback->error);
          g_assert_null (full);
        }
    }
}

/* The relay's own base64 decoder must accept exactly what libsodium's
 * strict one accepts, with the same bytes. */
static void
check_base64 (const char *text,
              gsize       length)
{
  guint8 ours[64];
  guint8 theirs[64];
  gsize ours_length = 0;
  size_t theirs_length = 0;
  gboolean ours_ok = _relay_base64_decode (text, length, ours, &ours_length);
  gboolean theirs_ok = sodium_base642bin (theirs, sizeof theirs, text, length, NULL, &theirs_length, NULL,
                                          sodium_base64_VARIANT_ORIGINAL) == 0;

  if (ours_ok != theirs_ok)
    g_test_message ("disagreement on “%.*s”", (int) length, text);
  g_assert_cmpint (ours_ok, ==, theirs_ok);
  if (ours_ok)
    g_assert_cmpmem (ours, ours_length, theirs, theirs_length);
}

static void
test_base64 (void)
{
  static const char alphabet[] = "AQgw+/=z9 -_\n";
  static const char * const edges[] = {
    "", "=", "==", "====", "A===", "AA==", "AB==", "AAA=", "AAB=", "AAAA", "AA=A", "A=AA",
    "QUJD", "QUI=", "QQ==", "QQ=", "QQ", "Q", "QUJDRA==", "QUJDRA=", "/w==", "+/+/", "AA==AA==",
  };
  char text[12];

  for (guint i = 0; i < G_N_ELEMENTS (edges); i++)
    check_base64 (edges[i], strlen (edges[i]));
  /* Every string of up to 8 characters over a small alphabet that holds
   * all the interesting kinds, sampled at random. */
  for (guint i = 0; i < 200000; i++)
    {
      gsize length = (gsize) g_test_rand_int_range (0, 9);

      for (gsize j = 0; j < length; j++)
        text[j] = alphabet[g_test_rand_int_range (0, sizeof alphabet - 1)];
      check_base64 (text, length);
    }
  /* libsodium 1.0.18 reads any byte from 0x80 up as the digit '/'; the
   * relay's decoder refuses them, as the API promises strict base64. */
  for (guint c = 0x80; c <= 0xff; c++)
    {
      char high[] = { 'Q', 'U', 'J', (char) c };
      guint8 out[3];
      gsize out_length;

      g_assert_false (_relay_base64_decode (high, sizeof high, out, &out_length));
    }
  /* And valid encodings of random bytes. */
  for (guint i = 0; i < 2000; i++)
    {
      guint8 bytes[8];
      gsize length = (gsize) g_test_rand_int_range (0, 9);
      char encoded[16];

      for (gsize j = 0; j < length; j++)
        bytes[j] = (guint8) g_test_rand_int_range (0, 256);
      sodium_bin2base64 (encoded, sizeof encoded, bytes, length, sodium_base64_VARIANT_ORIGINAL);
      check_base64 (encoded, strlen (encoded));
    }
}

/* Credentials stay with libsodium's constant-time decoder, which would
 * read a byte from 0x80 up as a digit; the relay refuses them first. */
static void
test_credentials_non_ascii (void)
{
  g_autofree char *plain = g_strdup ("8f0c3d6e-5b8f-4a43-9d36-7b1c5a3d0e11.1:0123456789abcdef");
  g_autofree char *encoded = g_base64_encode ((const guchar *) plain, strlen (plain));
  g_autofree char *header = g_strconcat ("Basic ", encoded, NULL);
  g_autoptr(RelayCredentials) credentials = relay_credentials_parse (header, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (credentials);
  g_assert_cmpuint (credentials->device_id, ==, 1);
  /* The last digit of a group becomes a byte that libsodium would read
   * as '/'. */
  header[strlen (header) - 1] = (char) 0xc3;
  g_assert_null (relay_credentials_parse (header, &error));
  g_assert_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_VALUE);
}

/* An empty body may reach the decoders as a NULL pointer. */
static void
test_empty (void)
{
  g_assert_null (_relay_send_request_scan (NULL, 0, MAX_CONTENT));
  g_assert_null (_relay_client_message_scan (NULL, 0, MAX_CONTENT));
}

static void
test_send_too_many (void)
{
  g_autoptr(GString) json = g_string_new ("{\"timestamp\":1,\"messages\":[");
  g_autoptr(RelaySendRequest) request = NULL;
  g_autoptr(GError) error = NULL;

  for (guint device = 1; device <= RELAY_MAX_ENVELOPES_PER_REQUEST + 1; device++)
    g_string_append_printf (json, "%s{\"type\":1,\"destinationDeviceId\":%u,\"destinationRegistrationId\":5,"
                            "\"content\":\"AAEC\"}", device > 1 ? "," : "", device);
  g_string_append (json, "]}");
  g_assert_null (scan (json->str));
  request = relay_send_request_parse (json->str, json->len, MAX_CONTENT, &error);
  g_assert_error (error, RELAY_API_ERROR, RELAY_API_ERROR_TOO_MANY);
  g_assert_null (request);
}

static RelayClientMessage *
scan_message (const char *json)
{
  return _relay_client_message_scan (json, strlen (json), MAX_CONTENT);
}

static RelayClientMessage *
parse_message (const char  *json,
               gint64      *failed_id,
               GError     **error)
{
  return relay_client_message_parse (json, strlen (json), MAX_CONTENT, failed_id, error);
}

static void
test_ack (void)
{
  static const char canonical[] = "{\"type\":\"ack\",\"guid\":\"3e0a4c1e-2f5d-4b8e-9a51-0c9d7e6f1a2b\"}";
  static const char reordered[] = "{\"guid\":\"3e0a4c1e-2f5d-4b8e-9a51-0c9d7e6f1a2b\",\"type\":\"ack\"}";
  static const char upper[] = "{\"type\":\"ack\",\"guid\":\"3E0A4C1E-2F5D-4B8E-9A51-0C9D7E6F1A2B\"}";
  g_autoptr(RelayClientMessage) fast = scan_message (canonical);
  g_autoptr(RelayClientMessage) full = NULL;
  g_autoptr(GError) error = NULL;
  gint64 failed_id;

  g_assert_nonnull (fast);
  g_assert_cmpint (fast->kind, ==, RELAY_CLIENT_MESSAGE_ACK);
  g_assert_cmpuint (fast->guids->len, ==, 1);
  g_assert_cmpstr (g_array_index (fast->guids, RelayGuid, 0).text, ==, "3e0a4c1e-2f5d-4b8e-9a51-0c9d7e6f1a2b");
  g_assert_null (scan_message (reordered));
  full = parse_message (reordered, &failed_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (full->guids->len, ==, 1);
  g_assert_cmpstr (g_array_index (full->guids, RelayGuid, 0).text, ==, "3e0a4c1e-2f5d-4b8e-9a51-0c9d7e6f1a2b");
  g_assert_null (scan_message (upper));
  g_assert_null (parse_message (upper, &failed_id, &error));
  g_assert_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_VALUE);
  g_assert_cmpint (failed_id, ==, -1);
}

static void
test_ack_batch (void)
{
  g_autoptr(GString) json = g_string_new ("{\"type\":\"ack\",\"guids\":[");
  g_autoptr(RelayClientMessage) fast = NULL;
  g_autoptr(RelayClientMessage) full = NULL;
  g_autoptr(GError) error = NULL;
  gint64 failed_id;

  for (guint i = 0; i < RELAY_MAX_ACKS_PER_MESSAGE; i++)
    g_string_append_printf (json, "%s\"3e0a4c1e-2f5d-4b8e-9a51-%012x\"", i > 0 ? "," : "", i);
  g_string_append (json, "]}");
  fast = scan_message (json->str);
  g_assert_nonnull (fast);
  g_assert_cmpuint (fast->guids->len, ==, RELAY_MAX_ACKS_PER_MESSAGE);
  g_assert_cmpstr (g_array_index (fast->guids, RelayGuid, 255).text, ==, "3e0a4c1e-2f5d-4b8e-9a51-0000000000ff");

  /* One more than a message may hold goes to json-glib, which refuses it. */
  g_string_truncate (json, json->len - 2);
  g_string_append (json, ",\"3e0a4c1e-2f5d-4b8e-9a51-100000000000\"]}");
  g_assert_null (scan_message (json->str));
  full = parse_message (json->str, &failed_id, &error);
  g_assert_null (full);
  g_assert_error (error, RELAY_API_ERROR, RELAY_API_ERROR_TOO_MANY);
  g_clear_error (&error);

  g_assert_null (parse_message ("{\"type\":\"ack\",\"guids\":[]}", &failed_id, &error));
  g_assert_error (error, RELAY_API_ERROR, RELAY_API_ERROR_TOO_MANY);
  g_clear_error (&error);
  g_assert_null (parse_message ("{\"type\":\"ack\",\"guids\":[7]}", &failed_id, &error));
  g_assert_error (error, RELAY_API_ERROR, RELAY_API_ERROR_WRONG_TYPE);
}

static const char canonical_message[] =
  "{\"type\":\"send\",\"id\":42,\"destination\":\"8f0c1d2e-1111-4222-8333-944455556666\","
  "\"timestamp\":1767225600000,\"messages\":["
  "{\"type\":1,\"destinationDeviceId\":1,\"destinationRegistrationId\":4242,\"content\":\"AAEC\"}]}";

static void
test_message_send (void)
{
  static const char reordered[] =
    "{\"messages\":[{\"type\":1,\"destinationDeviceId\":1,\"destinationRegistrationId\":4242,"
    "\"content\":\"AAEC\"}],\"destination\":\"8f0c1d2e-1111-4222-8333-944455556666\","
    "\"timestamp\":1767225600000,\"id\":42,\"type\":\"send\"}";
  g_autoptr(RelayClientMessage) fast = scan_message (canonical_message);
  g_autoptr(RelayClientMessage) other = scan_message (reordered);
  RelayOutgoingEnvelope *envelope;

  g_assert_nonnull (fast);
  g_assert_cmpint (fast->kind, ==, RELAY_CLIENT_MESSAGE_SEND);
  g_assert_cmpint (fast->id, ==, 42);
  g_assert_cmpstr (fast->destination, ==, "8f0c1d2e-1111-4222-8333-944455556666");
  g_assert_cmpint (fast->send->timestamp, ==, 1767225600000);
  g_assert_cmpuint (fast->send->messages->len, ==, 1);
  envelope = g_ptr_array_index (fast->send->messages, 0);
  g_assert_cmpuint (envelope->registration_id, ==, 4242);
  g_assert_cmpstr (envelope->content_base64, ==, "AAEC");
  g_assert_nonnull (other);
  g_assert_cmpint (other->id, ==, 42);
  g_assert_cmpstr (other->destination, ==, fast->destination);
}

/* A send whose id can be read names it on failure, so that the relay
 * answers it as that send's response. */
static void
test_message_send_errors (void)
{
  static const struct
  {
    const char *json;
    gint64      failed_id;
    int         code;
  } cases[] = {
    { "{\"type\":\"send\",\"id\":5,\"destination\":\"nope\",\"timestamp\":1,\"messages\":[]}",
      5, RELAY_API_ERROR_BAD_VALUE },
    { "{\"type\":\"send\",\"id\":6,\"destination\":\"8f0c1d2e-1111-4222-8333-944455556666\","
      "\"timestamp\":1,\"messages\":[{\"type\":1,\"destinationDeviceId\":1,"
      "\"destinationRegistrationId\":1,\"content\":\"AAEC=\"}]}", 6, RELAY_API_ERROR_BAD_BASE64 },
    { "{\"type\":\"send\",\"id\":\"7\"}", -1, RELAY_API_ERROR_WRONG_TYPE },
    { "{\"type\":\"sent\",\"id\":8}", -1, RELAY_API_ERROR_BAD_VALUE },
    { "{\"type\":\"send\",\"id\":9,", -1, RELAY_API_ERROR_BAD_JSON },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 failed_id = 0;

      g_assert_null (scan_message (cases[i].json));
      g_assert_null (parse_message (cases[i].json, &failed_id, &error));
      g_assert_error (error, RELAY_API_ERROR, cases[i].code);
      g_assert_cmpint (failed_id, ==, cases[i].failed_id);
    }
}

/* The strict check passes only what json-glib reads too: \u escapes of
 * UTF-16 surrogates only as a high one followed by a low one.  A lone
 * low surrogate (found by fuzz-relay-request) passed the check and then
 * failed json-glib's parser. */
static void
test_json_surrogates (void)
{
  const char *refused[] = {
    "\"\\udddd\"", "\"\\uDC00\"", "\"\\ud800\"", "\"\\ud800x\"",
    "\"\\ud800\\u0041\"", "\"\\ud800\\ud800\"", "{\"a\":\"\\udfff\"}",
  };
  const char *accepted[] = {
    "\"\\ud83d\\ude00\"", "\"a\\udbff\\udfff\"", "\"\\uFFFF\"", "\"\\u00e9\"",
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    g_assert_false (_relay_json_check (refused[i], strlen (refused[i]), RELAY_JSON_CHECK_MAX_DEPTH));
  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
    g_assert_true (_relay_json_check (accepted[i], strlen (accepted[i]), RELAY_JSON_CHECK_MAX_DEPTH));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/relay/scan/send-canonical", test_send_canonical);
  g_test_add_func ("/relay/scan/send-spaces-and-order", test_send_spaces_and_order);
  g_test_add_func ("/relay/scan/send-fallbacks", test_send_fallbacks);
  g_test_add_func ("/relay/scan/send-too-many", test_send_too_many);
  g_test_add_func ("/relay/scan/empty", test_empty);
  g_test_add_func ("/relay/scan/base64", test_base64);
  g_test_add_func ("/relay/scan/json-surrogates", test_json_surrogates);
  g_test_add_func ("/relay/scan/credentials-non-ascii", test_credentials_non_ascii);
  g_test_add_func ("/relay/scan/ack", test_ack);
  g_test_add_func ("/relay/scan/ack-batch", test_ack_batch);
  g_test_add_func ("/relay/scan/message-send", test_message_send);
  g_test_add_func ("/relay/scan/message-send-errors", test_message_send_errors);
  return g_test_run ();
}
