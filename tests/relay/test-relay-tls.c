/* test-relay-tls.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * sotto-relay serving HTTPS and WSS itself, as docs/deploy.md
 * recommends, with a certificate chain made for each test: what works
 * over TLS, what a client without TLS or without trust gets, and how
 * the relay refuses certificate and key files it cannot serve with.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "relay-test-util.h"

typedef struct
{
  char        *dir;
  TestTls     *tls;
  TestRelay   *relay;
  SoupSession *session;   /* trusts the test root */
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->dir = test_relay_make_data_dir ();
  fixture->tls = test_tls_new ();
  fixture->relay = test_relay_start_tls (fixture->dir, test_relay_relaxed_conf, fixture->tls);
  fixture->session = test_session_new_trusting (fixture->tls->root);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_object (&fixture->session);
  /* A clean exit shows that the relay drains TLS connections too and,
   * under the sanitizers, that serving TLS leaked nothing. */
  g_assert_cmpint (test_relay_stop (fixture->relay), ==, 0);
  test_relay_free (fixture->relay);
  test_relay_remove_data_dir (fixture->dir);
  g_free (fixture->dir);
  test_tls_free (fixture->tls);
}

static void
assert_healthy (SoupSession *session,
                TestRelay   *relay)
{
  g_autoptr(TestResponse) response = test_request (session, relay, "GET", "/v1/health", NULL, NULL);

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (test_response_object (response), "status"), ==, "ok");
}

static void
test_health (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *url = g_strconcat (fixture->relay->base_url, "/v1/health", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *issuer_name = NULL;
  GTlsCertificate *peer;
  GTlsCertificate *issuer;

  g_assert_true (g_str_has_prefix (fixture->relay->base_url, "https://"));
  g_assert_true (g_str_has_prefix (fixture->relay->ws_url, "wss://"));

  body = soup_session_send_and_read (fixture->session, message, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, 200);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), "{\"status\":\"ok\"}", 15);

  /* The relay hands out the whole chain, its certificate and then the
   * intermediate: clients trust only the root. */
  g_assert_cmpint (soup_message_get_tls_peer_certificate_errors (message), ==, 0);
  peer = soup_message_get_tls_peer_certificate (message);
  g_assert_nonnull (peer);
  issuer = g_tls_certificate_get_issuer (peer);
  g_assert_nonnull (issuer);
  issuer_name = g_tls_certificate_get_subject_name (issuer);
  g_assert_cmpstr (issuer_name, ==, "CN=Sotto test intermediate");
  g_assert_cmpint (soup_message_get_tls_protocol_version (message), >=, G_TLS_PROTOCOL_VERSION_TLS_1_2);
}

static void
expect_envelope (TestSocket  *socket,
                 TestAccount *from,
                 const char  *guid,
                 const char  *content)
{
  g_autoptr(JsonNode) node = test_socket_next (socket, 10000);
  JsonObject *object;

  g_assert_nonnull (node);
  object = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "envelope");
  g_assert_cmpstr (json_object_get_string_member (object, "guid"), ==, guid);
  g_assert_cmpstr (json_object_get_string_member (object, "source"), ==, from->uuid);
  g_assert_cmpstr (json_object_get_string_member (object, "content"), ==, content);
}

/* The whole path of a message over TLS: registration, a send, delivery
 * on the authenticated WSS socket, and the acknowledgement. */
static void
test_messages (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 2);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 2);
  g_autoptr(GPtrArray) guids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) contents = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *first_content = test_random_base64 (100, -1);
  g_autofree char *first = test_send_envelope (fixture->session, fixture->relay, alice, bob, first_content);
  g_autoptr(TestSocket) socket = NULL;
  g_autoptr(JsonNode) nothing = NULL;

  /* Queued while Bob was away, delivered once he connects. */
  socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  g_assert_no_error (socket->error);
  g_assert_nonnull (socket->connection);
  expect_envelope (socket, alice, first, first_content);
  test_socket_ack (socket, first);
  test_socket_expect_drained (socket);

  /* Pushed while he is connected.  Each of these frames spans several
   * TLS records (at most 16 KiB each) and stays under the 128 KiB that
   * libsoup accepts by default. */
  for (guint i = 0; i < 8; i++)
    {
      g_ptr_array_add (contents, test_random_base64 (64 * 1024, -1));
      g_ptr_array_add (guids, test_send_envelope (fixture->session, fixture->relay, alice, bob, g_ptr_array_index (contents, i)));
    }
  for (guint i = 0; i < guids->len; i++)
    {
      expect_envelope (socket, alice, g_ptr_array_index (guids, i), g_ptr_array_index (contents, i));
      test_socket_ack (socket, g_ptr_array_index (guids, i));
    }
  g_clear_pointer (&socket, test_socket_free);

  /* Every acknowledgement arrived: a new socket finds the queue empty. */
  socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  g_assert_no_error (socket->error);
  test_socket_expect_drained (socket);
  nothing = test_socket_next (socket, 300);
  g_assert_null (nothing);

  /* Without credentials the WSS socket is refused like the WS one. */
  {
    g_autoptr(TestSocket) anonymous = test_socket_connect (fixture->session, fixture->relay, NULL);

    g_assert_null (anonymous->connection);
    g_assert_nonnull (anonymous->error);
  }
}

/* Plain HTTP on the TLS port gets no HTTP answer: the relay drops the
 * connection at once rather than letting it wait for a timeout. */
static void
test_plain_http (Fixture       *fixture,
                 gconstpointer  data)
{
  static const char request[] = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) received = g_string_new (NULL);
  g_autoptr(SoupSession) plain = test_session_new ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/v1/health", fixture->relay->port);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;
  GInputStream *input;

  /* Shorter than the relay's own 20 s idle timeout.  No proxy, for the
   * reason test_session_new() gives. */
  g_socket_client_set_timeout (client, 10);
  g_socket_client_set_enable_proxy (client, FALSE);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) fixture->relay->port,
                                                NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request,
                             strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  for (;;)
    {
      char buffer[1024];
      gssize n = g_input_stream_read (input, buffer, sizeof buffer, NULL, &error);

      if (n <= 0)
        break;
      g_string_append_len (received, buffer, n);
    }
  /* Closed (an end of stream or a reset), not left hanging. */
  if (error != NULL)
    g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  g_assert_false (g_str_has_prefix (received->str, "HTTP/"));
  g_clear_error (&error);
  g_clear_object (&connection);

  /* libsoup speaking http:// to it fails the same way. */
  body = soup_session_send_and_read (plain, message, NULL, &error);
  g_assert_nonnull (error);
  g_assert_null (body);
  g_assert_cmpuint (soup_message_get_status (message), ==, SOUP_STATUS_NONE);

  assert_healthy (fixture->session, fixture->relay);
}

/* A client that does not trust the chain's root fails the handshake,
 * and the relay goes on serving those who do. */
static void
test_untrusted (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(SoupSession) untrusting = test_session_new ();
  g_autofree char *url = g_strconcat (fixture->relay->base_url, "/v1/health", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSocket) socket = NULL;

  /* The system's trust store knows nothing of the test root. */
  body = soup_session_send_and_read (untrusting, message, NULL, &error);
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_null (body);
  g_assert_cmpint (soup_message_get_tls_peer_certificate_errors (message) & G_TLS_CERTIFICATE_UNKNOWN_CA, !=, 0);

  socket = test_socket_connect (untrusting, fixture->relay, NULL);
  g_assert_null (socket->connection);
  g_assert_error (socket->error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);

  assert_healthy (fixture->session, fixture->relay);
}

/* Runs sotto-relay with `args` after the usual ones, expecting it to
 * refuse to start: it must exit with status 1, print no ready line, and
 * say on standard error what is wrong, in words that contain `message`
 * (and `path` when not NULL). */
static void
expect_refusal (const char  *data_dir,
                guint        port,
                const char **args,
                const char  *message,
                const char  *path)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_ptr_array_add (argv, (gpointer) test_relay_binary ());
  g_ptr_array_add (argv, (gpointer) "--listen");
  g_ptr_array_add (argv, listen);
  g_ptr_array_add (argv, (gpointer) "--data-dir");
  g_ptr_array_add (argv, (gpointer) data_dir);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_test_message ("sotto-relay said: %s", err);
  /* Exited, so not killed by a crash or a sanitizer. */
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 1);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, message));
  if (path != NULL)
    g_assert_nonnull (strstr (err, path));
}

static void
test_bad_files (void)
{
  g_autoptr(TestTls) tls = test_tls_new ();
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autofree char *missing = g_build_filename (tls->dir, "missing.pem", NULL);
  g_autofree char *garbage = g_build_filename (tls->dir, "garbage.pem", NULL);
  g_autofree char *database = g_build_filename (dir, "relay.db", NULL);
  g_autoptr(GError) error = NULL;
  struct
  {
    const char *certificate;
    const char *key;
    const char *message;
    const char *path;
  } cases[] = {
    { missing, tls->key, "Cannot read the TLS certificate", missing },
    { tls->chain, missing, "Cannot read the TLS key", missing },
    { tls->dir, tls->key, "is not a regular file", tls->dir },
    { tls->chain, tls->dir, "is not a regular file", tls->dir },
    { garbage, tls->key, "holds no PEM certificate chain", garbage },
    { tls->key, tls->chain, "holds no PEM certificate chain", tls->key },
    { tls->chain, garbage, "holds no unencrypted PEM private key", garbage },
    { tls->chain, tls->chain, "holds no unencrypted PEM private key", tls->chain },
    { tls->chain, tls->encrypted_key, "holds no unencrypted PEM private key", tls->encrypted_key },
    { tls->chain, tls->other_key, "does not belong to the certificate", tls->other_key },
  };

  g_file_set_contents (garbage, "-----BEGIN NOTHING-----\nnot a certificate\n", -1, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *args[] = { "--tls-certificate", cases[i].certificate, "--tls-key", cases[i].key, NULL };

      expect_refusal (dir, 0, args, cases[i].message, cases[i].path);
    }

  /* Permissions do not stop root, who runs these tests in containers. */
  if (geteuid () != 0)
    {
      const char *args[] = { "--tls-certificate", tls->chain, "--tls-key", garbage, NULL };

      g_assert_cmpint (g_chmod (garbage, 0), ==, 0);
      expect_refusal (dir, 0, args, "Permission denied", garbage);
    }

  /* The relay stopped before it opened its storage. */
  g_assert_false (g_file_test (database, G_FILE_TEST_EXISTS));
  g_remove (garbage);
  test_relay_remove_data_dir (dir);
}

/* A port in use stops the relay with a message, with or without TLS,
 * and the relay on that port goes on serving. */
static void
test_port_in_use (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  const char *plain[] = { NULL };
  const char *tls[] = { "--tls-certificate", fixture->tls->chain, "--tls-key", fixture->tls->key, NULL };
  g_autofree char *where = g_strdup_printf ("Cannot listen on 127.0.0.1:%u", fixture->relay->port);

  expect_refusal (dir, fixture->relay->port, plain, where, NULL);
  expect_refusal (dir, fixture->relay->port, tls, where, NULL);
  test_relay_remove_data_dir (dir);

  assert_healthy (fixture->session, fixture->relay);
}

/* A metrics port in use stops the relay too, with or without TLS: it
 * fails once the server's context is made and its clients' port is
 * open, and the relay must still take all of that down and exit at
 * once, not wait on its loop. */
static void
test_metrics_port_in_use (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autofree char *metrics = g_strdup_printf ("127.0.0.1:%u", fixture->relay->port);
  const char *plain[] = { "--metrics-listen", metrics, NULL };
  const char *tls[] = { "--metrics-listen", metrics, "--tls-certificate", fixture->tls->chain,
                        "--tls-key", fixture->tls->key, NULL };
  g_autofree char *where = g_strdup_printf ("Cannot serve metrics on %s", metrics);

  expect_refusal (dir, 0, plain, where, NULL);
  expect_refusal (dir, 0, tls, where, NULL);
  test_relay_remove_data_dir (dir);

  assert_healthy (fixture->session, fixture->relay);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/relay/tls/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("health", test_health);
  ADD ("messages", test_messages);
  ADD ("plain-http", test_plain_http);
  ADD ("untrusted", test_untrusted);
  g_test_add_func ("/relay/tls/bad-files", test_bad_files);
  ADD ("port-in-use", test_port_in_use);
  ADD ("metrics-port-in-use", test_metrics_port_in_use);

#undef ADD

  return g_test_run ();
}
