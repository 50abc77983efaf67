/* test-cli-blocked-key-change.c: a verified contact's key changes while they are blocked
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "sp-error.h"
#include "sp-init.h"

#include "cli-test-util.h"

/* What a blocked contact sends is decrypted, to keep the session in
 * step, and dropped.  A PreKey message that comes with a new identity
 * key (the contact registered again, or the relay made the message up
 * under their UUID with a key of its own) therefore leaves a new session
 * behind.  Once the contact is unblocked, that change must be as visible
 * as any other: a new safety number, the verified state gone, and what
 * the user sends held until they look, rather than encrypted to the new
 * key under the old, verified number.  sotto-cli reset-identity stands
 * in for the attacker; test-cli-forged-identity.c shows that a relay can
 * make the same message. */
static void
test_blocked_key_change (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autoptr(CliResult) held = NULL;
  g_autofree char *number = NULL;
  g_autofree char *changed = NULL;

  cli_send_ok (test, alice, "bob", "Hello Bob");
  cli_assert_receives (test, bob, "alice", "Hello Bob", NULL);

  number = cli_safety_number (test, bob, "alice", "unverified");
  cli_run_ok (test, bob, "verify", "alice", number, NULL);

  cli_run_ok (test, bob, "block", "alice", NULL);

  cli_run_ok (test, alice, "reset-identity", NULL);
  cli_send_ok (test, alice, "bob", "A new key, while you block me");
  cli_assert_receives_nothing (test, bob);

  cli_run_ok (test, bob, "accept", "alice", NULL);

  /* The number Bob sees is the one his messages are encrypted to. */
  changed = cli_safety_number (test, bob, "alice", "changed");
  g_assert_cmpstr (changed, !=, number);

  held = cli_run (test, bob, "send", "alice", "Is it still you?", NULL);
  g_assert_cmpint (held->status, ==, 1);
  cli_assert_receives_nothing (test, alice);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/cli/blocked-key-change", test_blocked_key_change);

  return g_test_run ();
}
