/* bench-attachment.c: attachment encryption and decryption throughput
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Prints "encrypt <MB/s>" and "decrypt <MB/s>" (plaintext megabytes,
 * 10^6 bytes, a second), the format bench-attachment.mjs prints for
 * Node's crypto module, so that run.sh can put the two side by side.
 * Usage: bench-attachment [MEGABYTES]; the attachment is MEGABYTES
 * (default 100) of random bytes in memory, streamed through the core
 * 1 MiB at a time as the engine streams a file.  Encryption keeps the
 * blob for decryption; decryption is both passes (digest and MAC, then
 * the plaintext) and writes each piece into one reused buffer, as
 * writing to a file would. */

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
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
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

static size_t
encrypt (const uint8_t *key,
         const uint8_t *iv,
         const uint8_t *plaintext,
         size_t         size,
         uint8_t       *blob,
         uint8_t        digest[SP_ATTACHMENT_DIGEST_SIZE])
{
  SpAttachmentEncryptor *encryptor = NULL;
  size_t written = 0, len = 0;
  bool done = false;

  check (sp_attachment_encryptor_new (&encryptor, key, iv, size), "encryptor");
  for (size_t offset = 0; offset < size; offset += CHUNK)
    {
      size_t n = size - offset < CHUNK ? size - offset : CHUNK;

      check (sp_attachment_encryptor_update (encryptor, blob + written, n + SP_ATTACHMENT_UPDATE_OVERHEAD, &len,
                                             plaintext + offset, n), "encrypt");
      written += len;
    }
  while (!done)
    {
      check (sp_attachment_encryptor_final (encryptor, blob + written, CHUNK, &len, digest, &done), "final");
      written += len;
    }
  sp_attachment_encryptor_free (encryptor);
  return written;
}

static void
decrypt (const uint8_t *key,
         const uint8_t *digest,
         size_t         size,
         const uint8_t *blob,
         size_t         blob_len,
         uint8_t       *out)
{
  SpAttachmentDecryptor *decryptor = NULL;
  size_t total = 0, len = 0;

  check (sp_attachment_decryptor_new (&decryptor, key, digest, size), "decryptor");
  for (size_t offset = 0; offset < blob_len; offset += CHUNK)
    check (sp_attachment_decryptor_verify (decryptor, blob + offset,
                                           blob_len - offset < CHUNK ? blob_len - offset : CHUNK), "verify");
  check (sp_attachment_decryptor_verify_final (decryptor), "verify_final");
  for (size_t offset = 0; offset < blob_len; offset += CHUNK)
    {
      size_t n = blob_len - offset < CHUNK ? blob_len - offset : CHUNK;

      check (sp_attachment_decryptor_update (decryptor, out, CHUNK + 16, &len, blob + offset, n), "decrypt");
      total += len;
    }
  check (sp_attachment_decryptor_final (decryptor), "decrypt_final");
  sp_attachment_decryptor_free (decryptor);
  if (total != size)
    {
      fprintf (stderr, "bench-attachment: decrypted %zu bytes of %zu\n", total, size);
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
  size_t blob_len;
  double start, encrypted, decrypted;

  check (sp_init (), "init");
  plaintext = malloc (size);
  blob = malloc ((size_t) sp_attachment_blob_size (size));
  out = malloc (CHUNK + 16);
  if (plaintext == NULL || blob == NULL || out == NULL)
    {
      fprintf (stderr, "bench-attachment: out of memory\n");
      return EXIT_FAILURE;
    }
  randombytes_buf (plaintext, size);
  randombytes_buf (key, sizeof key);
  randombytes_buf (iv, sizeof iv);

  start = now ();
  blob_len = encrypt (key, iv, plaintext, size, blob, digest);
  encrypted = now ();
  decrypt (key, digest, size, blob, blob_len, out);
  decrypted = now ();

  printf ("encrypt %.1f\n", (double) size / 1e6 / (encrypted - start));
  printf ("decrypt %.1f\n", (double) size / 1e6 / (decrypted - encrypted));

  free (plaintext);
  free (blob);
  free (out);
  return EXIT_SUCCESS;
}
