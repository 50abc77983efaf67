/* relay-log-throttle.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Holds back a log line that repeats the one before within an interval.
 * Each instance belongs to one thread. */
typedef struct
{
  char    *last_line;
  gint64   last_time;     /* monotonic, when last_line was logged */
  guint64  held_back;
} RelayLogThrottle;

void relay_log_throttle_message (RelayLogThrottle *self,
                                 GLogLevelFlags    level,
                                 const char       *line);
/* The same, for a line made from @format and @args. */
void relay_log_throttle_vprintf (RelayLogThrottle *self,
                                 GLogLevelFlags    level,
                                 const char       *format,
                                 va_list           args) G_GNUC_PRINTF (3, 0);
void relay_log_throttle_clear   (RelayLogThrottle *self);

G_END_DECLS
