/* bench-session.c: established-session messages and session setups
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Prints "<name> <operations per second>" lines, as bench-protocol does,
 * for run-session.sh to put beside libsignal and libolm.
 * Usage: bench-session [SECONDS]
 *        bench-session --setups N
 *
 * The second form runs N setups and nothing else, so that callgrind can
 * count their instructions (docs/protocol.md, "Session performance").
 *
 * Each figure is the best of ROUNDS rounds that together last about
 * SECONDS: on a shared machine the best round is the one least disturbed
 * by other work, and the three programs are compared the same way.
 *
 *   session_message  one 100-byte message encrypted by Alice and decrypted
 *                    by Bob over an established session, through the
 *                    in-memory store (the record copied out and back in
 *                    for each operation)
 *   session_setup    Alice processes Bob's bundle (both signatures,
 *                    PQXDH with Kyber1024) and encrypts a first message;
 *                    Bob decrypts it (PQXDH, first DH ratchet step).
 *                    Fresh stores every time; making them is not timed.
 */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-keys.h"
#include "sp-message.h"
#include "sp-prekeys.h"
#include "sp-session.h"
#include "sp-store.h"

#define MESSAGE_SIZE 100
#define ROUNDS 5

/* Long-term keys, made once.  The setups use Bob's signed prekey and his
 * last-resort Kyber prekey, so that nothing runs out. */
typedef struct {
  SpKeyPair alice_identity;
  SpKeyPair bob_identity;
  SpSignedPreKey signed_pre_key;
  SpKyberPreKey kyber_pre_key;
  SpPreKeyBundle bundle;
} Keys;

typedef struct {
  SpMemoryStore *memory;
  SpStore store;
  SpSessionCipher *cipher;
} Side;

static const SpAddress alice_address = { "alice", 1 };
static const SpAddress bob_address = { "bob", 1 };

static double
now_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int
keys_init (Keys *keys)
{
  int rc;

  if ((rc = sp_key_pair_generate (&keys->alice_identity)) != SP_OK
      || (rc = sp_key_pair_generate (&keys->bob_identity)) != SP_OK
      || (rc = sp_signed_pre_key_generate (&keys->signed_pre_key, &keys->bob_identity.private_key, 1, 0)) != SP_OK
      || (rc = sp_kyber_pre_key_generate (&keys->kyber_pre_key, &keys->bob_identity.private_key, 2, 0)) != SP_OK)
    return rc;

  return sp_pre_key_bundle_init (&keys->bundle, 2, bob_address.device_id, &keys->bob_identity.public_key,
                                 &keys->signed_pre_key, &keys->kyber_pre_key, NULL);
}

static void
side_clear (Side *side)
{
  sp_session_cipher_free (side->cipher);
  sp_memory_store_free (side->memory);
  memset (side, 0, sizeof *side);
}

static int
side_init (Side       *side,
           const Keys *keys,
           bool        is_bob)
{
  int rc;

  memset (side, 0, sizeof *side);
  rc = sp_memory_store_new (&side->memory, is_bob ? &keys->bob_identity : &keys->alice_identity,
                            is_bob ? 2 : 1);
  if (rc == SP_OK)
    rc = sp_memory_store_get_interface (side->memory, &side->store);
  if (rc == SP_OK && is_bob)
    rc = sp_memory_store_add_signed_pre_key (side->memory, &keys->signed_pre_key);
  if (rc == SP_OK && is_bob)
    rc = sp_memory_store_add_kyber_pre_key (side->memory, &keys->kyber_pre_key, true);
  if (rc == SP_OK)
    rc = sp_session_cipher_new (&side->cipher, &side->store,
                                is_bob ? &bob_address : &alice_address,
                                is_bob ? &alice_address : &bob_address);
  if (rc != SP_OK)
    side_clear (side);
  return rc;
}

/* Alice's message to Bob: encrypted, then decrypted. */
static int
message_round (Side *alice,
               Side *bob)
{
  static const uint8_t plaintext[MESSAGE_SIZE] = { 'x' };
  uint8_t ciphertext[SP_SESSION_CIPHERTEXT_MAX_SIZE (MESSAGE_SIZE)];
  uint8_t decrypted[sizeof ciphertext];
  size_t ciphertext_len;
  size_t decrypted_len;
  int type;
  int rc;

  rc = sp_session_cipher_encrypt (alice->cipher, plaintext, sizeof plaintext, ciphertext,
                                  sizeof ciphertext, &ciphertext_len, &type);
  if (rc == SP_OK)
    rc = sp_session_cipher_decrypt (bob->cipher, type, ciphertext, ciphertext_len, decrypted,
                                    sizeof decrypted, &decrypted_len);
  if (rc == SP_OK && (decrypted_len != sizeof plaintext || memcmp (decrypted, plaintext, sizeof plaintext) != 0))
    rc = SP_ERR_CRYPTO;
  return rc;
}

static int
setup (const Keys *keys,
       Side       *alice,
       Side       *bob,
       double     *elapsed)
{
  double start;
  int rc;

  if ((rc = side_init (alice, keys, false)) != SP_OK)
    return rc;
  if ((rc = side_init (bob, keys, true)) != SP_OK)
    {
      side_clear (alice);
      return rc;
    }

  start = now_seconds ();
  rc = sp_session_cipher_process_bundle (alice->cipher, &keys->bundle);
  if (rc == SP_OK)
    rc = message_round (alice, bob);
  *elapsed += now_seconds () - start;
  return rc;
}

static int
bench_setup (const Keys *keys,
             double      seconds,
             double     *rate)
{
  double warm = 0;
  Side alice;
  Side bob;
  int rc;

  for (int i = 0; i < 3; i++)
    {
      if ((rc = setup (keys, &alice, &bob, &warm)) != SP_OK)
        return rc;
      side_clear (&alice);
      side_clear (&bob);
    }

  *rate = 0;
  for (int round = 0; round < ROUNDS; round++)
    {
      double elapsed = 0;
      size_t n = 0;

      while (elapsed < seconds / ROUNDS)
        {
          rc = setup (keys, &alice, &bob, &elapsed);
          side_clear (&alice);
          side_clear (&bob);
          if (rc != SP_OK)
            return rc;
          n++;
        }
      if ((double) n / elapsed > *rate)
        *rate = (double) n / elapsed;
    }
  return SP_OK;
}

static int
bench_message (const Keys *keys,
               double      seconds,
               double     *rate)
{
  double elapsed = 0;
  Side alice;
  Side bob;
  int rc;

  rc = setup (keys, &alice, &bob, &elapsed);
  /* Bob's answer acknowledges the session, so Alice's messages are plain
   * SignalMessages from here on. */
  if (rc == SP_OK)
    rc = message_round (&bob, &alice);
  for (int i = 0; rc == SP_OK && i < 1000; i++)
    rc = message_round (&alice, &bob);

  *rate = 0;
  for (int round = 0; rc == SP_OK && round < ROUNDS; round++)
    {
      double start = now_seconds ();
      size_t n = 0;

      while (rc == SP_OK && (n % 256 != 0 || now_seconds () - start < seconds / ROUNDS))
        {
          rc = message_round (&alice, &bob);
          n++;
        }
      elapsed = now_seconds () - start;
      if ((double) n / elapsed > *rate)
        *rate = (double) n / elapsed;
    }
  side_clear (&alice);
  side_clear (&bob);
  return rc;
}

/* Session setups one after the other, untimed. */
static int
count_setups (const Keys *keys,
              long        n)
{
  double elapsed = 0;
  Side alice;
  Side bob;
  int rc = SP_OK;

  for (long i = 0; rc == SP_OK && i < n; i++)
    {
      rc = setup (keys, &alice, &bob, &elapsed);
      side_clear (&alice);
      side_clear (&bob);
    }
  return rc;
}

int
main (int   argc,
      char *argv[])
{
  bool count_only = argc == 3 && strcmp (argv[1], "--setups") == 0;
  double seconds = argc > 1 && !count_only ? strtod (argv[1], NULL) : 2.0;
  long setups = count_only ? strtol (argv[2], NULL, 10) : 0;
  Keys *keys;
  double rate;
  int rc;

  if ((argc > 2 && !count_only) || seconds <= 0 || (count_only && setups <= 0))
    {
      fprintf (stderr, "Usage: %s [SECONDS]\n       %s --setups N\n", argv[0], argv[0]);
      return EXIT_FAILURE;
    }
  if (sp_init () != SP_OK)
    {
      fprintf (stderr, "bench-session: the cryptographic libraries failed to initialise\n");
      return EXIT_FAILURE;
    }
  keys = sodium_malloc (sizeof *keys);
  if (keys == NULL || keys_init (keys) != SP_OK)
    {
      fprintf (stderr, "bench-session: preparing the keys failed\n");
      sodium_free (keys);
      return EXIT_FAILURE;
    }

  if (count_only)
    {
      if ((rc = count_setups (keys, setups)) != SP_OK)
        goto failed;
      printf ("setups %ld\n", setups);
      sodium_free (keys);
      return EXIT_SUCCESS;
    }

  if ((rc = bench_message (keys, seconds, &rate)) != SP_OK)
    goto failed;
  printf ("session_message %.1f\n", rate);
  if ((rc = bench_setup (keys, seconds, &rate)) != SP_OK)
    goto failed;
  printf ("session_setup %.1f\n", rate);

  sodium_free (keys);
  return EXIT_SUCCESS;

failed:
  fprintf (stderr, "bench-session: %s\n", sp_strerror (rc));
  sodium_free (keys);
  return EXIT_FAILURE;
}
