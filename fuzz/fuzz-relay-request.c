/* fuzz-relay-request.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Feeds the relay's request decoders.  The first byte picks the decoder,
 * the rest is the untrusted input; every decoder must either succeed or
 * fail cleanly, without leaks or undefined behaviour.  For sends and
 * acknowledgements, whatever the fast scanner accepts must also be
 * accepted, with the same result, by the full json-glib decoder (for
 * WebSocket messages too: acknowledgements and sends); and the
 * relay's base64 decoder must agree with libsodium's on every ASCII input
 * and refuse every other (libsodium 1.0.18 reads any byte from 0x80 up
 * as the digit '/').  Whatever the strict JSON check passes, json-glib
 * must parse: the check only ever narrows what json-glib reads.
 */

#include <json-glib/json-glib.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relay-api-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define MAX_CONTENT 1024

static gboolean
envelopes_equal (const RelayOutgoingEnvelope *a,
                 const RelayOutgoingEnvelope *b)
{
  return a->type == b->type && a->device_id == b->device_id &&
         a->registration_id == b->registration_id && a->expires_in_ms == b->expires_in_ms &&
         g_bytes_equal (a->content, b->content) &&
         strcmp (a->content_base64, b->content_base64) == 0;
}

static gboolean
send_requests_equal (const RelaySendRequest *a,
                     const RelaySendRequest *b)
{
  if (a->timestamp != b->timestamp || a->messages->len != b->messages->len)
    return FALSE;
  for (guint i = 0; i < a->messages->len; i++)
    if (!envelopes_equal (g_ptr_array_index (a->messages, i), g_ptr_array_index (b->messages, i)))
      return FALSE;
  return TRUE;
}

static void
check_base64 (const char *text,
              gsize       length)
{
  gsize capacity = length / 4 * 3 + 3;
  g_autofree guint8 *ours = g_malloc (capacity);
  g_autofree guint8 *theirs = g_malloc (capacity);
  gsize ours_length = 0;
  size_t theirs_length = 0;
  gboolean ours_ok = _relay_base64_decode (text, length, ours, &ours_length);
  gboolean theirs_ok;

  for (gsize i = 0; i < length; i++)
    if ((guint8) text[i] >= 0x80)
      {
        if (ours_ok)
          abort ();
        return;
      }
  theirs_ok = sodium_base642bin (theirs, capacity, text, length, NULL, &theirs_length, NULL,
                                 sodium_base64_VARIANT_ORIGINAL) == 0;
  if (ours_ok != theirs_ok ||
      (ours_ok && (ours_length != theirs_length || memcmp (ours, theirs, ours_length) != 0)))
    abort ();
}

static void
check_strict_json (const char *text,
                   gsize       length)
{
  g_autoptr(JsonParser) parser = NULL;

  if (!_relay_json_check (text, length, RELAY_JSON_CHECK_MAX_DEPTH) || !g_utf8_validate (text, length, NULL))
    return;
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, text, (gssize) length, NULL))
    abort ();
}

static void
check_send (const char *body,
            gsize       length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelaySendRequest) fast = _relay_send_request_scan (body, length, MAX_CONTENT);
  g_autoptr(RelaySendRequest) full = _relay_send_request_parse_json (body, length, MAX_CONTENT, &error);

  if (fast != NULL && (full == NULL || !send_requests_equal (fast, full)))
    abort ();
  if (full == NULL && error == NULL)
    abort ();
}

static gboolean
client_messages_equal (const RelayClientMessage *a,
                       const RelayClientMessage *b)
{
  if (a->kind != b->kind)
    return FALSE;
  if (a->kind == RELAY_CLIENT_MESSAGE_ACK)
    {
      if (a->guids->len != b->guids->len)
        return FALSE;
      for (guint i = 0; i < a->guids->len; i++)
        if (strcmp (g_array_index (a->guids, RelayGuid, i).text,
                    g_array_index (b->guids, RelayGuid, i).text) != 0)
          return FALSE;
      return TRUE;
    }
  return a->id == b->id && strcmp (a->destination, b->destination) == 0 &&
         send_requests_equal (a->send, b->send);
}

static void
check_client_message (const char *body,
                      gsize       length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayClientMessage) fast = _relay_client_message_scan (body, length, MAX_CONTENT);
  gint64 failed_id;
  g_autoptr(RelayClientMessage) full = _relay_client_message_parse_json (body, length, MAX_CONTENT,
                                                                         &failed_id, &error);

  if (fast != NULL && (full == NULL || !client_messages_equal (fast, full)))
    abort ();
  if (full == NULL && (error == NULL || failed_id < -1))
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  const char *body;
  gsize length;

  if (size < 1)
    return 0;
  body = (const char *) data + 1;
  length = size - 1;

  switch (data[0] % 5)
    {
    case 0:
      check_strict_json (body, length);
      relay_register_request_free (relay_register_request_parse (body, length, &error));
      break;
    case 1:
      relay_keys_request_free (relay_keys_request_parse (body, length, &error));
      break;
    case 2:
      check_send (body, length);
      check_base64 (body, length);
      break;
    case 3:
      check_client_message (body, length);
      break;
    default:
      {
        /* A header value is a C string; stop at the first NUL. */
        g_autofree char *header = g_strndup (body, length);

        relay_credentials_free (relay_credentials_parse (header, &error));
      }
      break;
    }
  return 0;
}
