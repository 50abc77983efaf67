/* relay-log-throttle.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A condition that lasts (a full disk, a library complaining of each
 * connection it refuses) would otherwise log a line for every request
 * that meets it, as fast as clients retry, and fill the disk the log is
 * on.  A line that repeats the one before within a minute is held back;
 * the next line logged says how many were.
 */

#include "config.h"

#include "relay-log-throttle.h"

#define REPEAT_INTERVAL_US (60 * G_USEC_PER_SEC)

void
relay_log_throttle_message (RelayLogThrottle *self,
                            GLogLevelFlags    level,
                            const char       *line)
{
  gint64 now = g_get_monotonic_time ();

  if (g_strcmp0 (line, self->last_line) == 0 && now - self->last_time < REPEAT_INTERVAL_US)
    {
      self->held_back++;
      return;
    }
  if (self->held_back > 0)
    g_log (G_LOG_DOMAIN, level, "The line before came %" G_GUINT64_FORMAT " more times", self->held_back);
  self->held_back = 0;
  self->last_time = now;
  g_log (G_LOG_DOMAIN, level, "%s", line);
  g_free (self->last_line);
  self->last_line = g_strdup (line);
}

void
relay_log_throttle_vprintf (RelayLogThrottle *self,
                            GLogLevelFlags    level,
                            const char       *format,
                            va_list           args)
{
  g_autofree char *line = g_strdup_vprintf (format, args);

  relay_log_throttle_message (self, level, line);
}

void
relay_log_throttle_clear (RelayLogThrottle *self)
{
  g_clear_pointer (&self->last_line, g_free);
  self->held_back = 0;
}
