/* test-rich-messages.c: replying, reacting, editing and deleting from the app
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice is this process, the application with its window; Bob is
 * sotto-cli on a profile of his own, with a real sotto-relay between
 * them (conversation-fixture.c).  Alice acts on messages through the
 * message menu's actions and the composer, and each case checks what
 * Bob's `receive --json` gets and what Alice's window shows.
 */

#include "config.h"

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "conversation-fixture.h"
#include "sotto-contact.h"
#include "sotto-conversation-row.h"
#include "sotto-message-row.h"
#include "sotto-reply-bar.h"

/* What Bob's sotto-cli prints of what came for him, one JSON object per
 * event; receipts are not among them. */
static GPtrArray *
bob_receives (Fixture *fixture)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autofree char *output = run_cli (fixture, "--json", "receive", "--timeout", "1", NULL);
  g_auto(GStrv) lines = g_strsplit (output, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (lines[i][0] == '\0')
        continue;
      g_assert_true (json_parser_load_from_data (parser, lines[i], -1, NULL));
      g_ptr_array_add (events, json_object_ref (json_node_get_object (json_parser_get_root (parser))));
    }

  return g_steal_pointer (&events);
}

/* The one event of @type among @events. */
static JsonObject *
only_event (GPtrArray  *events,
            const char *type)
{
  JsonObject *found = NULL;

  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (event, "type", NULL), type) == 0)
        {
          g_assert_null (found);
          found = event;
        }
    }
  if (found == NULL)
    g_error ("Bob received no %s event", type);

  return found;
}

/* Bob sends @text and returns its id, once Alice's window shows it. */
static char *
bob_sends (Fixture    *fixture,
           const char *text)
{
  g_autofree char *output = run_cli (fixture, "--json", "send", "alice", text, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();

  wait_until (app_test_find_label (GTK_WIDGET (conversation_view (fixture)), text) != NULL);
  g_assert_true (json_parser_load_from_data (parser, output, -1, NULL));

  return g_strdup (json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)), "id"));
}

/* Alice sends @text from the composer, and Bob receives it; returns its id. */
static char *
alice_sends (Fixture    *fixture,
             const char *text)
{
  g_autoptr(GPtrArray) events = NULL;

  send_from_composer (fixture, text);
  wait_until (last_message_is (fixture, text, SOTTO_MESSAGE_STATE_SENT));
  events = bob_receives (fixture);

  return g_strdup (json_object_get_string_member (only_event (events, "message"), "id"));
}

static gboolean
is_row_of_message (GtkWidget     *widget,
                   gconstpointer  id)
{
  SottoMessage *message;

  if (!SOTTO_IS_MESSAGE_ROW (widget) || !gtk_widget_get_mapped (widget))
    return FALSE;

  message = sotto_message_row_get_message (SOTTO_MESSAGE_ROW (widget));
  return message != NULL && sotto_message_get_loaded (message) && g_strcmp0 (sotto_message_get_id (message), id) == 0;
}

/* The row of the timeline that shows message @id, if it was built. */
static GtkWidget *
row_of_message (Fixture    *fixture,
                const char *id)
{
  return app_test_find_matching (GTK_WIDGET (conversation_view (fixture)), is_row_of_message, id);
}

static gboolean
is_reply_bar (GtkWidget     *widget,
              gconstpointer  data)
{
  return SOTTO_IS_REPLY_BAR (widget);
}

/* The bar above the composer, shown or not. */
static SottoReplyBar *
reply_bar (Fixture *fixture)
{
  return SOTTO_REPLY_BAR (app_test_find_matching (GTK_WIDGET (conversation_view (fixture)), is_reply_bar, NULL));
}

static void
set_composer_text (Fixture    *fixture,
                   const char *text)
{
  GtkTextView *composer = GTK_TEXT_VIEW (app_test_find_widget (GTK_WIDGET (conversation_view (fixture)), GTK_TYPE_TEXT_VIEW));

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (composer), text, -1);
}

/* Clicks @widget once the window has given it its place: one that has
 * just appeared has none until the next layout. */
static void
click_when_laid_out (GtkWidget *widget)
{
  wait_until (gtk_widget_get_width (widget) > 0 && gtk_widget_get_height (widget) > 0);
  app_test_click (widget);
}

static void
start (Fixture *fixture)
{
  start_alice (fixture);
  open_conversation_with_bob (fixture);
  activate_alice (fixture);
}

/* Reply from the message menu: the bar above the composer says to what,
 * Escape cancels it, and the reply carries the quote. */
static void
test_rich_reply (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autofree char *lunch_id = NULL;
  g_autoptr(GPtrArray) events = NULL;
  GtkWidget *view;
  GtkWidget *row;
  GtkWidget *menu;
  JsonObject *reply;
  g_autofree char *text = NULL;

  start (fixture);
  view = GTK_WIDGET (conversation_view (fixture));
  lunch_id = bob_sends (fixture, "Lunch at noon?");
  row = row_of_message (fixture, lunch_id);
  g_assert_nonnull (row);

  /* The Menu key on the focused message opens its menu. */
  gtk_widget_grab_focus (row);
  app_test_press (GTK_WINDOW (fixture->window), "Menu");
  wait_until ((menu = app_test_find_widget (row, GTK_TYPE_POPOVER_MENU)) != NULL);
  g_assert_nonnull (app_test_find_label (menu, "_Reply"));
  gtk_popover_popdown (GTK_POPOVER (menu));

  /* Escape leaves the reply, and the text typed stays. */
  g_assert_true (gtk_widget_activate_action (row, "message.reply", NULL));
  wait_until (gtk_widget_get_mapped (GTK_WIDGET (reply_bar (fixture))));
  g_assert_nonnull (app_test_find_label (view, "Replying to bob"));
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (reply_bar (fixture)), "Lunch at noon?"));
  app_test_type (GTK_WINDOW (fixture->window), "Sure");
  wait_until ((g_free (text), text = composer_text (fixture), g_str_equal (text, "Sure")));
  app_test_press (GTK_WINDOW (fixture->window), "Escape");
  wait_until (sotto_reply_bar_get_message (reply_bar (fixture)) == NULL);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (reply_bar (fixture))));
  g_free (text);
  text = composer_text (fixture);
  g_assert_cmpstr (text, ==, "Sure");

  /* Again, and sent: Bob gets a reply to his message. */
  g_assert_true (gtk_widget_activate_action (row, "message.reply", NULL));
  wait_until (sotto_reply_bar_get_message (reply_bar (fixture)) != NULL);
  set_composer_text (fixture, "Sure, see you there");
  g_assert_true (gtk_widget_activate_action (view, "conversation.send", NULL));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (reply_bar (fixture))));
  wait_until (last_message_is (fixture, "Sure, see you there", SOTTO_MESSAGE_STATE_SENT));
  /* Above the reply, the quote. */
  row = gtk_widget_get_ancestor (app_test_find_label (view, "Sure, see you there"), SOTTO_TYPE_MESSAGE_ROW);
  g_assert_nonnull (app_test_find_label (row, "Lunch at noon?"));

  events = bob_receives (fixture);
  reply = only_event (events, "reply");
  g_assert_cmpstr (json_object_get_string_member (reply, "target_id"), ==, lunch_id);
  g_assert_cmpstr (json_object_get_string_member (reply, "text"), ==, "Sure, see you there");
  g_free (text);
  text = composer_text (fixture);
  g_assert_cmpstr (text, ==, "");
}

/* A quick reaction from the menu, another from the emoji chooser, and
 * the same one again to take it away. */
static void
test_rich_react (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autofree char *id = NULL;
  g_autoptr(GPtrArray) events = NULL;
  GtkWidget *row;
  GtkWidget *menu;
  GtkWidget *chooser;
  JsonObject *reaction;

  start (fixture);
  id = bob_sends (fixture, "I passed the exam!");
  row = row_of_message (fixture, id);

  /* The quick reactions are buttons of the menu. */
  g_assert_true (gtk_widget_activate_action (row, "message.show-menu", NULL));
  wait_until ((menu = app_test_find_widget (row, GTK_TYPE_POPOVER_MENU)) != NULL);
  gtk_widget_activate (gtk_widget_get_ancestor (app_test_find_label (menu, "❤️"), GTK_TYPE_BUTTON));
  wait_until (app_test_find_label (row, "❤️") != NULL && !gtk_widget_get_mapped (menu));
  events = bob_receives (fixture);
  reaction = only_event (events, "reaction");
  g_assert_cmpstr (json_object_get_string_member (reaction, "target_id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (reaction, "emoji"), ==, "❤️");

  /* Any emoji from the chooser replaces it. */
  g_assert_true (gtk_widget_activate_action (row, "message.choose-reaction", NULL));
  wait_until ((chooser = app_test_find_widget (row, GTK_TYPE_EMOJI_CHOOSER)) != NULL);
  g_signal_emit_by_name (chooser, "emoji-picked", "🎉");
  wait_until (app_test_find_label (row, "🎉") != NULL);
  g_assert_null (app_test_find_label (row, "❤️"));
  g_clear_pointer (&events, g_ptr_array_unref);
  events = bob_receives (fixture);
  g_assert_cmpstr (json_object_get_string_member (only_event (events, "reaction"), "emoji"), ==, "🎉");

  /* The same again takes it away. */
  g_assert_true (gtk_widget_activate_action (row, "message.react", "s", "🎉"));
  wait_until (app_test_find_label (row, "🎉") == NULL);
  g_clear_pointer (&events, g_ptr_array_unref);
  events = bob_receives (fixture);
  reaction = only_event (events, "reaction");
  g_assert_cmpstr (json_object_get_string_member (reaction, "target_id"), ==, id);
  g_assert_true (json_object_get_null_member (reaction, "emoji"));
}

static gboolean
is_dialog_headed (GtkWidget     *widget,
                  gconstpointer  heading)
{
  return ADW_IS_MESSAGE_DIALOG (widget) && gtk_widget_get_mapped (widget)
         && g_strcmp0 (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (widget)), heading) == 0;
}

static AdwMessageDialog *
find_dialog (const char *heading)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (is_dialog_headed (window, heading))
        return ADW_MESSAGE_DIALOG (window);
    }

  return NULL;
}

/* Edit puts the text into the composer, clearly marked, and gives back
 * the draft afterwards, whether the edit is cancelled or sent; the
 * versions show from "edited". */
static void
test_rich_edit (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autofree char *id = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autofree char *text = NULL;
  AdwMessageDialog *history;
  GtkWidget *view;
  GtkWidget *row;
  JsonObject *edit;

  start (fixture);
  view = GTK_WIDGET (conversation_view (fixture));
  id = alice_sends (fixture, "See you at 5");
  row = row_of_message (fixture, id);
  set_composer_text (fixture, "half a thought");

  /* Cancelled with the bar's button: the draft is back. */
  g_assert_true (gtk_widget_activate_action (row, "message.edit", NULL));
  wait_until (gtk_widget_get_mapped (GTK_WIDGET (reply_bar (fixture))));
  g_assert_nonnull (app_test_find_label (view, "Editing message"));
  text = composer_text (fixture);
  g_assert_cmpstr (text, ==, "See you at 5");
  click_when_laid_out (find_button (GTK_WIDGET (reply_bar (fixture)), "reply-bar.cancel"));
  wait_until (!gtk_widget_get_visible (GTK_WIDGET (reply_bar (fixture))));
  g_free (text);
  text = composer_text (fixture);
  g_assert_cmpstr (text, ==, "half a thought");

  /* Edited by typing, and sent. */
  g_assert_true (gtk_widget_activate_action (row, "message.edit", NULL));
  wait_until (sotto_reply_bar_get_editing (reply_bar (fixture)));
  app_test_press (GTK_WINDOW (fixture->window), "BackSpace");
  app_test_type (GTK_WINDOW (fixture->window), "6");
  wait_until ((g_free (text), text = composer_text (fixture), g_str_equal (text, "See you at 6")));
  g_assert_true (gtk_widget_activate_action (view, "conversation.send", NULL));
  wait_until (app_test_find_label (row, "See you at 6") != NULL);
  g_assert_nonnull (app_test_find_label (row, "edited"));
  wait_until (!sotto_reply_bar_get_editing (reply_bar (fixture)));
  g_free (text);
  text = composer_text (fixture);
  g_assert_cmpstr (text, ==, "half a thought");

  events = bob_receives (fixture);
  edit = only_event (events, "edit");
  g_assert_cmpstr (json_object_get_string_member (edit, "target_id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (edit, "text"), ==, "See you at 6");

  /* "edited" shows the versions. */
  click_when_laid_out (gtk_widget_get_ancestor (app_test_find_label (row, "edited"), GTK_TYPE_BUTTON));
  wait_until ((history = find_dialog ("Edit History")) != NULL);
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (history), "See you at 5"));
  g_assert_nonnull (app_test_find_label (GTK_WIDGET (history), "See you at 6"));
  adw_message_dialog_response (history, "close");
}

/* Delete for everyone asks first; Bob's copy goes.  Delete for me tells
 * Bob nothing. */
static void
test_rich_delete (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autofree char *mine = NULL;
  g_autofree char *his = NULL;
  g_autoptr(GPtrArray) events = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *view;
  GtkWidget *row;

  start (fixture);
  view = GTK_WIDGET (conversation_view (fixture));
  his = bob_sends (fixture, "a message from Bob");
  mine = alice_sends (fixture, "Wrong chat, sorry");
  row = row_of_message (fixture, mine);

  /* Cancelled, nothing happens. */
  g_assert_true (gtk_widget_activate_action (row, "message.delete-for-everyone", NULL));
  wait_until ((dialog = find_dialog ("Delete for Everyone?")) != NULL);
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_close (GTK_WINDOW (dialog));
  run_main_loop_for (500);
  g_assert_nonnull (app_test_find_label (row, "Wrong chat, sorry"));

  g_assert_true (gtk_widget_activate_action (row, "message.delete-for-everyone", NULL));
  wait_until ((dialog = find_dialog ("Delete for Everyone?")) != NULL);
  adw_message_dialog_response (dialog, "delete");
  gtk_window_close (GTK_WINDOW (dialog));
  wait_until (app_test_find_label (row, "This message was deleted") != NULL);
  g_assert_null (app_test_find_label (view, "Wrong chat, sorry"));
  events = bob_receives (fixture);
  g_assert_cmpstr (json_object_get_string_member (only_event (events, "delete"), "target_id"), ==, mine);

  /* Bob's message, deleted on Alice's device only. */
  g_assert_true (gtk_widget_activate_action (row_of_message (fixture, his), "message.delete", NULL));
  wait_until (app_test_find_label (view, "a message from Bob") == NULL);
  g_clear_pointer (&events, g_ptr_array_unref);
  events = bob_receives (fixture);
  g_assert_cmpuint (events->len, ==, 0);
}

/* Messages between the original and the reply: more than a page. */
#define HISTORY_BETWEEN 400

/* A quote leads to its original, on a page the timeline has not read,
 * and marks it for a moment; a quote of a message Alice does not have
 * shows its excerpt and leads nowhere. */
static void
test_rich_quote (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autofree char *original = NULL;
  g_autofree char *gone = NULL;
  g_autofree char *bob_uuid = NULL;
  SottoConversationView *view;
  GtkWidget *quote;
  GtkWidget *row;
  GtkWidget *found;

  start (fixture);
  bob_uuid = g_strdup (sotto_contact_get_uuid (sotto_conversation_get_contact (open_conversation (fixture))));
  gone = bob_sends (fixture, "Soon gone from this device");
  g_assert_true (gtk_widget_activate_action (row_of_message (fixture, gone), "message.delete", NULL));
  wait_until (row_of_message (fixture, gone) == NULL);
  original = bob_sends (fixture, "The question from long ago");
  write_history (fixture, HISTORY_BETWEEN, "meanwhile", FALSE);
  g_assert_true (sotto_window_open_conversation (fixture->window, bob_uuid));
  activate_alice (fixture);

  g_free (run_cli (fixture, "reply", "alice", gone, "About the one you deleted", NULL));
  g_free (run_cli (fixture, "reply", "alice", original, "The answer, at last", NULL));
  view = conversation_view (fixture);
  wait_until (app_test_find_label (GTK_WIDGET (view), "The answer, at last") != NULL);
  wait_until (app_test_find_label (GTK_WIDGET (view), "About the one you deleted") != NULL);
  g_assert_null (row_of_message (fixture, original));

  /* Not here: the excerpt, and nothing to click. */
  row = gtk_widget_get_ancestor (app_test_find_label (GTK_WIDGET (view), "About the one you deleted"),
                                 SOTTO_TYPE_MESSAGE_ROW);
  quote = app_test_find_label (row, "Soon gone from this device");
  g_assert_nonnull (quote);
  run_main_loop_for (500);
  g_assert_false (gtk_widget_has_css_class (quote, "found"));
  click_when_laid_out (quote);
  run_main_loop_for (500);
  g_assert_null (row_of_message (fixture, gone));

  /* Here, far up: a click brings it. */
  row = gtk_widget_get_ancestor (app_test_find_label (GTK_WIDGET (view), "The answer, at last"), SOTTO_TYPE_MESSAGE_ROW);
  quote = app_test_find_label (row, "The question from long ago");
  wait_until (gtk_widget_has_css_class (quote, "found"));
  click_when_laid_out (quote);
  wait_until ((found = row_of_message (fixture, original)) != NULL
              && (gtk_widget_get_state_flags (gtk_widget_get_parent (found)) & GTK_STATE_FLAG_SELECTED));
  g_assert_false (sotto_conversation_view_get_at_end (view));
  /* The mark goes after a moment. */
  wait_until ((found = row_of_message (fixture, original)) != NULL
              && !(gtk_widget_get_state_flags (gtk_widget_get_parent (found)) & GTK_STATE_FLAG_SELECTED));
}

static gboolean
is_conversation_row (GtkWidget     *widget,
                     gconstpointer  data)
{
  return SOTTO_IS_CONVERSATION_ROW (widget) && gtk_widget_get_mapped (widget);
}

/* The conversation list shows the last message as it is now: edited,
 * then deleted for everyone. */
static void
test_rich_preview (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *id = NULL;
  SottoConversation *bob;
  GtkWidget *list_row;

  start (fixture);
  bob = open_conversation (fixture);
  id = bob_sends (fixture, "Meet at the station");
  list_row = app_test_find_matching (GTK_WIDGET (fixture->window), is_conversation_row, NULL);
  g_assert_nonnull (list_row);
  wait_until (app_test_find_label (list_row, "Meet at the station") != NULL);

  g_free (run_cli (fixture, "edit", "alice", id, "Meet at the harbour", NULL));
  wait_until (g_strcmp0 (sotto_conversation_get_last_message_preview (bob), "Meet at the harbour") == 0);
  wait_until (app_test_find_label (list_row, "Meet at the harbour") != NULL);

  g_free (run_cli (fixture, "delete", "alice", id, NULL));
  wait_until (g_strcmp0 (sotto_conversation_get_last_message_preview (bob), "This message was deleted") == 0);
  wait_until (app_test_find_label (list_row, "This message was deleted") != NULL);
  g_assert_null (app_test_find_label (list_row, "Meet at the harbour"));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add ("/app/rich-messages/reply", Fixture, NULL, fixture_set_up, test_rich_reply, fixture_tear_down);
  g_test_add ("/app/rich-messages/react", Fixture, NULL, fixture_set_up, test_rich_react, fixture_tear_down);
  g_test_add ("/app/rich-messages/edit", Fixture, NULL, fixture_set_up, test_rich_edit, fixture_tear_down);
  g_test_add ("/app/rich-messages/delete", Fixture, NULL, fixture_set_up, test_rich_delete, fixture_tear_down);
  g_test_add ("/app/rich-messages/quote", Fixture, NULL, fixture_set_up, test_rich_quote, fixture_tear_down);
  g_test_add ("/app/rich-messages/preview", Fixture, NULL, fixture_set_up, test_rich_preview, fixture_tear_down);

  return g_test_run ();
}
