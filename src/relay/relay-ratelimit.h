/* relay-ratelimit.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "relay-config.h"

G_BEGIN_DECLS

typedef struct _RelayRateLimiter RelayRateLimiter;

RelayRateLimiter *relay_rate_limiter_new   (const RelayRate  *rates);
void              relay_rate_limiter_free  (RelayRateLimiter *self);
void              relay_rate_limiter_set_rates (RelayRateLimiter *self,
                                                const RelayRate  *rates);
gboolean          relay_rate_limiter_take  (RelayRateLimiter *self,
                                            RelayRateKind     kind,
                                            const char       *key,
                                            gint64            now_us);
/* Whether relay_rate_limiter_take() would succeed now, without taking:
 * for a cost charged only once the request proves to deserve it. */
gboolean          relay_rate_limiter_peek  (RelayRateLimiter *self,
                                            RelayRateKind     kind,
                                            const char       *key,
                                            gint64            now_us);
/* Gives back a token that relay_rate_limiter_take() took for a request
 * that then turned out not to deserve the charge. */
void              relay_rate_limiter_give_back (RelayRateLimiter *self,
                                                RelayRateKind     kind,
                                                const char       *key,
                                                gint64            now_us);
void              relay_rate_limiter_prune (RelayRateLimiter *self,
                                            gint64            now_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayRateLimiter, relay_rate_limiter_free)

G_END_DECLS
