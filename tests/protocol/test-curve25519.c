/* test-curve25519.c: the public-data Edwards arithmetic against libsodium
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib.h>
#include <sodium.h>
#include <string.h>

#include "sp-curve25519.h"
#include "sp-error.h"
#include "sp-init.h"

static void
unhex (uint8_t    *out,
       size_t      len,
       const char *hex)
{
  g_assert_cmpuint (strlen (hex), ==, 2 * len);
  for (size_t i = 0; i < len; i++)
    out[i] = (uint8_t) (g_ascii_xdigit_value (hex[2 * i]) << 4 | g_ascii_xdigit_value (hex[2 * i + 1]));
}

static void
assert_hex (const uint8_t *data,
            size_t         len,
            const char    *hex)
{
  g_autofree char *actual = g_malloc (2 * len + 1);

  sodium_bin2hex (actual, 2 * len + 1, data, len);
  g_assert_cmpstr (actual, ==, hex);
}

#define BASE_POINT "5866666666666666666666666666666666666666666666666666666666666666"
/* A point of order 8. */
#define ORDER_8_POINT "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"

/* X25519's base point u = 9 is Ed25519's base point y = 4/5. */
static void
test_edwards_y_base (void)
{
  uint8_t u[32] = { 9 }, y[32];

  g_assert_cmpint (sp_curve25519_edwards_y (y, u), ==, SP_OK);
  assert_hex (y, 32, BASE_POINT);

  /* Bit 255 of u is not part of the field element. */
  u[31] |= 0x80;
  g_assert_cmpint (sp_curve25519_edwards_y (y, u), ==, SP_OK);
  assert_hex (y, 32, BASE_POINT);
}

static void
test_edwards_y_special (void)
{
  uint8_t u[32], y[32];

  /* u = -1, and the same with the ignored bit 255 set. */
  unhex (u, 32, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  g_assert_cmpint (sp_curve25519_edwards_y (y, u), ==, SP_ERR_INVALID_KEY);
  u[31] |= 0x80;
  g_assert_cmpint (sp_curve25519_edwards_y (y, u), ==, SP_ERR_INVALID_KEY);

  /* u = 0 gives y = -1, and u = p is read as 0. */
  memset (u, 0, sizeof u);
  g_assert_cmpint (sp_curve25519_edwards_y (y, u), ==, SP_OK);
  assert_hex (y, 32, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  unhex (u, 32, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  g_assert_cmpint (sp_curve25519_edwards_y (y, u), ==, SP_OK);
  assert_hex (y, 32, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
}

static void
test_point_round_trip (void)
{
  const char *encodings[] = { BASE_POINT, ORDER_8_POINT };
  uint8_t in[32], out[32];
  SpEdPoint point, negated;

  for (size_t i = 0; i < G_N_ELEMENTS (encodings); i++)
    {
      unhex (in, 32, encodings[i]);
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

  unhex (in, 32, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
  g_assert_cmpint (sp_curve25519_point_decode (&point, in), ==, SP_OK);
  sp_curve25519_point_encode (out, &point);
  assert_hex (out, 32, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
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
  unhex (T_enc, 32, ORDER_8_POINT);
  unhex (order, 32, "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
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
  g_test_add_func ("/protocol/curve25519/point/round-trip", test_point_round_trip);
  g_test_add_func ("/protocol/curve25519/point/decode-invalid", test_point_decode_invalid);
  g_test_add_func ("/protocol/curve25519/point/decode-zero-x", test_point_decode_zero_x);
  g_test_add_func ("/protocol/curve25519/double-scalarmult/libsodium", test_double_scalarmult_matches_libsodium);
  g_test_add_func ("/protocol/curve25519/double-scalarmult/torsion", test_double_scalarmult_torsion);

  return g_test_run ();
}
