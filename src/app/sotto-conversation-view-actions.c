/* sotto-conversation-view-actions.c: what the user does to one message
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-conversation-view"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "sotto-accessible.h"
#include "sotto-contact.h"
#include "sotto-conversation-view-private.h"
#include "sotto-error-text.h"
#include "sotto-message-text.h"
#include "sotto-window.h"

/* The message rows name a message by its id (message.reply and the like
 * in sotto-message-row.c) and the conversation view acts on it: it owns
 * the composer that a reply or an edit takes, and reaches the messenger
 * that sends the change through the window. */

/* How long a message a quote led to stays marked. */
#define HIGHLIGHT_SECONDS 2

static SottoMessenger *
sotto_conversation_view_get_messenger (SottoConversationView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return SOTTO_IS_WINDOW (root) ? sotto_window_get_messenger (SOTTO_WINDOW (root)) : NULL;
}

/* Says that something the user did to a message failed, unless it was
 * cancelled because the view went away. */
static void
sotto_conversation_view_report (SottoConversationView *self,
                                const GError          *error)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  g_autofree char *message = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  message = sotto_error_text_general (error);
  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (message));
  /* Screen readers do not read toasts: they hear the message too. */
  sotto_accessible_announce (GTK_WIDGET (self), message);
}

/* The message @id among those the timeline shows, which is where the
 * row that asked is. */
static SottoMessage *
sotto_conversation_view_find_shown (SottoConversationView *self,
                                    const char            *id)
{
  GListModel *shown = G_LIST_MODEL (_sotto_conversation_view_get_selection (self));

  for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
    {
      g_autoptr(SottoMessage) message = g_list_model_get_item (shown, i);

      if (sotto_message_get_loaded (message) && g_strcmp0 (sotto_message_get_id (message), id) == 0)
        return g_steal_pointer (&message);
    }

  return NULL;
}

/* A closure for what the messenger answers about a message. */
typedef struct
{
  SottoConversationView *view;
  SottoConversation *conversation;  /* the one shown when it was asked */
  SottoMessage *message;
  char *text;
} Change;

static Change *
change_new (SottoConversationView *view,
            SottoMessage          *message,
            const char            *text)
{
  Change *change = g_new0 (Change, 1);

  change->view = g_object_ref (view);
  change->conversation = sotto_conversation_view_get_conversation (view);
  if (change->conversation != NULL)
    g_object_ref (change->conversation);
  change->message = message != NULL ? g_object_ref (message) : NULL;
  change->text = g_strdup (text);

  return change;
}

static void
change_free (Change *change)
{
  g_clear_object (&change->view);
  g_clear_object (&change->conversation);
  g_clear_object (&change->message);
  g_free (change->text);
  g_free (change);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Change, change_free)

static void
sotto_conversation_view_change_cb (GObject      *object,
                                   GAsyncResult *result,
                                   gpointer      user_data)
{
  g_autoptr(Change) change = user_data;
  g_autofree char *id = NULL;
  g_autoptr(GError) error = NULL;

  id = sotto_messenger_change_finish (SOTTO_MESSENGER (object), result, &error);
  if (id == NULL)
    sotto_conversation_view_report (change->view, error);
}

/* Replies */

/* Makes the composer's next message a reply to the shown @id. */
static gboolean
sotto_conversation_view_start_reply (SottoConversationView *self,
                                     const char            *id)
{
  SottoConversation *conversation = sotto_conversation_view_get_conversation (self);
  g_autoptr(SottoMessage) message = sotto_conversation_view_find_shown (self, id);
  gboolean outgoing;

  if (message == NULL || conversation == NULL)
    return FALSE;

  outgoing = sotto_message_get_direction (message) == SOTTO_MESSAGE_DIRECTION_OUTGOING;
  sotto_reply_bar_reply_to (_sotto_conversation_view_get_reply_bar (self), message,
                            outgoing ? NULL : sotto_contact_get_name (sotto_conversation_get_contact (conversation)));

  return TRUE;
}

static void
sotto_conversation_view_reply_to (GtkWidget  *widget,
                                  const char *action_name,
                                  GVariant   *parameter)
{
  SottoConversationView *self = SOTTO_CONVERSATION_VIEW (widget);

  if (sotto_conversation_view_start_reply (self, g_variant_get_string (parameter, NULL)))
    sotto_conversation_view_focus_composer (self);
}

/* A message that was not stored comes back to where it was written,
 * with the message it answered if that is still there and no other
 * reply was started meanwhile: sending again does what the user meant. */
static void
sotto_conversation_view_give_back (Change *change)
{
  SottoConversationView *self = change->view;

  _sotto_conversation_view_give_back (self, change->conversation, change->text);
  if (change->message != NULL
      && change->conversation == sotto_conversation_view_get_conversation (self)
      && sotto_reply_bar_get_message (_sotto_conversation_view_get_reply_bar (self)) == NULL)
    sotto_conversation_view_start_reply (self, sotto_message_get_id (change->message));
}

/* Messages and replies */

static void
sotto_conversation_view_sent_cb (GObject      *object,
                                 GAsyncResult *result,
                                 gpointer      user_data)
{
  SottoMessenger *messenger = SOTTO_MESSENGER (object);
  g_autoptr(Change) change = user_data;
  g_autoptr(SottoMessage) stored = NULL;
  g_autoptr(GError) error = NULL;
  gboolean sent;

  sent = change->message != NULL ? sotto_messenger_reply_finish (messenger, result, &stored, &error)
                                 : sotto_messenger_send_finish (messenger, result, &stored, &error);
  if (sent)
    return;

  /* A queued message is kept and sent when the relay is back: the state
   * icon in the bubble says so, no need for more. */
  if (g_error_matches (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_QUEUED))
    return;

  /* One that was not stored (a reply's original is gone, the store
   * failed) goes back to the user. */
  sotto_conversation_view_report (change->view, error);
  if (stored == NULL)
    sotto_conversation_view_give_back (change);
}

/* Edits */

static void
sotto_conversation_view_edit_message (GtkWidget  *widget,
                                      const char *action_name,
                                      GVariant   *parameter)
{
  SottoConversationView *self = SOTTO_CONVERSATION_VIEW (widget);
  g_autoptr(SottoMessage) message = sotto_conversation_view_find_shown (self, g_variant_get_string (parameter, NULL));

  if (message == NULL || !sotto_message_can_change_for_everyone (message))
    return;

  sotto_reply_bar_edit (_sotto_conversation_view_get_reply_bar (self), message, sotto_message_get_body (message));
  sotto_conversation_view_focus_composer (self);
}

static void
sotto_conversation_view_edit_cb (GObject      *object,
                                 GAsyncResult *result,
                                 gpointer      user_data)
{
  g_autoptr(Change) change = user_data;
  SottoReplyBar *reply_bar = _sotto_conversation_view_get_reply_bar (change->view);
  g_autofree char *id = NULL;
  g_autoptr(GError) error = NULL;

  id = sotto_messenger_change_finish (SOTTO_MESSENGER (object), result, &error);
  if (id == NULL)
    {
      /* The composer keeps the new text, to send again. */
      sotto_conversation_view_report (change->view, error);
      return;
    }

  /* Done: the composer gets back what the user had typed before. */
  if (sotto_reply_bar_get_editing (reply_bar) && sotto_reply_bar_get_message (reply_bar) == change->message)
    sotto_reply_bar_cancel (reply_bar);
}

/**
 * _sotto_conversation_view_send_text:
 * @self: a #SottoConversationView
 * @text: what the composer holds
 *
 * Sends @text as a message, as a reply or as the new text of a message,
 * as the reply bar says.  A message or a reply empties the composer for
 * the next one at once, and comes back if it could not be stored; its
 * send is not cancelled with the view, so that what the user wrote is
 * either stored or given back, to the conversation's draft if need be.
 */
void
_sotto_conversation_view_send_text (SottoConversationView *self,
                                    const char            *text)
{
  SottoReplyBar *reply_bar = _sotto_conversation_view_get_reply_bar (self);
  SottoMessage *target = sotto_reply_bar_get_message (reply_bar);
  SottoConversation *conversation = sotto_conversation_view_get_conversation (self);
  SottoMessenger *messenger = sotto_conversation_view_get_messenger (self);

  /* Without a messenger nothing is sent, and the composer keeps it all. */
  if (messenger == NULL || conversation == NULL)
    return;

  if (target != NULL && sotto_reply_bar_get_editing (reply_bar))
    {
      /* The same text is no edit. */
      if (g_strcmp0 (text, sotto_message_get_body (target)) == 0)
        sotto_reply_bar_cancel (reply_bar);
      else
        sotto_messenger_edit_async (messenger, conversation, sotto_message_get_id (target), text,
                                    _sotto_conversation_view_get_cancellable (self),
                                    sotto_conversation_view_edit_cb, change_new (self, target, text));
      return;
    }

  if (target != NULL)
    sotto_messenger_reply_async (messenger, conversation, sotto_message_get_id (target), text, NULL,
                                 sotto_conversation_view_sent_cb, change_new (self, target, text));
  else
    sotto_messenger_send_async (messenger, conversation, text, NULL,
                                sotto_conversation_view_sent_cb, change_new (self, NULL, text));
  sotto_reply_bar_cancel (reply_bar);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), "", 0);
  _sotto_conversation_view_show_newest (self);
}

static void
sotto_conversation_view_cancel_reply (GtkWidget  *widget,
                                      const char *action_name,
                                      GVariant   *parameter)
{
  sotto_reply_bar_cancel (_sotto_conversation_view_get_reply_bar (SOTTO_CONVERSATION_VIEW (widget)));
}

/* Escape leaves a reply or an edit only while there is one, and does
 * whatever else it does otherwise. */
static void
sotto_conversation_view_reply_bar_cb (SottoConversationView *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "conversation.cancel-reply",
                                 sotto_reply_bar_get_message (_sotto_conversation_view_get_reply_bar (self)) != NULL);
}

/* Reactions */

static void
sotto_conversation_view_react (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  SottoConversationView *self = SOTTO_CONVERSATION_VIEW (widget);
  SottoConversation *conversation = sotto_conversation_view_get_conversation (self);
  SottoMessenger *messenger = sotto_conversation_view_get_messenger (self);
  const char *id;
  const char *emoji;

  if (messenger == NULL || conversation == NULL)
    return;

  g_variant_get (parameter, "(&s&s)", &id, &emoji);
  sotto_messenger_react_async (messenger, conversation, id, emoji,
                               _sotto_conversation_view_get_cancellable (self),
                               sotto_conversation_view_change_cb, change_new (self, NULL, NULL));
}

/* Deleting for everyone */

static void
sotto_conversation_view_delete_response_cb (AdwMessageDialog *dialog,
                                            const char       *response,
                                            gpointer          user_data)
{
  Change *change = user_data;
  SottoConversation *conversation = sotto_conversation_view_get_conversation (change->view);
  SottoMessenger *messenger = sotto_conversation_view_get_messenger (change->view);

  if (g_strcmp0 (response, "delete") != 0 || messenger == NULL || conversation == NULL)
    return;

  sotto_messenger_delete_for_everyone_async (messenger, conversation, sotto_message_get_id (change->message),
                                             _sotto_conversation_view_get_cancellable (change->view),
                                             sotto_conversation_view_change_cb,
                                             change_new (change->view, NULL, NULL));
}

static void
sotto_conversation_view_delete_for_everyone (GtkWidget  *widget,
                                             const char *action_name,
                                             GVariant   *parameter)
{
  SottoConversationView *self = SOTTO_CONVERSATION_VIEW (widget);
  SottoConversation *conversation = sotto_conversation_view_get_conversation (self);
  g_autoptr(SottoMessage) message = sotto_conversation_view_find_shown (self, g_variant_get_string (parameter, NULL));
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (message == NULL || conversation == NULL || !sotto_message_can_change_for_everyone (message))
    return;

  body = g_strdup_printf (_("The message will be removed from this device and from %s’s."),
                          sotto_contact_get_name (sotto_conversation_get_contact (conversation)));
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Delete for Everyone?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete for Everyone"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (sotto_conversation_view_delete_response_cb),
                         change_new (self, message, NULL), (GClosureNotify) change_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The original of a quote */

typedef struct
{
  GtkSingleSelection *selection;
  SottoMessage *message;
} Highlight;

static void
highlight_free (Highlight *highlight)
{
  g_clear_object (&highlight->selection);
  g_clear_object (&highlight->message);
  g_free (highlight);
}

/* The mark goes, unless the user has selected something else since.
 * (GTK 4.8's GtkSingleSelection does not unselect on unselect_all().) */
static gboolean
sotto_conversation_view_unhighlight_cb (gpointer user_data)
{
  Highlight *highlight = user_data;

  if (gtk_single_selection_get_selected_item (highlight->selection) == (gpointer) highlight->message)
    gtk_single_selection_set_selected (highlight->selection, GTK_INVALID_LIST_POSITION);

  return G_SOURCE_REMOVE;
}

static void
sotto_conversation_view_found_original_cb (GObject      *object,
                                           GAsyncResult *result,
                                           gpointer      user_data)
{
  g_autoptr(Change) change = user_data;
  SottoConversation *conversation = SOTTO_CONVERSATION (object);
  GtkSingleSelection *selection;
  g_autoptr(GError) error = NULL;
  Highlight *highlight;
  guint position;

  if (!sotto_conversation_find_message_finish (conversation, result, &position, &error))
    {
      sotto_conversation_view_report (change->view, error);
      return;
    }

  /* The view may have moved on to another conversation meanwhile. */
  if (sotto_conversation_view_get_conversation (change->view) != conversation)
    return;

  /* The page around the original is read (however far back it is) and
   * the original selected, which marks it, for a moment. */
  sotto_conversation_view_show_message (change->view, position);
  selection = _sotto_conversation_view_get_selection (change->view);
  highlight = g_new0 (Highlight, 1);
  highlight->selection = g_object_ref (selection);
  highlight->message = gtk_single_selection_get_selected_item (selection);
  if (highlight->message != NULL)
    g_object_ref (highlight->message);
  g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, HIGHLIGHT_SECONDS, sotto_conversation_view_unhighlight_cb,
                              highlight, (GDestroyNotify) highlight_free);
}

static void
sotto_conversation_view_show_original (GtkWidget  *widget,
                                       const char *action_name,
                                       GVariant   *parameter)
{
  SottoConversationView *self = SOTTO_CONVERSATION_VIEW (widget);
  SottoConversation *conversation = sotto_conversation_view_get_conversation (self);

  if (conversation == NULL)
    return;

  sotto_conversation_find_message_async (conversation, g_variant_get_string (parameter, NULL),
                                         _sotto_conversation_view_get_cancellable (self),
                                         sotto_conversation_view_found_original_cb,
                                         change_new (self, NULL, NULL));
}

/* The versions of an edited message */

static GtkWidget *
version_row_new (const char *title,
                 const char *text)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), text);
  /* The texts are what people wrote, not markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);

  return row;
}

static void
sotto_conversation_view_edits_loaded_cb (GObject      *object,
                                         GAsyncResult *result,
                                         gpointer      user_data)
{
  g_autoptr(Change) change = user_data;
  g_autoptr(GPtrArray) versions = NULL;
  g_autoptr(GError) error = NULL;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (change->view));
  GtkWidget *dialog;
  GtkWidget *list;

  versions = sotto_messenger_load_edits_finish (SOTTO_MESSENGER (object), result, &error);
  if (versions == NULL)
    {
      sotto_conversation_view_report (change->view, error);
      return;
    }

  list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  for (guint i = 0; i < versions->len; i++)
    {
      /* Translators: an earlier text of an edited message, counted from the first */
      g_autofree char *title = g_strdup_printf (_("Version %u"), i + 1);

      gtk_list_box_append (GTK_LIST_BOX (list), version_row_new (title, g_ptr_array_index (versions, i)));
    }
  gtk_list_box_append (GTK_LIST_BOX (list), version_row_new (_("Now"), change->text));

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Edit History"), NULL);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), list);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
sotto_conversation_view_show_edits (GtkWidget  *widget,
                                    const char *action_name,
                                    GVariant   *parameter)
{
  SottoConversationView *self = SOTTO_CONVERSATION_VIEW (widget);
  SottoConversation *conversation = sotto_conversation_view_get_conversation (self);
  SottoMessenger *messenger = sotto_conversation_view_get_messenger (self);
  g_autoptr(SottoMessage) message = sotto_conversation_view_find_shown (self, g_variant_get_string (parameter, NULL));

  if (message == NULL || messenger == NULL || conversation == NULL || !sotto_message_get_edited (message))
    return;

  sotto_messenger_load_edits_async (messenger, conversation, sotto_message_get_id (message),
                                    _sotto_conversation_view_get_cancellable (self),
                                    sotto_conversation_view_edits_loaded_cb,
                                    change_new (self, message, sotto_message_get_body (message)));
}

void
_sotto_conversation_view_class_add_message_actions (GtkWidgetClass *widget_class)
{
  g_type_ensure (SOTTO_TYPE_REPLY_BAR);

  gtk_widget_class_install_action (widget_class, "conversation.reply-to", "s",
                                   sotto_conversation_view_reply_to);
  gtk_widget_class_install_action (widget_class, "conversation.edit-message", "s",
                                   sotto_conversation_view_edit_message);
  gtk_widget_class_install_action (widget_class, "conversation.cancel-reply", NULL,
                                   sotto_conversation_view_cancel_reply);
  gtk_widget_class_install_action (widget_class, "conversation.react", "(ss)",
                                   sotto_conversation_view_react);
  gtk_widget_class_install_action (widget_class, "conversation.delete-for-everyone", "s",
                                   sotto_conversation_view_delete_for_everyone);
  gtk_widget_class_install_action (widget_class, "conversation.show-original", "s",
                                   sotto_conversation_view_show_original);
  gtk_widget_class_install_action (widget_class, "conversation.show-edits", "s",
                                   sotto_conversation_view_show_edits);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "conversation.cancel-reply", NULL);
}

void
_sotto_conversation_view_init_message_actions (SottoConversationView *self)
{
  SottoReplyBar *reply_bar = _sotto_conversation_view_get_reply_bar (self);

  g_signal_connect_object (reply_bar, "notify::message",
                           G_CALLBACK (sotto_conversation_view_reply_bar_cb), self, G_CONNECT_SWAPPED);
  sotto_conversation_view_reply_bar_cb (self);
}
