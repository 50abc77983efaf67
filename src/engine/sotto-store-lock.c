/* sotto-store-lock.c: one process per profile
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "sotto-store-private.h"

/* Two processes with one profile open would both take envelopes from the
 * relay and each store only what it took, so that messages would reach
 * one of them only.  Whoever opens the store therefore holds an
 * exclusive flock() on a file in the profile for as long as the store is
 * open; the kernel drops it when the process ends, however it ends.  The
 * holder writes its process id and program name into the file, so that
 * the next one can say who has the profile.  The descriptor is not
 * inherited by child processes, which would otherwise keep the lock. */

/* What the lock file holds: "PID\nPROGRAM\n", well under this. */
#define LOCK_INFO_MAX 256

/* A store of this very process that still holds the lock is closing:
 * its last queued jobs finish before it lets go (an app's window closed
 * and another opened).  It is waited for this long, in steps of
 * LOCK_RETRY_MS, on the opening thread. */
#define LOCK_WAIT_MS 5000
#define LOCK_RETRY_MS 50

/* Reads who holds the lock; *pid is 0 and *program NULL when the file
 * does not say (the holder may not have written it yet). */
static void
read_holder (int     fd,
             gint64 *pid,
             char  **program)
{
  char buffer[LOCK_INFO_MAX + 1];
  g_auto(GStrv) lines = NULL;
  ssize_t len;

  *pid = 0;
  *program = NULL;

  len = pread (fd, buffer, LOCK_INFO_MAX, 0);
  if (len <= 0)
    return;
  buffer[len] = '\0';

  lines = g_strsplit (buffer, "\n", 3);
  if (lines[0] == NULL || lines[1] == NULL
      || !g_ascii_string_to_signed (lines[0], 10, 1, G_MAXINT32, pid, NULL))
    {
      *pid = 0;
      return;
    }

  if (lines[1][0] != '\0' && g_utf8_validate (lines[1], -1, NULL))
    *program = g_strdup (lines[1]);
}

static void
write_holder (int fd)
{
  g_autofree char *info = g_strdup_printf ("%d\n%s\n", (int) getpid (),
                                           g_get_prgname () != NULL ? g_get_prgname () : "");
  gsize len = MIN (strlen (info), LOCK_INFO_MAX);

  /* Only a courtesy for the next process's message: a failure to write
   * it leaves the lock itself in force. */
  if (ftruncate (fd, 0) != 0 || pwrite (fd, info, len, 0) != (ssize_t) len)
    g_debug ("Could not note this process in the profile's lock file: %s", g_strerror (errno));
}

/* Takes the profile's lock.  Returns the lock file's descriptor, to keep
 * open for as long as the store is, or -1 with @error set; an error of
 * %SOTTO_STORE_ERROR_IN_USE says which process has the profile. */
int
_sotto_store_lock_profile (const char  *profile,
                           GError     **error)
{
  g_autofree char *path = g_build_filename (profile, SOTTO_STORE_LOCK_NAME, NULL);
  g_autofree char *program = NULL;
  gint64 pid;
  int lock_errno = 0;
  int fd;

  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not open the lock file %s: %s"), path, g_strerror (errsv));
      return -1;
    }

  for (guint waited = 0; ; waited += LOCK_RETRY_MS)
    {
      if (flock (fd, LOCK_EX | LOCK_NB) == 0)
        {
          write_holder (fd);
          return fd;
        }

      lock_errno = errno;
      if (lock_errno != EWOULDBLOCK)
        break;

      read_holder (fd, &pid, &program);
      g_clear_pointer (&program, g_free);
      if (pid != getpid () || waited >= LOCK_WAIT_MS)
        break;

      g_usleep (LOCK_RETRY_MS * 1000);
    }

  if (lock_errno != EWOULDBLOCK)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (lock_errno),
                   _("Could not lock the profile %s: %s"), profile, g_strerror (lock_errno));
      g_close (fd, NULL);
      return -1;
    }

  read_holder (fd, &pid, &program);
  g_close (fd, NULL);

  if (pid != 0)
    {
      /* A format macro inside _() would cut the message short for
       * translators; the number is text by then. */
      g_autofree char *pid_text = g_strdup_printf ("%" G_GINT64_FORMAT, pid);

      g_set_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_IN_USE,
                   _("The profile %s is open in %s (process %s). "
                     "A profile can be used by one program at a time: close it there, then try again."),
                   profile, program != NULL ? program : _("another program"), pid_text);
    }
  else
    g_set_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_IN_USE,
                 _("The profile %s is open in another program. "
                   "A profile can be used by one program at a time: close it there, then try again."),
                 profile);

  return -1;
}

/* Gives the lock up; @fd is what _sotto_store_lock_profile() returned. */
void
_sotto_store_unlock_profile (int fd)
{
  if (fd < 0)
    return;

  /* The next holder writes its own line; this one leaves none behind. */
  if (ftruncate (fd, 0) != 0)
    g_debug ("Could not clear the profile's lock file: %s", g_strerror (errno));
  g_close (fd, NULL);
}
