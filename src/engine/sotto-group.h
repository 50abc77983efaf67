/* sotto-group.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-group-event.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_GROUP (sotto_group_get_type ())

G_DECLARE_FINAL_TYPE (SottoGroup, sotto_group, SOTTO, GROUP, GObject)

const char *sotto_group_get_id                (SottoGroup *self);
const char *sotto_group_get_title             (SottoGroup *self);
guint64     sotto_group_get_version           (SottoGroup *self);
gboolean    sotto_group_get_is_member         (SottoGroup *self);
gboolean    sotto_group_get_is_admin          (SottoGroup *self);
gboolean    sotto_group_get_request           (SottoGroup *self);
gboolean    sotto_group_get_outdated          (SottoGroup *self);
char       *sotto_group_dup_inviter           (SottoGroup *self) G_GNUC_WARN_UNUSED_RESULT;
char       *sotto_group_dup_inviter_name      (SottoGroup *self) G_GNUC_WARN_UNUSED_RESULT;
GListModel *sotto_group_get_members           (SottoGroup *self);
gboolean    sotto_group_member_is_admin       (SottoGroup *self,
                                               const char *uuid);
GLoadableIcon *sotto_group_get_avatar         (SottoGroup *self);
char       *sotto_group_dup_avatar_digest     (SottoGroup *self) G_GNUC_WARN_UNUSED_RESULT;
const SottoGroupEvent *sotto_group_get_last_event (SottoGroup *self);
gint64      sotto_group_get_last_activity     (SottoGroup *self);
guint       sotto_group_get_unread_count      (SottoGroup *self);
GStrv       sotto_group_dup_member_names      (SottoGroup *self,
                                               gboolean    admins_only) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
