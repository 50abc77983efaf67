/* test-sender-key.c: sender-key messages and the group cipher
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "protocol-test-util.h"
#include "sender-key-test-util.h"

static const uint8_t distribution_id[SP_DISTRIBUTION_ID_SIZE] = {
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};

static void
assert_same_bytes (GBytes *a,
                   GBytes *b)
{
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_true (g_bytes_equal (a, b));
}

/* Spec section 8: chain key 11 x 32. */
static void
test_chain_kat (void)
{
  uint8_t chain_key[32];
  uint8_t seed[32];
  uint8_t next[32];
  SpSenderMessageKeys keys;

  memset (chain_key, 0x11, sizeof chain_key);
  g_assert_cmpint (sp_ratchet_chain_step (seed, next, chain_key), ==, SP_OK);
  g_assert_cmpint (sp_sender_key_message_keys (&keys, seed), ==, SP_OK);
  test_assert_hex (seed, 32, "c4ede064b5f2a51225b2175e5b84fb73f9cec689ac3d912ac4878f7ebeab0149");
  test_assert_hex (keys.iv, 16, "99f84d6adaf0663bb79e1f541e232e70");
  test_assert_hex (keys.cipher_key, 32, "72000d68346a05ffb143906cf02137458d26f53db8af9aa8f3bfb17c60622a8a");
  test_assert_hex (next, 32, "ed50b271f4852277c8218e209858d8bd32a3228a9e4fb6b5a16fb9b4755c53bc");
}

/* The fixed distribution message below: distribution id 00..0f, chain
 * id 2^31 - 1, iteration 0 (written although zero, as libsignal does),
 * chain key 11 x 32, signing key the public key of 09 x 32. */
#define SIGNING_PUBLIC "0557db4b359f23ae5e146e4e2512056704722506348c150c14753d0c933d04d421"
#define DISTRIBUTION_HEX \
  "33" "0a10000102030405060708090a0b0c0d0e0f" "10ffffffff07" "1800" \
  "2220" "1111111111111111111111111111111111111111111111111111111111111111" \
  "2a21" SIGNING_PUBLIC

static void
test_distribution_codec (void)
{
  g_autoptr(GBytes) expected = test_bytes_from_hex (DISTRIBUTION_HEX);
  uint8_t chain_key[32];
  uint8_t private_key[32];
  SpKeyPair signing;
  SpSenderKeyDistributionMessage message = { 0 };
  SpSenderKeyDistributionMessage decoded;
  uint8_t out[SP_SENDER_KEY_DISTRIBUTION_MESSAGE_MAX_SIZE];
  size_t len;

  memset (chain_key, 0x11, sizeof chain_key);
  memset (private_key, 0x09, sizeof private_key);
  g_assert_cmpint (sp_key_pair_from_private (&signing, private_key, sizeof private_key), ==, SP_OK);
  test_assert_hex (signing.public_key.bytes, SP_PUBLIC_KEY_SIZE, SIGNING_PUBLIC);

  message.version = SP_SENDER_KEY_VERSION;
  memcpy (message.distribution_id, distribution_id, sizeof distribution_id);
  message.chain_id = 0x7fffffff;
  message.iteration = 0;
  message.chain_key = chain_key;
  message.signing_key = signing.public_key;
  g_assert_cmpint (sp_sender_key_distribution_message_encode (out, sizeof out, &len, &message), ==, SP_OK);
  g_assert_cmpmem (out, len, g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
  g_assert_cmpint (sp_sender_key_distribution_message_encode (out, len - 1, &len, &message), ==,
                   SP_ERR_BUFFER_TOO_SMALL);

  g_assert_cmpint (sp_sender_key_distribution_message_decode (&decoded, g_bytes_get_data (expected, NULL),
                                                              g_bytes_get_size (expected)), ==, SP_OK);
  g_assert_cmpuint (decoded.version, ==, 3);
  g_assert_cmpmem (decoded.distribution_id, 16, distribution_id, 16);
  g_assert_cmpuint (decoded.chain_id, ==, 0x7fffffff);
  g_assert_cmpuint (decoded.iteration, ==, 0);
  g_assert_cmpmem (decoded.chain_key, 32, chain_key, 32);
  g_assert_cmpmem (decoded.signing_key.bytes, 33, signing.public_key.bytes, 33);
}

static int
decode_distribution_hex (const char *hex)
{
  g_autoptr(GBytes) bytes = test_bytes_from_hex (hex);
  SpSenderKeyDistributionMessage message;

  return sp_sender_key_distribution_message_decode (&message, g_bytes_get_data (bytes, NULL),
                                                    g_bytes_get_size (bytes));
}

static void
test_distribution_strict (void)
{
  static const char chain_key[] = "2220" "1111111111111111111111111111111111111111111111111111111111111111";
  static const char signing_key[] = "2a21" SIGNING_PUBLIC;
  static const char id[] = "0a10000102030405060708090a0b0c0d0e0f";
  g_autofree char *reordered = g_strconcat ("33", signing_key, "1800", chain_key, "10ffffffff07", id, NULL);
  g_autofree char *unknown = g_strconcat (DISTRIBUTION_HEX, "3005", NULL);
  g_autofree char *low_nibble = g_strconcat ("34", &DISTRIBUTION_HEX[2], NULL);

  /* Any order, unknown fields skipped, the low nibble ignored. */
  g_assert_cmpint (decode_distribution_hex (reordered), ==, SP_OK);
  g_assert_cmpint (decode_distribution_hex (unknown), ==, SP_OK);
  g_assert_cmpint (decode_distribution_hex (low_nibble), ==, SP_OK);

  /* Other versions. */
  for (size_t i = 0; i < 3; i++)
    {
      static const char *const versions[] = { "23", "43", "03" };
      g_autofree char *other = g_strconcat (versions[i], &DISTRIBUTION_HEX[2], NULL);

      g_assert_cmpint (decode_distribution_hex (other), ==, SP_ERR_INVALID_MESSAGE);
    }

  /* A missing field, a repeated one, a mis-sized one. */
  {
    g_autofree char *no_id = g_strconcat ("33", "10ffffffff07", "1800", chain_key, signing_key, NULL);
    g_autofree char *no_chain_id = g_strconcat ("33", id, "1800", chain_key, signing_key, NULL);
    g_autofree char *no_iteration = g_strconcat ("33", id, "10ffffffff07", chain_key, signing_key, NULL);
    g_autofree char *no_chain_key = g_strconcat ("33", id, "10ffffffff07", "1800", signing_key,
                                                 "3a20" "0000000000000000000000000000000000000000000000000000000000000000", NULL);
    g_autofree char *no_signing_key = g_strconcat ("33", id, "10ffffffff07", "1800", chain_key,
                                                   "3a21" "000000000000000000000000000000000000000000000000000000000000000000", NULL);
    g_autofree char *twice = g_strconcat (DISTRIBUTION_HEX, "1801", NULL);
    g_autofree char *short_id = g_strconcat ("33", "0a0f000102030405060708090a0b0c0d0e", "10ffffffff07", "1800",
                                             chain_key, signing_key, NULL);
    g_autofree char *short_chain_key = g_strconcat ("33", id, "10ffffffff07", "1800",
                                                    "221f11111111111111111111111111111111111111111111111111111111111111",
                                                    signing_key, NULL);
    g_autofree char *long_signing_key = g_strconcat ("33", id, "10ffffffff07", "1800", chain_key,
                                                     "2a22" SIGNING_PUBLIC "00", NULL);
    g_autofree char *bad_key_type = g_strconcat ("33", id, "10ffffffff07", "1800", chain_key,
                                                 "2a2106", &SIGNING_PUBLIC[2], NULL);
    g_autofree char *big_chain_id = g_strconcat ("33", id, "108080808010", "1800", chain_key, signing_key, NULL);
    g_autofree char *wrong_wire = g_strconcat ("33", id, "15ffffffff", "1800", chain_key, signing_key, NULL);

    g_assert_cmpint (decode_distribution_hex (no_id), ==, SP_ERR_MALFORMED);
    g_assert_cmpint (decode_distribution_hex (no_chain_id), ==, SP_ERR_MALFORMED);
    g_assert_cmpint (decode_distribution_hex (no_iteration), ==, SP_ERR_MALFORMED);
    g_assert_cmpint (decode_distribution_hex (no_chain_key), ==, SP_ERR_MALFORMED);
    g_assert_cmpint (decode_distribution_hex (no_signing_key), ==, SP_ERR_MALFORMED);
    g_assert_cmpint (decode_distribution_hex (twice), ==, SP_ERR_MALFORMED);
    g_assert_cmpint (decode_distribution_hex (short_id), ==, SP_ERR_MALFORMED);
    g_assert_cmpint (decode_distribution_hex (short_chain_key), ==, SP_ERR_MALFORMED);
    g_assert_cmpint (decode_distribution_hex (long_signing_key), ==, SP_ERR_MALFORMED);
    g_assert_cmpint (decode_distribution_hex (bad_key_type), ==, SP_ERR_INVALID_KEY);
    g_assert_cmpint (decode_distribution_hex (big_chain_id), ==, SP_ERR_MALFORMED);
    g_assert_cmpint (decode_distribution_hex (wrong_wire), ==, SP_ERR_MALFORMED);
  }

  /* Every truncation. */
  {
    g_autoptr(GBytes) whole = test_bytes_from_hex (DISTRIBUTION_HEX);
    SpSenderKeyDistributionMessage message;

    for (size_t len = 0; len < g_bytes_get_size (whole); len++)
      g_assert_cmpint (sp_sender_key_distribution_message_decode (&message, g_bytes_get_data (whole, NULL), len),
                       !=, SP_OK);
  }
}

static void
test_message_codec (void)
{
  TestChain chain;
  g_autoptr(GBytes) bytes = NULL;
  const uint8_t *data;
  size_t len;
  SpSenderKeyMessage message;
  SpPublicKey other;
  SpKeyPair pair;

  test_chain_init (&chain, distribution_id, 42);
  bytes = test_chain_message (&chain, 300, "seventeen bytes!!");
  data = g_bytes_get_data (bytes, &len);

  /* 0x33, id, chain id 42, iteration 300, 32 bytes of ciphertext, then
   * the signature. */
  g_assert_cmpuint (len, ==, 1 + 18 + 2 + 3 + 34 + 64);
  test_assert_hex (data, 1 + 18 + 2 + 3 + 2, "330a10000102030405060708090a0b0c0d0e0f102a18ac022220");
  g_assert_cmpint (sp_sender_key_message_decode (&message, data, len), ==, SP_OK);
  g_assert_cmpuint (message.chain_id, ==, 42);
  g_assert_cmpuint (message.iteration, ==, 300);
  g_assert_cmpuint (message.ciphertext_len, ==, 32);
  g_assert_true (message.signature == data + len - 64);
  g_assert_cmpint (sp_sender_key_message_verify (&message, data, &chain.signing.public_key), ==, SP_OK);

  g_assert_cmpint (sp_key_pair_generate (&pair), ==, SP_OK);
  other = pair.public_key;
  g_assert_cmpint (sp_sender_key_message_verify (&message, data, &other), ==, SP_ERR_INVALID_SIGNATURE);

  /* Every byte of the message is covered by the signature or the parser
   * (one random bit of each: checking a signature that stock Ed25519
   * refuses takes the slow exact path, too slow for all of them under the
   * sanitizers). */
  for (size_t i = 0; i < len; i++)
    {
      g_autofree uint8_t *flipped = g_memdup2 (data, len);
      SpSenderKeyMessage damaged;

      flipped[i] ^= (uint8_t) (1 << g_test_rand_int_range (0, 8));
      if (sp_sender_key_message_decode (&damaged, flipped, len) == SP_OK)
        g_assert_cmpint (sp_sender_key_message_verify (&damaged, flipped, &chain.signing.public_key), ==,
                         SP_ERR_INVALID_SIGNATURE);
    }

  /* Shorter than a version byte and a signature, other versions. */
  g_assert_cmpint (sp_sender_key_message_decode (&message, data, 64), ==, SP_ERR_MALFORMED);
  {
    g_autofree uint8_t *copy = g_memdup2 (data, len);

    copy[0] = 0x43;
    g_assert_cmpint (sp_sender_key_message_decode (&message, copy, len), ==, SP_ERR_INVALID_MESSAGE);
    copy[0] = 0x23;
    g_assert_cmpint (sp_sender_key_message_decode (&message, copy, len), ==, SP_ERR_INVALID_MESSAGE);
  }
  /* Missing fields: a version byte and a signature alone. */
  {
    uint8_t empty[65] = { 0x33 };

    g_assert_cmpint (sp_sender_key_message_decode (&message, empty, sizeof empty), ==, SP_ERR_MALFORMED);
  }
}

static void
test_conversation (void)
{
  GroupMember *alice = group_member_new ("alice", 1);
  GroupMember *bob = group_member_new ("bob", 2);
  GroupMember *carol = group_member_new ("carol", 3);
  g_autoptr(GBytes) distribution = group_distribution (alice, distribution_id);
  g_autoptr(GBytes) again = group_distribution (alice, distribution_id);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GBytes) later = NULL;
  SpSenderKeyDistributionMessage parsed;

  /* Asking twice gives the same key. */
  assert_same_bytes (distribution, again);
  g_assert_cmpint (group_process (bob, &alice->address, distribution), ==, SP_OK);
  g_assert_cmpint (group_process (carol, &alice->address, distribution), ==, SP_OK);

  for (int i = 0; i < 50; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %d", i);

      g_ptr_array_add (messages, group_encrypt (alice, distribution_id, text));
    }

  /* Bob reads them backwards, Carol in order; both refuse repeats. */
  for (int i = 49; i >= 0; i--)
    {
      g_autofree char *text = g_strdup_printf ("message %d", i);

      g_assert_cmpint (group_decrypt_expect (bob, &alice->address, messages->pdata[i], text), ==, SP_OK);
      g_assert_cmpint (group_decrypt_expect (bob, &alice->address, messages->pdata[i], text), ==,
                       SP_ERR_DUPLICATE_MESSAGE);
    }
  for (int i = 0; i < 50; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %d", i);

      g_assert_cmpint (group_decrypt_expect (carol, &alice->address, messages->pdata[i], text), ==, SP_OK);
    }

  /* The distribution message follows the chain: a late member starts at
   * the next message and cannot read the earlier ones. */
  later = group_distribution (alice, distribution_id);
  g_assert_cmpint (sp_sender_key_distribution_message_decode (&parsed, g_bytes_get_data (later, NULL),
                                                              g_bytes_get_size (later)), ==, SP_OK);
  g_assert_cmpuint (parsed.iteration, ==, 50);
  {
    GroupMember *dave = group_member_new ("dave", 4);
    g_autoptr(GBytes) next = group_encrypt (alice, distribution_id, "to all four");

    g_assert_cmpint (group_process (dave, &alice->address, later), ==, SP_OK);
    g_assert_cmpint (group_decrypt_expect (dave, &alice->address, messages->pdata[49], ""), ==,
                     SP_ERR_DUPLICATE_MESSAGE);
    g_assert_cmpint (group_decrypt_expect (dave, &alice->address, next, "to all four"), ==, SP_OK);
    g_assert_cmpint (group_decrypt_expect (bob, &alice->address, next, "to all four"), ==, SP_OK);
    group_member_free (dave);
  }

  /* The other way: Bob's own key for the same group. */
  {
    g_autoptr(GBytes) bobs = group_distribution (bob, distribution_id);
    g_autoptr(GBytes) reply = NULL;

    g_assert_false (g_bytes_equal (bobs, distribution));
    g_assert_cmpint (group_process (alice, &bob->address, bobs), ==, SP_OK);
    reply = group_encrypt (bob, distribution_id, "reply");
    g_assert_cmpint (group_decrypt_expect (alice, &bob->address, reply, "reply"), ==, SP_OK);
    /* Carol has no key of Bob's. */
    g_assert_cmpint (group_decrypt_expect (carol, &bob->address, reply, "reply"), ==, SP_ERR_NO_SENDER_KEY);
  }

  group_member_free (alice);
  group_member_free (bob);
  group_member_free (carol);
}

/* A damaged message is refused and leaves the receiver's record byte for
 * byte as it was; the genuine one then decrypts. */
static void
test_tamper (void)
{
  GroupMember *bob = group_member_new ("bob", 2);
  SpAddress alice = { "alice", 1 };
  TestChain chain;
  g_autoptr(GBytes) distribution = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GBytes) before = NULL;
  const uint8_t *data;
  size_t len;

  test_chain_init (&chain, distribution_id, 7);
  distribution = test_chain_distribution (&chain, 0);
  g_assert_cmpint (group_process (bob, &alice, distribution), ==, SP_OK);
  message = test_chain_message (&chain, 3, "the genuine one");
  data = g_bytes_get_data (message, &len);
  before = group_member_snapshot (bob, &alice, distribution_id);

  /* One random bit of every byte, as above. */
  for (size_t i = 0; i < len; i++)
    {
      g_autofree uint8_t *flipped = g_memdup2 (data, len);
      g_autoptr(GBytes) damaged = NULL;
      g_autoptr(GBytes) after = NULL;

      flipped[i] ^= (uint8_t) (1 << g_test_rand_int_range (0, 8));
      damaged = g_bytes_new (flipped, len);
      g_assert_cmpint (group_decrypt_expect (bob, &alice, damaged, ""), !=, SP_OK);
      after = group_member_snapshot (bob, &alice, distribution_id);
      assert_same_bytes (before, after);
    }
  for (size_t cut = 0; cut < len; cut++)
    {
      g_autoptr(GBytes) damaged = g_bytes_new (data, cut);

      g_assert_cmpint (group_decrypt_expect (bob, &alice, damaged, ""), !=, SP_OK);
    }
  {
    g_autofree uint8_t *longer = g_malloc (len + 1);
    g_autoptr(GBytes) damaged = NULL;
    g_autoptr(GBytes) after = NULL;

    memcpy (longer, data, len);
    longer[len] = 0;
    damaged = g_bytes_new_take (g_steal_pointer (&longer), len + 1);
    g_assert_cmpint (group_decrypt_expect (bob, &alice, damaged, ""), !=, SP_OK);
    after = group_member_snapshot (bob, &alice, distribution_id);
    assert_same_bytes (before, after);
  }

  /* A genuine signature over a ciphertext that does not decrypt: the
   * chain must not move either. */
  {
    SpSenderKeyMessage parsed = { 0 };
    uint8_t ciphertext[32] = { 0 };
    uint8_t out[SP_SENDER_KEY_MESSAGE_SIZE (32)];
    size_t out_len;
    g_autoptr(GBytes) forged = NULL;
    g_autoptr(GBytes) after = NULL;

    parsed.version = SP_SENDER_KEY_VERSION;
    memcpy (parsed.distribution_id, distribution_id, 16);
    parsed.chain_id = 7;
    parsed.iteration = 3;
    parsed.ciphertext = ciphertext;
    parsed.ciphertext_len = sizeof ciphertext;
    g_assert_cmpint (sp_sender_key_message_encode (out, sizeof out, &out_len, &parsed, &chain.signing.private_key,
                                                   NULL), ==, SP_OK);
    forged = g_bytes_new (out, out_len);
    g_assert_cmpint (group_decrypt_expect (bob, &alice, forged, ""), ==, SP_ERR_BAD_PADDING);
    after = group_member_snapshot (bob, &alice, distribution_id);
    assert_same_bytes (before, after);
  }

  g_assert_cmpint (group_decrypt_expect (bob, &alice, message, "the genuine one"), ==, SP_OK);
  g_assert_cmpint (group_decrypt_expect (bob, &alice, message, "the genuine one"), ==, SP_ERR_DUPLICATE_MESSAGE);
  group_member_free (bob);
}

static void
send_expect (GroupMember     *member,
             const SpAddress *sender,
             const TestChain *chain,
             uint32_t         iteration,
             int              expected)
{
  g_autofree char *text = g_strdup_printf ("iteration %u", iteration);
  g_autoptr(GBytes) message = test_chain_message (chain, iteration, text);
  g_autoptr(GBytes) before = group_member_snapshot (member, sender, chain->distribution_id);
  g_autoptr(GBytes) after = NULL;

  g_assert_cmpint (group_decrypt_expect (member, sender, message, text), ==, expected);
  if (expected != SP_OK)
    {
      after = group_member_snapshot (member, sender, chain->distribution_id);
      assert_same_bytes (before, after);
    }
}

static void
test_limits (void)
{
  GroupMember *bob = group_member_new ("bob", 2);
  SpAddress alice = { "alice", 1 };
  TestChain chain;
  TestChain short_jump;
  g_autoptr(GBytes) distribution = NULL;
  g_autoptr(GBytes) other = NULL;
  uint8_t other_id[SP_DISTRIBUTION_ID_SIZE] = { 0xff };

  test_chain_init (&chain, distribution_id, 1);
  distribution = test_chain_distribution (&chain, 0);
  g_assert_cmpint (group_process (bob, &alice, distribution), ==, SP_OK);

  /* At most 25,000 ahead of the next expected iteration. */
  send_expect (bob, &alice, &chain, 25001, SP_ERR_TOO_FAR_AHEAD);
  send_expect (bob, &alice, &chain, 25000, SP_OK);
  /* Of the 25,000 skipped keys, the newest 2,000 are kept. */
  send_expect (bob, &alice, &chain, 22999, SP_ERR_DUPLICATE_MESSAGE);
  send_expect (bob, &alice, &chain, 23000, SP_OK);
  send_expect (bob, &alice, &chain, 24999, SP_OK);
  send_expect (bob, &alice, &chain, 23000, SP_ERR_DUPLICATE_MESSAGE);
  /* Counted from the new position. */
  send_expect (bob, &alice, &chain, 50002, SP_ERR_TOO_FAR_AHEAD);
  send_expect (bob, &alice, &chain, 50001, SP_OK);

  /* The spec's example, on a chain of another group: deliver #2001
   * first, and #0 is lost while #1 decrypts. */
  test_chain_init (&short_jump, other_id, 2);
  other = test_chain_distribution (&short_jump, 0);
  g_assert_cmpint (group_process (bob, &alice, other), ==, SP_OK);
  send_expect (bob, &alice, &short_jump, 2001, SP_OK);
  send_expect (bob, &alice, &short_jump, 0, SP_ERR_DUPLICATE_MESSAGE);
  send_expect (bob, &alice, &short_jump, 1, SP_OK);
  send_expect (bob, &alice, &short_jump, 2000, SP_OK);

  group_member_free (bob);
}

/* Iteration 2^32 - 1 has no next chain key: it can be neither sent nor
 * received, as in libsignal. */
static void
test_last_iteration (void)
{
  GroupMember *alice = group_member_new ("alice", 1);
  GroupMember *bob = group_member_new ("bob", 2);
  SpAddress sender = { "carol", 3 };
  TestChain chain;
  g_autoptr(GBytes) distribution = NULL;
  g_autoptr(GBytes) own = NULL;
  g_autoptr(GBytes) before = NULL;
  g_autoptr(GBytes) after = NULL;
  SpSenderKeyRecord *record;
  uint8_t out[SP_GROUP_CIPHERTEXT_MAX_SIZE (1)];
  size_t len;

  test_chain_init_at (&chain, distribution_id, 3, UINT32_MAX - 1);
  distribution = test_chain_distribution (&chain, UINT32_MAX - 1);
  g_assert_cmpint (group_process (bob, &sender, distribution), ==, SP_OK);
  send_expect (bob, &sender, &chain, UINT32_MAX, SP_ERR_INVALID_MESSAGE);
  send_expect (bob, &sender, &chain, UINT32_MAX - 1, SP_OK);

  /* Alice's own chain, moved to the last iteration by hand. */
  own = group_distribution (alice, distribution_id);
  g_assert_cmpint (sp_sender_key_record_new (&record), ==, SP_OK);
  g_assert_cmpint (alice->store.load_sender_key (alice->store.user_data, &alice->address, distribution_id, record),
                   ==, SP_OK);
  record->states[0].iteration = UINT32_MAX;
  g_assert_cmpint (alice->store.store_sender_key (alice->store.user_data, &alice->address, distribution_id, record),
                   ==, SP_OK);
  sp_sender_key_record_free (record);
  before = group_member_snapshot (alice, &alice->address, distribution_id);
  g_assert_cmpint (sp_group_cipher_encrypt (alice->cipher, distribution_id, (const uint8_t *) "x", 1,
                                            out, sizeof out, &len), ==, SP_ERR_INVALID_MESSAGE);
  after = group_member_snapshot (alice, &alice->address, distribution_id);
  assert_same_bytes (before, after);

  group_member_free (alice);
  group_member_free (bob);
}

/* What processing a distribution message does to the states (spec
 * section 8). */
static void
test_states (void)
{
  GroupMember *bob = group_member_new ("bob", 2);
  SpAddress alice = { "alice", 1 };
  TestChain chain;
  TestChain replacement;
  TestChain others[5];
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) later = NULL;
  g_autoptr(GBytes) replaced = NULL;

  test_chain_init (&chain, distribution_id, 10);
  first = test_chain_distribution (&chain, 0);
  g_assert_cmpint (group_process (bob, &alice, first), ==, SP_OK);
  send_expect (bob, &alice, &chain, 5, SP_OK);

  /* The same chain and signing key again, at any iteration, changes
   * nothing: no rewinding, no jumping ahead. */
  g_assert_cmpint (group_process (bob, &alice, first), ==, SP_OK);
  send_expect (bob, &alice, &chain, 5, SP_ERR_DUPLICATE_MESSAGE);
  later = test_chain_distribution (&chain, 100);
  g_assert_cmpint (group_process (bob, &alice, later), ==, SP_OK);
  send_expect (bob, &alice, &chain, 6, SP_OK);

  /* The same chain id with another signing key replaces the state. */
  test_chain_init (&replacement, distribution_id, 10);
  replaced = test_chain_distribution (&replacement, 0);
  g_assert_cmpint (group_process (bob, &alice, replaced), ==, SP_OK);
  send_expect (bob, &alice, &chain, 7, SP_ERR_INVALID_SIGNATURE);
  send_expect (bob, &alice, &replacement, 0, SP_OK);

  /* Five states at most: the oldest goes. */
  for (uint32_t i = 0; i < 4; i++)
    {
      g_autoptr(GBytes) distribution = NULL;

      test_chain_init (&others[i], distribution_id, 20 + i);
      distribution = test_chain_distribution (&others[i], 0);
      g_assert_cmpint (group_process (bob, &alice, distribution), ==, SP_OK);
    }
  send_expect (bob, &alice, &replacement, 1, SP_OK);
  {
    g_autoptr(GBytes) distribution = NULL;

    /* Processing a known chain again moves it to the front, so the
     * replacement now outlives others[0]. */
    distribution = test_chain_distribution (&replacement, 0);
    g_assert_cmpint (group_process (bob, &alice, distribution), ==, SP_OK);
    test_chain_init (&others[4], distribution_id, 30);
    g_clear_pointer (&distribution, g_bytes_unref);
    distribution = test_chain_distribution (&others[4], 0);
    g_assert_cmpint (group_process (bob, &alice, distribution), ==, SP_OK);
  }
  send_expect (bob, &alice, &others[0], 0, SP_ERR_NO_SENDER_KEY);
  send_expect (bob, &alice, &replacement, 2, SP_OK);
  for (uint32_t i = 1; i < 5; i++)
    send_expect (bob, &alice, &others[i], 0, SP_OK);

  group_member_free (bob);
}

static void
test_errors (void)
{
  GroupMember *alice = group_member_new ("alice", 1);
  GroupMember *bob = group_member_new ("bob", 2);
  SpStore sessions_only = alice->store;
  SpGroupCipher *cipher = NULL;
  uint8_t small[SP_SENDER_KEY_DISTRIBUTION_MESSAGE_MAX_SIZE - 1];
  uint8_t out[256];
  size_t len = 0;
  g_autoptr(GBytes) distribution = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GBytes) before = NULL;
  g_autoptr(GBytes) after = NULL;

  /* A store without sender keys. */
  sessions_only.load_sender_key = NULL;
  g_assert_cmpint (sp_group_cipher_new (&cipher, &sessions_only, &alice->address), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_null (cipher);

  /* Nothing to send with yet; too small a buffer creates nothing. */
  g_assert_cmpint (sp_group_cipher_encrypt (alice->cipher, distribution_id, (const uint8_t *) "x", 1, out,
                                            sizeof out, &len), ==, SP_ERR_NO_SENDER_KEY);
  g_assert_cmpint (sp_group_cipher_create_distribution (alice->cipher, distribution_id, small, sizeof small, &len),
                   ==, SP_ERR_BUFFER_TOO_SMALL);
  g_assert_null (group_member_snapshot (alice, &alice->address, distribution_id));

  distribution = group_distribution (alice, distribution_id);
  g_assert_cmpint (group_process (bob, &alice->address, distribution), ==, SP_OK);

  /* Too small an output buffer, either way, moves no chain. */
  before = group_member_snapshot (alice, &alice->address, distribution_id);
  g_assert_cmpint (sp_group_cipher_encrypt (alice->cipher, distribution_id, (const uint8_t *) "x", 1, out,
                                            SP_GROUP_CIPHERTEXT_MAX_SIZE (1) - 1, &len), ==, SP_ERR_BUFFER_TOO_SMALL);
  after = group_member_snapshot (alice, &alice->address, distribution_id);
  assert_same_bytes (before, after);

  message = group_encrypt (alice, distribution_id, "seventeen bytes!!");
  g_clear_pointer (&before, g_bytes_unref);
  g_clear_pointer (&after, g_bytes_unref);
  before = group_member_snapshot (bob, &alice->address, distribution_id);
  g_assert_cmpint (sp_group_cipher_decrypt (bob->cipher, &alice->address, g_bytes_get_data (message, NULL),
                                            g_bytes_get_size (message), out, 16, &len), ==, SP_ERR_BUFFER_TOO_SMALL);
  after = group_member_snapshot (bob, &alice->address, distribution_id);
  assert_same_bytes (before, after);
  g_assert_cmpint (group_decrypt_expect (bob, &alice->address, message, "seventeen bytes!!"), ==, SP_OK);

  /* A key received under our own address is not ours to send with. */
  {
    GroupMember *impostor = group_member_new ("alice", 1);

    g_assert_cmpint (group_process (impostor, &alice->address, distribution), ==, SP_OK);
    g_assert_cmpint (sp_group_cipher_encrypt (impostor->cipher, distribution_id, (const uint8_t *) "x", 1, out,
                                              sizeof out, &len), ==, SP_ERR_NO_SENDER_KEY);
    group_member_free (impostor);
  }

  group_member_free (alice);
  group_member_free (bob);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/protocol/sender-key/chain-kat", test_chain_kat);
  g_test_add_func ("/protocol/sender-key/distribution-codec", test_distribution_codec);
  g_test_add_func ("/protocol/sender-key/distribution-strict", test_distribution_strict);
  g_test_add_func ("/protocol/sender-key/message-codec", test_message_codec);
  g_test_add_func ("/protocol/sender-key/conversation", test_conversation);
  g_test_add_func ("/protocol/sender-key/tamper", test_tamper);
  g_test_add_func ("/protocol/sender-key/limits", test_limits);
  g_test_add_func ("/protocol/sender-key/last-iteration", test_last_iteration);
  g_test_add_func ("/protocol/sender-key/states", test_states);
  g_test_add_func ("/protocol/sender-key/errors", test_errors);

  return g_test_run ();
}
