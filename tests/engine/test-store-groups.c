/* test-store-groups.c: a group's timeline in the store
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <sqlite3.h>

#include "engine-test-util.h"
#include "party.h"
#include "sotto-group-list-private.h"
#include "sotto-store-groups-private.h"

#define PASSPHRASE "correct horse battery staple"
#define ALICE "1f0b7e5e-0a39-4d0c-8d5e-6a8e1f4a2c11"
#define BOB "9a3c2b1d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
#define MESSAGE_ID "0d9b8a7c-6e5f-4d3c-9b2a-1f0e9d8c7b6a"
#define OTHER_MESSAGE_ID "6b7c8d9e-0f1a-4b2c-8d3e-4f5a6b7c8d9e"
/* The group's creator, and a forger whose UUID sorts before every other. */
#define CREATOR "ffffffff-ffff-4fff-bfff-ffffffffffff"
#define FORGER "00000000-0000-4000-8000-000000000001"

/* A group's row, for its timeline: the timeline never reads the rest. */
static gint64
add_group (SottoStore *store)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (_sotto_store_exec (store, "INSERT INTO groups (id, group_hash, history) VALUES (1, x'00', x'00')",
                                    &error));
  g_assert_no_error (error);

  return 1;
}

/* Adds the text @id by @author; returns whether the timeline took it,
 * %FALSE for an entry it holds already. */
static gboolean
add_text (SottoStore *store,
          gint64      row,
          const char *author,
          const char *id,
          const char *text)
{
  SottoGroupEvent *event = sotto_group_event_new (SOTTO_GROUP_EVENT_TEXT, id, FALSE, author, NULL, text,
                                                  NULL, 1767225600000);
  g_autoptr(GError) error = NULL;
  gboolean added = _sotto_store_add_group_event (store, row, event, &error);

  sotto_group_event_free (event);
  if (!added)
    g_assert_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_EXISTS);

  return added;
}

static guint
count_events (SottoStore *store,
              gint64      row)
{
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;

  events = _sotto_store_load_group_events (store, row, 100, &error);
  g_assert_no_error (error);

  return events->len;
}

/* Ids are each sender's choice: one member reusing another's does not
 * hide either message, and the same member's repeat is refused. */
static void
test_store_groups_author_and_id (void)
{
  GFile *profile = engine_test_make_profile ();
  SottoStore *store = engine_test_open_store (profile, PASSPHRASE);
  gint64 row = add_group (store);

  g_assert_true (add_text (store, row, ALICE, MESSAGE_ID, "from Alice"));
  g_assert_true (add_text (store, row, BOB, MESSAGE_ID, "from Bob, with Alice's id"));
  g_assert_false (add_text (store, row, BOB, MESSAGE_ID, "from Bob again"));
  /* A UUID names its member in either case. */
  g_assert_false (add_text (store, row, "1F0B7E5E-0A39-4D0C-8D5E-6A8E1F4A2C11", MESSAGE_ID, "Alice's repeat"));
  g_assert_cmpuint (count_events (store, row), ==, 2);

  engine_test_close_store (store);
  engine_test_remove_profile (profile);
}

/* A message that went through the relay sealed is marked so by its
 * author and id, whoever wrote it, and its message in the app's
 * timeline says so; another member's message with the same id is not. */
static void
test_store_groups_sealed (void)
{
  GFile *profile = engine_test_make_profile ();
  SottoStore *store = engine_test_open_store (profile, PASSPHRASE);
  gint64 row = add_group (store);
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (add_text (store, row, ALICE, MESSAGE_ID, "from Alice"));
  g_assert_true (add_text (store, row, BOB, MESSAGE_ID, "from Bob, sealed"));
  g_assert_true (_sotto_store_mark_group_event_sealed (store, row, BOB, MESSAGE_ID, &error));
  g_assert_no_error (error);

  events = _sotto_store_load_group_events (store, row, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 2);
  for (guint i = 0; i < events->len; i++)
    {
      SottoGroupEvent *event = g_ptr_array_index (events, i);
      g_autoptr(SottoMessage) message = sotto_group_event_to_message (event);
      gboolean from_bob = g_str_equal (event->author, BOB);

      g_assert_true (event->sealed == from_bob);
      g_assert_true (sotto_message_get_sealed (message) == from_bob);
    }

  engine_test_close_store (store);
  engine_test_remove_profile (profile);
}

/* A group's draft is sealed like its messages: while it is kept, after
 * it is replaced, and after it is gone, no file of the profile holds
 * its text (the database, its write-ahead log or anything beside). */
static void
test_store_groups_draft_sealed (void)
{
  static const char draft[] = "a draft to the group that no file may hold";
  static const char later[] = "the group's later draft, no file may hold it";
  GFile *profile = engine_test_make_profile ();
  SottoStore *store = engine_test_open_store (profile, PASSPHRASE);
  gint64 row = add_group (store);
  g_autoptr(GError) error = NULL;
  g_autofree char *read = NULL;

  g_assert_true (_sotto_store_save_draft (store, SOTTO_STORE_DRAFT_GROUP, row, draft, &error));
  g_assert_no_error (error);
  g_assert_true (_sotto_store_load_draft (store, SOTTO_STORE_DRAFT_GROUP, row, &read, &error));
  g_assert_cmpstr (read, ==, draft);
  g_assert_false (engine_test_profile_contains (profile, draft, strlen (draft)));

  g_assert_true (_sotto_store_save_draft (store, SOTTO_STORE_DRAFT_GROUP, row, later, &error));
  g_assert_false (engine_test_profile_contains (profile, draft, strlen (draft)));
  g_assert_false (engine_test_profile_contains (profile, later, strlen (later)));

  g_assert_true (_sotto_store_save_draft (store, SOTTO_STORE_DRAFT_GROUP, row, "", &error));
  g_assert_no_error (error);
  engine_test_close_store (store);
  g_assert_false (engine_test_profile_contains (profile, draft, strlen (draft)));
  g_assert_false (engine_test_profile_contains (profile, later, strlen (later)));
  engine_test_remove_profile (profile);
}

/* Gives the entry in row @id the hash that schema 11 gave it: of its id
 * alone. */
static void
set_schema_11_hash (SottoStore *store,
                    gint64      id,
                    const char *message_id)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  g_autoptr(GError) error = NULL;

  statement = _sotto_store_prepare (store, "UPDATE group_events SET event_hash = ?2 WHERE id = ?1", &error);
  g_assert_no_error (error);
  sqlite3_bind_int64 (statement, 1, id);
  _sotto_store_bind_lookup_hash (store, statement, 2, "group_events", "event_hash", message_id, strlen (message_id));
  g_assert_true (_sotto_store_step_done (store, statement, &error));
  g_assert_no_error (error);
}

/* A timeline stored before schema 12 has the hashes of the ids alone:
 * the migration gives every entry the hash of its author and id, so a
 * repeat of what was stored before is still refused, and another
 * member's message with the same id is taken. */
static void
test_store_groups_migrate (void)
{
  GFile *profile = engine_test_make_profile ();
  SottoStore *store = engine_test_open_store (profile, PASSPHRASE);
  g_autoptr(GError) error = NULL;
  gint64 row = add_group (store);

  g_assert_true (add_text (store, row, ALICE, MESSAGE_ID, "from Alice"));
  g_assert_true (add_text (store, row, BOB, OTHER_MESSAGE_ID, "from Bob"));
  set_schema_11_hash (store, 1, MESSAGE_ID);
  set_schema_11_hash (store, 2, OTHER_MESSAGE_ID);
  /* 11: the version before group_events_by_author (sotto-store-schema.c),
   * without what later versions added. */
  g_assert_true (_sotto_store_exec (store, "DROP TABLE sealed_group_events; DROP TABLE group_unread;"
                                         " DROP TABLE group_avatars; DROP TABLE group_event_changes; DROP TABLE group_drafts;"
                                         " DROP TABLE group_outgoing;"
                                         " PRAGMA user_version = 11", &error));
  g_assert_no_error (error);
  engine_test_close_store (store);

  store = engine_test_open_store (profile, PASSPHRASE);
  g_assert_false (add_text (store, row, ALICE, MESSAGE_ID, "Alice's repeat"));
  g_assert_false (add_text (store, row, BOB, OTHER_MESSAGE_ID, "Bob's repeat"));
  g_assert_true (add_text (store, row, BOB, MESSAGE_ID, "from Bob, with Alice's id"));
  g_assert_cmpuint (count_events (store, row), ==, 3);

  engine_test_close_store (store);
  engine_test_remove_profile (profile);
}

/* The one entry of the group in row @row, as the timeline reads it. */
static SottoGroupEvent *
only_event (SottoStore *store,
            gint64      row)
{
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;

  events = _sotto_store_load_group_events (store, row, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
  return sotto_group_event_copy (g_ptr_array_index (events, 0));
}

/* How many messages wait for the relay: those that may go by themselves,
 * or with @failed those that failed for good too. */
static guint
count_outgoing (SottoStore *store,
                gboolean    failed)
{
  g_autoptr(GPtrArray) waiting = NULL;
  g_autoptr(GError) error = NULL;

  waiting = _sotto_store_list_group_outgoing (store, failed, 0, &error);
  g_assert_no_error (error);
  return waiting->len;
}

/* A message this device sent waits in group_outgoing with the members
 * still to get it, sealed: its entry lists them, and says whether it
 * failed for good, until the last of them is taken out; only Retry
 * lists one that failed. */
static void
test_store_groups_outgoing (void)
{
  GFile *profile = engine_test_make_profile ();
  SottoStore *store = engine_test_open_store (profile, PASSPHRASE);
  g_autoptr(SottoGroupOutgoing) outgoing = g_new0 (SottoGroupOutgoing, 1);
  g_autoptr(SottoGroupEvent) event = NULL;
  g_autoptr(GPtrArray) waiting = NULL;
  g_autoptr(GError) error = NULL;
  gint64 row = add_group (store);

  event = sotto_group_event_new (SOTTO_GROUP_EVENT_TEXT, MESSAGE_ID, TRUE, ALICE, "alice", "Secret plans", NULL,
                                 1767225600000);
  g_assert_true (_sotto_store_add_group_event (store, row, event, &error));
  g_assert_true (_sotto_store_find_group_event_row (store, row, ALICE, MESSAGE_ID, &outgoing->event_row, &error));
  g_assert_no_error (error);
  outgoing->group_id = g_strdup (CREATOR);
  outgoing->plaintext = g_bytes_new_static ("Secret plans", 12);
  outgoing->members = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_member_free);
  g_ptr_array_add (outgoing->members, _sotto_group_member_new (BOB, "bob", FALSE));
  g_ptr_array_add (outgoing->members, _sotto_group_member_new (FORGER, NULL, FALSE));
  g_assert_true (_sotto_store_save_group_outgoing (store, row, outgoing, &error));
  g_assert_no_error (error);
  g_assert_false (engine_test_profile_contains (profile, "Secret plans", 12));

  g_clear_pointer (&event, sotto_group_event_free);
  event = only_event (store, row);
  g_assert_nonnull (event->pending);
  g_assert_cmpstr (event->pending[0], ==, "bob");
  g_assert_cmpstr (event->pending[1], ==, FORGER);
  g_assert_null (event->pending[2]);
  g_assert_false (event->failed);
  waiting = _sotto_store_list_group_outgoing (store, FALSE, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (waiting->len, ==, 1);
  g_assert_true (g_bytes_equal (((SottoGroupOutgoing *) g_ptr_array_index (waiting, 0))->plaintext,
                                outgoing->plaintext));
  g_assert_cmpstr (((SottoGroupOutgoing *) g_ptr_array_index (waiting, 0))->group_id, ==, CREATOR);

  /* Bob got it; Forger's refusal is for good. */
  g_ptr_array_remove_index (outgoing->members, 0);
  outgoing->failed = TRUE;
  g_assert_true (_sotto_store_save_group_outgoing (store, row, outgoing, &error));
  g_clear_pointer (&event, sotto_group_event_free);
  event = only_event (store, row);
  g_assert_cmpuint (g_strv_length (event->pending), ==, 1);
  g_assert_true (event->failed);
  g_assert_cmpuint (count_outgoing (store, FALSE), ==, 0);
  g_assert_cmpuint (count_outgoing (store, TRUE), ==, 1);

  /* Retry reached Forger: the message is sent. */
  g_ptr_array_set_size (outgoing->members, 0);
  g_assert_true (_sotto_store_save_group_outgoing (store, row, outgoing, &error));
  g_assert_no_error (error);
  g_clear_pointer (&event, sotto_group_event_free);
  event = only_event (store, row);
  g_assert_null (event->pending);
  g_assert_false (event->failed);
  g_assert_cmpuint (count_outgoing (store, TRUE), ==, 0);

  engine_test_close_store (store);
  engine_test_remove_profile (profile);
}

/* A CREATE by @author, its one admin, listing @member too; @seen, if
 * not %NULL, then holds it. */
static SottoGroupUpdate *
make_create (GPtrArray  *seen,
             const char *author,
             const char *title,
             const char *member)
{
  SottoGroupUpdate *update = _sotto_group_update_new (SOTTO_GROUP_ACTION_CREATE, 1, author, 1767225600000, title);

  g_ptr_array_add (update->members, engine_test_group_member (author, "author", TRUE));
  g_ptr_array_add (update->members, engine_test_group_member (member, NULL, FALSE));
  engine_test_group_sign (update, NULL);
  if (seen != NULL)
    g_ptr_array_add (seen, _sotto_group_update_copy (update));

  return update;
}

static GPtrArray *
updates_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_group_update_free);
}

/* Receives @updates for @group from @sender in one content, as the
 * inbox hands it to the groups; returns how many catch-ups this
 * account, if an admin, then sends to members they did not reach. */
static guint
receive_updates (Party      *party,
                 const char *group,
                 const char *sender,
                 GPtrArray  *updates)
{
  g_autoptr(SottoContent) content = NULL;
  g_autoptr(SottoGroupNews) news = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = g_uuid_string_random ();

  content = sotto_content_new_group_update (id, 1767225600000, NULL, group, updates);
  g_assert_true (_sotto_group_receive_thread (party->protocol, sender, 1, content, FALSE, &news, &error));
  g_assert_no_error (error);

  return news != NULL ? news->deliveries->len : 0;
}

static guint
receive_update (Party            *party,
                const char       *group,
                const char       *sender,
                SottoGroupUpdate *update)
{
  g_autoptr(GPtrArray) updates = updates_new ();

  g_ptr_array_add (updates, update);
  return receive_updates (party, group, sender, updates);
}

static SottoGroupState *
load_group (Party      *party,
            const char *group)
{
  g_autoptr(GError) error = NULL;
  SottoGroupState *state;
  gint64 row = 0;

  state = _sotto_store_load_group (party->store, group, &row, &error);
  g_assert_no_error (error);
  g_assert_nonnull (state);

  return state;
}

/* A group has one creation, the one its id names: another, which
 * anyone who knows the group's id can send as its own update, must not
 * replace the group even when it sorts first (its author's UUID is
 * lower) or comes first. */
static void
test_store_groups_forged_create (void)
{
  g_autoptr(Party) party = party_new ();
  const char *own_uuid = sotto_account_get_uuid (party->account);
  g_autoptr(SottoGroupUpdate) create = make_create (NULL, CREATOR, "Book club", own_uuid);
  g_autofree char *group = _sotto_group_update_group_id (create);
  g_autoptr(SottoGroupState) state = NULL;

  receive_update (party, group, FORGER, make_create (NULL, FORGER, "Taken over", own_uuid));
  receive_update (party, group, CREATOR, _sotto_group_update_copy (create));
  receive_update (party, group, FORGER, make_create (NULL, FORGER, "Taken over", own_uuid));

  state = load_group (party, group);
  g_assert_cmpstr (state->title, ==, "Book club");
  g_assert_cmpuint (state->members->len, ==, 2);
  g_assert_null (_sotto_group_state_find_member (state, FORGER));
  g_assert_true (_sotto_group_state_find_member (state, CREATOR)->admin);
}

/* A history holds at most SOTTO_GROUP_MAX_UPDATES: someone who knows the
 * group's id but is not in it, such as a removed member, sends that many
 * updates that change nothing (the group records no key for it, so they
 * wait), at once and one by one; the group still takes its admin's next
 * change. */
static void
test_store_groups_refused_flood (void)
{
  g_autoptr(Party) party = party_new ();
  g_autoptr(GPtrArray) seen = updates_new ();
  g_autoptr(GPtrArray) flood = updates_new ();
  SottoGroupUpdate *create = make_create (seen, CREATOR, "Book club", sotto_account_get_uuid (party->account));
  g_autofree char *group = _sotto_group_update_group_id (create);
  g_autoptr(SottoGroupState) state = NULL;

  receive_update (party, group, CREATOR, create);
  for (guint i = 0; i < SOTTO_GROUP_MAX_UPDATES; i++)
    g_ptr_array_add (flood, engine_test_group_update (seen, SOTTO_GROUP_ACTION_LEAVE, 2, FORGER, NULL, NULL));
  receive_updates (party, group, FORGER, flood);
  for (guint i = 0; i < SOTTO_GROUP_MAX_UPDATES; i++)
    receive_update (party, group, FORGER,
                    engine_test_group_update (seen, SOTTO_GROUP_ACTION_RENAME, 2, FORGER, "Frozen", NULL));

  receive_update (party, group, CREATOR,
                  engine_test_group_update (seen, SOTTO_GROUP_ACTION_RENAME, 2, CREATOR, "Reading group", NULL));

  state = load_group (party, group);
  g_assert_cmpstr (state->title, ==, "Reading group");
  g_assert_null (_sotto_group_state_find_member (state, FORGER));
}

/* The creator makes this account an admin, adds the forger, makes it an
 * admin too and removes it; the forger, removed, then makes updates that
 * claim to come before its removal (its author picks an update's
 * parents and so its version), sent to nobody else: it removes the
 * creator, adds someone, renames the group.  None of them counts, since
 * the creator did not know of them when it removed their author, and
 * none has this account, an admin, send the group's history to the
 * members they did not go to. */
static void
test_store_groups_backdated (void)
{
  g_autoptr(Party) party = party_new ();
  const char *own_uuid = sotto_account_get_uuid (party->account);
  g_autoptr(GPtrArray) seen = updates_new ();
  SottoGroupUpdate *create = make_create (seen, CREATOR, "Book club", own_uuid);
  g_autofree char *group = _sotto_group_update_group_id (create);
  g_autoptr(SottoGroupState) state = NULL;

  receive_update (party, group, CREATOR, create);
  receive_update (party, group, CREATOR,
                  engine_test_group_update (seen, SOTTO_GROUP_ACTION_PROMOTE, 2, CREATOR, NULL, own_uuid));
  receive_update (party, group, CREATOR,
                  engine_test_group_update (seen, SOTTO_GROUP_ACTION_ADD, 3, CREATOR, NULL, FORGER));
  receive_update (party, group, CREATOR,
                  engine_test_group_update (seen, SOTTO_GROUP_ACTION_PROMOTE, 4, CREATOR, NULL, FORGER));
  receive_update (party, group, CREATOR,
                  engine_test_group_update (seen, SOTTO_GROUP_ACTION_REMOVE, 5, CREATOR, NULL, FORGER));
  state = load_group (party, group);
  g_assert_null (_sotto_group_state_find_member (state, FORGER));
  g_clear_pointer (&state, _sotto_group_state_free);

  g_assert_cmpuint (receive_update (party, group, FORGER,
                                    engine_test_group_update (seen, SOTTO_GROUP_ACTION_REMOVE, 5, FORGER, NULL,
                                                              CREATOR)), ==, 0);
  g_assert_cmpuint (receive_update (party, group, FORGER,
                                    engine_test_group_update (seen, SOTTO_GROUP_ACTION_ADD, 5, FORGER, NULL,
                                                              ALICE)), ==, 0);
  g_assert_cmpuint (receive_update (party, group, FORGER,
                                    engine_test_group_update (seen, SOTTO_GROUP_ACTION_RENAME, 5, FORGER,
                                                              "Taken over", NULL)), ==, 0);

  state = load_group (party, group);
  g_assert_null (_sotto_group_state_find_member (state, FORGER));
  g_assert_null (_sotto_group_state_find_member (state, ALICE));
  g_assert_true (_sotto_group_state_find_member (state, CREATOR)->admin);
  g_assert_cmpstr (state->title, ==, "Book club");
}

/* Before the creator adds this account, the forger sends it a history
 * of the group it made up: a creation in the creator's name that lists
 * the forger too, and the creator making the forger an admin.  The
 * group this account then joins is the creator's. */
static void
test_store_groups_poisoned_join (void)
{
  g_autoptr(Party) party = party_new ();
  const char *own_uuid = sotto_account_get_uuid (party->account);
  g_autoptr(GPtrArray) fake = updates_new ();
  g_autoptr(GPtrArray) seen = updates_new ();
  SottoGroupUpdate *create = make_create (NULL, CREATOR, "Book club", own_uuid);
  g_autofree char *group = _sotto_group_update_group_id (create);
  SottoGroupUpdate *fake_create = make_create (NULL, CREATOR, "Book club", own_uuid);
  g_autoptr(SottoGroupState) state = NULL;

  g_ptr_array_add (fake_create->members, engine_test_group_member (FORGER, NULL, FALSE));
  engine_test_group_sign (fake_create, NULL);
  g_ptr_array_add (seen, _sotto_group_update_copy (fake_create));
  g_ptr_array_add (fake, fake_create);
  g_ptr_array_add (fake, engine_test_group_update (seen, SOTTO_GROUP_ACTION_PROMOTE, 2, CREATOR, NULL, FORGER));
  receive_updates (party, group, FORGER, fake);
  receive_update (party, group, CREATOR, create);

  state = load_group (party, group);
  g_assert_null (_sotto_group_state_find_member (state, FORGER));
  g_assert_true (_sotto_group_state_find_member (state, CREATOR)->admin);
}

/* A group stored before updates named their parents does not decode:
 * it is left out of the groups, and the others still load. */
static void
test_store_groups_earlier_format (void)
{
  g_autoptr(Party) party = party_new ();
  g_autoptr(GPtrArray) seen = updates_new ();
  SottoGroupUpdate *create = make_create (seen, CREATOR, "Book club", sotto_account_get_uuid (party->account));
  g_autofree char *group = _sotto_group_update_group_id (create);
  g_autoptr(SottoGroupState) earlier = _sotto_group_state_new (FORGER);
  g_autoptr(GPtrArray) groups = NULL;
  g_autoptr(GError) error = NULL;
  SottoGroupUpdate *rename;
  gint64 row = 0;

  receive_update (party, group, CREATOR, create);
  g_ptr_array_add (earlier->history, make_create (NULL, CREATOR, "Earlier", FORGER));
  rename = _sotto_group_update_new (SOTTO_GROUP_ACTION_RENAME, 2, CREATOR, 1767225600000, "Later");
  _sotto_group_update_seal (rename);
  g_ptr_array_add (earlier->history, rename);
  g_assert_true (_sotto_store_save_group (party->store, earlier, &row, &error));
  g_assert_no_error (error);

  g_test_expect_message ("sotto-store", G_LOG_LEVEL_WARNING, "Leaving out a group stored by an earlier Sotto*");
  groups = _sotto_store_list_groups (party->store, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpuint (groups->len, ==, 1);
  g_assert_cmpstr (((SottoGroupState *) g_ptr_array_index (groups, 0))->title, ==, "Book club");
}

/* Applies @content, from the member @sender, as the inbox of the member
 * CREATOR does; returns
 * whether it changed a message. */
static gboolean
receive_change (SottoStore      *store,
                SottoGroupState *state,
                gint64           row,
                const char      *sender,
                SottoContent    *content)
{
  g_autoptr(SottoGroupNews) news = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SottoContent) owned = content;

  g_assert_true (_sotto_group_receive_change (store, state, row, CREATOR, sender, owned, &news, &error));
  g_assert_no_error (error);

  return news != NULL;
}

static SottoGroupEvent *
find_message (SottoStore *store,
              gint64      row,
              const char *author,
              const char *id)
{
  g_autoptr(GError) error = NULL;
  SottoGroupEvent *event;
  gint64 event_row = 0;

  event = _sotto_store_find_group_event (store, row, author, id, &event_row, &error);
  g_assert_no_error (error);

  return event;
}

#define SENT_AT 1767225600000
#define CHANGE_ID "3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"

/* What members do to a group's messages: only a current member, only to
 * a message of the group, one reaction each, and only the author edits
 * or deletes, for 24 hours; anything else changes nothing. */
static void
test_store_groups_changes (void)
{
  GFile *profile = engine_test_make_profile ();
  SottoStore *store = engine_test_open_store (profile, PASSPHRASE);
  g_autoptr(SottoGroupState) state = _sotto_group_state_new ("6f1c2f70-3b5e-4c1a-9a53-0d6ab5b8e0a1");
  g_autoptr(SottoGroupEvent) message = NULL;
  gint64 row = add_group (store);
  SottoGroupReaction *reaction;

  g_ptr_array_add (state->members, _sotto_group_member_new (ALICE, "alice", TRUE));
  g_ptr_array_add (state->members, _sotto_group_member_new (BOB, "bob", FALSE));
  g_ptr_array_add (state->members, _sotto_group_member_new (CREATOR, "carol", FALSE));
  g_assert_true (add_text (store, row, ALICE, MESSAGE_ID, "from Alice"));

  /* Someone not in the group, a message not in it, a member editing or
   * deleting another's, and an edit a day late. */
  g_assert_false (receive_change (store, state, row, FORGER,
                                  sotto_content_new_reaction (CHANGE_ID, SENT_AT, "eve", MESSAGE_ID, ALICE, "👎")));
  g_assert_false (receive_change (store, state, row, BOB,
                                  sotto_content_new_reaction (CHANGE_ID, SENT_AT, "bob", OTHER_MESSAGE_ID, ALICE, "👍")));
  g_assert_false (receive_change (store, state, row, BOB,
                                  sotto_content_new_edit (CHANGE_ID, SENT_AT, "bob", MESSAGE_ID, "from Bob")));
  g_assert_false (receive_change (store, state, row, BOB,
                                  sotto_content_new_deletion (CHANGE_ID, SENT_AT, "bob", MESSAGE_ID)));
  g_assert_false (receive_change (store, state, row, ALICE,
                                  sotto_content_new_edit (CHANGE_ID, SENT_AT + 25 * 3600000, "alice", MESSAGE_ID,
                                                          "late")));
  message = find_message (store, row, ALICE, MESSAGE_ID);
  g_assert_cmpstr (message->text, ==, "from Alice");
  g_assert_false (message->edited);
  g_assert_cmpuint (message->reactions != NULL ? message->reactions->len : 0, ==, 0);
  g_clear_pointer (&message, sotto_group_event_free);

  /* One reaction per member, the last one. */
  g_assert_true (receive_change (store, state, row, BOB,
                                 sotto_content_new_reaction (CHANGE_ID, SENT_AT, "bob", MESSAGE_ID, ALICE, "👍")));
  g_assert_true (receive_change (store, state, row, BOB,
                                 sotto_content_new_reaction (CHANGE_ID, SENT_AT, "bob", MESSAGE_ID, ALICE, "🎉")));
  g_assert_true (receive_change (store, state, row, ALICE,
                                 sotto_content_new_edit (CHANGE_ID, SENT_AT, "alice", MESSAGE_ID, "from Alice, again")));
  message = find_message (store, row, ALICE, MESSAGE_ID);
  g_assert_cmpstr (message->text, ==, "from Alice, again");
  g_assert_true (message->edited);
  g_assert_cmpuint (message->reactions->len, ==, 1);
  reaction = g_ptr_array_index (message->reactions, 0);
  g_assert_cmpstr (reaction->author, ==, BOB);
  g_assert_cmpstr (reaction->author_name, ==, "bob");
  g_assert_cmpstr (reaction->emoji, ==, "🎉");
  g_clear_pointer (&message, sotto_group_event_free);

  /* Deleted: nothing of it is left, and nothing changes it any more. */
  g_assert_true (receive_change (store, state, row, ALICE,
                                 sotto_content_new_deletion (CHANGE_ID, SENT_AT, "alice", MESSAGE_ID)));
  g_assert_false (receive_change (store, state, row, BOB,
                                  sotto_content_new_reaction (CHANGE_ID, SENT_AT, "bob", MESSAGE_ID, ALICE, "😮")));
  message = find_message (store, row, ALICE, MESSAGE_ID);
  g_assert_true (message->deleted);
  g_assert_null (message->text);
  g_assert_null (message->reactions);
  g_clear_pointer (&message, sotto_group_event_free);

  /* A member removed changes nothing. */
  g_ptr_array_remove_index (state->members, 1);
  g_assert_true (add_text (store, row, ALICE, OTHER_MESSAGE_ID, "after Bob"));
  g_assert_false (receive_change (store, state, row, BOB,
                                  sotto_content_new_reaction (CHANGE_ID, SENT_AT, "bob", OTHER_MESSAGE_ID, ALICE, "👍")));

  engine_test_close_store (store);
  engine_test_remove_profile (profile);
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

  g_test_add_func ("/engine/store-groups/author-and-id", test_store_groups_author_and_id);
  g_test_add_func ("/engine/store-groups/sealed", test_store_groups_sealed);
  g_test_add_func ("/engine/store-groups/draft-sealed", test_store_groups_draft_sealed);
  g_test_add_func ("/engine/store-groups/migrate", test_store_groups_migrate);
  g_test_add_func ("/engine/store-groups/outgoing", test_store_groups_outgoing);
  g_test_add_func ("/engine/store-groups/forged-create", test_store_groups_forged_create);
  g_test_add_func ("/engine/store-groups/refused-flood", test_store_groups_refused_flood);
  g_test_add_func ("/engine/store-groups/backdated", test_store_groups_backdated);
  g_test_add_func ("/engine/store-groups/poisoned-join", test_store_groups_poisoned_join);
  g_test_add_func ("/engine/store-groups/earlier-format", test_store_groups_earlier_format);
  g_test_add_func ("/engine/store-groups/changes", test_store_groups_changes);

  return g_test_run ();
}
