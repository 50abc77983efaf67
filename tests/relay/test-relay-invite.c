/* test-relay-invite.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "relay-invite.h"

/* An invite token is given to `sotto-relay admin invite revoke` as an
 * argument, where one starting with '-' would be read as an option: a
 * one-in-64 chance for each token drawn at random. */
static void
test_no_leading_dash (void)
{
  for (guint i = 0; i < 4096; i++)
    {
      g_autofree char *token = relay_invite_token_new ();

      g_assert_cmpuint (strlen (token), ==, RELAY_INVITE_TOKEN_LENGTH);
      g_assert_cmpint (token[0], !=, '-');
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/relay/invite/no-leading-dash", test_no_leading_dash);

  return g_test_run ();
}
