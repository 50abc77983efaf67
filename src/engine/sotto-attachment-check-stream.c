/* sotto-attachment-check-stream.c: a blob checked as it is written
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-attachment-check-stream"

#include "config.h"

#include <glib/gi18n.h>
#include <sodium.h>

#include "sotto-attachment-check-stream-private.h"
#include "sotto-attachment-file-private.h"
#include "sp-error.h"

/* A download used to be written, then read back to be checked, then
 * read twice more to be decrypted.  This stream checks it on its way to
 * the disk instead: the first pass of the attachment cipher (length,
 * digest, MAC; nothing decrypted) runs on the bytes as they are
 * written, in the thread that writes them.  When the user saves the
 * file at once (receive in sotto-cli), the stream decrypts it in the
 * same pass too, the one pass of the cipher, which checks as it
 * decrypts. */

struct _SottoAttachmentCheckStream
{
  GFilterOutputStream    parent_instance;

  SpAttachmentDecryptor *decryptor;
  GOutputStream         *plain;
  guint8                *plain_buffer;
  gsize                  plain_buffer_size;
  /* Guards @written, which progress reads from the main thread while a
   * worker thread writes. */
  GMutex                 lock;
  guint64                written;
};

static void seekable_iface_init (GSeekableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SottoAttachmentCheckStream, sotto_attachment_check_stream,
                               G_TYPE_FILTER_OUTPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_SEEKABLE, seekable_iface_init))

static void
wipe_plain_buffer (SottoAttachmentCheckStream *self)
{
  if (self->plain_buffer != NULL)
    sodium_memzero (self->plain_buffer, self->plain_buffer_size);
  g_clear_pointer (&self->plain_buffer, g_free);
  self->plain_buffer_size = 0;
}

static gssize
sotto_attachment_check_stream_write_fn (GOutputStream  *stream,
                                        const void     *buffer,
                                        gsize           count,
                                        GCancellable   *cancellable,
                                        GError        **error)
{
  SottoAttachmentCheckStream *self = SOTTO_ATTACHMENT_CHECK_STREAM (stream);
  GOutputStream *base = g_filter_output_stream_get_base_stream (G_FILTER_OUTPUT_STREAM (stream));
  int rc;

  if (self->plain != NULL)
    {
      gsize plain_len = 0;

      /* An update writes at most one block more than it takes. */
      if (self->plain_buffer_size < count + SP_ATTACHMENT_IV_SIZE)
        {
          wipe_plain_buffer (self);
          self->plain_buffer_size = count + SP_ATTACHMENT_IV_SIZE;
          self->plain_buffer = g_malloc (self->plain_buffer_size);
        }
      rc = sp_attachment_decryptor_update (self->decryptor, self->plain_buffer, self->plain_buffer_size,
                                           &plain_len, buffer, count);
      if (rc == SP_OK
          && !g_output_stream_write_all (self->plain, self->plain_buffer, plain_len, NULL, cancellable, error))
        return -1;
    }
  else
    rc = sp_attachment_decryptor_verify (self->decryptor, buffer, count);

  if (rc != SP_OK)
    {
      _sotto_attachment_file_set_error (error, rc, _("Could not check the attachment"));
      return -1;
    }
  if (!g_output_stream_write_all (base, buffer, count, NULL, cancellable, error))
    return -1;

  g_mutex_lock (&self->lock);
  self->written += count;
  g_mutex_unlock (&self->lock);

  return (gssize) count;
}

static goffset
sotto_attachment_check_stream_tell (GSeekable *seekable)
{
  SottoAttachmentCheckStream *self = SOTTO_ATTACHMENT_CHECK_STREAM (seekable);
  guint64 written;

  g_mutex_lock (&self->lock);
  written = self->written;
  g_mutex_unlock (&self->lock);

  return (goffset) written;
}

static void
seekable_iface_init (GSeekableIface *iface)
{
  _sotto_attachment_file_tell_only (iface);
  iface->tell = sotto_attachment_check_stream_tell;
}

static void
sotto_attachment_check_stream_finalize (GObject *object)
{
  SottoAttachmentCheckStream *self = SOTTO_ATTACHMENT_CHECK_STREAM (object);

  sp_attachment_decryptor_free (self->decryptor);
  wipe_plain_buffer (self);
  g_clear_object (&self->plain);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (sotto_attachment_check_stream_parent_class)->finalize (object);
}

static void
sotto_attachment_check_stream_class_init (SottoAttachmentCheckStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GOutputStreamClass *stream_class = G_OUTPUT_STREAM_CLASS (klass);

  object_class->finalize = sotto_attachment_check_stream_finalize;
  stream_class->write_fn = sotto_attachment_check_stream_write_fn;
}

static void
sotto_attachment_check_stream_init (SottoAttachmentCheckStream *self)
{
  g_mutex_init (&self->lock);
}

SottoAttachmentCheckStream *
sotto_attachment_check_stream_new (GOutputStream  *base,
                                   const guint8    key[SP_ATTACHMENT_KEY_SIZE],
                                   const guint8    digest[SP_ATTACHMENT_DIGEST_SIZE],
                                   guint64         size,
                                   GOutputStream  *plain,
                                   GError        **error)
{
  g_autoptr(SottoAttachmentCheckStream) self = NULL;
  int rc;

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (base), NULL);
  g_return_val_if_fail (key != NULL && digest != NULL, NULL);
  g_return_val_if_fail (plain == NULL || G_IS_OUTPUT_STREAM (plain), NULL);

  self = g_object_new (SOTTO_TYPE_ATTACHMENT_CHECK_STREAM, "base-stream", base, NULL);
  rc = sp_attachment_decryptor_new (&self->decryptor, key, digest, size);
  if (rc != SP_OK)
    {
      _sotto_attachment_file_set_error (error, rc, _("Could not check the attachment"));
      return NULL;
    }
  if (plain != NULL)
    self->plain = g_object_ref (plain);

  return g_steal_pointer (&self);
}

gboolean
sotto_attachment_check_stream_verdict (SottoAttachmentCheckStream  *self,
                                       GError                     **error)
{
  int rc;

  g_return_val_if_fail (SOTTO_IS_ATTACHMENT_CHECK_STREAM (self), FALSE);

  if (self->plain != NULL)
    rc = sp_attachment_decryptor_final (self->decryptor);
  else
    rc = sp_attachment_decryptor_verify_final (self->decryptor);
  if (rc != SP_OK)
    {
      _sotto_attachment_file_set_error (error, rc, _("Could not check the attachment"));
      return FALSE;
    }

  return TRUE;
}
