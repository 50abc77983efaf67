/* test-sender-key-record.c: the storage form of sender key records
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "protocol-test-util.h"
#include "sender-key-test-util.h"

/* Offsets into the storage form of the fixture below: first our own
 * state (with its private key, no skipped keys), then a received one
 * (no private key, three skipped keys). */
#define OFFSET_N_STATES 5
#define OWN 6
#define OWN_FLAGS (OWN + 1)
#define OWN_CHAIN_ID (OWN + 2)
#define OWN_PUBLIC (OWN + 2 + 4 + 4 + 32)
#define OWN_PRIVATE (OWN_PUBLIC + 33)
#define OWN_N_SKIPPED (OWN_PRIVATE + 32)
#define RECEIVED (OWN_N_SKIPPED + 2)
#define RECEIVED_CHAIN_ID (RECEIVED + 2)
#define RECEIVED_ITERATION (RECEIVED + 6)
#define RECEIVED_N_SKIPPED (RECEIVED + 2 + 4 + 4 + 32 + 33)
#define RECEIVED_SKIPPED (RECEIVED_N_SKIPPED + 2)
#define FIXTURE_SIZE (RECEIVED_SKIPPED + 3 * 36)

static const uint8_t distribution_id[SP_DISTRIBUTION_ID_SIZE] = { 0x5a };

/* A received chain at iteration 10 with seeds 2, 5 and 7 kept, and in
 * front of it a chain of our own. */
static SpSenderKeyRecord *
fixture (void)
{
  SpSenderKeyRecord *record;
  SpKeyPair *own = sodium_malloc (sizeof *own);
  SpKeyPair *theirs = sodium_malloc (sizeof *theirs);
  uint8_t chain_key[32];

  g_assert_cmpint (sp_sender_key_record_new (&record), ==, SP_OK);
  g_assert_cmpint (sp_key_pair_generate (own), ==, SP_OK);
  g_assert_cmpint (sp_key_pair_generate (theirs), ==, SP_OK);

  randombytes_buf (chain_key, sizeof chain_key);
  sp_sender_key_record_add (record, SP_SENDER_KEY_VERSION, 0x01020304, 10, chain_key, &theirs->public_key, NULL);
  for (uint32_t index = 2; index <= 7; index += index == 2 ? 3 : 2)
    {
      uint8_t seed[32];

      randombytes_buf (seed, sizeof seed);
      g_assert_cmpint (sp_key_list_append (&record->states[0].skipped, index, seed), ==, SP_OK);
    }
  randombytes_buf (chain_key, sizeof chain_key);
  sp_sender_key_record_add (record, SP_SENDER_KEY_VERSION, 0x7fffffff, 0, chain_key, &own->public_key,
                            &own->private_key);

  sodium_free (own);
  sodium_free (theirs);
  return record;
}

static void
test_round_trip (void)
{
  SpSenderKeyRecord *record = fixture ();
  SpSenderKeyRecord *restored;
  g_autoptr(GBytes) bytes = test_sender_key_record_serialize (record);
  g_autoptr(GBytes) again = NULL;
  const uint8_t *data;
  size_t len;

  data = g_bytes_get_data (bytes, &len);
  g_assert_cmpuint (len, ==, FIXTURE_SIZE);
  g_assert_cmpmem (data, 6, "SPSK\x01\x02", 6);
  g_assert_cmpuint (data[OWN_FLAGS], ==, 1);
  g_assert_cmpuint (data[RECEIVED + 1], ==, 0);

  g_assert_cmpint (sp_sender_key_record_new (&restored), ==, SP_OK);
  g_assert_cmpint (sp_sender_key_record_deserialize (restored, data, len), ==, SP_OK);
  again = test_sender_key_record_serialize (restored);
  g_assert_true (g_bytes_equal (bytes, again));
  g_assert_cmpuint (restored->n_states, ==, 2);
  g_assert_true (restored->states[0].has_signing_private);
  g_assert_cmpuint (restored->states[1].skipped.len, ==, 3);
  g_assert_cmpuint (restored->states[1].skipped.items[2].index, ==, 7);

  /* An empty record has no storage form. */
  {
    SpSenderKeyRecord *empty;
    size_t size;

    g_assert_cmpint (sp_sender_key_record_new (&empty), ==, SP_OK);
    g_assert_cmpint (sp_sender_key_record_serialized_size (empty, &size), ==, SP_ERR_NO_SENDER_KEY);
    sp_sender_key_record_free (empty);
  }

  sp_sender_key_record_free (record);
  sp_sender_key_record_free (restored);
}

/* A record restored from storage goes on decrypting: skipped keys and the
 * chain survive. */
static void
test_restored_record_decrypts (void)
{
  GroupMember *bob = group_member_new ("bob", 2);
  GroupMember *restarted = group_member_new ("bob", 2);
  SpAddress alice = { "alice", 1 };
  TestChain chain;
  g_autoptr(GBytes) distribution = NULL;
  g_autoptr(GBytes) stored = NULL;
  g_autoptr(GBytes) skipped = NULL;
  g_autoptr(GBytes) next = NULL;
  g_autoptr(GBytes) seen = NULL;
  SpSenderKeyRecord *record;

  test_chain_init (&chain, distribution_id, 99);
  distribution = test_chain_distribution (&chain, 0);
  g_assert_cmpint (group_process (bob, &alice, distribution), ==, SP_OK);
  seen = test_chain_message (&chain, 4, "four");
  g_assert_cmpint (group_decrypt_expect (bob, &alice, seen, "four"), ==, SP_OK);

  stored = group_member_snapshot (bob, &alice, distribution_id);
  g_assert_cmpint (sp_sender_key_record_new (&record), ==, SP_OK);
  g_assert_cmpint (sp_sender_key_record_deserialize (record, g_bytes_get_data (stored, NULL),
                                                     g_bytes_get_size (stored)), ==, SP_OK);
  g_assert_cmpint (restarted->store.store_sender_key (restarted->store.user_data, &alice, distribution_id, record),
                   ==, SP_OK);
  sp_sender_key_record_free (record);

  skipped = test_chain_message (&chain, 2, "two");
  next = test_chain_message (&chain, 5, "five");
  g_assert_cmpint (group_decrypt_expect (restarted, &alice, skipped, "two"), ==, SP_OK);
  g_assert_cmpint (group_decrypt_expect (restarted, &alice, next, "five"), ==, SP_OK);
  g_assert_cmpint (group_decrypt_expect (restarted, &alice, seen, "four"), ==, SP_ERR_DUPLICATE_MESSAGE);

  group_member_free (bob);
  group_member_free (restarted);
}

static void
test_copy (void)
{
  SpSenderKeyRecord *record = fixture ();
  SpSenderKeyRecord *copy;
  g_autoptr(GBytes) original = test_sender_key_record_serialize (record);
  g_autoptr(GBytes) copied = NULL;
  g_autoptr(GBytes) after = NULL;
  uint8_t seed[32];

  g_assert_cmpint (sp_sender_key_record_new (&copy), ==, SP_OK);
  g_assert_cmpint (sp_sender_key_record_copy (copy, record), ==, SP_OK);
  copied = test_sender_key_record_serialize (copy);
  g_assert_true (g_bytes_equal (original, copied));

  /* Taking a key out of the original leaves the copy as it was. */
  g_assert_true (sp_key_list_take (&record->states[1].skipped, 5, seed));
  after = test_sender_key_record_serialize (copy);
  g_assert_true (g_bytes_equal (copied, after));

  sp_sender_key_record_free (record);
  sp_sender_key_record_free (copy);
}

typedef struct {
  const char *what;
  size_t offset;
  uint8_t mask;
} Corruption;

static void
test_strict_parsing (void)
{
  SpSenderKeyRecord *record = fixture ();
  SpSenderKeyRecord *target = fixture ();
  g_autoptr(GBytes) bytes = test_sender_key_record_serialize (record);
  g_autoptr(GBytes) target_bytes = test_sender_key_record_serialize (target);
  const uint8_t *data;
  size_t len;
  /* Each flips bits of one byte of the fixture's storage form. */
  const Corruption corruptions[] = {
    { "magic", 0, 0x01 },
    { "format version 2", 4, 0x03 },
    { "no states", OFFSET_N_STATES, 0x02 },
    { "more states than present", OFFSET_N_STATES, 0x01 },
    { "six states", OFFSET_N_STATES, 0x04 },
    { "message version 2", OWN, 0x01 },
    { "message version 4", RECEIVED, 0x07 },
    { "unknown flag", OWN_FLAGS, 0x02 },
    { "private key flag without one", OWN_FLAGS, 0x01 },
    { "public key type 6", OWN_PUBLIC, 0x03 },
    { "unclamped private key", OWN_PRIVATE, 0x01 },
    { "private key of another public key", OWN_PRIVATE + 1, 0x01 },
    { "2051 skipped keys", RECEIVED_N_SKIPPED, 0x08 },
    { "skipped index 7 becomes the iteration, 10", RECEIVED_SKIPPED + 36 * 2 + 3, 0x0d },
    { "skipped index 5 becomes 2, not increasing", RECEIVED_SKIPPED + 36 + 3, 0x07 },
    { "iteration 10 becomes 7, a skipped index", RECEIVED_ITERATION + 3, 0x0d },
  };

  data = g_bytes_get_data (bytes, &len);

  for (size_t i = 0; i < G_N_ELEMENTS (corruptions); i++)
    {
      g_autofree uint8_t *bad = g_memdup2 (data, len);
      g_autoptr(GBytes) after = NULL;

      g_test_message ("corruption: %s", corruptions[i].what);
      bad[corruptions[i].offset] ^= corruptions[i].mask;
      g_assert_cmpint (sp_sender_key_record_deserialize (target, bad, len), ==, SP_ERR_MALFORMED);
      after = test_sender_key_record_serialize (target);
      g_assert_true (g_bytes_equal (target_bytes, after));
    }

  /* Two states with one chain id. */
  {
    g_autofree uint8_t *bad = g_memdup2 (data, len);

    memcpy (bad + RECEIVED_CHAIN_ID, data + OWN_CHAIN_ID, 4);
    g_assert_cmpint (sp_sender_key_record_deserialize (target, bad, len), ==, SP_ERR_MALFORMED);
  }

  /* Every truncation and a trailing byte. */
  for (size_t cut = 0; cut < len; cut++)
    g_assert_cmpint (sp_sender_key_record_deserialize (target, data, cut), ==, SP_ERR_MALFORMED);
  {
    g_autofree uint8_t *longer = g_malloc (len + 1);

    memcpy (longer, data, len);
    longer[len] = 0;
    g_assert_cmpint (sp_sender_key_record_deserialize (target, longer, len + 1), ==, SP_ERR_MALFORMED);
  }

  /* The untouched bytes still parse, into the target. */
  g_assert_cmpint (sp_sender_key_record_deserialize (target, data, len), ==, SP_OK);
  {
    g_autoptr(GBytes) after = test_sender_key_record_serialize (target);

    g_assert_true (g_bytes_equal (bytes, after));
  }

  sp_sender_key_record_free (record);
  sp_sender_key_record_free (target);
}

static void
test_random_damage (void)
{
  SpSenderKeyRecord *record = fixture ();
  g_autoptr(GBytes) bytes = test_sender_key_record_serialize (record);
  size_t len = g_bytes_get_size (bytes);

  for (int i = 0; i < 2000; i++)
    {
      g_autofree uint8_t *bad = test_damaged_copy (bytes);
      int rc = sp_sender_key_record_deserialize (record, bad, len);

      g_assert_true (rc == SP_OK || rc == SP_ERR_MALFORMED);
      if (rc == SP_OK)
        {
          g_autoptr(GBytes) again = test_sender_key_record_serialize (record);

          g_assert_cmpmem (bad, len, g_bytes_get_data (again, NULL), g_bytes_get_size (again));
        }
    }
  sp_sender_key_record_free (record);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/protocol/sender-key-record/round-trip", test_round_trip);
  g_test_add_func ("/protocol/sender-key-record/restored-record-decrypts", test_restored_record_decrypts);
  g_test_add_func ("/protocol/sender-key-record/copy", test_copy);
  g_test_add_func ("/protocol/sender-key-record/strict-parsing", test_strict_parsing);
  g_test_add_func ("/protocol/sender-key-record/random-damage", test_random_damage);

  return g_test_run ();
}
