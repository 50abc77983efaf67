/* relay-server-http.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HTTP requests as libwebsockets hands them over, and their answers:
 * the request line and headers, the body, and the answer written in one
 * piece.
 */

#include "config.h"

#include <json-glib/json-glib.h>
#include <libwebsockets.h>
#include <sodium.h>
#include <string.h>

#include "relay-server-private.h"

/* Objects and their references. */

RelayRequest *
_relay_request_ref (RelayRequest *request)
{
  request->refcount++;
  return request;
}

void
_relay_request_unref (RelayRequest *request)
{
  if (--request->refcount > 0)
    return;
  g_strfreev (request->segments);
  if (request->authorization != NULL)
    sodium_memzero (request->authorization, strlen (request->authorization));
  g_free (request->authorization);
  g_clear_pointer (&request->body, g_byte_array_unref);
  g_free (request->response);
  if (request->conn != NULL)
    _relay_conn_unref (request->conn);
  else
    relay_credentials_free (request->credentials);
  g_free (request);
}

/* Whether the client that made the request can still read its answer. */
gboolean
_relay_request_attached (RelayRequest *request)
{
  if (request->conn != NULL)
    return request->conn->wsi != NULL && !request->conn->closing;
  return request->wsi != NULL;
}

/* Cuts the request loose from its connection, either because its answer
 * has been written or because the client went away. */
static void
request_detach (RelayRequest *request)
{
  if (request->wsi != NULL)
    {
      request->wsi = NULL;
      request->server->active_requests--;
    }
  _relay_request_unref (request);
}

/* Answers.  Over HTTP the answer waits in the request for the socket;
 * over the WebSocket it is queued as a "response" message. */

void
_relay_respond_raw (RelayRequest *request,
                    guint         status,
                    const char   *content_type,
                    const char   *body,
                    gsize         length)
{
  RelayServer *self = request->server;

  g_assert (!request->responded);

  if (status >= 500)
    self->metrics.request_errors_5xx++;
  else if (status >= 400)
    self->metrics.request_errors_4xx++;
  request->responded = TRUE;
  if (request->conn != NULL)
    {
      if (_relay_request_attached (request))
        _relay_conn_respond (request, status, body, length);
      return;
    }
  request->status = status;
  request->content_type = content_type;
  request->response = g_malloc (RESPONSE_HEADROOM + length);
  memcpy (request->response + RESPONSE_HEADROOM, body, length);
  request->response_length = length;
  if (request->wsi != NULL)
    {
      relay_slot_set_phase (wsi_slot (request->wsi), RELAY_PHASE_WRITING);
      lws_callback_on_writable (request->wsi);
    }
}

void
_relay_respond_builder (RelayRequest *request,
                        guint         status,
                        JsonBuilder  *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = json_to_string (root, FALSE);

  _relay_respond_raw (request, status, "application/json", text, strlen (text));
}

void
_relay_respond_text (RelayRequest *request,
                     guint         status,
                     const char   *json)
{
  _relay_respond_raw (request, status, "application/json", json, strlen (json));
}

JsonBuilder *
_relay_error_builder (const char *code,
                      const char *message)
{
  JsonBuilder *builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  return builder;
}

void
_relay_respond_error (RelayRequest *request,
                      guint         status,
                      const char   *code,
                      const char   *message)
{
  g_autoptr(JsonBuilder) builder = _relay_error_builder (code, message);

  json_builder_end_object (builder);
  _relay_respond_builder (request, status, builder);
}

void
_relay_respond_api_error (RelayRequest *request,
                          const GError *error)
{
  guint status = 400;

  if (g_error_matches (error, RELAY_API_ERROR, RELAY_API_ERROR_TOO_LARGE))
    status = 413;
  _relay_respond_error (request, status, relay_api_error_name ((RelayApiError) error->code), error->message);
}

void
_relay_respond_storage_failure (RelayRequest *request)
{
  _relay_respond_error (request, 503, "unavailable", "The relay cannot reach its storage");
}

gboolean
_relay_take_rate (RelayServer   *self,
                  RelayRateKind  kind,
                  const char    *key)
{
  if (relay_rate_limiter_take (self->limiter, kind, key, g_get_monotonic_time ()))
    return TRUE;
  self->metrics.rate_limited++;
  return FALSE;
}

gboolean
_relay_request_take_rate (RelayRequest  *request,
                          RelayRateKind  kind,
                          const char    *key)
{
  if (_relay_take_rate (request->server, kind, key))
    return TRUE;
  _relay_respond_error (request, 429, "rate-limited", "Too many requests; try again later");
  return FALSE;
}

static RelayMethod
get_method (struct lws *wsi)
{
  if (lws_hdr_total_length (wsi, WSI_TOKEN_GET_URI) > 0)
    return METHOD_GET;
  if (lws_hdr_total_length (wsi, WSI_TOKEN_POST_URI) > 0)
    return METHOD_POST;
  if (lws_hdr_total_length (wsi, WSI_TOKEN_PUT_URI) > 0)
    return METHOD_PUT;
  return METHOD_OTHER;
}

char *
_relay_copy_header (struct lws              *wsi,
                    enum lws_token_indexes   token)
{
  int length = lws_hdr_total_length (wsi, token);
  char *value;

  if (length <= 0)
    return NULL;
  value = g_malloc ((gsize) length + 1);
  if (lws_hdr_copy (wsi, value, length + 1, token) < 0)
    {
      g_free (value);
      return NULL;
    }
  return value;
}

const char *
_relay_peer_address (struct lws *wsi)
{
  return relay_slot_address (wsi_slot (wsi));
}

void
_relay_on_http_closed (Session *session)
{
  if (session != NULL && session->request != NULL)
    {
      request_detach (session->request);
      session->request = NULL;
    }
}

int
_relay_on_http (RelayServer *self,
                struct lws  *wsi,
                Session     *session,
                const char  *uri,
                size_t       uri_length)
{
  RelayRequest *request;
  g_autofree char *path = g_strndup (uri, uri_length);
  g_autofree char *content_length = NULL;
  guint64 length = 0;

  /* A connection carries one transaction at a time; anything left from
   * an earlier one is stale. */
  _relay_on_http_closed (session);
  request = g_new0 (RelayRequest, 1);
  request->refcount = 1;
  request->server = self;
  request->wsi = wsi;
  request->method = get_method (wsi);
  request->segments = g_strsplit (path, "/", 8);
  request->n_segments = g_strv_length (request->segments);
  request->authorization = _relay_copy_header (wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
  request->body = g_byte_array_new ();
  g_strlcpy (request->address, _relay_peer_address (wsi), sizeof request->address);
  session->request = request;
  self->active_requests++;
  relay_slot_set_phase (wsi_slot (wsi), RELAY_PHASE_BUSY);
  /* Every request counts, those refused below included, so that the
   * error and rate-limit counters are parts of this one. */
  self->metrics.http_requests++;

  if (self->draining)
    {
      request->close_after = TRUE;
      _relay_respond_error (request, 503, "unavailable", "The relay is shutting down");
      return 0;
    }
  /* The metrics scraper is the operator's: behind a reverse proxy it
   * shares its address with every client, whose rate it must not take. */
  if (!_relay_request_on_metrics_address (request) &&
      !_relay_request_take_rate (request, RELAY_RATE_ADDRESS_REQUESTS, request->address))
    {
      request->close_after = request->method == METHOD_POST || request->method == METHOD_PUT;
      return 0;
    }
  if (request->method == METHOD_OTHER)
    {
      request->close_after = TRUE;
      _relay_respond_error (request, 405, "method-not-allowed", "The relay takes GET, POST and PUT");
      return 0;
    }
  /* libwebsockets 4.1 reads no chunked bodies, and takes Content-Length
   * even beside Transfer-Encoding; a proxy in front could read the same
   * bytes as another request (RFC 9112, 6.1 and 6.3).  So neither is
   * served, and the connection closes after the answer. */
  if (lws_hdr_total_length (wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
    {
      request->close_after = TRUE;
      if (lws_hdr_total_length (wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
        _relay_respond_error (request, 400, "bad-request",
                              "A request may not have both Content-Length and Transfer-Encoding");
      else
        _relay_respond_error (request, 411, "length-required", "A request body needs a Content-Length");
      return 0;
    }
  if (request->method == METHOD_GET)
    {
      _relay_dispatch (request);
      return 0;
    }

  content_length = _relay_copy_header (wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
  if (content_length == NULL)
    {
      request->close_after = TRUE;
      _relay_respond_error (request, 411, "length-required", "A request body needs a Content-Length");
      return 0;
    }
  if (!g_ascii_string_to_unsigned (content_length, 10, 0, G_MAXINT64, &length, NULL) ||
      length > self->config->max_request_bytes)
    {
      request->close_after = TRUE;
      _relay_respond_error (request, 413, "too-large", "The request body is too large");
      return 0;
    }
  request->content_length = (gint64) length;
  /* lws delivers no body callbacks for an empty PUT, and both an empty
   * body and the completion for an empty POST. */
  if (length == 0 && request->method == METHOD_PUT)
    _relay_dispatch (request);
  else
    relay_slot_set_phase (wsi_slot (wsi), RELAY_PHASE_BODY);
  return 0;
}

int
_relay_on_http_body (Session    *session,
                     const void *data,
                     size_t      length)
{
  RelayRequest *request = session->request;

  if (request == NULL || request->responded)
    return 0;
  if (request->body->len + length > (gsize) request->content_length)
    {
      request->close_after = TRUE;
      _relay_respond_error (request, 413, "too-large", "The request body is larger than announced");
      return 0;
    }
  g_byte_array_append (request->body, data, (guint) length);
  return 0;
}

/* libwebsockets 4.1 reports the body complete again, without consuming
 * anything, whenever bytes beyond it wait in its buffer: a request the
 * client pipelined before reading the answer.  While the answer is
 * pending it does so from later loop iterations, and afterwards it can
 * serve the pipelined request only if that has no body.  For one with a
 * body it hands over the request's own header bytes as the body and
 * then reports completion again and again within one call, so the loop
 * never runs another iteration: the relay spins on a core, never reads
 * the peer's FIN (the socket stays in CLOSE-WAIT) and never acts on
 * SIGTERM.
 *
 * So a repeat in a later iteration gets the answer sent with "Connection:
 * close", and lws never parses what follows; a repeat within the
 * iteration that completed the body is that endless loop, and failing
 * the callback is the only way out of it.  Clients do not pipeline
 * (libsoup does not); one that does sends the rest again on a new
 * connection. */
int
_relay_on_http_body_completion (Session *session)
{
  RelayRequest *request = session->request;

  if (request == NULL)
    return 0;
  if (request->body_complete)
    {
      if (request->body_iteration == request->server->iteration)
        return -1;
      request->close_after = TRUE;
      return 0;
    }
  request->body_complete = TRUE;
  request->body_iteration = request->server->iteration;
  if (request->responded || request->dispatched)
    return 0;
  relay_slot_set_phase (wsi_slot (request->wsi), RELAY_PHASE_BUSY);
  _relay_dispatch (request);
  return 0;
}

/* Writes the headers right in front of the body, so that the whole
 * answer leaves in one write: a separate write for the headers would
 * cost a second system call and, often, a second packet. */
int
_relay_on_http_writeable (struct lws *wsi,
                          Session    *session)
{
  RelayRequest *request = session->request;
  guint8 headers[RESPONSE_HEADER_ROOM];
  guint8 *p = headers;
  guint8 *end = headers + sizeof headers;
  guint8 *start;
  gsize length;
  gboolean close_after;

  if (request == NULL || !request->responded)
    return 0;
  if (lws_add_http_common_headers (wsi, request->status, request->content_type,
                                   request->response_length, &p, end) != 0 ||
      lws_add_http_header_by_name (wsi, (const guint8 *) "cache-control:",
                                   (const guint8 *) "no-store", 8, &p, end) != 0 ||
      (request->close_after &&
       lws_add_http_header_by_token (wsi, WSI_TOKEN_CONNECTION, (const guint8 *) "close", 5,
                                     &p, end) != 0) ||
      lws_finalize_http_header (wsi, &p, end) != 0)
    return -1;
  length = (gsize) (p - headers);
  start = request->response + RESPONSE_HEADROOM - length;
  memcpy (start, headers, length);
  length += request->response_length;
  if (lws_write (wsi, start, length, LWS_WRITE_HTTP_FINAL) != (int) length)
    return -1;

  close_after = request->close_after;
  session->request = NULL;
  request_detach (request);
  if (close_after)
    return -1;
  /* What the socket did not take, lws writes later: the client still
   * has to read it in time. */
  relay_slot_set_phase (wsi_slot (wsi), lws_partial_buffered (wsi) ? RELAY_PHASE_WRITING
                                                                    : RELAY_PHASE_IDLE);
  return lws_http_transaction_completed (wsi) ? -1 : 0;
}
