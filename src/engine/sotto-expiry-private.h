/* sotto-expiry-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-conversation.h"
#include "sotto-conversation-list.h"
#include "sotto-outbox-private.h"
#include "sotto-store-private.h"

G_BEGIN_DECLS

/* The timers a user may set, in seconds: off, 30 s, 5 min, 1 h, 1 day,
 * 1 week, 4 weeks. */
#define SOTTO_EXPIRY_N_TIMERS 7
extern const guint sotto_expiry_timers[SOTTO_EXPIRY_N_TIMERS];

/* How many expired messages one sweep deletes before it looks again. */
#define SOTTO_EXPIRY_SWEEP_BATCH 64

#define SOTTO_TYPE_EXPIRY (sotto_expiry_get_type ())

G_DECLARE_FINAL_TYPE (SottoExpiry, sotto_expiry, SOTTO, EXPIRY, GObject)

SottoExpiry *_sotto_expiry_new              (SottoStore            *store,
                                             SottoConversationList *conversations,
                                             SottoOutbox           *outbox) G_GNUC_WARN_UNUSED_RESULT;
void         _sotto_expiry_start            (SottoExpiry           *self);
void         _sotto_expiry_stop             (SottoExpiry           *self);
void         _sotto_expiry_reschedule       (SottoExpiry           *self);
gboolean     _sotto_expiry_timer_is_valid   (guint                  seconds);
void         _sotto_expiry_set_timer_async  (SottoExpiry           *self,
                                             SottoConversation     *conversation,
                                             guint                  seconds,
                                             GCancellable          *cancellable,
                                             GAsyncReadyCallback    callback,
                                             gpointer               user_data);
void         _sotto_expiry_conversation_read_async (SottoExpiry    *self,
                                             SottoConversation     *conversation,
                                             GAsyncReadyCallback    callback,
                                             gpointer               user_data);
void         _sotto_expiry_wait_async       (SottoExpiry           *self,
                                             GAsyncReadyCallback    callback,
                                             gpointer               user_data);
gboolean     _sotto_expiry_finish           (SottoExpiry           *self,
                                             GAsyncResult          *result,
                                             GError               **error);

G_END_DECLS
