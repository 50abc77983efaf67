/* relay-server-online.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Online-only sends ("online": true): passing signals such as typing
 * indicators, which are worth nothing once late.  Their envelopes go to
 * the recipient's devices whose WebSocket is open at that moment, and are
 * stored nowhere: a device that is offline, or reading too slowly, never
 * gets them, and nothing is ever acknowledged.  On PostgreSQL, what no
 * device on this node took goes to the other nodes in a notification
 * (relay-postgresql-online.h), unless it is too large for one.  Storage is not asked to store anything, so neither
 * the device list nor the registration ids are checked; an unidentified
 * send still has its access key checked first.  The answer is the same
 * whether any device got the envelopes or none, so that a sender learns
 * nothing about the recipient's presence from it.
 */

#include "config.h"

#include "relay-api-fanout.h"
#include "relay-postgresql-online.h"
#include "relay-server-private.h"

/* What an unidentified envelope records as its sender. */
#define NO_SENDER ""

/* Pushes every envelope of @send to its device's connection, if open
 * here, and answers. */
static void
deliver_online (RelayRequest     *request,
                const char       *uuid,
                const char       *source_uuid,
                guint32           source_device,
                RelaySendRequest *send)
{
  RelayServer *self = request->server;
  gint64 server_timestamp = _relay_now_ms ();
  GString *text = self->answer;

  for (guint i = 0; i < send->messages->len; i++)
    {
      RelayOutgoingEnvelope *envelope = g_ptr_array_index (send->messages, i);

      if (_relay_offer_online_envelope (self, uuid, source_uuid, source_device, send->timestamp,
                                        server_timestamp, envelope))
        self->metrics.envelopes_online++;
      else if (self->listener != NULL &&
               relay_online_notice_format (text, uuid, source_uuid, source_device, send->timestamp,
                                           server_timestamp, envelope))
        relay_postgresql_listener_publish (self->listener, text->str);
    }

  if (!_relay_request_attached (request))
    return;
  g_string_printf (text, "{\"messages\":[],\"serverTimestamp\":%" G_GINT64_FORMAT "}", server_timestamp);
  _relay_respond_raw (request, 200, "application/json", text->str, text->len);
}

/* Another node's online-only envelope, which no device on that node
 * took: offered to the device if it is connected here now. */
void
_relay_online_notice_cb (const char *text,
                         gpointer    user_data)
{
  RelayServer *self = user_data;
  RelayOnlineNotice notice;
  RelayOutgoingEnvelope envelope = { 0 };

  /* Only nodes notify on the channel; anything else is ignored. */
  if (!relay_online_notice_parse (text, &notice))
    return;
  envelope.type = notice.type;
  envelope.device_id = notice.device_id;
  envelope.content_base64 = (char *) notice.content_base64;
  if (_relay_offer_online_envelope (self, notice.uuid, notice.source_uuid, notice.source_device, notice.timestamp,
                                    notice.server_timestamp, &envelope))
    self->metrics.envelopes_online++;
}

/* An identified online-only send, over HTTP or the WebSocket, once its
 * rates are taken as for any send. */
void
_relay_submit_online_send (RelayRequest     *request,
                           const char       *uuid,
                           RelaySendRequest *send)
{
  g_autoptr(RelaySendRequest) owned = send;

  deliver_online (request, uuid, request->credentials->uuid, request->credentials->device_id, owned);
}

static void
online_access_key_checked_cb (RelayTask *task)
{
  RelayServer *self = task->server;
  RelayRequest *request = task->request;
  RelayMultiSendRequest *multi = task->data;
  RelayRecipientSend *recipient = g_ptr_array_index (multi->recipients, 0);

  /* Only a send whose access key checked out spends the recipient's
   * allowance, as for any unidentified send: the token reserved on
   * arrival goes back otherwise. */
  if (task->op->status != RELAY_STORAGE_OK)
    _relay_give_back_rate (self, RELAY_RATE_TARGET_UNIDENTIFIED_SENDS, recipient->uuid);
  if (task->op->status == RELAY_STORAGE_UNAUTHORIZED)
    {
      _relay_take_rate (self, RELAY_RATE_ADDRESS_AUTH_FAILURES, request->address);
      if (_relay_request_attached (request))
        _relay_respond_error (request, 401, "unauthorized", "An access key is not the recipient's");
      return;
    }
  if (task->op->status != RELAY_STORAGE_OK)
    {
      if (_relay_request_attached (request))
        _relay_respond_storage_failure (request);
      return;
    }
  deliver_online (request, recipient->uuid, NO_SENDER, 0, recipient->send);
}

/* An unidentified online-only send to one account: its access key is
 * checked by storage, which stores nothing, before anything is pushed. */
void
_relay_submit_unidentified_online_send (RelayRequest          *request,
                                        RelayMultiSendRequest *multi)
{
  g_autoptr(RelayMultiSendRequest) owned = multi;
  RelayRecipientSend *recipient = g_ptr_array_index (multi->recipients, 0);
  RelayTask *task;
  RelayOp *op;
  RelayOp *part;

  if (!_relay_reserve_unidentified_rates (request, recipient->uuid))
    return;
  op = relay_op_new (RELAY_OP_CHECK_ACCESS_KEYS);
  op->parts = g_ptr_array_new_full (1, (GDestroyNotify) relay_op_free);
  part = relay_op_new (RELAY_OP_CHECK_ACCESS_KEYS);
  part->uuid = g_strdup (recipient->uuid);
  part->access_key = g_bytes_ref (recipient->access_key);
  g_ptr_array_add (op->parts, part);
  task = _relay_task_new (request->server, online_access_key_checked_cb, request, NULL);
  task->data = g_steal_pointer (&owned);
  task->data_free = (GDestroyNotify) relay_multi_send_request_free;
  _relay_task_submit_op (task, op);
}
