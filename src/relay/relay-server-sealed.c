/* relay-server-sealed.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The endpoints that sealed sender needs besides the unidentified sends
 * themselves (relay-server-fanout.c): sender certificates for a
 * device's own account, and the access key with which others may send
 * to an account without naming themselves.
 */

#include "config.h"

#include <sodium.h>

#include "relay-api-fanout.h"
#include "relay-sealed-key.h"
#include "relay-server-private.h"

void
relay_server_set_sealed_key (RelayServer    *self,
                             RelaySealedKey *key)
{
  g_return_if_fail (self != NULL);

  g_clear_pointer (&self->sealed_key, relay_sealed_key_free);
  self->sealed_key = key;
  g_message ("Issuing sealed sender certificates with server key %u", relay_sealed_key_get_id (key));
}

/* SIGHUP: a new server key in the data directory replaces the one in
 * use, which is how a server certificate is rotated.  A key file with
 * faults, or none, keeps what the relay has. */
void
_relay_reload_sealed_key (RelayServer *self)
{
  g_autoptr(GError) error = NULL;
  RelaySealedKey *key = relay_sealed_key_load (self->config->data_dir, &error);

  if (key != NULL)
    relay_server_set_sealed_key (self, key);
  else if (error != NULL)
    g_warning ("Reload: kept the sealed sender key in use: %s", error->message);
}

/* Endpoint: GET /v1/certificate/delivery */

static void
identity_read_cb (RelayTask *task)
{
  RelayRequest *request = task->request;
  RelaySealedKey *key = task->server->sealed_key;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GBytes) certificate = NULL;
  g_autofree char *encoded = NULL;
  guint64 expires;

  if (!_relay_request_attached (request))
    return;
  if (task->op->status != RELAY_STORAGE_OK)
    {
      _relay_respond_storage_failure (request);
      return;
    }
  expires = (guint64) _relay_now_ms () + (guint64) task->server->config->sender_certificate_lifetime_seconds * 1000;
  certificate = relay_sealed_key_certify (key, request->credentials->uuid, request->credentials->device_id,
                                          task->op->identity_key, expires, NULL);
  if (certificate == NULL)
    {
      _relay_respond_storage_failure (request);
      return;
    }
  encoded = g_base64_encode (g_bytes_get_data (certificate, NULL), g_bytes_get_size (certificate));
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "certificate");
  json_builder_add_string_value (builder, encoded);
  json_builder_set_member_name (builder, "expires");
  json_builder_add_int_value (builder, (gint64) expires);
  json_builder_end_object (builder);
  _relay_respond_builder (request, 200, builder);
}

/* The certificate carries the identity key the relay has for the
 * account, read afresh: one that was replaced is never certified
 * again. */
void
_relay_handle_sender_certificate (RelayRequest *request)
{
  RelayTask *task;
  RelayOp *op;

  if (request->server->sealed_key == NULL)
    {
      _relay_respond_error (request, 404, "not-found", "This relay has no sealed sender key");
      return;
    }
  if (!_relay_request_take_rate (request, RELAY_RATE_ACCOUNT_CERTIFICATES, request->credentials->uuid))
    return;
  task = _relay_task_new (request->server, identity_read_cb, request, NULL);
  op = relay_op_new (RELAY_OP_GET_IDENTITY);
  op->uuid = g_strdup (request->credentials->uuid);
  _relay_task_submit_op (task, op);
}

/* Endpoint: GET /v1/certificate/trust-root
 *
 * The root's public key, for clients that were given none with the
 * relay's address and pin the first one they see (docs/threat-model.md,
 * "Where clients get the trust root").  It is public, and the same for
 * everyone, so it needs no credentials. */

void
_relay_handle_trust_root (RelayRequest *request)
{
  RelaySealedKey *key = request->server->sealed_key;
  GBytes *trust_root = key != NULL ? relay_sealed_key_get_trust_root (key) : NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *encoded = NULL;

  if (trust_root == NULL)
    {
      _relay_respond_error (request, 404, "not-found", "This relay publishes no sealed sender trust root");
      return;
    }
  encoded = g_base64_encode (g_bytes_get_data (trust_root, NULL), g_bytes_get_size (trust_root));
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "trustRoot");
  json_builder_add_string_value (builder, encoded);
  json_builder_end_object (builder);
  _relay_respond_builder (request, 200, builder);
}

/* Endpoint: PUT /v1/accounts/unidentified-access-key */

void
_relay_handle_set_access_key (RelayRequest *request)
{
  g_autoptr(GError) error = NULL;
  GBytes *access_key;
  RelayTask *task;
  RelayOp *op;

  if (!_relay_request_take_rate (request, RELAY_RATE_ACCOUNT_KEY_UPLOADS, request->credentials->uuid))
    return;
  access_key = relay_access_key_request_parse ((const char *) request->body->data, request->body->len, &error);
  if (access_key == NULL)
    {
      _relay_respond_api_error (request, error);
      return;
    }
  task = _relay_task_new (request->server, _relay_stored_cb, request, NULL);
  op = relay_op_new (RELAY_OP_SET_ACCESS_KEY);
  op->uuid = g_strdup (request->credentials->uuid);
  op->access_key = access_key;
  _relay_task_submit_op (task, op);
}
