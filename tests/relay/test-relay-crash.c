/* test-relay-crash.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Durability under crashes: thousands of envelopes are sent while the
 * relay is killed with SIGKILL at random moments and restarted on the
 * same data directory.  Afterwards every envelope the relay answered 2xx
 * must be delivered, and nothing may be delivered that was never sent.
 *
 * The second case does the same while other clients abuse the relay:
 * bodies that come a byte at a time, the recipient's own device on a
 * WebSocket that never reads the envelopes offered to it, and fewer
 * connection slots than the clients want, with short deadlines, so that
 * the relay drops connections, makes room and stops accepting
 * throughout.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay-test-raw.h"

#define TOTAL_SENDS   4000
#define IN_FLIGHT     32

#define SLOW_CLIENTS       8
#define TRICKLE_MS         500
/* Fewer slots than the sends in flight, the slow clients and the
 * WebSocket want together. */
#define ABUSE_CONF_LIMITS  "[limits]\nmax-connections=36\nbody-timeout-seconds=2\n" \
                           "header-timeout-seconds=2\nwrite-timeout-seconds=2\n"

typedef struct
{
  char         *dir;
  TestRelay    *relay;
  SoupSession  *session;
  TestAccount  *alice;
  TestAccount  *bob;
  char         *url;

  guint         attempted;
  guint         in_flight;
  guint         kills;
  guint         answered_2xx;
  guint         failed;
  GHashTable   *sent;       /* content (base64) of every attempt */
  GHashTable   *accepted;   /* content of every attempt answered 2xx */
  guint         answers_until_kill;
  gboolean      restarting;

  const char   *conf;
  gboolean      abuse;
  int           slow[SLOW_CLIENTS];   /* -1 until connected */
  int           non_reader;           /* Bob's device, never reading; -1 when none */
} Crash;

static void pump (Crash *crash);
static void kill_relay (Crash *crash);

/* Abusers come back with every relay, and go with it. */

static void
abusers_start (Crash *crash)
{
  if (!crash->abuse)
    return;
  crash->non_reader = test_raw_websocket_open (crash->relay, crash->bob->auth, TRUE, NULL);
}

static void
abusers_stop (Crash *crash)
{
  for (guint i = 0; i < SLOW_CLIENTS; i++)
    if (crash->slow[i] >= 0)
      {
        close (crash->slow[i]);
        crash->slow[i] = -1;
      }
  if (crash->non_reader >= 0)
    close (crash->non_reader);
  crash->non_reader = -1;
}

/* Each slow client sends a byte of its body; one the relay dropped, or
 * that has not connected yet, connects again. */
static gboolean
trickle_cb (gpointer user_data)
{
  static const char headers[] = "PUT /v1/keys HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                "Content-Length: 100000\r\n\r\n{";
  Crash *crash = user_data;

  if (crash->restarting)
    return G_SOURCE_CONTINUE;
  for (guint i = 0; i < SLOW_CLIENTS; i++)
    {
      if (crash->slow[i] < 0)
        {
          crash->slow[i] = test_raw_try_connect (crash->relay);
          if (crash->slow[i] >= 0 &&
              send (crash->slow[i], headers, sizeof headers - 1, MSG_NOSIGNAL) < 0)
            g_assert_true (errno == EPIPE || errno == ECONNRESET);
          continue;
        }
      if (send (crash->slow[i], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        {
          close (crash->slow[i]);
          crash->slow[i] = -1;
        }
    }
  return G_SOURCE_CONTINUE;
}

/* The relay dies after a random number of answers, which lands the kill
 * at a random point of a commit with up to IN_FLIGHT sends pending,
 * however fast the machine is. */
static void
schedule_kill (Crash *crash)
{
  crash->answers_until_kill = (guint) g_test_rand_int_range (50, 600);
}

static void
set_url (Crash *crash)
{
  g_free (crash->url);
  crash->url = g_strdup_printf ("%s/v1/messages/%s", crash->relay->base_url, crash->bob->uuid);
}

static void
send_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  char *content = user_data;
  Crash *crash = g_object_get_data (source, "crash");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  guint status = body != NULL ? soup_message_get_status (message) : 0;

  crash->in_flight--;
  if (status >= 200 && status < 300)
    {
      crash->answered_2xx++;
      g_hash_table_add (crash->accepted, content);
      if (!crash->restarting && --crash->answers_until_kill == 0 && crash->attempted < TOTAL_SENDS)
        {
          kill_relay (crash);
          return;
        }
    }
  else
    {
      /* Only a dead relay, or one that drops the connection, may fail a
       * send here. */
      if (status != 0)
        g_test_message ("a send was answered %u: %.*s", status,
                        (int) g_bytes_get_size (body), (const char *) g_bytes_get_data (body, NULL));
      g_assert_cmpuint (status, ==, 0);
      crash->failed++;
      g_free (content);
    }
  pump (crash);
}

static void
send_one (Crash *crash)
{
  g_autoptr(SoupMessage) message = soup_message_new ("PUT", crash->url);
  g_autofree char *plain = g_strdup_printf ("envelope %08u %08x", crash->attempted, g_test_rand_int ());
  char *content = g_base64_encode ((const guchar *) plain, strlen (plain));
  g_autofree char *json = test_send_body (1, crash->bob->registration_id, content);
  g_autoptr(GBytes) body = g_bytes_new (json, strlen (json));

  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                crash->alice->auth);
  soup_message_set_request_body_from_bytes (message, "application/json", body);
  g_hash_table_add (crash->sent, g_strdup (content));
  crash->attempted++;
  crash->in_flight++;
  soup_session_send_and_read_async (crash->session, message, G_PRIORITY_DEFAULT, NULL,
                                    send_done_cb, content);
}


static void
pump (Crash *crash)
{
  if (crash->restarting)
    {
      /* Restart only once every send to the dead relay has failed, so
       * that none of them can reach the new one. */
      if (crash->in_flight > 0)
        return;
      crash->relay = test_relay_start (crash->dir, crash->conf, NULL);
      set_url (crash);
      abusers_start (crash);
      crash->restarting = FALSE;
      schedule_kill (crash);
    }
  while (crash->in_flight < IN_FLIGHT && crash->attempted < TOTAL_SENDS)
    send_one (crash);
}

static void
kill_relay (Crash *crash)
{
  test_relay_kill (crash->relay);
  g_clear_pointer (&crash->relay, test_relay_free);
  abusers_stop (crash);
  crash->kills++;
  crash->restarting = TRUE;
  /* Drop pooled connections to the dead relay; the sends still in
   * flight fail, and pump() restarts the relay after the last one. */
  soup_session_abort (crash->session);
  pump (crash);
}

static void
run_crash (gboolean abuse)
{
  Crash crash = { 0 };
  g_autoptr(TestSocket) socket = NULL;
  g_autoptr(GHashTable) received = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *conf = g_strconcat (test_relay_relaxed_conf, abuse ? ABUSE_CONF_LIMITS : "", NULL);
  GHashTableIter iter;
  const char *content;
  guint duplicates = 0;
  guint trickle = 0;
  gint64 start = g_get_monotonic_time ();

  crash.conf = conf;
  crash.abuse = abuse;
  crash.non_reader = -1;
  for (guint i = 0; i < SLOW_CLIENTS; i++)
    crash.slow[i] = -1;
  crash.dir = test_relay_make_data_dir ();
  crash.relay = test_relay_start (crash.dir, crash.conf, NULL);
  crash.session = test_session_new ();
  g_object_set_data (G_OBJECT (crash.session), "crash", &crash);
  crash.sent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  crash.accepted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  crash.alice = test_account_register (crash.session, crash.relay, "alice", 0);
  crash.bob = test_account_register (crash.session, crash.relay, "bob", 0);
  set_url (&crash);
  abusers_start (&crash);
  if (abuse)
    trickle = g_timeout_add (TRICKLE_MS, trickle_cb, &crash);

  schedule_kill (&crash);
  pump (&crash);
  while (crash.attempted < TOTAL_SENDS || crash.in_flight > 0 || crash.restarting)
    g_main_context_iteration (NULL, TRUE);
  if (trickle != 0)
    g_source_remove (trickle);
  abusers_stop (&crash);
  g_test_message ("%u sends, %u answered 2xx, %u failed, %u kills", crash.attempted,
                  crash.answered_2xx, crash.failed, crash.kills);
  g_assert_cmpuint (crash.kills, >=, 3);
  g_assert_cmpuint (crash.answered_2xx, >=, TOTAL_SENDS / 2);

  /* One more crash with nothing in flight, then drain Bob's queue. */
  test_relay_kill (crash.relay);
  g_clear_pointer (&crash.relay, test_relay_free);
  soup_session_abort (crash.session);
  crash.relay = test_relay_start (crash.dir, crash.conf, NULL);
  socket = test_socket_connect (crash.session, crash.relay, crash.bob->auth);
  g_assert_no_error (socket->error);
  for (;;)
    {
      g_autoptr(JsonNode) node = test_socket_next (socket, 10000);
      JsonObject *object;

      g_assert_nonnull (node);
      object = json_node_get_object (node);
      if (g_strcmp0 (json_object_get_string_member (object, "type"), "queue-empty") == 0)
        break;
      g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "envelope");
      content = json_object_get_string_member (object, "content");
      /* Nothing arrives that was never sent. */
      g_assert_true (g_hash_table_contains (crash.sent, content));
      if (!g_hash_table_add (received, g_strdup (content)))
        duplicates++;
      test_socket_ack (socket, json_object_get_string_member (object, "guid"));
    }

  /* Everything answered 2xx arrives. */
  g_hash_table_iter_init (&iter, crash.accepted);
  while (g_hash_table_iter_next (&iter, (gpointer *) &content, NULL))
    g_assert_true (g_hash_table_contains (received, content));
  g_test_message ("%u delivered (%u sent but unanswered were stored), %u duplicates, %.1f s",
                  g_hash_table_size (received),
                  g_hash_table_size (received) - g_hash_table_size (crash.accepted), duplicates,
                  (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);
  g_assert_cmpuint (duplicates, ==, 0);

  g_clear_pointer (&socket, test_socket_free);
  g_clear_object (&crash.session);
  g_assert_cmpint (test_relay_stop (crash.relay), ==, 0);
  test_relay_free (crash.relay);
  test_account_free (crash.alice);
  test_account_free (crash.bob);
  g_hash_table_unref (crash.sent);
  g_hash_table_unref (crash.accepted);
  test_relay_remove_data_dir (crash.dir);
  g_free (crash.dir);
  g_free (crash.url);
}

static void
test_crash (void)
{
  run_crash (FALSE);
}

static void
test_crash_under_abuse (void)
{
  run_crash (TRUE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/relay/crash/sigkill-during-sends", test_crash);
  g_test_add_func ("/relay/crash/sigkill-during-sends-under-abuse", test_crash_under_abuse);
  return g_test_run ();
}
