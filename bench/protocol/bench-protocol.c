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
#include "sp-sealed-sender.h"
#include "sp-sender-key.h"
#include "sp-store.h"
#include "sp-xeddsa.h"

/* The group operations' message: 100 bytes, as in the session bench. */
#define GROUP_PLAINTEXT_SIZE 100

/* The USMC of the sealed sender operations: a sender certificate and
 * the group message, with room for their fields' tags and lengths. */
#define SEALED_CONTENT_MAX_SIZE \
  (SP_SENDER_CERTIFICATE_MAX_SIZE (SP_SERVER_CERTIFICATE_MAX_SIZE) + 16 \
   + SP_GROUP_CIPHERTEXT_MAX_SIZE (GROUP_PLAINTEXT_SIZE))

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

  /* Groups: the sender works on the in-memory store, the receiver on a
   * store that always hands out the record it was prepared with and
   * forgets what is saved, so that it decrypts the same message again
   * and again, as bench-libsignal.mjs does. */
  uint8_t distribution_id[SP_DISTRIBUTION_ID_SIZE];
  uint8_t group_plaintext[GROUP_PLAINTEXT_SIZE];
  uint8_t group_message[SP_GROUP_CIPHERTEXT_MAX_SIZE (GROUP_PLAINTEXT_SIZE)];
  size_t group_message_len;
  SpAddress sender_address;
  SpMemoryStore *sender_store;
  SpGroupCipher *sender;
  SpSenderKeyRecord *receiver_record;
  SpGroupCipher *receiver;

  /* Sealed sender v1: the group message above as the inner message of a
   * USMC with a certificate for the sender, sealed to the remote key. */
  SpKeyPair trust_root;
  uint8_t usmc[SEALED_CONTENT_MAX_SIZE];
  size_t usmc_len;
  uint8_t sealed[SP_SEALED_SENDER_V1_SIZE (SEALED_CONTENT_MAX_SIZE)];
  size_t sealed_len;
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

static int
group_encrypt (Fixture *fixture)
{
  uint8_t message[SP_GROUP_CIPHERTEXT_MAX_SIZE (GROUP_PLAINTEXT_SIZE)];
  size_t len;

  return sp_group_cipher_encrypt (fixture->sender, fixture->distribution_id, fixture->group_plaintext,
                                  sizeof fixture->group_plaintext, message, sizeof message, &len);
}

static int
group_decrypt (Fixture *fixture)
{
  uint8_t plaintext[SP_GROUP_CIPHERTEXT_MAX_SIZE (GROUP_PLAINTEXT_SIZE)];
  size_t len;
  int rc = sp_group_cipher_decrypt (fixture->receiver, &fixture->sender_address, fixture->group_message,
                                    fixture->group_message_len, plaintext, sizeof plaintext, &len);

  sodium_memzero (plaintext, sizeof plaintext);
  return rc;
}

static int
sealed_v1_encrypt (Fixture *fixture)
{
  uint8_t sealed[sizeof fixture->sealed];
  size_t len;

  return sp_sealed_sender_encrypt_v1 (sealed, sizeof sealed, &len, &fixture->identity, &fixture->remote.public_key,
                                      fixture->usmc, fixture->usmc_len, NULL);
}

/* Opening and validating the certificate, which is what libsignal's
 * sealedSenderDecryptToUsmc and SenderCertificate.validate do together. */
static int
sealed_v1_decrypt (Fixture *fixture)
{
  static const SpAddress local = { "bob", 1 };
  uint8_t usmc[sizeof fixture->sealed];
  SpSealedContent content;
  int rc = sp_sealed_sender_decrypt (&content, usmc, sizeof usmc, &fixture->remote, &local,
                                     &fixture->trust_root.public_key, 0, fixture->sealed, fixture->sealed_len);

  sodium_memzero (usmc, sizeof usmc);
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
  { "group_encrypt", group_encrypt },
  { "group_decrypt", group_decrypt },
  { "sealed_v1_encrypt", sealed_v1_encrypt },
  { "sealed_v1_decrypt", sealed_v1_decrypt },
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
fixed_load_sender_key (void              *user_data,
                       const SpAddress   *sender,
                       const uint8_t      distribution_id[SP_DISTRIBUTION_ID_SIZE],
                       SpSenderKeyRecord *record)
{
  return sp_sender_key_record_copy (record, user_data);
}

static int
forgetful_store_sender_key (void                    *user_data,
                            const SpAddress         *sender,
                            const uint8_t            distribution_id[SP_DISTRIBUTION_ID_SIZE],
                            const SpSenderKeyRecord *record)
{
  return SP_OK;
}

/* Alice creates her sender key and sends one message; the receiver
 * keeps the record it has after processing her distribution message. */
static int
prepare_group (Fixture *fixture)
{
  static const SpAddress receiver_address = { "bob", 1 };
  uint8_t distribution[SP_SENDER_KEY_DISTRIBUTION_MESSAGE_MAX_SIZE];
  size_t distribution_len;
  SpMemoryStore *receiver_store = NULL;
  SpStore store;
  SpGroupCipher *processor = NULL;
  int rc;

  fixture->sender_address.name = "alice";
  fixture->sender_address.device_id = 1;
  randombytes_buf (fixture->distribution_id, sizeof fixture->distribution_id);
  randombytes_buf (fixture->group_plaintext, sizeof fixture->group_plaintext);

  if ((rc = sp_memory_store_new (&fixture->sender_store, &fixture->identity, 1)) != SP_OK
      || (rc = sp_memory_store_get_interface (fixture->sender_store, &store)) != SP_OK
      || (rc = sp_group_cipher_new (&fixture->sender, &store, &fixture->sender_address)) != SP_OK
      || (rc = sp_group_cipher_create_distribution (fixture->sender, fixture->distribution_id, distribution,
                                                    sizeof distribution, &distribution_len)) != SP_OK
      || (rc = sp_group_cipher_encrypt (fixture->sender, fixture->distribution_id, fixture->group_plaintext,
                                        sizeof fixture->group_plaintext, fixture->group_message,
                                        sizeof fixture->group_message, &fixture->group_message_len)) != SP_OK)
    return rc;

  if ((rc = sp_memory_store_new (&receiver_store, &fixture->remote, 2)) == SP_OK
      && (rc = sp_memory_store_get_interface (receiver_store, &store)) == SP_OK
      && (rc = sp_group_cipher_new (&processor, &store, &receiver_address)) == SP_OK
      && (rc = sp_group_cipher_process_distribution (processor, &fixture->sender_address, distribution,
                                                     distribution_len)) == SP_OK
      && (rc = sp_sender_key_record_new (&fixture->receiver_record)) == SP_OK)
    rc = store.load_sender_key (store.user_data, &fixture->sender_address, fixture->distribution_id,
                                fixture->receiver_record);
  sp_group_cipher_free (processor);
  sp_memory_store_free (receiver_store);
  sodium_memzero (distribution, sizeof distribution);
  if (rc != SP_OK)
    return rc;

  memset (&store, 0, sizeof store);
  store.user_data = fixture->receiver_record;
  store.load_sender_key = fixed_load_sender_key;
  store.store_sender_key = forgetful_store_sender_key;
  return sp_group_cipher_new (&fixture->receiver, &store, &receiver_address);
}

static void
clear_group (Fixture *fixture)
{
  sp_group_cipher_free (fixture->sender);
  sp_group_cipher_free (fixture->receiver);
  sp_memory_store_free (fixture->sender_store);
  sp_sender_key_record_free (fixture->receiver_record);
}

static int
prepare_sealed (Fixture *fixture)
{
  SpKeyPair server;
  uint8_t server_certificate[SP_SERVER_CERTIFICATE_MAX_SIZE];
  uint8_t certificate[SP_SENDER_CERTIFICATE_MAX_SIZE (SP_SERVER_CERTIFICATE_MAX_SIZE)];
  size_t server_len = 0;
  size_t certificate_len = 0;
  SpSealedContent content = { 0 };
  int rc;

  if ((rc = sp_key_pair_generate (&fixture->trust_root)) != SP_OK
      || (rc = sp_key_pair_generate (&server)) != SP_OK
      || (rc = sp_server_certificate_create (server_certificate, sizeof server_certificate, &server_len, 1,
                                             &server.public_key, &fixture->trust_root.private_key, NULL)) != SP_OK
      || (rc = sp_sender_certificate_create (certificate, sizeof certificate, &certificate_len,
                                             "6f2b1c8e-4a3d-4e5f-9a7b-0c1d2e3f4a5b", 1, UINT64_MAX,
                                             &fixture->identity.public_key, server_certificate, server_len,
                                             &server.private_key, NULL)) != SP_OK)
    goto out;

  content.type = SP_CIPHERTEXT_TYPE_SENDER_KEY;
  content.sender_certificate = certificate;
  content.sender_certificate_len = certificate_len;
  content.content = fixture->group_message;
  content.content_len = fixture->group_message_len;
  if ((rc = sp_sealed_content_encode (fixture->usmc, sizeof fixture->usmc, &fixture->usmc_len, &content)) == SP_OK)
    rc = sp_sealed_sender_encrypt_v1 (fixture->sealed, sizeof fixture->sealed, &fixture->sealed_len,
                                      &fixture->identity, &fixture->remote.public_key,
                                      fixture->usmc, fixture->usmc_len, NULL);
out:
  sodium_memzero (&server, sizeof server);
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
  if (rc == SP_OK)
    rc = prepare_group (fixture);
  if (rc == SP_OK)
    rc = prepare_sealed (fixture);

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
  memset (fixture, 0, sizeof *fixture);

  if ((rc = prepare (fixture)) != SP_OK)
    {
      fprintf (stderr, "bench-protocol: preparing the inputs failed: %s\n", sp_strerror (rc));
      clear_group (fixture);
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

  clear_group (fixture);
  sodium_free (fixture);
  return status;
}
