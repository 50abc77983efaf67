/* sp-message.h: the wire forms of SignalMessage and PreKeySignalMessage
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp-keys.h"
#include "sp-kyber1024.h"

#define SP_MESSAGE_VERSION 4
#define SP_MESSAGE_VERSION_BYTE ((SP_MESSAGE_VERSION << 4) | SP_MESSAGE_VERSION)
#define SP_SIGNAL_MESSAGE_MAC_SIZE 8
#define SP_MESSAGE_ADDRESSES_SIZE 36

#define SP_CIPHERTEXT_TYPE_WHISPER 2
#define SP_CIPHERTEXT_TYPE_PREKEY 3

/* A decoded SignalMessage.  Byte fields point into the decoded buffer;
 * @serialized_len is the length of version byte + protobuf, the part the
 * MAC covers; @mac points at the 8 trailing MAC bytes. */
typedef struct {
  uint8_t version;
  SpPublicKey ratchet_key;
  uint32_t counter;
  uint32_t previous_counter;
  const uint8_t *ciphertext;
  size_t ciphertext_len;
  const uint8_t *pq_ratchet;      /* NULL when absent */
  size_t pq_ratchet_len;
  const uint8_t *addresses;       /* NULL when absent */
  size_t addresses_len;
  size_t serialized_len;
  const uint8_t *mac;
} SpSignalMessage;

typedef struct {
  uint8_t version;
  bool has_pre_key_id;
  uint32_t pre_key_id;
  SpPublicKey base_key;
  SpPublicKey identity_key;
  const uint8_t *message;         /* the complete embedded SignalMessage */
  size_t message_len;
  uint32_t registration_id;
  uint32_t signed_pre_key_id;
  bool has_kyber_pre_key_id;
  uint32_t kyber_pre_key_id;
  const uint8_t *kyber_ciphertext; /* 0x08 || 1568 bytes, NULL when absent */
  size_t kyber_ciphertext_len;
} SpPreKeySignalMessage;

/* Decoders accept fields in any order and skip unknown ones, reject
 * truncated, oversized, repeated or missing required fields with
 * SP_ERR_MALFORMED, a key that is not a public key with
 * SP_ERR_INVALID_KEY, an unsupported version with SP_ERR_INVALID_MESSAGE,
 * and never read past @len.  The MAC is not checked here: that is the
 * ratchet's job.  The PreKeySignalMessage decoder also decodes the
 * embedded SignalMessage, as libsignal does, and fails with its error. */
int sp_signal_message_decode (SpSignalMessage *out,
                              const uint8_t   *data,
                              size_t           len);

int sp_pre_key_signal_message_decode (SpPreKeySignalMessage *out,
                                      const uint8_t         *data,
                                      size_t                 len);

/* Encoders write fields in ascending order, byte-identical to libsignal,
 * and only version SP_MESSAGE_VERSION; nothing is written unless the
 * whole message fits @out_size.  The SignalMessage encoder takes the MAC
 * key and both identities and appends the 8-byte MAC:
 * HMAC-SHA256(mac_key, sender_identity || receiver_identity ||
 * version byte || protobuf)[0..8]. */
int sp_signal_message_encode (uint8_t           *out,
                              size_t             out_size,
                              size_t            *out_len,
                              const SpSignalMessage *message,
                              const uint8_t      mac_key[32],
                              const SpPublicKey *sender_identity,
                              const SpPublicKey *receiver_identity);

/* Constant-time check of @message's MAC. SP_OK or SP_ERR_BAD_MAC. */
int sp_signal_message_verify_mac (const SpSignalMessage *message,
                                  const uint8_t         *data,
                                  const uint8_t          mac_key[32],
                                  const SpPublicKey     *sender_identity,
                                  const SpPublicKey     *receiver_identity);

int sp_pre_key_signal_message_encode (uint8_t                     *out,
                                      size_t                       out_size,
                                      size_t                      *out_len,
                                      const SpPreKeySignalMessage *message);

/* Sender keys (groups): both messages carry version 3 in both nibbles,
 * and the parsers accept nothing else. */
#define SP_SENDER_KEY_VERSION 3
#define SP_SENDER_KEY_VERSION_BYTE ((SP_SENDER_KEY_VERSION << 4) | SP_SENDER_KEY_VERSION)
#define SP_DISTRIBUTION_ID_SIZE 16
#define SP_SENDER_CHAIN_KEY_SIZE 32

#define SP_CIPHERTEXT_TYPE_SENDER_KEY 7

/* A decoded SenderKeyDistributionMessage.  It has no signature of its
 * own: it travels inside an encrypted 1:1 message.  @chain_key points
 * into the decoded buffer (32 bytes, secret). */
typedef struct {
  uint8_t version;
  uint8_t distribution_id[SP_DISTRIBUTION_ID_SIZE];
  uint32_t chain_id;
  uint32_t iteration;
  const uint8_t *chain_key;
  SpPublicKey signing_key;
} SpSenderKeyDistributionMessage;

/* Version byte, the protobuf, then at most this many bytes of protobuf:
 * 18 (distribution id) + 6 + 6 (two uint32) + 34 (chain key) + 35
 * (signing key). */
#define SP_SENDER_KEY_DISTRIBUTION_MESSAGE_MAX_SIZE (1 + 18 + 6 + 6 + 34 + 35)

/* A decoded SenderKeyMessage.  @signed_len is the length of version byte
 * + protobuf, which the 64-byte XEdDSA signature at @signature covers. */
typedef struct {
  uint8_t version;
  uint8_t distribution_id[SP_DISTRIBUTION_ID_SIZE];
  uint32_t chain_id;
  uint32_t iteration;
  const uint8_t *ciphertext;
  size_t ciphertext_len;
  size_t signed_len;
  const uint8_t *signature;
} SpSenderKeyMessage;

/* The largest SenderKeyMessage for a ciphertext of @ciphertext_len bytes:
 * version byte, protobuf (18 + 6 + 6 + a bytes field), signature. */
#define SP_SENDER_KEY_MESSAGE_SIZE(ciphertext_len) \
  (1 + 18 + 6 + 6 + 1 + 10 + ((size_t) (ciphertext_len)) + 64)

/* As the other decoders: fields in any order, unknown ones skipped,
 * repeated, missing or mis-sized ones SP_ERR_MALFORMED (a distribution id
 * other than 16 bytes, a chain key other than 32, a signing key other
 * than 33), a signing key without the 0x05 type byte SP_ERR_INVALID_KEY,
 * another version SP_ERR_INVALID_MESSAGE.  The signature is not checked
 * here: that needs the sender key state. */
int sp_sender_key_distribution_message_decode (SpSenderKeyDistributionMessage *out,
                                               const uint8_t                  *data,
                                               size_t                          len);

int sp_sender_key_message_decode (SpSenderKeyMessage *out,
                                  const uint8_t      *data,
                                  size_t              len);

/* Byte-identical to libsignal: every field written, in ascending order. */
int sp_sender_key_distribution_message_encode (uint8_t                              *out,
                                               size_t                                out_size,
                                               size_t                               *out_len,
                                               const SpSenderKeyDistributionMessage *message);

/* Writes the message and appends the XEdDSA signature of everything
 * before it by @signing_key; @random as for sp_xeddsa_sign().  The
 * @signed_len and @signature members of @message are ignored. */
int sp_sender_key_message_encode (uint8_t                  *out,
                                  size_t                    out_size,
                                  size_t                   *out_len,
                                  const SpSenderKeyMessage *message,
                                  const SpPrivateKey       *signing_key,
                                  const uint8_t            *random);

/* SP_OK or SP_ERR_INVALID_SIGNATURE. */
int sp_sender_key_message_verify (const SpSenderKeyMessage *message,
                                  const uint8_t            *data,
                                  const SpPublicKey        *signing_key);
