/* sotto-group-view.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "sotto-group-list.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_GROUP_VIEW (sotto_group_view_get_type ())

G_DECLARE_FINAL_TYPE (SottoGroupView, sotto_group_view, SOTTO, GROUP_VIEW, GtkWidget)

SottoGroup *sotto_group_view_get_group     (SottoGroupView *self);
void        sotto_group_view_set_group     (SottoGroupView *self,
                                            SottoGroupList *groups,
                                            SottoGroup     *group);
void        sotto_group_view_focus_composer (SottoGroupView *self);
void        sotto_group_view_show_message  (SottoGroupView *self,
                                            const char     *author,
                                            const char     *id,
                                            guint           newer);
guint       sotto_group_view_sender_color  (const char     *uuid);

G_END_DECLS
