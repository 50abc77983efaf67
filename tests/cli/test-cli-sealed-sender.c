/* test-cli-sealed-sender.c: sealed sender between sotto-cli profiles
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define _GNU_SOURCE

#include "config.h"

#include <string.h>

#include <sqlite3.h>

#include "sp-error.h"
#include "sp-init.h"

#include "cli-test-util.h"

/* Once profile keys are exchanged, messages reach the relay with no
 * sender: the relay's own database row of a sealed message holds
 * neither the sender's UUID nor device nor identity key, and the
 * recipient still sees who sent it.  Before the exchange the first
 * message goes identified, and so does one whose access key the relay
 * refuses.  A certificate that does not chain to the recipient's pinned
 * trust root is dropped.  Real relay, real sotto-cli
 * processes, the relay's real SQLite database. */

/* The envelopes queued at the relay for @uuid: each row's every column,
 * as the bytes SQLite holds, one GBytes per row; @types and
 * @source_devices get each row's type and sender device. */
static GPtrArray *
queued_rows (CliTest    *test,
             const char *uuid,
             GArray     *types,
             GArray     *source_devices)
{
  g_autofree char *path = g_build_filename (test->relay->data_dir, "relay.db", NULL);
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  sqlite3 *db = NULL;
  sqlite3_stmt *statement = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT * FROM queue WHERE account = ?1 ORDER BY id", -1,
                                       &statement, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (statement, 1, uuid, -1, SQLITE_STATIC);

  while (sqlite3_step (statement) == SQLITE_ROW)
    {
      GByteArray *row = g_byte_array_new ();

      for (int i = 0; i < sqlite3_column_count (statement); i++)
        {
          const char *name = sqlite3_column_name (statement, i);

          int value = sqlite3_column_int (statement, i);

          if (g_str_equal (name, "type"))
            g_array_append_val (types, value);
          else if (g_str_equal (name, "source_device"))
            g_array_append_val (source_devices, value);

          g_byte_array_append (row, sqlite3_column_blob (statement, i), sqlite3_column_bytes (statement, i));
        }

      g_ptr_array_add (rows, g_byte_array_free_to_bytes (row));
    }

  sqlite3_finalize (statement);
  sqlite3_close (db);

  return rows;
}

static gboolean
bytes_contain (GBytes       *haystack,
               const guint8 *needle,
               gsize         needle_len)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (haystack, &len);

  return len >= needle_len && memmem (data, len, needle, needle_len) != NULL;
}

static GBytes *
hex_decode (const char *hex)
{
  gsize len = strlen (hex) / 2;
  guint8 *bytes = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    bytes[i] = (guint8) (g_ascii_xdigit_value (hex[2 * i]) << 4 | g_ascii_xdigit_value (hex[2 * i + 1]));

  return g_bytes_new_take (bytes, len);
}

/* The 16 bytes of @uuid. */
static GBytes *
uuid_bytes (const char *uuid)
{
  g_autoptr(GString) digits = g_string_new (NULL);

  for (const char *p = uuid; *p != '\0'; p++)
    if (*p != '-')
      g_string_append_c (digits, *p);

  return hex_decode (digits->str);
}

/* That @profile receives one message, @text from @from, beside any
 * profile events. */
static void
assert_receives_one (CliTest    *test,
                     const char *profile,
                     const char *from,
                     const char *text)
{
  g_autoptr(GPtrArray) lines = cli_receive (test, profile);
  guint n_messages = 0;

  for (guint i = 0; i < lines->len; i++)
    {
      JsonObject *line = g_ptr_array_index (lines, i);

      if (!json_object_has_member (line, "text"))
        continue;

      n_messages++;
      g_assert_cmpstr (json_object_get_string_member (line, "from"), ==, from);
      g_assert_cmpstr (json_object_get_string_member (line, "text"), ==, text);
    }

  g_assert_cmpuint (n_messages, ==, 1);
}

/* That the message @text in @profile's history with @with went sealed
 * or not, as `sotto-cli history --json` says. */
static void
assert_history_sealed (CliTest    *test,
                       const char *profile,
                       const char *with,
                       const char *text,
                       gboolean    sealed)
{
  g_autoptr(GPtrArray) lines = cli_history (test, profile, with);
  guint found = 0;

  for (guint i = 0; i < lines->len; i++)
    {
      JsonObject *line = g_ptr_array_index (lines, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (line, "text", NULL), text) != 0)
        continue;

      found++;
      g_assert_true (json_object_get_boolean_member (line, "sealed") == sealed);
    }

  g_assert_cmpuint (found, ==, 1);
}

static void
test_sealed_hides_sender (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *root_path = g_build_filename (test->root, "trust-root", NULL);
  g_autofree char *root = cli_new_trust_root (root_path);
  g_autofree char *alice = NULL;
  g_autofree char *bob = NULL;
  g_autoptr(CliWhoami) alice_id = NULL;
  g_autoptr(CliWhoami) bob_id = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GArray) types = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GArray) devices = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GBytes) bob_key = NULL;
  g_autoptr(GBytes) bob_raw_uuid = NULL;

  cli_issue_server_key (test, root_path);
  alice = cli_register_pinned (test, "alice", root);
  bob = cli_register_pinned (test, "bob", root);
  alice_id = cli_whoami (test, alice, "alice");
  bob_id = cli_whoami (test, bob, "bob");
  bob_key = hex_decode (bob_id->identity_key);
  bob_raw_uuid = uuid_bytes (bob_id->uuid);

  /* Profile keys go with every message once each has a profile. */
  cli_run_ok (test, alice, "profile", "--name", "Alice", NULL);
  cli_run_ok (test, bob, "profile", "--name", "Bob", NULL);

  /* Alice has no key of Bob's yet: her first message names her. */
  cli_send_ok (test, alice, "bob", "First contact");
  rows = queued_rows (test, bob_id->uuid, types, devices);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpint (g_array_index (types, int, 0), !=, 6);
  g_assert_cmpint (g_array_index (devices, int, 0), ==, 1);
  g_assert_true (bytes_contain (g_ptr_array_index (rows, 0), (const guint8 *) alice_id->uuid,
                                strlen (alice_id->uuid)));
  g_clear_pointer (&rows, g_ptr_array_unref);
  assert_receives_one (test, bob, "alice", "First contact");

  /* Bob now holds Alice's key: everything he sends her goes sealed,
   * the delivery receipt for her message as well as his answer. */
  cli_send_ok (test, bob, "alice", "Sealed answer");
  g_array_set_size (types, 0);
  g_array_set_size (devices, 0);
  rows = queued_rows (test, alice_id->uuid, types, devices);
  g_assert_cmpuint (rows->len, >=, 2);
  for (guint i = 0; i < rows->len; i++)
    {
      GBytes *row = g_ptr_array_index (rows, i);

      g_test_message ("Row %u: type %d, source device %d", i, g_array_index (types, int, i),
                      g_array_index (devices, int, i));
      g_assert_cmpint (g_array_index (types, int, i), ==, 6);
      g_assert_cmpint (g_array_index (devices, int, i), ==, 0);
      g_assert_false (bytes_contain (row, (const guint8 *) bob_id->uuid, strlen (bob_id->uuid)));
      g_assert_false (bytes_contain (row, g_bytes_get_data (bob_raw_uuid, NULL), 16));
      g_assert_false (bytes_contain (row, g_bytes_get_data (bob_key, NULL), g_bytes_get_size (bob_key)));
    }

  /* Alice still sees who wrote. */
  assert_receives_one (test, alice, "bob", "Sealed answer");

  /* Both histories say which message went how. */
  assert_history_sealed (test, alice, "bob", "First contact", FALSE);
  assert_history_sealed (test, alice, "bob", "Sealed answer", TRUE);
  assert_history_sealed (test, bob, "alice", "First contact", FALSE);
  assert_history_sealed (test, bob, "alice", "Sealed answer", TRUE);
}

/* A sealed message whose certificate chains to another root than the
 * one the recipient pinned is dropped: Bob's relay certifies him under
 * its root, but Alice was given another. */
static void
test_forged_root_dropped (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *root_path = g_build_filename (test->root, "trust-root", NULL);
  g_autofree char *other_path = g_build_filename (test->root, "other-root", NULL);
  g_autofree char *root = cli_new_trust_root (root_path);
  g_autofree char *other = cli_new_trust_root (other_path);
  g_autofree char *alice = NULL;
  g_autofree char *bob = NULL;
  g_autoptr(CliWhoami) alice_id = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GArray) types = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GArray) devices = g_array_new (FALSE, FALSE, sizeof (int));

  cli_issue_server_key (test, root_path);
  alice = cli_register_pinned (test, "alice", other);
  bob = cli_register_pinned (test, "bob", root);
  alice_id = cli_whoami (test, alice, "alice");

  cli_run_ok (test, alice, "profile", "--name", "Alice", NULL);
  cli_send_ok (test, alice, "bob", "First contact");
  assert_receives_one (test, bob, "alice", "First contact");

  cli_send_ok (test, bob, "alice", "Under the wrong root");
  rows = queued_rows (test, alice_id->uuid, types, devices);
  g_assert_cmpuint (rows->len, >=, 2);
  for (guint i = 0; i < rows->len; i++)
    g_assert_cmpint (g_array_index (types, int, i), ==, 6);
  g_clear_pointer (&rows, g_ptr_array_unref);

  cli_assert_receives_nothing (test, alice);

  /* Dropped for good: acknowledged, not kept for another try. */
  rows = queued_rows (test, alice_id->uuid, types, devices);
  g_assert_cmpuint (rows->len, ==, 0);
}

/* A stale profile key: Alice blocks Bob, which rotates her key and
 * her access key, so the relay refuses the key Bob derives from the old
 * one.  His message goes identified instead, is committed, and says
 * so. */
static void
test_stale_key_falls_back (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *root_path = g_build_filename (test->root, "trust-root", NULL);
  g_autofree char *root = cli_new_trust_root (root_path);
  g_autofree char *alice = NULL;
  g_autofree char *bob = NULL;
  g_autoptr(CliWhoami) alice_id = NULL;
  g_autoptr(CliWhoami) bob_id = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GArray) types = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GArray) devices = g_array_new (FALSE, FALSE, sizeof (int));

  cli_issue_server_key (test, root_path);
  alice = cli_register_pinned (test, "alice", root);
  bob = cli_register_pinned (test, "bob", root);
  alice_id = cli_whoami (test, alice, "alice");
  bob_id = cli_whoami (test, bob, "bob");

  cli_run_ok (test, alice, "profile", "--name", "Alice", NULL);
  cli_send_ok (test, alice, "bob", "First contact");
  assert_receives_one (test, bob, "alice", "First contact");

  cli_run_ok (test, alice, "block", "bob", NULL);
  cli_send_ok (test, bob, "alice", "After the block");

  rows = queued_rows (test, alice_id->uuid, types, devices);
  g_assert_cmpuint (rows->len, >=, 1);
  g_assert_cmpint (g_array_index (types, int, rows->len - 1), !=, 6);
  g_assert_cmpint (g_array_index (devices, int, rows->len - 1), ==, 1);
  g_assert_true (bytes_contain (g_ptr_array_index (rows, rows->len - 1), (const guint8 *) bob_id->uuid,
                                strlen (bob_id->uuid)));
  assert_history_sealed (test, bob, "alice", "After the block", FALSE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/cli/sealed-sender/hides-sender", test_sealed_hides_sender);
  g_test_add_func ("/cli/sealed-sender/forged-root-dropped", test_forged_root_dropped);
  g_test_add_func ("/cli/sealed-sender/stale-key-falls-back", test_stale_key_falls_back);

  return g_test_run ();
}
