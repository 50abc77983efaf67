/* scripted-relay.c: a relay that answers what a test tells it to
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "scripted-relay.h"

/* A streamed answer is written in chunks of one static buffer, so that
 * its size costs neither the test's memory nor its time to make. */
#define STREAM_CHUNK_BYTES (64 * 1024)

static const char filler[STREAM_CHUNK_BYTES];

static void
append_next_chunk (SoupServerMessage *message,
                   ScriptedRelay     *relay)
{
  SoupMessageBody *body = soup_server_message_get_response_body (message);
  guint64 left = relay->streamed_size - relay->bytes_streamed;
  gsize len = MIN (left, STREAM_CHUNK_BYTES);

  if (len == 0)
    {
      soup_message_body_complete (body);
      return;
    }

  /* Counted as it is handed over: what the client never read stays
   * here, and the count tells the test how far the client went. */
  relay->bytes_streamed += len;
  soup_message_body_append (body, SOUP_MEMORY_STATIC, filler, len);
}

static void
stream_answer (ScriptedRelay     *relay,
               SoupServerMessage *message)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);

  relay->bytes_streamed = 0;
  soup_server_message_set_status (message, relay->status, NULL);
  soup_message_headers_set_content_type (headers, "application/json", NULL);
  if (relay->streamed_with_length)
    soup_message_headers_set_content_length (headers, relay->streamed_size);
  else
    soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);

  soup_message_body_set_accumulate (soup_server_message_get_response_body (message), FALSE);
  g_signal_connect (message, "wrote-chunk", G_CALLBACK (append_next_chunk), relay);
  append_next_chunk (message, relay);
}

/* An answer for the requests of one method whose path starts with
 * @prefix: the next @times of them, or all for 0.  A @status of 0 drops
 * the connection without an answer. */
typedef struct
{
  char *method;
  char *prefix;
  guint times;
  guint status;
  char *reply;
} Route;

static void
route_free (Route *route)
{
  g_free (route->method);
  g_free (route->prefix);
  g_free (route->reply);
  g_free (route);
}

static Route *
find_route (ScriptedRelay *relay,
            const char    *method,
            const char    *path)
{
  for (guint i = 0; i < relay->routes->len; i++)
    {
      Route *route = g_ptr_array_index (relay->routes, i);

      if (g_str_equal (route->method, method) && g_str_has_prefix (path, route->prefix))
        return route;
    }

  return NULL;
}

static void
http_cb (SoupServer        *server,
         SoupServerMessage *message,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  ScriptedRelay *relay = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (message);
  Route *route;

  g_free (relay->authorization);
  relay->authorization = g_strdup (soup_message_headers_get_one (soup_server_message_get_request_headers (message),
                                                                 "Authorization"));
  g_free (relay->last_body);
  relay->last_body = g_strndup (body->data, body->length);
  g_ptr_array_add (relay->requests, g_strdup_printf ("%s %s", soup_server_message_get_method (message), path));
  g_ptr_array_add (relay->bodies, g_strdup (relay->last_body));

  route = find_route (relay, soup_server_message_get_method (message), path);
  if (route != NULL)
    {
      guint status = route->status;
      g_autofree char *reply = g_strdup (route->reply);

      if (route->times > 0 && --route->times == 0)
        g_ptr_array_remove (relay->routes, route);

      if (status == 0)
        {
          g_autoptr(GIOStream) stream = soup_server_message_steal_connection (message);

          g_io_stream_close (stream, NULL, NULL);
          return;
        }

      soup_server_message_set_status (message, status, NULL);
      soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, reply, strlen (reply));
      return;
    }

  if (relay->streamed_size > 0)
    {
      stream_answer (relay, message);
      return;
    }

  soup_server_message_set_status (message, relay->status, NULL);
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY,
                                    relay->reply, strlen (relay->reply));
}

static void
socket_message_cb (SoupWebsocketConnection *socket,
                   gint                     type,
                   GBytes                  *message,
                   gpointer                 user_data)
{
  ScriptedRelay *relay = user_data;
  gsize len;
  const char *data = g_bytes_get_data (message, &len);

  g_ptr_array_add (relay->acks, g_strndup (data, len));
}

static void
websocket_cb (SoupServer              *server,
              SoupServerMessage       *message,
              const char              *path,
              SoupWebsocketConnection *socket,
              gpointer                 user_data)
{
  ScriptedRelay *relay = user_data;
  guint index = relay->n_connections++;

  g_signal_connect (socket, "message", G_CALLBACK (socket_message_cb), relay);
  g_ptr_array_add (relay->sockets, g_object_ref (socket));

  /* The relay's own limit on what it takes from a client must not keep
   * it from sending the client more. */
  soup_websocket_connection_set_max_incoming_payload_size (socket, 0);

  if (index < relay->scripts->len)
    {
      GPtrArray *frames = g_ptr_array_index (relay->scripts, index);

      for (guint i = 0; i < frames->len; i++)
        soup_websocket_connection_send_message (socket, SOUP_WEBSOCKET_DATA_TEXT,
                                                g_ptr_array_index (frames, i));
    }
}

ScriptedRelay *
scripted_relay_new (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;
  ScriptedRelay *relay = g_new0 (ScriptedRelay, 1);

  relay->server = soup_server_new (NULL, NULL);
  relay->sockets = g_ptr_array_new_with_free_func (g_object_unref);
  relay->acks = g_ptr_array_new_with_free_func (g_free);
  relay->scripts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  relay->requests = g_ptr_array_new_with_free_func (g_free);
  relay->bodies = g_ptr_array_new_with_free_func (g_free);
  relay->routes = g_ptr_array_new_with_free_func ((GDestroyNotify) route_free);
  relay->status = 200;
  relay->reply = g_strdup ("{}");

  soup_server_add_websocket_handler (relay->server, "/v1/websocket", NULL, NULL,
                                     websocket_cb, relay, NULL);
  soup_server_add_handler (relay->server, "/v1", http_cb, relay, NULL);
  soup_server_listen_local (relay->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (relay->server);
  g_assert_nonnull (uris);
  relay->url = g_uri_to_string (uris->data);
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);

  return relay;
}

void
scripted_relay_free (ScriptedRelay *relay)
{
  for (guint i = 0; i < relay->sockets->len; i++)
    {
      SoupWebsocketConnection *socket = g_ptr_array_index (relay->sockets, i);

      g_signal_handlers_disconnect_by_data (socket, relay);
      if (soup_websocket_connection_get_state (socket) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (socket, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    }
  g_ptr_array_unref (relay->sockets);
  g_ptr_array_unref (relay->acks);
  g_ptr_array_unref (relay->scripts);
  g_ptr_array_unref (relay->requests);
  g_ptr_array_unref (relay->bodies);
  g_ptr_array_unref (relay->routes);
  soup_server_disconnect (relay->server);
  g_object_unref (relay->server);
  g_free (relay->url);
  g_free (relay->authorization);
  g_free (relay->last_body);
  g_free (relay->reply);
  g_free (relay);
}

void
scripted_relay_set_reply (ScriptedRelay *relay,
                          guint          status,
                          const char    *reply)
{
  relay->status = status;
  relay->streamed_size = 0;
  g_free (relay->reply);
  relay->reply = g_strdup (reply);
}

void
scripted_relay_stream_reply (ScriptedRelay *relay,
                             guint64        size,
                             gboolean       with_length)
{
  relay->status = 200;
  relay->streamed_size = size;
  relay->streamed_with_length = with_length;
}

/* Adds the script of the next socket: the frames it is greeted with, as
 * text, in order. */
void
scripted_relay_script_socket (ScriptedRelay *relay,
                              GBytes        *first_frame,
                              ...)
{
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  va_list args;

  va_start (args, first_frame);
  for (GBytes *frame = first_frame; frame != NULL; frame = va_arg (args, GBytes *))
    g_ptr_array_add (frames, g_bytes_ref (frame));
  va_end (args);

  g_ptr_array_add (relay->scripts, frames);
}

/* Answers the next @times requests (all for 0) of @method under
 * @prefix with @reply and @status, or with a dropped connection for a
 * @status of 0.  Routes added earlier are tried first. */
void
scripted_relay_route (ScriptedRelay *relay,
                      const char    *method,
                      const char    *prefix,
                      guint          times,
                      guint          status,
                      const char    *reply)
{
  Route *route = g_new0 (Route, 1);

  route->method = g_strdup (method);
  route->prefix = g_strdup (prefix);
  route->times = times;
  route->status = status;
  route->reply = g_strdup (reply != NULL ? reply : "{}");
  g_ptr_array_add (relay->routes, route);
}

/* How many requests began with @request_prefix ("PUT /v1/messages/"). */
guint
scripted_relay_count_requests (ScriptedRelay *relay,
                               const char    *request_prefix)
{
  guint n = 0;

  for (guint i = 0; i < relay->requests->len; i++)
    n += g_str_has_prefix (g_ptr_array_index (relay->requests, i), request_prefix);

  return n;
}
