/* sotto-message-match.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-message-match"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "sotto-conversation.h"
#include "sotto-message-match-private.h"

/* A message a search found: where it is, and its text to show. */
struct _SottoMessageMatch
{
  GObject parent_instance;

  SottoConversation *conversation;
  guint position;
  gint64 sent_at;
  char *text;
};

G_DEFINE_FINAL_TYPE (SottoMessageMatch, sotto_message_match, G_TYPE_OBJECT)

/* Takes @text. */
SottoMessageMatch *
_sotto_message_match_new (SottoConversation *conversation,
                          guint              position,
                          gint64             sent_at,
                          char              *text)
{
  SottoMessageMatch *self;

  g_return_val_if_fail (SOTTO_IS_CONVERSATION (conversation), NULL);
  g_return_val_if_fail (text != NULL, NULL);

  self = g_object_new (SOTTO_TYPE_MESSAGE_MATCH, NULL);
  self->conversation = g_object_ref (conversation);
  self->position = position;
  self->sent_at = sent_at;
  self->text = text;

  return self;
}

/**
 * sotto_message_match_get_conversation:
 * @self: a #SottoMessageMatch
 *
 * Returns: (transfer none): the conversation the message is in
 */
SottoConversation *
sotto_message_match_get_conversation (SottoMessageMatch *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE_MATCH (self), NULL);

  return self->conversation;
}

/* The message's position in the conversation's list of messages. */
guint
sotto_message_match_get_position (SottoMessageMatch *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE_MATCH (self), 0);

  return self->position;
}

/* When the sender sent it, in milliseconds since 1970. */
gint64
sotto_message_match_get_sent_at (SottoMessageMatch *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE_MATCH (self), 0);

  return self->sent_at;
}

const char *
sotto_message_match_get_text (SottoMessageMatch *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE_MATCH (self), NULL);

  return self->text;
}

static void
sotto_message_match_finalize (GObject *object)
{
  SottoMessageMatch *self = (SottoMessageMatch *)object;

  sodium_memzero (self->text, strlen (self->text));
  g_clear_pointer (&self->text, g_free);
  g_clear_object (&self->conversation);

  G_OBJECT_CLASS (sotto_message_match_parent_class)->finalize (object);
}

static void
sotto_message_match_class_init (SottoMessageMatchClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sotto_message_match_finalize;
}

static void
sotto_message_match_init (SottoMessageMatch *self)
{
}
