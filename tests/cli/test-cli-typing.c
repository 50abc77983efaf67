/* test-cli-typing.c: typing indicators between two profiles, through a real relay
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice and Bob register and write to each other with sotto-cli, then
 * both profiles are opened here, each with its own messenger on the
 * same real sotto-relay process; later Carol, a stranger to Bob, writes
 * to him and is a message request.  What leaves a profile is counted at
 * the relay (sotto_relay_envelopes_online_total: online-only envelopes
 * it pushed to a connected device), what arrives is read from
 * SottoConversation:peer-typing, and at the end each profile's history
 * holds the texts and nothing else.
 */

#include "config.h"

#include <libsoup/soup.h>

#include "sp-init.h"

#include "cli-test-util.h"
#include "sotto-conversation-private.h"
#include "sotto-messenger-private.h"

#define wait_until(condition) \
  G_STMT_START { \
    while (!(condition)) \
      g_main_context_iteration (NULL, TRUE); \
  } G_STMT_END

typedef struct
{
  SottoStore *store;
  SottoMessenger *messenger;
} Side;

static Side *
side_open (const char *profile)
{
  Side *side = g_new0 (Side, 1);

  side->store = cli_open_store (profile);
  side->messenger = cli_load_messenger (side->store);
  sotto_messenger_start (side->messenger);
  wait_until (sotto_messenger_get_drained (side->messenger));

  return side;
}

static void
side_close (Side *side)
{
  g_autoptr(GAsyncResult) flushed = NULL;

  sotto_messenger_flush_async (side->messenger, NULL, cli_result_cb, &flushed);
  cli_wait_for (&flushed);
  sotto_messenger_stop (side->messenger);
  g_clear_object (&side->messenger);
  cli_close_store (g_steal_pointer (&side->store));
  g_free (side);
}

static SottoConversation *
side_conversation (Side       *side,
                   const char *username)
{
  SottoConversation *conversation;

  conversation = sotto_conversation_list_find_by_username (sotto_messenger_get_conversations (side->messenger),
                                                           username);
  g_assert_nonnull (conversation);
  return conversation;
}

/* How many online-only envelopes the relay has pushed to a connected
 * device so far. */
static gint64
online_pushed (CliTest *test)
{
  /* Loopback needs no proxy, and asking libproxy throws C++ exceptions
   * that AddressSanitizer cannot follow. */
  g_autoptr(SoupSession) session = soup_session_new_with_options ("proxy-resolver", NULL, NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", test->relay->metrics_url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  const char *name = "sotto_relay_envelopes_online_total ";

  body = soup_session_send_and_read (session, message, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (g_bytes_get_data (body, NULL), "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], name))
      return g_ascii_strtoll (lines[i] + strlen (name), NULL, 10);
  g_assert_not_reached ();
}

static void
set_true_cb (gpointer user_data)
{
  gboolean *done = user_data;

  *done = TRUE;
}

/* Lets the main loop run for @ms, for what must not happen. */
static void
run_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add_once (ms, set_true_cb, &done);
  wait_until (done);
}

static void
send_text (Side              *side,
           SottoConversation *conversation,
           const char        *text)
{
  g_autoptr(GAsyncResult) sent = NULL;
  g_autoptr(SottoMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  sotto_messenger_send_async (side->messenger, conversation, text, NULL, cli_result_cb, &sent);
  cli_wait_for (&sent);
  g_assert_true (sotto_messenger_send_finish (side->messenger, sent, &message, &error));
  g_assert_no_error (error);
}

/* A lone "started" or "stopped", as a hostile or lost-for-words contact
 * sends it, past the composing logic. */
static void
send_typing (Side              *side,
             SottoConversation *conversation,
             gboolean           started)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autoptr(SottoContent) content = sotto_content_new_typing (id, g_get_real_time () / 1000, started);
  g_autoptr(GAsyncResult) sent = NULL;
  g_autoptr(GError) error = NULL;
  SottoOutbox *outbox = _sotto_messenger_get_outbox (side->messenger);

  _sotto_outbox_send_online_async (outbox, conversation, content, NULL, cli_result_cb, &sent);
  cli_wait_for (&sent);
  g_assert_true (_sotto_outbox_send_content_finish (outbox, sent, &error));
  g_assert_no_error (error);
}

static void
count_cb (GObject    *object,
          GParamSpec *pspec,
          gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

/* A text awaited on the receiving side, and whether its sender showed
 * as typing when it arrived. */
typedef struct
{
  const char *text;
  gboolean seen;
  gboolean typing;
} Arrival;

static void
arrival_cb (SottoMessenger    *messenger,
            SottoConversation *conversation,
            SottoMessage      *message,
            gpointer           user_data)
{
  Arrival *arrival = user_data;

  if (g_strcmp0 (sotto_message_get_body (message), arrival->text) != 0)
    return;
  arrival->seen = TRUE;
  arrival->typing = sotto_conversation_get_peer_typing (conversation);
}

/* Sends @text from @from and waits until @to has it; returns whether
 * the sender showed as typing on @to's side when it arrived. */
static gboolean
send_text_and_wait (Side              *from,
                    SottoConversation *conversation,
                    Side              *to,
                    const char        *text)
{
  Arrival arrival = { text, FALSE, FALSE };

  g_signal_connect (to->messenger, "message-received", G_CALLBACK (arrival_cb), &arrival);
  send_text (from, conversation, text);
  wait_until (arrival.seen);
  g_signal_handlers_disconnect_by_data (to->messenger, &arrival);

  return arrival.typing;
}

static void
assert_history (CliTest    *test,
                const char *profile,
                const char *with,
                guint       n_texts)
{
  g_autoptr(GPtrArray) messages = cli_history (test, profile, with);

  g_assert_cmpuint (messages->len, ==, n_texts);
}

static void
test_typing (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *alice_profile = cli_register (test, "alice");
  g_autofree char *bob_profile = cli_register (test, "bob");
  SottoConversation *to_bob;
  SottoConversation *to_alice;
  g_autofree char *carol_profile = NULL;
  SottoConversation *from_carol;
  guint carol_notifies = 0;
  guint notifies = 0;
  gint64 pushed;
  gint64 started_at;
  Side *alice;
  Side *bob;
  Side *carol;

  /* Both accepted, with sessions both ways. */
  cli_send_ok (test, alice_profile, "bob", "Hi Bob");
  cli_assert_receives (test, bob_profile, "alice", "Hi Bob", NULL);
  cli_send_ok (test, bob_profile, "alice", "Hi Alice");
  cli_assert_receives (test, alice_profile, "bob", "Hi Alice", NULL);

  alice = side_open (alice_profile);
  bob = side_open (bob_profile);
  to_bob = side_conversation (alice, "bob");
  to_alice = side_conversation (bob, "alice");
  g_assert_false (sotto_conversation_get_peer_typing (to_alice));
  g_assert_cmpint (online_pushed (test), ==, 0);

  /* Composing: "started" turns Bob's indicator on, once for a burst of
   * keystrokes; "stopped" turns it off. */
  sotto_messenger_set_composing (alice->messenger, to_bob, TRUE);
  wait_until (sotto_conversation_get_peer_typing (to_alice));
  sotto_messenger_set_composing (alice->messenger, to_bob, TRUE);
  sotto_messenger_set_composing (alice->messenger, to_bob, TRUE);
  g_assert_cmpint (online_pushed (test), ==, 1);
  sotto_messenger_set_composing (alice->messenger, to_bob, FALSE);
  wait_until (!sotto_conversation_get_peer_typing (to_alice));
  g_assert_cmpint (online_pushed (test), ==, 2);

  /* Idle: "stopped" goes by itself a few seconds after the last
   * keystroke. */
  sotto_messenger_set_composing (alice->messenger, to_bob, TRUE);
  wait_until (sotto_conversation_get_peer_typing (to_alice));
  wait_until (!sotto_conversation_get_peer_typing (to_alice));
  g_assert_cmpint (online_pushed (test), ==, 4);

  /* A message from Alice ends her typing on Bob's side. */
  send_typing (alice, to_bob, TRUE);
  wait_until (sotto_conversation_get_peer_typing (to_alice));
  g_assert_false (send_text_and_wait (alice, to_bob, bob, "Here it is"));
  g_assert_false (sotto_conversation_get_peer_typing (to_alice));

  /* A "started" that is never refreshed or ended goes off by itself:
   * a contact cannot keep it on without sending. */
  send_typing (alice, to_bob, TRUE);
  wait_until (sotto_conversation_get_peer_typing (to_alice));
  started_at = g_get_monotonic_time ();
  pushed = online_pushed (test);
  wait_until (!sotto_conversation_get_peer_typing (to_alice));
  g_assert_cmpint (g_get_monotonic_time () - started_at, >=,
                   (SOTTO_CONVERSATION_PEER_TYPING_TIMEOUT - 1) * G_USEC_PER_SEC);
  g_assert_cmpint (online_pushed (test), ==, pushed);

  /* Off on Alice's side: nothing leaves. */
  g_object_set (alice->messenger, "typing-indicators", FALSE, NULL);
  pushed = online_pushed (test);
  sotto_messenger_set_composing (alice->messenger, to_bob, TRUE);
  sotto_messenger_set_composing (alice->messenger, to_bob, FALSE);
  send_text_and_wait (alice, to_bob, bob, "Quietly");
  g_assert_cmpint (online_pushed (test), ==, pushed);
  g_object_set (alice->messenger, "typing-indicators", TRUE, NULL);

  /* Off on Bob's side: Alice's typing arrives and is not shown.  Her
   * text, sent after it, arrives after it. */
  g_object_set (bob->messenger, "typing-indicators", FALSE, NULL);
  g_signal_connect (to_alice, "notify::peer-typing", G_CALLBACK (count_cb), &notifies);
  send_typing (alice, to_bob, TRUE);
  send_text_and_wait (alice, to_bob, bob, "Still quiet");
  g_assert_cmpuint (notifies, ==, 0);
  g_object_set (bob->messenger, "typing-indicators", TRUE, NULL);

  /* A message request: Carol, a stranger, writes to Bob, who has not
   * accepted her.  He sends her no typing, and hers is not shown. */
  g_object_set (bob->messenger, "message-requests", TRUE, NULL);
  carol_profile = cli_register (test, "carol");
  cli_send_ok (test, carol_profile, "bob", "Hi, I'm Carol");
  wait_until (sotto_conversation_list_find_by_username (sotto_messenger_get_conversations (bob->messenger),
                                                        "carol") != NULL);
  from_carol = side_conversation (bob, "carol");
  g_assert_cmpint (sotto_contact_get_standing (sotto_conversation_get_contact (from_carol)), ==,
                   SOTTO_CONTACT_STANDING_REQUEST);
  carol = side_open (carol_profile);
  pushed = online_pushed (test);
  sotto_messenger_set_composing (bob->messenger, from_carol, TRUE);
  sotto_messenger_set_composing (bob->messenger, from_carol, FALSE);
  g_assert_cmpint (online_pushed (test), ==, pushed);
  g_signal_connect (from_carol, "notify::peer-typing", G_CALLBACK (count_cb), &carol_notifies);
  send_typing (carol, side_conversation (carol, "bob"), TRUE);
  g_assert_cmpint (online_pushed (test), ==, pushed + 1);
  send_text_and_wait (carol, side_conversation (carol, "bob"), bob, "Hello?");
  g_assert_cmpuint (carol_notifies, ==, 0);
  /* Carol's "started" and nothing from Bob. */
  g_assert_cmpint (online_pushed (test), ==, pushed + 1);
  g_signal_handlers_disconnect_by_data (from_carol, &carol_notifies);
  side_close (carol);

  /* Blocked: Bob sends Alice nothing, and shows nothing of hers. */
  {
    g_autoptr(GAsyncResult) blocked = NULL;
    g_autoptr(GError) error = NULL;

    sotto_messenger_block_async (bob->messenger, to_alice, NULL, cli_result_cb, &blocked);
    cli_wait_for (&blocked);
    g_assert_true (sotto_messenger_block_finish (bob->messenger, blocked, &error));
    g_assert_no_error (error);
  }
  pushed = online_pushed (test);
  sotto_messenger_set_composing (bob->messenger, to_alice, TRUE);
  sotto_messenger_set_composing (bob->messenger, to_alice, FALSE);
  g_assert_cmpint (online_pushed (test), ==, pushed);
  send_typing (alice, to_bob, TRUE);
  g_assert_cmpint (online_pushed (test), ==, pushed + 1);
  send_text (alice, to_bob, "Are you there?");
  run_for (2000);
  g_assert_cmpuint (notifies, ==, 0);
  g_assert_false (sotto_conversation_get_peer_typing (to_alice));

  g_signal_handlers_disconnect_by_data (to_alice, &notifies);
  side_close (bob);
  side_close (alice);

  /* Nothing of the typing is stored on either side: Alice's history
   * holds the two texts of the start and her four; Bob's the start's
   * and the three that came before he blocked her (accepting her again
   * unblocks her, for sotto-cli to show the conversation). */
  assert_history (test, alice_profile, "bob", 6);
  assert_history (test, carol_profile, "bob", 2);
  cli_run_ok (test, bob_profile, "accept", "alice", NULL);
  assert_history (test, bob_profile, "alice", 5);
}

/* What the relay pushed to Bob online-only, as it arrived. */
typedef struct
{
  guint n_online;
  guint type;
  gboolean named_sender;
} Pushed;

static void
envelope_cb (SottoRelayClient   *client,
             SottoRelayEnvelope *envelope,
             gpointer            user_data)
{
  Pushed *pushed = user_data;

  if (!envelope->online)
    return;
  pushed->n_online++;
  pushed->type = envelope->type;
  pushed->named_sender = envelope->source != NULL;
}

/* Once the conversation goes sealed, so does typing: the envelope the
 * relay pushes names no sender, and Bob still shows Alice typing. */
static void
test_typing_sealed (void)
{
  g_autoptr(CliTest) test = cli_test_new (FALSE);
  g_autofree char *root_path = g_build_filename (test->root, "trust-root", NULL);
  g_autofree char *root = cli_new_trust_root (root_path);
  g_autofree char *alice_profile = NULL;
  g_autofree char *bob_profile = NULL;
  SottoConversation *to_bob;
  SottoConversation *to_alice;
  Pushed pushed = { 0 };
  Side *alice;
  Side *bob;

  cli_issue_server_key (test, root_path);
  alice_profile = cli_register_pinned (test, "alice", root);
  bob_profile = cli_register_pinned (test, "bob", root);
  cli_run_ok (test, alice_profile, "profile", "--name", "Alice", NULL);
  cli_run_ok (test, bob_profile, "profile", "--name", "Bob", NULL);

  /* The profile keys go with the messages: Alice holds Bob's once his
   * answer arrived. */
  cli_send_ok (test, alice_profile, "bob", "First contact");
  g_ptr_array_unref (cli_receive (test, bob_profile));
  cli_send_ok (test, bob_profile, "alice", "Sealed answer");
  g_ptr_array_unref (cli_receive (test, alice_profile));

  alice = side_open (alice_profile);
  bob = side_open (bob_profile);
  to_bob = side_conversation (alice, "bob");
  to_alice = side_conversation (bob, "alice");
  g_signal_connect (_sotto_messenger_get_relay_client (bob->messenger), "envelope",
                    G_CALLBACK (envelope_cb), &pushed);

  sotto_messenger_set_composing (alice->messenger, to_bob, TRUE);
  wait_until (sotto_conversation_get_peer_typing (to_alice));
  g_assert_cmpuint (pushed.n_online, ==, 1);
  g_assert_cmpuint (pushed.type, ==, SOTTO_RELAY_ENVELOPE_TYPE_SEALED);
  g_assert_false (pushed.named_sender);

  sotto_messenger_set_composing (alice->messenger, to_bob, FALSE);
  wait_until (!sotto_conversation_get_peer_typing (to_alice));
  g_assert_cmpuint (pushed.n_online, ==, 2);
  g_assert_cmpuint (pushed.type, ==, SOTTO_RELAY_ENVELOPE_TYPE_SEALED);

  g_signal_handlers_disconnect_by_data (_sotto_messenger_get_relay_client (bob->messenger), &pushed);
  side_close (bob);
  side_close (alice);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);

  g_test_add_func ("/cli/typing/indicators", test_typing);
  g_test_add_func ("/cli/typing/sealed", test_typing_sealed);

  return g_test_run ();
}
