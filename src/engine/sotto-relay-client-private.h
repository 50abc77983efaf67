/* sotto-relay-client-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sp-session.h"

#include "sotto-key-batch-private.h"
#include "sotto-relay-error.h"

G_BEGIN_DECLS

/**
 * SottoRelayEnvelope:
 * @guid: the relay's id for the envelope, for acknowledging it
 * @type: the Signal envelope type (1 ciphertext, 3 prekey message)
 * @source: the sender's account UUID
 * @source_device: the sender's device id
 * @timestamp: the sender's timestamp, in milliseconds since the epoch
 * @server_timestamp: when the relay accepted it
 * @content: the ciphertext
 * @sealed_identity_key: for a sealed sender envelope once opened, the
 *   identity key its sender certificate names, which the session that
 *   decrypts the inner message must have; %NULL otherwise
 * @online: the relay pushed it to this connection only and stored it
 *   nowhere (an online-only send, such as typing); it has no @guid and
 *   is never acknowledged
 *
 * An envelope the relay delivered over the WebSocket.  A sealed sender
 * envelope (%SOTTO_RELAY_ENVELOPE_TYPE_SEALED) arrives with no @source
 * and a @source_device of 0, until it is opened.
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
  GBytes *sealed_identity_key;
  gboolean online;
} SottoRelayEnvelope;

/* Signal's envelope type of a sealed sender message
 * (UnidentifiedSenderMessage). */
#define SOTTO_RELAY_ENVELOPE_TYPE_SEALED 6

/**
 * SottoRelayOutgoing:
 * @type: the Signal envelope type
 * @device_id: the recipient's device
 * @registration_id: the registration id of that device, as its bundle or
 *   session says
 * @content: the ciphertext
 * @expires_at: when the relay is to drop the envelope, in milliseconds
 *   since the epoch, or 0 for never (set after sotto_relay_outgoing_new())
 *
 * One envelope of a send, for one device of the recipient.
 */
typedef struct
{
  guint type;
  guint device_id;
  guint registration_id;
  GBytes *content;
  gint64 expires_at;
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

/**
 * SottoRelayRegistration:
 * @username: the account's username
 * @password: the device's password
 * @registration_id: the device's registration id
 * @identity_key: the account's identity key
 * @keys: its first signed prekey, last-resort Kyber prekey and one-time
 *   prekeys
 * @token: (nullable): the relay's registration token
 *
 * A new account, as sotto_relay_client_register_async() sends it.
 */
typedef struct
{
  const char *username;
  const char *password;
  guint registration_id;
  const SpPublicKey *identity_key;
  const SottoKeyBatch *keys;
  const char *token;
} SottoRelayRegistration;

/**
 * SottoRelayKeyUpload:
 * @identity_key: (nullable): a new identity key, replacing the account's
 * @registration_id: the registration id that goes with @identity_key
 * @keys: the public halves to upload
 *
 * Keys for sotto_relay_client_upload_keys_async().
 */
typedef struct
{
  const SpPublicKey *identity_key;
  guint registration_id;
  const SottoKeyBatch *keys;
} SottoRelayKeyUpload;

#define SOTTO_TYPE_RELAY_ENVELOPE (sotto_relay_envelope_get_type ())
#define SOTTO_TYPE_RELAY_CLIENT (sotto_relay_client_get_type ())

G_DECLARE_FINAL_TYPE (SottoRelayClient, sotto_relay_client, SOTTO, RELAY_CLIENT, GObject)

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
                                                                  const SottoRelayRegistration *registration,
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
                                                                  const SottoRelayKeyUpload *upload,
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

/* The relay's bound on an account's devices: a send reaches at most
 * this many (docs/relay-api.md). */
#define SOTTO_RELAY_MAX_DEVICES 64

/* The largest encrypted profile the relay stores (docs/relay-api.md,
 * "Encrypted profiles"), and the size of an unidentified-access key. */
#define SOTTO_RELAY_MAX_PROFILE_BYTES (1024 * 1024 + 64 * 1024)
#define SOTTO_RELAY_ACCESS_KEY_SIZE 16

/* Encrypted profiles (sotto-relay-client-profile.c) */
void                     sotto_relay_client_put_profile_async    (SottoRelayClient         *self,
                                                                  GBytes                   *blob,
                                                                  GCancellable             *cancellable,
                                                                  GAsyncReadyCallback       callback,
                                                                  gpointer                  user_data);
gboolean                 sotto_relay_client_put_profile_finish   (SottoRelayClient         *self,
                                                                  GAsyncResult             *result,
                                                                  GError                  **error);
void                     sotto_relay_client_get_profile_async    (SottoRelayClient         *self,
                                                                  const char               *uuid,
                                                                  GCancellable             *cancellable,
                                                                  GAsyncReadyCallback       callback,
                                                                  gpointer                  user_data);
GBytes                  *sotto_relay_client_get_profile_finish   (SottoRelayClient         *self,
                                                                  GAsyncResult             *result,
                                                                  GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
void                     sotto_relay_client_set_access_key_async (SottoRelayClient         *self,
                                                                  const guint8              key[SOTTO_RELAY_ACCESS_KEY_SIZE],
                                                                  GCancellable             *cancellable,
                                                                  GAsyncReadyCallback       callback,
                                                                  gpointer                  user_data);
gboolean                 sotto_relay_client_set_access_key_finish (SottoRelayClient        *self,
                                                                  GAsyncResult             *result,
                                                                  GError                  **error);

/* Sealed sender (sotto-relay-client-api.c, sotto-relay-client-sealed.c) */
void                     sotto_relay_client_send_unidentified_async (SottoRelayClient      *self,
                                                                  const char               *uuid,
                                                                  const guint8              access_key[SOTTO_RELAY_ACCESS_KEY_SIZE],
                                                                  gint64                    timestamp,
                                                                  GPtrArray                *envelopes,
                                                                  GCancellable             *cancellable,
                                                                  GAsyncReadyCallback       callback,
                                                                  gpointer                  user_data);
void                     sotto_relay_client_send_online_async    (SottoRelayClient         *self,
                                                                  const char               *uuid,
                                                                  const guint8             *access_key,
                                                                  gint64                    timestamp,
                                                                  GPtrArray                *envelopes,
                                                                  GCancellable             *cancellable,
                                                                  GAsyncReadyCallback       callback,
                                                                  gpointer                  user_data);
void                     sotto_relay_client_get_sender_certificate_async (SottoRelayClient *self,
                                                                  GCancellable             *cancellable,
                                                                  GAsyncReadyCallback       callback,
                                                                  gpointer                  user_data);
GBytes                  *sotto_relay_client_get_sender_certificate_finish (SottoRelayClient *self,
                                                                  GAsyncResult             *result,
                                                                  GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
void                     sotto_relay_client_get_trust_root_async         (SottoRelayClient *self,
                                                                          GCancellable     *cancellable,
                                                                          GAsyncReadyCallback callback,
                                                                          gpointer          user_data);
GBytes                  *sotto_relay_client_get_trust_root_finish        (SottoRelayClient *self,
                                                                          GAsyncResult     *result,
                                                                          GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoRelayEnvelope, sotto_relay_envelope_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoRelayOutgoing, sotto_relay_outgoing_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoRelayDeviceChanges, sotto_relay_device_changes_free)

G_END_DECLS
