/* sotto-conversation-internal-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-conversation-private.h"
#include "sotto-store-private.h"

G_BEGIN_DECLS

/* What the conversation's files share: the object's struct, and the
 * operations that change it through the store (sotto-conversation.c,
 * sotto-conversation-draft.c, sotto-conversation-identity.c). */

struct _SottoConversation
{
  GObject parent_instance;

  SottoStore *store;
  gint64 id;

  SottoContact *contact;
  SottoMessageList *messages;
  SottoMessage *last_message;
  char *preview;
  gint64 last_activity;
  guint unread_count;
  char *draft;
  guint timer;

  /* The contact is typing, until this source ends it
   * (sotto-conversation-typing.c). */
  gboolean peer_typing;
  guint peer_typing_source;
};

/* One change to the conversation: what the store is asked to do, and
 * what it answered, for applying to the models afterwards. */
typedef struct _Operation Operation;

typedef void (*OperationApply) (SottoConversation *self,
                                GTask             *task,
                                Operation         *operation);

struct _Operation
{
  OperationApply apply;

  /* The model on the main thread, and its record on the store's. */
  SottoMessage *message;
  SottoMessageRecord *record;
  char *id;
  GBytes *identity_key;
  SottoMessageState state;

  SottoStoreStateChange change;
  GStrv ids;
  gboolean strict;
  GArray *changes;
  SottoVerificationState verification_state;
  GStrv read_ids;
  char *draft;
  guint n_messages;
};

void _sotto_conversation_run       (SottoConversation   *self,
                                    Operation           *operation,
                                    GTaskThreadFunc      thread_func,
                                    gpointer             source_tag,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);
void _sotto_conversation_set_draft (SottoConversation   *self,
                                    const char          *draft);
void _sotto_conversation_notify_peer_typing (SottoConversation *self);

G_END_DECLS
