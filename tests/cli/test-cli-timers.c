/* test-cli-timers.c: disappearing messages between sotto-cli profiles
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <sqlite3.h>

#include "sp-error.h"
#include "sp-init.h"

#include "cli-test-util.h"
#include "relay-test-util.h"

/* Real relay, real sotto-cli processes, real timers: the shortest timer
 * is 30 seconds, and one test waits for it. */

static JsonObject *
find_line (GPtrArray  *lines,
           const char *member,
           const char *value)
{
  for (guint i = 0; i < lines->len; i++)
    {
      JsonObject *line = g_ptr_array_index (lines, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (line, member, NULL), value) == 0)
        return line;
    }

  return NULL;
}

static void
assert_timer_event (JsonObject *line,
                    const char *from,
                    gint64      seconds)
{
  g_assert_nonnull (line);
  g_assert_cmpstr (json_object_get_string_member (line, "type"), ==, "timer");
  g_assert_cmpstr (json_object_get_string_member (line, "from"), ==, from);
  g_assert_cmpint (json_object_get_int_member (line, "seconds"), ==, seconds);
}

/* Either side sets the timer; the change shows for both; other values
 * are refused before anything changes. */
static void
test_timer_either_side (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autoptr(CliResult) set = NULL;
  g_autoptr(CliResult) odd = NULL;
  g_autoptr(CliResult) word = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GPtrArray) at_bob = NULL;
  g_autoptr(GPtrArray) at_alice = NULL;
  g_autoptr(GPtrArray) history = NULL;

  cli_send_ok (test, alice, "bob", "Hi Bob");
  cli_assert_receives (test, bob, "alice", "Hi Bob", NULL);

  set = cli_run (test, alice, "--json", "timer", "bob", "300", NULL);
  cli_assert_ok (set);
  answer = cli_parse_object (set->out);
  g_assert_cmpint (json_object_get_int_member (answer, "seconds"), ==, 300);

  at_bob = cli_receive (test, bob);
  g_assert_cmpuint (at_bob->len, ==, 1);
  assert_timer_event (g_ptr_array_index (at_bob, 0), "alice", 300);

  cli_run_ok (test, bob, "timer", "alice", "0", NULL);
  at_alice = cli_receive (test, alice);
  g_assert_cmpuint (at_alice->len, ==, 1);
  assert_timer_event (g_ptr_array_index (at_alice, 0), "bob", 0);

  /* Both changes are in Alice's timeline. */
  history = cli_history (test, alice, "bob");
  g_assert_cmpuint (history->len, ==, 3);
  assert_timer_event (g_ptr_array_index (history, 1), "alice", 300);
  assert_timer_event (g_ptr_array_index (history, 2), "bob", 0);

  odd = cli_run (test, alice, "timer", "bob", "31", NULL);
  g_assert_cmpint (odd->status, ==, 2);
  g_assert_nonnull (strstr (odd->err, "SECONDS"));
  word = cli_run (test, alice, "timer", "bob", "soon", NULL);
  g_assert_cmpint (word->status, ==, 2);
  cli_assert_receives_nothing (test, bob);
}

/* The sealed body a message has in a profile's database. */
static GBytes *
stored_body (const char *profile,
             const char *id)
{
  g_autofree char *path = g_build_filename (profile, "sotto.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *statement = NULL;
  GBytes *body;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT body FROM messages WHERE uuid = ?1", -1, &statement, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_text (statement, 1, id, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (statement), ==, SQLITE_ROW);
  body = g_bytes_new (sqlite3_column_blob (statement, 0), sqlite3_column_bytes (statement, 0));
  sqlite3_finalize (statement);
  sqlite3_close (db);

  g_assert_cmpuint (g_bytes_get_size (body), >, 16);
  return body;
}

static gboolean
history_has (CliTest    *test,
             const char *profile,
             const char *with,
             const char *text)
{
  g_autoptr(GPtrArray) history = cli_history (test, profile, with);

  return find_line (history, "text", text) != NULL;
}

/* A message written under a 30-second timer disappears from both sides:
 * the sender's copy 30 s after it was sent, while a receive runs (the
 * main-loop timeout), the recipient's 30 s after it was read, at the
 * next start.  Its sealed body is gone from the database files. */
static void
test_message_disappears (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  static const char vanishing[] = "This text vanishes 5d1c";
  g_autoptr(JsonObject) sent = NULL;
  g_autoptr(GPtrArray) received = NULL;
  g_autoptr(GBytes) alice_body = NULL;
  g_autoptr(GBytes) bob_body = NULL;
  g_autoptr(CliResult) waiting = NULL;
  const char *id;

  cli_send_ok (test, alice, "bob", "Hi Bob");
  cli_assert_receives (test, bob, "alice", "Hi Bob", NULL);
  cli_run_ok (test, alice, "timer", "bob", "30", NULL);

  sent = cli_send_json (test, alice, "bob", vanishing);
  id = json_object_get_string_member (sent, "id");
  received = cli_receive (test, bob);
  g_assert_nonnull (find_line (received, "text", vanishing));
  assert_timer_event (find_line (received, "type", "timer"), "alice", 30);

  alice_body = stored_body (alice, id);
  bob_body = stored_body (bob, id);
  g_assert_true (cli_tree_contains (alice, g_bytes_get_data (alice_body, NULL), g_bytes_get_size (alice_body)));
  g_assert_true (cli_tree_contains (bob, g_bytes_get_data (bob_body, NULL), g_bytes_get_size (bob_body)));
  g_assert_true (history_has (test, alice, "bob", vanishing));

  /* Alice stays online past the expiry of her copy. */
  waiting = cli_run (test, alice, "--json", "receive", "--timeout", "33", NULL);
  cli_assert_ok (waiting);
  g_assert_false (history_has (test, alice, "bob", vanishing));
  g_assert_true (history_has (test, alice, "bob", "Hi Bob"));
  g_assert_false (cli_tree_contains (alice, g_bytes_get_data (alice_body, NULL), g_bytes_get_size (alice_body)));

  /* Bob read his more than 30 s ago: it goes as he comes online. */
  cli_assert_receives_nothing (test, bob);
  g_assert_false (history_has (test, bob, "alice", vanishing));
  g_assert_true (history_has (test, bob, "alice", "Hi Bob"));
  g_assert_false (cli_tree_contains (bob, g_bytes_get_data (bob_body, NULL), g_bytes_get_size (bob_body)));
}

/* An integer that the relay's database gives for the query @format
 * makes. */
static gint64 relay_query (CliTest    *test,
                           const char *format,
                           ...) G_GNUC_PRINTF (2, 3);

static gint64
relay_query (CliTest    *test,
             const char *format,
             ...)
{
  g_autofree char *sql = NULL;
  va_list args;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  return test_relay_query_int (test->relay->data_dir, sql);
}

/* A message written under a 30-second timer to a contact who stays
 * offline is dropped by the relay when the sender's copy disappears: its
 * envelope carries the expiry, its row leaves the relay's database
 * without anyone fetching it, and the contact never gets it.  What was
 * written before the timer, and the timer change itself, carry none. */
static void
test_relay_drops_unfetched (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autoptr(CliWhoami) bob_id = cli_whoami (test, bob, "bob");
  static const char before[] = "Written before the timer 77a2";
  static const char vanishing[] = "Never fetched 3e90";
  g_autoptr(GPtrArray) received = NULL;
  gint64 deadline;
  gint64 lifetime;

  cli_send_ok (test, alice, "bob", "Hi Bob");
  cli_assert_receives (test, bob, "alice", "Hi Bob", NULL);
  cli_send_ok (test, alice, "bob", before);
  cli_run_ok (test, alice, "timer", "bob", "30", NULL);
  cli_send_ok (test, alice, "bob", vanishing);

  g_assert_cmpint (relay_query (test, "SELECT count(*) FROM queue WHERE account = '%s'", bob_id->uuid), ==, 3);
  g_assert_cmpint (relay_query (test, "SELECT count(*) FROM queue WHERE account = '%s' AND expires_at IS NOT NULL",
                                bob_id->uuid), ==, 1);
  lifetime = relay_query (test, "SELECT expires_at - server_timestamp FROM queue WHERE account = '%s' "
                                "AND expires_at IS NOT NULL", bob_id->uuid);
  g_assert_cmpint (lifetime, >, 0);
  g_assert_cmpint (lifetime, <=, 30 * 1000);

  /* Nobody fetches it: the relay's own sweep deletes the row. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (relay_query (test, "SELECT count(*) FROM queue WHERE account = '%s' AND expires_at IS NOT NULL",
                      bob_id->uuid) > 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (200 * G_TIME_SPAN_MILLISECOND);
    }
  g_assert_cmpint (relay_query (test, "SELECT count(*) FROM queue WHERE account = '%s'", bob_id->uuid), ==, 2);

  received = cli_receive (test, bob);
  g_assert_cmpuint (received->len, ==, 2);
  g_assert_nonnull (find_line (received, "text", before));
  assert_timer_event (find_line (received, "type", "timer"), "alice", 30);
  g_assert_null (find_line (received, "text", vanishing));
  g_assert_false (history_has (test, bob, "alice", vanishing));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/cli/timers/either-side", test_timer_either_side);
  g_test_add_func ("/cli/timers/message-disappears", test_message_disappears);
  g_test_add_func ("/cli/timers/relay-drops-unfetched", test_relay_drops_unfetched);

  return g_test_run ();
}
