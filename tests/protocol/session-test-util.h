/* session-test-util.h: parties, bundles and messages for the session tests
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Header-only so that each session test program stays a single source
 * file, as the protocol test list expects.
 */

#pragma once

#include <glib.h>
#include <sodium.h>
#include <string.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-keys.h"
#include "sp-message.h"
#include "sp-prekeys.h"
#include "sp-session.h"
#include "sp-session-private.h"
#include "sp-session-state.h"
#include "sp-store.h"

#define TEST_SIGNED_PRE_KEY_ID 7
#define TEST_KYBER_PRE_KEY_ID 9
#define TEST_PRE_KEY_ID 11

/* One device with an in-memory store holding a signed prekey, a Kyber
 * prekey and a one-time prekey. */
typedef struct {
  char *name;
  uint32_t device_id;
  SpAddress address;
  SpKeyPair *identity;
  uint32_t registration_id;
  SpMemoryStore *memory;
  SpStore store;
  SpSignedPreKey *signed_pre_key;
  SpKyberPreKey *kyber_pre_key;
  SpPreKey *pre_key;
} TestParty;

typedef struct {
  uint8_t *data;
  size_t len;
  int type;
} TestMessage;

static inline TestParty *
test_party_new_with_identity (const char      *name,
                              uint32_t         device_id,
                              const SpKeyPair *identity,
                              gboolean         last_resort_kyber)
{
  TestParty *party = g_new0 (TestParty, 1);

  party->name = g_strdup (name);
  party->device_id = device_id;
  party->address.name = party->name;
  party->address.device_id = device_id;
  party->identity = sodium_malloc (sizeof *party->identity);
  party->signed_pre_key = sodium_malloc (sizeof *party->signed_pre_key);
  party->kyber_pre_key = sodium_malloc (sizeof *party->kyber_pre_key);
  party->pre_key = sodium_malloc (sizeof *party->pre_key);
  g_assert_nonnull (party->identity);
  g_assert_nonnull (party->signed_pre_key);
  g_assert_nonnull (party->kyber_pre_key);
  g_assert_nonnull (party->pre_key);

  if (identity != NULL)
    *party->identity = *identity;
  else
    g_assert_cmpint (sp_key_pair_generate (party->identity), ==, SP_OK);
  party->registration_id = g_random_int_range (1, 16380);

  g_assert_cmpint (sp_memory_store_new (&party->memory, party->identity, party->registration_id), ==, SP_OK);
  g_assert_cmpint (sp_memory_store_get_interface (party->memory, &party->store), ==, SP_OK);

  g_assert_cmpint (sp_signed_pre_key_generate (party->signed_pre_key, &party->identity->private_key,
                                               TEST_SIGNED_PRE_KEY_ID, 1000), ==, SP_OK);
  g_assert_cmpint (sp_kyber_pre_key_generate (party->kyber_pre_key, &party->identity->private_key,
                                              TEST_KYBER_PRE_KEY_ID, 1000), ==, SP_OK);
  g_assert_cmpint (sp_pre_key_generate (party->pre_key, TEST_PRE_KEY_ID, 1000), ==, SP_OK);
  g_assert_cmpint (sp_memory_store_add_signed_pre_key (party->memory, party->signed_pre_key), ==, SP_OK);
  g_assert_cmpint (sp_memory_store_add_kyber_pre_key (party->memory, party->kyber_pre_key,
                                                      last_resort_kyber), ==, SP_OK);
  g_assert_cmpint (sp_memory_store_add_pre_key (party->memory, party->pre_key), ==, SP_OK);
  return party;
}

static inline TestParty *
test_party_new (const char *name,
                uint32_t    device_id)
{
  return test_party_new_with_identity (name, device_id, NULL, FALSE);
}

static inline void
test_party_free (TestParty *party)
{
  sp_memory_store_free (party->memory);
  sodium_free (party->identity);
  sodium_free (party->signed_pre_key);
  sodium_free (party->kyber_pre_key);
  sodium_free (party->pre_key);
  g_free (party->name);
  g_free (party);
}

static inline void
test_party_bundle (TestParty      *party,
                   SpPreKeyBundle *bundle,
                   gboolean        with_pre_key)
{
  g_assert_cmpint (sp_pre_key_bundle_init (bundle, party->registration_id, party->device_id,
                                           &party->identity->public_key, party->signed_pre_key,
                                           party->kyber_pre_key, with_pre_key ? party->pre_key : NULL),
                   ==, SP_OK);
}

/* A cipher at @local for messages with @remote. */
static inline SpSessionCipher *
test_cipher_new (TestParty *local,
                 TestParty *remote)
{
  SpSessionCipher *cipher = NULL;

  g_assert_cmpint (sp_session_cipher_new (&cipher, &local->store, &local->address,
                                          &remote->address), ==, SP_OK);
  return cipher;
}

static inline void
test_message_clear (TestMessage *message)
{
  g_clear_pointer (&message->data, g_free);
  message->len = 0;
}

static inline TestMessage
test_encrypt (SpSessionCipher *cipher,
              const char      *text)
{
  size_t len = strlen (text);
  size_t size = SP_SESSION_CIPHERTEXT_MAX_SIZE (len);
  TestMessage message = { g_malloc (size), 0, 0 };

  g_assert_cmpint (sp_session_cipher_encrypt (cipher, (const uint8_t *) text, len, message.data,
                                              size, &message.len, &message.type), ==, SP_OK);
  return message;
}

/* Decrypts @message and returns the core's result; on success the
 * plaintext must be @expected. */
static inline int
test_decrypt (SpSessionCipher   *cipher,
              const TestMessage *message,
              const char        *expected)
{
  g_autofree uint8_t *plaintext = g_malloc (message->len + 1);
  size_t len = 0;
  int rc;

  rc = sp_session_cipher_decrypt (cipher, message->type, message->data, message->len,
                                  plaintext, message->len, &len);
  if (rc == SP_OK && expected != NULL)
    {
      g_assert_cmpuint (len, ==, strlen (expected));
      g_assert_cmpmem (plaintext, len, expected, strlen (expected));
    }
  return rc;
}

/* @record in its storage form, checked to be as long as it said. */
static inline GBytes *
test_session_record_serialize (const SpSessionRecord *record)
{
  size_t size;
  size_t len;
  uint8_t *data;

  g_assert_cmpint (sp_session_record_serialized_size (record, &size), ==, SP_OK);
  data = g_malloc (size);
  g_assert_cmpint (sp_session_record_serialize (record, data, size, &len), ==, SP_OK);
  g_assert_cmpuint (len, ==, size);
  return g_bytes_new_take (data, len);
}

/* The record the store holds for @remote, serialised, or NULL when it has
 * none: a snapshot to compare before and after an operation. */
static inline GBytes *
test_store_snapshot (TestParty *party,
                     TestParty *remote)
{
  SpSessionRecord *record = NULL;
  GBytes *bytes;
  int rc;

  g_assert_cmpint (sp_session_record_new (&record), ==, SP_OK);
  rc = party->store.load_session (party->store.user_data, &remote->address, record);
  if (rc == SP_ERR_NO_SESSION)
    {
      sp_session_record_free (record);
      return NULL;
    }
  g_assert_cmpint (rc, ==, SP_OK);
  bytes = test_session_record_serialize (record);
  sp_session_record_free (record);
  return bytes;
}

static inline void
test_assert_snapshot_equal (GBytes *before,
                            GBytes *after)
{
  if (before == NULL || after == NULL)
    {
      g_assert_true (before == after);
      return;
    }
  g_assert_true (g_bytes_equal (before, after));
}

/* The number of live states in the store's record for @remote. */
static inline guint
test_store_state_count (TestParty *party,
                        TestParty *remote)
{
  g_autoptr(GBytes) snapshot = test_store_snapshot (party, remote);

  if (snapshot == NULL)
    return 0;
  /* Byte 5 of the storage form is the number of states. */
  return ((const uint8_t *) g_bytes_get_data (snapshot, NULL))[5];
}

/* A session between @alice and @bob, acknowledged both ways: Alice sent a
 * PreKeySignalMessage, Bob answered and Alice read the answer. */
static inline void
test_establish (SpSessionCipher *alice,
                SpSessionCipher *bob,
                TestParty       *bob_party,
                gboolean         with_pre_key)
{
  SpPreKeyBundle bundle;
  TestMessage first;
  TestMessage reply;

  test_party_bundle (bob_party, &bundle, with_pre_key);
  g_assert_cmpint (sp_session_cipher_process_bundle (alice, &bundle), ==, SP_OK);
  first = test_encrypt (alice, "hello");
  g_assert_cmpint (first.type, ==, SP_CIPHERTEXT_TYPE_PREKEY);
  g_assert_cmpint (test_decrypt (bob, &first, "hello"), ==, SP_OK);
  reply = test_encrypt (bob, "hi");
  g_assert_cmpint (reply.type, ==, SP_CIPHERTEXT_TYPE_WHISPER);
  g_assert_cmpint (test_decrypt (alice, &reply, "hi"), ==, SP_OK);
  test_message_clear (&first);
  test_message_clear (&reply);
}
