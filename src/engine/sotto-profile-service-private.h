/* sotto-profile-service-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-conversation.h"
#include "sotto-conversation-list.h"
#include "sotto-outbox-private.h"
#include "sotto-relay-client-private.h"
#include "sotto-store-private.h"

G_BEGIN_DECLS

/* How many contacts' profiles are fetched again each time the messenger
 * starts, those fetched longest ago first. */
#define SOTTO_PROFILE_REFRESH_BATCH 16

#define SOTTO_TYPE_PROFILE_SERVICE (sotto_profile_service_get_type ())

G_DECLARE_FINAL_TYPE (SottoProfileService, sotto_profile_service, SOTTO, PROFILE_SERVICE, GObject)

SottoProfileService *_sotto_profile_service_new          (SottoStore            *store,
                                                          SottoConversationList *conversations,
                                                          SottoRelayClient      *client,
                                                          SottoOutbox           *outbox) G_GNUC_WARN_UNUSED_RESULT;
void                 _sotto_profile_service_load_async   (SottoProfileService   *self,
                                                          GAsyncReadyCallback    callback,
                                                          gpointer               user_data);
void                 _sotto_profile_service_start        (SottoProfileService   *self);
void                 _sotto_profile_service_set_async    (SottoProfileService   *self,
                                                          const char            *name,
                                                          GBytes                *avatar,
                                                          GCancellable          *cancellable,
                                                          GAsyncReadyCallback    callback,
                                                          gpointer               user_data);
void                 _sotto_profile_service_rotate_async (SottoProfileService   *self,
                                                          GAsyncReadyCallback    callback,
                                                          gpointer               user_data);
void                 _sotto_profile_service_share_async  (SottoProfileService   *self,
                                                          SottoConversation     *conversation,
                                                          GAsyncReadyCallback    callback,
                                                          gpointer               user_data);
gboolean             _sotto_profile_service_finish       (SottoProfileService   *self,
                                                          GAsyncResult          *result,
                                                          GError               **error);
void                 _sotto_profile_service_wait_async   (SottoProfileService   *self,
                                                          GAsyncReadyCallback    callback,
                                                          gpointer               user_data);
void                 _sotto_profile_service_fetch        (SottoProfileService   *self,
                                                          SottoConversation     *conversation);

G_END_DECLS
