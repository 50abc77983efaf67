/* relay-server-websocket.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * WebSocket connections: authentication after the upgrade, delivery of
 * the stored queue and of new envelopes, acknowledgements, requests made
 * as messages, and the frames read from and written to the socket.  The
 * relay frames them itself (relay-websocket-codec.c) on the raw socket
 * that libwebsockets hands it, so that every rule of RFC 6455, 5 holds.
 */

#include "config.h"

#include <json-glib/json-glib.h>
#include <libwebsockets.h>
#include <sodium.h>
#include <string.h>
#include <uv.h>

#include "relay-server-private.h"

static void conn_answered (RelayConn *conn);
static void conn_read (RelayConn *conn);
static void conn_start_fetch (RelayConn *conn);
static void start_waiting_fetches (RelayServer *self);
static void flush_acks (RelayServer *self);

/* The WebSocket.  After the upgrade the connection authenticates; then
 * it reads the stored queue in pages, sends the drained marker once it
 * reaches the end, and from then on takes new envelopes as they are
 * committed.  The output queue and the window of unacknowledged
 * envelopes are bounded: a slow reader falls back to paging from
 * storage instead of growing the relay's memory. */

/* A frame with room for `capacity` bytes of text and GUID. */
static Frame *
frame_new (gsize capacity)
{
  Frame *frame = g_malloc (sizeof (Frame) + capacity);

  frame->link.data = frame;
  frame->link.prev = NULL;
  frame->link.next = NULL;
  frame->guid = NULL;
  frame->response = FALSE;
  frame->raw = FALSE;
  frame->expires_at = 0;
  frame->length = 0;
  return frame;
}

void
_relay_conn_push_frame (RelayConn *conn,
                        Frame     *frame)
{
  g_queue_push_tail_link (&conn->out, &frame->link);
  conn->out_bytes += frame->length;
  conn->server->ws_queued_bytes += frame->length;
}

static Frame *
conn_pop_frame (RelayConn *conn)
{
  /* The frame is its own link: popping only the data would free it. */
  Frame *frame = g_queue_pop_head_link (&conn->out)->data;

  conn->out_bytes -= frame->length;
  conn->server->ws_queued_bytes -= frame->length;
  return frame;
}

RelayConn *
_relay_conn_ref (RelayConn *conn)
{
  conn->refcount++;
  return conn;
}

void
_relay_conn_unref (RelayConn *conn)
{
  if (--conn->refcount > 0)
    return;
  relay_credentials_free (conn->credentials);
  g_free (conn->key);
  while (conn->out.length > 0)
    g_free (conn_pop_frame (conn));
  g_hash_table_unref (conn->inflight);
  g_byte_array_unref (conn->input);
  g_byte_array_unref (conn->rx);
  g_free (conn);
}

/* The loop writes a frame and an answer for every envelope, and writes
 * frames straight into their own memory; printf would cost more than the
 * rest of the text between them.  A frame is sized before it is written,
 * from the length of its strings and bounds on the rest of its text. */

static char *
put_text (char       *p,
          const char *text,
          gsize       length)
{
  memcpy (p, text, length);
  return p + length;
}

#define put_literal(p, literal) put_text ((p), (literal), sizeof (literal) - 1)

char *
_relay_put_uint (char    *p,
                 guint64  value)
{
  char digits[UINT_DIGITS_MAX];
  guint n = 0;

  do
    digits[n++] = (char) ('0' + value % 10);
  while ((value /= 10) > 0);
  while (n > 0)
    *p++ = digits[--n];
  return p;
}

void
_relay_conn_respond (RelayRequest *request,
                     guint         status,
                     const char   *body,
                     gsize         length)
{
  RelayConn *conn = request->conn;
  Frame *frame = frame_new (RESPONSE_FRAME_NAMES + 2 * UINT_DIGITS_MAX + length);
  char *p = frame->data;

  p = put_literal (p, "{\"type\":\"response\",\"id\":");
  p = _relay_put_uint (p, (guint64) request->message_id);
  p = put_literal (p, ",\"status\":");
  p = _relay_put_uint (p, status);
  p = put_literal (p, ",\"body\":");
  p = put_text (p, body, length);
  p = put_literal (p, "}");
  frame->response = TRUE;
  frame->length = (gsize) (p - frame->data);
  _relay_conn_push_frame (conn, frame);
  _relay_conn_schedule (conn);
}

static Frame *
envelope_frame (const char *guid,
                guint8      type,
                const char *source,
                guint32     source_device,
                gint64      timestamp,
                gint64      server_timestamp,
                gint64      expires_at,
                const char *content_base64)
{
  gsize guid_length = guid != NULL ? strlen (guid) : 0;
  gsize source_length = strlen (source);
  gsize content_length = strlen (content_base64);
  Frame *frame = frame_new (ENVELOPE_FRAME_NAMES + 4 * UINT_DIGITS_MAX + guid_length +
                            source_length + content_length + guid_length + 1);
  char *p = frame->data;

  /* Every string here is a UUID or base64, so none needs escaping, and
   * every number is positive.  An online-only envelope is stored
   * nowhere: it has no GUID and is never acknowledged. */
  if (guid != NULL)
    {
      p = put_literal (p, "{\"type\":\"envelope\",\"guid\":\"");
      p = put_text (p, guid, guid_length);
      p = put_literal (p, "\",\"envelopeType\":");
    }
  else
    p = put_literal (p, "{\"type\":\"envelope\",\"online\":true,\"envelopeType\":");
  p = _relay_put_uint (p, type);
  /* An unidentified envelope has no sender to name. */
  if (source_length > 0)
    {
      p = put_literal (p, ",\"source\":\"");
      p = put_text (p, source, source_length);
      p = put_literal (p, "\",\"sourceDevice\":");
      p = _relay_put_uint (p, source_device);
    }
  p = put_literal (p, ",\"timestamp\":");
  p = _relay_put_uint (p, (guint64) timestamp);
  p = put_literal (p, ",\"serverTimestamp\":");
  p = _relay_put_uint (p, (guint64) server_timestamp);
  p = put_literal (p, ",\"content\":\"");
  p = put_text (p, content_base64, content_length);
  p = put_literal (p, "\"}");
  frame->length = (gsize) (p - frame->data);
  if (guid != NULL)
    {
      frame->guid = p;
      memcpy (frame->guid, guid, guid_length + 1);
    }
  frame->expires_at = expires_at;
  return frame;
}

Frame *
_relay_control_frame (const char *json)
{
  gsize length = strlen (json);
  Frame *frame = frame_new (length);

  memcpy (frame->data, json, length);
  frame->length = length;
  return frame;
}

/* Whether `bytes` more may wait in the connection's output queue: both
 * its own bound and the bound on all of them hold. */
static gboolean
conn_has_room (RelayConn *conn,
               gsize      bytes)
{
  RelayServer *self = conn->server;

  return conn->out_bytes + bytes <= self->config->websocket_buffer_bytes &&
         self->ws_queued_bytes + self->ws_reserved_bytes + bytes <= self->config->websocket_total_bytes;
}

/* Another node, or this one, stored envelopes for the connection's
 * device: it reads its queue again, now or once the fetch under way is
 * done. */
static void
conn_queue_changed (RelayConn *conn)
{
  if (conn->wsi == NULL || conn->closing)
    return;
  conn->queue_changed = TRUE;
  conn->live = FALSE;
  if (!conn->fetching)
    conn_start_fetch (conn);
}

void
_relay_queue_changed_cb (const char *device_key,
                         gpointer    user_data)
{
  RelayServer *self = user_data;
  GHashTableIter iter;
  RelayConn *conn;

  if (device_key != NULL)
    {
      if ((conn = g_hash_table_lookup (self->devices, device_key)) != NULL)
        conn_queue_changed (conn);
      return;
    }
  g_hash_table_iter_init (&iter, self->devices);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &conn))
    conn_queue_changed (conn);
}

/* Whether a connected recipient takes a freshly stored envelope of
 * `bytes`.  A connection that is still reading its stored queue, or whose
 * buffer is full, does not: the envelope is durable and a later fetch
 * finds it. */
static gboolean
conn_takes_offer (RelayConn *conn,
                  gint64     id,
                  gsize      bytes)
{
  if (conn->wsi == NULL || conn->closing || !conn->live || id <= conn->last_queued_id)
    return FALSE;
  if (conn->out.length >= conn->server->config->websocket_send_queue ||
      !conn_has_room (conn, bytes))
    {
      conn->live = FALSE;
      conn->need_fetch = TRUE;
      return FALSE;
    }
  return TRUE;
}

/* Hands every envelope of a committed send to its device's connection,
 * if the device is online and takes it and the envelope has not expired
 * meanwhile. */
void
_relay_offer_envelopes (RelayServer *self,
                        RelayOp     *op)
{
  gint64 now = _relay_now_ms ();

  _relay_expiry_note_send (self, op);
  for (guint i = 0; i < op->ids->len; i++)
    {
      RelayOutgoingEnvelope *envelope = g_ptr_array_index (op->send->messages, i);
      gint64 id = g_array_index (op->ids, gint64, i);
      gint64 expires_at = relay_envelope_expires_at (op, envelope);
      char key[RELAY_DEVICE_KEY_SIZE];
      RelayConn *conn;

      if (expires_at != 0 && expires_at <= now)
        continue;

      relay_device_key (key, op->uuid, envelope->device_id);
      conn = g_hash_table_lookup (self->devices, key);
      /* With other nodes storing envelopes for the device too, an id is
       * no proof that the connection has read everything before it. */
      if (conn != NULL && self->listener != NULL)
        {
          conn_queue_changed (conn);
          continue;
        }
      if (conn == NULL ||
          !conn_takes_offer (conn, id, ENVELOPE_FRAME_SIZE (strlen (envelope->content_base64))))
        continue;
      _relay_conn_push_frame (conn, envelope_frame (g_ptr_array_index (op->guids, i), envelope->type,
                                                    op->source_uuid, op->source_device,
                                                    op->send->timestamp, op->server_timestamp, expires_at,
                                                    envelope->content_base64));
      conn->last_queued_id = id;
      _relay_conn_schedule (conn);
    }
}

/* Hands one envelope of an online-only send to its device's connection
 * on this node, if it is open and has room: the envelope is stored
 * nowhere, so a device that is offline, or reads too slowly, never
 * gets it.  Returns whether it went out. */
gboolean
_relay_offer_online_envelope (RelayServer           *self,
                              const char            *uuid,
                              const char            *source_uuid,
                              guint32                source_device,
                              gint64                 timestamp,
                              gint64                 server_timestamp,
                              RelayOutgoingEnvelope *envelope)
{
  char key[RELAY_DEVICE_KEY_SIZE];
  RelayConn *conn;

  relay_device_key (key, uuid, envelope->device_id);
  conn = g_hash_table_lookup (self->devices, key);
  if (conn == NULL || conn->wsi == NULL || conn->closing ||
      conn->out.length >= self->config->websocket_send_queue ||
      !conn_has_room (conn, ENVELOPE_FRAME_SIZE (strlen (envelope->content_base64))))
    return FALSE;
  _relay_conn_push_frame (conn, envelope_frame (NULL, envelope->type, source_uuid, source_device,
                                                timestamp, server_timestamp, 0, envelope->content_base64));
  _relay_conn_schedule (conn);
  return TRUE;
}

/* Has what waits written before the loop next waits (see
 * relay-server-ws-flush.c) or, failing that, asks for a writeable
 * callback; the client has write-timeout-seconds to take some of it, or
 * the connection is dropped. */
void
_relay_conn_schedule (RelayConn *conn)
{
  if (conn->wsi == NULL)
    return;
  relay_slot_output_waiting (wsi_slot (conn->wsi));
  if (!_relay_conn_queue_flush (conn))
    lws_callback_on_writable (conn->wsi);
}

void
_relay_conn_close (RelayConn  *conn,
                   int         code,
                   const char *reason)
{
  if (conn->closing)
    return;
  /* What a client did wrong is logged with its address; a shutdown, a
   * newer connection of the same device or the client's own close is
   * routine. */
  if (code != RELAY_WS_CLOSE_GOING_AWAY && code != CLOSE_REPLACED && code != CLOSE_PING_TIMEOUT &&
      !conn->peer_closed)
    g_message ("Closing the WebSocket from %s: %s", conn->address, reason);
  _relay_liveness_forget (conn);
  conn->closing = TRUE;
  conn->close_code = code;
  conn->close_reason = reason;
  _relay_conn_schedule (conn);
}

/* Before the close frame, the reason goes out as a "close" message too,
 * which clients read like any other; an answer to the client's own close
 * frame is the close frame alone.  The handshake's answer goes first if
 * it still waits.  The connection ends once lws has written all of it. */
static int
conn_write_close (RelayConn  *conn,
                  struct lws *wsi)
{
  GByteArray *batch = conn->server->ws_batch;
  guint8 header[RELAY_WS_MAX_SERVER_HEADER];
  guint8 payload[RELAY_WS_MAX_CONTROL_PAYLOAD];
  Frame *frame = g_queue_peek_head (&conn->out);
  gsize length;

  if (conn->close_sent)
    return -1;
  g_byte_array_set_size (batch, LWS_PRE);
  if (frame != NULL && frame->raw)
    {
      conn_pop_frame (conn);
      g_byte_array_append (batch, (const guint8 *) frame->data, (guint) frame->length);
      g_free (frame);
    }
  if (!conn->peer_closed)
    {
      g_autofree char *text = g_strdup_printf ("{\"type\":\"close\",\"code\":%d,\"reason\":\"%s\"}",
                                               conn->close_code, conn->close_reason);

      length = strlen (text);
      g_byte_array_append (batch, header,
                           (guint) relay_ws_frame_header_write (header, RELAY_WS_OPCODE_TEXT, length));
      g_byte_array_append (batch, (const guint8 *) text, (guint) length);
    }
  length = relay_ws_close_payload (payload, (guint16) conn->close_code, conn->close_reason);
  g_byte_array_append (batch, header, (guint) relay_ws_frame_header_write (header, RELAY_WS_OPCODE_CLOSE, length));
  g_byte_array_append (batch, payload, (guint) length);
  length = batch->len - LWS_PRE;
  if (lws_write (wsi, batch->data + LWS_PRE, length, LWS_WRITE_RAW) < (int) length)
    return -1;
  conn->close_sent = TRUE;
  lws_callback_on_writable (wsi);
  return 0;
}

static void
fetch_done_cb (RelayTask *task)
{
  RelayConn *conn = task->conn;
  RelayOp *op = task->op;
  gsize content_bytes = 0;

  conn->fetching = FALSE;
  conn->server->ws_reserved_bytes -= conn->fetch_reserved;
  conn->fetch_reserved = 0;
  if (conn->wsi == NULL || conn->closing)
    {
      start_waiting_fetches (conn->server);
      return;
    }
  if (op->status != RELAY_STORAGE_OK)
    {
      _relay_conn_close (conn, CLOSE_UNAVAILABLE, "storage-unavailable");
      return;
    }
  for (guint i = 0; i < op->envelopes->len; i++)
    {
      RelayStoredEnvelope *envelope = g_ptr_array_index (op->envelopes, i);
      gsize size;
      const guint8 *data = g_bytes_get_data (envelope->content, &size);
      gsize encoded_length = sodium_base64_encoded_len (size, sodium_base64_VARIANT_ORIGINAL);
      g_autofree char *encoded = g_malloc (encoded_length);

      content_bytes += size;
      if (envelope->id <= conn->last_queued_id)
        continue;
      sodium_bin2base64 (encoded, encoded_length, data, size, sodium_base64_VARIANT_ORIGINAL);
      _relay_conn_push_frame (conn, envelope_frame (envelope->guid, envelope->type, envelope->source_uuid,
                                                    envelope->source_device, envelope->timestamp,
                                                    envelope->server_timestamp, envelope->expires_at, encoded));
      conn->last_queued_id = envelope->id;
    }
  /* A page that is full, or that the next envelope could have made too
   * large, may not be the end of the queue. */
  if (op->envelopes->len == op->limit || content_bytes + conn->server->config->max_envelope_bytes > op->max_bytes ||
      conn->queue_changed)
    conn->need_fetch = TRUE;
  else
    {
      conn->need_fetch = FALSE;
      conn->live = TRUE;
      if (!conn->drained_sent)
        {
          _relay_conn_push_frame (conn, _relay_control_frame ("{\"type\":\"queue-empty\"}"));
          conn->drained_sent = TRUE;
        }
    }
  /* The fetch may have read the queue before the change was committed. */
  if (conn->queue_changed)
    conn_start_fetch (conn);
  _relay_conn_schedule (conn);
  /* The room the fetch reserved and did not fill is free again.  Frames
   * written give room to the fetches that wait for it, but a page with
   * nothing new writes none, and when every fetch in flight came back
   * so, those waiting would wait until some other frame was written. */
  start_waiting_fetches (conn->server);
}

/* Room for a page of the stored queue: what the connection's own bound
 * leaves, at most what the bound on all connections leaves, and always
 * at least one envelope's worth, or nothing while that is not there. */
static gsize
conn_page_bytes (RelayConn *conn)
{
  RelayServer *self = conn->server;
  gsize own = self->config->websocket_buffer_bytes - MIN (conn->out_bytes, self->config->websocket_buffer_bytes);
  gsize used = self->ws_queued_bytes + self->ws_reserved_bytes;
  gsize all = self->config->websocket_total_bytes - MIN (used, self->config->websocket_total_bytes);
  gsize envelope = ENVELOPE_FRAME_SIZE (sodium_base64_encoded_len (self->config->max_envelope_bytes,
                                                                   sodium_base64_VARIANT_ORIGINAL));

  if (MIN (own, all) < envelope)
    return 0;
  return MIN (own, all);
}

/* Fetches wait for room among all connections in the order they came,
 * and go as soon as frames written make room. */
static void
conn_wait_for_budget (RelayConn *conn)
{
  if (conn->budget_waiting)
    return;
  conn->budget_waiting = TRUE;
  g_queue_push_tail (&conn->server->budget_waiters, _relay_conn_ref (conn));
}

static void
start_waiting_fetches (RelayServer *self)
{
  RelayConn *conn;

  while ((conn = g_queue_peek_head (&self->budget_waiters)) != NULL)
    {
      if (conn->wsi != NULL && !conn->closing && conn_page_bytes (conn) == 0)
        return;
      g_queue_pop_head (&self->budget_waiters);
      conn->budget_waiting = FALSE;
      if (conn->wsi != NULL && !conn->closing)
        conn_start_fetch (conn);
      _relay_conn_unref (conn);
    }
}

static void
conn_start_fetch (RelayConn *conn)
{
  RelayServer *self = conn->server;
  RelayTask *task;
  RelayOp *op;
  gsize page_bytes;

  if (conn->fetching)
    return;
  page_bytes = conn_page_bytes (conn);
  if (page_bytes == 0)
    {
      /* The connection's own output makes room as it is written; room
       * among all connections may come from any of them. */
      conn->need_fetch = TRUE;
      if (conn->out_bytes == 0)
        conn_wait_for_budget (conn);
      return;
    }
  conn->fetching = TRUE;
  conn->need_fetch = FALSE;
  conn->queue_changed = FALSE;
  conn->fetch_reserved = page_bytes;
  self->ws_reserved_bytes += page_bytes;
  /* Storage runs ops in the order they come; acknowledgements that are
   * still gathering must reach it first, or the fetch could return
   * envelopes the device has already acknowledged. */
  flush_acks (self);
  task = _relay_task_new (self, fetch_done_cb, NULL, conn);
  op = relay_op_new (RELAY_OP_FETCH_QUEUE);
  op->uuid = g_strdup (conn->credentials->uuid);
  op->device_id = conn->credentials->device_id;
  op->after_id = conn->last_queued_id;
  op->limit = self->config->websocket_send_queue;
  /* Base64 makes four bytes of every three, and each frame adds a few
   * hundred of its own. */
  op->max_bytes = MAX (page_bytes / 4 * 3 - MIN (page_bytes / 4 * 3, (gsize) op->limit * ENVELOPE_FRAME_SIZE (0)),
                       self->config->max_envelope_bytes);
  op->min_timestamp = _relay_now_ms () - self->config->max_queue_age_seconds * 1000;
  _relay_task_submit_op (task, op);
}

void
_relay_conn_auth_finished (RelayConn  *conn,
                           AuthResult  result)
{
  RelayServer *self = conn->server;
  RelayConn *previous;

  if (conn->wsi == NULL || conn->closing)
    return;
  switch (result)
    {
    case AUTH_OK:
      break;
    case AUTH_DENIED:
      _relay_conn_close (conn, CLOSE_UNAUTHORIZED, "unauthorized");
      return;
    case AUTH_RATE_LIMITED:
      _relay_conn_close (conn, CLOSE_RATE_LIMITED, "rate-limited");
      return;
    case AUTH_BUSY:
    default:
      _relay_conn_close (conn, CLOSE_UNAVAILABLE, "unavailable");
      return;
    }
  conn->authenticated = TRUE;
  _relay_liveness_watch (conn);
  conn->key = g_malloc (RELAY_DEVICE_KEY_SIZE);
  relay_device_key (conn->key, conn->credentials->uuid, conn->credentials->device_id);
  /* One connection per device: a newer one replaces the older. */
  previous = g_hash_table_lookup (self->devices, conn->key);
  if (previous != NULL)
    _relay_conn_close (previous, CLOSE_REPLACED, "replaced");
  g_hash_table_replace (self->devices, g_strdup (conn->key), conn);
  /* The device reads what waits for it: the addresses that queued
   * sealed envelopes for it may queue afresh. */
  relay_sealed_quota_forget_device (self->sealed_quota, conn->key);
  conn_start_fetch (conn);
}

/* The handshake's answer, written before anything else on the socket. */
static Frame *
handshake_frame (const char *accept)
{
  g_autofree char *text = g_strdup_printf ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                           "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                                           accept);
  Frame *frame = _relay_control_frame (text);

  frame->raw = TRUE;
  return frame;
}

/* Makes the upgraded socket a WebSocket, answers the handshake with
 * `accept` and starts checking `authorization`. */
void
_relay_on_ws_established (RelayServer *self,
                          struct lws  *wsi,
                          Session     *session,
                          const char  *authorization,
                          const char  *accept)
{
  RelayConn *conn = g_new0 (RelayConn, 1);

  conn->refcount = 1;
  conn->server = self;
  conn->wsi = wsi;
  g_queue_init (&conn->out);
  conn->inflight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  conn->input = g_byte_array_new ();
  relay_ws_reader_init (&conn->reader, self->config->max_request_bytes);
  conn->rx = g_byte_array_new ();
  g_strlcpy (conn->address, relay_slot_address (wsi_slot (wsi)), sizeof conn->address);
  relay_slot_set_phase (wsi_slot (wsi), RELAY_PHASE_WEBSOCKET);
  session->conn = conn;
  g_hash_table_add (self->websockets, conn);
  _relay_liveness_watch_unauthenticated (conn);
  self->metrics.websocket_connections++;
  _relay_conn_push_frame (conn, handshake_frame (accept));
  _relay_conn_schedule (conn);

  conn->credentials = relay_credentials_parse (authorization, NULL);
  if (conn->credentials == NULL)
    {
      _relay_conn_close (conn, CLOSE_UNAUTHORIZED, "unauthorized");
      return;
    }
  _relay_authenticate (self, NULL, conn, conn->credentials, conn->address);
}

static void
ack_done_cb (RelayTask *task)
{
  RelayServer *self = task->server;

  if (task->op->status == RELAY_STORAGE_OK)
    {
      self->metrics.envelopes_delivered += (guint64) task->op->removed;
    }
}

/* Submits every acknowledgement gathered so far as one op.  The next
 * batch starts with room for as many as this one: under load, batches
 * are alike, and growing to thousands one doubling at a time would copy
 * each several times. */
static void
flush_acks (RelayServer *self)
{
  RelayTask *task;
  RelayOp *op;

  if (self->acks->len == 0)
    return;
  task = _relay_task_new (self, ack_done_cb, NULL, NULL);
  op = relay_op_new (RELAY_OP_ACK);
  op->acks = g_steal_pointer (&self->acks);
  self->acks = g_array_sized_new (FALSE, FALSE, sizeof (RelayAck), op->acks->len);
  _relay_task_submit_op (task, op);
}

/* Runs once per loop iteration that gathered acknowledgements, after
 * every socket that was ready has been read. */
static void
ack_flush_cb (uv_check_t *handle)
{
  RelayServer *self = handle->data;

  flush_acks (self);
  uv_check_stop (handle);
}

/* Acknowledgements wait for the end of the loop iteration, so that all
 * those that arrived together, from every connection, cost one op. */
static void
queue_ack (RelayConn       *conn,
           const RelayGuid *guid)
{
  RelayServer *self = conn->server;
  RelayAck ack;

  memcpy (ack.uuid, conn->credentials->uuid, sizeof ack.uuid);
  ack.device_id = conn->credentials->device_id;
  memcpy (ack.guid, guid->text, sizeof ack.guid);
  g_array_append_val (self->acks, ack);
  if (self->acks->len == 1)
    uv_check_start (&self->ack_flush, ack_flush_cb);
}

static void
conn_send_error (RelayConn  *conn,
                 const char *code,
                 const char *message)
{
  g_autoptr(JsonBuilder) builder = _relay_error_builder (code, message);
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  /* Error replies count against the same bound as envelopes, so that a
   * client cannot grow the queue by sending garbage it never reads. */
  if (conn->out.length >= conn->server->config->websocket_send_queue)
    {
      _relay_conn_close (conn, RELAY_WS_CLOSE_POLICY, "too-many-errors");
      return;
    }
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "error");
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  _relay_conn_push_frame (conn, _relay_control_frame (text));
  _relay_conn_schedule (conn);
}

/* A request made as a WebSocket message.  While a connection has
 * websocket-send-queue of them unanswered, the relay stops reading from
 * it: a client that writes faster than it reads its answers is held
 * back by TCP instead of growing the relay's memory. */
static RelayRequest *
conn_request_new (RelayConn *conn,
                  gint64     message_id)
{
  RelayRequest *request = g_new0 (RelayRequest, 1);

  request->refcount = 1;
  request->server = conn->server;
  request->conn = _relay_conn_ref (conn);
  request->message_id = message_id;
  /* The request holds a reference on the connection, and with it on its
   * credentials. */
  request->credentials = conn->credentials;
  g_strlcpy (request->address, conn->address, sizeof request->address);
  if (++conn->requests >= conn->server->config->websocket_send_queue && !conn->rx_paused)
    {
      conn->rx_paused = TRUE;
      lws_rx_flow_control (conn->wsi, 0);
    }
  return request;
}

/* Called as the answer to one of the connection's requests is written. */
static void
conn_answered (RelayConn *conn)
{
  conn->requests--;
  if (conn->rx_paused && conn->requests <= conn->server->config->websocket_send_queue / 2)
    {
      conn->rx_paused = FALSE;
      lws_rx_flow_control (conn->wsi, 1);
      /* Frames already read wait for the next writeable callback. */
      if (conn->read_waiting)
        _relay_conn_schedule (conn);
    }
}

static void
conn_handle_send (RelayConn          *conn,
                  RelayClientMessage *message)
{
  RelayServer *self = conn->server;
  RelayRequest *request = conn_request_new (conn, message->id);

  if (self->draining)
    _relay_respond_error (request, 503, "unavailable", "The relay is shutting down");
  else if (_relay_request_take_rate (request, RELAY_RATE_ACCOUNT_SENDS, conn->credentials->uuid))
    {
      if (message->kind == RELAY_CLIENT_MESSAGE_SEND_MULTI)
        _relay_submit_send_multi (request, g_steal_pointer (&message->multi));
      else
        _relay_submit_send (request, message->destination, g_steal_pointer (&message->send));
    }
  _relay_request_unref (request);
}

static void
conn_handle_acks (RelayConn          *conn,
                  RelayClientMessage *message)
{
  for (guint i = 0; i < message->guids->len; i++)
    {
      const RelayGuid *guid = &g_array_index (message->guids, RelayGuid, i);

      if (g_hash_table_remove (conn->inflight, guid->text))
        _relay_conn_schedule (conn);
      queue_ack (conn, guid);
    }
}

/* A message that cannot be decoded is answered as the response to its
 * send when its id could be read, and as an error message otherwise. */
static void
conn_handle_message (RelayConn  *conn,
                     const char *data,
                     gsize       length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayClientMessage) message = NULL;
  gint64 failed_id;

  message = relay_client_message_parse (data, length, conn->server->config->max_envelope_bytes,
                                        &failed_id, &error);
  if (message == NULL && failed_id >= 0)
    {
      RelayRequest *request = conn_request_new (conn, failed_id);

      _relay_respond_api_error (request, error);
      _relay_request_unref (request);
    }
  else if (message == NULL)
    conn_send_error (conn, relay_api_error_name ((RelayApiError) error->code), error->message);
  else if (message->kind == RELAY_CLIENT_MESSAGE_ACK)
    conn_handle_acks (conn, message);
  else
    conn_handle_send (conn, message);
}

/* A data frame: a whole message, or a fragment of one. */
static void
conn_take_data (RelayConn          *conn,
                const RelayWsEvent *event)
{
  if (!conn->authenticated)
    {
      _relay_conn_close (conn, RELAY_WS_CLOSE_POLICY, "not-authenticated-yet");
      return;
    }
  if (event->opcode != RELAY_WS_OPCODE_TEXT)
    {
      _relay_conn_close (conn, RELAY_WS_CLOSE_UNACCEPTABLE, "text-only");
      return;
    }
  /* Most messages arrive whole, in one frame, and are read where they
   * are; only fragments are gathered first. */
  if (event->final && conn->rx->len == 0)
    {
      conn_handle_message (conn, (const char *) event->payload, event->length);
      return;
    }
  g_byte_array_append (conn->rx, event->payload, (guint) event->length);
  if (event->final)
    {
      conn_handle_message (conn, (const char *) conn->rx->data, conn->rx->len);
      g_byte_array_set_size (conn->rx, 0);
    }
}

static void
conn_take_event (RelayConn          *conn,
                 const RelayWsEvent *event)
{
  switch (event->kind)
    {
    case RELAY_WS_EVENT_DATA:
      conn_take_data (conn, event);
      break;
    case RELAY_WS_EVENT_PING:
      /* Only the latest ping needs its pong (RFC 6455, 5.5.3), so pings
       * cannot grow the output. */
      memcpy (conn->pong, event->payload, event->length);
      conn->pong_length = event->length;
      conn->pong_waiting = TRUE;
      _relay_conn_schedule (conn);
      break;
    case RELAY_WS_EVENT_CLOSE:
      /* The answer repeats the client's code (5.5.1). */
      conn->peer_closed = TRUE;
      _relay_conn_close (conn, event->close_code == RELAY_WS_CLOSE_NO_STATUS ? RELAY_WS_CLOSE_NORMAL
                                                                            : event->close_code, "");
      break;
    case RELAY_WS_EVENT_PONG:
    default:
      break;
    }
}

/* Reads the frames that have arrived whole, until the connection closes
 * or stops reading while too many of its requests wait for answers. */
static void
conn_read (RelayConn *conn)
{
  gsize taken = 0;

  conn->read_waiting = FALSE;
  while (!conn->closing && taken < conn->input->len)
    {
      RelayWsEvent event;
      gint64 n;

      if (conn->rx_paused)
        {
          conn->read_waiting = TRUE;
          break;
        }
      n = relay_ws_reader_next (&conn->reader, conn->input->data + taken, conn->input->len - taken, &event);
      if (n == 0)
        break;
      if (n < 0)
        {
          _relay_conn_close (conn, relay_ws_error_close_code ((RelayWsError) n),
                             relay_ws_error_reason ((RelayWsError) n));
          break;
        }
      taken += (gsize) n;
      conn_take_event (conn, &event);
    }
  /* Nothing a closing connection sends is read. */
  if (conn->closing)
    g_byte_array_set_size (conn->input, 0);
  else
    g_byte_array_remove_range (conn->input, 0, (guint) taken);
}

void
_relay_on_ws_receive (Session      *session,
                      const guint8 *data,
                      gsize         length)
{
  RelayConn *conn = session->conn;

  if (conn == NULL || conn->closing)
    return;
  _relay_liveness_heard (conn);
  g_byte_array_append (conn->input, data, (guint) length);
  conn_read (conn);
}

/* Whether the next frame may go out now: envelopes wait while the window
 * of unacknowledged ones is full. */
static gboolean
conn_may_write (RelayConn *conn,
                Frame     *frame)
{
  return frame->guid == NULL ||
         g_hash_table_size (conn->inflight) < conn->server->config->websocket_unacked;
}

/* Frames go out several at a time: they are framed here and written as
 * raw bytes in one write.  Written one by one, through lws, each would
 * cost a writeable callback, a system call and two changes to the poll
 * set.  A batch only grows past WEBSOCKET_WRITE_BATCH with its first
 * frame; lws keeps whatever the socket does not take and writes it
 * before calling back again. */
int
_relay_on_ws_writeable (struct lws *wsi,
                        Session    *session)
{
  RelayConn *conn = session->conn;
  guint8 header[RELAY_WS_MAX_SERVER_HEADER];
  GByteArray *batch;
  RelayServer *self;
  Frame *frame;
  gsize length;
  gint64 now;

  if (conn == NULL)
    return 0;
  self = conn->server;
  if (conn->read_waiting && !conn->rx_paused && !conn->closing)
    conn_read (conn);
  if (conn->closing)
    return conn_write_close (conn, wsi);
  /* lws copies whatever the socket does not take, so one buffer serves
   * every connection. */
  batch = self->ws_batch;
  g_byte_array_set_size (batch, LWS_PRE);
  now = _relay_now_ms ();
  while ((frame = g_queue_peek_head (&conn->out)) != NULL && conn_may_write (conn, frame) &&
         (batch->len == LWS_PRE ||
          batch->len - LWS_PRE + RELAY_WS_MAX_SERVER_HEADER + frame->length <= WEBSOCKET_WRITE_BATCH))
    {
      conn_pop_frame (conn);
      /* An envelope that expired while it waited for the socket is not
       * delivered; the sweep deletes it from storage. */
      if (frame->expires_at != 0 && frame->expires_at <= now)
        {
          g_free (frame);
          continue;
        }
      if (!frame->raw)
        g_byte_array_append (batch, header,
                             (guint) relay_ws_frame_header_write (header, RELAY_WS_OPCODE_TEXT, frame->length));
      g_byte_array_append (batch, (const guint8 *) frame->data, (guint) frame->length);
      if (frame->guid != NULL)
        g_hash_table_add (conn->inflight, g_strdup (frame->guid));
      if (frame->response)
        conn_answered (conn);
      g_free (frame);
    }
  /* A pong may go between any two frames (RFC 6455, 5.4); the handshake
   * is written first, as the socket's first batch. */
  if (conn->pong_waiting)
    {
      g_byte_array_append (batch, header,
                           (guint) relay_ws_frame_header_write (header, RELAY_WS_OPCODE_PONG, conn->pong_length));
      g_byte_array_append (batch, conn->pong, (guint) conn->pong_length);
      conn->pong_waiting = FALSE;
    }
  /* An empty ping: any answer at all shows the client is there. */
  if (conn->ping_waiting)
    {
      g_byte_array_append (batch, header, (guint) relay_ws_frame_header_write (header, RELAY_WS_OPCODE_PING, 0));
      conn->ping_waiting = FALSE;
    }
  length = batch->len - LWS_PRE;
  if (length == 0)
    {
      /* Called only to read what waited: nothing is left to write. */
      if (conn->out.length == 0)
        relay_slot_output_progress (wsi_slot (wsi), lws_partial_buffered (wsi));
      return 0;
    }
  if (lws_write (wsi, batch->data + LWS_PRE, length, LWS_WRITE_RAW) < (int) length)
    return -1;

  if (conn->need_fetch && !conn->fetching && conn->out.length <= self->config->websocket_send_queue / 2 &&
      conn->out_bytes <= self->config->websocket_buffer_bytes / 2)
    conn_start_fetch (conn);
  start_waiting_fetches (self);
  relay_slot_output_progress (wsi_slot (wsi), conn->out.length > 0 || lws_partial_buffered (wsi));
  if (conn->out.length > 0)
    lws_callback_on_writable (wsi);
  return 0;
}

void
_relay_on_ws_closed (RelayServer *self,
                     Session     *session)
{
  RelayConn *conn = session->conn;

  if (conn == NULL)
    return;
  session->conn = NULL;
  conn->wsi = NULL;
  _relay_liveness_forget (conn);
  if (conn->key != NULL && g_hash_table_lookup (self->devices, conn->key) == conn)
    g_hash_table_remove (self->devices, conn->key);
  g_hash_table_remove (self->websockets, conn);
  self->metrics.websocket_connections--;
  /* What it never wrote gives its room back now, to whichever fetch
   * waits for it, rather than when the last task lets go of it. */
  while (conn->out.length > 0)
    g_free (conn_pop_frame (conn));
  start_waiting_fetches (self);
  _relay_conn_unref (conn);
}
