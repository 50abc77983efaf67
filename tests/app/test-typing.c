/* test-typing.c: typing indicators in the window
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice in the app, Bob on his own profile with a messenger of his own
 * in this process, both on a real relay: Bob's typing shows as "bob is
 * typing…" in Alice's window, for a screen reader too, without the
 * focus leaving her composer; her composer makes Bob see hers; the
 * "typing-indicators" setting off neither shows nor sends; and opening
 * or cancelling an edit, which fills the composer for her, is no typing.
 */

#include "config.h"

#include "conversation-fixture.h"
#include "sotto-messenger.h"
#include "sotto-reply-bar.h"
#include "sotto-store.h"
#include "sotto-typing-indicator.h"

typedef struct
{
  SottoStore *store;
  SottoMessenger *messenger;
} Bob;

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Opens Bob's profile here, once sotto-cli is done with it. */
static Bob *
bob_open (Fixture *fixture)
{
  g_autoptr(GFile) directory = g_file_new_for_path (fixture->bob_profile);
  g_autoptr(GAsyncResult) opened = NULL;
  g_autoptr(GAsyncResult) loaded = NULL;
  g_autoptr(GError) error = NULL;
  Bob *bob = g_new0 (Bob, 1);

  sotto_store_open_async (directory, bob_passphrase, NULL, result_cb, &opened);
  wait_until (opened != NULL);
  bob->store = sotto_store_open_finish (opened, &error);
  g_assert_no_error (error);

  sotto_messenger_load_async (bob->store, NULL, result_cb, &loaded);
  wait_until (loaded != NULL);
  bob->messenger = sotto_messenger_load_finish (loaded, &error);
  g_assert_no_error (error);

  sotto_messenger_start (bob->messenger);
  wait_until (sotto_messenger_get_drained (bob->messenger));

  return bob;
}

static void
bob_close (Bob *bob)
{
  g_autoptr(GAsyncResult) closed = NULL;
  g_autoptr(GError) error = NULL;

  sotto_messenger_stop (bob->messenger);
  g_clear_object (&bob->messenger);
  sotto_store_close_async (bob->store, NULL, result_cb, &closed);
  wait_until (closed != NULL);
  g_assert_true (sotto_store_close_finish (bob->store, closed, &error));
  g_assert_no_error (error);
  g_clear_object (&bob->store);
  g_free (bob);
}

static void
bob_send (Bob               *bob,
          SottoConversation *conversation,
          const char        *text)
{
  g_autoptr(GAsyncResult) sent = NULL;
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  sotto_messenger_send_async (bob->messenger, conversation, text, NULL, result_cb, &sent);
  wait_until (sent != NULL);
  g_assert_true (sotto_messenger_send_finish (bob->messenger, sent, &message, &error));
  g_assert_no_error (error);
}

static void
count_cb (GObject    *object,
          GParamSpec *pspec,
          gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

static gboolean
is_typing_indicator (GtkWidget     *widget,
                     gconstpointer  data)
{
  return SOTTO_IS_TYPING_INDICATOR (widget);
}

static gboolean
is_reply_bar (GtkWidget     *widget,
              gconstpointer  data)
{
  return SOTTO_IS_REPLY_BAR (widget);
}

static void
set_composer_text (SottoConversationView *view,
                   const char            *text)
{
  GtkTextView *composer = GTK_TEXT_VIEW (app_test_find_widget (GTK_WIDGET (view), GTK_TYPE_TEXT_VIEW));

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (composer), text, -1);
}

/* Bob has Alice's "hi bob" and has answered, so each is the other's
 * accepted contact, and hears typing; returns his conversation with her. */
static SottoConversation *
start_talking (Fixture  *fixture,
               Bob     **bob)
{
  SottoConversation *to_alice;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  send_from_composer (fixture, "hi bob");
  wait_until (last_message_is (fixture, "hi bob", SOTTO_MESSAGE_STATE_SENT));
  g_free (run_cli (fixture, "receive", "--timeout", "2", NULL));
  g_free (run_cli (fixture, "send", "alice", "hi alice", NULL));
  wait_until (app_test_find_label (GTK_WIDGET (fixture->window), "hi alice") != NULL);

  *bob = bob_open (fixture);
  to_alice = sotto_conversation_list_find_by_username (sotto_messenger_get_conversations ((*bob)->messenger), "alice");
  g_assert_nonnull (to_alice);

  return to_alice;
}

static void
test_typing_indicator (Fixture       *fixture,
                       gconstpointer  user_data)
{
  GSettings *settings;
  SottoConversationView *view;
  SottoConversation *to_alice;
  GtkWidget *indicator;
  GtkWidget *composer;
  GtkWidget *root;
  guint shown = 0;
  guint bob_saw = 0;
  Bob *bob;

  to_alice = start_talking (fixture, &bob);
  root = GTK_WIDGET (fixture->window);
  view = conversation_view (fixture);

  /* Hidden until someone types. */
  indicator = app_test_find_matching (GTK_WIDGET (view), is_typing_indicator, NULL);
  g_assert_nonnull (indicator);
  g_assert_false (gtk_widget_get_visible (indicator));
  gtk_test_accessible_assert_role (indicator, GTK_ACCESSIBLE_ROLE_STATUS);
  sotto_conversation_view_focus_composer (view);
  composer = gtk_root_get_focus (GTK_ROOT (root));
  g_assert_true (GTK_IS_TEXT_VIEW (composer));

  /* Bob types: Alice's window says so above her composer, a screen
   * reader hears it, and her focus stays where it was. */
  sotto_messenger_set_composing (bob->messenger, to_alice, TRUE);
  wait_until (gtk_widget_get_mapped (indicator));
  g_assert_true (app_test_find_label (indicator, "bob is typing…") != NULL);
  g_assert_cmpstr (sotto_typing_indicator_get_text (SOTTO_TYPING_INDICATOR (indicator)), ==, "bob is typing…");
  g_assert_true (gtk_root_get_focus (GTK_ROOT (root)) == composer);
#if !GTK_CHECK_VERSION (4, 14, 0)
  gtk_test_accessible_assert_property (composer, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, "bob is typing…");
#endif

  /* Bob stops. */
  sotto_messenger_set_composing (bob->messenger, to_alice, FALSE);
  wait_until (!gtk_widget_get_visible (indicator));

  /* Alice types, and Bob sees it; sending ends it. */
  set_composer_text (view, "one moment");
  wait_until (sotto_conversation_get_peer_typing (to_alice));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "conversation.send", NULL));
  wait_until (!sotto_conversation_get_peer_typing (to_alice));

  /* Off: Bob's typing is not shown, and Alice's is not sent.  What each
   * sends after typing arrives after the typing, so when it is there,
   * the typing was there first. */
  settings = sotto_application_get_settings (fixture->app);
  g_settings_set_boolean (settings, "typing-indicators", FALSE);
  g_signal_connect (indicator, "notify::visible", G_CALLBACK (count_cb), &shown);
  g_signal_connect (to_alice, "notify::peer-typing", G_CALLBACK (count_cb), &bob_saw);

  sotto_messenger_set_composing (bob->messenger, to_alice, TRUE);
  bob_send (bob, to_alice, "still there?");
  wait_until (app_test_find_label (root, "still there?") != NULL);
  g_assert_cmpuint (shown, ==, 0);
  g_assert_false (gtk_widget_get_visible (indicator));

  set_composer_text (view, "yes");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "conversation.send", NULL));
  wait_until (last_message_is (fixture, "yes", SOTTO_MESSAGE_STATE_DELIVERED));
  g_assert_cmpuint (bob_saw, ==, 0);

  /* On again: shown again. */
  g_settings_set_boolean (settings, "typing-indicators", TRUE);
  sotto_messenger_set_composing (bob->messenger, to_alice, FALSE);
  sotto_messenger_set_composing (bob->messenger, to_alice, TRUE);
  wait_until (gtk_widget_get_mapped (indicator));

  g_signal_handlers_disconnect_by_data (indicator, &shown);
  g_signal_handlers_disconnect_by_data (to_alice, &bob_saw);
  bob_close (bob);
}

/* Edit puts the message's text into the composer, and cancelling it
 * puts the draft back: neither is the user typing, so Bob hears
 * nothing of it.  A message Alice sends afterwards arrives after any
 * typing sent before it. */
static void
test_typing_not_for_edit (Fixture       *fixture,
                          gconstpointer  user_data)
{
  SottoConversationView *view;
  SottoConversation *to_alice;
  SottoConversation *to_bob;
  g_autoptr(SottoMessage) hi_bob = NULL;
  g_autoptr(GAsyncResult) sent = NULL;
  SottoReplyBar *reply_bar;
  GListModel *messages;
  guint bob_saw = 0;
  Bob *bob;

  to_alice = start_talking (fixture, &bob);
  view = conversation_view (fixture);
  reply_bar = SOTTO_REPLY_BAR (app_test_find_matching (GTK_WIDGET (view), is_reply_bar, NULL));
  to_bob = sotto_conversation_view_get_conversation (view);
  messages = sotto_conversation_get_messages (to_bob);
  hi_bob = g_list_model_get_item (messages, 0);
  g_assert_cmpstr (sotto_message_get_body (hi_bob), ==, "hi bob");
  g_signal_connect (to_alice, "notify::peer-typing", G_CALLBACK (count_cb), &bob_saw);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "conversation.edit-message", "s",
                                             sotto_message_get_id (hi_bob)));
  g_assert_true (sotto_reply_bar_get_editing (reply_bar));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "conversation.cancel-reply", NULL));
  g_assert_false (sotto_reply_bar_get_editing (reply_bar));

  /* Sent by the window's messenger, not typed into the composer. */
  sotto_messenger_send_async (sotto_window_get_messenger (fixture->window), to_bob, "no typing", NULL,
                              result_cb, &sent);
  wait_until (sent != NULL);
  g_assert_true (sotto_messenger_send_finish (sotto_window_get_messenger (fixture->window), sent, NULL, NULL));
  wait_until (last_message_is (fixture, "no typing", SOTTO_MESSAGE_STATE_DELIVERED));
  g_assert_cmpuint (bob_saw, ==, 0);
  g_assert_false (sotto_conversation_get_peer_typing (to_alice));

  g_signal_handlers_disconnect_by_data (to_alice, &bob_saw);
  bob_close (bob);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/typing/indicator", Fixture, NULL,
              fixture_set_up, test_typing_indicator, fixture_tear_down);
  g_test_add ("/app/typing/not-for-edit", Fixture, NULL,
              fixture_set_up, test_typing_not_for_edit, fixture_tear_down);

  return g_test_run ();
}
