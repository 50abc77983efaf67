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
  g_free (request->entries);
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

/* Reads the rest of one recipient, whose account is `uuid`. */
typedef gboolean (*RecipientFunc) (JsonObject  *element,
                                   const char  *uuid,
                                   gpointer     data,
                                   GError     **error);

/* The step that identified and sealed multi-recipient sends share: the
 * "recipients" array, 1 to RELAY_MAX_RECIPIENTS_PER_SEND objects, each
 * naming another account, handed in turn to `func`. */
static gboolean
resolve_recipients (JsonObject     *object,
                    RecipientFunc   func,
                    gpointer        data,
                    GError        **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonArray *array = get_array (object, "recipients", RELAY_MAX_RECIPIENTS_PER_SEND, error);

  if (array == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *element = get_element_object (array, i, "recipients", error);
      char uuid[RELAY_UUID_LENGTH + 1];

      if (element == NULL || !get_destination (element, seen, uuid, error) || !func (element, uuid, data, error))
        return FALSE;
    }
  return TRUE;
}

static RelayMultiSendRequest *
multi_send_request_new (void)
{
  RelayMultiSendRequest *request = g_new0 (RelayMultiSendRequest, 1);

  request->recipients = g_ptr_array_new_with_free_func ((GDestroyNotify) relay_recipient_send_free);
  return request;
}

/* A recipient of an identified multi-recipient send, and the envelopes
 * of the send so far. */
typedef struct
{
  RelayMultiSendRequest *request;
  gsize                  max_content;
  guint                  envelopes;
} IdentifiedRead;

static gboolean
read_identified_recipient (JsonObject  *element,
                           const char  *uuid,
                           gpointer     data,
                           GError     **error)
{
  IdentifiedRead *read = data;
  RelayRecipientSend *recipient = g_new0 (RelayRecipientSend, 1);

  g_ptr_array_add (read->request->recipients, recipient);
  memcpy (recipient->uuid, uuid, RELAY_UUID_LENGTH + 1);
  recipient->send = _relay_send_messages_from_object (element, read->request->timestamp, read->max_content, error);
  if (recipient->send == NULL)
    return FALSE;
  read->envelopes += recipient->send->messages->len;
  if (read->envelopes > RELAY_MAX_ENVELOPES_PER_MULTI)
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_TOO_MANY,
                   "A send holds at most %d envelopes", RELAY_MAX_ENVELOPES_PER_MULTI);
      return FALSE;
    }
  return TRUE;
}

RelayMultiSendRequest *
relay_multi_send_request_from_object (JsonObject  *object,
                                      gsize        max_content,
                                      GError     **error)
{
  g_autoptr(RelayMultiSendRequest) request = multi_send_request_new ();
  IdentifiedRead read = { request, max_content, 0 };

  if (!_relay_api_get_integer (object, "timestamp", 0, G_MAXINT64, &request->timestamp, error) ||
      !resolve_recipients (object, read_identified_recipient, &read, error))
    return NULL;
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

static gboolean
read_sealed_recipient (JsonObject  *element,
                       const char  *uuid,
                       gpointer     data,
                       GError     **error)
{
  RelaySealedMultiRequest *request = data;
  RelaySealedRecipient *recipient = g_new0 (RelaySealedRecipient, 1);

  g_ptr_array_add (request->recipients, recipient);
  memcpy (recipient->uuid, uuid, RELAY_UUID_LENGTH + 1);
  return (recipient->access_key = get_access_key (element, "accessKey", error)) != NULL &&
         (recipient->devices = get_sealed_devices (element, &request->n_devices, error)) != NULL;
}

static gboolean
set_content_error (GError     **error,
                   const char  *message)
{
  g_set_error_literal (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_VALUE, message);
  return FALSE;
}

/* Reads the content's recipient table, once, and finds in it every
 * listed device of every recipient.  A table padded with recipients
 * nobody named is refused before any of it is read: what a request
 * costs stays bounded by what it asks for. */
static gboolean
read_recipient_table (RelaySealedMultiRequest  *request,
                      GError                  **error)
{
  gsize max_entries = request->recipients->len + RELAY_MAX_RECIPIENTS_PER_SEND;
  gsize length;
  const guint8 *sent = g_bytes_get_data (request->content, &length);
  int rc;

  request->entries = g_new (SpSealedTableEntry, max_entries);
  rc = sp_sealed_sender_v2_table_parse (&request->table, request->entries, max_entries, sent, length);
  if (rc == SP_ERR_BUFFER_TOO_SMALL)
    return set_content_error (error, "Field “content” lists more recipients than the request names");
  if (rc != SP_OK)
    return set_content_error (error, "Field “content” is not a sealed sender v2 message");
  for (guint i = 0; i < request->recipients->len; i++)
    {
      RelaySealedRecipient *recipient = g_ptr_array_index (request->recipients, i);

      rc = sp_sealed_sender_v2_table_lookup (&request->table, recipient->uuid, &recipient->entry);
      if (rc == SP_ERR_MALFORMED)
        return set_content_error (error, "Field “content” is not a sealed sender v2 message");
      for (guint j = 0; j < recipient->devices->len; j++)
        if (rc != SP_OK ||
            !sp_sealed_table_entry_has_device (&recipient->entry,
                                               g_array_index (recipient->devices, RelaySealedDevice, j).device_id))
          return set_content_error (error, "Field “content” is not addressed to every listed device");
    }
  return TRUE;
}

RelaySealedMultiRequest *
relay_sealed_multi_request_parse (const char  *data,
                                  gsize        length,
                                  gsize        max_content,
                                  GError     **error)
{
  g_autoptr(RelaySealedMultiRequest) request = g_new0 (RelaySealedMultiRequest, 1);
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *object;
  const char *content;

  request->recipients = g_ptr_array_new_with_free_func ((GDestroyNotify) sealed_recipient_free);
  object = _relay_api_parse_object (data, length, &parser, error);
  if (object == NULL ||
      !_relay_api_get_integer (object, "timestamp", 0, G_MAXINT64, &request->timestamp, error) ||
      !_relay_api_get_optional_integer (object, "expiresInMs", 1, G_MAXINT64, 0, &request->expires_in_ms, error))
    return NULL;
  if ((content = _relay_api_get_string (object, "content", TRUE, error)) == NULL)
    return NULL;
  request->content = _relay_api_decode_base64 (content, strlen (content), "content", max_content, error);
  if (request->content == NULL ||
      !resolve_recipients (object, read_sealed_recipient, request, error) ||
      !read_recipient_table (request, error))
    return NULL;
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

/* Every device's message has the same length, the table's. */
gboolean
relay_sealed_multi_request_split_size (RelaySealedMultiRequest  *request,
                                       gsize                     max_envelope,
                                       guint64                  *held_bytes,
                                       GError                  **error)
{
  guint64 length = sp_sealed_sender_v2_table_received_size (&request->table);

  if (length > max_envelope || length * request->n_devices > RELAY_MAX_MULTI_STORED_BYTES)
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_TOO_LARGE,
                   "Field “content” makes messages larger than the relay stores");
      return FALSE;
    }
  /* Each message, and its base64: four characters for every three
   * bytes, rounded up. */
  if (held_bytes != NULL)
    *held_bytes = (length + (length + 2) / 3 * 4) * request->n_devices;
  return TRUE;
}

/* A recipient's devices all get the same message: it is made once, and
 * each device's envelope shares it. */
static void
split_for_recipient (RelaySealedMultiRequest *request,
                     RelaySealedRecipient    *sealed,
                     RelaySendRequest        *send,
                     guint8                  *buffer,
                     gsize                    size)
{
  g_autoptr(GBytes) content = NULL;
  g_autofree char *encoded = NULL;
  size_t written = 0;
  int rc = sp_sealed_sender_v2_table_split (buffer, size, &written, &request->table, &sealed->entry);

  /* The parse found the recipient's keys and sized the buffer. */
  g_assert (rc == SP_OK);
  content = g_bytes_new (buffer, written);
  encoded = g_base64_encode (buffer, written);
  for (guint i = 0; i < sealed->devices->len; i++)
    {
      const RelaySealedDevice *device = &g_array_index (sealed->devices, RelaySealedDevice, i);
      RelayOutgoingEnvelope *envelope = _relay_outgoing_envelope_new (encoded, strlen (encoded));

      envelope->type = RELAY_ENVELOPE_TYPE_SEALED;
      envelope->device_id = device->device_id;
      envelope->registration_id = device->registration_id;
      envelope->expires_in_ms = request->expires_in_ms;
      envelope->content = g_bytes_ref (content);
      g_ptr_array_add (send->messages, envelope);
    }
}

RelayMultiSendRequest *
relay_sealed_multi_request_split (RelaySealedMultiRequest  *request,
                                  gsize                     max_envelope,
                                  GError                  **error)
{
  g_autoptr(RelayMultiSendRequest) multi = multi_send_request_new ();
  gsize size = sp_sealed_sender_v2_table_received_size (&request->table);
  g_autofree guint8 *buffer = NULL;

  if (!relay_sealed_multi_request_split_size (request, max_envelope, NULL, error))
    return NULL;
  buffer = g_malloc (size);
  multi->timestamp = request->timestamp;
  for (guint i = 0; i < request->recipients->len; i++)
    {
      RelaySealedRecipient *sealed = g_ptr_array_index (request->recipients, i);
      RelayRecipientSend *recipient = g_new0 (RelayRecipientSend, 1);

      g_ptr_array_add (multi->recipients, recipient);
      memcpy (recipient->uuid, sealed->uuid, sizeof recipient->uuid);
      recipient->access_key = g_bytes_ref (sealed->access_key);
      recipient->send = _relay_send_request_new ();
      recipient->send->timestamp = request->timestamp;
      split_for_recipient (request, sealed, recipient->send, buffer, size);
    }
  return g_steal_pointer (&multi);
}
