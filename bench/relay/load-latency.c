/* load-latency.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the latencies of a fixed-rate phase are made of: the samples and
 * their percentiles, the load generator's own lateness, how long the
 * server's threads waited for a core, and where the relay says its
 * sends spent their time.
 */

#include "config.h"

#include <stdlib.h>

#include "load.h"

int
load_compare_gint64 (gconstpointer a,
                     gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static int
compare_latency (gconstpointer a,
                 gconstpointer b)
{
  return load_compare_gint64 (&((const LoadSample *) a)->latency, &((const LoadSample *) b)->latency);
}

/* Starts recording a fixed-rate phase. */
void
load_recording_start (void)
{
  g_array_set_size (load_stats.samples, 0);
  g_array_set_size (load_stats.lags, 0);
  load_stats.recording = TRUE;
  load_stats.delivered = load_stats.sent = load_stats.errors = 0;
}

/* Ends it: sorts the samples by latency and the lags. */
void
load_recording_stop (void)
{
  load_stats.recording = FALSE;
  g_array_sort (load_stats.samples, compare_latency);
  g_array_sort (load_stats.lags, load_compare_gint64);
}

double
load_percentile_ms (double p)
{
  GArray *samples = load_stats.samples;

  if (samples->len == 0)
    return 0;
  return (double) g_array_index (samples, LoadSample, (guint) (p * (samples->len - 1))).latency / 1e6;
}

/* What the latencies of a fixed-rate phase are made of, as far as the
 * load generator can tell: whether it kept its own schedule (how late
 * its sends left), whether the slowest 1 % of the messages were due
 * close together (one stall of everything, of the server's or of the
 * machine's) or spread over the phase (a tail of many small delays),
 * and when (a stall at the start follows from the phase before),
 * and how long the server's threads waited for a core meanwhile. */
void
load_print_generator (double server_waited)
{
  GArray *samples = load_stats.samples;
  GArray *lags = load_stats.lags;
  guint first_slow = (guint) (0.99 * (samples->len - 1));
  gint64 earliest = G_MAXINT64;
  gint64 latest = G_MININT64;
  gint64 phase_first = G_MAXINT64;
  gint64 phase_last = G_MININT64;

  if (samples->len == 0 || lags->len == 0)
    return;
  for (guint i = 0; i < samples->len; i++)
    {
      gint64 due = g_array_index (samples, LoadSample, i).due;

      phase_first = MIN (phase_first, due);
      phase_last = MAX (phase_last, due);
      if (i >= first_slow)
        {
          earliest = MIN (earliest, due);
          latest = MAX (latest, due);
        }
    }
  g_print ("  load generator: sends left p99 %.2f ms, at most %.2f ms after their due time; "
           "the slowest 1 %% were due within %.0f ms of each other, from %.0f ms into the phase's %.0f ms; "
           "the server's threads waited %.0f ms in all for a core\n",
           (double) g_array_index (lags, gint64, (guint) (0.99 * (lags->len - 1))) / 1e6,
           (double) g_array_index (lags, gint64, lags->len - 1) / 1e6,
           (double) (latest - earliest) / 1e6, (double) (earliest - phase_first) / 1e6,
           (double) (phase_last - phase_first) / 1e6, server_waited * 1000);
}

/* How long the threads of the server's processes have waited, runnable,
 * for a core (the second field of each thread's schedstat), in
 * nanoseconds by thread id.  A relay thread that waits for a core while
 * other processes run puts that wait into the latencies, and the relay
 * cannot tell it from its own; on a quiet machine it is close to
 * nothing. */
GHashTable *
load_runqueue_waits (LoadTarget *target)
{
  GHashTable *waits = g_hash_table_new (g_direct_hash, g_direct_equal);

  for (guint i = 0; i < target->n_pids; i++)
    {
      g_autofree char *tasks = g_strdup_printf ("/proc/%d/task", target->pids[i]);
      g_autoptr(GDir) dir = g_dir_open (tasks, 0, NULL);
      const char *tid;

      while (dir != NULL && (tid = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (tasks, tid, "schedstat", NULL);
          g_autofree char *text = NULL;
          char *after_run;
          guint64 waited;

          if (!g_file_get_contents (path, &text, NULL, NULL))
            continue;
          g_ascii_strtoull (text, &after_run, 10);
          waited = g_ascii_strtoull (after_run, NULL, 10);
          g_hash_table_insert (waits, GINT_TO_POINTER (atoi (tid)), GSIZE_TO_POINTER ((gsize) waited));
        }
    }
  return waits;
}

/* The waits since `before`, in seconds, of the threads there are now.
 * A thread that ended meanwhile (an idle worker) is left out. */
double
load_runqueue_seconds_since (LoadTarget *target,
                             GHashTable *before)
{
  g_autoptr(GHashTable) after = load_runqueue_waits (target);
  GHashTableIter iter;
  gpointer tid;
  gpointer waited;
  guint64 total = 0;

  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, &tid, &waited))
    total += (guint64) GPOINTER_TO_SIZE (waited) - (guint64) GPOINTER_TO_SIZE (g_hash_table_lookup (before, tid));
  return (double) total / 1e9;
}

/* The bound of the histogram's bucket that holds its p99 over a phase,
 * in milliseconds: the p99 is at most that.  Negative when the phase
 * observed nothing, infinite when the p99 is beyond the last bound. */
static double
histogram_p99_ms (const LoadHistogram *before,
                  const LoadHistogram *after)
{
  guint64 total;

  if (after->n_buckets == 0 || before->n_buckets != after->n_buckets)
    return -1;
  total = after->counts[after->n_buckets - 1] - before->counts[before->n_buckets - 1];
  if (total == 0)
    return -1;
  for (guint i = 0; i < after->n_buckets; i++)
    if ((double) (after->counts[i] - before->counts[i]) >= 0.99 * (double) total)
      return after->bounds[i] * 1000;
  return G_MAXDOUBLE;
}

/* Where the sends of a phase spent their time inside the relay, for
 * reading a latency tail: each p99 as the bucket bound it is under. */
void
load_print_stages (const LoadServerCounters *before,
                   const LoadServerCounters *after)
{
  const struct
  {
    const char          *label;
    const LoadHistogram *before;
    const LoadHistogram *after;
  } stages[] = {
    { "send to durable", &before->storage_histogram, &after->storage_histogram },
    { "of which one commit", &before->commit_histogram, &after->commit_histogram },
    { "durable to answered", &before->handback_histogram, &after->handback_histogram },
  };

  g_print ("  inside the relay, p99:");
  for (guint i = 0; i < G_N_ELEMENTS (stages); i++)
    {
      double p99 = histogram_p99_ms (stages[i].before, stages[i].after);

      if (p99 < 0)
        g_print ("%s %s none", i > 0 ? "," : "", stages[i].label);
      else if (p99 == G_MAXDOUBLE)
        g_print ("%s %s over %.0f ms", i > 0 ? "," : "", stages[i].label,
                 stages[i].after->bounds[stages[i].after->n_buckets - 2] * 1000);
      else
        g_print ("%s %s <= %g ms", i > 0 ? "," : "", stages[i].label, p99);
    }
  g_print ("\n");
}
