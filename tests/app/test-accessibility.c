/* test-accessibility.c: the app as a screen reader and a keyboard meet it
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice is the application in this process, Bob is sotto-cli, a real
 * relay runs between them (conversation-fixture.c).  GTK's test
 * accessibility backend (GTK_A11Y=test) keeps the accessible tree that
 * AT-SPI would publish: each case checks the names, descriptions, roles
 * and relations a screen reader reads, and where the keyboard focus
 * goes.
 */

#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "app-test-util.h"
#include "conversation-fixture.h"
#include "page-test-util.h"
#include "sotto-attachment-tray.h"
#include "sotto-conversation-row.h"
#include "sotto-group-members-page.h"
#include "sotto-group-view.h"
#include "sotto-message-row.h"
#include "sotto-preferences-window.h"
#include "sotto-safety-number-dialog.h"
#include "sotto-time-format.h"

static gboolean
is_message_row_of (GtkWidget     *widget,
                   gconstpointer  body)
{
  SottoMessage *message;

  if (!SOTTO_IS_MESSAGE_ROW (widget) || !gtk_widget_get_mapped (widget))
    return FALSE;
  message = sotto_message_row_get_message (SOTTO_MESSAGE_ROW (widget));
  return message != NULL && sotto_message_get_loaded (message)
         && g_strcmp0 (sotto_message_get_body (message), body) == 0;
}

static GtkWidget *
find_message_row (Fixture    *fixture,
                  const char *body)
{
  return app_test_find_matching (GTK_WIDGET (conversation_view (fixture)), is_message_row_of, body);
}

static char *
format_message_time (SottoMessage *message)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (sotto_message_get_sent_at (message) / 1000);

  return g_date_time_format (time, "%H:%M");
}

/* Conversation rows and message rows each say, as one label, what a
 * person reads off them, and the keyboard focus lands on them. */
static void
test_accessibility_rows (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autofree char *row_label = NULL;
  g_autofree char *mine_label = NULL;
  g_autofree char *theirs_label = NULL;
  g_autofree char *time = NULL;
  SottoConversation *conversation;
  GtkWidget *list;
  GtkWidget *row;
  GtkWidget *mine;
  GtkWidget *theirs;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  conversation = open_conversation (fixture);
  send_from_composer (fixture, "Welcome!");
  wait_until (last_message_is (fixture, "Welcome!", SOTTO_MESSAGE_STATE_SENT));
  g_free (run_cli (fixture, "send", "alice", "See you then", NULL));
  wait_until ((theirs = find_message_row (fixture, "See you then")) != NULL);
  mine = find_message_row (fixture, "Welcome!");
  g_assert_nonnull (mine);

  time = format_message_time (sotto_message_row_get_message (SOTTO_MESSAGE_ROW (mine)));
  mine_label = g_strdup_printf ("You, %s: Welcome!", time);
  gtk_test_accessible_assert_property (mine, GTK_ACCESSIBLE_PROPERTY_LABEL, mine_label);
  g_clear_pointer (&time, g_free);
  time = format_message_time (sotto_message_row_get_message (SOTTO_MESSAGE_ROW (theirs)));
  theirs_label = g_strdup_printf ("bob, %s: See you then", time);
  gtk_test_accessible_assert_property (theirs, GTK_ACCESSIBLE_PROPERTY_LABEL, theirs_label);

  /* Bob's row in the list, as the list shows it: with the unread count
   * while Alice's window is not the active one. */
  row = app_test_find_widget (GTK_WIDGET (fixture->window), SOTTO_TYPE_CONVERSATION_ROW);
  g_assert_nonnull (row);
  list = gtk_widget_get_ancestor (row, GTK_TYPE_LIST_VIEW);
  g_clear_pointer (&time, g_free);
  time = sotto_format_time (sotto_conversation_get_last_activity (conversation), g_get_real_time () / 1000);
  wait_until (sotto_conversation_get_unread_count (conversation) == 1);
  row_label = g_strdup_printf ("bob, 1 unread, last message: See you then, %s", time);
  gtk_test_accessible_assert_property (row, GTK_ACCESSIBLE_PROPERTY_LABEL, row_label);

  /* The keyboard reaches the named row, not a nameless item around it. */
  g_assert_true (gtk_widget_child_focus (list, GTK_DIR_TAB_FORWARD));
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (fixture->window)) == row);
}

/* Whether @widget's accessible description is @text. */
static gboolean
has_description (GtkWidget  *widget,
                 const char *text)
{
  g_autofree char *mismatch = gtk_test_accessible_check_property (GTK_ACCESSIBLE (widget),
                                                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text);

  return mismatch == NULL;
}

/* The safety-number dialog, which a blind user needs most: the dialog's
 * description holds the explanation and the digits in groups of five,
 * Tab reaches the digits, and what Copy and Compare with Clipboard
 * report becomes the description of the focused button, since GTK 4.8
 * has no way to announce it. */
static void
test_accessibility_safety_number (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  g_autofree char *grouped = NULL;
  g_autofree char *description = NULL;
  g_autofree char *copied = NULL;
  SottoSafetyNumberDialog *dialog;
  SottoContact *bob;
  GtkWidget *digits;
  GtkWidget *explanation;
  GtkWidget *copy_button;
  GtkWidget *compare_button;
  gboolean reached = FALSE;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  send_from_composer (fixture, "hello");
  wait_until (last_message_is (fixture, "hello", SOTTO_MESSAGE_STATE_SENT));
  bob = sotto_conversation_get_contact (open_conversation (fixture));
  wait_until (sotto_contact_get_safety_number (bob) != NULL);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (conversation_view (fixture)),
                                             "conversation.show-safety-number", NULL));
  wait_until ((dialog = SOTTO_SAFETY_NUMBER_DIALOG (find_toplevel (SOTTO_TYPE_SAFETY_NUMBER_DIALOG))) != NULL);
  wait_until (gtk_widget_get_mapped (GTK_WIDGET (dialog)));

  grouped = sotto_contact_format_safety_number (sotto_contact_get_safety_number (bob));
  digits = app_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_GRID);
  gtk_test_accessible_assert_property (digits, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, grouped);
  explanation = gtk_widget_get_prev_sibling (digits);
  g_assert_true (GTK_IS_LABEL (explanation));
  description = g_strdup_printf ("%s Your safety number is %s.",
                                 gtk_label_get_label (GTK_LABEL (explanation)), grouped);
  gtk_test_accessible_assert_property (dialog, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description);

  for (guint i = 0; i < 16 && !reached; i++)
    {
      gtk_widget_child_focus (GTK_WIDGET (dialog), GTK_DIR_TAB_FORWARD);
      reached = gtk_window_get_focus (GTK_WINDOW (dialog)) == digits;
    }
  g_assert_true (reached);

  copy_button = find_button (GTK_WIDGET (dialog), "safety-number.copy");
  gtk_test_accessible_assert_property (copy_button, GTK_ACCESSIBLE_PROPERTY_LABEL, "Copy");
  g_assert_true (gtk_widget_grab_focus (copy_button));
  g_signal_emit_by_name (copy_button, "clicked");
  copied = app_test_read_clipboard (copy_button);
  g_assert_cmpstr (copied, ==, grouped);
  gtk_test_accessible_assert_property (copy_button, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, "Safety number copied");

  /* Compare with Clipboard reads what Copy just put there. */
  compare_button = find_button (GTK_WIDGET (dialog), "safety-number.compare-clipboard");
  g_assert_true (gtk_widget_grab_focus (compare_button));
  g_signal_emit_by_name (compare_button, "clicked");
  wait_until (has_description (compare_button, "The numbers match. Nobody sits between you: "
                                               "you can mark this contact as verified."));
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (dialog)) == compare_button);
}

/* Brings @window to the front and waits until it has the keyboard
 * focus, as when the user clicked it. */
static void
activate_window (GtkWindow *window)
{
  gtk_window_present (window);
  wait_until (gtk_window_is_active (window));
}

/* Whether the widget with @window's focus, or the window when nothing
 * has it, is described by @text. */
static gboolean
focus_is_described (GtkWindow  *window,
                    const char *text)
{
  GtkWidget *focus = gtk_window_get_focus (window);

  return has_description (focus != NULL ? focus : GTK_WIDGET (window), text);
}

/* Asks to start a conversation with @username in the dialog, which
 * stays open while the relay answers. */
static AdwMessageDialog *
look_up (Fixture    *fixture,
         const char *username)
{
  AdwMessageDialog *dialog;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.new-conversation", NULL));
  wait_until ((dialog = ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG))) != NULL);
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), username);
  adw_message_dialog_response (dialog, "start");
  return dialog;
}

/* What a toast or a result says reaches a screen reader: GTK 4.8 cannot
 * announce, so it becomes the description of the focused widget until
 * the focus moves on; and so does a message that comes in while the
 * window is focused, where no notification shows it. */
static void
test_accessibility_announcements (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  const char *nobody = "Nobody uses the username “nobody” on your relay. Check the spelling.";
  GtkWindow *window;
  AdwMessageDialog *dialog;
  GtkWidget *composer;

  start_alice (fixture);
  window = GTK_WINDOW (fixture->window);
  activate_window (window);

  /* The dialog closed before the relay answered: the answer is a toast. */
  gtk_window_destroy (GTK_WINDOW (look_up (fixture, "nobody")));
  activate_window (window);
  wait_until (focus_is_described (window, nobody));

  /* With the dialog open, the error it shows is said where the user
   * types the name again. */
  dialog = look_up (fixture, "nobody");
  wait_until (focus_is_described (GTK_WINDOW (dialog), nobody));
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (dialog))
                 == GTK_WIDGET (gtk_editable_get_delegate (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)))));
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), "bob");
  adw_message_dialog_response (dialog, "start");
  wait_until (conversation_view (fixture) != NULL && open_conversation (fixture) != NULL);
  activate_window (window);

  /* A message from Bob while Alice writes. */
  composer = app_test_find_widget (GTK_WIDGET (conversation_view (fixture)), GTK_TYPE_TEXT_VIEW);
  wait_until (gtk_window_get_focus (window) == composer);
  g_free (run_cli (fixture, "send", "alice", "See you then", NULL));
  wait_until (has_description (composer, "Message from bob: See you then"));

  /* Once the focus moves on, the composer is no longer described by it. */
  g_assert_true (gtk_widget_child_focus (GTK_WIDGET (window), GTK_DIR_TAB_FORWARD));
  g_assert_true (gtk_window_get_focus (window) != composer);
  g_assert_false (gtk_test_accessible_has_property (GTK_ACCESSIBLE (composer), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION));
}

static gboolean
is_titled_row (GtkWidget     *widget,
               gconstpointer  title)
{
  return ADW_IS_PREFERENCES_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

/* The row titled @title below @root, shown or not. */
static GtkWidget *
find_row (GtkWidget  *root,
          const char *title)
{
  GtkWidget *row = app_test_find_matching (root, is_titled_row, title);

  g_assert_nonnull (row);
  return row;
}

/* Of @type (a GType), shown or not. */
static gboolean
is_of_type (GtkWidget     *widget,
            gconstpointer  type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type));
}

static gboolean
is_button_with_icon (GtkWidget     *widget,
                     gconstpointer  icon_name)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_icon_name (GTK_BUTTON (widget)), icon_name) == 0;
}

static gboolean
is_button_for (GtkWidget     *widget,
               gconstpointer  action_name)
{
  return GTK_IS_BUTTON (widget)
         && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action_name) == 0;
}

/* The focusable text inside the entry row titled @title. */
static GtkWidget *
row_text (GtkWidget  *root,
          const char *title)
{
  return GTK_WIDGET (gtk_editable_get_delegate (GTK_EDITABLE (find_row (root, title))));
}

/* Widgets that GTK 4.8 and libadwaita 1.2 leave unnamed or misnamed
 * get names; error labels are related to their fields; the window's
 * title says which conversation is open. */
static void
test_accessibility_names (Fixture       *fixture,
                          gconstpointer  user_data)
{
  GtkWidget *root;
  GtkWidget *search_entry;
  GtkWidget *welcome_error;
  GtkWidget *username_problem;
  GtkWidget *passphrase_error;
  GtkWidget *reveal;
  GtkWidget *unlock;
  GtkWindow *preferences;

  start_alice (fixture);
  root = GTK_WIDGET (fixture->window);

  /* Mnemonic buttons are named as shown, without the underline. */
  gtk_test_accessible_assert_property (app_test_find_matching (root, is_button_for, "welcome.register"),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Register");
  /* The unlock page's button reads Unlock or Continue, as the profile
   * asks for its passphrase or a new one. */
  unlock = app_test_find_matching (root, is_button_for, "unlock.unlock");
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (unlock)), ==, "_Unlock");
  gtk_test_accessible_assert_property (unlock, GTK_ACCESSIBLE_PROPERTY_LABEL, "Unlock");

  /* The passphrase's show-text button. */
  reveal = app_test_find_matching (find_row (root, "Passphrase"), is_button_with_icon, "view-reveal-symbolic");
  g_assert_nonnull (reveal);
  gtk_test_accessible_assert_property (reveal, GTK_ACCESSIBLE_PROPERTY_LABEL, "Show Text");

  /* The error labels describe the fields whose text they are about: the
   * username's, in the row right under it, and the page's, under
   * Register. */
  welcome_error = gtk_widget_get_next_sibling (app_test_find_matching (root, is_button_for, "welcome.register"));
  g_assert_true (GTK_IS_LABEL (welcome_error));
  username_problem = gtk_list_box_row_get_child (GTK_LIST_BOX_ROW (gtk_widget_get_next_sibling (find_row (root,
                                                                                                       "Username"))));
  g_assert_true (GTK_IS_LABEL (username_problem));
  gtk_test_accessible_assert_relation (row_text (root, "Username"), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY,
                                       username_problem, NULL);
  gtk_test_accessible_assert_relation (row_text (root, "Relay Address"), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY,
                                       welcome_error, NULL);
  passphrase_error = gtk_widget_get_prev_sibling (unlock);
  g_assert_true (GTK_IS_LABEL (passphrase_error));
  gtk_test_accessible_assert_relation (row_text (root, "Passphrase"), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY,
                                       passphrase_error, NULL);
  gtk_test_accessible_assert_relation (row_text (root, "Confirm Passphrase"), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY,
                                       passphrase_error, NULL);

  /* The search entry, and the text inside it that takes the focus. */
  search_entry = app_test_find_matching (root, is_of_type,
                                         GSIZE_TO_POINTER (GTK_TYPE_SEARCH_ENTRY));
  gtk_test_accessible_assert_property (search_entry, GTK_ACCESSIBLE_PROPERTY_LABEL, "Search names and messages");
  gtk_test_accessible_assert_property (gtk_editable_get_delegate (GTK_EDITABLE (search_entry)),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Search names and messages");

  /* The window is named after the open conversation. */
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (root)), ==, "Sotto");
  open_conversation_with_bob (fixture);
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (root)), ==, "bob");

  /* Preferences has a named page. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "preferences", NULL);
  wait_until ((preferences = find_toplevel (SOTTO_TYPE_PREFERENCES_WINDOW)) != NULL);
  gtk_test_accessible_assert_property (app_test_find_matching (GTK_WIDGET (preferences),
                                                               is_of_type,
                                                               GSIZE_TO_POINTER (ADW_TYPE_PREFERENCES_PAGE)),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "General");
  gtk_window_destroy (preferences);
}

/* The accessible trees of the main window, a conversation, the
 * safety-number dialog and Preferences have no focusable widget
 * without a name a person would say. */
static void
test_accessibility_tree (Fixture       *fixture,
                         gconstpointer  user_data)
{
  GtkWindow *window;
  GtkWindow *dialog;
  GtkWindow *preferences;

  start_alice (fixture);
  window = GTK_WINDOW (fixture->window);
  app_test_assert_focusables_named (window, "the main window");

  open_conversation_with_bob (fixture);
  send_from_composer (fixture, "Welcome!");
  wait_until (last_message_is (fixture, "Welcome!", SOTTO_MESSAGE_STATE_SENT));
  g_free (run_cli (fixture, "send", "alice", "See you then", NULL));
  wait_until ((find_message_row (fixture, "See you then")) != NULL);
  app_test_assert_focusables_named (window, "a conversation");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (conversation_view (fixture)),
                                             "conversation.show-safety-number", NULL));
  wait_until ((dialog = find_toplevel (SOTTO_TYPE_SAFETY_NUMBER_DIALOG)) != NULL);
  wait_until (gtk_widget_get_mapped (GTK_WIDGET (dialog)));
  app_test_assert_focusables_named (dialog, "the safety-number dialog");
  gtk_window_destroy (dialog);

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "preferences", NULL);
  wait_until ((preferences = find_toplevel (SOTTO_TYPE_PREFERENCES_WINDOW)) != NULL);
  wait_until (gtk_widget_get_mapped (GTK_WIDGET (preferences)));
  app_test_assert_focusables_named (preferences, "Preferences");
  gtk_window_destroy (preferences);
}

/* Whether a key binding of @widget's class runs @action_name with
 * @arguments (printed, or NULL for none) on @trigger. */
static gboolean
has_binding (GtkWidget  *widget,
             const char *trigger,
             const char *action_name,
             const char *arguments)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;

      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          GtkShortcutAction *action = gtk_shortcut_get_action (shortcut);
          GVariant *shortcut_arguments = gtk_shortcut_get_arguments (shortcut);
          g_autofree char *shortcut_trigger = gtk_shortcut_trigger_to_string (gtk_shortcut_get_trigger (shortcut));
          g_autofree char *printed = shortcut_arguments != NULL ? g_variant_print (shortcut_arguments, FALSE) : NULL;

          if (GTK_IS_NAMED_ACTION (action)
              && g_strcmp0 (gtk_named_action_get_action_name (GTK_NAMED_ACTION (action)), action_name) == 0
              && g_strcmp0 (shortcut_trigger, trigger) == 0
              && g_strcmp0 (printed, arguments) == 0)
            return TRUE;
        }
    }

  return FALSE;
}

/* Tab, as GTK delivers it: the key press goes down from the window to
 * @focus, through the key controllers of the widgets on the way that
 * listen before the focus widget does, and moves the focus when none of
 * them takes it. */
static void
press_tab (GtkWidget *root,
           GtkWidget *focus)
{
  g_autoptr(GPtrArray) path = g_ptr_array_new ();

  for (GtkWidget *widget = focus; widget != NULL; widget = gtk_widget_get_parent (widget))
    g_ptr_array_insert (path, 0, widget);

  for (guint depth = 0; depth < path->len; depth++)
    {
      g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (g_ptr_array_index (path, depth));

      for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
        {
          g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);
          gboolean handled = FALSE;

          if (!GTK_IS_EVENT_CONTROLLER_KEY (controller)
              || gtk_event_controller_get_propagation_phase (controller) != GTK_PHASE_CAPTURE)
            continue;
          g_signal_emit_by_name (controller, "key-pressed", GDK_KEY_Tab, 0, 0, &handled);
          if (handled)
            return;
        }
    }

  gtk_widget_child_focus (root, GTK_DIR_TAB_FORWARD);
}

static SottoConversation *
conversation_at (Fixture *fixture,
                 guint    position)
{
  GtkWidget *row = app_test_find_widget (GTK_WIDGET (fixture->window), SOTTO_TYPE_CONVERSATION_ROW);
  GtkListView *list = GTK_LIST_VIEW (gtk_widget_get_ancestor (row, GTK_TYPE_LIST_VIEW));
  g_autoptr(SottoConversation) conversation = g_list_model_get_item (G_LIST_MODEL (gtk_list_view_get_model (list)),
                                                                      position);

  return conversation;
}

static void
start_conversation_with (Fixture    *fixture,
                         const char *username)
{
  gtk_window_close (GTK_WINDOW (look_up (fixture, username)));
  wait_until (conversation_view (fixture) != NULL && open_conversation (fixture) != NULL
              && g_strcmp0 (sotto_contact_get_username (sotto_conversation_get_contact (open_conversation (fixture))),
                            username) == 0);
}

static void
verify_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (sotto_contact_verify_finish (SOTTO_CONTACT (object), result, &error));
  g_assert_no_error (error);
}

/* The keyboard: the timeline is one Tab stop, shortcuts switch
 * conversations and open the safety number, and accepting a new safety
 * number gives the focus back to the composer. */
static void
test_accessibility_keyboard (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autofree char *carol_profile = page_test_make_profile ();
  g_autoptr(GHashTable) focused_rows = g_hash_table_new (NULL, NULL);
  g_auto(GStrv) previous_accels = NULL;
  g_auto(GStrv) next_accels = NULL;
  SottoConversation *first;
  SottoContact *bob;
  GtkWidget *root;
  GtkWidget *view;
  GtkWidget *composer;
  GtkWidget *accept;
  GtkWidget *search_entry;

  start_alice (fixture);
  root = GTK_WIDGET (fixture->window);
  g_free (run_cli_as (carol_profile, "register", "--relay", fixture->relay->base_url, "--username", "carol", NULL));
  start_conversation_with (fixture, "carol");
  send_from_composer (fixture, "hi carol");
  wait_until (last_message_is (fixture, "hi carol", SOTTO_MESSAGE_STATE_SENT));
  start_conversation_with (fixture, "bob");
  send_from_composer (fixture, "hi bob");
  wait_until (last_message_is (fixture, "hi bob", SOTTO_MESSAGE_STATE_SENT));
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u", i);

      g_free (run_cli (fixture, "send", "alice", text, NULL));
    }
  view = GTK_WIDGET (conversation_view (fixture));
  wait_until (app_test_find_label (view, "message 5") != NULL);

  /* Tab goes through the timeline as one stop, not message by message. */
  composer = app_test_find_widget (view, GTK_TYPE_TEXT_VIEW);
  g_assert_true (gtk_widget_grab_focus (composer));
  for (guint i = 0; i < 40; i++)
    {
      GtkWidget *focus = gtk_window_get_focus (GTK_WINDOW (root));

      press_tab (root, focus);
      focus = gtk_window_get_focus (GTK_WINDOW (root));
      if (SOTTO_IS_MESSAGE_ROW (focus))
        g_hash_table_add (focused_rows, focus);
    }
  g_assert_cmpuint (g_hash_table_size (focused_rows), ==, 1);

  /* Ctrl+Page Up and Down, and Alt with a number, switch conversations. */
  previous_accels = gtk_application_get_accels_for_action (GTK_APPLICATION (fixture->app), "win.previous-conversation");
  next_accels = gtk_application_get_accels_for_action (GTK_APPLICATION (fixture->app), "win.next-conversation");
  g_assert_cmpstr (previous_accels[0], ==, "<Control>Page_Up");
  g_assert_cmpstr (next_accels[0], ==, "<Control>Page_Down");
  first = conversation_at (fixture, 0);
  g_assert_true (open_conversation (fixture) == first);
  g_assert_true (gtk_widget_activate_action (root, "win.next-conversation", NULL));
  g_assert_true (open_conversation (fixture) == conversation_at (fixture, 1));
  g_assert_true (gtk_widget_activate_action (root, "win.previous-conversation", NULL));
  g_assert_true (open_conversation (fixture) == first);
  for (int number = 1; number <= 9; number++)
    {
      g_autofree char *trigger = g_strdup_printf ("<Alt>%d", number);
      g_autofree char *argument = g_strdup_printf ("%d", number);

      g_assert_true (has_binding (root, trigger, "win.conversation-at", argument));
    }
  g_assert_true (gtk_widget_activate_action (root, "win.conversation-at", "i", 2));
  g_assert_true (open_conversation (fixture) == conversation_at (fixture, 1));
  g_assert_true (gtk_widget_activate_action (root, "win.conversation-at", "i", 1));
  g_assert_true (open_conversation (fixture) == first);

  /* Ctrl+I opens the safety number. */
  g_assert_true (has_binding (view, "<Control>i", "conversation.show-safety-number", NULL));

  /* Bob, verified, changes his key; accepting the new number from the
   * banner's button gives the focus back to the composer. */
  g_assert_true (sotto_contact_get_username (sotto_conversation_get_contact (first)) != NULL);
  g_assert_cmpstr (sotto_contact_get_username (sotto_conversation_get_contact (first)), ==, "bob");
  bob = sotto_conversation_get_contact (first);
  sotto_contact_verify_async (bob, sotto_contact_get_safety_number (bob), NULL, verify_cb, NULL);
  wait_until (sotto_contact_get_verification_state (bob) == SOTTO_VERIFICATION_STATE_VERIFIED);
  g_free (run_cli (fixture, "reset-identity", NULL));
  g_free (run_cli (fixture, "send", "alice", "new key", NULL));
  wait_until (sotto_contact_get_verification_state (bob) == SOTTO_VERIFICATION_STATE_CHANGED);
  wait_until ((accept = find_button (view, "conversation.accept-identity")) != NULL);
  g_assert_true (gtk_widget_grab_focus (accept));
  g_signal_emit_by_name (accept, "clicked");
  wait_until (gtk_window_get_focus (GTK_WINDOW (root)) == composer);
  g_assert_true (gtk_widget_is_sensitive (composer));

  /* Enter in the search entry opens the first match. */
  search_entry = app_test_find_matching (root, is_of_type, GSIZE_TO_POINTER (GTK_TYPE_SEARCH_ENTRY));
  gtk_editable_set_text (GTK_EDITABLE (search_entry), "car");
  wait_until (sotto_conversation_get_contact (conversation_at (fixture, 0)) != bob);
  g_signal_emit_by_name (search_entry, "activate");
  g_assert_cmpstr (sotto_contact_get_username (sotto_conversation_get_contact (open_conversation (fixture))), ==,
                   "carol");
}

/* Whether the focus of @window is @widget or inside it. */
static gboolean
focus_is_in (GtkWindow *window,
             GtkWidget *widget)
{
  GtkWidget *focus = gtk_window_get_focus (window);

  return focus != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget));
}

/* Presses Tab until the focus is in @widget, within a bound. */
static void
tab_to (GtkWindow *window,
        GtkWidget *widget)
{
  for (guint i = 0; i < 24 && !focus_is_in (window, widget); i++)
    {
      GtkWidget *before = gtk_window_get_focus (window);

      app_test_press (window, "Tab");
      wait_until (gtk_window_get_focus (window) != before);
    }
  g_assert_true (focus_is_in (window, widget));
}

/* Presses Tab once: the focus must move on to @widget. */
static void
tab_once_to (GtkWindow *window,
             GtkWidget *widget)
{
  GtkWidget *before = gtk_window_get_focus (window);

  app_test_press (window, "Tab");
  wait_until (gtk_window_get_focus (window) != before);
  g_assert_true (focus_is_in (window, widget));
}

/* Types @text and waits until @field shows it. */
static void
type_into (GtkWindow  *window,
           GtkWidget  *field,
           const char *text)
{
  g_assert_true (focus_is_in (window, field));
  app_test_type (window, text);
  wait_until (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (field)), text) == 0);
}

/* The whole main flow by keyboard alone, against the real relay: make a
 * profile, register, start a conversation, send, and verify the safety
 * number.  Nothing but key presses acts on the app. */
static void
test_accessibility_keyboard_flow (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  GtkWindow *window;
  GtkWidget *root;
  GtkWindow *dialog;
  GtkWidget *composer;
  GtkWidget *verified;
  GtkWidget *search;
  SottoContact *bob;

  launch_alice (fixture);
  window = GTK_WINDOW (fixture->window);
  root = GTK_WIDGET (window);
  /* The user clicks the window, which a window manager would focus. */
  activate_window (window);

  /* A passphrase, twice. */
  type_into (window, find_row (root, "Passphrase"), passphrase);
  /* Tab goes from one field to the next, not to the show-text button. */
  tab_once_to (window, find_row (root, "Confirm Passphrase"));
  type_into (window, find_row (root, "Confirm Passphrase"), passphrase);
  app_test_press (window, "Return");
  wait_until (page_is (fixture, "welcome"));

  /* A username on the relay. */
  wait_until (focus_is_in (window, find_row (root, "Username")));
  type_into (window, find_row (root, "Username"), "alice");
  tab_to (window, find_row (root, "Relay Address"));
  type_into (window, find_row (root, "Relay Address"), fixture->relay->base_url);
  app_test_press (window, "Return");
  wait_until (page_is (fixture, "chats"));

  /* A conversation with Bob. */
  app_test_press (window, "ctrl+n");
  wait_until ((dialog = find_toplevel (ADW_TYPE_MESSAGE_DIALOG)) != NULL);
  wait_until (gtk_window_is_active (dialog));
  type_into (dialog, adw_message_dialog_get_extra_child (ADW_MESSAGE_DIALOG (dialog)), "bob");
  app_test_press (dialog, "Return");
  wait_until (conversation_view (fixture) != NULL && open_conversation (fixture) != NULL);

  /* A message, from the composer that has the focus. */
  composer = app_test_find_widget (GTK_WIDGET (conversation_view (fixture)), GTK_TYPE_TEXT_VIEW);
  wait_until (gtk_window_get_focus (window) == composer);
  /* Xvfb has no window manager to give the window back the keyboard
   * when a dialog closes: do what one does. */
  activate_window (window);
  app_test_type (window, "Hello Bob");
  app_test_press (window, "Return");
  wait_until (last_message_is (fixture, "Hello Bob", SOTTO_MESSAGE_STATE_SENT));

  /* The safety number, verified and closed. */
  bob = sotto_conversation_get_contact (open_conversation (fixture));
  wait_until (sotto_contact_get_safety_number (bob) != NULL);
  app_test_press (window, "ctrl+i");
  wait_until ((dialog = find_toplevel (SOTTO_TYPE_SAFETY_NUMBER_DIALOG)) != NULL);
  wait_until (gtk_window_is_active (dialog));
  verified = app_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_SWITCH);
  tab_to (dialog, verified);
  app_test_press (dialog, "space");
  wait_until (sotto_contact_get_verification_state (bob) == SOTTO_VERIFICATION_STATE_VERIFIED);
  /* The dialog's close button is on the way of Tab too. */
  tab_to (dialog, app_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_WINDOW_CONTROLS));
  app_test_press (dialog, "space");
  wait_until (find_toplevel (SOTTO_TYPE_SAFETY_NUMBER_DIALOG) == NULL);

  /* Back in the conversation, where the user left. */
  wait_until (gtk_window_get_focus (window) == composer);
  activate_window (window);

  /* Search finds Bob, and Enter opens him.  The search bar slides
   * open: the user types once it shows. */
  app_test_press (window, "ctrl+f");
  wait_until (gtk_window_get_focus (window) != composer);
  search = gtk_widget_get_ancestor (gtk_window_get_focus (window), GTK_TYPE_SEARCH_ENTRY);
  g_assert_nonnull (search);
  wait_until (gtk_widget_get_mapped (gtk_window_get_focus (window)));
  type_into (window, search, "bob");
  app_test_press (window, "Return");
  wait_until (gtk_window_get_focus (window) == composer);
}

/* How opaque the focus ring of message row @row is: the row's own
 * drawing just inside the right edge of its box, where an incoming
 * message's bubble does not reach. */
static guint8
ring_alpha (GtkWidget *row)
{
  GtkWidget *box = gtk_widget_get_first_child (row);
  graphene_rect_t bounds;

  /* Where the row is laid out now, with what changed before. */
  app_test_wait_for_paint (row);
  g_assert_true (gtk_widget_compute_bounds (box, row, &bounds));

  return app_test_alpha_at (row, (int) (bounds.origin.x + bounds.size.width) - 1,
                            (int) (bounds.origin.y + bounds.size.height / 2));
}

/* Presses @key until the focus of @window moves, and returns where. */
static GtkWidget *
press_to_move_focus (GtkWindow  *window,
                     const char *key)
{
  GtkWidget *before = gtk_window_get_focus (window);

  app_test_press (window, key);
  wait_until (gtk_window_get_focus (window) != before);

  return gtk_window_get_focus (window);
}

/* Message rows are reached by the keyboard, Shift+Tab from the composer
 * and then the arrow keys, and the one with the focus shows a ring that
 * the others do not. */
static void
test_accessibility_focus_ring (Fixture       *fixture,
                               gconstpointer  user_data)
{
  GtkWindow *window;
  GtkWidget *view;
  GtkWidget *composer;
  GtkWidget *row = NULL;
  GtkWidget *next;

  start_alice (fixture);
  window = GTK_WINDOW (fixture->window);
  open_conversation_with_bob (fixture);
  g_free (run_cli (fixture, "send", "alice", "first", NULL));
  g_free (run_cli (fixture, "send", "alice", "second", NULL));
  view = GTK_WIDGET (conversation_view (fixture));
  wait_until (find_message_row (fixture, "first") != NULL && find_message_row (fixture, "second") != NULL);
  activate_alice (fixture);
  composer = app_test_find_widget (view, GTK_TYPE_TEXT_VIEW);
  g_assert_true (gtk_widget_grab_focus (composer));
  g_assert_cmpuint (ring_alpha (find_message_row (fixture, "first")), ==, 0);
  g_assert_cmpuint (ring_alpha (find_message_row (fixture, "second")), ==, 0);

  for (guint i = 0; i < 10 && !SOTTO_IS_MESSAGE_ROW (row); i++)
    row = press_to_move_focus (window, "shift+Tab");
  g_assert_true (SOTTO_IS_MESSAGE_ROW (row));
  /* GTK makes the focus visible once the key press is over. */
  wait_until (gtk_widget_get_state_flags (row) & GTK_STATE_FLAG_FOCUS_VISIBLE);
  g_assert_cmpuint (ring_alpha (row), >, 0);

  /* The arrow keys go from message to message, and the ring with them. */
  next = press_to_move_focus (window, row == find_message_row (fixture, "first") ? "Down" : "Up");
  g_assert_true (SOTTO_IS_MESSAGE_ROW (next));
  wait_until (gtk_widget_get_state_flags (next) & GTK_STATE_FLAG_FOCUS_VISIBLE);
  g_assert_cmpuint (ring_alpha (next), >, 0);
  g_assert_cmpuint (ring_alpha (row), ==, 0);
}

/* @root drawn as it is now, in memory, as Cairo's ARGB32. */
static guchar *
render_pixels (GtkWidget *root)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (root);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  int width = gtk_widget_get_width (root);
  int height = gtk_widget_get_height (root);
  guchar *pixels = g_malloc ((gsize) width * height * 4);

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_to_node (snapshot);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (root)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  gdk_texture_download (texture, pixels, (gsize) width * 4);

  return pixels;
}

/* @root drawn once it has settled: what changed (a focus ring's
 * transition) has played out, and two frames in a row are the same. */
static guchar *
render_settled (GtkWidget *root)
{
  gsize size = (gsize) gtk_widget_get_width (root) * gtk_widget_get_height (root) * 4;
  guchar *pixels = NULL;
  guchar *before = NULL;

  do
    {
      g_free (before);
      before = pixels;
      app_test_wait_for_paint (root);
      pixels = render_pixels (root);
    }
  while (before == NULL || memcmp (before, pixels, size) != 0);
  g_free (before);

  return pixels;
}

/* Whether the focus on @focus shows: @window drawn around it with the
 * keyboard's focus there differs from @window drawn with no focus. */
static gboolean
focus_shows (GtkWindow *window,
             GtkWidget *focus)
{
  GtkWidget *root = GTK_WIDGET (window);
  int width = gtk_widget_get_width (root);
  int height = gtk_widget_get_height (root);
  g_autofree guchar *shown = NULL;
  g_autofree guchar *hidden = NULL;
  graphene_rect_t bounds;
  int x0, y0, x1, y1;

  g_assert_true (gtk_widget_compute_bounds (focus, root, &bounds));
  /* A ring may be drawn a little outside the widget. */
  x0 = MAX (0, (int) bounds.origin.x - 6);
  y0 = MAX (0, (int) bounds.origin.y - 6);
  x1 = MIN (width, (int) (bounds.origin.x + bounds.size.width) + 6);
  y1 = MIN (height, (int) (bounds.origin.y + bounds.size.height) + 6);

  shown = render_settled (root);
  gtk_window_set_focus (window, NULL);
  hidden = render_settled (root);
  g_assert_true (gtk_widget_grab_focus (focus));
  gtk_window_set_focus_visible (window, TRUE);

  for (int y = y0; y < y1; y++)
    {
      if (memcmp (shown + ((gsize) y * width + x0) * 4, hidden + ((gsize) y * width + x0) * 4,
                  (gsize) (x1 - x0) * 4) != 0)
        return TRUE;
    }

  return FALSE;
}

/* Every stop of Tab in a conversation (the composer and its buttons, a
 * file waiting to go, the messages, the header, the list of
 * conversations) shows where the focus is. */
static void
test_accessibility_tab_rings (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autofree char *dir = g_dir_make_tmp ("sotto-rings-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "notes.txt", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GString) unseen = g_string_new (NULL);
  GtkWindow *window;
  GtkWidget *composer;
  GtkWidget *tray;
  GtkWidget *first;
  GtkWidget *focus;

  /* A caret that blinks would never let the window settle. */
  g_object_set (gtk_settings_get_default (), "gtk-cursor-blink", FALSE, NULL);
  start_alice (fixture);
  window = GTK_WINDOW (fixture->window);
  gtk_window_set_default_size (window, 1000, 700);
  open_conversation_with_bob (fixture);
  g_free (run_cli (fixture, "send", "alice", "first", NULL));
  wait_until (find_message_row (fixture, "first") != NULL);
  g_assert_true (g_file_set_contents (path, "notes", -1, NULL));
  tray = app_test_find_matching (GTK_WIDGET (conversation_view (fixture)), is_of_type,
                                 GSIZE_TO_POINTER (SOTTO_TYPE_ATTACHMENT_TRAY));
  g_assert_true (sotto_attachment_tray_add_file (SOTTO_ATTACHMENT_TRAY (tray), file));
  activate_alice (fixture);
  composer = app_test_find_widget (GTK_WIDGET (conversation_view (fixture)), GTK_TYPE_TEXT_VIEW);
  g_assert_true (gtk_widget_grab_focus (composer));
  first = composer;

  for (guint i = 0; i < 40; i++)
    {
      focus = press_to_move_focus (window, "Tab");
      if (focus == first)
        break;
      /* Under load a frame may be painted before the ring's style has
       * changed, so a stop counts as unseen only when three looks in a
       * row find no ring. */
      if (!focus_shows (window, focus) && !focus_shows (window, focus) && !focus_shows (window, focus))
        g_string_append_printf (unseen, " %s (%s)", G_OBJECT_TYPE_NAME (focus),
                                gtk_widget_get_name (gtk_widget_get_parent (focus)));
    }
  g_assert_true (focus == first);
  g_assert_cmpstr (unseen->str, ==, "");
  g_assert_true (g_file_delete (file, NULL, NULL));
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* Opens the menu of @button and checks that its tooltip, which GTK
 * would show over the menu's first items, stays away meanwhile, and
 * comes back once the menu is closed. */
static void
assert_menu_quiets_tooltip (GtkWidget *button)
{
  GtkPopover *popover;

  g_assert_true (GTK_IS_MENU_BUTTON (button));
  g_assert_true (gtk_widget_get_has_tooltip (button));
  gtk_menu_button_popup (GTK_MENU_BUTTON (button));
  popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (button));
  wait_until (gtk_widget_get_mapped (GTK_WIDGET (popover)));
  g_assert_false (gtk_widget_get_has_tooltip (button));
  gtk_menu_button_popdown (GTK_MENU_BUTTON (button));
  wait_until (!gtk_widget_get_mapped (GTK_WIDGET (popover)));
  g_assert_true (gtk_widget_get_has_tooltip (button));
}

static gboolean
is_menu_button_named (GtkWidget     *widget,
                      gconstpointer  tooltip)
{
  return GTK_IS_MENU_BUTTON (widget) && gtk_widget_get_mapped (widget)
         && g_strcmp0 (gtk_widget_get_tooltip_text (widget), tooltip) == 0;
}

/* The main menu, a conversation's menu and the menu of a group's
 * picture keep their tooltips off their open menus. */
static void
test_accessibility_menu_tooltips (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  const char *usernames[] = { "bob", NULL };
  SottoGroupList *groups;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SottoGroup) group = NULL;
  GtkWidget *root;
  GtkWindow *members;

  start_alice (fixture);
  root = GTK_WIDGET (fixture->window);
  open_conversation_with_bob (fixture);
  assert_menu_quiets_tooltip (app_test_find_matching (root, is_menu_button_named, "Main Menu"));
  assert_menu_quiets_tooltip (app_test_find_matching (root, is_menu_button_named, "Conversation Menu"));

  groups = sotto_messenger_get_groups (sotto_window_get_messenger (fixture->window));
  sotto_group_list_create_async (groups, "Climbers", usernames, NULL, page_test_result_cb, &result);
  wait_until (result != NULL);
  group = sotto_group_list_create_finish (groups, result, &error);
  g_assert_no_error (error);
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "open-group",
                                  g_variant_new_string (sotto_group_get_id (group)));
  wait_until (app_test_find_widget (root, SOTTO_TYPE_GROUP_VIEW) != NULL);
  g_assert_true (gtk_widget_activate_action (app_test_find_widget (root, SOTTO_TYPE_GROUP_VIEW),
                                             "group.show-members", NULL));
  wait_until ((members = find_toplevel (SOTTO_TYPE_GROUP_MEMBERS_PAGE)) != NULL);
  wait_until (app_test_find_matching (GTK_WIDGET (members), is_menu_button_named,
                                      "Change the Group’s Picture") != NULL);
  assert_menu_quiets_tooltip (app_test_find_matching (GTK_WIDGET (members), is_menu_button_named,
                                                      "Change the Group’s Picture"));
  gtk_window_destroy (members);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add ("/app/accessibility/rows", Fixture, NULL,
              fixture_set_up, test_accessibility_rows, fixture_tear_down);

  g_test_add ("/app/accessibility/safety-number", Fixture, NULL,
              fixture_set_up, test_accessibility_safety_number, fixture_tear_down);

  g_test_add ("/app/accessibility/announcements", Fixture, NULL,
              fixture_set_up, test_accessibility_announcements, fixture_tear_down);

  g_test_add ("/app/accessibility/tree", Fixture, NULL,
              fixture_set_up, test_accessibility_tree, fixture_tear_down);

  g_test_add ("/app/accessibility/keyboard-flow", Fixture, NULL,
              fixture_set_up, test_accessibility_keyboard_flow, fixture_tear_down);

  g_test_add ("/app/accessibility/names", Fixture, NULL,
              fixture_set_up, test_accessibility_names, fixture_tear_down);

  g_test_add ("/app/accessibility/keyboard", Fixture, NULL,
              fixture_set_up, test_accessibility_keyboard, fixture_tear_down);

  g_test_add ("/app/accessibility/focus-ring", Fixture, NULL,
              fixture_set_up, test_accessibility_focus_ring, fixture_tear_down);

  g_test_add ("/app/accessibility/tab-rings", Fixture, NULL,
              fixture_set_up, test_accessibility_tab_rings, fixture_tear_down);

  g_test_add ("/app/accessibility/menu-tooltips", Fixture, NULL,
              fixture_set_up, test_accessibility_menu_tooltips, fixture_tear_down);

  return g_test_run ();
}
