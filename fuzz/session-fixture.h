/* session-fixture.h: a fixed session for the session fuzz targets
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every key, every random draw and so every byte here is fixed, so the
 * committed seed corpora stay valid: Alice (device 1) has started a
 * session with Bob (device 2) using his one-time prekey, Bob has read her
 * first PreKeySignalMessage and answered, and Alice has read the answer.
 * The fixture keeps Bob's record from just after the first message and
 * Alice's first SignalMessage after the answer.
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-keys.h"
#include "sp-message.h"
#include "sp-prekeys.h"
#include "sp-session.h"
#include "sp-session-private.h"
#include "sp-store.h"
#include "sp-xeddsa.h"

typedef struct {
  SpKeyPair alice_identity;
  SpKeyPair bob_identity;
  SpKeyPair alice_base;
  SpKeyPair alice_ratchet;
  SpKeyPair alice_second_ratchet;
  SpKeyPair bob_ratchet;
  SpSignedPreKey signed_pre_key;
  SpKyberPreKey kyber_pre_key;
  SpPreKey pre_key;
  SpPreKeyBundle bundle;
  uint8_t kyber_random[32];
  uint8_t bob_record[2048];            /* Bob's record after the first message */
  size_t bob_record_len;
  uint8_t first_message[4096];         /* Alice's PreKeySignalMessage */
  size_t first_message_len;
  uint8_t whisper[256];                /* Alice's SignalMessage after the answer */
  size_t whisper_len;
} SessionFixture;

static const SpAddress fixture_alice = { "9d0652a3-dcc3-4d11-975f-74d61598733f", 1 };
static const SpAddress fixture_bob = { "e3d0a3a1-1f5f-4a8e-8a32-c3a3b8e7e4a1", 2 };

static inline int
fixture_key_pair (SpKeyPair *out,
                  uint8_t    fill)
{
  uint8_t scalar[32];
  int rc;

  memset (scalar, fill, sizeof scalar);
  rc = sp_key_pair_from_private (out, scalar, sizeof scalar);
  sodium_memzero (scalar, sizeof scalar);
  return rc;
}

/* Bob's store as the fixture left it: his prekeys and his record. */
static inline int
fixture_bob_store (const SessionFixture  *fixture,
                   SpMemoryStore        **out)
{
  SpSessionRecord *record = NULL;
  SpMemoryStore *memory = NULL;
  SpStore store;
  int rc;

  if ((rc = sp_memory_store_new (&memory, &fixture->bob_identity, 2)) == SP_OK
      && (rc = sp_memory_store_get_interface (memory, &store)) == SP_OK
      && (rc = sp_memory_store_add_signed_pre_key (memory, &fixture->signed_pre_key)) == SP_OK
      && (rc = sp_memory_store_add_kyber_pre_key (memory, &fixture->kyber_pre_key, false)) == SP_OK
      && (rc = sp_memory_store_add_pre_key (memory, &fixture->pre_key)) == SP_OK
      && (rc = sp_session_record_new (&record)) == SP_OK
      && (rc = sp_session_record_deserialize (record, fixture->bob_record, fixture->bob_record_len)) == SP_OK)
    rc = store.store_session (store.user_data, &fixture_alice, record);
  sp_session_record_free (record);
  if (rc != SP_OK)
    {
      sp_memory_store_free (memory);
      return rc;
    }
  *out = memory;
  return SP_OK;
}

static inline int
fixture_build (SessionFixture *fixture,
               SpMemoryStore  *alice_memory,
               SpMemoryStore  *bob_memory)
{
  SpSessionOverrides overrides = { 0 };
  SpSessionCipher *alice = NULL;
  SpSessionCipher *bob = NULL;
  SpSessionRecord *record = NULL;
  SpStore alice_store;
  SpStore bob_store;
  SpPreKeyBundle *bundle = &fixture->bundle;
  uint8_t message[4096];
  uint8_t plaintext[4096];
  size_t message_len;
  size_t plaintext_len;
  int type;
  int rc;

  if ((rc = sp_memory_store_get_interface (alice_memory, &alice_store)) != SP_OK
      || (rc = sp_memory_store_get_interface (bob_memory, &bob_store)) != SP_OK
      || (rc = sp_memory_store_add_signed_pre_key (bob_memory, &fixture->signed_pre_key)) != SP_OK
      || (rc = sp_memory_store_add_kyber_pre_key (bob_memory, &fixture->kyber_pre_key, false)) != SP_OK
      || (rc = sp_memory_store_add_pre_key (bob_memory, &fixture->pre_key)) != SP_OK
      || (rc = sp_session_cipher_new (&alice, &alice_store, &fixture_alice, &fixture_bob)) != SP_OK
      || (rc = sp_session_cipher_new (&bob, &bob_store, &fixture_bob, &fixture_alice)) != SP_OK
      || (rc = sp_session_record_new (&record)) != SP_OK)
    goto out;

  overrides.base_key = &fixture->alice_base;
  overrides.ratchet_key = &fixture->alice_ratchet;
  overrides.kyber_random = fixture->kyber_random;
  if ((rc = sp_session_cipher_process_bundle_with (alice, bundle, &overrides)) != SP_OK
      || (rc = sp_session_cipher_encrypt (alice, (const uint8_t *) "first", 5, fixture->first_message,
                                          sizeof fixture->first_message, &fixture->first_message_len,
                                          &type)) != SP_OK)
    goto out;

  overrides = (SpSessionOverrides) { .ratchet_key = &fixture->bob_ratchet };
  if ((rc = sp_session_cipher_decrypt_with (bob, type, fixture->first_message, fixture->first_message_len,
                                            plaintext, sizeof plaintext, &plaintext_len, &overrides)) != SP_OK
      || (rc = bob_store.load_session (bob_store.user_data, &fixture_alice, record)) != SP_OK
      || (rc = sp_session_record_serialize (record, fixture->bob_record, sizeof fixture->bob_record,
                                            &fixture->bob_record_len)) != SP_OK
      || (rc = sp_session_cipher_encrypt (bob, (const uint8_t *) "answer", 6, message, sizeof message,
                                          &message_len, &type)) != SP_OK)
    goto out;

  overrides = (SpSessionOverrides) { .ratchet_key = &fixture->alice_second_ratchet };
  if ((rc = sp_session_cipher_decrypt_with (alice, type, message, message_len, plaintext, sizeof plaintext,
                                            &plaintext_len, &overrides)) != SP_OK)
    goto out;
  rc = sp_session_cipher_encrypt (alice, (const uint8_t *) "whisper", 7, fixture->whisper,
                                  sizeof fixture->whisper, &fixture->whisper_len, &type);

out:
  sp_session_record_free (record);
  sp_session_cipher_free (alice);
  sp_session_cipher_free (bob);
  return rc;
}

/* The fixture, made on first use and kept for the life of the process. */
static inline const SessionFixture *
session_fixture (void)
{
  static SessionFixture *fixture;
  static const uint8_t z[SP_XEDDSA_RANDOM_SIZE] = { 0x99 };
  static const uint8_t kyber_seed[SP_KYBER1024_SEED_BYTES] = { 0x42 };
  SpMemoryStore *alice_memory = NULL;
  SpMemoryStore *bob_memory = NULL;
  SessionFixture *f;
  int rc;

  if (fixture != NULL)
    return fixture;
  if (sp_init () != SP_OK || (f = sodium_malloc (sizeof *f)) == NULL)
    abort ();
  memset (f, 0, sizeof *f);

  if (fixture_key_pair (&f->alice_identity, 0x11) != SP_OK
      || fixture_key_pair (&f->bob_identity, 0x22) != SP_OK
      || fixture_key_pair (&f->signed_pre_key.key_pair, 0x33) != SP_OK
      || fixture_key_pair (&f->pre_key.key_pair, 0x44) != SP_OK
      || fixture_key_pair (&f->alice_base, 0x66) != SP_OK
      || fixture_key_pair (&f->alice_ratchet, 0x77) != SP_OK
      || fixture_key_pair (&f->alice_second_ratchet, 0x78) != SP_OK
      || fixture_key_pair (&f->bob_ratchet, 0xdd) != SP_OK
      || sp_kyber1024_keypair_from_seed (f->kyber_pre_key.public_key, f->kyber_pre_key.secret_key,
                                         kyber_seed) != SP_OK)
    abort ();
  memset (f->kyber_random, 0x88, sizeof f->kyber_random);
  f->signed_pre_key.id = 2;
  f->pre_key.id = 1;
  f->kyber_pre_key.id = 3;
  if (sp_xeddsa_sign (f->signed_pre_key.signature, &f->bob_identity.private_key,
                      f->signed_pre_key.key_pair.public_key.bytes, SP_PUBLIC_KEY_SIZE, z) != SP_OK
      || sp_xeddsa_sign (f->kyber_pre_key.signature, &f->bob_identity.private_key,
                         f->kyber_pre_key.public_key, SP_KYBER_PUBLIC_KEY_SIZE, z) != SP_OK)
    abort ();

  if (sp_pre_key_bundle_init (&f->bundle, 2, fixture_bob.device_id, &f->bob_identity.public_key,
                              &f->signed_pre_key, &f->kyber_pre_key, &f->pre_key) != SP_OK)
    abort ();

  if (sp_memory_store_new (&alice_memory, &f->alice_identity, 1) != SP_OK
      || sp_memory_store_new (&bob_memory, &f->bob_identity, 2) != SP_OK)
    abort ();
  rc = fixture_build (f, alice_memory, bob_memory);
  sp_memory_store_free (alice_memory);
  sp_memory_store_free (bob_memory);
  if (rc != SP_OK)
    abort ();

  fixture = f;
  return fixture;
}
