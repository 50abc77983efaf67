/* sotto-relay-client.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-relay-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <sodium.h>

#include "sotto-bounded-input-private.h"
#include "sotto-engine-enums.h"
#include "sotto-engine-private.h"
#include "sotto-relay-client-private.h"
#include "sotto-relay-trust-private.h"

/* The client side of docs/relay-api.md: one HTTP request per call, with
 * JSON in and out, and one WebSocket that the relay pushes envelopes
 * through.  The socket is kept open for as long as the caller wants it:
 * after a failure it is opened again after a delay that doubles with
 * every failed attempt, up to a minute, and is drawn at random from the
 * upper half of that interval so that many clients cut off at once do
 * not come back at once.  A network that comes back, as GNetworkMonitor
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
#define REQUEST_TIMEOUT_SECONDS 30

/* The relay takes at most this many GUIDs in one acknowledgement. */
#define MAX_ACK_GUIDS 256

struct _SottoRelayClient
{
  GObject parent_instance;

  char *url;
  char *websocket_url;
  gboolean loopback;
  SoupSession *session;

  /* "Basic …", in sodium_malloc() memory: it is as good as the
   * password. */
  char *authorization;

  SottoRelayConnection connection;
  gboolean wanted;
  SoupWebsocketConnection *socket;
  GCancellable *connect_cancellable;
  guint retry_source;
  guint attempts;
  /* When the open socket brought "queue-empty" (monotonic time), or 0. */
  gint64 queue_empty_at;

  /* Sends made on the socket and not answered yet: id → SocketSend.
   * They fail when the socket closes, and the caller sends them again.
   * The relay checks the password after the socket opens and closes it
   * on any message before that; its own first message says it is done. */
  gboolean socket_authenticated;
  GHashTable *socket_sends;
  gint64 next_send_id;

  GNetworkMonitor *monitor;
};

typedef struct
{
  SottoRelayClient *client;
  GTask *task;
  gint64 id;
  guint timeout_source;
} SocketSend;

enum {
  PROP_0,
  PROP_URL,
  PROP_CONNECTION,
  N_PROPS
};

enum {
  ENVELOPE,
  QUEUE_EMPTY,
  KEYS_LOW,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (SottoRelayClient, sotto_relay_client, G_TYPE_OBJECT)

G_DEFINE_QUARK (sotto-relay-error-quark, sotto_relay_error)

G_DEFINE_BOXED_TYPE (SottoRelayEnvelope, sotto_relay_envelope,
                     sotto_relay_envelope_copy, sotto_relay_envelope_free)

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];

static void sotto_relay_client_open_socket (SottoRelayClient *self);
static void sotto_relay_client_send_on_socket (SottoRelayClient *self,
                                               GTask            *task,
                                               const char       *uuid,
                                               gint64            timestamp,
                                               GPtrArray        *envelopes);
static void sotto_relay_client_fail_socket_sends (SottoRelayClient *self);

/**
 * sotto_relay_error_is_transient:
 * @error: an error from a #SottoRelayClient request
 *
 * Whether the same request may succeed later without any change: the
 * relay was unreachable, overloaded or rate limiting.
 *
 * Returns: %TRUE for errors worth a retry
 */
gboolean
sotto_relay_error_is_transient (const GError *error)
{
  g_return_val_if_fail (error != NULL, FALSE);

  return g_error_matches (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE)
         || g_error_matches (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNAVAILABLE)
         || g_error_matches (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_RATE_LIMITED);
}

SottoRelayEnvelope *
sotto_relay_envelope_copy (const SottoRelayEnvelope *envelope)
{
  SottoRelayEnvelope *copy;

  g_return_val_if_fail (envelope != NULL, NULL);

  copy = g_new0 (SottoRelayEnvelope, 1);
  copy->guid = g_strdup (envelope->guid);
  copy->type = envelope->type;
  copy->source = g_strdup (envelope->source);
  copy->source_device = envelope->source_device;
  copy->timestamp = envelope->timestamp;
  copy->server_timestamp = envelope->server_timestamp;
  copy->content = envelope->content ? g_bytes_ref (envelope->content) : NULL;
  copy->sealed_identity_key = envelope->sealed_identity_key ? g_bytes_ref (envelope->sealed_identity_key) : NULL;

  return copy;
}

void
sotto_relay_envelope_free (SottoRelayEnvelope *envelope)
{
  if (envelope == NULL)
    return;

  g_free (envelope->guid);
  g_free (envelope->source);
  g_clear_pointer (&envelope->content, g_bytes_unref);
  g_clear_pointer (&envelope->sealed_identity_key, g_bytes_unref);
  g_free (envelope);
}

SottoRelayOutgoing *
sotto_relay_outgoing_new (guint   type,
                          guint   device_id,
                          guint   registration_id,
                          GBytes *content)
{
  SottoRelayOutgoing *outgoing;

  g_return_val_if_fail (content != NULL, NULL);

  outgoing = g_new0 (SottoRelayOutgoing, 1);
  outgoing->type = type;
  outgoing->device_id = device_id;
  outgoing->registration_id = registration_id;
  outgoing->content = g_bytes_ref (content);

  return outgoing;
}

void
sotto_relay_outgoing_free (SottoRelayOutgoing *outgoing)
{
  if (outgoing == NULL)
    return;

  g_clear_pointer (&outgoing->content, g_bytes_unref);
  g_free (outgoing);
}

void
sotto_relay_device_changes_free (SottoRelayDeviceChanges *changes)
{
  if (changes == NULL)
    return;

  g_clear_pointer (&changes->missing, g_array_unref);
  g_clear_pointer (&changes->extra, g_array_unref);
  g_clear_pointer (&changes->stale, g_array_unref);
  g_free (changes);
}

static void
set_bad_response (GError     **error,
                  const char  *what)
{
  g_set_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE,
               _("The relay’s answer is not valid (%s)"), what);
}

/* Members of the relay's answers, read strictly: a member of the wrong
 * type is as bad as a missing one. */
static gboolean
get_int (JsonObject *object,
         const char *name,
         gint64      min,
         gint64      max,
         gint64     *out)
{
  JsonNode *node = json_object_get_member (object, name);
  gint64 value;

  if (node == NULL
      || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;

  value = json_node_get_int (node);
  if (value < min || value > max)
    return FALSE;

  *out = value;

  return TRUE;
}

static const char *
get_string (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL
      || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static JsonObject *
get_object (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  return json_node_get_object (node);
}

/* Strict standard base64 with padding into exactly @len bytes. */
static gboolean
get_fixed_base64 (JsonObject *object,
                  const char *name,
                  guint8     *out,
                  gsize       len)
{
  const char *text = get_string (object, name);
  g_autofree guint8 *decoded = NULL;
  const char *end = NULL;
  gsize decoded_len = 0;

  if (text == NULL)
    return FALSE;

  decoded = g_malloc (len + 1);
  if (sodium_base642bin (decoded, len + 1, text, strlen (text), NULL,
                         &decoded_len, &end, sodium_base64_VARIANT_ORIGINAL) != 0
      || *end != '\0'
      || decoded_len != len)
    return FALSE;

  memcpy (out, decoded, len);

  return TRUE;
}

static GBytes *
get_base64_bytes (JsonObject *object,
                  const char *name)
{
  const char *text = get_string (object, name);
  g_autofree guint8 *decoded = NULL;
  const char *end = NULL;
  gsize decoded_len = 0;
  gsize text_len;

  if (text == NULL)
    return NULL;

  text_len = strlen (text);
  decoded = g_malloc (text_len / 4 * 3 + 3);
  if (sodium_base642bin (decoded, text_len / 4 * 3 + 3, text, text_len, NULL,
                         &decoded_len, &end, sodium_base64_VARIANT_ORIGINAL) != 0
      || *end != '\0'
      || decoded_len == 0)
    return NULL;

  return g_bytes_new (decoded, decoded_len);
}

static GArray *
get_device_list (JsonObject *object,
                 const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  GArray *devices = g_array_new (FALSE, FALSE, sizeof (guint));
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return devices;

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      gint64 value;
      guint device;

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_INT64)
        continue;

      value = json_node_get_int (element);
      if (value < 1 || value > 127)
        continue;

      device = value;
      g_array_append_val (devices, device);
    }

  return devices;
}

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  address = g_inet_address_new_from_string (host);

  return address != NULL && g_inet_address_get_is_loopback (address);
}

static void
sotto_relay_client_set_connection (SottoRelayClient     *self,
                                   SottoRelayConnection  connection)
{
  if (self->connection == connection)
    return;

  self->connection = connection;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_CONNECTION]);
}

/* Requests */

static void
error_from_response (guint        status,
                     JsonObject  *body,
                     GError     **error)
{
  const char *code = body != NULL ? get_string (body, "error") : NULL;
  const char *message = body != NULL ? get_string (body, "message") : NULL;
  g_autofree char *detail = NULL;
  int error_code;

  if (message == NULL)
    message = soup_status_get_phrase (status);
  if (code == NULL)
    code = "";

  if (status == 401)
    error_code = SOTTO_RELAY_ERROR_UNAUTHORIZED;
  else if (status == 404)
    error_code = SOTTO_RELAY_ERROR_NOT_FOUND;
  else if (status == 409 && g_str_equal (code, "username-taken"))
    error_code = SOTTO_RELAY_ERROR_USERNAME_TAKEN;
  else if (status == 409 && g_str_equal (code, "device-mismatch"))
    error_code = SOTTO_RELAY_ERROR_DEVICE_MISMATCH;
  else if (status == 410)
    error_code = SOTTO_RELAY_ERROR_STALE_DEVICES;
  else if (status == 403)
    error_code = SOTTO_RELAY_ERROR_REGISTRATION_CLOSED;
  else if (status == 429)
    error_code = SOTTO_RELAY_ERROR_RATE_LIMITED;
  else if (status >= 500)
    error_code = SOTTO_RELAY_ERROR_UNAVAILABLE;
  else if (status == 400 || status == 411 || status == 413)
    error_code = SOTTO_RELAY_ERROR_BAD_REQUEST;
  else
    error_code = SOTTO_RELAY_ERROR_FAILED;

  /* The relay's messages never repeat the values it was sent, so they
   * can be shown as they are. */
  detail = g_strdup_printf (_("The relay refused the request (%u %s): %s"),
                            status, code, message);
  g_set_error_literal (error, SOTTO_RELAY_ERROR, error_code, detail);
}

/* A request on its way: the message for its status and headers until
 * the answer is read, and what a refused request's answer said. */
typedef struct
{
  SoupMessage *message;
  JsonObject *refusal;
  /* An answer that is not JSON (an encrypted profile), and the most of
   * it that is read. */
  gboolean raw;
  gsize max_answer_bytes;
} Request;

static void
request_free (Request *request)
{
  g_clear_object (&request->message);
  g_clear_pointer (&request->refusal, json_object_unref);
  g_free (request);
}

static void
return_bad_response (GTask      *task,
                     const char *what)
{
  GError *error = NULL;

  set_bad_response (&error, what);
  g_task_return_error (task, error);
}

/* No answer to read: the request was cancelled, the relay could not be
 * reached, or its answer was too large to read. */
static void
return_read_error (GTask        *task,
                   const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_error_copy (error));
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
    return_bad_response (task, error->message);
  else
    g_task_return_new_error (task, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE,
                             _("Could not reach the relay: %s"), error->message);
}

static void
sotto_relay_client_body_read_cb (GObject      *object,
                                 GAsyncResult *result,
                                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) object_body = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  Request *request = g_task_get_task_data (task);
  guint status = soup_message_get_status (request->message);
  const char *data;
  gsize len;

  body = _sotto_read_bounded_finish (G_INPUT_STREAM (object), result, &error);
  if (body == NULL)
    {
      return_read_error (task, error);
      return;
    }

  if (request->raw && SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_task_return_pointer (task, g_steal_pointer (&body), (GDestroyNotify) g_bytes_unref);
      return;
    }

  data = g_bytes_get_data (body, &len);
  if (len > 0)
    object_body = _sotto_json_parse_object (data, len, &error);

  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      if (object_body == NULL)
        {
          return_bad_response (task, error != NULL ? error->message : "empty");
          return;
        }

      g_task_return_pointer (task, g_steal_pointer (&object_body), (GDestroyNotify) json_object_unref);
      return;
    }

  /* A refused send says which devices were wrong; keep that for
   * sotto_relay_client_send_finish(). */
  g_clear_error (&error);
  error_from_response (status, object_body, &error);
  request->refusal = g_steal_pointer (&object_body);
  g_task_return_error (task, g_steal_pointer (&error));
}

static void
sotto_relay_client_response_cb (GObject      *object,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  SoupSession *session = (SoupSession *)object;
  g_autoptr(GTask) task = user_data;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  Request *request = g_task_get_task_data (task);
  SoupMessageHeaders *headers;

  stream = soup_session_send_finish (session, result, &error);
  if (stream == NULL)
    {
      return_read_error (task, error);
      return;
    }

  /* An answer that says up front it is too large is not read at all;
   * one that does not say is cut off once it gets there. */
  headers = soup_message_get_response_headers (request->message);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
      && soup_message_headers_get_content_length (headers) > request->max_answer_bytes)
    {
      return_bad_response (task, "too large");
      return;
    }

  _sotto_read_bounded_async (stream, request->max_answer_bytes, g_task_get_cancellable (task),
                             sotto_relay_client_body_read_cb, g_object_ref (task));
}

/* Sends a request whose body, if any, is @body of @content_type; the
 * task returns the answer as a #JsonObject, or with @raw as #GBytes of
 * at most @max_answer_bytes. */
static void
sotto_relay_client_request_bytes (SottoRelayClient *self,
                                  GTask            *task,
                                  const char       *method,
                                  const char       *path,
                                  const char       *content_type,
                                  GBytes           *body,
                                  gboolean          authenticate,
                                  gboolean          raw,
                                  gsize             max_answer_bytes)
{
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *url = NULL;
  Request *request;

  g_assert (SOTTO_IS_RELAY_CLIENT (self));

  if (authenticate && self->authorization == NULL)
    {
      g_task_return_new_error (task, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNAUTHORIZED,
                               _("This device is not registered with the relay"));
      return;
    }

  url = g_strconcat (self->url, path, NULL);
  message = soup_message_new (method, url);
  if (message == NULL)
    {
      g_task_return_new_error (task, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_INVALID_URL,
                               _("The relay URL %s is not valid"), self->url);
      return;
    }

  if (authenticate)
    soup_message_headers_replace (soup_message_get_request_headers (message),
                                  "Authorization", self->authorization);

  if (body != NULL)
    soup_message_set_request_body_from_bytes (message, content_type, body);

  request = g_new0 (Request, 1);
  request->message = g_object_ref (message);
  request->raw = raw;
  request->max_answer_bytes = max_answer_bytes;
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  soup_session_send_async (self->session, message, G_PRIORITY_DEFAULT,
                           g_task_get_cancellable (task),
                           sotto_relay_client_response_cb,
                           g_object_ref (task));
}

static void
sotto_relay_client_request (SottoRelayClient *self,
                            GTask            *task,
                            const char       *method,
                            const char       *path,
                            JsonNode         *body,
                            gboolean          authenticate)
{
  g_autoptr(GBytes) bytes = NULL;

  if (body != NULL)
    {
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      char *text;
      gsize len;

      json_generator_set_root (generator, body);
      text = json_generator_to_data (generator, &len);
      bytes = g_bytes_new_take (text, len);
    }

  sotto_relay_client_request_bytes (self, task, method, path, "application/json", bytes,
                                    authenticate, FALSE, SOTTO_RELAY_MAX_ANSWER_BYTES);
}

/* For the requests of sotto-relay-client-profile.c: an authenticated
 * request with an octet-stream body or none, whose answer the task
 * returns as #GBytes (a JSON object when @raw is %FALSE). */
void
_sotto_relay_client_request_octets (SottoRelayClient *self,
                                    GTask            *task,
                                    const char       *method,
                                    const char       *path,
                                    GBytes           *body,
                                    gboolean          raw,
                                    gsize             max_answer_bytes)
{
  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));

  sotto_relay_client_request_bytes (self, task, method, path, "application/octet-stream", body,
                                    TRUE, raw, max_answer_bytes);
}

/* For sotto-relay-client-profile.c: a JSON request, answered with a
 * JSON object. */
void
_sotto_relay_client_request_json (SottoRelayClient *self,
                                  GTask            *task,
                                  const char       *method,
                                  const char       *path,
                                  JsonNode         *body)
{
  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));

  sotto_relay_client_request (self, task, method, path, body, TRUE);
}

/* The answer of a request made with @source_tag: a #JsonObject, or
 * #GBytes for a raw one. */
gpointer
_sotto_relay_client_propagate (SottoRelayClient  *self,
                               GAsyncResult      *result,
                               gpointer           source_tag,
                               GError           **error)
{
  g_return_val_if_fail (SOTTO_IS_RELAY_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * sotto_relay_client_new:
 * @url: the relay's base URL, such as `https://relay.example.org`
 * @error: a location for a #GError
 *
 * Plain `http` is refused unless the relay is on this machine: the relay
 * never sees a message's contents, but the device password and who talks
 * to whom must not cross a network in the clear.  An `https` relay is
 * trusted through the system's CAs, or through those in the file that
 * the environment variable `SSL_CERT_FILE` names.
 *
 * Returns: (transfer full): a new #SottoRelayClient, or %NULL with @error
 *   set when the URL is not acceptable
 */
SottoRelayClient *
sotto_relay_client_new (const char  *url,
                        GError     **error)
{
  g_autoptr(SottoRelayClient) client = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *scheme;
  const char *host;

  g_return_val_if_fail (url != NULL, NULL);

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, &local_error);
  if (uri == NULL
      || g_uri_get_host (uri) == NULL
      || *g_uri_get_host (uri) == '\0'
      || g_uri_get_query (uri) != NULL
      || g_uri_get_fragment (uri) != NULL
      || g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_INVALID_URL,
                   _("“%s” is not a relay URL"), url);
      return NULL;
    }

  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);

  if (g_ascii_strcasecmp (scheme, "https") != 0
      && g_ascii_strcasecmp (scheme, "http") != 0)
    {
      g_set_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_INVALID_URL,
                   _("“%s” is not a relay URL: it must start with https://"), url);
      return NULL;
    }

  if (g_ascii_strcasecmp (scheme, "http") == 0 && !host_is_loopback (host))
    {
      g_set_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_INSECURE,
                   _("Plain http is only allowed for a relay on this machine; use https://%s"),
                   host);
      return NULL;
    }

  client = g_object_new (SOTTO_TYPE_RELAY_CLIENT,
                         "url", url,
                         NULL);

  if (g_ascii_strcasecmp (scheme, "https") == 0)
    {
      g_autoptr(GTlsDatabase) database = _sotto_relay_trust_from_environment (&local_error);

      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }

      if (database != NULL)
        soup_session_set_tls_database (client->session, database);
    }

  return g_steal_pointer (&client);
}

/**
 * sotto_relay_client_set_trusted_ca:
 * @self: a #SottoRelayClient
 * @pem: one or more CA certificates in PEM
 * @error: a location for a #GError
 *
 * Trusts the relay through the CAs in @pem, and through them alone,
 * for a relay with a private CA.  Call it before the first request.
 *
 * Returns: %TRUE if @pem holds certificates
 */
gboolean
sotto_relay_client_set_trusted_ca (SottoRelayClient  *self,
                                   const char        *pem,
                                   GError           **error)
{
  g_autoptr(GTlsDatabase) database = NULL;

  g_return_val_if_fail (SOTTO_IS_RELAY_CLIENT (self), FALSE);
  g_return_val_if_fail (pem != NULL, FALSE);

  database = _sotto_relay_trust_new_from_pem (pem, error);
  if (database == NULL)
    return FALSE;

  soup_session_set_tls_database (self->session, database);

  return TRUE;
}

const char *
sotto_relay_client_get_url (SottoRelayClient *self)
{
  g_return_val_if_fail (SOTTO_IS_RELAY_CLIENT (self), NULL);

  return self->url;
}

/**
 * sotto_relay_client_set_credentials:
 * @self: a #SottoRelayClient
 * @uuid: the account's UUID
 * @device_id: this device's id
 * @password: this device's password
 *
 * Sets the credentials every request but registration needs.  A socket
 * that is open keeps the credentials it was opened with.
 */
void
sotto_relay_client_set_credentials (SottoRelayClient *self,
                                    const char       *uuid,
                                    guint             device_id,
                                    const char       *password)
{
  g_autofree char *user = NULL;
  char *plain;
  char *encoded;
  gsize plain_len;
  gsize encoded_size;
  gsize header_size;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (uuid != NULL);
  g_return_if_fail (password != NULL);

  user = g_strdup_printf ("%s.%u:", uuid, device_id);
  plain_len = strlen (user) + strlen (password);
  encoded_size = sodium_base64_encoded_len (plain_len, sodium_base64_VARIANT_ORIGINAL);
  header_size = strlen ("Basic ") + encoded_size;

  plain = sodium_malloc (plain_len + 1);
  encoded = sodium_malloc (header_size);
  if (plain == NULL || encoded == NULL)
    g_error ("Could not allocate guarded memory for the relay credentials");

  memcpy (plain, user, strlen (user));
  memcpy (plain + strlen (user), password, strlen (password) + 1);
  memcpy (encoded, "Basic ", strlen ("Basic "));
  sodium_bin2base64 (encoded + strlen ("Basic "), encoded_size,
                     (const guint8 *) plain, plain_len, sodium_base64_VARIANT_ORIGINAL);
  sodium_free (plain);

  g_clear_pointer (&self->authorization, sodium_free);
  self->authorization = encoded;
}

SottoRelayConnection
sotto_relay_client_get_connection (SottoRelayClient *self)
{
  g_return_val_if_fail (SOTTO_IS_RELAY_CLIENT (self), SOTTO_RELAY_CONNECTION_OFFLINE);

  return self->connection;
}

/**
 * sotto_relay_client_needs_network:
 * @self: a #SottoRelayClient
 *
 * Returns: whether the relay is reached through a network, rather than
 *   on this machine, so that without one it cannot be reached
 */
gboolean
sotto_relay_client_needs_network (SottoRelayClient *self)
{
  g_return_val_if_fail (SOTTO_IS_RELAY_CLIENT (self), TRUE);

  return !self->loopback;
}

static void
add_key_member (JsonBuilder *builder,
                const char  *name,
                guint32      id,
                const void  *public_key,
                gsize        public_len,
                const void  *signature)
{
  g_autofree char *public_text = g_base64_encode (public_key, public_len);

  if (name != NULL)
    json_builder_set_member_name (builder, name);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "keyId");
  json_builder_add_int_value (builder, id);
  json_builder_set_member_name (builder, "publicKey");
  json_builder_add_string_value (builder, public_text);
  if (signature != NULL)
    {
      g_autofree char *signature_text = g_base64_encode (signature, SP_SIGNATURE_SIZE);

      json_builder_set_member_name (builder, "signature");
      json_builder_add_string_value (builder, signature_text);
    }
  json_builder_end_object (builder);
}

/* Adds the one-time prekeys @keys (SpPreKey, or SpKyberPreKey when
 * @kyber) as the array @name, unless there are none. */
static void
add_key_array (JsonBuilder *builder,
               const char  *name,
               GPtrArray   *keys,
               gboolean     kyber)
{
  if (keys->len == 0)
    return;

  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; i < keys->len; i++)
    {
      if (kyber)
        {
          const SpKyberPreKey *key = g_ptr_array_index (keys, i);

          add_key_member (builder, NULL, key->id, key->public_key, SP_KYBER_PUBLIC_KEY_SIZE, key->signature);
        }
      else
        {
          const SpPreKey *key = g_ptr_array_index (keys, i);

          add_key_member (builder, NULL, key->id, key->key_pair.public_key.bytes, SP_PUBLIC_KEY_SIZE, NULL);
        }
    }
  json_builder_end_array (builder);
}

/* Adds the public halves of @batch to the object @builder is in, in the
 * members both POST /v1/accounts and PUT /v1/keys use. */
static void
add_key_batch (JsonBuilder         *builder,
               const SottoKeyBatch *batch)
{
  if (batch->signed_pre_key != NULL)
    add_key_member (builder, "signedPreKey",
                    batch->signed_pre_key->id,
                    batch->signed_pre_key->key_pair.public_key.bytes, SP_PUBLIC_KEY_SIZE,
                    batch->signed_pre_key->signature);

  if (batch->last_resort != NULL)
    add_key_member (builder, "pqLastResortPreKey",
                    batch->last_resort->id,
                    batch->last_resort->public_key, SP_KYBER_PUBLIC_KEY_SIZE,
                    batch->last_resort->signature);

  add_key_array (builder, "preKeys", batch->pre_keys, FALSE);
  add_key_array (builder, "pqPreKeys", batch->kyber_pre_keys, TRUE);
}

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
  add_key_batch (builder, registration->keys);
  if (registration->token != NULL)
    {
      json_builder_set_member_name (builder, "registrationToken");
      json_builder_add_string_value (builder, registration->token);
    }
  json_builder_end_object (builder);
  request = json_builder_get_root (builder);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_relay_client_register_async);

  sotto_relay_client_request (self, task, "POST", "/v1/accounts", request, FALSE);
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

  object = _sotto_relay_client_propagate (self, result, sotto_relay_client_register_async, error);
  if (object == NULL)
    return FALSE;

  value = get_string (object, "uuid");
  if (value == NULL || !g_uuid_string_is_valid (value) || !get_int (object, "deviceId", 1, 127, &device))
    {
      set_bad_response (error, "registration");
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

  sotto_relay_client_request (self, task, "GET", path, NULL, TRUE);
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

  object = _sotto_relay_client_propagate (self, result, sotto_relay_client_lookup_async, error);
  if (object == NULL)
    return NULL;

  uuid = get_string (object, "uuid");
  if (uuid == NULL || !g_uuid_string_is_valid (uuid))
    {
      set_bad_response (error, "lookup");
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

  sotto_relay_client_request (self, task, "GET", "/v1/keys", NULL, TRUE);
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

  object = _sotto_relay_client_propagate (self, result, sotto_relay_client_get_key_counts_async, error);
  if (object == NULL)
    return FALSE;

  if (!get_int (object, "preKeyCount", 0, G_MAXUINT32, &ec)
      || !get_int (object, "pqPreKeyCount", 0, G_MAXUINT32, &kyber))
    {
      set_bad_response (error, "prekey counts");
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
  add_key_batch (builder, upload->keys);
  json_builder_end_object (builder);
  keys = json_builder_get_root (builder);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_relay_client_upload_keys_async);

  sotto_relay_client_request (self, task, "PUT", "/v1/keys", keys, TRUE);
}

gboolean
sotto_relay_client_upload_keys_finish (SottoRelayClient  *self,
                                       GAsyncResult      *result,
                                       GError           **error)
{
  g_autoptr(JsonObject) object = NULL;

  object = _sotto_relay_client_propagate (self, result, sotto_relay_client_upload_keys_async, error);

  return object != NULL;
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

  sotto_relay_client_request (self, task, "GET", path, NULL, TRUE);
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

  if (!get_int (device, "deviceId", 1, 127, &device_id)
      || !get_int (device, "registrationId", 1, 16380, &registration_id))
    return FALSE;

  bundle->device_id = device_id;
  bundle->registration_id = registration_id;

  signed_pre_key = get_object (device, "signedPreKey");
  if (signed_pre_key == NULL
      || !get_int (signed_pre_key, "keyId", 0, 0xffffff, &id)
      || !get_fixed_base64 (signed_pre_key, "publicKey", key, sizeof key)
      || sp_public_key_decode (&bundle->signed_pre_key, key, sizeof key) != SP_OK
      || !get_fixed_base64 (signed_pre_key, "signature",
                            bundle->signed_pre_key_signature,
                            sizeof bundle->signed_pre_key_signature))
    return FALSE;
  bundle->signed_pre_key_id = id;

  kyber_pre_key = get_object (device, "pqPreKey");
  if (kyber_pre_key == NULL
      || !get_int (kyber_pre_key, "keyId", 0, 0xffffff, &id)
      || !get_fixed_base64 (kyber_pre_key, "publicKey",
                            bundle->kyber_pre_key, sizeof bundle->kyber_pre_key)
      || bundle->kyber_pre_key[0] != SP_KEY_TYPE_KYBER1024
      || !get_fixed_base64 (kyber_pre_key, "signature",
                            bundle->kyber_pre_key_signature,
                            sizeof bundle->kyber_pre_key_signature))
    return FALSE;
  bundle->kyber_pre_key_id = id;

  pre_key = get_object (device, "preKey");
  if (pre_key != NULL)
    {
      if (!get_int (pre_key, "keyId", 0, 0xffffff, &id)
          || !get_fixed_base64 (pre_key, "publicKey", key, sizeof key)
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
  JsonNode *devices;
  JsonArray *array;

  object = _sotto_relay_client_propagate (self, result, sotto_relay_client_get_bundles_async, error);
  if (object == NULL)
    return NULL;

  devices = json_object_get_member (object, "devices");
  if (!get_fixed_base64 (object, "identityKey", key, sizeof key)
      || sp_public_key_decode (&identity_key, key, sizeof key) != SP_OK
      || devices == NULL
      || !JSON_NODE_HOLDS_ARRAY (devices)
      || json_array_get_length (json_node_get_array (devices)) == 0)
    {
      set_bad_response (error, "bundles");
      return NULL;
    }

  array = json_node_get_array (devices);
  bundles = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree SpPreKeyBundle *bundle = g_new0 (SpPreKeyBundle, 1);

      if (!JSON_NODE_HOLDS_OBJECT (element)
          || !parse_bundle (json_node_get_object (element), &identity_key, bundle))
        {
          set_bad_response (error, "bundle");
          return NULL;
        }

      g_ptr_array_add (bundles, g_steal_pointer (&bundle));
    }

  return g_steal_pointer (&bundles);
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
static void
build_send (JsonBuilder *builder,
            gint64       timestamp,
            GPtrArray   *envelopes)
{
  json_builder_set_member_name (builder, "timestamp");
  json_builder_add_int_value (builder, timestamp);
  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);

  for (guint i = 0; i < envelopes->len; i++)
    {
      SottoRelayOutgoing *outgoing = g_ptr_array_index (envelopes, i);
      g_autofree char *content = NULL;
      gsize len;
      const guint8 *data = g_bytes_get_data (outgoing->content, &len);

      content = g_base64_encode (data, len);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_int_value (builder, outgoing->type);
      json_builder_set_member_name (builder, "destinationDeviceId");
      json_builder_add_int_value (builder, outgoing->device_id);
      json_builder_set_member_name (builder, "destinationRegistrationId");
      json_builder_add_int_value (builder, outgoing->registration_id);
      json_builder_set_member_name (builder, "content");
      json_builder_add_string_value (builder, content);
      json_builder_end_object (builder);
    }

  json_builder_end_array (builder);
}

/* Sends over HTTP: identified, or with the recipient's @access_key in
 * place of the account's credentials when it is given. */
static void
send_over_http (SottoRelayClient *self,
                GTask            *task,
                const char       *uuid,
                const guint8     *access_key,
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
  build_send (builder, timestamp, envelopes);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  path = g_strdup_printf (access_key != NULL ? "/v1/messages/%s/unidentified" : "/v1/messages/%s", uuid);

  sotto_relay_client_request (self, task, "PUT", path, body, access_key == NULL);
}

void
sotto_relay_client_send_async (SottoRelayClient    *self,
                               const char          *uuid,
                               gint64               timestamp,
                               GPtrArray           *envelopes,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (uuid != NULL && g_uuid_string_is_valid (uuid));
  g_return_if_fail (envelopes != NULL && envelopes->len > 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_relay_client_send_async);

  if (sotto_relay_client_can_pipeline (self))
    sotto_relay_client_send_on_socket (self, task, uuid, timestamp, envelopes);
  else
    send_over_http (self, task, uuid, NULL, timestamp, envelopes);
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

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (uuid != NULL && g_uuid_string_is_valid (uuid));
  g_return_if_fail (access_key != NULL);
  g_return_if_fail (envelopes != NULL && envelopes->len > 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_relay_client_send_async);

  send_over_http (self, task, uuid, access_key, timestamp, envelopes);
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
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (uuid != NULL && g_uuid_string_is_valid (uuid));
  g_return_if_fail (envelopes != NULL && envelopes->len > 0);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, sotto_relay_client_send_async);

  if (!sotto_relay_client_can_pipeline (self))
    {
      g_task_return_new_error (task, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE,
                               _("The connection to the relay closed before the message was sent"));
      return;
    }

  sotto_relay_client_send_on_socket (self, task, uuid, timestamp, envelopes);
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
  Request *request;

  if (changes != NULL)
    *changes = NULL;

  object = _sotto_relay_client_propagate (self, result, sotto_relay_client_send_async, &local_error);
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
      (*changes)->missing = get_device_list (request->refusal, "missingDevices");
      (*changes)->extra = get_device_list (request->refusal, "extraDevices");
      (*changes)->stale = get_device_list (request->refusal, "staleDevices");
    }

  g_propagate_error (error, g_steal_pointer (&local_error));

  return FALSE;
}

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
  self->socket_sends = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                              (GDestroyNotify) socket_send_free);

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

static void
sotto_relay_client_send_on_socket (SottoRelayClient *self,
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
  send->timeout_source = g_timeout_add_seconds (REQUEST_TIMEOUT_SECONDS, socket_send_timeout_cb, send);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "send");
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, send->id);
  json_builder_set_member_name (builder, "destination");
  json_builder_add_string_value (builder, uuid);
  build_send (builder, timestamp, envelopes);
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

  if (!get_int (object, "id", 0, G_MAXINT64, &id)
      || !g_hash_table_steal_extended (self->socket_sends, &id, NULL, (gpointer *) &send))
    {
      g_debug ("Ignoring a response to no send of this connection");
      return;
    }

  body = get_object (object, "body");
  if (!get_int (object, "status", 100, 599, &status))
    {
      set_bad_response (&error, "response");
      g_task_return_error (send->task, g_steal_pointer (&error));
    }
  else if (SOUP_STATUS_IS_SUCCESSFUL (status) && body == NULL)
    {
      set_bad_response (&error, "not a JSON object");
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
          Request *request = g_new0 (Request, 1);

          request->refusal = json_object_ref (body);
          g_task_set_task_data (send->task, request, (GDestroyNotify) request_free);
        }
      error_from_response (status, body, &error);
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
  const char *guid = get_string (object, "guid");
  const char *source = get_string (object, "source");
  gint64 type;
  gint64 source_device = 0;
  gint64 timestamp;
  gint64 server_timestamp;
  gboolean sealed = FALSE;

  /* A sealed sender envelope names no sender: the sealed message inside
   * does (sotto-sealed-sender.c); every other one must. */
  if (guid == NULL
      || !get_int (object, "envelopeType", 1, 8, &type)
      || ((sealed = type == SOTTO_RELAY_ENVELOPE_TYPE_SEALED)
          ? json_object_has_member (object, "source") || json_object_has_member (object, "sourceDevice")
          : (source == NULL || !g_uuid_string_is_valid (source)
             || !get_int (object, "sourceDevice", 1, 127, &source_device)))
      || !get_int (object, "timestamp", 0, G_MAXINT64, &timestamp)
      || !get_int (object, "serverTimestamp", 0, G_MAXINT64, &server_timestamp)
      || (envelope->content = get_base64_bytes (object, "content")) == NULL)
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

  g_signal_emit (self, signals [ENVELOPE], 0, envelope);
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

  kind = get_string (object, "type");
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
      g_signal_emit (self, signals [QUEUE_EMPTY], 0);
    }
  else if (g_str_equal (kind, "response"))
    {
      sotto_relay_client_handle_response (self, object);
    }
  else if (g_str_equal (kind, "keys-low"))
    {
      g_signal_emit (self, signals [KEYS_LOW], 0);
    }
  else if (g_str_equal (kind, "error") || g_str_equal (kind, "close"))
    {
      g_debug ("The relay says: %s %s", kind,
               get_string (object, "reason") ? get_string (object, "reason")
                                             : (get_string (object, "message") ? get_string (object, "message") : ""));
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
  sotto_relay_client_set_connection (self, SOTTO_RELAY_CONNECTION_OFFLINE);
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
      sotto_relay_client_set_connection (self, SOTTO_RELAY_CONNECTION_OFFLINE);
      sotto_relay_client_schedule_retry (self);
      return;
    }

  soup_websocket_connection_set_max_incoming_payload_size (socket, MAX_INCOMING_PAYLOAD);
  soup_websocket_connection_set_keepalive_interval (socket, KEEPALIVE_SECONDS);

  g_signal_connect (socket, "message", G_CALLBACK (sotto_relay_client_socket_message_cb), self);
  g_signal_connect (socket, "closed", G_CALLBACK (sotto_relay_client_socket_closed_cb), self);
  g_signal_connect (socket, "error", G_CALLBACK (sotto_relay_client_socket_error_cb), self);

  self->socket = g_steal_pointer (&socket);
  sotto_relay_client_set_connection (self, SOTTO_RELAY_CONNECTION_CONNECTED);
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
      sotto_relay_client_set_connection (self, SOTTO_RELAY_CONNECTION_OFFLINE);
      return;
    }

  message = soup_message_new ("GET", self->websocket_url);
  soup_message_headers_replace (soup_message_get_request_headers (message),
                                "Authorization", self->authorization);

  self->connect_cancellable = g_cancellable_new ();
  self->queue_empty_at = 0;
  sotto_relay_client_set_connection (self, SOTTO_RELAY_CONNECTION_CONNECTING);

  soup_session_websocket_connect_async (self->session, message, NULL, NULL,
                                        G_PRIORITY_DEFAULT, self->connect_cancellable,
                                        sotto_relay_client_connect_cb,
                                        g_object_ref (self));
}

static void
sotto_relay_client_network_changed_cb (SottoRelayClient *self,
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
  sotto_relay_client_set_connection (self, SOTTO_RELAY_CONNECTION_OFFLINE);
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

static void
sotto_relay_client_constructed (GObject *object)
{
  SottoRelayClient *self = (SottoRelayClient *)object;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *trimmed = NULL;
  const char *scheme;

  G_OBJECT_CLASS (sotto_relay_client_parent_class)->constructed (object);

  uri = g_uri_parse (self->url, G_URI_FLAGS_NONE, NULL);
  g_return_if_fail (uri != NULL);

  /* A base URL may carry a path prefix (a relay behind a proxy), but the
   * API's paths are appended to it without a doubled slash. */
  trimmed = g_strdup (self->url);
  while (g_str_has_suffix (trimmed, "/"))
    trimmed[strlen (trimmed) - 1] = '\0';
  g_free (self->url);
  self->url = g_steal_pointer (&trimmed);

  scheme = g_uri_get_scheme (uri);
  self->websocket_url = g_strconcat (g_ascii_strcasecmp (scheme, "https") == 0 ? "wss" : "ws",
                                     self->url + strlen (scheme),
                                     "/v1/websocket", NULL);
  self->loopback = host_is_loopback (g_uri_get_host (uri));

  /* Loopback needs no proxy, and the system's proxy resolver is only
   * asked when a connection may need one. */
  if (self->loopback)
    self->session = soup_session_new_with_options ("timeout", REQUEST_TIMEOUT_SECONDS,
                                                   "proxy-resolver", NULL,
                                                   "user-agent", "Sotto/" PACKAGE_VERSION,
                                                   NULL);
  else
    self->session = soup_session_new_with_options ("timeout", REQUEST_TIMEOUT_SECONDS,
                                                   "user-agent", "Sotto/" PACKAGE_VERSION,
                                                   NULL);

  /* Ciphertext does not compress; the relay never negotiates it. */
  soup_session_remove_feature_by_type (self->session, SOUP_TYPE_WEBSOCKET_EXTENSION_MANAGER);

  self->monitor = g_object_ref (g_network_monitor_get_default ());
  g_signal_connect_object (self->monitor, "network-changed",
                           G_CALLBACK (sotto_relay_client_network_changed_cb),
                           self, G_CONNECT_SWAPPED);
}

static void
sotto_relay_client_dispose (GObject *object)
{
  SottoRelayClient *self = (SottoRelayClient *)object;

  sotto_relay_client_disconnect (self);

  G_OBJECT_CLASS (sotto_relay_client_parent_class)->dispose (object);
}

static void
sotto_relay_client_finalize (GObject *object)
{
  SottoRelayClient *self = (SottoRelayClient *)object;

  g_clear_pointer (&self->authorization, sodium_free);
  g_clear_pointer (&self->socket_sends, g_hash_table_unref);
  g_clear_object (&self->session);
  g_clear_object (&self->monitor);
  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->websocket_url, g_free);

  G_OBJECT_CLASS (sotto_relay_client_parent_class)->finalize (object);
}

static void
sotto_relay_client_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  SottoRelayClient *self = SOTTO_RELAY_CLIENT (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;

    case PROP_CONNECTION:
      g_value_set_enum (value, self->connection);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_relay_client_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  SottoRelayClient *self = SOTTO_RELAY_CLIENT (object);

  switch (prop_id)
    {
    case PROP_URL:
      self->url = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_relay_client_class_init (SottoRelayClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = sotto_relay_client_constructed;
  object_class->dispose = sotto_relay_client_dispose;
  object_class->finalize = sotto_relay_client_finalize;
  object_class->get_property = sotto_relay_client_get_property;
  object_class->set_property = sotto_relay_client_set_property;

  /**
   * SottoRelayClient:url:
   *
   * The relay's base URL; use sotto_relay_client_new() to have it
   * checked.
   */
  properties [PROP_URL] =
    g_param_spec_string ("url", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoRelayClient:connection:
   *
   * The state of the delivery socket.
   */
  properties [PROP_CONNECTION] =
    g_param_spec_enum ("connection", NULL, NULL,
                       SOTTO_TYPE_RELAY_CONNECTION,
                       SOTTO_RELAY_CONNECTION_OFFLINE,
                       (G_PARAM_READABLE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * SottoRelayClient::envelope:
   * @self: a #SottoRelayClient
   * @envelope: the envelope
   *
   * An envelope arrived.  Acknowledge it with
   * sotto_relay_client_acknowledge() once it is stored.
   */
  signals [ENVELOPE] =
    g_signal_new ("envelope",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, SOTTO_TYPE_RELAY_ENVELOPE | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * SottoRelayClient::queue-empty:
   * @self: a #SottoRelayClient
   *
   * Every envelope that waited for this device when the socket opened
   * has been delivered; later ones arrive as they are sent.
   */
  signals [QUEUE_EMPTY] =
    g_signal_new ("queue-empty",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 0);

  /**
   * SottoRelayClient::keys-low:
   * @self: a #SottoRelayClient
   *
   * The relay has few one-time prekeys of this device left: others
   * fetched them.  Upload more.
   */
  signals [KEYS_LOW] =
    g_signal_new ("keys-low",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 0);

  _sotto_engine_init_crypto ();
}

static void
sotto_relay_client_init (SottoRelayClient *self)
{
  self->socket_sends = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                              (GDestroyNotify) socket_send_free);
}
