/* sp-ratchet.h: the Double Ratchet on one session state (internal)
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp-keys.h"
#include "sp-message.h"
#include "sp-pqxdh.h"
#include "sp-session-state.h"

typedef struct {
  uint8_t cipher_key[32];
  uint8_t mac_key[32];
  uint8_t iv[16];
} SpMessageKeys;

/* Symmetric step: seed = HMAC(ck, 0x01), next = HMAC(ck, 0x02). */
int sp_ratchet_chain_step (uint8_t       seed[32],
                           uint8_t       next_chain_key[32],
                           const uint8_t chain_key[32]);

/* The message-key seed for @counter on a receiving chain whose next
 * index is *@index_io and chain key @chain_key_io: a kept skipped seed
 * (taken out of @skipped) for an earlier counter, else the chain advanced
 * past @counter, keeping the newest SP_MAX_MESSAGE_KEYS seeds it passes
 * over.  SP_ERR_DUPLICATE_MESSAGE for an earlier counter without a seed,
 * SP_ERR_TOO_FAR_AHEAD for a jump over SP_MAX_FORWARD_JUMPS (unless
 * @unlimited), SP_ERR_INVALID_MESSAGE for UINT32_MAX, whose chain key has
 * no successor.  Sender-key chains step exactly like the Double Ratchet's,
 * so both use this.  The chain may have changed even on failure: work on
 * a copy. */
int sp_ratchet_chain_seed (uint8_t    chain_key_io[32],
                           uint32_t  *index_io,
                           SpKeyList *skipped,
                           uint32_t   counter,
                           bool       unlimited,
                           uint8_t    seed[32]);

/* HKDF(salt = @spqr_key or none, seed, "WhisperMessageKeys", 80). */
int sp_ratchet_message_keys (SpMessageKeys *out,
                             const uint8_t  seed[32],
                             const uint8_t *spqr_key);

/* KDF_RK: HKDF(salt = root, DH(ours, theirs), "WhisperRatchet", 64). */
int sp_ratchet_root_step (uint8_t             new_root_key[32],
                          uint8_t             chain_key[32],
                          const uint8_t       root_key[32],
                          const SpPrivateKey *ours,
                          const SpPublicKey  *theirs);

/* Fills the ratchet part of a new initiator state: Bob's signed prekey
 * stands as his first ratchet key with PQXDH's chain key, and the first
 * sending chain comes from @sending_ratchet.  Identities, registration
 * ids, base key and the pending message are the caller's. */
int sp_ratchet_init_initiator (SpSessionState     *state,
                               const SpPqxdhKeys  *keys,
                               const SpPublicKey  *their_signed_pre_key,
                               const SpKeyPair    *sending_ratchet);

/* The responder sends on its signed prekey with PQXDH's chain key until
 * the initiator's first ratchet key arrives. */
int sp_ratchet_init_responder (SpSessionState    *state,
                               const SpPqxdhKeys *keys,
                               const SpKeyPair   *signed_pre_key);

/* Encrypts @plaintext into a SignalMessage in @out and advances the
 * sending chain.  @scratch holds the AES output and needs
 * (plaintext_len / 16 + 1) * 16 bytes; @addresses is NULL or
 * SP_MESSAGE_ADDRESSES_SIZE bytes for field 6. */
int sp_ratchet_encrypt (SpSessionState *state,
                        const uint8_t  *plaintext,
                        size_t          plaintext_len,
                        const uint8_t  *addresses,
                        uint8_t        *scratch,
                        size_t          scratch_size,
                        uint8_t        *out,
                        size_t          out_size,
                        size_t         *out_len);

/* Decrypts @message (decoded from @data) with @state.  The state is
 * changed even when this fails, so work on a copy.  @expected_addresses
 * is what field 6 must hold if present (NULL: it must be absent);
 * @next_ratchet, when not NULL, is used instead of a fresh key pair for a
 * DH ratchet step.  @plaintext needs message->ciphertext_len bytes. */
int sp_ratchet_decrypt (SpSessionState        *state,
                        const SpSignalMessage *message,
                        const uint8_t         *data,
                        const uint8_t         *expected_addresses,
                        const SpKeyPair       *next_ratchet,
                        uint8_t               *plaintext,
                        size_t                 plaintext_size,
                        size_t                *plaintext_len);
