/* relay-sealed-key.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The relay's sealed sender server key, its certificate from the
 * operator's trust root, and the files both live in.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The file, in the data directory, that holds the server key and its
 * certificate; without it the relay issues no sender certificates. */
#define RELAY_SEALED_KEY_FILE        "sealed-sender.key"
/* A bound on either file: a few lines of base64. */
#define RELAY_SEALED_FILE_MAX_BYTES  4096

typedef struct _RelaySealedKey RelaySealedKey;

/* Parses a server key file: "key-id=N", "private-key=BASE64" (32 bytes)
 * and "certificate=BASE64" (a ServerCertificate for that id and the
 * key's public half), each once, and at most once "trust-root=BASE64"
 * (the public key of the root that signed the certificate, which the
 * relay then publishes), lines of "#" comments or blank.  The private
 * key lives in guarded memory. */
RelaySealedKey *relay_sealed_key_parse      (const char      *data,
                                             gsize            length,
                                             GError         **error);
/* Reads DIR/RELAY_SEALED_KEY_FILE; NULL without an error when there is
 * no such file. */
RelaySealedKey *relay_sealed_key_load       (const char      *data_dir,
                                             GError         **error);
void            relay_sealed_key_free       (RelaySealedKey  *self);
guint32         relay_sealed_key_get_id     (RelaySealedKey  *self);
/* The trust root's public key that the file named, checked against the
 * certificate; NULL when it named none. */
GBytes         *relay_sealed_key_get_trust_root (RelaySealedKey *self);

/* A SenderCertificate for `uuid`.`device_id` with the 33-byte identity
 * key, valid until `expires_ms`, signed with the server key. */
GBytes         *relay_sealed_key_certify    (RelaySealedKey  *self,
                                             const char      *uuid,
                                             guint32          device_id,
                                             GBytes          *identity_key,
                                             guint64          expires_ms,
                                             GError         **error);

/* sotto-relay sealed-sender: makes the trust root and issues server
 * keys (see docs/deploy.md). */
int             relay_sealed_sender_main    (int              argc,
                                             char           **argv);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelaySealedKey, relay_sealed_key_free)

G_END_DECLS
