/* sotto-message-row.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "sotto-conversation.h"
#include "sotto-message.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_MESSAGE_ROW (sotto_message_row_get_type ())

G_DECLARE_FINAL_TYPE (SottoMessageRow, sotto_message_row, SOTTO, MESSAGE_ROW, GtkWidget)

GtkWidget    *sotto_message_row_new          (void);
SottoMessage *sotto_message_row_get_message  (SottoMessageRow *self);
void          sotto_message_row_set_message  (SottoMessageRow *self,
                                              SottoMessage    *message,
                                              const char      *contact_name,
                                              SottoMessage    *previous);
void          sotto_message_row_set_conversation (SottoMessageRow   *self,
                                                  SottoConversation *conversation);
void          sotto_message_row_set_in_group (SottoMessageRow *self,
                                              gboolean         in_group);
void          sotto_message_row_set_first_unread (SottoMessageRow *self,
                                                  gboolean         first_unread);
void          sotto_message_row_set_offline  (SottoMessageRow *self,
                                              gboolean         offline);

G_END_DECLS
