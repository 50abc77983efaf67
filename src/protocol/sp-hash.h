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

/* An incremental SHAKE instance: absorb input, then squeeze as many bytes
 * as needed over any number of calls; the output is one continuous stream.
 * sp_shake_reset() starts a new message on the same libgcrypt handle, which
 * is much cheaper than opening a new one for every short input. */
typedef enum {
  SP_SHAKE_128,
  SP_SHAKE_256,
} SpShakeVariant;

/* The rate of each variant in bytes: squeezing whole multiples of it
 * avoids buffering inside libgcrypt. */
#define SP_SHAKE128_RATE 168
#define SP_SHAKE256_RATE 136

struct gcry_md_handle;

typedef struct {
  struct gcry_md_handle *md;
  int                    algo;
  int                    squeezing;
} SpShake;

int  sp_shake_init    (SpShake        *shake,
                       SpShakeVariant  variant);
/* Only valid before the first sp_shake_squeeze() of a message. */
int  sp_shake_absorb  (SpShake        *shake,
                       const uint8_t  *in,
                       size_t          len);
int  sp_shake_squeeze (SpShake        *shake,
                       uint8_t        *out,
                       size_t          len);
void sp_shake_reset   (SpShake        *shake);
/* Closes the handle (libgcrypt wipes the state); safe to call twice and on
 * a zero-initialised SpShake. */
void sp_shake_clear   (SpShake        *shake);
