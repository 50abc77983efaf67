/* sotto-new-group-dialog.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "sotto-group.h"
#include "sotto-messenger.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_NEW_GROUP_DIALOG (sotto_new_group_dialog_get_type ())

G_DECLARE_FINAL_TYPE (SottoNewGroupDialog, sotto_new_group_dialog, SOTTO, NEW_GROUP_DIALOG, AdwWindow)

SottoNewGroupDialog *sotto_new_group_dialog_new      (GtkWindow           *transient_for,
                                                      SottoMessenger      *messenger) G_GNUC_WARN_UNUSED_RESULT;
void                 sotto_new_group_dialog_look_for (SottoNewGroupDialog *self,
                                                      const char          *text);

G_END_DECLS
