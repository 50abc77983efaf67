/* sotto-time-format.c: times as the user's desktop shows them
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-time-format"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "sotto-time-format.h"

#define INTERFACE_SCHEMA "org.gnome.desktop.interface"

/* The desktop's interface settings, or NULL where GNOME's schemas are not
 * installed.  Made once: every row of every list asks. */
static GSettings *
interface_settings (void)
{
  static GSettings *settings;
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
      g_autoptr(GSettingsSchema) schema = NULL;

      if (source != NULL)
        schema = g_settings_schema_source_lookup (source, INTERFACE_SCHEMA, TRUE);
      if (schema != NULL && g_settings_schema_has_key (schema, "clock-format"))
        settings = g_settings_new (INTERFACE_SCHEMA);
      g_once_init_leave (&initialized, 1);
    }

  return settings;
}

/**
 * sotto_format_time_of_day:
 * @time: a moment
 *
 * Formats the time of day of @time with the 12- or 24-hour clock the
 * user chose for the desktop (the 24-hour clock where GNOME's settings
 * are not installed).
 *
 * Returns: (transfer full): the time of day, as "14:05" or "2:05 PM"
 */
char *
sotto_format_time_of_day (GDateTime *time)
{
  GSettings *settings = interface_settings ();
  g_autofree char *clock_format = NULL;

  g_return_val_if_fail (time != NULL, NULL);

  if (settings != NULL)
    clock_format = g_settings_get_string (settings, "clock-format");

  if (g_strcmp0 (clock_format, "12h") == 0)
    /* Translators: a time of day on the 12-hour clock, see strftime(3) */
    return g_date_time_format (time, _("%-l:%M %p"));
  /* Translators: a time of day on the 24-hour clock, see strftime(3) */
  return g_date_time_format (time, _("%H:%M"));
}

/**
 * sotto_format_time:
 * @time_ms: the moment to show, in milliseconds since the epoch
 * @now_ms: the current time, in milliseconds since the epoch
 *
 * Formats a moment the way a chat list shows it: the time of day for
 * today, the weekday within the last week, the date before that.
 *
 * Returns: (transfer full): the formatted time
 */
char *
sotto_format_time (gint64 time_ms,
                   gint64 now_ms)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (time_ms / 1000);
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (now_ms / 1000);
  int days;

  if (time == NULL || now == NULL)
    return g_strdup ("");

  days = g_date_time_get_day_of_year (now) - g_date_time_get_day_of_year (time)
         + 365 * (g_date_time_get_year (now) - g_date_time_get_year (time));

  if (days <= 0)
    return sotto_format_time_of_day (time);
  if (days < 7)
    /* Translators: a weekday in the conversation list, see strftime(3) */
    return g_date_time_format (time, _("%a"));
  /* Translators: a date in the conversation list, see strftime(3) */
  return g_date_time_format (time, _("%d/%m/%y"));
}

static guint
julian_day (GDateTime *time)
{
  g_autoptr(GDate) date = g_date_new_dmy (g_date_time_get_day_of_month (time),
                                          g_date_time_get_month (time),
                                          g_date_time_get_year (time));

  return g_date_get_julian (date);
}

/**
 * sotto_format_day:
 * @day: a time on the day to name
 * @now: the current time
 *
 * Names a day as a day separator does: Today, Yesterday, the weekday in
 * the last week, else the date.  Days are counted in Julian days, so
 * that 31 December is Yesterday on 1 January.
 *
 * Returns: (transfer full): the name of the day
 */
char *
sotto_format_day (GDateTime *day,
                  GDateTime *now)
{
  guint today;
  guint that_day;

  g_return_val_if_fail (day != NULL, NULL);
  g_return_val_if_fail (now != NULL, NULL);

  today = julian_day (now);
  that_day = julian_day (day);

  if (that_day == today)
    return g_strdup (_("Today"));
  if (that_day + 1 == today)
    return g_strdup (_("Yesterday"));
  if (that_day < today && that_day + 7 > today)
    /* Translators: a day separator for a day of the last week, see strftime(3) */
    return g_date_time_format (day, _("%A"));
  if (g_date_time_get_year (day) == g_date_time_get_year (now))
    /* Translators: a day separator for a day of this year, see strftime(3) */
    return g_date_time_format (day, _("%A, %-d %B"));
  /* Translators: a day separator for a day of another year, see strftime(3) */
  return g_date_time_format (day, _("%A, %-d %B %Y"));
}
