/* test-conversation-view.c: the timeline and composer of a conversation
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice's real conversation with Bob, on a real sotto-relay: each of the
 * view's properties notifies once per change and never for a value it
 * already had, the view is finalized once released, and a message found
 * and marked is unmarked when the view goes to the newest.
 */

#include "config.h"

#include "app-test-util.h"
#include "chat-test-util.h"
#include "page-test-util.h"
#include "sotto-conversation-view.h"
#include "sotto-message.h"
#include "sotto-timeline-model.h"

typedef struct
{
  guint conversation;
  guint folded;
  guint at_end;
  guint offline;
} Notifies;

static void
count_notifies (SottoConversationView *view,
                Notifies              *notifies)
{
  g_signal_connect (view, "notify::conversation", G_CALLBACK (page_test_count_cb), &notifies->conversation);
  g_signal_connect (view, "notify::folded", G_CALLBACK (page_test_count_cb), &notifies->folded);
  g_signal_connect (view, "notify::at-end", G_CALLBACK (page_test_count_cb), &notifies->at_end);
  g_signal_connect (view, "notify::offline", G_CALLBACK (page_test_count_cb), &notifies->offline);
}

static gboolean
get_boolean (SottoConversationView *view,
             const char            *property)
{
  gboolean value;

  g_object_get (view, property, &value, NULL);

  return value;
}

/* Sets @property, FALSE so far, to TRUE twice and back: one notify per
 * change, counted in @notified. */
static void
assert_toggles (SottoConversationView *view,
                const char            *property,
                const guint           *notified)
{
  g_assert_false (get_boolean (view, property));
  g_assert_cmpuint (*notified, ==, 0);
  g_object_set (view, property, TRUE, NULL);
  g_object_set (view, property, TRUE, NULL);
  g_assert_true (get_boolean (view, property));
  g_assert_cmpuint (*notified, ==, 1);
  g_object_set (view, property, FALSE, NULL);
  g_assert_false (get_boolean (view, property));
  g_assert_cmpuint (*notified, ==, 2);
}

static void
test_conversation_view_conversation (ChatTest      *test,
                                     gconstpointer  data)
{
  g_autoptr(SottoConversation) with_bob = chat_test_open (test->alice, "bob");
  SottoConversationView *view = g_object_ref_sink (SOTTO_CONVERSATION_VIEW (sotto_conversation_view_new ()));
  GtkWidget *root = GTK_WIDGET (view);
  Notifies notifies = { 0 };
  GtkTextView *composer;
  GtkWindow *window;

  count_notifies (view, &notifies);
  window = page_test_show (root);

  g_assert_null (sotto_conversation_view_get_conversation (view));
  g_assert_true (sotto_conversation_view_get_at_end (view));
  sotto_conversation_view_set_conversation (view, NULL);
  g_assert_cmpuint (notifies.conversation, ==, 0);

  sotto_conversation_view_set_conversation (view, with_bob);
  g_assert_true (sotto_conversation_view_get_conversation (view) == with_bob);
  g_assert_cmpuint (notifies.conversation, ==, 1);
  g_object_set (view, "conversation", with_bob, NULL);
  g_assert_cmpuint (notifies.conversation, ==, 1);
  /* A conversation opens on its newest messages, where the view was. */
  g_assert_true (sotto_conversation_view_get_at_end (view));
  g_assert_cmpuint (notifies.at_end, ==, 0);

  /* Messages sent show in the timeline. */
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *text = g_strdup_printf ("Message %u", i);

      chat_test_send (test->alice, with_bob, text);
      app_test_wait_until (app_test_find_label (root, text) != NULL);
    }

  /* Showing an older message leaves the end, and opening the
   * conversation again goes back there. */
  sotto_conversation_view_show_message (view, 0);
  g_assert_false (sotto_conversation_view_get_at_end (view));
  g_assert_false (get_boolean (view, "at-end"));
  g_assert_cmpuint (notifies.at_end, ==, 1);
  sotto_conversation_view_set_conversation (view, NULL);
  g_assert_true (sotto_conversation_view_get_at_end (view));
  g_assert_cmpuint (notifies.at_end, ==, 2);
  g_assert_cmpuint (notifies.conversation, ==, 2);

  assert_toggles (view, "folded", &notifies.folded);
  assert_toggles (view, "offline", &notifies.offline);

  /* Released while it shows a conversation with a draft in the
   * composer, it keeps nothing alive. */
  sotto_conversation_view_set_conversation (view, with_bob);
  g_assert_cmpuint (notifies.conversation, ==, 3);
  composer = GTK_TEXT_VIEW (app_test_find_widget (root, GTK_TYPE_TEXT_VIEW));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (composer), "Not sent yet", -1);
  page_test_release (window, view);
  /* And what was typed is kept. */
  app_test_wait_until (g_strcmp0 (sotto_conversation_get_draft (with_bob), "Not sent yet") == 0);
}

/* A message shown from a search is marked; going to the newest
 * messages unmarks it, also when it is among them. */
static void
test_conversation_view_unmark (ChatTest      *test,
                               gconstpointer  data)
{
  g_autoptr(SottoConversation) with_bob = chat_test_open (test->alice, "bob");
  g_autoptr(SottoMessage) found = NULL;
  SottoConversationView *view = g_object_ref_sink (SOTTO_CONVERSATION_VIEW (sotto_conversation_view_new ()));
  GtkWindow *window = page_test_show (GTK_WIDGET (view));
  GtkListView *timeline = GTK_LIST_VIEW (app_test_find_widget (GTK_WIDGET (view), GTK_TYPE_LIST_VIEW));
  GtkSingleSelection *selection = GTK_SINGLE_SELECTION (gtk_list_view_get_model (timeline));
  SottoTimelineModel *shown = SOTTO_TIMELINE_MODEL (gtk_single_selection_get_model (selection));
  guint page_size;
  guint n_messages;

  /* One message more than a page: the one a page from the end, shown
   * in the middle of its page, leaves the newest out of sight, and is
   * on the newest page too.  A page fills the timeline's height. */
  app_test_wait_until (gtk_widget_get_height (GTK_WIDGET (timeline)) > 0);
  sotto_conversation_view_set_conversation (view, with_bob);
  page_size = sotto_timeline_model_get_page_size (shown);
  sotto_conversation_view_set_conversation (view, NULL);
  n_messages = page_size + 1;
  for (guint i = 0; i < n_messages; i++)
    {
      g_autofree char *text = g_strdup_printf ("Message %u", i);

      chat_test_send (test->alice, with_bob, text);
    }
  sotto_conversation_view_set_conversation (view, with_bob);
  g_assert_cmpuint (sotto_timeline_model_get_page_size (shown), ==, page_size);

  found = g_list_model_get_item (sotto_conversation_get_messages (with_bob), n_messages - page_size);
  sotto_conversation_view_show_message (view, n_messages - page_size);
  g_assert_false (sotto_timeline_model_get_shows_newest (shown));
  g_assert_true (gtk_single_selection_get_selected_item (selection) == (gpointer) found);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "conversation.scroll-to-end", NULL));
  g_assert_true (sotto_timeline_model_get_shows_newest (shown));
  g_assert_cmpuint (gtk_single_selection_get_selected (selection), ==, GTK_INVALID_LIST_POSITION);
  g_assert_null (gtk_single_selection_get_selected_item (selection));

  page_test_release (window, view);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/conversation-view/conversation", ChatTest, NULL,
              chat_test_set_up, test_conversation_view_conversation, chat_test_tear_down);
  g_test_add ("/app/conversation-view/unmark", ChatTest, NULL,
              chat_test_set_up, test_conversation_view_unmark, chat_test_tear_down);

  return g_test_run ();
}
