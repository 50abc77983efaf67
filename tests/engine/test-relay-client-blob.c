/* test-relay-client-blob.c: attachment uploads against a real relay
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The relay client's blob calls against a sotto-relay process: a whole
 * blob, an empty one, one whose upload is cut and resumed from where the
 * relay says it stands, each checked against the blob the relay wrote to
 * its disk and downloaded back; the relay's size and quota refusals; and
 * downloads of a missing blob or of one not the size expected; and a
 * file encrypted, uploaded, downloaded and decrypted through them.
 */

#include "config.h"

#include <string.h>

#include "sotto-attachment-file-private.h"
#include "sotto-attachment-transfer-private.h"
#include "sotto-relay-client-blob-private.h"

#include "engine-test-util.h"
#include "relay-test-util.h"

#define QUOTA_BYTES   200000
#define MAX_BLOB      150000
#define CUT_AFTER     40000
#define MARKER        "SOTTO-TRANSFER-MARKER-31c9"

typedef struct
{
  char             *dir;
  TestRelay        *relay;
  SottoRelayClient *client;
  char             *auth;   /* the client's credentials, "Basic ..." */
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  /* The expiry test's blobs expire after a second, and stay on the
   * relay's disk to be refused as expired rather than swept away. */
  gboolean expiring = g_strcmp0 (data, "expiring") == 0;
  /* The defaults test's relay has the blob limits it ships with. */
  g_autofree char *conf = g_strcmp0 (data, "defaults") == 0
                          ? g_strdup (test_relay_relaxed_conf)
                          : g_strdup_printf ("%s[limits]\nmax-blob-bytes=%d\nblob-quota-bytes=%d\n%s",
                                             test_relay_relaxed_conf, MAX_BLOB, QUOTA_BYTES,
                                             expiring ? "blob-max-age-seconds=1\nblob-sweep-seconds=3600\n" : "");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = NULL;
  guint device_id = 0;

  /* The relay warns about a blob damaged on its disk, which the
   * tampering test does on purpose: there its warnings are not fatal. */
  static const char * const tolerant_env[] = { "G_DEBUG=gc-friendly", NULL };

  fixture->dir = test_relay_make_data_dir ();
  fixture->relay = test_relay_start_full (fixture->dir, conf, NULL, FALSE, g_strcmp0 (data, "tolerant") == 0 ? tolerant_env : NULL);
  fixture->client = sotto_relay_client_new (fixture->relay->base_url, &error);
  g_assert_no_error (error);

  engine_test_register_async (fixture->client, "alice", "a-good-long-password", 7,
                              engine_test_result_cb, &result);
  engine_test_wait (&result);
  g_assert_true (sotto_relay_client_register_finish (fixture->client, result, &uuid, &device_id, &error));
  g_assert_no_error (error);
  sotto_relay_client_set_credentials (fixture->client, uuid, device_id, "a-good-long-password");
  fixture->auth = test_basic_auth (uuid, device_id, "a-good-long-password");
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->client);
  g_free (fixture->auth);
  g_assert_cmpint (test_relay_stop (fixture->relay), ==, 0);
  test_relay_free (fixture->relay);
  test_relay_remove_data_dir (fixture->dir);
  g_free (fixture->dir);
}

/* A stream that fails after @limit bytes, as a connection that drops. */
#define TYPE_CUT_STREAM (cut_stream_get_type ())
G_DECLARE_FINAL_TYPE (CutStream, cut_stream, CUT, STREAM, GMemoryInputStream)

struct _CutStream
{
  GMemoryInputStream parent_instance;
  gsize              left;
};

G_DEFINE_TYPE (CutStream, cut_stream, G_TYPE_MEMORY_INPUT_STREAM)

static gssize
cut_stream_read (GInputStream  *stream,
                 void          *buffer,
                 gsize          count,
                 GCancellable  *cancellable,
                 GError       **error)
{
  CutStream *self = CUT_STREAM (stream);
  gssize n;

  if (self->left == 0)
    {
      /* Give the relay time to read and keep what went out before. */
      g_usleep (300 * 1000);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "cut");
      return -1;
    }
  n = G_INPUT_STREAM_CLASS (cut_stream_parent_class)->read_fn (stream, buffer, MIN (count, self->left),
                                                               cancellable, error);
  if (n > 0)
    self->left -= (gsize) n;

  return n;
}

static void
cut_stream_class_init (CutStreamClass *klass)
{
  G_INPUT_STREAM_CLASS (klass)->read_fn = cut_stream_read;
}

static void
cut_stream_init (CutStream *self)
{
}

static GBytes *
blob_of_size (gsize size)
{
  guint8 *data = g_malloc (size + 1);
  gsize i;

  for (i = 0; i < size; i++)
    data[i] = (guint8) (i * 13 + 5);

  return g_bytes_new_take (data, size);
}

static SottoRelayUpload *
create_upload (Fixture  *fixture,
               guint64   size,
               GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  _sotto_relay_client_create_upload_async (fixture->client, size, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);

  return _sotto_relay_client_create_upload_finish (fixture->client, result, error);
}

static SottoRelayUpload *
put_upload (Fixture                *fixture,
            const SottoRelayUpload *upload,
            GInputStream           *rest,
            GError                **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  _sotto_relay_client_put_upload_async (fixture->client, upload, rest, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);

  return _sotto_relay_client_put_upload_finish (fixture->client, result, error);
}

/* Where the upload stands, once the relay has let go of a cut part. */
static SottoRelayUpload *
get_upload (Fixture          *fixture,
            SottoRelayUpload *upload)
{
  for (;;)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      SottoRelayUpload *state;

      _sotto_relay_client_get_upload_async (fixture->client, upload->id, upload->size, NULL,
                                            engine_test_result_cb, &result);
      engine_test_wait (&result);
      state = _sotto_relay_client_get_upload_finish (fixture->client, result, &error);
      if (state != NULL)
        return state;
      /* 409 upload-busy: the relay still reads the cut part. */
      g_assert_nonnull (strstr (error->message, "upload-busy"));
      g_usleep (50 * 1000);
    }
}

static void
assert_stored (Fixture    *fixture,
               const char *id,
               GBytes     *blob)
{
  g_autofree char *path = g_build_filename (fixture->dir, "blobs", id, "data", NULL);
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpmem (contents, len, g_bytes_get_data (blob, NULL), g_bytes_get_size (blob));
}

static GBytes *
download (Fixture           *fixture,
          const char        *id,
          guint64            size,
          GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();

  _sotto_relay_client_download_async (fixture->client, id, size, out, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  /* Never more than the blob's size is written, even by a relay that
   * sends more. */
  if (!_sotto_relay_client_download_finish (fixture->client, result, error))
    {
      g_assert_cmpuint (g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out)), <=, size);
      return NULL;
    }
  g_assert_true (g_output_stream_close (out, NULL, NULL));

  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
}

static void
test_whole (Fixture       *fixture,
            gconstpointer  data)
{
  const gsize sizes[] = { 0, 1000, 70000 };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) blob = blob_of_size (sizes[i]);
      g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (blob);
      g_autoptr(SottoRelayUpload) upload = create_upload (fixture, sizes[i], &error);
      g_autoptr(SottoRelayUpload) done = NULL;
      g_autoptr(SottoRelayUpload) state = NULL;

      g_assert_no_error (error);
      g_assert_cmpuint (upload->offset, ==, 0);
      g_assert_cmpuint (upload->size, ==, sizes[i]);
      g_assert_cmpint (strlen (upload->id), ==, 64);

      done = put_upload (fixture, upload, stream, &error);
      g_assert_no_error (error);
      g_assert_true (done->complete);
      g_assert_cmpuint (done->offset, ==, sizes[i]);
      g_assert_cmpstr (done->id, ==, upload->id);

      g_autoptr(GBytes) downloaded = NULL;

      state = get_upload (fixture, upload);
      g_assert_true (state->complete);
      assert_stored (fixture, upload->id, blob);

      downloaded = download (fixture, upload->id, sizes[i], &error);
      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (downloaded, blob));
    }
}

/* A download is refused when the relay holds no such blob, and when
 * what it sends is not the size the message describes, whichever way. */
static void
test_download_refused (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = blob_of_size (5000);
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (blob);
  g_autoptr(SottoRelayUpload) upload = create_upload (fixture, 5000, &error);
  g_autoptr(SottoRelayUpload) done = NULL;
  g_autoptr(GBytes) missing = NULL;
  g_autoptr(GBytes) longer = NULL;
  g_autoptr(GBytes) shorter = NULL;
  g_autofree char *unknown = g_strnfill (64, 'a');

  g_assert_no_error (error);
  done = put_upload (fixture, upload, stream, &error);
  g_assert_no_error (error);

  missing = download (fixture, unknown, 5000, &error);
  g_assert_null (missing);
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_NOT_FOUND);
  g_clear_error (&error);

  longer = download (fixture, upload->id, 4999, &error);
  g_assert_null (longer);
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE);
  g_clear_error (&error);

  shorter = download (fixture, upload->id, 5001, &error);
  g_assert_null (shorter);
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_BAD_RESPONSE);
}

/* A part cut short is continued from the offset the relay reports. */
static void
test_resume (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) blob = blob_of_size (100000);
  g_autoptr(SottoRelayUpload) upload = create_upload (fixture, 100000, &error);
  g_autoptr(SottoRelayUpload) cut = NULL;
  g_autoptr(SottoRelayUpload) state = NULL;
  g_autoptr(SottoRelayUpload) done = NULL;
  g_autoptr(GBytes) rest = NULL;
  g_autoptr(GInputStream) rest_stream = NULL;
  CutStream *cut_stream;

  g_assert_no_error (error);
  cut_stream = g_object_new (TYPE_CUT_STREAM, NULL);
  cut_stream->left = CUT_AFTER;
  g_memory_input_stream_add_bytes (G_MEMORY_INPUT_STREAM (cut_stream), blob);
  cut = put_upload (fixture, upload, G_INPUT_STREAM (cut_stream), &error);
  g_object_unref (cut_stream);
  g_assert_null (cut);
  g_assert_nonnull (error);
  g_clear_error (&error);

  state = get_upload (fixture, upload);
  g_assert_false (state->complete);
  g_assert_cmpuint (state->offset, >, 0);
  g_assert_cmpuint (state->offset, <=, CUT_AFTER);

  rest = g_bytes_new_from_bytes (blob, state->offset, g_bytes_get_size (blob) - state->offset);
  rest_stream = g_memory_input_stream_new_from_bytes (rest);
  done = put_upload (fixture, state, rest_stream, &error);
  g_assert_no_error (error);
  g_assert_true (done->complete);
  assert_stored (fixture, upload->id, blob);
}

/* The relay's limits refuse an upload before any byte is sent, with an
 * error that says which limit. */
static void
test_limits (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SottoRelayUpload) too_large = create_upload (fixture, MAX_BLOB + 1, &error);
  g_autoptr(SottoRelayUpload) first = NULL;
  g_autoptr(SottoRelayUpload) over_quota = NULL;

  g_assert_null (too_large);
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_TOO_LARGE);
  g_clear_error (&error);

  first = create_upload (fixture, MAX_BLOB, &error);
  g_assert_no_error (error);
  over_quota = create_upload (fixture, QUOTA_BYTES - MAX_BLOB + 1, &error);
  g_assert_null (over_quota);
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_QUOTA_EXCEEDED);
}

/* A relay with the limits it ships with takes a blob of 100 MiB, not a
 * byte more, and keeps it for 30 days from its upload's creation. */
static void
test_defaults (Fixture       *fixture,
               gconstpointer  data)
{
  const guint64 max_blob = G_GUINT64_CONSTANT (100) * 1024 * 1024;
  const gint64 max_age = G_GINT64_CONSTANT (30) * 24 * 3600 * 1000;
  g_autoptr(GError) error = NULL;
  g_autoptr(SottoRelayUpload) too_large = create_upload (fixture, max_blob + 1, &error);
  g_autoptr(SottoRelayUpload) largest = NULL;
  g_autoptr(SoupSession) session = test_session_new ();
  g_autofree char *path = NULL;
  TestResponse *standing;
  gint64 before;
  gint64 after;
  gint64 expires;

  g_assert_null (too_large);
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_TOO_LARGE);
  g_clear_error (&error);

  before = g_get_real_time () / 1000;
  largest = create_upload (fixture, max_blob, &error);
  after = g_get_real_time () / 1000;
  g_assert_no_error (error);
  g_assert_cmpuint (largest->size, ==, max_blob);

  path = g_strdup_printf ("/v1/attachments/%s/upload", largest->id);
  standing = test_request (session, fixture->relay, "GET", path, fixture->auth, NULL);
  g_assert_cmpuint (standing->status, ==, 200);
  expires = json_object_get_int_member (json_node_get_object (standing->json), "expiresAt");
  /* The relay counts from its own clock, read between the two here, in
   * whole seconds at least. */
  g_assert_cmpint (expires, >=, before - 1000 + max_age);
  g_assert_cmpint (expires, <=, after + 1000 + max_age);
  test_response_free (standing);
}

/* A file encrypted into @spool, given an upload and uploaded; the blob
 * the profile would keep is removed, so that only what the relay has
 * remains. */
static SottoAttachmentUpload *
upload_file (Fixture     *fixture,
             GFile       *spool,
             const char  *contents,
             gsize        len,
             GError     **error)
{
  g_autoptr(GAsyncResult) encrypted = NULL;
  g_autoptr(GAsyncResult) created = NULL;
  g_autoptr(GAsyncResult) uploaded = NULL;
  g_autoptr(GFile) parent = g_file_get_parent (spool);
  g_autoptr(GFile) file = g_file_get_child (parent, "plain");
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(SottoAttachmentUpload) upload = NULL;
  gboolean ok;

  g_assert_true (g_file_set_contents (path, contents, (gssize) len, NULL));
  sotto_attachment_encrypt_async (file, spool, NULL, engine_test_result_cb, &encrypted);
  engine_test_wait (&encrypted);
  g_assert_true (g_file_delete (file, NULL, NULL));
  upload = sotto_attachment_encrypt_finish (encrypted, error);
  if (upload == NULL)
    return NULL;

  sotto_attachment_create_upload_async (fixture->client, upload, NULL, engine_test_result_cb, &created);
  engine_test_wait (&created);
  ok = sotto_attachment_create_upload_finish (created, error);
  if (ok)
    {
      sotto_attachment_upload_async (fixture->client, upload->id, upload->blob, upload->size, NULL, NULL,
                                     NULL, engine_test_result_cb, &uploaded);
      engine_test_wait (&uploaded);
      ok = sotto_attachment_upload_finish (uploaded, error);
    }
  g_assert_true (g_file_delete (upload->blob, NULL, NULL));

  return ok ? g_steal_pointer (&upload) : NULL;
}

static guint
count_children (GFile *dir)
{
  g_autoptr(GFileEnumerator) children = g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                                                   G_FILE_QUERY_INFO_NONE, NULL, NULL);
  guint count = 0;
  GFileInfo *info;

  g_assert_nonnull (children);
  while ((info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
    {
      count++;
      g_object_unref (info);
    }

  return count;
}

/* Downloads and checks the blob into @spool, decrypts it into
 * @downloads and removes the checked blob again: in two steps, a
 * download then an export, or in @one_pass, as sotto-cli's receive
 * saves a file. */
static GFile *
download_file (Fixture                     *fixture,
               const SottoAttachmentUpload *upload,
               GFile                       *spool,
               GFile                       *downloads,
               gboolean                     one_pass,
               char                       **sha256,
               GError                     **error)
{
  g_autoptr(GAsyncResult) downloaded = NULL;
  g_autoptr(GAsyncResult) exported = NULL;
  g_autoptr(GFile) blob = NULL;
  GFile *saved = NULL;

  sotto_attachment_download_async (fixture->client, upload->id, upload->key, upload->digest, upload->size,
                                   spool, one_pass ? downloads : NULL, "note.txt", NULL, NULL, NULL,
                                   engine_test_result_cb, &downloaded);
  engine_test_wait (&downloaded);
  blob = sotto_attachment_download_finish (downloaded, &saved, sha256, error);
  if (blob == NULL)
    return NULL;

  if (!one_pass)
    {
      g_assert_null (saved);
      sotto_attachment_export_async (blob, upload->key, upload->digest, upload->size, downloads, "note.txt",
                                     NULL, engine_test_result_cb, &exported);
      engine_test_wait (&exported);
      saved = sotto_attachment_export_finish (exported, sha256, error);
    }
  g_assert_true (g_file_delete (blob, NULL, NULL));

  return saved;
}

/* A blob the relay swapped for another of the same size, or cut short,
 * is refused, and leaves nothing in the download folder or the spool. */
static void
test_attachment_tampered (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GFile) root = engine_test_make_profile ();
  g_autoptr(GFile) spool = g_file_get_child (root, "spool");
  g_autoptr(GFile) downloads = g_file_get_child (root, "downloads");
  g_autofree char *first_contents = g_strnfill (3000, 'a');
  g_autofree char *second_contents = g_strnfill (3000, 'b');
  g_autoptr(SottoAttachmentUpload) first = NULL;
  g_autoptr(SottoAttachmentUpload) second = NULL;
  g_autofree char *first_path = NULL;
  g_autofree char *second_path = NULL;
  g_autofree char *blob = NULL;
  gsize blob_len;
  g_autoptr(GError) error = NULL;
  guint i;

  g_assert_true (g_file_make_directory (spool, NULL, NULL));
  g_assert_true (g_file_make_directory (downloads, NULL, NULL));
  first = upload_file (fixture, spool, first_contents, 3000, &error);
  g_assert_no_error (error);
  second = upload_file (fixture, spool, second_contents, 3000, &error);
  g_assert_no_error (error);
  first_path = g_build_filename (fixture->dir, "blobs", first->id, "data", NULL);
  second_path = g_build_filename (fixture->dir, "blobs", second->id, "data", NULL);

  /* Each way of downloading: in two steps, then in one pass. */
  for (i = 0; i < 4; i++)
    {
      g_autofree char *sha256 = NULL;
      g_autoptr(GFile) saved = NULL;

      g_assert_true (g_file_get_contents (second_path, &blob, &blob_len, NULL));
      /* First the other blob in its place, then the right one cut short. */
      if (i % 2 == 1)
        {
          g_clear_pointer (&blob, g_free);
          g_assert_true (g_file_get_contents (first_path, &blob, &blob_len, NULL));
          blob_len--;
        }
      g_assert_true (g_file_set_contents (first_path, blob, (gssize) blob_len, NULL));
      g_clear_pointer (&blob, g_free);

      saved = download_file (fixture, first, spool, downloads, i >= 2, &sha256, &error);
      g_assert_null (saved);
      g_assert_null (sha256);
      g_assert_nonnull (error);
      if (i % 2 == 0)
        g_assert_error (error, SOTTO_ATTACHMENT_FILE_ERROR, SOTTO_ATTACHMENT_FILE_ERROR_REJECTED);
      g_clear_error (&error);
      g_assert_cmpuint (count_children (downloads), ==, 0);
      g_assert_cmpuint (count_children (spool), ==, 0);

      /* Put the first blob back for the next round: upload it again. */
      if (i < 3)
        {
          g_clear_pointer (&first, sotto_attachment_upload_free);
          first = upload_file (fixture, spool, first_contents, 3000, &error);
          g_assert_no_error (error);
          g_free (first_path);
          first_path = g_build_filename (fixture->dir, "blobs", first->id, "data", NULL);
        }
    }

  engine_test_remove_profile (g_steal_pointer (&root));
}

/* A file goes out encrypted, comes back through the relay whole, and
 * leaves no plaintext on the relay nor anything in the spool; one the
 * relay's limit refuses is refused before anything is sent. */
static void
test_attachment_upload (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GFile) root = engine_test_make_profile ();
  g_autoptr(GFile) spool = g_file_get_child (root, "spool");
  g_autoptr(GFile) downloads = g_file_get_child (root, "downloads");
  g_autoptr(GFile) relay_dir = g_file_new_for_path (fixture->dir);
  const gsize sizes[] = { 0, 70000 };
  g_autofree char *too_large = g_malloc0 (MAX_BLOB);
  g_autoptr(SottoAttachmentUpload) refused = NULL;
  g_autoptr(GError) error = NULL;
  gsize i;

  g_assert_true (g_file_make_directory (spool, NULL, NULL));
  g_assert_true (g_file_make_directory (downloads, NULL, NULL));

  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char *contents = g_strnfill (sizes[i], 'x');
      g_autoptr(SottoAttachmentUpload) upload = NULL;

      if (sizes[i] > 0)
        memcpy (contents + sizes[i] / 2, MARKER, strlen (MARKER));
      upload = upload_file (fixture, spool, contents, sizes[i], &error);
      g_assert_no_error (error);
      g_assert_cmpuint (upload->size, ==, sizes[i]);
      g_assert_cmpuint (count_children (spool), ==, 0);

      /* In two steps, then in one pass, which must give the same. */
      for (guint one_pass = 0; one_pass < 2; one_pass++)
        {
          g_autoptr(GFile) saved = NULL;
          g_autofree char *sha256 = NULL;
          g_autofree char *saved_contents = NULL;
          g_autofree char *expected_sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                                                          (const guchar *) contents, sizes[i]);
          gsize saved_len;

          saved = download_file (fixture, upload, spool, downloads, one_pass, &sha256, &error);
          g_assert_no_error (error);
          g_assert_true (g_file_load_contents (saved, NULL, &saved_contents, &saved_len, NULL, NULL));
          g_assert_cmpmem (saved_contents, saved_len, contents, sizes[i]);
          g_assert_cmpstr (sha256, ==, expected_sha256);
          g_assert_cmpuint (count_children (spool), ==, 0);
          g_assert_true (g_file_delete (saved, NULL, NULL));
        }
    }

  g_assert_false (engine_test_profile_contains (relay_dir, MARKER, strlen (MARKER)));

  refused = upload_file (fixture, spool, too_large, MAX_BLOB, &error);
  g_assert_null (refused);
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_TOO_LARGE);
  g_assert_cmpuint (count_children (spool), ==, 0);

  engine_test_remove_profile (g_steal_pointer (&root));
}

/* An attachment whose blob expired on the relay is refused as expired,
 * and leaves nothing behind. */
static void
test_attachment_expired (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GFile) root = engine_test_make_profile ();
  g_autoptr(GFile) spool = g_file_get_child (root, "spool");
  g_autoptr(GFile) downloads = g_file_get_child (root, "downloads");
  g_autoptr(SottoAttachmentUpload) upload = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) saved = NULL;
  g_autofree char *sha256 = NULL;

  g_assert_true (g_file_make_directory (spool, NULL, NULL));
  g_assert_true (g_file_make_directory (downloads, NULL, NULL));
  upload = upload_file (fixture, spool, "expires", 7, &error);
  g_assert_no_error (error);

  /* The relay counts its age in whole seconds. */
  g_usleep (2100 * 1000);
  saved = download_file (fixture, upload, spool, downloads, TRUE, &sha256, &error);
  g_assert_null (saved);
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_EXPIRED);
  g_assert_cmpuint (count_children (downloads), ==, 0);
  g_assert_cmpuint (count_children (spool), ==, 0);

  engine_test_remove_profile (g_steal_pointer (&root));
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

  g_test_add ("/relay-client-blob/whole", Fixture, NULL, fixture_set_up, test_whole, fixture_tear_down);
  g_test_add ("/relay-client-blob/download-refused", Fixture, NULL, fixture_set_up, test_download_refused, fixture_tear_down);
  g_test_add ("/relay-client-blob/attachment-upload", Fixture, NULL, fixture_set_up, test_attachment_upload, fixture_tear_down);
  g_test_add ("/relay-client-blob/attachment-tampered", Fixture, "tolerant", fixture_set_up, test_attachment_tampered, fixture_tear_down);
  g_test_add ("/relay-client-blob/attachment-expired", Fixture, "expiring", fixture_set_up, test_attachment_expired, fixture_tear_down);
  g_test_add ("/relay-client-blob/resume", Fixture, NULL, fixture_set_up, test_resume, fixture_tear_down);
  g_test_add ("/relay-client-blob/defaults", Fixture, "defaults", fixture_set_up, test_defaults, fixture_tear_down);
  g_test_add ("/relay-client-blob/limits", Fixture, NULL, fixture_set_up, test_limits, fixture_tear_down);

  return g_test_run ();
}
