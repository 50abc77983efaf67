/* sotto-message-notifier.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "sotto-conversation.h"
#include "sotto-group-list.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_MESSAGE_NOTIFIER (sotto_message_notifier_get_type ())

G_DECLARE_FINAL_TYPE (SottoMessageNotifier, sotto_message_notifier, SOTTO, MESSAGE_NOTIFIER, GObject)

SottoMessageNotifier *sotto_message_notifier_new              (GtkWidget            *widget,
                                                               GSettings            *settings) G_GNUC_WARN_UNUSED_RESULT;
void                  sotto_message_notifier_tell_message     (SottoMessageNotifier *self,
                                                               SottoConversation    *conversation,
                                                               SottoMessage         *message);
void                  sotto_message_notifier_tell_group_event (SottoMessageNotifier *self,
                                                               SottoGroup           *group,
                                                               SottoGroupEvent      *event);
void                  sotto_message_notifier_withdraw         (SottoMessageNotifier *self,
                                                               SottoConversation    *conversation);

G_END_DECLS
