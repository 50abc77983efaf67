/* test-conversation-view.c: the timeline and composer of a conversation
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice's real conversation with Bob, on a real sotto-relay: each of the
 * view's properties notifies once per change and never for a value it
 * already had, and the view is finalized once released.
 */

#include "config.h"

#include "app-test-util.h"
#include "chat-test-util.h"
#include "page-test-util.h"
#include "sotto-conversation-view.h"

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

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/conversation-view/conversation", ChatTest, NULL,
              chat_test_set_up, test_conversation_view_conversation, chat_test_tear_down);

  return g_test_run ();
}
