/* sotto-messenger.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-attachment.h"
#include "sotto-engine-types.h"
#include "sotto-group-list.h"
#include "sotto-relay-error.h"

G_BEGIN_DECLS

#define SOTTO_MESSENGER_ERROR (sotto_messenger_error_quark ())

/**
 * SottoMessengerError:
 * @SOTTO_MESSENGER_ERROR_FAILED: the message could not be sent and will
 *   not be tried again
 * @SOTTO_MESSENGER_ERROR_HELD: the contact's verified safety number
 *   changed; the message waits until the user verifies or accepts it
 * @SOTTO_MESSENGER_ERROR_QUEUED: the relay could not take the message now;
 *   it stays in the outbox and is sent later
 * @SOTTO_MESSENGER_ERROR_UNKNOWN_CONTACT: no account has this username
 * @SOTTO_MESSENGER_ERROR_REGISTERED: the profile has an account already
 * @SOTTO_MESSENGER_ERROR_TRUST_ROOT_CHANGED: the relay presents a sealed
 *   sender trust root other than the one pinned; it is not taken
 */
typedef enum
{
  SOTTO_MESSENGER_ERROR_FAILED,
  SOTTO_MESSENGER_ERROR_HELD,
  SOTTO_MESSENGER_ERROR_QUEUED,
  SOTTO_MESSENGER_ERROR_UNKNOWN_CONTACT,
  SOTTO_MESSENGER_ERROR_REGISTERED,
  SOTTO_MESSENGER_ERROR_TRUST_ROOT_CHANGED,
} SottoMessengerError;

/* The longest display name of a profile, in bytes of UTF-8, and the
 * largest avatar image. */
#define SOTTO_PROFILE_MAX_NAME 256
#define SOTTO_PROFILE_MAX_AVATAR (1024 * 1024)

#define SOTTO_TYPE_MESSENGER (sotto_messenger_get_type ())

G_DECLARE_FINAL_TYPE (SottoMessenger, sotto_messenger, SOTTO, MESSENGER, GObject)

GQuark                 sotto_messenger_error_quark              (void);

gboolean               sotto_messenger_username_is_valid        (const char           *username);
void                   sotto_messenger_register_async           (SottoStore           *store,
                                                                 const char           *relay_url,
                                                                 const char           *username,
                                                                 const char           *token,
                                                                 const char           *relay_ca,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
SottoMessenger        *sotto_messenger_register_finish          (GAsyncResult         *result,
                                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void                   sotto_messenger_load_async               (SottoStore           *store,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
SottoMessenger        *sotto_messenger_load_finish              (GAsyncResult         *result,
                                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;

SottoAccount          *sotto_messenger_get_account              (SottoMessenger       *self);
SottoConversationList *sotto_messenger_get_conversations        (SottoMessenger       *self);
SottoGroupList        *sotto_messenger_get_groups               (SottoMessenger       *self);
SottoRelayConnection   sotto_messenger_get_connection           (SottoMessenger       *self);
gboolean               sotto_messenger_get_drained              (SottoMessenger       *self);
guint                  sotto_messenger_get_outbox_size          (SottoMessenger       *self);

void                   sotto_messenger_start                    (SottoMessenger       *self);
void                   sotto_messenger_stop                     (SottoMessenger       *self);

void                   sotto_messenger_open_conversation_async  (SottoMessenger       *self,
                                                                 const char           *username,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
SottoConversation     *sotto_messenger_open_conversation_finish (SottoMessenger       *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void                   sotto_messenger_accept_async             (SottoMessenger       *self,
                                                                 SottoConversation    *conversation,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
gboolean               sotto_messenger_accept_finish            (SottoMessenger       *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);
void                   sotto_messenger_block_async              (SottoMessenger       *self,
                                                                 SottoConversation    *conversation,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
gboolean               sotto_messenger_block_finish             (SottoMessenger       *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);
void                   sotto_messenger_unblock_async            (SottoMessenger       *self,
                                                                 SottoConversation    *conversation,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
gboolean               sotto_messenger_unblock_finish           (SottoMessenger       *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);
GListModel            *sotto_messenger_dup_blocked              (SottoMessenger       *self) G_GNUC_WARN_UNUSED_RESULT;
void                   sotto_messenger_delete_request_async     (SottoMessenger       *self,
                                                                 SottoConversation    *conversation,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
gboolean               sotto_messenger_delete_request_finish    (SottoMessenger       *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);
void                   sotto_messenger_send_async               (SottoMessenger       *self,
                                                                 SottoConversation    *conversation,
                                                                 const char           *text,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
gboolean               sotto_messenger_send_finish              (SottoMessenger       *self,
                                                                 GAsyncResult         *result,
                                                                 SottoMessage        **message,
                                                                 GError              **error);
void                   sotto_messenger_flush_async              (SottoMessenger       *self,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
gboolean               sotto_messenger_flush_finish             (SottoMessenger       *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);
void                   sotto_messenger_fetch_identity_async     (SottoMessenger       *self,
                                                                 SottoConversation    *conversation,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
gboolean               sotto_messenger_fetch_identity_finish    (SottoMessenger       *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);
void                   sotto_messenger_mark_read_async          (SottoMessenger       *self,
                                                                 SottoConversation    *conversation,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
gboolean               sotto_messenger_mark_read_finish         (SottoMessenger       *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);
void                   sotto_messenger_mark_messages_read_async (SottoMessenger       *self,
                                                                 SottoConversation    *conversation,
                                                                 const char * const   *ids,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
void                   sotto_messenger_refresh_keys_async       (SottoMessenger       *self,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
gboolean               sotto_messenger_refresh_keys_finish      (SottoMessenger       *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);
void                   sotto_messenger_reset_identity_async     (SottoMessenger       *self,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
gboolean               sotto_messenger_reset_identity_finish    (SottoMessenger       *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);

/* Replies, reactions, edits and deletion for everyone
 * (sotto-message-actions.c) */
void                   sotto_messenger_reply_async              (SottoMessenger       *self,
                                                                 SottoConversation    *conversation,
                                                                 const char           *message_id,
                                                                 const char           *text,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
gboolean               sotto_messenger_reply_finish             (SottoMessenger       *self,
                                                                 GAsyncResult         *result,
                                                                 SottoMessage        **message,
                                                                 GError              **error);
void                   sotto_messenger_react_async              (SottoMessenger       *self,
                                                                 SottoConversation    *conversation,
                                                                 const char           *message_id,
                                                                 const char           *emoji,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
void                   sotto_messenger_edit_async               (SottoMessenger       *self,
                                                                 SottoConversation    *conversation,
                                                                 const char           *message_id,
                                                                 const char           *text,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
void                   sotto_messenger_delete_for_everyone_async (SottoMessenger      *self,
                                                                 SottoConversation    *conversation,
                                                                 const char           *message_id,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
char                  *sotto_messenger_change_finish            (SottoMessenger       *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;
GPtrArray             *sotto_messenger_load_edits_finish        (SottoMessenger       *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void                   sotto_messenger_load_edits_async         (SottoMessenger       *self,
                                                                 SottoConversation    *conversation,
                                                                 const char           *message_id,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
void                   sotto_messenger_set_profile_async        (SottoMessenger       *self,
                                                                 const char           *name,
                                                                 GBytes               *avatar,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
gboolean               sotto_messenger_set_profile_finish       (SottoMessenger       *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);
void                   sotto_messenger_load_profile_async       (SottoMessenger       *self,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
gboolean               sotto_messenger_load_profile_finish      (SottoMessenger       *self,
                                                                 GAsyncResult         *result,
                                                                 char                **name,
                                                                 GBytes              **avatar,
                                                                 GError              **error);

/* Attachments (sotto-messenger-attachments.c) */
void                   sotto_messenger_send_with_attachments_async  (SottoMessenger      *self,
                                                                     SottoConversation   *conversation,
                                                                     const char          *text,
                                                                     GFile * const       *files,
                                                                     guint                n_files,
                                                                     GCancellable        *cancellable,
                                                                     GAsyncReadyCallback  callback,
                                                                     gpointer             user_data);
gboolean               sotto_messenger_send_with_attachments_finish (SottoMessenger      *self,
                                                                     GAsyncResult        *result,
                                                                     SottoMessage       **message,
                                                                     GError             **error);
void                   sotto_messenger_download_attachment_async    (SottoMessenger      *self,
                                                                     SottoAttachment     *attachment,
                                                                     GCancellable        *cancellable,
                                                                     GAsyncReadyCallback  callback,
                                                                     gpointer             user_data);
gboolean               sotto_messenger_download_attachment_finish   (SottoMessenger      *self,
                                                                     GAsyncResult        *result,
                                                                     GError             **error);
void                   sotto_messenger_retry_upload_async           (SottoMessenger      *self,
                                                                     SottoAttachment     *attachment,
                                                                     GCancellable        *cancellable,
                                                                     GAsyncReadyCallback  callback,
                                                                     gpointer             user_data);
gboolean               sotto_messenger_retry_upload_finish          (SottoMessenger      *self,
                                                                     GAsyncResult        *result,
                                                                     GError             **error);
void                   sotto_messenger_export_attachment_async      (SottoMessenger      *self,
                                                                     SottoAttachment     *attachment,
                                                                     GFile               *dir,
                                                                     GCancellable        *cancellable,
                                                                     GAsyncReadyCallback  callback,
                                                                     gpointer             user_data);
GFile                 *sotto_messenger_export_attachment_finish     (SottoMessenger      *self,
                                                                     GAsyncResult        *result,
                                                                     char               **sha256_hex,
                                                                     GError             **error) G_GNUC_WARN_UNUSED_RESULT;
void                   sotto_messenger_save_attachment_async        (SottoMessenger      *self,
                                                                     SottoAttachment     *attachment,
                                                                     GFile               *dir,
                                                                     GCancellable        *cancellable,
                                                                     GAsyncReadyCallback  callback,
                                                                     gpointer             user_data);
GFile                 *sotto_messenger_save_attachment_finish       (SottoMessenger      *self,
                                                                     GAsyncResult        *result,
                                                                     char               **sha256_hex,
                                                                     GError             **error) G_GNUC_WARN_UNUSED_RESULT;
void                   sotto_messenger_sweep_download_folder        (SottoMessenger      *self,
                                                                     GFile               *dir);

gboolean               sotto_messenger_trust_root_is_valid      (const char           *trust_root);
void                   sotto_messenger_pin_trust_root_async     (SottoMessenger       *self,
                                                                 const char           *trust_root,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
gboolean               sotto_messenger_pin_trust_root_finish    (SottoMessenger       *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);
char                  *sotto_messenger_dup_trust_root           (SottoMessenger       *self) G_GNUC_WARN_UNUSED_RESULT;
const char            *sotto_messenger_get_trust_root_conflict  (SottoMessenger       *self);
void                   sotto_messenger_check_trust_root_async   (SottoMessenger       *self,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
gboolean               sotto_messenger_check_trust_root_finish  (SottoMessenger       *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);

gboolean               sotto_messenger_timer_is_valid           (guint                 seconds);
void                   sotto_messenger_set_timer_async          (SottoMessenger       *self,
                                                                 SottoConversation    *conversation,
                                                                 guint                 seconds,
                                                                 GCancellable         *cancellable,
                                                                 GAsyncReadyCallback   callback,
                                                                 gpointer              user_data);
gboolean               sotto_messenger_set_timer_finish         (SottoMessenger       *self,
                                                                 GAsyncResult         *result,
                                                                 GError              **error);

void                   sotto_messenger_set_composing            (SottoMessenger       *self,
                                                                 SottoConversation    *conversation,
                                                                 gboolean              composing);

G_END_DECLS
