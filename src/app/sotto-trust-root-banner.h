/* sotto-trust-root-banner.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "sotto-messenger.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_TRUST_ROOT_BANNER (sotto_trust_root_banner_get_type ())

G_DECLARE_FINAL_TYPE (SottoTrustRootBanner, sotto_trust_root_banner, SOTTO, TRUST_ROOT_BANNER, GtkWidget)

SottoMessenger *sotto_trust_root_banner_get_messenger (SottoTrustRootBanner *self);
void            sotto_trust_root_banner_set_messenger (SottoTrustRootBanner *self,
                                                       SottoMessenger       *messenger);

G_END_DECLS
