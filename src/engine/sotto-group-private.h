/* sotto-group-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-conversation-list.h"
#include "sotto-group-state-private.h"
#include "sotto-group.h"

G_BEGIN_DECLS

SottoGroup      *_sotto_group_new       (const char            *id) G_GNUC_WARN_UNUSED_RESULT;
void             _sotto_group_set_state (SottoGroup            *self,
                                         SottoGroupState       *state,
                                         const char            *own_uuid,
                                         const char            *own_username,
                                         SottoConversationList *conversations);
SottoGroupState *_sotto_group_get_state (SottoGroup            *self);
void             _sotto_group_set_last_event (SottoGroup       *self,
                                         const SottoGroupEvent *event);
void             _sotto_group_set_unread_count (SottoGroup     *self,
                                         guint                  unread_count);
char            *_sotto_group_member_name (SottoGroup          *self,
                                         const char            *uuid) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
