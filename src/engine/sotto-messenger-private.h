/* sotto-messenger-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sp-session.h"

#include "sotto-content-private.h"
#include "sotto-engine-private.h"
#include "sotto-key-batch-private.h"
#include "sotto-key-keeper-private.h"
#include "sotto-protocol-state-private.h"
#include "sotto-messenger.h"
#include "sotto-relay-client-private.h"
#include "sotto-store-private.h"

G_BEGIN_DECLS

/* Retries of the outbox after the relay failed: the delay doubles from
 * BASE up to MAX, jittered like the delivery socket's. */
#define SOTTO_MESSENGER_RETRY_BASE_MS 500
#define SOTTO_MESSENGER_RETRY_MAX_MS 60000

/* How many messages the outbox sends on the delivery socket in one
 * batch, encrypted in one transaction and marked sent in one. */
#define SOTTO_MESSENGER_PIPELINE 128

/* How many such batches are on their way at once: the next is encrypted
 * while the one before waits for the relay. */
#define SOTTO_MESSENGER_PIPELINE_BATCHES 2

/* How often a send is retried after the relay said the device list or
 * the registration ids were out of date. */
#define SOTTO_MESSENGER_MAX_DEVICE_RETRIES 3

/* Delivery receipts are sent once the relay's queue is drained, or once
 * this many are waiting, or this long after the first. */
#define SOTTO_MESSENGER_RECEIPT_BATCH 256
#define SOTTO_MESSENGER_RECEIPT_DELAY_MS 1000

struct _SottoMessenger
{
  GObject parent_instance;

  SottoStore *store;
  SottoAccount *account;
  SottoConversationList *conversations;
  SottoRelayClient *client;

  /* The session core's view of the store, and one cipher per remote
   * device; all used on the store's thread only. */
  SottoProtocolState *protocol;
  SpStore sp_store;
  GHashTable *ciphers;

  gboolean started;
  gboolean send_read_receipts;
  gboolean message_requests;

  /* Prekey upkeep and identity resets (sotto-key-keeper.c). */
  SottoKeyKeeper *keys;

  /* The outbox (sotto-messenger-outbox.c). */
  gboolean pumping;
  gboolean pump_again;
  guint pump_retry_source;
  guint pump_attempts;
  guint n_passes;
  GQueue waiters;
  guint outbox_size;
  gboolean pipeline_throttled;

  /* Messages handed to sotto_messenger_send_async() and not stored yet:
   * they are stored together, in one transaction (Compose). */
  GPtrArray *composing;
  guint compose_source;
  gboolean compose_running;

  /* Delivery receipts waiting to go: conversation → GPtrArray of ids
   * (sotto-messenger-receipts.c). */
  GHashTable *receipts;
  guint receipt_source;
  gboolean sending_receipts;

  /* The inbox (sotto-messenger-inbox.c). */
  GQueue inbox;
  gboolean processing;
  gboolean drained;
  GHashTable *stored_guids;
  /* Sender devices ("uuid.device") with an envelope left undone on
   * this connection, and which connection that is. */
  GHashTable *held_senders;
  guint connection_number;

  /* Blocked contacts' conversations by UUID (sotto-messenger-requests.c). */
  GHashTable *blocked;
};

/* One content encrypted for every device of one contact
 * (sotto-messenger-delivery.c). */
typedef struct
{
  char *uuid;
  /* The contact's one identity key: only devices that carry it are
   * encrypted for. */
  GBytes *identity_key;
  GBytes *plaintext;
  GPtrArray *envelopes;
  gboolean no_session;
} SottoEncryption;

void             _sotto_encryption_free                (SottoEncryption      *encryption);


/* sotto-messenger.c */
SottoRelayClient *_sotto_messenger_get_relay_client    (SottoMessenger       *self);
SpSessionCipher *_sotto_messenger_get_cipher           (SottoMessenger       *self,
                                                        const char           *uuid,
                                                        guint                 device_id,
                                                        GError              **error);
void             _sotto_messenger_drop_cipher          (SottoMessenger       *self,
                                                        const char           *uuid,
                                                        guint                 device_id);
SottoConversation *_sotto_messenger_find_conversation  (SottoMessenger       *self,
                                                        gint64                conversation_id);
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
void             _sotto_messenger_record_identity_async (SottoMessenger      *self,
                                                        SottoConversation    *conversation,
                                                        GBytes               *identity_key,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean         _sotto_messenger_record_identity_finish (SottoMessenger     *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
void             _sotto_messenger_set_drained          (SottoMessenger       *self,
                                                        gboolean              drained);
void             _sotto_messenger_set_outbox_size      (SottoMessenger       *self,
                                                        guint                 outbox_size);
void             _sotto_messenger_emit_message_received (SottoMessenger      *self,
                                                        SottoConversation    *conversation,
                                                        SottoMessage         *message);
void             _sotto_messenger_emit_identity_changed (SottoMessenger      *self,
                                                        SottoConversation    *conversation);
void             _sotto_messenger_emit_conversation_removed (SottoMessenger  *self,
                                                        SottoConversation    *conversation);

/* sotto-messenger-outbox.c */
GPtrArray       *_sotto_messenger_composing_new        (void);
void             _sotto_messenger_pump                 (SottoMessenger       *self);
void             _sotto_messenger_stop_outbox          (SottoMessenger       *self);

/* sotto-messenger-receipts.c */
void             _sotto_messenger_queue_receipt        (SottoMessenger       *self,
                                                        SottoConversation    *conversation,
                                                        const char           *id);
void             _sotto_messenger_flush_receipts       (SottoMessenger       *self);

/* sotto-messenger-delivery.c */
gboolean         _sotto_messenger_encrypt              (SottoMessenger       *self,
                                                        SottoEncryption      *encryption,
                                                        GHashTable           *registration_ids,
                                                        GError              **error);
void             _sotto_messenger_send_receipt_async   (SottoMessenger       *self,
                                                        SottoConversation    *conversation,
                                                        SottoContentKind      kind,
                                                        const char * const   *ids,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
void             _sotto_messenger_send_plaintext_async (SottoMessenger       *self,
                                                        SottoConversation    *conversation,
                                                        GBytes               *plaintext,
                                                        gint64                timestamp,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
void             _sotto_messenger_send_content_async   (SottoMessenger       *self,
                                                        SottoConversation    *conversation,
                                                        SottoContent         *content,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean         _sotto_messenger_send_content_finish  (SottoMessenger       *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);
void             _sotto_messenger_fetch_sessions_async (SottoMessenger       *self,
                                                        SottoConversation    *conversation,
                                                        guint                 device_id,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
gboolean         _sotto_messenger_fetch_sessions_finish (SottoMessenger      *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

/* sotto-messenger-held-receipts.c */
void             _sotto_messenger_send_held_receipts_async  (SottoMessenger      *self,
                                                             SottoConversation   *conversation,
                                                             gboolean             since_key_change,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
void             _sotto_messenger_send_held_receipts_finish (SottoMessenger      *self,
                                                             GAsyncResult        *result);
void             _sotto_messenger_watch_holds          (SottoMessenger       *self);

/* sotto-messenger-requests.c */
void             _sotto_messenger_set_aside_blocked    (SottoMessenger       *self);
SottoConversation *_sotto_messenger_find_blocked       (SottoMessenger       *self,
                                                        const char           *uuid);

/* sotto-messenger-inbox.c */
void             _sotto_messenger_inbox_connect        (SottoMessenger       *self);
void             _sotto_messenger_inbox_disconnect     (SottoMessenger       *self);

G_END_DECLS
