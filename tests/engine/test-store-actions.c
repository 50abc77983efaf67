/* test-store-actions.c: the store's rules for reactions, edits and deletion
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "engine-test-util.h"
#include "sotto-content-private.h"
#include "sotto-records-private.h"
#include "sotto-store-private.h"

#define PASSPHRASE "correct horse battery staple"
#define HOUR_MS (G_GINT64_CONSTANT (3600000))
#define SENT_AT G_GINT64_CONSTANT (1767225600000)

/* A store with two conversations, Alice's and Carol's. */
typedef struct
{
  GFile *profile;
  SottoStore *store;
  gint64 alice;
  gint64 carol;
} Fixture;

static gint64
add_conversation (SottoStore *store,
                  const char *username)
{
  g_autofree char *uuid = g_uuid_string_random ();
  g_autoptr(SottoConversationRecord) record = NULL;
  g_autoptr(GError) error = NULL;

  record = _sotto_store_add_conversation (store, uuid, username, NULL, NULL,
                                          SOTTO_CONTACT_STANDING_ACCEPTED, &error);
  g_assert_no_error (error);

  return record->id;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  fixture->profile = engine_test_make_profile ();
  fixture->store = engine_test_open_store (fixture->profile, PASSPHRASE);
  fixture->alice = add_conversation (fixture->store, "alice");
  fixture->carol = add_conversation (fixture->store, "carol");
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  engine_test_close_store (g_steal_pointer (&fixture->store));
  engine_test_remove_profile (fixture->profile);
}

/* Stores a text message in @conversation_id and returns its id. */
static char *
add_message (Fixture               *fixture,
             gint64                 conversation_id,
             SottoMessageDirection  direction,
             const char            *id,
             const char            *text)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) _sotto_message_record_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *fresh = g_uuid_string_random ();

  g_ptr_array_add (messages, _sotto_message_record_new (id != NULL ? id : fresh, direction, SOTTO_MESSAGE_KIND_TEXT,
                                                        SOTTO_MESSAGE_STATE_DELIVERED, SENT_AT, SENT_AT + 1, text));
  g_assert_true (_sotto_store_insert_messages (fixture->store, conversation_id, messages, &error));
  g_assert_no_error (error);

  return g_strdup (((SottoMessageRecord *) g_ptr_array_index (messages, 0))->id);
}

/* Applies @content, which it takes, as received in @conversation_id, and
 * returns what became of it. */
static SottoStoreActionResult
apply (Fixture      *fixture,
       gint64        conversation_id,
       SottoContent *content)
{
  g_autoptr(SottoContent) owned = content;
  g_autoptr(GError) error = NULL;
  SottoStoreActionResult result = SOTTO_STORE_ACTION_REFUSED;

  g_assert_true (_sotto_store_begin (fixture->store, &error));
  g_assert_true (_sotto_store_apply_action (fixture->store, conversation_id, FALSE, owned, &result, &error));
  g_assert_no_error (error);
  g_assert_true (_sotto_store_commit (fixture->store, &error));

  return result;
}

static SottoContent *
edit (const char *target,
      gint64      timestamp,
      const char *text)
{
  g_autofree char *id = g_uuid_string_random ();

  return sotto_content_new_edit (id, timestamp, "alice", target, text);
}

static SottoContent *
reaction (const char *target,
          const char *emoji)
{
  g_autofree char *id = g_uuid_string_random ();

  return sotto_content_new_reaction (id, SENT_AT + HOUR_MS, "alice", target, NULL, emoji);
}

static SottoContent *
deletion (const char *target)
{
  g_autofree char *id = g_uuid_string_random ();

  return sotto_content_new_deletion (id, SENT_AT + HOUR_MS, "alice", target);
}

static SottoMessageRecord *
load (Fixture    *fixture,
      gint64      conversation_id,
      const char *id)
{
  g_autoptr(GError) error = NULL;
  SottoMessageRecord *record = _sotto_store_load_message (fixture->store, conversation_id, id, NULL, &error);

  g_assert_no_error (error);

  return record;
}

static gint64
count_rows (Fixture    *fixture,
            const char *sql)
{
  sqlite3_stmt *statement = NULL;
  gint64 count;

  g_assert_cmpint (sqlite3_prepare_v2 (fixture->store->db, sql, -1, &statement, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (statement), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (statement, 0);
  sqlite3_finalize (statement);

  return count;
}

/* Who may change what, and until when. */
static void
test_store_actions_rules (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autofree char *theirs = add_message (fixture, fixture->alice, SOTTO_MESSAGE_DIRECTION_INCOMING, NULL, "Hers");
  g_autofree char *mine = add_message (fixture, fixture->alice, SOTTO_MESSAGE_DIRECTION_OUTGOING, NULL, "Mine");
  g_autoptr(SottoMessageRecord) record = NULL;
  g_autoptr(GPtrArray) edits = NULL;
  g_autoptr(GError) error = NULL;

  /* Carol names Alice's message; Alice names mine. */
  g_assert_cmpint (apply (fixture, fixture->carol, edit (theirs, SENT_AT + 1, "Carol's")), ==,
                   SOTTO_STORE_ACTION_FORGED);
  g_assert_cmpint (apply (fixture, fixture->carol, deletion (theirs)), ==, SOTTO_STORE_ACTION_FORGED);
  g_assert_cmpint (apply (fixture, fixture->carol, reaction (theirs, "💩")), ==, SOTTO_STORE_ACTION_FORGED);
  g_assert_cmpint (apply (fixture, fixture->alice, edit (mine, SENT_AT + 1, "Alice's")), ==,
                   SOTTO_STORE_ACTION_FORGED);
  g_assert_cmpint (apply (fixture, fixture->alice, deletion (mine)), ==, SOTTO_STORE_ACTION_FORGED);

  /* Past 24 hours. */
  g_assert_cmpint (apply (fixture, fixture->alice, edit (theirs, SENT_AT + 25 * HOUR_MS, "Late")), ==,
                   SOTTO_STORE_ACTION_REFUSED);

  record = load (fixture, fixture->alice, theirs);
  g_assert_cmpstr (record->body, ==, "Hers");
  g_assert_false (record->edited);
  g_assert_null (record->their_reaction);
  g_clear_pointer (&record, _sotto_message_record_free);
  record = load (fixture, fixture->alice, mine);
  g_assert_cmpstr (record->body, ==, "Mine");
  g_assert_false (record->deleted);
  g_clear_pointer (&record, _sotto_message_record_free);

  /* Alice reacts to mine, and edits hers: the versions are kept, up to
   * a bound. */
  g_assert_cmpint (apply (fixture, fixture->alice, reaction (mine, "🎉")), ==, SOTTO_STORE_ACTION_APPLIED);
  for (guint i = 0; i < SOTTO_STORE_MAX_EDITS; i++)
    {
      g_autofree char *text = g_strdup_printf ("Version %u", i + 1);

      g_assert_cmpint (apply (fixture, fixture->alice, edit (theirs, SENT_AT + i, text)), ==,
                       SOTTO_STORE_ACTION_APPLIED);
    }
  g_assert_cmpint (apply (fixture, fixture->alice, edit (theirs, SENT_AT + 2 * HOUR_MS, "One too many")), ==,
                   SOTTO_STORE_ACTION_REFUSED);
  record = load (fixture, fixture->alice, theirs);
  g_assert_cmpstr (record->body, ==, "Version 100");
  g_assert_true (record->edited);
  g_clear_pointer (&record, _sotto_message_record_free);
  edits = _sotto_store_load_edits (fixture->store, fixture->alice, theirs, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (edits->len, ==, SOTTO_STORE_MAX_EDITS);
  g_assert_cmpstr (g_ptr_array_index (edits, 0), ==, "Hers");
  g_assert_cmpstr (g_ptr_array_index (edits, 1), ==, "Version 1");
  record = load (fixture, fixture->alice, mine);
  g_assert_cmpstr (record->their_reaction, ==, "🎉");
  g_clear_pointer (&record, _sotto_message_record_free);

  /* Deleted for everyone: nothing of it is left, and it changes no more. */
  g_assert_cmpint (apply (fixture, fixture->alice, deletion (theirs)), ==, SOTTO_STORE_ACTION_APPLIED);
  record = load (fixture, fixture->alice, theirs);
  g_assert_null (record->body);
  g_assert_true (record->deleted);
  g_assert_false (record->edited);
  g_clear_pointer (&record, _sotto_message_record_free);
  g_assert_cmpint (count_rows (fixture, "SELECT COUNT(*) FROM message_edits"), ==, 0);
  g_assert_cmpint (apply (fixture, fixture->alice, edit (theirs, SENT_AT + 1, "Back")), ==,
                   SOTTO_STORE_ACTION_REFUSED);
  g_assert_cmpint (apply (fixture, fixture->alice, reaction (theirs, "👍")), ==, SOTTO_STORE_ACTION_REFUSED);
}

/* What comes before its message waits for it, a bounded number per
 * conversation, and is applied or found forged when it arrives. */
static void
test_store_actions_pending (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autofree char *target = g_uuid_string_random ();
  g_autoptr(GPtrArray) applied = g_ptr_array_new_with_free_func ((GDestroyNotify) sotto_content_free);
  g_autoptr(SottoMessageRecord) record = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (apply (fixture, fixture->alice, edit (target, SENT_AT + 1, "Edited first")), ==,
                   SOTTO_STORE_ACTION_PENDING);
  g_assert_cmpint (apply (fixture, fixture->alice, reaction (target, "😀")), ==, SOTTO_STORE_ACTION_PENDING);
  g_assert_cmpint (apply (fixture, fixture->carol, deletion (target)), ==, SOTTO_STORE_ACTION_PENDING);
  g_assert_cmpint (count_rows (fixture, "SELECT COUNT(*) FROM pending_actions"), ==, 3);

  g_free (add_message (fixture, fixture->alice, SOTTO_MESSAGE_DIRECTION_INCOMING, target, "Original"));
  g_assert_true (_sotto_store_begin (fixture->store, &error));
  g_assert_true (_sotto_store_apply_pending (fixture->store, fixture->alice, target, applied, &error));
  g_assert_no_error (error);
  g_assert_true (_sotto_store_commit (fixture->store, &error));

  /* Carol's deletion was forged. */
  g_assert_cmpuint (applied->len, ==, 2);
  g_assert_cmpint (((SottoContent *) g_ptr_array_index (applied, 0))->kind, ==, SOTTO_CONTENT_KIND_EDIT);
  g_assert_cmpint (((SottoContent *) g_ptr_array_index (applied, 1))->kind, ==, SOTTO_CONTENT_KIND_REACTION);
  record = load (fixture, fixture->alice, target);
  g_assert_cmpstr (record->body, ==, "Edited first");
  g_assert_true (record->edited);
  g_assert_false (record->deleted);
  g_assert_cmpstr (record->their_reaction, ==, "😀");
  g_assert_cmpint (count_rows (fixture, "SELECT COUNT(*) FROM pending_actions"), ==, 0);

  /* A flood of actions on messages that never come keeps only the newest. */
  for (guint i = 0; i < SOTTO_STORE_MAX_PENDING_ACTIONS + 10; i++)
    {
      g_autofree char *never = g_uuid_string_random ();

      g_assert_cmpint (apply (fixture, fixture->carol, reaction (never, "👀")), ==, SOTTO_STORE_ACTION_PENDING);
    }
  g_assert_cmpint (count_rows (fixture, "SELECT COUNT(*) FROM pending_actions"), ==,
                   SOTTO_STORE_MAX_PENDING_ACTIONS);
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

  g_test_add ("/engine/store-actions/rules", Fixture, NULL,
              fixture_set_up, test_store_actions_rules, fixture_tear_down);
  g_test_add ("/engine/store-actions/pending", Fixture, NULL,
              fixture_set_up, test_store_actions_pending, fixture_tear_down);

  return g_test_run ();
}
