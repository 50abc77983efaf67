/* dev-util.h: what the tests and the benchmarks share
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void dev_remove_tree     (const char *path);
void dev_die_with_parent (gpointer    user_data);

/* How many uploads the attachment benchmarks run at once. */
#define DEV_BLOB_BENCH_PARALLEL 10

extern const char dev_blob_bench_conf[];

GSubprocess *dev_start_relay    (const char  *binary,
                                 const char  *conf,
                                 char       **data_dir,
                                 guint16     *port);
guint64      dev_resident_bytes (GSubprocess *process);

G_END_DECLS
