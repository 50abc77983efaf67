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
#include "sotto-group.h"
#include "sotto-message-match-private.h"

/* A message a search found: where it is, and its text to show.  One of
 * a group also names its author, and itself by its id. */
struct _SottoMessageMatch
{
  GObject parent_instance;

  SottoConversation *conversation;
  SottoGroup *group;
  guint position;
  gint64 sent_at;
  char *text;
  char *message_id;
  char *author;
  char *author_name;
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

/* Takes @text. */
SottoMessageMatch *
_sotto_message_match_new_in_group (SottoGroup *group,
                                   guint       newer,
                                   gint64      sent_at,
                                   char       *text,
                                   const char *message_id,
                                   const char *author,
                                   const char *author_name)
{
  SottoMessageMatch *self;

  g_return_val_if_fail (SOTTO_IS_GROUP (group), NULL);
  g_return_val_if_fail (text != NULL && message_id != NULL && author != NULL, NULL);

  self = g_object_new (SOTTO_TYPE_MESSAGE_MATCH, NULL);
  self->group = g_object_ref (group);
  self->position = newer;
  self->sent_at = sent_at;
  self->text = text;
  self->message_id = g_strdup (message_id);
  self->author = g_strdup (author);
  self->author_name = g_strdup (author_name);

  return self;
}

/**
 * sotto_message_match_get_conversation:
 * @self: a #SottoMessageMatch
 *
 * Returns: (transfer none) (nullable): the conversation the message
 *   is in; %NULL for a group's message
 */
SottoConversation *
sotto_message_match_get_conversation (SottoMessageMatch *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE_MATCH (self), NULL);

  return self->conversation;
}

/* The message's position in the conversation's list of messages; for
 * a group's, how many entries of the group's timeline came after it
 * when it was found. */
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

/**
 * sotto_message_match_get_group:
 * @self: a #SottoMessageMatch
 *
 * Returns: (transfer none) (nullable): the group the message is in;
 *   %NULL for a 1:1 conversation's message
 */
SottoGroup *
sotto_message_match_get_group (SottoMessageMatch *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE_MATCH (self), NULL);

  return self->group;
}

/* A group's message's id, which its author chose; %NULL for a 1:1
 * conversation's. */
const char *
sotto_message_match_get_message_id (SottoMessageMatch *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE_MATCH (self), NULL);

  return self->message_id;
}

/* The account UUID of a group's message's author; %NULL for a 1:1
 * conversation's. */
const char *
sotto_message_match_get_author (SottoMessageMatch *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE_MATCH (self), NULL);

  return self->author;
}

/* That author's username, as far as the group knew it. */
const char *
sotto_message_match_get_author_name (SottoMessageMatch *self)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE_MATCH (self), NULL);

  return self->author_name;
}

static void
sotto_message_match_finalize (GObject *object)
{
  SottoMessageMatch *self = (SottoMessageMatch *)object;

  sodium_memzero (self->text, strlen (self->text));
  g_clear_pointer (&self->text, g_free);
  g_clear_object (&self->conversation);
  g_clear_object (&self->group);
  g_free (self->message_id);
  g_free (self->author);
  g_free (self->author_name);

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
