/* test-attachment-blob-stream.c: a blob read ahead for an upload
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "sotto-attachment-blob-stream-private.h"

#include "engine-test-util.h"

/* Three rings and a bit, so that reading wraps around. */
#define BLOB_SIZE (3 * 1024 * 1024 + 12345)

typedef struct
{
  GByteArray *read;
  gboolean    done;
} Reading;

/* Reads @stream as libsoup does, small reads whenever it is readable,
 * on the main loop, to its end. */
static gboolean
readable_cb (GObject  *stream,
             gpointer  user_data)
{
  Reading *reading = user_data;
  g_autoptr(GError) error = NULL;
  guint8 buffer[8192];
  gssize n;

  n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (stream), buffer, sizeof buffer,
                                                NULL, &error);
  if (n < 0)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      return G_SOURCE_CONTINUE;
    }
  if (n == 0)
    {
      reading->done = TRUE;
      return G_SOURCE_REMOVE;
    }

  g_byte_array_append (reading->read, buffer, (guint) n);
  return G_SOURCE_CONTINUE;
}

static void
read_all (GInputStream *stream,
          Reading      *reading)
{
  g_autoptr(GSource) source = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (stream), NULL);

  g_source_set_callback (source, (GSourceFunc) (void (*) (void)) readable_cb, reading, NULL);
  g_source_attach (source, NULL);
  while (!reading->done)
    g_main_context_iteration (NULL, TRUE);
}

/* A file read from an offset comes whole, in order, its position told
 * as it goes. */
static void
test_from_offset (void)
{
  g_autoptr(GFile) root = engine_test_make_profile ();
  g_autoptr(GFile) blob = g_file_get_child (root, "blob");
  g_autofree guint8 *contents = g_malloc (BLOB_SIZE);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  Reading reading = { g_byte_array_new (), FALSE };
  const guint64 offset = 1000;

  for (gsize i = 0; i < BLOB_SIZE; i++)
    contents[i] = (guint8) (i * 7 + (i >> 12));
  g_assert_true (g_file_replace_contents (blob, (const char *) contents, BLOB_SIZE, NULL, FALSE,
                                          G_FILE_CREATE_PRIVATE, NULL, NULL, NULL));

  stream = sotto_attachment_blob_stream_new (blob, offset, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_seekable_tell (G_SEEKABLE (stream)), ==, offset);
  read_all (stream, &reading);

  g_assert_cmpmem (reading.read->data, reading.read->len, contents + offset, BLOB_SIZE - offset);
  g_assert_cmpint (g_seekable_tell (G_SEEKABLE (stream)), ==, BLOB_SIZE);
  g_assert_true (g_input_stream_close (stream, NULL, &error));
  g_assert_no_error (error);

  g_byte_array_unref (reading.read);
  engine_test_remove_profile (g_steal_pointer (&root));
}

/* A stream of a blob that cannot be read yet: a pipe nobody wrote to,
 * which stands for a disk that has not answered.  *@writer is its other
 * end, open. */
static GInputStream *
stalled_stream (GFile *root,
                int   *writer)
{
  g_autoptr(GFile) fifo = g_file_get_child (root, "stalled-blob");
  g_autoptr(GError) error = NULL;
  GInputStream *stream;

  g_assert_cmpint (mkfifo (g_file_peek_path (fifo), 0600), ==, 0);
  /* Opened for writing too, so that opening it for reading does not wait. */
  *writer = g_open (g_file_peek_path (fifo), O_RDWR | O_CLOEXEC, 0);
  g_assert_cmpint (*writer, >=, 0);

  stream = sotto_attachment_blob_stream_new (fifo, 0, &error);
  g_assert_no_error (error);

  return stream;
}

/* A blob that cannot be read yet (a pipe nobody wrote to stands for a
 * disk that has not answered) is not readable: the main loop is never
 * made to wait for it, and reads it once it comes. */
static void
test_main_loop_never_waits (void)
{
  g_autoptr(GFile) root = engine_test_make_profile ();
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  Reading reading = { g_byte_array_new (), FALSE };
  const char slow[] = "what the disk gives, late";
  int writer;

  stream = stalled_stream (root, &writer);
  g_assert_false (g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (stream)));
  g_assert_cmpint (g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (stream),
                                                             (char[8]) { 0 }, 8, NULL, &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_clear_error (&error);

  g_assert_cmpint (write (writer, slow, strlen (slow)), ==, (gssize) strlen (slow));
  g_assert_cmpint (close (writer), ==, 0);
  read_all (stream, &reading);
  g_assert_cmpmem (reading.read->data, reading.read->len, slow, strlen (slow));

  g_byte_array_unref (reading.read);
  engine_test_remove_profile (g_steal_pointer (&root));
}

/* A blob whose read does not return (a pipe nobody writes to stands
 * for a disk that stalls): closing the stream does not wait for it, and
 * the read, once it returns, lets go of the blob. */
static void
test_close_while_reading (void)
{
  g_autoptr(GFile) root = engine_test_make_profile ();
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  int writer;

  stream = stalled_stream (root, &writer);
  g_assert_true (g_input_stream_close (stream, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&stream);

  /* The read returns at last, into a ring nobody reads. */
  g_assert_cmpint (close (writer), ==, 0);
  engine_test_remove_profile (g_steal_pointer (&root));
}

static void
blocking_read_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  guint8 buffer[64];
  GError *error = NULL;

  if (g_input_stream_read (source_object, buffer, sizeof buffer, cancellable, &error) < 0)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
read_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* A blocking read waiting for a blob that does not come stops, with
 * G_IO_ERROR_CANCELLED, when it is cancelled; the stream then closes. */
static void
test_cancel_blocked_read (void)
{
  g_autoptr(GFile) root = engine_test_make_profile ();
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GTask) task = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  int writer;

  stream = stalled_stream (root, &writer);
  task = g_task_new (stream, cancellable, read_done_cb, &result);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, blocking_read_thread);
  g_cancellable_cancel (cancellable);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (g_task_propagate_boolean (G_TASK (result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  g_assert_true (g_input_stream_close (stream, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (close (writer), ==, 0);
  engine_test_remove_profile (g_steal_pointer (&root));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/attachment-blob-stream/from-offset", test_from_offset);
  g_test_add_func ("/attachment-blob-stream/main-loop-never-waits", test_main_loop_never_waits);
  g_test_add_func ("/attachment-blob-stream/close-while-reading", test_close_while_reading);
  g_test_add_func ("/attachment-blob-stream/cancel-blocked-read", test_cancel_blocked_read);

  return g_test_run ();
}
