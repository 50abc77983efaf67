/* fuzz-profile.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Feeds the decoder of a decrypted profile, which reads what a contact
 * encrypted under their profile key.  It must succeed or fail cleanly,
 * and what it accepts must hold a valid name and a bounded avatar.
 */

#include <stdint.h>
#include <string.h>

#include "sotto-profile-cipher-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *name = NULL;
  g_autoptr(GBytes) avatar = NULL;
  g_autoptr(GError) error = NULL;

  if (!_sotto_profile_decode_plaintext (data, size, &name, &avatar, &error))
    {
      g_assert_nonnull (error);
      g_assert_null (name);
      g_assert_null (avatar);
      return 0;
    }

  g_assert_no_error (error);
  g_assert_nonnull (name);
  g_assert_cmpuint (strlen (name), >, 0);
  g_assert_cmpuint (strlen (name), <=, SOTTO_PROFILE_MAX_NAME);
  g_assert_true (g_utf8_validate (name, -1, NULL));
  g_assert_true (avatar == NULL || g_bytes_get_size (avatar) <= SOTTO_PROFILE_MAX_AVATAR);

  return 0;
}
