/* test-relay-blob-attack.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Attacks on attachment blobs that the relay does not withstand yet,
 * each a reproducer of a finding of session 12's attacker: meson runs
 * this file as a test that must fail until every case here passes, and
 * a case that passes moves to test-relay-blob.c or
 * test-relay-blob-nodes.c with its fix.
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include "relay-test-blob.h"
#include "relay-test-raw.h"

/* The relay's RELAY_BLOB_CHUNK, the largest row of blob_chunks. */
#define RELAY_CHUNK (256 * 1024)

/* Starts a part of `length` bytes from `first` that asks to be told
 * before it sends its body, and waits until the relay let it in: the
 * part is then under way, and holds its upload. */
static int
start_admitted_part (TestRelay  *relay,
                     const char *auth,
                     const char *id,
                     guint64     first,
                     guint64     length,
                     guint64     total)
{
  g_autofree char *head = g_strdup_printf ("PUT /v1/attachments/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Authorization: %s\r\nExpect: 100-continue\r\n"
                                           "Content-Range: bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT
                                           "/%" G_GUINT64_FORMAT "\r\n"
                                           "Content-Length: %" G_GUINT64_FORMAT "\r\n\r\n",
                                           id, auth, first, first + length - 1, total, length);
  gint64 deadline = g_get_monotonic_time () + TEST_BLOB_ANSWER_TIMEOUT_US;
  g_autoptr(GString) reply = g_string_new (NULL);
  int fd = test_raw_connect (relay);

  test_raw_write_string (fd, head);
  while (strstr (reply->str, "\r\n\r\n") == NULL)
    g_assert_cmpint (test_raw_read (fd, reply, deadline), ==, TEST_READ_DATA);
  if (!g_str_has_prefix (reply->str, "HTTP/1.1 100 Continue\r\n"))
    g_test_message ("The part was answered: %s", reply->str);
  g_assert_true (g_str_has_prefix (reply->str, "HTTP/1.1 100 Continue\r\n"));
  return fd;
}

/* A stranger who knows an upload's id (a recipient of an earlier copy
 * of the file, or anyone it leaked to) learns nothing of it: where it
 * stands is its owner's to know, and so is whether a part of it is
 * being received right now.  The relay answers the stranger's part
 * `409 upload-busy` while its owner's part is under way (where the
 * upload stands it answers `404`), and `404` otherwise: it tells the stranger
 * that the upload exists and when its owner is online sending it.  The
 * stranger asks `asked`, the node of the owner's part or another on its
 * database, which finds the part's lock held. */
static void
assert_stranger_sees_nothing (TestFixture *fixture,
                              TestRelay   *asked)
{
  guint64 size = 2 * TEST_BLOB_MIB;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) mallory = test_account_register (fixture->session, fixture->relay, "mallory", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, size, NULL);
  g_autoptr(TestResponse) idle = NULL;
  g_autoptr(TestResponse) during = NULL;
  g_autoptr(TestResponse) part = NULL;
  g_autoptr(TestResponse) done = NULL;
  int fd;

  /* Without a part under way the stranger is told there is no such
   * upload. */
  g_assert_null (test_blob_upload_status_on (fixture, asked, mallory, id, &idle));
  g_assert_cmpuint (idle->status, ==, 404);

  fd = start_admitted_part (fixture->relay, alice->auth, id, 0, size, size);
  g_assert_null (test_blob_upload_status_on (fixture, asked, mallory, id, &during));
  g_assert_cmpuint (during->status, ==, 404);
  part = test_blob_put (asked, mallory->auth, id, 0, 1, size, TEST_BLOB_PART_HEAD_ONLY);
  g_assert_cmpuint (part->status, ==, 404);

  test_blob_send_bytes (fd, 0, size);
  done = test_blob_read_answer (fd);
  close (fd);
  test_blob_assert_part_done (done, size, TRUE);
}

static void
test_stranger_sees_busy (TestFixture   *fixture,
                         gconstpointer  conf)
{
  assert_stranger_sees_nothing (fixture, fixture->relay);
}

static void
test_stranger_sees_busy_other_node (TestFixture   *fixture,
                                    gconstpointer  conf)
{
  g_autofree char *url = test_relay_data_dir_database (fixture->dir);
  TestRelaySetup setup = { .database = url };
  g_autofree char *dir = test_relay_make_data_dir ();
  TestRelay *node = test_relay_start_with (dir, conf, &setup);

  assert_stranger_sees_nothing (fixture, node);
  g_assert_cmpint (test_relay_stop (node), ==, 0);
  test_relay_free (node);
  test_relay_remove_data_dir (dir);
}

/* The WAL PostgreSQL wrote so far, in bytes. */
static gint64
wal_position (TestFixture *fixture)
{
  return test_fixture_query_int (fixture, "SELECT pg_wal_lsn_diff (pg_current_wal_lsn (), '0/0')::bigint");
}

/* A part of one byte costs the database about one byte, not a rewrite
 * of the chunk it lands in.  Since tiny parts go at the end of the
 * chunk before (fb1d182), each one writes that whole chunk anew, up to
 * RELAY_BLOB_CHUNK of TOAST and of WAL, and leaves the old version to
 * vacuum: a client that sends its upload a byte a part, or cuts each
 * part off after its first byte, makes the shared database write about
 * 128 KiB for every byte, as fast as address-requests lets it send
 * (100 parts a second). */
static void
test_tiny_parts_rewrite_chunk (TestFixture   *fixture,
                               gconstpointer  conf)
{
  guint64 first_part = RELAY_CHUNK - 64, tiny = 32, size = first_part + tiny;
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

int
main (int   argc,
      char *argv[])
{
  g_autofree char *blob_conf = test_blob_conf_with (test_blob_limits);

  g_test_init (&argc, &argv, NULL);

  g_test_add ("/relay/blob/attack/stranger-sees-busy", TestFixture, blob_conf, test_fixture_setup,
              test_stranger_sees_busy, test_fixture_teardown);
  if (test_relay_uses_postgresql ())
    {
      g_test_add ("/relay/blob/attack/stranger-sees-busy-other-node", TestFixture, blob_conf, test_fixture_setup,
                  test_stranger_sees_busy_other_node, test_fixture_teardown);
      g_test_add ("/relay/blob/attack/tiny-parts-rewrite-chunk", TestFixture, blob_conf, test_fixture_setup,
                  test_tiny_parts_rewrite_chunk, test_fixture_teardown);
    }
  return g_test_run ();
}
