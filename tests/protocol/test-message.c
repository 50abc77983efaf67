/* test-message.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib.h>
#include <json-glib/json-glib.h>
#include <sodium.h>
#include <string.h>

#include "kat-test-util.h"
#include "protocol-test-util.h"
#include "sp-error.h"
#include "sp-init.h"
#include "sp-kdf.h"
#include "sp-message.h"
#include "sp-protobuf.h"

/* The public key of a scalar made of one repeated byte.  X25519 is done
 * here with libsodium directly, clamping first as libsignal stores
 * private keys, so that this test depends on the codec alone. */
static SpPublicKey
public_from_scalar (uint8_t fill)
{
  uint8_t scalar[32];
  SpPublicKey key;

  memset (scalar, fill, sizeof scalar);
  scalar[0] &= 0xf8;
  scalar[31] &= 0x7f;
  scalar[31] |= 0x40;
  key.bytes[0] = SP_KEY_TYPE_DJB;
  g_assert_cmpint (crypto_scalarmult_base (key.bytes + 1, scalar), ==, 0);
  sodium_memzero (scalar, sizeof scalar);
  return key;
}

static SpPublicKey
public_from_hex (const char *hex)
{
  SpPublicKey key;

  test_unhex (key.bytes, SP_PUBLIC_KEY_SIZE, hex);
  return key;
}

/* Spec section 12: the SignalMessage MAC and encoding vector. */
#define SPEC_SIGNAL_MESSAGE \
  "440a210531d4ab6aceec961137917037936e60716fac573afe94d9da84a80204" \
  "48dfc112102a18292220eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" \
  "eeeeeeeeeeeeeeeeeeee2a04010105000c545fa7f19a0213"

static void
test_signal_message_spec_kat (void)
{
  static const uint8_t pq_ratchet[] = { 0x01, 0x01, 0x05, 0x00 };
  g_autoptr(GBytes) expected = test_bytes_from_hex (SPEC_SIGNAL_MESSAGE);
  SpPublicKey sender = public_from_scalar (0x09);
  SpPublicKey receiver = public_from_scalar (0x0a);
  uint8_t mac_key[32], ciphertext[32], out[256];
  SpSignalMessage message = { 0 };
  SpSignalMessage decoded;
  size_t len = 0;

  memset (mac_key, 0x07, sizeof mac_key);
  memset (ciphertext, 0xee, sizeof ciphertext);
  message.version = SP_MESSAGE_VERSION;
  message.ratchet_key = public_from_scalar (0x08);
  message.counter = 42;
  message.previous_counter = 41;
  message.ciphertext = ciphertext;
  message.ciphertext_len = sizeof ciphertext;
  message.pq_ratchet = pq_ratchet;
  message.pq_ratchet_len = sizeof pq_ratchet;

  g_assert_cmpint (sp_signal_message_encode (out, sizeof out, &len, &message, mac_key, &sender, &receiver), ==, SP_OK);
  g_assert_cmpmem (out, len, test_data_of (expected), g_bytes_get_size (expected));

  g_assert_cmpint (sp_signal_message_decode (&decoded, out, len), ==, SP_OK);
  g_assert_cmpuint (decoded.version, ==, 4);
  g_assert_cmpmem (decoded.ratchet_key.bytes, SP_PUBLIC_KEY_SIZE, message.ratchet_key.bytes, SP_PUBLIC_KEY_SIZE);
  g_assert_cmpuint (decoded.counter, ==, 42);
  g_assert_cmpuint (decoded.previous_counter, ==, 41);
  g_assert_cmpmem (decoded.ciphertext, decoded.ciphertext_len, ciphertext, sizeof ciphertext);
  g_assert_cmpmem (decoded.pq_ratchet, decoded.pq_ratchet_len, pq_ratchet, sizeof pq_ratchet);
  g_assert_null (decoded.addresses);
  g_assert_cmpuint (decoded.serialized_len, ==, len - 8);
  g_assert_true (decoded.mac == out + len - 8);

  g_assert_cmpint (sp_signal_message_verify_mac (&decoded, out, mac_key, &sender, &receiver), ==, SP_OK);
  /* The identities are ordered: sender first. */
  g_assert_cmpint (sp_signal_message_verify_mac (&decoded, out, mac_key, &receiver, &sender), ==, SP_ERR_BAD_MAC);
  mac_key[31] ^= 1;
  g_assert_cmpint (sp_signal_message_verify_mac (&decoded, out, mac_key, &sender, &receiver), ==, SP_ERR_BAD_MAC);
  mac_key[31] ^= 1;
  /* Every byte of the MAC counts. */
  for (size_t i = 0; i < SP_SIGNAL_MESSAGE_MAC_SIZE; i++)
    {
      out[len - 8 + i] ^= 0x40;
      g_assert_cmpint (sp_signal_message_verify_mac (&decoded, out, mac_key, &sender, &receiver), ==, SP_ERR_BAD_MAC);
      out[len - 8 + i] ^= 0x40;
    }
  /* So does every byte it covers. */
  for (size_t i = 0; i < decoded.serialized_len; i++)
    {
      out[i] ^= 0x01;
      g_assert_cmpint (sp_signal_message_verify_mac (&decoded, out, mac_key, &sender, &receiver), ==, SP_ERR_BAD_MAC);
      out[i] ^= 0x01;
    }
}

/* Counter and previous counter are written even when zero; an empty
 * pq_ratchet is left out. */
static void
test_signal_message_zero_fields (void)
{
  static const uint8_t mac_key[32] = { 0 };
  SpPublicKey key = public_from_scalar (0x01);
  SpSignalMessage message = { 0 };
  uint8_t out[128];
  size_t len = 0;

  message.version = SP_MESSAGE_VERSION;
  message.ratchet_key = key;
  g_assert_cmpint (sp_signal_message_encode (out, sizeof out, &len, &message, mac_key, &key, &key), ==, SP_OK);
  g_assert_cmpuint (len, ==, 1 + 35 + 2 + 2 + 2 + 8);
  g_assert_cmpuint (out[0], ==, 0x44);
  g_assert_cmpmem (out + 36, 6, "\x10\x00\x18\x00\x22\x00", 6);

  message.pq_ratchet = (const uint8_t *) "";
  g_assert_cmpint (sp_signal_message_encode (out, sizeof out, &len, &message, mac_key, &key, &key), ==, SP_OK);
  g_assert_cmpuint (len, ==, 1 + 35 + 2 + 2 + 2 + 8);
}

static void
test_signal_message_encode_errors (void)
{
  static const uint8_t mac_key[32] = { 0 };
  static const uint8_t addresses[SP_MESSAGE_ADDRESSES_SIZE + 1] = { 0 };
  SpPublicKey key = public_from_scalar (0x02);
  SpSignalMessage message = { 0 };
  uint8_t out[128];
  size_t len = 1234, need;

  message.version = SP_MESSAGE_VERSION;
  message.ratchet_key = key;
  message.ciphertext = (const uint8_t *) "0123456789abcdef";
  message.ciphertext_len = 16;
  message.addresses = addresses;
  message.addresses_len = SP_MESSAGE_ADDRESSES_SIZE;
  g_assert_cmpint (sp_signal_message_encode (out, sizeof out, &need, &message, mac_key, &key, &key), ==, SP_OK);

  memset (out, 0xcc, sizeof out);
  g_assert_cmpint (sp_signal_message_encode (out, need - 1, &len, &message, mac_key, &key, &key),
                   ==, SP_ERR_BUFFER_TOO_SMALL);
  for (size_t i = 0; i < sizeof out; i++)
    g_assert_cmpuint (out[i], ==, 0xcc);
  g_assert_cmpuint (len, ==, 1234);

  message.addresses_len = SP_MESSAGE_ADDRESSES_SIZE + 1;
  g_assert_cmpint (sp_signal_message_encode (out, sizeof out, &len, &message, mac_key, &key, &key),
                   ==, SP_ERR_INVALID_ARGUMENT);
  message.addresses_len = SP_MESSAGE_ADDRESSES_SIZE;

  message.version = 3;
  g_assert_cmpint (sp_signal_message_encode (out, sizeof out, &len, &message, mac_key, &key, &key),
                   ==, SP_ERR_INVALID_ARGUMENT);
  message.version = SP_MESSAGE_VERSION;

  message.ciphertext = NULL;
  g_assert_cmpint (sp_signal_message_encode (out, sizeof out, &len, &message, mac_key, &key, &key),
                   ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_signal_message_encode (out, sizeof out, &len, NULL, mac_key, &key, &key),
                   ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpuint (len, ==, 1234);
}

/* The known-answer session file, loaded once per test. */
typedef struct {
  JsonParser *parser;
  JsonObject *root;
  JsonObject *inputs;
  JsonObject *derived;
  JsonObject *reply;
} Session;

static void
session_load (Session *session)
{
  session->parser = json_parser_new ();
  session->root = test_kat_load (session->parser, "pqxdh_session.json");
  session->inputs = json_object_get_object_member (session->root, "inputs");
  session->derived = json_object_get_object_member (session->root, "derived");
  session->reply = json_object_get_object_member (session->root, "bobReply");
  g_assert_nonnull (session->inputs);
  g_assert_nonnull (session->derived);
  g_assert_nonnull (session->reply);
}

static void
session_clear (Session *session)
{
  g_clear_object (&session->parser);
}

/* Decodes @bytes, checks its MAC and encodes the result again: the
 * output must be the input, byte for byte. */
static void
check_signal_round_trip (GBytes            *bytes,
                         const uint8_t     *mac_key,
                         const SpPublicKey *sender,
                         const SpPublicKey *receiver,
                         SpSignalMessage   *decoded)
{
  size_t len = g_bytes_get_size (bytes);
  g_autofree uint8_t *out = g_malloc (len);
  size_t out_len = 0;

  g_assert_cmpint (sp_signal_message_decode (decoded, test_data_of (bytes), len), ==, SP_OK);
  g_assert_cmpint (sp_signal_message_verify_mac (decoded, test_data_of (bytes), mac_key, sender, receiver), ==, SP_OK);
  /* Exactly the original length is enough. */
  g_assert_cmpint (sp_signal_message_encode (out, len, &out_len, decoded, mac_key, sender, receiver), ==, SP_OK);
  g_assert_cmpmem (out, out_len, test_data_of (bytes), len);
}

static void
test_session_signal_message (void)
{
  Session session = { 0 };
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) mac_key = NULL;
  g_autoptr(GBytes) addresses = NULL;
  SpPublicKey alice, bob, ratchet;
  SpSignalMessage decoded;

  session_load (&session);
  bytes = test_bytes_from_hex (test_kat_string (session.root, "signalMessage"));
  mac_key = test_bytes_from_hex (test_kat_string (session.derived, "macKey"));
  alice = public_from_hex (test_kat_string (session.inputs, "aliceIdentityPub33"));
  bob = public_from_hex (test_kat_string (session.inputs, "bobIdentityPub33"));
  ratchet = public_from_hex (test_kat_string (session.derived, "aliceRatchetPub33"));

  /* The identities in the file are those of the scalars next to them. */
  {
    SpPublicKey computed = public_from_scalar (0x11);
    g_assert_cmpmem (computed.bytes, SP_PUBLIC_KEY_SIZE, alice.bytes, SP_PUBLIC_KEY_SIZE);
    computed = public_from_scalar (0x22);
    g_assert_cmpmem (computed.bytes, SP_PUBLIC_KEY_SIZE, bob.bytes, SP_PUBLIC_KEY_SIZE);
  }

  check_signal_round_trip (bytes, test_data_of (mac_key), &alice, &bob, &decoded);
  g_assert_cmpuint (decoded.version, ==, 4);
  g_assert_cmpmem (decoded.ratchet_key.bytes, SP_PUBLIC_KEY_SIZE, ratchet.bytes, SP_PUBLIC_KEY_SIZE);
  g_assert_cmpuint (decoded.counter, ==, 0);
  g_assert_cmpuint (decoded.previous_counter, ==, 0);
  /* "Hello, Bob! (KAT)" is 17 bytes, so two AES blocks. */
  g_assert_cmpuint (decoded.ciphertext_len, ==, 32);
  g_assert_cmpmem (decoded.pq_ratchet, decoded.pq_ratchet_len, "\x01\x01\x01\x00", 4);

  /* Field 6: ACI kind byte, Alice's UUID, device 1, then Bob's, device 2. */
  addresses = test_bytes_from_hex ("009d0652a3dcc34d11975f74d61598733f01"
                                   "00e3d0a3a11f5f4a8e8a32c3a3b8e7e4a102");
  g_assert_cmpmem (decoded.addresses, decoded.addresses_len, test_data_of (addresses), SP_MESSAGE_ADDRESSES_SIZE);

  session_clear (&session);
}

/* Bob's reply: its MAC key is derived here from the chain key and SPQR
 * key in the file (spec 5.2), which ties the codec to the KDF. */
static void
test_session_reply (void)
{
  static const uint8_t one = 0x01;
  static const char info[] = "WhisperMessageKeys";
  Session session = { 0 };
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) chain_key = NULL;
  g_autoptr(GBytes) spqr_key = NULL;
  uint8_t seed[32], keys[80];
  SpPublicKey alice, bob, ratchet;
  SpSignalMessage decoded;

  session_load (&session);
  bytes = test_bytes_from_hex (test_kat_string (session.reply, "signalMessage"));
  chain_key = test_bytes_from_hex (test_kat_string (session.reply, "sendChainKey"));
  spqr_key = test_bytes_from_hex (test_kat_string (session.reply, "spqrB2AIndex1Key"));
  alice = public_from_hex (test_kat_string (session.inputs, "aliceIdentityPub33"));
  bob = public_from_hex (test_kat_string (session.inputs, "bobIdentityPub33"));
  ratchet = public_from_hex (test_kat_string (session.reply, "bobRatchetPub33"));

  g_assert_cmpint (sp_hmac_sha256 (seed, test_data_of (chain_key), 32, &one, 1), ==, SP_OK);
  g_assert_cmpint (sp_hkdf_sha256 (keys, sizeof keys, test_data_of (spqr_key), 32, seed, sizeof seed,
                                   (const uint8_t *) info, strlen (info)), ==, SP_OK);

  check_signal_round_trip (bytes, keys + 32, &bob, &alice, &decoded);
  g_assert_cmpmem (decoded.ratchet_key.bytes, SP_PUBLIC_KEY_SIZE, ratchet.bytes, SP_PUBLIC_KEY_SIZE);
  g_assert_null (decoded.addresses);
  g_assert_cmpint (sp_signal_message_verify_mac (&decoded, test_data_of (bytes), keys + 32, &alice, &bob),
                   ==, SP_ERR_BAD_MAC);

  session_clear (&session);
}

static void
test_session_pre_key_signal_message (void)
{
  Session session = { 0 };
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) inner = NULL;
  g_autoptr(GBytes) kyber_ciphertext = NULL;
  g_autofree uint8_t *out = NULL;
  SpPublicKey alice, base;
  SpPreKeySignalMessage decoded;
  size_t len, out_len = 0;

  session_load (&session);
  bytes = test_bytes_from_hex (test_kat_string (session.root, "preKeySignalMessage"));
  inner = test_bytes_from_hex (test_kat_string (session.root, "signalMessage"));
  kyber_ciphertext = test_bytes_from_hex (test_kat_string (session.derived, "kyberCiphertext1569"));
  alice = public_from_hex (test_kat_string (session.inputs, "aliceIdentityPub33"));
  base = public_from_hex (test_kat_string (session.inputs, "aliceBaseKeyPub33"));
  len = g_bytes_get_size (bytes);
  g_assert_cmpuint (len, ==, 1780);

  g_assert_cmpint (sp_pre_key_signal_message_decode (&decoded, test_data_of (bytes), len), ==, SP_OK);
  g_assert_cmpuint (decoded.version, ==, 4);
  g_assert_true (decoded.has_pre_key_id);
  g_assert_cmpuint (decoded.pre_key_id, ==, 1);
  g_assert_cmpmem (decoded.base_key.bytes, SP_PUBLIC_KEY_SIZE, base.bytes, SP_PUBLIC_KEY_SIZE);
  g_assert_cmpmem (decoded.identity_key.bytes, SP_PUBLIC_KEY_SIZE, alice.bytes, SP_PUBLIC_KEY_SIZE);
  g_assert_cmpmem (decoded.message, decoded.message_len, test_data_of (inner), g_bytes_get_size (inner));
  g_assert_cmpuint (decoded.registration_id, ==, 1234);
  g_assert_cmpuint (decoded.signed_pre_key_id, ==, 2);
  g_assert_true (decoded.has_kyber_pre_key_id);
  g_assert_cmpuint (decoded.kyber_pre_key_id, ==, 3);
  g_assert_cmpmem (decoded.kyber_ciphertext, decoded.kyber_ciphertext_len,
                   test_data_of (kyber_ciphertext), g_bytes_get_size (kyber_ciphertext));

  out = g_malloc (len);
  g_assert_cmpint (sp_pre_key_signal_message_encode (out, len - 1, &out_len, &decoded), ==, SP_ERR_BUFFER_TOO_SMALL);
  g_assert_cmpint (sp_pre_key_signal_message_encode (out, len, &out_len, &decoded), ==, SP_OK);
  g_assert_cmpmem (out, out_len, test_data_of (bytes), len);

  session_clear (&session);
}

static void
test_pre_key_encode_errors (void)
{
  Session session = { 0 };
  g_autoptr(GBytes) bytes = NULL;
  SpPreKeySignalMessage decoded, broken;
  uint8_t out[2048];
  size_t out_len = 1234;

  session_load (&session);
  bytes = test_bytes_from_hex (test_kat_string (session.root, "preKeySignalMessage"));
  g_assert_cmpint (sp_pre_key_signal_message_decode (&decoded, test_data_of (bytes), g_bytes_get_size (bytes)), ==, SP_OK);

  broken = decoded;
  broken.has_kyber_pre_key_id = false;
  g_assert_cmpint (sp_pre_key_signal_message_encode (out, sizeof out, &out_len, &broken), ==, SP_ERR_INVALID_ARGUMENT);
  broken = decoded;
  broken.kyber_ciphertext = NULL;
  g_assert_cmpint (sp_pre_key_signal_message_encode (out, sizeof out, &out_len, &broken), ==, SP_ERR_INVALID_ARGUMENT);
  broken = decoded;
  broken.kyber_ciphertext_len--;
  g_assert_cmpint (sp_pre_key_signal_message_encode (out, sizeof out, &out_len, &broken), ==, SP_ERR_INVALID_ARGUMENT);
  broken = decoded;
  broken.kyber_ciphertext++;
  g_assert_cmpint (sp_pre_key_signal_message_encode (out, sizeof out, &out_len, &broken), ==, SP_ERR_INVALID_ARGUMENT);
  broken = decoded;
  broken.message = NULL;
  g_assert_cmpint (sp_pre_key_signal_message_encode (out, sizeof out, &out_len, &broken), ==, SP_ERR_INVALID_ARGUMENT);
  broken = decoded;
  broken.version = 3;
  g_assert_cmpint (sp_pre_key_signal_message_encode (out, sizeof out, &out_len, &broken), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpuint (out_len, ==, 1234);

  /* Without the optional one-time prekey and without Kyber: fields 1, 7
   * and 8 disappear and the rest keeps its order. */
  broken = decoded;
  broken.has_pre_key_id = false;
  broken.has_kyber_pre_key_id = false;
  broken.kyber_ciphertext = NULL;
  broken.kyber_ciphertext_len = 0;
  g_assert_cmpint (sp_pre_key_signal_message_encode (out, sizeof out, &out_len, &broken), ==, SP_OK);
  g_assert_cmpuint (out_len, ==, g_bytes_get_size (bytes) - 2 - 2 - 3 - SP_KYBER_CIPHERTEXT_SIZE);
  g_assert_cmpmem (out + 1, out_len - 1, test_data_of (bytes) + 3, out_len - 1);
  g_assert_cmpint (sp_pre_key_signal_message_decode (&broken, out, out_len), ==, SP_OK);
  g_assert_false (broken.has_pre_key_id);
  g_assert_false (broken.has_kyber_pre_key_id);
  g_assert_null (broken.kyber_ciphertext);

  session_clear (&session);
}

/* A SignalMessage assembled field by field, for the malformed cases. */
typedef struct {
  uint8_t data[512];
  SpPbWriter writer;
} Builder;

static void
builder_init (Builder *builder,
              uint8_t  version_byte)
{
  builder->data[0] = version_byte;
  sp_pb_writer_init (&builder->writer, builder->data + 1, sizeof builder->data - 1 - 8);
}

/* Appends eight MAC bytes and returns the total length. */
static size_t
builder_finish_signal (Builder *builder)
{
  size_t len = 0;

  g_assert_cmpint (sp_pb_writer_finish (&builder->writer, &len), ==, SP_OK);
  memset (builder->data + 1 + len, 0x3c, 8);
  return 1 + len + 8;
}

/* Finishes @builder's SignalMessage and decodes it into @decoded. */
static int
builder_decode_signal (Builder         *builder,
                       SpSignalMessage *decoded)
{
  size_t len = builder_finish_signal (builder);

  return sp_signal_message_decode (decoded, builder->data, len);
}

static size_t
builder_finish_pre_key (Builder *builder)
{
  size_t len = 0;

  g_assert_cmpint (sp_pb_writer_finish (&builder->writer, &len), ==, SP_OK);
  return 1 + len;
}

typedef enum {
  OMIT_NONE = 0,
  OMIT_RATCHET_KEY = 1 << 0,
  OMIT_COUNTER = 1 << 1,
  OMIT_PREVIOUS = 1 << 2,
  OMIT_CIPHERTEXT = 1 << 3,
} Omit;

/* A plausible SignalMessage, fields written in descending order. */
static size_t
build_signal (Builder       *builder,
              uint8_t        version_byte,
              Omit           omit,
              const uint8_t *key,
              size_t         key_len)
{
  SpPublicKey good = public_from_scalar (0x05);

  if (key == NULL)
    {
      key = good.bytes;
      key_len = SP_PUBLIC_KEY_SIZE;
    }
  builder_init (builder, version_byte);
  if (!(omit & OMIT_CIPHERTEXT))
    sp_pb_write_bytes (&builder->writer, 4, (const uint8_t *) "0123456789abcdef", 16);
  if (!(omit & OMIT_PREVIOUS))
    sp_pb_write_varint (&builder->writer, 3, 6);
  if (!(omit & OMIT_COUNTER))
    sp_pb_write_varint (&builder->writer, 2, 7);
  if (!(omit & OMIT_RATCHET_KEY))
    sp_pb_write_bytes (&builder->writer, 1, key, key_len);
  return builder_finish_signal (builder);
}

static void
test_signal_message_any_order (void)
{
  static const uint8_t mac_key[32] = { 0 };
  SpPublicKey key = public_from_scalar (0x05);
  SpSignalMessage decoded;
  Builder builder;
  uint8_t out[128];
  size_t len, out_len = 0;

  len = build_signal (&builder, 0x44, OMIT_NONE, NULL, 0);
  g_assert_cmpint (sp_signal_message_decode (&decoded, builder.data, len), ==, SP_OK);
  g_assert_cmpmem (decoded.ratchet_key.bytes, SP_PUBLIC_KEY_SIZE, key.bytes, SP_PUBLIC_KEY_SIZE);
  g_assert_cmpuint (decoded.counter, ==, 7);
  g_assert_cmpuint (decoded.previous_counter, ==, 6);
  g_assert_cmpmem (decoded.ciphertext, decoded.ciphertext_len, "0123456789abcdef", 16);
  g_assert_null (decoded.pq_ratchet);

  /* Re-encoding puts the fields in ascending order: same length, and the
   * ratchet key now comes first. */
  g_assert_cmpint (sp_signal_message_encode (out, sizeof out, &out_len, &decoded, mac_key, &key, &key), ==, SP_OK);
  g_assert_cmpuint (out_len, ==, len);
  g_assert_cmpmem (out, 3, "\x44\x0a\x21", 3);

  /* previous_counter is optional. */
  len = build_signal (&builder, 0x44, OMIT_PREVIOUS, NULL, 0);
  g_assert_cmpint (sp_signal_message_decode (&decoded, builder.data, len), ==, SP_OK);
  g_assert_cmpuint (decoded.previous_counter, ==, 0);

  /* Trailing bytes after a key are tolerated, as libsignal does. */
  {
    uint8_t long_key[40];

    memcpy (long_key, key.bytes, SP_PUBLIC_KEY_SIZE);
    memset (long_key + SP_PUBLIC_KEY_SIZE, 0x99, sizeof long_key - SP_PUBLIC_KEY_SIZE);
    len = build_signal (&builder, 0x44, OMIT_NONE, long_key, sizeof long_key);
    g_assert_cmpint (sp_signal_message_decode (&decoded, builder.data, len), ==, SP_OK);
    g_assert_cmpmem (decoded.ratchet_key.bytes, SP_PUBLIC_KEY_SIZE, key.bytes, SP_PUBLIC_KEY_SIZE);
  }

  /* Unknown fields of any wire type are skipped. */
  builder_init (&builder, 0x44);
  sp_pb_write_varint (&builder.writer, 99, 1);
  sp_pb_write_bytes (&builder.writer, 1, key.bytes, SP_PUBLIC_KEY_SIZE);
  sp_pb_write_fixed64 (&builder.writer, 7, 1);
  sp_pb_write_varint (&builder.writer, 2, 1);
  sp_pb_write_bytes (&builder.writer, 1000, key.bytes, 3);
  sp_pb_write_bytes (&builder.writer, 4, key.bytes, 0);
  g_assert_cmpint (builder_decode_signal (&builder, &decoded), ==, SP_OK);
  g_assert_cmpuint (decoded.counter, ==, 1);
  g_assert_cmpuint (decoded.ciphertext_len, ==, 0);
}

static void
test_signal_message_versions (void)
{
  static const struct {
    uint8_t byte;
    int result;
    uint8_t version;
  } cases[] = {
    { 0x44, SP_OK, 4 },
    { 0x43, SP_OK, 4 },
    { 0x4f, SP_OK, 4 },
    { 0x40, SP_OK, 4 },
    { 0x33, SP_OK, 3 },
    { 0x34, SP_OK, 3 },
    { 0x22, SP_ERR_INVALID_MESSAGE, 0 },
    { 0x04, SP_ERR_INVALID_MESSAGE, 0 },
    { 0x54, SP_ERR_INVALID_MESSAGE, 0 },
    { 0xf4, SP_ERR_INVALID_MESSAGE, 0 },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SpSignalMessage decoded = { 0 };
      Builder builder;
      size_t len = build_signal (&builder, cases[i].byte, OMIT_NONE, NULL, 0);

      g_test_message ("version byte %02x", cases[i].byte);
      g_assert_cmpint (sp_signal_message_decode (&decoded, builder.data, len), ==, cases[i].result);
      g_assert_cmpuint (decoded.version, ==, cases[i].version);
    }
}

static void
test_signal_message_malformed (void)
{
  static const uint8_t mac[8] = { 0 };
  SpPublicKey key = public_from_scalar (0x05);
  SpSignalMessage decoded;
  uint8_t bad_key[SP_PUBLIC_KEY_SIZE];
  Builder builder;
  size_t len;

  /* Fewer than nine bytes. */
  g_assert_cmpint (sp_signal_message_decode (&decoded, (const uint8_t *) "\x44", 1), ==, SP_ERR_MALFORMED);
  g_assert_cmpint (sp_signal_message_decode (&decoded, (const uint8_t *) "\x44" "1234567", 8), ==, SP_ERR_MALFORMED);
  g_assert_cmpint (sp_signal_message_decode (&decoded, NULL, 0), ==, SP_ERR_MALFORMED);
  /* Nine bytes: a version, an empty protobuf and a MAC, missing fields. */
  {
    uint8_t nine[9] = { 0x44 };

    memcpy (nine + 1, mac, 8);
    g_assert_cmpint (sp_signal_message_decode (&decoded, nine, sizeof nine), ==, SP_ERR_MALFORMED);
  }

  len = build_signal (&builder, 0x44, OMIT_RATCHET_KEY, NULL, 0);
  g_assert_cmpint (sp_signal_message_decode (&decoded, builder.data, len), ==, SP_ERR_MALFORMED);
  len = build_signal (&builder, 0x44, OMIT_COUNTER, NULL, 0);
  g_assert_cmpint (sp_signal_message_decode (&decoded, builder.data, len), ==, SP_ERR_MALFORMED);
  len = build_signal (&builder, 0x44, OMIT_CIPHERTEXT, NULL, 0);
  g_assert_cmpint (sp_signal_message_decode (&decoded, builder.data, len), ==, SP_ERR_MALFORMED);

  /* Keys that are not public keys. */
  len = build_signal (&builder, 0x44, OMIT_NONE, key.bytes + 1, 32);
  g_assert_cmpint (sp_signal_message_decode (&decoded, builder.data, len), ==, SP_ERR_INVALID_KEY);
  memcpy (bad_key, key.bytes, sizeof bad_key);
  bad_key[0] = 0x06;
  len = build_signal (&builder, 0x44, OMIT_NONE, bad_key, sizeof bad_key);
  g_assert_cmpint (sp_signal_message_decode (&decoded, builder.data, len), ==, SP_ERR_INVALID_KEY);
  len = build_signal (&builder, 0x44, OMIT_NONE, key.bytes, 0);
  g_assert_cmpint (sp_signal_message_decode (&decoded, builder.data, len), ==, SP_ERR_INVALID_KEY);

  /* A counter that does not fit 32 bits. */
  builder_init (&builder, 0x44);
  sp_pb_write_bytes (&builder.writer, 1, key.bytes, SP_PUBLIC_KEY_SIZE);
  sp_pb_write_varint (&builder.writer, 2, (uint64_t) UINT32_MAX + 1);
  sp_pb_write_bytes (&builder.writer, 4, key.bytes, 1);
  g_assert_cmpint (builder_decode_signal (&builder, &decoded), ==, SP_ERR_MALFORMED);

  /* The largest counter is fine. */
  builder_init (&builder, 0x44);
  sp_pb_write_bytes (&builder.writer, 1, key.bytes, SP_PUBLIC_KEY_SIZE);
  sp_pb_write_varint (&builder.writer, 2, UINT32_MAX);
  sp_pb_write_bytes (&builder.writer, 4, key.bytes, 1);
  g_assert_cmpint (builder_decode_signal (&builder, &decoded), ==, SP_OK);
  g_assert_cmpuint (decoded.counter, ==, UINT32_MAX);

  /* A counter sent as bytes. */
  builder_init (&builder, 0x44);
  sp_pb_write_bytes (&builder.writer, 1, key.bytes, SP_PUBLIC_KEY_SIZE);
  sp_pb_write_bytes (&builder.writer, 2, key.bytes, 1);
  sp_pb_write_bytes (&builder.writer, 4, key.bytes, 1);
  g_assert_cmpint (builder_decode_signal (&builder, &decoded), ==, SP_ERR_MALFORMED);

  /* A ratchet key sent as a varint. */
  builder_init (&builder, 0x44);
  sp_pb_write_varint (&builder.writer, 1, 5);
  sp_pb_write_varint (&builder.writer, 2, 1);
  sp_pb_write_bytes (&builder.writer, 4, key.bytes, 1);
  g_assert_cmpint (builder_decode_signal (&builder, &decoded), ==, SP_ERR_MALFORMED);

  /* A repeated field. */
  builder_init (&builder, 0x44);
  sp_pb_write_bytes (&builder.writer, 1, key.bytes, SP_PUBLIC_KEY_SIZE);
  sp_pb_write_varint (&builder.writer, 2, 1);
  sp_pb_write_varint (&builder.writer, 2, 2);
  sp_pb_write_bytes (&builder.writer, 4, key.bytes, 1);
  g_assert_cmpint (builder_decode_signal (&builder, &decoded), ==, SP_ERR_MALFORMED);

  /* Addresses of the wrong size. */
  builder_init (&builder, 0x44);
  sp_pb_write_bytes (&builder.writer, 1, key.bytes, SP_PUBLIC_KEY_SIZE);
  sp_pb_write_varint (&builder.writer, 2, 1);
  sp_pb_write_bytes (&builder.writer, 4, key.bytes, 1);
  sp_pb_write_bytes (&builder.writer, 6, key.bytes, 33);
  g_assert_cmpint (builder_decode_signal (&builder, &decoded), ==, SP_ERR_MALFORMED);

  /* A group wire type inside. */
  len = build_signal (&builder, 0x44, OMIT_NONE, NULL, 0);
  builder.data[1] = 0x0b;
  g_assert_cmpint (sp_signal_message_decode (&decoded, builder.data, len), ==, SP_ERR_MALFORMED);
}

/* Truncated messages fail unless the cut falls just before an optional
 * trailing field, and nothing is read past the end (each copy is exactly
 * as long as the truncation, for ASan). */
static void
test_truncations (void)
{
  Session session = { 0 };
  g_autoptr(GBytes) signal = NULL;
  g_autoptr(GBytes) pre_key = NULL;
  size_t signal_len, pre_key_len;

  session_load (&session);
  signal = test_bytes_from_hex (test_kat_string (session.root, "signalMessage"));
  pre_key = test_bytes_from_hex (test_kat_string (session.root, "preKeySignalMessage"));
  signal_len = g_bytes_get_size (signal);
  pre_key_len = g_bytes_get_size (pre_key);

  /* The SignalMessage ends with pq_ratchet (6 bytes with tag and length)
   * and addresses (38): cutting off exactly those leaves a valid, shorter
   * message; every other length fails. */
  for (size_t len = 0; len < signal_len; len++)
    {
      g_autofree uint8_t *copy = g_memdup2 (test_data_of (signal), len);
      SpSignalMessage decoded;
      int ret = sp_signal_message_decode (&decoded, copy, len);

      if (len == signal_len - 38 || len == signal_len - 38 - 6)
        g_assert_cmpint (ret, ==, SP_OK);
      else
        g_assert_cmpint (ret, !=, SP_OK);
    }

  /* The PreKeySignalMessage ends with the Kyber prekey id (2 bytes) and
   * ciphertext (3 + 1569): only cutting off both leaves a valid message. */
  for (size_t len = 0; len < pre_key_len; len++)
    {
      g_autofree uint8_t *copy = g_memdup2 (test_data_of (pre_key), len);
      SpPreKeySignalMessage decoded;
      int ret = sp_pre_key_signal_message_decode (&decoded, copy, len);

      if (len == pre_key_len - 3 - SP_KYBER_CIPHERTEXT_SIZE - 2)
        g_assert_cmpint (ret, ==, SP_OK);
      else
        g_assert_cmpint (ret, !=, SP_OK);
    }

  session_clear (&session);
}

/* Builds a PreKeySignalMessage around the KAT parts, leaving out or
 * replacing what a case wants. */
typedef struct {
  uint8_t version_byte;
  gboolean omit_base_key;
  gboolean omit_identity_key;
  gboolean omit_message;
  gboolean omit_signed_pre_key_id;
  gboolean omit_kyber_id;
  gboolean omit_kyber_ciphertext;
  gboolean omit_pre_key_id;
  gboolean bad_identity_key;
  gboolean truncate_inner;
  size_t kyber_len;
  uint8_t kyber_type;
} PreKeyCase;

static int
decode_pre_key_case (const PreKeyCase    *c,
                     SpPreKeySignalMessage *decoded)
{
  uint8_t kyber[SP_KYBER_CIPHERTEXT_SIZE + 1];
  g_autofree uint8_t *data = g_malloc (4096);
  SpPublicKey identity = public_from_scalar (0x11);
  SpPublicKey base = public_from_scalar (0x66);
  uint8_t inner[128];
  size_t inner_len = 0, len = 0;
  SpPbWriter writer;

  /* A minimal valid inner message. */
  {
    Builder builder;
    size_t n = build_signal (&builder, 0x44, OMIT_NONE, NULL, 0);

    memcpy (inner, builder.data, n);
    inner_len = c->truncate_inner ? n - 9 : n;
  }

  if (c->bad_identity_key)
    identity.bytes[0] = 0x00;
  memset (kyber, 0x5a, sizeof kyber);
  kyber[0] = c->kyber_type;

  data[0] = c->version_byte;
  sp_pb_writer_init (&writer, data + 1, 4095);
  /* Descending order, to show the order does not matter. */
  if (!c->omit_kyber_ciphertext)
    sp_pb_write_bytes (&writer, 8, kyber, c->kyber_len);
  if (!c->omit_kyber_id)
    sp_pb_write_varint (&writer, 7, 3);
  if (!c->omit_signed_pre_key_id)
    sp_pb_write_varint (&writer, 6, 2);
  sp_pb_write_varint (&writer, 5, 1234);
  if (!c->omit_message)
    sp_pb_write_bytes (&writer, 4, inner, inner_len);
  if (!c->omit_identity_key)
    sp_pb_write_bytes (&writer, 3, identity.bytes, SP_PUBLIC_KEY_SIZE);
  if (!c->omit_base_key)
    sp_pb_write_bytes (&writer, 2, base.bytes, SP_PUBLIC_KEY_SIZE);
  if (!c->omit_pre_key_id)
    sp_pb_write_varint (&writer, 1, 1);
  g_assert_cmpint (sp_pb_writer_finish (&writer, &len), ==, SP_OK);

  return sp_pre_key_signal_message_decode (decoded, data, 1 + len);
}

static void
test_pre_key_malformed (void)
{
  const PreKeyCase good = {
    .version_byte = 0x44,
    .kyber_len = SP_KYBER_CIPHERTEXT_SIZE,
    .kyber_type = 0x08,
  };
  SpPreKeySignalMessage decoded;
  PreKeyCase c;

  g_assert_cmpint (decode_pre_key_case (&good, &decoded), ==, SP_OK);
  g_assert_cmpuint (decoded.kyber_pre_key_id, ==, 3);
  g_assert_cmpuint (decoded.registration_id, ==, 1234);

  /* Optional parts. */
  c = good, c.omit_pre_key_id = TRUE;
  g_assert_cmpint (decode_pre_key_case (&c, &decoded), ==, SP_OK);
  g_assert_false (decoded.has_pre_key_id);
  c = good, c.omit_kyber_id = TRUE, c.omit_kyber_ciphertext = TRUE;
  g_assert_cmpint (decode_pre_key_case (&c, &decoded), ==, SP_OK);
  g_assert_false (decoded.has_kyber_pre_key_id);
  g_assert_null (decoded.kyber_ciphertext);
  c = good, c.version_byte = 0x33, c.omit_kyber_id = TRUE, c.omit_kyber_ciphertext = TRUE;
  g_assert_cmpint (decode_pre_key_case (&c, &decoded), ==, SP_OK);
  g_assert_cmpuint (decoded.version, ==, 3);

  /* Versions. */
  c = good, c.version_byte = 0x24;
  g_assert_cmpint (decode_pre_key_case (&c, &decoded), ==, SP_ERR_INVALID_MESSAGE);
  c = good, c.version_byte = 0x55;
  g_assert_cmpint (decode_pre_key_case (&c, &decoded), ==, SP_ERR_INVALID_MESSAGE);
  g_assert_cmpint (sp_pre_key_signal_message_decode (&decoded, NULL, 0), ==, SP_ERR_MALFORMED);

  /* Required fields. */
  c = good, c.omit_base_key = TRUE;
  g_assert_cmpint (decode_pre_key_case (&c, &decoded), ==, SP_ERR_MALFORMED);
  c = good, c.omit_identity_key = TRUE;
  g_assert_cmpint (decode_pre_key_case (&c, &decoded), ==, SP_ERR_MALFORMED);
  c = good, c.omit_message = TRUE;
  g_assert_cmpint (decode_pre_key_case (&c, &decoded), ==, SP_ERR_MALFORMED);
  c = good, c.omit_signed_pre_key_id = TRUE;
  g_assert_cmpint (decode_pre_key_case (&c, &decoded), ==, SP_ERR_MALFORMED);

  /* Kyber: both or neither, and exactly 0x08 || 1568 bytes. */
  c = good, c.omit_kyber_id = TRUE;
  g_assert_cmpint (decode_pre_key_case (&c, &decoded), ==, SP_ERR_MALFORMED);
  c = good, c.omit_kyber_ciphertext = TRUE;
  g_assert_cmpint (decode_pre_key_case (&c, &decoded), ==, SP_ERR_MALFORMED);
  c = good, c.kyber_len = SP_KYBER_CIPHERTEXT_SIZE - 1;
  g_assert_cmpint (decode_pre_key_case (&c, &decoded), ==, SP_ERR_MALFORMED);
  c = good, c.kyber_len = SP_KYBER_CIPHERTEXT_SIZE + 1;
  g_assert_cmpint (decode_pre_key_case (&c, &decoded), ==, SP_ERR_MALFORMED);
  c = good, c.kyber_len = 0;
  g_assert_cmpint (decode_pre_key_case (&c, &decoded), ==, SP_ERR_MALFORMED);
  c = good, c.kyber_type = 0x07;
  g_assert_cmpint (decode_pre_key_case (&c, &decoded), ==, SP_ERR_MALFORMED);

  /* Keys and the embedded message. */
  c = good, c.bad_identity_key = TRUE;
  g_assert_cmpint (decode_pre_key_case (&c, &decoded), ==, SP_ERR_INVALID_KEY);
  c = good, c.truncate_inner = TRUE;
  g_assert_cmpint (decode_pre_key_case (&c, &decoded), ==, SP_ERR_MALFORMED);
}

/* A failed decode leaves the output as it was. */
static void
test_failure_leaves_output (void)
{
  SpSignalMessage signal;
  SpPreKeySignalMessage pre_key;
  Builder builder;
  size_t len;

  memset (&signal, 0xa5, sizeof signal);
  len = build_signal (&builder, 0x44, OMIT_COUNTER, NULL, 0);
  g_assert_cmpint (sp_signal_message_decode (&signal, builder.data, len), ==, SP_ERR_MALFORMED);
  for (size_t i = 0; i < sizeof signal; i++)
    g_assert_cmpuint (((const uint8_t *) &signal)[i], ==, 0xa5);

  memset (&pre_key, 0xa5, sizeof pre_key);
  builder_init (&builder, 0x44);
  sp_pb_write_varint (&builder.writer, 1, 1);
  len = builder_finish_pre_key (&builder);
  g_assert_cmpint (sp_pre_key_signal_message_decode (&pre_key, builder.data, len), ==, SP_ERR_MALFORMED);
  for (size_t i = 0; i < sizeof pre_key; i++)
    g_assert_cmpuint (((const uint8_t *) &pre_key)[i], ==, 0xa5);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/protocol/message/signal-spec-kat", test_signal_message_spec_kat);
  g_test_add_func ("/protocol/message/signal-zero-fields", test_signal_message_zero_fields);
  g_test_add_func ("/protocol/message/signal-encode-errors", test_signal_message_encode_errors);
  g_test_add_func ("/protocol/message/session-signal", test_session_signal_message);
  g_test_add_func ("/protocol/message/session-reply", test_session_reply);
  g_test_add_func ("/protocol/message/session-pre-key", test_session_pre_key_signal_message);
  g_test_add_func ("/protocol/message/pre-key-encode-errors", test_pre_key_encode_errors);
  g_test_add_func ("/protocol/message/signal-any-order", test_signal_message_any_order);
  g_test_add_func ("/protocol/message/signal-versions", test_signal_message_versions);
  g_test_add_func ("/protocol/message/signal-malformed", test_signal_message_malformed);
  g_test_add_func ("/protocol/message/truncations", test_truncations);
  g_test_add_func ("/protocol/message/pre-key-malformed", test_pre_key_malformed);
  g_test_add_func ("/protocol/message/failure-leaves-output", test_failure_leaves_output);

  return g_test_run ();
}
