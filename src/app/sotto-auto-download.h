/* sotto-auto-download.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-messenger.h"

G_BEGIN_DECLS

void sotto_auto_download_bind (GSettings      *settings,
                               SottoMessenger *messenger);

G_END_DECLS
