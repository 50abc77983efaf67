/* bench-party.c: a local relay and accounts on it, for the benchmarks
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <sodium.h>

#include "dev-util.h"
#include "sotto-store-private.h"

#include "bench-party.h"

/* Unlocking is not what is measured: Argon2id runs at its minimum cost. */
static const SottoStoreKdfLimits kdf_limits = {
  crypto_pwhash_OPSLIMIT_MIN,
  crypto_pwhash_MEMLIMIT_MIN,
};

/* What is measured is the engine and the relay's storage, not its
 * limits: a burst would otherwise meet the per-pair send rate and the
 * sender's share of the recipient's queue, and a group's hundred
 * accounts the registrations allowed from one address. */
static const char relay_conf[] =
  "[rate-limits]\n"
  "address-requests=100000/100000\n"
  "address-registrations=100000/100000\n"
  "account-sends=100000/100000\n"
  "account-lookups=100000/100000\n"
  "account-bundles=100000/100000\n"
  "account-password-checks=100000/100000\n"
  "pair-sends=100000/100000\n"
  "[limits]\n"
  "max-queue-envelopes=100000\n"
  "max-queue-envelopes-per-sender=100000\n";

void
bench_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

void
bench_wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

GSubprocess *
bench_start_relay (const char  *binary,
                   const char  *data_dir,
                   char       **url)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *conf = g_build_filename (data_dir, "relay.conf", NULL);
  g_autofree char *line = NULL;
  GSubprocess *relay;

  if (!g_file_set_contents (conf, relay_conf, -1, &error))
    g_error ("%s", error->message);

  g_subprocess_launcher_set_child_setup (launcher, dev_die_with_parent, NULL, NULL);
  relay = g_subprocess_launcher_spawn (launcher, &error, binary,
                                       "--listen", "127.0.0.1:0", "--data-dir", data_dir, NULL);
  if (relay == NULL)
    g_error ("Could not start %s: %s", binary, error->message);

  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (relay));
  line = g_data_input_stream_read_line (lines, NULL, NULL, &error);
  if (line == NULL || !g_str_has_prefix (line, "sotto-relay listening on "))
    g_error ("The relay did not start");

  *url = g_strconcat ("http://", line + strlen ("sotto-relay listening on "), NULL);

  return relay;
}

void
bench_party_register (BenchParty *party,
                      const char *root,
                      const char *name,
                      const char *url)
{
  g_autofree char *path = g_build_filename (root, name, NULL);
  g_autoptr(GFile) directory = g_file_new_for_path (path);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  party->store = _sotto_store_open_sync (directory, BENCH_PASSPHRASE, &kdf_limits, NULL, &error);
  if (party->store == NULL)
    g_error ("%s", error->message);

  sotto_messenger_register_async (party->store, url, name, NULL, NULL, NULL, bench_result_cb, &result);
  bench_wait_for (&result);
  party->messenger = sotto_messenger_register_finish (result, &error);
  if (party->messenger == NULL)
    g_error ("%s", error->message);

  sotto_messenger_start (party->messenger);
}

void
bench_party_close (BenchParty *party)
{
  g_autoptr(GAsyncResult) result = NULL;

  sotto_messenger_stop (party->messenger);
  g_clear_object (&party->messenger);
  sotto_store_close_async (party->store, NULL, bench_result_cb, &result);
  bench_wait_for (&result);
  g_clear_object (&party->store);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Orders samples (doubles) from the smallest. */
int
bench_compare_doubles (gconstpointer a,
                       gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return x < y ? -1 : x > y;
}
