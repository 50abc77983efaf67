/* sotto-picture-header.c: the sizes GIF and WebP files declare
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Loaders allocate the whole picture a file declares before they scale
 * it, so that a file of a few bytes can cost hundreds of megabytes to
 * decode.  These readers take the sizes from the headers before any
 * decoder sees the bytes (PNG and JPEG have theirs in
 * sotto-content-attachment.c).  They are total: every read is checked
 * against the length, and every step of a walk moves forward, so that
 * a walk ends within the file.
 */

#define G_LOG_DOMAIN "sotto-picture"

#include "config.h"

#include <string.h>

#include "sotto-picture-header-private.h"

static guint32
read_le (const guint8 *data,
         guint         n_bytes)
{
  guint32 value = 0;

  for (guint i = n_bytes; i > 0; i--)
    value = value << 8 | data[i - 1];
  return value;
}

static void
take_size (guint32  width,
           guint32  height,
           guint32 *max_width,
           guint32 *max_height)
{
  *max_width = MAX (*max_width, width);
  *max_height = MAX (*max_height, height);
}

/* The size of a colour table that a packed field announces, 0 when it
 * announces none. */
static gsize
gif_color_table (guint8 packed)
{
  return (packed & 0x80) != 0 ? 3u << ((packed & 0x07) + 1) : 0;
}

/* Skips data sub-blocks (a length byte, that many bytes) up to and past
 * their terminator; returns the position after it, 0 when the data ends
 * first. */
static gsize
gif_skip_sub_blocks (const guint8 *data,
                     gsize         len,
                     gsize         position)
{
  while (position < len)
    {
      gsize block = data[position];

      if (block == 0)
        return position + 1;
      position += 1 + block;
    }
  return 0;
}

/* The logical screen, and every image descriptor with its offset on the
 * screen: a loader makes the animation as large as the screen or as the
 * farthest frame reaches (GIF89a, sections 18 and 20).  The file must
 * run to its trailer, so that no frame is left unread. */
gboolean
_sotto_picture_gif_size (const guint8 *data,
                         gsize         len,
                         guint32      *width,
                         guint32      *height)
{
  guint32 max_width;
  guint32 max_height;
  gsize position;

  if (len < 13 || (memcmp (data, "GIF87a", 6) != 0 && memcmp (data, "GIF89a", 6) != 0))
    return FALSE;
  max_width = read_le (data + 6, 2);
  max_height = read_le (data + 8, 2);
  position = 13 + gif_color_table (data[10]);

  while (position < len)
    {
      switch (data[position])
        {
        case 0x3b:
          *width = max_width;
          *height = max_height;
          return TRUE;

        case 0x21:
          /* An extension: its label, then its sub-blocks. */
          if (position + 2 > len)
            return FALSE;
          position = gif_skip_sub_blocks (data, len, position + 2);
          break;

        case 0x2c:
          /* An image descriptor, its colour table, the LZW code size,
           * then the image's sub-blocks. */
          if (position + 10 > len)
            return FALSE;
          take_size (read_le (data + position + 1, 2) + read_le (data + position + 5, 2),
                     read_le (data + position + 3, 2) + read_le (data + position + 7, 2),
                     &max_width, &max_height);
          position += 10 + gif_color_table (data[position + 9]) + 1;
          if (position > len)
            return FALSE;
          position = gif_skip_sub_blocks (data, len, position);
          break;

        default:
          return FALSE;
        }
      if (position == 0)
        return FALSE;
    }
  return FALSE;
}

/* The size a VP8 or VP8L bitstream declares (RFC 9649, sections 2.5
 * and 3.2.2 of its lossless format); FALSE for a chunk that holds none
 * or too little of one. */
static gboolean
webp_bitstream_size (const guint8 *chunk,
                     const guint8 *payload,
                     gsize         size,
                     guint32      *width,
                     guint32      *height)
{
  guint32 bits;

  if (memcmp (chunk, "VP8 ", 4) == 0)
    {
      /* A key frame: its tag, then the start code and the 14-bit sizes. */
      if (size < 10 || (payload[0] & 0x01) != 0 || memcmp (payload + 3, "\x9d\x01\x2a", 3) != 0)
        return FALSE;
      *width = read_le (payload + 6, 2) & 0x3fff;
      *height = read_le (payload + 8, 2) & 0x3fff;
      return TRUE;
    }
  if (memcmp (chunk, "VP8L", 4) == 0)
    {
      if (size < 5 || payload[0] != 0x2f)
        return FALSE;
      bits = read_le (payload + 1, 4);
      *width = (bits & 0x3fff) + 1;
      *height = (bits >> 14 & 0x3fff) + 1;
      return TRUE;
    }
  return FALSE;
}

/* Walks the chunks in data[position, end), taking the sizes of
 * bitstreams, of VP8X's canvas and of ANMF's frames, and the chunks
 * inside a frame (which @nested marks, as frames do not nest).  Counts
 * the pictures it found in @found. */
static gboolean
webp_walk (const guint8 *data,
           gsize         position,
           gsize         end,
           gboolean      nested,
           guint32      *max_width,
           guint32      *max_height,
           guint        *found)
{
  while (position + 8 <= end)
    {
      const guint8 *chunk = data + position;
      const guint8 *payload = chunk + 8;
      gsize size = read_le (chunk + 4, 4);
      guint32 width;
      guint32 height;

      if (size > end - position - 8)
        return FALSE;
      if (webp_bitstream_size (chunk, payload, size, &width, &height))
        (*found)++;
      else if (memcmp (chunk, "VP8 ", 4) == 0 || memcmp (chunk, "VP8L", 4) == 0)
        return FALSE;
      else if (memcmp (chunk, "VP8X", 4) == 0 && !nested && position == 12)
        {
          if (size < 10)
            return FALSE;
          width = read_le (payload + 4, 3) + 1;
          height = read_le (payload + 7, 3) + 1;
        }
      else if (memcmp (chunk, "ANMF", 4) == 0 && !nested)
        {
          if (size < 16 || !webp_walk (data, position + 8 + 16, position + 8 + size, TRUE,
                                       max_width, max_height, found))
            return FALSE;
          width = read_le (payload, 3) * 2 + read_le (payload + 6, 3) + 1;
          height = read_le (payload + 3, 3) * 2 + read_le (payload + 9, 3) + 1;
        }
      else
        width = height = 0;
      take_size (width, height, max_width, max_height);
      /* A chunk of odd size is padded to an even one. */
      position += 8 + size + (size & 1);
    }
  return TRUE;
}

/* A RIFF file of the WEBP form whose first chunk is VP8, VP8L or VP8X;
 * every chunk inside the RIFF size is read, so that neither the canvas
 * nor any frame or bitstream is larger than what is returned. */
gboolean
_sotto_picture_webp_size (const guint8 *data,
                          gsize         len,
                          guint32      *width,
                          guint32      *height)
{
  guint32 max_width = 0;
  guint32 max_height = 0;
  guint found = 0;
  gsize end;

  if (len < 20 || memcmp (data, "RIFF", 4) != 0 || memcmp (data + 8, "WEBP", 4) != 0)
    return FALSE;
  end = (gsize) read_le (data + 4, 4) + 8;
  if (end > len || end < 20
      || (memcmp (data + 12, "VP8 ", 4) != 0 && memcmp (data + 12, "VP8L", 4) != 0
          && memcmp (data + 12, "VP8X", 4) != 0))
    return FALSE;
  if (!webp_walk (data, 12, end, FALSE, &max_width, &max_height, &found) || found == 0)
    return FALSE;
  *width = max_width;
  *height = max_height;
  return TRUE;
}
