/* relay-config.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The relay takes where to listen and where to keep its data from the
 * command line; its limits come from an optional key file in the data
 * directory, so that an operator can tune them without new flags.
 */

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "relay-config.h"

static const struct
{
  const char *name;
  RelayRate   defaults;
} rate_table[RELAY_N_RATES] = {
  [RELAY_RATE_ADDRESS_REQUESTS] = { "address-requests", { 100.0, 400.0 } },
  [RELAY_RATE_ADDRESS_REGISTRATIONS] = { "address-registrations", { 1.0 / 60.0, 10.0 } },
  [RELAY_RATE_ADDRESS_AUTH_FAILURES] = { "address-auth-failures", { 1.0 / 6.0, 20.0 } },
  [RELAY_RATE_ADDRESS_WEBSOCKETS] = { "address-websockets", { 5.0, 50.0 } },
  [RELAY_RATE_ACCOUNT_SENDS] = { "account-sends", { 50.0, 200.0 } },
  [RELAY_RATE_ACCOUNT_LOOKUPS] = { "account-lookups", { 1.0, 20.0 } },
  [RELAY_RATE_ACCOUNT_BUNDLES] = { "account-bundles", { 2.0, 50.0 } },
  [RELAY_RATE_ACCOUNT_KEY_UPLOADS] = { "account-key-uploads", { 1.0, 10.0 } },
};

const char *
relay_rate_name (RelayRateKind kind)
{
  g_assert ((guint) kind < RELAY_N_RATES);
  return rate_table[kind].name;
}

RelayConfig *
relay_config_new (void)
{
  RelayConfig *config = g_new0 (RelayConfig, 1);

  config->max_header_bytes = 4096;
  config->max_request_bytes = 1024 * 1024;
  config->max_envelope_bytes = 256 * 1024;
  config->max_queue_envelopes = 10000;
  config->max_queue_age_seconds = 30 * 24 * 3600;
  config->max_one_time_prekeys = 1000;
  config->max_connections = 15000;
  config->websocket_send_queue = 256;
  config->websocket_unacked = 1024;
  config->hash_queue_limit = 64;
  config->header_timeout_seconds = 10;
  config->body_timeout_seconds = 60;
  config->idle_timeout_seconds = 60;
  config->write_timeout_seconds = 30;
  config->websocket_buffer_bytes = 1024 * 1024;
  config->websocket_total_bytes = 64 * 1024 * 1024;
  for (guint i = 0; i < RELAY_N_RATES; i++)
    config->rates[i] = rate_table[i].defaults;
  return config;
}

void
relay_config_free (RelayConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->listen_address);
  g_free (config->data_dir);
  g_free (config->tls_certificate);
  g_free (config->tls_key);
  if (config->registration_token != NULL)
    sodium_memzero (config->registration_token, strlen (config->registration_token));
  g_free (config->registration_token);
  g_free (config);
}

gboolean
relay_config_set_listen (RelayConfig  *config,
                         const char   *listen,
                         GError      **error)
{
  const char *colon = strrchr (listen, ':');
  g_autofree char *host = NULL;
  guint64 port;

  if (colon == NULL || colon == listen ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--listen takes ADDRESS:PORT, for example 127.0.0.1:8443");
      return FALSE;
    }
  host = g_strndup (listen, (gsize) (colon - listen));
  config->listen_ipv6 = FALSE;
  if (host[0] == '[')
    {
      gsize length = strlen (host);

      if (length < 3 || host[length - 1] != ']')
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "--listen: an IPv6 address goes in brackets, for example [::1]:8443");
          return FALSE;
        }
      host[length - 1] = '\0';
      memmove (host, host + 1, length - 1);
      config->listen_ipv6 = TRUE;
    }
  if (!g_hostname_is_ip_address (host))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--listen: “%s” is not an IP address", host);
      return FALSE;
    }
  if (strchr (host, ':') != NULL)
    config->listen_ipv6 = TRUE;
  g_free (config->listen_address);
  if (strcmp (host, "0.0.0.0") == 0 || strcmp (host, "::") == 0)
    config->listen_address = NULL;
  else
    config->listen_address = g_steal_pointer (&host);
  config->listen_port = (guint16) port;
  return TRUE;
}

gboolean
relay_config_set_registration (RelayConfig  *config,
                               const char   *mode,
                               GError      **error)
{
  if (strcmp (mode, "open") == 0)
    {
      g_clear_pointer (&config->registration_token, g_free);
      return TRUE;
    }
  if (g_str_has_prefix (mode, "token:") && strlen (mode) > strlen ("token:"))
    {
      g_free (config->registration_token);
      config->registration_token = g_strdup (mode + strlen ("token:"));
      return TRUE;
    }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "--registration takes “open” or “token:SECRET”");
  return FALSE;
}

static gboolean
read_size (GKeyFile    *file,
           const char  *key,
           guint64      min,
           guint64      max,
           guint64     *value,
           GError     **error)
{
  g_autofree char *text = g_key_file_get_value (file, "limits", key, NULL);

  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (g_strstrip (text), 10, min, max, value, NULL))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[limits] %s must be an integer from %" G_GUINT64_FORMAT
                   " to %" G_GUINT64_FORMAT, key, min, max);
      return FALSE;
    }
  return TRUE;
}

/* A rate is written "RATE/BURST": tokens per second, then the bucket size. */
static gboolean
read_rate (GKeyFile    *file,
           const char  *key,
           RelayRate   *rate,
           GError     **error)
{
  g_autofree char *text = g_key_file_get_value (file, "rate-limits", key, NULL);
  g_auto(GStrv) parts = NULL;
  double r, b;
  char *end;

  if (text == NULL)
    return TRUE;
  parts = g_strsplit (g_strstrip (text), "/", 2);
  if (g_strv_length (parts) != 2)
    goto fail;
  r = g_ascii_strtod (parts[0], &end);
  if (*end != '\0' || end == parts[0] || !(r > 0.0))
    goto fail;
  b = g_ascii_strtod (parts[1], &end);
  if (*end != '\0' || end == parts[1] || !(b >= 1.0))
    goto fail;
  rate->rate = r;
  rate->burst = b;
  return TRUE;

fail:
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
               "[rate-limits] %s must be RATE/BURST, for example 10/50", key);
  return FALSE;
}

gboolean
relay_config_load_file (RelayConfig  *config,
                        const char   *path,
                        GError      **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  guint64 v;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, error))
    return FALSE;

#define READ(key, min, max, field)                              \
  G_STMT_START {                                                \
    v = (guint64) config->field;                                \
    if (!read_size (file, key, min, max, &v, error))            \
      return FALSE;                                             \
    config->field = v;                                          \
  } G_STMT_END

  READ ("max-header-bytes", 1024, 65536, max_header_bytes);
  READ ("max-request-bytes", 4096, 64 * 1024 * 1024, max_request_bytes);
  READ ("max-envelope-bytes", 256, 16 * 1024 * 1024, max_envelope_bytes);
  READ ("max-queue-envelopes", 1, 10000000, max_queue_envelopes);
  READ ("max-queue-age-seconds", 1, 10 * 365 * 24 * 3600, max_queue_age_seconds);
  READ ("max-one-time-prekeys", 1, 100000, max_one_time_prekeys);
  READ ("max-connections", 1, 1000000, max_connections);
  READ ("websocket-send-queue", 1, 100000, websocket_send_queue);
  READ ("websocket-unacked", 1, 100000, websocket_unacked);
  READ ("hash-queue-limit", 1, 100000, hash_queue_limit);
  READ ("header-timeout-seconds", 1, 3600, header_timeout_seconds);
  READ ("body-timeout-seconds", 1, 3600, body_timeout_seconds);
  READ ("idle-timeout-seconds", 1, 3600, idle_timeout_seconds);
  READ ("write-timeout-seconds", 1, 3600, write_timeout_seconds);
  READ ("websocket-buffer-bytes", 64 * 1024, 1024 * 1024 * 1024, websocket_buffer_bytes);
  READ ("websocket-total-bytes", 1024 * 1024, G_GUINT64_CONSTANT (64) * 1024 * 1024 * 1024,
        websocket_total_bytes);

#undef READ

  for (guint i = 0; i < RELAY_N_RATES; i++)
    if (!read_rate (file, rate_table[i].name, &config->rates[i], error))
      return FALSE;
  return TRUE;
}
