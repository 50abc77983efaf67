/* sotto-relay-client-socket.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-relay-client"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-bounded-input-private.h"
#include "sotto-relay-client-internal-private.h"

/* The delivery socket: one WebSocket that the relay pushes envelopes
 * through, and that sends are pipelined on while it is open.  The
 * socket is kept open for as long as the caller wants it: after a
 * failure it is opened again after a delay that doubles with every
 * failed attempt, up to a minute, and is drawn at random from the upper
 * half of that interval so that many clients cut off at once do not
 * come back at once.  A network that comes back, as GNetworkMonitor
 * reports it, ends the wait at once. */

#define RECONNECT_BASE_MS 250
#define RECONNECT_MAX_MS 60000
/* How long a socket must stay up after "queue-empty" before the next
 * failure starts the backoff from the beginning: twice the keepalive, so
 * the socket has shown it carries pings both ways. */
#define STABLE_CONNECTION_SECONDS 60

/* The relay's own limits: a request of at most 64 envelopes of at most
 * 256 KiB, which base64 and JSON make a good third larger. */
#define MAX_INCOMING_PAYLOAD (1024 * 1024)
#define KEEPALIVE_SECONDS 30

/* The relay takes at most this many GUIDs in one acknowledgement. */
#define MAX_ACK_GUIDS 256

/* A send made on the socket and not answered yet. */

typedef struct
{
  SottoRelayClient *client;
  GTask *task;
  gint64 id;
  guint timeout_source;
} SocketSend;

static void sotto_relay_client_open_socket (SottoRelayClient *self);

/* Sends on the delivery socket */

static gboolean
sotto_relay_client_socket_is_open (SottoRelayClient *self)
{
  return self->socket != NULL
         && soup_websocket_connection_get_state (self->socket) == SOUP_WEBSOCKET_STATE_OPEN;
}

/* Sends the object @builder holds on the socket, if it is open. */
static void
sotto_relay_client_send_message (SottoRelayClient *self,
                                 JsonBuilder      *builder)
{
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  if (!sotto_relay_client_socket_is_open (self))
    return;

  generator = json_generator_new ();
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);

  soup_websocket_connection_send_text (self->socket, text);
}

static void
socket_send_free (SocketSend *send)
{
  g_clear_handle_id (&send->timeout_source, g_source_remove);
  g_clear_object (&send->task);
  g_free (send);
}

/* The table of sends the socket took and did not answer, by id. */
GHashTable *
_sotto_relay_socket_sends_new (void)
{
  return g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                (GDestroyNotify) socket_send_free);
}

/**
 * sotto_relay_client_can_pipeline:
 * @self: a #SottoRelayClient
 *
 * Whether sends go over the delivery socket now, where many may be in
 * flight at once and the relay stores them in the order they were made:
 * the socket is open, and the relay has accepted the credentials (its
 * first message came).  Over HTTP each send is a request of its own, and requests may
 * overtake each other.
 *
 * Returns: %TRUE while the delivery socket is open
 */
gboolean
sotto_relay_client_can_pipeline (SottoRelayClient *self)
{
  g_return_val_if_fail (SOTTO_IS_RELAY_CLIENT (self), FALSE);

  return self->socket_authenticated && sotto_relay_client_socket_is_open (self);
}

static int
compare_socket_sends (gconstpointer a,
                      gconstpointer b)
{
  const SocketSend *x = a;
  const SocketSend *y = b;

  return x->id < y->id ? -1 : x->id > y->id;
}

/* Fails every send the socket took and did not answer: the socket is
 * gone, and with it the answers. */
static void
sotto_relay_client_fail_socket_sends (SottoRelayClient *self)
{
  g_autoptr(GHashTable) sends = NULL;
  g_autoptr(GList) values = NULL;

  if (self->socket_sends == NULL || g_hash_table_size (self->socket_sends) == 0)
    return;

  /* The callbacks may send again, and must find the table empty. */
  sends = g_steal_pointer (&self->socket_sends);
  self->socket_sends = _sotto_relay_socket_sends_new ();

  /* In the order they were made, so that their callers see the same
   * order as the relay would have. */
  values = g_list_sort (g_hash_table_get_values (sends), compare_socket_sends);
  for (GList *l = values; l != NULL; l = l->next)
    {
      SocketSend *send = l->data;

      g_task_return_new_error (send->task, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE,
                               _("The connection to the relay closed before it answered"));
    }
}

static gboolean
socket_send_timeout_cb (gpointer user_data)
{
  SocketSend *send = user_data;
  SottoRelayClient *self = send->client;

  send->timeout_source = 0;
  g_hash_table_steal (self->socket_sends, &send->id);
  g_task_return_new_error (send->task, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE,
                           _("The relay did not answer in time"));
  socket_send_free (send);

  return G_SOURCE_REMOVE;
}

void
_sotto_relay_client_send_on_socket (SottoRelayClient *self,
                                    GTask            *task,
                                    const char       *uuid,
                                    gint64            timestamp,
                                    GPtrArray        *envelopes)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  SocketSend *send;

  send = g_new0 (SocketSend, 1);
  send->client = self;
  send->task = g_object_ref (task);
  send->id = self->next_send_id++;
  send->timeout_source = g_timeout_add_seconds (SOTTO_RELAY_REQUEST_TIMEOUT_SECONDS, socket_send_timeout_cb, send);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "send");
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, send->id);
  json_builder_set_member_name (builder, "destination");
  json_builder_add_string_value (builder, uuid);
  _sotto_relay_json_add_send (builder, timestamp, envelopes);
  json_builder_end_object (builder);

  g_hash_table_insert (self->socket_sends, &send->id, send);
  sotto_relay_client_send_message (self, builder);
}

/* The relay's answer to a send made on the socket: what the same HTTP
 * request would have got, so it completes the task the same way. */
static void
sotto_relay_client_handle_response (SottoRelayClient *self,
                                    JsonObject       *object)
{
  g_autoptr(GError) error = NULL;
  SocketSend *send;
  JsonObject *body;
  gint64 status;
  gint64 id;

  if (!_sotto_relay_json_get_int (object, "id", 0, G_MAXINT64, &id)
      || !g_hash_table_steal_extended (self->socket_sends, &id, NULL, (gpointer *) &send))
    {
      g_debug ("Ignoring a response to no send of this connection");
      return;
    }

  body = _sotto_relay_json_get_object (object, "body");
  if (!_sotto_relay_json_get_int (object, "status", 100, 599, &status))
    {
      _sotto_relay_set_bad_response (&error, "response");
      g_task_return_error (send->task, g_steal_pointer (&error));
    }
  else if (SOUP_STATUS_IS_SUCCESSFUL (status) && body == NULL)
    {
      _sotto_relay_set_bad_response (&error, "not a JSON object");
      g_task_return_error (send->task, g_steal_pointer (&error));
    }
  else if (SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_task_return_pointer (send->task, json_object_ref (body), (GDestroyNotify) json_object_unref);
    }
  else
    {
      /* As a refused request keeps it, for the device lists. */
      if (body != NULL)
        {
          SottoRelayRequest *request = g_new0 (SottoRelayRequest, 1);

          request->refusal = json_object_ref (body);
          g_task_set_task_data (send->task, request, (GDestroyNotify) _sotto_relay_request_free);
        }
      _sotto_relay_error_from_response (status, body, &error);
      g_task_return_error (send->task, g_steal_pointer (&error));
    }

  socket_send_free (send);
}

/* The delivery socket */

static gboolean
sotto_relay_client_network_usable (SottoRelayClient *self)
{
  /* A relay on this machine needs no network; GNetworkMonitor may well
   * say there is none inside a sandbox or a test container. */
  return self->loopback || g_network_monitor_get_network_available (self->monitor);
}

static gboolean
sotto_relay_client_retry_cb (gpointer user_data)
{
  SottoRelayClient *self = user_data;

  self->retry_source = 0;
  sotto_relay_client_open_socket (self);

  return G_SOURCE_REMOVE;
}

static void
sotto_relay_client_schedule_retry (SottoRelayClient *self)
{
  guint delay;

  g_assert (self->retry_source == 0);

  if (!self->wanted)
    return;

  /* Without a network the next attempt waits for GNetworkMonitor. */
  if (!sotto_relay_client_network_usable (self))
    return;

  /* Only a socket that worked from end to end and then stayed up a
   * while earns a fresh start: a relay that greets every socket with
   * "queue-empty" and drops it must still be asked less and less often. */
  if (self->queue_empty_at != 0
      && g_get_monotonic_time () - self->queue_empty_at >= STABLE_CONNECTION_SECONDS * G_USEC_PER_SEC)
    self->attempts = 0;
  self->queue_empty_at = 0;

  delay = RECONNECT_BASE_MS << MIN (self->attempts, 16);
  delay = MIN (delay, RECONNECT_MAX_MS);
  delay = delay / 2 + g_random_int_range (0, delay / 2 + 1);
  self->attempts++;

  g_debug ("Connecting to the relay again in %u ms", delay);
  self->retry_source = g_timeout_add_full (G_PRIORITY_DEFAULT, delay,
                                           sotto_relay_client_retry_cb, self, NULL);
}

static void
sotto_relay_client_drop_socket (SottoRelayClient *self)
{
  if (self->socket != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->socket, self);
      if (soup_websocket_connection_get_state (self->socket) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->socket, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_clear_object (&self->socket);
    }

  self->socket_authenticated = FALSE;
  sotto_relay_client_fail_socket_sends (self);
}

static void
sotto_relay_client_handle_envelope (SottoRelayClient *self,
                                    JsonObject       *object)
{
  g_autoptr(SottoRelayEnvelope) envelope = g_new0 (SottoRelayEnvelope, 1);
  const char *guid = _sotto_relay_json_get_string (object, "guid");
  const char *source = _sotto_relay_json_get_string (object, "source");
  gint64 type;
  gint64 source_device = 0;
  gint64 timestamp;
  gint64 server_timestamp;
  gboolean sealed = FALSE;
  JsonNode *online = json_object_get_member (object, "online");

  /* An online-only envelope is stored nowhere and has no guid; every
   * other one has one to be acknowledged by. */
  envelope->online = online != NULL && JSON_NODE_HOLDS_VALUE (online)
                     && json_node_get_value_type (online) == G_TYPE_BOOLEAN
                     && json_node_get_boolean (online);

  /* A sealed sender envelope names no sender: the sealed message inside
   * does (sotto-sealed-sender.c); every other one must. */
  if ((guid == NULL) != envelope->online
      || !_sotto_relay_json_get_int (object, "envelopeType", 1, 8, &type)
      || ((sealed = type == SOTTO_RELAY_ENVELOPE_TYPE_SEALED)
          ? json_object_has_member (object, "source") || json_object_has_member (object, "sourceDevice")
          : (source == NULL || !g_uuid_string_is_valid (source)
             || !_sotto_relay_json_get_int (object, "sourceDevice", 1, 127, &source_device)))
      || !_sotto_relay_json_get_int (object, "timestamp", 0, G_MAXINT64, &timestamp)
      || !_sotto_relay_json_get_int (object, "serverTimestamp", 0, G_MAXINT64, &server_timestamp)
      || (envelope->content = _sotto_relay_json_get_base64_bytes (object, "content")) == NULL)
    {
      /* Never acknowledged, so the relay keeps it; a newer client may
       * understand it. */
      g_debug ("Ignoring an envelope that does not follow the relay API");
      return;
    }

  envelope->guid = g_strdup (guid);
  envelope->type = type;
  envelope->source = sealed ? NULL : g_ascii_strdown (source, -1);
  envelope->source_device = sealed ? 0 : source_device;
  envelope->timestamp = timestamp;
  envelope->server_timestamp = server_timestamp;

  _sotto_relay_client_emit_envelope (self, envelope);
}

static void
sotto_relay_client_socket_message_cb (SoupWebsocketConnection *socket,
                                      gint                     type,
                                      GBytes                  *message,
                                      gpointer                 user_data)
{
  SottoRelayClient *self = user_data;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;
  const char *kind;
  const char *data;
  gsize len;

  g_assert (SOTTO_IS_RELAY_CLIENT (self));

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    return;

  data = g_bytes_get_data (message, &len);
  object = _sotto_json_parse_object (data, len, &error);
  if (object == NULL)
    {
      g_debug ("Ignoring a relay message: %s", error->message);
      return;
    }

  kind = _sotto_relay_json_get_string (object, "type");
  if (kind == NULL)
    return;

  if (!g_str_equal (kind, "close") && !g_str_equal (kind, "error"))
    self->socket_authenticated = TRUE;

  if (g_str_equal (kind, "envelope"))
    {
      sotto_relay_client_handle_envelope (self, object);
    }
  else if (g_str_equal (kind, "queue-empty"))
    {
      /* The socket works from end to end; if it also stays up
       * (sotto_relay_client_schedule_retry()), the next failure starts
       * the backoff from the beginning. */
      if (self->queue_empty_at == 0)
        self->queue_empty_at = g_get_monotonic_time ();
      _sotto_relay_client_emit_queue_empty (self);
    }
  else if (g_str_equal (kind, "response"))
    {
      sotto_relay_client_handle_response (self, object);
    }
  else if (g_str_equal (kind, "keys-low"))
    {
      _sotto_relay_client_emit_keys_low (self);
    }
  else if (g_str_equal (kind, "error") || g_str_equal (kind, "close"))
    {
      const char *reason = _sotto_relay_json_get_string (object, "reason");
      const char *text = _sotto_relay_json_get_string (object, "message");

      g_debug ("The relay says: %s %s", kind,
               reason != NULL ? reason : (text != NULL ? text : ""));
    }
}

static void
sotto_relay_client_socket_closed_cb (SoupWebsocketConnection *socket,
                                     gpointer                 user_data)
{
  SottoRelayClient *self = user_data;

  g_assert (SOTTO_IS_RELAY_CLIENT (self));

  g_debug ("The delivery socket closed (%u)", soup_websocket_connection_get_close_code (socket));

  sotto_relay_client_drop_socket (self);
  _sotto_relay_client_set_connection (self, SOTTO_RELAY_CONNECTION_OFFLINE);
  sotto_relay_client_schedule_retry (self);
}

static void
sotto_relay_client_socket_error_cb (SoupWebsocketConnection *socket,
                                    GError                  *error,
                                    gpointer                 user_data)
{
  g_debug ("The delivery socket failed: %s", error->message);
}

static void
sotto_relay_client_connect_cb (GObject      *object,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  g_autoptr(SottoRelayClient) self = user_data;
  g_autoptr(SoupWebsocketConnection) socket = NULL;
  g_autoptr(GError) error = NULL;

  socket = soup_session_websocket_connect_finish (SOUP_SESSION (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->connect_cancellable);

  if (socket == NULL)
    {
      g_debug ("Could not open the delivery socket: %s", error->message);
      _sotto_relay_client_set_connection (self, SOTTO_RELAY_CONNECTION_OFFLINE);
      sotto_relay_client_schedule_retry (self);
      return;
    }

  soup_websocket_connection_set_max_incoming_payload_size (socket, MAX_INCOMING_PAYLOAD);
  soup_websocket_connection_set_keepalive_interval (socket, KEEPALIVE_SECONDS);

  g_signal_connect (socket, "message", G_CALLBACK (sotto_relay_client_socket_message_cb), self);
  g_signal_connect (socket, "closed", G_CALLBACK (sotto_relay_client_socket_closed_cb), self);
  g_signal_connect (socket, "error", G_CALLBACK (sotto_relay_client_socket_error_cb), self);

  self->socket = g_steal_pointer (&socket);
  _sotto_relay_client_set_connection (self, SOTTO_RELAY_CONNECTION_CONNECTED);
}

static void
sotto_relay_client_open_socket (SottoRelayClient *self)
{
  g_autoptr(SoupMessage) message = NULL;

  g_assert (SOTTO_IS_RELAY_CLIENT (self));

  if (!self->wanted
      || self->socket != NULL
      || self->connect_cancellable != NULL
      || self->retry_source != 0
      || self->authorization == NULL)
    return;

  if (!sotto_relay_client_network_usable (self))
    {
      _sotto_relay_client_set_connection (self, SOTTO_RELAY_CONNECTION_OFFLINE);
      return;
    }

  message = soup_message_new ("GET", self->websocket_url);
  soup_message_headers_replace (soup_message_get_request_headers (message),
                                "Authorization", self->authorization);

  self->connect_cancellable = g_cancellable_new ();
  self->queue_empty_at = 0;
  _sotto_relay_client_set_connection (self, SOTTO_RELAY_CONNECTION_CONNECTING);

  soup_session_websocket_connect_async (self->session, message, NULL, NULL,
                                        G_PRIORITY_DEFAULT, self->connect_cancellable,
                                        sotto_relay_client_connect_cb,
                                        g_object_ref (self));
}

void
_sotto_relay_client_network_changed_cb (SottoRelayClient *self,
                                        gboolean          available,
                                        GNetworkMonitor  *monitor)
{
  g_assert (SOTTO_IS_RELAY_CLIENT (self));

  if (!self->wanted || !available || self->socket != NULL || self->connect_cancellable != NULL)
    return;

  /* The network is back: whatever made the last attempt fail may be
   * gone, so try now rather than after the backoff. */
  g_clear_handle_id (&self->retry_source, g_source_remove);
  self->attempts = 0;
  sotto_relay_client_open_socket (self);
}

/**
 * sotto_relay_client_connect:
 * @self: a #SottoRelayClient
 *
 * Opens the delivery socket and keeps it open until
 * sotto_relay_client_disconnect(): after every failure it is opened
 * again.  Envelopes arrive through #SottoRelayClient::envelope.
 */
void
sotto_relay_client_connect (SottoRelayClient *self)
{
  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (self->authorization != NULL);

  if (self->wanted)
    return;

  self->wanted = TRUE;
  self->attempts = 0;
  sotto_relay_client_open_socket (self);
}

/**
 * sotto_relay_client_disconnect:
 * @self: a #SottoRelayClient
 *
 * Closes the delivery socket.  Envelopes that were not acknowledged are
 * delivered again on the next connection.
 */
void
sotto_relay_client_disconnect (SottoRelayClient *self)
{
  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));

  self->wanted = FALSE;
  g_clear_handle_id (&self->retry_source, g_source_remove);
  g_cancellable_cancel (self->connect_cancellable);
  g_clear_object (&self->connect_cancellable);
  sotto_relay_client_drop_socket (self);
  _sotto_relay_client_set_connection (self, SOTTO_RELAY_CONNECTION_OFFLINE);
}

/**
 * sotto_relay_client_acknowledge:
 * @self: a #SottoRelayClient
 * @guid: the envelope's guid
 *
 * Tells the relay that an envelope is stored and can be deleted.  Call
 * it only once the envelope's contents are safely on disk.  Without an
 * open socket the acknowledgement is dropped: the relay delivers the
 * envelope again, and the caller recognises it.
 */
void
sotto_relay_client_acknowledge (SottoRelayClient *self,
                                const char       *guid)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (guid != NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "ack");
  json_builder_set_member_name (builder, "guid");
  json_builder_add_string_value (builder, guid);
  json_builder_end_object (builder);

  sotto_relay_client_send_message (self, builder);
}

/**
 * sotto_relay_client_acknowledge_all:
 * @self: a #SottoRelayClient
 * @guids: (array length=n_guids): the envelopes' guids
 * @n_guids: how many
 *
 * Like sotto_relay_client_acknowledge(), for many envelopes in as few
 * messages as the relay allows.
 */
void
sotto_relay_client_acknowledge_all (SottoRelayClient   *self,
                                    const char * const *guids,
                                    guint               n_guids)
{
  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (guids != NULL || n_guids == 0);

  for (guint start = 0; start < n_guids; start += MAX_ACK_GUIDS)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "ack");
      json_builder_set_member_name (builder, "guids");
      json_builder_begin_array (builder);
      for (guint i = start; i < MIN (n_guids, start + MAX_ACK_GUIDS); i++)
        json_builder_add_string_value (builder, guids[i]);
      json_builder_end_array (builder);
      json_builder_end_object (builder);

      sotto_relay_client_send_message (self, builder);
    }
}
