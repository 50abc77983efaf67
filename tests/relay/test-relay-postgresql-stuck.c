/* test-relay-postgresql-stuck.c: another node stuck in its transaction
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A node that is frozen (SIGSTOP, a paused VM, a network partition that
 * leaves its TCP connection to PostgreSQL half open) between BEGIN and
 * COMMIT keeps the rows it locked: the recipients' device rows of its
 * sends.  The PostgreSQL connection below stands in for it.  Every other
 * node must still answer: a send to a locked recipient within the
 * client's timeout (200, or 503 to try again), and a send to anybody
 * else after it.  Runs only under build-aux/with-postgresql.sh.
 */

#include "config.h"

#include <libpq-fe.h>
#include <string.h>

#include "relay-test-util.h"

/* Sends @content from @from to @to and returns the HTTP status; the
 * session's timeout (30 s) bounds the wait. */
static guint
send_status (SoupSession *session,
             TestRelay   *relay,
             TestAccount *from,
             TestAccount *to,
             const char  *content)
{
  g_autofree char *path = g_strdup_printf ("/v1/messages/%s", to->uuid);
  g_autofree char *body = test_send_body (1, to->registration_id, content);
  g_autoptr(SoupMessage) message = test_message_new (relay, "PUT", path, from->auth, body);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);
  return soup_message_get_status (message);
}

static void
test_stuck_transaction (void)
{
  g_autofree char *name = g_strdup_printf ("stuck_%08x", g_test_rand_int ());
  g_autofree char *url = test_postgresql_database (name);
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestRelay) relay = NULL;
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestAccount) bob = NULL;
  g_autoptr(TestAccount) carol = NULL;
  TestRelaySetup setup = { NULL, FALSE, NULL, 0, url };
  const char *params[1];
  PGconn *stuck;
  PGresult *result;
  guint status;

  relay = test_relay_start_with (dir, test_relay_relaxed_conf, &setup);
  alice = test_account_register (session, relay, "alice", 2);
  bob = test_account_register (session, relay, "bob", 2);
  carol = test_account_register (session, relay, "carol", 2);

  stuck = PQconnectdb (url);
  g_assert_cmpint (PQstatus (stuck), ==, CONNECTION_OK);
  result = PQexec (stuck, "BEGIN");
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);
  params[0] = bob->uuid;
  result = PQexecParams (stuck, "SELECT 1 FROM devices WHERE account = $1 FOR UPDATE",
                         1, NULL, params, NULL, NULL, 0);
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_TUPLES_OK);
  g_assert_cmpint (PQntuples (result), ==, 1);
  PQclear (result);

  status = send_status (session, relay, alice, bob, "dG8gYm9i");
  g_assert_true (status == SOUP_STATUS_OK || status == SOUP_STATUS_SERVICE_UNAVAILABLE);
  g_assert_cmpuint (send_status (session, relay, alice, carol, "dG8gY2Fyb2w="), ==, SOUP_STATUS_OK);

  PQfinish (stuck);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  g_clear_pointer (&relay, test_relay_free);
  test_relay_remove_data_dir (dir);
}

/* A node that stopped in the middle of sending a statement of its batch
 * (a batch's pipeline is written while it holds its recipients' device
 * rows) leaves its session active, waiting for the rest, where
 * idle_in_transaction_session_timeout does not apply.  The connection
 * below stands in for such a node (it has the relay's application name):
 * it holds bob's device rows and has sent the start of a statement whose
 * end stays in its buffer.  Sends to bob are answered 503 until that
 * session has waited for its node longer than a session may idle in a
 * transaction (30 s), then 200. */
static void
test_stuck_mid_statement (void)
{
  const int length = 8 * 1024 * 1024;
  g_autofree char *name = g_strdup_printf ("stuck_mid_%08x", g_test_rand_int ());
  g_autofree char *url = test_postgresql_database (name);
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autofree char *bytes = g_malloc0 (length);
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestRelay) relay = NULL;
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestAccount) bob = NULL;
  TestRelaySetup setup = { NULL, FALSE, NULL, 0, url };
  const char * const keywords[] = { "dbname", "application_name", NULL };
  const char * const settings[] = { url, "sotto-relay", NULL };
  const char *values[] = { bytes };
  const int lengths[] = { length };
  const int formats[] = { 1 };
  const char *params[1];
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  guint status;
  PGconn *stuck;
  PGresult *result;

  relay = test_relay_start_with (dir, test_relay_relaxed_conf, &setup);
  alice = test_account_register (session, relay, "alice", 2);
  bob = test_account_register (session, relay, "bob", 2);

  stuck = PQconnectdbParams (keywords, settings, 1);
  g_assert_cmpint (PQstatus (stuck), ==, CONNECTION_OK);
  result = PQexec (stuck, "BEGIN");
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);
  params[0] = bob->uuid;
  result = PQexecParams (stuck, "SELECT 1 FROM devices WHERE account = $1 FOR UPDATE",
                         1, NULL, params, NULL, NULL, 0);
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_TUPLES_OK);
  PQclear (result);
  /* What the socket does not take of the statement stays in libpq's
   * buffer, for a flush that never comes. */
  g_assert_cmpint (PQsetnonblocking (stuck, 1), ==, 0);
  g_assert_cmpint (PQsendQueryParams (stuck, "SELECT length ($1)", 1, NULL, values, lengths, formats, 1), ==, 1);

  while ((status = send_status (session, relay, alice, bob, "dG8gYm9i")) != SOUP_STATUS_OK)
    {
      g_assert_cmpuint (status, ==, SOUP_STATUS_SERVICE_UNAVAILABLE);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    }

  PQfinish (stuck);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  g_clear_pointer (&relay, test_relay_free);
  test_relay_remove_data_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_true (test_relay_uses_postgresql ());
  g_test_add_func ("/relay/postgresql/stuck-transaction", test_stuck_transaction);
  g_test_add_func ("/relay/postgresql/stuck-mid-statement", test_stuck_mid_statement);
  return g_test_run ();
}
