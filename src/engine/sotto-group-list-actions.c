/* sotto-group-list-actions.c: replying to, reacting to, editing and
 * deleting the messages of a group
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sotto-account.h"
#include "sotto-group-private.h"
#include "sotto-group-list-internal-private.h"
#include "sotto-message-actions-private.h"
#include "sotto-store-groups-private.h"

/* What members do to a group's messages, as in a 1:1 conversation
 * (sotto-message-actions.c): a reply is a message with the quote of the
 * one it answers; a reaction, an edit and a deletion for everyone are
 * messages to the group, under its sender keys (sotto-group-list-send.c),
 * that change one of its messages.  Each is checked where it is made and
 * again by every member who gets it, against the same rules: only a
 * current member changes the group's messages, only a message of that
 * group by the author it names, one reaction per member and message,
 * and only a message's author edits or deletes it for everyone, within
 * 24 hours of sending it.  A change that breaks them changes nothing.
 *
 * A message is named by its author and its id, since each member
 * chooses the ids of its own messages (sotto-store-groups.c). */

/* The most reactions a message keeps: one for each member it ever had,
 * which this bounds for a group whose members come and go. */
#define MAX_REACTIONS 256

typedef struct
{
  SottoGroupEvent *message;
  SottoMessageAction action;
  char *author_name;
  char *id;
  char *text;
  gint64 sent_at;
} SottoGroupChange;

static void
group_change_free (SottoGroupChange *change)
{
  sotto_group_event_free (change->message);
  g_free (change->author_name);
  g_free (change->id);
  g_free (change->text);
  g_free (change);
}

static gboolean
refuse (GError     **error,
        const char  *message)
{
  g_set_error_literal (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED, message);
  return FALSE;
}

static gboolean
set_not_found (GError **error)
{
  g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_FOUND, _("The group has no such message"));
  return FALSE;
}

/* Adds @uuid to @authors, once. */
static void
add_author (GPtrArray  *authors,
            const char *uuid)
{
  if (!g_ptr_array_find_with_equal_func (authors, uuid, (GEqualFunc) g_str_equal, NULL))
    g_ptr_array_add (authors, g_ascii_strdown (uuid, -1));
}

/* The message @target_id of the group in row @row, whose author the user
 * did not say: this account's, or that of whichever member, present or
 * past, has one of that id.  Two members with messages of the same id
 * (one chose another's) are for the user to tell apart. */
static SottoGroupEvent *
find_target (SottoStore       *store,
             gint64            row,
             SottoGroupState  *state,
             const char       *own_uuid,
             const char       *target_id,
             gint64           *id,
             GError          **error)
{
  g_autoptr(GPtrArray) authors = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(SottoGroupEvent) found = NULL;

  add_author (authors, own_uuid);
  for (guint i = 0; i < state->members->len; i++)
    add_author (authors, ((SottoGroupMember *) g_ptr_array_index (state->members, i))->uuid);
  for (guint i = 0; i < state->history->len; i++)
    {
      SottoGroupUpdate *update = g_ptr_array_index (state->history, i);

      for (guint j = 0; j < update->members->len; j++)
        add_author (authors, ((SottoGroupMember *) g_ptr_array_index (update->members, j))->uuid);
    }

  for (guint i = 0; i < authors->len; i++)
    {
      GError *find_error = NULL;
      gint64 event_row = 0;
      SottoGroupEvent *event;

      event = _sotto_store_find_group_event (store, row, g_ptr_array_index (authors, i), target_id, &event_row,
                                             &find_error);
      if (event == NULL && !g_error_matches (find_error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, find_error);
          return NULL;
        }
      g_clear_error (&find_error);
      if (event == NULL)
        continue;

      if (found != NULL)
        {
          sotto_group_event_free (event);
          refuse (error, _("Two members’ messages have this id"));
          return NULL;
        }
      found = event;
      *id = event_row;
    }

  if (found == NULL)
    set_not_found (error);

  return g_steal_pointer (&found);
}

/* Sets the reaction of the member @author to @message, replacing the
 * one it had; %NULL @emoji takes it away. */
static gboolean
set_reaction (SottoGroupEvent  *message,
              const char       *author,
              const char       *author_name,
              const char       *emoji,
              gboolean          outgoing,
              GError          **error)
{
  SottoGroupReaction *reaction;

  if (message->reactions == NULL)
    message->reactions = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_group_reaction_free);

  for (guint i = 0; i < message->reactions->len; i++)
    {
      SottoGroupReaction *existing = g_ptr_array_index (message->reactions, i);

      if (g_ascii_strcasecmp (existing->author, author) == 0)
        {
          g_ptr_array_remove_index (message->reactions, i);
          break;
        }
    }

  if (emoji == NULL)
    return TRUE;

  if (message->reactions->len >= MAX_REACTIONS)
    return refuse (error, _("The message has too many reactions"));

  reaction = sotto_group_reaction_new (author, author_name, emoji);
  reaction->outgoing = outgoing;
  g_ptr_array_add (message->reactions, reaction);
  return TRUE;
}

/* Makes @content, a reaction, an edit or a deletion by the member
 * @author (this account, when @outgoing), to @message, in row @id, if
 * the rules allow it. */
static gboolean
apply (SottoStore          *store,
       gint64               id,
       SottoGroupEvent     *message,
       const char          *author,
       const char          *author_name,
       gboolean             outgoing,
       const SottoContent  *content,
       GError             **error)
{
  if (message->kind != SOTTO_GROUP_EVENT_TEXT)
    return set_not_found (error);
  if (message->deleted)
    return refuse (error, _("The message was deleted"));

  switch (content->kind)
    {
    case SOTTO_CONTENT_KIND_REACTION:
      if (!set_reaction (message, author, author_name, content->emoji, outgoing, error))
        return FALSE;
      break;

    case SOTTO_CONTENT_KIND_EDIT:
    case SOTTO_CONTENT_KIND_DELETION:
      if (g_ascii_strcasecmp (message->author, author) != 0)
        return refuse (error, _("Only its author can edit or delete a message for everyone"));
      if (content->timestamp - message->sent_at > SOTTO_STORE_ACTION_WINDOW_MS)
        return refuse (error, _("A message can be edited or deleted for everyone only in the 24 hours after it was sent"));

      g_free (message->text);
      if (content->kind == SOTTO_CONTENT_KIND_EDIT)
        {
          message->text = g_strdup (content->text);
          message->edited = TRUE;
          break;
        }

      /* Nothing of it is kept but that it was there. */
      message->text = NULL;
      message->deleted = TRUE;
      g_clear_pointer (&message->quote_id, g_free);
      g_clear_pointer (&message->quote_author, g_free);
      g_clear_pointer (&message->quote_text, g_free);
      g_clear_pointer (&message->reactions, g_ptr_array_unref);
      break;

    default:
      g_assert_not_reached ();
    }

  return _sotto_store_update_group_event (store, id, message, error);
}

/* Runs on the store's thread, in the transaction that sends @content
 * from this account, a member of the group in row @row, with @state:
 * a reply gets the quote of the message @target_id by @target_author
 * (%NULL to find it), a change is made to it, and *@changed is then the
 * message as changed.  What the rules refuse fails with a message for
 * the user. */
gboolean
_sotto_group_prepare_change (SottoStore        *store,
                             gint64             row,
                             SottoGroupState   *state,
                             const char        *own_uuid,
                             const char        *own_name,
                             const char        *target_author,
                             const char        *target_id,
                             SottoContent      *content,
                             SottoGroupEvent  **changed,
                             GError           **error)
{
  g_autoptr(SottoGroupEvent) message = NULL;
  gint64 id = 0;

  if (target_author != NULL)
    message = _sotto_store_find_group_event (store, row, target_author, target_id, &id, error);
  else
    message = find_target (store, row, state, own_uuid, target_id, &id, error);
  if (message == NULL)
    return FALSE;

  if (content->kind == SOTTO_CONTENT_KIND_TEXT)
    {
      g_autofree char *excerpt = NULL;

      if (message->kind != SOTTO_GROUP_EVENT_TEXT)
        return set_not_found (error);
      if (message->deleted)
        return refuse (error, _("The message was deleted"));
      excerpt = _sotto_message_actions_quote_excerpt (message->text);
      sotto_content_set_quote (content, message->id, message->author, excerpt);
      return TRUE;
    }

  if (content->kind == SOTTO_CONTENT_KIND_REACTION)
    {
      g_free (content->target_author);
      content->target_author = g_ascii_strdown (message->author, -1);
    }

  if (!apply (store, id, message, own_uuid, own_name, TRUE, content, error))
    return FALSE;

  *changed = g_steal_pointer (&message);
  return TRUE;
}

/* Runs on the store's thread, inside the inbox's transaction.  Applies
 * @content, a reaction, an edit or a deletion that the member @sender
 * sent to the group in row @row, with @state, if the rules allow it;
 * @news then tells of it.  Returns %FALSE only when the store failed. */
gboolean
_sotto_group_receive_change (SottoStore          *store,
                             SottoGroupState     *state,
                             gint64               row,
                             const char          *own_uuid,
                             const char          *sender,
                             const SottoContent  *content,
                             SottoGroupNews     **news,
                             GError             **error)
{
  const SottoGroupMember *member = _sotto_group_state_find_member (state, sender);
  const char *target_author = content->kind == SOTTO_CONTENT_KIND_REACTION ? content->target_author : sender;
  g_autoptr(SottoGroupEvent) message = NULL;
  g_autoptr(GError) refusal = NULL;
  SottoGroupChange *change;
  gint64 id = 0;

  /* What a removed member sends is not the group's. */
  if (member == NULL || _sotto_group_state_find_member (state, own_uuid) == NULL || target_author == NULL)
    return TRUE;

  message = _sotto_store_find_group_event (store, row, target_author, content->target_id, &id, &refusal);
  if (message != NULL)
    apply (store, id, message, sender, member->username, FALSE, content, &refusal);
  if (refusal != NULL)
    {
      if (refusal->domain == SOTTO_STORE_ERROR && refusal->code != SOTTO_STORE_ERROR_NOT_FOUND)
        {
          g_propagate_error (error, g_steal_pointer (&refusal));
          return FALSE;
        }
      g_debug ("Ignoring a change to a message of group %s: %s", state->id, refusal->message);
      return TRUE;
    }

  change = g_new0 (SottoGroupChange, 1);
  change->message = g_steal_pointer (&message);
  change->action = _sotto_message_actions_kind (content);
  change->author_name = g_strdup (member->username);
  change->id = g_strdup (content->id);
  change->text = g_strdup (content->kind == SOTTO_CONTENT_KIND_EDIT ? content->text : content->emoji);
  change->sent_at = content->timestamp;

  *news = _sotto_group_news_new (_sotto_group_state_copy (state));
  (*news)->changes = g_ptr_array_new_with_free_func ((GDestroyNotify) group_change_free);
  g_ptr_array_add ((*news)->changes, change);
  return TRUE;
}

/* Tells of the changes @news brought to @group's messages. */
void
_sotto_group_list_emit_changes (SottoGroupList *self,
                                SottoGroup     *group,
                                SottoGroupNews *news)
{
  for (guint i = 0; news->changes != NULL && i < news->changes->len; i++)
    {
      SottoGroupChange *change = g_ptr_array_index (news->changes, i);

      _sotto_group_list_emit_message_changed (self, group, change->message, change->action, change->author_name,
                                              change->id, change->text, change->sent_at);
    }
}

/* Starts a reply (@kind %SOTTO_CONTENT_KIND_TEXT) or a change of @kind
 * to the message @message_id by @author (%NULL to find it) of @group,
 * with @text, the reply's or edit's text or the emoji; it finishes as a
 * send does. */
static void
start (SottoGroupList      *self,
       SottoGroup          *group,
       SottoContentKind     kind,
       const char          *author,
       const char          *message_id,
       const char          *text,
       GCancellable        *cancellable,
       GAsyncReadyCallback  callback,
       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  const char *sender = sotto_account_get_username (self->account);
  g_autofree char *id = g_uuid_string_random ();
  gint64 now = _sotto_now_ms ();
  SottoContent *content;

  /* Whatever it is, it finishes as a message to the group does. */
  g_task_set_source_tag (task, sotto_group_list_send_async);

  if (message_id == NULL || !g_uuid_string_is_valid (message_id))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("“%s” is not a message id"), message_id != NULL ? message_id : "");
      return;
    }

  if (author != NULL && !g_uuid_string_is_valid (author))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("“%s” is not an account id"), author);
      return;
    }

  switch (kind)
    {
    case SOTTO_CONTENT_KIND_TEXT:
      content = sotto_content_new_text (id, now, sender, text);
      break;

    case SOTTO_CONTENT_KIND_REACTION:
      content = sotto_content_new_reaction (id, now, sender, message_id, NULL, text);
      break;

    case SOTTO_CONTENT_KIND_EDIT:
      content = sotto_content_new_edit (id, now, sender, message_id, text);
      break;

    case SOTTO_CONTENT_KIND_DELETION:
    default:
      content = sotto_content_new_deletion (id, now, sender, message_id);
      break;
    }

  _sotto_group_list_send (self, group, content, author, message_id, task);
}

/* Whether @text may go to a group as a message or an edit; if not,
 * @callback is told why, as sotto_group_list_send_async() tells it. */
gboolean
_sotto_group_list_check_text (SottoGroupList      *self,
                              const char          *text,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  if (text[0] != '\0' && strlen (text) <= SOTTO_MESSAGE_MAX_TEXT && g_utf8_validate (text, -1, NULL))
    return TRUE;

  g_task_report_new_error (self, callback, user_data, sotto_group_list_send_async,
                           SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                           _("A message is 1 to %u bytes of text"), SOTTO_MESSAGE_MAX_TEXT);
  return FALSE;
}

/**
 * sotto_group_list_reply_async:
 * @self: a #SottoGroupList
 * @group: a group this account is a member of
 * @author: (nullable): the account UUID of the message's author, or
 *   %NULL to find it
 * @message_id: the message to reply to
 * @text: the reply
 * @cancellable: (nullable): a #GCancellable
 * @callback: called as for sotto_group_list_send_async()
 * @user_data: data for @callback
 *
 * Sends @text to the group as sotto_group_list_send_async() does, with a
 * quote of @message_id; finish with sotto_group_list_send_finish().
 */
void
sotto_group_list_reply_async (SottoGroupList      *self,
                              SottoGroup          *group,
                              const char          *author,
                              const char          *message_id,
                              const char          *text,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (SOTTO_IS_GROUP_LIST (self));
  g_return_if_fail (SOTTO_IS_GROUP (group));
  g_return_if_fail (text != NULL);

  if (_sotto_group_list_check_text (self, text, callback, user_data))
    start (self, group, SOTTO_CONTENT_KIND_TEXT, author, message_id, text, cancellable, callback, user_data);
}

/**
 * sotto_group_list_react_async:
 * @self: a #SottoGroupList
 * @group: a group this account is a member of
 * @author: (nullable): the account UUID of the message's author, or
 *   %NULL to find it
 * @message_id: the message to react to
 * @emoji: (nullable): the reaction; %NULL or "" removes this account's
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay took the reaction for every member
 * @user_data: data for @callback
 *
 * Sets this account's one reaction to a message of the group, replacing
 * the one it had.  Finish with sotto_group_list_send_finish(), which
 * gives the message as it is now.
 */
void
sotto_group_list_react_async (SottoGroupList      *self,
                              SottoGroup          *group,
                              const char          *author,
                              const char          *message_id,
                              const char          *emoji,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (SOTTO_IS_GROUP_LIST (self));
  g_return_if_fail (SOTTO_IS_GROUP (group));

  if (emoji != NULL && *emoji == '\0')
    emoji = NULL;
  if (emoji != NULL && (strlen (emoji) > SOTTO_CONTENT_MAX_EMOJI || !g_utf8_validate (emoji, -1, NULL)))
    {
      g_task_report_new_error (self, callback, user_data, sotto_group_list_send_async,
                               G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("A reaction is one emoji"));
      return;
    }

  start (self, group, SOTTO_CONTENT_KIND_REACTION, author, message_id, emoji, cancellable, callback, user_data);
}

/**
 * sotto_group_list_edit_async:
 * @self: a #SottoGroupList
 * @group: a group this account is a member of
 * @message_id: a message this account sent to it in the last 24 hours
 * @text: its new text
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay took the edit for every member
 * @user_data: data for @callback
 *
 * Replaces the text of a message for every member.  Finish with
 * sotto_group_list_send_finish().
 */
void
sotto_group_list_edit_async (SottoGroupList      *self,
                             SottoGroup          *group,
                             const char          *message_id,
                             const char          *text,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (SOTTO_IS_GROUP_LIST (self));
  g_return_if_fail (SOTTO_IS_GROUP (group));
  g_return_if_fail (text != NULL);

  if (_sotto_group_list_check_text (self, text, callback, user_data))
    start (self, group, SOTTO_CONTENT_KIND_EDIT, NULL, message_id, text, cancellable, callback, user_data);
}

/**
 * sotto_group_list_delete_for_everyone_async:
 * @self: a #SottoGroupList
 * @group: a group this account is a member of
 * @message_id: a message this account sent to it in the last 24 hours
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay took the deletion for every member
 * @user_data: data for @callback
 *
 * Deletes a message for every member: its text, quote and reactions are
 * removed from every member's store, and it shows as deleted.  Finish
 * with sotto_group_list_send_finish().
 */
void
sotto_group_list_delete_for_everyone_async (SottoGroupList      *self,
                                            SottoGroup          *group,
                                            const char          *message_id,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_return_if_fail (SOTTO_IS_GROUP_LIST (self));
  g_return_if_fail (SOTTO_IS_GROUP (group));

  start (self, group, SOTTO_CONTENT_KIND_DELETION, NULL, message_id, NULL, cancellable, callback, user_data);
}

/* Deleting for the user alone */

typedef struct
{
  char *group_id;
  char *author;
  char *message_id;
} Deletion;

static void
deletion_free (Deletion *deletion)
{
  g_free (deletion->group_id);
  g_free (deletion->author);
  g_free (deletion->message_id);
  g_free (deletion);
}

/* The other members keep their copies: nothing is sent. */
static gboolean
delete_in_transaction (SottoGroupList  *self,
                       gpointer         data,
                       GError         **error)
{
  Deletion *deletion = data;
  g_autoptr(SottoGroupState) state = NULL;
  g_autoptr(SottoGroupEvent) message = NULL;
  gint64 row = 0;
  gint64 id = 0;

  state = _sotto_group_list_load_group (self, deletion->group_id, &row, error);
  if (state == NULL)
    return FALSE;

  message = _sotto_store_find_group_event (self->store, row, deletion->author, deletion->message_id, &id, error);
  if (message == NULL)
    return FALSE;
  /* The group's changes and key changes are its history, not messages. */
  if (message->kind != SOTTO_GROUP_EVENT_TEXT)
    return set_not_found (error);

  return _sotto_store_delete_group_event (self->store, id, error);
}

static void
delete_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  _sotto_group_list_run_in_transaction (task, delete_in_transaction);
}

static void
deleted_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoGroupList *self = g_task_get_source_object (task);
  Deletion *deletion = g_task_get_task_data (task);
  SottoGroup *group;

  if (!_sotto_task_propagate_step (task, result))
    return;

  /* The group's row may have shown the message as its newest. */
  group = sotto_group_list_find (self, deletion->group_id);
  if (group != NULL)
    _sotto_group_list_refresh_last_event (self, group);
  g_task_return_boolean (task, TRUE);
}

/**
 * sotto_group_list_delete_for_me_async:
 * @self: a #SottoGroupList
 * @group: a group
 * @author: the account UUID of the message's author
 * @message_id: the message to delete
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once it is deleted
 * @user_data: data for @callback
 *
 * Deletes a message of the group, the user's or a member's, from this
 * device's store, with its quote and reactions; the other members keep
 * theirs, and are told nothing.
 */
void
sotto_group_list_delete_for_me_async (SottoGroupList      *self,
                                      SottoGroup          *group,
                                      const char          *author,
                                      const char          *message_id,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Deletion *deletion;

  g_return_if_fail (SOTTO_IS_GROUP_LIST (self));
  g_return_if_fail (SOTTO_IS_GROUP (group));
  g_return_if_fail (author != NULL);
  g_return_if_fail (message_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_group_list_delete_for_me_async);

  deletion = g_new0 (Deletion, 1);
  deletion->group_id = g_strdup (sotto_group_get_id (group));
  deletion->author = g_strdup (author);
  deletion->message_id = g_strdup (message_id);
  g_task_set_task_data (task, deletion, (GDestroyNotify) deletion_free);

  _sotto_task_run_step (task, self->store, delete_thread, deleted_cb);
}

gboolean
sotto_group_list_delete_for_me_finish (SottoGroupList  *self,
                                       GAsyncResult    *result,
                                       GError         **error)
{
  return _sotto_task_propagate_boolean (self, result, sotto_group_list_delete_for_me_async, error);
}
