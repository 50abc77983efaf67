/* fuzz-content.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Feeds Sotto's inner content decoder, the first thing that reads what a
 * peer encrypted.  It must succeed or fail cleanly.  What it accepts as
 * a message or receipt must encode, in the current version, to bytes
 * that decode to the same content and are their own canonical form;
 * what it accepts as needing a newer Sotto must carry no text or
 * receipts.  Typing indicators (sotto-content-typing.c) go through the
 * same round trip.
 */

#include <stdint.h>
#include <string.h>

#include "sp-init.h"

#include "sotto-content-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static SottoContent *
decode_bytes (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  SottoContent *content = sotto_content_decode (data, len, &error);

  g_assert_no_error (error);
  return content;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(SottoContent) content = NULL;
  g_autoptr(SottoContent) again = NULL;
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(GBytes) reencoded = NULL;
  g_autoptr(GError) error = NULL;

  /* Profile keys live in libsodium's guarded memory. */
  g_assert_cmpint (sp_init (), ==, 0);

  content = sotto_content_decode (data, size, &error);
  if (content == NULL)
    {
      g_assert_nonnull (error);
      return 0;
    }

  g_assert_nonnull (content->id);
  g_assert_cmpint (content->timestamp, >=, 0);

  if (content->kind == SOTTO_CONTENT_KIND_UNSUPPORTED || content->kind == SOTTO_CONTENT_KIND_IGNORED)
    {
      g_assert_null (content->text);
      g_assert_null (content->receipts);
      g_assert_null (content->attachments);
      g_assert_true (content->kind == SOTTO_CONTENT_KIND_UNSUPPORTED || content->sender == NULL);
      return 0;
    }

  encoded = sotto_content_encode (content);
  again = decode_bytes (encoded);
  g_assert_cmpint (again->kind, ==, content->kind);
  g_assert_cmpstr (again->id, ==, content->id);
  g_assert_cmpint (again->timestamp, ==, content->timestamp);
  g_assert_cmpstr (again->sender, ==, content->sender);
  g_assert_cmpstr (again->text, ==, content->text);
  g_assert_true ((again->receipts == NULL) == (content->receipts == NULL));
  g_assert_cmpuint (again->expire_timer, ==, content->expire_timer);
  g_assert_cmpint (again->typing_started, ==, content->typing_started);
  g_assert_true ((again->profile_key == NULL) == (content->profile_key == NULL));
  g_assert_true ((again->attachments == NULL) == (content->attachments == NULL));
  if (content->attachments != NULL)
    g_assert_cmpuint (again->attachments->len, ==, content->attachments->len);
  if (content->profile_key != NULL)
    g_assert_cmpmem (again->profile_key, SOTTO_PROFILE_KEY_SIZE,
                     content->profile_key, SOTTO_PROFILE_KEY_SIZE);
  if (content->receipts != NULL)
    g_assert_true (g_strv_equal ((const char * const *) again->receipts,
                                 (const char * const *) content->receipts));

  reencoded = sotto_content_encode (again);
  g_assert_true (g_bytes_equal (reencoded, encoded));

  return 0;
}
