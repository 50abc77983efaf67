/* test-relay-storage.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the relay's database keeps across restarts and upgrades: a
 * database left by an older relay is migrated with its queue intact, and
 * every GUID a client was given still names its envelope, and only it,
 * after the relay restarts; the write-ahead log is checkpointed beside
 * the writer and stays bounded.
 */

#include "config.h"

#include <glib/gstdio.h>

#include "relay-test-util.h"

#define DAY_MS (24 * 3600 * G_GINT64_CONSTANT (1000))

/* The accounts and envelopes in relay-v3.sql. */
static const char alice_uuid[] = "03710702-0ea9-454d-ab87-34a69d1848ab";
static const char alice_password[] = "password-fbb834a5c55b1d41";
static const char bob_uuid[] = "a3a3481e-bdfd-41de-9aa6-725df133b295";
static const char bob_password[] = "password-b6230e8ff58b46d6";
static const guint bob_registration_id = 9025;
static const char * const legacy_guids[] = {
  "bc1a5f9e-997c-4d6d-aa5e-ce6a27938da9",
  "736adc5f-8893-45ae-a3b6-3ecddd95fa16",
  "0938e4a4-6e42-4d18-b8e3-433fab4cf6d5",
};

/* Makes DATA_DIR/relay.db from the version 3 dump.  The first envelope
 * is made older than the relay keeps any, the others fresh. */
static void
write_v3_database (const char *data_dir)
{
  g_autofree char *dump_path = g_build_filename (RELAY_TEST_SRCDIR, "relay-v3.sql", NULL);
  g_autofree char *db_path = g_build_filename (data_dir, "relay.db", NULL);
  g_autofree char *dump = NULL;
  g_autofree char *ages = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / 1000;
  sqlite3 *db = NULL;

  g_file_get_contents (dump_path, &dump, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  test_sqlite_exec (db, dump);
  ages = g_strdup_printf ("UPDATE envelopes SET server_timestamp = %" G_GINT64_FORMAT " WHERE id = 1;"
                          "UPDATE envelopes SET server_timestamp = %" G_GINT64_FORMAT " WHERE id > 1;",
                          now - 31 * DAY_MS, now);
  test_sqlite_exec (db, ages);
  sqlite3_close (db);
}

static void
expect_envelope_with (TestSocket *socket,
                      const char *guid,
                      const char *content)
{
  g_autoptr(JsonNode) node = NULL;
  JsonObject *envelope = test_socket_expect_envelope (socket, &node);

  g_assert_cmpstr (json_object_get_string_member (envelope, "guid"), ==, guid);
  if (content != NULL)
    {
      g_autofree char *encoded = g_base64_encode ((const guchar *) content, strlen (content));

      g_assert_cmpstr (json_object_get_string_member (envelope, "content"), ==, encoded);
    }
}

static void
wait_for_metric (SoupSession *session,
                 TestRelay   *relay,
                 const char  *name,
                 gint64       value)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (test_relay_metric (session, relay, name) != value)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * G_TIME_SPAN_MILLISECOND);
    }
}

/* Envelopes stored before schema version 4 keep their GUIDs, by which
 * their clients acknowledge them, and expire like the others. */
static void
test_migrate_v3 (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestAccount) alice = test_account_for (alice_uuid, alice_password, 11680);
  g_autoptr(TestAccount) bob = test_account_for (bob_uuid, bob_password, bob_registration_id);
  g_autoptr(TestRelay) relay = NULL;
  g_autoptr(TestSocket) socket = NULL;
  g_autofree char *fresh_guid = NULL;
  g_autofree char *fresh_content = g_base64_encode ((const guchar *) "fresh", 5);

  write_v3_database (dir);
  relay = test_relay_start (dir, test_relay_relaxed_conf, NULL);
  /* The relay expires old envelopes when it starts. */
  wait_for_metric (session, relay, "sotto_relay_envelopes_expired_total", 1);
  g_assert_cmpint (test_relay_metric (session, relay, "sotto_relay_envelopes_queued"), ==, 2);
  g_assert_cmpint (test_relay_query_int (dir, "PRAGMA user_version"), ==, 8);
  /* Version 8's expiries: none on the envelopes stored before, and an
   * index of those that have one. */
  g_assert_cmpint (test_relay_query_int (dir, "SELECT count(*) FROM queue WHERE expires_at IS NULL"), ==, 2);
  g_assert_cmpint (test_relay_query_int (dir, "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
                                              "AND name = 'queue_by_expiry' AND sql LIKE '%WHERE expires_at IS NOT NULL%'"), ==, 1);

  socket = test_socket_connect (session, relay, bob->auth);
  g_assert_no_error (socket->error);
  expect_envelope_with (socket, legacy_guids[1], "legacy-1");
  expect_envelope_with (socket, legacy_guids[2], "legacy-2");
  test_socket_expect_drained (socket);

  fresh_guid = test_send_envelope (session, relay, alice, bob, fresh_content);
  for (guint i = 0; i < G_N_ELEMENTS (legacy_guids); i++)
    g_assert_cmpstr (fresh_guid, !=, legacy_guids[i]);
  expect_envelope_with (socket, fresh_guid, "fresh");
  test_socket_ack (socket, legacy_guids[1]);
  test_socket_ack (socket, fresh_guid);
  wait_for_metric (session, relay, "sotto_relay_envelopes_queued", 1);
  g_clear_pointer (&socket, test_socket_free);

  socket = test_socket_connect (session, relay, bob->auth);
  expect_envelope_with (socket, legacy_guids[2], "legacy-2");
  test_socket_expect_drained (socket);
  test_socket_ack (socket, legacy_guids[2]);
  wait_for_metric (session, relay, "sotto_relay_envelopes_queued", 0);
  g_clear_pointer (&socket, test_socket_free);

  /* What was acknowledged is gone from the table, old envelopes too. */
  g_assert_cmpint (test_relay_query_int (dir, "SELECT count(*) FROM queue"), ==, 0);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (dir);
}

/* A GUID names its envelope across a restart.  Ids start again after the
 * last stored one, so an id may come back once its envelope is gone, but
 * the GUID a client was given for the old envelope never names the new
 * one. */
static void
test_guids_across_restarts (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestRelay) relay = test_relay_start (dir, test_relay_relaxed_conf, NULL);
  g_autoptr(TestAccount) alice = test_account_register (session, relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (session, relay, "bob", 0);
  g_autoptr(TestSocket) socket = NULL;
  g_autofree char *first = test_send_envelope (session, relay, alice, bob, "Zmlyc3Q=");
  g_autofree char *second = NULL;

  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  g_clear_pointer (&relay, test_relay_free);
  relay = test_relay_start (dir, test_relay_relaxed_conf, NULL);
  socket = test_socket_connect (session, relay, bob->auth);
  expect_envelope_with (socket, first, "first");
  test_socket_expect_drained (socket);
  test_socket_ack (socket, first);
  wait_for_metric (session, relay, "sotto_relay_envelopes_queued", 0);
  g_clear_pointer (&socket, test_socket_free);

  /* The queue is empty, so the next envelope reuses the first one's id. */
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  g_clear_pointer (&relay, test_relay_free);
  relay = test_relay_start (dir, test_relay_relaxed_conf, NULL);
  second = test_send_envelope (session, relay, alice, bob, "c2Vjb25k");
  g_assert_cmpint (test_relay_query_int (dir, "SELECT id FROM queue"), ==, 1);
  g_assert_cmpstr (second, !=, first);

  socket = test_socket_connect (session, relay, bob->auth);
  expect_envelope_with (socket, second, "second");
  test_socket_expect_drained (socket);
  test_socket_ack (socket, first);
  g_clear_pointer (&socket, test_socket_free);
  /* The relay read the stale acknowledgement before this connection, so
   * the envelope is still there only if it was left alone. */
  socket = test_socket_connect (session, relay, bob->auth);
  expect_envelope_with (socket, second, "second");
  test_socket_expect_drained (socket);
  g_assert_cmpint (test_relay_metric (session, relay, "sotto_relay_envelopes_queued"), ==, 1);
  test_socket_ack (socket, second);
  wait_for_metric (session, relay, "sotto_relay_envelopes_queued", 0);
  g_clear_pointer (&socket, test_socket_free);

  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (dir);
}

static gint64
file_size (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return (gint64) st.st_size;
}

/* The write-ahead log is checkpointed while the relay runs, beside its
 * commits: sends of about 1,800 pages in all take the log past the
 * 1,000 pages at which the checkpoint thread copies it into the
 * database file, far below the 4,000 at which the writer would do it
 * itself.  The log then stays bounded, and every envelope is there
 * after a restart. */
#define WAL_SENDS 300
#define WAL_CONTENT_BYTES (16 * 1024)
#define WAL_PAGE_BYTES 4096

static void
test_wal_checkpointed (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestRelay) relay = test_relay_start (dir, test_relay_relaxed_conf, NULL);
  g_autoptr(TestAccount) alice = test_account_register (session, relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (session, relay, "bob", 0);
  g_autofree char *content = test_random_base64 (WAL_CONTENT_BYTES, -1);
  gint64 deadline;

  g_assert_cmpint (file_size (dir, "relay.db"), <, WAL_SENDS * WAL_CONTENT_BYTES / 2);
  for (guint i = 0; i < WAL_SENDS; i++)
    g_free (test_send_envelope (session, relay, alice, bob, content));

  /* The checkpoint runs on its own thread, after the commit that asked
   * for it; its copy shows as a database file holding most of the
   * envelopes. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (file_size (dir, "relay.db") < WAL_SENDS * WAL_CONTENT_BYTES / 2)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * G_TIME_SPAN_MILLISECOND);
    }
  /* The log never grew to where the writer checkpoints. */
  g_assert_cmpint (file_size (dir, "relay.db-wal"), <, 4000 * (WAL_PAGE_BYTES + 24));

  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  g_clear_pointer (&relay, test_relay_free);
  relay = test_relay_start (dir, test_relay_relaxed_conf, NULL);
  g_assert_cmpint (test_relay_metric (session, relay, "sotto_relay_envelopes_queued"), ==, WAL_SENDS);
  g_assert_cmpint (test_relay_query_int (dir, "SELECT count(*) FROM queue"), ==, WAL_SENDS);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/relay/storage/migrate-v3", test_migrate_v3);
  g_test_add_func ("/relay/storage/guids-across-restarts", test_guids_across_restarts);
  g_test_add_func ("/relay/storage/wal-checkpointed", test_wal_checkpointed);

  return g_test_run ();
}
