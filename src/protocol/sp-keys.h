/* sp-keys.h: X25519 key pairs as libsignal serialises them
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stddef.h>
#include <stdint.h>

#define SP_KEY_TYPE_DJB          0x05
#define SP_PUBLIC_KEY_SIZE       33   /* 0x05 || u-coordinate */
#define SP_PRIVATE_KEY_SIZE      32
#define SP_DH_SIZE               32

typedef struct {
  uint8_t bytes[SP_PUBLIC_KEY_SIZE];
} SpPublicKey;

/* Always stored clamped.  Callers keep it in sodium_malloc() memory. */
typedef struct {
  uint8_t bytes[SP_PRIVATE_KEY_SIZE];
} SpPrivateKey;

typedef struct {
  SpPublicKey public_key;
  SpPrivateKey private_key;
} SpKeyPair;

/* Accepts 0x05 followed by at least 32 bytes; trailing bytes are ignored
 * as libsignal does. */
int sp_public_key_decode (SpPublicKey   *out,
                          const uint8_t *data,
                          size_t         len);

/* Exactly 32 bytes; the result is clamped. */
int sp_private_key_decode (SpPrivateKey  *out,
                           const uint8_t *data,
                           size_t         len);

int sp_key_pair_generate (SpKeyPair *out);

int sp_key_pair_from_private (SpKeyPair     *out,
                              const uint8_t *private_key,
                              size_t         len);

/* A key pair from its two serialised halves, for decoders of stored
 * records: the public key must be exactly 33 bytes and the one the
 * (clamped) private key derives; SP_ERR_INVALID_KEY otherwise. */
int sp_key_pair_from_parts (SpKeyPair     *out,
                            const uint8_t *public_key,
                            size_t         public_len,
                            const uint8_t *private_key,
                            size_t         private_len);

/* Raw X25519; an all-zero shared secret is SP_ERR_INVALID_KEY. */
int sp_dh (uint8_t             out[SP_DH_SIZE],
           const SpPrivateKey *private_key,
           const SpPublicKey  *public_key);

/* SP_OK when u < 2^255 - 19 with bit 255 clear and the point lies in the
 * prime-order subgroup; SP_ERR_INVALID_KEY otherwise.  Applied to the
 * PQXDH base key on the responder side. */
int sp_public_key_check_canonical (const SpPublicKey *key);

/* IdentityKeyPair storage form: protobuf {1: public (33), 2: private (32)}. */
#define SP_IDENTITY_KEY_PAIR_ENCODED_SIZE 69

int sp_identity_key_pair_encode (const SpKeyPair *pair,
                                 uint8_t         *out,
                                 size_t           out_size,
                                 size_t          *out_len);

int sp_identity_key_pair_decode (SpKeyPair     *out,
                                 const uint8_t *data,
                                 size_t         len);
