/* sotto-message-match-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-message-match.h"

G_BEGIN_DECLS

SottoMessageMatch *_sotto_message_match_new (SottoConversation *conversation,
                                             guint              position,
                                             gint64             sent_at,
                                             char              *text) G_GNUC_WARN_UNUSED_RESULT;
SottoMessageMatch *_sotto_message_match_new_in_group (SottoGroup *group,
                                                      guint       newer,
                                                      gint64      sent_at,
                                                      char       *text,
                                                      const char *message_id,
                                                      const char *author,
                                                      const char *author_name) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
