/* load.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The parts of the load generator that the servers it drives share: the
 * connections, the sender/receiver pairs, and the statistics.  A target
 * (sotto-relay, or an XMPP server) only speaks its protocol; the driver
 * in relay-load.c decides when to send and what to measure.
 */

#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* Every message carries 100 bytes of content, base64-encoded on the wire.
 * Its first 8 bytes are the monotonic send time, so that the receiver can
 * time the whole path without any shared state; they are the first 12
 * characters of the base64 text (9 bytes' worth). */
#define LOAD_CONTENT_BYTES   100
#define LOAD_STAMP_BASE64    12

/* The most relay processes a target spreads its pairs over. */
#define LOAD_MAX_PROCESSES   8

typedef struct _LoadConn LoadConn;
typedef struct _LoadPair LoadPair;
typedef struct _LoadTarget LoadTarget;

typedef enum
{
  LOAD_CONN_SENDER,
  LOAD_CONN_RECEIVER,
} LoadConnRole;

struct _LoadConn
{
  int           fd;
  LoadConnRole  role;
  LoadPair     *pair;
  GString      *in;           /* read and not consumed yet */
  GString      *out;          /* waiting for the socket to take it */
  guint         in_flight;    /* sends written and not answered yet */
  gboolean      dirty;        /* has output to write this loop iteration */
  gboolean      want_write;   /* polled for writing */
};

struct _LoadPair
{
  LoadTarget *target;         /* the server its connections go to */
  guint      index;
  LoadConn  *senders;         /* n_senders connections of the sender */
  guint      n_senders;
  LoadConn   receiver;
  guint      undelivered;     /* sent and not received yet */
  GArray    *due;             /* of gint64: when each fixed-rate send that is
                               * due and not written yet should have left */
  char      *message;         /* the request, frame or stanza to send */
  gsize      message_length;
  gsize      stamp_offset;    /* where the base64 content starts in it */
};

/* A latency histogram as the relay's metrics give it: cumulative
 * counts at most each bound, the last bound infinite. */
#define LOAD_HISTOGRAM_BUCKETS 16

typedef struct
{
  guint   n_buckets;
  double  bounds[LOAD_HISTOGRAM_BUCKETS];
  guint64 counts[LOAD_HISTOGRAM_BUCKETS];
} LoadHistogram;

/* What a server reports about itself, when it can. */
typedef struct
{
  guint64 acknowledged;       /* messages acknowledged by their recipient */
  guint64 commits;            /* durable commits */
  guint64 ops;                /* storage operations in them */
  double  commit_seconds;     /* time spent committing */
  /* Of the first node only: its commits, and where its sends' time
   * went (see sotto_relay_send_storage_seconds in docs/deploy.md). */
  LoadHistogram commit_histogram;
  LoadHistogram storage_histogram;
  LoadHistogram handback_histogram;
} LoadServerCounters;

typedef struct
{
  /* Creates or logs in the accounts and connects every pair, blocking. */
  void      (*prepare)      (LoadTarget *self,
                             LoadPair   *pairs,
                             guint       n_pairs);
  /* Consumes what arrived in conn->in. */
  void      (*on_input)     (LoadTarget *self,
                             LoadConn   *conn);
  /* Opens a connection that completes one protocol exchange and then
   * stays idle; returns its descriptor. */
  int       (*open_idle)    (LoadTarget *self);
  /* Optional: reads the server's own counters. */
  void      (*counters)     (LoadTarget         *self,
                             LoadServerCounters *counters);
  /* Stops what the target started and frees it. */
  void      (*finish)       (LoadTarget *self);
} LoadTargetClass;

struct _LoadTarget
{
  const LoadTargetClass *klass;
  char                  *name;
  pid_t                  pid;       /* the server, for its memory */
  pid_t                  pids[LOAD_MAX_PROCESSES];  /* every server process, for CPU time */
  guint                  n_pids;
  guint16                port;
  guint                  senders;   /* connections per sender */
  guint                  pipeline;  /* unanswered sends per sender connection,
                                     * or 0 if the server answers none */
};

/* One message's path.  At fixed rates a message is stamped with the
 * time the schedule gave it, not the time it was written, so that a
 * load generator that falls behind its schedule counts its own delay
 * against the latency instead of hiding it (coordinated omission). */
typedef struct
{
  gint64 due;                 /* monotonic nanoseconds */
  gint64 latency;             /* from `due` to being read by the receiver */
} LoadSample;

typedef struct
{
  guint64  sent;
  guint64  answered;          /* sends answered with success */
  guint64  delivered;
  guint64  errors;
  gboolean recording;         /* collect samples and lags */
  GArray  *samples;           /* of LoadSample */
  GArray  *lags;              /* of gint64 nanoseconds: how late each
                               * fixed-rate send left after its due time */
} LoadStats;

extern LoadStats load_stats;

gint64    load_now_ns          (void);
int       load_connect         (guint16      port);
void      load_write_blocking  (int          fd,
                                const char  *data,
                                gsize        length);
void      load_read_until      (int          fd,
                                GString     *in,
                                const char  *needle);
void      load_watch           (LoadConn    *conn,
                                int          fd,
                                LoadConnRole role,
                                LoadPair    *pair);
void      load_unwatch         (LoadConn    *conn);
void      load_conn_write      (LoadConn    *conn,
                                const char  *data,
                                gsize        length);
void      load_message_set     (LoadPair    *pair,
                                char        *message,
                                gsize        length,
                                const char  *content_base64);
void      load_answered        (LoadConn    *conn,
                                gboolean     success);
void      load_received        (LoadPair    *pair,
                                const char  *content_base64);
char     *load_random_base64   (gsize        length,
                                int          first_byte);

/* The driver's loop, for phases that several targets take turns in
 * (relay-load-rounds.c).  load_pairs_new() prepares n_pairs pairs of
 * `target` and warms them up; load_closed_loop() then keeps `window`
 * messages undelivered per pair for `seconds`, and load_drain() lets
 * what is in flight arrive and the server settle for `seconds` more. */
LoadPair *load_pairs_new       (LoadTarget  *target,
                                guint        n_pairs);
void      load_pairs_free      (LoadPair    *pairs,
                                guint        n_pairs);
void      load_closed_loop     (LoadPair    *pairs,
                                guint        n_pairs,
                                double       seconds);
void      load_drain           (LoadPair    *pairs,
                                guint        n_pairs,
                                double       seconds);
double    load_target_cpu_seconds   (LoadTarget *target);
double    load_database_cpu_seconds (void);

/* Takes turns between targets in short closed loops; see
 * relay-load-rounds.c. */
void      load_rounds_run      (LoadTarget  *const *targets,
                                guint               n_targets,
                                guint               n_pairs,
                                guint               n_rounds,
                                double              seconds);

LoadTarget *load_sotto_new     (const char  *name,
                                const char  *relay_binary,
                                gboolean     websocket_sends,
                                const char  *database_url,
                                guint        n_nodes);
LoadTarget *load_xmpp_new      (const char  *name,
                                guint16      port,
                                pid_t        pid,
                                const char  *domain,
                                const char  *password);

/* A fixed-rate phase's latencies (load-latency.c).  Between
 * load_recording_start() and load_recording_stop() the driver collects
 * samples and lags in load_stats; the rest read them, or compare the
 * server's counters and thread waits from before and after the phase. */
int         load_compare_gint64          (gconstpointer              a,
                                          gconstpointer              b);
void        load_recording_start         (void);
void        load_recording_stop          (void);
double      load_percentile_ms           (double                     p);
void        load_print_generator         (double                     server_waited);
GHashTable *load_runqueue_waits          (LoadTarget                *target);
double      load_runqueue_seconds_since  (LoadTarget                *target,
                                          GHashTable                *before);
void        load_print_stages            (const LoadServerCounters  *before,
                                          const LoadServerCounters  *after);

G_END_DECLS
