/* test-curve25519.c: the public-data Edwards arithmetic against libsodium
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib.h>
#include <sodium.h>
#include <string.h>

#include "protocol-test-util.h"
#include "sp-curve25519.h"
#include "sp-error.h"
#include "sp-init.h"

#define BASE_POINT "5866666666666666666666666666666666666666666666666666666666666666"
/* A point of order 8. */
#define ORDER_8_POINT "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"

/* X25519's base point u = 9 is Ed25519's base point y = 4/5. */
static void
test_edwards_y_base (void)
{
  uint8_t u[32] = { 9 }, y[32];

  g_assert_cmpint (sp_curve25519_edwards_y (y, u), ==, SP_OK);
  test_assert_hex (y, 32, BASE_POINT);

  /* Bit 255 of u is not part of the field element. */
  u[31] |= 0x80;
  g_assert_cmpint (sp_curve25519_edwards_y (y, u), ==, SP_OK);
  test_assert_hex (y, 32, BASE_POINT);
}

static void
test_edwards_y_special (void)
{
  uint8_t u[32], y[32];

  /* u = -1, and the same with the ignored bit 255 set. */
  test_unhex (u, 32, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  g_assert_cmpint (sp_curve25519_edwards_y (y, u), ==, SP_ERR_INVALID_KEY);
  u[31] |= 0x80;
  g_assert_cmpint (sp_curve25519_edwards_y (y, u), ==, SP_ERR_INVALID_KEY);

  /* u = 0 gives y = -1, and u = p is read as 0. */
  memset (u, 0, sizeof u);
  g_assert_cmpint (sp_curve25519_edwards_y (y, u), ==, SP_OK);
  test_assert_hex (y, 32, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  test_unhex (u, 32, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  g_assert_cmpint (sp_curve25519_edwards_y (y, u), ==, SP_OK);
  test_assert_hex (y, 32, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
}

/* y = 4/5 maps back to u = 9; the sign bit and non-canonical encodings
 * of y do not matter; y = 1, the identity, has no image. */
static void
test_montgomery_u_special (void)
{
  uint8_t y[32], u[32], nine[32] = { 9 };

  test_unhex (y, 32, BASE_POINT);
  g_assert_cmpint (sp_curve25519_montgomery_u (u, y), ==, SP_OK);
  g_assert_cmpmem (u, 32, nine, 32);
  y[31] |= 0x80;
  g_assert_cmpint (sp_curve25519_montgomery_u (u, y), ==, SP_OK);
  g_assert_cmpmem (u, 32, nine, 32);

  memset (y, 0, sizeof y);
  y[0] = 1;
  g_assert_cmpint (sp_curve25519_montgomery_u (u, y), ==, SP_ERR_INVALID_KEY);
  /* p + 1 is 1 as well. */
  test_unhex (y, 32, "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  g_assert_cmpint (sp_curve25519_montgomery_u (u, y), ==, SP_ERR_INVALID_KEY);

  /* y = -1, the point of order 2, is u = 0. */
  test_unhex (y, 32, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  g_assert_cmpint (sp_curve25519_montgomery_u (u, y), ==, SP_OK);
  memset (y, 0, sizeof y);
  g_assert_cmpmem (u, 32, y, 32);
}

/* The two maps are inverse to each other on canonical values, and agree
 * with libsodium's conversion of Ed25519 keys. */
static void
test_maps_round_trip (void)
{
  for (int round = 0; round < 64; round++)
    {
      uint8_t u[32], y[32], back[32], seed[32], ed_pk[32], ed_sk[64], x25519_pk[32];

      randombytes_buf (u, sizeof u);
      u[31] &= 0x3f;
      g_assert_cmpint (sp_curve25519_edwards_y (y, u), ==, SP_OK);
      g_assert_cmpint (sp_curve25519_montgomery_u (back, y), ==, SP_OK);
      g_assert_cmpmem (back, 32, u, 32);

      randombytes_buf (seed, sizeof seed);
      g_assert_cmpint (crypto_sign_seed_keypair (ed_pk, ed_sk, seed), ==, 0);
      g_assert_cmpint (crypto_sign_ed25519_pk_to_curve25519 (x25519_pk, ed_pk), ==, 0);
      g_assert_cmpint (sp_curve25519_montgomery_u (u, ed_pk), ==, SP_OK);
      g_assert_cmpmem (u, 32, x25519_pk, 32);
    }
}

/* The point of a u-coordinate is the one its Edwards y decodes to with
 * the sign given, and its encoding is canonical: the sign is dropped for
 * u = 0, where x = 0. */
static void
test_point_from_montgomery (void)
{
  uint8_t u[32] = { 9 }, encoding[32], reencoded[32], expected[32];
  SpEdPoint point;

  for (unsigned sign = 0; sign < 2; sign++)
    {
      g_assert_cmpint (sp_curve25519_point_from_montgomery (&point, encoding, u, sign), ==, SP_OK);
      test_unhex (expected, 32, BASE_POINT);
      expected[31] |= (uint8_t) (sign << 7);
      g_assert_cmpmem (encoding, 32, expected, 32);
      sp_curve25519_point_encode (reencoded, &point);
      g_assert_cmpmem (reencoded, 32, expected, 32);
    }

  memset (u, 0, sizeof u);
  g_assert_cmpint (sp_curve25519_point_from_montgomery (&point, encoding, u, 1), ==, SP_OK);
  test_assert_hex (encoding, 32, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");

  /* u = -1 has no image, and u = 2 gives a y that is not on the curve. */
  test_unhex (u, 32, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  g_assert_cmpint (sp_curve25519_point_from_montgomery (&point, encoding, u, 0), ==, SP_ERR_INVALID_KEY);
  memset (u, 0, sizeof u);
  u[0] = 2;
  g_assert_cmpint (sp_curve25519_point_from_montgomery (&point, encoding, u, 0), ==, SP_ERR_INVALID_KEY);
}

static void
test_point_round_trip (void)
{
  const char *encodings[] = { BASE_POINT, ORDER_8_POINT };
  uint8_t in[32], out[32];
  SpEdPoint point, negated;

  for (size_t i = 0; i < G_N_ELEMENTS (encodings); i++)
    {
      test_unhex (in, 32, encodings[i]);
      g_assert_cmpint (sp_curve25519_point_decode (&point, in), ==, SP_OK);
      sp_curve25519_point_encode (out, &point);
      g_assert_cmpmem (out, 32, in, 32);

      /* The negation differs only in the sign bit. */
      sp_curve25519_point_negate (&negated, &point);
      sp_curve25519_point_encode (out, &negated);
      in[31] ^= 0x80;
      g_assert_cmpmem (out, 32, in, 32);
    }
}

static void
test_point_decode_invalid (void)
{
  uint8_t y[32] = { 2 };
  SpEdPoint point;

  /* No x satisfies the curve equation for y = 2. */
  g_assert_cmpint (sp_curve25519_point_decode (&point, y), ==, SP_ERR_INVALID_KEY);
}

/* x = 0 has no sign: (0, -1) with the sign bit set decodes, as in
 * curve25519-dalek, and re-encodes without it. */
static void
test_point_decode_zero_x (void)
{
  uint8_t in[32], out[32];
  SpEdPoint point;

  test_unhex (in, 32, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
  g_assert_cmpint (sp_curve25519_point_decode (&point, in), ==, SP_OK);
  sp_curve25519_point_encode (out, &point);
  test_assert_hex (out, 32, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
}

static void
random_scalar (uint8_t s[32])
{
  uint8_t wide[64];

  randombytes_buf (wide, sizeof wide);
  crypto_core_ed25519_scalar_reduce (s, wide);
}

/* a·A + b·B agrees with libsodium on points of the prime-order subgroup. */
static void
test_double_scalarmult_matches_libsodium (void)
{
  for (int round = 0; round < 16; round++)
    {
      uint8_t a[32], b[32], c[32], A_enc[32], aA[32], bB[32], expected[32], actual[32];
      SpEdPoint A, result;

      random_scalar (a);
      random_scalar (b);
      random_scalar (c);
      g_assert_cmpint (crypto_scalarmult_ed25519_base_noclamp (A_enc, c), ==, 0);
      g_assert_cmpint (crypto_scalarmult_ed25519_noclamp (aA, a, A_enc), ==, 0);
      g_assert_cmpint (crypto_scalarmult_ed25519_base_noclamp (bB, b), ==, 0);
      g_assert_cmpint (crypto_core_ed25519_add (expected, aA, bB), ==, 0);

      g_assert_cmpint (sp_curve25519_point_decode (&A, A_enc), ==, SP_OK);
      sp_curve25519_double_scalarmult (&result, a, &A, b);
      sp_curve25519_point_encode (actual, &result);
      g_assert_cmpmem (actual, 32, expected, 32);
    }
}

/* Scalars are used in full, up to 2^256 - 1, including the top digit
 * that the signed windows carry into: on the prime-order subgroup the
 * result is that of the scalars reduced mod L. */
static void
test_double_scalarmult_full_width (void)
{
  static const char *scalars[] = {
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f8",
    "0100000000000000000000000000000000000000000000000000000000000000",
  };
  uint8_t c[32], A_enc[32];
  SpEdPoint A;

  random_scalar (c);
  g_assert_cmpint (crypto_scalarmult_ed25519_base_noclamp (A_enc, c), ==, 0);
  g_assert_cmpint (sp_curve25519_point_decode (&A, A_enc), ==, SP_OK);

  for (size_t i = 0; i < G_N_ELEMENTS (scalars); i++)
    for (size_t j = 0; j < G_N_ELEMENTS (scalars); j++)
      {
        uint8_t a[32], b[32], wide[64] = { 0 }, a_mod[32], b_mod[32];
        uint8_t aA[32], bB[32], expected[32], actual[32];
        SpEdPoint result;

        test_unhex (a, 32, scalars[i]);
        test_unhex (b, 32, scalars[j]);
        memcpy (wide, a, 32);
        crypto_core_ed25519_scalar_reduce (a_mod, wide);
        memcpy (wide, b, 32);
        crypto_core_ed25519_scalar_reduce (b_mod, wide);
        g_assert_cmpint (crypto_scalarmult_ed25519_noclamp (aA, a_mod, A_enc), ==, 0);
        g_assert_cmpint (crypto_scalarmult_ed25519_base_noclamp (bB, b_mod), ==, 0);
        g_assert_cmpint (crypto_core_ed25519_add (expected, aA, bB), ==, 0);

        sp_curve25519_double_scalarmult (&result, a, &A, b);
        sp_curve25519_point_encode (actual, &result);
        g_assert_cmpmem (actual, 32, expected, 32);
      }
}

/* A point with a torsion component, which libsodium's scalar
 * multiplication refuses: 8·(P + T) must equal 8·P, and L·(P + T) must
 * be a small-order point other than the identity. */
static void
test_double_scalarmult_torsion (void)
{
  uint8_t c[32], P_enc[32], T_enc[32], PT_enc[32], eight[32] = { 8 }, zero[32] = { 0 };
  uint8_t expected[32], actual[32], identity[32] = { 1 };
  uint8_t order[32];
  SpEdPoint PT, result;

  random_scalar (c);
  test_unhex (T_enc, 32, ORDER_8_POINT);
  test_unhex (order, 32, "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  g_assert_cmpint (crypto_scalarmult_ed25519_base_noclamp (P_enc, c), ==, 0);
  g_assert_cmpint (crypto_core_ed25519_add (PT_enc, P_enc, T_enc), ==, 0);
  g_assert_false (crypto_core_ed25519_is_valid_point (PT_enc));

  g_assert_cmpint (sp_curve25519_point_decode (&PT, PT_enc), ==, SP_OK);
  sp_curve25519_double_scalarmult (&result, eight, &PT, zero);
  sp_curve25519_point_encode (actual, &result);
  g_assert_cmpint (crypto_scalarmult_ed25519_noclamp (expected, eight, P_enc), ==, 0);
  g_assert_cmpmem (actual, 32, expected, 32);

  sp_curve25519_double_scalarmult (&result, order, &PT, zero);
  sp_curve25519_point_encode (actual, &result);
  g_assert_true (memcmp (actual, identity, 32) != 0);
  sp_curve25519_double_scalarmult (&result, eight, &result, zero);
  sp_curve25519_point_encode (actual, &result);
  g_assert_cmpmem (actual, 32, identity, 32);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/protocol/curve25519/edwards-y/base", test_edwards_y_base);
  g_test_add_func ("/protocol/curve25519/edwards-y/special", test_edwards_y_special);
  g_test_add_func ("/protocol/curve25519/montgomery-u/special", test_montgomery_u_special);
  g_test_add_func ("/protocol/curve25519/maps/round-trip", test_maps_round_trip);
  g_test_add_func ("/protocol/curve25519/point/from-montgomery", test_point_from_montgomery);
  g_test_add_func ("/protocol/curve25519/point/round-trip", test_point_round_trip);
  g_test_add_func ("/protocol/curve25519/point/decode-invalid", test_point_decode_invalid);
  g_test_add_func ("/protocol/curve25519/point/decode-zero-x", test_point_decode_zero_x);
  g_test_add_func ("/protocol/curve25519/double-scalarmult/libsodium", test_double_scalarmult_matches_libsodium);
  g_test_add_func ("/protocol/curve25519/double-scalarmult/full-width", test_double_scalarmult_full_width);
  g_test_add_func ("/protocol/curve25519/double-scalarmult/torsion", test_double_scalarmult_torsion);

  return g_test_run ();
}
