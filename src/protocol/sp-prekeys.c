/* sp-prekeys.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The records are libsignal's proto3 messages, and proto3 leaves fields
 * at their default out of the encoding: an id or timestamp of 0 is not
 * written, and a missing one decodes as 0.  Everything else is required.
 * The decoders are otherwise strict, since only libsignal and this code
 * write these records: each field at most once with its wire type,
 * nothing unknown, keys of exact size, and key halves that belong
 * together.
 */

#include "sp-prekeys.h"
#include "sp-error.h"
#include "sp-protobuf.h"

#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#define FIELD_ID 1
#define FIELD_PUBLIC 2
#define FIELD_PRIVATE 3
#define FIELD_SIGNATURE 4
#define FIELD_TIMESTAMP 5
/* libsignal's PreKeyRecordStructure has no timestamp; ours goes into a
 * field number libsignal does not use, so that it skips it. */
#define FIELD_PRE_KEY_TIMESTAMP 15

/* Offset of the public key inside a serialised Kyber1024 secret key:
 * type byte, then the 1536-byte s. */
#define KYBER_SECRET_PUBLIC_OFFSET (1 + 1536)

/* The common shape of the three records. */
typedef struct {
  uint32_t id;
  uint64_t timestamp;
  const uint8_t *public_key;
  size_t public_len;
  const uint8_t *private_key;
  size_t private_len;
  const uint8_t *signature;
  size_t signature_len;
} RecordFields;

/* Size of one bytes field: tag (every field number here is below 16, so
 * one byte), length, data. */
static size_t
bytes_field_size (size_t len)
{
  return 1 + sp_pb_varint_size (len) + len;
}

static size_t
record_size (const RecordFields *record)
{
  size_t size = 0;

  if (record->id != 0)
    size += 1 + sp_pb_varint_size (record->id);
  size += bytes_field_size (record->public_len);
  size += bytes_field_size (record->private_len);
  if (record->signature != NULL)
    size += bytes_field_size (record->signature_len);
  if (record->timestamp != 0)
    size += 1 + 8;
  return size;
}

/* Fields in ascending order, as libsignal writes them.  The size is
 * checked first so that a short buffer stays untouched. */
static int
record_encode (const RecordFields *record,
               uint32_t            timestamp_field,
               uint8_t            *out,
               size_t              out_size,
               size_t             *out_len)
{
  SpPbWriter writer;
  size_t len;
  int ret;

  if (out == NULL || out_len == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  if (out_size < record_size (record))
    return SP_ERR_BUFFER_TOO_SMALL;

  sp_pb_writer_init (&writer, out, out_size);
  if (record->id != 0)
    sp_pb_write_varint (&writer, FIELD_ID, record->id);
  sp_pb_write_bytes (&writer, FIELD_PUBLIC, record->public_key, record->public_len);
  sp_pb_write_bytes (&writer, FIELD_PRIVATE, record->private_key, record->private_len);
  if (record->signature != NULL)
    sp_pb_write_bytes (&writer, FIELD_SIGNATURE, record->signature, record->signature_len);
  if (record->timestamp != 0)
    sp_pb_write_fixed64 (&writer, timestamp_field, record->timestamp);
  ret = sp_pb_writer_finish (&writer, &len);
  if (ret == SP_OK)
    *out_len = len;
  return ret;
}

static int
record_decode (RecordFields  *record,
               uint32_t       timestamp_field,
               bool           has_signature,
               const uint8_t *data,
               size_t         len)
{
  SpPbReader reader;
  SpPbField field;
  uint32_t seen = 0;
  int ret;

  memset (record, 0, sizeof *record);
  sp_pb_reader_init (&reader, data, len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      SpPbWireType expected;

      if (field.number == FIELD_ID)
        expected = SP_PB_WIRE_VARINT;
      else if (field.number == FIELD_PUBLIC || field.number == FIELD_PRIVATE
               || (has_signature && field.number == FIELD_SIGNATURE))
        expected = SP_PB_WIRE_BYTES;
      else if (field.number == timestamp_field)
        expected = SP_PB_WIRE_FIXED64;
      else
        return SP_ERR_MALFORMED;

      if (field.wire_type != expected || (seen & (UINT32_C (1) << field.number)) != 0)
        return SP_ERR_MALFORMED;
      seen |= UINT32_C (1) << field.number;

      switch (field.number)
        {
        case FIELD_ID:
          if (field.value > UINT32_MAX)
            return SP_ERR_MALFORMED;
          record->id = (uint32_t) field.value;
          break;
        case FIELD_PUBLIC:
          record->public_key = field.data;
          record->public_len = field.len;
          break;
        case FIELD_PRIVATE:
          record->private_key = field.data;
          record->private_len = field.len;
          break;
        case FIELD_SIGNATURE:
          record->signature = field.data;
          record->signature_len = field.len;
          break;
        default:
          record->timestamp = field.value;
          break;
        }
    }
  if (ret < 0)
    return SP_ERR_MALFORMED;

  if ((seen & (UINT32_C (1) << FIELD_PUBLIC)) == 0 || (seen & (UINT32_C (1) << FIELD_PRIVATE)) == 0)
    return SP_ERR_MALFORMED;
  if (has_signature && record->signature_len != SP_SIGNATURE_SIZE)
    return SP_ERR_MALFORMED;
  return SP_OK;
}

int
sp_pre_key_generate (SpPreKey *out,
                     uint32_t  id,
                     uint64_t  timestamp)
{
  SpPreKey key;
  int ret;

  if (out == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  memset (&key, 0, sizeof key);
  key.id = id;
  key.timestamp = timestamp;
  ret = sp_key_pair_generate (&key.key_pair);
  if (ret == SP_OK)
    *out = key;

  sodium_memzero (&key, sizeof key);
  return ret;
}

int
sp_signed_pre_key_generate (SpSignedPreKey     *out,
                            const SpPrivateKey *identity,
                            uint32_t            id,
                            uint64_t            timestamp)
{
  SpSignedPreKey key;
  int ret;

  if (out == NULL || identity == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  memset (&key, 0, sizeof key);
  key.id = id;
  key.timestamp = timestamp;
  ret = sp_key_pair_generate (&key.key_pair);
  if (ret == SP_OK)
    ret = sp_xeddsa_sign (key.signature, identity, key.key_pair.public_key.bytes,
                          SP_PUBLIC_KEY_SIZE, NULL);
  if (ret == SP_OK)
    *out = key;

  sodium_memzero (&key, sizeof key);
  return ret;
}

int
sp_kyber_pre_key_generate (SpKyberPreKey      *out,
                           const SpPrivateKey *identity,
                           uint32_t            id,
                           uint64_t            timestamp)
{
  SpKyberPreKey *key;
  int ret;

  if (out == NULL || identity == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  /* Nearly 5 KiB with a secret key in it: guarded memory rather than
   * the stack. */
  key = sodium_malloc (sizeof *key);
  if (key == NULL)
    return SP_ERR_NO_MEMORY;

  memset (key, 0, sizeof *key);
  key->id = id;
  key->timestamp = timestamp;
  ret = sp_kyber1024_keypair (key->public_key, key->secret_key);
  if (ret == SP_OK)
    ret = sp_xeddsa_sign (key->signature, identity, key->public_key,
                          SP_KYBER_PUBLIC_KEY_SIZE, NULL);
  if (ret == SP_OK)
    memcpy (out, key, sizeof *key);

  sodium_free (key);
  return ret;
}

int
sp_pre_key_encode (const SpPreKey *key,
                   uint8_t        *out,
                   size_t          out_size,
                   size_t         *out_len)
{
  RecordFields record = { 0 };

  if (key == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  record.id = key->id;
  record.timestamp = key->timestamp;
  record.public_key = key->key_pair.public_key.bytes;
  record.public_len = SP_PUBLIC_KEY_SIZE;
  record.private_key = key->key_pair.private_key.bytes;
  record.private_len = SP_PRIVATE_KEY_SIZE;
  return record_encode (&record, FIELD_PRE_KEY_TIMESTAMP, out, out_size, out_len);
}

int
sp_pre_key_decode (SpPreKey      *out,
                   const uint8_t *data,
                   size_t         len)
{
  RecordFields record;
  SpPreKey key;
  int ret = SP_ERR_MALFORMED;

  if (out == NULL || (data == NULL && len > 0))
    return SP_ERR_INVALID_ARGUMENT;
  if (record_decode (&record, FIELD_PRE_KEY_TIMESTAMP, false, data, len) != SP_OK)
    return SP_ERR_MALFORMED;

  memset (&key, 0, sizeof key);
  key.id = record.id;
  key.timestamp = record.timestamp;
  if (sp_key_pair_from_parts (&key.key_pair, record.public_key, record.public_len,
                              record.private_key, record.private_len) == SP_OK)
    {
      *out = key;
      ret = SP_OK;
    }

  sodium_memzero (&key, sizeof key);
  return ret;
}

int
sp_signed_pre_key_encode (const SpSignedPreKey *key,
                          uint8_t              *out,
                          size_t                out_size,
                          size_t               *out_len)
{
  RecordFields record;

  if (key == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  record.id = key->id;
  record.timestamp = key->timestamp;
  record.public_key = key->key_pair.public_key.bytes;
  record.public_len = SP_PUBLIC_KEY_SIZE;
  record.private_key = key->key_pair.private_key.bytes;
  record.private_len = SP_PRIVATE_KEY_SIZE;
  record.signature = key->signature;
  record.signature_len = SP_SIGNATURE_SIZE;
  return record_encode (&record, FIELD_TIMESTAMP, out, out_size, out_len);
}

int
sp_signed_pre_key_decode (SpSignedPreKey *out,
                          const uint8_t  *data,
                          size_t          len)
{
  RecordFields record;
  SpSignedPreKey key;
  int ret = SP_ERR_MALFORMED;

  if (out == NULL || (data == NULL && len > 0))
    return SP_ERR_INVALID_ARGUMENT;
  if (record_decode (&record, FIELD_TIMESTAMP, true, data, len) != SP_OK)
    return SP_ERR_MALFORMED;

  memset (&key, 0, sizeof key);
  key.id = record.id;
  key.timestamp = record.timestamp;
  memcpy (key.signature, record.signature, SP_SIGNATURE_SIZE);
  if (sp_key_pair_from_parts (&key.key_pair, record.public_key, record.public_len,
                              record.private_key, record.private_len) == SP_OK)
    {
      *out = key;
      ret = SP_OK;
    }

  sodium_memzero (&key, sizeof key);
  return ret;
}

int
sp_kyber_pre_key_encode (const SpKyberPreKey *key,
                         uint8_t             *out,
                         size_t               out_size,
                         size_t              *out_len)
{
  RecordFields record;

  if (key == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  record.id = key->id;
  record.timestamp = key->timestamp;
  record.public_key = key->public_key;
  record.public_len = SP_KYBER_PUBLIC_KEY_SIZE;
  record.private_key = key->secret_key;
  record.private_len = SP_KYBER_SECRET_KEY_SIZE;
  record.signature = key->signature;
  record.signature_len = SP_SIGNATURE_SIZE;
  return record_encode (&record, FIELD_TIMESTAMP, out, out_size, out_len);
}

/* Both keys carry the Kyber1024 type byte, and the secret key embeds its
 * public key, which must be the one stored beside it. */
int
sp_kyber_pre_key_decode (SpKyberPreKey *out,
                         const uint8_t *data,
                         size_t         len)
{
  RecordFields record;

  if (out == NULL || (data == NULL && len > 0))
    return SP_ERR_INVALID_ARGUMENT;
  if (record_decode (&record, FIELD_TIMESTAMP, true, data, len) != SP_OK)
    return SP_ERR_MALFORMED;

  if (record.public_len != SP_KYBER_PUBLIC_KEY_SIZE
      || record.public_key[0] != SP_KEY_TYPE_KYBER1024
      || record.private_len != SP_KYBER_SECRET_KEY_SIZE
      || record.private_key[0] != SP_KEY_TYPE_KYBER1024
      || memcmp (record.private_key + KYBER_SECRET_PUBLIC_OFFSET, record.public_key + 1,
                 SP_KYBER1024_PUBLIC_KEY_BYTES) != 0)
    return SP_ERR_MALFORMED;

  /* Nothing can fail from here on, so the output is written directly
   * instead of through a copy of the secret key. */
  out->id = record.id;
  out->timestamp = record.timestamp;
  memcpy (out->public_key, record.public_key, SP_KYBER_PUBLIC_KEY_SIZE);
  memcpy (out->secret_key, record.private_key, SP_KYBER_SECRET_KEY_SIZE);
  memcpy (out->signature, record.signature, SP_SIGNATURE_SIZE);
  return SP_OK;
}
