/* sp-init.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sp-init.h"
#include "sp-error.h"

#include <gcrypt.h>
#include <sodium.h>

#define SP_GCRYPT_MIN_VERSION "1.10.0"

int
sp_init (void)
{
  if (sodium_init () < 0)
    return SP_ERR_CRYPTO;

  /* The core only uses libgcrypt's ciphers and hashes; secure memory
   * comes from libsodium, so libgcrypt's own pool is left disabled. */
  if (!gcry_control (GCRYCTL_INITIALIZATION_FINISHED_P))
    {
      if (gcry_check_version (SP_GCRYPT_MIN_VERSION) == NULL)
        return SP_ERR_CRYPTO;
      gcry_control (GCRYCTL_DISABLE_SECMEM, 0);
      gcry_control (GCRYCTL_INITIALIZATION_FINISHED, 0);
    }

  return SP_OK;
}
