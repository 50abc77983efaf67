/* relay-config.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A token bucket's shape: it refills at rate tokens per second and holds
 * at most burst tokens. */
typedef struct
{
  double rate;
  double burst;
} RelayRate;

typedef enum
{
  RELAY_RATE_ADDRESS_REQUESTS,
  RELAY_RATE_ADDRESS_REGISTRATIONS,
  RELAY_RATE_ADDRESS_AUTH_FAILURES,
  RELAY_RATE_ADDRESS_WEBSOCKETS,
  RELAY_RATE_ACCOUNT_SENDS,
  RELAY_RATE_ACCOUNT_LOOKUPS,
  RELAY_RATE_ACCOUNT_BUNDLES,
  RELAY_RATE_ACCOUNT_KEY_UPLOADS,
  RELAY_RATE_ACCOUNT_PASSWORD_CHECKS,
  RELAY_RATE_TARGET_ONE_TIME_PREKEYS,
  RELAY_RATE_PAIR_ONE_TIME_PREKEYS,
  RELAY_RATE_PAIR_SENDS,
  RELAY_RATE_ADDRESS_UNIDENTIFIED_SENDS,
  RELAY_RATE_TARGET_UNIDENTIFIED_SENDS,
  RELAY_RATE_ACCOUNT_CERTIFICATES,
  RELAY_RATE_ACCOUNT_PROFILES,
  RELAY_N_RATES,
} RelayRateKind;

typedef enum
{
  RELAY_REGISTRATION_OPEN,
  RELAY_REGISTRATION_TOKEN,    /* one shared secret */
  RELAY_REGISTRATION_INVITE,   /* single-use invites from sotto-relay admin */
} RelayRegistrationMode;

typedef struct
{
  /* From the command line. */
  char     *listen_address;     /* NULL for every interface */
  guint16   listen_port;
  gboolean  listen_ipv6;
  char     *data_dir;
  char     *tls_certificate;
  char     *tls_key;
  char     *metrics_address;    /* NULL when metrics are not served */
  guint16   metrics_port;
  gboolean  metrics_ipv6;

  /* What the command line or the environment set, which wins over
   * relay.conf each time the file is read. */
  char     *registration_override;
  char     *metrics_override;
  char     *database_override;

  /* From --database or relay.conf's [database] url: the PostgreSQL
   * database the relay keeps its state in, or NULL for DATA_DIR/relay.db.
   * It may hold a password. */
  char     *database_url;

  /* From --registration, SOTTO_RELAY_REGISTRATION or relay.conf. */
  RelayRegistrationMode registration;
  char     *registration_token; /* the secret, with RELAY_REGISTRATION_TOKEN only */

  /* From DATA_DIR/relay.conf, with defaults for a small public relay. */
  gsize     max_header_bytes;
  gsize     max_request_bytes;
  gsize     max_envelope_bytes;
  guint64   max_split_bytes;
  guint     max_queue_envelopes;
  guint64   max_queue_bytes;
  guint     max_queue_envelopes_per_sender;
  guint64   max_queue_bytes_per_sender;
  guint     sealed_share_per_address; /* percent of a sender's share */
  gint64    max_queue_age_seconds;
  guint     max_one_time_prekeys;
  guint     one_time_prekeys_low;
  guint     max_connections;
  guint     websocket_send_queue;
  guint     websocket_unacked;
  guint     hash_queue_limit;
  guint     hash_queue_registration_reserve;
  guint64   max_database_bytes; /* 0 for no bound */
  /* Connection deadlines and output bounds; see docs/deploy.md. */
  guint     header_timeout_seconds;
  guint     body_timeout_seconds;
  guint     idle_timeout_seconds;
  guint     write_timeout_seconds;
  guint     websocket_ping_seconds;
  guint     websocket_pong_timeout_seconds;
  guint     websocket_auth_timeout_seconds;
  gsize     websocket_buffer_bytes;
  gsize     websocket_total_bytes;
  /* Attachment blobs; see docs/deploy.md. */
  guint64   max_blob_bytes;
  guint64   blob_quota_bytes;
  gint64    blob_max_age_seconds;
  guint     blob_sweep_seconds;
  guint     blob_streams;
  guint     blob_streams_per_account;
  /* How long a sealed sender certificate the relay issues is valid. */
  guint     sender_certificate_lifetime_seconds;
  RelayRate rates[RELAY_N_RATES];
} RelayConfig;

RelayConfig *relay_config_new          (void);
void         relay_config_free         (RelayConfig  *config);
gboolean     relay_config_set_listen   (RelayConfig  *config,
                                        const char   *listen,
                                        GError      **error);
gboolean     relay_config_set_metrics_listen (RelayConfig *config,
                                              const char  *listen,
                                              GError     **error);
gboolean     relay_config_set_database (RelayConfig  *config,
                                        const char   *url,
                                        GError      **error);
gboolean     relay_config_set_registration (RelayConfig *config,
                                            const char  *mode,
                                            GError     **error);
gboolean     relay_config_load_data    (RelayConfig  *config,
                                        const char   *file_name,
                                        const char   *contents,
                                        GError      **error);
gboolean     relay_config_load_file    (RelayConfig  *config,
                                        const char   *path,
                                        GError      **error);
gboolean     relay_config_load_data_dir (RelayConfig *config,
                                         GError     **error);
RelayConfig *relay_config_copy_command_line (const RelayConfig *config);
gboolean     relay_config_take_reloadable (RelayConfig *running,
                                           RelayConfig *fresh);
char        *relay_config_describe     (RelayConfig  *config);
const char  *relay_registration_mode_name (RelayRegistrationMode mode);
char        *relay_address_display     (const char   *address,
                                        gboolean      ipv6,
                                        guint16       port);
const char  *relay_rate_name           (RelayRateKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayConfig, relay_config_free)

G_END_DECLS
