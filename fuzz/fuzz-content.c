/* fuzz-content.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Feeds Sotto's inner content decoder, the first thing that reads what a
 * peer encrypted.  It must succeed or fail cleanly, and what it accepts
 * must encode back to exactly the same bytes: one plaintext, one
 * encoding.
 */

#include <stdint.h>
#include <string.h>

#include "sotto-content.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(SottoContent) content = NULL;
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(GError) error = NULL;

  content = sotto_content_decode (data, size, &error);
  if (content == NULL)
    {
      g_assert_nonnull (error);
      return 0;
    }

  encoded = sotto_content_encode (content);
  g_assert_cmpuint (g_bytes_get_size (encoded), ==, size);
  g_assert_true (memcmp (g_bytes_get_data (encoded, NULL), data, size) == 0);

  return 0;
}
