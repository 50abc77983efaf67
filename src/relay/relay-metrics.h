/* relay-metrics.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "relay-storage.h"

G_BEGIN_DECLS

/* Counters owned by the event loop thread; the storage backend keeps its
 * own commit statistics and the queue length, which
 * relay_metrics_render() reads. */
typedef struct
{
  guint64 envelopes_accepted;
  guint64 envelopes_delivered;
  guint64 envelopes_expired;
  guint64 http_requests;
  guint64 request_errors_4xx;
  guint64 request_errors_5xx;
  guint64 rate_limited;
  guint64 password_checks;
  guint64 password_hashes;
  gint64  http_connections;
  gint64  websocket_connections;
  gint64  start_time;   /* wall clock, in microseconds */
} RelayMetrics;

char *relay_metrics_render (const RelayMetrics     *metrics,
                            const RelayCommitStats *commits);

G_END_DECLS
