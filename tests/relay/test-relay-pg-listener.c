/* test-relay-pg-listener.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The LISTEN connection of a relay node on PostgreSQL
 * (relay-postgresql-listener.c), against a real server started by
 * build-aux/with-postgresql.sh: a queue notification must reach the
 * node however it arrives beside the answer to the node's own online-only
 * notices.
 */

#include "config.h"

#include <libpq-fe.h>
#include <uv.h>

#include "relay-postgresql-listener.h"
#include "relay-storage-postgresql.h"

#define DEVICE_KEY "0a1b2c3d-0000-4000-8000-000000000001.1"

typedef struct
{
  guint     changed;
  char     *last_key;
  uv_loop_t loop;
} Fixture;

static char *
server_url (void)
{
  const char *host = g_getenv ("SOTTO_TEST_POSTGRESQL_HOST");
  const char *user = g_getenv ("SOTTO_TEST_POSTGRESQL_USER");

  g_assert_nonnull (host);
  g_assert_nonnull (user);
  return g_strdup_printf ("postgresql:///postgres?host=%s&user=%s", host, user);
}

static void
changed_cb (const char *device_key,
            gpointer    user_data)
{
  Fixture *fixture = user_data;

  fixture->changed++;
  g_free (fixture->last_key);
  fixture->last_key = g_strdup (device_key);
}

static void
online_cb (const char *notice,
           gpointer    user_data)
{
}

static void
deadline_cb (uv_timer_t *timer)
{
  uv_stop (timer->loop);
}

/* Runs the loop until the listener has seen a queue change, or for at
 * most `ms`. */
static void
run_loop (Fixture *fixture,
          guint    ms)
{
  uv_timer_t deadline;
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  uv_timer_init (&fixture->loop, &deadline);
  while (fixture->changed == 0 && g_get_monotonic_time () < end)
    {
      uv_timer_start (&deadline, deadline_cb, 50, 0);
      uv_run (&fixture->loop, UV_RUN_DEFAULT);
    }
  uv_close ((uv_handle_t *) &deadline, NULL);
  uv_run (&fixture->loop, UV_RUN_NOWAIT);
}

static void
notify_from_elsewhere (const char *url)
{
  PGconn *conn = PQconnectdb (url);
  PGresult *result;

  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  result = PQexec (conn, "NOTIFY " RELAY_POSTGRESQL_CHANNEL ", '" DEVICE_KEY "'");
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);
  PQfinish (conn);
}

/* Another node's queue notification that the server sends after its
 * answer to this node's notices, and that libpq therefore reads along
 * with that answer, is in libpq's hands and no longer on the socket:
 * the loop must not wait for the socket to tell it. */
static void
test_notification_behind_published_answer (void)
{
  g_autofree char *url = server_url ();
  g_autoptr(GError) error = NULL;
  Fixture fixture = { 0 };
  RelayPostgresqlListener *listener;

  uv_loop_init (&fixture.loop);
  listener = relay_postgresql_listener_new (&fixture.loop, url, changed_cb, online_cb, &fixture, &error);
  g_assert_no_error (error);
  g_assert_nonnull (listener);

  /* The notice goes out now; its answer, and then the other session's
   * notification, wait on the socket while the loop does not run. */
  relay_postgresql_listener_publish (listener, "1:a:b");
  g_usleep (300 * 1000);
  notify_from_elsewhere (url);
  g_usleep (300 * 1000);

  run_loop (&fixture, 3000);
  g_assert_cmpuint (fixture.changed, ==, 1);
  g_assert_cmpstr (fixture.last_key, ==, DEVICE_KEY);

  relay_postgresql_listener_close (listener);
  uv_run (&fixture.loop, UV_RUN_DEFAULT);
  relay_postgresql_listener_free (listener);
  g_assert_cmpint (uv_loop_close (&fixture.loop), ==, 0);
  g_free (fixture.last_key);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/relay/postgresql/listener/notification-behind-published-answer",
                   test_notification_behind_published_answer);
  return g_test_run ();
}
