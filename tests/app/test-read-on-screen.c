/* test-read-on-screen.c: read receipts only for what was on screen
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice is the app in this process, Bob is sotto-cli, and a real
 * sotto-relay runs between them (see conversation-fixture.c).  What Bob
 * sees of his messages is what the read receipts told him.
 */

#include "config.h"

#include <adwaita.h>

#include "app-test-util.h"
#include "conversation-fixture.h"
#include "page-test-util.h"
#include "sotto-contact.h"
#include "sotto-conversation-list.h"
#include "sotto-message-row.h"

/* More messages from Bob than Alice's window shows at once: two screens
 * and more of a window WINDOW_HEIGHT high, which holds four or five. */
#define N_MESSAGES 16
#define WINDOW_HEIGHT 420

/* Long enough for the window to have counted what it shows as read, and
 * for it to have told the relay. */
#define SETTLE_MS 1500

typedef enum
{
  OUT_OF_SIGHT,
  PARTLY_IN_SIGHT,
  IN_SIGHT,
} Sight;

static char *
message_text (guint i)
{
  return g_strdup_printf ("unread %02u", i);
}

static GtkWidget *
timeline_scroller (SottoConversationView *view)
{
  return gtk_widget_get_ancestor (app_test_find_widget (GTK_WIDGET (view), GTK_TYPE_LIST_VIEW),
                                  GTK_TYPE_SCROLLED_WINDOW);
}

/* How much of the row of the message @text the timeline shows. */
static Sight
message_sight (SottoConversationView *view,
               const char            *text)
{
  GtkWidget *label = app_test_find_label (GTK_WIDGET (view), text);
  GtkWidget *scroller = timeline_scroller (view);
  float height = gtk_widget_get_height (scroller);
  graphene_rect_t bounds;

  if (label == NULL
      || !gtk_widget_compute_bounds (gtk_widget_get_ancestor (label, SOTTO_TYPE_MESSAGE_ROW), scroller, &bounds)
      || bounds.origin.y + bounds.size.height <= 0 || bounds.origin.y >= height)
    return OUT_OF_SIGHT;

  if (bounds.origin.y >= 0 && bounds.origin.y + bounds.size.height <= height)
    return IN_SIGHT;

  return PARTLY_IN_SIGHT;
}

/* Alice goes to another window, which she leaves to the caller to
 * close: what arrives meanwhile stays unread. */
static GtkWidget *
look_elsewhere (Fixture *fixture)
{
  GtkWidget *other = gtk_window_new ();

  gtk_window_present (GTK_WINDOW (other));
  wait_until (gtk_window_is_active (GTK_WINDOW (other)) && !gtk_window_is_active (GTK_WINDOW (fixture->window)));

  return other;
}

/* Opens @conversation in Alice's window, as its notification does. */
static gboolean
show_conversation (Fixture           *fixture,
                   SottoConversation *conversation)
{
  return sotto_window_open_conversation (fixture->window,
                                         sotto_contact_get_uuid (sotto_conversation_get_contact (conversation)));
}

/* Which of his messages Bob sees read, once all have reached Alice and
 * as many as she has read are read: receipts take their time through the
 * relay. */
static GHashTable *
bob_waits_for_reads (Fixture           *fixture,
                     SottoConversation *bob)
{
  gint64 deadline = g_get_monotonic_time () + APP_TEST_TIMEOUT_SECONDS * G_USEC_PER_SEC;
  guint n_read_by_alice = N_MESSAGES - sotto_conversation_get_unread_count (bob);

  for (;;)
    {
      g_autoptr(GHashTable) states = peer_states (fixture->bob_profile);
      g_autoptr(GHashTable) read = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      gboolean all_delivered = TRUE;

      for (guint i = 0; i < N_MESSAGES; i++)
        {
          g_autofree char *text = message_text (i);
          const char *state = g_hash_table_lookup (states, text);

          g_assert_nonnull (state);
          if (g_str_equal (state, "read"))
            g_hash_table_add (read, g_steal_pointer (&text));
          else if (!g_str_equal (state, "delivered"))
            all_delivered = FALSE;
        }

      if (all_delivered && g_hash_table_size (read) >= n_read_by_alice)
        {
          g_assert_cmpuint (g_hash_table_size (read), ==, n_read_by_alice);
          return g_steal_pointer (&read);
        }
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      run_main_loop_for (100);
    }
}

/* Every message the timeline shows whole is read for Bob, and every one
 * read for him since @before is one the timeline shows. */
static void
assert_read_is_in_sight (SottoConversationView *view,
                         GHashTable            *read,
                         GHashTable            *before)
{
  for (guint i = 0; i < N_MESSAGES; i++)
    {
      g_autofree char *text = message_text (i);
      Sight sight = message_sight (view, text);

      if (sight == IN_SIGHT)
        g_assert_true (g_hash_table_contains (read, text));
      else if (sight == OUT_OF_SIGHT && !g_hash_table_contains (before, text))
        g_assert_false (g_hash_table_contains (read, text));
    }
}

/* Bob writes more than a screenful while Alice is in another window:
 * nothing is read.  She opens the conversation: Bob learns that she read
 * the messages on her screen, and only those.  She jumps to the newest:
 * those on screen are read, the ones she skipped are not.  Scrolling up
 * through them, the rest are read. */
static void
test_read_on_screen_receipts (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autoptr(GHashTable) read = NULL;
  g_autoptr(GHashTable) before = NULL;
  g_autofree char *bob_uuid = NULL;
  g_autofree char *first = message_text (0);
  g_autofree char *last = message_text (N_MESSAGES - 1);
  SottoConversationView *view;
  SottoConversation *bob;
  GtkAdjustment *adjustment;
  GtkWidget *other;
  guint n_skipped = 0;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  bob = open_conversation (fixture);
  bob_uuid = g_strdup (sotto_contact_get_uuid (sotto_conversation_get_contact (bob)));
  send_from_composer (fixture, "write to me");
  wait_until (last_message_is (fixture, "write to me", SOTTO_MESSAGE_STATE_SENT));

  /* Alice is in another window while they arrive, with Bob's
   * conversation open behind it. */
  other = look_elsewhere (fixture);
  for (guint i = 0; i < N_MESSAGES; i++)
    {
      g_autofree char *text = message_text (i);

      g_free (run_cli (fixture, "send", "alice", text, NULL));
    }
  wait_until (sotto_conversation_get_unread_count (bob) == N_MESSAGES);
  wait_until (app_test_find_label (GTK_WIDGET (conversation_view (fixture)), last) != NULL);
  run_main_loop_for (SETTLE_MS);
  g_assert_cmpuint (sotto_conversation_get_unread_count (bob), ==, N_MESSAGES);
  before = bob_waits_for_reads (fixture, bob);
  g_assert_cmpuint (g_hash_table_size (before), ==, 0);
  gtk_window_destroy (GTK_WINDOW (other));

  /* She comes back later, in a smaller window, and opens the
   * conversation where the unread messages start. */
  g_settings_set_int (sotto_application_get_settings (fixture->app), "window-height", WINDOW_HEIGHT);
  reopen_alice (fixture);
  activate_alice (fixture);
  wait_until ((bob = sotto_conversation_list_find_by_username (sotto_messenger_get_conversations (sotto_window_get_messenger (fixture->window)),
                                                                 "bob")) != NULL);
  g_assert_cmpuint (sotto_conversation_get_unread_count (bob), ==, N_MESSAGES);
  g_assert_true (sotto_window_open_conversation (fixture->window, bob_uuid));
  view = conversation_view (fixture);
  wait_until (message_sight (view, first) == IN_SIGHT);
  wait_until (sotto_conversation_get_unread_count (bob) < N_MESSAGES);
  run_main_loop_for (SETTLE_MS);

  read = bob_waits_for_reads (fixture, bob);
  assert_read_is_in_sight (view, read, before);
  g_assert_true (g_hash_table_contains (read, first));
  g_assert_false (g_hash_table_contains (read, last));
  g_assert_cmpuint (sotto_conversation_get_unread_count (bob), >, 0);

  /* End goes to the newest: they are read, and what she skipped is not. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "conversation.scroll-to-end", NULL));
  wait_until (sotto_conversation_view_get_at_end (view) && message_sight (view, last) == IN_SIGHT);
  wait_until (sotto_conversation_get_unread_count (bob) < N_MESSAGES - g_hash_table_size (read));
  run_main_loop_for (SETTLE_MS);

  g_clear_pointer (&before, g_hash_table_unref);
  before = g_steal_pointer (&read);
  read = bob_waits_for_reads (fixture, bob);
  assert_read_is_in_sight (view, read, before);
  g_assert_true (g_hash_table_contains (read, first));
  g_assert_true (g_hash_table_contains (read, last));
  for (guint i = 0; i < N_MESSAGES; i++)
    {
      g_autofree char *text = message_text (i);

      n_skipped += !g_hash_table_contains (read, text);
    }
  g_assert_cmpuint (n_skipped, >, 0);
  g_assert_cmpuint (sotto_conversation_get_unread_count (bob), ==, n_skipped);

  /* Scrolled up through them, a third of a screen at a time as a reader
   * goes, the rest are read. */
  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (timeline_scroller (view)));
  wait_until ((gtk_adjustment_set_value (adjustment, gtk_adjustment_get_value (adjustment)
                                                     - gtk_adjustment_get_page_size (adjustment) / 3),
               run_main_loop_for (800),
               sotto_conversation_get_unread_count (bob) == 0));

  g_clear_pointer (&read, g_hash_table_unref);
  read = bob_waits_for_reads (fixture, bob);
  g_assert_cmpuint (g_hash_table_size (read), ==, N_MESSAGES);
}

/* Carol's conversation is open, and Alice in another window, when Bob
 * writes a line: opening his, the one new message fits on screen with
 * the rest, so it is read at once, the chat list's count goes, and
 * there is nothing below to jump to. */
static void
test_read_on_screen_fits (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autofree char *carol_profile = page_test_make_profile ();
  SottoConversationList *conversations;
  SottoConversationView *view;
  SottoConversation *bob;
  SottoConversation *carol = NULL;
  GtkWidget *other;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  bob = open_conversation (fixture);

  g_free (run_cli_as (carol_profile, "register", "--relay", fixture->relay->base_url, "--username", "carol", NULL));
  g_free (run_cli_as (carol_profile, "send", "alice", "hi, it's carol", NULL));
  conversations = sotto_messenger_get_conversations (sotto_window_get_messenger (fixture->window));
  wait_until ((carol = sotto_conversation_list_find_by_username (conversations, "carol")) != NULL);
  g_assert_true (show_conversation (fixture, carol));
  g_assert_true (open_conversation (fixture) == carol);

  other = look_elsewhere (fixture);
  g_free (run_cli (fixture, "send", "alice", "short", NULL));
  wait_until (sotto_conversation_get_unread_count (bob) == 1);
  gtk_window_destroy (GTK_WINDOW (other));
  activate_alice (fixture);

  g_assert_true (show_conversation (fixture, bob));
  view = conversation_view (fixture);
  wait_until (message_sight (view, "short") == IN_SIGHT);
  wait_until (sotto_conversation_get_unread_count (bob) == 0);
  wait_until (sotto_conversation_view_get_at_end (view));
  app_test_wait_for_paint (GTK_WIDGET (view));
  g_assert_null (find_button (GTK_WIDGET (view), "conversation.scroll-to-end"));
}

/* A short conversation opened from its notification behind another
 * window while its messages keep coming, then shown, then with the
 * window made taller and narrower: whatever the order the list view
 * places the rows in, all of it is in sight, read, and there is no way
 * down to offer.  (The new-user trial saw an unread badge and an empty
 * jump button left on a short conversation; this and "fits" did not
 * make it happen.) */
static void
test_read_on_screen_arriving (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autofree char *carol_profile = page_test_make_profile ();
  SottoConversationList *conversations;
  SottoConversationView *view;
  SottoConversation *bob;
  SottoConversation *carol = NULL;
  GtkWidget *other;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  bob = open_conversation (fixture);

  g_free (run_cli_as (carol_profile, "register", "--relay", fixture->relay->base_url, "--username", "carol", NULL));
  g_free (run_cli_as (carol_profile, "send", "alice", "hi, it's carol", NULL));
  conversations = sotto_messenger_get_conversations (sotto_window_get_messenger (fixture->window));
  wait_until ((carol = sotto_conversation_list_find_by_username (conversations, "carol")) != NULL);
  g_assert_true (show_conversation (fixture, carol));

  other = look_elsewhere (fixture);
  g_free (run_cli (fixture, "send", "alice", "first", NULL));
  wait_until (sotto_conversation_get_unread_count (bob) == 1);

  /* Alice opens it from its notification, behind the other window;
   * Bob writes twice more meanwhile. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->app), "open-conversation",
                                  g_variant_new_string (sotto_contact_get_uuid (sotto_conversation_get_contact (bob))));
  view = conversation_view (fixture);
  g_free (run_cli (fixture, "send", "alice", "second", NULL));
  g_free (run_cli (fixture, "send", "alice", "third", NULL));
  wait_until (sotto_conversation_get_unread_count (bob) == 3);
  gtk_window_destroy (GTK_WINDOW (other));
  activate_alice (fixture);
  wait_until (message_sight (view, "third") == IN_SIGHT);
  wait_until (sotto_conversation_get_unread_count (bob) == 0);

  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 760, 900);
  app_test_wait_for_paint (GTK_WIDGET (view));
  wait_until (sotto_conversation_view_get_at_end (view));
  app_test_wait_for_paint (GTK_WIDGET (view));
  g_assert_null (find_button (GTK_WIDGET (view), "conversation.scroll-to-end"));
}

/* Two short conversations laid out alike, each opened on a message that
 * came while Alice was in another window: the second takes the place of
 * the first without the view's scrolling changing at all, and still all
 * of it is in sight and read, with no way down to offer.  (The
 * new-user trial's unread badge and empty jump button on a short
 * conversation.) */
static void
test_read_on_screen_alike (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autofree char *carol_profile = page_test_make_profile ();
  SottoConversationList *conversations;
  SottoConversationView *view;
  SottoConversation *bob;
  SottoConversation *carol;
  GtkWidget *other;

  g_free (run_cli_as (carol_profile, "register", "--relay", fixture->relay->base_url, "--username", "carol", NULL));
  start_alice (fixture);
  conversations = sotto_messenger_get_conversations (sotto_window_get_messenger (fixture->window));
  open_conversation_with (fixture, "carol");
  carol = open_conversation (fixture);
  send_from_composer (fixture, "hi");
  wait_until (last_message_is (fixture, "hi", SOTTO_MESSAGE_STATE_SENT));
  open_conversation_with_bob (fixture);
  bob = open_conversation (fixture);
  send_from_composer (fixture, "hi");
  wait_until (last_message_is (fixture, "hi", SOTTO_MESSAGE_STATE_SENT));
  g_assert_true (sotto_conversation_list_find_by_username (conversations, "carol") == carol);

  /* Behind another window, Bob writes while Carol's is open, and Carol
   * while Bob's is open. */
  g_assert_true (show_conversation (fixture, carol));
  other = look_elsewhere (fixture);
  g_free (run_cli (fixture, "send", "alice", "one", NULL));
  wait_until (sotto_conversation_get_unread_count (bob) == 1);
  g_assert_true (show_conversation (fixture, bob));
  g_free (run_cli_as (carol_profile, "send", "alice", "two", NULL));
  wait_until (sotto_conversation_get_unread_count (carol) == 1);
  gtk_window_destroy (GTK_WINDOW (other));
  activate_alice (fixture);

  view = conversation_view (fixture);
  wait_until (sotto_conversation_get_unread_count (bob) == 0);
  wait_until (sotto_conversation_view_get_at_end (view));

  g_assert_true (show_conversation (fixture, carol));
  wait_until (message_sight (view, "two") == IN_SIGHT);
  wait_until (sotto_conversation_get_unread_count (carol) == 0);
  wait_until (sotto_conversation_view_get_at_end (view));
  app_test_wait_for_paint (GTK_WIDGET (view));
  g_assert_null (find_button (GTK_WIDGET (view), "conversation.scroll-to-end"));
  page_test_remove_profile (carol_profile);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add ("/app/read-on-screen/receipts", Fixture, NULL,
              fixture_set_up, test_read_on_screen_receipts, fixture_tear_down);
  g_test_add ("/app/read-on-screen/fits", Fixture, NULL,
              fixture_set_up, test_read_on_screen_fits, fixture_tear_down);
  g_test_add ("/app/read-on-screen/arriving", Fixture, NULL,
              fixture_set_up, test_read_on_screen_arriving, fixture_tear_down);
  g_test_add ("/app/read-on-screen/alike", Fixture, NULL,
              fixture_set_up, test_read_on_screen_alike, fixture_tear_down);

  return g_test_run ();
}
