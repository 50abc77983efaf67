/* sotto-accessible.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

void sotto_accessible_name_mnemonic_button  (GtkButton           *button);
void sotto_accessible_name_mnemonic_buttons (GtkWidget           *root);
void sotto_accessible_name_page_scrollers   (GtkWidget           *root);
void sotto_accessible_name_list_item        (GtkWidget           *row);
void sotto_accessible_name_list_item_after (GtkWidget           *child,
                                            GtkWidget           *row);
void sotto_accessible_reach_window_controls (GtkWidget           *root);
void sotto_accessible_set_up_password_toggle (AdwPasswordEntryRow *row);
void sotto_accessible_label_field           (GtkWidget           *field,
                                             const char          *label);
void sotto_accessible_describe_field        (GtkWidget           *field,
                                             GtkWidget           *description);
void sotto_accessible_single_tab_stop       (GtkWidget           *list);
void sotto_accessible_quiet_menu_tooltip    (GtkMenuButton       *button);
void sotto_accessible_set_description       (GtkWidget           *widget,
                                             const char          *description);
void sotto_accessible_announce              (GtkWidget           *widget,
                                             const char          *message);

G_END_DECLS
