/* test-session-record.c: the storage form of session records
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "protocol-test-util.h"
#include "session-test-util.h"

/* Offsets into the storage form of a record whose first state is not
 * pending (see sp-session-record.c). */
#define OFFSET_N_STATES 5
#define OFFSET_STATE 6
#define OFFSET_VERSION (OFFSET_STATE + 0)
#define OFFSET_FLAGS (OFFSET_STATE + 1)
#define OFFSET_LOCAL_IDENTITY (OFFSET_STATE + 2)
#define OFFSET_SENDER_PRIVATE (OFFSET_STATE + 2 + 33 + 33 + 4 + 4 + 33 + 32 + 33)
#define OFFSET_N_RECEIVERS (OFFSET_SENDER_PRIVATE + 32 + 32 + 4 + 4)
#define OFFSET_CHAIN (OFFSET_N_RECEIVERS + 1)
#define OFFSET_CHAIN_INDEX (OFFSET_CHAIN + 33 + 32)
#define OFFSET_CHAIN_N_SKIPPED (OFFSET_CHAIN_INDEX + 4)
#define OFFSET_CHAIN_SKIPPED (OFFSET_CHAIN_N_SKIPPED + 2)

/* Bob's record after a conversation in which messages were skipped, so
 * that it has several chains, skipped seeds and SPQR history.  Alice's
 * record gets a second, pending state on top. */
typedef struct {
  TestParty *alice_party;
  TestParty *bob_party;
  GBytes *alice_record;
  GBytes *bob_record;
} Records;

static void
records_init (Records *records)
{
  TestParty *alice_party = test_party_new ("alice", 1);
  TestParty *bob_party = test_party_new ("bob", 1);
  SpSessionCipher *alice = test_cipher_new (alice_party, bob_party);
  SpSessionCipher *bob = test_cipher_new (bob_party, alice_party);
  SpPreKeyBundle bundle;
  TestMessage first[2];
  TestMessage reply;

  /* Every chain of Alice's that Bob knows starts with a message he never
   * gets. */
  test_party_bundle (bob_party, &bundle, TRUE);
  g_assert_cmpint (sp_session_cipher_process_bundle (alice, &bundle), ==, SP_OK);
  first[0] = test_encrypt (alice, "lost");
  first[1] = test_encrypt (alice, "hello");
  g_assert_cmpint (test_decrypt (bob, &first[1], "hello"), ==, SP_OK);
  reply = test_encrypt (bob, "hi");
  g_assert_cmpint (test_decrypt (alice, &reply, "hi"), ==, SP_OK);
  test_message_clear (&first[0]);
  test_message_clear (&first[1]);
  test_message_clear (&reply);
  for (int round = 0; round < 3; round++)
    {
      TestMessage skipped = test_encrypt (alice, "skipped");
      TestMessage delivered = test_encrypt (alice, "delivered");
      TestMessage answer;

      g_assert_cmpint (test_decrypt (bob, &delivered, "delivered"), ==, SP_OK);
      answer = test_encrypt (bob, "answer");
      g_assert_cmpint (test_decrypt (alice, &answer, "answer"), ==, SP_OK);
      test_message_clear (&skipped);
      test_message_clear (&delivered);
      test_message_clear (&answer);
    }
  test_party_bundle (bob_party, &bundle, FALSE);
  g_assert_cmpint (sp_session_cipher_process_bundle (alice, &bundle), ==, SP_OK);

  records->alice_party = alice_party;
  records->bob_party = bob_party;
  records->alice_record = test_store_snapshot (alice_party, bob_party);
  records->bob_record = test_store_snapshot (bob_party, alice_party);
  sp_session_cipher_free (alice);
  sp_session_cipher_free (bob);
}

static void
records_clear (Records *records)
{
  g_bytes_unref (records->alice_record);
  g_bytes_unref (records->bob_record);
  test_party_free (records->alice_party);
  test_party_free (records->bob_party);
}

/* Serialise, parse, serialise: the same bytes; and the parsed record
 * carries the conversation on. */
static void
test_round_trip (void)
{
  Records records;
  SpSessionRecord *record = NULL;
  g_autoptr(GBytes) again = NULL;
  TestParty *restored_bob;
  SpSessionCipher *alice;
  SpSessionCipher *bob;
  TestMessage message;
  bool has_session = false;

  records_init (&records);
  g_assert_cmpint (sp_session_record_new (&record), ==, SP_OK);

  g_assert_cmpint (sp_session_record_deserialize (record, g_bytes_get_data (records.alice_record, NULL),
                                                  g_bytes_get_size (records.alice_record)), ==, SP_OK);
  g_assert_cmpuint (record->n_states, ==, 2);
  g_assert_true (record->states[0]->pending);
  again = test_session_record_serialize (record);
  g_assert_true (g_bytes_equal (again, records.alice_record));
  g_clear_pointer (&again, g_bytes_unref);

  g_assert_cmpint (sp_session_record_deserialize (record, g_bytes_get_data (records.bob_record, NULL),
                                                  g_bytes_get_size (records.bob_record)), ==, SP_OK);
  g_assert_cmpuint (record->n_states, ==, 1);
  g_assert_cmpuint (record->states[0]->n_receivers, ==, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpuint (record->states[0]->receivers[i].skipped.len, ==, 1);
  g_assert_cmpuint (record->states[0]->spqr.recv_history.len, ==, 4);
  again = test_session_record_serialize (record);
  g_assert_true (g_bytes_equal (again, records.bob_record));

  /* A new Bob with the same identity, given only the parsed record,
   * reads what Alice sends next on the old session. */
  restored_bob = test_party_new_with_identity ("bob", 1, records.bob_party->identity, FALSE);
  g_assert_cmpint (restored_bob->store.store_session (restored_bob->store.user_data,
                                                      &records.alice_party->address, record), ==, SP_OK);
  g_assert_cmpint (sp_session_record_has_session (record, &has_session), ==, SP_OK);
  g_assert_true (has_session);
  alice = test_cipher_new (records.alice_party, records.bob_party);
  bob = test_cipher_new (restored_bob, records.alice_party);
  {
    /* Alice's current state is the new pending one; go back to the
     * previous session by reading from it. */
    TestMessage answer = test_encrypt (bob, "from the past");

    g_assert_cmpint (test_decrypt (alice, &answer, "from the past"), ==, SP_OK);
    test_message_clear (&answer);
  }
  message = test_encrypt (alice, "after the restore");
  g_assert_cmpint (message.type, ==, SP_CIPHERTEXT_TYPE_WHISPER);
  g_assert_cmpint (test_decrypt (bob, &message, "after the restore"), ==, SP_OK);
  test_message_clear (&message);

  sp_session_cipher_free (alice);
  sp_session_cipher_free (bob);
  test_party_free (restored_bob);
  sp_session_record_free (record);
  records_clear (&records);
}

/* Copies are independent and a copy of an empty record is empty. */
static void
test_copy (void)
{
  Records records;
  SpSessionRecord *a = NULL;
  SpSessionRecord *b = NULL;
  g_autoptr(GBytes) copied = NULL;
  g_autoptr(GBytes) emptied = NULL;
  bool has_session = true;

  records_init (&records);
  g_assert_cmpint (sp_session_record_new (&a), ==, SP_OK);
  g_assert_cmpint (sp_session_record_new (&b), ==, SP_OK);
  g_assert_cmpint (sp_session_record_deserialize (a, g_bytes_get_data (records.bob_record, NULL),
                                                  g_bytes_get_size (records.bob_record)), ==, SP_OK);
  g_assert_cmpint (sp_session_record_copy (b, a), ==, SP_OK);
  copied = test_session_record_serialize (b);
  g_assert_true (g_bytes_equal (copied, records.bob_record));

  /* Changing the copy leaves the original alone. */
  b->states[0]->root_key[0] ^= 1;
  sp_session_record_clear (b);
  g_assert_cmpint (sp_session_record_has_session (b, &has_session), ==, SP_OK);
  g_assert_false (has_session);
  emptied = test_session_record_serialize (b);
  g_assert_cmpuint (g_bytes_get_size (emptied), ==, 6);
  g_clear_pointer (&copied, g_bytes_unref);
  copied = test_session_record_serialize (a);
  g_assert_true (g_bytes_equal (copied, records.bob_record));

  /* An empty record round-trips too. */
  g_assert_cmpint (sp_session_record_deserialize (a, g_bytes_get_data (emptied, NULL),
                                                  g_bytes_get_size (emptied)), ==, SP_OK);
  g_assert_cmpuint (a->n_states, ==, 0);
  g_assert_cmpint (sp_session_record_copy (a, a), ==, SP_OK);

  sp_session_record_free (a);
  sp_session_record_free (b);
  records_clear (&records);
}

/* Parses @data (expecting SP_ERR_MALFORMED) into a record that holds
 * @previous, which must still be there afterwards. */
static void
assert_malformed (const uint8_t *data,
                  size_t         len,
                  GBytes        *previous)
{
  SpSessionRecord *record = NULL;
  g_autoptr(GBytes) after = NULL;

  g_assert_cmpint (sp_session_record_new (&record), ==, SP_OK);
  g_assert_cmpint (sp_session_record_deserialize (record, g_bytes_get_data (previous, NULL),
                                                  g_bytes_get_size (previous)), ==, SP_OK);
  g_assert_cmpint (sp_session_record_deserialize (record, data, len), ==, SP_ERR_MALFORMED);
  after = test_session_record_serialize (record);
  g_assert_true (g_bytes_equal (after, previous));
  sp_session_record_free (record);
}

/* A copy of @bytes with byte @offset replaced by @value. */
static uint8_t *
patched (GBytes  *bytes,
         size_t   offset,
         uint8_t  value)
{
  uint8_t *data = g_memdup2 (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

  g_assert_cmpuint (offset, <, g_bytes_get_size (bytes));
  data[offset] = value;
  return data;
}

static void
test_strict_parsing (void)
{
  Records records;
  GBytes *bob;
  const uint8_t *data;
  size_t len;
  uint8_t *longer;
  SpSessionRecord *record = NULL;
  static const struct {
    size_t offset;
    uint8_t value;
  } patches[] = {
    { 0, 'X' },                                       /* magic */
    { 4, 2 },                                         /* format version */
    { OFFSET_N_STATES, 42 },                          /* too many states */
    { OFFSET_N_STATES, 2 },                           /* more states than there are */
    { OFFSET_N_STATES, 0 },                           /* fewer: trailing bytes */
    { OFFSET_VERSION, 3 },                            /* session version */
    { OFFSET_FLAGS, 0x08 },                           /* unknown flag */
    { OFFSET_FLAGS, 0x02 },                           /* one-time prekey id without pending */
    { OFFSET_FLAGS, 0x01 },                           /* pending on a responder */
    { OFFSET_LOCAL_IDENTITY, 0x06 },                  /* key type */
    { OFFSET_SENDER_PRIVATE, 0x01 },                  /* private key not clamped */
    { OFFSET_SENDER_PRIVATE + 31, 0x80 },             /* private key not clamped */
    { OFFSET_N_RECEIVERS, SP_MAX_RECEIVER_CHAINS + 1 },
    { OFFSET_CHAIN_N_SKIPPED, 0xff },                 /* more than 2000 seeds */
    { OFFSET_CHAIN_INDEX + 3, 0 },                    /* seeds beyond the chain's index */
  };

  records_init (&records);
  bob = records.bob_record;
  data = g_bytes_get_data (bob, NULL);
  len = g_bytes_get_size (bob);

  /* The offsets above describe this record. */
  g_assert_cmpuint (data[OFFSET_N_STATES], ==, 1);
  g_assert_cmpuint (data[OFFSET_FLAGS], ==, 0);
  g_assert_cmpuint (data[OFFSET_N_RECEIVERS], ==, 4);
  g_assert_cmpuint (data[OFFSET_CHAIN_INDEX + 3], ==, 2);
  g_assert_cmpuint (data[OFFSET_CHAIN_N_SKIPPED + 1], ==, 1);

  for (size_t cut = 0; cut < len; cut++)
    assert_malformed (data, cut, bob);
  longer = g_malloc (len + 1);
  memcpy (longer, data, len);
  longer[len] = 0;
  assert_malformed (longer, len + 1, bob);
  g_free (longer);

  for (gsize i = 0; i < G_N_ELEMENTS (patches); i++)
    {
      g_autofree uint8_t *bad = patched (bob, patches[i].offset, patches[i].value);

      assert_malformed (bad, len, bob);
    }

  /* Skipped seeds must be in increasing order: give the chain a second,
   * equal seed index. */
  {
    g_autofree uint8_t *bad = g_malloc (len + 36);
    size_t entry = OFFSET_CHAIN_SKIPPED;

    memcpy (bad, data, entry + 36);
    memcpy (bad + entry + 36, data + entry, len - entry);
    bad[OFFSET_CHAIN_N_SKIPPED + 1] = 2;
    assert_malformed (bad, len + 36, bob);
  }

  /* Bad arguments. */
  g_assert_cmpint (sp_session_record_new (&record), ==, SP_OK);
  g_assert_cmpint (sp_session_record_deserialize (record, NULL, 5), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_session_record_deserialize (NULL, data, len), ==, SP_ERR_INVALID_ARGUMENT);
  {
    uint8_t small[10];
    size_t out_len = 0;

    g_assert_cmpint (sp_session_record_deserialize (record, data, len), ==, SP_OK);
    g_assert_cmpint (sp_session_record_serialize (record, small, sizeof small, &out_len),
                     ==, SP_ERR_BUFFER_TOO_SMALL);
    g_assert_cmpuint (out_len, ==, 0);
  }
  sp_session_record_free (record);
  records_clear (&records);
}

/* Random damage never crashes: it parses or it is refused. */
static void
test_random_damage (void)
{
  Records records;
  SpSessionRecord *record = NULL;
  size_t len;

  records_init (&records);
  len = g_bytes_get_size (records.alice_record);
  g_assert_cmpint (sp_session_record_new (&record), ==, SP_OK);
  for (int i = 0; i < 2000; i++)
    {
      g_autofree uint8_t *bad = test_damaged_copy (records.alice_record);
      int rc = sp_session_record_deserialize (record, bad, len);

      g_assert_true (rc == SP_OK || rc == SP_ERR_MALFORMED);
    }
  sp_session_record_free (record);
  records_clear (&records);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/protocol/session-record/round-trip", test_round_trip);
  g_test_add_func ("/protocol/session-record/copy", test_copy);
  g_test_add_func ("/protocol/session-record/strict-parsing", test_strict_parsing);
  g_test_add_func ("/protocol/session-record/random-damage", test_random_damage);

  return g_test_run ();
}
