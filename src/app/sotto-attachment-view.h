/* sotto-attachment-view.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "sotto-message.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_ATTACHMENT_VIEW (sotto_attachment_view_get_type ())

G_DECLARE_FINAL_TYPE (SottoAttachmentView, sotto_attachment_view, SOTTO, ATTACHMENT_VIEW, GtkWidget)

void  sotto_attachment_view_set_message      (SottoAttachmentView *self,
                                             SottoMessage        *message);
char *sotto_attachment_view_dup_description (SottoAttachmentView *self) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
