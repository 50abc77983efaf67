/* relay-guard.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Connection slots and deadlines.  Every accepted socket holds a slot
 * until libwebsockets destroys it.  A slot knows the phase its connection
 * is in, and each phase that waits on the client has a deadline: the
 * headers of a request, its body, the wait between two requests on a
 * kept-alive connection, and output the client does not read.  A timer
 * closes whatever missed its deadline, so that a client that sends one
 * byte every few seconds, or reads nothing, gives its slot back.
 *
 * The relay holds no more connections than its descriptor limit allows,
 * and stops accepting when they are all taken: the connection that takes
 * the last slot takes its listening socket out of the poll set (and so
 * does one that comes on another listener, for metrics, meanwhile), and
 * the first to close puts them back.  So a full relay neither spins on
 * accept() nor accepts connections only to refuse them.  To keep room
 * for new clients, a full relay closes a connection that has waited a
 * while for a request to arrive, whenever there is one: one that is
 * working (a request being handled, an answer being written, an open
 * WebSocket) is never closed for this.
 */

#include "config.h"

#include <sys/resource.h>

#include "relay-guard.h"

#define SWEEP_INTERVAL_MS     1000
#define LOG_INTERVAL_US       (60 * G_USEC_PER_SEC)
/* Descriptors kept back for what is not a connection: the listening
 * socket, SQLite's journal and temporary files, the TLS files as they
 * load, and the pipes and event descriptors of libuv and libwebsockets. */
#define RESERVED_DESCRIPTORS  32
/* How long a connection waits for a request before it may be closed to
 * make room; see eviction_candidate(). */
#define EVICT_MIN_WAIT_US     G_USEC_PER_SEC

struct _RelaySlot
{
  GList        link;      /* in waiting or working, with the slot as its data */
  RelayGuard  *guard;
  struct lws  *wsi;
  RelayPhase   phase;
  gint64       since;     /* monotonic time it entered the phase */
  gint64       deadline;  /* monotonic time, or 0 for none */
  gboolean     closing;   /* lws was asked to drop it, and has not yet */
  char         address[RELAY_PEER_ADDRESS_SIZE];
};

struct _RelayGuard
{
  const RelayConfig *config;
  uv_timer_t         sweep;
  guint              capacity;
  GQueue             waiting;    /* slots waiting on a request, longest waiting first */
  GQueue             working;    /* every other slot */
  GPtrArray         *paused;     /* listening sockets out of the poll set */

  gint64             last_full_log;
  guint64            evicted;    /* since the last message about them */
  gint64             last_deadline_log;
  guint64            expired;    /* since the last message about them */
};

static gboolean
phase_waits_for_request (RelayPhase phase)
{
  return phase == RELAY_PHASE_HEADERS || phase == RELAY_PHASE_IDLE || phase == RELAY_PHASE_BODY;
}

static guint
phase_timeout_seconds (const RelayConfig *config,
                       RelayPhase         phase)
{
  switch (phase)
    {
    case RELAY_PHASE_HEADERS:
      return config->header_timeout_seconds;
    case RELAY_PHASE_IDLE:
      return config->idle_timeout_seconds;
    case RELAY_PHASE_BODY:
      return config->body_timeout_seconds;
    case RELAY_PHASE_WRITING:
      return config->write_timeout_seconds;
    case RELAY_PHASE_BUSY:
    case RELAY_PHASE_WEBSOCKET:
    default:
      return 0;
    }
}

/* Whether a message about something that keeps happening is due: at most
 * one per LOG_INTERVAL_US, so that an attack cannot flood the log. */
static gboolean
log_due (gint64 *last,
         gint64  now)
{
  if (*last != 0 && now - *last < LOG_INTERVAL_US)
    return FALSE;
  *last = now;
  return TRUE;
}

static guint
count_open_descriptors (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint count = 0;

  /* Without /proc, assume a generous number. */
  if (dir == NULL)
    return 64;
  while (g_dir_read_name (dir) != NULL)
    count++;
  return count;
}

/* The connections the descriptor limit leaves room for, after what is
 * open already and what the relay may still open. */
static gboolean
clamp_capacity (const RelayConfig  *config,
                guint              *capacity,
                GError            **error)
{
  struct rlimit limit;
  guint64 room;
  guint64 used = (guint64) count_open_descriptors () + RESERVED_DESCRIPTORS;

  *capacity = config->max_connections;
  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return TRUE;
  if ((guint64) limit.rlim_cur <= used)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_MFILE,
                   "The descriptor limit of %" G_GUINT64_FORMAT " leaves no room for connections; "
                   "raise it (ulimit -n) above %" G_GUINT64_FORMAT,
                   (guint64) limit.rlim_cur, used);
      return FALSE;
    }
  room = (guint64) limit.rlim_cur - used;
  if (room < *capacity)
    {
      g_message ("Serving at most %" G_GUINT64_FORMAT " connections rather than max-connections=%u: "
                 "the descriptor limit is %" G_GUINT64_FORMAT,
                 room, config->max_connections, (guint64) limit.rlim_cur);
      *capacity = (guint) room;
    }
  return TRUE;
}

/* Has lws drop the connection as timed out: at once, without the
 * WebSocket close handshake or flushing what it holds, which a client
 * that reads nothing would stall for seconds more.  lws acts on it only
 * when it next serves, so it is woken; and since a byte from the client
 * in between sets a new timeout in place of this one, the sweep tries
 * again a second later until the socket is gone. */
static void
slot_kill (RelaySlot *slot,
           gint64     now)
{
  slot->closing = TRUE;
  slot->deadline = now + G_USEC_PER_SEC;
  lws_set_timeout (slot->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
  lws_cancel_service (lws_get_context (slot->wsi));
}

/* Closes what missed its deadline in `queue`; returns how many had not
 * been closed before. */
static guint
expire_queue (GQueue *queue,
              gint64  now)
{
  guint newly_expired = 0;

  for (GList *link = queue->head; link != NULL; link = link->next)
    {
      RelaySlot *slot = link->data;

      if (slot->deadline == 0 || now < slot->deadline)
        continue;
      newly_expired += !slot->closing;
      slot_kill (slot, now);
    }
  return newly_expired;
}

static void make_room (RelayGuard *self);
static guint guard_count (RelayGuard *self);

static void
sweep_cb (uv_timer_t *timer)
{
  RelayGuard *self = timer->data;
  gint64 now = g_get_monotonic_time ();
  guint newly_expired = expire_queue (&self->waiting, now) + expire_queue (&self->working, now);

  /* A relay that filled up with connections too young to close makes
   * room as they grow old enough, rather than only when their deadlines
   * pass. */
  if (guard_count (self) >= self->capacity)
    make_room (self);

  self->expired += newly_expired;
  if (newly_expired > 0 && log_due (&self->last_deadline_log, now))
    {
      g_message ("Closed %" G_GUINT64_FORMAT " connections that missed a deadline "
                 "(at most one such line a minute)", self->expired);
      self->expired = 0;
    }
}

RelayGuard *
relay_guard_new (const RelayConfig  *config,
                 uv_loop_t          *loop,
                 GError            **error)
{
  RelayGuard *self;
  guint capacity;

  if (!clamp_capacity (config, &capacity, error))
    return NULL;
  self = g_new0 (RelayGuard, 1);
  self->config = config;
  self->capacity = capacity;
  g_queue_init (&self->waiting);
  g_queue_init (&self->working);
  self->paused = g_ptr_array_new ();
  uv_timer_init (loop, &self->sweep);
  self->sweep.data = self;
  uv_timer_start (&self->sweep, sweep_cb, SWEEP_INTERVAL_MS, SWEEP_INTERVAL_MS);
  return self;
}

/* Closes the timer; the loop must run before relay_guard_free(). */
void
relay_guard_close (RelayGuard *self)
{
  uv_close ((uv_handle_t *) &self->sweep, NULL);
}

void
relay_guard_free (RelayGuard *self)
{
  if (self == NULL)
    return;
  /* libwebsockets destroys every socket before its context goes. */
  g_assert (self->waiting.length == 0 && self->working.length == 0);
  g_ptr_array_unref (self->paused);
  g_free (self);
}

guint
relay_guard_capacity (RelayGuard *self)
{
  return self->capacity;
}

static GQueue *
slot_queue (RelaySlot *slot)
{
  return phase_waits_for_request (slot->phase) ? &slot->guard->waiting : &slot->guard->working;
}

static guint
guard_count (RelayGuard *self)
{
  return self->waiting.length + self->working.length;
}

/* Whether to accept the connection the listener has just taken from its
 * queue.  The one that takes the last slot stops the listener. */
gboolean
relay_guard_admit (RelayGuard *self,
                   struct lws *listener)
{
  gboolean full = guard_count (self) >= self->capacity;

  if (guard_count (self) + 1 >= self->capacity && !g_ptr_array_find (self->paused, listener, NULL))
    {
      g_ptr_array_add (self->paused, listener);
      lws_rx_flow_control (listener, 0);
    }
  return !full;
}

/* Called as lws destroys a socket that has no slot, which may be the
 * listener: it is not touched again. */
void
relay_guard_forget_listener (RelayGuard *self,
                             struct lws *wsi)
{
  g_ptr_array_remove_fast (self->paused, wsi);
}

/* The connection to close to make room: the one that has waited longest
 * for its request's headers or body, else the one that has waited
 * longest for its client's next request, as long as it has waited
 * EVICT_MIN_WAIT_US.  A client whose connection closes just as it sends
 * a request sends it again on a new one, and libsoup 3.2, which Sotto
 * uses, was seen to send it again without its body; so connections that
 * have only just started to wait, and kept-alive ones that a client may
 * reuse at any moment, go last. */
static RelaySlot *
eviction_candidate (RelayGuard *self,
                    gint64      now)
{
  RelaySlot *idle = NULL;

  /* The queue is in the order the slots entered their phases. */
  for (GList *link = self->waiting.head; link != NULL; link = link->next)
    {
      RelaySlot *slot = link->data;

      if (now - slot->since < EVICT_MIN_WAIT_US)
        break;
      /* A slot being closed may stay until lws destroys its socket. */
      if (slot->closing)
        continue;
      if (slot->phase != RELAY_PHASE_IDLE)
        return slot;
      if (idle == NULL)
        idle = slot;
    }
  return idle;
}

/* Makes room when the relay is full, if some connection may go. */
static void
make_room (RelayGuard *self)
{
  gint64 now = g_get_monotonic_time ();
  RelaySlot *candidate = eviction_candidate (self, now);

  if (candidate != NULL)
    {
      self->evicted++;
      slot_kill (candidate, now);
    }
  if (log_due (&self->last_full_log, now))
    {
      g_message ("At the limit of %u connections: closed %" G_GUINT64_FORMAT " that waited "
                 "for a request to make room; while none does, new connections wait to be "
                 "accepted (at most one such line a minute)",
                 self->capacity, self->evicted);
      self->evicted = 0;
    }
}

RelaySlot *
relay_guard_add (RelayGuard *self,
                 struct lws *wsi)
{
  RelaySlot *slot = g_new0 (RelaySlot, 1);

  slot->link.data = slot;
  slot->guard = self;
  slot->wsi = wsi;
  slot->phase = RELAY_PHASE_HEADERS;
  slot->since = g_get_monotonic_time ();
  slot->deadline = slot->since + (gint64) self->config->header_timeout_seconds * G_USEC_PER_SEC;
  g_queue_push_tail_link (&self->waiting, &slot->link);
  if (guard_count (self) >= self->capacity)
    make_room (self);
  return slot;
}

void
relay_guard_remove (RelayGuard *self,
                    RelaySlot  *slot)
{
  g_queue_unlink (slot_queue (slot), &slot->link);
  g_free (slot);
  /* libwebsockets itself puts the listener back in the poll set when a
   * socket closes; this keeps the two in step. */
  if (self->paused->len > 0 && guard_count (self) < self->capacity)
    {
      for (guint i = 0; i < self->paused->len; i++)
        lws_rx_flow_control (g_ptr_array_index (self->paused, i), 1);
      g_ptr_array_set_size (self->paused, 0);
    }
}

/* The peer's address, looked up once per connection: a keep-alive
 * connection makes many requests, and every lookup is a system call. */
const char *
relay_slot_address (RelaySlot *slot)
{
  if (slot->address[0] == '\0')
    lws_get_peer_simple (slot->wsi, slot->address, sizeof slot->address);
  return slot->address;
}

void
relay_slot_set_phase (RelaySlot  *slot,
                      RelayPhase  phase)
{
  guint timeout = phase_timeout_seconds (slot->guard->config, phase);

  g_queue_unlink (slot_queue (slot), &slot->link);
  slot->phase = phase;
  slot->since = g_get_monotonic_time ();
  g_queue_push_tail_link (slot_queue (slot), &slot->link);
  if (!slot->closing)
    slot->deadline = timeout > 0 ? slot->since + (gint64) timeout * G_USEC_PER_SEC : 0;
}

/* A WebSocket has output waiting: the client has write-timeout-seconds
 * to take some of it, unless it already has a deadline running. */
void
relay_slot_output_waiting (RelaySlot *slot)
{
  if (slot->deadline == 0 && !slot->closing)
    slot->deadline = g_get_monotonic_time () +
                     (gint64) slot->guard->config->write_timeout_seconds * G_USEC_PER_SEC;
}

/* Some output went out: the deadline starts again if more waits. */
void
relay_slot_output_progress (RelaySlot *slot,
                            gboolean   still_waiting)
{
  if (slot->closing)
    return;
  slot->deadline = 0;
  if (still_waiting)
    relay_slot_output_waiting (slot);
}
