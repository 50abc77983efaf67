/* test-contact.c: safety numbers, verification and key changes
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "sp-error.h"
#include "sp-keys.h"

#include "engine-test-util.h"
#include "protocol-test-util.h"

/* Vector 3 of the spec's fingerprint section: libsignal 0.103's
 * Fingerprint.new(5200, 2, …) with 16-byte identifiers, which is what
 * Sotto passes: the raw bytes of the two account UUIDs. */
#define LOCAL_UUID "01234567-89ab-cdef-0123-456789abcdef"
#define REMOTE_UUID "fedcba98-7654-3210-fedc-ba9876543210"
#define LOCAL_SCALAR 0xa5
#define REMOTE_SCALAR 0x5a
#define LOCAL_PUBLIC "055fef13fc76023a9ee6ded987b6aa93958cdc2097ef9fc845d5319c9ca100d35e"
#define REMOTE_PUBLIC "05b0d08f35b4683381489afb32825e59152d47d19bc9e050d6d5a954984c9d1e2c"
#define SAFETY_NUMBER "570231148459696820483440473707633289469581071435301495563641"

typedef struct
{
  GFile *profile;
  SottoStore *store;
  SottoAccount *account;
  SottoConversationList *list;
  SottoConversation *conversation;
  SottoContact *contact;
} Fixture;

static SottoAccount *
make_account (SottoStore *store,
              const char *uuid,
              guint8      scalar)
{
  guint8 private_key[SP_PRIVATE_KEY_SIZE];
  SottoAccount *account;
  SpKeyPair *identity;

  memset (private_key, scalar, sizeof private_key);
  identity = sodium_malloc (sizeof *identity);
  g_assert_cmpint (sp_key_pair_from_private (identity, private_key, sizeof private_key), ==, SP_OK);

  account = sotto_account_new (store, uuid, "me", 1, 1, NULL, NULL, identity);
  sodium_free (identity);

  return account;
}

static SottoConversation *
add_contact (SottoConversationList *list,
             const char            *uuid,
             const char            *username,
             GBytes                *identity_key)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SottoConversation *conversation;

  sotto_conversation_list_add_async (list, uuid, username, "Grace", identity_key,
                                     NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  conversation = sotto_conversation_list_add_finish (list, result, &error);
  g_assert_no_error (error);

  return conversation;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GBytes) remote_key = test_bytes_from_hex (REMOTE_PUBLIC);

  fixture->profile = engine_test_make_profile ();
  fixture->store = engine_test_open_store (fixture->profile, "contact");
  fixture->account = make_account (fixture->store, LOCAL_UUID, LOCAL_SCALAR);
  fixture->list = engine_test_load_list (fixture->account);
  fixture->conversation = add_contact (fixture->list, REMOTE_UUID, "grace",
                                       user_data != NULL ? NULL : remote_key);
  fixture->contact = g_object_ref (sotto_conversation_get_contact (fixture->conversation));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_clear_object (&fixture->contact);
  g_clear_object (&fixture->conversation);
  engine_test_await_finalize (g_steal_pointer (&fixture->list));
  g_clear_object (&fixture->account);
  engine_test_close_store (g_steal_pointer (&fixture->store));
  engine_test_remove_profile (fixture->profile);
}

static void
set_identity_key (SottoConversation *conversation,
                  GBytes            *key)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sotto_conversation_set_identity_key_async (conversation, key, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  g_assert_true (sotto_conversation_set_identity_key_finish (conversation, result, &error));
  g_assert_no_error (error);
}

static gboolean
verify (SottoContact  *contact,
        const char    *digits,
        GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  sotto_contact_verify_async (contact, digits, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);

  return sotto_contact_verify_finish (contact, result, error);
}

static void
accept_identity (SottoContact *contact)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sotto_contact_accept_identity_async (contact, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  g_assert_true (sotto_contact_accept_identity_finish (contact, result, &error));
  g_assert_no_error (error);
}

static void
assert_last_is_event (SottoConversation *conversation,
                      guint              n_messages)
{
  GListModel *messages = sotto_conversation_get_messages (conversation);
  g_autoptr(SottoMessage) event = NULL;

  g_assert_cmpuint (g_list_model_get_n_items (messages), ==, n_messages);
  event = g_list_model_get_item (messages, n_messages - 1);
  g_assert_true (sotto_message_get_loaded (event));
  g_assert_cmpint (sotto_message_get_kind (event), ==, SOTTO_MESSAGE_KIND_SAFETY_NUMBER_CHANGED);
  g_assert_null (sotto_message_get_body (event));
  g_assert_cmpint (sotto_message_get_state (event), ==, SOTTO_MESSAGE_STATE_READ);
  g_assert_cmpstr (sotto_conversation_get_last_message_preview (conversation), ==, "Safety number changed");
  g_assert_cmpuint (sotto_conversation_get_unread_count (conversation), ==, 0);
}

static void
test_contact_safety_number (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(GBytes) local_key = test_bytes_from_hex (LOCAL_PUBLIC);
  g_autoptr(SottoAccount) other = NULL;
  g_autoptr(SottoConversationList) other_list = NULL;
  g_autoptr(SottoConversation) other_conversation = NULL;
  g_autofree char *property = NULL;

  g_assert_true (g_bytes_equal (sotto_account_get_identity_key (fixture->account), local_key));
  g_assert_cmpstr (sotto_contact_get_safety_number (fixture->contact), ==, SAFETY_NUMBER);
  g_object_get (fixture->contact, "safety-number", &property, NULL);
  g_assert_cmpstr (property, ==, SAFETY_NUMBER);

  /* The other side sees the same number. */
  other = make_account (fixture->store, REMOTE_UUID, REMOTE_SCALAR);
  other_list = engine_test_load_list (other);
  other_conversation = add_contact (other_list, LOCAL_UUID, "me", local_key);
  g_assert_cmpstr (sotto_contact_get_safety_number (sotto_conversation_get_contact (other_conversation)),
                   ==, SAFETY_NUMBER);

  g_assert_true (sotto_contact_safety_number_matches (fixture->contact,
                                                      "57023 11484 59696 82048 34404 73707\n"
                                                      "63328 94695 81071 43530 14955 63641"));
  g_assert_false (sotto_contact_safety_number_matches (fixture->contact,
                                                       "57023 11484 59696 82048 34404 73707"));
  g_assert_false (sotto_contact_safety_number_matches (fixture->contact,
                                                       "570231148459696820483440473707633289469581071435301495563640"));

  g_clear_object (&other_conversation);
  engine_test_await_finalize (g_steal_pointer (&other_list));
}

static void
test_contact_first_key (Fixture       *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(GBytes) key = test_bytes_from_hex (REMOTE_PUBLIC);
  guint key_notifications = 0;

  g_assert_null (sotto_contact_get_identity_key (fixture->contact));
  g_assert_null (sotto_contact_get_safety_number (fixture->contact));
  g_assert_false (sotto_contact_safety_number_matches (fixture->contact, SAFETY_NUMBER));
  g_signal_connect (fixture->contact, "notify::identity-key",
                    G_CALLBACK (engine_test_count_notify_cb), &key_notifications);

  /* The first key is no change: no event, nothing held. */
  set_identity_key (fixture->conversation, key);

  g_assert_cmpuint (key_notifications, ==, 1);
  g_assert_true (g_bytes_equal (sotto_contact_get_identity_key (fixture->contact), key));
  g_assert_cmpstr (sotto_contact_get_safety_number (fixture->contact), ==, SAFETY_NUMBER);
  g_assert_cmpuint (g_list_model_get_n_items (sotto_conversation_get_messages (fixture->conversation)), ==, 0);
  g_assert_cmpint (sotto_contact_get_verification_state (fixture->contact), ==, SOTTO_VERIFICATION_STATE_UNVERIFIED);
  g_assert_false (sotto_contact_get_sending_held (fixture->contact));
}

static void
test_contact_same_key (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GBytes) key = test_bytes_from_hex (REMOTE_PUBLIC);
  guint notifications = 0;

  g_signal_connect (fixture->contact, "notify", G_CALLBACK (engine_test_count_notify_cb), &notifications);
  set_identity_key (fixture->conversation, key);

  g_assert_cmpuint (notifications, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (sotto_conversation_get_messages (fixture->conversation)), ==, 0);
}

static void
test_contact_unverified_change (Fixture       *fixture,
                                gconstpointer  user_data)
{
  g_autoptr(GBytes) new_key = engine_test_make_identity ();
  g_autoptr(EngineTestMirror) mirror = engine_test_mirror_new (sotto_conversation_get_messages (fixture->conversation));
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint held_notifications = 0;
  guint safety_number_notifications = 0;

  g_assert_cmpstr (sotto_contact_get_safety_number (fixture->contact), ==, SAFETY_NUMBER);
  g_signal_connect (fixture->contact, "notify::sending-held",
                    G_CALLBACK (engine_test_count_notify_cb), &held_notifications);
  g_signal_connect (fixture->contact, "notify::safety-number",
                    G_CALLBACK (engine_test_count_notify_cb), &safety_number_notifications);

  set_identity_key (fixture->conversation, new_key);

  /* Only the event: the contact was never verified. */
  g_assert_cmpuint (engine_test_mirror_get_n_signals (mirror), ==, 1);
  engine_test_mirror_assert_equal (mirror);
  assert_last_is_event (fixture->conversation, 1);
  g_assert_cmpint (sotto_contact_get_verification_state (fixture->contact), ==, SOTTO_VERIFICATION_STATE_UNVERIFIED);
  g_assert_false (sotto_contact_get_sending_held (fixture->contact));
  g_assert_false (sotto_conversation_get_sending_held (fixture->conversation));
  g_assert_cmpuint (held_notifications, ==, 0);
  g_assert_cmpuint (safety_number_notifications, ==, 1);
  g_assert_true (g_bytes_equal (sotto_contact_get_identity_key (fixture->contact), new_key));
  g_assert_cmpstr (sotto_contact_get_safety_number (fixture->contact), !=, SAFETY_NUMBER);

  /* Receiving goes on. */
  sotto_conversation_receive_async (fixture->conversation, "55555555-5555-4555-8555-555555555555",
                                    "still here", 1, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  message = sotto_conversation_receive_finish (fixture->conversation, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sotto_conversation_get_unread_count (fixture->conversation), ==, 1);
}

/* Verifies the contact, changes its key, and checks that sending is held. */
static GBytes *
verify_then_change (Fixture *fixture,
                    guint   *held_notifications)
{
  g_autoptr(GError) error = NULL;
  GBytes *new_key = engine_test_make_identity ();
  guint conversation_held_notifications = 0;

  g_signal_connect (fixture->contact, "notify::sending-held",
                    G_CALLBACK (engine_test_count_notify_cb), held_notifications);
  g_signal_connect (fixture->conversation, "notify::sending-held",
                    G_CALLBACK (engine_test_count_notify_cb), &conversation_held_notifications);

  g_assert_true (verify (fixture->contact, SAFETY_NUMBER, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sotto_contact_get_verification_state (fixture->contact), ==, SOTTO_VERIFICATION_STATE_VERIFIED);
  g_assert_false (sotto_contact_get_sending_held (fixture->contact));
  g_assert_cmpuint (*held_notifications, ==, 0);

  set_identity_key (fixture->conversation, new_key);

  assert_last_is_event (fixture->conversation, 1);
  g_assert_cmpint (sotto_contact_get_verification_state (fixture->contact), ==, SOTTO_VERIFICATION_STATE_CHANGED);
  g_assert_true (sotto_contact_get_sending_held (fixture->contact));
  g_assert_true (sotto_conversation_get_sending_held (fixture->conversation));
  g_assert_cmpuint (*held_notifications, ==, 1);
  g_assert_cmpuint (conversation_held_notifications, ==, 1);

  g_signal_handlers_disconnect_by_data (fixture->conversation, &conversation_held_notifications);

  return new_key;
}

static void
test_contact_verified_change (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autoptr(GBytes) new_key = NULL;
  g_autoptr(SottoConversationList) list = NULL;
  g_autoptr(SottoMessage) received = NULL;
  g_autoptr(SottoMessage) composed = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  SottoConversation *reloaded;
  guint held_notifications = 0;

  new_key = verify_then_change (fixture, &held_notifications);

  /* Receiving is never held; a composed message is kept, queued. */
  sotto_conversation_receive_async (fixture->conversation, "66666666-6666-4666-8666-666666666666",
                                    "from the new device", 1, NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  received = sotto_conversation_receive_finish (fixture->conversation, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  sotto_conversation_compose_async (fixture->conversation, "waits", NULL, engine_test_result_cb, &result);
  engine_test_wait (&result);
  composed = sotto_conversation_compose_finish (fixture->conversation, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sotto_message_get_state (composed), ==, SOTTO_MESSAGE_STATE_QUEUED);

  /* The hold is on disk. */
  list = engine_test_load_list (fixture->account);
  reloaded = sotto_conversation_list_find_by_uuid (list, REMOTE_UUID);
  g_assert_cmpint (sotto_contact_get_verification_state (sotto_conversation_get_contact (reloaded)),
                   ==, SOTTO_VERIFICATION_STATE_CHANGED);
  g_assert_true (sotto_conversation_get_sending_held (reloaded));
  g_assert_true (g_bytes_equal (sotto_contact_get_identity_key (sotto_conversation_get_contact (reloaded)), new_key));
  g_assert_cmpuint (g_list_model_get_n_items (sotto_conversation_get_messages (reloaded)), ==, 3);

  engine_test_await_finalize (g_steal_pointer (&list));
}

static void
test_contact_accept (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GBytes) new_key = NULL;
  g_autoptr(SottoConversationList) list = NULL;
  guint held_notifications = 0;

  new_key = verify_then_change (fixture, &held_notifications);

  accept_identity (fixture->contact);

  g_assert_cmpint (sotto_contact_get_verification_state (fixture->contact), ==, SOTTO_VERIFICATION_STATE_UNVERIFIED);
  g_assert_false (sotto_contact_get_sending_held (fixture->contact));
  g_assert_false (sotto_conversation_get_sending_held (fixture->conversation));
  g_assert_cmpuint (held_notifications, ==, 2);

  /* Accepting again changes nothing. */
  accept_identity (fixture->contact);
  g_assert_cmpint (sotto_contact_get_verification_state (fixture->contact), ==, SOTTO_VERIFICATION_STATE_UNVERIFIED);
  g_assert_cmpuint (held_notifications, ==, 2);

  list = engine_test_load_list (fixture->account);
  g_assert_cmpint (sotto_contact_get_verification_state (sotto_conversation_get_contact (
                     sotto_conversation_list_find_by_uuid (list, REMOTE_UUID))),
                   ==, SOTTO_VERIFICATION_STATE_UNVERIFIED);
  engine_test_await_finalize (g_steal_pointer (&list));
}

static void
test_contact_verify_new (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(GBytes) new_key = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *new_number = NULL;
  guint held_notifications = 0;

  new_key = verify_then_change (fixture, &held_notifications);

  /* The old number no longer verifies anything. */
  g_assert_false (verify (fixture->contact, SAFETY_NUMBER, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_cmpint (sotto_contact_get_verification_state (fixture->contact), ==, SOTTO_VERIFICATION_STATE_CHANGED);
  g_assert_true (sotto_contact_get_sending_held (fixture->contact));

  new_number = g_strdup (sotto_contact_get_safety_number (fixture->contact));
  g_assert_true (verify (fixture->contact, new_number, &error));
  g_assert_no_error (error);

  g_assert_cmpint (sotto_contact_get_verification_state (fixture->contact), ==, SOTTO_VERIFICATION_STATE_VERIFIED);
  g_assert_false (sotto_contact_get_sending_held (fixture->contact));
  g_assert_cmpuint (held_notifications, ==, 2);
}

static void
test_contact_wrong_digits (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  guint notifications = 0;

  g_signal_connect (fixture->contact, "notify", G_CALLBACK (engine_test_count_notify_cb), &notifications);

  g_assert_false (verify (fixture->contact, "12345", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpint (sotto_contact_get_verification_state (fixture->contact), ==, SOTTO_VERIFICATION_STATE_UNVERIFIED);
  g_assert_cmpuint (notifications, ==, 0);
}

/* The user verifies, and before that is stored a new key arrives: the
 * store decides against what is on disk, so the contact ends up held
 * rather than unverified or verified for a key nobody compared. */
static void
test_contact_verify_races_change (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  g_autoptr(GBytes) new_key = engine_test_make_identity ();
  g_autoptr(GAsyncResult) verified = NULL;
  g_autoptr(GAsyncResult) changed = NULL;
  g_autoptr(GError) error = NULL;

  sotto_contact_verify_async (fixture->contact, SAFETY_NUMBER, NULL, engine_test_result_cb, &verified);
  sotto_conversation_set_identity_key_async (fixture->conversation, new_key, NULL, engine_test_result_cb, &changed);

  engine_test_wait (&verified);
  engine_test_wait (&changed);
  g_assert_true (sotto_contact_verify_finish (fixture->contact, verified, &error));
  g_assert_no_error (error);
  g_assert_true (sotto_conversation_set_identity_key_finish (fixture->conversation, changed, &error));
  g_assert_no_error (error);

  g_assert_cmpint (sotto_contact_get_verification_state (fixture->contact), ==, SOTTO_VERIFICATION_STATE_CHANGED);
  g_assert_true (sotto_contact_get_sending_held (fixture->contact));
}

static void
test_contact_account_identity_changes (Fixture       *fixture,
                                       gconstpointer  user_data)
{
  SpKeyPair *identity = sodium_malloc (sizeof *identity);
  guint notifications = 0;
  guint account_notifications = 0;

  g_assert_cmpstr (sotto_contact_get_safety_number (fixture->contact), ==, SAFETY_NUMBER);
  g_signal_connect (fixture->contact, "notify::safety-number",
                    G_CALLBACK (engine_test_count_notify_cb), &notifications);
  g_signal_connect (fixture->account, "notify::identity-key",
                    G_CALLBACK (engine_test_count_notify_cb), &account_notifications);

  /* The same key again is no change. */
  sotto_account_set_identity_key_pair (fixture->account, sotto_account_get_identity_key_pair (fixture->account));
  g_assert_cmpuint (account_notifications, ==, 0);

  g_assert_cmpint (sp_key_pair_generate (identity), ==, SP_OK);
  sotto_account_set_identity_key_pair (fixture->account, identity);
  sodium_free (identity);

  g_assert_cmpuint (account_notifications, ==, 1);
  g_assert_cmpuint (notifications, ==, 1);
  g_assert_cmpstr (sotto_contact_get_safety_number (fixture->contact), !=, SAFETY_NUMBER);
  g_assert_cmpuint (strlen (sotto_contact_get_safety_number (fixture->contact)), ==, 60);
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

#define ADD(path, without_key, func) \
  g_test_add ("/engine/contact/" path, Fixture, without_key, fixture_set_up, func, fixture_tear_down)

  ADD ("safety-number", NULL, test_contact_safety_number);
  ADD ("first-key", "without key", test_contact_first_key);
  ADD ("same-key", NULL, test_contact_same_key);
  ADD ("unverified-change", NULL, test_contact_unverified_change);
  ADD ("verified-change", NULL, test_contact_verified_change);
  ADD ("accept", NULL, test_contact_accept);
  ADD ("verify-new", NULL, test_contact_verify_new);
  ADD ("wrong-digits", NULL, test_contact_wrong_digits);
  ADD ("verify-races-change", NULL, test_contact_verify_races_change);
  ADD ("account-identity-changes", NULL, test_contact_account_identity_changes);

#undef ADD

  return g_test_run ();
}
