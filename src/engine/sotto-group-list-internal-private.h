/* sotto-group-list-internal-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-group-list-private.h"
#include "sotto-messenger-private.h"

G_BEGIN_DECLS

/* What the group list's files share (sotto-group-list*.c): its struct. */
struct _SottoGroupList
{
  GObject parent_instance;

  /* The messenger owns the list, and may go first. */
  SottoMessenger *messenger;
  SottoStore *store;
  SottoAccount *account;
  SottoConversationList *conversations;
  SottoOutbox *outbox;
  SottoRelayClient *client;
  SottoProtocolState *protocol;

  GListStore *groups;
  GHashTable *by_id;

  /* This device's messages the relay did not take for every member
   * (sotto-group-list-outgoing.c): the rows of those being sent, the
   * waiters for a pass over the others, and its retries. */
  GHashTable *outgoing_busy;
  GQueue outgoing_waiters;
  gboolean outgoing_passing;
  gboolean outgoing_again;
  guint outgoing_retry_source;
  guint outgoing_attempts;
};

/* A step of the group list's made in one transaction, on @data. */
typedef gboolean (*SottoGroupTransactionFunc) (SottoGroupList  *self,
                                               gpointer         data,
                                               GError         **error);

void             _sotto_group_list_run_in_transaction (GTask                     *task,
                                                       SottoGroupTransactionFunc  func);
gboolean         _sotto_group_list_refuse            (GError             **error,
                                                      const char          *message);
SottoGroupState *_sotto_group_list_load_group       (SottoGroupList      *self,
                                                      const char          *group_id,
                                                      gint64              *row,
                                                      GError             **error) G_GNUC_WARN_UNUSED_RESULT;
SottoGroupState *_sotto_group_list_load_member_group (SottoGroupList      *self,
                                                      const char          *group_id,
                                                      gint64              *row,
                                                      GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* sotto-group-list-send.c */
void             _sotto_group_list_send             (SottoGroupList      *self,
                                                      SottoGroup          *group,
                                                      SottoContent        *content,
                                                      const char          *target_author,
                                                      const char          *target_id,
                                                      GTask               *task);

void             _sotto_group_list_resend           (SottoGroupList      *self,
                                                      SottoGroupOutgoing  *outgoing,
                                                      GTask               *task);

/* sotto-group-list-outgoing.c */
void             _sotto_group_list_watch_outgoing   (SottoGroupList      *self);

/* sotto-group-list.c */
void             _sotto_group_list_emit_outgoing_changed (SottoGroupList        *self,
                                                      const char            *group_id,
                                                      const SottoGroupEvent *message);

/* sotto-group-list-actions.c */
gboolean         _sotto_group_list_check_text       (SottoGroupList      *self,
                                                      const char          *text,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean         _sotto_group_prepare_change        (SottoStore          *store,
                                                      gint64               row,
                                                      SottoGroupState     *state,
                                                      const char          *own_uuid,
                                                      const char          *own_name,
                                                      const char          *target_author,
                                                      const char          *target_id,
                                                      SottoContent        *content,
                                                      SottoGroupEvent    **changed,
                                                      GError             **error);

G_END_DECLS
