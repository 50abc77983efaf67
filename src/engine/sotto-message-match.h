/* sotto-message-match.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "sotto-engine-types.h"
#include "sotto-group.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_MESSAGE_MATCH (sotto_message_match_get_type ())

G_DECLARE_FINAL_TYPE (SottoMessageMatch, sotto_message_match, SOTTO, MESSAGE_MATCH, GObject)

SottoConversation *sotto_message_match_get_conversation (SottoMessageMatch *self);
guint              sotto_message_match_get_position     (SottoMessageMatch *self);
gint64             sotto_message_match_get_sent_at      (SottoMessageMatch *self);
const char        *sotto_message_match_get_text         (SottoMessageMatch *self);
SottoGroup        *sotto_message_match_get_group        (SottoMessageMatch *self);
const char        *sotto_message_match_get_message_id   (SottoMessageMatch *self);
const char        *sotto_message_match_get_author       (SottoMessageMatch *self);
const char        *sotto_message_match_get_author_name  (SottoMessageMatch *self);

G_END_DECLS
