/* sotto-relay-client-json.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-relay-client"

#include "config.h"

#include <glib/gi18n.h>
#include <sodium.h>

#include "sotto-relay-client-internal-private.h"

/* The relay's JSON as the client reads and writes it: strict readers of
 * the members of its answers, and the members that more than one
 * request carries (prekeys, and the envelopes of a send). */

void
_sotto_relay_set_bad_response (GError     **error,
                               const char  *what)
{
  g_set_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE,
               _("The relay’s answer is not valid (%s)"), what);
}

/* Members of the relay's answers, read strictly: a member of the wrong
 * type is as bad as a missing one. */
gboolean
_sotto_relay_json_get_int (JsonObject *object,
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

const char *
_sotto_relay_json_get_string (JsonObject *object,
                              const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL
      || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

JsonObject *
_sotto_relay_json_get_object (JsonObject *object,
                              const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  return json_node_get_object (node);
}

/* Strict standard base64 with padding into exactly @len bytes. */
gboolean
_sotto_relay_json_get_fixed_base64 (JsonObject *object,
                                    const char *name,
                                    guint8     *out,
                                    gsize       len)
{
  const char *text = _sotto_relay_json_get_string (object, name);
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

GBytes *
_sotto_relay_json_get_base64_bytes (JsonObject *object,
                                    const char *name)
{
  const char *text = _sotto_relay_json_get_string (object, name);
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

/* The device ids in the array @name of @object, each once, so that a
 * relay cannot have the client act on one device again and again; an
 * element that is no device id is skipped. */
GArray *
_sotto_relay_json_get_device_list (JsonObject *object,
                                   const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  GArray *devices = g_array_new (FALSE, FALSE, sizeof (guint));
  gboolean seen[128] = { FALSE };
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
      if (value < 1 || value > 127 || seen[value])
        continue;

      seen[value] = TRUE;
      device = value;
      g_array_append_val (devices, device);
    }

  return devices;
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
void
_sotto_relay_json_add_key_batch (JsonBuilder         *builder,
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

/* Adds the members of a send of @envelopes (SottoRelayOutgoing), made at
 * @timestamp, to the object @builder is in: the same over HTTP and on
 * the delivery socket. */
void
_sotto_relay_json_add_send (JsonBuilder *builder,
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
      /* The relay counts the time left from when it takes the send, so
       * that the clocks of client and relay need not agree; one that
       * has run out is dropped at once. */
      if (outgoing->expires_at > 0)
        {
          json_builder_set_member_name (builder, "expiresInMs");
          json_builder_add_int_value (builder, MAX (1, outgoing->expires_at - g_get_real_time () / 1000));
        }
      json_builder_end_object (builder);
    }

  json_builder_end_array (builder);
}
