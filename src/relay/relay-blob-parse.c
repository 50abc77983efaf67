/* relay-blob-parse.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Strict readers for blob storage.  Every number is plain decimal
 * digits, without sign, white space or a leading zero other than "0"
 * itself, and at most G_MAXINT64, so that a byte count fits every
 * offset type the relay uses; anything else is refused.
 */

#include "config.h"

#include <string.h>

#include "relay-api-private.h"
#include "relay-blob-parse.h"

/* Reads a number at text[*position] up to `length`, advancing past it. */
static gboolean
read_number (const char *text,
             gsize       length,
             gsize      *position,
             guint64    *value)
{
  gsize start = *position;
  guint64 result = 0;

  while (*position < length && g_ascii_isdigit (text[*position]))
    {
      guint digit = (guint) (text[*position] - '0');

      if (result > ((guint64) G_MAXINT64 - digit) / 10)
        return FALSE;
      result = result * 10 + digit;
      (*position)++;
    }
  if (*position == start || (text[start] == '0' && *position - start > 1))
    return FALSE;
  *value = result;
  return TRUE;
}

static gboolean
has_prefix (const char *text,
            gsize       length,
            const char *prefix)
{
  gsize prefix_length = strlen (prefix);

  return length >= prefix_length && g_ascii_strncasecmp (text, prefix, prefix_length) == 0;
}

gboolean
relay_blob_id_is_valid (const char *text,
                        gsize       length)
{
  if (length != RELAY_BLOB_ID_LENGTH)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isdigit (text[i]) && !(text[i] >= 'a' && text[i] <= 'f'))
      return FALSE;
  return TRUE;
}

/* "bytes FIRST-LAST/TOTAL" (RFC 9110, 14.4), with FIRST <= LAST < TOTAL:
 * the form an upload's part names itself with.  The unsatisfied form
 * "bytes STAR/TOTAL" names no bytes, and no part needs it. */
gboolean
relay_blob_content_range_parse (const char            *text,
                                gsize                  length,
                                RelayBlobContentRange *range)
{
  gsize position = strlen ("bytes ");

  if (!has_prefix (text, length, "bytes ") ||
      !read_number (text, length, &position, &range->first) ||
      position >= length || text[position++] != '-' ||
      !read_number (text, length, &position, &range->last) ||
      position >= length || text[position++] != '/' ||
      !read_number (text, length, &position, &range->total) || position != length)
    return FALSE;
  return range->first <= range->last && range->last < range->total;
}

/* One byte range of a Range field (RFC 9110, 14.1.2), against a blob of
 * `size` bytes.  A field the relay does not read, several ranges
 * included, is ignored, as 14.2 allows: the whole blob is sent. */
RelayBlobRangeKind
relay_blob_range_resolve (const char *text,
                          gsize       length,
                          guint64     size,
                          guint64    *first,
                          guint64    *end)
{
  gsize position = strlen ("bytes=");
  guint64 start;
  guint64 last;

  if (!has_prefix (text, length, "bytes=") || position >= length)
    return RELAY_BLOB_RANGE_WHOLE;
  /* A suffix: the last `last` bytes. */
  if (text[position] == '-')
    {
      position++;
      if (!read_number (text, length, &position, &last) || position != length)
        return RELAY_BLOB_RANGE_WHOLE;
      if (last == 0 || size == 0)
        return RELAY_BLOB_RANGE_UNSATISFIABLE;
      *first = size - MIN (last, size);
      *end = size;
      return RELAY_BLOB_RANGE_PARTIAL;
    }
  if (!read_number (text, length, &position, &start) || position >= length || text[position++] != '-')
    return RELAY_BLOB_RANGE_WHOLE;
  if (position == length)
    last = G_MAXINT64;
  else if (!read_number (text, length, &position, &last) || position != length || last < start)
    return RELAY_BLOB_RANGE_WHOLE;
  if (start >= size)
    return RELAY_BLOB_RANGE_UNSATISFIABLE;
  *first = start;
  *end = MIN (last, size - 1) + 1;
  return RELAY_BLOB_RANGE_PARTIAL;
}

/* The body of POST /v1/attachments: {"size": N}. */
gboolean
relay_blob_create_request_parse (const char  *data,
                                 gsize        length,
                                 guint64     *size,
                                 GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *object = _relay_api_parse_object (data, length, &parser, error);
  gint64 value;

  if (object == NULL || !_relay_api_get_integer (object, "size", 0, G_MAXINT64, &value, error))
    return FALSE;
  *size = (guint64) value;
  return TRUE;
}

/* Writes `meta` as the text relay_blob_meta_parse() reads into `out`,
 * NUL-terminated; returns its length, or 0 when `out` is too small. */
gsize
relay_blob_meta_format (const RelayBlobMeta *meta,
                        char                *out,
                        gsize                out_size)
{
  int length = g_snprintf (out, out_size,
                           "sotto-blob 1\nowner %s\nsize %" G_GUINT64_FORMAT "\ncreated %" G_GINT64_FORMAT "\n",
                           meta->owner, meta->size, meta->created_ms);

  if (length < 0 || (gsize) length >= out_size)
    return 0;
  return (gsize) length;
}

/* Reads "NAME VALUE\n" where VALUE is a number. */
static gboolean
read_number_line (const char *text,
                  gsize       length,
                  gsize      *position,
                  const char *name,
                  guint64    *value)
{
  gsize name_length = strlen (name);

  if (length - *position < name_length || memcmp (text + *position, name, name_length) != 0)
    return FALSE;
  *position += name_length;
  return read_number (text, length, position, value) && *position < length && text[(*position)++] == '\n';
}

gboolean
relay_blob_meta_parse (const char    *text,
                       gsize          length,
                       RelayBlobMeta *meta)
{
  static const char header[] = "sotto-blob 1\nowner ";
  gsize position = sizeof header - 1;
  guint64 created;

  if (length > RELAY_BLOB_META_MAX || length < position || memcmp (text, header, position) != 0 ||
      length - position < RELAY_UUID_LENGTH + 1 ||
      !relay_uuid_is_valid (text + position, RELAY_UUID_LENGTH) || text[position + RELAY_UUID_LENGTH] != '\n')
    return FALSE;
  memcpy (meta->owner, text + position, RELAY_UUID_LENGTH);
  meta->owner[RELAY_UUID_LENGTH] = '\0';
  position += RELAY_UUID_LENGTH + 1;
  if (!read_number_line (text, length, &position, "size ", &meta->size) ||
      !read_number_line (text, length, &position, "created ", &created) || position != length)
    return FALSE;
  meta->created_ms = (gint64) created;
  return TRUE;
}
