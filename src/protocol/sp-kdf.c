/* sp-kdf.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sp-kdf.h"
#include "sp-error.h"

#include <sodium.h>
#include <string.h>

/* libsodium declares the HMAC key non-null even when it is empty; an
 * empty key is legitimate HMAC, so it gets a pointer to nothing. */
static const uint8_t empty_key[1];

int
sp_hmac_sha256 (uint8_t        out[SP_HMAC_SHA256_SIZE],
                const uint8_t *key,
                size_t         key_len,
                const uint8_t *message,
                size_t         message_len)
{
  crypto_auth_hmacsha256_state state;

  if (out == NULL || (key == NULL && key_len != 0) || (message == NULL && message_len != 0))
    return SP_ERR_INVALID_ARGUMENT;

  /* The init function hashes keys longer than a block and zero-pads
   * shorter ones, so any key length is HMAC as RFC 2104 defines it. */
  crypto_auth_hmacsha256_init (&state, key != NULL ? key : empty_key, key_len);
  crypto_auth_hmacsha256_update (&state, message, message_len);
  crypto_auth_hmacsha256_final (&state, out);
  sodium_memzero (&state, sizeof state);

  return SP_OK;
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
  crypto_auth_hmacsha256_state state;
  uint8_t prk[SP_HMAC_SHA256_SIZE];
  uint8_t block[SP_HMAC_SHA256_SIZE];
  size_t done = 0;

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
  crypto_auth_hmacsha256_init (&state, salt, salt_len);
  crypto_auth_hmacsha256_update (&state, ikm, ikm_len);
  crypto_auth_hmacsha256_final (&state, prk);

  /* Expand: T(i) = HMAC(PRK, T(i-1) || info || i), with T(0) empty.
   * The bound on out_len keeps the counter within one byte. */
  for (uint8_t counter = 1; done < out_len; counter++)
    {
      size_t n = out_len - done < sizeof block ? out_len - done : sizeof block;

      crypto_auth_hmacsha256_init (&state, prk, sizeof prk);
      if (counter > 1)
        crypto_auth_hmacsha256_update (&state, block, sizeof block);
      crypto_auth_hmacsha256_update (&state, info, info_len);
      crypto_auth_hmacsha256_update (&state, &counter, 1);
      crypto_auth_hmacsha256_final (&state, block);

      memcpy (out + done, block, n);
      done += n;
    }

  sodium_memzero (&state, sizeof state);
  sodium_memzero (prk, sizeof prk);
  sodium_memzero (block, sizeof block);

  return SP_OK;
}
