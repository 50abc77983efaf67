/* sp-aes.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sp-aes.h"
#include "sp-error.h"

#include <gcrypt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Opens an AES-256 handle in @mode with @key set.  Handles live only for
 * one call, so no key schedule outlasts the operation that needed it. */
static int
cipher_open (gcry_cipher_hd_t *hd,
             int               mode,
             const uint8_t     key[SP_AES_KEY_SIZE])
{
  if (gcry_cipher_open (hd, GCRY_CIPHER_AES256, mode, 0) != 0)
    return SP_ERR_CRYPTO;
  if (gcry_cipher_setkey (*hd, key, SP_AES_KEY_SIZE) != 0)
    {
      gcry_cipher_close (*hd);
      return SP_ERR_CRYPTO;
    }
  return SP_OK;
}

/* Scratch memory for results that must not reach the caller before they
 * are known to be good; wiped before it is freed. */
static void
scratch_free (uint8_t *scratch,
              size_t   len)
{
  if (scratch == NULL)
    return;
  sodium_memzero (scratch, len);
  free (scratch);
}

int
sp_aes256_cbc_encrypt (uint8_t       *out,
                       size_t         out_size,
                       size_t        *out_len,
                       const uint8_t  key[SP_AES_KEY_SIZE],
                       const uint8_t  iv[SP_AES_BLOCK_SIZE],
                       const uint8_t *in,
                       size_t         in_len)
{
  uint8_t final[SP_AES_BLOCK_SIZE];
  gcry_cipher_hd_t hd;
  size_t head;
  size_t tail;
  int ret;

  if (out == NULL || out_len == NULL || key == NULL || iv == NULL || (in == NULL && in_len != 0))
    return SP_ERR_INVALID_ARGUMENT;
  if (in_len > SIZE_MAX - SP_AES_BLOCK_SIZE)
    return SP_ERR_INVALID_ARGUMENT;

  tail = in_len % SP_AES_BLOCK_SIZE;
  head = in_len - tail;
  if (out_size < head + SP_AES_BLOCK_SIZE)
    return SP_ERR_BUFFER_TOO_SMALL;

  /* The whole blocks of @in are encrypted straight into @out; the final
   * block, the rest of @in and the padding, is assembled on the stack.
   * So @out only ever receives ciphertext and no scratch memory is
   * needed.  Once the handle is set up, CBC encryption of whole blocks
   * cannot fail. */
  if (tail != 0)
    memcpy (final, in + head, tail);
  memset (final + tail, (int) (SP_AES_BLOCK_SIZE - tail), SP_AES_BLOCK_SIZE - tail);

  ret = cipher_open (&hd, GCRY_CIPHER_MODE_CBC, key);
  if (ret == SP_OK)
    {
      if (gcry_cipher_setiv (hd, iv, SP_AES_BLOCK_SIZE) != 0
          || (head != 0 && gcry_cipher_encrypt (hd, out, head, in, head) != 0)
          || gcry_cipher_encrypt (hd, final, sizeof final, NULL, 0) != 0)
        ret = SP_ERR_CRYPTO;
      gcry_cipher_close (hd);
    }

  if (ret == SP_OK)
    {
      memcpy (out + head, final, sizeof final);
      *out_len = head + sizeof final;
    }
  sodium_memzero (final, sizeof final);
  return ret;
}

/* Checks the PKCS#7 padding of the decrypted final block @block and
 * gives the number of plaintext bytes before it.  Every byte of the block
 * is examined whatever the padding value, so the time taken does not say
 * how much of the padding was right.  A pad value outside 1..16 makes
 * one of the two differences wrap. */
static int
cbc_unpad (const uint8_t  block[SP_AES_BLOCK_SIZE],
           size_t        *len)
{
  uint8_t pad = block[SP_AES_BLOCK_SIZE - 1];
  unsigned int bad = (((unsigned int) pad - 1u) | (SP_AES_BLOCK_SIZE - (unsigned int) pad)) >> 8;

  for (size_t i = 0; i < SP_AES_BLOCK_SIZE; i++)
    {
      /* All ones when this byte lies inside the padding (i < pad). */
      unsigned int inside = 0u - (unsigned int) ((i - (size_t) pad) >> (sizeof (size_t) * 8 - 1));

      bad |= inside & (unsigned int) (block[SP_AES_BLOCK_SIZE - 1 - i] ^ pad);
    }

  if (bad != 0)
    return SP_ERR_BAD_PADDING;
  *len = SP_AES_BLOCK_SIZE - pad;
  return SP_OK;
}

int
sp_aes256_cbc_decrypt (uint8_t       *out,
                       size_t         out_size,
                       size_t        *out_len,
                       const uint8_t  key[SP_AES_KEY_SIZE],
                       const uint8_t  iv[SP_AES_BLOCK_SIZE],
                       const uint8_t *in,
                       size_t         in_len)
{
  uint8_t final[SP_AES_BLOCK_SIZE];
  gcry_cipher_hd_t hd;
  size_t final_len = 0;
  size_t head;
  int ret;

  if (out == NULL || out_len == NULL || key == NULL || iv == NULL || (in == NULL && in_len != 0))
    return SP_ERR_INVALID_ARGUMENT;
  if (in_len == 0 || in_len % SP_AES_BLOCK_SIZE != 0)
    return SP_ERR_MALFORMED;

  /* CBC decrypts a block with the ciphertext block before it as its IV,
   * so the final block is decrypted first, on the stack: its padding and
   * the length it implies are checked before anything reaches @out, and
   * no scratch memory is needed. */
  head = in_len - SP_AES_BLOCK_SIZE;
  ret = cipher_open (&hd, GCRY_CIPHER_MODE_CBC, key);
  if (ret != SP_OK)
    return ret;
  if (gcry_cipher_setiv (hd, head == 0 ? iv : in + head - SP_AES_BLOCK_SIZE, SP_AES_BLOCK_SIZE) != 0
      || gcry_cipher_decrypt (hd, final, sizeof final, in + head, SP_AES_BLOCK_SIZE) != 0)
    ret = SP_ERR_CRYPTO;
  else if ((ret = cbc_unpad (final, &final_len)) == SP_OK && out_size < head + final_len)
    ret = SP_ERR_BUFFER_TOO_SMALL;

  /* Then the whole blocks before it go straight into @out.  That cannot
   * fail once the handle is set up; if it did, nothing decrypted would
   * stay behind. */
  if (ret == SP_OK && head != 0
      && (gcry_cipher_setiv (hd, iv, SP_AES_BLOCK_SIZE) != 0
          || gcry_cipher_decrypt (hd, out, head, in, head) != 0))
    {
      sodium_memzero (out, head);
      ret = SP_ERR_CRYPTO;
    }
  gcry_cipher_close (hd);

  if (ret == SP_OK)
    {
      memcpy (out + head, final, final_len);
      *out_len = head + final_len;
    }
  sodium_memzero (final, sizeof final);
  return ret;
}

int
sp_aes256_ctr (uint8_t       *out,
               const uint8_t  key[SP_AES_KEY_SIZE],
               const uint8_t  counter[SP_AES_BLOCK_SIZE],
               const uint8_t *in,
               size_t         len)
{
  gcry_cipher_hd_t hd;
  uint8_t *stream;
  int ret;

  if (key == NULL || counter == NULL || ((out == NULL || in == NULL) && len != 0))
    return SP_ERR_INVALID_ARGUMENT;
  if (len == 0)
    return SP_OK;

  /* Working on a copy keeps @out untouched on failure and makes @out
   * equal to @in harmless. */
  stream = malloc (len);
  if (stream == NULL)
    return SP_ERR_NO_MEMORY;
  memcpy (stream, in, len);

  ret = cipher_open (&hd, GCRY_CIPHER_MODE_CTR, key);
  if (ret == SP_OK)
    {
      /* libgcrypt increments the whole 16-byte counter block as one
       * big-endian number, which is the layout the protocol uses. */
      if (gcry_cipher_setctr (hd, counter, SP_AES_BLOCK_SIZE) != 0
          || gcry_cipher_encrypt (hd, stream, len, NULL, 0) != 0)
        ret = SP_ERR_CRYPTO;
      gcry_cipher_close (hd);
    }

  if (ret == SP_OK)
    memcpy (out, stream, len);
  scratch_free (stream, len);
  return ret;
}

/* AES-256 in an AEAD mode, GCM or GCM-SIV, with a 12-byte nonce and a
 * 16-byte tag after the ciphertext. */
static int
aead_encrypt (int            mode,
              uint8_t       *out,
              const uint8_t  key[SP_AES_KEY_SIZE],
              const uint8_t  nonce[SP_AES_GCM_NONCE_SIZE],
              const uint8_t *aad,
              size_t         aad_len,
              const uint8_t *in,
              size_t         in_len)
{
  gcry_cipher_hd_t hd;
  uint8_t *sealed;
  int ret;

  if (out == NULL || key == NULL || nonce == NULL
      || (aad == NULL && aad_len != 0) || (in == NULL && in_len != 0))
    return SP_ERR_INVALID_ARGUMENT;
  if (in_len > SIZE_MAX - SP_AES_GCM_TAG_SIZE)
    return SP_ERR_INVALID_ARGUMENT;

  /* Encrypting into scratch memory keeps @out untouched on failure and
   * lets @in overlap @out. */
  sealed = malloc (in_len + SP_AES_GCM_TAG_SIZE);
  if (sealed == NULL)
    return SP_ERR_NO_MEMORY;

  ret = cipher_open (&hd, mode, key);
  if (ret != SP_OK)
    {
      free (sealed);
      return ret;
    }

  /* GCM-SIV derives its keystream from the tag, so the whole plaintext
   * must go through one final encrypt call; GCM takes it the same way. */
  if (gcry_cipher_setiv (hd, nonce, SP_AES_GCM_NONCE_SIZE) != 0
      || (aad_len != 0 && gcry_cipher_authenticate (hd, aad, aad_len) != 0)
      || gcry_cipher_final (hd) != 0
      || gcry_cipher_encrypt (hd, sealed, in_len, in, in_len) != 0
      || gcry_cipher_gettag (hd, sealed + in_len, SP_AES_GCM_TAG_SIZE) != 0)
    ret = SP_ERR_CRYPTO;
  gcry_cipher_close (hd);

  if (ret == SP_OK)
    memcpy (out, sealed, in_len + SP_AES_GCM_TAG_SIZE);
  scratch_free (sealed, in_len + SP_AES_GCM_TAG_SIZE);
  return ret;
}

static int
aead_decrypt (int            mode,
              uint8_t       *out,
              const uint8_t  key[SP_AES_KEY_SIZE],
              const uint8_t  nonce[SP_AES_GCM_NONCE_SIZE],
              const uint8_t *aad,
              size_t         aad_len,
              const uint8_t *in,
              size_t         in_len)
{
  gcry_cipher_hd_t hd;
  gcry_error_t err;
  uint8_t *plain;
  size_t plain_len;
  int ret;

  if (key == NULL || nonce == NULL || in == NULL
      || (aad == NULL && aad_len != 0))
    return SP_ERR_INVALID_ARGUMENT;
  if (in_len < SP_AES_GCM_TAG_SIZE)
    return SP_ERR_MALFORMED;
  plain_len = in_len - SP_AES_GCM_TAG_SIZE;
  if (out == NULL && plain_len != 0)
    return SP_ERR_INVALID_ARGUMENT;

  /* One spare byte so that an empty plaintext still gets a buffer. */
  plain = malloc (plain_len + 1);
  if (plain == NULL)
    return SP_ERR_NO_MEMORY;

  ret = cipher_open (&hd, mode, key);
  if (ret != SP_OK)
    {
      free (plain);
      return ret;
    }

  /* GCM-SIV takes the tag first and fails decryption with a checksum
   * error; GCM decrypts and then checks the tag.  Either way the
   * plaintext reaches @out only once the tag is known to be right. */
  if (gcry_cipher_setiv (hd, nonce, SP_AES_GCM_NONCE_SIZE) != 0
      || (aad_len != 0 && gcry_cipher_authenticate (hd, aad, aad_len) != 0)
      || (mode == GCRY_CIPHER_MODE_GCM_SIV
          && gcry_cipher_set_decryption_tag (hd, in + plain_len, SP_AES_GCM_TAG_SIZE) != 0)
      || gcry_cipher_final (hd) != 0)
    {
      ret = SP_ERR_CRYPTO;
    }
  else
    {
      err = gcry_cipher_decrypt (hd, plain, plain_len, in, plain_len);
      if (err == 0 && mode == GCRY_CIPHER_MODE_GCM)
        err = gcry_cipher_checktag (hd, in + plain_len, SP_AES_GCM_TAG_SIZE);
      if (gcry_err_code (err) == GPG_ERR_CHECKSUM)
        ret = SP_ERR_BAD_MAC;
      else if (err != 0)
        ret = SP_ERR_CRYPTO;
    }
  gcry_cipher_close (hd);

  if (ret == SP_OK && plain_len != 0)
    memcpy (out, plain, plain_len);
  scratch_free (plain, plain_len + 1);
  return ret;
}

int
sp_aes256_gcm_siv_encrypt (uint8_t       *out,
                           const uint8_t  key[SP_AES_KEY_SIZE],
                           const uint8_t  nonce[SP_AES_GCM_SIV_NONCE_SIZE],
                           const uint8_t *aad,
                           size_t         aad_len,
                           const uint8_t *in,
                           size_t         in_len)
{
  return aead_encrypt (GCRY_CIPHER_MODE_GCM_SIV, out, key, nonce, aad, aad_len, in, in_len);
}

int
sp_aes256_gcm_siv_decrypt (uint8_t       *out,
                           const uint8_t  key[SP_AES_KEY_SIZE],
                           const uint8_t  nonce[SP_AES_GCM_SIV_NONCE_SIZE],
                           const uint8_t *aad,
                           size_t         aad_len,
                           const uint8_t *in,
                           size_t         in_len)
{
  return aead_decrypt (GCRY_CIPHER_MODE_GCM_SIV, out, key, nonce, aad, aad_len, in, in_len);
}

int
sp_aes256_gcm_encrypt (uint8_t       *out,
                       const uint8_t  key[SP_AES_KEY_SIZE],
                       const uint8_t  nonce[SP_AES_GCM_NONCE_SIZE],
                       const uint8_t *aad,
                       size_t         aad_len,
                       const uint8_t *in,
                       size_t         in_len)
{
  return aead_encrypt (GCRY_CIPHER_MODE_GCM, out, key, nonce, aad, aad_len, in, in_len);
}

int
sp_aes256_gcm_decrypt (uint8_t       *out,
                       const uint8_t  key[SP_AES_KEY_SIZE],
                       const uint8_t  nonce[SP_AES_GCM_NONCE_SIZE],
                       const uint8_t *aad,
                       size_t         aad_len,
                       const uint8_t *in,
                       size_t         in_len)
{
  return aead_decrypt (GCRY_CIPHER_MODE_GCM, out, key, nonce, aad, aad_len, in, in_len);
}
