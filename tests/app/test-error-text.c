/* test-error-text.c: what the user reads when something goes wrong
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "sotto-error-text.h"
#include "sotto-messenger.h"
#include "sotto-relay-error.h"

/* What a hostile relay might write in its refusals, as the relay client
 * puts it in the error. */
static const char relay_text[] = "The relay refused the request (400 bad-request): "
                                 "Your account is locked, call +1 555 0100 now";

/* Every kind of refusal a relay's answer makes is told in Sotto's own
 * sentence, never in the relay's text. */
static void
test_error_text_relay_words (void)
{
  static const SottoRelayError refusals[] = {
    SOTTO_RELAY_ERROR_FAILED,
    SOTTO_RELAY_ERROR_UNAVAILABLE,
    SOTTO_RELAY_ERROR_RATE_LIMITED,
    SOTTO_RELAY_ERROR_UNAUTHORIZED,
    SOTTO_RELAY_ERROR_NOT_FOUND,
    SOTTO_RELAY_ERROR_USERNAME_TAKEN,
    SOTTO_RELAY_ERROR_REGISTRATION_CLOSED,
    SOTTO_RELAY_ERROR_DEVICE_MISMATCH,
    SOTTO_RELAY_ERROR_STALE_DEVICES,
    SOTTO_RELAY_ERROR_BAD_REQUEST,
    SOTTO_RELAY_ERROR_BAD_RESPONSE,
    /* A code of a newer engine, unknown to this table. */
    (SottoRelayError) 1000,
  };

  for (guint i = 0; i < G_N_ELEMENTS (refusals); i++)
    {
      g_autoptr(GError) error = g_error_new_literal (SOTTO_RELAY_ERROR, refusals[i], relay_text);
      g_autofree char *general = sotto_error_text_general (error);
      g_autofree char *described = sotto_error_text_describe (error, "https://relay.example.org", "bob");

      g_test_message ("%d: %s / %s", refusals[i], general, described);
      g_assert_null (strstr (general, "555"));
      g_assert_null (strstr (described, "555"));
      g_assert_true (g_str_has_suffix (general, "."));
      g_assert_true (g_str_has_suffix (described, "."));
    }
}

/* Sotto's own errors, which it wrote in words for the user, stay. */
static void
test_error_text_own_words (void)
{
  g_autoptr(GError) unreachable = g_error_new_literal (SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE,
                                                        "The relay at https://relay.example.org cannot be reached.");
  g_autoptr(GError) offline = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE,
                                                    "This computer is not connected to a network.");
  g_autofree char *unreachable_text = sotto_error_text_general (unreachable);
  g_autofree char *offline_text = sotto_error_text_general (offline);
  g_autofree char *taken = NULL;
  g_autoptr(GError) taken_error = g_error_new_literal (SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_USERNAME_TAKEN, relay_text);

  g_assert_cmpstr (unreachable_text, ==, "The relay at https://relay.example.org cannot be reached.");
  g_assert_cmpstr (offline_text, ==, "This computer is not connected to a network.");

  /* Where the app knows the username, the sentence names it. */
  taken = sotto_error_text_describe (taken_error, "https://relay.example.org", "bob");
  g_assert_cmpstr (taken, ==, "The username “bob” is taken. Choose another one.");
}

/* A change about no one in particular (a group's rename, a message to a
 * group) never blames a username. */
static void
test_error_text_no_username (void)
{
  g_autoptr(GError) not_found = g_error_new_literal (SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_NOT_FOUND, relay_text);
  g_autofree char *described = sotto_error_text_describe (not_found, "https://relay.example.org", NULL);

  g_assert_cmpstr (described, ==, "The relay does not know this person or device.");
}

/* What is wrong with a username is said before anything goes to the
 * relay, by the rule the relay applies (relay_username_is_valid()):
 * the first thing to fix, then the rule; a valid one has nothing. */
static void
test_error_text_username (void)
{
  static const struct { const char *username; const char *problem; } cases[] = {
    { "alice", NULL },
    { "al.ice_2", NULL },
    { "Al ice", "A username has no spaces or capital letters." },
    { "al ice", "A username has no spaces." },
    { "Alice", "A username has no capital letters." },
    { "alice!", "A username cannot have “!”." },
    { "zoë", "A username cannot have “ë”." },
    { "al", "A username has at least 3 characters." },
    { "abcdefghijklmnopqrstuvwxyz0123456", "A username has at most 32 characters." },
  };
  static const char rule[] = "Usernames have 3 to 32 characters: lowercase letters, digits, dots and underscores.";

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = sotto_error_text_username (cases[i].username);
      g_autofree char *expected = NULL;

      if (cases[i].problem == NULL)
        {
          g_assert_null (text);
          continue;
        }

      expected = g_strconcat (cases[i].problem, " ", rule, NULL);
      g_assert_cmpstr (text, ==, expected);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/error-text/relay-words", test_error_text_relay_words);
  g_test_add_func ("/app/error-text/own-words", test_error_text_own_words);
  g_test_add_func ("/app/error-text/no-username", test_error_text_no_username);
  g_test_add_func ("/app/error-text/username", test_error_text_username);

  return g_test_run ();
}
