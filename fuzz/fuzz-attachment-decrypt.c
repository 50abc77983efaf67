/* fuzz-attachment-decrypt.c: decrypting an attachment blob
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "sp-attachment.h"
#include "sp-error.h"
#include "sp-init.h"
#include "sp-kdf.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The input is a mode byte, the declared size (16 bits, little-endian),
 * a chunk length and the blob.  Mode bit 0: the blob is only IV ‖
 * ciphertext and the MAC is appended here, as a sender would, so that
 * the padding checks behind the MAC are reached; bit 1: the digest is
 * the blob's own, so that the MAC check is reached; otherwise it is 32
 * bytes of the input.  Decrypting in chunks must agree with decrypting
 * all at once, a refused blob must leave the output untouched (wiped when only
 * its padding was wrong), and a blob that decrypts must be exactly the
 * one encrypting the plaintext again with its key and IV gives: the
 * format has one blob per plaintext.  Decrypting in one pass, chunk by
 * chunk, must reach the same verdict and, when it accepts the blob, the
 * same plaintext, and when it refuses it, leave the output wiped. */

#define HEADER 4
#define FILL 0xcc

static const uint8_t *
fixed_key (void)
{
  static uint8_t key[SP_ATTACHMENT_KEY_SIZE];

  for (size_t i = 0; i < sizeof key; i++)
    key[i] = (uint8_t) (5 * i + 1);
  return key;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const uint8_t *key = fixed_key ();
  uint8_t digest[SP_ATTACHMENT_DIGEST_SIZE];
  uint8_t again_digest[SP_ATTACHMENT_DIGEST_SIZE];
  uint8_t *blob, *out, *chunked, *again, *one_pass;
  size_t blob_len, out_len = 0, chunked_len = 0, again_len = 0, one_pass_len = 0;
  uint64_t declared;
  uint8_t mode;
  size_t chunk;
  int rc, chunked_rc;

  if (sp_init () != SP_OK)
    abort ();
  if (size < HEADER)
    return 0;

  mode = data[0];
  declared = (uint64_t) data[1] | (uint64_t) data[2] << 8;
  chunk = (size_t) data[3] + 1;
  data += HEADER;
  size -= HEADER;

  blob = malloc (size + SP_ATTACHMENT_MAC_SIZE + 1);
  out = malloc (declared + 1);
  chunked = malloc (declared + 1);
  if (blob == NULL || out == NULL || chunked == NULL)
    abort ();
  memcpy (blob, data, size);
  blob_len = size;

  if (mode & 1)
    {
      if (sp_hmac_sha256 (blob + size, key + SP_ATTACHMENT_KEY_SIZE / 2, SP_ATTACHMENT_KEY_SIZE / 2, blob, size) != SP_OK)
        abort ();
      blob_len += SP_ATTACHMENT_MAC_SIZE;
    }
  if ((mode & 3) != 0)
    crypto_hash_sha256 (digest, blob, blob_len);
  else if (blob_len >= SP_ATTACHMENT_DIGEST_SIZE)
    memcpy (digest, blob, SP_ATTACHMENT_DIGEST_SIZE);
  else
    memset (digest, 0, sizeof digest);

  memset (out, FILL, declared + 1);
  rc = sp_attachment_decrypt (out, declared, &out_len, key, digest, declared, blob, blob_len, 0);
  memset (chunked, FILL, declared + 1);
  chunked_rc = sp_attachment_decrypt (chunked, declared, &chunked_len, key, digest, declared, blob, blob_len, chunk);
  if (rc != chunked_rc || memcmp (out, chunked, declared + 1) != 0)
    abort ();

  /* One pass never writes past the declared size, and wipes what it
   * wrote of a blob it refuses. */
  one_pass = malloc (declared + 1);
  if (one_pass == NULL)
    abort ();
  memset (one_pass, FILL, declared + 1);
  if (sp_attachment_decrypt_one_pass (one_pass, declared, &one_pass_len, key, digest, declared, blob, blob_len,
                                      chunk) != rc
      || one_pass[declared] != FILL)
    abort ();
  for (size_t i = 0; i < declared; i++)
    if (one_pass[i] != (rc == SP_OK ? out[i] : 0))
      abort ();
  free (one_pass);

  switch (rc)
    {
    case SP_OK:
      if (out_len != declared || chunked_len != declared)
        abort ();
      again = malloc (blob_len);
      if (again == NULL)
        abort ();
      if (sp_attachment_encrypt (again, blob_len, &again_len, again_digest, key, blob, out, declared, 0) != SP_OK
          || again_len != blob_len || memcmp (again, blob, blob_len) != 0
          || memcmp (again_digest, digest, sizeof digest) != 0)
        abort ();
      free (again);
      break;
    case SP_ERR_MALFORMED:
    case SP_ERR_BAD_DIGEST:
    case SP_ERR_BAD_MAC:
      for (size_t i = 0; i <= declared; i++)
        if (out[i] != FILL)
          abort ();
      break;
    case SP_ERR_BAD_PADDING:
      for (size_t i = 0; i < declared; i++)
        if (out[i] != 0)
          abort ();
      break;
    default:
      abort ();
    }

  free (blob);
  free (out);
  free (chunked);
  return 0;
}
