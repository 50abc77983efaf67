/* sotto-attachment-tray.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "sotto-conversation.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_ATTACHMENT_TRAY (sotto_attachment_tray_get_type ())

G_DECLARE_FINAL_TYPE (SottoAttachmentTray, sotto_attachment_tray, SOTTO, ATTACHMENT_TRAY, GtkWidget)

/* As the engine takes them in one message. */
#define SOTTO_ATTACHMENT_TRAY_MAX_FILES 32

void               sotto_attachment_tray_set_composer     (SottoAttachmentTray *self,
                                                           GtkWidget           *view,
                                                           GtkTextView         *text_view);
SottoConversation *sotto_attachment_tray_get_conversation (SottoAttachmentTray *self);
void               sotto_attachment_tray_set_conversation (SottoAttachmentTray *self,
                                                           SottoConversation   *conversation);
guint              sotto_attachment_tray_get_n_files      (SottoAttachmentTray *self);
GFile             *sotto_attachment_tray_get_file         (SottoAttachmentTray *self,
                                                           guint                position);
gboolean           sotto_attachment_tray_add_file         (SottoAttachmentTray *self,
                                                           GFile               *file);
void               sotto_attachment_tray_send             (SottoAttachmentTray *self,
                                                           const char          *caption);

G_END_DECLS
