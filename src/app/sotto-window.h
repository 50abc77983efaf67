/* sotto-window.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "sotto-application.h"
#include "sotto-messenger.h"
#include "sotto-session.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_WINDOW (sotto_window_get_type ())

G_DECLARE_FINAL_TYPE (SottoWindow, sotto_window, SOTTO, WINDOW, AdwApplicationWindow)

SottoWindow    *sotto_window_new                  (SottoApplication *application) G_GNUC_WARN_UNUSED_RESULT;
SottoSession   *sotto_window_get_session          (SottoWindow      *self);
SottoMessenger *sotto_window_get_messenger        (SottoWindow      *self);
gboolean        sotto_window_open_conversation    (SottoWindow      *self,
                                                   const char       *uuid);
gboolean        sotto_window_open_group           (SottoWindow      *self,
                                                   const char       *id);

G_END_DECLS
