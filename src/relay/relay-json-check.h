/* relay-json-check.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RELAY_JSON_CHECK_MAX_DEPTH 64

/* Whether `data` is one JSON value as RFC 8259 writes it, with at most
 * `max_depth` nested objects and arrays: no comments, no leading zeros,
 * nothing after the value but white space. */
gboolean relay_json_check (const char *data,
                           gsize       length,
                           guint       max_depth);

G_END_DECLS
