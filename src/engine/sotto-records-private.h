/* sotto-records-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "sp-keys.h"

#include "sotto-engine-types.h"

G_BEGIN_DECLS

/* What the store reads and writes: plain records that cross between the
 * store's thread and the main thread.  The models are built from them,
 * and changed, on the main thread only; the store never sees a model. */

/* A message.  @position is its place in its conversation, which the
 * store gives it when it is added. */
typedef struct
{
  char *id;
  SottoMessageDirection direction;
  SottoMessageKind kind;
  SottoMessageState state;
  gint64 sent_at;
  gint64 received_at;
  char *body;
  guint position;
  /* Replies, reactions, edits and deletion for everyone: see
   * SottoMessage's properties of the same names. */
  gboolean edited;
  gboolean deleted;
  char *quote_id;
  char *quote_author;
  char *quote_text;
  char *my_reaction;
  char *their_reaction;
  gboolean sealed;
  /* Whether it disappears (it came, or went, under a timer). */
  gboolean disappears;
  /* Its files (SottoAttachmentRecord), or %NULL. */
  GPtrArray *attachments;
} SottoMessageRecord;

/* A contact. */
typedef struct
{
  gint64 id;
  char *uuid;
  char *username;
  char *name;
  GBytes *identity_key;
  SottoVerificationState verification;
  SottoContactStanding standing;
} SottoContactRecord;

/* A conversation with its contact, its newest message (%NULL in an empty
 * one), its draft and its disappearing-message timer (0 for off). */
typedef struct
{
  gint64 id;
  SottoContactRecord contact;
  guint n_messages;
  guint n_unread;
  gint64 last_activity;
  SottoMessageRecord *last_message;
  char *draft;
  guint timer;
} SottoConversationRecord;

/* One queued outgoing message, as the outbox reads it from the store. */
typedef struct
{
  gint64 conversation_id;
  char *id;
  char *body;
  gint64 sent_at;
  /* For a reply, what it quotes. */
  char *quote_id;
  char *quote_author;
  char *quote_text;
  /* Seconds the message lasts once sent (0: for ever). */
  guint expire_timer;
  /* Its files (SottoAttachmentPointer), all on the relay, or %NULL. */
  GPtrArray *attachments;
} SottoOutboxItem;

/* The profile's own account.  @password and @identity are in guarded
 * memory. */
typedef struct
{
  char *uuid;
  char *username;
  guint device_id;
  guint registration_id;
  char *relay_url;
  char *relay_ca;
  char *password;
  SpKeyPair *identity;
  GBytes *trust_root;
} SottoAccountRecord;

SottoMessageRecord *_sotto_message_record_new       (const char               *id,
                                                     SottoMessageDirection     direction,
                                                     SottoMessageKind          kind,
                                                     SottoMessageState         state,
                                                     gint64                    sent_at,
                                                     gint64                    received_at,
                                                     const char               *body) G_GNUC_WARN_UNUSED_RESULT;
void                _sotto_message_record_free      (SottoMessageRecord       *record);
void                _sotto_conversation_record_free (SottoConversationRecord  *record);
SottoAccountRecord *_sotto_account_record_new       (const char               *uuid,
                                                     const char               *username,
                                                     guint                     device_id,
                                                     guint                     registration_id,
                                                     const char               *relay_url,
                                                     const char               *relay_ca,
                                                     const char               *password,
                                                     const SpKeyPair          *identity) G_GNUC_WARN_UNUSED_RESULT;
void                _sotto_account_record_free      (SottoAccountRecord       *record);
void                _sotto_outbox_item_free         (SottoOutboxItem          *item);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoMessageRecord, _sotto_message_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoConversationRecord, _sotto_conversation_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoAccountRecord, _sotto_account_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoOutboxItem, _sotto_outbox_item_free)

G_END_DECLS
