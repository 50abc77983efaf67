/* test-relay-client-slow.c: blob transfers from a relay that trickles
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libsoup's timeout bounds each read, not a whole transfer: a hostile
 * relay that answers a blob download with its headers and then one byte
 * now and then would hold the download open for ever.  A tiny HTTP
 * server on loopback does that here, and the download must fail with
 * the relay client's "too slow" error, long before the blob has come.
 * An upload to a server that takes a byte now and then fails the same
 * way.  A download from a real sotto-relay, under the same shortened
 * bound, still succeeds.
 */

#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include <gio/gio.h>

#include "sotto-relay-client-blob-private.h"

#include "engine-test-util.h"
#include "relay-test-util.h"

/* The bound, shortened for the test: 1 KiB/s over a fifth of a second,
 * against a server that sends a byte every 20 ms (50 bytes a second),
 * or takes 16 (800 bytes a second). */
#define WINDOW_MS        200
#define MIN_RATE         1024
#define TRICKLE_MS       20
#define TAKE_BYTES       16
#define BLOB_SIZE        (1024 * 1024)
/* More than the client's socket can hold, which is at most 4 MiB. */
#define UPLOAD_SIZE      (16 * 1024 * 1024)
#define BLOB_ID          "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A server that answers a download with the headers of a blob of
 * BLOB_SIZE bytes, then trickles its bytes; or, when @reads, takes an
 * upload's bytes one at a time, through a receive buffer kept small so
 * that the client's writes wait for it. */
typedef struct
{
  GSocketService    *service;
  char              *url;
  gboolean           reads;
  GSocketConnection *connection;
  guint              trickle_source;
  guint64            sent;
  guint64            received;
  char               request[4096];
} Trickler;

static gboolean
take_cb (gpointer user_data)
{
  Trickler *trickler = user_data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (trickler->connection));
  g_autoptr(GError) error = NULL;
  char bytes[TAKE_BYTES];
  gssize n;

  n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (in), bytes, sizeof bytes, NULL, &error);
  if (n > 0)
    trickler->received += n;
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    {
      /* The client has hung up, as it should. */
      trickler->trickle_source = 0;
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static gboolean
trickle_cb (gpointer user_data)
{
  Trickler *trickler = user_data;
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (trickler->connection));

  /* The client has hung up, as it should. */
  if (g_output_stream_write (out, "x", 1, NULL, NULL) != 1)
    {
      trickler->trickle_source = 0;
      return G_SOURCE_REMOVE;
    }
  trickler->sent++;

  return G_SOURCE_CONTINUE;
}

static void
request_read_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Trickler *trickler = user_data;
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (trickler->connection));
  g_autofree char *headers = NULL;

  g_assert_cmpint (g_input_stream_read_finish (G_INPUT_STREAM (object), result, NULL), >, 0);
  if (trickler->reads)
    {
      g_assert_true (g_str_has_prefix (trickler->request, "PUT /v1/attachments/" BLOB_ID " "));
      trickler->trickle_source = g_timeout_add (TRICKLE_MS, take_cb, trickler);
      return;
    }
  g_assert_true (g_str_has_prefix (trickler->request, "GET /v1/attachments/" BLOB_ID " "));

  headers = g_strdup_printf ("HTTP/1.1 200 OK\r\n"
                             "Content-Type: application/octet-stream\r\n"
                             "Content-Length: %d\r\n\r\n", BLOB_SIZE);
  g_assert_true (g_output_stream_write_all (out, headers, strlen (headers), NULL, NULL, NULL));
  trickler->trickle_source = g_timeout_add (TRICKLE_MS, trickle_cb, trickler);
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             gpointer           user_data)
{
  Trickler *trickler = user_data;

  g_assert_null (trickler->connection);
  trickler->connection = g_object_ref (connection);
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                             trickler->request, sizeof trickler->request - 1,
                             G_PRIORITY_DEFAULT, NULL, request_read_cb, trickler);

  return TRUE;
}

static Trickler *
trickler_new (gboolean reads)
{
  Trickler *trickler = g_new0 (Trickler, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;

  /* The receive buffer is set before listening, for the connections
   * accepted to start with a small window. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, 4096, &error));
  g_assert_true (g_socket_bind (socket, address, TRUE, &error));
  g_assert_true (g_socket_listen (socket, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);

  trickler->reads = reads;
  trickler->service = g_socket_service_new ();
  g_socket_listener_add_socket (G_SOCKET_LISTENER (trickler->service), socket, NULL, &error);
  g_assert_no_error (error);
  trickler->url = g_strdup_printf ("http://127.0.0.1:%u",
                                   g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_signal_connect (trickler->service, "incoming", G_CALLBACK (incoming_cb), trickler);
  g_socket_service_start (trickler->service);

  return trickler;
}

static void
trickler_free (Trickler *trickler)
{
  g_socket_service_stop (trickler->service);
  g_clear_handle_id (&trickler->trickle_source, g_source_remove);
  g_clear_object (&trickler->connection);
  g_clear_object (&trickler->service);
  g_free (trickler->url);
  g_free (trickler);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Trickler, trickler_free)

static gboolean
download (SottoRelayClient  *client,
          const char        *id,
          guint64            size,
          GOutputStream     *out,
          GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  _sotto_relay_client_download_async (client, id, size, out, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);

  return _sotto_relay_client_download_finish (client, result, error);
}

static void
test_trickled_download (void)
{
  g_autoptr(Trickler) trickler = trickler_new (FALSE);
  g_autoptr(SottoRelayClient) client = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;

  client = sotto_relay_client_new (trickler->url, &error);
  g_assert_no_error (error);
  sotto_relay_client_set_credentials (client, "5f0c3a6e-8d1b-4b5e-9a44-0c7d2f3e6a11", 1, "a-good-long-password");
  _sotto_relay_client_set_transfer_pace (client, WINDOW_MS, MIN_RATE);

  g_assert_false (download (client, BLOB_ID, BLOB_SIZE, out, &error));
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE);
  g_assert_cmpstr (error->message, ==, "The relay is sending too slowly");

  /* It was the bound that ended it, not the blob's end: the server
   * had sent some bytes, and nowhere near all. */
  g_assert_cmpuint (trickler->sent, >, 0);
  g_assert_cmpuint (trickler->sent, <, BLOB_SIZE);
  g_assert_cmpuint (g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out)), <, BLOB_SIZE);
}

static void
test_trickled_upload (void)
{
  g_autoptr(Trickler) trickler = trickler_new (TRUE);
  g_autoptr(SottoRelayClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = g_bytes_new_take (g_malloc0 (UPLOAD_SIZE), UPLOAD_SIZE);
  g_autoptr(GInputStream) in = g_memory_input_stream_new_from_bytes (blob);
  SottoRelayUpload upload = { .id = (char *) BLOB_ID, .offset = 0, .size = UPLOAD_SIZE };
  g_autoptr(SottoRelayUpload) done = NULL;

  client = sotto_relay_client_new (trickler->url, &error);
  g_assert_no_error (error);
  sotto_relay_client_set_credentials (client, "5f0c3a6e-8d1b-4b5e-9a44-0c7d2f3e6a11", 1, "a-good-long-password");
  _sotto_relay_client_set_transfer_pace (client, WINDOW_MS, MIN_RATE);

  _sotto_relay_client_put_upload_async (client, &upload, in, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  done = _sotto_relay_client_put_upload_finish (client, result, &error);
  g_assert_null (done);
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE);
  g_assert_cmpstr (error->message, ==, "The relay is receiving too slowly");
  g_assert_cmpuint (trickler->received, <, UPLOAD_SIZE);
}

static void
test_real_relay_download (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  TestRelay *relay = test_relay_start_full (dir, test_relay_relaxed_conf, NULL, FALSE, NULL);
  g_autoptr(SottoRelayClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;
  guint device_id = 0;
  g_autoptr(GBytes) blob = NULL;
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(SottoRelayUpload) upload = NULL;
  g_autoptr(SottoRelayUpload) done = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GBytes) downloaded = NULL;
  guint8 *data = g_malloc (BLOB_SIZE);
  gsize i;

  for (i = 0; i < BLOB_SIZE; i++)
    data[i] = (guint8) (i * 13 + 5);
  blob = g_bytes_new_take (data, BLOB_SIZE);

  client = sotto_relay_client_new (relay->base_url, &error);
  g_assert_no_error (error);
  engine_test_register_async (client, "alice", "a-good-long-password", 7, engine_test_result_cb, &result);
  engine_test_wait (&result);
  g_assert_true (sotto_relay_client_register_finish (client, result, &uuid, &device_id, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  sotto_relay_client_set_credentials (client, uuid, device_id, "a-good-long-password");
  /* A window short enough to be armed many times over, long enough for
   * a relay on a loaded machine to answer within it. */
  _sotto_relay_client_set_transfer_pace (client, 10 * WINDOW_MS, MIN_RATE);

  _sotto_relay_client_create_upload_async (client, BLOB_SIZE, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  upload = _sotto_relay_client_create_upload_finish (client, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  in = g_memory_input_stream_new_from_bytes (blob);
  _sotto_relay_client_put_upload_async (client, upload, in, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  done = _sotto_relay_client_put_upload_finish (client, result, &error);
  g_assert_no_error (error);
  g_assert_true (done->complete);

  g_assert_true (download (client, upload->id, BLOB_SIZE, out, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_close (out, NULL, NULL));
  downloaded = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
  g_assert_true (g_bytes_equal (downloaded, blob));

  g_clear_object (&client);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_free (relay);
  test_relay_remove_data_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

  g_test_add_func ("/engine/relay-client-slow/trickled-download", test_trickled_download);
  g_test_add_func ("/engine/relay-client-slow/trickled-upload", test_trickled_upload);
  g_test_add_func ("/engine/relay-client-slow/real-relay-download", test_real_relay_download);

  return g_test_run ();
}
