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
#include <string.h>
#include <sys/stat.h>

#include "relay-admin.h"
#include "relay-config.h"
#include "relay-lock.h"
#include "relay-migrate.h"
#include "relay-sealed-key.h"
#include "relay-server.h"
#include "relay-storage.h"
#include "relay-storage-postgresql.h"
#include "relay-tls.h"

typedef struct
{
  gboolean version;
  gboolean check_config;
} Actions;

static gboolean
parse_options (int           argc,
               char        **argv,
               RelayConfig  *config,
               Actions      *actions,
               GError      **error)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *data_dir = NULL;
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
    { "registration", 0, 0, G_OPTION_ARG_STRING, &config->registration_override,
      "Who may register: “open” (the default), “invite” (single-use invites from "
      "“sotto-relay admin invite create”), “token:SECRET”, or “token-file:PATH” (the secret "
      "in a file); SOTTO_RELAY_REGISTRATION is read when this is not given",
      "MODE" },
    { "database", 0, 0, G_OPTION_ARG_STRING, &config->database_override,
      "Keep the relay's state in this PostgreSQL database (postgresql://...), which several "
      "relays may share, instead of DIR/relay.db; overrides [database] url in relay.conf",
      "URL" },
    { "metrics-listen", 0, 0, G_OPTION_ARG_STRING, &config->metrics_override,
      "Serve Prometheus metrics at /metrics on this address and port only (off by default)",
      "ADDR:PORT" },
    { "check-config", 0, 0, G_OPTION_ARG_NONE, &actions->check_config,
      "Check DIR/relay.conf and the TLS files, then exit", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &actions->version,
      "Print the version and exit", NULL },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("- Sotto relay server");
  g_option_context_set_summary (context,
                                "Stores and forwards end-to-end encrypted envelopes for Sotto clients.\n"
                                "Prints one line on standard output once it is ready, drains\n"
                                "and exits on SIGTERM or SIGINT, and reloads its certificate,\n"
                                "rate limits, registration policy and sealed sender key on SIGHUP.\n"
                                "\n"
                                "“sotto-relay admin --help” lists the administration commands;\n"
                                "“sotto-relay migrate --help” tells how to move a relay to PostgreSQL;\n"
                                "“sotto-relay sealed-sender” makes and certifies sealed sender keys.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, error))
    return FALSE;
  if (argc > 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "Unexpected argument “%s”", argv[1]);
      return FALSE;
    }
  if (actions->version)
    return TRUE;
  if (data_dir == NULL || (listen == NULL && !actions->check_config))
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
  if (listen != NULL && !relay_config_set_listen (config, listen, error))
    return FALSE;
  if (config->registration_override == NULL && g_getenv ("SOTTO_RELAY_REGISTRATION") != NULL)
    config->registration_override = g_strdup (g_getenv ("SOTTO_RELAY_REGISTRATION"));
  config->data_dir = g_steal_pointer (&data_dir);
  return TRUE;
}

/* --check-config: every fault in relay.conf, one "relay.conf:LINE:
 * message" line each, then the TLS files. */
static int
check_config (RelayConfig *config)
{
  g_autoptr(RelaySealedKey) sealed_key = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  /* A mistyped data directory would otherwise pass: it has no relay.conf
   * to find faults in. */
  if (!g_file_test (config->data_dir, G_FILE_TEST_IS_DIR))
    {
      g_printerr ("sotto-relay: the data directory %s does not exist\n", config->data_dir);
      status = 1;
    }
  else if (!relay_config_load_data_dir (config, &error))
    {
      g_printerr ("%s\n", error->message);
      g_clear_error (&error);
      status = 1;
    }
  if (config->tls_certificate != NULL &&
      !relay_tls_check_files (config->tls_certificate, config->tls_key, &error))
    {
      g_printerr ("sotto-relay: %s\n", error->message);
      g_clear_error (&error);
      status = 1;
    }
  sealed_key = relay_sealed_key_load (config->data_dir, &error);
  if (error != NULL)
    {
      g_printerr ("sotto-relay: %s\n", error->message);
      status = 1;
    }
  if (status == 0)
    g_print ("The configuration is valid\n");
  return status;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(RelayConfig) config = relay_config_new ();
  g_autoptr(RelayServer) server = NULL;
  g_autoptr(RelaySealedKey) sealed_key = NULL;
  g_autoptr(GError) error = NULL;
  Actions actions = { FALSE, FALSE };
  RelayStorage *storage;
  int lock_fd;

  setlocale (LC_ALL, "");
  /* GLib prints info and debug messages on standard output, where, with
   * G_MESSAGES_DEBUG set, they would follow the one line the relay
   * promises there.  Under systemd the journal gets them either way. */
  g_log_writer_default_set_use_stderr (TRUE);
  /* A peer that vanishes mid-write must not kill the relay. */
  signal (SIGPIPE, SIG_IGN);
  /* The database and its journal hold password hashes, public keys and
   * envelopes: nobody else reads them, whatever umask the relay was
   * started under (the systemd unit sets the same). */
  umask (0077);

  if (sodium_init () < 0)
    {
      g_printerr ("sotto-relay: libsodium failed to initialise\n");
      return 1;
    }
  if (argc > 1 && strcmp (argv[1], "admin") == 0)
    return relay_admin_main (argc - 1, argv + 1);
  if (argc > 1 && strcmp (argv[1], "migrate") == 0)
    return relay_migrate_main (argc - 1, argv + 1);
  if (argc > 1 && strcmp (argv[1], "sealed-sender") == 0)
    return relay_sealed_sender_main (argc - 1, argv + 1);
  if (!parse_options (argc, argv, config, &actions, &error))
    {
      g_printerr ("sotto-relay: %s\n", error->message);
      return 2;
    }
  if (actions.version)
    {
      g_print ("sotto-relay %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (actions.check_config)
    return check_config (config);
  if (g_mkdir_with_parents (config->data_dir, 0700) != 0)
    {
      g_printerr ("sotto-relay: Cannot create the data directory %s\n", config->data_dir);
      return 1;
    }
  if (!relay_config_load_data_dir (config, &error))
    {
      /* Each fault is a line of its own, named by file and line. */
      g_printerr ("%s\n", error->message);
      return 2;
    }
  /* Held until the process exits; the kernel releases it. */
  lock_fd = relay_lock_data_dir (config->data_dir, &error);
  if (lock_fd < 0)
    {
      g_printerr ("sotto-relay: %s\n", error->message);
      return 1;
    }
  /* A certificate that cannot serve stops the relay before it touches
   * its storage, and before it prints that it is ready. */
  if (config->tls_certificate != NULL)
    {
      if (!relay_tls_check_files (config->tls_certificate, config->tls_key, &error))
        {
          g_printerr ("sotto-relay: %s\n", error->message);
          return 1;
        }
      relay_tls_warn_expiry (config->tls_certificate);
    }
  /* A server key that cannot sign stops the relay before it starts,
   * as a certificate that cannot serve does. */
  sealed_key = relay_sealed_key_load (config->data_dir, &error);
  if (error != NULL)
    {
      g_printerr ("sotto-relay: %s\n", error->message);
      return 1;
    }
  if (config->database_url != NULL)
    storage = relay_storage_postgresql_open (config->database_url,
                                             &config->rates[RELAY_RATE_TARGET_ONE_TIME_PREKEYS], &error);
  else
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
  if (sealed_key != NULL)
    relay_server_set_sealed_key (server, g_steal_pointer (&sealed_key));
  return relay_server_run (server);
}
