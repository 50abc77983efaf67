/* test-group-conversation.c: groups in the window
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice in a real window (the chats page) and Bob on a session of his
 * own, both on a real relay.  Alice makes a group with Bob from the
 * chats page's New Group dialog; the group conversation shows Bob's
 * message under his name in his colour and hers without one, and what
 * she types reaches Bob; its member list shows Bob's verification
 * state and opens his safety number, and renames the group, removes Bob
 * once asked and adds him again, each of which reaches Bob through the
 * relay and shows in the timeline, and says why it could not add
 * someone nobody is; and Alice leaves.
 */

#include "config.h"

#include "app-test-util.h"
#include "chat-test-util.h"
#include "page-test-util.h"
#include "sotto-account.h"
#include "sotto-chats-page.h"
#include "sotto-contact.h"
#include "sotto-group-list.h"
#include "sotto-group-members-page.h"
#include "sotto-group-view.h"
#include "sotto-messenger.h"
#include "sotto-new-group-dialog.h"
#include "sotto-safety-number-dialog.h"

/* The toplevel of @type, once there is one. */
static GtkWidget *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_mapped (window))
        return window;
    }

  return NULL;
}

static gboolean
is_button_labelled (GtkWidget     *widget,
                    gconstpointer  label)
{
  const char *name = gtk_widget_get_tooltip_text (widget);

  return GTK_IS_BUTTON (widget) && gtk_widget_get_mapped (widget)
         && (g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0 || g_strcmp0 (name, label) == 0);
}

static GtkWidget *
find_button (GtkWidget  *root,
             const char *label)
{
  GtkWidget *button = app_test_find_matching (root, is_button_labelled, label);

  g_assert_nonnull (button);

  return button;
}

static gboolean
is_action_row_titled (GtkWidget     *widget,
                      gconstpointer  title)
{
  return ADW_IS_ACTION_ROW (widget) && gtk_widget_get_mapped (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

/* Whether the member list is done with the last change, which the relay
 * may still have been taking for every member after the change showed:
 * Leave is disabled until then. */
static gboolean
members_page_is_idle (GtkWidget *members)
{
  return gtk_widget_get_sensitive (find_button (members, "_Leave Group"));
}

/* Types @text into the entry row titled @title and presses Enter, once
 * the page takes a change. */
static void
apply_row (GtkWidget  *root,
           const char *title,
           const char *text)
{
  GtkWidget *row = GTK_WIDGET (page_test_find_row (root, title));

  app_test_wait_until (members_page_is_idle (root));
  g_assert_true (gtk_widget_grab_focus (row));
  gtk_editable_set_text (GTK_EDITABLE (row), text);
  app_test_press (GTK_WINDOW (root), "Return");
}

/* The sender's name over a message in the timeline. */
static gboolean
is_sender_label (GtkWidget     *widget,
                 gconstpointer  name)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget)
         && gtk_widget_has_css_class (widget, "group-sender")
         && g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), name) == 0;
}

/* Whether what the focused widget of @window says to a screen reader
 * is @text, as GTK 4.8 has it for what cannot be announced. */
static gboolean
focus_is_described (GtkWindow  *window,
                    const char *text)
{
  GtkWidget *focus = gtk_window_get_focus (window);
  g_autofree char *mismatch = gtk_test_accessible_check_property (GTK_ACCESSIBLE (focus != NULL ? focus : GTK_WIDGET (window)),
                                                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text);

  return mismatch == NULL;
}

/* Answers the message dialog in front with @response's button, by
 * keyboard, once it has the focus. */
static void
answer_dialog (const char *response)
{
  GtkWidget *dialog;

  app_test_wait_until ((dialog = find_toplevel (ADW_TYPE_MESSAGE_DIALOG)) != NULL);
  app_test_wait_until (gtk_window_is_active (GTK_WINDOW (dialog)));
  g_assert_true (gtk_widget_grab_focus (find_button (dialog, response)));
  app_test_press (GTK_WINDOW (dialog), "space");
  app_test_wait_until (find_toplevel (ADW_TYPE_MESSAGE_DIALOG) == NULL);
}

static gboolean
group_has_title (SottoGroup *group,
                 const char *title)
{
  return group != NULL && g_strcmp0 (sotto_group_get_title (group), title) == 0;
}

static void
test_group_conversation_members (ChatTest      *test,
                                 gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new ("im.sotto.Sotto");
  g_autoptr(SottoConversation) to_bob = chat_test_open (test->alice, "bob");
  g_autoptr(SottoConversation) from_alice = NULL;
  const char *nobody = "Nobody uses the username “nosuchuser” on your relay. Check the spelling.";
  SottoGroupList *bob_groups = sotto_messenger_get_groups (sotto_session_get_messenger (test->bob));
  SottoChatsPage *page = g_object_ref_sink (SOTTO_CHATS_PAGE (sotto_chats_page_new (settings)));
  GtkWidget *root = GTK_WIDGET (page);
  g_autofree char *color = NULL;
  SottoSafetyNumberDialog *safety_dialog;
  SottoGroupView *view;
  GtkTextBuffer *composer;
  GtkWidget *dialog;
  GtkWidget *members;
  GtkWidget *sender;
  GtkWidget *bob_row;
  SottoGroup *group;
  SottoGroup *bob_group = NULL;
  GtkWindow *window;

  chat_test_send (test->alice, to_bob, "Climbing on Saturday?");
  /* Bob accepts Alice, so that her group is no request for him. */
  from_alice = chat_test_receive (test->bob, "alice", "Climbing on Saturday?");
  chat_test_accept (test->bob, from_alice);
  sotto_chats_page_set_session (page, test->alice);
  window = page_test_show (root);

  /* New Group, from the chats page: a name, and Bob from her contacts. */
  g_assert_true (gtk_widget_activate_action (root, "chats.new-group", NULL));
  app_test_wait_until ((dialog = find_toplevel (SOTTO_TYPE_NEW_GROUP_DIALOG)) != NULL);
  g_assert_false (gtk_widget_get_sensitive (find_button (dialog, "C_reate")));
  page_test_set_row_text (dialog, "Group Name", "Climbers");
  app_test_click (app_test_find_widget (app_test_find_matching (dialog, is_action_row_titled, "bob"), GTK_TYPE_CHECK_BUTTON));
  app_test_wait_until (gtk_widget_get_sensitive (find_button (dialog, "C_reate")));
  app_test_click (find_button (dialog, "C_reate"));

  /* The new group opens, and Bob learns of it through the relay. */
  app_test_wait_until ((view = SOTTO_GROUP_VIEW (app_test_find_widget (root, SOTTO_TYPE_GROUP_VIEW))) != NULL
                       && (group = sotto_group_view_get_group (view)) != NULL);
  g_assert_cmpstr (sotto_group_get_title (group), ==, "Climbers");
  g_assert_nonnull (app_test_find_label (root, "You created the group “Climbers”"));
  app_test_wait_until ((bob_group = sotto_group_list_find (bob_groups, sotto_group_get_id (group))) != NULL);

  /* Bob's message shows under his name, in his colour. */
  chat_test_send_to_group (test->bob, bob_group, "Which crag?");
  app_test_wait_until (app_test_find_label (root, "Which crag?") != NULL);
  sender = app_test_find_matching (root, is_sender_label, "bob");
  g_assert_nonnull (sender);
  color = g_strdup_printf ("sender-color-%u",
                           sotto_group_view_sender_color (sotto_account_get_uuid (
                             sotto_messenger_get_account (sotto_session_get_messenger (test->bob)))));
  g_assert_true (gtk_widget_has_css_class (sender, color));

  /* What Alice types goes to Bob, and carries no name over it here
   * (the dialog gone, her window has the keyboard again). */
  gtk_window_present (window);
  /* Send is for something written, as in a 1:1 conversation. */
  g_assert_false (gtk_widget_get_sensitive (find_button (GTK_WIDGET (view), "Send")));
  composer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (app_test_find_widget (GTK_WIDGET (view), GTK_TYPE_TEXT_VIEW)));
  gtk_text_buffer_set_text (composer, "   ", -1);
  g_assert_false (gtk_widget_get_sensitive (find_button (GTK_WIDGET (view), "Send")));
  gtk_text_buffer_set_text (composer, "The north face", -1);
  g_assert_true (gtk_widget_get_sensitive (find_button (GTK_WIDGET (view), "Send")));
  /* Enter in the composer sends.  (A click on Send, through the X
   * server, was lost in most runs on a loaded machine: the view's
   * layout still moves after the composer's text is set, and the click
   * landed beside the button.) */
  gtk_widget_grab_focus (app_test_find_widget (GTK_WIDGET (view), GTK_TYPE_TEXT_VIEW));
  app_test_press (window, "Return");
  app_test_wait_until (chat_test_group_ends_with (bob_group, "The north face"));
  app_test_wait_until (app_test_find_label (root, "The north face") != NULL);
  g_assert_null (app_test_find_matching (root, is_sender_label, "alice"));
  /* Sent, the composer is empty again. */
  app_test_wait_until (gtk_text_buffer_get_char_count (composer) == 0);
  g_assert_false (gtk_widget_get_sensitive (find_button (GTK_WIDGET (view), "Send")));

  /* The member list: Bob, not verified, whose row opens his safety
   * number, the same dialog as his 1:1 conversation's. */
  app_test_click (find_button (GTK_WIDGET (view), "Members"));
  app_test_wait_until ((members = find_toplevel (SOTTO_TYPE_GROUP_MEMBERS_PAGE)) != NULL);
  app_test_wait_until ((bob_row = app_test_find_matching (members, is_action_row_titled, "bob")) != NULL);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (bob_row)), ==, "Not verified");
  /* By keyboard, as a screen reader user would. */
  g_assert_true (gtk_widget_grab_focus (bob_row));
  app_test_press (GTK_WINDOW (members), "Return");
  app_test_wait_until ((safety_dialog = SOTTO_SAFETY_NUMBER_DIALOG (find_toplevel (SOTTO_TYPE_SAFETY_NUMBER_DIALOG))) != NULL);
  g_assert_true (sotto_safety_number_dialog_get_contact (safety_dialog) == sotto_conversation_get_contact (to_bob));
  app_test_wait_until (gtk_window_is_active (GTK_WINDOW (safety_dialog)));
  app_test_press (GTK_WINDOW (safety_dialog), "Escape");
  app_test_wait_until (find_toplevel (SOTTO_TYPE_SAFETY_NUMBER_DIALOG) == NULL);
  /* Xvfb has no window manager to give the keyboard back. */
  gtk_window_present (GTK_WINDOW (members));
  app_test_wait_until (gtk_window_is_active (GTK_WINDOW (members)));

  /* Renaming reaches Bob and the view's title. */
  apply_row (members, "Group Name", "Crag crew");
  app_test_wait_until (group_has_title (bob_group, "Crag crew"));
  app_test_wait_until (group_has_title (group, "Crag crew"));
  app_test_wait_until (app_test_find_label (root, "You renamed the group “Crag crew”") != NULL);
  g_assert_nonnull (app_test_find_label (root, "Crag crew"));

  /* Adding someone nobody is says so, on the page and to a screen
   * reader, keeps what was typed, and changes nothing. */
  apply_row (members, "Username", "nosuchuser");
  app_test_wait_until (app_test_find_label (members, nobody) != NULL);
  g_assert_true (focus_is_described (GTK_WINDOW (members), nobody));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (page_test_find_row (members, "Username"))), ==, "nosuchuser");
  g_assert_cmpuint (g_list_model_get_n_items (sotto_group_get_members (group)), ==, 1);
  g_assert_nonnull (app_test_find_matching (members, is_action_row_titled, "bob"));

  /* Removing Bob is asked first: cancelled, he stays. */
  app_test_wait_until (members_page_is_idle (members));
  app_test_click (find_button (members, "Remove bob"));
  answer_dialog ("_Cancel");
  g_assert_cmpuint (g_list_model_get_n_items (sotto_group_get_members (group)), ==, 1);
  g_assert_true (sotto_group_get_is_member (bob_group));
  g_assert_nonnull (app_test_find_matching (members, is_action_row_titled, "bob"));

  /* Confirmed, it takes him out of the list and of the group, for him too. */
  gtk_window_present (GTK_WINDOW (members));
  app_test_wait_until (gtk_window_is_active (GTK_WINDOW (members)));
  app_test_click (find_button (members, "Remove bob"));
  answer_dialog ("_Remove");
  app_test_wait_until (!sotto_group_get_is_member (bob_group));
  app_test_wait_until (g_list_model_get_n_items (sotto_group_get_members (group)) == 0);
  app_test_wait_until (app_test_find_matching (members, is_action_row_titled, "bob") == NULL);
  app_test_wait_until (app_test_find_label (root, "You removed bob") != NULL);
  gtk_window_present (GTK_WINDOW (members));
  app_test_wait_until (gtk_window_is_active (GTK_WINDOW (members)));

  /* And adding him again brings him back. */
  apply_row (members, "Username", "bob");
  app_test_wait_until (sotto_group_get_is_member (bob_group));
  app_test_wait_until (app_test_find_matching (members, is_action_row_titled, "bob") != NULL);
  app_test_wait_until (app_test_find_label (root, "You added bob") != NULL);

  /* Leaving, once confirmed, closes the list; the group stays, read-only,
   * and Bob sees Alice go. */
  app_test_wait_until (members_page_is_idle (members));
  app_test_click (find_button (members, "_Leave Group"));
  answer_dialog ("_Leave");
  app_test_wait_until (find_toplevel (SOTTO_TYPE_GROUP_MEMBERS_PAGE) == NULL);
  app_test_wait_until (!sotto_group_get_is_member (group));
  app_test_wait_until (app_test_find_label (root, "You are no longer a member of this group.") != NULL);
  app_test_wait_until (g_list_model_get_n_items (sotto_group_get_members (bob_group)) == 0);
  g_assert_true (sotto_group_get_is_member (bob_group));

  page_test_release (window, page);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/group-conversation/members", ChatTest, NULL,
              chat_test_set_up, test_group_conversation_members, chat_test_tear_down);

  return g_test_run ();
}
