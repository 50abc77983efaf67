/* relay-server.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "relay-config.h"
#include "relay-sealed-key.h"
#include "relay-storage.h"

G_BEGIN_DECLS

typedef struct _RelayServer RelayServer;

RelayServer *relay_server_new  (RelayConfig   *config,
                                RelayStorage  *storage,
                                GError       **error);
int          relay_server_run  (RelayServer   *self);
void         relay_server_free (RelayServer   *self);
/* Takes the sealed sender server key, with which the relay issues
 * sender certificates. */
void         relay_server_set_sealed_key (RelayServer    *self,
                                          RelaySealedKey *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayServer, relay_server_free)

G_END_DECLS
