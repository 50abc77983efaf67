/* test-prekeys.c: prekey generation and libsignal's prekey records
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib.h>
#include <sodium.h>
#include <string.h>

#include "protocol-test-util.h"
#include "sp-error.h"
#include "sp-init.h"
#include "sp-prekeys.h"

#define COUNTING_PUBLIC "058f40c5adb68f25624ae5b214ea767a6ec94d829d3d7b5e1ad1ba6f3e2138285f"
#define COUNTING_PRIVATE "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e5f"

static void
counting_pair (SpKeyPair *pair)
{
  uint8_t scalar[32];

  for (size_t i = 0; i < sizeof scalar; i++)
    scalar[i] = (uint8_t) i;
  g_assert_cmpint (sp_key_pair_from_private (pair, scalar, sizeof scalar), ==, SP_OK);
}

typedef struct {
  SpKeyPair *identity;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->identity = sodium_malloc (sizeof *fixture->identity);
  g_assert_nonnull (fixture->identity);
  g_assert_cmpint (sp_key_pair_generate (fixture->identity), ==, SP_OK);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  sodium_free (fixture->identity);
}

/* PreKeyRecordStructure {1: id, 2: public, 3: private}, our timestamp in
 * field 15 as fixed64, all in ascending order. */
static void
test_pre_key_encoding (void)
{
  SpPreKey *key = sodium_malloc (sizeof *key);
  uint8_t out[SP_PRE_KEY_RECORD_MAX];
  size_t len = 0;

  memset (key, 0, sizeof *key);
  counting_pair (&key->key_pair);
  key->id = 300;
  key->timestamp = UINT64_C (0x0102030405060708);
  g_assert_cmpint (sp_pre_key_encode (key, out, sizeof out, &len), ==, SP_OK);
  test_assert_hex (out, len,
                   "08ac02" "1221" COUNTING_PUBLIC "1a20" COUNTING_PRIVATE "790807060504030201");

  /* proto3 leaves zero values out. */
  key->id = 0;
  key->timestamp = 0;
  g_assert_cmpint (sp_pre_key_encode (key, out, sizeof out, &len), ==, SP_OK);
  test_assert_hex (out, len, "1221" COUNTING_PUBLIC "1a20" COUNTING_PRIVATE);

  sodium_free (key);
}

static void
test_pre_key_round_trip (void)
{
  SpPreKey *key = sodium_malloc (sizeof *key);
  SpPreKey *decoded = sodium_malloc (sizeof *decoded);
  uint8_t out[SP_PRE_KEY_RECORD_MAX];
  size_t len = 0;

  g_assert_cmpint (sp_pre_key_generate (key, UINT32_MAX, UINT64_MAX), ==, SP_OK);
  g_assert_cmpuint (key->id, ==, UINT32_MAX);
  g_assert_cmpint (sp_pre_key_encode (key, out, sizeof out, &len), ==, SP_OK);
  g_assert_cmpuint (len, <=, SP_PRE_KEY_RECORD_MAX);
  memset (decoded, 0, sizeof *decoded);
  g_assert_cmpint (sp_pre_key_decode (decoded, out, len), ==, SP_OK);
  test_assert_pre_key_equal (decoded, key);

  sodium_free (key);
  sodium_free (decoded);
}

/* SignedPreKeyRecordStructure {1: id, 2: public, 3: private,
 * 4: signature, 5: timestamp (fixed64)}. */
static void
test_signed_pre_key (Fixture       *fixture,
                     gconstpointer  data)
{
  SpSignedPreKey *key = sodium_malloc (sizeof *key);
  SpSignedPreKey *decoded = sodium_malloc (sizeof *decoded);
  uint8_t out[SP_SIGNED_PRE_KEY_RECORD_MAX];
  size_t len = 0;

  g_assert_cmpint (sp_signed_pre_key_generate (key, &fixture->identity->private_key, 7,
                                               UINT64_C (1700000000000)), ==, SP_OK);
  g_assert_cmpuint (key->id, ==, 7);
  g_assert_cmpint (sp_xeddsa_verify (&fixture->identity->public_key, key->key_pair.public_key.bytes,
                                     SP_PUBLIC_KEY_SIZE, key->signature, SP_SIGNATURE_SIZE), ==, SP_OK);

  g_assert_cmpint (sp_signed_pre_key_encode (key, out, sizeof out, &len), ==, SP_OK);
  g_assert_cmpuint (len, ==, 2 + 35 + 34 + 66 + 9);
  g_assert_cmpmem (out, 3, "\x08\x07\x12", 3);
  g_assert_cmpmem (out + 2 + 35 + 34, 2, "\x22\x40", 2);
  g_assert_cmpmem (out + 2 + 35 + 34 + 66, 9, "\x29\x00\x68\xe5\xcf\x8b\x01\x00\x00", 9);

  g_assert_cmpint (sp_signed_pre_key_decode (decoded, out, len), ==, SP_OK);
  test_assert_signed_pre_key_equal (decoded, key);

  sodium_free (key);
  sodium_free (decoded);
}

static void
test_kyber_pre_key (Fixture       *fixture,
                    gconstpointer  data)
{
  SpKyberPreKey *key = sodium_malloc (sizeof *key);
  SpKyberPreKey *decoded = sodium_malloc (sizeof *decoded);
  uint8_t *out = g_malloc (SP_KYBER_PRE_KEY_RECORD_MAX);
  size_t len = 0;

  g_assert_cmpint (sp_kyber_pre_key_generate (key, &fixture->identity->private_key, 42,
                                              UINT64_C (1700000000000)), ==, SP_OK);
  g_assert_cmpuint (key->public_key[0], ==, SP_KEY_TYPE_KYBER1024);
  g_assert_cmpuint (key->secret_key[0], ==, SP_KEY_TYPE_KYBER1024);
  /* Signed over the serialised key, type byte included. */
  g_assert_cmpint (sp_xeddsa_verify (&fixture->identity->public_key, key->public_key,
                                     SP_KYBER_PUBLIC_KEY_SIZE, key->signature, SP_SIGNATURE_SIZE), ==, SP_OK);
  g_assert_cmpint (sp_xeddsa_verify (&fixture->identity->public_key, key->public_key + 1,
                                     SP_KYBER_PUBLIC_KEY_SIZE - 1, key->signature, SP_SIGNATURE_SIZE),
                   ==, SP_ERR_INVALID_SIGNATURE);

  g_assert_cmpint (sp_kyber_pre_key_encode (key, out, SP_KYBER_PRE_KEY_RECORD_MAX, &len), ==, SP_OK);
  g_assert_cmpuint (len, ==, 2 + 1572 + 3172 + 66 + 9);
  g_assert_cmpint (sp_kyber_pre_key_decode (decoded, out, len), ==, SP_OK);
  test_assert_kyber_pre_key_equal (decoded, key);

  sodium_memzero (out, SP_KYBER_PRE_KEY_RECORD_MAX);
  g_free (out);
  sodium_free (key);
  sodium_free (decoded);
}

/* Every truncation fails, except the one that cuts off exactly the
 * optional timestamp at the end. */
static void
check_truncations (int          (*decode) (void *, const uint8_t *, size_t),
                   void          *out,
                   const uint8_t *record,
                   size_t         len)
{
  for (size_t cut = 0; cut < len; cut++)
    g_assert_cmpint (decode (out, record, cut), ==, cut == len - 9 ? SP_OK : SP_ERR_MALFORMED);
}

static int
decode_pre_key (void *out, const uint8_t *data, size_t len)
{
  return sp_pre_key_decode (out, data, len);
}

static int
decode_signed_pre_key (void *out, const uint8_t *data, size_t len)
{
  return sp_signed_pre_key_decode (out, data, len);
}

static int
decode_kyber_pre_key (void *out, const uint8_t *data, size_t len)
{
  return sp_kyber_pre_key_decode (out, data, len);
}

static void
test_truncated (Fixture       *fixture,
                gconstpointer  data)
{
  SpPreKey *pre_key = sodium_malloc (sizeof *pre_key);
  SpSignedPreKey *signed_key = sodium_malloc (sizeof *signed_key);
  SpKyberPreKey *kyber_key = sodium_malloc (sizeof *kyber_key);
  uint8_t *out = g_malloc (SP_KYBER_PRE_KEY_RECORD_MAX);
  size_t len;

  g_assert_cmpint (sp_pre_key_generate (pre_key, 1, 2), ==, SP_OK);
  g_assert_cmpint (sp_pre_key_encode (pre_key, out, SP_PRE_KEY_RECORD_MAX, &len), ==, SP_OK);
  check_truncations (decode_pre_key, pre_key, out, len);

  g_assert_cmpint (sp_signed_pre_key_generate (signed_key, &fixture->identity->private_key, 1, 2), ==, SP_OK);
  g_assert_cmpint (sp_signed_pre_key_encode (signed_key, out, SP_SIGNED_PRE_KEY_RECORD_MAX, &len), ==, SP_OK);
  check_truncations (decode_signed_pre_key, signed_key, out, len);

  g_assert_cmpint (sp_kyber_pre_key_generate (kyber_key, &fixture->identity->private_key, 1, 2), ==, SP_OK);
  g_assert_cmpint (sp_kyber_pre_key_encode (kyber_key, out, SP_KYBER_PRE_KEY_RECORD_MAX, &len), ==, SP_OK);
  check_truncations (decode_kyber_pre_key, kyber_key, out, len);

  sodium_memzero (out, SP_KYBER_PRE_KEY_RECORD_MAX);
  g_free (out);
  sodium_free (pre_key);
  sodium_free (signed_key);
  sodium_free (kyber_key);
}

#define ZERO_16_HEX "00000000000000000000000000000000"
#define ZERO_15_HEX "000000000000000000000000000000"
#define SIGNATURE_HEX ZERO_16_HEX ZERO_16_HEX ZERO_16_HEX ZERO_16_HEX

static void
check_rejected (int          (*decode) (void *, const uint8_t *, size_t),
                void          *out,
                size_t         out_size,
                const char    *hex)
{
  size_t len = strlen (hex) / 2;
  g_autofree uint8_t *bytes = g_malloc (len + 1);
  g_autofree uint8_t *before = g_memdup2 (out, out_size);

  test_unhex (bytes, len, hex);
  g_assert_cmpint (decode (out, bytes, len), ==, SP_ERR_MALFORMED);
  g_assert_cmpmem (out, out_size, before, out_size);
}

static void
test_garbled_ec (void)
{
  const char *pre_key_cases[] = {
    /* the private key missing, or the public key */
    "1221" COUNTING_PUBLIC,
    "1a20" COUNTING_PRIVATE,
    /* a public key not matching the private key */
    "1221058f40c5adb68f25624ae5b214ea767a6ec94d829d3d7b5e1ad1ba6f3e2138285e1a20" COUNTING_PRIVATE,
    /* a public key of 34 bytes: libsignal would read it, our storage does not */
    "1222" COUNTING_PUBLIC "001a20" COUNTING_PRIVATE,
    /* a private key of 33 bytes */
    "1221" COUNTING_PUBLIC "1a21" COUNTING_PRIVATE "00",
    /* the public key without its type byte */
    "12208f40c5adb68f25624ae5b214ea767a6ec94d829d3d7b5e1ad1ba6f3e2138285f1a20" COUNTING_PRIVATE,
    /* a duplicated field */
    "0801" "0802" "1221" COUNTING_PUBLIC "1a20" COUNTING_PRIVATE,
    /* an id as fixed64 */
    "090100000000000000" "1221" COUNTING_PUBLIC "1a20" COUNTING_PRIVATE,
    /* an id above 32 bits */
    "088080808010" "1221" COUNTING_PUBLIC "1a20" COUNTING_PRIVATE,
    /* a timestamp as varint */
    "1221" COUNTING_PUBLIC "1a20" COUNTING_PRIVATE "7801",
    /* a signature, which a one-time prekey does not have */
    "1221" COUNTING_PUBLIC "1a20" COUNTING_PRIVATE "2240" SIGNATURE_HEX,
    /* an unknown field */
    "1221" COUNTING_PUBLIC "1a20" COUNTING_PRIVATE "3001",
    /* a zero tag */
    "1221" COUNTING_PUBLIC "1a20" COUNTING_PRIVATE "00",
  };
  const char *signed_cases[] = {
    /* no signature */
    "1221" COUNTING_PUBLIC "1a20" COUNTING_PRIVATE,
    /* a 63-byte signature */
    "1221" COUNTING_PUBLIC "1a20" COUNTING_PRIVATE "223f" ZERO_16_HEX ZERO_16_HEX ZERO_16_HEX ZERO_15_HEX,
    /* field 15 belongs to the one-time prekey only */
    "1221" COUNTING_PUBLIC "1a20" COUNTING_PRIVATE "2240" SIGNATURE_HEX "790100000000000000",
    /* a timestamp as varint */
    "1221" COUNTING_PUBLIC "1a20" COUNTING_PRIVATE "2240" SIGNATURE_HEX "2801",
  };
  SpPreKey *pre_key = sodium_malloc (sizeof *pre_key);
  SpSignedPreKey *signed_key = sodium_malloc (sizeof *signed_key);

  memset (pre_key, 0xaa, sizeof *pre_key);
  memset (signed_key, 0xaa, sizeof *signed_key);
  for (size_t i = 0; i < G_N_ELEMENTS (pre_key_cases); i++)
    check_rejected (decode_pre_key, pre_key, sizeof *pre_key, pre_key_cases[i]);
  for (size_t i = 0; i < G_N_ELEMENTS (signed_cases); i++)
    check_rejected (decode_signed_pre_key, signed_key, sizeof *signed_key, signed_cases[i]);

  sodium_free (pre_key);
  sodium_free (signed_key);
}

/* Fields in another order than libsignal writes them still decode, and
 * an explicit zero id is accepted like an absent one. */
static void
test_field_order (void)
{
  const char *hex = "2240" SIGNATURE_HEX "1a20" COUNTING_PRIVATE "290100000000000000"
                    "0800" "1221" COUNTING_PUBLIC;
  SpSignedPreKey *key = sodium_malloc (sizeof *key);
  size_t len = strlen (hex) / 2;
  g_autofree uint8_t *bytes = g_malloc (len);

  test_unhex (bytes, len, hex);
  g_assert_cmpint (sp_signed_pre_key_decode (key, bytes, len), ==, SP_OK);
  g_assert_cmpuint (key->id, ==, 0);
  g_assert_cmpuint (key->timestamp, ==, 1);
  test_assert_hex (key->key_pair.public_key.bytes, SP_PUBLIC_KEY_SIZE, COUNTING_PUBLIC);
  test_assert_hex (key->key_pair.private_key.bytes, SP_PRIVATE_KEY_SIZE, COUNTING_PRIVATE);
  sodium_free (key);
}

static void
test_garbled_kyber (Fixture       *fixture,
                    gconstpointer  data)
{
  SpKyberPreKey *key = sodium_malloc (sizeof *key);
  SpKyberPreKey *out = sodium_malloc (sizeof *out);
  SpKyberPreKey *before = sodium_malloc (sizeof *before);
  uint8_t *record = g_malloc (SP_KYBER_PRE_KEY_RECORD_MAX);
  /* Offsets in the record: id (2 bytes), then the public key's tag and
   * 2-byte length, then the secret key's. */
  size_t public_at = 2 + 3, secret_at = public_at + SP_KYBER_PUBLIC_KEY_SIZE + 3;
  size_t len;

  g_assert_cmpint (sp_kyber_pre_key_generate (key, &fixture->identity->private_key, 1, 2), ==, SP_OK);
  g_assert_cmpint (sp_kyber_pre_key_encode (key, record, SP_KYBER_PRE_KEY_RECORD_MAX, &len), ==, SP_OK);
  g_assert_cmpuint (record[public_at - 3], ==, 0x12);
  g_assert_cmpuint (record[secret_at - 3], ==, 0x1a);
  memset (out, 0xaa, sizeof *out);
  memcpy (before, out, sizeof *out);

  /* Wrong type bytes, and a public key differing from the one inside the
   * secret key. */
  record[public_at] = 0x0a;
  g_assert_cmpint (sp_kyber_pre_key_decode (out, record, len), ==, SP_ERR_MALFORMED);
  record[public_at] = SP_KEY_TYPE_KYBER1024;
  record[secret_at] = 0x07;
  g_assert_cmpint (sp_kyber_pre_key_decode (out, record, len), ==, SP_ERR_MALFORMED);
  record[secret_at] = SP_KEY_TYPE_KYBER1024;
  record[public_at + 100] ^= 0x01;
  g_assert_cmpint (sp_kyber_pre_key_decode (out, record, len), ==, SP_ERR_MALFORMED);
  record[public_at + 100] ^= 0x01;
  g_assert_cmpmem (out, sizeof *out, before, sizeof *before);

  g_assert_cmpint (sp_kyber_pre_key_decode (out, record, len), ==, SP_OK);
  test_assert_kyber_pre_key_equal (out, key);

  sodium_memzero (record, SP_KYBER_PRE_KEY_RECORD_MAX);
  g_free (record);
  sodium_free (key);
  sodium_free (out);
  sodium_free (before);
}

static void
test_short_buffer (Fixture       *fixture,
                   gconstpointer  data)
{
  SpSignedPreKey *key = sodium_malloc (sizeof *key);
  uint8_t out[SP_SIGNED_PRE_KEY_RECORD_MAX];
  size_t len = 0, short_len = 12345;

  g_assert_cmpint (sp_signed_pre_key_generate (key, &fixture->identity->private_key, 1, 2), ==, SP_OK);
  g_assert_cmpint (sp_signed_pre_key_encode (key, out, sizeof out, &len), ==, SP_OK);
  memset (out, 0x55, sizeof out);
  g_assert_cmpint (sp_signed_pre_key_encode (key, out, len - 1, &short_len), ==, SP_ERR_BUFFER_TOO_SMALL);
  g_assert_cmpuint (short_len, ==, 12345);
  for (size_t i = 0; i < sizeof out; i++)
    g_assert_cmpuint (out[i], ==, 0x55);

  sodium_free (key);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/protocol/prekeys/pre-key/encoding", test_pre_key_encoding);
  g_test_add_func ("/protocol/prekeys/pre-key/round-trip", test_pre_key_round_trip);
  g_test_add ("/protocol/prekeys/signed/generate-round-trip", Fixture, NULL,
              fixture_set_up, test_signed_pre_key, fixture_tear_down);
  g_test_add ("/protocol/prekeys/kyber/generate-round-trip", Fixture, NULL,
              fixture_set_up, test_kyber_pre_key, fixture_tear_down);
  g_test_add ("/protocol/prekeys/records/truncated", Fixture, NULL,
              fixture_set_up, test_truncated, fixture_tear_down);
  g_test_add_func ("/protocol/prekeys/records/garbled-ec", test_garbled_ec);
  g_test_add_func ("/protocol/prekeys/records/field-order", test_field_order);
  g_test_add ("/protocol/prekeys/records/garbled-kyber", Fixture, NULL,
              fixture_set_up, test_garbled_kyber, fixture_tear_down);
  g_test_add ("/protocol/prekeys/records/short-buffer", Fixture, NULL,
              fixture_set_up, test_short_buffer, fixture_tear_down);

  return g_test_run ();
}
