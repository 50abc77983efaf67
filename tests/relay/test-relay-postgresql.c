/* test-relay-postgresql.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What only the PostgreSQL backend does: its schema migrates from the
 * first version with the data in it kept, and it runs only on a server
 * that makes commits durable.  Runs only under
 * build-aux/with-postgresql.sh.
 */

#include "config.h"

#include <libpq-fe.h>
#include <string.h>

#include "relay-test-util.h"

#define DELIVERY_TIMEOUT_MS 10000

/* The next envelope on the socket, which must carry `content`; it is
 * acknowledged. */
static void
expect_envelope (TestSocket *socket,
                 const char *content)
{
  g_autoptr(JsonNode) node = test_socket_next (socket, DELIVERY_TIMEOUT_MS);
  JsonObject *object;

  g_assert_nonnull (node);
  object = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "envelope");
  g_assert_cmpstr (json_object_get_string_member (object, "content"), ==, content);
  test_socket_ack (socket, json_object_get_string_member (object, "guid"));
}

static void
expect_queue_empty (TestSocket *socket)
{
  g_autoptr(JsonNode) node = test_socket_next (socket, DELIVERY_TIMEOUT_MS);

  g_assert_nonnull (node);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "type"), ==, "queue-empty");
}

/* Runs SQL on a database of the test's server and returns the first
 * column of its first row, or 0 when it returns none. */
static gint64
database_exec (const char *url,
               const char *sql)
{
  PGconn *conn = PQconnectdb (url);
  PGresult *result;
  gint64 value = 0;

  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  result = PQexec (conn, sql);
  g_assert_cmpstr (PQresultErrorMessage (result), ==, "");
  if (PQntuples (result) > 0)
    value = g_ascii_strtoll (PQgetvalue (result, 0, 0), NULL, 10);
  PQclear (result);
  PQfinish (conn);
  return value;
}

static const char alice_uuid[] = "03710702-0ea9-454d-ab87-34a69d1848ab";
static const char alice_password[] = "password-fbb834a5c55b1d41";
static const char bob_uuid[] = "a3a3481e-bdfd-41de-9aa6-725df133b295";
static const char bob_password[] = "password-b6230e8ff58b46d6";

/* A database at schema version 1 with accounts and a queued envelope in
 * it: the relay migrates it to the latest version, and everything in it
 * still works. */
static void
test_migrate_v1 (void)
{
  g_autofree char *name = g_strdup_printf ("migrate_%08x", g_test_rand_int ());
  g_autofree char *url = test_postgresql_database (name);
  g_autofree char *dump_path = g_build_filename (RELAY_TEST_SRCDIR, "relay-postgresql-v1.sql", NULL);
  g_autofree char *dump = NULL;
  g_autofree char *fresh = NULL;
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestRelay) relay = NULL;
  g_autoptr(TestSocket) socket = NULL;
  g_autoptr(TestResponse) response = NULL;
  TestRelaySetup setup = { NULL, FALSE, NULL, 0, url };
  g_autoptr(TestAccount) alice = test_account_for (alice_uuid, alice_password, 11680);
  g_autoptr(TestAccount) bob = test_account_for (bob_uuid, bob_password, 9025);
  const char *start[] = { "--listen", "127.0.0.1:0", "--data-dir", dir, "--database", url, NULL };

  g_file_get_contents (dump_path, &dump, NULL, &error);
  g_assert_no_error (error);
  database_exec (url, dump);
  /* Fresh enough not to expire when the relay starts. */
  fresh = g_strdup_printf ("UPDATE queue SET server_timestamp = %" G_GINT64_FORMAT, g_get_real_time () / 1000);
  database_exec (url, fresh);

  relay = test_relay_start_with (dir, test_relay_relaxed_conf, &setup);
  g_assert_cmpint (database_exec (url, "SELECT version FROM schema_version"), ==, 2);
  g_assert_cmpint (database_exec (url, "SELECT count(*) FROM schema_version"), ==, 1);
  /* Version 2's invites table and ban flag are there. */
  g_assert_cmpint (database_exec (url, "SELECT count(*) FROM invites"), ==, 0);
  g_assert_cmpint (database_exec (url, "SELECT count(*) FROM accounts WHERE NOT banned"), ==, 2);

  /* Bob's password, his queue and its GUID key came through. */
  socket = test_socket_connect (session, relay, bob->auth);
  g_assert_no_error (socket->error);
  expect_envelope (socket, "bGVnYWN5LTA=");
  expect_queue_empty (socket);
  g_free (test_send_envelope (session, relay, alice, bob, "YWZ0ZXI="));
  expect_envelope (socket, "YWZ0ZXI=");
  g_clear_pointer (&socket, test_socket_free);
  /* Alice's account, keys included, too. */
  response = test_request (session, relay, "GET", "/v1/keys/a3a3481e-bdfd-41de-9aa6-725df133b295/1",
                           alice->auth, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  g_clear_pointer (&relay, test_relay_free);

  /* A schema newer than the relay knows is left alone. */
  database_exec (url, "UPDATE schema_version SET version = 3");
  g_assert_cmpint (test_relay_run (start, NULL, &err), ==, 1);
  g_assert_nonnull (strstr (err, "The database has schema version 3, newer than this relay knows (2)"));
  g_assert_cmpint (database_exec (url, "SELECT version FROM schema_version"), ==, 3);

  test_relay_remove_data_dir (dir);
}

/* A database that acknowledges commits before they are on disk would
 * let the relay answer what a crash loses: the relay does not start. */
static void
test_refuses_synchronous_commit_off (void)
{
  g_autofree char *name = g_strdup_printf ("async_%08x", g_test_rand_int ());
  g_autofree char *url = test_postgresql_database (name);
  g_autofree char *alter = g_strdup_printf ("ALTER DATABASE %s SET synchronous_commit = off", name);
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autofree char *err = NULL;
  const char *start[] = { "--listen", "127.0.0.1:0", "--data-dir", dir, "--database", url, NULL };

  database_exec (url, alter);
  g_assert_cmpint (test_relay_run (start, NULL, &err), ==, 1);
  g_assert_nonnull (strstr (err, "synchronous_commit off"));
  /* Nothing was made in it. */
  g_assert_cmpint (database_exec (url, "SELECT count(*) FROM pg_tables WHERE tablename = 'queue'"), ==, 0);
  test_relay_remove_data_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_true (test_relay_uses_postgresql ());
  g_test_add_func ("/relay/postgresql/migrate-v1", test_migrate_v1);
  g_test_add_func ("/relay/postgresql/refuses-synchronous-commit-off", test_refuses_synchronous_commit_off);
  return g_test_run ();
}
