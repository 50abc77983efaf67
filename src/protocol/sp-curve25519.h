/* sp-curve25519.h: field and Edwards point arithmetic on public data
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libsodium does all the arithmetic that touches secrets.  What it does
 * not offer is the map between Montgomery u-coordinates and Edwards
 * points, and a double scalar multiplication that accepts any point on
 * the curve (libsodium refuses points with a torsion component, libsignal
 * does not).  These routines fill that gap.  They run in variable time
 * and must only ever see public values: public keys, signatures and
 * hashes of them.
 */

#pragma once

#include <stdint.h>

/* An element of GF(2^255 - 19) in radix 2^51: five limbs of 51 bits. */
typedef struct {
  uint64_t v[5];
} SpFe;

/* A point of edwards25519 in extended coordinates (X : Y : Z : T), with
 * x = X/Z, y = Y/Z and x·y = T/Z. */
typedef struct {
  SpFe X;
  SpFe Y;
  SpFe Z;
  SpFe T;
} SpEdPoint;

/* The birational map from Montgomery to Edwards, y = (u - 1) / (u + 1).
 * @u is read as a field element (bit 255 ignored, values >= p reduced);
 * @y receives the canonical encoding of y with the sign bit clear.
 * SP_ERR_INVALID_KEY when u = -1, where the map is undefined. */
int sp_curve25519_edwards_y (uint8_t       y[32],
                             const uint8_t u[32]);

/* The inverse map, u = (1 + y) / (1 - y), from an Edwards encoding (the
 * sign bit is ignored) to the canonical Montgomery u-coordinate.
 * SP_ERR_INVALID_KEY when y = 1, the identity. */
int sp_curve25519_montgomery_u (uint8_t       u[32],
                                const uint8_t y[32]);

/* What curve25519-dalek's MontgomeryPoint::to_edwards (sign) followed by
 * compress() computes: the Edwards point with y from @u and the sign of x
 * from @sign (0 or 1), and its canonical encoding, which drops the sign
 * when x = 0.  SP_ERR_INVALID_KEY when u = -1 or no point has that y. */
int sp_curve25519_point_from_montgomery (SpEdPoint     *point,
                                         uint8_t        encoding[32],
                                         const uint8_t  u[32],
                                         unsigned       sign);

/* Decompresses as curve25519-dalek does: bit 255 selects the sign of x,
 * and a sign bit on x = 0 is ignored.  No subgroup or canonicity checks.
 * The point has Z = 1.  SP_ERR_INVALID_KEY when no point has that y. */
int sp_curve25519_point_decode (SpEdPoint     *point,
                                const uint8_t  encoding[32]);

/* The canonical compressed encoding. */
void sp_curve25519_point_encode (uint8_t          encoding[32],
                                 const SpEdPoint *point);

void sp_curve25519_point_negate (SpEdPoint       *out,
                                 const SpEdPoint *point);

/* out = a·A + b·B with B the Ed25519 base point; @a and @b are 256-bit
 * little-endian integers, used as they are (not reduced). */
void sp_curve25519_double_scalarmult (SpEdPoint       *out,
                                      const uint8_t    a[32],
                                      const SpEdPoint *A,
                                      const uint8_t    b[32]);
