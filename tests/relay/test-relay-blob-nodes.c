/* test-relay-blob-nodes.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Attachment blobs on what only PostgreSQL does: several relay nodes on
 * one database that resume, count and expire each other's blobs, a
 * node frozen in the middle of a part, and the server restarted under
 * the relay.  The rest of the blob tests are in test-relay-blob.c.
 */

#include "config.h"

#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relay-test-blob.h"
#include "relay-test-raw.h"
/* Several relay nodes on one PostgreSQL database: another node of the
 * fixture relay's, on a data directory of its own, which `*dir` holds
 * for test_node_free(). */
static TestRelay *
start_node (TestFixture *fixture,
            const char  *conf,
            char       **dir)
{
  g_autofree char *url = test_relay_data_dir_database (fixture->dir);
  TestRelaySetup setup = { .database = url };

  *dir = test_relay_make_data_dir ();
  return test_relay_start_with (*dir, conf, &setup);
}

static void
stop_node (TestRelay *node,
           char      *dir)
{
  g_assert_cmpint (test_relay_stop (node), ==, 0);
  test_relay_free (node);
  test_relay_remove_data_dir (dir);
  g_free (dir);
}

/* A part sent to node A, cut off halfway; the upload resumed on node B,
 * which waits for A to let go of it, and downloaded whole from node C. */
static void
test_nodes_resume (TestFixture   *fixture,
                   gconstpointer  conf)
{
  guint64 size = 8 * TEST_BLOB_MIB + 5;
  g_autofree char *b_dir = NULL;
  g_autofree char *c_dir = NULL;
  TestRelay *b = start_node (fixture, conf, &b_dir);
  TestRelay *c = start_node (fixture, conf, &c_dir);
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, c, "bob", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, size, NULL);
  g_autoptr(TestResponse) done = NULL;
  gint64 offset;
  int fd;

  fd = test_blob_start_part (fixture->relay, alice->auth, id, 0, size, size, FALSE);
  test_blob_send_bytes (fd, 0, size / 2);
  close (fd);
  offset = test_blob_wait_for_offset_on (fixture, b, alice, id);
  g_assert_cmpint (offset, ==, (gint64) (size / 2));
  done = test_blob_put (b, alice->auth, id, (guint64) offset, size - (guint64) offset, size, TEST_BLOB_PART_RANGED);
  test_blob_assert_part_done (done, size, TRUE);
  test_blob_assert_downloads (c, bob->auth, id, size);
  test_blob_assert_downloads (fixture->relay, bob->auth, id, size);
  stop_node (b, g_steal_pointer (&b_dir));
  stop_node (c, g_steal_pointer (&c_dir));
}

/* One account's quota counts its blobs on every node. */
static void
test_nodes_quota (TestFixture   *fixture,
                  gconstpointer  conf)
{
  g_autofree char *b_dir = NULL;
  TestRelay *b = start_node (fixture, conf, &b_dir);
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *first = test_blob_create_upload (fixture, alice, 600000, NULL);
  g_autofree char *small = NULL;
  guint status = 0;

  g_assert_nonnull (first);
  g_assert_null (test_blob_create_upload_on (fixture, b, alice, 500000, &status));
  g_assert_cmpuint (status, ==, 507);
  small = test_blob_create_upload_on (fixture, b, alice, 300000, NULL);
  g_assert_nonnull (small);
  g_assert_null (test_blob_create_upload (fixture, alice, 200000, &status));
  g_assert_cmpuint (status, ==, 507);
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT bytes FROM blob_usage"), ==, 900000);
  stop_node (b, g_steal_pointer (&b_dir));
}

/* Parts of one upload sent to two nodes at once, each asking to be told
 * before it sends its body: one node lets its part in, and the other
 * answers `409 upload-busy`, to a part or to where the upload stands,
 * for as long as that part goes on. */
static void
test_nodes_racing_parts (TestFixture   *fixture,
                         gconstpointer  conf)
{
  guint64 size = 2 * TEST_BLOB_MIB + 1;
  g_autofree char *b_dir = NULL;
  TestRelay *b = start_node (fixture, conf, &b_dir);
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, size, NULL);
  g_autofree char *head = g_strdup_printf ("PUT /v1/attachments/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Authorization: %s\r\nExpect: 100-continue\r\n"
                                           "Content-Length: %" G_GUINT64_FORMAT "\r\n\r\n", id, alice->auth, size);
  gint64 deadline = g_get_monotonic_time () + TEST_BLOB_ANSWER_TIMEOUT_US;
  TestRelay *nodes[2] = { fixture->relay, b };
  int fds[2] = { test_raw_connect (nodes[0]), test_raw_connect (nodes[1]) };
  GString *replies[2] = { g_string_new (NULL), g_string_new (NULL) };
  g_autoptr(TestResponse) done = NULL;
  g_autoptr(TestResponse) hidden = NULL;
  int winner = -1;

  for (guint i = 0; i < 2; i++)
    test_raw_write_string (fds[i], head);
  for (int i = 0; i < 2; i++)
    {
      while (strstr (replies[i]->str, "\r\n\r\n") == NULL)
        g_assert_cmpint (test_raw_read (fds[i], replies[i], deadline), ==, TEST_READ_DATA);
      if (g_str_has_prefix (replies[i]->str, "HTTP/1.1 100 Continue\r\n"))
        {
          g_assert_cmpint (winner, ==, -1);
          winner = i;
          continue;
        }
      g_assert_true (g_str_has_prefix (replies[i]->str, "HTTP/1.1 409 "));
      while (strstr (replies[i]->str, "\"upload-busy\"") == NULL)
        g_assert_cmpint (test_raw_read (fds[i], replies[i], deadline), ==, TEST_READ_DATA);
    }
  g_assert_cmpint (winner, >=, 0);
  g_assert_null (test_blob_upload_status_on (fixture, nodes[1 - winner], alice, id, &hidden));
  g_assert_cmpuint (hidden->status, ==, 409);
  g_assert_cmpstr (test_response_error (hidden), ==, "upload-busy");
  test_blob_send_bytes (fds[winner], 0, size);
  done = test_blob_read_answer (fds[winner]);
  test_blob_assert_part_done (done, size, TRUE);
  test_blob_assert_downloads (nodes[1 - winner], alice->auth, id, size);
  for (guint i = 0; i < 2; i++)
    {
      close (fds[i]);
      g_string_free (replies[i], TRUE);
    }
  stop_node (b, g_steal_pointer (&b_dir));
}

/* Blobs that expire a second after they were made, swept every second. */
static const char *swept_limits =
  "[limits]\n"
  "blob-max-age-seconds=1\n"
  "blob-sweep-seconds=1\n";

/* On PostgreSQL a part under way does not keep the sweep from removing
 * its blob: the part's next chunk finds it gone, and is answered `410
 * expired`, as the part's end would be, not `404` as for a blob that
 * never was. */
static void
test_expired_mid_part (TestFixture   *fixture,
                       gconstpointer  conf)
{
  guint64 size = 2 * TEST_BLOB_MIB;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, size, NULL);
  g_autofree char *head = g_strdup_printf ("PUT /v1/attachments/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Authorization: %s\r\nExpect: 100-continue\r\n"
                                           "Content-Length: %" G_GUINT64_FORMAT "\r\n\r\n", id, alice->auth, size);
  gint64 deadline = g_get_monotonic_time () + TEST_BLOB_ANSWER_TIMEOUT_US;
  g_autoptr(GString) reply = g_string_new (NULL);
  g_autoptr(TestResponse) gone = NULL;
  gboolean committed;
  int fd = test_raw_connect (fixture->relay);

  /* The relay lets the body in once the part holds the upload. */
  test_raw_write_string (fd, head);
  while (strstr (reply->str, "\r\n\r\n") == NULL)
    g_assert_cmpint (test_raw_read (fd, reply, deadline), ==, TEST_READ_DATA);
  g_assert_true (g_str_has_prefix (reply->str, "HTTP/1.1 100 Continue\r\n"));
  while (test_blob_stored_bytes (fixture, id, &committed) >= 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  /* A whole chunk, which the relay reads to its end before it stores it. */
  test_blob_send_bytes (fd, 0, TEST_BLOB_MIB / 4);
  gone = test_blob_read_answer (fd);
  g_assert_cmpuint (gone->status, ==, 410);
  g_assert_cmpstr (test_response_error (gone), ==, "expired");
  close (fd);
}

static const char *frozen_limits =
  "[limits]\n"
  "body-timeout-seconds=5\n";

/* A node frozen (SIGSTOP, a paused VM) in the middle of a part keeps
 * its session: it ends once it has waited for its node for twice the
 * body deadline, so that the other nodes do not answer `409
 * upload-busy` for as long as the node stays frozen, and the upload
 * goes on from what was stored.  Frozen between two appends, its
 * session is idle and PostgreSQL ends it; frozen while it sent one,
 * which is likelier on a loaded machine, the other node ends it
 * (test_nodes_stuck_mid_statement() makes that case every time). */
static void
test_nodes_frozen (TestFixture   *fixture,
                   gconstpointer  conf)
{
  /* The frozen node warns of its lost session once it thaws. */
  const char *tolerant[] = { "G_DEBUG", NULL };
  guint64 size = 2 * TEST_BLOB_MIB;
  g_autofree char *url = test_relay_data_dir_database (fixture->dir);
  TestRelaySetup setup = { .database = url, .env = tolerant };
  g_autofree char *a_dir = test_relay_make_data_dir ();
  g_autofree char *b_dir = NULL;
  TestRelay *a = test_relay_start_with (a_dir, conf, &setup);
  TestRelay *b = start_node (fixture, conf, &b_dir);
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, size, NULL);
  g_autoptr(TestResponse) busy = NULL;
  g_autoptr(TestResponse) hidden = NULL;
  g_autoptr(TestResponse) done = NULL;
  gint64 deadline = g_get_monotonic_time () + TEST_BLOB_ANSWER_TIMEOUT_US;
  gint64 offset;
  int fd;

  fd = test_blob_start_part (a, alice->auth, id, 0, size, size, FALSE);
  test_blob_send_bytes (fd, 0, size / 2);
  for (;;)
    {
      g_autoptr(TestResponse) response = NULL;

      if (test_blob_upload_status_on (fixture, b, alice, id, &response) == NULL)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  g_subprocess_send_signal (a->process, SIGSTOP);
  g_assert_null (test_blob_upload_status_on (fixture, b, alice, id, &busy));
  g_assert_cmpstr (test_response_error (busy), ==, "upload-busy");
  /* Only its owner learns that a part is under way on another node. */
  g_assert_null (test_blob_upload_status_on (fixture, b, bob, id, &hidden));
  g_assert_cmpuint (hidden->status, ==, 404);
  offset = test_blob_wait_for_offset_on (fixture, b, alice, id);
  g_assert_cmpint (offset, <=, (gint64) (size / 2));
  done = test_blob_put (b, alice->auth, id, (guint64) offset, size - (guint64) offset, size, TEST_BLOB_PART_RANGED);
  test_blob_assert_part_done (done, size, TRUE);
  test_blob_assert_downloads (fixture->relay, alice->auth, id, size);
  close (fd);
  g_subprocess_send_signal (a->process, SIGCONT);
  stop_node (a, g_steal_pointer (&a_dir));
  stop_node (b, g_steal_pointer (&b_dir));
}

/* A node that stopped in the middle of sending a statement of a part
 * (frozen, or its path to the server cut, while it wrote an append's
 * bytes) leaves its session active, waiting for the rest, which no
 * timeout of PostgreSQL's ends.  The connection below stands in for it:
 * it holds the upload's lock, as a part does, and has sent the start of
 * a statement whose end stays in its buffer.  The owner, asking another
 * node where the upload stands, is answered `409 upload-busy` until
 * that session has waited for its node for twice the body deadline,
 * then where the upload stands, and the upload goes on. */
static void
test_nodes_stuck_mid_statement (TestFixture   *fixture,
                                gconstpointer  conf)
{
  const int length = 8 * TEST_BLOB_MIB;
  guint64 size = 1000;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, size, NULL);
  g_autofree char *url = test_relay_data_dir_database (fixture->dir);
  g_autofree char *hex = g_strndup (id, 8);
  g_autofree char *key = g_strdup_printf ("%lu", strtoul (hex, NULL, 16) & 0x7fffffff);
  g_autofree char *bytes = g_malloc0 (length);
  const char *params[] = { key };
  const char *values[] = { bytes };
  const int lengths[] = { length };
  const int formats[] = { 1 };
  gint64 deadline = g_get_monotonic_time () + TEST_BLOB_ANSWER_TIMEOUT_US;
  g_autoptr(TestResponse) busy = NULL;
  g_autoptr(TestResponse) done = NULL;
  PGconn *stuck = PQconnectdb (url);
  PGresult *locked;

  g_assert_cmpint (PQstatus (stuck), ==, CONNECTION_OK);
  /* The numbers relay-blob-store-postgresql.c locks an upload by. */
  locked = PQexecParams (stuck, "SELECT pg_advisory_lock (1399813236, $1::integer)", 1, NULL, params, NULL, NULL, 0);
  g_assert_cmpint (PQresultStatus (locked), ==, PGRES_TUPLES_OK);
  PQclear (locked);
  /* What the socket does not take of the statement stays in libpq's
   * buffer, for a flush that never comes. */
  g_assert_cmpint (PQsetnonblocking (stuck, 1), ==, 0);
  g_assert_cmpint (PQsendQueryParams (stuck, "SELECT length ($1)", 1, NULL, values, lengths, formats, 1), ==, 1);
  while (test_fixture_query_int (fixture, "SELECT count (*) FROM pg_stat_activity WHERE state = 'active' "
                                          "AND wait_event = 'ClientRead'") == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  g_assert_null (test_blob_upload_status_on (fixture, fixture->relay, alice, id, &busy));
  g_assert_cmpstr (test_response_error (busy), ==, "upload-busy");
  g_assert_cmpint (test_blob_wait_for_offset_on (fixture, fixture->relay, alice, id), ==, 0);
  done = test_blob_put (fixture->relay, alice->auth, id, 0, size, size, TEST_BLOB_PART_RANGED);
  test_blob_assert_part_done (done, size, TRUE);
  PQfinish (stuck);
}

/* Advisory locks of uploads that this node's parts hold. */
static gint64
uploads_locked (TestFixture *fixture)
{
  return test_fixture_query_int (fixture, "SELECT count (*) FROM pg_locks WHERE locktype = 'advisory' "
                                          "AND classid = 1399813236 AND objsubid = 2");
}

/* Slow parts of four accounts, each as many as blob-streams-per-account
 * lets it have (8), as many together as a node has connections for
 * parts (32): a fifth account still uploads, because one account may
 * hold only a few of those connections. */
static void
test_uploads_per_account (TestFixture   *fixture,
                          gconstpointer  conf)
{
  const guint64 size = TEST_BLOB_MIB;
  g_autoptr(GArray) fds = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(TestAccount) fifth = test_account_register (fixture->session, fixture->relay, "fifth", 0);
  g_autofree char *small = NULL;
  g_autoptr(TestResponse) done = NULL;
  gint64 deadline = g_get_monotonic_time () + TEST_BLOB_ANSWER_TIMEOUT_US;

  for (guint a = 0; a < 4; a++)
    {
      g_autofree char *name = g_strdup_printf ("slow%u", a);
      g_autoptr(TestAccount) slow = test_account_register (fixture->session, fixture->relay, name, 0);

      for (guint i = 0; i < 8; i++)
        {
          g_autofree char *id = test_blob_create_upload (fixture, slow, size, NULL);
          int fd = test_blob_start_part (fixture->relay, slow->auth, id, 0, size, size, FALSE);

          test_blob_send_bytes (fd, 0, 1000);
          g_array_append_val (fds, fd);
        }
    }
  /* Every part has either its upload open (its lock held) or an answer. */
  for (;;)
    {
      guint answered = 0;

      for (guint i = 0; i < fds->len; i++)
        {
          struct pollfd readable = { g_array_index (fds, int, i), POLLIN, 0 };

          answered += poll (&readable, 1, 0) == 1;
        }
      if (answered + uploads_locked (fixture) >= fds->len)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  small = test_blob_create_upload (fixture, fifth, 100, NULL);
  done = test_blob_put (fixture->relay, fifth->auth, small, 0, 100, 100, TEST_BLOB_PART_RANGED);
  test_blob_assert_part_done (done, 100, TRUE);
  for (guint i = 0; i < fds->len; i++)
    close (g_array_index (fds, int, i));
}

/* Another database on the same server, another relay's say, whose
 * session holds an advisory lock of the same numbers as an upload's:
 * that lock is not the upload's, and the upload is not busy. */
static void
test_other_database_lock (TestFixture   *fixture,
                          gconstpointer  conf)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, 1000, NULL);
  g_autofree char *name = g_strdup_printf ("other_%08x", g_test_rand_int ());
  g_autofree char *url = test_postgresql_database (name);
  g_autofree char *hex = g_strndup (id, 8);
  g_autofree char *key = g_strdup_printf ("%lu", strtoul (hex, NULL, 16) & 0x7fffffff);
  const char *params[] = { key };
  g_autoptr(TestResponse) response = NULL;
  PGconn *other = PQconnectdb (url);
  PGresult *locked;
  JsonObject *object;

  g_assert_cmpint (PQstatus (other), ==, CONNECTION_OK);
  /* The numbers relay-blob-store-postgresql.c locks an upload by. */
  locked = PQexecParams (other, "SELECT pg_advisory_lock (1399813236, $1::integer)", 1, NULL, params, NULL, NULL, 0);
  g_assert_cmpint (PQresultStatus (locked), ==, PGRES_TUPLES_OK);
  PQclear (locked);
  object = test_blob_upload_status_on (fixture, fixture->relay, alice, id, &response);
  g_assert_nonnull (object);
  g_assert_cmpint (json_object_get_int_member (object, "offset"), ==, 0);
  PQfinish (other);
}

/* PostgreSQL restarted under the relay: the connections its blob store
 * kept are gone, and the next request makes a new one rather than
 * failing on one of them. */
static void
test_postgresql_restart (TestFixture   *fixture,
                         gconstpointer  conf)
{
  /* The relay's storage warns of the outage, as it should. */
  const char *tolerant[] = { "G_DEBUG", NULL };
  g_autoptr(TestAccount) alice = NULL;
  g_autofree char *id = NULL;
  g_autofree char *later = NULL;
  g_autoptr(TestResponse) done = NULL;
  gint64 deadline;
  guint code = 0;

  g_assert_cmpint (test_relay_stop (fixture->relay), ==, 0);
  test_relay_free (fixture->relay);
  fixture->relay = test_relay_start_full (fixture->dir, conf, NULL, FALSE, tolerant);
  alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  id = test_blob_create_upload (fixture, alice, 1000, NULL);
  done = test_blob_put (fixture->relay, alice->auth, id, 0, 1000, 1000, TEST_BLOB_PART_WHOLE);
  test_blob_assert_part_done (done, 1000, TRUE);

  test_postgresql_server_stop ();
  test_postgresql_server_start ();
  /* Until the relay's storage has its connection back. */
  deadline = g_get_monotonic_time () + TEST_BLOB_ANSWER_TIMEOUT_US;
  while (test_whoami_status (fixture->session, fixture->relay, alice->auth) != 200)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100000);
    }
  later = test_blob_create_upload (fixture, alice, 1000, &code);
  g_assert_cmpuint (code, ==, 200);
  test_blob_assert_downloads (fixture->relay, alice->auth, id, 1000);
}

/* A client that sends its upload a few bytes a part: the bytes go into
 * the small chunk before while it has room, so that tiny parts cost the
 * database no more rows, nor a download more of them to read, than
 * the blob's size calls for. */
static void
test_small_parts (TestFixture   *fixture,
                  gconstpointer  conf)
{
  guint64 part = 16, size = 64 * part;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, size, NULL);
  g_autofree char *rows_sql = g_strdup_printf ("SELECT count (*) FROM blob_chunks WHERE blob = '%s'", id);
  gboolean committed = FALSE;

  for (guint64 first = 0; first < size; first += part)
    {
      g_autoptr(TestResponse) done = test_blob_put (fixture->relay, alice->auth, id, first, part, size,
                                                    TEST_BLOB_PART_RANGED);

      test_blob_assert_part_done (done, first + part, first + part == size);
    }
  g_assert_cmpint (test_blob_stored_bytes (fixture, id, &committed), ==, (gint64) size);
  g_assert_true (committed);
  g_assert_cmpint (test_fixture_query_int (fixture, rows_sql), ==, 1);
  test_blob_assert_downloads (fixture->relay, alice->auth, id, size);
}

/* The WAL PostgreSQL wrote so far, in bytes. */
static gint64
wal_position (TestFixture *fixture)
{
  return test_fixture_query_int (fixture, "SELECT pg_wal_lsn_diff (pg_current_wal_lsn (), '0/0')::bigint");
}

/* A part of one byte costs the database about one byte, not a rewrite
 * of the chunk it lands in: were tiny parts put at the end of a chunk
 * of up to RELAY_BLOB_CHUNK, each would write that whole chunk anew, of
 * TOAST and of WAL, and leave the old version to vacuum, and a client
 * that sends its upload a byte a part would make the shared database
 * write about 128 KiB for every byte. */
static void
test_tiny_parts (TestFixture   *fixture,
                 gconstpointer  conf)
{
  guint64 first_part = 256 * 1024 - 64, tiny = 32, size = first_part + tiny;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, size, NULL);
  g_autoptr(TestResponse) started = test_blob_put (fixture->relay, alice->auth, id, 0, first_part, size,
                                                   TEST_BLOB_PART_RANGED);
  gint64 before;
  gint64 written;

  test_blob_assert_part_done (started, first_part, FALSE);
  before = wal_position (fixture);
  for (guint64 first = first_part; first < size; first++)
    {
      g_autoptr(TestResponse) done = test_blob_put (fixture->relay, alice->auth, id, first, 1, size,
                                                    TEST_BLOB_PART_RANGED);

      test_blob_assert_part_done (done, first + 1, first + 1 == size);
    }
  written = wal_position (fixture) - before;
  g_test_message ("%" G_GUINT64_FORMAT " one-byte parts wrote %" G_GINT64_FORMAT " bytes of WAL", tiny, written);
  /* A few pages a part at most (its row of blobs, its chunk, their
   * indexes): far less than one chunk's worth for each. */
  g_assert_cmpint (written, <, (gint64) (tiny * 32 * 1024));
  test_blob_assert_downloads (fixture->relay, alice->auth, id, size);
}

/* A blob of parts of every size around the chunks' bounds, stored in
 * rows of uneven length, downloads whole and in ranges that start and
 * end inside and across them. */
static void
test_uneven_chunks (TestFixture   *fixture,
                    gconstpointer  conf)
{
  static const guint64 parts[] = { 1, 16 * 1024 - 2, 1, 1, 20000, 300000, 5, 16 * 1024, 256 * 1024, 3, 7000, 9000 };
  static const guint64 ranges[][2] = {
    { 0, 1 }, { 0, 16 * 1024 + 1 }, { 16 * 1024 - 2, 16 * 1024 + 5 }, { 30000, 400000 }, { 100, 600000 },
    { 336000, 336010 },
  };
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = NULL;
  g_autofree char *rows_sql = NULL;
  guint64 size = 0, first = 0;

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    size += parts[i];
  id = test_blob_create_upload (fixture, alice, size, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (parts); first += parts[i++])
    {
      g_autoptr(TestResponse) done = test_blob_put (fixture->relay, alice->auth, id, first, parts[i], size,
                                                    TEST_BLOB_PART_RANGED);

      test_blob_assert_part_done (done, first + parts[i], first + parts[i] == size);
    }
  rows_sql = g_strdup_printf ("SELECT count (*) FROM blob_chunks WHERE blob = '%s'", id);
  g_assert_cmpint (test_fixture_query_int (fixture, rows_sql), >, 4);
  test_blob_assert_downloads (fixture->relay, alice->auth, id, size);
  for (guint i = 0; i < G_N_ELEMENTS (ranges); i++)
    {
      g_autofree char *range = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT,
                                                ranges[i][0], ranges[i][1] - 1);
      g_autofree char *expected = test_blob_expected_digest (ranges[i][0], ranges[i][1]);
      g_auto(TestBlobDownload) got = { 0 };

      test_blob_download (fixture->relay, alice->auth, id, range, &got);
      g_assert_cmpuint (got.status, ==, 206);
      g_assert_cmpuint (got.length, ==, ranges[i][1] - ranges[i][0]);
      g_assert_cmpstr (got.digest, ==, expected);
    }
}

/* A stranger asking another node than that of the owner's part, which
 * finds the part's lock held, is not told of it either; nor does it take
 * that lock for a moment (relay-test-blob.c). */
static void
test_nodes_stranger_sees_nothing (TestFixture   *fixture,
                                  gconstpointer  conf)
{
  g_autofree char *b_dir = NULL;
  TestRelay *b = start_node (fixture, conf, &b_dir);

  test_blob_assert_stranger_sees_nothing (fixture, b);
  stop_node (b, g_steal_pointer (&b_dir));
}

/* Two nodes that sweep every second: the expired blobs' rows go, each
 * owner gets back exactly what it was charged, and a node that did not
 * sweep sees it. */
static void
test_nodes_expiry (TestFixture   *fixture,
                   gconstpointer  data)
{
  g_autofree char *fast_conf = test_blob_conf_with ("[limits]\nblob-quota-bytes=8192\nblob-max-age-seconds=1\n"
                                                    "blob-sweep-seconds=1\n");
  g_autofree char *b_dir = NULL;
  g_autofree char *c_dir = NULL;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, 100, NULL);
  g_autofree char *other = test_blob_create_upload (fixture, alice, 4000, NULL);
  g_autoptr(TestResponse) done = test_blob_put (fixture->relay, alice->auth, id, 0, 100, 100, TEST_BLOB_PART_WHOLE);
  gint64 deadline = g_get_monotonic_time () + TEST_BLOB_ANSWER_TIMEOUT_US;
  g_autofree char *later = NULL;
  TestRelay *b;
  TestRelay *c;
  guint code = 0;

  test_blob_assert_part_done (done, 100, TRUE);
  /* An upload never sent fills the rest of the quota. */
  g_assert_nonnull (other);
  g_assert_null (test_blob_create_upload (fixture, alice, 0, &code));
  g_assert_cmpuint (code, ==, 507);
  g_usleep (1100 * 1000);
  b = start_node (fixture, fast_conf, &b_dir);
  c = start_node (fixture, fast_conf, &c_dir);
  while (test_fixture_query_int (fixture, "SELECT count (*) FROM blobs") > 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count (*) FROM blob_chunks"), ==, 0);
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT sum (bytes) FROM blob_usage"), ==, 0);
  later = test_blob_create_upload (fixture, alice, 8192, NULL);
  g_assert_nonnull (later);
  stop_node (b, g_steal_pointer (&b_dir));
  stop_node (c, g_steal_pointer (&c_dir));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *blob_conf = test_blob_conf_with (test_blob_limits);
  g_autofree char *quota_conf = test_blob_conf_with (test_blob_quota_limits);
  g_autofree char *expiry_conf = test_blob_conf_with (test_blob_expiry_limits);
  g_autofree char *frozen_conf = test_blob_conf_with (frozen_limits);
  g_autofree char *swept_conf = test_blob_conf_with (swept_limits);
  const struct
  {
    const char  *path;
    char       **conf;
    void       (*test) (TestFixture *, gconstpointer);
  } postgresql_tests[] = {
    { "/relay/blob/nodes/resume", &blob_conf, test_nodes_resume },
    { "/relay/blob/nodes/quota", &quota_conf, test_nodes_quota },
    { "/relay/blob/nodes/racing-parts", &blob_conf, test_nodes_racing_parts },
    { "/relay/blob/nodes/expiry", &expiry_conf, test_nodes_expiry },
    { "/relay/blob/nodes/frozen", &frozen_conf, test_nodes_frozen },
    { "/relay/blob/nodes/stuck-mid-statement", &frozen_conf, test_nodes_stuck_mid_statement },
    { "/relay/blob/nodes/other-database-lock", &blob_conf, test_other_database_lock },
    { "/relay/blob/nodes/uploads-per-account", &blob_conf, test_uploads_per_account },
    { "/relay/blob/expired-mid-part", &swept_conf, test_expired_mid_part },
    { "/relay/blob/postgresql-restart", &blob_conf, test_postgresql_restart },
    { "/relay/blob/small-parts", &blob_conf, test_small_parts },
    { "/relay/blob/tiny-parts", &blob_conf, test_tiny_parts },
    { "/relay/blob/uneven-chunks", &blob_conf, test_uneven_chunks },
    { "/relay/blob/nodes/stranger-sees-nothing", &blob_conf, test_nodes_stranger_sees_nothing },
  };

  g_test_init (&argc, &argv, NULL);

  /* Several nodes share blobs, and lose the server, only on PostgreSQL. */
  for (guint i = 0; i < G_N_ELEMENTS (postgresql_tests) && test_relay_uses_postgresql (); i++)
    g_test_add (postgresql_tests[i].path, TestFixture, *postgresql_tests[i].conf, test_fixture_setup,
                postgresql_tests[i].test, test_fixture_teardown);
  return g_test_run ();
}
