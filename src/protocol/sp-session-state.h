/* sp-session-state.h: the inside of a session record (internal)
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp-keys.h"
#include "sp-kyber1024.h"
#include "sp-session.h"
#include "sp-storage.h"

#define SP_CHAIN_KEY_SIZE 32
#define SP_ROOT_KEY_SIZE 32

/* One current state and the archived ones. */
#define SP_SESSION_RECORD_MAX_STATES (1 + SP_MAX_ARCHIVED_STATES)

typedef struct {
  SpPublicKey ratchet_key;
  uint32_t index;                          /* of the next message key */
  uint8_t chain_key[SP_CHAIN_KEY_SIZE];
  SpKeyList skipped;                       /* message-key seeds */
} SpReceiverChain;

/* The epoch-0 chain of SPQR, the only one the stalled-braid profile ever
 * uses (spec 6.5, 7).  Sending and receiving follow the SPQR crate's
 * ChainEpochDirection: a counter, the next seed, and for receiving a
 * history of keys skipped over. */
typedef struct {
  bool a2b;                                /* we are the initiator */
  uint8_t next_root[32];                   /* kept for later epochs */
  uint32_t send_counter;
  uint8_t send_seed[32];
  uint32_t recv_counter;
  uint8_t recv_seed[32];
  SpKeyList recv_history;
} SpSpqrChain;

/* What an unacknowledged initiator repeats in every PreKeySignalMessage. */
typedef struct {
  bool has_pre_key_id;
  uint32_t pre_key_id;
  uint32_t signed_pre_key_id;
  uint32_t kyber_pre_key_id;
  uint8_t kyber_ciphertext[SP_KYBER_CIPHERTEXT_SIZE];
  uint64_t timestamp_ms;
} SpPendingPreKey;

typedef struct {
  uint32_t version;
  SpPublicKey local_identity;
  SpPublicKey remote_identity;
  uint32_t local_registration_id;
  uint32_t remote_registration_id;
  SpPublicKey base_key;                    /* the initiator's, in both roles */
  uint8_t root_key[SP_ROOT_KEY_SIZE];

  SpKeyPair sender_ratchet;
  uint8_t sender_chain_key[SP_CHAIN_KEY_SIZE];
  uint32_t sender_index;
  uint32_t previous_counter;

  bool pending;
  SpPendingPreKey pending_pre_key;

  /* Oldest first; a sixth chain pushes out the oldest. */
  SpReceiverChain receivers[SP_MAX_RECEIVER_CHAINS];
  uint32_t n_receivers;

  SpSpqrChain spqr;
} SpSessionState;

/* Slots [0, n_states) hold the live states, 0 being the current one and
 * the rest archived, newest first.  Slots [n_states, n_allocated) hold
 * spare states kept for reuse; all allocated slots are non-NULL. */
struct _SpSessionRecord {
  SpSessionState *states[SP_SESSION_RECORD_MAX_STATES];
  uint32_t n_states;
  uint32_t n_allocated;
};

/* States, always in sodium_malloc() memory. */
int sp_session_state_new (SpSessionState **out);
void sp_session_state_free (SpSessionState *state);
/* Wipes everything, keeping the list memory for reuse. */
void sp_session_state_reset (SpSessionState *state);
/* Copies @src into @dst; on failure (no memory) @dst is unchanged. */
int sp_session_state_copy (SpSessionState       *dst,
                           const SpSessionState *src);

/* Wipes every state, leaving an empty record. */
void sp_session_record_clear (SpSessionRecord *record);

/* Puts *@state in front as the current state, archiving the previous one
 * and wiping the oldest archived state when there are too many.  Hands
 * back a spare state in *@state, or NULL. */
void sp_session_record_promote (SpSessionRecord  *record,
                                SpSessionState  **state);

/* Replaces live state @index by *@state and makes it the current one;
 * the replaced state comes back in *@state. */
void sp_session_record_replace_and_promote (SpSessionRecord  *record,
                                            uint32_t          index,
                                            SpSessionState  **state);
