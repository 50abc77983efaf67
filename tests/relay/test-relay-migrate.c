/* test-relay-migrate.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * sotto-relay migrate: a relay that ran on SQLite, with accounts, keys,
 * queued envelopes, an invite and a ban, is copied into PostgreSQL; a
 * relay started on that database then serves the same clients as if
 * nothing had happened, and relay.db is left exactly as it was.  Runs
 * only under build-aux/with-postgresql.sh.
 */

#include "config.h"

#include <string.h>

#include "relay-test-blob.h"

static const char * const table_names[] = {
  "accounts", "devices", "signed_prekeys", "one_time_prekeys", "queue", "secrets", "invites",
};

/* A hash of relay.db and of its write-ahead log, which holds committed
 * transactions too until a checkpoint moves them into relay.db.  A log
 * that is not there holds nothing, as an empty one does: any reader of
 * a database in WAL mode may create the empty file. */
static char *
database_hash (const char *dir)
{
  const char *names[] = { "relay.db", "relay.db-wal" };
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);
      g_autoptr(GError) error = NULL;
      g_autofree char *contents = NULL;
      gsize length = 0;

      if (i == 0 || g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_file_get_contents (path, &contents, &length, &error);
          g_assert_no_error (error);
        }
      g_checksum_update (checksum, (const guchar *) &length, sizeof length);
      if (length > 0)
        g_checksum_update (checksum, (const guchar *) contents, (gssize) length);
    }
  return g_strdup (g_checksum_get_string (checksum));
}

static int
run_admin (const char  *dir,
           char       **out,
           const char  *command,
           const char  *subcommand,
           const char  *argument)
{
  const char *args[] = { "admin", "--data-dir", dir, command, subcommand, argument, NULL };

  return test_relay_run (args, out, NULL);
}

static int
run_migrate (const char  *dir,
             const char  *url,
             char       **out,
             char       **err)
{
  const char *args[] = { "migrate", "--from", dir, "--to", url, NULL };

  return test_relay_run (args, out, err);
}

/* Each table's line in migrate's report gives the rows that SQLite
 * holds, and a checksum. */
static void
assert_report (const char *report,
               const char *dir,
               const char *url)
{
  g_auto(GStrv) lines = g_strsplit (report, "\n", -1);

  for (guint i = 0; i < G_N_ELEMENTS (table_names); i++)
    {
      g_autofree char *count = g_strdup_printf ("SELECT count(*) FROM %s", table_names[i]);
      gint64 rows = test_relay_query_int (dir, count);
      gboolean found = FALSE;

      g_assert_cmpint (test_postgresql_query_int (url, count), ==, rows);
      for (guint j = 0; lines[j] != NULL; j++)
        {
          g_auto(GStrv) words = g_strsplit_set (lines[j], " ", -1);
          g_autoptr(GPtrArray) fields = g_ptr_array_new ();

          for (guint k = 0; words[k] != NULL; k++)
            if (words[k][0] != '\0')
              g_ptr_array_add (fields, words[k]);
          if (fields->len != 5 || strcmp (g_ptr_array_index (fields, 0), table_names[i]) != 0)
            continue;
          found = TRUE;
          g_assert_cmpint (g_ascii_strtoll (g_ptr_array_index (fields, 1), NULL, 10), ==, rows);
          g_assert_cmpstr (g_ptr_array_index (fields, 2), ==, "rows");
          g_assert_cmpstr (g_ptr_array_index (fields, 3), ==, "BLAKE2b");
          g_assert_cmpuint (strlen (g_ptr_array_index (fields, 4)), ==, 64);
        }
      g_assert_true (found);
    }
}

/* A blob's contents, printable so that they go as a request body. */
static char *
blob_contents (gsize size)
{
  char *contents = g_malloc (size + 1);

  for (gsize i = 0; i < size; i++)
    contents[i] = (char) ('a' + (i * 7 + i / 4093) % 26);
  contents[size] = '\0';
  return contents;
}

static char *
create_blob (SoupSession *session,
             TestRelay   *relay,
             TestAccount *account,
             gsize        size)
{
  g_autofree char *body = g_strdup_printf ("{\"size\":%" G_GSIZE_FORMAT "}", size);
  g_autoptr(TestResponse) response = test_request (session, relay, "POST", "/v1/attachments", account->auth, body);

  g_assert_cmpuint (response->status, ==, 200);
  return g_strdup (json_object_get_string_member (test_response_object (response), "id"));
}

/* The line of migrate's report for the attachment blobs. */
static void
assert_blob_report (const char *report,
                    guint       blobs)
{
  g_autofree char *expected = g_strdup_printf ("\n%-16s %8u rows  BLAKE2b ", "blobs", blobs);

  g_assert_nonnull (strstr (report, expected));
}

static void
test_migrate (void)
{
  g_autofree char *name = g_strdup_printf ("migrate_%08x", g_test_rand_int ());
  g_autofree char *url = test_postgresql_database (name);
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autofree char *pg_dir = test_relay_make_data_dir ();
  g_autofree char *hash_before = NULL;
  g_autofree char *hash_after = NULL;
  g_autofree char *invite = NULL;
  g_autofree char *report = NULL;
  g_autofree char *err = NULL;
  g_autofree char *bundle_path = NULL;
  g_autofree char *dave_body = NULL;
  g_autofree char *expiring_path = NULL;
  g_autofree char *expiring_body = NULL;
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestRelay) relay = NULL;
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestAccount) bob = NULL;
  g_autoptr(TestAccount) carol = NULL;
  g_autoptr(TestSocket) socket = NULL;
  g_autoptr(TestResponse) bundle = NULL;
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(GPtrArray) guids = g_ptr_array_new_with_free_func (g_free);
  const char *contents[] = { "b25l", "dHdv", "dGhyZWU=" };
  const char *invite_only[] = { "--registration", "invite", NULL };
  TestRelaySetup sqlite_setup = { .sqlite = TRUE };
  TestRelaySetup pg_setup = { .extra_args = invite_only, .database = url };
  gsize blob_size = 3 * 256 * 1024 + 3;
  g_autofree char *blob = blob_contents (blob_size);
  g_autofree char *blob_id = NULL;
  g_autofree char *blob_path = NULL;
  g_autofree char *partial_id = NULL;
  g_autofree char *partial_path = NULL;
  guint64 resumed_size = 300 * 1024 + 7;
  guint64 resumed_sent = 200 * 1024 + 5;
  g_autofree char *resumed_id = NULL;
  g_autofree char *resumed_path = NULL;
  JsonObject *device;

  /* An SQLite relay with some of everything its schema holds. */
  relay = test_relay_start_with (dir, test_relay_relaxed_conf, &sqlite_setup);
  alice = test_account_register (session, relay, "alice", 2);
  bob = test_account_register (session, relay, "bob", 3);
  carol = test_account_register (session, relay, "carol", 1);
  for (guint i = 0; i < G_N_ELEMENTS (contents); i++)
    g_ptr_array_add (guids, test_send_envelope (session, relay, alice, bob, contents[i]));
  /* An envelope with an expiry, which keeps it. */
  expiring_path = g_strdup_printf ("/v1/messages/%s", alice->uuid);
  expiring_body = g_strdup_printf ("{\"timestamp\":1,\"messages\":[{\"type\":1,\"destinationDeviceId\":1,"
                                   "\"destinationRegistrationId\":%u,\"content\":\"ZXhwaXJpbmc=\","
                                   "\"expiresInMs\":3600000}]}", alice->registration_id);
  response = test_request (session, relay, "PUT", expiring_path, bob->auth, expiring_body);
  g_assert_cmpuint (response->status, ==, 200);
  g_clear_pointer (&response, test_response_free);
  /* Bob's first one-time prekeys are taken. */
  bundle_path = g_strdup_printf ("/v1/keys/%s/1", bob->uuid);
  bundle = test_request (session, relay, "GET", bundle_path, alice->auth, NULL);
  g_assert_cmpuint (bundle->status, ==, 200);
  g_clear_pointer (&bundle, test_response_free);
  g_assert_cmpint (run_admin (dir, &invite, "invite", "create", NULL), ==, 0);
  g_strchomp (invite);
  g_assert_cmpint (run_admin (dir, NULL, "accounts", "ban", "carol"), ==, 0);
  /* An attachment of several chunks, and an upload not yet sent. */
  blob_id = create_blob (session, relay, alice, blob_size);
  blob_path = g_strdup_printf ("/v1/attachments/%s", blob_id);
  response = test_request (session, relay, "PUT", blob_path, alice->auth, blob);
  g_assert_cmpuint (response->status, ==, 200);
  g_clear_pointer (&response, test_response_free);
  partial_id = create_blob (session, relay, bob, 1000);
  /* An upload cut off after some of its bytes, over a chunk's worth. */
  resumed_id = create_blob (session, relay, alice, resumed_size);
  response = test_blob_put (relay, alice->auth, resumed_id, 0, resumed_sent, resumed_size, TEST_BLOB_PART_RANGED);
  test_blob_assert_part_done (response, resumed_sent, FALSE);
  g_clear_pointer (&response, test_response_free);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  g_clear_pointer (&relay, test_relay_free);
  hash_before = database_hash (dir);

  g_assert_cmpint (run_migrate (dir, url, &report, NULL), ==, 0);
  assert_report (report, dir, url);
  assert_blob_report (report, 3);
  hash_after = database_hash (dir);
  g_assert_cmpstr (hash_after, ==, hash_before);
  /* Alice's and Bob's password digests came along (Carol's devices went
   * with her ban). */
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM devices WHERE password_digest IS NOT NULL"),
                   ==, 2);
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM queue WHERE expires_at = server_timestamp + 3600000"),
                   ==, 1);

  /* A relay on PostgreSQL serves the same clients. */
  relay = test_relay_start_with (pg_dir, test_relay_relaxed_conf, &pg_setup);
  socket = test_socket_connect (session, relay, bob->auth);
  g_assert_no_error (socket->error);
  for (guint i = 0; i < G_N_ELEMENTS (contents); i++)
    {
      g_autoptr(JsonNode) holder = NULL;
      JsonObject *envelope = test_socket_expect_envelope (socket, &holder);

      g_assert_cmpstr (json_object_get_string_member (envelope, "content"), ==, contents[i]);
      /* The GUID the sender was given still names it. */
      g_assert_cmpstr (json_object_get_string_member (envelope, "guid"), ==, g_ptr_array_index (guids, i));
      test_socket_ack (socket, g_ptr_array_index (guids, i));
    }
  test_socket_expect_drained (socket);
  /* New entries get ids after the copied ones. */
  g_free (test_send_envelope (session, relay, alice, bob, "YWZ0ZXI="));
  {
    g_autoptr(JsonNode) holder = NULL;

    g_assert_cmpstr (json_object_get_string_member (test_socket_expect_envelope (socket, &holder), "content"),
                     ==, "YWZ0ZXI=");
  }

  /* Bob's keys, with the one-time prekeys that were taken gone. */
  bundle = test_request (session, relay, "GET", bundle_path, alice->auth, NULL);
  g_assert_cmpuint (bundle->status, ==, 200);
  device = json_array_get_object_element (json_object_get_array_member (test_response_object (bundle),
                                                                        "devices"), 0);
  g_assert_cmpint (json_object_get_int_member (device, "registrationId"), ==, bob->registration_id);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (device, "preKey"), "keyId"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (device, "pqPreKey"), "keyId"), ==, 2);
  test_assert_key_counts (&(TestFixture) { NULL, relay, session }, bob, 1, 1);

  /* The attachment, byte for byte, the upload, and what each account
   * is charged. */
  response = test_request (session, relay, "GET", blob_path, bob->auth, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (response->body, ==, blob);
  g_clear_pointer (&response, test_response_free);
  partial_path = g_strdup_printf ("/v1/attachments/%s/upload", partial_id);
  response = test_request (session, relay, "GET", partial_path, bob->auth, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_false (json_object_get_boolean_member (test_response_object (response), "complete"));
  g_clear_pointer (&response, test_response_free);
  /* The upload cut off goes on from where it stood, byte for byte. */
  resumed_path = g_strdup_printf ("/v1/attachments/%s/upload", resumed_id);
  response = test_request (session, relay, "GET", resumed_path, alice->auth, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (test_response_object (response), "offset"), ==, (gint64) resumed_sent);
  g_clear_pointer (&response, test_response_free);
  response = test_blob_put (relay, alice->auth, resumed_id, resumed_sent, resumed_size - resumed_sent, resumed_size,
                            TEST_BLOB_PART_RANGED);
  test_blob_assert_part_done (response, resumed_size, TRUE);
  g_clear_pointer (&response, test_response_free);
  test_blob_assert_downloads (relay, bob->auth, resumed_id, resumed_size);
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT sum (bytes) FROM blob_usage"), ==,
                   (gint64) (blob_size + 4096 + resumed_size));

  /* The ban and the invite came along too. */
  g_assert_cmpuint (test_whoami_status (session, relay, alice->auth), ==, 200);
  g_assert_cmpuint (test_whoami_status (session, relay, carol->auth), ==, 401);
  dave_body = test_register_body ("dave", "a-good-long-password", 42, 1, invite);
  response = test_request (session, relay, "POST", "/v1/accounts", NULL, dave_body);
  g_assert_cmpuint (response->status, ==, 200);
  g_clear_pointer (&response, test_response_free);
  response = test_request (session, relay, "POST", "/v1/accounts", NULL, dave_body);
  g_assert_cmpuint (response->status, ==, 403);

  g_clear_pointer (&socket, test_socket_free);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);

  /* A database that holds a relay's data is never written over. */
  g_assert_cmpint (run_migrate (dir, url, NULL, &err), ==, 1);
  g_assert_nonnull (strstr (err, "already holds a relay's data"));
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM accounts"), ==, 4);

  test_relay_remove_data_dir (dir);
  test_relay_remove_data_dir (pg_dir);
}

/* Envelopes stored before SQLite schema version 4 have GUIDs that
 * PostgreSQL has no place for: migrate refuses, and writes nothing. */
static void
test_migrate_refuses_legacy_guids (void)
{
  g_autofree char *name = g_strdup_printf ("legacy_%08x", g_test_rand_int ());
  g_autofree char *url = test_postgresql_database (name);
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autofree char *db_path = g_build_filename (dir, "relay.db", NULL);
  g_autofree char *err = NULL;
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestRelay) relay = NULL;
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestAccount) bob = NULL;
  TestRelaySetup sqlite_setup = { .sqlite = TRUE };
  sqlite3 *db = NULL;

  relay = test_relay_start_with (dir, test_relay_relaxed_conf, &sqlite_setup);
  alice = test_account_register (session, relay, "alice", 1);
  bob = test_account_register (session, relay, "bob", 1);
  g_free (test_send_envelope (session, relay, alice, bob, "b2xk"));
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  test_sqlite_exec (db, "UPDATE queue SET tag = NULL, legacy_guid = '7f0c5ee4-8d36-4c0c-9a0e-0e4be3a1c2d1'");
  sqlite3_close (db);

  g_assert_cmpint (run_migrate (dir, url, NULL, &err), ==, 1);
  g_assert_nonnull (strstr (err, "older than schema version 4"));
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM pg_tables WHERE tablename = 'accounts'"),
                   ==, 0);
  test_relay_remove_data_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_true (test_relay_uses_postgresql ());
  g_test_add_func ("/relay/migrate/sqlite-to-postgresql", test_migrate);
  g_test_add_func ("/relay/migrate/refuses-legacy-guids", test_migrate_refuses_legacy_guids);
  return g_test_run ();
}
