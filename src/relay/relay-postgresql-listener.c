/* relay-postgresql-listener.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * LISTEN on the queue channel, in the loop.  The connection is only
 * ever read when its socket is readable, so the loop never waits on the
 * server; only making the connection again, after the server went away,
 * blocks, and it is tried once per RECONNECT_INTERVAL_MS.
 */

#include "config.h"

#include <libpq-fe.h>
#include <string.h>

#include "relay-api.h"
#include "relay-postgresql-listener.h"
#include "relay-storage-postgresql.h"

/* While the server cannot be reached, each attempt blocks the loop
 * for up to CONNECT_TIMEOUT (unless the URL sets connect_timeout
 * itself), so attempts are spaced well apart. */
#define RECONNECT_INTERVAL_MS 5000
#define CONNECT_TIMEOUT       "2"

struct _RelayPostgresqlListener
{
  uv_loop_t             *loop;
  char                  *url;
  PGconn                *conn;
  uv_poll_t              poll;
  gboolean               polling;
  uv_timer_t             reconnect;
  RelayQueueChangedFunc  changed;
  gpointer               user_data;
  gboolean               closed;
};

static void readable_cb (uv_poll_t *poll,
                         int        status,
                         int        events);

static gboolean
connect_and_listen (RelayPostgresqlListener  *self,
                    GError                  **error)
{
  /* The URL comes after the timeout, so that a connect_timeout in it
   * wins. */
  const char * const keywords[] = { "connect_timeout", "dbname", NULL };
  const char * const values[] = { CONNECT_TIMEOUT, self->url, NULL };
  PGresult *result;
  gboolean ok;

  g_clear_pointer (&self->conn, PQfinish);
  self->conn = PQconnectdbParams (keywords, values, 1);
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

static void
start_polling (RelayPostgresqlListener *self)
{
  uv_poll_init (self->loop, &self->poll, PQsocket (self->conn));
  self->poll.data = self;
  uv_poll_start (&self->poll, UV_READABLE, readable_cb);
  self->polling = TRUE;
}

static void
reconnect_cb (uv_timer_t *timer)
{
  RelayPostgresqlListener *self = timer->data;
  g_autoptr(GError) error = NULL;

  if (!connect_and_listen (self, &error))
    {
      g_warning ("%s", error->message);
      return;
    }
  uv_timer_stop (&self->reconnect);
  start_polling (self);
  g_message ("Listening for new envelopes again");
  /* Whatever was notified while nobody listened is lost. */
  self->changed (NULL, self->user_data);
}

static void
poll_closed_cb (uv_handle_t *handle)
{
  RelayPostgresqlListener *self = handle->data;

  if (self->closed)
    return;
  uv_timer_start (&self->reconnect, reconnect_cb, RECONNECT_INTERVAL_MS, RECONNECT_INTERVAL_MS);
}

/* The poll handle watches the old connection's socket: it goes before
 * the connection does, and a new one comes with the next connection. */
static void
connection_lost (RelayPostgresqlListener *self)
{
  g_warning ("Lost the PostgreSQL connection that listens for new envelopes: %s",
             g_strchomp (PQerrorMessage (self->conn)));
  self->polling = FALSE;
  uv_close ((uv_handle_t *) &self->poll, poll_closed_cb);
}

static void
readable_cb (uv_poll_t *poll,
             int        status,
             int        events)
{
  RelayPostgresqlListener *self = poll->data;
  PGnotify *notify;

  if (status < 0 || !PQconsumeInput (self->conn))
    {
      connection_lost (self);
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
  start_polling (self);
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
