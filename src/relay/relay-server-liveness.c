/* relay-server-liveness.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whether a WebSocket's client is still there.  A client that vanishes
 * without a FIN (a laptop closed, a phone out of coverage, a NAT that
 * forgot the flow) leaves a socket that the kernel keeps for many
 * minutes, and until then its device would count as online and be sent
 * envelopes nobody reads.  So a connection whose client has sent nothing
 * for websocket-ping-seconds gets a ping, and one that then stays silent
 * for websocket-pong-timeout-seconds more is closed: its envelopes stay
 * queued for the device's next connection.
 *
 * Anything the client sends counts, not only a pong, and Sotto's own
 * clients ping every 30 s, so with the defaults the relay pings none of
 * them.  Connections sit in two queues, each in the order of a time that
 * only grows (when last heard from, when pinged), so what is due is
 * always at the head: hearing from a client moves its connection to the
 * tail, and one timer, set for the earliest time due, looks only at the
 * heads.  A relay with idle connections that ping it does no work of its
 * own for them at all.
 *
 * Watching starts once the client is authenticated: until then the
 * connection waits on the relay (a password check behind many others in
 * the hashing queue, or storage that is slow to answer), and a client
 * that waits for an answer need not speak.  Unauthenticated connections
 * sit in a third queue, in the order they were upgraded, and are closed
 * when their check has not ended within websocket-auth-timeout-seconds,
 * whatever the client sends meanwhile.
 */

#include "config.h"

#include "relay-server-private.h"

/* Deadlines are met within this much, so that connections due at nearly
 * the same time are dealt with in one wake-up. */
#define LIVENESS_SLACK_MS 1000
#define LOG_INTERVAL_US   (60 * G_USEC_PER_SEC)

static guint64
ping_after_ms (RelayServer *self)
{
  return (guint64) self->config->websocket_ping_seconds * 1000;
}

static guint64
pong_within_ms (RelayServer *self)
{
  return (guint64) self->config->websocket_pong_timeout_seconds * 1000;
}

static guint64
authenticate_within_ms (RelayServer *self)
{
  return (guint64) self->config->websocket_auth_timeout_seconds * 1000;
}

static void liveness_cb (uv_timer_t *timer);

/* Sets the timer for the earliest time due at the head of any queue,
 * or leaves it stopped when all are empty. */
static void
liveness_schedule (RelayServer *self,
                   guint64      now)
{
  RelayLiveness *liveness = &self->liveness;
  RelayConn *heard = g_queue_peek_head (&liveness->heard);
  RelayConn *pinged = g_queue_peek_head (&liveness->pinged);
  RelayConn *unauthenticated = g_queue_peek_head (&liveness->unauthenticated);
  guint64 due = G_MAXUINT64;

  if (heard != NULL)
    due = heard->heard_ms + ping_after_ms (self);
  if (pinged != NULL)
    due = MIN (due, pinged->pinged_ms + pong_within_ms (self));
  if (unauthenticated != NULL)
    due = MIN (due, unauthenticated->heard_ms + authenticate_within_ms (self));
  if (due == G_MAXUINT64)
    return;
  uv_timer_start (&liveness->timer, liveness_cb, MAX (due, now + LIVENESS_SLACK_MS) - now, 0);
}

/* Connections closed for their silence are routine (clients lose their
 * network all the time) and may come by thousands at once, after an
 * outage: they are logged at most once a minute. */
static void
log_closed (RelayLiveness *liveness,
            guint          closed)
{
  gint64 now = g_get_monotonic_time ();

  liveness->closed += closed;
  if (liveness->closed == 0 || (liveness->last_log != 0 && now - liveness->last_log < LOG_INTERVAL_US))
    return;
  g_message ("Closed %" G_GUINT64_FORMAT " WebSockets whose clients did not answer a ping "
             "(at most one such line a minute)", liveness->closed);
  liveness->closed = 0;
  liveness->last_log = now;
}

static void
liveness_cb (uv_timer_t *timer)
{
  RelayServer *self = timer->data;
  RelayLiveness *liveness = &self->liveness;
  guint64 now = uv_now (&self->loop);
  guint closed = 0;
  RelayConn *conn;

  while ((conn = g_queue_peek_head (&liveness->pinged)) != NULL &&
         conn->pinged_ms + pong_within_ms (self) <= now)
    {
      _relay_conn_close (conn, CLOSE_PING_TIMEOUT, "ping-timeout");
      closed++;
    }
  /* The relay, not the client, is late here: the client may try again. */
  while ((conn = g_queue_peek_head (&liveness->unauthenticated)) != NULL &&
         conn->heard_ms + authenticate_within_ms (self) <= now)
    _relay_conn_close (conn, CLOSE_UNAVAILABLE, "authentication-timeout");
  while ((conn = g_queue_peek_head (&liveness->heard)) != NULL && conn->heard_ms + ping_after_ms (self) <= now)
    {
      g_queue_unlink (&liveness->heard, &conn->liveness_link);
      /* While too many of its requests wait for answers, the relay does
       * not read what the client sends: its silence tells nothing. */
      if (conn->rx_paused)
        {
          conn->heard_ms = now;
          g_queue_push_tail_link (&liveness->heard, &conn->liveness_link);
          continue;
        }
      conn->pinged_ms = now;
      conn->ping_waiting = TRUE;
      g_queue_push_tail_link (&liveness->pinged, &conn->liveness_link);
      _relay_conn_schedule (conn);
    }
  log_closed (liveness, closed);
  liveness_schedule (self, now);
}

void
_relay_liveness_init (RelayServer *self)
{
  uv_timer_init (&self->loop, &self->liveness.timer);
  self->liveness.timer.data = self;
  g_queue_init (&self->liveness.heard);
  g_queue_init (&self->liveness.pinged);
  g_queue_init (&self->liveness.unauthenticated);
}

/* Closes the timer; the loop must run before the server is freed. */
void
_relay_liveness_close (RelayServer *self)
{
  uv_close ((uv_handle_t *) &self->liveness.timer, NULL);
}

/* Puts a connection at the tail of `queue`, as of now, due `due_in_ms`
 * from now. */
static void
liveness_push (RelayConn *conn,
               GQueue    *queue,
               guint64    due_in_ms)
{
  RelayServer *self = conn->server;
  uv_timer_t *timer = &self->liveness.timer;
  guint64 now = uv_now (&self->loop);

  conn->heard_ms = now;
  conn->liveness_link.data = conn;
  g_queue_push_tail_link (queue, &conn->liveness_link);
  /* A running timer due no later than this connection stays as it is:
   * the queues' heads are due in a different time each. */
  if (!uv_is_active ((uv_handle_t *) timer) || uv_timer_get_due_in (timer) > due_in_ms)
    liveness_schedule (self, now);
}

/* Bounds the time a new connection may wait for its password check. */
void
_relay_liveness_watch_unauthenticated (RelayConn *conn)
{
  liveness_push (conn, &conn->server->liveness.unauthenticated, authenticate_within_ms (conn->server));
}

/* Starts watching a connection that was just authenticated, as just
 * heard from. */
void
_relay_liveness_watch (RelayConn *conn)
{
  g_assert (conn->authenticated);
  if (conn->liveness_link.data != NULL)
    g_queue_unlink (&conn->server->liveness.unauthenticated, &conn->liveness_link);
  liveness_push (conn, &conn->server->liveness.heard, ping_after_ms (conn->server));
}

static GQueue *
conn_queue (RelayConn *conn)
{
  RelayLiveness *liveness = &conn->server->liveness;

  if (!conn->authenticated)
    return &liveness->unauthenticated;
  return conn->pinged_ms != 0 ? &liveness->pinged : &liveness->heard;
}

/* The client sent something: it is there, and its ping, if any, is
 * answered.  This runs for every read, so it costs two link moves. */
void
_relay_liveness_heard (RelayConn *conn)
{
  RelayServer *self = conn->server;

  /* Nothing an unauthenticated client sends makes its check end sooner. */
  if (conn->liveness_link.data == NULL || !conn->authenticated)
    return;
  g_queue_unlink (conn_queue (conn), &conn->liveness_link);
  conn->pinged_ms = 0;
  conn->heard_ms = uv_now (&self->loop);
  g_queue_push_tail_link (&self->liveness.heard, &conn->liveness_link);
}

/* Stops watching a connection that is closing or closed: its own close,
 * and the write deadline, take it from there. */
void
_relay_liveness_forget (RelayConn *conn)
{
  if (conn->liveness_link.data == NULL)
    return;
  g_queue_unlink (conn_queue (conn), &conn->liveness_link);
  conn->liveness_link.data = NULL;
  conn->pinged_ms = 0;
  conn->ping_waiting = FALSE;
}
