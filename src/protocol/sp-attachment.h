/* sp-attachment.h: attachments encrypted as Signal encrypts them
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An attachment is encrypted under a random 64-byte key of its own (the
 * AES-256 key, then the HMAC-SHA256 key) and a random IV; the blob the
 * relay stores is
 *
 *   IV (16) ‖ AES-256-CBC(plaintext ‖ zeros, PKCS#7) ‖ HMAC-SHA256(IV ‖ ciphertext) (32)
 *
 * where the zeros pad the plaintext to its size bucket.  The message that
 * refers to the blob carries the key, the plaintext size and the digest,
 * SHA-256 of the whole blob, so the recipient can tell a blob the relay
 * swapped or truncated.  Key and IV must come from randombytes_buf() and
 * never be used for a second attachment. */

#define SP_ATTACHMENT_KEY_SIZE 64
#define SP_ATTACHMENT_IV_SIZE 16
#define SP_ATTACHMENT_MAC_SIZE 32
#define SP_ATTACHMENT_DIGEST_SIZE 32

/* The largest plaintext the core encrypts or accepts, 4 GiB; the relay's
 * limits are far lower. */
#define SP_ATTACHMENT_MAX_SIZE ((uint64_t) 1 << 32)

/* The smallest bucket: every plaintext up to this size pads to it. */
#define SP_ATTACHMENT_MIN_PADDED_SIZE 541

/* Room an update may need beyond its input, in both directions. */
#define SP_ATTACHMENT_UPDATE_OVERHEAD 32

/* The smallest buffer sp_attachment_encryptor_final() accepts. */
#define SP_ATTACHMENT_FINAL_MIN_SIZE 48

/* Signal's size bucket, max(541, floor(1.05 ^ ceil(log_1.05(size)))),
 * computed as Signal's clients compute it; 0 when @size is above
 * SP_ATTACHMENT_MAX_SIZE. */
uint64_t sp_attachment_padded_size (uint64_t size);

/* The length of the blob of a @size-byte plaintext, the only length a
 * blob of that size may have; 0 when @size is above
 * SP_ATTACHMENT_MAX_SIZE. */
uint64_t sp_attachment_blob_size (uint64_t size);

/* Streaming encryption, so that a large file never has to be in memory
 * whole.  The encryptor lives in sodium_malloc() memory, which
 * sp_attachment_encryptor_free() wipes.  @size, the whole plaintext's
 * length, must be known in advance: it decides the padding. */
typedef struct SpAttachmentEncryptor SpAttachmentEncryptor;

int  sp_attachment_encryptor_new    (SpAttachmentEncryptor **out,
                                     const uint8_t           key[SP_ATTACHMENT_KEY_SIZE],
                                     const uint8_t           iv[SP_ATTACHMENT_IV_SIZE],
                                     uint64_t                size);

/* Encrypts the next @in_len plaintext bytes and writes the blob bytes
 * they complete, the IV first: never more than @in_len +
 * SP_ATTACHMENT_UPDATE_OVERHEAD (SP_ERR_BUFFER_TOO_SMALL, nothing
 * consumed, when @out_size is less than this call's share).  More
 * plaintext than @size in all is SP_ERR_INVALID_ARGUMENT. */
int  sp_attachment_encryptor_update (SpAttachmentEncryptor  *encryptor,
                                     uint8_t                *out,
                                     size_t                  out_size,
                                     size_t                 *out_len,
                                     const uint8_t          *in,
                                     size_t                  in_len);

/* Once all @size bytes went through updates: writes the rest of the blob
 * (the encrypted zero padding, the PKCS#7 block and the MAC), as much of
 * it as fits in @out_size (at least SP_ATTACHMENT_FINAL_MIN_SIZE), and
 * sets *@done when nothing is left; then, and only then, @digest holds
 * the blob's SHA-256.  Call it until *@done.  The padding is up to a
 * twentieth of the plaintext, so a small buffer is enough however large
 * the file. */
int  sp_attachment_encryptor_final  (SpAttachmentEncryptor  *encryptor,
                                     uint8_t                *out,
                                     size_t                  out_size,
                                     size_t                 *out_len,
                                     uint8_t                 digest[SP_ATTACHMENT_DIGEST_SIZE],
                                     bool                   *done);

void sp_attachment_encryptor_free   (SpAttachmentEncryptor  *encryptor);

/* Streaming decryption reads the blob once or twice.  In two passes, as
 * Signal-Android does, the first (verify, verify_final) checks its
 * length, its digest and its MAC and decrypts nothing; only then does
 * the second (update, final) decrypt it.  The second pass hashes the
 * blob again and final refuses it if the bytes differ from the verified
 * ones, so the plaintext it released is that of the blob whose MAC was
 * checked.  In one pass, update is called from the start without
 * verify: it takes the blob into the digest and the MAC as it decrypts,
 * and final checks the length, the digest, the MAC and the padding, in
 * that order, with the same errors.  Either way update releases
 * plaintext before final has judged the blob: the caller keeps it where
 * nothing else reads it (a buffer, a hidden file of its own) until
 * final returns SP_OK, and discards it otherwise.  One pass costs one
 * read of the blob instead of two; two passes never decrypt a blob that
 * is refused.
 *
 * Errors: a blob longer or shorter than sp_attachment_blob_size (@size)
 * is SP_ERR_MALFORMED, one whose SHA-256 is not @digest SP_ERR_BAD_DIGEST
 * (the relay swapped, truncated or damaged it), a wrong MAC SP_ERR_BAD_MAC
 * (the blob matches the digest but not the key: its sender made it so),
 * and padding that is not zeros then PKCS#7 SP_ERR_BAD_PADDING.  After an
 * error every further call fails.  What update wrote is the attachment
 * only when final returns SP_OK; otherwise the caller discards it. */
typedef struct SpAttachmentDecryptor SpAttachmentDecryptor;

int  sp_attachment_decryptor_new          (SpAttachmentDecryptor **out,
                                           const uint8_t           key[SP_ATTACHMENT_KEY_SIZE],
                                           const uint8_t           digest[SP_ATTACHMENT_DIGEST_SIZE],
                                           uint64_t                size);

/* The first pass of two: the next @in_len bytes of the blob. */
int  sp_attachment_decryptor_verify       (SpAttachmentDecryptor  *decryptor,
                                           const uint8_t          *in,
                                           size_t                  in_len);

int  sp_attachment_decryptor_verify_final (SpAttachmentDecryptor  *decryptor);

/* The second pass, the same bytes again, or the only pass when no
 * verify came before it: writes the plaintext bytes they complete,
 * never more than @in_len + 15 (SP_ERR_BUFFER_TOO_SMALL, nothing
 * consumed, when @out_size is less than this call's share).  Once one
 * pass has begun, verify is refused. */
int  sp_attachment_decryptor_update       (SpAttachmentDecryptor  *decryptor,
                                           uint8_t                *out,
                                           size_t                  out_size,
                                           size_t                 *out_len,
                                           const uint8_t          *in,
                                           size_t                  in_len);

int  sp_attachment_decryptor_final        (SpAttachmentDecryptor  *decryptor);

void sp_attachment_decryptor_free         (SpAttachmentDecryptor  *decryptor);

/* The forms for attachments held in memory.  They feed the streaming
 * functions @chunk bytes at a time (0: all at once), as a file read
 * piece by piece would be; the result does not depend on @chunk, which
 * the tests and the fuzz target check across every block boundary.
 * Encryption needs sp_attachment_blob_size (@in_len) bytes at @out.
 * Decryption needs @size bytes at @out; a blob refused for its length,
 * digest or MAC leaves @out untouched, one refused for its padding
 * (possible only when its sender made it so) leaves @out wiped. */
int sp_attachment_encrypt (uint8_t       *out,
                           size_t         out_size,
                           size_t        *out_len,
                           uint8_t        digest[SP_ATTACHMENT_DIGEST_SIZE],
                           const uint8_t  key[SP_ATTACHMENT_KEY_SIZE],
                           const uint8_t  iv[SP_ATTACHMENT_IV_SIZE],
                           const uint8_t *in,
                           size_t         in_len,
                           size_t         chunk);

int sp_attachment_decrypt (uint8_t       *out,
                           size_t         out_size,
                           size_t        *out_len,
                           const uint8_t  key[SP_ATTACHMENT_KEY_SIZE],
                           const uint8_t  digest[SP_ATTACHMENT_DIGEST_SIZE],
                           uint64_t       size,
                           const uint8_t *blob,
                           size_t         blob_len,
                           size_t         chunk);

/* sp_attachment_decrypt() in one pass, as a reader that cannot read the
 * blob twice decrypts it: updates from the start, then final, which
 * alone judges the blob, with the same errors.  Only the room at @out is
 * checked first; the blob's length is judged as the stream judges a
 * file's.  Whatever a refused blob is refused for, @out is wiped: one
 * pass writes plaintext before final has seen the MAC. */
int sp_attachment_decrypt_one_pass (uint8_t       *out,
                                    size_t         out_size,
                                    size_t        *out_len,
                                    const uint8_t  key[SP_ATTACHMENT_KEY_SIZE],
                                    const uint8_t  digest[SP_ATTACHMENT_DIGEST_SIZE],
                                    uint64_t       size,
                                    const uint8_t *blob,
                                    size_t         blob_len,
                                    size_t         chunk);
