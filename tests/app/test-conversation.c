/* test-conversation.c: the app against a real relay and a real peer
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice is this process: the application with its window, driven through
 * the widgets and actions a person uses.  Bob is sotto-cli on a profile
 * of his own.  Between them runs a real sotto-relay (all set up in
 * conversation-fixture.c).  The end-to-end case goes through onboarding,
 * a message each way, the safety-number page (which must show the
 * digits the CLI prints), verification, and a key change that must
 * raise the banner and hold the composer; the other cases each check
 * one behaviour a new user meets.
 */

#define _GNU_SOURCE   /* for memmem() */

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "app-test-util.h"
#include "conversation-fixture.h"
#include "page-test-util.h"
#include "sotto-application.h"
#include "sotto-conversation-list.h"
#include "sotto-conversation-private.h"
#include "sotto-conversation-row.h"
#include "sotto-conversation-view.h"
#include "sotto-message-row.h"
#include "sotto-preferences-window.h"
#include "sotto-request-bar.h"
#include "sotto-safety-number-dialog.h"
#include "sotto-search-results.h"
#include "sotto-message-private.h"
#include "sotto-store-private.h"
#include "sotto-timeline-model.h"
#include "sotto-window.h"

static char *
dialog_digits (SottoSafetyNumberDialog *dialog)
{
  GtkWidget *grid = app_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_GRID);
  GString *digits = g_string_new (NULL);

  g_assert_nonnull (grid);
  /* Twelve groups of five in reading order: row by row, left to right. */
  for (int row = 0; row < 3; row++)
    for (int column = 0; column < 4; column++)
      {
        GtkWidget *label = gtk_grid_get_child_at (GTK_GRID (grid), column, row);

        g_assert_true (GTK_IS_LABEL (label));
        if (digits->len > 0)
          g_string_append_c (digits, ' ');
        g_string_append (digits, gtk_label_get_label (GTK_LABEL (label)));
      }

  return g_string_free (digits, FALSE);
}

static void
test_conversation_end_to_end (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autofree char *marker = g_strdup_printf ("hello bob %08x", g_random_int ());
  g_autofree char *received = NULL;
  g_autofree char *cli_digits = NULL;
  g_autofree char *ui_digits = NULL;
  SottoConversationView *view;
  SottoSafetyNumberDialog *dialog;
  SottoContact *bob;
  GtkWidget *root;

  start_alice (fixture);
  root = GTK_WIDGET (fixture->window);
  open_conversation_with_bob (fixture);
  view = conversation_view (fixture);
  /* The window takes input: nothing left it insensitive. */
  g_assert_true (gtk_widget_is_sensitive (root));
  bob = sotto_conversation_get_contact (sotto_conversation_view_get_conversation (view));

  /* The main controls say what they are to assistive technologies. */
  gtk_test_accessible_assert_property (app_test_find_widget (GTK_WIDGET (view), GTK_TYPE_TEXT_VIEW),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Message");
  gtk_test_accessible_assert_role (app_test_find_widget (GTK_WIDGET (view), GTK_TYPE_LIST_VIEW),
                                   GTK_ACCESSIBLE_ROLE_LIST);
  gtk_test_accessible_assert_property (find_button (GTK_WIDGET (view), "conversation.send"),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Send");
  gtk_test_accessible_assert_property (find_button (GTK_WIDGET (view), "conversation.show-safety-number"),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "Safety Number");
  gtk_test_accessible_assert_property (find_button (root, "win.new-conversation"),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, "New Conversation");

  /* Alice writes; the relay has it once the bubble says "sent". */
  send_from_composer (fixture, marker);
  wait_until (last_message_is (fixture, marker, SOTTO_MESSAGE_STATE_SENT));
  g_assert_nonnull (app_test_find_label (root, marker));

  received = run_cli (fixture, "receive", "--timeout", "2", "--json", NULL);
  g_assert_nonnull (strstr (received, marker));

  /* Bob answers and Alice's timeline shows it.  The window is not the
   * active one (no window manager gives it focus), so a notification
   * goes out too, showing by default the name only. */
  g_free (run_cli (fixture, "send", "alice", "hi alice", NULL));
  wait_until (app_test_find_label (root, "hi alice") != NULL);
  wait_until (has_notification (fixture, "bob: New message"));
  g_assert_false (has_notification (fixture, "bob: hi alice"));

  /* The safety-number page shows the digits the CLI prints for the pair. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "conversation.show-safety-number", NULL));
  wait_until ((dialog = SOTTO_SAFETY_NUMBER_DIALOG (find_toplevel (SOTTO_TYPE_SAFETY_NUMBER_DIALOG))) != NULL);
  ui_digits = dialog_digits (dialog);
  cli_digits = g_strstrip (run_cli (fixture, "safety-number", "alice", NULL));
  g_assert_cmpstr (ui_digits, ==, cli_digits);
  gtk_test_accessible_assert_role (app_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_SWITCH),
                                   GTK_ACCESSIBLE_ROLE_SWITCH);

  /* Comparing with what Bob copied says they match; then Alice verifies. */
  sotto_safety_number_dialog_compare (dialog, cli_digits);
  wait_until (app_test_find_label (GTK_WIDGET (dialog),
                          "The numbers match. Nobody sits between you: you can mark this contact as verified.") != NULL);
  gtk_switch_set_active (GTK_SWITCH (app_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_SWITCH)), TRUE);
  wait_until (sotto_contact_get_verification_state (bob) == SOTTO_VERIFICATION_STATE_VERIFIED);
  gtk_window_destroy (GTK_WINDOW (dialog));

  /* Bob's key changes.  His next message still arrives, and because
   * Alice had verified him the banner explains and the composer waits. */
  g_free (run_cli (fixture, "reset-identity", NULL));
  g_free (run_cli (fixture, "send", "alice", "new key, who dis", NULL));
  wait_until (app_test_find_label (root, "new key, who dis") != NULL);
  wait_until (sotto_contact_get_verification_state (bob) == SOTTO_VERIFICATION_STATE_CHANGED);
  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (app_test_find_widget (GTK_WIDGET (view), GTK_TYPE_REVEALER))));
  g_assert_false (gtk_widget_is_sensitive (app_test_find_widget (GTK_WIDGET (view), GTK_TYPE_TEXT_VIEW)));

  /* Accepting the new number releases the composer. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "conversation.accept-identity", NULL));
  wait_until (sotto_contact_get_verification_state (bob) == SOTTO_VERIFICATION_STATE_UNVERIFIED);
  g_assert_true (gtk_widget_is_sensitive (app_test_find_widget (GTK_WIDGET (view), GTK_TYPE_TEXT_VIEW)));
}

/* A message over the limit is refused before anything is cleared, and
 * the user learns how much to cut. */
static void
test_conversation_too_long (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *kept = NULL;
  GListModel *messages;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  messages = sotto_conversation_get_messages (sotto_conversation_view_get_conversation (conversation_view (fixture)));

  /* Two bytes a character: 64 KiB hold 32768 of them, five are too many. */
  for (guint i = 0; i < 32768 + 5; i++)
    g_string_append (text, "é");
  send_from_composer (fixture, text->str);
  run_main_loop_for (200);

  kept = composer_text (fixture);
  /* Compared without printing: a failure would print 64 KiB twice. */
  g_assert_true (g_str_equal (kept, text->str));
  g_assert_cmpuint (g_list_model_get_n_items (messages), ==, 0);
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (fixture->window), "This message is 5 characters too long to send."));

  /* Cut down to the limit, it can go.  (Not sent here: laying out a
   * bubble of 64 KiB keeps GTK busy for seconds, more under the
   * sanitizers.) */
  g_string_truncate (text, 2 * 32768);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (app_test_find_widget (GTK_WIDGET (conversation_view (fixture)), GTK_TYPE_TEXT_VIEW))),
                            text->str, -1);
  g_assert_true (gtk_widget_is_sensitive (find_button (GTK_WIDGET (conversation_view (fixture)), "conversation.send")));
  g_assert_null (app_test_find_label (GTK_WIDGET (fixture->window), "This message is 5 characters too long to send."));
}

static gboolean
is_label_with_selection (GtkWidget     *widget,
                         gconstpointer  data)
{
  return GTK_IS_LABEL (widget) && gtk_label_get_selection_bounds (GTK_LABEL (widget), NULL, NULL);
}

/* Whether any label below @root has text selected. */
static gboolean
has_selected_text (GtkWidget *root)
{
  return app_test_find_matching (root, is_label_with_selection, NULL) != NULL;
}

/* Collects every shortcut, shown or on another page, and matches none
 * so that the walk goes through them all. */
static gboolean
collect_shortcut (GtkWidget     *widget,
                  gconstpointer  shortcuts)
{
  if (GTK_IS_SHORTCUTS_SHORTCUT (widget))
    g_ptr_array_add ((GPtrArray *) shortcuts, widget);

  return FALSE;
}

/* The keyboard: opening a conversation puts the cursor in the composer,
 * Tab walks the window without selecting a message's text, and the
 * shortcuts window lists every accelerator with its keys. */
static void
test_conversation_keyboard (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(GPtrArray) shortcuts = g_ptr_array_new ();
  g_auto(GStrv) actions = NULL;
  GtkWidget *root;
  GtkWidget *view;
  GtkWindow *overlay;

  start_alice (fixture);
  root = GTK_WIDGET (fixture->window);
  open_conversation_with_bob (fixture);
  view = GTK_WIDGET (conversation_view (fixture));
  wait_until (gtk_window_get_focus (GTK_WINDOW (root)) == app_test_find_widget (view, GTK_TYPE_TEXT_VIEW));

  g_free (run_cli (fixture, "send", "alice", "hi alice", NULL));
  wait_until (app_test_find_label (root, "hi alice") != NULL);

  for (guint i = 0; i < 32; i++)
    {
      gtk_widget_child_focus (root, GTK_DIR_TAB_FORWARD);
      run_main_loop_for (10);
      g_assert_false (has_selected_text (view));
    }

  g_assert_true (gtk_widget_activate_action (root, "win.show-help-overlay", NULL));
  wait_until ((overlay = find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW)) != NULL);
  app_test_find_matching (GTK_WIDGET (overlay), collect_shortcut, shortcuts);
  g_assert_cmpuint (shortcuts->len, >, 0);

  for (guint i = 0; i < shortcuts->len; i++)
    {
      g_autofree char *title = NULL;
      g_autofree char *accelerator = NULL;

      g_object_get (g_ptr_array_index (shortcuts, i), "title", &title, "accelerator", &accelerator, NULL);
      if (accelerator == NULL || accelerator[0] == '\0')
        g_error ("The shortcut “%s” shows no keys", title);
    }

  actions = gtk_application_list_action_descriptions (GTK_APPLICATION (fixture->app));
  for (guint i = 0; actions[i] != NULL; i++)
    {
      g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (fixture->app), actions[i]);
      gboolean listed = FALSE;

      for (guint j = 0; j < shortcuts->len && !listed; j++)
        {
          g_autofree char *action_name = NULL;

          g_object_get (g_ptr_array_index (shortcuts, j), "action-name", &action_name, NULL);
          listed = g_strcmp0 (action_name, actions[i]) == 0;
        }
      if (accels[0] != NULL && !listed)
        g_error ("The shortcuts window does not list %s", actions[i]);
    }
}

/* The safety-number dialog fits a phone, and asks for nothing Sotto
 * cannot do: it shows a code but has no camera to scan one. */
static void
test_conversation_safety_number_narrow (Fixture       *fixture,
                                        gconstpointer  user_data)
{
  SottoSafetyNumberDialog *dialog;
  g_autofree char *explanation = NULL;
  int minimum_width;

  start_alice (fixture);
  open_conversation_with_bob (fixture);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (conversation_view (fixture)),
                                             "conversation.show-safety-number", NULL));
  wait_until ((dialog = SOTTO_SAFETY_NUMBER_DIALOG (find_toplevel (SOTTO_TYPE_SAFETY_NUMBER_DIALOG))) != NULL);

  gtk_widget_measure (GTK_WIDGET (dialog), GTK_ORIENTATION_HORIZONTAL, -1, &minimum_width, NULL, NULL, NULL);
  g_assert_cmpint (minimum_width, <=, 360);

  explanation = g_strdup_printf ("If the numbers on your device and on bob’s device match, your "
                                 "conversation is end-to-end encrypted between the two of you and "
                                 "nobody sits in between. Meet and compare the numbers, or let your "
                                 "contact scan this code.");
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (dialog), explanation));
}

/* The list of conversations: the sidebar's list view, where a row can be
 * selected (the timeline selects a message found by search). */
static gboolean
is_selectable_list (GtkWidget     *widget,
                    gconstpointer  data)
{
  return GTK_IS_LIST_VIEW (widget) && gtk_widget_has_css_class (widget, "navigation-sidebar")
         && GTK_IS_SINGLE_SELECTION (gtk_list_view_get_model (GTK_LIST_VIEW (widget)));
}

static GtkListView *
conversation_list (Fixture *fixture)
{
  return GTK_LIST_VIEW (app_test_find_matching (GTK_WIDGET (fixture->window), is_selectable_list, NULL));
}

static SottoConversation *
highlighted_conversation (Fixture *fixture)
{
  GtkSelectionModel *selection = gtk_list_view_get_model (conversation_list (fixture));

  return gtk_single_selection_get_selected_item (GTK_SINGLE_SELECTION (selection));
}

/* The position of @conversation in the sidebar's list. */
static guint
list_position (Fixture           *fixture,
               SottoConversation *conversation)
{
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (conversation_list (fixture)));

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(SottoConversation) item = g_list_model_get_item (model, i);

      if (item == conversation)
        return i;
    }

  g_assert_not_reached ();
}

/* Whether a folded @leaflet shows the conversation list, not a
 * conversation. */
static gboolean
shows_list_alone (AdwLeaflet *leaflet)
{
  GtkWidget *visible = adw_leaflet_get_visible_child (leaflet);

  return adw_leaflet_get_folded (leaflet) && !adw_leaflet_get_child_transition_running (leaflet)
         && app_test_find_matching (visible, is_selectable_list, NULL) != NULL;
}

static gboolean
is_row_of (GtkWidget     *widget,
           gconstpointer  conversation)
{
  return SOTTO_IS_CONVERSATION_ROW (widget) && gtk_widget_get_mapped (widget)
         && sotto_conversation_row_get_conversation (SOTTO_CONVERSATION_ROW (widget)) == conversation;
}

/* The row in the sidebar's list that shows @conversation. */
static GtkWidget *
row_of (Fixture           *fixture,
        SottoConversation *conversation)
{
  return app_test_find_matching (GTK_WIDGET (conversation_list (fixture)), is_row_of, conversation);
}

/* The list highlights the open conversation, however it was opened and
 * wherever new messages move it. */
static void
test_conversation_list_highlight (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  g_autofree char *carol_profile = page_test_make_profile ();
  SottoConversationList *conversations;
  SottoConversation *bob;
  SottoConversation *carol = NULL;
  AdwLeaflet *leaflet;
  GtkWidget *root;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  bob = open_conversation (fixture);
  /* Opened from the new-conversation dialog. */
  wait_until (highlighted_conversation (fixture) == bob);

  /* Carol writes first; her notification opens her conversation. */
  g_free (run_cli_as (carol_profile, "register", "--relay", fixture->relay->base_url, "--username", "carol", NULL));
  g_free (run_cli_as (carol_profile, "send", "alice", "hi, it's carol", NULL));
  conversations = sotto_messenger_get_conversations (sotto_window_get_messenger (fixture->window));
  wait_until ((carol = sotto_conversation_list_find_by_username (conversations, "carol")) != NULL);
  g_assert_true (highlighted_conversation (fixture) == bob);
  g_assert_true (sotto_window_open_conversation (fixture->window,
                                                 sotto_contact_get_uuid (sotto_conversation_get_contact (carol))));
  g_assert_true (open_conversation (fixture) == carol);
  g_assert_true (highlighted_conversation (fixture) == carol);

  /* Bob's message moves his conversation; the highlight stays on Carol. */
  g_free (run_cli (fixture, "send", "alice", "bob again", NULL));
  wait_until (sotto_conversation_get_unread_count (bob) > 0);
  run_main_loop_for (100);
  g_assert_true (open_conversation (fixture) == carol);
  g_assert_true (highlighted_conversation (fixture) == carol);

  /* Switching back by activating Bob's row (Enter, or a double click). */
  g_signal_emit_by_name (conversation_list (fixture), "activate", list_position (fixture, bob));
  g_assert_true (open_conversation (fixture) == bob);
  g_assert_true (highlighted_conversation (fixture) == bob);

  /* And by selecting Carol's row, as a click or the arrow keys do. */
  gtk_selection_model_select_item (gtk_list_view_get_model (conversation_list (fixture)),
                                   list_position (fixture, carol), TRUE);
  g_assert_true (open_conversation (fixture) == carol);
  g_assert_true (highlighted_conversation (fixture) == carol);

  /* In a narrow window that shows the list alone, the arrow keys move
   * the highlight and open nothing; Enter opens the highlighted row,
   * and so does a click. */
  root = GTK_WIDGET (fixture->window);
  leaflet = ADW_LEAFLET (app_test_find_widget (root, ADW_TYPE_LEAFLET));
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 360, 640);
  wait_until (adw_leaflet_get_folded (leaflet));
  g_assert_true (gtk_widget_activate_action (root, "win.show-sidebar", NULL));
  wait_until (shows_list_alone (leaflet));
  activate_alice (fixture);
  gtk_widget_grab_focus (GTK_WIDGET (conversation_list (fixture)));
  app_test_press (GTK_WINDOW (root), "Home");
  wait_until (highlighted_conversation (fixture) == bob);
  app_test_press (GTK_WINDOW (root), "Down");
  wait_until (highlighted_conversation (fixture) == carol);
  app_test_press (GTK_WINDOW (root), "Up");
  wait_until (highlighted_conversation (fixture) == bob);
  g_assert_true (shows_list_alone (leaflet));
  app_test_press (GTK_WINDOW (root), "Return");
  wait_until (!shows_list_alone (leaflet));
  g_assert_true (open_conversation (fixture) == bob);

  g_assert_true (gtk_widget_activate_action (root, "win.show-sidebar", NULL));
  wait_until (shows_list_alone (leaflet) && conversation_view (fixture) == NULL);
  app_test_click (row_of (fixture, carol));
  wait_until (!shows_list_alone (leaflet));
  g_assert_true (open_conversation (fixture) == carol);
}

static void
assert_same_bounds (const graphene_rect_t *a,
                    const graphene_rect_t *b)
{
  g_assert_cmpfloat (a->origin.x, ==, b->origin.x);
  g_assert_cmpfloat (a->origin.y, ==, b->origin.y);
}

/* Errors a new user meets, in words: a username checked as it is typed
 * (Register stays off meanwhile, and comes back where it was), a relay that
 * cannot be reached, a taken username, an address typed without its
 * scheme, and an unknown username in the new-conversation dialog, which
 * stays open with what was typed. */
static void
test_conversation_errors (Fixture       *fixture,
                          gconstpointer  user_data)
{
  static const char too_short[] = "A username has at least 3 characters. Usernames have 3 to 32 characters: "
                                  "lowercase letters, digits, dots and underscores.";
  static const char not_a_username[] = "A username has no capital letters. Usernames have 3 to 32 characters: "
                                       "lowercase letters, digits, dots and underscores.";
  g_autoptr(GFile) profile = g_file_new_for_path (fixture->alice_profile);
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) relay_uri = g_uri_parse (fixture->relay->base_url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *bare_relay = g_strdup_printf ("localhost:%d", g_uri_get_port (relay_uri));
  AdwMessageDialog *dialog;
  GtkWidget *register_button;
  graphene_rect_t before, after;
  GtkWidget *root;

  fixture->app = sotto_application_new (APPLICATION_ID, G_APPLICATION_NON_UNIQUE);
  sotto_application_set_profile (fixture->app, profile);
  g_application_register (G_APPLICATION (fixture->app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (fixture->app));
  fixture->window = SOTTO_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (fixture->app)));
  root = GTK_WIDGET (fixture->window);
  wait_until (page_is (fixture, "passphrase"));
  g_assert_true (set_row_text (root, "Passphrase", passphrase));
  g_assert_true (set_row_text (root, "Confirm Passphrase", passphrase));
  g_assert_true (gtk_widget_activate_action (root, "win.unlock", NULL));
  wait_until (page_is (fixture, "welcome"));

  /* Typing: no error at the first character, one once the user pauses. */
  g_assert_true (set_row_text (root, "Username", "a"));
  run_main_loop_for (100);
  g_assert_null (app_test_find_label (root, too_short));
  wait_until (app_test_find_label (root, too_short) != NULL);

  /* A character no username has is said at once, and Register is off
   * until the username is right, then back in its place. */
  g_assert_true (set_row_text (root, "Relay Address", "127.0.0.1:1"));
  g_assert_true (set_row_text (root, "Username", "alice"));
  register_button = find_labelled_button (root, "_Register");
  g_assert_nonnull (register_button);
  run_main_loop_for (100);
  g_assert_true (gtk_widget_compute_bounds (register_button, root, &before));
  g_assert_true (set_row_text (root, "Username", "Alice!"));
  g_assert_nonnull (app_test_find_label (root, not_a_username));
  g_assert_false (gtk_widget_is_sensitive (register_button));

  /* A relay nobody answers at; the spinner said what it was doing. */
  g_assert_true (set_row_text (root, "Username", "alice"));
  run_main_loop_for (100);
  g_assert_true (gtk_widget_compute_bounds (register_button, root, &after));
  assert_same_bounds (&before, &after);
  g_assert_true (gtk_widget_activate_action (root, "win.register", NULL));
  g_assert_true (page_is (fixture, "loading"));
  run_main_loop_for (50);
  g_assert_nonnull (app_test_find_label (root, "Creating the account alice on http://127.0.0.1:1…"));
  wait_until (page_is (fixture, "welcome"));
  g_assert_nonnull (app_test_find_label (root, "Sotto could not reach the relay at http://127.0.0.1:1. "
                                      "Check the address and your connection."));

  /* The relay's address as people type it; a username already taken. */
  g_assert_true (set_row_text (root, "Relay Address", bare_relay));
  g_assert_true (set_row_text (root, "Username", "bob"));
  g_assert_true (gtk_widget_activate_action (root, "win.register", NULL));
  wait_until (app_test_find_label (root, "The username “bob” is taken. Choose another one.") != NULL);
  g_assert_true (page_is (fixture, "welcome"));

  g_assert_true (set_row_text (root, "Username", "alice"));
  g_assert_true (gtk_widget_activate_action (root, "win.register", NULL));
  wait_until (page_is (fixture, "chats"));

  /* Nobody is called "nobody": the dialog says so and keeps the text. */
  g_assert_true (gtk_widget_activate_action (root, "win.new-conversation", NULL));
  wait_until ((dialog = ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG))) != NULL);
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), "nobody");
  g_signal_emit_by_name (find_labelled_button (GTK_WIDGET (dialog), "_Start"), "clicked");
  wait_until (g_strcmp0 (adw_message_dialog_get_body (dialog),
                         "Nobody uses the username “nobody” on your relay. Check the spelling.") == 0);
  run_main_loop_for (100);
  g_assert_true (find_toplevel (ADW_TYPE_MESSAGE_DIALOG) == GTK_WINDOW (dialog));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog))), ==, "nobody");

  /* Corrected, it opens the conversation and goes. */
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), "bob");
  g_signal_emit_by_name (find_labelled_button (GTK_WIDGET (dialog), "_Start"), "clicked");
  wait_until (conversation_view (fixture) != NULL && open_conversation (fixture) != NULL);
  wait_until (find_toplevel (ADW_TYPE_MESSAGE_DIALOG) == NULL);
}

/* The state Bob's copy of his message @text is in, as sotto-cli's
 * history prints it after receiving what waited for him. */
static char *
bob_sees_state (Fixture    *fixture,
                const char *text)
{
  return peer_sees_state (fixture->bob_profile, text);
}

/* What Bob sees of his message @text once it is @state (@reached) or
 * once it no longer is (!@reached): receipts take their time through
 * the relay, and Alice's window keeps running while Bob asks again. */
static char *
bob_polls_state (Fixture    *fixture,
                 const char *text,
                 const char *state,
                 gboolean    reached)
{
  gint64 deadline = g_get_monotonic_time () + APP_TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *seen = bob_sees_state (fixture, text);

      if ((g_strcmp0 (seen, state) == 0) == reached)
        return g_steal_pointer (&seen);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      run_main_loop_for (100);
    }
}

/* Messages a long conversation holds: many pages of the timeline. */
#define LONG_HISTORY 3000

/* Gives Alice's conversation with Bob a history of LONG_HISTORY
 * messages, "history 0" the oldest. */
static void
add_long_history (Fixture *fixture)
{
  write_history (fixture, LONG_HISTORY, "history", FALSE);
}

/* Whether the row of the message labelled @text is entirely inside the
 * timeline's scrolled window, on screen. */
static gboolean
message_on_screen (SottoConversationView *view,
                   const char            *text)
{
  GtkWidget *label = app_test_find_label (GTK_WIDGET (view), text);
  GtkWidget *scroller = gtk_widget_get_ancestor (app_test_find_widget (GTK_WIDGET (view), GTK_TYPE_LIST_VIEW),
                                                 GTK_TYPE_SCROLLED_WINDOW);
  graphene_rect_t bounds;

  if (label == NULL
      || !gtk_widget_compute_bounds (gtk_widget_get_ancestor (label, SOTTO_TYPE_MESSAGE_ROW), scroller, &bounds))
    return FALSE;

  return bounds.origin.y >= 0 && bounds.size.height > 0
         && bounds.origin.y + bounds.size.height <= gtk_widget_get_height (scroller) + 1;
}

/* How many rows the timeline's list view has to lay out. */
static guint
timeline_rows (SottoConversationView *view)
{
  GtkListView *timeline = GTK_LIST_VIEW (app_test_find_widget (GTK_WIDGET (view), GTK_TYPE_LIST_VIEW));

  return g_list_model_get_n_items (G_LIST_MODEL (gtk_list_view_get_model (timeline)));
}

/* How many message rows below @root the list view has built, and how
 * many of them are on the screen of @scroller. */
static void
count_message_rows (GtkWidget *root,
                    GtkWidget *scroller,
                    guint     *built,
                    guint     *on_screen)
{
  graphene_rect_t bounds;

  if (SOTTO_IS_MESSAGE_ROW (root))
    {
      (*built)++;
      if (gtk_widget_get_mapped (root)
          && gtk_widget_compute_bounds (root, scroller, &bounds)
          && bounds.origin.y + bounds.size.height > 0
          && bounds.origin.y < gtk_widget_get_height (scroller))
        (*on_screen)++;
      return;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    count_message_rows (child, scroller, built, on_screen);
}

/* Scrolls the timeline to its top as a reader does, again until the view
 * has left the end: the list view may still be placing the newest
 * message it was asked to show. */
static void
scroll_to_top (SottoConversationView *view,
               GtkAdjustment         *adjustment)
{
  wait_until ((gtk_adjustment_set_value (adjustment, 0),
               run_main_loop_for (100),
               !sotto_conversation_view_get_at_end (view)));
}

/* With "Send Read Receipts" off in Preferences, messages Alice reads are
 * read for her and only delivered for Bob; back on, Bob sees "read", but
 * only for messages that were on screen. */
static void
test_conversation_read_receipts (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  SottoPreferencesWindow *preferences;
  SottoConversation *bob;
  g_autofree char *state = NULL;
  g_autofree char *state_unseen = NULL;
  GtkScrolledWindow *scroller;
  GtkAdjustment *adjustment;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  bob = open_conversation (fixture);

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "preferences", NULL);
  wait_until ((preferences = SOTTO_PREFERENCES_WINDOW (find_toplevel (SOTTO_TYPE_PREFERENCES_WINDOW))) != NULL);
  gtk_switch_set_active (GTK_SWITCH (app_test_find_widget (GTK_WIDGET (preferences), GTK_TYPE_SWITCH)), FALSE);
  gtk_window_destroy (GTK_WINDOW (preferences));
  activate_alice (fixture);

  g_free (run_cli (fixture, "send", "alice", "read me quietly", NULL));
  wait_until (app_test_find_label (GTK_WIDGET (fixture->window), "read me quietly") != NULL);
  wait_until (sotto_conversation_get_unread_count (bob) == 0);
  state = bob_polls_state (fixture, "read me quietly", "sent", FALSE);
  g_assert_cmpstr (state, ==, "delivered");

  /* The same path with receipts on does tell Bob.  Receipts go out in
   * order: once this one has arrived, one for the message before would
   * have too, and there is none. */
  g_settings_set_boolean (sotto_application_get_settings (fixture->app), "send-read-receipts", TRUE);
  g_free (run_cli (fixture, "send", "alice", "read me aloud", NULL));
  wait_until (app_test_find_label (GTK_WIDGET (fixture->window), "read me aloud") != NULL);
  wait_until (sotto_conversation_get_unread_count (bob) == 0);
  g_free (bob_polls_state (fixture, "read me aloud", "read", TRUE));
  g_free (state);
  state = bob_sees_state (fixture, "read me quietly");
  g_assert_cmpstr (state, ==, "delivered");

  /* A message that arrives while Alice reads older ones is not on screen,
   * so it is not read, until she scrolls down to it. */
  for (guint i = 0; i < 24; i++)
    {
      g_autofree char *text = g_strdup_printf ("filler %u", i);

      send_from_composer (fixture, text);
      wait_until (last_message_is (fixture, text, SOTTO_MESSAGE_STATE_QUEUED));
    }
  scroller = GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (app_test_find_widget (GTK_WIDGET (conversation_view (fixture)),
                                                                        GTK_TYPE_LIST_VIEW),
                                                           GTK_TYPE_SCROLLED_WINDOW));
  adjustment = gtk_scrolled_window_get_vadjustment (scroller);
  wait_until (gtk_adjustment_get_upper (adjustment) > 2 * gtk_adjustment_get_page_size (adjustment));
  scroll_to_top (conversation_view (fixture), adjustment);

  /* Its delivery receipt reaches Bob, and the read one does not: Alice
   * has not seen it. */
  g_free (run_cli (fixture, "send", "alice", "below the fold", NULL));
  wait_until (sotto_conversation_get_unread_count (bob) == 1);
  state_unseen = bob_polls_state (fixture, "below the fold", "sent", FALSE);
  g_assert_cmpstr (state_unseen, ==, "delivered");
  g_assert_cmpuint (sotto_conversation_get_unread_count (bob), ==, 1);

  /* Scrolled down to it, it is read, and Bob learns so. */
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
  wait_until (sotto_conversation_get_unread_count (bob) == 0);
  g_free (bob_polls_state (fixture, "below the fold", "read", TRUE));
}

/* Whether any file in @directory holds @text as it is. */
static gboolean
directory_contains (const char *directory,
                    const char *text)
{
  g_autoptr(GDir) dir = g_dir_open (directory, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (directory, name, NULL);
      g_autofree char *contents = NULL;
      gsize length;

      if (g_file_get_contents (path, &contents, &length, NULL)
          && memmem (contents, length, text, strlen (text)) != NULL)
        return TRUE;
    }

  return FALSE;
}

/* A draft per conversation: kept when switching, shown as "Draft" in the
 * list, and still there when the window opens again, from the encrypted
 * store (no plaintext of it on disk). */
static void
test_conversation_drafts (Fixture       *fixture,
                          gconstpointer  user_data)
{
  static const char draft[] = "half a thought, not sent";
  g_autofree char *carol_profile = page_test_make_profile ();
  g_autofree char *kept = NULL;
  g_autofree char *restored = NULL;
  g_autofree char *carols_composer = NULL;
  SottoConversationList *conversations;
  SottoConversation *bob;
  SottoConversation *carol = NULL;
  g_autofree char *bob_uuid = NULL;
  GtkWidget *root;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  bob = open_conversation (fixture);
  bob_uuid = g_strdup (sotto_contact_get_uuid (sotto_conversation_get_contact (bob)));

  g_free (run_cli_as (carol_profile, "register", "--relay", fixture->relay->base_url, "--username", "carol", NULL));
  g_free (run_cli_as (carol_profile, "send", "alice", "hi, it's carol", NULL));
  conversations = sotto_messenger_get_conversations (sotto_window_get_messenger (fixture->window));
  wait_until ((carol = sotto_conversation_list_find_by_username (conversations, "carol")) != NULL);

  /* Alice starts writing to Bob, then looks at Carol's message. */
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (app_test_find_widget (GTK_WIDGET (conversation_view (fixture)),
                                                                                   GTK_TYPE_TEXT_VIEW))),
                            draft, -1);
  g_assert_true (sotto_window_open_conversation (fixture->window,
                                                 sotto_contact_get_uuid (sotto_conversation_get_contact (carol))));
  /* Carol wrote first: her conversation is a request until accepted. */
  g_assert_true (gtk_widget_activate_action (app_test_find_widget (GTK_WIDGET (conversation_view (fixture)),
                                                                   SOTTO_TYPE_REQUEST_BAR),
                                             "request.accept", NULL));
  wait_until (app_test_find_widget (GTK_WIDGET (conversation_view (fixture)), GTK_TYPE_TEXT_VIEW) != NULL);
  carols_composer = composer_text (fixture);
  g_assert_cmpstr (carols_composer, ==, "");
  wait_until (app_test_find_label (GTK_WIDGET (fixture->window), "Draft: half a thought, not sent") != NULL);

  g_assert_true (sotto_window_open_conversation (fixture->window, bob_uuid));
  kept = composer_text (fixture);
  g_assert_cmpstr (kept, ==, draft);

  /* Closed and opened again, the window finds the draft in the store,
   * which holds no plaintext of it. */
  reopen_alice (fixture);
  g_assert_false (directory_contains (fixture->alice_profile, draft));
  root = GTK_WIDGET (fixture->window);
  wait_until (app_test_find_label (root, "Draft: half a thought, not sent") != NULL);
  g_assert_true (sotto_window_open_conversation (fixture->window, bob_uuid));
  restored = composer_text (fixture);
  g_assert_cmpstr (restored, ==, draft);

  /* Sent, it is a draft no more. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (conversation_view (fixture)), "conversation.send", NULL));
  wait_until (app_test_find_label (root, "Draft: half a thought, not sent") == NULL);
}

/* Quitting (Ctrl+Q) right after typing keeps what was typed: the
 * windows close and store their drafts rather than the application
 * stopping at once, and the next window finds the draft. */
static void
test_conversation_quit_keeps_draft (Fixture       *fixture,
                                    gconstpointer  user_data)
{
  static const char draft[] = "typed just before quitting";
  g_autofree char *bob_uuid = NULL;
  g_autofree char *restored = NULL;
  SottoConversation *bob;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  bob = open_conversation (fixture);
  bob_uuid = g_strdup (sotto_contact_get_uuid (sotto_conversation_get_contact (bob)));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (app_test_find_widget (GTK_WIDGET (conversation_view (fixture)),
                                                                                   GTK_TYPE_TEXT_VIEW))),
                            draft, -1);

  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "quit", NULL);
  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (fixture->app)));
  fixture->window = NULL;
  run_main_loop_for (1000);

  unlock_alice (fixture);
  g_assert_true (sotto_window_open_conversation (fixture->window, bob_uuid));
  restored = composer_text (fixture);
  g_assert_cmpstr (restored, ==, draft);
}

/* The timeline: at the bottom, new messages keep it there; scrolled up,
 * a button leads back with the number of new messages, and a divider
 * marks where they start. */
static void
test_conversation_timeline (Fixture       *fixture,
                            gconstpointer  user_data)
{
  SottoConversationView *view;
  SottoConversation *bob;
  GtkAdjustment *adjustment;
  GtkWidget *jump;
  GtkWidget *divider;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  view = conversation_view (fixture);
  bob = open_conversation (fixture);
  activate_alice (fixture);

  for (guint i = 0; i < 24; i++)
    {
      g_autofree char *text = g_strdup_printf ("filler %u", i);

      send_from_composer (fixture, text);
      wait_until (last_message_is (fixture, text, SOTTO_MESSAGE_STATE_QUEUED));
    }
  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (app_test_find_widget (GTK_WIDGET (view), GTK_TYPE_LIST_VIEW),
                                                                                                  GTK_TYPE_SCROLLED_WINDOW)));
  wait_until (gtk_adjustment_get_upper (adjustment) > 2 * gtk_adjustment_get_page_size (adjustment));

  /* At the bottom, an answer keeps the view there. */
  g_free (run_cli (fixture, "send", "alice", "while you watch", NULL));
  wait_until (app_test_find_label (GTK_WIDGET (view), "while you watch") != NULL);
  run_main_loop_for (300);
  g_assert_true (sotto_conversation_view_get_at_end (view));
  g_assert_null (find_button (GTK_WIDGET (view), "conversation.scroll-to-end"));
  wait_until (sotto_conversation_get_unread_count (bob) == 0);

  /* Scrolled up, two messages come: the button says so. */
  scroll_to_top (view, adjustment);
  wait_until ((jump = find_button (GTK_WIDGET (view), "conversation.scroll-to-end")) != NULL);
  g_free (run_cli (fixture, "send", "alice", "first new one", NULL));
  g_free (run_cli (fixture, "send", "alice", "second new one", NULL));
  wait_until (sotto_conversation_get_unread_count (bob) == 2);
  g_assert_nonnull (app_test_find_label (jump, "2"));
  g_assert_false (sotto_conversation_view_get_at_end (view));
  /* The button floats over the messages, in the light and the dark
   * style: nothing that scrolls behind it shows through it. */
  for (guint i = 0; i < 2; i++)
    {
      adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                          i == 0 ? ADW_COLOR_SCHEME_FORCE_LIGHT : ADW_COLOR_SCHEME_FORCE_DARK);
      wait_until (adw_style_manager_get_dark (adw_style_manager_get_default ()) == (i == 1));
      g_assert_cmpuint (app_test_alpha_at (jump, gtk_widget_get_width (jump) / 2, 3), ==, 255);
      g_assert_cmpuint (app_test_alpha_at (jump, 12, gtk_widget_get_height (jump) / 2), ==, 255);
    }
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  /* The button leads to them, below the divider, and they are read. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "conversation.scroll-to-end", NULL));
  wait_until (sotto_conversation_view_get_at_end (view));
  wait_until (app_test_find_label (GTK_WIDGET (view), "second new one") != NULL);
  divider = app_test_find_label (GTK_WIDGET (view), "New Messages");
  g_assert_nonnull (divider);
  g_assert_true (gtk_widget_is_ancestor (divider, gtk_widget_get_ancestor (app_test_find_label (GTK_WIDGET (view), "first new one"),
                                                                            SOTTO_TYPE_MESSAGE_ROW)));
  wait_until (sotto_conversation_get_unread_count (bob) == 0);
  wait_until (find_button (GTK_WIDGET (view), "conversation.scroll-to-end") == NULL);
}

/* Whether the "New Messages" divider is in sight in @view's timeline. */
static gboolean
divider_on_screen (SottoConversationView *view)
{
  GtkWidget *divider = app_test_find_label (GTK_WIDGET (view), "New Messages");
  GtkWidget *scroller = gtk_widget_get_ancestor (app_test_find_widget (GTK_WIDGET (view), GTK_TYPE_LIST_VIEW),
                                                 GTK_TYPE_SCROLLED_WINDOW);
  graphene_rect_t bounds;

  if (divider == NULL || !gtk_widget_compute_bounds (divider, scroller, &bounds))
    return FALSE;

  return bounds.origin.y >= 0 && bounds.size.height > 0
         && bounds.origin.y + bounds.size.height <= gtk_widget_get_height (scroller);
}

/* Messages Bob wrote while Alice was away: her conversation opens where
 * they start, at the divider, with the first of them in sight; those are
 * read, and the ones further down only once the user has scrolled down
 * to them. */
static void
test_conversation_unread_divider (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  SottoConversationView *view;
  SottoConversation *bob;
  GtkAdjustment *adjustment;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  send_from_composer (fixture, "tell me everything");
  wait_until (last_message_is (fixture, "tell me everything", SOTTO_MESSAGE_STATE_SENT));
  write_history (fixture, 28, "while away", TRUE);
  activate_alice (fixture);
  wait_until ((bob = sotto_conversation_list_find_by_username (sotto_messenger_get_conversations (sotto_window_get_messenger (fixture->window)),
                                                                 "bob")) != NULL
              && sotto_conversation_get_unread_count (bob) == 28);
  g_assert_true (sotto_window_open_conversation (fixture->window,
                                                 sotto_contact_get_uuid (sotto_conversation_get_contact (bob))));
  view = conversation_view (fixture);

  wait_until (divider_on_screen (view) && message_on_screen (view, "while away 0"));
  app_test_wait_for_paint (GTK_WIDGET (view));
  g_assert_true (divider_on_screen (view));
  g_assert_false (sotto_conversation_view_get_at_end (view));
  g_assert_nonnull (find_button (GTK_WIDGET (view), "conversation.scroll-to-end"));
  wait_until (sotto_conversation_get_unread_count (bob) < 28);
  run_main_loop_for (1000);
  g_assert_cmpuint (sotto_conversation_get_unread_count (bob), >, 0);
  g_assert_true (divider_on_screen (view));

  /* Read down to the newest, half a screen at a time as a reader goes,
   * they are read. */
  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (app_test_find_widget (GTK_WIDGET (view), GTK_TYPE_LIST_VIEW),
                                                                                                  GTK_TYPE_SCROLLED_WINDOW)));
  wait_until ((gtk_adjustment_set_value (adjustment, gtk_adjustment_get_value (adjustment)
                                                     + gtk_adjustment_get_page_size (adjustment) / 2),
               run_main_loop_for (800),
               sotto_conversation_get_unread_count (bob) == 0));
  g_assert_true (message_on_screen (view, "while away 27"));
}

/* Delete for Me, from the message menu: the message goes from the
 * timeline and from the store, the other messages stay in order, and
 * the list's preview follows. */
static void
test_conversation_delete_for_me (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autofree char *bob_uuid = NULL;
  SottoConversation *bob;
  GtkWidget *view;
  GtkWidget *row;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  bob = open_conversation (fixture);
  bob_uuid = g_strdup (sotto_contact_get_uuid (sotto_conversation_get_contact (bob)));
  g_free (run_cli (fixture, "send", "alice", "first of three", NULL));
  g_free (run_cli (fixture, "send", "alice", "delete me", NULL));
  g_free (run_cli (fixture, "send", "alice", "last of three", NULL));
  view = GTK_WIDGET (conversation_view (fixture));
  wait_until (app_test_find_label (view, "last of three") != NULL);

  row = gtk_widget_get_ancestor (app_test_find_label (view, "delete me"), SOTTO_TYPE_MESSAGE_ROW);
  g_assert_true (gtk_widget_activate_action (row, "message.delete", NULL));
  wait_until (app_test_find_label (view, "delete me") == NULL);
  /* The list is read again: the page with the first message comes back. */
  wait_until (app_test_find_label (view, "last of three") != NULL && app_test_find_label (view, "first of three") != NULL);
  g_assert_cmpuint (g_list_model_get_n_items (sotto_conversation_get_messages (bob)), ==, 2);

  /* The newest one deleted, the list shows the one before. */
  row = gtk_widget_get_ancestor (app_test_find_label (view, "last of three"), SOTTO_TYPE_MESSAGE_ROW);
  g_assert_true (gtk_widget_activate_action (row, "message.delete", NULL));
  wait_until (g_strcmp0 (sotto_conversation_get_last_message_preview (bob), "first of three") == 0);

  /* And so it stays, read from the store again. */
  reopen_alice (fixture);
  g_assert_true (sotto_window_open_conversation (fixture->window, bob_uuid));
  view = GTK_WIDGET (conversation_view (fixture));
  wait_until (app_test_find_label (view, "first of three") != NULL);
  g_assert_null (app_test_find_label (view, "delete me"));
  g_assert_null (app_test_find_label (view, "last of three"));
  g_assert_cmpuint (g_list_model_get_n_items (sotto_conversation_get_messages (open_conversation (fixture))), ==, 1);
}

/* A long conversation opens on its newest message, with only its newest
 * page in the list view, so that GTK never walks the whole history to
 * reach the end; scrolling up brings older pages, and End goes back. */
static void
test_conversation_long (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autofree char *bob_uuid = NULL;
  g_autofree char *newest = g_strdup_printf ("history %u", LONG_HISTORY - 1);
  SottoConversationView *view;
  GtkAdjustment *adjustment;
  GtkWidget *scroller;
  guint built = 0;
  guint on_screen = 0;
  guint rows;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  bob_uuid = g_strdup (sotto_contact_get_uuid (sotto_conversation_get_contact (open_conversation (fixture))));
  add_long_history (fixture);

  g_assert_true (sotto_window_open_conversation (fixture->window, bob_uuid));
  view = conversation_view (fixture);
  wait_until (message_on_screen (view, newest));
  run_main_loop_for (300);
  g_assert_true (message_on_screen (view, newest));
  g_assert_true (sotto_conversation_view_get_at_end (view));
  g_assert_cmpuint (timeline_rows (view), <=, 2 * SOTTO_TIMELINE_MODEL_PAGE_SIZE);

  /* The list view builds and measures a row for every message it is
   * given, and that is what opening a conversation costs: it is given
   * about what fills the screen, not a fixed page of them. */
  scroller = gtk_widget_get_ancestor (app_test_find_widget (GTK_WIDGET (view), GTK_TYPE_LIST_VIEW),
                                      GTK_TYPE_SCROLLED_WINDOW);
  count_message_rows (GTK_WIDGET (view), scroller, &built, &on_screen);
  g_assert_cmpuint (on_screen, >, 0);
  g_assert_cmpuint (built, <=, 2 * on_screen);

  /* Up past the first page, older messages come in above. */
  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));
  rows = timeline_rows (view);
  scroll_to_top (view, adjustment);
  wait_until ((gtk_adjustment_set_value (adjustment, 0),
               run_main_loop_for (100),
               timeline_rows (view) >= rows + 2 * SOTTO_TIMELINE_MODEL_PAGE_SIZE));
  g_assert_false (message_on_screen (view, newest));
  g_assert_false (sotto_conversation_view_get_at_end (view));

  /* End leads back to the newest. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "conversation.scroll-to-end", NULL));
  wait_until (sotto_conversation_view_get_at_end (view) && message_on_screen (view, newest));
  g_assert_cmpuint (timeline_rows (view), <=, 2 * SOTTO_TIMELINE_MODEL_PAGE_SIZE);
}

/* Search finds a message by its text, deep in a long conversation, and
 * the match opens the conversation on that message, selected.  Nothing
 * about the text reaches the disk for it. */
static void
test_conversation_search (Fixture       *fixture,
                          gconstpointer  user_data)
{
  const char *wanted = "history 1234";
  SottoConversationView *view;
  GtkWidget *root;
  GtkWidget *entry;
  GtkWidget *results;
  GtkWidget *label;
  GtkWidget *row;
  graphene_rect_t bounds;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  add_long_history (fixture);
  root = GTK_WIDGET (fixture->window);

  g_assert_true (gtk_widget_activate_action (root, "win.search", NULL));
  wait_until ((entry = app_test_find_widget (root, GTK_TYPE_SEARCH_ENTRY)) != NULL);
  gtk_editable_set_text (GTK_EDITABLE (entry), wanted);
  wait_until ((results = app_test_find_widget (root, SOTTO_TYPE_SEARCH_RESULTS)) != NULL
              && (label = app_test_find_label (results, wanted)) != NULL);
  g_assert_cmpuint (sotto_search_results_get_n_matches (SOTTO_SEARCH_RESULTS (results)), ==, 1);
  row = gtk_widget_get_ancestor (label, GTK_TYPE_LIST_BOX_ROW);

  /* No name matches: the messages found start at the top of the
   * sidebar, below their heading. */
  app_test_wait_for_paint (row);
  g_assert_true (gtk_widget_compute_bounds (row, gtk_widget_get_ancestor (results, GTK_TYPE_STACK), &bounds));
  g_assert_cmpfloat (bounds.origin.y, <, 60);

  /* Tab from the search goes to the first match, which shows the focus. */
  activate_alice (fixture);
  gtk_widget_grab_focus (entry);
  app_test_press (GTK_WINDOW (root), "Tab");
  wait_until (gtk_window_get_focus (GTK_WINDOW (root)) != NULL
              && !gtk_widget_is_ancestor (gtk_window_get_focus (GTK_WINDOW (root)), entry));
  g_assert_true (gtk_window_get_focus (GTK_WINDOW (root)) == row);
  wait_until (gtk_widget_get_state_flags (row) & GTK_STATE_FLAG_FOCUS_VISIBLE);

  g_assert_true (gtk_widget_activate (row));
  view = conversation_view (fixture);
  wait_until (message_on_screen (view, wanted));
  row = gtk_widget_get_ancestor (app_test_find_label (GTK_WIDGET (view), wanted), SOTTO_TYPE_MESSAGE_ROW);
  g_assert_true (gtk_widget_get_state_flags (gtk_widget_get_parent (row)) & GTK_STATE_FLAG_SELECTED);
  g_assert_false (sotto_conversation_view_get_at_end (view));

  g_assert_false (directory_contains (fixture->alice_profile, wanted));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add ("/app/conversation/end-to-end", Fixture, NULL,
              fixture_set_up, test_conversation_end_to_end, fixture_tear_down);
  g_test_add ("/app/conversation/too-long", Fixture, NULL,
              fixture_set_up, test_conversation_too_long, fixture_tear_down);
  g_test_add ("/app/conversation/keyboard", Fixture, NULL,
              fixture_set_up, test_conversation_keyboard, fixture_tear_down);
  g_test_add ("/app/conversation/safety-number-narrow", Fixture, NULL,
              fixture_set_up, test_conversation_safety_number_narrow, fixture_tear_down);
  g_test_add ("/app/conversation/list-highlight", Fixture, NULL,
              fixture_set_up, test_conversation_list_highlight, fixture_tear_down);
  g_test_add ("/app/conversation/errors", Fixture, NULL,
              fixture_set_up, test_conversation_errors, fixture_tear_down);
  g_test_add ("/app/conversation/read-receipts", Fixture, NULL,
              fixture_set_up, test_conversation_read_receipts, fixture_tear_down);
  g_test_add ("/app/conversation/drafts", Fixture, NULL,
              fixture_set_up, test_conversation_drafts, fixture_tear_down);
  g_test_add ("/app/conversation/quit-keeps-draft", Fixture, NULL,
              fixture_set_up, test_conversation_quit_keeps_draft, fixture_tear_down);
  g_test_add ("/app/conversation/timeline", Fixture, NULL,
              fixture_set_up, test_conversation_timeline, fixture_tear_down);
  g_test_add ("/app/conversation/unread-divider", Fixture, NULL,
              fixture_set_up, test_conversation_unread_divider, fixture_tear_down);
  g_test_add ("/app/conversation/delete-for-me", Fixture, NULL,
              fixture_set_up, test_conversation_delete_for_me, fixture_tear_down);

  g_test_add ("/app/conversation/long", Fixture, NULL,
              fixture_set_up, test_conversation_long, fixture_tear_down);
  g_test_add ("/app/conversation/search", Fixture, NULL,
              fixture_set_up, test_conversation_search, fixture_tear_down);

  return g_test_run ();
}
