/* sotto-messenger-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sp-session.h"

#include "sotto-attachment-service-private.h"
#include "sotto-content-private.h"
#include "sotto-engine-private.h"
#include "sotto-key-batch-private.h"
#include "sotto-inbox-private.h"
#include "sotto-key-keeper-private.h"
#include "sotto-protocol-state-private.h"
#include "sotto-messenger.h"
#include "sotto-outbox-private.h"
#include "sotto-profile-service-private.h"
#include "sotto-expiry-private.h"
#include "sotto-group-list-private.h"
#include "sotto-relay-client-private.h"
#include "sotto-store-private.h"
#include "sotto-typing-private.h"

G_BEGIN_DECLS

struct _SottoMessenger
{
  GObject parent_instance;

  SottoStore *store;
  SottoAccount *account;
  SottoConversationList *conversations;
  SottoRelayClient *client;

  /* The session core's view of the store and its ciphers, which the
   * services share. */
  SottoProtocolState *protocol;

  gboolean started;
  gboolean send_read_receipts;
  gboolean message_requests;
  guint64 auto_download_size;
  gboolean typing_indicators;

  /* The services: prekey upkeep and identity resets, what leaves this
   * device, and what arrives. */
  SottoKeyKeeper *keys;
  SottoOutbox *outbox;
  SottoInbox *inbox;
  SottoProfileService *profiles;
  SottoExpiry *expiry;
  SottoAttachmentService *attachments;
  SottoGroupList *groups;
  SottoTyping *typing;

  /* Blocked contacts' conversations by UUID (sotto-messenger-requests.c). */
  GHashTable *blocked;

  /* The relay's sealed sender trust root in base64 when it is not the
   * pinned one (sotto-messenger-sealed-sender.c). */
  char *trust_root_conflict;
};

/* sotto-messenger-sealed-sender.c */
void             _sotto_messenger_check_trust_root_on_start (SottoMessenger *self);

/* sotto-messenger.c */
void             _sotto_messenger_send_done_cb         (GObject              *object,
                                                        GAsyncResult         *result,
                                                        gpointer              user_data);
SottoRelayClient *_sotto_messenger_get_relay_client    (SottoMessenger       *self);
SottoOutbox     *_sotto_messenger_get_outbox           (SottoMessenger       *self);
SottoInbox      *_sotto_messenger_get_inbox            (SottoMessenger       *self);
SottoProtocolState *_sotto_messenger_get_protocol_state (SottoMessenger      *self);
gboolean         _sotto_messenger_propagate_boolean    (SottoMessenger       *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
void             _sotto_messenger_ensure_contact_async (SottoMessenger       *self,
                                                        const char           *uuid,
                                                        const char           *username,
                                                        SottoContactStanding  standing,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
SottoConversation *_sotto_messenger_ensure_contact_finish (SottoMessenger    *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
void             _sotto_messenger_emit_conversation_removed (SottoMessenger  *self,
                                                        SottoConversation    *conversation);

/* sotto-messenger-attachments.c */
void             _sotto_messenger_attachments_init     (SottoMessenger       *self);

/* sotto-messenger-registration.c */
void             _sotto_messenger_profile_key_received (SottoMessenger   *self,
                                                        SottoConversation    *conversation);

SottoMessenger  *_sotto_messenger_new                  (SottoAccount           *account,
                                                        SottoConversationList  *conversations,
                                                        SottoRelayClient       *client) G_GNUC_WARN_UNUSED_RESULT;

/* sotto-messenger-requests.c */
void             _sotto_messenger_set_aside_blocked    (SottoMessenger       *self);
SottoConversation *_sotto_messenger_find_blocked       (SottoMessenger       *self,
                                                        const char           *uuid);
gboolean         _sotto_messenger_check_accepted       (SottoConversation    *conversation,
                                                        GError              **error);

G_END_DECLS
