/* test-aes.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "protocol-test-util.h"
#include "sp-aes.h"
#include "sp-error.h"
#include "sp-init.h"

static void
assert_untouched (const uint8_t *buffer,
                  size_t         len,
                  uint8_t        fill)
{
  for (size_t i = 0; i < len; i++)
    g_assert_cmpuint (buffer[i], ==, fill);
}

/* NIST SP 800-38A, F.2.5 (CBC-AES256.Encrypt) and F.5.5 (CTR-AES256). */
#define NIST_KEY "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"
#define NIST_PLAINTEXT "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51" \
                       "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"
#define NIST_CBC_IV "000102030405060708090a0b0c0d0e0f"
#define NIST_CBC_CIPHERTEXT "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d" \
                            "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"
/* The block PKCS#7 appends to a whole number of blocks, encrypted:
 * AES(key, 16 × 0x10 XOR the last NIST ciphertext block). */
#define NIST_CBC_PADDING_BLOCK "3f461796d6b0d6b2e0c2a72b4d80e644"
#define NIST_CTR_COUNTER "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
#define NIST_CTR_CIPHERTEXT "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5" \
                            "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6"

static void
test_cbc_nist (void)
{
  g_autoptr(GBytes) key = test_bytes_from_hex (NIST_KEY);
  g_autoptr(GBytes) iv = test_bytes_from_hex (NIST_CBC_IV);
  g_autoptr(GBytes) plaintext = test_bytes_from_hex (NIST_PLAINTEXT);
  g_autoptr(GBytes) expected = test_bytes_from_hex (NIST_CBC_CIPHERTEXT NIST_CBC_PADDING_BLOCK);
  uint8_t ciphertext[80], decrypted[80];
  size_t len = 0;

  g_assert_cmpint (sp_aes256_cbc_encrypt (ciphertext, sizeof ciphertext, &len, test_data_of (key), test_data_of (iv),
                                          test_data_of (plaintext), 64), ==, SP_OK);
  g_assert_cmpmem (ciphertext, len, test_data_of (expected), g_bytes_get_size (expected));

  g_assert_cmpint (sp_aes256_cbc_decrypt (decrypted, sizeof decrypted, &len, test_data_of (key), test_data_of (iv),
                                          ciphertext, 80), ==, SP_OK);
  g_assert_cmpmem (decrypted, len, test_data_of (plaintext), 64);
}

/* Every plaintext length from 0 to 48 pads to the next whole block and
 * comes back; the buffer size the header promises is enough. */
static void
test_cbc_lengths (void)
{
  static const uint8_t key[SP_AES_KEY_SIZE] = { 1, 2, 3 };
  static const uint8_t iv[SP_AES_BLOCK_SIZE] = { 4, 5, 6 };
  uint8_t plaintext[48], ciphertext[64], decrypted[64];

  for (size_t i = 0; i < sizeof plaintext; i++)
    plaintext[i] = (uint8_t) (i * 7);

  for (size_t in_len = 0; in_len <= sizeof plaintext; in_len++)
    {
      size_t need = (in_len / 16 + 1) * 16;
      size_t len = 0, out_len = 0;

      /* One byte short is refused without writing. */
      memset (ciphertext, 0xcc, sizeof ciphertext);
      g_assert_cmpint (sp_aes256_cbc_encrypt (ciphertext, need - 1, &len, key, iv, plaintext, in_len),
                       ==, SP_ERR_BUFFER_TOO_SMALL);
      assert_untouched (ciphertext, sizeof ciphertext, 0xcc);

      g_assert_cmpint (sp_aes256_cbc_encrypt (ciphertext, need, &len, key, iv, plaintext, in_len), ==, SP_OK);
      g_assert_cmpuint (len, ==, need);
      g_assert_cmpint (sp_aes256_cbc_decrypt (decrypted, in_len, &out_len, key, iv, ciphertext, len), ==, SP_OK);
      g_assert_cmpmem (decrypted, out_len, plaintext, in_len);
    }
}

/* Both directions may work in place, with the same results. */
static void
test_cbc_in_place (void)
{
  static const uint8_t key[SP_AES_KEY_SIZE] = { 7, 6, 5 };
  static const uint8_t iv[SP_AES_BLOCK_SIZE] = { 2, 4, 8 };
  uint8_t plaintext[48], expected[64], buffer[64];

  for (size_t i = 0; i < sizeof plaintext; i++)
    plaintext[i] = (uint8_t) (i * 13 + 1);

  for (size_t in_len = 0; in_len <= sizeof plaintext; in_len++)
    {
      size_t expected_len = 0, len = 0, out_len = 0;

      g_assert_cmpint (sp_aes256_cbc_encrypt (expected, sizeof expected, &expected_len, key, iv,
                                              plaintext, in_len), ==, SP_OK);
      memcpy (buffer, plaintext, in_len);
      g_assert_cmpint (sp_aes256_cbc_encrypt (buffer, sizeof buffer, &len, key, iv, buffer, in_len), ==, SP_OK);
      g_assert_cmpmem (buffer, len, expected, expected_len);

      g_assert_cmpint (sp_aes256_cbc_decrypt (buffer, sizeof buffer, &out_len, key, iv, buffer, len), ==, SP_OK);
      g_assert_cmpmem (buffer, out_len, plaintext, in_len);
    }
}

/* A 15-byte plaintext pads with 01 (the expected block was computed
 * with OpenSSL); a 17-byte one gives 32 bytes, as the spec says. */
static void
test_cbc_short_message (void)
{
  g_autoptr(GBytes) key = test_bytes_from_hex (NIST_KEY);
  g_autoptr(GBytes) iv = test_bytes_from_hex (NIST_CBC_IV);
  g_autoptr(GBytes) fifteen = test_bytes_from_hex ("6bc1bee22e409f96e93d7e11739317");
  g_autoptr(GBytes) expected = test_bytes_from_hex ("295902e15559d591ffbeea4c84059280");
  uint8_t ciphertext[32];
  size_t len = 0;

  g_assert_cmpint (sp_aes256_cbc_encrypt (ciphertext, sizeof ciphertext, &len, test_data_of (key), test_data_of (iv),
                                          test_data_of (fifteen), 15), ==, SP_OK);
  g_assert_cmpmem (ciphertext, len, test_data_of (expected), 16);

  g_assert_cmpint (sp_aes256_cbc_encrypt (ciphertext, sizeof ciphertext, &len, test_data_of (key), test_data_of (iv),
                                          (const uint8_t *) "Hello, Bob! (KAT)", 17), ==, SP_OK);
  g_assert_cmpuint (len, ==, 32);
}

/* Encrypts @padded, a block padded however the test likes: PKCS#7 adds a
 * whole block after it, and since CBC ciphertext prefixes decrypt to
 * plaintext prefixes, the first @len bytes are its encryption alone. */
static size_t
encrypt_raw (uint8_t        out[64],
             const uint8_t  key[SP_AES_KEY_SIZE],
             const uint8_t  iv[SP_AES_BLOCK_SIZE],
             const uint8_t *padded,
             size_t         len)
{
  size_t out_len = 0;

  g_assert_cmpint (sp_aes256_cbc_encrypt (out, 64, &out_len, key, iv, padded, len), ==, SP_OK);
  g_assert_cmpuint (out_len, ==, len + 16);
  return len;
}

static void
test_cbc_bad_padding (void)
{
  static const uint8_t key[SP_AES_KEY_SIZE] = { 9 };
  static const uint8_t iv[SP_AES_BLOCK_SIZE] = { 8 };
  static const struct {
    const char *what;
    uint8_t last[16];
  } bad[] = {
    { "pad byte 0", { [15] = 0x00 } },
    { "pad byte 17", { [15] = 0x11 } },
    { "pad byte 0xff", { [15] = 0xff } },
    { "pad 2, other byte 3", { [14] = 0x03, [15] = 0x02 } },
    { "pad 16, first byte wrong",
      { 0x0f, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10 } },
    { "pad 8, first pad byte wrong", { [8] = 0x07, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08 } },
  };
  static const struct {
    uint8_t last[16];
    size_t plain_len;
  } good[] = {
    { { [15] = 0x01 }, 15 },
    { { [14] = 0x02, [15] = 0x02 }, 14 },
    { { 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10 }, 0 },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      uint8_t ciphertext[64], out[64];
      size_t len, out_len = 1234;

      g_test_message ("%s", bad[i].what);
      len = encrypt_raw (ciphertext, key, iv, bad[i].last, 16);
      memset (out, 0xcc, sizeof out);
      g_assert_cmpint (sp_aes256_cbc_decrypt (out, sizeof out, &out_len, key, iv, ciphertext, len),
                       ==, SP_ERR_BAD_PADDING);
      assert_untouched (out, sizeof out, 0xcc);
      g_assert_cmpuint (out_len, ==, 1234);
    }

  for (size_t i = 0; i < G_N_ELEMENTS (good); i++)
    {
      uint8_t ciphertext[64], out[64];
      size_t len, out_len = 0;

      len = encrypt_raw (ciphertext, key, iv, good[i].last, 16);
      g_assert_cmpint (sp_aes256_cbc_decrypt (out, sizeof out, &out_len, key, iv, ciphertext, len), ==, SP_OK);
      g_assert_cmpmem (out, out_len, good[i].last, good[i].plain_len);
    }
}

static void
test_cbc_bad_lengths (void)
{
  static const uint8_t key[SP_AES_KEY_SIZE] = { 0 };
  static const uint8_t iv[SP_AES_BLOCK_SIZE] = { 0 };
  uint8_t in[48] = { 0 }, out[48];
  size_t out_len = 1234;

  memset (out, 0xcc, sizeof out);
  g_assert_cmpint (sp_aes256_cbc_decrypt (out, sizeof out, &out_len, key, iv, in, 0), ==, SP_ERR_MALFORMED);
  g_assert_cmpint (sp_aes256_cbc_decrypt (out, sizeof out, &out_len, key, iv, in, 15), ==, SP_ERR_MALFORMED);
  g_assert_cmpint (sp_aes256_cbc_decrypt (out, sizeof out, &out_len, key, iv, in, 17), ==, SP_ERR_MALFORMED);
  g_assert_cmpint (sp_aes256_cbc_decrypt (out, sizeof out, &out_len, key, iv, in, 47), ==, SP_ERR_MALFORMED);
  assert_untouched (out, sizeof out, 0xcc);
  g_assert_cmpuint (out_len, ==, 1234);
}

/* Decryption reports a too-small output only after the padding is known
 * to be good, and writes nothing. */
static void
test_cbc_decrypt_too_small (void)
{
  static const uint8_t key[SP_AES_KEY_SIZE] = { 3 };
  static const uint8_t iv[SP_AES_BLOCK_SIZE] = { 4 };
  uint8_t ciphertext[32], out[32];
  size_t len = 0, out_len = 1234;

  g_assert_cmpint (sp_aes256_cbc_encrypt (ciphertext, sizeof ciphertext, &len, key, iv,
                                          (const uint8_t *) "twenty bytes long!!!", 20), ==, SP_OK);
  memset (out, 0xcc, sizeof out);
  g_assert_cmpint (sp_aes256_cbc_decrypt (out, 19, &out_len, key, iv, ciphertext, len), ==, SP_ERR_BUFFER_TOO_SMALL);
  assert_untouched (out, sizeof out, 0xcc);
  g_assert_cmpint (sp_aes256_cbc_decrypt (out, 20, &out_len, key, iv, ciphertext, len), ==, SP_OK);
  g_assert_cmpmem (out, out_len, "twenty bytes long!!!", 20);
}

static void
test_ctr_nist (void)
{
  g_autoptr(GBytes) key = test_bytes_from_hex (NIST_KEY);
  g_autoptr(GBytes) counter = test_bytes_from_hex (NIST_CTR_COUNTER);
  g_autoptr(GBytes) plaintext = test_bytes_from_hex (NIST_PLAINTEXT);
  g_autoptr(GBytes) expected = test_bytes_from_hex (NIST_CTR_CIPHERTEXT);
  uint8_t buffer[64];

  g_assert_cmpint (sp_aes256_ctr (buffer, test_data_of (key), test_data_of (counter), test_data_of (plaintext), 64), ==, SP_OK);
  g_assert_cmpmem (buffer, 64, test_data_of (expected), 64);

  /* In place, and back again. */
  g_assert_cmpint (sp_aes256_ctr (buffer, test_data_of (key), test_data_of (counter), buffer, 64), ==, SP_OK);
  g_assert_cmpmem (buffer, 64, test_data_of (plaintext), 64);

  /* A partial block is a prefix of the keystream. */
  g_assert_cmpint (sp_aes256_ctr (buffer, test_data_of (key), test_data_of (counter), test_data_of (plaintext), 37), ==, SP_OK);
  g_assert_cmpmem (buffer, 37, test_data_of (expected), 37);
}

/* The counter is one 128-bit big-endian number: after ff…ff comes 00…00,
 * then 00…01.  AES-256 of those blocks under the NIST key (fixed with
 * OpenSSL's aes-256-ecb). */
static void
test_ctr_wrap (void)
{
  static const uint8_t zeros[48] = { 0 };
  static const uint8_t all_ones[SP_AES_BLOCK_SIZE] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  };
  g_autoptr(GBytes) key = test_bytes_from_hex (NIST_KEY);
  g_autoptr(GBytes) expected = test_bytes_from_hex ("3b3c2921c85a24de9ac606ce6d1d60cc"
                                                    "e568f68194cf76d6174d4cc04310a854"
                                                    "91151e5d0b7a1f1bc0d7acd0ae3e51e4");
  uint8_t stream[48];

  g_assert_cmpint (sp_aes256_ctr (stream, test_data_of (key), all_ones, zeros, sizeof zeros), ==, SP_OK);
  g_assert_cmpmem (stream, sizeof stream, test_data_of (expected), 48);

  g_assert_cmpint (sp_aes256_ctr (NULL, test_data_of (key), all_ones, NULL, 0), ==, SP_OK);
  g_assert_cmpint (sp_aes256_ctr (NULL, test_data_of (key), all_ones, zeros, 1), ==, SP_ERR_INVALID_ARGUMENT);
}

/* RFC 8452, Appendix C.2 (AEAD_AES_256_GCM_SIV): key, nonce, AAD,
 * plaintext, ciphertext || tag. */
static const struct {
  const char *key;
  const char *nonce;
  const char *aad;
  const char *plaintext;
  const char *sealed;
} gcm_siv_vectors[] = {
  { "0100000000000000000000000000000000000000000000000000000000000000",
    "030000000000000000000000", "", "",
    "07f5f4169bbf55a8400cd47ea6fd400f" },
  { "0100000000000000000000000000000000000000000000000000000000000000",
    "030000000000000000000000", "", "0100000000000000",
    "c2ef328e5c71c83b843122130f7364b761e0b97427e3df28" },
  { "0100000000000000000000000000000000000000000000000000000000000000",
    "030000000000000000000000", "", "010000000000000000000000",
    "9aab2aeb3faa0a34aea8e2b18ca50da9ae6559e48fd10f6e5c9ca17e" },
  { "0100000000000000000000000000000000000000000000000000000000000000",
    "030000000000000000000000", "",
    "01000000000000000000000000000000020000000000000000000000000000000300000000000000000000000000000004000000000000000000000000000000",
    "c2d5160a1f8683834910acdafc41fbb1632d4a353e8b905ec9a5499ac34f96c7e1049eb080883891a4db8caaa1f99dd0"
    "04d80487540735234e3744512c6f90ce112864c269fc0d9d88c61fa47e39aa08" },
  { "0100000000000000000000000000000000000000000000000000000000000000",
    "030000000000000000000000", "01", "0200000000000000",
    "1de22967237a813291213f267e3b452f02d01ae33e4ec854" },
  { "0100000000000000000000000000000000000000000000000000000000000000",
    "030000000000000000000000", "01",
    "0200000000000000000000000000000003000000000000000000000000000000",
    "07dad364bfc2b9da89116d7bef6daaaf6f255510aa654f920ac81b94e8bad365aea1bad12702e1965604374aab96dbbc" },
  { "0100000000000000000000000000000000000000000000000000000000000000",
    "030000000000000000000000", "010000000000000000000000", "02000000",
    "22b3f4cd1835e517741dfddccfa07fa4661b74cf" },
  { "0100000000000000000000000000000000000000000000000000000000000000",
    "030000000000000000000000", "010000000000000000000000000000000200",
    "0300000000000000000000000000000004000000",
    "43dd0163cdb48f9fe3212bf61b201976067f342bb879ad976d8242acc188ab59cabfe307" },
  { "e66021d5eb8e4f4066d4adb9c33560e4f46e44bb3da0015c94f7088736864200",
    "e0eaf5284d884a0e77d31646", "", "",
    "169fbb2fbf389a995f6390af22228a62" },
  { "bae8e37fc83441b16034566b7a806c46bb91c3c5aedb64a6c590bc84d1a5e269",
    "e4b47801afc0577e34699b9e", "4fbdc66f14", "671fdd",
    "0eaccb93da9bb81333aee0c785b240d319719d" },
  { "a44102952ef94b02b805249bac80e6f61455bfac8308a2d40d8c845117808235",
    "5c9e940fea2f582950a70d5a", "0da55210cc1c1b0abde3b2f204d1e9f8b06bc47f",
    "1db2316fd568378da107b52b",
    "8dbeb9f7255bf5769dd56692404099c2587f64979f21826706d497d5" },
};

static void
test_gcm_siv_rfc8452 (void)
{
  for (size_t i = 0; i < G_N_ELEMENTS (gcm_siv_vectors); i++)
    {
      g_autoptr(GBytes) key = test_bytes_from_hex (gcm_siv_vectors[i].key);
      g_autoptr(GBytes) nonce = test_bytes_from_hex (gcm_siv_vectors[i].nonce);
      g_autoptr(GBytes) aad = test_bytes_from_hex (gcm_siv_vectors[i].aad);
      g_autoptr(GBytes) plaintext = test_bytes_from_hex (gcm_siv_vectors[i].plaintext);
      g_autoptr(GBytes) sealed = test_bytes_from_hex (gcm_siv_vectors[i].sealed);
      size_t aad_len = g_bytes_get_size (aad);
      size_t plain_len = g_bytes_get_size (plaintext);
      g_autofree uint8_t *out = g_malloc (plain_len + SP_AES_GCM_SIV_TAG_SIZE);
      g_autofree uint8_t *back = g_malloc (plain_len + 1);

      g_test_message ("RFC 8452 C.2 vector %zu", i);
      g_assert_cmpuint (g_bytes_get_size (sealed), ==, plain_len + SP_AES_GCM_SIV_TAG_SIZE);

      g_assert_cmpint (sp_aes256_gcm_siv_encrypt (out, test_data_of (key), test_data_of (nonce),
                                                  test_data_of (aad), aad_len,
                                                  test_data_of (plaintext), plain_len), ==, SP_OK);
      g_assert_cmpmem (out, plain_len + SP_AES_GCM_SIV_TAG_SIZE, test_data_of (sealed), g_bytes_get_size (sealed));

      g_assert_cmpint (sp_aes256_gcm_siv_decrypt (back, test_data_of (key), test_data_of (nonce),
                                                  test_data_of (aad), aad_len,
                                                  test_data_of (sealed), g_bytes_get_size (sealed)), ==, SP_OK);
      g_assert_cmpmem (back, plain_len, test_data_of (plaintext), plain_len);
    }
}

/* The AES-256 test cases 13 to 16 of McGrew and Viega, "The Galois/Counter
 * Mode of Operation", with their 96-bit IVs; case 16 has AAD. */
static const struct
{
  const char *key, *nonce, *aad, *plaintext, *sealed;
} gcm_vectors[] = {
  { "0000000000000000000000000000000000000000000000000000000000000000",
    "000000000000000000000000", "", "",
    "530f8afbc74536b9a963b4f1c4cb738b" },
  { "0000000000000000000000000000000000000000000000000000000000000000",
    "000000000000000000000000", "", "00000000000000000000000000000000",
    "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919" },
  { "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
    "cafebabefacedbaddecaf888", "",
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
    "b094dac5d93471bdec1a502270e3cc6c" },
  { "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
    "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
    "76fc6ece0f4e1768cddf8853bb2d551b" },
};

/* Known answers both ways, and a flipped bit anywhere in the ciphertext
 * or tag is a MAC failure. */
static void
test_gcm_known_answers (void)
{
  for (size_t i = 0; i < G_N_ELEMENTS (gcm_vectors); i++)
    {
      g_autoptr(GBytes) key = test_bytes_from_hex (gcm_vectors[i].key);
      g_autoptr(GBytes) nonce = test_bytes_from_hex (gcm_vectors[i].nonce);
      g_autoptr(GBytes) aad = test_bytes_from_hex (gcm_vectors[i].aad);
      g_autoptr(GBytes) plaintext = test_bytes_from_hex (gcm_vectors[i].plaintext);
      g_autoptr(GBytes) sealed = test_bytes_from_hex (gcm_vectors[i].sealed);
      size_t aad_len = g_bytes_get_size (aad);
      size_t plain_len = g_bytes_get_size (plaintext);
      size_t sealed_len = g_bytes_get_size (sealed);
      g_autofree uint8_t *out = g_malloc (plain_len + SP_AES_GCM_TAG_SIZE);
      g_autofree uint8_t *back = g_malloc (plain_len + 1);
      g_autofree uint8_t *tampered = g_memdup2 (test_data_of (sealed), sealed_len);

      g_test_message ("GCM test case %zu", i + 13);
      g_assert_cmpuint (sealed_len, ==, plain_len + SP_AES_GCM_TAG_SIZE);

      g_assert_cmpint (sp_aes256_gcm_encrypt (out, test_data_of (key), test_data_of (nonce),
                                              test_data_of (aad), aad_len,
                                              test_data_of (plaintext), plain_len), ==, SP_OK);
      g_assert_cmpmem (out, sealed_len, test_data_of (sealed), sealed_len);

      g_assert_cmpint (sp_aes256_gcm_decrypt (back, test_data_of (key), test_data_of (nonce),
                                              test_data_of (aad), aad_len,
                                              test_data_of (sealed), sealed_len), ==, SP_OK);
      g_assert_cmpmem (back, plain_len, test_data_of (plaintext), plain_len);

      tampered[sealed_len - 1] ^= 0x01;
      g_assert_cmpint (sp_aes256_gcm_decrypt (back, test_data_of (key), test_data_of (nonce),
                                              test_data_of (aad), aad_len,
                                              tampered, sealed_len), ==, SP_ERR_BAD_MAC);
      tampered[sealed_len - 1] ^= 0x01;
      tampered[0] ^= 0x80;
      g_assert_cmpint (sp_aes256_gcm_decrypt (back, test_data_of (key), test_data_of (nonce),
                                              test_data_of (aad), aad_len,
                                              tampered, sealed_len), ==, SP_ERR_BAD_MAC);
    }
}

/* Flipping any bit of the ciphertext, the tag, the AAD or the nonce is a
 * MAC failure that leaves the output alone. */
static void
test_gcm_siv_tamper (void)
{
  /* The vector with AAD and a two-block plaintext. */
  g_autoptr(GBytes) key = test_bytes_from_hex (gcm_siv_vectors[5].key);
  g_autoptr(GBytes) nonce = test_bytes_from_hex (gcm_siv_vectors[5].nonce);
  g_autoptr(GBytes) aad = test_bytes_from_hex (gcm_siv_vectors[5].aad);
  g_autoptr(GBytes) sealed = test_bytes_from_hex (gcm_siv_vectors[5].sealed);
  size_t sealed_len = g_bytes_get_size (sealed);
  uint8_t tampered[64], nonce_copy[SP_AES_GCM_SIV_NONCE_SIZE], aad_copy[1], out[64];

  g_assert_cmpuint (sealed_len, <=, sizeof tampered);

  for (size_t bit = 0; bit < sealed_len * 8; bit += 7)
    {
      memcpy (tampered, test_data_of (sealed), sealed_len);
      tampered[bit / 8] ^= (uint8_t) (1u << (bit % 8));
      memset (out, 0xcc, sizeof out);
      g_assert_cmpint (sp_aes256_gcm_siv_decrypt (out, test_data_of (key), test_data_of (nonce), test_data_of (aad), 1,
                                                  tampered, sealed_len), ==, SP_ERR_BAD_MAC);
      assert_untouched (out, sizeof out, 0xcc);
    }

  memcpy (nonce_copy, test_data_of (nonce), sizeof nonce_copy);
  nonce_copy[11] ^= 0x80;
  memset (out, 0xcc, sizeof out);
  g_assert_cmpint (sp_aes256_gcm_siv_decrypt (out, test_data_of (key), nonce_copy, test_data_of (aad), 1,
                                              test_data_of (sealed), sealed_len), ==, SP_ERR_BAD_MAC);
  assert_untouched (out, sizeof out, 0xcc);

  aad_copy[0] = 0x02;
  g_assert_cmpint (sp_aes256_gcm_siv_decrypt (out, test_data_of (key), test_data_of (nonce), aad_copy, 1,
                                              test_data_of (sealed), sealed_len), ==, SP_ERR_BAD_MAC);
  /* Dropping the AAD altogether fails too. */
  g_assert_cmpint (sp_aes256_gcm_siv_decrypt (out, test_data_of (key), test_data_of (nonce), NULL, 0,
                                              test_data_of (sealed), sealed_len), ==, SP_ERR_BAD_MAC);
  assert_untouched (out, sizeof out, 0xcc);
}

static void
test_gcm_siv_short_input (void)
{
  static const uint8_t key[SP_AES_KEY_SIZE] = { 0 };
  static const uint8_t nonce[SP_AES_GCM_SIV_NONCE_SIZE] = { 0 };
  uint8_t in[15] = { 0 }, out[16];

  memset (out, 0xcc, sizeof out);
  g_assert_cmpint (sp_aes256_gcm_siv_decrypt (out, key, nonce, NULL, 0, in, sizeof in), ==, SP_ERR_MALFORMED);
  g_assert_cmpint (sp_aes256_gcm_siv_decrypt (out, key, nonce, NULL, 0, in, 0), ==, SP_ERR_MALFORMED);
  assert_untouched (out, sizeof out, 0xcc);
  /* An empty plaintext with a wrong tag is still a MAC failure. */
  g_assert_cmpint (sp_aes256_gcm_siv_decrypt (out, key, nonce, NULL, 0, out, 16), ==, SP_ERR_BAD_MAC);
}

/* Sealing in place works because the result is assembled aside. */
static void
test_gcm_siv_in_place (void)
{
  g_autoptr(GBytes) key = test_bytes_from_hex (gcm_siv_vectors[10].key);
  g_autoptr(GBytes) nonce = test_bytes_from_hex (gcm_siv_vectors[10].nonce);
  g_autoptr(GBytes) aad = test_bytes_from_hex (gcm_siv_vectors[10].aad);
  g_autoptr(GBytes) plaintext = test_bytes_from_hex (gcm_siv_vectors[10].plaintext);
  g_autoptr(GBytes) sealed = test_bytes_from_hex (gcm_siv_vectors[10].sealed);
  uint8_t buffer[64];
  size_t plain_len = g_bytes_get_size (plaintext);

  memcpy (buffer, test_data_of (plaintext), plain_len);
  g_assert_cmpint (sp_aes256_gcm_siv_encrypt (buffer, test_data_of (key), test_data_of (nonce),
                                              test_data_of (aad), g_bytes_get_size (aad),
                                              buffer, plain_len), ==, SP_OK);
  g_assert_cmpmem (buffer, plain_len + 16, test_data_of (sealed), g_bytes_get_size (sealed));

  g_assert_cmpint (sp_aes256_gcm_siv_decrypt (buffer, test_data_of (key), test_data_of (nonce),
                                              test_data_of (aad), g_bytes_get_size (aad),
                                              buffer, plain_len + 16), ==, SP_OK);
  g_assert_cmpmem (buffer, plain_len, test_data_of (plaintext), plain_len);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/protocol/aes/cbc-nist", test_cbc_nist);
  g_test_add_func ("/protocol/aes/cbc-lengths", test_cbc_lengths);
  g_test_add_func ("/protocol/aes/cbc-in-place", test_cbc_in_place);
  g_test_add_func ("/protocol/aes/cbc-short-message", test_cbc_short_message);
  g_test_add_func ("/protocol/aes/cbc-bad-padding", test_cbc_bad_padding);
  g_test_add_func ("/protocol/aes/cbc-bad-lengths", test_cbc_bad_lengths);
  g_test_add_func ("/protocol/aes/cbc-decrypt-too-small", test_cbc_decrypt_too_small);
  g_test_add_func ("/protocol/aes/ctr-nist", test_ctr_nist);
  g_test_add_func ("/protocol/aes/ctr-wrap", test_ctr_wrap);
  g_test_add_func ("/protocol/aes/gcm-siv-rfc8452", test_gcm_siv_rfc8452);
  g_test_add_func ("/protocol/aes/gcm-siv-tamper", test_gcm_siv_tamper);
  g_test_add_func ("/protocol/aes/gcm-siv-short-input", test_gcm_siv_short_input);
  g_test_add_func ("/protocol/aes/gcm-siv-in-place", test_gcm_siv_in_place);
  g_test_add_func ("/protocol/aes/gcm-known-answers", test_gcm_known_answers);

  return g_test_run ();
}
