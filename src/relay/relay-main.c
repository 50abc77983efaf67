/* relay-main.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <sodium.h>

#include "relay-config.h"
#include "relay-server.h"
#include "relay-storage.h"
#include "relay-tls.h"

static gboolean
parse_options (int           argc,
               char        **argv,
               RelayConfig  *config,
               GError      **error)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *registration = NULL;
  g_autofree char *conf_path = NULL;
  GOptionEntry entries[] = {
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen,
      "Address and port to listen on, e.g. 127.0.0.1:8443 or [::]:443 (port 0 picks a free port)",
      "ADDR:PORT" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir,
      "Directory for relay.db and the optional relay.conf", "DIR" },
    { "tls-certificate", 0, 0, G_OPTION_ARG_FILENAME, &config->tls_certificate,
      "PEM certificate chain; serves HTTPS and WSS", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &config->tls_key,
      "PEM private key of the certificate", "FILE" },
    { "registration", 0, 0, G_OPTION_ARG_STRING, &registration,
      "Who may register: “open” (the default) or “token:SECRET”", "open|token:SECRET" },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("- Sotto relay server");
  g_option_context_set_summary (context,
                                "Stores and forwards end-to-end encrypted envelopes for Sotto clients.\n"
                                "Prints one line on standard output once it is ready, and drains\n"
                                "and exits on SIGTERM or SIGINT.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, error))
    return FALSE;
  if (argc > 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "Unexpected argument “%s”", argv[1]);
      return FALSE;
    }
  if (listen == NULL || data_dir == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   "--listen and --data-dir are required (see --help)");
      return FALSE;
    }
  if ((config->tls_certificate == NULL) != (config->tls_key == NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   "--tls-certificate and --tls-key go together");
      return FALSE;
    }
  if (!relay_config_set_listen (config, listen, error))
    return FALSE;
  if (registration != NULL && !relay_config_set_registration (config, registration, error))
    return FALSE;
  if (g_mkdir_with_parents (data_dir, 0700) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "Cannot create the data directory %s", data_dir);
      return FALSE;
    }
  config->data_dir = g_steal_pointer (&data_dir);
  conf_path = g_build_filename (config->data_dir, "relay.conf", NULL);
  if (g_file_test (conf_path, G_FILE_TEST_EXISTS) &&
      !relay_config_load_file (config, conf_path, error))
    return FALSE;
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(RelayConfig) config = relay_config_new ();
  g_autoptr(RelayServer) server = NULL;
  g_autoptr(GError) error = NULL;
  RelayStorage *storage;
  int status;

  setlocale (LC_ALL, "");
  /* A peer that vanishes mid-write must not kill the relay. */
  signal (SIGPIPE, SIG_IGN);

  if (sodium_init () < 0)
    {
      g_printerr ("sotto-relay: libsodium failed to initialise\n");
      return 1;
    }
  if (!parse_options (argc, argv, config, &error))
    {
      g_printerr ("sotto-relay: %s\n", error->message);
      return 2;
    }
  /* A certificate that cannot serve stops the relay before it touches
   * its storage, and before it prints that it is ready. */
  if (config->tls_certificate != NULL &&
      !relay_tls_check_files (config->tls_certificate, config->tls_key, &error))
    {
      g_printerr ("sotto-relay: %s\n", error->message);
      return 1;
    }
  storage = relay_storage_sqlite_open (config->data_dir, config->max_database_bytes, &error);
  if (storage == NULL)
    {
      g_printerr ("sotto-relay: %s\n", error->message);
      return 1;
    }
  server = relay_server_new (g_steal_pointer (&config), storage, &error);
  if (server == NULL)
    {
      g_printerr ("sotto-relay: %s\n", error->message);
      return 1;
    }
  status = relay_server_run (server);
  return status;
}
