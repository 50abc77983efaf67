/* sotto-inbox-internal-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-content-private.h"
#include "sotto-group-list-private.h"
#include "sotto-inbox-private.h"
#include "sotto-protocol-state-private.h"
#include "sotto-relay-client-private.h"
#include "sotto-store-private.h"

G_BEGIN_DECLS

/* What the inbox's two files share: the object's struct, and a
 * reception, which the main thread prepares and finishes
 * (sotto-inbox.c) and the store's thread decrypts and stores
 * (sotto-inbox-decrypt.c). */

struct _SottoInbox
{
  GObject parent_instance;

  SottoStore *store;
  SottoConversationList *conversations;
  SottoRelayClient *client;
  SottoProtocolState *protocol;
  SpStore sp_store;

  /* Where delivery receipts go. */
  SottoOutbox *outbox;

  /* The messenger, which stores new senders as contacts and knows the
   * blocked ones; it owns the inbox, and may be gone before the last of
   * the inbox's work is. */
  SottoMessenger *messenger;

  gboolean started;
  gboolean message_requests;
  gboolean drained;

  /* Envelopes in the order the relay pushed them, one batch of them
   * on the store's thread at a time. */
  GQueue queue;
  gboolean processing;
  GHashTable *stored_guids;

  /* Sender devices ("uuid.device") with an envelope left undone on
   * this connection, and which connection that is. */
  GHashTable *held_senders;
  guint connection_number;
};

typedef enum
{
  OUTCOME_STORED,
  OUTCOME_ACTION,
  OUTCOME_RECEIPT,
  OUTCOME_IGNORED,
  OUTCOME_TYPING,
  OUTCOME_DUPLICATE,
  OUTCOME_DROPPED,
  OUTCOME_UNKNOWN_SENDER,
  OUTCOME_BLOCKED,
  OUTCOME_RETRY_LATER,
  OUTCOME_GROUP,
} Outcome;

typedef struct
{
  SottoInbox *inbox;
  SottoRelayEnvelope *envelope;
  SottoConversation *conversation;
  gint64 conversation_id;
  gint64 contact_id;
  gboolean blocked;
  guint restarts;
  guint connection_number;

  /* Results. */
  Outcome outcome;
  SottoContent *content;
  GBytes *identity_key;
  SottoMessageRecord *message;
  GError *error;

  /* A reaction, an edit or a deletion: what became of it, and the
   * message it changed (sotto-store-actions.c). */
  SottoStoreActionResult action_result;
  SottoMessageRecord *changed;
  /* For a message: the actions that waited for it and now applied. */
  GPtrArray *applied_actions;

  /* The contact's identity as the transaction left it, once committed;
   * the event is set when the key changed. */
  gboolean identity_recorded;
  SottoVerificationState verification_state;
  SottoMessageRecord *identity_event;
  /* What the key change brought to the groups the contact is in
   * (SottoGroupNews), kept in the same transaction. */
  GPtrArray *group_key_news;

  /* The sender's profile is to be fetched: they gave a new profile key,
   * or sent theirs alone to say the profile changed. */
  gboolean profile_news;

  /* What a group's content brought (sotto-group-list-receive.c). */
  SottoGroupNews *group_news;
} Reception;

/* Envelopes received in one transaction (_sotto_inbox_receive_batch_thread()). */
typedef struct
{
  GPtrArray *receptions;
  guint n_received;
} ReceptionBatch;

void     _sotto_inbox_receive_thread       (GTask        *task,
                                            gpointer      source_object,
                                            gpointer      task_data,
                                            GCancellable *cancellable);
void     _sotto_inbox_receive_batch_thread (GTask        *task,
                                            gpointer      source_object,
                                            gpointer      task_data,
                                            GCancellable *cancellable);
gboolean _sotto_inbox_outcome_is_final     (Outcome       outcome);

G_END_DECLS
