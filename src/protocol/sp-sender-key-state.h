/* sp-sender-key-state.h: the inside of a sender key record (internal)
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sp-keys.h"
#include "sp-sender-key.h"
#include "sp-storage.h"

/* One sender chain: the chain key for message @iteration (the next one
 * to send or receive), the seeds of earlier messages skipped over, and
 * the key that signs the chain's messages. */
typedef struct {
  uint32_t version;
  uint32_t chain_id;
  uint32_t iteration;
  uint8_t chain_key[SP_SENDER_CHAIN_KEY_SIZE];
  SpPublicKey signing_key;
  bool has_signing_private;                /* only for our own chains */
  SpPrivateKey signing_private;
  SpKeyList skipped;
} SpSenderKeyState;

/* States [0, n_states) are live, the newest first.  The key lists of
 * all SP_MAX_SENDER_KEY_STATES slots keep their memory for reuse. */
struct _SpSenderKeyRecord {
  SpSenderKeyState states[SP_MAX_SENDER_KEY_STATES];
  uint32_t n_states;
};

typedef struct {
  uint8_t iv[16];
  uint8_t cipher_key[32];
} SpSenderMessageKeys;

/* HKDF(salt none, @seed, "WhisperGroup", 48) = IV || cipher key: the
 * order differs from the 1:1 message keys. */
int sp_sender_key_message_keys (SpSenderMessageKeys *out,
                                const uint8_t        seed[32]);

/* Wipes every state, leaving an empty record. */
void sp_sender_key_record_clear (SpSenderKeyRecord *record);

/* The live state of @chain_id, or NULL. */
SpSenderKeyState *sp_sender_key_record_find (SpSenderKeyRecord *record,
                                             uint32_t           chain_id);

/* Adds a state as processing a distribution message does (see
 * sp_group_cipher_process_distribution()).  @private_key is NULL for a
 * chain of someone else. */
void sp_sender_key_record_add (SpSenderKeyRecord  *record,
                               uint32_t            version,
                               uint32_t            chain_id,
                               uint32_t            iteration,
                               const uint8_t       chain_key[SP_SENDER_CHAIN_KEY_SIZE],
                               const SpPublicKey  *signing_key,
                               const SpPrivateKey *private_key);
