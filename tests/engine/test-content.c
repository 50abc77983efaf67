/* test-content.c: Sotto's inner content format
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "sotto-content.h"

#define ID "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
#define OTHER_ID "11111111-2222-4333-8444-555555555555"

static GBytes *
from_hex (const char *hex)
{
  gsize len = strlen (hex) / 2;
  guint8 *data = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    data[i] = (g_ascii_xdigit_value (hex[2 * i]) << 4) | g_ascii_xdigit_value (hex[2 * i + 1]);

  return g_bytes_new_take (data, len);
}

static SottoContent *
decode_bytes (GBytes  *bytes,
              GError **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return sotto_content_decode (data, len, error);
}

/* The format is pinned byte for byte: two Sotto versions must agree. */
static void
test_content_known_answer (void)
{
  g_autoptr(SottoContent) content = sotto_content_new_text (ID, 0x0102030405060708, "al", "Hi");
  g_autoptr(GBytes) encoded = sotto_content_encode (content);
  g_autoptr(GBytes) expected = NULL;
  g_autoptr(GString) hex = g_string_new ("01"                                 /* version */
                                         "01"                                 /* text */
                                         "0f1e2d3c4b5a49788695a4b3c2d1e0f9"   /* id */
                                         "0102030405060708"                   /* timestamp */
                                         "02" "616c"                          /* sender */
                                         "00000002" "4869");                  /* text */

  while (hex->len < 2 * SOTTO_CONTENT_BLOCK_SIZE)
    g_string_append (hex, "00");
  expected = from_hex (hex->str);

  g_assert_true (g_bytes_equal (encoded, expected));
}

static void
test_content_round_trip (void)
{
  const char *texts[] = { "", "a", "Grüße, ✓", "line one\nline two" };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(SottoContent) content = sotto_content_new_text (ID, 1767225600000, "alice", texts[i]);
      g_autoptr(GBytes) encoded = sotto_content_encode (content);
      g_autoptr(SottoContent) decoded = NULL;
      g_autoptr(GError) error = NULL;

      decoded = decode_bytes (encoded, &error);
      g_assert_no_error (error);
      g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_TEXT);
      g_assert_cmpstr (decoded->id, ==, ID);
      g_assert_cmpint (decoded->timestamp, ==, 1767225600000);
      g_assert_cmpstr (decoded->sender, ==, "alice");
      g_assert_cmpstr (decoded->text, ==, texts[i]);
      g_assert_null (decoded->receipts);
    }
}

static void
test_content_receipts (void)
{
  const char *ids[] = { ID, OTHER_ID, NULL };
  g_autoptr(SottoContent) content = NULL;
  g_autoptr(SottoContent) decoded = NULL;
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(GError) error = NULL;

  content = sotto_content_new_receipt (SOTTO_CONTENT_KIND_READ_RECEIPT, OTHER_ID, 42, ids);
  encoded = sotto_content_encode (content);
  decoded = decode_bytes (encoded, &error);
  g_assert_no_error (error);

  g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_READ_RECEIPT);
  g_assert_cmpstr (decoded->id, ==, OTHER_ID);
  g_assert_null (decoded->sender);
  g_assert_cmpuint (g_strv_length (decoded->receipts), ==, 2);
  g_assert_cmpstr (decoded->receipts[0], ==, ID);
  g_assert_cmpstr (decoded->receipts[1], ==, OTHER_ID);
}

/* Lengths leak only to within a block. */
static void
test_content_padding (void)
{
  gsize previous = 0;

  for (gsize len = 0; len < 1000; len += 7)
    {
      g_autofree char *text = g_strnfill (len, 'x');
      g_autoptr(SottoContent) content = sotto_content_new_text (ID, 1, "bob", text);
      g_autoptr(GBytes) encoded = sotto_content_encode (content);
      gsize size = g_bytes_get_size (encoded);

      g_assert_cmpuint (size % SOTTO_CONTENT_BLOCK_SIZE, ==, 0);
      g_assert_cmpuint (size, >=, 31 + 3 + len);
      g_assert_cmpuint (size - (31 + 3 + len), <, SOTTO_CONTENT_BLOCK_SIZE);
      g_assert_cmpuint (size, >=, previous);
      previous = size;
    }
}

static void
assert_refused (GBytes *bytes,
                int     code)
{
  g_autoptr(SottoContent) content = NULL;
  g_autoptr(GError) error = NULL;

  content = decode_bytes (bytes, &error);
  g_assert_error (error, SOTTO_CONTENT_ERROR, code);
  g_assert_null (content);
}

static GBytes *
patched (GBytes *bytes,
         gsize   offset,
         guint8  value)
{
  gsize len;
  guint8 *data = g_bytes_unref_to_data (g_bytes_ref (bytes), &len);

  g_assert_cmpuint (offset, <, len);
  data[offset] = value;

  return g_bytes_new_take (data, len);
}

static void
test_content_strict (void)
{
  g_autoptr(SottoContent) content = sotto_content_new_text (ID, 7, "al", "Hi");
  g_autoptr(GBytes) good = sotto_content_encode (content);
  gsize len = g_bytes_get_size (good);
  const guint8 *data = g_bytes_get_data (good, NULL);
  g_autoptr(GBytes) newer = patched (good, 0, 2);
  g_autoptr(GBytes) kind = patched (good, 1, 9);
  g_autoptr(GBytes) padding = patched (good, len - 1, 1);
  g_autoptr(GBytes) long_sender = patched (good, 26, 33);
  g_autoptr(GBytes) bad_sender = patched (good, 27, 'A');
  g_autoptr(GBytes) long_payload = patched (good, 32, 200);
  g_autoptr(GBytes) short_payload = patched (good, 32, 1);
  g_autoptr(GBytes) nul = patched (good, 33, 0);
  g_autoptr(GBytes) not_utf8 = patched (good, 33, 0xff);
  g_autoptr(GBytes) truncated = g_bytes_new (data, len - 1);
  g_autoptr(GBytes) tiny = g_bytes_new (data, 20);
  g_autofree guint8 *doubled = g_malloc0 (2 * len);
  g_autoptr(GBytes) extra_block = NULL;

  memcpy (doubled, data, len);
  extra_block = g_bytes_new (doubled, 2 * len);

  assert_refused (newer, SOTTO_CONTENT_ERROR_VERSION);
  assert_refused (kind, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (padding, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (long_sender, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (bad_sender, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (long_payload, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (short_payload, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (nul, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (not_utf8, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (truncated, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (tiny, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (extra_block, SOTTO_CONTENT_ERROR_MALFORMED);
}

static void
test_content_strict_receipts (void)
{
  const char *ids[] = { ID, NULL };
  g_autoptr(SottoContent) content = sotto_content_new_receipt (SOTTO_CONTENT_KIND_DELIVERY_RECEIPT,
                                                              OTHER_ID, 7, ids);
  g_autoptr(GBytes) good = sotto_content_encode (content);
  g_autoptr(GBytes) with_sender = patched (good, 26, 1);
  g_autoptr(GBytes) empty = patched (good, 30, 0);
  g_autoptr(GBytes) ragged = patched (good, 30, 15);

  /* A receipt names no sender; its ids are whole. */
  assert_refused (with_sender, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (empty, SOTTO_CONTENT_ERROR_MALFORMED);
  assert_refused (ragged, SOTTO_CONTENT_ERROR_MALFORMED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/content/known-answer", test_content_known_answer);
  g_test_add_func ("/engine/content/round-trip", test_content_round_trip);
  g_test_add_func ("/engine/content/receipts", test_content_receipts);
  g_test_add_func ("/engine/content/padding", test_content_padding);
  g_test_add_func ("/engine/content/strict", test_content_strict);
  g_test_add_func ("/engine/content/strict-receipts", test_content_strict_receipts);

  return g_test_run ();
}
