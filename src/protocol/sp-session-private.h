/* sp-session-private.h: fixed inputs for known-answer tests (internal)
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdint.h>

#include "sp-keys.h"
#include "sp-session.h"

/* What a session operation would otherwise draw from the RNG or the
 * clock.  Each pointer may be NULL, and now_ms 0, for the usual source.
 * The public functions are these with NULL overrides. */
typedef struct {
  const SpKeyPair *base_key;       /* the initiator's PQXDH base key */
  const SpKeyPair *ratchet_key;    /* the next new sending ratchet key */
  const uint8_t *kyber_random;     /* 32 bytes of encapsulation randomness */
  uint64_t now_ms;                 /* milliseconds since the epoch */
} SpSessionOverrides;

int sp_session_cipher_process_bundle_with (SpSessionCipher          *cipher,
                                           const SpPreKeyBundle     *bundle,
                                           const SpSessionOverrides *overrides);

int sp_session_cipher_encrypt_with (SpSessionCipher          *cipher,
                                    const uint8_t            *plaintext,
                                    size_t                    plaintext_len,
                                    uint8_t                  *out,
                                    size_t                    out_size,
                                    size_t                   *out_len,
                                    int                      *out_type,
                                    const SpSessionOverrides *overrides);

int sp_session_cipher_decrypt_with (SpSessionCipher          *cipher,
                                    int                       type,
                                    const uint8_t            *ciphertext,
                                    size_t                    ciphertext_len,
                                    uint8_t                  *out,
                                    size_t                    out_size,
                                    size_t                   *out_len,
                                    const SpSessionOverrides *overrides);
