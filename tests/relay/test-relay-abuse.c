/* test-relay-abuse.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Clients that hold on to the relay's resources: bodies and headers sent
 * a byte at a time, enough of them to fill every connection slot,
 * WebSockets that never read or whose client has vanished, and more
 * connections than the relay may hold or has descriptors for.  Each case starts its own relay with the
 * limits it is about, and checks what a real process does: which
 * sockets it closes and when, what it answers a legitimate client in the
 * meantime, how much memory it takes, what it logs and how much CPU its
 * event loop uses.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay-test-raw.h"

/* Slack for the relay's once-a-second sweep and a loaded machine. */
#define DEADLINE_SLACK_US   (4 * G_USEC_PER_SEC)
#define ANSWER_TIMEOUT_US   (5 * G_USEC_PER_SEC)
#define TRICKLE_INTERVAL_US (G_USEC_PER_SEC / 2)
#define IDLE_WINDOW_US      G_USEC_PER_SEC

typedef struct
{
  char        *dir;
  TestRelay   *relay;
  SoupSession *session;
} Abuse;

static void
abuse_start (Abuse                *abuse,
             const char           *limits,
             const TestRelaySetup *setup)
{
  g_autofree char *conf = g_strconcat (test_relay_relaxed_conf, "[limits]\n", limits, NULL);
  TestRelaySetup plain = { NULL, FALSE, NULL, 0 };

  abuse->dir = test_relay_make_data_dir ();
  abuse->session = test_session_new ();
  abuse->relay = test_relay_start_with (abuse->dir, conf, setup != NULL ? setup : &plain);
}

/* The relay still serves, and drains and exits cleanly. */
static void
abuse_finish (Abuse *abuse)
{
  g_autoptr(TestResponse) health = test_request (abuse->session, abuse->relay, "GET", "/v1/health",
                                                 NULL, NULL);

  g_assert_cmpuint (health->status, ==, 200);
  g_clear_object (&abuse->session);
  g_assert_cmpint (test_relay_stop (abuse->relay), ==, 0);
  g_clear_pointer (&abuse->relay, test_relay_free);
  test_relay_remove_data_dir (abuse->dir);
  g_free (abuse->dir);
}

/* Sends one byte, as long as the relay still takes them. */
static void
trickle (int fd)
{
  if (send (fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
    g_assert_true (errno == EPIPE || errno == ECONNRESET || errno == EAGAIN);
}

/* Trickles into `fd`, a byte every TRICKLE_INTERVAL_US, until the relay
 * closes the connection or `limit_us` passes; returns how long that
 * took, or -1 if the connection was still open. */
static gint64
trickle_until_closed (int    fd,
                      gint64 limit_us)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GString) ignored = g_string_new (NULL);

  while (g_get_monotonic_time () - start < limit_us)
    {
      trickle (fd);
      if (test_raw_read (fd, ignored, g_get_monotonic_time () + TRICKLE_INTERVAL_US) == TEST_READ_END)
        return g_get_monotonic_time () - start;
    }
  return -1;
}

/* Asks for /v1/health on a fresh raw connection; returns the status, or
 * 0 if the relay closed without one. */
static int
health_request_start (TestRelay *relay)
{
  int fd = test_raw_connect (relay);

  test_raw_write_string (fd, "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  return fd;
}

static guint
health_read_status (int    fd,
                    gint64 deadline)
{
  g_autoptr(GString) reply = g_string_new (NULL);

  while (strstr (reply->str, "\r\n") == NULL)
    if (test_raw_read (fd, reply, deadline) != TEST_READ_DATA)
      return 0;
  g_assert_true (g_str_has_prefix (reply->str, "HTTP/1.1 "));
  return (guint) g_ascii_strtoull (reply->str + strlen ("HTTP/1.1 "), NULL, 10);
}

/* Starts a relay with `limit`, a deadline of two seconds, and sends it
 * `start` and then a byte every half second: the relay must cut the
 * connection off at the deadline, however steadily the bytes come. */
static void
check_cut_off (const char *limit,
               const char *start)
{
  Abuse abuse = { 0 };
  gint64 took;
  int fd;

  abuse_start (&abuse, limit, NULL);
  fd = test_raw_connect (abuse.relay);
  test_raw_write_string (fd, start);
  took = trickle_until_closed (fd, 2 * G_USEC_PER_SEC + DEADLINE_SLACK_US);
  if (took < 0)
    g_test_message ("the relay kept a trickling connection open");
  g_assert_cmpint (took, >=, 0);
  g_test_message ("closed after %.1f s", (double) took / G_USEC_PER_SEC);
  g_assert_cmpint (took, >=, 2 * G_USEC_PER_SEC - TRICKLE_INTERVAL_US);
  close (fd);
  abuse_finish (&abuse);
}

static void
test_slow_body (void)
{
  check_cut_off ("body-timeout-seconds=2\n",
                 "PUT /v1/keys HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{");
}

static void
test_slow_headers (void)
{
  check_cut_off ("header-timeout-seconds=2\n", "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
}

/* More trickling bodies than the relay has slots: a legitimate client
 * still gets its answer while they go on, because a full relay closes
 * the connection that has waited longest for its request. */
#define LOCKOUT_SLOTS       16
#define LOCKOUT_ATTACKERS   40

static void
test_slot_lockout (void)
{
  g_autofree char *limits = g_strdup_printf ("max-connections=%u\n", LOCKOUT_SLOTS);
  Abuse abuse = { 0 };
  int attackers[LOCKOUT_ATTACKERS];
  gint64 until;
  guint status;
  int health;

  abuse_start (&abuse, limits, NULL);
  for (guint i = 0; i < LOCKOUT_ATTACKERS; i++)
    {
      attackers[i] = test_raw_connect (abuse.relay);
      test_raw_write_string (attackers[i], "PUT /v1/keys HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Content-Length: 100000\r\n\r\n{");
    }
  /* The attack goes on for a while before, and while, the legitimate
   * client asks. */
  until = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < until)
    {
      for (guint i = 0; i < LOCKOUT_ATTACKERS; i++)
        trickle (attackers[i]);
      g_usleep (TRICKLE_INTERVAL_US);
    }
  health = health_request_start (abuse.relay);
  for (guint i = 0; i < LOCKOUT_ATTACKERS; i++)
    trickle (attackers[i]);
  status = health_read_status (health, g_get_monotonic_time () + ANSWER_TIMEOUT_US);
  if (status != 200)
    g_test_message ("the relay answered %u while its slots were held", status);
  g_assert_cmpuint (status, ==, 200);
  close (health);
  for (guint i = 0; i < LOCKOUT_ATTACKERS; i++)
    close (attackers[i]);
  abuse_finish (&abuse);
}

/* The loop thread rests: a loop that spins uses the whole window. */
static void
assert_loop_rests (TestRelay *relay)
{
  long ticks_per_second = sysconf (_SC_CLK_TCK);
  guint64 before = test_relay_loop_ticks (relay);
  guint64 used;

  g_usleep (IDLE_WINDOW_US);
  used = test_relay_loop_ticks (relay) - before;
  g_test_message ("the event loop used %" G_GUINT64_FORMAT " of %ld ticks", used, ticks_per_second);
  g_assert_cmpuint (used, <, (guint64) ticks_per_second / 5);
}

/* Waits until the relay holds `count` TCP sockets. */
static void
wait_for_sockets (TestRelay *relay,
                  guint      count)
{
  gint64 deadline = g_get_monotonic_time () + ANSWER_TIMEOUT_US;
  guint sockets;

  while ((sockets = test_relay_tcp_sockets (relay)) != count && g_get_monotonic_time () < deadline)
    g_usleep (20 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpuint (sockets, ==, count);
}

/* With every slot working (open WebSockets), the relay stops accepting:
 * a new client waits in the listen queue rather than being refused, and
 * is served as soon as a slot frees. */
#define LIMIT_SLOTS 4

static void
test_connection_limit (void)
{
  g_autofree char *limits = g_strdup_printf ("max-connections=%u\n", LIMIT_SLOTS);
  Abuse abuse = { 0 };
  TestSocket *sockets[LIMIT_SLOTS];
  TestAccount *accounts[LIMIT_SLOTS];
  g_autoptr(GString) early = g_string_new (NULL);
  int health;

  abuse_start (&abuse, limits, NULL);
  for (guint i = 0; i < LIMIT_SLOTS; i++)
    {
      g_autofree char *name = g_strdup_printf ("user%u", i);

      accounts[i] = test_account_register (abuse.session, abuse.relay, name, 0);
    }
  soup_session_abort (abuse.session);
  wait_for_sockets (abuse.relay, 1);
  for (guint i = 0; i < LIMIT_SLOTS; i++)
    {
      sockets[i] = test_socket_connect (abuse.session, abuse.relay, accounts[i]->auth);
      g_assert_no_error (sockets[i]->error);
      test_socket_expect_drained (sockets[i]);
    }

  health = health_request_start (abuse.relay);
  /* Neither answered nor refused. */
  g_assert_cmpint (test_raw_read (health, early, g_get_monotonic_time () + G_USEC_PER_SEC), ==,
                   TEST_READ_TIMEOUT);
  assert_loop_rests (abuse.relay);

  g_clear_pointer (&sockets[0], test_socket_free);
  g_assert_cmpuint (health_read_status (health, g_get_monotonic_time () + ANSWER_TIMEOUT_US), ==, 200);
  close (health);
  for (guint i = 1; i < LIMIT_SLOTS; i++)
    test_socket_free (sockets[i]);
  for (guint i = 0; i < LIMIT_SLOTS; i++)
    test_account_free (accounts[i]);
  abuse_finish (&abuse);
}

static guint
count_lines (const char *text)
{
  guint lines = 0;

  for (const char *p = text; *p != '\0'; p++)
    lines += *p == '\n';
  return lines;
}

/* Far more clients than the descriptor limit: the relay serves no more
 * connections than it has descriptors for, does not spin on accept()
 * and logs a few lines, not one per attempt. */
#define DESCRIPTOR_LIMIT   128
#define DESCRIPTOR_CLIENTS 300
#define MAX_LOG_LINES      40

static void
test_descriptor_limit (void)
{
  TestRelaySetup setup = { NULL, FALSE, NULL, DESCRIPTOR_LIMIT };
  g_autofree char *start_log = NULL;
  g_autofree char *log = NULL;
  Abuse abuse = { 0 };
  int clients[DESCRIPTOR_CLIENTS];
  guint lines;

  abuse_start (&abuse, "", &setup);
  start_log = test_relay_read_log (abuse.relay);
  /* It says once why it serves fewer connections than configured. */
  g_assert_nonnull (strstr (start_log, "the descriptor limit is 128"));
  for (guint i = 0; i < DESCRIPTOR_CLIENTS; i++)
    {
      clients[i] = test_raw_connect (abuse.relay);
      test_raw_write_string (clients[i], "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    }
  g_usleep (G_USEC_PER_SEC);
  assert_loop_rests (abuse.relay);
  g_assert_cmpuint (test_relay_tcp_sockets (abuse.relay), <, DESCRIPTOR_LIMIT);
  log = test_relay_read_log (abuse.relay);
  lines = count_lines (log) - count_lines (start_log);
  g_test_message ("%u lines of log during the attack", lines);
  g_assert_cmpuint (lines, <, MAX_LOG_LINES);

  for (guint i = 0; i < DESCRIPTOR_CLIENTS; i++)
    close (clients[i]);
  abuse_finish (&abuse);
}

/* Room in a device's queue, and in one sender's share of it, for the
 * backlogs below. */
#define BACKLOG_QUEUE_LIMITS "max-queue-bytes=268435456\nmax-queue-bytes-per-sender=268435456\n"

/* Stores `count` envelopes of `bytes` from `from` to device 1 of `to`. */
static void
store_backlog (Abuse       *abuse,
               TestAccount *from,
               TestAccount *to,
               guint        count,
               gsize        bytes)
{
  g_autofree char *content = test_random_base64 (bytes, -1);
  g_autofree char *path = g_strdup_printf ("/v1/messages/%s", to->uuid);
  g_autofree char *body = test_send_body (1, to->registration_id, content);

  for (guint i = 0; i < count; i++)
    {
      g_autoptr(TestResponse) response = test_request (abuse->session, abuse->relay, "PUT", path,
                                                       from->auth, body);

      g_assert_cmpuint (response->status, ==, 200);
    }
}

/* A queue of large envelopes, and six WebSockets for the same device
 * that never read: each replaces the one before, and none drains.  The
 * relay's memory stays within the bound on buffered output, and it drops
 * every one of them at the write deadline. */
#define BACKLOG_ENVELOPES      100
#define BACKLOG_ENVELOPE_BYTES (180 * 1024)
#define NON_READERS            6
#define WRITE_TIMEOUT_SECONDS  3
/* Six connections of websocket-buffer-bytes (1 MiB) and a frame each,
 * with room for the allocator's slack. */
#define MEMORY_BOUND_BYTES     (24 * 1024 * 1024)

static void
test_non_reading_websockets (void)
{
  g_autofree char *limits = g_strdup_printf (BACKLOG_QUEUE_LIMITS "write-timeout-seconds=%u\n",
                                             WRITE_TIMEOUT_SECONDS);
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestAccount) bob = NULL;
  Abuse abuse = { 0 };
  int readers[NON_READERS];
  guint64 baseline;
  guint64 peak = 0;
  gint64 until;

  /* What is measured is the relay's memory: under AddressSanitizer its
   * quarantine of freed blocks would count too, so it is kept small. */
  g_autofree char *asan_options = g_strdup_printf ("ASAN_OPTIONS=%s%squarantine_size_mb=1",
                                                   g_getenv ("ASAN_OPTIONS") != NULL ? g_getenv ("ASAN_OPTIONS") : "",
                                                   g_getenv ("ASAN_OPTIONS") != NULL ? ":" : "");
  const char *env[] = { asan_options, NULL };
  TestRelaySetup setup = { NULL, FALSE, env, 0 };

  abuse_start (&abuse, limits, &setup);
  alice = test_account_register (abuse.session, abuse.relay, "alice", 0);
  bob = test_account_register (abuse.session, abuse.relay, "bob", 0);
  store_backlog (&abuse, alice, bob, BACKLOG_ENVELOPES, BACKLOG_ENVELOPE_BYTES);
  soup_session_abort (abuse.session);
  wait_for_sockets (abuse.relay, 1);
  baseline = test_relay_resident_bytes (abuse.relay);

  for (guint i = 0; i < NON_READERS; i++)
    readers[i] = test_raw_websocket_open (abuse.relay, bob->auth, TRUE, NULL);
  /* Memory while they all hang on, before the deadline. */
  until = g_get_monotonic_time () + (WRITE_TIMEOUT_SECONDS - 1) * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < until)
    {
      peak = MAX (peak, test_relay_resident_bytes (abuse.relay));
      g_usleep (50 * G_TIME_SPAN_MILLISECOND);
    }
  g_test_message ("resident %.1f MiB before the clients, %.1f MiB at most with them",
                  (double) baseline / (1024 * 1024), (double) peak / (1024 * 1024));
  g_assert_cmpuint (peak, <, baseline + MEMORY_BOUND_BYTES);

  /* Every one of them is dropped, the replaced ones included. */
  until = g_get_monotonic_time () + WRITE_TIMEOUT_SECONDS * G_USEC_PER_SEC + DEADLINE_SLACK_US;
  while (test_relay_tcp_sockets (abuse.relay) > 1 && g_get_monotonic_time () < until)
    g_usleep (50 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpuint (test_relay_tcp_sockets (abuse.relay), ==, 1);

  for (guint i = 0; i < NON_READERS; i++)
    close (readers[i]);
  abuse_finish (&abuse);
}

/* One client that reads nothing holds all the output the relay buffers
 * for every connection together: another client's envelopes wait in
 * storage rather than in memory, and all of them arrive once the relay
 * drops the one that does not read. */
#define BUDGET_ENVELOPES 12

static void
test_total_output_bound (void)
{
  g_autofree char *limits = g_strdup_printf (BACKLOG_QUEUE_LIMITS "websocket-total-bytes=1048576\n"
                                             "write-timeout-seconds=%u\n", WRITE_TIMEOUT_SECONDS);
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestAccount) bob = NULL;
  g_autoptr(TestAccount) carol = NULL;
  g_autoptr(TestSocket) reader = NULL;
  Abuse abuse = { 0 };
  int hog;

  abuse_start (&abuse, limits, NULL);
  alice = test_account_register (abuse.session, abuse.relay, "alice", 0);
  bob = test_account_register (abuse.session, abuse.relay, "bob", 0);
  carol = test_account_register (abuse.session, abuse.relay, "carol", 0);
  store_backlog (&abuse, alice, bob, BUDGET_ENVELOPES, BACKLOG_ENVELOPE_BYTES);
  /* Small enough for libsoup, which takes frames of up to 128 KiB. */
  store_backlog (&abuse, alice, carol, BUDGET_ENVELOPES, 64 * 1024);

  hog = test_raw_websocket_open (abuse.relay, bob->auth, TRUE, NULL);
  g_usleep (G_USEC_PER_SEC / 2);
  reader = test_socket_connect (abuse.session, abuse.relay, carol->auth);
  g_assert_no_error (reader->error);
  for (guint i = 0; i < BUDGET_ENVELOPES; i++)
    {
      g_autoptr(JsonNode) holder = NULL;
      JsonObject *envelope = test_socket_expect_envelope (reader, &holder);

      test_socket_ack (reader, json_object_get_string_member (envelope, "guid"));
    }
  test_socket_expect_drained (reader);
  g_clear_pointer (&reader, test_socket_free);
  close (hog);
  abuse_finish (&abuse);
}

/* A WebSocket whose client vanished without a FIN stays open as far as
 * TCP goes: a client that sends nothing for websocket-ping-seconds gets
 * a ping, and when no answer comes within websocket-pong-timeout-seconds
 * the relay closes the connection, so its device no longer counts as
 * online.  A client that answers (libsoup does by itself) stays. */
#define PING_SECONDS         1
#define PONG_TIMEOUT_SECONDS 1
#define CLOSE_MESSAGE        "{\"type\":\"close\",\"code\":4408,\"reason\":\"ping-timeout\"}"

/* The opcodes of the whole frames at the start of `stream`, which the
 * relay sends unmasked (RFC 6455, 5.2). */
static GArray *
frame_opcodes (GString *stream)
{
  GArray *opcodes = g_array_new (FALSE, FALSE, sizeof (guint8));
  const guint8 *bytes = (const guint8 *) stream->str;
  gsize at = 0;

  while (at + 2 <= stream->len)
    {
      guint8 opcode = bytes[at] & 0x0f;
      guint64 length = bytes[at + 1] & 0x7f;
      gsize header = 2;

      if (length == 126)
        {
          header = 4;
          if (at + header > stream->len)
            break;
          length = (guint64) bytes[at + 2] << 8 | bytes[at + 3];
        }
      else if (length == 127)
        {
          header = 10;
          if (at + header > stream->len)
            break;
          length = 0;
          for (guint i = 0; i < 8; i++)
            length = length << 8 | bytes[at + 2 + i];
        }
      if (at + header + length > stream->len)
        break;
      g_array_append_val (opcodes, opcode);
      at += header + (gsize) length;
    }
  return opcodes;
}

/* Whether `text` is in `stream`, which holds NULs (an empty frame's
 * length) that string functions would stop at. */
static gboolean
stream_contains (GString    *stream,
                 const char *text)
{
  gsize length = strlen (text);

  for (gsize at = 0; at + length <= stream->len; at++)
    if (memcmp (stream->str + at, text, length) == 0)
      return TRUE;
  return FALSE;
}

static void
test_silent_websocket (void)
{
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestAccount) bob = NULL;
  g_autoptr(TestSocket) answering = NULL;
  g_autoptr(TestSocket) again = NULL;
  g_autoptr(GString) frames = g_string_new (NULL);
  g_autoptr(GArray) opcodes = NULL;
  g_autoptr(JsonNode) holder = NULL;
  g_autofree char *guid = NULL;
  g_autofree char *limits = g_strdup_printf ("websocket-ping-seconds=%u\nwebsocket-pong-timeout-seconds=%u\n",
                                             PING_SECONDS, PONG_TIMEOUT_SECONDS);
  TestRelaySetup setup = { .metrics = TRUE };
  Abuse abuse = { 0 };
  TestReadResult result = TEST_READ_DATA;
  gint64 deadline;
  int silent;

  abuse_start (&abuse, limits, &setup);
  alice = test_account_register (abuse.session, abuse.relay, "alice", 0);
  bob = test_account_register (abuse.session, abuse.relay, "bob", 0);
  answering = test_socket_connect (abuse.session, abuse.relay, alice->auth);
  test_socket_expect_drained (answering);
  silent = test_raw_websocket_open (abuse.relay, bob->auth, FALSE, frames);

  /* Bob's client reads what comes and never answers; libsoup answers
   * Alice's pings as the loop runs. */
  deadline = g_get_monotonic_time () + (PING_SECONDS + PONG_TIMEOUT_SECONDS) * G_USEC_PER_SEC + DEADLINE_SLACK_US;
  while (result != TEST_READ_END && g_get_monotonic_time () < deadline)
    {
      result = test_raw_read (silent, frames, g_get_monotonic_time () + 50 * G_TIME_SPAN_MILLISECOND);
      while (g_main_context_iteration (NULL, FALSE));
    }
  g_assert_cmpint (result, ==, TEST_READ_END);
  close (silent);
  opcodes = frame_opcodes (frames);
  /* After the handshake: queue-empty, the ping, the close message and
   * the close frame. */
  g_assert_cmpuint (opcodes->len, ==, 4);
  g_assert_cmpuint (g_array_index (opcodes, guint8, 1), ==, 0x9);
  g_assert_cmpuint (g_array_index (opcodes, guint8, 3), ==, 0x8);
  g_assert_true (stream_contains (frames, CLOSE_MESSAGE));
  g_assert_cmpint (test_relay_metric (abuse.session, abuse.relay, "sotto_relay_open_connections{kind=\"websocket\"}"),
                   ==, 1);

  /* Alice answered, and is still online. */
  g_assert_false (answering->closed);
  g_free (test_send_envelope (abuse.session, abuse.relay, bob, alice, "AAEC"));
  g_assert_nonnull (test_socket_expect_envelope (answering, &holder));
  g_clear_pointer (&holder, json_node_unref);

  /* What is sent to Bob now waits for his next connection. */
  guid = test_send_envelope (abuse.session, abuse.relay, alice, bob, "AwQF");
  again = test_socket_connect (abuse.session, abuse.relay, bob->auth);
  g_assert_cmpstr (json_object_get_string_member (test_socket_expect_envelope (again, &holder), "guid"), ==, guid);
  g_clear_pointer (&again, test_socket_free);
  g_clear_pointer (&answering, test_socket_free);
  abuse_finish (&abuse);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/relay/abuse/slow-body", test_slow_body);
  g_test_add_func ("/relay/abuse/slow-headers", test_slow_headers);
  g_test_add_func ("/relay/abuse/slot-lockout", test_slot_lockout);
  g_test_add_func ("/relay/abuse/connection-limit", test_connection_limit);
  g_test_add_func ("/relay/abuse/descriptor-limit", test_descriptor_limit);
  g_test_add_func ("/relay/abuse/non-reading-websockets", test_non_reading_websockets);
  g_test_add_func ("/relay/abuse/total-output-bound", test_total_output_bound);
  g_test_add_func ("/relay/abuse/silent-websocket", test_silent_websocket);
  return g_test_run ();
}
