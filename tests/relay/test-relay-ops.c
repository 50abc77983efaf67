/* test-relay-ops.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What an operator relies on, against real sotto-relay processes: the
 * relay recovers by itself after another process wrote to its database
 * and its health check tells when storage takes no writes; one relay per
 * data directory; relay.conf faults named by file and line; metrics on
 * their own address only; SIGHUP reloads a new certificate while a
 * WebSocket stays open, and the registration policy; readiness through
 * $NOTIFY_SOCKET; logs that keep standard output to its one line.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>

#include "relay-test-util.h"

/* Starts a relay that may log warnings, which the tests' G_DEBUG would
 * otherwise make fatal. */
static TestRelay *
start_relay_with_warnings (const char  *dir,
                           const char  *conf,
                           const char **args)
{
  const char *env[] = { "G_DEBUG", NULL };

  return test_relay_start_full (dir, conf, args, TRUE, env);
}

static sqlite3 *
open_database (const char *data_dir)
{
  g_autofree char *path = g_build_filename (data_dir, "relay.db", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  return db;
}

static guint
request_status (SoupSession *session,
                TestRelay   *relay,
                const char  *method,
                const char  *path,
                const char  *auth,
                const char  *body)
{
  g_autoptr(TestResponse) response = test_request (session, relay, method, path, auth, body);

  return response->status;
}

static const char *
health_status (SoupSession *session,
               TestRelay   *relay,
               guint        expected_status)
{
  g_autoptr(TestResponse) response = test_request (session, relay, "GET", "/v1/health", NULL, NULL);

  g_assert_cmpuint (response->status, ==, expected_status);
  return g_intern_string (json_object_get_string_member (test_response_object (response), "status"));
}

static void
send_to (SoupSession *session,
         TestRelay   *relay,
         TestAccount *from,
         TestAccount *to,
         guint        expected_status)
{
  g_autofree char *body = test_send_body (1, to->registration_id, "AAEC");
  g_autofree char *path = g_strdup_printf ("/v1/messages/%s", to->uuid);

  g_assert_cmpuint (request_status (session, relay, "PUT", path, from->auth, body), ==, expected_status);
}

/* An outside write (an operator's sqlite3) used to leave the relay
 * failing every write with "database is locked": a statement stepped to
 * a row and never reset kept a read snapshot open after COMMIT, which
 * the outside commit made stale, and BEGIN IMMEDIATE on a stale
 * snapshot fails at once, every time, since nothing reset it. */
static void
test_outside_write (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autoptr(TestRelay) relay = test_relay_start (dir, test_relay_relaxed_conf, NULL);
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestAccount) alice = test_account_register (session, relay, "alice", 2);
  g_autoptr(TestAccount) bob = test_account_register (session, relay, "bob", 2);
  g_autoptr(TestAccount) carol = NULL;
  sqlite3 *db;

  /* Reads that stop at their first row: a password check, a lookup. */
  g_assert_cmpuint (request_status (session, relay, "GET", "/v1/accounts/username/bob", alice->auth, NULL),
                    ==, 200);
  send_to (session, relay, alice, bob, 200);

  db = open_database (dir);
  test_sqlite_exec (db, "INSERT INTO secrets (name, value) VALUES ('outside', x'00');"
                "DELETE FROM secrets WHERE name = 'outside';");
  sqlite3_close (db);

  /* At once, not after a timeout or a restart. */
  send_to (session, relay, alice, bob, 200);
  carol = test_account_register (session, relay, "carol", 1);
  g_assert_cmpstr (health_status (session, relay, 200), ==, "ok");

  g_clear_object (&session);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (dir);
}

/* While another process holds the write lock longer than the relay
 * waits for it, health says so; once it lets go, the relay serves
 * again by itself. */
static void
test_health_unwritable (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autoptr(TestRelay) relay = start_relay_with_warnings (dir, test_relay_relaxed_conf, NULL);
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestAccount) alice = test_account_register (session, relay, "alice", 1);
  g_autoptr(TestAccount) bob = test_account_register (session, relay, "bob", 1);
  g_autofree char *log = NULL;
  sqlite3 *db;

  g_assert_cmpstr (health_status (session, relay, 200), ==, "ok");
  db = open_database (dir);
  test_sqlite_exec (db, "BEGIN IMMEDIATE; INSERT INTO secrets (name, value) VALUES ('outside', x'00');");
  g_assert_cmpstr (health_status (session, relay, 503), ==, "storage-unavailable");
  test_sqlite_exec (db, "ROLLBACK");
  sqlite3_close (db);

  g_assert_cmpstr (health_status (session, relay, 200), ==, "ok");
  send_to (session, relay, alice, bob, 200);
  log = test_relay_read_log (relay);
  g_assert_nonnull (strstr (log, "cannot begin a transaction: database is locked"));

  g_clear_object (&session);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (dir);
}

/* A second relay on a data directory in use exits at once and names the
 * process that holds it; the first goes on serving. */
static void
test_directory_lock (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autoptr(TestRelay) relay = test_relay_start (dir, test_relay_relaxed_conf, NULL);
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestAccount) alice = NULL;
  g_autofree char *holder = g_strdup_printf ("process %s)", g_subprocess_get_identifier (relay->process));
  const char *args[] = { "--listen", "127.0.0.1:0", "--data-dir", dir, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (test_relay_run (args, &out, &err), !=, 0);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "in use by another sotto-relay"));
  g_assert_nonnull (strstr (err, holder));

  alice = test_account_register (session, relay, "alice", 1);
  g_assert_cmpstr (health_status (session, relay, 200), ==, "ok");

  g_clear_object (&session);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  /* The lock goes with the process: a new relay starts. */
  g_clear_pointer (&relay, test_relay_free);
  relay = test_relay_start (dir, NULL, NULL);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (dir);
}

static void
write_conf (const char *dir,
            const char *conf)
{
  g_autofree char *path = g_build_filename (dir, "relay.conf", NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, conf, -1, &error);
  g_assert_no_error (error);
}

static void
test_version (void)
{
  const char *args[] = { "--version", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (test_relay_run (args, &out, &err), ==, 0);
  g_assert_cmpstr (out, ==, "sotto-relay " PACKAGE_VERSION "\n");
}

/* Every fault, one line each, named by file and line; the relay itself
 * refuses to start on them with the same lines. */
static void
test_check_config (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  const char *check[] = { "--data-dir", dir, "--check-config", NULL };
  const char *start[] = { "--listen", "127.0.0.1:0", "--data-dir", dir, NULL };
  const char *expected[] = {
    "relay.conf:2: unknown section [limit]",
    "relay.conf:6: unknown key “max-queue-envelope” in [limits]",
    "relay.conf:7: [limits] max-header-bytes must be an integer from 1024 to 65536",
    "relay.conf:9: [rate-limits] account-sends must be RATE/BURST, for example 10/50",
    "relay.conf:10: [rate-limits] account-sends is set twice (first on line 9)",
    "relay.conf:11: [rate-limits] account-lookups must be RATE/BURST, for example 10/50",
    "relay.conf:12: expected KEY=VALUE or [SECTION]",
    "relay.conf:14: [registration] mode: the registration mode is “open”, “invite”, “token:SECRET” or “token-file:PATH”",
    "relay.conf:16: [database] url: a database URL starts with postgresql://",
  };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *sample = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;

  write_conf (dir,
              "# A comment\n"
              "[limit]\n"
              "max-queue-envelopes=5\n"
              "\n"
              "[limits]\n"
              "max-queue-envelope=5\n"
              "max-header-bytes=12\n"
              "[rate-limits]\n"
              "account-sends=fast\n"
              "account-sends=1/2\n"
              "account-lookups=inf/inf\n"
              "just words\n"
              "[registration]\n"
              "mode=closed\n"
              "[database]\n"
              "url=mysql://relay@db.example/sotto\n");
  g_assert_cmpint (test_relay_run (check, &out, &err), !=, 0);
  lines = g_strsplit (g_strchomp (err), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpstr (lines[i], ==, expected[i]);

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (test_relay_run (start, &out, &err), ==, 2);
  g_assert_cmpstr (out, ==, "");
  g_assert_true (g_str_has_prefix (err, expected[0]));

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  write_conf (dir, "[limits]\nmax-queue-envelopes=5\n[registration]\nmode=invite\n[metrics]\nlisten=127.0.0.1:0\n"
                   "[database]\nurl=postgresql://relay@db.example:5432/sotto?sslmode=verify-full\n");
  g_assert_cmpint (test_relay_run (check, &out, &err), ==, 0);

  /* A registration token in relay.conf is a secret someone could guess:
   * a short one is refused, both by the check and at start. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  write_conf (dir, "[registration]\nmode=token:fifteen-letters\n");
  g_assert_cmpint (test_relay_run (check, &out, &err), !=, 0);
  g_assert_cmpstr (g_strchomp (err), ==,
                   "relay.conf:2: [registration] mode: a registration token must be at least 16 bytes long");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (test_relay_run (start, &out, &err), ==, 2);
  g_assert_true (g_str_has_prefix (err, "relay.conf:2: [registration] mode: a registration token"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  write_conf (dir, "[registration]\nmode=token:sixteen-letters!\n");
  g_assert_cmpint (test_relay_run (check, &out, &err), ==, 0);

  /* --database is checked like the key it overrides. */
  {
    const char *check_database[] = { "--data-dir", dir, "--check-config",
                                     "--database", "postgresql://relay@db.example/sotto?colour=blue", NULL };

    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (test_relay_run (check_database, &out, &err), ==, 1);
    g_assert_cmpstr (err, ==, "invalid URI query parameter: \"colour\"\n");
  }

  /* A data directory that does not exist is no valid configuration. */
  {
    g_autofree char *missing = g_build_filename (dir, "missing", NULL);
    const char *check_missing[] = { "--data-dir", missing, "--check-config", NULL };

    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (test_relay_run (check_missing, &out, &err), ==, 1);
    g_assert_nonnull (strstr (err, "does not exist"));
  }

  /* The annotated sample, as installed, is valid as it stands. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_file_get_contents (RELAY_TEST_SRCDIR "/../../data/sotto-relay.conf.sample", &sample, NULL, &error);
  g_assert_no_error (error);
  write_conf (dir, sample);
  g_assert_cmpint (test_relay_run (check, &out, &err), ==, 0);
  test_relay_remove_data_dir (dir);
}

/* Metrics are served on their own address, and only there. */
static void
test_metrics_address (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autoptr(TestRelay) relay = test_relay_start (dir, "[rate-limits]\naddress-requests=1/3\n", NULL);
  g_autoptr(SoupSession) session = test_session_new ();
  g_autofree char *text = NULL;
  g_autofree char *health_url = g_strdup_printf ("http://127.0.0.1:%u/v1/health", relay->metrics_port);
  g_autoptr(SoupMessage) health = soup_message_new ("GET", health_url);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;
  const char *names[] = {
    "sotto_relay_build_info{version=\"" PACKAGE_VERSION "\"} 1\n",
    "sotto_relay_commit_seconds_bucket{le=\"0.00025\"} ",
    "\nprocess_cpu_seconds_total ",
    "\nprocess_resident_memory_bytes ",
    "\nprocess_open_fds ",
    "\nprocess_start_time_seconds ",
  };
  g_autoptr(TestSocket) socket = NULL;
  g_autofree char *clients_ws_url = NULL;
  g_autofree char *auth = NULL;
  guint limited = 0;

  g_assert_cmpuint (relay->metrics_port, >, 0);
  g_assert_cmpuint (relay->metrics_port, !=, relay->port);
  /* Three requests fill the bucket; the rest are refused. */
  for (guint i = 0; i < 6; i++)
    {
      guint status = request_status (session, relay, "GET", "/metrics", NULL, NULL);

      if (status == 429)
        limited++;
      else
        g_assert_cmpuint (status, ==, 404);
    }
  g_assert_cmpuint (limited, >, 0);

  /* Refused requests count as requests too: the six above, all
   * answered with errors, and this scrape. */
  g_assert_cmpint (test_relay_metric (session, relay, "sotto_relay_http_requests_total"), ==, 7);
  g_assert_cmpint (test_relay_metric (session, relay, "sotto_relay_request_errors_total{class=\"4xx\"}"), ==, 6);
  g_assert_cmpint (test_relay_metric (session, relay, "sotto_relay_rate_limited_total"), ==, limited);
  text = test_relay_metrics_text (session, relay);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_nonnull (strstr (text, names[i]));

  /* The metrics address serves nothing else, WebSockets included. */
  reply = soup_session_send_and_read (session, health, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (health), ==, 404);
  auth = test_basic_auth ("03710702-0ea9-454d-ab87-34a69d1848ab", 1, "a-good-long-password");
  clients_ws_url = g_steal_pointer (&relay->ws_url);
  relay->ws_url = g_strdup_printf ("ws://127.0.0.1:%u/v1/websocket", relay->metrics_port);
  socket = test_socket_connect (session, relay, auth);
  g_assert_null (socket->connection);
  g_assert_nonnull (socket->error);
  g_free (relay->ws_url);
  relay->ws_url = g_steal_pointer (&clients_ws_url);

  g_clear_object (&session);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (dir);
}

/* Without --metrics-listen, no address serves them. */
static void
test_metrics_off (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autoptr(TestRelay) relay = test_relay_start_full (dir, test_relay_relaxed_conf, NULL, FALSE, NULL);
  g_autoptr(SoupSession) session = test_session_new ();
  g_autofree char *log = NULL;

  g_assert_cmpuint (relay->metrics_port, ==, 0);
  g_assert_cmpuint (request_status (session, relay, "GET", "/metrics", NULL, NULL), ==, 404);
  log = test_relay_read_log (relay);
  g_assert_nonnull (strstr (log, ", metrics off, "));

  g_clear_object (&session);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (dir);
}

static void
copy_file (const char *from,
           const char *to)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  g_file_get_contents (from, &contents, &length, &error);
  g_assert_no_error (error);
  g_file_set_contents (to, contents, (gssize) length, &error);
  g_assert_no_error (error);
}

/* Whether a fresh connection from `session` gets through TLS. */
static gboolean
tls_accepted (SoupSession *session,
              TestRelay   *relay)
{
  g_autofree char *url = g_strconcat (relay->base_url, "/v1/health", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = soup_session_send_and_read (session, message, NULL, &error);
  if (error != NULL)
    {
      g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
      return FALSE;
    }
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  return TRUE;
}

/* A renewed certificate (here from another CA, so that a client can
 * tell which one it got) is served to new connections after SIGHUP,
 * while a WebSocket opened before goes on delivering. */
static void
test_sighup_certificate (void)
{
  g_autoptr(TestTls) old_tls = test_tls_new ();
  g_autoptr(TestTls) new_tls = test_tls_new ();
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autofree char *live = g_dir_make_tmp ("sotto-live-tls-XXXXXX", NULL);
  g_autofree char *chain = g_build_filename (live, "chain.pem", NULL);
  g_autofree char *key = g_build_filename (live, "key.pem", NULL);
  const char *args[] = { "--tls-certificate", chain, "--tls-key", key, NULL };
  g_autoptr(TestRelay) relay = NULL;
  g_autoptr(SoupSession) old_session = test_session_new_trusting (old_tls->root);
  g_autoptr(SoupSession) new_session = test_session_new_trusting (new_tls->root);
  g_autoptr(SoupSession) later_old_session = test_session_new_trusting (old_tls->root);
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestAccount) bob = NULL;
  g_autoptr(TestSocket) socket = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *guid = NULL;
  JsonObject *envelope;

  copy_file (old_tls->chain, chain);
  copy_file (old_tls->key, key);
  relay = test_relay_start (dir, test_relay_relaxed_conf, args);
  alice = test_account_register (old_session, relay, "alice", 1);
  bob = test_account_register (old_session, relay, "bob", 1);
  socket = test_socket_connect (old_session, relay, bob->auth);
  test_socket_expect_drained (socket);
  g_assert_false (tls_accepted (new_session, relay));

  copy_file (new_tls->chain, chain);
  copy_file (new_tls->key, key);
  g_subprocess_send_signal (relay->process, SIGHUP);
  test_relay_wait_for_log (relay, "Reload: new connections get the TLS certificate");

  g_assert_true (tls_accepted (new_session, relay));
  g_assert_false (tls_accepted (later_old_session, relay));
  guid = test_send_envelope (new_session, relay, alice, bob, "AAEC");
  envelope = test_socket_expect_envelope (socket, &node);
  g_assert_cmpstr (json_object_get_string_member (envelope, "guid"), ==, guid);
  test_socket_ack (socket, guid);
  g_assert_false (socket->closed);

  g_clear_pointer (&socket, test_socket_free);
  g_clear_object (&old_session);
  g_clear_object (&new_session);
  g_clear_object (&later_old_session);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (dir);
  g_remove (chain);
  g_remove (key);
  g_rmdir (live);
}

/* SIGHUP rereads relay.conf's registration policy. */
static void
test_sighup_registration (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autofree char *open_conf = g_strconcat (test_relay_relaxed_conf, "[registration]\nmode=open\n", NULL);
  g_autofree char *invite_conf = g_strconcat (test_relay_relaxed_conf, "[registration]\nmode=invite\n", NULL);
  g_autoptr(TestRelay) relay = test_relay_start (dir, open_conf, NULL);
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestAccount) alice = test_account_register (session, relay, "alice", 1);
  g_autofree char *body = test_register_body ("bob", "a-good-long-password", 42, 1, NULL);
  g_autoptr(TestResponse) response = NULL;

  g_assert_true (g_uuid_string_is_valid (alice->uuid));
  write_conf (dir, invite_conf);
  g_subprocess_send_signal (relay->process, SIGHUP);
  test_relay_wait_for_log (relay, "Reload: rate limits and registration policy now registration=invite");
  response = test_request (session, relay, "POST", "/v1/accounts", NULL, body);
  g_assert_cmpuint (response->status, ==, 403);
  g_assert_cmpstr (test_response_error (response), ==, "registration-closed");

  g_clear_object (&session);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (dir);
}

/* SIGHUP keeps what each client has used of its limits: a reload hands
 * nobody a fresh burst. */
static void
test_sighup_keeps_buckets (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  const char *conf = "[rate-limits]\naccount-lookups=0.001/2\n";
  g_autoptr(TestRelay) relay = test_relay_start (dir, conf, NULL);
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestAccount) alice = test_account_register (session, relay, "alice", 1);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(TestResponse) response = test_request (session, relay, "GET", "/v1/accounts/username/alice",
                                                       alice->auth, NULL);

      g_assert_cmpuint (response->status, ==, i < 2 ? 200 : 429);
    }
  g_subprocess_send_signal (relay->process, SIGHUP);
  test_relay_wait_for_log (relay, "Reload: rate limits and registration policy now");
  {
    g_autoptr(TestResponse) response = test_request (session, relay, "GET", "/v1/accounts/username/alice",
                                                     alice->auth, NULL);

    g_assert_cmpuint (response->status, ==, 429);
  }

  g_clear_object (&session);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (dir);
}

/* What the relay writes is its own, even under a permissive umask. */
static void
test_private_files (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autoptr(TestRelay) relay = NULL;
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestAccount) alice = NULL;
  const char *names[] = { "relay.db", "relay.db-wal", "relay.db-shm", "password-digest.key" };
  mode_t old_umask = umask (0022);

  relay = test_relay_start (dir, NULL, NULL);
  umask (old_umask);
  alice = test_account_register (session, relay, "alice", 1);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);
      GStatBuf st;

      g_assert_cmpint (g_stat (path, &st), ==, 0);
      g_assert_cmpint (st.st_mode & 0077, ==, 0);
    }

  g_clear_object (&session);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (dir);
}

/* The key of the stored password digests is a file of its own: a relay
 * refuses to start on one that others may read or that is cut short,
 * and makes a new one when it is gone, after which a device's next login
 * costs a password check again, and the one after that no more. */
static void
test_digest_key_file (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autofree char *key = g_build_filename (dir, "password-digest.key", NULL);
  g_autoptr(TestRelay) relay = test_relay_start (dir, test_relay_relaxed_conf, NULL);
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestAccount) alice = test_account_register (session, relay, "alice", 1);
  const char *args[] = { "--listen", "127.0.0.1:0", "--data-dir", dir, NULL };
  g_autofree char *first_key = NULL;
  g_autofree char *second_key = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  g_clear_pointer (&relay, test_relay_free);
  g_file_get_contents (key, &first_key, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, ==, 32);

  g_assert_cmpint (g_chmod (key, 0640), ==, 0);
  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_assert_cmpint (test_relay_run (args, &out, &err), ==, 1);
    g_assert_nonnull (strstr (err, "must be readable by the relay's user alone"));
  }
  g_file_set_contents (key, "short", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (key, 0600), ==, 0);
  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_assert_cmpint (test_relay_run (args, &out, &err), ==, 1);
    g_assert_nonnull (strstr (err, "does not hold a key of 32 bytes"));
  }

  g_assert_cmpint (g_remove (key), ==, 0);
  relay = test_relay_start (dir, NULL, NULL);
  g_assert_cmpuint (test_whoami_status (session, relay, alice->auth), ==, 200);
  g_assert_cmpint (test_relay_metric (session, relay, "sotto_relay_password_checks_total"), ==, 1);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  g_clear_pointer (&relay, test_relay_free);
  relay = test_relay_start (dir, NULL, NULL);
  g_assert_cmpuint (test_whoami_status (session, relay, alice->auth), ==, 200);
  g_assert_cmpint (test_relay_metric (session, relay, "sotto_relay_password_checks_total"), ==, 0);
  g_file_get_contents (key, &second_key, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, ==, 32);
  g_assert_true (memcmp (first_key, second_key, 32) != 0);

  g_clear_object (&session);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (dir);
}

/* The secret comes from a file or the environment rather than the
 * command line, and never reaches the log. */
static void
test_registration_token_sources (void)
{
  const char *secret = "s3cret-from-a-file";
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autofree char *token_dir = g_dir_make_tmp ("sotto-token-XXXXXX", NULL);
  g_autofree char *token_file = g_build_filename (token_dir, "token", NULL);
  g_autofree char *mode = g_strconcat ("token-file:", token_file, NULL);
  const char *args[] = { "--registration", mode, NULL };
  g_autoptr(TestRelay) relay = NULL;
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *log = NULL;

  g_file_set_contents (token_file, "s3cret-from-a-file\n", -1, &error);
  g_assert_no_error (error);
  for (guint round = 0; round < 2; round++)
    {
      g_autofree char *refused = test_register_body ("refused", "a-good-long-password", 42, 1, "wrong");
      g_autofree char *name = g_strdup_printf ("welcome%u", round);
      g_autofree char *welcome = test_register_body (name, "a-good-long-password", 42, 1,
                                                     round == 0 ? secret : "s3cret-from-the-env");

      if (round == 0)
        relay = test_relay_start (dir, test_relay_relaxed_conf, args);
      else
        {
          const char *env[] = { "SOTTO_RELAY_REGISTRATION=token:s3cret-from-the-env", NULL };

          relay = test_relay_start_full (dir, test_relay_relaxed_conf, NULL, TRUE, env);
        }
      g_assert_cmpuint (request_status (session, relay, "POST", "/v1/accounts", NULL, refused), ==, 403);
      g_assert_cmpuint (request_status (session, relay, "POST", "/v1/accounts", NULL, welcome), ==, 200);
      g_assert_cmpint (test_relay_stop (relay), ==, 0);
      log = test_relay_read_log (relay);
      g_assert_nonnull (strstr (log, "registration token"));
      g_assert_null (strstr (log, "s3cret"));
      g_clear_pointer (&log, g_free);
      g_clear_pointer (&relay, test_relay_free);
    }

  g_clear_object (&session);
  test_relay_remove_data_dir (dir);
  g_remove (token_file);
  g_rmdir (token_dir);
}

/* The readiness protocol of sd_notify(3), read from a socket that
 * stands in for systemd. */
static char *
receive_notification (GSocket *socket)
{
  char buffer[512];
  g_autoptr(GError) error = NULL;
  gssize length = g_socket_receive (socket, buffer, sizeof buffer - 1, NULL, &error);

  g_assert_no_error (error);
  buffer[length] = '\0';
  return g_strdup (buffer);
}

static void
test_notify (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autofree char *socket_dir = g_dir_make_tmp ("sotto-notify-XXXXXX", NULL);
  g_autofree char *socket_path = g_build_filename (socket_dir, "notify", NULL);
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (socket_path);
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(TestRelay) relay = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ready = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *reloading = NULL;
  g_autofree char *ready_again = NULL;
  g_autofree char *stopping = NULL;
  g_autofree char *notify_socket = g_strconcat ("NOTIFY_SOCKET=", socket_path, NULL);
  const char *env[] = { notify_socket, NULL };

  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (socket, 30);

  relay = test_relay_start_full (dir, NULL, NULL, TRUE, (const char * const *) env);
  ready = receive_notification (socket);
  expected = g_strdup_printf ("READY=1\nSTATUS=Serving on 127.0.0.1:%u", relay->port);
  g_assert_cmpstr (ready, ==, expected);

  g_subprocess_send_signal (relay->process, SIGHUP);
  reloading = receive_notification (socket);
  g_assert_cmpstr (reloading, ==, "RELOADING=1");
  ready_again = receive_notification (socket);
  g_assert_cmpstr (ready_again, ==, "READY=1");

  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  stopping = receive_notification (socket);
  g_assert_cmpstr (stopping, ==, "STOPPING=1");

  test_relay_remove_data_dir (dir);
  g_remove (socket_path);
  g_rmdir (socket_dir);
}

/* With every debug message on, standard output still holds the ready
 * line and nothing else; failed logins are logged with account and
 * address, never with the password. */
static void
test_logs (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autoptr(TestRelay) relay = NULL;
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestSocket) socket = NULL;
  const char *env[] = { "G_MESSAGES_DEBUG=all", NULL };
  g_autofree char *wrong = NULL;
  g_autofree char *failed = NULL;
  g_autofree char *log = NULL;
  g_autoptr(GError) error = NULL;
  GInputStream *out;
  char buffer[4096];
  gssize length;

  relay = test_relay_start_full (dir, test_relay_relaxed_conf, NULL, TRUE, env);
  alice = test_account_register (session, relay, "alice", 1);
  wrong = test_basic_auth (alice->uuid, 1, "not-the-right-password");
  g_assert_cmpuint (request_status (session, relay, "GET", "/v1/accounts/me", wrong, NULL), ==, 401);
  socket = test_socket_connect (session, relay, wrong);
  g_assert_true (test_socket_wait_closed (socket, 30000));
  g_clear_pointer (&socket, test_socket_free);
  g_clear_object (&session);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);

  out = g_subprocess_get_stdout_pipe (relay->process);
  length = g_input_stream_read (out, buffer, sizeof buffer - 1, NULL, &error);
  g_assert_no_error (error);
  buffer[length] = '\0';
  g_assert_cmpstr (buffer, ==, "");

  log = test_relay_read_log (relay);
  /* Debug output went somewhere: to standard error. */
  g_assert_nonnull (strstr (log, "Registered an account"));
  failed = g_strdup_printf ("Failed login for account %s device 1 from 127.0.0.1", alice->uuid);
  g_assert_nonnull (strstr (log, failed));
  g_assert_nonnull (strstr (log, "Closing the WebSocket from 127.0.0.1: unauthorized"));
  g_assert_null (strstr (log, "not-the-right-password"));
  g_assert_null (strstr (log, alice->password));
  g_assert_nonnull (strstr (log, "sotto-relay " PACKAGE_VERSION " serving on 127.0.0.1:"));
  g_assert_nonnull (strstr (log, "registration open"));
  g_assert_nonnull (strstr (log, "Settings: registration=open max-header-bytes=4096"));

  test_relay_remove_data_dir (dir);
}

/* A certificate that expires within 14 days is warned about at start. */
static void
test_certificate_expiry (void)
{
  g_autoptr(TestTls) soon = test_tls_new_valid_for (3);
  g_autoptr(TestTls) later = test_tls_new ();
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autoptr(TestRelay) relay = NULL;
  g_autofree char *log = NULL;

  relay = test_relay_start_tls (dir, NULL, later);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  log = test_relay_read_log (relay);
  g_assert_null (strstr (log, "expires in"));
  g_clear_pointer (&log, g_free);
  g_clear_pointer (&relay, test_relay_free);

  relay = start_relay_with_warnings (dir, NULL,
                                     (const char *[]) { "--tls-certificate", soon->chain,
                                                        "--tls-key", soon->key, NULL });
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  log = test_relay_read_log (relay);
  g_assert_nonnull (strstr (log, "expires in "));

  test_relay_remove_data_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/relay/ops/outside-write", test_outside_write);
  g_test_add_func ("/relay/ops/health-unwritable", test_health_unwritable);
  g_test_add_func ("/relay/ops/directory-lock", test_directory_lock);
  g_test_add_func ("/relay/ops/version", test_version);
  g_test_add_func ("/relay/ops/check-config", test_check_config);
  g_test_add_func ("/relay/ops/metrics-address", test_metrics_address);
  g_test_add_func ("/relay/ops/metrics-off", test_metrics_off);
  g_test_add_func ("/relay/ops/sighup-certificate", test_sighup_certificate);
  g_test_add_func ("/relay/ops/sighup-registration", test_sighup_registration);
  g_test_add_func ("/relay/ops/sighup-keeps-buckets", test_sighup_keeps_buckets);
  g_test_add_func ("/relay/ops/private-files", test_private_files);
  g_test_add_func ("/relay/ops/digest-key-file", test_digest_key_file);
  g_test_add_func ("/relay/ops/registration-token-sources", test_registration_token_sources);
  g_test_add_func ("/relay/ops/notify", test_notify);
  g_test_add_func ("/relay/ops/logs", test_logs);
  g_test_add_func ("/relay/ops/certificate-expiry", test_certificate_expiry);

  return g_test_run ();
}
