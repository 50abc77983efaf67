/* test-kyber1024-ct.c: Kyber1024 does not branch on secrets
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Run under valgrind's memcheck (see meson.build).  Every secret input is
 * marked undefined before the call: memcheck then tracks everything
 * computed from it and reports "Conditional jump or move depends on
 * uninitialised value(s)" for a branch on it and "Use of uninitialised
 * value" for a memory address computed from it, which is exactly a
 * timing leak.  Outputs are marked defined again only just before the
 * test checks them.  The library is compiled for this test with
 * SP_KYBER_CT_TESTING, which declares the seed rho defined once it is
 * known to be public (it is part of the public key).
 *
 * libgcrypt's SHA-3 and SHAKE, which hash the secrets, report nothing:
 * the Keccak permutation is straight-line code and the sponge only
 * branches on lengths, which are fixed.
 *
 * Outside valgrind the client requests do nothing and the test is an
 * ordinary functional test.
 */

#include <glib.h>
#include <sodium.h>
#include <string.h>
#include <valgrind/memcheck.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-kyber1024.h"

typedef struct {
  uint8_t public_key[SP_KYBER_PUBLIC_KEY_SIZE];
  uint8_t *secret_key;  /* sodium_malloc */
} KeyPair;

static void
make_secret (void   *ptr,
             size_t  len)
{
  (void) VALGRIND_MAKE_MEM_UNDEFINED (ptr, len);
}

static void
make_public (void   *ptr,
             size_t  len)
{
  (void) VALGRIND_MAKE_MEM_DEFINED (ptr, len);
}

static void
fixed_keypair (KeyPair *pair)
{
  uint8_t seed[SP_KYBER1024_SEED_BYTES];

  for (size_t i = 0; i < sizeof seed; i++)
    seed[i] = (uint8_t) (3 * i + 1);
  pair->secret_key = sodium_malloc (SP_KYBER_SECRET_KEY_SIZE);
  g_assert_nonnull (pair->secret_key);
  g_assert_cmpint (sp_kyber1024_keypair_from_seed (pair->public_key, pair->secret_key, seed), ==, SP_OK);
}

static void
test_keypair_from_seed (void)
{
  KeyPair expected;
  uint8_t seed[SP_KYBER1024_SEED_BYTES];
  uint8_t public_key[SP_KYBER_PUBLIC_KEY_SIZE];
  uint8_t *secret_key = sodium_malloc (SP_KYBER_SECRET_KEY_SIZE);
  int ret;

  g_assert_nonnull (secret_key);
  fixed_keypair (&expected);

  for (size_t i = 0; i < sizeof seed; i++)
    seed[i] = (uint8_t) (3 * i + 1);
  make_secret (seed, sizeof seed);
  ret = sp_kyber1024_keypair_from_seed (public_key, secret_key, seed);
  g_assert_cmpint (ret, ==, SP_OK);

  make_public (public_key, sizeof public_key);
  make_public (secret_key, SP_KYBER_SECRET_KEY_SIZE);
  g_assert_cmpmem (public_key, sizeof public_key, expected.public_key, sizeof expected.public_key);
  g_assert_cmpmem (secret_key, SP_KYBER_SECRET_KEY_SIZE, expected.secret_key, SP_KYBER_SECRET_KEY_SIZE);

  sodium_free (secret_key);
  sodium_free (expected.secret_key);
}

static void
test_encapsulate (void)
{
  KeyPair pair;
  uint8_t m[SP_KYBER1024_ENCAPS_RANDOM_BYTES];
  uint8_t expected_ct[SP_KYBER_CIPHERTEXT_SIZE];
  uint8_t expected_ss[SP_KYBER1024_SHARED_SECRET_BYTES];
  uint8_t ct[SP_KYBER_CIPHERTEXT_SIZE];
  uint8_t ss[SP_KYBER1024_SHARED_SECRET_BYTES];
  int ret;

  fixed_keypair (&pair);
  memset (m, 0xc3, sizeof m);
  g_assert_cmpint (sp_kyber1024_encapsulate (expected_ct, expected_ss, pair.public_key,
                                             sizeof pair.public_key, m), ==, SP_OK);

  make_secret (m, sizeof m);
  ret = sp_kyber1024_encapsulate (ct, ss, pair.public_key, sizeof pair.public_key, m);
  g_assert_cmpint (ret, ==, SP_OK);

  make_public (ct, sizeof ct);
  make_public (ss, sizeof ss);
  g_assert_cmpmem (ct, sizeof ct, expected_ct, sizeof expected_ct);
  g_assert_cmpmem (ss, sizeof ss, expected_ss, sizeof expected_ss);

  sodium_free (pair.secret_key);
}

/* Decapsulates @ct with the secret part of the key marked undefined: all
 * of it but the type byte, which is format metadata checked before any
 * secret is touched.  The result must match a run on defined data. */
static void
check_decapsulate (KeyPair       *pair,
                   const uint8_t  ct[SP_KYBER_CIPHERTEXT_SIZE])
{
  uint8_t expected[SP_KYBER1024_SHARED_SECRET_BYTES];
  uint8_t ss[SP_KYBER1024_SHARED_SECRET_BYTES];
  int ret;

  g_assert_cmpint (sp_kyber1024_decapsulate (expected, pair->secret_key, SP_KYBER_SECRET_KEY_SIZE,
                                             ct, SP_KYBER_CIPHERTEXT_SIZE), ==, SP_OK);

  make_secret (pair->secret_key + 1, SP_KYBER1024_SECRET_KEY_BYTES);
  ret = sp_kyber1024_decapsulate (ss, pair->secret_key, SP_KYBER_SECRET_KEY_SIZE,
                                  ct, SP_KYBER_CIPHERTEXT_SIZE);
  make_public (pair->secret_key, SP_KYBER_SECRET_KEY_SIZE);
  g_assert_cmpint (ret, ==, SP_OK);

  make_public (ss, sizeof ss);
  g_assert_cmpmem (ss, sizeof ss, expected, sizeof expected);
}

static void
test_decapsulate (void)
{
  static const size_t flips[] = { 1, 900, 1409, SP_KYBER_CIPHERTEXT_SIZE - 1 };
  KeyPair pair;
  uint8_t m[SP_KYBER1024_ENCAPS_RANDOM_BYTES];
  uint8_t ct[SP_KYBER_CIPHERTEXT_SIZE];
  uint8_t sent[SP_KYBER1024_SHARED_SECRET_BYTES];
  uint8_t received[SP_KYBER1024_SHARED_SECRET_BYTES];

  fixed_keypair (&pair);
  memset (m, 0x3c, sizeof m);
  g_assert_cmpint (sp_kyber1024_encapsulate (ct, sent, pair.public_key, sizeof pair.public_key, m),
                   ==, SP_OK);

  /* A valid ciphertext takes the re-encryption-matches path. */
  check_decapsulate (&pair, ct);
  g_assert_cmpint (sp_kyber1024_decapsulate (received, pair.secret_key, SP_KYBER_SECRET_KEY_SIZE,
                                             ct, sizeof ct), ==, SP_OK);
  g_assert_cmpmem (received, sizeof received, sent, sizeof sent);

  /* Modified ciphertexts take the implicit-rejection path. */
  for (size_t i = 0; i < G_N_ELEMENTS (flips); i++)
    {
      uint8_t modified[SP_KYBER_CIPHERTEXT_SIZE];

      memcpy (modified, ct, sizeof ct);
      modified[flips[i]] ^= 0x10;
      check_decapsulate (&pair, modified);
      g_assert_cmpint (sp_kyber1024_decapsulate (received, pair.secret_key, SP_KYBER_SECRET_KEY_SIZE,
                                                 modified, sizeof modified), ==, SP_OK);
      g_assert_false (memcmp (received, sent, sizeof sent) == 0);
    }

  /* So does a ciphertext that is noise from end to end. */
  randombytes_buf (ct + 1, SP_KYBER1024_CIPHERTEXT_BYTES);
  check_decapsulate (&pair, ct);

  sodium_free (pair.secret_key);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/protocol/kyber1024-ct/keypair-from-seed", test_keypair_from_seed);
  g_test_add_func ("/protocol/kyber1024-ct/encapsulate", test_encapsulate);
  g_test_add_func ("/protocol/kyber1024-ct/decapsulate", test_decapsulate);

  return g_test_run ();
}
