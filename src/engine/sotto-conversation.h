/* sotto-conversation.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-engine-types.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_CONVERSATION (sotto_conversation_get_type ())

G_DECLARE_FINAL_TYPE (SottoConversation, sotto_conversation, SOTTO, CONVERSATION, GObject)

SottoContact *sotto_conversation_get_contact              (SottoConversation    *self);
GListModel   *sotto_conversation_get_messages             (SottoConversation    *self);
guint         sotto_conversation_get_unread_count         (SottoConversation    *self);
const char   *sotto_conversation_get_last_message_preview (SottoConversation    *self);
gint64        sotto_conversation_get_last_activity        (SottoConversation    *self);
gboolean      sotto_conversation_get_sending_held         (SottoConversation    *self);
const char   *sotto_conversation_get_draft                (SottoConversation    *self);
guint         sotto_conversation_get_timer                (SottoConversation    *self);
gboolean      sotto_conversation_get_peer_typing          (SottoConversation    *self);
void          sotto_conversation_delete_message_async     (SottoConversation    *self,
                                                           const char           *id,
                                                           GCancellable         *cancellable,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
gboolean      sotto_conversation_delete_message_finish    (SottoConversation    *self,
                                                           GAsyncResult         *result,
                                                           GError              **error);
void          sotto_conversation_find_message_async       (SottoConversation    *self,
                                                           const char           *id,
                                                           GCancellable         *cancellable,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
gboolean      sotto_conversation_find_message_finish      (SottoConversation    *self,
                                                           GAsyncResult         *result,
                                                           guint                *position,
                                                           GError              **error);
void          sotto_conversation_save_draft_async         (SottoConversation    *self,
                                                           const char           *text,
                                                           GCancellable         *cancellable,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
gboolean      sotto_conversation_save_draft_finish        (SottoConversation    *self,
                                                           GAsyncResult         *result,
                                                           GError              **error);
void          sotto_conversation_compose_async            (SottoConversation    *self,
                                                           const char           *text,
                                                           GCancellable         *cancellable,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
SottoMessage *sotto_conversation_compose_finish           (SottoConversation    *self,
                                                           GAsyncResult         *result,
                                                           GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void          sotto_conversation_receive_async            (SottoConversation    *self,
                                                           const char           *id,
                                                           const char           *text,
                                                           gint64                sent_at,
                                                           GCancellable         *cancellable,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
SottoMessage *sotto_conversation_receive_finish           (SottoConversation    *self,
                                                           GAsyncResult         *result,
                                                           GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void          sotto_conversation_set_message_state_async  (SottoConversation    *self,
                                                           const char           *id,
                                                           SottoMessageState     state,
                                                           GCancellable         *cancellable,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
gboolean      sotto_conversation_set_message_state_finish (SottoConversation    *self,
                                                           GAsyncResult         *result,
                                                           GError              **error);
void          sotto_conversation_mark_read_async          (SottoConversation    *self,
                                                           GCancellable         *cancellable,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
GStrv         sotto_conversation_mark_read_finish         (SottoConversation    *self,
                                                           GAsyncResult         *result,
                                                           GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void          sotto_conversation_mark_messages_read_async (SottoConversation    *self,
                                                           const char * const   *ids,
                                                           GCancellable         *cancellable,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
void          sotto_conversation_set_identity_key_async   (SottoConversation    *self,
                                                           GBytes               *identity_key,
                                                           GCancellable         *cancellable,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
gboolean      sotto_conversation_set_identity_key_finish  (SottoConversation    *self,
                                                           GAsyncResult         *result,
                                                           GError              **error);

G_END_DECLS
