/* test-relay-blob.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Attachment blobs against real relay processes: uploads streamed over
 * raw sockets (so that a test can stop one halfway), resumed after the
 * client or the relay went away, downloads whole and in ranges checked
 * byte for byte, the quota, the size limit and expiry.  What only
 * PostgreSQL does, several nodes on one database, is in
 * test-relay-blob-nodes.c.
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay-test-blob.h"
#include "relay-test-raw.h"

static void
test_empty (TestFixture   *fixture,
            gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, 0, NULL);
  g_autoptr(TestResponse) response = test_blob_put (fixture->relay, alice->auth, id, 0, 0, 0, TEST_BLOB_PART_WHOLE);
  g_autoptr(TestResponse) status = NULL;
  g_auto(TestBlobDownload) range = { 0 };
  JsonObject *object;

  test_blob_assert_part_done (response, 0, TRUE);
  test_blob_assert_downloads (fixture->relay, alice->auth, id, 0);
  object = test_blob_upload_status_on (fixture, fixture->relay, alice, id, &status);
  g_assert_nonnull (object);
  g_assert_true (json_object_get_boolean_member (object, "complete"));
  /* No byte of an empty blob can be asked for. */
  test_blob_download (fixture->relay, alice->auth, id, "bytes=0-", &range);
  g_assert_cmpuint (range.status, ==, 416);
}

static void
test_round_trip (TestFixture   *fixture,
                 gconstpointer  data)
{
  guint64 size = 3 * TEST_BLOB_MIB + 17;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, size, NULL);
  g_autoptr(TestResponse) response = NULL;
  g_autofree char *middle = test_blob_expected_digest (100, 200);
  g_autofree char *tail = test_blob_expected_digest (size - 10, size);
  g_auto(TestBlobDownload) part = { 0 };
  g_auto(TestBlobDownload) suffix = { 0 };
  g_auto(TestBlobDownload) past = { 0 };
  g_autofree char *whole_range = g_strdup_printf ("bytes 100-199/%" G_GUINT64_FORMAT, size);
  g_autofree char *from_end = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-", size);
  gboolean committed = FALSE;

  /* Not downloadable until the upload is complete. */
  test_blob_download (fixture->relay, bob->auth, id, NULL, &part);
  g_assert_cmpuint (part.status, ==, 404);
  test_blob_download_clear (&part);
  memset (&part, 0, sizeof part);

  response = test_blob_put (fixture->relay, alice->auth, id, 0, size, size, TEST_BLOB_PART_WHOLE);
  test_blob_assert_part_done (response, size, TRUE);
  g_assert_cmpint (test_blob_stored_bytes (fixture, id, &committed), ==, (gint64) size);
  g_assert_true (committed);

  /* Any account may download it; the uploader may too. */
  test_blob_assert_downloads (fixture->relay, bob->auth, id, size);
  test_blob_assert_downloads (fixture->relay, alice->auth, id, size);

  test_blob_download (fixture->relay, bob->auth, id, "bytes=100-199", &part);
  g_assert_cmpuint (part.status, ==, 206);
  g_assert_cmpuint (part.length, ==, 100);
  g_assert_cmpstr (part.digest, ==, middle);
  g_assert_cmpstr (part.content_range, ==, whole_range);
  test_blob_download (fixture->relay, bob->auth, id, "bytes=-10", &suffix);
  g_assert_cmpuint (suffix.status, ==, 206);
  g_assert_cmpstr (suffix.digest, ==, tail);
  test_blob_download (fixture->relay, bob->auth, id, from_end, &past);
  g_assert_cmpuint (past.status, ==, 416);

  /* The part cannot be sent again. */
  g_clear_pointer (&response, test_response_free);
  response = test_blob_put (fixture->relay, alice->auth, id, 0, 10, size,
                            TEST_BLOB_PART_RANGED | TEST_BLOB_PART_HEAD_ONLY);
  g_assert_cmpuint (response->status, ==, 409);
  g_assert_cmpstr (test_response_error (response), ==, "complete");
}

static void
test_unguessable (TestFixture   *fixture,
                  gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *other = NULL;
  g_auto(TestBlobDownload) missing = { 0 };
  g_auto(TestBlobDownload) bad = { 0 };

  for (guint i = 0; i < 16; i++)
    {
      char *id = test_blob_create_upload (fixture, alice, 10, NULL);

      /* 32 random bytes in hex: nothing to count up or guess. */
      g_assert_cmpuint (strlen (id), ==, 64);
      g_assert_cmpuint (strspn (id, "0123456789abcdef"), ==, 64);
      g_assert_true (g_hash_table_add (ids, id));
    }
  other = g_strnfill (64, 'a');
  test_blob_download (fixture->relay, alice->auth, other, NULL, &missing);
  g_assert_cmpuint (missing.status, ==, 404);
  test_blob_download (fixture->relay, alice->auth, "..%2f..%2frelay.db", NULL, &bad);
  g_assert_cmpuint (bad.status, ==, 404);
}

static void
test_unauthenticated (TestFixture   *fixture,
                      gconstpointer  data)
{
  guint64 size = 2 * TEST_BLOB_MIB;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *wrong = test_basic_auth (alice->uuid, 1, "not-the-password-at-all");
  g_autofree char *id = test_blob_create_upload (fixture, alice, size, NULL);
  g_autoptr(TestResponse) anonymous = NULL;
  g_autoptr(TestResponse) impostor = NULL;
  g_autoptr(TestResponse) done = NULL;
  g_auto(TestBlobDownload) nobody = { 0 };
  guint status = 0;
  gboolean committed = TRUE;

  g_assert_null (test_blob_create_upload (fixture, NULL, 10, &status));
  g_assert_cmpuint (status, ==, 401);
  /* A part from no one, or with a wrong password, writes nothing. */
  anonymous = test_blob_put (fixture->relay, NULL, id, 0, size, size, TEST_BLOB_PART_WHOLE | TEST_BLOB_PART_HEAD_ONLY);
  g_assert_cmpuint (anonymous->status, ==, 401);
  impostor = test_blob_put (fixture->relay, wrong, id, 0, size, size, TEST_BLOB_PART_WHOLE | TEST_BLOB_PART_HEAD_ONLY);
  g_assert_cmpuint (impostor->status, ==, 401);
  g_assert_cmpint (test_blob_stored_bytes (fixture, id, &committed), ==, 0);
  g_assert_false (committed);

  done = test_blob_put (fixture->relay, alice->auth, id, 0, size, size, TEST_BLOB_PART_WHOLE);
  test_blob_assert_part_done (done, size, TRUE);
  test_blob_download (fixture->relay, NULL, id, NULL, &nobody);
  g_assert_cmpuint (nobody.status, ==, 401);
}

/* 150 MB, cut off halfway by the client closing its socket, then
 * resumed from where the relay says it stands. */
static void
test_resume (TestFixture   *fixture,
             gconstpointer  data)
{
  guint64 size = 150 * 1000 * 1000;
  guint64 half = size / 2;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, size, NULL);
  g_autoptr(TestResponse) busy = NULL;
  g_autoptr(TestResponse) mismatch = NULL;
  g_autoptr(TestResponse) strange = NULL;
  g_autoptr(TestResponse) done = NULL;
  g_autofree char *request = NULL;
  JsonObject *object;
  guint64 baseline;
  gint64 offset;
  int reader;
  int fd;

  baseline = test_relay_resident_bytes (fixture->relay);
  fd = test_blob_start_part (fixture->relay, alice->auth, id, 0, size, size, FALSE);
  test_blob_send_bytes (fd, 0, half);
  /* The body streams to disk: 75 MB sent leave the relay's memory
   * where it was, give or take its buffers. */
  g_assert_cmpuint (test_relay_resident_bytes (fixture->relay), <, baseline + 32 * TEST_BLOB_MIB);
  /* While that part is open, no other may write. */
  busy = test_blob_put (fixture->relay, alice->auth, id, 0, 10, size, TEST_BLOB_PART_RANGED | TEST_BLOB_PART_HEAD_ONLY);
  g_assert_cmpuint (busy->status, ==, 409);
  g_assert_cmpstr (test_response_error (busy), ==, "upload-busy");
  /* Another account learns nothing of it, not even that a part is
   * under way. */
  g_assert_null (test_blob_upload_status_on (fixture, fixture->relay, bob, id, &strange));
  g_assert_cmpuint (strange->status, ==, 404);
  close (fd);

  offset = test_blob_wait_for_offset_on (fixture, fixture->relay, alice, id);
  /* What the relay took before the socket closed is all kept. */
  g_assert_cmpint (offset, ==, (gint64) half);
  /* Only the owner learns how far an upload got. */
  g_clear_pointer (&strange, test_response_free);
  g_assert_null (test_blob_upload_status_on (fixture, fixture->relay, bob, id, &strange));
  g_assert_cmpuint (strange->status, ==, 404);

  /* A part that does not start there is refused, with the offset. */
  mismatch = test_blob_put (fixture->relay, alice->auth, id, (guint64) offset - 1, 10, size,
                            TEST_BLOB_PART_RANGED | TEST_BLOB_PART_HEAD_ONLY);
  g_assert_cmpuint (mismatch->status, ==, 409);
  object = test_response_object (mismatch);
  g_assert_cmpstr (json_object_get_string_member (object, "error"), ==, "offset-mismatch");
  g_assert_cmpint (json_object_get_int_member (object, "offset"), ==, offset);

  done = test_blob_put (fixture->relay, alice->auth, id, (guint64) offset, size - (guint64) offset, size,
                        TEST_BLOB_PART_RANGED);
  test_blob_assert_part_done (done, size, TRUE);
  test_blob_assert_downloads (fixture->relay, bob->auth, id, size);

  /* A client that reads nothing of a download makes the relay read no
   * further ahead than a couple of chunks.  Measured from here: under
   * AddressSanitizer, what the relay freed so far stays resident. */
  baseline = test_relay_resident_bytes (fixture->relay);
  reader = test_raw_connect_small (fixture->relay);
  request = g_strdup_printf ("GET /v1/attachments/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\n\r\n",
                             id, bob->auth);
  test_raw_write_string (reader, request);
  g_usleep (500 * 1000);
  g_assert_cmpuint (test_relay_resident_bytes (fixture->relay), <, baseline + 32 * TEST_BLOB_MIB);
  close (reader);
}

/* A client that asks to be told before it sends the body (Expect:
 * 100-continue, as curl does for large bodies) is told at once when the
 * part fits, and given the final answer without it when not. */
static void
test_expect_continue (TestFixture   *fixture,
                      gconstpointer  data)
{
  guint64 size = TEST_BLOB_MIB;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, size, NULL);
  g_autofree char *wrong = NULL;
  g_autofree char *right = NULL;
  g_autoptr(GString) interim = g_string_new (NULL);
  g_autoptr(TestResponse) refused = NULL;
  g_autoptr(TestResponse) done = NULL;
  gint64 deadline = g_get_monotonic_time () + TEST_BLOB_ANSWER_TIMEOUT_US;
  int fd;

  wrong = g_strdup_printf ("PUT /v1/attachments/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\n"
                           "Expect: 100-continue\r\nContent-Range: bytes 5-%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
                           "\r\nContent-Length: %" G_GUINT64_FORMAT "\r\n\r\n",
                           id, alice->auth, size - 1, size, size - 5);
  fd = test_raw_connect (fixture->relay);
  test_raw_write_string (fd, wrong);
  refused = test_blob_read_answer (fd);
  close (fd);
  g_assert_cmpuint (refused->status, ==, 409);

  right = g_strdup_printf ("PUT /v1/attachments/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\n"
                           "Expect: 100-continue\r\nContent-Length: %" G_GUINT64_FORMAT "\r\n\r\n",
                           id, alice->auth, size);
  fd = test_raw_connect (fixture->relay);
  test_raw_write_string (fd, right);
  while (strstr (interim->str, "\r\n\r\n") == NULL)
    g_assert_cmpint (test_raw_read (fd, interim, deadline), ==, TEST_READ_DATA);
  g_assert_cmpstr (interim->str, ==, "HTTP/1.1 100 Continue\r\n\r\n");
  test_blob_send_bytes (fd, 0, size);
  done = test_blob_read_answer (fd);
  close (fd);
  test_blob_assert_part_done (done, size, TRUE);
  test_blob_assert_downloads (fixture->relay, alice->auth, id, size);
}

/* A client that sends the last part and goes without its answer still
 * has its blob committed. */
static void
test_last_part_unanswered (TestFixture   *fixture,
                           gconstpointer  data)
{
  guint64 size = TEST_BLOB_MIB + 3;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, size, NULL);
  gint64 deadline = g_get_monotonic_time () + TEST_BLOB_ANSWER_TIMEOUT_US;
  int fd = test_blob_start_part (fixture->relay, alice->auth, id, 0, size, size, TRUE);

  test_blob_send_bytes (fd, 0, size);
  close (fd);
  for (;;)
    {
      g_autoptr(TestResponse) response = NULL;
      JsonObject *object = test_blob_upload_status_on (fixture, fixture->relay, alice, id, &response);

      /* The relay may be asked before it has taken the part in. */
      if (object != NULL && json_object_get_boolean_member (object, "complete"))
        {
          g_assert_cmpint (json_object_get_int_member (object, "offset"), ==, (gint64) size);
          break;
        }
      if (object != NULL)
        g_assert_cmpint (json_object_get_int_member (object, "offset"), <=, (gint64) size);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  test_blob_assert_downloads (fixture->relay, alice->auth, id, size);
}

static const char *slow_limits =
  "[limits]\n"
  "body-timeout-seconds=3\n";

/* A part that keeps coming may take longer than body-timeout-seconds:
 * the deadline counts from the last chunk written.  The pauses are
 * long enough for the relay to close a connection that missed its
 * deadline before the next bytes come. */
static void
test_slow_part (TestFixture   *fixture,
                gconstpointer  data)
{
  guint64 step = 512 * 1024;
  guint64 size = 5 * step;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, size, NULL);
  g_autoptr(TestResponse) done = NULL;
  int fd = test_blob_start_part (fixture->relay, alice->auth, id, 0, size, size, TRUE);

  for (guint64 offset = 0; offset < size; offset += step)
    {
      if (offset > 0)
        g_usleep (2 * G_USEC_PER_SEC);
      test_blob_send_bytes (fd, offset, offset + step);
    }
  done = test_blob_read_answer (fd);
  close (fd);
  test_blob_assert_part_done (done, size, TRUE);
  test_blob_assert_downloads (fixture->relay, alice->auth, id, size);
}

/* The relay dies with a part half received; started again, it resumes
 * the upload from what it had written. */
static void
test_restart (TestFixture   *fixture,
              gconstpointer  data)
{
  guint64 size = 16 * TEST_BLOB_MIB;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, size, NULL);
  gint64 deadline = g_get_monotonic_time () + TEST_BLOB_ANSWER_TIMEOUT_US;
  g_autoptr(TestResponse) done = NULL;
  gboolean committed;
  gint64 offset;
  int fd;

  fd = test_blob_start_part (fixture->relay, alice->auth, id, 0, size, size, TRUE);
  test_blob_send_bytes (fd, 0, size / 2);
  while (test_blob_stored_bytes (fixture, id, &committed) < (gint64) (size / 4))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10000);
    }
  test_relay_kill (fixture->relay);
  close (fd);
  test_relay_restart (fixture->relay);

  offset = test_blob_wait_for_offset_on (fixture, fixture->relay, alice, id);
  g_assert_cmpint (offset, >=, (gint64) (size / 4));
  g_assert_cmpint (offset, <=, (gint64) (size / 2));
  done = test_blob_put (fixture->relay, alice->auth, id, (guint64) offset, size - (guint64) offset, size,
                        TEST_BLOB_PART_RANGED);
  test_blob_assert_part_done (done, size, TRUE);
  test_blob_assert_downloads (fixture->relay, alice->auth, id, size);
}

static void
test_quota (TestFixture   *fixture,
            gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autofree char *first = test_blob_create_upload (fixture, alice, 600000, NULL);
  g_autofree char *second = NULL;
  g_autofree char *small = NULL;
  g_autofree char *other = NULL;
  guint status = 0;

  g_assert_nonnull (first);
  /* Past the quota, counting the upload not yet sent. */
  second = test_blob_create_upload (fixture, alice, 500000, &status);
  g_assert_null (second);
  g_assert_cmpuint (status, ==, 507);
  small = test_blob_create_upload (fixture, alice, 300000, NULL);
  g_assert_nonnull (small);
  /* Even empty blobs count a little, so that they cannot pile up. */
  for (guint i = 0; i < 24; i++)
    g_free (test_blob_create_upload (fixture, alice, 0, NULL));
  g_assert_null (test_blob_create_upload (fixture, alice, 0, &status));
  g_assert_cmpuint (status, ==, 507);
  /* Another account has its own. */
  other = test_blob_create_upload (fixture, bob, 600000, NULL);
  g_assert_nonnull (other);
}

static void
test_size_limit (TestFixture   *fixture,
                 gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, 1000, NULL);
  g_autoptr(TestResponse) longer = NULL;
  g_autoptr(TestResponse) beyond = NULL;
  guint status = 0;

  g_assert_null (test_blob_create_upload (fixture, alice, 600001, &status));
  g_assert_cmpuint (status, ==, 413);
  /* No part may carry more than the upload declared. */
  longer = test_blob_put (fixture->relay, alice->auth, id, 0, 1001, 1001,
                          TEST_BLOB_PART_WHOLE | TEST_BLOB_PART_HEAD_ONLY);
  g_assert_cmpuint (longer->status, ==, 400);
  g_assert_cmpstr (test_response_error (longer), ==, "bad-range");
  beyond = test_blob_put (fixture->relay, alice->auth, id, 0, 1001, 1000,
                          TEST_BLOB_PART_RANGED | TEST_BLOB_PART_HEAD_ONLY);
  g_assert_cmpuint (beyond->status, ==, 400);
}

static void
test_expiry (TestFixture   *fixture,
             gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, 100, NULL);
  g_autofree char *other = test_blob_create_upload (fixture, alice, 100, NULL);
  g_autofree char *conf_path = g_build_filename (fixture->dir, "relay.conf", NULL);
  g_autofree char *fast_conf = NULL;
  g_autofree char *later = NULL;
  g_autoptr(TestResponse) done = NULL;
  g_autoptr(TestResponse) late = NULL;
  g_autoptr(TestResponse) status = NULL;
  g_auto(TestBlobDownload) gone = { 0 };
  g_auto(TestBlobDownload) swept = { 0 };
  gboolean committed;
  gint64 deadline;
  guint code = 0;

  done = test_blob_put (fixture->relay, alice->auth, id, 0, 100, 100, TEST_BLOB_PART_WHOLE);
  test_blob_assert_part_done (done, 100, TRUE);
  test_blob_assert_downloads (fixture->relay, alice->auth, id, 100);
  /* Both blobs fill the quota. */
  g_assert_null (test_blob_create_upload (fixture, alice, 0, &code));
  g_assert_cmpuint (code, ==, 507);

  g_usleep (1100 * 1000);
  /* Expired but not yet swept: gone for everyone. */
  test_blob_download (fixture->relay, alice->auth, id, NULL, &gone);
  g_assert_cmpuint (gone.status, ==, 410);
  late = test_blob_put (fixture->relay, alice->auth, other, 0, 100, 100,
                        TEST_BLOB_PART_WHOLE | TEST_BLOB_PART_HEAD_ONLY);
  g_assert_cmpuint (late->status, ==, 410);
  g_assert_null (test_blob_upload_status_on (fixture, fixture->relay, alice, other, &status));
  g_assert_cmpuint (status->status, ==, 410);

  /* A relay sweeps as it starts, and then every blob-sweep-seconds. */
  fast_conf = test_blob_conf_with ("[limits]\nblob-quota-bytes=8192\nblob-max-age-seconds=1\nblob-sweep-seconds=1\n");
  g_assert_true (g_file_set_contents (conf_path, fast_conf, -1, NULL));
  g_assert_cmpint (test_relay_stop (fixture->relay), ==, 0);
  test_relay_restart (fixture->relay);
  deadline = g_get_monotonic_time () + TEST_BLOB_ANSWER_TIMEOUT_US;
  while (test_blob_stored_bytes (fixture, id, &committed) >= 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  test_blob_download (fixture->relay, alice->auth, id, NULL, &swept);
  g_assert_cmpuint (swept.status, ==, 404);

  /* The quota comes back with them, as soon as the sweep has counted
   * what it removed; a blob made now goes too. */
  while ((later = test_blob_create_upload (fixture, alice, 100, &code)) == NULL)
    {
      g_assert_cmpuint (code, ==, 507);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  g_assert_cmpint (test_blob_stored_bytes (fixture, later, &committed), ==, 0);
  while (test_blob_stored_bytes (fixture, later, &committed) >= 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
}

static const char *streams_limits =
  "[limits]\n"
  "max-blob-bytes=209715200\n"
  "blob-streams=4\n"
  "blob-streams-per-account=3\n";

#define STALLED_DOWNLOADS  64

/* The status of a download's answer, whose body is left unread. */
static guint
start_stalled_download (int         fd,
                        const char *auth,
                        const char *id)
{
  gint64 deadline = g_get_monotonic_time () + TEST_BLOB_ANSWER_TIMEOUT_US;
  g_autoptr(GString) reply = g_string_new (NULL);
  g_autofree char *request = g_strdup_printf ("GET /v1/attachments/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              "Authorization: %s\r\n\r\n", id, auth);

  test_raw_write_string (fd, request);
  while (strstr (reply->str, "\r\n") == NULL)
    g_assert_cmpint (test_raw_read (fd, reply, deadline), ==, TEST_READ_DATA);
  return (guint) g_ascii_strtoull (reply->str + strlen ("HTTP/1.1 "), NULL, 10);
}

/* Clients that start downloads and never read them: each would hold two
 * chunks of the relay's memory, and lws a third, until the write
 * deadline; only blob-streams of them are served at once, and
 * blob-streams-per-account of one account's. */
static void
test_stalled_downloads (TestFixture   *fixture,
                        gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  guint64 size = 8 * TEST_BLOB_MIB;
  g_autofree char *id = test_blob_create_upload (fixture, alice, size, NULL);
  g_autoptr(TestResponse) done = NULL;
  int fds[STALLED_DOWNLOADS];
  int bob_fds[2];
  guint served = 0;
  guint refused = 0;
  gint64 deadline;

  done = test_blob_put (fixture->relay, alice->auth, id, 0, size, size, TEST_BLOB_PART_WHOLE);
  test_blob_assert_part_done (done, size, TRUE);
  for (guint i = 0; i < STALLED_DOWNLOADS; i++)
    {
      guint status;

      fds[i] = test_raw_connect_small (fixture->relay);
      status = start_stalled_download (fds[i], alice->auth, id);
      g_assert_true (status == 200 || status == 429);
      served += status == 200;
      refused += status == 429;
    }
  g_assert_cmpuint (served, ==, 3);
  g_assert_cmpuint (refused, ==, STALLED_DOWNLOADS - 3);
  /* Another account still gets what is left of the relay's. */
  for (guint i = 0; i < G_N_ELEMENTS (bob_fds); i++)
    bob_fds[i] = test_raw_connect_small (fixture->relay);
  g_assert_cmpuint (start_stalled_download (bob_fds[0], bob->auth, id), ==, 200);
  g_assert_cmpuint (start_stalled_download (bob_fds[1], bob->auth, id), ==, 503);
  for (guint i = 0; i < STALLED_DOWNLOADS; i++)
    close (fds[i]);
  for (guint i = 0; i < G_N_ELEMENTS (bob_fds); i++)
    close (bob_fds[i]);

  /* Once they are gone, a download is served again. */
  deadline = g_get_monotonic_time () + TEST_BLOB_ANSWER_TIMEOUT_US;
  for (;;)
    {
      int fd = test_raw_connect (fixture->relay);
      guint status = start_stalled_download (fd, alice->auth, id);

      close (fd);
      if (status == 200)
        break;
      g_assert_cmpuint (status, ==, 503);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  test_blob_assert_downloads (fixture->relay, alice->auth, id, size);
}

/* Parts whose bodies come slowly hold the relay's slots for uploads as
 * long as they keep coming (256 KiB per body-timeout-seconds).  A few
 * accounts that each start the parts their share allows, and send
 * nothing more, must not leave another account unable to upload: on
 * PostgreSQL a node writes 32 parts at once, 4 of each account, so 8
 * accounts, which one address may register at once, held them all. */
static void
test_stalled_parts_leave_room (TestFixture   *fixture,
                               gconstpointer  data)
{
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) test_account_free);
  g_autoptr(GArray) fds = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(TestAccount) victim = test_account_register (fixture->session, fixture->relay, "victim", 0);
  g_autoptr(TestResponse) done = NULL;
  g_autofree char *id = NULL;
  guint64 size = TEST_BLOB_MIB;

  for (guint a = 0; a < 8; a++)
    {
      g_autofree char *name = g_strdup_printf ("stalling%u", a);
      TestAccount *account = test_account_register (fixture->session, fixture->relay, name, 0);

      g_ptr_array_add (accounts, account);
      for (guint p = 0; p < 4; p++)
        {
          g_autofree char *stalled = test_blob_create_upload (fixture, account, size, NULL);
          int fd = test_blob_start_admitted_part (fixture->relay, account->auth, stalled, 0, size, size);

          g_array_append_val (fds, fd);
        }
    }

  id = test_blob_create_upload (fixture, victim, 4096, NULL);
  done = test_blob_put (fixture->relay, victim->auth, id, 0, 4096, 4096, TEST_BLOB_PART_WHOLE);
  g_test_message ("The victim's part was answered %u", done->status);
  for (guint i = 0; i < fds->len; i++)
    close (g_array_index (fds, int, i));
  test_blob_assert_part_done (done, 4096, TRUE);
}

/* How many times the relay's log holds `text`. */
static guint
log_count (TestRelay  *relay,
           const char *text)
{
  g_autofree char *log = test_relay_read_log (relay);
  guint count = 0;

  for (const char *p = strstr (log, text); p != NULL; p = strstr (p + 1, text))
    count++;
  return count;
}

/* A blob damaged on the relay's disk is a storage fault, warned of; but
 * every client that asks for it would log another line, as fast as it
 * asks: the warnings are throttled as the database's are, a line a
 * minute. */
static void
test_damaged_logged_once (TestFixture   *fixture,
                          gconstpointer  conf)
{
  const char *tolerant[] = { "G_DEBUG", NULL };
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, 1000, NULL);
  g_autofree char *data_path = test_blob_path (fixture, id, "data");
  g_autofree char *cut = g_strdup_printf ("UPDATE blob_chunks SET data = substring (data FROM 1 FOR 500) "
                                          "WHERE blob = '%s'", id);
  g_autoptr(TestResponse) done = test_blob_put (fixture->relay, alice->auth, id, 0, 1000, 1000, TEST_BLOB_PART_WHOLE);

  test_blob_assert_part_done (done, 1000, TRUE);
  /* The relay warns, which the suite's G_DEBUG would make fatal. */
  g_assert_cmpint (test_relay_stop (fixture->relay), ==, 0);
  test_relay_free (fixture->relay);
  if (test_relay_uses_postgresql ())
    test_fixture_query_int (fixture, cut);
  else
    g_assert_cmpint (truncate (data_path, 500), ==, 0);
  fixture->relay = test_relay_start_full (fixture->dir, conf, NULL, FALSE, tolerant);

  for (guint i = 0; i < 5; i++)
    {
      g_auto(TestBlobDownload) refused = { 0 };

      test_blob_download (fixture->relay, alice->auth, id, NULL, &refused);
      g_assert_cmpuint (refused.status, >=, 500);
    }
  g_assert_cmpuint (log_count (fixture->relay, "holds 500 bytes of a blob of 1000"), ==, 1);
  g_assert_cmpuint (log_count (fixture->relay, "WARNING"), ==, 1);
}

/* A stranger who knows an upload's id is not told that its owner is
 * sending a part of it right now (relay-test-blob.c). */
static void
test_stranger_sees_nothing (TestFixture   *fixture,
                            gconstpointer  conf)
{
  test_blob_assert_stranger_sees_nothing (fixture, fixture->relay);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *blob_conf = test_blob_conf_with (test_blob_limits);
  g_autofree char *quota_conf = test_blob_conf_with (test_blob_quota_limits);
  g_autofree char *expiry_conf = test_blob_conf_with (test_blob_expiry_limits);
  g_autofree char *slow_conf = test_blob_conf_with (slow_limits);
  g_autofree char *streams_conf = test_blob_conf_with (streams_limits);

  g_test_init (&argc, &argv, NULL);

  g_test_add ("/relay/blob/empty", TestFixture, blob_conf, test_fixture_setup, test_empty, test_fixture_teardown);
  g_test_add ("/relay/blob/round-trip", TestFixture, blob_conf, test_fixture_setup, test_round_trip,
              test_fixture_teardown);
  g_test_add ("/relay/blob/unguessable", TestFixture, blob_conf, test_fixture_setup, test_unguessable,
              test_fixture_teardown);
  g_test_add ("/relay/blob/damaged-logged-once", TestFixture, blob_conf, test_fixture_setup,
              test_damaged_logged_once, test_fixture_teardown);
  g_test_add ("/relay/blob/unauthenticated", TestFixture, blob_conf, test_fixture_setup, test_unauthenticated,
              test_fixture_teardown);
  g_test_add ("/relay/blob/resume", TestFixture, blob_conf, test_fixture_setup, test_resume,
              test_fixture_teardown);
  g_test_add ("/relay/blob/last-part-unanswered", TestFixture, blob_conf, test_fixture_setup,
              test_last_part_unanswered, test_fixture_teardown);
  g_test_add ("/relay/blob/expect-continue", TestFixture, blob_conf, test_fixture_setup, test_expect_continue,
              test_fixture_teardown);
  g_test_add ("/relay/blob/slow-part", TestFixture, slow_conf, test_fixture_setup, test_slow_part,
              test_fixture_teardown);
  g_test_add ("/relay/blob/restart", TestFixture, blob_conf, test_fixture_setup, test_restart,
              test_fixture_teardown);
  g_test_add ("/relay/blob/quota", TestFixture, quota_conf, test_fixture_setup, test_quota,
              test_fixture_teardown);
  g_test_add ("/relay/blob/size-limit", TestFixture, quota_conf, test_fixture_setup, test_size_limit,
              test_fixture_teardown);
  g_test_add ("/relay/blob/expiry", TestFixture, expiry_conf, test_fixture_setup, test_expiry,
              test_fixture_teardown);
  g_test_add ("/relay/blob/stranger-sees-nothing", TestFixture, blob_conf, test_fixture_setup,
              test_stranger_sees_nothing, test_fixture_teardown);
  g_test_add ("/relay/blob/stalled-downloads", TestFixture, streams_conf, test_fixture_setup,
              test_stalled_downloads, test_fixture_teardown);
  g_test_add ("/relay/blob/stalled-parts-leave-room", TestFixture, blob_conf, test_fixture_setup,
              test_stalled_parts_leave_room, test_fixture_teardown);
  return g_test_run ();
}
