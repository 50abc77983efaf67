/* relay-server-http.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HTTP/1.1 requests and their answers.  libwebsockets hands the relay
 * every connection as a raw socket, TLS already taken off, and the relay
 * reads the requests itself (relay-http-parser.c): the head, the body by
 * its Content-Length, and the next request once one is answered.  An
 * answer leaves in one write, its head right in front of its body.
 */

#include "config.h"

#include <json-glib/json-glib.h>
#include <libwebsockets.h>
#include <sodium.h>
#include <string.h>

#include "relay-blob-private.h"
#include "relay-http-parser.h"
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
  g_free (request->content_range);
  g_free (request->range);
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
      if (request->detached != NULL)
        request->detached (request);
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

void
_relay_give_back_rate (RelayServer   *self,
                       RelayRateKind  kind,
                       const char    *key)
{
  relay_rate_limiter_give_back (self->limiter, kind, key, g_get_monotonic_time ());
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

/* The HTTP requests and the upgrades to a WebSocket.  One request at a
 * time is read and answered; bytes after it wait in the session's
 * input. */

#define WEBSOCKET_ACCEPT_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
/* The key a client sends is sixteen random bytes in base64. */
#define WEBSOCKET_KEY_LENGTH  24

static const char *
peer_address (struct lws *wsi)
{
  return relay_slot_address (wsi_slot (wsi));
}

static const char *
status_reason (guint status)
{
  switch (status)
    {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 206: return "Partial Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 416: return "Range Not Satisfiable";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    default: return "";
    }
}

static char *
span_dup (GByteArray          *input,
          const RelayHttpSpan *span)
{
  if (!span->present)
    return NULL;
  return g_strndup ((const char *) input->data + span->offset, span->length);
}

static gboolean
span_is (GByteArray          *input,
         const RelayHttpSpan *span,
         const char          *text)
{
  return span->present && span->length == strlen (text) &&
         memcmp (input->data + span->offset, text, span->length) == 0;
}

static RelayRequest *
request_new (RelayServer *self,
             struct lws  *wsi,
             Session     *session)
{
  RelayRequest *request = g_new0 (RelayRequest, 1);

  request->refcount = 1;
  request->server = self;
  request->wsi = wsi;
  request->method = METHOD_OTHER;
  request->body = g_byte_array_new ();
  g_strlcpy (request->address, peer_address (wsi), sizeof request->address);
  session->request = request;
  self->active_requests++;
  relay_slot_set_phase (wsi_slot (wsi), RELAY_PHASE_BUSY);
  /* Every request counts, those refused below included, so that the
   * error and rate-limit counters are parts of this one. */
  self->metrics.http_requests++;
  return request;
}

void
_relay_on_http_closed (Session *session)
{
  if (session == NULL)
    return;
  if (session->request != NULL)
    {
      request_detach (session->request);
      session->request = NULL;
    }
  g_clear_pointer (&session->input, g_byte_array_unref);
}

/* Sec-WebSocket-Accept (RFC 6455, 4.2.2): the base64 of the SHA-1 of the
 * client's key and the protocol's GUID. */
static char *
websocket_accept (const char *key)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);
  guint8 digest[20];
  gsize length = sizeof digest;

  g_checksum_update (checksum, (const guint8 *) key, (gssize) strlen (key));
  g_checksum_update (checksum, (const guint8 *) WEBSOCKET_ACCEPT_GUID, -1);
  g_checksum_get_digest (checksum, digest, &length);
  return g_base64_encode (digest, length);
}

static gboolean
websocket_key_valid (const char *key)
{
  guint8 decoded[18];
  gsize length;

  return strlen (key) == WEBSOCKET_KEY_LENGTH &&
         sodium_base642bin (decoded, sizeof decoded, key, WEBSOCKET_KEY_LENGTH, NULL, &length, NULL,
                            sodium_base64_VARIANT_ORIGINAL) == 0 &&
         length == 16;
}

static gboolean
is_websocket_upgrade (GByteArray          *input,
                      const RelayHttpHead *head)
{
  return head->method == RELAY_HTTP_METHOD_GET && head->upgrade_websocket &&
         head->connection_upgrade && span_is (input, &head->path, WEBSOCKET_PATH);
}

/* An upgrade the relay refuses gets no answer: the connection closes,
 * as it did when libwebsockets filtered upgrades. */
static int
upgrade (RelayServer         *self,
         struct lws          *wsi,
         Session             *session,
         const RelayHttpHead *head,
         gsize                head_length)
{
  GByteArray *input = session->input;
  g_autofree char *authorization = span_dup (input, &head->authorization);
  g_autofree char *key = span_dup (input, &head->websocket_key);
  g_autofree char *accept = NULL;

  /* The metrics address serves no clients. */
  if (self->draining || lws_get_vhost (wsi) == self->metrics_vhost || head->minor_version != 1 ||
      !span_is (input, &head->websocket_version, "13") || key == NULL || !websocket_key_valid (key))
    return -1;
  if (!_relay_take_rate (self, RELAY_RATE_ADDRESS_WEBSOCKETS, peer_address (wsi)))
    return -1;
  if (authorization == NULL)
    return -1;
  accept = websocket_accept (key);
  g_byte_array_remove_range (input, 0, (guint) head_length);
  _relay_on_ws_established (self, wsi, session, authorization, accept);
  sodium_memzero (authorization, strlen (authorization));
  /* Frames the client sent right behind its request. */
  if (input->len > 0)
    _relay_on_ws_receive (session, input->data, input->len);
  g_clear_pointer (&session->input, g_byte_array_unref);
  return 0;
}

/* Takes what has arrived of the body; the request goes to its handler
 * once it is all there. */
static void
read_body (RelayRequest *request,
           Session      *session)
{
  GByteArray *input = session->input;
  gsize take = MIN ((gsize) request->content_length - request->body->len, input->len);

  g_byte_array_append (request->body, input->data, (guint) take);
  g_byte_array_remove_range (input, 0, (guint) take);
  if (request->body->len < (gsize) request->content_length)
    return;
  relay_slot_set_phase (wsi_slot (request->wsi), RELAY_PHASE_BUSY);
  _relay_dispatch (request);
}

/* The credentials of a request whose body waits for them checked out:
 * the socket is read again, and the body taken. */
static void
body_authorized_cb (RelayRequest *request)
{
  request->body_waits_auth = FALSE;
  lws_rx_flow_control (request->wsi, 1);
  relay_slot_set_phase (wsi_slot (request->wsi), RELAY_PHASE_BODY);
  read_body (request, lws_wsi_user (request->wsi));
}

/* A body larger than max-request-bytes (a whole profile may be) is read
 * only for a device whose credentials check out: a client without any
 * makes the relay hold no more than it may for any request.  Until then
 * the socket is not read, and a refusal closes the connection, whose
 * next request would start behind the unread body. */
static void
authenticate_before_body (RelayRequest *request)
{
  request->body_waits_auth = TRUE;
  request->close_after = TRUE;
  lws_rx_flow_control (request->wsi, 0);
  _relay_request_authenticate (request, body_authorized_cb);
}

static RelayMethod
request_method (RelayHttpMethod method)
{
  switch (method)
    {
    case RELAY_HTTP_METHOD_GET:
      return METHOD_GET;
    case RELAY_HTTP_METHOD_POST:
      return METHOD_POST;
    case RELAY_HTTP_METHOD_PUT:
      return METHOD_PUT;
    case RELAY_HTTP_METHOD_OTHER:
    default:
      return METHOD_OTHER;
    }
}

/* Starts serving a request whose head is `head`, the first `head_length`
 * bytes of the input. */
static void
start_request (RelayServer         *self,
               struct lws          *wsi,
               Session             *session,
               const RelayHttpHead *head,
               gsize                head_length)
{
  GByteArray *input = session->input;
  RelayRequest *request = request_new (self, wsi, session);
  g_autofree char *content_length = span_dup (input, &head->content_length);
  g_autofree char *path = g_malloc (head->path.length + 1);
  guint64 length = 0;

  request->method = request_method (head->method);
  request->http_1_0 = head->minor_version == 0;
  request->close_after = !relay_http_keep_alive (head);
  request->authorization = span_dup (input, &head->authorization);
  request->content_range = span_dup (input, &head->content_range);
  request->range = span_dup (input, &head->range);
  request->expect_continue = head->expect_continue && head->minor_version == 1;
  if (relay_http_path_decode (input->data + head->path.offset, head->path.length, path,
                              head->path.length + 1) < 0)
    {
      g_byte_array_remove_range (input, 0, (guint) head_length);
      request->close_after = TRUE;
      _relay_respond_error (request, 400, "bad-request", "The request's path is not valid");
      return;
    }
  request->segments = g_strsplit (path, "/", 8);
  request->n_segments = g_strv_length (request->segments);
  g_byte_array_remove_range (input, 0, (guint) head_length);

  if (self->draining)
    {
      request->close_after = TRUE;
      _relay_respond_error (request, 503, "unavailable", "The relay is shutting down");
      return;
    }
  /* The metrics scraper is the operator's: behind a reverse proxy it
   * shares its address with every client, whose rate it must not take. */
  if (!_relay_request_on_metrics_address (request) &&
      !_relay_request_take_rate (request, RELAY_RATE_ADDRESS_REQUESTS, request->address))
    {
      request->close_after |= request->method == METHOD_POST || request->method == METHOD_PUT;
      return;
    }
  if (request->method == METHOD_OTHER)
    {
      request->close_after = TRUE;
      _relay_respond_error (request, 405, "method-not-allowed", "The relay takes GET, POST and PUT");
      return;
    }
  /* Chunked bodies are not read, and a request framed both ways could be
   * read by a proxy in front as another request (RFC 9112, 6.1 and 6.3).
   * So neither is served, and the connection closes after the answer. */
  if (head->transfer_encoding)
    {
      request->close_after = TRUE;
      if (content_length != NULL)
        _relay_respond_error (request, 400, "bad-request",
                              "A request may not have both Content-Length and Transfer-Encoding");
      else
        _relay_respond_error (request, 411, "length-required", "A request body needs a Content-Length");
      return;
    }
  /* A blob's body streams to the store rather than into memory. */
  if (_relay_blob_upload_claims (request))
    {
      _relay_blob_upload_start (request, content_length);
      return;
    }
  if (request->method == METHOD_GET)
    {
      /* A body on a GET is never read, so nothing can follow it. */
      if (content_length != NULL && strcmp (content_length, "0") != 0)
        request->close_after = TRUE;
      _relay_dispatch (request);
      return;
    }

  if (content_length == NULL)
    {
      request->close_after = TRUE;
      _relay_respond_error (request, 411, "length-required", "A request body needs a Content-Length");
      return;
    }
  if (!g_ascii_string_to_unsigned (content_length, 10, 0, G_MAXINT64, &length, NULL) ||
      length > _relay_request_body_limit (request))
    {
      request->close_after = TRUE;
      _relay_respond_error (request, 413, "too-large", "The request body is too large");
      return;
    }
  request->content_length = (gint64) length;
  if (length > self->config->max_request_bytes)
    {
      authenticate_before_body (request);
      return;
    }
  relay_slot_set_phase (wsi_slot (wsi), RELAY_PHASE_BODY);
  read_body (request, session);
}

/* A head that cannot be read gets its answer and the connection closes:
 * where the next request would start is unknown.  One larger than
 * max-header-bytes gets no answer at all. */
static int
refuse_head (RelayServer    *self,
             struct lws     *wsi,
             Session        *session,
             RelayHttpError  error)
{
  RelayRequest *request;

  if (error == RELAY_HTTP_ERROR_TOO_LARGE)
    return -1;
  request = request_new (self, wsi, session);
  request->close_after = TRUE;
  g_byte_array_set_size (session->input, 0);
  switch (error)
    {
    case RELAY_HTTP_ERROR_VERSION:
      _relay_respond_error (request, 505, "bad-request", "The relay speaks HTTP/1.1");
      break;
    case RELAY_HTTP_ERROR_MALFORMED:
    case RELAY_HTTP_ERROR_TOO_LARGE:
    default:
      _relay_respond_error (request, 400, "bad-request", "The request is not valid HTTP/1.1");
      break;
    }
  return 0;
}

/* Serves what the input holds: the rest of the body under way, or the
 * next request once the one before is answered. */
static int
read_input (RelayServer *self,
            struct lws  *wsi,
            Session     *session)
{
  GByteArray *input = session->input;
  RelayRequest *request = session->request;
  RelayHttpHead head;
  int head_length;

  if (request != NULL)
    {
      if (request->take_body != NULL)
        request->take_body (request);
      else if (!request->dispatched && !request->responded && !request->body_waits_auth)
        read_body (request, session);
      return 0;
    }
  if (input->len == 0)
    return 0;
  head_length = relay_http_head_parse (input->data, input->len, self->config->max_header_bytes, &head);
  if (head_length == 0)
    return 0;
  if (head_length < 0)
    return refuse_head (self, wsi, session, (RelayHttpError) head_length);
  if (is_websocket_upgrade (input, &head))
    return upgrade (self, wsi, session, &head, (gsize) head_length);
  start_request (self, wsi, session, &head, (gsize) head_length);
  return 0;
}

int
_relay_on_http_receive (RelayServer  *self,
                        struct lws   *wsi,
                        Session      *session,
                        const guint8 *data,
                        gsize         length)
{
  if (session->close_when_flushed)
    return 0;
  if (session->input == NULL)
    session->input = g_byte_array_new ();
  /* While a request is served, what follows it waits, up to the size of
   * a head: a client cannot make the relay buffer more. */
  if (session->request != NULL && (session->request->dispatched || session->request->responded) &&
      session->input->len + length > self->config->max_header_bytes)
    return -1;
  /* A body waiting for its credentials stops the reads, but what lws
   * had read already still comes. */
  if (session->request != NULL && session->request->body_waits_auth &&
      session->input->len + length > self->config->max_request_bytes)
    return -1;
  /* So does a body streamed to a blob while the disk is behind. */
  if (session->request != NULL && session->request->take_body != NULL &&
      session->input->len + length > RELAY_BLOB_INPUT_MAX)
    return -1;
  g_byte_array_append (session->input, data, (guint) length);
  /* A head ends with a line feed: until one comes, or the head reaches
   * its bound, it cannot be whole, and reading it again for every byte
   * of a head that trickles in would cost the square of its length. */
  if (session->request == NULL && memchr (data, '\n', length) == NULL &&
      session->input->len < self->config->max_header_bytes)
    return 0;
  return read_input (self, wsi, session);
}

/* Writes the head right in front of the body, so that the whole answer
 * leaves in one write: a separate write for the head would cost a second
 * system call and, often, a second packet. */
static gboolean
write_answer (struct lws   *wsi,
              RelayRequest *request)
{
  char head[RESPONSE_HEADER_ROOM];
  guint8 *start;
  gsize length;
  int head_length;

  head_length = g_snprintf (head, sizeof head,
                            "HTTP/1.%c %u %s\r\ncontent-type: %s\r\ncontent-length: %" G_GSIZE_FORMAT
                            "\r\ncache-control: no-store\r\n%s\r\n",
                            request->http_1_0 ? '0' : '1', request->status, status_reason (request->status),
                            request->content_type, request->response_length,
                            request->close_after ? "connection: close\r\n" : "");
  if (head_length < 0 || (gsize) head_length >= sizeof head)
    return FALSE;
  length = (gsize) head_length;
  start = request->response + RESPONSE_HEADROOM - length;
  memcpy (start, head, length);
  length += request->response_length;
  return lws_write (wsi, start, length, LWS_WRITE_RAW) == (int) length;
}

/* Tells a client that waits before it sends its body (Expect:
 * 100-continue, RFC 9110, 10.1.1) that the relay will read it. */
static gboolean
write_continue (struct lws   *wsi,
                RelayRequest *request)
{
  static const char interim[] = "HTTP/1.1 100 Continue\r\n\r\n";
  guint8 buffer[LWS_PRE + sizeof interim];

  request->continue_due = FALSE;
  memcpy (buffer + LWS_PRE, interim, sizeof interim - 1);
  return lws_write (wsi, buffer + LWS_PRE, sizeof interim - 1, LWS_WRITE_RAW) == (int) sizeof interim - 1;
}

int
_relay_on_http_writeable (struct lws *wsi,
                          Session    *session)
{
  RelayRequest *request = session->request;
  RelayServer *self;
  gboolean close_after;

  if (request != NULL && request->continue_due && !write_continue (wsi, request))
    return -1;
  if (request == NULL || !request->responded)
    return 0;
  self = request->server;
  /* libwebsockets could not serve a request pipelined behind one with a
   * body, and clients do not pipeline: the relay still closes after such
   * an answer rather than read on. */
  if ((request->method == METHOD_POST || request->method == METHOD_PUT) &&
      session->input != NULL && session->input->len > 0)
    request->close_after = TRUE;
  close_after = request->close_after;
  /* A streamed answer goes out over several callbacks. */
  if (request->write_body != NULL)
    {
      int written = request->write_body (request);

      if (written <= 0)
        return written;
    }
  else if (!write_answer (wsi, request))
    return -1;

  session->request = NULL;
  request_detach (request);
  if (close_after)
    {
      /* The socket closes once lws has written all of it. */
      session->close_when_flushed = TRUE;
      relay_slot_set_phase (wsi_slot (wsi), RELAY_PHASE_WRITING);
      lws_callback_on_writable (wsi);
      return 0;
    }
  /* What the socket did not take, lws writes later: the client still
   * has to read it in time. */
  relay_slot_set_phase (wsi_slot (wsi), lws_partial_buffered (wsi) ? RELAY_PHASE_WRITING
                                                                    : RELAY_PHASE_IDLE);
  return session->input != NULL ? read_input (self, wsi, session) : 0;
}
