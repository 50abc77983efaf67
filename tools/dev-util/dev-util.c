/* dev-util.c: what the tests and the benchmarks share
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <sys/prctl.h>

#include <glib/gstdio.h>

#include "dev-util.h"

/* Removes @path and everything below it.  A symbolic link is removed,
 * never followed, so that nothing outside @path is touched; what cannot
 * be removed is left, for a test or a benchmark only cleans up after
 * itself. */
void
dev_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        dev_remove_tree (child);
      else
        g_unlink (child);
    }

  g_rmdir (path);
}

/* A child-setup function (GSpawnChildSetupFunc) for the processes a test
 * or a benchmark starts, such as relays: killed when their parent dies,
 * so that one that aborts leaves none behind to hold its output pipes
 * open and stall whatever waits for them. */
void
dev_die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}
