/* relay-metrics.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Renders the counters in the Prometheus text exposition format.
 */

#include "config.h"

#include <sys/resource.h>
#include <unistd.h>

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

/* A number as Prometheus prints it: "0.00025", not
 * "0.00025000000000000001". */
static const char *
short_decimal (char   *buffer,
               double  value)
{
  return g_ascii_formatd (buffer, G_ASCII_DTOSTR_BUF_SIZE, "%.15g", value);
}

void
relay_histogram_add (RelayHistogram *histogram,
                     double          seconds)
{
  histogram->count++;
  histogram->sum += seconds;
  for (guint i = 0; i < RELAY_COMMIT_BUCKETS; i++)
    if (seconds <= relay_commit_bucket_bounds[i])
      histogram->buckets[i]++;
}

static void
render_histogram (GString       *out,
                  const char    *name,
                  const char    *help,
                  const guint64 *buckets,
                  guint64        count,
                  double         sum)
{
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
  for (guint i = 0; i < RELAY_COMMIT_BUCKETS; i++)
    g_string_append_printf (out, "%s_bucket{le=\"%s\"} %" G_GUINT64_FORMAT "\n", name,
                            short_decimal (number, relay_commit_bucket_bounds[i]), buckets[i]);
  g_string_append_printf (out, "%s_bucket{le=\"+Inf\"} %" G_GUINT64_FORMAT "\n", name, count);
  g_string_append_printf (out, "%s_sum %s\n", name, short_decimal (number, sum));
  g_string_append_printf (out, "%s_count %" G_GUINT64_FORMAT "\n", name, count);
}

static gint64
count_open_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  gint64 count = 0;

  if (dir == NULL)
    return -1;
  while (g_dir_read_name (dir) != NULL)
    count++;
  /* The directory's own descriptor is not one of the relay's. */
  return count - 1;
}

static gint64
resident_bytes (void)
{
  g_autofree char *statm = NULL;
  g_auto(GStrv) fields = NULL;

  if (!g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL))
    return -1;
  fields = g_strsplit (statm, " ", 3);
  if (g_strv_length (fields) < 2)
    return -1;
  return g_ascii_strtoll (fields[1], NULL, 10) * sysconf (_SC_PAGESIZE);
}

/* The standard process metrics that Prometheus client libraries export,
 * under their usual names, so that existing dashboards work. */
static void
render_process (GString            *out,
                const RelayMetrics *metrics)
{
  char number[G_ASCII_DTOSTR_BUF_SIZE];
  struct rusage usage;
  struct rlimit limit;
  double cpu = 0;

  if (getrusage (RUSAGE_SELF, &usage) == 0)
    cpu = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
          (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  g_string_append_printf (out,
                          "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
                          "# TYPE process_cpu_seconds_total counter\n"
                          "process_cpu_seconds_total %s\n", short_decimal (number, cpu));
  counter (out, "process_resident_memory_bytes", "Resident memory size in bytes.", "gauge",
           resident_bytes ());
  counter (out, "process_open_fds", "Number of open file descriptors.", "gauge", count_open_fds ());
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0)
    counter (out, "process_max_fds", "Maximum number of open file descriptors.", "gauge",
             (gint64) limit.rlim_cur);
  g_string_append_printf (out,
                          "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
                          "# TYPE process_start_time_seconds gauge\n"
                          "process_start_time_seconds %s\n",
                          short_decimal (number, metrics->start_time / (double) G_USEC_PER_SEC));
}

char *
relay_metrics_render (const RelayMetrics     *metrics,
                      const RelayCommitStats *commits)
{
  GString *out = g_string_new (NULL);

  g_string_append (out,
                   "# HELP sotto_relay_build_info The relay's version.\n"
                   "# TYPE sotto_relay_build_info gauge\n"
                   "sotto_relay_build_info{version=\"" PACKAGE_VERSION "\"} 1\n");
  /* Which node this is, for relays whose nodes share one database: the
   * host and the process, which tell apart nodes that run on one
   * machine too.  Gauges of the whole database, such as
   * sotto_relay_envelopes_queued, read the same on every node. */
  g_string_append_printf (out,
                          "# HELP sotto_relay_node_info The node that serves these metrics.\n"
                          "# TYPE sotto_relay_node_info gauge\n"
                          "sotto_relay_node_info{host=\"%s\",pid=\"%d\"} 1\n",
                          g_get_host_name (), (int) getpid ());

  counter (out, "sotto_relay_envelopes_accepted_total",
           "Envelopes accepted and durably stored.", "counter",
           (gint64) metrics->envelopes_accepted);
  counter (out, "sotto_relay_envelopes_delivered_total",
           "Envelopes delivered and acknowledged by their recipient.", "counter",
           (gint64) metrics->envelopes_delivered);
  counter (out, "sotto_relay_envelopes_online_total",
           "Online-only envelopes pushed to a connected device, never stored.", "counter",
           (gint64) metrics->envelopes_online);
  counter (out, "sotto_relay_envelopes_expired_total",
           "Envelopes dropped because they waited longer than the queue age limit.", "counter",
           (gint64) metrics->envelopes_expired);
  counter (out, "sotto_relay_envelopes_lapsed_total",
           "Envelopes dropped because the expiry their sender gave them passed.", "counter",
           (gint64) metrics->envelopes_lapsed);
  counter (out, "sotto_relay_envelopes_queued",
           "Envelopes stored and not yet acknowledged.", "gauge",
           commits->queued);
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
  counter (out, "sotto_relay_password_hashes_total",
           "Argon2id hashes run, for password checks and registrations.",
           "counter", (gint64) metrics->password_hashes);
  g_string_append (out,
                   "# HELP sotto_relay_open_connections Open client connections.\n"
                   "# TYPE sotto_relay_open_connections gauge\n");
  g_string_append_printf (out, "sotto_relay_open_connections{kind=\"http\"} %" G_GINT64_FORMAT "\n",
                          metrics->http_connections);
  g_string_append_printf (out, "sotto_relay_open_connections{kind=\"websocket\"} %" G_GINT64_FORMAT "\n",
                          metrics->websocket_connections);

  render_histogram (out, "sotto_relay_commit_seconds", "Time from BEGIN to a durable COMMIT.",
                    commits->latency_buckets, commits->commits, commits->latency_sum);
  render_histogram (out, "sotto_relay_send_storage_seconds",
                    "Time from a send's submission to storage until it is durable.",
                    metrics->send_storage.buckets, metrics->send_storage.count, metrics->send_storage.sum);
  render_histogram (out, "sotto_relay_send_handback_seconds",
                    "Time from a send being durable until the event loop takes it up to answer it and push its envelopes.",
                    metrics->send_handback.buckets, metrics->send_handback.count, metrics->send_handback.sum);
  counter (out, "sotto_relay_storage_ops_total",
           "Storage operations run, in all commits.", "counter", (gint64) commits->ops);
  render_process (out, metrics);
  return g_string_free (out, FALSE);
}
