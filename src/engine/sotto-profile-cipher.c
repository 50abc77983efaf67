/* sotto-profile-cipher.c: what an encrypted profile holds, and its cipher
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-profile"

#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sp-aes.h"
#include "sp-error.h"
#include "sp-protobuf.h"

#include "sotto-content-attachment-private.h"
#include "sotto-display-text-private.h"
#include "sotto-engine-private.h"
#include "sotto-picture-header-private.h"
#include "sotto-profile-cipher-private.h"

/* An encrypted profile, as the relay stores it (docs/messenger.md,
 * "Encrypted profiles"):
 *
 *   nonce (12 random bytes) || AES-256-GCM (profile key, nonce, plaintext) || tag (16)
 *
 * and the plaintext, a protobuf message followed by the byte 0x80 and
 * zeros up to a multiple of 256 bytes:
 *
 *   message ProfileContent {
 *     optional string name   = 1;  // required: 1 to 256 bytes of UTF-8, no NUL
 *     optional bytes  avatar = 2;  // a PNG, JPEG, GIF or WebP image, at most 1 MiB
 *                                  // and SOTTO_PROFILE_MAX_AVATAR_SIDE pixels a side
 *   }
 *
 * A new nonce for every encryption: the same key encrypts every version
 * of the profile until it is rotated. */

#define PADDING_MARKER 0x80

enum
{
  PROFILE_NAME = 1,
  PROFILE_AVATAR = 2,
};

static gboolean
set_malformed (GError     **error,
               const char  *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               _("The profile is not valid (%s)"), what);
  return FALSE;
}

static gboolean
name_is_valid (const guint8 *name,
               gsize         len)
{
  return _sotto_display_text_is_valid ((const char *) name, len, SOTTO_PROFILE_MAX_NAME);
}

/* Whether @data is a file of the formats Sotto sends as avatars (the
 * app PNG or JPEG, sotto-cli GIF and WebP too) that declares at most
 * SOTTO_PROFILE_MAX_AVATAR_SIDE pixels a side.  The app decodes a
 * contact's avatar as soon as it shows the contact, a message request's
 * too, in every avatar widget that shows it, with whichever of
 * gdk-pixbuf's loaders claims the bytes: without the formats, a
 * stranger's avatar reached every one of them (TGA, ICNS, ANI, QTIF,
 * XPM, XBM, SVG and the rest); without the size, a GIF of 35 bytes
 * declaring 8192 x 8192 pixels made each widget allocate 276 MB before
 * it scaled the picture down. */
static gboolean
avatar_is_image (const guint8 *data,
                 gsize         len)
{
  g_autoptr(GBytes) bytes = NULL;
  guint32 width = 0;
  guint32 height = 0;

  if (_sotto_picture_gif_size (data, len, &width, &height) || _sotto_picture_webp_size (data, len, &width, &height))
    return width > 0 && height > 0
           && width <= SOTTO_PROFILE_MAX_AVATAR_SIDE && height <= SOTTO_PROFILE_MAX_AVATAR_SIDE;
  bytes = g_bytes_new_static (data, len);
  return _sotto_content_picture_is_small (bytes, SOTTO_PROFILE_MAX_AVATAR_SIDE);
}

/* Whether contacts can open a profile with @avatar: an image as
 * avatar_is_image() has it, of at most SOTTO_PROFILE_MAX_AVATAR bytes. */
gboolean
_sotto_profile_avatar_is_valid (GBytes *avatar)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (avatar, &len);

  return len > 0 && len <= SOTTO_PROFILE_MAX_AVATAR && avatar_is_image (data, len);
}

/* Returns: (transfer full): the encrypted profile of @name and @avatar */
GBytes *
_sotto_profile_encrypt (const guint8  key[SOTTO_PROFILE_KEY_SIZE],
                        const char   *name,
                        GBytes       *avatar)
{
  gsize name_len;
  gsize avatar_len = avatar != NULL ? g_bytes_get_size (avatar) : 0;
  gsize bound;
  gsize plain_len;
  gsize message_len = 0;
  guint8 *plain;
  guint8 *blob;
  SpPbWriter writer;

  g_return_val_if_fail (key != NULL && name != NULL, NULL);
  name_len = strlen (name);
  g_return_val_if_fail (name_is_valid ((const guint8 *) name, name_len), NULL);
  g_return_val_if_fail (avatar_len <= SOTTO_PROFILE_MAX_AVATAR, NULL);

  /* Both fields with a tag and a length of at most ten bytes, then the
   * marker. */
  bound = 11 + name_len + 11 + avatar_len + 1;
  plain_len = (bound + SOTTO_PROFILE_BLOCK_SIZE - 1) / SOTTO_PROFILE_BLOCK_SIZE * SOTTO_PROFILE_BLOCK_SIZE;
  plain = g_malloc0 (plain_len);

  sp_pb_writer_init (&writer, plain, bound - 1);
  sp_pb_write_bytes (&writer, PROFILE_NAME, (const guint8 *) name, name_len);
  if (avatar_len > 0)
    sp_pb_write_bytes (&writer, PROFILE_AVATAR, g_bytes_get_data (avatar, NULL), avatar_len);
  if (sp_pb_writer_finish (&writer, &message_len) != SP_OK)
    g_assert_not_reached ();
  plain[message_len] = PADDING_MARKER;
  plain_len = (message_len + 1 + SOTTO_PROFILE_BLOCK_SIZE - 1) / SOTTO_PROFILE_BLOCK_SIZE * SOTTO_PROFILE_BLOCK_SIZE;

  blob = g_malloc (SP_AES_GCM_NONCE_SIZE + plain_len + SP_AES_GCM_TAG_SIZE);
  randombytes_buf (blob, SP_AES_GCM_NONCE_SIZE);
  if (sp_aes256_gcm_encrypt (blob + SP_AES_GCM_NONCE_SIZE, key, blob, NULL, 0, plain, plain_len) != SP_OK)
    g_error ("AES-256-GCM failed");

  sodium_memzero (plain, plain_len);
  g_free (plain);

  return g_bytes_new_take (blob, SP_AES_GCM_NONCE_SIZE + plain_len + SP_AES_GCM_TAG_SIZE);
}

/* Reads a decrypted profile strictly: the padding is the marker and
 * fewer zeros than a block, the name is there once and valid, the avatar
 * at most once, bounded and in a format Sotto sends; unknown fields are skipped, for a newer
 * Sotto's additions. */
gboolean
_sotto_profile_decode_plaintext (const guint8  *plaintext,
                                 gsize          len,
                                 char         **name,
                                 GBytes       **avatar,
                                 GError       **error)
{
  g_autofree char *found_name = NULL;
  g_autoptr(GBytes) found_avatar = NULL;
  bool seen[PROFILE_AVATAR + 1] = { false };
  SpPbReader reader;
  SpPbField field;
  gsize end = len;
  int ret;

  if (len == 0 || len % SOTTO_PROFILE_BLOCK_SIZE != 0)
    return set_malformed (error, "length");
  while (end > 0 && plaintext[end - 1] == 0)
    end--;
  if (end == 0 || plaintext[end - 1] != PADDING_MARKER || len - end >= SOTTO_PROFILE_BLOCK_SIZE)
    return set_malformed (error, "padding");

  sp_pb_reader_init (&reader, plaintext, end - 1);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      switch (field.number)
        {
        case PROFILE_NAME:
          if (sp_pb_expect_field (&field, SP_PB_WIRE_BYTES, seen) != SP_OK
              || !name_is_valid (field.data, field.len))
            return set_malformed (error, "name");
          found_name = g_strndup ((const char *) field.data, field.len);
          break;

        case PROFILE_AVATAR:
          if (sp_pb_expect_field (&field, SP_PB_WIRE_BYTES, seen) != SP_OK
              || field.len > SOTTO_PROFILE_MAX_AVATAR
              || (field.len > 0 && !avatar_is_image (field.data, field.len)))
            return set_malformed (error, "avatar");
          if (field.len > 0)
            found_avatar = g_bytes_new (field.data, field.len);
          break;

        default:
          break;
        }
    }
  if (ret != 0)
    return set_malformed (error, "encoding");
  if (found_name == NULL)
    return set_malformed (error, "no name");

  *name = g_steal_pointer (&found_name);
  *avatar = g_steal_pointer (&found_avatar);
  return TRUE;
}

/* Opens an encrypted profile with @key: a wrong key (one rotated away)
 * fails like a forgery. */
gboolean
_sotto_profile_decrypt (const guint8  key[SOTTO_PROFILE_KEY_SIZE],
                        GBytes       *blob,
                        char        **name,
                        GBytes      **avatar,
                        GError      **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (blob, &len);
  guint8 *plain;
  gsize plain_len;
  gboolean decoded;

  g_return_val_if_fail (key != NULL && blob != NULL, FALSE);

  if (len < SP_AES_GCM_NONCE_SIZE + SP_AES_GCM_TAG_SIZE + SOTTO_PROFILE_BLOCK_SIZE)
    return set_malformed (error, "length");

  plain_len = len - SP_AES_GCM_NONCE_SIZE - SP_AES_GCM_TAG_SIZE;
  plain = g_malloc (plain_len);
  if (sp_aes256_gcm_decrypt (plain, key, data, NULL, 0,
                             data + SP_AES_GCM_NONCE_SIZE, len - SP_AES_GCM_NONCE_SIZE) != SP_OK)
    {
      g_free (plain);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                           _("The profile does not open with the key this contact gave"));
      return FALSE;
    }

  decoded = _sotto_profile_decode_plaintext (plain, plain_len, name, avatar, error);
  sodium_memzero (plain, plain_len);
  g_free (plain);

  return decoded;
}

/* The unidentified-access key, derived as Signal derives it: the first
 * 16 bytes of AES-256-GCM, under the profile key and an all-zero nonce,
 * of 16 zero bytes (that is, the first block of the GCM keystream).  The
 * relay lets unidentified sends through with it (sealed sender). */
void
_sotto_profile_derive_access_key (const guint8 key[SOTTO_PROFILE_KEY_SIZE],
                                  guint8       access_key[SOTTO_PROFILE_ACCESS_KEY_SIZE])
{
  static const guint8 zero_nonce[SP_AES_GCM_NONCE_SIZE] = { 0 };
  static const guint8 zeros[SOTTO_PROFILE_ACCESS_KEY_SIZE] = { 0 };
  guint8 sealed[SOTTO_PROFILE_ACCESS_KEY_SIZE + SP_AES_GCM_TAG_SIZE];

  if (sp_aes256_gcm_encrypt (sealed, key, zero_nonce, NULL, 0, zeros, sizeof zeros) != SP_OK)
    g_error ("AES-256-GCM failed");

  memcpy (access_key, sealed, SOTTO_PROFILE_ACCESS_KEY_SIZE);
  sodium_memzero (sealed, sizeof sealed);
}
