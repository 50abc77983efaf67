/* sotto-content-attachment.c: attachment pointers in the inner content
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-content"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sotto-content-attachment-private.h"
#include "sotto-content-private.h"
#include "sotto-display-text-private.h"
#include "sotto-engine-private.h"

/* A data message names its attachments in a repeated field; the text of
 * the message, if any, is their caption (docs/messenger.md, "Inner
 * content"):
 *
 *   message DataMessage { …; repeated AttachmentPointer attachments = 2; }
 *   message AttachmentPointer {
 *     bytes  id           = 1;  // 32 bytes: the relay's blob id, 64 hex digits
 *     bytes  key          = 2;  // 64 bytes: AES-256 key ‖ HMAC-SHA256 key
 *     bytes  digest       = 3;  // 32 bytes: SHA-256 of the whole blob
 *     uint64 size         = 4;  // the plaintext's size, always written
 *     string content_type = 5;  // "type/subtype", printable ASCII
 *     string file_name    = 6;  // optional, on one line
 *     bytes  thumbnail    = 10; // optional: JPEG or PNG, ≤ 64 KiB
 *   }
 *
 * Fields 7 to 9 (width, height, caption) were reserved with the schema
 * and are not written: the caption is the message's text.
 *
 * Everything in a pointer is read strictly (each field once, exact
 * sizes, bounded strings, a thumbnail that starts as a JPEG or PNG
 * file does and declares at most SOTTO_CONTENT_MAX_THUMBNAIL_SIDE
 * pixels a side); unknown fields are skipped, as everywhere in the format.
 * A message with attachments requires SOTTO_CONTENT_LEVEL_ATTACHMENTS,
 * so that an older Sotto shows a placeholder instead of the caption
 * alone. */

enum
{
  POINTER_BLOB_ID = 1,
  POINTER_KEY = 2,
  POINTER_DIGEST = 3,
  POINTER_SIZE = 4,
  POINTER_CONTENT_TYPE = 5,
  POINTER_FILE_NAME = 6,
  POINTER_THUMBNAIL = 10,
};

static const guint8 jpeg_magic[] = { 0xff, 0xd8, 0xff };
static const guint8 png_magic[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

SottoAttachmentPointer *
sotto_attachment_pointer_new (void)
{
  SottoAttachmentPointer *pointer = g_new0 (SottoAttachmentPointer, 1);

  pointer->key = _sotto_secure_alloc (SP_ATTACHMENT_KEY_SIZE);

  return pointer;
}

SottoAttachmentPointer *
sotto_attachment_pointer_copy (const SottoAttachmentPointer *pointer)
{
  SottoAttachmentPointer *copy;

  g_return_val_if_fail (pointer != NULL, NULL);

  copy = sotto_attachment_pointer_new ();
  copy->blob_id = g_strdup (pointer->blob_id);
  memcpy (copy->key, pointer->key, SP_ATTACHMENT_KEY_SIZE);
  memcpy (copy->digest, pointer->digest, SP_ATTACHMENT_DIGEST_SIZE);
  copy->size = pointer->size;
  copy->content_type = g_strdup (pointer->content_type);
  copy->file_name = g_strdup (pointer->file_name);
  copy->thumbnail = pointer->thumbnail != NULL ? g_bytes_ref (pointer->thumbnail) : NULL;

  return copy;
}

void
sotto_attachment_pointer_free (SottoAttachmentPointer *pointer)
{
  if (pointer == NULL)
    return;

  /* sodium_free() wipes it. */
  g_clear_pointer (&pointer->key, sodium_free);
  g_free (pointer->blob_id);
  g_free (pointer->content_type);
  g_free (pointer->file_name);
  g_clear_pointer (&pointer->thumbnail, g_bytes_unref);
  g_free (pointer);
}

static gboolean
blob_id_is_valid (const char *blob_id)
{
  if (blob_id == NULL || strlen (blob_id) != 2 * SOTTO_ATTACHMENT_BLOB_ID_SIZE)
    return FALSE;

  for (const char *p = blob_id; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
        return FALSE;
    }

  return TRUE;
}

/* "type/subtype" and parameters, printable ASCII without spaces. */
gboolean
_sotto_content_type_is_valid (const char *data,
                              gsize       len)
{
  if (len == 0 || len > SOTTO_CONTENT_MAX_CONTENT_TYPE || memchr (data, '/', len) == NULL)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      if (data[i] < 0x21 || data[i] > 0x7e)
        return FALSE;
    }

  return TRUE;
}

static gboolean
file_name_is_valid (const char *data,
                    gsize       len)
{
  return _sotto_display_text_is_valid (data, len, SOTTO_CONTENT_MAX_FILE_NAME);
}

static guint32
read_be (const guint8 *data,
         guint         n_bytes)
{
  guint32 value = 0;

  for (guint i = 0; i < n_bytes; i++)
    value = value << 8 | data[i];
  return value;
}

/* The size a PNG declares: its first chunk must be IHDR, whose data
 * starts with the width and the height. */
static gboolean
png_declared_size (const guint8 *data,
                   gsize         len,
                   guint32      *width,
                   guint32      *height)
{
  gsize ihdr = sizeof png_magic;

  if (len < ihdr + 8 + 13 || read_be (data + ihdr, 4) != 13 || memcmp (data + ihdr + 4, "IHDR", 4) != 0)
    return FALSE;
  *width = read_be (data + ihdr + 8, 4);
  *height = read_be (data + ihdr + 12, 4);
  return TRUE;
}

/* The size a JPEG declares in its frame header (a SOFn segment), which
 * must come before the first scan (ITU T.81, B.2). */
static gboolean
jpeg_declared_size (const guint8 *data,
                    gsize         len,
                    guint32      *width,
                    guint32      *height)
{
  gsize position = 2;

  while (position + 4 <= len)
    {
      guint8 marker;
      gsize segment;

      if (data[position] != 0xff)
        return FALSE;
      marker = data[position + 1];
      /* Fill bytes before a marker, and markers without a length. */
      if (marker == 0xff || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7))
        {
          position += marker == 0xff ? 1 : 2;
          continue;
        }
      if (marker == 0xd8 || marker == 0xd9 || marker == 0xda)
        return FALSE;
      segment = read_be (data + position + 2, 2);
      if (segment < 2 || position + 2 + segment > len)
        return FALSE;
      /* SOF0 to SOF15, but for DHT, JPG and DAC. */
      if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc)
        {
          if (segment < 8)
            return FALSE;
          *height = read_be (data + position + 5, 2);
          *width = read_be (data + position + 7, 2);
          return TRUE;
        }
      position += 2 + segment;
    }
  return FALSE;
}

/* Whether @picture is a JPEG or PNG that declares at most @max_side
 * pixels a side in its header: a picture that the recipient decodes
 * before the user asked for anything (a thumbnail, a group's picture)
 * reaches no other loader of gdk-pixbuf's, and cannot make it allocate
 * more than that size. */
gboolean
_sotto_content_picture_is_small (GBytes  *picture,
                                 guint32  max_side)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (picture, &len);
  guint32 width = 0;
  guint32 height = 0;

  if (!(len >= sizeof jpeg_magic && memcmp (data, jpeg_magic, sizeof jpeg_magic) == 0
        && jpeg_declared_size (data, len, &width, &height))
      && !(len >= sizeof png_magic && memcmp (data, png_magic, sizeof png_magic) == 0
           && png_declared_size (data, len, &width, &height)))
    return FALSE;
  return width > 0 && height > 0 && width <= max_side && height <= max_side;
}

static gboolean
thumbnail_is_valid (GBytes *thumbnail)
{
  return g_bytes_get_size (thumbnail) <= SOTTO_CONTENT_MAX_THUMBNAIL
         && _sotto_content_picture_is_small (thumbnail, SOTTO_CONTENT_MAX_THUMBNAIL_SIDE);
}

gboolean
sotto_attachment_pointer_is_valid (const SottoAttachmentPointer *pointer)
{
  return pointer != NULL
         && blob_id_is_valid (pointer->blob_id)
         && pointer->key != NULL
         && pointer->size <= SP_ATTACHMENT_MAX_SIZE
         && pointer->content_type != NULL
         && _sotto_content_type_is_valid (pointer->content_type, strlen (pointer->content_type))
         && (pointer->file_name == NULL
             || file_name_is_valid (pointer->file_name, strlen (pointer->file_name)))
         && (pointer->thumbnail == NULL || thumbnail_is_valid (pointer->thumbnail));
}

/* A pointer without a blob id is one the store keeps for an upload the
 * relay has not named yet; only the store writes and reads those. */
static gsize
pointer_size (const SottoAttachmentPointer *pointer)
{
  gsize size = (pointer->blob_id != NULL ? sp_pb_bytes_field_size (POINTER_BLOB_ID, SOTTO_ATTACHMENT_BLOB_ID_SIZE) : 0)
               + sp_pb_bytes_field_size (POINTER_KEY, SP_ATTACHMENT_KEY_SIZE)
               + sp_pb_bytes_field_size (POINTER_DIGEST, SP_ATTACHMENT_DIGEST_SIZE)
               + sp_pb_varint_field_size (POINTER_SIZE, pointer->size)
               + sp_pb_bytes_field_size (POINTER_CONTENT_TYPE, strlen (pointer->content_type));

  if (pointer->file_name != NULL)
    size += sp_pb_bytes_field_size (POINTER_FILE_NAME, strlen (pointer->file_name));
  if (pointer->thumbnail != NULL)
    size += sp_pb_bytes_field_size (POINTER_THUMBNAIL, g_bytes_get_size (pointer->thumbnail));

  return size;
}

static void
write_pointer (const SottoAttachmentPointer *pointer,
               SpPbWriter                   *writer)
{
  guint8 blob_id[SOTTO_ATTACHMENT_BLOB_ID_SIZE];
  gsize blob_id_len = 0;

  if (pointer->blob_id != NULL)
    {
      if (sodium_hex2bin (blob_id, sizeof blob_id, pointer->blob_id, strlen (pointer->blob_id),
                          NULL, &blob_id_len, NULL) != 0 || blob_id_len != sizeof blob_id)
        g_assert_not_reached ();
      sp_pb_write_bytes (writer, POINTER_BLOB_ID, blob_id, sizeof blob_id);
    }
  sp_pb_write_bytes (writer, POINTER_KEY, pointer->key, SP_ATTACHMENT_KEY_SIZE);
  sp_pb_write_bytes (writer, POINTER_DIGEST, pointer->digest, SP_ATTACHMENT_DIGEST_SIZE);
  sp_pb_write_varint (writer, POINTER_SIZE, pointer->size);
  sp_pb_write_bytes (writer, POINTER_CONTENT_TYPE, (const guint8 *) pointer->content_type,
                     strlen (pointer->content_type));
  if (pointer->file_name != NULL)
    sp_pb_write_bytes (writer, POINTER_FILE_NAME, (const guint8 *) pointer->file_name,
                       strlen (pointer->file_name));
  if (pointer->thumbnail != NULL)
    sp_pb_write_bytes (writer, POINTER_THUMBNAIL, g_bytes_get_data (pointer->thumbnail, NULL),
                       g_bytes_get_size (pointer->thumbnail));
}

static GBytes *
encode_pointer (const SottoAttachmentPointer *pointer)
{
  SpPbWriter writer;
  gsize size;
  gsize len = 0;
  guint8 *out;

  size = pointer_size (pointer);
  out = g_malloc (size);
  sp_pb_writer_init (&writer, out, size);
  write_pointer (pointer, &writer);
  if (sp_pb_writer_finish (&writer, &len) != SP_OK || len != size)
    g_assert_not_reached ();

  return g_bytes_new_take (out, len);
}

GBytes *
sotto_attachment_pointer_encode (const SottoAttachmentPointer *pointer)
{
  g_return_val_if_fail (sotto_attachment_pointer_is_valid (pointer), NULL);

  return encode_pointer (pointer);
}

/* The store's form: a pointer whose blob the relay may not have named
 * yet.  It holds the key: the store seals it. */
GBytes *
_sotto_attachment_pointer_encode_stored (const SottoAttachmentPointer *pointer)
{
  g_return_val_if_fail (pointer != NULL && pointer->content_type != NULL, NULL);
  g_return_val_if_fail (pointer->blob_id == NULL || blob_id_is_valid (pointer->blob_id), NULL);

  return encode_pointer (pointer);
}

/* Accepts a field once, and only with its wire type (field numbers of
 * a pointer are below 32). */
static gboolean
take (const SpPbField *field,
      SpPbWireType     wire_type,
      guint           *seen)
{
  guint bit = 1u << field->number;

  if (field->wire_type != wire_type || (*seen & bit) != 0)
    return FALSE;

  *seen |= bit;
  return TRUE;
}

static gboolean
malformed (GError **error)
{
  return _sotto_content_set_malformed (error, "attachment");
}

static SottoAttachmentPointer *
decode_pointer (const guint8  *data,
                gsize          len,
                gboolean       stored,
                GError       **error)
{
  g_autoptr(SottoAttachmentPointer) pointer = sotto_attachment_pointer_new ();
  const guint required = (stored ? 0 : 1u << POINTER_BLOB_ID) | (1u << POINTER_KEY) | (1u << POINTER_DIGEST)
                         | (1u << POINTER_SIZE) | (1u << POINTER_CONTENT_TYPE);
  char hex[2 * SOTTO_ATTACHMENT_BLOB_ID_SIZE + 1];
  guint seen = 0;
  SpPbReader reader;
  SpPbField field;
  int ret;

  sp_pb_reader_init (&reader, data, len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      gboolean ok;

      switch (field.number)
        {
        case POINTER_BLOB_ID:
          ok = take (&field, SP_PB_WIRE_BYTES, &seen) && field.len == SOTTO_ATTACHMENT_BLOB_ID_SIZE;
          if (ok)
            pointer->blob_id = g_strdup (sodium_bin2hex (hex, sizeof hex, field.data, field.len));
          break;

        case POINTER_KEY:
          ok = take (&field, SP_PB_WIRE_BYTES, &seen) && field.len == SP_ATTACHMENT_KEY_SIZE;
          if (ok)
            memcpy (pointer->key, field.data, SP_ATTACHMENT_KEY_SIZE);
          break;

        case POINTER_DIGEST:
          ok = take (&field, SP_PB_WIRE_BYTES, &seen) && field.len == SP_ATTACHMENT_DIGEST_SIZE;
          if (ok)
            memcpy (pointer->digest, field.data, SP_ATTACHMENT_DIGEST_SIZE);
          break;

        case POINTER_SIZE:
          ok = take (&field, SP_PB_WIRE_VARINT, &seen) && field.value <= SP_ATTACHMENT_MAX_SIZE;
          pointer->size = field.value;
          break;

        case POINTER_CONTENT_TYPE:
          ok = take (&field, SP_PB_WIRE_BYTES, &seen)
               && _sotto_content_type_is_valid ((const char *) field.data, field.len);
          if (ok)
            pointer->content_type = g_strndup ((const char *) field.data, field.len);
          break;

        case POINTER_FILE_NAME:
          /* A name an earlier version stored may break the line: it is
           * read on one line, not refused. */
          ok = take (&field, SP_PB_WIRE_BYTES, &seen)
               && (stored ? _sotto_display_text_is_stored_valid ((const char *) field.data, field.len,
                                                                 SOTTO_CONTENT_MAX_FILE_NAME)
                          : file_name_is_valid ((const char *) field.data, field.len));
          if (ok)
            {
              g_autofree char *name = g_strndup ((const char *) field.data, field.len);

              pointer->file_name = stored ? _sotto_display_text_from_stored (name) : g_steal_pointer (&name);
            }
          break;

        case POINTER_THUMBNAIL:
          ok = take (&field, SP_PB_WIRE_BYTES, &seen);
          if (ok)
            {
              pointer->thumbnail = g_bytes_new (field.data, field.len);
              ok = thumbnail_is_valid (pointer->thumbnail);
              /* One stored before thumbnails declared a bounded size
               * is left out, and the message kept. */
              if (!ok && stored)
                {
                  g_clear_pointer (&pointer->thumbnail, g_bytes_unref);
                  ok = TRUE;
                }
            }
          break;

        default:
          ok = TRUE;
          break;
        }

      if (!ok)
        {
          malformed (error);
          return NULL;
        }
    }

  if (ret != 0 || (seen & required) != required)
    {
      malformed (error);
      return NULL;
    }

  return g_steal_pointer (&pointer);
}

SottoAttachmentPointer *
sotto_attachment_pointer_decode (const guint8  *data,
                                 gsize          len,
                                 GError       **error)
{
  g_return_val_if_fail (data != NULL || len == 0, NULL);

  return decode_pointer (data, len, FALSE, error);
}

SottoAttachmentPointer *
_sotto_attachment_pointer_decode_stored (const guint8  *data,
                                         gsize          len,
                                         GError       **error)
{
  return decode_pointer (data, len, TRUE, error);
}

static gsize
thumbnails_size (GPtrArray *attachments)
{
  gsize total = 0;

  for (guint i = 0; i < attachments->len; i++)
    {
      SottoAttachmentPointer *pointer = g_ptr_array_index (attachments, i);

      if (pointer->thumbnail != NULL)
        total += g_bytes_get_size (pointer->thumbnail);
    }

  return total;
}

gboolean
_sotto_content_attachments_valid (GPtrArray *attachments)
{
  if (attachments == NULL)
    return TRUE;

  if (attachments->len == 0 || attachments->len > SOTTO_CONTENT_MAX_ATTACHMENTS
      || thumbnails_size (attachments) > SOTTO_CONTENT_MAX_THUMBNAILS)
    return FALSE;

  for (guint i = 0; i < attachments->len; i++)
    {
      if (!sotto_attachment_pointer_is_valid (g_ptr_array_index (attachments, i)))
        return FALSE;
    }

  return TRUE;
}

gsize
_sotto_content_attachments_size (GPtrArray *attachments)
{
  gsize size = 0;

  if (attachments == NULL)
    return 0;

  for (guint i = 0; i < attachments->len; i++)
    size += sp_pb_bytes_field_size (SOTTO_CONTENT_DATA_ATTACHMENTS,
                                    pointer_size (g_ptr_array_index (attachments, i)));

  return size;
}

void
_sotto_content_write_attachments (GPtrArray  *attachments,
                                  SpPbWriter *writer)
{
  if (attachments == NULL)
    return;

  for (guint i = 0; i < attachments->len; i++)
    {
      SottoAttachmentPointer *pointer = g_ptr_array_index (attachments, i);
      gsize size = pointer_size (pointer);
      guint8 *out = sp_pb_write_bytes_reserve (writer, SOTTO_CONTENT_DATA_ATTACHMENTS, size);
      SpPbWriter nested;
      gsize len = 0;

      if (out == NULL)
        return;
      sp_pb_writer_init (&nested, out, size);
      write_pointer (pointer, &nested);
      if (sp_pb_writer_finish (&nested, &len) != SP_OK || len != size)
        g_assert_not_reached ();
    }
}

/* Adds the pointer in @field to *@attachments, made on the first; more
 * than SOTTO_CONTENT_MAX_ATTACHMENTS, or thumbnails larger than
 * SOTTO_CONTENT_MAX_THUMBNAILS together, are malformed. */
gboolean
_sotto_content_read_attachment (GPtrArray       **attachments,
                                const SpPbField  *field,
                                GError          **error)
{
  SottoAttachmentPointer *pointer;

  if (field->wire_type != SP_PB_WIRE_BYTES
      || (*attachments != NULL && (*attachments)->len == SOTTO_CONTENT_MAX_ATTACHMENTS))
    return malformed (error);

  pointer = sotto_attachment_pointer_decode (field->data, field->len, error);
  if (pointer == NULL)
    return FALSE;

  if (*attachments == NULL)
    *attachments = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_attachment_pointer_free);
  g_ptr_array_add (*attachments, pointer);

  if (thumbnails_size (*attachments) > SOTTO_CONTENT_MAX_THUMBNAILS)
    return malformed (error);

  return TRUE;
}
