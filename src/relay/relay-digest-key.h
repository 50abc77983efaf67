/* relay-digest-key.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The file in the data directory that holds the key. */
#define RELAY_DIGEST_KEY_FILE  "password-digest.key"
#define RELAY_DIGEST_KEY_BYTES 32
#define RELAY_DIGEST_BYTES     32

typedef struct _RelayDigestKey RelayDigestKey;

RelayDigestKey *relay_digest_key_load    (const char      *data_dir,
                                          GError         **error);
void            relay_digest_key_free    (RelayDigestKey  *self);
GBytes         *relay_digest_key_digest  (RelayDigestKey  *self,
                                          const char      *password_hash,
                                          const char      *password) G_GNUC_WARN_UNUSED_RESULT;
gboolean        relay_digest_key_matches (RelayDigestKey  *self,
                                          GBytes          *digest,
                                          const char      *password_hash,
                                          const char      *password);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayDigestKey, relay_digest_key_free)

G_END_DECLS
