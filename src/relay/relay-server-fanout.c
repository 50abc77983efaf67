/* relay-server-fanout.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Sends to several accounts in one request, and sends that do not name
 * their sender.  Every account's part is stored in one transaction with
 * the others, so a send is answered only once all of it is durable, and
 * a refused send stores nothing.  The relay learns the recipients of
 * each send and nothing of the group they may belong to.
 *
 * An unidentified send carries, instead of the sender's credentials,
 * each recipient's unidentified-access key, which the recipient set and
 * shares only with those it lets write to it; its envelopes are stored
 * with no sender.  There is no account to charge, so such sends are
 * rationed per client address and per recipient, and all of them share
 * one sender's share of each recipient's queue.
 */

#include "config.h"

#include <string.h>

#include "relay-api-fanout.h"
#include "relay-server-private.h"

/* What an unidentified envelope records as its sender. */
#define NO_SENDER ""

static void
add_part_messages (JsonBuilder *builder,
                   RelayOp     *part)
{
  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  for (guint i = 0; i < part->ids->len; i++)
    {
      RelayOutgoingEnvelope *envelope = g_ptr_array_index (part->send->messages, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "deviceId");
      json_builder_add_int_value (builder, envelope->device_id);
      json_builder_set_member_name (builder, "guid");
      json_builder_add_string_value (builder, g_ptr_array_index (part->guids, i));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

/* What a part's devices were refused for, as a single send says it. */
static void
add_part_devices (JsonBuilder *builder,
                  RelayOp     *part)
{
  if (part->status == RELAY_STORAGE_DEVICE_MISMATCH)
    {
      _relay_add_id_list (builder, "missingDevices", part->missing);
      _relay_add_id_list (builder, "extraDevices", part->extra);
    }
  else
    _relay_add_id_list (builder, "staleDevices", part->stale);
}

/* The answer to a send: a multi-recipient send lists each recipient's
 * envelopes, or each refused recipient; an unidentified send to one
 * account is answered as a single send is. */
static JsonBuilder *
multi_answer (RelayOp  *op,
              gboolean  single,
              guint    *status)
{
  g_autoptr(JsonBuilder) builder = NULL;

  switch (op->status)
    {
    case RELAY_STORAGE_OK:
      *status = 200;
      builder = json_builder_new_immutable ();
      json_builder_begin_object (builder);
      break;
    case RELAY_STORAGE_NOT_FOUND:
      *status = 404;
      builder = _relay_error_builder ("not-found", "No account has this UUID");
      break;
    case RELAY_STORAGE_DEVICE_MISMATCH:
      *status = 409;
      builder = _relay_error_builder ("device-mismatch", "The list of devices is out of date");
      break;
    case RELAY_STORAGE_STALE_DEVICES:
      *status = 410;
      builder = _relay_error_builder ("stale-devices", "Some devices have registered again");
      break;
    default:
      g_assert_not_reached ();
    }
  if (single)
    {
      RelayOp *part = g_ptr_array_index (op->parts, 0);

      if (op->status == RELAY_STORAGE_OK)
        add_part_messages (builder, part);
      else if (op->status != RELAY_STORAGE_NOT_FOUND)
        add_part_devices (builder, part);
    }
  else
    {
      json_builder_set_member_name (builder, "recipients");
      json_builder_begin_array (builder);
      for (guint i = 0; i < op->parts->len; i++)
        {
          RelayOp *part = g_ptr_array_index (op->parts, i);

          if (part->status != op->status)
            continue;
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "uuid");
          json_builder_add_string_value (builder, part->uuid);
          if (op->status == RELAY_STORAGE_OK)
            add_part_messages (builder, part);
          else if (op->status != RELAY_STORAGE_NOT_FOUND)
            add_part_devices (builder, part);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
    }
  if (op->status == RELAY_STORAGE_OK)
    {
      json_builder_set_member_name (builder, "serverTimestamp");
      json_builder_add_int_value (builder, op->server_timestamp);
    }
  json_builder_end_object (builder);
  return g_steal_pointer (&builder);
}

/* Calls `func` for each device of an unidentified part that is not
 * online here: sealed envelopes for one that is go to it at once. */
static void
for_each_offline_device (RelayServer *self,
                         const char  *uuid,
                         GPtrArray   *messages,
                         void       (*func) (RelaySealedQuota *quota,
                                             const char       *device_key,
                                             gint64            bytes,
                                             gpointer          data),
                         gpointer     data)
{
  for (guint i = 0; i < messages->len; i++)
    {
      RelayOutgoingEnvelope *envelope = g_ptr_array_index (messages, i);
      char key[RELAY_DEVICE_KEY_SIZE];

      relay_device_key (key, uuid, envelope->device_id);
      if (g_hash_table_lookup (self->devices, key) == NULL)
        func (self->sealed_quota, key, (gint64) g_bytes_get_size (envelope->content), data);
    }
}

typedef struct
{
  const char *bucket;
  gint64      now;
  gboolean    admitted;
} QuotaCheck;

static void
quota_admits_cb (RelaySealedQuota *quota,
                 const char       *device_key,
                 gint64            bytes,
                 gpointer          data)
{
  QuotaCheck *check = data;

  check->admitted &= relay_sealed_quota_admits (quota, device_key, check->bucket, bytes, check->now);
}

static void
quota_add_cb (RelaySealedQuota *quota,
              const char       *device_key,
              gint64            bytes,
              gpointer          data)
{
  QuotaCheck *check = data;

  relay_sealed_quota_add (quota, device_key, check->bucket, bytes, check->now);
}

static void
quota_remove_cb (RelaySealedQuota *quota,
                 const char       *device_key,
                 gint64            bytes,
                 gpointer          data)
{
  QuotaCheck *check = data;

  relay_sealed_quota_remove (quota, device_key, check->bucket, bytes, check->now);
}

static void
multi_done (RelayTask *task,
            gboolean   single)
{
  RelayServer *self = task->server;
  RelayRequest *request = task->request;
  RelayOp *op = task->op;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *bucket = NULL;
  QuotaCheck count = { NULL, g_get_monotonic_time (), TRUE };
  guint status;

  if (op->status == RELAY_STORAGE_OK)
    for (guint i = 0; i < op->parts->len; i++)
      {
        RelayOp *part = g_ptr_array_index (op->parts, i);

        self->metrics.envelopes_accepted += part->ids->len;
        _relay_offer_envelopes (self, part);
      }
  else
    {
      /* What take_recipient_rates() reserved goes back: only a send
       * whose access key checked out, and that was stored, spends the
       * recipient's allowance and the address's share (a stranger with
       * wrong keys spends neither). */
      for (guint i = 0; i < op->parts->len; i++)
        {
          RelayOp *part = g_ptr_array_index (op->parts, i);

          if (part->access_key == NULL)
            continue;
          if (bucket == NULL)
            count.bucket = bucket = relay_sealed_quota_bucket (request->address);
          for_each_offline_device (self, part->uuid, part->send->messages, quota_remove_cb, &count);
          _relay_give_back_rate (self, RELAY_RATE_TARGET_UNIDENTIFIED_SENDS, part->uuid);
        }
      if (op->status == RELAY_STORAGE_UNAUTHORIZED)
        _relay_take_rate (self, RELAY_RATE_ADDRESS_AUTH_FAILURES, request->address);
    }
  if (!_relay_request_attached (request))
    return;
  switch (op->status)
    {
    case RELAY_STORAGE_OK:
    case RELAY_STORAGE_NOT_FOUND:
    case RELAY_STORAGE_DEVICE_MISMATCH:
    case RELAY_STORAGE_STALE_DEVICES:
      builder = multi_answer (op, single, &status);
      _relay_respond_builder (request, status, builder);
      break;
    case RELAY_STORAGE_UNAUTHORIZED:
      /* An account that does not exist has no access key either: the
       * answer does not tell it apart from a wrong key. */
      _relay_respond_error (request, 401, "unauthorized", "An access key is not the recipient's");
      break;
    case RELAY_STORAGE_QUEUE_FULL:
      _relay_respond_error (request, 429, "queue-full", "A recipient's queue, or this sender's share of it, is full");
      break;
    default:
      _relay_respond_storage_failure (request);
      break;
    }
}

static void
multi_done_cb (RelayTask *task)
{
  multi_done (task, FALSE);
}

static void
single_done_cb (RelayTask *task)
{
  multi_done (task, TRUE);
}

/* Answers 429 when @kind has no token left for @key, without taking one. */
static gboolean
peek_rate (RelayRequest  *request,
           RelayRateKind  kind,
           const char    *key)
{
  RelayServer *self = request->server;

  if (relay_rate_limiter_peek (self->limiter, kind, key, g_get_monotonic_time ()))
    return TRUE;
  self->metrics.rate_limited++;
  _relay_respond_error (request, 429, "rate-limited", "Too many requests; try again later");
  return FALSE;
}

/* Whether the client address may still fail a credential, and the
 * recipient still take unidentified sends: both are only spent once
 * storage has checked the access key. */
gboolean
_relay_peek_unidentified_rates (RelayRequest *request,
                                const char   *uuid)
{
  return peek_rate (request, RELAY_RATE_ADDRESS_AUTH_FAILURES, request->address) &&
         peek_rate (request, RELAY_RATE_TARGET_UNIDENTIFIED_SENDS, uuid);
}

/* The same, but takes the recipient's token at once, to be given back
 * (_relay_give_back_rate()) if storage refuses the access key: sends
 * that arrive while others wait for storage would otherwise all pass
 * on the same token. */
gboolean
_relay_reserve_unidentified_rates (RelayRequest *request,
                                   const char   *uuid)
{
  return peek_rate (request, RELAY_RATE_ADDRESS_AUTH_FAILURES, request->address) &&
         _relay_request_take_rate (request, RELAY_RATE_TARGET_UNIDENTIFIED_SENDS, uuid);
}

/* Gives back the reservations of the first @n recipients of @multi. */
static void
give_back_reservations (RelayRequest          *request,
                        RelayMultiSendRequest *multi,
                        guint                  n,
                        const char            *bucket,
                        gint64                 now)
{
  QuotaCheck check = { bucket, now, TRUE };

  for (guint i = 0; i < n; i++)
    {
      RelayRecipientSend *recipient = g_ptr_array_index (multi->recipients, i);

      if (recipient->access_key == NULL)
        continue;
      for_each_offline_device (request->server, recipient->uuid, recipient->send->messages, quota_remove_cb,
                               &check);
      _relay_give_back_rate (request->server, RELAY_RATE_TARGET_UNIDENTIFIED_SENDS, recipient->uuid);
    }
}

/* Rations a send per recipient, as single sends are: per sender and
 * recipient account, and per sender for every recipient after the first
 * (whose token the handler took before reading the body), so that one
 * request to 128 accounts costs what 128 sends do; or, for an
 * unidentified send, per recipient.  An
 * unidentified send only checks here that the recipient and the client
 * address have tokens left: the recipient's is spent once storage has
 * checked the access key, and the address's failed-credential one when
 * it has not, so that wrong keys cost their sender and never the
 * recipient. */
static gboolean
take_recipient_rates (RelayRequest          *request,
                      RelayMultiSendRequest *multi)
{
  g_autofree char *bucket = NULL;
  QuotaCheck check = { NULL, g_get_monotonic_time (), TRUE };

  for (guint i = 0; i < multi->recipients->len; i++)
    {
      RelayRecipientSend *recipient = g_ptr_array_index (multi->recipients, i);
      char pair[2 * RELAY_UUID_LENGTH + 2];

      if (recipient->access_key != NULL)
        {
          if (bucket == NULL)
            check.bucket = bucket = relay_sealed_quota_bucket (request->address);
          if (!_relay_reserve_unidentified_rates (request, recipient->uuid))
            {
              give_back_reservations (request, multi, i, bucket, check.now);
              return FALSE;
            }
          /* The client address's part of the devices' sealed share,
           * counted at once for the same reason, and given back with
           * the token if the send is not stored (multi_done()). */
          for_each_offline_device (request->server, recipient->uuid, recipient->send->messages, quota_admits_cb,
                                   &check);
          if (!check.admitted)
            {
              give_back_reservations (request, multi, i, bucket, check.now);
              _relay_give_back_rate (request->server, RELAY_RATE_TARGET_UNIDENTIFIED_SENDS, recipient->uuid);
              _relay_respond_error (request, 429, "queue-full",
                                    "A recipient's queue, or this sender's share of it, is full");
              return FALSE;
            }
          for_each_offline_device (request->server, recipient->uuid, recipient->send->messages, quota_add_cb,
                                   &check);
          continue;
        }
      g_snprintf (pair, sizeof pair, "%s>%s", request->credentials->uuid, recipient->uuid);
      if ((i > 0 && !_relay_request_take_rate (request, RELAY_RATE_ACCOUNT_SENDS, request->credentials->uuid)) ||
          !_relay_request_take_rate (request, RELAY_RATE_PAIR_SENDS, pair))
        {
          give_back_reservations (request, multi, i, bucket, check.now);
          return FALSE;
        }
    }
  return TRUE;
}

/* Stores a send to several accounts, or an unidentified one, made over
 * HTTP or the WebSocket, and answers once all of it is durable.  A part
 * with an access key is unidentified: its envelopes name no sender. */
static void
submit_multi (RelayRequest          *request,
              RelayMultiSendRequest *owned,
              gboolean               single,
              guint64                held_split_bytes)
{
  RelayServer *self = request->server;
  g_autoptr(RelayMultiSendRequest) multi = owned;
  RelayTask *task;
  RelayOp *op;

  if (!_relay_multi_expiry_allowed (request, multi) || !take_recipient_rates (request, multi))
    return;
  op = relay_op_new (RELAY_OP_SEND_MULTI);
  op->server_timestamp = _relay_now_ms ();
  op->parts = g_ptr_array_new_full (multi->recipients->len, (GDestroyNotify) relay_op_free);
  for (guint i = 0; i < multi->recipients->len; i++)
    {
      RelayRecipientSend *recipient = g_ptr_array_index (multi->recipients, i);
      RelayOp *part = relay_op_new (RELAY_OP_SEND);
      gboolean identified = recipient->access_key == NULL;

      part->uuid = g_strdup (recipient->uuid);
      part->source_uuid = g_strdup (identified ? request->credentials->uuid : NO_SENDER);
      part->source_device = identified ? request->credentials->device_id : 0;
      part->server_timestamp = op->server_timestamp;
      part->queue_limits = self->queue_limits;
      part->send = g_steal_pointer (&recipient->send);
      part->access_key = g_steal_pointer (&recipient->access_key);
      g_ptr_array_add (op->parts, part);
    }
  task = _relay_task_new (self, single ? single_done_cb : multi_done_cb, request, NULL);
  task->held_split_bytes = held_split_bytes;
  self->held_split_bytes += held_split_bytes;
  _relay_task_submit_op (task, op);
}

void
_relay_submit_send_multi (RelayRequest          *request,
                          RelayMultiSendRequest *multi)
{
  submit_multi (request, multi, FALSE, 0);
}

/* Endpoint: PUT /v1/messages/multi */

void
_relay_handle_send_multi (RelayRequest *request)
{
  RelayServer *self = request->server;
  g_autoptr(GError) error = NULL;
  RelayMultiSendRequest *multi;

  if (!_relay_request_take_rate (request, RELAY_RATE_ACCOUNT_SENDS, request->credentials->uuid))
    return;
  multi = relay_multi_send_request_parse ((const char *) request->body->data, request->body->len,
                                          self->config->max_envelope_bytes, &error);
  if (multi == NULL)
    {
      _relay_respond_api_error (request, error);
      return;
    }
  submit_multi (request, multi, FALSE, 0);
}

/* Endpoint: PUT /v1/messages/UUID/unidentified */

void
_relay_handle_unidentified_send (RelayRequest *request)
{
  RelayServer *self = request->server;
  const char *uuid = request->segments[3];
  g_autoptr(GError) error = NULL;
  RelayMultiSendRequest *multi;

  if (!_relay_request_take_rate (request, RELAY_RATE_ADDRESS_UNIDENTIFIED_SENDS, request->address))
    return;
  if (!relay_uuid_is_valid (uuid, strlen (uuid)))
    {
      _relay_respond_error (request, 400, "bad-value", "The path does not name an account UUID");
      return;
    }
  multi = relay_unidentified_send_parse ((const char *) request->body->data, request->body->len, uuid,
                                         self->config->max_envelope_bytes, &error);
  if (multi == NULL)
    {
      _relay_respond_api_error (request, error);
      return;
    }
  if (((RelayRecipientSend *) g_ptr_array_index (multi->recipients, 0))->send->online)
    _relay_submit_unidentified_online_send (request, multi);
  else
    submit_multi (request, multi, TRUE, 0);
}

/* Endpoint: PUT /v1/messages/multi/unidentified
 *
 * Every access key is checked before the upload is split: a client
 * without the recipients' keys costs the relay one reading of the
 * request and of its recipient table, one storage read per recipient,
 * and no split message.  The keys are compared per recipient, as the
 * request carries them (Signal's combined key, the XOR of all of them,
 * would need another request format), each in constant time and all of
 * them whatever the ones before gave, for one verdict: a 401 does not
 * say which key was wrong.  Storage checks them again as it stores the
 * split, in the same transaction, for a key replaced meanwhile. */

static void
access_keys_checked_cb (RelayTask *task)
{
  RelayServer *self = task->server;
  RelayRequest *request = task->request;
  RelaySealedMultiRequest *sealed = task->data;
  g_autoptr(GError) error = NULL;
  RelayMultiSendRequest *multi;
  guint64 held = 0;

  if (task->op->status == RELAY_STORAGE_UNAUTHORIZED)
    _relay_take_rate (self, RELAY_RATE_ADDRESS_AUTH_FAILURES, request->address);
  if (!_relay_request_attached (request))
    return;
  if (task->op->status == RELAY_STORAGE_UNAUTHORIZED)
    {
      _relay_respond_error (request, 401, "unauthorized", "An access key is not the recipient's");
      return;
    }
  if (task->op->status != RELAY_STORAGE_OK)
    {
      _relay_respond_storage_failure (request);
      return;
    }
  /* A split holds up to 1024 copies of the upload, raw and in base64,
   * until storage has stored them: bound what all of them together
   * hold. */
  if (!relay_sealed_multi_request_split_size (sealed, self->config->max_envelope_bytes, &held, &error) ||
      (multi = relay_sealed_multi_request_split (sealed, self->config->max_envelope_bytes, &error)) == NULL)
    {
      _relay_respond_api_error (request, error);
      return;
    }
  if (self->held_split_bytes + held > self->config->max_split_bytes)
    {
      relay_multi_send_request_free (multi);
      _relay_respond_error (request, 503, "unavailable", "The relay holds too many sealed sends; try again later");
      return;
    }
  submit_multi (request, multi, FALSE, held);
}

void
_relay_handle_sealed_multi (RelayRequest *request)
{
  RelayServer *self = request->server;
  g_autoptr(RelaySealedMultiRequest) sealed = NULL;
  g_autoptr(GError) error = NULL;
  RelayTask *task;
  RelayOp *op;

  if (!_relay_request_take_rate (request, RELAY_RATE_ADDRESS_UNIDENTIFIED_SENDS, request->address))
    return;
  sealed = relay_sealed_multi_request_parse ((const char *) request->body->data, request->body->len,
                                             self->config->max_request_bytes, &error);
  if (sealed == NULL ||
      !relay_sealed_multi_request_split_size (sealed, self->config->max_envelope_bytes, NULL, &error))
    {
      _relay_respond_api_error (request, error);
      return;
    }
  if (!_relay_expiry_allowed (request, sealed->expires_in_ms))
    return;
  op = relay_op_new (RELAY_OP_CHECK_ACCESS_KEYS);
  op->parts = g_ptr_array_new_full (sealed->recipients->len, (GDestroyNotify) relay_op_free);
  for (guint i = 0; i < sealed->recipients->len; i++)
    {
      RelaySealedRecipient *recipient = g_ptr_array_index (sealed->recipients, i);
      RelayOp *part;

      if (!_relay_peek_unidentified_rates (request, recipient->uuid))
        {
          relay_op_free (op);
          return;
        }
      part = relay_op_new (RELAY_OP_CHECK_ACCESS_KEYS);
      part->uuid = g_strdup (recipient->uuid);
      part->access_key = g_bytes_ref (recipient->access_key);
      g_ptr_array_add (op->parts, part);
    }
  task = _relay_task_new (self, access_keys_checked_cb, request, NULL);
  task->data = g_steal_pointer (&sealed);
  task->data_free = (GDestroyNotify) relay_sealed_multi_request_free;
  _relay_task_submit_op (task, op);
}
