/* sotto-attachment-blob-stream.c: a blob in the profile, read for libsoup
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-attachment-blob-stream"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <glib-unix.h>

#include "sotto-attachment-blob-stream-private.h"
#include "sotto-attachment-file-private.h"

/* libsoup sends a request body by splicing it into the socket 8 KiB at a
 * time.  From a GFileInputStream each of those reads is a job for a
 * worker thread, and the profile showed the upload spending as much
 * processor time on them as on the cipher.  This stream is pollable
 * instead: one thread of its own reads the blob ahead into a ring of
 * RING_SIZE bytes, and libsoup's reads on the main thread copy from the
 * ring, or would block when it is empty.  So the main thread never
 * waits for the disk, which a resumed upload, whose blob is no longer
 * in the page cache, would otherwise make it do for every read; and
 * unlike mapping the file, a read error stays an error and never a
 * signal.  An eventfd, readable while the ring holds something (or the
 * blob ended, or failed), wakes the main loop.
 *
 * A read of the disk cannot be interrupted, and one may take long (a
 * disk that stalls, a network file system gone away): closing the
 * stream does not wait for it.  The ring and the blob are shared with
 * the reader thread, which holds its own reference; a close tells the
 * thread to stop and lets it go, and whichever lets go last closes the
 * blob. */

/* The ring, and the most the reader reads at once. */
#define RING_SIZE (1024 * 1024)
#define READ_SIZE (256 * 1024)

/* What the stream shares with its reader thread. */
typedef struct
{
  gatomicrefcount ref;
  int          fd;
  int          wake_fd;
  guint64      position;

  /* Guards what follows. */
  GMutex       lock;
  GCond        has_data;  /* for a blocking read */
  GCond        has_room;  /* for the reader */
  guint8      *ring;
  gsize        start;     /* the first byte not yet taken */
  gsize        filled;    /* bytes in the ring from @start on */
  gboolean     ended;     /* the reader reached the end of the blob */
  gboolean     stopping;  /* the stream is closing: the reader stops */
  int          read_errno;
  gboolean     awake;     /* whether the eventfd is readable */
} Ahead;

struct _SottoAttachmentBlobStream
{
  GInputStream parent_instance;

  Ahead       *ahead;
  GThread     *reader;
};

static void pollable_iface_init (GPollableInputStreamInterface *iface);
static void seekable_iface_init (GSeekableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SottoAttachmentBlobStream, sotto_attachment_blob_stream, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM, pollable_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_SEEKABLE, seekable_iface_init))

static void
set_read_error (GError **error,
                int      saved_errno)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               _("Could not read the attachment: %s"), g_strerror (saved_errno));
}

static Ahead *
ahead_new (void)
{
  Ahead *self = g_new0 (Ahead, 1);

  g_atomic_ref_count_init (&self->ref);
  self->fd = -1;
  self->wake_fd = -1;
  g_mutex_init (&self->lock);
  g_cond_init (&self->has_data);
  g_cond_init (&self->has_room);

  return self;
}

static Ahead *
ahead_ref (Ahead *self)
{
  g_atomic_ref_count_inc (&self->ref);

  return self;
}

static void
ahead_unref (Ahead *self)
{
  if (!g_atomic_ref_count_dec (&self->ref))
    return;

  if (self->fd >= 0)
    close (self->fd);
  if (self->wake_fd >= 0)
    close (self->wake_fd);
  g_free (self->ring);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->has_data);
  g_cond_clear (&self->has_room);
  g_free (self);
}

/* Under the lock: whether a read would not block. */
static gboolean
readable (Ahead *self)
{
  return self->filled > 0 || self->ended || self->read_errno != 0;
}

/* Under the lock: the eventfd says whether a read would not block,
 * with a system call only when that changes. */
static void
update_wake (Ahead *self)
{
  guint64 value = 1;
  gssize n = 0;

  if (readable (self) == self->awake)
    return;

  self->awake = !self->awake;
  if (self->awake)
    n = write (self->wake_fd, &value, sizeof value);
  else
    n = read (self->wake_fd, &value, sizeof value);
  (void) n;
}

/* In the reader thread: the blob into the ring, as far as there is
 * room; the thread owns a reference to @data. */
static gpointer
reader_thread (gpointer data)
{
  Ahead *self = data;

  g_mutex_lock (&self->lock);
  while (!self->stopping && !self->ended && self->read_errno == 0)
    {
      gsize end;
      gsize room;
      gssize n;

      /* A whole read's room, so that the reader wakes once for many of
       * libsoup's small reads. */
      if (RING_SIZE - self->filled < READ_SIZE)
        {
          g_cond_wait (&self->has_room, &self->lock);
          continue;
        }

      /* The free bytes after the filled ones, up to the ring's end: the
       * main thread takes only filled bytes, so they are the reader's. */
      end = (self->start + self->filled) % RING_SIZE;
      room = MIN (MIN (RING_SIZE - self->filled, RING_SIZE - end), READ_SIZE);
      g_mutex_unlock (&self->lock);

      do
        n = read (self->fd, self->ring + end, room);
      while (n < 0 && errno == EINTR);

      g_mutex_lock (&self->lock);
      if (n < 0)
        self->read_errno = errno;
      else if (n == 0)
        self->ended = TRUE;
      else
        self->filled += (gsize) n;
      g_cond_broadcast (&self->has_data);
      update_wake (self);
    }
  g_mutex_unlock (&self->lock);
  ahead_unref (self);

  return NULL;
}

static void
wake_reads_cb (GCancellable *cancellable,
               Ahead        *self)
{
  g_mutex_lock (&self->lock);
  g_cond_broadcast (&self->has_data);
  g_mutex_unlock (&self->lock);
}

/* Under the lock: copies what the ring holds, up to @count bytes. */
static gssize
take (Ahead                      *self,
      void                       *buffer,
      gsize                       count,
      GError                    **error)
{
  gboolean had_room = RING_SIZE - self->filled >= READ_SIZE;
  gsize n = 0;

  while (n < count && self->filled > 0)
    {
      gsize chunk = MIN (MIN (count - n, self->filled), RING_SIZE - self->start);

      memcpy ((guint8 *) buffer + n, self->ring + self->start, chunk);
      self->start = (self->start + chunk) % RING_SIZE;
      self->filled -= chunk;
      n += chunk;
    }

  if (n == 0 && self->read_errno != 0)
    {
      set_read_error (error, self->read_errno);
      return -1;
    }

  self->position += n;
  if (!had_room && RING_SIZE - self->filled >= READ_SIZE)
    g_cond_signal (&self->has_room);
  update_wake (self);

  return (gssize) n;
}

static gssize
sotto_attachment_blob_stream_read_fn (GInputStream  *stream,
                                      void          *buffer,
                                      gsize          count,
                                      GCancellable  *cancellable,
                                      GError       **error)
{
  SottoAttachmentBlobStream *self = SOTTO_ATTACHMENT_BLOB_STREAM (stream);
  Ahead *ahead = self->ahead;
  gulong cancelled = 0;
  gssize n = -1;

  /* A cancel wakes the wait, under the lock, so that it is not missed. */
  if (cancellable != NULL)
    cancelled = g_cancellable_connect (cancellable, G_CALLBACK (wake_reads_cb), ahead, NULL);

  g_mutex_lock (&ahead->lock);
  while (!readable (ahead) && !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&ahead->has_data, &ahead->lock);
  if (!g_cancellable_set_error_if_cancelled (cancellable, error))
    n = take (ahead, buffer, count, error);
  g_mutex_unlock (&ahead->lock);

  g_cancellable_disconnect (cancellable, cancelled);
  return n;
}

/* Tells the reader to stop and lets it go, without waiting for a read
 * of the disk under way: it lets go of the blob once that returns. */
static void
stop_reader (SottoAttachmentBlobStream *self)
{
  if (self->reader == NULL)
    return;

  g_mutex_lock (&self->ahead->lock);
  self->ahead->stopping = TRUE;
  g_cond_signal (&self->ahead->has_room);
  g_mutex_unlock (&self->ahead->lock);
  g_clear_pointer (&self->reader, g_thread_unref);
}

static gboolean
sotto_attachment_blob_stream_close_fn (GInputStream  *stream,
                                       GCancellable  *cancellable,
                                       GError       **error)
{
  SottoAttachmentBlobStream *self = SOTTO_ATTACHMENT_BLOB_STREAM (stream);

  /* The blob is closed once the reader lets go of it too: a read-only
   * descriptor has nothing to report on close. */
  stop_reader (self);

  return TRUE;
}

static gboolean
sotto_attachment_blob_stream_can_poll (GPollableInputStream *stream)
{
  return TRUE;
}

static gboolean
sotto_attachment_blob_stream_is_readable (GPollableInputStream *stream)
{
  SottoAttachmentBlobStream *self = SOTTO_ATTACHMENT_BLOB_STREAM (stream);
  gboolean is_readable;

  g_mutex_lock (&self->ahead->lock);
  is_readable = readable (self->ahead);
  g_mutex_unlock (&self->ahead->lock);

  return is_readable;
}

static GSource *
sotto_attachment_blob_stream_create_source (GPollableInputStream *stream,
                                            GCancellable         *cancellable)
{
  SottoAttachmentBlobStream *self = SOTTO_ATTACHMENT_BLOB_STREAM (stream);
  g_autoptr(GSource) ready = g_unix_fd_source_new (self->ahead->wake_fd, G_IO_IN);

  return g_pollable_source_new_full (stream, ready, cancellable);
}

static gssize
sotto_attachment_blob_stream_read_nonblocking (GPollableInputStream  *stream,
                                               void                  *buffer,
                                               gsize                  count,
                                               GError               **error)
{
  SottoAttachmentBlobStream *self = SOTTO_ATTACHMENT_BLOB_STREAM (stream);
  gssize n;

  g_mutex_lock (&self->ahead->lock);
  if (readable (self->ahead))
    n = take (self->ahead, buffer, count, error);
  else
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, _("The attachment is still being read"));
      n = -1;
    }
  g_mutex_unlock (&self->ahead->lock);

  return n;
}

static void
pollable_iface_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = sotto_attachment_blob_stream_can_poll;
  iface->is_readable = sotto_attachment_blob_stream_is_readable;
  iface->create_source = sotto_attachment_blob_stream_create_source;
  iface->read_nonblocking = sotto_attachment_blob_stream_read_nonblocking;
}

static goffset
sotto_attachment_blob_stream_tell (GSeekable *seekable)
{
  SottoAttachmentBlobStream *self = SOTTO_ATTACHMENT_BLOB_STREAM (seekable);
  guint64 position;

  g_mutex_lock (&self->ahead->lock);
  position = self->ahead->position;
  g_mutex_unlock (&self->ahead->lock);

  return (goffset) position;
}

static void
seekable_iface_init (GSeekableIface *iface)
{
  _sotto_attachment_file_tell_only (iface);
  iface->tell = sotto_attachment_blob_stream_tell;
}

static void
sotto_attachment_blob_stream_finalize (GObject *object)
{
  SottoAttachmentBlobStream *self = SOTTO_ATTACHMENT_BLOB_STREAM (object);

  stop_reader (self);
  g_clear_pointer (&self->ahead, ahead_unref);

  G_OBJECT_CLASS (sotto_attachment_blob_stream_parent_class)->finalize (object);
}

static void
sotto_attachment_blob_stream_class_init (SottoAttachmentBlobStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = sotto_attachment_blob_stream_finalize;
  stream_class->read_fn = sotto_attachment_blob_stream_read_fn;
  stream_class->close_fn = sotto_attachment_blob_stream_close_fn;
}

static void
sotto_attachment_blob_stream_init (SottoAttachmentBlobStream *self)
{
  self->ahead = ahead_new ();
}

GInputStream *
sotto_attachment_blob_stream_new (GFile    *blob,
                                  guint64   offset,
                                  GError  **error)
{
  g_autoptr(SottoAttachmentBlobStream) self = NULL;
  g_autofree char *path = NULL;
  Ahead *ahead;

  g_return_val_if_fail (G_IS_FILE (blob), NULL);

  path = g_file_get_path (blob);
  self = g_object_new (SOTTO_TYPE_ATTACHMENT_BLOB_STREAM, NULL);
  ahead = self->ahead;
  ahead->fd = path != NULL ? g_open (path, O_RDONLY | O_CLOEXEC, 0) : -1;
  if (ahead->fd < 0 || (offset > 0 && lseek (ahead->fd, (off_t) offset, SEEK_SET) < 0))
    {
      set_read_error (error, path != NULL ? errno : ENOENT);
      return NULL;
    }
  ahead->wake_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (ahead->wake_fd < 0)
    {
      set_read_error (error, errno);
      return NULL;
    }
  ahead->position = offset;
  ahead->ring = g_malloc (RING_SIZE);
  self->reader = g_thread_new ("sotto-blob-read", reader_thread, ahead_ref (ahead));

  return G_INPUT_STREAM (g_steal_pointer (&self));
}
