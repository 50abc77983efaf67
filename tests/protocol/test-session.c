/* test-session.c: PQXDH, the PreKey phase and the vectors
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <json-glib/json-glib.h>

#include "kat-test-util.h"
#include "protocol-test-util.h"
#include "session-test-util.h"
#include "sp-kdf.h"
#include "sp-pqxdh.h"
#include "sp-ratchet.h"
#include "sp-spqr.h"

/* Known-answer files */

/* Asserts that @data holds the bytes of hex member @member of @object. */
static void
assert_hex (JsonObject    *object,
            const char    *member,
            const uint8_t *data,
            size_t         len)
{
  test_assert_hex (data, len, test_kat_string (object, member));
}

/* Copies hex member @member, which must be @len bytes, into @out. */
static void
get_hex (JsonObject *object,
         const char *member,
         uint8_t    *out,
         size_t      len)
{
  test_unhex (out, len, test_kat_string (object, member));
}

/* "name.device" as in the vector's addresses. */
static void
parse_address (const char  *text,
               char       **name,
               uint32_t    *device_id)
{
  const char *dot = strrchr (text, '.');

  g_assert_nonnull (dot);
  *name = g_strndup (text, dot - text);
  *device_id = (uint32_t) g_ascii_strtoull (dot + 1, NULL, 10);
}

/* kat/chain_keys.json: one symmetric step and the message keys with and
 * without an SPQR salt. */
static void
test_kat_chain_keys (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root = test_kat_load (parser, "chain_keys.json");
  uint8_t chain_key[32];
  uint8_t seed[32];
  uint8_t next[32];
  uint8_t salt[32];
  SpMessageKeys keys;

  get_hex (root, "chainKey", chain_key, sizeof chain_key);
  g_assert_cmpint (sp_ratchet_chain_step (seed, next, chain_key), ==, SP_OK);
  assert_hex (root, "messageKeySeed_hmac01", seed, sizeof seed);
  assert_hex (root, "nextChainKey_hmac02", next, sizeof next);

  g_assert_cmpint (sp_ratchet_message_keys (&keys, seed, NULL), ==, SP_OK);
  assert_hex (json_object_get_object_member (root, "noSpqr"), "cipherKey", keys.cipher_key, 32);
  assert_hex (json_object_get_object_member (root, "noSpqr"), "macKey", keys.mac_key, 32);
  assert_hex (json_object_get_object_member (root, "noSpqr"), "iv", keys.iv, 16);

  memset (salt, 0xab, sizeof salt);
  g_assert_cmpint (sp_ratchet_message_keys (&keys, seed, salt), ==, SP_OK);
  assert_hex (json_object_get_object_member (root, "withSpqrSalt_ab32"), "cipherKey", keys.cipher_key, 32);
  assert_hex (json_object_get_object_member (root, "withSpqrSalt_ab32"), "macKey", keys.mac_key, 32);
  assert_hex (json_object_get_object_member (root, "withSpqrSalt_ab32"), "iv", keys.iv, 16);
}

/* kat/spqr_chain.json: the epoch-0 chain in both directions, sent and
 * received, and the None message. */
static void
test_kat_spqr_chain (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root = test_kat_load (parser, "spqr_chain.json");
  JsonArray *a2b = json_object_get_array_member (root, "a2b");
  JsonArray *b2a = json_object_get_array_member (root, "b2a");
  SpSessionState *alice;
  SpSessionState *bob;
  uint8_t auth_key[32];
  uint8_t start[96];

  g_assert_cmpint (sp_session_state_new (&alice), ==, SP_OK);
  g_assert_cmpint (sp_session_state_new (&bob), ==, SP_OK);
  get_hex (root, "authKey", auth_key, sizeof auth_key);
  get_hex (root, "start", start, sizeof start);
  g_assert_cmpint (sp_spqr_chain_init (&alice->spqr, auth_key, true), ==, SP_OK);
  g_assert_cmpint (sp_spqr_chain_init (&bob->spqr, auth_key, false), ==, SP_OK);
  g_assert_cmpmem (alice->spqr.next_root, 32, start, 32);
  g_assert_cmpmem (alice->spqr.send_seed, 32, start + 32, 32);
  g_assert_cmpmem (alice->spqr.recv_seed, 32, start + 64, 32);
  g_assert_cmpmem (bob->spqr.send_seed, 32, start + 64, 32);

  for (guint i = 0; i < 3; i++)
    {
      JsonObject *ab = json_array_get_object_element (a2b, i);
      JsonObject *ba = json_array_get_object_element (b2a, i);
      uint8_t key[32];
      uint8_t received[32];
      uint8_t message[SP_SPQR_MESSAGE_MAX_SIZE];
      size_t message_len;
      bool has_key = false;

      g_assert_cmpint (sp_spqr_send (&alice->spqr, key, message, &message_len), ==, SP_OK);
      g_assert_cmpint (json_object_get_int_member (ab, "index"), ==, i + 1);
      assert_hex (ab, "key", key, sizeof key);
      if (i == 0)
        assert_hex (root, "noneMessage_epoch1_index1", message, message_len);
      g_assert_cmpint (sp_spqr_receive (&bob->spqr, message, message_len, false, received, &has_key), ==, SP_OK);
      g_assert_true (has_key);
      g_assert_cmpmem (received, 32, key, 32);

      g_assert_cmpint (sp_spqr_send (&bob->spqr, key, message, &message_len), ==, SP_OK);
      assert_hex (ba, "key", key, sizeof key);
      g_assert_cmpint (sp_spqr_receive (&alice->spqr, message, message_len, false, received, &has_key), ==, SP_OK);
      g_assert_cmpmem (received, 32, key, 32);
    }

  sp_session_state_free (alice);
  sp_session_state_free (bob);
}

/* The SPQR receive rules of spec 6.3 that the stalled braid relies on. */
static void
test_spqr_receive_rules (void)
{
  static const struct {
    const char *hex;
    int result;
    gboolean has_key;
  } cases[] = {
    { "", SP_ERR_INVALID_MESSAGE, FALSE },               /* V0: below the minimum version */
    { "02", SP_ERR_INVALID_MESSAGE, FALSE },             /* no epoch */
    { "020101", SP_ERR_INVALID_MESSAGE, FALSE },         /* a higher version is not used */
    { "01020100", SP_ERR_INVALID_MESSAGE, FALSE },       /* epoch 2: the braid never moved */
    { "010100", SP_ERR_INVALID_MESSAGE, FALSE },         /* no message type */
    { "0101010001", SP_OK, TRUE },                       /* trailing bytes are tolerated */
    { "0101010700", SP_ERR_INVALID_MESSAGE, FALSE },     /* unknown message type */
    { "01010101", SP_ERR_INVALID_MESSAGE, FALSE },       /* Hdr without its chunk */
    { "0101010104" "00000000000000000000000000000000" "0000000000000000000000000000", SP_ERR_INVALID_MESSAGE, FALSE },
    { "0101010104" "00000000000000000000000000000000" "00000000000000000000000000000000", SP_OK, TRUE },
    { "01010104", SP_OK, TRUE },                         /* Ct1Ack carries no chunk */
    { "01010000", SP_OK, FALSE },                        /* index 0: no key */
  };
  SpSessionState *state;
  uint8_t auth_key[32] = { 0 };

  g_assert_cmpint (sp_session_state_new (&state), ==, SP_OK);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) message = test_bytes_from_hex (cases[i].hex);
      uint8_t key[32];
      bool has_key = false;

      g_assert_cmpint (sp_spqr_chain_init (&state->spqr, auth_key, false), ==, SP_OK);
      g_assert_cmpint (sp_spqr_receive (&state->spqr, g_bytes_get_data (message, NULL),
                                        g_bytes_get_size (message), false, key, &has_key),
                       ==, cases[i].result);
      if (cases[i].result == SP_OK)
        g_assert_cmpint (has_key, ==, cases[i].has_key);
    }
  sp_session_state_free (state);
}

/* The SPQR window: a key is handed out once, skipped keys are kept back
 * to SP_MAX_MESSAGE_KEYS behind, and jumps are bounded. */
static void
test_spqr_window (void)
{
  SpSessionState *sender;
  SpSessionState *receiver;
  uint8_t auth_key[32] = { 1 };
  uint8_t keys[3][32];
  uint8_t messages[3][SP_SPQR_MESSAGE_MAX_SIZE];
  size_t lens[3];
  uint8_t key[32];
  bool has_key;
  uint8_t far[8] = { 0x01, 0x01 };
  size_t far_len;

  g_assert_cmpint (sp_session_state_new (&sender), ==, SP_OK);
  g_assert_cmpint (sp_session_state_new (&receiver), ==, SP_OK);
  g_assert_cmpint (sp_spqr_chain_init (&sender->spqr, auth_key, true), ==, SP_OK);
  g_assert_cmpint (sp_spqr_chain_init (&receiver->spqr, auth_key, false), ==, SP_OK);

  for (int i = 0; i < 3; i++)
    g_assert_cmpint (sp_spqr_send (&sender->spqr, keys[i], messages[i], &lens[i]), ==, SP_OK);

  /* 3 first, then 1: 1 and 2 were kept. */
  g_assert_cmpint (sp_spqr_receive (&receiver->spqr, messages[2], lens[2], false, key, &has_key), ==, SP_OK);
  g_assert_cmpmem (key, 32, keys[2], 32);
  g_assert_cmpuint (receiver->spqr.recv_history.len, ==, 2);
  g_assert_cmpint (sp_spqr_receive (&receiver->spqr, messages[0], lens[0], false, key, &has_key), ==, SP_OK);
  g_assert_cmpmem (key, 32, keys[0], 32);
  /* Each key only once. */
  g_assert_cmpint (sp_spqr_receive (&receiver->spqr, messages[0], lens[0], false, key, &has_key),
                   ==, SP_ERR_INVALID_MESSAGE);
  g_assert_cmpint (sp_spqr_receive (&receiver->spqr, messages[2], lens[2], false, key, &has_key),
                   ==, SP_ERR_INVALID_MESSAGE);

  /* Index 3 + 25000 is the largest jump; one more is refused. */
  far_len = 2;
  far[far_len++] = (uint8_t) (((3 + 25001) & 0x7f) | 0x80);
  far[far_len++] = (uint8_t) ((((3 + 25001) >> 7) & 0x7f) | 0x80);
  far[far_len++] = (uint8_t) ((3 + 25001) >> 14);
  far[far_len++] = 0;
  g_assert_cmpint (sp_spqr_receive (&receiver->spqr, far, far_len, false, key, &has_key),
                   ==, SP_ERR_INVALID_MESSAGE);
  g_assert_cmpuint (receiver->spqr.recv_counter, ==, 3);
  /* ...unless the session is with ourselves. */
  g_assert_cmpint (sp_spqr_receive (&receiver->spqr, far, far_len, true, key, &has_key), ==, SP_OK);
  g_assert_cmpuint (receiver->spqr.recv_counter, ==, 3 + 25001);
  /* Only the last SP_MAX_MESSAGE_KEYS of the skipped ones were kept. */
  g_assert_cmpuint (receiver->spqr.recv_history.len, ==, SP_MAX_MESSAGE_KEYS);
  g_assert_cmpuint (receiver->spqr.recv_history.items[0].index, ==, 3 + 25001 - SP_MAX_MESSAGE_KEYS);

  sp_session_state_free (sender);
  sp_session_state_free (receiver);
}

/* kat/pqxdh_session.json, first the key agreement alone. */
static void
test_kat_pqxdh_derivation (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root = test_kat_load (parser, "pqxdh_session.json");
  JsonObject *in = json_object_get_object_member (root, "inputs");
  JsonObject *derived = json_object_get_object_member (root, "derived");
  SpKeyPair *pairs = sodium_allocarray (6, sizeof *pairs);
  SpKeyPair *alice = &pairs[0], *bob = &pairs[1], *spk = &pairs[2];
  SpKeyPair *opk = &pairs[3], *base = &pairs[4], *ratchet = &pairs[5];
  uint8_t *kyber_secret = sodium_malloc (SP_KYBER_SECRET_KEY_SIZE);
  uint8_t ciphertext[SP_KYBER_CIPHERTEXT_SIZE];
  uint8_t kyber_random[32];
  uint8_t dh[32];
  uint8_t seed[32];
  uint8_t next[32];
  uint8_t root_key[32];
  uint8_t chain_key[32];
  uint8_t spqr_key[32];
  uint8_t spqr_message[SP_SPQR_MESSAGE_MAX_SIZE];
  size_t spqr_message_len;
  SpPqxdhKeys initiator;
  SpPqxdhKeys responder;
  SpPreKeyBundle bundle;
  SpSessionState *state;
  SpMessageKeys keys;

  test_kat_key_pair (in, "aliceIdentityPriv", alice);
  test_kat_key_pair (in, "bobIdentityPriv", bob);
  test_kat_key_pair (in, "bobSignedPreKeyPriv", spk);
  test_kat_key_pair (in, "bobOneTimePreKeyPriv", opk);
  test_kat_key_pair (in, "aliceBaseKeyPriv", base);
  test_kat_key_pair (in, "aliceFirstRatchetPriv", ratchet);
  assert_hex (in, "aliceIdentityPub33", alice->public_key.bytes, 33);
  assert_hex (in, "bobSignedPreKeyPub33", spk->public_key.bytes, 33);
  assert_hex (in, "aliceBaseKeyPub33", base->public_key.bytes, 33);
  get_hex (in, "bobKyberSec3169", kyber_secret, SP_KYBER_SECRET_KEY_SIZE);
  get_hex (in, "kyberEncapsRandom_beforeSha3", kyber_random, sizeof kyber_random);

  memset (&bundle, 0, sizeof bundle);
  bundle.identity_key = bob->public_key;
  bundle.signed_pre_key = spk->public_key;
  bundle.has_pre_key = true;
  bundle.pre_key = opk->public_key;
  get_hex (in, "bobKyberPub1569", bundle.kyber_pre_key, SP_KYBER_PUBLIC_KEY_SIZE);

  g_assert_cmpint (sp_dh (dh, &alice->private_key, &spk->public_key), ==, SP_OK);
  assert_hex (derived, "dh1_IKa_SPKb", dh, 32);
  g_assert_cmpint (sp_dh (dh, &base->private_key, &bob->public_key), ==, SP_OK);
  assert_hex (derived, "dh2_EKa_IKb", dh, 32);
  g_assert_cmpint (sp_dh (dh, &base->private_key, &spk->public_key), ==, SP_OK);
  assert_hex (derived, "dh3_EKa_SPKb", dh, 32);
  g_assert_cmpint (sp_dh (dh, &base->private_key, &opk->public_key), ==, SP_OK);
  assert_hex (derived, "dh4_EKa_OPKb", dh, 32);

  g_assert_cmpint (sp_pqxdh_initiate (&initiator, ciphertext, alice, base, &bundle, kyber_random), ==, SP_OK);
  assert_hex (derived, "kyberCiphertext1569", ciphertext, sizeof ciphertext);
  assert_hex (derived, "rootKey", initiator.root_key, 32);
  assert_hex (derived, "chainKey_BobSPKchain", initiator.chain_key, 32);
  assert_hex (derived, "spqrAuthKey", initiator.spqr_auth_key, 32);

  g_assert_cmpint (sp_pqxdh_respond (&responder, bob, spk, opk, kyber_secret, SP_KYBER_SECRET_KEY_SIZE,
                                     &alice->public_key, &base->public_key,
                                     ciphertext, sizeof ciphertext), ==, SP_OK);
  g_assert_cmpmem (&responder, sizeof responder, &initiator, sizeof initiator);

  /* Alice's first sending chain and message keys. */
  g_assert_cmpint (sp_ratchet_root_step (root_key, chain_key, initiator.root_key,
                                         &ratchet->private_key, &spk->public_key), ==, SP_OK);
  assert_hex (derived, "aliceRatchetPub33", ratchet->public_key.bytes, 33);
  assert_hex (derived, "sendingRootKey", root_key, 32);
  assert_hex (derived, "sendingChainKey", chain_key, 32);
  g_assert_cmpint (sp_ratchet_chain_step (seed, next, chain_key), ==, SP_OK);
  assert_hex (derived, "messageKeySeed", seed, 32);

  g_assert_cmpint (sp_session_state_new (&state), ==, SP_OK);
  g_assert_cmpint (sp_spqr_chain_init (&state->spqr, initiator.spqr_auth_key, true), ==, SP_OK);
  g_assert_cmpint (sp_spqr_send (&state->spqr, spqr_key, spqr_message, &spqr_message_len), ==, SP_OK);
  g_assert_cmpint (state->spqr.send_counter, ==, json_object_get_int_member (derived, "spqrFirstSendIndex"));
  assert_hex (derived, "spqrFirstSendKey", spqr_key, 32);
  g_assert_cmpint (sp_ratchet_message_keys (&keys, seed, spqr_key), ==, SP_OK);
  assert_hex (derived, "cipherKey", keys.cipher_key, 32);
  assert_hex (derived, "macKey", keys.mac_key, 32);
  assert_hex (derived, "iv", keys.iv, 16);

  sp_session_state_free (state);
  sodium_free (kyber_secret);
  sodium_free (pairs);
}

/* kat/pqxdh_session.json end to end through the stores: Alice's exact
 * PreKeySignalMessage, Bob's exact reply. */
static void
test_kat_pqxdh_session (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root = test_kat_load (parser, "pqxdh_session.json");
  JsonObject *in = json_object_get_object_member (root, "inputs");
  JsonObject *derived = json_object_get_object_member (root, "derived");
  JsonObject *reply_kat = json_object_get_object_member (root, "bobReply");
  SpKeyPair *pairs = sodium_allocarray (5, sizeof *pairs);
  SpKeyPair *alice_identity = &pairs[0], *bob_identity = &pairs[1];
  SpKeyPair *base = &pairs[2], *ratchet = &pairs[3], *bob_ratchet = &pairs[4];
  SpSignedPreKey *spk = sodium_malloc (sizeof *spk);
  SpKyberPreKey *kyber = sodium_malloc (sizeof *kyber);
  SpPreKey *opk = sodium_malloc (sizeof *opk);
  SpMemoryStore *alice_memory = NULL;
  SpMemoryStore *bob_memory = NULL;
  SpStore alice_store;
  SpStore bob_store;
  SpAddress alice_address;
  SpAddress bob_address;
  g_autofree char *alice_name = NULL;
  g_autofree char *bob_name = NULL;
  SpSessionCipher *alice = NULL;
  SpSessionCipher *bob = NULL;
  SpSessionRecord *record = NULL;
  SpSessionOverrides overrides = { 0 };
  SpPreKeyBundle bundle;
  uint8_t kyber_random[32];
  const char *plaintext = json_object_get_string_member (in, "plaintext");
  const char *reply_plaintext = json_object_get_string_member (reply_kat, "plaintext");
  uint8_t out[4096];
  uint8_t decrypted[4096];
  size_t out_len;
  size_t decrypted_len;
  int type;

  test_kat_key_pair (in, "aliceIdentityPriv", alice_identity);
  test_kat_key_pair (in, "bobIdentityPriv", bob_identity);
  test_kat_key_pair (in, "aliceBaseKeyPriv", base);
  test_kat_key_pair (in, "aliceFirstRatchetPriv", ratchet);
  test_kat_key_pair (reply_kat, "bobNewRatchetPriv", bob_ratchet);
  get_hex (in, "kyberEncapsRandom_beforeSha3", kyber_random, sizeof kyber_random);

  memset (spk, 0, sizeof *spk);
  spk->id = (uint32_t) json_object_get_int_member (in, "signedPreKeyId");
  test_kat_key_pair (in, "bobSignedPreKeyPriv", &spk->key_pair);
  get_hex (in, "signedPreKeySignature", spk->signature, SP_SIGNATURE_SIZE);
  memset (opk, 0, sizeof *opk);
  opk->id = (uint32_t) json_object_get_int_member (in, "preKeyId");
  test_kat_key_pair (in, "bobOneTimePreKeyPriv", &opk->key_pair);
  memset (kyber, 0, sizeof *kyber);
  kyber->id = (uint32_t) json_object_get_int_member (in, "kyberPreKeyId");
  get_hex (in, "bobKyberPub1569", kyber->public_key, SP_KYBER_PUBLIC_KEY_SIZE);
  get_hex (in, "bobKyberSec3169", kyber->secret_key, SP_KYBER_SECRET_KEY_SIZE);
  get_hex (in, "kyberPreKeySignature", kyber->signature, SP_SIGNATURE_SIZE);

  g_assert_cmpint (sp_memory_store_new (&alice_memory, alice_identity,
                                        (uint32_t) json_object_get_int_member (in, "aliceRegistrationId")), ==, SP_OK);
  g_assert_cmpint (sp_memory_store_new (&bob_memory, bob_identity, 4321), ==, SP_OK);
  g_assert_cmpint (sp_memory_store_get_interface (alice_memory, &alice_store), ==, SP_OK);
  g_assert_cmpint (sp_memory_store_get_interface (bob_memory, &bob_store), ==, SP_OK);
  g_assert_cmpint (sp_memory_store_add_signed_pre_key (bob_memory, spk), ==, SP_OK);
  g_assert_cmpint (sp_memory_store_add_kyber_pre_key (bob_memory, kyber, false), ==, SP_OK);
  g_assert_cmpint (sp_memory_store_add_pre_key (bob_memory, opk), ==, SP_OK);

  parse_address (json_object_get_string_member (in, "aliceAddress"), &alice_name, &alice_address.device_id);
  parse_address (json_object_get_string_member (in, "bobAddress"), &bob_name, &bob_address.device_id);
  alice_address.name = alice_name;
  bob_address.name = bob_name;
  g_assert_cmpint (sp_session_cipher_new (&alice, &alice_store, &alice_address, &bob_address), ==, SP_OK);
  g_assert_cmpint (sp_session_cipher_new (&bob, &bob_store, &bob_address, &alice_address), ==, SP_OK);

  g_assert_cmpint (sp_pre_key_bundle_init (&bundle, 4321, bob_address.device_id, &bob_identity->public_key,
                                           spk, kyber, opk), ==, SP_OK);

  overrides.base_key = base;
  overrides.ratchet_key = ratchet;
  overrides.kyber_random = kyber_random;
  g_assert_cmpint (sp_session_cipher_process_bundle_with (alice, &bundle, &overrides), ==, SP_OK);

  /* Alice's new state holds the vector's keys. */
  g_assert_cmpint (sp_session_record_new (&record), ==, SP_OK);
  g_assert_cmpint (alice_store.load_session (alice_store.user_data, &bob_address, record), ==, SP_OK);
  g_assert_cmpuint (record->n_states, ==, 1);
  assert_hex (derived, "sendingRootKey", record->states[0]->root_key, 32);
  assert_hex (derived, "sendingChainKey", record->states[0]->sender_chain_key, 32);
  assert_hex (derived, "aliceRatchetPub33", record->states[0]->sender_ratchet.public_key.bytes, 33);
  assert_hex (derived, "chainKey_BobSPKchain", record->states[0]->receivers[0].chain_key, 32);
  assert_hex (derived, "kyberCiphertext1569", record->states[0]->pending_pre_key.kyber_ciphertext,
              SP_KYBER_CIPHERTEXT_SIZE);

  g_assert_cmpint (sp_session_cipher_encrypt (alice, (const uint8_t *) plaintext, strlen (plaintext),
                                              out, sizeof out, &out_len, &type), ==, SP_OK);
  g_assert_cmpint (type, ==, SP_CIPHERTEXT_TYPE_PREKEY);
  assert_hex (root, "preKeySignalMessage", out, out_len);

  overrides = (SpSessionOverrides) { 0 };
  overrides.ratchet_key = bob_ratchet;
  g_assert_cmpint (sp_session_cipher_decrypt_with (bob, type, out, out_len, decrypted, sizeof decrypted,
                                                   &decrypted_len, &overrides), ==, SP_OK);
  g_assert_cmpmem (decrypted, decrypted_len, plaintext, strlen (plaintext));

  g_assert_cmpint (bob_store.load_session (bob_store.user_data, &alice_address, record), ==, SP_OK);
  assert_hex (reply_kat, "sendRootKey", record->states[0]->root_key, 32);
  assert_hex (reply_kat, "sendChainKey", record->states[0]->sender_chain_key, 32);
  assert_hex (reply_kat, "bobRatchetPub33", record->states[0]->sender_ratchet.public_key.bytes, 33);
  g_assert_cmpuint (record->states[0]->remote_registration_id, ==,
                    json_object_get_int_member (in, "aliceRegistrationId"));

  g_assert_cmpint (sp_session_cipher_encrypt (bob, (const uint8_t *) reply_plaintext, strlen (reply_plaintext),
                                              out, sizeof out, &out_len, &type), ==, SP_OK);
  g_assert_cmpint (type, ==, SP_CIPHERTEXT_TYPE_WHISPER);
  assert_hex (reply_kat, "signalMessage", out, out_len);

  g_assert_cmpint (sp_session_cipher_decrypt (alice, type, out, out_len, decrypted, sizeof decrypted,
                                              &decrypted_len), ==, SP_OK);
  g_assert_cmpmem (decrypted, decrypted_len, reply_plaintext, strlen (reply_plaintext));

  /* Acknowledged: Alice now sends plain SignalMessages. */
  g_assert_cmpint (sp_session_cipher_encrypt (alice, (const uint8_t *) "x", 1, out, sizeof out,
                                              &out_len, &type), ==, SP_OK);
  g_assert_cmpint (type, ==, SP_CIPHERTEXT_TYPE_WHISPER);
  g_assert_cmpint (sp_session_cipher_decrypt (bob, type, out, out_len, decrypted, sizeof decrypted,
                                              &decrypted_len), ==, SP_OK);

  sp_session_record_free (record);
  sp_session_cipher_free (alice);
  sp_session_cipher_free (bob);
  sp_memory_store_free (alice_memory);
  sp_memory_store_free (bob_memory);
  sodium_free (spk);
  sodium_free (kyber);
  sodium_free (opk);
  sodium_free (pairs);
}

/* Both directions, with and without a one-time prekey; every message
 * Alice sends before reading Bob is a PreKeySignalMessage. */
static void
conversation (gboolean with_pre_key)
{
  TestParty *alice_party = test_party_new ("alice", 1);
  TestParty *bob_party = test_party_new ("bob", 2);
  SpSessionCipher *alice = test_cipher_new (alice_party, bob_party);
  SpSessionCipher *bob = test_cipher_new (bob_party, alice_party);
  SpPreKeyBundle bundle;
  SpPreKey *pre_key = sodium_malloc (sizeof *pre_key);
  TestMessage m[4];

  test_party_bundle (bob_party, &bundle, with_pre_key);
  g_assert_cmpint (sp_session_cipher_process_bundle (alice, &bundle), ==, SP_OK);

  m[0] = test_encrypt (alice, "one");
  m[1] = test_encrypt (alice, "two");
  g_assert_cmpint (m[0].type, ==, SP_CIPHERTEXT_TYPE_PREKEY);
  g_assert_cmpint (m[1].type, ==, SP_CIPHERTEXT_TYPE_PREKEY);

  g_assert_cmpint (test_decrypt (bob, &m[1], "two"), ==, SP_OK);
  /* Consumed once the first message decrypted, not before. */
  g_assert_cmpint (bob_party->store.load_pre_key (bob_party->store.user_data, TEST_PRE_KEY_ID, pre_key),
                   ==, with_pre_key ? SP_ERR_MISSING_PREKEY : SP_OK);
  /* The one-time Kyber prekey went with it. */
  g_assert_cmpint (bob_party->store.load_kyber_pre_key (bob_party->store.user_data, TEST_KYBER_PRE_KEY_ID,
                                                        bob_party->kyber_pre_key), ==, SP_ERR_MISSING_PREKEY);
  /* The other message of the same base key reuses the session. */
  g_assert_cmpint (test_decrypt (bob, &m[0], "one"), ==, SP_OK);
  g_assert_cmpuint (test_store_state_count (bob_party, alice_party), ==, 1);

  m[2] = test_encrypt (bob, "three");
  g_assert_cmpint (m[2].type, ==, SP_CIPHERTEXT_TYPE_WHISPER);
  /* Still unacknowledged on Alice's side. */
  m[3] = test_encrypt (alice, "four");
  g_assert_cmpint (m[3].type, ==, SP_CIPHERTEXT_TYPE_PREKEY);
  g_assert_cmpint (test_decrypt (alice, &m[2], "three"), ==, SP_OK);
  g_assert_cmpint (test_decrypt (bob, &m[3], "four"), ==, SP_OK);
  for (int i = 0; i < 4; i++)
    test_message_clear (&m[i]);

  for (int round = 0; round < 10; round++)
    {
      g_autofree char *a = g_strdup_printf ("a%d", round);
      g_autofree char *b = g_strdup_printf ("b%d", round);

      m[0] = test_encrypt (alice, a);
      g_assert_cmpint (m[0].type, ==, SP_CIPHERTEXT_TYPE_WHISPER);
      m[1] = test_encrypt (alice, b);
      g_assert_cmpint (test_decrypt (bob, &m[1], b), ==, SP_OK);
      g_assert_cmpint (test_decrypt (bob, &m[0], a), ==, SP_OK);
      m[2] = test_encrypt (bob, a);
      g_assert_cmpint (test_decrypt (alice, &m[2], a), ==, SP_OK);
      for (int i = 0; i < 3; i++)
        test_message_clear (&m[i]);
    }

  /* An empty message is a message too. */
  m[0] = test_encrypt (alice, "");
  g_assert_cmpint (test_decrypt (bob, &m[0], ""), ==, SP_OK);
  test_message_clear (&m[0]);

  sodium_free (pre_key);
  sp_session_cipher_free (alice);
  sp_session_cipher_free (bob);
  test_party_free (alice_party);
  test_party_free (bob_party);
}

static void
test_conversation_with_pre_key (void)
{
  conversation (TRUE);
}

static void
test_conversation_without_pre_key (void)
{
  conversation (FALSE);
}

/* A bundle carries the public halves and the ids and signatures of the
 * records it is made from, and the one-time prekey only when given. */
static void
test_bundle_init (void)
{
  TestParty *party = test_party_new ("bob", 3);
  SpPreKeyBundle bundle;

  memset (&bundle, 0xa5, sizeof bundle);
  g_assert_cmpint (sp_pre_key_bundle_init (&bundle, 1234, 3, &party->identity->public_key,
                                           party->signed_pre_key, party->kyber_pre_key, party->pre_key),
                   ==, SP_OK);
  g_assert_cmpuint (bundle.registration_id, ==, 1234);
  g_assert_cmpuint (bundle.device_id, ==, 3);
  g_assert_cmpmem (bundle.identity_key.bytes, SP_PUBLIC_KEY_SIZE,
                   party->identity->public_key.bytes, SP_PUBLIC_KEY_SIZE);
  g_assert_cmpuint (bundle.signed_pre_key_id, ==, TEST_SIGNED_PRE_KEY_ID);
  g_assert_cmpmem (bundle.signed_pre_key.bytes, SP_PUBLIC_KEY_SIZE,
                   party->signed_pre_key->key_pair.public_key.bytes, SP_PUBLIC_KEY_SIZE);
  g_assert_cmpmem (bundle.signed_pre_key_signature, SP_SIGNATURE_SIZE,
                   party->signed_pre_key->signature, SP_SIGNATURE_SIZE);
  g_assert_cmpuint (bundle.kyber_pre_key_id, ==, TEST_KYBER_PRE_KEY_ID);
  g_assert_cmpmem (bundle.kyber_pre_key, SP_KYBER_PUBLIC_KEY_SIZE,
                   party->kyber_pre_key->public_key, SP_KYBER_PUBLIC_KEY_SIZE);
  g_assert_cmpmem (bundle.kyber_pre_key_signature, SP_SIGNATURE_SIZE,
                   party->kyber_pre_key->signature, SP_SIGNATURE_SIZE);
  g_assert_true (bundle.has_pre_key);
  g_assert_cmpuint (bundle.pre_key_id, ==, TEST_PRE_KEY_ID);
  g_assert_cmpmem (bundle.pre_key.bytes, SP_PUBLIC_KEY_SIZE,
                   party->pre_key->key_pair.public_key.bytes, SP_PUBLIC_KEY_SIZE);

  /* Without a one-time prekey nothing of the last one is left over. */
  g_assert_cmpint (sp_pre_key_bundle_init (&bundle, 1234, 3, &party->identity->public_key,
                                           party->signed_pre_key, party->kyber_pre_key, NULL), ==, SP_OK);
  g_assert_false (bundle.has_pre_key);
  g_assert_cmpuint (bundle.pre_key_id, ==, 0);

  g_assert_cmpint (sp_pre_key_bundle_init (&bundle, 1234, 3, NULL, party->signed_pre_key,
                                           party->kyber_pre_key, NULL), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_pre_key_bundle_init (&bundle, 1234, 3, &party->identity->public_key, NULL,
                                           party->kyber_pre_key, NULL), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_pre_key_bundle_init (&bundle, 1234, 3, &party->identity->public_key,
                                           party->signed_pre_key, NULL, NULL), ==, SP_ERR_INVALID_ARGUMENT);
  test_party_free (party);
}

/* Field 6 goes into the first messages only when both names are service
 * ids, and a receiver whose view differs refuses the message. */
static void
test_addresses (void)
{
  TestParty *alice_party = test_party_new ("9d0652a3-dcc3-4d11-975f-74d61598733f", 1);
  TestParty *bob_party = test_party_new ("PNI:e3d0a3a1-1f5f-4a8e-8a32-c3a3b8e7e4a1", 2);
  TestParty *plain_party = test_party_new ("carol", 3);
  TestParty *other_device = test_party_new ("9d0652a3-dcc3-4d11-975f-74d61598733f", 4);
  SpSessionCipher *alice = test_cipher_new (alice_party, bob_party);
  SpSessionCipher *plain = test_cipher_new (plain_party, bob_party);
  SpSessionCipher *bob_wrong = test_cipher_new (bob_party, other_device);
  SpSessionCipher *bob = test_cipher_new (bob_party, alice_party);
  SpPreKeyBundle bundle;
  SpPreKeySignalMessage wrapper;
  SpSignalMessage inner;
  TestMessage with;
  TestMessage without;
  static const uint8_t expected[SP_MESSAGE_ADDRESSES_SIZE] = {
    0x00, 0x9d, 0x06, 0x52, 0xa3, 0xdc, 0xc3, 0x4d, 0x11, 0x97, 0x5f, 0x74, 0xd6, 0x15, 0x98, 0x73, 0x3f, 0x01,
    0x01, 0xe3, 0xd0, 0xa3, 0xa1, 0x1f, 0x5f, 0x4a, 0x8e, 0x8a, 0x32, 0xc3, 0xa3, 0xb8, 0xe7, 0xe4, 0xa1, 0x02,
  };

  test_party_bundle (bob_party, &bundle, FALSE);
  g_assert_cmpint (sp_session_cipher_process_bundle (alice, &bundle), ==, SP_OK);
  g_assert_cmpint (sp_session_cipher_process_bundle (plain, &bundle), ==, SP_OK);
  with = test_encrypt (alice, "x");
  without = test_encrypt (plain, "x");

  g_assert_cmpint (sp_pre_key_signal_message_decode (&wrapper, with.data, with.len), ==, SP_OK);
  g_assert_cmpint (sp_signal_message_decode (&inner, wrapper.message, wrapper.message_len), ==, SP_OK);
  g_assert_nonnull (inner.addresses);
  g_assert_cmpmem (inner.addresses, inner.addresses_len, expected, sizeof expected);
  g_assert_cmpint (sp_pre_key_signal_message_decode (&wrapper, without.data, without.len), ==, SP_OK);
  g_assert_cmpint (sp_signal_message_decode (&inner, wrapper.message, wrapper.message_len), ==, SP_OK);
  g_assert_null (inner.addresses);

  /* Bob thinking the sender is another device: as libsignal, a MAC error. */
  g_assert_cmpint (test_decrypt (bob_wrong, &with, "x"), ==, SP_ERR_BAD_MAC);
  g_assert_cmpint (test_decrypt (bob, &with, "x"), ==, SP_OK);

  test_message_clear (&with);
  test_message_clear (&without);
  sp_session_cipher_free (alice);
  sp_session_cipher_free (plain);
  sp_session_cipher_free (bob);
  sp_session_cipher_free (bob_wrong);
  test_party_free (alice_party);
  test_party_free (bob_party);
  test_party_free (plain_party);
  test_party_free (other_device);
}

/* What encrypting one byte with @cipher returns, for the tests that
 * expect it to fail. */
static int
encrypt_one_byte (SpSessionCipher *cipher)
{
  uint8_t out[256];
  size_t out_len;
  int type;

  return sp_session_cipher_encrypt (cipher, (const uint8_t *) "x", 1, out, sizeof out, &out_len, &type);
}

/* Both prekey signatures are checked, and a bad bundle stores nothing. */
static void
test_bundle_signatures (void)
{
  TestParty *alice_party = test_party_new ("alice", 1);
  TestParty *bob_party = test_party_new ("bob", 1);
  SpSessionCipher *alice = test_cipher_new (alice_party, bob_party);
  SpPreKeyBundle bundle;
  SpPublicKey saved;
  bool found = true;

  test_party_bundle (bob_party, &bundle, TRUE);
  bundle.signed_pre_key_signature[5] ^= 0x01;
  g_assert_cmpint (sp_session_cipher_process_bundle (alice, &bundle), ==, SP_ERR_INVALID_SIGNATURE);

  test_party_bundle (bob_party, &bundle, TRUE);
  bundle.kyber_pre_key_signature[40] ^= 0x80;
  g_assert_cmpint (sp_session_cipher_process_bundle (alice, &bundle), ==, SP_ERR_INVALID_SIGNATURE);

  /* A Kyber key signed correctly but not by this identity. */
  test_party_bundle (bob_party, &bundle, TRUE);
  bundle.kyber_pre_key[100] ^= 0x01;
  g_assert_cmpint (sp_session_cipher_process_bundle (alice, &bundle), ==, SP_ERR_INVALID_SIGNATURE);

  test_party_bundle (bob_party, &bundle, TRUE);
  bundle.signed_pre_key.bytes[0] = 0x06;
  g_assert_cmpint (sp_session_cipher_process_bundle (alice, &bundle), ==, SP_ERR_INVALID_KEY);

  g_assert_null (test_store_snapshot (alice_party, bob_party));
  g_assert_cmpint (alice_party->store.get_identity (alice_party->store.user_data, &bob_party->address,
                                                   &saved, &found), ==, SP_OK);
  g_assert_false (found);

  /* No session yet: nothing to encrypt with. */
  g_assert_cmpint (encrypt_one_byte (alice), ==, SP_ERR_NO_SESSION);

  sp_session_cipher_free (alice);
  test_party_free (alice_party);
  test_party_free (bob_party);
}

/* A store whose trust callback refuses everything it is asked about. */
static int
refuse_trust (void              *user_data,
              const SpAddress   *address,
              const SpPublicKey *key,
              SpDirection        direction,
              bool              *trusted)
{
  *trusted = false;
  return SP_OK;
}

/* A new identity for a known address is its own error, in both
 * directions, and never silently accepted. */
static void
test_identity_changed (void)
{
  TestParty *alice_party = test_party_new ("alice", 1);
  TestParty *bob_party = test_party_new ("bob", 1);
  TestParty *new_bob = test_party_new ("bob", 1);
  TestParty *fake_alice = test_party_new ("alice", 1);
  SpSessionCipher *alice = test_cipher_new (alice_party, bob_party);
  SpSessionCipher *bob = test_cipher_new (bob_party, alice_party);
  SpSessionCipher *fake = test_cipher_new (fake_alice, bob_party);
  SpSessionCipher *suspicious = NULL;
  g_autoptr(GBytes) before = NULL;
  g_autoptr(GBytes) after = NULL;
  SpPreKeyBundle bundle;
  SpStore refusing;
  TestMessage message;

  test_establish (alice, bob, bob_party, TRUE);

  /* Bob reinstalled: his new bundle is refused until the user decides. */
  before = test_store_snapshot (alice_party, bob_party);
  test_party_bundle (new_bob, &bundle, TRUE);
  g_assert_cmpint (sp_session_cipher_process_bundle (alice, &bundle), ==, SP_ERR_IDENTITY_CHANGED);
  after = test_store_snapshot (alice_party, bob_party);
  test_assert_snapshot_equal (before, after);

  /* Someone else claiming to be Alice. */
  test_party_bundle (bob_party, &bundle, FALSE);
  g_assert_cmpint (sp_session_cipher_process_bundle (fake, &bundle), ==, SP_OK);
  message = test_encrypt (fake, "it is me");
  g_assert_cmpint (test_decrypt (bob, &message, NULL), ==, SP_ERR_IDENTITY_CHANGED);
  test_message_clear (&message);

  /* A trust callback that says no to a first contact: untrusted. */
  refusing = alice_party->store;
  refusing.is_trusted_identity = refuse_trust;
  {
    TestParty *dave = test_party_new ("dave", 1);

    g_assert_cmpint (sp_session_cipher_new (&suspicious, &refusing, &alice_party->address,
                                            &dave->address), ==, SP_OK);
    test_party_bundle (dave, &bundle, TRUE);
    g_assert_cmpint (sp_session_cipher_process_bundle (suspicious, &bundle), ==, SP_ERR_UNTRUSTED_IDENTITY);
    sp_session_cipher_free (suspicious);
    test_party_free (dave);
  }

  /* Established sessions are checked on every message too. */
  g_assert_cmpint (sp_session_cipher_new (&suspicious, &refusing, &alice_party->address,
                                          &bob_party->address), ==, SP_OK);
  g_assert_cmpint (encrypt_one_byte (suspicious), ==, SP_ERR_UNTRUSTED_IDENTITY);
  sp_session_cipher_free (suspicious);

  sp_session_cipher_free (alice);
  sp_session_cipher_free (bob);
  sp_session_cipher_free (fake);
  test_party_free (alice_party);
  test_party_free (bob_party);
  test_party_free (new_bob);
  test_party_free (fake_alice);
}

/* A store that trusts whatever identity a message comes with, as
 * Sotto's engine does (it applies the key-change rules itself, in the
 * transaction around the decryption), and never sends. */
static int
trust_receiving (void              *user_data,
                 const SpAddress   *address,
                 const SpPublicKey *key,
                 SpDirection        direction,
                 bool              *trusted)
{
  *trusted = direction == SP_DIRECTION_RECEIVING;
  return SP_OK;
}

static void
assert_saved_identity (TestParty         *party,
                       TestParty         *remote,
                       const SpPublicKey *expected)
{
  SpPublicKey saved;
  bool found = false;

  g_assert_cmpint (party->store.get_identity (party->store.user_data, &remote->address, &saved, &found),
                   ==, SP_OK);
  g_assert_true (found);
  g_assert_cmpmem (saved.bytes, SP_PUBLIC_KEY_SIZE, expected->bytes, SP_PUBLIC_KEY_SIZE);
}

/* Someone else's PreKeySignalMessage under Alice's name that does not
 * decrypt writes nothing, even to a store that trusts the new key: the
 * session and Alice's identity stay as they were.  Intact, the same
 * message decrypts, and only then is the new identity saved. */
static void
test_identity_changed_undecryptable (void)
{
  TestParty *alice_party = test_party_new ("alice", 1);
  TestParty *bob_party = test_party_new_with_identity ("bob", 1, NULL, TRUE);
  TestParty *fake_alice = test_party_new ("alice", 1);
  SpSessionCipher *alice = test_cipher_new (alice_party, bob_party);
  SpSessionCipher *bob = test_cipher_new (bob_party, alice_party);
  SpSessionCipher *fake = test_cipher_new (fake_alice, bob_party);
  SpSessionCipher *receiving = NULL;
  g_autoptr(GBytes) before = NULL;
  g_autoptr(GBytes) after = NULL;
  SpPreKeySignalMessage decoded;
  SpPreKeyBundle bundle;
  TestMessage message;
  SpStore trusting;
  size_t mac_end;

  test_establish (alice, bob, bob_party, TRUE);
  trusting = bob_party->store;
  trusting.is_trusted_identity = trust_receiving;
  g_assert_cmpint (sp_session_cipher_new (&receiving, &trusting, &bob_party->address, &alice_party->address),
                   ==, SP_OK);

  test_party_bundle (bob_party, &bundle, FALSE);
  g_assert_cmpint (sp_session_cipher_process_bundle (fake, &bundle), ==, SP_OK);
  message = test_encrypt (fake, "it is me");
  g_assert_cmpint (message.type, ==, SP_CIPHERTEXT_TYPE_PREKEY);
  g_assert_cmpint (sp_pre_key_signal_message_decode (&decoded, message.data, message.len), ==, SP_OK);
  mac_end = (size_t) (decoded.message - message.data) + decoded.message_len - 1;

  before = test_store_snapshot (bob_party, alice_party);
  message.data[mac_end] ^= 0x01;
  g_assert_cmpint (test_decrypt (receiving, &message, NULL), !=, SP_OK);
  after = test_store_snapshot (bob_party, alice_party);
  test_assert_snapshot_equal (before, after);
  assert_saved_identity (bob_party, alice_party, &alice_party->identity->public_key);

  message.data[mac_end] ^= 0x01;
  g_assert_cmpint (test_decrypt (receiving, &message, "it is me"), ==, SP_OK);
  assert_saved_identity (bob_party, alice_party, &fake_alice->identity->public_key);

  test_message_clear (&message);
  sp_session_cipher_free (alice);
  sp_session_cipher_free (bob);
  sp_session_cipher_free (fake);
  sp_session_cipher_free (receiving);
  test_party_free (alice_party);
  test_party_free (bob_party);
  test_party_free (fake_alice);
}

/* A PreKeySignalMessage naming a prekey we do not have. */
static void
test_missing_pre_keys (void)
{
  static const struct {
    uint32_t signed_id;
    uint32_t kyber_id;
    uint32_t pre_key_id;
  } cases[] = {
    { TEST_SIGNED_PRE_KEY_ID + 1, TEST_KYBER_PRE_KEY_ID, TEST_PRE_KEY_ID },
    { TEST_SIGNED_PRE_KEY_ID, TEST_KYBER_PRE_KEY_ID + 1, TEST_PRE_KEY_ID },
    { TEST_SIGNED_PRE_KEY_ID, TEST_KYBER_PRE_KEY_ID, TEST_PRE_KEY_ID + 1 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      TestParty *alice_party = test_party_new ("alice", 1);
      TestParty *bob_party = test_party_new ("bob", 1);
      SpSessionCipher *alice = test_cipher_new (alice_party, bob_party);
      SpSessionCipher *bob = test_cipher_new (bob_party, alice_party);
      SpPreKeyBundle bundle;
      TestMessage message;

      test_party_bundle (bob_party, &bundle, TRUE);
      bundle.signed_pre_key_id = cases[i].signed_id;
      bundle.kyber_pre_key_id = cases[i].kyber_id;
      bundle.pre_key_id = cases[i].pre_key_id;
      g_assert_cmpint (sp_session_cipher_process_bundle (alice, &bundle), ==, SP_OK);
      message = test_encrypt (alice, "x");
      g_assert_cmpint (test_decrypt (bob, &message, NULL), ==, SP_ERR_MISSING_PREKEY);
      g_assert_null (test_store_snapshot (bob_party, alice_party));

      test_message_clear (&message);
      sp_session_cipher_free (alice);
      sp_session_cipher_free (bob);
      test_party_free (alice_party);
      test_party_free (bob_party);
    }
}

/* A store that forgets sessions, so that a repeated PreKeySignalMessage
 * has to go through key agreement again. */
static int
forget_session (void            *user_data,
                const SpAddress *address,
                SpSessionRecord *record)
{
  return SP_ERR_NO_SESSION;
}

/* A last-resort Kyber prekey serves many initiators, but one base key
 * only once; a one-time Kyber prekey serves once. */
static void
test_kyber_last_resort (void)
{
  TestParty *bob_party = test_party_new_with_identity ("bob", 1, NULL, TRUE);
  TestParty *alice_party = test_party_new ("alice", 1);
  TestParty *carol_party = test_party_new ("carol", 1);
  SpSessionCipher *alice = test_cipher_new (alice_party, bob_party);
  SpSessionCipher *carol = test_cipher_new (carol_party, bob_party);
  SpSessionCipher *bob_alice = test_cipher_new (bob_party, alice_party);
  SpSessionCipher *bob_carol = test_cipher_new (bob_party, carol_party);
  SpSessionCipher *forgetful = NULL;
  SpStore forgetful_store = bob_party->store;
  SpPreKeyBundle bundle;
  TestMessage from_alice;
  TestMessage from_carol;

  test_party_bundle (bob_party, &bundle, FALSE);
  g_assert_cmpint (sp_session_cipher_process_bundle (alice, &bundle), ==, SP_OK);
  g_assert_cmpint (sp_session_cipher_process_bundle (carol, &bundle), ==, SP_OK);
  from_alice = test_encrypt (alice, "a");
  from_carol = test_encrypt (carol, "c");
  g_assert_cmpint (test_decrypt (bob_alice, &from_alice, "a"), ==, SP_OK);
  g_assert_cmpint (test_decrypt (bob_carol, &from_carol, "c"), ==, SP_OK);
  /* Repeated with the session there: reused, fine. */
  g_assert_cmpint (test_decrypt (bob_alice, &from_alice, NULL), ==, SP_ERR_DUPLICATE_MESSAGE);

  /* Repeated after the session is gone: the store refuses the base key. */
  forgetful_store.load_session = forget_session;
  g_assert_cmpint (sp_session_cipher_new (&forgetful, &forgetful_store, &bob_party->address,
                                          &alice_party->address), ==, SP_OK);
  g_assert_cmpint (test_decrypt (forgetful, &from_alice, NULL), ==, SP_ERR_DUPLICATE_MESSAGE);
  sp_session_cipher_free (forgetful);

  test_message_clear (&from_alice);
  test_message_clear (&from_carol);
  sp_session_cipher_free (alice);
  sp_session_cipher_free (carol);
  sp_session_cipher_free (bob_alice);
  sp_session_cipher_free (bob_carol);
  test_party_free (alice_party);
  test_party_free (carol_party);
  test_party_free (bob_party);
}

/* An unacknowledged session stops sending after 30 days. */
static void
test_pending_expiry (void)
{
  TestParty *alice_party = test_party_new ("alice", 1);
  TestParty *bob_party = test_party_new ("bob", 1);
  SpSessionCipher *alice = test_cipher_new (alice_party, bob_party);
  SpSessionOverrides overrides = { .now_ms = 1700000000000ULL };
  SpPreKeyBundle bundle;
  uint8_t out[4096];
  size_t out_len;
  int type;

  test_party_bundle (bob_party, &bundle, TRUE);
  g_assert_cmpint (sp_session_cipher_process_bundle_with (alice, &bundle, &overrides), ==, SP_OK);

  overrides.now_ms += SP_MAX_UNACKNOWLEDGED_AGE_MS;
  g_assert_cmpint (sp_session_cipher_encrypt_with (alice, (const uint8_t *) "x", 1, out, sizeof out,
                                                   &out_len, &type, &overrides), ==, SP_OK);
  overrides.now_ms++;
  g_assert_cmpint (sp_session_cipher_encrypt_with (alice, (const uint8_t *) "x", 1, out, sizeof out,
                                                   &out_len, &type, &overrides), ==, SP_ERR_SESSION_EXPIRED);

  sp_session_cipher_free (alice);
  test_party_free (alice_party);
  test_party_free (bob_party);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/protocol/session/kat/chain-keys", test_kat_chain_keys);
  g_test_add_func ("/protocol/session/kat/spqr-chain", test_kat_spqr_chain);
  g_test_add_func ("/protocol/session/kat/pqxdh-derivation", test_kat_pqxdh_derivation);
  g_test_add_func ("/protocol/session/kat/pqxdh-session", test_kat_pqxdh_session);
  g_test_add_func ("/protocol/session/spqr/receive-rules", test_spqr_receive_rules);
  g_test_add_func ("/protocol/session/spqr/window", test_spqr_window);
  g_test_add_func ("/protocol/session/conversation/with-pre-key", test_conversation_with_pre_key);
  g_test_add_func ("/protocol/session/conversation/without-pre-key", test_conversation_without_pre_key);
  g_test_add_func ("/protocol/session/bundle-init", test_bundle_init);
  g_test_add_func ("/protocol/session/addresses", test_addresses);
  g_test_add_func ("/protocol/session/bundle-signatures", test_bundle_signatures);
  g_test_add_func ("/protocol/session/identity-changed", test_identity_changed);
  g_test_add_func ("/protocol/session/identity-changed/undecryptable", test_identity_changed_undecryptable);
  g_test_add_func ("/protocol/session/missing-pre-keys", test_missing_pre_keys);
  g_test_add_func ("/protocol/session/kyber-last-resort", test_kyber_last_resort);
  g_test_add_func ("/protocol/session/pending-expiry", test_pending_expiry);

  return g_test_run ();
}
