/* sotto-outbox-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "sp-session.h"

#include "sotto-content-private.h"
#include "sotto-engine-private.h"
#include "sotto-protocol-state-private.h"
#include "sotto-relay-client-private.h"
#include "sotto-sealed-sender-private.h"
#include "sotto-store-private.h"

G_BEGIN_DECLS

/* Retries of the outbox after the relay failed: the delay doubles from
 * BASE up to MAX, jittered like the delivery socket's. */
#define SOTTO_OUTBOX_RETRY_BASE_MS 500
#define SOTTO_OUTBOX_RETRY_MAX_MS 60000

/* How many messages the outbox sends on the delivery socket in one
 * batch, encrypted in one transaction and marked sent in one. */
#define SOTTO_OUTBOX_PIPELINE 128

/* How many such batches are on their way at once: the next is encrypted
 * while the one before waits for the relay. */
#define SOTTO_OUTBOX_PIPELINE_BATCHES 2

/* How often a send is retried after the relay said the device list or
 * the registration ids were out of date. */
#define SOTTO_OUTBOX_MAX_DEVICE_RETRIES 3

/* Delivery receipts are sent once the relay's queue is drained, or once
 * this many are waiting, or this long after the first. */
#define SOTTO_OUTBOX_RECEIPT_BATCH 256
#define SOTTO_OUTBOX_RECEIPT_DELAY_MS 1000

#define SOTTO_TYPE_OUTBOX (sotto_outbox_get_type ())

G_DECLARE_FINAL_TYPE (SottoOutbox, sotto_outbox, SOTTO, OUTBOX, GObject)

/* The outbox: everything that leaves this device.  It stores what the
 * user writes (sotto-outbox-compose.c), sends the queue in order
 * (sotto-outbox.c), encrypts and delivers it, and receipts,
 * to every device of a contact (sotto-outbox-delivery.c), and gathers
 * the receipts for what arrived (sotto-outbox-receipts.c,
 * sotto-outbox-held-receipts.c).  It shares nothing with the inbox but
 * the store, the relay client and the session core's state. */
struct _SottoOutbox
{
  GObject parent_instance;

  SottoStore *store;
  SottoAccount *account;
  SottoConversationList *conversations;
  SottoRelayClient *client;
  SottoProtocolState *protocol;
  SpStore sp_store;

  gboolean started;
  gboolean send_read_receipts;

  /* Passes over the queue on disk (sotto-outbox.c). */
  gboolean pumping;
  gboolean pump_again;
  guint pump_retry_source;
  guint pump_attempts;
  guint n_passes;
  GQueue waiters;
  guint size;
  gboolean pipeline_throttled;

  /* Messages handed to _sotto_outbox_send_async() and not stored yet:
   * they are stored together, in one transaction (Compose). */
  GPtrArray *composing;
  guint compose_source;
  gboolean compose_running;

  /* Delivery receipts waiting to go: conversation → GPtrArray of ids
   * (sotto-outbox-receipts.c). */
  GHashTable *receipts;
  guint receipt_source;

  /* The account's profile key, which text messages carry (guarded
   * memory; %NULL without a profile). */
  guint8 *profile_key;

  /* Seals what goes to contacts whose profile key is known
   * (sotto-sealed-sender.c); the inbox opens sealed envelopes with it. */
  SottoSealedSender *sealed;
};

/* One content encrypted for every device of one contact
 * (sotto-outbox-delivery.c). */
typedef struct
{
  char *uuid;
  /* The contact's one identity key: only devices that carry it are
   * encrypted for. */
  GBytes *identity_key;
  GBytes *plaintext;
  /* When the relay is to drop the envelopes (their
   * SottoRelayOutgoing.expires_at), or 0 for never. */
  gint64 expires_at;
  GPtrArray *envelopes;
  gboolean no_session;
} SottoEncryption;

void             _sotto_encryption_free              (SottoEncryption      *encryption);

/* sotto-outbox.c */
SottoOutbox     *_sotto_outbox_new                   (SottoStore            *store,
                                                      SottoAccount          *account,
                                                      SottoConversationList *conversations,
                                                      SottoRelayClient      *client,
                                                      SottoProtocolState    *protocol) G_GNUC_WARN_UNUSED_RESULT;
void             _sotto_outbox_start                 (SottoOutbox          *self);
void             _sotto_outbox_set_profile_key       (SottoOutbox          *self,
                                                      const guint8         *key);
void             _sotto_outbox_stop                  (SottoOutbox          *self);
guint            _sotto_outbox_get_size              (SottoOutbox          *self);
void             _sotto_outbox_pump                  (SottoOutbox          *self);
guint            _sotto_outbox_retry_delay           (guint                 attempts);
void             _sotto_outbox_flush_async           (SottoOutbox          *self,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
void             _sotto_outbox_emit_identity_changed (SottoOutbox          *self,
                                                      SottoConversation    *conversation);
void             _sotto_outbox_wait_for_message      (SottoOutbox          *self,
                                                      GTask                *task,
                                                      const char           *message_id);

/* sotto-outbox-compose.c */
GPtrArray       *_sotto_outbox_composing_new         (void);
void             _sotto_outbox_compose_now           (SottoOutbox          *self);
void             _sotto_outbox_send_async            (SottoOutbox          *self,
                                                      SottoConversation    *conversation,
                                                      const char           *text,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
void             _sotto_outbox_send_reply_async      (SottoOutbox          *self,
                                                      SottoConversation    *conversation,
                                                      const char           *text,
                                                      const SottoMessageRecord *quote,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
void             _sotto_outbox_store_with_attachments_async (SottoOutbox   *self,
                                                      SottoConversation    *conversation,
                                                      const char           *text,
                                                      GPtrArray            *attachments,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
SottoContent    *_sotto_outbox_item_content          (const SottoOutboxItem *item,
                                                      const char           *sender) G_GNUC_WARN_UNUSED_RESULT;
gboolean         _sotto_outbox_send_finish           (SottoOutbox          *self,
                                                      GAsyncResult         *result,
                                                      SottoMessage        **message,
                                                      GError              **error);

/* sotto-outbox-delivery.c */
gint64           _sotto_outbox_relay_expiry          (const SottoContent   *content);
gboolean         _sotto_outbox_encrypt               (SottoOutbox          *self,
                                                      SottoEncryption      *encryption,
                                                      GHashTable           *registration_ids,
                                                      GError              **error);
void             _sotto_outbox_send_plaintext_async  (SottoOutbox          *self,
                                                      SottoConversation    *conversation,
                                                      GBytes               *plaintext,
                                                      gint64                timestamp,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
void             _sotto_outbox_send_content_async    (SottoOutbox          *self,
                                                      SottoConversation    *conversation,
                                                      SottoContent         *content,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
void             _sotto_outbox_send_online_async     (SottoOutbox          *self,
                                                      SottoConversation    *conversation,
                                                      SottoContent         *content,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean         _sotto_outbox_send_content_finish   (SottoOutbox          *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
void             _sotto_outbox_fetch_sessions_async  (SottoOutbox          *self,
                                                      SottoConversation    *conversation,
                                                      guint                 device_id,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
void             _sotto_outbox_record_identity_async (SottoOutbox          *self,
                                                      SottoConversation    *conversation,
                                                      GBytes               *identity_key,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);

/* sotto-outbox-receipts.c */
void             _sotto_outbox_send_receipt_async    (SottoOutbox          *self,
                                                      SottoConversation    *conversation,
                                                      SottoContentKind      kind,
                                                      const char * const   *ids,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
void             _sotto_outbox_queue_receipt         (SottoOutbox          *self,
                                                      SottoConversation    *conversation,
                                                      const char           *id);
void             _sotto_outbox_flush_receipts        (SottoOutbox          *self);
void             _sotto_outbox_forget_receipts       (SottoOutbox          *self,
                                                      SottoConversation    *conversation);
void             _sotto_outbox_mark_read_async       (SottoOutbox          *self,
                                                      SottoConversation    *conversation,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
void             _sotto_outbox_mark_messages_read_async (SottoOutbox       *self,
                                                      SottoConversation    *conversation,
                                                      const char * const   *ids,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);

/* sotto-outbox-held-receipts.c */
void             _sotto_outbox_send_held_receipts_async (SottoOutbox       *self,
                                                      SottoConversation    *conversation,
                                                      gboolean              since_key_change,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
void             _sotto_outbox_watch_holds           (SottoOutbox          *self);
void             _sotto_outbox_emit_hold_ended       (SottoOutbox          *self,
                                                      SottoConversation    *conversation);

G_END_DECLS
