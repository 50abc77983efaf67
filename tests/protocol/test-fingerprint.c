/* test-fingerprint.c: safety numbers, displayable and scannable
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib.h>
#include <sodium.h>
#include <string.h>

#include "protocol-test-util.h"
#include "sp-error.h"
#include "sp-fingerprint.h"
#include "sp-init.h"
#include "sp-keys.h"

typedef struct {
  const char *local_scalar;
  const char *local_public;
  const char *local_id;      /* hex */
  const char *remote_scalar;
  const char *remote_public;
  const char *remote_id;
  const char *local_hash;    /* the first 30 bytes */
  const char *remote_hash;
  const char *displayable;
  const char *scannable;
} Vector;

/* Spec section 2.2, from libsignal 0.103 with Fingerprint.new (5200, 2, ...). */
static const Vector vectors[] = {
  {
    "0101010101010101010101010101010101010101010101010101010101010101",
    "05a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209",
    "2b3134313532323232323232",
    "0202020202020202020202020202020202020202020202020202020202020202",
    "05ce8d3ad1ccb633ec7b70c17814a5c76ecd029685050d344745ba05870e587d59",
    "2b3134313533333333333333",
    "a2ccff675d002afbb83f4aa0e716d656db04d4165e9ef837b97d031a0bb9",
    "3fa2d0b8d5cea6d48eb86cec83f10c76a3958f129361175da88c573ba782",
    "274451100037868286261376848738921573977579126141989314550585",
    "080212220a20a2ccff675d002afbb83f4aa0e716d656db04d4165e9ef837b97d031a0bb9c343"
    "1a220a203fa2d0b8d5cea6d48eb86cec83f10c76a3958f129361175da88c573ba78296f1",
  },
  {
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    "058f40c5adb68f25624ae5b214ea767a6ec94d829d3d7b5e1ad1ba6f3e2138285f",
    "39643036353261332d646363332d346431312d393735662d373464363135393837333366",
    "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f",
    "05ffe851688ca15799239e0f6deddc806858aeb0cd75c8eaf0d7c726572e91291f",
    "65336430613361312d316635662d346138652d386133322d633361336238653765346131",
    "cce3278fdbf3eb2b4cc7b6e3708f2ee0449bfca442b4de4aa06316959139",
    "ddd8411f09da8d85ae554c3b7a2e4441f2d8f5ab0b9d1acc74137731e461",
    "188571890177476791791944437057491473639152590477480851263097",
    "080212220a20cce3278fdbf3eb2b4cc7b6e3708f2ee0449bfca442b4de4aa06316959139fa2b"
    "1a220a20ddd8411f09da8d85ae554c3b7a2e4441f2d8f5ab0b9d1acc74137731e461d062",
  },
  {
    "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5",
    "055fef13fc76023a9ee6ded987b6aa93958cdc2097ef9fc845d5319c9ca100d35e",
    "0123456789abcdef0123456789abcdef",
    "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
    "05b0d08f35b4683381489afb32825e59152d47d19bc9e050d6d5a954984c9d1e2c",
    "fedcba9876543210fedcba9876543210",
    "845fe409e03b4f0b0cc7ad8bc0598fea56e8c88a1ad6a9ffab877461fc79",
    "d5d357705f16bca1f65c2923ec7b1024e75a5ec07a84251b24b8ae76578b",
    "570231148459696820483440473707633289469581071435301495563641",
    "080212220a20845fe409e03b4f0b0cc7ad8bc0598fea56e8c88a1ad6a9ffab877461fc79a0f2"
    "1a220a20d5d357705f16bca1f65c2923ec7b1024e75a5ec07a84251b24b8ae76578bf2e2",
  },
};

static void
key_from_scalar (SpPublicKey *out,
                 const char  *scalar_hex,
                 const char  *expected_public)
{
  uint8_t scalar[32];
  SpKeyPair pair;
  g_autofree char *hex = NULL;

  test_unhex (scalar, sizeof scalar, scalar_hex);
  g_assert_cmpint (sp_key_pair_from_private (&pair, scalar, sizeof scalar), ==, SP_OK);
  hex = test_hex_of (pair.public_key.bytes, SP_PUBLIC_KEY_SIZE);
  g_assert_cmpstr (hex, ==, expected_public);
  *out = pair.public_key;
  sodium_memzero (&pair, sizeof pair);
}

/* Scannable form with the two halves swapped: what the other side makes. */
static char *
swapped_scannable (const char *scannable)
{
  /* "0802", then "12" and "1a", each followed by a 35-byte
   * LogicalFingerprint (length, tag, length, 32 bytes). */
  g_autofree char *local = g_strndup (scannable + 6, 70);
  g_autofree char *remote = g_strndup (scannable + 78, 70);

  g_assert_cmpuint (strlen (scannable), ==, 148);
  return g_strdup_printf ("080212%s1a%s", remote, local);
}

static void
test_known_answers (void)
{
  for (size_t i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      const Vector *v = &vectors[i];
      g_autoptr(GBytes) local_id = test_bytes_from_hex (v->local_id);
      g_autoptr(GBytes) remote_id = test_bytes_from_hex (v->remote_id);
      g_autofree char *scannable = NULL, *their_scannable = NULL;
      g_autofree char *expected_theirs = swapped_scannable (v->scannable);
      SpPublicKey local_key, remote_key;
      SpFingerprint ours, theirs;
      bool matches = false;

      key_from_scalar (&local_key, v->local_scalar, v->local_public);
      key_from_scalar (&remote_key, v->remote_scalar, v->remote_public);

      g_assert_cmpint (sp_fingerprint_create (&ours, SP_FINGERPRINT_ITERATIONS, SP_FINGERPRINT_VERSION,
                                              g_bytes_get_data (local_id, NULL), g_bytes_get_size (local_id),
                                              &local_key,
                                              g_bytes_get_data (remote_id, NULL), g_bytes_get_size (remote_id),
                                              &remote_key), ==, SP_OK);
      g_assert_cmpstr (ours.displayable, ==, v->displayable);
      scannable = test_hex_of (ours.scannable, ours.scannable_len);
      g_assert_cmpstr (scannable, ==, v->scannable);
      g_assert_true (g_str_has_prefix (scannable + 12, v->local_hash));
      g_assert_true (g_str_has_prefix (scannable + 12 + 72, v->remote_hash));

      /* The other side sees the same number and the mirrored scannable form. */
      g_assert_cmpint (sp_fingerprint_create (&theirs, SP_FINGERPRINT_ITERATIONS, SP_FINGERPRINT_VERSION,
                                              g_bytes_get_data (remote_id, NULL), g_bytes_get_size (remote_id),
                                              &remote_key,
                                              g_bytes_get_data (local_id, NULL), g_bytes_get_size (local_id),
                                              &local_key), ==, SP_OK);
      g_assert_cmpstr (theirs.displayable, ==, v->displayable);
      their_scannable = test_hex_of (theirs.scannable, theirs.scannable_len);
      g_assert_cmpstr (their_scannable, ==, expected_theirs);

      g_assert_cmpint (sp_fingerprint_compare (ours.scannable, ours.scannable_len,
                                               theirs.scannable, theirs.scannable_len, &matches), ==, SP_OK);
      g_assert_true (matches);
      matches = false;
      g_assert_cmpint (sp_fingerprint_compare (theirs.scannable, theirs.scannable_len,
                                               ours.scannable, ours.scannable_len, &matches), ==, SP_OK);
      g_assert_true (matches);

      /* Our own form is not a match: the halves are the wrong way round. */
      g_assert_cmpint (sp_fingerprint_compare (ours.scannable, ours.scannable_len,
                                               ours.scannable, ours.scannable_len, &matches), ==, SP_OK);
      g_assert_false (matches);
    }
}

/* libsignal's unit-test vectors (rust/protocol fingerprint.rs): the
 * displayable number does not depend on the version, the scannable form
 * does. */
static void
test_libsignal_versions (void)
{
  static const char *alice_hex = "0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868";
  static const char *bob_hex = "05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b";
  static const char *alice_id = "+14152222222";
  static const char *bob_id = "+14153333333";
  static const char *logical_alice = "220a201e301a0353dce3dbe7684cb8336e85136cdc0ee96219494ada305d62a7bd61df";
  static const char *logical_bob = "220a20d62cbf73a11592015b6b9f1682ac306fea3aaf3885b84d12bca631e9d4fb3a4d";
  uint8_t bytes[SP_PUBLIC_KEY_SIZE];
  SpPublicKey alice, bob;

  test_unhex (bytes, sizeof bytes, alice_hex);
  g_assert_cmpint (sp_public_key_decode (&alice, bytes, sizeof bytes), ==, SP_OK);
  test_unhex (bytes, sizeof bytes, bob_hex);
  g_assert_cmpint (sp_public_key_decode (&bob, bytes, sizeof bytes), ==, SP_OK);

  for (uint32_t version = 1; version <= 2; version++)
    {
      SpFingerprint a, b;
      g_autofree char *a_hex = NULL, *b_hex = NULL;
      g_autofree char *a_expected = g_strdup_printf ("08%02x12%s1a%s", version, logical_alice, logical_bob);
      g_autofree char *b_expected = g_strdup_printf ("08%02x12%s1a%s", version, logical_bob, logical_alice);

      g_assert_cmpint (sp_fingerprint_create (&a, 5200, version,
                                              (const uint8_t *) alice_id, strlen (alice_id), &alice,
                                              (const uint8_t *) bob_id, strlen (bob_id), &bob), ==, SP_OK);
      g_assert_cmpint (sp_fingerprint_create (&b, 5200, version,
                                              (const uint8_t *) bob_id, strlen (bob_id), &bob,
                                              (const uint8_t *) alice_id, strlen (alice_id), &alice), ==, SP_OK);
      g_assert_cmpstr (a.displayable, ==, "300354477692869396892869876765458257569162576843440918079131");
      g_assert_cmpstr (b.displayable, ==, a.displayable);
      a_hex = test_hex_of (a.scannable, a.scannable_len);
      b_hex = test_hex_of (b.scannable, b.scannable_len);
      g_assert_cmpstr (a_hex, ==, a_expected);
      g_assert_cmpstr (b_hex, ==, b_expected);
    }
}

static void
make_pair (SpFingerprint *ours,
           SpFingerprint *theirs,
           uint32_t       iterations,
           uint32_t       our_version,
           uint32_t       their_version)
{
  SpKeyPair a, b;

  g_assert_cmpint (sp_key_pair_generate (&a), ==, SP_OK);
  g_assert_cmpint (sp_key_pair_generate (&b), ==, SP_OK);
  g_assert_cmpint (sp_fingerprint_create (ours, iterations, our_version,
                                          (const uint8_t *) "a", 1, &a.public_key,
                                          (const uint8_t *) "b", 1, &b.public_key), ==, SP_OK);
  g_assert_cmpint (sp_fingerprint_create (theirs, iterations, their_version,
                                          (const uint8_t *) "b", 1, &b.public_key,
                                          (const uint8_t *) "a", 1, &a.public_key), ==, SP_OK);
  g_assert_cmpuint (strlen (ours->displayable), ==, SP_FINGERPRINT_DIGITS);
  sodium_memzero (&a, sizeof a);
  sodium_memzero (&b, sizeof b);
}

static void
test_compare_mismatch (void)
{
  SpFingerprint ours, theirs, other_ours, other_theirs;
  bool matches = true;

  make_pair (&ours, &theirs, 2, 2, 2);
  make_pair (&other_ours, &other_theirs, 2, 2, 2);
  g_assert_cmpstr (ours.displayable, !=, other_ours.displayable);
  g_assert_cmpint (sp_fingerprint_compare (ours.scannable, ours.scannable_len,
                                           other_theirs.scannable, other_theirs.scannable_len,
                                           &matches), ==, SP_OK);
  g_assert_false (matches);

  /* One changed byte in either half is enough. */
  for (size_t offset = 6; offset < theirs.scannable_len; offset += 36)
    {
      uint8_t changed[SP_FINGERPRINT_SCANNABLE_MAX];

      memcpy (changed, theirs.scannable, theirs.scannable_len);
      changed[offset + 5] ^= 0x01;
      matches = true;
      g_assert_cmpint (sp_fingerprint_compare (ours.scannable, ours.scannable_len,
                                               changed, theirs.scannable_len, &matches), ==, SP_OK);
      g_assert_false (matches);
    }
}

static void
test_compare_version_mismatch (void)
{
  SpFingerprint ours, theirs;
  bool matches = true;
  /* no version field: read as version 0 */
  static const uint8_t no_version[] = { 0x12, 0x02, 0x0a, 0x00, 0x1a, 0x02, 0x0a, 0x00 };
  /* version 2, then nothing: the versions agree, so the missing halves count */
  static const uint8_t version_only[] = { 0x08, 0x02 };

  make_pair (&ours, &theirs, 2, 2, 1);
  g_assert_cmpint (sp_fingerprint_compare (ours.scannable, ours.scannable_len,
                                           theirs.scannable, theirs.scannable_len, &matches),
                   ==, SP_ERR_VERSION_MISMATCH);
  g_assert_true (matches);

  g_assert_cmpint (sp_fingerprint_compare (ours.scannable, ours.scannable_len,
                                           no_version, sizeof no_version, &matches),
                   ==, SP_ERR_VERSION_MISMATCH);
  g_assert_cmpint (sp_fingerprint_compare (ours.scannable, ours.scannable_len,
                                           version_only, sizeof version_only, &matches),
                   ==, SP_ERR_MALFORMED);
  /* Version mismatch wins over missing halves, as in libsignal. */
  g_assert_cmpint (sp_fingerprint_compare (ours.scannable, ours.scannable_len,
                                           (const uint8_t *) "\x08\x01", 2, &matches),
                   ==, SP_ERR_VERSION_MISMATCH);
}

static void
test_compare_malformed (void)
{
  SpFingerprint ours, theirs;
  bool matches = true;
  /* the version as a length-delimited field */
  static const uint8_t wrong_wire_type[] = { 0x0a, 0x01, 0x02 };

  make_pair (&ours, &theirs, 2, 2, 2);

  /* Truncations of their form: the empty one has version 0, every other
   * fails to decode or lacks one of the two halves. */
  for (size_t len = 0; len < theirs.scannable_len; len++)
    g_assert_cmpint (sp_fingerprint_compare (ours.scannable, ours.scannable_len,
                                             theirs.scannable, len, &matches),
                     ==, len == 0 ? SP_ERR_VERSION_MISMATCH : SP_ERR_MALFORMED);

  g_assert_cmpint (sp_fingerprint_compare (ours.scannable, ours.scannable_len,
                                           wrong_wire_type, sizeof wrong_wire_type, &matches),
                   ==, SP_ERR_MALFORMED);
  /* Our own form must decode too. */
  g_assert_cmpint (sp_fingerprint_compare (ours.scannable, 3, theirs.scannable, theirs.scannable_len,
                                           &matches), ==, SP_ERR_MALFORMED);
  g_assert_true (matches);
}

/* Decoded like protobuf: unknown fields are skipped and fields may come
 * in any order. */
static void
test_compare_lenient_decoding (void)
{
  SpFingerprint ours, theirs;
  uint8_t reordered[SP_FINGERPRINT_SCANNABLE_MAX + 8];
  size_t half = 36;
  bool matches = false;

  make_pair (&ours, &theirs, 2, 2, 2);
  g_assert_cmpuint (theirs.scannable_len, ==, 2 + 2 * half);

  /* remote half, unknown varint field 9, local half, version */
  memcpy (reordered, theirs.scannable + 2 + half, half);
  reordered[half] = 0x48;
  reordered[half + 1] = 0x05;
  memcpy (reordered + half + 2, theirs.scannable + 2, half);
  memcpy (reordered + 2 * half + 2, theirs.scannable, 2);
  g_assert_cmpint (sp_fingerprint_compare (ours.scannable, ours.scannable_len,
                                           reordered, 2 * half + 4, &matches), ==, SP_OK);
  g_assert_true (matches);
}

static void
test_iterations (void)
{
  SpPublicKey key = { { SP_KEY_TYPE_DJB, 9 } };
  SpFingerprint out, untouched;

  memset (&untouched, 0x5a, sizeof untouched);
  out = untouched;
  g_assert_cmpint (sp_fingerprint_create (&out, 1, 2, NULL, 0, &key, NULL, 0, &key),
                   ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_fingerprint_create (&out, 0, 2, NULL, 0, &key, NULL, 0, &key),
                   ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_fingerprint_create (&out, SP_FINGERPRINT_MAX_ITERATIONS + 1, 2, NULL, 0, &key,
                                          NULL, 0, &key), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpmem (&out, sizeof out, &untouched, sizeof untouched);

  g_assert_cmpint (sp_fingerprint_create (&out, SP_FINGERPRINT_MIN_ITERATIONS, 2, NULL, 0, &key,
                                          NULL, 0, &key), ==, SP_OK);
  g_assert_cmpuint (strlen (out.displayable), ==, SP_FINGERPRINT_DIGITS);
}

/* The scannable form carries any 32-bit version as a varint. */
static void
test_large_version (void)
{
  SpFingerprint ours, theirs;
  bool matches = false;

  make_pair (&ours, &theirs, 2, UINT32_MAX, UINT32_MAX);
  g_assert_cmpuint (ours.scannable_len, ==, 6 + 2 * 36);
  g_assert_cmpint (sp_fingerprint_compare (ours.scannable, ours.scannable_len,
                                           theirs.scannable, theirs.scannable_len, &matches), ==, SP_OK);
  g_assert_true (matches);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/protocol/fingerprint/known-answers", test_known_answers);
  g_test_add_func ("/protocol/fingerprint/libsignal-versions", test_libsignal_versions);
  g_test_add_func ("/protocol/fingerprint/compare/mismatch", test_compare_mismatch);
  g_test_add_func ("/protocol/fingerprint/compare/version-mismatch", test_compare_version_mismatch);
  g_test_add_func ("/protocol/fingerprint/compare/malformed", test_compare_malformed);
  g_test_add_func ("/protocol/fingerprint/compare/lenient-decoding", test_compare_lenient_decoding);
  g_test_add_func ("/protocol/fingerprint/iterations", test_iterations);
  g_test_add_func ("/protocol/fingerprint/large-version", test_large_version);

  return g_test_run ();
}
