/* sotto-auto-download.c: the preferences for pictures that come down by themselves
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-auto-download"

#include "config.h"

#include "sotto-auto-download.h"

/* Two settings, a switch and a size in MiB, make the messenger's one
 * number: the largest picture downloaded as it arrives, 0 for none.
 * The engine never does it for a message request (sotto-messenger-
 * attachments.c). */

static void
settings_changed_cb (GSettings      *settings,
                     const char     *key,
                     SottoMessenger *messenger)
{
  guint64 size = 0;

  if (g_settings_get_boolean (settings, "auto-download-pictures"))
    size = (guint64) g_settings_get_uint (settings, "auto-download-size") * 1024 * 1024;

  g_object_set (messenger, "auto-download-size", size, NULL);
}

/**
 * sotto_auto_download_bind:
 * @settings: the profile's settings
 * @messenger: the messenger to keep following them
 *
 * Sets #SottoMessenger:auto-download-size from the preferences now and
 * whenever they change, for as long as @messenger lives.
 */
void
sotto_auto_download_bind (GSettings      *settings,
                          SottoMessenger *messenger)
{
  g_return_if_fail (G_IS_SETTINGS (settings));
  g_return_if_fail (SOTTO_IS_MESSENGER (messenger));

  g_signal_connect_object (settings, "changed::auto-download-pictures",
                           G_CALLBACK (settings_changed_cb), messenger, 0);
  g_signal_connect_object (settings, "changed::auto-download-size",
                           G_CALLBACK (settings_changed_cb), messenger, 0);
  settings_changed_cb (settings, NULL, messenger);
}
