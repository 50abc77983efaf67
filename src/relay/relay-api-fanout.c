/* relay-api-fanout.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Decoders of the requests that send to several accounts at once, or to
 * one without naming the sender.  Every count is bounded before anything
 * is allocated for it, and a request that names an account twice is
 * refused: the storage stores each account's part on its own.
 */

#include "config.h"

#include <string.h>

#include "relay-api-fanout.h"
#include "relay-api-private.h"
#include "sp-error.h"
#include "sp-sealed-sender.h"

void
relay_recipient_send_free (RelayRecipientSend *recipient)
{
  g_clear_pointer (&recipient->access_key, g_bytes_unref);
  relay_send_request_free (recipient->send);
  g_free (recipient);
}

void
relay_multi_send_request_free (RelayMultiSendRequest *request)
{
  if (request == NULL)
    return;
  g_clear_pointer (&request->recipients, g_ptr_array_unref);
  g_free (request);
}

static void
sealed_recipient_free (RelaySealedRecipient *recipient)
{
  g_clear_pointer (&recipient->access_key, g_bytes_unref);
  g_clear_pointer (&recipient->devices, g_array_unref);
  g_free (recipient);
}

void
relay_sealed_multi_request_free (RelaySealedMultiRequest *request)
{
  if (request == NULL)
    return;
  g_clear_pointer (&request->content, g_bytes_unref);
  g_clear_pointer (&request->recipients, g_ptr_array_unref);
  g_free (request);
}

/* The array member `name` with 1 to `max` elements, or NULL. */
static JsonArray *
get_array (JsonObject  *object,
           const char  *name,
           guint        max,
           GError     **error)
{
  JsonNode *node = _relay_api_get_member (object, name, TRUE, error);
  JsonArray *array;
  guint n;

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_WRONG_TYPE,
                   "Field “%s” must be an array", name);
      return NULL;
    }
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n == 0 || n > max)
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_TOO_MANY,
                   "Field “%s” holds 1 to %u elements", name, max);
      return NULL;
    }
  return array;
}

/* The object at `index` of an array of objects, or NULL. */
static JsonObject *
get_element_object (JsonArray   *array,
                    guint        index,
                    const char  *name,
                    GError     **error)
{
  JsonNode *node = json_array_get_element (array, index);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_WRONG_TYPE,
                   "Each of “%s” must be an object", name);
      return NULL;
    }
  return json_node_get_object (node);
}

/* Reads "destination" into `uuid`, and refuses an account that `seen`
 * (a set of UUID strings the caller owns) already holds. */
static gboolean
get_destination (JsonObject  *object,
                 GHashTable  *seen,
                 char         uuid[RELAY_UUID_LENGTH + 1],
                 GError     **error)
{
  const char *destination = _relay_api_get_string (object, "destination", TRUE, error);

  if (destination == NULL)
    return FALSE;
  if (!relay_uuid_is_valid (destination, strlen (destination)))
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_VALUE,
                   "Field “destination” is not an account UUID");
      return FALSE;
    }
  memcpy (uuid, destination, RELAY_UUID_LENGTH + 1);
  if (!g_hash_table_add (seen, g_strdup (uuid)))
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_DUPLICATE,
                   "Two recipients name the same account");
      return FALSE;
    }
  return TRUE;
}

static GBytes *
get_access_key (JsonObject  *object,
                const char  *name,
                GError     **error)
{
  return _relay_api_get_fixed_bytes (object, name, RELAY_ACCESS_KEY_BYTES, -1, error);
}

static RelayMultiSendRequest *
multi_send_request_new (void)
{
  RelayMultiSendRequest *request = g_new0 (RelayMultiSendRequest, 1);

  request->recipients = g_ptr_array_new_with_free_func ((GDestroyNotify) relay_recipient_send_free);
  return request;
}

RelayMultiSendRequest *
relay_multi_send_request_from_object (JsonObject  *object,
                                      gsize        max_content,
                                      GError     **error)
{
  g_autoptr(RelayMultiSendRequest) request = multi_send_request_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonArray *array;
  guint envelopes = 0;

  if (!_relay_api_get_integer (object, "timestamp", 0, G_MAXINT64, &request->timestamp, error))
    return NULL;
  array = get_array (object, "recipients", RELAY_MAX_RECIPIENTS_PER_SEND, error);
  if (array == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *element = get_element_object (array, i, "recipients", error);
      RelayRecipientSend *recipient;

      if (element == NULL)
        return NULL;
      recipient = g_new0 (RelayRecipientSend, 1);
      g_ptr_array_add (request->recipients, recipient);
      if (!get_destination (element, seen, recipient->uuid, error))
        return NULL;
      recipient->send = _relay_send_messages_from_object (element, request->timestamp, max_content, error);
      if (recipient->send == NULL)
        return NULL;
      envelopes += recipient->send->messages->len;
      if (envelopes > RELAY_MAX_ENVELOPES_PER_MULTI)
        {
          g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_TOO_MANY,
                       "A send holds at most %d envelopes", RELAY_MAX_ENVELOPES_PER_MULTI);
          return NULL;
        }
    }
  return g_steal_pointer (&request);
}

RelayMultiSendRequest *
relay_multi_send_request_parse (const char  *data,
                                gsize        length,
                                gsize        max_content,
                                GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *object = _relay_api_parse_object (data, length, &parser, error);

  if (object == NULL)
    return NULL;
  return relay_multi_send_request_from_object (object, max_content, error);
}

RelayMultiSendRequest *
relay_unidentified_send_parse (const char  *data,
                               gsize        length,
                               const char  *destination,
                               gsize        max_content,
                               GError     **error)
{
  g_autoptr(RelayMultiSendRequest) request = multi_send_request_new ();
  g_autoptr(JsonParser) parser = NULL;
  RelayRecipientSend *recipient;
  JsonObject *object;

  g_return_val_if_fail (relay_uuid_is_valid (destination, strlen (destination)), NULL);

  object = _relay_api_parse_object (data, length, &parser, error);
  if (object == NULL)
    return NULL;
  recipient = g_new0 (RelayRecipientSend, 1);
  g_ptr_array_add (request->recipients, recipient);
  memcpy (recipient->uuid, destination, RELAY_UUID_LENGTH + 1);
  if ((recipient->access_key = get_access_key (object, "accessKey", error)) == NULL)
    return NULL;
  if ((recipient->send = _relay_send_request_from_object (object, max_content, error)) == NULL)
    return NULL;
  request->timestamp = recipient->send->timestamp;
  for (guint i = 0; i < recipient->send->messages->len; i++)
    if (((RelayOutgoingEnvelope *) g_ptr_array_index (recipient->send->messages, i))->type !=
        RELAY_ENVELOPE_TYPE_SEALED)
      {
        g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_VALUE,
                     "An unidentified send carries only sealed sender envelopes (type %d)",
                     RELAY_ENVELOPE_TYPE_SEALED);
        return NULL;
      }
  return g_steal_pointer (&request);
}

/* The devices of one recipient of a sealed sender v2 upload. */
static GArray *
get_sealed_devices (JsonObject  *object,
                    guint       *total,
                    GError     **error)
{
  g_autoptr(GArray) devices = NULL;
  JsonArray *array = get_array (object, "devices", RELAY_MAX_ENVELOPES_PER_REQUEST, error);

  if (array == NULL)
    return NULL;
  devices = g_array_sized_new (FALSE, FALSE, sizeof (RelaySealedDevice), json_array_get_length (array));
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *element = get_element_object (array, i, "devices", error);
      RelaySealedDevice device;
      gint64 device_id;
      gint64 registration_id;

      if (element == NULL ||
          !_relay_api_get_integer (element, "deviceId", 1, RELAY_DEVICE_ID_MAX, &device_id, error) ||
          !_relay_api_get_integer (element, "registrationId", 1, RELAY_REGISTRATION_ID_MAX,
                                   &registration_id, error))
        return NULL;
      for (guint j = 0; j < devices->len; j++)
        if (g_array_index (devices, RelaySealedDevice, j).device_id == (guint32) device_id)
          {
            g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_DUPLICATE,
                         "A device is listed twice");
            return NULL;
          }
      device.device_id = (guint32) device_id;
      device.registration_id = (guint32) registration_id;
      g_array_append_val (devices, device);
    }
  *total += devices->len;
  if (*total > RELAY_MAX_ENVELOPES_PER_MULTI)
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_TOO_MANY,
                   "A send goes to at most %d devices", RELAY_MAX_ENVELOPES_PER_MULTI);
      return NULL;
    }
  return g_steal_pointer (&devices);
}

RelaySealedMultiRequest *
relay_sealed_multi_request_parse (const char  *data,
                                  gsize        length,
                                  gsize        max_content,
                                  GError     **error)
{
  g_autoptr(RelaySealedMultiRequest) request = g_new0 (RelaySealedMultiRequest, 1);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *object;
  JsonArray *array;
  const char *content;
  guint total = 0;
  guint32 table = 0;

  request->recipients = g_ptr_array_new_with_free_func ((GDestroyNotify) sealed_recipient_free);
  object = _relay_api_parse_object (data, length, &parser, error);
  if (object == NULL ||
      !_relay_api_get_integer (object, "timestamp", 0, G_MAXINT64, &request->timestamp, error))
    return NULL;
  if ((content = _relay_api_get_string (object, "content", TRUE, error)) == NULL)
    return NULL;
  request->content = _relay_api_decode_base64 (content, strlen (content), "content", max_content, error);
  if (request->content == NULL)
    return NULL;
  array = get_array (object, "recipients", RELAY_MAX_RECIPIENTS_PER_SEND, error);
  if (array == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *element = get_element_object (array, i, "recipients", error);
      RelaySealedRecipient *recipient;

      if (element == NULL)
        return NULL;
      recipient = g_new0 (RelaySealedRecipient, 1);
      g_ptr_array_add (request->recipients, recipient);
      if (!get_destination (element, seen, recipient->uuid, error) ||
          (recipient->access_key = get_access_key (element, "accessKey", error)) == NULL ||
          (recipient->devices = get_sealed_devices (element, &total, error)) == NULL)
        return NULL;
    }
  /* The relay splits the content once per listed device, and each split
   * reads the whole recipient table: a table padded with recipients
   * nobody named would make one request cost the event loop seconds. */
  if (sp_sealed_sender_v2_recipient_count (g_bytes_get_data (request->content, NULL),
                                           g_bytes_get_size (request->content), &table) != SP_OK ||
      table > request->recipients->len + RELAY_MAX_RECIPIENTS_PER_SEND)
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_VALUE,
                   "Field “content” lists more recipients than the request names");
      return NULL;
    }
  return g_steal_pointer (&request);
}

GBytes *
relay_access_key_request_parse (const char  *data,
                                gsize        length,
                                GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *object = _relay_api_parse_object (data, length, &parser, error);

  if (object == NULL)
    return NULL;
  return get_access_key (object, "unidentifiedAccessKey", error);
}

RelayClientMessage *
relay_client_message_send_multi_from_object (JsonObject  *object,
                                             gsize        max_content,
                                             gint64      *failed_id,
                                             GError     **error)
{
  g_autoptr(RelayClientMessage) message = _relay_client_message_new_send ();

  message->kind = RELAY_CLIENT_MESSAGE_SEND_MULTI;
  if (!_relay_api_get_integer (object, "id", 0, G_MAXINT64, &message->id, error))
    return NULL;
  *failed_id = message->id;
  message->multi = relay_multi_send_request_from_object (object, max_content, error);
  if (message->multi == NULL)
    return NULL;
  return g_steal_pointer (&message);
}

/* One device's ReceivedMessage as an envelope; every device's has the
 * same length, so `length` is known after the first. */
static RelayOutgoingEnvelope *
split_for_device (RelaySealedMultiRequest  *request,
                  const char               *uuid,
                  const RelaySealedDevice  *device,
                  guint8                   *buffer,
                  gsize                     size,
                  gsize                    *length,
                  GError                  **error)
{
  gsize sent_length;
  const guint8 *sent = g_bytes_get_data (request->content, &sent_length);
  g_autofree char *encoded = NULL;
  RelayOutgoingEnvelope *envelope;
  size_t written = 0;
  int rc = sp_sealed_sender_v2_split (buffer, size, &written, sent, sent_length, uuid, device->device_id);

  if (rc == SP_ERR_INVALID_ARGUMENT)
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_VALUE,
                   "Field “content” is not addressed to every listed device");
      return NULL;
    }
  if (rc != SP_OK)
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_VALUE,
                   "Field “content” is not a sealed sender v2 message");
      return NULL;
    }
  *length = written;
  encoded = g_base64_encode (buffer, written);
  envelope = _relay_outgoing_envelope_new (encoded, strlen (encoded));
  envelope->type = RELAY_ENVELOPE_TYPE_SEALED;
  envelope->device_id = device->device_id;
  envelope->registration_id = device->registration_id;
  envelope->content = g_bytes_new (buffer, written);
  return envelope;
}

RelayMultiSendRequest *
relay_sealed_multi_request_split (RelaySealedMultiRequest  *request,
                                  gsize                     max_envelope,
                                  GError                  **error)
{
  g_autoptr(RelayMultiSendRequest) multi = multi_send_request_new ();
  gsize size = g_bytes_get_size (request->content);
  g_autofree guint8 *buffer = g_malloc (MAX (size, 1));
  guint devices = 0;

  multi->timestamp = request->timestamp;
  for (guint i = 0; i < request->recipients->len; i++)
    devices += ((RelaySealedRecipient *) g_ptr_array_index (request->recipients, i))->devices->len;
  for (guint i = 0; i < request->recipients->len; i++)
    {
      RelaySealedRecipient *sealed = g_ptr_array_index (request->recipients, i);
      RelayRecipientSend *recipient = g_new0 (RelayRecipientSend, 1);

      g_ptr_array_add (multi->recipients, recipient);
      memcpy (recipient->uuid, sealed->uuid, sizeof recipient->uuid);
      recipient->access_key = g_bytes_ref (sealed->access_key);
      recipient->send = _relay_send_request_new ();
      recipient->send->timestamp = request->timestamp;
      for (guint j = 0; j < sealed->devices->len; j++)
        {
          RelayOutgoingEnvelope *envelope;
          gsize length;

          envelope = split_for_device (request, sealed->uuid, &g_array_index (sealed->devices, RelaySealedDevice, j),
                                       buffer, size, &length, error);
          if (envelope == NULL)
            return NULL;
          g_ptr_array_add (recipient->send->messages, envelope);
          if (length > max_envelope || (guint64) length * devices > RELAY_MAX_MULTI_STORED_BYTES)
            {
              g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_TOO_LARGE,
                           "Field “content” makes messages larger than the relay stores");
              return NULL;
            }
        }
    }
  return g_steal_pointer (&multi);
}
