/* test-cli-rich.c: replies, reactions, edits and deletion for everyone, end to end
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <sqlite3.h>

#include "sp-error.h"
#include "sp-init.h"

#include "sotto-content-private.h"
#include "sotto-conversation-list.h"
#include "sotto-messenger-private.h"
#include "sotto-outbox-private.h"

#include "cli-test-util.h"

#define DAY_MS (24 * G_GINT64_CONSTANT (3600000))

/* Alice and Bob, registered at one relay, with a session each way, so
 * that what follows are ordinary session messages, which decrypt in any
 * order. */
typedef struct
{
  CliTest *test;
  char *alice;
  char *bob;
  char *alice_uuid;
  char *bob_uuid;
} Scene;

static Scene *
scene_new (void)
{
  Scene *scene = g_new0 (Scene, 1);
  g_autoptr(CliWhoami) alice = NULL;
  g_autoptr(CliWhoami) bob = NULL;

  scene->test = cli_test_new (FALSE);
  scene->alice = cli_register (scene->test, "alice");
  scene->bob = cli_register (scene->test, "bob");
  alice = cli_whoami (scene->test, scene->alice, "alice");
  bob = cli_whoami (scene->test, scene->bob, "bob");
  scene->alice_uuid = g_strdup (alice->uuid);
  scene->bob_uuid = g_strdup (bob->uuid);

  cli_send_ok (scene->test, scene->alice, "bob", "Hello Bob");
  cli_assert_receives (scene->test, scene->bob, "alice", "Hello Bob", NULL);
  cli_send_ok (scene->test, scene->bob, "alice", "Hello Alice");
  cli_assert_receives (scene->test, scene->alice, "bob", "Hello Alice", NULL);
  /* Alice's receipts: the relay holds nothing more for Bob. */
  cli_assert_receives_nothing (scene->test, scene->bob);

  return scene;
}

static void
scene_free (Scene *scene)
{
  g_free (scene->alice);
  g_free (scene->bob);
  g_free (scene->alice_uuid);
  g_free (scene->bob_uuid);
  cli_test_free (scene->test);
  g_free (scene);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Scene, scene_free)

/* Sends @text from @profile and returns its id. */
static char *
send_text (Scene      *scene,
           const char *profile,
           const char *to,
           const char *text)
{
  g_autoptr(JsonObject) sent = cli_send_json (scene->test, profile, to, text);

  return g_strdup (json_object_get_string_member (sent, "id"));
}

/* Runs a command of @profile with --json that must succeed and print
 * one object. */
static JsonObject *
run_json (Scene      *scene,
          const char *profile,
          const char *command,
          const char *with,
          const char *target_id,
          const char *argument)
{
  g_autoptr(CliResult) result = NULL;

  result = cli_run (scene->test, profile, "--json", command, with, target_id, argument, NULL);
  cli_assert_ok (result);

  return cli_parse_object (result->out);
}

static JsonObject *
find_by_id (GPtrArray  *objects,
            const char *id)
{
  for (guint i = 0; i < objects->len; i++)
    {
      JsonObject *object = g_ptr_array_index (objects, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (object, "id", NULL), id) == 0)
        return object;
    }

  g_assert_not_reached ();
}

static JsonObject *
history_of (Scene      *scene,
            const char *profile,
            const char *with,
            const char *id,
            GPtrArray **history)
{
  g_clear_pointer (history, g_ptr_array_unref);
  *history = cli_history (scene->test, profile, with);

  return find_by_id (*history, id);
}

static void
assert_event (JsonObject *event,
              const char *type,
              const char *from,
              const char *target_id)
{
  g_assert_cmpstr (json_object_get_string_member (event, "type"), ==, type);
  g_assert_cmpstr (json_object_get_string_member (event, "from"), ==, from);
  g_assert_cmpstr (json_object_get_string_member (event, "target_id"), ==, target_id);
  g_assert_true (g_uuid_string_is_valid (json_object_get_string_member (event, "id")));
  g_assert_cmpint (json_object_get_int_member (event, "sent_at"), >, 0);
}

/* Bob sets his reaction to Alice's message @target to @emoji (removes
 * it when empty); Alice hears of it, and then shows @expected. */
static void
bob_reacts (Scene      *scene,
            const char *target,
            const char *emoji,
            const char *expected)
{
  g_autoptr(JsonObject) changed = run_json (scene, scene->bob, "react", "alice", target, emoji);
  g_autoptr(GPtrArray) received = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autofree char *reactions = NULL;
  JsonObject *event;

  g_assert_cmpstr (json_object_get_string_member (changed, "type"), ==, "reaction");
  g_assert_cmpstr (json_object_get_string_member (changed, "target_id"), ==, target);

  received = cli_receive (scene->test, scene->alice);
  g_assert_cmpuint (received->len, ==, 1);
  event = g_ptr_array_index (received, 0);
  assert_event (event, "reaction", "bob", target);
  if (*emoji != '\0')
    g_assert_cmpstr (json_object_get_string_member (event, "emoji"), ==, emoji);
  else
    g_assert_true (json_object_get_null_member (event, "emoji"));

  reactions = cli_reactions_of (history_of (scene, scene->alice, "bob", target, &history));
  g_assert_cmpstr (reactions, ==, expected);
}

/* Replies, reactions, edits and deletion, each in the order it was
 * made, with the rules a sender's own sotto-cli enforces. */
static void
test_rich_in_order (void)
{
  g_autoptr(Scene) scene = scene_new ();
  g_autoptr(GPtrArray) received = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) changed = NULL;
  g_autoptr(CliResult) refused = NULL;
  g_autofree char *target = send_text (scene, scene->alice, "bob", "The original words");
  JsonObject *event;
  JsonObject *message;
  JsonArray *edits;

  received = cli_receive (scene->test, scene->bob);
  g_assert_cmpuint (received->len, ==, 1);
  event = g_ptr_array_index (received, 0);
  g_assert_cmpstr (json_object_get_string_member (event, "type"), ==, "message");
  g_assert_cmpstr (json_object_get_string_member (event, "id"), ==, target);

  /* A reply carries a quote of the original. */
  reply = run_json (scene, scene->bob, "reply", "alice", target, "An answer");
  g_assert_cmpstr (json_object_get_string_member (reply, "target_id"), ==, target);
  g_clear_pointer (&received, g_ptr_array_unref);
  received = cli_receive (scene->test, scene->alice);
  g_assert_cmpuint (received->len, ==, 1);
  event = g_ptr_array_index (received, 0);
  assert_event (event, "reply", "bob", target);
  g_assert_cmpstr (json_object_get_string_member (event, "text"), ==, "An answer");
  g_assert_cmpstr (json_object_get_string_member (event, "id"), ==,
                   json_object_get_string_member (reply, "id"));
  message = history_of (scene, scene->alice, "bob", json_object_get_string_member (reply, "id"), &history);
  g_assert_cmpstr (json_object_get_string_member (message, "type"), ==, "reply");
  g_assert_cmpstr (json_object_get_string_member (message, "quote_text"), ==, "The original words");
  message = history_of (scene, scene->bob, "alice", json_object_get_string_member (reply, "id"), &history);
  g_assert_cmpstr (json_object_get_string_member (message, "quote_text"), ==, "The original words");

  /* One reaction per person per message: set, changed, removed. */
  changed = run_json (scene, scene->alice, "react", "bob", target, "🎉");
  g_clear_pointer (&changed, json_object_unref);
  bob_reacts (scene, target, "👍", "alice:🎉 bob:👍");
  bob_reacts (scene, target, "❤️", "alice:🎉 bob:❤️");
  bob_reacts (scene, target, "", "alice:🎉");

  /* Only the author edits or deletes. */
  refused = cli_run (scene->test, scene->bob, "edit", "alice", target, "Not mine", NULL);
  g_assert_cmpint (refused->status, ==, 1);
  g_assert_nonnull (strstr (refused->err, "Only its author"));
  g_clear_pointer (&refused, cli_result_free);
  refused = cli_run (scene->test, scene->bob, "delete", "alice", target, NULL);
  g_assert_cmpint (refused->status, ==, 1);

  /* An edit shows the new text, marked, with the old one kept. */
  changed = run_json (scene, scene->alice, "edit", "bob", target, "The better words");
  g_assert_cmpstr (json_object_get_string_member (changed, "type"), ==, "edit");
  g_clear_pointer (&changed, json_object_unref);
  g_clear_pointer (&received, g_ptr_array_unref);
  received = cli_receive (scene->test, scene->bob);
  g_assert_cmpuint (received->len, ==, 2);
  event = g_ptr_array_index (received, 0);
  assert_event (event, "reaction", "alice", target);
  g_assert_cmpstr (json_object_get_string_member (event, "emoji"), ==, "🎉");
  event = g_ptr_array_index (received, 1);
  assert_event (event, "edit", "alice", target);
  g_assert_cmpstr (json_object_get_string_member (event, "text"), ==, "The better words");
  for (guint side = 0; side < 2; side++)
    {
      message = history_of (scene, side == 0 ? scene->bob : scene->alice, side == 0 ? "alice" : "bob",
                            target, &history);
      g_assert_cmpstr (json_object_get_string_member (message, "text"), ==, "The better words");
      g_assert_true (json_object_get_boolean_member (message, "edited"));
      g_assert_false (json_object_get_boolean_member (message, "deleted"));
      edits = json_object_get_array_member (message, "edits");
      g_assert_cmpuint (json_array_get_length (edits), ==, 1);
      g_assert_cmpstr (json_array_get_string_element (edits, 0), ==, "The original words");
    }

  /* Deleted for everyone: the text and all that hung on it go. */
  changed = run_json (scene, scene->alice, "delete", "bob", target, NULL);
  g_assert_cmpstr (json_object_get_string_member (changed, "type"), ==, "delete");
  g_clear_pointer (&received, g_ptr_array_unref);
  received = cli_receive (scene->test, scene->bob);
  g_assert_cmpuint (received->len, ==, 1);
  assert_event (g_ptr_array_index (received, 0), "delete", "alice", target);
  for (guint side = 0; side < 2; side++)
    {
      message = history_of (scene, side == 0 ? scene->bob : scene->alice, side == 0 ? "alice" : "bob",
                            target, &history);
      g_assert_true (json_object_get_null_member (message, "text"));
      g_assert_true (json_object_get_boolean_member (message, "deleted"));
      g_assert_false (json_object_get_boolean_member (message, "edited"));
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (message, "reactions")), ==, 0);
      message = find_by_id (history, json_object_get_string_member (reply, "id"));
      g_assert_true (json_object_get_null_member (message, "quote_text"));
      g_assert_cmpstr (json_object_get_string_member (message, "target_id"), ==, target);
    }

  /* A deleted message changes no more. */
  g_clear_pointer (&refused, cli_result_free);
  refused = cli_run (scene->test, scene->alice, "edit", "bob", target, "Back again", NULL);
  g_assert_cmpint (refused->status, ==, 1);
}

/* The ciphertexts of message @id's text and of its earlier versions in
 * @profile's database, read while no process has it open. */
static GPtrArray *
sealed_texts (const char *profile,
              const char *id)
{
  g_autofree char *path = g_build_filename (profile, "sotto.db", NULL);
  g_autoptr(GPtrArray) sealed = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  sqlite3 *db = NULL;
  sqlite3_stmt *statement = cli_db_prepare (path, SQLITE_OPEN_READONLY,
                                        "SELECT body FROM messages WHERE uuid = ?1 AND body IS NOT NULL"
                                        " UNION ALL SELECT e.text FROM message_edits e"
                                        " JOIN messages m ON m.id = e.message_id WHERE m.uuid = ?1",
                                        &db);
  sqlite3_bind_text (statement, 1, id, -1, SQLITE_STATIC);
  while (sqlite3_step (statement) == SQLITE_ROW)
    g_ptr_array_add (sealed, g_bytes_new (sqlite3_column_blob (statement, 0),
                                          sqlite3_column_bytes (statement, 0)));
  sqlite3_finalize (statement);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);

  return g_steal_pointer (&sealed);
}

/* A message deleted for everyone leaves nothing of its text in the
 * recipient's profile: not its sealed text, not the sealed text it had
 * before an edit, in the database file or its write-ahead log. */
static void
test_rich_delete_wipes (void)
{
  g_autoptr(Scene) scene = scene_new ();
  g_autoptr(GPtrArray) received = NULL;
  g_autoptr(GPtrArray) sealed = NULL;
  g_autoptr(JsonObject) changed = NULL;
  g_autofree char *target = send_text (scene, scene->alice, "bob", "MARKER-to-be-deleted-7f3a");

  changed = run_json (scene, scene->alice, "edit", "bob", target, "MARKER-edited-9c1e");
  received = cli_receive (scene->test, scene->bob);
  g_assert_cmpuint (received->len, ==, 2);

  sealed = sealed_texts (scene->bob, target);
  g_assert_cmpuint (sealed->len, ==, 2);
  for (guint i = 0; i < sealed->len; i++)
    {
      gsize len;
      const void *data = g_bytes_get_data (g_ptr_array_index (sealed, i), &len);

      /* The oracle finds what is there. */
      g_assert_true (cli_tree_contains (scene->bob, data, len));
    }

  g_clear_pointer (&changed, json_object_unref);
  changed = run_json (scene, scene->alice, "delete", "bob", target, NULL);
  g_clear_pointer (&received, g_ptr_array_unref);
  received = cli_receive (scene->test, scene->bob);
  g_assert_cmpuint (received->len, ==, 1);

  for (guint i = 0; i < sealed->len; i++)
    {
      gsize len;
      const void *data = g_bytes_get_data (g_ptr_array_index (sealed, i), &len);

      g_assert_false (cli_tree_contains (scene->bob, data, len));
    }
  g_assert_false (cli_tree_contains (scene->bob, "MARKER", strlen ("MARKER")));
  g_clear_pointer (&sealed, g_ptr_array_unref);
  sealed = sealed_texts (scene->bob, target);
  g_assert_cmpuint (sealed->len, ==, 0);
}

/* Moves the envelope the relay holds for @account from @source that
 * has @n_before older than it behind all the others, as a relay that
 * delivers out of order would.  The relay is stopped meanwhile. */
static void
hold_envelope (CliTest    *test,
               const char *account,
               const char *source,
               int         n_before)
{
  g_autofree char *path = g_build_filename (test->relay->data_dir, "relay.db", NULL);
  sqlite3_stmt *statement;
  sqlite3 *db = NULL;

  cli_relay_stop (test->relay);

  statement = cli_db_prepare (path, SQLITE_OPEN_READWRITE,
                          "UPDATE queue SET id = (SELECT MAX(id) FROM queue) + 1"
                          " WHERE id = (SELECT id FROM queue WHERE account = ?1 AND source = ?2"
                          "             ORDER BY id LIMIT 1 OFFSET ?3)",
                          &db);
  sqlite3_bind_text (statement, 1, account, -1, SQLITE_STATIC);
  sqlite3_bind_text (statement, 2, source, -1, SQLITE_STATIC);
  sqlite3_bind_int (statement, 3, n_before);
  cli_db_change_one (db, statement);

  cli_relay_restart (test->relay);
}

/* Reactions, edits and deletions that arrive before their message wait
 * for it, and apply (and are printed) when it comes. */
static void
test_rich_out_of_order (void)
{
  g_autoptr(Scene) scene = scene_new ();
  g_autoptr(GPtrArray) received = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(JsonObject) changed = NULL;
  g_autofree char *reactions = NULL;
  g_autofree char *edited = send_text (scene, scene->alice, "bob", "First version");
  g_autofree char *deleted = NULL;
  JsonObject *message;

  changed = run_json (scene, scene->alice, "edit", "bob", edited, "Second version");
  g_clear_pointer (&changed, json_object_unref);
  changed = run_json (scene, scene->alice, "react", "bob", edited, "😀");
  g_clear_pointer (&changed, json_object_unref);
  hold_envelope (scene->test, scene->bob_uuid, scene->alice_uuid, 0);

  /* The queue: edit, reaction, the first message, the second, its
   * deletion; the second message goes behind its deletion. */
  deleted = send_text (scene, scene->alice, "bob", "Soon gone");
  changed = run_json (scene, scene->alice, "delete", "bob", deleted, NULL);
  hold_envelope (scene->test, scene->bob_uuid, scene->alice_uuid, 3);

  received = cli_receive (scene->test, scene->bob);
  g_assert_cmpuint (received->len, ==, 5);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (received, 0), "id"), ==, edited);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (received, 0), "text"), ==, "Second version");
  assert_event (g_ptr_array_index (received, 1), "edit", "alice", edited);
  assert_event (g_ptr_array_index (received, 2), "reaction", "alice", edited);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (received, 3), "id"), ==, deleted);
  assert_event (g_ptr_array_index (received, 4), "delete", "alice", deleted);

  message = history_of (scene, scene->bob, "alice", edited, &history);
  g_assert_cmpstr (json_object_get_string_member (message, "text"), ==, "Second version");
  g_assert_true (json_object_get_boolean_member (message, "edited"));
  reactions = cli_reactions_of (message);
  g_assert_cmpstr (reactions, ==, "alice:😀");
  message = find_by_id (history, deleted);
  g_assert_true (json_object_get_boolean_member (message, "deleted"));
  g_assert_true (json_object_get_null_member (message, "text"));
}

/* Sends @content from @profile to @to through the engine, as a
 * modified client could: sotto-cli itself refuses to name a message it
 * does not have, or one it did not write. */
static void
send_content (const char   *profile,
              const char   *to,
              SottoContent *content)
{
  g_autoptr(SottoMessenger) messenger = NULL;
  g_autoptr(GAsyncResult) sent = NULL;
  g_autoptr(GError) error = NULL;
  SottoStore *store = cli_open_store (profile);
  SottoConversation *conversation;

  messenger = cli_load_messenger (store);
  conversation = sotto_conversation_list_find_by_username (sotto_messenger_get_conversations (messenger), to);
  g_assert_nonnull (conversation);

  _sotto_outbox_send_content_async (_sotto_messenger_get_outbox (messenger), conversation, content, NULL,
                                    cli_result_cb, &sent);
  cli_wait_for (&sent);
  g_assert_true (_sotto_outbox_send_content_finish (_sotto_messenger_get_outbox (messenger), sent, &error));
  g_assert_no_error (error);

  g_clear_object (&messenger);
  cli_close_store (store);
}

/* A contact's edits, deletions and reactions naming a message of
 * someone else are dropped and logged; so is an edit past 24 hours. */
static void
test_rich_forged (void)
{
  g_autoptr(Scene) scene = scene_new ();
  g_autofree char *carol = cli_register (scene->test, "carol");
  g_autoptr(GPtrArray) received = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(CliResult) result = NULL;
  g_autoptr(SottoContent) content = NULL;
  g_autofree char *target = send_text (scene, scene->alice, "bob", "Alice wrote this");
  g_autofree char *bobs = NULL;
  g_autofree char *id = NULL;
  JsonObject *message;
  gint64 now = g_get_real_time () / 1000;

  cli_assert_receives (scene->test, scene->bob, "alice", "Alice wrote this", NULL);
  cli_send_ok (scene->test, carol, "bob", "Hi, I am Carol");
  cli_assert_receives (scene->test, scene->bob, "carol", "Hi, I am Carol", NULL);

  /* Carol names Alice's message. */
  id = g_uuid_string_random ();
  content = sotto_content_new_edit (id, now, "carol", target, "Carol's words");
  send_content (carol, "bob", content);
  g_clear_pointer (&content, sotto_content_free);
  g_free (id);
  id = g_uuid_string_random ();
  content = sotto_content_new_deletion (id, now, "carol", target);
  send_content (carol, "bob", content);
  g_clear_pointer (&content, sotto_content_free);
  g_free (id);
  id = g_uuid_string_random ();
  content = sotto_content_new_reaction (id, now, "carol", target, scene->alice_uuid, "💩");
  send_content (carol, "bob", content);
  g_clear_pointer (&content, sotto_content_free);

  /* Alice names Bob's message, and her own past the 24 hours. */
  bobs = send_text (scene, scene->bob, "alice", "Bob wrote this");
  cli_assert_receives (scene->test, scene->alice, "bob", "Bob wrote this", NULL);
  g_free (id);
  id = g_uuid_string_random ();
  content = sotto_content_new_deletion (id, now, "alice", bobs);
  send_content (scene->alice, "bob", content);
  g_clear_pointer (&content, sotto_content_free);
  g_free (id);
  id = g_uuid_string_random ();
  message = history_of (scene, scene->bob, "alice", target, &history);
  content = sotto_content_new_edit (id, json_object_get_int_member (message, "sent_at") + DAY_MS + 60000,
                                    "alice", target, "Too late");
  send_content (scene->alice, "bob", content);
  g_clear_pointer (&content, sotto_content_free);

  result = cli_run (scene->test, scene->bob, "--json", "receive", "--timeout", "0", NULL);
  cli_assert_ok (result);
  received = cli_parse_lines (result->out);
  g_assert_cmpuint (received->len, ==, 0);
  g_assert_nonnull (strstr (result->err, "Dropped a forged edit"));
  g_assert_nonnull (strstr (result->err, "Dropped a forged deletion"));
  g_assert_nonnull (strstr (result->err, "Dropped a forged reaction"));

  message = history_of (scene, scene->bob, "alice", target, &history);
  g_assert_cmpstr (json_object_get_string_member (message, "text"), ==, "Alice wrote this");
  g_assert_false (json_object_get_boolean_member (message, "edited"));
  g_assert_false (json_object_get_boolean_member (message, "deleted"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (message, "reactions")), ==, 0);
  message = find_by_id (history, bobs);
  g_assert_cmpstr (json_object_get_string_member (message, "text"), ==, "Bob wrote this");
  g_assert_false (json_object_get_boolean_member (message, "deleted"));

  /* A forgery that comes before its target is caught when the target
   * arrives: Carol's edit reaches Bob before Alice's message. */
  g_clear_pointer (&target, g_free);
  target = send_text (scene, scene->alice, "bob", "Alice again");
  g_free (id);
  id = g_uuid_string_random ();
  content = sotto_content_new_edit (id, now, "carol", target, "Carol again");
  send_content (carol, "bob", content);
  hold_envelope (scene->test, scene->bob_uuid, scene->alice_uuid, 0);

  g_clear_pointer (&result, cli_result_free);
  result = cli_run (scene->test, scene->bob, "--json", "receive", "--timeout", "0", NULL);
  cli_assert_ok (result);
  g_assert_nonnull (strstr (result->err, "Dropped a forged edit"));
  g_clear_pointer (&received, g_ptr_array_unref);
  received = cli_parse_lines (result->out);
  g_assert_cmpuint (received->len, ==, 1);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (received, 0), "text"), ==, "Alice again");
  message = history_of (scene, scene->bob, "alice", target, &history);
  g_assert_cmpstr (json_object_get_string_member (message, "text"), ==, "Alice again");
  g_assert_false (json_object_get_boolean_member (message, "edited"));
}

/* The author's own sotto-cli refuses an edit or a deletion once the
 * message is more than 24 hours old. */
static void
test_rich_too_late (void)
{
  g_autoptr(Scene) scene = scene_new ();
  g_autofree char *path = g_build_filename (scene->alice, "sotto.db", NULL);
  g_autofree char *target = send_text (scene, scene->alice, "bob", "Yesterday's news");
  g_autoptr(CliResult) refused = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *statement = NULL;

  /* The message's time is not sealed: it is made two days older. */
  statement = cli_db_prepare (path, SQLITE_OPEN_READWRITE,
                          "UPDATE messages SET sent_at = sent_at - ?2 WHERE uuid = ?1", &db);
  sqlite3_bind_text (statement, 1, target, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (statement, 2, 2 * DAY_MS);
  cli_db_change_one (db, statement);

  refused = cli_run (scene->test, scene->alice, "edit", "bob", target, "Too late", NULL);
  g_assert_cmpint (refused->status, ==, 1);
  g_assert_nonnull (strstr (refused->err, "24 hours"));
  g_clear_pointer (&refused, cli_result_free);
  refused = cli_run (scene->test, scene->alice, "delete", "bob", target, NULL);
  g_assert_cmpint (refused->status, ==, 1);
  g_assert_nonnull (strstr (refused->err, "24 hours"));

  /* Reactions have no such limit. */
  cli_run_ok (scene->test, scene->alice, "react", "bob", target, "⏰", NULL);
}

/* A message the relay never accepted (still queued, or failed) is not
 * the contact's yet: editing or deleting it for everyone is refused, and
 * the outbox does not later send what was left of it. */
static void
test_rich_not_sent (void)
{
  g_autoptr(Scene) scene = scene_new ();
  g_autofree char *path = g_build_filename (scene->alice, "sotto.db", NULL);
  g_autofree char *target = send_text (scene, scene->alice, "bob", "Not out yet");
  const int unsent_states[] = { SOTTO_MESSAGE_STATE_QUEUED, SOTTO_MESSAGE_STATE_FAILED };

  for (guint i = 0; i < G_N_ELEMENTS (unsent_states); i++)
    {
      g_autoptr(CliResult) refused = NULL;
      sqlite3 *db = NULL;
      sqlite3_stmt *statement = NULL;

      /* The state is not sealed: the sent message is made unsent again. */
      statement = cli_db_prepare (path, SQLITE_OPEN_READWRITE,
                                  "UPDATE messages SET state = ?2 WHERE uuid = ?1", &db);
      sqlite3_bind_text (statement, 1, target, -1, SQLITE_STATIC);
      sqlite3_bind_int (statement, 2, unsent_states[i]);
      cli_db_change_one (db, statement);

      refused = cli_run (scene->test, scene->alice, "edit", "bob", target, "Changed", NULL);
      g_assert_cmpint (refused->status, ==, 1);
      g_assert_nonnull (strstr (refused->err, "not been sent"));
      g_clear_pointer (&refused, cli_result_free);
      refused = cli_run (scene->test, scene->alice, "delete", "bob", target, NULL);
      g_assert_cmpint (refused->status, ==, 1);
      g_assert_nonnull (strstr (refused->err, "not been sent"));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/cli/rich/in-order", test_rich_in_order);
  g_test_add_func ("/cli/rich/delete-wipes", test_rich_delete_wipes);
  g_test_add_func ("/cli/rich/out-of-order", test_rich_out_of_order);
  g_test_add_func ("/cli/rich/forged", test_rich_forged);
  g_test_add_func ("/cli/rich/too-late", test_rich_too_late);
  g_test_add_func ("/cli/rich/not-sent", test_rich_not_sent);

  return g_test_run ();
}
