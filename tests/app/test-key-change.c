/* test-key-change.c: a verified contact's key changes, in the real window
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice is the app in this process, Bob is sotto-cli, and a real
 * sotto-relay runs between them (see conversation-fixture.c).
 */

#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "app-test-util.h"
#include "conversation-fixture.h"
#include "sotto-contact.h"


typedef struct
{
  const char *text;
  guint n_found;
} LabelCount;

/* Counts the mapped labels that show a text, and matches none so that
 * the walk goes through them all. */
static gboolean
count_label (GtkWidget     *widget,
             gconstpointer  data)
{
  LabelCount *count = (LabelCount *) data;

  if (GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget)
      && strstr (gtk_label_get_label (GTK_LABEL (widget)), count->text) != NULL)
    count->n_found++;

  return FALSE;
}

static guint
count_labels (GtkWidget  *root,
              const char *text)
{
  LabelCount count = { text, 0 };

  app_test_find_matching (root, count_label, &count);

  return count.n_found;
}

/* Bob, whom Alice verified, gets a new key.  The conversation says so
 * once, in words that match the composer (which is off: nothing can be
 * written to wait unsent), with the event in the timeline as its record
 * and no toast on top.  The message that came with the new key is not
 * left at one tick for Bob: once Alice accepts the new number, Bob
 * learns that it arrived and was read. */
static void
test_key_change_hold (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autofree char *digits = NULL;
  g_autofree char *while_held = NULL;
  g_autofree char *after = NULL;
  SottoConversationView *view;
  SottoContact *bob;
  GtkWidget *root;
  GtkWidget *banner;

  start_alice (fixture);
  root = GTK_WIDGET (fixture->window);
  open_conversation_with_bob (fixture);
  view = conversation_view (fixture);
  bob = sotto_conversation_get_contact (open_conversation (fixture));
  send_from_composer (fixture, "hello bob");
  wait_until (last_message_is (fixture, "hello bob", SOTTO_MESSAGE_STATE_SENT));
  g_free (run_cli (fixture, "send", "alice", "hi alice", NULL));
  wait_until (app_test_find_label (root, "hi alice") != NULL);

  digits = g_strstrip (run_cli (fixture, "safety-number", "alice", NULL));
  verify_contact (bob, digits);
  activate_alice (fixture);

  g_free (run_cli (fixture, "reset-identity", NULL));
  g_free (run_cli (fixture, "send", "alice", "new key, who dis", NULL));
  wait_until (app_test_find_label (root, "new key, who dis") != NULL);
  wait_until (sotto_contact_get_verification_state (bob) == SOTTO_VERIFICATION_STATE_CHANGED);
  run_main_loop_for (500);

  /* One statement, and it says what the composer does. */
  banner = app_test_find_widget (GTK_WIDGET (view), GTK_TYPE_REVEALER);
  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (banner)));
  g_assert_cmpuint (count_labels (banner, "Sending to bob is paused until you verify the new number or accept it."), ==, 1);
  g_assert_cmpuint (count_labels (root, "stay unsent"), ==, 0);
  g_assert_cmpuint (count_labels (root, "is paused"), ==, 1);
  g_assert_false (gtk_widget_is_sensitive (app_test_find_widget (GTK_WIDGET (view), GTK_TYPE_TEXT_VIEW)));
  /* The timeline's event is the record; no toast repeats it. */
  g_assert_cmpuint (count_labels (root, "Your safety number with bob changed"), ==, 2);
  g_assert_cmpuint (count_labels (GTK_WIDGET (view), "Your safety number with bob changed"), ==, 2);

  /* While sending is held, nothing goes to the new key, receipts neither. */
  wait_until (sotto_conversation_get_unread_count (open_conversation (fixture)) == 0);
  run_main_loop_for (1500);
  while_held = peer_sees_state (fixture->bob_profile, "new key, who dis");
  g_assert_cmpstr (while_held, ==, "sent");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "conversation.accept-identity", NULL));
  wait_until (sotto_contact_get_verification_state (bob) == SOTTO_VERIFICATION_STATE_UNVERIFIED);
  run_main_loop_for (1000);
  after = peer_sees_state (fixture->bob_profile, "new key, who dis");
  g_assert_cmpstr (after, ==, "read");
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add ("/app/key-change/hold", Fixture, NULL,
              fixture_set_up, test_key_change_hold, fixture_tear_down);

  return g_test_run ();
}
