/* sender-key-test-util.h: group members and hand-made sender chains for
 * the sender-key tests
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Header-only, like session-test-util.h, so that each test program stays
 * a single source file.
 */

#pragma once

#include <glib.h>
#include <sodium.h>
#include <string.h>

#include "sp-aes.h"
#include "sp-error.h"
#include "sp-init.h"
#include "sp-keys.h"
#include "sp-message.h"
#include "sp-ratchet.h"
#include "sp-sender-key.h"
#include "sp-sender-key-state.h"
#include "sp-store.h"
#include "sp-xeddsa.h"

/* One device with an in-memory store and a group cipher on it. */
typedef struct {
  char *name;
  SpAddress address;
  SpKeyPair *identity;
  SpMemoryStore *memory;
  SpStore store;
  SpGroupCipher *cipher;
} GroupMember;

static inline GroupMember *
group_member_new (const char *name,
                  uint32_t    device_id)
{
  GroupMember *member = g_new0 (GroupMember, 1);

  member->name = g_strdup (name);
  member->address.name = member->name;
  member->address.device_id = device_id;
  member->identity = sodium_malloc (sizeof *member->identity);
  g_assert_nonnull (member->identity);
  g_assert_cmpint (sp_key_pair_generate (member->identity), ==, SP_OK);
  g_assert_cmpint (sp_memory_store_new (&member->memory, member->identity, 1), ==, SP_OK);
  g_assert_cmpint (sp_memory_store_get_interface (member->memory, &member->store), ==, SP_OK);
  g_assert_cmpint (sp_group_cipher_new (&member->cipher, &member->store, &member->address), ==, SP_OK);
  return member;
}

static inline void
group_member_free (GroupMember *member)
{
  sp_group_cipher_free (member->cipher);
  sp_memory_store_free (member->memory);
  sodium_free (member->identity);
  g_free (member->name);
  g_free (member);
}

/* @record in its storage form, checked to be as long as it said. */
static inline GBytes *
test_sender_key_record_serialize (const SpSenderKeyRecord *record)
{
  size_t size;
  size_t len;
  uint8_t *data;

  g_assert_cmpint (sp_sender_key_record_serialized_size (record, &size), ==, SP_OK);
  data = g_malloc (size);
  g_assert_cmpint (sp_sender_key_record_serialize (record, data, size, &len), ==, SP_OK);
  g_assert_cmpuint (len, ==, size);
  return g_bytes_new_take (data, len);
}

/* The storage form of what @member keeps for (@sender, @distribution_id),
 * or NULL when it keeps nothing: a byte-for-byte view of the state. */
static inline GBytes *
group_member_snapshot (GroupMember     *member,
                       const SpAddress *sender,
                       const uint8_t    distribution_id[SP_DISTRIBUTION_ID_SIZE])
{
  SpSenderKeyRecord *record;
  GBytes *bytes;
  int rc;

  g_assert_cmpint (sp_sender_key_record_new (&record), ==, SP_OK);
  rc = member->store.load_sender_key (member->store.user_data, sender, distribution_id, record);
  if (rc == SP_ERR_NO_SENDER_KEY)
    {
      sp_sender_key_record_free (record);
      return NULL;
    }
  g_assert_cmpint (rc, ==, SP_OK);
  bytes = test_sender_key_record_serialize (record);
  sp_sender_key_record_free (record);
  return bytes;
}

/* A sender chain the test holds the keys of, to craft messages at any
 * iteration, as a sender could. */
typedef struct {
  uint8_t distribution_id[SP_DISTRIBUTION_ID_SIZE];
  uint32_t chain_id;
  uint32_t start_iteration;      /* the chain is known from here on */
  uint8_t start_key[32];
  SpKeyPair signing;
} TestChain;

static inline void
test_chain_init_at (TestChain     *chain,
                    const uint8_t  distribution_id[SP_DISTRIBUTION_ID_SIZE],
                    uint32_t       chain_id,
                    uint32_t       start_iteration)
{
  memcpy (chain->distribution_id, distribution_id, SP_DISTRIBUTION_ID_SIZE);
  chain->chain_id = chain_id;
  chain->start_iteration = start_iteration;
  randombytes_buf (chain->start_key, sizeof chain->start_key);
  g_assert_cmpint (sp_key_pair_generate (&chain->signing), ==, SP_OK);
}

static inline void
test_chain_init (TestChain     *chain,
                 const uint8_t  distribution_id[SP_DISTRIBUTION_ID_SIZE],
                 uint32_t       chain_id)
{
  test_chain_init_at (chain, distribution_id, chain_id, 0);
}

static inline void
test_chain_key (const TestChain *chain,
                uint32_t         iteration,
                uint8_t          out[32])
{
  uint8_t seed[32];

  g_assert_cmpuint (iteration, >=, chain->start_iteration);
  memcpy (out, chain->start_key, 32);
  for (uint32_t i = chain->start_iteration; i < iteration; i++)
    g_assert_cmpint (sp_ratchet_chain_step (seed, out, out), ==, SP_OK);
}

/* The chain's distribution message at @iteration. */
static inline GBytes *
test_chain_distribution (const TestChain *chain,
                         uint32_t         iteration)
{
  uint8_t chain_key[32];
  SpSenderKeyDistributionMessage message = { 0 };
  uint8_t *out = g_malloc (SP_SENDER_KEY_DISTRIBUTION_MESSAGE_MAX_SIZE);
  size_t len;

  test_chain_key (chain, iteration, chain_key);
  message.version = SP_SENDER_KEY_VERSION;
  memcpy (message.distribution_id, chain->distribution_id, SP_DISTRIBUTION_ID_SIZE);
  message.chain_id = chain->chain_id;
  message.iteration = iteration;
  message.chain_key = chain_key;
  message.signing_key = chain->signing.public_key;
  g_assert_cmpint (sp_sender_key_distribution_message_encode (out, SP_SENDER_KEY_DISTRIBUTION_MESSAGE_MAX_SIZE,
                                                              &len, &message), ==, SP_OK);
  return g_bytes_new_take (out, len);
}

/* A signed SenderKeyMessage carrying @plaintext at @iteration, built
 * from the spec with the primitives, not with the group cipher. */
static inline GBytes *
test_chain_message (const TestChain *chain,
                    uint32_t         iteration,
                    const char      *plaintext)
{
  uint8_t chain_key[32];
  uint8_t seed[32];
  uint8_t next[32];
  SpSenderMessageKeys keys;
  SpSenderKeyMessage message = { 0 };
  size_t plaintext_len = strlen (plaintext);
  size_t ciphertext_size = (plaintext_len / 16 + 1) * 16;
  g_autofree uint8_t *ciphertext = g_malloc (ciphertext_size);
  uint8_t *out = g_malloc (SP_SENDER_KEY_MESSAGE_SIZE (ciphertext_size));
  size_t ciphertext_len;
  size_t len;

  test_chain_key (chain, iteration, chain_key);
  g_assert_cmpint (sp_ratchet_chain_step (seed, next, chain_key), ==, SP_OK);
  g_assert_cmpint (sp_sender_key_message_keys (&keys, seed), ==, SP_OK);
  g_assert_cmpint (sp_aes256_cbc_encrypt (ciphertext, ciphertext_size, &ciphertext_len, keys.cipher_key, keys.iv,
                                          (const uint8_t *) plaintext, plaintext_len), ==, SP_OK);
  message.version = SP_SENDER_KEY_VERSION;
  memcpy (message.distribution_id, chain->distribution_id, SP_DISTRIBUTION_ID_SIZE);
  message.chain_id = chain->chain_id;
  message.iteration = iteration;
  message.ciphertext = ciphertext;
  message.ciphertext_len = ciphertext_len;
  g_assert_cmpint (sp_sender_key_message_encode (out, SP_SENDER_KEY_MESSAGE_SIZE (ciphertext_size), &len,
                                                 &message, &chain->signing.private_key, NULL), ==, SP_OK);
  return g_bytes_new_take (out, len);
}

static inline int
group_process (GroupMember     *member,
               const SpAddress *sender,
               GBytes          *distribution)
{
  return sp_group_cipher_process_distribution (member->cipher, sender,
                                               g_bytes_get_data (distribution, NULL),
                                               g_bytes_get_size (distribution));
}

/* Decrypts @message and, when that works, checks it gives @expected. */
static inline int
group_decrypt_expect (GroupMember     *member,
                      const SpAddress *sender,
                      GBytes          *message,
                      const char      *expected)
{
  size_t len = g_bytes_get_size (message);
  g_autofree uint8_t *out = g_malloc (len + 1);
  size_t out_len = 0;
  int rc;

  rc = sp_group_cipher_decrypt (member->cipher, sender, g_bytes_get_data (message, NULL), len,
                                out, len, &out_len);
  if (rc == SP_OK)
    g_assert_cmpmem (out, out_len, expected, strlen (expected));
  return rc;
}

static inline GBytes *
group_encrypt (GroupMember   *member,
               const uint8_t  distribution_id[SP_DISTRIBUTION_ID_SIZE],
               const char    *plaintext)
{
  size_t plaintext_len = strlen (plaintext);
  size_t size = SP_GROUP_CIPHERTEXT_MAX_SIZE (plaintext_len);
  uint8_t *out = g_malloc (size);
  size_t len;

  g_assert_cmpint (sp_group_cipher_encrypt (member->cipher, distribution_id, (const uint8_t *) plaintext,
                                            plaintext_len, out, size, &len), ==, SP_OK);
  return g_bytes_new_take (out, len);
}

static inline GBytes *
group_distribution (GroupMember   *member,
                    const uint8_t  distribution_id[SP_DISTRIBUTION_ID_SIZE])
{
  uint8_t *out = g_malloc (SP_SENDER_KEY_DISTRIBUTION_MESSAGE_MAX_SIZE);
  size_t len;

  g_assert_cmpint (sp_group_cipher_create_distribution (member->cipher, distribution_id, out,
                                                        SP_SENDER_KEY_DISTRIBUTION_MESSAGE_MAX_SIZE, &len), ==, SP_OK);
  return g_bytes_new_take (out, len);
}
