/* sotto-new-conversation-dialog.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SOTTO_TYPE_NEW_CONVERSATION_DIALOG (sotto_new_conversation_dialog_get_type ())

G_DECLARE_FINAL_TYPE (SottoNewConversationDialog, sotto_new_conversation_dialog, SOTTO, NEW_CONVERSATION_DIALOG,
                      AdwMessageDialog)

SottoNewConversationDialog *sotto_new_conversation_dialog_new        (GtkWindow                  *transient_for);
void                        sotto_new_conversation_dialog_show_error (SottoNewConversationDialog *self,
                                                                      const char                 *message);

G_END_DECLS
