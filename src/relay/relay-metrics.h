/* relay-metrics.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "relay-storage.h"

G_BEGIN_DECLS

/* A latency histogram over relay_commit_bucket_bounds, Prometheus
 * style: every bucket counts the observations at most its bound. */
typedef struct
{
  guint64 count;
  double  sum;
  guint64 buckets[RELAY_COMMIT_BUCKETS];
} RelayHistogram;

void relay_histogram_add (RelayHistogram *histogram,
                          double          seconds);

/* Counters owned by the event loop thread; the storage backend keeps its
 * own commit statistics and the queue length, which
 * relay_metrics_render() reads. */
typedef struct
{
  guint64 envelopes_accepted;
  guint64 envelopes_delivered;
  guint64 envelopes_online;
  guint64 envelopes_expired;
  guint64 envelopes_lapsed;
  guint64 http_requests;
  guint64 request_errors_4xx;
  guint64 request_errors_5xx;
  guint64 rate_limited;
  guint64 password_checks;
  guint64 password_hashes;
  gint64  http_connections;
  gint64  websocket_connections;
  gint64  start_time;   /* wall clock, in microseconds */
  /* Where a send's time goes inside the relay: from its submission to
   * the storage writer until it is durable (waiting for the writer,
   * then the commit), and from then until the loop answers it and
   * hands its envelopes to their connections. */
  RelayHistogram send_storage;
  RelayHistogram send_handback;
} RelayMetrics;

char *relay_metrics_render (const RelayMetrics     *metrics,
                            const RelayCommitStats *commits);

G_END_DECLS
