/* sotto-relay-client.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "sp-session.h"

G_BEGIN_DECLS

#define SOTTO_RELAY_ERROR (sotto_relay_error_quark ())

/**
 * SottoRelayError:
 * @SOTTO_RELAY_ERROR_FAILED: the relay refused the request for a reason
 *   not listed here
 * @SOTTO_RELAY_ERROR_INVALID_URL: the relay URL is not an http(s) URL
 * @SOTTO_RELAY_ERROR_INSECURE: plain http to a relay that is not on this
 *   machine
 * @SOTTO_RELAY_ERROR_UNREACHABLE: the relay could not be reached (no
 *   route, connection refused or reset, timeout, TLS failure)
 * @SOTTO_RELAY_ERROR_UNAVAILABLE: the relay answered 5xx: it is
 *   overloaded, shutting down or its storage fails
 * @SOTTO_RELAY_ERROR_RATE_LIMITED: a rate limit or the recipient's queue
 *   is full (429)
 * @SOTTO_RELAY_ERROR_UNAUTHORIZED: the device's credentials were refused
 * @SOTTO_RELAY_ERROR_NOT_FOUND: no such account, device or username
 * @SOTTO_RELAY_ERROR_USERNAME_TAKEN: registration with a username in use
 * @SOTTO_RELAY_ERROR_REGISTRATION_CLOSED: the relay needs a registration
 *   token
 * @SOTTO_RELAY_ERROR_DEVICE_MISMATCH: a send named the wrong devices (409)
 * @SOTTO_RELAY_ERROR_STALE_DEVICES: a send used out-of-date registration
 *   ids (410)
 * @SOTTO_RELAY_ERROR_BAD_REQUEST: the relay could not decode the request
 *   (400, 411, 413)
 * @SOTTO_RELAY_ERROR_BAD_RESPONSE: the relay's answer does not follow its
 *   API
 * @SOTTO_RELAY_ERROR_BAD_CA: the certificate authority given to trust the
 *   relay by is not one (the relay has not been asked anything)
 *
 * Errors of #SottoRelayClient; sotto_relay_error_is_transient() tells
 * which of them are worth trying again later.
 */
typedef enum
{
  SOTTO_RELAY_ERROR_FAILED,
  SOTTO_RELAY_ERROR_INVALID_URL,
  SOTTO_RELAY_ERROR_INSECURE,
  SOTTO_RELAY_ERROR_UNREACHABLE,
  SOTTO_RELAY_ERROR_UNAVAILABLE,
  SOTTO_RELAY_ERROR_RATE_LIMITED,
  SOTTO_RELAY_ERROR_UNAUTHORIZED,
  SOTTO_RELAY_ERROR_NOT_FOUND,
  SOTTO_RELAY_ERROR_USERNAME_TAKEN,
  SOTTO_RELAY_ERROR_REGISTRATION_CLOSED,
  SOTTO_RELAY_ERROR_DEVICE_MISMATCH,
  SOTTO_RELAY_ERROR_STALE_DEVICES,
  SOTTO_RELAY_ERROR_BAD_REQUEST,
  SOTTO_RELAY_ERROR_BAD_RESPONSE,
  SOTTO_RELAY_ERROR_BAD_CA,
} SottoRelayError;

/**
 * SottoRelayConnection:
 * @SOTTO_RELAY_CONNECTION_OFFLINE: no delivery socket and none wanted, or
 *   waiting for the network or for the next attempt
 * @SOTTO_RELAY_CONNECTION_CONNECTING: opening the delivery socket
 * @SOTTO_RELAY_CONNECTION_CONNECTED: the delivery socket is open
 */
typedef enum
{
  SOTTO_RELAY_CONNECTION_OFFLINE,
  SOTTO_RELAY_CONNECTION_CONNECTING,
  SOTTO_RELAY_CONNECTION_CONNECTED,
} SottoRelayConnection;

/**
 * SottoRelayEnvelope:
 * @guid: the relay's id for the envelope, for acknowledging it
 * @type: the Signal envelope type (1 ciphertext, 3 prekey message)
 * @source: the sender's account UUID
 * @source_device: the sender's device id
 * @timestamp: the sender's timestamp, in milliseconds since the epoch
 * @server_timestamp: when the relay accepted it
 * @content: the ciphertext
 *
 * An envelope the relay delivered over the WebSocket.
 */
typedef struct
{
  char *guid;
  guint type;
  char *source;
  guint source_device;
  gint64 timestamp;
  gint64 server_timestamp;
  GBytes *content;
} SottoRelayEnvelope;

/**
 * SottoRelayOutgoing:
 * @type: the Signal envelope type
 * @device_id: the recipient's device
 * @registration_id: the registration id of that device, as its bundle or
 *   session says
 * @content: the ciphertext
 *
 * One envelope of a send, for one device of the recipient.
 */
typedef struct
{
  guint type;
  guint device_id;
  guint registration_id;
  GBytes *content;
} SottoRelayOutgoing;

/**
 * SottoRelayDeviceChanges:
 * @missing: (element-type guint): devices the send left out
 * @extra: (element-type guint): devices the send named that do not exist
 * @stale: (element-type guint): devices that registered again
 *
 * What a refused send (%SOTTO_RELAY_ERROR_DEVICE_MISMATCH or
 * %SOTTO_RELAY_ERROR_STALE_DEVICES) said about the recipient's devices.
 */
typedef struct
{
  GArray *missing;
  GArray *extra;
  GArray *stale;
} SottoRelayDeviceChanges;

#define SOTTO_TYPE_RELAY_ENVELOPE (sotto_relay_envelope_get_type ())
#define SOTTO_TYPE_RELAY_CLIENT (sotto_relay_client_get_type ())

G_DECLARE_FINAL_TYPE (SottoRelayClient, sotto_relay_client, SOTTO, RELAY_CLIENT, GObject)

GQuark                   sotto_relay_error_quark                 (void);
gboolean                 sotto_relay_error_is_transient          (const GError             *error);

GType                    sotto_relay_envelope_get_type           (void) G_GNUC_CONST;
SottoRelayEnvelope      *sotto_relay_envelope_copy               (const SottoRelayEnvelope *envelope);
void                     sotto_relay_envelope_free               (SottoRelayEnvelope       *envelope);
SottoRelayOutgoing      *sotto_relay_outgoing_new                (guint                     type,
                                                                  guint                     device_id,
                                                                  guint                     registration_id,
                                                                  GBytes                   *content) G_GNUC_WARN_UNUSED_RESULT;
void                     sotto_relay_outgoing_free               (SottoRelayOutgoing       *outgoing);
void                     sotto_relay_device_changes_free         (SottoRelayDeviceChanges  *changes);

SottoRelayClient        *sotto_relay_client_new                  (const char               *url,
                                                                  GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
const char              *sotto_relay_client_get_url              (SottoRelayClient         *self);
void                     sotto_relay_client_set_credentials      (SottoRelayClient         *self,
                                                                  const char               *uuid,
                                                                  guint                     device_id,
                                                                  const char               *password);
gboolean                 sotto_relay_client_set_trusted_ca       (SottoRelayClient         *self,
                                                                  const char               *pem,
                                                                  GError                  **error);
SottoRelayConnection     sotto_relay_client_get_connection       (SottoRelayClient         *self);
gboolean                 sotto_relay_client_needs_network        (SottoRelayClient         *self);

void                     sotto_relay_client_register_async       (SottoRelayClient         *self,
                                                                  JsonNode                 *request,
                                                                  GCancellable             *cancellable,
                                                                  GAsyncReadyCallback       callback,
                                                                  gpointer                  user_data);
gboolean                 sotto_relay_client_register_finish      (SottoRelayClient         *self,
                                                                  GAsyncResult             *result,
                                                                  char                    **uuid,
                                                                  guint                    *device_id,
                                                                  GError                  **error);
void                     sotto_relay_client_lookup_async         (SottoRelayClient         *self,
                                                                  const char               *username,
                                                                  GCancellable             *cancellable,
                                                                  GAsyncReadyCallback       callback,
                                                                  gpointer                  user_data);
char                    *sotto_relay_client_lookup_finish        (SottoRelayClient         *self,
                                                                  GAsyncResult             *result,
                                                                  GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
void                     sotto_relay_client_get_key_counts_async (SottoRelayClient         *self,
                                                                  GCancellable             *cancellable,
                                                                  GAsyncReadyCallback       callback,
                                                                  gpointer                  user_data);
gboolean                 sotto_relay_client_get_key_counts_finish (SottoRelayClient        *self,
                                                                  GAsyncResult             *result,
                                                                  guint                    *n_pre_keys,
                                                                  guint                    *n_kyber_pre_keys,
                                                                  GError                  **error);
void                     sotto_relay_client_upload_keys_async    (SottoRelayClient         *self,
                                                                  JsonNode                 *keys,
                                                                  GCancellable             *cancellable,
                                                                  GAsyncReadyCallback       callback,
                                                                  gpointer                  user_data);
gboolean                 sotto_relay_client_upload_keys_finish   (SottoRelayClient         *self,
                                                                  GAsyncResult             *result,
                                                                  GError                  **error);
void                     sotto_relay_client_get_bundles_async    (SottoRelayClient         *self,
                                                                  const char               *uuid,
                                                                  guint                     device_id,
                                                                  GCancellable             *cancellable,
                                                                  GAsyncReadyCallback       callback,
                                                                  gpointer                  user_data);
GPtrArray               *sotto_relay_client_get_bundles_finish   (SottoRelayClient         *self,
                                                                  GAsyncResult             *result,
                                                                  GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
void                     sotto_relay_client_send_async           (SottoRelayClient         *self,
                                                                  const char               *uuid,
                                                                  gint64                    timestamp,
                                                                  GPtrArray                *envelopes,
                                                                  GCancellable             *cancellable,
                                                                  GAsyncReadyCallback       callback,
                                                                  gpointer                  user_data);
void                     sotto_relay_client_send_pipelined_async (SottoRelayClient         *self,
                                                                  const char               *uuid,
                                                                  gint64                    timestamp,
                                                                  GPtrArray                *envelopes,
                                                                  GAsyncReadyCallback       callback,
                                                                  gpointer                  user_data);
gboolean                 sotto_relay_client_can_pipeline         (SottoRelayClient         *self);
gboolean                 sotto_relay_client_send_finish          (SottoRelayClient         *self,
                                                                  GAsyncResult             *result,
                                                                  SottoRelayDeviceChanges **changes,
                                                                  GError                  **error);

void                     sotto_relay_client_connect              (SottoRelayClient         *self);
void                     sotto_relay_client_disconnect           (SottoRelayClient         *self);
void                     sotto_relay_client_acknowledge          (SottoRelayClient         *self,
                                                                  const char               *guid);
void                     sotto_relay_client_acknowledge_all      (SottoRelayClient         *self,
                                                                  const char * const       *guids,
                                                                  guint                     n_guids);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoRelayEnvelope, sotto_relay_envelope_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoRelayOutgoing, sotto_relay_outgoing_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoRelayDeviceChanges, sotto_relay_device_changes_free)

G_END_DECLS
