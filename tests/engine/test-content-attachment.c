/* test-content-attachment.c: attachment pointers in the inner content
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* For memmem(). */
#define _GNU_SOURCE

#include "config.h"

#include <string.h>

#include "sp-init.h"

#include "sotto-content-private.h"

#define ID "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
#define BLOB_ID "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

/* A PNG's signature and header chunk, which declares 320 × 200 pixels
 * (bytes 16 to 23), 8-bit RGB; its CRC is not checked before decoding. */
static const guint8 png_start[] = {
  0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
  0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0x01, 0x40, 0, 0, 0, 200, 8, 2, 0, 0, 0,
};
#define PNG_WIDTH_AT 16

/* A JPEG's start, an APP0 segment and a baseline frame header that
 * declares 300 × 240 pixels (height at 24, width at 26). */
static const guint8 jpeg_start[] = {
  0xff, 0xd8,
  0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
  0xff, 0xc0, 0, 11, 8, 0, 240, 0x01, 0x2c, 1, 1, 0x11, 0,
};
#define JPEG_HEIGHT_AT 25

static SottoAttachmentPointer *
new_pointer (const char *file_name,
             gsize       thumbnail_size)
{
  SottoAttachmentPointer *pointer = sotto_attachment_pointer_new ();

  pointer->blob_id = g_strdup (BLOB_ID);
  memset (pointer->key, 0x5a, SP_ATTACHMENT_KEY_SIZE);
  memset (pointer->digest, 0xa5, SP_ATTACHMENT_DIGEST_SIZE);
  pointer->size = 150 * 1000 * 1000;
  pointer->content_type = g_strdup ("image/png");
  pointer->file_name = g_strdup (file_name);
  if (thumbnail_size > 0)
    {
      guint8 *thumbnail = g_malloc0 (thumbnail_size);

      memcpy (thumbnail, png_start, sizeof png_start);
      pointer->thumbnail = g_bytes_new_take (thumbnail, thumbnail_size);
    }

  return pointer;
}

static SottoContent *
new_content (const char *text,
             guint       n_attachments,
             gsize       thumbnail_size)
{
  SottoContent *content = sotto_content_new_text (ID, 42, "al", text);

  content->attachments = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_attachment_pointer_free);
  for (guint i = 0; i < n_attachments; i++)
    g_ptr_array_add (content->attachments, new_pointer ("Ferien.png", thumbnail_size));

  return content;
}

static SottoContent *
decode (GBytes  *bytes,
        GError **error)
{
  return sotto_content_decode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), error);
}

/* A message with files and a caption decodes to the same files: blob,
 * key, digest, size, type, name and thumbnail. */
static void
test_round_trip (void)
{
  g_autoptr(SottoContent) content = new_content ("Look", 2, 1000);
  g_autoptr(GBytes) encoded = sotto_content_encode (content);
  g_autoptr(GError) error = NULL;
  g_autoptr(SottoContent) decoded = decode (encoded, &error);

  g_assert_no_error (error);
  g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_TEXT);
  g_assert_cmpstr (decoded->text, ==, "Look");
  g_assert_nonnull (decoded->attachments);
  g_assert_cmpuint (decoded->attachments->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      SottoAttachmentPointer *want = g_ptr_array_index (content->attachments, i);
      SottoAttachmentPointer *got = g_ptr_array_index (decoded->attachments, i);

      g_assert_cmpstr (got->blob_id, ==, want->blob_id);
      g_assert_cmpmem (got->key, SP_ATTACHMENT_KEY_SIZE, want->key, SP_ATTACHMENT_KEY_SIZE);
      g_assert_cmpmem (got->digest, SP_ATTACHMENT_DIGEST_SIZE, want->digest, SP_ATTACHMENT_DIGEST_SIZE);
      g_assert_cmpuint (got->size, ==, want->size);
      g_assert_cmpstr (got->content_type, ==, want->content_type);
      g_assert_cmpstr (got->file_name, ==, want->file_name);
      g_assert_true (g_bytes_equal (got->thumbnail, want->thumbnail));
    }
}

/* Files without a caption are a message with empty text. */
static void
test_no_caption (void)
{
  g_autoptr(SottoContent) content = new_content ("", 1, 0);
  g_autoptr(GBytes) encoded = sotto_content_encode (content);
  g_autoptr(GError) error = NULL;
  g_autoptr(SottoContent) decoded = decode (encoded, &error);

  g_assert_no_error (error);
  g_assert_cmpint (decoded->kind, ==, SOTTO_CONTENT_KIND_TEXT);
  g_assert_cmpstr (decoded->text, ==, "");
  g_assert_cmpuint (decoded->attachments->len, ==, 1);
}

/* A message with files requires content level 3: it says so, so that an
 * older Sotto shows a placeholder instead of the caption alone. */
static void
test_required_level (void)
{
  g_autoptr(SottoContent) content = new_content ("Look", 1, 0);
  g_autoptr(GBytes) encoded = sotto_content_encode (content);
  const guint8 level_field[] = { 0x50, SOTTO_CONTENT_LEVEL_ATTACHMENTS };

  g_assert_cmpint (SOTTO_CONTENT_LEVEL, >=, SOTTO_CONTENT_LEVEL_ATTACHMENTS);
  g_assert_nonnull (memmem (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded),
                            level_field, sizeof level_field));
}

static void
assert_refused (SottoContent *content)
{
  g_autoptr(GBytes) encoded = NULL;

  /* A programming error, which the encoder refuses loudly. */
  g_test_expect_message ("sotto-content", G_LOG_LEVEL_CRITICAL, "*attachments*");
  encoded = sotto_content_encode (content);
  g_test_assert_expected_messages ();
  g_assert_null (encoded);
}

/* The encoder refuses what the decoder would: more than 32 files, a
 * thumbnail over 64 KiB, thumbnails over 128 KiB together, a thumbnail
 * that is not a JPEG or PNG, a content type that is not one. */
static void
test_bounds_encode (void)
{
  g_autoptr(SottoContent) too_many = new_content ("x", SOTTO_CONTENT_MAX_ATTACHMENTS + 1, 0);
  g_autoptr(SottoContent) big_thumbnail = new_content ("x", 1, SOTTO_CONTENT_MAX_THUMBNAIL + 1);
  g_autoptr(SottoContent) thumbnails = new_content ("x", 3, SOTTO_CONTENT_MAX_THUMBNAIL);
  g_autoptr(SottoContent) not_a_picture = new_content ("x", 1, 100);
  g_autoptr(SottoContent) bad_type = new_content ("x", 1, 0);
  g_autoptr(SottoContent) most = new_content ("x", SOTTO_CONTENT_MAX_ATTACHMENTS, 0);
  g_autoptr(GBytes) encoded = NULL;
  SottoAttachmentPointer *pointer;

  pointer = g_ptr_array_index (not_a_picture->attachments, 0);
  g_clear_pointer (&pointer->thumbnail, g_bytes_unref);
  pointer->thumbnail = g_bytes_new_static ("GIF89a", 6);
  pointer = g_ptr_array_index (bad_type->attachments, 0);
  g_free (pointer->content_type);
  pointer->content_type = g_strdup ("image png");

  assert_refused (too_many);
  assert_refused (big_thumbnail);
  assert_refused (thumbnails);
  assert_refused (not_a_picture);
  assert_refused (bad_type);

  encoded = sotto_content_encode (most);
  g_assert_nonnull (encoded);
}

/* A pointer is read strictly: each required field there, with its exact
 * size; a 33rd file or a thumbnail too large is malformed; a file on a
 * reaction is malformed. */
static void
test_bounds_decode (void)
{
  g_autoptr(SottoAttachmentPointer) pointer = new_pointer ("a.png", sizeof png_start + 10);
  g_autoptr(GBytes) encoded = sotto_attachment_pointer_encode (pointer);
  gsize len = g_bytes_get_size (encoded);
  const guint8 *data = g_bytes_get_data (encoded, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SottoAttachmentPointer) again = NULL;
  g_autoptr(SottoAttachmentPointer) cut = NULL;
  g_autofree guint8 *short_id = NULL;

  again = sotto_attachment_pointer_decode (data, len, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->blob_id, ==, BLOB_ID);

  /* Without its last byte the thumbnail field runs past the end. */
  cut = sotto_attachment_pointer_decode (data, len - 1, &error);
  g_assert_null (cut);
  g_assert_error (error, SOTTO_CONTENT_ERROR, SOTTO_CONTENT_ERROR_MALFORMED);
  g_clear_error (&error);

  /* A blob id of 31 bytes. */
  short_id = g_memdup2 (data, len);
  g_assert_cmpuint (short_id[0], ==, 0x0a);
  g_assert_cmpuint (short_id[1], ==, 32);
  short_id[1] = 31;
  g_assert_null (sotto_attachment_pointer_decode (short_id, len, &error));
  g_assert_error (error, SOTTO_CONTENT_ERROR, SOTTO_CONTENT_ERROR_MALFORMED);
}

/* A file's name is shown on one line, in the app and in sotto-cli's
 * output, and is what a saved file is called: a name with a line break,
 * an escape sequence or a directional override (which makes
 * "invoice\u202efdp.exe" show as "invoiceexe.pdf") is refused when
 * read, as a hostile sender would write it, and when written. */
static void
test_file_name_one_line (void)
{
  static const char *const refused[] = {
    "a\nb.txt", "a\x1b[2J.txt", "a\x7f.txt", "invoice\u202efdp.exe", "a\u2066.txt", "a\u2029.txt",
  };
  g_autoptr(SottoAttachmentPointer) fine = new_pointer ("Ferien in Zürich 瑞士.png", 0);
  g_autoptr(GBytes) encoded = sotto_attachment_pointer_encode (fine);
  g_autoptr(SottoAttachmentPointer) decoded = NULL;
  g_autoptr(GError) error = NULL;

  decoded = sotto_attachment_pointer_decode (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (decoded->file_name, ==, fine->file_name);

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(SottoAttachmentPointer) pointer = new_pointer ("x.txt", 0);
      g_autoptr(GBytes) written = NULL;
      g_autoptr(GByteArray) forged = NULL;
      guint8 name_len = (guint8) strlen (refused[i]);
      gsize len;
      const guint8 *data;
      gsize name_at = 0;

      /* The hostile sender's pointer: a valid one with the name's bytes
       * changed; names under 128 bytes have a one-byte length. */
      written = sotto_attachment_pointer_encode (pointer);
      data = g_bytes_get_data (written, &len);
      while (name_at + 5 <= len && memcmp (data + name_at, "x.txt", 5) != 0)
        name_at++;
      g_assert_cmpuint (name_at + 5, <=, len);
      g_assert_cmpuint (data[name_at - 1], ==, 5);
      forged = g_byte_array_new ();
      g_byte_array_append (forged, data, name_at - 1);
      g_byte_array_append (forged, &name_len, 1);
      g_byte_array_append (forged, (const guint8 *) refused[i], name_len);
      g_byte_array_append (forged, data + name_at + 5, len - name_at - 5);

      g_assert_null (sotto_attachment_pointer_decode (forged->data, forged->len, &error));
      g_assert_error (error, SOTTO_CONTENT_ERROR, SOTTO_CONTENT_ERROR_MALFORMED);
      g_clear_error (&error);

      g_free (pointer->file_name);
      pointer->file_name = g_strdup (refused[i]);
      g_assert_false (sotto_attachment_pointer_is_valid (pointer));
    }
}

/* The encoded pointer with a thumbnail that starts as @start, its side
 * at @side_at set to @side, as a hostile sender writes it; stored as
 * the store keeps it when @stored. */
static GBytes *
forge_thumbnail (const guint8 *start,
                 gsize         start_len,
                 gsize         side_at,
                 guint16       side,
                 gboolean      stored)
{
  g_autoptr(SottoAttachmentPointer) pointer = new_pointer ("x.png", 0);
  g_autoptr(GBytes) written = NULL;
  const guint8 *data;
  gsize len;
  gsize at = 0;
  guint8 *forged;

  pointer->thumbnail = g_bytes_new (start, start_len);
  written = stored ? _sotto_attachment_pointer_encode_stored (pointer) : sotto_attachment_pointer_encode (pointer);
  data = g_bytes_get_data (written, &len);
  while (at + start_len <= len && memcmp (data + at, start, start_len) != 0)
    at++;
  g_assert_cmpuint (at + start_len, <=, len);
  forged = g_memdup2 (data, len);
  forged[at + side_at] = (guint8) (side >> 8);
  forged[at + side_at + 1] = (guint8) side;
  return g_bytes_new_take (forged, len);
}

/* A thumbnail is decoded as soon as its message is shown, before the
 * user asked for anything, and on the thread that shows it: one that
 * declares more pixels than a thumbnail has is refused when read, as a
 * hostile sender would write it (an 8 KiB PNG can declare 8192 × 8192
 * pixels, a quarter of a gigabyte to decode), and left out of a message
 * the store kept from before. */
static void
test_thumbnail_declared_size (void)
{
  const struct { const guint8 *start; gsize len; gsize side_at; } pictures[] = {
    { png_start, sizeof png_start, PNG_WIDTH_AT + 2 },
    { png_start, sizeof png_start, PNG_WIDTH_AT + 6 },
    { jpeg_start, sizeof jpeg_start, JPEG_HEIGHT_AT },
    { jpeg_start, sizeof jpeg_start, JPEG_HEIGHT_AT + 2 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (pictures); i++)
    {
      g_autoptr(GBytes) fine = forge_thumbnail (pictures[i].start, pictures[i].len, pictures[i].side_at,
                                                SOTTO_CONTENT_MAX_THUMBNAIL_SIDE, FALSE);
      g_autoptr(GBytes) bomb = forge_thumbnail (pictures[i].start, pictures[i].len, pictures[i].side_at, 8192, FALSE);
      g_autoptr(GBytes) stored = forge_thumbnail (pictures[i].start, pictures[i].len, pictures[i].side_at, 8192, TRUE);
      g_autoptr(SottoAttachmentPointer) decoded = NULL;
      g_autoptr(SottoAttachmentPointer) kept = NULL;
      g_autoptr(GError) error = NULL;

      decoded = sotto_attachment_pointer_decode (g_bytes_get_data (fine, NULL), g_bytes_get_size (fine), &error);
      g_assert_no_error (error);
      g_assert_nonnull (decoded->thumbnail);
      g_assert_true (sotto_attachment_pointer_is_valid (decoded));

      g_assert_null (sotto_attachment_pointer_decode (g_bytes_get_data (bomb, NULL), g_bytes_get_size (bomb), &error));
      g_assert_error (error, SOTTO_CONTENT_ERROR, SOTTO_CONTENT_ERROR_MALFORMED);
      g_clear_error (&error);

      kept = _sotto_attachment_pointer_decode_stored (g_bytes_get_data (stored, NULL), g_bytes_get_size (stored), &error);
      g_assert_no_error (error);
      g_assert_cmpstr (kept->file_name, ==, "x.png");
      g_assert_null (kept->thumbnail);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, 0);

  g_test_add_func ("/content-attachment/round-trip", test_round_trip);
  g_test_add_func ("/content-attachment/no-caption", test_no_caption);
  g_test_add_func ("/content-attachment/required-level", test_required_level);
  g_test_add_func ("/content-attachment/bounds-encode", test_bounds_encode);
  g_test_add_func ("/content-attachment/bounds-decode", test_bounds_decode);
  g_test_add_func ("/content-attachment/file-name-one-line", test_file_name_one_line);
  g_test_add_func ("/content-attachment/thumbnail-declared-size", test_thumbnail_declared_size);

  return g_test_run ();
}
