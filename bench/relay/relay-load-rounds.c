/* relay-load-rounds.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The closed loop of several servers compared on a machine that other
 * work shares.  Measured one after the other, each server got whatever
 * the rest of the machine left it at its time, and two runs of the same
 * comparison disagreed by a factor of three.  Here every server runs at
 * once, connected and idle, and they take turns: in each round every
 * target has the closed loop to itself for a short while, in an order
 * that rotates from round to round.  Noise that lasts longer than a turn
 * then falls on every target alike, and the figure that compares two of
 * them is the median over the rounds of their ratio in the same round,
 * printed with its lowest and highest so that its spread shows.
 *
 * An envelope counts as durable once the relay has answered its send,
 * which it does only after the commit, and its receiver has read it.
 * An XMPP server answers no message, so its figure counts receipts.
 * Messages that never arrive are counted as lost, never silently.
 */

#include "config.h"

#include "load.h"

/* Unmeasured, at the start of each turn: the window fills and the
 * server reaches its steady state. */
#define WARM_UP_SECONDS 0.5
/* After each turn: what is in flight arrives, and the server settles. */
#define SETTLE_SECONDS  0.3

typedef struct
{
  double durable;         /* envelopes a second */
  double server_cpu;      /* percent of one core, of the target's processes */
  double database_cpu;    /* percent of one core, of PostgreSQL's */
  guint  lost;            /* sent in the turn and not received by the end of its drain */
} Turn;

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* The median, lowest and highest of `values`, which it sorts. */
static void
summarize (double *values,
           guint   n,
           double *median,
           double *lowest,
           double *highest)
{
  qsort (values, n, sizeof *values, compare_double);
  *median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  *lowest = values[0];
  *highest = values[n - 1];
}

static Turn
take_turn (LoadTarget *target,
           LoadPair   *pairs,
           guint       n_pairs,
           double      seconds)
{
  Turn turn;
  double cpu_before;
  double database_before;

  load_closed_loop (pairs, n_pairs, WARM_UP_SECONDS);
  load_stats.delivered = load_stats.answered = load_stats.errors = 0;
  cpu_before = load_target_cpu_seconds (target);
  database_before = load_database_cpu_seconds ();
  load_closed_loop (pairs, n_pairs, seconds);
  turn.durable = (double) (target->pipeline > 0 ? MIN (load_stats.answered, load_stats.delivered)
                                                 : load_stats.delivered) / seconds;
  turn.server_cpu = (load_target_cpu_seconds (target) - cpu_before) * 100 / seconds;
  /* Only the relays on PostgreSQL use it; it idles in the others' turns. */
  turn.database_cpu = (load_database_cpu_seconds () - database_before) * 100 / seconds;
  if (load_stats.errors > 0)
    g_error ("%s answered %" G_GUINT64_FORMAT " sends with an error", target->name, load_stats.errors);
  load_drain (pairs, n_pairs, SETTLE_SECONDS);
  /* What has not arrived after the drain's 30 s is not coming: left
   * counted as undelivered, it would shrink the pair's window in every
   * later turn. */
  turn.lost = 0;
  for (guint p = 0; p < n_pairs; p++)
    {
      turn.lost += pairs[p].undelivered;
      pairs[p].undelivered = 0;
    }
  /* Each turn as it ends, so that a turn that went wrong can be found
   * in the relays' logs and the database's by its time. */
  g_printerr ("# %s: %.0f durable envelopes/s, %u lost\n", target->name, turn.durable, turn.lost);
  return turn;
}

static void
print_summary (LoadTarget *const *targets,
               guint              n_targets,
               guint              n_rounds,
               double             seconds,
               Turn              *turns)
{
  g_autofree double *values = g_new (double, n_rounds);

  g_print ("\nclosed loop, durable envelopes/s: %u rounds, %.1f s per turn, the targets' order rotating\n",
           n_rounds, seconds);
  g_print ("%-34s %10s %10s %10s %10s %9s %14s %8s\n", "", "median", "lowest", "highest", "relay CPU", "PG CPU",
           "per CPU-second", "lost");
  for (guint t = 0; t < n_targets; t++)
    {
      double median, lowest, highest, cpu, database_cpu, ignored;
      guint lost = 0;

      for (guint r = 0; r < n_rounds; r++)
        values[r] = turns[r * n_targets + t].durable;
      summarize (values, n_rounds, &median, &lowest, &highest);
      for (guint r = 0; r < n_rounds; r++)
        values[r] = turns[r * n_targets + t].server_cpu;
      summarize (values, n_rounds, &cpu, &ignored, &ignored);
      for (guint r = 0; r < n_rounds; r++)
        values[r] = turns[r * n_targets + t].database_cpu;
      summarize (values, n_rounds, &database_cpu, &ignored, &ignored);
      for (guint r = 0; r < n_rounds; r++)
        lost += turns[r * n_targets + t].lost;
      g_print ("%-34s %10.0f %10.0f %10.0f %9.0f%% %8.0f%% %14.0f %8u\n", targets[t]->name, median, lowest, highest,
               cpu, database_cpu, cpu + database_cpu > 0 ? median * 100 / (cpu + database_cpu) : 0, lost);
    }

  /* Against the first target, round by round. */
  if (n_targets < 2)
    return;
  g_print ("\n%-34s %10s %10s %10s   (each round's figure over %s's in the same round)\n", "ratio", "median",
           "lowest", "highest", targets[0]->name);
  for (guint t = 1; t < n_targets; t++)
    {
      double median, lowest, highest;

      for (guint r = 0; r < n_rounds; r++)
        values[r] = turns[r * n_targets + t].durable / MAX (turns[r * n_targets].durable, 1);
      summarize (values, n_rounds, &median, &lowest, &highest);
      g_print ("%-34s %10.2f %10.2f %10.2f\n", targets[t]->name, median, lowest, highest);
      /* Issue 19's target: two nodes on PostgreSQL reach one on SQLite. */
      if (g_str_has_prefix (targets[t]->name, "sotto-relay, PostgreSQL, 2 "))
        g_print ("%-34s %s (median ratio %.2f, target >= 1)\n", "  two PostgreSQL nodes >= SQLite",
                 median >= 1 ? "met" : "MISSED", median);
    }
}

void
load_rounds_run (LoadTarget *const *targets,
                 guint              n_targets,
                 guint              n_pairs,
                 guint              n_rounds,
                 double             seconds)
{
  g_autofree LoadPair **pairs = g_new (LoadPair *, n_targets);
  g_autofree Turn *turns = g_new0 (Turn, (gsize) n_rounds * n_targets);

  g_assert (n_targets > 0 && n_rounds > 0);
  /* Every target connected before any turn, so that none pays for the
   * others' setup. */
  for (guint t = 0; t < n_targets; t++)
    pairs[t] = load_pairs_new (targets[t], n_pairs);
  for (guint r = 0; r < n_rounds; r++)
    {
      g_printerr ("# round %u of %u\n", r + 1, n_rounds);
      for (guint i = 0; i < n_targets; i++)
        {
          guint t = (r + i) % n_targets;

          turns[r * n_targets + t] = take_turn (targets[t], pairs[t], n_pairs, seconds);
        }
    }
  print_summary (targets, n_targets, n_rounds, seconds, turns);
  for (guint t = 0; t < n_targets; t++)
    {
      load_pairs_free (pairs[t], n_pairs);
      targets[t]->klass->finish (targets[t]);
    }
}
