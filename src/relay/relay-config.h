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
  gint64    max_queue_age_seconds;
  guint     max_one_time_prekeys;
  guint     max_connections;
  guint     websocket_send_queue;
  guint     websocket_unacked;
  guint     hash_queue_limit;
  /* Connection deadlines and output bounds; see docs/deploy.md. */
  guint     header_timeout_seconds;
  guint     body_timeout_seconds;
  guint     idle_timeout_seconds;
  guint     write_timeout_seconds;
  gsize     websocket_buffer_bytes;
  gsize     websocket_total_bytes;
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
