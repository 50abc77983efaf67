/* sotto-request-bar.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "sotto-conversation.h"
#include "sotto-group.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_REQUEST_BAR (sotto_request_bar_get_type ())

G_DECLARE_FINAL_TYPE (SottoRequestBar, sotto_request_bar, SOTTO, REQUEST_BAR, GtkWidget)

SottoConversation *sotto_request_bar_get_conversation (SottoRequestBar   *self);
void               sotto_request_bar_set_conversation (SottoRequestBar   *self,
                                                       SottoConversation *conversation);
SottoGroup        *sotto_request_bar_get_group        (SottoRequestBar   *self);
void               sotto_request_bar_set_group        (SottoRequestBar   *self,
                                                       SottoGroup        *group);

G_END_DECLS
