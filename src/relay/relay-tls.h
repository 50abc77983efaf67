/* relay-tls.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean relay_tls_check_files (const char  *certificate,
                                const char  *key,
                                GError     **error);

G_END_DECLS
