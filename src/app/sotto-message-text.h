/* sotto-message-text.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-message.h"

G_BEGIN_DECLS

char *sotto_message_dup_shown_text (SottoMessage *message) G_GNUC_WARN_UNUSED_RESULT;
char *sotto_message_dup_quote      (SottoMessage *message) G_GNUC_WARN_UNUSED_RESULT;
char *sotto_message_dup_reactions  (SottoMessage *message) G_GNUC_WARN_UNUSED_RESULT;
char *sotto_message_dup_reactors   (SottoMessage *message,
                                    const char   *contact_name) G_GNUC_WARN_UNUSED_RESULT;

char *sotto_message_text_dup_markup (const char *text,
                                     gboolean    links) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
