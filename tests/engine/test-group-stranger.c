/* test-group-stranger.c: what a stranger's group makes this account send
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A reproducer of a finding of session 12's attacker, which meson runs
 * as a test that must fail until it passes: see the case's comment.
 */

#include "config.h"

#include "engine-test-util.h"
#include "party.h"
#include "sotto-group-list-private.h"
#include "sotto-store-groups-private.h"

/* Someone this account never wrote to, and a second account of theirs. */
#define STRANGER "5d1c3b2a-6f7e-4a8b-9c0d-1e2f3a4b5c6d"
#define PUPPET "7e6d5c4b-3a2f-4e1d-8c0b-9a8f7e6d5c4b"

#define RENAMES 20

/* Receives @update from its author as the inbox hands it over; returns
 * how many catch-ups this account then keeps to send. */
static guint
receive (Party            *party,
         const char       *group,
         SottoGroupUpdate *update)
{
  g_autoptr(GPtrArray) updates = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_update_free);
  g_autoptr(SottoContent) content = NULL;
  g_autoptr(SottoGroupNews) news = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = g_uuid_string_random ();
  const char *author = update->author;

  g_ptr_array_add (updates, update);
  content = sotto_content_new_group_update (id, 1767225600000, NULL, group, updates);
  g_assert_true (_sotto_group_receive_thread (party->protocol, author, 1, content, FALSE, &news, &error));
  g_assert_no_error (error);
  return news != NULL ? news->deliveries->len : 0;
}

/* A stranger, whom the user never wrote to and who is at most a message
 * request, creates a group with this account and a second account of
 * theirs, makes this account an admin, and renames the group again and
 * again, each time naming no recipient.  This account, as an admin,
 * sends the whole history to the second account after each rename, at
 * once and by itself: the stranger learns when the user is online and
 * spends the user's rate of sends (account-sends, 50/s), with a
 * catch-up that grows with every rename, up to the 512 updates a group
 * holds.  Nothing this account sends may come of a group made by
 * someone it has not accepted. */
static void
test_group_stranger_catch_ups (void)
{
  g_autoptr(Party) party = party_new ();
  const char *own_uuid = sotto_account_get_uuid (party->account);
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_update_free);
  SottoGroupUpdate *create = _sotto_group_update_new (SOTTO_GROUP_ACTION_CREATE, 1, STRANGER, 1767225600000,
                                                      "Free money");
  g_autofree char *group = NULL;
  guint sent = 0;

  g_ptr_array_add (create->members, _sotto_group_member_new (STRANGER, "stranger", TRUE));
  g_ptr_array_add (create->members, _sotto_group_member_new (own_uuid, NULL, FALSE));
  g_ptr_array_add (create->members, _sotto_group_member_new (PUPPET, NULL, FALSE));
  _sotto_group_update_seal (create);
  g_ptr_array_add (seen, _sotto_group_update_copy (create));
  group = _sotto_group_update_group_id (create);

  receive (party, group, create);
  receive (party, group, engine_test_group_update (seen, SOTTO_GROUP_ACTION_PROMOTE, 2, STRANGER, NULL, own_uuid));
  for (guint i = 0; i < RENAMES; i++)
    {
      g_autofree char *title = g_strdup_printf ("Free money %u", i);

      sent += receive (party, group,
                       engine_test_group_update (seen, SOTTO_GROUP_ACTION_RENAME, 3 + i, STRANGER, title, NULL));
    }
  g_test_message ("%u renames by a stranger made this account keep %u catch-ups", RENAMES, sent);
  g_assert_cmpuint (sent, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

  g_test_add_func ("/group-stranger/catch-ups", test_group_stranger_catch_ups);

  return g_test_run ();
}
