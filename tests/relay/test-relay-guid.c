/* test-relay-guid.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Envelope GUIDs: AES-128 of an entry's id and tag, written like a UUID.
 */

#include "config.h"

#include "relay-guid.h"

static const guint8 fips_key[RELAY_GUID_KEY_SIZE] = {
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
  0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};

/* FIPS-197, appendix C.1: the id and the tag are the block's two
 * big-endian halves. */
static void
test_known_answer (void)
{
  g_autoptr(RelayGuidCipher) cipher = relay_guid_cipher_new (fips_key);
  char guid[RELAY_UUID_LENGTH + 1];
  gint64 id;
  gint64 tag;

  relay_guid_encode (cipher, G_GINT64_CONSTANT (0x0011223344556677),
                     (gint64) G_GUINT64_CONSTANT (0x8899aabbccddeeff), guid);
  g_assert_cmpstr (guid, ==, "69c4e0d8-6a7b-0430-d8cd-b78070b4c55a");
  g_assert_true (relay_guid_decode (cipher, guid, &id, &tag));
  g_assert_cmpint (id, ==, G_GINT64_CONSTANT (0x0011223344556677));
  g_assert_cmpint (tag, ==, (gint64) G_GUINT64_CONSTANT (0x8899aabbccddeeff));
}

/* Neighbouring ids give GUIDs that share nothing a client could count
 * with, and another key gives other GUIDs. */
static void
test_round_trip (void)
{
  guint8 other_key[RELAY_GUID_KEY_SIZE] = { 1 };
  g_autoptr(RelayGuidCipher) cipher = relay_guid_cipher_new (fips_key);
  g_autoptr(RelayGuidCipher) other = relay_guid_cipher_new (other_key);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  char previous[RELAY_UUID_LENGTH + 1] = "";

  for (gint64 id = 1; id <= 1000; id++)
    {
      char guid[RELAY_UUID_LENGTH + 1];
      char other_guid[RELAY_UUID_LENGTH + 1];
      gint64 decoded_id;
      gint64 decoded_tag;

      relay_guid_encode (cipher, id, -42, guid);
      g_assert_true (relay_uuid_is_valid (guid, strlen (guid)));
      g_assert_true (relay_guid_decode (cipher, guid, &decoded_id, &decoded_tag));
      g_assert_cmpint (decoded_id, ==, id);
      g_assert_cmpint (decoded_tag, ==, -42);
      g_assert_cmpint (strncmp (guid, previous, 4), !=, 0);
      g_assert_true (g_hash_table_add (seen, g_strdup (guid)));
      relay_guid_encode (other, id, -42, other_guid);
      g_assert_cmpstr (other_guid, !=, guid);
      memcpy (previous, guid, sizeof guid);
    }
}

static void
test_malformed (void)
{
  static const char * const malformed[] = {
    "",
    "69c4e0d8-6a7b-0430-d8cd-b78070b4c55",
    "69c4e0d8-6a7b-0430-d8cd-b78070b4c55a0",
    "69c4e0d86a7b-0430-d8cd-b78070b4c55a0",
    "69C4E0D8-6A7B-0430-D8CD-B78070B4C55A",
    "69c4e0d8-6a7b-0430-d8cd-b78070b4c55g",
  };
  g_autoptr(RelayGuidCipher) cipher = relay_guid_cipher_new (fips_key);

  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      gint64 id = 7;
      gint64 tag = 7;

      g_assert_false (relay_guid_decode (cipher, malformed[i], &id, &tag));
      g_assert_cmpint (id, ==, 7);
      g_assert_cmpint (tag, ==, 7);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/relay/guid/known-answer", test_known_answer);
  g_test_add_func ("/relay/guid/round-trip", test_round_trip);
  g_test_add_func ("/relay/guid/malformed", test_malformed);

  return g_test_run ();
}
