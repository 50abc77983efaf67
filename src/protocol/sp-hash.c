/* sp-hash.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sp-hash.h"
#include "sp-error.h"

#include <gcrypt.h>
#include <string.h>

/* The inputs are often secret (Kyber hashes its message and keys), so
 * this goes through a handle: gcry_md_close() wipes the sponge state,
 * whereas the one-shot gcry_md_hash_buffer() may leave it on the stack. */
static int
sha3 (int            algo,
      uint8_t       *out,
      size_t         out_len,
      const uint8_t *in,
      size_t         len)
{
  gcry_md_hd_t md;
  const unsigned char *digest;

  if (out == NULL || (in == NULL && len != 0))
    return SP_ERR_INVALID_ARGUMENT;
  if (gcry_md_open (&md, algo, 0) != 0)
    return SP_ERR_CRYPTO;

  if (len != 0)
    gcry_md_write (md, in, len);
  digest = gcry_md_read (md, algo);
  if (digest == NULL)
    {
      gcry_md_close (md);
      return SP_ERR_CRYPTO;
    }
  memcpy (out, digest, out_len);
  gcry_md_close (md);

  return SP_OK;
}

int
sp_sha3_256 (uint8_t        out[32],
             const uint8_t *in,
             size_t         len)
{
  return sha3 (GCRY_MD_SHA3_256, out, 32, in, len);
}

int
sp_sha3_512 (uint8_t        out[64],
             const uint8_t *in,
             size_t         len)
{
  return sha3 (GCRY_MD_SHA3_512, out, 64, in, len);
}

int
sp_shake256 (uint8_t       *out,
             size_t         out_len,
             const uint8_t *in,
             size_t         len)
{
  SpShake shake;
  int ret;

  if ((out == NULL && out_len != 0) || (in == NULL && len != 0))
    return SP_ERR_INVALID_ARGUMENT;

  ret = sp_shake_init (&shake, SP_SHAKE_256);
  if (ret == SP_OK)
    ret = sp_shake_absorb (&shake, in, len);
  if (ret == SP_OK)
    ret = sp_shake_squeeze (&shake, out, out_len);
  sp_shake_clear (&shake);

  return ret;
}

int
sp_shake_init (SpShake        *shake,
               SpShakeVariant  variant)
{
  gcry_md_hd_t md;
  int algo;

  if (shake == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  shake->md = NULL;
  shake->algo = 0;
  shake->squeezing = 0;

  switch (variant)
    {
    case SP_SHAKE_128:
      algo = GCRY_MD_SHAKE128;
      break;
    case SP_SHAKE_256:
      algo = GCRY_MD_SHAKE256;
      break;
    default:
      return SP_ERR_INVALID_ARGUMENT;
    }

  if (gcry_md_open (&md, algo, 0) != 0)
    return SP_ERR_CRYPTO;

  shake->md = md;
  shake->algo = algo;
  return SP_OK;
}

int
sp_shake_absorb (SpShake       *shake,
                 const uint8_t *in,
                 size_t         len)
{
  if (shake == NULL || shake->md == NULL || (in == NULL && len != 0))
    return SP_ERR_INVALID_ARGUMENT;
  /* libgcrypt finalises the sponge on the first extraction; input written
   * after that would be silently lost. */
  if (shake->squeezing)
    return SP_ERR_INVALID_ARGUMENT;

  if (len != 0)
    gcry_md_write (shake->md, in, len);
  return SP_OK;
}

int
sp_shake_squeeze (SpShake *shake,
                  uint8_t *out,
                  size_t   len)
{
  if (shake == NULL || shake->md == NULL || (out == NULL && len != 0))
    return SP_ERR_INVALID_ARGUMENT;

  shake->squeezing = 1;
  if (len == 0)
    return SP_OK;
  if (gcry_md_extract (shake->md, shake->algo, out, len) != 0)
    return SP_ERR_CRYPTO;
  return SP_OK;
}

void
sp_shake_reset (SpShake *shake)
{
  if (shake == NULL || shake->md == NULL)
    return;

  gcry_md_reset (shake->md);
  shake->squeezing = 0;
}

void
sp_shake_clear (SpShake *shake)
{
  if (shake == NULL)
    return;

  if (shake->md != NULL)
    gcry_md_close (shake->md);
  shake->md = NULL;
  shake->algo = 0;
  shake->squeezing = 0;
}
