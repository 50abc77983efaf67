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
 *
 * While listening, the connection also sends the online-only notices
 * that this node publishes, all that wait in one query, one query at a
 * time, without ever waiting for the server either.
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
/* Online-only envelopes are worth nothing late: beyond this many
 * waiting to go out, more are dropped. */
#define MAX_WAITING_NOTICES   1024
/* Both channels, in one query. */
#define LISTEN_QUERY          "LISTEN " RELAY_POSTGRESQL_CHANNEL "; LISTEN " RELAY_POSTGRESQL_ONLINE_CHANNEL
/* The notices are digits, UUIDs, colons and base64 (see
 * relay-postgresql-online.h): an array literal holds them unquoted. */
#define PUBLISH_QUERY         "SELECT pg_notify ('" RELAY_POSTGRESQL_ONLINE_CHANNEL "', n) FROM unnest ($1::text[]) n"

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
  RelayOnlineNoticeFunc  online;
  gpointer               user_data;
  gboolean               closed;
  GString               *waiting;       /* notices to publish, as an array literal's elements */
  guint                  n_waiting;
  gboolean               publishing;    /* a query of notices has not been answered yet */
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
  result = PQexec (self->conn, LISTEN_QUERY);
  ok = PQresultStatus (result) == PGRES_COMMAND_OK;
  if (!ok)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot listen for new envelopes: %s",
                 g_strchomp (PQresultErrorMessage (result)));
  PQclear (result);
  /* From now on, notices go out without waiting for the server. */
  if (ok && PQsetnonblocking (self->conn, 1) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot listen for new envelopes: %s",
                   g_strchomp (PQerrorMessage (self->conn)));
      ok = FALSE;
    }
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
  /* What waited to be published, or was being, is lost with it. */
  g_string_truncate (self->waiting, 0);
  self->n_waiting = 0;
  self->publishing = FALSE;
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
          !PQsendQuery (self->conn, LISTEN_QUERY))
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

/* Sends every notice that waits in one query, unless one is out. */
static void
publish_waiting (RelayPostgresqlListener *self)
{
  g_autofree char *array = NULL;
  const char *params[1];

  if (self->state != STATE_LISTENING || self->publishing || self->n_waiting == 0)
    return;
  array = g_strdup_printf ("{%s}", self->waiting->str);
  params[0] = array;
  g_string_truncate (self->waiting, 0);
  self->n_waiting = 0;
  if (!PQsendQueryParams (self->conn, PUBLISH_QUERY, 1, NULL, params, NULL, NULL, 0))
    {
      give_up (self, "Lost the PostgreSQL connection that listens for new envelopes");
      return;
    }
  self->publishing = TRUE;
}

/* Reads the answer to the notices sent, once it is whole. */
static void
read_published (RelayPostgresqlListener *self)
{
  PGresult *result;

  if (!self->publishing || PQisBusy (self->conn))
    return;
  while ((result = PQgetResult (self->conn)) != NULL)
    {
      /* Notices are best effort: a refusal drops them, and says why. */
      if (PQresultStatus (result) != PGRES_TUPLES_OK)
        g_message ("PostgreSQL did not pass on online-only envelopes: %s",
                   g_strchomp (PQresultErrorMessage (result)));
      PQclear (result);
    }
  self->publishing = FALSE;
  publish_waiting (self);
}

/* Writes what libpq holds of the query sent, and watches for the rest
 * of it to go and for what comes. */
static void
flush_and_watch (RelayPostgresqlListener *self)
{
  int flushed = PQflush (self->conn);

  if (flushed < 0)
    give_up (self, "Lost the PostgreSQL connection that listens for new envelopes");
  else
    watch (self, flushed == 0 ? UV_READABLE : UV_READABLE | UV_WRITABLE);
}

/* Reads notifications and answers, and writes what waits to go out. */
static void
listen_step (RelayPostgresqlListener *self)
{
  PGnotify *notify;

  if (PQflush (self->conn) < 0 || !PQconsumeInput (self->conn))
    {
      give_up (self, "Lost the PostgreSQL connection that listens for new envelopes");
      return;
    }
  while ((notify = PQnotifies (self->conn)) != NULL)
    {
      /* This node's own notices come back to it too: it offered them to
       * its devices before it published them, and a device that was not
       * connected then must not get them later. */
      if (strcmp (notify->relname, RELAY_POSTGRESQL_ONLINE_CHANNEL) == 0)
        {
          if (notify->be_pid != PQbackendPID (self->conn))
            self->online (notify->extra, self->user_data);
        }
      /* Only a device key is ever sent; anything else is ignored. */
      else if (strlen (notify->extra) < RELAY_DEVICE_KEY_SIZE)
        self->changed (notify->extra, self->user_data);
      PQfreemem (notify);
    }
  read_published (self);
  if (self->state == STATE_LISTENING)
    flush_and_watch (self);
}

void
relay_postgresql_listener_publish (RelayPostgresqlListener *self,
                                   const char              *notice)
{
  g_return_if_fail (self != NULL && notice != NULL);

  if (self->state != STATE_LISTENING || self->n_waiting >= MAX_WAITING_NOTICES)
    return;
  if (self->n_waiting > 0)
    g_string_append_c (self->waiting, ',');
  g_string_append (self->waiting, notice);
  self->n_waiting++;
  /* Otherwise the notice goes with the next query, once the one out is
   * answered.  Nothing is read here: notifications run callbacks, which
   * must not run inside the caller's. */
  if (!self->publishing)
    {
      publish_waiting (self);
      if (self->state == STATE_LISTENING)
        flush_and_watch (self);
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
      listen_step (self);
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
                               RelayOnlineNoticeFunc   online,
                               gpointer                user_data,
                               GError                **error)
{
  RelayPostgresqlListener *self = g_new0 (RelayPostgresqlListener, 1);

  self->loop = loop;
  self->url = g_strdup (url);
  self->changed = changed;
  self->online = online;
  self->waiting = g_string_new (NULL);
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
  g_string_free (self->waiting, TRUE);
  if (self->url != NULL)
    memset (self->url, 0, strlen (self->url));
  g_free (self->url);
  g_free (self);
}
