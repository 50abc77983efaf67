/* sp-session.h: PQXDH sessions and the Double Ratchet (message version 4)
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
#include "sp-prekeys.h"
#include "sp-store.h"
#include "sp-xeddsa.h"

/* libsignal's limits, which a peer relies on. */
#define SP_MAX_FORWARD_JUMPS 25000     /* per receiving chain and per SPQR chain */
#define SP_MAX_MESSAGE_KEYS 2000       /* skipped keys kept per receiving chain */
#define SP_MAX_RECEIVER_CHAINS 5
#define SP_MAX_ARCHIVED_STATES 40
#define SP_MAX_UNACKNOWLEDGED_AGE_MS (30ULL * 24 * 60 * 60 * 1000)

/* The other party's published keys, as the server hands them out.  The
 * Kyber prekey is required; the one-time prekey is optional. */
typedef struct {
  uint32_t registration_id;
  uint32_t device_id;
  SpPublicKey identity_key;
  uint32_t signed_pre_key_id;
  SpPublicKey signed_pre_key;
  uint8_t signed_pre_key_signature[SP_SIGNATURE_SIZE];
  uint32_t kyber_pre_key_id;
  uint8_t kyber_pre_key[SP_KYBER_PUBLIC_KEY_SIZE];
  uint8_t kyber_pre_key_signature[SP_SIGNATURE_SIZE];
  bool has_pre_key;
  uint32_t pre_key_id;
  SpPublicKey pre_key;
} SpPreKeyBundle;

/* Fills @bundle with what a device publishes: its registration and device
 * ids, the public half of its identity key and of each prekey, and the
 * prekeys' ids and signatures.  @pre_key is NULL for a bundle without a
 * one-time prekey. */
int sp_pre_key_bundle_init (SpPreKeyBundle       *bundle,
                            uint32_t              registration_id,
                            uint32_t              device_id,
                            const SpPublicKey    *identity_key,
                            const SpSignedPreKey *signed_pre_key,
                            const SpKyberPreKey  *kyber_pre_key,
                            const SpPreKey       *pre_key);

/* A session record: the current session state with one address and up to
 * SP_MAX_ARCHIVED_STATES older ones.  It holds private keys and lives in
 * sodium_malloc() memory.  A record is a reusable container: copying into
 * it or deserialising into it reuses its memory. */
int sp_session_record_new (SpSessionRecord **out);

void sp_session_record_free (SpSessionRecord *record);

/* Makes @dst an independent copy of @src.  On failure @dst is unchanged. */
int sp_session_record_copy (SpSessionRecord       *dst,
                            const SpSessionRecord *src);

/* SP_OK with *has_session set when the record has a current state. */
int sp_session_record_has_session (const SpSessionRecord *record,
                                   bool                  *has_session);

/* SP_OK with *out set to the registration id the remote device had when
 * the current session was set up (the relay wants it with every
 * envelope); SP_ERR_NO_SESSION without a current session. */
int sp_session_record_get_remote_registration_id (const SpSessionRecord *record,
                                                  uint32_t              *out);

/* The storage form (see docs/protocol.md, "Session records"): versioned,
 * fixed layout, parsed strictly.  It contains private keys: store it
 * encrypted.  @out_size must be at least the size from
 * sp_session_record_serialized_size(). */
int sp_session_record_serialized_size (const SpSessionRecord *record,
                                       size_t                *out);

int sp_session_record_serialize (const SpSessionRecord *record,
                                 uint8_t               *out,
                                 size_t                 out_size,
                                 size_t                *out_len);

/* Any deviation from the format, including trailing bytes, is
 * SP_ERR_MALFORMED and leaves @record unchanged. */
int sp_session_record_deserialize (SpSessionRecord *record,
                                   const uint8_t   *data,
                                   size_t           len);

/* Encrypts to and decrypts from one remote device.  A cipher reuses its
 * working memory from message to message, so keep one per conversation;
 * it is not safe to use one cipher from two threads at once.  Every
 * operation loads the record from the store, works on its own copy, and
 * writes back only when it succeeded: a message that fails for any
 * reason leaves every store as it was. */
typedef struct _SpSessionCipher SpSessionCipher;

/* @store is copied; @local and @remote are copied too.  @local's name
 * and device go into the addresses field libsignal puts in the first
 * messages of a session when both names are service ids. */
int sp_session_cipher_new (SpSessionCipher **out,
                           const SpStore    *store,
                           const SpAddress  *local,
                           const SpAddress  *remote);

void sp_session_cipher_free (SpSessionCipher *cipher);

/* PQXDH as the initiator: checks that the bundle's identity is trusted,
 * verifies both prekey signatures, and stores a new session (archiving
 * the current one).  Until the first message from the other side is
 * decrypted, every message is a PreKeySignalMessage. */
int sp_session_cipher_process_bundle (SpSessionCipher      *cipher,
                                      const SpPreKeyBundle *bundle);

/* The largest ciphertext for @plaintext_len bytes of plaintext. */
#define SP_SESSION_CIPHERTEXT_MAX_SIZE(plaintext_len) \
  ((((size_t) (plaintext_len)) / 16 + 1) * 16 + 1856)

/* Writes a SignalMessage (*out_type SP_CIPHERTEXT_TYPE_WHISPER) or, while
 * the session is unacknowledged, a PreKeySignalMessage
 * (SP_CIPHERTEXT_TYPE_PREKEY). */
int sp_session_cipher_encrypt (SpSessionCipher *cipher,
                               const uint8_t   *plaintext,
                               size_t           plaintext_len,
                               uint8_t         *out,
                               size_t           out_size,
                               size_t          *out_len,
                               int             *out_type);

/* @type is SP_CIPHERTEXT_TYPE_WHISPER or SP_CIPHERTEXT_TYPE_PREKEY.  The
 * plaintext is never longer than @ciphertext_len. */
int sp_session_cipher_decrypt (SpSessionCipher *cipher,
                               int              type,
                               const uint8_t   *ciphertext,
                               size_t           ciphertext_len,
                               uint8_t         *out,
                               size_t           out_size,
                               size_t          *out_len);

/* sp_session_cipher_decrypt() for the inner message of a sealed sender
 * message, whose certificate names the sender's identity key
 * @sender_identity: the message is refused with SP_ERR_IDENTITY_MISMATCH,
 * and nothing stored, unless the session state that decrypts it (for a
 * PreKeySignalMessage, the identity it carries) has that remote
 * identity.  The cipher's remote address must be the certificate's. */
int sp_session_cipher_decrypt_sealed (SpSessionCipher   *cipher,
                                      int                type,
                                      const SpPublicKey *sender_identity,
                                      const uint8_t     *ciphertext,
                                      size_t             ciphertext_len,
                                      uint8_t           *out,
                                      size_t             out_size,
                                      size_t            *out_len);
