/* test-requests.c: messages from strangers, in the real window
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice is the app in this process, the strangers are sotto-cli on
 * profiles of their own, and a real sotto-relay runs between them (see
 * conversation-fixture.c).  What the strangers' own sotto-cli reports is
 * the proof of what went back to them.
 */

#include "config.h"

#include <adwaita.h>

#include "app-test-util.h"
#include "conversation-fixture.h"
#include "page-test-util.h"
#include "sotto-contact.h"
#include "sotto-conversation-list.h"
#include "sotto-message-row.h"
#include "sotto-preferences-window.h"
#include "sotto-request-bar.h"


/* A stranger registers on the fixture's relay and writes to Alice. */
static char *
stranger_writes (Fixture    *fixture,
                 const char *username,
                 const char *text)
{
  char *profile = page_test_make_profile ();

  g_free (run_cli_as (profile, "register", "--relay", fixture->relay->base_url, "--username", username, NULL));
  g_free (run_cli_as (profile, "send", "alice", text, NULL));

  return profile;
}

static SottoConversationList *
conversations (Fixture *fixture)
{
  return sotto_messenger_get_conversations (sotto_window_get_messenger (fixture->window));
}

static gboolean
is_text_view (GtkWidget     *widget,
              gconstpointer  data)
{
  return GTK_IS_TEXT_VIEW (widget);
}

static gboolean
is_search_entry (GtkWidget     *widget,
                 gconstpointer  data)
{
  return GTK_IS_SEARCH_ENTRY (widget);
}

static gboolean
composer_has_text (GtkWidget  *composer,
                   const char *text)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (composer));
  GtkTextIter start, end;
  g_autofree char *shown = NULL;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  shown = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);

  return g_str_equal (shown, text);
}

static gboolean
is_row_titled (GtkWidget     *widget,
               gconstpointer  title)
{
  return ADW_IS_PREFERENCES_ROW (widget) && gtk_widget_get_mapped (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static SottoRequestBar *
request_bar (Fixture *fixture)
{
  return SOTTO_REQUEST_BAR (app_test_find_widget (GTK_WIDGET (conversation_view (fixture)), SOTTO_TYPE_REQUEST_BAR));
}

/* How many notifications said @text. */
static guint
count_notifications (Fixture    *fixture,
                     const char *text)
{
  guint n = 0;

  g_mutex_lock (&fixture->lock);
  for (guint i = 0; i < fixture->notifications->len; i++)
    n += g_str_equal (g_ptr_array_index (fixture->notifications, i), text);
  g_mutex_unlock (&fixture->lock);

  return n;
}

/* Bob, whom Alice wrote to, sends @text, and Alice's window shows it:
 * every envelope the relay queued before it has been handled. */
static void
bob_writes_and_arrives (Fixture    *fixture,
                        const char *text)
{
  g_free (run_cli (fixture, "send", "alice", text, NULL));
  wait_until (app_test_find_label (GTK_WIDGET (fixture->window), text) != NULL);
}

/* Carol writes first: her conversation is a request, marked so in the
 * list, and the bar in it says who she is and that nothing about her is
 * verified.  Reading her message sends her nothing; accepting it sends
 * the receipts that were held back. */
static void
test_requests_accept (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autofree char *carol_profile = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  SottoConversation *carol = NULL;
  SottoContact *contact;
  SottoRequestBar *bar;
  GtkWidget *root;
  GtkWidget *composer;
  GtkWidget *search;
  GtkWidget *accept;
  graphene_rect_t bounds;

  start_alice (fixture);
  root = GTK_WIDGET (fixture->window);
  carol_profile = stranger_writes (fixture, "carol", "hi from carol");
  wait_until ((carol = sotto_conversation_list_find_by_username (conversations (fixture), "carol")) != NULL);
  contact = sotto_conversation_get_contact (carol);
  g_assert_cmpint (sotto_contact_get_standing (contact), ==, SOTTO_CONTACT_STANDING_REQUEST);

  /* The list marks the row. */
  wait_until (app_test_find_label (root, "Request") != NULL);

  /* Opened, the bar stands where the composer was. */
  g_assert_true (sotto_window_open_conversation (fixture->window, sotto_contact_get_uuid (contact)));
  activate_alice (fixture);
  wait_until (app_test_find_label (GTK_WIDGET (conversation_view (fixture)), "hi from carol") != NULL);
  bar = request_bar (fixture);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (bar)));
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (bar), "carol wants to send you messages"));
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (bar),
                                         "You have never written to carol, and their safety number is not "
                                         "verified. They learn nothing, not even that your device got "
                                         "their messages, unless you accept."));
  g_assert_nonnull (find_labelled_button (GTK_WIDGET (bar), "_Accept"));
  g_assert_nonnull (find_labelled_button (GTK_WIDGET (bar), "_Delete"));
  g_assert_nonnull (find_labelled_button (GTK_WIDGET (bar), "_Block"));
  composer = app_test_find_matching (GTK_WIDGET (conversation_view (fixture)), is_text_view, NULL);
  g_assert_false (gtk_widget_get_mapped (composer));
  /* Its buttons stand clear of the window's bottom edge, where the
   * conversation ends. */
  accept = find_labelled_button (GTK_WIDGET (bar), "_Accept");
  app_test_wait_for_paint (accept);
  g_assert_true (gtk_widget_compute_bounds (accept, GTK_WIDGET (conversation_view (fixture)), &bounds));
  g_assert_cmpfloat (gtk_widget_get_height (GTK_WIDGET (conversation_view (fixture)))
                     - (bounds.origin.y + bounds.size.height), >=, 12);

  /* Alice has read it, and Carol has heard nothing, past the engine's
   * batching of receipts. */
  wait_until (sotto_conversation_get_unread_count (carol) == 0);
  run_main_loop_for (1500);
  before = peer_sees_state (carol_profile, "hi from carol");
  g_assert_cmpstr (before, ==, "sent");

  /* Accepted with a click, the bar goes, the composer is back with the
   * keyboard focus, so that what the user types next is their answer,
   * and Carol learns that her message arrived and was read. */
  app_test_click (accept);
  wait_until (sotto_contact_get_standing (contact) == SOTTO_CONTACT_STANDING_ACCEPTED);
  wait_until (gtk_widget_get_mapped (composer));
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (bar)));
  g_assert_null (app_test_find_label (root, "Request"));
  wait_until (gtk_window_get_focus (GTK_WINDOW (root)) == composer);
  app_test_type (GTK_WINDOW (root), "welcome");
  wait_until (composer_has_text (composer, "welcome"));
  search = app_test_find_matching (root, is_search_entry, NULL);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (search)), ==, "");
  run_main_loop_for (500);
  after = peer_sees_state (carol_profile, "hi from carol");
  g_assert_cmpstr (after, ==, "read");
}

/* Dave is blocked from his request: his conversation goes, and what he
 * sends after that leaves no trace, for him or for Alice, also after a
 * restart.  Erin's request is deleted: her next message is a new
 * request that holds only itself. */
static void
test_requests_block_and_delete (Fixture       *fixture,
                                gconstpointer  user_data)
{
  g_autofree char *dave_profile = NULL;
  g_autofree char *erin_profile = NULL;
  g_autofree char *state = NULL;
  g_autofree char *state_after_restart = NULL;
  g_autoptr(SottoConversation) dave = NULL;
  SottoConversation *erin = NULL;
  SottoConversation *found = NULL;
  GtkWindow *preferences;
  GtkWidget *dave_row;
  GtkWidget *undo;
  guint notifications;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  send_from_composer (fixture, "hello bob");
  wait_until (last_message_is (fixture, "hello bob", SOTTO_MESSAGE_STATE_SENT));

  dave_profile = stranger_writes (fixture, "dave", "buy my stuff");
  wait_until ((found = sotto_conversation_list_find_by_username (conversations (fixture), "dave")) != NULL);
  dave = g_object_ref (found);
  g_assert_true (sotto_window_open_conversation (fixture->window,
                                                 sotto_contact_get_uuid (sotto_conversation_get_contact (dave))));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (request_bar (fixture)), "request.block", NULL));
  wait_until (sotto_contact_get_standing (sotto_conversation_get_contact (dave)) == SOTTO_CONTACT_STANDING_BLOCKED);
  g_assert_null (sotto_conversation_list_find_by_username (conversations (fixture), "dave"));
  /* The window no longer shows him. */
  g_assert_null (conversation_view (fixture));
  g_assert_null (app_test_find_label (GTK_WIDGET (fixture->window), "buy my stuff"));

  /* He writes again; Bob's later message shows that it was handled. */
  notifications = count_notifications (fixture, "dave: New message");
  g_free (run_cli_as (dave_profile, "send", "alice", "are you there?", NULL));
  bob_writes_and_arrives (fixture, "bob after dave");
  run_main_loop_for (1500);
  g_assert_null (sotto_conversation_list_find_by_username (conversations (fixture), "dave"));
  g_assert_cmpuint (g_list_model_get_n_items (sotto_conversation_get_messages (dave)), ==, 1);
  g_assert_null (app_test_find_label (GTK_WIDGET (fixture->window), "are you there?"));
  /* Bob's message notified (the window is not the active one); Dave's
   * did not. */
  wait_until (has_notification (fixture, "bob: New message"));
  g_assert_cmpuint (count_notifications (fixture, "dave: New message"), ==, notifications);
  state = peer_sees_state (dave_profile, "are you there?");
  g_assert_cmpstr (state, ==, "sent");

  /* The store remembers the block.  (Dave's conversation holds the
   * store, and with it the profile, open: it goes first.) */
  g_clear_object (&dave);
  reopen_alice (fixture);
  g_free (run_cli_as (dave_profile, "send", "alice", "still blocked?", NULL));
  bob_writes_and_arrives (fixture, "bob after the restart");
  run_main_loop_for (1500);
  g_assert_null (sotto_conversation_list_find_by_username (conversations (fixture), "dave"));
  g_assert_null (app_test_find_label (GTK_WIDGET (fixture->window), "still blocked?"));
  state_after_restart = peer_sees_state (dave_profile, "still blocked?");
  g_assert_cmpstr (state_after_restart, ==, "sent");

  /* Erin's request is deleted, then she writes again. */
  erin_profile = stranger_writes (fixture, "erin", "first try");
  wait_until ((erin = sotto_conversation_list_find_by_username (conversations (fixture), "erin")) != NULL);
  g_assert_true (sotto_window_open_conversation (fixture->window,
                                                 sotto_contact_get_uuid (sotto_conversation_get_contact (erin))));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (request_bar (fixture)), "request.delete", NULL));
  wait_until (sotto_conversation_list_find_by_username (conversations (fixture), "erin") == NULL);
  g_assert_null (conversation_view (fixture));

  g_free (run_cli_as (erin_profile, "send", "alice", "second try", NULL));
  wait_until ((erin = sotto_conversation_list_find_by_username (conversations (fixture), "erin")) != NULL);
  g_assert_cmpint (sotto_contact_get_standing (sotto_conversation_get_contact (erin)), ==,
                   SOTTO_CONTACT_STANDING_REQUEST);
  wait_until (g_list_model_get_n_items (sotto_conversation_get_messages (erin)) == 1);
  g_assert_cmpstr (sotto_conversation_get_last_message_preview (erin), ==, "second try");

  /* Blocked with a click, Erin's request can come back from the toast
   * that says so: Undo makes it the request it was, open again. */
  g_assert_true (sotto_window_open_conversation (fixture->window,
                                                 sotto_contact_get_uuid (sotto_conversation_get_contact (erin))));
  activate_alice (fixture);
  app_test_click (find_labelled_button (GTK_WIDGET (request_bar (fixture)), "_Block"));
  wait_until (sotto_conversation_list_find_by_username (conversations (fixture), "erin") == NULL);
  wait_until (app_test_find_label (GTK_WIDGET (fixture->window), "erin is blocked") != NULL);
  wait_until ((undo = find_labelled_button (GTK_WIDGET (fixture->window), "_Undo")) != NULL);
  app_test_click (undo);
  wait_until ((erin = sotto_conversation_list_find_by_username (conversations (fixture), "erin")) != NULL);
  g_assert_cmpint (sotto_contact_get_standing (sotto_conversation_get_contact (erin)), ==,
                   SOTTO_CONTACT_STANDING_REQUEST);
  wait_until (conversation_view (fixture) != NULL && open_conversation (fixture) == erin);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (request_bar (fixture))));

  /* Preferences list Dave, still blocked, and unblock him: he is back
   * as a request, whose messages arrive again, still without receipts. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "preferences", NULL);
  wait_until ((preferences = find_toplevel (SOTTO_TYPE_PREFERENCES_WINDOW)) != NULL);
  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (preferences), "blocked");
  wait_until ((dave_row = app_test_find_matching (GTK_WIDGET (preferences), is_row_titled, "dave")) != NULL);
  g_assert_null (app_test_find_matching (GTK_WIDGET (preferences), is_row_titled, "Nobody is blocked"));
  app_test_click (find_labelled_button (dave_row, "_Unblock"));
  wait_until ((found = sotto_conversation_list_find_by_username (conversations (fixture), "dave")) != NULL);
  g_assert_cmpint (sotto_contact_get_standing (sotto_conversation_get_contact (found)), ==,
                   SOTTO_CONTACT_STANDING_REQUEST);
  wait_until (app_test_find_matching (GTK_WIDGET (preferences), is_row_titled, "Nobody is blocked") != NULL);
  gtk_window_destroy (preferences);

  g_free (run_cli_as (dave_profile, "send", "alice", "unblocked now?", NULL));
  wait_until (g_strcmp0 (sotto_conversation_get_last_message_preview (found), "unblocked now?") == 0);
  bob_writes_and_arrives (fixture, "bob after the unblock");
  g_free (state);
  state = peer_sees_state (dave_profile, "unblocked now?");
  g_assert_cmpstr (state, ==, "sent");
}

static gboolean
is_label_reading (GtkWidget     *widget,
                  gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget)
         && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

/* What clicks on a label did: how many reached it, and which links they
 * opened. */
typedef struct {
  guint releases;
  GPtrArray *opened;
} LinkClicks;

/* Sees every event before the label does, and lets it through. */
static gboolean
label_event_cb (GtkEventControllerLegacy *controller,
                GdkEvent                 *event,
                LinkClicks               *clicks)
{
  if (gdk_event_get_event_type (event) == GDK_BUTTON_RELEASE)
    clicks->releases++;

  return GDK_EVENT_PROPAGATE;
}

static gboolean
label_activate_link_cb (GtkLabel   *label,
                        const char *uri,
                        LinkClicks *clicks)
{
  g_ptr_array_add (clicks->opened, g_strdup (uri));

  /* The test's display has no browser to open it in. */
  return TRUE;
}

/* Clicks the middle of @label through the X server, and returns once the
 * label has handled the click: the test's own controller sees the
 * release in the capture phase, just before the label's own gesture
 * does in the same dispatch, so a link the click hit has been activated
 * by then. */
static void
click_label (GtkWidget  *label,
             LinkClicks *clicks)
{
  guint releases = clicks->releases;

  app_test_click (label);
  wait_until (clicks->releases > releases);
  g_main_context_iteration (NULL, FALSE);
}

/* A stranger's request shows web addresses as plain text, which no click
 * opens, until the user accepts it: then, in the same view, they are
 * links. */
static void
test_requests_links (Fixture       *fixture,
                     gconstpointer  user_data)
{
  static const char address[] = "https://x.org/deal";
  g_autofree char *frank_profile = NULL;
  g_autoptr(GPtrArray) opened = g_ptr_array_new_with_free_func (g_free);
  LinkClicks clicks = { 0, opened };
  SottoConversation *frank = NULL;
  SottoContact *contact;
  GtkEventController *controller;
  GtkWidget *body;

  start_alice (fixture);
  frank_profile = stranger_writes (fixture, "frank", address);
  wait_until ((frank = sotto_conversation_list_find_by_username (conversations (fixture), "frank")) != NULL);
  contact = sotto_conversation_get_contact (frank);
  g_assert_cmpint (sotto_contact_get_standing (contact), ==, SOTTO_CONTACT_STANDING_REQUEST);

  g_assert_true (sotto_window_open_conversation (fixture->window, sotto_contact_get_uuid (contact)));
  activate_alice (fixture);
  wait_until ((body = app_test_find_matching (GTK_WIDGET (conversation_view (fixture)), is_label_reading, address)) != NULL);
  controller = gtk_event_controller_legacy_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect (controller, "event", G_CALLBACK (label_event_cb), &clicks);
  gtk_widget_add_controller (body, controller);
  g_signal_connect (body, "activate-link", G_CALLBACK (label_activate_link_cb), &clicks);

  click_label (body, &clicks);
  g_assert_cmpuint (opened->len, ==, 0);

  /* Accepted, the same row's address is a link. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (request_bar (fixture)), "request.accept", NULL));
  wait_until (sotto_contact_get_standing (contact) == SOTTO_CONTACT_STANDING_ACCEPTED);
  g_assert_true (app_test_find_matching (GTK_WIDGET (conversation_view (fixture)), is_label_reading, address) == body);
  click_label (body, &clicks);
  g_assert_cmpuint (opened->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (opened, 0), ==, address);

  g_signal_handlers_disconnect_by_data (body, &clicks);
  gtk_widget_remove_controller (body, controller);
}

/* Whether the open menu @menu shows an entry or a button reading @label. */
static gboolean
menu_shows (GtkWidget  *menu,
            const char *label)
{
  GtkWidget *widget = app_test_find_label (menu, label);

  return widget != NULL && gtk_widget_get_mapped (widget);
}

/* The menu of @row, open. */
static GtkWidget *
open_menu (GtkWidget *row)
{
  GtkWidget *menu;

  g_assert_true (gtk_widget_activate_action (row, "message.show-menu", NULL));
  wait_until ((menu = app_test_find_widget (row, GTK_TYPE_POPOVER_MENU)) != NULL && gtk_widget_get_mapped (menu));

  return menu;
}

/* A reaction or a reply to a stranger's request would tell them that it
 * was read: its message's menu offers neither until the user accepts
 * it, and then both. */
static void
test_requests_menu (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autofree char *frank_profile = NULL;
  g_autofree char *frank_received = NULL;
  SottoConversation *frank = NULL;
  SottoContact *contact;
  GtkWidget *row;
  GtkWidget *menu;

  start_alice (fixture);
  frank_profile = stranger_writes (fixture, "frank", "Hello there");
  wait_until ((frank = sotto_conversation_list_find_by_username (conversations (fixture), "frank")) != NULL);
  contact = sotto_conversation_get_contact (frank);
  g_assert_true (sotto_window_open_conversation (fixture->window, sotto_contact_get_uuid (contact)));
  activate_alice (fixture);
  wait_until (app_test_find_label (GTK_WIDGET (conversation_view (fixture)), "Hello there") != NULL);
  row = gtk_widget_get_ancestor (app_test_find_label (GTK_WIDGET (conversation_view (fixture)), "Hello there"),
                                 SOTTO_TYPE_MESSAGE_ROW);

  menu = open_menu (row);
  g_assert_true (menu_shows (menu, "Copy _Time"));
  g_assert_false (menu_shows (menu, "👍"));
  g_assert_false (menu_shows (menu, "_Reply"));
  gtk_popover_popdown (GTK_POPOVER (menu));

  /* Frank heard nothing. */
  frank_received = run_cli_as (frank_profile, "--json", "receive", "--timeout", "0", NULL);
  g_assert_cmpstr (frank_received, ==, "");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (request_bar (fixture)), "request.accept", NULL));
  wait_until (sotto_contact_get_standing (contact) == SOTTO_CONTACT_STANDING_ACCEPTED);
  menu = open_menu (row);
  g_assert_true (menu_shows (menu, "👍"));
  g_assert_true (menu_shows (menu, "_Reply"));
  gtk_popover_popdown (GTK_POPOVER (menu));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add ("/app/requests/accept", Fixture, NULL,
              fixture_set_up, test_requests_accept, fixture_tear_down);
  g_test_add ("/app/requests/block-and-delete", Fixture, NULL,
              fixture_set_up, test_requests_block_and_delete, fixture_tear_down);
  g_test_add ("/app/requests/links", Fixture, NULL,
              fixture_set_up, test_requests_links, fixture_tear_down);
  g_test_add ("/app/requests/menu", Fixture, NULL,
              fixture_set_up, test_requests_menu, fixture_tear_down);

  return g_test_run ();
}
