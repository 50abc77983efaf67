/* sotto-relay-client.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-relay-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sotto-engine-enums.h"
#include "sotto-engine-private.h"
#include "sotto-relay-client-internal-private.h"
#include "sotto-relay-trust-private.h"

/* The client side of docs/relay-api.md, in five files: this one holds
 * the object, its credentials and the types it deals in; the HTTP
 * requests are in sotto-relay-client-http.c, the endpoints that use them
 * in sotto-relay-client-api.c, the relay's JSON in
 * sotto-relay-client-json.c, and the delivery socket in
 * sotto-relay-client-socket.c. */

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
  copy->online = envelope->online;

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

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  address = g_inet_address_new_from_string (host);

  return address != NULL && g_inet_address_get_is_loopback (address);
}

void
_sotto_relay_client_set_connection (SottoRelayClient     *self,
                                    SottoRelayConnection  connection)
{
  if (self->connection == connection)
    return;

  self->connection = connection;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_CONNECTION]);
}

/* The signals are the delivery socket's (sotto-relay-client-socket.c);
 * their ids stay with class_init(), here. */
void
_sotto_relay_client_emit_envelope (SottoRelayClient         *self,
                                   const SottoRelayEnvelope *envelope)
{
  g_signal_emit (self, signals [ENVELOPE], 0, envelope);
}

void
_sotto_relay_client_emit_queue_empty (SottoRelayClient *self)
{
  g_signal_emit (self, signals [QUEUE_EMPTY], 0);
}

void
_sotto_relay_client_emit_keys_low (SottoRelayClient *self)
{
  g_signal_emit (self, signals [KEYS_LOW], 0);
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
    self->session = soup_session_new_with_options ("timeout", SOTTO_RELAY_REQUEST_TIMEOUT_SECONDS,
                                                   "proxy-resolver", NULL,
                                                   "user-agent", "Sotto/" PACKAGE_VERSION,
                                                   NULL);
  else
    self->session = soup_session_new_with_options ("timeout", SOTTO_RELAY_REQUEST_TIMEOUT_SECONDS,
                                                   "user-agent", "Sotto/" PACKAGE_VERSION,
                                                   NULL);

  /* Ciphertext does not compress; the relay never negotiates it. */
  soup_session_remove_feature_by_type (self->session, SOUP_TYPE_WEBSOCKET_EXTENSION_MANAGER);

  self->monitor = g_object_ref (g_network_monitor_get_default ());
  g_signal_connect_object (self->monitor, "network-changed",
                           G_CALLBACK (_sotto_relay_client_network_changed_cb),
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
  self->socket_sends = _sotto_relay_socket_sends_new ();
  self->transfer_window_ms = SOTTO_RELAY_TRANSFER_WINDOW_MS;
  self->transfer_min_bytes_per_second = SOTTO_RELAY_TRANSFER_MIN_BYTES_PER_SECOND;
}
