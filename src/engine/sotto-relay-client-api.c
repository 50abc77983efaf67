/* sotto-relay-client-api.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-relay-client"

#include "config.h"

#include <glib/gi18n.h>

#include "sp-error.h"

#include "sotto-relay-client-internal-private.h"

/* The endpoints of docs/relay-api.md the client calls: each takes and
 * returns typed structs, and writes and reads the JSON of its own
 * request and answer. */

/**
 * sotto_relay_client_register_async:
 * @self: a #SottoRelayClient
 * @registration: the new account: its credentials, identity and first keys
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the relay's answer
 * @user_data: data for @callback
 *
 * Creates an account with device 1 (`POST /v1/accounts`).
 */
void
sotto_relay_client_register_async (SottoRelayClient             *self,
                                   const SottoRelayRegistration *registration,
                                   GCancellable                 *cancellable,
                                   GAsyncReadyCallback           callback,
                                   gpointer                      user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) request = NULL;
  g_autoptr(GTask) task = NULL;
  g_autofree char *identity_key = NULL;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (registration != NULL);
  g_return_if_fail (registration->username != NULL && registration->password != NULL);
  g_return_if_fail (registration->identity_key != NULL && registration->keys != NULL);

  identity_key = g_base64_encode (registration->identity_key->bytes, SP_PUBLIC_KEY_SIZE);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, registration->username);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, registration->password);
  json_builder_set_member_name (builder, "registrationId");
  json_builder_add_int_value (builder, registration->registration_id);
  json_builder_set_member_name (builder, "identityKey");
  json_builder_add_string_value (builder, identity_key);
  _sotto_relay_json_add_key_batch (builder, registration->keys);
  if (registration->token != NULL)
    {
      json_builder_set_member_name (builder, "registrationToken");
      json_builder_add_string_value (builder, registration->token);
    }
  json_builder_end_object (builder);
  request = json_builder_get_root (builder);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_relay_client_register_async);

  _sotto_relay_client_request (self, task, "POST", "/v1/accounts", request, FALSE);
}

/**
 * sotto_relay_client_register_finish:
 * @self: a #SottoRelayClient
 * @result: the result passed to the callback
 * @uuid: (out): the new account's UUID
 * @device_id: (out): the new device's id
 * @error: a location for a #GError
 *
 * Returns: %TRUE once the account exists
 */
gboolean
sotto_relay_client_register_finish (SottoRelayClient  *self,
                                    GAsyncResult      *result,
                                    char             **uuid,
                                    guint             *device_id,
                                    GError           **error)
{
  g_autoptr(JsonObject) object = NULL;
  const char *value;
  gint64 device;

  object = _sotto_relay_client_propagate_object (self, result, sotto_relay_client_register_async, error);
  if (object == NULL)
    return FALSE;

  value = _sotto_relay_json_get_string (object, "uuid");
  if (value == NULL
      || !g_uuid_string_is_valid (value)
      || !_sotto_relay_json_get_int (object, "deviceId", 1, 127, &device))
    {
      _sotto_relay_set_bad_response (error, "registration");
      return FALSE;
    }

  *uuid = g_ascii_strdown (value, -1);
  *device_id = device;

  return TRUE;
}

/**
 * sotto_relay_client_lookup_async:
 * @self: a #SottoRelayClient
 * @username: the username to look up
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the account's UUID
 * @user_data: data for @callback
 *
 * Finds the account of @username; an unknown username is
 * %SOTTO_RELAY_ERROR_NOT_FOUND.
 */
void
sotto_relay_client_lookup_async (SottoRelayClient    *self,
                                 const char          *username,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (username != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_relay_client_lookup_async);

  escaped = g_uri_escape_string (username, NULL, FALSE);
  path = g_strconcat ("/v1/accounts/username/", escaped, NULL);

  _sotto_relay_client_request (self, task, "GET", path, NULL, TRUE);
}

/**
 * sotto_relay_client_lookup_finish:
 * @self: a #SottoRelayClient
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the account's UUID in lower case, or %NULL
 *   with @error set
 */
char *
sotto_relay_client_lookup_finish (SottoRelayClient  *self,
                                  GAsyncResult      *result,
                                  GError           **error)
{
  g_autoptr(JsonObject) object = NULL;
  const char *uuid;

  object = _sotto_relay_client_propagate_object (self, result, sotto_relay_client_lookup_async, error);
  if (object == NULL)
    return NULL;

  uuid = _sotto_relay_json_get_string (object, "uuid");
  if (uuid == NULL || !g_uuid_string_is_valid (uuid))
    {
      _sotto_relay_set_bad_response (error, "lookup");
      return NULL;
    }

  return g_ascii_strdown (uuid, -1);
}

/**
 * sotto_relay_client_get_key_counts_async:
 * @self: a #SottoRelayClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the counts
 * @user_data: data for @callback
 *
 * Asks how many one-time prekeys of each kind the relay still holds for
 * this device.
 */
void
sotto_relay_client_get_key_counts_async (SottoRelayClient    *self,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_relay_client_get_key_counts_async);

  _sotto_relay_client_request (self, task, "GET", "/v1/keys", NULL, TRUE);
}

gboolean
sotto_relay_client_get_key_counts_finish (SottoRelayClient  *self,
                                          GAsyncResult      *result,
                                          guint             *n_pre_keys,
                                          guint             *n_kyber_pre_keys,
                                          GError           **error)
{
  g_autoptr(JsonObject) object = NULL;
  gint64 ec;
  gint64 kyber;

  object = _sotto_relay_client_propagate_object (self, result, sotto_relay_client_get_key_counts_async, error);
  if (object == NULL)
    return FALSE;

  if (!_sotto_relay_json_get_int (object, "preKeyCount", 0, G_MAXUINT32, &ec)
      || !_sotto_relay_json_get_int (object, "pqPreKeyCount", 0, G_MAXUINT32, &kyber))
    {
      _sotto_relay_set_bad_response (error, "prekey counts");
      return FALSE;
    }

  *n_pre_keys = ec;
  *n_kyber_pre_keys = kyber;

  return TRUE;
}

/**
 * sotto_relay_client_upload_keys_async:
 * @self: a #SottoRelayClient
 * @upload: the keys, and a new identity if there is one
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay stored the keys
 * @user_data: data for @callback
 *
 * Adds one-time prekeys, or replaces the signed prekey and the
 * last-resort Kyber prekey, and with @upload's identity key the
 * identity too (`PUT /v1/keys`).
 */
void
sotto_relay_client_upload_keys_async (SottoRelayClient            *self,
                                      const SottoRelayKeyUpload   *upload,
                                      GCancellable                *cancellable,
                                      GAsyncReadyCallback          callback,
                                      gpointer                     user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) keys = NULL;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (upload != NULL && upload->keys != NULL);

  json_builder_begin_object (builder);
  if (upload->identity_key != NULL)
    {
      g_autofree char *identity_key = g_base64_encode (upload->identity_key->bytes, SP_PUBLIC_KEY_SIZE);

      json_builder_set_member_name (builder, "identityKey");
      json_builder_add_string_value (builder, identity_key);
      json_builder_set_member_name (builder, "registrationId");
      json_builder_add_int_value (builder, upload->registration_id);
    }
  _sotto_relay_json_add_key_batch (builder, upload->keys);
  json_builder_end_object (builder);
  keys = json_builder_get_root (builder);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_relay_client_upload_keys_async);

  _sotto_relay_client_request (self, task, "PUT", "/v1/keys", keys, TRUE);
}

gboolean
sotto_relay_client_upload_keys_finish (SottoRelayClient  *self,
                                       GAsyncResult      *result,
                                       GError           **error)
{
  return _sotto_relay_client_propagate_done (self, result, sotto_relay_client_upload_keys_async, error);
}

/**
 * sotto_relay_client_get_bundles_async:
 * @self: a #SottoRelayClient
 * @uuid: the account whose bundles to fetch
 * @device_id: one device, or 0 for every device of the account
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the bundles
 * @user_data: data for @callback
 *
 * Fetches prekey bundles; each one uses up one of the account's one-time
 * prekeys of each kind.
 */
void
sotto_relay_client_get_bundles_async (SottoRelayClient    *self,
                                      const char          *uuid,
                                      guint                device_id,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (uuid != NULL && g_uuid_string_is_valid (uuid));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_relay_client_get_bundles_async);

  if (device_id == 0)
    path = g_strdup_printf ("/v1/keys/%s", uuid);
  else
    path = g_strdup_printf ("/v1/keys/%s/%u", uuid, device_id);

  _sotto_relay_client_request (self, task, "GET", path, NULL, TRUE);
}

static gboolean
parse_bundle (JsonObject         *device,
              const SpPublicKey  *identity_key,
              SpPreKeyBundle     *bundle)
{
  guint8 key[SP_PUBLIC_KEY_SIZE];
  JsonObject *signed_pre_key;
  JsonObject *pre_key;
  JsonObject *kyber_pre_key;
  gint64 device_id;
  gint64 registration_id;
  gint64 id;

  memset (bundle, 0, sizeof *bundle);
  bundle->identity_key = *identity_key;

  if (!_sotto_relay_json_get_int (device, "deviceId", 1, 127, &device_id)
      || !_sotto_relay_json_get_int (device, "registrationId", 1, 16380, &registration_id))
    return FALSE;

  bundle->device_id = device_id;
  bundle->registration_id = registration_id;

  signed_pre_key = _sotto_relay_json_get_object (device, "signedPreKey");
  if (signed_pre_key == NULL
      || !_sotto_relay_json_get_int (signed_pre_key, "keyId", 0, 0xffffff, &id)
      || !_sotto_relay_json_get_fixed_base64 (signed_pre_key, "publicKey", key, sizeof key)
      || sp_public_key_decode (&bundle->signed_pre_key, key, sizeof key) != SP_OK
      || !_sotto_relay_json_get_fixed_base64 (signed_pre_key, "signature",
                                              bundle->signed_pre_key_signature,
                                              sizeof bundle->signed_pre_key_signature))
    return FALSE;
  bundle->signed_pre_key_id = id;

  kyber_pre_key = _sotto_relay_json_get_object (device, "pqPreKey");
  if (kyber_pre_key == NULL
      || !_sotto_relay_json_get_int (kyber_pre_key, "keyId", 0, 0xffffff, &id)
      || !_sotto_relay_json_get_fixed_base64 (kyber_pre_key, "publicKey",
                                              bundle->kyber_pre_key, sizeof bundle->kyber_pre_key)
      || bundle->kyber_pre_key[0] != SP_KEY_TYPE_KYBER1024
      || !_sotto_relay_json_get_fixed_base64 (kyber_pre_key, "signature",
                                              bundle->kyber_pre_key_signature,
                                              sizeof bundle->kyber_pre_key_signature))
    return FALSE;
  bundle->kyber_pre_key_id = id;

  pre_key = _sotto_relay_json_get_object (device, "preKey");
  if (pre_key != NULL)
    {
      if (!_sotto_relay_json_get_int (pre_key, "keyId", 0, 0xffffff, &id)
          || !_sotto_relay_json_get_fixed_base64 (pre_key, "publicKey", key, sizeof key)
          || sp_public_key_decode (&bundle->pre_key, key, sizeof key) != SP_OK)
        return FALSE;

      bundle->has_pre_key = TRUE;
      bundle->pre_key_id = id;
    }

  return TRUE;
}

/**
 * sotto_relay_client_get_bundles_finish:
 * @self: a #SottoRelayClient
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * The bundles' keys are checked for their form only; the session core
 * verifies the signatures when it uses a bundle.
 *
 * Returns: (transfer full) (element-type SpPreKeyBundle): one bundle per
 *   device, at least one, or %NULL with @error set
 */
GPtrArray *
sotto_relay_client_get_bundles_finish (SottoRelayClient  *self,
                                       GAsyncResult      *result,
                                       GError           **error)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GPtrArray) bundles = NULL;
  guint8 key[SP_PUBLIC_KEY_SIZE];
  SpPublicKey identity_key;
  gboolean seen[128] = { FALSE };
  JsonNode *devices;
  JsonArray *array;

  object = _sotto_relay_client_propagate_object (self, result, sotto_relay_client_get_bundles_async, error);
  if (object == NULL)
    return NULL;

  devices = json_object_get_member (object, "devices");
  if (!_sotto_relay_json_get_fixed_base64 (object, "identityKey", key, sizeof key)
      || sp_public_key_decode (&identity_key, key, sizeof key) != SP_OK
      || devices == NULL
      || !JSON_NODE_HOLDS_ARRAY (devices)
      || json_array_get_length (json_node_get_array (devices)) == 0)
    {
      _sotto_relay_set_bad_response (error, "bundles");
      return NULL;
    }

  /* Each bundle costs a session and an encryption: no more than the
   * account may have, and each device once. */
  array = json_node_get_array (devices);
  if (json_array_get_length (array) > SOTTO_RELAY_MAX_DEVICES)
    {
      _sotto_relay_set_bad_response (error, "more devices than an account has");
      return NULL;
    }
  bundles = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree SpPreKeyBundle *bundle = g_new0 (SpPreKeyBundle, 1);

      if (!JSON_NODE_HOLDS_OBJECT (element)
          || !parse_bundle (json_node_get_object (element), &identity_key, bundle))
        {
          _sotto_relay_set_bad_response (error, "bundle");
          return NULL;
        }
      if (seen[bundle->device_id])
        {
          _sotto_relay_set_bad_response (error, "a device twice");
          return NULL;
        }
      seen[bundle->device_id] = TRUE;

      g_ptr_array_add (bundles, g_steal_pointer (&bundle));
    }

  return g_steal_pointer (&bundles);
}

/* Sends over HTTP: identified, or with the recipient's @access_key in
 * place of the account's credentials when it is given; to connected
 * devices only, and stored nowhere, when @online. */
static void
send_over_http (SottoRelayClient *self,
                GTask            *task,
                const char       *uuid,
                const guint8     *access_key,
                gboolean          online,
                gint64            timestamp,
                GPtrArray        *envelopes)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *path = NULL;

  json_builder_begin_object (builder);
  if (access_key != NULL)
    {
      g_autofree char *encoded_key = g_base64_encode (access_key, SOTTO_RELAY_ACCESS_KEY_SIZE);

      json_builder_set_member_name (builder, "accessKey");
      json_builder_add_string_value (builder, encoded_key);
    }
  if (online)
    {
      json_builder_set_member_name (builder, "online");
      json_builder_add_boolean_value (builder, TRUE);
    }
  _sotto_relay_json_add_send (builder, timestamp, envelopes);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  path = g_strdup_printf (access_key != NULL ? "/v1/messages/%s/unidentified" : "/v1/messages/%s", uuid);

  _sotto_relay_client_request (self, task, "PUT", path, body, access_key == NULL);
}

/* The task of a send of @envelopes to @uuid, finished with
 * sotto_relay_client_send_finish(); %NULL for arguments that make no
 * send. */
static GTask *
send_task_new (SottoRelayClient    *self,
               const char          *uuid,
               GPtrArray           *envelopes,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  GTask *task;

  g_return_val_if_fail (SOTTO_IS_RELAY_CLIENT (self), NULL);
  g_return_val_if_fail (uuid != NULL && g_uuid_string_is_valid (uuid), NULL);
  g_return_val_if_fail (envelopes != NULL && envelopes->len > 0, NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_relay_client_send_async);

  return task;
}

/**
 * sotto_relay_client_send_async:
 * @self: a #SottoRelayClient
 * @uuid: the recipient's account
 * @timestamp: the message's timestamp, in milliseconds since the epoch
 * @envelopes: (element-type SottoRelayOutgoing): one envelope for each
 *   of the recipient's devices
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay has committed the envelopes
 * @user_data: data for @callback
 *
 * Sends envelopes to the devices of an account.  The relay answers only
 * after they are durably stored, so success means they will be
 * delivered.  While the delivery socket is open the send goes there,
 * and many may be in flight at once: the relay stores them in the order
 * they were made (see sotto_relay_client_can_pipeline()).  A send the
 * socket took fails with %SOTTO_RELAY_ERROR_UNREACHABLE when the socket
 * closes before the answer; the relay may have stored it all the same.
 */
void
sotto_relay_client_send_async (SottoRelayClient    *self,
                               const char          *uuid,
                               gint64               timestamp,
                               GPtrArray           *envelopes,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = send_task_new (self, uuid, envelopes, cancellable, callback, user_data);

  if (task == NULL)
    return;

  if (sotto_relay_client_can_pipeline (self))
    _sotto_relay_client_send_on_socket (self, task, uuid, timestamp, envelopes);
  else
    send_over_http (self, task, uuid, NULL, FALSE, timestamp, envelopes);
}

/**
 * sotto_relay_client_send_unidentified_async:
 * @self: a #SottoRelayClient
 * @uuid: the recipient's account
 * @access_key: the recipient's unidentified-access key
 * @timestamp: the message's timestamp, in milliseconds since the epoch
 * @envelopes: (element-type SottoRelayOutgoing): one sealed sender
 *   envelope for each of the recipient's devices
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay has committed the envelopes
 * @user_data: data for @callback
 *
 * Sends as sotto_relay_client_send_async() does, but without naming the
 * sender: over HTTP (the socket is opened with the account's
 * credentials), with the recipient's access key in place of them.  A
 * wrong key is %SOTTO_RELAY_ERROR_UNAUTHORIZED.  Finish with
 * sotto_relay_client_send_finish().
 */
void
sotto_relay_client_send_unidentified_async (SottoRelayClient    *self,
                                            const char          *uuid,
                                            const guint8         access_key[SOTTO_RELAY_ACCESS_KEY_SIZE],
                                            gint64               timestamp,
                                            GPtrArray           *envelopes,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (access_key != NULL);

  task = send_task_new (self, uuid, envelopes, cancellable, callback, user_data);
  if (task != NULL)
    send_over_http (self, task, uuid, access_key, FALSE, timestamp, envelopes);
}

/**
 * sotto_relay_client_send_online_async:
 * @self: a #SottoRelayClient
 * @uuid: the recipient's account
 * @access_key: (nullable): the recipient's unidentified-access key, for
 *   sealed sender envelopes; %NULL to send identified
 * @timestamp: the message's timestamp, in milliseconds since the epoch
 * @envelopes: (element-type SottoRelayOutgoing): one envelope for each
 *   of the recipient's devices
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay has pushed what it could
 * @user_data: data for @callback
 *
 * Sends envelopes that the relay pushes to the recipient's devices that
 * are connected at that moment, and stores nowhere ("online": true,
 * docs/relay-api.md): for passing signals such as typing, worth nothing
 * once late.  Over HTTP, so that it never waits behind the pipelined
 * sends of the delivery socket.  Success says nothing about whether any
 * device got them.  Finish with sotto_relay_client_send_finish().
 */
void
sotto_relay_client_send_online_async (SottoRelayClient    *self,
                                      const char          *uuid,
                                      const guint8        *access_key,
                                      gint64               timestamp,
                                      GPtrArray           *envelopes,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = send_task_new (self, uuid, envelopes, cancellable, callback, user_data);

  if (task != NULL)
    send_over_http (self, task, uuid, access_key, TRUE, timestamp, envelopes);
}

/**
 * sotto_relay_client_send_pipelined_async:
 * @self: a #SottoRelayClient
 * @uuid: the recipient's account
 * @timestamp: the message's timestamp, in milliseconds since the epoch
 * @envelopes: (element-type SottoRelayOutgoing): one envelope for each
 *   of the recipient's devices
 * @callback: called once the relay has committed the envelopes
 * @user_data: data for @callback
 *
 * Sends as sotto_relay_client_send_async() does, but only on the
 * delivery socket; finish with sotto_relay_client_send_finish().  When
 * the socket is not open, which it may stop being while a caller hands
 * over a series of sends, the send fails with
 * %SOTTO_RELAY_ERROR_UNREACHABLE and goes nowhere: over HTTP it could
 * be stored before the sends ahead of it that the closed socket lost.
 */
void
sotto_relay_client_send_pipelined_async (SottoRelayClient    *self,
                                         const char          *uuid,
                                         gint64               timestamp,
                                         GPtrArray           *envelopes,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = send_task_new (self, uuid, envelopes, NULL, callback, user_data);

  if (task == NULL)
    return;

  if (!sotto_relay_client_can_pipeline (self))
    {
      g_task_return_new_error (task, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE,
                               _("The connection to the relay closed before the message was sent"));
      return;
    }

  _sotto_relay_client_send_on_socket (self, task, uuid, timestamp, envelopes);
}

/**
 * sotto_relay_client_send_finish:
 * @self: a #SottoRelayClient
 * @result: the result passed to the callback
 * @changes: (out) (optional) (nullable): for
 *   %SOTTO_RELAY_ERROR_DEVICE_MISMATCH and
 *   %SOTTO_RELAY_ERROR_STALE_DEVICES, what the relay said about the
 *   recipient's devices
 * @error: a location for a #GError
 *
 * Returns: %TRUE once the relay has committed the envelopes
 */
gboolean
sotto_relay_client_send_finish (SottoRelayClient         *self,
                                GAsyncResult             *result,
                                SottoRelayDeviceChanges **changes,
                                GError                  **error)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) local_error = NULL;
  SottoRelayRequest *request;

  if (changes != NULL)
    *changes = NULL;

  object = _sotto_relay_client_propagate_object (self, result, sotto_relay_client_send_async, &local_error);
  if (object != NULL)
    return TRUE;

  request = g_task_get_task_data (G_TASK (result));
  if (changes != NULL
      && request != NULL
      && request->refusal != NULL
      && (g_error_matches (local_error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_DEVICE_MISMATCH)
          || g_error_matches (local_error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_STALE_DEVICES)))
    {
      *changes = g_new0 (SottoRelayDeviceChanges, 1);
      (*changes)->missing = _sotto_relay_json_get_device_list (request->refusal, "missingDevices");
      (*changes)->extra = _sotto_relay_json_get_device_list (request->refusal, "extraDevices");
      (*changes)->stale = _sotto_relay_json_get_device_list (request->refusal, "staleDevices");
    }

  g_propagate_error (error, g_steal_pointer (&local_error));

  return FALSE;
}
