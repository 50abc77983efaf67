/* sotto-relay-client-sealed.c: sender certificates from the relay
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-relay-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

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
