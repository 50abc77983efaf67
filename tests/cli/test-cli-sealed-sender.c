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
 * trust root is dropped, unless it chains to the root the relay now
 * presents, which no profile takes by itself.  Profiles registered
 * without a root pin the relay's.  Certificates are renewed before they
 * expire.  Real relay, real sotto-cli processes, the relay's real
 * SQLite database. */

/* A relay that issues sender certificates (with @relay_conf as its
 * relay.conf, if not %NULL) under a root of its own, and Alice and Bob
 * registered on it, each given the root, or with @first_use pinning the
 * one the relay publishes. */
typedef struct
{
  CliTest *test;
  char *root_path;
  char *root;
  char *alice;
  char *bob;
  CliWhoami *alice_id;
  CliWhoami *bob_id;
} SealedPair;

static SealedPair *
sealed_pair_new (const char *relay_conf,
                 gboolean    first_use)
{
  SealedPair *pair = g_new0 (SealedPair, 1);

  pair->test = cli_test_new (FALSE);
  pair->root_path = g_build_filename (pair->test->root, "trust-root", NULL);
  pair->root = cli_new_trust_root (pair->root_path);
  if (relay_conf != NULL)
    {
      g_autofree char *path = g_build_filename (pair->test->relay->data_dir, "relay.conf", NULL);

      g_assert_true (g_file_set_contents (path, relay_conf, -1, NULL));
    }
  cli_issue_server_key (pair->test, pair->root_path);
  pair->alice = cli_register_pinned (pair->test, "alice", first_use ? NULL : pair->root);
  pair->bob = cli_register_pinned (pair->test, "bob", first_use ? NULL : pair->root);
  pair->alice_id = cli_whoami (pair->test, pair->alice, "alice");
  pair->bob_id = cli_whoami (pair->test, pair->bob, "bob");

  return pair;
}

static void
sealed_pair_free (SealedPair *pair)
{
  g_clear_pointer (&pair->alice_id, cli_whoami_free);
  g_clear_pointer (&pair->bob_id, cli_whoami_free);
  g_free (pair->alice);
  g_free (pair->bob);
  g_free (pair->root);
  g_free (pair->root_path);
  g_clear_pointer (&pair->test, cli_test_free);
  g_free (pair);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SealedPair, sealed_pair_free)

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

/* That the message @text, once among @lines of `sotto-cli history
 * --json`, went sealed or not, as the line says. */
static void
assert_line_sealed (GPtrArray  *lines,
                    const char *text,
                    gboolean    sealed)
{
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

/* That the message @text in @profile's history with @with went sealed
 * or not. */
static void
assert_history_sealed (CliTest    *test,
                       const char *profile,
                       const char *with,
                       const char *text,
                       gboolean    sealed)
{
  g_autoptr(GPtrArray) lines = cli_history (test, profile, with);

  assert_line_sealed (lines, text, sealed);
}

/* That @profile pins @pinned and, as `sotto-cli trust-root` finds,
 * the relay presents @other in its place (%NULL: the same one). */
static void
assert_pinned (CliTest    *test,
               const char *profile,
               const char *pinned,
               const char *other)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "trust-root", NULL);
  g_autoptr(JsonObject) object = NULL;

  cli_assert_ok (result);
  object = cli_parse_object (result->out);
  g_assert_cmpstr (json_object_get_string_member (object, "pinned"), ==, pinned);
  g_assert_cmpstr (json_object_get_string_member (object, "relay_presents_other"), ==, other);
}

/* Registers both with the root given, or, with @first_use, with none:
 * each then pins the one the relay publishes. */
static void
check_sealed_hides_sender (gboolean first_use)
{
  g_autoptr(SealedPair) pair = sealed_pair_new (NULL, first_use);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GArray) types = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GArray) devices = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GBytes) bob_key = NULL;
  g_autoptr(GBytes) bob_raw_uuid = NULL;

  assert_pinned (pair->test, pair->alice, pair->root, NULL);
  assert_pinned (pair->test, pair->bob, pair->root, NULL);
  bob_key = hex_decode (pair->bob_id->identity_key);
  bob_raw_uuid = uuid_bytes (pair->bob_id->uuid);

  /* Profile keys go with every message once each has a profile. */
  cli_run_ok (pair->test, pair->alice, "profile", "--name", "Alice", NULL);
  cli_run_ok (pair->test, pair->bob, "profile", "--name", "Bob", NULL);

  /* Alice has no key of Bob's yet: her first message names her. */
  cli_send_ok (pair->test, pair->alice, "bob", "First contact");
  rows = queued_rows (pair->test, pair->bob_id->uuid, types, devices);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpint (g_array_index (types, int, 0), !=, 6);
  g_assert_cmpint (g_array_index (devices, int, 0), ==, 1);
  g_assert_true (bytes_contain (g_ptr_array_index (rows, 0), (const guint8 *) pair->alice_id->uuid,
                                strlen (pair->alice_id->uuid)));
  g_clear_pointer (&rows, g_ptr_array_unref);
  assert_receives_one (pair->test, pair->bob, "alice", "First contact");

  /* Bob now holds Alice's key: everything he sends her goes sealed,
   * the delivery receipt for her message as well as his answer. */
  cli_send_ok (pair->test, pair->bob, "alice", "Sealed answer");
  g_array_set_size (types, 0);
  g_array_set_size (devices, 0);
  rows = queued_rows (pair->test, pair->alice_id->uuid, types, devices);
  g_assert_cmpuint (rows->len, >=, 2);
  for (guint i = 0; i < rows->len; i++)
    {
      GBytes *row = g_ptr_array_index (rows, i);

      g_test_message ("Row %u: type %d, source device %d", i, g_array_index (types, int, i),
                      g_array_index (devices, int, i));
      g_assert_cmpint (g_array_index (types, int, i), ==, 6);
      g_assert_cmpint (g_array_index (devices, int, i), ==, 0);
      g_assert_false (bytes_contain (row, (const guint8 *) pair->bob_id->uuid, strlen (pair->bob_id->uuid)));
      g_assert_false (bytes_contain (row, g_bytes_get_data (bob_raw_uuid, NULL), 16));
      g_assert_false (bytes_contain (row, g_bytes_get_data (bob_key, NULL), g_bytes_get_size (bob_key)));
    }

  /* Alice still sees who wrote. */
  assert_receives_one (pair->test, pair->alice, "bob", "Sealed answer");

  /* Both histories say which message went how. */
  assert_history_sealed (pair->test, pair->alice, "bob", "First contact", FALSE);
  assert_history_sealed (pair->test, pair->alice, "bob", "Sealed answer", TRUE);
  assert_history_sealed (pair->test, pair->bob, "alice", "First contact", FALSE);
  assert_history_sealed (pair->test, pair->bob, "alice", "Sealed answer", TRUE);
}

static void
test_sealed_hides_sender (void)
{
  check_sealed_hides_sender (FALSE);
}

/* Registered without a root given, both pin the relay's, and seal. */
static void
test_first_use_hides_sender (void)
{
  check_sealed_hides_sender (TRUE);
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

  /* The relay names no root, so nothing tells Alice's client that the
   * certificate is the relay's: for her it is a forgery. */
  cli_issue_server_key_full (test, root_path, "1", FALSE);
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

/* The relay's root changes under profiles that pinned the first one
 * (a new root, or a relay that was taken over): nothing re-pins it.
 * Their messages go identified, say so, and a sealed message under the
 * new root stays at the relay with a warning that names the root and
 * how to take it, until the user pins it; then it arrives. */
static void
test_root_change_not_taken (void)
{
  g_autoptr(SealedPair) pair = sealed_pair_new (NULL, TRUE);
  g_autofree char *new_path = g_build_filename (pair->test->root, "new-root", NULL);
  g_autofree char *new_root = cli_new_trust_root (new_path);
  g_autofree char *carol = NULL;
  g_autoptr(CliResult) received = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GArray) types = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GArray) devices = g_array_new (FALSE, FALSE, sizeof (int));

  cli_run_ok (pair->test, pair->alice, "profile", "--name", "Alice", NULL);
  cli_run_ok (pair->test, pair->bob, "profile", "--name", "Bob", NULL);
  cli_send_ok (pair->test, pair->alice, "bob", "First contact");
  assert_receives_one (pair->test, pair->bob, "alice", "First contact");
  cli_send_ok (pair->test, pair->bob, "alice", "Sealed under the first root");
  assert_receives_one (pair->test, pair->alice, "bob", "Sealed under the first root");
  assert_history_sealed (pair->test, pair->bob, "alice", "Sealed under the first root", TRUE);

  /* The relay now certifies under another root, and publishes it. */
  cli_issue_server_key_full (pair->test, new_path, "2", TRUE);
  assert_pinned (pair->test, pair->bob, pair->root, new_root);

  /* Bob's certificate no longer chains to his pinned root: his message
   * goes with his name on it, and says so. */
  cli_send_ok (pair->test, pair->bob, "alice", "Under the new root");
  rows = queued_rows (pair->test, pair->alice_id->uuid, types, devices);
  g_assert_cmpuint (rows->len, >=, 1);
  g_assert_cmpint (g_array_index (types, int, rows->len - 1), !=, 6);
  g_assert_true (bytes_contain (g_ptr_array_index (rows, rows->len - 1), (const guint8 *) pair->bob_id->uuid,
                                strlen (pair->bob_id->uuid)));
  g_clear_pointer (&rows, g_ptr_array_unref);
  assert_history_sealed (pair->test, pair->bob, "alice", "Under the new root", FALSE);
  assert_receives_one (pair->test, pair->alice, "bob", "Under the new root");

  /* Carol registers now and pins the new root; once she has Alice's
   * profile key, she writes to her sealed. */
  carol = cli_register_pinned (pair->test, "carol", NULL);
  assert_pinned (pair->test, carol, new_root, NULL);
  cli_send_ok (pair->test, pair->alice, "carol", "Hello Carol");
  assert_receives_one (pair->test, carol, "alice", "Hello Carol");
  cli_send_ok (pair->test, carol, "alice", "Sealed under the new root");
  assert_history_sealed (pair->test, carol, "alice", "Sealed under the new root", TRUE);

  /* Alice's client does not take it: the message stays at the relay,
   * unread, and she is told why and how to take the new root. */
  received = cli_run (pair->test, pair->alice, "--json", "receive", "--timeout", "0", NULL);
  cli_assert_ok (received);
  g_assert_null (strstr (received->out, "Sealed under the new root"));
  g_assert_nonnull (strstr (received->err, "sotto-cli trust-root --trust-root"));
  g_assert_nonnull (strstr (received->err, new_root));
  g_array_set_size (types, 0);
  g_array_set_size (devices, 0);
  rows = queued_rows (pair->test, pair->alice_id->uuid, types, devices);
  g_assert_cmpuint (rows->len, >=, 1);
  for (guint i = 0; i < rows->len; i++)
    g_assert_cmpint (g_array_index (types, int, i), ==, 6);
  g_clear_pointer (&rows, g_ptr_array_unref);
  assert_pinned (pair->test, pair->alice, pair->root, new_root);

  /* Alice takes the new root herself: the message arrives. */
  cli_run_ok (pair->test, pair->alice, "trust-root", "--trust-root", new_root, NULL);
  assert_pinned (pair->test, pair->alice, new_root, NULL);
  assert_receives_one (pair->test, pair->alice, "carol", "Sealed under the new root");
  rows = queued_rows (pair->test, pair->alice_id->uuid, types, devices);
  g_assert_cmpuint (rows->len, ==, 0);
}

/* Sends one message from @messenger in @conversation and waits until
 * the relay committed it. */
static void
send_in_process (SottoMessenger    *messenger,
                 SottoConversation *conversation,
                 const char        *text)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  sotto_messenger_send_async (messenger, conversation, text, NULL, cli_result_cb, &result);
  cli_wait_for (&result);
  sotto_messenger_send_finish (messenger, result, &message, &error);
  g_assert_no_error (error);
  g_assert_nonnull (message);
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* A relay whose sender certificates live 4 seconds: one messenger sends
 * across the expiry of its first certificate, and both messages go
 * sealed, the second with a new certificate.  The recipient, who reads
 * them after both certificates expired, checks each against the time
 * the relay took the message, so one sent with an expired certificate
 * would be dropped, not shown. */
static void
test_certificate_renewed (void)
{
  g_autoptr(SealedPair) pair = sealed_pair_new ("[limits]\nsender-certificate-lifetime-seconds=4\n", TRUE);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GArray) types = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GArray) devices = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GAsyncResult) found = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  SottoStore *store;
  SottoMessenger *messenger;
  SottoConversation *conversation;


  /* Alice gets Bob's profile key with his first message. */
  cli_run_ok (pair->test, pair->bob, "profile", "--name", "Bob", NULL);
  cli_send_ok (pair->test, pair->bob, "alice", "First contact");
  assert_receives_one (pair->test, pair->alice, "bob", "First contact");

  store = cli_open_store (pair->alice);
  messenger = cli_load_messenger (store);
  sotto_messenger_open_conversation_async (messenger, "bob", NULL, cli_result_cb, &found);
  cli_wait_for (&found);
  conversation = sotto_messenger_open_conversation_finish (messenger, found, &error);
  g_assert_no_error (error);
  sotto_messenger_start (messenger);

  send_in_process (messenger, conversation, "Before the expiry");
  g_timeout_add_seconds (5, quit_cb, loop);
  g_main_loop_run (loop);
  send_in_process (messenger, conversation, "After the expiry");

  sotto_messenger_stop (messenger);
  g_object_unref (conversation);
  g_object_unref (messenger);
  cli_close_store (store);

  /* Both reached the relay with no sender (beside the sealed receipt
   * for Bob's message). */
  rows = queued_rows (pair->test, pair->bob_id->uuid, types, devices);
  g_assert_cmpuint (rows->len, >=, 2);
  for (guint i = 0; i < rows->len; i++)
    {
      g_assert_cmpint (g_array_index (types, int, i), ==, 6);
      g_assert_cmpint (g_array_index (devices, int, i), ==, 0);
      g_assert_false (bytes_contain (g_ptr_array_index (rows, i), (const guint8 *) pair->alice_id->uuid,
                                     strlen (pair->alice_id->uuid)));
    }
  assert_history_sealed (pair->test, pair->alice, "bob", "Before the expiry", TRUE);
  assert_history_sealed (pair->test, pair->alice, "bob", "After the expiry", TRUE);

  messages = cli_receive (pair->test, pair->bob);
  cli_assert_texts (messages, "alice", "Before the expiry", "After the expiry", NULL);
}

/* A stale profile key: Alice blocks Bob, which rotates her key and
 * her access key, so the relay refuses the key Bob derives from the old
 * one.  His message goes identified instead, is committed, and says
 * so. */
static void
test_stale_key_falls_back (void)
{
  g_autoptr(SealedPair) pair = sealed_pair_new (NULL, FALSE);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GArray) types = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GArray) devices = g_array_new (FALSE, FALSE, sizeof (int));


  cli_run_ok (pair->test, pair->alice, "profile", "--name", "Alice", NULL);
  cli_send_ok (pair->test, pair->alice, "bob", "First contact");
  assert_receives_one (pair->test, pair->bob, "alice", "First contact");

  cli_run_ok (pair->test, pair->alice, "block", "bob", NULL);
  cli_send_ok (pair->test, pair->bob, "alice", "After the block");

  rows = queued_rows (pair->test, pair->alice_id->uuid, types, devices);
  g_assert_cmpuint (rows->len, >=, 1);
  g_assert_cmpint (g_array_index (types, int, rows->len - 1), !=, 6);
  g_assert_cmpint (g_array_index (devices, int, rows->len - 1), ==, 1);
  g_assert_true (bytes_contain (g_ptr_array_index (rows, rows->len - 1), (const guint8 *) pair->bob_id->uuid,
                                strlen (pair->bob_id->uuid)));
  assert_history_sealed (pair->test, pair->bob, "alice", "After the block", FALSE);
}

/* That every row queued for @recipient is a sealed envelope naming
 * nothing of @sender (its UUID as text or as bytes, its identity key),
 * and that there is at least one. */
static void
assert_queue_sealed (CliTest          *test,
                     const char       *recipient,
                     const CliWhoami  *sender)
{
  g_autoptr(GArray) types = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GArray) devices = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GPtrArray) rows = queued_rows (test, recipient, types, devices);
  g_autoptr(GBytes) key = hex_decode (sender->identity_key);
  g_autoptr(GBytes) raw_uuid = uuid_bytes (sender->uuid);

  g_assert_cmpuint (rows->len, >=, 1);
  for (guint i = 0; i < rows->len; i++)
    {
      GBytes *row = g_ptr_array_index (rows, i);

      g_assert_cmpint (g_array_index (types, int, i), ==, 6);
      g_assert_cmpint (g_array_index (devices, int, i), ==, 0);
      g_assert_false (bytes_contain (row, (const guint8 *) sender->uuid, strlen (sender->uuid)));
      g_assert_false (bytes_contain (row, g_bytes_get_data (raw_uuid, NULL), 16));
      g_assert_false (bytes_contain (row, g_bytes_get_data (key, NULL), g_bytes_get_size (key)));
    }
}

/* That the one row queued for @recipient is a group message (a
 * SenderKeyMessage, type 7) that names @sender's UUID and device. */
static void
assert_queue_identified (CliTest          *test,
                         const char       *recipient,
                         const CliWhoami  *sender)
{
  g_autoptr(GArray) types = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GArray) devices = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GPtrArray) rows = queued_rows (test, recipient, types, devices);

  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpint (g_array_index (types, int, 0), ==, 7);
  g_assert_cmpint (g_array_index (devices, int, 0), ==, 1);
  g_assert_true (bytes_contain (g_ptr_array_index (rows, 0), (const guint8 *) sender->uuid,
                                strlen (sender->uuid)));
}

/* That @profile receives the group message @text from @from in
 * @group, beside anything else. */
static void
assert_receives_group_message (CliTest    *test,
                               const char *profile,
                               const char *group,
                               const char *from,
                               const char *text)
{
  g_autoptr(GPtrArray) lines = cli_receive (test, profile);
  guint found = 0;

  for (guint i = 0; i < lines->len; i++)
    {
      JsonObject *line = g_ptr_array_index (lines, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (line, "group", NULL), group) != 0
          || g_strcmp0 (json_object_get_string_member_with_default (line, "text", NULL), text) != 0)
        continue;

      found++;
      g_assert_cmpstr (json_object_get_string_member (line, "from"), ==, from);
    }

  g_assert_cmpuint (found, ==, 1);
}

/* That @text in @profile's history of @group went sealed or not. */
static void
assert_group_history_sealed (CliTest    *test,
                             const char *profile,
                             const char *group,
                             const char *text,
                             gboolean    sealed)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "--json", "history", "--group", group, NULL);
  g_autoptr(GPtrArray) lines = NULL;

  cli_assert_ok (result);
  lines = cli_parse_lines (result->out);
  assert_line_sealed (lines, text, sealed);
}

/* Lets @profile receive what waits for it. */
static void
drain (CliTest    *test,
       const char *profile)
{
  g_ptr_array_unref (cli_receive (test, profile));
}

/* A group's messages go in one sealed sender v2 upload that the relay
 * splits: every member's queued row holds no sender UUID, device or
 * identity key, and each member still sees who wrote.  A member whose
 * access key the sender lacks gets the message identified, and only
 * that member.  When the relay refuses a member's key (Carol blocked
 * Alice, which rotated her key), the sealed upload stores nothing for
 * anyone, not even for Bob, whose key was right, and the message goes
 * identified to all.  Each member's history says which way each
 * message came. */
static void
test_group_hides_sender (void)
{
  g_autoptr(SealedPair) pair = sealed_pair_new (NULL, FALSE);
  g_autofree char *carol = cli_register_pinned (pair->test, "carol", pair->root);
  g_autoptr(CliWhoami) carol_id = cli_whoami (pair->test, carol, "carol");
  g_autoptr(CliResult) created = NULL;
  g_autoptr(JsonObject) object = NULL;
  const char *group;

  cli_run_ok (pair->test, pair->alice, "profile", "--name", "Alice", NULL);
  cli_run_ok (pair->test, pair->bob, "profile", "--name", "Bob", NULL);
  cli_run_ok (pair->test, carol, "profile", "--name", "Carol", NULL);

  /* Alice and each of the others exchange profile keys; Bob and Carol
   * never wrote to each other. */
  cli_send_ok (pair->test, pair->alice, "bob", "Hello Bob");
  cli_send_ok (pair->test, pair->alice, "carol", "Hello Carol");
  drain (pair->test, pair->bob);
  drain (pair->test, carol);
  cli_send_ok (pair->test, pair->bob, "alice", "Hello Alice");
  cli_send_ok (pair->test, carol, "alice", "Hello from Carol");
  drain (pair->test, pair->alice);

  created = cli_run (pair->test, pair->alice, "--json", "group", "create", "Sealed", "bob", "carol", NULL);
  cli_assert_ok (created);
  object = cli_parse_object (created->out);
  group = json_object_get_string_member (object, "group");
  drain (pair->test, pair->bob);
  drain (pair->test, carol);

  /* Alice holds both members' keys: the sender key and the message go
   * sealed to both. */
  cli_run_ok (pair->test, pair->alice, "send-group", group, "Sealed to the group", NULL);
  assert_queue_sealed (pair->test, pair->bob_id->uuid, pair->alice_id);
  assert_queue_sealed (pair->test, carol_id->uuid, pair->alice_id);
  assert_receives_group_message (pair->test, pair->bob, group, "alice", "Sealed to the group");
  assert_receives_group_message (pair->test, carol, group, "alice", "Sealed to the group");
  assert_group_history_sealed (pair->test, pair->alice, group, "Sealed to the group", TRUE);
  assert_group_history_sealed (pair->test, pair->bob, group, "Sealed to the group", TRUE);
  assert_group_history_sealed (pair->test, carol, group, "Sealed to the group", TRUE);
  drain (pair->test, pair->alice);

  /* Bob holds Alice's key, not Carol's. */
  cli_run_ok (pair->test, pair->bob, "send-group", group, "Half sealed", NULL);
  assert_queue_sealed (pair->test, pair->alice_id->uuid, pair->bob_id);
  assert_receives_group_message (pair->test, pair->alice, group, "bob", "Half sealed");
  assert_receives_group_message (pair->test, carol, group, "bob", "Half sealed");
  assert_group_history_sealed (pair->test, pair->bob, group, "Half sealed", FALSE);
  assert_group_history_sealed (pair->test, pair->alice, group, "Half sealed", TRUE);
  assert_group_history_sealed (pair->test, carol, group, "Half sealed", FALSE);
  drain (pair->test, pair->bob);

  /* Carol's access key changes; Alice's is stale.  Bob's queue is
   * empty before Alice writes, and then holds her message once,
   * identified. */
  cli_run_ok (pair->test, carol, "block", "alice", NULL);
  drain (pair->test, pair->bob);
  cli_run_ok (pair->test, pair->alice, "send-group", group, "After the block", NULL);
  assert_queue_identified (pair->test, pair->bob_id->uuid, pair->alice_id);
  assert_receives_group_message (pair->test, pair->bob, group, "alice", "After the block");
  assert_group_history_sealed (pair->test, pair->alice, group, "After the block", FALSE);
  assert_group_history_sealed (pair->test, pair->bob, group, "After the block", FALSE);
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
  g_test_add_func ("/cli/sealed-sender/first-use-hides-sender", test_first_use_hides_sender);
  g_test_add_func ("/cli/sealed-sender/root-change-not-taken", test_root_change_not_taken);
  g_test_add_func ("/cli/sealed-sender/certificate-renewed", test_certificate_renewed);
  g_test_add_func ("/cli/sealed-sender/group-hides-sender", test_group_hides_sender);

  return g_test_run ();
}
