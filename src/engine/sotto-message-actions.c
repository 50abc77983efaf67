/* sotto-message-actions.c: replying to, reacting to, editing and
 * deleting messages for everyone
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-messenger"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sotto-account.h"
#include "sotto-contact.h"
#include "sotto-conversation-private.h"
#include "sotto-message-actions-private.h"
#include "sotto-message-list-private.h"
#include "sotto-message-private.h"
#include "sotto-messenger-private.h"
#include "sotto-outbox-private.h"

/* What this device does to a message of a conversation.  A reply is a
 * message like any other, stored and sent through the outbox, with the
 * quote of the message it answers.  A reaction, an edit and a deletion
 * for everyone change a message instead: each is checked against the
 * message here (only the author edits or deletes, for 24 hours), sent
 * to the contact at once, and applied to this device's copy only once
 * the relay took it, so that both sides agree.  One that cannot be sent
 * fails, and nothing changed. */

/* How much of a message a reply quotes, in characters. */
#define QUOTE_EXCERPT_CHARS 200

typedef struct
{
  SottoConversation *conversation;
  gint64 conversation_id;
  SottoContentKind kind;
  char *target_id;
  /* The reply's or the edit's text, or the reaction (%NULL removes it). */
  char *text;
  char *account_uuid;
  char *contact_uuid;
  char *sender;

  /* Read from the store: the target as it was, and after the change. */
  SottoMessageRecord *target;
  SottoContent *content;
  SottoMessageRecord *changed;
} Change;

static void
change_free (Change *change)
{
  g_clear_object (&change->conversation);
  g_free (change->target_id);
  g_free (change->text);
  g_free (change->account_uuid);
  g_free (change->contact_uuid);
  g_free (change->sender);
  g_clear_pointer (&change->target, _sotto_message_record_free);
  g_clear_pointer (&change->content, sotto_content_free);
  g_clear_pointer (&change->changed, _sotto_message_record_free);
  g_free (change);
}

/* The content a queued message goes out as. */
SottoContent *
_sotto_outbox_item_content (const SottoOutboxItem *item,
                            const char            *sender)
{
  SottoContent *content = sotto_content_new_text (item->id, item->sent_at, sender, item->body);

  if (item->quote_id != NULL)
    sotto_content_set_quote (content, item->quote_id, item->quote_author, item->quote_text);
  if (item->attachments != NULL)
    content->attachments = g_ptr_array_ref (item->attachments);

  return content;
}

/* Shows @record, a message that changed, in whatever of the
 * conversation's models has it loaded. */
void
_sotto_message_actions_show (SottoConversation        *conversation,
                             const SottoMessageRecord *record)
{
  SottoMessageList *messages = SOTTO_MESSAGE_LIST (sotto_conversation_get_messages (conversation));
  SottoMessage *message = _sotto_message_list_peek (messages, record->position);

  if (message != NULL && sotto_message_get_loaded (message)
      && g_strcmp0 (sotto_message_get_id (message), record->id) == 0)
    _sotto_message_update (message, record);

  /* The conversation list shows the last message's text. */
  _sotto_conversation_refresh_preview (conversation);
}

/* On the store's thread: whether the change may be made to its target,
 * as far as this device can tell before sending it. */
static gboolean
change_check (Change   *change,
              GError  **error)
{
  SottoMessageRecord *target = change->target;

  if (target->kind != SOTTO_MESSAGE_KIND_TEXT || target->deleted)
    {
      g_set_error_literal (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                           _("The message was deleted"));
      return FALSE;
    }

  if (change->kind != SOTTO_CONTENT_KIND_EDIT && change->kind != SOTTO_CONTENT_KIND_DELETION)
    return TRUE;

  if (target->direction != SOTTO_MESSAGE_DIRECTION_OUTGOING)
    {
      g_set_error_literal (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                           _("Only its author can edit or delete a message for everyone"));
      return FALSE;
    }

  /* The contact does not have a message the relay never accepted; a
   * deletion would go out before the message itself, which the outbox
   * still holds. */
  if (target->state == SOTTO_MESSAGE_STATE_QUEUED || target->state == SOTTO_MESSAGE_STATE_FAILED)
    {
      g_set_error_literal (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                           _("The message has not been sent yet: it can only be deleted for you"));
      return FALSE;
    }

  if (_sotto_now_ms () - target->sent_at > SOTTO_STORE_ACTION_WINDOW_MS)
    {
      g_set_error_literal (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                           _("A message can be edited or deleted for everyone only in the 24 hours after it was sent"));
      return FALSE;
    }

  return TRUE;
}

static void
change_load_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  SottoMessenger *self = source_object;
  Change *change = task_data;
  GError *error = NULL;

  change->target = _sotto_store_load_message (self->store, change->conversation_id, change->target_id,
                                              NULL, &error);
  if (change->target == NULL || !change_check (change, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
change_apply_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  SottoMessenger *self = source_object;
  Change *change = task_data;
  SottoStoreActionResult result;
  GError *error = NULL;

  if (!_sotto_store_begin (self->store, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (!_sotto_store_apply_action (self->store, change->conversation_id, TRUE, change->content, &result, &error)
      || !_sotto_store_commit (self->store, &error))
    {
      _sotto_store_rollback (self->store);
      g_task_return_error (task, error);
      return;
    }

  change->changed = _sotto_store_load_message (self->store, change->conversation_id, change->target_id,
                                               NULL, &error);
  if (change->changed == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
change_applied_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Change *change = g_task_get_task_data (task);

  if (!_sotto_task_propagate_step (task, result))
    return;

  _sotto_message_actions_show (change->conversation, change->changed);
  g_task_return_pointer (task, g_strdup (change->content->id), g_free);
}

static void
change_sent_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!_sotto_outbox_send_content_finish (SOTTO_OUTBOX (object), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  _sotto_task_run_step (task, self->store, change_apply_thread, change_applied_cb);
}

/* An excerpt of @text for a quote: its first characters, whole. */
char *
_sotto_message_actions_quote_excerpt (const char *text)
{
  const char *end;

  if (text == NULL)
    return NULL;

  end = g_utf8_offset_to_pointer (text, MIN (g_utf8_strlen (text, -1), QUOTE_EXCERPT_CHARS));

  return g_strndup (text, MIN ((gsize) (end - text), SOTTO_CONTENT_MAX_QUOTE_TEXT));
}

static void
change_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SottoMessenger *self = g_task_get_source_object (task);
  Change *change = g_task_get_task_data (task);
  SottoMessageRecord *target = change->target;
  const char *target_author;
  g_autofree char *id = NULL;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      /* A reply finishes as a send does, whose task data is the
       * message, if it was stored: this one was not. */
      if (change->kind == SOTTO_CONTENT_KIND_TEXT)
        g_task_set_task_data (task, NULL, NULL);
      g_task_return_error (task, error);
      return;
    }

  target_author = target->direction == SOTTO_MESSAGE_DIRECTION_OUTGOING
                  ? change->account_uuid : change->contact_uuid;

  if (change->kind == SOTTO_CONTENT_KIND_TEXT)
    {
      g_autoptr(SottoMessageRecord) quote = _sotto_message_record_new (target->id, target->direction,
                                                                       target->kind, target->state,
                                                                       target->sent_at, target->received_at,
                                                                       NULL);

      g_autoptr(SottoConversation) conversation = g_object_ref (change->conversation);
      g_autofree char *text = g_steal_pointer (&change->text);
      GCancellable *cancellable = g_task_get_cancellable (task);

      quote->quote_id = g_strdup (target->id);
      quote->quote_author = g_strdup (target_author);
      quote->quote_text = _sotto_message_actions_quote_excerpt (target->body);
      g_task_set_task_data (task, NULL, NULL);
      _sotto_outbox_send_reply_async (self->outbox, conversation, text, quote, cancellable,
                                      _sotto_messenger_send_done_cb, g_steal_pointer (&task));
      return;
    }

  id = g_uuid_string_random ();
  switch (change->kind)
    {
    case SOTTO_CONTENT_KIND_REACTION:
      change->content = sotto_content_new_reaction (id, _sotto_now_ms (), change->sender, change->target_id,
                                                    target_author, change->text);
      break;

    case SOTTO_CONTENT_KIND_EDIT:
      change->content = sotto_content_new_edit (id, _sotto_now_ms (), change->sender, change->target_id,
                                                change->text);
      break;

    case SOTTO_CONTENT_KIND_DELETION:
    default:
      change->content = sotto_content_new_deletion (id, _sotto_now_ms (), change->sender, change->target_id);
      break;
    }

  _sotto_outbox_send_content_async (self->outbox, change->conversation, change->content,
                                    g_task_get_cancellable (task), change_sent_cb, g_object_ref (task));
}

static void
change_start (SottoMessenger      *self,
              SottoConversation   *conversation,
              SottoContentKind     kind,
              const char          *message_id,
              const char          *text,
              gpointer             source_tag,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;
  Change *change;

  g_task_set_source_tag (task, source_tag);

  if (message_id == NULL || !g_uuid_string_is_valid (message_id))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("“%s” is not a message id"), message_id != NULL ? message_id : "");
      return;
    }

  if (text != NULL && strlen (text) > (kind == SOTTO_CONTENT_KIND_REACTION
                                       ? SOTTO_CONTENT_MAX_EMOJI : SOTTO_MESSAGE_MAX_TEXT))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               kind == SOTTO_CONTENT_KIND_REACTION ? _("A reaction is one emoji")
                                                                   : _("The message is too long"));
      return;
    }

  /* A reply accepts the request, as writing does (see
   * sotto_messenger_reply_async()); nothing else answers one. */
  if (kind != SOTTO_CONTENT_KIND_TEXT && !_sotto_messenger_check_accepted (conversation, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  change = g_new0 (Change, 1);
  change->conversation = g_object_ref (conversation);
  change->conversation_id = _sotto_conversation_get_id (conversation);
  change->kind = kind;
  change->target_id = g_ascii_strdown (message_id, -1);
  change->text = g_strdup (text);
  change->account_uuid = g_strdup (sotto_account_get_uuid (self->account));
  change->contact_uuid = g_strdup (sotto_contact_get_uuid (sotto_conversation_get_contact (conversation)));
  change->sender = g_strdup (sotto_account_get_username (self->account));
  g_task_set_task_data (task, change, (GDestroyNotify) change_free);

  _sotto_task_run_step (task, self->store, change_load_thread, change_loaded_cb);
}

/**
 * sotto_messenger_reply_async:
 * @self: a #SottoMessenger
 * @conversation: the conversation of the message
 * @message_id: the message to reply to
 * @text: the reply
 * @cancellable: (nullable): a #GCancellable
 * @callback: called as for sotto_messenger_send_async()
 * @user_data: data for @callback
 *
 * Sends @text as sotto_messenger_send_async() does, with a quote of
 * @message_id: its id, its author and its first 200 characters.
 */
void
sotto_messenger_reply_async (SottoMessenger      *self,
                             SottoConversation   *conversation,
                             const char          *message_id,
                             const char          *text,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));
  g_return_if_fail (text != NULL && g_utf8_validate (text, -1, NULL));

  /* Replying to a message request accepts it, as writing does. */
  if (sotto_contact_get_standing (sotto_conversation_get_contact (conversation)) != SOTTO_CONTACT_STANDING_ACCEPTED)
    sotto_messenger_accept_async (self, conversation, NULL, NULL, NULL);

  change_start (self, conversation, SOTTO_CONTENT_KIND_TEXT, message_id, text,
                sotto_messenger_reply_async, cancellable, callback, user_data);
}

/**
 * sotto_messenger_reply_finish:
 *
 * As sotto_messenger_send_finish().
 */
gboolean
sotto_messenger_reply_finish (SottoMessenger  *self,
                              GAsyncResult    *result,
                              SottoMessage   **message,
                              GError         **error)
{
  return sotto_messenger_send_finish (self, result, message, error);
}

/**
 * sotto_messenger_react_async:
 * @self: a #SottoMessenger
 * @conversation: the conversation of the message
 * @message_id: the message to react to
 * @emoji: (nullable): the reaction; %NULL or "" removes this account's
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay took the reaction and this device
 *   shows it, or it failed
 * @user_data: data for @callback
 *
 * Sets this account's one reaction to a message, replacing the one it
 * had; finish with sotto_messenger_change_finish().
 */
void
sotto_messenger_react_async (SottoMessenger      *self,
                             SottoConversation   *conversation,
                             const char          *message_id,
                             const char          *emoji,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));
  g_return_if_fail (emoji == NULL || g_utf8_validate (emoji, -1, NULL));

  change_start (self, conversation, SOTTO_CONTENT_KIND_REACTION, message_id,
                emoji != NULL && *emoji != '\0' ? emoji : NULL,
                sotto_messenger_react_async, cancellable, callback, user_data);
}

/**
 * sotto_messenger_edit_async:
 * @self: a #SottoMessenger
 * @conversation: the conversation of the message
 * @message_id: a message this account sent in the last 24 hours
 * @text: its new text
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay took the edit and this device shows
 *   it, or it failed
 * @user_data: data for @callback
 *
 * Replaces the text of a message for everyone; the text it replaces is
 * kept (sotto_messenger_load_edits_async()).  Finish with
 * sotto_messenger_change_finish().
 */
void
sotto_messenger_edit_async (SottoMessenger      *self,
                            SottoConversation   *conversation,
                            const char          *message_id,
                            const char          *text,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));
  g_return_if_fail (text != NULL && g_utf8_validate (text, -1, NULL));

  change_start (self, conversation, SOTTO_CONTENT_KIND_EDIT, message_id, text,
                sotto_messenger_edit_async, cancellable, callback, user_data);
}

/**
 * sotto_messenger_delete_for_everyone_async:
 * @self: a #SottoMessenger
 * @conversation: the conversation of the message
 * @message_id: a message this account sent in the last 24 hours
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the relay took the deletion and this device
 *   removed the text, or it failed
 * @user_data: data for @callback
 *
 * Deletes a message for everyone: its text, earlier versions and
 * reactions are removed from both sides' stores, and it shows as
 * deleted.  Finish with sotto_messenger_change_finish().
 */
void
sotto_messenger_delete_for_everyone_async (SottoMessenger      *self,
                                           SottoConversation   *conversation,
                                           const char          *message_id,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));

  change_start (self, conversation, SOTTO_CONTENT_KIND_DELETION, message_id, NULL,
                sotto_messenger_delete_for_everyone_async, cancellable, callback, user_data);
}

/**
 * sotto_messenger_change_finish:
 * @self: a #SottoMessenger
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Finishes a reaction, an edit or a deletion for everyone.
 *
 * Returns: (transfer full): the id of the content that carried the
 *   change, or %NULL with @error set
 */
char *
sotto_messenger_change_finish (SottoMessenger  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
load_edits_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  SottoMessenger *self = source_object;
  Change *change = task_data;
  GError *error = NULL;
  GPtrArray *texts;

  texts = _sotto_store_load_edits (self->store, change->conversation_id, change->target_id, &error);
  if (texts == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, texts, (GDestroyNotify) g_ptr_array_unref);
}

/**
 * sotto_messenger_load_edits_async:
 * @self: a #SottoMessenger
 * @conversation: the conversation of the message
 * @message_id: an edited message
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the texts
 * @user_data: data for @callback
 *
 * Reads the versions an edited message had before its current text.
 */
void
sotto_messenger_load_edits_async (SottoMessenger      *self,
                                  SottoConversation   *conversation,
                                  const char          *message_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Change *change;

  g_return_if_fail (SOTTO_IS_MESSENGER (self));
  g_return_if_fail (SOTTO_IS_CONVERSATION (conversation));
  g_return_if_fail (message_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_messenger_load_edits_async);

  change = g_new0 (Change, 1);
  change->conversation_id = _sotto_conversation_get_id (conversation);
  change->target_id = g_ascii_strdown (message_id, -1);
  g_task_set_task_data (task, change, (GDestroyNotify) change_free);

  _sotto_store_run_in_thread (self->store, g_steal_pointer (&task), load_edits_thread);
}

/**
 * sotto_messenger_load_edits_finish:
 *
 * Returns: (transfer full) (element-type utf8): the texts, oldest first;
 *   empty for a message never edited
 */
GPtrArray *
sotto_messenger_load_edits_finish (SottoMessenger  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (SOTTO_IS_MESSENGER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Receiving */

/**
 * _sotto_message_actions_receive:
 * @changed: (out): the message as the action left it, when it applied
 *
 * Applies a reaction, an edit or a deletion from the contact of
 * @conversation_id.  Returns %FALSE only when the database failed.
 */
gboolean
_sotto_message_actions_receive (SottoStore               *store,
                                gint64                    conversation_id,
                                const SottoContent       *content,
                                SottoStoreActionResult   *result,
                                SottoMessageRecord      **changed,
                                GError                  **error)
{
  if (!_sotto_store_apply_action (store, conversation_id, FALSE, content, result, error))
    return FALSE;

  if (*result != SOTTO_STORE_ACTION_APPLIED)
    return TRUE;

  *changed = _sotto_store_load_message (store, conversation_id, content->target_id, NULL, error);

  return *changed != NULL;
}

/* Applies what waited for @message, just stored, and replaces it with
 * the message as that left it; @applied gets the actions that changed
 * it, in the order they came. */
gboolean
_sotto_message_actions_apply_pending (SottoStore          *store,
                                      gint64               conversation_id,
                                      SottoMessageRecord **message,
                                      GPtrArray          **applied,
                                      GError             **error)
{
  SottoMessageRecord *changed;

  *applied = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_content_free);
  if (!_sotto_store_apply_pending (store, conversation_id, (*message)->id, *applied, error))
    return FALSE;

  if ((*applied)->len == 0)
    return TRUE;

  changed = _sotto_store_load_message (store, conversation_id, (*message)->id, NULL, error);
  if (changed == NULL)
    return FALSE;

  _sotto_message_record_free (*message);
  *message = changed;

  return TRUE;
}

/* Which action @content, a reaction, an edit or a deletion, is. */
SottoMessageAction
_sotto_message_actions_kind (const SottoContent *content)
{
  switch (content->kind)
    {
    case SOTTO_CONTENT_KIND_REACTION:
      return SOTTO_MESSAGE_ACTION_REACTION;

    case SOTTO_CONTENT_KIND_EDIT:
      return SOTTO_MESSAGE_ACTION_EDIT;

    case SOTTO_CONTENT_KIND_DELETION:
    default:
      return SOTTO_MESSAGE_ACTION_DELETE;
    }
}

/* Shows what a received action changed, and returns whether it did
 * change something.  One that waits for its message is news only once
 * the message comes; a forged or refused one never is. */
gboolean
_sotto_message_actions_show_received (SottoConversation        *conversation,
                                      SottoStoreActionResult    result,
                                      const SottoMessageRecord *changed)
{
  if (result != SOTTO_STORE_ACTION_APPLIED)
    return FALSE;

  _sotto_message_actions_show (conversation, changed);

  return TRUE;
}
