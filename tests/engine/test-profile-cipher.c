/* test-profile-cipher.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "sp-aes.h"
#include "sp-error.h"
#include "sp-init.h"

#include "sotto-profile-cipher-private.h"

#include "protocol-test-util.h"

/* The smallest files of each format that declare 1 x 1 pixels: their
 * signature and the headers that say their size, which is all the
 * profile looks at. */
#define PNG_1X1 "\x89PNG\r\n\x1a\n" "\0\0\0\x0d" "IHDR" "\0\0\0\x01" "\0\0\0\x01" "\x08\x06\0\0\0"
#define JPEG_1X1 "\xff\xd8" "\xff\xc0\0\x0b\x08\0\x01\0\x01\x01\x01\x11\0"
#define GIF_1X1(version) version "\x01\0\x01\0\0\0\0" ",\0\0\0\0\x01\0\x01\0\0" "\x02\x02\x44\x01\0" ";"
#define WEBP_1X1 "RIFF\x12\0\0\0" "WEBP" "VP8L\x05\0\0\0\x2f\0\0\0\0\0"

/* A profile opens with its key and with no other; what it says comes
 * back whole, and the blob hides the name's length to within a block. */
static void
test_profile_round_trip (void)
{
  guint8 key[SOTTO_PROFILE_KEY_SIZE];
  guint8 other[SOTTO_PROFILE_KEY_SIZE];
  g_autoptr(GBytes) avatar = g_bytes_new_static (PNG_1X1, sizeof PNG_1X1 - 1);
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GBytes) short_blob = NULL;
  g_autoptr(GBytes) opened_avatar = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *none = NULL;
  g_autofree char *tampered_data = NULL;
  g_autoptr(GBytes) tampered = NULL;
  gsize len;

  memset (key, 0x11, sizeof key);
  memset (other, 0x22, sizeof other);

  blob = _sotto_profile_encrypt (key, "Zoë", avatar);
  g_assert_true (_sotto_profile_decrypt (key, blob, &name, &opened_avatar, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "Zoë");
  g_assert_true (g_bytes_equal (opened_avatar, avatar));

  /* A rotated-away key opens nothing. */
  g_assert_false (_sotto_profile_decrypt (other, blob, &none, &opened_avatar, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_null (none);
  g_clear_error (&error);

  /* Neither does a changed byte. */
  len = g_bytes_get_size (blob);
  tampered_data = g_memdup2 (g_bytes_get_data (blob, NULL), len);
  tampered_data[len / 2] ^= 1;
  tampered = g_bytes_new (tampered_data, len);
  g_assert_false (_sotto_profile_decrypt (key, tampered, &none, &opened_avatar, &error));
  g_clear_error (&error);

  /* One name or another of a block's length: the same size. */
  short_blob = _sotto_profile_encrypt (key, "A", NULL);
  g_assert_cmpuint (g_bytes_get_size (short_blob), ==, 12 + SOTTO_PROFILE_BLOCK_SIZE + 16);
  {
    g_autofree char *long_name = g_strnfill (200, 'n');
    g_autoptr(GBytes) long_blob = _sotto_profile_encrypt (key, long_name, NULL);

    g_assert_cmpuint (g_bytes_get_size (long_blob), ==, g_bytes_get_size (short_blob));
  }
}

/* The access key is Signal's: the first 16 bytes of AES-256-GCM of 16
 * zero bytes under the profile key with a zero nonce.  For the all-zero
 * key that is test case 14 of McGrew and Viega's GCM paper. */
static void
test_profile_access_key (void)
{
  guint8 key[SOTTO_PROFILE_KEY_SIZE] = { 0 };
  guint8 access_key[SOTTO_PROFILE_ACCESS_KEY_SIZE];
  g_autoptr(GBytes) expected = test_bytes_from_hex ("cea7403d4d606b6e074ec5d3baf39d18");

  _sotto_profile_derive_access_key (key, access_key);
  g_assert_cmpmem (access_key, sizeof access_key, g_bytes_get_data (expected, NULL), 16);
}

/* The decoder is strict about what it reads. */
static void
test_profile_strict (void)
{
  guint8 plain[SOTTO_PROFILE_BLOCK_SIZE] = { 0x0a, 0x01, 'A', 0x80 };
  guint8 no_name[SOTTO_PROFILE_BLOCK_SIZE] = { 0x12, 0x01, 'x', 0x80 };
  guint8 twice[SOTTO_PROFILE_BLOCK_SIZE] = { 0x0a, 0x01, 'A', 0x0a, 0x01, 'B', 0x80 };
  guint8 nul[SOTTO_PROFILE_BLOCK_SIZE] = { 0x0a, 0x01, 0, 0x80 };
  guint8 unknown[SOTTO_PROFILE_BLOCK_SIZE] = { 0x0a, 0x01, 'A', 0x18, 0x05, 0x80 };
  guint8 spare[2 * SOTTO_PROFILE_BLOCK_SIZE] = { 0x0a, 0x01, 'A', 0x80 };
  g_autofree char *name = NULL;
  g_autoptr(GBytes) avatar = NULL;

  g_assert_true (_sotto_profile_decode_plaintext (plain, sizeof plain, &name, &avatar, NULL));
  g_assert_cmpstr (name, ==, "A");
  g_clear_pointer (&name, g_free);
  g_assert_true (_sotto_profile_decode_plaintext (unknown, sizeof unknown, &name, &avatar, NULL));
  g_clear_pointer (&name, g_free);

  g_assert_false (_sotto_profile_decode_plaintext (no_name, sizeof no_name, &name, &avatar, NULL));
  g_assert_false (_sotto_profile_decode_plaintext (twice, sizeof twice, &name, &avatar, NULL));
  g_assert_false (_sotto_profile_decode_plaintext (nul, sizeof nul, &name, &avatar, NULL));
  g_assert_false (_sotto_profile_decode_plaintext (spare, sizeof spare, &name, &avatar, NULL));
  g_assert_false (_sotto_profile_decode_plaintext (plain, sizeof plain - 1, &name, &avatar, NULL));
  g_assert_null (name);
}

/* Decrypts a profile whose name is @name, written as a hostile contact
 * would: Sotto's own encoder refuses what this test sends. */
static gboolean
opens_with_name (const char *name)
{
  guint8 key[SOTTO_PROFILE_KEY_SIZE] = { 7 };
  guint8 plain[SOTTO_PROFILE_BLOCK_SIZE] = { 0 };
  guint8 blob[SP_AES_GCM_NONCE_SIZE + sizeof plain + SP_AES_GCM_TAG_SIZE] = { 0 };
  g_autoptr(GBytes) sealed = NULL;
  g_autofree char *opened = NULL;
  g_autoptr(GBytes) avatar = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = strlen (name);
  gboolean opens;

  g_assert_cmpuint (len + 3, <, sizeof plain);
  plain[0] = 0x0a;
  plain[1] = (guint8) len;
  memcpy (plain + 2, name, len);
  plain[2 + len] = 0x80;
  randombytes_buf (blob, SP_AES_GCM_NONCE_SIZE);
  g_assert_cmpint (sp_aes256_gcm_encrypt (blob + SP_AES_GCM_NONCE_SIZE, key, blob, NULL, 0, plain, sizeof plain),
                   ==, SP_OK);
  sealed = g_bytes_new (blob, sizeof blob);

  opens = _sotto_profile_decrypt (key, sealed, &opened, &avatar, &error);
  if (opens)
    g_assert_cmpstr (opened, ==, name);
  else
    g_assert_nonnull (error);

  return opens;
}

/* A contact's display name is shown on one line, in the app and in
 * sotto-cli's output: a name with a line break would print a line of
 * its choosing, one with an escape sequence would drive the terminal,
 * and a directional override would reverse the text after it.  Names
 * in other scripts, and the marks that set a name's direction, stay. */
static void
test_profile_name_one_line (void)
{
  g_assert_true (opens_with_name ("Zoë Ñandú 李小龍"));
  g_assert_true (opens_with_name ("\u200f\u05d3\u05e0\u05d4"));

  g_assert_false (opens_with_name ("Mallory\nalice: the code is 1234"));
  g_assert_false (opens_with_name ("Mallory\x1b]0;owned\x07"));
  g_assert_false (opens_with_name ("Mallory\r"));
  g_assert_false (opens_with_name ("Mallory\xc2\x9b" "2J"));
  g_assert_false (opens_with_name ("Mallory\u2028Bob"));
  g_assert_false (opens_with_name ("Mallory \u202egnp.exe"));
  g_assert_false (opens_with_name ("Mallory \u2067"));
}

/* Whether a profile with @data as its avatar opens, whole; one that
 * does not is refused as malformed, with nothing handed back. */
static gboolean
opens_with_avatar (const char *data,
                   gsize       len)
{
  g_autoptr(GBytes) avatar = g_bytes_new_static (data, len);
  guint8 key[SOTTO_PROFILE_KEY_SIZE];
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GBytes) opened = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;

  memset (key, 0x11, sizeof key);
  blob = _sotto_profile_encrypt (key, "Zoë", avatar);
  if (!_sotto_profile_decrypt (key, blob, &name, &opened, &error))
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_null (name);
      g_assert_null (opened);
      return FALSE;
    }
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (opened, avatar));
  return TRUE;
}

/* A contact's avatar is decoded as soon as the contact is shown, a
 * message request's too, by whichever of gdk-pixbuf's loaders claims its
 * bytes: a profile opens only with an avatar in a format Sotto sends
 * (PNG, JPEG, GIF, WebP), so that a stranger reaches no other loader. */
static void
test_profile_avatar_format (void)
{
  static const struct { const char *data; gsize len; gboolean opens; } avatars[] = {
    { PNG_1X1, sizeof PNG_1X1 - 1, TRUE },
    { JPEG_1X1, sizeof JPEG_1X1 - 1, TRUE },
    { GIF_1X1 ("GIF89a"), sizeof GIF_1X1 ("GIF89a") - 1, TRUE },
    { GIF_1X1 ("GIF87a"), sizeof GIF_1X1 ("GIF87a") - 1, TRUE },
    { WEBP_1X1, sizeof WEBP_1X1 - 1, TRUE },
    { "/* XPM */\nstatic char *x[] = {\"1 1 1 1\", \"a c #000000\", \"a\"};\n", 62, FALSE },
    { "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"/>", 62, FALSE },
    { "icns\0\0\0\x08", 8, FALSE },
    { "RIFF\x10\0\0\0ACONanih", 16, FALSE },
    { "\0\0\x02\0\0\0\0\0\0\0\0\0\x01\0\x01\0\x18\0\0\0\0", 21, FALSE },
    { "BM\x1e\0\0\0\0\0\0\0\x1a\0\0\0", 14, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (avatars); i++)
    g_assert_cmpint (opens_with_avatar (avatars[i].data, avatars[i].len), ==, avatars[i].opens);
}

/* A contact's avatar is decoded wherever the app shows the contact, on
 * a worker thread for each avatar widget, within sotto_picture_load()'s
 * bound of 8192 x 8192 pixels: loaders allocate the whole picture a file
 * declares before they scale it, and this GIF of 35 bytes declares a
 * screen of 8192 x 8192 pixels, which took 276 MB of resident memory and
 * seconds to decode, for every widget that shows the contact, on every
 * device of whoever got the contact's profile key (a stranger gives it
 * with its first message).  An avatar is shown at most a few hundred
 * pixels a side: a profile whose avatar declares more than 2048 a side
 * does not open. */
static void
test_profile_avatar_declared_size (void)
{
  static const guint8 gif[] = {
    'G', 'I', 'F', '8', '9', 'a', 0x00, 0x20, 0x00, 0x20, 0x00, 0x00, 0x00,
    ',', 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0x02, 0x02, 0x44, 0x01, 0x00, ';',
  };
  g_autoptr(GBytes) avatar = g_bytes_new_static (gif, sizeof gif);
  guint8 key[SOTTO_PROFILE_KEY_SIZE];
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GBytes) opened = NULL;
  g_autofree char *name = NULL;
  g_autoptr(GError) error = NULL;

  memset (key, 0x11, sizeof key);
  blob = _sotto_profile_encrypt (key, "Zoë", avatar);
  g_assert_false (_sotto_profile_decrypt (key, blob, &name, &opened, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

/* The size an avatar declares is read from every header a loader sizes
 * its picture by: a GIF's screen and each of its frames, a WebP's
 * bitstream, canvas and frames, and PNG's and JPEG's as thumbnails'
 * are.  Up to SOTTO_PROFILE_MAX_AVATAR_SIDE a side opens; beyond it, or
 * a file whose headers end before all its sizes are known, does not. */
static void
test_profile_avatar_declared_sizes (void)
{
  static const struct { const char *data; gsize len; gboolean opens; } avatars[] = {
#define AVATAR(bytes, opens) { bytes, sizeof bytes - 1, opens }
    /* A GIF's screen of 2048 x 2048, then of 2049 x 1. */
    AVATAR ("GIF89a\0\x08\0\x08\0\0\0" ",\0\0\0\0\x01\0\x01\0\0" "\x02\x02\x44\x01\0" ";", TRUE),
    AVATAR ("GIF89a\x01\x08\x01\0\0\0\0" ",\0\0\0\0\x01\0\x01\0\0" "\x02\x02\x44\x01\0" ";", FALSE),
    /* A frame of one pixel whose offset puts it at 8192, and a second
     * frame, after an extension, 4096 wide. */
    AVATAR ("GIF89a\x01\0\x01\0\0\0\0" ",\xff\x1f\0\0\x01\0\x01\0\0" "\x02\x02\x44\x01\0" ";", FALSE),
    AVATAR ("GIF89a\x01\0\x01\0\0\0\0" ",\0\0\0\0\x01\0\x01\0\0" "\x02\x02\x44\x01\0"
            "!\xf9\x04\0\0\0\0\0" ",\0\0\0\0\0\x10\x01\0\0" "\x02\x02\x44\x01\0" ";", FALSE),
    /* A GIF cut before its trailer, where another frame could be. */
    AVATAR ("GIF89a\x01\0\x01\0\0\0\0" ",\0\0\0\0\x01\0\x01\0\0" "\x02\x02\x44\x01\0", FALSE),
    /* PNG of 2048 x 2048 and of 2049 x 1, JPEG of 1 x 4096. */
    AVATAR ("\x89PNG\r\n\x1a\n" "\0\0\0\x0d" "IHDR" "\0\0\x08\0" "\0\0\x08\0" "\x08\x06\0\0\0", TRUE),
    AVATAR ("\x89PNG\r\n\x1a\n" "\0\0\0\x0d" "IHDR" "\0\0\x08\x01" "\0\0\0\x01" "\x08\x06\0\0\0", FALSE),
    AVATAR ("\xff\xd8" "\xff\xc0\0\x0b\x08\x10\0\0\x01\x01\x01\x11\0", FALSE),
    /* A lossy WebP of 1 x 1 and of 8192 x 8192, a lossless one 2049
     * wide. */
    AVATAR ("RIFF\x16\0\0\0" "WEBP" "VP8 \x0a\0\0\0" "\x10\x02\0\x9d\x01\x2a\x01\0\x01\0", TRUE),
    AVATAR ("RIFF\x16\0\0\0" "WEBP" "VP8 \x0a\0\0\0" "\x10\x02\0\x9d\x01\x2a\0\x20\0\x20", FALSE),
    AVATAR ("RIFF\x12\0\0\0" "WEBP" "VP8L\x05\0\0\0\x2f\0\x08\0\0\0", FALSE),
    /* An extended WebP: a canvas of 1 x 1 with a picture of 1 x 1, a
     * canvas of 8192 a side, and an animation whose frame is 4096
     * wide. */
    AVATAR ("RIFF\x24\0\0\0" "WEBP" "VP8X\x0a\0\0\0" "\0\0\0\0\0\0\0\0\0\0"
            "VP8L\x05\0\0\0\x2f\0\0\0\0\0", TRUE),
    AVATAR ("RIFF\x24\0\0\0" "WEBP" "VP8X\x0a\0\0\0" "\0\0\0\0\xff\x1f\0\xff\x1f\0"
            "VP8L\x05\0\0\0\x2f\0\0\0\0\0", FALSE),
    AVATAR ("RIFF\x3c\0\0\0" "WEBP" "VP8X\x0a\0\0\0" "\x02\0\0\0\0\0\0\0\0\0"
            "ANMF\x1e\0\0\0" "\0\0\0\0\0\0\xff\x0f\0\0\0\0\0\0\0\0"
            "VP8L\x05\0\0\0\x2f\0\0\0\0\0", FALSE),
    /* A RIFF size beyond the file. */
    AVATAR ("RIFF\x13\0\0\0" "WEBP" "VP8L\x05\0\0\0\x2f\0\0\0\0\0", FALSE),
#undef AVATAR
  };

  for (guint i = 0; i < G_N_ELEMENTS (avatars); i++)
    {
      g_autoptr(GBytes) avatar = g_bytes_new_static (avatars[i].data, avatars[i].len);

      g_test_message ("Avatar %u", i);
      g_assert_cmpint (opens_with_avatar (avatars[i].data, avatars[i].len), ==, avatars[i].opens);
      /* What contacts would not open is not sent either. */
      g_assert_cmpint (_sotto_profile_avatar_is_valid (avatar), ==, avatars[i].opens);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/engine/profile-cipher/round-trip", test_profile_round_trip);
  g_test_add_func ("/engine/profile-cipher/access-key", test_profile_access_key);
  g_test_add_func ("/engine/profile-cipher/strict", test_profile_strict);
  g_test_add_func ("/engine/profile-cipher/name-one-line", test_profile_name_one_line);
  g_test_add_func ("/engine/profile-cipher/avatar-format", test_profile_avatar_format);
  g_test_add_func ("/engine/profile-cipher/avatar-declared-size", test_profile_avatar_declared_size);
  g_test_add_func ("/engine/profile-cipher/avatar-declared-sizes", test_profile_avatar_declared_sizes);

  return g_test_run ();
}
