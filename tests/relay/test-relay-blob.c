/* test-relay-blob.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Attachment blobs against real relay processes: uploads streamed over
 * raw sockets (so that a test can stop one halfway), resumed after the
 * client or the relay went away, downloads whole and in ranges checked
 * byte for byte, the quota, the size limit and expiry.  The contents
 * are made from their offsets, so that 150 MB need no buffer.
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay-test-raw.h"
#include "relay-test-util.h"

#define MIB                (1024 * 1024)
#define WRITE_CHUNK        (1024 * 1024)
#define ANSWER_TIMEOUT_US  (30 * G_USEC_PER_SEC)

/* Blobs of up to 200 MiB, for the resumed upload of 150 MB. */
static const char *blob_conf_limits =
  "[limits]\n"
  "max-blob-bytes=209715200\n";

static char *
conf_with (const char *limits)
{
  return g_strconcat (test_relay_relaxed_conf, limits, NULL);
}

/* The byte at `offset` of every test blob: a hash of the offset's
 * eight-byte word, so that a shifted or repeated chunk shows. */
static void
fill (guint8  *data,
      gsize    length,
      guint64  offset)
{
  for (gsize i = 0; i < length; i++)
    {
      guint64 position = offset + i;
      guint64 word = (position >> 3) + G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);

      word = (word ^ (word >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
      word = (word ^ (word >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
      word ^= word >> 31;
      data[i] = (guint8) (word >> (8 * (position & 7)));
    }
}

/* The SHA-256 of bytes [first, end) of every test blob. */
static char *
expected_digest (guint64 first,
                 guint64 end)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *chunk = g_malloc (WRITE_CHUNK);

  for (guint64 offset = first; offset < end; offset += WRITE_CHUNK)
    {
      gsize length = (gsize) MIN ((guint64) WRITE_CHUNK, end - offset);

      fill (chunk, length, offset);
      g_checksum_update (checksum, chunk, (gssize) length);
    }
  return g_strdup (g_checksum_get_string (checksum));
}

/* Creates an upload of `size` bytes on `relay`; returns its id, or
 * NULL with the answer's status in *status. */
static char *
create_upload_on (TestFixture *fixture,
                  TestRelay   *relay,
                  TestAccount *account,
                  guint64      size,
                  guint       *status)
{
  g_autofree char *body = g_strdup_printf ("{\"size\":%" G_GUINT64_FORMAT "}", size);
  g_autoptr(TestResponse) response = test_request (fixture->session, relay, "POST", "/v1/attachments",
                                                   account != NULL ? account->auth : NULL, body);
  JsonObject *object;

  if (status != NULL)
    *status = response->status;
  if (response->status != 200)
    return NULL;
  object = test_response_object (response);
  g_assert_cmpint (json_object_get_int_member (object, "size"), ==, (gint64) size);
  g_assert_cmpint (json_object_get_int_member (object, "offset"), ==, 0);
  return g_strdup (json_object_get_string_member (object, "id"));
}

static char *
create_upload (TestFixture *fixture,
               TestAccount *account,
               guint64      size,
               guint       *status)
{
  return create_upload_on (fixture, fixture->relay, account, size, status);
}

/* Reads one answer's head and JSON body from a raw socket. */
static TestResponse *
read_answer (int fd)
{
  gint64 deadline = g_get_monotonic_time () + ANSWER_TIMEOUT_US;
  g_autoptr(GString) reply = g_string_new (NULL);
  TestResponse *response = g_new0 (TestResponse, 1);
  const char *head_end;
  const char *length_field;
  gsize head_length;
  guint64 length;

  while ((head_end = strstr (reply->str, "\r\n\r\n")) == NULL)
    g_assert_cmpint (test_raw_read (fd, reply, deadline), ==, TEST_READ_DATA);
  head_length = (gsize) (head_end - reply->str) + 4;
  length_field = strstr (reply->str, "content-length: ");
  g_assert_nonnull (length_field);
  length = g_ascii_strtoull (length_field + strlen ("content-length: "), NULL, 10);
  while (reply->len < head_length + length)
    g_assert_cmpint (test_raw_read (fd, reply, deadline), ==, TEST_READ_DATA);
  response->status = (guint) g_ascii_strtoull (reply->str + strlen ("HTTP/1.1 "), NULL, 10);
  response->body = g_strndup (reply->str + head_length, (gsize) length);
  response->json = json_from_string (response->body, NULL);
  return response;
}

/* Sends the head of a part of bytes [first, first + length) of a blob of
 * `total`, with a Content-Range unless `whole`. */
static int
start_part (TestRelay   *relay,
            const char  *auth,
            const char  *id,
            guint64      first,
            guint64      length,
            guint64      total,
            gboolean     whole)
{
  int fd = test_raw_connect (relay);
  g_autofree char *range = NULL;
  g_autofree char *head = NULL;

  if (!whole)
    range = g_strdup_printf ("Content-Range: bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
                             "\r\n", first, first + length - 1, total);
  head = g_strdup_printf ("PUT /v1/attachments/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%s%s"
                          "Content-Length: %" G_GUINT64_FORMAT "\r\n\r\n",
                          id, auth != NULL ? "Authorization: " : "", auth != NULL ? auth : "",
                          auth != NULL ? "\r\n" : "", range != NULL ? range : "", length);
  test_raw_write_string (fd, head);
  return fd;
}

/* Writes the test blob's bytes [first, end). */
static void
send_bytes (int     fd,
            guint64 first,
            guint64 end)
{
  g_autofree guint8 *chunk = g_malloc (WRITE_CHUNK);

  for (guint64 offset = first; offset < end; offset += WRITE_CHUNK)
    {
      gsize length = (gsize) MIN ((guint64) WRITE_CHUNK, end - offset);

      fill (chunk, length, offset);
      test_raw_write (fd, (const char *) chunk, length);
    }
}

typedef enum
{
  PART_RANGED = 0,          /* with a Content-Range */
  PART_WHOLE = 1 << 0,      /* without one: the body is the whole blob */
  PART_HEAD_ONLY = 1 << 1,  /* for a part the relay refuses, as it answers
                             * before it reads any of the body */
} PartFlags;

/* Uploads bytes [first, first + length) as one part and returns the
 * answer. */
static TestResponse *
put (TestRelay  *relay,
     const char *auth,
     const char *id,
     guint64     first,
     guint64     length,
     guint64     total,
     PartFlags   flags)
{
  int fd = start_part (relay, auth, id, first, length, total, (flags & PART_WHOLE) != 0);
  TestResponse *response;

  if ((flags & PART_HEAD_ONLY) == 0)
    send_bytes (fd, first, first + length);
  response = read_answer (fd);
  close (fd);
  return response;
}

static void
assert_part_done (TestResponse *response,
                  guint64       offset,
                  gboolean      complete)
{
  JsonObject *object = test_response_object (response);

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (object, "offset"), ==, (gint64) offset);
  g_assert_cmpint (json_object_get_boolean_member (object, "complete"), ==, complete);
}

typedef struct
{
  guint    status;
  guint64  length;
  char    *digest;
  char    *content_range;
} Download;

static void
download_clear (Download *download)
{
  g_free (download->digest);
  g_free (download->content_range);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Download, download_clear)

/* Downloads a blob, or the range `range` of it, over a raw socket and
 * hashes the body as it arrives. */
static void
download (TestRelay  *relay,
          const char *auth,
          const char *id,
          const char *range,
          Download   *result)
{
  gint64 deadline = g_get_monotonic_time () + ANSWER_TIMEOUT_US;
  g_autoptr(GString) reply = g_string_new (NULL);
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *request = NULL;
  int fd = test_raw_connect (relay);
  const char *head_end;
  const char *field;
  gsize head_length;
  guint64 received;

  request = g_strdup_printf ("GET /v1/attachments/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%s%s%s%s\r\n", id,
                             auth != NULL ? "Authorization: " : "", auth != NULL ? auth : "",
                             auth != NULL ? "\r\n" : "", range != NULL ? "Range: " : "",
                             range != NULL ? range : "", range != NULL ? "\r\n" : "");
  test_raw_write_string (fd, request);
  while ((head_end = strstr (reply->str, "\r\n\r\n")) == NULL)
    g_assert_cmpint (test_raw_read (fd, reply, deadline), ==, TEST_READ_DATA);
  head_length = (gsize) (head_end - reply->str) + 4;
  result->status = (guint) g_ascii_strtoull (reply->str + strlen ("HTTP/1.1 "), NULL, 10);
  field = strstr (reply->str, "content-length: ");
  g_assert_true (field != NULL && field < head_end);
  result->length = g_ascii_strtoull (field + strlen ("content-length: "), NULL, 10);
  field = strstr (reply->str, "content-range: ");
  if (field != NULL && field < head_end)
    result->content_range = g_strndup (field + strlen ("content-range: "),
                                       strcspn (field + strlen ("content-range: "), "\r"));
  received = reply->len - head_length;
  g_checksum_update (checksum, (const guint8 *) reply->str + head_length, (gssize) received);
  while (received < result->length)
    {
      g_string_truncate (reply, 0);
      g_assert_cmpint (test_raw_read (fd, reply, deadline), ==, TEST_READ_DATA);
      g_checksum_update (checksum, (const guint8 *) reply->str, (gssize) reply->len);
      received += reply->len;
    }
  g_assert_cmpuint (received, ==, result->length);
  result->digest = g_strdup (g_checksum_get_string (checksum));
  close (fd);
}

static void
assert_downloads (TestRelay  *relay,
                  const char *auth,
                  const char *id,
                  guint64     size)
{
  g_auto(Download) got = { 0 };
  g_autofree char *expected = expected_digest (0, size);

  download (relay, auth, id, NULL, &got);
  g_assert_cmpuint (got.status, ==, 200);
  g_assert_cmpuint (got.length, ==, size);
  g_assert_cmpstr (got.digest, ==, expected);
}

static JsonObject *
upload_status_on (TestFixture   *fixture,
                  TestRelay     *relay,
                  TestAccount   *account,
                  const char    *id,
                  TestResponse **holder)
{
  g_autofree char *path = g_strdup_printf ("/v1/attachments/%s/upload", id);

  *holder = test_request (fixture->session, relay, "GET", path, account->auth, NULL);
  return (*holder)->status == 200 ? test_response_object (*holder) : NULL;
}

/* The offset an upload stands at, as `relay` tells it once no part of
 * it is under way. */
static gint64
wait_for_offset_on (TestFixture *fixture,
                    TestRelay   *relay,
                    TestAccount *account,
                    const char  *id)
{
  gint64 deadline = g_get_monotonic_time () + ANSWER_TIMEOUT_US;

  for (;;)
    {
      g_autoptr(TestResponse) response = NULL;
      JsonObject *object = upload_status_on (fixture, relay, account, id, &response);

      if (object != NULL)
        return json_object_get_int_member (object, "offset");
      g_assert_cmpuint (response->status, ==, 409);
      g_assert_cmpstr (test_response_error (response), ==, "upload-busy");
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
}

static char *
blob_path (TestFixture *fixture,
           const char  *id,
           const char  *name)
{
  return g_build_filename (fixture->dir, "blobs", id, name, NULL);
}

/* How many bytes of blob `id` the relay's store holds, as files in
 * DATA_DIR/blobs or as rows in its PostgreSQL database, and whether the
 * blob is committed; -1 when there is no such blob. */
static gint64
stored_bytes (TestFixture *fixture,
              const char  *id,
              gboolean    *committed)
{
  g_autofree char *data = blob_path (fixture, id, "data");
  g_autofree char *partial = blob_path (fixture, id, "partial");
  g_autofree char *stored_sql = NULL;
  g_autofree char *committed_sql = NULL;
  g_autofree char *chunks_sql = NULL;
  GStatBuf st;
  gint64 stored;

  if (!test_relay_uses_postgresql ())
    {
      *committed = g_stat (data, &st) == 0;
      if (!*committed && g_stat (partial, &st) != 0)
        return -1;
      g_assert_cmpint (st.st_mode & 0777, ==, 0600);
      return st.st_size;
    }
  stored_sql = g_strdup_printf ("SELECT coalesce ((SELECT stored FROM blobs WHERE id = '%s'), -1)", id);
  committed_sql = g_strdup_printf ("SELECT count (*) FROM blobs WHERE id = '%s' AND committed", id);
  /* In one statement, which sees what the relay committed at once. */
  chunks_sql = g_strdup_printf ("SELECT count (*) FROM blobs WHERE id = '%s' AND stored <> "
                                "(SELECT coalesce (sum (length (data)), 0) FROM blob_chunks WHERE blob = '%s')",
                                id, id);
  stored = test_fixture_query_int (fixture, stored_sql);
  *committed = test_fixture_query_int (fixture, committed_sql) == 1;
  g_assert_cmpint (test_fixture_query_int (fixture, chunks_sql), ==, 0);
  return stored;
}

static void
test_empty (TestFixture   *fixture,
            gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = create_upload (fixture, alice, 0, NULL);
  g_autoptr(TestResponse) response = put (fixture->relay, alice->auth, id, 0, 0, 0, PART_WHOLE);
  g_autoptr(TestResponse) status = NULL;
  g_auto(Download) range = { 0 };
  JsonObject *object;

  assert_part_done (response, 0, TRUE);
  assert_downloads (fixture->relay, alice->auth, id, 0);
  object = upload_status_on (fixture, fixture->relay, alice, id, &status);
  g_assert_nonnull (object);
  g_assert_true (json_object_get_boolean_member (object, "complete"));
  /* No byte of an empty blob can be asked for. */
  download (fixture->relay, alice->auth, id, "bytes=0-", &range);
  g_assert_cmpuint (range.status, ==, 416);
}

static void
test_round_trip (TestFixture   *fixture,
                 gconstpointer  data)
{
  guint64 size = 3 * MIB + 17;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autofree char *id = create_upload (fixture, alice, size, NULL);
  g_autoptr(TestResponse) response = NULL;
  g_autofree char *middle = expected_digest (100, 200);
  g_autofree char *tail = expected_digest (size - 10, size);
  g_auto(Download) part = { 0 };
  g_auto(Download) suffix = { 0 };
  g_auto(Download) past = { 0 };
  g_autofree char *whole_range = g_strdup_printf ("bytes 100-199/%" G_GUINT64_FORMAT, size);
  g_autofree char *from_end = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-", size);
  gboolean committed = FALSE;

  /* Not downloadable until the upload is complete. */
  download (fixture->relay, bob->auth, id, NULL, &part);
  g_assert_cmpuint (part.status, ==, 404);
  download_clear (&part);
  memset (&part, 0, sizeof part);

  response = put (fixture->relay, alice->auth, id, 0, size, size, PART_WHOLE);
  assert_part_done (response, size, TRUE);
  g_assert_cmpint (stored_bytes (fixture, id, &committed), ==, (gint64) size);
  g_assert_true (committed);

  /* Any account may download it; the uploader may too. */
  assert_downloads (fixture->relay, bob->auth, id, size);
  assert_downloads (fixture->relay, alice->auth, id, size);

  download (fixture->relay, bob->auth, id, "bytes=100-199", &part);
  g_assert_cmpuint (part.status, ==, 206);
  g_assert_cmpuint (part.length, ==, 100);
  g_assert_cmpstr (part.digest, ==, middle);
  g_assert_cmpstr (part.content_range, ==, whole_range);
  download (fixture->relay, bob->auth, id, "bytes=-10", &suffix);
  g_assert_cmpuint (suffix.status, ==, 206);
  g_assert_cmpstr (suffix.digest, ==, tail);
  download (fixture->relay, bob->auth, id, from_end, &past);
  g_assert_cmpuint (past.status, ==, 416);

  /* The part cannot be sent again. */
  g_clear_pointer (&response, test_response_free);
  response = put (fixture->relay, alice->auth, id, 0, 10, size, PART_RANGED | PART_HEAD_ONLY);
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
  g_auto(Download) missing = { 0 };
  g_auto(Download) bad = { 0 };

  for (guint i = 0; i < 16; i++)
    {
      char *id = create_upload (fixture, alice, 10, NULL);

      /* 32 random bytes in hex: nothing to count up or guess. */
      g_assert_cmpuint (strlen (id), ==, 64);
      g_assert_cmpuint (strspn (id, "0123456789abcdef"), ==, 64);
      g_assert_true (g_hash_table_add (ids, id));
    }
  other = g_strnfill (64, 'a');
  download (fixture->relay, alice->auth, other, NULL, &missing);
  g_assert_cmpuint (missing.status, ==, 404);
  download (fixture->relay, alice->auth, "..%2f..%2frelay.db", NULL, &bad);
  g_assert_cmpuint (bad.status, ==, 404);
}

static void
test_unauthenticated (TestFixture   *fixture,
                      gconstpointer  data)
{
  guint64 size = 2 * MIB;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *wrong = test_basic_auth (alice->uuid, 1, "not-the-password-at-all");
  g_autofree char *id = create_upload (fixture, alice, size, NULL);
  g_autoptr(TestResponse) anonymous = NULL;
  g_autoptr(TestResponse) impostor = NULL;
  g_autoptr(TestResponse) done = NULL;
  g_auto(Download) nobody = { 0 };
  guint status = 0;
  gboolean committed = TRUE;

  g_assert_null (create_upload (fixture, NULL, 10, &status));
  g_assert_cmpuint (status, ==, 401);
  /* A part from no one, or with a wrong password, writes nothing. */
  anonymous = put (fixture->relay, NULL, id, 0, size, size, PART_WHOLE | PART_HEAD_ONLY);
  g_assert_cmpuint (anonymous->status, ==, 401);
  impostor = put (fixture->relay, wrong, id, 0, size, size, PART_WHOLE | PART_HEAD_ONLY);
  g_assert_cmpuint (impostor->status, ==, 401);
  g_assert_cmpint (stored_bytes (fixture, id, &committed), ==, 0);
  g_assert_false (committed);

  done = put (fixture->relay, alice->auth, id, 0, size, size, PART_WHOLE);
  assert_part_done (done, size, TRUE);
  download (fixture->relay, NULL, id, NULL, &nobody);
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
  g_autofree char *id = create_upload (fixture, alice, size, NULL);
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
  fd = start_part (fixture->relay, alice->auth, id, 0, size, size, FALSE);
  send_bytes (fd, 0, half);
  /* The body streams to disk: 75 MB sent leave the relay's memory
   * where it was, give or take its buffers. */
  g_assert_cmpuint (test_relay_resident_bytes (fixture->relay), <, baseline + 32 * MIB);
  /* While that part is open, no other may write. */
  busy = put (fixture->relay, alice->auth, id, 0, 10, size, PART_RANGED | PART_HEAD_ONLY);
  g_assert_cmpuint (busy->status, ==, 409);
  g_assert_cmpstr (test_response_error (busy), ==, "upload-busy");
  close (fd);

  offset = wait_for_offset_on (fixture, fixture->relay, alice, id);
  /* What the relay took before the socket closed is all kept. */
  g_assert_cmpint (offset, ==, (gint64) half);
  /* Only the owner learns how far an upload got. */
  g_clear_pointer (&strange, test_response_free);
  g_assert_null (upload_status_on (fixture, fixture->relay, bob, id, &strange));
  g_assert_cmpuint (strange->status, ==, 404);

  /* A part that does not start there is refused, with the offset. */
  mismatch = put (fixture->relay, alice->auth, id, (guint64) offset - 1, 10, size, PART_RANGED | PART_HEAD_ONLY);
  g_assert_cmpuint (mismatch->status, ==, 409);
  object = test_response_object (mismatch);
  g_assert_cmpstr (json_object_get_string_member (object, "error"), ==, "offset-mismatch");
  g_assert_cmpint (json_object_get_int_member (object, "offset"), ==, offset);

  done = put (fixture->relay, alice->auth, id, (guint64) offset, size - (guint64) offset, size, PART_RANGED);
  assert_part_done (done, size, TRUE);
  assert_downloads (fixture->relay, bob->auth, id, size);

  /* A client that reads nothing of a download makes the relay read no
   * further ahead than a couple of chunks.  Measured from here: under
   * AddressSanitizer, what the relay freed so far stays resident. */
  baseline = test_relay_resident_bytes (fixture->relay);
  reader = test_raw_connect_small (fixture->relay);
  request = g_strdup_printf ("GET /v1/attachments/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\n\r\n",
                             id, bob->auth);
  test_raw_write_string (reader, request);
  g_usleep (500 * 1000);
  g_assert_cmpuint (test_relay_resident_bytes (fixture->relay), <, baseline + 32 * MIB);
  close (reader);
}

/* A client that asks to be told before it sends the body (Expect:
 * 100-continue, as curl does for large bodies) is told at once when the
 * part fits, and given the final answer without it when not. */
static void
test_expect_continue (TestFixture   *fixture,
                      gconstpointer  data)
{
  guint64 size = MIB;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = create_upload (fixture, alice, size, NULL);
  g_autofree char *wrong = NULL;
  g_autofree char *right = NULL;
  g_autoptr(GString) interim = g_string_new (NULL);
  g_autoptr(TestResponse) refused = NULL;
  g_autoptr(TestResponse) done = NULL;
  gint64 deadline = g_get_monotonic_time () + ANSWER_TIMEOUT_US;
  int fd;

  wrong = g_strdup_printf ("PUT /v1/attachments/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\n"
                           "Expect: 100-continue\r\nContent-Range: bytes 5-%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
                           "\r\nContent-Length: %" G_GUINT64_FORMAT "\r\n\r\n",
                           id, alice->auth, size - 1, size, size - 5);
  fd = test_raw_connect (fixture->relay);
  test_raw_write_string (fd, wrong);
  refused = read_answer (fd);
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
  send_bytes (fd, 0, size);
  done = read_answer (fd);
  close (fd);
  assert_part_done (done, size, TRUE);
  assert_downloads (fixture->relay, alice->auth, id, size);
}

/* A client that sends the last part and goes without its answer still
 * has its blob committed. */
static void
test_last_part_unanswered (TestFixture   *fixture,
                           gconstpointer  data)
{
  guint64 size = MIB + 3;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = create_upload (fixture, alice, size, NULL);
  gint64 deadline = g_get_monotonic_time () + ANSWER_TIMEOUT_US;
  int fd = start_part (fixture->relay, alice->auth, id, 0, size, size, TRUE);

  send_bytes (fd, 0, size);
  close (fd);
  for (;;)
    {
      g_autoptr(TestResponse) response = NULL;
      JsonObject *object = upload_status_on (fixture, fixture->relay, alice, id, &response);

      if (object != NULL)
        {
          g_assert_cmpint (json_object_get_int_member (object, "offset"), ==, (gint64) size);
          if (json_object_get_boolean_member (object, "complete"))
            break;
        }
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  assert_downloads (fixture->relay, alice->auth, id, size);
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
  g_autofree char *id = create_upload (fixture, alice, size, NULL);
  g_autoptr(TestResponse) done = NULL;
  int fd = start_part (fixture->relay, alice->auth, id, 0, size, size, TRUE);

  for (guint64 offset = 0; offset < size; offset += step)
    {
      if (offset > 0)
        g_usleep (2 * G_USEC_PER_SEC);
      send_bytes (fd, offset, offset + step);
    }
  done = read_answer (fd);
  close (fd);
  assert_part_done (done, size, TRUE);
  assert_downloads (fixture->relay, alice->auth, id, size);
}

/* The relay dies with a part half received; started again, it resumes
 * the upload from what it had written. */
static void
test_restart (TestFixture   *fixture,
              gconstpointer  data)
{
  guint64 size = 16 * MIB;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = create_upload (fixture, alice, size, NULL);
  gint64 deadline = g_get_monotonic_time () + ANSWER_TIMEOUT_US;
  g_autoptr(TestResponse) done = NULL;
  gboolean committed;
  gint64 offset;
  int fd;

  fd = start_part (fixture->relay, alice->auth, id, 0, size, size, TRUE);
  send_bytes (fd, 0, size / 2);
  while (stored_bytes (fixture, id, &committed) < (gint64) (size / 4))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10000);
    }
  test_relay_kill (fixture->relay);
  close (fd);
  test_relay_restart (fixture->relay);

  offset = wait_for_offset_on (fixture, fixture->relay, alice, id);
  g_assert_cmpint (offset, >=, (gint64) (size / 4));
  g_assert_cmpint (offset, <=, (gint64) (size / 2));
  done = put (fixture->relay, alice->auth, id, (guint64) offset, size - (guint64) offset, size, PART_RANGED);
  assert_part_done (done, size, TRUE);
  assert_downloads (fixture->relay, alice->auth, id, size);
}

static const char *quota_limits =
  "[limits]\n"
  "max-blob-bytes=600000\n"
  "blob-quota-bytes=1000000\n";

static void
test_quota (TestFixture   *fixture,
            gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autofree char *first = create_upload (fixture, alice, 600000, NULL);
  g_autofree char *second = NULL;
  g_autofree char *small = NULL;
  g_autofree char *other = NULL;
  guint status = 0;

  g_assert_nonnull (first);
  /* Past the quota, counting the upload not yet sent. */
  second = create_upload (fixture, alice, 500000, &status);
  g_assert_null (second);
  g_assert_cmpuint (status, ==, 507);
  small = create_upload (fixture, alice, 300000, NULL);
  g_assert_nonnull (small);
  /* Even empty blobs count a little, so that they cannot pile up. */
  for (guint i = 0; i < 24; i++)
    g_free (create_upload (fixture, alice, 0, NULL));
  g_assert_null (create_upload (fixture, alice, 0, &status));
  g_assert_cmpuint (status, ==, 507);
  /* Another account has its own. */
  other = create_upload (fixture, bob, 600000, NULL);
  g_assert_nonnull (other);
}

static void
test_size_limit (TestFixture   *fixture,
                 gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = create_upload (fixture, alice, 1000, NULL);
  g_autoptr(TestResponse) longer = NULL;
  g_autoptr(TestResponse) beyond = NULL;
  guint status = 0;

  g_assert_null (create_upload (fixture, alice, 600001, &status));
  g_assert_cmpuint (status, ==, 413);
  /* No part may carry more than the upload declared. */
  longer = put (fixture->relay, alice->auth, id, 0, 1001, 1001, PART_WHOLE | PART_HEAD_ONLY);
  g_assert_cmpuint (longer->status, ==, 400);
  g_assert_cmpstr (test_response_error (longer), ==, "bad-range");
  beyond = put (fixture->relay, alice->auth, id, 0, 1001, 1000, PART_RANGED | PART_HEAD_ONLY);
  g_assert_cmpuint (beyond->status, ==, 400);
}

static const char *expiry_limits =
  "[limits]\n"
  "blob-quota-bytes=8192\n"
  "blob-max-age-seconds=1\n"
  "blob-sweep-seconds=3600\n";

static void
test_expiry (TestFixture   *fixture,
             gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = create_upload (fixture, alice, 100, NULL);
  g_autofree char *other = create_upload (fixture, alice, 100, NULL);
  g_autofree char *conf_path = g_build_filename (fixture->dir, "relay.conf", NULL);
  g_autofree char *fast_conf = NULL;
  g_autofree char *later = NULL;
  g_autoptr(TestResponse) done = NULL;
  g_autoptr(TestResponse) late = NULL;
  g_autoptr(TestResponse) status = NULL;
  g_auto(Download) gone = { 0 };
  g_auto(Download) swept = { 0 };
  gboolean committed;
  gint64 deadline;
  guint code = 0;

  done = put (fixture->relay, alice->auth, id, 0, 100, 100, PART_WHOLE);
  assert_part_done (done, 100, TRUE);
  assert_downloads (fixture->relay, alice->auth, id, 100);
  /* Both blobs fill the quota. */
  g_assert_null (create_upload (fixture, alice, 0, &code));
  g_assert_cmpuint (code, ==, 507);

  g_usleep (1100 * 1000);
  /* Expired but not yet swept: gone for everyone. */
  download (fixture->relay, alice->auth, id, NULL, &gone);
  g_assert_cmpuint (gone.status, ==, 410);
  late = put (fixture->relay, alice->auth, other, 0, 100, 100, PART_WHOLE | PART_HEAD_ONLY);
  g_assert_cmpuint (late->status, ==, 410);
  g_assert_null (upload_status_on (fixture, fixture->relay, alice, other, &status));
  g_assert_cmpuint (status->status, ==, 410);

  /* A relay sweeps as it starts, and then every blob-sweep-seconds. */
  fast_conf = conf_with ("[limits]\nblob-quota-bytes=8192\nblob-max-age-seconds=1\nblob-sweep-seconds=1\n");
  g_assert_true (g_file_set_contents (conf_path, fast_conf, -1, NULL));
  g_assert_cmpint (test_relay_stop (fixture->relay), ==, 0);
  test_relay_restart (fixture->relay);
  deadline = g_get_monotonic_time () + ANSWER_TIMEOUT_US;
  while (stored_bytes (fixture, id, &committed) >= 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  download (fixture->relay, alice->auth, id, NULL, &swept);
  g_assert_cmpuint (swept.status, ==, 404);

  /* The quota comes back with them, as soon as the sweep has counted
   * what it removed; a blob made now goes too. */
  while ((later = create_upload (fixture, alice, 100, &code)) == NULL)
    {
      g_assert_cmpuint (code, ==, 507);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  g_assert_cmpint (stored_bytes (fixture, later, &committed), ==, 0);
  while (stored_bytes (fixture, later, &committed) >= 0)
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
  gint64 deadline = g_get_monotonic_time () + ANSWER_TIMEOUT_US;
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
  guint64 size = 8 * MIB;
  g_autofree char *id = create_upload (fixture, alice, size, NULL);
  g_autoptr(TestResponse) done = NULL;
  int fds[STALLED_DOWNLOADS];
  int bob_fds[2];
  guint served = 0;
  guint refused = 0;
  gint64 deadline;

  done = put (fixture->relay, alice->auth, id, 0, size, size, PART_WHOLE);
  assert_part_done (done, size, TRUE);
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
  deadline = g_get_monotonic_time () + ANSWER_TIMEOUT_US;
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
  assert_downloads (fixture->relay, alice->auth, id, size);
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
  g_autofree char *id = create_upload (fixture, alice, 1000, NULL);
  g_autofree char *data_path = blob_path (fixture, id, "data");
  g_autofree char *cut = g_strdup_printf ("UPDATE blob_chunks SET data = substring (data FROM 1 FOR 500) "
                                          "WHERE blob = '%s'", id);
  g_autoptr(TestResponse) done = put (fixture->relay, alice->auth, id, 0, 1000, 1000, PART_WHOLE);

  assert_part_done (done, 1000, TRUE);
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
      g_auto(Download) refused = { 0 };

      download (fixture->relay, alice->auth, id, NULL, &refused);
      g_assert_cmpuint (refused.status, >=, 500);
    }
  g_assert_cmpuint (log_count (fixture->relay, "holds 500 bytes of a blob of 1000"), ==, 1);
  g_assert_cmpuint (log_count (fixture->relay, "WARNING"), ==, 1);
}

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
  guint64 size = 8 * MIB + 5;
  g_autofree char *b_dir = NULL;
  g_autofree char *c_dir = NULL;
  TestRelay *b = start_node (fixture, conf, &b_dir);
  TestRelay *c = start_node (fixture, conf, &c_dir);
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, c, "bob", 0);
  g_autofree char *id = create_upload (fixture, alice, size, NULL);
  g_autoptr(TestResponse) done = NULL;
  gint64 offset;
  int fd;

  fd = start_part (fixture->relay, alice->auth, id, 0, size, size, FALSE);
  send_bytes (fd, 0, size / 2);
  close (fd);
  offset = wait_for_offset_on (fixture, b, alice, id);
  g_assert_cmpint (offset, ==, (gint64) (size / 2));
  done = put (b, alice->auth, id, (guint64) offset, size - (guint64) offset, size, PART_RANGED);
  assert_part_done (done, size, TRUE);
  assert_downloads (c, bob->auth, id, size);
  assert_downloads (fixture->relay, bob->auth, id, size);
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
  g_autofree char *first = create_upload (fixture, alice, 600000, NULL);
  g_autofree char *small = NULL;
  guint status = 0;

  g_assert_nonnull (first);
  g_assert_null (create_upload_on (fixture, b, alice, 500000, &status));
  g_assert_cmpuint (status, ==, 507);
  small = create_upload_on (fixture, b, alice, 300000, NULL);
  g_assert_nonnull (small);
  g_assert_null (create_upload (fixture, alice, 200000, &status));
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
  guint64 size = 2 * MIB + 1;
  g_autofree char *b_dir = NULL;
  TestRelay *b = start_node (fixture, conf, &b_dir);
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = create_upload (fixture, alice, size, NULL);
  g_autofree char *head = g_strdup_printf ("PUT /v1/attachments/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Authorization: %s\r\nExpect: 100-continue\r\n"
                                           "Content-Length: %" G_GUINT64_FORMAT "\r\n\r\n", id, alice->auth, size);
  gint64 deadline = g_get_monotonic_time () + ANSWER_TIMEOUT_US;
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
  g_assert_null (upload_status_on (fixture, nodes[1 - winner], alice, id, &hidden));
  g_assert_cmpuint (hidden->status, ==, 409);
  g_assert_cmpstr (test_response_error (hidden), ==, "upload-busy");
  send_bytes (fds[winner], 0, size);
  done = read_answer (fds[winner]);
  assert_part_done (done, size, TRUE);
  assert_downloads (nodes[1 - winner], alice->auth, id, size);
  for (guint i = 0; i < 2; i++)
    {
      close (fds[i]);
      g_string_free (replies[i], TRUE);
    }
  stop_node (b, g_steal_pointer (&b_dir));
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
  id = create_upload (fixture, alice, 1000, NULL);
  done = put (fixture->relay, alice->auth, id, 0, 1000, 1000, PART_WHOLE);
  assert_part_done (done, 1000, TRUE);

  test_postgresql_server_stop ();
  test_postgresql_server_start ();
  /* Until the relay's storage has its connection back. */
  deadline = g_get_monotonic_time () + ANSWER_TIMEOUT_US;
  while (test_whoami_status (fixture->session, fixture->relay, alice->auth) != 200)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100000);
    }
  later = create_upload (fixture, alice, 1000, &code);
  g_assert_cmpuint (code, ==, 200);
  assert_downloads (fixture->relay, alice->auth, id, 1000);
}

/* Two nodes that sweep every second: the expired blobs' rows go, each
 * owner gets back exactly what it was charged, and a node that did not
 * sweep sees it. */
static void
test_nodes_expiry (TestFixture   *fixture,
                   gconstpointer  data)
{
  g_autofree char *fast_conf = conf_with ("[limits]\nblob-quota-bytes=8192\nblob-max-age-seconds=1\n"
                                          "blob-sweep-seconds=1\n");
  g_autofree char *b_dir = NULL;
  g_autofree char *c_dir = NULL;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *id = create_upload (fixture, alice, 100, NULL);
  g_autofree char *other = create_upload (fixture, alice, 4000, NULL);
  g_autoptr(TestResponse) done = put (fixture->relay, alice->auth, id, 0, 100, 100, PART_WHOLE);
  gint64 deadline = g_get_monotonic_time () + ANSWER_TIMEOUT_US;
  g_autofree char *later = NULL;
  TestRelay *b;
  TestRelay *c;
  guint code = 0;

  assert_part_done (done, 100, TRUE);
  /* An upload never sent fills the rest of the quota. */
  g_assert_nonnull (other);
  g_assert_null (create_upload (fixture, alice, 0, &code));
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
  later = create_upload (fixture, alice, 8192, NULL);
  g_assert_nonnull (later);
  stop_node (b, g_steal_pointer (&b_dir));
  stop_node (c, g_steal_pointer (&c_dir));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *blob_conf = conf_with (blob_conf_limits);
  g_autofree char *quota_conf = conf_with (quota_limits);
  g_autofree char *expiry_conf = conf_with (expiry_limits);
  g_autofree char *slow_conf = conf_with (slow_limits);
  g_autofree char *streams_conf = conf_with (streams_limits);
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
    { "/relay/blob/postgresql-restart", &blob_conf, test_postgresql_restart },
  };

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
  g_test_add ("/relay/blob/stalled-downloads", TestFixture, streams_conf, test_fixture_setup,
              test_stalled_downloads, test_fixture_teardown);
  /* Several nodes share blobs, and lose the server, only on PostgreSQL. */
  for (guint i = 0; i < G_N_ELEMENTS (postgresql_tests) && test_relay_uses_postgresql (); i++)
    g_test_add (postgresql_tests[i].path, TestFixture, *postgresql_tests[i].conf, test_fixture_setup,
                postgresql_tests[i].test, test_fixture_teardown);
  return g_test_run ();
}
