/* sotto-message.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-engine-types.h"

G_BEGIN_DECLS

/* The longest text a message carries, in bytes of UTF-8. */
#define SOTTO_MESSAGE_MAX_TEXT (64 * 1024)

#define SOTTO_TYPE_MESSAGE (sotto_message_get_type ())

G_DECLARE_FINAL_TYPE (SottoMessage, sotto_message, SOTTO, MESSAGE, GObject)

const char            *sotto_message_get_id           (SottoMessage          *self);
SottoMessageDirection  sotto_message_get_direction    (SottoMessage          *self);
SottoMessageKind       sotto_message_get_kind         (SottoMessage          *self);
const char            *sotto_message_get_body         (SottoMessage          *self);
SottoMessageState      sotto_message_get_state        (SottoMessage          *self);
gboolean               sotto_message_get_sealed       (SottoMessage          *self);
gboolean               sotto_message_get_disappears   (SottoMessage          *self);
gint64                 sotto_message_get_sent_at      (SottoMessage          *self);
gint64                 sotto_message_get_received_at  (SottoMessage          *self);
gboolean               sotto_message_get_loaded       (SottoMessage          *self);
gboolean               sotto_message_get_edited       (SottoMessage          *self);
gboolean               sotto_message_get_deleted      (SottoMessage          *self);
const char            *sotto_message_get_quote_id     (SottoMessage          *self);
const char            *sotto_message_get_quote_author (SottoMessage          *self);
const char            *sotto_message_get_quote_text   (SottoMessage          *self);
const char            *sotto_message_get_my_reaction  (SottoMessage          *self);
const char            *sotto_message_get_their_reaction (SottoMessage        *self);
gboolean               sotto_message_can_change_for_everyone (SottoMessage   *self);
GListModel            *sotto_message_get_attachments  (SottoMessage          *self);
gboolean               sotto_message_state_can_change (SottoMessageDirection  direction,
                                                       SottoMessageState      from,
                                                       SottoMessageState      to);

G_END_DECLS
