/* test-kyber1024.c: CRYSTALS-Kyber1024 (round 3) and the SHA-3 helpers
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <gcrypt.h>
#include <glib.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "protocol-test-util.h"
#include "sp-error.h"
#include "sp-hash.h"
#include "sp-init.h"
#include "sp-kyber1024.h"

#define KAT_ENTRIES 100
#define Z_OFFSET (SP_KYBER_SECRET_KEY_SIZE - 32)

/* The NIST known-answer generator: AES-256 CTR_DRBG (SP 800-90A) without
 * derivation function or personalisation, as tests/kat/README.md
 * describes.  Each request is followed by an update with no input. */
typedef struct {
  uint8_t key[32];
  uint8_t v[16];
} KatDrbg;

static void
drbg_increment (uint8_t v[16])
{
  for (int i = 15; i >= 0; i--)
    {
      if (++v[i] != 0)
        break;
    }
}

static void
drbg_block (KatDrbg *drbg,
            uint8_t  out[16])
{
  gcry_cipher_hd_t aes;

  g_assert_cmpint (gcry_cipher_open (&aes, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_ECB, 0), ==, 0);
  g_assert_cmpint (gcry_cipher_setkey (aes, drbg->key, sizeof drbg->key), ==, 0);
  drbg_increment (drbg->v);
  g_assert_cmpint (gcry_cipher_encrypt (aes, out, 16, drbg->v, 16), ==, 0);
  gcry_cipher_close (aes);
}

static void
drbg_update (KatDrbg       *drbg,
             const uint8_t *provided)
{
  uint8_t temp[48];

  for (size_t i = 0; i < 3; i++)
    drbg_block (drbg, temp + 16 * i);
  if (provided != NULL)
    {
      for (size_t i = 0; i < sizeof temp; i++)
        temp[i] ^= provided[i];
    }
  memcpy (drbg->key, temp, 32);
  memcpy (drbg->v, temp + 32, 16);
}

static void
drbg_init (KatDrbg       *drbg,
           const uint8_t  seed[48])
{
  memset (drbg, 0, sizeof *drbg);
  drbg_update (drbg, seed);
}

static void
drbg_generate (KatDrbg *drbg,
               uint8_t *out,
               size_t   len)
{
  while (len > 0)
    {
      uint8_t block[16];
      size_t n = MIN (len, sizeof block);

      drbg_block (drbg, block);
      memcpy (out, block, n);
      out += n;
      len -= n;
    }
  drbg_update (drbg, NULL);
}

static void
assert_bytes_equal (const uint8_t *actual,
                    GBytes        *expected,
                    size_t         len)
{
  g_assert_cmpmem (actual, len, g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
}

/* Runs one entry of the known-answer file; the table holds its fields. */
static void
check_kat_entry (GHashTable *entry)
{
  g_autoptr(GBytes) seed = test_bytes_from_hex (g_hash_table_lookup (entry, "seed"));
  g_autoptr(GBytes) pk = test_bytes_from_hex (g_hash_table_lookup (entry, "pk"));
  g_autoptr(GBytes) sk = test_bytes_from_hex (g_hash_table_lookup (entry, "sk"));
  g_autoptr(GBytes) ct = test_bytes_from_hex (g_hash_table_lookup (entry, "ct"));
  g_autoptr(GBytes) ss = test_bytes_from_hex (g_hash_table_lookup (entry, "ss"));
  uint8_t keygen_seed[SP_KYBER1024_SEED_BYTES];
  uint8_t m[SP_KYBER1024_ENCAPS_RANDOM_BYTES];
  uint8_t public_key[SP_KYBER_PUBLIC_KEY_SIZE];
  uint8_t *secret_key = sodium_malloc (SP_KYBER_SECRET_KEY_SIZE);
  uint8_t ciphertext[SP_KYBER_CIPHERTEXT_SIZE];
  uint8_t secret_a[32];
  uint8_t secret_b[32];
  KatDrbg drbg;

  g_assert_nonnull (secret_key);
  g_assert_cmpuint (g_bytes_get_size (seed), ==, 48);
  drbg_init (&drbg, g_bytes_get_data (seed, NULL));
  /* Two separate requests, d then z, exactly as the reference draws them. */
  drbg_generate (&drbg, keygen_seed, 32);
  drbg_generate (&drbg, keygen_seed + 32, 32);
  drbg_generate (&drbg, m, sizeof m);

  g_assert_cmpint (sp_kyber1024_keypair_from_seed (public_key, secret_key, keygen_seed), ==, SP_OK);
  g_assert_cmpuint (public_key[0], ==, SP_KEY_TYPE_KYBER1024);
  g_assert_cmpuint (secret_key[0], ==, SP_KEY_TYPE_KYBER1024);
  assert_bytes_equal (public_key + 1, pk, SP_KYBER1024_PUBLIC_KEY_BYTES);
  assert_bytes_equal (secret_key + 1, sk, SP_KYBER1024_SECRET_KEY_BYTES);

  g_assert_cmpint (sp_kyber1024_encapsulate (ciphertext, secret_a, public_key, sizeof public_key, m),
                   ==, SP_OK);
  g_assert_cmpuint (ciphertext[0], ==, SP_KEY_TYPE_KYBER1024);
  assert_bytes_equal (ciphertext + 1, ct, SP_KYBER1024_CIPHERTEXT_BYTES);
  assert_bytes_equal (secret_a, ss, sizeof secret_a);

  g_assert_cmpint (sp_kyber1024_decapsulate (secret_b, secret_key, SP_KYBER_SECRET_KEY_SIZE,
                                             ciphertext, sizeof ciphertext), ==, SP_OK);
  assert_bytes_equal (secret_b, ss, sizeof secret_b);

  sodium_free (secret_key);
}

static void
test_kat (void)
{
  g_autofree char *path = g_build_filename (SOTTO_KAT_DIR, "PQCkemKAT_3168.rsp", NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GHashTable) entry = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GError) error = NULL;
  int checked = 0;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (contents, "\n", -1);

  /* Entries are blocks of "name = value" lines; "ss" closes each one. */
  for (char **line = lines; *line != NULL; line++)
    {
      g_auto(GStrv) field = NULL;

      g_strstrip (*line);
      if (**line == '\0' || **line == '#')
        continue;
      field = g_strsplit (*line, " = ", 2);
      g_assert_nonnull (field[1]);
      g_hash_table_insert (entry, g_strdup (field[0]), g_strdup (field[1]));

      if (g_str_equal (field[0], "ss"))
        {
          g_assert_cmpint (atoi (g_hash_table_lookup (entry, "count")), ==, checked);
          check_kat_entry (entry);
          g_hash_table_remove_all (entry);
          checked++;
        }
    }

  g_assert_cmpint (checked, ==, KAT_ENTRIES);
}

static uint8_t *
new_keypair (uint8_t public_key[SP_KYBER_PUBLIC_KEY_SIZE])
{
  uint8_t *secret_key = sodium_malloc (SP_KYBER_SECRET_KEY_SIZE);

  g_assert_nonnull (secret_key);
  g_assert_cmpint (sp_kyber1024_keypair (public_key, secret_key), ==, SP_OK);
  return secret_key;
}

static void
test_round_trip (void)
{
  uint8_t previous_pk[SP_KYBER_PUBLIC_KEY_SIZE] = { 0 };

  for (int i = 0; i < 10; i++)
    {
      uint8_t public_key[SP_KYBER_PUBLIC_KEY_SIZE];
      uint8_t *secret_key = new_keypair (public_key);
      uint8_t ct_a[SP_KYBER_CIPHERTEXT_SIZE];
      uint8_t ct_b[SP_KYBER_CIPHERTEXT_SIZE];
      uint8_t sent_a[32], sent_b[32], received[32];

      /* Fresh keys every time, and the public key is embedded in the
       * secret key after s. */
      g_assert_false (memcmp (public_key, previous_pk, sizeof public_key) == 0);
      memcpy (previous_pk, public_key, sizeof public_key);
      g_assert_cmpmem (secret_key + 1 + 1536, SP_KYBER1024_PUBLIC_KEY_BYTES,
                       public_key + 1, SP_KYBER1024_PUBLIC_KEY_BYTES);

      g_assert_cmpint (sp_kyber1024_encapsulate (ct_a, sent_a, public_key, sizeof public_key, NULL),
                       ==, SP_OK);
      g_assert_cmpint (sp_kyber1024_encapsulate (ct_b, sent_b, public_key, sizeof public_key, NULL),
                       ==, SP_OK);
      g_assert_false (memcmp (ct_a, ct_b, sizeof ct_a) == 0);
      g_assert_false (memcmp (sent_a, sent_b, sizeof sent_a) == 0);

      g_assert_cmpint (sp_kyber1024_decapsulate (received, secret_key, SP_KYBER_SECRET_KEY_SIZE,
                                                 ct_a, sizeof ct_a), ==, SP_OK);
      g_assert_cmpmem (received, sizeof received, sent_a, sizeof sent_a);
      g_assert_cmpint (sp_kyber1024_decapsulate (received, secret_key, SP_KYBER_SECRET_KEY_SIZE,
                                                 ct_b, sizeof ct_b), ==, SP_OK);
      g_assert_cmpmem (received, sizeof received, sent_b, sizeof sent_b);

      sodium_free (secret_key);
    }
}

static void
test_deterministic (void)
{
  uint8_t seed[SP_KYBER1024_SEED_BYTES];
  uint8_t m[SP_KYBER1024_ENCAPS_RANDOM_BYTES];
  uint8_t pk_a[SP_KYBER_PUBLIC_KEY_SIZE], pk_b[SP_KYBER_PUBLIC_KEY_SIZE];
  uint8_t *sk_a = sodium_malloc (SP_KYBER_SECRET_KEY_SIZE);
  uint8_t *sk_b = sodium_malloc (SP_KYBER_SECRET_KEY_SIZE);
  uint8_t ct_a[SP_KYBER_CIPHERTEXT_SIZE], ct_b[SP_KYBER_CIPHERTEXT_SIZE];
  uint8_t ss_a[32], ss_b[32];

  for (size_t i = 0; i < sizeof seed; i++)
    seed[i] = (uint8_t) i;
  memset (m, 0x5a, sizeof m);

  g_assert_cmpint (sp_kyber1024_keypair_from_seed (pk_a, sk_a, seed), ==, SP_OK);
  g_assert_cmpint (sp_kyber1024_keypair_from_seed (pk_b, sk_b, seed), ==, SP_OK);
  g_assert_cmpmem (pk_a, sizeof pk_a, pk_b, sizeof pk_b);
  g_assert_cmpmem (sk_a, SP_KYBER_SECRET_KEY_SIZE, sk_b, SP_KYBER_SECRET_KEY_SIZE);
  /* z is stored verbatim at the end of the secret key. */
  g_assert_cmpmem (sk_a + Z_OFFSET, 32, seed + 32, 32);

  g_assert_cmpint (sp_kyber1024_encapsulate (ct_a, ss_a, pk_a, sizeof pk_a, m), ==, SP_OK);
  g_assert_cmpint (sp_kyber1024_encapsulate (ct_b, ss_b, pk_a, sizeof pk_a, m), ==, SP_OK);
  g_assert_cmpmem (ct_a, sizeof ct_a, ct_b, sizeof ct_b);
  g_assert_cmpmem (ss_a, sizeof ss_a, ss_b, sizeof ss_b);

  sodium_free (sk_a);
  sodium_free (sk_b);
}

static void
test_implicit_rejection (void)
{
  static const size_t positions[] = { 1, 700, 1408, 1409, SP_KYBER_CIPHERTEXT_SIZE - 1 };
  uint8_t public_key[SP_KYBER_PUBLIC_KEY_SIZE];
  uint8_t *secret_key = new_keypair (public_key);
  uint8_t ct[SP_KYBER_CIPHERTEXT_SIZE];
  uint8_t sent[32], received[32];

  g_assert_cmpint (sp_kyber1024_encapsulate (ct, sent, public_key, sizeof public_key, NULL), ==, SP_OK);

  for (size_t i = 0; i < G_N_ELEMENTS (positions); i++)
    {
      uint8_t modified[SP_KYBER_CIPHERTEXT_SIZE];
      uint8_t rejection_input[64];
      uint8_t expected[32];

      memcpy (modified, ct, sizeof ct);
      modified[positions[i]] ^= 0x01;

      g_assert_cmpint (sp_kyber1024_decapsulate (received, secret_key, SP_KYBER_SECRET_KEY_SIZE,
                                                 modified, sizeof modified), ==, SP_OK);
      g_assert_false (memcmp (received, sent, sizeof sent) == 0);

      /* K = SHAKE-256 (z || SHA3-256 (c')), computed here with libgcrypt
       * directly rather than through the code under test. */
      memcpy (rejection_input, secret_key + Z_OFFSET, 32);
      gcry_md_hash_buffer (GCRY_MD_SHA3_256, rejection_input + 32, modified + 1,
                           SP_KYBER1024_CIPHERTEXT_BYTES);
      {
        gcry_md_hd_t md;

        g_assert_cmpint (gcry_md_open (&md, GCRY_MD_SHAKE256, 0), ==, 0);
        gcry_md_write (md, rejection_input, sizeof rejection_input);
        g_assert_cmpint (gcry_md_extract (md, GCRY_MD_SHAKE256, expected, sizeof expected), ==, 0);
        gcry_md_close (md);
      }
      g_assert_cmpmem (received, sizeof received, expected, sizeof expected);
    }

  /* The unmodified ciphertext still decapsulates to the sent secret. */
  g_assert_cmpint (sp_kyber1024_decapsulate (received, secret_key, SP_KYBER_SECRET_KEY_SIZE,
                                             ct, sizeof ct), ==, SP_OK);
  g_assert_cmpmem (received, sizeof received, sent, sizeof sent);

  sodium_free (secret_key);
}

static void
assert_filled (const uint8_t *buf,
               size_t         len,
               uint8_t        value)
{
  for (size_t i = 0; i < len; i++)
    g_assert_cmpuint (buf[i], ==, value);
}

static void
test_rejects_bad_input (void)
{
  static const uint8_t wrong_types[] = { 0x05, 0x07, 0x09, 0x0a };
  uint8_t public_key[SP_KYBER_PUBLIC_KEY_SIZE + 1];
  uint8_t *secret_key = sodium_malloc (SP_KYBER_SECRET_KEY_SIZE + 1);
  uint8_t ct[SP_KYBER_CIPHERTEXT_SIZE + 1];
  uint8_t valid_ct[SP_KYBER_CIPHERTEXT_SIZE];
  uint8_t ss[32];
  uint8_t seed[SP_KYBER1024_SEED_BYTES] = { 0 };

  g_assert_nonnull (secret_key);
  g_assert_cmpint (sp_kyber1024_keypair_from_seed (public_key, secret_key, seed), ==, SP_OK);
  public_key[SP_KYBER_PUBLIC_KEY_SIZE] = 0;
  secret_key[SP_KYBER_SECRET_KEY_SIZE] = 0;
  g_assert_cmpint (sp_kyber1024_encapsulate (valid_ct, ss, public_key, SP_KYBER_PUBLIC_KEY_SIZE, NULL),
                   ==, SP_OK);
  memcpy (ct, valid_ct, sizeof valid_ct);
  ct[SP_KYBER_CIPHERTEXT_SIZE] = 0;

  /* Wrong public key lengths, including one byte short and one too many. */
  {
    static const size_t lengths[] = { 0, 1, SP_KYBER1024_PUBLIC_KEY_BYTES, SP_KYBER_PUBLIC_KEY_SIZE + 1 };

    for (size_t i = 0; i < G_N_ELEMENTS (lengths); i++)
      {
        memset (ct, 0xaa, sizeof ct);
        memset (ss, 0xaa, sizeof ss);
        g_assert_cmpint (sp_kyber1024_encapsulate (ct, ss, public_key, lengths[i], NULL),
                         ==, SP_ERR_INVALID_KEY);
        assert_filled (ct, sizeof ct, 0xaa);
        assert_filled (ss, sizeof ss, 0xaa);
      }
    g_assert_cmpint (sp_kyber1024_encapsulate (ct, ss, NULL, SP_KYBER_PUBLIC_KEY_SIZE, NULL),
                     ==, SP_ERR_INVALID_KEY);
    assert_filled (ss, sizeof ss, 0xaa);
  }

  /* Wrong type bytes on the public key, the secret key and the ciphertext. */
  for (size_t i = 0; i < G_N_ELEMENTS (wrong_types); i++)
    {
      public_key[0] = wrong_types[i];
      memset (ct, 0xaa, sizeof ct);
      memset (ss, 0xaa, sizeof ss);
      g_assert_cmpint (sp_kyber1024_encapsulate (ct, ss, public_key, SP_KYBER_PUBLIC_KEY_SIZE, NULL),
                       ==, SP_ERR_INVALID_KEY);
      assert_filled (ct, sizeof ct, 0xaa);
      assert_filled (ss, sizeof ss, 0xaa);
      public_key[0] = SP_KEY_TYPE_KYBER1024;

      secret_key[0] = wrong_types[i];
      g_assert_cmpint (sp_kyber1024_decapsulate (ss, secret_key, SP_KYBER_SECRET_KEY_SIZE,
                                                 valid_ct, sizeof valid_ct), ==, SP_ERR_INVALID_KEY);
      assert_filled (ss, sizeof ss, 0xaa);
      secret_key[0] = SP_KEY_TYPE_KYBER1024;

      memcpy (ct, valid_ct, sizeof valid_ct);
      ct[0] = wrong_types[i];
      g_assert_cmpint (sp_kyber1024_decapsulate (ss, secret_key, SP_KYBER_SECRET_KEY_SIZE,
                                                 ct, SP_KYBER_CIPHERTEXT_SIZE), ==, SP_ERR_MALFORMED);
      assert_filled (ss, sizeof ss, 0xaa);
    }

  /* Wrong secret key and ciphertext lengths. */
  memcpy (ct, valid_ct, sizeof valid_ct);
  {
    static const size_t sk_lengths[] = { 0, SP_KYBER1024_SECRET_KEY_BYTES, SP_KYBER_SECRET_KEY_SIZE + 1 };
    static const size_t ct_lengths[] = { 0, 1, SP_KYBER1024_CIPHERTEXT_BYTES, SP_KYBER_CIPHERTEXT_SIZE + 1 };

    for (size_t i = 0; i < G_N_ELEMENTS (sk_lengths); i++)
      {
        g_assert_cmpint (sp_kyber1024_decapsulate (ss, secret_key, sk_lengths[i],
                                                   ct, SP_KYBER_CIPHERTEXT_SIZE), ==, SP_ERR_INVALID_KEY);
        assert_filled (ss, sizeof ss, 0xaa);
      }
    for (size_t i = 0; i < G_N_ELEMENTS (ct_lengths); i++)
      {
        g_assert_cmpint (sp_kyber1024_decapsulate (ss, secret_key, SP_KYBER_SECRET_KEY_SIZE,
                                                   ct, ct_lengths[i]), ==, SP_ERR_MALFORMED);
        assert_filled (ss, sizeof ss, 0xaa);
      }
    g_assert_cmpint (sp_kyber1024_decapsulate (ss, NULL, SP_KYBER_SECRET_KEY_SIZE,
                                               ct, SP_KYBER_CIPHERTEXT_SIZE), ==, SP_ERR_INVALID_KEY);
    g_assert_cmpint (sp_kyber1024_decapsulate (ss, secret_key, SP_KYBER_SECRET_KEY_SIZE,
                                               NULL, SP_KYBER_CIPHERTEXT_SIZE), ==, SP_ERR_MALFORMED);
    assert_filled (ss, sizeof ss, 0xaa);
  }

  /* NULL outputs are argument errors. */
  g_assert_cmpint (sp_kyber1024_keypair_from_seed (NULL, secret_key, seed), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_kyber1024_keypair (public_key, NULL), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_kyber1024_decapsulate (NULL, secret_key, SP_KYBER_SECRET_KEY_SIZE,
                                             ct, SP_KYBER_CIPHERTEXT_SIZE), ==, SP_ERR_INVALID_ARGUMENT);

  /* After all that the valid inputs still agree. */
  {
    uint8_t sent[32];

    g_assert_cmpint (sp_kyber1024_encapsulate (ct, sent, public_key, SP_KYBER_PUBLIC_KEY_SIZE, NULL),
                     ==, SP_OK);
    g_assert_cmpint (sp_kyber1024_decapsulate (ss, secret_key, SP_KYBER_SECRET_KEY_SIZE,
                                               ct, SP_KYBER_CIPHERTEXT_SIZE), ==, SP_OK);
    g_assert_cmpmem (ss, sizeof ss, sent, sizeof sent);
  }

  sodium_free (secret_key);
}

/* FIPS 202 test values for the helpers the KEM is built on. */
static void
test_hash_vectors (void)
{
  uint8_t out256[32];
  uint8_t out512[64];
  uint8_t stream[400];
  uint8_t pieces[400];
  SpShake shake;

  g_assert_cmpint (sp_sha3_256 (out256, NULL, 0), ==, SP_OK);
  test_assert_hex (out256, sizeof out256, "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
  g_assert_cmpint (sp_sha3_512 (out512, (const uint8_t *) "abc", 3), ==, SP_OK);
  test_assert_hex (out512, sizeof out512,
                   "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e"
                   "10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0");
  g_assert_cmpint (sp_shake256 (out256, sizeof out256, NULL, 0), ==, SP_OK);
  test_assert_hex (out256, sizeof out256, "46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762f");

  /* SHAKE-128 squeezed in uneven pieces is one continuous stream, and a
   * reset starts a new message on the same handle. */
  g_assert_cmpint (sp_shake_init (&shake, SP_SHAKE_128), ==, SP_OK);
  g_assert_cmpint (sp_shake_absorb (&shake, NULL, 0), ==, SP_OK);
  g_assert_cmpint (sp_shake_squeeze (&shake, out256, sizeof out256), ==, SP_OK);
  test_assert_hex (out256, sizeof out256, "7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26");

  sp_shake_reset (&shake);
  g_assert_cmpint (sp_shake_absorb (&shake, (const uint8_t *) "ab", 2), ==, SP_OK);
  g_assert_cmpint (sp_shake_absorb (&shake, (const uint8_t *) "c", 1), ==, SP_OK);
  g_assert_cmpint (sp_shake_squeeze (&shake, stream, sizeof stream), ==, SP_OK);
  test_assert_hex (stream + sizeof stream - 32, 32,
                   "35d6dbb75651b284076f5fde47b4a0586ee173e30bd4d08f2bc59c6114bdd745");
  /* Absorbing after squeezing would be silently ignored by libgcrypt. */
  g_assert_cmpint (sp_shake_absorb (&shake, (const uint8_t *) "x", 1), ==, SP_ERR_INVALID_ARGUMENT);

  sp_shake_reset (&shake);
  g_assert_cmpint (sp_shake_absorb (&shake, (const uint8_t *) "abc", 3), ==, SP_OK);
  g_assert_cmpint (sp_shake_squeeze (&shake, pieces, 1), ==, SP_OK);
  g_assert_cmpint (sp_shake_squeeze (&shake, pieces + 1, 167), ==, SP_OK);
  g_assert_cmpint (sp_shake_squeeze (&shake, pieces + 168, 200), ==, SP_OK);
  g_assert_cmpint (sp_shake_squeeze (&shake, pieces + 368, 32), ==, SP_OK);
  g_assert_cmpmem (pieces, sizeof pieces, stream, sizeof stream);

  sp_shake_clear (&shake);
  sp_shake_clear (&shake);
  g_assert_cmpint (sp_shake_squeeze (&shake, out256, sizeof out256), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_shake_init (&shake, (SpShakeVariant) 7), ==, SP_ERR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/protocol/kyber1024/hash-vectors", test_hash_vectors);
  g_test_add_func ("/protocol/kyber1024/kat", test_kat);
  g_test_add_func ("/protocol/kyber1024/deterministic", test_deterministic);
  g_test_add_func ("/protocol/kyber1024/round-trip", test_round_trip);
  g_test_add_func ("/protocol/kyber1024/implicit-rejection", test_implicit_rejection);
  g_test_add_func ("/protocol/kyber1024/rejects-bad-input", test_rejects_bad_input);

  return g_test_run ();
}
