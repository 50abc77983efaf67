/* sotto-group-event.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-group-event.h"
#include "sotto-message-private.h"
#include "sotto-records-private.h"

G_DEFINE_BOXED_TYPE (SottoGroupEvent, sotto_group_event, sotto_group_event_copy, sotto_group_event_free)

SottoGroupEvent *
sotto_group_event_new (SottoGroupEventKind  kind,
                       const char          *id,
                       gboolean             outgoing,
                       const char          *author,
                       const char          *author_name,
                       const char          *text,
                       const char          *detail,
                       gint64               sent_at)
{
  SottoGroupEvent *event = g_new0 (SottoGroupEvent, 1);

  event->kind = kind;
  event->id = g_strdup (id);
  event->outgoing = outgoing;
  event->author = g_strdup (author);
  event->author_name = g_strdup (author_name);
  event->text = g_strdup (text);
  event->detail = g_strdup (detail);
  event->sent_at = sent_at;

  return event;
}

SottoGroupEvent *
sotto_group_event_copy (const SottoGroupEvent *event)
{
  SottoGroupEvent *copy;

  g_return_val_if_fail (event != NULL, NULL);

  copy = sotto_group_event_new (event->kind, event->id, event->outgoing, event->author, event->author_name,
                                event->text, event->detail, event->sent_at);
  copy->sealed = event->sealed;
  copy->edited = event->edited;
  copy->deleted = event->deleted;
  copy->quote_id = g_strdup (event->quote_id);
  copy->quote_author = g_strdup (event->quote_author);
  copy->quote_text = g_strdup (event->quote_text);
  copy->pending = g_strdupv (event->pending);
  copy->failed = event->failed;
  if (event->reactions != NULL)
    {
      copy->reactions = g_ptr_array_new_full (event->reactions->len, (GDestroyNotify) sotto_group_reaction_free);
      for (guint i = 0; i < event->reactions->len; i++)
        {
          SottoGroupReaction *reaction = g_ptr_array_index (event->reactions, i);

          SottoGroupReaction *reaction_copy = sotto_group_reaction_new (reaction->author, reaction->author_name,
                                                                        reaction->emoji);

          reaction_copy->outgoing = reaction->outgoing;
          g_ptr_array_add (copy->reactions, reaction_copy);
        }
    }

  return copy;
}

void
sotto_group_event_free (SottoGroupEvent *event)
{
  if (event == NULL)
    return;

  g_free (event->id);
  g_free (event->author);
  g_free (event->author_name);
  g_free (event->text);
  g_free (event->detail);
  g_free (event->quote_id);
  g_free (event->quote_author);
  g_free (event->quote_text);
  g_clear_pointer (&event->reactions, g_ptr_array_unref);
  g_strfreev (event->pending);
  g_free (event);
}

SottoGroupReaction *
sotto_group_reaction_new (const char *author,
                          const char *author_name,
                          const char *emoji)
{
  SottoGroupReaction *reaction = g_new0 (SottoGroupReaction, 1);

  reaction->author = g_strdup (author);
  reaction->author_name = g_strdup (author_name);
  reaction->emoji = g_strdup (emoji);

  return reaction;
}

void
sotto_group_reaction_free (SottoGroupReaction *reaction)
{
  if (reaction == NULL)
    return;

  g_free (reaction->author);
  g_free (reaction->author_name);
  g_free (reaction->emoji);
  g_free (reaction);
}

/**
 * sotto_group_event_find_reaction:
 * @event: a message of a group
 * @author: a member's account UUID
 *
 * Returns: (nullable): the member's reaction to the message, if any
 */
const SottoGroupReaction *
sotto_group_event_find_reaction (const SottoGroupEvent *event,
                                 const char            *author)
{
  g_return_val_if_fail (event != NULL, NULL);
  g_return_val_if_fail (author != NULL, NULL);

  for (guint i = 0; event->reactions != NULL && i < event->reactions->len; i++)
    {
      SottoGroupReaction *reaction = g_ptr_array_index (event->reactions, i);

      if (g_ascii_strcasecmp (reaction->author, author) == 0)
        return reaction;
    }

  return NULL;
}

/* What @event's author did, in a sentence with the name @who, which is
 * "You" for this account. */
static char *
describe_update (const SottoGroupEvent *event,
                 const char            *who)
{
  const char *action = event->text != NULL ? event->text : "";
  const char *detail = event->detail != NULL ? event->detail : "";

  /* Translators: in a group's timeline, "%1$s" is who changed the
   * group ("You" or a member's username), "%2$s" the member or title
   * the change is about. */
  if (g_str_equal (action, "create"))
    return g_strdup_printf (_("%1$s created the group “%2$s”"), who, detail);
  if (g_str_equal (action, "add"))
    return g_strdup_printf (_("%1$s added %2$s"), who, detail);
  if (g_str_equal (action, "remove"))
    return g_strdup_printf (_("%1$s removed %2$s"), who, detail);
  if (g_str_equal (action, "leave"))
    return g_strdup_printf (_("%s left the group"), who);
  if (g_str_equal (action, "rename"))
    return g_strdup_printf (_("%1$s renamed the group “%2$s”"), who, detail);
  if (g_str_equal (action, "promote"))
    return g_strdup_printf (_("%1$s made %2$s an admin"), who, detail);
  if (g_str_equal (action, "demote"))
    return g_strdup_printf (_("%1$s removed %2$s as an admin"), who, detail);
  if (g_str_equal (action, "key"))
    return g_strdup_printf (_("%1$s recorded the new safety number of %2$s"), who, detail);
  /* An avatar change's detail is the new picture's digest, none when it
   * was removed. */
  if (g_str_equal (action, "avatar") && event->detail != NULL)
    return g_strdup_printf (_("%s changed the group picture"), who);
  if (g_str_equal (action, "avatar"))
    return g_strdup_printf (_("%s removed the group picture"), who);

  return g_strdup_printf (_("%s changed the group"), who);
}

/**
 * sotto_group_event_describe:
 * @event: an entry of a group's timeline
 *
 * Returns: (transfer full): a sentence for the conversation list and the
 *   timeline: the text of a message, what a change did, or that a
 *   member's safety number changed
 */
char *
sotto_group_event_describe (const SottoGroupEvent *event)
{
  const char *who;

  g_return_val_if_fail (event != NULL, NULL);

  who = event->outgoing ? _("You") : (event->author_name != NULL ? event->author_name : event->author);

  switch (event->kind)
    {
    case SOTTO_GROUP_EVENT_UPDATE:
      return describe_update (event, who);

    case SOTTO_GROUP_EVENT_KEY_CHANGE:
      return g_strdup_printf (_("Your safety number with %s changed"), who);

    case SOTTO_GROUP_EVENT_TEXT:
    default:
      return g_strdup (event->text != NULL ? event->text : "");
    }
}

/**
 * sotto_group_event_to_message:
 * @event: an entry of a group's timeline
 *
 * The entry as the message rows of a 1:1 conversation show messages and
 * events: a message to the group is a text message from its author, a
 * change a %SOTTO_MESSAGE_KIND_GROUP_UPDATE event with its description,
 * a member's key change a %SOTTO_MESSAGE_KIND_SAFETY_NUMBER_CHANGED
 * event.  What members sent arrived; what this account sent is queued
 * while members wait for it, failed when the last try failed for good,
 * and sent once the relay took it for every member; either says whether
 * it went through the relay sealed.  A message has
 * its quote, whether it was edited or deleted, this account's reaction,
 * and the other members' reactions together as the contact's.
 *
 * Returns: (transfer full): a message that is in no conversation
 */
SottoMessage *
sotto_group_event_to_message (const SottoGroupEvent *event)
{
  g_autoptr(SottoMessageRecord) record = NULL;
  g_autoptr(GString) theirs = g_string_new (NULL);
  g_autofree char *body = NULL;
  SottoMessageKind kind;
  SottoMessageState state;

  g_return_val_if_fail (event != NULL, NULL);

  switch (event->kind)
    {
    case SOTTO_GROUP_EVENT_UPDATE:
      kind = SOTTO_MESSAGE_KIND_GROUP_UPDATE;
      body = sotto_group_event_describe (event);
      break;

    case SOTTO_GROUP_EVENT_KEY_CHANGE:
      kind = SOTTO_MESSAGE_KIND_SAFETY_NUMBER_CHANGED;
      break;

    case SOTTO_GROUP_EVENT_TEXT:
    default:
      kind = SOTTO_MESSAGE_KIND_TEXT;
      body = g_strdup (event->text);
      break;
    }

  if (!event->outgoing)
    state = SOTTO_MESSAGE_STATE_READ;
  else if (event->pending == NULL)
    state = SOTTO_MESSAGE_STATE_SENT;
  else
    state = event->failed ? SOTTO_MESSAGE_STATE_FAILED : SOTTO_MESSAGE_STATE_QUEUED;

  record = _sotto_message_record_new (event->id,
                                      event->outgoing ? SOTTO_MESSAGE_DIRECTION_OUTGOING
                                                      : SOTTO_MESSAGE_DIRECTION_INCOMING,
                                      kind, state, event->sent_at, event->sent_at, body);
  record->sealed = event->sealed;
  record->edited = event->edited;
  record->deleted = event->deleted;
  record->quote_id = g_strdup (event->quote_id);
  record->quote_author = g_strdup (event->quote_author);
  record->quote_text = g_strdup (event->quote_text);
  for (guint i = 0; event->reactions != NULL && i < event->reactions->len; i++)
    {
      SottoGroupReaction *reaction = g_ptr_array_index (event->reactions, i);

      if (reaction->outgoing)
        {
          g_free (record->my_reaction);
          record->my_reaction = g_strdup (reaction->emoji);
        }
      else
        g_string_append_printf (theirs, "%s%s", theirs->len > 0 ? " " : "", reaction->emoji);
    }
  if (theirs->len > 0)
    record->their_reaction = g_string_free (g_steal_pointer (&theirs), FALSE);

  return _sotto_message_new_from_record (record);
}
