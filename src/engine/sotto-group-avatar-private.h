/* sotto-group-avatar-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-group-list.h"
#include "sotto-group-state-private.h"

G_BEGIN_DECLS

char     *_sotto_group_hex                      (const guint8        *data,
                                                 gsize                len) G_GNUC_WARN_UNUSED_RESULT;
void      _sotto_group_update_set_avatar        (SottoGroupUpdate    *update,
                                                 GBytes              *picture);
GBytes   *_sotto_group_avatar_encode            (GInputStream        *stream,
                                                 GCancellable        *cancellable,
                                                 GError             **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean  _sotto_group_avatar_take              (SottoGroupState     *state,
                                                 GBytes              *picture);

/* sotto-group-list.c */
void      _sotto_group_list_change_avatar_async (SottoGroupList      *self,
                                                 SottoGroup          *group,
                                                 GBytes              *picture,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);

G_END_DECLS
