/* test-protocol-state.c: the session core's store callbacks on SottoStore
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "sp-error.h"
#include "sp-message.h"
#include "sp-prekeys.h"
#include "sp-session.h"
#include "sp-store.h"

#include "engine-test-util.h"
#include "protocol-test-util.h"
#include "sotto-messenger-private.h"

#define REMOTE_UUID "9b2f7e0c-3c1d-4e5f-8a7b-6c5d4e3f2a1b"

typedef struct
{
  GFile *profile;
  SottoStore *store;
  SottoAccount *account;
  SottoProtocolState *protocol;
  SpStore sp;
} Fixture;

static void
attach (Fixture *fixture)
{
  fixture->store = engine_test_open_store (fixture->profile, "protocol store");
  fixture->protocol = _sotto_protocol_state_new (fixture->store, fixture->account);
  _sotto_protocol_state_get_interface (fixture->protocol, &fixture->sp);
}

static void
detach (Fixture *fixture)
{
  g_clear_pointer (&fixture->protocol, _sotto_protocol_state_unref);
  engine_test_close_store (g_steal_pointer (&fixture->store));
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(SottoStore) store = NULL;

  fixture->profile = engine_test_make_profile ();
  store = engine_test_open_store (fixture->profile, "protocol store");
  fixture->account = engine_test_make_account (store);
  engine_test_close_store (g_steal_pointer (&store));

  attach (fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  detach (fixture);
  g_clear_object (&fixture->account);
  engine_test_remove_profile (fixture->profile);
}

/* The callbacks run inside the transaction of the messenger's job; the
 * tests give them one each. */
static void
begin (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (_sotto_store_begin (fixture->store, &error));
  g_assert_no_error (error);
}

static void
commit (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (_sotto_store_commit (fixture->store, &error));
  g_assert_no_error (error);
}

static void
test_protocol_state_identity (Fixture       *fixture,
                               gconstpointer  user_data)
{
  SpAddress address = { REMOTE_UUID, 1 };
  SpAddress other_device = { REMOTE_UUID, 2 };
  SpKeyPair *pair = sodium_malloc (sizeof *pair);
  SpKeyPair *remote = sodium_malloc (sizeof *remote);
  SpKeyPair *changed = sodium_malloc (sizeof *changed);
  SpPublicKey loaded;
  uint32_t registration_id = 0;
  bool found = true;
  bool trusted = false;

  g_assert_cmpint (fixture->sp.get_identity_key_pair (fixture->sp.user_data, pair), ==, SP_OK);
  g_assert_cmpmem (pair, sizeof *pair, sotto_account_get_identity_key_pair (fixture->account), sizeof *pair);
  g_assert_cmpint (fixture->sp.get_local_registration_id (fixture->sp.user_data, &registration_id), ==, SP_OK);
  g_assert_cmpuint (registration_id, ==, sotto_account_get_registration_id (fixture->account));

  g_assert_cmpint (sp_key_pair_generate (remote), ==, SP_OK);
  g_assert_cmpint (sp_key_pair_generate (changed), ==, SP_OK);

  begin (fixture);
  g_assert_cmpint (fixture->sp.get_identity (fixture->sp.user_data, &address, &loaded, &found), ==, SP_OK);
  g_assert_false (found);

  /* An unknown device is trusted on first use, both ways. */
  g_assert_cmpint (fixture->sp.is_trusted_identity (fixture->sp.user_data, &address, &remote->public_key,
                                                    SP_DIRECTION_SENDING, &trusted), ==, SP_OK);
  g_assert_true (trusted);

  g_assert_cmpint (fixture->sp.save_identity (fixture->sp.user_data, &address, &remote->public_key), ==, SP_OK);
  commit (fixture);

  /* The key survives a restart. */
  detach (fixture);
  attach (fixture);

  g_assert_cmpint (fixture->sp.get_identity (fixture->sp.user_data, &address, &loaded, &found), ==, SP_OK);
  g_assert_true (found);
  g_assert_cmpmem (loaded.bytes, SP_PUBLIC_KEY_SIZE, remote->public_key.bytes, SP_PUBLIC_KEY_SIZE);
  g_assert_cmpint (fixture->sp.get_identity (fixture->sp.user_data, &other_device, &loaded, &found), ==, SP_OK);
  g_assert_false (found);

  /* A changed key is never blocked when receiving, and not trusted for
   * sending until the messenger stores it. */
  g_assert_cmpint (fixture->sp.is_trusted_identity (fixture->sp.user_data, &address, &remote->public_key,
                                                    SP_DIRECTION_SENDING, &trusted), ==, SP_OK);
  g_assert_true (trusted);
  g_assert_cmpint (fixture->sp.is_trusted_identity (fixture->sp.user_data, &address, &changed->public_key,
                                                    SP_DIRECTION_SENDING, &trusted), ==, SP_OK);
  g_assert_false (trusted);
  g_assert_cmpint (fixture->sp.is_trusted_identity (fixture->sp.user_data, &address, &changed->public_key,
                                                    SP_DIRECTION_RECEIVING, &trusted), ==, SP_OK);
  g_assert_true (trusted);

  g_assert_false (engine_test_profile_contains (fixture->profile, REMOTE_UUID, strlen (REMOTE_UUID)));
  g_assert_false (engine_test_profile_contains (fixture->profile, remote->public_key.bytes, SP_PUBLIC_KEY_SIZE));

  sodium_free (pair);
  sodium_free (remote);
  sodium_free (changed);
}

static void
test_protocol_state_pre_keys (Fixture       *fixture,
                               gconstpointer  user_data)
{
  const SpKeyPair *identity = sotto_account_get_identity_key_pair (fixture->account);
  g_autoptr(SottoKeyBatch) batch = g_new0 (SottoKeyBatch, 1);
  g_autoptr(GError) error = NULL;
  SottoKeyState state = { 4, 3, 8, 1000, 1000 };
  SottoKeyState loaded_state;
  SpPreKey *pre_key = sodium_malloc (sizeof *pre_key);
  SpSignedPreKey *signed_pre_key = sodium_malloc (sizeof *signed_pre_key);
  SpKyberPreKey *kyber = sodium_malloc (sizeof *kyber);
  SpKeyPair *base = sodium_malloc (sizeof *base);

  batch->pre_keys = g_ptr_array_new_with_free_func (sodium_free);
  batch->kyber_pre_keys = g_ptr_array_new_with_free_func (sodium_free);
  batch->signed_pre_key = sodium_malloc (sizeof (SpSignedPreKey));
  batch->last_resort = sodium_malloc (sizeof (SpKyberPreKey));
  g_assert_cmpint (sp_signed_pre_key_generate (batch->signed_pre_key, &identity->private_key, 7, 1000), ==, SP_OK);
  g_assert_cmpint (sp_kyber_pre_key_generate (batch->last_resort, &identity->private_key, 1, 1000), ==, SP_OK);

  for (guint id = 1; id <= 3; id++)
    {
      SpPreKey *key = sodium_malloc (sizeof *key);

      g_assert_cmpint (sp_pre_key_generate (key, id, 1000), ==, SP_OK);
      g_ptr_array_add (batch->pre_keys, key);
    }

  for (guint id = 2; id <= 3; id++)
    {
      SpKyberPreKey *key = sodium_malloc (sizeof *key);

      g_assert_cmpint (sp_kyber_pre_key_generate (key, &identity->private_key, id, 1000), ==, SP_OK);
      g_ptr_array_add (batch->kyber_pre_keys, key);
    }

  begin (fixture);
  g_assert_true (_sotto_protocol_state_save_keys (fixture->store, batch, &state, &error));
  g_assert_no_error (error);
  commit (fixture);

  detach (fixture);

  /* No private prekey is on disk in the clear. */
  g_assert_false (engine_test_profile_contains (fixture->profile, batch->signed_pre_key->key_pair.private_key.bytes,
                                                SP_PRIVATE_KEY_SIZE));
  g_assert_false (engine_test_profile_contains (fixture->profile, batch->last_resort->secret_key, 64));
  for (guint i = 0; i < batch->pre_keys->len; i++)
    {
      SpPreKey *key = g_ptr_array_index (batch->pre_keys, i);

      g_assert_false (engine_test_profile_contains (fixture->profile, key->key_pair.private_key.bytes,
                                                    SP_PRIVATE_KEY_SIZE));
    }

  attach (fixture);

  g_assert_true (_sotto_protocol_state_load_key_state (fixture->store, &loaded_state, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (loaded_state.next_pre_key_id, ==, state.next_pre_key_id);
  g_assert_cmpuint (loaded_state.next_kyber_pre_key_id, ==, state.next_kyber_pre_key_id);
  g_assert_cmpuint (loaded_state.next_signed_pre_key_id, ==, state.next_signed_pre_key_id);
  g_assert_cmpint (loaded_state.signed_pre_key_rotated_at, ==, state.signed_pre_key_rotated_at);
  g_assert_cmpint (loaded_state.last_resort_rotated_at, ==, state.last_resort_rotated_at);

  begin (fixture);

  g_assert_cmpint (fixture->sp.load_pre_key (fixture->sp.user_data, 2, pre_key), ==, SP_OK);
  test_assert_pre_key_equal (pre_key, g_ptr_array_index (batch->pre_keys, 1));
  g_assert_cmpint (fixture->sp.load_signed_pre_key (fixture->sp.user_data, 7, signed_pre_key), ==, SP_OK);
  test_assert_signed_pre_key_equal (signed_pre_key, batch->signed_pre_key);
  g_assert_cmpint (fixture->sp.load_kyber_pre_key (fixture->sp.user_data, 1, kyber), ==, SP_OK);
  test_assert_kyber_pre_key_equal (kyber, batch->last_resort);

  g_assert_cmpint (fixture->sp.load_pre_key (fixture->sp.user_data, 9, pre_key), ==, SP_ERR_MISSING_PREKEY);
  g_assert_cmpint (fixture->sp.load_signed_pre_key (fixture->sp.user_data, 9, signed_pre_key), ==, SP_ERR_MISSING_PREKEY);
  g_assert_cmpint (fixture->sp.load_kyber_pre_key (fixture->sp.user_data, 9, kyber), ==, SP_ERR_MISSING_PREKEY);

  /* A one-time prekey is gone once used. */
  g_assert_cmpint (fixture->sp.remove_pre_key (fixture->sp.user_data, 2), ==, SP_OK);
  g_assert_cmpint (fixture->sp.load_pre_key (fixture->sp.user_data, 2, pre_key), ==, SP_ERR_MISSING_PREKEY);
  g_assert_cmpint (fixture->sp.load_pre_key (fixture->sp.user_data, 3, pre_key), ==, SP_OK);

  /* So is a one-time Kyber prekey; the last-resort one stays, but takes
   * each base key only once. */
  g_assert_cmpint (sp_key_pair_generate (base), ==, SP_OK);
  g_assert_cmpint (fixture->sp.mark_kyber_pre_key_used (fixture->sp.user_data, 2, 7, &base->public_key), ==, SP_OK);
  g_assert_cmpint (fixture->sp.load_kyber_pre_key (fixture->sp.user_data, 2, kyber), ==, SP_ERR_MISSING_PREKEY);

  g_assert_cmpint (fixture->sp.mark_kyber_pre_key_used (fixture->sp.user_data, 1, 7, &base->public_key), ==, SP_OK);
  g_assert_cmpint (fixture->sp.mark_kyber_pre_key_used (fixture->sp.user_data, 1, 7, &base->public_key),
                   ==, SP_ERR_DUPLICATE_MESSAGE);
  g_assert_cmpint (fixture->sp.load_kyber_pre_key (fixture->sp.user_data, 1, kyber), ==, SP_OK);
  g_assert_cmpint (sp_key_pair_generate (base), ==, SP_OK);
  g_assert_cmpint (fixture->sp.mark_kyber_pre_key_used (fixture->sp.user_data, 1, 7, &base->public_key), ==, SP_OK);

  commit (fixture);

  sodium_free (pre_key);
  sodium_free (signed_pre_key);
  sodium_free (kyber);
  sodium_free (base);
}

/* The other side: a device with its own keys in the core's memory
 * store, and the bundle the relay would hand out for it. */
typedef struct
{
  SpKeyPair *identity;
  SpPreKey *pre_key;
  SpSignedPreKey *signed_pre_key;
  SpKyberPreKey *kyber_pre_key;
  SpMemoryStore *store;
  SpStore sp;
} Peer;

static void
peer_init (Peer           *peer,
           SpPreKeyBundle *bundle)
{
  peer->identity = sodium_malloc (sizeof *peer->identity);
  peer->pre_key = sodium_malloc (sizeof *peer->pre_key);
  peer->signed_pre_key = sodium_malloc (sizeof *peer->signed_pre_key);
  peer->kyber_pre_key = sodium_malloc (sizeof *peer->kyber_pre_key);

  g_assert_cmpint (sp_key_pair_generate (peer->identity), ==, SP_OK);
  g_assert_cmpint (sp_pre_key_generate (peer->pre_key, 11, 1000), ==, SP_OK);
  g_assert_cmpint (sp_signed_pre_key_generate (peer->signed_pre_key, &peer->identity->private_key, 12, 1000), ==, SP_OK);
  g_assert_cmpint (sp_kyber_pre_key_generate (peer->kyber_pre_key, &peer->identity->private_key, 13, 1000), ==, SP_OK);

  g_assert_cmpint (sp_memory_store_new (&peer->store, peer->identity, 77), ==, SP_OK);
  g_assert_cmpint (sp_memory_store_add_pre_key (peer->store, peer->pre_key), ==, SP_OK);
  g_assert_cmpint (sp_memory_store_add_signed_pre_key (peer->store, peer->signed_pre_key), ==, SP_OK);
  g_assert_cmpint (sp_memory_store_add_kyber_pre_key (peer->store, peer->kyber_pre_key, false), ==, SP_OK);
  g_assert_cmpint (sp_memory_store_get_interface (peer->store, &peer->sp), ==, SP_OK);

  g_assert_cmpint (sp_pre_key_bundle_init (bundle, 77, 1, &peer->identity->public_key, peer->signed_pre_key,
                                           peer->kyber_pre_key, peer->pre_key), ==, SP_OK);
}

static void
peer_clear (Peer *peer)
{
  sp_memory_store_free (peer->store);
  sodium_free (peer->identity);
  sodium_free (peer->pre_key);
  sodium_free (peer->signed_pre_key);
  sodium_free (peer->kyber_pre_key);
}

static SpSessionCipher *
make_cipher (const SpStore   *store,
             const SpAddress *local,
             const SpAddress *remote)
{
  SpSessionCipher *cipher = NULL;

  g_assert_cmpint (sp_session_cipher_new (&cipher, store, local, remote), ==, SP_OK);

  return cipher;
}

static GBytes *
encrypt (SpSessionCipher *cipher,
         const char      *text,
         int             *type)
{
  gsize size = SP_SESSION_CIPHERTEXT_MAX_SIZE (strlen (text));
  guint8 *out = g_malloc (size);
  gsize len = 0;

  g_assert_cmpint (sp_session_cipher_encrypt (cipher, (const guint8 *) text, strlen (text),
                                              out, size, &len, type), ==, SP_OK);

  return g_bytes_new_take (out, len);
}

static void
assert_decrypts (SpSessionCipher *cipher,
                 int              type,
                 GBytes          *ciphertext,
                 const char      *expected)
{
  gsize len = g_bytes_get_size (ciphertext);
  g_autofree guint8 *out = g_malloc (len);
  gsize out_len = 0;

  g_assert_cmpint (sp_session_cipher_decrypt (cipher, type, g_bytes_get_data (ciphertext, NULL), len,
                                              out, len, &out_len), ==, SP_OK);
  g_assert_cmpmem (out, out_len, expected, strlen (expected));
}

/* A session set up and used through the store, across a restart: the
 * record that comes back from the database carries on the conversation. */
static void
test_protocol_state_sessions (Fixture       *fixture,
                               gconstpointer  user_data)
{
  SpAddress local = { sotto_account_get_uuid (fixture->account), 1 };
  SpAddress remote = { REMOTE_UUID, 1 };
  SpAddress other_device = { REMOTE_UUID, 2 };
  SpSessionRecord *record = NULL;
  SpSessionCipher *cipher;
  SpSessionCipher *peer_cipher;
  SpPreKeyBundle bundle;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GBytes) second = NULL;
  bool has_session = false;
  int first_type;
  int reply_type;
  int second_type;
  Peer peer;

  peer_init (&peer, &bundle);
  g_assert_cmpint (sp_session_record_new (&record), ==, SP_OK);

  begin (fixture);
  g_assert_cmpint (fixture->sp.load_session (fixture->sp.user_data, &remote, record), ==, SP_ERR_NO_SESSION);

  cipher = make_cipher (&fixture->sp, &local, &remote);
  g_assert_cmpint (sp_session_cipher_process_bundle (cipher, &bundle), ==, SP_OK);
  first = encrypt (cipher, "first, before the restart", &first_type);
  g_assert_cmpint (first_type, ==, SP_CIPHERTEXT_TYPE_PREKEY);
  sp_session_cipher_free (cipher);
  commit (fixture);

  detach (fixture);
  attach (fixture);

  g_assert_cmpint (fixture->sp.load_session (fixture->sp.user_data, &remote, record), ==, SP_OK);
  g_assert_cmpint (sp_session_record_has_session (record, &has_session), ==, SP_OK);
  g_assert_true (has_session);
  g_assert_cmpint (fixture->sp.load_session (fixture->sp.user_data, &other_device, record), ==, SP_ERR_NO_SESSION);

  /* The peer answers; this side reads the answer and writes again with
   * the session as the database gave it back. */
  peer_cipher = make_cipher (&peer.sp, &remote, &local);
  assert_decrypts (peer_cipher, first_type, first, "first, before the restart");
  reply = encrypt (peer_cipher, "reply", &reply_type);
  g_assert_cmpint (reply_type, ==, SP_CIPHERTEXT_TYPE_WHISPER);

  begin (fixture);
  cipher = make_cipher (&fixture->sp, &local, &remote);
  assert_decrypts (cipher, reply_type, reply, "reply");
  second = encrypt (cipher, "second, after the restart", &second_type);
  g_assert_cmpint (second_type, ==, SP_CIPHERTEXT_TYPE_WHISPER);
  sp_session_cipher_free (cipher);
  commit (fixture);

  assert_decrypts (peer_cipher, second_type, second, "second, after the restart");

  sp_session_cipher_free (peer_cipher);
  sp_session_record_free (record);
  peer_clear (&peer);
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

#define ADD(path, func) \
  g_test_add ("/engine/protocol-state/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("identity", test_protocol_state_identity);
  ADD ("pre-keys", test_protocol_state_pre_keys);
  ADD ("sessions", test_protocol_state_sessions);

#undef ADD

  return g_test_run ();
}
