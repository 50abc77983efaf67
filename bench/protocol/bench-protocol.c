/* bench-protocol.c: throughput of the session core's primitives
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Prints one line per operation, "<name> <operations per second>", in
 * the format bench-libsignal.mjs prints for libsignal, so that run.sh can
 * put the two side by side.  Usage: bench-protocol [SECONDS]; each
 * operation runs for about SECONDS (default 2) after a short warm-up. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sp-error.h"
#include "sp-fingerprint.h"
#include "sp-init.h"
#include "sp-keys.h"
#include "sp-kyber1024.h"
#include "sp-xeddsa.h"

/* What every operation works on, prepared once so that the timed loops
 * measure the operation and nothing else. */
typedef struct {
  SpKeyPair identity;
  SpKeyPair remote;
  uint8_t message[SP_PUBLIC_KEY_SIZE];
  uint8_t signature[SP_SIGNATURE_SIZE];
  uint8_t kyber_public[SP_KYBER_PUBLIC_KEY_SIZE];
  uint8_t kyber_secret[SP_KYBER_SECRET_KEY_SIZE];
  uint8_t ciphertext[SP_KYBER_CIPHERTEXT_SIZE];
} Fixture;

typedef int (*Operation) (Fixture *fixture);

static int
xeddsa_sign (Fixture *fixture)
{
  uint8_t signature[SP_SIGNATURE_SIZE];

  return sp_xeddsa_sign (signature, &fixture->identity.private_key,
                         fixture->message, sizeof fixture->message, NULL);
}

static int
xeddsa_verify (Fixture *fixture)
{
  return sp_xeddsa_verify (&fixture->identity.public_key,
                           fixture->message, sizeof fixture->message,
                           fixture->signature, sizeof fixture->signature);
}

static int
fingerprint (Fixture *fixture)
{
  static const uint8_t local_id[] = "+14152222222";
  static const uint8_t remote_id[] = "+14153333333";
  SpFingerprint result;

  return sp_fingerprint_create (&result, SP_FINGERPRINT_ITERATIONS, SP_FINGERPRINT_VERSION,
                                local_id, sizeof local_id - 1, &fixture->identity.public_key,
                                remote_id, sizeof remote_id - 1, &fixture->remote.public_key);
}

static int
kyber_keypair (Fixture *fixture)
{
  uint8_t public_key[SP_KYBER_PUBLIC_KEY_SIZE];
  uint8_t secret_key[SP_KYBER_SECRET_KEY_SIZE];
  int rc = sp_kyber1024_keypair (public_key, secret_key);

  sodium_memzero (secret_key, sizeof secret_key);
  return rc;
}

static int
kyber_encapsulate (Fixture *fixture)
{
  uint8_t ciphertext[SP_KYBER_CIPHERTEXT_SIZE];
  uint8_t shared_secret[SP_KYBER1024_SHARED_SECRET_BYTES];
  int rc = sp_kyber1024_encapsulate (ciphertext, shared_secret, fixture->kyber_public,
                                     sizeof fixture->kyber_public, NULL);

  sodium_memzero (shared_secret, sizeof shared_secret);
  return rc;
}

static int
kyber_decapsulate (Fixture *fixture)
{
  uint8_t shared_secret[SP_KYBER1024_SHARED_SECRET_BYTES];
  int rc = sp_kyber1024_decapsulate (shared_secret, fixture->kyber_secret, sizeof fixture->kyber_secret,
                                     fixture->ciphertext, sizeof fixture->ciphertext);

  sodium_memzero (shared_secret, sizeof shared_secret);
  return rc;
}

static const struct {
  const char *name;
  Operation operation;
} operations[] = {
  { "xeddsa_sign", xeddsa_sign },
  { "xeddsa_verify", xeddsa_verify },
  { "fingerprint", fingerprint },
  { "kyber_keypair", kyber_keypair },
  { "kyber_encapsulate", kyber_encapsulate },
  { "kyber_decapsulate", kyber_decapsulate },
};

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Runs @operation for about @seconds after a short warm-up and stores
 * operations per second in @rate, as 1 / the median time of one
 * operation: a busy machine disturbs the median less than the mean. */
static int
measure (Operation  operation,
         Fixture   *fixture,
         double     seconds,
         double    *rate)
{
  size_t count = 0, capacity = 1024;
  double *samples = malloc (capacity * sizeof *samples);
  double end;
  int rc = SP_OK;

  if (samples == NULL)
    return SP_ERR_NO_MEMORY;

  /* Warm caches and the CPU clock before timing. */
  for (int i = 0; i < 3 && rc == SP_OK; i++)
    rc = operation (fixture);

  end = now () + seconds;
  while (rc == SP_OK && (count == 0 || now () < end))
    {
      double before = now (), after;

      rc = operation (fixture);
      after = now ();
      if (count == capacity)
        {
          double *grown = realloc (samples, 2 * capacity * sizeof *samples);

          if (grown == NULL)
            {
              rc = SP_ERR_NO_MEMORY;
              break;
            }
          samples = grown;
          capacity *= 2;
        }
      samples[count++] = after - before;
    }

  if (rc == SP_OK)
    {
      qsort (samples, count, sizeof *samples, compare_doubles);
      *rate = 1.0 / samples[count / 2];
    }
  free (samples);
  return rc;
}

static int
prepare (Fixture *fixture)
{
  uint8_t shared_secret[SP_KYBER1024_SHARED_SECRET_BYTES];
  int rc;

  randombytes_buf (fixture->message, sizeof fixture->message);
  if ((rc = sp_key_pair_generate (&fixture->identity)) == SP_OK
      && (rc = sp_key_pair_generate (&fixture->remote)) == SP_OK
      && (rc = sp_xeddsa_sign (fixture->signature, &fixture->identity.private_key,
                               fixture->message, sizeof fixture->message, NULL)) == SP_OK
      && (rc = sp_kyber1024_keypair (fixture->kyber_public, fixture->kyber_secret)) == SP_OK)
    rc = sp_kyber1024_encapsulate (fixture->ciphertext, shared_secret, fixture->kyber_public,
                                   sizeof fixture->kyber_public, NULL);

  sodium_memzero (shared_secret, sizeof shared_secret);
  return rc;
}

int
main (int   argc,
      char *argv[])
{
  double seconds = 2.0;
  Fixture *fixture;
  int status = EXIT_SUCCESS;
  int rc;

  if (argc > 2 || (argc == 2 && (seconds = strtod (argv[1], NULL)) <= 0.0))
    {
      fprintf (stderr, "Usage: %s [SECONDS]\n", argv[0]);
      return EXIT_FAILURE;
    }

  if (sp_init () != SP_OK)
    {
      fprintf (stderr, "bench-protocol: the cryptographic libraries failed to initialise\n");
      return EXIT_FAILURE;
    }

  /* The fixture holds private keys: guarded memory, as the core asks. */
  fixture = sodium_malloc (sizeof *fixture);
  if (fixture == NULL)
    {
      fprintf (stderr, "bench-protocol: out of memory\n");
      return EXIT_FAILURE;
    }

  if ((rc = prepare (fixture)) != SP_OK)
    {
      fprintf (stderr, "bench-protocol: preparing the inputs failed: %s\n", sp_strerror (rc));
      sodium_free (fixture);
      return EXIT_FAILURE;
    }

  for (size_t i = 0; i < sizeof operations / sizeof operations[0]; i++)
    {
      double rate = 0.0;

      if ((rc = measure (operations[i].operation, fixture, seconds, &rate)) != SP_OK)
        {
          fprintf (stderr, "bench-protocol: %s failed: %s\n", operations[i].name, sp_strerror (rc));
          status = EXIT_FAILURE;
          continue;
        }
      printf ("%s %.1f\n", operations[i].name, rate);
      fflush (stdout);
    }

  sodium_free (fixture);
  return status;
}
