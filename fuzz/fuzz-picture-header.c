/* fuzz-picture-header.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Feeds the readers of the sizes GIF and WebP files declare, which read
 * a contact's avatar before any decoder does.  They must end within the
 * input and answer sizes that the headers can hold.
 */

#include <stdint.h>
#include <string.h>

#include "sotto-picture-header-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  guint32 width = 0;
  guint32 height = 0;
  gboolean gif;
  gboolean webp;

  gif = _sotto_picture_gif_size (data, size, &width, &height);
  if (gif)
    {
      /* A screen, or a frame's offset and size: two 16-bit numbers. */
      g_assert_true (size >= 14 && memcmp (data, "GIF8", 4) == 0);
      g_assert_cmpuint (width, <=, 2 * 0xffff);
      g_assert_cmpuint (height, <=, 2 * 0xffff);
    }

  width = height = 0;
  webp = _sotto_picture_webp_size (data, size, &width, &height);
  if (webp)
    {
      /* A frame's offset, twice a 24-bit number, and its size, one more than one. */
      g_assert_true (size >= 20 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0);
      g_assert_cmpuint (width, <=, 3 * 0xffffffu + 1);
      g_assert_cmpuint (height, <=, 3 * 0xffffffu + 1);
    }
  g_assert_false (gif && webp);

  return 0;
}
