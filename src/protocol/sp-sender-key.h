/* sp-sender-key.h: sender keys, the group messaging of libsignal
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp-message.h"
#include "sp-store.h"

/* libsignal's limit: states kept per sender and distribution id, the
 * newest first.  The forward jump and the skipped keys kept per chain
 * are the session's, SP_MAX_FORWARD_JUMPS and SP_MAX_MESSAGE_KEYS. */
#define SP_MAX_SENDER_KEY_STATES 5

/* A sender key record: the sender-key states of one sender (an address)
 * for one distribution id, each a chain with its signing key.  It holds
 * chain keys (and, for our own, a private signing key) and lives in
 * sodium_malloc() memory; copying or deserialising into a record reuses
 * its memory. */
int sp_sender_key_record_new (SpSenderKeyRecord **out);

void sp_sender_key_record_free (SpSenderKeyRecord *record);

/* Makes @dst an independent copy of @src.  On failure @dst is unchanged. */
int sp_sender_key_record_copy (SpSenderKeyRecord       *dst,
                               const SpSenderKeyRecord *src);

/* The storage form (see docs/protocol.md, "Sender key records"):
 * versioned, fixed layout, parsed strictly; it contains chain keys and
 * may contain a private key, so store it encrypted.  An empty record
 * has no storage form (SP_ERR_NO_SENDER_KEY). */
int sp_sender_key_record_serialized_size (const SpSenderKeyRecord *record,
                                          size_t                  *out);

int sp_sender_key_record_serialize (const SpSenderKeyRecord *record,
                                    uint8_t                 *out,
                                    size_t                   out_size,
                                    size_t                  *out_len);

/* Any deviation from the format, including trailing bytes, is
 * SP_ERR_MALFORMED and leaves @record unchanged. */
int sp_sender_key_record_deserialize (SpSenderKeyRecord *record,
                                      const uint8_t     *data,
                                      size_t             len);

/* Sends and receives group messages for the local device @local, whose
 * sender keys are stored under its own address.  It needs a store with
 * the sender-key callbacks.  Like SpSessionCipher it reuses its working
 * memory, is not for two threads at once, and every operation works on
 * its own copy of the stored record and writes it back only when it
 * succeeded: a message that fails for any reason changes nothing. */
typedef struct _SpGroupCipher SpGroupCipher;

/* @store and @local are copied; SP_ERR_INVALID_ARGUMENT when @store has
 * no load_sender_key or store_sender_key. */
int sp_group_cipher_new (SpGroupCipher   **out,
                         const SpStore    *store,
                         const SpAddress  *local);

void sp_group_cipher_free (SpGroupCipher *cipher);

/* Creates our sender key for @distribution_id if there is none (a random
 * 31-bit chain id, a random chain key at iteration 0, a new signing key
 * pair) and writes its SenderKeyDistributionMessage: the chain at its
 * current iteration.  @out needs
 * SP_SENDER_KEY_DISTRIBUTION_MESSAGE_MAX_SIZE bytes. */
int sp_group_cipher_create_distribution (SpGroupCipher *cipher,
                                         const uint8_t  distribution_id[SP_DISTRIBUTION_ID_SIZE],
                                         uint8_t       *out,
                                         size_t         out_size,
                                         size_t        *out_len);

/* Adds the sender key in a SenderKeyDistributionMessage from @sender, as
 * libsignal does: a chain already known with the same signing key is
 * kept as it is (not rewound) and moved to the front; a known chain id
 * with another signing key is replaced; the oldest of more than
 * SP_MAX_SENDER_KEY_STATES states goes. */
int sp_group_cipher_process_distribution (SpGroupCipher *cipher,
                                          const SpAddress *sender,
                                          const uint8_t   *message,
                                          size_t           message_len);

/* The largest SenderKeyMessage for @plaintext_len bytes of plaintext. */
#define SP_GROUP_CIPHERTEXT_MAX_SIZE(plaintext_len) \
  SP_SENDER_KEY_MESSAGE_SIZE ((((size_t) (plaintext_len)) / 16 + 1) * 16)

/* Encrypts with the newest state of our sender key for @distribution_id
 * (SP_ERR_NO_SENDER_KEY when there is none, or when that state is not
 * ours to send with) into a signed SenderKeyMessage, ciphertext type
 * SP_CIPHERTEXT_TYPE_SENDER_KEY. */
int sp_group_cipher_encrypt (SpGroupCipher *cipher,
                             const uint8_t  distribution_id[SP_DISTRIBUTION_ID_SIZE],
                             const uint8_t *plaintext,
                             size_t         plaintext_len,
                             uint8_t       *out,
                             size_t         out_size,
                             size_t        *out_len);

/* Decrypts a SenderKeyMessage from @sender.  In libsignal's order: the
 * state of the message's chain id (SP_ERR_NO_SENDER_KEY; messages and
 * states only exist in version 3, so their versions always agree), the
 * signature (SP_ERR_INVALID_SIGNATURE), the message key
 * (SP_ERR_DUPLICATE_MESSAGE, SP_ERR_TOO_FAR_AHEAD beyond
 * SP_MAX_FORWARD_JUMPS, SP_ERR_INVALID_MESSAGE for the last iteration),
 * then AES (SP_ERR_BAD_PADDING, SP_ERR_MALFORMED).  The plaintext is
 * never longer than @ciphertext_len. */
int sp_group_cipher_decrypt (SpGroupCipher   *cipher,
                             const SpAddress *sender,
                             const uint8_t   *ciphertext,
                             size_t           ciphertext_len,
                             uint8_t         *out,
                             size_t           out_size,
                             size_t          *out_len);
