/* test-session-limits.c: limits, failures that change nothing, Sesame
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "session-test-util.h"
#include "sp-aes.h"
#include "sp-ratchet.h"
#include "sp-spqr.h"

typedef struct {
  TestParty *alice_party;
  TestParty *bob_party;
  SpSessionCipher *alice;
  SpSessionCipher *bob;
} Pair;

static void
pair_init (Pair     *pair,
           gboolean  establish)
{
  pair->alice_party = test_party_new ("alice", 1);
  pair->bob_party = test_party_new ("bob", 1);
  pair->alice = test_cipher_new (pair->alice_party, pair->bob_party);
  pair->bob = test_cipher_new (pair->bob_party, pair->alice_party);
  if (establish)
    test_establish (pair->alice, pair->bob, pair->bob_party, TRUE);
}

static void
pair_clear (Pair *pair)
{
  sp_session_cipher_free (pair->alice);
  sp_session_cipher_free (pair->bob);
  test_party_free (pair->alice_party);
  test_party_free (pair->bob_party);
}

/* Asserts that decrypting @message at @cipher fails with @expected and
 * leaves the record @party holds for @remote exactly as it was. */
static void
assert_rejected (SpSessionCipher   *cipher,
                 TestParty         *party,
                 TestParty         *remote,
                 const TestMessage *message,
                 int                expected)
{
  g_autoptr(GBytes) before = test_store_snapshot (party, remote);
  g_autoptr(GBytes) after = NULL;

  g_assert_cmpint (test_decrypt (cipher, message, NULL), ==, expected);
  after = test_store_snapshot (party, remote);
  test_assert_snapshot_equal (before, after);
}

static TestMessage
copy_message (const TestMessage *message)
{
  TestMessage copy = { g_memdup2 (message->data, message->len), message->len, message->type };

  return copy;
}

/* What Alice's next message would be, but with a ciphertext whose
 * padding is wrong under a valid MAC: one block of plaintext bytes that
 * are no PKCS#7 padding.  Alice's stored state is not advanced. */
static TestMessage
craft_bad_padding (TestParty *alice_party,
                   TestParty *bob_party)
{
  static const uint8_t block[16] = "AAAAAAAAAAAAAAAA";
  SpSessionRecord *record = NULL;
  SpSessionState *state;
  uint8_t seed[32];
  uint8_t next[32];
  uint8_t spqr_key[32];
  uint8_t spqr_message[SP_SPQR_MESSAGE_MAX_SIZE];
  uint8_t ciphertext[32];
  size_t ciphertext_len;
  SpMessageKeys keys;
  SpSignalMessage message = { 0 };
  TestMessage out = { g_malloc (256), 0, SP_CIPHERTEXT_TYPE_WHISPER };

  g_assert_cmpint (sp_session_record_new (&record), ==, SP_OK);
  g_assert_cmpint (alice_party->store.load_session (alice_party->store.user_data, &bob_party->address,
                                                    record), ==, SP_OK);
  state = record->states[0];
  g_assert_cmpint (sp_ratchet_chain_step (seed, next, state->sender_chain_key), ==, SP_OK);
  g_assert_cmpint (sp_spqr_send (&state->spqr, spqr_key, spqr_message, &message.pq_ratchet_len), ==, SP_OK);
  g_assert_cmpint (sp_ratchet_message_keys (&keys, seed, spqr_key), ==, SP_OK);
  g_assert_cmpint (sp_aes256_cbc_encrypt (ciphertext, sizeof ciphertext, &ciphertext_len, keys.cipher_key,
                                          keys.iv, block, sizeof block), ==, SP_OK);

  message.version = SP_MESSAGE_VERSION;
  message.ratchet_key = state->sender_ratchet.public_key;
  message.counter = state->sender_index;
  message.previous_counter = state->previous_counter;
  message.ciphertext = ciphertext;
  message.ciphertext_len = 16;
  message.pq_ratchet = spqr_message;
  g_assert_cmpint (sp_signal_message_encode (out.data, 256, &out.len, &message, keys.mac_key,
                                             &state->local_identity, &state->remote_identity), ==, SP_OK);
  sp_session_record_free (record);
  return out;
}

/* @message re-encoded with another counter or ratchet key (and a MAC
 * that cannot be right). */
static TestMessage
reencode (const TestMessage *original,
          uint32_t           counter,
          const SpPublicKey *ratchet_key)
{
  static const uint8_t junk_mac_key[32] = { 0x55 };
  SpSignalMessage message;
  SpPublicKey identity = { { SP_KEY_TYPE_DJB } };
  TestMessage out = { g_malloc (original->len + 16), 0, SP_CIPHERTEXT_TYPE_WHISPER };

  g_assert_cmpint (sp_signal_message_decode (&message, original->data, original->len), ==, SP_OK);
  message.counter = counter;
  if (ratchet_key != NULL)
    message.ratchet_key = *ratchet_key;
  g_assert_cmpint (sp_signal_message_encode (out.data, original->len + 16, &out.len, &message, junk_mac_key,
                                             &identity, &identity), ==, SP_OK);
  return out;
}

/* Every kind of bad SignalMessage fails with its own code, changes
 * nothing, and the genuine message still decrypts afterwards. */
static void
test_atomic_signal_message (void)
{
  Pair pair;
  TestMessage earlier;
  TestMessage genuine;
  TestMessage bad;
  SpKeyPair *stranger = sodium_malloc (sizeof *stranger);

  pair_init (&pair, TRUE);
  earlier = test_encrypt (pair.alice, "earlier");
  g_assert_cmpint (test_decrypt (pair.bob, &earlier, "earlier"), ==, SP_OK);
  bad = craft_bad_padding (pair.alice_party, pair.bob_party);
  genuine = test_encrypt (pair.alice, "genuine");

  /* Bad MAC. */
  {
    TestMessage m = copy_message (&genuine);

    m.data[m.len - 1] ^= 0x01;
    assert_rejected (pair.bob, pair.bob_party, pair.alice_party, &m, SP_ERR_BAD_MAC);
    /* A ciphertext bit: the MAC catches it too. */
    m.data[m.len - 1] ^= 0x01;
    m.data[m.len - 20] ^= 0x01;
    assert_rejected (pair.bob, pair.bob_party, pair.alice_party, &m, SP_ERR_BAD_MAC);
    test_message_clear (&m);
  }

  /* Bad padding under a valid MAC. */
  assert_rejected (pair.bob, pair.bob_party, pair.alice_party, &bad, SP_ERR_BAD_PADDING);

  /* Truncated anywhere. */
  for (size_t len = 0; len < genuine.len; len += (len < 48 ? 1 : 17))
    {
      TestMessage m = copy_message (&genuine);
      int rc;

      m.len = len;
      rc = test_decrypt (pair.bob, &m, NULL);
      g_assert_true (rc == SP_ERR_MALFORMED || rc == SP_ERR_BAD_MAC || rc == SP_ERR_INVALID_MESSAGE);
      test_message_clear (&m);
    }

  /* A counter too far ahead. */
  {
    TestMessage m = reencode (&genuine, 1 + 1 + SP_MAX_FORWARD_JUMPS + 1, NULL);

    assert_rejected (pair.bob, pair.bob_party, pair.alice_party, &m, SP_ERR_TOO_FAR_AHEAD);
    test_message_clear (&m);
  }

  /* An unknown ratchet key: a DH step on a copy, then a bad MAC. */
  {
    TestMessage m;

    g_assert_cmpint (sp_key_pair_generate (stranger), ==, SP_OK);
    m = reencode (&genuine, 0, &stranger->public_key);
    assert_rejected (pair.bob, pair.bob_party, pair.alice_party, &m, SP_ERR_BAD_MAC);
    test_message_clear (&m);
  }

  /* Another message version. */
  {
    TestMessage m = copy_message (&genuine);

    m.data[0] = 0x34;
    assert_rejected (pair.bob, pair.bob_party, pair.alice_party, &m, SP_ERR_VERSION_MISMATCH);
    m.data[0] = 0x54;
    assert_rejected (pair.bob, pair.bob_party, pair.alice_party, &m, SP_ERR_INVALID_MESSAGE);
    test_message_clear (&m);
  }

  /* A duplicate. */
  assert_rejected (pair.bob, pair.bob_party, pair.alice_party, &earlier, SP_ERR_DUPLICATE_MESSAGE);

  /* A SignalMessage presented as a PreKeySignalMessage. */
  {
    TestMessage m = copy_message (&genuine);

    m.type = SP_CIPHERTEXT_TYPE_PREKEY;
    assert_rejected (pair.bob, pair.bob_party, pair.alice_party, &m, SP_ERR_MALFORMED);
    m.type = 9;
    assert_rejected (pair.bob, pair.bob_party, pair.alice_party, &m, SP_ERR_INVALID_ARGUMENT);
    test_message_clear (&m);
  }

  /* Too small an output buffer. */
  {
    uint8_t out[3];
    size_t out_len;
    g_autoptr(GBytes) before = test_store_snapshot (pair.bob_party, pair.alice_party);
    g_autoptr(GBytes) after = NULL;

    g_assert_cmpint (sp_session_cipher_decrypt (pair.bob, genuine.type, genuine.data, genuine.len,
                                                out, sizeof out, &out_len), ==, SP_ERR_BUFFER_TOO_SMALL);
    after = test_store_snapshot (pair.bob_party, pair.alice_party);
    test_assert_snapshot_equal (before, after);
  }

  g_assert_cmpint (test_decrypt (pair.bob, &genuine, "genuine"), ==, SP_OK);
  assert_rejected (pair.bob, pair.bob_party, pair.alice_party, &genuine, SP_ERR_DUPLICATE_MESSAGE);

  test_message_clear (&earlier);
  test_message_clear (&genuine);
  test_message_clear (&bad);
  sodium_free (stranger);
  pair_clear (&pair);
}

/* A bad first message leaves Bob without a session, with his prekeys and
 * without Alice's identity; the genuine one then works. */
static void
test_atomic_pre_key_message (void)
{
  Pair pair;
  SpPreKeyBundle bundle;
  TestMessage genuine;
  SpPreKey *pre_key = sodium_malloc (sizeof *pre_key);
  SpKyberPreKey *kyber = sodium_malloc (sizeof *kyber);
  SpPublicKey saved;
  bool found = true;

  pair_init (&pair, FALSE);
  test_party_bundle (pair.bob_party, &bundle, TRUE);
  g_assert_cmpint (sp_session_cipher_process_bundle (pair.alice, &bundle), ==, SP_OK);
  genuine = test_encrypt (pair.alice, "first");

  /* The Kyber ciphertext is the last field: a flipped bit there gives
   * another shared secret and so a bad MAC. */
  {
    TestMessage m = copy_message (&genuine);

    m.data[m.len - 1] ^= 0x01;
    assert_rejected (pair.bob, pair.bob_party, pair.alice_party, &m, SP_ERR_BAD_MAC);
    test_message_clear (&m);
  }

  /* The inner message's MAC. */
  {
    SpPreKeySignalMessage wrapper;
    TestMessage m = copy_message (&genuine);
    size_t mac_offset;

    g_assert_cmpint (sp_pre_key_signal_message_decode (&wrapper, m.data, m.len), ==, SP_OK);
    mac_offset = (size_t) (wrapper.message - m.data) + wrapper.message_len - 1;
    m.data[mac_offset] ^= 0x01;
    assert_rejected (pair.bob, pair.bob_party, pair.alice_party, &m, SP_ERR_BAD_MAC);
    test_message_clear (&m);
  }

  /* A base key that is not canonical. */
  {
    SpPreKeySignalMessage wrapper;
    TestMessage m = copy_message (&genuine);
    uint8_t *base;

    g_assert_cmpint (sp_pre_key_signal_message_decode (&wrapper, m.data, m.len), ==, SP_OK);
    base = NULL;
    for (size_t i = 0; base == NULL && i + SP_PUBLIC_KEY_SIZE <= m.len; i++)
      if (memcmp (m.data + i, wrapper.base_key.bytes, SP_PUBLIC_KEY_SIZE) == 0)
        base = m.data + i;
    g_assert_nonnull (base);
    base[32] |= 0x80;
    assert_rejected (pair.bob, pair.bob_party, pair.alice_party, &m, SP_ERR_INVALID_KEY);
    test_message_clear (&m);
  }

  /* Version 3 (X3DH) is no longer accepted. */
  {
    TestMessage m = copy_message (&genuine);
    int rc;

    m.data[0] = 0x33;
    rc = test_decrypt (pair.bob, &m, NULL);
    g_assert_true (rc == SP_ERR_INVALID_MESSAGE || rc == SP_ERR_MALFORMED);
    test_message_clear (&m);
  }

  /* Truncated. */
  for (size_t len = 0; len < genuine.len; len += (len < 80 ? 1 : 97))
    {
      TestMessage m = copy_message (&genuine);

      m.len = len;
      g_assert_cmpint (test_decrypt (pair.bob, &m, NULL), !=, SP_OK);
      test_message_clear (&m);
    }

  g_assert_null (test_store_snapshot (pair.bob_party, pair.alice_party));
  g_assert_cmpint (pair.bob_party->store.load_pre_key (pair.bob_party->store.user_data, TEST_PRE_KEY_ID,
                                                       pre_key), ==, SP_OK);
  g_assert_cmpint (pair.bob_party->store.load_kyber_pre_key (pair.bob_party->store.user_data,
                                                             TEST_KYBER_PRE_KEY_ID, kyber), ==, SP_OK);
  g_assert_cmpint (pair.bob_party->store.get_identity (pair.bob_party->store.user_data,
                                                       &pair.alice_party->address, &saved, &found), ==, SP_OK);
  g_assert_false (found);

  g_assert_cmpint (test_decrypt (pair.bob, &genuine, "first"), ==, SP_OK);
  g_assert_cmpint (pair.bob_party->store.load_pre_key (pair.bob_party->store.user_data, TEST_PRE_KEY_ID,
                                                       pre_key), ==, SP_ERR_MISSING_PREKEY);
  g_assert_cmpint (pair.bob_party->store.get_identity (pair.bob_party->store.user_data,
                                                       &pair.alice_party->address, &saved, &found), ==, SP_OK);
  g_assert_true (found);
  g_assert_cmpmem (saved.bytes, 33, pair.alice_party->identity->public_key.bytes, 33);

  test_message_clear (&genuine);
  sodium_free (pre_key);
  sodium_free (kyber);
  pair_clear (&pair);
}

/* Out of order within a chain, across chains, and each message once. */
static void
test_out_of_order (void)
{
  Pair pair;
  TestMessage messages[60];
  guint order[60];

  pair_init (&pair, TRUE);
  /* Three chains of Alice's: Bob answers between them. */
  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);

      messages[i] = test_encrypt (pair.alice, text);
      if (i % 20 == 19)
        {
          TestMessage answer = test_encrypt (pair.bob, "answer");

          g_assert_cmpint (test_decrypt (pair.alice, &answer, "answer"), ==, SP_OK);
          test_message_clear (&answer);
        }
      order[i] = i;
    }
  for (guint i = G_N_ELEMENTS (order) - 1; i > 0; i--)
    {
      guint j = g_random_int_range (0, i + 1);
      guint t = order[i];

      order[i] = order[j];
      order[j] = t;
    }
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", order[i]);

      g_assert_cmpint (test_decrypt (pair.bob, &messages[order[i]], text), ==, SP_OK);
    }
  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      assert_rejected (pair.bob, pair.bob_party, pair.alice_party, &messages[i], SP_ERR_DUPLICATE_MESSAGE);
      test_message_clear (&messages[i]);
    }
  pair_clear (&pair);
}

/* At most SP_MAX_MESSAGE_KEYS skipped keys per chain: delivering #2001
 * first loses #0 and keeps #1 (spec 5.3). */
static void
test_skipped_key_limit (void)
{
  Pair pair;
  TestMessage *messages = g_new0 (TestMessage, SP_MAX_MESSAGE_KEYS + 2);

  pair_init (&pair, TRUE);
  for (guint i = 0; i < SP_MAX_MESSAGE_KEYS + 2; i++)
    messages[i] = test_encrypt (pair.alice, "m");

  g_assert_cmpint (test_decrypt (pair.bob, &messages[SP_MAX_MESSAGE_KEYS + 1], "m"), ==, SP_OK);
  assert_rejected (pair.bob, pair.bob_party, pair.alice_party, &messages[0], SP_ERR_DUPLICATE_MESSAGE);
  g_assert_cmpint (test_decrypt (pair.bob, &messages[1], "m"), ==, SP_OK);
  g_assert_cmpint (test_decrypt (pair.bob, &messages[SP_MAX_MESSAGE_KEYS], "m"), ==, SP_OK);

  for (guint i = 0; i < SP_MAX_MESSAGE_KEYS + 2; i++)
    test_message_clear (&messages[i]);
  g_free (messages);
  pair_clear (&pair);
}

/* A counter may run SP_MAX_FORWARD_JUMPS ahead of the chain; SPQR's own
 * window (measured from the last key used) is one shorter, as in
 * libsignal, so the largest usable gap is 24999 messages. */
static void
forward_jumps (SpSessionCipher *sender,
               SpSessionCipher *receiver,
               TestParty       *receiver_party,
               TestParty       *sender_party,
               gboolean         unlimited)
{
  const guint n = SP_MAX_FORWARD_JUMPS + 2;
  TestMessage last[3];

  /* Keeps #24999, #25000 and #25001 of a new chain. */
  for (guint i = 0; i < n; i++)
    {
      TestMessage m = test_encrypt (sender, "j");

      if (i >= n - 3)
        last[i - (n - 3)] = m;
      else
        test_message_clear (&m);
    }

  if (unlimited)
    {
      g_assert_cmpint (test_decrypt (receiver, &last[2], "j"), ==, SP_OK);
    }
  else
    {
      assert_rejected (receiver, receiver_party, sender_party, &last[2], SP_ERR_TOO_FAR_AHEAD);
      g_assert_cmpint (test_decrypt (receiver, &last[0], "j"), ==, SP_OK);
      g_assert_cmpint (test_decrypt (receiver, &last[2], "j"), ==, SP_OK);
      g_assert_cmpint (test_decrypt (receiver, &last[1], "j"), ==, SP_OK);
    }
  for (guint i = 0; i < 3; i++)
    test_message_clear (&last[i]);
}

static void
test_forward_jump_limit (void)
{
  Pair pair;

  pair_init (&pair, TRUE);
  forward_jumps (pair.alice, pair.bob, pair.bob_party, pair.alice_party, FALSE);
  pair_clear (&pair);
}

/* A session with ourselves (another device of ours) has no jump limit. */
static void
test_note_to_self (void)
{
  TestParty *mine = test_party_new ("me", 1);
  TestParty *other = test_party_new_with_identity ("me", 2, mine->identity, FALSE);
  Pair pair = { mine, other, test_cipher_new (mine, other), test_cipher_new (other, mine) };

  test_establish (pair.alice, pair.bob, other, TRUE);
  forward_jumps (pair.alice, pair.bob, other, mine, TRUE);
  pair_clear (&pair);
}

/* Five receiving chains: a message from the sixth-newest chain is lost,
 * one from the fifth-newest still decrypts. */
static void
test_receiver_chain_limit (void)
{
  Pair pair;
  TestMessage held[SP_MAX_RECEIVER_CHAINS + 1];

  pair_init (&pair, TRUE);
  for (guint round = 0; round < G_N_ELEMENTS (held); round++)
    {
      TestMessage sync = test_encrypt (pair.alice, "sync");
      TestMessage answer;

      held[round] = test_encrypt (pair.alice, "held");
      g_assert_cmpint (test_decrypt (pair.bob, &sync, "sync"), ==, SP_OK);
      answer = test_encrypt (pair.bob, "answer");
      g_assert_cmpint (test_decrypt (pair.alice, &answer, "answer"), ==, SP_OK);
      test_message_clear (&sync);
      test_message_clear (&answer);
    }
  /* Bob received on six chains of Alice's and kept five. */
  assert_rejected (pair.bob, pair.bob_party, pair.alice_party, &held[0], SP_ERR_BAD_MAC);
  for (guint round = 1; round < G_N_ELEMENTS (held); round++)
    g_assert_cmpint (test_decrypt (pair.bob, &held[round], "held"), ==, SP_OK);
  for (guint round = 0; round < G_N_ELEMENTS (held); round++)
    test_message_clear (&held[round]);
  pair_clear (&pair);
}

/* Forty archived states are tried in order, a success promotes the state
 * to current, and the forty-first is gone. */
static void
test_archived_states (void)
{
  TestParty *bob_party = test_party_new_with_identity ("bob", 1, NULL, TRUE);
  TestParty *alice_party = test_party_new ("alice", 1);
  SpSessionCipher *alice = test_cipher_new (alice_party, bob_party);
  SpSessionCipher *bob = test_cipher_new (bob_party, alice_party);
  SpPreKeyBundle bundle;
  TestMessage first;
  TestMessage from_bob[2];

  test_party_bundle (bob_party, &bundle, FALSE);
  g_assert_cmpint (sp_session_cipher_process_bundle (alice, &bundle), ==, SP_OK);
  first = test_encrypt (alice, "first");
  g_assert_cmpint (test_decrypt (bob, &first, "first"), ==, SP_OK);
  from_bob[0] = test_encrypt (bob, "zero");
  from_bob[1] = test_encrypt (bob, "one");

  /* Alice starts over forty times: the first session is now the oldest
   * archived state. */
  for (guint i = 0; i < SP_MAX_ARCHIVED_STATES; i++)
    g_assert_cmpint (sp_session_cipher_process_bundle (alice, &bundle), ==, SP_OK);
  g_assert_cmpuint (test_store_state_count (alice_party, bob_party), ==, SP_MAX_ARCHIVED_STATES + 1);

  g_assert_cmpint (test_decrypt (alice, &from_bob[0], "zero"), ==, SP_OK);
  g_assert_cmpuint (test_store_state_count (alice_party, bob_party), ==, SP_MAX_ARCHIVED_STATES + 1);
  /* Promoted: Alice answers on it with a SignalMessage Bob can read. */
  {
    TestMessage answer = test_encrypt (alice, "answer");

    g_assert_cmpint (answer.type, ==, SP_CIPHERTEXT_TYPE_WHISPER);
    g_assert_cmpint (test_decrypt (bob, &answer, "answer"), ==, SP_OK);
    test_message_clear (&answer);
  }

  /* Forty-one more sessions push it out for good. */
  for (guint i = 0; i < SP_MAX_ARCHIVED_STATES + 1; i++)
    g_assert_cmpint (sp_session_cipher_process_bundle (alice, &bundle), ==, SP_OK);
  g_assert_cmpuint (test_store_state_count (alice_party, bob_party), ==, SP_MAX_ARCHIVED_STATES + 1);
  assert_rejected (alice, alice_party, bob_party, &from_bob[1], SP_ERR_BAD_MAC);

  test_message_clear (&first);
  test_message_clear (&from_bob[0]);
  test_message_clear (&from_bob[1]);
  sp_session_cipher_free (alice);
  sp_session_cipher_free (bob);
  test_party_free (alice_party);
  test_party_free (bob_party);
}

/* Simultaneous initiation: both sides process each other's bundle, and
 * whichever message arrives, the conversation goes on. */
static void
test_simultaneous_initiation (void)
{
  Pair pair;
  SpPreKeyBundle bundle;
  TestMessage from_alice;
  TestMessage from_bob;
  TestMessage after;

  pair_init (&pair, FALSE);
  test_party_bundle (pair.bob_party, &bundle, TRUE);
  g_assert_cmpint (sp_session_cipher_process_bundle (pair.alice, &bundle), ==, SP_OK);
  test_party_bundle (pair.alice_party, &bundle, TRUE);
  g_assert_cmpint (sp_session_cipher_process_bundle (pair.bob, &bundle), ==, SP_OK);
  from_alice = test_encrypt (pair.alice, "a");
  from_bob = test_encrypt (pair.bob, "b");

  g_assert_cmpint (test_decrypt (pair.bob, &from_alice, "a"), ==, SP_OK);
  g_assert_cmpint (test_decrypt (pair.alice, &from_bob, "b"), ==, SP_OK);
  g_assert_cmpuint (test_store_state_count (pair.alice_party, pair.bob_party), ==, 2);

  /* Each now sends on the session it received last; the other finds it
   * among its states. */
  after = test_encrypt (pair.alice, "a2");
  g_assert_cmpint (test_decrypt (pair.bob, &after, "a2"), ==, SP_OK);
  test_message_clear (&after);
  after = test_encrypt (pair.bob, "b2");
  g_assert_cmpint (test_decrypt (pair.alice, &after, "b2"), ==, SP_OK);
  test_message_clear (&after);

  test_message_clear (&from_alice);
  test_message_clear (&from_bob);
  pair_clear (&pair);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/protocol/session-limits/atomic/signal-message", test_atomic_signal_message);
  g_test_add_func ("/protocol/session-limits/atomic/pre-key-message", test_atomic_pre_key_message);
  g_test_add_func ("/protocol/session-limits/out-of-order", test_out_of_order);
  g_test_add_func ("/protocol/session-limits/skipped-keys", test_skipped_key_limit);
  g_test_add_func ("/protocol/session-limits/forward-jumps", test_forward_jump_limit);
  g_test_add_func ("/protocol/session-limits/note-to-self", test_note_to_self);
  g_test_add_func ("/protocol/session-limits/receiver-chains", test_receiver_chain_limit);
  g_test_add_func ("/protocol/session-limits/archived-states", test_archived_states);
  g_test_add_func ("/protocol/session-limits/simultaneous-initiation", test_simultaneous_initiation);

  return g_test_run ();
}
