/* test-xeddsa.c: libsignal's XEdDSA, signing and its acceptance rule
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib.h>
#include <sodium.h>
#include <string.h>

#include "protocol-test-util.h"
#include "sp-error.h"
#include "sp-init.h"
#include "sp-keys.h"
#include "sp-xeddsa.h"

#define KAT_MESSAGE "Signal XEdDSA KAT"

typedef struct {
  const char *scalar;
  const char *public_key;
  const char *signature;
} SignVector;

/* Spec section 12: Z = 64 zero bytes, accepted by libsignal 0.103. */
static const SignVector sign_vectors[] = {
  {
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    "058f40c5adb68f25624ae5b214ea767a6ec94d829d3d7b5e1ad1ba6f3e2138285f",
    "85f9182c7c3c4273bffd6acd2bf098feba3feab11cb72d5b3fd05342c5399335"
    "962f0517d7158a4ac4828e6d3166cce2c859a3e2cf3c55c97655dfc5b4bfe308",
  },
  {
    "4242424242424242424242424242424242424242424242424242424242424242",
    "05132c442be010fbd57e72603328aa76e71fccc1503aae219327d14d9c9993f472",
    "f3d88dee511ec0429b40cb10eaedecce176b6388d935f18b6e7caa880b73f5ce"
    "cad40a6ccb6b307554abc2f1eb6316ad3e5f4f629765aa76fbf47d4cef0ec40a",
  },
};

/* libsignal's own vector (rust/core curve25519 tests): the public key is
 * given raw, the message is a serialised public key. */
#define LIBSIGNAL_PUBLIC "05ab7e717d4a163b7d9a1d8071dfe9dcf8cdcd1cea3339b6356be84d887e322c64"
#define LIBSIGNAL_MESSAGE "05edce9d9c415ca78cb7252e72c2c4a554d3eb29485a0e1d503118d1a82d99fb4a"
#define LIBSIGNAL_SIGNATURE \
  "5de88ca9a89b4a115da79109c67c9c7464a3e4180274f1cb8c63c2984e286dfb" \
  "ede82deb9dcd9fae0bfbb821569b3d9001bd8130cd11d486cef047bd60b86e88"

static void
public_key_from_hex (SpPublicKey *key,
                     const char  *hex)
{
  uint8_t bytes[SP_PUBLIC_KEY_SIZE];

  test_unhex (bytes, sizeof bytes, hex);
  g_assert_cmpint (sp_public_key_decode (key, bytes, sizeof bytes), ==, SP_OK);
}

static void
test_sign_known_answers (void)
{
  const uint8_t *message = (const uint8_t *) KAT_MESSAGE;
  size_t message_len = strlen (KAT_MESSAGE);
  uint8_t zero_random[SP_XEDDSA_RANDOM_SIZE] = { 0 };

  for (size_t i = 0; i < G_N_ELEMENTS (sign_vectors); i++)
    {
      uint8_t scalar[32], signature[SP_SIGNATURE_SIZE];
      SpKeyPair pair;

      test_unhex (scalar, sizeof scalar, sign_vectors[i].scalar);
      g_assert_cmpint (sp_key_pair_from_private (&pair, scalar, sizeof scalar), ==, SP_OK);
      test_assert_hex (pair.public_key.bytes, SP_PUBLIC_KEY_SIZE, sign_vectors[i].public_key);

      g_assert_cmpint (sp_xeddsa_sign (signature, &pair.private_key, message, message_len,
                                       zero_random), ==, SP_OK);
      test_assert_hex (signature, sizeof signature, sign_vectors[i].signature);
      g_assert_cmpint (sp_xeddsa_verify (&pair.public_key, message, message_len,
                                         signature, sizeof signature), ==, SP_OK);
      sodium_memzero (&pair, sizeof pair);
    }
}

static void
test_verify_libsignal_vector (void)
{
  SpPublicKey key;
  uint8_t message[33], signature[SP_SIGNATURE_SIZE];

  public_key_from_hex (&key, LIBSIGNAL_PUBLIC);
  test_unhex (message, sizeof message, LIBSIGNAL_MESSAGE);
  test_unhex (signature, sizeof signature, LIBSIGNAL_SIGNATURE);
  g_assert_cmpint (sp_xeddsa_verify (&key, message, sizeof message, signature, sizeof signature), ==, SP_OK);

  /* As in libsignal's test: flipping the low bit of any byte breaks it. */
  for (size_t i = 0; i < sizeof signature; i++)
    {
      signature[i] ^= 0x01;
      g_assert_cmpint (sp_xeddsa_verify (&key, message, sizeof message, signature, sizeof signature),
                       ==, SP_ERR_INVALID_SIGNATURE);
      signature[i] ^= 0x01;
    }
}

static void
kat_signature (SpPublicKey *key,
               uint8_t      signature[SP_SIGNATURE_SIZE])
{
  public_key_from_hex (key, sign_vectors[0].public_key);
  test_unhex (signature, SP_SIGNATURE_SIZE, sign_vectors[0].signature);
}

static void
test_verify_rejects_modified (void)
{
  uint8_t message[] = KAT_MESSAGE;
  size_t message_len = strlen (KAT_MESSAGE);
  uint8_t signature[SP_SIGNATURE_SIZE];
  SpPublicKey key, other;

  kat_signature (&key, signature);
  g_assert_cmpint (sp_xeddsa_verify (&key, message, message_len, signature, sizeof signature), ==, SP_OK);

  message[0] ^= 0x20;
  g_assert_cmpint (sp_xeddsa_verify (&key, message, message_len, signature, sizeof signature),
                   ==, SP_ERR_INVALID_SIGNATURE);
  message[0] ^= 0x20;
  g_assert_cmpint (sp_xeddsa_verify (&key, message, message_len - 1, signature, sizeof signature),
                   ==, SP_ERR_INVALID_SIGNATURE);

  /* One bit in every byte of the signature, a different bit each time;
   * byte 63 gets bit 7, the sign of the key. */
  for (size_t i = 0; i < sizeof signature; i++)
    {
      uint8_t bit = (uint8_t) (1u << (i % 8));

      signature[i] ^= bit;
      g_assert_cmpint (sp_xeddsa_verify (&key, message, message_len, signature, sizeof signature),
                       ==, SP_ERR_INVALID_SIGNATURE);
      signature[i] ^= bit;
    }

  /* Another key. */
  public_key_from_hex (&other, sign_vectors[1].public_key);
  g_assert_cmpint (sp_xeddsa_verify (&other, message, message_len, signature, sizeof signature),
                   ==, SP_ERR_INVALID_SIGNATURE);
}

static void
test_verify_rejects_lengths (void)
{
  const uint8_t *message = (const uint8_t *) KAT_MESSAGE;
  size_t message_len = strlen (KAT_MESSAGE);
  uint8_t signature[SP_SIGNATURE_SIZE + 1];
  SpPublicKey key;

  kat_signature (&key, signature);
  signature[SP_SIGNATURE_SIZE] = 0;
  g_assert_cmpint (sp_xeddsa_verify (&key, message, message_len, signature, SP_SIGNATURE_SIZE + 1),
                   ==, SP_ERR_INVALID_SIGNATURE);
  g_assert_cmpint (sp_xeddsa_verify (&key, message, message_len, signature, SP_SIGNATURE_SIZE - 1),
                   ==, SP_ERR_INVALID_SIGNATURE);
  g_assert_cmpint (sp_xeddsa_verify (&key, message, message_len, signature, 0),
                   ==, SP_ERR_INVALID_SIGNATURE);
  g_assert_cmpint (sp_xeddsa_verify (&key, message, message_len, NULL, SP_SIGNATURE_SIZE),
                   ==, SP_ERR_INVALID_SIGNATURE);
}

/* Adds L to s, keeping the sign bit in bit 255. */
static void
add_group_order (uint8_t signature[SP_SIGNATURE_SIZE])
{
  static const uint8_t order[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
  };
  uint8_t *s = signature + 32;
  uint8_t sign = s[31] & 0x80;
  unsigned carry = 0;

  s[31] &= 0x7f;
  for (size_t i = 0; i < 32; i++)
    {
      carry += s[i] + order[i];
      s[i] = (uint8_t) carry;
      carry >>= 8;
    }
  g_assert_cmpuint (carry, ==, 0);
  s[31] |= sign;
}

/* libsignal clears bit 255 of s, refuses bits 253 and 254, and reduces
 * whatever is left: s + L still verifies (stock Ed25519 refuses it),
 * but is not canonical, as the signature that was made is. */
static void
test_verify_scalar_range (void)
{
  const uint8_t *message = (const uint8_t *) KAT_MESSAGE;
  size_t message_len = strlen (KAT_MESSAGE);
  uint8_t signature[SP_SIGNATURE_SIZE], modified[SP_SIGNATURE_SIZE];
  SpPublicKey key;

  kat_signature (&key, signature);

  memcpy (modified, signature, sizeof modified);
  modified[63] |= 0x20;   /* bit 253 */
  g_assert_cmpint (sp_xeddsa_verify (&key, message, message_len, modified, sizeof modified),
                   ==, SP_ERR_INVALID_SIGNATURE);
  memcpy (modified, signature, sizeof modified);
  modified[63] |= 0x40;   /* bit 254 */
  g_assert_cmpint (sp_xeddsa_verify (&key, message, message_len, modified, sizeof modified),
                   ==, SP_ERR_INVALID_SIGNATURE);

  memcpy (modified, signature, sizeof modified);
  add_group_order (modified);
  /* s + L stays below 2^253 for this s. */
  g_assert_cmpuint (modified[63] & 0x60, ==, 0);
  g_assert_cmpint (sp_xeddsa_verify (&key, message, message_len, modified, sizeof modified), ==, SP_OK);
  g_assert_true (sp_xeddsa_signature_is_canonical (signature));
  g_assert_false (sp_xeddsa_signature_is_canonical (modified));
}

static void
test_verify_rejects_minus_one (void)
{
  const uint8_t *message = (const uint8_t *) KAT_MESSAGE;
  uint8_t signature[SP_SIGNATURE_SIZE];
  SpPublicKey key;

  kat_signature (&key, signature);
  public_key_from_hex (&key, "05ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  g_assert_cmpint (sp_xeddsa_verify (&key, message, strlen (KAT_MESSAGE), signature, sizeof signature),
                   ==, SP_ERR_INVALID_SIGNATURE);
  /* The same u with the ignored bit 255 set. */
  key.bytes[32] |= 0x80;
  g_assert_cmpint (sp_xeddsa_verify (&key, message, strlen (KAT_MESSAGE), signature, sizeof signature),
                   ==, SP_ERR_INVALID_SIGNATURE);
}

/* A prepared key checks several signatures as sp_xeddsa_verify() does,
 * each on its own; one that cannot verify anything refuses them all. */
static void
test_verifier (void)
{
  uint8_t message[] = KAT_MESSAGE;
  size_t message_len = strlen (KAT_MESSAGE);
  uint8_t signature[SP_SIGNATURE_SIZE], flipped[SP_SIGNATURE_SIZE];
  SpXeddsaVerifier verifier;
  SpPublicKey key;

  kat_signature (&key, signature);
  memcpy (flipped, signature, sizeof flipped);
  flipped[63] ^= 0x80;
  g_assert_cmpint (sp_xeddsa_verifier_init (&verifier, &key), ==, SP_OK);
  for (int round = 0; round < 2; round++)
    {
      g_assert_cmpint (sp_xeddsa_verifier_verify (&verifier, message, message_len, signature, sizeof signature),
                       ==, SP_OK);
      g_assert_cmpint (sp_xeddsa_verifier_verify (&verifier, message, message_len, flipped, sizeof flipped),
                       ==, SP_ERR_INVALID_SIGNATURE);
      g_assert_cmpint (sp_xeddsa_verifier_verify (&verifier, message, message_len - 1, signature, sizeof signature),
                       ==, SP_ERR_INVALID_SIGNATURE);
    }
  g_assert_cmpint (sp_xeddsa_verifier_verify (&verifier, NULL, 1, signature, sizeof signature),
                   ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_xeddsa_verifier_init (&verifier, NULL), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_xeddsa_verifier_init (NULL, &key), ==, SP_ERR_INVALID_ARGUMENT);

  public_key_from_hex (&key, "05ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  g_assert_cmpint (sp_xeddsa_verifier_init (&verifier, &key), ==, SP_OK);
  g_assert_cmpint (sp_xeddsa_verifier_verify (&verifier, message, message_len, signature, sizeof signature),
                   ==, SP_ERR_INVALID_SIGNATURE);
}

/* The public key u = 0 is the Edwards point (0, -1) of order 2, which
 * libsodium's verifier refuses outright.  libsignal checks nothing about
 * the key, so R = s·B with s arbitrary verifies exactly when
 * h = SHA-512 (R || A || M) mod L is even (then h·A is the identity). */
static void
test_verify_small_order_key (void)
{
  static const uint8_t minus_one[32] = {
    0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
  };
  const uint8_t *message = (const uint8_t *) KAT_MESSAGE;
  size_t message_len = strlen (KAT_MESSAGE);
  unsigned accepted = 0, rejected = 0;
  SpPublicKey key = { { SP_KEY_TYPE_DJB } };

  for (uint8_t s = 1; s <= 16; s++)
    {
      uint8_t signature[SP_SIGNATURE_SIZE] = { 0 }, digest[64], h[32];
      crypto_hash_sha512_state state;
      int expected;

      signature[32] = s;
      g_assert_cmpint (crypto_scalarmult_ed25519_base_noclamp (signature, signature + 32), ==, 0);

      crypto_hash_sha512_init (&state);
      crypto_hash_sha512_update (&state, signature, 32);
      crypto_hash_sha512_update (&state, minus_one, 32);
      crypto_hash_sha512_update (&state, message, message_len);
      crypto_hash_sha512_final (&state, digest);
      crypto_core_ed25519_scalar_reduce (h, digest);

      expected = (h[0] & 1) == 0 ? SP_OK : SP_ERR_INVALID_SIGNATURE;
      g_assert_cmpint (sp_xeddsa_verify (&key, message, message_len, signature, sizeof signature), ==, expected);
      if (expected == SP_OK)
        accepted++;
      else
        rejected++;
    }
  g_assert_cmpuint (accepted, >, 0);
  g_assert_cmpuint (rejected, >, 0);
}

typedef struct {
  const char *public_key;
  const char *signature;
  int expected;
} EdgeVector;

/* Crafted for keys that a stock Ed25519 verifier refuses, and checked
 * against libsignal 0.103 (PublicKey.verify) over the message
 * "differential": a key a·B + k·T with T of order 8, signed with the
 * secret a, verifies only when 8 divides h; small-order keys verify R = s·B
 * when h·A is the identity. */
static const EdgeVector edge_vectors[] = {
  { "05a1027b316471d6c08c8f88ccfa9f99f3f7aaf2d9b7656ff52790870681dd7e30",
    "d274d634cfdfe8c9b86e3e2d9a89500b2da18ee655b168e662e69a64ae44cef2"
    "d8cedccbbac04d205cea21505516ab9e7535f73471f39a41eacea8577b820b89", SP_ERR_INVALID_SIGNATURE },
  { "058db26d7a03865c1586792e2cc980590e4aac59521abf65dec5bbe0bc80749c0a",
    "af93980c59bc75c15ec0191f264a121b468034122ba65a99220edd0f2fe5bbda"
    "56c5021562f072ab7a0dd659a2592d3aa4bf8e4a584410532381475d69a5380d", SP_OK },
  { "05e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5866666666666666666666666666666666666666666666666666666666666666"
    "0100000000000000000000000000000000000000000000000000000000000000", SP_ERR_INVALID_SIGNATURE },
  { "050100000000000000000000000000000000000000000000000000000000000000",
    "c9a3f86aae465f0e56513864510f3997561fa2c9e85ea21dc2292309f3cd6022"
    "0200000000000000000000000000000000000000000000000000000000000000", SP_OK },
};

static void
test_verify_libsignal_edge_cases (void)
{
  const uint8_t *message = (const uint8_t *) "differential";

  for (size_t i = 0; i < G_N_ELEMENTS (edge_vectors); i++)
    {
      uint8_t signature[SP_SIGNATURE_SIZE];
      SpPublicKey key;

      public_key_from_hex (&key, edge_vectors[i].public_key);
      test_unhex (signature, sizeof signature, edge_vectors[i].signature);
      g_assert_cmpint (sp_xeddsa_verify (&key, message, strlen ("differential"), signature, sizeof signature),
                       ==, edge_vectors[i].expected);
    }
}

/* Signatures made here are plain Ed25519 signatures for the Edwards key
 * a·B once the sign bit is cleared: libsodium's verifier must accept
 * them, which checks the signing path independently. */
static void
test_sign_random_keys (void)
{
  for (int round = 0; round < 32; round++)
    {
      SpKeyPair *pair = sodium_malloc (sizeof *pair);
      uint8_t message[100], signature[SP_SIGNATURE_SIZE], other[SP_SIGNATURE_SIZE];
      uint8_t wide[64] = { 0 }, a[32], ed_public[32];
      size_t message_len = (size_t) round * 3;

      g_assert_cmpint (sp_key_pair_generate (pair), ==, SP_OK);
      randombytes_buf (message, sizeof message);

      g_assert_cmpint (sp_xeddsa_sign (signature, &pair->private_key, message, message_len, NULL), ==, SP_OK);
      g_assert_cmpint (sp_xeddsa_verify (&pair->public_key, message, message_len,
                                         signature, sizeof signature), ==, SP_OK);

      /* Randomised: a second signature differs and verifies too. */
      g_assert_cmpint (sp_xeddsa_sign (other, &pair->private_key, message, message_len, NULL), ==, SP_OK);
      g_assert_true (memcmp (signature, other, sizeof other) != 0);
      g_assert_cmpint (sp_xeddsa_verify (&pair->public_key, message, message_len,
                                         other, sizeof other), ==, SP_OK);

      memcpy (wide, pair->private_key.bytes, 32);
      crypto_core_ed25519_scalar_reduce (a, wide);
      g_assert_cmpint (crypto_scalarmult_ed25519_base_noclamp (ed_public, a), ==, 0);
      g_assert_cmpuint (signature[63] & 0x80, ==, ed_public[31] & 0x80);
      signature[63] &= 0x7f;
      g_assert_cmpint (crypto_sign_verify_detached (signature, message, message_len, ed_public), ==, 0);

      sodium_memzero (wide, sizeof wide);
      sodium_memzero (a, sizeof a);
      sodium_free (pair);
    }
}

static void
test_sign_empty_message (void)
{
  SpKeyPair pair;
  uint8_t signature[SP_SIGNATURE_SIZE];

  g_assert_cmpint (sp_key_pair_generate (&pair), ==, SP_OK);
  g_assert_cmpint (sp_xeddsa_sign (signature, &pair.private_key, NULL, 0, NULL), ==, SP_OK);
  g_assert_cmpint (sp_xeddsa_verify (&pair.public_key, NULL, 0, signature, sizeof signature), ==, SP_OK);
  g_assert_cmpint (sp_xeddsa_sign (signature, &pair.private_key, NULL, 1, NULL), ==, SP_ERR_INVALID_ARGUMENT);
  sodium_memzero (&pair, sizeof pair);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/protocol/xeddsa/sign/known-answers", test_sign_known_answers);
  g_test_add_func ("/protocol/xeddsa/verify/libsignal-vector", test_verify_libsignal_vector);
  g_test_add_func ("/protocol/xeddsa/verify/rejects-modified", test_verify_rejects_modified);
  g_test_add_func ("/protocol/xeddsa/verify/rejects-lengths", test_verify_rejects_lengths);
  g_test_add_func ("/protocol/xeddsa/verify/scalar-range", test_verify_scalar_range);
  g_test_add_func ("/protocol/xeddsa/verify/rejects-minus-one", test_verify_rejects_minus_one);
  g_test_add_func ("/protocol/xeddsa/verify/small-order-key", test_verify_small_order_key);
  g_test_add_func ("/protocol/xeddsa/verify/verifier", test_verifier);
  g_test_add_func ("/protocol/xeddsa/verify/libsignal-edge-cases", test_verify_libsignal_edge_cases);
  g_test_add_func ("/protocol/xeddsa/sign/random-keys", test_sign_random_keys);
  g_test_add_func ("/protocol/xeddsa/sign/empty-message", test_sign_empty_message);

  return g_test_run ();
}
