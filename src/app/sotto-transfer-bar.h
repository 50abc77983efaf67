/* sotto-transfer-bar.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "sotto-attachment.h"
#include "sotto-message.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_TRANSFER_BAR (sotto_transfer_bar_get_type ())

G_DECLARE_FINAL_TYPE (SottoTransferBar, sotto_transfer_bar, SOTTO, TRANSFER_BAR, GtkWidget)

GtkWidget            *sotto_transfer_bar_new             (void);
void                  sotto_transfer_bar_set_attachment  (SottoTransferBar *self,
                                                          SottoAttachment  *attachment,
                                                          SottoMessage     *message);
SottoAttachmentState  sotto_transfer_bar_get_state       (SottoTransferBar *self);
double                sotto_transfer_bar_get_fraction    (SottoTransferBar *self);

G_END_DECLS
