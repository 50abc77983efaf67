/* sp-message.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sp-message.h"
#include "sp-error.h"
#include "sp-kdf.h"
#include "sp-protobuf.h"
#include "sp-xeddsa.h"

#include <sodium.h>
#include <string.h>

/* Field numbers of SignalMessage. */
enum {
  SIGNAL_RATCHET_KEY = 1,
  SIGNAL_COUNTER = 2,
  SIGNAL_PREVIOUS_COUNTER = 3,
  SIGNAL_CIPHERTEXT = 4,
  SIGNAL_PQ_RATCHET = 5,
  SIGNAL_ADDRESSES = 6,
  SIGNAL_N_FIELDS
};

/* Field numbers of PreKeySignalMessage. */
enum {
  PRE_KEY_PRE_KEY_ID = 1,
  PRE_KEY_BASE_KEY = 2,
  PRE_KEY_IDENTITY_KEY = 3,
  PRE_KEY_MESSAGE = 4,
  PRE_KEY_REGISTRATION_ID = 5,
  PRE_KEY_SIGNED_PRE_KEY_ID = 6,
  PRE_KEY_KYBER_PRE_KEY_ID = 7,
  PRE_KEY_KYBER_CIPHERTEXT = 8,
  PRE_KEY_N_FIELDS
};

/* Field numbers of SenderKeyDistributionMessage and SenderKeyMessage:
 * both start with the same three. */
enum {
  SENDER_KEY_DISTRIBUTION_ID = 1,
  SENDER_KEY_CHAIN_ID = 2,
  SENDER_KEY_ITERATION = 3,
  SENDER_KEY_CHAIN_KEY = 4,        /* distribution message */
  SENDER_KEY_CIPHERTEXT = 4,       /* message */
  SENDER_KEY_SIGNING_KEY = 5,      /* distribution message */
  SENDER_KEY_N_FIELDS
};

/* libsignal refuses a distribution message shorter than a version byte,
 * a key and a chain key, and a message shorter than a version byte and
 * its signature, before looking inside. */
#define SENDER_KEY_DISTRIBUTION_MIN_SIZE (1 + 32 + 32)
#define SENDER_KEY_MESSAGE_MIN_SIZE (1 + SP_SIGNATURE_SIZE)

/* The oldest and newest message versions the parsers understand; the
 * session decides later which of them it accepts. */
#define MIN_PARSED_VERSION 3
#define MAX_PARSED_VERSION 4

/* Receivers look only at the high nibble of the version byte. */
static int
check_version (uint8_t  byte,
               uint8_t *version)
{
  uint8_t high = byte >> 4;

  if (high < MIN_PARSED_VERSION || high > MAX_PARSED_VERSION)
    return SP_ERR_INVALID_MESSAGE;
  *version = high;
  return SP_OK;
}

int
sp_signal_message_decode (SpSignalMessage *out,
                          const uint8_t   *data,
                          size_t           len)
{
  SpSignalMessage message = { 0 };
  bool seen[SIGNAL_N_FIELDS] = { false };
  SpPbReader reader;
  SpPbField field;
  int ret;

  if (out == NULL || (data == NULL && len != 0))
    return SP_ERR_INVALID_ARGUMENT;
  if (len < 1 + SP_SIGNAL_MESSAGE_MAC_SIZE)
    return SP_ERR_MALFORMED;

  ret = check_version (data[0], &message.version);
  if (ret != SP_OK)
    return ret;

  message.serialized_len = len - SP_SIGNAL_MESSAGE_MAC_SIZE;
  message.mac = data + message.serialized_len;

  sp_pb_reader_init (&reader, data + 1, message.serialized_len - 1);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      switch (field.number)
        {
        case SIGNAL_RATCHET_KEY:
          ret = sp_pb_field_public_key (&field, seen, &message.ratchet_key);
          break;

        case SIGNAL_COUNTER:
          ret = sp_pb_field_uint32 (&field, seen, &message.counter);
          break;

        case SIGNAL_PREVIOUS_COUNTER:
          ret = sp_pb_field_uint32 (&field, seen, &message.previous_counter);
          break;

        case SIGNAL_CIPHERTEXT:
          ret = sp_pb_field_bytes (&field, seen, &message.ciphertext,
                                   &message.ciphertext_len);
          break;

        case SIGNAL_PQ_RATCHET:
          ret = sp_pb_field_bytes (&field, seen, &message.pq_ratchet,
                                   &message.pq_ratchet_len);
          break;

        case SIGNAL_ADDRESSES:
          ret = sp_pb_expect_field (&field, SP_PB_WIRE_BYTES, seen);
          /* The two fixed-width service ids and device ids; nothing else
           * could ever match the receiver's own view of the addresses. */
          if (ret == SP_OK && field.len != SP_MESSAGE_ADDRESSES_SIZE)
            ret = SP_ERR_MALFORMED;
          message.addresses = field.data;
          message.addresses_len = field.len;
          break;

        default:
          /* Unknown fields are skipped, as any protobuf parser does. */
          ret = SP_OK;
          break;
        }
      if (ret != SP_OK)
        return ret;
    }
  if (ret != 0)
    return ret;

  if (!seen[SIGNAL_RATCHET_KEY] || !seen[SIGNAL_COUNTER] || !seen[SIGNAL_CIPHERTEXT])
    return SP_ERR_MALFORMED;

  *out = message;
  return SP_OK;
}

int
sp_pre_key_signal_message_decode (SpPreKeySignalMessage *out,
                                  const uint8_t         *data,
                                  size_t                 len)
{
  SpPreKeySignalMessage message = { 0 };
  bool seen[PRE_KEY_N_FIELDS] = { false };
  SpSignalMessage inner;
  SpPbReader reader;
  SpPbField field;
  int ret;

  if (out == NULL || (data == NULL && len != 0))
    return SP_ERR_INVALID_ARGUMENT;
  if (len < 1)
    return SP_ERR_MALFORMED;

  ret = check_version (data[0], &message.version);
  if (ret != SP_OK)
    return ret;

  sp_pb_reader_init (&reader, data + 1, len - 1);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      switch (field.number)
        {
        case PRE_KEY_PRE_KEY_ID:
          ret = sp_pb_field_uint32 (&field, seen, &message.pre_key_id);
          message.has_pre_key_id = true;
          break;

        case PRE_KEY_BASE_KEY:
          ret = sp_pb_field_public_key (&field, seen, &message.base_key);
          break;

        case PRE_KEY_IDENTITY_KEY:
          ret = sp_pb_field_public_key (&field, seen, &message.identity_key);
          break;

        case PRE_KEY_MESSAGE:
          ret = sp_pb_field_bytes (&field, seen, &message.message, &message.message_len);
          break;

        case PRE_KEY_REGISTRATION_ID:
          ret = sp_pb_field_uint32 (&field, seen, &message.registration_id);
          break;

        case PRE_KEY_SIGNED_PRE_KEY_ID:
          ret = sp_pb_field_uint32 (&field, seen, &message.signed_pre_key_id);
          break;

        case PRE_KEY_KYBER_PRE_KEY_ID:
          ret = sp_pb_field_uint32 (&field, seen, &message.kyber_pre_key_id);
          message.has_kyber_pre_key_id = true;
          break;

        case PRE_KEY_KYBER_CIPHERTEXT:
          ret = sp_pb_expect_field (&field, SP_PB_WIRE_BYTES, seen);
          if (ret == SP_OK
              && (field.len != SP_KYBER_CIPHERTEXT_SIZE || field.data[0] != SP_KEY_TYPE_KYBER1024))
            ret = SP_ERR_MALFORMED;
          message.kyber_ciphertext = field.data;
          message.kyber_ciphertext_len = field.len;
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

  if (!seen[PRE_KEY_BASE_KEY] || !seen[PRE_KEY_IDENTITY_KEY] || !seen[PRE_KEY_MESSAGE]
      || !seen[PRE_KEY_SIGNED_PRE_KEY_ID])
    return SP_ERR_MALFORMED;
  /* The Kyber prekey id and ciphertext only make sense together. */
  if (seen[PRE_KEY_KYBER_PRE_KEY_ID] != seen[PRE_KEY_KYBER_CIPHERTEXT])
    return SP_ERR_MALFORMED;

  /* libsignal parses the embedded message as part of the outer one, so a
   * PreKeySignalMessage with a broken SignalMessage inside is refused
   * here already. */
  ret = sp_signal_message_decode (&inner, message.message, message.message_len);
  if (ret != SP_OK)
    return ret;

  *out = message;
  return SP_OK;
}

/* Size of a length-delimited field, tag included. */
/* The first 32 bytes of the MAC the spec describes; callers keep the
 * first eight. */
static int
compute_mac (uint8_t            mac[SP_HMAC_SHA256_SIZE],
             const uint8_t      mac_key[32],
             const SpPublicKey *sender_identity,
             const SpPublicKey *receiver_identity,
             const uint8_t     *serialized,
             size_t             serialized_len)
{
  const SpHmacPart parts[] = {
    { sender_identity->bytes, SP_PUBLIC_KEY_SIZE },
    { receiver_identity->bytes, SP_PUBLIC_KEY_SIZE },
    { serialized, serialized_len },
  };

  return sp_hmac_sha256_parts (mac, mac_key, 32, parts, 3);
}

int
sp_signal_message_encode (uint8_t               *out,
                          size_t                 out_size,
                          size_t                *out_len,
                          const SpSignalMessage *message,
                          const uint8_t          mac_key[32],
                          const SpPublicKey     *sender_identity,
                          const SpPublicKey     *receiver_identity)
{
  uint8_t mac[SP_HMAC_SHA256_SIZE];
  bool has_pq_ratchet;
  SpPbWriter writer;
  size_t pb_len;
  size_t total;
  int ret;

  if (out == NULL || out_len == NULL || message == NULL || mac_key == NULL
      || sender_identity == NULL || receiver_identity == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  if (message->version != SP_MESSAGE_VERSION
      || (message->ciphertext == NULL && message->ciphertext_len != 0)
      || (message->pq_ratchet == NULL && message->pq_ratchet_len != 0)
      || (message->addresses != NULL && message->addresses_len != SP_MESSAGE_ADDRESSES_SIZE))
    return SP_ERR_INVALID_ARGUMENT;

  /* libsignal writes fields 1 to 4 always and field 5 only when it has
   * something in it. */
  has_pq_ratchet = message->pq_ratchet_len != 0;

  pb_len = sp_pb_bytes_field_size (SIGNAL_RATCHET_KEY, SP_PUBLIC_KEY_SIZE)
           + sp_pb_varint_field_size (SIGNAL_COUNTER, message->counter)
           + sp_pb_varint_field_size (SIGNAL_PREVIOUS_COUNTER, message->previous_counter)
           + sp_pb_bytes_field_size (SIGNAL_CIPHERTEXT, message->ciphertext_len);
  if (has_pq_ratchet)
    pb_len += sp_pb_bytes_field_size (SIGNAL_PQ_RATCHET, message->pq_ratchet_len);
  if (message->addresses != NULL)
    pb_len += sp_pb_bytes_field_size (SIGNAL_ADDRESSES, message->addresses_len);
  total = 1 + pb_len + SP_SIGNAL_MESSAGE_MAC_SIZE;

  /* Sizing up front means nothing is written unless all of it fits. */
  if (out_size < total)
    return SP_ERR_BUFFER_TOO_SMALL;

  out[0] = SP_MESSAGE_VERSION_BYTE;
  sp_pb_writer_init (&writer, out + 1, pb_len);
  sp_pb_write_bytes (&writer, SIGNAL_RATCHET_KEY, message->ratchet_key.bytes, SP_PUBLIC_KEY_SIZE);
  sp_pb_write_varint (&writer, SIGNAL_COUNTER, message->counter);
  sp_pb_write_varint (&writer, SIGNAL_PREVIOUS_COUNTER, message->previous_counter);
  sp_pb_write_bytes (&writer, SIGNAL_CIPHERTEXT, message->ciphertext, message->ciphertext_len);
  if (has_pq_ratchet)
    sp_pb_write_bytes (&writer, SIGNAL_PQ_RATCHET, message->pq_ratchet, message->pq_ratchet_len);
  if (message->addresses != NULL)
    sp_pb_write_bytes (&writer, SIGNAL_ADDRESSES, message->addresses, message->addresses_len);
  ret = sp_pb_writer_finish (&writer, NULL);
  /* The size was computed from the same fields, so this cannot fail. */
  if (ret != SP_OK)
    return ret;

  ret = compute_mac (mac, mac_key, sender_identity, receiver_identity, out, 1 + pb_len);
  if (ret == SP_OK)
    {
      memcpy (out + 1 + pb_len, mac, SP_SIGNAL_MESSAGE_MAC_SIZE);
      *out_len = total;
    }
  else
    {
      /* Hashing does not fail in practice; if it did, the message
       * written so far is wiped rather than left without its MAC. */
      sodium_memzero (out, 1 + pb_len);
    }
  sodium_memzero (mac, sizeof mac);
  return ret;
}

int
sp_signal_message_verify_mac (const SpSignalMessage *message,
                              const uint8_t         *data,
                              const uint8_t          mac_key[32],
                              const SpPublicKey     *sender_identity,
                              const SpPublicKey     *receiver_identity)
{
  uint8_t mac[SP_HMAC_SHA256_SIZE];
  int ret;

  if (message == NULL || data == NULL || mac_key == NULL || message->mac == NULL
      || sender_identity == NULL || receiver_identity == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  ret = compute_mac (mac, mac_key, sender_identity, receiver_identity, data, message->serialized_len);
  if (ret == SP_OK && sodium_memcmp (mac, message->mac, SP_SIGNAL_MESSAGE_MAC_SIZE) != 0)
    ret = SP_ERR_BAD_MAC;
  sodium_memzero (mac, sizeof mac);

  return ret;
}

int
sp_pre_key_signal_message_encode (uint8_t                     *out,
                                  size_t                       out_size,
                                  size_t                      *out_len,
                                  const SpPreKeySignalMessage *message)
{
  bool has_kyber_ciphertext;
  SpPbWriter writer;
  size_t pb_len;
  size_t total;
  int ret;

  if (out == NULL || out_len == NULL || message == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  if (message->version != SP_MESSAGE_VERSION || message->message == NULL || message->message_len == 0)
    return SP_ERR_INVALID_ARGUMENT;

  has_kyber_ciphertext = message->kyber_ciphertext != NULL;
  if (has_kyber_ciphertext != message->has_kyber_pre_key_id)
    return SP_ERR_INVALID_ARGUMENT;
  if (has_kyber_ciphertext
      && (message->kyber_ciphertext_len != SP_KYBER_CIPHERTEXT_SIZE
          || message->kyber_ciphertext[0] != SP_KEY_TYPE_KYBER1024))
    return SP_ERR_INVALID_ARGUMENT;

  pb_len = sp_pb_bytes_field_size (PRE_KEY_BASE_KEY, SP_PUBLIC_KEY_SIZE)
           + sp_pb_bytes_field_size (PRE_KEY_IDENTITY_KEY, SP_PUBLIC_KEY_SIZE)
           + sp_pb_bytes_field_size (PRE_KEY_MESSAGE, message->message_len)
           + sp_pb_varint_field_size (PRE_KEY_REGISTRATION_ID, message->registration_id)
           + sp_pb_varint_field_size (PRE_KEY_SIGNED_PRE_KEY_ID, message->signed_pre_key_id);
  if (message->has_pre_key_id)
    pb_len += sp_pb_varint_field_size (PRE_KEY_PRE_KEY_ID, message->pre_key_id);
  if (has_kyber_ciphertext)
    pb_len += sp_pb_varint_field_size (PRE_KEY_KYBER_PRE_KEY_ID, message->kyber_pre_key_id)
              + sp_pb_bytes_field_size (PRE_KEY_KYBER_CIPHERTEXT, message->kyber_ciphertext_len);
  total = 1 + pb_len;

  if (out_size < total)
    return SP_ERR_BUFFER_TOO_SMALL;

  out[0] = SP_MESSAGE_VERSION_BYTE;
  sp_pb_writer_init (&writer, out + 1, pb_len);
  if (message->has_pre_key_id)
    sp_pb_write_varint (&writer, PRE_KEY_PRE_KEY_ID, message->pre_key_id);
  sp_pb_write_bytes (&writer, PRE_KEY_BASE_KEY, message->base_key.bytes, SP_PUBLIC_KEY_SIZE);
  sp_pb_write_bytes (&writer, PRE_KEY_IDENTITY_KEY, message->identity_key.bytes, SP_PUBLIC_KEY_SIZE);
  sp_pb_write_bytes (&writer, PRE_KEY_MESSAGE, message->message, message->message_len);
  sp_pb_write_varint (&writer, PRE_KEY_REGISTRATION_ID, message->registration_id);
  sp_pb_write_varint (&writer, PRE_KEY_SIGNED_PRE_KEY_ID, message->signed_pre_key_id);
  if (has_kyber_ciphertext)
    {
      sp_pb_write_varint (&writer, PRE_KEY_KYBER_PRE_KEY_ID, message->kyber_pre_key_id);
      sp_pb_write_bytes (&writer, PRE_KEY_KYBER_CIPHERTEXT, message->kyber_ciphertext,
                         message->kyber_ciphertext_len);
    }
  ret = sp_pb_writer_finish (&writer, NULL);
  if (ret != SP_OK)
    return ret;

  *out_len = total;
  return SP_OK;
}

/* Sender keys */

/* Both sender-key messages accept exactly version 3 in the high nibble. */
static int
check_sender_key_version (uint8_t  byte,
                          uint8_t *version)
{
  if (byte >> 4 != SP_SENDER_KEY_VERSION)
    return SP_ERR_INVALID_MESSAGE;
  *version = SP_SENDER_KEY_VERSION;
  return SP_OK;
}

/* The fields of either sender-key message, before each decoder applies
 * its own rules to field 4 (and 5). */
typedef struct {
  bool seen[SENDER_KEY_N_FIELDS];
  uint8_t distribution_id[SP_DISTRIBUTION_ID_SIZE];
  uint32_t chain_id;
  uint32_t iteration;
  SpPbField bytes[SENDER_KEY_N_FIELDS];    /* fields 4 and 5 */
} SenderKeyFields;

/* Checks the length (at least @min_len) and the version byte of @data,
 * then reads fields 1 to @last_field of the protobuf that follows the
 * version byte and precedes @trailer_len bytes; later fields are
 * skipped.  Every field up to @last_field is required. */
static int
decode_sender_key_fields (const uint8_t   *data,
                          size_t           len,
                          size_t           min_len,
                          size_t           trailer_len,
                          uint32_t         last_field,
                          uint8_t         *version,
                          SenderKeyFields *fields)
{
  SpPbReader reader;
  SpPbField field;
  int ret;

  if (len < min_len)
    return SP_ERR_MALFORMED;
  if ((ret = check_sender_key_version (data[0], version)) != SP_OK)
    return ret;

  memset (fields, 0, sizeof *fields);
  sp_pb_reader_init (&reader, data + 1, len - 1 - trailer_len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      if (field.number > last_field)
        continue;
      switch (field.number)
        {
        case SENDER_KEY_DISTRIBUTION_ID:
          ret = sp_pb_expect_field (&field, SP_PB_WIRE_BYTES, fields->seen);
          if (ret == SP_OK && field.len != SP_DISTRIBUTION_ID_SIZE)
            ret = SP_ERR_MALFORMED;
          if (ret == SP_OK)
            memcpy (fields->distribution_id, field.data, SP_DISTRIBUTION_ID_SIZE);
          break;

        case SENDER_KEY_CHAIN_ID:
          ret = sp_pb_field_uint32 (&field, fields->seen, &fields->chain_id);
          break;

        case SENDER_KEY_ITERATION:
          ret = sp_pb_field_uint32 (&field, fields->seen, &fields->iteration);
          break;

        default:
          ret = sp_pb_expect_field (&field, SP_PB_WIRE_BYTES, fields->seen);
          fields->bytes[field.number] = field;
          break;
        }
      if (ret != SP_OK)
        return ret;
    }
  if (ret != 0)
    return ret;

  for (uint32_t number = SENDER_KEY_DISTRIBUTION_ID; number <= last_field; number++)
    if (!fields->seen[number])
      return SP_ERR_MALFORMED;
  return SP_OK;
}

int
sp_sender_key_distribution_message_decode (SpSenderKeyDistributionMessage *out,
                                           const uint8_t                  *data,
                                           size_t                          len)
{
  SpSenderKeyDistributionMessage message = { 0 };
  SenderKeyFields fields;
  const SpPbField *chain_key;
  const SpPbField *signing_key;
  int ret;

  if (out == NULL || (data == NULL && len != 0))
    return SP_ERR_INVALID_ARGUMENT;
  ret = decode_sender_key_fields (data, len, SENDER_KEY_DISTRIBUTION_MIN_SIZE, 0, SENDER_KEY_SIGNING_KEY,
                                  &message.version, &fields);
  if (ret != SP_OK)
    return ret;

  chain_key = &fields.bytes[SENDER_KEY_CHAIN_KEY];
  signing_key = &fields.bytes[SENDER_KEY_SIGNING_KEY];
  if (chain_key->len != SP_SENDER_CHAIN_KEY_SIZE || signing_key->len != SP_PUBLIC_KEY_SIZE)
    return SP_ERR_MALFORMED;
  if (sp_public_key_decode (&message.signing_key, signing_key->data, signing_key->len) != SP_OK)
    return SP_ERR_INVALID_KEY;

  memcpy (message.distribution_id, fields.distribution_id, SP_DISTRIBUTION_ID_SIZE);
  message.chain_id = fields.chain_id;
  message.iteration = fields.iteration;
  message.chain_key = chain_key->data;
  *out = message;
  return SP_OK;
}

int
sp_sender_key_message_decode (SpSenderKeyMessage *out,
                              const uint8_t      *data,
                              size_t              len)
{
  SpSenderKeyMessage message = { 0 };
  SenderKeyFields fields;
  int ret;

  if (out == NULL || (data == NULL && len != 0))
    return SP_ERR_INVALID_ARGUMENT;
  ret = decode_sender_key_fields (data, len, SENDER_KEY_MESSAGE_MIN_SIZE, SP_SIGNATURE_SIZE,
                                  SENDER_KEY_CIPHERTEXT, &message.version, &fields);
  if (ret != SP_OK)
    return ret;

  memcpy (message.distribution_id, fields.distribution_id, SP_DISTRIBUTION_ID_SIZE);
  message.chain_id = fields.chain_id;
  message.iteration = fields.iteration;
  message.ciphertext = fields.bytes[SENDER_KEY_CIPHERTEXT].data;
  message.ciphertext_len = fields.bytes[SENDER_KEY_CIPHERTEXT].len;
  message.signed_len = len - SP_SIGNATURE_SIZE;
  message.signature = data + message.signed_len;
  *out = message;
  return SP_OK;
}

/* The protobuf of the three common fields. */
static size_t
sender_key_common_size (uint32_t chain_id,
                        uint32_t iteration)
{
  return sp_pb_bytes_field_size (SENDER_KEY_DISTRIBUTION_ID, SP_DISTRIBUTION_ID_SIZE)
         + sp_pb_varint_field_size (SENDER_KEY_CHAIN_ID, chain_id)
         + sp_pb_varint_field_size (SENDER_KEY_ITERATION, iteration);
}

static void
write_sender_key_common (SpPbWriter    *writer,
                         const uint8_t  distribution_id[SP_DISTRIBUTION_ID_SIZE],
                         uint32_t       chain_id,
                         uint32_t       iteration)
{
  sp_pb_write_bytes (writer, SENDER_KEY_DISTRIBUTION_ID, distribution_id, SP_DISTRIBUTION_ID_SIZE);
  sp_pb_write_varint (writer, SENDER_KEY_CHAIN_ID, chain_id);
  sp_pb_write_varint (writer, SENDER_KEY_ITERATION, iteration);
}

int
sp_sender_key_distribution_message_encode (uint8_t                              *out,
                                           size_t                                out_size,
                                           size_t                               *out_len,
                                           const SpSenderKeyDistributionMessage *message)
{
  SpPbWriter writer;
  size_t pb_len;
  int ret;

  if (out == NULL || out_len == NULL || message == NULL || message->chain_key == NULL
      || message->version != SP_SENDER_KEY_VERSION)
    return SP_ERR_INVALID_ARGUMENT;

  pb_len = sender_key_common_size (message->chain_id, message->iteration)
           + sp_pb_bytes_field_size (SENDER_KEY_CHAIN_KEY, SP_SENDER_CHAIN_KEY_SIZE)
           + sp_pb_bytes_field_size (SENDER_KEY_SIGNING_KEY, SP_PUBLIC_KEY_SIZE);
  if (out_size < 1 + pb_len)
    return SP_ERR_BUFFER_TOO_SMALL;

  out[0] = SP_SENDER_KEY_VERSION_BYTE;
  sp_pb_writer_init (&writer, out + 1, pb_len);
  write_sender_key_common (&writer, message->distribution_id, message->chain_id, message->iteration);
  sp_pb_write_bytes (&writer, SENDER_KEY_CHAIN_KEY, message->chain_key, SP_SENDER_CHAIN_KEY_SIZE);
  sp_pb_write_bytes (&writer, SENDER_KEY_SIGNING_KEY, message->signing_key.bytes, SP_PUBLIC_KEY_SIZE);
  if ((ret = sp_pb_writer_finish (&writer, NULL)) != SP_OK)
    return ret;

  *out_len = 1 + pb_len;
  return SP_OK;
}

int
sp_sender_key_message_encode (uint8_t                  *out,
                              size_t                    out_size,
                              size_t                   *out_len,
                              const SpSenderKeyMessage *message,
                              const SpPrivateKey       *signing_key,
                              const uint8_t            *random)
{
  SpPbWriter writer;
  size_t pb_len;
  int ret;

  if (out == NULL || out_len == NULL || message == NULL || signing_key == NULL
      || message->version != SP_SENDER_KEY_VERSION
      || (message->ciphertext == NULL && message->ciphertext_len != 0))
    return SP_ERR_INVALID_ARGUMENT;

  pb_len = sender_key_common_size (message->chain_id, message->iteration)
           + sp_pb_bytes_field_size (SENDER_KEY_CIPHERTEXT, message->ciphertext_len);
  if (out_size < 1 + pb_len + SP_SIGNATURE_SIZE)
    return SP_ERR_BUFFER_TOO_SMALL;

  out[0] = SP_SENDER_KEY_VERSION_BYTE;
  sp_pb_writer_init (&writer, out + 1, pb_len);
  write_sender_key_common (&writer, message->distribution_id, message->chain_id, message->iteration);
  sp_pb_write_bytes (&writer, SENDER_KEY_CIPHERTEXT, message->ciphertext, message->ciphertext_len);
  if ((ret = sp_pb_writer_finish (&writer, NULL)) != SP_OK)
    return ret;

  ret = sp_xeddsa_sign (out + 1 + pb_len, signing_key, out, 1 + pb_len, random);
  if (ret != SP_OK)
    {
      sodium_memzero (out, 1 + pb_len);
      return ret;
    }
  *out_len = 1 + pb_len + SP_SIGNATURE_SIZE;
  return SP_OK;
}

int
sp_sender_key_message_verify (const SpSenderKeyMessage *message,
                              const uint8_t            *data,
                              const SpPublicKey        *signing_key)
{
  if (message == NULL || data == NULL || signing_key == NULL || message->signature == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  return sp_xeddsa_verify (signing_key, data, message->signed_len, message->signature, SP_SIGNATURE_SIZE);
}
