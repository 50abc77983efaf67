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
  RELAY_RATE_PAIR_SENDS,
  RELAY_N_RATES,
} RelayRateKind;

typedef struct
{
  /* From the command line. */
  char     *listen_address;     /* NULL for every interface */
  guint16   listen_port;
  gboolean  listen_ipv6;
  char     *data_dir;
  char     *tls_certificate;
  char     *tls_key;
  char     *registration_token; /* NULL when registration is open */

  /* From DATA_DIR/relay.conf, with defaults for a small public relay. */
  gsize     max_header_bytes;
  gsize     max_request_bytes;
  gsize     max_envelope_bytes;
  guint     max_queue_envelopes;
  guint64   max_queue_bytes;
  guint     max_queue_envelopes_per_sender;
  guint64   max_queue_bytes_per_sender;
  gint64    max_queue_age_seconds;
  guint     max_one_time_prekeys;
  guint     one_time_prekeys_low;
  guint     max_connections;
  guint     websocket_send_queue;
  guint     websocket_unacked;
  guint     hash_queue_limit;
  guint     hash_queue_registration_reserve;
  guint64   max_database_bytes; /* 0 for no bound */
  RelayRate rates[RELAY_N_RATES];
} RelayConfig;

RelayConfig *relay_config_new          (void);
void         relay_config_free         (RelayConfig  *config);
gboolean     relay_config_set_listen   (RelayConfig  *config,
                                        const char   *listen,
                                        GError      **error);
gboolean     relay_config_set_registration (RelayConfig *config,
                                            const char  *mode,
                                            GError     **error);
gboolean     relay_config_load_file    (RelayConfig  *config,
                                        const char   *path,
                                        GError      **error);
const char  *relay_rate_name           (RelayRateKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayConfig, relay_config_free)

G_END_DECLS
