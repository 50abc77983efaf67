/* sotto-relay-client-sealed.c: sender certificates from the relay
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-relay-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sp-error.h"
#include "sp-keys.h"

#include "sotto-relay-client-internal-private.h"
#include "sotto-relay-client-private.h"

/* The relay issues each device a short-lived sender certificate
 * (GET /v1/certificate/delivery; docs/relay-api.md), which sealed
 * messages carry in place of an envelope's sender.  Nothing of it is
 * believed here: sotto-sealed-sender.c checks it against the pinned
 * trust root before it is used. */

/* The largest certificate taken from the relay: a SenderCertificate
 * with an embedded server certificate is some 300 bytes. */
#define MAX_CERTIFICATE_BYTES 1024

/**
 * sotto_relay_client_get_sender_certificate_async:
 * @self: a #SottoRelayClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the certificate
 * @user_data: data for @callback
 *
 * Asks the relay for a sender certificate for this device.
 */
void
sotto_relay_client_get_sender_certificate_async (SottoRelayClient    *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_relay_client_get_sender_certificate_async);

  _sotto_relay_client_request (self, task, "GET", "/v1/certificate/delivery", NULL, TRUE);
}

/**
 * sotto_relay_client_get_sender_certificate_finish:
 * @self: a #SottoRelayClient
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the serialized SenderCertificate, unchecked,
 *   or %NULL with @error set
 */
GBytes *
sotto_relay_client_get_sender_certificate_finish (SottoRelayClient  *self,
                                                  GAsyncResult      *result,
                                                  GError           **error)
{
  g_autoptr(JsonObject) object = NULL;
  g_autofree guchar *certificate = NULL;
  const char *encoded;
  gsize len = 0;

  object = _sotto_relay_client_propagate_object (self, result, sotto_relay_client_get_sender_certificate_async,
                                                 error);
  if (object == NULL)
    return NULL;

  encoded = json_object_get_string_member_with_default (object, "certificate", NULL);
  if (encoded != NULL && strlen (encoded) <= (MAX_CERTIFICATE_BYTES / 3 + 1) * 4)
    certificate = g_base64_decode (encoded, &len);

  if (certificate == NULL || len == 0 || len > MAX_CERTIFICATE_BYTES)
    {
      g_set_error_literal (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE,
                           _("The relay’s answer could not be understood (sender certificate)"));
      return NULL;
    }

  return g_bytes_new_take (g_steal_pointer (&certificate), len);
}

/**
 * sotto_relay_client_get_trust_root_async:
 * @self: a #SottoRelayClient
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the key
 * @user_data: data for @callback
 *
 * Asks the relay which trust root its sender certificates chain to
 * (GET /v1/certificate/trust-root), without credentials.  Only a client
 * that pins none yet takes it (sotto-messenger-trust-root.c).
 */
void
sotto_relay_client_get_trust_root_async (SottoRelayClient    *self,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_relay_client_get_trust_root_async);

  _sotto_relay_client_request (self, task, "GET", "/v1/certificate/trust-root", NULL, FALSE);
}

/**
 * sotto_relay_client_get_trust_root_finish:
 * @self: a #SottoRelayClient
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the root's serialized public key, or %NULL
 *   with @error set (%SOTTO_RELAY_ERROR_NOT_FOUND when the relay
 *   publishes none)
 */
GBytes *
sotto_relay_client_get_trust_root_finish (SottoRelayClient  *self,
                                          GAsyncResult      *result,
                                          GError           **error)
{
  g_autoptr(JsonObject) object = NULL;
  g_autofree guchar *key = NULL;
  const char *encoded;
  SpPublicKey decoded;
  gsize len = 0;

  object = _sotto_relay_client_propagate_object (self, result, sotto_relay_client_get_trust_root_async, error);
  if (object == NULL)
    return NULL;

  /* A public key is 33 bytes, 44 characters of base64. */
  encoded = json_object_get_string_member_with_default (object, "trustRoot", NULL);
  if (encoded != NULL && strlen (encoded) == 44)
    key = g_base64_decode (encoded, &len);

  if (key == NULL || len != SP_PUBLIC_KEY_SIZE || sp_public_key_decode (&decoded, key, len) != SP_OK)
    {
      g_set_error_literal (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE,
                           _("The relay’s answer could not be understood (trust root)"));
      return NULL;
    }

  return g_bytes_new (decoded.bytes, SP_PUBLIC_KEY_SIZE);
}
