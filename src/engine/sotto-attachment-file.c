/* sotto-attachment-file.c: attachment files through the session core's cipher
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-attachment-file"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sotto-attachment-file-private.h"
#include "sotto-attachment-plain-stream-private.h"
#include "sotto-engine-private.h"

/* Files go through the cipher this many bytes at a time, so that a large
 * attachment never has to be in memory whole; a mebibyte keeps the
 * system calls per file few. */
#define CHUNK_SIZE (1024 * 1024)

/* Longer names are cut (at a character boundary): every file system
 * Sotto runs on takes 255 bytes, which leaves room for a suffix. */
#define SAFE_NAME_MAX_BYTES 200

G_DEFINE_QUARK (sotto-attachment-file-error-quark, sotto_attachment_file_error)

static gboolean
cannot_seek (GSeekable *seekable)
{
  return FALSE;
}

static gboolean
refuse_seek (GSeekable     *seekable,
             goffset        offset,
             GSeekType      type,
             GCancellable  *cancellable,
             GError       **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, _("An attachment being moved cannot seek"));
  return FALSE;
}

static gboolean
refuse_truncate (GSeekable     *seekable,
                 goffset        offset,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       _("An attachment being moved cannot be truncated"));
  return FALSE;
}

void
_sotto_attachment_file_tell_only (GSeekableIface *iface)
{
  iface->can_seek = cannot_seek;
  iface->seek = refuse_seek;
  iface->can_truncate = cannot_seek;
  iface->truncate_fn = refuse_truncate;
}

char *
sotto_attachment_file_safe_name (const char *name)
{
  g_autofree char *valid = g_utf8_make_valid (name != NULL ? name : "", -1);
  g_autoptr(GString) safe = g_string_new (NULL);
  const char *p;

  for (p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '/' || c == '\\')
        c = '_';
      else if (g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029)
        continue;
      /* A leading dot would hide the file, or make it "." or "..". */
      if (safe->len == 0 && (c == '.' || g_unichar_isspace (c)))
        continue;
      if (safe->len + g_unichar_to_utf8 (c, NULL) > SAFE_NAME_MAX_BYTES)
        break;
      g_string_append_unichar (safe, c);
    }

  g_strchomp (safe->str);
  g_string_set_size (safe, strlen (safe->str));
  if (safe->len == 0)
    g_string_assign (safe, "attachment");

  return g_string_free (g_steal_pointer (&safe), FALSE);
}

void
_sotto_attachment_file_set_error (GError     **error,
                                  int          rc,
                                  const char  *what)
{
  switch (rc)
    {
    case SP_ERR_MALFORMED:
    case SP_ERR_BAD_DIGEST:
    case SP_ERR_BAD_MAC:
    case SP_ERR_BAD_PADDING:
      g_set_error (error, SOTTO_ATTACHMENT_FILE_ERROR, SOTTO_ATTACHMENT_FILE_ERROR_REJECTED,
                   /* Translators: the protocol's own explanation follows, in English */
                   _("The attachment was damaged or replaced on the relay (%s)"),
                   sp_strerror (rc));
      break;

    default:
      _sotto_set_error_from_sp (error, rc, what);
      break;
    }
}

static void
set_size_changed_error (GError **error)
{
  g_set_error_literal (error, SOTTO_ATTACHMENT_FILE_ERROR, SOTTO_ATTACHMENT_FILE_ERROR_SIZE,
                       _("The file changed size while it was being encrypted"));
}

gboolean
sotto_attachment_file_encrypt (GInputStream   *plaintext,
                               guint64         size,
                               GOutputStream  *blob,
                               guint8          key[SP_ATTACHMENT_KEY_SIZE],
                               guint8          digest[SP_ATTACHMENT_DIGEST_SIZE],
                               GCancellable   *cancellable,
                               GError        **error)
{
  SpAttachmentEncryptor *encryptor = NULL;
  guint8 iv[SP_ATTACHMENT_IV_SIZE];
  g_autofree guint8 *in = NULL;
  g_autofree guint8 *out = NULL;
  guint64 total = 0;
  bool done = false;
  gboolean ok = FALSE;
  int rc;

  g_return_val_if_fail (G_IS_INPUT_STREAM (plaintext), FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (blob), FALSE);
  g_return_val_if_fail (key != NULL && digest != NULL, FALSE);

  if (size > SP_ATTACHMENT_MAX_SIZE)
    {
      g_set_error_literal (error, SOTTO_ATTACHMENT_FILE_ERROR, SOTTO_ATTACHMENT_FILE_ERROR_SIZE,
                           _("The file is too large to send"));
      return FALSE;
    }

  _sotto_engine_init_crypto ();
  randombytes_buf (key, SP_ATTACHMENT_KEY_SIZE);
  randombytes_buf (iv, sizeof iv);
  rc = sp_attachment_encryptor_new (&encryptor, key, iv, size);
  if (rc != SP_OK)
    {
      _sotto_set_error_from_sp (error, rc, _("Could not encrypt the attachment"));
      return FALSE;
    }

  in = g_malloc (CHUNK_SIZE);
  out = g_malloc (CHUNK_SIZE + SP_ATTACHMENT_UPDATE_OVERHEAD);

  for (;;)
    {
      gssize n = g_input_stream_read (plaintext, in, CHUNK_SIZE, cancellable, error);
      gsize out_len = 0;

      if (n < 0)
        goto out;
      if (n == 0)
        break;
      total += (guint64) n;
      if (total > size)
        {
          set_size_changed_error (error);
          goto out;
        }
      rc = sp_attachment_encryptor_update (encryptor, out, CHUNK_SIZE + SP_ATTACHMENT_UPDATE_OVERHEAD,
                                           &out_len, in, (gsize) n);
      if (rc != SP_OK)
        {
          _sotto_set_error_from_sp (error, rc, _("Could not encrypt the attachment"));
          goto out;
        }
      if (!g_output_stream_write_all (blob, out, out_len, NULL, cancellable, error))
        goto out;
    }

  if (total != size)
    {
      set_size_changed_error (error);
      goto out;
    }

  while (!done)
    {
      gsize out_len = 0;

      rc = sp_attachment_encryptor_final (encryptor, out, CHUNK_SIZE, &out_len, digest, &done);
      if (rc != SP_OK)
        {
          _sotto_set_error_from_sp (error, rc, _("Could not encrypt the attachment"));
          goto out;
        }
      if (!g_output_stream_write_all (blob, out, out_len, NULL, cancellable, error))
        goto out;
    }

  ok = TRUE;

out:
  sp_attachment_encryptor_free (encryptor);
  sodium_memzero (iv, sizeof iv);
  sodium_memzero (in, CHUNK_SIZE);
  return ok;
}

/* The blob in one pass: decrypted into @out while the decryptor checks
 * the blob's length, digest, MAC and padding, which final judges.  What
 * was written is the attachment only when this returns TRUE. */
static gboolean
decrypt_blob (SpAttachmentDecryptor        *decryptor,
              GInputStream                 *in,
              GOutputStream                *out,
              guint8                       *buffer,
              GCancellable                 *cancellable,
              GError                      **error)
{
  g_autofree guint8 *plain = g_malloc (CHUNK_SIZE + 16);
  gboolean ok = FALSE;
  int rc;

  for (;;)
    {
      gssize n = g_input_stream_read (in, buffer, CHUNK_SIZE, cancellable, error);
      gsize plain_len = 0;

      if (n < 0)
        goto out;
      if (n == 0)
        break;
      rc = sp_attachment_decryptor_update (decryptor, plain, CHUNK_SIZE + 16, &plain_len,
                                           buffer, (gsize) n);
      if (rc != SP_OK)
        {
          _sotto_attachment_file_set_error (error, rc, _("Could not decrypt the attachment"));
          goto out;
        }
      if (!g_output_stream_write_all (out, plain, plain_len, NULL, cancellable, error))
        goto out;
    }

  rc = sp_attachment_decryptor_final (decryptor);
  if (rc != SP_OK)
    {
      _sotto_attachment_file_set_error (error, rc, _("Could not decrypt the attachment"));
      goto out;
    }

  ok = TRUE;

out:
  sodium_memzero (plain, CHUNK_SIZE + 16);
  return ok;
}

GFile *
sotto_attachment_file_decrypt (GFile          *blob_file,
                               const guint8    key[SP_ATTACHMENT_KEY_SIZE],
                               const guint8    digest[SP_ATTACHMENT_DIGEST_SIZE],
                               guint64         size,
                               GFile          *download_dir,
                               const char     *name,
                               char          **sha256_hex,
                               GCancellable   *cancellable,
                               GError        **error)
{
  SpAttachmentDecryptor *decryptor = NULL;
  g_autoptr(GFileInputStream) in = NULL;
  g_autoptr(SottoAttachmentPlainStream) out = NULL;
  g_autofree guint8 *buffer = NULL;
  GFile *result = NULL;
  int rc;

  g_return_val_if_fail (G_IS_FILE (blob_file), NULL);
  g_return_val_if_fail (key != NULL && digest != NULL, NULL);
  g_return_val_if_fail (G_IS_FILE (download_dir), NULL);
  g_return_val_if_fail (sha256_hex != NULL, NULL);

  _sotto_engine_init_crypto ();
  rc = sp_attachment_decryptor_new (&decryptor, key, digest, size);
  if (rc != SP_OK)
    {
      _sotto_attachment_file_set_error (error, rc, _("Could not decrypt the attachment"));
      return NULL;
    }

  /* The plaintext goes only to the download folder, in a file without
   * a name until the blob passed its checks: one pass decrypts and
   * checks at once, and a blob refused, or a process that dies, takes
   * what it decrypted with it. */
  buffer = g_malloc (CHUNK_SIZE);
  in = g_file_read (blob_file, cancellable, error);
  if (in != NULL)
    out = sotto_attachment_plain_stream_new (download_dir, error);
  if (out != NULL
      && decrypt_blob (decryptor, G_INPUT_STREAM (in), G_OUTPUT_STREAM (out), buffer, cancellable, error))
    result = sotto_attachment_plain_stream_publish (out, name, sha256_hex, cancellable, error);

  sp_attachment_decryptor_free (decryptor);
  return result;
}
