/* sotto-account-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-account.h"

G_BEGIN_DECLS

SottoAccount *_sotto_account_dup (SottoAccount *self) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
