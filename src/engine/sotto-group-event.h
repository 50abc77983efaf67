/* sotto-group-event.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "sotto-message.h"

G_BEGIN_DECLS

/**
 * SottoGroupEventKind:
 * @SOTTO_GROUP_EVENT_TEXT: a message to the group
 * @SOTTO_GROUP_EVENT_UPDATE: a change to the group: @text is the
 *   action's name ("create", "add", "remove", "leave", "rename",
 *   "promote", "demote", "key"), @detail the new title or the username (or
 *   account UUID) of the member it is about
 * @SOTTO_GROUP_EVENT_KEY_CHANGE: the safety number with the member
 *   @author changed
 *
 * What a group's timeline holds.
 */
typedef enum
{
  SOTTO_GROUP_EVENT_TEXT = 1,
  SOTTO_GROUP_EVENT_UPDATE = 2,
  SOTTO_GROUP_EVENT_KEY_CHANGE = 3,
} SottoGroupEventKind;

/**
 * SottoGroupEvent:
 * @kind: what it is
 * @id: the message's UUID, or the update's hash in hex
 * @outgoing: whether this account sent it
 * @author: the account UUID of the member it is from (or about, for a
 *   key change)
 * @author_name: (nullable): that member's username, as far as known
 * @text: (nullable): the text, or the update's action
 * @detail: (nullable): for an update, what it changed
 * @sent_at: when its author sent it, in milliseconds since the epoch
 * @sealed: whether the message went through the relay sealed, without
 *   naming its sender to the relay: to every member, for one this device
 *   sent
 * @edited: whether its author changed the text of the message
 * @deleted: whether its author deleted the message for everyone: @text
 *   is %NULL then
 * @quote_id: (nullable): for a reply, the id of the message it answers
 * @quote_author: (nullable): that message's author, an account UUID
 * @quote_text: (nullable): the first words of that message
 * @reactions: (nullable) (element-type SottoGroupReaction): the
 *   members' reactions to the message, one each, in the order they came
 * @pending: (nullable) (array zero-terminated=1): for a message this
 *   device sent, the members the relay has not taken it for yet (their
 *   usernames, or account UUIDs), or %NULL once it took it for every one
 * @failed: for a message with @pending, whether the last try failed
 *   for good: it goes again only when the user retries
 *
 * One entry of a group's timeline.
 */
typedef struct
{
  SottoGroupEventKind kind;
  char *id;
  gboolean outgoing;
  char *author;
  char *author_name;
  char *text;
  char *detail;
  gint64 sent_at;
  gboolean sealed;
  gboolean edited;
  gboolean deleted;
  char *quote_id;
  char *quote_author;
  char *quote_text;
  GPtrArray *reactions;
  GStrv pending;
  gboolean failed;
} SottoGroupEvent;

/**
 * SottoGroupReaction:
 * @author: the account UUID of the member who reacted
 * @author_name: (nullable): that member's username, as far as known
 * @emoji: the reaction
 * @outgoing: whether it is this account's
 *
 * A member's reaction to a message of a group.
 */
typedef struct
{
  char *author;
  char *author_name;
  char *emoji;
  gboolean outgoing;
} SottoGroupReaction;

#define SOTTO_TYPE_GROUP_EVENT (sotto_group_event_get_type ())

GType            sotto_group_event_get_type (void) G_GNUC_CONST;
SottoGroupEvent *sotto_group_event_new      (SottoGroupEventKind    kind,
                                             const char            *id,
                                             gboolean               outgoing,
                                             const char            *author,
                                             const char            *author_name,
                                             const char            *text,
                                             const char            *detail,
                                             gint64                 sent_at) G_GNUC_WARN_UNUSED_RESULT;
SottoGroupEvent *sotto_group_event_copy     (const SottoGroupEvent *event) G_GNUC_WARN_UNUSED_RESULT;
void             sotto_group_event_free     (SottoGroupEvent       *event);
char            *sotto_group_event_describe (const SottoGroupEvent *event) G_GNUC_WARN_UNUSED_RESULT;
SottoMessage    *sotto_group_event_to_message (const SottoGroupEvent *event) G_GNUC_WARN_UNUSED_RESULT;
const SottoGroupReaction *sotto_group_event_find_reaction (const SottoGroupEvent *event,
                                                           const char            *author);

SottoGroupReaction *sotto_group_reaction_new  (const char            *author,
                                               const char            *author_name,
                                               const char            *emoji) G_GNUC_WARN_UNUSED_RESULT;
void             sotto_group_reaction_free  (SottoGroupReaction    *reaction);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoGroupEvent, sotto_group_event_free)

G_END_DECLS
