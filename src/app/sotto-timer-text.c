/* sotto-timer-text.c: disappearing-message timers in words
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-timer-text"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-timer-text.h"

/**
 * sotto_timer_text_duration:
 * @seconds: a disappearing-message timer
 *
 * Returns: (nullable): the timer in words, as in "5 minutes", or %NULL
 *   for 0 (off) and for a timer a conversation cannot have
 */
const char *
sotto_timer_text_duration (guint64 seconds)
{
  static const struct { guint seconds; const char *duration; } durations[] = {
    { 30, N_("30 seconds") }, { 300, N_("5 minutes") }, { 3600, N_("1 hour") },
    { 86400, N_("1 day") }, { 604800, N_("1 week") }, { 2419200, N_("4 weeks") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (durations); i++)
    {
      if (durations[i].seconds == seconds)
        return _(durations[i].duration);
    }

  return NULL;
}
