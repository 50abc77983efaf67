/* sp-sealed-certificate.c: server and sender certificates of sealed sender
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Follows libsignal's sealed_sender.rs (spec section 9.1).  Both
 * certificates are {1: certificate bytes, 2: signature}, the signature an
 * XEdDSA signature over the certificate bytes: by a trust root for a
 * server certificate, by the server key for a sender certificate.
 */

#include "sp-sealed-sender.h"
#include "sp-error.h"
#include "sp-protobuf.h"

#include <sodium.h>
#include <string.h>

/* Fields of both outer messages. */
enum {
  SIGNED_CERTIFICATE = 1,
  SIGNED_SIGNATURE = 2,
  SIGNED_N_FIELDS
};

/* Fields of ServerCertificate.Certificate. */
enum {
  SERVER_ID = 1,
  SERVER_KEY = 2,
  SERVER_N_FIELDS
};

/* Fields of SenderCertificate.Certificate. */
enum {
  SENDER_E164 = 1,
  SENDER_DEVICE = 2,
  SENDER_EXPIRES = 3,
  SENDER_IDENTITY_KEY = 4,
  SENDER_SIGNER_CERTIFICATE = 5,
  SENDER_UUID_STRING = 6,
  SENDER_UUID_BYTES = 7,
  SENDER_SIGNER_ID = 8,
  SENDER_N_FIELDS
};

/* The server certificates built into libsignal, which a sender
 * certificate may name by id (field 8) instead of embedding one: Signal's
 * staging (2) and production (3) certificates, and libsignal's test
 * certificate (0x7357C357, signed by the trust root whose private key is
 * all zeros).  Public data, copied from libsignal's sealed_sender.rs; a
 * reference still validates only against the trust root the caller
 * gives. */
static const uint8_t known_staging[] = {
  0x0a, 0x25, 0x08, 0x02, 0x12, 0x21, 0x05, 0x39, 0x45, 0x0d, 0x63, 0xeb,
  0xd0, 0x75, 0x2c, 0x0f, 0xd4, 0x03, 0x8b, 0x9d, 0x07, 0xa9, 0x16, 0xf5,
  0xe1, 0x74, 0xb7, 0x56, 0xd4, 0x09, 0xb5, 0xca, 0x79, 0xf4, 0xc9, 0x74,
  0x00, 0x63, 0x1e, 0x12, 0x40, 0x64, 0xc5, 0xa3, 0x8b, 0x1e, 0x92, 0x74,
  0x97, 0xd3, 0xd4, 0x78, 0x6b, 0x10, 0x1a, 0x62, 0x3a, 0xb3, 0x4a, 0x7d,
  0xa3, 0x95, 0x4f, 0xae, 0x12, 0x6b, 0x04, 0xdb, 0xa9, 0xd7, 0xa3, 0x60,
  0x4e, 0xd8, 0x8c, 0xdc, 0x85, 0x50, 0x95, 0x0f, 0x0d, 0x4a, 0x91, 0x34,
  0xce, 0xb7, 0xe1, 0x9b, 0x94, 0x13, 0x91, 0x51, 0xd2, 0xc3, 0xd6, 0xe1,
  0xc8, 0x1e, 0x9d, 0x11, 0x28, 0xaa, 0xfc, 0xa8, 0x06,
};

static const uint8_t known_production[] = {
  0x0a, 0x25, 0x08, 0x03, 0x12, 0x21, 0x05, 0xbc, 0x9d, 0x1d, 0x29, 0x0b,
  0xe9, 0x64, 0x81, 0x0d, 0xfa, 0x7e, 0x94, 0x85, 0x64, 0x80, 0xa3, 0xf7,
  0x06, 0x0d, 0x00, 0x4c, 0x97, 0x62, 0xc2, 0x4c, 0x57, 0x5a, 0x15, 0x22,
  0x35, 0x3a, 0x5a, 0x12, 0x40, 0xc1, 0x1e, 0xc3, 0xc4, 0x01, 0xeb, 0x01,
  0x07, 0xab, 0x38, 0xf8, 0x60, 0x0e, 0x87, 0x20, 0xa6, 0x31, 0x69, 0xe0,
  0xe2, 0xeb, 0x8a, 0x3f, 0xae, 0x24, 0xf6, 0x30, 0x99, 0xf8, 0x5e, 0xa3,
  0x19, 0xc3, 0xc1, 0xc4, 0x6d, 0x34, 0x54, 0x70, 0x6a, 0xe2, 0xa6, 0x79,
  0xd1, 0xfe, 0xe6, 0x90, 0xa4, 0x88, 0xad, 0xda, 0x98, 0xa2, 0x29, 0x0b,
  0x66, 0xc9, 0x06, 0xbb, 0x60, 0x29, 0x5e, 0xd7, 0x81,
};

static const uint8_t known_test[] = {
  0x0a, 0x29, 0x08, 0xd7, 0x86, 0xdf, 0x9a, 0x07, 0x12, 0x21, 0x05, 0x84,
  0x7c, 0x0d, 0x2c, 0x37, 0x52, 0x34, 0xf3, 0x65, 0xe6, 0x60, 0x95, 0x51,
  0x87, 0xa3, 0x73, 0x5a, 0x0f, 0x76, 0x13, 0xd1, 0x60, 0x9d, 0x3a, 0x6a,
  0x4d, 0x8c, 0x53, 0xae, 0xaa, 0x5a, 0x22, 0x12, 0x40, 0xe0, 0xb9, 0xeb,
  0xac, 0xdf, 0xc3, 0xaa, 0x28, 0x27, 0xf7, 0x92, 0x4b, 0x69, 0x77, 0x84,
  0xd1, 0xc2, 0x5e, 0x44, 0xca, 0x05, 0xdd, 0x43, 0x3e, 0x1a, 0x38, 0xdc,
  0x63, 0x82, 0xeb, 0x27, 0x30, 0xd4, 0x19, 0xca, 0x9a, 0x25, 0x0b, 0x1b,
  0xe9, 0xd5, 0xa9, 0x46, 0x3e, 0x61, 0xef, 0xd6, 0x78, 0x17, 0x77, 0xa9,
  0x1b, 0x83, 0xc9, 0x7b, 0x84, 0x4d, 0x01, 0x42, 0x06, 0xe2, 0x82, 0x97,
  0x85,
};

static const struct {
  uint32_t id;
  const uint8_t *certificate;
  size_t len;
} known_server_certificates[] = {
  { 2, known_staging, sizeof known_staging },
  { 3, known_production, sizeof known_production },
  { 0x7357C357, known_test, sizeof known_test },
};

/* The outer {certificate, signature} message, both fields required. */
static int
decode_signed (const uint8_t  *data,
               size_t          len,
               const uint8_t **certificate,
               size_t         *certificate_len,
               const uint8_t **signature,
               size_t         *signature_len)
{
  bool seen[SIGNED_N_FIELDS] = { false };
  SpPbReader reader;
  SpPbField field;
  int ret;

  sp_pb_reader_init (&reader, data, len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      if (field.number != SIGNED_CERTIFICATE && field.number != SIGNED_SIGNATURE)
        continue;
      if ((ret = sp_pb_expect_field (&field, SP_PB_WIRE_BYTES, seen)) != SP_OK)
        return ret;
      if (field.number == SIGNED_CERTIFICATE)
        {
          *certificate = field.data;
          *certificate_len = field.len;
        }
      else
        {
          *signature = field.data;
          *signature_len = field.len;
        }
    }
  if (ret != 0)
    return ret;
  if (!seen[SIGNED_CERTIFICATE] || !seen[SIGNED_SIGNATURE])
    return SP_ERR_MALFORMED;
  return SP_OK;
}

int
sp_server_certificate_decode (SpServerCertificate *out,
                              const uint8_t       *data,
                              size_t               len)
{
  SpServerCertificate certificate = { 0 };
  bool seen[SERVER_N_FIELDS] = { false };
  SpPbReader reader;
  SpPbField field;
  int ret;

  if (out == NULL || (data == NULL && len != 0))
    return SP_ERR_INVALID_ARGUMENT;
  ret = decode_signed (data, len, &certificate.certificate, &certificate.certificate_len,
                       &certificate.signature, &certificate.signature_len);
  if (ret != SP_OK)
    return ret;

  sp_pb_reader_init (&reader, certificate.certificate, certificate.certificate_len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      if (field.number == SERVER_ID)
        ret = sp_pb_field_uint32 (&field, seen, &certificate.key_id);
      else if (field.number == SERVER_KEY)
        ret = sp_pb_field_public_key (&field, seen, &certificate.key);
      else
        ret = SP_OK;
      if (ret != SP_OK)
        return ret;
    }
  if (ret != 0)
    return ret;
  if (!seen[SERVER_ID] || !seen[SERVER_KEY])
    return SP_ERR_MALFORMED;

  *out = certificate;
  return SP_OK;
}

/* The built-in server certificate @id; SP_ERR_INVALID_CERTIFICATE for an
 * id libsignal does not know either. */
static int
decode_known_signer (SpServerCertificate *out,
                     uint32_t             id)
{
  for (size_t i = 0; i < sizeof known_server_certificates / sizeof known_server_certificates[0]; i++)
    if (known_server_certificates[i].id == id)
      return sp_server_certificate_decode (out, known_server_certificates[i].certificate,
                                           known_server_certificates[i].len);
  return SP_ERR_INVALID_CERTIFICATE;
}

/* Decodes the fields of SenderCertificate.Certificate into @out. */
static int
decode_sender_fields (SpSenderCertificate *out,
                      bool                *seen)
{
  SpPbReader reader;
  SpPbField field;
  uint8_t uuid[SP_UUID_SIZE];
  uint32_t signer_id;
  int ret;

  sp_pb_reader_init (&reader, out->certificate, out->certificate_len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      switch (field.number)
        {
        case SENDER_E164:
          ret = sp_pb_expect_field (&field, SP_PB_WIRE_BYTES, seen);
          out->sender_e164 = (const char *) field.data;
          out->sender_e164_len = field.len;
          break;

        case SENDER_DEVICE:
          ret = sp_pb_field_uint32 (&field, seen, &out->device_id);
          if (ret == SP_OK && (out->device_id == 0 || out->device_id > SP_MAX_DEVICE_ID))
            ret = SP_ERR_MALFORMED;
          break;

        case SENDER_EXPIRES:
          ret = sp_pb_expect_field (&field, SP_PB_WIRE_FIXED64, seen);
          out->expires_ms = field.value;
          break;

        case SENDER_IDENTITY_KEY:
          ret = sp_pb_field_public_key (&field, seen, &out->identity_key);
          break;

        case SENDER_SIGNER_CERTIFICATE:
          ret = sp_pb_expect_field (&field, SP_PB_WIRE_BYTES, seen);
          if (ret == SP_OK)
            ret = sp_server_certificate_decode (&out->signer, field.data, field.len);
          break;

        case SENDER_SIGNER_ID:
          ret = sp_pb_field_uint32 (&field, seen, &signer_id);
          if (ret == SP_OK)
            ret = decode_known_signer (&out->signer, signer_id);
          break;

        case SENDER_UUID_STRING:
          ret = sp_pb_expect_field (&field, SP_PB_WIRE_BYTES, seen);
          if (ret == SP_OK && field.len != SP_UUID_STRING_LENGTH)
            ret = SP_ERR_MALFORMED;
          if (ret == SP_OK)
            {
              memcpy (out->sender_uuid, field.data, SP_UUID_STRING_LENGTH);
              out->sender_uuid[SP_UUID_STRING_LENGTH] = '\0';
              if (sp_uuid_decode (uuid, out->sender_uuid) != SP_OK)
                ret = SP_ERR_MALFORMED;
            }
          break;

        case SENDER_UUID_BYTES:
          ret = sp_pb_expect_field (&field, SP_PB_WIRE_BYTES, seen);
          if (ret == SP_OK && field.len != SP_UUID_SIZE)
            ret = SP_ERR_MALFORMED;
          if (ret == SP_OK)
            sp_uuid_format (out->sender_uuid, field.data);
          break;

        default:
          ret = SP_OK;
          break;
        }
      if (ret != SP_OK)
        return ret;
    }
  return ret;
}

int
sp_sender_certificate_decode (SpSenderCertificate *out,
                              const uint8_t       *data,
                              size_t               len)
{
  SpSenderCertificate certificate = { 0 };
  bool seen[SENDER_N_FIELDS] = { false };
  int ret;

  if (out == NULL || (data == NULL && len != 0))
    return SP_ERR_INVALID_ARGUMENT;
  ret = decode_signed (data, len, &certificate.certificate, &certificate.certificate_len,
                       &certificate.signature, &certificate.signature_len);
  if (ret == SP_OK)
    ret = decode_sender_fields (&certificate, seen);
  if (ret != SP_OK)
    return ret;

  /* The UUID and the signer are oneofs: one form each, not both. */
  if (seen[SENDER_UUID_STRING] == seen[SENDER_UUID_BYTES]
      || seen[SENDER_SIGNER_CERTIFICATE] == seen[SENDER_SIGNER_ID]
      || !seen[SENDER_DEVICE] || !seen[SENDER_EXPIRES] || !seen[SENDER_IDENTITY_KEY])
    return SP_ERR_MALFORMED;

  *out = certificate;
  return SP_OK;
}

int
sp_sender_certificate_validate (const SpSenderCertificate *certificate,
                                const SpPublicKey         *trust_root,
                                uint64_t                   now_ms)
{
  const SpServerCertificate *signer;

  if (certificate == NULL || trust_root == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  signer = &certificate->signer;

  if (signer->key_id == SP_REVOKED_SERVER_CERTIFICATE_ID
      || sp_xeddsa_verify (trust_root, signer->certificate, signer->certificate_len,
                           signer->signature, signer->signature_len) != SP_OK
      || sp_xeddsa_verify (&signer->key, certificate->certificate, certificate->certificate_len,
                           certificate->signature, certificate->signature_len) != SP_OK)
    return SP_ERR_INVALID_CERTIFICATE;
  if (now_ms > certificate->expires_ms)
    return SP_ERR_CERTIFICATE_EXPIRED;
  return SP_OK;
}

/* Writes {1: certificate, 2: signature by @key over it}.  The
 * certificate has been written at @out + @offset, which leaves room for
 * the outer tag and length; it is moved into place after them. */
static int
finish_signed (uint8_t            *out,
               size_t              out_size,
               size_t             *out_len,
               size_t              offset,
               size_t              certificate_len,
               const SpPrivateKey *key,
               const uint8_t      *random)
{
  uint8_t signature[SP_SIGNATURE_SIZE];
  SpPbWriter writer;
  size_t header = 1 + sp_pb_varint_size (certificate_len);
  size_t total = header + certificate_len + sp_pb_bytes_field_size (SIGNED_SIGNATURE, SP_SIGNATURE_SIZE);
  size_t value = certificate_len;
  int ret;

  if (header > offset)
    return SP_ERR_INVALID_ARGUMENT;
  if (total > out_size)
    return SP_ERR_BUFFER_TOO_SMALL;
  if ((ret = sp_xeddsa_sign (signature, key, out + offset, certificate_len, random)) != SP_OK)
    return ret;

  memmove (out + header, out + offset, certificate_len);
  out[0] = (uint8_t) (SIGNED_CERTIFICATE << 3 | SP_PB_WIRE_BYTES);
  for (size_t i = 1; i < header; i++, value >>= 7)
    out[i] = (uint8_t) ((value & 0x7f) | (i + 1 < header ? 0x80 : 0));

  sp_pb_writer_init (&writer, out + header + certificate_len, out_size - header - certificate_len);
  sp_pb_write_bytes (&writer, SIGNED_SIGNATURE, signature, SP_SIGNATURE_SIZE);
  if ((ret = sp_pb_writer_finish (&writer, NULL)) != SP_OK)
    return ret;
  *out_len = total;
  return SP_OK;
}

int
sp_server_certificate_create (uint8_t            *out,
                              size_t              out_size,
                              size_t             *out_len,
                              uint32_t            key_id,
                              const SpPublicKey  *server_key,
                              const SpPrivateKey *trust_root,
                              const uint8_t      *random)
{
  /* The inner certificate is written after room for the outer header. */
  const size_t offset = 3;
  SpPbWriter writer;
  size_t certificate_len = 0;
  int ret;

  if (out == NULL || out_len == NULL || server_key == NULL || trust_root == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  if (out_size < SP_SERVER_CERTIFICATE_MAX_SIZE)
    return SP_ERR_BUFFER_TOO_SMALL;

  sp_pb_writer_init (&writer, out + offset, out_size - offset);
  sp_pb_write_varint (&writer, SERVER_ID, key_id);
  sp_pb_write_bytes (&writer, SERVER_KEY, server_key->bytes, SP_PUBLIC_KEY_SIZE);
  if ((ret = sp_pb_writer_finish (&writer, &certificate_len)) != SP_OK)
    return ret;
  return finish_signed (out, out_size, out_len, offset, certificate_len, trust_root, random);
}

int
sp_sender_certificate_create (uint8_t            *out,
                              size_t              out_size,
                              size_t             *out_len,
                              const char         *sender_uuid,
                              uint32_t            device_id,
                              uint64_t            expires_ms,
                              const SpPublicKey  *identity_key,
                              const uint8_t      *server_certificate,
                              size_t              server_certificate_len,
                              const SpPrivateKey *server_private,
                              const uint8_t      *random)
{
  const size_t offset = 4;
  SpServerCertificate signer;
  uint8_t uuid[SP_UUID_SIZE];
  SpPbWriter writer;
  size_t certificate_len = 0;
  int ret;

  if (out == NULL || out_len == NULL || identity_key == NULL || server_private == NULL
      || server_certificate == NULL || sp_uuid_decode (uuid, sender_uuid) != SP_OK
      || device_id == 0 || device_id > SP_MAX_DEVICE_ID
      || sp_server_certificate_decode (&signer, server_certificate, server_certificate_len) != SP_OK)
    return SP_ERR_INVALID_ARGUMENT;
  if (out_size < offset)
    return SP_ERR_BUFFER_TOO_SMALL;

  /* libsignal's field order: prost writes by field number. */
  sp_pb_writer_init (&writer, out + offset, out_size - offset);
  sp_pb_write_varint (&writer, SENDER_DEVICE, device_id);
  sp_pb_write_fixed64 (&writer, SENDER_EXPIRES, expires_ms);
  sp_pb_write_bytes (&writer, SENDER_IDENTITY_KEY, identity_key->bytes, SP_PUBLIC_KEY_SIZE);
  sp_pb_write_bytes (&writer, SENDER_SIGNER_CERTIFICATE, server_certificate, server_certificate_len);
  sp_pb_write_bytes (&writer, SENDER_UUID_STRING, (const uint8_t *) sender_uuid, SP_UUID_STRING_LENGTH);
  if ((ret = sp_pb_writer_finish (&writer, &certificate_len)) != SP_OK)
    return ret;
  return finish_signed (out, out_size, out_len, offset, certificate_len, server_private, random);
}
