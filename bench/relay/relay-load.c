/* relay-load.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A bounded load generator for sotto-relay on loopback.  It starts its own
 * relay on a fresh data directory, registers sender/receiver pairs, keeps
 * one HTTP keep-alive connection per sender and one WebSocket per
 * receiver, and drives 100-byte envelopes through the whole path:
 * accepted, durably stored, delivered, acknowledged.  Everything runs on
 * one epoll loop with plain sockets so that the client costs little next
 * to the server it measures.
 *
 *   relay-load RELAY_BINARY [PAIRS]
 */

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CONTENT_BYTES  100
#define WINDOW         16      /* undelivered envelopes per pair in closed loop */

typedef struct
{
  int      fd;
  GString *in;
  gboolean busy;             /* an HTTP request is outstanding */
} Conn;

typedef struct
{
  char    *uuid;
  char    *auth;
  guint    registration_id;
} Account;

typedef struct
{
  Account  sender;
  Account  receiver;
  Conn     http;
  Conn     ws;
  char    *path;
  guint    undelivered;
  guint    backlog;          /* sends due in fixed-rate mode but not yet issued */
} Pair;

static guint16 relay_port;
static pid_t relay_pid;
static int epfd;

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
connect_relay (void)
{
  struct sockaddr_in addr = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  int one = 1;

  addr.sin_family = AF_INET;
  addr.sin_port = htons (relay_port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd < 0 || connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
    g_error ("cannot connect to the relay: %s", g_strerror (errno));
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static void
write_all (int         fd,
           const char *data,
           gsize       length)
{
  while (length > 0)
    {
      ssize_t n = write (fd, data, length);

      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        continue;
      if (n <= 0)
        g_error ("write failed: %s", g_strerror (errno));
      data += n;
      length -= (gsize) n;
    }
}

/* Returns the length of a complete HTTP response at the start of buffer,
 * or 0 while incomplete, and its status. */
static gsize
http_complete (GString *buffer,
               guint   *status)
{
  const char *end = strstr (buffer->str, "\r\n\r\n");
  const char *length_header;
  gsize header_length;
  gsize body_length = 0;

  if (end == NULL)
    return 0;
  header_length = (gsize) (end - buffer->str) + 4;
  length_header = g_strstr_len (buffer->str, (gssize) header_length, "content-length:");
  if (length_header != NULL)
    body_length = (gsize) g_ascii_strtoull (length_header + strlen ("content-length:"), NULL, 10);
  if (buffer->len < header_length + body_length)
    return 0;
  *status = (guint) g_ascii_strtoull (buffer->str + 9, NULL, 10);
  return header_length + body_length;
}

static char *
http_blocking (int         fd,
               const char *method,
               const char *path,
               const char *auth,
               const char *body,
               guint      *status)
{
  g_autofree char *request = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: localhost\r\n%s%s%s"
                                              "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                                              method, path, auth ? "Authorization: " : "", auth ? auth : "",
                                              auth ? "\r\n" : "", body ? strlen (body) : 0, body ? body : "");
  g_autoptr(GString) in = g_string_new (NULL);
  char chunk[65536];
  gsize length;

  write_all (fd, request, strlen (request));
  while ((length = http_complete (in, status)) == 0)
    {
      ssize_t n = read (fd, chunk, sizeof chunk);

      if (n <= 0)
        g_error ("relay closed the connection");
      g_string_append_len (in, chunk, n);
    }
  return g_strndup (strstr (in->str, "\r\n\r\n") + 4, length - (gsize) (strstr (in->str, "\r\n\r\n") + 4 - in->str));
}

static char *
random_base64 (gsize length,
               int   first)
{
  g_autofree guint8 *data = g_malloc (length);

  for (gsize i = 0; i < length; i++)
    data[i] = (guint8) g_random_int_range (0, 256);
  if (first >= 0)
    data[0] = (guint8) first;
  return g_base64_encode (data, length);
}

static void
register_account (Account    *account,
                  const char *username)
{
  g_autofree char *password = g_strdup_printf ("bench-password-%08x", g_random_int ());
  g_autofree char *identity = random_base64 (33, 5);
  g_autofree char *signed_key = random_base64 (33, 5);
  g_autofree char *signature = random_base64 (64, -1);
  g_autofree char *kyber = random_base64 (1569, 8);
  g_autofree char *body = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *encoded = NULL;
  const char *uuid;
  guint status;
  int fd = connect_relay ();

  account->registration_id = (guint) g_random_int_range (1, 16381);
  body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\",\"registrationId\":%u,\"identityKey\":\"%s\","
                          "\"signedPreKey\":{\"keyId\":1,\"publicKey\":\"%s\",\"signature\":\"%s\"},"
                          "\"pqLastResortPreKey\":{\"keyId\":2,\"publicKey\":\"%s\",\"signature\":\"%s\"}}",
                          username, password, account->registration_id, identity, signed_key, signature,
                          kyber, signature);
  reply = http_blocking (fd, "POST", "/v1/accounts", NULL, body, &status);
  close (fd);
  if (status != 200 || (uuid = strstr (reply, "\"uuid\":\"")) == NULL)
    g_error ("registration failed: %u", status);
  account->uuid = g_strndup (uuid + 8, 36);
  plain = g_strdup_printf ("%s.1:%s", account->uuid, password);
  encoded = g_base64_encode ((const guchar *) plain, strlen (plain));
  account->auth = g_strconcat ("Basic ", encoded, NULL);
}

static void
watch (Conn *conn,
       int   fd)
{
  struct epoll_event event = { .events = EPOLLIN, .data.ptr = conn };

  conn->fd = fd;
  conn->in = g_string_new (NULL);
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
  epoll_ctl (epfd, EPOLL_CTL_ADD, fd, &event);
}

static void
open_websocket (Pair *pair)
{
  int fd = connect_relay ();
  g_autofree char *request = g_strdup_printf ("GET /v1/websocket HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                                              "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: %s\r\n\r\n",
                                              pair->receiver.auth);
  g_autoptr(GString) in = g_string_new (NULL);
  char c;

  write_all (fd, request, strlen (request));
  /* Read the 101 answer byte by byte so no frame is consumed with it. */
  while (!g_str_has_suffix (in->str, "\r\n\r\n"))
    {
      if (read (fd, &c, 1) != 1)
        g_error ("WebSocket handshake failed");
      g_string_append_c (in, c);
    }
  if (!g_str_has_prefix (in->str, "HTTP/1.1 101"))
    g_error ("WebSocket refused");
  watch (&pair->ws, fd);
}

static void
ws_send_text (int         fd,
              const char *text)
{
  gsize length = strlen (text);
  guint8 frame[256];
  guint8 mask[4] = { 0x12, 0x34, 0x56, 0x78 };

  g_assert (length < 126);
  frame[0] = 0x81;
  frame[1] = 0x80 | (guint8) length;
  memcpy (frame + 2, mask, 4);
  for (gsize i = 0; i < length; i++)
    frame[6 + i] = (guint8) text[i] ^ mask[i % 4];
  write_all (fd, (const char *) frame, 6 + length);
}

/* Statistics. */
static guint64 sent, accepted, delivered, errors;
static GArray *latencies;     /* of gint64 ns, when recording */
static gboolean recording;

static void
send_envelope (Pair *pair)
{
  guint8 content[CONTENT_BYTES];
  g_autofree char *encoded = NULL;
  g_autofree char *body = NULL;
  g_autofree char *request = NULL;
  gint64 t = now_ns ();

  /* The send time travels inside the content, so the receiver can time
   * the whole path without any shared state. */
  memset (content, 'x', sizeof content);
  memcpy (content, &t, sizeof t);
  encoded = g_base64_encode (content, sizeof content);
  body = g_strdup_printf ("{\"timestamp\":1,\"messages\":[{\"type\":1,\"destinationDeviceId\":1,"
                          "\"destinationRegistrationId\":%u,\"content\":\"%s\"}]}",
                          pair->receiver.registration_id, encoded);
  request = g_strdup_printf ("PUT %s HTTP/1.1\r\nHost: localhost\r\nAuthorization: %s\r\n"
                             "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                             pair->path, pair->sender.auth, strlen (body), body);
  write_all (pair->http.fd, request, strlen (request));
  pair->http.busy = TRUE;
  pair->undelivered++;
  sent++;
}

typedef enum { MODE_CLOSED, MODE_RATE } Mode;
static Mode mode;

static void
maybe_send (Pair *pair)
{
  if (pair->http.busy)
    return;
  if (mode == MODE_CLOSED && pair->undelivered < WINDOW)
    send_envelope (pair);
  else if (mode == MODE_RATE && pair->backlog > 0)
    {
      pair->backlog--;
      send_envelope (pair);
    }
}

static void
on_http_readable (Pair *pair)
{
  char chunk[65536];
  ssize_t n;
  gsize length;
  guint status;

  while ((n = read (pair->http.fd, chunk, sizeof chunk)) > 0)
    g_string_append_len (pair->http.in, chunk, n);
  if (n == 0)
    g_error ("the relay closed a sender connection");
  while ((length = http_complete (pair->http.in, &status)) > 0)
    {
      g_string_erase (pair->http.in, 0, (gssize) length);
      pair->http.busy = FALSE;
      if (status == 200)
        accepted++;
      else
        {
          errors++;
          pair->undelivered--;
        }
    }
  maybe_send (pair);
}

static void
on_ws_readable (Pair *pair)
{
  GString *in = pair->ws.in;
  char chunk[65536];
  ssize_t n;

  while ((n = read (pair->ws.fd, chunk, sizeof chunk)) > 0)
    g_string_append_len (in, chunk, n);
  if (n == 0)
    g_error ("the relay closed a receiver connection");
  for (;;)
    {
      const guint8 *p = (const guint8 *) in->str;
      gsize header = 2;
      gsize length;
      g_autofree char *text = NULL;
      const char *guid;
      const char *content;

      if (in->len < 2)
        break;
      length = p[1] & 0x7f;
      if (length == 126)
        {
          if (in->len < 4)
            break;
          length = (gsize) p[2] << 8 | p[3];
          header = 4;
        }
      else if (length == 127)
        g_error ("unexpected huge frame");
      if (in->len < header + length)
        break;
      text = g_strndup (in->str + header, length);
      g_string_erase (in, 0, (gssize) (header + length));
      if ((guid = strstr (text, "\"guid\":\"")) == NULL)
        continue;
      {
        char ack[96];

        g_snprintf (ack, sizeof ack, "{\"type\":\"ack\",\"guid\":\"%.36s\"}", guid + 8);
        ws_send_text (pair->ws.fd, ack);
      }
      content = strstr (text, "\"content\":\"");
      if (content != NULL && recording)
        {
          gsize decoded_length;
          g_autofree char *head = g_strndup (content + 11, 12);
          g_autofree guint8 *decoded = g_base64_decode (head, &decoded_length);
          gint64 t;

          memcpy (&t, decoded, sizeof t);
          {
            gint64 latency = now_ns () - t;

            g_array_append_val (latencies, latency);
          }
        }
      delivered++;
      pair->undelivered--;
      maybe_send (pair);
    }
}

static Pair *all_pairs;
static guint all_n_pairs;

/* Events are dispatched for every pair; only the first n_pairs get new
 * envelopes. */
static void
run_for (Pair  *pairs,
         guint  n_pairs,
         double seconds,
         double rate)
{
  struct epoll_event events[256];
  gint64 start = now_ns ();
  gint64 end = start + (gint64) (seconds * 1e9);
  gint64 next_due = start;
  gint64 interval = rate > 0 ? (gint64) (1e9 / rate) : 0;
  guint cursor = 0;

  /* Nothing is in flight at the start of a closed-loop phase: prime it. */
  for (guint p = 0; p < n_pairs; p++)
    maybe_send (&pairs[p]);
  while (now_ns () < end)
    {
      int n = epoll_wait (epfd, events, G_N_ELEMENTS (events), rate > 0 ? 1 : 100);

      for (int i = 0; i < n; i++)
        {
          Conn *conn = events[i].data.ptr;

          for (guint p = 0; p < all_n_pairs; p++)
            {
              if (conn == &all_pairs[p].http)
                on_http_readable (&all_pairs[p]);
              else if (conn == &all_pairs[p].ws)
                on_ws_readable (&all_pairs[p]);
              else
                continue;
              break;
            }
        }
      if (rate > 0)
        {
          gint64 now = now_ns ();

          while (next_due <= now)
            {
              Pair *pair = &pairs[cursor++ % n_pairs];

              pair->backlog++;
              maybe_send (pair);
              next_due += interval;
            }
        }
    }
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static double
percentile_ms (double p)
{
  guint index;

  if (latencies->len == 0)
    return 0;
  g_array_sort (latencies, compare_gint64);
  index = (guint) (p * (latencies->len - 1));
  return (double) g_array_index (latencies, gint64, index) / 1e6;
}

static double
relay_cpu_seconds (void)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", relay_pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  fields = g_strsplit (strrchr (text, ')') + 2, " ", -1);
  /* utime and stime are fields 14 and 15; the split starts at field 3. */
  return (double) (g_ascii_strtoull (fields[11], NULL, 10) + g_ascii_strtoull (fields[12], NULL, 10)) /
         (double) sysconf (_SC_CLK_TCK);
}

static double
relay_rss_kib (void)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", relay_pid);
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (line = strstr (text, "VmRSS:")) == NULL)
    return 0;
  return g_ascii_strtod (line + 6, NULL);
}

static GArray *idle_fds;

/* Opens idle keep-alive connections that each made one request. */
static void
open_idle (guint target)
{
  while (idle_fds->len < target)
    {
      int fd = connect_relay ();
      guint status;

      g_free (http_blocking (fd, "GET", "/v1/health", NULL, NULL, &status));
      g_array_append_val (idle_fds, fd);
    }
}

static void
start_relay (const char *binary,
             const char *dir)
{
  int pipefd[2];
  char line[256];
  FILE *out;
  g_autofree char *conf_path = g_build_filename (dir, "relay.conf", NULL);
  const char *conf = "[limits]\nmax-connections=20000\nmax-queue-envelopes=1000000\nhash-queue-limit=1000\n"
                     "[rate-limits]\naddress-requests=1000000/1000000\naddress-registrations=1000000/1000000\n"
                     "address-auth-failures=1000000/1000000\naddress-websockets=1000000/1000000\n"
                     "account-sends=1000000/1000000\n";

  g_file_set_contents (conf_path, conf, -1, NULL);
  if (pipe (pipefd) != 0)
    g_error ("pipe");
  relay_pid = fork ();
  if (relay_pid == 0)
    {
      /* An aborted run must not leave a relay behind. */
      prctl (PR_SET_PDEATHSIG, SIGTERM);
      dup2 (pipefd[1], STDOUT_FILENO);
      close (pipefd[0]);
      execl (binary, binary, "--listen", "127.0.0.1:0", "--data-dir", dir, NULL);
      _exit (127);
    }
  close (pipefd[1]);
  out = fdopen (pipefd[0], "r");
  if (fgets (line, sizeof line, out) == NULL)
    g_error ("the relay did not start");
  relay_port = (guint16) atoi (strrchr (line, ':') + 1);
}

int
main (int   argc,
      char *argv[])
{
  guint n_pairs = argc > 2 ? (guint) atoi (argv[2]) : 100;
  g_autofree char *dir = NULL;
  Pair *pairs;
  struct rlimit limit;
  double cpu_before;
  double rss_before;
  const guint connection_counts[] = { 20, 2000, 10000 };
  double cpu_per_count[G_N_ELEMENTS (connection_counts)];

  if (argc < 2)
    {
      g_printerr ("usage: %s RELAY_BINARY [PAIRS]\n", argv[0]);
      return 2;
    }
  signal (SIGPIPE, SIG_IGN);
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
  dir = g_dir_make_tmp ("sotto-relay-bench-XXXXXX", NULL);
  start_relay (argv[1], dir);
  epfd = epoll_create1 (0);
  latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  idle_fds = g_array_new (FALSE, FALSE, sizeof (int));

  g_print ("# sotto-relay load: %u sender/receiver pairs, %d-byte envelopes, relay pid %d\n",
           n_pairs, CONTENT_BYTES, relay_pid);
  pairs = g_new0 (Pair, n_pairs);
  all_pairs = pairs;
  all_n_pairs = n_pairs;
  for (guint i = 0; i < n_pairs; i++)
    {
      g_autofree char *s = g_strdup_printf ("sender%u", i);
      g_autofree char *r = g_strdup_printf ("receiver%u", i);

      register_account (&pairs[i].sender, s);
      register_account (&pairs[i].receiver, r);
      pairs[i].path = g_strdup_printf ("/v1/messages/%s", pairs[i].receiver.uuid);
    }
  /* Connect only once every account exists: the relay drops connections
   * that stay silent for 20 s before their first request. */
  for (guint i = 0; i < n_pairs; i++)
    {
      watch (&pairs[i].http, connect_relay ());
      open_websocket (&pairs[i]);
    }
  /* Warm up: authenticate every sender and drain the empty queues. */
  mode = MODE_CLOSED;
  run_for (pairs, n_pairs, 1.0, 0);
  mode = MODE_RATE;
  run_for (pairs, n_pairs, 0.5, 0);

  /* Closed loop: as fast as the relay goes, WINDOW undelivered per pair. */
  mode = MODE_CLOSED;
  delivered = 0;
  cpu_before = relay_cpu_seconds ();
  run_for (pairs, n_pairs, 5.0, 0);
  g_print ("closed-loop: %.0f envelopes/s end to end (stored, delivered, acknowledged), "
           "relay CPU %.0f%%, %" G_GUINT64_FORMAT " errors\n",
           delivered / 5.0, (relay_cpu_seconds () - cpu_before) / 5.0 * 100, errors);

  /* Let the closed loop drain before timing latency. */
  mode = MODE_RATE;
  run_for (pairs, n_pairs, 1.0, 0);

  for (guint r = 0; r < 2; r++)
    {
      double rate = r == 0 ? 1000 : 5000;

      g_array_set_size (latencies, 0);
      recording = TRUE;
      delivered = sent = accepted = 0;
      run_for (pairs, n_pairs, 5.0, rate);
      recording = FALSE;
      g_print ("rate %.0f/s: delivered %.0f/s, latency p50 %.2f ms, p99 %.2f ms "
               "(sent %" G_GUINT64_FORMAT ", accepted %" G_GUINT64_FORMAT ", errors %" G_GUINT64_FORMAT ")\n",
               rate, delivered / 5.0, percentile_ms (0.50), percentile_ms (0.99), sent, accepted, errors);
      run_for (pairs, n_pairs, 0.5, 0);
    }

  for (guint c = 0; c < G_N_ELEMENTS (connection_counts); c++)
    {
      guint extra = connection_counts[c] > 2 * n_pairs ? connection_counts[c] - 2 * n_pairs : 0;
      guint active = MIN (n_pairs, connection_counts[c] / 2);

      if (c == 0)
        rss_before = relay_rss_kib ();
      open_idle (extra);
      if (c == G_N_ELEMENTS (connection_counts) - 1)
        g_print ("memory: %.1f KiB per idle connection (RSS %.0f KiB with %u, %.0f KiB with %u)\n",
                 (relay_rss_kib () - rss_before) / MAX (1, idle_fds->len), rss_before,
                 connection_counts[0], relay_rss_kib (), connection_counts[c]);
      cpu_before = relay_cpu_seconds ();
      run_for (pairs, active, 5.0, 2000);
      cpu_per_count[c] = (relay_cpu_seconds () - cpu_before) / 5.0 * 100;
      g_print ("cpu at 2000/s with %u connections: %.1f%% of one core\n",
               active * 2 + extra, cpu_per_count[c]);
      run_for (pairs, n_pairs, 0.5, 0);
    }
  g_print ("cpu ratio 10000 vs 20 connections: %.2f\n", cpu_per_count[2] / MAX (cpu_per_count[0], 0.01));

  kill (relay_pid, SIGTERM);
  waitpid (relay_pid, NULL, 0);
  {
    const char *names[] = { "relay.db", "relay.db-wal", "relay.db-shm", "relay.conf" };

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autofree char *path = g_build_filename (dir, names[i], NULL);

        g_remove (path);
      }
    g_rmdir (dir);
  }
  return 0;
}
