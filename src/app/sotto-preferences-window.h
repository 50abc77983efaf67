/* sotto-preferences-window.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "sotto-messenger.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_PREFERENCES_WINDOW (sotto_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (SottoPreferencesWindow, sotto_preferences_window, SOTTO, PREFERENCES_WINDOW, AdwPreferencesWindow)

SottoPreferencesWindow *sotto_preferences_window_new (GtkWindow      *transient_for,
                                                      GSettings      *settings,
                                                      SottoMessenger *messenger) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
