/* sotto-profile-cipher-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "sotto-content-private.h"
#include "sotto-messenger.h"

G_BEGIN_DECLS

/* The plaintext is padded to a multiple of this, so that the relay
 * learns a name's length only to within a block. */
#define SOTTO_PROFILE_BLOCK_SIZE 256

/* The unidentified-access key derived from a profile key. */
#define SOTTO_PROFILE_ACCESS_KEY_SIZE 16

/* The most pixels a side that an avatar may declare: avatars are shown
 * at most a few hundred pixels a side, and decoded at full size first. */
#define SOTTO_PROFILE_MAX_AVATAR_SIDE 2048

gboolean  _sotto_profile_avatar_is_valid    (GBytes       *avatar);
GBytes   *_sotto_profile_encrypt            (const guint8  key[SOTTO_PROFILE_KEY_SIZE],
                                             const char   *name,
                                             GBytes       *avatar) G_GNUC_WARN_UNUSED_RESULT;
gboolean  _sotto_profile_decrypt            (const guint8  key[SOTTO_PROFILE_KEY_SIZE],
                                             GBytes       *blob,
                                             char        **name,
                                             GBytes      **avatar,
                                             GError      **error);
gboolean  _sotto_profile_decode_plaintext   (const guint8 *plaintext,
                                             gsize         len,
                                             char        **name,
                                             GBytes      **avatar,
                                             GError      **error);
void      _sotto_profile_derive_access_key  (const guint8  key[SOTTO_PROFILE_KEY_SIZE],
                                             guint8        access_key[SOTTO_PROFILE_ACCESS_KEY_SIZE]);

G_END_DECLS
