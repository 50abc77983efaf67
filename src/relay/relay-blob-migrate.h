/* relay-blob-migrate.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <libpq-fe.h>
#include <sodium.h>

G_BEGIN_DECLS

/* Copies the attachment blobs in DATA_DIR/blobs into the PostgreSQL
 * database on `conn`, in the transaction it has open, reads them back
 * and checks that they arrived intact; gives how many there are and a
 * BLAKE2b hash of them, metadata and bytes. */
gboolean relay_blob_migrate (const char  *data_dir,
                             PGconn      *conn,
                             gint64      *count,
                             guint8       hash[crypto_generichash_BYTES],
                             GError     **error);

G_END_DECLS
