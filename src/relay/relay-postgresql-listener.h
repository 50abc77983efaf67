/* relay-postgresql-listener.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <uv.h>

G_BEGIN_DECLS

/*
 * What lets several relay nodes share one PostgreSQL database: a
 * connection of its own that LISTENs on RELAY_POSTGRESQL_CHANNEL, watched
 * by the node's libuv loop.  Each notification names the device whose
 * queue another node (or this one) added to; `changed` runs in the loop
 * with its key.  After the connection was lost and made again,
 * `changed` runs once with NULL: any queue may have changed meanwhile.
 *
 * The same connection carries online-only envelopes, which are stored
 * nowhere, between nodes: relay_postgresql_listener_publish() notifies
 * RELAY_POSTGRESQL_ONLINE_CHANNEL with a notice
 * (relay-postgresql-online.h), and `online` runs on every other node
 * with each notice that arrives.  Like the envelopes
 * themselves, notices are best effort: those published while the
 * connection is down, or beyond MAX_WAITING_NOTICES waiting to go out,
 * are dropped.
 */

#define RELAY_POSTGRESQL_ONLINE_CHANNEL "sotto_online"

typedef struct _RelayPostgresqlListener RelayPostgresqlListener;

typedef void (*RelayQueueChangedFunc) (const char *device_key,
                                       gpointer    user_data);
typedef void (*RelayOnlineNoticeFunc) (const char *notice,
                                       gpointer    user_data);

RelayPostgresqlListener *relay_postgresql_listener_new   (uv_loop_t              *loop,
                                                          const char             *url,
                                                          RelayQueueChangedFunc   changed,
                                                          RelayOnlineNoticeFunc   online,
                                                          gpointer                user_data,
                                                          GError                **error);
void                     relay_postgresql_listener_publish (RelayPostgresqlListener *self,
                                                            const char              *notice);
/* Stops listening and closes the loop's handles; free once the loop
 * has run their close callbacks. */
void                     relay_postgresql_listener_close (RelayPostgresqlListener *self);
void                     relay_postgresql_listener_free  (RelayPostgresqlListener *self);

G_END_DECLS
