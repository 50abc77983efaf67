/* sotto-group-members-page.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-group-members-page"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-accessible.h"
#include "sotto-account.h"
#include "sotto-avatar.h"
#include "sotto-contact.h"
#include "sotto-error-text.h"
#include "sotto-group-members-page.h"
#include "sotto-group-view.h"
#include "sotto-picture-chooser.h"
#include "sotto-safety-number-dialog.h"

/* A group's member list: each member with their verification state,
 * which opens the same safety number dialog as their 1:1 conversation
 * (safety numbers are per person, not per group); the group's picture,
 * renaming, adding and removing for the group's admins; and leaving.  Each change is a group
 * update that the page waits for until the relay took it for every
 * member; the list follows the group as it changes. */

struct _SottoGroupMembersPage
{
  AdwWindow parent_instance;

  SottoGroupList *groups;
  SottoGroup *group;
  GSignalGroup *group_signals;
  GCancellable *cancellable;
  gboolean busy;
  /* Whom the change under way adds or removes, for its error. */
  char *changed_username;

  SottoAvatar *avatar;
  GtkWidget *avatar_button;
  GtkLabel *status_label;
  AdwEntryRow *title_row;
  AdwPreferencesGroup *members_group;
  GtkListBox *member_list;
  AdwPreferencesGroup *add_group;
  AdwEntryRow *add_row;
  AdwPreferencesGroup *leave_group;
};

G_DEFINE_FINAL_TYPE (SottoGroupMembersPage, sotto_group_members_page, ADW_TYPE_WINDOW)

static const char *
verification_text (SottoContact *contact)
{
  switch (sotto_contact_get_verification_state (contact))
    {
    case SOTTO_VERIFICATION_STATE_VERIFIED:
      return _("Verified");

    case SOTTO_VERIFICATION_STATE_CHANGED:
      return _("Safety number changed: messages wait");

    case SOTTO_VERIFICATION_STATE_UNVERIFIED:
    default:
      return _("Not verified");
    }
}

static const char *
member_username (SottoContact *contact)
{
  return sotto_contact_get_username (contact) != NULL ? sotto_contact_get_username (contact)
                                                      : sotto_contact_get_uuid (contact);
}

static void
update_member_row (AdwActionRow *row,
                   GParamSpec   *pspec,
                   SottoContact *contact)
{
  SottoGroupMembersPage *self = g_object_get_data (G_OBJECT (row), "page");
  g_autofree char *subtitle = NULL;

  if (sotto_group_member_is_admin (self->group, sotto_contact_get_uuid (contact)))
    /* Translators: a group member's verification state, and that they
     * are an admin of the group */
    subtitle = g_strdup_printf (_("%s · Admin"), verification_text (contact));
  else
    subtitle = g_strdup (verification_text (contact));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), sotto_contact_get_name (contact));
  adw_action_row_set_subtitle (row, subtitle);
}

/* Changes */

/* One change at a time.  The fields stay sensitive, with the focus
 * where it is (GTK 4.8 loses track of a focused entry made insensitive),
 * and ignore what they are asked meanwhile. */
static void
sotto_group_members_page_set_busy (SottoGroupMembersPage *self,
                                   gboolean               busy)
{
  self->busy = busy;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "members.leave", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "members.choose-avatar", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "members.remove-avatar",
                                 !busy && sotto_group_get_avatar (self->group) != NULL);
}

/* Text the program puts in a field is no edit of the user's: it shows
 * no apply button, and one that an applied edit left goes.  AdwEntryRow
 * 1.2 takes any change while the field has the focus for an edit. */
static void
set_field_text (AdwEntryRow *row,
                const char  *text)
{
  adw_entry_row_set_show_apply_button (row, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
  adw_entry_row_set_show_apply_button (row, TRUE);
}

/* Ends a change with @error, if it failed, said below the picture. */
static void
sotto_group_members_page_changed (SottoGroupMembersPage *self,
                                  GError                *error)
{
  g_autofree char *message = NULL;

  sotto_group_members_page_set_busy (self, FALSE);
  if (error == NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->status_label), FALSE);
      return;
    }

  /* What the user typed stays, to be corrected. */
  message = sotto_error_text_describe (error,
                                       sotto_account_get_relay_url (sotto_group_list_get_account (self->groups)),
                                       self->changed_username);
  gtk_label_set_label (self->status_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), TRUE);
  sotto_accessible_announce (GTK_WIDGET (self), message);
}

static void
changed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(SottoGroupMembersPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!sotto_group_list_change_finish (SOTTO_GROUP_LIST (object), result, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  sotto_group_members_page_changed (self, error);
}

/* The member is in: the field is free for the next one. */
static void
added_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(SottoGroupMembersPage) self = user_data;

  changed_cb (object, result, g_object_ref (self));
  if (!self->busy && !gtk_widget_get_visible (GTK_WIDGET (self->status_label)))
    set_field_text (self->add_row, "");
}

/* The group's picture */

static void
avatar_changed_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(SottoGroupMembersPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!sotto_group_list_set_avatar_finish (SOTTO_GROUP_LIST (object), result, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  sotto_group_members_page_changed (self, error);
}

/**
 * sotto_group_members_page_set_avatar_file:
 * @self: a #SottoGroupMembersPage
 * @file: (nullable): the picture the user chose, or %NULL to remove the
 *   group's picture
 *
 * Sets the group's picture to the middle square of @file, made small
 * enough to go to every member, as choosing it does.
 */
void
sotto_group_members_page_set_avatar_file (SottoGroupMembersPage *self,
                                          GFile                 *file)
{
  g_return_if_fail (SOTTO_IS_GROUP_MEMBERS_PAGE (self));
  g_return_if_fail (file == NULL || G_IS_FILE (file));

  if (self->busy)
    return;

  sotto_group_members_page_set_busy (self, TRUE);
  g_clear_pointer (&self->changed_username, g_free);
  sotto_group_list_set_avatar_async (self->groups, self->group, file, self->cancellable,
                                     avatar_changed_cb, g_object_ref (self));
}

static void
chosen_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(SottoGroupMembersPage) self = user_data;
  g_autoptr(GFile) file = sotto_picture_chooser_choose_finish (result, NULL);

  if (file != NULL)
    sotto_group_members_page_set_avatar_file (self, file);
}

static void
sotto_group_members_page_choose_avatar (GtkWidget  *widget,
                                        const char *action_name,
                                        GVariant   *parameter)
{
  SottoGroupMembersPage *self = SOTTO_GROUP_MEMBERS_PAGE (widget);

  sotto_picture_chooser_choose_async (GTK_WINDOW (self), _("Choose the Group’s Picture"), self->cancellable,
                                      chosen_cb, g_object_ref (self));
}

static void
sotto_group_members_page_remove_avatar (GtkWidget  *widget,
                                        const char *action_name,
                                        GVariant   *parameter)
{
  sotto_group_members_page_set_avatar_file (SOTTO_GROUP_MEMBERS_PAGE (widget), NULL);
}

static void
rename_cb (SottoGroupMembersPage *self)
{
  g_autofree char *title = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->title_row))));

  if (self->busy || title[0] == '\0' || g_strcmp0 (title, sotto_group_get_title (self->group)) == 0)
    return;

  sotto_group_members_page_set_busy (self, TRUE);
  g_clear_pointer (&self->changed_username, g_free);
  sotto_group_list_rename_async (self->groups, self->group, title, self->cancellable,
                                 changed_cb, g_object_ref (self));
}

static void
add_cb (SottoGroupMembersPage *self)
{
  g_autofree char *username = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->add_row))));

  if (self->busy || username[0] == '\0')
    return;

  sotto_group_members_page_set_busy (self, TRUE);
  g_free (self->changed_username);
  self->changed_username = g_strdup (username);
  sotto_group_list_add_member_async (self->groups, self->group, username, self->cancellable,
                                     added_cb, g_object_ref (self));
}

/* Taking someone out of the group, the user included, is asked first:
 * Cancel is the default. */
static AdwMessageDialog *
sotto_group_members_page_confirm (SottoGroupMembersPage *self,
                                  const char            *heading,
                                  const char            *body,
                                  const char            *response,
                                  const char            *label)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), heading, body));

  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    response, label,
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, response, ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");

  return dialog;
}

static void
remove_response_cb (AdwMessageDialog      *dialog,
                    const char            *response,
                    SottoGroupMembersPage *self)
{
  if (!g_str_equal (response, "remove") || self->busy)
    return;

  sotto_group_members_page_set_busy (self, TRUE);
  g_free (self->changed_username);
  self->changed_username = g_strdup (g_object_get_data (G_OBJECT (dialog), "username"));
  sotto_group_list_remove_member_async (self->groups, self->group, self->changed_username, self->cancellable,
                                        changed_cb, g_object_ref (self));
}

static void
remove_clicked_cb (GtkButton             *button,
                   SottoGroupMembersPage *self)
{
  SottoContact *contact = g_object_get_data (G_OBJECT (button), "contact");
  g_autofree char *heading = NULL;
  AdwMessageDialog *dialog;

  if (self->busy)
    return;

  /* Translators: the heading of the question before removing a member */
  heading = g_strdup_printf (_("Remove %s?"), sotto_contact_get_name (contact));
  dialog = sotto_group_members_page_confirm (self, heading,
                                             _("They will no longer receive the group’s messages. An admin can add them again."),
                                             "remove", _("_Remove"));
  g_object_set_data_full (G_OBJECT (dialog), "username", g_strdup (member_username (contact)), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
left_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(SottoGroupMembersPage) self = user_data;

  changed_cb (object, result, g_object_ref (self));
  if (!sotto_group_get_is_member (self->group))
    gtk_window_destroy (GTK_WINDOW (self));
}

static void
leave_response_cb (SottoGroupMembersPage *self,
                   const char            *response)
{
  if (!g_str_equal (response, "leave") || self->busy)
    return;

  sotto_group_members_page_set_busy (self, TRUE);
  g_clear_pointer (&self->changed_username, g_free);
  sotto_group_list_leave_async (self->groups, self->group, self->cancellable, left_cb, g_object_ref (self));
}

static void
sotto_group_members_page_leave (GtkWidget  *widget,
                                const char *action_name,
                                GVariant   *parameter)
{
  SottoGroupMembersPage *self = SOTTO_GROUP_MEMBERS_PAGE (widget);
  AdwMessageDialog *dialog;

  dialog = sotto_group_members_page_confirm (self, _("Leave the Group?"),
                                             _("You will no longer receive its messages. A member who is an admin can add you again."),
                                             "leave", _("_Leave"));
  g_signal_connect_object (dialog, "response", G_CALLBACK (leave_response_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Members */

/* A row with the member's colour, as their name has it in the timeline. */
static GtkWidget *
member_row_new (const char *uuid)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *dot = gtk_image_new_from_icon_name ("avatar-default-symbolic");
  g_autofree char *color = g_strdup_printf ("sender-color-%u", sotto_group_view_sender_color (uuid));

  gtk_widget_add_css_class (dot, "group-sender");
  gtk_widget_add_css_class (dot, color);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), dot);

  return row;
}

/* The user, among the others: whether they are an admin, and no safety
 * number, which is between two people. */
static GtkWidget *
create_own_row (SottoGroupMembersPage *self,
                SottoAccount          *account)
{
  GtkWidget *row = member_row_new (sotto_account_get_uuid (account));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("You"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                               sotto_group_get_is_admin (self->group)
                               /* Translators: the user's own row in a group's member list */
                               ? _("Your own account · Admin")
                               : _("Your own account · Member"));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);

  return row;
}

static GtkWidget *
create_member_row (gpointer item,
                   gpointer user_data)
{
  SottoGroupMembersPage *self = user_data;
  SottoContact *contact = item;
  g_autofree char *remove_label = NULL;
  GtkWidget *remove;
  GtkWidget *row;

  if (SOTTO_IS_ACCOUNT (item))
    return create_own_row (self, item);

  row = member_row_new (sotto_contact_get_uuid (contact));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  /* The page outlives its rows. */
  g_object_set_data (G_OBJECT (row), "page", self);
  g_object_set_data_full (G_OBJECT (row), "contact", g_object_ref (contact), g_object_unref);

  remove_label = g_strdup_printf (_("Remove %s"), sotto_contact_get_name (contact));
  remove = gtk_button_new_from_icon_name ("list-remove-symbolic");
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (remove, remove_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, remove_label, -1);
  gtk_widget_add_css_class (remove, "flat");
  gtk_widget_set_visible (remove, sotto_group_get_is_admin (self->group));
  g_object_set_data_full (G_OBJECT (remove), "contact", g_object_ref (contact), g_object_unref);
  g_signal_connect_object (remove, "clicked", G_CALLBACK (remove_clicked_cb), self, 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);

  g_signal_connect_object (contact, "notify::verification-state", G_CALLBACK (update_member_row), row,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (contact, "notify::name", G_CALLBACK (update_member_row), row, G_CONNECT_SWAPPED);
  update_member_row (ADW_ACTION_ROW (row), NULL, contact);

  return row;
}

static void
member_activated_cb (SottoGroupMembersPage *self,
                     GtkListBoxRow         *row)
{
  SottoContact *contact = g_object_get_data (G_OBJECT (row), "contact");
  SottoSafetyNumberDialog *dialog = sotto_safety_number_dialog_new (GTK_WINDOW (self), contact);

  gtk_window_present (GTK_WINDOW (dialog));
}

static void
sotto_group_members_page_update (SottoGroupMembersPage *self)
{
  gboolean admin = sotto_group_get_is_admin (self->group);

  sotto_avatar_set_group (self->avatar, self->group);
  /* The title the user is typing stays; the focus is on the row's text. */
  if (!(gtk_widget_get_state_flags (GTK_WIDGET (self->title_row)) & GTK_STATE_FLAG_FOCUS_WITHIN) || self->busy)
    set_field_text (self->title_row, sotto_group_get_title (self->group));
  /* Only admins change the picture, rename, add and remove
   * (docs/messenger.md). */
  gtk_widget_set_visible (self->avatar_button, admin);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "members.remove-avatar",
                                 !self->busy && sotto_group_get_avatar (self->group) != NULL);
  gtk_editable_set_editable (GTK_EDITABLE (self->title_row), admin);
  gtk_widget_set_visible (GTK_WIDGET (self->add_group), admin);
  gtk_widget_set_visible (GTK_WIDGET (self->leave_group), sotto_group_get_is_member (self->group));
}

/* The admins may have changed with the members: the rows are made
 * again, the user's own first while they are a member. */
static void
sotto_group_members_page_bind (SottoGroupMembersPage *self)
{
  g_autoptr(GListStore) parts = g_list_store_new (G_TYPE_LIST_MODEL);
  g_autoptr(GListStore) own = g_list_store_new (SOTTO_TYPE_ACCOUNT);
  g_autoptr(GtkFlattenListModel) rows = NULL;

  if (sotto_group_get_is_member (self->group))
    g_list_store_append (own, sotto_group_list_get_account (self->groups));
  g_list_store_append (parts, own);
  g_list_store_append (parts, sotto_group_get_members (self->group));
  rows = gtk_flatten_list_model_new (G_LIST_MODEL (g_steal_pointer (&parts)));
  gtk_list_box_bind_model (self->member_list, G_LIST_MODEL (rows), create_member_row, self, NULL);
  sotto_group_members_page_update (self);
}

/**
 * sotto_group_members_page_new:
 * @transient_for: (nullable): the window it belongs to
 * @groups: the account's groups
 * @group: the group whose members to show
 *
 * Returns: (transfer full): a new member list
 */
SottoGroupMembersPage *
sotto_group_members_page_new (GtkWindow      *transient_for,
                              SottoGroupList *groups,
                              SottoGroup     *group)
{
  SottoGroupMembersPage *self;

  g_return_val_if_fail (SOTTO_IS_GROUP_LIST (groups), NULL);
  g_return_val_if_fail (SOTTO_IS_GROUP (group), NULL);

  self = g_object_new (SOTTO_TYPE_GROUP_MEMBERS_PAGE,
                       "transient-for", transient_for,
                       NULL);
  self->groups = g_object_ref (groups);
  self->group = g_object_ref (group);
  g_signal_group_set_target (self->group_signals, group);
  sotto_group_members_page_bind (self);

  return self;
}

SottoGroup *
sotto_group_members_page_get_group (SottoGroupMembersPage *self)
{
  g_return_val_if_fail (SOTTO_IS_GROUP_MEMBERS_PAGE (self), NULL);

  return self->group;
}

static void
sotto_group_members_page_dispose (GObject *object)
{
  SottoGroupMembersPage *self = (SottoGroupMembersPage *) object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_GROUP_MEMBERS_PAGE);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->group_signals);
  g_clear_object (&self->group);
  g_clear_object (&self->groups);
  g_clear_pointer (&self->changed_username, g_free);

  G_OBJECT_CLASS (sotto_group_members_page_parent_class)->dispose (object);
}

static void
sotto_group_members_page_class_init (SottoGroupMembersPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_group_members_page_dispose;

  g_type_ensure (SOTTO_TYPE_AVATAR);
  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-group-members-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoGroupMembersPage, avatar);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupMembersPage, avatar_button);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupMembersPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupMembersPage, title_row);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupMembersPage, members_group);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupMembersPage, member_list);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupMembersPage, add_group);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupMembersPage, add_row);
  gtk_widget_class_bind_template_child (widget_class, SottoGroupMembersPage, leave_group);
  gtk_widget_class_bind_template_callback (widget_class, rename_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_cb);
  gtk_widget_class_bind_template_callback (widget_class, member_activated_cb);

  gtk_widget_class_install_action (widget_class, "members.leave", NULL, sotto_group_members_page_leave);
  gtk_widget_class_install_action (widget_class, "members.choose-avatar", NULL,
                                   sotto_group_members_page_choose_avatar);
  gtk_widget_class_install_action (widget_class, "members.remove-avatar", NULL,
                                   sotto_group_members_page_remove_avatar);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
sotto_group_members_page_init (SottoGroupMembersPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  sotto_accessible_name_mnemonic_buttons (GTK_WIDGET (self));
  sotto_accessible_name_page_scrollers (GTK_WIDGET (self));
  sotto_accessible_reach_window_controls (GTK_WIDGET (self));
  sotto_accessible_quiet_menu_tooltip (GTK_MENU_BUTTON (self->avatar_button));

  self->cancellable = g_cancellable_new ();
  self->group_signals = g_signal_group_new (SOTTO_TYPE_GROUP);
  g_signal_group_connect_object (self->group_signals, "notify::title",
                                 G_CALLBACK (sotto_group_members_page_update), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->group_signals, "notify::avatar",
                                 G_CALLBACK (sotto_group_members_page_update), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->group_signals, "notify::is-member",
                                 G_CALLBACK (sotto_group_members_page_bind), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->group_signals, "notify::is-admin",
                                 G_CALLBACK (sotto_group_members_page_bind), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->group_signals, "notify::version",
                                 G_CALLBACK (sotto_group_members_page_bind), self, G_CONNECT_SWAPPED);
}
