/* sp-prekeys.h: one-time, signed and Kyber prekeys and their records
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sp-keys.h"
#include "sp-kyber1024.h"
#include "sp-xeddsa.h"

/* All three hold private keys: keep them in sodium_malloc() memory. */
typedef struct {
  uint32_t id;
  uint64_t timestamp;     /* milliseconds since the epoch */
  SpKeyPair key_pair;
} SpPreKey;

typedef struct {
  uint32_t id;
  uint64_t timestamp;
  SpKeyPair key_pair;
  uint8_t signature[SP_SIGNATURE_SIZE];   /* over the 33-byte public key */
} SpSignedPreKey;

typedef struct {
  uint32_t id;
  uint64_t timestamp;
  uint8_t public_key[SP_KYBER_PUBLIC_KEY_SIZE];
  uint8_t secret_key[SP_KYBER_SECRET_KEY_SIZE];
  uint8_t signature[SP_SIGNATURE_SIZE];   /* over the 1569-byte public key */
} SpKyberPreKey;

int sp_pre_key_generate (SpPreKey *out,
                         uint32_t  id,
                         uint64_t  timestamp);

int sp_signed_pre_key_generate (SpSignedPreKey     *out,
                                const SpPrivateKey *identity,
                                uint32_t            id,
                                uint64_t            timestamp);

int sp_kyber_pre_key_generate (SpKyberPreKey      *out,
                               const SpPrivateKey *identity,
                               uint32_t            id,
                               uint64_t            timestamp);

/* Storage forms are libsignal's records, so a record made here can be
 * handed to libsignal as is:
 *   PreKeyRecordStructure       {1: id, 2: public, 3: private}
 *   SignedPreKeyRecordStructure {1: id, 2: public, 3: private, 4: signature, 5: timestamp (fixed64)}
 *   KyberPreKeyRecordStructure  {1: id, 2: public, 3: secret, 4: signature, 5: timestamp (fixed64)}
 * (PreKeyRecordStructure has no timestamp in libsignal; ours is kept in
 * field 15, which libsignal ignores.) */
#define SP_PRE_KEY_RECORD_MAX 96
#define SP_SIGNED_PRE_KEY_RECORD_MAX 160
#define SP_KYBER_PRE_KEY_RECORD_MAX 4900

int sp_pre_key_encode (const SpPreKey *key, uint8_t *out, size_t out_size, size_t *out_len);
int sp_pre_key_decode (SpPreKey *out, const uint8_t *data, size_t len);
int sp_signed_pre_key_encode (const SpSignedPreKey *key, uint8_t *out, size_t out_size, size_t *out_len);
int sp_signed_pre_key_decode (SpSignedPreKey *out, const uint8_t *data, size_t len);
int sp_kyber_pre_key_encode (const SpKyberPreKey *key, uint8_t *out, size_t out_size, size_t *out_len);
int sp_kyber_pre_key_decode (SpKyberPreKey *out, const uint8_t *data, size_t len);
