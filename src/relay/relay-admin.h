/* relay-admin.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

int relay_admin_main (int    argc,
                      char **argv);

G_END_DECLS
