/* sotto-unlock-page.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "sotto-session-page.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_UNLOCK_PAGE (sotto_unlock_page_get_type ())

G_DECLARE_FINAL_TYPE (SottoUnlockPage, sotto_unlock_page, SOTTO, UNLOCK_PAGE, SottoSessionPage)

void sotto_unlock_page_present (SottoUnlockPage *self);

G_END_DECLS
