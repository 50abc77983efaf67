/* sotto-conversation.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-conversation"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sotto-account.h"
#include "sotto-attachment.h"
#include "sotto-contact-private.h"
#include "sotto-conversation-internal-private.h"
#include "sotto-engine-private.h"
#include "sotto-message-list-private.h"
#include "sotto-message-private.h"
#include "sotto-store-private.h"

/* Longest preview, in characters, before it is cut with an ellipsis. */
#define PREVIEW_LENGTH 100

enum {
  PROP_0,
  PROP_CONTACT,
  PROP_MESSAGES,
  PROP_UNREAD_COUNT,
  PROP_LAST_MESSAGE_PREVIEW,
  PROP_LAST_ACTIVITY,
  PROP_SENDING_HELD,
  PROP_DRAFT,
  PROP_TIMER,
  PROP_PEER_TYPING,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoConversation, sotto_conversation, G_TYPE_OBJECT)

static GParamSpec *properties [N_PROPS];

static void
operation_free (Operation *operation)
{
  g_clear_object (&operation->message);
  g_clear_pointer (&operation->record, _sotto_message_record_free);
  g_clear_pointer (&operation->id, g_free);
  g_clear_pointer (&operation->identity_key, g_bytes_unref);
  g_clear_pointer (&operation->read_ids, g_strfreev);
  g_clear_pointer (&operation->ids, g_strfreev);
  g_clear_pointer (&operation->changes, g_array_unref);
  g_clear_pointer (&operation->draft, g_free);
  g_free (operation);
}

/* The first line of @text, cut with an ellipsis when it is longer than
 * a preview. */
static char *
dup_preview_line (const char *text)
{
  g_autofree char *line = g_strndup (text, strcspn (text, "\n"));

  if (g_utf8_strlen (line, -1) > PREVIEW_LENGTH)
    {
      g_autofree char *cut = g_utf8_substring (line, 0, PREVIEW_LENGTH);

      return g_strconcat (cut, "…", NULL);
    }

  return g_steal_pointer (&line);
}

/* What a message of files shows: "Photo", or the file's name after a
 * paper clip, or how many files it has. */
static char *
dup_files_preview (GListModel *attachments)
{
  guint n_files = g_list_model_get_n_items (attachments);
  guint n_pictures = 0;
  g_autoptr(SottoAttachment) first = g_list_model_get_item (attachments, 0);

  for (guint i = 0; i < n_files; i++)
    {
      g_autoptr(SottoAttachment) attachment = g_list_model_get_item (attachments, i);
      const char *content_type = sotto_attachment_get_content_type (attachment);

      n_pictures += content_type != NULL && g_str_has_prefix (content_type, "image/");
    }

  if (n_pictures == n_files)
    return n_files == 1 ? g_strdup (_("Photo"))
                        : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u photo", "%u photos", n_files),
                                           n_files);
  if (n_files == 1 && sotto_attachment_get_name (first) != NULL && sotto_attachment_get_name (first)[0] != '\0')
    {
      g_autofree char *name = dup_preview_line (sotto_attachment_get_name (first));

      /* Translators: the preview of a message that is one file, with its name */
      return g_strdup_printf (_("📎 %s"), name);
    }

  /* Translators: the preview of a message of files without a caption */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "📎 %u file", "📎 %u files", n_files), n_files);
}

static char *
make_preview (SottoMessage *message)
{
  const char *body;
  GListModel *attachments;

  if (message == NULL)
    return NULL;

  switch (sotto_message_get_kind (message))
    {
    case SOTTO_MESSAGE_KIND_SAFETY_NUMBER_CHANGED:
      return g_strdup (_("Safety number changed"));

    case SOTTO_MESSAGE_KIND_TIMER_CHANGED:
      return g_strdup (_("Disappearing messages changed"));

    case SOTTO_MESSAGE_KIND_GROUP_UPDATE:
      return g_strdup (sotto_message_get_body (message));

    case SOTTO_MESSAGE_KIND_TEXT:
    default:
      break;
    }

  if (sotto_message_get_deleted (message))
    return g_strdup (_("This message was deleted"));

  /* Files go with a caption, which may be empty: the preview says
   * what the files are, then the caption. */
  body = sotto_message_get_body (message);
  attachments = sotto_message_get_attachments (message);
  if (g_list_model_get_n_items (attachments) > 0)
    {
      g_autofree char *files = dup_files_preview (attachments);
      g_autofree char *caption = NULL;

      if (body == NULL || body[0] == '\0')
        return g_steal_pointer (&files);

      caption = dup_preview_line (body);
      /* Translators: the preview of a message of files with a caption:
       * what the files are ("Photo", "📎 report.pdf"), then the caption */
      return g_strdup_printf (_("%s: %s"), files, caption);
    }
  if (body == NULL)
    return NULL;

  return dup_preview_line (body);
}

static void
sotto_conversation_set_unread_count (SottoConversation *self,
                                     guint              unread_count)
{
  if (self->unread_count != unread_count)
    {
      self->unread_count = unread_count;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_UNREAD_COUNT]);
    }
}

/* A "timer changed" event is stored in the same transaction as the
 * timer it names, by whichever side set it: the event's body is the
 * conversation's timer from then on. */
static void
sotto_conversation_follow_timer (SottoConversation *self,
                                 SottoMessage      *message)
{
  guint64 seconds;

  if (sotto_message_get_kind (message) != SOTTO_MESSAGE_KIND_TIMER_CHANGED
      || !g_ascii_string_to_unsigned (sotto_message_get_body (message), 10, 0, G_MAXUINT32, &seconds, NULL)
      || self->timer == seconds)
    return;

  self->timer = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_TIMER]);
}

/**
 * sotto_conversation_get_timer:
 * @self: a #SottoConversation
 *
 * Returns: the conversation's disappearing-message timer in seconds, 0
 *   when it is off
 */
guint
sotto_conversation_get_timer (SottoConversation *self)
{
  g_return_val_if_fail (SOTTO_IS_CONVERSATION (self), 0);

  return self->timer;
}

/* Shows the preview of the last message as it is now: an edit or a
 * deletion for everyone changes it in place (sotto-message-actions.c). */
void
_sotto_conversation_refresh_preview (SottoConversation *self)
{
  g_autofree char *preview = NULL;

  g_return_if_fail (SOTTO_IS_CONVERSATION (self));

  preview = make_preview (self->last_message);
  if (g_strcmp0 (preview, self->preview) != 0)
    {
      g_free (self->preview);
      self->preview = g_steal_pointer (&preview);
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_LAST_MESSAGE_PREVIEW]);
    }
}

/* Adds a message the store has just recorded, and moves the
 * conversation's activity, preview, unread count and timer with it. */
static void
sotto_conversation_append (SottoConversation *self,
                           SottoMessage      *message)
{
  g_object_freeze_notify (G_OBJECT (self));

  sotto_conversation_follow_timer (self, message);
  g_set_object (&self->last_message, message);
  _sotto_message_list_append (self->messages, message);
  _sotto_conversation_refresh_preview (self);

  if (sotto_message_get_received_at (message) > self->last_activity)
    {
      self->last_activity = sotto_message_get_received_at (message);
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_LAST_ACTIVITY]);
    }

  if (sotto_message_get_direction (message) == SOTTO_MESSAGE_DIRECTION_INCOMING
      && sotto_message_get_state (message) == SOTTO_MESSAGE_STATE_DELIVERED)
    sotto_conversation_set_unread_count (self, self->unread_count + 1);

  g_object_thaw_notify (G_OBJECT (self));
}

static void
sotto_conversation_store_cb (GObject      *object,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  SottoConversation *self = (SottoConversation *)object;
  g_autoptr(GTask) task = user_data;
  Operation *operation = g_task_get_task_data (task);

  g_assert (SOTTO_IS_CONVERSATION (self));

  if (_sotto_task_propagate_step (task, result))
    operation->apply (self, task, operation);
}

/* Runs @thread_func on the store's thread with @operation, then applies
 * the result to the models on this thread before @callback runs, so that
 * the models only ever show what is on disk. */
void
_sotto_conversation_run (SottoConversation   *self,
                         Operation           *operation,
                         GTaskThreadFunc      thread_func,
                         gpointer             source_tag,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, operation, (GDestroyNotify) operation_free);

  _sotto_task_run_step (task, self->store, thread_func, sotto_conversation_store_cb);
}

static void
sotto_conversation_insert_thread (GTask        *task,
                                  gpointer      source_object,
                                  gpointer      task_data,
                                  GCancellable *cancellable)
{
  SottoConversation *self = source_object;
  Operation *operation = task_data;
  g_autoptr(GPtrArray) messages = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (messages, operation->record);

  if (!_sotto_store_insert_messages (self->store, self->id, messages, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
sotto_conversation_insert_apply (SottoConversation *self,
                                 GTask             *task,
                                 Operation         *operation)
{
  _sotto_message_set_position (operation->message, operation->record->position);
  sotto_conversation_append (self, operation->message);
  g_task_return_pointer (task, g_object_ref (operation->message), g_object_unref);
}

/* A new outgoing message with @text, not stored yet. */
SottoMessage *
_sotto_conversation_new_queued (const char *text)
{
  g_autofree char *id = g_uuid_string_random ();
  gint64 now = _sotto_now_ms ();

  return _sotto_message_new (id,
                             SOTTO_MESSAGE_DIRECTION_OUTGOING,
                             SOTTO_MESSAGE_KIND_TEXT,
                             SOTTO_MESSAGE_STATE_QUEUED,
                             now, now, text);
}

/**
 * sotto_conversation_compose_async:
 * @self: a #SottoConversation
 * @text: the message text
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the message is stored
 * @user_data: data for @callback
 *
 * Stores a new outgoing message as queued; it enters the conversation's
 * messages when it is on disk, before anything is sent, so that no crash
 * can lose it.  A conversation whose sending is held keeps it queued.
 */
void
sotto_conversation_compose_async (SottoConversation   *self,
                                  const char          *text,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  Operation *operation;

  g_return_if_fail (SOTTO_IS_CONVERSATION (self));
  g_return_if_fail (text != NULL && g_utf8_validate (text, -1, NULL));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  operation = g_new0 (Operation, 1);
  operation->apply = sotto_conversation_insert_apply;
  operation->message = _sotto_conversation_new_queued (text);
  operation->record = _sotto_message_to_record (operation->message);

  _sotto_conversation_run (self, operation, sotto_conversation_insert_thread,
                           sotto_conversation_compose_async,
                           cancellable, callback, user_data);
}

/**
 * sotto_conversation_compose_finish:
 * @self: a #SottoConversation
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the queued message, or %NULL with @error set
 */
SottoMessage *
sotto_conversation_compose_finish (SottoConversation  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  return _sotto_task_propagate_pointer (self, result, NULL, error);
}

/**
 * sotto_conversation_receive_async:
 * @self: a #SottoConversation
 * @id: the message's UUID, as its sender chose it
 * @text: the message text
 * @sent_at: when the sender wrote it, in milliseconds since the epoch
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the message is stored
 * @user_data: data for @callback
 *
 * Stores a message from the contact; it counts as unread.  A message
 * whose @id the conversation already has fails with
 * %SOTTO_STORE_ERROR_EXISTS: the relay delivered it twice, and it can be
 * acknowledged and dropped.
 */
void
sotto_conversation_receive_async (SottoConversation   *self,
                                  const char          *id,
                                  const char          *text,
                                  gint64               sent_at,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  Operation *operation;

  g_return_if_fail (SOTTO_IS_CONVERSATION (self));
  g_return_if_fail (id != NULL && g_uuid_string_is_valid (id));
  g_return_if_fail (text != NULL && g_utf8_validate (text, -1, NULL));
  g_return_if_fail (sent_at >= 0);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  operation = g_new0 (Operation, 1);
  operation->apply = sotto_conversation_insert_apply;
  operation->message = _sotto_message_new (id,
                                           SOTTO_MESSAGE_DIRECTION_INCOMING,
                                           SOTTO_MESSAGE_KIND_TEXT,
                                           SOTTO_MESSAGE_STATE_DELIVERED,
                                           sent_at, _sotto_now_ms (), text);
  operation->record = _sotto_message_to_record (operation->message);

  _sotto_conversation_run (self, operation, sotto_conversation_insert_thread,
                           sotto_conversation_receive_async,
                           cancellable, callback, user_data);
}

/**
 * sotto_conversation_receive_finish:
 * @self: a #SottoConversation
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the stored message, or %NULL with @error set
 */
SottoMessage *
sotto_conversation_receive_finish (SottoConversation  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  return _sotto_task_propagate_pointer (self, result, NULL, error);
}

static void
sotto_conversation_apply_change (SottoConversation           *self,
                                 const SottoStoreStateChange *change)
{
  SottoMessage *message;

  message = _sotto_message_list_peek (self->messages, change->position);
  if (message != NULL && sotto_message_get_loaded (message))
    {
      /* Sealed first, and only ever set (a message does not become
       * unsealed): a row that follows the state reads both. */
      if (change->sealed)
        _sotto_message_set_sealed (message, TRUE);
      _sotto_message_set_state (message, change->state);
    }

  sotto_conversation_set_unread_count (self, change->n_unread);
}

/* State changes in one transaction.  Unless @operation is strict, a
 * message that is gone is left out, as one receipt may name messages
 * that are and messages that are not. */
static void
sotto_conversation_states_thread (GTask        *task,
                                  gpointer      source_object,
                                  gpointer      task_data,
                                  GCancellable *cancellable)
{
  SottoConversation *self = source_object;
  Operation *operation = task_data;
  g_autoptr(GError) error = NULL;

  if (!_sotto_store_begin_batch (self->store, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  for (guint i = 0; operation->ids[i] != NULL; i++)
    {
      g_autoptr(GError) local_error = NULL;
      SottoStoreStateChange change;

      if (_sotto_store_set_message_state (self->store, self->id, operation->ids[i],
                                          operation->state, &change, &local_error))
        g_array_append_val (operation->changes, change);
      else if (operation->strict)
        g_propagate_error (&error, g_steal_pointer (&local_error));
      else
        g_debug ("State of message %s not changed: %s", operation->ids[i], local_error->message);
    }

  /* A strict failure changed nothing, but the batch must end. */
  if (!_sotto_store_commit_batch (self->store, error == NULL ? &error : NULL) || error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
sotto_conversation_states_apply (SottoConversation *self,
                                 GTask             *task,
                                 Operation         *operation)
{
  for (guint i = 0; i < operation->changes->len; i++)
    sotto_conversation_apply_change (self, &g_array_index (operation->changes, SottoStoreStateChange, i));

  g_task_return_boolean (task, TRUE);
}

/* Runs the state changes of @ids, which it takes. */
static void
sotto_conversation_change_states (SottoConversation   *self,
                                  GStrv                ids,
                                  SottoMessageState    state,
                                  gboolean             strict,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  Operation *operation = g_new0 (Operation, 1);

  operation->apply = sotto_conversation_states_apply;
  operation->ids = ids;
  operation->state = state;
  operation->strict = strict;
  operation->changes = g_array_new (FALSE, FALSE, sizeof (SottoStoreStateChange));

  _sotto_conversation_run (self, operation, sotto_conversation_states_thread,
                           sotto_conversation_set_message_state_async,
                           cancellable, callback, user_data);
}

/**
 * sotto_conversation_set_message_state_async:
 * @self: a #SottoConversation
 * @id: the message's UUID
 * @state: its new state
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the state is stored
 * @user_data: data for @callback
 *
 * Moves a message to @state if sotto_message_state_can_change() allows
 * it; a late receipt for a message that is further along already changes
 * nothing.  An unknown @id is %SOTTO_STORE_ERROR_NOT_FOUND.
 */
void
sotto_conversation_set_message_state_async (SottoConversation   *self,
                                            const char          *id,
                                            SottoMessageState    state,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  GStrv ids;

  g_return_if_fail (SOTTO_IS_CONVERSATION (self));
  g_return_if_fail (id != NULL);
  g_return_if_fail (state <= SOTTO_MESSAGE_STATE_FAILED);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  ids = g_new0 (char *, 2);
  ids[0] = g_strdup (id);
  sotto_conversation_change_states (self, ids, state, TRUE, cancellable, callback, user_data);
}

/**
 * sotto_conversation_set_message_state_finish:
 * @self: a #SottoConversation
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * A change that sotto_message_state_can_change() does not allow is not
 * an error: it leaves the message as it is.
 *
 * Returns: %TRUE once the state is stored, %FALSE with @error set
 */
gboolean
sotto_conversation_set_message_state_finish (SottoConversation  *self,
                                             GAsyncResult       *result,
                                             GError            **error)
{
  return _sotto_task_propagate_boolean (self, result, NULL, error);
}

/* Like sotto_conversation_set_message_state_async() for each of @ids,
 * in one transaction; unknown ids are left out rather than failing the
 * rest.  Finish with sotto_conversation_set_message_state_finish(). */
void
_sotto_conversation_set_message_states_async (SottoConversation   *self,
                                              const char * const  *ids,
                                              SottoMessageState    state,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data)
{
  g_return_if_fail (SOTTO_IS_CONVERSATION (self));
  g_return_if_fail (ids != NULL);
  g_return_if_fail (state <= SOTTO_MESSAGE_STATE_FAILED);

  sotto_conversation_change_states (self, g_strdupv ((char **) ids), state, FALSE, NULL, callback, user_data);
}

static void
sotto_conversation_mark_read_thread (GTask        *task,
                                     gpointer      source_object,
                                     gpointer      task_data,
                                     GCancellable *cancellable)
{
  SottoConversation *self = source_object;
  Operation *operation = task_data;
  g_autoptr(GError) error = NULL;

  operation->read_ids = _sotto_store_mark_read (self->store, self->id, &error);
  if (operation->read_ids == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
sotto_conversation_mark_read_apply (SottoConversation *self,
                                    GTask             *task,
                                    Operation         *operation)
{
  _sotto_message_list_mark_read (self->messages);
  sotto_conversation_set_unread_count (self, 0);

  g_task_return_pointer (task, g_steal_pointer (&operation->read_ids), (GDestroyNotify) g_strfreev);
}

/**
 * sotto_conversation_mark_read_async:
 * @self: a #SottoConversation
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the messages are marked
 * @user_data: data for @callback
 *
 * Marks every unread message of the conversation read.
 */
void
sotto_conversation_mark_read_async (SottoConversation   *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  Operation *operation;

  g_return_if_fail (SOTTO_IS_CONVERSATION (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  operation = g_new0 (Operation, 1);
  operation->apply = sotto_conversation_mark_read_apply;

  _sotto_conversation_run (self, operation, sotto_conversation_mark_read_thread,
                           sotto_conversation_mark_read_async,
                           cancellable, callback, user_data);
}

/**
 * sotto_conversation_mark_read_finish:
 * @self: a #SottoConversation
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the ids of the messages that were unread, for
 *   read receipts; %NULL with @error set on failure
 */
GStrv
sotto_conversation_mark_read_finish (SottoConversation  *self,
                                     GAsyncResult       *result,
                                     GError            **error)
{
  return _sotto_task_propagate_pointer (self, result, NULL, error);
}

static void
sotto_conversation_mark_messages_read_thread (GTask        *task,
                                              gpointer      source_object,
                                              gpointer      task_data,
                                              GCancellable *cancellable)
{
  SottoConversation *self = source_object;
  Operation *operation = task_data;
  g_autoptr(GError) error = NULL;

  operation->read_ids = _sotto_store_mark_messages_read (self->store, self->id,
                                                         (const char * const *) operation->ids,
                                                         operation->changes, &error);
  if (operation->read_ids == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
sotto_conversation_mark_messages_read_apply (SottoConversation *self,
                                             GTask             *task,
                                             Operation         *operation)
{
  for (guint i = 0; i < operation->changes->len; i++)
    sotto_conversation_apply_change (self, &g_array_index (operation->changes, SottoStoreStateChange, i));

  g_task_return_pointer (task, g_steal_pointer (&operation->read_ids), (GDestroyNotify) g_strfreev);
}

/**
 * sotto_conversation_mark_messages_read_async:
 * @self: a #SottoConversation
 * @ids: (array zero-terminated=1): the UUIDs of messages the user has seen
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the messages are marked
 * @user_data: data for @callback
 *
 * Marks those of @ids that are unread incoming messages read, and only
 * those: the rest of the conversation stays unread, and outgoing
 * messages, messages read already and unknown ids are left as they are.
 * Finish with sotto_conversation_mark_read_finish(), which gives the ids
 * that became read, oldest first.
 */
void
sotto_conversation_mark_messages_read_async (SottoConversation   *self,
                                             const char * const  *ids,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  Operation *operation;

  g_return_if_fail (SOTTO_IS_CONVERSATION (self));
  g_return_if_fail (ids != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  operation = g_new0 (Operation, 1);
  operation->apply = sotto_conversation_mark_messages_read_apply;
  operation->ids = g_strdupv ((char **) ids);
  operation->changes = g_array_new (FALSE, FALSE, sizeof (SottoStoreStateChange));

  _sotto_conversation_run (self, operation, sotto_conversation_mark_messages_read_thread,
                           sotto_conversation_mark_messages_read_async,
                           cancellable, callback, user_data);
}

static void
sotto_conversation_delete_thread (GTask        *task,
                                  gpointer      source_object,
                                  gpointer      task_data,
                                  GCancellable *cancellable)
{
  SottoConversation *self = source_object;
  Operation *operation = task_data;
  g_autoptr(GPtrArray) last = NULL;
  g_autoptr(GError) error = NULL;
  guint n_messages;
  guint n_unread;

  if (!_sotto_store_delete_message (self->store, self->id, operation->id, &n_messages, &n_unread, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The list starts again from the store, with the newest message that
   * remains for its preview. */
  if (n_messages > 0)
    {
      last = _sotto_store_load_messages (self->store, self->id, n_messages - 1, 1, &error);
      if (last == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      operation->record = g_ptr_array_steal_index (last, 0);
    }

  operation->n_messages = n_messages;
  operation->change.n_unread = n_unread;
  g_task_return_boolean (task, TRUE);
}

static void
sotto_conversation_delete_apply (SottoConversation *self,
                                 GTask             *task,
                                 Operation         *operation)
{
  if (operation->record != NULL)
    operation->message = _sotto_message_new_from_record (operation->record);

  g_object_freeze_notify (G_OBJECT (self));

  /* Positions after the deleted message moved down by one: rather than
   * renumber the pages in memory (and those being read), the list is
   * replaced, and views follow #SottoConversation:messages. */
  g_clear_object (&self->messages);
  self->messages = _sotto_message_list_new (self->store, self->id, operation->n_messages,
                                            operation->message);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_MESSAGES]);

  g_set_object (&self->last_message, operation->message);
  _sotto_conversation_refresh_preview (self);

  sotto_conversation_set_unread_count (self, operation->change.n_unread);

  g_object_thaw_notify (G_OBJECT (self));

  g_task_return_boolean (task, TRUE);
}

/**
 * sotto_conversation_delete_message_async:
 * @self: a #SottoConversation
 * @id: the message's UUID
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the message is gone from the store
 * @user_data: data for @callback
 *
 * Deletes a message from this device ("Delete for Me"); the other side
 * keeps its copy.  #SottoConversation:messages is a new list afterwards.
 * A message still being sent cannot be deleted (%G_IO_ERROR_BUSY).
 */
void
sotto_conversation_delete_message_async (SottoConversation   *self,
                                         const char          *id,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  Operation *operation;

  g_return_if_fail (SOTTO_IS_CONVERSATION (self));
  g_return_if_fail (id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  operation = g_new0 (Operation, 1);
  operation->apply = sotto_conversation_delete_apply;
  operation->id = g_strdup (id);

  _sotto_conversation_run (self, operation, sotto_conversation_delete_thread,
                           sotto_conversation_delete_message_async,
                           cancellable, callback, user_data);
}

gboolean
sotto_conversation_delete_message_finish (SottoConversation  *self,
                                          GAsyncResult       *result,
                                          GError            **error)
{
  return _sotto_task_propagate_boolean (self, result, NULL, error);
}

void
_sotto_conversation_set_draft (SottoConversation *self,
                               const char        *draft)
{
  if (draft != NULL && draft[0] == '\0')
    draft = NULL;

  if (g_strcmp0 (self->draft, draft) == 0)
    return;

  g_free (self->draft);
  self->draft = g_strdup (draft);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_DRAFT]);
}

static void
sotto_conversation_contact_sending_held_cb (SottoConversation *self,
                                            GParamSpec        *pspec,
                                            SottoContact      *contact)
{
  g_assert (SOTTO_IS_CONVERSATION (self));

  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_SENDING_HELD]);
}

/* The model of a conversation the store read or added, with its
 * contact, built on the main thread. */
SottoConversation *
_sotto_conversation_new_from_record (SottoStore                 *store,
                                     SottoAccount               *account,
                                     const SottoConversationRecord *record)
{
  g_autoptr(SottoContact) contact = NULL;
  g_autoptr(SottoMessage) last_message = NULL;
  SottoConversation *self;

  g_return_val_if_fail (SOTTO_IS_STORE (store), NULL);
  g_return_val_if_fail (SOTTO_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (record != NULL, NULL);
  g_assert (!_sotto_store_in_job ());

  contact = _sotto_contact_new (store, account, record->contact.id, record->contact.uuid,
                                record->contact.username, record->contact.name,
                                record->contact.identity_key, record->contact.verification,
                                record->contact.standing);
  if (record->last_message != NULL)
    last_message = _sotto_message_new_from_record (record->last_message);

  self = g_object_new (SOTTO_TYPE_CONVERSATION,
                       "contact", contact,
                       NULL);
  self->store = g_object_ref (store);
  self->id = record->id;
  self->unread_count = record->n_unread;
  self->last_activity = record->last_activity;
  self->last_message = g_steal_pointer (&last_message);
  self->preview = make_preview (self->last_message);
  self->messages = _sotto_message_list_new (store, record->id, record->n_messages, self->last_message);
  _sotto_conversation_set_draft (self, record->draft);
  self->timer = record->timer;

  return self;
}

/* Shows @message, which the caller has just stored in this conversation
 * (SottoMessenger does, with _sotto_store_append_messages()). */
void
_sotto_conversation_add_stored (SottoConversation *self,
                                SottoMessage      *message)
{
  g_return_if_fail (SOTTO_IS_CONVERSATION (self));
  g_return_if_fail (SOTTO_IS_MESSAGE (message));

  sotto_conversation_append (self, message);
}

/* Applies to the models an identity key that the store has recorded
 * with _sotto_store_record_identity(), and the event it added, if any. */
void
_sotto_conversation_apply_identity (SottoConversation      *self,
                                    GBytes                 *identity_key,
                                    SottoVerificationState  verification_state,
                                    SottoMessage           *event)
{
  g_return_if_fail (SOTTO_IS_CONVERSATION (self));
  g_return_if_fail (identity_key != NULL);
  g_return_if_fail (event == NULL || SOTTO_IS_MESSAGE (event));

  _sotto_contact_set_identity (self->contact, identity_key, verification_state);

  if (event != NULL)
    sotto_conversation_append (self, event);
}

gint64
_sotto_conversation_get_id (SottoConversation *self)
{
  g_return_val_if_fail (SOTTO_IS_CONVERSATION (self), 0);

  return self->id;
}

SottoContact *
sotto_conversation_get_contact (SottoConversation *self)
{
  g_return_val_if_fail (SOTTO_IS_CONVERSATION (self), NULL);

  return self->contact;
}

/**
 * sotto_conversation_get_messages:
 * @self: a #SottoConversation
 *
 * The messages, oldest first, as a #GListModel of #SottoMessage that is
 * read from the store page by page as items are asked for.
 *
 * Returns: (transfer none): the messages
 */
GListModel *
sotto_conversation_get_messages (SottoConversation *self)
{
  g_return_val_if_fail (SOTTO_IS_CONVERSATION (self), NULL);

  return G_LIST_MODEL (self->messages);
}

guint
sotto_conversation_get_unread_count (SottoConversation *self)
{
  g_return_val_if_fail (SOTTO_IS_CONVERSATION (self), 0);

  return self->unread_count;
}

/**
 * sotto_conversation_get_last_message_preview:
 * @self: a #SottoConversation
 *
 * Returns: (nullable): the first line of the newest message, shortened,
 *   or a description of the newest event
 */
const char *
sotto_conversation_get_last_message_preview (SottoConversation *self)
{
  g_return_val_if_fail (SOTTO_IS_CONVERSATION (self), NULL);

  return self->preview;
}

/**
 * sotto_conversation_get_last_activity:
 * @self: a #SottoConversation
 *
 * Returns: when the newest message entered the conversation, in
 *   milliseconds since the epoch, or 0 for an empty conversation
 */
gint64
sotto_conversation_get_last_activity (SottoConversation *self)
{
  g_return_val_if_fail (SOTTO_IS_CONVERSATION (self), 0);

  return self->last_activity;
}

gboolean
sotto_conversation_get_sending_held (SottoConversation *self)
{
  g_return_val_if_fail (SOTTO_IS_CONVERSATION (self), FALSE);

  return sotto_contact_get_sending_held (self->contact);
}

static void
sotto_conversation_constructed (GObject *object)
{
  SottoConversation *self = (SottoConversation *)object;

  G_OBJECT_CLASS (sotto_conversation_parent_class)->constructed (object);

  g_signal_connect_object (self->contact,
                           "notify::sending-held",
                           G_CALLBACK (sotto_conversation_contact_sending_held_cb),
                           self,
                           G_CONNECT_SWAPPED);
}

static void
sotto_conversation_finalize (GObject *object)
{
  SottoConversation *self = (SottoConversation *)object;

  g_clear_object (&self->messages);
  g_clear_object (&self->last_message);
  g_clear_object (&self->contact);
  g_clear_object (&self->store);
  g_clear_pointer (&self->preview, g_free);
  g_clear_pointer (&self->draft, g_free);
  g_clear_handle_id (&self->peer_typing_source, g_source_remove);

  G_OBJECT_CLASS (sotto_conversation_parent_class)->finalize (object);
}

static void
sotto_conversation_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  SottoConversation *self = SOTTO_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_CONTACT:
      g_value_set_object (value, self->contact);
      break;

    case PROP_MESSAGES:
      g_value_set_object (value, self->messages);
      break;

    case PROP_UNREAD_COUNT:
      g_value_set_uint (value, self->unread_count);
      break;

    case PROP_LAST_MESSAGE_PREVIEW:
      g_value_set_string (value, self->preview);
      break;

    case PROP_LAST_ACTIVITY:
      g_value_set_int64 (value, self->last_activity);
      break;

    case PROP_SENDING_HELD:
      g_value_set_boolean (value, sotto_conversation_get_sending_held (self));
      break;

    case PROP_DRAFT:
      g_value_set_string (value, self->draft);
      break;

    case PROP_TIMER:
      g_value_set_uint (value, self->timer);
      break;

    case PROP_PEER_TYPING:
      g_value_set_boolean (value, self->peer_typing);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_conversation_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  SottoConversation *self = SOTTO_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_CONTACT:
      self->contact = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_conversation_class_init (SottoConversationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = sotto_conversation_constructed;
  object_class->finalize = sotto_conversation_finalize;
  object_class->get_property = sotto_conversation_get_property;
  object_class->set_property = sotto_conversation_set_property;

  properties [PROP_CONTACT] =
    g_param_spec_object ("contact", NULL, NULL,
                         SOTTO_TYPE_CONTACT,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoConversation:messages:
   *
   * The messages, oldest first.  Deleting one replaces the list.
   */
  properties [PROP_MESSAGES] =
    g_param_spec_object ("messages", NULL, NULL,
                         G_TYPE_LIST_MODEL,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  properties [PROP_UNREAD_COUNT] =
    g_param_spec_uint ("unread-count", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  properties [PROP_LAST_MESSAGE_PREVIEW] =
    g_param_spec_string ("last-message-preview", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  properties [PROP_LAST_ACTIVITY] =
    g_param_spec_int64 ("last-activity", NULL, NULL,
                        0, G_MAXINT64, 0,
                        (G_PARAM_READABLE |
                         G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS));

  /**
   * SottoConversation:sending-held:
   *
   * Whether new messages stay queued because the contact's verified
   * safety number changed; follows #SottoContact:sending-held.
   */
  properties [PROP_SENDING_HELD] =
    g_param_spec_boolean ("sending-held", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  /**
   * SottoConversation:draft:
   *
   * What the user started writing and has not sent, as stored; %NULL
   * when there is nothing.
   */
  properties [PROP_DRAFT] =
    g_param_spec_string ("draft", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoConversation:timer:
   *
   * The disappearing-message timer in seconds, 0 when it is off.
   */
  properties [PROP_TIMER] =
    g_param_spec_uint ("timer", NULL, NULL,
                       0, G_MAXUINT32, 0,
                       (G_PARAM_READABLE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  /**
   * SottoConversation:peer-typing:
   *
   * Whether the contact is typing, as their typing indicators say
   * (sotto-conversation-typing.c).
   */
  properties [PROP_PEER_TYPING] =
    g_param_spec_boolean ("peer-typing", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

void
_sotto_conversation_notify_peer_typing (SottoConversation *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_PEER_TYPING]);
}

static void
sotto_conversation_init (SottoConversation *self)
{
}
