/* party.h: one side of a conversation for the outbox and inbox tests
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "engine-test-util.h"
#include "scripted-relay.h"
#include "sotto-key-batch-private.h"
#include "sotto-protocol-state-private.h"

G_BEGIN_DECLS

/* An account with its own profile, store, conversations, published
 * keys and session core state, and a relay client on a scripted relay
 * of its own: what the messenger would hand its services. */
typedef struct
{
  GFile *profile;
  SottoStore *store;
  SottoAccount *account;
  SottoConversationList *list;
  SottoProtocolState *protocol;
  ScriptedRelay *relay;
  SottoRelayClient *client;
  SottoKeyBatch *keys;
} Party;

Party             *party_new                (void);
void               party_free               (Party       *party);
GBytes            *party_identity_key       (Party       *party);
SottoConversation *party_add_contact        (Party       *party,
                                             Party       *contact,
                                             const char  *username);
char              *party_bundles_json       (Party       *party,
                                             guint        n_devices);
void               party_connect            (Party       *party);
char              *party_envelope_frame     (Party       *sender,
                                             const char  *body,
                                             guint        device_id,
                                             const char  *guid);
guint              party_n_messages         (SottoConversation *conversation);
char              *party_message_text       (SottoConversation *conversation,
                                             guint              position);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Party, party_free)

G_END_DECLS
