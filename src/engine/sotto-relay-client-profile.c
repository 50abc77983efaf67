/* sotto-relay-client-profile.c: encrypted profiles at the relay
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-relay-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sotto-bounded-input-private.h"
#include "sotto-relay-client-internal-private.h"
#include "sotto-relay-client-private.h"

/* The relay stores one opaque, client-encrypted profile per account
 * (PUT and GET /v1/profile) and the account's unidentified-access key
 * (PUT /v1/accounts/unidentified-access-key); docs/relay-api.md has
 * both.  The relay is not trusted with the size of what it returns:
 * a profile is read only up to the largest it may store. */

/**
 * sotto_relay_client_put_profile_async:
 * @self: a #SottoRelayClient
 * @blob: the encrypted profile, 1 to %SOTTO_RELAY_MAX_PROFILE_BYTES bytes
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay stored it
 * @user_data: data for @callback
 *
 * Replaces this account's profile at the relay.
 */
void
sotto_relay_client_put_profile_async (SottoRelayClient    *self,
                                      GBytes              *blob,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (blob != NULL);
  g_return_if_fail (g_bytes_get_size (blob) > 0 && g_bytes_get_size (blob) <= SOTTO_RELAY_MAX_PROFILE_BYTES);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_relay_client_put_profile_async);

  _sotto_relay_client_request_octets (self, task, "PUT", "/v1/profile", blob, FALSE,
                                      SOTTO_RELAY_MAX_ANSWER_BYTES);
}

gboolean
sotto_relay_client_put_profile_finish (SottoRelayClient  *self,
                                       GAsyncResult      *result,
                                       GError           **error)
{
  return _sotto_relay_client_propagate_done (self, result, sotto_relay_client_put_profile_async, error);
}

/**
 * sotto_relay_client_get_profile_async:
 * @self: a #SottoRelayClient
 * @uuid: the account whose profile to fetch
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the encrypted profile
 * @user_data: data for @callback
 *
 * Fetches an account's encrypted profile; an account without one is
 * %SOTTO_RELAY_ERROR_NOT_FOUND.
 */
void
sotto_relay_client_get_profile_async (SottoRelayClient    *self,
                                      const char          *uuid,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (uuid != NULL && g_uuid_string_is_valid (uuid));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_relay_client_get_profile_async);

  path = g_strconcat ("/v1/profile/", uuid, NULL);
  _sotto_relay_client_request_octets (self, task, "GET", path, NULL, TRUE, SOTTO_RELAY_MAX_PROFILE_BYTES);
}

/* Returns: (transfer full): the encrypted profile, not empty */
GBytes *
sotto_relay_client_get_profile_finish (SottoRelayClient  *self,
                                       GAsyncResult      *result,
                                       GError           **error)
{
  g_autoptr(GBytes) blob = NULL;

  blob = _sotto_relay_client_propagate (self, result, sotto_relay_client_get_profile_async, error);
  if (blob != NULL && g_bytes_get_size (blob) == 0)
    {
      g_set_error_literal (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE,
                           _("The relay’s answer could not be understood (empty profile)"));
      return NULL;
    }

  return g_steal_pointer (&blob);
}

/**
 * sotto_relay_client_set_access_key_async:
 * @self: a #SottoRelayClient
 * @key: the account's unidentified-access key
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay stored it
 * @user_data: data for @callback
 *
 * Sets the key that unidentified sends to this account must carry.
 */
void
sotto_relay_client_set_access_key_async (SottoRelayClient    *self,
                                         const guint8         key[SOTTO_RELAY_ACCESS_KEY_SIZE],
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GTask) task = NULL;
  g_autofree char *encoded = NULL;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (key != NULL);

  encoded = g_base64_encode (key, SOTTO_RELAY_ACCESS_KEY_SIZE);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "unidentifiedAccessKey");
  json_builder_add_string_value (builder, encoded);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  sodium_memzero (encoded, strlen (encoded));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_relay_client_set_access_key_async);

  _sotto_relay_client_request (self, task, "PUT", "/v1/accounts/unidentified-access-key", body, TRUE);
}

gboolean
sotto_relay_client_set_access_key_finish (SottoRelayClient  *self,
                                          GAsyncResult      *result,
                                          GError           **error)
{
  return _sotto_relay_client_propagate_done (self, result, sotto_relay_client_set_access_key_async, error);
}
