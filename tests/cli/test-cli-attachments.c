/* test-cli-attachments.c: files between sotto-cli profiles through a real relay
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * send --attach and receive --download-dir against sotto-relay processes
 * configured with the limits each case needs: an empty file, a text file
 * and a picture with its thumbnail; a 150 MB file whose upload the relay
 * cuts off and which then resumes where it stopped; a blob swapped or
 * truncated on the relay's disk; an account over its quota; a blob that
 * expired.  No plaintext byte of a file is ever in the relay's data
 * directory or in either profile.
 */

#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <utime.h>

#include <glib/gstdio.h>

#include "cli-attachments-test-util.h"

/* The big file is cut off once the relay holds this much. */
#define BIG_CUT_AFTER (40 * 1000 * 1000)

/* The attachments of the one message a receive printed. */
static JsonArray *
single_message_attachments (GPtrArray *lines)
{
  JsonObject *line;

  g_assert_cmpuint (lines->len, ==, 1);
  line = g_ptr_array_index (lines, 0);
  g_assert_true (json_object_has_member (line, "attachments"));

  return json_object_get_array_member (line, "attachments");
}

static void
assert_saved (JsonObject *attachment,
              const char *name,
              const char *type,
              const char *source,
              const char *download_dir)
{
  g_autofree char *want_sha256 = sha256_of_file (source);
  g_autofree char *got_sha256 = NULL;
  const char *path = json_object_get_string_member (attachment, "path");
  GStatBuf st;

  g_assert_cmpstr (json_object_get_string_member (attachment, "name"), ==, name);
  /* A type of NULL is whatever the sender's system took the file for. */
  if (type != NULL)
    g_assert_cmpstr (json_object_get_string_member (attachment, "type"), ==, type);
  g_assert_cmpint (g_stat (source, &st), ==, 0);
  g_assert_cmpint (json_object_get_int_member (attachment, "size"), ==, st.st_size);
  g_assert_cmpstr (json_object_get_string_member (attachment, "sha256"), ==, want_sha256);
  g_assert_nonnull (path);
  g_assert_true (g_str_has_prefix (path, download_dir));
  got_sha256 = sha256_of_file (path);
  g_assert_cmpstr (got_sha256, ==, want_sha256);
}

/* An empty file, a text and a picture go in one message with a caption;
 * each arrives whole in the folder asked for, the picture with the
 * thumbnail its sender made, which history shows too.  The profiles
 * keep the files encrypted only. */
static void
test_files_and_picture (void)
{
  g_autoptr(CliTest) test = new_test ("max-blob-bytes=10000000\n", FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *downloads = g_build_filename (test->root, "bob-saved", NULL);
  g_autofree char *text = g_strdup_printf ("A note with %s inside it", MARKER);
  g_autoptr(GBytes) picture = make_png (800, 600, MARKER);
  g_autofree char *empty_path = write_file (test, "empty.bin", "", 0);
  g_autofree char *note_path = write_file (test, "note.txt", text, strlen (text));
  g_autofree char *picture_path = write_file (test, "beach.png", g_bytes_get_data (picture, NULL),
                                              g_bytes_get_size (picture));
  g_autoptr(CliResult) sent = NULL;
  g_autoptr(CliResult) received = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autofree guchar *thumbnail = NULL;
  g_autofree char *default_downloads = g_build_filename (bob, "downloads", NULL);
  JsonArray *attachments;
  JsonObject *shown;
  gsize thumbnail_len;

  cli_send_ok (test, alice, "bob", "Hi Bob");
  cli_assert_receives (test, bob, "alice", "Hi Bob", NULL);

  sent = cli_run (test, alice, "--json", "send", "bob", "Our holiday",
                  "--attach", empty_path, "--attach", note_path, "--attach", picture_path, NULL);
  cli_assert_ok (sent);

  received = cli_run (test, bob, "--json", "receive", "--timeout", "1", "--download-dir", downloads, NULL);
  cli_assert_ok (received);
  lines = cli_parse_lines (received->out);
  g_assert_cmpuint (lines->len, ==, 1);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (lines, 0), "text"), ==, "Our holiday");
  attachments = single_message_attachments (lines);
  g_assert_cmpuint (json_array_get_length (attachments), ==, 3);
  assert_saved (json_array_get_object_element (attachments, 0), "empty.bin", NULL, empty_path, downloads);
  assert_saved (json_array_get_object_element (attachments, 1), "note.txt", "text/plain", note_path, downloads);
  assert_saved (json_array_get_object_element (attachments, 2), "beach.png", "image/png", picture_path, downloads);
  g_assert_false (json_object_has_member (json_array_get_object_element (attachments, 1), "thumbnail"));

  /* The preview is a JPEG of at most 64 KiB made by the sender. */
  thumbnail = g_base64_decode (json_object_get_string_member (json_array_get_object_element (attachments, 2),
                                                              "thumbnail"), &thumbnail_len);
  g_assert_cmpuint (thumbnail_len, >, 100);
  g_assert_cmpuint (thumbnail_len, <=, 64 * 1024);
  g_assert_cmpmem (thumbnail, 3, "\xff\xd8\xff", 3);

  /* History shows the files and the preview without downloading again. */
  history = cli_history (test, bob, "alice");
  shown = g_ptr_array_index (history, history->len - 1);
  attachments = json_object_get_array_member (shown, "attachments");
  g_assert_cmpuint (json_array_get_length (attachments), ==, 3);
  g_assert_true (json_object_has_member (json_array_get_object_element (attachments, 2), "thumbnail"));

  g_assert_false (g_file_test (default_downloads, G_FILE_TEST_EXISTS));
  assert_no_plaintext (test, alice, bob);
}

/* Without --download-dir the files go to the profile's downloads
 * folder. */
static void
test_default_download_dir (void)
{
  g_autoptr(CliTest) test = new_test ("max-blob-bytes=10000000\n", FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *note_path = write_file (test, "note.txt", "hello", 5);
  g_autofree char *default_downloads = g_build_filename (bob, "downloads", NULL);
  g_autoptr(CliResult) received = NULL;
  g_autoptr(GPtrArray) lines = NULL;

  cli_run_ok (test, alice, "send", "bob", "", "--attach", note_path, NULL);
  received = cli_run (test, bob, "--json", "receive", "--timeout", "1", NULL);
  cli_assert_ok (received);
  lines = cli_parse_lines (received->out);
  assert_saved (json_array_get_object_element (single_message_attachments (lines), 0), "note.txt", "text/plain",
                note_path, default_downloads);
}

static char *
only_blob_id (const char *relay_dir)
{
  g_autofree char *blobs = g_build_filename (relay_dir, "blobs", NULL);
  g_autoptr(GDir) dir = g_dir_open (blobs, 0, NULL);
  char *id = NULL;
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (name[0] == '.')
        continue;
      g_assert_null (id);
      id = g_strdup (name);
    }

  g_assert_nonnull (id);
  return id;
}

/* A 150 MB file: the relay goes away while it is being uploaded; the
 * sender keeps the message, and its next command resumes the same
 * upload where the relay stood, then sends the message; the recipient
 * gets the file whole. */
static void
test_big_file_resumed (void)
{
  g_autoptr(CliTest) test = new_test ("max-blob-bytes=200000000\nblob-quota-bytes=1000000000\n", FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *downloads = g_build_filename (test->root, "bob-saved", NULL);
  g_autofree char *big_path = NULL;
  g_autofree char *id = NULL;
  g_autofree char *partial = NULL;
  g_autofree char *resumed_id = NULL;
  g_autoptr(CliResult) resumed = NULL;
  g_autoptr(CliResult) received = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  guint64 held;

  {
    g_autofree char *contents = g_malloc (BIG_SIZE);

    for (gsize i = 0; i < BIG_SIZE; i++)
      contents[i] = (char) (i * 31 + (i >> 13));
    memcpy (contents + BIG_SIZE / 2, MARKER, strlen (MARKER));
    big_path = write_file (test, "big.bin", contents, BIG_SIZE);
  }

  cli_send_ok (test, alice, "bob", "Hi Bob");
  cli_assert_receives (test, bob, "alice", "Hi Bob", NULL);

  partial = send_cut_off (test, alice, "The big one", big_path, BIG_CUT_AFTER);

  id = only_blob_id (test->relay->data_dir);
  held = file_size (partial);
  g_assert_cmpuint (held, >=, BIG_CUT_AFTER);
  g_assert_cmpuint (held, <, BIG_SIZE);

  /* The sender's next command resumes the same upload. */
  cli_relay_restart (test->relay);
  resumed = cli_run (test, alice, "receive", "--timeout", "1", NULL);
  cli_assert_ok (resumed);
  resumed_id = only_blob_id (test->relay->data_dir);
  g_assert_cmpstr (resumed_id, ==, id);

  received = cli_run (test, bob, "--json", "receive", "--timeout", "1", "--download-dir", downloads, NULL);
  cli_assert_ok (received);
  lines = cli_parse_lines (received->out);
  g_assert_cmpuint (lines->len, ==, 1);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (lines, 0), "text"), ==, "The big one");
  assert_saved (json_array_get_object_element (single_message_attachments (lines), 0), "big.bin",
                "application/octet-stream", big_path, downloads);

  /* The marker check reads the relay's and the profiles' files whole;
   * the saved copy, which has it, is not among them. */
  assert_no_plaintext (test, alice, bob);
}

/* Overwrites blob @id on the relay's disk with blob @replacement_id,
 * or, without one, cuts it short by a byte. */
static void
tamper_blob (CliTest    *test,
             const char *id,
             const char *replacement_id)
{
  g_autofree char *path = g_build_filename (test->relay->data_dir, "blobs", id, "data", NULL);
  g_autofree char *contents = NULL;
  gsize len;

  if (replacement_id != NULL)
    {
      g_autofree char *other = g_build_filename (test->relay->data_dir, "blobs", replacement_id, "data", NULL);

      g_assert_true (g_file_get_contents (other, &contents, &len, NULL));
    }
  else
    {
      g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
      len--;
    }
  g_assert_true (g_file_set_contents (path, contents, (gssize) len, NULL));
}

static GPtrArray *
list_blob_ids (const char *relay_dir)
{
  g_autofree char *blobs = g_build_filename (relay_dir, "blobs", NULL);
  g_autoptr(GDir) dir = g_dir_open (blobs, 0, NULL);
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      if (name[0] != '.')
        g_ptr_array_add (ids, g_strdup (name));
    }

  return ids;
}

static char *
new_blob_id (const char *relay_dir,
             GPtrArray  *before)
{
  g_autoptr(GPtrArray) now = list_blob_ids (relay_dir);

  for (guint i = 0; i < now->len; i++)
    {
      if (!g_ptr_array_find_with_equal_func (before, g_ptr_array_index (now, i), g_str_equal, NULL))
        return g_strdup (g_ptr_array_index (now, i));
    }

  g_assert_not_reached ();
}

static void
assert_refused (CliTest    *test,
                const char *bob,
                const char *downloads,
                const char *caption)
{
  g_autoptr(CliResult) received = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  JsonObject *attachment;

  received = cli_run (test, bob, "--json", "receive", "--timeout", "1", "--download-dir", downloads, NULL);
  g_assert_cmpint (received->status, ==, 1);
  lines = cli_parse_lines (received->out);
  g_assert_cmpuint (lines->len, ==, 1);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (lines, 0), "text"), ==, caption);
  attachment = json_array_get_object_element (single_message_attachments (lines), 0);
  g_assert_true (json_object_get_null_member (attachment, "path"));
  g_assert_true (json_object_get_null_member (attachment, "sha256"));
  g_assert_nonnull (json_object_get_string_member (attachment, "error"));
  g_assert_nonnull (strstr (received->err, "could not save the attachment"));
}

static guint
count_files (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint count = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    count++;

  return count;
}

/* A blob the relay swapped for another of the same size, or cut short,
 * is refused with a clear error; nothing of it is saved or kept. */
static void
test_tampered_blob (void)
{
  g_autoptr(CliTest) test = new_test ("max-blob-bytes=10000000\n", TRUE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *downloads = g_build_filename (test->root, "bob-saved", NULL);
  g_autofree char *bob_blobs = g_build_filename (bob, "attachments", NULL);
  g_autofree char *first = write_file (test, "first.txt", "first file, 24 bytes....", 24);
  g_autofree char *second = write_file (test, "second.txt", "other file, 24 bytes....", 24);
  g_autoptr(GPtrArray) before = NULL;
  g_autofree char *first_id = NULL;
  g_autofree char *second_id = NULL;
  g_autofree char *third_id = NULL;
  g_autoptr(CliResult) swapped = NULL;

  cli_send_ok (test, alice, "bob", "Hi Bob");
  cli_assert_receives (test, bob, "alice", "Hi Bob", NULL);

  before = list_blob_ids (test->relay->data_dir);
  cli_run_ok (test, alice, "send", "bob", "swapped", "--attach", first, NULL);
  first_id = new_blob_id (test->relay->data_dir, before);
  g_ptr_array_add (before, g_strdup (first_id));
  cli_run_ok (test, alice, "send", "bob", "the other", "--attach", second, NULL);
  second_id = new_blob_id (test->relay->data_dir, before);
  g_ptr_array_add (before, g_strdup (second_id));

  /* The first message's blob is now the second's. */
  tamper_blob (test, first_id, second_id);
  swapped = cli_run (test, bob, "--json", "receive", "--timeout", "1", "--download-dir", downloads, NULL);
  g_assert_cmpint (swapped->status, ==, 1);
  g_assert_nonnull (strstr (swapped->err, "damaged or replaced"));
  {
    g_autoptr(GPtrArray) lines = cli_parse_lines (swapped->out);
    JsonObject *refused = NULL;
    JsonObject *good = NULL;

    g_assert_cmpuint (lines->len, ==, 2);
    for (guint i = 0; i < 2; i++)
      {
        JsonObject *line = g_ptr_array_index (lines, i);

        if (g_strcmp0 (json_object_get_string_member (line, "text"), "swapped") == 0)
          refused = json_array_get_object_element (json_object_get_array_member (line, "attachments"), 0);
        else
          good = json_array_get_object_element (json_object_get_array_member (line, "attachments"), 0);
      }
    g_assert_true (json_object_get_null_member (refused, "path"));
    g_assert_nonnull (strstr (json_object_get_string_member (refused, "error"), "damaged or replaced"));
    assert_saved (good, "second.txt", "text/plain", second, downloads);
  }
  g_assert_cmpuint (count_files (downloads), ==, 1);
  g_assert_cmpuint (count_files (bob_blobs), ==, 1);

  /* A third, cut short by a byte. */
  cli_run_ok (test, alice, "send", "bob", "truncated", "--attach", first, NULL);
  third_id = new_blob_id (test->relay->data_dir, before);
  tamper_blob (test, third_id, NULL);
  assert_refused (test, bob, downloads, "truncated");
  g_assert_cmpuint (count_files (downloads), ==, 1);
  g_assert_cmpuint (count_files (bob_blobs), ==, 1);
}

/* A file that does not fit in the account's quota is refused before
 * anything is stored or sent, with an error that says so. */
static void
test_quota_exceeded (void)
{
  g_autoptr(CliTest) test = new_test ("max-blob-bytes=1000000\nblob-quota-bytes=100000\n", FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *contents = g_strnfill (200000, 'q');
  g_autofree char *large = write_file (test, "large.bin", contents, 200000);
  g_autoptr(CliResult) refused = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autofree char *alice_blobs = g_build_filename (alice, "attachments", NULL);

  cli_send_ok (test, alice, "bob", "Hi Bob");
  cli_assert_receives (test, bob, "alice", "Hi Bob", NULL);

  refused = cli_run (test, alice, "send", "bob", "Too much", "--attach", large, NULL);
  g_assert_cmpint (refused->status, ==, 1);
  g_assert_nonnull (strstr (refused->err, "quota"));

  history = cli_history (test, alice, "bob");
  g_assert_cmpuint (history->len, ==, 1);
  g_assert_cmpuint (count_files (alice_blobs), ==, 0);
  cli_assert_receives_nothing (test, bob);
}

/* A blob older than the relay keeps them is refused as expired. */
static void
test_expired (void)
{
  g_autoptr(CliTest) test = new_test ("max-blob-bytes=1000000\nblob-max-age-seconds=1\nblob-sweep-seconds=3600\n",
                                      FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *downloads = g_build_filename (test->root, "bob-saved", NULL);
  g_autofree char *note = write_file (test, "note.txt", "soon gone", 9);
  g_autoptr(CliResult) received = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  JsonObject *attachment;

  cli_send_ok (test, alice, "bob", "Hi Bob");
  cli_assert_receives (test, bob, "alice", "Hi Bob", NULL);
  cli_run_ok (test, alice, "send", "bob", "Late", "--attach", note, NULL);

  /* The relay counts its age in whole seconds. */
  g_usleep (2100 * 1000);
  received = cli_run (test, bob, "--json", "receive", "--timeout", "1", "--download-dir", downloads, NULL);
  g_assert_cmpint (received->status, ==, 1);
  g_assert_nonnull (strstr (received->err, "expired"));
  lines = cli_parse_lines (received->out);
  attachment = json_array_get_object_element (single_message_attachments (lines), 0);
  g_assert_true (json_object_get_null_member (attachment, "path"));
  g_assert_cmpuint (count_files (downloads), ==, 0);
}

/* Sets the times of every file in @path back two days. */
static void
age_files (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  gint64 then = g_get_real_time () / G_USEC_PER_SEC - 2 * 24 * 3600;
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      struct utimbuf times = { then, then };

      g_assert_cmpint (g_utime (child, &times), ==, 0);
    }
}

/* A message deleted for everyone takes its files with it: the keys at
 * once, the blobs in both profiles once the sweep finds them unused. */
static void
test_deleted (void)
{
  g_autoptr(CliTest) test = new_test ("max-blob-bytes=1000000\n", FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *downloads = g_build_filename (test->root, "bob-saved", NULL);
  g_autofree char *alice_blobs = g_build_filename (alice, "attachments", NULL);
  g_autofree char *bob_blobs = g_build_filename (bob, "attachments", NULL);
  g_autofree char *note = write_file (test, "note.txt", "to be taken back", 16);
  g_autoptr(CliResult) sent = NULL;
  g_autoptr(CliResult) received = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GPtrArray) history = NULL;
  JsonObject *shown;

  cli_send_ok (test, alice, "bob", "Hi Bob");
  cli_assert_receives (test, bob, "alice", "Hi Bob", NULL);
  sent = cli_run (test, alice, "--json", "send", "bob", "Oops", "--attach", note, NULL);
  cli_assert_ok (sent);
  answer = cli_parse_object (sent->out);
  received = cli_run (test, bob, "--json", "receive", "--timeout", "1", "--download-dir", downloads, NULL);
  cli_assert_ok (received);
  g_assert_cmpuint (count_files (alice_blobs), ==, 1);
  g_assert_cmpuint (count_files (bob_blobs), ==, 1);

  cli_run_ok (test, alice, "delete", "bob", json_object_get_string_member (answer, "id"), NULL);
  cli_run_ok (test, bob, "receive", "--timeout", "1", NULL);
  history = cli_history (test, bob, "alice");
  shown = g_ptr_array_index (history, history->len - 1);
  g_assert_true (json_object_get_boolean_member (shown, "deleted"));
  g_assert_false (json_object_has_member (shown, "attachments"));

  /* Young blobs may be transfers under way: only old ones are swept. */
  g_assert_cmpuint (count_files (bob_blobs), ==, 1);
  age_files (alice_blobs);
  age_files (bob_blobs);
  cli_run_ok (test, alice, "receive", "--timeout", "1", NULL);
  cli_run_ok (test, bob, "receive", "--timeout", "1", NULL);
  g_assert_cmpuint (count_files (alice_blobs), ==, 0);
  g_assert_cmpuint (count_files (bob_blobs), ==, 0);
}

typedef struct
{
  GArray *progress;
  GArray *states;
} Watch;

static void
progress_cb (SottoAttachment *attachment,
             GParamSpec      *pspec,
             Watch           *watch)
{
  double progress = sotto_attachment_get_progress (attachment);

  g_array_append_val (watch->progress, progress);
}

static void
state_cb (SottoAttachment *attachment,
          GParamSpec      *pspec,
          Watch           *watch)
{
  SottoAttachmentState state = sotto_attachment_get_state (attachment);

  g_array_append_val (watch->states, state);
}

/* The engine's model: the message a send returns has its attachment,
 * the one the conversation showed from the moment it was stored, which
 * reports its upload's progress as it goes, from 0 to 1 and never back,
 * ends sent, and keeps its name and size.  Progress is read every
 * SOTTO_ATTACHMENT_PROGRESS_INTERVAL_MS: the file is large enough that
 * its upload takes several of them even at a few hundred MB/s. */
static void
test_model_progress (void)
{
  g_autoptr(CliTest) test = new_test ("max-blob-bytes=110000000\n", FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *contents = g_strnfill (MODEL_PROGRESS_SIZE, 'm');
  g_autofree char *path = write_file (test, "movie.bin", contents, MODEL_PROGRESS_SIZE);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GAsyncResult) found = NULL;
  g_autoptr(GAsyncResult) sent = NULL;
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(SottoAttachment) attachment = NULL;
  g_autoptr(GError) error = NULL;
  Watch watch = { g_array_new (FALSE, FALSE, sizeof (double)), g_array_new (FALSE, FALSE, sizeof (int)) };
  SottoMessenger *messenger;
  SottoStore *store;

  cli_send_ok (test, alice, "bob", "Hi Bob");
  cli_assert_receives (test, bob, "alice", "Hi Bob", NULL);

  store = cli_open_store (alice);
  messenger = cli_load_messenger (store);
  sotto_messenger_open_conversation_async (messenger, "bob", NULL, cli_result_cb, &found);
  cli_wait_for (&found);
  conversation = sotto_messenger_open_conversation_finish (messenger, found, &error);
  g_assert_no_error (error);

  sotto_messenger_send_with_attachments_async (messenger, conversation, "A film", &file, 1, NULL,
                                               cli_result_cb, &sent);
  /* The message enters the conversation, with its attachment, once it
   * is stored: watch it from then on. */
  while (sent == NULL && attachment == NULL)
    {
      GListModel *messages = sotto_conversation_get_messages (conversation);
      guint n = g_list_model_get_n_items (messages);
      g_autoptr(SottoMessage) last = n > 0 ? g_list_model_get_item (messages, n - 1) : NULL;

      if (last != NULL && g_list_model_get_n_items (sotto_message_get_attachments (last)) == 1)
        {
          attachment = g_list_model_get_item (sotto_message_get_attachments (last), 0);
          g_signal_connect (attachment, "notify::progress", G_CALLBACK (progress_cb), &watch);
          g_signal_connect (attachment, "notify::state", G_CALLBACK (state_cb), &watch);
        }
      else
        {
          g_main_context_iteration (NULL, TRUE);
        }
    }
  cli_wait_for (&sent);
  g_assert_true (sotto_messenger_send_with_attachments_finish (messenger, sent, &message, &error));
  g_assert_no_error (error);

  g_assert_nonnull (attachment);
  {
    g_autoptr(SottoAttachment) returned = g_list_model_get_item (sotto_message_get_attachments (message), 0);

    g_assert_true (returned == attachment);
  }
  g_assert_cmpstr (sotto_attachment_get_name (attachment), ==, "movie.bin");
  g_assert_cmpuint (sotto_attachment_get_size (attachment), ==, MODEL_PROGRESS_SIZE);
  g_assert_true (sotto_attachment_get_outgoing (attachment));
  g_assert_cmpint (sotto_attachment_get_state (attachment), ==, SOTTO_ATTACHMENT_STATE_SENT);
  g_assert_cmpfloat (sotto_attachment_get_progress (attachment), ==, 1.);

  /* Progress came in steps, never went back, and ended whole. */
  g_assert_cmpuint (watch.progress->len, >=, 2);
  for (guint i = 1; i < watch.progress->len; i++)
    g_assert_cmpfloat (g_array_index (watch.progress, double, i), >=, g_array_index (watch.progress, double, i - 1));
  g_assert_cmpfloat (g_array_index (watch.progress, double, watch.progress->len - 1), ==, 1.);
  g_assert_cmpint (g_array_index (watch.states, int, watch.states->len - 1), ==, SOTTO_ATTACHMENT_STATE_SENT);

  g_signal_handlers_disconnect_by_data (attachment, &watch);
  g_clear_object (&attachment);
  g_clear_object (&message);
  g_clear_object (&conversation);
  g_object_unref (messenger);
  cli_close_store (store);
  g_array_unref (watch.progress);
  g_array_unref (watch.states);
}

/* An upload cut short and resumed by a flush reports its progress on
 * the attachment a view shows, and ends sent, as one sent at once: the
 * model is the one the conversation made from the store. */
static void
test_resumed_progress (void)
{
  g_autoptr(CliTest) test = new_test ("max-blob-bytes=110000000\n", FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  Watch watch = { g_array_new (FALSE, FALSE, sizeof (double)), g_array_new (FALSE, FALSE, sizeof (int)) };
  Resumed resumed = { 0 };

  resumed_open (&resumed, test, alice, bob, "Resumed");
  g_signal_connect (resumed.attachment, "notify::progress", G_CALLBACK (progress_cb), &watch);
  g_signal_connect (resumed.attachment, "notify::state", G_CALLBACK (state_cb), &watch);

  resumed_flush (&resumed);

  g_assert_cmpint (sotto_attachment_get_state (resumed.attachment), ==, SOTTO_ATTACHMENT_STATE_SENT);
  g_assert_cmpfloat (sotto_attachment_get_progress (resumed.attachment), ==, 1.);
  g_assert_cmpuint (watch.progress->len, >=, 1);
  for (guint i = 1; i < watch.progress->len; i++)
    g_assert_cmpfloat (g_array_index (watch.progress, double, i), >=, g_array_index (watch.progress, double, i - 1));
  g_assert_cmpint (g_array_index (watch.states, int, watch.states->len - 1), ==, SOTTO_ATTACHMENT_STATE_SENT);

  g_signal_handlers_disconnect_by_data (resumed.attachment, &watch);
  resumed_close (&resumed);
  g_array_unref (watch.progress);
  g_array_unref (watch.states);
}

/* Neither the relay's connection nor a flush resumes the cancelled
 * upload of @resumed (a second flush waits for a resume the connection
 * may have started): it stays failed, the relay still holds only part
 * of the blob, and Bob gets nothing. */
static void
assert_stays_cancelled (Resumed    *resumed,
                        CliTest    *test,
                        const char *bob)
{
  sotto_messenger_start (resumed->messenger);
  resumed_flush (resumed);
  resumed_flush (resumed);
  sotto_messenger_stop (resumed->messenger);
  g_assert_cmpint (sotto_attachment_get_state (resumed->attachment), ==, SOTTO_ATTACHMENT_STATE_FAILED);
  g_assert_true (g_file_test (resumed->partial, G_FILE_TEST_EXISTS));
  cli_assert_receives_nothing (test, bob);
}

/* Opens @alice's profile again: the store kept the upload of @text
 * failed, and @reason. */
static void
reload_cancelled (Resumed    *resumed,
                  const char *alice,
                  const char *text,
                  const char *reason)
{
  resumed_unload (resumed);
  resumed_load (resumed, alice, text);
  g_assert_cmpint (sotto_attachment_get_state (resumed->attachment), ==, SOTTO_ATTACHMENT_STATE_FAILED);
  g_assert_cmpstr (sotto_attachment_get_error (resumed->attachment), ==, reason);
}

/* Tried again, the upload goes whole, and Bob gets its message, @text. */
static void
retry_sends (Resumed    *resumed,
             CliTest    *test,
             const char *bob,
             const char *text)
{
  g_autoptr(GAsyncResult) retried = NULL;
  g_autoptr(GError) error = NULL;

  sotto_messenger_retry_upload_async (resumed->messenger, resumed->attachment, NULL, cli_result_cb, &retried);
  cli_wait_for (&retried);
  g_assert_true (sotto_messenger_retry_upload_finish (resumed->messenger, retried, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sotto_attachment_get_state (resumed->attachment), ==, SOTTO_ATTACHMENT_STATE_SENT);
  resumed_flush (resumed);

  resumed_close (resumed);
  cli_assert_receives (test, bob, "alice", text, NULL);
}

/* An upload cut short and resumed by a flush (after a restart) stops
 * when the attachment the view shows is cancelled, as the transfer
 * bar's Cancel does, once the relay is taking more of it: it ends
 * failed, its message does not go, no flush, connection or restart
 * resumes it, and trying it again later sends it whole. */
static void
test_resumed_cancel (void)
{
  g_autoptr(CliTest) test = new_test ("max-blob-bytes=110000000\n", FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autoptr(GAsyncResult) flushed = NULL;
  g_autofree char *reason = NULL;
  Resumed resumed = { 0 };
  gboolean cancelled = FALSE;
  guint64 held;

  resumed_open (&resumed, test, alice, bob, "Cancelled");

  /* The flush resumes the upload, which this main loop drives: it is
   * cancelled as soon as the relay holds more than before, long before
   * it could have taken the rest. */
  held = file_size (resumed.partial);
  sotto_messenger_flush_async (resumed.messenger, NULL, cli_result_cb, &flushed);
  while (flushed == NULL)
    {
      g_main_context_iteration (NULL, TRUE);
      if (!cancelled && file_size (resumed.partial) > held)
        {
          sotto_attachment_cancel (resumed.attachment);
          cancelled = TRUE;
        }
    }
  sotto_messenger_flush_finish (resumed.messenger, flushed, NULL);
  g_assert_true (cancelled);
  g_assert_cmpint (sotto_attachment_get_state (resumed.attachment), ==, SOTTO_ATTACHMENT_STATE_FAILED);
  reason = g_strdup (sotto_attachment_get_error (resumed.attachment));
  g_assert_nonnull (reason);
  g_assert_cmpfloat (sotto_attachment_get_progress (resumed.attachment), <, 1.);

  /* It stays cancelled, with a flush before the connection too, and
   * once the profile is opened again: the store keeps it failed, and
   * why. */
  resumed_flush (&resumed);
  assert_stays_cancelled (&resumed, test, bob);
  reload_cancelled (&resumed, alice, "Cancelled", reason);
  assert_stays_cancelled (&resumed, test, bob);

  retry_sends (&resumed, test, bob, "Cancelled");
}

/* An upload cut short waits for the relay, which is away: with the
 * profile opened again, as the app starts, and online, its attachment
 * says uploading though nothing moves.  Cancelled there, it fails at
 * once, and stays failed: when the relay is back neither its connection
 * nor a flush resumes it, nor does either once the profile is opened
 * again; its message does not go, and the relay holds what it held.
 * Tried again, it goes whole. */
static void
test_waiting_cancel (void)
{
  g_autoptr(CliTest) test = new_test ("max-blob-bytes=110000000\n", FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *contents = g_strnfill (MODEL_PROGRESS_SIZE, 'W');
  g_autofree char *path = write_file (test, "waiting.bin", contents, MODEL_PROGRESS_SIZE);
  g_autofree char *reason = NULL;
  Resumed resumed = { 0 };
  guint64 held;

  cli_send_ok (test, alice, "bob", "Hi Bob");
  cli_assert_receives (test, bob, "alice", "Hi Bob", NULL);
  resumed.partial = send_cut_off (test, alice, "Waiting", path, MODEL_PROGRESS_SIZE / 4);
  held = file_size (resumed.partial);

  resumed_load (&resumed, alice, "Waiting");
  sotto_messenger_start (resumed.messenger);
  g_assert_cmpint (sotto_attachment_get_state (resumed.attachment), ==, SOTTO_ATTACHMENT_STATE_UPLOADING);
  sotto_attachment_cancel (resumed.attachment);
  g_assert_cmpint (sotto_attachment_get_state (resumed.attachment), ==, SOTTO_ATTACHMENT_STATE_FAILED);
  reason = g_strdup (sotto_attachment_get_error (resumed.attachment));
  g_assert_nonnull (reason);

  /* The relay is back; then the profile is opened again. */
  cli_relay_restart (test->relay);
  assert_stays_cancelled (&resumed, test, bob);
  g_assert_cmpuint (file_size (resumed.partial), ==, held);
  reload_cancelled (&resumed, alice, "Waiting", reason);
  assert_stays_cancelled (&resumed, test, bob);
  g_assert_cmpuint (file_size (resumed.partial), ==, held);

  retry_sends (&resumed, test, bob, "Waiting");
}

/* An upload cut short resumes as the messenger goes online, as the app
 * starts it, with no flush: the attachment the view shows follows it to
 * sent, and its message goes. */
static void
test_resumed_on_start (void)
{
  g_autoptr(CliTest) test = new_test ("max-blob-bytes=110000000\n", FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  Resumed resumed = { 0 };

  resumed_open (&resumed, test, alice, bob, "Started");

  sotto_messenger_start (resumed.messenger);
  while (sotto_attachment_get_state (resumed.attachment) != SOTTO_ATTACHMENT_STATE_SENT)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpfloat (sotto_attachment_get_progress (resumed.attachment), ==, 1.);

  resumed_flush (&resumed);
  sotto_messenger_stop (resumed.messenger);

  resumed_close (&resumed);
  cli_assert_receives (test, bob, "alice", "Started", NULL);
}

/* The blobs the attachment service keeps in @profile. */
static guint
count_profile_blobs (const char *profile)
{
  g_autofree char *folder = g_build_filename (profile, "attachments", NULL);
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;
  guint count = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "blob-"))
      count++;
  return count;
}

static gboolean
folder_is_empty (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);

  return dir == NULL || g_dir_read_name (dir) == NULL;
}

/* The line of a receive that has attachments. */
static JsonObject *
line_with_attachments (GPtrArray *lines)
{
  for (guint i = 0; i < lines->len; i++)
    if (json_object_has_member (g_ptr_array_index (lines, i), "attachments"))
      return g_ptr_array_index (lines, i);
  g_assert_not_reached ();
}

/* An attachment receive left on the relay or in the profile, and why. */
static void
assert_withheld (JsonObject *line,
                 const char *reason)
{
  JsonArray *attachments = json_object_get_array_member (line, "attachments");
  JsonObject *attachment;

  g_assert_cmpuint (json_array_get_length (attachments), ==, 1);
  attachment = json_array_get_object_element (attachments, 0);
  g_assert_cmpstr (json_object_get_string_member (attachment, "name"), ==, "secret.txt");
  g_assert_true (json_object_get_null_member (attachment, "path"));
  g_assert_true (json_object_get_null_member (attachment, "sha256"));
  g_assert_false (json_object_has_member (attachment, "error"));
  g_assert_cmpstr (json_object_get_string_member (attachment, "withheld"), ==, reason);
}

/* A stranger's file, in a message request, is not fetched at all: the
 * recipient has not agreed to anything from them yet, and fetching it
 * would tell the stranger's relay when the recipient is online. */
static void
test_request_not_downloaded (void)
{
  g_autoptr(CliTest) test = new_test ("max-blob-bytes=10000000\n", FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *secret_path = write_file (test, "secret.txt", MARKER, strlen (MARKER));
  g_autofree char *downloads = g_build_filename (test->root, "downloads", NULL);
  g_autoptr(CliResult) received = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  JsonObject *line;

  cli_run_ok (test, alice, "send", "bob", "From a stranger", "--attach", secret_path, NULL);
  received = cli_run (test, bob, "--json", "--message-requests", "receive", "--timeout", "1",
                      "--download-dir", downloads, NULL);
  cli_assert_ok (received);
  lines = cli_parse_lines (received->out);
  line = line_with_attachments (lines);
  g_assert_true (json_object_get_boolean_member (line, "request"));
  assert_withheld (line, "request");
  g_assert_true (folder_is_empty (downloads));
  g_assert_cmpuint (count_profile_blobs (bob), ==, 0);
}

/* A file in a disappearing message is fetched and checked into the
 * profile, where it stays encrypted and goes with the message, but no
 * plaintext copy is saved where it would outlive it. */
static void
test_disappearing_not_saved (void)
{
  g_autoptr(CliTest) test = new_test ("max-blob-bytes=10000000\n", FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *secret_path = write_file (test, "secret.txt", MARKER, strlen (MARKER));
  g_autofree char *downloads = g_build_filename (test->root, "downloads", NULL);
  g_autoptr(CliResult) received = NULL;
  g_autoptr(GPtrArray) lines = NULL;

  cli_send_ok (test, alice, "bob", "Hi Bob");
  cli_assert_receives (test, bob, "alice", "Hi Bob", NULL);
  cli_run_ok (test, alice, "timer", "bob", "300", NULL);
  cli_run_ok (test, alice, "send", "bob", "Gone soon", "--attach", secret_path, NULL);
  received = cli_run (test, bob, "--json", "receive", "--timeout", "1", "--download-dir", downloads, NULL);
  cli_assert_ok (received);
  lines = cli_parse_lines (received->out);
  assert_withheld (line_with_attachments (lines), "disappearing");
  g_assert_true (folder_is_empty (downloads));
  g_assert_cmpuint (count_profile_blobs (bob), ==, 1);
  g_assert_false (cli_tree_contains (bob, MARKER, strlen (MARKER)));
}

/* The message's own timer decides whether its file is saved, not the
 * conversation's: a file sent without a timer is saved, though the
 * recipient set one on the conversation before it came. */
static void
test_message_timer_decides (void)
{
  g_autoptr(CliTest) test = new_test ("max-blob-bytes=10000000\n", FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *secret_path = write_file (test, "secret.txt", MARKER, strlen (MARKER));
  g_autofree char *downloads = g_build_filename (test->root, "downloads", NULL);
  g_autofree char *expected = sha256_of_file (secret_path);
  g_autoptr(CliResult) received = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  JsonObject *attachment;

  cli_send_ok (test, alice, "bob", "Hi Bob");
  cli_assert_receives (test, bob, "alice", "Hi Bob", NULL);
  /* Alice has not heard of Bob's timer when she sends. */
  cli_run_ok (test, bob, "timer", "alice", "300", NULL);
  cli_run_ok (test, alice, "send", "bob", "Kept", "--attach", secret_path, NULL);
  received = cli_run (test, bob, "--json", "receive", "--timeout", "1", "--download-dir", downloads, NULL);
  cli_assert_ok (received);
  lines = cli_parse_lines (received->out);
  attachment = json_array_get_object_element (json_object_get_array_member (line_with_attachments (lines),
                                                                            "attachments"), 0);
  g_assert_false (json_object_has_member (attachment, "withheld"));
  g_assert_cmpstr (json_object_get_string_member (attachment, "sha256"), ==, expected);
  g_assert_false (folder_is_empty (downloads));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/attachments/files-and-picture", test_files_and_picture);
  g_test_add_func ("/cli/attachments/default-download-dir", test_default_download_dir);
  g_test_add_func ("/cli/attachments/big-file-resumed", test_big_file_resumed);
  g_test_add_func ("/cli/attachments/tampered-blob", test_tampered_blob);
  g_test_add_func ("/cli/attachments/quota-exceeded", test_quota_exceeded);
  g_test_add_func ("/cli/attachments/expired", test_expired);
  g_test_add_func ("/cli/attachments/deleted", test_deleted);
  g_test_add_func ("/cli/attachments/model-progress", test_model_progress);
  g_test_add_func ("/cli/attachments/resumed-progress", test_resumed_progress);
  g_test_add_func ("/cli/attachments/resumed-cancel", test_resumed_cancel);
  g_test_add_func ("/cli/attachments/waiting-cancel", test_waiting_cancel);
  g_test_add_func ("/cli/attachments/resumed-on-start", test_resumed_on_start);
  g_test_add_func ("/cli/attachments/request-not-downloaded", test_request_not_downloaded);
  g_test_add_func ("/cli/attachments/disappearing-not-saved", test_disappearing_not_saved);
  g_test_add_func ("/cli/attachments/message-timer-decides", test_message_timer_decides);

  return g_test_run ();
}
