/* relay-postgresql-listener.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LISTEN on the queue channel, in the loop.  The connection is only
 * ever read when its socket is readable, so the loop never waits on the
 * server.  The first connection is made before the relay serves, and
 * may block; once the server went away, the connection is made again
 * with libpq's non-blocking calls (PQconnectStartParams, PQconnectPoll,
 * PQsendQuery), each step run when the loop sees the socket ready, so
 * that an unreachable server, or one that takes connections and never
 * answers, never holds the loop.  An attempt that has not finished after
 * CONNECT_TIMEOUT_MS is given up, and the next one starts
 * RECONNECT_INTERVAL_MS after the last ended.
 */

#include "config.h"

#include <libpq-fe.h>
#include <string.h>

#include "relay-api.h"
#include "relay-postgresql-listener.h"
#include "relay-storage-postgresql.h"

#define RECONNECT_INTERVAL_MS 5000
#define CONNECT_TIMEOUT_MS    10000
/* For the first, blocking connection; the URL's own connect_timeout
 * wins. */
#define CONNECT_TIMEOUT       "10"

typedef enum
{
  STATE_LISTENING,   /* reading notifications */
  STATE_CONNECTING,  /* PQconnectPoll() until it is done */
  STATE_SUBSCRIBING, /* LISTEN sent, its result not yet read */
  STATE_WAITING,     /* for the next attempt */
} ListenerState;

struct _RelayPostgresqlListener
{
  uv_loop_t             *loop;
  char                  *url;
  PGconn                *conn;
  ListenerState          state;
  uv_poll_t              poll;
  gboolean               polling;       /* poll is initialised and not closing */
  gboolean               poll_closing;
  int                    polled_fd;
  int                    wanted_events; /* what the current step waits for */
  uv_timer_t             reconnect;     /* the next attempt */
  uv_timer_t             deadline;      /* the end of the current attempt */
  RelayQueueChangedFunc  changed;
  gpointer               user_data;
  gboolean               closed;
};

static void socket_ready_cb (uv_poll_t  *poll,
                             int         status,
                             int         events);
static void reconnect_cb    (uv_timer_t *timer);
static void unwatch         (RelayPostgresqlListener *self);

/* The URL comes after the timeout, so that a connect_timeout in it
 * wins. */
static const char * const connect_keywords[] = { "connect_timeout", "dbname", NULL };

static gboolean
connect_and_listen (RelayPostgresqlListener  *self,
                    GError                  **error)
{
  const char * const values[] = { CONNECT_TIMEOUT, self->url, NULL };
  PGresult *result;
  gboolean ok;

  self->conn = PQconnectdbParams (connect_keywords, values, 1);
  if (PQstatus (self->conn) != CONNECTION_OK)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot connect to PostgreSQL to listen: %s",
                   g_strchomp (PQerrorMessage (self->conn)));
      return FALSE;
    }
  result = PQexec (self->conn, "LISTEN " RELAY_POSTGRESQL_CHANNEL);
  ok = PQresultStatus (result) == PGRES_COMMAND_OK;
  if (!ok)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot listen for new envelopes: %s",
                 g_strchomp (PQresultErrorMessage (result)));
  PQclear (result);
  return ok;
}

/* Watches the connection's socket for `events`.  libpq may change the
 * socket while it connects (to the next host of the URL, say): the old
 * poll handle is then closed first, and poll_closed_cb() watches the new
 * socket. */
static void
watch (RelayPostgresqlListener *self,
       int                      events)
{
  int fd = PQsocket (self->conn);

  self->wanted_events = events;
  if (self->poll_closing)
    return;
  if (self->polling && fd != self->polled_fd)
    {
      unwatch (self);
      return;
    }
  if (!self->polling)
    {
      uv_poll_init (self->loop, &self->poll, fd);
      self->poll.data = self;
      self->polled_fd = fd;
      self->polling = TRUE;
    }
  uv_poll_start (&self->poll, events, socket_ready_cb);
}

static void
poll_closed_cb (uv_handle_t *handle)
{
  RelayPostgresqlListener *self = handle->data;

  self->poll_closing = FALSE;
  if (self->closed)
    return;
  if (self->state == STATE_WAITING)
    uv_timer_start (&self->reconnect, reconnect_cb, RECONNECT_INTERVAL_MS, 0);
  else
    watch (self, self->wanted_events);
}

/* Stops watching the socket; poll_closed_cb() goes on. */
static void
unwatch (RelayPostgresqlListener *self)
{
  if (!self->polling)
    return;
  self->polling = FALSE;
  self->poll_closing = TRUE;
  uv_close ((uv_handle_t *) &self->poll, poll_closed_cb);
}

/* Drops the connection, or the attempt, and waits for the next. */
static void
give_up (RelayPostgresqlListener *self,
         const char              *why)
{
  g_warning ("%s: %s", why, self->conn != NULL ? g_strchomp (PQerrorMessage (self->conn)) : "out of memory");
  self->state = STATE_WAITING;
  uv_timer_stop (&self->deadline);
  /* libpq closes the socket, which the poll handle must not outlive in
   * the loop's epoll set: the handle is closed first, though the
   * connection goes at once, since nothing reads it any more. */
  if (self->polling)
    uv_poll_stop (&self->poll);
  g_clear_pointer (&self->conn, PQfinish);
  if (self->polling)
    unwatch (self);
  else if (!self->poll_closing)
    uv_timer_start (&self->reconnect, reconnect_cb, RECONNECT_INTERVAL_MS, 0);
}

static void
deadline_cb (uv_timer_t *timer)
{
  give_up (timer->data, "PostgreSQL did not take the listening connection in time");
}

static void
listening_again (RelayPostgresqlListener *self)
{
  self->state = STATE_LISTENING;
  uv_timer_stop (&self->deadline);
  watch (self, UV_READABLE);
  g_message ("Listening for new envelopes again");
  /* Whatever was notified while nobody listened is lost. */
  self->changed (NULL, self->user_data);
}

/* One step of the connection's making, run when its socket is ready. */
static void
connect_step (RelayPostgresqlListener *self)
{
  switch (PQconnectPoll (self->conn))
    {
    case PGRES_POLLING_READING:
      watch (self, UV_READABLE);
      return;
    case PGRES_POLLING_WRITING:
      watch (self, UV_WRITABLE);
      return;
    case PGRES_POLLING_OK:
      if (PQsetnonblocking (self->conn, 1) != 0 ||
          !PQsendQuery (self->conn, "LISTEN " RELAY_POSTGRESQL_CHANNEL))
        {
          give_up (self, "Cannot listen for new envelopes");
          return;
        }
      self->state = STATE_SUBSCRIBING;
      /* Until the query has left, then for its answer. */
      watch (self, PQflush (self->conn) == 0 ? UV_READABLE : UV_READABLE | UV_WRITABLE);
      return;
    case PGRES_POLLING_FAILED:
    case PGRES_POLLING_ACTIVE:
    default:
      give_up (self, "Cannot connect to PostgreSQL to listen");
      return;
    }
}

/* The answer to LISTEN, read as it arrives. */
static void
subscribe_step (RelayPostgresqlListener *self)
{
  PGresult *result;
  gboolean ok = TRUE;

  if (PQflush (self->conn) < 0 || !PQconsumeInput (self->conn))
    {
      give_up (self, "Cannot listen for new envelopes");
      return;
    }
  if (PQisBusy (self->conn))
    {
      watch (self, PQflush (self->conn) == 0 ? UV_READABLE : UV_READABLE | UV_WRITABLE);
      return;
    }
  while ((result = PQgetResult (self->conn)) != NULL)
    {
      ok = ok && PQresultStatus (result) == PGRES_COMMAND_OK;
      PQclear (result);
    }
  if (!ok)
    {
      give_up (self, "Cannot listen for new envelopes");
      return;
    }
  listening_again (self);
}

static void
read_notifications (RelayPostgresqlListener *self)
{
  PGnotify *notify;

  if (!PQconsumeInput (self->conn))
    {
      give_up (self, "Lost the PostgreSQL connection that listens for new envelopes");
      return;
    }
  while ((notify = PQnotifies (self->conn)) != NULL)
    {
      /* Only a device key is ever sent; anything else is ignored. */
      if (strlen (notify->extra) < RELAY_DEVICE_KEY_SIZE)
        self->changed (notify->extra, self->user_data);
      PQfreemem (notify);
    }
}

static void
socket_ready_cb (uv_poll_t *poll,
                 int        status,
                 int        events)
{
  RelayPostgresqlListener *self = poll->data;

  if (status < 0)
    {
      give_up (self, "Lost the PostgreSQL connection that listens for new envelopes");
      return;
    }
  switch (self->state)
    {
    case STATE_LISTENING:
      read_notifications (self);
      return;
    case STATE_CONNECTING:
      connect_step (self);
      return;
    case STATE_SUBSCRIBING:
      subscribe_step (self);
      return;
    case STATE_WAITING:
    default:
      return;
    }
}

static void
reconnect_cb (uv_timer_t *timer)
{
  RelayPostgresqlListener *self = timer->data;
  const char * const values[] = { CONNECT_TIMEOUT, self->url, NULL };

  self->conn = PQconnectStartParams (connect_keywords, values, 1);
  if (self->conn == NULL || PQstatus (self->conn) == CONNECTION_BAD)
    {
      give_up (self, "Cannot connect to PostgreSQL to listen");
      return;
    }
  self->state = STATE_CONNECTING;
  uv_timer_start (&self->deadline, deadline_cb, CONNECT_TIMEOUT_MS, 0);
  /* libpq's first step waits for the socket to take a write. */
  watch (self, UV_WRITABLE);
}

RelayPostgresqlListener *
relay_postgresql_listener_new (uv_loop_t              *loop,
                               const char             *url,
                               RelayQueueChangedFunc   changed,
                               gpointer                user_data,
                               GError                **error)
{
  RelayPostgresqlListener *self = g_new0 (RelayPostgresqlListener, 1);

  self->loop = loop;
  self->url = g_strdup (url);
  self->changed = changed;
  self->user_data = user_data;
  if (!connect_and_listen (self, error))
    {
      relay_postgresql_listener_free (self);
      return NULL;
    }
  uv_timer_init (loop, &self->reconnect);
  self->reconnect.data = self;
  uv_timer_init (loop, &self->deadline);
  self->deadline.data = self;
  self->state = STATE_LISTENING;
  watch (self, UV_READABLE);
  return self;
}

void
relay_postgresql_listener_close (RelayPostgresqlListener *self)
{
  self->closed = TRUE;
  if (self->polling)
    uv_close ((uv_handle_t *) &self->poll, NULL);
  self->polling = FALSE;
  uv_close ((uv_handle_t *) &self->reconnect, NULL);
  uv_close ((uv_handle_t *) &self->deadline, NULL);
}

void
relay_postgresql_listener_free (RelayPostgresqlListener *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->conn, PQfinish);
  if (self->url != NULL)
    memset (self->url, 0, strlen (self->url));
  g_free (self->url);
  g_free (self);
}
