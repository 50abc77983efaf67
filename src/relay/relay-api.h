/* relay-api.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Key formats, as the session core serialises them. */
#define RELAY_EC_KEY_BYTES          33
#define RELAY_EC_KEY_TYPE           0x05
#define RELAY_KYBER_KEY_BYTES       1569
#define RELAY_KYBER_KEY_TYPE        0x08
#define RELAY_SIGNATURE_BYTES       64

#define RELAY_USERNAME_MIN          3
#define RELAY_USERNAME_MAX          32
#define RELAY_PASSWORD_MIN          16
#define RELAY_PASSWORD_MAX          256
#define RELAY_REGISTRATION_ID_MAX   16380
#define RELAY_KEY_ID_MAX            0xffffff
#define RELAY_DEVICE_ID_MAX         127
#define RELAY_ENVELOPE_TYPE_MAX     8
#define RELAY_MAX_PREKEYS_PER_REQUEST    100
#define RELAY_MAX_ENVELOPES_PER_REQUEST  64
#define RELAY_MAX_ACKS_PER_MESSAGE       256
#define RELAY_MAX_JSON_DEPTH        8
#define RELAY_UUID_LENGTH           36
/* Signal's unidentified-access key: 16 bytes derived from the profile key. */
#define RELAY_ACCESS_KEY_BYTES      16
/* An encrypted profile: a name and an avatar of at most 1 MiB, with
 * room for the encryption and the name. */
#define RELAY_MAX_PROFILE_BYTES     (1024 * 1024 + 64 * 1024)

#define RELAY_API_ERROR (relay_api_error_quark ())

/* Every code has a fixed wire name (relay_api_error_name()) that goes
 * into the "error" member of an error response. */
typedef enum
{
  RELAY_API_ERROR_BAD_JSON,
  RELAY_API_ERROR_MISSING_FIELD,
  RELAY_API_ERROR_WRONG_TYPE,
  RELAY_API_ERROR_BAD_BASE64,
  RELAY_API_ERROR_BAD_KEY,
  RELAY_API_ERROR_BAD_USERNAME,
  RELAY_API_ERROR_BAD_VALUE,
  RELAY_API_ERROR_TOO_LARGE,
  RELAY_API_ERROR_TOO_MANY,
  RELAY_API_ERROR_DUPLICATE,
} RelayApiError;

typedef struct
{
  guint32  key_id;
  GBytes  *public_key;
  GBytes  *signature;   /* NULL for one-time EC prekeys */
} RelayPreKey;

typedef struct
{
  char        *username;
  char        *password;
  char        *registration_token;  /* NULL when absent */
  guint32      registration_id;
  GBytes      *identity_key;
  RelayPreKey *signed_prekey;
  RelayPreKey *last_resort;
  GPtrArray   *prekeys;             /* of RelayPreKey, EC one-time */
  GPtrArray   *pq_prekeys;          /* of RelayPreKey, Kyber one-time */
} RelayRegisterRequest;

typedef struct
{
  RelayPreKey *signed_prekey;       /* NULL when not replaced */
  RelayPreKey *last_resort;         /* NULL when not replaced */
  GPtrArray   *prekeys;
  GPtrArray   *pq_prekeys;
  GBytes      *identity_key;        /* NULL when not replaced */
  guint32      registration_id;     /* 0 when not replaced */
} RelayKeysRequest;

typedef struct
{
  guint8   type;
  guint32  device_id;
  guint32  registration_id;
  GBytes  *content;
  char    *content_base64;  /* kept to push to a connected recipient; part of
                             * the envelope's own allocation */
  gint64   expires_in_ms;   /* how long after the relay takes it the envelope
                             * expires (its "expiresInMs"), or 0 for never */
} RelayOutgoingEnvelope;

typedef struct
{
  gint64     timestamp;
  GPtrArray *messages;      /* of RelayOutgoingEnvelope */
  gboolean   online;        /* pushed to connected devices only, never stored */
} RelaySendRequest;

typedef struct
{
  char text[RELAY_UUID_LENGTH + 1];
} RelayGuid;

typedef enum
{
  RELAY_CLIENT_MESSAGE_ACK,
  RELAY_CLIENT_MESSAGE_SEND,
  RELAY_CLIENT_MESSAGE_SEND_MULTI,
} RelayClientMessageKind;

/* A send to several accounts at once (relay-api-fanout.h). */
typedef struct _RelayMultiSendRequest RelayMultiSendRequest;

/* What a client writes on its WebSocket: acknowledgements, and sends
 * that it prefers to make there rather than as HTTP requests. */
typedef struct
{
  RelayClientMessageKind  kind;
  GArray                 *guids;        /* of RelayGuid: acknowledged envelopes; NULL for a send */
  gint64                  id;           /* a send's id, repeated in its response */
  char                    destination[RELAY_UUID_LENGTH + 1];
  RelaySendRequest       *send;
  RelayMultiSendRequest  *multi;        /* a send-multi's, which has no destination */
} RelayClientMessage;

typedef struct
{
  char    uuid[RELAY_UUID_LENGTH + 1];
  guint32 device_id;
  char   *password;
} RelayCredentials;

/* "UUID.DEVICE", the name the relay's tables know a device by. */
#define RELAY_DEVICE_KEY_SIZE       (RELAY_UUID_LENGTH + 1 + 3 + 1)

GQuark      relay_api_error_quark            (void);
const char *relay_api_error_name             (RelayApiError code);

gboolean    relay_username_is_valid          (const char  *username,
                                              gsize        length);
gboolean    relay_uuid_is_valid              (const char  *text,
                                              gsize        length);
void        relay_device_key                 (char         key[RELAY_DEVICE_KEY_SIZE],
                                              const char  *uuid,
                                              guint32      device_id);

RelayRegisterRequest *relay_register_request_parse (const char  *data,
                                                    gsize        length,
                                                    GError     **error);
void                  relay_register_request_free  (RelayRegisterRequest *request);

RelayKeysRequest     *relay_keys_request_parse     (const char  *data,
                                                    gsize        length,
                                                    GError     **error);
void                  relay_keys_request_free      (RelayKeysRequest *request);

RelaySendRequest     *relay_send_request_parse     (const char  *data,
                                                    gsize        length,
                                                    gsize        max_content,
                                                    GError     **error);
void                  relay_send_request_free      (RelaySendRequest *request);

/* On failure, `failed_id` receives the id of a send whose id could be
 * read, so that its response can name it, and -1 otherwise. */
RelayClientMessage   *relay_client_message_parse   (const char  *data,
                                                    gsize        length,
                                                    gsize        max_content,
                                                    gint64      *failed_id,
                                                    GError     **error);
void                  relay_client_message_free    (RelayClientMessage *message);

RelayCredentials     *relay_credentials_parse      (const char  *header,
                                                    GError     **error);
void                  relay_credentials_free       (RelayCredentials *credentials);

void                  relay_prekey_free            (RelayPreKey *prekey);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayRegisterRequest, relay_register_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayKeysRequest, relay_keys_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelaySendRequest, relay_send_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayClientMessage, relay_client_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayCredentials, relay_credentials_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayPreKey, relay_prekey_free)

G_END_DECLS
