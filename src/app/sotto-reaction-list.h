/* sotto-reaction-list.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SOTTO_TYPE_REACTION_LIST (sotto_reaction_list_get_type ())

G_DECLARE_FINAL_TYPE (SottoReactionList, sotto_reaction_list, SOTTO, REACTION_LIST, GtkWidget)

void        sotto_reaction_list_set_reactions (SottoReactionList *self,
                                               const char        *reactions,
                                               const char        *reactors);
const char *sotto_reaction_list_get_reactors  (SottoReactionList *self);

G_END_DECLS
