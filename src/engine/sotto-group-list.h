/* sotto-group-list.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-account.h"
#include "sotto-group.h"
#include "sotto-group-event.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_GROUP_LIST (sotto_group_list_get_type ())

G_DECLARE_FINAL_TYPE (SottoGroupList, sotto_group_list, SOTTO, GROUP_LIST, GObject)

void        sotto_group_list_load_async           (SottoGroupList       *self,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean    sotto_group_list_load_finish          (SottoGroupList       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
SottoAccount *sotto_group_list_get_account       (SottoGroupList       *self);
SottoGroup *sotto_group_list_find                 (SottoGroupList       *self,
                                                   const char           *id);
void        sotto_group_list_create_async         (SottoGroupList       *self,
                                                   const char           *title,
                                                   const char * const   *usernames,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
SottoGroup *sotto_group_list_create_finish        (SottoGroupList       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void        sotto_group_list_add_member_async     (SottoGroupList       *self,
                                                   SottoGroup           *group,
                                                   const char           *username,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
void        sotto_group_list_remove_member_async  (SottoGroupList       *self,
                                                   SottoGroup           *group,
                                                   const char           *username,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
void        sotto_group_list_set_admin_async      (SottoGroupList       *self,
                                                   SottoGroup           *group,
                                                   const char           *username,
                                                   gboolean              admin,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
void        sotto_group_list_leave_async          (SottoGroupList       *self,
                                                   SottoGroup           *group,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
void        sotto_group_list_rename_async         (SottoGroupList       *self,
                                                   SottoGroup           *group,
                                                   const char           *title,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
void        sotto_group_list_set_avatar_async     (SottoGroupList       *self,
                                                   SottoGroup           *group,
                                                   GFile                *file,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean    sotto_group_list_set_avatar_finish    (SottoGroupList       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
gboolean    sotto_group_list_change_finish        (SottoGroupList       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
void        sotto_group_list_accept_async         (SottoGroupList       *self,
                                                   SottoGroup           *group,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
void        sotto_group_list_decline_async        (SottoGroupList       *self,
                                                   SottoGroup           *group,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
void        sotto_group_list_block_async          (SottoGroupList       *self,
                                                   SottoGroup           *group,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean    sotto_group_list_answer_finish        (SottoGroupList       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
void        sotto_group_list_send_async           (SottoGroupList       *self,
                                                   SottoGroup           *group,
                                                   const char           *text,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
SottoGroupEvent *sotto_group_list_send_finish     (SottoGroupList       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void        sotto_group_list_retry_async          (SottoGroupList       *self,
                                                   SottoGroup           *group,
                                                   const SottoGroupEvent *message,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
SottoGroupEvent *sotto_group_list_retry_finish    (SottoGroupList       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void        sotto_group_list_reply_async          (SottoGroupList       *self,
                                                   SottoGroup           *group,
                                                   const char           *author,
                                                   const char           *message_id,
                                                   const char           *text,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
void        sotto_group_list_react_async          (SottoGroupList       *self,
                                                   SottoGroup           *group,
                                                   const char           *author,
                                                   const char           *message_id,
                                                   const char           *emoji,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
void        sotto_group_list_edit_async           (SottoGroupList       *self,
                                                   SottoGroup           *group,
                                                   const char           *message_id,
                                                   const char           *text,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
void        sotto_group_list_delete_for_everyone_async (SottoGroupList  *self,
                                                   SottoGroup           *group,
                                                   const char           *message_id,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
void        sotto_group_list_load_events_async    (SottoGroupList       *self,
                                                   SottoGroup           *group,
                                                   guint                 limit,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
GPtrArray  *sotto_group_list_load_events_finish   (SottoGroupList       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void        sotto_group_list_mark_read_async      (SottoGroupList       *self,
                                                   SottoGroup           *group,
                                                   const SottoGroupEvent *up_to,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean    sotto_group_list_mark_read_finish     (SottoGroupList       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
void        sotto_group_list_save_draft_async     (SottoGroupList       *self,
                                                   SottoGroup           *group,
                                                   const char           *text,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean    sotto_group_list_save_draft_finish    (SottoGroupList       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);
void        sotto_group_list_load_draft_async     (SottoGroupList       *self,
                                                   SottoGroup           *group,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
char       *sotto_group_list_load_draft_finish    (SottoGroupList       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void        sotto_group_list_search_async         (SottoGroupList       *self,
                                                   const char           *query,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
GListModel *sotto_group_list_search_finish        (SottoGroupList       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void        sotto_group_list_delete_for_me_async  (SottoGroupList       *self,
                                                   SottoGroup           *group,
                                                   const char           *author,
                                                   const char           *message_id,
                                                   GCancellable         *cancellable,
                                                   GAsyncReadyCallback   callback,
                                                   gpointer              user_data);
gboolean    sotto_group_list_delete_for_me_finish (SottoGroupList       *self,
                                                   GAsyncResult         *result,
                                                   GError              **error);

G_END_DECLS
