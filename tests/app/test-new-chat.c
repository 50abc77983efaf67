/* test-new-chat.c: starting a conversation or a group, as a newcomer does
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice is the app in this process; Bob, and Carol where a case needs a
 * stranger, are sotto-cli on profiles of their own, with a real
 * sotto-relay between them (conversation-fixture.c).  A group starts
 * where a conversation does, from the sidebar's New Conversation; its
 * members are found by their username as a conversation's are; and
 * someone the dialog cannot add yet is there, with the reason.
 */

#include "config.h"

#include <adwaita.h>

#include "app-test-util.h"
#include "conversation-fixture.h"
#include "page-test-util.h"
#include "sotto-conversation-list.h"
#include "sotto-group-view.h"
#include "sotto-new-conversation-dialog.h"
#include "sotto-new-group-dialog.h"

static AdwActionRow *
find_row (GtkWindow  *dialog,
          const char *title)
{
  GtkWidget *row = app_test_find_action_row (GTK_WIDGET (dialog), title);

  return row != NULL ? ADW_ACTION_ROW (row) : NULL;
}

static gboolean
row_says (GtkWindow  *dialog,
          const char *title,
          const char *subtitle)
{
  AdwActionRow *row = find_row (dialog, title);

  return row != NULL && g_strcmp0 (adw_action_row_get_subtitle (row), subtitle) == 0;
}

/* Whether the contact row titled @title is chosen. */
static gboolean
is_chosen (GtkWindow  *dialog,
           const char *title)
{
  AdwActionRow *row = find_row (dialog, title);
  GtkWidget *check = row != NULL ? app_test_find_widget (GTK_WIDGET (row), GTK_TYPE_CHECK_BUTTON) : NULL;

  return check != NULL && gtk_check_button_get_active (GTK_CHECK_BUTTON (check));
}

static GtkEditable *
search_entry (GtkWindow *dialog)
{
  GtkWidget *entry = app_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_SEARCH_ENTRY);

  g_assert_nonnull (entry);

  return GTK_EDITABLE (entry);
}

/* New Group, as its shortcut opens it. */
static GtkWindow *
open_new_group_dialog (Fixture *fixture)
{
  GtkWindow *dialog;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.new-group", NULL));
  wait_until ((dialog = find_toplevel (SOTTO_TYPE_NEW_GROUP_DIALOG)) != NULL);

  return dialog;
}

/* The sidebar's button for a new conversation, which a newcomer looks
 * for first, leads to a new group too, with the username typed. */
static void
test_new_chat_group_button (Fixture       *fixture,
                            gconstpointer  user_data)
{
  AdwMessageDialog *conversation_dialog;
  GtkWidget *button;
  GtkWindow *group_dialog;

  start_alice (fixture);
  activate_alice (fixture);
  button = find_button (GTK_WIDGET (fixture->window), "win.new-conversation");
  g_assert_nonnull (button);
  app_test_click (button);
  wait_until ((conversation_dialog = ADW_MESSAGE_DIALOG (find_toplevel (SOTTO_TYPE_NEW_CONVERSATION_DIALOG))) != NULL);
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (conversation_dialog)), "bob");

  button = find_labelled_button (GTK_WIDGET (conversation_dialog), "New _Group…");
  g_assert_nonnull (button);
  app_test_click (button);
  wait_until ((group_dialog = find_toplevel (SOTTO_TYPE_NEW_GROUP_DIALOG)) != NULL);
  wait_until (find_toplevel (SOTTO_TYPE_NEW_CONVERSATION_DIALOG) == NULL);
  g_assert_cmpstr (gtk_editable_get_text (search_entry (group_dialog)), ==, "bob");
  wait_until (find_row (group_dialog, "Add “bob”") != NULL);
  gtk_window_destroy (group_dialog);
}

/* Alice knows nobody yet: she adds Bob to a new group by his username,
 * as she would start a conversation with him.  What is not a username
 * is said before anything goes to the relay, and a username nobody has
 * is said by the relay's answer. */
static void
test_new_chat_group_by_username (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_auto(GStrv) members = NULL;
  GtkWindow *dialog;
  GtkWidget *view;
  SottoGroup *group;

  start_alice (fixture);
  dialog = open_new_group_dialog (fixture);
  g_assert_true (set_row_text (GTK_WIDGET (dialog), "Group Name", "Climbers"));

  gtk_editable_set_text (search_entry (dialog), "Bo b");
  wait_until (find_row (dialog, "Add “Bo b”") != NULL);
  g_assert_cmpstr (adw_action_row_get_subtitle (find_row (dialog, "Add “Bo b”")), ==,
                   "A username has no spaces or capital letters. Usernames have 3 to 32 characters: "
                   "lowercase letters, digits, dots and underscores.");
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (find_row (dialog, "Add “Bo b”"))));

  gtk_editable_set_text (search_entry (dialog), "nobody");
  wait_until (find_row (dialog, "Add “nobody”") != NULL);
  g_assert_true (gtk_widget_activate (GTK_WIDGET (find_row (dialog, "Add “nobody”"))));
  wait_until (row_says (dialog, "Add “nobody”", "Nobody uses the username “nobody” on your relay. Check the spelling."));

  /* Enter in the search adds the username typed. */
  gtk_editable_set_text (search_entry (dialog), "bob");
  wait_until (find_row (dialog, "Add “bob”") != NULL);
  g_signal_emit_by_name (search_entry (dialog), "activate");
  wait_until (is_chosen (dialog, "bob"));
  g_assert_cmpstr (gtk_editable_get_text (search_entry (dialog)), ==, "");
  g_assert_null (find_row (dialog, "Add “bob”"));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "new-group.create", NULL));
  wait_until (find_toplevel (SOTTO_TYPE_NEW_GROUP_DIALOG) == NULL);
  wait_until ((view = app_test_find_widget (GTK_WIDGET (fixture->window), SOTTO_TYPE_GROUP_VIEW)) != NULL
              && (group = sotto_group_view_get_group (SOTTO_GROUP_VIEW (view))) != NULL);
  g_assert_cmpstr (sotto_group_get_title (group), ==, "Climbers");
  members = sotto_group_dup_member_names (group, FALSE);
  g_assert_true (g_strv_contains ((const char * const *) members, "bob"));
}

/* Carol wrote to Alice first, and waits for an answer: the dialog shows
 * her, with why she cannot be added until Alice accepts her request,
 * instead of leaving her out without a word. */
static void
test_new_chat_group_requests (Fixture       *fixture,
                              gconstpointer  user_data)
{
  static const char request_text[] = "Accept the message request first";
  g_autofree char *carol_profile = page_test_make_profile ();
  SottoConversationList *conversations;
  GtkWindow *dialog;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  g_free (run_cli_as (carol_profile, "register", "--relay", fixture->relay->base_url, "--username", "carol", NULL));
  g_free (run_cli_as (carol_profile, "send", "alice", "hi, it's carol", NULL));
  conversations = sotto_messenger_get_conversations (sotto_window_get_messenger (fixture->window));
  wait_until (sotto_conversation_list_find_by_username (conversations, "carol") != NULL);

  dialog = open_new_group_dialog (fixture);
  wait_until (find_row (dialog, "carol") != NULL);
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (find_row (dialog, "bob"))));
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (find_row (dialog, "carol"))));
  g_assert_cmpstr (adw_action_row_get_subtitle (find_row (dialog, "carol")), ==, request_text);

  /* Typed, she is the same row, with the same reason. */
  gtk_editable_set_text (search_entry (dialog), "carol");
  wait_until (find_row (dialog, "bob") == NULL);
  g_assert_null (find_row (dialog, "Add “carol”"));
  g_assert_cmpstr (adw_action_row_get_subtitle (find_row (dialog, "carol")), ==, request_text);

  gtk_window_destroy (dialog);
  page_test_remove_profile (carol_profile);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/new-chat/group-button", Fixture, NULL,
              fixture_set_up, test_new_chat_group_button, fixture_tear_down);
  g_test_add ("/app/new-chat/group-by-username", Fixture, NULL,
              fixture_set_up, test_new_chat_group_by_username, fixture_tear_down);
  g_test_add ("/app/new-chat/group-requests", Fixture, NULL,
              fixture_set_up, test_new_chat_group_requests, fixture_tear_down);

  return g_test_run ();
}
