/* dev-util.h: what the tests and the benchmarks share
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

void dev_remove_tree     (const char *path);
void dev_die_with_parent (gpointer    user_data);

G_END_DECLS
