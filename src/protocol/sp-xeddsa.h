/* sp-xeddsa.h: XEdDSA signatures with X25519 keys, as libsignal makes them
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp-keys.h"

#define SP_SIGNATURE_SIZE 64
#define SP_XEDDSA_RANDOM_SIZE 64

/* @random: 64 bytes of nonce randomness, or NULL to draw them from the
 * system RNG.  Tests inject fixed bytes to reproduce known answers. */
int sp_xeddsa_sign (uint8_t             signature[SP_SIGNATURE_SIZE],
                    const SpPrivateKey *private_key,
                    const uint8_t      *message,
                    size_t              message_len,
                    const uint8_t      *random);

/* SP_OK for a valid signature, SP_ERR_INVALID_SIGNATURE otherwise
 * (including a signature that is not 64 bytes long).  Accepts exactly
 * what libsignal accepts, which is more than a stock Ed25519 verifier
 * does: s >= L (below 2^253) and keys of small order or with a torsion
 * component. */
int sp_xeddsa_verify (const SpPublicKey *public_key,
                      const uint8_t     *message,
                      size_t             message_len,
                      const uint8_t     *signature,
                      size_t             signature_len);

/* A public key prepared for checking several signatures, such as the two
 * of a prekey bundle: its conversion to Edwards form is done once. */
typedef struct {
  SpPublicKey public_key;
  bool has_edwards_y;          /* false when no signature can be valid */
  uint8_t edwards_y[32];
} SpXeddsaVerifier;

int sp_xeddsa_verifier_init (SpXeddsaVerifier  *verifier,
                             const SpPublicKey *public_key);

/* sp_xeddsa_verify() with a prepared key. */
int sp_xeddsa_verifier_verify (const SpXeddsaVerifier *verifier,
                               const uint8_t          *message,
                               size_t                  message_len,
                               const uint8_t          *signature,
                               size_t                  signature_len);

/* Whether @signature's s is below L, as a stock Ed25519 signer makes it
 * and sp_xeddsa_sign() always does.  sp_xeddsa_verify() accepts s + L
 * too, as libsignal does, so anyone can turn a valid signature into a
 * second one; a format that names signed data by a hash over the
 * signature refuses the others, so that only the signer can give the
 * same data another name. */
bool sp_xeddsa_signature_is_canonical (const uint8_t signature[SP_SIGNATURE_SIZE]);
