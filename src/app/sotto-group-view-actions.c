/* sotto-group-view-actions.c: what the user does to one message of a group
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group-view"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-group-view-private.h"

/* The menu of a message row asks the view it is in for a reply, an edit,
 * a reaction or a deletion by the message's id, as in a 1:1
 * conversation (sotto-message-row.c, sotto-conversation-view-actions.c);
 * the view names the message to the engine by its author and id, since
 * each member chooses the ids of its own messages.  A reply or an edit
 * takes the composer, with the reply bar above it, which keeps what the
 * user had typed through an edit and gives it back when the edit is
 * done or cancelled.  Like a message, a change is not cancelled with the
 * view: once stored it goes out. */

/* What the engine answers about a message of @group, shown when it was
 * asked. */
typedef struct
{
  SottoGroupView *self;
  SottoGroup *group;
  SottoMessage *message;
  char *author;
  char *id;
} Change;

static Change *
change_new (SottoGroupView *self,
            SottoMessage   *message,
            const char     *id)
{
  Change *change = g_new0 (Change, 1);

  change->self = g_object_ref (self);
  change->group = g_object_ref (self->group);
  change->message = message != NULL ? g_object_ref (message) : NULL;
  change->id = g_strdup (id);

  return change;
}

static void
change_free (Change *change)
{
  g_object_unref (change->self);
  g_object_unref (change->group);
  g_clear_object (&change->message);
  g_free (change->author);
  g_free (change->id);
  g_free (change);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Change, change_free)

/* The timeline's message @id, which is where the row that asked is. */
static SottoMessage *
find_shown (SottoGroupView *self,
            const char     *id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));

  for (guint i = n; i > 0; i--)
    {
      g_autoptr(SottoMessage) message = g_list_model_get_item (G_LIST_MODEL (self->messages), i - 1);

      if (g_str_equal (sotto_message_get_id (message), id))
        return g_steal_pointer (&message);
    }

  return NULL;
}

/* Shows the message as the change left it, or why it failed, in the
 * group it was made in if that is still the one shown; returns whether
 * it was made there. */
static gboolean
sotto_group_view_finish_change (SottoGroupList *groups,
                                GAsyncResult   *result,
                                Change         *change)
{
  g_autoptr(SottoGroupEvent) event = NULL;
  g_autoptr(GError) error = NULL;

  if (g_task_get_source_tag (G_TASK (result)) == sotto_group_list_retry_async)
    event = sotto_group_list_retry_finish (groups, result, &error);
  else
    event = sotto_group_list_send_finish (groups, result, &error);
  if (change->self->group != change->group)
    return FALSE;

  if (event == NULL)
    {
      _sotto_group_view_show_error (change->self, groups, error);
      return FALSE;
    }

  _sotto_group_view_replace (change->self, event);
  return TRUE;
}

/* The message an action names by its id (@parameter), and in @event the
 * timeline entry it was made of; %NULL when the view shows no such
 * message. */
static SottoMessage *
find_target (SottoGroupView         *self,
             GVariant               *parameter,
             const SottoGroupEvent **event)
{
  const char *id = g_variant_get_string (parameter, NULL);

  *event = g_hash_table_lookup (self->events, id);
  if (self->group == NULL || *event == NULL)
    return NULL;

  return find_shown (self, id);
}

static void
changed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(Change) change = user_data;

  sotto_group_view_finish_change (SOTTO_GROUP_LIST (object), result, change);
}

/* A member's reaction, edit or deletion of a message shows in its row. */
static void
sotto_group_view_message_changed_cb (SottoGroupView     *self,
                                     SottoGroup         *group,
                                     SottoGroupEvent    *message,
                                     SottoMessageAction  action,
                                     const char         *author_name,
                                     const char         *id,
                                     const char         *text,
                                     gint64              sent_at,
                                     SottoGroupList     *groups)
{
  if (group == self->group)
    _sotto_group_view_replace (self, message);
}

/* Replies */

static void
sotto_group_view_reply_to (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  SottoGroupView *self = SOTTO_GROUP_VIEW (widget);
  const SottoGroupEvent *event;
  g_autoptr(SottoMessage) message = find_target (self, parameter, &event);

  /* The composer holds a message on its way. */
  if (message == NULL || self->sending_group != NULL)
    return;

  sotto_reply_bar_reply_to (self->reply_bar, message,
                            event->outgoing ? NULL : event->author_name != NULL ? event->author_name : event->author);
  sotto_group_view_focus_composer (self);
}

static void
sotto_group_view_cancel_reply (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  sotto_reply_bar_cancel (SOTTO_GROUP_VIEW (widget)->reply_bar);
}

/* Escape leaves a reply or an edit only while there is one, and does
 * whatever else it does otherwise. */
static void
sotto_group_view_reply_bar_cb (SottoGroupView *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conversation.cancel-reply",
                                 sotto_reply_bar_get_message (self->reply_bar) != NULL);
}

/* Edits */

static void
sotto_group_view_edit_message (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  SottoGroupView *self = SOTTO_GROUP_VIEW (widget);
  const SottoGroupEvent *event;
  g_autoptr(SottoMessage) message = find_target (self, parameter, &event);

  if (message == NULL || self->sending_group != NULL || !sotto_message_can_change_for_everyone (message))
    return;

  sotto_reply_bar_edit (self->reply_bar, message, sotto_message_get_body (message));
  sotto_group_view_focus_composer (self);
}

/* Done, the composer gets back what the user had typed before; failed,
 * it keeps the new text, to send again. */
static void
edited_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Change) change = user_data;
  SottoReplyBar *reply_bar = change->self->reply_bar;

  if (sotto_group_view_finish_change (SOTTO_GROUP_LIST (object), result, change)
      && sotto_reply_bar_get_editing (reply_bar) && sotto_reply_bar_get_message (reply_bar) == change->message)
    sotto_reply_bar_cancel (reply_bar);
}

/**
 * _sotto_group_view_send_edit:
 * @self: a #SottoGroupView
 * @text: what the composer holds
 *
 * Sends @text as the new text of the message the reply bar edits.
 */
void
_sotto_group_view_send_edit (SottoGroupView *self,
                             const char     *text)
{
  SottoMessage *target = sotto_reply_bar_get_message (self->reply_bar);

  g_assert (sotto_reply_bar_get_editing (self->reply_bar));

  /* The same text is no edit. */
  if (g_strcmp0 (text, sotto_message_get_body (target)) == 0)
    {
      sotto_reply_bar_cancel (self->reply_bar);
      return;
    }

  gtk_widget_set_tooltip_text (GTK_WIDGET (self->entry), NULL);
  sotto_group_list_edit_async (self->groups, self->group, sotto_message_get_id (target), text, NULL, edited_cb,
                               change_new (self, target, NULL));
}

/* Retry on a message that failed for good sends it again to the members
 * still waiting for it. */
static void
sotto_group_view_retry (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  SottoGroupView *self = SOTTO_GROUP_VIEW (widget);
  const SottoGroupEvent *event = g_hash_table_lookup (self->events, g_variant_get_string (parameter, NULL));

  if (self->group == NULL || event == NULL || !event->outgoing || event->pending == NULL)
    return;

  gtk_widget_set_tooltip_text (GTK_WIDGET (self->entry), NULL);
  sotto_group_list_retry_async (self->groups, self->group, event, NULL, changed_cb, change_new (self, NULL, NULL));
}

/* Reactions */

static void
sotto_group_view_react (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  SottoGroupView *self = SOTTO_GROUP_VIEW (widget);
  const SottoGroupEvent *event;
  const char *id;
  const char *emoji;

  g_variant_get (parameter, "(&s&s)", &id, &emoji);
  event = g_hash_table_lookup (self->events, id);
  if (self->group == NULL || event == NULL)
    return;

  sotto_group_list_react_async (self->groups, self->group, event->author, id, emoji, NULL, changed_cb,
                                change_new (self, NULL, NULL));
}

/* Deleting */

static void
delete_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    Change           *change)
{
  if (g_str_equal (response, "delete") && change->self->group == change->group)
    sotto_group_list_delete_for_everyone_async (change->self->groups, change->group, change->id, NULL,
                                                changed_cb, change_new (change->self, NULL, NULL));
}

static void
sotto_group_view_delete_for_everyone (GtkWidget  *widget,
                                      const char *action_name,
                                      GVariant   *parameter)
{
  SottoGroupView *self = SOTTO_GROUP_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  const SottoGroupEvent *event = g_hash_table_lookup (self->events, g_variant_get_string (parameter, NULL));
  GtkWidget *dialog;

  if (self->group == NULL || event == NULL || !event->outgoing)
    return;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Delete for Everyone?"),
                                   _("The message will be removed from this device and from the other members’."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete for Everyone"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (delete_response_cb), change_new (self, NULL, event->id),
                         (GClosureNotify) change_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Takes the message @id by @author out of the timeline. */
static void
sotto_group_view_remove (SottoGroupView *self,
                         const char     *author,
                         const char     *id)
{
  const SottoGroupEvent *shown = g_hash_table_lookup (self->events, id);
  g_autoptr(SottoMessage) message = NULL;
  guint position;

  if (shown == NULL || g_ascii_strcasecmp (shown->author, author) != 0)
    return;

  message = find_shown (self, id);
  if (sotto_reply_bar_get_message (self->reply_bar) == message)
    sotto_reply_bar_cancel (self->reply_bar);
  if (g_list_store_find (self->messages, message, &position))
    g_list_store_remove (self->messages, position);
  g_hash_table_remove (self->events, id);
}

static void
deleted_for_me_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(Change) change = user_data;
  g_autoptr(GError) error = NULL;

  if (!sotto_group_list_delete_for_me_finish (SOTTO_GROUP_LIST (object), result, &error))
    {
      if (change->self->group == change->group)
        _sotto_group_view_show_error (change->self, SOTTO_GROUP_LIST (object), error);
      return;
    }

  if (change->self->group == change->group)
    sotto_group_view_remove (change->self, change->author, change->id);
}

/* The other members keep theirs. */
static void
sotto_group_view_delete_message (GtkWidget  *widget,
                                 const char *action_name,
                                 GVariant   *parameter)
{
  SottoGroupView *self = SOTTO_GROUP_VIEW (widget);
  const SottoGroupEvent *event;
  g_autoptr(SottoMessage) message = find_target (self, parameter, &event);
  Change *change;

  if (message == NULL)
    return;

  change = change_new (self, NULL, event->id);
  change->author = g_strdup (event->author);
  sotto_group_list_delete_for_me_async (self->groups, self->group, event->author, event->id, NULL, deleted_for_me_cb,
                                        change);
}

void
_sotto_group_view_class_add_message_actions (GtkWidgetClass *widget_class)
{
  g_type_ensure (SOTTO_TYPE_REPLY_BAR);

  gtk_widget_class_install_action (widget_class, "conversation.reply-to", "s", sotto_group_view_reply_to);
  gtk_widget_class_install_action (widget_class, "conversation.edit-message", "s", sotto_group_view_edit_message);
  gtk_widget_class_install_action (widget_class, "conversation.cancel-reply", NULL, sotto_group_view_cancel_reply);
  gtk_widget_class_install_action (widget_class, "conversation.react", "(ss)", sotto_group_view_react);
  gtk_widget_class_install_action (widget_class, "conversation.delete-for-everyone", "s",
                                   sotto_group_view_delete_for_everyone);
  gtk_widget_class_install_action (widget_class, "conversation.delete-message", "s",
                                   sotto_group_view_delete_message);
  gtk_widget_class_install_action (widget_class, "conversation.retry-message", "s", sotto_group_view_retry);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "conversation.cancel-reply", NULL);
}

void
_sotto_group_view_init_message_actions (SottoGroupView *self)
{
  sotto_reply_bar_set_buffer (self->reply_bar, sotto_message_entry_get_buffer (self->entry));
  g_signal_connect_object (self->reply_bar, "notify::message",
                           G_CALLBACK (sotto_group_view_reply_bar_cb), self, G_CONNECT_SWAPPED);
  sotto_group_view_reply_bar_cb (self);
  g_signal_group_connect_object (self->groups_signals, "message-changed",
                                 G_CALLBACK (sotto_group_view_message_changed_cb), self, G_CONNECT_SWAPPED);
}
