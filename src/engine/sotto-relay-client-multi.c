/* sotto-relay-client-multi.c: one send to several accounts
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-relay-client"

#include "config.h"

#include <sodium.h>

#include "sotto-relay-client-internal-private.h"
#include "sotto-relay-client-multi-private.h"

/* PUT /v1/messages/multi (docs/relay-api.md): the same envelopes a
 * single send carries, for several accounts at once, stored by the
 * relay in one transaction, so that a group message goes out in one
 * request.  It goes over HTTP, identified.
 *
 * PUT /v1/messages/multi/unidentified carries one sealed sender v2
 * upload in place of the envelopes, which the relay splits for each
 * device, and each account's unidentified-access key in place of the
 * sender's credentials. */

SottoRelayRecipient *
sotto_relay_recipient_new (const char *uuid)
{
  SottoRelayRecipient *recipient = g_new0 (SottoRelayRecipient, 1);

  recipient->uuid = g_strdup (uuid);
  recipient->envelopes = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_relay_outgoing_free);

  return recipient;
}

void
sotto_relay_recipient_free (SottoRelayRecipient *recipient)
{
  if (recipient == NULL)
    return;

  g_free (recipient->uuid);
  g_ptr_array_unref (recipient->envelopes);
  g_clear_pointer (&recipient->access_key, sodium_free);
  g_free (recipient);
}

/**
 * sotto_relay_client_send_multi_async:
 * @self: a #SottoRelayClient
 * @timestamp: the message's timestamp, in milliseconds since the epoch
 * @recipients: (element-type SottoRelayRecipient): 1 to
 *   %SOTTO_RELAY_MULTI_MAX_ACCOUNTS accounts, each once
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay has committed every envelope, or
 *   refused them all
 * @user_data: data for @callback
 *
 * Sends envelopes to the devices of several accounts in one request.
 */
void
sotto_relay_client_send_multi_async (SottoRelayClient    *self,
                                     gint64               timestamp,
                                     GPtrArray           *recipients,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (recipients != NULL && recipients->len > 0
                    && recipients->len <= SOTTO_RELAY_MULTI_MAX_ACCOUNTS);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_relay_client_send_multi_async);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "timestamp");
  json_builder_add_int_value (builder, timestamp);
  json_builder_set_member_name (builder, "recipients");
  json_builder_begin_array (builder);
  for (guint i = 0; i < recipients->len; i++)
    {
      SottoRelayRecipient *recipient = g_ptr_array_index (recipients, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "destination");
      json_builder_add_string_value (builder, recipient->uuid);
      _sotto_relay_json_add_send (builder, timestamp, recipient->envelopes);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  _sotto_relay_client_request (self, task, "PUT", "/v1/messages/multi", body, TRUE);
}

/* Both sends' answers: the accounts a refusal names, per recipient. */
static gboolean
multi_finish (SottoRelayClient  *self,
              GAsyncResult      *result,
              gpointer           source_tag,
              GStrv             *named,
              GError           **error)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) local_error = NULL;
  SottoRelayRequest *request;
  JsonArray *recipients;

  if (named != NULL)
    *named = NULL;

  object = _sotto_relay_client_propagate_object (self, result, source_tag, &local_error);
  if (object != NULL)
    return TRUE;

  request = g_task_get_task_data (G_TASK (result));
  if (named != NULL && request != NULL && request->refusal != NULL
      && json_object_has_member (request->refusal, "recipients")
      && JSON_NODE_HOLDS_ARRAY (json_object_get_member (request->refusal, "recipients"))
      && (g_error_matches (local_error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_NOT_FOUND)
          || g_error_matches (local_error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_DEVICE_MISMATCH)
          || g_error_matches (local_error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_STALE_DEVICES)))
    {
      GPtrArray *uuids = g_ptr_array_new ();

      recipients = json_object_get_array_member (request->refusal, "recipients");
      /* The relay names at most the accounts it was sent. */
      for (guint i = 0; i < json_array_get_length (recipients) && i < SOTTO_RELAY_MULTI_MAX_ACCOUNTS; i++)
        {
          JsonNode *node = json_array_get_element (recipients, i);
          const char *uuid;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            continue;
          uuid = _sotto_relay_json_get_string (json_node_get_object (node), "uuid");
          if (uuid != NULL && g_uuid_string_is_valid (uuid))
            g_ptr_array_add (uuids, g_ascii_strdown (uuid, -1));
        }
      g_ptr_array_add (uuids, NULL);
      *named = (GStrv) g_ptr_array_free (uuids, FALSE);
    }

  g_propagate_error (error, g_steal_pointer (&local_error));

  return FALSE;
}

/**
 * sotto_relay_client_send_multi_finish:
 * @self: a #SottoRelayClient
 * @result: the result passed to the callback
 * @named: (out) (optional) (nullable): for %SOTTO_RELAY_ERROR_NOT_FOUND,
 *   %SOTTO_RELAY_ERROR_DEVICE_MISMATCH and
 *   %SOTTO_RELAY_ERROR_STALE_DEVICES, the accounts the relay named
 * @error: a location for a #GError
 *
 * Returns: %TRUE once the relay has committed every envelope
 */
gboolean
sotto_relay_client_send_multi_finish (SottoRelayClient  *self,
                                      GAsyncResult      *result,
                                      GStrv             *named,
                                      GError           **error)
{
  return multi_finish (self, result, sotto_relay_client_send_multi_async, named, error);
}

/**
 * sotto_relay_client_send_sealed_multi_async:
 * @self: a #SottoRelayClient
 * @timestamp: the message's timestamp, in milliseconds since the epoch
 * @content: the sealed sender v2 SentMessage, addressed to every device
 *   of @recipients
 * @recipients: (element-type SottoRelayRecipient): 1 to
 *   %SOTTO_RELAY_MULTI_MAX_ACCOUNTS accounts, each once, each with its
 *   access key and an envelope for each device (whose content is not
 *   sent: the relay splits @content for them)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay has committed every device's
 *   message, or refused them all
 * @user_data: data for @callback
 *
 * Sends one sealed message to the devices of several accounts without
 * naming the sender: over HTTP, with the accounts' access keys in place
 * of the credentials.  A wrong key is %SOTTO_RELAY_ERROR_UNAUTHORIZED.
 * Finish with sotto_relay_client_send_sealed_multi_finish().
 */
void
sotto_relay_client_send_sealed_multi_async (SottoRelayClient    *self,
                                            gint64               timestamp,
                                            GBytes              *content,
                                            GPtrArray           *recipients,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GTask) task = NULL;
  g_autofree char *encoded = NULL;

  g_return_if_fail (SOTTO_IS_RELAY_CLIENT (self));
  g_return_if_fail (content != NULL);
  g_return_if_fail (recipients != NULL && recipients->len > 0
                    && recipients->len <= SOTTO_RELAY_MULTI_MAX_ACCOUNTS);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_relay_client_send_sealed_multi_async);

  encoded = g_base64_encode (g_bytes_get_data (content, NULL), g_bytes_get_size (content));
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "timestamp");
  json_builder_add_int_value (builder, timestamp);
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, encoded);
  json_builder_set_member_name (builder, "recipients");
  json_builder_begin_array (builder);
  for (guint i = 0; i < recipients->len; i++)
    {
      SottoRelayRecipient *recipient = g_ptr_array_index (recipients, i);
      g_autofree char *access_key = NULL;

      g_assert (recipient->access_key != NULL);

      access_key = g_base64_encode (recipient->access_key, SOTTO_RELAY_ACCESS_KEY_SIZE);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "destination");
      json_builder_add_string_value (builder, recipient->uuid);
      json_builder_set_member_name (builder, "accessKey");
      json_builder_add_string_value (builder, access_key);
      json_builder_set_member_name (builder, "devices");
      json_builder_begin_array (builder);
      for (guint j = 0; j < recipient->envelopes->len; j++)
        {
          SottoRelayOutgoing *outgoing = g_ptr_array_index (recipient->envelopes, j);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "deviceId");
          json_builder_add_int_value (builder, outgoing->device_id);
          json_builder_set_member_name (builder, "registrationId");
          json_builder_add_int_value (builder, outgoing->registration_id);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  _sotto_relay_client_request (self, task, "PUT", "/v1/messages/multi/unidentified", body, FALSE);
}

/**
 * sotto_relay_client_send_sealed_multi_finish:
 * @self: a #SottoRelayClient
 * @result: the result passed to the callback
 * @named: (out) (optional) (nullable): as for
 *   sotto_relay_client_send_multi_finish()
 * @error: a location for a #GError
 *
 * Returns: %TRUE once the relay has committed every device's message
 */
gboolean
sotto_relay_client_send_sealed_multi_finish (SottoRelayClient  *self,
                                             GAsyncResult      *result,
                                             GStrv             *named,
                                             GError           **error)
{
  return multi_finish (self, result, sotto_relay_client_send_sealed_multi_async, named, error);
}
