/* test-relay-hangup.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Clients that go away.  Each case starts its own relay, brings one
 * connection into some state (idle, halfway through a request, waiting
 * for an answer, pipelining, a WebSocket with or without work queued),
 * then half-closes or closes it.  The relay must close its side, keep
 * no socket but its listening one, leave its event loop idle, still
 * serve, and exit cleanly on SIGTERM.
 *
 * libwebsockets 4.1 reports a pipelined request's body complete over
 * and over, and a relay that took that at its word once spun on a core,
 * never read the peer's FIN, left the socket in CLOSE-WAIT and ignored
 * SIGTERM.  The pipelined cases are about that.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay-test-raw.h"

/* How long the relay gets to notice that a peer left, and to let go of
 * its socket: far below the 20 s after which it drops stalled
 * connections by itself, so that only noticing counts. */
#define NOTICE_TIMEOUT_MS 5000
#define IDLE_WINDOW_US    G_USEC_PER_SEC

#define LARGE_ENVELOPES      64
#define LARGE_ENVELOPE_BYTES (96 * 1024)

typedef enum
{
  END_HALF_CLOSE,   /* shutdown (SHUT_WR), then read to the end */
  END_CLOSE,        /* close () at once */
} Ending;

typedef struct _Hangup Hangup;

/* Brings a fresh connection into the state of the case and returns it,
 * still open. */
typedef int (*Scenario) (Hangup *hangup);

typedef struct
{
  const char *path;
  Scenario    scenario;
  Ending      ending;
} Case;

struct _Hangup
{
  char        *dir;
  TestRelay   *relay;
  SoupSession *session;
  TestAccount *alice;
  TestAccount *bob;
  guint        idle_sockets;   /* TCP sockets before any client came */
};

/* Reads, discarding everything, until the relay closes its side. */
static gboolean
raw_read_to_end (int fd)
{
  return test_raw_read_to_end (fd, g_get_monotonic_time () + NOTICE_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND);
}

/* HTTP answers, as far as the cases need them. */

typedef struct
{
  guint    status;
  gboolean close;    /* said "Connection: close" */
} Reply;

/* Parses the complete answers at the start of `data`. */
static GArray *
parse_replies (const GString *data)
{
  GArray *replies = g_array_new (FALSE, TRUE, sizeof (Reply));
  gsize at = 0;

  for (;;)
    {
      const char *head = data->str + at;
      const char *end = strstr (head, "\r\n\r\n");
      g_autofree char *block = NULL;
      g_auto(GStrv) lines = NULL;
      guint64 content_length = 0;
      Reply reply = { 0 };

      if (end == NULL)
        break;
      block = g_strndup (head, (gsize) (end - head));
      lines = g_strsplit (block, "\r\n", -1);
      g_assert_true (g_str_has_prefix (lines[0], "HTTP/1.1 "));
      reply.status = (guint) g_ascii_strtoull (lines[0] + strlen ("HTTP/1.1 "), NULL, 10);
      for (guint i = 1; lines[i] != NULL; i++)
        {
          const char *colon = strchr (lines[i], ':');
          g_autofree char *name = NULL;
          g_autofree char *value = NULL;

          if (colon == NULL)
            continue;
          name = g_ascii_strdown (lines[i], colon - lines[i]);
          value = g_ascii_strdown (colon + 1, -1);
          g_strstrip (value);
          if (g_str_equal (name, "content-length"))
            content_length = g_ascii_strtoull (value, NULL, 10);
          else if (g_str_equal (name, "connection"))
            reply.close = g_str_equal (value, "close");
        }
      if ((gsize) (end + 4 - data->str) + content_length > data->len)
        break;
      at = (gsize) (end + 4 - data->str) + content_length;
      g_array_append_val (replies, reply);
    }
  return replies;
}

/* Reads until `wanted` answers are complete or the relay closes its
 * side; returns the answers, and whether it closed in `ended`. */
static GArray *
read_replies (int       fd,
              guint     wanted,
              gboolean *ended)
{
  gint64 deadline = g_get_monotonic_time () + NOTICE_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  g_autoptr(GString) buffer = g_string_new (NULL);
  GArray *replies = g_array_new (FALSE, TRUE, sizeof (Reply));

  *ended = FALSE;
  for (;;)
    {
      TestReadResult result = test_raw_read (fd, buffer, deadline);

      g_array_unref (replies);
      replies = parse_replies (buffer);
      if (result == TEST_READ_END)
        {
          *ended = TRUE;
          break;
        }
      if (result == TEST_READ_TIMEOUT)
        g_test_message ("%u of %u answers, and the connection still open", replies->len, wanted);
      g_assert_cmpint (result, ==, TEST_READ_DATA);
      if (replies->len >= wanted)
        break;
    }
  return replies;
}

static Reply *
reply_at (GArray *replies,
          guint   index)
{
  g_assert_cmpuint (replies->len, >, index);
  return &g_array_index (replies, Reply, index);
}

/* Requests, written by hand. */

static char *
health_request (void)
{
  return g_strdup ("GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
}

/* A request line and headers for a JSON @body whose Content-Length says
 * @declared bytes, followed by the first @sent bytes of @body; with
 * Authorization when @auth is not NULL. */
static char *
json_request (const char *method_and_path,
              const char *auth,
              const char *body,
              gsize       declared,
              gsize       sent)
{
  g_autofree char *authorization = auth != NULL ? g_strdup_printf ("Authorization: %s\r\n", auth) : g_strdup ("");

  return g_strdup_printf ("%s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Type: application/json\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n%.*s",
                          method_and_path, authorization, declared, (int) sent, body);
}

/* A send of one small envelope from Alice to Bob. */
static char *
send_request (Hangup *hangup)
{
  g_autofree char *content = test_random_base64 (64, -1);
  g_autofree char *body = test_send_body (1, hangup->bob->registration_id, content);
  g_autofree char *method_and_path = g_strdup_printf ("PUT /v1/messages/%s", hangup->bob->uuid);

  return json_request (method_and_path, hangup->alice->auth, body, strlen (body), strlen (body));
}

/* The relay, before and after. */

static void
hangup_start_relay (Hangup *hangup)
{
  hangup->relay = test_relay_start (hangup->dir, test_relay_relaxed_conf, NULL);
  hangup->idle_sockets = test_relay_tcp_sockets (hangup->relay);
  /* Its listening socket, at least. */
  g_assert_cmpuint (hangup->idle_sockets, >=, 1);
}

static void
hangup_register (Hangup *hangup)
{
  hangup->alice = test_account_register (hangup->session, hangup->relay, "alice", 0);
  hangup->bob = test_account_register (hangup->session, hangup->relay, "bob", 0);
}

/* libsoup's pooled connections go, so that only the case's connection
 * is left to the relay; they must not outstay it either. */
static void
hangup_drop_pool (Hangup *hangup)
{
  soup_session_abort (hangup->session);
}

static void
hangup_end (int    fd,
            Ending ending)
{
  if (ending == END_HALF_CLOSE)
    {
      gboolean ended;

      /* The relay may have closed first, and even reset the connection. */
      if (shutdown (fd, SHUT_WR) != 0)
        g_assert_cmpint (errno, ==, ENOTCONN);
      /* (a) The relay closes its side too. */
      ended = raw_read_to_end (fd);
      if (!ended)
        g_test_message ("the relay kept its side open after the client's FIN");
      g_assert_true (ended);
    }
  g_assert_cmpint (close (fd), ==, 0);
}

static void
hangup_check (Hangup *hangup)
{
  gint64 deadline = g_get_monotonic_time () + NOTICE_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  guint64 before;
  guint64 used;
  guint sockets;
  long ticks_per_second = sysconf (_SC_CLK_TCK);
  g_autoptr(TestResponse) health = NULL;

  /* (b) It lets go of the connection: no socket left in CLOSE-WAIT. */
  while ((sockets = test_relay_tcp_sockets (hangup->relay)) > hangup->idle_sockets &&
         g_get_monotonic_time () < deadline)
    g_usleep (20 * G_TIME_SPAN_MILLISECOND);
  if (sockets != hangup->idle_sockets)
    g_test_message ("the relay holds %u TCP sockets, %u when idle", sockets, hangup->idle_sockets);
  g_assert_cmpuint (sockets, ==, hangup->idle_sockets);

  /* (c) Its event loop rests: a loop that spins uses the whole second. */
  g_assert_cmpint (ticks_per_second, >, 0);
  before = test_relay_loop_ticks (hangup->relay);
  g_usleep (IDLE_WINDOW_US);
  used = test_relay_loop_ticks (hangup->relay) - before;
  if (used >= (guint64) ticks_per_second / 5)
    g_test_message ("the event loop used %" G_GUINT64_FORMAT " of %ld ticks while idle", used,
                    ticks_per_second);
  g_assert_cmpuint (used, <, (guint64) ticks_per_second / 5);

  /* (d) It still serves. */
  health = test_request (hangup->session, hangup->relay, "GET", "/v1/health", NULL, NULL);
  g_assert_cmpuint (health->status, ==, 200);
}

static void
test_hangup (gconstpointer data)
{
  const Case *hangup_case = data;
  Hangup hangup = { 0 };
  gint64 start = g_get_monotonic_time ();
  int fd;

  hangup.dir = test_relay_make_data_dir ();
  hangup.session = test_session_new ();
  hangup_start_relay (&hangup);

  fd = hangup_case->scenario (&hangup);
  hangup_end (fd, hangup_case->ending);
  hangup_check (&hangup);

  /* (e) And it drains and exits cleanly. */
  g_clear_object (&hangup.session);
  g_assert_cmpint (test_relay_stop (hangup.relay), ==, 0);
  g_clear_pointer (&hangup.relay, test_relay_free);
  g_clear_pointer (&hangup.alice, test_account_free);
  g_clear_pointer (&hangup.bob, test_account_free);
  test_relay_remove_data_dir (hangup.dir);
  g_free (hangup.dir);
  g_test_message ("%.2f s", (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);
}

/* HTTP scenarios. */

/* The first send of Alice and Bob, just registered, on a relay whose
 * connections to storage start afresh. */
static char *
first_send_request (Hangup *hangup)
{
  hangup_register (hangup);
  hangup_drop_pool (hangup);
  return send_request (hangup);
}

/* A new connection to the relay that has sent @request. */
static int
connection_with (Hangup     *hangup,
                 const char *request)
{
  int fd = test_raw_connect (hangup->relay);

  test_raw_write_string (fd, request);
  return fd;
}

/* A new keep-alive connection on which @request succeeded, waiting for
 * its next request. */
static int
connection_after (Hangup     *hangup,
                  const char *request)
{
  int fd = connection_with (hangup, request);
  g_autoptr(GArray) replies = NULL;
  gboolean ended;

  replies = read_replies (fd, 1, &ended);
  g_assert_false (ended);
  g_assert_cmpuint (reply_at (replies, 0)->status, ==, 200);
  return fd;
}

/* A keep-alive connection waiting for its next request. */
static int
scenario_idle_after_health (Hangup *hangup)
{
  g_autofree char *request = health_request ();

  return connection_after (hangup, request);
}

/* The same after a send, which went through storage and back. */
static int
scenario_idle_after_send (Hangup *hangup)
{
  g_autofree char *request = first_send_request (hangup);

  return connection_after (hangup, request);
}

static int
scenario_partial_headers (Hangup *hangup)
{
  return connection_with (hangup, "PUT /v1/messages/00000000-0000-4000-8000-000000000000 HTTP/1.1\r\n"
                                  "Host: 127.0.0.1\r\nContent-Le");
}

/* A body that stops a long way short of its Content-Length. */
static int
scenario_partial_body (Hangup *hangup)
{
  g_autofree char *body = NULL;
  g_autofree char *method_and_path = NULL;
  g_autofree char *request = NULL;

  hangup_register (hangup);
  hangup_drop_pool (hangup);
  body = test_send_body (1, hangup->bob->registration_id, "AAEC");
  method_and_path = g_strdup_printf ("PUT /v1/messages/%s", hangup->bob->uuid);
  request = json_request (method_and_path, hangup->alice->auth, body, strlen (body) + 10000, strlen (body) / 2);
  return connection_with (hangup, request);
}

/* The client leaves while its envelope is being stored. */
static int
scenario_send_in_flight (Hangup *hangup)
{
  g_autofree char *request = first_send_request (hangup);

  return connection_with (hangup, request);
}

/* The client leaves while its password is being hashed. */
static int
scenario_register_in_flight (Hangup *hangup)
{
  g_autofree char *body = test_register_body ("carol", "password-of-carol", 1234, 5, NULL);
  g_autofree char *request = json_request ("POST /v1/accounts", NULL, body, strlen (body), strlen (body));

  return connection_with (hangup, request);
}

/* Pipelining: several requests in one write, before any answer. */

static int
write_pipelined (Hangup     *hangup,
                 const char *first,
                 const char *second)
{
  g_autofree char *both = g_strconcat (first, second, NULL);

  hangup_drop_pool (hangup);
  return connection_with (hangup, both);
}

static int
scenario_pipelined_sends (Hangup *hangup)
{
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  hangup_register (hangup);
  first = send_request (hangup);
  second = send_request (hangup);
  return write_pipelined (hangup, first, second);
}

/* Left open, the connection gets the first send answered, with
 * "Connection: close", and the relay closes it: libwebsockets cannot
 * serve a pipelined request that has a body. */
static int
scenario_pipelined_sends_open (Hangup *hangup)
{
  int fd = scenario_pipelined_sends (hangup);
  g_autoptr(GArray) replies = NULL;
  gboolean ended;

  replies = read_replies (fd, 2, &ended);
  g_assert_true (ended);
  g_assert_cmpuint (replies->len, ==, 1);
  g_assert_cmpuint (reply_at (replies, 0)->status, ==, 200);
  g_assert_true (reply_at (replies, 0)->close);
  return fd;
}

/* Reads the answers to two pipelined requests and checks that each one
 * given is 200; returns how many there were.  *ended says whether the
 * relay ended the connection, *first_closes whether the first answer
 * said it would. */
static guint
read_pipelined_answers (int       fd,
                        gboolean *ended,
                        gboolean *first_closes)
{
  g_autoptr(GArray) replies = read_replies (fd, 2, ended);

  for (guint i = 0; i < replies->len; i++)
    g_assert_cmpuint (reply_at (replies, i)->status, ==, 200);
  *first_closes = reply_at (replies, 0)->close;
  return replies->len;
}

/* The health check is answered.  libwebsockets then hands the send's
 * headers over as its body, and the relay drops the connection rather
 * than follow it round; a relay that served the send would be fine too. */
static int
scenario_pipelined_health_send (Hangup *hangup)
{
  g_autofree char *first = health_request ();
  g_autofree char *second = NULL;
  gboolean ended;
  gboolean first_closes;
  int fd;

  hangup_register (hangup);
  second = send_request (hangup);
  fd = write_pipelined (hangup, first, second);
  if (read_pipelined_answers (fd, &ended, &first_closes) < 2)
    g_assert_true (ended);
  return fd;
}

/* The send is answered; the health check may be, or the send's answer
 * says "Connection: close" and the relay closes. */
static int
scenario_pipelined_send_health (Hangup *hangup)
{
  g_autofree char *first = NULL;
  g_autofree char *second = health_request ();
  gboolean ended;
  gboolean first_closes;
  int fd;

  hangup_register (hangup);
  first = send_request (hangup);
  fd = write_pipelined (hangup, first, second);
  if (read_pipelined_answers (fd, &ended, &first_closes) < 2)
    g_assert_true (ended && first_closes);
  return fd;
}

/* Requests without a body are safe to pipeline: both are answered and
 * the connection stays open. */
static int
scenario_pipelined_health_health (Hangup *hangup)
{
  g_autofree char *request = health_request ();
  g_autoptr(GArray) replies = NULL;
  gboolean ended;
  int fd = write_pipelined (hangup, request, request);

  replies = read_replies (fd, 2, &ended);
  g_assert_false (ended);
  g_assert_cmpuint (replies->len, ==, 2);
  g_assert_cmpuint (reply_at (replies, 0)->status, ==, 200);
  g_assert_cmpuint (reply_at (replies, 1)->status, ==, 200);
  g_assert_false (reply_at (replies, 1)->close);
  return fd;
}

/* WebSocket scenarios. */

/* Upgrades a fresh connection for `account` and returns it once the
 * relay has answered 101; what follows the answer goes to `rest`. */
static int
websocket_open (Hangup      *hangup,
                TestAccount *account,
                GString     *rest)
{
  return test_raw_websocket_open (hangup->relay, account->auth, FALSE, rest);
}

/* Authenticated, read to the end of its queue, waiting for envelopes. */
static int
scenario_websocket_live (Hangup *hangup)
{
  gint64 deadline = g_get_monotonic_time () + NOTICE_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  g_autoptr(GString) frames = g_string_new (NULL);
  int fd;

  hangup_register (hangup);
  hangup_drop_pool (hangup);
  fd = websocket_open (hangup, hangup->bob, frames);
  while (strstr (frames->str, "\"queue-empty\"") == NULL)
    g_assert_cmpint (test_raw_read (fd, frames, deadline), ==, TEST_READ_DATA);
  return fd;
}

/* Gone while the relay checks the password.  A relay remembers the
 * passwords it has just hashed or checked, so Bob signs in to a new one
 * that has to run Argon2id. */
static int
scenario_websocket_authenticating (Hangup *hangup)
{
  hangup_register (hangup);
  hangup_drop_pool (hangup);
  g_assert_cmpint (test_relay_stop (hangup->relay), ==, 0);
  g_clear_pointer (&hangup->relay, test_relay_free);
  hangup_start_relay (hangup);
  return websocket_open (hangup, hangup->bob, NULL);
}

/* Megabytes of envelopes waiting for a client that never reads them:
 * the relay's writes are stuck when the client leaves. */
static int
scenario_websocket_backlog (Hangup *hangup)
{
  g_autofree char *content = test_random_base64 (LARGE_ENVELOPE_BYTES, -1);
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  int fd;

  hangup_register (hangup);
  path = g_strdup_printf ("/v1/messages/%s", hangup->bob->uuid);
  body = test_send_body (1, hangup->bob->registration_id, content);
  for (guint i = 0; i < LARGE_ENVELOPES; i++)
    {
      g_autoptr(TestResponse) response = test_request (hangup->session, hangup->relay, "PUT", path,
                                                       hangup->alice->auth, body);

      g_assert_cmpuint (response->status, ==, 200);
    }
  hangup_drop_pool (hangup);
  fd = websocket_open (hangup, hangup->bob, NULL);
  /* Time for the relay to read the queue and fill the socket. */
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);
  return fd;
}

static const Case cases[] = {
  { "/relay/hangup/http/idle-after-health/half-close", scenario_idle_after_health, END_HALF_CLOSE },
  { "/relay/hangup/http/idle-after-health/close", scenario_idle_after_health, END_CLOSE },
  { "/relay/hangup/http/idle-after-send/half-close", scenario_idle_after_send, END_HALF_CLOSE },
  { "/relay/hangup/http/idle-after-send/close", scenario_idle_after_send, END_CLOSE },
  { "/relay/hangup/http/partial-headers/half-close", scenario_partial_headers, END_HALF_CLOSE },
  { "/relay/hangup/http/partial-headers/close", scenario_partial_headers, END_CLOSE },
  { "/relay/hangup/http/partial-body/half-close", scenario_partial_body, END_HALF_CLOSE },
  { "/relay/hangup/http/partial-body/close", scenario_partial_body, END_CLOSE },
  { "/relay/hangup/http/send-in-flight/half-close", scenario_send_in_flight, END_HALF_CLOSE },
  { "/relay/hangup/http/send-in-flight/close", scenario_send_in_flight, END_CLOSE },
  { "/relay/hangup/http/register-in-flight/half-close", scenario_register_in_flight, END_HALF_CLOSE },
  { "/relay/hangup/http/register-in-flight/close", scenario_register_in_flight, END_CLOSE },
  { "/relay/hangup/http/pipelined/send-send/half-close", scenario_pipelined_sends, END_HALF_CLOSE },
  { "/relay/hangup/http/pipelined/send-send/open", scenario_pipelined_sends_open, END_CLOSE },
  { "/relay/hangup/http/pipelined/health-send/open", scenario_pipelined_health_send, END_CLOSE },
  { "/relay/hangup/http/pipelined/send-health/half-close", scenario_pipelined_send_health, END_HALF_CLOSE },
  { "/relay/hangup/http/pipelined/health-health/half-close", scenario_pipelined_health_health, END_HALF_CLOSE },
  { "/relay/hangup/websocket/live/half-close", scenario_websocket_live, END_HALF_CLOSE },
  { "/relay/hangup/websocket/live/close", scenario_websocket_live, END_CLOSE },
  { "/relay/hangup/websocket/authenticating/half-close", scenario_websocket_authenticating, END_HALF_CLOSE },
  { "/relay/hangup/websocket/authenticating/close", scenario_websocket_authenticating, END_CLOSE },
  { "/relay/hangup/websocket/backlog/half-close", scenario_websocket_backlog, END_HALF_CLOSE },
  { "/relay/hangup/websocket/backlog/close", scenario_websocket_backlog, END_CLOSE },
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_test_add_data_func (cases[i].path, &cases[i], test_hangup);
  return g_test_run ();
}
