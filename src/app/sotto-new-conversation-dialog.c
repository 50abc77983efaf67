/* sotto-new-conversation-dialog.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-new-conversation-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-accessible.h"
#include "sotto-new-conversation-dialog.h"

/* New Conversation: asks for a username, and says ::start with it.
 * The dialog stays open while whoever handles that looks it up, says
 * why with sotto_new_conversation_dialog_show_error() when nobody has
 * the name, with what the user typed, to be corrected, and destroys the
 * dialog once the conversation is open.  Cancel closes it.  New Group
 * says ::new-group with what was typed and closes it: a newcomer looks
 * for groups where conversations start. */

struct _SottoNewConversationDialog
{
  AdwMessageDialog parent_instance;

  GtkWidget *entry;
};

enum {
  START,
  NEW_GROUP,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

G_DEFINE_FINAL_TYPE (SottoNewConversationDialog, sotto_new_conversation_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
sotto_new_conversation_dialog_response_cb (SottoNewConversationDialog *self,
                                           const char                 *response)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (self);
  g_autofree char *username = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry))));
  g_autofree char *looking = NULL;

  if (g_str_equal (response, "new-group"))
    g_signal_emit (self, signals [NEW_GROUP], 0, username);

  if (!g_str_equal (response, "start"))
    {
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }

  if (username[0] == '\0')
    return;

  looking = g_strdup_printf (_("Looking for “%s”…"), username);
  adw_message_dialog_set_body (dialog, looking);
  adw_message_dialog_set_response_enabled (dialog, "start", FALSE);
  g_signal_emit (self, signals [START], 0, username);
}

/* A message dialog closes itself on every response; this one stays open
 * while the username is looked up and when nobody has it, and is
 * destroyed by the response handler instead.  Connected after the
 * dialog's own handler, which turns Escape into the "cancel" response. */
static gboolean
sotto_new_conversation_dialog_close_request_cb (SottoNewConversationDialog *self)
{
  return TRUE;
}

static void
sotto_new_conversation_dialog_entry_activate_cb (SottoNewConversationDialog *self)
{
  if (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (self), "start"))
    adw_message_dialog_response (ADW_MESSAGE_DIALOG (self), "start");
}

static void
sotto_new_conversation_dialog_class_init (SottoNewConversationDialogClass *klass)
{
  /**
   * SottoNewConversationDialog::start:
   * @self: the dialog
   * @username: the username the user gave, without blank space around it
   *
   * The user asked to write to @username.
   */
  signals [START] =
    g_signal_new ("start",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * SottoNewConversationDialog::new-group:
   * @self: the dialog
   * @text: what the user typed, without blank space around it, which
   *   may be empty
   *
   * The user asked for a new group instead; the dialog closes.
   */
  signals [NEW_GROUP] =
    g_signal_new ("new-group",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
sotto_new_conversation_dialog_init (SottoNewConversationDialog *self)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (self);

  adw_message_dialog_set_heading (dialog, _("New Conversation"));
  adw_message_dialog_set_body (dialog, _("Enter the username of the person you want to write to."));

  self->entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (self->entry), _("Username"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Username"),
                                  -1);
  g_signal_connect_object (self->entry, "activate", G_CALLBACK (sotto_new_conversation_dialog_entry_activate_cb),
                           self, G_CONNECT_SWAPPED);
  adw_message_dialog_set_extra_child (dialog, self->entry);

  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "new-group", _("New _Group…"),
                                    "start", _("_Start"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "start", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "start");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect (self, "response", G_CALLBACK (sotto_new_conversation_dialog_response_cb), NULL);
  g_signal_connect_after (self, "close-request", G_CALLBACK (sotto_new_conversation_dialog_close_request_cb), NULL);
}

/**
 * sotto_new_conversation_dialog_new:
 * @transient_for: the window it is for
 *
 * Returns: (transfer none): a new dialog, owned by GTK's list of
 *   toplevels until it is destroyed
 */
SottoNewConversationDialog *
sotto_new_conversation_dialog_new (GtkWindow *transient_for)
{
  g_return_val_if_fail (GTK_IS_WINDOW (transient_for), NULL);

  return g_object_new (SOTTO_TYPE_NEW_CONVERSATION_DIALOG, "transient-for", transient_for, NULL);
}

/**
 * sotto_new_conversation_dialog_show_error:
 * @self: a #SottoNewConversationDialog
 * @message: why the conversation could not be started
 *
 * Says @message, to the screen reader too, and gives the username back
 * to the user to correct and start again.
 */
void
sotto_new_conversation_dialog_show_error (SottoNewConversationDialog *self,
                                          const char                 *message)
{
  g_return_if_fail (SOTTO_IS_NEW_CONVERSATION_DIALOG (self));
  g_return_if_fail (message != NULL);

  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), message);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "start", TRUE);
  gtk_widget_grab_focus (self->entry);
  sotto_accessible_announce (GTK_WIDGET (self), message);
}
