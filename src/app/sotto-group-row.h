/* sotto-group-row.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "sotto-group.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_GROUP_ROW (sotto_group_row_get_type ())

G_DECLARE_FINAL_TYPE (SottoGroupRow, sotto_group_row, SOTTO, GROUP_ROW, GtkWidget)

GtkWidget  *sotto_group_row_new       (void);
SottoGroup *sotto_group_row_get_group (SottoGroupRow *self);
void        sotto_group_row_set_group (SottoGroupRow *self,
                                       SottoGroup    *group);

G_END_DECLS
