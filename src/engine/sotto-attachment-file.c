/* sotto-attachment-file.c: attachment files through the session core's cipher
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-attachment-file"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gcrypt.h>
#include <sodium.h>

#include "sotto-attachment-file-private.h"
#include "sotto-engine-private.h"

/* Files go through the cipher this many bytes at a time, so that a large
 * attachment never has to be in memory whole; a mebibyte keeps the
 * system calls per file few. */
#define CHUNK_SIZE (1024 * 1024)

/* Longer names are cut (at a character boundary): every file system
 * Sotto runs on takes 255 bytes, which leaves room for a suffix. */
#define SAFE_NAME_MAX_BYTES 200

/* How many " (N)" suffixes to try before giving up on a name. */
#define MAX_NAME_SUFFIX 1000

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

/* The blob in one pass: decrypted into @out, and the plaintext hashed,
 * while the decryptor checks the blob's length, digest, MAC and
 * padding, which final judges.  What was written is the attachment only
 * when this returns TRUE. */
static gboolean
decrypt_blob (SpAttachmentDecryptor        *decryptor,
              GInputStream                 *in,
              GOutputStream                *out,
              guint8                       *buffer,
              gcry_md_hd_t                  hash,
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
      gcry_md_write (hash, plain, plain_len);
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

/* Gives the finished file in @temp_path its name for good, beside it in
 * @dir: link() refuses a name that exists, so no file is ever replaced,
 * not even one that appeared a moment ago. */
static GFile *
name_download (const char  *dir,
               const char  *temp_path,
               const char  *name,
               GError     **error)
{
  g_autofree char *safe = sotto_attachment_file_safe_name (name);
  const char *dot = strrchr (safe, '.');
  g_autofree char *stem = g_strndup (safe, dot != NULL && dot != safe ? (gsize) (dot - safe) : strlen (safe));
  const char *extension = dot != NULL && dot != safe ? dot : "";
  guint suffix;

  for (suffix = 0; suffix <= MAX_NAME_SUFFIX; suffix++)
    {
      g_autofree char *candidate = suffix == 0 ? g_strdup (safe)
                                               : g_strdup_printf ("%s (%u)%s", stem, suffix, extension);
      g_autofree char *path = g_build_filename (dir, candidate, NULL);

      if (link (temp_path, path) == 0)
        {
          g_unlink (temp_path);
          return g_file_new_for_path (path);
        }
      if (errno != EEXIST)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Could not save the attachment: %s"), g_strerror (saved_errno));
          return NULL;
        }
    }

  g_set_error_literal (error, SOTTO_ATTACHMENT_FILE_ERROR, SOTTO_ATTACHMENT_FILE_ERROR_NO_NAME,
                       _("Could not find a free name for the attachment"));
  return NULL;
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
  g_autoptr(GFileOutputStream) out = NULL;
  g_autoptr(GFile) temp = NULL;
  g_autoptr(GFile) result = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *temp_name = NULL;
  g_autofree guint8 *buffer = NULL;
  gcry_md_hd_t hash = NULL;
  guint8 random[8];
  char hex[2 * SP_ATTACHMENT_DIGEST_SIZE + 1];
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

  buffer = g_malloc (CHUNK_SIZE);
  in = g_file_read (blob_file, cancellable, error);
  if (in == NULL)
    goto out;

  /* The plaintext goes only to the download folder, under a hidden name
   * (0600) until it is complete and the blob checked: one pass decrypts
   * and checks at once, and a blob refused takes what it decrypted with
   * it. */
  dir = g_file_get_path (download_dir);
  if (dir == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("The download folder is not a local folder"));
      goto out;
    }
  randombytes_buf (random, sizeof random);
  temp_name = g_strdup_printf (".sotto-download-%02x%02x%02x%02x%02x%02x%02x%02x.part",
                               random[0], random[1], random[2], random[3],
                               random[4], random[5], random[6], random[7]);
  temp = g_file_get_child (download_dir, temp_name);
  out = g_file_create (temp, G_FILE_CREATE_PRIVATE, cancellable, error);
  if (out == NULL)
    {
      g_clear_object (&temp);
      goto out;
    }

  /* libgcrypt's SHA-256, as the cipher's own, uses the processor's SHA
   * instructions where libsodium's does not. */
  if (gcry_md_open (&hash, GCRY_MD_SHA256, 0) != 0)
    {
      _sotto_set_error_from_sp (error, SP_ERR_CRYPTO, _("Could not decrypt the attachment"));
      goto out;
    }
  if (!decrypt_blob (decryptor, G_INPUT_STREAM (in), G_OUTPUT_STREAM (out), buffer, hash,
                     cancellable, error) ||
      !g_output_stream_close (G_OUTPUT_STREAM (out), cancellable, error))
    goto out;

  {
    g_autofree char *temp_path = g_file_get_path (temp);

    result = name_download (dir, temp_path, name, error);
  }
  if (result == NULL)
    goto out;

  sodium_bin2hex (hex, sizeof hex, gcry_md_read (hash, GCRY_MD_SHA256), SP_ATTACHMENT_DIGEST_SIZE);
  *sha256_hex = g_strdup (hex);
  g_clear_object (&temp);

out:
  if (hash != NULL)
    gcry_md_close (hash);
  sp_attachment_decryptor_free (decryptor);
  if (temp != NULL)
    g_file_delete (temp, NULL, NULL);
  return g_steal_pointer (&result);
}
