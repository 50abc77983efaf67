/* relay-lock.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One relay per data directory.  Two relays on one database would each
 * number envelopes and count queues for itself, and the second one's
 * writes would make the first one's fail; so the relay takes a lock on
 * DATA_DIR/relay.lock and holds it until it exits.  The kernel drops
 * the lock with the process, however it ends, so a crash never leaves a
 * stale lock behind.  sotto-relay admin does not take it: it works on a
 * running relay's database through SQLite's own locking.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "relay-lock.h"

/* Returns the descriptor that holds the lock, to be kept open for the
 * life of the process, or -1 with an error that names the process
 * holding the lock. */
int
relay_lock_data_dir (const char  *data_dir,
                     GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, "relay.lock", NULL);
  g_autofree char *pid = NULL;
  struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
  int fd;

  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot open %s: %s", path, g_strerror (saved_errno));
      return -1;
    }
  if (fcntl (fd, F_SETLK, &lock) != 0)
    {
      int saved_errno = errno;
      struct flock holder = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

      if ((saved_errno == EAGAIN || saved_errno == EACCES) &&
          fcntl (fd, F_GETLK, &holder) == 0 && holder.l_type != F_UNLCK)
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                     "The data directory %s is in use by another sotto-relay (process %d)",
                     data_dir, (int) holder.l_pid);
      else
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                     "Cannot lock %s: %s", path, g_strerror (saved_errno));
      close (fd);
      return -1;
    }
  /* The process id in the file is for people; the lock is what counts. */
  pid = g_strdup_printf ("%d\n", (int) getpid ());
  if (ftruncate (fd, 0) != 0 || write (fd, pid, strlen (pid)) != (gssize) strlen (pid))
    g_warning ("Cannot write the process id to %s: %s", path, g_strerror (errno));
  return fd;
}
