/* test-unlock-page.c: the page that asks for a profile's passphrase
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A real session on a real profile: a new one asks for a passphrase
 * twice and unlocks nothing until both agree; an existing one asks once,
 * and says so when the passphrase is wrong.
 */

#include "config.h"

#include "app-test-util.h"
#include "page-test-util.h"
#include "sotto-store.h"
#include "sotto-unlock-page.h"

typedef struct
{
  guint session;
  guint activity;
} Notifies;

static GtkWindow *
show_page (SottoUnlockPage *page,
           Notifies        *notifies)
{
  g_signal_connect (page, "notify::session", G_CALLBACK (page_test_count_cb), &notifies->session);
  g_signal_connect (page, "notify::activity", G_CALLBACK (page_test_count_cb), &notifies->activity);

  return page_test_show (GTK_WIDGET (page));
}

/* Unlocks with what the rows hold, and waits for the verdict. */
static void
unlock (SottoUnlockPage *page)
{
  gtk_widget_activate_action (GTK_WIDGET (page), "unlock.unlock", NULL);
  g_assert_cmpstr (sotto_session_page_get_activity (SOTTO_SESSION_PAGE (page)), ==, "Opening your messages…");
  app_test_wait_until (sotto_session_page_get_activity (SOTTO_SESSION_PAGE (page)) == NULL);
}

static void
test_unlock_page_new_profile (void)
{
  g_autofree char *profile = page_test_make_profile ();
  SottoSession *session = page_test_session_new (profile);
  SottoUnlockPage *page = g_object_ref_sink (g_object_new (SOTTO_TYPE_UNLOCK_PAGE, NULL));
  Notifies notifies = { 0 };
  GtkWindow *window = show_page (page, &notifies);
  GtkWidget *root = GTK_WIDGET (page);

  sotto_session_page_set_session (SOTTO_SESSION_PAGE (page), session);
  sotto_session_page_set_session (SOTTO_SESSION_PAGE (page), session);
  g_assert_true (sotto_session_page_get_session (SOTTO_SESSION_PAGE (page)) == session);
  g_assert_cmpuint (notifies.session, ==, 1);
  sotto_unlock_page_present (page);

  /* A new passphrase is asked for twice. */
  g_assert_nonnull (app_test_find_label (root, "Protect Your Messages"));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (page_test_find_row (root, "Confirm Passphrase"))));
  g_assert_null (sotto_session_page_get_activity (SOTTO_SESSION_PAGE (page)));

  /* Two that differ unlock nothing. */
  page_test_set_row_text (root, "Passphrase", PAGE_TEST_PASSPHRASE);
  page_test_set_row_text (root, "Confirm Passphrase", "something else");
  gtk_widget_activate_action (root, "unlock.unlock", NULL);
  g_assert_null (sotto_session_page_get_activity (SOTTO_SESSION_PAGE (page)));
  g_assert_cmpuint (notifies.activity, ==, 0);
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_LOCKED);

  /* Two that agree make the profile, which has no account yet; the
   * passphrase leaves the widgets. */
  page_test_set_row_text (root, "Confirm Passphrase", PAGE_TEST_PASSPHRASE);
  unlock (page);
  g_assert_cmpuint (notifies.activity, ==, 2);
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_UNREGISTERED);
  g_assert_cmpstr (gtk_editable_get_text (page_test_find_row (root, "Passphrase")), ==, "");
  g_assert_cmpstr (gtk_editable_get_text (page_test_find_row (root, "Confirm Passphrase")), ==, "");

  page_test_finish (window, GTK_WIDGET (page), session, profile);
}

static void
test_unlock_page_wrong_passphrase (void)
{
  g_autofree char *profile = page_test_make_profile ();
  SottoSession *session = page_test_session_new (profile);
  SottoUnlockPage *page = g_object_ref_sink (g_object_new (SOTTO_TYPE_UNLOCK_PAGE, NULL));
  Notifies notifies = { 0 };
  g_autoptr(GError) error = NULL;
  GtkWindow *window;
  GtkWidget *root = GTK_WIDGET (page);
  const char *wrong = "That passphrase does not unlock your messages.";

  g_assert_true (page_test_unlock (session, PAGE_TEST_PASSPHRASE, &error));
  page_test_close (session);
  g_assert_finalize_object (session);

  /* The profile exists now, and wants its passphrase. */
  session = page_test_session_new (profile);
  g_assert_false (page_test_unlock (session, NULL, &error));
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_PASSPHRASE_REQUIRED);

  window = show_page (page, &notifies);
  g_object_set (page, "session", session, NULL);
  g_assert_cmpuint (notifies.session, ==, 1);
  sotto_unlock_page_present (page);
  g_assert_nonnull (app_test_find_label (root, "Unlock Your Messages"));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (page_test_find_row (root, "Confirm Passphrase"))));
  g_assert_null (app_test_find_label (root, wrong));

  page_test_set_row_text (root, "Passphrase", "not the passphrase");
  unlock (page);
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_LOCKED);
  g_assert_nonnull (app_test_find_label (root, wrong));
  /* What was typed stays, to be corrected. */
  g_assert_cmpstr (gtk_editable_get_text (page_test_find_row (root, "Passphrase")), ==, "not the passphrase");

  page_test_set_row_text (root, "Passphrase", PAGE_TEST_PASSPHRASE);
  unlock (page);
  g_assert_cmpuint (notifies.activity, ==, 4);
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_UNREGISTERED);
  g_assert_null (app_test_find_label (root, wrong));

  page_test_finish (window, GTK_WIDGET (page), session, profile);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/app/unlock-page/new-profile", test_unlock_page_new_profile);
  g_test_add_func ("/app/unlock-page/wrong-passphrase", test_unlock_page_wrong_passphrase);

  return g_test_run ();
}
