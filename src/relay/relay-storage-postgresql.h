/* relay-storage-postgresql.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "relay-storage.h"

G_BEGIN_DECLS

/* The channel every node listens on: a committed send notifies it with
 * the recipient device's key (relay_device_key()). */
#define RELAY_POSTGRESQL_CHANNEL "sotto_queue"

/* The PostgreSQL backend: any number of relay nodes may share the
 * database at `url` (postgresql://...). */
RelayStorage *relay_storage_postgresql_open           (const char  *url,
                                                        GError     **error);
gboolean      relay_storage_postgresql_url_is_valid   (const char  *url,
                                                        GError     **error);
/* The schema version that this relay's migrations lead to. */
guint         relay_storage_postgresql_schema_version (void);

G_END_DECLS
