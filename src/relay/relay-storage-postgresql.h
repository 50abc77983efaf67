/* relay-storage-postgresql.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "relay-config.h"
#include "relay-storage.h"

G_BEGIN_DECLS

/* The channel every node listens on: a committed send notifies it with
 * the recipient device's key (relay_device_key()). */
#define RELAY_POSTGRESQL_CHANNEL "sotto_queue"
/* The channel sotto-relay admin notifies when it deleted or banned an
 * account, with its UUID: every node's writer listens on it, and then
 * forgets the passwords it has checked (RelayStorage.outside_changes). */
#define RELAY_POSTGRESQL_ADMIN_CHANNEL "sotto_admin"

/* The PostgreSQL backend: any number of relay nodes may share the
 * database at `url` (postgresql://...).  Fetches of one account's
 * one-time prekeys are rationed across all of them by
 * target_one_time_prekeys, as read when the node started. */
RelayStorage *relay_storage_postgresql_open           (const char       *url,
                                                        const RelayRate  *target_one_time_prekeys,
                                                        GError          **error);
gboolean      relay_storage_postgresql_url_is_valid   (const char  *url,
                                                        GError     **error);
/* The schema version that this relay's migrations lead to. */
guint         relay_storage_postgresql_schema_version (void);

G_END_DECLS
