/* sp-store.h: where sessions, identities and prekeys live
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp-keys.h"
#include "sp-message.h"
#include "sp-prekeys.h"

/* A remote or local device: a name (a service id string such as a UUID
 * for Signal-compatible peers) and a device id. */
typedef struct {
  const char *name;
  uint32_t device_id;
} SpAddress;

typedef enum {
  SP_DIRECTION_SENDING,
  SP_DIRECTION_RECEIVING,
} SpDirection;

typedef struct _SpSessionRecord SpSessionRecord;
typedef struct _SpSenderKeyRecord SpSenderKeyRecord;

/* The storage the session core works against, as a table of callbacks
 * sharing one @user_data pointer, in the manner of libsignal's store
 * traits.  Every callback returns SP_OK or a negative SpError code; an
 * error other than the ones named below is passed on to the caller of
 * the session function (use SP_ERR_STORE for I/O failures).
 *
 * The core only reads from the store until a message has been fully
 * authenticated and decrypted; then it writes, in this order:
 * mark_kyber_pre_key_used, store_session, save_identity, remove_pre_key.
 * A store that must be all-or-nothing across these calls (a database)
 * wraps the session call in a transaction of its own. */
typedef struct {
  void *user_data;

  /* Our own identity key pair and registration id. */
  int (*get_identity_key_pair) (void      *user_data,
                                SpKeyPair *out);
  int (*get_local_registration_id) (void     *user_data,
                                    uint32_t *out);

  /* The identity key last saved for @address; *found is false and @out
   * untouched when there is none. */
  int (*get_identity) (void            *user_data,
                       const SpAddress *address,
                       SpPublicKey     *out,
                       bool            *found);

  int (*save_identity) (void              *user_data,
                        const SpAddress   *address,
                        const SpPublicKey *key);

  /* The trust decision for @key as @address's identity.  When it is
   * negative the core reports SP_ERR_IDENTITY_CHANGED if a different key
   * is saved for @address, SP_ERR_UNTRUSTED_IDENTITY otherwise. */
  int (*is_trusted_identity) (void              *user_data,
                              const SpAddress   *address,
                              const SpPublicKey *key,
                              SpDirection        direction,
                              bool              *trusted);

  /* The three loaders return SP_ERR_MISSING_PREKEY for an unknown id. */
  int (*load_pre_key) (void     *user_data,
                       uint32_t  id,
                       SpPreKey *out);
  int (*remove_pre_key) (void     *user_data,
                         uint32_t  id);
  int (*load_signed_pre_key) (void           *user_data,
                              uint32_t        id,
                              SpSignedPreKey *out);
  int (*load_kyber_pre_key) (void          *user_data,
                             uint32_t       id,
                             SpKyberPreKey *out);

  /* Called once a PreKeySignalMessage that used Kyber prekey @kyber_id has
   * been decrypted, before anything else is written.  A one-time Kyber
   * prekey is removed; a last-resort one may be used again, but never
   * twice with the same @base_key: the store refuses that with
   * SP_ERR_DUPLICATE_MESSAGE, and the core then writes nothing. */
  int (*mark_kyber_pre_key_used) (void              *user_data,
                                  uint32_t           kyber_id,
                                  uint32_t           signed_pre_key_id,
                                  const SpPublicKey *base_key);

  /* Fills @record with a copy of the stored session record, or returns
   * SP_ERR_NO_SESSION and leaves it alone.  The core owns @record. */
  int (*load_session) (void            *user_data,
                       const SpAddress *address,
                       SpSessionRecord *record);

  /* Stores a copy of @record; the core keeps using its own. */
  int (*store_session) (void                  *user_data,
                        const SpAddress       *address,
                        const SpSessionRecord *record);

  /* Sender keys (groups), kept per sender address and distribution id;
   * our own are kept under our own address.  Optional: a store that
   * leaves both NULL serves sessions only, and sp_group_cipher_new()
   * refuses it.  load_sender_key fills @record with a copy of the stored
   * record or returns SP_ERR_NO_SENDER_KEY and leaves it alone;
   * store_sender_key stores a copy. */
  int (*load_sender_key) (void              *user_data,
                          const SpAddress   *sender,
                          const uint8_t      distribution_id[SP_DISTRIBUTION_ID_SIZE],
                          SpSenderKeyRecord *record);
  int (*store_sender_key) (void                    *user_data,
                           const SpAddress         *sender,
                           const uint8_t            distribution_id[SP_DISTRIBUTION_ID_SIZE],
                           const SpSenderKeyRecord *record);
} SpStore;

/* An in-memory store, for tests and tools: trust on first use (a key is
 * trusted when none is saved for the address or it equals the saved
 * one), session and sender key records copied in and out without
 * serialisation. */
typedef struct _SpMemoryStore SpMemoryStore;

int sp_memory_store_new (SpMemoryStore   **out,
                         const SpKeyPair  *identity,
                         uint32_t          registration_id);

void sp_memory_store_free (SpMemoryStore *store);

/* Fills @out with the callbacks of @store. */
int sp_memory_store_get_interface (SpMemoryStore *store,
                                   SpStore       *out);

/* Adding a key with an id already present replaces it. */
int sp_memory_store_add_pre_key (SpMemoryStore  *store,
                                 const SpPreKey *key);

int sp_memory_store_add_signed_pre_key (SpMemoryStore        *store,
                                        const SpSignedPreKey *key);

int sp_memory_store_add_kyber_pre_key (SpMemoryStore       *store,
                                       const SpKyberPreKey *key,
                                       bool                 last_resort);
