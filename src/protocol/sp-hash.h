/* sp-hash.h: SHA-3 and SHAKE through libgcrypt
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stddef.h>
#include <stdint.h>

int sp_sha3_256 (uint8_t out[32], const uint8_t *in, size_t len);
int sp_sha3_512 (uint8_t out[64], const uint8_t *in, size_t len);
int sp_shake256 (uint8_t *out, size_t out_len, const uint8_t *in, size_t len);
