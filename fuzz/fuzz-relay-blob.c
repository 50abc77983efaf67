/* fuzz-relay-blob.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Feeds the readers of blob storage (relay-blob-parse.c): the first
 * byte picks one, the rest is its input.  The Content-Range of an
 * upload's part and the Range of a download come from any client; the
 * metadata beside each blob comes from the data directory; the body of
 * POST /v1/attachments from any account.  Whatever a reader takes must
 * hold together, and what the relay writes it must read back the same.
 */

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "relay-blob-parse.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_content_range (const char *text,
                     gsize       length)
{
  RelayBlobContentRange range;
  RelayBlobContentRange again;
  g_autofree char *written = NULL;

  if (!relay_blob_content_range_parse (text, length, &range))
    return;
  g_assert_cmpuint (range.first, <=, range.last);
  g_assert_cmpuint (range.last, <, range.total);
  g_assert_cmpuint (range.total, <=, G_MAXINT64);
  written = g_strdup_printf ("bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
                             range.first, range.last, range.total);
  g_assert_true (relay_blob_content_range_parse (written, strlen (written), &again));
  g_assert_true (memcmp (&range, &again, sizeof range) == 0);
}

/* The blob's size is the input's first eight bytes, the field the
 * rest. */
static void
check_range (const guint8 *data,
             gsize         length)
{
  guint64 size = 0;
  guint64 first = 0;
  guint64 end = 0;

  if (length < sizeof size)
    return;
  memcpy (&size, data, sizeof size);
  size &= G_MAXINT64;
  switch (relay_blob_range_resolve ((const char *) data + sizeof size, length - sizeof size, size, &first, &end))
    {
    case RELAY_BLOB_RANGE_PARTIAL:
      g_assert_cmpuint (first, <, end);
      g_assert_cmpuint (end, <=, size);
      break;
    case RELAY_BLOB_RANGE_WHOLE:
    case RELAY_BLOB_RANGE_UNSATISFIABLE:
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
check_meta (const char *text,
            gsize       length)
{
  RelayBlobMeta meta;
  RelayBlobMeta again;
  char written[RELAY_BLOB_META_MAX + 1];
  gsize written_length;

  if (!relay_blob_meta_parse (text, length, &meta))
    return;
  g_assert_cmpuint (strlen (meta.owner), ==, RELAY_UUID_LENGTH);
  g_assert_cmpint (meta.created_ms, >=, 0);
  written_length = relay_blob_meta_format (&meta, written, sizeof written);
  g_assert_cmpuint (written_length, ==, length);
  g_assert_true (memcmp (written, text, length) == 0);
  g_assert_true (relay_blob_meta_parse (written, written_length, &again));
  g_assert_cmpstr (meta.owner, ==, again.owner);
  g_assert_cmpuint (meta.size, ==, again.size);
  g_assert_cmpint (meta.created_ms, ==, again.created_ms);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  /* Copied, so that the sanitizer sees any read past the input. */
  g_autofree char *copy = NULL;
  g_autoptr(GError) error = NULL;
  guint64 blob_size;

  if (size == 0)
    return 0;
  copy = g_memdup2 (data + 1, size - 1);
  size--;
  switch (data[0] % 5)
    {
    case 0:
      check_content_range (copy, size);
      break;
    case 1:
      check_range ((const guint8 *) copy, size);
      break;
    case 2:
      if (relay_blob_id_is_valid (copy, size))
        {
          g_assert_cmpuint (size, ==, RELAY_BLOB_ID_LENGTH);
          for (gsize i = 0; i < size; i++)
            g_assert_true (g_ascii_isdigit (copy[i]) || (copy[i] >= 'a' && copy[i] <= 'f'));
        }
      break;
    case 3:
      check_meta (copy, size);
      break;
    case 4:
    default:
      if (relay_blob_create_request_parse (copy, size, &blob_size, &error))
        g_assert_cmpuint (blob_size, <=, G_MAXINT64);
      else
        g_assert_nonnull (error);
      break;
    }
  return 0;
}
