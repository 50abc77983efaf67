/* relay-api-fanout.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The requests that send to several accounts at once, or to one without
 * naming the sender: multi-recipient sends, unidentified sends and
 * sealed sender v2 uploads.
 */

#pragma once

#include <json-glib/json-glib.h>

#include "relay-api.h"
#include "sp-sealed-sender.h"

G_BEGIN_DECLS

/* A multi-recipient send goes to at most this many accounts, with at
 * most RELAY_MAX_ENVELOPES_PER_REQUEST envelopes to each, and at most
 * this many envelopes in all. */
#define RELAY_MAX_RECIPIENTS_PER_SEND     128
#define RELAY_MAX_ENVELOPES_PER_MULTI     1024
/* What one sealed sender v2 upload may make the relay store in all,
 * once split into each device's message. */
#define RELAY_MAX_MULTI_STORED_BYTES      (8 * 1024 * 1024)
/* The envelope type of a sealed sender message, the only one that an
 * unidentified send may carry. */
#define RELAY_ENVELOPE_TYPE_SEALED        6

/* One account's part of a multi-recipient send. */
typedef struct
{
  char              uuid[RELAY_UUID_LENGTH + 1];
  GBytes           *access_key;   /* NULL when the sender is identified */
  RelaySendRequest *send;
} RelayRecipientSend;

struct _RelayMultiSendRequest
{
  gint64     timestamp;
  GPtrArray *recipients;          /* of RelayRecipientSend, each to another account */
};

/* One device a sealed sender v2 message goes to. */
typedef struct
{
  guint32 device_id;
  guint32 registration_id;
} RelaySealedDevice;

typedef struct
{
  char               uuid[RELAY_UUID_LENGTH + 1];
  GBytes            *access_key;
  GArray            *devices;     /* of RelaySealedDevice */
  SpSealedTableEntry entry;       /* what the content's recipient table holds for it */
} RelaySealedRecipient;

/* A sealed sender v2 upload: one SentMessage that the relay splits into
 * each listed device's ReceivedMessage.  Its recipient table is read
 * once, as the request is: the check of the access keys, the sizes and
 * the split all use what that one reading found. */
typedef struct
{
  gint64              timestamp;
  gint64              expires_in_ms;  /* for every split envelope, as a send's
                                       * envelopes each have it; 0 for never */
  GBytes             *content;    /* the SentMessage */
  GPtrArray          *recipients; /* of RelaySealedRecipient */
  guint               n_devices;  /* of all recipients */
  SpSealedTableEntry *entries;    /* the table's, at most RELAY_MAX_RECIPIENTS_PER_SEND
                                   * more than the request names recipients */
  SpSealedTable       table;      /* the content's recipient table */
} RelaySealedMultiRequest;

/* PUT /v1/messages/multi, and the members of a "send-multi" WebSocket
 * message: {"timestamp", "recipients": [{"destination", "messages"}]}. */
RelayMultiSendRequest   *relay_multi_send_request_parse       (const char  *data,
                                                               gsize        length,
                                                               gsize        max_content,
                                                               GError     **error);
RelayMultiSendRequest   *relay_multi_send_request_from_object (JsonObject  *object,
                                                               gsize        max_content,
                                                               GError     **error);
void                     relay_multi_send_request_free        (RelayMultiSendRequest *request);

/* A "send-multi" WebSocket message: those members plus the "id" of a
 * "send", which `failed_id` receives once read. */
RelayClientMessage      *relay_client_message_send_multi_from_object (JsonObject  *object,
                                                                      gsize        max_content,
                                                                      gint64      *failed_id,
                                                                      GError     **error);

/* PUT /v1/messages/UUID/unidentified: a send's body plus "accessKey",
 * every envelope of type RELAY_ENVELOPE_TYPE_SEALED.  The result has one
 * recipient, named `destination`. */
RelayMultiSendRequest   *relay_unidentified_send_parse        (const char  *data,
                                                               gsize        length,
                                                               const char  *destination,
                                                               gsize        max_content,
                                                               GError     **error);

/* PUT /v1/messages/multi/unidentified: {"timestamp", "expiresInMs" (optional), "content",
 * "recipients": [{"destination", "accessKey", "devices": [{"deviceId",
 * "registrationId"}]}]}.  Reads the recipient table of the content
 * once: bad-value when the content is not a sealed sender v2 message,
 * its table has more than RELAY_MAX_RECIPIENTS_PER_SEND entries beyond
 * the recipients named, or it is not addressed to every listed device. */
RelaySealedMultiRequest *relay_sealed_multi_request_parse     (const char  *data,
                                                               gsize        length,
                                                               gsize        max_content,
                                                               GError     **error);
void                     relay_sealed_multi_request_free      (RelaySealedMultiRequest *request);
/* What the split of the upload would hold, each device's message and
 * its base64, in bytes, found without splitting it: too-large when one
 * device's message is over `max_envelope` bytes or all of them over
 * RELAY_MAX_MULTI_STORED_BYTES. */
gboolean                 relay_sealed_multi_request_split_size (RelaySealedMultiRequest *request,
                                                                gsize                    max_envelope,
                                                                guint64                 *held_bytes,
                                                                GError                 **error);
/* Splits the upload into each listed device's ReceivedMessage, as
 * envelopes of type RELAY_ENVELOPE_TYPE_SEALED, with the errors of
 * relay_sealed_multi_request_split_size(). */
RelayMultiSendRequest   *relay_sealed_multi_request_split     (RelaySealedMultiRequest *request,
                                                               gsize                    max_envelope,
                                                               GError                 **error);

/* PUT /v1/accounts/unidentified-access-key: {"unidentifiedAccessKey"}. */
GBytes                  *relay_access_key_request_parse       (const char  *data,
                                                               gsize        length,
                                                               GError     **error);

void                     relay_recipient_send_free            (RelayRecipientSend *recipient);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayMultiSendRequest, relay_multi_send_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelaySealedMultiRequest, relay_sealed_multi_request_free)

G_END_DECLS
