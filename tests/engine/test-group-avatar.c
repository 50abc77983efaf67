/* test-group-avatar.c: a group's picture, its digest and its bounds
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <sodium.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-protobuf.h"

#include "engine-test-util.h"
#include "sotto-content-group-private.h"
#include "sotto-content-private.h"
#include "sotto-group-avatar-private.h"
#include "sotto-group-state-private.h"

#define GROUP "6f1c2f70-3b5e-4c1a-9a53-0d6ab5b8e0a1"
#define MESSAGE_ID "0b9f3e1c-51a4-4d1f-8c7e-2f0a9d4b6c11"
#define ALICE "aaaaaaaa-0000-4000-8000-000000000001"
#define BOB "bbbbbbbb-0000-4000-8000-000000000002"

/* A picture of @width by @height pixels of noise, as PNG. */
static GBytes *
noise_png (int width,
           int height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autoptr(GError) error = NULL;
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  gchar *buffer = NULL;
  gsize size = 0;

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width * 3; x++)
      pixels[y * stride + x] = (guint8) g_random_int ();

  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, "png", &error, NULL));
  g_assert_no_error (error);

  return g_bytes_new_take (buffer, size);
}

static GBytes *
small_picture (void)
{
  g_autoptr(GBytes) png = noise_png (600, 400);
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (png);
  g_autoptr(GError) error = NULL;
  GBytes *picture = _sotto_group_avatar_encode (stream, NULL, &error);

  g_assert_no_error (error);
  return picture;
}

/* A group Alice created with Bob, and an avatar update by @author that
 * sets @picture (or removes the picture). */
static SottoGroupState *
group_with_avatar (const char  *author,
                   GBytes      *picture,
                   GPtrArray  **history)
{
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_update_free);
  SottoGroupUpdate *create = _sotto_group_update_new (SOTTO_GROUP_ACTION_CREATE, 1, ALICE, 1000, "Climbing");
  g_autofree char *group_id = NULL;
  SottoGroupUpdate *avatar;
  SottoGroupState *state;

  g_ptr_array_add (create->members, engine_test_group_member (ALICE, "alice", TRUE));
  g_ptr_array_add (create->members, engine_test_group_member (BOB, "bob", FALSE));
  engine_test_group_sign (create, NULL);
  g_ptr_array_add (seen, create);
  group_id = engine_test_group_id (seen);
  state = _sotto_group_state_new (group_id);

  avatar = engine_test_group_update (seen, SOTTO_GROUP_ACTION_AVATAR, 2, author, NULL, NULL);
  if (picture != NULL)
    {
      _sotto_group_update_set_avatar (avatar, picture);
      engine_test_group_sign (avatar, group_id);
      g_ptr_array_remove_index (seen, seen->len - 1);
      g_ptr_array_add (seen, _sotto_group_update_copy (avatar));
    }
  g_assert_true (_sotto_group_update_is_valid (avatar));
  _sotto_group_update_free (avatar);

  _sotto_group_state_merge (state, seen);
  if (history != NULL)
    *history = g_steal_pointer (&seen);

  return state;
}

/* The sender makes any picture a small square that fits. */
static void
test_encode_bounds (void)
{
  g_autoptr(GBytes) picture = small_picture ();
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (picture);
  g_autoptr(GdkPixbuf) decoded = gdk_pixbuf_new_from_stream (stream, NULL, NULL);

  g_assert_cmpuint (g_bytes_get_size (picture), >, 0);
  g_assert_cmpuint (g_bytes_get_size (picture), <=, SOTTO_GROUP_MAX_AVATAR_SIZE);
  g_assert_nonnull (decoded);
  g_assert_cmpint (gdk_pixbuf_get_width (decoded), ==, SOTTO_GROUP_AVATAR_SIDE);
  g_assert_cmpint (gdk_pixbuf_get_height (decoded), ==, SOTTO_GROUP_AVATAR_SIDE);
}

/* The picture the admin's update names is kept; another picture, one
 * that does not decode, or one for a non-admin's update, is not, and
 * the update counts all the same. */
static void
test_digest_check (void)
{
  g_autoptr(GBytes) picture = small_picture ();
  g_autoptr(GBytes) other = small_picture ();
  g_autoptr(SottoGroupState) state = group_with_avatar (ALICE, picture, NULL);
  g_autoptr(SottoGroupState) refused = group_with_avatar (BOB, picture, NULL);
  g_autoptr(GByteArray) flipped = g_byte_array_new ();
  g_autoptr(GBytes) tampered = NULL;
  g_autoptr(GBytes) garbage = NULL;
  guint8 *noise;

  g_assert_true (state->has_avatar);
  g_assert_cmpuint (state->version, ==, 2);
  g_assert_false (_sotto_group_avatar_take (state, other));
  g_assert_null (state->avatar);

  g_byte_array_append (flipped, g_bytes_get_data (picture, NULL), g_bytes_get_size (picture));
  flipped->data[flipped->len / 2] ^= 1;
  tampered = g_byte_array_free_to_bytes (g_steal_pointer (&flipped));
  g_assert_false (_sotto_group_avatar_take (state, tampered));
  g_assert_null (state->avatar);

  g_assert_true (_sotto_group_avatar_take (state, picture));
  g_assert_true (g_bytes_equal (state->avatar, picture));

  /* Bob is no admin: his update changes nothing, his picture is not shown. */
  g_assert_false (refused->has_avatar);
  g_assert_false (_sotto_group_avatar_take (refused, picture));
  g_assert_null (refused->avatar);

  /* Bytes that match the digest but are no picture are not shown. */
  noise = g_malloc (1000);
  randombytes_buf (noise, 1000);
  garbage = g_bytes_new_take (noise, 1000);
  {
    g_autoptr(SottoGroupState) not_a_picture = group_with_avatar (ALICE, garbage, NULL);

    g_assert_true (not_a_picture->has_avatar);
    g_assert_false (_sotto_group_avatar_take (not_a_picture, garbage));
    g_assert_null (not_a_picture->avatar);
  }
}

/* A later update that removes the picture drops the one kept, and a
 * copy keeps it only while it matches. */
static void
test_removed (void)
{
  g_autoptr(GBytes) picture = small_picture ();
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(SottoGroupState) state = group_with_avatar (ALICE, picture, &history);
  g_autoptr(SottoGroupState) copy = NULL;
  g_autoptr(GPtrArray) removal = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_update_free);

  g_assert_true (_sotto_group_avatar_take (state, picture));
  copy = _sotto_group_state_copy (state);
  g_assert_nonnull (copy->avatar);

  g_ptr_array_add (removal, engine_test_group_update (history, SOTTO_GROUP_ACTION_AVATAR, 3, ALICE, NULL, NULL));
  _sotto_group_state_merge (state, removal);
  g_assert_false (state->has_avatar);
  g_assert_null (state->avatar);
  g_assert_cmpuint (state->version, ==, 3);
}

/* The format refuses a picture past the bound, beside updates or named
 * by one, and a digest of another length. */
static void
test_format_bounds (void)
{
  g_autoptr(GBytes) picture = small_picture ();
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(SottoGroupState) state = group_with_avatar (ALICE, picture, &history);
  g_autoptr(SottoContent) content = NULL;
  g_autoptr(SottoContent) decoded = NULL;
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(GError) error = NULL;
  SottoGroupUpdate *avatar = g_ptr_array_index (history, history->len - 1);
  SottoGroupUpdate *got;

  g_assert_true (state->has_avatar);

  /* A picture and its update go through. */
  content = sotto_content_new_group_update (MESSAGE_ID, 1234, "alice", GROUP, history);
  content->group_avatar = g_bytes_ref (picture);
  encoded = sotto_content_encode (content);
  decoded = sotto_content_decode (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded), &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (decoded->group_avatar, picture));
  got = g_ptr_array_index (decoded->group_updates, decoded->group_updates->len - 1);
  g_assert_true (got->has_avatar);
  g_assert_cmpuint (got->avatar_size, ==, g_bytes_get_size (picture));
  g_assert_cmpmem (got->hash, sizeof got->hash, avatar->hash, sizeof avatar->hash);
  g_clear_pointer (&encoded, g_bytes_unref);
  g_clear_pointer (&decoded, sotto_content_free);

  /* The encoder does not take a picture past the bound. */
  {
    g_autofree guint8 *large = g_malloc0 (SOTTO_GROUP_MAX_AVATAR_SIZE + 1);

    g_clear_pointer (&content->group_avatar, g_bytes_unref);
    content->group_avatar = g_bytes_new (large, SOTTO_GROUP_MAX_AVATAR_SIZE + 1);
    g_assert_false (_sotto_content_group_valid (content));
  }

  /* An update that names a picture past the bound is not valid, nor one
   * that names a picture without its size, nor another action's. */
  avatar->avatar_size = SOTTO_GROUP_MAX_AVATAR_SIZE + 1;
  g_assert_false (_sotto_group_update_is_valid (avatar));
  avatar->avatar_size = 0;
  g_assert_false (_sotto_group_update_is_valid (avatar));
  avatar->avatar_size = 100;
  avatar->action = SOTTO_GROUP_ACTION_RENAME;
  g_assert_false (_sotto_group_update_is_valid (avatar));
}

/* A group context with @history's updates, and beside them a picture
 * of @picture_len bytes (none when 0), or the picture alone. */
static GBytes *
context_with_picture (GPtrArray *history,
                      gsize      picture_len,
                      gboolean   alone)
{
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  g_autoptr(GBytes) context = _sotto_group_updates_encode (GROUP, alone ? none : history);
  g_autofree guint8 *picture = g_malloc0 (picture_len);
  gsize bound = g_bytes_get_size (context) + picture_len + 16;
  guint8 *out = g_malloc (bound);
  SpPbWriter writer;
  gsize out_len;

  memcpy (out, g_bytes_get_data (context, NULL), g_bytes_get_size (context));
  sp_pb_writer_init (&writer, out + g_bytes_get_size (context), bound - g_bytes_get_size (context));
  if (picture_len > 0)
    sp_pb_write_bytes (&writer, 5, picture, picture_len);
  g_assert_cmpint (sp_pb_writer_finish (&writer, &out_len), ==, SP_OK);

  return g_bytes_new_take (out, g_bytes_get_size (context) + out_len);
}

static gboolean
reads (GBytes *context)
{
  g_autoptr(SottoContent) content = g_new0 (SottoContent, 1);
  g_autoptr(GError) error = NULL;
  gboolean read;

  read = _sotto_content_read_group (content, g_bytes_get_data (context, NULL), g_bytes_get_size (context), &error);
  g_assert_true (read == (error == NULL));
  return read;
}

/* A context with a picture one byte past the bound is refused whole, as
 * is a picture without an update. */
static void
test_decode_refuses (void)
{
  g_autoptr(GBytes) picture = small_picture ();
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(SottoGroupState) state = group_with_avatar (ALICE, picture, &history);
  g_autoptr(GBytes) at_bound = context_with_picture (history, SOTTO_GROUP_MAX_AVATAR_SIZE, FALSE);
  g_autoptr(GBytes) past_bound = context_with_picture (history, SOTTO_GROUP_MAX_AVATAR_SIZE + 1, FALSE);
  g_autoptr(GBytes) alone = context_with_picture (history, 100, TRUE);

  g_assert_true (state->has_avatar);

  g_assert_true (reads (at_bound));
  g_assert_false (reads (past_bound));
  g_assert_false (reads (alone));
}

/* The CRC of PNG chunks (ISO 3309), for the picture made below. */
static guint32
png_crc (const guint8 *data,
         gsize         len,
         guint32       crc)
{
  for (gsize i = 0; i < len; i++)
    {
      crc ^= data[i];
      for (guint bit = 0; bit < 8; bit++)
        crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
  return crc;
}

static void
png_chunk (GByteArray   *png,
           const char   *type,
           const guint8 *data,
           gsize         len)
{
  guint8 be[4] = { len >> 24, len >> 16, len >> 8, len };
  guint32 crc;

  g_byte_array_append (png, be, 4);
  g_byte_array_append (png, (const guint8 *) type, 4);
  g_byte_array_append (png, data, len);
  crc = ~png_crc (data, len, png_crc ((const guint8 *) type, 4, 0xffffffffu));
  be[0] = crc >> 24, be[1] = crc >> 16, be[2] = crc >> 8, be[3] = crc;
  g_byte_array_append (png, be, 4);
}

/* A valid black PNG of @side by @side pixels at one bit a pixel: a few
 * kilobytes that decode into three bytes a pixel. */
static GBytes *
large_bilevel_png (guint32 side)
{
  static const guint8 magic[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  guint8 header[13] = { side >> 24, side >> 16, side >> 8, side, side >> 24, side >> 16, side >> 8, side, 1, 0, 0, 0, 0 };
  gsize row = 1 + (side + 7) / 8;
  g_autofree guint8 *raw = g_malloc0 (row * side);
  g_autoptr(GConverter) deflate = G_CONVERTER (g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB, 9));
  g_autofree guint8 *compressed = g_malloc (row * side / 100 + 4096);
  g_autoptr(GError) error = NULL;
  GByteArray *png = g_byte_array_new ();
  gsize read = 0;
  gsize written = 0;

  g_assert_cmpint (g_converter_convert (deflate, raw, row * side, compressed, row * side / 100 + 4096,
                                        G_CONVERTER_INPUT_AT_END, &read, &written, &error), ==, G_CONVERTER_FINISHED);
  g_assert_no_error (error);
  g_byte_array_append (png, magic, sizeof magic);
  png_chunk (png, "IHDR", header, sizeof header);
  png_chunk (png, "IDAT", compressed, written);
  png_chunk (png, "IEND", NULL, 0);
  return g_byte_array_free_to_bytes (png);
}

/* A small picture in gdk-pixbuf's format @type. */
static GBytes *
saved_as (const char *type)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 32, 32);
  g_autoptr(GError) error = NULL;
  gchar *buffer = NULL;
  gsize size = 0;

  gdk_pixbuf_fill (pixbuf, 0x3465a4ff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, type, &error, NULL));
  g_assert_no_error (error);
  return g_bytes_new_take (buffer, size);
}

/* Whether a member takes @picture, which the admin's update names. */
static gboolean
takes (GBytes *picture)
{
  g_autoptr(SottoGroupState) state = group_with_avatar (ALICE, picture, NULL);

  g_assert_true (state->has_avatar);
  return _sotto_group_avatar_take (state, picture);
}

/* A group's picture is decoded as it arrives, a stranger's group's too,
 * and each time the app shows it: only what a sender makes is decoded,
 * a PNG or JPEG of at most SOTTO_GROUP_AVATAR_SIDE a side (declared in
 * its header, as thumbnails are), so that an admin's picture reaches
 * none of gdk-pixbuf's other loaders (XPM, SVG, TIFF, ICO, BMP, TGA,
 * ANI, ICNS, QTIF, PNM, XBM, GIF), as a contact's avatar does not
 * (sotto-profile-cipher.c), and a few kilobytes do not decode into
 * hundreds of megabytes on every member's device. */
static void
test_only_what_senders_make (void)
{
  g_autoptr(GBytes) picture = small_picture ();
  static const char xpm[] = "/* XPM */\nstatic char *x[] = {\n\"2 2 1 1\",\n\"a c #ff0000\",\n\"aa\",\n\"aa\"};\n";
  static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\">"
                            "<rect width=\"64\" height=\"64\" fill=\"red\"/></svg>";
  const char *types[] = { "bmp", "ico", "tiff" };

  /* What a sender makes is taken. */
  g_assert_true (takes (picture));

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(GBytes) other = saved_as (types[i]);

      g_test_message ("format %s", types[i]);
      g_assert_false (takes (other));
    }
  {
    g_autoptr(GBytes) other = g_bytes_new_static (xpm, sizeof xpm - 1);

    g_assert_false (takes (other));
  }
  {
    g_autoptr(GBytes) other = g_bytes_new_static (svg, sizeof svg - 1);

    g_assert_false (takes (other));
  }
  {
    g_autoptr(GBytes) large = large_bilevel_png (4096);

    g_assert_cmpuint (g_bytes_get_size (large), <=, SOTTO_GROUP_MAX_AVATAR_SIZE);
    g_assert_false (takes (large));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, 0);

  g_test_add_func ("/engine/group-avatar/encode-bounds", test_encode_bounds);
  g_test_add_func ("/engine/group-avatar/digest-check", test_digest_check);
  g_test_add_func ("/engine/group-avatar/removed", test_removed);
  g_test_add_func ("/engine/group-avatar/format-bounds", test_format_bounds);
  g_test_add_func ("/engine/group-avatar/decode-refuses", test_decode_refuses);
  g_test_add_func ("/engine/group-avatar/only-what-senders-make", test_only_what_senders_make);

  return g_test_run ();
}
