/* test-composer.c: what the user typed outlives a message not stored
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice in the app, Bob with sotto-cli, on a real relay.  A second
 * connection to Alice's database takes SQLite's write lock, as another
 * program reading her profile could: storing what she sends then fails
 * (SQLITE_BUSY), nothing is stored, and the composer gives her text
 * back, with the message it answered.  Two messages sent one after the
 * other while the first is on its way come back once each, in the order
 * she wrote them, and go out once when the database is free again.
 */

#include "config.h"

#include <sqlite3.h>

#include "conversation-fixture.h"
#include "sotto-reply-bar.h"

/* Holds the write lock of Alice's database until unlock_database(). */
static sqlite3 *
lock_database (Fixture *fixture)
{
  g_autofree char *path = g_build_filename (fixture->alice_profile, "sotto.db", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);

  return db;
}

static void
unlock_database (sqlite3 *db)
{
  g_assert_cmpint (sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

static gboolean
composer_holds (Fixture    *fixture,
                const char *text)
{
  g_autofree char *now = composer_text (fixture);

  return g_str_equal (now, text);
}

static guint
count_messages (Fixture *fixture)
{
  return g_list_model_get_n_items (sotto_conversation_get_messages (open_conversation (fixture)));
}

static guint
count_bodies (Fixture    *fixture,
              const char *body)
{
  GListModel *messages = sotto_conversation_get_messages (open_conversation (fixture));
  guint count = 0;

  for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
    {
      g_autoptr(SottoMessage) message = g_list_model_get_item (messages, i);

      count += sotto_message_get_loaded (message) && g_strcmp0 (sotto_message_get_body (message), body) == 0;
    }

  return count;
}

static gboolean
is_reply_bar (GtkWidget     *widget,
              gconstpointer  data)
{
  return SOTTO_IS_REPLY_BAR (widget);
}

static void
test_composer_keeps_unsent (Fixture       *fixture,
                            gconstpointer  user_data)
{
  GtkWidget *view;
  sqlite3 *db;
  guint before;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  view = GTK_WIDGET (conversation_view (fixture));
  send_from_composer (fixture, "hello bob");
  wait_until (last_message_is (fixture, "hello bob", SOTTO_MESSAGE_STATE_SENT));
  before = count_messages (fixture);

  db = lock_database (fixture);
  send_from_composer (fixture, "the first thing");
  /* Alice goes on writing while the first is on its way. */
  send_from_composer (fixture, "the second thing");
  wait_until (composer_holds (fixture, "the first thing\nthe second thing"));
  g_assert_cmpuint (count_messages (fixture), ==, before);
  unlock_database (db);

  /* Sent again, it goes once. */
  g_assert_true (gtk_widget_activate_action (view, "conversation.send", NULL));
  wait_until (last_message_is (fixture, "the first thing\nthe second thing", SOTTO_MESSAGE_STATE_SENT));
  g_assert_cmpuint (count_messages (fixture), ==, before + 1);
  g_assert_true (composer_holds (fixture, ""));
}

static void
test_composer_keeps_reply (Fixture       *fixture,
                           gconstpointer  user_data)
{
  SottoReplyBar *reply_bar;
  g_autoptr(SottoMessage) question = NULL;
  GtkWidget *view;
  sqlite3 *db;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  view = GTK_WIDGET (conversation_view (fixture));
  reply_bar = SOTTO_REPLY_BAR (app_test_find_matching (view, is_reply_bar, NULL));
  g_free (run_cli (fixture, "send", "alice", "lunch today?", NULL));
  wait_until (last_message_is (fixture, "lunch today?", SOTTO_MESSAGE_STATE_SENT));
  question = g_list_model_get_item (sotto_conversation_get_messages (open_conversation (fixture)),
                                    count_messages (fixture) - 1);

  g_assert_true (gtk_widget_activate_action (view, "conversation.reply-to", "s", sotto_message_get_id (question)));
  db = lock_database (fixture);
  send_from_composer (fixture, "yes, at noon");
  wait_until (composer_holds (fixture, "yes, at noon"));
  g_assert_true (sotto_reply_bar_get_message (reply_bar) == question);
  g_assert_false (sotto_reply_bar_get_editing (reply_bar));
  unlock_database (db);

  g_assert_true (gtk_widget_activate_action (view, "conversation.send", NULL));
  wait_until (last_message_is (fixture, "yes, at noon", SOTTO_MESSAGE_STATE_SENT));
  g_assert_cmpuint (count_bodies (fixture, "yes, at noon"), ==, 1);
  g_assert_null (sotto_reply_bar_get_message (reply_bar));
}

/* The window closed at once after a long message went, while the
 * composer, emptied, scrolls back to its top, goes without GTK 4.8's
 * critical warning (fatal here) of an animation stopped twice. */
static void
test_composer_close_after_send (Fixture       *fixture,
                                gconstpointer  user_data)
{
  GtkTextView *composer;
  GtkAdjustment *adjustment;

  start_alice (fixture);
  open_conversation_with_bob (fixture);
  composer = GTK_TEXT_VIEW (app_test_find_widget (GTK_WIDGET (conversation_view (fixture)), GTK_TYPE_TEXT_VIEW));
  adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (composer));
  activate_alice (fixture);
  gtk_widget_grab_focus (GTK_WIDGET (composer));
  app_test_type (GTK_WINDOW (fixture->window), "one");
  for (guint i = 0; i < 8; i++)
    {
      app_test_press (GTK_WINDOW (fixture->window), "shift+Return");
      app_test_type (GTK_WINDOW (fixture->window), "more");
    }
  /* The composer shows its last lines. */
  wait_until (gtk_adjustment_get_value (adjustment) > gtk_adjustment_get_lower (adjustment));
  app_test_press (GTK_WINDOW (fixture->window), "Return");
  wait_until (composer_holds (fixture, ""));
  close_alice (fixture);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/composer/keeps-unsent", Fixture, NULL,
              fixture_set_up, test_composer_keeps_unsent, fixture_tear_down);
  g_test_add ("/app/composer/keeps-reply", Fixture, NULL,
              fixture_set_up, test_composer_keeps_reply, fixture_tear_down);

  g_test_add ("/app/composer/close-after-send", Fixture, NULL,
              fixture_set_up, test_composer_close_after_send, fixture_tear_down);

  return g_test_run ();
}
