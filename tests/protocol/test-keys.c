/* test-keys.c: X25519 keys, DH, the canonical check and the identity pair
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

static void
public_key_from_hex (SpPublicKey *key,
                     const char  *hex)
{
  uint8_t bytes[SP_PUBLIC_KEY_SIZE];

  test_unhex (bytes, sizeof bytes, hex);
  g_assert_cmpint (sp_public_key_decode (key, bytes, sizeof bytes), ==, SP_OK);
}

static const uint8_t counting[32] = {
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
  0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

#define COUNTING_PUBLIC "058f40c5adb68f25624ae5b214ea767a6ec94d829d3d7b5e1ad1ba6f3e2138285f"
#define COUNTING_PRIVATE "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e5f"
/* IdentityKeyPairStructure {1: public, 2: private} */
#define VALID_PAIR "0a21" COUNTING_PUBLIC "1220" COUNTING_PRIVATE

/* Spec 1.1: 00 01 .. 1e 1f loads as 00 01 .. 1e 5f. */
static void
test_private_key_clamped (void)
{
  SpPrivateKey key;
  uint8_t all_ones[32];

  g_assert_cmpint (sp_private_key_decode (&key, counting, sizeof counting), ==, SP_OK);
  test_assert_hex (key.bytes, sizeof key.bytes, COUNTING_PRIVATE);

  memset (all_ones, 0xff, sizeof all_ones);
  g_assert_cmpint (sp_private_key_decode (&key, all_ones, sizeof all_ones), ==, SP_OK);
  test_assert_hex (key.bytes, sizeof key.bytes,
                   "f8ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
}

static void
test_private_key_length (void)
{
  SpPrivateKey key;
  uint8_t bytes[33] = { 0 };

  memset (&key, 0xaa, sizeof key);
  g_assert_cmpint (sp_private_key_decode (&key, bytes, 31), ==, SP_ERR_INVALID_KEY);
  g_assert_cmpint (sp_private_key_decode (&key, bytes, 33), ==, SP_ERR_INVALID_KEY);
  g_assert_cmpint (sp_private_key_decode (&key, NULL, 0), ==, SP_ERR_INVALID_KEY);
  g_assert_cmpint (sp_private_key_decode (&key, NULL, 32), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpuint (key.bytes[0], ==, 0xaa);
}

static void
test_key_pair_from_private (void)
{
  SpKeyPair pair;

  g_assert_cmpint (sp_key_pair_from_private (&pair, counting, sizeof counting), ==, SP_OK);
  test_assert_hex (pair.public_key.bytes, SP_PUBLIC_KEY_SIZE, COUNTING_PUBLIC);
  test_assert_hex (pair.private_key.bytes, SP_PRIVATE_KEY_SIZE, COUNTING_PRIVATE);
}

/* Public keys come from Ed25519's fixed-base multiplication mapped back
 * to Montgomery form; they must be X25519's, for random private keys and
 * for the smallest and largest clamped ones. */
static void
test_key_pair_matches_x25519 (void)
{
  uint8_t private_key[32], expected[32];
  SpKeyPair pair;

  for (int round = 0; round < 258; round++)
    {
      if (round == 0)
        memset (private_key, 0, sizeof private_key);
      else if (round == 1)
        memset (private_key, 0xff, sizeof private_key);
      else
        randombytes_buf (private_key, sizeof private_key);

      g_assert_cmpint (sp_key_pair_from_private (&pair, private_key, sizeof private_key), ==, SP_OK);
      g_assert_cmpint (crypto_scalarmult_base (expected, pair.private_key.bytes), ==, 0);
      g_assert_cmpuint (pair.public_key.bytes[0], ==, SP_KEY_TYPE_DJB);
      g_assert_cmpmem (pair.public_key.bytes + 1, 32, expected, 32);
    }
  sodium_memzero (&pair, sizeof pair);
  sodium_memzero (private_key, sizeof private_key);
}

static void
test_key_pair_from_parts (void)
{
  uint8_t public_bytes[SP_PUBLIC_KEY_SIZE + 1];
  SpKeyPair pair, untouched;

  test_unhex (public_bytes, SP_PUBLIC_KEY_SIZE, COUNTING_PUBLIC);
  public_bytes[SP_PUBLIC_KEY_SIZE] = 0;
  g_assert_cmpint (sp_key_pair_from_parts (&pair, public_bytes, SP_PUBLIC_KEY_SIZE,
                                           counting, sizeof counting), ==, SP_OK);
  test_assert_hex (pair.public_key.bytes, SP_PUBLIC_KEY_SIZE, COUNTING_PUBLIC);
  test_assert_hex (pair.private_key.bytes, SP_PRIVATE_KEY_SIZE, COUNTING_PRIVATE);

  memset (&untouched, 0xaa, sizeof untouched);
  pair = untouched;
  /* Stored records carry exactly 33 bytes. */
  g_assert_cmpint (sp_key_pair_from_parts (&pair, public_bytes, SP_PUBLIC_KEY_SIZE + 1,
                                           counting, sizeof counting), ==, SP_ERR_INVALID_KEY);
  g_assert_cmpint (sp_key_pair_from_parts (&pair, public_bytes, SP_PUBLIC_KEY_SIZE,
                                           counting, sizeof counting - 1), ==, SP_ERR_INVALID_KEY);
  public_bytes[5] ^= 0x01;
  g_assert_cmpint (sp_key_pair_from_parts (&pair, public_bytes, SP_PUBLIC_KEY_SIZE,
                                           counting, sizeof counting), ==, SP_ERR_INVALID_KEY);
  g_assert_cmpmem (&pair, sizeof pair, &untouched, sizeof untouched);
}

static void
test_public_key_decode (void)
{
  uint8_t bytes[40];
  SpPublicKey key, untouched;

  test_unhex (bytes, SP_PUBLIC_KEY_SIZE, COUNTING_PUBLIC);
  memset (bytes + SP_PUBLIC_KEY_SIZE, 0x77, sizeof bytes - SP_PUBLIC_KEY_SIZE);

  g_assert_cmpint (sp_public_key_decode (&key, bytes, SP_PUBLIC_KEY_SIZE), ==, SP_OK);
  test_assert_hex (key.bytes, SP_PUBLIC_KEY_SIZE, COUNTING_PUBLIC);

  /* Trailing bytes are tolerated and dropped, as in libsignal. */
  memset (&key, 0, sizeof key);
  g_assert_cmpint (sp_public_key_decode (&key, bytes, sizeof bytes), ==, SP_OK);
  test_assert_hex (key.bytes, SP_PUBLIC_KEY_SIZE, COUNTING_PUBLIC);

  memset (&untouched, 0xaa, sizeof untouched);
  key = untouched;
  /* A bare 32-byte key: its first byte is read as the type. */
  g_assert_cmpint (sp_public_key_decode (&key, bytes + 1, 32), ==, SP_ERR_INVALID_KEY);
  g_assert_cmpint (sp_public_key_decode (&key, bytes, 32), ==, SP_ERR_INVALID_KEY);
  g_assert_cmpint (sp_public_key_decode (&key, bytes, 0), ==, SP_ERR_INVALID_KEY);
  bytes[0] = 0x08;
  g_assert_cmpint (sp_public_key_decode (&key, bytes, SP_PUBLIC_KEY_SIZE), ==, SP_ERR_INVALID_KEY);
  g_assert_cmpmem (&key, sizeof key, &untouched, sizeof untouched);
}

static void
test_generate (void)
{
  SpKeyPair *pair = sodium_malloc (sizeof *pair);
  SpKeyPair *other = sodium_malloc (sizeof *other);
  SpKeyPair again;

  g_assert_cmpint (sp_key_pair_generate (pair), ==, SP_OK);
  g_assert_cmpint (sp_key_pair_generate (other), ==, SP_OK);
  g_assert_true (memcmp (pair->private_key.bytes, other->private_key.bytes, SP_PRIVATE_KEY_SIZE) != 0);

  /* Stored clamped, and the public half is the one the private derives. */
  g_assert_cmpuint (pair->private_key.bytes[0] & 0x07, ==, 0);
  g_assert_cmpuint (pair->private_key.bytes[31] & 0xc0, ==, 0x40);
  g_assert_cmpint (sp_key_pair_from_private (&again, pair->private_key.bytes, SP_PRIVATE_KEY_SIZE), ==, SP_OK);
  g_assert_cmpmem (again.public_key.bytes, SP_PUBLIC_KEY_SIZE, pair->public_key.bytes, SP_PUBLIC_KEY_SIZE);
  g_assert_cmpint (sp_public_key_check_canonical (&pair->public_key), ==, SP_OK);

  sodium_memzero (&again, sizeof again);
  sodium_free (pair);
  sodium_free (other);
}

/* libsignal's own agreement vector (rust/core curve25519 tests). */
static void
test_dh_known_answer (void)
{
  SpKeyPair alice, bob;
  uint8_t private_key[32], shared_ab[SP_DH_SIZE], shared_ba[SP_DH_SIZE];

  test_unhex (private_key, 32, "c806439dc9d2c476ffed8f2580c0888d58ab406bf7ae3698879021b96bb4bf59");
  g_assert_cmpint (sp_key_pair_from_private (&alice, private_key, 32), ==, SP_OK);
  test_assert_hex (alice.public_key.bytes, SP_PUBLIC_KEY_SIZE,
                   "051bb75966f2e93a3691dfff942bb2a466a1c08b8d78ca3f4d6df8b8bfa2e4ee28");
  test_unhex (private_key, 32, "b03b34c33a1c44f225b662d2bf4859b8135411fa7b0386d45fb75dc5b91b4466");
  g_assert_cmpint (sp_key_pair_from_private (&bob, private_key, 32), ==, SP_OK);
  test_assert_hex (bob.public_key.bytes, SP_PUBLIC_KEY_SIZE,
                   "05653614993d2b15ee9e5fd3d86ce719ef4ec1daae1886a87b3f5fa9565a27a22f");

  g_assert_cmpint (sp_dh (shared_ab, &alice.private_key, &bob.public_key), ==, SP_OK);
  g_assert_cmpint (sp_dh (shared_ba, &bob.private_key, &alice.public_key), ==, SP_OK);
  test_assert_hex (shared_ab, sizeof shared_ab, "325f239328941ced6e673b86ba41017448e99b649a9c3806c1dd7ca4c477e629");
  g_assert_cmpmem (shared_ab, sizeof shared_ab, shared_ba, sizeof shared_ba);

  sodium_memzero (&alice, sizeof alice);
  sodium_memzero (&bob, sizeof bob);
}

/* Low-order peer keys make an all-zero secret, which is refused without
 * writing the output. */
static void
test_dh_low_order (void)
{
  const char *low_order[] = {
    "050000000000000000000000000000000000000000000000000000000000000000",
    "050100000000000000000000000000000000000000000000000000000000000000",
    "05e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "05ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  };
  SpKeyPair pair;
  SpPublicKey peer;
  uint8_t out[SP_DH_SIZE];

  g_assert_cmpint (sp_key_pair_from_private (&pair, counting, sizeof counting), ==, SP_OK);
  for (size_t i = 0; i < G_N_ELEMENTS (low_order); i++)
    {
      public_key_from_hex (&peer, low_order[i]);
      memset (out, 0xaa, sizeof out);
      g_assert_cmpint (sp_dh (out, &pair.private_key, &peer), ==, SP_ERR_INVALID_KEY);
      for (size_t j = 0; j < sizeof out; j++)
        g_assert_cmpuint (out[j], ==, 0xaa);
    }
  sodium_memzero (&pair, sizeof pair);
}

static void
test_canonical_accepts (void)
{
  SpPublicKey key;

  public_key_from_hex (&key, COUNTING_PUBLIC);
  g_assert_cmpint (sp_public_key_check_canonical (&key), ==, SP_OK);
  /* u = 9, the base point. */
  public_key_from_hex (&key, "050900000000000000000000000000000000000000000000000000000000000000");
  g_assert_cmpint (sp_public_key_check_canonical (&key), ==, SP_OK);
}

static void
test_canonical_rejects (void)
{
  const char *rejected[] = {
    /* the valid key above with bit 255 set */
    "058f40c5adb68f25624ae5b214ea767a6ec94d829d3d7b5e1ad1ba6f3e213828df",
    /* u = p and u = p + 1 (aliases of 0 and 1), and u = 2^255 - 1 */
    "05edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "05eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "05ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    /* u = p - 1 = -1, where the map to Edwards is undefined */
    "05ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    /* u = 0, a point of order 2 */
    "050000000000000000000000000000000000000000000000000000000000000000",
    /* a point of order 8 */
    "05e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    /* the valid key plus a point of order 8: on the curve, not torsion-free */
    "0549d23b715a4d7187ac7564bc27da0ec7988aa4c3fa59c2f66adab4d76b4ef129",
    /* u = 2 lies on the twist, not on the curve */
    "050200000000000000000000000000000000000000000000000000000000000000",
  };
  SpPublicKey key;

  for (size_t i = 0; i < G_N_ELEMENTS (rejected); i++)
    {
      public_key_from_hex (&key, rejected[i]);
      g_assert_cmpint (sp_public_key_check_canonical (&key), ==, SP_ERR_INVALID_KEY);
    }
}

/* The largest u below p whose point is torsion-free is p - 16; the same
 * u with bit 255 set is out of range. */
static void
test_canonical_boundary (void)
{
  SpPublicKey key;

  public_key_from_hex (&key, "05ddffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  g_assert_cmpint (sp_public_key_check_canonical (&key), ==, SP_OK);
  key.bytes[32] |= 0x80;
  g_assert_cmpint (sp_public_key_check_canonical (&key), ==, SP_ERR_INVALID_KEY);
}

static void
test_identity_key_pair_round_trip (void)
{
  SpKeyPair pair, decoded;
  uint8_t encoded[SP_IDENTITY_KEY_PAIR_ENCODED_SIZE + 8];
  size_t len = 0;

  g_assert_cmpint (sp_key_pair_from_private (&pair, counting, sizeof counting), ==, SP_OK);
  g_assert_cmpint (sp_identity_key_pair_encode (&pair, encoded, sizeof encoded, &len), ==, SP_OK);
  g_assert_cmpuint (len, ==, SP_IDENTITY_KEY_PAIR_ENCODED_SIZE);
  test_assert_hex (encoded, len, VALID_PAIR);

  g_assert_cmpint (sp_identity_key_pair_decode (&decoded, encoded, len), ==, SP_OK);
  g_assert_cmpmem (&decoded, sizeof decoded, &pair, sizeof pair);

  /* Field order is free in protobuf. */
  {
    uint8_t swapped[SP_IDENTITY_KEY_PAIR_ENCODED_SIZE];

    memcpy (swapped, encoded + 35, 34);
    memcpy (swapped + 34, encoded, 35);
    memset (&decoded, 0, sizeof decoded);
    g_assert_cmpint (sp_identity_key_pair_decode (&decoded, swapped, sizeof swapped), ==, SP_OK);
    g_assert_cmpmem (&decoded, sizeof decoded, &pair, sizeof pair);
  }

  sodium_memzero (&pair, sizeof pair);
  sodium_memzero (&decoded, sizeof decoded);
}

static void
test_identity_key_pair_short_buffer (void)
{
  SpKeyPair pair;
  uint8_t encoded[SP_IDENTITY_KEY_PAIR_ENCODED_SIZE - 1];
  size_t len = 12345;

  g_assert_cmpint (sp_key_pair_from_private (&pair, counting, sizeof counting), ==, SP_OK);
  memset (encoded, 0xaa, sizeof encoded);
  g_assert_cmpint (sp_identity_key_pair_encode (&pair, encoded, sizeof encoded, &len), ==, SP_ERR_BUFFER_TOO_SMALL);
  g_assert_cmpuint (len, ==, 12345);
  for (size_t i = 0; i < sizeof encoded; i++)
    g_assert_cmpuint (encoded[i], ==, 0xaa);
}

static void
test_identity_key_pair_rejects (void)
{
  const char *cases[] = {
    "",
    /* only one of the two fields */
    "0a21" COUNTING_PUBLIC,
    /* a duplicated field */
    VALID_PAIR "1220" COUNTING_PRIVATE,
    /* an unknown field */
    VALID_PAIR "1801",
    /* trailing garbage */
    VALID_PAIR "00",
    /* the private key as a varint */
    "0a21" COUNTING_PUBLIC "1000",
    /* a public key of 34 bytes */
    "0a22" COUNTING_PUBLIC "00" "1220" COUNTING_PRIVATE,
    /* a private key of 31 bytes */
    "0a21" COUNTING_PUBLIC "121f000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
    /* a public key that is not the private key's */
    "0a21058f40c5adb68f25624ae5b214ea767a6ec94d829d3d7b5e1ad1ba6f3e2138285e" "1220" COUNTING_PRIVATE,
    /* the wrong key type byte */
    "0a21068f40c5adb68f25624ae5b214ea767a6ec94d829d3d7b5e1ad1ba6f3e2138285f" "1220" COUNTING_PRIVATE,
  };
  SpKeyPair out, untouched;
  uint8_t bytes[256];
  size_t valid_len = strlen (VALID_PAIR) / 2;

  memset (&untouched, 0xaa, sizeof untouched);
  out = untouched;

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      size_t len = strlen (cases[i]) / 2;

      test_unhex (bytes, len, cases[i]);
      g_assert_cmpint (sp_identity_key_pair_decode (&out, bytes, len), ==, SP_ERR_MALFORMED);
    }

  /* Every truncation of a valid encoding fails. */
  test_unhex (bytes, valid_len, VALID_PAIR);
  for (size_t len = 0; len < valid_len; len++)
    g_assert_cmpint (sp_identity_key_pair_decode (&out, bytes, len), ==, SP_ERR_MALFORMED);

  g_assert_cmpmem (&out, sizeof out, &untouched, sizeof untouched);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/protocol/keys/private/clamped", test_private_key_clamped);
  g_test_add_func ("/protocol/keys/private/length", test_private_key_length);
  g_test_add_func ("/protocol/keys/pair/from-private", test_key_pair_from_private);
  g_test_add_func ("/protocol/keys/pair/matches-x25519", test_key_pair_matches_x25519);
  g_test_add_func ("/protocol/keys/pair/from-parts", test_key_pair_from_parts);
  g_test_add_func ("/protocol/keys/public/decode", test_public_key_decode);
  g_test_add_func ("/protocol/keys/pair/generate", test_generate);
  g_test_add_func ("/protocol/keys/dh/known-answer", test_dh_known_answer);
  g_test_add_func ("/protocol/keys/dh/low-order", test_dh_low_order);
  g_test_add_func ("/protocol/keys/canonical/accepts", test_canonical_accepts);
  g_test_add_func ("/protocol/keys/canonical/rejects", test_canonical_rejects);
  g_test_add_func ("/protocol/keys/canonical/boundary", test_canonical_boundary);
  g_test_add_func ("/protocol/keys/identity/round-trip", test_identity_key_pair_round_trip);
  g_test_add_func ("/protocol/keys/identity/short-buffer", test_identity_key_pair_short_buffer);
  g_test_add_func ("/protocol/keys/identity/rejects", test_identity_key_pair_rejects);

  return g_test_run ();
}
