/* relay-config.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The relay takes where to listen and where to keep its data from the
 * command line; its limits come from an optional key file in the data
 * directory, so that an operator can tune them without new flags.
 *
 * The file is read line by line here rather than with GKeyFile, which
 * cannot say on which line a fault is, and it is read strictly: an
 * unknown section or key is an error, never a silent default, since a
 * misspelt limit would otherwise leave the relay on a value the
 * operator believes changed.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

#include "relay-config.h"
#include "relay-storage-postgresql.h"

#define MAX_TOKEN_FILE_BYTES 4096
#define MIN_TOKEN_BYTES      16

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
  [RELAY_RATE_ACCOUNT_PASSWORD_CHECKS] = { "account-password-checks", { 0.1, 10.0 } },
  [RELAY_RATE_TARGET_ONE_TIME_PREKEYS] = { "target-one-time-prekeys", { 0.01, 20.0 } },
  [RELAY_RATE_PAIR_ONE_TIME_PREKEYS] = { "pair-one-time-prekeys", { 0.002, 3.0 } },
  [RELAY_RATE_PAIR_SENDS] = { "pair-sends", { 2.0, 100.0 } },
  [RELAY_RATE_ADDRESS_UNIDENTIFIED_SENDS] = { "address-unidentified-sends", { 20.0, 200.0 } },
  [RELAY_RATE_TARGET_UNIDENTIFIED_SENDS] = { "target-unidentified-sends", { 10.0, 200.0 } },
  [RELAY_RATE_ACCOUNT_CERTIFICATES] = { "account-certificates", { 0.01, 10.0 } },
  [RELAY_RATE_ACCOUNT_PROFILES] = { "account-profiles", { 5.0, 200.0 } },
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
  config->max_split_bytes = 256 * 1024 * 1024;
  config->max_queue_envelopes = 10000;
  config->max_queue_bytes = 64 * 1024 * 1024;
  config->max_queue_envelopes_per_sender = 1000;
  config->max_queue_bytes_per_sender = 8 * 1024 * 1024;
  config->sealed_share_per_address = 25;
  config->max_queue_age_seconds = 30 * 24 * 3600;
  config->max_one_time_prekeys = 1000;
  config->one_time_prekeys_low = 10;
  config->max_connections = 15000;
  config->websocket_send_queue = 256;
  config->websocket_unacked = 1024;
  config->hash_queue_limit = 64;
  config->hash_queue_registration_reserve = 16;
  config->header_timeout_seconds = 10;
  config->body_timeout_seconds = 60;
  config->idle_timeout_seconds = 60;
  config->write_timeout_seconds = 30;
  /* Sotto's clients ping every 30 s, so the relay pings none of them. */
  config->websocket_ping_seconds = 45;
  config->websocket_pong_timeout_seconds = 15;
  /* Far beyond what a check takes when the hashing queue is full. */
  config->websocket_auth_timeout_seconds = 30;
  config->websocket_buffer_bytes = 1024 * 1024;
  config->websocket_total_bytes = 64 * 1024 * 1024;
  config->max_blob_bytes = 100 * 1024 * 1024;
  config->blob_quota_bytes = G_GUINT64_CONSTANT (1024) * 1024 * 1024;
  config->blob_max_age_seconds = 30 * 24 * 3600;
  config->blob_sweep_seconds = 3600;
  config->blob_streams = 256;
  config->blob_streams_per_account = 8;
  config->sender_certificate_lifetime_seconds = 24 * 3600;
  for (guint i = 0; i < RELAY_N_RATES; i++)
    config->rates[i] = rate_table[i].defaults;
  return config;
}

/* Wipes a string that may hold a secret (a database password), then
 * frees it. */
static void
free_secret (char *text)
{
  sodium_memzero (text, strlen (text));
  g_free (text);
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
  g_free (config->metrics_address);
  if (config->registration_override != NULL)
    sodium_memzero (config->registration_override, strlen (config->registration_override));
  g_free (config->registration_override);
  g_free (config->metrics_override);
  g_clear_pointer (&config->database_override, free_secret);
  g_clear_pointer (&config->database_url, free_secret);
  g_free (config);
}

/* Parses ADDRESS:PORT for `option`, which names it in errors. */
static gboolean
parse_address (const char  *option,
               const char  *listen,
               char       **address,
               guint16     *port_out,
               gboolean    *ipv6,
               GError     **error)
{
  const char *colon = strrchr (listen, ':');
  g_autofree char *host = NULL;
  guint64 port;

  if (colon == NULL || colon == listen ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s takes ADDRESS:PORT, for example 127.0.0.1:8443", option);
      return FALSE;
    }
  host = g_strndup (listen, (gsize) (colon - listen));
  *ipv6 = FALSE;
  if (host[0] == '[')
    {
      gsize length = strlen (host);

      if (length < 3 || host[length - 1] != ']')
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "%s: an IPv6 address goes in brackets, for example [::1]:8443", option);
          return FALSE;
        }
      host[length - 1] = '\0';
      memmove (host, host + 1, length - 1);
      *ipv6 = TRUE;
    }
  if (!g_hostname_is_ip_address (host))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s: “%s” is not an IP address", option, host);
      return FALSE;
    }
  if (strchr (host, ':') != NULL)
    *ipv6 = TRUE;
  g_free (*address);
  if (strcmp (host, "0.0.0.0") == 0 || strcmp (host, "::") == 0)
    *address = NULL;
  else
    *address = g_steal_pointer (&host);
  *port_out = (guint16) port;
  return TRUE;
}

gboolean
relay_config_set_listen (RelayConfig  *config,
                         const char   *listen,
                         GError      **error)
{
  return parse_address ("--listen", listen, &config->listen_address, &config->listen_port,
                        &config->listen_ipv6, error);
}

gboolean
relay_config_set_metrics_listen (RelayConfig  *config,
                                 const char   *listen,
                                 GError      **error)
{
  if (!parse_address ("--metrics-listen", listen, &config->metrics_address, &config->metrics_port,
                      &config->metrics_ipv6, error))
    return FALSE;
  /* NULL means "not served"; every interface is spelt out instead. */
  if (config->metrics_address == NULL)
    config->metrics_address = g_strdup (config->metrics_ipv6 ? "::" : "0.0.0.0");
  return TRUE;
}

/* ADDR:PORT as --listen takes it; a NULL address is every interface. */
char *
relay_address_display (const char *address,
                       gboolean    ipv6,
                       guint16     port)
{
  if (address == NULL)
    return g_strdup_printf ("%s:%u", ipv6 ? "[::]" : "0.0.0.0", port);
  if (ipv6)
    return g_strdup_printf ("[%s]:%u", address, port);
  return g_strdup_printf ("%s:%u", address, port);
}

const char *
relay_registration_mode_name (RelayRegistrationMode mode)
{
  switch (mode)
    {
    case RELAY_REGISTRATION_OPEN:
      return "open";
    case RELAY_REGISTRATION_TOKEN:
      return "token";
    case RELAY_REGISTRATION_INVITE:
      return "invite";
    default:
      g_assert_not_reached ();
    }
}

/* Only PostgreSQL URLs are taken; the SQLite database needs no setting
 * beyond the data directory. */
gboolean
relay_config_set_database (RelayConfig  *config,
                           const char   *url,
                           GError      **error)
{
  if (!relay_storage_postgresql_url_is_valid (url, error))
    return FALSE;
  g_clear_pointer (&config->database_url, free_secret);
  config->database_url = g_strdup (url);
  return TRUE;
}

static void
set_token (RelayConfig *config,
           const char  *token)
{
  if (config->registration_token != NULL)
    sodium_memzero (config->registration_token, strlen (config->registration_token));
  g_clear_pointer (&config->registration_token, g_free);
  config->registration_token = g_strdup (token);
}

/* A file that holds the secret keeps it out of the process list; only
 * its first line counts, without the line end. */
static gboolean
read_token_file (RelayConfig  *config,
                 const char   *path,
                 GError      **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  GStatBuf info;
  gboolean ok;

  /* A secret is a line; anything else (a device, a huge file) is a
   * mistake to report rather than read. */
  if (g_stat (path, &info) == 0 && (!S_ISREG (info.st_mode) || info.st_size > MAX_TOKEN_FILE_BYTES))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "The registration token file %s is not a regular file of at most %d bytes",
                   path, MAX_TOKEN_FILE_BYTES);
      return FALSE;
    }
  if (!g_file_get_contents (path, &contents, &length, error))
    return FALSE;
  contents[strcspn (contents, "\r\n")] = '\0';
  ok = contents[0] != '\0';
  if (ok)
    set_token (config, contents);
  else
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                 "The registration token file %s is empty", path);
  sodium_memzero (contents, length);
  return ok;
}

gboolean
relay_config_set_registration (RelayConfig  *config,
                               const char   *mode,
                               GError      **error)
{
  if (strcmp (mode, "open") == 0 || strcmp (mode, "invite") == 0)
    {
      config->registration = mode[0] == 'o' ? RELAY_REGISTRATION_OPEN : RELAY_REGISTRATION_INVITE;
      set_token (config, NULL);
      return TRUE;
    }
  if (g_str_has_prefix (mode, "token:") && strlen (mode) > strlen ("token:"))
    {
      config->registration = RELAY_REGISTRATION_TOKEN;
      set_token (config, mode + strlen ("token:"));
      return TRUE;
    }
  if (g_str_has_prefix (mode, "token-file:") && strlen (mode) > strlen ("token-file:"))
    {
      if (!read_token_file (config, mode + strlen ("token-file:"), error))
        return FALSE;
      config->registration = RELAY_REGISTRATION_TOKEN;
      return TRUE;
    }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "the registration mode is “open”, “invite”, “token:SECRET” or “token-file:PATH”");
  return FALSE;
}

/* A token kept in relay.conf is the relay's lasting gate, which anyone
 * may try to guess over the network: a short one is refused.  (Tokens on
 * the command line or in the environment are left as they were, for a
 * relay started by hand.) */
static gboolean
token_long_enough (RelayConfig  *config,
                   GError      **error)
{
  if (config->registration != RELAY_REGISTRATION_TOKEN ||
      strlen (config->registration_token) >= MIN_TOKEN_BYTES)
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "a registration token must be at least %d bytes long", MIN_TOKEN_BYTES);
  return FALSE;
}

/* The keys of relay.conf. */

typedef enum
{
  KEY_INTEGER,
  KEY_RATE,
  KEY_REGISTRATION,
  KEY_METRICS_LISTEN,
  KEY_DATABASE_URL,
} KeyKind;

typedef struct
{
  const char *section;
  const char *name;       /* NULL for a rate: rate_table names it */
  KeyKind     kind;
  gsize       field;      /* the offset in RelayConfig, or the RelayRateKind */
  gsize       size;       /* of an integer field */
  guint64     min, max;
} KeyDef;

#define LIMIT(name, field, min, max) \
  { "limits", name, KEY_INTEGER, G_STRUCT_OFFSET (RelayConfig, field), \
    sizeof (((RelayConfig *) NULL)->field), min, max }
#define RATE(kind) { "rate-limits", NULL, KEY_RATE, kind, 0, 0, 0 }

static const KeyDef key_defs[] = {
  LIMIT ("max-header-bytes", max_header_bytes, 1024, 65536),
  LIMIT ("max-request-bytes", max_request_bytes, 4096, 64 * 1024 * 1024),
  LIMIT ("max-envelope-bytes", max_envelope_bytes, 256, 16 * 1024 * 1024),
  LIMIT ("max-split-bytes", max_split_bytes, 1, G_MAXINT64),
  LIMIT ("max-queue-envelopes", max_queue_envelopes, 1, 10000000),
  LIMIT ("max-queue-bytes", max_queue_bytes, 1, G_MAXINT64),
  LIMIT ("max-queue-envelopes-per-sender", max_queue_envelopes_per_sender, 1, 10000000),
  LIMIT ("max-queue-bytes-per-sender", max_queue_bytes_per_sender, 1, G_MAXINT64),
  LIMIT ("sealed-share-per-address", sealed_share_per_address, 1, 100),
  LIMIT ("max-queue-age-seconds", max_queue_age_seconds, 1, 10 * 365 * 24 * 3600),
  LIMIT ("max-one-time-prekeys", max_one_time_prekeys, 1, 100000),
  LIMIT ("one-time-prekeys-low", one_time_prekeys_low, 0, 100000),
  LIMIT ("max-connections", max_connections, 1, 1000000),
  LIMIT ("websocket-send-queue", websocket_send_queue, 1, 100000),
  LIMIT ("websocket-unacked", websocket_unacked, 1, 100000),
  LIMIT ("hash-queue-limit", hash_queue_limit, 1, 100000),
  LIMIT ("hash-queue-registration-reserve", hash_queue_registration_reserve, 0, 100000),
  LIMIT ("max-database-bytes", max_database_bytes, 0, G_MAXINT64),
  LIMIT ("header-timeout-seconds", header_timeout_seconds, 1, 3600),
  LIMIT ("body-timeout-seconds", body_timeout_seconds, 1, 3600),
  LIMIT ("idle-timeout-seconds", idle_timeout_seconds, 1, 3600),
  LIMIT ("write-timeout-seconds", write_timeout_seconds, 1, 3600),
  LIMIT ("websocket-ping-seconds", websocket_ping_seconds, 1, 3600),
  LIMIT ("websocket-pong-timeout-seconds", websocket_pong_timeout_seconds, 1, 3600),
  LIMIT ("websocket-auth-timeout-seconds", websocket_auth_timeout_seconds, 1, 3600),
  LIMIT ("websocket-buffer-bytes", websocket_buffer_bytes, 64 * 1024, 1024 * 1024 * 1024),
  LIMIT ("websocket-total-bytes", websocket_total_bytes, 1024 * 1024,
         G_GUINT64_CONSTANT (64) * 1024 * 1024 * 1024),
  LIMIT ("max-blob-bytes", max_blob_bytes, 0, G_MAXINT64),
  LIMIT ("blob-quota-bytes", blob_quota_bytes, 0, G_MAXINT64),
  LIMIT ("blob-max-age-seconds", blob_max_age_seconds, 1, 10 * 365 * 24 * 3600),
  LIMIT ("blob-sweep-seconds", blob_sweep_seconds, 1, 7 * 24 * 3600),
  LIMIT ("blob-streams", blob_streams, 1, 1000000),
  LIMIT ("blob-streams-per-account", blob_streams_per_account, 1, 1000000),
  LIMIT ("sender-certificate-lifetime-seconds", sender_certificate_lifetime_seconds, 1, 7 * 24 * 3600),
  RATE (RELAY_RATE_ADDRESS_REQUESTS),
  RATE (RELAY_RATE_ADDRESS_REGISTRATIONS),
  RATE (RELAY_RATE_ADDRESS_AUTH_FAILURES),
  RATE (RELAY_RATE_ADDRESS_WEBSOCKETS),
  RATE (RELAY_RATE_ACCOUNT_SENDS),
  RATE (RELAY_RATE_ACCOUNT_LOOKUPS),
  RATE (RELAY_RATE_ACCOUNT_BUNDLES),
  RATE (RELAY_RATE_ACCOUNT_KEY_UPLOADS),
  RATE (RELAY_RATE_ACCOUNT_PASSWORD_CHECKS),
  RATE (RELAY_RATE_TARGET_ONE_TIME_PREKEYS),
  RATE (RELAY_RATE_PAIR_ONE_TIME_PREKEYS),
  RATE (RELAY_RATE_PAIR_SENDS),
  RATE (RELAY_RATE_ADDRESS_UNIDENTIFIED_SENDS),
  RATE (RELAY_RATE_TARGET_UNIDENTIFIED_SENDS),
  RATE (RELAY_RATE_ACCOUNT_CERTIFICATES),
  RATE (RELAY_RATE_ACCOUNT_PROFILES),
  { "registration", "mode", KEY_REGISTRATION, 0, 0, 0, 0 },
  { "metrics", "listen", KEY_METRICS_LISTEN, 0, 0, 0, 0 },
  { "database", "url", KEY_DATABASE_URL, 0, 0, 0, 0 },
};

#undef LIMIT
#undef RATE

static const char *
key_name (const KeyDef *def)
{
  return def->name != NULL ? def->name : rate_table[def->field].name;
}

static gboolean
section_is_known (const char *section)
{
  for (guint i = 0; i < G_N_ELEMENTS (key_defs); i++)
    if (strcmp (key_defs[i].section, section) == 0)
      return TRUE;
  return FALSE;
}

static const KeyDef *
find_key (const char *section,
          const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (key_defs); i++)
    if (strcmp (key_defs[i].section, section) == 0 && strcmp (key_name (&key_defs[i]), name) == 0)
      return &key_defs[i];
  return NULL;
}

static gboolean
read_integer (RelayConfig   *config,
              const KeyDef  *def,
              const char    *value,
              GError       **error)
{
  gpointer field = G_STRUCT_MEMBER_P (config, def->field);
  guint64 v;

  if (!g_ascii_string_to_unsigned (value, 10, def->min, def->max, &v, NULL))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[%s] %s must be an integer from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT,
                   def->section, def->name, def->min, def->max);
      return FALSE;
    }
  if (def->size == sizeof (guint32))
    *(guint32 *) field = (guint32) v;
  else
    *(guint64 *) field = v;
  return TRUE;
}

/* A rate is written "RATE/BURST": tokens per second, then the bucket size. */
static gboolean
read_rate (RelayConfig   *config,
           const KeyDef  *def,
           const char    *value,
           GError       **error)
{
  g_auto(GStrv) parts = g_strsplit (value, "/", 2);
  double r, b;
  char *end;

  if (g_strv_length (parts) != 2)
    goto fail;
  /* An infinite rate or burst would turn the bucket's arithmetic into
   * NaN, which no comparison refuses: the limit would be off. */
  r = g_ascii_strtod (parts[0], &end);
  if (*end != '\0' || end == parts[0] || !(r > 0.0) || !isfinite (r))
    goto fail;
  b = g_ascii_strtod (parts[1], &end);
  if (*end != '\0' || end == parts[1] || !(b >= 1.0) || !isfinite (b))
    goto fail;
  config->rates[def->field].rate = r;
  config->rates[def->field].burst = b;
  return TRUE;

fail:
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
               "[rate-limits] %s must be RATE/BURST, for example 10/50", key_name (def));
  return FALSE;
}

static gboolean
read_value (RelayConfig   *config,
            const KeyDef  *def,
            const char    *value,
            GError       **error)
{
  g_autoptr(GError) local_error = NULL;

  switch (def->kind)
    {
    case KEY_INTEGER:
      return read_integer (config, def, value, error);
    case KEY_RATE:
      return read_rate (config, def, value, error);
    case KEY_REGISTRATION:
      if (relay_config_set_registration (config, value, &local_error) &&
          token_long_enough (config, &local_error))
        return TRUE;
      break;
    case KEY_METRICS_LISTEN:
      if (relay_config_set_metrics_listen (config, value, &local_error))
        return TRUE;
      break;
    case KEY_DATABASE_URL:
      if (relay_config_set_database (config, value, &local_error))
        return TRUE;
      break;
    default:
      g_assert_not_reached ();
    }
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
               "[%s] %s: %s", def->section, def->name, local_error->message);
  return FALSE;
}

/* Reads one line that is neither blank nor a comment; a fault goes to
 * `errors` as "FILE:LINE: message". */
static void
read_line (RelayConfig  *config,
           const char   *file_name,
           guint         number,
           char         *line,
           char        **section,
           GHashTable   *seen,
           GString      *errors)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *seen_key = NULL;
  const KeyDef *def;
  char *equals;
  char *value;
  gsize length = strlen (line);

#define FAULT(...)                                                       \
  G_STMT_START {                                                         \
    g_string_append_printf (errors, "%s:%u: ", file_name, number);       \
    g_string_append_printf (errors, __VA_ARGS__);                        \
    g_string_append_c (errors, '\n');                                    \
    return;                                                              \
  } G_STMT_END

  if (line[0] == '[')
    {
      g_free (*section);
      *section = NULL;
      if (line[length - 1] != ']')
        FAULT ("a section header is written [NAME]");
      line[length - 1] = '\0';
      *section = g_strdup (g_strstrip (line + 1));
      if (!section_is_known (*section))
        FAULT ("unknown section [%s]", *section);
      return;
    }
  equals = strchr (line, '=');
  if (equals == NULL)
    FAULT ("expected KEY=VALUE or [SECTION]");
  *equals = '\0';
  value = g_strstrip (equals + 1);
  g_strstrip (line);
  if (*section == NULL)
    FAULT ("“%s” comes before any [SECTION]", line);
  /* The section's own line has said what is wrong with it. */
  if (!section_is_known (*section))
    return;
  def = find_key (*section, line);
  if (def == NULL)
    FAULT ("unknown key “%s” in [%s]", line, *section);
  seen_key = g_strdup_printf ("%s/%s", *section, line);
  if (g_hash_table_contains (seen, seen_key))
    FAULT ("[%s] %s is set twice (first on line %u)", *section, line,
           GPOINTER_TO_UINT (g_hash_table_lookup (seen, seen_key)));
  g_hash_table_insert (seen, g_steal_pointer (&seen_key), GUINT_TO_POINTER (number));
  if (!read_value (config, def, value, &error))
    FAULT ("%s", error->message);

#undef FAULT
}

/* The line where the file set [limits] `name`, or 0 when it did not. */
static guint
limit_line (GHashTable *seen,
            const char *name)
{
  g_autofree char *key = g_strconcat ("limits/", name, NULL);

  return GPOINTER_TO_UINT (g_hash_table_lookup (seen, key));
}

/* The rules that tie limits together, once every line is read.  A byte
 * bound the file does not set grows with max-envelope-bytes, since a
 * queue takes at least one envelope of the largest size; the
 * registrations' reserve the file does not set is a quarter of the hash
 * queue, so that a file written before the reserve existed stays valid. */
static void
check_limits (RelayConfig *config,
              const char  *file_name,
              GHashTable  *seen,
              GString     *errors)
{
  guint line;

  if (limit_line (seen, "max-queue-bytes-per-sender") == 0)
    config->max_queue_bytes_per_sender = MAX (config->max_queue_bytes_per_sender,
                                              config->max_envelope_bytes);
  if (limit_line (seen, "max-queue-bytes") == 0)
    config->max_queue_bytes = MAX (config->max_queue_bytes, config->max_queue_bytes_per_sender);
  if (config->max_queue_bytes_per_sender < config->max_envelope_bytes ||
      config->max_queue_bytes < config->max_envelope_bytes)
    {
      line = MAX (limit_line (seen, "max-queue-bytes"), limit_line (seen, "max-queue-bytes-per-sender"));
      g_string_append_printf (errors, "%s:%u: [limits] max-queue-bytes and max-queue-bytes-per-sender "
                              "must hold at least max-envelope-bytes\n", file_name,
                              MAX (line, limit_line (seen, "max-envelope-bytes")));
    }

  if (limit_line (seen, "hash-queue-registration-reserve") == 0)
    config->hash_queue_registration_reserve = config->hash_queue_limit / 4;
  if (config->hash_queue_registration_reserve >= config->hash_queue_limit)
    g_string_append_printf (errors, "%s:%u: [limits] hash-queue-registration-reserve must be "
                            "smaller than hash-queue-limit\n", file_name,
                            limit_line (seen, "hash-queue-registration-reserve"));
}

/* Reads every line, so that one run names every fault in the text; the
 * error then holds one "FILE_NAME:LINE: message" line for each. */
gboolean
relay_config_load_data (RelayConfig  *config,
                        const char   *file_name,
                        const char   *contents,
                        GError      **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GString) errors = g_string_new (NULL);
  g_autofree char *section = NULL;
  g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);

      if (line[0] != '\0' && line[0] != '#' && line[0] != ';')
        read_line (config, file_name, i + 1, line, &section, seen, errors);
      sodium_memzero (lines[i], strlen (lines[i]));
    }
  if (errors->len == 0)
    check_limits (config, file_name, seen, errors);
  if (errors->len == 0)
    return TRUE;
  g_string_truncate (errors, errors->len - 1);
  g_set_error_literal (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE, errors->str);
  return FALSE;
}

gboolean
relay_config_load_file (RelayConfig  *config,
                        const char   *path,
                        GError      **error)
{
  g_autofree char *file_name = g_path_get_basename (path);
  g_autofree char *contents = NULL;
  gsize length;
  gboolean ok;

  if (!g_file_get_contents (path, &contents, &length, error))
    return FALSE;
  ok = relay_config_load_data (config, file_name, contents, error);
  /* The file may hold a registration secret. */
  sodium_memzero (contents, length);
  return ok;
}

/* Reads DATA_DIR/relay.conf, when there is one, over the defaults, then
 * what the command line or the environment set. */
gboolean
relay_config_load_data_dir (RelayConfig  *config,
                            GError      **error)
{
  g_autofree char *path = g_build_filename (config->data_dir, "relay.conf", NULL);

  if (g_file_test (path, G_FILE_TEST_EXISTS) && !relay_config_load_file (config, path, error))
    return FALSE;
  if (config->registration_override != NULL &&
      !relay_config_set_registration (config, config->registration_override, error))
    return FALSE;
  if (config->metrics_override != NULL &&
      !relay_config_set_metrics_listen (config, config->metrics_override, error))
    return FALSE;
  if (config->database_override != NULL &&
      !relay_config_set_database (config, config->database_override, error))
    return FALSE;
  return TRUE;
}

/* A config with what the command line gave and defaults for the rest,
 * to read relay.conf into afresh. */
RelayConfig *
relay_config_copy_command_line (const RelayConfig *config)
{
  RelayConfig *copy = relay_config_new ();

  copy->listen_address = g_strdup (config->listen_address);
  copy->listen_port = config->listen_port;
  copy->listen_ipv6 = config->listen_ipv6;
  copy->data_dir = g_strdup (config->data_dir);
  copy->tls_certificate = g_strdup (config->tls_certificate);
  copy->tls_key = g_strdup (config->tls_key);
  copy->registration_override = g_strdup (config->registration_override);
  copy->metrics_override = g_strdup (config->metrics_override);
  copy->database_override = g_strdup (config->database_override);
  return copy;
}

/* Moves what a running relay can change into it (the rate limits and the
 * registration policy).  Returns FALSE when anything else differs, which
 * only a restart applies. */
gboolean
relay_config_take_reloadable (RelayConfig *running,
                              RelayConfig *fresh)
{
  g_autofree char *running_text = NULL;
  g_autofree char *fresh_text = NULL;
  gboolean metrics_same = running->metrics_port == fresh->metrics_port &&
                          g_strcmp0 (running->metrics_address, fresh->metrics_address) == 0;

  memcpy (running->rates, fresh->rates, sizeof running->rates);
  running->registration = fresh->registration;
  set_token (running, NULL);
  running->registration_token = g_steal_pointer (&fresh->registration_token);
  running_text = relay_config_describe (running);
  fresh_text = relay_config_describe (fresh);
  return strcmp (running_text, fresh_text) == 0 && metrics_same &&
         g_strcmp0 (running->database_url, fresh->database_url) == 0;
}

/* The settings in force, on one line, for the log: the registration
 * secret is never in it. */
char *
relay_config_describe (RelayConfig *config)
{
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "registration=%s", relay_registration_mode_name (config->registration));
  for (guint i = 0; i < G_N_ELEMENTS (key_defs); i++)
    {
      const KeyDef *def = &key_defs[i];
      gconstpointer field = G_STRUCT_MEMBER_P (config, def->field);
      char rate[G_ASCII_DTOSTR_BUF_SIZE];
      char burst[G_ASCII_DTOSTR_BUF_SIZE];

      switch (def->kind)
        {
        case KEY_INTEGER:
          g_string_append_printf (text, " %s=%" G_GUINT64_FORMAT, def->name,
                                  def->size == sizeof (guint32) ? *(const guint32 *) field
                                                                : *(const guint64 *) field);
          break;
        case KEY_RATE:
          g_ascii_formatd (rate, sizeof rate, "%g", config->rates[def->field].rate);
          g_ascii_formatd (burst, sizeof burst, "%g", config->rates[def->field].burst);
          g_string_append_printf (text, " %s=%s/%s", key_name (def), rate, burst);
          break;
        case KEY_REGISTRATION:
        case KEY_METRICS_LISTEN:
        case KEY_DATABASE_URL:
        default:
          break;
        }
    }
  return g_string_free (text, FALSE);
}
