/* sotto-new-group-dialog.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-new-group-dialog"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sotto-accessible.h"
#include "sotto-account.h"
#include "sotto-contact.h"
#include "sotto-conversation.h"
#include "sotto-error-text.h"
#include "sotto-messenger.h"
#include "sotto-new-group-dialog.h"

/* A new group: its name, and its first members, chosen from the
 * contacts the user accepted, which a search narrows down by name or
 * username, or found by their username as a new conversation finds
 * them.  Someone whose message request waits is shown, with why they
 * cannot be chosen yet: adding them would answer a stranger before the
 * user accepted them (docs/messenger.md, "Message requests"); someone
 * blocked is said to be so when looked up, and stays blocked.
 * Create waits until the relay took the group for every member, then
 * hands the group over through ::group-created; on an error what the
 * user chose stays, to try again. */

struct _SottoNewGroupDialog
{
  AdwWindow parent_instance;

  SottoMessenger *messenger;
  GCancellable *cancellable;
  /* The GtkCheckButton of each contact, with its username. */
  GPtrArray *checks;
  gboolean busy;
  gboolean looking_up;

  GtkLabel *status_label;
  AdwEntryRow *title_row;
  AdwPreferencesGroup *members_group;
  GtkSearchEntry *search_entry;
  GtkListBox *contact_list;
  GtkLabel *no_match_label;
  GtkListBox *lookup_list;
  AdwActionRow *lookup_row;
};

enum
{
  GROUP_CREATED,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

G_DEFINE_FINAL_TYPE (SottoNewGroupDialog, sotto_new_group_dialog, ADW_TYPE_WINDOW)

static GStrv
dup_chosen (SottoNewGroupDialog *self)
{
  g_autoptr(GStrvBuilder) chosen = g_strv_builder_new ();

  for (guint i = 0; i < self->checks->len; i++)
    {
      GtkCheckButton *check = g_ptr_array_index (self->checks, i);

      if (gtk_check_button_get_active (check))
        g_strv_builder_add (chosen, g_object_get_data (G_OBJECT (check), "username"));
    }

  return g_strv_builder_end (chosen);
}

static void
update_cb (SottoNewGroupDialog *self)
{
  g_autofree char *title = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->title_row))));
  g_auto(GStrv) chosen = dup_chosen (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "new-group.create",
                                 !self->busy && title[0] != '\0' && chosen[0] != NULL);
}

static void
created_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(SottoNewGroupDialog) self = user_data;
  g_autoptr(SottoGroup) group = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  g_auto(GStrv) chosen = NULL;

  group = sotto_group_list_create_finish (SOTTO_GROUP_LIST (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->busy = FALSE;
  update_cb (self);

  if (group != NULL)
    {
      g_signal_emit (self, signals [GROUP_CREATED], 0, group);
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }

  /* A single member is the one the relay may not know; of several,
   * the error does not say which. */
  chosen = dup_chosen (self);
  message = sotto_error_text_describe (error,
                                       sotto_account_get_relay_url (sotto_messenger_get_account (self->messenger)),
                                       g_strv_length (chosen) == 1 ? chosen[0] : NULL);
  gtk_label_set_label (self->status_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), TRUE);
  sotto_accessible_announce (GTK_WIDGET (self), message);
}

static void
sotto_new_group_dialog_create (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  SottoNewGroupDialog *self = SOTTO_NEW_GROUP_DIALOG (widget);
  g_autofree char *title = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->title_row))));
  g_auto(GStrv) chosen = dup_chosen (self);

  if (self->busy || title[0] == '\0' || chosen[0] == NULL)
    return;

  /* Create is disabled until the relay answers; the fields keep the
   * focus where it is (GTK 4.8 loses track of a focused entry made
   * insensitive). */
  self->busy = TRUE;
  update_cb (self);
  sotto_group_list_create_async (sotto_messenger_get_groups (self->messenger), title,
                                 (const char * const *) chosen, self->cancellable, created_cb, g_object_ref (self));
}

static void
entry_activated_cb (SottoNewGroupDialog *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "new-group.create", NULL);
}

/* Contacts */

/* The username the search holds, without blank space around it. */
static char *
dup_query (SottoNewGroupDialog *self)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->search_entry))));
}

/* The row of the contact with @username, if there is one. */
static GtkWidget *
find_contact_row (SottoNewGroupDialog *self,
                  const char          *username)
{
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->contact_list));
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      if (g_strcmp0 (g_object_get_data (G_OBJECT (row), "username"), username) == 0)
        return row;
    }

  return NULL;
}

static void
sotto_new_group_dialog_add_contact (SottoNewGroupDialog *self,
                                    SottoContact        *contact)
{
  GtkWidget *row = adw_action_row_new ();
  const char *username = sotto_contact_get_username (contact);
  g_autofree char *search_text = g_strdup_printf ("%s\n%s", sotto_contact_get_name (contact), username);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), sotto_contact_get_name (contact));
  g_object_set_data_full (G_OBJECT (row), "username", g_strdup (username), g_free);
  g_object_set_data_full (G_OBJECT (row), "search-text", g_utf8_casefold (search_text, -1), g_free);

  if (sotto_contact_get_standing (contact) == SOTTO_CONTACT_STANDING_ACCEPTED)
    {
      GtkWidget *check = gtk_check_button_new ();

      if (g_strcmp0 (sotto_contact_get_name (contact), username) != 0)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), username);
      /* The row names the check button it activates. */
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      g_object_set_data_full (G_OBJECT (check), "username", g_strdup (username), g_free);
      g_signal_connect_object (check, "toggled", G_CALLBACK (update_cb), self, G_CONNECT_SWAPPED);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      g_object_set_data (G_OBJECT (row), "check", check);
      g_ptr_array_add (self->checks, check);
    }
  else
    {
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("Accept the message request first"));
      gtk_widget_set_sensitive (row, FALSE);
    }

  gtk_list_box_append (self->contact_list, row);
  gtk_widget_set_visible (GTK_WIDGET (self->contact_list), TRUE);
}

/* Looking members up */

static void
show_lookup (SottoNewGroupDialog *self,
             const char          *subtitle,
             gboolean             can_look_up)
{
  adw_action_row_set_subtitle (self->lookup_row, subtitle);
  gtk_widget_set_sensitive (GTK_WIDGET (self->lookup_row), can_look_up);
}

/* Below the contacts, a username typed that is nobody's in the list is
 * one to look up; one the relay would refuse says why at once. */
static void
update_lookup (SottoNewGroupDialog *self)
{
  g_autofree char *query = dup_query (self);
  g_autofree char *folded = g_utf8_casefold (query, -1);
  g_autofree char *title = NULL;
  g_autofree char *problem = NULL;
  gboolean shown = query[0] != '\0' && find_contact_row (self, folded) == NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->lookup_list), shown);
  if (!shown || self->looking_up)
    return;

  /* Translators: %s is a username the user typed */
  title = g_strdup_printf (_("Add “%s”"), query);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->lookup_row), title);
  problem = sotto_error_text_username (query);
  show_lookup (self, problem != NULL ? problem : _("Find them by their username"), problem == NULL);
}

static void
looked_up_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(SottoNewGroupDialog) self = user_data;
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  const char *username = g_object_get_data (G_OBJECT (self->lookup_row), "username");
  g_autofree char *query = NULL;
  GtkCheckButton *check;
  SottoContact *contact;
  GtkWidget *row;

  conversation = sotto_messenger_open_conversation_finish (SOTTO_MESSENGER (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->looking_up = FALSE;
  query = dup_query (self);
  if (conversation == NULL)
    {
      /* The user may have typed another meanwhile. */
      if (g_strcmp0 (query, username) != 0)
        {
          update_lookup (self);
          return;
        }
      message = sotto_error_text_describe (error,
                                           sotto_account_get_relay_url (sotto_messenger_get_account (self->messenger)),
                                           username);
      show_lookup (self, message, TRUE);
      sotto_accessible_announce (GTK_WIDGET (self), message);
      return;
    }

  contact = sotto_conversation_get_contact (conversation);
  row = find_contact_row (self, sotto_contact_get_username (contact));
  if (row == NULL)
    {
      sotto_new_group_dialog_add_contact (self, contact);
      row = find_contact_row (self, sotto_contact_get_username (contact));
    }

  /* Chosen, and the search is done with. */
  check = g_object_get_data (G_OBJECT (row), "check");
  if (check != NULL)
    gtk_check_button_set_active (check, TRUE);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/* Whether @username is someone the user blocked, whom a look-up would
 * unblock as a new conversation does (sotto-messenger.c). */
static gboolean
is_blocked (SottoNewGroupDialog *self,
            const char          *username)
{
  g_autoptr(GListModel) blocked = sotto_messenger_dup_blocked (self->messenger);

  for (guint i = 0; i < g_list_model_get_n_items (blocked); i++)
    {
      g_autoptr(SottoConversation) conversation = g_list_model_get_item (blocked, i);

      if (g_strcmp0 (sotto_contact_get_username (sotto_conversation_get_contact (conversation)), username) == 0)
        return TRUE;
    }

  return FALSE;
}

static void
look_up (SottoNewGroupDialog *self)
{
  g_autofree char *query = dup_query (self);
  g_autofree char *looking = NULL;

  if (self->looking_up || !gtk_widget_get_visible (GTK_WIDGET (self->lookup_list))
      || !sotto_messenger_username_is_valid (query))
    return;

  if (is_blocked (self, query))
    {
      g_autofree char *message = g_strdup_printf (_("You blocked %s. Unblock them in Preferences to add them."), query);

      show_lookup (self, message, FALSE);
      sotto_accessible_announce (GTK_WIDGET (self), message);
      return;
    }

  self->looking_up = TRUE;
  g_object_set_data_full (G_OBJECT (self->lookup_row), "username", g_strdup (query), g_free);
  looking = g_strdup_printf (_("Looking for “%s”…"), query);
  show_lookup (self, looking, FALSE);
  sotto_messenger_open_conversation_async (self->messenger, query, self->cancellable, looked_up_cb,
                                           g_object_ref (self));
}

/* Searching */

static gboolean
filter_contact (GtkListBoxRow *row,
                gpointer       user_data)
{
  SottoNewGroupDialog *self = user_data;
  g_autofree char *query = g_utf8_casefold (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)), -1);

  return strstr (g_object_get_data (G_OBJECT (row), "search-text"), g_strstrip (query)) != NULL;
}

/* The rows that match stay, the others hide (chosen or not); with none
 * left, the list says so, above the username to look up. */
static void
search_changed_cb (SottoNewGroupDialog *self)
{
  g_autofree char *text = g_strdup_printf (_("No contact matches “%s”"),
                                           gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));

  gtk_label_set_label (self->no_match_label, text);
  gtk_list_box_invalidate_filter (self->contact_list);
  update_lookup (self);
}

static void
search_activated_cb (SottoNewGroupDialog *self)
{
  look_up (self);
}

static void
lookup_activated_cb (SottoNewGroupDialog *self)
{
  look_up (self);
}

/**
 * sotto_new_group_dialog_new:
 * @transient_for: (nullable): the window it belongs to
 * @messenger: the account's messenger, whose contacts are offered and
 *   whose groups the group joins
 *
 * Returns: (transfer full): a new dialog
 */
SottoNewGroupDialog *
sotto_new_group_dialog_new (GtkWindow      *transient_for,
                            SottoMessenger *messenger)
{
  SottoNewGroupDialog *self;
  GListModel *conversations;

  g_return_val_if_fail (SOTTO_IS_MESSENGER (messenger), NULL);

  self = g_object_new (SOTTO_TYPE_NEW_GROUP_DIALOG,
                       "transient-for", transient_for,
                       NULL);
  self->messenger = g_object_ref (messenger);

  conversations = G_LIST_MODEL (sotto_messenger_get_conversations (messenger));
  for (guint i = 0; i < g_list_model_get_n_items (conversations); i++)
    {
      g_autoptr(SottoConversation) conversation = g_list_model_get_item (conversations, i);
      SottoContact *contact = sotto_conversation_get_contact (conversation);

      /* A member is added by username, which the relay's directory
       * vouches for. */
      if (sotto_contact_get_username (contact) != NULL)
        sotto_new_group_dialog_add_contact (self, contact);
    }

  if (gtk_list_box_get_row_at_index (self->contact_list, 0) == NULL)
    adw_preferences_group_set_description (self->members_group,
                                           _("You have no contacts yet. Enter the username of each person "
                                             "to add."));
  update_cb (self);

  return self;
}

/**
 * sotto_new_group_dialog_look_for:
 * @self: a #SottoNewGroupDialog
 * @text: a name or a username to search for
 *
 * Searches the contacts for @text, which the user typed elsewhere, and
 * offers to look it up as a username.
 */
void
sotto_new_group_dialog_look_for (SottoNewGroupDialog *self,
                                 const char          *text)
{
  g_return_if_fail (SOTTO_IS_NEW_GROUP_DIALOG (self));
  g_return_if_fail (text != NULL);

  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text);
  /* The search entry tells its change only after a delay. */
  search_changed_cb (self);
}

static void
sotto_new_group_dialog_dispose (GObject *object)
{
  SottoNewGroupDialog *self = (SottoNewGroupDialog *) object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_NEW_GROUP_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->messenger);
  g_clear_pointer (&self->checks, g_ptr_array_unref);

  G_OBJECT_CLASS (sotto_new_group_dialog_parent_class)->dispose (object);
}

static void
sotto_new_group_dialog_class_init (SottoNewGroupDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_new_group_dialog_dispose;

  /**
   * SottoNewGroupDialog::group-created:
   * @self: the dialog
   * @group: the new group
   *
   * The relay took the new group for every member; the dialog closes.
   */
  signals [GROUP_CREATED] =
    g_signal_new ("group-created",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, SOTTO_TYPE_GROUP);

  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-new-group-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoNewGroupDialog, status_label);
  gtk_widget_class_bind_template_child (widget_class, SottoNewGroupDialog, title_row);
  gtk_widget_class_bind_template_child (widget_class, SottoNewGroupDialog, members_group);
  gtk_widget_class_bind_template_child (widget_class, SottoNewGroupDialog, search_entry);
  gtk_widget_class_bind_template_child (widget_class, SottoNewGroupDialog, contact_list);
  gtk_widget_class_bind_template_child (widget_class, SottoNewGroupDialog, lookup_list);
  gtk_widget_class_bind_template_child (widget_class, SottoNewGroupDialog, lookup_row);
  gtk_widget_class_bind_template_callback (widget_class, update_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, lookup_activated_cb);

  gtk_widget_class_install_action (widget_class, "new-group.create", NULL, sotto_new_group_dialog_create);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
sotto_new_group_dialog_init (SottoNewGroupDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  sotto_accessible_name_mnemonic_buttons (GTK_WIDGET (self));
  sotto_accessible_name_page_scrollers (GTK_WIDGET (self));
  sotto_accessible_reach_window_controls (GTK_WIDGET (self));

  sotto_accessible_label_field (GTK_WIDGET (self->search_entry), _("Search contacts or enter a username"));

  self->cancellable = g_cancellable_new ();
  self->checks = g_ptr_array_new ();

  self->no_match_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->no_match_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->no_match_label), "dim-label");
  g_object_set (self->no_match_label, "margin-top", 12, "margin-bottom", 12, NULL);
  gtk_list_box_set_placeholder (self->contact_list, GTK_WIDGET (self->no_match_label));
  gtk_list_box_set_filter_func (self->contact_list, filter_contact, self, NULL);
}
