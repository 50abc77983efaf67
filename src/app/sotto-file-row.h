/* sotto-file-row.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "sotto-attachment.h"
#include "sotto-message.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_FILE_ROW (sotto_file_row_get_type ())

G_DECLARE_FINAL_TYPE (SottoFileRow, sotto_file_row, SOTTO, FILE_ROW, GtkWidget)

GtkWidget       *sotto_file_row_new            (SottoAttachment *attachment,
                                                SottoMessage    *message);
SottoAttachment *sotto_file_row_get_attachment (SottoFileRow    *self);

G_END_DECLS
