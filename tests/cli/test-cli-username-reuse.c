/* test-cli-username-reuse.c: a username that a new account took over writes to an old contact
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "sp-error.h"
#include "sp-init.h"

#include "cli-test-util.h"

/* Deletes the relay account @username with the relay's admin tool. */
static void
relay_delete_account (CliTest    *test,
                      const char *username)
{
  g_autoptr(GError) error = NULL;
  int status = -1;
  const char *argv[] = {
    SOTTO_RELAY_PATH, "admin", "--data-dir", test->relay->data_dir,
    "accounts", "delete", username, NULL,
  };

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

/* Carol's account is deleted on the relay (`accounts delete` frees the
 * username) and a new account registers as "carol".  Bob still has the
 * old Carol as a contact, under that username.  What the new account
 * sends him must reach him (as a message from a new account, which the
 * old contact's username must not hide), or be dropped with its
 * envelope acknowledged: today the new contact cannot be stored, because
 * the old one holds the username, so the envelope is never acknowledged
 * and waits on the relay for ever, with everything the new account sends
 * after it; and Bob cannot write to the new "carol" either. */
static void
test_username_reuse (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autofree char *newcomer = cli_test_profile (test, "newcomer");
  g_autoptr(GPtrArray) received = NULL;
  JsonObject *message;

  cli_send_ok (test, carol, "bob", "Hello Bob");
  cli_assert_receives (test, bob, "carol", "Hello Bob", NULL);

  relay_delete_account (test, "carol");
  cli_run_ok (test, newcomer, "--json", "register", "--relay", test->relay->url,
                        "--username", "carol", NULL);

  cli_send_ok (test, newcomer, "bob", "I am the new carol");
  received = cli_receive (test, bob);
  g_assert_cmpuint (received->len, ==, 1);
  message = g_ptr_array_index (received, 0);
  g_assert_cmpstr (json_object_get_string_member (message, "text"), ==, "I am the new carol");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/cli/username-reuse", test_username_reuse);

  return g_test_run ();
}
