/* test-cli-profiles.c: encrypted profiles between sotto-cli profiles
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "sp-error.h"
#include "sp-init.h"

#include "cli-test-util.h"

/* A display name reaches the contacts the user wrote to, inside the
 * encrypted content (the profile key) and from the relay (the profile
 * encrypted under it), and shows for them; real relay, real sotto-cli
 * processes. */

/* The "profile" events of a receive, in order. */
static GPtrArray *
profile_events (GPtrArray *lines)
{
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  for (guint i = 0; i < lines->len; i++)
    {
      JsonObject *line = g_ptr_array_index (lines, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (line, "type", NULL), "profile") == 0)
        g_ptr_array_add (events, json_object_ref (line));
    }

  return events;
}

static void
assert_profile_events (CliTest    *test,
                       const char *profile,
                       const char *from,
                       const char *name)
{
  g_autoptr(GPtrArray) lines = cli_receive (test, profile);
  g_autoptr(GPtrArray) events = profile_events (lines);

  if (name == NULL)
    {
      g_assert_cmpuint (events->len, ==, 0);
      return;
    }

  g_assert_cmpuint (events->len, >=, 1);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (events, events->len - 1), "from"), ==, from);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (events, events->len - 1), "name"), ==, name);
}

/* Bob, whom Alice wrote to, sees her name; Mallory, whose message
 * request Alice never accepted, gets no key and sees nothing.  Neither
 * the relay's database nor Alice's own profile holds the name in the
 * clear. */
static void
test_profile_reaches_contacts_only (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *mallory = cli_register (test, "mallory");
  static const char first_name[] = "Alice Marker 7f3a";
  static const char second_name[] = "Alice Marker 9c2e";
  g_autoptr(CliResult) set = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(GPtrArray) requests = NULL;

  set = cli_run (test, alice, "--json", "profile", "--name", first_name, NULL);
  cli_assert_ok (set);
  answer = cli_parse_object (set->out);
  g_assert_cmpstr (json_object_get_string_member (answer, "name"), ==, first_name);

  /* Alice's message carries her key; Bob fetches and opens her profile. */
  cli_send_ok (test, alice, "bob", "Hi Bob");
  assert_profile_events (test, bob, "alice", first_name);

  /* Mallory writes first; with message requests, Alice does not accept. */
  cli_send_ok (test, mallory, "alice", "Let me in");
  {
    g_autoptr(CliResult) received = cli_run (test, alice, "--json", "--message-requests", "receive",
                                             "--timeout", "0", NULL);

    cli_assert_ok (received);
    requests = cli_parse_lines (received->out);
    g_assert_cmpuint (requests->len, ==, 1);
    g_assert_true (json_object_get_boolean_member (g_ptr_array_index (requests, 0), "request"));
  }

  /* A new name goes to Bob, and not to the request. */
  cli_run_ok (test, alice, "--message-requests", "profile", "--name", second_name, NULL);
  assert_profile_events (test, bob, "alice", second_name);
  assert_profile_events (test, mallory, NULL, NULL);

  g_assert_false (cli_tree_contains (test->relay->data_dir, first_name, strlen (first_name)));
  g_assert_false (cli_tree_contains (test->relay->data_dir, second_name, strlen (second_name)));
  g_assert_false (cli_tree_contains (alice, second_name, strlen (second_name)));
  g_assert_false (cli_tree_contains (bob, second_name, strlen (second_name)));
}

/* Blocking Bob rotates Alice's key: Carol, still a contact, gets the new
 * key and sees Alice's next name; Bob still fetches her profile (each
 * receive refreshes contacts' profiles) but his old key no longer opens
 * it. */
static void
test_block_rotates_key (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *carol = cli_register (test, "carol");

  cli_run_ok (test, alice, "profile", "--name", "Alice One", NULL);
  cli_send_ok (test, alice, "bob", "Hi Bob");
  cli_send_ok (test, alice, "carol", "Hi Carol");
  assert_profile_events (test, bob, "alice", "Alice One");
  assert_profile_events (test, carol, "alice", "Alice One");

  cli_run_ok (test, alice, "block", "bob", NULL);
  cli_run_ok (test, alice, "profile", "--name", "Alice Two", NULL);

  assert_profile_events (test, carol, "alice", "Alice Two");
  assert_profile_events (test, bob, NULL, NULL);
}

/* What sotto-cli takes as an avatar: a PNG's signature and header,
 * which declares 1 x 1 pixels, then bytes that the relay must never
 * see in the clear. */
static const char png_bytes[] = "\x89PNG\r\n\x1a\n" "\0\0\0\x0d" "IHDR" "\0\0\0\x01" "\0\0\0\x01" "\x08\x06\0\0\0"
                                "\x1f\x15\xc4\x89" "fake image data";

/* Bad arguments change nothing: no name, a name too long or on two
 * lines, --name with another command, an avatar that is no image or too
 * large.  A good
 * avatar reaches Bob's store, and his contact shows Alice's display
 * name in place of her username. */
static void
test_profile_arguments (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *long_name = g_strnfill (257, 'a');
  g_autofree char *not_image = g_build_filename (test->root, "avatar.txt", NULL);
  g_autofree char *too_large = g_build_filename (test->root, "avatar.png", NULL);
  g_autofree char *png = g_build_filename (test->root, "small.png", NULL);
  g_autofree char *large = g_malloc0 (1024 * 1024 + 1);
  g_autoptr(CliResult) no_name = NULL;
  g_autoptr(CliResult) too_long = NULL;
  g_autoptr(CliResult) two_lines = NULL;
  g_autoptr(CliResult) misplaced = NULL;
  g_autoptr(CliResult) refused_text = NULL;
  g_autoptr(CliResult) refused_size = NULL;
  g_autoptr(CliResult) with_avatar = NULL;
  g_autoptr(JsonObject) answer = NULL;

  no_name = cli_run (test, alice, "profile", NULL);
  g_assert_cmpint (no_name->status, ==, 2);
  too_long = cli_run (test, alice, "profile", "--name", long_name, NULL);
  g_assert_cmpint (too_long->status, ==, 2);
  two_lines = cli_run (test, alice, "profile", "--name", "Alice\nbob: the code is 1234", NULL);
  g_assert_cmpint (two_lines->status, ==, 1);
  misplaced = cli_run (test, alice, "whoami", "--name", "Alice", NULL);
  g_assert_cmpint (misplaced->status, ==, 2);

  g_assert_true (g_file_set_contents (not_image, "hello", -1, NULL));
  memcpy (large, "\x89PNG\r\n\x1a\n", 8);
  g_assert_true (g_file_set_contents (too_large, large, 1024 * 1024 + 1, NULL));
  g_assert_true (g_file_set_contents (png, png_bytes, sizeof png_bytes - 1, NULL));

  refused_text = cli_run (test, alice, "profile", "--name", "Alice", "--avatar", not_image, NULL);
  g_assert_cmpint (refused_text->status, ==, 1);
  refused_size = cli_run (test, alice, "profile", "--name", "Alice", "--avatar", too_large, NULL);
  g_assert_cmpint (refused_size->status, ==, 1);

  with_avatar = cli_run (test, alice, "--json", "profile", "--name", "Alice", "--avatar", png, NULL);
  cli_assert_ok (with_avatar);
  answer = cli_parse_object (with_avatar->out);
  g_assert_true (json_object_get_boolean_member (answer, "avatar"));
  g_assert_false (cli_tree_contains (test->relay->data_dir, "fake image data", strlen ("fake image data")));

  cli_send_ok (test, alice, "bob", "See my picture");
  assert_profile_events (test, bob, "alice", "Alice");
  g_assert_false (cli_tree_contains (bob, "fake image data", strlen ("fake image data")));
  {
    g_autoptr(SottoStore) store = cli_open_store (bob);
    g_autoptr(SottoMessenger) messenger = cli_load_messenger (store);
    g_autoptr(GAsyncResult) loaded = NULL;
    g_autoptr(GBytes) avatar = NULL;
    g_autoptr(GInputStream) stream = NULL;
    g_autoptr(GBytes) from_icon = NULL;
    g_autoptr(GError) error = NULL;
    SottoConversation *conversation;
    SottoContact *contact;

    conversation = sotto_conversation_list_find_by_username (sotto_messenger_get_conversations (messenger), "alice");
    g_assert_nonnull (conversation);
    contact = sotto_conversation_get_contact (conversation);
    g_assert_cmpstr (sotto_contact_get_username (contact), ==, "alice");
    g_assert_cmpstr (sotto_contact_get_profile_name (contact), ==, "Alice");
    g_assert_cmpstr (sotto_contact_get_name (contact), ==, "Alice");

    sotto_contact_load_avatar_async (contact, NULL, cli_result_cb, &loaded);
    cli_wait_for (&loaded);
    avatar = sotto_contact_load_avatar_finish (contact, loaded, &error);
    g_assert_no_error (error);
    g_assert_nonnull (avatar);
    g_assert_cmpmem (g_bytes_get_data (avatar, NULL), g_bytes_get_size (avatar), png_bytes, sizeof png_bytes - 1);

    /* The contact's avatar icon reads the same image, for a view. */
    g_assert_nonnull (sotto_contact_get_avatar (contact));
    stream = g_loadable_icon_load (sotto_contact_get_avatar (contact), 64, NULL, NULL, &error);
    g_assert_no_error (error);
    from_icon = g_input_stream_read_bytes (stream, SOTTO_PROFILE_MAX_AVATAR + 1, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (g_bytes_equal (from_icon, avatar));

    g_clear_object (&messenger);
    cli_close_store (g_steal_pointer (&store));
  }
  {
    g_autoptr(SottoStore) store = cli_open_store (alice);
    g_autoptr(SottoMessenger) messenger = cli_load_messenger (store);
    g_autoptr(GAsyncResult) loaded = NULL;
    g_autoptr(GBytes) avatar = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *name = NULL;

    /* Alice reads back what she set. */
    sotto_messenger_load_profile_async (messenger, NULL, cli_result_cb, &loaded);
    cli_wait_for (&loaded);
    g_assert_true (sotto_messenger_load_profile_finish (messenger, loaded, &name, &avatar, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (name, ==, "Alice");
    g_assert_nonnull (avatar);
    g_assert_cmpmem (g_bytes_get_data (avatar, NULL), g_bytes_get_size (avatar), png_bytes, sizeof png_bytes - 1);

    g_clear_object (&messenger);
    cli_close_store (g_steal_pointer (&store));
  }
}

/* A small PNG file for an avatar, in the test's folder. */
static char *
write_avatar (CliTest *test)
{
  char *png = g_build_filename (test->root, "small.png", NULL);

  g_assert_true (g_file_set_contents (png, png_bytes, sizeof png_bytes - 1, NULL));

  return png;
}

/* Alice takes the name "Alice", and her first message to Bob brings him
 * her profile key. */
static void
name_alice_to_bob (CliTest    *test,
                   const char *alice)
{
  cli_run_ok (test, alice, "profile", "--name", "Alice", NULL);
  cli_send_ok (test, alice, "bob", "Hi Bob");
}

/* A new avatar under the same name is a profile change too: Bob hears
 * of it, and of removing it, with the name Alice still has. */
static void
test_avatar_only (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *png = write_avatar (test);

  name_alice_to_bob (test, alice);
  assert_profile_events (test, bob, "alice", "Alice");

  cli_run_ok (test, alice, "profile", "--name", "Alice", "--avatar", png, NULL);
  assert_profile_events (test, bob, "alice", "Alice");

  /* Nothing changed since: nothing to hear. */
  assert_profile_events (test, bob, NULL, NULL);

  cli_run_ok (test, alice, "profile", "--name", "Alice", NULL);
  assert_profile_events (test, bob, "alice", "Alice");
}

/* What @profile's receive without --json says holds each of the
 * strings after @unsaid, up to a NULL, and not @unsaid. */
static void
assert_told (CliTest    *test,
             const char *profile,
             const char *unsaid,
             ...)
{
  g_autoptr(CliResult) result = cli_run (test, profile, "receive", "--timeout", "0", NULL);
  const char *said;
  va_list args;

  cli_assert_ok (result);
  va_start (args, unsaid);
  while ((said = va_arg (args, const char *)) != NULL)
    g_assert_nonnull (strstr (result->out, said));
  va_end (args);
  g_assert_null (strstr (result->out, unsaid));
}

/* Without --json, Bob is told what changed of Alice's profile: her
 * name, or her picture, not a new name she did not take. */
static void
test_changes_told (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice = cli_register (test, "alice");
  g_autofree char *bob = cli_register (test, "bob");
  g_autofree char *png = NULL;

  name_alice_to_bob (test, alice);
  assert_told (test, bob, "picture", "alice is now called", NULL);

  png = write_avatar (test);
  cli_run_ok (test, alice, "profile", "--name", "Alice", "--avatar", png, NULL);
  assert_told (test, bob, "called", "alice changed their picture\n", NULL);

  cli_run_ok (test, alice, "profile", "--name", "Alice", NULL);
  assert_told (test, bob, "called", "alice removed their picture\n", NULL);

  cli_run_ok (test, alice, "profile", "--name", "Alicia", "--avatar", png, NULL);
  assert_told (test, bob, "removed", "alice is now called", "Alicia", "alice changed their picture\n", NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/cli/profiles/contacts-only", test_profile_reaches_contacts_only);
  g_test_add_func ("/cli/profiles/block-rotates-key", test_block_rotates_key);
  g_test_add_func ("/cli/profiles/arguments", test_profile_arguments);
  g_test_add_func ("/cli/profiles/avatar-only", test_avatar_only);
  g_test_add_func ("/cli/profiles/changes-told", test_changes_told);

  return g_test_run ();
}
