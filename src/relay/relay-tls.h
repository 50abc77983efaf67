/* relay-tls.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <openssl/ssl.h>

G_BEGIN_DECLS

#define RELAY_TLS_EXPIRY_WARNING_DAYS 14

gboolean relay_tls_check_files (const char  *certificate,
                                const char  *key,
                                GError     **error);
void     relay_tls_warn_expiry (const char  *certificate);
gboolean relay_tls_reload      (SSL_CTX     *context,
                                const char  *certificate,
                                const char  *key,
                                GError     **error);

G_END_DECLS
