/* sotto-group-list-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-content-private.h"
#include "sotto-group-list.h"
#include "sotto-group-state-private.h"
#include "sotto-messenger.h"
#include "sotto-outbox-private.h"
#include "sotto-protocol-state-private.h"
#include "sotto-store-groups-private.h"
#include "sotto-store-private.h"

G_BEGIN_DECLS

/* What a group content brought, from the store's thread to the group
 * list (sotto-group-list-receive.c). */
typedef struct
{
  SottoGroupState *state;
  /* SottoGroupEvent: what entered the group's timeline. */
  GPtrArray *events;
  /* SottoGroupDelivery: the catch-ups kept for members that an update
   * just received did not reach. */
  GPtrArray *deliveries;
  /* The group's unread messages after a member's message came, or -1
   * when that did not change. */
  gint64 unread_count;
  /* What a member's reaction, edit or deletion changed
   * (sotto-group-list-actions.c), or %NULL. */
  GPtrArray *changes;
} SottoGroupNews;

SottoGroupNews *_sotto_group_news_new        (SottoGroupState  *state) G_GNUC_WARN_UNUSED_RESULT;
void            _sotto_group_news_free       (SottoGroupNews   *news);

SottoGroupList *_sotto_group_list_new        (SottoMessenger   *messenger) G_GNUC_WARN_UNUSED_RESULT;

/* sotto-group-list-receive.c */
gboolean        _sotto_group_receive_thread  (SottoProtocolState *protocol,
                                              const char         *sender,
                                              guint               sender_device,
                                              const SottoContent *content,
                                              gboolean            sealed,
                                              SottoGroupNews    **news,
                                              GError            **error);
void            _sotto_group_list_received   (SottoGroupList     *self,
                                              SottoGroupNews     *news);

/* sotto-group-list-actions.c */
gboolean        _sotto_group_receive_change  (SottoStore         *store,
                                              SottoGroupState    *state,
                                              gint64              row,
                                              const char         *own_uuid,
                                              const char         *sender,
                                              const SottoContent *content,
                                              SottoGroupNews    **news,
                                              GError            **error);
void            _sotto_group_list_emit_changes (SottoGroupList   *self,
                                                SottoGroup       *group,
                                                SottoGroupNews   *news);

/* sotto-group-list.c, for the receiving side */
void            _sotto_group_list_emit_message_changed (SottoGroupList     *self,
                                                        SottoGroup         *group,
                                                        SottoGroupEvent    *message,
                                                        SottoMessageAction  action,
                                                        const char         *author_name,
                                                        const char         *id,
                                                        const char         *text,
                                                        gint64              sent_at);
SottoGroup     *_sotto_group_list_show_state (SottoGroupList     *self,
                                              SottoGroupState    *state);
const char     *_sotto_group_list_get_own_uuid (SottoGroupList  *self);
SottoStore     *_sotto_group_list_get_store  (SottoGroupList     *self);

/* sotto-group-list-delivery.c */
void            _sotto_group_list_deliver_async  (SottoGroupList      *self,
                                                  const char          *uuid,
                                                  const char          *username,
                                                  GBytes              *plaintext,
                                                  gint64               timestamp,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean        _sotto_group_list_deliver_finish (SottoGroupList      *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
void            _sotto_group_list_deliver_stored_async  (SottoGroupList      *self,
                                                         GPtrArray           *deliveries,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean        _sotto_group_list_deliver_stored_finish (SottoGroupList      *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);
void            _sotto_group_list_deliver_kept  (SottoGroupList      *self,
                                                 GPtrArray           *deliveries);
gboolean        _sotto_group_keep_catch_up (SottoStore          *store,
                                            SottoGroupState     *state,
                                            gint64               row,
                                            const char          *own_uuid,
                                            const char          *own_username,
                                            const char          *uuid,
                                            GPtrArray           *deliveries,
                                            GError             **error);
void            _sotto_group_list_hold_ended_cb (SottoOutbox         *outbox,
                                                 SottoConversation   *conversation,
                                                 SottoGroupList      *self);

/* sotto-group-list-outgoing.c */
void            _sotto_group_list_flush_outgoing_async (SottoGroupList      *self,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);

/* sotto-group-list-timeline.c */
void            _sotto_group_list_identity_changed_cb (SottoOutbox       *outbox,
                                                       SottoConversation *conversation,
                                                       SottoGroupList    *self);
gboolean        _sotto_group_key_changed_thread (SottoProtocolState  *protocol,
                                                 const char          *uuid,
                                                 GBytes              *identity_key,
                                                 gboolean             held,
                                                 gint64               sent_at,
                                                 GPtrArray          **news,
                                                 GError             **error);
void            _sotto_group_list_key_changed (SottoGroupList     *self,
                                               GPtrArray          *news);
void            _sotto_group_list_record_key  (SottoGroupList     *self,
                                               SottoContact       *contact);
void            _sotto_group_list_emit_event (SottoGroupList     *self,
                                              SottoGroup         *group,
                                              SottoGroupEvent    *event);
void            _sotto_group_list_refresh_last_event (SottoGroupList *self,
                                                      SottoGroup     *group);
SottoGroupEvent *_sotto_group_update_event   (const SottoGroupUpdate *update,
                                              const char         *author_name,
                                              gboolean            outgoing) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoGroupNews, _sotto_group_news_free)

G_END_DECLS
