/* sp-kdf.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sp-kdf.h"
#include "sp-error.h"

#include <gcrypt.h>
#include <sodium.h>
#include <string.h>

#define SHA256_BLOCK_SIZE 64

/* HMAC (RFC 2104) over libgcrypt's SHA-256, which uses the CPU's SHA
 * extensions where it has them: on the ratchet's short inputs that is
 * several times faster than libsodium's portable SHA-256, and the
 * ratchet computes about ten HMACs per message.  Each HMAC is two one-shot
 * hashes over a list of buffers, so no hash state outlives the call; the
 * padded key block and the inner digest are wiped here. */
int
sp_hmac_sha256_parts (uint8_t           out[SP_HMAC_SHA256_SIZE],
                      const uint8_t    *key,
                      size_t            key_len,
                      const SpHmacPart *parts,
                      size_t            n_parts)
{
  uint8_t block[SHA256_BLOCK_SIZE];
  uint8_t inner[SP_HMAC_SHA256_SIZE];
  gcry_buffer_t iov[1 + SP_HMAC_MAX_PARTS];
  gpg_error_t err;

  if (out == NULL || (key == NULL && key_len != 0) || (parts == NULL && n_parts != 0)
      || n_parts > SP_HMAC_MAX_PARTS)
    return SP_ERR_INVALID_ARGUMENT;
  for (size_t i = 0; i < n_parts; i++)
    if (parts[i].data == NULL && parts[i].len != 0)
      return SP_ERR_INVALID_ARGUMENT;

  /* Keys longer than a block are hashed first, shorter ones zero-padded. */
  memset (block, 0, sizeof block);
  if (key_len > SHA256_BLOCK_SIZE)
    gcry_md_hash_buffer (GCRY_MD_SHA256, block, key, key_len);
  else if (key_len > 0)
    memcpy (block, key, key_len);

  for (size_t i = 0; i < sizeof block; i++)
    block[i] ^= 0x36;
  memset (iov, 0, sizeof iov);
  iov[0].data = block;
  iov[0].len = sizeof block;
  for (size_t i = 0; i < n_parts; i++)
    {
      /* libgcrypt never writes through these pointers. */
      iov[1 + i].data = (void *) parts[i].data;
      iov[1 + i].len = parts[i].len;
    }
  err = gcry_md_hash_buffers (GCRY_MD_SHA256, 0, inner, iov, (int) (1 + n_parts));

  if (err == 0)
    {
      for (size_t i = 0; i < sizeof block; i++)
        block[i] ^= 0x36 ^ 0x5c;
      iov[1].data = inner;
      iov[1].off = 0;
      iov[1].len = sizeof inner;
      err = gcry_md_hash_buffers (GCRY_MD_SHA256, 0, out, iov, 2);
    }

  sodium_memzero (block, sizeof block);
  sodium_memzero (inner, sizeof inner);
  return err == 0 ? SP_OK : SP_ERR_CRYPTO;
}

int
sp_hmac_sha256 (uint8_t        out[SP_HMAC_SHA256_SIZE],
                const uint8_t *key,
                size_t         key_len,
                const uint8_t *message,
                size_t         message_len)
{
  SpHmacPart part = { message, message_len };

  return sp_hmac_sha256_parts (out, key, key_len, &part, 1);
}

int
sp_hkdf_sha256 (uint8_t       *out,
                size_t         out_len,
                const uint8_t *salt,
                size_t         salt_len,
                const uint8_t *ikm,
                size_t         ikm_len,
                const uint8_t *info,
                size_t         info_len)
{
  static const uint8_t zero_salt[SP_HMAC_SHA256_SIZE] = { 0 };
  uint8_t prk[SP_HMAC_SHA256_SIZE];
  uint8_t block[SP_HMAC_SHA256_SIZE];
  SpHmacPart parts[SP_HMAC_MAX_PARTS];
  size_t done = 0;
  int ret;

  if (out == NULL || out_len == 0 || out_len > SP_HKDF_MAX_OUTPUT
      || (salt == NULL && salt_len != 0)
      || (ikm == NULL && ikm_len != 0)
      || (info == NULL && info_len != 0))
    return SP_ERR_INVALID_ARGUMENT;

  if (salt == NULL || salt_len == 0)
    {
      salt = zero_salt;
      salt_len = sizeof zero_salt;
    }

  /* Extract: PRK = HMAC(salt, IKM). */
  parts[0] = (SpHmacPart) { ikm, ikm_len };
  ret = sp_hmac_sha256_parts (prk, salt, salt_len, parts, 1);

  /* Expand: T(i) = HMAC(PRK, T(i-1) || info || i), with T(0) empty.
   * The bound on out_len keeps the counter within one byte. */
  for (uint8_t counter = 1; ret == SP_OK && done < out_len; counter++)
    {
      size_t n = out_len - done < sizeof block ? out_len - done : sizeof block;

      parts[0] = (SpHmacPart) { block, counter > 1 ? sizeof block : 0 };
      parts[1] = (SpHmacPart) { info, info_len };
      parts[2] = (SpHmacPart) { &counter, 1 };
      ret = sp_hmac_sha256_parts (block, prk, sizeof prk, parts, 3);
      if (ret == SP_OK)
        memcpy (out + done, block, n);
      done += n;
    }

  sodium_memzero (prk, sizeof prk);
  sodium_memzero (block, sizeof block);
  if (ret != SP_OK)
    sodium_memzero (out, out_len);

  return ret;
}
