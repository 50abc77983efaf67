/* fuzz-attachment-pointer.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Feeds the decoder of an attachment pointer, the part of a message that
 * tells a recipient which blob to fetch and how to check and decrypt it.
 * It must succeed or fail cleanly.  What it accepts must be a valid
 * pointer (bounded name, type and thumbnail, sizes the cipher takes),
 * encode to bytes that decode to the same pointer, and be its own
 * canonical form from then on.
 */

#include <stdint.h>
#include <string.h>

#include "sp-init.h"

#include "sotto-content-attachment-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(SottoAttachmentPointer) pointer = NULL;
  g_autoptr(SottoAttachmentPointer) again = NULL;
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(GBytes) reencoded = NULL;
  g_autoptr(GError) error = NULL;

  /* Keys live in libsodium's guarded memory. */
  g_assert_cmpint (sp_init (), ==, 0);

  pointer = sotto_attachment_pointer_decode (data, size, &error);
  if (pointer == NULL)
    {
      g_assert_nonnull (error);
      return 0;
    }

  g_assert_true (sotto_attachment_pointer_is_valid (pointer));
  g_assert_cmpuint (pointer->size, <=, SP_ATTACHMENT_MAX_SIZE);
  g_assert_true (pointer->thumbnail == NULL
                 || g_bytes_get_size (pointer->thumbnail) <= SOTTO_CONTENT_MAX_THUMBNAIL);

  encoded = sotto_attachment_pointer_encode (pointer);
  again = sotto_attachment_pointer_decode (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->blob_id, ==, pointer->blob_id);
  g_assert_cmpmem (again->key, SP_ATTACHMENT_KEY_SIZE, pointer->key, SP_ATTACHMENT_KEY_SIZE);
  g_assert_cmpmem (again->digest, SP_ATTACHMENT_DIGEST_SIZE, pointer->digest, SP_ATTACHMENT_DIGEST_SIZE);
  g_assert_cmpuint (again->size, ==, pointer->size);
  g_assert_cmpstr (again->content_type, ==, pointer->content_type);
  g_assert_cmpstr (again->file_name, ==, pointer->file_name);
  g_assert_true ((again->thumbnail == NULL && pointer->thumbnail == NULL)
                 || g_bytes_equal (again->thumbnail, pointer->thumbnail));

  reencoded = sotto_attachment_pointer_encode (again);
  g_assert_true (g_bytes_equal (reencoded, encoded));

  return 0;
}
