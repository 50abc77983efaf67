/* sp-sealed-sender.c: sealed sender messages, v1 and v2
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Follows libsignal's sealed_sender.rs (spec sections 9.2 to 9.5).  The
 * parsing of each wire form is kept apart from the cryptography: the
 * decoders below turn bytes into structs that point into them, and the
 * key agreements only ever see what a decoder accepted.
 */

#include "sp-sealed-sender.h"
#include "sp-aes.h"
#include "sp-error.h"
#include "sp-kdf.h"
#include "sp-message.h"
#include "sp-protobuf.h"

#include <sodium.h>
#include <string.h>

#define V1_VERSION_BYTE 0x11
#define V2_RECEIVED_VERSION_BYTE 0x22    /* also the old SentMessage with bare UUIDs */
#define V2_SENT_VERSION_BYTE 0x23

#define V1_MAC_SIZE 10
#define V1_KEYS_SIZE 96                  /* chain key, cipher key, MAC key */
#define V2_KEY_SIZE 32                   /* M, K and C */
#define V2_TAG_SIZE 16                   /* AT */
#define V2_PUBLIC_KEY_SIZE 32            /* E on the wire: no type byte */
#define V2_RECIPIENT_KEYS_SIZE (V2_KEY_SIZE + V2_TAG_SIZE)
#define V2_REGISTRATION_ID_MASK 0x3fff
#define V2_MORE_DEVICES 0x8000

static const char v1_salt_prefix[] = "UnidentifiedDelivery";
static const char v2_label_r[] = "Sealed Sender v2: r (2023-08)";
static const char v2_label_k[] = "Sealed Sender v2: K";
static const char v2_label_dh[] = "Sealed Sender v2: DH";
static const char v2_label_dh_sender[] = "Sealed Sender v2: DH-sender";

/* Fields of UnidentifiedSenderMessage.Message (the USMC). */
enum {
  CONTENT_TYPE = 1,
  CONTENT_SENDER_CERTIFICATE = 2,
  CONTENT_CONTENT = 3,
  CONTENT_HINT = 4,
  CONTENT_GROUP_ID = 5,
  CONTENT_N_FIELDS
};

/* Fields of UnidentifiedSenderMessage (v1). */
enum {
  V1_EPHEMERAL_PUBLIC = 1,
  V1_ENCRYPTED_STATIC = 2,
  V1_ENCRYPTED_MESSAGE = 3,
  V1_N_FIELDS
};

/* The USMC numbers its types as the ciphertext types, except PreKey. */
#define CONTENT_WIRE_PREKEY 1

/* USMC */

static int
type_from_wire (uint64_t value,
                int     *type)
{
  switch (value)
    {
    case CONTENT_WIRE_PREKEY:
      *type = SP_CIPHERTEXT_TYPE_PREKEY;
      return SP_OK;
    case SP_CIPHERTEXT_TYPE_WHISPER:
    case SP_CIPHERTEXT_TYPE_SENDER_KEY:
    case SP_CIPHERTEXT_TYPE_PLAINTEXT:
      *type = (int) value;
      return SP_OK;
    default:
      return SP_ERR_MALFORMED;
    }
}

static int
type_to_wire (int       type,
              uint32_t *value)
{
  switch (type)
    {
    case SP_CIPHERTEXT_TYPE_PREKEY:
      *value = CONTENT_WIRE_PREKEY;
      return SP_OK;
    case SP_CIPHERTEXT_TYPE_WHISPER:
    case SP_CIPHERTEXT_TYPE_SENDER_KEY:
    case SP_CIPHERTEXT_TYPE_PLAINTEXT:
      *value = (uint32_t) type;
      return SP_OK;
    default:
      return SP_ERR_INVALID_ARGUMENT;
    }
}

int
sp_sealed_content_decode (SpSealedContent *out,
                          const uint8_t   *data,
                          size_t           len)
{
  SpSealedContent content = { 0 };
  bool seen[CONTENT_N_FIELDS] = { false };
  SpPbReader reader;
  SpPbField field;
  int ret;

  if (out == NULL || (data == NULL && len != 0))
    return SP_ERR_INVALID_ARGUMENT;

  sp_pb_reader_init (&reader, data, len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      switch (field.number)
        {
        case CONTENT_TYPE:
          ret = sp_pb_expect_field (&field, SP_PB_WIRE_VARINT, seen);
          if (ret == SP_OK)
            ret = type_from_wire (field.value, &content.type);
          break;

        case CONTENT_SENDER_CERTIFICATE:
          ret = sp_pb_field_bytes (&field, seen, &content.sender_certificate,
                                   &content.sender_certificate_len);
          break;

        case CONTENT_CONTENT:
          ret = sp_pb_field_bytes (&field, seen, &content.content, &content.content_len);
          break;

        case CONTENT_HINT:
          ret = sp_pb_field_uint32 (&field, seen, &content.content_hint);
          break;

        case CONTENT_GROUP_ID:
          ret = sp_pb_field_bytes (&field, seen, &content.group_id,
                                   &content.group_id_len);
          break;

        default:
          ret = SP_OK;
          break;
        }
      if (ret != SP_OK)
        return ret;
    }
  if (ret != 0)
    return ret;
  if (!seen[CONTENT_TYPE] || !seen[CONTENT_SENDER_CERTIFICATE] || !seen[CONTENT_CONTENT])
    return SP_ERR_MALFORMED;

  ret = sp_sender_certificate_decode (&content.sender, content.sender_certificate,
                                      content.sender_certificate_len);
  if (ret != SP_OK)
    return ret;
  *out = content;
  return SP_OK;
}

size_t
sp_sealed_content_size (size_t   certificate_len,
                        size_t   content_len,
                        uint32_t content_hint,
                        size_t   group_id_len)
{
  size_t size;

  /* Each length is below SIZE_MAX / 4, so the sum cannot wrap. */
  if (certificate_len > SIZE_MAX / 4 || content_len > SIZE_MAX / 4 || group_id_len > SIZE_MAX / 4)
    return 0;
  size = sp_pb_varint_field_size (CONTENT_TYPE, SP_CIPHERTEXT_TYPE_PLAINTEXT)
         + sp_pb_bytes_field_size (CONTENT_SENDER_CERTIFICATE, certificate_len)
         + sp_pb_bytes_field_size (CONTENT_CONTENT, content_len);
  if (content_hint != SP_CONTENT_HINT_DEFAULT)
    size += sp_pb_varint_field_size (CONTENT_HINT, content_hint);
  if (group_id_len > 0)
    size += sp_pb_bytes_field_size (CONTENT_GROUP_ID, group_id_len);
  return size;
}

int
sp_sealed_content_encode (uint8_t               *out,
                          size_t                 out_size,
                          size_t                *out_len,
                          const SpSealedContent *content)
{
  SpPbWriter writer;
  uint32_t wire_type;
  size_t len = 0;
  int ret;

  if (out == NULL || out_len == NULL || content == NULL || content->sender_certificate == NULL
      || (content->content == NULL && content->content_len != 0)
      || (content->group_id == NULL && content->group_id_len != 0)
      || type_to_wire (content->type, &wire_type) != SP_OK)
    return SP_ERR_INVALID_ARGUMENT;
  if (out_size < sp_sealed_content_size (content->sender_certificate_len, content->content_len,
                                         content->content_hint, content->group_id_len))
    return SP_ERR_BUFFER_TOO_SMALL;

  sp_pb_writer_init (&writer, out, out_size);
  sp_pb_write_varint (&writer, CONTENT_TYPE, wire_type);
  sp_pb_write_bytes (&writer, CONTENT_SENDER_CERTIFICATE, content->sender_certificate,
                     content->sender_certificate_len);
  sp_pb_write_bytes (&writer, CONTENT_CONTENT, content->content, content->content_len);
  if (content->content_hint != SP_CONTENT_HINT_DEFAULT)
    sp_pb_write_varint (&writer, CONTENT_HINT, content->content_hint);
  if (content->group_id_len > 0)
    sp_pb_write_bytes (&writer, CONTENT_GROUP_ID, content->group_id, content->group_id_len);
  if ((ret = sp_pb_writer_finish (&writer, &len)) != SP_OK)
    return ret;
  *out_len = len;
  return SP_OK;
}

/* Sealed sender v1 */

/* AES-256-CTR with a zero counter block, then the first ten bytes of
 * HMAC-SHA256 over the ciphertext: libsignal's aes256_ctr_hmacsha256. */
static int
v1_seal (uint8_t       *out,
         const uint8_t  cipher_key[32],
         const uint8_t  mac_key[32],
         const uint8_t *in,
         size_t         len)
{
  static const uint8_t zero_counter[SP_AES_BLOCK_SIZE] = { 0 };
  uint8_t mac[SP_HMAC_SHA256_SIZE];
  int ret;

  ret = sp_aes256_ctr (out, cipher_key, zero_counter, in, len);
  if (ret == SP_OK)
    ret = sp_hmac_sha256 (mac, mac_key, 32, out, len);
  if (ret == SP_OK)
    memcpy (out + len, mac, V1_MAC_SIZE);
  return ret;
}

/* The inverse: SP_ERR_BAD_MAC (and nothing written) unless the ten MAC
 * bytes match, compared in constant time. */
static int
v1_open (uint8_t       *out,
         const uint8_t  cipher_key[32],
         const uint8_t  mac_key[32],
         const uint8_t *in,
         size_t         len)
{
  static const uint8_t zero_counter[SP_AES_BLOCK_SIZE] = { 0 };
  uint8_t mac[SP_HMAC_SHA256_SIZE];
  int ret;

  if (len < V1_MAC_SIZE)
    return SP_ERR_BAD_MAC;
  ret = sp_hmac_sha256 (mac, mac_key, 32, in, len - V1_MAC_SIZE);
  if (ret == SP_OK && sodium_memcmp (mac, in + len - V1_MAC_SIZE, V1_MAC_SIZE) != 0)
    ret = SP_ERR_BAD_MAC;
  if (ret == SP_OK)
    ret = sp_aes256_ctr (out, cipher_key, zero_counter, in, len - V1_MAC_SIZE);
  return ret;
}

/* The ephemeral keys: HKDF(salt = prefix || recipient || ephemeral,
 * DH) = chain key || cipher key || MAC key. */
static int
v1_ephemeral_keys (uint8_t            keys[V1_KEYS_SIZE],
                   const SpPrivateKey *our_private,
                   const SpPublicKey  *their_public,
                   const SpPublicKey  *recipient,
                   const SpPublicKey  *ephemeral)
{
  uint8_t salt[sizeof v1_salt_prefix - 1 + 2 * SP_PUBLIC_KEY_SIZE];
  uint8_t shared[SP_DH_SIZE];
  int ret;

  memcpy (salt, v1_salt_prefix, sizeof v1_salt_prefix - 1);
  memcpy (salt + sizeof v1_salt_prefix - 1, recipient->bytes, SP_PUBLIC_KEY_SIZE);
  memcpy (salt + sizeof v1_salt_prefix - 1 + SP_PUBLIC_KEY_SIZE, ephemeral->bytes, SP_PUBLIC_KEY_SIZE);

  ret = sp_dh (shared, our_private, their_public);
  if (ret == SP_OK)
    ret = sp_hkdf_sha256 (keys, V1_KEYS_SIZE, salt, sizeof salt, shared, sizeof shared, NULL, 0);
  sodium_memzero (shared, sizeof shared);
  return ret;
}

/* The static keys: HKDF(salt = chain key || encrypted static, DH of the
 * identities); the first 32 bytes are unused. */
static int
v1_static_keys (uint8_t             keys[V1_KEYS_SIZE],
                const SpPrivateKey *our_identity,
                const SpPublicKey  *their_identity,
                const uint8_t       chain_key[32],
                const uint8_t      *encrypted_static,
                size_t              encrypted_static_len)
{
  uint8_t salt[32 + SP_PUBLIC_KEY_SIZE + V1_MAC_SIZE];
  uint8_t shared[SP_DH_SIZE];
  int ret;

  if (encrypted_static_len != SP_PUBLIC_KEY_SIZE + V1_MAC_SIZE)
    return SP_ERR_IDENTITY_MISMATCH;
  memcpy (salt, chain_key, 32);
  memcpy (salt + 32, encrypted_static, encrypted_static_len);

  ret = sp_dh (shared, our_identity, their_identity);
  if (ret == SP_OK)
    ret = sp_hkdf_sha256 (keys, V1_KEYS_SIZE, salt, sizeof salt, shared, sizeof shared, NULL, 0);
  sodium_memzero (shared, sizeof shared);
  sodium_memzero (salt, sizeof salt);
  return ret;
}

int
sp_sealed_sender_encrypt_v1 (uint8_t           *out,
                             size_t             out_size,
                             size_t            *out_len,
                             const SpKeyPair   *sender_identity,
                             const SpPublicKey *recipient_identity,
                             const uint8_t     *content,
                             size_t             content_len,
                             const SpKeyPair   *ephemeral)
{
  SpKeyPair *fresh = NULL;
  uint8_t *keys = NULL;
  uint8_t encrypted_static[SP_PUBLIC_KEY_SIZE + V1_MAC_SIZE];
  size_t message_len = content_len + V1_MAC_SIZE;
  size_t pb_len;
  SpPbWriter writer;
  uint8_t *message;
  int ret;

  if (out == NULL || out_len == NULL || sender_identity == NULL || recipient_identity == NULL
      || (content == NULL && content_len != 0) || content_len > SIZE_MAX / 2)
    return SP_ERR_INVALID_ARGUMENT;
  pb_len = sp_pb_bytes_field_size (V1_EPHEMERAL_PUBLIC, SP_PUBLIC_KEY_SIZE)
           + sp_pb_bytes_field_size (V1_ENCRYPTED_STATIC, sizeof encrypted_static)
           + sp_pb_bytes_field_size (V1_ENCRYPTED_MESSAGE, message_len);
  if (out_size < 1 + pb_len)
    return SP_ERR_BUFFER_TOO_SMALL;

  keys = sodium_malloc (V1_KEYS_SIZE);
  if (keys == NULL)
    return SP_ERR_NO_MEMORY;
  if (ephemeral == NULL)
    {
      fresh = sodium_malloc (sizeof *fresh);
      ret = fresh != NULL ? sp_key_pair_generate (fresh) : SP_ERR_NO_MEMORY;
      ephemeral = fresh;
      if (ret != SP_OK)
        goto out;
    }

  ret = v1_ephemeral_keys (keys, &ephemeral->private_key, recipient_identity, recipient_identity,
                           &ephemeral->public_key);
  if (ret == SP_OK)
    ret = v1_seal (encrypted_static, keys + 32, keys + 64, sender_identity->public_key.bytes,
                   SP_PUBLIC_KEY_SIZE);
  if (ret == SP_OK)
    ret = v1_static_keys (keys, &sender_identity->private_key, recipient_identity, keys,
                          encrypted_static, sizeof encrypted_static);
  if (ret != SP_OK)
    goto out;

  /* The message goes last and is encrypted in place. */
  out[0] = V1_VERSION_BYTE;
  sp_pb_writer_init (&writer, out + 1, pb_len);
  sp_pb_write_bytes (&writer, V1_EPHEMERAL_PUBLIC, ephemeral->public_key.bytes, SP_PUBLIC_KEY_SIZE);
  sp_pb_write_bytes (&writer, V1_ENCRYPTED_STATIC, encrypted_static, sizeof encrypted_static);
  message = sp_pb_write_bytes_reserve (&writer, V1_ENCRYPTED_MESSAGE, message_len);
  if ((ret = sp_pb_writer_finish (&writer, NULL)) == SP_OK)
    ret = v1_seal (message, keys + 32, keys + 64, content, content_len);
  if (ret == SP_OK)
    *out_len = 1 + pb_len;
  else
    sodium_memzero (out, 1 + pb_len);

out:
  sodium_free (keys);
  sodium_free (fresh);
  return ret;
}

/* A decoded v1 message; byte fields point into the message. */
typedef struct {
  SpPublicKey ephemeral;
  const uint8_t *encrypted_static;
  size_t encrypted_static_len;
  const uint8_t *encrypted_message;
  size_t encrypted_message_len;
} V1Message;

/* After the version byte; all three fields required. */
static int
v1_decode (V1Message     *out,
           const uint8_t *data,
           size_t         len)
{
  V1Message message = { 0 };
  bool seen[V1_N_FIELDS] = { false };
  SpPbReader reader;
  SpPbField field;
  int ret;

  sp_pb_reader_init (&reader, data, len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      if (field.number >= V1_N_FIELDS)
        continue;
      if ((ret = sp_pb_expect_field (&field, SP_PB_WIRE_BYTES, seen)) != SP_OK)
        return ret;
      switch (field.number)
        {
        case V1_EPHEMERAL_PUBLIC:
          if (sp_public_key_decode (&message.ephemeral, field.data, field.len) != SP_OK)
            return SP_ERR_INVALID_KEY;
          break;
        case V1_ENCRYPTED_STATIC:
          message.encrypted_static = field.data;
          message.encrypted_static_len = field.len;
          break;
        default:
          message.encrypted_message = field.data;
          message.encrypted_message_len = field.len;
          break;
        }
    }
  if (ret != 0)
    return ret;
  if (!seen[V1_EPHEMERAL_PUBLIC] || !seen[V1_ENCRYPTED_STATIC] || !seen[V1_ENCRYPTED_MESSAGE])
    return SP_ERR_MALFORMED;
  *out = message;
  return SP_OK;
}

/* Opens a v1 message into @out (the USMC) and checks that the sender's
 * static key is the certificate's. */
static int
v1_decrypt (SpSealedContent *content,
            uint8_t         *out,
            size_t           out_size,
            const SpKeyPair *local_identity,
            const uint8_t   *data,
            size_t           len)
{
  V1Message message;
  uint8_t *keys;
  uint8_t static_key[SP_PUBLIC_KEY_SIZE];
  SpPublicKey sender;
  int ret;

  if ((ret = v1_decode (&message, data + 1, len - 1)) != SP_OK)
    return ret;
  /* Only the 33 bytes of a public key can match the certificate. */
  if (message.encrypted_static_len != SP_PUBLIC_KEY_SIZE + V1_MAC_SIZE)
    return SP_ERR_BAD_MAC;
  if (message.encrypted_message_len < V1_MAC_SIZE)
    return SP_ERR_BAD_MAC;
  if (out_size < message.encrypted_message_len - V1_MAC_SIZE)
    return SP_ERR_BUFFER_TOO_SMALL;

  keys = sodium_malloc (V1_KEYS_SIZE);
  if (keys == NULL)
    return SP_ERR_NO_MEMORY;
  ret = v1_ephemeral_keys (keys, &local_identity->private_key, &message.ephemeral,
                           &local_identity->public_key, &message.ephemeral);
  if (ret == SP_OK)
    ret = v1_open (static_key, keys + 32, keys + 64, message.encrypted_static, message.encrypted_static_len);
  if (ret == SP_OK && sp_public_key_decode (&sender, static_key, sizeof static_key) != SP_OK)
    ret = SP_ERR_INVALID_KEY;
  if (ret == SP_OK)
    ret = v1_static_keys (keys, &local_identity->private_key, &sender, keys,
                          message.encrypted_static, message.encrypted_static_len);
  if (ret == SP_OK)
    ret = v1_open (out, keys + 32, keys + 64, message.encrypted_message, message.encrypted_message_len);
  if (ret == SP_OK)
    ret = sp_sealed_content_decode (content, out, message.encrypted_message_len - V1_MAC_SIZE);
  if (ret == SP_OK
      && sodium_memcmp (content->sender.identity_key.bytes, sender.bytes, SP_PUBLIC_KEY_SIZE) != 0)
    ret = SP_ERR_IDENTITY_MISMATCH;

  sodium_free (keys);
  return ret;
}

/* Sealed sender v2 */

static int
v2_derive (uint8_t       *out,
           size_t         out_len,
           const uint8_t *ikm,
           size_t         ikm_len,
           const char    *label)
{
  return sp_hkdf_sha256 (out, out_len, NULL, 0, ikm, ikm_len, (const uint8_t *) label, strlen (label));
}

/* E from M: the private key r = HKDF(M, label r), clamped. */
static int
v2_ephemeral (SpKeyPair     *out,
              const uint8_t  m[V2_KEY_SIZE])
{
  uint8_t r[32];
  int ret = v2_derive (r, sizeof r, m, V2_KEY_SIZE, v2_label_r);

  if (ret == SP_OK)
    ret = sp_key_pair_from_private (out, r, sizeof r);
  sodium_memzero (r, sizeof r);
  return ret;
}

/* C = HKDF(DH || E || recipient, label DH) XOR @in: M to C when
 * sending, C to M when receiving. */
static int
v2_apply_agreement_xor (uint8_t             out[V2_KEY_SIZE],
                        const SpPrivateKey *our_private,
                        const SpPublicKey  *their_public,
                        const SpPublicKey  *ephemeral,
                        const SpPublicKey  *recipient,
                        const uint8_t       in[V2_KEY_SIZE])
{
  uint8_t ikm[SP_DH_SIZE + 2 * SP_PUBLIC_KEY_SIZE];
  uint8_t pad[V2_KEY_SIZE];
  int ret;

  ret = sp_dh (ikm, our_private, their_public);
  memcpy (ikm + SP_DH_SIZE, ephemeral->bytes, SP_PUBLIC_KEY_SIZE);
  memcpy (ikm + SP_DH_SIZE + SP_PUBLIC_KEY_SIZE, recipient->bytes, SP_PUBLIC_KEY_SIZE);
  if (ret == SP_OK)
    ret = v2_derive (pad, sizeof pad, ikm, sizeof ikm, v2_label_dh);
  if (ret == SP_OK)
    for (size_t i = 0; i < V2_KEY_SIZE; i++)
      out[i] = pad[i] ^ in[i];
  sodium_memzero (ikm, sizeof ikm);
  sodium_memzero (pad, sizeof pad);
  return ret;
}

/* AT = HKDF(DH(identities) || E || C || sender || recipient, label
 * DH-sender), 16 bytes. */
static int
v2_authentication_tag (uint8_t             out[V2_TAG_SIZE],
                       const SpPrivateKey *our_identity,
                       const SpPublicKey  *their_identity,
                       const SpPublicKey  *ephemeral,
                       const uint8_t       c[V2_KEY_SIZE],
                       const SpPublicKey  *sender,
                       const SpPublicKey  *recipient)
{
  uint8_t ikm[SP_DH_SIZE + SP_PUBLIC_KEY_SIZE + V2_KEY_SIZE + 2 * SP_PUBLIC_KEY_SIZE];
  uint8_t *p = ikm + SP_DH_SIZE;
  int ret;

  ret = sp_dh (ikm, our_identity, their_identity);
  memcpy (p, ephemeral->bytes, SP_PUBLIC_KEY_SIZE);
  memcpy (p += SP_PUBLIC_KEY_SIZE, c, V2_KEY_SIZE);
  memcpy (p += V2_KEY_SIZE, sender->bytes, SP_PUBLIC_KEY_SIZE);
  memcpy (p + SP_PUBLIC_KEY_SIZE, recipient->bytes, SP_PUBLIC_KEY_SIZE);
  if (ret == SP_OK)
    ret = v2_derive (out, V2_TAG_SIZE, ikm, sizeof ikm, v2_label_dh_sender);
  sodium_memzero (ikm, sizeof ikm);
  return ret;
}

/* The number of consecutive recipients from @first on that share its
 * name: one entry of the SentMessage. */
static size_t
v2_group_length (const SpSealedRecipient *recipients,
                 size_t                   n_recipients,
                 size_t                   first)
{
  size_t n = 1;

  while (first + n < n_recipients && strcmp (recipients[first + n].name, recipients[first].name) == 0)
    n++;
  return n;
}

size_t
sp_sealed_sender_v2_size (const SpSealedRecipient *recipients,
                          size_t                   n_recipients,
                          size_t                   content_len)
{
  uint8_t service_id[SP_SERVICE_ID_FIXED_SIZE];
  size_t n_groups = 0;
  size_t size = 1 + V2_PUBLIC_KEY_SIZE + SP_AES_GCM_SIV_TAG_SIZE;

  if ((recipients == NULL && n_recipients != 0) || n_recipients > SIZE_MAX / 64 || content_len > SIZE_MAX / 2)
    return 0;
  for (size_t i = 0; i < n_recipients; i++)
    if (recipients[i].name == NULL || !sp_service_id_parse (recipients[i].name, service_id))
      return 0;
  for (size_t i = 0; i < n_recipients; i += v2_group_length (recipients, n_recipients, i))
    n_groups++;
  return size + sp_pb_varint_size (n_groups) + n_groups * (SP_SERVICE_ID_FIXED_SIZE + V2_RECIPIENT_KEYS_SIZE)
         + 3 * n_recipients + content_len;
}

int
sp_sealed_sender_encrypt_v2 (uint8_t                 *out,
                             size_t                   out_size,
                             size_t                  *out_len,
                             const SpKeyPair         *sender_identity,
                             const SpSealedRecipient *recipients,
                             size_t                   n_recipients,
                             const uint8_t           *content,
                             size_t                   content_len,
                             const uint8_t           *m_override)
{
  static const uint8_t zero_nonce[SP_AES_GCM_SIV_NONCE_SIZE] = { 0 };
  size_t size = sp_sealed_sender_v2_size (recipients, n_recipients, content_len);
  size_t n_groups = 0;
  uint8_t *secrets;                      /* M, K, then E */
  SpKeyPair *ephemeral;
  uint8_t *p;
  int ret = SP_OK;

  if (out == NULL || out_len == NULL || sender_identity == NULL || n_recipients == 0
      || (content == NULL && content_len != 0) || size == 0)
    return SP_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < n_recipients; i++)
    if (recipients[i].device_id == 0 || recipients[i].device_id > SP_MAX_DEVICE_ID
        || (recipients[i].registration_id & ~(uint32_t) V2_REGISTRATION_ID_MASK) != 0)
      return SP_ERR_INVALID_ARGUMENT;
  if (out_size < size)
    return SP_ERR_BUFFER_TOO_SMALL;

  secrets = sodium_malloc (2 * V2_KEY_SIZE + sizeof (SpKeyPair));
  if (secrets == NULL)
    return SP_ERR_NO_MEMORY;
  ephemeral = (SpKeyPair *) (secrets + 2 * V2_KEY_SIZE);
  if (m_override != NULL)
    memcpy (secrets, m_override, V2_KEY_SIZE);
  else
    randombytes_buf (secrets, V2_KEY_SIZE);
  ret = v2_ephemeral (ephemeral, secrets);
  if (ret == SP_OK)
    ret = v2_derive (secrets + V2_KEY_SIZE, V2_KEY_SIZE, secrets, V2_KEY_SIZE, v2_label_k);

  for (size_t i = 0; i < n_recipients; i += v2_group_length (recipients, n_recipients, i))
    n_groups++;
  out[0] = V2_SENT_VERSION_BYTE;
  p = out + 1;
  for (uint64_t value = n_groups; ; value >>= 7)
    {
      *p++ = (uint8_t) ((value & 0x7f) | (value >= 0x80 ? 0x80 : 0));
      if (value < 0x80)
        break;
    }

  for (size_t i = 0; ret == SP_OK && i < n_recipients; )
    {
      size_t n = v2_group_length (recipients, n_recipients, i);
      const SpPublicKey *their_identity = &recipients[i].identity_key;

      sp_service_id_parse (recipients[i].name, p);
      p += SP_SERVICE_ID_FIXED_SIZE;
      for (size_t d = 0; d < n; d++)
        {
          uint32_t entry = recipients[i + d].registration_id | (d + 1 < n ? V2_MORE_DEVICES : 0);

          *p++ = (uint8_t) recipients[i + d].device_id;
          *p++ = (uint8_t) (entry >> 8);
          *p++ = (uint8_t) entry;
        }
      ret = v2_apply_agreement_xor (p, &ephemeral->private_key, their_identity, &ephemeral->public_key,
                                    their_identity, secrets);
      if (ret == SP_OK)
        ret = v2_authentication_tag (p + V2_KEY_SIZE, &sender_identity->private_key, their_identity,
                                     &ephemeral->public_key, p, &sender_identity->public_key, their_identity);
      p += V2_RECIPIENT_KEYS_SIZE;
      i += n;
    }

  if (ret == SP_OK)
    {
      memcpy (p, ephemeral->public_key.bytes + 1, V2_PUBLIC_KEY_SIZE);
      p += V2_PUBLIC_KEY_SIZE;
      ret = sp_aes256_gcm_siv_encrypt (p, secrets + V2_KEY_SIZE, zero_nonce, NULL, 0, content, content_len);
    }
  if (ret == SP_OK)
    *out_len = size;
  else
    sodium_memzero (out, size);
  sodium_free (secrets);
  return ret;
}

/* A bounded reader over the SentMessage. */
typedef struct {
  const uint8_t *data;
  size_t len;
  size_t pos;
} Cursor;

static const uint8_t *
cursor_take (Cursor *cursor,
             size_t  n)
{
  const uint8_t *p;

  if (cursor->len - cursor->pos < n)
    return NULL;
  p = cursor->data + cursor->pos;
  cursor->pos += n;
  return p;
}

/* prost's length delimiter: a varint of at most ten bytes, which must fit
 * 32 bits. */
static int
cursor_varint (Cursor   *cursor,
               uint32_t *out)
{
  uint64_t value = 0;

  for (unsigned shift = 0; shift < 70; shift += 7)
    {
      const uint8_t *byte = cursor_take (cursor, 1);

      if (byte == NULL)
        return SP_ERR_MALFORMED;
      if (shift < 64)
        value |= (uint64_t) (*byte & 0x7f) << shift;
      if ((*byte & 0x80) == 0)
        {
          if (value > UINT32_MAX)
            return SP_ERR_MALFORMED;
          *out = (uint32_t) value;
          return SP_OK;
        }
    }
  return SP_ERR_MALFORMED;
}

/* Checks the version of a SentMessage and reads the count of its
 * recipient table, leaving @cursor at the first entry; @id_size is how
 * long each entry's name is. */
static int
table_begin (Cursor        *cursor,
             uint32_t      *n_recipients,
             size_t        *id_size,
             const uint8_t *sent,
             size_t         sent_len)
{
  if (sent_len == 0)
    return SP_ERR_MALFORMED;
  if (sent[0] != V2_SENT_VERSION_BYTE && sent[0] != V2_RECEIVED_VERSION_BYTE)
    return SP_ERR_INVALID_MESSAGE;
  /* The old form names recipients by their bare ACI UUID. */
  *id_size = sent[0] == V2_SENT_VERSION_BYTE ? SP_SERVICE_ID_FIXED_SIZE : SP_UUID_SIZE;
  *cursor = (Cursor) { sent, sent_len, 1 };
  return cursor_varint (cursor, n_recipients);
}

/* Reads the table's next recipient: its name, its devices (a list that
 * ends with a device whose entry lacks the "more" bit, or device 0
 * alone for an excluded recipient) and, when it has devices, its keys. */
static int
read_table_entry (Cursor             *cursor,
                  size_t              id_size,
                  SpSealedTableEntry *entry)
{
  const uint8_t *id = cursor_take (cursor, id_size);
  bool has_devices = false;
  bool more = true;

  if (id == NULL)
    return SP_ERR_MALFORMED;
  memset (entry, 0, sizeof *entry);
  entry->service_id[0] = SP_SERVICE_ID_ACI;
  memcpy (entry->service_id + SP_SERVICE_ID_FIXED_SIZE - id_size, id, id_size);
  while (more)
    {
      const uint8_t *device = cursor_take (cursor, 1);
      const uint8_t *registration;

      if (device == NULL)
        return SP_ERR_MALFORMED;
      if (*device == 0)
        {
          /* Device 0 ends an empty list: an excluded recipient. */
          if (has_devices)
            return SP_ERR_MALFORMED;
          entry->excluded = true;
          return SP_OK;
        }
      if (*device > SP_MAX_DEVICE_ID || (registration = cursor_take (cursor, 2)) == NULL)
        return SP_ERR_MALFORMED;
      has_devices = true;
      more = (registration[0] << 8 & V2_MORE_DEVICES) != 0;
      entry->devices[*device / 8] |= (uint8_t) (1u << (*device % 8));
    }
  if ((entry->keys = cursor_take (cursor, V2_RECIPIENT_KEYS_SIZE)) == NULL)
    return SP_ERR_MALFORMED;
  return SP_OK;
}

/* Adds a recipient's entry to what the table holds for it: a recipient
 * listed twice keeps its first keys, as in libsignal. */
static void
merge_table_entry (SpSealedTableEntry       *merged,
                   const SpSealedTableEntry *entry)
{
  for (size_t i = 0; i < sizeof merged->devices; i++)
    merged->devices[i] |= entry->devices[i];
  if (merged->keys == NULL)
    merged->keys = entry->keys;
  merged->excluded |= entry->excluded;
}

/* Whether what the table holds for a recipient lets it be delivered to:
 * listed with keys, and never both with and without devices. */
static int
merged_entry_check (const SpSealedTableEntry *merged)
{
  if (merged->excluded && merged->keys != NULL)
    return SP_ERR_MALFORMED;
  return merged->keys != NULL ? SP_OK : SP_ERR_INVALID_ARGUMENT;
}

/* Ends reading a table whose entries the cursor has passed: E and the
 * encrypted content follow. */
static int
table_end (SpSealedTable      *table,
           const Cursor       *cursor,
           SpSealedTableEntry *entries,
           size_t              n_entries)
{
  if (cursor->len - cursor->pos < V2_PUBLIC_KEY_SIZE)
    return SP_ERR_MALFORMED;
  *table = (SpSealedTable) { cursor->data, cursor->len, cursor->pos, entries, n_entries };
  return SP_OK;
}

int
sp_sealed_sender_v2_recipient_count (const uint8_t *sent,
                                     size_t         sent_len,
                                     uint32_t      *n_recipients)
{
  Cursor cursor;
  size_t id_size;

  if ((sent == NULL && sent_len != 0) || n_recipients == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  return table_begin (&cursor, n_recipients, &id_size, sent, sent_len);
}

int
sp_sealed_sender_v2_table_parse (SpSealedTable      *table,
                                 SpSealedTableEntry *entries,
                                 size_t              max_entries,
                                 const uint8_t      *sent,
                                 size_t              sent_len)
{
  uint32_t n_recipients;
  size_t id_size;
  Cursor cursor;
  int ret;

  if (table == NULL || (entries == NULL && max_entries != 0) || (sent == NULL && sent_len != 0))
    return SP_ERR_INVALID_ARGUMENT;
  if ((ret = table_begin (&cursor, &n_recipients, &id_size, sent, sent_len)) != SP_OK)
    return ret;
  if (n_recipients > max_entries)
    return SP_ERR_BUFFER_TOO_SMALL;
  for (uint32_t r = 0; r < n_recipients; r++)
    if ((ret = read_table_entry (&cursor, id_size, &entries[r])) != SP_OK)
      return ret;
  return table_end (table, &cursor, entries, n_recipients);
}

int
sp_sealed_sender_v2_table_lookup (const SpSealedTable *table,
                                  const char          *name,
                                  SpSealedTableEntry  *out)
{
  SpSealedTableEntry merged = { { 0 } };
  int ret;

  if (table == NULL || out == NULL || name == NULL || !sp_service_id_parse (name, merged.service_id))
    return SP_ERR_INVALID_ARGUMENT;
  for (size_t r = 0; r < table->n_entries; r++)
    if (memcmp (table->entries[r].service_id, merged.service_id, SP_SERVICE_ID_FIXED_SIZE) == 0)
      merge_table_entry (&merged, &table->entries[r]);
  if ((ret = merged_entry_check (&merged)) != SP_OK)
    return ret;
  *out = merged;
  return SP_OK;
}

bool
sp_sealed_table_entry_has_device (const SpSealedTableEntry *entry,
                                  uint32_t                  device_id)
{
  return entry != NULL && device_id <= SP_MAX_DEVICE_ID && (entry->devices[device_id / 8] >> (device_id % 8) & 1) != 0;
}

size_t
sp_sealed_sender_v2_table_received_size (const SpSealedTable *table)
{
  return 1 + V2_RECIPIENT_KEYS_SIZE + (table->sent_len - table->shared);
}

int
sp_sealed_sender_v2_table_split (uint8_t                  *out,
                                 size_t                    out_size,
                                 size_t                   *out_len,
                                 const SpSealedTable      *table,
                                 const SpSealedTableEntry *recipient)
{
  size_t size;

  if (out == NULL || out_len == NULL || table == NULL || recipient == NULL || recipient->keys == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  size = sp_sealed_sender_v2_table_received_size (table);
  if (out_size < size)
    return SP_ERR_BUFFER_TOO_SMALL;
  out[0] = V2_RECEIVED_VERSION_BYTE;
  memcpy (out + 1, recipient->keys, V2_RECIPIENT_KEYS_SIZE);
  memcpy (out + 1 + V2_RECIPIENT_KEYS_SIZE, table->sent + table->shared, table->sent_len - table->shared);
  *out_len = size;
  return SP_OK;
}

/* Reads the table as it goes, keeping only what it holds for @name. */
int
sp_sealed_sender_v2_split (uint8_t       *out,
                           size_t         out_size,
                           size_t        *out_len,
                           const uint8_t *sent,
                           size_t         sent_len,
                           const char    *name,
                           uint32_t       device_id)
{
  SpSealedTableEntry merged = { { 0 } };
  SpSealedTable table;
  uint32_t n_recipients;
  size_t id_size;
  Cursor cursor;
  int ret;

  if (out == NULL || out_len == NULL || (sent == NULL && sent_len != 0) || name == NULL
      || !sp_service_id_parse (name, merged.service_id))
    return SP_ERR_INVALID_ARGUMENT;
  if ((ret = table_begin (&cursor, &n_recipients, &id_size, sent, sent_len)) != SP_OK)
    return ret;
  for (uint32_t r = 0; r < n_recipients; r++)
    {
      SpSealedTableEntry entry;

      if ((ret = read_table_entry (&cursor, id_size, &entry)) != SP_OK)
        return ret;
      if (memcmp (entry.service_id, merged.service_id, SP_SERVICE_ID_FIXED_SIZE) == 0)
        merge_table_entry (&merged, &entry);
    }
  if ((ret = table_end (&table, &cursor, NULL, 0)) != SP_OK || (ret = merged_entry_check (&merged)) != SP_OK)
    return ret;
  if (!sp_sealed_table_entry_has_device (&merged, device_id))
    return SP_ERR_INVALID_ARGUMENT;
  return sp_sealed_sender_v2_table_split (out, out_size, out_len, &table, &merged);
}

/* Opens a v2 ReceivedMessage into @out and checks the authentication tag
 * against the certificate's identity key. */
static int
v2_decrypt (SpSealedContent *content,
            uint8_t         *out,
            size_t           out_size,
            const SpKeyPair *local_identity,
            const uint8_t   *data,
            size_t           len)
{
  static const uint8_t zero_nonce[SP_AES_GCM_SIV_NONCE_SIZE] = { 0 };
  const uint8_t *c = data + 1;
  const uint8_t *tag = c + V2_KEY_SIZE;
  const uint8_t *ciphertext = tag + V2_TAG_SIZE + V2_PUBLIC_KEY_SIZE;
  size_t ciphertext_len;
  uint8_t expected_tag[V2_TAG_SIZE];
  uint8_t *secrets;                      /* M, K, then E */
  SpKeyPair *derived;
  SpPublicKey ephemeral;
  int ret;

  if (len < 1 + V2_RECIPIENT_KEYS_SIZE + V2_PUBLIC_KEY_SIZE)
    return SP_ERR_MALFORMED;
  ciphertext_len = len - (size_t) (ciphertext - data);
  if (ciphertext_len < SP_AES_GCM_SIV_TAG_SIZE)
    return SP_ERR_BAD_MAC;
  if (out_size < ciphertext_len - SP_AES_GCM_SIV_TAG_SIZE)
    return SP_ERR_BUFFER_TOO_SMALL;
  ephemeral.bytes[0] = SP_KEY_TYPE_DJB;
  memcpy (ephemeral.bytes + 1, tag + V2_TAG_SIZE, V2_PUBLIC_KEY_SIZE);

  secrets = sodium_malloc (2 * V2_KEY_SIZE + sizeof (SpKeyPair));
  if (secrets == NULL)
    return SP_ERR_NO_MEMORY;
  derived = (SpKeyPair *) (secrets + 2 * V2_KEY_SIZE);

  ret = v2_apply_agreement_xor (secrets, &local_identity->private_key, &ephemeral, &ephemeral,
                                &local_identity->public_key, c);
  if (ret == SP_OK)
    ret = v2_ephemeral (derived, secrets);
  /* E must be the one M derives: otherwise C was not made for it. */
  if (ret == SP_OK && sodium_memcmp (derived->public_key.bytes, ephemeral.bytes, SP_PUBLIC_KEY_SIZE) != 0)
    ret = SP_ERR_BAD_MAC;
  if (ret == SP_OK)
    ret = v2_derive (secrets + V2_KEY_SIZE, V2_KEY_SIZE, secrets, V2_KEY_SIZE, v2_label_k);
  if (ret == SP_OK)
    ret = sp_aes256_gcm_siv_decrypt (out, secrets + V2_KEY_SIZE, zero_nonce, NULL, 0, ciphertext, ciphertext_len);
  if (ret == SP_OK)
    ret = sp_sealed_content_decode (content, out, ciphertext_len - SP_AES_GCM_SIV_TAG_SIZE);
  if (ret == SP_OK)
    ret = v2_authentication_tag (expected_tag, &local_identity->private_key, &content->sender.identity_key,
                                 &ephemeral, c, &content->sender.identity_key, &local_identity->public_key);
  if (ret == SP_OK && sodium_memcmp (expected_tag, tag, V2_TAG_SIZE) != 0)
    ret = SP_ERR_IDENTITY_MISMATCH;

  sodium_free (secrets);
  return ret;
}

int
sp_sealed_sender_decrypt (SpSealedContent   *content,
                          uint8_t           *out,
                          size_t             out_size,
                          const SpKeyPair   *local_identity,
                          const SpAddress   *local,
                          const SpPublicKey *trust_root,
                          uint64_t           now_ms,
                          const uint8_t     *data,
                          size_t             len)
{
  SpSealedContent opened;
  int ret;

  if (content == NULL || out == NULL || local_identity == NULL || local == NULL || local->name == NULL
      || trust_root == NULL || (data == NULL && len != 0))
    return SP_ERR_INVALID_ARGUMENT;
  if (len == 0)
    return SP_ERR_MALFORMED;

  /* libsignal reads only the high nibble (and takes 0 for 1), so the
   * low one is not authenticated; both are required to be what libsignal
   * writes, so that no bit of a message can change unnoticed. */
  switch (data[0])
    {
    case V1_VERSION_BYTE:
      ret = v1_decrypt (&opened, out, out_size, local_identity, data, len);
      break;
    case V2_RECEIVED_VERSION_BYTE:
      ret = v2_decrypt (&opened, out, out_size, local_identity, data, len);
      break;
    default:
      ret = SP_ERR_INVALID_MESSAGE;
      break;
    }
  if (ret == SP_OK)
    ret = sp_sender_certificate_validate (&opened.sender, trust_root, now_ms);
  if (ret == SP_OK && opened.sender.device_id == local->device_id
      && strcmp (opened.sender.sender_uuid, local->name) == 0)
    ret = SP_ERR_SELF_SEND;

  if (ret != SP_OK)
    {
      sodium_memzero (out, out_size < len ? out_size : len);
      return ret;
    }
  *content = opened;
  return SP_OK;
}
