/* sp-spqr.h: the SPQR framing of the stalled-braid profile (internal)
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp-session-state.h"

#define SP_SPQR_KEY_SIZE 32
/* Version, epoch 1, a varint index of at most five bytes, type None. */
#define SP_SPQR_MESSAGE_MAX_SIZE 8

/* Seeds the epoch-0 chain from the 32-byte SPQR authentication key that
 * PQXDH derives (its OKM[64..96]).  The initiator sends on A2B. */
int sp_spqr_chain_init (SpSpqrChain   *chain,
                        const uint8_t  auth_key[32],
                        bool           a2b);

/* Takes the next sending key and writes the V1 `None` message that
 * announces its index (epoch 1). */
int sp_spqr_send (SpSpqrChain *chain,
                  uint8_t      key[SP_SPQR_KEY_SIZE],
                  uint8_t      message[SP_SPQR_MESSAGE_MAX_SIZE],
                  size_t      *message_len);

/* Reads the index from a received SPQR message and derives its key,
 * keeping skipped keys as the SPQR crate does.  Index 0 means "no key":
 * *has_key is false and the chain is untouched.  Anything other than a
 * well-formed V1 message in epoch 1 is SP_ERR_INVALID_MESSAGE, as is a
 * key already used, trimmed, or more than SP_MAX_FORWARD_JUMPS ahead
 * (unless @unlimited, for a session with ourselves). */
int sp_spqr_receive (SpSpqrChain   *chain,
                     const uint8_t *message,
                     size_t         message_len,
                     bool           unlimited,
                     uint8_t        key[SP_SPQR_KEY_SIZE],
                     bool          *has_key);
