/* sotto-avatar-icon-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-store.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_AVATAR_ICON (sotto_avatar_icon_get_type ())

G_DECLARE_FINAL_TYPE (SottoAvatarIcon, sotto_avatar_icon, SOTTO, AVATAR_ICON, GObject)

SottoAvatarIcon *_sotto_avatar_icon_new        (SottoStore      *store,
                                                gint64           contact_id,
                                                const char      *digest) G_GNUC_WARN_UNUSED_RESULT;
const char      *_sotto_avatar_icon_get_digest (SottoAvatarIcon *self);

G_END_DECLS
