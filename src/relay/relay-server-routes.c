/* relay-server-routes.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The endpoints of the relay's HTTP API and the table that routes
 * requests to them.
 */

#include "config.h"

#include <json-glib/json-glib.h>
#include <sodium.h>
#include <string.h>

#include "relay-blob-private.h"
#include "relay-invite.h"
#include "relay-server-private.h"

static void
append_member_uint (GString    *text,
                    const char *name,
                    guint64     value)
{
  char digits[UINT_DIGITS_MAX];

  g_string_append (text, name);
  g_string_append_len (text, digits, _relay_put_uint (digits, value) - digits);
}

static void
add_base64 (JsonBuilder *builder,
            const char  *name,
            GBytes      *bytes)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  gsize encoded_length = sodium_base64_encoded_len (size, sodium_base64_VARIANT_ORIGINAL);
  g_autofree char *encoded = g_malloc (encoded_length);

  sodium_bin2base64 (encoded, encoded_length, data, size, sodium_base64_VARIANT_ORIGINAL);
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, encoded);
}

static void
add_prekey (JsonBuilder *builder,
            const char  *name,
            RelayPreKey *prekey)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "keyId");
  json_builder_add_int_value (builder, prekey->key_id);
  add_base64 (builder, "publicKey", prekey->public_key);
  if (prekey->signature != NULL)
    add_base64 (builder, "signature", prekey->signature);
}

void
_relay_add_id_list (JsonBuilder *builder,
                    const char  *name,
                    GArray      *ids)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; ids != NULL && i < ids->len; i++)
    json_builder_add_int_value (builder, g_array_index (ids, guint32, i));
  json_builder_end_array (builder);
}

/* Endpoint: POST /v1/accounts */

static void
respond_registration_closed (RelayRequest *request)
{
  _relay_respond_error (request, 403, "registration-closed",
                        "This relay registers accounts only with a valid registration token");
}

static void
register_stored_cb (RelayTask *task)
{
  RelayRequest *request = task->request;
  g_autoptr(JsonBuilder) builder = NULL;

  if (!_relay_request_attached (request))
    return;
  switch (task->op->status)
    {
    case RELAY_STORAGE_OK:
      g_info ("Registered an account");
      /* The password was just hashed; checking it again on first use
       * would only spend another Argon2 run. */
      relay_auth_cache_remember (task->server->auth_cache, task->op->uuid, task->op->device_id,
                                 task->op->reg->password);
      builder = json_builder_new_immutable ();
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "uuid");
      json_builder_add_string_value (builder, task->op->uuid);
      json_builder_set_member_name (builder, "deviceId");
      json_builder_add_int_value (builder, task->op->device_id);
      json_builder_end_object (builder);
      _relay_respond_builder (request, 200, builder);
      break;
    case RELAY_STORAGE_CONFLICT:
      _relay_respond_error (request, 409, "username-taken", "The username is already registered");
      break;
    case RELAY_STORAGE_LIMIT:
      _relay_respond_error (request, 400, "too-many", "Too many one-time prekeys");
      break;
    case RELAY_STORAGE_INVITE_INVALID:
      respond_registration_closed (request);
      break;
    default:
      _relay_respond_storage_failure (request);
      break;
    }
}

static void
register_hashed_cb (RelayTask *task)
{
  RelayRequest *request = task->request;
  RelayServer *self = task->server;
  RelayTask *store;
  RelayOp *op;

  if (!_relay_request_attached (request))
    return;
  if (task->hash == NULL)
    {
      _relay_respond_storage_failure (request);
      return;
    }
  store = _relay_task_new (self, register_stored_cb, request, NULL);
  op = relay_op_new (RELAY_OP_REGISTER);
  op->uuid = g_uuid_string_random ();
  op->device_id = 1;
  op->password_hash = g_steal_pointer (&task->hash);
  /* Stored with the device, so that its logins cost no hash after a
   * restart either. */
  op->password_digest = relay_digest_key_digest (self->digest_key, op->password_hash,
                                                 task->op->reg->password);
  op->limit = self->config->max_one_time_prekeys;
  op->reg = g_steal_pointer (&task->op->reg);
  op->invite_hash = g_steal_pointer (&task->op->invite_hash);
  _relay_task_submit_op (store, op);
}

/* Whether the request may register under the registration policy; an
 * invite is only checked when the account is stored, where using it up
 * is part of the same transaction. */
static gboolean
registration_allowed (RelayConfig          *config,
                      RelayRegisterRequest *reg)
{
  const char *token = config->registration_token;

  switch (config->registration)
    {
    case RELAY_REGISTRATION_OPEN:
      return TRUE;
    case RELAY_REGISTRATION_TOKEN:
      return reg->registration_token != NULL &&
             strlen (reg->registration_token) == strlen (token) &&
             sodium_memcmp (reg->registration_token, token, strlen (token)) == 0;
    case RELAY_REGISTRATION_INVITE:
      return reg->registration_token != NULL &&
             strlen (reg->registration_token) == RELAY_INVITE_TOKEN_LENGTH;
    default:
      g_assert_not_reached ();
    }
}

/* Hashes the password of a registration the policy allows; the parsed
 * request rides along in an op until the hash is ready. */
static void
register_hash (RelayRequest         *request,
               RelayRegisterRequest *reg,
               GBytes               *invite_hash)
{
  RelayTask *task = _relay_task_new (request->server, register_hashed_cb, request, NULL);

  task->op = relay_op_new (RELAY_OP_REGISTER);
  task->op->invite_hash = invite_hash;
  task->password = g_strdup (reg->password);
  task->op->reg = reg;
  if (!_relay_task_submit_hash (task, TRUE))
    {
      _relay_task_discard (task);
      _relay_respond_error (request, 503, "unavailable", "The relay is busy; try again later");
    }
}

static void
register_invite_found_cb (RelayTask *task)
{
  RelayRequest *request = task->request;

  if (!_relay_request_attached (request))
    return;
  switch (task->op->status)
    {
    case RELAY_STORAGE_OK:
      register_hash (request, g_steal_pointer (&task->op->reg), g_steal_pointer (&task->op->invite_hash));
      break;
    case RELAY_STORAGE_INVITE_INVALID:
      respond_registration_closed (request);
      break;
    default:
      _relay_respond_storage_failure (request);
      break;
    }
}

static void
handle_register (RelayRequest *request)
{
  RelayServer *self = request->server;
  g_autoptr(RelayRegisterRequest) reg = NULL;
  g_autoptr(GError) error = NULL;

  if (!_relay_request_take_rate (request, RELAY_RATE_ADDRESS_REGISTRATIONS, request->address))
    return;
  reg = relay_register_request_parse ((const char *) request->body->data, request->body->len, &error);
  if (reg == NULL)
    {
      _relay_respond_api_error (request, error);
      return;
    }
  if (!registration_allowed (self->config, reg))
    {
      respond_registration_closed (request);
      return;
    }

  /* An invite is looked up before the password is hashed, so that
   * made-up invites cost a read rather than an Argon2id run; it is used
   * up only when the account is stored. */
  if (self->config->registration == RELAY_REGISTRATION_INVITE)
    {
      RelayTask *task = _relay_task_new (self, register_invite_found_cb, request, NULL);
      RelayOp *op = relay_op_new (RELAY_OP_FIND_INVITE);

      op->invite_hash = relay_invite_hash (reg->registration_token);
      op->reg = g_steal_pointer (&reg);
      _relay_task_submit_op (task, op);
      return;
    }
  register_hash (request, g_steal_pointer (&reg), NULL);
}

/* Endpoint: GET /v1/accounts/me */

static void
handle_whoami (RelayRequest *request)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "uuid");
  json_builder_add_string_value (builder, request->credentials->uuid);
  json_builder_set_member_name (builder, "deviceId");
  json_builder_add_int_value (builder, request->credentials->device_id);
  json_builder_end_object (builder);
  _relay_respond_builder (request, 200, builder);
}

/* Endpoint: GET /v1/accounts/username/NAME */

/* Starts the object that answers a task's request once its op has
 * succeeded.  Otherwise it answers the request itself, with a 404 saying
 * `not_found` when the op found nothing and the caller says what that
 * means, or else with the storage failure, and returns NULL, as it does
 * when the request is gone. */
static JsonBuilder *
begin_answer (RelayTask  *task,
              const char *not_found)
{
  RelayRequest *request = task->request;
  JsonBuilder *builder;

  if (!_relay_request_attached (request))
    return NULL;
  if (task->op->status == RELAY_STORAGE_NOT_FOUND && not_found != NULL)
    {
      _relay_respond_error (request, 404, "not-found", not_found);
      return NULL;
    }
  if (task->op->status != RELAY_STORAGE_OK)
    {
      _relay_respond_storage_failure (request);
      return NULL;
    }
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  return builder;
}

static void
lookup_done_cb (RelayTask *task)
{
  g_autoptr(JsonBuilder) builder = begin_answer (task, "No account has this username");

  if (builder == NULL)
    return;
  json_builder_set_member_name (builder, "uuid");
  json_builder_add_string_value (builder, task->op->uuid);
  json_builder_end_object (builder);
  _relay_respond_builder (task->request, 200, builder);
}

static void
handle_lookup (RelayRequest *request)
{
  const char *username = request->segments[4];
  RelayTask *task;
  RelayOp *op;

  if (!_relay_request_take_rate (request, RELAY_RATE_ACCOUNT_LOOKUPS, request->credentials->uuid))
    return;
  if (!relay_username_is_valid (username, strlen (username)))
    {
      _relay_respond_error (request, 400, "bad-username",
                            "A username has 3 to 32 characters of a-z, 0-9, “.” and “_”");
      return;
    }
  task = _relay_task_new (request->server, lookup_done_cb, request, NULL);
  op = relay_op_new (RELAY_OP_LOOKUP_USERNAME);
  op->username = g_strdup (username);
  _relay_task_submit_op (task, op);
}

/* Endpoint: GET /v1/keys */

static void
counts_done_cb (RelayTask *task)
{
  g_autoptr(JsonBuilder) builder = begin_answer (task, NULL);

  if (builder == NULL)
    return;
  json_builder_set_member_name (builder, "preKeyCount");
  json_builder_add_int_value (builder, task->op->ec_count);
  json_builder_set_member_name (builder, "pqPreKeyCount");
  json_builder_add_int_value (builder, task->op->kyber_count);
  json_builder_end_object (builder);
  _relay_respond_builder (task->request, 200, builder);
}

static void
handle_key_counts (RelayRequest *request)
{
  RelayTask *task = _relay_task_new (request->server, counts_done_cb, request, NULL);
  RelayOp *op = relay_op_new (RELAY_OP_PREKEY_COUNTS);

  op->uuid = g_strdup (request->credentials->uuid);
  op->device_id = request->credentials->device_id;
  _relay_task_submit_op (task, op);
}

/* Endpoint: PUT /v1/keys */

static void
keys_stored_cb (RelayTask *task)
{
  RelayRequest *request = task->request;

  if (!_relay_request_attached (request))
    return;
  switch (task->op->status)
    {
    case RELAY_STORAGE_OK:
      _relay_respond_text (request, 200, "{}");
      break;
    case RELAY_STORAGE_LIMIT:
      _relay_respond_error (request, 400, "too-many",
                            "The device would hold more one-time prekeys than the relay keeps");
      break;
    default:
      _relay_respond_storage_failure (request);
      break;
    }
}

static void
handle_upload_keys (RelayRequest *request)
{
  g_autoptr(GError) error = NULL;
  RelayKeysRequest *keys;
  RelayTask *task;
  RelayOp *op;

  if (!_relay_request_take_rate (request, RELAY_RATE_ACCOUNT_KEY_UPLOADS, request->credentials->uuid))
    return;
  keys = relay_keys_request_parse ((const char *) request->body->data, request->body->len, &error);
  if (keys == NULL)
    {
      _relay_respond_api_error (request, error);
      return;
    }
  task = _relay_task_new (request->server, keys_stored_cb, request, NULL);
  op = relay_op_new (RELAY_OP_STORE_PREKEYS);
  op->uuid = g_strdup (request->credentials->uuid);
  op->device_id = request->credentials->device_id;
  op->keys = keys;
  op->limit = request->server->config->max_one_time_prekeys;
  _relay_task_submit_op (task, op);
}

/* Endpoint: GET /v1/keys/UUID[/DEVICE] */

/* Tells a device whose fetch left it few one-time prekeys, if it is
 * online, to upload more; one that is offline tops them up when it next
 * starts.  Only a fetch that took a key tells, so that fetches of a
 * device with none left do not repeat it. */
static void
notify_keys_low (RelayServer *self,
                 const char  *uuid,
                 RelayBundle *bundle)
{
  gint64 low = self->config->one_time_prekeys_low;
  char key[RELAY_DEVICE_KEY_SIZE];
  g_autofree char *json = NULL;
  RelayConn *conn;

  if (!(bundle->prekeys_left >= 0 && bundle->prekeys_left < low) &&
      !(bundle->pq_prekeys_left >= 0 && bundle->pq_prekeys_left < low))
    return;
  relay_device_key (key, uuid, bundle->device_id);
  conn = g_hash_table_lookup (self->devices, key);
  if (conn == NULL || conn->wsi == NULL || conn->closing)
    return;
  /* A kind of which the fetch took none had none left. */
  json = g_strdup_printf ("{\"type\":\"keys-low\",\"preKeyCount\":%" G_GINT64_FORMAT
                          ",\"pqPreKeyCount\":%" G_GINT64_FORMAT "}",
                          MAX (bundle->prekeys_left, 0), MAX (bundle->pq_prekeys_left, 0));
  _relay_conn_push_frame (conn, _relay_control_frame (json));
  _relay_conn_schedule (conn);
}

static void
bundles_done_cb (RelayTask *task)
{
  RelayRequest *request = task->request;
  g_autoptr(JsonBuilder) builder = NULL;
  RelayOp *op = task->op;

  if (op->status == RELAY_STORAGE_OK)
    for (guint i = 0; i < op->bundles->len; i++)
      notify_keys_low (task->server, op->uuid, g_ptr_array_index (op->bundles, i));
  if ((builder = begin_answer (task, "No such account or device")) == NULL)
    return;
  add_base64 (builder, "identityKey", op->identity_key);
  json_builder_set_member_name (builder, "devices");
  json_builder_begin_array (builder);
  for (guint i = 0; i < op->bundles->len; i++)
    {
      RelayBundle *bundle = g_ptr_array_index (op->bundles, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "deviceId");
      json_builder_add_int_value (builder, bundle->device_id);
      json_builder_set_member_name (builder, "registrationId");
      json_builder_add_int_value (builder, bundle->registration_id);
      add_prekey (builder, "signedPreKey", bundle->signed_prekey);
      json_builder_end_object (builder);
      if (bundle->prekey != NULL)
        {
          add_prekey (builder, "preKey", bundle->prekey);
          json_builder_end_object (builder);
        }
      add_prekey (builder, "pqPreKey", bundle->pq_prekey);
      json_builder_set_member_name (builder, "lastResort");
      json_builder_add_boolean_value (builder, bundle->pq_last_resort);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  _relay_respond_builder (request, 200, builder);
}

static void
handle_bundles (RelayRequest *request)
{
  const char *uuid = request->segments[3];
  char pair[2 * RELAY_UUID_LENGTH + 2];
  guint64 device_id = 0;
  RelayTask *task;
  RelayOp *op;

  if (!_relay_request_take_rate (request, RELAY_RATE_ACCOUNT_BUNDLES, request->credentials->uuid))
    return;
  if (!relay_uuid_is_valid (uuid, strlen (uuid)))
    {
      _relay_respond_error (request, 400, "bad-value", "The path does not name an account UUID");
      return;
    }
  if (request->n_segments == 5 &&
      !g_ascii_string_to_unsigned (request->segments[4], 10, 1, RELAY_DEVICE_ID_MAX, &device_id, NULL))
    {
      _relay_respond_error (request, 400, "bad-value", "The path does not name a device id");
      return;
    }
  task = _relay_task_new (request->server, bundles_done_cb, request, NULL);
  op = relay_op_new (RELAY_OP_FETCH_BUNDLES);
  op->uuid = g_strdup (uuid);
  op->device_id = (guint32) device_id;
  /* One-time prekeys are rationed per target too, or any account could
   * drain anyone's; past the limit a fetch still gets a bundle, with the
   * last-resort keys, so that sessions can start.  Each requester first
   * takes from its own ration for the target, so that one account that
   * fetches again and again spends only that, and cannot keep the target
   * on its last-resort keys for everyone else. */
  g_snprintf (pair, sizeof pair, "%s>%s", request->credentials->uuid, uuid);
  op->spare_one_time = !_relay_take_rate (request->server, RELAY_RATE_PAIR_ONE_TIME_PREKEYS, pair) ||
                       !_relay_take_rate (request->server, RELAY_RATE_TARGET_ONE_TIME_PREKEYS, uuid);
  _relay_task_submit_op (task, op);
}

/* Endpoint: PUT /v1/messages/UUID */

static void
respond_sent (RelayRequest *request,
              RelayOp      *op)
{
  GString *text = request->server->answer;

  g_string_truncate (text, 0);
  g_string_append (text, "{\"messages\":[");
  for (guint i = 0; i < op->ids->len; i++)
    {
      RelayOutgoingEnvelope *envelope = g_ptr_array_index (op->send->messages, i);

      append_member_uint (text, i > 0 ? ",{\"deviceId\":" : "{\"deviceId\":", envelope->device_id);
      g_string_append (text, ",\"guid\":\"");
      g_string_append (text, g_ptr_array_index (op->guids, i));
      g_string_append (text, "\"}");
    }
  append_member_uint (text, "],\"serverTimestamp\":", (guint64) op->server_timestamp);
  g_string_append_c (text, '}');
  _relay_respond_raw (request, 200, "application/json", text->str, text->len);
}

static void
send_done_cb (RelayTask *task)
{
  RelayServer *self = task->server;
  RelayRequest *request = task->request;
  RelayOp *op = task->op;
  g_autoptr(JsonBuilder) builder = NULL;

  if (op->status == RELAY_STORAGE_OK)
    {
      self->metrics.envelopes_accepted += op->ids->len;
      _relay_offer_envelopes (self, op);
    }
  if (!_relay_request_attached (request))
    return;
  switch (op->status)
    {
    case RELAY_STORAGE_OK:
      respond_sent (request, op);
      break;
    case RELAY_STORAGE_NOT_FOUND:
      _relay_respond_error (request, 404, "not-found", "No account has this UUID");
      break;
    case RELAY_STORAGE_DEVICE_MISMATCH:
      builder = _relay_error_builder ("device-mismatch", "The list of devices is out of date");
      _relay_add_id_list (builder, "missingDevices", op->missing);
      _relay_add_id_list (builder, "extraDevices", op->extra);
      json_builder_end_object (builder);
      _relay_respond_builder (request, 409, builder);
      break;
    case RELAY_STORAGE_STALE_DEVICES:
      builder = _relay_error_builder ("stale-devices", "Some devices have registered again");
      _relay_add_id_list (builder, "staleDevices", op->stale);
      json_builder_end_object (builder);
      _relay_respond_builder (request, 410, builder);
      break;
    case RELAY_STORAGE_QUEUE_FULL:
      _relay_respond_error (request, 429, "queue-full", "The recipient's queue, or this sender's share of it, is full");
      break;
    default:
      _relay_respond_storage_failure (request);
      break;
    }
}

/* Stores the envelopes of a send, made over HTTP or the WebSocket, and
 * answers once they are durable.  Sends are rationed per sender and
 * recipient, besides per sender, so that no one account can spend a
 * recipient's share of the relay by itself. */
void
_relay_submit_send (RelayRequest     *request,
                    const char       *uuid,
                    RelaySendRequest *send)
{
  RelayServer *self = request->server;
  char pair[2 * RELAY_UUID_LENGTH + 2];
  RelayTask *task;
  RelayOp *op;

  g_snprintf (pair, sizeof pair, "%s>%s", request->credentials->uuid, uuid);
  if (!_relay_send_expiry_allowed (request, send) ||
      !_relay_request_take_rate (request, RELAY_RATE_PAIR_SENDS, pair))
    {
      relay_send_request_free (send);
      return;
    }
  if (send->online)
    {
      _relay_submit_online_send (request, uuid, send);
      return;
    }

  task = _relay_task_new (self, send_done_cb, request, NULL);
  op = relay_op_new (RELAY_OP_SEND);
  op->uuid = g_strdup (uuid);
  op->source_uuid = g_strdup (request->credentials->uuid);
  op->source_device = request->credentials->device_id;
  op->server_timestamp = _relay_now_ms ();
  op->queue_limits = self->queue_limits;
  op->send = send;
  _relay_task_submit_op (task, op);
}

static void
handle_send (RelayRequest *request)
{
  RelayServer *self = request->server;
  const char *uuid = request->segments[3];
  g_autoptr(GError) error = NULL;
  RelaySendRequest *send;

  if (!_relay_request_take_rate (request, RELAY_RATE_ACCOUNT_SENDS, request->credentials->uuid))
    return;
  if (!relay_uuid_is_valid (uuid, strlen (uuid)))
    {
      _relay_respond_error (request, 400, "bad-value", "The path does not name an account UUID");
      return;
    }
  send = relay_send_request_parse ((const char *) request->body->data, request->body->len,
                                   self->config->max_envelope_bytes, &error);
  if (send == NULL)
    {
      _relay_respond_api_error (request, error);
      return;
    }
  _relay_submit_send (request, uuid, send);
}

/* Endpoints: GET /v1/health and GET /metrics */

static void
health_checked_cb (RelayTask *task)
{
  RelayRequest *request = task->request;

  if (!_relay_request_attached (request))
    return;
  if (task->op->status == RELAY_STORAGE_OK)
    _relay_respond_text (request, 200, "{\"status\":\"ok\"}");
  else
    _relay_respond_text (request, 503, "{\"status\":\"storage-unavailable\"}");
}

/* Healthy means able to take a message: the check goes through the
 * writer like a send and commits a write. */
static void
handle_health (RelayRequest *request)
{
  RelayTask *task = _relay_task_new (request->server, health_checked_cb, request, NULL);

  _relay_task_submit_op (task, relay_op_new (RELAY_OP_CHECK_WRITABLE));
}

static void
handle_metrics (RelayRequest *request)
{
  RelayCommitStats stats;
  g_autofree char *text = NULL;

  relay_storage_get_stats (request->server->storage, &stats);
  request->server->metrics.http_connections =
    (gint64) request->server->sockets - request->server->metrics.websocket_connections;
  text = relay_metrics_render (&request->server->metrics, &stats);
  _relay_respond_raw (request, 200, "text/plain; version=0.0.4", text, strlen (text));
}

/* Routing. */

static void
handle_websocket_without_upgrade (RelayRequest *request)
{
  _relay_respond_error (request, 426, "upgrade-required", "This endpoint speaks WebSocket only");
}

typedef struct
{
  RelayMethod   method;
  gboolean      needs_auth;
  RelayHandler  handler;
  guint         n_segments;
  const char   *segments[5];   /* NULL matches any segment; the first is the empty root */
} Route;

static const Route routes[] = {
  { METHOD_GET, FALSE, handle_health, 3, { "", "v1", "health" } },
  { METHOD_POST, FALSE, handle_register, 3, { "", "v1", "accounts" } },
  { METHOD_GET, TRUE, handle_whoami, 4, { "", "v1", "accounts", "me" } },
  { METHOD_GET, TRUE, handle_lookup, 5, { "", "v1", "accounts", "username", NULL } },
  { METHOD_GET, TRUE, handle_key_counts, 3, { "", "v1", "keys" } },
  { METHOD_PUT, TRUE, handle_upload_keys, 3, { "", "v1", "keys" } },
  { METHOD_GET, TRUE, handle_bundles, 4, { "", "v1", "keys", NULL } },
  { METHOD_GET, TRUE, handle_bundles, 5, { "", "v1", "keys", NULL, NULL } },
  /* Before the routes whose UUID segment would match "multi". */
  { METHOD_PUT, TRUE, _relay_handle_send_multi, 4, { "", "v1", "messages", "multi" } },
  { METHOD_PUT, FALSE, _relay_handle_sealed_multi, 5, { "", "v1", "messages", "multi", "unidentified" } },
  { METHOD_PUT, TRUE, handle_send, 4, { "", "v1", "messages", NULL } },
  { METHOD_PUT, FALSE, _relay_handle_unidentified_send, 5, { "", "v1", "messages", NULL, "unidentified" } },
  { METHOD_GET, TRUE, _relay_handle_sender_certificate, 4, { "", "v1", "certificate", "delivery" } },
  { METHOD_PUT, TRUE, _relay_handle_set_access_key, 4, { "", "v1", "accounts", "unidentified-access-key" } },
  { METHOD_PUT, TRUE, _relay_handle_put_profile, 3, { "", "v1", "profile" } },
  { METHOD_GET, TRUE, _relay_handle_get_profile, 4, { "", "v1", "profile", NULL } },
  { METHOD_GET, FALSE, handle_websocket_without_upgrade, 3, { "", "v1", "websocket" } },
  /* PUT /v1/attachments/ID streams its body: relay-blob-upload.c takes
   * it before it would come here. */
  { METHOD_POST, TRUE, _relay_blob_handle_create, 3, { "", "v1", "attachments" } },
  { METHOD_GET, TRUE, _relay_blob_handle_download, 4, { "", "v1", "attachments", NULL } },
  { METHOD_GET, TRUE, _relay_blob_handle_status, 5, { "", "v1", "attachments", NULL, "upload" } },
};

static gboolean
route_matches_path (const Route  *route,
                    RelayRequest *request)
{
  if (route->n_segments != request->n_segments)
    return FALSE;
  for (guint i = 0; i < route->n_segments; i++)
    if (route->segments[i] != NULL && strcmp (route->segments[i], request->segments[i]) != 0)
      return FALSE;
  return TRUE;
}

gboolean
_relay_request_on_metrics_address (RelayRequest *request)
{
  return request->server->metrics_vhost != NULL &&
         lws_get_vhost (request->wsi) == request->server->metrics_vhost;
}

/* The metrics address serves /metrics and nothing else, and the
 * clients' address never serves it. */
static gboolean
dispatch_metrics (RelayRequest *request)
{
  if (!_relay_request_on_metrics_address (request))
    return FALSE;
  if (request->n_segments == 2 && strcmp (request->segments[1], "metrics") == 0)
    {
      if (request->method == METHOD_GET)
        handle_metrics (request);
      else
        _relay_respond_error (request, 405, "method-not-allowed", "The endpoint does not take this method");
    }
  else
    _relay_respond_error (request, 404, "not-found", "No such endpoint");
  return TRUE;
}

void
_relay_dispatch (RelayRequest *request)
{
  gboolean path_known = FALSE;

  request->dispatched = TRUE;
  if (dispatch_metrics (request))
    return;

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      const Route *route = &routes[i];

      if (!route_matches_path (route, request))
        continue;
      path_known = TRUE;
      if (route->method != request->method)
        continue;
      /* A request whose large body waited for its credentials has them
       * checked already. */
      if (route->needs_auth && request->credentials == NULL)
        _relay_request_authenticate (request, route->handler);
      else
        route->handler (request);
      return;
    }
  if (path_known)
    _relay_respond_error (request, 405, "method-not-allowed", "The endpoint does not take this method");
  else
    _relay_respond_error (request, 404, "not-found", "No such endpoint");
}
