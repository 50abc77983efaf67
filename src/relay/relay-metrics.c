/* relay-metrics.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Renders the counters in the Prometheus text exposition format.
 */

#include "config.h"

#include "relay-metrics.h"

static void
counter (GString    *out,
         const char *name,
         const char *help,
         const char *type,
         gint64      value)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n%s %" G_GINT64_FORMAT "\n",
                          name, help, name, type, name, value);
}

char *
relay_metrics_render (const RelayMetrics     *metrics,
                      const RelayCommitStats *commits)
{
  GString *out = g_string_new (NULL);
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  counter (out, "sotto_relay_envelopes_accepted_total",
           "Envelopes accepted and durably stored.", "counter",
           (gint64) metrics->envelopes_accepted);
  counter (out, "sotto_relay_envelopes_delivered_total",
           "Envelopes delivered and acknowledged by their recipient.", "counter",
           (gint64) metrics->envelopes_delivered);
  counter (out, "sotto_relay_envelopes_expired_total",
           "Envelopes dropped because they waited longer than the queue age limit.", "counter",
           (gint64) metrics->envelopes_expired);
  counter (out, "sotto_relay_envelopes_queued",
           "Envelopes stored and not yet acknowledged.", "gauge",
           metrics->envelopes_queued);
  counter (out, "sotto_relay_http_requests_total",
           "HTTP requests received.", "counter", (gint64) metrics->http_requests);
  g_string_append (out,
                   "# HELP sotto_relay_request_errors_total Requests answered with an error.\n"
                   "# TYPE sotto_relay_request_errors_total counter\n");
  g_string_append_printf (out, "sotto_relay_request_errors_total{class=\"4xx\"} %" G_GUINT64_FORMAT "\n",
                          metrics->request_errors_4xx);
  g_string_append_printf (out, "sotto_relay_request_errors_total{class=\"5xx\"} %" G_GUINT64_FORMAT "\n",
                          metrics->request_errors_5xx);
  counter (out, "sotto_relay_rate_limited_total",
           "Requests refused by a rate limit.", "counter", (gint64) metrics->rate_limited);
  counter (out, "sotto_relay_password_checks_total",
           "Argon2id password checks run, those of unknown devices against a decoy included.",
           "counter", (gint64) metrics->password_checks);
  g_string_append (out,
                   "# HELP sotto_relay_open_connections Open client connections.\n"
                   "# TYPE sotto_relay_open_connections gauge\n");
  g_string_append_printf (out, "sotto_relay_open_connections{kind=\"http\"} %" G_GINT64_FORMAT "\n",
                          metrics->http_connections);
  g_string_append_printf (out, "sotto_relay_open_connections{kind=\"websocket\"} %" G_GINT64_FORMAT "\n",
                          metrics->websocket_connections);

  g_string_append (out,
                   "# HELP sotto_relay_commit_seconds Time from BEGIN to a durable COMMIT.\n"
                   "# TYPE sotto_relay_commit_seconds histogram\n");
  for (guint i = 0; i < RELAY_COMMIT_BUCKETS; i++)
    g_string_append_printf (out, "sotto_relay_commit_seconds_bucket{le=\"%s\"} %" G_GUINT64_FORMAT "\n",
                            g_ascii_dtostr (number, sizeof number, relay_commit_bucket_bounds[i]),
                            commits->latency_buckets[i]);
  g_string_append_printf (out, "sotto_relay_commit_seconds_bucket{le=\"+Inf\"} %" G_GUINT64_FORMAT "\n",
                          commits->commits);
  g_string_append_printf (out, "sotto_relay_commit_seconds_sum %s\n",
                          g_ascii_dtostr (number, sizeof number, commits->latency_sum));
  g_string_append_printf (out, "sotto_relay_commit_seconds_count %" G_GUINT64_FORMAT "\n",
                          commits->commits);
  counter (out, "sotto_relay_storage_ops_total",
           "Storage operations run, in all commits.", "counter", (gint64) commits->ops);
  return g_string_free (out, FALSE);
}
