/* sotto-chats-page.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-chats-page"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-accessible.h"
#include "sotto-account.h"
#include "sotto-auto-download.h"
#include "sotto-chat-list.h"
#include "sotto-chats-page.h"
#include "sotto-contact-label.h"
#include "sotto-contact.h"
#include "sotto-conversation-list.h"
#include "sotto-conversation-row.h"
#include "sotto-conversation-view.h"
#include "sotto-error-text.h"
#include "sotto-group-row.h"
#include "sotto-group-view.h"
#include "sotto-message-notifier.h"
#include "sotto-message.h"
#include "sotto-new-conversation-dialog.h"
#include "sotto-new-group-dialog.h"
#include "sotto-search-results.h"

/* The page of a registered account: the conversation list beside the
 * open conversation, and what comes with them (search, notifications,
 * new conversations).  It shows the session's messenger once there is
 * one, and marks read what the user has seen. */

struct _SottoChatsPage
{
  GtkWidget parent_instance;

  SottoSession *session;
  GSignalGroup *session_signals;
  GSettings *settings;
  SottoMessageNotifier *notifier;
  SottoMessenger *messenger;  /* the session's, once it has one */
  GCancellable *cancellable;
  SottoChatList *chats;  /* 1:1 and group conversations, the messenger's */
  GtkCustomFilter *filter;
  /* The 1:1 conversation the user left last, whose draft, stored on
   * its way out, keeps it in the list. */
  GSignalGroup *left_signals;
  char            *query_folded;  /* the search, casefolded once per change */
  GtkFilterListModel *filtered;
  SottoNewConversationDialog *new_conversation_dialog;  /* weak */
  char *looked_up_username;

  GtkWidget *content;  /* bound, so that disposing the template unparents it */
  GtkRevealer *offline_banner;
  GtkLabel *offline_label;
  AdwLeaflet *leaflet;
  AdwWindowTitle *sidebar_title;
  GtkMenuButton *menu_button;
  GtkToggleButton *search_button;
  GtkSearchEntry *search_entry;
  GtkStack *sidebar_stack;
  GtkScrolledWindow *conversation_scroller;
  GtkListView *conversation_list;
  SottoSearchResults *search_results;
  GtkStack *content_stack;
  SottoConversationView *conversation_view;
  SottoGroupView *group_view;
};

enum {
  PROP_0,
  PROP_SESSION,
  PROP_SETTINGS,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoChatsPage, sotto_chats_page, GTK_TYPE_WIDGET)

static GParamSpec *properties [N_PROPS];

static void
sotto_chats_page_toast (SottoChatsPage *self,
                        const char     *message)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (message));
  /* Screen readers do not read toasts: they hear the message too. */
  sotto_accessible_announce (GTK_WIDGET (self), message);
}

/* Conversations and their messages */

static SottoConversation *
sotto_chats_page_get_conversation (SottoChatsPage *self)
{
  return sotto_conversation_view_get_conversation (self->conversation_view);
}

/* The conversation or group on screen, if any. */
static gpointer
sotto_chats_page_get_open_item (SottoChatsPage *self)
{
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->content_stack), "group") == 0)
    return sotto_group_view_get_group (self->group_view);

  return sotto_chats_page_get_conversation (self);
}

static void
sotto_chats_page_mark_read_cb (GObject      *object,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!sotto_messenger_mark_read_finish (SOTTO_MESSENGER (object), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Could not mark messages read: %s", error->message);
}

static gboolean
sotto_chats_page_shows_only_sidebar (SottoChatsPage *self)
{
  return adw_leaflet_get_folded (self->leaflet)
         && adw_leaflet_get_visible_child (self->leaflet) != GTK_WIDGET (self->content_stack);
}

/* What the user saw is read, and only that: the view reports the
 * messages whose rows were in sight while the window was active, so that
 * no read receipt goes out for a message further down the timeline or
 * one that arrived behind another window.  Their notification has done
 * its work. */
static void
sotto_chats_page_messages_seen_cb (SottoChatsPage *self,
                                   GStrv           ids)
{
  SottoConversation *conversation = sotto_chats_page_get_conversation (self);

  if (conversation == NULL || self->messenger == NULL)
    return;

  sotto_message_notifier_withdraw (self->notifier, conversation);

  sotto_messenger_mark_messages_read_async (self->messenger, conversation, (const char * const *) ids,
                                            self->cancellable, sotto_chats_page_mark_read_cb, NULL);
}

/* A 1:1 conversation is listed once something was said in it or a
 * draft waits there, and while it is open.  The engine makes one for
 * everybody the account meets, for their contact and their session:
 * adding someone to a group, or reading them there, is nothing to list
 * until the two of them talk. */
static gboolean
sotto_chats_page_is_listed (SottoChatsPage    *self,
                            SottoConversation *conversation)
{
  const char *draft = sotto_conversation_get_draft (conversation);

  return g_list_model_get_n_items (sotto_conversation_get_messages (conversation)) > 0
         || (draft != NULL && draft[0] != '\0')
         || conversation == sotto_chats_page_get_conversation (self);
}

static void
sotto_chats_page_refilter (SottoChatsPage *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

/* Where @open (a conversation or a group) is in the list as it is
 * shown (searched). */
static guint
sotto_chats_page_list_position (SottoChatsPage *self,
                                gpointer        open)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (self->filtered), i);

      if (item == open)
        return i;
    }

  return GTK_INVALID_LIST_POSITION;
}

/* The highlighted row is the open conversation's, however it was opened
 * (a click, a notification, the new-conversation dialog) and wherever
 * the list moves it.  A narrow window showing only the list leaves the
 * highlight to the user, who moves it with the arrow keys. */
static void
sotto_chats_page_sync_selection (SottoChatsPage *self)
{
  GtkSingleSelection *selection = GTK_SINGLE_SELECTION (gtk_list_view_get_model (self->conversation_list));
  gpointer open = sotto_chats_page_get_open_item (self);
  guint position = GTK_INVALID_LIST_POSITION;

  if (selection == NULL || sotto_chats_page_shows_only_sidebar (self))
    return;

  if (open != NULL)
    position = sotto_chats_page_list_position (self, open);

  if (gtk_single_selection_get_selected (selection) != position)
    gtk_single_selection_set_selected (selection, position);
}

static void
sotto_chats_page_select_conversation (SottoChatsPage    *self,
                                      SottoConversation *conversation)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  SottoConversation *left = sotto_chats_page_get_conversation (self);

  if (left != conversation)
    g_signal_group_set_target (self->left_signals, left);
  sotto_conversation_view_set_conversation (self->conversation_view, conversation);
  /* The conversation left may go from the list, the one opened come. */
  sotto_chats_page_refilter (self);
  /* Screen readers and window switchers say which conversation is open. */
  if (GTK_IS_WINDOW (root))
    gtk_window_set_title (GTK_WINDOW (root), sotto_contact_get_name (sotto_conversation_get_contact (conversation)));
  gtk_stack_set_visible_child_name (self->content_stack, "conversation");
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->content_stack));
  /* Whoever opens a conversation is about to write in it. */
  sotto_conversation_view_focus_composer (self->conversation_view);
  sotto_chats_page_sync_selection (self);
}

static void
sotto_chats_page_select_group (SottoChatsPage *self,
                               SottoGroup     *group)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  sotto_group_view_set_group (self->group_view, sotto_messenger_get_groups (self->messenger), group);
  if (GTK_IS_WINDOW (root))
    gtk_window_set_title (GTK_WINDOW (root), sotto_group_get_title (group));
  gtk_stack_set_visible_child_name (self->content_stack, "group");
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->content_stack));
  sotto_group_view_focus_composer (self->group_view);
  sotto_chats_page_sync_selection (self);
}

/* Opens @item, a conversation or a group. */
static void
sotto_chats_page_select_item (SottoChatsPage *self,
                              gpointer        item)
{
  if (SOTTO_IS_GROUP (item))
    sotto_chats_page_select_group (self, item);
  else
    sotto_chats_page_select_conversation (self, item);
}

/* Beside the open conversation, selecting a row, with the pointer or
 * the arrow keys, opens it.  A narrow window shows the list alone, and
 * opening a row takes the list away: there the arrow keys only move the
 * selection, and a click or Enter (the list's activation) opens it. */
static void
sotto_chats_page_selection_changed_cb (SottoChatsPage     *self,
                                       GParamSpec         *pspec,
                                       GtkSingleSelection *selection)
{
  gpointer selected = gtk_single_selection_get_selected_item (selection);

  if (selected != NULL && !adw_leaflet_get_folded (self->leaflet)
      && selected != sotto_chats_page_get_open_item (self))
    sotto_chats_page_select_item (self, selected);
}

/* Opens the conversation at @position in the list, if there is one. */
static void
sotto_chats_page_select_position (SottoChatsPage *self,
                                  guint           position)
{
  g_autoptr(GObject) item = g_list_model_get_item (G_LIST_MODEL (self->filtered), position);

  if (item != NULL)
    sotto_chats_page_select_item (self, item);
}

static void
conversation_activated_cb (SottoChatsPage *self,
                           guint           position)
{
  sotto_chats_page_select_position (self, position);
}

/* Ctrl+Page Up and Ctrl+Page Down: the conversation above or below the
 * open one in the list, or the first when none is open. */
static void
sotto_chats_page_step_conversation (SottoChatsPage *self,
                                    int             step)
{
  gpointer open = sotto_chats_page_get_open_item (self);
  guint position = open != NULL ? sotto_chats_page_list_position (self, open) : GTK_INVALID_LIST_POSITION;

  if (position == GTK_INVALID_LIST_POSITION)
    sotto_chats_page_select_position (self, 0);
  else if (step > 0 || position > 0)
    sotto_chats_page_select_position (self, position + step);
}

static void
sotto_chats_page_previous_conversation (GtkWidget  *widget,
                                        const char *action_name,
                                        GVariant   *parameter)
{
  sotto_chats_page_step_conversation (SOTTO_CHATS_PAGE (widget), -1);
}

static void
sotto_chats_page_next_conversation (GtkWidget  *widget,
                                    const char *action_name,
                                    GVariant   *parameter)
{
  sotto_chats_page_step_conversation (SOTTO_CHATS_PAGE (widget), 1);
}

/* Alt+1 to Alt+9: the conversation at that place in the list. */
static void
sotto_chats_page_conversation_at (GtkWidget  *widget,
                                  const char *action_name,
                                  GVariant   *parameter)
{
  int number = g_variant_get_int32 (parameter);

  if (number >= 1)
    sotto_chats_page_select_position (SOTTO_CHATS_PAGE (widget), number - 1);
}

static gboolean
sotto_chats_page_filter_conversation (gpointer item,
                                      gpointer user_data)
{
  SottoChatsPage *self = user_data;
  SottoContact *contact;
  const char *username;
  g_autofree char *name_folded = NULL;
  g_autofree char *username_folded = NULL;

  if (SOTTO_IS_CONVERSATION (item) && !sotto_chats_page_is_listed (self, item))
    return FALSE;

  if (self->query_folded == NULL || self->query_folded[0] == '\0')
    return TRUE;

  if (SOTTO_IS_GROUP (item))
    {
      g_autofree char *title_folded = g_utf8_casefold (sotto_group_get_title (item), -1);

      return strstr (title_folded, self->query_folded) != NULL;
    }

  contact = sotto_conversation_get_contact (item);
  username = sotto_contact_get_username (contact);

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
sotto_chats_page_update_sidebar (SottoChatsPage *self)
{
  GListModel *all = sotto_messenger_get_conversations (self->messenger) != NULL
                    ? G_LIST_MODEL (sotto_messenger_get_conversations (self->messenger)) : NULL;
  const char *page = "list";
  guint n_matches = sotto_search_results_get_n_matches (self->search_results);
  guint n_listed = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  gboolean searching = self->query_folded != NULL && self->query_folded[0] != '\0';

  /* Conversations in which nothing was said yet are not listed, and a
   * list of none of them is empty. */
  if (all == NULL || (n_listed == 0 && !searching))
    page = "empty";
  else if (n_listed == 0 && n_matches == 0)
    page = "no-results";

  /* Messages found start right below the conversations found, which
   * then take only the room their rows need (and none when there are
   * none: no empty stop for Tab either). */
  gtk_widget_set_visible (GTK_WIDGET (self->search_results), n_matches > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->conversation_scroller),
                          n_matches == 0 || g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) > 0);
  gtk_widget_set_vexpand (GTK_WIDGET (self->conversation_scroller), n_matches == 0);
  gtk_scrolled_window_set_propagate_natural_height (self->conversation_scroller, n_matches > 0);
  gtk_stack_set_visible_child_name (self->sidebar_stack, page);
}

static void
search_changed_cb (SottoChatsPage *self)
{
  g_free (self->query_folded);
  self->query_folded = g_utf8_casefold (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)), -1);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  sotto_search_results_set_query (self->search_results, gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  sotto_chats_page_update_sidebar (self);
}

/* Enter in the search entry opens the first match. */
static void
search_activated_cb (SottoChatsPage *self)
{
  sotto_chats_page_select_position (self, 0);
}

/* A message found by its text: its conversation or group opens on it. */
static void
match_activated_cb (SottoChatsPage    *self,
                    SottoMessageMatch *match)
{
  SottoConversation *conversation = sotto_message_match_get_conversation (match);
  SottoGroup *group = sotto_message_match_get_group (match);

  if (group != NULL)
    {
      sotto_chats_page_select_group (self, group);
      sotto_group_view_show_message (self->group_view, sotto_message_match_get_author (match),
                                     sotto_message_match_get_message_id (match),
                                     sotto_message_match_get_position (match));
      return;
    }

  sotto_chats_page_select_conversation (self, conversation);
  /* Unless a deletion took it away since. */
  if (sotto_message_match_get_position (match)
      < g_list_model_get_n_items (sotto_conversation_get_messages (conversation)))
    sotto_conversation_view_show_message (self->conversation_view, sotto_message_match_get_position (match));
}

/* A list item shows a conversation's row or a group's, and a recycled
 * one changes its row when it changes between them. */
static void
sotto_chats_page_bind_row_cb (GtkSignalListItemFactory *factory,
                              GtkListItem              *item,
                              gpointer                  user_data)
{
  gpointer chat = gtk_list_item_get_item (item);
  GtkWidget *row = gtk_list_item_get_child (item);

  if (SOTTO_IS_GROUP (chat))
    {
      if (!SOTTO_IS_GROUP_ROW (row))
        gtk_list_item_set_child (item, row = sotto_group_row_new ());
      sotto_group_row_set_group (SOTTO_GROUP_ROW (row), chat);
      return;
    }

  if (!SOTTO_IS_CONVERSATION_ROW (row))
    gtk_list_item_set_child (item, row = sotto_conversation_row_new ());
  sotto_conversation_row_set_conversation (SOTTO_CONVERSATION_ROW (row), chat);
}

static void
sotto_chats_page_unbind_row_cb (GtkSignalListItemFactory *factory,
                                GtkListItem              *item,
                                gpointer                  user_data)
{
  GtkWidget *row = gtk_list_item_get_child (item);

  if (SOTTO_IS_GROUP_ROW (row))
    sotto_group_row_set_group (SOTTO_GROUP_ROW (row), NULL);
  else
    sotto_conversation_row_set_conversation (SOTTO_CONVERSATION_ROW (row), NULL);
}

static void
sotto_chats_page_message_received_cb (SottoChatsPage    *self,
                                      SottoConversation *conversation,
                                      SottoMessage      *message,
                                      SottoMessenger    *messenger)
{
  /* A first message lists its conversation, which may have been there,
   * empty, at the same place in the list. */
  if (g_list_model_get_n_items (sotto_conversation_get_messages (conversation)) == 1)
    sotto_chats_page_refilter (self);

  sotto_message_notifier_tell_message (self->notifier, conversation, message);
}

/* A change in the conversation on screen is told by its banner and its
 * timeline; a toast is for a conversation the user does not see. */
static void
sotto_chats_page_identity_changed_cb (SottoChatsPage    *self,
                                      SottoConversation *conversation,
                                      SottoMessenger    *messenger)
{
  g_autofree char *message = NULL;

  if (conversation == sotto_chats_page_get_conversation (self)
      && g_strcmp0 (gtk_stack_get_visible_child_name (self->content_stack), "conversation") == 0
      && !sotto_chats_page_shows_only_sidebar (self))
    return;

  message = g_strdup_printf (_("Your safety number with %s changed"),
                             sotto_contact_get_name (sotto_conversation_get_contact (conversation)));
  sotto_chats_page_toast (self, message);
}

/* A block is one click on a message request: the toast that says it
 * happened offers to take it back. */
static void
sotto_chats_page_toast_blocked (SottoChatsPage *self,
                                SottoContact   *contact)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  g_autofree char *message = g_strdup_printf (_("%s is blocked"), sotto_contact_get_name (contact));
  AdwToast *toast;

  sotto_accessible_announce (GTK_WIDGET (self), message);
  if (overlay == NULL)
    return;

  toast = adw_toast_new (message);
  adw_toast_set_button_label (toast, _("_Undo"));
  adw_toast_set_action_name (toast, "win.undo-block");
  adw_toast_set_action_target_value (toast, g_variant_new_string (sotto_contact_get_uuid (contact)));
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
}

/* A deleted request or a blocked contact is not shown any longer. */
static void
sotto_chats_page_conversation_removed_cb (SottoChatsPage    *self,
                                          SottoConversation *conversation,
                                          SottoMessenger    *messenger)
{
  SottoContact *contact = sotto_conversation_get_contact (conversation);

  if (sotto_contact_get_standing (contact) == SOTTO_CONTACT_STANDING_BLOCKED)
    sotto_chats_page_toast_blocked (self, contact);

  if (conversation != sotto_chats_page_get_conversation (self))
    return;

  sotto_conversation_view_set_conversation (self->conversation_view, NULL);
  gtk_stack_set_visible_child_name (self->content_stack, "no-selection");
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* A declined group request, or one whose maker the user blocked, is not
 * shown any longer. */
static void
sotto_chats_page_group_removed_cb (SottoChatsPage *self,
                                   SottoGroup     *group,
                                   SottoGroupList *groups)
{
  if (group != sotto_group_view_get_group (self->group_view))
    return;

  sotto_group_view_set_group (self->group_view, groups, NULL);
  gtk_stack_set_visible_child_name (self->content_stack, "no-selection");
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* The relay out of reach is not a passing state to hide: the banner says
 * so, and why, for as long as it lasts, and the messages that wait for
 * it say so too.  The first attempt to connect shows nothing: there is
 * nothing to worry about until it fails. */
static void
sotto_chats_page_update_connection (SottoChatsPage *self)
{
  const GError *error = self->session != NULL ? sotto_session_get_error (self->session) : NULL;
  gboolean offline = self->session != NULL && error != NULL
                     && sotto_session_get_state (self->session) == SOTTO_SESSION_STATE_OFFLINE;

  if (offline)
    {
      /* Translators: the first %s says why Sotto is offline, in a full
       * sentence: “The relay at https://relay.example.org cannot be
       * reached.” or “This computer is not connected to a network.” */
      g_autofree char *reason = sotto_error_text_general (error);
      g_autofree char *text = g_strdup_printf (_("Offline. %s Your messages wait, and go as soon as Sotto reconnects."),
                                               reason);

      gtk_label_set_label (self->offline_label, text);
    }

  gtk_revealer_set_reveal_child (self->offline_banner, offline);
  g_object_set (self->conversation_view, "offline", offline, NULL);
  g_object_set (self->group_view, "offline", offline, NULL);
}

static void
sotto_chats_page_groups_loaded_cb (GObject      *object,
                                   GAsyncResult *result,
                                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!sotto_group_list_load_finish (SOTTO_GROUP_LIST (object), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not read the groups: %s", error->message);
}

/* The session's account arrived: its conversations fill the list. */
static void
sotto_chats_page_messenger_cb (SottoChatsPage *self)
{
  SottoMessenger *messenger = self->session != NULL ? sotto_session_get_messenger (self->session) : NULL;
  g_autoptr(GtkSingleSelection) selection = NULL;

  if (messenger == NULL || messenger == self->messenger)
    return;

  g_set_object (&self->messenger, messenger);
  /* Someone the user never wrote to waits for Accept before hearing
   * anything back. */
  g_object_set (messenger, "message-requests", TRUE, NULL);
  g_settings_bind (self->settings, "send-read-receipts", messenger, "send-read-receipts",
                   G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "typing-indicators", messenger, "typing-indicators",
                   G_SETTINGS_BIND_GET);
  sotto_auto_download_bind (self->settings, messenger);

  /* The groups come in as they are read; what they had waiting for the
   * relay goes out. */
  g_clear_object (&self->chats);
  self->chats = sotto_chat_list_new (sotto_messenger_get_conversations (messenger),
                                     sotto_messenger_get_groups (messenger));
  sotto_group_list_load_async (sotto_messenger_get_groups (messenger), self->cancellable,
                               sotto_chats_page_groups_loaded_cb, NULL);
  gtk_filter_list_model_set_model (self->filtered, G_LIST_MODEL (self->chats));
  sotto_search_results_set_conversations (self->search_results, sotto_messenger_get_conversations (messenger));
  sotto_search_results_set_groups (self->search_results, sotto_messenger_get_groups (messenger));
  selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->filtered)));
  gtk_single_selection_set_autoselect (selection, FALSE);
  gtk_single_selection_set_selected (selection, GTK_INVALID_LIST_POSITION);
  gtk_list_view_set_model (self->conversation_list, GTK_SELECTION_MODEL (selection));
  g_signal_connect_object (selection, "notify::selected",
                           G_CALLBACK (sotto_chats_page_selection_changed_cb), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self->filtered, "items-changed",
                           G_CALLBACK (sotto_chats_page_update_sidebar), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->filtered, "items-changed",
                           G_CALLBACK (sotto_chats_page_sync_selection), self, G_CONNECT_SWAPPED | G_CONNECT_AFTER);
  g_signal_connect_object (messenger, "message-received",
                           G_CALLBACK (sotto_chats_page_message_received_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (sotto_messenger_get_groups (messenger), "event-received",
                           G_CALLBACK (sotto_message_notifier_tell_group_event), self->notifier, G_CONNECT_SWAPPED);
  g_signal_connect_object (messenger, "identity-changed",
                           G_CALLBACK (sotto_chats_page_identity_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (messenger, "conversation-removed",
                           G_CALLBACK (sotto_chats_page_conversation_removed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (sotto_messenger_get_groups (messenger), "group-removed",
                           G_CALLBACK (sotto_chats_page_group_removed_cb), self, G_CONNECT_SWAPPED);

  adw_window_title_set_subtitle (self->sidebar_title,
                                 sotto_account_get_username (sotto_messenger_get_account (messenger)));
  sotto_chats_page_update_sidebar (self);
}

/* Actions of the chats page */

/* The composer drives the typing indicators the contact sees. */
static void
sotto_chats_page_composing_cb (SottoChatsPage    *self,
                               SottoConversation *conversation,
                               gboolean           composing)
{
  if (self->messenger != NULL)
    sotto_messenger_set_composing (self->messenger, conversation, composing);
}

static void
sotto_chats_page_open_conversation_cb (GObject      *object,
                                       GAsyncResult *result,
                                       gpointer      user_data)
{
  g_autoptr(SottoChatsPage) self = user_data;
  g_autoptr(SottoConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  conversation = sotto_messenger_open_conversation_finish (SOTTO_MESSENGER (object), result, &error);
  if (conversation != NULL)
    {
      if (self->new_conversation_dialog != NULL)
        gtk_window_destroy (GTK_WINDOW (self->new_conversation_dialog));
      sotto_chats_page_select_conversation (self, conversation);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  message = sotto_error_text_describe (error,
                                       sotto_account_get_relay_url (sotto_messenger_get_account (self->messenger)),
                                       self->looked_up_username);

  /* The dialog stays, with what the user typed, to be corrected; closed
   * meanwhile, the answer is a toast. */
  if (self->new_conversation_dialog != NULL)
    sotto_new_conversation_dialog_show_error (self->new_conversation_dialog, message);
  else
    sotto_chats_page_toast (self, message);
}

static void
sotto_chats_page_start_conversation_cb (SottoChatsPage *self,
                                        const char     *username)
{
  g_free (self->looked_up_username);
  self->looked_up_username = g_strdup (username);
  sotto_messenger_open_conversation_async (self->messenger, username, self->cancellable,
                                           sotto_chats_page_open_conversation_cb, g_object_ref (self));
}

static void sotto_chats_page_open_new_group (SottoChatsPage *self,
                                             const char     *text);

static void
sotto_chats_page_new_conversation (GtkWidget  *widget,
                                   const char *action_name,
                                   GVariant   *parameter)
{
  SottoChatsPage *self = SOTTO_CHATS_PAGE (widget);
  SottoNewConversationDialog *dialog;

  if (self->messenger == NULL)
    return;

  if (self->new_conversation_dialog != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->new_conversation_dialog));
      return;
    }

  dialog = sotto_new_conversation_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)));
  g_signal_connect_object (dialog, "start", G_CALLBACK (sotto_chats_page_start_conversation_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (dialog, "new-group", G_CALLBACK (sotto_chats_page_open_new_group),
                           self, G_CONNECT_SWAPPED);
  self->new_conversation_dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->new_conversation_dialog);

  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (adw_message_dialog_get_extra_child (ADW_MESSAGE_DIALOG (dialog)));
}

typedef struct
{
  SottoChatsPage *self;
  SottoConversation *conversation;
} UndoBlock;

static void
undo_block_free (UndoBlock *undo)
{
  g_clear_object (&undo->self);
  g_clear_object (&undo->conversation);
  g_free (undo);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (UndoBlock, undo_block_free)

static void
sotto_chats_page_unblocked_cb (GObject      *object,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  g_autoptr(UndoBlock) undo = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *message = NULL;

  if (sotto_messenger_unblock_finish (SOTTO_MESSENGER (object), result, &error))
    {
      sotto_chats_page_select_conversation (undo->self, undo->conversation);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  reason = sotto_error_text_general (error);
  /* Translators: %s says why, in a full sentence of its own */
  message = g_strdup_printf (_("Could not undo the block. %s"), reason);
  sotto_chats_page_toast (undo->self, message);
}

/* Undo on the toast of a block: the contact's request comes back, as it
 * was, still to be accepted or not, and opens again. */
static void
sotto_chats_page_undo_block (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  SottoChatsPage *self = SOTTO_CHATS_PAGE (widget);
  const char *uuid = g_variant_get_string (parameter, NULL);
  g_autoptr(GListModel) blocked = NULL;

  if (self->messenger == NULL)
    return;

  blocked = sotto_messenger_dup_blocked (self->messenger);
  for (guint i = 0; i < g_list_model_get_n_items (blocked); i++)
    {
      g_autoptr(SottoConversation) conversation = g_list_model_get_item (blocked, i);
      UndoBlock *undo;

      if (g_ascii_strcasecmp (sotto_contact_get_uuid (sotto_conversation_get_contact (conversation)), uuid) != 0)
        continue;

      undo = g_new0 (UndoBlock, 1);
      undo->self = g_object_ref (self);
      undo->conversation = g_object_ref (conversation);
      sotto_messenger_unblock_async (self->messenger, conversation, self->cancellable,
                                     sotto_chats_page_unblocked_cb, undo);
      return;
    }
}

static void
sotto_chats_page_search (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  SottoChatsPage *self = SOTTO_CHATS_PAGE (widget);

  if (self->messenger == NULL)
    return;

  adw_leaflet_set_visible_child (self->leaflet, gtk_widget_get_parent (GTK_WIDGET (self->sidebar_stack)));
  gtk_toggle_button_set_active (self->search_button, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
sotto_chats_page_group_created_cb (SottoChatsPage *self,
                                   SottoGroup     *group)
{
  sotto_chats_page_select_group (self, group);
}

/* New Group, with @text (from the New Conversation dialog) searched
 * for among the contacts, or looked up as a username. */
static void
sotto_chats_page_open_new_group (SottoChatsPage *self,
                                 const char     *text)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  SottoNewGroupDialog *dialog;

  if (self->messenger == NULL)
    return;

  dialog = sotto_new_group_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, self->messenger);
  g_signal_connect_object (dialog, "group-created", G_CALLBACK (sotto_chats_page_group_created_cb), self,
                           G_CONNECT_SWAPPED);
  if (text != NULL && text[0] != '\0')
    sotto_new_group_dialog_look_for (dialog, text);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
sotto_chats_page_new_group (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  sotto_chats_page_open_new_group (SOTTO_CHATS_PAGE (widget), NULL);
}

static void
sotto_chats_page_show_sidebar (GtkWidget  *widget,
                               const char *action_name,
                               GVariant   *parameter)
{
  SottoChatsPage *self = SOTTO_CHATS_PAGE (widget);

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/**
 * sotto_chats_page_open_conversation:
 * @self: a #SottoChatsPage
 * @uuid: the contact's account UUID
 *
 * Shows the conversation with the contact, as a notification asks.
 *
 * Returns: whether there is such a conversation
 */
gboolean
sotto_chats_page_open_conversation (SottoChatsPage *self,
                                    const char     *uuid)
{
  SottoConversation *conversation;

  g_return_val_if_fail (SOTTO_IS_CHATS_PAGE (self), FALSE);
  g_return_val_if_fail (uuid != NULL, FALSE);

  if (self->messenger == NULL)
    return FALSE;

  conversation = sotto_conversation_list_find_by_uuid (sotto_messenger_get_conversations (self->messenger), uuid);
  if (conversation == NULL)
    return FALSE;

  sotto_chats_page_select_conversation (self, conversation);
  return TRUE;
}

/**
 * sotto_chats_page_open_group:
 * @self: a #SottoChatsPage
 * @id: the group's id
 *
 * Shows the group's conversation.
 *
 * Returns: whether there is such a group (once the groups are read)
 */
gboolean
sotto_chats_page_open_group (SottoChatsPage *self,
                             const char     *id)
{
  SottoGroup *group;

  g_return_val_if_fail (SOTTO_IS_CHATS_PAGE (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  if (self->messenger == NULL)
    return FALSE;

  group = sotto_group_list_find (sotto_messenger_get_groups (self->messenger), id);
  if (group == NULL)
    return FALSE;

  sotto_chats_page_select_group (self, group);
  return TRUE;
}

/**
 * sotto_chats_page_new:
 * @settings: the profile's settings
 *
 * Returns: (transfer floating): a new #SottoChatsPage
 */
GtkWidget *
sotto_chats_page_new (GSettings *settings)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (SOTTO_TYPE_CHATS_PAGE,
                       "settings", settings,
                       NULL);
}

SottoSession *
sotto_chats_page_get_session (SottoChatsPage *self)
{
  g_return_val_if_fail (SOTTO_IS_CHATS_PAGE (self), NULL);

  return self->session;
}

void
sotto_chats_page_set_session (SottoChatsPage *self,
                              SottoSession   *session)
{
  g_return_if_fail (SOTTO_IS_CHATS_PAGE (self));
  g_return_if_fail (session == NULL || SOTTO_IS_SESSION (session));

  if (!g_set_object (&self->session, session))
    return;

  g_signal_group_set_target (self->session_signals, session);
  sotto_chats_page_messenger_cb (self);
  sotto_chats_page_update_connection (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_SESSION]);
}

/* GObject */

static void
sotto_chats_page_dispose (GObject *object)
{
  SottoChatsPage *self = (SottoChatsPage *) object;

  g_cancellable_cancel (self->cancellable);
  g_signal_group_set_target (self->session_signals, NULL);
  g_clear_object (&self->session);

  gtk_widget_dispose_template (GTK_WIDGET (self), SOTTO_TYPE_CHATS_PAGE);

  g_clear_object (&self->messenger);
  g_clear_object (&self->chats);
  g_clear_object (&self->notifier);
  g_clear_object (&self->settings);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->left_signals);
  g_clear_weak_pointer (&self->new_conversation_dialog);
  g_clear_pointer (&self->looked_up_username, g_free);

  G_OBJECT_CLASS (sotto_chats_page_parent_class)->dispose (object);
}

static void
sotto_chats_page_finalize (GObject *object)
{
  SottoChatsPage *self = (SottoChatsPage *) object;

  g_clear_object (&self->session_signals);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->query_folded, g_free);

  G_OBJECT_CLASS (sotto_chats_page_parent_class)->finalize (object);
}

static void
sotto_chats_page_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  SottoChatsPage *self = SOTTO_CHATS_PAGE (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;

    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_chats_page_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  SottoChatsPage *self = SOTTO_CHATS_PAGE (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      sotto_chats_page_set_session (self, g_value_get_object (value));
      break;

    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      self->notifier = sotto_message_notifier_new (GTK_WIDGET (self), self->settings);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_chats_page_class_init (SottoChatsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sotto_chats_page_dispose;
  object_class->finalize = sotto_chats_page_finalize;
  object_class->get_property = sotto_chats_page_get_property;
  object_class->set_property = sotto_chats_page_set_property;

  /**
   * SottoChatsPage:session:
   *
   * The session whose account the page shows.
   */
  properties [PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL,
                         SOTTO_TYPE_SESSION,
                         (G_PARAM_READWRITE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoChatsPage:settings:
   *
   * The profile's settings: receipts and notifications follow them.
   */
  properties [PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SOTTO_TYPE_CONVERSATION_VIEW);
  g_type_ensure (SOTTO_TYPE_GROUP_VIEW);
  g_type_ensure (SOTTO_TYPE_SEARCH_RESULTS);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/im/sotto/Sotto/sotto-chats-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SottoChatsPage, content);
  gtk_widget_class_bind_template_child (widget_class, SottoChatsPage, offline_banner);
  gtk_widget_class_bind_template_child (widget_class, SottoChatsPage, offline_label);
  gtk_widget_class_bind_template_child (widget_class, SottoChatsPage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, SottoChatsPage, sidebar_title);
  gtk_widget_class_bind_template_child (widget_class, SottoChatsPage, menu_button);
  gtk_widget_class_bind_template_child (widget_class, SottoChatsPage, search_button);
  gtk_widget_class_bind_template_child (widget_class, SottoChatsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, SottoChatsPage, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, SottoChatsPage, conversation_scroller);
  gtk_widget_class_bind_template_child (widget_class, SottoChatsPage, conversation_list);
  gtk_widget_class_bind_template_child (widget_class, SottoChatsPage, search_results);
  gtk_widget_class_bind_template_child (widget_class, SottoChatsPage, content_stack);
  gtk_widget_class_bind_template_child (widget_class, SottoChatsPage, conversation_view);
  gtk_widget_class_bind_template_child (widget_class, SottoChatsPage, group_view);
  gtk_widget_class_bind_template_callback (widget_class, conversation_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, match_activated_cb);

  gtk_widget_class_install_action (widget_class, "chats.new-conversation", NULL, sotto_chats_page_new_conversation);
  gtk_widget_class_install_action (widget_class, "chats.new-group", NULL, sotto_chats_page_new_group);
  gtk_widget_class_install_action (widget_class, "chats.search", NULL, sotto_chats_page_search);
  gtk_widget_class_install_action (widget_class, "chats.show-sidebar", NULL, sotto_chats_page_show_sidebar);
  gtk_widget_class_install_action (widget_class, "chats.previous-conversation", NULL,
                                   sotto_chats_page_previous_conversation);
  gtk_widget_class_install_action (widget_class, "chats.next-conversation", NULL,
                                   sotto_chats_page_next_conversation);
  gtk_widget_class_install_action (widget_class, "chats.conversation-at", "i", sotto_chats_page_conversation_at);
  gtk_widget_class_install_action (widget_class, "chats.undo-block", "s", sotto_chats_page_undo_block);
}

static void
sotto_chats_page_init (SottoChatsPage *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  self->cancellable = g_cancellable_new ();
  self->session_signals = g_signal_group_new (SOTTO_TYPE_SESSION);
  g_signal_group_connect_object (self->session_signals, "notify::messenger",
                                 G_CALLBACK (sotto_chats_page_messenger_cb), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->session_signals, "notify::state",
                                 G_CALLBACK (sotto_chats_page_update_connection), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->session_signals, "notify::error",
                                 G_CALLBACK (sotto_chats_page_update_connection), self, G_CONNECT_SWAPPED);

  gtk_widget_init_template (GTK_WIDGET (self));
  sotto_accessible_name_mnemonic_buttons (GTK_WIDGET (self));
  sotto_accessible_name_page_scrollers (GTK_WIDGET (self));
  sotto_accessible_label_field (GTK_WIDGET (self->search_entry), _("Search names and messages"));
  sotto_accessible_quiet_menu_tooltip (self->menu_button);

  self->filter = gtk_custom_filter_new (sotto_chats_page_filter_conversation, self, NULL);
  self->left_signals = g_signal_group_new (SOTTO_TYPE_CONVERSATION);
  g_signal_group_connect_object (self->left_signals, "notify::draft",
                                 G_CALLBACK (sotto_chats_page_refilter), self, G_CONNECT_SWAPPED);
  self->filtered = gtk_filter_list_model_new (NULL, g_object_ref (GTK_FILTER (self->filter)));

  g_signal_connect (factory, "bind", G_CALLBACK (sotto_chats_page_bind_row_cb), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (sotto_chats_page_unbind_row_cb), NULL);
  gtk_list_view_set_factory (self->conversation_list, factory);

  g_signal_connect_object (self->leaflet, "notify::visible-child",
                           G_CALLBACK (sotto_chats_page_sync_selection), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->search_results, "notify::n-matches",
                           G_CALLBACK (sotto_chats_page_update_sidebar), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->conversation_view, "messages-seen",
                           G_CALLBACK (sotto_chats_page_messages_seen_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->conversation_view, "composing",
                           G_CALLBACK (sotto_chats_page_composing_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->leaflet, "notify::folded",
                           G_CALLBACK (sotto_chats_page_sync_selection), self, G_CONNECT_SWAPPED);
}
