/* sotto-message-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-message.h"
#include "sotto-records-private.h"

G_BEGIN_DECLS

SottoMessage *_sotto_message_new             (const char            *id,
                                              SottoMessageDirection  direction,
                                              SottoMessageKind       kind,
                                              SottoMessageState      state,
                                              gint64                 sent_at,
                                              gint64                 received_at,
                                              const char            *body) G_GNUC_WARN_UNUSED_RESULT;
SottoMessage *_sotto_message_new_from_record (const SottoMessageRecord *record) G_GNUC_WARN_UNUSED_RESULT;
SottoMessageRecord *_sotto_message_to_record (SottoMessage         *self) G_GNUC_WARN_UNUSED_RESULT;
SottoMessage *_sotto_message_new_placeholder (guint                  position) G_GNUC_WARN_UNUSED_RESULT;
guint         _sotto_message_get_position    (SottoMessage          *self);
void          _sotto_message_set_position    (SottoMessage          *self,
                                              guint                  position);
void          _sotto_message_fill            (SottoMessage          *self,
                                              const SottoMessageRecord *loaded);
void          _sotto_message_set_state       (SottoMessage          *self,
                                              SottoMessageState      state);
void          _sotto_message_set_sealed      (SottoMessage          *self,
                                              gboolean               sealed);
void          _sotto_message_update          (SottoMessage          *self,
                                              const SottoMessageRecord *record);

G_END_DECLS
