/* relay-test-util.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Helpers for tests that drive a real sotto-relay process over loopback
 * with libsoup, the same client library Sotto itself uses.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/resource.h>
#include <string.h>
#include <unistd.h>

#include "dev-util.h"
#include "relay-test-util.h"

const char *test_relay_relaxed_conf =
  "[rate-limits]\n"
  "address-requests=100000/100000\n"
  "address-registrations=100000/100000\n"
  "address-auth-failures=100000/100000\n"
  "address-websockets=100000/100000\n"
  "account-sends=100000/100000\n"
  "account-lookups=100000/100000\n"
  "account-bundles=100000/100000\n"
  "account-key-uploads=100000/100000\n"
  "account-password-checks=100000/100000\n"
  "target-one-time-prekeys=100000/100000\n"
  "pair-one-time-prekeys=100000/100000\n"
  "pair-sends=100000/100000\n";

/* The relay under test: the one built here unless SOTTO_RELAY names
 * another. */
const char *
test_relay_binary (void)
{
  return g_getenv ("SOTTO_RELAY") != NULL ? g_getenv ("SOTTO_RELAY") : SOTTO_RELAY_PATH;
}

char *
test_relay_make_data_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("sotto-relay-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

/* Removes what a relay keeps in its data directory, its attachment
 * blobs included, and the directory, which must hold nothing else. */
void
test_relay_remove_data_dir (const char *dir)
{
  g_autofree char *blobs = g_build_filename (dir, "blobs", NULL);

  dev_remove_tree (blobs);
  const char *names[] = { "relay.db", "relay.db-wal", "relay.db-shm", "relay.conf", "relay.lock", "relay.log",
                          "password-digest.key" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);

      g_remove (path);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* The PostgreSQL server that build-aux/with-postgresql.sh started for
 * this test, or NULL when the relays under test keep their state in
 * SQLite. */
gboolean
test_relay_uses_postgresql (void)
{
  return g_getenv ("SOTTO_TEST_POSTGRESQL_HOST") != NULL;
}

/* Makes a database on the test's PostgreSQL server, unless it is there,
 * and returns its URL. */
char *
test_postgresql_database (const char *name)
{
  const char *host = g_getenv ("SOTTO_TEST_POSTGRESQL_HOST");
  const char *user = g_getenv ("SOTTO_TEST_POSTGRESQL_USER");
  const char *keywords[] = { "host", "user", "dbname", NULL };
  const char *values[] = { host, user, "postgres", NULL };
  const char *params[] = { name };
  PGconn *conn;
  PGresult *result;

  g_assert_nonnull (host);
  g_assert_nonnull (user);
  conn = PQconnectdbParams (keywords, values, 0);
  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  result = PQexecParams (conn, "SELECT 1 FROM pg_database WHERE datname = $1", 1, NULL, params, NULL, NULL, 0);
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_TUPLES_OK);
  if (PQntuples (result) == 0)
    {
      char *identifier = PQescapeIdentifier (conn, name, strlen (name));
      g_autofree char *sql = g_strdup_printf ("CREATE DATABASE %s", identifier);

      PQclear (result);
      PQfreemem (identifier);
      result = PQexec (conn, sql);
      g_assert_cmpstr (PQresultErrorMessage (result), ==, "");
    }
  PQclear (result);
  PQfinish (conn);
  return g_strdup_printf ("postgresql:///%s?host=%s&user=%s", name, host, user);
}

/* A relay on PostgreSQL keeps its state in a database named after its
 * data directory, so that a relay started again on the directory finds
 * it. */
char *
test_relay_data_dir_database (const char *data_dir)
{
  g_autofree char *name = g_path_get_basename (data_dir);

  return test_postgresql_database (name);
}

static void
relay_child_setup (gpointer user_data)
{
  const TestRelaySetup *setup = user_data;

  dev_die_with_parent (NULL);
  if (setup->descriptor_limit > 0)
    {
      struct rlimit limit = { setup->descriptor_limit, setup->descriptor_limit };

      setrlimit (RLIMIT_NOFILE, &limit);
    }
}

TestRelay *
test_relay_start (const char  *data_dir,
                  const char  *conf,
                  const char **extra_args)
{
  return test_relay_start_full (data_dir, conf, extra_args, TRUE, NULL);
}

/* With `metrics`, the relay serves metrics on a free port of its own.
 * `env` changes the relay's environment: "NAME=VALUE" sets a variable,
 * "NAME" alone removes it. */
TestRelay *
test_relay_start_full (const char         *data_dir,
                       const char         *conf,
                       const char        **extra_args,
                       gboolean            metrics,
                       const char * const *env)
{
  TestRelaySetup setup = { extra_args, metrics, env, 0, NULL };

  return test_relay_start_with (data_dir, conf, &setup);
}

TestRelay *
test_relay_start_with (const char           *data_dir,
                       const char           *conf,
                       const TestRelaySetup *setup)
{
  const char **extra_args = setup->extra_args;
  const char * const *env = setup->env;
  g_autofree char *database = NULL;
  gboolean metrics = setup->metrics;
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", setup->port);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  const char *binary = test_relay_binary ();
  TestRelay *relay = g_new0 (TestRelay, 1);
  gboolean tls = FALSE;
  g_autofree char *log = NULL;
  const char *colon;
  char *end;

  g_assert_nonnull (binary);
  relay->data_dir = g_strdup (data_dir);
  if (conf != NULL)
    {
      g_autofree char *path = g_build_filename (data_dir, "relay.conf", NULL);

      g_file_set_contents (path, conf, -1, &error);
      g_assert_no_error (error);
    }
  /* The launcher runs the child setup before the spawn returns. */
  g_subprocess_launcher_set_child_setup (launcher, relay_child_setup, (gpointer) setup, NULL);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto(GStrv) pair = g_strsplit (env[i], "=", 2);

      if (pair[1] != NULL)
        g_subprocess_launcher_setenv (launcher, pair[0], pair[1], TRUE);
      else
        g_subprocess_launcher_unsetenv (launcher, pair[0]);
    }
  /* The log is where the relay says where it serves metrics; it goes to
   * the test's own output when the relay is freed. */
  relay->log_path = g_build_filename (data_dir, "relay.log", NULL);
  g_subprocess_launcher_set_stderr_file_path (launcher, relay->log_path);
  g_ptr_array_add (argv, (gpointer) binary);
  g_ptr_array_add (argv, (gpointer) "--listen");
  g_ptr_array_add (argv, listen);
  g_ptr_array_add (argv, (gpointer) "--data-dir");
  g_ptr_array_add (argv, (gpointer) data_dir);
  if (setup->database != NULL)
    database = g_strdup (setup->database);
  else if (test_relay_uses_postgresql () && !setup->sqlite)
    database = test_relay_data_dir_database (data_dir);
  if (database != NULL)
    {
      g_ptr_array_add (argv, (gpointer) "--database");
      g_ptr_array_add (argv, database);
    }
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    {
      g_ptr_array_add (argv, (gpointer) extra_args[i]);
      tls = tls || g_str_equal (extra_args[i], "--tls-certificate");
    }
  if (metrics)
    {
      g_ptr_array_add (argv, (gpointer) "--metrics-listen");
      g_ptr_array_add (argv, (gpointer) "127.0.0.1:0");
    }
  g_ptr_array_add (argv, NULL);

  relay->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (relay->process));
  /* Tests read what else the relay prints there, which must be nothing. */
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (lines), FALSE);
  line = g_data_input_stream_read_line (lines, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "sotto-relay listening on 127.0.0.1:"));
  colon = strrchr (line, ':');
  relay->port = (guint) g_ascii_strtoull (colon + 1, &end, 10);
  g_assert_cmpuint (relay->port, >, 0);
  if (setup->port != 0)
    g_assert_cmpuint (relay->port, ==, setup->port);
  /* The ready line says whether the relay serves TLS, and only then. */
  relay->tls = g_str_equal (end, " with TLS");
  if (!relay->tls)
    g_assert_cmpstr (end, ==, "");
  g_assert_cmpint (relay->tls, ==, tls);
  relay->base_url = g_strdup_printf ("%s://127.0.0.1:%u", tls ? "https" : "http", relay->port);
  relay->ws_url = g_strdup_printf ("%s://127.0.0.1:%u/v1/websocket", tls ? "wss" : "ws", relay->port);
  /* The startup summary comes before the ready line. */
  log = test_relay_read_log (relay);
  if (strstr (log, "metrics on 127.0.0.1:") != NULL)
    relay->metrics_port = (guint) g_ascii_strtoull (strstr (log, "metrics on 127.0.0.1:") + strlen ("metrics on 127.0.0.1:"),
                                                    NULL, 10);
  relay->metrics_url = g_strdup_printf ("http://127.0.0.1:%u/metrics", relay->metrics_port);
  return relay;
}

/* What the relay has logged so far. */
char *
test_relay_read_log (TestRelay *relay)
{
  g_autoptr(GError) error = NULL;
  char *log = NULL;

  g_file_get_contents (relay->log_path, &log, NULL, &error);
  g_assert_no_error (error);
  return log;
}

/* Sets the account's unidentified-access key, base64 of 16 bytes. */
void
test_set_access_key (SoupSession *session,
                     TestRelay   *relay,
                     TestAccount *account,
                     const char  *key)
{
  g_autofree char *body = g_strdup_printf ("{\"unidentifiedAccessKey\":\"%s\"}", key);
  g_autoptr(TestResponse) response = test_request (session, relay, "PUT", "/v1/accounts/unidentified-access-key",
                                                   account->auth, body);

  g_assert_cmpuint (response->status, ==, 200);
}

/* The integer that `sql` reads from the fixture's relay database,
 * SQLite or PostgreSQL. */
gint64
test_fixture_query_int (TestFixture *fixture,
                        const char  *sql)
{
  g_autofree char *url = NULL;

  if (!test_relay_uses_postgresql ())
    return test_relay_query_int (fixture->dir, sql);
  url = test_relay_data_dir_database (fixture->dir);
  return test_postgresql_query_int (url, sql);
}

/* Waits, up to 20 seconds, for the relay to log `text`: what it logs
 * after a signal (a reload, a drain) comes when its loop gets to it. */
void
test_relay_wait_for_log (TestRelay  *relay,
                         const char *text)
{
  for (guint i = 0; i < 400; i++)
    {
      g_autofree char *log = test_relay_read_log (relay);

      if (strstr (log, text) != NULL)
        return;
      g_usleep (50 * 1000);
    }
  g_error ("the relay never logged “%s”", text);
}

TestRelay *
test_relay_start_tls (const char *data_dir,
                      const char *conf,
                      TestTls    *tls)
{
  const char *args[] = { "--tls-certificate", tls->chain, "--tls-key", tls->key, NULL };

  return test_relay_start (data_dir, conf, args);
}

/* Asks the relay to drain and waits; returns its exit status, or -1 if
 * it died of a signal (a sanitizer abort, for instance). */
int
test_relay_stop (TestRelay *relay)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (relay->process, SIGTERM);
  g_subprocess_wait (relay->process, NULL, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (relay->process))
    {
      g_test_message ("the relay died of signal %d", g_subprocess_get_term_sig (relay->process));
      return -1;
    }
  return g_subprocess_get_exit_status (relay->process);
}

void
test_relay_kill (TestRelay *relay)
{
  g_subprocess_force_exit (relay->process);
  g_subprocess_wait (relay->process, NULL, NULL);
}

/* Starts a relay that was killed again, on its port and data directory,
 * as its clients remember it. */
void
test_relay_restart (TestRelay *relay)
{
  TestRelaySetup setup = { .metrics = relay->metrics_port != 0, .port = relay->port };
  TestRelay *again;

  g_assert_false (relay->tls);
  g_clear_object (&relay->process);
  again = test_relay_start_with (relay->data_dir, NULL, &setup);
  relay->process = g_steal_pointer (&again->process);
  g_clear_pointer (&again->log_path, g_free);
  test_relay_free (again);
}

void
test_relay_free (TestRelay *relay)
{
  if (relay == NULL)
    return;
  /* A relay still running here belongs to a test that failed midway. */
  if (relay->process != NULL && g_subprocess_get_identifier (relay->process) != NULL)
    test_relay_kill (relay);
  g_clear_object (&relay->process);
  if (relay->log_path != NULL)
    {
      g_autofree char *log = NULL;

      /* Sanitizer reports land in the log too. */
      if (g_file_get_contents (relay->log_path, &log, NULL, NULL))
        g_printerr ("%s", log);
      g_free (relay->log_path);
    }
  g_free (relay->metrics_url);
  g_free (relay->data_dir);
  g_free (relay->base_url);
  g_free (relay->ws_url);
  g_free (relay);
}

void
test_fixture_setup (TestFixture   *fixture,
                    gconstpointer  conf)
{
  fixture->dir = test_relay_make_data_dir ();
  fixture->relay = test_relay_start (fixture->dir, conf != NULL ? conf : test_relay_relaxed_conf, NULL);
  fixture->session = test_session_new ();
}

void
test_fixture_teardown (TestFixture   *fixture,
                       gconstpointer  conf)
{
  g_clear_object (&fixture->session);
  g_assert_cmpint (test_relay_stop (fixture->relay), ==, 0);
  test_relay_free (fixture->relay);
  test_relay_remove_data_dir (fixture->dir);
  g_free (fixture->dir);
}

void
test_assert_key_counts (TestFixture *fixture,
                        TestAccount *account,
                        gint64       ec,
                        gint64       kyber)
{
  g_autoptr(TestResponse) response = test_request (fixture->session, fixture->relay, "GET", "/v1/keys",
                                                   account->auth, NULL);
  JsonObject *object;

  g_assert_cmpuint (response->status, ==, 200);
  object = test_response_object (response);
  g_assert_cmpint (json_object_get_int_member (object, "preKeyCount"), ==, ec);
  g_assert_cmpint (json_object_get_int_member (object, "pqPreKeyCount"), ==, kyber);
}

SoupSession *
test_session_new (void)
{
  /* Loopback needs no proxy, and asking libproxy throws C++ exceptions
   * that AddressSanitizer cannot follow. */
  return soup_session_new_with_options ("max-conns", 256, "max-conns-per-host", 256,
                                        "timeout", 30, "proxy-resolver", NULL, NULL);
}

/* A session that trusts the certificates `root` signed, and no others. */
SoupSession *
test_session_new_trusting (const char *root)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = g_tls_file_database_new (root, &error);
  SoupSession *session = test_session_new ();

  g_assert_no_error (error);
  soup_session_set_tls_database (session, database);
  return session;
}

/* Certificate extensions for the test material.  The server certificate
 * is an end entity for TLS servers at 127.0.0.1 and localhost, as a
 * public CA would issue it. */
static const char tls_config[] =
  "[req]\n"
  "distinguished_name = dn\n"
  "prompt = no\n"
  "[dn]\n"
  "CN = unused\n"
  "[root]\n"
  "basicConstraints = critical,CA:TRUE\n"
  "keyUsage = critical,keyCertSign,cRLSign\n"
  "subjectKeyIdentifier = hash\n"
  "[intermediate]\n"
  "basicConstraints = critical,CA:TRUE,pathlen:0\n"
  "keyUsage = critical,keyCertSign,cRLSign\n"
  "subjectKeyIdentifier = hash\n"
  "authorityKeyIdentifier = keyid\n"
  "[server]\n"
  "basicConstraints = critical,CA:FALSE\n"
  "keyUsage = critical,digitalSignature\n"
  "extendedKeyUsage = serverAuth\n"
  "subjectAltName = IP:127.0.0.1,DNS:localhost\n"
  "subjectKeyIdentifier = hash\n"
  "authorityKeyIdentifier = keyid\n";

static const char * const tls_files[] = {
  "openssl.cnf", "root.pem", "root.key", "intermediate.pem", "intermediate.key",
  "server.pem", "server.key", "server-encrypted.key", "chain.pem",
};

/* Runs the openssl tool in `dir` with the NULL-terminated arguments. */
static void
run_openssl (const char *dir,
             ...)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *errors = NULL;
  const char *arg;
  va_list args;

  /* Meson only registers the TLS tests when it found the tool. */
  g_assert_cmpstr (SOTTO_OPENSSL_PATH, !=, "");
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_cwd (launcher, dir);
  g_ptr_array_add (argv, (gpointer) SOTTO_OPENSSL_PATH);
  va_start (args, dir);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &errors, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (process))
    g_test_message ("openssl %s failed: %s", (const char *) argv->pdata[1], errors);
  g_assert_true (g_subprocess_get_successful (process));
}

static char *
tls_path (TestTls    *tls,
          const char *name)
{
  return g_build_filename (tls->dir, name, NULL);
}

/* Fresh keys for every test, valid for 90 days from now (the relay
 * warns about certificates that expire sooner than 14 days): nothing
 * secret or long-lived needs to live in the repository. */
TestTls *
test_tls_new (void)
{
  return test_tls_new_valid_for (90);
}

TestTls *
test_tls_new_valid_for (guint days)
{
  g_autofree char *days_text = g_strdup_printf ("%u", days);
  g_autoptr(GError) error = NULL;
  g_autofree char *config = NULL;
  g_autofree char *server = NULL;
  g_autofree char *intermediate = NULL;
  g_autofree char *server_pem = NULL;
  g_autofree char *intermediate_pem = NULL;
  g_autofree char *chain = NULL;
  TestTls *tls = g_new0 (TestTls, 1);

  tls->dir = g_dir_make_tmp ("sotto-tls-test-XXXXXX", &error);
  g_assert_no_error (error);
  config = tls_path (tls, "openssl.cnf");
  g_file_set_contents (config, tls_config, -1, &error);
  g_assert_no_error (error);

#define NEW_CERTIFICATE(section, name, subject) \
  "req", "-x509", "-config", "openssl.cnf", "-extensions", section, \
  "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", days_text, \
  "-keyout", name ".key", "-out", name ".pem", "-subj", subject
  run_openssl (tls->dir, NEW_CERTIFICATE ("root", "root", "/CN=Sotto test root"), NULL);
  run_openssl (tls->dir, NEW_CERTIFICATE ("intermediate", "intermediate", "/CN=Sotto test intermediate"),
               "-CA", "root.pem", "-CAkey", "root.key", NULL);
  run_openssl (tls->dir, NEW_CERTIFICATE ("server", "server", "/CN=localhost"),
               "-CA", "intermediate.pem", "-CAkey", "intermediate.key", NULL);
#undef NEW_CERTIFICATE
  run_openssl (tls->dir, "pkey", "-in", "server.key", "-aes256", "-passout", "pass:test-only",
               "-out", "server-encrypted.key", NULL);

  /* What a server hands out: its own certificate, then the ones between
   * it and the root, as in Let's Encrypt's fullchain.pem. */
  tls->root = tls_path (tls, "root.pem");
  tls->chain = tls_path (tls, "chain.pem");
  tls->key = tls_path (tls, "server.key");
  tls->other_key = tls_path (tls, "intermediate.key");
  tls->encrypted_key = tls_path (tls, "server-encrypted.key");
  server = tls_path (tls, "server.pem");
  intermediate = tls_path (tls, "intermediate.pem");
  g_file_get_contents (server, &server_pem, NULL, &error);
  g_assert_no_error (error);
  g_file_get_contents (intermediate, &intermediate_pem, NULL, &error);
  g_assert_no_error (error);
  chain = g_strconcat (server_pem, intermediate_pem, NULL);
  g_file_set_contents (tls->chain, chain, -1, &error);
  g_assert_no_error (error);
  return tls;
}

void
test_tls_free (TestTls *tls)
{
  if (tls == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (tls_files); i++)
    {
      g_autofree char *path = tls_path (tls, tls_files[i]);

      g_remove (path);
    }
  g_rmdir (tls->dir);
  g_free (tls->dir);
  g_free (tls->root);
  g_free (tls->chain);
  g_free (tls->key);
  g_free (tls->other_key);
  g_free (tls->encrypted_key);
  g_free (tls);
}

/* The text the relay serves on its metrics address. */
char *
test_relay_metrics_text (SoupSession *session,
                         TestRelay   *relay)
{
  g_autoptr(SoupMessage) message = soup_message_new ("GET", relay->metrics_url);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (relay->metrics_port, >, 0);
  reply = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  return g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
}

void
test_sqlite_exec (sqlite3    *db,
                  const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("SQLite: %s", message);
}

/* The first column of the first row of `sql` on DATA_DIR/relay.db, read
 * by a connection of the test's own. */
gint64
test_relay_query_int (const char *data_dir,
                      const char *sql)
{
  g_autofree char *path = g_build_filename (data_dir, "relay.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *s = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &s, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (s, 0);
  sqlite3_finalize (s);
  sqlite3_close (db);
  return value;
}

/* Runs pg_ctl on the test's PostgreSQL server, as the user the server
 * runs as (build-aux/with-postgresql.sh). */
static void
postgresql_ctl (const char *action)
{
  const char *host = g_getenv ("SOTTO_TEST_POSTGRESQL_HOST");
  g_autofree char *pg_ctl = g_build_filename (g_getenv ("SOTTO_TEST_POSTGRESQL_BINDIR"), "pg_ctl", NULL);
  g_autofree char *data = g_build_filename (host, "data", NULL);
  g_autofree char *log = g_build_filename (host, "server.log", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int status;

  if (geteuid () == 0)
    {
      g_ptr_array_add (argv, (gpointer) "runuser");
      g_ptr_array_add (argv, (gpointer) "-u");
      g_ptr_array_add (argv, (gpointer) "postgres");
      g_ptr_array_add (argv, (gpointer) "--");
    }
  g_ptr_array_add (argv, pg_ctl);
  g_ptr_array_add (argv, (gpointer) "-D");
  g_ptr_array_add (argv, data);
  g_ptr_array_add (argv, (gpointer) "-l");
  g_ptr_array_add (argv, log);
  g_ptr_array_add (argv, (gpointer) "-o");
  g_ptr_array_add (argv, (gpointer) g_getenv ("SOTTO_TEST_POSTGRESQL_OPTIONS"));
  g_ptr_array_add (argv, (gpointer) "-m");
  g_ptr_array_add (argv, (gpointer) "fast");
  g_ptr_array_add (argv, (gpointer) "-w");
  g_ptr_array_add (argv, (gpointer) "-s");
  g_ptr_array_add (argv, (gpointer) action);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

void
test_postgresql_server_stop (void)
{
  postgresql_ctl ("stop");
}

void
test_postgresql_server_start (void)
{
  postgresql_ctl ("start");
}

/* Runs SQL on a database of the test's PostgreSQL server and returns
 * the first column of its first row, or 0 when it returns none. */
gint64
test_postgresql_query_int (const char *url,
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

/* Runs sotto-relay with `args` to its end; gives its exit status and
 * what it printed. */
int
test_relay_run (const char * const  *args,
                char               **out,
                char               **err)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_set_child_setup (launcher, dev_die_with_parent, NULL, NULL);
  g_ptr_array_add (argv, (gpointer) test_relay_binary ());
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  if (err != NULL && *err != NULL && **err != '\0')
    g_test_message ("sotto-relay said: %s", *err);
  /* Exited, so not killed by a crash or a sanitizer. */
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

guint
test_whoami_status (SoupSession *session,
                    TestRelay   *relay,
                    const char  *auth)
{
  g_autoptr(TestResponse) response = test_request (session, relay, "GET", "/v1/accounts/me", auth, NULL);

  return response->status;
}

gint64
test_relay_metric (SoupSession *session,
                   TestRelay   *relay,
                   const char  *name)
{
  g_autofree char *text = test_relay_metrics_text (session, relay);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], name) && lines[i][strlen (name)] == ' ')
      return g_ascii_strtoll (lines[i] + strlen (name) + 1, NULL, 10);
  g_assert_not_reached ();
}

void
test_response_free (TestResponse *response)
{
  if (response == NULL)
    return;
  g_free (response->body);
  g_clear_pointer (&response->json, json_node_unref);
  g_free (response);
}

SoupMessage *
test_message_new (TestRelay  *relay,
                  const char *method,
                  const char *path,
                  const char *auth,
                  const char *body)
{
  g_autofree char *url = g_strconcat (relay->base_url, path, NULL);
  SoupMessage *message = soup_message_new (method, url);

  g_assert_nonnull (message);
  if (auth != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", auth);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }
  return message;
}

TestResponse *
test_request (SoupSession *session,
              TestRelay   *relay,
              const char  *method,
              const char  *path,
              const char  *auth,
              const char  *body)
{
  g_autoptr(SoupMessage) message = test_message_new (relay, method, path, auth, body);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;
  TestResponse *response = g_new0 (TestResponse, 1);
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size;
  const char *data;

  reply = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);
  response->status = soup_message_get_status (message);
  data = g_bytes_get_data (reply, &size);
  response->body = g_strndup (data, size);
  if (size > 0 && json_parser_load_from_data (parser, response->body, (gssize) size, NULL))
    response->json = json_node_copy (json_parser_get_root (parser));
  return response;
}

JsonObject *
test_response_object (TestResponse *response)
{
  g_assert_nonnull (response->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (response->json));
  return json_node_get_object (response->json);
}

const char *
test_response_error (TestResponse *response)
{
  JsonObject *object = test_response_object (response);

  g_assert_true (json_object_has_member (object, "message"));
  return json_object_get_string_member (object, "error");
}

char *
test_random_base64 (gsize length,
                    int   first_byte)
{
  g_autofree guint8 *data = g_malloc (length);

  for (gsize i = 0; i < length; i++)
    data[i] = (guint8) g_random_int_range (0, 256);
  if (first_byte >= 0)
    data[0] = (guint8) first_byte;
  return g_base64_encode (data, length);
}

static void
append_prekey (GString  *out,
               guint     id,
               gboolean  kyber,
               gboolean  signature)
{
  g_autofree char *key = kyber ? test_random_base64 (1569, 0x08) : test_random_base64 (33, 0x05);

  g_string_append_printf (out, "{\"keyId\":%u,\"publicKey\":\"%s\"", id, key);
  if (signature)
    {
      g_autofree char *sig = test_random_base64 (64, -1);

      g_string_append_printf (out, ",\"signature\":\"%s\"", sig);
    }
  g_string_append_c (out, '}');
}

char *
test_prekeys_json (guint    first_id,
                   guint    count,
                   gboolean kyber)
{
  GString *out = g_string_new ("[");

  for (guint i = 0; i < count; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      append_prekey (out, first_id + i, kyber, kyber);
    }
  g_string_append_c (out, ']');
  return g_string_free (out, FALSE);
}

char *
test_register_body (const char *username,
                    const char *password,
                    guint       registration_id,
                    guint       n_prekeys,
                    const char *token)
{
  GString *out = g_string_new (NULL);
  g_autofree char *identity = test_random_base64 (33, 0x05);
  g_autofree char *prekeys = test_prekeys_json (1, n_prekeys, FALSE);
  g_autofree char *pq_prekeys = test_prekeys_json (1, n_prekeys, TRUE);

  g_string_append_printf (out, "{\"username\":\"%s\",\"password\":\"%s\",\"registrationId\":%u,"
                          "\"identityKey\":\"%s\",\"signedPreKey\":",
                          username, password, registration_id, identity);
  append_prekey (out, 1, FALSE, TRUE);
  g_string_append (out, ",\"pqLastResortPreKey\":");
  append_prekey (out, 1000, TRUE, TRUE);
  g_string_append_printf (out, ",\"preKeys\":%s,\"pqPreKeys\":%s", prekeys, pq_prekeys);
  if (token != NULL)
    g_string_append_printf (out, ",\"registrationToken\":\"%s\"", token);
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

char *
test_basic_auth (const char *uuid,
                 guint       device,
                 const char *password)
{
  g_autofree char *plain = g_strdup_printf ("%s.%u:%s", uuid, device, password);
  g_autofree char *encoded = g_base64_encode ((const guchar *) plain, strlen (plain));

  return g_strconcat ("Basic ", encoded, NULL);
}

TestAccount *
test_account_register (SoupSession *session,
                       TestRelay   *relay,
                       const char  *username,
                       guint        n_prekeys)
{
  TestAccount *account = g_new0 (TestAccount, 1);
  g_autofree char *body = NULL;
  g_autoptr(TestResponse) response = NULL;
  JsonObject *object;

  account->username = g_strdup (username);
  account->password = g_strdup_printf ("password-%08x%08x", g_random_int (), g_random_int ());
  account->registration_id = (guint) g_random_int_range (1, 16381);
  body = test_register_body (username, account->password, account->registration_id, n_prekeys, NULL);
  response = test_request (session, relay, "POST", "/v1/accounts", NULL, body);
  if (response->status != 200)
    g_test_message ("registration answered: %s", response->body);
  g_assert_cmpuint (response->status, ==, 200);
  object = test_response_object (response);
  account->uuid = g_strdup (json_object_get_string_member (object, "uuid"));
  g_assert_cmpint (json_object_get_int_member (object, "deviceId"), ==, 1);
  account->auth = test_basic_auth (account->uuid, 1, account->password);
  return account;
}

/* An account that a test's data already holds, by its device 1. */
TestAccount *
test_account_for (const char *uuid,
                  const char *password,
                  guint       registration_id)
{
  TestAccount *account = g_new0 (TestAccount, 1);

  account->uuid = g_strdup (uuid);
  account->password = g_strdup (password);
  account->registration_id = registration_id;
  account->auth = test_basic_auth (uuid, 1, password);
  return account;
}

void
test_account_free (TestAccount *account)
{
  if (account == NULL)
    return;
  g_free (account->username);
  g_free (account->uuid);
  g_free (account->password);
  g_free (account->auth);
  g_free (account);
}

char *
test_send_body (guint       device_id,
                guint       registration_id,
                const char *content_base64)
{
  return g_strdup_printf ("{\"timestamp\":%" G_GINT64_FORMAT ",\"messages\":[{\"type\":1,"
                          "\"destinationDeviceId\":%u,\"destinationRegistrationId\":%u,"
                          "\"content\":\"%s\"}]}",
                          g_get_real_time () / 1000, device_id, registration_id, content_base64);
}

/* WebSocket helpers: they spin the thread-default main context until
 * the awaited event happens or a deadline passes. */

static void
socket_message_cb (SoupWebsocketConnection *connection,
                   int                      type,
                   GBytes                  *message,
                   gpointer                 user_data)
{
  TestSocket *socket = user_data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size;
  const char *data = g_bytes_get_data (message, &size);

  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  g_assert_true (json_parser_load_from_data (parser, data, (gssize) size, NULL));
  g_queue_push_tail (&socket->messages, json_node_copy (json_parser_get_root (parser)));
}

static void
socket_closed_cb (SoupWebsocketConnection *connection,
                  gpointer                 user_data)
{
  TestSocket *socket = user_data;

  socket->closed = TRUE;
  socket->close_code = soup_websocket_connection_get_close_code (connection);
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  TestSocket *socket = user_data;

  socket->connection = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
                                                              &socket->error);
  if (socket->error != NULL)
    socket->closed = TRUE;
}

static gboolean
deadline_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

TestSocket *
test_socket_connect (SoupSession *session,
                     TestRelay   *relay,
                     const char  *auth)
{
  g_autoptr(SoupMessage) message = soup_message_new ("GET", relay->ws_url);
  TestSocket *socket = g_new0 (TestSocket, 1);

  g_queue_init (&socket->messages);
  if (auth != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", auth);
  soup_session_websocket_connect_async (session, message, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        connected_cb, socket);
  while (socket->connection == NULL && socket->error == NULL)
    g_main_context_iteration (NULL, TRUE);
  if (socket->connection != NULL)
    {
      g_signal_connect (socket->connection, "message", G_CALLBACK (socket_message_cb), socket);
      g_signal_connect (socket->connection, "closed", G_CALLBACK (socket_closed_cb), socket);
    }
  return socket;
}

JsonNode *
test_socket_next (TestSocket *socket,
                  guint       timeout_ms)
{
  gboolean expired = FALSE;
  guint source = g_timeout_add (timeout_ms, deadline_cb, &expired);

  while (g_queue_is_empty (&socket->messages) && !socket->closed && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (source);
  return g_queue_pop_head (&socket->messages);
}

char *
test_send_envelope (SoupSession *session,
                    TestRelay   *relay,
                    TestAccount *from,
                    TestAccount *to,
                    const char  *content)
{
  g_autofree char *path = g_strdup_printf ("/v1/messages/%s", to->uuid);
  g_autofree char *body = test_send_body (1, to->registration_id, content);
  g_autoptr(TestResponse) response = test_request (session, relay, "PUT", path, from->auth, body);
  JsonArray *messages;

  g_assert_cmpuint (response->status, ==, 200);
  messages = json_object_get_array_member (test_response_object (response), "messages");
  return g_strdup (json_object_get_string_member (json_array_get_object_element (messages, 0), "guid"));
}

JsonObject *
test_socket_expect_envelope (TestSocket  *socket,
                             JsonNode   **holder)
{
  JsonObject *object;

  *holder = test_socket_next (socket, 5000);
  g_assert_nonnull (*holder);
  object = json_node_get_object (*holder);
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "envelope");
  return object;
}

void
test_socket_expect_drained (TestSocket *socket)
{
  g_autoptr(JsonNode) node = test_socket_next (socket, 5000);

  g_assert_nonnull (node);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "type"), ==, "queue-empty");
}

void
test_socket_ack (TestSocket *socket,
                 const char *guid)
{
  g_autofree char *text = g_strdup_printf ("{\"type\":\"ack\",\"guid\":\"%s\"}", guid);

  soup_websocket_connection_send_text (socket->connection, text);
}

gboolean
test_socket_wait_closed (TestSocket *socket,
                         guint       timeout_ms)
{
  gboolean expired = FALSE;
  guint source = g_timeout_add (timeout_ms, deadline_cb, &expired);

  while (!socket->closed && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (source);
  return socket->closed;
}

void
test_socket_free (TestSocket *socket)
{
  if (socket == NULL)
    return;
  if (socket->connection != NULL)
    {
      g_signal_handlers_disconnect_by_data (socket->connection, socket);
      if (soup_websocket_connection_get_state (socket->connection) == SOUP_WEBSOCKET_STATE_OPEN)
        {
          gboolean expired = FALSE;
          guint source = g_timeout_add (5000, deadline_cb, &expired);

          soup_websocket_connection_close (socket->connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
          while (soup_websocket_connection_get_state (socket->connection) != SOUP_WEBSOCKET_STATE_CLOSED &&
                 !expired)
            g_main_context_iteration (NULL, TRUE);
          if (!expired)
            g_source_remove (source);
        }
      g_clear_object (&socket->connection);
    }
  g_queue_clear_full (&socket->messages, (GDestroyNotify) json_node_unref);
  g_clear_error (&socket->error);
  g_free (socket);
}
