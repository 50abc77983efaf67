/* sotto-time-format.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *sotto_format_time_of_day (GDateTime *time) G_GNUC_WARN_UNUSED_RESULT;
char *sotto_format_time        (gint64     time_ms,
                                gint64     now_ms) G_GNUC_WARN_UNUSED_RESULT;
char *sotto_format_day         (GDateTime *day,
                                GDateTime *now) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
