/* sotto-typing-indicator.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "sotto-engine.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_TYPING_INDICATOR (sotto_typing_indicator_get_type ())

G_DECLARE_FINAL_TYPE (SottoTypingIndicator, sotto_typing_indicator, SOTTO, TYPING_INDICATOR, GtkWidget)

SottoConversation *sotto_typing_indicator_get_conversation (SottoTypingIndicator *self);
void               sotto_typing_indicator_set_conversation (SottoTypingIndicator *self,
                                                            SottoConversation    *conversation);
const char        *sotto_typing_indicator_get_text         (SottoTypingIndicator *self);

G_END_DECLS
