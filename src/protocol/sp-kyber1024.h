/* sp-kyber1024.h: CRYSTALS-Kyber1024, NIST round 3 (libsignal key type 0x08)
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stddef.h>
#include <stdint.h>

#define SP_KEY_TYPE_KYBER1024 0x08

/* Raw sizes, as in the round-3 submission and its known-answer file. */
#define SP_KYBER1024_PUBLIC_KEY_BYTES 1568
#define SP_KYBER1024_SECRET_KEY_BYTES 3168
#define SP_KYBER1024_CIPHERTEXT_BYTES 1568
#define SP_KYBER1024_SHARED_SECRET_BYTES 32
#define SP_KYBER1024_SEED_BYTES 64     /* d || z */
#define SP_KYBER1024_ENCAPS_RANDOM_BYTES 32

/* Serialised sizes: the type byte 0x08 followed by the raw bytes. */
#define SP_KYBER_PUBLIC_KEY_SIZE (1 + SP_KYBER1024_PUBLIC_KEY_BYTES)
#define SP_KYBER_SECRET_KEY_SIZE (1 + SP_KYBER1024_SECRET_KEY_BYTES)
#define SP_KYBER_CIPHERTEXT_SIZE (1 + SP_KYBER1024_CIPHERTEXT_BYTES)

/* All functions below take and produce the serialised forms (with the
 * type byte).  Secret keys belong in sodium_malloc() memory. */

/* @seed is d || z, the two 32-byte draws of round-3 key generation. */
int sp_kyber1024_keypair_from_seed (uint8_t        public_key[SP_KYBER_PUBLIC_KEY_SIZE],
                                    uint8_t        secret_key[SP_KYBER_SECRET_KEY_SIZE],
                                    const uint8_t  seed[SP_KYBER1024_SEED_BYTES]);

int sp_kyber1024_keypair (uint8_t public_key[SP_KYBER_PUBLIC_KEY_SIZE],
                          uint8_t secret_key[SP_KYBER_SECRET_KEY_SIZE]);

/* @random: the 32-byte m before hashing, or NULL to draw it from the RNG.
 * A public key of the wrong length or type is SP_ERR_INVALID_KEY. */
int sp_kyber1024_encapsulate (uint8_t        ciphertext[SP_KYBER_CIPHERTEXT_SIZE],
                              uint8_t        shared_secret[SP_KYBER1024_SHARED_SECRET_BYTES],
                              const uint8_t *public_key,
                              size_t         public_key_len,
                              const uint8_t *random);

/* Implicit rejection: a well-formed but wrong ciphertext yields a
 * pseudo-random secret, not an error.  A ciphertext or key of the wrong
 * length or type is SP_ERR_INVALID_KEY / SP_ERR_MALFORMED. */
int sp_kyber1024_decapsulate (uint8_t        shared_secret[SP_KYBER1024_SHARED_SECRET_BYTES],
                              const uint8_t *secret_key,
                              size_t         secret_key_len,
                              const uint8_t *ciphertext,
                              size_t         ciphertext_len);
