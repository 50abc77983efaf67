/* test-kdf.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "kat-test-util.h"
#include "protocol-test-util.h"
#include "sp-error.h"
#include "sp-init.h"
#include "sp-kdf.h"

static GBytes *
repeat (uint8_t byte,
        size_t  len)
{
  uint8_t *bytes = g_malloc (len + 1);

  memset (bytes, byte, len);
  return g_bytes_new_take (bytes, len);
}

static GBytes *
counting (uint8_t first,
          size_t  len)
{
  uint8_t *bytes = g_malloc (len + 1);

  for (size_t i = 0; i < len; i++)
    bytes[i] = (uint8_t) (first + i);
  return g_bytes_new_take (bytes, len);
}

static GBytes *
text (const char *string)
{
  return g_bytes_new (string, strlen (string));
}

/* RFC 4231, test cases 1 to 7 (case 5 truncated to 128 bits). */
static void
test_hmac_rfc4231 (void)
{
  struct {
    GBytes *key;
    GBytes *data;
    const char *mac;
  } cases[] = {
    { repeat (0x0b, 20), text ("Hi There"),
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
    { text ("Jefe"), text ("what do ya want for nothing?"),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
    { repeat (0xaa, 20), repeat (0xdd, 50),
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
    { counting (0x01, 25), repeat (0xcd, 50),
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
    { repeat (0x0c, 20), text ("Test With Truncation"),
      "a3b6167473100ee06e0c796c2955552b" },
    { repeat (0xaa, 131), text ("Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
    { repeat (0xaa, 131),
      text ("This is a test using a larger than block-size key and a larger than "
            "block-size data. The key needs to be hashed before being used by the "
            "HMAC algorithm."),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      uint8_t mac[SP_HMAC_SHA256_SIZE];
      size_t key_len, data_len;
      const uint8_t *key = g_bytes_get_data (cases[i].key, &key_len);
      const uint8_t *data = g_bytes_get_data (cases[i].data, &data_len);

      g_test_message ("RFC 4231 test case %zu", i + 1);
      g_assert_cmpint (sp_hmac_sha256 (mac, key, key_len, data, data_len), ==, SP_OK);
      test_assert_hex (mac, strlen (cases[i].mac) / 2, cases[i].mac);

      g_bytes_unref (cases[i].key);
      g_bytes_unref (cases[i].data);
    }
}

static void
test_hmac_invalid (void)
{
  uint8_t mac[SP_HMAC_SHA256_SIZE];
  const SpHmacPart missing[] = { { mac, 1 }, { NULL, 1 } };
  const SpHmacPart too_many[SP_HMAC_MAX_PARTS + 1] = { { mac, 1 } };

  memset (mac, 0x5a, sizeof mac);
  g_assert_cmpint (sp_hmac_sha256 (NULL, mac, 1, mac, 1), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_hmac_sha256 (mac, NULL, 1, mac, 1), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_hmac_sha256 (mac, mac, 1, NULL, 1), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_hmac_sha256_parts (mac, mac, 1, NULL, 1), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_hmac_sha256_parts (mac, mac, 1, missing, G_N_ELEMENTS (missing)), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_hmac_sha256_parts (mac, mac, 1, too_many, G_N_ELEMENTS (too_many)), ==, SP_ERR_INVALID_ARGUMENT);
  for (size_t i = 0; i < sizeof mac; i++)
    g_assert_cmpuint (mac[i], ==, 0x5a);

  /* An empty key and message are legitimate. */
  g_assert_cmpint (sp_hmac_sha256 (mac, NULL, 0, NULL, 0), ==, SP_OK);
  test_assert_hex (mac, sizeof mac,
                   "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

/* A message in pieces gives the HMAC of the whole, wherever it is cut,
 * and empty pieces count for nothing. */
static void
test_hmac_parts (void)
{
  static const char message[] = "what do ya want for nothing? A message in several pieces.";
  static const uint8_t key[] = "Jefe";
  const uint8_t *bytes = (const uint8_t *) message;
  size_t len = sizeof message - 1;
  uint8_t expected[SP_HMAC_SHA256_SIZE], mac[SP_HMAC_SHA256_SIZE];

  g_assert_cmpint (sp_hmac_sha256 (expected, key, 4, bytes, len), ==, SP_OK);
  for (size_t a = 0; a <= len; a += 7)
    for (size_t b = a; b <= len; b += 11)
      {
        SpHmacPart parts[] = { { bytes, a }, { bytes + a, b - a }, { bytes + b, len - b } };

        memset (mac, 0, sizeof mac);
        g_assert_cmpint (sp_hmac_sha256_parts (mac, key, 4, parts, G_N_ELEMENTS (parts)), ==, SP_OK);
        g_assert_cmpmem (mac, sizeof mac, expected, sizeof expected);
      }
}

/* RFC 5869, test cases 1 to 3 (SHA-256). */
static void
test_hkdf_rfc5869 (void)
{
  struct {
    GBytes *ikm;
    GBytes *salt;
    GBytes *info;
    const char *okm;
  } cases[] = {
    { repeat (0x0b, 22), counting (0x00, 13), counting (0xf0, 10),
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
      "34007208d5b887185865" },
    { counting (0x00, 80), counting (0x60, 80), counting (0xb0, 80),
      "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
      "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
      "cc30c58179ec3e87c14c01d5c1f3434f1d87" },
    { repeat (0x0b, 22), NULL, NULL,
      "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
      "9d201395faa4b61a96c8" },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      size_t ikm_len, salt_len = 0, info_len = 0;
      const uint8_t *ikm = g_bytes_get_data (cases[i].ikm, &ikm_len);
      const uint8_t *salt = cases[i].salt ? g_bytes_get_data (cases[i].salt, &salt_len) : NULL;
      const uint8_t *info = cases[i].info ? g_bytes_get_data (cases[i].info, &info_len) : NULL;
      size_t okm_len = strlen (cases[i].okm) / 2;
      g_autofree uint8_t *okm = g_malloc (okm_len);

      g_test_message ("RFC 5869 test case %zu", i + 1);
      g_assert_cmpint (sp_hkdf_sha256 (okm, okm_len, salt, salt_len, ikm, ikm_len, info, info_len), ==, SP_OK);
      test_assert_hex (okm, okm_len, cases[i].okm);

      g_clear_pointer (&cases[i].ikm, g_bytes_unref);
      g_clear_pointer (&cases[i].salt, g_bytes_unref);
      g_clear_pointer (&cases[i].info, g_bytes_unref);
    }
}

/* No salt, an empty salt and 32 zero bytes of salt are the same thing;
 * a short output is a prefix of a long one. */
static void
test_hkdf_salt_and_prefix (void)
{
  static const uint8_t zeros[32] = { 0 };
  static const uint8_t ikm[] = "input key material";
  static const uint8_t info[] = "info";
  uint8_t a[100], b[100], c[100], d[7];

  g_assert_cmpint (sp_hkdf_sha256 (a, sizeof a, NULL, 0, ikm, sizeof ikm, info, sizeof info), ==, SP_OK);
  g_assert_cmpint (sp_hkdf_sha256 (b, sizeof b, zeros, 0, ikm, sizeof ikm, info, sizeof info), ==, SP_OK);
  g_assert_cmpint (sp_hkdf_sha256 (c, sizeof c, zeros, sizeof zeros, ikm, sizeof ikm, info, sizeof info), ==, SP_OK);
  g_assert_cmpmem (a, sizeof a, b, sizeof b);
  g_assert_cmpmem (a, sizeof a, c, sizeof c);

  g_assert_cmpint (sp_hkdf_sha256 (d, sizeof d, NULL, 0, ikm, sizeof ikm, info, sizeof info), ==, SP_OK);
  g_assert_cmpmem (a, sizeof d, d, sizeof d);

  /* A different salt changes everything. */
  g_assert_cmpint (sp_hkdf_sha256 (c, sizeof c, info, sizeof info, ikm, sizeof ikm, info, sizeof info), ==, SP_OK);
  g_assert_true (memcmp (a, c, sizeof a) != 0);
}

static void
test_hkdf_limits (void)
{
  static const uint8_t ikm[32] = { 1 };
  g_autofree uint8_t *big = g_malloc (SP_HKDF_MAX_OUTPUT + 1);
  g_autofree uint8_t *prefix = g_malloc (SP_HKDF_MAX_OUTPUT);

  /* The largest output works, and its start agrees with a shorter run,
   * which checks that the counter byte went through all 255 blocks. */
  g_assert_cmpint (sp_hkdf_sha256 (big, SP_HKDF_MAX_OUTPUT, NULL, 0, ikm, sizeof ikm, NULL, 0), ==, SP_OK);
  g_assert_cmpint (sp_hkdf_sha256 (prefix, SP_HKDF_MAX_OUTPUT - 1, NULL, 0, ikm, sizeof ikm, NULL, 0), ==, SP_OK);
  g_assert_cmpmem (big, SP_HKDF_MAX_OUTPUT - 1, prefix, SP_HKDF_MAX_OUTPUT - 1);

  memset (big, 0x77, SP_HKDF_MAX_OUTPUT + 1);
  g_assert_cmpint (sp_hkdf_sha256 (big, SP_HKDF_MAX_OUTPUT + 1, NULL, 0, ikm, sizeof ikm, NULL, 0),
                   ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_hkdf_sha256 (big, 0, NULL, 0, ikm, sizeof ikm, NULL, 0), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_hkdf_sha256 (NULL, 32, NULL, 0, ikm, sizeof ikm, NULL, 0), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_hkdf_sha256 (big, 32, NULL, 5, ikm, sizeof ikm, NULL, 0), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_hkdf_sha256 (big, 32, NULL, 0, NULL, 1, NULL, 0), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_hkdf_sha256 (big, 32, NULL, 0, ikm, sizeof ikm, NULL, 1), ==, SP_ERR_INVALID_ARGUMENT);
  for (size_t i = 0; i < SP_HKDF_MAX_OUTPUT + 1; i++)
    g_assert_cmpuint (big[i], ==, 0x77);
}

/* One chain step and the message keys derived from it: the chain step is
 * HMAC with single-byte messages, the keys HKDF with "WhisperMessageKeys". */
static void
check_message_keys (const uint8_t *seed,
                    const uint8_t *salt,
                    size_t         salt_len,
                    const char    *cipher_key,
                    const char    *mac_key,
                    const char    *iv)
{
  static const char info[] = "WhisperMessageKeys";
  uint8_t okm[80];

  g_assert_cmpint (sp_hkdf_sha256 (okm, sizeof okm, salt, salt_len, seed, SP_HMAC_SHA256_SIZE,
                                   (const uint8_t *) info, strlen (info)), ==, SP_OK);
  test_assert_hex (okm, 32, cipher_key);
  test_assert_hex (okm + 32, 32, mac_key);
  test_assert_hex (okm + 64, 16, iv);
}

/* The libsignal chain-key vector quoted in the spec, section 5.2. */
static void
test_chain_key_spec (void)
{
  static const uint8_t one = 0x01, two = 0x02;
  g_autoptr(GBytes) chain_key = test_bytes_from_hex ("8ab72d6f4cc5ac0d387eaf463378ddb28edd07385b1cb01250c715982e7ad48f");
  uint8_t seed[SP_HMAC_SHA256_SIZE], next[SP_HMAC_SHA256_SIZE];

  g_assert_cmpint (sp_hmac_sha256 (seed, g_bytes_get_data (chain_key, NULL), 32, &one, 1), ==, SP_OK);
  g_assert_cmpint (sp_hmac_sha256 (next, g_bytes_get_data (chain_key, NULL), 32, &two, 1), ==, SP_OK);
  test_assert_hex (seed, sizeof seed, "fae95235beda3d2e00b41cf2e655dada2405b4388cae0d251a51bcd2ebdd2e40");
  test_assert_hex (next, sizeof next, "28e8f8fee54b801eef7c5cfb2f17f32c7b334485bbb70fac6ec10342a246d15d");
  check_message_keys (seed, NULL, 0,
                      "bf51e9d75e0e31031051f82a2491ffc084fa298b7793bd9db620056febf45217",
                      "c6c77d6a73a354337a56435e34607dfe48e3ace14e77314dc6abc172e7a7030b",
                      "afa8207986b692a116d4b40bbff72d6c");
}

/* The same step from tests/kat/chain_keys.json, with and without the
 * SPQR salt (32 bytes of 0xab, as the member name says). */
static void
test_chain_key_json (void)
{
  static const uint8_t one = 0x01, two = 0x02;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root = test_kat_load (parser, "chain_keys.json");
  g_autoptr(GBytes) chain_key = NULL;
  g_autoptr(GBytes) salt = repeat (0xab, 32);
  uint8_t seed[SP_HMAC_SHA256_SIZE], next[SP_HMAC_SHA256_SIZE];
  JsonObject *plain, *salted;

  plain = json_object_get_object_member (root, "noSpqr");
  salted = json_object_get_object_member (root, "withSpqrSalt_ab32");
  g_assert_nonnull (plain);
  g_assert_nonnull (salted);

  chain_key = test_bytes_from_hex (test_kat_string (root, "chainKey"));
  g_assert_cmpuint (g_bytes_get_size (chain_key), ==, 32);
  g_assert_cmpint (sp_hmac_sha256 (seed, g_bytes_get_data (chain_key, NULL), 32, &one, 1), ==, SP_OK);
  g_assert_cmpint (sp_hmac_sha256 (next, g_bytes_get_data (chain_key, NULL), 32, &two, 1), ==, SP_OK);
  test_assert_hex (seed, sizeof seed, test_kat_string (root, "messageKeySeed_hmac01"));
  test_assert_hex (next, sizeof next, test_kat_string (root, "nextChainKey_hmac02"));

  check_message_keys (seed, NULL, 0,
                      test_kat_string (plain, "cipherKey"),
                      test_kat_string (plain, "macKey"),
                      test_kat_string (plain, "iv"));
  check_message_keys (seed, g_bytes_get_data (salt, NULL), g_bytes_get_size (salt),
                      test_kat_string (salted, "cipherKey"),
                      test_kat_string (salted, "macKey"),
                      test_kat_string (salted, "iv"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/protocol/kdf/hmac-rfc4231", test_hmac_rfc4231);
  g_test_add_func ("/protocol/kdf/hmac-invalid", test_hmac_invalid);
  g_test_add_func ("/protocol/kdf/hmac-parts", test_hmac_parts);
  g_test_add_func ("/protocol/kdf/hkdf-rfc5869", test_hkdf_rfc5869);
  g_test_add_func ("/protocol/kdf/hkdf-salt-and-prefix", test_hkdf_salt_and_prefix);
  g_test_add_func ("/protocol/kdf/hkdf-limits", test_hkdf_limits);
  g_test_add_func ("/protocol/kdf/chain-key-spec", test_chain_key_spec);
  g_test_add_func ("/protocol/kdf/chain-key-json", test_chain_key_json);

  return g_test_run ();
}
