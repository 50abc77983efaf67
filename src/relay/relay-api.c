/* relay-api.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Strict decoders for the request bodies of API v1.  They turn untrusted
 * bytes into a validated struct or fail with a RelayApiError; nothing
 * here touches storage or the network, which keeps them easy to fuzz.
 * Error messages name the offending field but never repeat its value.
 */

#include "config.h"

#include <json-glib/json-glib.h>
#include <sodium.h>
#include <string.h>

#include "relay-api-fanout.h"
#include "relay-api-private.h"

G_DEFINE_QUARK (relay-api-error-quark, relay_api_error)

static const char * const error_names[] = {
  [RELAY_API_ERROR_BAD_JSON] = "bad-json",
  [RELAY_API_ERROR_MISSING_FIELD] = "missing-field",
  [RELAY_API_ERROR_WRONG_TYPE] = "wrong-type",
  [RELAY_API_ERROR_BAD_BASE64] = "bad-base64",
  [RELAY_API_ERROR_BAD_KEY] = "bad-key",
  [RELAY_API_ERROR_BAD_USERNAME] = "bad-username",
  [RELAY_API_ERROR_BAD_VALUE] = "bad-value",
  [RELAY_API_ERROR_TOO_LARGE] = "too-large",
  [RELAY_API_ERROR_TOO_MANY] = "too-many",
  [RELAY_API_ERROR_DUPLICATE] = "duplicate",
};

const char *
relay_api_error_name (RelayApiError code)
{
  if ((guint) code >= G_N_ELEMENTS (error_names))
    return "bad-request";
  return error_names[code];
}

void
relay_prekey_free (RelayPreKey *prekey)
{
  if (prekey == NULL)
    return;
  g_clear_pointer (&prekey->public_key, g_bytes_unref);
  g_clear_pointer (&prekey->signature, g_bytes_unref);
  g_free (prekey);
}

void
relay_register_request_free (RelayRegisterRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->username);
  if (request->password != NULL)
    sodium_memzero (request->password, strlen (request->password));
  g_free (request->password);
  if (request->registration_token != NULL)
    sodium_memzero (request->registration_token, strlen (request->registration_token));
  g_free (request->registration_token);
  g_clear_pointer (&request->identity_key, g_bytes_unref);
  relay_prekey_free (request->signed_prekey);
  relay_prekey_free (request->last_resort);
  g_clear_pointer (&request->prekeys, g_ptr_array_unref);
  g_clear_pointer (&request->pq_prekeys, g_ptr_array_unref);
  g_free (request);
}

void
relay_keys_request_free (RelayKeysRequest *request)
{
  if (request == NULL)
    return;
  relay_prekey_free (request->signed_prekey);
  relay_prekey_free (request->last_resort);
  g_clear_pointer (&request->prekeys, g_ptr_array_unref);
  g_clear_pointer (&request->pq_prekeys, g_ptr_array_unref);
  g_clear_pointer (&request->identity_key, g_bytes_unref);
  g_free (request);
}

static void
outgoing_envelope_free (RelayOutgoingEnvelope *envelope)
{
  g_clear_pointer (&envelope->content, g_bytes_unref);
  g_free (envelope);
}

/* The base64 text of the content is kept in the same allocation as the
 * envelope: the relay reads one envelope for every message it carries. */
RelayOutgoingEnvelope *
_relay_outgoing_envelope_new (const char *content_base64,
                              gsize       length)
{
  RelayOutgoingEnvelope *envelope = g_malloc (sizeof *envelope + length + 1);

  *envelope = (RelayOutgoingEnvelope) { .content_base64 = (char *) (envelope + 1) };
  memcpy (envelope->content_base64, content_base64, length);
  envelope->content_base64[length] = '\0';
  return envelope;
}

RelaySendRequest *
_relay_send_request_new (void)
{
  RelaySendRequest *request = g_new0 (RelaySendRequest, 1);

  request->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) outgoing_envelope_free);
  return request;
}

void
relay_send_request_free (RelaySendRequest *request)
{
  if (request == NULL)
    return;
  g_clear_pointer (&request->messages, g_ptr_array_unref);
  g_free (request);
}

void
relay_credentials_free (RelayCredentials *credentials)
{
  if (credentials == NULL)
    return;
  if (credentials->password != NULL)
    sodium_memzero (credentials->password, strlen (credentials->password));
  g_free (credentials->password);
  g_free (credentials);
}

gboolean
relay_username_is_valid (const char *username,
                         gsize       length)
{
  if (length < RELAY_USERNAME_MIN || length > RELAY_USERNAME_MAX)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    {
      char c = username[i];

      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_'))
        return FALSE;
    }
  return TRUE;
}

gboolean
relay_uuid_is_valid (const char *text,
                     gsize       length)
{
  if (length != RELAY_UUID_LENGTH)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (i == 8 || i == 13 || i == 18 || i == 23)
        {
          if (c != '-')
            return FALSE;
        }
      else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
        return FALSE;
    }
  return TRUE;
}

/* Written by hand: the loop names a device for every envelope it
 * delivers, and printf would be most of that cost. */
void
relay_device_key (char        key[RELAY_DEVICE_KEY_SIZE],
                  const char *uuid,
                  guint32     device_id)
{
  gsize length = strnlen (uuid, RELAY_UUID_LENGTH);
  char *p = key + length;

  g_assert (device_id >= 1 && device_id <= RELAY_DEVICE_ID_MAX);

  memcpy (key, uuid, length);
  *p++ = '.';
  if (device_id >= 100)
    *p++ = (char) ('0' + device_id / 100);
  if (device_id >= 10)
    *p++ = (char) ('0' + device_id / 10 % 10);
  *p++ = (char) ('0' + device_id % 10);
  *p = '\0';
}

JsonObject *
_relay_api_parse_object (const char  *data,
                         gsize        length,
                         JsonParser **parser_out,
                         GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;

  if (!_relay_json_check (data, length, RELAY_MAX_JSON_DEPTH) || !g_utf8_validate (data, length, NULL))
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_JSON,
                   "The body is not valid JSON");
      return NULL;
    }
  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) length, NULL))
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_JSON,
                   "The body is not valid JSON");
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_JSON,
                   "The body is not a JSON object");
      return NULL;
    }
  *parser_out = g_steal_pointer (&parser);
  return json_node_get_object (root);
}

/* Member accessors: each fails with missing-field or wrong-type. */

JsonNode *
_relay_api_get_member (JsonObject  *object,
                       const char  *name,
                       gboolean     required,
                       GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_MISSING_FIELD,
                     "Missing field “%s”", name);
      return NULL;
    }
  return node;
}

gboolean
_relay_api_get_integer (JsonObject  *object,
                        const char  *name,
                        gint64       min,
                        gint64       max,
                        gint64      *value,
                        GError     **error)
{
  JsonNode *node = _relay_api_get_member (object, name, TRUE, error);
  gint64 v;

  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_WRONG_TYPE,
                   "Field “%s” must be an integer", name);
      return FALSE;
    }
  v = json_node_get_int (node);
  if (v < min || v > max)
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_VALUE,
                   "Field “%s” is out of range", name);
      return FALSE;
    }
  *value = v;
  return TRUE;
}

gboolean
_relay_api_get_optional_integer (JsonObject  *object,
                                 const char  *name,
                                 gint64       min,
                                 gint64       max,
                                 gint64       fallback,
                                 gint64      *value,
                                 GError     **error)
{
  if (_relay_api_get_member (object, name, FALSE, NULL) == NULL)
    {
      *value = fallback;
      return TRUE;
    }
  return _relay_api_get_integer (object, name, min, max, value, error);
}

const char *
_relay_api_get_string (JsonObject  *object,
                       const char  *name,
                       gboolean     required,
                       GError     **error)
{
  JsonNode *node = _relay_api_get_member (object, name, required, error);

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_WRONG_TYPE,
                   "Field “%s” must be a string", name);
      return NULL;
    }
  return json_node_get_string (node);
}

/* One more than the value of each base64 digit, and 0 for every other
 * byte. */
static const guint8 base64_digits[256] = {
  ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
  ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
  ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
  ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
  ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
  ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
  ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
  ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

static int
base64_value (char c)
{
  return base64_digits[(guint8) c] - 1;
}

/* Strict standard base64 with padding, accepting exactly what
 * sodium_base642bin() accepts for sodium_base64_VARIANT_ORIGINAL: whole
 * groups of four, "=" only to pad the last one, and no stray bits in
 * it.  Keys and envelopes are public to the relay, so this decoder need
 * not take constant time, and sodium's, which does, cost more than any
 * other step of a send; passwords still go through sodium. */
gboolean
_relay_base64_decode (const char *text,
                      gsize       length,
                      guint8     *out,
                      gsize      *out_length)
{
  gsize padding = 0;
  gsize n = 0;
  guint32 group = 0;
  guint bits = 0;

  if (length % 4 != 0)
    return FALSE;
  if (length > 0 && text[length - 1] == '=')
    padding = text[length - 2] == '=' ? 2 : 1;
  for (gsize i = 0; i < length - padding; i++)
    {
      int value = base64_value (text[i]);

      if (value < 0)
        return FALSE;
      group = group << 6 | (guint32) value;
      bits += 6;
      if (bits >= 8)
        {
          bits -= 8;
          out[n++] = (guint8) (group >> bits);
        }
    }
  /* What is left of the last group is 0, 2 or 4 bits, all zero. */
  if ((group & ((1u << bits) - 1)) != 0)
    return FALSE;
  *out_length = n;
  return TRUE;
}

GBytes *
_relay_api_decode_base64 (const char  *text,
                          gsize        text_length,
                          const char  *name,
                          gsize        max_length,
                          GError     **error)
{
  gsize capacity = text_length / 4 * 3 + 3;
  g_autofree guint8 *bin = NULL;
  gsize bin_length = 0;

  /* Reject what cannot fit before allocating for it; the exact decoded
   * length is checked after decoding. */
  if (text_length > (max_length / 3 + 1) * 4)
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_TOO_LARGE,
                   "Field “%s” is too large", name);
      return NULL;
    }
  bin = g_malloc (capacity);
  if (!_relay_base64_decode (text, text_length, bin, &bin_length))
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_BASE64,
                   "Field “%s” is not valid base64", name);
      return NULL;
    }
  if (bin_length > max_length)
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_TOO_LARGE,
                   "Field “%s” is too large", name);
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&bin), bin_length);
}

/* Decodes a key or signature of an exact length and, when type_byte is
 * not negative, with that leading type byte. */
GBytes *
_relay_api_get_fixed_bytes (JsonObject  *object,
                            const char  *name,
                            gsize        length,
                            int          type_byte,
                            GError     **error)
{
  const char *text = _relay_api_get_string (object, name, TRUE, error);
  g_autoptr(GBytes) bytes = NULL;
  const guint8 *data;
  gsize size;

  if (text == NULL)
    return NULL;
  bytes = _relay_api_decode_base64 (text, strlen (text), name, length, error);
  if (bytes == NULL)
    {
      if (g_error_matches (*error, RELAY_API_ERROR, RELAY_API_ERROR_TOO_LARGE))
        {
          g_clear_error (error);
          g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_KEY,
                       "Field “%s” has the wrong length", name);
        }
      return NULL;
    }
  data = g_bytes_get_data (bytes, &size);
  if (size != length || (type_byte >= 0 && data[0] != (guint8) type_byte))
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_KEY,
                   "Field “%s” is not a valid key or signature", name);
      return NULL;
    }
  return g_steal_pointer (&bytes);
}

typedef enum
{
  PREKEY_EC_ONE_TIME,
  PREKEY_EC_SIGNED,
  PREKEY_KYBER,
} PreKeyKind;

static RelayPreKey *
parse_prekey (JsonNode    *node,
              const char  *name,
              PreKeyKind   kind,
              GError     **error)
{
  g_autoptr(RelayPreKey) prekey = g_new0 (RelayPreKey, 1);
  JsonObject *object;
  gint64 key_id;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_WRONG_TYPE,
                   "Field “%s” must be an object", name);
      return NULL;
    }
  object = json_node_get_object (node);
  if (!_relay_api_get_integer (object, "keyId", 0, RELAY_KEY_ID_MAX, &key_id, error))
    return NULL;
  prekey->key_id = (guint32) key_id;
  if (kind == PREKEY_KYBER)
    prekey->public_key = _relay_api_get_fixed_bytes (object, "publicKey", RELAY_KYBER_KEY_BYTES,
                                          RELAY_KYBER_KEY_TYPE, error);
  else
    prekey->public_key = _relay_api_get_fixed_bytes (object, "publicKey", RELAY_EC_KEY_BYTES,
                                          RELAY_EC_KEY_TYPE, error);
  if (prekey->public_key == NULL)
    return NULL;
  if (kind != PREKEY_EC_ONE_TIME)
    {
      prekey->signature = _relay_api_get_fixed_bytes (object, "signature", RELAY_SIGNATURE_BYTES, -1, error);
      if (prekey->signature == NULL)
        return NULL;
    }
  return g_steal_pointer (&prekey);
}

static gboolean
parse_optional_prekey (JsonObject   *object,
                       const char   *name,
                       PreKeyKind    kind,
                       gboolean      required,
                       RelayPreKey **out,
                       GError      **error)
{
  JsonNode *node = _relay_api_get_member (object, name, required, error);

  if (node == NULL)
    return !required;
  *out = parse_prekey (node, name, kind, error);
  return *out != NULL;
}

static GPtrArray *
parse_prekey_list (JsonObject  *object,
                   const char  *name,
                   PreKeyKind   kind,
                   GError     **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) relay_prekey_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  JsonNode *node = _relay_api_get_member (object, name, FALSE, error);
  JsonArray *array;
  guint n;

  if (node == NULL)
    return g_steal_pointer (&list);
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_WRONG_TYPE,
                   "Field “%s” must be an array", name);
      return NULL;
    }
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n > RELAY_MAX_PREKEYS_PER_REQUEST)
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_TOO_MANY,
                   "Field “%s” holds more than %d prekeys", name,
                   RELAY_MAX_PREKEYS_PER_REQUEST);
      return NULL;
    }
  for (guint i = 0; i < n; i++)
    {
      RelayPreKey *prekey = parse_prekey (json_array_get_element (array, i), name, kind, error);

      if (prekey == NULL)
        return NULL;
      g_ptr_array_add (list, prekey);
      if (!g_hash_table_add (seen, GUINT_TO_POINTER (prekey->key_id + 1)))
        {
          g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_DUPLICATE,
                       "Field “%s” repeats a key id", name);
          return NULL;
        }
    }
  return g_steal_pointer (&list);
}

RelayRegisterRequest *
relay_register_request_parse (const char  *data,
                              gsize        length,
                              GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(RelayRegisterRequest) request = g_new0 (RelayRegisterRequest, 1);
  JsonObject *object;
  const char *username;
  const char *password;
  const char *token;
  gint64 registration_id;
  gsize password_length;

  object = _relay_api_parse_object (data, length, &parser, error);
  if (object == NULL)
    return NULL;

  username = _relay_api_get_string (object, "username", TRUE, error);
  if (username == NULL)
    return NULL;
  if (!relay_username_is_valid (username, strlen (username)))
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_USERNAME,
                   "A username has %d to %d characters of a-z, 0-9, “.” and “_”",
                   RELAY_USERNAME_MIN, RELAY_USERNAME_MAX);
      return NULL;
    }
  request->username = g_strdup (username);

  password = _relay_api_get_string (object, "password", TRUE, error);
  if (password == NULL)
    return NULL;
  password_length = strlen (password);
  if (password_length < RELAY_PASSWORD_MIN || password_length > RELAY_PASSWORD_MAX)
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_VALUE,
                   "A device password has %d to %d bytes",
                   RELAY_PASSWORD_MIN, RELAY_PASSWORD_MAX);
      return NULL;
    }
  request->password = g_strdup (password);

  token = _relay_api_get_string (object, "registrationToken", FALSE, error);
  if (token == NULL && error != NULL && *error != NULL)
    return NULL;
  request->registration_token = g_strdup (token);

  if (!_relay_api_get_integer (object, "registrationId", 1, RELAY_REGISTRATION_ID_MAX, &registration_id, error))
    return NULL;
  request->registration_id = (guint32) registration_id;

  request->identity_key = _relay_api_get_fixed_bytes (object, "identityKey", RELAY_EC_KEY_BYTES,
                                           RELAY_EC_KEY_TYPE, error);
  if (request->identity_key == NULL)
    return NULL;
  if (!parse_optional_prekey (object, "signedPreKey", PREKEY_EC_SIGNED, TRUE,
                              &request->signed_prekey, error) ||
      !parse_optional_prekey (object, "pqLastResortPreKey", PREKEY_KYBER, TRUE,
                              &request->last_resort, error))
    return NULL;
  request->prekeys = parse_prekey_list (object, "preKeys", PREKEY_EC_ONE_TIME, error);
  if (request->prekeys == NULL)
    return NULL;
  request->pq_prekeys = parse_prekey_list (object, "pqPreKeys", PREKEY_KYBER, error);
  if (request->pq_prekeys == NULL)
    return NULL;
  return g_steal_pointer (&request);
}

RelayKeysRequest *
relay_keys_request_parse (const char  *data,
                          gsize        length,
                          GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(RelayKeysRequest) request = g_new0 (RelayKeysRequest, 1);
  JsonObject *object;

  object = _relay_api_parse_object (data, length, &parser, error);
  if (object == NULL)
    return NULL;
  if (!parse_optional_prekey (object, "signedPreKey", PREKEY_EC_SIGNED, FALSE,
                              &request->signed_prekey, error) ||
      !parse_optional_prekey (object, "pqLastResortPreKey", PREKEY_KYBER, FALSE,
                              &request->last_resort, error))
    return NULL;
  request->prekeys = parse_prekey_list (object, "preKeys", PREKEY_EC_ONE_TIME, error);
  if (request->prekeys == NULL)
    return NULL;
  request->pq_prekeys = parse_prekey_list (object, "pqPreKeys", PREKEY_KYBER, error);
  if (request->pq_prekeys == NULL)
    return NULL;
  /* A device that replaces its identity replaces everything signed with
   * the old one in the same request, and usually its registration id. */
  if (_relay_api_get_member (object, "identityKey", FALSE, error) != NULL)
    {
      request->identity_key = _relay_api_get_fixed_bytes (object, "identityKey", RELAY_EC_KEY_BYTES,
                                               RELAY_EC_KEY_TYPE, error);
      if (request->identity_key == NULL)
        return NULL;
      if (request->signed_prekey == NULL || request->last_resort == NULL)
        {
          g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_MISSING_FIELD,
                       "A new “identityKey” needs a new “signedPreKey” and “pqLastResortPreKey”");
          return NULL;
        }
    }
  if (_relay_api_get_member (object, "registrationId", FALSE, error) != NULL)
    {
      gint64 registration_id;

      if (!_relay_api_get_integer (object, "registrationId", 1, RELAY_REGISTRATION_ID_MAX, &registration_id, error))
        return NULL;
      request->registration_id = (guint32) registration_id;
    }
  if (request->signed_prekey == NULL && request->last_resort == NULL &&
      request->prekeys->len == 0 && request->pq_prekeys->len == 0)
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_MISSING_FIELD,
                   "The request holds no keys");
      return NULL;
    }
  return g_steal_pointer (&request);
}

/* Reads the envelopes of a send, which go with `timestamp`. */
RelaySendRequest *
_relay_send_messages_from_object (JsonObject  *object,
                                  gint64       timestamp,
                                  gsize        max_content,
                                  GError     **error)
{
  g_autoptr(RelaySendRequest) request = _relay_send_request_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  JsonNode *node;
  JsonArray *array;
  guint n;

  request->timestamp = timestamp;
  node = _relay_api_get_member (object, "messages", TRUE, error);
  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_WRONG_TYPE,
                   "Field “messages” must be an array");
      return NULL;
    }
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n == 0 || n > RELAY_MAX_ENVELOPES_PER_REQUEST)
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_TOO_MANY,
                   "Field “messages” holds 1 to %d envelopes",
                   RELAY_MAX_ENVELOPES_PER_REQUEST);
      return NULL;
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      RelayOutgoingEnvelope *envelope;
      JsonObject *message;
      g_autoptr(GBytes) content = NULL;
      const char *content_base64;
      gsize content_length;
      gint64 type;
      gint64 device_id;
      gint64 registration_id;
      gint64 expires_in_ms;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_WRONG_TYPE,
                       "Each message must be an object");
          return NULL;
        }
      message = json_node_get_object (element);
      if (!_relay_api_get_integer (message, "type", 1, RELAY_ENVELOPE_TYPE_MAX, &type, error) ||
          !_relay_api_get_integer (message, "destinationDeviceId", 1, RELAY_DEVICE_ID_MAX, &device_id, error) ||
          !_relay_api_get_integer (message, "destinationRegistrationId", 1, RELAY_REGISTRATION_ID_MAX,
                        &registration_id, error) ||
          !_relay_api_get_optional_integer (message, "expiresInMs", 1, G_MAXINT64, 0, &expires_in_ms, error))
        return NULL;
      content_base64 = _relay_api_get_string (message, "content", TRUE, error);
      if (content_base64 == NULL)
        return NULL;
      content_length = strlen (content_base64);
      content = _relay_api_decode_base64 (content_base64, content_length, "content", max_content, error);
      if (content == NULL)
        return NULL;
      if (g_bytes_get_size (content) == 0)
        {
          g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_VALUE,
                       "Field “content” is empty");
          return NULL;
        }
      envelope = _relay_outgoing_envelope_new (content_base64, content_length);
      envelope->type = (guint8) type;
      envelope->device_id = (guint32) device_id;
      envelope->registration_id = (guint32) registration_id;
      envelope->expires_in_ms = expires_in_ms;
      envelope->content = g_steal_pointer (&content);
      g_ptr_array_add (request->messages, envelope);
      if (!g_hash_table_add (seen, GUINT_TO_POINTER (envelope->device_id)))
        {
          g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_DUPLICATE,
                       "Two messages go to the same device");
          return NULL;
        }
    }
  return g_steal_pointer (&request);
}

/* Reads the members a send has both as an HTTP body and as a WebSocket
 * message. */
RelaySendRequest *
_relay_send_request_from_object (JsonObject  *object,
                                 gsize        max_content,
                                 GError     **error)
{
  g_autoptr(RelaySendRequest) request = NULL;
  JsonNode *online;
  gint64 timestamp;

  if (!_relay_api_get_integer (object, "timestamp", 0, G_MAXINT64, &timestamp, error))
    return NULL;
  /* "online": true asks for delivery to connected devices only
   * (relay-server-online.c); the fast path leaves such a send to this
   * one, as it leaves every member it does not know. */
  online = json_object_get_member (object, "online");
  if (online != NULL &&
      (!JSON_NODE_HOLDS_VALUE (online) || json_node_get_value_type (online) != G_TYPE_BOOLEAN))
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_WRONG_TYPE,
                   "Field “online” must be a boolean");
      return NULL;
    }
  request = _relay_send_messages_from_object (object, timestamp, max_content, error);
  if (request != NULL && online != NULL)
    request->online = json_node_get_boolean (online);
  return g_steal_pointer (&request);
}

RelaySendRequest *
_relay_send_request_parse_json (const char  *data,
                                gsize        length,
                                gsize        max_content,
                                GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *object = _relay_api_parse_object (data, length, &parser, error);

  if (object == NULL)
    return NULL;
  return _relay_send_request_from_object (object, max_content, error);
}

/* Sends and acknowledgements are nearly all a relay reads, and nearly all
 * come in the compact form clients write: a scan reads those without
 * building a JSON tree, and leaves everything else to json-glib. */
RelaySendRequest *
relay_send_request_parse (const char  *data,
                          gsize        length,
                          gsize        max_content,
                          GError     **error)
{
  RelaySendRequest *request = _relay_send_request_scan (data, length, max_content);

  if (request != NULL)
    return request;
  return _relay_send_request_parse_json (data, length, max_content, error);
}

RelayClientMessage *
relay_client_message_parse (const char  *data,
                            gsize        length,
                            gsize        max_content,
                            gint64      *failed_id,
                            GError     **error)
{
  RelayClientMessage *message = _relay_client_message_scan (data, length, max_content);

  if (message != NULL)
    return message;
  return _relay_client_message_parse_json (data, length, max_content, failed_id, error);
}

/* The array has room for `n_guids` from the start, so that a batch of
 * acknowledgements fills it without growing it step by step. */
RelayClientMessage *
_relay_client_message_new_ack (guint n_guids)
{
  RelayClientMessage *message = g_new0 (RelayClientMessage, 1);

  message->kind = RELAY_CLIENT_MESSAGE_ACK;
  message->guids = g_array_sized_new (FALSE, FALSE, sizeof (RelayGuid), n_guids);
  return message;
}

RelayClientMessage *
_relay_client_message_new_send (void)
{
  RelayClientMessage *message = g_new0 (RelayClientMessage, 1);

  message->kind = RELAY_CLIENT_MESSAGE_SEND;
  return message;
}

void
relay_client_message_free (RelayClientMessage *message)
{
  if (message == NULL)
    return;
  g_clear_pointer (&message->guids, g_array_unref);
  relay_send_request_free (message->send);
  relay_multi_send_request_free (message->multi);
  g_free (message);
}

static gboolean
add_guid (RelayClientMessage  *message,
          const char          *guid,
          GError             **error)
{
  RelayGuid entry;

  if (!relay_uuid_is_valid (guid, strlen (guid)))
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_VALUE,
                   "An acknowledged GUID is not a GUID");
      return FALSE;
    }
  memcpy (entry.text, guid, sizeof entry.text);
  g_array_append_val (message->guids, entry);
  return TRUE;
}

/* An acknowledgement names one envelope ("guid") or several ("guids"). */
static RelayClientMessage *
ack_from_object (JsonObject  *object,
                 GError     **error)
{
  g_autoptr(RelayClientMessage) message = NULL;
  JsonNode *node;
  JsonArray *array;
  const char *guid;
  guint n;

  if (json_object_has_member (object, "guid"))
    {
      guid = _relay_api_get_string (object, "guid", TRUE, error);
      if (guid == NULL)
        return NULL;
      message = _relay_client_message_new_ack (1);
      if (!add_guid (message, guid, error))
        return NULL;
      return g_steal_pointer (&message);
    }
  node = _relay_api_get_member (object, "guids", TRUE, error);
  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_WRONG_TYPE,
                   "Field “guids” must be an array");
      return NULL;
    }
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n == 0 || n > RELAY_MAX_ACKS_PER_MESSAGE)
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_TOO_MANY,
                   "Field “guids” holds 1 to %d GUIDs", RELAY_MAX_ACKS_PER_MESSAGE);
      return NULL;
    }
  message = _relay_client_message_new_ack (n);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        {
          g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_WRONG_TYPE,
                       "Each of “guids” must be a string");
          return NULL;
        }
      if (!add_guid (message, json_node_get_string (element), error))
        return NULL;
    }
  return g_steal_pointer (&message);
}

/* A send over the WebSocket is the body of PUT /v1/messages/{uuid} with
 * the recipient and a client-chosen id, which its response repeats. */
static RelayClientMessage *
send_from_object (JsonObject  *object,
                  gsize        max_content,
                  gint64      *failed_id,
                  GError     **error)
{
  g_autoptr(RelayClientMessage) message = _relay_client_message_new_send ();
  const char *destination;

  if (!_relay_api_get_integer (object, "id", 0, G_MAXINT64, &message->id, error))
    return NULL;
  *failed_id = message->id;
  destination = _relay_api_get_string (object, "destination", TRUE, error);
  if (destination == NULL)
    return NULL;
  if (!relay_uuid_is_valid (destination, strlen (destination)))
    {
      g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_VALUE,
                   "Field “destination” is not an account UUID");
      return NULL;
    }
  memcpy (message->destination, destination, sizeof message->destination);
  message->send = _relay_send_request_from_object (object, max_content, error);
  if (message->send == NULL)
    return NULL;
  return g_steal_pointer (&message);
}

RelayClientMessage *
_relay_client_message_parse_json (const char  *data,
                                  gsize        length,
                                  gsize        max_content,
                                  gint64      *failed_id,
                                  GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *object;
  const char *type;

  *failed_id = -1;
  object = _relay_api_parse_object (data, length, &parser, error);
  if (object == NULL)
    return NULL;
  type = _relay_api_get_string (object, "type", TRUE, error);
  if (type == NULL)
    return NULL;
  if (strcmp (type, "ack") == 0)
    return ack_from_object (object, error);
  if (strcmp (type, "send") == 0)
    return send_from_object (object, max_content, failed_id, error);
  if (strcmp (type, "send-multi") == 0)
    return relay_client_message_send_multi_from_object (object, max_content, failed_id, error);
  g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_VALUE, "Unknown message type");
  return NULL;
}

RelayCredentials *
relay_credentials_parse (const char  *header,
                         GError     **error)
{
  g_autoptr(RelayCredentials) credentials = g_new0 (RelayCredentials, 1);
  g_autofree char *decoded = NULL;
  const char *encoded;
  const char *colon;
  const char *dot;
  gsize capacity;
  size_t decoded_length = 0;
  guint64 device;
  gsize password_length;

  if (header == NULL || g_ascii_strncasecmp (header, "Basic ", 6) != 0)
    goto fail;
  encoded = header + 6;
  while (*encoded == ' ')
    encoded++;
  capacity = strlen (encoded) / 4 * 3 + 4;
  /* The password stays with libsodium's constant-time decoder, but
   * libsodium 1.0.18 reads any byte from 0x80 up as a base64 digit. */
  if (capacity > 512 || !g_str_is_ascii (encoded))
    goto fail;
  decoded = g_malloc0 (capacity);
  if (sodium_base642bin ((guint8 *) decoded, capacity - 1, encoded, strlen (encoded),
                         NULL, &decoded_length, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
    goto fail_wipe;
  if (memchr (decoded, '\0', decoded_length) != NULL)
    goto fail_wipe;
  colon = strchr (decoded, ':');
  if (colon == NULL)
    goto fail_wipe;
  dot = memchr (decoded, '.', (gsize) (colon - decoded));
  if (dot == NULL || !relay_uuid_is_valid (decoded, (gsize) (dot - decoded)))
    goto fail_wipe;
  if (colon - dot < 2 || colon - dot > 4)
    goto fail_wipe;
  device = 0;
  for (const char *p = dot + 1; p < colon; p++)
    {
      if (*p < '0' || *p > '9')
        goto fail_wipe;
      device = device * 10 + (guint64) (*p - '0');
    }
  if (device < 1 || device > RELAY_DEVICE_ID_MAX)
    goto fail_wipe;
  password_length = strlen (colon + 1);
  if (password_length < RELAY_PASSWORD_MIN || password_length > RELAY_PASSWORD_MAX)
    goto fail_wipe;

  memcpy (credentials->uuid, decoded, RELAY_UUID_LENGTH);
  credentials->uuid[RELAY_UUID_LENGTH] = '\0';
  credentials->device_id = (guint32) device;
  credentials->password = g_strdup (colon + 1);
  sodium_memzero (decoded, capacity);
  return g_steal_pointer (&credentials);

fail_wipe:
  sodium_memzero (decoded, capacity);
fail:
  g_set_error (error, RELAY_API_ERROR, RELAY_API_ERROR_BAD_VALUE,
               "Authorization must be Basic UUID.DEVICE:PASSWORD");
  return NULL;
}
