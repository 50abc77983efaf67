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
#include "sotto-new-group-dialog.h"

/* A new group: its name, and its first members chosen from the
 * contacts the user accepted (not message requests, not the blocked),
 * which a search narrows down by name or username; with none, the
 * dialog says where contacts come from.
 * Create waits until the relay took the group for every member, then
 * hands the group over through ::group-created; on an error what the
 * user chose stays, to try again. */

struct _SottoNewGroupDialog
{
  AdwWindow parent_instance;

  SottoGroupList *groups;
  GCancellable *cancellable;
  /* The GtkCheckButton of each contact, with its username. */
  GPtrArray *checks;
  gboolean busy;

  GtkLabel *status_label;
  AdwEntryRow *title_row;
  AdwPreferencesGroup *members_group;
  GtkSearchEntry *search_entry;
  GtkListBox *contact_list;
  GtkLabel *no_match_label;
  AdwPreferencesGroup *empty_group;
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
                                       sotto_account_get_relay_url (sotto_group_list_get_account (self->groups)),
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
  sotto_group_list_create_async (self->groups, title, (const char * const *) chosen, self->cancellable,
                                 created_cb, g_object_ref (self));
}

static void
entry_activated_cb (SottoNewGroupDialog *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "new-group.create", NULL);
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
 * left, the list says so. */
static void
search_changed_cb (SottoNewGroupDialog *self)
{
  g_autofree char *text = g_strdup_printf (_("No contact matches “%s”"),
                                           gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));

  gtk_label_set_label (self->no_match_label, text);
  gtk_list_box_invalidate_filter (self->contact_list);
}

static void
sotto_new_group_dialog_add_contact (SottoNewGroupDialog *self,
                                    SottoContact        *contact)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_check_button_new ();
  g_autofree char *search_text = g_strdup_printf ("%s\n%s", sotto_contact_get_name (contact),
                                                  sotto_contact_get_username (contact));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), sotto_contact_get_name (contact));
  if (g_strcmp0 (sotto_contact_get_name (contact), sotto_contact_get_username (contact)) != 0)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sotto_contact_get_username (contact));
  /* The row names the check button it activates. */
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  g_object_set_data_full (G_OBJECT (check), "username", g_strdup (sotto_contact_get_username (contact)), g_free);
  g_signal_connect_object (check, "toggled", G_CALLBACK (update_cb), self, G_CONNECT_SWAPPED);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
  g_object_set_data_full (G_OBJECT (row), "search-text", g_utf8_casefold (search_text, -1), g_free);
  gtk_list_box_append (self->contact_list, row);
  g_ptr_array_add (self->checks, check);
}

/**
 * sotto_new_group_dialog_new:
 * @transient_for: (nullable): the window it belongs to
 * @conversations: the contacts to choose from
 * @groups: where the group is made
 *
 * Returns: (transfer full): a new dialog
 */
SottoNewGroupDialog *
sotto_new_group_dialog_new (GtkWindow             *transient_for,
                            SottoConversationList *conversations,
                            SottoGroupList        *groups)
{
  SottoNewGroupDialog *self;
  guint n;

  g_return_val_if_fail (SOTTO_IS_CONVERSATION_LIST (conversations), NULL);
  g_return_val_if_fail (SOTTO_IS_GROUP_LIST (groups), NULL);

  self = g_object_new (SOTTO_TYPE_NEW_GROUP_DIALOG,
                       "transient-for", transient_for,
                       NULL);
  self->groups = g_object_ref (groups);

  n = g_list_model_get_n_items (G_LIST_MODEL (conversations));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SottoConversation) conversation = g_list_model_get_item (G_LIST_MODEL (conversations), i);
      SottoContact *contact = sotto_conversation_get_contact (conversation);

      /* A member is added by username, which the relay's directory
       * vouches for; strangers' requests and the blocked are not
       * offered. */
      if (sotto_contact_get_username (contact) != NULL
          && sotto_contact_get_standing (contact) == SOTTO_CONTACT_STANDING_ACCEPTED)
        sotto_new_group_dialog_add_contact (self, contact);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->members_group), self->checks->len > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->empty_group), self->checks->len == 0);
  update_cb (self);

  return self;
}

static void
sotto_new_group_dialog_dispose (GObject *object)
{
  SottoNewGroupDialog *self = (SottoNewGroupDialog *) object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_NEW_GROUP_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->groups);
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
  gtk_widget_class_bind_template_child (widget_class, SottoNewGroupDialog, empty_group);
  gtk_widget_class_bind_template_callback (widget_class, update_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);

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

  sotto_accessible_label_field (GTK_WIDGET (self->search_entry), _("Search contacts"));

  self->cancellable = g_cancellable_new ();
  self->checks = g_ptr_array_new ();

  self->no_match_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->no_match_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->no_match_label), "dim-label");
  g_object_set (self->no_match_label, "margin-top", 12, "margin-bottom", 12, NULL);
  gtk_list_box_set_placeholder (self->contact_list, GTK_WIDGET (self->no_match_label));
  gtk_list_box_set_filter_func (self->contact_list, filter_contact, self, NULL);
}
