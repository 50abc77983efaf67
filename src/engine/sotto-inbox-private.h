/* sotto-inbox-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sotto-messenger.h"
#include "sotto-outbox-private.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_INBOX (sotto_inbox_get_type ())

G_DECLARE_FINAL_TYPE (SottoInbox, sotto_inbox, SOTTO, INBOX, GObject)

SottoInbox      *_sotto_inbox_new                   (SottoStore            *store,
                                                     SottoConversationList *conversations,
                                                     SottoRelayClient      *client,
                                                     SottoProtocolState    *protocol,
                                                     SottoOutbox           *outbox,
                                                     SottoMessenger        *messenger) G_GNUC_WARN_UNUSED_RESULT;
void             _sotto_inbox_start                 (SottoInbox            *self);
void             _sotto_inbox_stop                  (SottoInbox            *self);
void             _sotto_inbox_resume                (SottoInbox            *self);
gboolean         _sotto_inbox_get_drained           (SottoInbox            *self);

G_END_DECLS
