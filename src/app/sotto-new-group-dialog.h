/* sotto-new-group-dialog.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "sotto-conversation-list.h"
#include "sotto-group-list.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_NEW_GROUP_DIALOG (sotto_new_group_dialog_get_type ())

G_DECLARE_FINAL_TYPE (SottoNewGroupDialog, sotto_new_group_dialog, SOTTO, NEW_GROUP_DIALOG, AdwWindow)

SottoNewGroupDialog *sotto_new_group_dialog_new (GtkWindow             *transient_for,
                                                 SottoConversationList *conversations,
                                                 SottoGroupList        *groups) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
