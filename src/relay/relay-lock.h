/* relay-lock.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

int relay_lock_data_dir (const char  *data_dir,
                         GError     **error);

G_END_DECLS
