/* test-picture.c: pictures decoded within bounds, whatever they declare
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "sotto-attachment-service-private.h"
#include "sotto-picture-private.h"

static const guint8 huge_gif[] = {
  'G', 'I', 'F', '8', '9', 'a', 0x30, 0x75, 0x30, 0x75, 0x80, 0x00, 0x00,  /* 30000 × 30000 */
  0x00, 0x00, 0x00, 0xff, 0xff, 0xff,                                         /* two colours */
  ',', 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,                 /* one pixel of it */
  0x02, 0x02, 0x44, 0x01, 0x00, ';'
};

/* The CRC-32 of PNG chunks (ISO 3309), a bit at a time. */
static guint32
png_crc (const guint8 *data,
         gsize         length)
{
  guint32 crc = 0xffffffff;

  for (gsize i = 0; i < length; i++)
    {
      crc ^= data[i];
      for (int bit = 0; bit < 8; bit++)
        crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
    }
  return crc ^ 0xffffffff;
}

static void
png_add_chunk (GByteArray   *png,
               const char   *type,
               const guint8 *data,
               gsize         length)
{
  guint32 big_length = GUINT32_TO_BE ((guint32) length);
  guint32 crc;
  gsize start;

  g_byte_array_append (png, (const guint8 *) &big_length, 4);
  start = png->len;
  g_byte_array_append (png, (const guint8 *) type, 4);
  g_byte_array_append (png, data, length);
  crc = GUINT32_TO_BE (png_crc (png->data + start, png->len - start));
  g_byte_array_append (png, (const guint8 *) &crc, 4);
}

/* A black picture of @side × @side pixels, one bit each, which deflate
 * makes about a thousand times smaller again. */
static GBytes *
new_black_png (guint32 side)
{
  static const guint8 signature[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB, 9);
  g_autoptr(GInputStream) rows = NULL;
  g_autoptr(GInputStream) deflated = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GBytes) idat = NULL;
  g_autoptr(GError) error = NULL;
  GByteArray *png = g_byte_array_new ();
  guint8 header[13] = { 0 };
  guint32 big_side = GUINT32_TO_BE (side);
  gsize row = 1 + (side + 7) / 8;

  /* Width, height, 1 bit deep, greyscale, and the standard methods. */
  memcpy (header, &big_side, 4);
  memcpy (header + 4, &big_side, 4);
  header[8] = 1;
  rows = g_memory_input_stream_new_from_data (g_malloc0 (row * side), row * side, g_free);
  deflated = g_converter_input_stream_new (rows, G_CONVERTER (compressor));
  g_output_stream_splice (out, deflated, G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                          NULL, &error);
  g_assert_no_error (error);
  idat = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
  g_assert_cmpuint (g_bytes_get_size (idat), <, row * side);

  g_byte_array_append (png, signature, sizeof signature);
  png_add_chunk (png, "IHDR", header, sizeof header);
  png_add_chunk (png, "IDAT", g_bytes_get_data (idat, NULL), g_bytes_get_size (idat));
  png_add_chunk (png, "IEND", NULL, 0);
  return g_byte_array_free_to_bytes (png);
}

static SottoPicture *
load (GBytes  *bytes,
      int      max_side,
      GError **error)
{
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (bytes);

  return sotto_picture_load (stream, max_side, NULL, error);
}

/* Decoders allocate the whole picture that a file declares before they
 * scale it down: a picture as small as a thumbnail may be that declares
 * 10,000 × 10,000 pixels is refused, not decoded into hundreds of
 * megabytes, and so is a GIF of 35 bytes whose screen is 30,000 × 30,000
 * pixels (3.5 GB decoded), while a 5,000 × 5,000 picture is scaled down. */
static void
test_picture_bounded (void)
{
  g_autoptr(GBytes) huge = new_black_png (10000);
  g_autoptr(GBytes) gif = g_bytes_new_static (huge_gif, sizeof huge_gif);
  g_autoptr(GBytes) large = new_black_png (5000);
  g_autoptr(SottoPicture) picture = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (g_bytes_get_size (huge), <=, 64 * 1024);
  g_assert_null (load (huge, 240, &error));
  g_assert_error (error, GDK_PIXBUF_ERROR, GDK_PIXBUF_ERROR_INSUFFICIENT_MEMORY);
  g_clear_error (&error);
  g_assert_null (load (gif, 240, &error));
  g_assert_error (error, GDK_PIXBUF_ERROR, GDK_PIXBUF_ERROR_INSUFFICIENT_MEMORY);
  g_clear_error (&error);

  picture = load (large, 240, &error);
  g_assert_no_error (error);
  g_assert_cmpint (picture->width, ==, 240);
  g_assert_cmpint (picture->height, ==, 240);
  g_assert_false (picture->has_alpha);
  g_assert_cmpuint (picture->stride, >=, 240 * 3);
  g_assert_cmpuint (g_bytes_get_size (picture->pixels), >=, picture->stride * 239 + 240 * 3);
}

static char *
write_picture (const char *dir,
               const char *name,
               GBytes     *bytes)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);
  return path;
}

/* A picture the user sends may be one that came from the other side: a
 * thumbnail is made of a large one, but not of one that declares more
 * pixels than are decoded. */
static void
test_picture_thumbnail (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sotto-picture-XXXXXX", NULL);
  g_autoptr(GBytes) huge = new_black_png (10000);
  g_autoptr(GBytes) large = new_black_png (5000);
  g_autofree char *huge_path = write_picture (dir, "huge.png", huge);
  g_autofree char *large_path = write_picture (dir, "large.png", large);
  g_autoptr(GBytes) thumbnail = NULL;

  g_assert_null (_sotto_attachment_make_thumbnail (huge_path, 64 * 1024));

  thumbnail = _sotto_attachment_make_thumbnail (large_path, 64 * 1024);
  g_assert_nonnull (thumbnail);
  g_assert_cmpuint (g_bytes_get_size (thumbnail), <=, 64 * 1024);
  g_assert_cmpmem (g_bytes_get_data (thumbnail, NULL), 3, "\xff\xd8\xff", 3);

  g_unlink (huge_path);
  g_unlink (large_path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/picture/bounded", test_picture_bounded);
  g_test_add_func ("/engine/picture/thumbnail", test_picture_thumbnail);

  return g_test_run ();
}
