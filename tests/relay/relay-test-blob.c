/* relay-test-blob.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the attachment blob tests share: blobs made from their offsets,
 * so that 150 MB need no buffer, uploaded in parts over raw sockets (so
 * that a test can stop one halfway) and downloaded with their bytes
 * hashed as they arrive.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "relay-test-blob.h"
#include "relay-test-raw.h"

#define WRITE_CHUNK  (1024 * 1024)

/* Blobs of up to 200 MiB, for the resumed upload of 150 MB. */
const char *test_blob_limits =
  "[limits]\n"
  "max-blob-bytes=209715200\n";

/* A relay whose blobs fill up quickly. */
const char *test_blob_quota_limits =
  "[limits]\n"
  "max-blob-bytes=600000\n"
  "blob-quota-bytes=1000000\n";

/* A relay whose blobs expire after a second, and are swept only when it starts. */
const char *test_blob_expiry_limits =
  "[limits]\n"
  "blob-quota-bytes=8192\n"
  "blob-max-age-seconds=1\n"
  "blob-sweep-seconds=3600\n";

char *
test_blob_conf_with (const char *limits)
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
char *
test_blob_expected_digest (guint64 first,
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
char *
test_blob_create_upload_on (TestFixture *fixture,
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

char *
test_blob_create_upload (TestFixture *fixture,
                         TestAccount *account,
                         guint64      size,
                         guint       *status)
{
  return test_blob_create_upload_on (fixture, fixture->relay, account, size, status);
}

/* Reads one answer's head and JSON body from a raw socket. */
TestResponse *
test_blob_read_answer (int fd)
{
  gint64 deadline = g_get_monotonic_time () + TEST_BLOB_ANSWER_TIMEOUT_US;
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
int
test_blob_start_part (TestRelay   *relay,
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

/* Starts a part of `length` bytes from `first` that asks to be told
 * before it sends its body, and waits until the relay let it in: the
 * part is then under way, and holds its upload. */
int
test_blob_start_admitted_part (TestRelay  *relay,
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

/* Writes the test blob's bytes [first, end). */
void
test_blob_send_bytes (int     fd,
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

/* Uploads bytes [first, first + length) as one part and returns the
 * answer. */
TestResponse *
test_blob_put (TestRelay         *relay,
               const char        *auth,
               const char        *id,
               guint64            first,
               guint64            length,
               guint64            total,
               TestBlobPartFlags  flags)
{
  int fd = test_blob_start_part (relay, auth, id, first, length, total,
                                 (flags & TEST_BLOB_PART_WHOLE) != 0);
  TestResponse *response;

  if ((flags & TEST_BLOB_PART_HEAD_ONLY) == 0)
    test_blob_send_bytes (fd, first, first + length);
  response = test_blob_read_answer (fd);
  close (fd);
  return response;
}

void
test_blob_assert_part_done (TestResponse *response,
                            guint64       offset,
                            gboolean      complete)
{
  JsonObject *object = test_response_object (response);

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpint (json_object_get_int_member (object, "offset"), ==, (gint64) offset);
  g_assert_cmpint (json_object_get_boolean_member (object, "complete"), ==, complete);
}

void
test_blob_download_clear (TestBlobDownload *download)
{
  g_free (download->digest);
  g_free (download->content_range);
}

/* Downloads a blob, or the range `range` of it, over a raw socket and
 * hashes the body as it arrives. */
void
test_blob_download (TestRelay  *relay,
                    const char *auth,
                    const char *id,
                    const char *range,
                    TestBlobDownload   *result)
{
  gint64 deadline = g_get_monotonic_time () + TEST_BLOB_ANSWER_TIMEOUT_US;
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

void
test_blob_assert_downloads (TestRelay  *relay,
                            const char *auth,
                            const char *id,
                            guint64     size)
{
  g_auto(TestBlobDownload) got = { 0 };
  g_autofree char *expected = test_blob_expected_digest (0, size);

  test_blob_download (relay, auth, id, NULL, &got);
  g_assert_cmpuint (got.status, ==, 200);
  g_assert_cmpuint (got.length, ==, size);
  g_assert_cmpstr (got.digest, ==, expected);
}

/* A stranger who knows an upload's id (a recipient of an earlier copy
 * of the file, or anyone it leaked to) learns nothing of it: where it
 * stands is its owner's to know, and so is whether a part of it is
 * being received right now.  The stranger's part and question are
 * answered `404` while the owner's part is under way as before it, on
 * `asked`, the node of the owner's part or another on its database,
 * and the owner's part goes on undisturbed. */
void
test_blob_assert_stranger_sees_nothing (TestFixture *fixture,
                                        TestRelay   *asked)
{
  guint64 size = 2 * TEST_BLOB_MIB;
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) mallory = test_account_register (fixture->session, fixture->relay, "mallory", 0);
  g_autofree char *id = test_blob_create_upload (fixture, alice, size, NULL);
  g_autoptr(TestResponse) idle = NULL;
  g_autoptr(TestResponse) idle_part = NULL;
  g_autoptr(TestResponse) during = NULL;
  g_autoptr(TestResponse) part = NULL;
  g_autoptr(TestResponse) done = NULL;
  int fd;

  g_assert_null (test_blob_upload_status_on (fixture, asked, mallory, id, &idle));
  g_assert_cmpuint (idle->status, ==, 404);
  /* Nor does the stranger's part hold the upload's lock for a moment:
   * a node on PostgreSQL lets go of a lock without waiting for the
   * server, and the owner's part next would find it held, and busy. */
  idle_part = test_blob_put (asked, mallory->auth, id, 0, 1, size, TEST_BLOB_PART_HEAD_ONLY);
  g_assert_cmpuint (idle_part->status, ==, 404);

  fd = test_blob_start_admitted_part (fixture->relay, alice->auth, id, 0, size, size);
  g_assert_null (test_blob_upload_status_on (fixture, asked, mallory, id, &during));
  g_assert_cmpuint (during->status, ==, 404);
  part = test_blob_put (asked, mallory->auth, id, 0, 1, size, TEST_BLOB_PART_HEAD_ONLY);
  g_assert_cmpuint (part->status, ==, 404);

  test_blob_send_bytes (fd, 0, size);
  done = test_blob_read_answer (fd);
  close (fd);
  test_blob_assert_part_done (done, size, TRUE);
  test_blob_assert_downloads (asked, mallory->auth, id, size);
}

JsonObject *
test_blob_upload_status_on (TestFixture   *fixture,
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
gint64
test_blob_wait_for_offset_on (TestFixture *fixture,
                              TestRelay   *relay,
                              TestAccount *account,
                              const char  *id)
{
  gint64 deadline = g_get_monotonic_time () + TEST_BLOB_ANSWER_TIMEOUT_US;

  for (;;)
    {
      g_autoptr(TestResponse) response = NULL;
      JsonObject *object = test_blob_upload_status_on (fixture, relay, account, id, &response);

      if (object != NULL)
        return json_object_get_int_member (object, "offset");
      g_assert_cmpuint (response->status, ==, 409);
      g_assert_cmpstr (test_response_error (response), ==, "upload-busy");
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
}

char *
test_blob_path (TestFixture *fixture,
                const char  *id,
                const char  *name)
{
  return g_build_filename (fixture->dir, "blobs", id, name, NULL);
}

/* How many bytes of blob `id` the relay's store holds, as files in
 * DATA_DIR/blobs or as rows in its PostgreSQL database, and whether the
 * blob is committed; -1 when there is no such blob. */
gint64
test_blob_stored_bytes (TestFixture *fixture,
                        const char  *id,
                        gboolean    *committed)
{
  g_autofree char *data = test_blob_path (fixture, id, "data");
  g_autofree char *partial = test_blob_path (fixture, id, "partial");
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
