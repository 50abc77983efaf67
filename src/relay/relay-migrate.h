/* relay-migrate.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* sotto-relay migrate --from DATA_DIR --to postgresql://...: argv[0]
 * is "migrate".  Returns the process's exit status. */
int relay_migrate_main (int    argc,
                        char **argv);

G_END_DECLS
