/* test-group-stranger.c: what a stranger's group makes this account send
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A finding of session 12's attacker: a group made by someone the user
 * has not accepted makes this account send nothing by itself.
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

/* The stranger creates a group with this account and their @puppet
 * account, and makes this account an admin; returns the group's id,
 * with its updates in @seen. */
static char *
stranger_group (Party     *party,
                GPtrArray *seen)
{
  const char *own_uuid = sotto_account_get_uuid (party->account);
  SottoGroupUpdate *create = _sotto_group_update_new (SOTTO_GROUP_ACTION_CREATE, 1, STRANGER, 1767225600000,
                                                      "Free money");
  char *group;

  g_ptr_array_add (create->members, engine_test_group_member (STRANGER, "stranger", TRUE));
  g_ptr_array_add (create->members, engine_test_group_member (own_uuid, NULL, FALSE));
  g_ptr_array_add (create->members, engine_test_group_member (PUPPET, NULL, FALSE));
  engine_test_group_sign (create, NULL);
  g_ptr_array_add (seen, _sotto_group_update_copy (create));
  group = _sotto_group_update_group_id (create);

  receive (party, group, create);
  receive (party, group, engine_test_group_update (seen, SOTTO_GROUP_ACTION_PROMOTE, 2, STRANGER, NULL, own_uuid));
  return group;
}

/* The stranger renames the group @n times from version @version on,
 * each time naming no recipient; returns how many catch-ups this
 * account then keeps to send. */
static guint
stranger_renames (Party      *party,
                  GPtrArray  *seen,
                  const char *group,
                  guint64     version,
                  guint       n)
{
  guint sent = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *title = g_strdup_printf ("Free money %u", i);

      sent += receive (party, group,
                       engine_test_group_update (seen, SOTTO_GROUP_ACTION_RENAME, version + i, STRANGER, title, NULL));
    }
  return sent;
}

/* Stores the stranger as a contact of @standing; returns its id. */
static gint64
add_stranger (Party                *party,
              SottoContactStanding  standing)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SottoConversationRecord) record = NULL;

  record = _sotto_store_add_conversation (party->store, STRANGER, "stranger", NULL, NULL, standing, &error);
  g_assert_no_error (error);
  return record->contact.id;
}

/* A stranger, whom the user never wrote to and who is at most a message
 * request, creates a group with this account and a second account of
 * theirs, makes this account an admin, and renames the group again and
 * again, each time naming no recipient.  This account, as an admin,
 * used to send the whole history to the second account after each
 * rename, at once and by itself: the stranger learnt when the user was
 * online and spent the user's rate of sends (account-sends, 50/s), with
 * a catch-up that grew with every rename.  Nothing this account sends
 * may come of a group made by someone it has not accepted. */
static void
test_group_stranger_catch_ups (void)
{
  g_autoptr(Party) party = party_new ();
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_update_free);
  g_autofree char *group = stranger_group (party, seen);
  guint sent = stranger_renames (party, seen, group, 3, RENAMES);

  g_test_message ("%u renames by a stranger made this account keep %u catch-ups", RENAMES, sent);
  g_assert_cmpuint (sent, ==, 0);
}

/* How many deliveries this account keeps, in every group it is in,
 * when the member @uuid comes with a new safety number. */
static guint
key_changes (Party      *party,
             const char *uuid)
{
  g_autoptr(GBytes) identity = engine_test_make_identity ();
  g_autoptr(GPtrArray) news = NULL;
  g_autoptr(GError) error = NULL;
  guint kept = 0;

  g_assert_true (_sotto_group_key_changed_thread (party->protocol, uuid, identity, FALSE, 1767225700000, &news,
                                                  &error));
  g_assert_no_error (error);
  for (guint i = 0; news != NULL && i < news->len; i++)
    kept += ((SottoGroupNews *) g_ptr_array_index (news, i))->deliveries->len;

  return kept;
}

/* The stranger's second account comes with a new safety number (the
 * stranger can reset it at will).  An admin's device records a
 * member's new key by itself, at once, as a `key` update to every
 * member: in a stranger's group, the same sign of life and cost to the
 * rate of sends as a catch-up. */
static void
test_group_stranger_key_update (void)
{
  g_autoptr(Party) party = party_new ();
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_update_free);
  guint kept;

  g_free (stranger_group (party, seen));
  kept = key_changes (party, PUPPET);

  g_test_message ("A new key of the stranger's second account made this account keep %u deliveries", kept);
  g_assert_cmpuint (kept, ==, 0);
}

/* A group made by a contact the user accepted is no request: its
 * catch-ups and key updates go as in any group. */
static void
test_group_stranger_accepted (void)
{
  g_autoptr(Party) party = party_new ();
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_update_free);
  g_autofree char *group = NULL;

  add_stranger (party, SOTTO_CONTACT_STANDING_ACCEPTED);
  group = stranger_group (party, seen);

  g_assert_cmpuint (stranger_renames (party, seen, group, 3, 1), ==, 1);
  g_assert_cmpuint (key_changes (party, PUPPET), >, 0);
}

/* A message request is no more trusted than a stranger, and accepting
 * them does not accept their group: the group stays a request, kept so
 * in the store, until the user accepts it; then it is as any other. */
static void
test_group_stranger_request (void)
{
  g_autoptr(Party) party = party_new ();
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_update_free);
  g_autoptr(SottoGroupState) state = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *group = NULL;
  gint64 contact_id = add_stranger (party, SOTTO_CONTACT_STANDING_REQUEST);
  gint64 row = 0;

  group = stranger_group (party, seen);
  g_assert_cmpuint (stranger_renames (party, seen, group, 3, RENAMES), ==, 0);
  g_assert_true (_sotto_store_set_standing (party->store, contact_id, SOTTO_CONTACT_STANDING_ACCEPTED, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stranger_renames (party, seen, group, 3 + RENAMES, 1), ==, 0);
  g_assert_cmpuint (key_changes (party, PUPPET), ==, 0);

  /* What sotto_group_list_accept_async() stores. */
  state = _sotto_store_load_group (party->store, group, &row, &error);
  g_assert_no_error (error);
  g_assert_true (state->request);
  state->request = FALSE;
  g_assert_true (_sotto_store_save_group (party->store, state, &row, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (stranger_renames (party, seen, group, 4 + RENAMES, 1), ==, 1);
  g_assert_cmpuint (key_changes (party, PUPPET), >, 0);
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

  g_test_add_func ("/group-stranger/catch-ups", test_group_stranger_catch_ups);
  g_test_add_func ("/group-stranger/accepted", test_group_stranger_accepted);
  g_test_add_func ("/group-stranger/key-update", test_group_stranger_key_update);
  g_test_add_func ("/group-stranger/request", test_group_stranger_request);

  return g_test_run ();
}
