/* sp-aes.h: the AES-256 modes the protocol uses, through libgcrypt
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stddef.h>
#include <stdint.h>

#define SP_AES_KEY_SIZE 32
#define SP_AES_BLOCK_SIZE 16
#define SP_AES_GCM_SIV_NONCE_SIZE 12
#define SP_AES_GCM_SIV_TAG_SIZE 16
#define SP_AES_GCM_NONCE_SIZE 12
#define SP_AES_GCM_TAG_SIZE 16

/* PKCS#7 padded; @out needs room for (in_len / 16 + 1) * 16 bytes.  For
 * both CBC functions, @out may be @in but must not overlap it otherwise. */
int sp_aes256_cbc_encrypt (uint8_t       *out,
                           size_t         out_size,
                           size_t        *out_len,
                           const uint8_t  key[SP_AES_KEY_SIZE],
                           const uint8_t  iv[SP_AES_BLOCK_SIZE],
                           const uint8_t *in,
                           size_t         in_len);

/* Strict: a length that is not a positive multiple of 16 is
 * SP_ERR_MALFORMED, any padding other than PKCS#7 is SP_ERR_BAD_PADDING. */
int sp_aes256_cbc_decrypt (uint8_t       *out,
                           size_t         out_size,
                           size_t        *out_len,
                           const uint8_t  key[SP_AES_KEY_SIZE],
                           const uint8_t  iv[SP_AES_BLOCK_SIZE],
                           const uint8_t *in,
                           size_t         in_len);

/* CTR mode with a 128-bit big-endian counter block; encryption and
 * decryption are the same operation.  @out may equal @in. */
int sp_aes256_ctr (uint8_t       *out,
                   const uint8_t  key[SP_AES_KEY_SIZE],
                   const uint8_t  counter[SP_AES_BLOCK_SIZE],
                   const uint8_t *in,
                   size_t         len);

/* RFC 8452.  @out receives in_len + 16 bytes (ciphertext || tag). */
int sp_aes256_gcm_siv_encrypt (uint8_t       *out,
                               const uint8_t  key[SP_AES_KEY_SIZE],
                               const uint8_t  nonce[SP_AES_GCM_SIV_NONCE_SIZE],
                               const uint8_t *aad,
                               size_t         aad_len,
                               const uint8_t *in,
                               size_t         in_len);

/* @in is ciphertext || tag; @out receives in_len - 16 bytes.  A wrong tag
 * is SP_ERR_BAD_MAC and leaves @out untouched. */
int sp_aes256_gcm_siv_decrypt (uint8_t       *out,
                               const uint8_t  key[SP_AES_KEY_SIZE],
                               const uint8_t  nonce[SP_AES_GCM_SIV_NONCE_SIZE],
                               const uint8_t *aad,
                               size_t         aad_len,
                               const uint8_t *in,
                               size_t         in_len);

/* NIST SP 800-38D AES-256-GCM with a 96-bit nonce: the cipher of
 * encrypted profiles and of the unidentified-access key's derivation.
 * @out receives in_len + 16 bytes (ciphertext || tag). */
int sp_aes256_gcm_encrypt (uint8_t       *out,
                           const uint8_t  key[SP_AES_KEY_SIZE],
                           const uint8_t  nonce[SP_AES_GCM_NONCE_SIZE],
                           const uint8_t *aad,
                           size_t         aad_len,
                           const uint8_t *in,
                           size_t         in_len);

/* @in is ciphertext || tag; @out receives in_len - 16 bytes, and only
 * when the tag is right (SP_ERR_BAD_MAC otherwise). */
int sp_aes256_gcm_decrypt (uint8_t       *out,
                           const uint8_t  key[SP_AES_KEY_SIZE],
                           const uint8_t  nonce[SP_AES_GCM_NONCE_SIZE],
                           const uint8_t *aad,
                           size_t         aad_len,
                           const uint8_t *in,
                           size_t         in_len);
