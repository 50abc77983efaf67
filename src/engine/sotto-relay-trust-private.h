/* sotto-relay-trust-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SOTTO_TYPE_RELAY_TRUST (sotto_relay_trust_get_type ())

G_DECLARE_FINAL_TYPE (SottoRelayTrust, sotto_relay_trust, SOTTO, RELAY_TRUST, GTlsDatabase)

GTlsDatabase *_sotto_relay_trust_new_from_pem     (const char  *pem,
                                                   GError     **error) G_GNUC_WARN_UNUSED_RESULT;
GTlsDatabase *_sotto_relay_trust_from_environment (GError     **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
