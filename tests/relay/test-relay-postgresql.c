/* test-relay-postgresql.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What only the PostgreSQL backend does.  Its schema migrates from the
 * first version with the data in it kept, and it runs only on a server
 * that makes commits durable.  Several relay nodes share one database:
 * an envelope that one node accepts reaches a recipient connected to
 * another while it stays connected, a recipient that reconnects to
 * another node gets its queue, and a node killed with SIGKILL in the
 * middle of a burst loses and duplicates nothing that was acknowledged,
 * while its clients go on on the other node.  The one-time prekey
 * ration of an account holds across nodes, and each node's metrics name
 * it.  When the server stops and hangs, no node's loop waits on it, and
 * delivery across nodes resumes once it is back.  Runs only under
 * build-aux/with-postgresql.sh.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "relay-test-raw.h"
#include "relay-test-util.h"

#define DELIVERY_TIMEOUT_MS 10000

typedef struct
{
  char      *database;
  char      *dirs[2];
  TestRelay *nodes[2];
} Nodes;

static void
nodes_start_one (Nodes *nodes,
                 guint  i)
{
  TestRelaySetup setup = { NULL, FALSE, NULL, 0, nodes->database };
  /* The senders' shares of a queue must hold every send of a burst. */
  g_autofree char *conf = g_strconcat (test_relay_relaxed_conf,
                                       "[limits]\nmax-queue-envelopes-per-sender=10000\n", NULL);

  nodes->nodes[i] = test_relay_start_with (nodes->dirs[i], conf, &setup);
}

static void
nodes_start (Nodes      *nodes,
             const char *name)
{
  g_autofree char *database = g_strdup_printf ("%s_%08x", name, g_test_rand_int ());

  nodes->database = test_postgresql_database (database);
  for (guint i = 0; i < G_N_ELEMENTS (nodes->nodes); i++)
    {
      nodes->dirs[i] = test_relay_make_data_dir ();
      nodes_start_one (nodes, i);
    }
}

static void
nodes_finish (Nodes *nodes)
{
  for (guint i = 0; i < G_N_ELEMENTS (nodes->nodes); i++)
    {
      if (nodes->nodes[i] != NULL)
        g_assert_cmpint (test_relay_stop (nodes->nodes[i]), ==, 0);
      g_clear_pointer (&nodes->nodes[i], test_relay_free);
      test_relay_remove_data_dir (nodes->dirs[i]);
      g_free (nodes->dirs[i]);
    }
  g_free (nodes->database);
}

/* Starts node i on urls[i] with the configuration confs[i]. */
static void
nodes_start_each (Nodes              *nodes,
                  const char * const *urls,
                  const char * const *confs)
{
  for (guint i = 0; i < G_N_ELEMENTS (nodes->nodes); i++)
    {
      TestRelaySetup setup = { .database = urls[i] };

      nodes->dirs[i] = test_relay_make_data_dir ();
      nodes->nodes[i] = test_relay_start_with (nodes->dirs[i], confs[i], &setup);
    }
}

/* The next envelope on the socket, which must carry `content`; it is
 * acknowledged. */
static void
expect_envelope (TestSocket *socket,
                 const char *content)
{
  g_autoptr(JsonNode) node = test_socket_next (socket, DELIVERY_TIMEOUT_MS);
  JsonObject *object;

  g_assert_nonnull (node);
  object = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "envelope");
  g_assert_cmpstr (json_object_get_string_member (object, "content"), ==, content);
  test_socket_ack (socket, json_object_get_string_member (object, "guid"));
}

static void
expect_queue_empty (TestSocket *socket)
{
  g_autoptr(JsonNode) node = test_socket_next (socket, DELIVERY_TIMEOUT_MS);

  g_assert_nonnull (node);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "type"), ==, "queue-empty");
}

/* A WebSocket of `account`'s device 1 on `relay`, with its queue read
 * to the end, which must be empty. */
static TestSocket *
connect_drained (SoupSession *session,
                 TestRelay   *relay,
                 TestAccount *account)
{
  TestSocket *socket = test_socket_connect (session, relay, account->auth);

  g_assert_no_error (socket->error);
  expect_queue_empty (socket);
  return socket;
}

/* Sends an online-only envelope with `content` to device 1 of `to`
 * through `relay`, which answers it at once whether anyone takes it. */
static void
send_online (SoupSession *session,
             TestRelay   *relay,
             TestAccount *from,
             TestAccount *to,
             const char  *content)
{
  g_autofree char *path = g_strdup_printf ("/v1/messages/%s", to->uuid);
  g_autofree char *body = g_strdup_printf ("{\"online\":true,\"timestamp\":1767225600000,\"messages\":"
                                           "[{\"type\":1,\"destinationDeviceId\":1,"
                                           "\"destinationRegistrationId\":%u,\"content\":\"%s\"}]}",
                                           to->registration_id, content);
  g_autoptr(TestResponse) response = test_request (session, relay, "PUT", path, from->auth, body);

  g_assert_cmpuint (response->status, ==, 200);
}

/* The next message on the socket, which must be an online-only
 * envelope: passed on through the same notifications as the queue's,
 * it shows that its node has seen every notification before it. */
static void
expect_online (TestSocket *socket)
{
  g_autoptr(JsonNode) node = test_socket_next (socket, DELIVERY_TIMEOUT_MS);

  g_assert_nonnull (node);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (node), "online"));
}

static void
test_delivery (void)
{
  Nodes nodes = { 0 };
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestAccount) bob = NULL;
  g_autoptr(TestSocket) socket = NULL;
  const char *later[] = { "bGF0ZXIgMQ==", "bGF0ZXIgMg==", "bGF0ZXIgMw==" };

  nodes_start (&nodes, "delivery");
  /* An account made on one node is known to the other. */
  alice = test_account_register (session, nodes.nodes[0], "alice", 2);
  bob = test_account_register (session, nodes.nodes[1], "bob", 2);

  /* Bob waits on node 1; Alice sends through node 0. */
  socket = test_socket_connect (session, nodes.nodes[1], bob->auth);
  g_assert_no_error (socket->error);
  expect_queue_empty (socket);
  g_free (test_send_envelope (session, nodes.nodes[0], alice, bob, "bm93"));
  expect_envelope (socket, "bm93");
  /* And the other way round, through the node he is on. */
  g_free (test_send_envelope (session, nodes.nodes[1], alice, bob, "YWdhaW4="));
  expect_envelope (socket, "YWdhaW4=");
  g_clear_pointer (&socket, test_socket_free);

  /* Sent while he is away, fetched from the other node. */
  for (guint i = 0; i < G_N_ELEMENTS (later); i++)
    g_free (test_send_envelope (session, nodes.nodes[1], alice, bob, later[i]));
  socket = test_socket_connect (session, nodes.nodes[0], bob->auth);
  g_assert_no_error (socket->error);
  for (guint i = 0; i < G_N_ELEMENTS (later); i++)
    expect_envelope (socket, later[i]);
  expect_queue_empty (socket);
  g_clear_pointer (&socket, test_socket_free);

  /* The acknowledgements, made on node 0, empty the queue for node 1
   * too, once node 0 has committed them: the relay gathers them and does
   * not answer them. */
  for (guint attempt = 0;; attempt++)
    {
      g_autoptr(JsonNode) node = NULL;

      g_assert_cmpuint (attempt, <, 50);
      socket = test_socket_connect (session, nodes.nodes[1], bob->auth);
      g_assert_no_error (socket->error);
      node = test_socket_next (socket, DELIVERY_TIMEOUT_MS);
      g_assert_nonnull (node);
      g_clear_pointer (&socket, test_socket_free);
      if (g_strcmp0 (json_object_get_string_member (json_node_get_object (node), "type"), "queue-empty") == 0)
        break;
      g_usleep (G_USEC_PER_SEC / 5);
    }

  g_clear_object (&session);
  nodes_finish (&nodes);
}

/* Two senders and a recipient.  Alice sends through node 0 and Bob
 * through node 1, both to Carol, who reads on node 0.  Node 0 is killed
 * after a random number of answers; Alice then sends through node 1, and
 * Carol reads there. */
#define BURST_SENDS     600   /* per sender */
#define BURST_IN_FLIGHT 16    /* per sender */

typedef struct _Burst Burst;

typedef struct
{
  Burst       *burst;
  TestAccount *account;
  SoupSession *session;
  guint        node;
  guint        attempted;
  guint        in_flight;
} Sender;

struct _Burst
{
  Nodes        nodes;
  TestAccount *carol;
  Sender       senders[2];
  guint        answers_until_kill;
  gboolean     killed;
  guint        answered_2xx;
  guint        failed;
  GHashTable  *sent;       /* content of every attempt */
  GHashTable  *accepted;   /* content of every attempt answered 2xx */
  GHashTable  *received;   /* content -> the GUID it came with */
  guint        stored_twice;
  guint        redelivered;
};

static void burst_pump (Sender *sender);

static void
burst_kill (Burst *burst)
{
  test_relay_kill (burst->nodes.nodes[0]);
  g_clear_pointer (&burst->nodes.nodes[0], test_relay_free);
  burst->killed = TRUE;
  /* Alice's sends in flight to the dead node fail; she goes on through
   * the other. */
  soup_session_abort (burst->senders[0].session);
  burst->senders[0].node = 1;
}

static void
burst_send_done_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  char *content = user_data;
  Sender *sender = g_object_get_data (source, "sender");
  Burst *burst = sender->burst;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  guint status = body != NULL ? soup_message_get_status (message) : 0;

  sender->in_flight--;
  if (status == 200)
    {
      burst->answered_2xx++;
      g_hash_table_add (burst->accepted, content);
      if (!burst->killed && --burst->answers_until_kill == 0)
        burst_kill (burst);
    }
  else
    {
      /* Only the dead node may fail a send, by not answering it. */
      g_assert_cmpuint (status, ==, 0);
      burst->failed++;
      g_free (content);
    }
  burst_pump (sender);
}

static void
burst_send_one (Sender *sender)
{
  Burst *burst = sender->burst;
  g_autofree char *url = g_strdup_printf ("%s/v1/messages/%s", burst->nodes.nodes[sender->node]->base_url,
                                          burst->carol->uuid);
  g_autoptr(SoupMessage) message = soup_message_new ("PUT", url);
  g_autofree char *plain = g_strdup_printf ("%s %05u %08x", sender->account->username, sender->attempted,
                                            g_test_rand_int ());
  char *content = g_base64_encode ((const guchar *) plain, strlen (plain));
  g_autofree char *json = test_send_body (1, burst->carol->registration_id, content);
  g_autoptr(GBytes) body = g_bytes_new (json, strlen (json));

  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                sender->account->auth);
  soup_message_set_request_body_from_bytes (message, "application/json", body);
  g_hash_table_add (burst->sent, g_strdup (content));
  sender->attempted++;
  sender->in_flight++;
  soup_session_send_and_read_async (sender->session, message, G_PRIORITY_DEFAULT, NULL,
                                    burst_send_done_cb, content);
}

static void
burst_pump (Sender *sender)
{
  while (sender->in_flight < BURST_IN_FLIGHT && sender->attempted < BURST_SENDS)
    burst_send_one (sender);
}

/* Takes what reached Carol's socket.  An envelope that comes again
 * under the GUID it came with was not acknowledged before the node that
 * held the acknowledgement died, which the protocol allows; one that
 * comes under another GUID was stored twice, which must never happen. */
static void
burst_receive (Burst      *burst,
               TestSocket *socket)
{
  JsonNode *node;

  while ((node = g_queue_pop_head (&socket->messages)) != NULL)
    {
      JsonObject *object = json_node_get_object (node);

      if (g_strcmp0 (json_object_get_string_member (object, "type"), "envelope") == 0)
        {
          const char *content = json_object_get_string_member (object, "content");
          const char *guid = json_object_get_string_member (object, "guid");
          const char *earlier;

          /* Nothing arrives that was never sent. */
          g_assert_true (g_hash_table_contains (burst->sent, content));
          earlier = g_hash_table_lookup (burst->received, content);
          if (earlier == NULL)
            g_hash_table_insert (burst->received, g_strdup (content), g_strdup (guid));
          else if (strcmp (earlier, guid) == 0)
            burst->redelivered++;
          else
            burst->stored_twice++;
          /* What a socket received before its node died is read after the
           * close; it cannot be acknowledged, and comes again elsewhere. */
          if (soup_websocket_connection_get_state (socket->connection) == SOUP_WEBSOCKET_STATE_OPEN)
            test_socket_ack (socket, guid);
        }
      json_node_unref (node);
    }
}

static gboolean
burst_all_received (Burst *burst)
{
  GHashTableIter iter;
  const char *content;

  g_hash_table_iter_init (&iter, burst->accepted);
  while (g_hash_table_iter_next (&iter, (gpointer *) &content, NULL))
    if (!g_hash_table_contains (burst->received, content))
      return FALSE;
  return TRUE;
}

static void
test_sigkill_mid_burst (void)
{
  Burst burst = { 0 };
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestSocket) socket = NULL;
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestAccount) bob = NULL;
  guint carol_node = 0;
  guint reconnects = 0;
  gint64 deadline;

  nodes_start (&burst.nodes, "burst");
  burst.sent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  burst.accepted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  burst.received = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  alice = test_account_register (session, burst.nodes.nodes[0], "alice", 0);
  bob = test_account_register (session, burst.nodes.nodes[1], "bob", 0);
  burst.carol = test_account_register (session, burst.nodes.nodes[0], "carol", 0);
  for (guint i = 0; i < G_N_ELEMENTS (burst.senders); i++)
    {
      burst.senders[i] = (Sender) { &burst, i == 0 ? alice : bob, test_session_new (), i, 0, 0 };
      g_object_set_data (G_OBJECT (burst.senders[i].session), "sender", &burst.senders[i]);
    }
  socket = test_socket_connect (session, burst.nodes.nodes[carol_node], burst.carol->auth);
  g_assert_no_error (socket->error);

  burst.answers_until_kill = (guint) g_test_rand_int_range (100, 500);
  for (guint i = 0; i < G_N_ELEMENTS (burst.senders); i++)
    burst_pump (&burst.senders[i]);
  /* Carol reads throughout, and goes to the other node when hers dies. */
  deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  while (burst.senders[0].in_flight > 0 || burst.senders[1].in_flight > 0 ||
         burst.senders[0].attempted < BURST_SENDS || burst.senders[1].attempted < BURST_SENDS ||
         !burst_all_received (&burst))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
      burst_receive (&burst, socket);
      if (socket->closed || (burst.killed && carol_node == 0))
        {
          g_clear_pointer (&socket, test_socket_free);
          carol_node = 1;
          reconnects++;
          socket = test_socket_connect (session, burst.nodes.nodes[carol_node], burst.carol->auth);
          g_assert_no_error (socket->error);
        }
    }
  g_test_message ("%u sends answered 2xx, %u failed with the node, %u received, %u delivered again "
                  "unacknowledged, %u stored twice",
                  burst.answered_2xx, burst.failed, g_hash_table_size (burst.received), burst.redelivered,
                  burst.stored_twice);
  g_assert_true (burst.killed);
  g_assert_cmpuint (reconnects, ==, 1);
  g_assert_cmpuint (burst.answered_2xx, >=, BURST_SENDS);
  g_assert_cmpuint (burst.stored_twice, ==, 0);

  g_clear_pointer (&socket, test_socket_free);
  for (guint i = 0; i < G_N_ELEMENTS (burst.senders); i++)
    g_clear_object (&burst.senders[i].session);
  g_clear_object (&session);
  test_account_free (burst.carol);
  g_hash_table_unref (burst.sent);
  g_hash_table_unref (burst.accepted);
  g_hash_table_unref (burst.received);
  nodes_finish (&burst.nodes);
}

static const char alice_uuid[] = "03710702-0ea9-454d-ab87-34a69d1848ab";
static const char alice_password[] = "password-fbb834a5c55b1d41";
static const char bob_uuid[] = "a3a3481e-bdfd-41de-9aa6-725df133b295";
static const char bob_password[] = "password-b6230e8ff58b46d6";

/* A database at schema version 1 with accounts and a queued envelope in
 * it: the relay migrates it to the latest version, and everything in it
 * still works. */
static void
test_migrate_v1 (void)
{
  g_autofree char *name = g_strdup_printf ("migrate_%08x", g_test_rand_int ());
  g_autofree char *url = test_postgresql_database (name);
  g_autofree char *dump_path = g_build_filename (RELAY_TEST_SRCDIR, "relay-postgresql-v1.sql", NULL);
  g_autofree char *dump = NULL;
  g_autofree char *fresh = NULL;
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestRelay) relay = NULL;
  g_autoptr(TestSocket) socket = NULL;
  g_autoptr(TestResponse) response = NULL;
  TestRelaySetup setup = { NULL, FALSE, NULL, 0, url };
  g_autoptr(TestAccount) alice = test_account_for (alice_uuid, alice_password, 11680);
  g_autoptr(TestAccount) bob = test_account_for (bob_uuid, bob_password, 9025);
  const char *start[] = { "--listen", "127.0.0.1:0", "--data-dir", dir, "--database", url, NULL };

  g_file_get_contents (dump_path, &dump, NULL, &error);
  g_assert_no_error (error);
  test_postgresql_query_int (url, dump);
  /* Fresh enough not to expire when the relay starts. */
  fresh = g_strdup_printf ("UPDATE queue SET server_timestamp = %" G_GINT64_FORMAT, g_get_real_time () / 1000);
  test_postgresql_query_int (url, fresh);

  relay = test_relay_start_with (dir, test_relay_relaxed_conf, &setup);
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT version FROM schema_version"), ==, 9);
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM schema_version"), ==, 1);
  /* Version 9's attachment blobs, their bytes stored out of line
   * uncompressed, and the accounts' usage. */
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM blobs"), ==, 0);
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM blob_usage"), ==, 0);
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM pg_attribute WHERE attrelid = 'blob_chunks'::regclass "
                                              "AND attname = 'data' AND attstorage = 'e'"), ==, 1);
  /* Version 8's queue has one B-tree, of the devices, and a BRIN index
   * of ages. */
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM pg_indexes WHERE tablename = 'queue'"), ==, 3);
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'queue_by_age' "
                                              "AND indexdef LIKE '%USING brin (server_timestamp)%'"), ==, 1);
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'queue'::regclass"),
                   ==, 0);
  /* Version 7's expiries: none on the envelope stored before, and an
   * index of those that have one. */
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM queue WHERE expires_at IS NULL"), ==, 1);
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'queue_by_expiry' "
                                              "AND indexdef LIKE '%WHERE (expires_at IS NOT NULL)%'"), ==, 1);
  /* Version 6 counted what the queue held: Bob's one envelope from
   * Alice, of 8 bytes. */
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM queue_added"), ==, 1);
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT envelopes * 1000 + bytes FROM queue_added "
                                              "WHERE account = 'a3a3481e-bdfd-41de-9aa6-725df133b295' "
                                              "AND source = '03710702-0ea9-454d-ab87-34a69d1848ab'"), ==, 1008);
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM queue_removed"), ==, 0);
  /* Version 5's access keys and profiles, version 4's password digests,
   * version 3's shared rate limits, and version 2's invites table and
   * ban flag are there. */
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM devices WHERE password_digest IS NULL"), ==, 2);
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM access_keys"), ==, 0);
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM profiles"), ==, 0);
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM rate_buckets"), ==, 0);
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM invites"), ==, 0);
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM accounts WHERE NOT banned"), ==, 2);

  /* Bob's password, his queue and its GUID key came through. */
  socket = test_socket_connect (session, relay, bob->auth);
  g_assert_no_error (socket->error);
  expect_envelope (socket, "bGVnYWN5LTA=");
  expect_queue_empty (socket);
  g_free (test_send_envelope (session, relay, alice, bob, "YWZ0ZXI="));
  expect_envelope (socket, "YWZ0ZXI=");
  g_clear_pointer (&socket, test_socket_free);
  /* Alice's account, keys included, too. */
  response = test_request (session, relay, "GET", "/v1/keys/a3a3481e-bdfd-41de-9aa6-725df133b295/1",
                           alice->auth, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  g_clear_pointer (&relay, test_relay_free);
  /* Their passwords, checked once, are remembered in the database. */
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM devices WHERE password_digest IS NULL"), ==, 0);
  /* Bob's queue is empty again, and the counts of it are gone. */
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM queue"), ==, 0);
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM queue_added"), ==, 0);
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM queue_removed"), ==, 0);

  /* A schema newer than the relay knows is left alone. */
  test_postgresql_query_int (url, "UPDATE schema_version SET version = 10");
  g_assert_cmpint (test_relay_run (start, NULL, &err), ==, 1);
  g_assert_nonnull (strstr (err, "The database has schema version 10, newer than this relay knows (9)"));
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT version FROM schema_version"), ==, 10);

  test_relay_remove_data_dir (dir);
}

/* A database that acknowledges commits before they are on disk would
 * let the relay answer what a crash loses: the relay does not start. */
static void
test_refuses_synchronous_commit_off (void)
{
  g_autofree char *name = g_strdup_printf ("async_%08x", g_test_rand_int ());
  g_autofree char *url = test_postgresql_database (name);
  g_autofree char *alter = g_strdup_printf ("ALTER DATABASE %s SET synchronous_commit = off", name);
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autofree char *err = NULL;
  const char *start[] = { "--listen", "127.0.0.1:0", "--data-dir", dir, "--database", url, NULL };

  test_postgresql_query_int (url, alter);
  g_assert_cmpint (test_relay_run (start, NULL, &err), ==, 1);
  g_assert_nonnull (strstr (err, "synchronous_commit off"));
  /* Nothing was made in it. */
  g_assert_cmpint (test_postgresql_query_int (url, "SELECT count(*) FROM pg_tables WHERE tablename = 'queue'"), ==, 0);
  test_relay_remove_data_dir (dir);
}

/* The key id of the one-time EC prekey a fetch of the account's device
 * 1 hands out through `relay`, or 0 for none (the last-resort keys). */
static gint64
fetch_one_time_key (SoupSession *session,
                    TestRelay   *relay,
                    TestAccount *asking,
                    TestAccount *target)
{
  g_autofree char *path = g_strdup_printf ("/v1/keys/%s/1", target->uuid);
  g_autoptr(TestResponse) response = test_request (session, relay, "GET", path, asking->auth, NULL);
  JsonObject *device;

  g_assert_cmpuint (response->status, ==, 200);
  device = json_array_get_object_element (json_object_get_array_member (test_response_object (response),
                                                                        "devices"), 0);
  if (!json_object_has_member (device, "preKey"))
    {
      g_assert_true (json_object_get_boolean_member (json_object_get_object_member (device, "pqPreKey"),
                                                     "lastResort"));
      return 0;
    }
  return json_object_get_int_member (json_object_get_object_member (device, "preKey"), "keyId");
}

/* The ration of one-time prekeys that fetches may take of one account
 * holds across nodes: what one node handed out counts on the other, so
 * that spreading fetches over nodes drains nobody's keys faster.  And
 * each node's /metrics names the node. */
static void
test_shared_prekey_ration (void)
{
  g_autofree char *name = g_strdup_printf ("ration_%08x", g_test_rand_int ());
  g_autofree char *url = test_postgresql_database (name);
  /* Three fetches a target, refilled at one a day. */
  g_autoptr(GString) conf = g_string_new (test_relay_relaxed_conf);
  TestRelaySetup setup = { .database = url, .metrics = TRUE };
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestAccount) bob = NULL;
  g_autoptr(TestAccount) carol = NULL;
  char *dirs[2];
  TestRelay *nodes[2];

  g_assert_cmpuint (g_string_replace (conf, "target-one-time-prekeys=100000/100000",
                                      "target-one-time-prekeys=0.00001/3", 0), ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    {
      dirs[i] = test_relay_make_data_dir ();
      nodes[i] = test_relay_start_with (dirs[i], conf->str, &setup);
    }
  alice = test_account_register (session, nodes[0], "alice", 2);
  bob = test_account_register (session, nodes[0], "bob", 10);
  carol = test_account_register (session, nodes[1], "carol", 0);

  /* Node 0 hands out the whole ration, to two requesters. */
  g_assert_cmpint (fetch_one_time_key (session, nodes[0], alice, bob), ==, 1);
  g_assert_cmpint (fetch_one_time_key (session, nodes[0], carol, bob), ==, 2);
  g_assert_cmpint (fetch_one_time_key (session, nodes[0], alice, bob), ==, 3);
  g_assert_cmpint (fetch_one_time_key (session, nodes[0], carol, bob), ==, 0);
  /* Node 1, which has not handed out any of Bob's keys itself, holds to
   * the same ration. */
  g_assert_cmpint (fetch_one_time_key (session, nodes[1], carol, bob), ==, 0);
  g_assert_cmpint (fetch_one_time_key (session, nodes[1], alice, bob), ==, 0);
  /* Alice's own keys have a ration of their own. */
  g_assert_cmpint (fetch_one_time_key (session, nodes[1], carol, alice), ==, 1);

  /* Each node's metrics say which node they come from. */
  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    {
      g_autofree char *text = test_relay_metrics_text (session, nodes[i]);
      g_autofree char *node = g_strdup_printf ("sotto_relay_node_info{host=\"%s\",pid=\"%s\"} 1\n",
                                               g_get_host_name (),
                                               g_subprocess_get_identifier (nodes[i]->process));

      g_assert_nonnull (strstr (text, node));
    }

  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    {
      g_assert_cmpint (test_relay_stop (nodes[i]), ==, 0);
      test_relay_free (nodes[i]);
      test_relay_remove_data_dir (dirs[i]);
      g_free (dirs[i]);
    }
}

/* A Unix socket where the test's server had its own, which takes
 * connections and never answers: a server that hangs, or a network
 * that drops packets.  Returns its descriptor. */
static int
black_hole_open (const char *path)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM, 0);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpuint (strlen (path), <, sizeof address.sun_path);
  strcpy (address.sun_path, path);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &address, sizeof address), ==, 0);
  g_assert_cmpint (listen (fd, 64), ==, 0);
  return fd;
}

/* Whether the relay's loop answers: a request that needs no storage,
 * within a bound (the session's timeout) far above what the loop takes
 * and below what a connection attempt that blocked it would. */
static guint
loop_answers (SoupSession *session,
              TestRelay   *relay)
{
  g_autoptr(TestResponse) response = test_request (session, relay, "GET", "/v1/no-such-endpoint", NULL, NULL);

  return response->status;
}

/* The PostgreSQL server stops under two running nodes, hangs for a
 * while (a socket that never answers), and comes back: neither node's
 * loop waits on it meanwhile, /v1/health answers all along, and an
 * envelope sent through one node afterwards reaches a recipient who
 * stayed connected to the other. */
static void
test_server_outage (void)
{
  g_autofree char *name = g_strdup_printf ("outage_%08x", g_test_rand_int ());
  g_autofree char *base = test_postgresql_database (name);
  /* A hanging server holds a connection attempt up to this long. */
  g_autofree char *url = g_strconcat (base, "&connect_timeout=20", NULL);
  g_autofree char *socket_path = g_build_filename (g_getenv ("SOTTO_TEST_POSTGRESQL_HOST"), ".s.PGSQL.5432", NULL);
  /* The nodes warn of the outage, as they should: warnings must not
   * abort them here. */
  const char * const env[] = { "G_DEBUG", NULL };
  TestRelaySetup setup = { .database = url, .env = env };
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(SoupSession) impatient = soup_session_new_with_options ("timeout", 8, "proxy-resolver", NULL, NULL);
  g_autoptr(SoupSession) patient = soup_session_new_with_options ("timeout", 90, "proxy-resolver", NULL, NULL);
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestAccount) bob = NULL;
  g_autoptr(TestSocket) socket = NULL;
  g_autoptr(JsonNode) node = NULL;
  char *dirs[2];
  TestRelay *nodes[2];
  gint64 until;
  guint sent = 0;
  int hole;

  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    {
      dirs[i] = test_relay_make_data_dir ();
      nodes[i] = test_relay_start_with (dirs[i], test_relay_relaxed_conf, &setup);
    }
  alice = test_account_register (session, nodes[0], "alice", 1);
  bob = test_account_register (session, nodes[0], "bob", 1);
  socket = test_socket_connect (session, nodes[1], bob->auth);
  g_assert_no_error (socket->error);
  expect_queue_empty (socket);

  test_postgresql_server_stop ();
  hole = black_hole_open (socket_path);
  /* Longer than the pause between two attempts to listen again. */
  until = g_get_monotonic_time () + 8 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < until)
    {
      for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
        g_assert_cmpuint (loop_answers (impatient, nodes[i]), ==, 404);
      g_usleep (200 * 1000);
    }
  /* Health waits for the storage, which waits for the server to answer,
   * and then says that it cannot store. */
  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    {
      g_autoptr(TestResponse) health = test_request (patient, nodes[i], "GET", "/v1/health", NULL, NULL);

      g_assert_cmpuint (health->status, ==, 503);
    }

  close (hole);
  g_assert_cmpint (g_unlink (socket_path), ==, 0);
  test_postgresql_server_start ();

  /* Node 0 takes sends again once it has connected again. */
  for (guint attempt = 0; sent == 0; attempt++)
    {
      g_autofree char *body = test_send_body (1, bob->registration_id, "YmFjaw==");
      g_autofree char *path = g_strdup_printf ("/v1/messages/%s", bob->uuid);
      g_autoptr(TestResponse) response = test_request (session, nodes[0], "PUT", path, alice->auth, body);

      g_assert_cmpuint (attempt, <, 100);
      if (response->status == 200)
        sent++;
      else
        {
          g_assert_cmpuint (response->status, ==, 503);
          g_usleep (200 * 1000);
        }
    }
  /* Node 1 listens again, and Bob, who stayed connected to it, gets it. */
  node = test_socket_next (socket, 3 * DELIVERY_TIMEOUT_MS);
  g_assert_nonnull (node);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "content"), ==, "YmFjaw==");
  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    {
      g_autoptr(TestResponse) health = test_request (session, nodes[i], "GET", "/v1/health", NULL, NULL);

      g_assert_cmpuint (health->status, ==, 200);
    }

  g_clear_pointer (&socket, test_socket_free);
  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    {
      g_assert_cmpint (test_relay_stop (nodes[i]), ==, 0);
      test_relay_free (nodes[i]);
      test_relay_remove_data_dir (dirs[i]);
      g_free (dirs[i]);
    }
}

/* A connection that holds every table lock `statement` takes until it
 * is finished. */
static PGconn *
hold_lock (const char *url,
           const char *statement)
{
  PGconn *conn = PQconnectdb (url);
  PGresult *result;

  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  result = PQexec (conn, "BEGIN");
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);
  result = PQexec (conn, statement);
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);
  return conn;
}

/* Reads a raw WebSocket into `frames` until `deadline`, or until the
 * relay closes it; returns whether it did. */
static gboolean
read_until_closed (int      fd,
                   GString *frames,
                   gint64   deadline)
{
  while (g_get_monotonic_time () < deadline)
    if (test_raw_read (fd, frames, deadline) == TEST_READ_END)
      return TRUE;
  return FALSE;
}

/* The relay pings a WebSocket whose client has said nothing for a while
 * and closes it if no answer comes; that watch starts once the client is
 * authenticated.  Before, the client waits on the relay's password check
 * (a node that has not seen the device yet reads it from the database,
 * here held up by a lock), which counts against nobody, up to
 * websocket-auth-timeout-seconds.  The lock is held for
 * SLOW_CHECK_SECONDS, longer than the ping watch (2 s) but well inside
 * the relay's lock_timeout (5 s), after which the check would fail and
 * close the connection whatever the watch does. */
#define SLOW_CHECK_SECONDS 3
#define SLOW_CHECK_CONF    "[limits]\nwebsocket-ping-seconds=1\nwebsocket-pong-timeout-seconds=1\n" \
                           "websocket-auth-timeout-seconds=%u\n"

static void
test_slow_password_check (void)
{
  g_autofree char *name = g_strdup_printf ("slowcheck_%08x", g_test_rand_int ());
  g_autofree char *url = test_postgresql_database (name);
  TestRelaySetup setup = { .database = url };
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestAccount) bob = NULL;
  g_autoptr(GString) frames = g_string_new (NULL);
  /* Node 0 waits for checks longer than the lock is held, node 1 not. */
  const guint auth_timeouts[2] = { 30, 1 };
  char *dirs[2];
  TestRelay *nodes[2];
  PGconn *lock;
  gint64 start;
  int fd;

  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    {
      g_autofree char *limits = g_strdup_printf (SLOW_CHECK_CONF, auth_timeouts[i]);
      g_autofree char *conf = g_strconcat (test_relay_relaxed_conf, limits, NULL);

      dirs[i] = test_relay_make_data_dir ();
      nodes[i] = test_relay_start_with (dirs[i], conf, &setup);
    }
  alice = test_account_register (session, nodes[1], "alice", 1);
  bob = test_account_register (session, nodes[0], "bob", 1);

  /* Alice's client connects to node 0 and answers no ping: it waits
   * for its queue.  Her check takes longer than the relay lets an
   * authenticated client stay silent, and she gets her queue. */
  lock = hold_lock (url, "LOCK TABLE devices IN ACCESS EXCLUSIVE MODE");
  fd = test_raw_websocket_open (nodes[0], alice->auth, FALSE, frames);
  g_assert_false (read_until_closed (fd, frames, g_get_monotonic_time () + SLOW_CHECK_SECONDS * G_USEC_PER_SEC));
  PQfinish (lock);
  while (strstr (frames->str, "queue-empty") == NULL)
    g_assert_cmpint (test_raw_read (fd, frames, g_get_monotonic_time () + DELIVERY_TIMEOUT_MS * 1000), ==,
                     TEST_READ_DATA);
  g_assert_null (strstr (frames->str, "ping-timeout"));
  close (fd);

  /* Bob's check on node 1 outlasts its websocket-auth-timeout-seconds:
   * the relay closes the connection as unavailable, and his client may
   * try again. */
  g_string_truncate (frames, 0);
  lock = hold_lock (url, "LOCK TABLE devices IN ACCESS EXCLUSIVE MODE");
  start = g_get_monotonic_time ();
  fd = test_raw_websocket_open (nodes[1], bob->auth, FALSE, frames);
  g_assert_true (read_until_closed (fd, frames, start + SLOW_CHECK_SECONDS * G_USEC_PER_SEC));
  PQfinish (lock);
  g_assert_nonnull (strstr (frames->str, "{\"type\":\"close\",\"code\":4503,\"reason\":\"authentication-timeout\"}"));
  close (fd);

  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    {
      g_assert_cmpint (test_relay_stop (nodes[i]), ==, 0);
      test_relay_free (nodes[i]);
      test_relay_remove_data_dir (dirs[i]);
      g_free (dirs[i]);
    }
}

/* Online-only sends (typing indicators) are stored nowhere: a device
 * connected to another node than the sender's gets them through a
 * notification, and a device connected to none never does. */
static void
test_online_across_nodes (void)
{
  Nodes nodes = { 0 };
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestAccount) bob = NULL;
  g_autoptr(TestSocket) socket = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *envelope;

  nodes_start (&nodes, "online");
  alice = test_account_register (session, nodes.nodes[0], "alice", 1);
  bob = test_account_register (session, nodes.nodes[1], "bob", 1);
  socket = test_socket_connect (session, nodes.nodes[1], bob->auth);
  g_assert_no_error (socket->error);
  expect_queue_empty (socket);

  for (guint i = 0; i < G_N_ELEMENTS (nodes.nodes); i++)
    {
      /* Through either node, once. */
      send_online (session, nodes.nodes[i], alice, bob, "dHlwaW5n");
      node = test_socket_next (socket, DELIVERY_TIMEOUT_MS);
      g_assert_nonnull (node);
      envelope = json_node_get_object (node);
      g_assert_cmpstr (json_object_get_string_member (envelope, "type"), ==, "envelope");
      g_assert_true (json_object_get_boolean_member (envelope, "online"));
      g_assert_false (json_object_has_member (envelope, "guid"));
      g_assert_cmpstr (json_object_get_string_member (envelope, "content"), ==, "dHlwaW5n");
      g_assert_cmpstr (json_object_get_string_member (envelope, "source"), ==, alice->uuid);
      g_assert_cmpint (json_object_get_int_member (envelope, "sourceDevice"), ==, 1);
      g_assert_cmpint (json_object_get_int_member (envelope, "timestamp"), ==, G_GINT64_CONSTANT (1767225600000));
      g_clear_pointer (&node, json_node_unref);
      g_assert_null (test_socket_next (socket, 300));
    }
  g_clear_pointer (&socket, test_socket_free);

  /* Nothing was stored for a later connection, on either node. */
  for (guint i = 0; i < G_N_ELEMENTS (nodes.nodes); i++)
    {
      socket = test_socket_connect (session, nodes.nodes[i], bob->auth);
      g_assert_no_error (socket->error);
      expect_queue_empty (socket);
      g_clear_pointer (&socket, test_socket_free);
    }

  g_clear_object (&session);
  nodes_finish (&nodes);
}

/* Room for fetches.  A node holds at most websocket-total-bytes of
 * frames for all its connections, and a fetch reserves its page's share
 * of it from when it is submitted until its answer is back; a fetch
 * that finds no room waits, and goes once room is given back.  Room
 * given back by a fetch that found nothing to send must start it too:
 * on PostgreSQL every envelope reaches its recipient through a fetch,
 * and when the last fetches in flight all came back empty the waiting
 * ones waited for ever, their envelopes in the database (the stall of
 * the rounds benchmark, docs/performance.md).
 *
 * Node 1 holds room for one page only.  Its storage writer is held up
 * (its PostgreSQL backend stopped) while Bob's connection fetches with
 * nothing to find, so that the fetch keeps its room; Carol's connection
 * then has an envelope to fetch, through node 0, and no room to do it.
 * An online-only envelope to Bob, which needs no fetch, shows that node
 * 1 has seen both notifications, and then the writer goes on. */
#define STALL_NODE_NAME "sotto-stall-node"
#define STALL_NODE_CONF "[limits]\nmax-envelope-bytes=400000\nwebsocket-buffer-bytes=614400\n" \
                        "websocket-total-bytes=1048576\nwebsocket-ping-seconds=3600\n"

static PGresult *
exec_ok (PGconn     *conn,
         const char *sql,
         const char *parameter)
{
  const char *params[] = { parameter };
  PGresult *result = PQexecParams (conn, sql, parameter != NULL ? 1 : 0, NULL, params, NULL, NULL, 0);

  g_assert_cmpstr (PQresultErrorMessage (result), ==, "");
  return result;
}

/* Stops the backend of the node's storage writer where it waits for its
 * next statement, and so holds no lock that the other node needs.  Of
 * the node's connections (its writer, its listener, its blob store) the
 * writer is the one that counts the queue when it has nothing else to
 * do, once a second. */
static int
stop_writer_backend (PGconn *conn)
{
  for (guint attempt = 0;; attempt++)
    {
      PGresult *result = exec_ok (conn, "SELECT pid FROM pg_stat_activity WHERE application_name = $1 "
                                  "AND state = 'idle' AND query LIKE 'SELECT coalesce (sum (a.envelopes %'", STALL_NODE_NAME);
      g_autofree char *pid_text = NULL;
      gboolean idle;
      int pid;

      g_assert_cmpint (PQntuples (result), <=, 1);
      g_assert_cmpuint (attempt, <, 400);
      if (PQntuples (result) == 0)
        {
          PQclear (result);
          g_usleep (G_USEC_PER_SEC / 20);
          continue;
        }
      pid_text = g_strdup (PQgetvalue (result, 0, 0));
      pid = atoi (pid_text);
      PQclear (result);
      g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
      result = exec_ok (conn, "SELECT state = 'idle' FROM pg_stat_activity WHERE pid = $1::int", pid_text);
      idle = g_strcmp0 (PQgetvalue (result, 0, 0), "t") == 0;
      PQclear (result);
      if (idle)
        return pid;
      g_assert_cmpint (kill (pid, SIGCONT), ==, 0);
      g_usleep (G_USEC_PER_SEC / 20);
    }
}

static void
test_fetch_room_given_back (void)
{
  g_autofree char *name = g_strdup_printf ("room_%08x", g_test_rand_int ());
  g_autofree char *url = test_postgresql_database (name);
  g_autofree char *stall_url = g_strdup_printf ("%s&application_name=%s", url, STALL_NODE_NAME);
  g_autofree char *stall_conf = g_strconcat (test_relay_relaxed_conf, STALL_NODE_CONF, NULL);
  const char *urls[2] = { url, stall_url };
  const char *confs[2] = { test_relay_relaxed_conf, stall_conf };
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestAccount) bob = NULL;
  g_autoptr(TestAccount) carol = NULL;
  g_autoptr(TestSocket) bob_socket = NULL;
  g_autoptr(TestSocket) carol_socket = NULL;
  g_autofree char *bob_key = NULL;
  Nodes nodes = { 0 };
  PGconn *conn;
  int pid;

  nodes_start_each (&nodes, urls, confs);
  alice = test_account_register (session, nodes.nodes[0], "alice", 1);
  bob = test_account_register (session, nodes.nodes[0], "bob", 1);
  carol = test_account_register (session, nodes.nodes[0], "carol", 1);
  bob_socket = connect_drained (session, nodes.nodes[1], bob);
  carol_socket = connect_drained (session, nodes.nodes[1], carol);

  conn = PQconnectdb (url);
  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  pid = stop_writer_backend (conn);
  /* Bob's queue "changed": his fetch takes all the room there is. */
  bob_key = g_strdup_printf ("%s.1", bob->uuid);
  PQclear (exec_ok (conn, "SELECT pg_notify ('sotto_queue', $1)", bob_key));
  /* Carol's did, and her fetch waits for room. */
  g_free (test_send_envelope (session, nodes.nodes[0], alice, carol, "Y2Fyb2w="));
  send_online (session, nodes.nodes[0], alice, bob, "dHlwaW5n");
  expect_online (bob_socket);

  /* Bob's fetch comes back with nothing, and gives its room to Carol's. */
  g_assert_cmpint (kill (pid, SIGCONT), ==, 0);
  expect_envelope (carol_socket, "Y2Fyb2w=");
  PQfinish (conn);

  g_clear_pointer (&bob_socket, test_socket_free);
  g_clear_pointer (&carol_socket, test_socket_free);
  g_clear_object (&session);
  nodes_finish (&nodes);
}

/* An acknowledgement deletes its entries by key whatever the queue's
 * statistics say.  Analyzed just after a burst was read, the queue
 * counts as empty however large it still is on disk, and an
 * acknowledgement joined with it then read the whole table, once per
 * element (the stall of the rounds benchmark).  The test makes those
 * statistics, with other devices' entries in the queue, and reads the
 * plans that PostgreSQL's auto_explain logged for the nodes'
 * statements: every scan of the queue by a statement over arrays must
 * go by an index or by the entries' places. */
#define FILLER_ENTRIES 2000
#define FILL_QUEUE "INSERT INTO queue (account, device_id, tag, type, source, source_device, client_timestamp, " \
                   "server_timestamp, content) SELECT 'filler', 1, 1, 1, 'filler', 1, n, " \
                   "(extract (epoch FROM now ()) * 1000)::bigint, '\\x00' FROM generate_series (1, %d) n"

/* Whether every scan of the queue in `plan` (a node of an EXPLAIN in
 * JSON) and below it looks its rows up by a condition.  The node that
 * deletes names the table too, but reads nothing itself. */
static gboolean
scans_by_key (JsonObject *plan)
{
  JsonArray *children;

  if (g_str_has_suffix (json_object_get_string_member (plan, "Node Type"), "Scan") &&
      g_strcmp0 (json_object_get_string_member_with_default (plan, "Relation Name", ""), "queue") == 0 &&
      !json_object_has_member (plan, "Index Cond") && !json_object_has_member (plan, "TID Cond") &&
      !json_object_has_member (plan, "Recheck Cond"))
    return FALSE;
  children = json_object_has_member (plan, "Plans") ? json_object_get_array_member (plan, "Plans") : NULL;
  for (guint i = 0; children != NULL && i < json_array_get_length (children); i++)
    if (!scans_by_key (json_array_get_object_element (children, i)))
      return FALSE;
  return TRUE;
}

/* Checks the logged plans of the statements that delete from the queue
 * by arrays; returns how many there were. */
static guint
check_logged_deletes (const char *log)
{
  g_auto(GStrv) lines = g_strsplit (log, "\n", -1);
  guint checked = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GString) text = g_string_new (NULL);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *explained;
      const char *query;

      if (!g_str_has_suffix (lines[i], " plan:"))
        continue;
      while (lines[i + 1] != NULL && lines[i + 1][0] == '\t')
        g_string_append (text, lines[++i] + 1);
      g_assert_true (json_parser_load_from_data (parser, text->str, -1, NULL));
      explained = json_node_get_object (json_parser_get_root (parser));
      query = json_object_get_string_member (explained, "Query Text");
      if (strstr (query, "DELETE FROM queue") == NULL || strstr (query, "unnest") == NULL)
        continue;
      if (!scans_by_key (json_object_get_object_member (explained, "Plan")))
        g_error ("an acknowledgement read the whole queue:\n%s", text->str);
      checked++;
    }
  return checked;
}

static void
test_ack_by_key (void)
{
  g_autofree char *name = g_strdup_printf ("ackplan_%08x", g_test_rand_int ());
  g_autofree char *url = test_postgresql_database (name);
  g_autofree char *log_path = g_build_filename (g_getenv ("SOTTO_TEST_POSTGRESQL_HOST"), "server.log", NULL);
  g_autofree char *fill = g_strdup_printf (FILL_QUEUE, FILLER_ENTRIES);
  g_autofree char *log = NULL;
  g_autofree char *count_bob = NULL;
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestAccount) bob = NULL;
  g_autoptr(TestSocket) socket = NULL;
  const char *urls[2] = { url, url };
  const char *confs[2] = { test_relay_relaxed_conf, test_relay_relaxed_conf };
  const char *settings[] = { "session_preload_libraries = 'auto_explain'", "auto_explain.log_min_duration = 0",
                             "auto_explain.log_format = 'json'" };
  Nodes nodes = { 0 };
  PGconn *conn;

  conn = PQconnectdb (url);
  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  for (guint i = 0; i < G_N_ELEMENTS (settings); i++)
    {
      g_autofree char *sql = g_strdup_printf ("ALTER DATABASE %s SET %s", name, settings[i]);

      PQclear (exec_ok (conn, sql, NULL));
    }
  nodes_start_each (&nodes, urls, confs);
  alice = test_account_register (session, nodes.nodes[0], "alice", 1);
  bob = test_account_register (session, nodes.nodes[0], "bob", 1);

  /* The queue held a burst, read since, when it was analyzed; it holds
   * another device's now. */
  PQclear (exec_ok (conn, "ALTER TABLE queue SET (autovacuum_enabled = false)", NULL));
  PQclear (exec_ok (conn, fill, NULL));
  PQclear (exec_ok (conn, "DELETE FROM queue", NULL));
  PQclear (exec_ok (conn, "ANALYZE queue", NULL));
  PQclear (exec_ok (conn, fill, NULL));

  socket = connect_drained (session, nodes.nodes[1], bob);
  g_free (test_send_envelope (session, nodes.nodes[0], alice, bob, "aGk="));
  expect_envelope (socket, "aGk=");
  /* The acknowledgement is committed once the entry is gone. */
  count_bob = g_strdup_printf ("SELECT count(*) FROM queue WHERE account = '%s'", bob->uuid);
  for (guint attempt = 0; test_postgresql_query_int (url, count_bob) > 0; attempt++)
    {
      g_assert_cmpuint (attempt, <, 400);
      g_usleep (G_USEC_PER_SEC / 20);
    }
  PQfinish (conn);

  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  g_assert_cmpuint (check_logged_deletes (log), >, 0);

  g_clear_pointer (&socket, test_socket_free);
  g_clear_object (&session);
  nodes_finish (&nodes);
}

/* A fetch of envelopes that other transactions committed is answered
 * as soon as it is read, not when the batch it came in commits: the
 * batch's other ops may wait for locks, and its commit for the disk.
 * Node 1's writer is held in one batch (a send to Dave, whose device
 * row the test locks) while an acknowledgement of Bob's and a fetch of
 * Carol's gather for the next; the test holds up that batch's commit
 * too (the row in which the acknowledgement counts what it removed), and
 * Carol must get her envelope meanwhile.  Node 1 waits for locks
 * without a bound here, so that nothing times out. */
static PGconn *
begin_holding (const char *url,
               const char *statement,
               const char *parameter)
{
  PGconn *conn = PQconnectdb (url);

  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  PQclear (exec_ok (conn, "BEGIN", NULL));
  PQclear (exec_ok (conn, statement, parameter));
  return conn;
}

static void
test_fetch_before_commit (void)
{
  g_autofree char *name = g_strdup_printf ("early_%08x", g_test_rand_int ());
  g_autofree char *url = test_postgresql_database (name);
  g_autofree char *held_url = g_strdup_printf ("%s&application_name=%s&options=-c%%20lock_timeout%%3D0", url,
                                               STALL_NODE_NAME);
  const char *urls[2] = { url, held_url };
  const char *confs[2] = { test_relay_relaxed_conf, test_relay_relaxed_conf };
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestAccount) bob = NULL;
  g_autoptr(TestAccount) carol = NULL;
  g_autoptr(TestAccount) dave = NULL;
  g_autoptr(TestSocket) bob_socket = NULL;
  g_autoptr(TestSocket) carol_socket = NULL;
  g_autoptr(JsonNode) bobs = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *send = NULL;
  g_autofree char *removal = NULL;
  Nodes nodes = { 0 };
  PGconn *conn;
  PGconn *dave_row;
  PGconn *removed_row;

  nodes_start_each (&nodes, urls, confs);
  alice = test_account_register (session, nodes.nodes[0], "alice", 1);
  bob = test_account_register (session, nodes.nodes[0], "bob", 1);
  carol = test_account_register (session, nodes.nodes[0], "carol", 1);
  dave = test_account_register (session, nodes.nodes[0], "dave", 1);
  bob_socket = connect_drained (session, nodes.nodes[1], bob);
  carol_socket = connect_drained (session, nodes.nodes[1], carol);
  g_free (test_send_envelope (session, nodes.nodes[0], alice, bob, "Ym9i"));
  bobs = test_socket_next (bob_socket, DELIVERY_TIMEOUT_MS);
  g_assert_nonnull (bobs);

  /* Node 1's writer waits for Dave's device row in its batch. */
  dave_row = begin_holding (url, "SELECT 1 FROM devices WHERE account = $1 FOR UPDATE", dave->uuid);
  removal = g_strdup_printf ("INSERT INTO queue_removed (account, device_id, source, envelopes, bytes) "
                             "VALUES ($1, 1, '%s', 0, 0)", alice->uuid);
  removed_row = begin_holding (url, removal, bob->uuid);
  send = g_strdup_printf ("{\"type\":\"send\",\"id\":1,\"destination\":\"%s\",\"timestamp\":1767225600000,"
                          "\"messages\":[{\"type\":1,\"destinationDeviceId\":1,\"destinationRegistrationId\":%u,"
                          "\"content\":\"ZGF2ZQ==\"}]}", dave->uuid, dave->registration_id);
  soup_websocket_connection_send_text (bob_socket->connection, send);
  conn = PQconnectdb (url);
  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  for (guint attempt = 0;; attempt++)
    {
      PGresult *result = exec_ok (conn, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 "
                                  "AND wait_event_type = 'Lock'", STALL_NODE_NAME);
      gboolean waiting = g_strcmp0 (PQgetvalue (result, 0, 0), "1") == 0;

      PQclear (result);
      if (waiting)
        break;
      g_assert_cmpuint (attempt, <, 400);
      g_usleep (G_USEC_PER_SEC / 20);
    }

  /* Bob's acknowledgement, submitted before the answer to the message
   * after it, which needs no storage. */
  test_socket_ack (bob_socket, json_object_get_string_member (json_node_get_object (bobs), "guid"));
  soup_websocket_connection_send_text (bob_socket->connection, "{\"type\":\"send\",\"destination\":\"x\"}");
  node = test_socket_next (bob_socket, DELIVERY_TIMEOUT_MS);
  g_assert_nonnull (node);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "type"), ==, "error");
  g_clear_pointer (&node, json_node_unref);
  /* Carol's envelope, and an online-only one after it, which shows that
   * node 1 has asked for her queue. */
  g_free (test_send_envelope (session, nodes.nodes[0], alice, carol, "Y2Fyb2w="));
  send_online (session, nodes.nodes[0], alice, carol, "dHlwaW5n");
  expect_online (carol_socket);

  /* The first batch commits; the second waits at its commit, and Carol
   * has her envelope all the same. */
  PQfinish (dave_row);
  expect_envelope (carol_socket, "Y2Fyb2w=");
  PQfinish (removed_row);
  PQfinish (conn);

  g_clear_pointer (&bob_socket, test_socket_free);
  g_clear_pointer (&carol_socket, test_socket_free);
  g_clear_object (&session);
  nodes_finish (&nodes);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_true (test_relay_uses_postgresql ());
  g_test_add_func ("/relay/postgresql/migrate-v1", test_migrate_v1);
  g_test_add_func ("/relay/postgresql/refuses-synchronous-commit-off", test_refuses_synchronous_commit_off);
  g_test_add_func ("/relay/postgresql/nodes/delivery", test_delivery);
  g_test_add_func ("/relay/postgresql/nodes/sigkill-mid-burst", test_sigkill_mid_burst);
  g_test_add_func ("/relay/postgresql/nodes/shared-prekey-ration", test_shared_prekey_ration);
  g_test_add_func ("/relay/postgresql/nodes/server-outage", test_server_outage);
  g_test_add_func ("/relay/postgresql/nodes/slow-password-check", test_slow_password_check);
  g_test_add_func ("/relay/postgresql/nodes/online-across-nodes", test_online_across_nodes);
  g_test_add_func ("/relay/postgresql/nodes/fetch-room-given-back", test_fetch_room_given_back);
  g_test_add_func ("/relay/postgresql/nodes/ack-by-key", test_ack_by_key);
  g_test_add_func ("/relay/postgresql/nodes/fetch-before-commit", test_fetch_before_commit);
  return g_test_run ();
}
