/* sotto-attachment-blob-stream.c: a blob in the profile, read for libsoup
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-attachment-blob-stream"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "sotto-attachment-blob-stream-private.h"
#include "sotto-attachment-file-private.h"

/* libsoup sends a request body by splicing it into the socket 8 KiB at a
 * time.  From a GFileInputStream each of those reads is a job for a
 * worker thread, and the profile showed the upload spending as much
 * processor time on them as on the cipher.  A regular file is always
 * readable, so this stream says it is pollable and reads at once, on
 * the caller's thread: the blob was written moments before by the
 * encryption (or is read ahead by the kernel), so a read is a copy from
 * the page cache.  Unlike mapping the file, a read error stays an error
 * and never a signal. */

struct _SottoAttachmentBlobStream
{
  GInputStream parent_instance;

  int          fd;
  guint64      position;
};

static void pollable_iface_init (GPollableInputStreamInterface *iface);
static void seekable_iface_init (GSeekableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SottoAttachmentBlobStream, sotto_attachment_blob_stream, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM, pollable_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_SEEKABLE, seekable_iface_init))

static gssize
read_some (SottoAttachmentBlobStream  *self,
           void                       *buffer,
           gsize                       count,
           GError                    **error)
{
  gssize n;

  do
    n = read (self->fd, buffer, count);
  while (n < 0 && errno == EINTR);

  if (n < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not read the attachment: %s"), g_strerror (saved_errno));
      return -1;
    }

  self->position += (guint64) n;
  return n;
}

static gssize
sotto_attachment_blob_stream_read_fn (GInputStream  *stream,
                                      void          *buffer,
                                      gsize          count,
                                      GCancellable  *cancellable,
                                      GError       **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;

  return read_some (SOTTO_ATTACHMENT_BLOB_STREAM (stream), buffer, count, error);
}

static gboolean
sotto_attachment_blob_stream_close_fn (GInputStream  *stream,
                                       GCancellable  *cancellable,
                                       GError       **error)
{
  SottoAttachmentBlobStream *self = SOTTO_ATTACHMENT_BLOB_STREAM (stream);
  int fd = self->fd;

  self->fd = -1;
  if (fd >= 0 && close (fd) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not read the attachment: %s"), g_strerror (saved_errno));
      return FALSE;
    }

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
  return TRUE;
}

/* Never waited on, as the stream is always readable; GIO asks for one
 * all the same. */
static GSource *
sotto_attachment_blob_stream_create_source (GPollableInputStream *stream,
                                            GCancellable         *cancellable)
{
  g_autoptr(GSource) ready = g_timeout_source_new (0);

  return g_pollable_source_new_full (stream, ready, cancellable);
}

static gssize
sotto_attachment_blob_stream_read_nonblocking (GPollableInputStream  *stream,
                                               void                  *buffer,
                                               gsize                  count,
                                               GError               **error)
{
  return read_some (SOTTO_ATTACHMENT_BLOB_STREAM (stream), buffer, count, error);
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
  return (goffset) SOTTO_ATTACHMENT_BLOB_STREAM (seekable)->position;
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

  if (self->fd >= 0)
    close (self->fd);

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
  self->fd = -1;
}

GInputStream *
sotto_attachment_blob_stream_new (GFile    *blob,
                                  guint64   offset,
                                  GError  **error)
{
  g_autoptr(SottoAttachmentBlobStream) self = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (G_IS_FILE (blob), NULL);

  path = g_file_get_path (blob);
  self = g_object_new (SOTTO_TYPE_ATTACHMENT_BLOB_STREAM, NULL);
  self->fd = path != NULL ? g_open (path, O_RDONLY | O_CLOEXEC, 0) : -1;
  if (self->fd < 0 || lseek (self->fd, (off_t) offset, SEEK_SET) < 0)
    {
      int saved_errno = path != NULL ? errno : ENOENT;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not read the attachment: %s"), g_strerror (saved_errno));
      return NULL;
    }
  self->position = offset;

  return G_INPUT_STREAM (g_steal_pointer (&self));
}
