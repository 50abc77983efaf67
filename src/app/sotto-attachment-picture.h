/* sotto-attachment-picture.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "sotto-attachment.h"
#include "sotto-message.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_ATTACHMENT_PICTURE (sotto_attachment_picture_get_type ())

G_DECLARE_FINAL_TYPE (SottoAttachmentPicture, sotto_attachment_picture, SOTTO, ATTACHMENT_PICTURE, GtkWidget)

GtkWidget       *sotto_attachment_picture_new            (SottoAttachment        *attachment,
                                                          SottoMessage           *message);
SottoAttachment *sotto_attachment_picture_get_attachment (SottoAttachmentPicture *self);
GdkPaintable    *sotto_attachment_picture_get_thumbnail  (SottoAttachmentPicture *self);
gboolean         sotto_attachment_picture_is_thumbnail   (SottoAttachmentPicture *self,
                                                          GtkWidget              *button);

G_END_DECLS
