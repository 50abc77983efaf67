/* sp-fingerprint.h: safety numbers (libsignal's Fingerprint)
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp-keys.h"

#define SP_FINGERPRINT_DIGITS 60
#define SP_FINGERPRINT_ITERATIONS 5200
#define SP_FINGERPRINT_VERSION 2
#define SP_FINGERPRINT_MIN_ITERATIONS 2
#define SP_FINGERPRINT_MAX_ITERATIONS 1000000
/* version varint + two LogicalFingerprint messages of 32 bytes each */
#define SP_FINGERPRINT_SCANNABLE_MAX 80

typedef struct {
  char displayable[SP_FINGERPRINT_DIGITS + 1];   /* NUL-terminated */
  uint8_t scannable[SP_FINGERPRINT_SCANNABLE_MAX];
  size_t scannable_len;
} SpFingerprint;

int sp_fingerprint_create (SpFingerprint     *out,
                           uint32_t           iterations,
                           uint32_t           version,
                           const uint8_t     *local_id,
                           size_t             local_id_len,
                           const SpPublicKey *local_key,
                           const uint8_t     *remote_id,
                           size_t             remote_id_len,
                           const SpPublicKey *remote_key);

/* Compares our scannable form with theirs in constant time.  Unequal
 * versions are SP_ERR_VERSION_MISMATCH, undecodable input SP_ERR_MALFORMED;
 * otherwise SP_OK with *matches set. */
int sp_fingerprint_compare (const uint8_t *ours,
                            size_t         ours_len,
                            const uint8_t *theirs,
                            size_t         theirs_len,
                            bool          *matches);
