/* sotto-timer-text.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

const char *sotto_timer_text_duration (guint64 seconds);

G_END_DECLS
