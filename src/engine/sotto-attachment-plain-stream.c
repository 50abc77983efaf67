/* sotto-attachment-plain-stream.c: a decrypted attachment that has no name until it is checked
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-attachment-plain-stream"

/* For O_TMPFILE. */
#define _GNU_SOURCE

#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gcrypt.h>
#include <glib/gi18n.h>
#include <sodium.h>

#include "sotto-attachment-file-private.h"
#include "sotto-attachment-plain-stream-private.h"
#include "sotto-engine-private.h"

/* An attachment is decrypted in the same pass that checks its blob, so
 * its plaintext is on the disk before the blob's MAC and digest are
 * judged, and, had the process died, would have stayed there: a hidden
 * part file in the user's folder, with part of a file that may have
 * been refused, or may have been a disappearing message's.  This
 * stream writes the plaintext to a file without a name instead
 * (O_TMPFILE), which no other process can open and which the kernel
 * frees when the stream or the process goes, and links it into the
 * folder only once the checks passed.
 *
 * Some file systems (FAT on a USB stick, some network ones) have no
 * unnamed files.  There the file is hidden, 0600, and locked (flock)
 * while it is written.  Every stream that starts in a folder removes
 * the unlocked ones, which only a dead process can have left (or an
 * older Sotto, which wrote them everywhere); so does the messenger, as
 * it goes online, in the profile's downloads folder. */

#define PART_PREFIX ".sotto-download-"
#define PART_SUFFIX ".part"

/* Longer names are cut (at a character boundary) by
 * sotto_attachment_file_safe_name(); this many " (N)" suffixes are
 * tried before giving up on a name. */
#define MAX_NAME_SUFFIX 1000

/* A sweep reads at most this many names of a folder: a folder of many
 * files costs it no more, and a part file left there goes at one of the
 * next sweeps, which the sweep before may have made room for. */
#define SWEEP_MAX_ENTRIES 4096

struct _SottoAttachmentPlainStream
{
  GOutputStream  parent_instance;

  GFile         *dir;
  int            dir_fd;
  int            fd;
  /* The hidden name, on a file system without unnamed files. */
  char          *part_name;
  gboolean       published;
  gcry_md_hd_t   hash;
};

G_DEFINE_FINAL_TYPE (SottoAttachmentPlainStream, sotto_attachment_plain_stream, G_TYPE_OUTPUT_STREAM)

static void
set_errno_error (GError **error,
                 int      saved_errno)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               _("Could not save the attachment: %s"), g_strerror (saved_errno));
}

static gssize
sotto_attachment_plain_stream_write_fn (GOutputStream  *stream,
                                        const void     *buffer,
                                        gsize           count,
                                        GCancellable   *cancellable,
                                        GError        **error)
{
  SottoAttachmentPlainStream *self = SOTTO_ATTACHMENT_PLAIN_STREAM (stream);
  gssize written;

  do
    written = write (self->fd, buffer, MIN (count, G_MAXSSIZE));
  while (written < 0 && errno == EINTR);

  if (written < 0)
    {
      set_errno_error (error, errno);
      return -1;
    }

  gcry_md_write (self->hash, buffer, (gsize) written);
  return written;
}

static gboolean
sotto_attachment_plain_stream_close_fn (GOutputStream  *stream,
                                        GCancellable   *cancellable,
                                        GError        **error)
{
  SottoAttachmentPlainStream *self = SOTTO_ATTACHMENT_PLAIN_STREAM (stream);
  int fd = self->fd;

  self->fd = -1;
  if (fd >= 0 && close (fd) != 0)
    {
      set_errno_error (error, errno);
      return FALSE;
    }

  return TRUE;
}

static void
sotto_attachment_plain_stream_finalize (GObject *object)
{
  SottoAttachmentPlainStream *self = SOTTO_ATTACHMENT_PLAIN_STREAM (object);

  if (self->fd >= 0)
    close (self->fd);
  if (self->part_name != NULL && !self->published)
    unlinkat (self->dir_fd, self->part_name, 0);
  if (self->dir_fd >= 0)
    close (self->dir_fd);
  if (self->hash != NULL)
    gcry_md_close (self->hash);
  g_free (self->part_name);
  g_clear_object (&self->dir);

  G_OBJECT_CLASS (sotto_attachment_plain_stream_parent_class)->finalize (object);
}

static void
sotto_attachment_plain_stream_class_init (SottoAttachmentPlainStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GOutputStreamClass *stream_class = G_OUTPUT_STREAM_CLASS (klass);

  object_class->finalize = sotto_attachment_plain_stream_finalize;
  stream_class->write_fn = sotto_attachment_plain_stream_write_fn;
  stream_class->close_fn = sotto_attachment_plain_stream_close_fn;
}

static void
sotto_attachment_plain_stream_init (SottoAttachmentPlainStream *self)
{
  self->dir_fd = -1;
  self->fd = -1;
}

static gboolean
is_part_name (const char *name)
{
  return g_str_has_prefix (name, PART_PREFIX) && g_str_has_suffix (name, PART_SUFFIX);
}

/* Removes the part files in the folder that no live stream holds: what
 * a process that died while it decrypted left behind.  Only regular
 * files of this user with a part file's name go; a link is not followed. */
static void
sweep_parts (int dir_fd)
{
  int list_fd = dup (dir_fd);
  DIR *dir = list_fd >= 0 ? fdopendir (list_fd) : NULL;
  struct dirent *entry;
  guint n_entries = 0;

  if (dir == NULL)
    {
      if (list_fd >= 0)
        close (list_fd);
      return;
    }

  while (n_entries++ < SWEEP_MAX_ENTRIES && (entry = readdir (dir)) != NULL)
    {
      struct stat st;
      int fd;

      if (!is_part_name (entry->d_name))
        continue;
      fd = openat (dir_fd, entry->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
      if (fd < 0)
        continue;
      if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && st.st_uid == geteuid ()
          && flock (fd, LOCK_EX | LOCK_NB) == 0)
        unlinkat (dir_fd, entry->d_name, 0);
      close (fd);
    }
  closedir (dir);
}

void
sotto_attachment_plain_stream_sweep (GFile *dir)
{
  const char *path;
  int dir_fd;

  g_return_if_fail (G_IS_FILE (dir));

  path = g_file_peek_path (dir);
  dir_fd = path != NULL ? open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
  if (dir_fd < 0)
    return;

  sweep_parts (dir_fd);
  close (dir_fd);
}

/* The hidden, locked part file of a file system without unnamed files. */
static gboolean
open_part (SottoAttachmentPlainStream  *self,
           GError                     **error)
{
  guint8 random[8];
  char hex[2 * sizeof random + 1];

  randombytes_buf (random, sizeof random);
  self->part_name = g_strconcat (PART_PREFIX, sodium_bin2hex (hex, sizeof hex, random, sizeof random),
                                 PART_SUFFIX, NULL);
  self->fd = openat (self->dir_fd, self->part_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (self->fd < 0)
    {
      set_errno_error (error, errno);
      g_clear_pointer (&self->part_name, g_free);
      return FALSE;
    }
  /* Finalizing removes the part if this fails. */
  if (flock (self->fd, LOCK_EX) != 0)
    {
      set_errno_error (error, errno);
      return FALSE;
    }

  return TRUE;
}

SottoAttachmentPlainStream *
sotto_attachment_plain_stream_new (GFile   *dir,
                                   GError **error)
{
  g_autoptr(SottoAttachmentPlainStream) self = NULL;
  const char *path;

  g_return_val_if_fail (G_IS_FILE (dir), NULL);

  path = g_file_peek_path (dir);
  if (path == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("The download folder is not a local folder"));
      return NULL;
    }

  _sotto_engine_init_crypto ();
  self = g_object_new (SOTTO_TYPE_ATTACHMENT_PLAIN_STREAM, NULL);
  self->dir = g_object_ref (dir);

  /* libgcrypt's SHA-256, as the cipher's own, uses the processor's SHA
   * instructions where libsodium's does not. */
  if (gcry_md_open (&self->hash, GCRY_MD_SHA256, 0) != 0)
    {
      _sotto_set_error_from_sp (error, SP_ERR_CRYPTO, _("Could not decrypt the attachment"));
      return NULL;
    }

  self->dir_fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (self->dir_fd < 0)
    {
      set_errno_error (error, errno);
      return NULL;
    }

  sweep_parts (self->dir_fd);
  self->fd = openat (self->dir_fd, ".", O_WRONLY | O_TMPFILE | O_CLOEXEC, 0600);
  if (self->fd < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
    {
      set_errno_error (error, errno);
      return NULL;
    }
  if (self->fd < 0 && !open_part (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

/* Links the file to @candidate in its folder; FALSE with errno set when
 * it cannot, EEXIST when the name is taken. */
static gboolean
link_as (SottoAttachmentPlainStream *self,
         const char                 *candidate)
{
  char proc_path[64];

  if (self->part_name != NULL)
    return linkat (self->dir_fd, self->part_name, self->dir_fd, candidate, 0) == 0;

  /* An unnamed file is linked through its descriptor; AT_EMPTY_PATH
   * would need a capability that users do not have. */
  g_snprintf (proc_path, sizeof proc_path, "/proc/self/fd/%d", self->fd);
  return linkat (AT_FDCWD, proc_path, self->dir_fd, candidate, AT_SYMLINK_FOLLOW) == 0;
}

/* Gives the file its name for good: link() refuses a name that exists,
 * so no file is ever replaced, not even one that appeared a moment ago. */
static char *
link_named (SottoAttachmentPlainStream  *self,
            const char                  *name,
            GError                     **error)
{
  g_autofree char *safe = sotto_attachment_file_safe_name (name);
  const char *dot = strrchr (safe, '.');
  g_autofree char *stem = g_strndup (safe, dot != NULL && dot != safe ? (gsize) (dot - safe) : strlen (safe));
  const char *extension = dot != NULL && dot != safe ? dot : "";

  for (guint suffix = 0; suffix <= MAX_NAME_SUFFIX; suffix++)
    {
      g_autofree char *candidate = suffix == 0 ? g_strdup (safe)
                                               : g_strdup_printf ("%s (%u)%s", stem, suffix, extension);

      if (link_as (self, candidate))
        return g_steal_pointer (&candidate);
      if (errno != EEXIST)
        {
          set_errno_error (error, errno);
          return NULL;
        }
    }

  g_set_error_literal (error, SOTTO_ATTACHMENT_FILE_ERROR, SOTTO_ATTACHMENT_FILE_ERROR_NO_NAME,
                       _("Could not find a free name for the attachment"));
  return NULL;
}

GFile *
sotto_attachment_plain_stream_publish (SottoAttachmentPlainStream  *self,
                                       const char                  *name,
                                       char                       **sha256_hex,
                                       GCancellable                *cancellable,
                                       GError                     **error)
{
  g_autofree char *named = NULL;
  char hex[2 * 32 + 1];

  g_return_val_if_fail (SOTTO_IS_ATTACHMENT_PLAIN_STREAM (self), NULL);
  g_return_val_if_fail (sha256_hex != NULL, NULL);
  g_return_val_if_fail (self->fd >= 0 && !self->published, NULL);

  named = link_named (self, name, error);
  if (named == NULL)
    return NULL;
  if (!g_output_stream_close (G_OUTPUT_STREAM (self), cancellable, error))
    {
      unlinkat (self->dir_fd, named, 0);
      return NULL;
    }

  self->published = TRUE;
  if (self->part_name != NULL)
    unlinkat (self->dir_fd, self->part_name, 0);
  *sha256_hex = g_strdup (sodium_bin2hex (hex, sizeof hex, gcry_md_read (self->hash, GCRY_MD_SHA256), 32));

  return g_file_get_child (self->dir, named);
}
