/* sp-keys.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sp-keys.h"
#include "sp-curve25519.h"
#include "sp-error.h"
#include "sp-protobuf.h"

#include <sodium.h>
#include <string.h>

static void
clamp (uint8_t k[SP_PRIVATE_KEY_SIZE])
{
  k[0] &= 0xf8;
  k[31] &= 0x7f;
  k[31] |= 0x40;
}

int
sp_public_key_decode (SpPublicKey   *out,
                      const uint8_t *data,
                      size_t         len)
{
  if (out == NULL || (data == NULL && len > 0))
    return SP_ERR_INVALID_ARGUMENT;
  if (len < SP_PUBLIC_KEY_SIZE || data[0] != SP_KEY_TYPE_DJB)
    return SP_ERR_INVALID_KEY;

  memcpy (out->bytes, data, SP_PUBLIC_KEY_SIZE);
  return SP_OK;
}

int
sp_private_key_decode (SpPrivateKey  *out,
                       const uint8_t *data,
                       size_t         len)
{
  if (out == NULL || (data == NULL && len > 0))
    return SP_ERR_INVALID_ARGUMENT;
  if (len != SP_PRIVATE_KEY_SIZE)
    return SP_ERR_INVALID_KEY;

  memcpy (out->bytes, data, SP_PRIVATE_KEY_SIZE);
  clamp (out->bytes);
  return SP_OK;
}

/* Derives the public half of an already clamped private key.  X25519's
 * base point u = 9 is the image of Ed25519's, so k·9 is the Montgomery
 * form of the Edwards point k·B; libsodium computes that one with
 * precomputed tables (in constant time), twice as fast as its Montgomery
 * ladder on u = 9, and mapping the public result back costs one
 * inversion.  A clamped k is a nonzero multiple of 8 below 8L, so k·B is
 * never the identity, where the map back is undefined. */
static int
derive_public (SpPublicKey        *out,
               const SpPrivateKey *private_key)
{
  uint8_t edwards[32];

  out->bytes[0] = SP_KEY_TYPE_DJB;
  if (crypto_scalarmult_ed25519_base_noclamp (edwards, private_key->bytes) != 0
      || sp_curve25519_montgomery_u (out->bytes + 1, edwards) != SP_OK)
    return SP_ERR_CRYPTO;
  return SP_OK;
}

int
sp_key_pair_generate (SpKeyPair *out)
{
  SpKeyPair pair;
  int ret;

  if (out == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  randombytes_buf (pair.private_key.bytes, SP_PRIVATE_KEY_SIZE);
  clamp (pair.private_key.bytes);
  ret = derive_public (&pair.public_key, &pair.private_key);
  if (ret == SP_OK)
    *out = pair;

  sodium_memzero (&pair, sizeof pair);
  return ret;
}

int
sp_key_pair_from_private (SpKeyPair     *out,
                          const uint8_t *private_key,
                          size_t         len)
{
  SpKeyPair pair;
  int ret;

  if (out == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  ret = sp_private_key_decode (&pair.private_key, private_key, len);
  if (ret == SP_OK)
    ret = derive_public (&pair.public_key, &pair.private_key);
  if (ret == SP_OK)
    *out = pair;

  sodium_memzero (&pair, sizeof pair);
  return ret;
}

int
sp_key_pair_from_parts (SpKeyPair     *out,
                        const uint8_t *public_key,
                        size_t         public_len,
                        const uint8_t *private_key,
                        size_t         private_len)
{
  SpKeyPair pair;
  int ret;

  if (out == NULL || (public_key == NULL && public_len > 0))
    return SP_ERR_INVALID_ARGUMENT;
  if (public_len != SP_PUBLIC_KEY_SIZE)
    return SP_ERR_INVALID_KEY;

  ret = sp_key_pair_from_private (&pair, private_key, private_len);
  if (ret == SP_OK && sodium_memcmp (pair.public_key.bytes, public_key, SP_PUBLIC_KEY_SIZE) != 0)
    ret = SP_ERR_INVALID_KEY;
  if (ret == SP_OK)
    *out = pair;

  sodium_memzero (&pair, sizeof pair);
  return ret;
}

int
sp_dh (uint8_t             out[SP_DH_SIZE],
       const SpPrivateKey *private_key,
       const SpPublicKey  *public_key)
{
  uint8_t shared[SP_DH_SIZE];
  int ret = SP_OK;

  if (out == NULL || private_key == NULL || public_key == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  /* libsodium fails exactly when the result is all zero (a low-order
   * peer key), which is the one case libsignal rejects as well. */
  if (crypto_scalarmult (shared, private_key->bytes, public_key->bytes + 1) != 0)
    ret = SP_ERR_INVALID_KEY;
  else
    memcpy (out, shared, SP_DH_SIZE);

  sodium_memzero (shared, sizeof shared);
  return ret;
}

/* u >= 2^255 - 19 for a little-endian u with bit 255 clear: the top
 * 247 bits all ones and the low byte at least 0xed. */
static int
u_is_at_least_p (const uint8_t u[32])
{
  if (u[31] != 0x7f || u[0] < 0xed)
    return 0;
  for (size_t i = 1; i < 31; i++)
    if (u[i] != 0xff)
      return 0;
  return 1;
}

/* libsignal's rule is: u below p with bit 255 clear, and the Edwards
 * point with y = (u - 1)/(u + 1) and sign 0 torsion-free.  libsodium's
 * crypto_core_ed25519_is_valid_point() checks subgroup membership too,
 * but it also rejects small-order points, among them the identity, which
 * is torsion-free.  The difference never shows: y = 1 would need
 * u - 1 = u + 1, so no u maps to the identity, and every other
 * small-order point has a torsion component and fails both rules.  The
 * y we hand over is canonical, so libsodium's canonicity test agrees as
 * well.  u = -1, where the map is undefined, fails in libsignal too. */
int
sp_public_key_check_canonical (const SpPublicKey *key)
{
  const uint8_t *u;
  uint8_t y[32];

  if (key == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  u = key->bytes + 1;
  if (key->bytes[0] != SP_KEY_TYPE_DJB || (u[31] & 0x80) != 0 || u_is_at_least_p (u))
    return SP_ERR_INVALID_KEY;
  if (sp_curve25519_edwards_y (y, u) != SP_OK)
    return SP_ERR_INVALID_KEY;
  if (crypto_core_ed25519_is_valid_point (y) != 1)
    return SP_ERR_INVALID_KEY;

  return SP_OK;
}

int
sp_identity_key_pair_encode (const SpKeyPair *pair,
                             uint8_t         *out,
                             size_t           out_size,
                             size_t          *out_len)
{
  SpPbWriter writer;
  size_t len;
  int ret;

  if (pair == NULL || out == NULL || out_len == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  /* The size is fixed, so checking it first keeps a short buffer
   * untouched. */
  if (out_size < SP_IDENTITY_KEY_PAIR_ENCODED_SIZE)
    return SP_ERR_BUFFER_TOO_SMALL;

  sp_pb_writer_init (&writer, out, out_size);
  sp_pb_write_bytes (&writer, 1, pair->public_key.bytes, SP_PUBLIC_KEY_SIZE);
  sp_pb_write_bytes (&writer, 2, pair->private_key.bytes, SP_PRIVATE_KEY_SIZE);
  ret = sp_pb_writer_finish (&writer, &len);
  if (ret == SP_OK)
    *out_len = len;
  return ret;
}

/* Storage is ours alone, so the decoder is strict: both fields exactly
 * once, nothing else, and a public key that belongs to the private key. */
int
sp_identity_key_pair_decode (SpKeyPair     *out,
                             const uint8_t *data,
                             size_t         len)
{
  SpPbReader reader;
  SpPbField field;
  SpPbField public_field = { 0 }, private_field = { 0 };
  int ret;

  if (out == NULL || (data == NULL && len > 0))
    return SP_ERR_INVALID_ARGUMENT;

  sp_pb_reader_init (&reader, data, len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      SpPbField *slot;

      if (field.number == 1)
        slot = &public_field;
      else if (field.number == 2)
        slot = &private_field;
      else
        return SP_ERR_MALFORMED;
      if (field.wire_type != SP_PB_WIRE_BYTES || slot->number != 0)
        return SP_ERR_MALFORMED;
      *slot = field;
    }
  if (ret < 0 || public_field.number == 0 || private_field.number == 0)
    return SP_ERR_MALFORMED;

  if (sp_key_pair_from_parts (out, public_field.data, public_field.len,
                              private_field.data, private_field.len) != SP_OK)
    return SP_ERR_MALFORMED;
  return SP_OK;
}
