/* relay-guard.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <libwebsockets.h>
#include <uv.h>

#include "relay-config.h"

G_BEGIN_DECLS

#define RELAY_PEER_ADDRESS_SIZE 64

/* Where a connection stands.  Each phase that waits on the client has a
 * deadline; the phases that wait on the relay itself have none. */
typedef enum
{
  RELAY_PHASE_HEADERS,    /* a new connection, its first request's headers arriving */
  RELAY_PHASE_IDLE,       /* kept alive, waiting for the next request */
  RELAY_PHASE_BODY,       /* a request's body arriving */
  RELAY_PHASE_BUSY,       /* the relay works on the request */
  RELAY_PHASE_WRITING,    /* an answer waits for the client to read it */
  RELAY_PHASE_WEBSOCKET,  /* an open WebSocket: a deadline only while output waits */
} RelayPhase;

typedef struct _RelayGuard RelayGuard;
typedef struct _RelaySlot RelaySlot;

RelayGuard  *relay_guard_new              (const RelayConfig  *config,
                                           uv_loop_t          *loop,
                                           GError            **error);
void         relay_guard_close            (RelayGuard         *self);
void         relay_guard_free             (RelayGuard         *self);
guint        relay_guard_capacity         (RelayGuard         *self);
gboolean     relay_guard_admit            (RelayGuard         *self,
                                           struct lws         *listener);
void         relay_guard_forget_listener  (RelayGuard         *self,
                                           struct lws         *wsi);
RelaySlot   *relay_guard_add              (RelayGuard         *self,
                                           struct lws         *wsi);
void         relay_guard_remove           (RelayGuard         *self,
                                           RelaySlot          *slot);

const char  *relay_slot_address           (RelaySlot          *slot);
void         relay_slot_set_phase         (RelaySlot          *slot,
                                           RelayPhase          phase);
void         relay_slot_output_waiting    (RelaySlot          *slot);
void         relay_slot_output_progress   (RelaySlot          *slot,
                                           gboolean            still_waiting);

G_END_DECLS
