/* sp-attachment.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sp-attachment.h"
#include "sp-aes.h"
#include "sp-error.h"

#include <gcrypt.h>
#include <math.h>
#include <sodium.h>
#include <string.h>

#define BLOCK SP_AES_BLOCK_SIZE
#define HALF_KEY (SP_ATTACHMENT_KEY_SIZE / 2)

/* Padding bytes past the last whole data block are decrypted through a
 * stack buffer of this size, so that @out never receives them. */
#define PADDING_CHUNK 4096

uint64_t
sp_attachment_padded_size (uint64_t size)
{
  if (size > SP_ATTACHMENT_MAX_SIZE)
    return 0;
  /* Every bucket up to 541 is 541; this also keeps log (0) out. */
  if (size <= SP_ATTACHMENT_MIN_PADDED_SIZE)
    return SP_ATTACHMENT_MIN_PADDED_SIZE;

  /* Signal-Android's PaddingInputStream.getPaddedSize() and Signal
   * Desktop compute this in doubles, and so does Sotto: the unit test
   * checks it against exact integer arithmetic at every bucket edge up
   * to SP_ATTACHMENT_MAX_SIZE, where the two agree. */
  return (uint64_t) floor (pow (1.05, ceil (log ((double) size) / log (1.05))));
}

/* PKCS#7 always adds 1 to 16 bytes. */
static uint64_t
cipher_size_of (uint64_t padded)
{
  return (padded / BLOCK + 1) * BLOCK;
}

uint64_t
sp_attachment_blob_size (uint64_t size)
{
  uint64_t padded = sp_attachment_padded_size (size);

  if (padded == 0)
    return 0;
  return SP_ATTACHMENT_IV_SIZE + cipher_size_of (padded) + SP_ATTACHMENT_MAC_SIZE;
}

/* The three libgcrypt handles of either direction: AES-256-CBC under the
 * first half of the key, HMAC-SHA256 under the second half, and SHA-256
 * for the digest.  libgcrypt wipes their state when they are closed. */
typedef struct {
  gcry_cipher_hd_t cipher;
  gcry_md_hd_t     mac;
  gcry_md_hd_t     hash;
} Handles;

static void
handles_close (Handles *handles)
{
  if (handles->cipher != NULL)
    gcry_cipher_close (handles->cipher);
  if (handles->mac != NULL)
    gcry_md_close (handles->mac);
  if (handles->hash != NULL)
    gcry_md_close (handles->hash);
  handles->cipher = NULL;
  handles->mac = NULL;
  handles->hash = NULL;
}

static int
handles_open (Handles       *handles,
              const uint8_t  key[SP_ATTACHMENT_KEY_SIZE])
{
  gcry_cipher_hd_t cipher;
  gcry_md_hd_t md;

  handles->cipher = NULL;
  handles->mac = NULL;
  handles->hash = NULL;

  if (gcry_cipher_open (&cipher, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_CBC, 0) != 0)
    return SP_ERR_CRYPTO;
  handles->cipher = cipher;
  if (gcry_cipher_setkey (cipher, key, HALF_KEY) != 0)
    goto fail;

  if (gcry_md_open (&md, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC) != 0)
    goto fail;
  handles->mac = md;
  if (gcry_md_setkey (md, key + HALF_KEY, HALF_KEY) != 0)
    goto fail;

  if (gcry_md_open (&md, GCRY_MD_SHA256, 0) != 0)
    goto fail;
  handles->hash = md;
  return SP_OK;

fail:
  handles_close (handles);
  return SP_ERR_CRYPTO;
}

/* Blob bytes go into the digest, and those before the MAC into the MAC. */
static void
handles_absorb (Handles       *handles,
                const uint8_t *data,
                size_t         len,
                bool           into_mac)
{
  if (len == 0)
    return;
  if (into_mac)
    gcry_md_write (handles->mac, data, len);
  gcry_md_write (handles->hash, data, len);
}

static size_t
min_size (size_t a,
          uint64_t b)
{
  return (uint64_t) a < b ? a : (size_t) b;
}

static uint64_t
min_u64 (uint64_t a,
         uint64_t b)
{
  return a < b ? a : b;
}

/* Encryption. */

typedef enum {
  STREAM_OPEN,
  STREAM_VERIFIED,
  /* Decrypting without a first pass: final checks everything. */
  STREAM_ONE_PASS,
  STREAM_DONE,
  STREAM_FAILED,
} StreamState;

struct SpAttachmentEncryptor {
  Handles     handles;
  uint64_t    size;
  uint64_t    padded_size;
  /* Bytes of plaintext ‖ zeros taken in, those waiting in @carry too. */
  uint64_t    taken;
  uint8_t     iv[SP_ATTACHMENT_IV_SIZE];
  bool        iv_written;
  uint8_t     carry[BLOCK];
  size_t      carry_len;
  StreamState state;
};

int
sp_attachment_encryptor_new (SpAttachmentEncryptor **out,
                             const uint8_t           key[SP_ATTACHMENT_KEY_SIZE],
                             const uint8_t           iv[SP_ATTACHMENT_IV_SIZE],
                             uint64_t                size)
{
  SpAttachmentEncryptor *encryptor;
  int ret;

  if (out == NULL || key == NULL || iv == NULL || size > SP_ATTACHMENT_MAX_SIZE)
    return SP_ERR_INVALID_ARGUMENT;

  encryptor = sodium_malloc (sizeof *encryptor);
  if (encryptor == NULL)
    return SP_ERR_NO_MEMORY;
  memset (encryptor, 0, sizeof *encryptor);

  ret = handles_open (&encryptor->handles, key);
  if (ret == SP_OK && gcry_cipher_setiv (encryptor->handles.cipher, iv, SP_ATTACHMENT_IV_SIZE) != 0)
    ret = SP_ERR_CRYPTO;
  if (ret != SP_OK)
    {
      sp_attachment_encryptor_free (encryptor);
      return ret;
    }

  encryptor->size = size;
  encryptor->padded_size = sp_attachment_padded_size (size);
  memcpy (encryptor->iv, iv, sizeof encryptor->iv);
  encryptor->state = STREAM_OPEN;
  *out = encryptor;
  return SP_OK;
}

void
sp_attachment_encryptor_free (SpAttachmentEncryptor *encryptor)
{
  if (encryptor == NULL)
    return;
  handles_close (&encryptor->handles);
  /* sodium_free() wipes the carried plaintext with the rest. */
  sodium_free (encryptor);
}

/* Encrypts @len bytes (whole blocks) of @in, or of @out itself when @in
 * is NULL, into @out and hashes the ciphertext. */
static int
encrypt_blocks (SpAttachmentEncryptor *encryptor,
                uint8_t               *out,
                const uint8_t         *in,
                size_t                 len)
{
  if (gcry_cipher_encrypt (encryptor->handles.cipher, out, len, in, in == NULL ? 0 : len) != 0)
    {
      encryptor->state = STREAM_FAILED;
      return SP_ERR_CRYPTO;
    }
  handles_absorb (&encryptor->handles, out, len, true);
  return SP_OK;
}

static size_t
write_iv (SpAttachmentEncryptor *encryptor,
          uint8_t               *out)
{
  if (encryptor->iv_written)
    return 0;
  memcpy (out, encryptor->iv, SP_ATTACHMENT_IV_SIZE);
  handles_absorb (&encryptor->handles, out, SP_ATTACHMENT_IV_SIZE, true);
  encryptor->iv_written = true;
  return SP_ATTACHMENT_IV_SIZE;
}

int
sp_attachment_encryptor_update (SpAttachmentEncryptor *encryptor,
                                uint8_t               *out,
                                size_t                 out_size,
                                size_t                *out_len,
                                const uint8_t         *in,
                                size_t                 in_len)
{
  uint64_t need;
  size_t written;
  size_t whole;
  int ret;

  if (encryptor == NULL || out_len == NULL || (out == NULL && out_size != 0) || (in == NULL && in_len != 0))
    return SP_ERR_INVALID_ARGUMENT;
  /* Once final has begun, @taken counts padding too and may exceed @size. */
  if (encryptor->state != STREAM_OPEN || encryptor->taken > encryptor->size
      || (uint64_t) in_len > encryptor->size - encryptor->taken)
    return SP_ERR_INVALID_ARGUMENT;

  /* Exactly the IV, if it is still due, and the blocks this input completes. */
  need = (encryptor->iv_written ? 0 : SP_ATTACHMENT_IV_SIZE)
         + ((uint64_t) encryptor->carry_len + in_len) / BLOCK * BLOCK;
  if ((uint64_t) out_size < need)
    return SP_ERR_BUFFER_TOO_SMALL;

  written = write_iv (encryptor, out);
  encryptor->taken += in_len;

  if (encryptor->carry_len > 0)
    {
      size_t fill = min_size (in_len, BLOCK - encryptor->carry_len);

      memcpy (encryptor->carry + encryptor->carry_len, in, fill);
      encryptor->carry_len += fill;
      in += fill;
      in_len -= fill;
      if (encryptor->carry_len < BLOCK)
        {
          *out_len = written;
          return SP_OK;
        }
      ret = encrypt_blocks (encryptor, out + written, encryptor->carry, BLOCK);
      if (ret != SP_OK)
        return ret;
      written += BLOCK;
      encryptor->carry_len = 0;
    }

  whole = in_len / BLOCK * BLOCK;
  if (whole != 0)
    {
      ret = encrypt_blocks (encryptor, out + written, in, whole);
      if (ret != SP_OK)
        return ret;
      written += whole;
    }
  if (in_len != whole)
    memcpy (encryptor->carry, in + whole, in_len - whole);
  encryptor->carry_len = in_len - whole;

  *out_len = written;
  return SP_OK;
}

/* The last block (the plaintext and zeros left, then PKCS#7), the MAC
 * and the digest. */
static int
encrypt_last (SpAttachmentEncryptor *encryptor,
              uint8_t               *out,
              uint8_t                digest[SP_ATTACHMENT_DIGEST_SIZE])
{
  size_t zeros = (size_t) (encryptor->padded_size - encryptor->taken);
  size_t used = encryptor->carry_len + zeros;
  const unsigned char *mac;
  const unsigned char *hash;
  int ret;

  memset (encryptor->carry + encryptor->carry_len, 0, zeros);
  memset (encryptor->carry + used, (int) (BLOCK - used), BLOCK - used);
  encryptor->taken = encryptor->padded_size;
  encryptor->carry_len = 0;
  ret = encrypt_blocks (encryptor, out, encryptor->carry, BLOCK);
  if (ret != SP_OK)
    return ret;

  mac = gcry_md_read (encryptor->handles.mac, GCRY_MD_SHA256);
  if (mac == NULL)
    {
      encryptor->state = STREAM_FAILED;
      return SP_ERR_CRYPTO;
    }
  memcpy (out + BLOCK, mac, SP_ATTACHMENT_MAC_SIZE);
  handles_absorb (&encryptor->handles, out + BLOCK, SP_ATTACHMENT_MAC_SIZE, false);

  hash = gcry_md_read (encryptor->handles.hash, GCRY_MD_SHA256);
  if (hash == NULL)
    {
      encryptor->state = STREAM_FAILED;
      return SP_ERR_CRYPTO;
    }
  memcpy (digest, hash, SP_ATTACHMENT_DIGEST_SIZE);
  encryptor->state = STREAM_DONE;
  return SP_OK;
}

int
sp_attachment_encryptor_final (SpAttachmentEncryptor *encryptor,
                               uint8_t               *out,
                               size_t                 out_size,
                               size_t                *out_len,
                               uint8_t                digest[SP_ATTACHMENT_DIGEST_SIZE],
                               bool                  *done)
{
  size_t written;
  int ret;

  if (encryptor == NULL || out == NULL || out_len == NULL || digest == NULL || done == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  if (encryptor->state != STREAM_OPEN || encryptor->taken < encryptor->size)
    return SP_ERR_INVALID_ARGUMENT;
  if (out_size < SP_ATTACHMENT_FINAL_MIN_SIZE)
    return SP_ERR_BUFFER_TOO_SMALL;

  written = write_iv (encryptor, out);

  /* Whole blocks of plaintext ‖ zeros while there are any, as many as
   * fit; the zeros are encrypted in place. */
  while (out_size - written >= BLOCK
         && encryptor->carry_len + (encryptor->padded_size - encryptor->taken) >= BLOCK)
    {
      if (encryptor->carry_len > 0)
        {
          size_t zeros = BLOCK - encryptor->carry_len;

          memset (encryptor->carry + encryptor->carry_len, 0, zeros);
          encryptor->taken += zeros;
          encryptor->carry_len = 0;
          ret = encrypt_blocks (encryptor, out + written, encryptor->carry, BLOCK);
          written += BLOCK;
        }
      else
        {
          size_t n = min_size ((out_size - written) / BLOCK,
                               (encryptor->padded_size - encryptor->taken) / BLOCK) * BLOCK;

          memset (out + written, 0, n);
          encryptor->taken += n;
          ret = encrypt_blocks (encryptor, out + written, NULL, n);
          written += n;
        }
      if (ret != SP_OK)
        return ret;
    }

  *done = false;
  if (encryptor->carry_len + (encryptor->padded_size - encryptor->taken) < BLOCK
      && out_size - written >= BLOCK + SP_ATTACHMENT_MAC_SIZE)
    {
      ret = encrypt_last (encryptor, out + written, digest);
      if (ret != SP_OK)
        return ret;
      written += BLOCK + SP_ATTACHMENT_MAC_SIZE;
      *done = true;
    }

  *out_len = written;
  return SP_OK;
}

/* Decryption. */

struct SpAttachmentDecryptor {
  Handles     handles;
  uint8_t     digest[SP_ATTACHMENT_DIGEST_SIZE];
  uint8_t     received_mac[SP_ATTACHMENT_MAC_SIZE];
  uint64_t    size;
  uint64_t    padded_size;
  uint64_t    cipher_size;
  uint64_t    blob_size;
  /* Bytes of the blob seen in the current pass. */
  uint64_t    pos;
  /* The IV, then a partial ciphertext block, in the second pass. */
  uint8_t     carry[BLOCK];
  size_t      carry_len;
  /* Nonzero once a padding byte was not what the format says. */
  uint8_t     bad_padding;
  StreamState state;
};

int
sp_attachment_decryptor_new (SpAttachmentDecryptor **out,
                             const uint8_t           key[SP_ATTACHMENT_KEY_SIZE],
                             const uint8_t           digest[SP_ATTACHMENT_DIGEST_SIZE],
                             uint64_t                size)
{
  SpAttachmentDecryptor *decryptor;
  int ret;

  if (out == NULL || key == NULL || digest == NULL || size > SP_ATTACHMENT_MAX_SIZE)
    return SP_ERR_INVALID_ARGUMENT;

  decryptor = sodium_malloc (sizeof *decryptor);
  if (decryptor == NULL)
    return SP_ERR_NO_MEMORY;
  memset (decryptor, 0, sizeof *decryptor);

  ret = handles_open (&decryptor->handles, key);
  if (ret != SP_OK)
    {
      sp_attachment_decryptor_free (decryptor);
      return ret;
    }

  memcpy (decryptor->digest, digest, sizeof decryptor->digest);
  decryptor->size = size;
  decryptor->padded_size = sp_attachment_padded_size (size);
  decryptor->cipher_size = cipher_size_of (decryptor->padded_size);
  decryptor->blob_size = sp_attachment_blob_size (size);
  decryptor->state = STREAM_OPEN;
  *out = decryptor;
  return SP_OK;
}

void
sp_attachment_decryptor_free (SpAttachmentDecryptor *decryptor)
{
  if (decryptor == NULL)
    return;
  handles_close (&decryptor->handles);
  sodium_free (decryptor);
}

static int
decryptor_fail (SpAttachmentDecryptor *decryptor,
                int                    error)
{
  decryptor->state = STREAM_FAILED;
  return error;
}

/* Takes the next @in_len bytes of the blob, at @decryptor->pos, into
 * the checks: everything into the digest, what precedes the last 32
 * bytes into the MAC, and the last 32 bytes kept as the MAC to compare.
 * The caller advances the position. */
static void
absorb_blob (SpAttachmentDecryptor *decryptor,
             const uint8_t         *in,
             size_t                 in_len)
{
  uint64_t mac_start = decryptor->blob_size - SP_ATTACHMENT_MAC_SIZE;

  handles_absorb (&decryptor->handles, in, in_len, false);
  if (decryptor->pos < mac_start && in_len != 0)
    gcry_md_write (decryptor->handles.mac, in, min_size (in_len, mac_start - decryptor->pos));
  if (decryptor->pos + in_len > mac_start)
    {
      uint64_t from = decryptor->pos > mac_start ? decryptor->pos : mac_start;

      memcpy (decryptor->received_mac + (from - mac_start), in + (from - decryptor->pos),
              (size_t) (decryptor->pos + in_len - from));
    }
}

int
sp_attachment_decryptor_verify (SpAttachmentDecryptor *decryptor,
                                const uint8_t         *in,
                                size_t                 in_len)
{
  if (decryptor == NULL || (in == NULL && in_len != 0) || decryptor->state != STREAM_OPEN)
    return SP_ERR_INVALID_ARGUMENT;
  if ((uint64_t) in_len > decryptor->blob_size - decryptor->pos)
    return decryptor_fail (decryptor, SP_ERR_MALFORMED);

  absorb_blob (decryptor, in, in_len);
  decryptor->pos += in_len;
  return SP_OK;
}

/* The digest, then the MAC, of the blob taken in. */
static int
check_digest_and_mac (SpAttachmentDecryptor *decryptor)
{
  const unsigned char *hash = gcry_md_read (decryptor->handles.hash, GCRY_MD_SHA256);
  const unsigned char *mac = gcry_md_read (decryptor->handles.mac, GCRY_MD_SHA256);

  if (hash == NULL || mac == NULL)
    return decryptor_fail (decryptor, SP_ERR_CRYPTO);
  if (sodium_memcmp (hash, decryptor->digest, SP_ATTACHMENT_DIGEST_SIZE) != 0)
    return decryptor_fail (decryptor, SP_ERR_BAD_DIGEST);
  if (sodium_memcmp (mac, decryptor->received_mac, SP_ATTACHMENT_MAC_SIZE) != 0)
    return decryptor_fail (decryptor, SP_ERR_BAD_MAC);
  return SP_OK;
}

int
sp_attachment_decryptor_verify_final (SpAttachmentDecryptor *decryptor)
{
  int ret;

  if (decryptor == NULL || decryptor->state != STREAM_OPEN)
    return SP_ERR_INVALID_ARGUMENT;
  if (decryptor->pos != decryptor->blob_size)
    return decryptor_fail (decryptor, SP_ERR_MALFORMED);
  ret = check_digest_and_mac (decryptor);
  if (ret != SP_OK)
    return ret;

  /* The second pass hashes the blob again. */
  gcry_md_reset (decryptor->handles.hash);
  decryptor->pos = 0;
  decryptor->state = STREAM_VERIFIED;
  return SP_OK;
}

/* Hands on the @len decrypted bytes at @plain, which start at plaintext
 * offset @offset: the data bytes to @out, while the zeros and PKCS#7
 * bytes after them are checked and wiped. */
static size_t
emit_plaintext (SpAttachmentDecryptor *decryptor,
                uint8_t               *out,
                uint8_t               *plain,
                size_t                 len,
                uint64_t               offset)
{
  size_t data = offset < decryptor->size ? min_size (len, decryptor->size - offset) : 0;
  uint8_t pkcs7 = (uint8_t) (decryptor->cipher_size - decryptor->padded_size);

  if (data != 0)
    memcpy (out, plain, data);
  for (size_t i = data; i < len; i++)
    decryptor->bad_padding |= plain[i] ^ (offset + i < decryptor->padded_size ? 0 : pkcs7);
  sodium_memzero (plain, len);
  return data;
}

/* The plaintext bytes the blob bytes up to @pos complete, counting only
 * whole decrypted blocks, which are all update releases. */
static uint64_t
plaintext_done (const SpAttachmentDecryptor *decryptor,
                uint64_t                     pos)
{
  uint64_t cipher = pos <= SP_ATTACHMENT_IV_SIZE ? 0 : pos - SP_ATTACHMENT_IV_SIZE;

  return min_u64 (min_u64 (cipher, decryptor->cipher_size) / BLOCK * BLOCK, decryptor->size);
}

static int
decrypt_blocks (SpAttachmentDecryptor *decryptor,
                uint8_t               *out,
                const uint8_t         *in,
                size_t                 len)
{
  if (gcry_cipher_decrypt (decryptor->handles.cipher, out, len, in, len) != 0)
    return decryptor_fail (decryptor, SP_ERR_CRYPTO);
  return SP_OK;
}

/* Decrypts @len bytes (whole blocks) at plaintext offset @offset through
 * a stack buffer and hands them to emit_plaintext(). */
static int
decrypt_through_stack (SpAttachmentDecryptor *decryptor,
                       uint8_t               *out,
                       size_t                *written,
                       const uint8_t         *in,
                       size_t                 len,
                       uint64_t               offset)
{
  uint8_t plain[PADDING_CHUNK];

  for (size_t done = 0; done < len; done += sizeof plain)
    {
      size_t n = min_size (sizeof plain, len - done);
      int ret = decrypt_blocks (decryptor, plain, in + done, n);

      if (ret != SP_OK)
        {
          sodium_memzero (plain, sizeof plain);
          return ret;
        }
      *written += emit_plaintext (decryptor, out + *written, plain, n, offset + done);
    }
  return SP_OK;
}

int
sp_attachment_decryptor_update (SpAttachmentDecryptor *decryptor,
                                uint8_t               *out,
                                size_t                 out_size,
                                size_t                *out_len,
                                const uint8_t         *in,
                                size_t                 in_len)
{
  uint64_t cipher_end;
  size_t written = 0;
  int ret;

  if (decryptor == NULL || out_len == NULL || (out == NULL && out_size != 0) || (in == NULL && in_len != 0))
    return SP_ERR_INVALID_ARGUMENT;
  if (decryptor->state != STREAM_VERIFIED && decryptor->state != STREAM_ONE_PASS
      && !(decryptor->state == STREAM_OPEN && decryptor->pos == 0))
    return SP_ERR_INVALID_ARGUMENT;
  if ((uint64_t) in_len > decryptor->blob_size - decryptor->pos)
    return decryptor_fail (decryptor, SP_ERR_MALFORMED);
  if ((uint64_t) out_size < plaintext_done (decryptor, decryptor->pos + in_len)
                            - plaintext_done (decryptor, decryptor->pos))
    return SP_ERR_BUFFER_TOO_SMALL;

  /* Without a first pass, this pass takes the MAC in as well. */
  if (decryptor->state == STREAM_OPEN)
    decryptor->state = STREAM_ONE_PASS;
  if (decryptor->state == STREAM_ONE_PASS)
    absorb_blob (decryptor, in, in_len);
  else
    handles_absorb (&decryptor->handles, in, in_len, false);
  cipher_end = SP_ATTACHMENT_IV_SIZE + decryptor->cipher_size;

  while (in_len > 0)
    {
      uint64_t offset = decryptor->pos - SP_ATTACHMENT_IV_SIZE;
      size_t n;

      if (decryptor->pos < SP_ATTACHMENT_IV_SIZE)
        {
          n = min_size (in_len, SP_ATTACHMENT_IV_SIZE - decryptor->pos);
          memcpy (decryptor->carry + decryptor->carry_len, in, n);
          decryptor->carry_len += n;
          if (decryptor->carry_len == SP_ATTACHMENT_IV_SIZE)
            {
              if (gcry_cipher_setiv (decryptor->handles.cipher, decryptor->carry, SP_ATTACHMENT_IV_SIZE) != 0)
                return decryptor_fail (decryptor, SP_ERR_CRYPTO);
              decryptor->carry_len = 0;
            }
        }
      else if (decryptor->pos < cipher_end)
        {
          size_t available = min_size (in_len, cipher_end - decryptor->pos);

          if (decryptor->carry_len > 0 || available < BLOCK)
            {
              /* A block split between two calls is gathered first. */
              n = min_size (available, BLOCK - decryptor->carry_len);
              memcpy (decryptor->carry + decryptor->carry_len, in, n);
              decryptor->carry_len += n;
              if (decryptor->carry_len == BLOCK)
                {
                  ret = decrypt_through_stack (decryptor, out, &written, decryptor->carry, BLOCK,
                                               offset + n - BLOCK);
                  if (ret != SP_OK)
                    return ret;
                  decryptor->carry_len = 0;
                }
            }
          else
            {
              /* Whole blocks of data go straight to @out; the block
               * where the data ends and the padding after it go through
               * the stack. */
              size_t data_blocks = offset < decryptor->size
                                   ? min_size (available / BLOCK, (decryptor->size - offset) / BLOCK) * BLOCK
                                   : 0;

              n = available / BLOCK * BLOCK;
              if (data_blocks != 0)
                {
                  ret = decrypt_blocks (decryptor, out + written, in, data_blocks);
                  if (ret != SP_OK)
                    return ret;
                  written += data_blocks;
                }
              ret = decrypt_through_stack (decryptor, out, &written, in + data_blocks, n - data_blocks,
                                           offset + data_blocks);
              if (ret != SP_OK)
                return ret;
            }
        }
      else
        {
          /* The MAC: checked in the first pass or by final, hashed above. */
          n = in_len;
        }

      in += n;
      in_len -= n;
      decryptor->pos += n;
    }

  *out_len = written;
  return SP_OK;
}

int
sp_attachment_decryptor_final (SpAttachmentDecryptor *decryptor)
{
  const unsigned char *hash;
  int ret;

  if (decryptor == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  /* One pass over a blob of no bytes at all has no update. */
  if (decryptor->state == STREAM_OPEN && decryptor->pos == 0)
    decryptor->state = STREAM_ONE_PASS;
  if (decryptor->state != STREAM_VERIFIED && decryptor->state != STREAM_ONE_PASS)
    return SP_ERR_INVALID_ARGUMENT;
  if (decryptor->pos != decryptor->blob_size)
    return decryptor_fail (decryptor, SP_ERR_MALFORMED);

  if (decryptor->state == STREAM_ONE_PASS)
    {
      ret = check_digest_and_mac (decryptor);
      if (ret != SP_OK)
        return ret;
    }
  else
    {
      hash = gcry_md_read (decryptor->handles.hash, GCRY_MD_SHA256);
      if (hash == NULL)
        return decryptor_fail (decryptor, SP_ERR_CRYPTO);
      if (sodium_memcmp (hash, decryptor->digest, SP_ATTACHMENT_DIGEST_SIZE) != 0)
        return decryptor_fail (decryptor, SP_ERR_BAD_DIGEST);
    }
  if (decryptor->bad_padding != 0)
    return decryptor_fail (decryptor, SP_ERR_BAD_PADDING);

  decryptor->state = STREAM_DONE;
  return SP_OK;
}

/* The forms for buffers: the streaming functions, @chunk bytes at a time. */

static size_t
next_piece (size_t len,
            size_t offset,
            size_t chunk)
{
  return len - offset < chunk ? len - offset : chunk;
}

static bool
decrypt_arguments_valid (const uint8_t *out,
                         size_t         out_size,
                         const size_t  *out_len,
                         const uint8_t *key,
                         const uint8_t *digest,
                         uint64_t       size,
                         const uint8_t *blob,
                         size_t         blob_len)
{
  return (out != NULL || out_size == 0) && out_len != NULL && key != NULL && digest != NULL
         && (blob != NULL || blob_len == 0) && size <= SP_ATTACHMENT_MAX_SIZE;
}

/* The decrypting pass of the forms for buffers: updates from the start
 * of the blob, then final, and frees @decryptor.  What the updates wrote
 * is wiped unless final accepts the blob; @out has room for @size. */
static int
decrypt_pass (SpAttachmentDecryptor *decryptor,
              uint8_t               *out,
              size_t                *out_len,
              uint64_t               size,
              const uint8_t         *blob,
              size_t                 blob_len,
              size_t                 chunk)
{
  size_t written = 0;
  size_t len = 0;
  int ret = SP_OK;

  for (size_t offset = 0, n; ret == SP_OK && offset < blob_len; offset += n)
    {
      n = next_piece (blob_len, offset, chunk);
      ret = sp_attachment_decryptor_update (decryptor, out + written, (size_t) size - written, &len,
                                            blob + offset, n);
      written += len;
    }
  if (ret == SP_OK)
    ret = sp_attachment_decryptor_final (decryptor);
  sp_attachment_decryptor_free (decryptor);

  if (ret == SP_OK)
    *out_len = written;
  else if (size != 0)
    sodium_memzero (out, (size_t) size);
  return ret;
}

int
sp_attachment_encrypt (uint8_t       *out,
                       size_t         out_size,
                       size_t        *out_len,
                       uint8_t        digest[SP_ATTACHMENT_DIGEST_SIZE],
                       const uint8_t  key[SP_ATTACHMENT_KEY_SIZE],
                       const uint8_t  iv[SP_ATTACHMENT_IV_SIZE],
                       const uint8_t *in,
                       size_t         in_len,
                       size_t         chunk)
{
  SpAttachmentEncryptor *encryptor = NULL;
  uint8_t result[SP_ATTACHMENT_DIGEST_SIZE];
  uint64_t blob_size;
  size_t written = 0;
  size_t len = 0;
  bool done = false;
  int ret;

  if (out == NULL || out_len == NULL || digest == NULL || key == NULL || iv == NULL || (in == NULL && in_len != 0))
    return SP_ERR_INVALID_ARGUMENT;
  blob_size = sp_attachment_blob_size (in_len);
  if (blob_size == 0)
    return SP_ERR_INVALID_ARGUMENT;
  if ((uint64_t) out_size < blob_size)
    return SP_ERR_BUFFER_TOO_SMALL;
  if (chunk == 0)
    chunk = SIZE_MAX;

  ret = sp_attachment_encryptor_new (&encryptor, key, iv, in_len);
  for (size_t offset = 0, n; ret == SP_OK && offset < in_len; offset += n)
    {
      n = next_piece (in_len, offset, chunk);
      ret = sp_attachment_encryptor_update (encryptor, out + written, out_size - written, &len, in + offset, n);
      written += len;
    }
  /* What is left is at least the last block and the MAC, which is
   * SP_ATTACHMENT_FINAL_MIN_SIZE. */
  while (ret == SP_OK && !done)
    {
      size_t room = chunk > SP_ATTACHMENT_FINAL_MIN_SIZE ? chunk : SP_ATTACHMENT_FINAL_MIN_SIZE;

      ret = sp_attachment_encryptor_final (encryptor, out + written, min_size (room, out_size - written), &len,
                                           result, &done);
      written += len;
    }
  sp_attachment_encryptor_free (encryptor);

  if (ret == SP_OK)
    {
      memcpy (digest, result, sizeof result);
      *out_len = written;
    }
  else
    {
      sodium_memzero (out, (size_t) blob_size);
    }
  return ret;
}

int
sp_attachment_decrypt (uint8_t       *out,
                       size_t         out_size,
                       size_t        *out_len,
                       const uint8_t  key[SP_ATTACHMENT_KEY_SIZE],
                       const uint8_t  digest[SP_ATTACHMENT_DIGEST_SIZE],
                       uint64_t       size,
                       const uint8_t *blob,
                       size_t         blob_len,
                       size_t         chunk)
{
  SpAttachmentDecryptor *decryptor = NULL;
  int ret;

  if (!decrypt_arguments_valid (out, out_size, out_len, key, digest, size, blob, blob_len))
    return SP_ERR_INVALID_ARGUMENT;
  /* The length first: a blob that cannot be the attachment is refused
   * for that, whatever room the caller made for the plaintext. */
  if ((uint64_t) blob_len != sp_attachment_blob_size (size))
    return SP_ERR_MALFORMED;
  if ((uint64_t) out_size < size)
    return SP_ERR_BUFFER_TOO_SMALL;
  if (chunk == 0)
    chunk = SIZE_MAX;

  ret = sp_attachment_decryptor_new (&decryptor, key, digest, size);
  for (size_t offset = 0, n; ret == SP_OK && offset < blob_len; offset += n)
    {
      n = next_piece (blob_len, offset, chunk);
      ret = sp_attachment_decryptor_verify (decryptor, blob + offset, n);
    }
  if (ret == SP_OK)
    ret = sp_attachment_decryptor_verify_final (decryptor);
  if (ret != SP_OK)
    {
      sp_attachment_decryptor_free (decryptor);
      return ret;
    }

  /* Past the MAC only a sender can make decryption fail; what was
   * written by then is wiped. */
  return decrypt_pass (decryptor, out, out_len, size, blob, blob_len, chunk);
}

int
sp_attachment_decrypt_one_pass (uint8_t       *out,
                                size_t         out_size,
                                size_t        *out_len,
                                const uint8_t  key[SP_ATTACHMENT_KEY_SIZE],
                                const uint8_t  digest[SP_ATTACHMENT_DIGEST_SIZE],
                                uint64_t       size,
                                const uint8_t *blob,
                                size_t         blob_len,
                                size_t         chunk)
{
  SpAttachmentDecryptor *decryptor = NULL;
  int ret;

  if (!decrypt_arguments_valid (out, out_size, out_len, key, digest, size, blob, blob_len))
    return SP_ERR_INVALID_ARGUMENT;
  /* The blob's length is left to the stream to judge, as it judges a
   * file's. */
  if ((uint64_t) out_size < size)
    return SP_ERR_BUFFER_TOO_SMALL;

  ret = sp_attachment_decryptor_new (&decryptor, key, digest, size);
  if (ret != SP_OK)
    return ret;
  return decrypt_pass (decryptor, out, out_len, size, blob, blob_len, chunk == 0 ? SIZE_MAX : chunk);
}
