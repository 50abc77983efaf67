/* relay-guid.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "relay-api.h"

G_BEGIN_DECLS

/*
 * Envelope GUIDs.  A GUID is the id of a queue entry and a random tag,
 * encrypted together as one AES block under a key that only the relay
 * knows, and written like a UUID.  The relay finds the entry from the
 * GUID alone, without an index of GUIDs, while a client learns nothing
 * from one: not the entry's id, so not how many envelopes the relay has
 * stored for others, and it cannot make the GUID of any other entry.
 */

#define RELAY_GUID_KEY_SIZE 16

typedef struct _RelayGuidCipher RelayGuidCipher;

RelayGuidCipher *relay_guid_cipher_new  (const guint8     key[RELAY_GUID_KEY_SIZE]);
void             relay_guid_cipher_free (RelayGuidCipher *self);
void             relay_guid_encode      (RelayGuidCipher *self,
                                         gint64           id,
                                         gint64           tag,
                                         char             guid[RELAY_UUID_LENGTH + 1]);
gboolean         relay_guid_decode      (RelayGuidCipher *self,
                                         const char      *guid,
                                         gint64          *id,
                                         gint64          *tag);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayGuidCipher, relay_guid_cipher_free)

G_END_DECLS
