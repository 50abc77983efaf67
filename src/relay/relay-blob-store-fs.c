/* relay-blob-store-fs.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Blobs as files: DATA_DIR/blobs/ID/ holds `meta` (relay_blob_meta_format()
 * text) and the bytes, in `partial` while the upload goes on and in
 * `data` once committed.  A blob is made in DATA_DIR/blobs/.new-ID/ and
 * renamed into place, so that a crash leaves either all of it or a
 * leftover the next scan clears away; it is committed by renaming
 * `partial` to `data` once its bytes are durable, so a reader never
 * sees part of a blob.  Every file is 0600 and every directory 0700.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "relay-blob-store.h"

#define NEW_PREFIX        ".new-"
/* A .new- directory this old belongs to no create under way. */
#define LEFTOVER_AGE_S    3600

typedef struct
{
  RelayBlobStore  parent;
  char           *dir;
} FsStore;

struct _RelayBlobHandle
{
  int      fd;
  char    *blob_dir;
  guint64  position;   /* where the next append goes */
};

static RelayBlobStatus
status_from_errno (int error)
{
  if (error == ENOENT)
    return RELAY_BLOB_NOT_FOUND;
  if (error == ENOSPC || error == EDQUOT)
    return RELAY_BLOB_NO_SPACE;
  return RELAY_BLOB_FAILED;
}

static RelayBlobStatus
sync_dir (const char *path)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int error;

  if (fd < 0)
    return status_from_errno (errno);
  error = fsync (fd) == 0 ? 0 : errno;
  close (fd);
  return error == 0 ? RELAY_BLOB_OK : status_from_errno (error);
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         length,
           off_t         offset)
{
  while (length > 0)
    {
      ssize_t n = pwrite (fd, data, length, offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (n == 0)
            errno = EIO;
          return FALSE;
        }
      data += n;
      length -= (gsize) n;
      offset += n;
    }
  return TRUE;
}

/* Writes a new file durably. */
static RelayBlobStatus
write_file (const char   *path,
            const guint8 *data,
            gsize         length)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  int error = 0;

  if (fd < 0)
    return status_from_errno (errno);
  if (!write_all (fd, data, length, 0) || fsync (fd) != 0)
    error = errno;
  close (fd);
  return error == 0 ? RELAY_BLOB_OK : status_from_errno (error);
}

/* Removes a blob's directory and what it holds; a missing file is no
 * fault, as a removal that a crash cut short leaves some.  `partial`
 * goes before `data`: a commit that renames one to the other meanwhile
 * then either finds no `partial` or leaves a `data` that is removed
 * next, where the other order could leave a `data` behind without its
 * `meta`, which no scan would ever see again. */
static RelayBlobStatus
remove_blob_dir (const char *path)
{
  static const char * const names[] = { "partial", "data", "meta" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *file = g_build_filename (path, names[i], NULL);

      if (g_unlink (file) != 0 && errno != ENOENT)
        return status_from_errno (errno);
    }
  if (g_rmdir (path) != 0 && errno != ENOENT)
    return status_from_errno (errno);
  return RELAY_BLOB_OK;
}

static RelayBlobStatus
fs_create (RelayBlobStore      *store,
           const char          *id,
           const RelayBlobMeta *meta,
           guint64              quota)
{
  FsStore *self = (FsStore *) store;
  g_autofree char *name = g_strconcat (NEW_PREFIX, id, NULL);
  g_autofree char *staging = g_build_filename (self->dir, name, NULL);
  g_autofree char *meta_path = g_build_filename (staging, "meta", NULL);
  g_autofree char *partial_path = g_build_filename (staging, "partial", NULL);
  g_autofree char *final = g_build_filename (self->dir, id, NULL);
  char text[RELAY_BLOB_META_MAX + 1];
  gsize length = relay_blob_meta_format (meta, text, sizeof text);
  RelayBlobStatus status;

  g_assert (length > 0);
  if (g_mkdir_with_parents (self->dir, 0700) != 0 || g_mkdir (staging, 0700) != 0)
    return status_from_errno (errno);
  if ((status = write_file (meta_path, (const guint8 *) text, length)) != RELAY_BLOB_OK ||
      (status = write_file (partial_path, NULL, 0)) != RELAY_BLOB_OK ||
      (status = sync_dir (staging)) != RELAY_BLOB_OK)
    {
      remove_blob_dir (staging);
      return status;
    }
  if (g_rename (staging, final) != 0)
    {
      status = status_from_errno (errno);
      remove_blob_dir (staging);
      return status == RELAY_BLOB_NOT_FOUND ? RELAY_BLOB_FAILED : status;
    }
  return sync_dir (self->dir);
}

static RelayBlobStatus
read_meta (RelayBlobStore *store,
           const char     *blob_dir,
           RelayBlobMeta  *meta)
{
  g_autofree char *path = g_build_filename (blob_dir, "meta", NULL);
  char text[RELAY_BLOB_META_MAX + 1];
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  ssize_t n;

  if (fd < 0)
    return status_from_errno (errno);
  n = read (fd, text, sizeof text);
  close (fd);
  if (n < 0)
    return RELAY_BLOB_FAILED;
  if (!relay_blob_meta_parse (text, (gsize) n, meta))
    {
      relay_blob_store_warn (store, "%s is not a blob's metadata", path);
      return RELAY_BLOB_FAILED;
    }
  return RELAY_BLOB_OK;
}

/* Fills in what is stored of the blob in `blob_dir`, and opens its
 * bytes with `flags` when `fd` is not NULL: its data once committed,
 * else its partial upload. */
static RelayBlobStatus
inspect (RelayBlobStore *store,
         const char     *blob_dir,
         RelayBlobInfo  *info,
         int             flags,
         int            *fd)
{
  static const char * const names[] = { "data", "partial" };
  RelayBlobStatus status = read_meta (store, blob_dir, &info->meta);

  if (status != RELAY_BLOB_OK)
    return status;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (blob_dir, names[i], NULL);
      struct stat st;

      if (stat (path, &st) != 0)
        {
          if (errno == ENOENT)
            continue;
          return status_from_errno (errno);
        }
      info->complete = i == 0;
      info->stored = (guint64) st.st_size;
      /* More bytes than the upload declared means a damaged blob. */
      if (info->stored > info->meta.size || (info->complete && info->stored != info->meta.size))
        {
          relay_blob_store_warn (store, "%s holds %" G_GUINT64_FORMAT " bytes of a blob of %" G_GUINT64_FORMAT,
                                 path, info->stored, info->meta.size);
          return RELAY_BLOB_FAILED;
        }
      if (fd != NULL && (*fd = open (path, flags | O_CLOEXEC)) < 0)
        return status_from_errno (errno);
      return RELAY_BLOB_OK;
    }
  /* A removal cut short: only the metadata is left. */
  return RELAY_BLOB_NOT_FOUND;
}

static RelayBlobStatus
fs_stat (RelayBlobStore *store,
         const char     *id,
         const char     *owner,
         RelayBlobInfo  *info)
{
  FsStore *self = (FsStore *) store;
  g_autofree char *blob_dir = g_build_filename (self->dir, id, NULL);

  memset (info, 0, sizeof *info);
  g_strlcpy (info->id, id, sizeof info->id);
  return inspect (store, blob_dir, info, 0, NULL);
}

static const RelayBlobStoreClass fs_class;

/* Opens the bytes of a committed blob (`complete`) or of an upload,
 * with `flags`; the other kind gives OK without a handle, or
 * NOT_FOUND for a committed blob to read.  So does a blob that is not
 * `owner`'s, when there is one. */
static RelayBlobStatus
open_handle (RelayBlobStore   *store,
             const char       *id,
             const char       *owner,
             int               flags,
             gboolean          complete,
             RelayBlobInfo    *info,
             RelayBlobHandle **handle)
{
  FsStore *self = (FsStore *) store;
  g_autofree char *blob_dir = g_build_filename (self->dir, id, NULL);
  RelayBlobStatus status;
  int fd = -1;

  *handle = NULL;
  memset (info, 0, sizeof *info);
  g_strlcpy (info->id, id, sizeof info->id);
  status = inspect (store, blob_dir, info, flags, &fd);
  if (status != RELAY_BLOB_OK)
    return status;
  if (owner != NULL && strcmp (info->meta.owner, owner) != 0)
    {
      close (fd);
      return RELAY_BLOB_NOT_FOUND;
    }
  if (info->complete != complete)
    {
      close (fd);
      return complete ? RELAY_BLOB_NOT_FOUND : RELAY_BLOB_OK;
    }
  *handle = g_new0 (RelayBlobHandle, 1);
  (*handle)->fd = fd;
  (*handle)->blob_dir = g_steal_pointer (&blob_dir);
  (*handle)->position = info->stored;
  return RELAY_BLOB_OK;
}

/* A committed blob takes no more bytes; an upload cannot be read. */
static RelayBlobStatus
fs_open (RelayBlobStore   *store,
         const char       *id,
         const char       *owner,
         gboolean          append,
         RelayBlobInfo    *info,
         RelayBlobHandle **handle)
{
  return open_handle (store, id, owner, append ? O_WRONLY : O_RDONLY, !append, info, handle);
}

/* For sotto-relay migrate, which carries what an upload not yet
 * complete has stored: its bytes to read, as a blob's are read.  OK
 * without a handle when the blob is committed. */
RelayBlobStatus
relay_blob_store_fs_open_partial (RelayBlobStore   *store,
                                  const char       *id,
                                  RelayBlobInfo    *info,
                                  RelayBlobHandle **handle)
{
  g_assert (store->klass == &fs_class);
  return open_handle (store, id, NULL, O_RDONLY, FALSE, info, handle);
}

static RelayBlobStatus
fs_append (RelayBlobStore  *store,
           RelayBlobHandle *handle,
           const guint8    *data,
           gsize            length)
{
  if (!write_all (handle->fd, data, length, (off_t) handle->position))
    return status_from_errno (errno) == RELAY_BLOB_NO_SPACE ? RELAY_BLOB_NO_SPACE : RELAY_BLOB_FAILED;
  handle->position += length;
  return RELAY_BLOB_OK;
}

static RelayBlobStatus
fs_sync (RelayBlobStore  *store,
         RelayBlobHandle *handle)
{
  return fdatasync (handle->fd) == 0 ? RELAY_BLOB_OK : RELAY_BLOB_FAILED;
}

static RelayBlobStatus
fs_commit (RelayBlobStore  *store,
           RelayBlobHandle *handle)
{
  g_autofree char *partial = g_build_filename (handle->blob_dir, "partial", NULL);
  g_autofree char *data = g_build_filename (handle->blob_dir, "data", NULL);

  if (fdatasync (handle->fd) != 0)
    return RELAY_BLOB_FAILED;
  /* A sweep may have removed the blob as it expired meanwhile. */
  if (g_rename (partial, data) != 0)
    return status_from_errno (errno);
  return sync_dir (handle->blob_dir);
}

static RelayBlobStatus
fs_read (RelayBlobStore  *store,
         RelayBlobHandle *handle,
         guint64          offset,
         guint8          *data,
         gsize            length)
{
  while (length > 0)
    {
      ssize_t n = pread (handle->fd, data, length, (off_t) offset);

      if (n < 0 && errno == EINTR)
        continue;
      /* The file is shorter than its metadata says. */
      if (n <= 0)
        return RELAY_BLOB_FAILED;
      data += n;
      length -= (gsize) n;
      offset += (guint64) n;
    }
  return RELAY_BLOB_OK;
}

static void
fs_close (RelayBlobStore  *store,
          RelayBlobHandle *handle)
{
  close (handle->fd);
  g_free (handle->blob_dir);
  g_free (handle);
}

/* Clears away a .new- directory an interrupted create left behind. */
static void
clear_leftover (const char *path)
{
  struct stat st;

  if (stat (path, &st) == 0 && st.st_mtime < time (NULL) - LEFTOVER_AGE_S)
    remove_blob_dir (path);
}

static RelayBlobStatus
fs_scan (RelayBlobStore     *store,
         RelayBlobVisitFunc  visit,
         gpointer            user_data)
{
  FsStore *self = (FsStore *) store;
  g_autoptr(GDir) dir = NULL;
  const char *name;

  /* The directory is made with the first blob. */
  if (!g_file_test (self->dir, G_FILE_TEST_EXISTS))
    return RELAY_BLOB_OK;
  dir = g_dir_open (self->dir, 0, NULL);
  if (dir == NULL)
    return RELAY_BLOB_FAILED;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (self->dir, name, NULL);
      RelayBlobInfo info = { 0 };

      if (g_str_has_prefix (name, NEW_PREFIX))
        {
          clear_leftover (path);
          continue;
        }
      if (!relay_blob_id_is_valid (name, strlen (name)))
        continue;
      g_strlcpy (info.id, name, sizeof info.id);
      if (inspect (store, path, &info, 0, NULL) == RELAY_BLOB_OK)
        visit (&info, user_data);
    }
  return RELAY_BLOB_OK;
}

static RelayBlobStatus
fs_remove (RelayBlobStore *store,
           const char     *id)
{
  FsStore *self = (FsStore *) store;
  g_autofree char *path = g_build_filename (self->dir, id, NULL);

  return remove_blob_dir (path);
}

static void
fs_free (RelayBlobStore *store)
{
  FsStore *self = (FsStore *) store;

  g_free (self->dir);
  g_free (self);
}

static const RelayBlobStoreClass fs_class = {
  FALSE, fs_create, fs_stat, fs_open, fs_append, fs_sync, fs_commit, fs_read, fs_close, fs_scan, fs_remove, NULL,
  fs_free,
};

/* A store in `dir`, which is made with the first blob: a relay that
 * never stores one leaves no trace of them. */
RelayBlobStore *
relay_blob_store_new_filesystem (const char *dir)
{
  FsStore *self = g_new0 (FsStore, 1);

  relay_blob_store_init (&self->parent, &fs_class);
  self->dir = g_strdup (dir);
  return &self->parent;
}
