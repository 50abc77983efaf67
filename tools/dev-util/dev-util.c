/* dev-util.c: what the tests and the benchmarks share
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <signal.h>
#include <string.h>
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

/* The attachment benchmarks' relay: blobs of up to 1 GiB, 16 GiB of
 * them an account, DEV_BLOB_BENCH_PARALLEL transfers of one account at
 * once, and no rate limit in the way. */
const char dev_blob_bench_conf[] =
  "[limits]\nmax-blob-bytes=1073741824\nblob-quota-bytes=17179869184\n"
  "blob-streams-per-account=" G_STRINGIFY (DEV_BLOB_BENCH_PARALLEL) "\n"
  "[rate-limits]\naddress-requests=100000/100000\n"
  "address-registrations=100000/100000\n";

/* Starts @binary, a sotto-relay, on 127.0.0.1 and a port of its own
 * choosing, in a new data directory under $TMPDIR (*@data_dir, which the
 * caller removes) holding @conf as its relay.conf; *@port is where it
 * listens once it said so.  For the benchmarks, which abort on any
 * failure. */
GSubprocess *
dev_start_relay (const char  *binary,
                 const char  *conf,
                 char       **data_dir,
                 guint16     *port)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                                                       | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *conf_path = NULL;
  g_autofree char *dir_arg = NULL;
  g_autofree char *line = NULL;
  GSubprocess *process;
  const char *colon;

  *data_dir = g_dir_make_tmp ("sotto-relay-bench-XXXXXX", &error);
  if (*data_dir == NULL)
    g_error ("Cannot make the relay's data directory: %s", error->message);
  conf_path = g_build_filename (*data_dir, "relay.conf", NULL);
  if (!g_file_set_contents (conf_path, conf, -1, &error))
    g_error ("Cannot write the relay's configuration: %s", error->message);
  dir_arg = g_strconcat ("--data-dir=", *data_dir, NULL);

  g_subprocess_launcher_set_child_setup (launcher, dev_die_with_parent, NULL, NULL);
  process = g_subprocess_launcher_spawn (launcher, &error, binary, "--listen=127.0.0.1:0", dir_arg, NULL);
  if (process == NULL)
    g_error ("Cannot start %s: %s", binary, error->message);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  if (line == NULL || (colon = strrchr (line, ':')) == NULL)
    g_error ("The relay did not start");
  *port = (guint16) g_ascii_strtoull (colon + 1, NULL, 10);

  return process;
}

/* The resident memory of a running @process, in bytes; 0 once it is
 * gone. */
guint64
dev_resident_bytes (GSubprocess *process)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", g_subprocess_get_identifier (process));
  g_autofree char *status = NULL;
  const char *field;

  if (!g_file_get_contents (path, &status, NULL, NULL) || (field = strstr (status, "VmRSS:")) == NULL)
    return 0;

  return g_ascii_strtoull (field + strlen ("VmRSS:"), NULL, 10) * 1024;
}
