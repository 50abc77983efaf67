/* sp-pqxdh.h: the PQXDH key agreement (internal)
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sp-keys.h"
#include "sp-kyber1024.h"
#include "sp-session.h"

/* The 96 bytes of HKDF output: the first root key, the chain key that
 * goes with the signed prekey as the first ratchet key, and the key that
 * seeds SPQR.  Keep in wiped memory. */
typedef struct {
  uint8_t root_key[32];
  uint8_t chain_key[32];
  uint8_t spqr_auth_key[32];
} SpPqxdhKeys;

/* Initiator side.  Signatures and trust are checked by the caller.
 * @kyber_random: the 32-byte encapsulation randomness, or NULL for the
 * RNG. */
int sp_pqxdh_initiate (SpPqxdhKeys          *out,
                       uint8_t               kyber_ciphertext[SP_KYBER_CIPHERTEXT_SIZE],
                       const SpKeyPair      *identity,
                       const SpKeyPair      *base_key,
                       const SpPreKeyBundle *bundle,
                       const uint8_t        *kyber_random);

/* Responder side, with the DHs mirrored.  @one_time_pre_key may be NULL. */
int sp_pqxdh_respond (SpPqxdhKeys       *out,
                      const SpKeyPair   *identity,
                      const SpKeyPair   *signed_pre_key,
                      const SpKeyPair   *one_time_pre_key,
                      const uint8_t     *kyber_secret_key,
                      size_t             kyber_secret_key_len,
                      const SpPublicKey *their_identity,
                      const SpPublicKey *their_base_key,
                      const uint8_t     *kyber_ciphertext,
                      size_t             kyber_ciphertext_len);
