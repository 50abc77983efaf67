/* fuzz-xeddsa-verify.c: XEdDSA verification on arbitrary keys and signatures
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: a 33-byte public key, up to 64 bytes of signature, the message.
 * Besides surviving any input, verification must be deterministic, and a
 * signature made with the input's bytes as private key over the same
 * message must verify under that key and fail for a changed message.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-keys.h"
#include "sp-xeddsa.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_sign_verify (const uint8_t *private_bytes,
                   const uint8_t *message,
                   size_t         message_len)
{
  static const uint8_t random[SP_XEDDSA_RANDOM_SIZE] = { 0 };
  uint8_t signature[SP_SIGNATURE_SIZE];
  SpKeyPair pair;

  if (sp_key_pair_from_private (&pair, private_bytes, SP_PRIVATE_KEY_SIZE) != SP_OK
      || sp_xeddsa_sign (signature, &pair.private_key, message, message_len, random) != SP_OK
      || sp_xeddsa_verify (&pair.public_key, message, message_len, signature, sizeof signature) != SP_OK)
    abort ();

  /* Dropping the last byte changes the message. */
  if (message_len > 0
      && sp_xeddsa_verify (&pair.public_key, message, message_len - 1, signature, sizeof signature) == SP_OK)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const uint8_t *signature, *message;
  size_t signature_len, message_len;
  SpPublicKey key;
  int first;

  if (sp_init () != SP_OK || size < SP_PUBLIC_KEY_SIZE)
    return 0;

  signature = data + SP_PUBLIC_KEY_SIZE;
  signature_len = size - SP_PUBLIC_KEY_SIZE;
  if (signature_len > SP_SIGNATURE_SIZE)
    signature_len = SP_SIGNATURE_SIZE;
  message = signature + signature_len;
  message_len = size - SP_PUBLIC_KEY_SIZE - signature_len;

  if (sp_public_key_decode (&key, data, SP_PUBLIC_KEY_SIZE) == SP_OK)
    {
      first = sp_xeddsa_verify (&key, message, message_len, signature, signature_len);
      if (first != SP_OK && first != SP_ERR_INVALID_SIGNATURE)
        abort ();
      if (sp_xeddsa_verify (&key, message, message_len, signature, signature_len) != first)
        abort ();
    }

  check_sign_verify (data + 1, message, message_len);
  return 0;
}
