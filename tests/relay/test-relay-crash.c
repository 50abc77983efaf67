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
 * A second case sends one envelope at a time, as a client does at
 * everyday rates, and kills the relay a few answers after it started:
 * each send then comes within the commit spacing of the one before
 * (src/relay/relay-storage-sqlite.c), so the writer holds it back for
 * company, and nothing may be answered before that commit.
 *
 * Another case does the same as the first while other clients abuse the relay:
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

/* How a case sends: `total` envelopes, `in_flight` at a time, the relay
 * killed after `min_answers` up to `max_answers` answers. */
typedef struct
{
  guint total;
  guint in_flight;
  guint min_answers;
  guint max_answers;
} CrashPace;

static const CrashPace busy_pace = { 4000, 32, 50, 600 };
/* Answers come a fraction of a millisecond apart, so the relay is killed
 * within a few commit spacings of its start. */
static const CrashPace lone_pace = { 200, 1, 1, 8 };

#define SLOW_CLIENTS       8
#define TRICKLE_MS         500
/* Fewer slots than the sends in flight, the slow clients and the
 * WebSocket want together. */
#define ABUSE_CONF_LIMITS  "max-connections=36\nbody-timeout-seconds=2\n" \
                           "header-timeout-seconds=2\nwrite-timeout-seconds=2\n"

typedef struct
{
  char         *dir;
  TestRelay    *relay;
  SoupSession  *session;
  TestAccount  *alice;
  TestAccount  *bob;
  char         *url;
  const CrashPace *pace;

  guint         attempted;
  guint         in_flight;
  guint         kills;
  guint         answered_2xx;
  guint         failed;
  GHashTable   *sent;       /* content (base64) of every attempt */
  GHashTable   *accepted;   /* content of every attempt answered 2xx */
  guint         answers_until_kill;
  gboolean      restarting;

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
 * at a random point of a commit with up to pace->in_flight sends
 * pending, however fast the machine is. */
static void
schedule_kill (Crash *crash)
{
  crash->answers_until_kill = (guint) g_test_rand_int_range ((gint32) crash->pace->min_answers,
                                                             (gint32) crash->pace->max_answers + 1);
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
      if (!crash->restarting && --crash->answers_until_kill == 0 && crash->attempted < crash->pace->total)
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
      crash->relay = test_relay_start (crash->dir, NULL, NULL);
      set_url (crash);
      abusers_start (crash);
      crash->restarting = FALSE;
      schedule_kill (crash);
    }
  while (crash->in_flight < crash->pace->in_flight && crash->attempted < crash->pace->total)
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

/* Reads the recipient's whole queue on a WebSocket and acknowledges
 * every envelope, adding its content to `received`; every content must
 * be one of `sent`.  Returns how many arrived a second time. */
static guint
drain_queue (SoupSession *session,
             TestRelay   *relay,
             TestAccount *recipient,
             GHashTable  *sent,
             GHashTable  *received)
{
  g_autoptr(TestSocket) socket = test_socket_connect (session, relay, recipient->auth);
  guint duplicates = 0;

  g_assert_no_error (socket->error);
  for (;;)
    {
      g_autoptr(JsonNode) node = test_socket_next (socket, 10000);
      JsonObject *object;
      const char *content;

      g_assert_nonnull (node);
      object = json_node_get_object (node);
      if (g_strcmp0 (json_object_get_string_member (object, "type"), "queue-empty") == 0)
        break;
      g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "envelope");
      content = json_object_get_string_member (object, "content");
      /* Nothing arrives that was never sent. */
      g_assert_true (g_hash_table_contains (sent, content));
      if (!g_hash_table_add (received, g_strdup (content)))
        duplicates++;
      test_socket_ack (socket, json_object_get_string_member (object, "guid"));
    }
  return duplicates;
}

static void
run_crash (const CrashPace *pace,
           gboolean         abuse)
{
  Crash crash = { 0 };
  g_autoptr(GHashTable) received = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter iter;
  const char *content;
  guint duplicates;
  guint trickle = 0;
  gint64 start = g_get_monotonic_time ();
  /* Every send goes from Alice to Bob: her share of his queue must hold
   * them all.  Restarts keep the relay.conf written here. */
  g_autofree char *conf = g_strconcat (test_relay_relaxed_conf,
                                       "[limits]\nmax-queue-envelopes-per-sender=10000\n",
                                       abuse ? ABUSE_CONF_LIMITS : "", NULL);

  crash.pace = pace;
  crash.abuse = abuse;
  crash.non_reader = -1;
  for (guint i = 0; i < SLOW_CLIENTS; i++)
    crash.slow[i] = -1;
  crash.dir = test_relay_make_data_dir ();
  crash.relay = test_relay_start (crash.dir, conf, NULL);
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
  while (crash.attempted < pace->total || crash.in_flight > 0 || crash.restarting)
    g_main_context_iteration (NULL, TRUE);
  if (trickle != 0)
    g_source_remove (trickle);
  abusers_stop (&crash);
  g_test_message ("%u sends, %u answered 2xx, %u failed, %u kills", crash.attempted,
                  crash.answered_2xx, crash.failed, crash.kills);
  g_assert_cmpuint (crash.kills, >=, 3);
  g_assert_cmpuint (crash.answered_2xx, >=, pace->total / 2);

  /* One more crash with nothing in flight, then drain Bob's queue. */
  test_relay_kill (crash.relay);
  g_clear_pointer (&crash.relay, test_relay_free);
  soup_session_abort (crash.session);
  crash.relay = test_relay_start (crash.dir, NULL, NULL);
  duplicates = drain_queue (crash.session, crash.relay, crash.bob, crash.sent, received);

  /* Everything answered 2xx arrives. */
  g_hash_table_iter_init (&iter, crash.accepted);
  while (g_hash_table_iter_next (&iter, (gpointer *) &content, NULL))
    g_assert_true (g_hash_table_contains (received, content));
  g_test_message ("%u delivered (%u sent but unanswered were stored), %u duplicates, %.1f s",
                  g_hash_table_size (received),
                  g_hash_table_size (received) - g_hash_table_size (crash.accepted), duplicates,
                  (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);
  g_assert_cmpuint (duplicates, ==, 0);

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
  run_crash (&busy_pace, FALSE);
}

static void
test_crash_lone_sends (void)
{
  run_crash (&lone_pace, FALSE);
}

static void
test_crash_under_abuse (void)
{
  run_crash (&busy_pace, TRUE);
}

/* Everything else under SIGKILL: registrations, key uploads, bundle
 * fetches, sends and acknowledgements at once, with the relay killed
 * after a random number of answers in every round.  Afterwards every
 * answer must hold: a registration answered 200 exists with the UUID it
 * was given and its password works; no one-time prekey is ever handed
 * out twice, and every one whose upload was answered 200 was handed out
 * or is still there (or went to a fetch whose answer the kill lost);
 * every send answered 200 is delivered; and acknowledgements take what
 * they acknowledge out of the queue for good. */

#define MIXED_ROUNDS        4
#define MIXED_OPS_PER_ROUND 200
#define MIXED_IN_FLIGHT     16
#define MIXED_KEYS_PER_UPLOAD 5
#define MIXED_PASSWORD      "password-0123456789abcdef"

typedef enum
{
  MIXED_REGISTER,
  MIXED_UPLOAD,
  MIXED_FETCH,
  MIXED_SEND,
} MixedKind;

typedef struct
{
  SoupSession *session;
  TestRelay   *relay;
  TestAccount *alice;        /* whose prekeys are uploaded and fetched */
  TestAccount *bob;          /* who fetches, and receives */
  TestAccount *carol;        /* who sends */
  TestSocket  *socket;       /* Bob's, while the relay lives */
  guint        in_flight;
  guint        attempted;    /* in this round */
  guint        answers_until_kill;
  gboolean     killed;
  guint        registrations;
  guint        next_key_id;
  guint        unanswered_fetches;
  GHashTable  *registered;   /* username -> UUID, answered 200 */
  GHashTable  *key_ids;      /* every one-time prekey id uploaded */
  GHashTable  *stored_ids;   /* ids whose upload was answered 200 */
  GHashTable  *handed_out;   /* ids that answered fetches handed out */
  GHashTable  *sent;         /* content of every send */
  GHashTable  *accepted;     /* content of every send answered 200 */
  GHashTable  *received;     /* content of every envelope Bob got */
} Mixed;

typedef struct
{
  Mixed     *mixed;
  MixedKind  kind;
  char      *key;            /* the username or content */
  guint      first_id;
} MixedOp;

static void mixed_pump (Mixed *mixed);

static void
mixed_record (Mixed        *mixed,
              MixedOp      *op,
              JsonObject   *answer)
{
  JsonObject *device;

  switch (op->kind)
    {
    case MIXED_REGISTER:
      g_hash_table_insert (mixed->registered, g_steal_pointer (&op->key),
                           g_strdup (json_object_get_string_member (answer, "uuid")));
      break;
    case MIXED_UPLOAD:
      for (guint i = 0; i < MIXED_KEYS_PER_UPLOAD; i++)
        g_hash_table_add (mixed->stored_ids, GUINT_TO_POINTER (op->first_id + i));
      break;
    case MIXED_FETCH:
      device = json_array_get_object_element (json_object_get_array_member (answer, "devices"), 0);
      if (json_object_has_member (device, "preKey"))
        {
          guint id = (guint) json_object_get_int_member (json_object_get_object_member (device, "preKey"),
                                                         "keyId");

          /* Never handed out twice. */
          g_assert_true (g_hash_table_add (mixed->handed_out, GUINT_TO_POINTER (id)));
        }
      break;
    case MIXED_SEND:
    default:
      g_hash_table_add (mixed->accepted, g_steal_pointer (&op->key));
      break;
    }
}

static void
mixed_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  MixedOp *op = user_data;
  Mixed *mixed = op->mixed;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);

  mixed->in_flight--;
  if (body == NULL)
    {
      /* Only a dead relay leaves a request unanswered. */
      g_assert_true (mixed->killed);
      if (op->kind == MIXED_FETCH)
        mixed->unanswered_fetches++;
    }
  else
    {
      g_autoptr(JsonNode) node = json_from_string (g_bytes_get_data (body, NULL), NULL);

      g_assert_cmpuint (soup_message_get_status (message), ==, 200);
      mixed_record (mixed, op, json_node_get_object (node));
      if (!mixed->killed && --mixed->answers_until_kill == 0)
        {
          test_relay_kill (mixed->relay);
          mixed->killed = TRUE;
          soup_session_abort (mixed->session);
        }
    }
  g_free (op->key);
  g_free (op);
  mixed_pump (mixed);
}

static void
mixed_start (Mixed *mixed)
{
  MixedOp *op = g_new0 (MixedOp, 1);
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *path = NULL;
  g_autofree char *json = NULL;
  g_autofree char *keys = NULL;

  op->mixed = mixed;
  op->kind = (MixedKind) g_test_rand_int_range (MIXED_REGISTER, MIXED_SEND + 1);
  switch (op->kind)
    {
    case MIXED_REGISTER:
      op->key = g_strdup_printf ("mixed%u", mixed->registrations++);
      json = test_register_body (op->key, MIXED_PASSWORD, 1, 0, NULL);
      message = test_message_new (mixed->relay, "POST", "/v1/accounts", NULL, json);
      break;
    case MIXED_UPLOAD:
      op->first_id = mixed->next_key_id;
      mixed->next_key_id += MIXED_KEYS_PER_UPLOAD;
      for (guint i = 0; i < MIXED_KEYS_PER_UPLOAD; i++)
        g_hash_table_add (mixed->key_ids, GUINT_TO_POINTER (op->first_id + i));
      keys = test_prekeys_json (op->first_id, MIXED_KEYS_PER_UPLOAD, FALSE);
      json = g_strdup_printf ("{\"preKeys\":%s}", keys);
      message = test_message_new (mixed->relay, "PUT", "/v1/keys", mixed->alice->auth, json);
      break;
    case MIXED_FETCH:
      path = g_strdup_printf ("/v1/keys/%s/1", mixed->alice->uuid);
      message = test_message_new (mixed->relay, "GET", path, mixed->bob->auth, NULL);
      break;
    case MIXED_SEND:
    default:
      op->key = test_random_base64 (32, -1);
      g_hash_table_add (mixed->sent, g_strdup (op->key));
      path = g_strdup_printf ("/v1/messages/%s", mixed->bob->uuid);
      json = test_send_body (1, mixed->bob->registration_id, op->key);
      message = test_message_new (mixed->relay, "PUT", path, mixed->carol->auth, json);
      break;
    }
  mixed->attempted++;
  mixed->in_flight++;
  soup_session_send_and_read_async (mixed->session, message, G_PRIORITY_DEFAULT, NULL, mixed_done_cb, op);
}

static void
mixed_pump (Mixed *mixed)
{
  while (!mixed->killed && mixed->in_flight < MIXED_IN_FLIGHT && mixed->attempted < MIXED_OPS_PER_ROUND)
    mixed_start (mixed);
}

/* Bob stores and acknowledges whatever reached him. */
static void
mixed_take_envelopes (Mixed *mixed)
{
  JsonNode *node;

  while ((node = g_queue_pop_head (&mixed->socket->messages)) != NULL)
    {
      JsonObject *object = json_node_get_object (node);

      if (g_strcmp0 (json_object_get_string_member (object, "type"), "envelope") == 0)
        {
          const char *content = json_object_get_string_member (object, "content");

          g_assert_true (g_hash_table_contains (mixed->sent, content));
          g_hash_table_add (mixed->received, g_strdup (content));
          /* Once the relay is dead the envelope comes again next time. */
          if (soup_websocket_connection_get_state (mixed->socket->connection) == SOUP_WEBSOCKET_STATE_OPEN)
            test_socket_ack (mixed->socket, json_object_get_string_member (object, "guid"));
        }
      json_node_unref (node);
    }
}

static void
test_mixed_crash (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  /* Alice's uploads outrun the fetches: let her keep them all. */
  g_autofree char *conf = g_strconcat (test_relay_relaxed_conf,
                                       "[limits]\nmax-one-time-prekeys=100000\n", NULL);
  g_autoptr(GHashTable) remaining = g_hash_table_new (NULL, NULL);
  g_autoptr(GHashTable) left_over = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *alice_keys = NULL;
  Mixed mixed = { 0 };
  GHashTableIter iter;
  gpointer key, value;
  guint lost = 0;
  guint checked = 0;

  mixed.relay = test_relay_start (dir, conf, NULL);
  mixed.session = test_session_new ();
  mixed.registered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  mixed.key_ids = g_hash_table_new (NULL, NULL);
  mixed.stored_ids = g_hash_table_new (NULL, NULL);
  mixed.handed_out = g_hash_table_new (NULL, NULL);
  mixed.sent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  mixed.accepted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  mixed.received = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  mixed.alice = test_account_register (mixed.session, mixed.relay, "alice", 0);
  mixed.bob = test_account_register (mixed.session, mixed.relay, "bob", 0);
  mixed.carol = test_account_register (mixed.session, mixed.relay, "carol", 0);
  mixed.next_key_id = 1;

  for (guint round = 0; round < MIXED_ROUNDS; round++)
    {
      if (round > 0)
        mixed.relay = test_relay_start (dir, NULL, NULL);
      mixed.socket = test_socket_connect (mixed.session, mixed.relay, mixed.bob->auth);
      g_assert_no_error (mixed.socket->error);
      mixed.attempted = 0;
      mixed.killed = FALSE;
      mixed.answers_until_kill = (guint) g_test_rand_int_range (20, 150);
      mixed_pump (&mixed);
      while (mixed.in_flight > 0 || (!mixed.killed && mixed.attempted < MIXED_OPS_PER_ROUND))
        {
          g_main_context_iteration (NULL, TRUE);
          mixed_take_envelopes (&mixed);
        }
      /* A round that ran out of requests first ends with a kill too. */
      if (!mixed.killed)
        test_relay_kill (mixed.relay);
      g_clear_pointer (&mixed.socket, test_socket_free);
      g_clear_pointer (&mixed.relay, test_relay_free);
      soup_session_abort (mixed.session);
    }
  mixed.relay = test_relay_start (dir, NULL, NULL);
  g_test_message ("%u registered, %u prekeys stored, %u handed out, %u fetches unanswered, "
                  "%u sends accepted, %u received", g_hash_table_size (mixed.registered),
                  g_hash_table_size (mixed.stored_ids), g_hash_table_size (mixed.handed_out),
                  mixed.unanswered_fetches, g_hash_table_size (mixed.accepted),
                  g_hash_table_size (mixed.received));

  /* Registrations: each exists as answered, and the first few log in
   * (each login costs a password check). */
  g_hash_table_iter_init (&iter, mixed.registered);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autofree char *path = g_strdup_printf ("/v1/accounts/username/%s", (const char *) key);
      g_autoptr(TestResponse) response = test_request (mixed.session, mixed.relay, "GET", path,
                                                       mixed.alice->auth, NULL);

      g_assert_cmpuint (response->status, ==, 200);
      g_assert_cmpstr (json_object_get_string_member (test_response_object (response), "uuid"), ==, value);
      if (checked++ < 5)
        {
          g_autofree char *auth = test_basic_auth (value, 1, MIXED_PASSWORD);
          g_autoptr(TestResponse) whoami = test_request (mixed.session, mixed.relay, "GET",
                                                         "/v1/accounts/me", auth, NULL);

          g_assert_cmpuint (whoami->status, ==, 200);
        }
    }

  /* Prekeys: fetch what is left; none of it was handed out before. */
  alice_keys = g_strdup_printf ("/v1/keys/%s/1", mixed.alice->uuid);
  for (;;)
    {
      g_autoptr(TestResponse) response = test_request (mixed.session, mixed.relay, "GET", alice_keys,
                                                       mixed.bob->auth, NULL);
      JsonObject *device;
      guint id;

      g_assert_cmpuint (response->status, ==, 200);
      device = json_array_get_object_element (json_object_get_array_member (test_response_object (response),
                                                                            "devices"), 0);
      if (!json_object_has_member (device, "preKey"))
        break;
      id = (guint) json_object_get_int_member (json_object_get_object_member (device, "preKey"), "keyId");
      g_assert_true (g_hash_table_contains (mixed.key_ids, GUINT_TO_POINTER (id)));
      g_assert_false (g_hash_table_contains (mixed.handed_out, GUINT_TO_POINTER (id)));
      g_assert_true (g_hash_table_add (remaining, GUINT_TO_POINTER (id)));
    }
  g_hash_table_iter_init (&iter, mixed.stored_ids);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (mixed.handed_out, key) && !g_hash_table_contains (remaining, key))
      lost++;
  /* A key stored but in neither set went to a fetch whose answer the
   * kill cut off, one key per such fetch at most. */
  g_assert_cmpuint (lost, <=, mixed.unanswered_fetches);

  /* Sends: everything answered 200 arrived, now or before. */
  drain_queue (mixed.session, mixed.relay, mixed.bob, mixed.sent, mixed.received);
  g_hash_table_iter_init (&iter, mixed.accepted);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_assert_true (g_hash_table_contains (mixed.received, key));

  /* Acknowledgements: after a clean stop, nothing acknowledged is left. */
  g_assert_cmpint (test_relay_stop (mixed.relay), ==, 0);
  g_clear_pointer (&mixed.relay, test_relay_free);
  mixed.relay = test_relay_start (dir, NULL, NULL);
  drain_queue (mixed.session, mixed.relay, mixed.bob, mixed.sent, left_over);
  g_assert_cmpuint (g_hash_table_size (left_over), ==, 0);

  g_clear_object (&mixed.session);
  g_assert_cmpint (test_relay_stop (mixed.relay), ==, 0);
  test_relay_free (mixed.relay);
  test_account_free (mixed.alice);
  test_account_free (mixed.bob);
  test_account_free (mixed.carol);
  g_hash_table_unref (mixed.registered);
  g_hash_table_unref (mixed.key_ids);
  g_hash_table_unref (mixed.stored_ids);
  g_hash_table_unref (mixed.handed_out);
  g_hash_table_unref (mixed.sent);
  g_hash_table_unref (mixed.accepted);
  g_hash_table_unref (mixed.received);
  test_relay_remove_data_dir (dir);
}

/* A disk that fills mid-batch.  The relay's database may grow to only
 * FULL_DATABASE_BYTES ("max-database-bytes", which makes SQLite fail a
 * write that would grow it with the same SQLITE_FULL as a full disk),
 * and waves of sends and registrations meet it: a large send that no
 * longer fits fails in the middle of a batch, beside small ones and
 * registrations that still fit.  Every answer must match what was
 * committed: a send answered 2xx is delivered, one answered 503 never
 * is, a registration answered 200 exists and one answered 503 left its
 * username free.  Between rounds the recipient drains its queue, which
 * frees the space again. */

#define FULL_DATABASE_BYTES  (256 * 1024)
#define FULL_LARGE_BYTES     (40 * 1024)
#define FULL_ROUNDS          4
#define FULL_MAX_WAVES       60
#define FULL_SMALL_PER_WAVE  6

typedef struct
{
  SoupSession *session;
  TestRelay   *relay;
  TestAccount *alice;
  TestAccount *bob;
  guint        pending;
  guint        large_refused;
  guint        registrations;
  gboolean     registering;
  guint        unanswered;
  GHashTable  *sent;          /* content of every send */
  GHashTable  *accepted;      /* content of every send answered 2xx */
  GHashTable  *refused;       /* content of every send answered 5xx */
  GHashTable  *registered;    /* usernames answered 200 */
  GHashTable  *unregistered;  /* usernames answered 5xx */
} Full;

typedef struct
{
  Full     *full;
  char     *key;        /* the content sent or the username registered */
  gboolean  large;
  gboolean  registration;
} FullRequest;

typedef void (*FullNext) (Full *full);

static void
full_request_done_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  FullRequest *request = user_data;
  Full *full = request->full;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  guint status;

  /* A request whose connection broke before any answer may or may not
   * have been stored: only answers are checked. */
  if (body == NULL)
    {
      g_test_message ("a request got no answer: %s", error->message);
      full->unanswered++;
      status = 0;
    }
  else
    {
      status = soup_message_get_status (message);
      /* The relay either stores the request or says it could not. */
      if (status != 200)
        g_assert_cmpuint (status, ==, 503);
    }
  if (status != 0 && request->registration)
    g_hash_table_add (status == 200 ? full->registered : full->unregistered,
                      g_steal_pointer (&request->key));
  else if (status != 0)
    {
      g_hash_table_add (status == 200 ? full->accepted : full->refused, g_strdup (request->key));
      if (status != 200 && request->large)
        full->large_refused++;
    }
  full->pending--;
  if (request->registration)
    full->registering = FALSE;
  g_free (request->key);
  g_free (request);
}

static void
full_wrote_body_cb (SoupMessage *message,
                    gpointer     user_data)
{
  FullNext next = (FullNext) g_object_get_data (G_OBJECT (message), "next");

  next (user_data);
}

/* Starts a request; `next`, when not NULL, runs once its body is
 * written. */
static void
full_start (Full        *full,
            const char  *path,
            const char  *auth,
            const char  *json,
            FullRequest *request,
            FullNext     next)
{
  g_autoptr(SoupMessage) message = test_message_new (full->relay, request->registration ? "POST" : "PUT",
                                                    path, auth, json);

  if (next != NULL)
    {
      g_object_set_data (G_OBJECT (message), "next", next);
      g_signal_connect (message, "wrote-body", G_CALLBACK (full_wrote_body_cb), full);
    }
  request->full = full;
  full->pending++;
  soup_session_send_and_read_async (full->session, message, G_PRIORITY_DEFAULT, NULL,
                                    full_request_done_cb, request);
}

static void
full_send (Full     *full,
           gboolean  large,
           FullNext  next)
{
  FullRequest *request = g_new0 (FullRequest, 1);
  g_autofree char *path = g_strdup_printf ("/v1/messages/%s", full->bob->uuid);
  g_autofree char *json = NULL;

  request->large = large;
  request->key = test_random_base64 (large ? FULL_LARGE_BYTES : 48, -1);
  json = test_send_body (1, full->bob->registration_id, request->key);
  g_hash_table_add (full->sent, g_strdup (request->key));
  full_start (full, path, full->alice->auth, json, request, next);
}

static void
full_register (Full *full)
{
  FullRequest *request = g_new0 (FullRequest, 1);
  g_autofree char *json = NULL;

  request->registration = TRUE;
  request->key = g_strdup_printf ("full%u", full->registrations++);
  json = test_register_body (request->key, "password-0123456789abcdef", 1, 0, NULL);
  full->registering = TRUE;
  full_start (full, "/v1/accounts", NULL, json, request, NULL);
}

static void
full_send_smalls (Full *full)
{
  for (guint i = 0; i < FULL_SMALL_PER_WAVE; i++)
    full_send (full, FALSE, NULL);
}

static void
full_send_large (Full *full)
{
  full_send (full, TRUE, full_send_smalls);
}

/* One wave: a registration, and meanwhile chains of sends that keep the
 * writer busy until it is stored.  In each chain, a small send wakes the
 * writer; the large one, written while the writer commits it, and the
 * small ones written after it then share the writer's next batch, in
 * that order, and the registration's op lands in one of those batches. */
static void
full_wave (Full *full)
{
  full_register (full);
  do
    {
      full_send (full, FALSE, full_send_large);
      while (full->pending > (full->registering ? 1 : 0))
        g_main_context_iteration (NULL, TRUE);
    }
  while (full->registering);
}

/* Looks every username up; each lookup must be answered `status`. */
static void
assert_usernames (Full       *full,
                  GHashTable *usernames,
                  guint       status)
{
  GHashTableIter iter;
  const char *username;

  g_hash_table_iter_init (&iter, usernames);
  while (g_hash_table_iter_next (&iter, (gpointer *) &username, NULL))
    {
      g_autofree char *path = g_strdup_printf ("/v1/accounts/username/%s", username);
      g_autoptr(TestResponse) response = test_request (full->session, full->relay, "GET", path,
                                                       full->alice->auth, NULL);

      g_assert_cmpuint (response->status, ==, status);
    }
}

static guint
count_lines_with (const char *text,
                  const char *part)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    n += strstr (lines[i], part) != NULL;
  return n;
}

/* A full disk is logged once per interval, however many writes meet it:
 * a line for each failed transaction filled the log as fast as clients
 * retried. */
static void
test_disk_full_logged_once (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autofree char *conf = g_strdup_printf ("%s[limits]\nmax-database-bytes=%u\n",
                                           test_relay_relaxed_conf, FULL_DATABASE_BYTES);
  g_autofree char *debug = g_strdup (g_getenv ("G_DEBUG"));
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestAccount) bob = NULL;
  g_autofree char *path = NULL;
  g_autofree char *log = NULL;
  TestRelay *relay;
  guint refused = 0;

  /* As in the test above, the relay's warnings must not abort it. */
  g_setenv ("G_DEBUG", "gc-friendly", TRUE);
  relay = test_relay_start (dir, conf, NULL);
  if (debug != NULL)
    g_setenv ("G_DEBUG", debug, TRUE);
  else
    g_unsetenv ("G_DEBUG");
  alice = test_account_register (session, relay, "alice", 0);
  bob = test_account_register (session, relay, "bob", 0);
  path = g_strdup_printf ("/v1/messages/%s", bob->uuid);
  for (guint i = 0; i < 100 && refused < 20; i++)
    {
      g_autofree char *content = test_random_base64 (FULL_LARGE_BYTES, -1);
      g_autofree char *body = test_send_body (1, bob->registration_id, content);
      g_autoptr(TestResponse) response = test_request (session, relay, "PUT", path, alice->auth, body);

      if (response->status == 503)
        refused++;
      else
        g_assert_cmpuint (response->status, ==, 200);
    }
  g_assert_cmpuint (refused, ==, 20);
  log = test_relay_read_log (relay);
  g_test_message ("%u lines name SQLite", count_lines_with (log, "SQLite"));
  g_assert_cmpuint (count_lines_with (log, "SQLite"), ==, 1);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_free (relay);
  test_relay_remove_data_dir (dir);
}

static void
test_disk_fills_mid_batch (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autofree char *conf = g_strdup_printf ("%s[limits]\nmax-database-bytes=%u\n",
                                           test_relay_relaxed_conf, FULL_DATABASE_BYTES);
  g_autoptr(GHashTable) received = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Full full = { 0 };
  GHashTableIter iter;
  const char *key;
  guint waves = 0;
  g_autofree char *debug = g_strdup (g_getenv ("G_DEBUG"));

  /* The relay warns of every transaction the full disk rolls back, as
   * it should; here those warnings are expected and must not abort it,
   * as G_DEBUG=fatal-warnings, which it inherits from the suite, would. */
  g_setenv ("G_DEBUG", "gc-friendly", TRUE);
  full.relay = test_relay_start (dir, conf, NULL);
  if (debug != NULL)
    g_setenv ("G_DEBUG", debug, TRUE);
  else
    g_unsetenv ("G_DEBUG");
  full.session = test_session_new ();
  full.sent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  full.accepted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  full.refused = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  full.registered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  full.unregistered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  full.alice = test_account_register (full.session, full.relay, "alice", 0);
  full.bob = test_account_register (full.session, full.relay, "bob", 0);

  for (guint round = 0; round < FULL_ROUNDS; round++)
    {
      guint refused_before = full.large_refused;
      guint after_full = 0;

      /* Until the database has been full for a few waves. */
      for (guint wave = 0; wave < FULL_MAX_WAVES && after_full < 3; wave++, waves++)
        {
          full_wave (&full);
          if (full.large_refused > refused_before)
            after_full++;
        }
      g_assert_cmpuint (full.large_refused, >, refused_before);
      g_assert_cmpuint (drain_queue (full.session, full.relay, full.bob, full.sent, received), ==, 0);

      /* The drained queue left room: a registration alone is stored. */
      full_register (&full);
      while (full.pending > 0)
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpuint (g_hash_table_size (full.registered), >, round);
    }
  g_test_message ("%u waves: %u sends accepted, %u refused (%u large); %u registrations, %u refused; "
                  "%u requests unanswered", waves, g_hash_table_size (full.accepted),
                  g_hash_table_size (full.refused), full.large_refused, full.registrations,
                  g_hash_table_size (full.unregistered), full.unanswered);
  g_assert_cmpuint (g_hash_table_size (full.accepted), >, 0);
  g_assert_cmpuint (g_hash_table_size (full.registered), >, 0);

  /* Every registration answered 200 exists; none answered 503 does. */
  assert_usernames (&full, full.registered, 200);
  assert_usernames (&full, full.unregistered, 404);

  /* Every send answered 2xx arrived, and none answered 503 did. */
  g_hash_table_iter_init (&iter, full.accepted);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
    g_assert_true (g_hash_table_contains (received, key));
  g_hash_table_iter_init (&iter, full.refused);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
    g_assert_false (g_hash_table_contains (received, key));

  g_clear_object (&full.session);
  g_assert_cmpint (test_relay_stop (full.relay), ==, 0);
  test_relay_free (full.relay);
  test_account_free (full.alice);
  test_account_free (full.bob);
  g_hash_table_unref (full.sent);
  g_hash_table_unref (full.accepted);
  g_hash_table_unref (full.refused);
  g_hash_table_unref (full.registered);
  g_hash_table_unref (full.unregistered);
  test_relay_remove_data_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/relay/crash/sigkill-during-sends", test_crash);
  g_test_add_func ("/relay/crash/sigkill-after-lone-sends", test_crash_lone_sends);
  g_test_add_func ("/relay/crash/sigkill-during-sends-under-abuse", test_crash_under_abuse);
  g_test_add_func ("/relay/crash/sigkill-during-everything", test_mixed_crash);
  /* max-database-bytes bounds the SQLite file; a PostgreSQL server's
   * disk is its operator's to watch. */
  if (!test_relay_uses_postgresql ())
    {
      g_test_add_func ("/relay/crash/disk-fills-mid-batch", test_disk_fills_mid_batch);
      g_test_add_func ("/relay/crash/disk-full-logged-once", test_disk_full_logged_once);
    }
  return g_test_run ();
}
