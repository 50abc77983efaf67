/* sp-kdf.h: HMAC-SHA256 and HKDF-SHA256 (RFC 5869)
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stddef.h>
#include <stdint.h>

#define SP_HMAC_SHA256_SIZE 32
#define SP_HKDF_MAX_OUTPUT (255 * 32)

int sp_hmac_sha256 (uint8_t        out[SP_HMAC_SHA256_SIZE],
                    const uint8_t *key,
                    size_t         key_len,
                    const uint8_t *message,
                    size_t         message_len);

/* One piece of a message given in several pieces. */
typedef struct {
  const uint8_t *data;
  size_t         len;
} SpHmacPart;

#define SP_HMAC_MAX_PARTS 3

/* HMAC-SHA256 of the concatenation of @parts, without copying them
 * together; at most SP_HMAC_MAX_PARTS of them. */
int sp_hmac_sha256_parts (uint8_t           out[SP_HMAC_SHA256_SIZE],
                          const uint8_t    *key,
                          size_t            key_len,
                          const SpHmacPart *parts,
                          size_t            n_parts);

/* A NULL or empty @salt means 32 zero bytes, as in RFC 5869.  @out_len
 * must be 1 to SP_HKDF_MAX_OUTPUT, else SP_ERR_INVALID_ARGUMENT. */
int sp_hkdf_sha256 (uint8_t       *out,
                    size_t         out_len,
                    const uint8_t *salt,
                    size_t         salt_len,
                    const uint8_t *ikm,
                    size_t         ikm_len,
                    const uint8_t *info,
                    size_t         info_len);
