/* bench-olm.c: libolm's Olm sessions, for comparison with bench-session
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Prints the same lines as bench-session, measured with libolm (Debian's
 * libolm-dev), the C Double Ratchet that Matrix clients use:
 *
 *   session_message  one 100-byte message encrypted by Alice and decrypted
 *                    by Bob over an established Olm session
 *   session_setup    Alice creates an outbound session from Bob's identity
 *                    and one-time key and encrypts a first message; Bob
 *                    creates the inbound session from it and decrypts it.
 *                    Bob's new one-time key is made outside the timing.
 *
 * Olm is classical only (X3DH-like, Curve25519), with no post-quantum
 * part: its setups are cheaper in principle than PQXDH.  As there, each
 * figure is the best of ROUNDS rounds.  Usage: bench-olm [SECONDS] */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <olm/olm.h>
#include <sodium.h>

#define MESSAGE_SIZE 100
#define ROUNDS 5

typedef struct {
  OlmAccount *account;
  void *memory;
} Account;

typedef struct {
  OlmSession *session;
  void *memory;
} Session;

static double
now_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* @length random bytes for a libolm call that asks for them. */
static void *
random_bytes (size_t length)
{
  void *bytes = malloc (length + 1);

  if (bytes == NULL)
    abort ();
  randombytes_buf (bytes, length);
  return bytes;
}

static bool
account_init (Account *account)
{
  size_t length;
  void *random;
  size_t result;

  account->memory = malloc (olm_account_size ());
  if (account->memory == NULL)
    return false;
  account->account = olm_account (account->memory);
  length = olm_create_account_random_length (account->account);
  random = random_bytes (length);
  result = olm_create_account (account->account, random, length);
  free (random);
  return result != olm_error ();
}

static void
account_clear (Account *account)
{
  olm_clear_account (account->account);
  free (account->memory);
}

static bool
session_init (Session *session)
{
  session->memory = malloc (olm_session_size ());
  if (session->memory == NULL)
    return false;
  session->session = olm_session (session->memory);
  return true;
}

static void
session_clear (Session *session)
{
  olm_clear_session (session->session);
  free (session->memory);
}

/* The base64 string that follows "@key":" in @json, copied into @out. */
static bool
json_value (const char *json,
            const char *key,
            char       *out,
            size_t      out_size)
{
  char pattern[64];
  const char *start;
  const char *end;

  snprintf (pattern, sizeof pattern, "\"%s\":\"", key);
  start = strstr (json, pattern);
  if (start == NULL)
    return false;
  start += strlen (pattern);
  end = strchr (start, '"');
  if (end == NULL || (size_t) (end - start) >= out_size)
    return false;
  memcpy (out, start, (size_t) (end - start));
  out[end - start] = '\0';
  return true;
}

static bool
identity_key (Account *account,
              char    *out,
              size_t   out_size)
{
  size_t length = olm_account_identity_keys_length (account->account);
  char *json = calloc (1, length + 1);
  bool ok;

  if (json == NULL)
    return false;
  ok = olm_account_identity_keys (account->account, json, length) != olm_error ()
       && json_value (json, "curve25519", out, out_size);
  free (json);
  return ok;
}

/* A new one-time key of Bob's, published. */
static bool
one_time_key (Account *account,
              char    *out,
              size_t   out_size)
{
  size_t length = olm_account_generate_one_time_keys_random_length (account->account, 1);
  void *random = random_bytes (length);
  char *json = NULL;
  const char *value;
  const char *end;
  bool ok = false;

  if (olm_account_generate_one_time_keys (account->account, 1, random, length) == olm_error ())
    goto out;
  length = olm_account_one_time_keys_length (account->account);
  json = calloc (1, length + 1);
  if (json == NULL || olm_account_one_time_keys (account->account, json, length) == olm_error ())
    goto out;
  /* {"curve25519":{"AAAAAQ":"<key>"}}: the value after the key id. */
  value = strstr (json, "\"curve25519\":{");
  if (value == NULL || (value = strstr (value, "\":\"")) == NULL)
    goto out;
  value += 3;
  end = strchr (value, '"');
  if (end == NULL || (size_t) (end - value) >= out_size)
    goto out;
  memcpy (out, value, (size_t) (end - value));
  out[end - value] = '\0';
  ok = olm_account_mark_keys_as_published (account->account) != olm_error ();

out:
  free (random);
  free (json);
  return ok;
}

/* Encrypts a message at @from and decrypts it at @to.  With @inbound, @to
 * is still empty and the message first creates it at @to_account. */
static bool
message_round (Session *from,
               Session *to,
               Account *to_account,
               bool     inbound)
{
  static const uint8_t plaintext[MESSAGE_SIZE] = { 'x' };
  size_t type = olm_encrypt_message_type (from->session);
  size_t random_length = olm_encrypt_random_length (from->session);
  size_t message_length = olm_encrypt_message_length (from->session, sizeof plaintext);
  void *random = random_bytes (random_length);
  char *message = malloc (message_length + 1);
  uint8_t decrypted[MESSAGE_SIZE + 64];
  size_t result;
  bool ok = false;

  if (message == NULL)
    goto out;
  if (olm_encrypt (from->session, plaintext, sizeof plaintext, random, random_length,
                   message, message_length) == olm_error ())
    goto out;
  /* libolm decodes the base64 in place: each call gets a fresh copy. */
  if (inbound)
    {
      char *copy = malloc (message_length + 1);

      if (copy == NULL)
        goto out;
      memcpy (copy, message, message_length);
      result = olm_create_inbound_session (to->session, to_account->account, copy, message_length);
      free (copy);
      if (result == olm_error ())
        goto out;
    }
  result = olm_decrypt (to->session, type, message, message_length, decrypted, sizeof decrypted);
  ok = result == sizeof plaintext && memcmp (decrypted, plaintext, sizeof plaintext) == 0;

out:
  free (random);
  free (message);
  return ok;
}

/* Alice's outbound and Bob's inbound session, with a first message. */
static bool
setup (Account *alice,
       Account *bob,
       Session *alice_session,
       Session *bob_session,
       double  *elapsed)
{
  char bob_identity[128];
  char bob_one_time[128];
  size_t length;
  void *random = NULL;
  double start;
  bool ok;

  if (!identity_key (bob, bob_identity, sizeof bob_identity)
      || !one_time_key (bob, bob_one_time, sizeof bob_one_time)
      || !session_init (alice_session))
    return false;
  if (!session_init (bob_session))
    {
      session_clear (alice_session);
      return false;
    }
  length = olm_create_outbound_session_random_length (alice_session->session);
  random = random_bytes (length);

  start = now_seconds ();
  ok = olm_create_outbound_session (alice_session->session, alice->account,
                                    bob_identity, strlen (bob_identity),
                                    bob_one_time, strlen (bob_one_time),
                                    random, length) != olm_error ()
       && message_round (alice_session, bob_session, bob, true);
  *elapsed += now_seconds () - start;

  free (random);
  if (ok)
    ok = olm_remove_one_time_keys (bob->account, bob_session->session) != olm_error ();
  if (!ok)
    {
      session_clear (alice_session);
      session_clear (bob_session);
    }
  return ok;
}

static bool
bench_setup (Account *alice,
             Account *bob,
             double   seconds,
             double  *rate)
{
  *rate = 0;
  for (int round = 0; round < ROUNDS; round++)
    {
      double elapsed = 0;
      size_t n = 0;

      while (elapsed < seconds / ROUNDS || n < 3)
        {
          Session alice_session;
          Session bob_session;

          if (!setup (alice, bob, &alice_session, &bob_session, &elapsed))
            return false;
          session_clear (&alice_session);
          session_clear (&bob_session);
          n++;
        }
      if ((double) n / elapsed > *rate)
        *rate = (double) n / elapsed;
    }
  return true;
}

static bool
bench_message (Account *alice,
               Account *bob,
               double   seconds,
               double  *rate)
{
  Session alice_session;
  Session bob_session;
  double elapsed = 0;
  bool ok;

  if (!setup (alice, bob, &alice_session, &bob_session, &elapsed))
    return false;
  /* Bob's answer: from here on Alice sends normal messages. */
  ok = message_round (&bob_session, &alice_session, alice, false);
  for (int i = 0; ok && i < 1000; i++)
    ok = message_round (&alice_session, &bob_session, bob, false);

  *rate = 0;
  for (int round = 0; ok && round < ROUNDS; round++)
    {
      double start = now_seconds ();
      size_t n = 0;

      while (ok && (n % 256 != 0 || now_seconds () - start < seconds / ROUNDS))
        {
          ok = message_round (&alice_session, &bob_session, bob, false);
          n++;
        }
      if ((double) n / (now_seconds () - start) > *rate)
        *rate = (double) n / (now_seconds () - start);
    }
  session_clear (&alice_session);
  session_clear (&bob_session);
  return ok;
}

int
main (int   argc,
      char *argv[])
{
  double seconds = argc > 1 ? strtod (argv[1], NULL) : 2.0;
  Account alice;
  Account bob;
  double rate;
  int status = EXIT_FAILURE;

  if (argc > 2 || seconds <= 0)
    {
      fprintf (stderr, "Usage: %s [SECONDS]\n", argv[0]);
      return EXIT_FAILURE;
    }
  if (sodium_init () < 0 || !account_init (&alice))
    {
      fprintf (stderr, "bench-olm: setting up failed\n");
      return EXIT_FAILURE;
    }
  if (!account_init (&bob))
    {
      fprintf (stderr, "bench-olm: setting up failed\n");
      account_clear (&alice);
      return EXIT_FAILURE;
    }

  if (!bench_message (&alice, &bob, seconds, &rate))
    {
      fprintf (stderr, "bench-olm: the message benchmark failed\n");
      goto out;
    }
  printf ("session_message %.1f\n", rate);
  if (!bench_setup (&alice, &bob, seconds, &rate))
    {
      fprintf (stderr, "bench-olm: the setup benchmark failed\n");
      goto out;
    }
  printf ("session_setup %.1f\n", rate);
  status = EXIT_SUCCESS;

out:
  account_clear (&alice);
  account_clear (&bob);
  return status;
}
