/* sotto-welcome-page.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "sotto-session-page.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_WELCOME_PAGE (sotto_welcome_page_get_type ())

G_DECLARE_FINAL_TYPE (SottoWelcomePage, sotto_welcome_page, SOTTO, WELCOME_PAGE, SottoSessionPage)

void sotto_welcome_page_present (SottoWelcomePage *self);

G_END_DECLS
