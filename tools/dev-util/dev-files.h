/* dev-files.h: files and directories that the tests and the benchmarks make
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

void dev_remove_tree (const char *path);

G_END_DECLS
