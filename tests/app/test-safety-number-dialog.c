/* test-safety-number-dialog.c: the dialog that compares safety numbers
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice and Bob on a real sotto-relay, each with the other's real
 * identity key: the dialog shows Alice the number Bob computes on his
 * side, says whether pasted digits are that number, and is finalized
 * once closed.
 */

#include "config.h"

#include "app-test-util.h"
#include "chat-test-util.h"
#include "page-test-util.h"
#include "sotto-contact.h"
#include "sotto-safety-number-dialog.h"

static void
test_safety_number_dialog_compare (ChatTest      *test,
                                   gconstpointer  data)
{
  g_autoptr(SottoConversation) with_alice = chat_test_open (test->bob, "alice");
  g_autoptr(SottoConversation) with_bob = NULL;
  const char *bobs_number;
  g_autofree char *grouped = NULL;
  g_autofree char *other = NULL;
  g_autofree char *first_group = NULL;
  SottoSafetyNumberDialog *dialog;
  GtkWidget *root;
  SottoContact *bob;
  g_autoptr(SottoContact) property = NULL;
  guint notified = 0;

  /* A first message, and each has the other's identity key. */
  chat_test_send (test->bob, with_alice, "Hello Alice");
  with_bob = chat_test_receive (test->alice, "bob", "Hello Alice");
  bob = sotto_conversation_get_contact (with_bob);
  bobs_number = sotto_contact_get_safety_number (sotto_conversation_get_contact (with_alice));
  g_assert_nonnull (bobs_number);
  grouped = sotto_contact_format_safety_number (bobs_number);
  other = g_strdup (bobs_number);
  first_group = g_strndup (bobs_number, 5);

  dialog = g_object_ref (sotto_safety_number_dialog_new (NULL, bob));
  root = GTK_WIDGET (dialog);

  g_signal_connect (dialog, "notify::contact", G_CALLBACK (page_test_count_cb), &notified);
  g_assert_true (sotto_safety_number_dialog_get_contact (dialog) == bob);
  g_object_get (dialog, "contact", &property, NULL);
  g_assert_true (property == bob);

  gtk_window_present (GTK_WINDOW (dialog));
  app_test_wait_until (gtk_widget_get_mapped (root));

  /* Both sides compute the same number. */
  g_assert_cmpstr (sotto_contact_get_safety_number (bob), ==, bobs_number);
  g_assert_nonnull (app_test_find_label (root, first_group));

  /* Bob's digits, grouped as he reads them out, match. */
  sotto_safety_number_dialog_compare (dialog, grouped);
  app_test_wait_until (app_test_find_label (root, "The numbers match. Nobody sits between you: "
                                                 "you can mark this contact as verified.") != NULL);

  /* One digit off does not. */
  other[59] = other[59] == '0' ? '1' : '0';
  sotto_safety_number_dialog_compare (dialog, other);
  app_test_wait_until (app_test_find_label (root, "The numbers do not match. Someone may be "
                                                 "intercepting your conversation, or one of you "
                                                 "copied an old number.") != NULL);

  /* Its contact is fixed for its life: nothing notifies. */
  g_assert_cmpuint (notified, ==, 0);

  page_test_release (GTK_WINDOW (dialog), dialog);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/app/safety-number-dialog/compare", ChatTest, NULL,
              chat_test_set_up, test_safety_number_dialog_compare, chat_test_tear_down);

  return g_test_run ();
}
