/* sotto-timer-menu.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "sotto-conversation.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_TIMER_MENU (sotto_timer_menu_get_type ())

G_DECLARE_FINAL_TYPE (SottoTimerMenu, sotto_timer_menu, SOTTO, TIMER_MENU, GtkWidget)

GtkWidget         *sotto_timer_menu_new              (void);
SottoConversation *sotto_timer_menu_get_conversation (SottoTimerMenu    *self);
void               sotto_timer_menu_set_conversation (SottoTimerMenu    *self,
                                                      SottoConversation *conversation);

G_END_DECLS
