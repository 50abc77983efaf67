/* test-group-search.c: the messages of groups found by their text
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * On a real store (SQLite, sealed rows): what a search through groups'
 * timelines finds, and what it does not look at.  The whole way, with
 * real sessions on a real relay, is in tests/app/test-search-results.c.
 */

#include "config.h"

#include <string.h>

#include "engine-test-util.h"
#include "sotto-store-groups-private.h"

#define PASSPHRASE "correct horse battery staple"
#define ALICE "1f0b7e5e-0a39-4d0c-8d5e-6a8e1f4a2c11"
#define BOB "9a3c2b1d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"

/* Two groups' rows: the search never reads the rest of a group. */
#define CLIMBERS 1
#define SPAM 2

typedef struct
{
  GFile *profile;
  SottoStore *store;
  guint n_events;
} Groups;

static void
groups_set_up (Groups        *groups,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  groups->profile = engine_test_make_profile ();
  groups->store = engine_test_open_store (groups->profile, PASSPHRASE);
  g_assert_true (_sotto_store_exec (groups->store,
                                    "INSERT INTO groups (id, group_hash, history)"
                                    " VALUES (1, x'01', x'00'), (2, x'02', x'00')",
                                    &error));
  g_assert_no_error (error);
}

static void
groups_tear_down (Groups        *groups,
                  gconstpointer  data)
{
  engine_test_close_store (groups->store);
  engine_test_remove_profile (groups->profile);
}

/* Adds an entry of @kind by @author to the timeline of the group in row
 * @row, sent a second after the one before; returns its id. */
static char *
add_event (Groups              *groups,
           gint64               row,
           SottoGroupEventKind  kind,
           const char          *author,
           const char          *author_name,
           const char          *text)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autoptr(SottoGroupEvent) event = NULL;
  g_autoptr(GError) error = NULL;

  event = sotto_group_event_new (kind, id, g_str_equal (author, ALICE), author, author_name, text, NULL,
                                 1767225600000 + 1000 * groups->n_events++);
  g_assert_true (_sotto_store_add_group_event (groups->store, row, event, &error));
  g_assert_no_error (error);

  return g_steal_pointer (&id);
}

/* Searches the groups in @rows (G_MAXINT64 ends the list) for @query,
 * @max_rows entries at a time, until the search ends or has
 * @max_matches; returns the matches, with the number of batches it took
 * in @n_batches. */
static GPtrArray *
search (Groups     *groups,
        const char *query,
        guint       max_rows,
        guint       max_matches,
        guint      *n_batches,
        gint64      first_row,
        ...)
{
  g_autoptr(GHashTable) rows = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autofree char *query_folded = g_utf8_casefold (query, -1);
  GPtrArray *matches = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_store_match_free);
  gint64 before_id = G_MAXINT64;
  va_list args;

  va_start (args, first_row);
  for (gint64 row = first_row; row != G_MAXINT64; row = va_arg (args, gint64))
    g_hash_table_add (rows, g_memdup2 (&row, sizeof row));
  va_end (args);

  *n_batches = 0;
  do
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (_sotto_store_search (groups->store, SOTTO_STORE_SEARCH_GROUP_EVENTS, query_folded, rows,
                                          before_id, max_rows, matches, max_matches, &before_id, &error));
      g_assert_no_error (error);
      (*n_batches)++;
    }
  while (before_id != 0 && matches->len < max_matches);

  return matches;
}

/* Members' messages are found in any case, newest first, with their
 * group, author and id and how far from the timeline's end they are;
 * the group's changes, a member's key change and a message deleted for
 * everyone are not messages to find. */
static void
test_group_search_finds (Groups        *groups,
                         gconstpointer  data)
{
  g_autofree char *first = add_event (groups, CLIMBERS, SOTTO_GROUP_EVENT_TEXT, BOB, "bob", "Which CRAG?");
  g_autofree char *second = NULL;
  g_autofree char *deleted = NULL;
  g_autoptr(SottoGroupEvent) event = NULL;
  g_autoptr(GPtrArray) matches = NULL;
  g_autoptr(GError) error = NULL;
  SottoStoreMatch *match;
  guint n_batches;
  gint64 id = 0;

  g_free (add_event (groups, CLIMBERS, SOTTO_GROUP_EVENT_UPDATE, ALICE, NULL, "rename"));
  second = add_event (groups, CLIMBERS, SOTTO_GROUP_EVENT_TEXT, ALICE, NULL, "The crag by the river");
  g_free (add_event (groups, CLIMBERS, SOTTO_GROUP_EVENT_KEY_CHANGE, BOB, "bob", NULL));
  deleted = add_event (groups, CLIMBERS, SOTTO_GROUP_EVENT_TEXT, BOB, "bob", "crag, deleted");
  event = _sotto_store_find_group_event (groups->store, CLIMBERS, BOB, deleted, &id, &error);
  g_assert_no_error (error);
  g_clear_pointer (&event->text, g_free);
  event->deleted = TRUE;
  g_assert_true (_sotto_store_update_group_event (groups->store, id, event, &error));
  g_assert_no_error (error);

  matches = search (groups, "crag", 100, 10, &n_batches, (gint64) CLIMBERS, G_MAXINT64);
  g_assert_cmpuint (matches->len, ==, 2);

  match = g_ptr_array_index (matches, 0);
  g_assert_cmpint (match->conversation_id, ==, CLIMBERS);
  g_assert_cmpstr (match->text, ==, "The crag by the river");
  g_assert_cmpstr (match->event_id, ==, second);
  g_assert_cmpstr (match->author, ==, ALICE);
  g_assert_null (match->author_name);
  g_assert_cmpuint (match->position, ==, 2);

  match = g_ptr_array_index (matches, 1);
  g_assert_cmpstr (match->text, ==, "Which CRAG?");
  g_assert_cmpstr (match->event_id, ==, first);
  g_assert_cmpstr (match->author, ==, BOB);
  g_assert_cmpstr (match->author_name, ==, "bob");
  g_assert_cmpuint (match->position, ==, 4);
  g_assert_cmpint (match->sent_at, ==, 1767225600000);
}

/* Only the groups asked for are looked through, and another group's
 * messages are skipped before they are counted: a flood in a group the
 * user does not see must not use up the matches.  The search stops at
 * its bound, and goes a batch at a time. */
static void
test_group_search_bounded (Groups        *groups,
                           gconstpointer  data)
{
  g_autofree char *wanted = add_event (groups, CLIMBERS, SOTTO_GROUP_EVENT_TEXT, BOB, "bob", "free lunch at the crag");
  g_autoptr(GPtrArray) matches = NULL;
  guint n_batches;

  for (guint i = 0; i < 30; i++)
    g_free (add_event (groups, SPAM, SOTTO_GROUP_EVENT_TEXT, BOB, "bob", "free lunch, click here"));

  matches = search (groups, "free lunch", 8, 5, &n_batches, (gint64) CLIMBERS, G_MAXINT64);
  g_assert_cmpuint (matches->len, ==, 1);
  g_assert_cmpstr (((SottoStoreMatch *) g_ptr_array_index (matches, 0))->event_id, ==, wanted);
  /* 31 entries, 8 a batch. */
  g_assert_cmpuint (n_batches, ==, 4);
  g_clear_pointer (&matches, g_ptr_array_unref);

  matches = search (groups, "free lunch", 100, 5, &n_batches, (gint64) CLIMBERS, (gint64) SPAM, G_MAXINT64);
  g_assert_cmpuint (matches->len, ==, 5);
  g_assert_cmpuint (n_batches, ==, 1);
}

/* A message deleted for the user alone goes from the timeline and from
 * what a search finds; the group's other entries stay. */
static void
test_group_search_deleted_for_me (Groups        *groups,
                                  gconstpointer  data)
{
  g_autofree char *kept = add_event (groups, CLIMBERS, SOTTO_GROUP_EVENT_TEXT, BOB, "bob", "crag at nine");
  g_autofree char *gone = add_event (groups, CLIMBERS, SOTTO_GROUP_EVENT_TEXT, BOB, "bob", "crag, sorry, wrong group");
  g_autoptr(SottoGroupEvent) event = NULL;
  g_autoptr(GPtrArray) matches = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  guint n_batches;
  gint64 id = 0;

  event = _sotto_store_find_group_event (groups->store, CLIMBERS, BOB, gone, &id, &error);
  g_assert_no_error (error);
  g_assert_true (_sotto_store_delete_group_event (groups->store, id, &error));
  g_assert_no_error (error);

  events = _sotto_store_load_group_events (groups->store, CLIMBERS, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpstr (((SottoGroupEvent *) g_ptr_array_index (events, 0))->id, ==, kept);

  matches = search (groups, "crag", 100, 10, &n_batches, (gint64) CLIMBERS, G_MAXINT64);
  g_assert_cmpuint (matches->len, ==, 1);
  g_assert_cmpstr (((SottoStoreMatch *) g_ptr_array_index (matches, 0))->event_id, ==, kept);
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

  g_test_add ("/engine/group-search/finds", Groups, NULL, groups_set_up, test_group_search_finds, groups_tear_down);
  g_test_add ("/engine/group-search/bounded", Groups, NULL, groups_set_up, test_group_search_bounded,
              groups_tear_down);
  g_test_add ("/engine/group-search/deleted-for-me", Groups, NULL, groups_set_up, test_group_search_deleted_for_me,
              groups_tear_down);

  return g_test_run ();
}
