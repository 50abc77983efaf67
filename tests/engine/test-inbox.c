/* test-inbox.c: SottoInbox against a scripted relay
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "party.h"
#include "sotto-inbox-private.h"
#include "sotto-message.h"

/* Alice's outbox makes real envelopes on her scripted relay; Bob's
 * relay delivers them to Bob's inbox on its socket. */
typedef struct
{
  Party *alice;
  Party *bob;
  SottoOutbox *alice_outbox;
  SottoOutbox *bob_outbox;
  SottoInbox *inbox;
  SottoConversation *to_alice;
  GPtrArray *sends;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autofree char *bundles = NULL;
  g_autofree char *keys_path = NULL;
  g_autoptr(SottoConversation) to_bob = NULL;
  gboolean knows_alice = GPOINTER_TO_INT (user_data);
  static const char *texts[] = { "one", "two" };

  fixture->alice = party_new ();
  fixture->bob = party_new ();
  to_bob = party_add_contact (fixture->alice, fixture->bob, "bob");
  if (knows_alice)
    fixture->to_alice = party_add_contact (fixture->bob, fixture->alice, "alice");

  /* Alice writes two messages; the relay keeps what she sent. */
  bundles = party_bundles_json (fixture->bob, 1);
  keys_path = g_strconcat ("/v1/keys/", sotto_account_get_uuid (fixture->bob->account), NULL);
  scripted_relay_route (fixture->alice->relay, "GET", keys_path, 0, 200, bundles);
  fixture->alice_outbox = _sotto_outbox_new (fixture->alice->store, fixture->alice->account, fixture->alice->list,
                                             fixture->alice->client, fixture->alice->protocol);
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;

      _sotto_outbox_send_async (fixture->alice_outbox, to_bob, texts[i], NULL, engine_test_result_cb, &result);
      engine_test_wait (&result);
      g_assert_true (_sotto_outbox_send_finish (fixture->alice_outbox, result, NULL, &error));
      g_assert_no_error (error);
    }
  fixture->sends = g_ptr_array_ref (fixture->alice->relay->bodies);

  /* Bob's inbox, without a messenger: it cannot add contacts. */
  fixture->bob_outbox = _sotto_outbox_new (fixture->bob->store, fixture->bob->account, fixture->bob->list,
                                           fixture->bob->client, fixture->bob->protocol);
  fixture->inbox = _sotto_inbox_new (fixture->bob->store, fixture->bob->list, fixture->bob->client,
                                     fixture->bob->protocol, fixture->bob_outbox, NULL);
  _sotto_inbox_start (fixture->inbox);
  party_connect (fixture->bob);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  /* Receipts on their way to the scripted relay, which never answers
   * them, fail once the socket closes. */
  _sotto_inbox_stop (fixture->inbox);
  sotto_relay_client_disconnect (fixture->bob->client);
  engine_test_await_finalize (g_steal_pointer (&fixture->inbox));
  _sotto_outbox_stop (fixture->bob_outbox);
  engine_test_await_finalize (g_steal_pointer (&fixture->bob_outbox));
  engine_test_await_finalize (g_steal_pointer (&fixture->alice_outbox));
  g_clear_pointer (&fixture->sends, g_ptr_array_unref);
  g_clear_object (&fixture->to_alice);
  g_clear_pointer (&fixture->alice, party_free);
  g_clear_pointer (&fixture->bob, party_free);
}

/* The body of Alice's send @index (0 or 1); the first request was for
 * Bob's keys. */
static const char *
sent (Fixture *fixture,
      guint    index)
{
  return g_ptr_array_index (fixture->sends, index + 1);
}

/* The relay delivers Alice's send @index as envelope @guid. */
static void
deliver (Fixture    *fixture,
         guint       index,
         const char *guid)
{
  g_autofree char *frame = party_envelope_frame (fixture->alice, sent (fixture, index), 1, guid);

  soup_websocket_connection_send_text (g_ptr_array_index (fixture->bob->relay->sockets, 0), frame);
}

static void
deliver_frame (Fixture    *fixture,
               const char *frame)
{
  soup_websocket_connection_send_text (g_ptr_array_index (fixture->bob->relay->sockets, 0), frame);
}

static gboolean
drained (gpointer data)
{
  return _sotto_inbox_get_drained (data);
}

/* Whether Bob acknowledged @guid. */
static gboolean
acknowledged (Fixture    *fixture,
              const char *guid)
{
  g_autofree char *quoted = g_strdup_printf ("\"%s\"", guid);
  GPtrArray *frames = fixture->bob->relay->acks;

  for (guint i = 0; i < frames->len; i++)
    if (strstr (g_ptr_array_index (frames, i), quoted) != NULL)
      return TRUE;

  return FALSE;
}

/* Ends the relay's queue and waits until the inbox has done everything
 * before the end. */
static void
drain (Fixture *fixture)
{
  deliver_frame (fixture, "{\"type\": \"queue-empty\"}");
  engine_test_wait_until (drained, fixture->inbox);
}

typedef struct
{
  Fixture *fixture;
  const char *guid;
} Acknowledgement;

static gboolean
arrived (gpointer data)
{
  Acknowledgement *acknowledgement = data;

  return acknowledged (acknowledgement->fixture, acknowledgement->guid);
}

/* Waits until the relay has Bob's acknowledgement of @guid; it has
 * every one the inbox sent before then, as the socket keeps order. */
static void
wait_acknowledged (Fixture    *fixture,
                   const char *guid)
{
  engine_test_wait_until (arrived, &(Acknowledgement) { fixture, guid });
}

/* Bob's conversation with Alice as the store has it, read anew. */
static SottoConversation *
stored_conversation (Fixture *fixture)
{
  g_autoptr(SottoConversationList) list = engine_test_load_list (fixture->bob->account);
  SottoConversation *conversation;

  conversation = sotto_conversation_list_find_by_uuid (list, sotto_account_get_uuid (fixture->alice->account));
  g_assert_nonnull (conversation);

  return g_object_ref (conversation);
}

typedef struct
{
  SottoConversation *conversation;
  SottoMessage *message;
  guint n_received;
} Received;

static void
message_received_cb (SottoInbox        *inbox,
                     SottoConversation *conversation,
                     SottoMessage      *message,
                     Received          *received)
{
  received->n_received++;
  g_set_object (&received->conversation, conversation);
  g_set_object (&received->message, message);
}

/* What arrives is stored, in order, and then acknowledged: an
 * acknowledged message is on disk. */
static void
test_inbox_store_then_ack (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(SottoConversation) stored = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  Received received = { NULL, NULL, 0 };

  g_signal_connect (fixture->inbox, "message-received", G_CALLBACK (message_received_cb), &received);

  deliver (fixture, 0, "g1");
  deliver (fixture, 1, "g2");
  drain (fixture);

  g_assert_cmpuint (received.n_received, ==, 2);
  g_assert_true (received.conversation == fixture->to_alice);
  g_assert_cmpstr (sotto_message_get_body (received.message), ==, "two");
  wait_acknowledged (fixture, "g1");
  wait_acknowledged (fixture, "g2");

  stored = stored_conversation (fixture);
  g_assert_cmpuint (party_n_messages (stored), ==, 2);
  first = party_message_text (stored, 0);
  second = party_message_text (stored, 1);
  g_assert_cmpstr (first, ==, "one");
  g_assert_cmpstr (second, ==, "two");

  g_signal_handlers_disconnect_by_data (fixture->inbox, &received);
  g_clear_object (&received.conversation);
  g_clear_object (&received.message);
}

/* An envelope delivered again, under its own guid or a new one (the
 * acknowledgement was lost), is acknowledged and stored once. */
static void
test_inbox_duplicates (Fixture       *fixture,
                       gconstpointer  user_data)
{
  deliver (fixture, 0, "g1");
  deliver (fixture, 0, "g1");
  deliver (fixture, 0, "g1-again");
  deliver (fixture, 1, "g2");
  drain (fixture);

  wait_acknowledged (fixture, "g1");
  wait_acknowledged (fixture, "g1-again");
  wait_acknowledged (fixture, "g2");
  g_assert_cmpuint (party_n_messages (fixture->to_alice), ==, 2);
}

/* What does not decrypt, or is no envelope the inbox reads, is dropped
 * and stores nothing; what follows is stored as ever.  Frames that do
 * not follow the relay's API are never acknowledged. */
static void
test_inbox_hostile (Fixture       *fixture,
                    gconstpointer  user_data)
{
  const char *alice = sotto_account_get_uuid (fixture->alice->account);
  g_autofree char *garbage = NULL;
  g_autofree char *unknown_type = NULL;

  garbage = g_strdup_printf ("{\"type\": \"envelope\", \"guid\": \"garbage\", \"envelopeType\": 1,"
                             " \"source\": \"%s\", \"sourceDevice\": 1, \"timestamp\": 1,"
                             " \"serverTimestamp\": 2, \"content\": \"AQIDBAUGBwg=\"}", alice);
  unknown_type = g_strdup_printf ("{\"type\": \"envelope\", \"guid\": \"type-7\", \"envelopeType\": 7,"
                                  " \"source\": \"%s\", \"sourceDevice\": 1, \"timestamp\": 1,"
                                  " \"serverTimestamp\": 2, \"content\": \"AQID\"}", alice);

  deliver_frame (fixture, "not json");
  deliver_frame (fixture, "{\"type\": \"envelope\", \"guid\": \"no-content\", \"envelopeType\": 1}");
  deliver_frame (fixture, "[\"envelope\"]");
  deliver_frame (fixture, garbage);
  deliver_frame (fixture, unknown_type);
  deliver (fixture, 0, "g1");
  drain (fixture);

  wait_acknowledged (fixture, "garbage");
  wait_acknowledged (fixture, "type-7");
  wait_acknowledged (fixture, "g1");
  g_assert_false (acknowledged (fixture, "no-content"));
  g_assert_cmpuint (party_n_messages (fixture->to_alice), ==, 1);
}

/* A sender nobody knows needs the messenger to become a contact; an
 * inbox without one leaves the envelope unacknowledged, for the relay
 * to deliver again, and stores nothing later from that device before
 * it. */
static void
test_inbox_unknown_sender (Fixture       *fixture,
                           gconstpointer  user_data)
{
  deliver (fixture, 0, "g1");
  deliver (fixture, 1, "g2");
  drain (fixture);

  /* Nothing is sent to an unknown sender, so one more acknowledgement
   * follows whatever the inbox sent. */
  sotto_relay_client_acknowledge (fixture->bob->client, "end-of-test-marker");
  wait_acknowledged (fixture, "end-of-test-marker");
  g_assert_false (acknowledged (fixture, "g1"));
  g_assert_false (acknowledged (fixture, "g2"));
  g_assert_null (sotto_conversation_list_find_by_uuid (fixture->bob->list,
                                                       sotto_account_get_uuid (fixture->alice->account)));
}

int
main (int   argc,
      char *argv[])
{
  engine_test_init (&argc, &argv);

#define ADD(path, knows_alice, func) \
  g_test_add ("/engine/inbox/" path, Fixture, GINT_TO_POINTER (knows_alice), fixture_set_up, func, fixture_tear_down)

  ADD ("store-then-ack", TRUE, test_inbox_store_then_ack);
  ADD ("duplicates", TRUE, test_inbox_duplicates);
  ADD ("hostile", TRUE, test_inbox_hostile);
  ADD ("unknown-sender", FALSE, test_inbox_unknown_sender);

#undef ADD

  return g_test_run ();
}
