/* test-cli-content.c: content that sotto-cli would never send
 *
 * Sent by the profile's messenger run in the test: a message sent twice,
 * what newer and older versions of Sotto write, and a group message with
 * another member's message id.
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-protobuf.h"
#include "sp-uuid.h"

#include "cli-test-util.h"
#include "protocol-test-util.h"
#include "sotto-messenger-private.h"

/* A profile's messenger run in this process, to send what sotto-cli
 * never would, and its conversation with one contact. */
typedef struct
{
  SottoStore *store;
  SottoMessenger *messenger;
  SottoConversation *conversation;
} Sender;

static Sender *
sender_open (const char *profile,
             const char *to)
{
  g_autoptr(GAsyncResult) found = NULL;
  g_autoptr(GError) error = NULL;
  Sender *sender = g_new0 (Sender, 1);

  sender->store = cli_open_store (profile);
  sender->messenger = cli_load_messenger (sender->store);
  sotto_messenger_open_conversation_async (sender->messenger, to, NULL, cli_result_cb, &found);
  cli_wait_for (&found);
  sender->conversation = sotto_messenger_open_conversation_finish (sender->messenger, found, &error);
  g_assert_no_error (error);

  return sender;
}

/* Closes the profile, so that sotto-cli can open it. */
static void
sender_close (Sender *sender)
{
  g_clear_object (&sender->conversation);
  g_clear_object (&sender->messenger);
  cli_close_store (sender->store);
  g_free (sender);
}

static void
send_content (Sender       *sender,
              SottoContent *content)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SottoOutbox *outbox = _sotto_messenger_get_outbox (sender->messenger);

  _sotto_outbox_send_content_async (outbox, sender->conversation, content, NULL, cli_result_cb, &result);
  cli_wait_for (&result);
  g_assert_true (_sotto_outbox_send_content_finish (outbox, result, &error));
  g_assert_no_error (error);
}

/* A sender that never heard the relay took a message sends it again,
 * in a new envelope with the same message id: it arrives once. */
static void
test_duplicates (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  Sender *sender = sender_open (alice, "bob");
  g_autoptr(SottoContent) first = NULL;
  g_autoptr(SottoContent) second = NULL;
  g_autoptr(GPtrArray) received = NULL;
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *other_id = g_uuid_string_random ();

  first = sotto_content_new_text (id, 1767225600000, "alice", "Only once");
  second = sotto_content_new_text (other_id, 1767225600001, "alice", "And this");
  send_content (sender, first);
  send_content (sender, first);
  send_content (sender, second);
  send_content (sender, first);
  sender_close (sender);

  received = cli_receive (test, bob);
  cli_assert_texts (received, "alice", "Only once", "And this", NULL);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (received, 0), "id"), ==, id);
}

static void
send_plaintext (Sender *sender,
                GBytes *plaintext)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SottoOutbox *outbox = _sotto_messenger_get_outbox (sender->messenger);

  _sotto_outbox_send_plaintext_async (outbox, sender->conversation, plaintext,
                                      1767225600000, NULL, cli_result_cb, &result);
  cli_wait_for (&result);
  g_assert_true (_sotto_outbox_send_content_finish (outbox, result, &error));
  g_assert_no_error (error);
}

/* Version 2 content as a newer Sotto could write it: a fresh id, a
 * timestamp, @sender, then the fields in @fields_hex. */
static GBytes *
newer_content (const char *sender,
               const char *fields_hex)
{
  g_autofree char *id = g_uuid_string_random ();
  gsize fields_len = strlen (fields_hex) / 2;
  gsize size = 64 + fields_len;
  g_autofree guint8 *message = g_malloc (size);
  guint8 uuid[SP_UUID_SIZE];
  SpPbWriter writer;
  gsize len;
  gsize total;
  guint8 *data;

  g_assert_cmpint (sp_uuid_decode (uuid, id), ==, SP_OK);
  sp_pb_writer_init (&writer, message, size);
  sp_pb_write_bytes (&writer, 1, uuid, sizeof uuid);
  sp_pb_write_varint (&writer, 2, 1767225600000);
  if (sender != NULL)
    sp_pb_write_bytes (&writer, 3, (const guint8 *) sender, strlen (sender));
  g_assert_cmpint (sp_pb_writer_finish (&writer, &len), ==, SP_OK);
  test_unhex (message + len, fields_len, fields_hex);
  len += fields_len;

  /* The version byte, the message, the padding marker, zeros. */
  total = (len + 2 + SOTTO_CONTENT_BLOCK_SIZE - 1) / SOTTO_CONTENT_BLOCK_SIZE * SOTTO_CONTENT_BLOCK_SIZE;
  data = g_malloc0 (total);
  data[0] = 2;
  memcpy (data + 1, message, len);
  data[1 + len] = 0x80;

  return g_bytes_new_take (data, total);
}

/* The text "Old" in version 1, as Sotto 0.1 writes it. */
static GBytes *
old_content (void)
{
  g_autofree char *id = g_uuid_string_random ();
  guint8 *data = g_malloc0 (SOTTO_CONTENT_BLOCK_SIZE);

  data[0] = 1;
  data[1] = SOTTO_CONTENT_KIND_TEXT;
  g_assert_cmpint (sp_uuid_decode (data + 2, id), ==, SP_OK);
  test_unhex (data + 18, 21, "0000019b76daa800" "05" "616c696365" "00000003" "4f6c64");

  return g_bytes_new_take (data, SOTTO_CONTENT_BLOCK_SIZE);
}

/* What a newer Sotto sends arrives: what this version knows of it is
 * shown, what it cannot show becomes a placeholder, and a passing signal
 * leaves no trace and stops nothing after it.  What Sotto 0.1 sends
 * arrives too. */
static void
test_newer_content (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  Sender *sender = sender_open (alice, "bob");
  g_autoptr(GPtrArray) received = NULL;
  /* Data { text "Hi", 15: an emoji, 100: fixed64 }, then 101: varint. */
  g_autoptr(GBytes) with_unknown = newer_content ("alice", "2214" "0a024869" "7a040a02f09f"
                                                  "a1060102030405060708" "a80601");
  /* Data { 15: an emoji } alone. */
  g_autoptr(GBytes) reaction = newer_content ("alice", "2206" "7a040a02f09f");
  /* Data { text "Hi", required level 4 }, a level above this version's. */
  g_autoptr(GBytes) required = newer_content ("alice", "2206" "0a024869" "5004");
  /* Ephemeral { typing { started } }, which names no sender. */
  g_autoptr(GBytes) typing = newer_content (NULL, "3204" "0a020801");
  g_autoptr(GBytes) old = old_content ();
  g_autoptr(SottoContent) last = NULL;
  g_autofree char *last_id = g_uuid_string_random ();

  last = sotto_content_new_text (last_id, 1767225600001, "alice", "Last");
  send_plaintext (sender, typing);
  send_plaintext (sender, with_unknown);
  send_plaintext (sender, reaction);
  send_plaintext (sender, required);
  send_plaintext (sender, typing);
  send_plaintext (sender, old);
  send_content (sender, last);
  sender_close (sender);

  received = cli_receive (test, bob);
  cli_assert_texts (received, "alice",
                "Hi",
                "This message needs a newer version of Sotto.",
                "This message needs a newer version of Sotto.",
                "Old",
                "Last",
                NULL);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (received, 4), "id"), ==, last_id);
}

/* The group messages in @lines from @from, as "id text". */
static char *
group_messages_from (GPtrArray  *lines,
                     const char *from)
{
  g_autoptr(GString) found = g_string_new (NULL);

  for (guint i = 0; i < lines->len; i++)
    {
      JsonObject *line = g_ptr_array_index (lines, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (line, "type", NULL), "message") == 0
          && json_object_has_member (line, "group")
          && g_strcmp0 (json_object_get_string_member (line, "from"), from) == 0)
        g_string_append_printf (found, "%s%s %s", found->len > 0 ? "; " : "",
                                json_object_get_string_member (line, "id"),
                                json_object_get_string_member (line, "text"));
    }

  return g_string_free (g_steal_pointer (&found), FALSE);
}

/* A member who sends a group message with the id of another member's
 * does not hide either: a group message is one sender's id.  The same
 * member's repeat is still dropped. */
static void
test_group_duplicates (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");
  g_autoptr(CliResult) created = NULL;
  g_autoptr(JsonObject) group = NULL;
  g_autoptr(GPtrArray) received = NULL;
  g_autoptr(SottoContent) reused = NULL;
  g_autofree char *from_alice = NULL;
  g_autofree char *from_bob = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *alice_id = NULL;
  g_autoptr(CliResult) history = NULL;
  const char *group_id;
  Sender *sender;

  created = cli_run (test, alice, "--json", "group", "create", "Climbing", "bob", "carol", NULL);
  cli_assert_ok (created);
  group = cli_parse_object (created->out);
  group_id = json_object_get_string_member (group, "group");
  g_ptr_array_unref (cli_receive (test, bob));
  cli_run_ok (test, alice, "send-group", group_id, "From Alice", NULL);
  cli_run_ok (test, bob, "send-group", group_id, "Hello from Bob", NULL);
  received = cli_receive (test, carol);
  from_alice = group_messages_from (received, "alice");
  alice_id = g_strndup (from_alice, strlen ("00000000-0000-0000-0000-000000000000"));
  g_assert_true (g_uuid_string_is_valid (alice_id));
  expected = g_strdup_printf ("%s From Alice", alice_id);
  g_assert_cmpstr (from_alice, ==, expected);

  /* Bob takes Alice's id, and sends his message twice. */
  sender = sender_open (bob, "carol");
  reused = sotto_content_new_text (alice_id, 1767225600000, "bob", "Same id as Alice's");
  sotto_content_set_group (reused, group_id);
  send_content (sender, reused);
  send_content (sender, reused);
  sender_close (sender);

  g_clear_pointer (&received, g_ptr_array_unref);
  received = cli_receive (test, carol);
  from_bob = group_messages_from (received, "bob");
  g_free (expected);
  expected = g_strdup_printf ("%s Same id as Alice's", alice_id);
  g_assert_cmpstr (from_bob, ==, expected);

  /* Alice's is still there. */
  history = cli_run (test, carol, "--json", "history", "--group", group_id, NULL);
  cli_assert_ok (history);
  g_clear_pointer (&received, g_ptr_array_unref);
  received = cli_parse_lines (history->out);
  g_clear_pointer (&from_alice, g_free);
  from_alice = group_messages_from (received, "alice");
  g_free (expected);
  expected = g_strdup_printf ("%s From Alice", alice_id);
  g_assert_cmpstr (from_alice, ==, expected);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/cli/duplicates", test_duplicates);
  g_test_add_func ("/cli/newer-content", test_newer_content);
  g_test_add_func ("/cli/group-duplicates", test_group_duplicates);

  return g_test_run ();
}
