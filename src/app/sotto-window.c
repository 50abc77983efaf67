/* sotto-window.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-window"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-account.h"
#include "sotto-contact.h"
#include "sotto-conversation-list.h"
#include "sotto-conversation-row.h"
#include "sotto-conversation-view.h"
#include "sotto-error-text.h"
#include "sotto-message.h"
#include "sotto-relay-address.h"
#include "sotto-store.h"
#include "sotto-window.h"

struct _SottoWindow
{
  AdwApplicationWindow parent_instance;

  GSettings *settings;
  GCancellable *cancellable;
  SottoStore *store;
  SottoMessenger *messenger;
  GtkCustomFilter *filter;
  char            *query_folded;  /* the search, casefolded once per change */
  GtkFilterListModel *filtered;
  gboolean creating_passphrase;
  guint username_check_source;
  AdwMessageDialog *new_conversation_dialog;  /* weak */
  char *looked_up_username;
  char *relay_ca;  /* the PEM text of the chosen CA file, or NULL */

  AdwToastOverlay *toast_overlay;
  GtkStack *main_stack;
  GtkLabel *loading_label;
  AdwStatusPage *error_page;
  AdwStatusPage *passphrase_page;
  AdwPasswordEntryRow *passphrase_row;
  AdwPasswordEntryRow *passphrase_confirm_row;
  GtkLabel *passphrase_error;
  GtkButton *passphrase_button;
  AdwEntryRow *username_row;
  AdwEntryRow *relay_row;
  AdwPasswordEntryRow *token_row;
  AdwActionRow *relay_ca_row;
  GtkButton *relay_ca_clear_button;
  GtkLabel *welcome_error;
  AdwLeaflet *leaflet;
  AdwWindowTitle *sidebar_title;
  GtkToggleButton *search_button;
  GtkSearchEntry *search_entry;
  GtkStack *sidebar_stack;
  GtkListView *conversation_list;
  GtkStack *content_stack;
  SottoConversationView *conversation_view;
};

G_DEFINE_FINAL_TYPE (SottoWindow, sotto_window, ADW_TYPE_APPLICATION_WINDOW)

static void sotto_window_open_store (SottoWindow *self,
                                     const char  *passphrase);

static SottoApplication *
sotto_window_get_application (SottoWindow *self)
{
  return SOTTO_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
}

static void
sotto_window_show_error (SottoWindow  *self,
                         const GError *error)
{
  adw_status_page_set_description (self->error_page, error->message);
  gtk_stack_set_visible_child_name (self->main_stack, "error");
}

/* The spinner says what it waits for. */
static void
sotto_window_show_loading (SottoWindow *self,
                           const char  *doing)
{
  gtk_label_set_label (self->loading_label, doing);
  gtk_stack_set_visible_child_name (self->main_stack, "loading");
}

static void
sotto_window_toast (SottoWindow *self,
                    const char  *message)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

/* Conversations and their messages */

static SottoConversation *
sotto_window_get_conversation (SottoWindow *self)
{
  return sotto_conversation_view_get_conversation (self->conversation_view);
}

static void
sotto_window_mark_read_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!sotto_messenger_mark_read_finish (SOTTO_MESSENGER (object), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Could not mark messages read: %s", error->message);
}

static gboolean
sotto_window_shows_only_sidebar (SottoWindow *self)
{
  return adw_leaflet_get_folded (self->leaflet)
         && adw_leaflet_get_visible_child (self->leaflet) != GTK_WIDGET (self->content_stack);
}

/* What the user sees is read: only when the window is active, so that a
 * message arriving behind another window still counts as unread, and
 * only when the timeline shows its newest messages, so that no read
 * receipt goes out for a message that arrived while the user was
 * reading older ones. */
static void
sotto_window_mark_shown_read (SottoWindow *self)
{
  SottoConversation *conversation = sotto_window_get_conversation (self);
  GApplication *app = G_APPLICATION (sotto_window_get_application (self));
  g_autofree char *notification_id = NULL;

  if (conversation == NULL || !gtk_window_is_active (GTK_WINDOW (self))
      || g_strcmp0 (gtk_stack_get_visible_child_name (self->content_stack), "conversation") != 0
      || sotto_window_shows_only_sidebar (self)
      || !sotto_conversation_view_get_at_end (self->conversation_view))
    return;

  notification_id = g_strdup_printf ("message-%s",
                                     sotto_contact_get_uuid (sotto_conversation_get_contact (conversation)));
  g_application_withdraw_notification (app, notification_id);

  if (sotto_conversation_get_unread_count (conversation) > 0)
    sotto_messenger_mark_read_async (self->messenger, conversation, self->cancellable,
                                     sotto_window_mark_read_cb, NULL);
}

/* The highlighted row is the open conversation's, however it was opened
 * (a click, a notification, the new-conversation dialog) and wherever
 * the list moves it.  A narrow window showing only the list highlights
 * nothing, so that a tap on any row, the last one too, opens it. */
static void
sotto_window_sync_selection (SottoWindow *self)
{
  GtkSingleSelection *selection = GTK_SINGLE_SELECTION (gtk_list_view_get_model (self->conversation_list));
  SottoConversation *conversation = sotto_window_get_conversation (self);
  guint position = GTK_INVALID_LIST_POSITION;

  if (selection == NULL)
    return;

  if (conversation != NULL && !sotto_window_shows_only_sidebar (self))
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));

      for (guint i = 0; i < n && position == GTK_INVALID_LIST_POSITION; i++)
        {
          g_autoptr(SottoConversation) item = g_list_model_get_item (G_LIST_MODEL (self->filtered), i);

          if (item == conversation)
            position = i;
        }
    }

  if (gtk_single_selection_get_selected (selection) != position)
    gtk_single_selection_set_selected (selection, position);
}

static void
sotto_window_select_conversation (SottoWindow       *self,
                                  SottoConversation *conversation)
{
  sotto_conversation_view_set_conversation (self->conversation_view, conversation);
  gtk_stack_set_visible_child_name (self->content_stack, "conversation");
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->content_stack));
  /* Whoever opens a conversation is about to write in it. */
  sotto_conversation_view_focus_composer (self->conversation_view);
  sotto_window_sync_selection (self);
  sotto_window_mark_shown_read (self);
}

/* Selecting a row, with the pointer or the arrow keys, opens it. */
static void
sotto_window_selection_changed_cb (SottoWindow        *self,
                                   GParamSpec         *pspec,
                                   GtkSingleSelection *selection)
{
  SottoConversation *selected = gtk_single_selection_get_selected_item (selection);

  if (selected != NULL
      && (selected != sotto_window_get_conversation (self) || sotto_window_shows_only_sidebar (self)))
    sotto_window_select_conversation (self, selected);
}

static void
conversation_activated_cb (SottoWindow *self,
                           guint        position)
{
  g_autoptr(SottoConversation) conversation = g_list_model_get_item (G_LIST_MODEL (self->filtered), position);

  if (conversation != NULL)
    sotto_window_select_conversation (self, conversation);
}

static gboolean
sotto_window_filter_conversation (gpointer item,
                                  gpointer user_data)
{
  SottoWindow *self = user_data;
  SottoContact *contact = sotto_conversation_get_contact (item);
  const char *username = sotto_contact_get_username (contact);
  g_autofree char *name_folded = NULL;
  g_autofree char *username_folded = NULL;

  if (self->query_folded == NULL || self->query_folded[0] == '\0')
    return TRUE;

  name_folded = g_utf8_casefold (sotto_contact_get_name (contact), -1);
  if (strstr (name_folded, self->query_folded) != NULL)
    return TRUE;
  /* A contact known only by its identity has no username yet. */
  if (username == NULL)
    return FALSE;
  username_folded = g_utf8_casefold (username, -1);
  return strstr (username_folded, self->query_folded) != NULL;
}

static void
sotto_window_update_sidebar (SottoWindow *self)
{
  GListModel *all = sotto_messenger_get_conversations (self->messenger) != NULL
                    ? G_LIST_MODEL (sotto_messenger_get_conversations (self->messenger)) : NULL;
  const char *page = "list";

  if (all == NULL || g_list_model_get_n_items (all) == 0)
    page = "empty";
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) == 0)
    page = "no-results";

  gtk_stack_set_visible_child_name (self->sidebar_stack, page);
}

static void
search_changed_cb (SottoWindow *self)
{
  g_free (self->query_folded);
  self->query_folded = g_utf8_casefold (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)), -1);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  sotto_window_update_sidebar (self);
}

static void
sotto_window_setup_row_cb (GtkSignalListItemFactory *factory,
                           GtkListItem              *item,
                           gpointer                  user_data)
{
  gtk_list_item_set_child (item, sotto_conversation_row_new ());
}

static void
sotto_window_bind_row_cb (GtkSignalListItemFactory *factory,
                          GtkListItem              *item,
                          gpointer                  user_data)
{
  sotto_conversation_row_set_conversation (SOTTO_CONVERSATION_ROW (gtk_list_item_get_child (item)),
                                           gtk_list_item_get_item (item));
}

static void
sotto_window_unbind_row_cb (GtkSignalListItemFactory *factory,
                            GtkListItem              *item,
                            gpointer                  user_data)
{
  sotto_conversation_row_set_conversation (SOTTO_CONVERSATION_ROW (gtk_list_item_get_child (item)), NULL);
}

/* Notifications */

static void
sotto_window_message_received_cb (SottoWindow       *self,
                                  SottoConversation *conversation,
                                  SottoMessage      *message,
                                  SottoMessenger    *messenger)
{
  SottoContact *contact = sotto_conversation_get_contact (conversation);
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *id = NULL;
  const char *title;
  const char *body = NULL;

  if (conversation == sotto_window_get_conversation (self))
    sotto_window_mark_shown_read (self);

  if (gtk_window_is_active (GTK_WINDOW (self)))
    return;

  /* A notification can be read off a locked screen: the user decides how
   * much of the message it may show. */
  switch (g_settings_get_enum (self->settings, "notification-content"))
    {
    case 0: /* name and message */
      title = sotto_contact_get_name (contact);
      body = sotto_message_get_body (message);
      break;
    case 1: /* name only */
      title = sotto_contact_get_name (contact);
      body = _("New message");
      break;
    default: /* nothing */
      title = _("New message");
      break;
    }

  notification = g_notification_new (title);
  if (body != NULL)
    g_notification_set_body (notification, body);
  g_notification_set_category (notification, "im.received");
  g_notification_set_default_action_and_target (notification, "app.open-conversation",
                                                "s", sotto_contact_get_uuid (contact));

  /* One notification per conversation, replaced by the newest message. */
  id = g_strdup_printf ("message-%s", sotto_contact_get_uuid (contact));
  g_application_send_notification (G_APPLICATION (sotto_window_get_application (self)), id, notification);
}

/* A change in the conversation on screen is told by its banner and its
 * timeline; a toast is for a conversation the user does not see. */
static void
sotto_window_identity_changed_cb (SottoWindow       *self,
                                  SottoConversation *conversation,
                                  SottoMessenger    *messenger)
{
  g_autofree char *message = NULL;

  if (conversation == sotto_window_get_conversation (self)
      && g_strcmp0 (gtk_stack_get_visible_child_name (self->content_stack), "conversation") == 0
      && !sotto_window_shows_only_sidebar (self))
    return;

  message = g_strdup_printf (_("Your safety number with %s changed"),
                             sotto_contact_get_name (sotto_conversation_get_contact (conversation)));
  sotto_window_toast (self, message);
}

/* A deleted request or a blocked contact is not shown any longer. */
static void
sotto_window_conversation_removed_cb (SottoWindow       *self,
                                      SottoConversation *conversation,
                                      SottoMessenger    *messenger)
{
  if (conversation != sotto_window_get_conversation (self))
    return;

  sotto_conversation_view_set_conversation (self->conversation_view, NULL);
  gtk_stack_set_visible_child_name (self->content_stack, "no-selection");
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* Pages */

static void
sotto_window_show_chats (SottoWindow    *self,
                         SottoMessenger *messenger)
{
  GListModel *conversations;
  g_autoptr(GtkSingleSelection) selection = NULL;

  g_set_object (&self->messenger, messenger);
  conversations = G_LIST_MODEL (sotto_messenger_get_conversations (messenger));
  g_settings_bind (self->settings, "send-read-receipts", messenger, "send-read-receipts",
                   G_SETTINGS_BIND_GET);

  gtk_filter_list_model_set_model (self->filtered, conversations);
  selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->filtered)));
  gtk_single_selection_set_autoselect (selection, FALSE);
  gtk_single_selection_set_selected (selection, GTK_INVALID_LIST_POSITION);
  gtk_list_view_set_model (self->conversation_list, GTK_SELECTION_MODEL (selection));
  g_signal_connect_object (selection, "notify::selected",
                           G_CALLBACK (sotto_window_selection_changed_cb), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self->filtered, "items-changed",
                           G_CALLBACK (sotto_window_update_sidebar), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->filtered, "items-changed",
                           G_CALLBACK (sotto_window_sync_selection), self, G_CONNECT_SWAPPED | G_CONNECT_AFTER);
  g_signal_connect_object (messenger, "message-received",
                           G_CALLBACK (sotto_window_message_received_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (messenger, "identity-changed",
                           G_CALLBACK (sotto_window_identity_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (messenger, "conversation-removed",
                           G_CALLBACK (sotto_window_conversation_removed_cb), self, G_CONNECT_SWAPPED);

  adw_window_title_set_subtitle (self->sidebar_title,
                                 sotto_account_get_username (sotto_messenger_get_account (messenger)));
  sotto_window_update_sidebar (self);
  gtk_stack_set_visible_child_name (self->main_stack, "chats");

  sotto_messenger_start (messenger);
}

static void
sotto_window_show_welcome (SottoWindow *self)
{
  const char *relay = g_getenv ("SOTTO_DEFAULT_RELAY");

  /* The demo script starts a local relay and passes its address on. */
  if (relay != NULL && gtk_editable_get_text (GTK_EDITABLE (self->relay_row))[0] == '\0')
    gtk_editable_set_text (GTK_EDITABLE (self->relay_row), relay);

  gtk_stack_set_visible_child_name (self->main_stack, "welcome");
  gtk_widget_grab_focus (GTK_WIDGET (self->username_row));
}

static void
sotto_window_show_passphrase (SottoWindow *self,
                              const char  *error_message)
{
  GFile *profile = sotto_application_get_profile (sotto_window_get_application (self));

  self->creating_passphrase = !sotto_store_exists (profile);

  adw_status_page_set_title (self->passphrase_page,
                             self->creating_passphrase ? _("Protect Your Messages")
                                                       : _("Unlock Your Messages"));
  adw_status_page_set_description (self->passphrase_page,
                                   self->creating_passphrase
                                   ? _("There is no keyring to keep the key to your messages. Choose a passphrase instead: without it nobody can read them, not even you.")
                                   : _("Enter the passphrase that protects your messages."));
  gtk_button_set_label (self->passphrase_button,
                        self->creating_passphrase ? _("_Continue") : _("_Unlock"));
  gtk_button_set_use_underline (self->passphrase_button, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->passphrase_confirm_row), self->creating_passphrase);

  gtk_label_set_label (self->passphrase_error, error_message != NULL ? error_message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->passphrase_error), error_message != NULL);

  gtk_stack_set_visible_child_name (self->main_stack, "passphrase");
  gtk_widget_grab_focus (GTK_WIDGET (self->passphrase_row));
}

static void
sotto_window_load_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(SottoWindow) self = user_data;
  g_autoptr(SottoMessenger) messenger = NULL;
  g_autoptr(GError) error = NULL;

  messenger = sotto_messenger_load_finish (result, &error);

  if (messenger != NULL)
    sotto_window_show_chats (self, messenger);
  else if (g_error_matches (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_FOUND))
    sotto_window_show_welcome (self);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    sotto_window_show_error (self, error);
}

static void
sotto_window_open_store_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(SottoWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  self->store = sotto_store_open_finish (result, &error);

  if (self->store != NULL)
    {
      /* The passphrase has done its job; keep it out of the widgets. */
      gtk_editable_set_text (GTK_EDITABLE (self->passphrase_row), "");
      gtk_editable_set_text (GTK_EDITABLE (self->passphrase_confirm_row), "");
      sotto_messenger_load_async (self->store, self->cancellable, sotto_window_load_cb, g_object_ref (self));
    }
  else if (g_error_matches (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_PASSPHRASE_REQUIRED))
    sotto_window_show_passphrase (self, NULL);
  else if (g_error_matches (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_WRONG_PASSPHRASE))
    sotto_window_show_passphrase (self, _("That passphrase does not unlock your messages."));
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    sotto_window_show_error (self, error);
}

static void
sotto_window_open_store (SottoWindow *self,
                         const char  *passphrase)
{
  GFile *profile = sotto_application_get_profile (sotto_window_get_application (self));

  sotto_window_show_loading (self, _("Opening your messages…"));
  sotto_store_open_async (profile, passphrase, self->cancellable,
                          sotto_window_open_store_cb, g_object_ref (self));
}

/* Onboarding */

/* How long the user stops typing before a username is checked: an error
 * while the first characters are typed would only get in the way. */
#define USERNAME_CHECK_DELAY_MS 800

static void
sotto_window_show_welcome_error (SottoWindow *self,
                                 const char  *message)
{
  gtk_label_set_label (self->welcome_error, message != NULL ? message : "");
}

/* Says what is wrong with the username, if anything. */
static gboolean
sotto_window_check_username (SottoWindow *self)
{
  const char *username = gtk_editable_get_text (GTK_EDITABLE (self->username_row));

  if (sotto_messenger_username_is_valid (username))
    return TRUE;

  sotto_window_show_welcome_error (self, _("Usernames have 3 to 32 characters: lowercase letters, "
                                           "digits, dots and underscores."));
  return FALSE;
}

static gboolean
sotto_window_username_paused_cb (gpointer user_data)
{
  SottoWindow *self = user_data;

  self->username_check_source = 0;
  if (gtk_editable_get_text (GTK_EDITABLE (self->username_row))[0] != '\0')
    sotto_window_check_username (self);

  return G_SOURCE_REMOVE;
}

static void
welcome_changed_cb (SottoWindow *self)
{
  const char *username = gtk_editable_get_text (GTK_EDITABLE (self->username_row));
  const char *relay = gtk_editable_get_text (GTK_EDITABLE (self->relay_row));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.register",
                                 username[0] != '\0' && relay[0] != '\0');

  sotto_window_show_welcome_error (self, NULL);
  g_clear_handle_id (&self->username_check_source, g_source_remove);
  self->username_check_source = g_timeout_add (USERNAME_CHECK_DELAY_MS,
                                               sotto_window_username_paused_cb, self);
}

static void
welcome_activated_cb (SottoWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.register", NULL);
}

static void
sotto_window_register_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(SottoWindow) self = user_data;
  g_autoptr(SottoMessenger) messenger = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *relay = NULL;
  g_autofree char *message = NULL;

  messenger = sotto_messenger_register_finish (result, &error);

  if (messenger != NULL)
    {
      /* The token has done its job; keep it out of the widgets. */
      gtk_editable_set_text (GTK_EDITABLE (self->token_row), "");
      sotto_window_show_chats (self, messenger);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  relay = sotto_relay_address_complete (gtk_editable_get_text (GTK_EDITABLE (self->relay_row)));
  message = sotto_error_text_describe (error, relay, gtk_editable_get_text (GTK_EDITABLE (self->username_row)));
  sotto_window_show_welcome_error (self, message);
  gtk_stack_set_visible_child_name (self->main_stack, "welcome");
}

static void
sotto_window_register (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  SottoWindow *self = SOTTO_WINDOW (widget);
  const char *username = gtk_editable_get_text (GTK_EDITABLE (self->username_row));
  g_autofree char *relay = sotto_relay_address_complete (gtk_editable_get_text (GTK_EDITABLE (self->relay_row)));
  g_autofree char *doing = NULL;
  const char *token = gtk_editable_get_text (GTK_EDITABLE (self->token_row));

  g_clear_handle_id (&self->username_check_source, g_source_remove);
  if (!sotto_window_check_username (self) || self->store == NULL)
    return;

  doing = g_strdup_printf (_("Creating the account %s on %s…"), username, relay);
  sotto_window_show_loading (self, doing);
  sotto_messenger_register_async (self->store, relay, username, token[0] != '\0' ? token : NULL, self->relay_ca,
                                  self->cancellable, sotto_window_register_cb, g_object_ref (self));
}

/* A CA bundle as big as a whole system store is a few hundred KiB;
 * anything far beyond that is not a CA file, and would only be kept in
 * the profile for nothing. */
#define RELAY_CA_MAX_BYTES (1024 * 1024)

static void
sotto_window_show_relay_ca (SottoWindow *self,
                            const char  *file_name)
{
  adw_action_row_set_subtitle (self->relay_ca_row, file_name != NULL ? file_name : "");
  gtk_widget_set_visible (GTK_WIDGET (self->relay_ca_clear_button), file_name != NULL);
}

/* Keeps the certificates in the file at @parameter's path for the next
 * registration; the engine says whether they are certificates, since it
 * is the one that parses them. */
static void
sotto_window_set_relay_ca (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  SottoWindow *self = SOTTO_WINDOW (widget);
  const char *path = g_variant_get_string (parameter, NULL);
  g_autofree char *display_name = g_filename_display_basename (path);
  g_autofree char *contents = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, &error))
    message = g_strdup_printf (_("Cannot read the certificate authority: %s"), error->message);
  else if (length > RELAY_CA_MAX_BYTES)
    message = g_strdup_printf (_("The certificate authority %s is too big to be one."), display_name);

  if (message != NULL)
    {
      sotto_window_show_welcome_error (self, message);
      return;
    }

  g_free (self->relay_ca);
  self->relay_ca = g_steal_pointer (&contents);
  sotto_window_show_relay_ca (self, display_name);
  sotto_window_show_welcome_error (self, NULL);
}

static void
sotto_window_clear_relay_ca (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  SottoWindow *self = SOTTO_WINDOW (widget);

  g_clear_pointer (&self->relay_ca, g_free);
  sotto_window_show_relay_ca (self, NULL);
}

static void
sotto_window_relay_ca_chosen_cb (GtkNativeDialog *dialog,
                                 int              response,
                                 SottoWindow     *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  if (file != NULL)
    path = g_file_get_path (file);
  if (path != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.set-relay-ca", "s", path);

  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
sotto_window_choose_relay_ca (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  SottoWindow *self = SOTTO_WINDOW (widget);
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) certificates = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all_files = gtk_file_filter_new ();

  chooser = gtk_file_chooser_native_new (_("Choose the Relay’s Certificate Authority"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Choose"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);

  gtk_file_filter_set_name (certificates, _("PEM Certificates"));
  gtk_file_filter_add_pattern (certificates, "*.pem");
  gtk_file_filter_add_pattern (certificates, "*.crt");
  gtk_file_filter_add_mime_type (certificates, "application/x-x509-ca-cert");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), certificates);
  gtk_file_filter_set_name (all_files, _("All Files"));
  gtk_file_filter_add_pattern (all_files, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), all_files);

  g_signal_connect_object (chooser, "response", G_CALLBACK (sotto_window_relay_ca_chosen_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
passphrase_changed_cb (SottoWindow *self)
{
  const char *passphrase = gtk_editable_get_text (GTK_EDITABLE (self->passphrase_row));
  const char *confirmation = gtk_editable_get_text (GTK_EDITABLE (self->passphrase_confirm_row));
  gboolean ready = passphrase[0] != '\0';

  if (self->creating_passphrase)
    ready = ready && g_str_equal (passphrase, confirmation);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.unlock", ready);
}

static void
passphrase_activated_cb (SottoWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.unlock", NULL);
}

static void
sotto_window_unlock (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  SottoWindow *self = SOTTO_WINDOW (widget);

  sotto_window_open_store (self, gtk_editable_get_text (GTK_EDITABLE (self->passphrase_row)));
}

/* Actions of the chats page */

static void
sotto_window_send_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(SottoWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (sotto_messenger_send_finish (SOTTO_MESSENGER (object), result, NULL, &error))
    return;

  /* A queued message is kept and sent when the relay is back: the state
   * icon in the bubble says so, no need for more. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || g_error_matches (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_QUEUED))
    return;

  sotto_window_toast (self, error->message);
}

static void
sotto_window_send_message (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  SottoWindow *self = SOTTO_WINDOW (widget);
  SottoConversation *conversation = sotto_window_get_conversation (self);

  if (conversation == NULL || self->messenger == NULL)
    return;

  sotto_messenger_send_async (self->messenger, conversation,
                              g_variant_get_string (parameter, NULL),
                              self->cancellable, sotto_window_send_cb, g_object_ref (self));
}

static void
sotto_window_open_conversation_cb (GObject      *object,
                                   GAsyncResult *result,
                                   gpointer      user_data)
{
  g_autoptr(SottoWindow) self = user_data;
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  AdwMessageDialog *dialog = self->new_conversation_dialog;

  conversation = sotto_messenger_open_conversation_finish (SOTTO_MESSENGER (object), result, &error);

  if (conversation != NULL)
    {
      if (dialog != NULL)
        gtk_window_destroy (GTK_WINDOW (dialog));
      sotto_window_select_conversation (self, conversation);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  message = sotto_error_text_describe (error,
                                       sotto_account_get_relay_url (sotto_messenger_get_account (self->messenger)),
                                       self->looked_up_username);

  /* The dialog stays, with what the user typed, to be corrected. */
  if (dialog != NULL)
    {
      adw_message_dialog_set_body (dialog, message);
      adw_message_dialog_set_response_enabled (dialog, "start", TRUE);
      gtk_widget_grab_focus (adw_message_dialog_get_extra_child (dialog));
    }
  else
    sotto_window_toast (self, message);
}

static void
sotto_window_new_conversation_response_cb (SottoWindow      *self,
                                           const char       *response,
                                           AdwMessageDialog *dialog)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_autofree char *username = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  g_autofree char *looking = NULL;

  if (!g_str_equal (response, "start"))
    {
      gtk_window_destroy (GTK_WINDOW (dialog));
      return;
    }

  if (username[0] == '\0')
    return;

  looking = g_strdup_printf (_("Looking for “%s”…"), username);
  adw_message_dialog_set_body (dialog, looking);
  adw_message_dialog_set_response_enabled (dialog, "start", FALSE);

  g_free (self->looked_up_username);
  self->looked_up_username = g_steal_pointer (&username);
  sotto_messenger_open_conversation_async (self->messenger, self->looked_up_username, self->cancellable,
                                           sotto_window_open_conversation_cb, g_object_ref (self));
}

/* A message dialog closes itself on every response; this one stays open
 * while the username is looked up and when nobody has it, and is
 * destroyed by the response handler instead.  Connected after the
 * dialog's own handler, which turns Escape into the "cancel" response. */
static gboolean
sotto_window_new_conversation_close_request_cb (SottoWindow *self)
{
  return TRUE;
}

static void
sotto_window_new_conversation_entry_activate_cb (GtkEntry         *entry,
                                                 AdwMessageDialog *dialog)
{
  if (adw_message_dialog_get_response_enabled (dialog, "start"))
    adw_message_dialog_response (dialog, "start");
}

static void
sotto_window_new_conversation (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  SottoWindow *self = SOTTO_WINDOW (widget);
  AdwMessageDialog *dialog;
  GtkWidget *entry;

  if (self->messenger == NULL)
    return;

  if (self->new_conversation_dialog != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->new_conversation_dialog));
      return;
    }

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("New Conversation"),
                                                       _("Enter the username of the person you want to write to.")));
  entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Username"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Username"),
                                  -1);
  g_signal_connect (entry, "activate", G_CALLBACK (sotto_window_new_conversation_entry_activate_cb), dialog);
  adw_message_dialog_set_extra_child (dialog, entry);

  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "start", _("_Start"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "start", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "start");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response",
                           G_CALLBACK (sotto_window_new_conversation_response_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (dialog, "close-request",
                           G_CALLBACK (sotto_window_new_conversation_close_request_cb),
                           self, G_CONNECT_SWAPPED | G_CONNECT_AFTER);

  self->new_conversation_dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->new_conversation_dialog);

  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static void
sotto_window_search (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  SottoWindow *self = SOTTO_WINDOW (widget);

  if (self->messenger == NULL)
    return;

  adw_leaflet_set_visible_child (self->leaflet, gtk_widget_get_parent (GTK_WIDGET (self->sidebar_stack)));
  gtk_toggle_button_set_active (self->search_button, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
sotto_window_show_sidebar (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  SottoWindow *self = SOTTO_WINDOW (widget);

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* GObject */

/* A closed window leaves its application before the callbacks of what it
 * started (which hold it alive) return: they are cancelled then, so that
 * none of them shows anything in a window that is gone.  (GTK 4.8 does
 * not notify the window's application property when it is destroyed.) */
static void
sotto_window_removed_cb (SottoWindow *self,
                         GtkWindow   *window)
{
  if (window == GTK_WINDOW (self))
    g_cancellable_cancel (self->cancellable);
}

/* Runs once the window belongs to the application, whose profile it
 * opens; the "application" property is set only after construction. */
static void
sotto_window_start (SottoWindow *self)
{
  /* The window remembers its size between runs; binding the properties
   * keeps the settings current without a save step on close.  A window
   * must stay usable even where the keys are locked down, hence
   * NO_SENSITIVITY. */
  self->settings = g_object_ref (sotto_application_get_settings (sotto_window_get_application (self)));
  g_settings_bind (self->settings, "window-width", self, "default-width",
                   G_SETTINGS_BIND_DEFAULT | G_SETTINGS_BIND_NO_SENSITIVITY);
  g_settings_bind (self->settings, "window-height", self, "default-height",
                   G_SETTINGS_BIND_DEFAULT | G_SETTINGS_BIND_NO_SENSITIVITY);
  g_settings_bind (self->settings, "window-maximized", self, "maximized",
                   G_SETTINGS_BIND_DEFAULT | G_SETTINGS_BIND_NO_SENSITIVITY);

  g_signal_connect_object (sotto_window_get_application (self), "window-removed",
                           G_CALLBACK (sotto_window_removed_cb), self, G_CONNECT_SWAPPED);

  sotto_window_open_store (self, NULL);
}

static void
sotto_window_dispose (GObject *object)
{
  SottoWindow *self = (SottoWindow *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->username_check_source, g_source_remove);

  if (self->messenger != NULL)
    sotto_messenger_stop (self->messenger);

  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_WINDOW);

  g_clear_object (&self->messenger);
  g_clear_object (&self->store);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_pointer (&self->query_folded, g_free);
  g_clear_pointer (&self->looked_up_username, g_free);
  g_clear_pointer (&self->relay_ca, g_free);
  g_clear_weak_pointer (&self->new_conversation_dialog);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (sotto_window_parent_class)->dispose (object);
}

static void
sotto_window_class_init (SottoWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_window_dispose;

  g_type_ensure (SOTTO_TYPE_CONVERSATION_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, loading_label);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, passphrase_page);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, passphrase_row);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, passphrase_confirm_row);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, passphrase_error);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, passphrase_button);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, username_row);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, relay_row);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, token_row);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, relay_ca_row);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, relay_ca_clear_button);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, welcome_error);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, sidebar_title);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, conversation_list);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, SottoWindow, conversation_view);
  gtk_widget_class_bind_template_callback (widget_class, conversation_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, welcome_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, welcome_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, passphrase_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, passphrase_activated_cb);

  gtk_widget_class_install_action (widget_class, "win.register", NULL, sotto_window_register);
  gtk_widget_class_install_action (widget_class, "win.choose-relay-ca", NULL, sotto_window_choose_relay_ca);
  gtk_widget_class_install_action (widget_class, "win.set-relay-ca", "s", sotto_window_set_relay_ca);
  gtk_widget_class_install_action (widget_class, "win.clear-relay-ca", NULL, sotto_window_clear_relay_ca);
  gtk_widget_class_install_action (widget_class, "win.unlock", NULL, sotto_window_unlock);
  gtk_widget_class_install_action (widget_class, "win.send-message", "s", sotto_window_send_message);
  gtk_widget_class_install_action (widget_class, "win.new-conversation", NULL, sotto_window_new_conversation);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, sotto_window_search);
  gtk_widget_class_install_action (widget_class, "win.show-sidebar", NULL, sotto_window_show_sidebar);
}

static void
sotto_window_init (SottoWindow *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  if (g_strcmp0 (PROFILE, "development") == 0)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");

  self->filter = gtk_custom_filter_new (sotto_window_filter_conversation, self, NULL);
  self->filtered = gtk_filter_list_model_new (NULL, g_object_ref (GTK_FILTER (self->filter)));

  g_signal_connect (factory, "setup", G_CALLBACK (sotto_window_setup_row_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (sotto_window_bind_row_cb), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (sotto_window_unbind_row_cb), NULL);
  gtk_list_view_set_factory (self->conversation_list, factory);

  g_signal_connect_swapped (self, "notify::is-active", G_CALLBACK (sotto_window_mark_shown_read), self);
  g_signal_connect_object (self->leaflet, "notify::visible-child",
                           G_CALLBACK (sotto_window_mark_shown_read), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->leaflet, "notify::visible-child",
                           G_CALLBACK (sotto_window_sync_selection), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->conversation_view, "notify::at-end",
                           G_CALLBACK (sotto_window_mark_shown_read), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->leaflet, "notify::folded",
                           G_CALLBACK (sotto_window_sync_selection), self, G_CONNECT_SWAPPED);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.register", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.unlock", FALSE);
}

SottoWindow *
sotto_window_new (SottoApplication *application)
{
  SottoWindow *self;

  g_return_val_if_fail (SOTTO_IS_APPLICATION (application), NULL);

  self = g_object_new (SOTTO_TYPE_WINDOW,
                       "application", application,
                       NULL);
  sotto_window_start (self);

  return self;
}

SottoMessenger *
sotto_window_get_messenger (SottoWindow *self)
{
  g_return_val_if_fail (SOTTO_IS_WINDOW (self), NULL);

  return self->messenger;
}

/**
 * sotto_window_open_conversation:
 * @self: a #SottoWindow
 * @uuid: the contact's account UUID
 *
 * Shows the conversation with the contact, as a notification asks.
 *
 * Returns: whether there is such a conversation
 */
gboolean
sotto_window_open_conversation (SottoWindow *self,
                                const char  *uuid)
{
  SottoConversation *conversation;

  g_return_val_if_fail (SOTTO_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (uuid != NULL, FALSE);

  if (self->messenger == NULL)
    return FALSE;

  conversation = sotto_conversation_list_find_by_uuid (sotto_messenger_get_conversations (self->messenger), uuid);
  if (conversation == NULL)
    return FALSE;

  sotto_window_select_conversation (self, conversation);
  return TRUE;
}
