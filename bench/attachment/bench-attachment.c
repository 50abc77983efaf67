/* bench-attachment.c: attachment encryption and decryption throughput
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Prints "encrypt <MB/s>" and "decrypt <MB/s>" (plaintext megabytes,
 * 10^6 bytes, a second of wall-clock time), then "encrypt_cpu" and
 * "decrypt_cpu" (a second of the process's processor time, which other
 * processes on a loaded machine disturb far less), the format bench-attachment.mjs prints for
 * Node's crypto module, so that run.sh can put the two side by side.
 * Usage: bench-attachment [MEGABYTES]; the attachment is MEGABYTES
 * (default 100) of random bytes in memory, streamed through the core
 * 1 MiB at a time as the engine streams a file.  Decryption is both
 * passes (digest and MAC, then the plaintext).  The output buffers are
 * written once before the clock starts, so that the first touch of
 * their pages is not timed. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sp-attachment.h"
#include "sp-error.h"
#include "sp-init.h"

#define CHUNK (1024 * 1024)

static double
seconds_of (clockid_t clock)
{
  struct timespec ts;

  clock_gettime (clock, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
check (int rc,
       const char *what)
{
  if (rc != SP_OK)
    {
      fprintf (stderr, "bench-attachment: %s: %s\n", what, sp_strerror (rc));
      exit (EXIT_FAILURE);
    }
}

int
main (int   argc,
      char *argv[])
{
  size_t size = (size_t) (argc > 1 ? atof (argv[1]) : 100) * 1000000;
  uint8_t key[SP_ATTACHMENT_KEY_SIZE], iv[SP_ATTACHMENT_IV_SIZE], digest[SP_ATTACHMENT_DIGEST_SIZE];
  uint8_t *plaintext, *blob, *out;
  size_t blob_size, blob_len = 0, out_len = 0;
  double start, encrypted, decrypted;
  double cpu_start, cpu_encrypted, cpu_decrypted;

  check (sp_init (), "init");
  blob_size = (size_t) sp_attachment_blob_size (size);
  plaintext = malloc (size);
  blob = malloc (blob_size);
  out = malloc (size);
  if (plaintext == NULL || blob == NULL || out == NULL)
    {
      fprintf (stderr, "bench-attachment: out of memory\n");
      return EXIT_FAILURE;
    }
  randombytes_buf (plaintext, size);
  memset (blob, 0, blob_size);
  memset (out, 0, size);
  randombytes_buf (key, sizeof key);
  randombytes_buf (iv, sizeof iv);

  start = seconds_of (CLOCK_MONOTONIC);
  cpu_start = seconds_of (CLOCK_PROCESS_CPUTIME_ID);
  check (sp_attachment_encrypt (blob, blob_size, &blob_len, digest, key, iv, plaintext, size, CHUNK), "encrypt");
  encrypted = seconds_of (CLOCK_MONOTONIC);
  cpu_encrypted = seconds_of (CLOCK_PROCESS_CPUTIME_ID);
  check (sp_attachment_decrypt (out, size, &out_len, key, digest, size, blob, blob_len, CHUNK), "decrypt");
  decrypted = seconds_of (CLOCK_MONOTONIC);
  cpu_decrypted = seconds_of (CLOCK_PROCESS_CPUTIME_ID);
  if (out_len != size || memcmp (out, plaintext, size) != 0)
    {
      fprintf (stderr, "bench-attachment: the attachment did not come back\n");
      return EXIT_FAILURE;
    }

  printf ("encrypt %.1f\n", (double) size / 1e6 / (encrypted - start));
  printf ("decrypt %.1f\n", (double) size / 1e6 / (decrypted - encrypted));
  printf ("encrypt_cpu %.1f\n", (double) size / 1e6 / (cpu_encrypted - cpu_start));
  printf ("decrypt_cpu %.1f\n", (double) size / 1e6 / (cpu_decrypted - cpu_encrypted));

  free (plaintext);
  free (blob);
  free (out);
  return EXIT_SUCCESS;
}
