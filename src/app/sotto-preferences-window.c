/* sotto-preferences-window.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-accessible.h"
#include "sotto-account.h"
#include "sotto-contact.h"
#include "sotto-conversation.h"
#include "sotto-error-text.h"
#include "sotto-preferences-window.h"
#include "sotto-profile-editor.h"

struct _SottoPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  SottoMessenger *messenger;
  GCancellable *cancellable;
  guint n_blocked;

  SottoProfileEditor *profile_editor;
  AdwComboRow *notification_row;
  GtkSwitch *read_receipts_switch;
  GtkSwitch *typing_indicators_switch;
  GtkSwitch *auto_download_switch;
  GtkSpinButton *auto_download_size_button;
  AdwActionRow *relay_row;
  AdwPreferencesGroup *blocked_group;
  AdwActionRow *nobody_blocked_row;
};

G_DEFINE_FINAL_TYPE (SottoPreferencesWindow, sotto_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The combo row lists the enum's values in the schema's order, so the
 * selected position and the enum value are the same number. */
static gboolean
notification_get_mapping (GValue   *value,
                          GVariant *variant,
                          gpointer  user_data)
{
  const char *nick = g_variant_get_string (variant, NULL);
  static const char *nicks[] = { "name-and-message", "name-only", "nothing" };

  for (guint i = 0; i < G_N_ELEMENTS (nicks); i++)
    {
      if (g_str_equal (nick, nicks[i]))
        {
          g_value_set_uint (value, i);
          return TRUE;
        }
    }

  return FALSE;
}

static GVariant *
notification_set_mapping (const GValue       *value,
                          const GVariantType *expected_type,
                          gpointer            user_data)
{
  static const char *nicks[] = { "name-and-message", "name-only", "nothing" };
  guint selected = g_value_get_uint (value);

  if (selected >= G_N_ELEMENTS (nicks))
    return NULL;

  return g_variant_new_string (nicks[selected]);
}

/* Blocked contacts */

typedef struct
{
  SottoPreferencesWindow *self;
  GtkWidget *row;
} Unblock;

static void
unblock_free (Unblock *unblock)
{
  g_clear_object (&unblock->self);
  g_clear_object (&unblock->row);
  g_free (unblock);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Unblock, unblock_free)

static void
sotto_preferences_window_show_n_blocked (SottoPreferencesWindow *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->nobody_blocked_row), self->n_blocked == 0);
}

static void
sotto_preferences_window_unblocked_cb (GObject      *object,
                                       GAsyncResult *result,
                                       gpointer      user_data)
{
  g_autoptr(Unblock) unblock = user_data;
  SottoPreferencesWindow *self = unblock->self;
  g_autoptr(GError) error = NULL;

  if (!sotto_messenger_unblock_finish (SOTTO_MESSENGER (object), result, &error))
    {
      g_autofree char *reason = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      /* The row stays, and says why. */
      reason = sotto_error_text_general (error);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (unblock->row), reason);
      gtk_widget_set_sensitive (unblock->row, TRUE);
      return;
    }

  adw_preferences_group_remove (self->blocked_group, unblock->row);
  self->n_blocked--;
  sotto_preferences_window_show_n_blocked (self);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    adw_toast_new (_("Unblocked: their messages arrive again, as a message request")));
}

static void
sotto_preferences_window_unblock_clicked_cb (GtkButton *button,
                                             gpointer   user_data)
{
  SottoPreferencesWindow *self = user_data;
  GtkWidget *row = gtk_widget_get_ancestor (GTK_WIDGET (button), ADW_TYPE_ACTION_ROW);
  SottoConversation *conversation = g_object_get_data (G_OBJECT (row), "sotto-conversation");
  Unblock *unblock;

  /* One click is enough; the row goes once the contact is unblocked. */
  gtk_widget_set_sensitive (row, FALSE);
  unblock = g_new0 (Unblock, 1);
  unblock->self = g_object_ref (self);
  unblock->row = g_object_ref (row);
  sotto_messenger_unblock_async (self->messenger, conversation, self->cancellable,
                                 sotto_preferences_window_unblocked_cb, unblock);
}

/* A row for each contact blocked when the window opens, with the button
 * that unblocks them. */
static void
sotto_preferences_window_list_blocked (SottoPreferencesWindow *self)
{
  g_autoptr(GListModel) blocked = sotto_messenger_dup_blocked (self->messenger);

  self->n_blocked = g_list_model_get_n_items (blocked);
  for (guint i = 0; i < self->n_blocked; i++)
    {
      g_autoptr(SottoConversation) conversation = g_list_model_get_item (blocked, i);
      SottoContact *contact = sotto_conversation_get_contact (conversation);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *button = gtk_button_new_with_mnemonic (_("_Unblock"));
      g_autofree char *label = g_strdup_printf (_("Unblock %s"), sotto_contact_get_name (contact));

      /* Names and usernames are shown as they are, never as markup. */
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), sotto_contact_get_name (contact));
      if (sotto_contact_get_username (contact) != NULL)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sotto_contact_get_username (contact));
      g_object_set_data_full (G_OBJECT (row), "sotto-conversation", g_object_ref (conversation), g_object_unref);

      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
      g_signal_connect_object (button, "clicked", G_CALLBACK (sotto_preferences_window_unblock_clicked_cb), self, 0);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);

      adw_preferences_group_add (self->blocked_group, row);
    }
  sotto_preferences_window_show_n_blocked (self);
}

/* libadwaita 1.2's preferences window never releases its rows, so the
 * bindings on them (of the value, and of its writability to "sensitive")
 * would keep the profile's settings alive after the window is gone. */
static void
sotto_preferences_window_dispose (GObject *object)
{
  SottoPreferencesWindow *self = SOTTO_PREFERENCES_WINDOW (object);

  if (self->notification_row != NULL)
    {
      g_settings_unbind (self->notification_row, "selected");
      g_settings_unbind (self->notification_row, "sensitive");
    }
  if (self->read_receipts_switch != NULL)
    {
      g_settings_unbind (self->read_receipts_switch, "active");
      g_settings_unbind (self->read_receipts_switch, "sensitive");
    }
  if (self->typing_indicators_switch != NULL)
    {
      g_settings_unbind (self->typing_indicators_switch, "active");
      g_settings_unbind (self->typing_indicators_switch, "sensitive");
    }
  if (self->auto_download_switch != NULL)
    {
      g_settings_unbind (self->auto_download_switch, "active");
      g_settings_unbind (self->auto_download_switch, "sensitive");
    }
  if (self->auto_download_size_button != NULL)
    {
      g_settings_unbind (self->auto_download_size_button, "value");
      g_settings_unbind (self->auto_download_size_button, "sensitive");
    }
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->messenger);

  G_OBJECT_CLASS (sotto_preferences_window_parent_class)->dispose (object);
}

static void
sotto_preferences_window_class_init (SottoPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_preferences_window_dispose;

  g_type_ensure (SOTTO_TYPE_PROFILE_EDITOR);
  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoPreferencesWindow, profile_editor);
  gtk_widget_class_bind_template_child (widget_class, SottoPreferencesWindow, notification_row);
  gtk_widget_class_bind_template_child (widget_class, SottoPreferencesWindow, read_receipts_switch);
  gtk_widget_class_bind_template_child (widget_class, SottoPreferencesWindow, typing_indicators_switch);
  gtk_widget_class_bind_template_child (widget_class, SottoPreferencesWindow, auto_download_switch);
  gtk_widget_class_bind_template_child (widget_class, SottoPreferencesWindow, auto_download_size_button);
  gtk_widget_class_bind_template_child (widget_class, SottoPreferencesWindow, relay_row);
  gtk_widget_class_bind_template_child (widget_class, SottoPreferencesWindow, blocked_group);
  gtk_widget_class_bind_template_child (widget_class, SottoPreferencesWindow, nobody_blocked_row);
}

static void
sotto_preferences_window_init (SottoPreferencesWindow *self)
{
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  sotto_accessible_name_page_scrollers (GTK_WIDGET (self));
  sotto_accessible_reach_window_controls (GTK_WIDGET (self));
}

/**
 * sotto_preferences_window_new:
 * @transient_for: (nullable): the window it belongs to
 * @settings: the profile's settings
 * @messenger: (nullable): the messenger of the registered account, for
 *   its relay and blocked contacts; %NULL before there is one
 *
 * Returns: (transfer full): a new #SottoPreferencesWindow
 */
SottoPreferencesWindow *
sotto_preferences_window_new (GtkWindow      *transient_for,
                              GSettings      *settings,
                              SottoMessenger *messenger)
{
  SottoPreferencesWindow *self;
  const char *relay_url = NULL;

  g_return_val_if_fail (!transient_for || GTK_IS_WINDOW (transient_for), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (!messenger || SOTTO_IS_MESSENGER (messenger), NULL);

  self = g_object_new (SOTTO_TYPE_PREFERENCES_WINDOW,
                       "transient-for", transient_for,
                       NULL);

  g_settings_bind_with_mapping (settings, "notification-content",
                                self->notification_row, "selected",
                                G_SETTINGS_BIND_DEFAULT,
                                notification_get_mapping, notification_set_mapping,
                                NULL, NULL);
  g_settings_bind (settings, "send-read-receipts",
                   self->read_receipts_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "typing-indicators",
                   self->typing_indicators_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "auto-download-pictures",
                   self->auto_download_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "auto-download-size",
                   self->auto_download_size_button, "value",
                   G_SETTINGS_BIND_DEFAULT);

  if (messenger != NULL)
    {
      self->messenger = g_object_ref (messenger);
      relay_url = sotto_account_get_relay_url (sotto_messenger_get_account (messenger));
      sotto_preferences_window_list_blocked (self);
      sotto_profile_editor_set_messenger (self->profile_editor, messenger);
    }
  adw_action_row_set_subtitle (self->relay_row,
                               relay_url != NULL ? relay_url : _("Not registered yet"));

  return self;
}
