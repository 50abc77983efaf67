/* sotto-bounded-input-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The deepest nesting of arrays and objects the client accepts from a
 * relay.  The relay's deepest answer, a prekey bundle, nests four deep;
 * json-glib parses recursively, so without a bound a few hundred
 * thousand brackets overflow the stack. */
#define SOTTO_JSON_MAX_DEPTH 32

/* The largest HTTP answer the client reads from a relay.  The relay's
 * largest answer, the bundles of 127 devices with their Kyber prekeys,
 * stays well under it. */
#define SOTTO_RELAY_MAX_ANSWER_BYTES (1024 * 1024)

gboolean    _sotto_json_depth_is_within (const char           *data,
                                         gsize                 len,
                                         guint                 max_depth);
JsonObject *_sotto_json_parse_object    (const char           *data,
                                         gsize                 len,
                                         GError              **error) G_GNUC_WARN_UNUSED_RESULT;

void        _sotto_read_bounded_async   (GInputStream         *stream,
                                         gsize                 max_len,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
GBytes     *_sotto_read_bounded_finish  (GInputStream         *stream,
                                         GAsyncResult         *result,
                                         GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
