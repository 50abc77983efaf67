/* sotto-peer-sealed.c: sotto-peer's sealed sender operations
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-peer"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "sp-error.h"
#include "sp-sealed-sender.h"
#include "sp-sender-key.h"
#include "sp-session.h"
#include "sp-uuid.h"

#include "sotto-peer-private.h"

/* Sealed messages travel between the device "init" set up and the
 * devices it has sessions with (and, for sender keys, group state).
 * Certificates and keys are hex of their serialised forms; message types
 * are the ciphertext types of "encrypt" (2, 3, 7, and 8 for plaintext
 * content). */

static gboolean
get_public_key (JsonObject   *request,
                const char   *member,
                SpPublicKey  *out,
                GError      **error)
{
  guint8 bytes[SP_PUBLIC_KEY_SIZE];

  return sotto_peer_get_hex_fixed (request, member, bytes, sizeof bytes, error)
         && sotto_peer_check (sp_public_key_decode (out, bytes, sizeof bytes), error);
}

static gboolean
get_private_key (JsonObject    *request,
                 const char    *member,
                 SpKeyPair     *out,
                 GError       **error)
{
  guint8 *bytes = sotto_peer_secret_new (SP_PRIVATE_KEY_SIZE);
  gboolean ok = sotto_peer_get_hex_fixed (request, member, bytes, SP_PRIVATE_KEY_SIZE, error)
                && sotto_peer_check (sp_key_pair_from_private (out, bytes, SP_PRIVATE_KEY_SIZE), error);

  sodium_free (bytes);
  return ok;
}

/* The optional members every sealing operation takes. */
typedef struct {
  uint32_t content_hint;
  guint8 *group_id;
  gsize group_id_len;
} SealOptions;

static gboolean
get_seal_options (JsonObject   *request,
                  SealOptions  *options,
                  GError      **error)
{
  guint64 hint = SP_CONTENT_HINT_DEFAULT;

  memset (options, 0, sizeof *options);
  if (json_object_has_member (request, "content_hint")
      && !sotto_peer_get_uint (request, "content_hint", G_MAXUINT32, &hint, error))
    return FALSE;
  options->content_hint = (uint32_t) hint;
  if (json_object_has_member (request, "group_id") && !json_object_get_null_member (request, "group_id"))
    {
      options->group_id = sotto_peer_get_hex (request, "group_id", &options->group_id_len, error);
      if (options->group_id == NULL)
        return FALSE;
    }
  return TRUE;
}

/* Encodes the USMC of an inner message of @type into a new buffer. */
static guint8 *
encode_content (int                 type,
                const guint8       *certificate,
                gsize               certificate_len,
                const guint8       *inner,
                gsize               inner_len,
                const SealOptions  *options,
                gsize              *len,
                GError            **error)
{
  SpSealedContent content = {
    .type = type,
    .sender_certificate = certificate,
    .sender_certificate_len = certificate_len,
    .content = inner,
    .content_len = inner_len,
    .content_hint = options->content_hint,
    .group_id = options->group_id,
    .group_id_len = options->group_id_len,
  };
  gsize size = sp_sealed_content_size (certificate_len, inner_len, options->content_hint,
                                       options->group_id_len);
  guint8 *out = g_malloc (size + 1);
  size_t out_len = 0;

  if (!sotto_peer_check (sp_sealed_content_encode (out, size, &out_len, &content), error))
    {
      g_free (out);
      return NULL;
    }
  *len = out_len;
  return out;
}

static JsonObject *
sender_certificate_validate_op (SottoPeer   *peer,
                                JsonObject  *request,
                                GError     **error)
{
  g_autofree guint8 *encoded = NULL;
  SpSenderCertificate certificate = { 0 };
  SpPublicKey trust_root;
  gsize len = 0;
  guint64 now;
  int rc;
  JsonObject *response;

  (void) peer;
  if ((encoded = sotto_peer_get_hex (request, "certificate", &len, error)) == NULL
      || !get_public_key (request, "trust_root", &trust_root, error)
      || !sotto_peer_get_uint (request, "now", G_MAXINT64, &now, error))
    return NULL;

  /* A certificate that does not even decode is as invalid as one with a
   * bad signature, but has no fields to report. */
  response = json_object_new ();
  rc = sp_sender_certificate_decode (&certificate, encoded, len);
  if (rc == SP_OK)
    rc = sp_sender_certificate_validate (&certificate, &trust_root, now);
  json_object_set_boolean_member (response, "ok", rc == SP_OK);
  if (certificate.certificate == NULL)
    return response;
  json_object_set_string_member (response, "uuid", certificate.sender_uuid);
  json_object_set_int_member (response, "device", certificate.device_id);
  sotto_peer_set_hex (response, "identity_key", certificate.identity_key.bytes, SP_PUBLIC_KEY_SIZE);
  json_object_set_int_member (response, "expires", (gint64) certificate.expires_ms);
  return response;
}

/* A test-only addition: makes the certificates a relay would issue.  The
 * server certificate is the one given, or a new one for "server_key_id"
 * signed by "trust_root_private". */
static JsonObject *
sender_certificate_create_op (SottoPeer   *peer,
                              JsonObject  *request,
                              GError     **error)
{
  SpKeyPair *keys = sotto_peer_secret_new (2 * sizeof (SpKeyPair));   /* trust root, server */
  g_autofree guint8 *server = NULL;
  guint8 *sender = NULL;
  SpPublicKey identity;
  const char *uuid;
  gsize server_len = 0;
  size_t len = 0;
  gsize size;
  guint64 device;
  guint64 expires;
  guint64 key_id;
  JsonObject *response = NULL;

  (void) peer;
  if ((uuid = sotto_peer_get_string (request, "uuid", error)) == NULL
      || !sotto_peer_get_uint (request, "device", SP_MAX_DEVICE_ID, &device, error)
      || !get_public_key (request, "identity_key", &identity, error)
      || !sotto_peer_get_uint (request, "expires", G_MAXINT64, &expires, error)
      || !get_private_key (request, "server_private", &keys[1], error))
    goto out;
  if (json_object_has_member (request, "server_certificate"))
    {
      if ((server = sotto_peer_get_hex (request, "server_certificate", &server_len, error)) == NULL)
        goto out;
    }
  else
    {
      server = g_malloc (SP_SERVER_CERTIFICATE_MAX_SIZE);
      if (!sotto_peer_get_uint (request, "server_key_id", G_MAXUINT32, &key_id, error)
          || !get_private_key (request, "trust_root_private", &keys[0], error)
          || !sotto_peer_check (sp_server_certificate_create (server, SP_SERVER_CERTIFICATE_MAX_SIZE, &len,
                                                              (uint32_t) key_id, &keys[1].public_key,
                                                              &keys[0].private_key, NULL), error))
        goto out;
      server_len = len;
    }

  size = SP_SENDER_CERTIFICATE_MAX_SIZE (server_len);
  sender = g_malloc (size);
  if (!sotto_peer_check (sp_sender_certificate_create (sender, size, &len, uuid, (uint32_t) device, expires,
                                                       &identity, server, server_len, &keys[1].private_key,
                                                       NULL), error))
    goto out;

  response = json_object_new ();
  sotto_peer_set_hex (response, "certificate", sender, len);
  sotto_peer_set_hex (response, "server_certificate", server, server_len);

out:
  g_free (sender);
  sodium_free (keys);
  return response;
}

/* Session-encrypts @plaintext to @remote; the inner message and its type. */
static guint8 *
session_encrypt (SottoPeer        *peer,
                 const SpAddress  *remote,
                 const guint8     *plaintext,
                 gsize             plaintext_len,
                 gsize            *len,
                 int              *type,
                 GError          **error)
{
  SpSessionCipher *cipher = sotto_peer_get_session_cipher (peer, remote, error);
  gsize size = SP_SESSION_CIPHERTEXT_MAX_SIZE (plaintext_len);
  guint8 *out;
  size_t out_len = 0;

  if (cipher == NULL)
    return NULL;
  out = g_malloc (size);
  if (!sotto_peer_check (sp_session_cipher_encrypt (cipher, plaintext, plaintext_len, out, size, &out_len,
                                                    type), error))
    {
      g_free (out);
      return NULL;
    }
  *len = out_len;
  return out;
}

/* The identity key saved for @remote, as libsignal's identity store
 * answers it: a sealed message needs one. */
static gboolean
get_remote_identity (const SpStore    *store,
                     const SpAddress  *remote,
                     SpPublicKey      *out,
                     GError          **error)
{
  bool found = false;

  if (!sotto_peer_check (store->get_identity (store->user_data, remote, out, &found), error))
    return FALSE;
  return found || sotto_peer_check (SP_ERR_NO_SESSION, error);
}

static JsonObject *
sealed_encrypt_op (SottoPeer   *peer,
                   JsonObject  *request,
                   GError     **error)
{
  g_autofree guint8 *plaintext = NULL;
  g_autofree guint8 *certificate = NULL;
  g_autofree guint8 *inner = NULL;
  g_autofree guint8 *content = NULL;
  g_autofree guint8 *sealed = NULL;
  SpKeyPair *identity = NULL;
  SealOptions options = { 0 };
  SpPublicKey recipient;
  SpAddress remote;
  SpAddress local;
  SpStore store;
  gsize plaintext_len = 0;
  gsize certificate_len = 0;
  gsize inner_len = 0;
  gsize content_len = 0;
  size_t sealed_len = 0;
  int type = 0;
  JsonObject *response = NULL;

  if (!sotto_peer_get_local (peer, &local, &store, error)
      || !sotto_peer_get_address (request, "peer", "device", &remote, error)
      || (plaintext = sotto_peer_get_hex (request, "plaintext", &plaintext_len, error)) == NULL
      || (certificate = sotto_peer_get_hex (request, "sender_certificate", &certificate_len, error)) == NULL
      || !get_seal_options (request, &options, error)
      || !get_remote_identity (&store, &remote, &recipient, error)
      || (inner = session_encrypt (peer, &remote, plaintext, plaintext_len, &inner_len, &type, error)) == NULL
      || (content = encode_content (type, certificate, certificate_len, inner, inner_len, &options,
                                    &content_len, error)) == NULL)
    goto out;

  identity = sotto_peer_secret_new (sizeof *identity);
  sealed = g_malloc (SP_SEALED_SENDER_V1_SIZE (content_len));
  if (!sotto_peer_check (store.get_identity_key_pair (store.user_data, identity), error)
      || !sotto_peer_check (sp_sealed_sender_encrypt_v1 (sealed, SP_SEALED_SENDER_V1_SIZE (content_len), &sealed_len,
                                                         identity, &recipient, content, content_len, NULL), error))
    goto out;

  response = json_object_new ();
  sotto_peer_set_hex (response, "ciphertext", sealed, sealed_len);

out:
  sodium_free (identity);
  g_free (options.group_id);
  return response;
}

/* One recipient of sealed_multi_encrypt: its identity and the
 * registration id of its session. */
static gboolean
get_recipient (const SpStore      *store,
               JsonObject         *object,
               SpSealedRecipient  *out,
               GError            **error)
{
  SpSessionRecord *record = NULL;
  SpAddress address;
  gboolean ok;

  if (!sotto_peer_get_address (object, "peer", "device", &address, error)
      || !get_remote_identity (store, &address, &out->identity_key, error)
      || !sotto_peer_check (sp_session_record_new (&record), error))
    return FALSE;
  ok = sotto_peer_check (store->load_session (store->user_data, &address, record), error)
       && sotto_peer_check (sp_session_record_get_remote_registration_id (record, &out->registration_id), error);
  sp_session_record_free (record);
  out->name = address.name;
  out->device_id = address.device_id;
  return ok;
}

/* The inner message every recipient gets: one sender-key message with a
 * "distribution_id", else a session message, which only one recipient
 * can read. */
static guint8 *
multi_inner_message (SottoPeer           *peer,
                     JsonObject          *request,
                     JsonArray           *recipients,
                     const guint8        *plaintext,
                     gsize                plaintext_len,
                     gsize               *len,
                     int                 *type,
                     GError             **error)
{
  guint8 distribution_id[SP_DISTRIBUTION_ID_SIZE];
  SpGroupCipher *group;
  const char *text;
  gsize size;
  guint8 *out;
  size_t out_len = 0;
  SpAddress remote;

  if (!json_object_has_member (request, "distribution_id"))
    {
      if (json_array_get_length (recipients) != 1)
        {
          g_set_error_literal (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_MALFORMED_REQUEST,
                               "Without “distribution_id” a session message reaches one recipient only");
          return NULL;
        }
      if (!sotto_peer_get_address (json_array_get_object_element (recipients, 0), "peer", "device", &remote, error))
        return NULL;
      return session_encrypt (peer, &remote, plaintext, plaintext_len, len, type, error);
    }

  if ((text = sotto_peer_get_string (request, "distribution_id", error)) == NULL)
    return NULL;
  if (sp_uuid_decode (distribution_id, text) != SP_OK)
    {
      g_set_error_literal (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_MALFORMED_REQUEST,
                           "Member “distribution_id” must be a UUID");
      return NULL;
    }
  if ((group = sotto_peer_get_group_cipher (peer, error)) == NULL)
    return NULL;
  size = SP_GROUP_CIPHERTEXT_MAX_SIZE (plaintext_len);
  out = g_malloc (size);
  if (!sotto_peer_check (sp_group_cipher_encrypt (group, distribution_id, plaintext, plaintext_len, out, size,
                                                  &out_len), error))
    {
      g_free (out);
      return NULL;
    }
  *type = SP_CIPHERTEXT_TYPE_SENDER_KEY;
  *len = out_len;
  return out;
}

static JsonObject *
sealed_multi_encrypt_op (SottoPeer   *peer,
                         JsonObject  *request,
                         GError     **error)
{
  g_autofree guint8 *plaintext = NULL;
  g_autofree guint8 *certificate = NULL;
  g_autofree guint8 *inner = NULL;
  g_autofree guint8 *content = NULL;
  g_autofree guint8 *sealed = NULL;
  g_autofree SpSealedRecipient *recipients = NULL;
  SpKeyPair *identity = NULL;
  SealOptions options = { 0 };
  JsonArray *array;
  JsonNode *node;
  SpAddress local;
  SpStore store;
  guint n_recipients;
  gsize plaintext_len = 0;
  gsize certificate_len = 0;
  gsize inner_len = 0;
  gsize content_len = 0;
  gsize size;
  size_t sealed_len = 0;
  int type = 0;
  JsonObject *response = NULL;

  node = json_object_get_member (request, "recipients");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node)
      || (n_recipients = json_array_get_length (array = json_node_get_array (node))) == 0)
    {
      g_set_error_literal (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_MALFORMED_REQUEST,
                           "Member “recipients” must be a non-empty array");
      return NULL;
    }
  if (!sotto_peer_get_local (peer, &local, &store, error)
      || (plaintext = sotto_peer_get_hex (request, "plaintext", &plaintext_len, error)) == NULL
      || (certificate = sotto_peer_get_hex (request, "sender_certificate", &certificate_len, error)) == NULL
      || !get_seal_options (request, &options, error))
    goto out;

  recipients = g_new0 (SpSealedRecipient, n_recipients);
  for (guint i = 0; i < n_recipients; i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          g_set_error_literal (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_MALFORMED_REQUEST,
                               "Each recipient must be an object");
          goto out;
        }
      if (!get_recipient (&store, json_node_get_object (element), &recipients[i], error))
        goto out;
    }

  if ((inner = multi_inner_message (peer, request, array, plaintext, plaintext_len, &inner_len, &type,
                                    error)) == NULL
      || (content = encode_content (type, certificate, certificate_len, inner, inner_len, &options,
                                    &content_len, error)) == NULL)
    goto out;

  size = sp_sealed_sender_v2_size (recipients, n_recipients, content_len);
  if (size == 0)
    {
      sotto_peer_check (SP_ERR_INVALID_ARGUMENT, error);
      goto out;
    }
  identity = sotto_peer_secret_new (sizeof *identity);
  sealed = g_malloc (size);
  if (!sotto_peer_check (store.get_identity_key_pair (store.user_data, identity), error)
      || !sotto_peer_check (sp_sealed_sender_encrypt_v2 (sealed, size, &sealed_len, identity, recipients,
                                                         n_recipients, content, content_len, NULL), error))
    goto out;

  response = json_object_new ();
  sotto_peer_set_hex (response, "ciphertext", sealed, sealed_len);

out:
  sodium_free (identity);
  g_free (options.group_id);
  return response;
}

static JsonObject *
sealed_multi_split_op (SottoPeer   *peer,
                       JsonObject  *request,
                       GError     **error)
{
  g_autofree guint8 *sent = NULL;
  g_autofree guint8 *message = NULL;
  SpAddress recipient;
  gsize sent_len = 0;
  size_t len = 0;
  JsonObject *response;

  (void) peer;
  if ((sent = sotto_peer_get_hex (request, "ciphertext", &sent_len, error)) == NULL
      || !sotto_peer_get_address (request, "peer", "device", &recipient, error))
    return NULL;

  /* The received form is never longer than the sent one. */
  message = g_malloc (sent_len + 1);
  if (!sotto_peer_check (sp_sealed_sender_v2_split (message, sent_len, &len, sent, sent_len, recipient.name,
                                                    recipient.device_id), error))
    return NULL;

  response = json_object_new ();
  sotto_peer_set_hex (response, "message", message, len);
  return response;
}

/* Decrypts the inner message of @content from its sender into @out
 * (at least content_len bytes). */
static gboolean
decrypt_inner (SottoPeer              *peer,
               const SpSealedContent  *content,
               guint8                 *out,
               size_t                 *out_len,
               GError                **error)
{
  SpAddress sender = { content->sender.sender_uuid, content->sender.device_id };
  SpSessionCipher *cipher;
  SpGroupCipher *group;

  switch (content->type)
    {
    case SP_CIPHERTEXT_TYPE_WHISPER:
    case SP_CIPHERTEXT_TYPE_PREKEY:
      cipher = sotto_peer_get_session_cipher (peer, &sender, error);
      return cipher != NULL
             && sotto_peer_check (sp_session_cipher_decrypt_sealed (cipher, content->type,
                                                                    &content->sender.identity_key,
                                                                    content->content, content->content_len,
                                                                    out, content->content_len, out_len), error);
    case SP_CIPHERTEXT_TYPE_SENDER_KEY:
      group = sotto_peer_get_group_cipher (peer, error);
      return group != NULL
             && sotto_peer_check (sp_group_cipher_decrypt (group, &sender, content->content, content->content_len,
                                                           out, content->content_len, out_len), error);
    default:
      /* Plaintext content is what it is. */
      memcpy (out, content->content, content->content_len);
      *out_len = content->content_len;
      return TRUE;
    }
}

static JsonObject *
sealed_decrypt_op (SottoPeer   *peer,
                   JsonObject  *request,
                   GError     **error)
{
  g_autofree guint8 *sealed = NULL;
  SpKeyPair *identity = NULL;
  guint8 *usmc = NULL;
  guint8 *plaintext = NULL;
  SpSealedContent content;
  SpPublicKey trust_root;
  SpAddress local;
  SpStore store;
  gsize sealed_len = 0;
  size_t plaintext_len = 0;
  guint64 now;
  JsonObject *response = NULL;

  if (!sotto_peer_get_local (peer, &local, &store, error)
      || (sealed = sotto_peer_get_hex (request, "ciphertext", &sealed_len, error)) == NULL
      || !get_public_key (request, "trust_root", &trust_root, error)
      || !sotto_peer_get_uint (request, "now", G_MAXINT64, &now, error))
    return NULL;

  identity = sotto_peer_secret_new (sizeof *identity);
  usmc = sotto_peer_secret_new (sealed_len + 1);
  plaintext = sotto_peer_secret_new (sealed_len + 1);
  if (!sotto_peer_check (store.get_identity_key_pair (store.user_data, identity), error)
      || !sotto_peer_check (sp_sealed_sender_decrypt (&content, usmc, sealed_len, identity, &local, &trust_root,
                                                      now, sealed, sealed_len), error)
      || !decrypt_inner (peer, &content, plaintext, &plaintext_len, error))
    goto out;

  response = json_object_new ();
  json_object_set_string_member (response, "sender", content.sender.sender_uuid);
  json_object_set_int_member (response, "device", content.sender.device_id);
  json_object_set_int_member (response, "type", content.type);
  sotto_peer_set_hex (response, "plaintext", plaintext, plaintext_len);
  json_object_set_int_member (response, "content_hint", content.content_hint);
  if (content.group_id != NULL)
    sotto_peer_set_hex (response, "group_id", content.group_id, content.group_id_len);

out:
  sodium_free (identity);
  sodium_free (usmc);
  sodium_free (plaintext);
  return response;
}

const SottoPeerOp sotto_peer_sealed_ops[] = {
  { "sender_certificate_validate", sender_certificate_validate_op },
  { "sender_certificate_create", sender_certificate_create_op },
  { "sealed_encrypt", sealed_encrypt_op },
  { "sealed_multi_encrypt", sealed_multi_encrypt_op },
  { "sealed_multi_split", sealed_multi_split_op },
  { "sealed_decrypt", sealed_decrypt_op },
  { NULL, NULL },
};
