/* cli-attachments-test-util.c: what the sotto-cli attachment tests share
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "cli-attachments-test-util.h"

static const char relay_limits[] =
  "[rate-limits]\n"
  "address-registrations=100000/100000\n"
  "account-sends=100000/100000\n"
  "[limits]\n";

/* A test directory with a relay whose [limits] add @limits. */
CliTest *
new_test (const char *limits,
          gboolean    tolerant)
{
  CliTest *test = cli_test_new_without_relay ();
  g_autofree char *relay_dir = g_build_filename (test->root, "relay", NULL);
  g_autofree char *conf_path = g_build_filename (relay_dir, "relay.conf", NULL);
  g_autofree char *conf = g_strconcat (relay_limits, limits, NULL);
  g_autofree char *saved_debug = g_strdup (g_getenv ("G_DEBUG"));

  g_assert_cmpint (g_mkdir_with_parents (relay_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (conf_path, conf, -1, NULL));

  /* The relay warns of a blob damaged on its disk, which the tampering
   * case does on purpose: there its warnings are not fatal. */
  if (tolerant)
    g_setenv ("G_DEBUG", "gc-friendly", TRUE);
  test->relay = cli_relay_start (relay_dir, 0, FALSE);
  if (tolerant)
    g_setenv ("G_DEBUG", saved_debug, TRUE);

  return test;
}

/* @contents as the file @name in the test's folder of files. */
char *
write_file (CliTest    *test,
            const char *name,
            const char *contents,
            gsize       len)
{
  g_autofree char *dir = g_build_filename (test->root, "files", NULL);
  char *path = g_build_filename (dir, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, (gssize) len, NULL));

  return path;
}

char *
sha256_of_file (const char *path)
{
  g_autoptr(GMappedFile) mapped = g_mapped_file_new (path, FALSE, NULL);
  g_autoptr(GBytes) bytes = NULL;

  g_assert_nonnull (mapped);
  bytes = g_mapped_file_get_bytes (mapped);

  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
}
/* No byte of MARKER in the relay's data or either profile. */
void
assert_no_plaintext (CliTest    *test,
                     const char *alice,
                     const char *bob)
{
  g_assert_false (cli_tree_contains (test->relay->data_dir, MARKER, strlen (MARKER)));
  g_assert_false (cli_tree_contains (alice, MARKER, strlen (MARKER)));
  g_assert_false (cli_tree_contains (bob, MARKER, strlen (MARKER)));
}

/* A PNG picture of @width × @height: a gradient with @marker in its
 * first row, uncompressed (stored deflate blocks), so that the marker
 * is in the file as it is. */
GBytes *
make_png (guint       width,
          guint       height,
          const char *marker)
{
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  g_autoptr(GByteArray) zlib = g_byte_array_new ();
  g_autoptr(GByteArray) png = g_byte_array_new ();
  static const guint8 signature[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  guint32 adler_a = 1;
  guint32 adler_b = 0;
  guint8 ihdr[13];

  for (guint y = 0; y < height; y++)
    {
      guint8 filter = 0;

      g_byte_array_append (raw, &filter, 1);
      for (guint x = 0; x < width; x++)
        {
          guint8 pixel[3] = { (guint8) (x * 255 / width), (guint8) (y * 255 / height), 0x80 };

          g_byte_array_append (raw, pixel, 3);
        }
    }
  memcpy (raw->data + 1, marker, strlen (marker));

  /* zlib: a header, stored blocks of at most 65535 bytes, Adler-32. */
  g_byte_array_append (zlib, (const guint8 *) "\x78\x01", 2);
  for (guint offset = 0; offset < raw->len; )
    {
      guint n = MIN (raw->len - offset, 65535);
      guint8 header[5] = { offset + n == raw->len, n & 0xff, n >> 8, ~n & 0xff, (~n >> 8) & 0xff };

      g_byte_array_append (zlib, header, 5);
      g_byte_array_append (zlib, raw->data + offset, n);
      offset += n;
    }
  for (guint i = 0; i < raw->len; i++)
    {
      adler_a = (adler_a + raw->data[i]) % 65521;
      adler_b = (adler_b + adler_a) % 65521;
    }
  {
    guint32 adler = GUINT32_TO_BE ((adler_b << 16) | adler_a);

    g_byte_array_append (zlib, (const guint8 *) &adler, 4);
  }

  {
    guint32 be_width = GUINT32_TO_BE (width);
    guint32 be_height = GUINT32_TO_BE (height);

    memcpy (ihdr, &be_width, 4);
    memcpy (ihdr + 4, &be_height, 4);
    memcpy (ihdr + 8, "\x08\x02\x00\x00\x00", 5);
  }

  g_byte_array_append (png, signature, sizeof signature);
  {
    struct { const char *type; const guint8 *data; guint len; } chunks[] = {
      { "IHDR", ihdr, sizeof ihdr },
      { "IDAT", zlib->data, zlib->len },
      { "IEND", NULL, 0 },
    };

    for (guint i = 0; i < G_N_ELEMENTS (chunks); i++)
      {
        guint32 len = GUINT32_TO_BE (chunks[i].len);
        guint32 crc = 0xffffffff;
        g_autoptr(GByteArray) typed = g_byte_array_new ();

        g_byte_array_append (typed, (const guint8 *) chunks[i].type, 4);
        if (chunks[i].len > 0)
          g_byte_array_append (typed, chunks[i].data, chunks[i].len);
        for (guint j = 0; j < typed->len; j++)
          {
            crc ^= typed->data[j];
            for (int k = 0; k < 8; k++)
              crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
          }
        crc = GUINT32_TO_BE (crc ^ 0xffffffff);

        g_byte_array_append (png, (const guint8 *) &len, 4);
        g_byte_array_append (png, typed->data, typed->len);
        g_byte_array_append (png, (const guint8 *) &crc, 4);
      }
  }

  return g_byte_array_free_to_bytes (g_steal_pointer (&png));
}

/* The size of the file at @path, 0 if there is none. */
guint64
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (guint64) st.st_size : 0;
}

/* Sends @path from @sender to bob with @text and kills the relay once
 * it holds @cut_after bytes of the blob: the send fails with the
 * message kept.  Returns the relay's partial file. */
char *
send_cut_off (CliTest    *test,
              const char *sender,
              const char *text,
              const char *path,
              guint64     cut_after)
{
  g_autofree char *blobs = g_build_filename (test->relay->data_dir, "blobs", NULL);
  g_autoptr(CliResult) cut = NULL;
  GSubprocess *sending;
  char *partial = NULL;

  sending = cli_spawn (test, sender, "send", "bob", text, "--attach", path, NULL);

  /* Once the relay holds a good part of the blob, it goes away. */
  while (partial == NULL)
    {
      g_autoptr(GDir) dir = g_dir_open (blobs, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *candidate = g_build_filename (blobs, name, "partial", NULL);

          if (name[0] != '.' && file_size (candidate) >= cut_after)
            {
              g_free (partial);
              partial = g_steal_pointer (&candidate);
            }
        }
      if (partial == NULL)
        g_usleep (20 * 1000);
    }
  cli_relay_kill (test->relay);

  cut = cli_wait (sending);
  g_assert_cmpint (cut->status, ==, 1);
  g_assert_nonnull (strstr (cut->err, "kept"));

  return partial;
}

/* Opens @alice's profile, as a process starting does, and finds its
 * last message, @text, and its attachment. */
void
resumed_load (Resumed    *resumed,
              const char *alice,
              const char *text)
{
  g_autoptr(GAsyncResult) found = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *messages;

  resumed->store = cli_open_store (alice);
  resumed->messenger = cli_load_messenger (resumed->store);
  sotto_messenger_open_conversation_async (resumed->messenger, "bob", NULL, cli_result_cb, &found);
  cli_wait_for (&found);
  resumed->conversation = sotto_messenger_open_conversation_finish (resumed->messenger, found, &error);
  g_assert_no_error (error);

  messages = sotto_conversation_get_messages (resumed->conversation);
  resumed->message = g_list_model_get_item (messages, g_list_model_get_n_items (messages) - 1);
  while (!sotto_message_get_loaded (resumed->message))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (sotto_message_get_body (resumed->message), ==, text);
  resumed->attachment = g_list_model_get_item (sotto_message_get_attachments (resumed->message), 0);
}

void
resumed_open (Resumed    *resumed,
              CliTest    *test,
              const char *alice,
              const char *bob,
              const char *text)
{
  g_autofree char *contents = g_strnfill (MODEL_PROGRESS_SIZE, text[0]);
  g_autofree char *path = write_file (test, "resumed.bin", contents, MODEL_PROGRESS_SIZE);

  cli_send_ok (test, alice, "bob", "Hi Bob");
  cli_assert_receives (test, bob, "alice", "Hi Bob", NULL);
  resumed->partial = send_cut_off (test, alice, text, path, MODEL_PROGRESS_SIZE / 4);
  cli_relay_restart (test->relay);

  resumed_load (resumed, alice, text);
  g_assert_cmpint (sotto_attachment_get_state (resumed->attachment), ==, SOTTO_ATTACHMENT_STATE_UPLOADING);
}

void
resumed_flush (Resumed *resumed)
{
  g_autoptr(GAsyncResult) flushed = NULL;
  g_autoptr(GError) error = NULL;

  sotto_messenger_flush_async (resumed->messenger, NULL, cli_result_cb, &flushed);
  cli_wait_for (&flushed);
  g_assert_true (sotto_messenger_flush_finish (resumed->messenger, flushed, &error));
  g_assert_no_error (error);
}

/* Closes the profile, as a process ending does. */
void
resumed_unload (Resumed *resumed)
{
  g_clear_object (&resumed->attachment);
  g_clear_object (&resumed->message);
  g_clear_object (&resumed->conversation);
  g_clear_object (&resumed->messenger);
  cli_close_store (resumed->store);
}

void
resumed_close (Resumed *resumed)
{
  resumed_unload (resumed);
  g_free (resumed->partial);
}
