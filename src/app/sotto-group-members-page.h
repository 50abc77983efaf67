/* sotto-group-members-page.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "sotto-group-list.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_GROUP_MEMBERS_PAGE (sotto_group_members_page_get_type ())

G_DECLARE_FINAL_TYPE (SottoGroupMembersPage, sotto_group_members_page, SOTTO, GROUP_MEMBERS_PAGE, AdwWindow)

SottoGroupMembersPage *sotto_group_members_page_new       (GtkWindow             *transient_for,
                                                           SottoGroupList        *groups,
                                                           SottoGroup            *group) G_GNUC_WARN_UNUSED_RESULT;
SottoGroup            *sotto_group_members_page_get_group (SottoGroupMembersPage *self);
void                   sotto_group_members_page_set_avatar_file (SottoGroupMembersPage *self,
                                                                 GFile                 *file);

G_END_DECLS
