/* relay-api-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The two paths behind the public decoders of the hottest requests, for
 * relay-api.c, relay-api-scan.c and the fuzz target that checks that the
 * fast path agrees with the full one.
 */

#pragma once

#include <json-glib/json-glib.h>

#include "relay-api.h"

G_BEGIN_DECLS

RelaySendRequest *_relay_send_request_new        (void);
RelayOutgoingEnvelope *_relay_outgoing_envelope_new (const char *content_base64,
                                                     gsize       length);
gboolean          _relay_base64_decode           (const char  *text,
                                                  gsize        length,
                                                  guint8      *out,
                                                  gsize       *out_length);
GBytes           *_relay_api_decode_base64       (const char  *text,
                                                  gsize        text_length,
                                                  const char  *name,
                                                  gsize        max_length,
                                                  GError     **error);

/* The member readers of the full decoders, for the decoders of other
 * requests: each fails with the error the API names (missing-field,
 * wrong-type, bad-value, bad-key, …). */
JsonObject       *_relay_api_parse_object        (const char   *data,
                                                  gsize         length,
                                                  JsonParser  **parser_out,
                                                  GError      **error);
JsonNode         *_relay_api_get_member          (JsonObject   *object,
                                                  const char   *name,
                                                  gboolean      required,
                                                  GError      **error);
gboolean          _relay_api_get_integer         (JsonObject   *object,
                                                  const char   *name,
                                                  gint64        min,
                                                  gint64        max,
                                                  gint64       *value,
                                                  GError      **error);
/* An optional integer: `fallback` when the member is absent or null. */
gboolean          _relay_api_get_optional_integer (JsonObject   *object,
                                                   const char   *name,
                                                   gint64        min,
                                                   gint64        max,
                                                   gint64        fallback,
                                                   gint64       *value,
                                                   GError      **error);
const char       *_relay_api_get_string          (JsonObject   *object,
                                                  const char   *name,
                                                  gboolean      required,
                                                  GError      **error);
GBytes           *_relay_api_get_fixed_bytes     (JsonObject   *object,
                                                  const char   *name,
                                                  gsize         length,
                                                  int           type_byte,
                                                  GError      **error);
/* A send's timestamp and messages, as an HTTP body and a WebSocket
 * message both carry them. */
RelaySendRequest *_relay_send_request_from_object (JsonObject  *object,
                                                   gsize        max_content,
                                                   GError     **error);
RelaySendRequest *_relay_send_messages_from_object (JsonObject  *object,
                                                    gint64       timestamp,
                                                    gsize        max_content,
                                                    GError     **error);

/* The full decoders, built on json-glib. */
RelaySendRequest *_relay_send_request_parse_json (const char  *data,
                                                  gsize        length,
                                                  gsize        max_content,
                                                  GError     **error);
RelayClientMessage *_relay_client_message_new_ack  (guint        n_guids);
RelayClientMessage *_relay_client_message_new_send (void);
RelayClientMessage *_relay_client_message_parse_json (const char  *data,
                                                      gsize        length,
                                                      gsize        max_content,
                                                      gint64      *failed_id,
                                                      GError     **error);

/* The fast paths.  Each handles only compact, valid requests of the
 * shape clients write, and returns NULL for anything else, errors
 * included, without saying why: the full decoder then decides.  Whatever
 * a fast path accepts, the full decoder accepts with the same result. */
RelaySendRequest *_relay_send_request_scan       (const char  *data,
                                                  gsize        length,
                                                  gsize        max_content);
RelayClientMessage *_relay_client_message_scan     (const char  *data,
                                                    gsize        length,
                                                    gsize        max_content);

/* Whether `data` is one JSON value as RFC 8259 writes it, with at most
 * `max_depth` (up to RELAY_JSON_CHECK_MAX_DEPTH) nested objects and
 * arrays: no comments, no leading zeros, nothing after the value but
 * white space. */
#define RELAY_JSON_CHECK_MAX_DEPTH 64
gboolean          _relay_json_check              (const char  *data,
                                                  gsize        length,
                                                  guint        max_depth);

G_END_DECLS
