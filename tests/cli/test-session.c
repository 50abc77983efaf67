/* test-session.c: a profile's session through its states, against a real relay
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The session is what the window and sotto-cli show: every state it
 * reports must be the profile's and the relay's real state, notified
 * once per change.  The relay is a real sotto-relay process that the
 * tests kill and start again on its port.
 */

#include "config.h"

#include <glib/gstdio.h>

#include "cli-test-util.h"
#include "sotto-messenger-private.h"
#include "sotto-session.h"

typedef struct
{
  guint state;
  guint error;
  guint connection;
} Notifies;

static void
count_cb (GObject    *object,
          GParamSpec *pspec,
          gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
watch (SottoSession *session,
       Notifies     *notifies)
{
  g_signal_connect (session, "notify::state", G_CALLBACK (count_cb), &notifies->state);
  g_signal_connect (session, "notify::error", G_CALLBACK (count_cb), &notifies->error);
}

#define wait_until(condition) \
  G_STMT_START { \
    while (!(condition)) \
      g_main_context_iteration (NULL, TRUE); \
  } G_STMT_END

static gboolean
unlock (SottoSession  *session,
        const char    *passphrase,
        GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  sotto_session_unlock_async (session, passphrase, NULL, cli_result_cb, &result);
  cli_wait_for (&result);

  return sotto_session_unlock_finish (session, result, error);
}

static void
register_account (SottoSession *session,
                  CliTest      *test,
                  const char   *username)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sotto_session_register_async (session, test->relay->url, username, NULL, NULL, NULL,
                                cli_result_cb, &result);
  cli_wait_for (&result);
  g_assert_true (sotto_session_register_finish (session, result, &error));
  g_assert_no_error (error);
}

static gboolean
connect_session (SottoSession  *session,
                 GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  sotto_session_connect_async (session, NULL, cli_result_cb, &result);
  cli_wait_for (&result);

  return sotto_session_connect_finish (session, result, error);
}

static void
close_session (SottoSession *session)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sotto_session_close_async (session, NULL, cli_result_cb, &result);
  cli_wait_for (&result);
  g_assert_true (sotto_session_close_finish (session, result, &error));
  g_assert_no_error (error);
  /* The store's thread hands its last references back here. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static SottoSession *
session_new (const char *profile)
{
  g_autoptr(GFile) directory = g_file_new_for_path (profile);

  return sotto_session_new (directory);
}

/* From a new profile to online, through a relay that dies and comes
 * back, and offline again. */
static void
test_session_lifecycle (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *profile = cli_test_profile (test, "alice");
  SottoSession *session = session_new (profile);
  SottoRelayClient *client;
  Notifies notifies = { 0 };
  g_autoptr(GError) error = NULL;
  guint connection_before;

  watch (session, &notifies);
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_LOCKED);
  g_assert_null (sotto_session_get_error (session));
  g_assert_null (sotto_session_get_messenger (session));

  /* A new profile opens, and has no account. */
  g_assert_true (unlock (session, CLI_TEST_PASSPHRASE, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_UNREGISTERED);
  g_assert_error (sotto_session_get_error (session), SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_FOUND);
  g_assert_nonnull (sotto_session_get_store (session));
  g_assert_cmpuint (notifies.state, ==, 1);
  g_assert_cmpuint (notifies.error, ==, 1);

  register_account (session, test, "alice");
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_OFFLINE);
  g_assert_null (sotto_session_get_error (session));
  g_assert_nonnull (sotto_session_get_messenger (session));
  g_assert_cmpuint (notifies.state, ==, 2);
  g_assert_cmpuint (notifies.error, ==, 2);

  /* Connecting, then online. */
  g_assert_true (connect_session (session, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_ONLINE);
  g_assert_cmpuint (notifies.state, ==, 4);
  g_assert_cmpuint (notifies.error, ==, 2);

  /* A second connect finds the session online. */
  g_assert_true (connect_session (session, &error));
  g_assert_cmpuint (notifies.state, ==, 4);

  /* The relay dies: offline, for the relay's sake. */
  client = _sotto_messenger_get_relay_client (sotto_session_get_messenger (session));
  g_signal_connect (client, "notify::connection", G_CALLBACK (count_cb), &notifies.connection);
  cli_relay_kill (test->relay);
  wait_until (sotto_session_get_state (session) == SOTTO_SESSION_STATE_OFFLINE);
  g_assert_error (sotto_session_get_error (session), SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (sotto_session_get_error (session)->message, test->relay->url));
  g_assert_cmpuint (notifies.state, ==, 5);
  g_assert_cmpuint (notifies.error, ==, 3);

  /* The client tries again and again; the session stays offline through
   * the attempts rather than flickering to connecting and back. */
  connection_before = notifies.connection;
  wait_until (notifies.connection >= connection_before + 4);
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_OFFLINE);
  g_assert_cmpuint (notifies.state, ==, 5);
  g_assert_cmpuint (notifies.error, ==, 3);

  /* The relay is back on its port: online again, with no error. */
  cli_relay_restart (test->relay);
  wait_until (sotto_session_get_state (session) == SOTTO_SESSION_STATE_ONLINE);
  g_assert_null (sotto_session_get_error (session));
  g_assert_cmpuint (notifies.state, ==, 6);
  g_assert_cmpuint (notifies.error, ==, 4);
  g_signal_handlers_disconnect_by_data (client, &notifies.connection);

  sotto_session_disconnect (session);
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_OFFLINE);
  g_assert_cmpuint (notifies.state, ==, 7);
  sotto_session_disconnect (session);
  g_assert_cmpuint (notifies.state, ==, 7);

  close_session (session);
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_LOCKED);
  g_assert_null (sotto_session_get_messenger (session));
  g_assert_null (sotto_session_get_store (session));
  g_assert_cmpuint (notifies.state, ==, 8);

  g_assert_finalize_object (session);
}

/* A profile with a passphrase stays locked until it is given. */
static void
test_session_passphrase (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *profile = cli_test_profile (test, "bob");
  SottoSession *session = session_new (profile);
  Notifies notifies = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_true (unlock (session, CLI_TEST_PASSPHRASE, &error));
  register_account (session, test, "bob");
  close_session (session);
  g_assert_finalize_object (session);

  session = session_new (profile);
  watch (session, &notifies);

  /* No keyring falls in for a passphrase. */
  g_assert_false (unlock (session, NULL, &error));
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_PASSPHRASE_REQUIRED);
  g_clear_error (&error);
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_LOCKED);
  g_assert_error (sotto_session_get_error (session), SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_PASSPHRASE_REQUIRED);
  g_assert_cmpuint (notifies.state, ==, 0);
  g_assert_cmpuint (notifies.error, ==, 1);

  g_assert_false (unlock (session, "not the passphrase", &error));
  g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_WRONG_PASSPHRASE);
  g_clear_error (&error);
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_LOCKED);
  g_assert_error (sotto_session_get_error (session), SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_WRONG_PASSPHRASE);
  g_assert_cmpuint (notifies.state, ==, 0);
  g_assert_cmpuint (notifies.error, ==, 2);

  /* The right one opens the registered account, offline until asked. */
  g_assert_true (unlock (session, CLI_TEST_PASSPHRASE, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_OFFLINE);
  g_assert_null (sotto_session_get_error (session));
  g_assert_cmpstr (sotto_account_get_username (sotto_messenger_get_account (sotto_session_get_messenger (session))),
                   ==, "bob");
  g_assert_cmpuint (notifies.state, ==, 1);
  g_assert_cmpuint (notifies.error, ==, 3);

  /* A registered profile keeps its account. */
  {
    g_autoptr(GAsyncResult) result = NULL;

    sotto_session_register_async (session, test->relay->url, "bobby", NULL, NULL, NULL,
                                  cli_result_cb, &result);
    cli_wait_for (&result);
    g_assert_false (sotto_session_register_finish (session, result, &error));
    g_assert_error (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_REGISTERED);
    g_clear_error (&error);
    g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_OFFLINE);
    g_assert_cmpuint (notifies.state, ==, 1);
  }

  close_session (session);
  g_assert_finalize_object (session);
}

/* The first attempt to reach a relay that is down says why; the session
 * goes on trying and is online once the relay is back. */
static void
test_session_unreachable (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *profile = cli_test_profile (test, "carol");
  SottoSession *session = session_new (profile);
  Notifies notifies = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_true (unlock (session, CLI_TEST_PASSPHRASE, &error));
  register_account (session, test, "carol");
  cli_relay_kill (test->relay);
  watch (session, &notifies);

  g_assert_false (connect_session (session, &error));
  g_assert_error (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE);
  g_clear_error (&error);
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_OFFLINE);
  /* Connecting, then offline again, now with a reason. */
  g_assert_cmpuint (notifies.state, ==, 2);
  g_assert_cmpuint (notifies.error, ==, 1);

  cli_relay_restart (test->relay);
  wait_until (sotto_session_get_state (session) == SOTTO_SESSION_STATE_ONLINE);
  g_assert_cmpuint (notifies.state, ==, 3);
  g_assert_null (sotto_session_get_error (session));

  close_session (session);
  g_assert_finalize_object (session);
}

/* A profile that cannot be opened at all fails, with the reason. */
static void
test_session_failed (void)
{
  g_autoptr(CliTest) test = cli_test_new_without_relay ();
  g_autofree char *profile = g_build_filename (test->root, "not-a-directory", NULL);
  SottoSession *session = NULL;
  Notifies notifies = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (profile, "", 0, NULL));
  session = session_new (profile);
  watch (session, &notifies);

  g_assert_false (unlock (session, CLI_TEST_PASSPHRASE, &error));
  g_assert_nonnull (error);
  g_assert_cmpint (sotto_session_get_state (session), ==, SOTTO_SESSION_STATE_FAILED);
  g_assert_nonnull (sotto_session_get_error (session));
  g_assert_cmpstr (sotto_session_get_error (session)->message, ==, error->message);
  g_assert_cmpuint (notifies.state, ==, 1);
  g_assert_cmpuint (notifies.error, ==, 1);

  g_assert_finalize_object (session);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/session/lifecycle", test_session_lifecycle);
  g_test_add_func ("/session/passphrase", test_session_passphrase);
  g_test_add_func ("/session/unreachable", test_session_unreachable);
  g_test_add_func ("/session/failed", test_session_failed);

  return g_test_run ();
}
