/* relay-load.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A bounded load generator on loopback.  It drives sotto-relay (which it
 * starts itself on a fresh data directory) and, when given one, an XMPP
 * server that run-bench.sh started, through the same phases with the
 * same 100-byte messages between sender/receiver pairs, and prints their
 * figures side by side.  Before that, every target (the SQLite relay,
 * one, two, three… relay nodes sharing each of the PostgreSQL databases
 * given, and the XMPP server) takes turns in short closed loops, round
 * after round, for a comparison that the machine's other load does not
 * tilt (relay-load-rounds.c).  Everything runs on one epoll loop with plain
 * sockets so that the client costs little next to the servers it
 * measures.
 *
 *   relay-load --relay BINARY [--postgresql URL...] [--xmpp-port PORT --xmpp-pid PID ...]
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "load.h"

/* The CPU phases hold the load steady over this many pairs while the
 * number of idle connections grows around them. */
#define CPU_PAIRS        10
#define CPU_RATE         2000
#define N_RATES          2
#define N_CONN_COUNTS    3

static const double latency_rates[N_RATES] = { 1000, 5000 };
static const guint connection_counts[N_CONN_COUNTS] = { 20, 2000, 10000 };

typedef enum
{
  MODE_CLOSED,    /* keep `window` messages undelivered per pair */
  MODE_RATE,      /* send what the fixed-rate schedule says is due */
} Mode;

typedef struct
{
  double  closed_rate;          /* messages received per second */
  double  closed_seconds;       /* the closed loop's length */
  double  closed_cpu_seconds;   /* of the server's processes */
  double  closed_cpu;           /* percent of one core */
  double  p50[N_RATES];
  double  p99[N_RATES];
  double  delivered[N_RATES];   /* per second */
  double  cpu[N_CONN_COUNTS];
  double  cpu_us[N_CONN_COUNTS]; /* of the server, per message received */
  double  idle_kib;
  guint64 errors;
} LoadResults;

LoadStats load_stats;

static int epfd = -1;
static GPtrArray *dirty;      /* of LoadConn with output to write */
static Mode mode;
static guint window = 256;
static pid_t database_pid;    /* the PostgreSQL server, or 0 */

/* Helpers for the targets. */

gint64
load_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
load_connect (guint16 port)
{
  struct sockaddr_in addr = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;

  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    g_error ("cannot connect to 127.0.0.1:%u: %s", port, g_strerror (errno));
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void
load_write_blocking (int         fd,
                     const char *data,
                     gsize       length)
{
  while (length > 0)
    {
      ssize_t n = write (fd, data, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        g_error ("write failed: %s", g_strerror (errno));
      data += n;
      length -= (gsize) n;
    }
}

/* Reads from a blocking socket until `in` holds `needle`. */
void
load_read_until (int         fd,
                 GString    *in,
                 const char *needle)
{
  char chunk[16384];

  while (strstr (in->str, needle) == NULL)
    {
      ssize_t n = read (fd, chunk, sizeof chunk);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        g_error ("the server closed a connection during setup");
      g_string_append_len (in, chunk, n);
    }
}

void
load_watch (LoadConn     *conn,
            int           fd,
            LoadConnRole  role,
            LoadPair     *pair)
{
  struct epoll_event event = { .events = EPOLLIN, .data.ptr = conn };

  conn->fd = fd;
  conn->role = role;
  conn->pair = pair;
  conn->in = g_string_sized_new (4096);
  conn->out = g_string_new (NULL);
  conn->in_flight = 0;
  conn->dirty = FALSE;
  conn->want_write = FALSE;
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
  epoll_ctl (epfd, EPOLL_CTL_ADD, fd, &event);
}

void
load_unwatch (LoadConn *conn)
{
  if (conn->fd < 0)
    return;
  epoll_ctl (epfd, EPOLL_CTL_DEL, conn->fd, NULL);
  close (conn->fd);
  conn->fd = -1;
  g_string_free (conn->in, TRUE);
  g_string_free (conn->out, TRUE);
}

static void
conn_want_write (LoadConn *conn,
                 gboolean  want)
{
  struct epoll_event event = { .events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = conn };

  if (conn->want_write == want)
    return;
  conn->want_write = want;
  epoll_ctl (epfd, EPOLL_CTL_MOD, conn->fd, &event);
}

static void
conn_flush (LoadConn *conn)
{
  gsize done = 0;

  while (done < conn->out->len)
    {
      ssize_t n = write (conn->fd, conn->out->str + done, conn->out->len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        break;
      if (n <= 0)
        g_error ("write failed: %s", g_strerror (errno));
      done += (gsize) n;
    }
  g_string_erase (conn->out, 0, (gssize) done);
  conn_want_write (conn, conn->out->len > 0);
}

/* Output waits for the end of the loop iteration, so that everything a
 * connection has to say in one iteration leaves in one write, as a
 * client with many messages in flight would write it. */
void
load_conn_write (LoadConn   *conn,
                 const char *data,
                 gsize       length)
{
  g_string_append_len (conn->out, data, (gssize) length);
  if (!conn->dirty && !conn->want_write)
    {
      conn->dirty = TRUE;
      g_ptr_array_add (dirty, conn);
    }
}

static void
flush_dirty (void)
{
  for (guint i = 0; i < dirty->len; i++)
    {
      LoadConn *conn = g_ptr_array_index (dirty, i);

      conn->dirty = FALSE;
      if (conn->fd >= 0)
        conn_flush (conn);
    }
  g_ptr_array_set_size (dirty, 0);
}

void
load_message_set (LoadPair   *pair,
                  char       *message,
                  gsize       length,
                  const char *content_base64)
{
  gsize content_length = strlen (content_base64);
  const char *content = NULL;

  /* A WebSocket frame's header may hold NUL bytes, so no str* search. */
  for (gsize i = 0; content == NULL && i + content_length <= length; i++)
    if (memcmp (message + i, content_base64, content_length) == 0)
      content = message + i;
  g_assert (content != NULL);
  g_free (pair->message);
  pair->message = message;
  pair->message_length = length;
  pair->stamp_offset = (gsize) (content - message);
}

char *
load_random_base64 (gsize length,
                    int   first_byte)
{
  g_autofree guint8 *data = g_malloc (length);

  for (gsize i = 0; i < length; i++)
    data[i] = (guint8) g_random_int_range (0, 256);
  if (first_byte >= 0)
    data[0] = (guint8) first_byte;
  return g_base64_encode (data, length);
}

/* Sending. */

static void
stamp (char   *where,
       gint64  t)
{
  guint8 head[9];
  g_autofree char *encoded = NULL;

  memcpy (head, &t, sizeof t);
  head[8] = 'x';
  encoded = g_base64_encode (head, sizeof head);
  memcpy (where, encoded, LOAD_STAMP_BASE64);
}

static LoadConn *
pick_sender (LoadTarget *target,
             LoadPair   *pair)
{
  if (target->pipeline == 0)
    return &pair->senders[0];
  for (guint i = 0; i < pair->n_senders; i++)
    {
      LoadConn *conn = &pair->senders[i];

      if (conn->fd >= 0 && conn->in_flight < target->pipeline)
        return conn;
    }
  return NULL;
}

static void
maybe_send (LoadPair *pair)
{
  for (;;)
    {
      LoadConn *conn;
      gint64 now;
      gint64 due;

      if (mode == MODE_CLOSED ? pair->undelivered >= window : pair->due->len == 0)
        return;
      conn = pick_sender (pair->target, pair);
      if (conn == NULL)
        return;
      now = load_now_ns ();
      due = now;
      if (mode == MODE_RATE)
        {
          gint64 lag;

          due = g_array_index (pair->due, gint64, 0);
          g_array_remove_index (pair->due, 0);
          lag = now - due;
          if (load_stats.recording)
            g_array_append_val (load_stats.lags, lag);
        }
      stamp (pair->message + pair->stamp_offset, due);
      load_conn_write (conn, pair->message, pair->message_length);
      if (pair->target->pipeline > 0)
        conn->in_flight++;
      pair->undelivered++;
      load_stats.sent++;
    }
}

void
load_answered (LoadConn *conn,
               gboolean  success)
{
  g_assert (conn->in_flight > 0);
  conn->in_flight--;
  if (success)
    load_stats.answered++;
  else
    {
      load_stats.errors++;
      conn->pair->undelivered--;
    }
  maybe_send (conn->pair);
}

void
load_received (LoadPair   *pair,
               const char *content_base64)
{
  if (load_stats.recording)
    {
      char head[LOAD_STAMP_BASE64 + 1];
      g_autofree guint8 *decoded = NULL;
      gsize length;
      gint64 t;
      gint64 latency;

      memcpy (head, content_base64, LOAD_STAMP_BASE64);
      head[LOAD_STAMP_BASE64] = '\0';
      decoded = g_base64_decode (head, &length);
      g_assert (length >= sizeof t);
      memcpy (&t, decoded, sizeof t);
      latency = load_now_ns () - t;
      g_array_append_val (load_stats.samples, ((LoadSample) { t, latency }));
    }
  load_stats.delivered++;
  if (pair->undelivered > 0)
    pair->undelivered--;
  maybe_send (pair);
}

/* The loop. */

static void
on_event (LoadConn *conn,
          guint32   events)
{
  char chunk[65536];
  ssize_t n;

  if (events & EPOLLOUT)
    conn_flush (conn);
  if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
    return;
  while ((n = read (conn->fd, chunk, sizeof chunk)) > 0)
    g_string_append_len (conn->in, chunk, n);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
    g_error ("the server closed a %s connection", conn->role == LOAD_CONN_SENDER ? "sender" : "receiver");
  conn->pair->target->klass->on_input (conn->pair->target, conn);
}

/* Runs the loop for a while.  Events are handled for every connection;
 * only the first n_active pairs get new messages.  With rate > 0 the
 * messages follow a fixed schedule, spread round-robin over the pairs. */
static void
run_for (LoadPair *pairs,
         guint     n_active,
         double    seconds,
         Mode      run_mode,
         double    rate)
{
  struct epoll_event events[256];
  struct timespec timeout;
  gint64 start = load_now_ns ();
  gint64 end = start + (gint64) (seconds * 1e9);
  gint64 next_due = start;
  gint64 interval = rate > 0 ? (gint64) (1e9 / rate) : 0;
  guint cursor = 0;

  mode = run_mode;
  for (guint p = 0; p < n_active; p++)
    {
      g_array_set_size (pairs[p].due, 0);
      maybe_send (&pairs[p]);
    }
  while (load_now_ns () < end)
    {
      int n;

      flush_dirty ();
      /* Waits until the next send is due, to the nanosecond: with a
       * timeout in whole milliseconds the generator slept up to 1 ms
       * past a due time, and since latencies run from due times, that
       * was up to 1 ms of its own in every server's figures. */
      timeout.tv_sec = 0;
      timeout.tv_nsec = rate > 0 ? CLAMP (next_due - load_now_ns (), 0, 50000000) : 50000000;
      n = epoll_pwait2 (epfd, events, G_N_ELEMENTS (events), &timeout, NULL);

      for (int i = 0; i < n; i++)
        on_event (events[i].data.ptr, events[i].events);
      if (rate > 0)
        {
          gint64 now = load_now_ns ();

          while (next_due <= now)
            {
              LoadPair *pair = &pairs[cursor++ % n_active];

              g_array_append_val (pair->due, next_due);
              maybe_send (pair);
              next_due += interval;
            }
        }
    }
}

/* Lets whatever is still in flight arrive, for up to 30 s, then lets the
 * server settle for `seconds` more.  A server that has queued a backlog
 * (Prosody does: with nothing to acknowledge, its senders are never held
 * back) must not carry it into the next phase's latencies. */
void
load_drain (LoadPair *pairs,
            guint     n_pairs,
            double    seconds)
{
  for (guint tries = 0; tries < 300; tries++)
    {
      guint undelivered = 0;

      for (guint p = 0; p < n_pairs; p++)
        undelivered += pairs[p].undelivered;
      if (undelivered == 0)
        break;
      run_for (pairs, n_pairs, 0.1, MODE_RATE, 0);
    }
  run_for (pairs, n_pairs, seconds, MODE_RATE, 0);
}

/* Measurements. */

static double
cpu_seconds (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  fields = g_strsplit (strrchr (text, ')') + 2, " ", -1);
  /* utime and stime are fields 14 and 15; the split starts at field 3.
   * They cover every thread of the process. */
  return (double) (g_ascii_strtoull (fields[11], NULL, 10) + g_ascii_strtoull (fields[12], NULL, 10)) /
         (double) sysconf (_SC_CLK_TCK);
}

double
load_target_cpu_seconds (LoadTarget *target)
{
  double total = 0;

  for (guint i = 0; i < target->n_pids; i++)
    total += cpu_seconds (target->pids[i]);
  return total;
}

/* The CPU time of the PostgreSQL server and of its backends, which are
 * its children.  The relays hold their connections for the whole
 * phase, so no backend's time is lost by exiting in between. */
double
load_database_cpu_seconds (void)
{
  g_autoptr(GDir) proc = NULL;
  const char *name;
  double total;

  if (database_pid == 0 || (proc = g_dir_open ("/proc", 0, NULL)) == NULL)
    return 0;
  total = cpu_seconds (database_pid);
  while ((name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *text = NULL;
      const char *after_name;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_build_filename ("/proc", name, "stat", NULL);
      /* The parent is the second field after the command's name. */
      if (g_file_get_contents (path, &text, NULL, NULL) && (after_name = strrchr (text, ')')) != NULL &&
          atoi (after_name + 4) == database_pid)
        total += cpu_seconds (atoi (name));
    }
  return total;
}

static double
rss_kib (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (line = strstr (text, "VmRSS:")) == NULL)
    return 0;
  return g_ascii_strtod (line + 6, NULL);
}

/* The disk.  What one commit must wait for at the least: one
 * fdatasync() of a 4 KiB write into a file whose blocks already exist,
 * as SQLite's write-ahead log is once it has wrapped, in the directory
 * the relay's data directory is made in.  Measured alone, before any
 * server is loaded.  Returns the median in milliseconds and sets *p99. */
#define FSYNC_PROBE_WRITES 200
#define FSYNC_PROBE_BLOCK  4096

static double
fdatasync_ms (double *p99)
{
  g_autofree char *path = g_build_filename (g_get_tmp_dir (), "sotto-bench-fsync-XXXXXX", NULL);
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  char block[FSYNC_PROBE_BLOCK];
  int fd = g_mkstemp (path);

  if (fd < 0)
    g_error ("cannot create a file in %s: %s", g_get_tmp_dir (), g_strerror (errno));
  unlink (path);
  memset (block, 'x', sizeof block);
  for (guint i = 0; i < FSYNC_PROBE_WRITES; i++)
    if (pwrite (fd, block, sizeof block, (off_t) i * FSYNC_PROBE_BLOCK) != sizeof block)
      g_error ("cannot write to %s: %s", path, g_strerror (errno));
  fsync (fd);
  for (guint i = 0; i < FSYNC_PROBE_WRITES; i++)
    {
      gint64 start = load_now_ns ();
      gint64 elapsed;

      if (pwrite (fd, block, sizeof block, (off_t) i * FSYNC_PROBE_BLOCK) != sizeof block || fdatasync (fd) != 0)
        g_error ("cannot write to %s: %s", path, g_strerror (errno));
      elapsed = load_now_ns () - start;
      g_array_append_val (times, elapsed);
    }
  close (fd);
  g_array_sort (times, load_compare_gint64);
  *p99 = (double) g_array_index (times, gint64, FSYNC_PROBE_WRITES * 99 / 100) / 1e6;
  return (double) g_array_index (times, gint64, FSYNC_PROBE_WRITES / 2) / 1e6;
}

/* The phases. */

static void
closed_loop (LoadTarget  *target,
             LoadPair    *pairs,
             guint        n_pairs,
             double       seconds,
             LoadResults *results)
{
  LoadServerCounters before = { 0 };
  LoadServerCounters after = { 0 };
  double cpu_before;
  double own_before;
  double own_cpu;

  /* Progress on standard error, for whoever profiles the server. */
  g_printerr ("# %s: closed loop for %.0f s\n", target->name, seconds);
  if (target->klass->counters != NULL)
    target->klass->counters (target, &before);
  load_stats.delivered = load_stats.answered = load_stats.errors = 0;
  cpu_before = load_target_cpu_seconds (target);
  own_before = cpu_seconds (getpid ());
  run_for (pairs, n_pairs, seconds, MODE_CLOSED, 0);
  results->closed_seconds = seconds;
  results->closed_cpu_seconds = load_target_cpu_seconds (target) - cpu_before;
  results->closed_cpu = results->closed_cpu_seconds / seconds * 100;
  own_cpu = (cpu_seconds (getpid ()) - own_before) / seconds * 100;
  results->closed_rate = (double) load_stats.delivered / seconds;
  results->errors += load_stats.errors;
  g_print ("%s closed loop: %.0f messages/s received, %" G_GUINT64_FORMAT " errors; server CPU %.0f%% "
           "(%.1f us per message), load generator CPU %.0f%% (%.1f us per message)\n",
           target->name, results->closed_rate, load_stats.errors, results->closed_cpu,
           results->closed_cpu * 1e4 / MAX (results->closed_rate, 1), own_cpu,
           own_cpu * 1e4 / MAX (results->closed_rate, 1));
  if (target->klass->counters != NULL)
    {
      guint64 commits;

      target->klass->counters (target, &after);
      commits = MAX (1, after.commits - before.commits);
      g_print ("%s closed loop, server side: %.0f/s acknowledged and deleted, %.0f commits/s, "
               "%.1f storage ops per commit, %.2f ms per commit\n",
               target->name, (double) (after.acknowledged - before.acknowledged) / seconds,
               (double) (after.commits - before.commits) / seconds,
               (double) (after.ops - before.ops) / (double) commits,
               (after.commit_seconds - before.commit_seconds) * 1000 / (double) commits);
    }
}

static void
fixed_rates (LoadTarget  *target,
             LoadPair    *pairs,
             guint        n_pairs,
             double       seconds,
             LoadResults *results)
{
  for (guint r = 0; r < N_RATES; r++)
    {
      LoadServerCounters before = { 0 };
      LoadServerCounters after = { 0 };

      g_autoptr(GHashTable) waits = NULL;
      double waited;

      if (target->klass->counters != NULL)
        target->klass->counters (target, &before);
      waits = load_runqueue_waits (target);
      load_recording_start ();
      run_for (pairs, n_pairs, seconds, MODE_RATE, latency_rates[r]);
      load_recording_stop ();
      waited = load_runqueue_seconds_since (target, waits);
      results->p50[r] = load_percentile_ms (0.50);
      results->p99[r] = load_percentile_ms (0.99);
      results->delivered[r] = (double) load_stats.delivered / seconds;
      results->errors += load_stats.errors;
      g_print ("%s at %.0f/s: %.0f/s received, latency p50 %.2f ms, p99 %.2f ms (%" G_GUINT64_FORMAT
               " sent, %" G_GUINT64_FORMAT " errors)\n",
               target->name, latency_rates[r], results->delivered[r], results->p50[r],
               results->p99[r], load_stats.sent, load_stats.errors);
      load_print_generator (waited);
      if (target->klass->counters != NULL)
        {
          target->klass->counters (target, &after);
          load_print_stages (&before, &after);
        }
      load_drain (pairs, n_pairs, 0.5);
    }
}

/* Leaves CPU_PAIRS pairs with one sender connection each, so that the
 * connection counts of the CPU phases are exact. */
static void
shrink_to_cpu_pairs (LoadPair *pairs,
                     guint     n_pairs)
{
  for (guint p = 0; p < n_pairs; p++)
    {
      for (guint s = p < CPU_PAIRS ? 1 : 0; s < pairs[p].n_senders; s++)
        load_unwatch (&pairs[p].senders[s]);
      if (p >= CPU_PAIRS)
        load_unwatch (&pairs[p].receiver);
    }
}

static void
connection_counts_phase (LoadTarget  *target,
                         LoadPair    *pairs,
                         guint        n_pairs,
                         double       seconds,
                         LoadResults *results)
{
  g_autoptr(GArray) idle = g_array_new (FALSE, FALSE, sizeof (int));
  guint active = MIN (n_pairs, CPU_PAIRS);
  LoadServerCounters before = { 0 };
  LoadServerCounters after = { 0 };

  shrink_to_cpu_pairs (pairs, n_pairs);
  for (guint c = 0; c < N_CONN_COUNTS; c++)
    {
      guint extra = connection_counts[c] - 2 * active;
      double cpu_before;
      double cpu_seconds_used;

      while (idle->len < extra)
        {
          int fd = target->klass->open_idle (target);

          g_array_append_val (idle, fd);
        }
      load_drain (pairs, active, 0.5);
      if (target->klass->counters != NULL)
        target->klass->counters (target, &before);
      cpu_before = load_target_cpu_seconds (target);
      load_stats.errors = load_stats.delivered = 0;
      run_for (pairs, active, seconds, MODE_RATE, CPU_RATE);
      cpu_seconds_used = load_target_cpu_seconds (target) - cpu_before;
      results->cpu[c] = cpu_seconds_used / seconds * 100;
      results->cpu_us[c] = cpu_seconds_used * 1e6 / (double) MAX (load_stats.delivered, 1);
      results->errors += load_stats.errors;
      g_print ("%s CPU at %u/s with %u connections: %.1f%% of one core, %.1f us per message",
               target->name, CPU_RATE, connection_counts[c], results->cpu[c], results->cpu_us[c]);
      /* What a message costs at such rates depends mostly on how many
       * commits it takes. */
      if (target->klass->counters != NULL)
        {
          target->klass->counters (target, &after);
          g_print (", %.2f commits per message",
                   (double) (after.commits - before.commits) / (double) MAX (load_stats.delivered, 1));
        }
      g_print ("\n");
    }
  load_drain (pairs, active, 0.5);
  for (guint i = 0; i < idle->len; i++)
    close (g_array_index (idle, int, i));
}

/* Memory per idle connection: the growth of the server's resident
 * memory while as many idle connections open as the last CPU phase
 * holds, on the server as it started, before any account logs in or
 * sends.  Measured after the load, as it once was, the connections
 * fitted into the room that the closed loop's buffers had left in the
 * heap, and a connection seemed to cost nothing (0.00 KiB); even the
 * pairs' logins and their one-second warm-up leave enough room for
 * that.  What the kernel keeps for each socket is not in this figure. */
static void
idle_memory_phase (LoadTarget  *target,
                   LoadResults *results)
{
  guint n_idle = connection_counts[N_CONN_COUNTS - 1] - 2 * CPU_PAIRS;
  g_autofree int *fds = g_new (int, n_idle);
  double rss_before = rss_kib (target->pid);
  double rss_after;

  for (guint i = 0; i < n_idle; i++)
    fds[i] = target->klass->open_idle (target);
  rss_after = rss_kib (target->pid);
  results->idle_kib = (rss_after - rss_before) / n_idle;
  g_print ("%s memory: %.2f KiB per idle connection (RSS %.0f KiB before %u idle connections, "
           "%.0f KiB with them, on the server as it started)\n", target->name, results->idle_kib, rss_before, n_idle,
           rss_after);
  for (guint i = 0; i < n_idle; i++)
    close (fds[i]);
}

typedef struct
{
  guint    n_pairs;
  double   seconds;
  gboolean closed_only;
  double   steady_rate;  /* > 0: only this fixed rate, over CPU_PAIRS pairs */
} LoadPlan;

/* One fixed rate alone, long enough to profile: announced on standard
 * error when it starts so that a profiler can attach to the server, and
 * printed with its CPU, commits and latencies. */
static void
steady_phase (LoadTarget  *target,
              LoadPair    *pairs,
              guint        n_pairs,
              double       seconds,
              double       rate)
{
  guint active = MIN (n_pairs, CPU_PAIRS);
  LoadServerCounters before = { 0 };
  LoadServerCounters after = { 0 };
  double cpu_before;
  double cpu_used;
  g_autoptr(GHashTable) waits = NULL;
  double waited;

  g_printerr ("# %s: %.0f/s over %u pairs for %.0f s\n", target->name, rate, active, seconds);
  if (target->klass->counters != NULL)
    target->klass->counters (target, &before);
  waits = load_runqueue_waits (target);
  load_recording_start ();
  cpu_before = load_target_cpu_seconds (target);
  run_for (pairs, active, seconds, MODE_RATE, rate);
  cpu_used = load_target_cpu_seconds (target) - cpu_before;
  load_recording_stop ();
  waited = load_runqueue_seconds_since (target, waits);
  if (target->klass->counters != NULL)
    target->klass->counters (target, &after);
  g_print ("%s steady at %.0f/s: %.0f/s received, %.1f%% of one core, %.1f us per message, "
           "%.2f commits per message, latency p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms "
           "(%" G_GUINT64_FORMAT " errors)\n",
           target->name, rate, (double) load_stats.delivered / seconds, cpu_used / seconds * 100,
           cpu_used * 1e6 / (double) MAX (load_stats.delivered, 1),
           (double) (after.commits - before.commits) / (double) MAX (load_stats.delivered, 1),
           load_percentile_ms (0.50), load_percentile_ms (0.99), load_percentile_ms (0.999), load_percentile_ms (1.0),
           load_stats.errors);
  load_print_generator (waited);
  if (target->klass->counters != NULL)
    load_print_stages (&before, &after);
  load_drain (pairs, active, 0.5);
}

/* Makes the pairs, connects and authenticates them, and lets their
 * empty queues drain. */
LoadPair *
load_pairs_new (LoadTarget *target,
                guint       n_pairs)
{
  LoadPair *pairs = g_new0 (LoadPair, n_pairs);

  for (guint p = 0; p < n_pairs; p++)
    {
      pairs[p].target = target;
      pairs[p].index = p;
      pairs[p].n_senders = target->senders;
      pairs[p].senders = g_new0 (LoadConn, target->senders);
      pairs[p].due = g_array_new (FALSE, FALSE, sizeof (gint64));
      pairs[p].receiver.fd = -1;
      for (guint s = 0; s < target->senders; s++)
        pairs[p].senders[s].fd = -1;
    }
  g_print ("# %s: %u sender/receiver pairs, %u connection%s per sender with %u send%s in flight each, "
           "at most %u messages undelivered per pair, server pid %d\n",
           target->name, n_pairs, target->senders, target->senders == 1 ? "" : "s",
           target->pipeline, target->pipeline == 1 ? "" : "s", window, target->pid);
  target->klass->prepare (target, pairs, n_pairs);
  run_for (pairs, n_pairs, 1.0, MODE_CLOSED, 0);
  load_drain (pairs, n_pairs, 1.0);
  return pairs;
}

void
load_pairs_free (LoadPair *pairs,
                 guint     n_pairs)
{
  for (guint p = 0; p < n_pairs; p++)
    {
      for (guint s = 0; s < pairs[p].n_senders; s++)
        load_unwatch (&pairs[p].senders[s]);
      load_unwatch (&pairs[p].receiver);
      g_free (pairs[p].senders);
      g_free (pairs[p].message);
      g_array_unref (pairs[p].due);
    }
  g_free (pairs);
}

void
load_closed_loop (LoadPair *pairs,
                  guint     n_pairs,
                  double    seconds)
{
  run_for (pairs, n_pairs, seconds, MODE_CLOSED, 0);
}

static void
run_target (LoadTarget     *target,
            const LoadPlan *plan,
            LoadResults    *results)
{
  LoadPair *pairs;

  if (!plan->closed_only && plan->steady_rate <= 0)
    idle_memory_phase (target, results);
  pairs = load_pairs_new (target, plan->n_pairs);
  if (plan->steady_rate > 0)
    steady_phase (target, pairs, plan->n_pairs, plan->seconds, plan->steady_rate);
  else
    closed_loop (target, pairs, plan->n_pairs, plan->seconds, results);
  load_drain (pairs, plan->n_pairs, 1.0);
  if (!plan->closed_only && plan->steady_rate <= 0)
    {
      fixed_rates (target, pairs, plan->n_pairs, plan->seconds, results);
      connection_counts_phase (target, pairs, plan->n_pairs, plan->seconds, results);
    }
  load_pairs_free (pairs, plan->n_pairs);
  target->klass->finish (target);
}

/* The comparison table. */

static void
print_row (const char *label,
           double      sotto,
           double      other,
           gboolean    have_other,
           int         decimals)
{
  g_autofree char *a = g_strdup_printf ("%.*f", decimals, sotto);
  g_autofree char *b = have_other ? g_strdup_printf ("%.*f", decimals, other) : g_strdup ("-");

  if (have_other && other > 0)
    g_print ("%-46s %12s %12s %10.2f\n", label, a, b, sotto / other);
  else
    g_print ("%-46s %12s %12s %10s\n", label, a, b, "-");
}

static double
closed_us (const LoadResults *results)
{
  return results->closed_rate > 0 ? results->closed_cpu * 1e4 / results->closed_rate : 0;
}

static double
everyday_ratio (const LoadResults *results)
{
  return closed_us (results) > 0 ? results->cpu_us[0] / closed_us (results) : 0;
}

static void
print_table (const LoadResults *sotto,
             const LoadResults *xmpp,
             const char        *xmpp_name,
             gboolean           closed_only)
{
  gboolean have = xmpp != NULL;
  const LoadResults none = { 0 };

  if (!have)
    xmpp = &none;
  g_print ("\n%-46s %12s %12s %10s\n", "", "sotto-relay", have ? xmpp_name : "-", "ratio");
  print_row ("closed loop, messages/s end to end", sotto->closed_rate, xmpp->closed_rate, have, 0);
  print_row ("  server CPU, % of one core", sotto->closed_cpu, xmpp->closed_cpu, have, 0);
  if (closed_only)
    return;
  for (guint r = 0; r < N_RATES; r++)
    {
      g_autofree char *p50 = g_strdup_printf ("latency p50 at %.0f/s, ms", latency_rates[r]);
      g_autofree char *p99 = g_strdup_printf ("latency p99 at %.0f/s, ms", latency_rates[r]);

      print_row (p50, sotto->p50[r], xmpp->p50[r], have, 2);
      print_row (p99, sotto->p99[r], xmpp->p99[r], have, 2);
    }
  for (guint c = 0; c < N_CONN_COUNTS; c++)
    {
      g_autofree char *label = g_strdup_printf ("CPU at %u/s, %u connections, %%", CPU_RATE,
                                                connection_counts[c]);

      print_row (label, sotto->cpu[c], xmpp->cpu[c], have, 1);
    }
  print_row ("CPU ratio, 10000 / 20 connections", sotto->cpu[2] / MAX (sotto->cpu[0], 0.01),
             xmpp->cpu[2] / MAX (xmpp->cpu[0], 0.01), have, 2);
  print_row ("server CPU per message, closed loop, us", closed_us (sotto), closed_us (xmpp), have, 1);
  {
    g_autofree char *label = g_strdup_printf ("server CPU per message at %u/s, us", CPU_RATE);

    print_row (label, sotto->cpu_us[0], xmpp->cpu_us[0], have, 1);
  }
  print_row ("  per message, everyday / closed loop", everyday_ratio (sotto), everyday_ratio (xmpp), have, 2);
  print_row ("memory per idle connection, KiB", sotto->idle_kib, xmpp->idle_kib, have, 2);
  print_row ("errors", (double) sotto->errors, (double) xmpp->errors, have, 0);
}

static void
print_target (const char *label,
              const char *figures,
              gboolean    met)
{
  g_print ("%-52s %-32s %s\n", label, figures, met ? "met" : "MISSED");
}

/* Issue 20's targets for the relay at everyday rates, with the
 * disk's own floor under them. */
static void
print_targets (const LoadResults *sotto,
               const LoadResults *xmpp,
               const char        *xmpp_name,
               double             fsync_median,
               double             fsync_p99)
{
  g_autofree char *cpu = NULL;
  g_autofree char *per_message = NULL;
  g_autofree char *p99_5000 = g_strdup_printf ("%.2f ms", sotto->p99[1]);
  g_autofree char *p99_1000 = g_strdup_printf ("%.2f ms", sotto->p99[0]);
  g_autofree char *closed = g_strdup_printf ("%.0f/s", sotto->closed_rate);

  if (xmpp != NULL)
    cpu = g_strdup_printf ("%.1f %% against %s's %.1f %%", sotto->cpu[0], xmpp_name, xmpp->cpu[0]);
  else
    cpu = g_strdup_printf ("%.1f %% (no XMPP server measured)", sotto->cpu[0]);
  per_message = g_strdup_printf ("%.1f against %.1f us, %.2fx", sotto->cpu_us[0], closed_us (sotto),
                                 everyday_ratio (sotto));
  g_print ("\ntargets (one fdatasync of 4 KiB alone on this disk: median %.2f ms, p99 %.2f ms)\n",
           fsync_median, fsync_p99);
  print_target ("CPU at 2000/s, 20 connections <= the XMPP server's", cpu,
                xmpp != NULL && sotto->cpu[0] <= xmpp->cpu[0]);
  print_target ("CPU per message at 2000/s <= 3x the closed loop's", per_message, everyday_ratio (sotto) <= 3);
  print_target ("latency p99 at 5000/s < 5 ms", p99_5000, sotto->p99[1] < 5);
  print_target ("latency p99 at 1000/s < 2 ms", p99_1000, sotto->p99[0] < 2);
  print_target ("closed loop >= 100,000/s (on a quiet machine)", closed, sotto->closed_rate >= 100000);
}

/* How the sotto-relay targets' senders send, from the options. */
static gboolean websocket_sends = TRUE;
static guint http_senders = 4;

static LoadTarget *
sotto_target_new (const char *name,
                  const char *relay,
                  const char *database_url,
                  guint       n_nodes)
{
  LoadTarget *target = load_sotto_new (name, relay, websocket_sends, database_url, n_nodes);

  target->senders = websocket_sends ? 1 : http_senders;
  target->pipeline = websocket_sends ? window : 1;
  return target;
}

static const char *xmpp_name;
static const char *xmpp_domain;
static const char *xmpp_password;
static int xmpp_port;
static int xmpp_pid;

static LoadTarget *
xmpp_target_new (void)
{
  LoadTarget *target = load_xmpp_new (xmpp_name, (guint16) xmpp_port, (pid_t) xmpp_pid, xmpp_domain,
                                      xmpp_password);

  target->senders = 1;
  return target;
}

/* Every target at once, taking turns (relay-load-rounds.c): SQLite, one
 * to N nodes on PostgreSQL, and the XMPP server. */
static void
compare_in_rounds (const char *relay,
                   GStrv       postgresql_urls,
                   guint       n_pairs,
                   guint       n_rounds,
                   double      seconds)
{
  LoadTarget *targets[LOAD_MAX_PROCESSES + 2];
  guint n_targets = 0;

  targets[n_targets++] = sotto_target_new ("sotto-relay, SQLite, 1 node", relay, NULL, 1);
  for (guint n = 0; postgresql_urls != NULL && postgresql_urls[n] != NULL; n++)
    {
      g_autofree char *name = g_strdup_printf ("sotto-relay, PostgreSQL, %u node%s", n + 1, n == 0 ? "" : "s");

      targets[n_targets++] = sotto_target_new (name, relay, postgresql_urls[n], n + 1);
    }
  if (xmpp_port != 0)
    targets[n_targets++] = xmpp_target_new ();
  load_rounds_run (targets, n_targets, n_pairs, n_rounds, seconds);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *relay = NULL;
  g_autofree char *xmpp_name_option = NULL;
  g_autofree char *xmpp_domain_option = NULL;
  g_autofree char *xmpp_password_option = NULL;
  int pairs = 100;
  int senders = 4;
  g_autofree char *sotto_sends = NULL;
  int window_option = 256;
  double seconds = 5;
  gboolean closed_only = FALSE;
  double steady_rate = 0;
  int rounds = 7;
  double round_seconds = 2;
  g_auto(GStrv) postgresql_urls = NULL;
  int postgresql_pid = 0;
  GOptionEntry entries[] = {
    { "relay", 0, 0, G_OPTION_ARG_FILENAME, &relay, "The sotto-relay binary to start", "BINARY" },
    { "pairs", 0, 0, G_OPTION_ARG_INT, &pairs, "Sender/receiver pairs (100)", "N" },
    { "sotto-sends", 0, 0, G_OPTION_ARG_STRING, &sotto_sends,
      "How senders send to sotto-relay: websocket (many sends in flight on the sender's WebSocket) "
      "or http (default websocket)", "HOW" },
    { "senders", 0, 0, G_OPTION_ARG_INT, &senders,
      "With --sotto-sends=http: connections per sender, each with one send in flight (4)", "N" },
    { "window", 0, 0, G_OPTION_ARG_INT, &window_option, "Closed loop: undelivered messages per pair (256)", "N" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "Length of each measured phase (5)", "S" },
    { "closed-only", 0, 0, G_OPTION_ARG_NONE, &closed_only, "Measure the closed loop only", NULL },
    { "steady", 0, 0, G_OPTION_ARG_DOUBLE, &steady_rate,
      "Only send RATE messages a second over 10 pairs for the phase's length, for profiling the server", "RATE" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds,
      "Rounds in which every target takes a turn in the closed loop, before the other phases; 0 for none (7)",
      "N" },
    { "round-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &round_seconds, "Length of each target's turn in a round (2)",
      "S" },
    { "postgresql", 0, 0, G_OPTION_ARG_STRING_ARRAY, &postgresql_urls,
      "Also measure the closed loop of relay nodes on PostgreSQL, in the rounds: the Nth time this is given, "
      "N nodes on this (empty) database", "URL" },
    { "postgresql-pid", 0, 0, G_OPTION_ARG_INT, &postgresql_pid,
      "The PostgreSQL server's process id, for its CPU time", "PID" },
    { "xmpp-port", 0, 0, G_OPTION_ARG_INT, &xmpp_port, "Also load the XMPP server on 127.0.0.1:PORT", "PORT" },
    { "xmpp-name", 0, 0, G_OPTION_ARG_STRING, &xmpp_name_option, "Its name in the output (xmpp)", "NAME" },
    { "xmpp-pid", 0, 0, G_OPTION_ARG_INT, &xmpp_pid, "Its process id, for CPU and memory", "PID" },
    { "xmpp-domain", 0, 0, G_OPTION_ARG_STRING, &xmpp_domain_option, "Its domain (localhost)", "DOMAIN" },
    { "xmpp-password", 0, 0, G_OPTION_ARG_STRING, &xmpp_password_option,
      "Password of its users senderN and receiverN", "PASSWORD" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- load sotto-relay (and an XMPP server) on loopback");
  g_autoptr(GError) error = NULL;
  LoadPlan plan;
  LoadResults sotto_results = { 0 };
  LoadResults xmpp_results = { 0 };
  struct rlimit limit;
  double fsync_median;
  double fsync_p99;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || relay == NULL || pairs < CPU_PAIRS ||
      senders < 1 || window_option < 1 || seconds <= 0 || rounds < 0 || round_seconds <= 0 ||
      (sotto_sends != NULL && g_strcmp0 (sotto_sends, "websocket") != 0 && g_strcmp0 (sotto_sends, "http") != 0) ||
      (xmpp_port != 0 && (xmpp_pid <= 0 || xmpp_password_option == NULL)) ||
      (postgresql_urls != NULL && g_strv_length (postgresql_urls) > LOAD_MAX_PROCESSES))
    {
      g_printerr ("%s\n", error != NULL ? error->message : "usage: relay-load --relay BINARY [OPTION…] (see --help)");
      return 2;
    }
  signal (SIGPIPE, SIG_IGN);
  /* 10,000 idle connections need as many descriptors. */
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
  /* Before any server runs, so that nothing else of the bench's own
   * writes to the disk meanwhile. */
  fsync_median = fdatasync_ms (&fsync_p99);
  g_print ("# one fdatasync of a 4 KiB write in %s, measured alone: median %.2f ms, p99 %.2f ms\n",
           g_get_tmp_dir (), fsync_median, fsync_p99);
  epfd = epoll_create1 (EPOLL_CLOEXEC);
  dirty = g_ptr_array_new ();
  load_stats.samples = g_array_new (FALSE, FALSE, sizeof (LoadSample));
  load_stats.lags = g_array_new (FALSE, FALSE, sizeof (gint64));
  window = (guint) window_option;
  websocket_sends = g_strcmp0 (sotto_sends, "http") != 0;
  http_senders = (guint) senders;
  xmpp_name = xmpp_name_option != NULL ? xmpp_name_option : "xmpp";
  xmpp_domain = xmpp_domain_option != NULL ? xmpp_domain_option : "localhost";
  xmpp_password = xmpp_password_option;
  database_pid = (pid_t) postgresql_pid;
  plan.n_pairs = (guint) pairs;
  plan.seconds = seconds;
  plan.closed_only = closed_only;
  plan.steady_rate = steady_rate;

  if (steady_rate <= 0 && rounds > 0)
    compare_in_rounds (relay, postgresql_urls, (guint) pairs, (guint) rounds, round_seconds);
  /* One relay's other figures (latency, CPU per connection, memory),
   * beside the XMPP server's. */
  run_target (sotto_target_new ("sotto-relay", relay, NULL, 1), &plan, &sotto_results);
  if (xmpp_port != 0)
    run_target (xmpp_target_new (), &plan, &xmpp_results);
  if (steady_rate > 0)
    goto out;
  print_table (&sotto_results, xmpp_port != 0 ? &xmpp_results : NULL, xmpp_name, closed_only);
  if (!closed_only)
    print_targets (&sotto_results, xmpp_port != 0 ? &xmpp_results : NULL, xmpp_name, fsync_median, fsync_p99);

out:
  g_array_unref (load_stats.samples);
  g_array_unref (load_stats.lags);
  g_ptr_array_unref (dirty);
  close (epfd);
  return 0;
}
