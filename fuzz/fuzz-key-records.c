/* fuzz-key-records.c: the identity key pair and the three prekey records
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every input goes to all four decoders.  Whatever one of them accepts
 * must encode again within the record's size limit and decode back to
 * the same key.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-keys.h"
#include "sp-prekeys.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static uint8_t buffer[SP_KYBER_PRE_KEY_RECORD_MAX];

static void
check_identity (const uint8_t *data,
                size_t         size)
{
  SpKeyPair first, second;
  size_t len;

  if (sp_identity_key_pair_decode (&first, data, size) != SP_OK)
    return;
  if (sp_identity_key_pair_encode (&first, buffer, SP_IDENTITY_KEY_PAIR_ENCODED_SIZE, &len) != SP_OK
      || sp_identity_key_pair_decode (&second, buffer, len) != SP_OK
      || memcmp (&first, &second, sizeof first) != 0)
    abort ();
}

static void
check_pre_key (const uint8_t *data,
               size_t         size)
{
  SpPreKey first, second;
  size_t len;

  if (sp_pre_key_decode (&first, data, size) != SP_OK)
    return;
  if (sp_pre_key_encode (&first, buffer, SP_PRE_KEY_RECORD_MAX, &len) != SP_OK
      || sp_pre_key_decode (&second, buffer, len) != SP_OK
      || first.id != second.id || first.timestamp != second.timestamp
      || memcmp (&first.key_pair, &second.key_pair, sizeof first.key_pair) != 0)
    abort ();
}

static void
check_signed_pre_key (const uint8_t *data,
                      size_t         size)
{
  SpSignedPreKey first, second;
  size_t len;

  if (sp_signed_pre_key_decode (&first, data, size) != SP_OK)
    return;
  if (sp_signed_pre_key_encode (&first, buffer, SP_SIGNED_PRE_KEY_RECORD_MAX, &len) != SP_OK
      || sp_signed_pre_key_decode (&second, buffer, len) != SP_OK
      || first.id != second.id || first.timestamp != second.timestamp
      || memcmp (&first.key_pair, &second.key_pair, sizeof first.key_pair) != 0
      || memcmp (first.signature, second.signature, SP_SIGNATURE_SIZE) != 0)
    abort ();
}

static void
check_kyber_pre_key (const uint8_t *data,
                     size_t         size)
{
  SpKyberPreKey *first = malloc (sizeof *first);
  SpKyberPreKey *second = malloc (sizeof *second);
  size_t len;

  if (first == NULL || second == NULL)
    abort ();
  if (sp_kyber_pre_key_decode (first, data, size) == SP_OK
      && (sp_kyber_pre_key_encode (first, buffer, SP_KYBER_PRE_KEY_RECORD_MAX, &len) != SP_OK
          || sp_kyber_pre_key_decode (second, buffer, len) != SP_OK
          || first->id != second->id || first->timestamp != second->timestamp
          || memcmp (first->public_key, second->public_key, SP_KYBER_PUBLIC_KEY_SIZE) != 0
          || memcmp (first->secret_key, second->secret_key, SP_KYBER_SECRET_KEY_SIZE) != 0
          || memcmp (first->signature, second->signature, SP_SIGNATURE_SIZE) != 0))
    abort ();
  free (first);
  free (second);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (sp_init () != SP_OK)
    return 0;

  check_identity (data, size);
  check_pre_key (data, size);
  check_signed_pre_key (data, size);
  check_kyber_pre_key (data, size);
  return 0;
}
