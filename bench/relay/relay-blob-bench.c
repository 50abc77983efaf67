/* relay-blob-bench.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Attachment blobs through a local sotto-relay: the throughput of one
 * 100 MB upload and of its download, each beside the same bytes over a
 * plain loopback socket into and out of a file on the same disk (with
 * the upload's fdatasync and rename), which is what the relay cannot
 * beat; then the relay's resident memory while ten 100 MB uploads run at
 * once, which should stay flat rather than grow with the files.
 *
 * Usage: relay-blob-bench --relay BUILD/src/relay/sotto-relay [--megabytes N]
 * The relay runs on a fresh data directory under $TMPDIR, removed after.
 */

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dev-util.h"

#define CHUNK        (1024 * 1024)
#define PARALLEL     DEV_BLOB_BENCH_PARALLEL
#define SAMPLE_US    (20 * 1000)

typedef struct
{
  GSubprocess *process;
  char        *dir;
  guint16      port;
  char        *auth;
} Relay;

static guint8 *pattern;   /* CHUNK random bytes, sent again and again */

static int
connect_to (guint16 port)
{
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons (port) };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;

  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd < 0 || connect (fd, (struct sockaddr *) &address, sizeof address) != 0)
    g_error ("cannot connect to port %u: %s", port, g_strerror (errno));
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static void
write_all (int         fd,
           const void *data,
           gsize       length)
{
  const guint8 *p = data;

  while (length > 0)
    {
      gssize n = send (fd, p, length, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        g_error ("write failed: %s", g_strerror (errno));
      p += n;
      length -= (gsize) n;
    }
}

static void
send_pattern (int     fd,
              guint64 length)
{
  for (guint64 sent = 0; sent < length; sent += CHUNK)
    write_all (fd, pattern, (gsize) MIN ((guint64) CHUNK, length - sent));
}

/* Reads an answer's head and returns its status; the body's length goes
 * to *length and what of it came with the head to `rest`. */
static guint
read_head (int      fd,
           guint64 *length,
           GString *rest)
{
  g_autoptr(GString) reply = g_string_new (NULL);
  char buffer[65536];
  const char *end;
  const char *field;

  while ((end = strstr (reply->str, "\r\n\r\n")) == NULL)
    {
      gssize n = recv (fd, buffer, sizeof buffer, 0);

      if (n <= 0)
        g_error ("the relay closed the connection");
      g_string_append_len (reply, buffer, n);
    }
  field = strstr (reply->str, "content-length: ");
  *length = field != NULL ? g_ascii_strtoull (field + strlen ("content-length: "), NULL, 10) : 0;
  g_string_append_len (rest, end + 4, (gssize) (reply->len - (gsize) (end + 4 - reply->str)));
  return (guint) g_ascii_strtoull (reply->str + strlen ("HTTP/1.1 "), NULL, 10);
}

/* Reads the rest of a body of `length` bytes, of which `rest` came. */
static char *
read_body (int      fd,
           guint64  length,
           GString *rest)
{
  char buffer[65536];
  guint64 received = rest->len;

  while (received < length)
    {
      gssize n = recv (fd, buffer, sizeof buffer, 0);

      if (n <= 0)
        g_error ("the relay closed the connection");
      received += (guint64) n;
      if (rest->len < 4096)
        g_string_append_len (rest, buffer, n);
    }
  return g_strdup (rest->str);
}

static char *
request (Relay      *relay,
         const char *method,
         const char *path,
         const char *auth,
         const char *body,
         guint      *status)
{
  int fd = connect_to (relay->port);
  g_autoptr(GString) rest = g_string_new (NULL);
  g_autofree char *head = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%s"
                                           "Content-Length: %zu\r\n\r\n",
                                           method, path, auth != NULL ? "Authorization: " : "",
                                           auth != NULL ? auth : "", auth != NULL ? "\r\n" : "", strlen (body));
  guint64 length;
  char *reply;

  write_all (fd, head, strlen (head));
  write_all (fd, body, strlen (body));
  *status = read_head (fd, &length, rest);
  reply = read_body (fd, length, rest);
  close (fd);
  return reply;
}

static char *
random_base64 (gsize length,
               int   first_byte)
{
  g_autofree guint8 *bytes = g_malloc (length);

  for (gsize i = 0; i < length; i++)
    bytes[i] = (guint8) g_random_int ();
  if (first_byte >= 0)
    bytes[0] = (guint8) first_byte;
  return g_base64_encode (bytes, length);
}

/* An account with random keys: the relay only stores them. */
static void
relay_register (Relay *relay)
{
  g_autofree char *identity = random_base64 (33, 5);
  g_autofree char *signature = random_base64 (64, -1);
  g_autofree char *kyber = random_base64 (1569, 8);
  g_autofree char *body = g_strdup_printf ("{\"username\":\"blobbench\",\"password\":\"blob-bench-password-01\","
                                           "\"registrationId\":7,\"identityKey\":\"%s\","
                                           "\"signedPreKey\":{\"keyId\":1,\"publicKey\":\"%s\",\"signature\":\"%s\"},"
                                           "\"pqLastResortPreKey\":{\"keyId\":2,\"publicKey\":\"%s\",\"signature\":\"%s\"}}",
                                           identity, identity, signature, kyber, signature);
  g_autofree char *plain = NULL;
  g_autofree char *encoded = NULL;
  g_autofree char *reply = NULL;
  const char *uuid;
  guint status;

  reply = request (relay, "POST", "/v1/accounts", NULL, body, &status);
  uuid = strstr (reply, "\"uuid\":\"");
  if (status != 200 || uuid == NULL)
    g_error ("registration failed with status %u: %s", status, reply);
  plain = g_strdup_printf ("%.36s.1:blob-bench-password-01", uuid + strlen ("\"uuid\":\""));
  encoded = g_base64_encode ((const guchar *) plain, strlen (plain));
  relay->auth = g_strconcat ("Basic ", encoded, NULL);
}

static void
relay_start (Relay      *relay,
             const char *binary)
{
  relay->process = dev_start_relay (binary, dev_blob_bench_conf, &relay->dir, &relay->port);
  relay_register (relay);
}

static void
relay_stop (Relay *relay)
{
  g_subprocess_send_signal (relay->process, SIGTERM);
  g_subprocess_wait (relay->process, NULL, NULL);
  g_clear_object (&relay->process);
  dev_remove_tree (relay->dir);
  g_free (relay->dir);
  g_free (relay->auth);
}

static char *
create (Relay   *relay,
        guint64  size)
{
  g_autofree char *body = g_strdup_printf ("{\"size\":%" G_GUINT64_FORMAT "}", size);
  g_autofree char *reply = NULL;
  const char *id;
  guint status;

  reply = request (relay, "POST", "/v1/attachments", relay->auth, body, &status);
  if (status != 200 || (id = strstr (reply, "\"id\":\"")) == NULL)
    g_error ("creating an upload failed with status %u: %s", status, reply);
  return g_strndup (id + strlen ("\"id\":\""), 64);
}

/* Uploads `size` bytes to a new blob; returns its id. */
static char *
upload (Relay   *relay,
        guint64  size)
{
  g_autofree char *id = create (relay, size);
  g_autofree char *head = g_strdup_printf ("PUT /v1/attachments/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Authorization: %s\r\nContent-Length: %" G_GUINT64_FORMAT "\r\n\r\n",
                                           id, relay->auth, size);
  g_autoptr(GString) rest = g_string_new (NULL);
  g_autofree char *reply = NULL;
  int fd = connect_to (relay->port);
  guint64 length;
  guint status;

  write_all (fd, head, strlen (head));
  send_pattern (fd, size);
  status = read_head (fd, &length, rest);
  reply = read_body (fd, length, rest);
  close (fd);
  if (status != 200 || strstr (reply, "\"complete\":true") == NULL)
    g_error ("the upload failed with status %u: %s", status, reply);
  return g_steal_pointer (&id);
}

static void
download (Relay      *relay,
          const char *id,
          guint64     size)
{
  g_autofree char *head = g_strdup_printf ("GET /v1/attachments/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Authorization: %s\r\n\r\n", id, relay->auth);
  g_autoptr(GString) rest = g_string_new (NULL);
  g_autofree char *body = NULL;
  int fd = connect_to (relay->port);
  guint64 length;

  write_all (fd, head, strlen (head));
  if (read_head (fd, &length, rest) != 200 || length != size)
    g_error ("the download failed");
  body = read_body (fd, length, rest);
  close (fd);
}

/* The peer: the same bytes over a loopback socket into a file, synced
 * and renamed, and out of it again. */

typedef struct
{
  int         listener;
  const char *dir;
  guint64     size;
  gboolean    to_file;
} Peer;

static gpointer
peer_serve (gpointer data)
{
  Peer *peer = data;
  g_autofree char *partial = g_build_filename (peer->dir, "peer.partial", NULL);
  g_autofree char *final = g_build_filename (peer->dir, "peer.data", NULL);
  g_autofree guint8 *buffer = g_malloc (CHUNK);
  int fd = accept (peer->listener, NULL, NULL);
  int file;

  if (peer->to_file)
    {
      guint64 received = 0;

      file = open (partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      while (received < peer->size)
        {
          gssize n = recv (fd, buffer, CHUNK, 0);

          if (n <= 0 || write (file, buffer, (gsize) n) != n)
            g_error ("the peer's upload failed");
          received += (guint64) n;
        }
      fdatasync (file);
      close (file);
      g_rename (partial, final);
      write_all (fd, "done", 4);
    }
  else
    {
      gssize n;

      file = open (final, O_RDONLY | O_CLOEXEC);
      while ((n = read (file, buffer, CHUNK)) > 0)
        write_all (fd, buffer, (gsize) n);
      close (file);
    }
  close (fd);
  return NULL;
}

/* Seconds for one transfer through the peer. */
static double
peer_transfer (const char *dir,
               guint64     size,
               gboolean    to_file)
{
  struct sockaddr_in address = { .sin_family = AF_INET };
  socklen_t address_length = sizeof address;
  Peer peer = { socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), dir, size, to_file };
  g_autofree guint8 *buffer = g_malloc (CHUNK);
  GThread *thread;
  gint64 start;
  int fd;

  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  bind (peer.listener, (struct sockaddr *) &address, sizeof address);
  listen (peer.listener, 1);
  getsockname (peer.listener, (struct sockaddr *) &address, &address_length);
  thread = g_thread_new ("peer", peer_serve, &peer);
  start = g_get_monotonic_time ();
  fd = connect_to (ntohs (address.sin_port));
  if (to_file)
    {
      send_pattern (fd, size);
      if (recv (fd, buffer, 4, MSG_WAITALL) != 4)
        g_error ("the peer did not answer");
    }
  else
    {
      guint64 received = 0;
      gssize n;

      while ((n = recv (fd, buffer, CHUNK, 0)) > 0)
        received += (guint64) n;
      if (received != size)
        g_error ("the peer sent %" G_GUINT64_FORMAT " bytes", received);
    }
  close (fd);
  g_thread_join (thread);
  close (peer.listener);
  return (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

typedef struct
{
  Relay   *relay;
  guint64  size;
  gint     finished;
} UploadJob;

static gpointer
upload_thread (gpointer data)
{
  UploadJob *job = data;

  g_free (upload (job->relay, job->size));
  g_atomic_int_inc (&job->finished);
  return NULL;
}

static void
print_row (const char *what,
           double      relay_mb_s,
           double      peer_mb_s)
{
  g_print ("%-34s %10.0f MB/s %10.0f MB/s %8.2f\n", what, relay_mb_s, peer_mb_s, relay_mb_s / peer_mb_s);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *binary = NULL;
  gint megabytes = 100;
  GOptionEntry entries[] = {
    { "relay", 0, 0, G_OPTION_ARG_FILENAME, &binary, "The sotto-relay binary to start", "BINARY" },
    { "megabytes", 0, 0, G_OPTION_ARG_INT, &megabytes, "The size of each blob (default 100)", "N" },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- attachment blobs through sotto-relay");
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  GThread *threads[PARALLEL];
  UploadJob job;
  Relay relay = { 0 };
  guint64 size;
  guint64 baseline;
  guint64 peak = 0;
  double seconds;
  double up_relay, down_relay, up_peer, down_peer;
  gint64 start;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || binary == NULL || megabytes < 1)
    g_error ("usage: relay-blob-bench --relay BINARY [--megabytes N]");
  size = (guint64) megabytes * 1000 * 1000;
  pattern = g_malloc (CHUNK);
  for (gsize i = 0; i < CHUNK; i++)
    pattern[i] = (guint8) g_random_int ();

  relay_start (&relay, binary);
  start = g_get_monotonic_time ();
  id = upload (&relay, size);
  up_relay = (double) size / 1e6 / ((double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);
  start = g_get_monotonic_time ();
  download (&relay, id, size);
  down_relay = (double) size / 1e6 / ((double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);
  seconds = peer_transfer (relay.dir, size, TRUE);
  up_peer = (double) size / 1e6 / seconds;
  seconds = peer_transfer (relay.dir, size, FALSE);
  down_peer = (double) size / 1e6 / seconds;

  g_print ("\n%-34s %15s %15s %8s\n", "", "sotto-relay", "loopback+file", "ratio");
  print_row ("upload, durable before the answer", up_relay, up_peer);
  print_row ("download", down_relay, down_peer);

  baseline = dev_resident_bytes (relay.process);
  job = (UploadJob) { &relay, size, 0 };
  start = g_get_monotonic_time ();
  for (guint i = 0; i < PARALLEL; i++)
    threads[i] = g_thread_new ("upload", upload_thread, &job);
  while (g_atomic_int_get (&job.finished) < PARALLEL)
    {
      peak = MAX (peak, dev_resident_bytes (relay.process));
      g_usleep (SAMPLE_US);
      if (g_get_monotonic_time () - start > 600 * G_USEC_PER_SEC)
        g_error ("the uploads took over ten minutes");
    }
  for (guint i = 0; i < PARALLEL; i++)
    g_thread_join (threads[i]);
  seconds = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  g_print ("\n%u uploads of %d MB at once: %.0f MB/s together\n", PARALLEL, megabytes,
           (double) size * PARALLEL / 1e6 / seconds);
  g_print ("relay resident memory: %.1f MiB before, %.1f MiB at the peak while they ran "
           "(%.2f%% of the %d MB in flight)\n",
           (double) baseline / (1 << 20), (double) peak / (1 << 20),
           100.0 * (double) peak / ((double) size * PARALLEL), megabytes * PARALLEL);
  relay_stop (&relay);
  g_free (pattern);
  return 0;
}
