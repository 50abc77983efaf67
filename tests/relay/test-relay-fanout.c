/* test-relay-fanout.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Multi-recipient sends, sealed sender (certificates, unidentified
 * sends, v2 uploads split by the relay) and encrypted profiles, against
 * real sotto-relay processes, on SQLite and, under
 * build-aux/with-postgresql.sh, on PostgreSQL.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "relay-test-raw.h"
#include "relay-test-util.h"
#include "sp-error.h"
#include "sp-init.h"
#include "sp-sealed-sender.h"

typedef TestFixture Fixture;

static char *
multi_body (TestAccount **recipients,
            guint         n,
            const char   *content)
{
  GString *body = g_string_new ("{\"timestamp\":1767225600000,\"recipients\":[");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (body, "%s{\"destination\":\"%s\",\"messages\":[{\"type\":1,\"destinationDeviceId\":1,"
                            "\"destinationRegistrationId\":%u,\"content\":\"%s\"}]}",
                            i > 0 ? "," : "", recipients[i]->uuid, recipients[i]->registration_id, content);
  g_string_append (body, "]}");
  return g_string_free (body, FALSE);
}

static void
expect_queue_empty (Fixture     *fixture,
                    TestAccount *account)
{
  g_autoptr(TestSocket) socket = test_socket_connect (fixture->session, fixture->relay, account->auth);

  test_socket_expect_drained (socket);
}

/* Reads one envelope and checks its content and sender (NULL for none). */
static void
expect_envelope (Fixture     *fixture,
                 TestAccount *account,
                 const char  *content,
                 const char  *source)
{
  g_autoptr(TestSocket) socket = test_socket_connect (fixture->session, fixture->relay, account->auth);
  g_autoptr(JsonNode) holder = NULL;
  JsonObject *envelope = test_socket_expect_envelope (socket, &holder);

  g_assert_cmpstr (json_object_get_string_member (envelope, "content"), ==, content);
  g_assert_cmpstr (json_object_get_string_member_with_default (envelope, "source", NULL), ==, source);
  g_assert_cmpint (json_object_has_member (envelope, "sourceDevice"), ==, source != NULL);
  test_socket_ack (socket, json_object_get_string_member (envelope, "guid"));
}

static void
test_multi_send (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 1);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  g_autoptr(TestAccount) carol = test_account_register (fixture->session, fixture->relay, "carol", 1);
  TestAccount *both[] = { bob, carol };
  g_autofree char *body = multi_body (both, 2, "Z3JvdXA=");
  g_autoptr(TestResponse) response = test_request (fixture->session, fixture->relay, "PUT", "/v1/messages/multi",
                                                   alice->auth, body);
  JsonArray *recipients;

  g_assert_cmpuint (response->status, ==, 200);
  recipients = json_object_get_array_member (test_response_object (response), "recipients");
  g_assert_cmpuint (json_array_get_length (recipients), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *recipient = json_array_get_object_element (recipients, i);

      g_assert_cmpstr (json_object_get_string_member (recipient, "uuid"), ==, both[i]->uuid);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (recipient, "messages")), ==, 1);
    }
  expect_envelope (fixture, bob, "Z3JvdXA=", alice->uuid);
  expect_envelope (fixture, carol, "Z3JvdXA=", alice->uuid);
}

/* A multi-recipient send costs the sender one account-sends token per
 * recipient, over HTTP and over the WebSocket alike. */
static void
test_multi_send_rate (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 1);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  g_autoptr(TestAccount) carol = test_account_register (fixture->session, fixture->relay, "carol", 1);
  g_autoptr(TestAccount) dave = test_account_register (fixture->session, fixture->relay, "dave", 1);
  g_autoptr(TestAccount) erin = test_account_register (fixture->session, fixture->relay, "erin", 1);
  TestAccount *all[] = { bob, carol, dave };
  TestAccount *two[] = { bob, carol };
  g_autofree char *three_body = multi_body (all, 3, "eA==");
  g_autofree char *two_body = multi_body (two, 2, "eA==");
  g_autofree char *one_body = multi_body (&bob, 1, "eA==");
  g_autoptr(TestResponse) three = test_request (fixture->session, fixture->relay, "PUT", "/v1/messages/multi",
                                                alice->auth, three_body);
  g_autoptr(TestResponse) one = test_request (fixture->session, fixture->relay, "PUT", "/v1/messages/multi",
                                              alice->auth, one_body);
  g_autoptr(TestResponse) erin_two = test_request (fixture->session, fixture->relay, "PUT", "/v1/messages/multi",
                                                   erin->auth, two_body);
  g_autoptr(TestSocket) socket = test_socket_connect (fixture->session, fixture->relay, erin->auth);
  g_autofree char *frame = g_strdup_printf ("{\"type\":\"send-multi\",\"id\":7,%s", two_body + 1);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *answer;

  /* The fixture gives each account three tokens, which the first send
   * to three accounts spends. */
  g_assert_cmpuint (three->status, ==, 200);
  g_assert_cmpuint (one->status, ==, 429);
  /* Erin's send to two accounts leaves one token: not enough for the
   * same send over the WebSocket. */
  g_assert_cmpuint (erin_two->status, ==, 200);
  test_socket_expect_drained (socket);
  soup_websocket_connection_send_text (socket->connection, frame);
  node = test_socket_next (socket, 5000);
  g_assert_nonnull (node);
  answer = json_node_get_object (node);
  g_assert_cmpint (json_object_get_int_member (answer, "id"), ==, 7);
  g_assert_cmpint (json_object_get_int_member (answer, "status"), ==, 429);
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, 5);
}

/* One recipient's device list is out of date: the answer names it, and
 * nothing is stored for anyone. */
static void
test_multi_send_mismatch (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 1);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  g_autoptr(TestAccount) carol = test_account_register (fixture->session, fixture->relay, "carol", 1);
  g_autoptr(TestAccount) stale_carol = test_account_for (carol->uuid, carol->password, carol->registration_id + 1);
  TestAccount *both[] = { bob, stale_carol };
  g_autofree char *body = multi_body (both, 2, "Z3JvdXA=");
  g_autoptr(TestResponse) response = test_request (fixture->session, fixture->relay, "PUT", "/v1/messages/multi",
                                                   alice->auth, body);
  JsonArray *recipients;
  JsonObject *recipient;

  g_assert_cmpuint (response->status, ==, 410);
  g_assert_cmpstr (test_response_error (response), ==, "stale-devices");
  recipients = json_object_get_array_member (test_response_object (response), "recipients");
  g_assert_cmpuint (json_array_get_length (recipients), ==, 1);
  recipient = json_array_get_object_element (recipients, 0);
  g_assert_cmpstr (json_object_get_string_member (recipient, "uuid"), ==, carol->uuid);
  g_assert_cmpint (json_array_get_int_element (json_object_get_array_member (recipient, "staleDevices"), 0), ==, 1);
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, 0);

  /* A device that does not exist: 409, with what carol lacks. */
  {
    g_autofree char *wrong_device = NULL;
    g_autofree char *text = multi_body (both, 2, "Z3JvdXA=");
    g_autoptr(GString) edited = g_string_new (text);
    g_autoptr(TestResponse) mismatch = NULL;
    g_autofree char *stale_id = g_strdup_printf ("\"destinationDeviceId\":1,\"destinationRegistrationId\":%u",
                                                 stale_carol->registration_id);

    g_string_replace (edited, stale_id, "\"destinationDeviceId\":2,\"destinationRegistrationId\":1", 1);
    wrong_device = g_strdup (edited->str);
    mismatch = test_request (fixture->session, fixture->relay, "PUT", "/v1/messages/multi", alice->auth,
                             wrong_device);
    g_assert_cmpuint (mismatch->status, ==, 409);
    g_assert_cmpstr (test_response_error (mismatch), ==, "device-mismatch");
    recipient = json_array_get_object_element (json_object_get_array_member (test_response_object (mismatch),
                                                                             "recipients"), 0);
    g_assert_cmpstr (json_object_get_string_member (recipient, "uuid"), ==, carol->uuid);
    g_assert_cmpint (json_array_get_int_element (json_object_get_array_member (recipient, "missingDevices"), 0),
                     ==, 1);
    g_assert_cmpint (json_array_get_int_element (json_object_get_array_member (recipient, "extraDevices"), 0),
                     ==, 2);
  }
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, 0);
  expect_queue_empty (fixture, bob);
}

/* Too many recipients, one named twice, a bad envelope: 400, nothing stored. */
static void
test_multi_send_hostile (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 1);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  TestAccount *many[129];
  TestAccount *twice[] = { bob, bob };
  const struct { TestAccount **to; guint n; const char *error; } cases[] = {
    { many, G_N_ELEMENTS (many), "too-many" },
    { twice, 2, "duplicate" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (many); i++)
    many[i] = bob;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = cases[i].to == many ? NULL : multi_body (cases[i].to, cases[i].n, "eA==");
      g_autoptr(TestResponse) response = NULL;

      /* 129 distinct recipients are refused before any is looked up. */
      if (body == NULL)
        {
          GString *text = g_string_new ("{\"timestamp\":1,\"recipients\":[");

          for (guint j = 0; j < cases[i].n; j++)
            g_string_append_printf (text, "%s{\"destination\":\"%08x-0000-4000-8000-000000000000\",\"messages\":"
                                    "[{\"type\":1,\"destinationDeviceId\":1,\"destinationRegistrationId\":1,"
                                    "\"content\":\"eA==\"}]}", j > 0 ? "," : "", j);
          g_string_append (text, "]}");
          body = g_string_free (text, FALSE);
        }
      response = test_request (fixture->session, fixture->relay, "PUT", "/v1/messages/multi", alice->auth, body);
      g_assert_cmpuint (response->status, ==, 400);
      g_assert_cmpstr (test_response_error (response), ==, cases[i].error);
    }
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, 0);
}

/* The WebSocket form means the same, and is answered by id. */
static void
test_multi_send_websocket (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 1);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  g_autoptr(TestAccount) carol = test_account_register (fixture->session, fixture->relay, "carol", 1);
  g_autoptr(TestSocket) socket = test_socket_connect (fixture->session, fixture->relay, alice->auth);
  TestAccount *both[] = { bob, carol };
  g_autofree char *body = multi_body (both, 2, "d3M=");
  g_autofree char *message = g_strdup_printf ("{\"type\":\"send-multi\",\"id\":42,%s", body + 1);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *response;

  test_socket_expect_drained (socket);
  soup_websocket_connection_send_text (socket->connection, message);
  node = test_socket_next (socket, 5000);
  g_assert_nonnull (node);
  response = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (response, "type"), ==, "response");
  g_assert_cmpint (json_object_get_int_member (response, "id"), ==, 42);
  g_assert_cmpint (json_object_get_int_member (response, "status"), ==, 200);
  expect_envelope (fixture, bob, "d3M=", alice->uuid);
  expect_envelope (fixture, carol, "d3M=", alice->uuid);
}

static TestResponse *
unidentified_send (Fixture     *fixture,
                   TestAccount *to,
                   const char  *key,
                   guint        type,
                   const char  *content)
{
  g_autofree char *path = g_strdup_printf ("/v1/messages/%s/unidentified", to->uuid);
  g_autofree char *body = g_strdup_printf ("{\"accessKey\":\"%s\",\"timestamp\":1767225600000,\"messages\":"
                                           "[{\"type\":%u,\"destinationDeviceId\":1,"
                                           "\"destinationRegistrationId\":%u,\"content\":\"%s\"}]}",
                                           key, type, to->registration_id, content);

  return test_request (fixture->session, fixture->relay, "PUT", path, NULL, body);
}

/* The same send from the client address `source`, over a socket of its
 * own; gives the answer's status. */
static guint
unidentified_send_from (Fixture     *fixture,
                        const char  *source,
                        TestAccount *to,
                        const char  *key)
{
  g_autofree char *body = g_strdup_printf ("{\"accessKey\":\"%s\",\"timestamp\":1767225600000,\"messages\":"
                                           "[{\"type\":6,\"destinationDeviceId\":1,"
                                           "\"destinationRegistrationId\":%u,\"content\":\"eA==\"}]}",
                                           key, to->registration_id);
  g_autofree char *request = g_strdup_printf ("PUT /v1/messages/%s/unidentified HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n%s",
                                              to->uuid, strlen (body), body);
  int fd = test_raw_connect_from (fixture->relay, source);
  guint status = test_raw_exchange (fd, request, NULL);

  close (fd);
  return status;
}

/* Sealed envelopes name no sender, so in a device's queue they share one
 * sender's share (the fixture's is 8 envelopes); each client address
 * may take a quarter of it, and one that took its part leaves the rest
 * to the others. */
static void
test_sealed_share_per_address (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  g_autofree char *key = test_random_base64 (16, -1);
  guint accepted = 0;

  test_set_access_key (fixture->session, fixture->relay, bob, key);
  while (accepted < 8 && unidentified_send_from (fixture, "127.0.0.1", bob, key) == 200)
    accepted++;
  g_assert_cmpuint (accepted, ==, 2);
  g_assert_cmpuint (unidentified_send_from (fixture, "127.0.0.2", bob, key), ==, 200);
  g_assert_cmpuint (unidentified_send_from (fixture, "127.0.0.3", bob, key), ==, 200);
  g_assert_cmpuint (unidentified_send_from (fixture, "127.0.0.1", bob, key), ==, 429);
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, 4);
}

/* @n unidentified sends to @to from `source`, each over its own socket,
 * all written before any answer is read, as a client that opens many
 * connections at once sends them; gives how many were answered 200. */
static guint
unidentified_sends_at_once (Fixture     *fixture,
                            const char  *source,
                            TestAccount *to,
                            const char  *key,
                            guint        n)
{
  g_autofree char *body = g_strdup_printf ("{\"accessKey\":\"%s\",\"timestamp\":1767225600000,\"messages\":"
                                           "[{\"type\":6,\"destinationDeviceId\":1,"
                                           "\"destinationRegistrationId\":%u,\"content\":\"eA==\"}]}",
                                           key, to->registration_id);
  g_autofree char *request = g_strdup_printf ("PUT /v1/messages/%s/unidentified HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n%s",
                                              to->uuid, strlen (body), body);
  g_autofree int *fds = g_new (int, n);
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint accepted = 0;

  for (guint i = 0; i < n; i++)
    fds[i] = test_raw_connect_from (fixture->relay, source);
  for (guint i = 0; i < n; i++)
    test_raw_write_string (fds[i], request);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GString) reply = g_string_new (NULL);

      while (strstr (reply->str, "\r\n") == NULL)
        g_assert_cmpint (test_raw_read (fds[i], reply, deadline), ==, TEST_READ_DATA);
      g_assert_true (g_str_has_prefix (reply->str, "HTTP/1.1 "));
      accepted += g_str_has_prefix (reply->str, "HTTP/1.1 200");
      close (fds[i]);
    }
  return accepted;
}

/* The recipient's allowance of unidentified sends holds for sends that
 * arrive together too: each is checked when it arrives and charged
 * once it is stored, and those that arrive meanwhile must not all be
 * let through on the same tokens. */
static void
test_unidentified_rate_at_once (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  g_autofree char *key = test_random_base64 (16, -1);
  guint accepted;

  test_set_access_key (fixture->session, fixture->relay, bob, key);
  accepted = unidentified_sends_at_once (fixture, "127.0.0.1", bob, key, 16);
  g_test_message ("%u of 16 accepted", accepted);
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, accepted);
  g_assert_cmpuint (accepted, <=, 2);
}

/* One client address's part of a device's sealed share holds for sends
 * that arrive together too. */
static void
test_sealed_share_at_once (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  g_autofree char *key = test_random_base64 (16, -1);
  guint accepted;

  test_set_access_key (fixture->session, fixture->relay, bob, key);
  accepted = unidentified_sends_at_once (fixture, "127.0.0.1", bob, key, 8);
  g_test_message ("%u of 8 accepted", accepted);
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, accepted);
  g_assert_cmpuint (accepted, <=, 2);
  /* The other addresses' parts are still there. */
  g_assert_cmpuint (unidentified_send_from (fixture, "127.0.0.2", bob, key), ==, 200);
}

/* An unidentified send needs no credentials, only the recipient's access
 * key; the stored row and the delivered envelope name no sender. */
static void
test_unidentified_send (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  g_autoptr(TestAccount) nobody = test_account_for ("0b0b0b0b-0000-4000-8000-000000000000", "x", 1);
  g_autofree char *key = test_random_base64 (16, -1);
  g_autofree char *other_key = test_random_base64 (16, -1);
  g_autoptr(TestResponse) before = unidentified_send (fixture, bob, key, 6, "c2VhbGVk");
  g_autoptr(TestResponse) sent = NULL;
  g_autoptr(TestResponse) wrong = NULL;
  g_autoptr(TestResponse) unknown = NULL;
  g_autoptr(TestResponse) plain = NULL;

  /* Without an access key set, nobody may send unidentified. */
  g_assert_cmpuint (before->status, ==, 401);
  test_set_access_key (fixture->session, fixture->relay, bob, key);
  wrong = unidentified_send (fixture, bob, other_key, 6, "c2VhbGVk");
  g_assert_cmpuint (wrong->status, ==, 401);
  g_assert_cmpstr (test_response_error (wrong), ==, "unauthorized");
  unknown = unidentified_send (fixture, nobody, key, 6, "c2VhbGVk");
  g_assert_cmpuint (unknown->status, ==, 401);
  plain = unidentified_send (fixture, bob, key, 1, "c2VhbGVk");
  g_assert_cmpuint (plain->status, ==, 400);
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, 0);

  sent = unidentified_send (fixture, bob, key, 6, "c2VhbGVk");
  g_assert_cmpuint (sent->status, ==, 200);
  g_assert_nonnull (json_object_get_array_member (test_response_object (sent), "messages"));
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, 1);
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue WHERE source = '' AND source_device = 0"), ==, 1);
  expect_envelope (fixture, bob, "c2VhbGVk", NULL);
}

/* Unidentified sends are rationed per recipient. */
static void
test_unidentified_rate (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  g_autofree char *key = test_random_base64 (16, -1);
  guint status = 0;

  test_set_access_key (fixture->session, fixture->relay, bob, key);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(TestResponse) response = unidentified_send (fixture, bob, key, 6, "eA==");

      status = response->status;
    }
  g_assert_cmpuint (status, ==, 429);
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, 2);
}

/* Wrong access keys spend nothing of the recipient's allowance, so they
 * cannot block its sealed delivery; they are rationed per client
 * address instead, with the other failed credentials. */
static void
test_unidentified_wrong_keys (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  g_autofree char *key = test_random_base64 (16, -1);
  g_autofree char *wrong_key = test_random_base64 (16, -1);
  /* The fixture allows bob two unidentified envelopes and this address
   * four failed credentials. */
  const struct { gboolean right; guint status; } sends[] = {
    { FALSE, 401 }, { FALSE, 401 }, { FALSE, 401 }, { TRUE, 200 }, { FALSE, 401 }, { FALSE, 429 },
  };

  test_set_access_key (fixture->session, fixture->relay, bob, key);
  for (guint i = 0; i < G_N_ELEMENTS (sends); i++)
    {
      g_autoptr(TestResponse) response = unidentified_send (fixture, bob, sends[i].right ? key : wrong_key, 6,
                                                            "eA==");

      g_assert_cmpuint (response->status, ==, sends[i].status);
    }
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, 1);
}

/* A v2 SentMessage for the first devices of @bob and @carol, of a
 * few bytes of opaque inner message. */
static guint8 *
sealed_sent_for_two (TestAccount *bob,
                     TestAccount *carol,
                     size_t      *sent_length)
{
  SpKeyPair sender, bob_identity, carol_identity;
  SpSealedRecipient recipients[2];
  const guint8 usmc[] = "the inner message, as opaque to the relay as anything";
  gsize size;
  guint8 *sent;

  g_assert_cmpint (sp_key_pair_generate (&sender), ==, SP_OK);
  g_assert_cmpint (sp_key_pair_generate (&bob_identity), ==, SP_OK);
  g_assert_cmpint (sp_key_pair_generate (&carol_identity), ==, SP_OK);
  recipients[0] = (SpSealedRecipient) { bob->uuid, 1, bob->registration_id, bob_identity.public_key };
  recipients[1] = (SpSealedRecipient) { carol->uuid, 1, carol->registration_id, carol_identity.public_key };
  size = sp_sealed_sender_v2_size (recipients, 2, sizeof usmc);
  sent = g_malloc (size);
  g_assert_cmpint (sp_sealed_sender_encrypt_v2 (sent, size, sent_length, &sender, recipients, 2, usmc,
                                                sizeof usmc, NULL), ==, SP_OK);

  return sent;
}

/* A v2 upload is split into each device's ReceivedMessage, exactly as
 * the session core splits it. */
static void
test_sealed_multi (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  g_autoptr(TestAccount) carol = test_account_register (fixture->session, fixture->relay, "carol", 1);
  g_autofree char *bob_key = test_random_base64 (16, -1);
  g_autofree char *carol_key = test_random_base64 (16, -1);
  g_autofree guint8 *sent = NULL;
  size_t sent_length = 0;
  g_autofree char *sent_text = NULL;
  TestAccount *accounts[] = { bob, carol };

  sent = sealed_sent_for_two (bob, carol, &sent_length);
  sent_text = g_base64_encode (sent, sent_length);
  test_set_access_key (fixture->session, fixture->relay, bob, bob_key);
  test_set_access_key (fixture->session, fixture->relay, carol, carol_key);

  for (guint round = 0; round < 2; round++)
    {
      /* The first round gives carol bob's key: nothing is stored. */
      g_autofree char *body = g_strdup_printf (
        "{\"timestamp\":1767225600000,\"content\":\"%s\",\"recipients\":["
        "{\"destination\":\"%s\",\"accessKey\":\"%s\",\"devices\":[{\"deviceId\":1,\"registrationId\":%u}]},"
        "{\"destination\":\"%s\",\"accessKey\":\"%s\",\"devices\":[{\"deviceId\":1,\"registrationId\":%u}]}]}",
        sent_text, bob->uuid, bob_key, bob->registration_id, carol->uuid, round == 0 ? bob_key : carol_key,
        carol->registration_id);
      g_autoptr(TestResponse) response = test_request (fixture->session, fixture->relay, "PUT",
                                                       "/v1/messages/multi/unidentified", NULL, body);

      g_assert_cmpuint (response->status, ==, round == 0 ? 401 : 200);
      g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, round == 0 ? 0 : 2);
    }
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue WHERE source = '' AND source_device = 0"), ==, 2);
  for (guint i = 0; i < G_N_ELEMENTS (accounts); i++)
    {
      g_autofree guint8 *expected = g_malloc (sent_length);
      g_autofree char *expected_text = NULL;
      size_t expected_length = 0;

      g_assert_cmpint (sp_sealed_sender_v2_split (expected, sent_length, &expected_length, sent, sent_length,
                                                  accounts[i]->uuid, 1), ==, SP_OK);
      expected_text = g_base64_encode (expected, expected_length);
      expect_envelope (fixture, accounts[i], expected_text, NULL);
    }
}

/* A v2 upload whose device list for one recipient is out of date: once
 * every access key is right, 410 names that recipient alone, as the
 * identified multi-recipient send does, and nothing is stored for
 * anyone; with a wrong key beside it, 401 comes first, telling nothing of
 * anyone's devices. */
static void
test_sealed_multi_mismatch (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  g_autoptr(TestAccount) carol = test_account_register (fixture->session, fixture->relay, "carol", 1);
  g_autofree char *bob_key = test_random_base64 (16, -1);
  g_autofree char *carol_key = test_random_base64 (16, -1);
  g_autofree char *wrong_key = test_random_base64 (16, -1);
  size_t sent_length = 0;
  g_autofree guint8 *sent = sealed_sent_for_two (bob, carol, &sent_length);
  g_autofree char *sent_text = g_base64_encode (sent, sent_length);
  const struct { const char *bob_key; guint carol_registration; guint status; } sends[] = {
    { bob_key, carol->registration_id % 16380 + 1, 410 },
    { wrong_key, carol->registration_id % 16380 + 1, 401 },
    { bob_key, carol->registration_id, 200 },
  };

  test_set_access_key (fixture->session, fixture->relay, bob, bob_key);
  test_set_access_key (fixture->session, fixture->relay, carol, carol_key);

  for (guint i = 0; i < G_N_ELEMENTS (sends); i++)
    {
      g_autofree char *body = g_strdup_printf (
        "{\"timestamp\":1767225600000,\"content\":\"%s\",\"recipients\":["
        "{\"destination\":\"%s\",\"accessKey\":\"%s\",\"devices\":[{\"deviceId\":1,\"registrationId\":%u}]},"
        "{\"destination\":\"%s\",\"accessKey\":\"%s\",\"devices\":[{\"deviceId\":1,\"registrationId\":%u}]}]}",
        sent_text, bob->uuid, sends[i].bob_key, bob->registration_id, carol->uuid, carol_key,
        sends[i].carol_registration);
      g_autoptr(TestResponse) response = test_request (fixture->session, fixture->relay, "PUT",
                                                       "/v1/messages/multi/unidentified", NULL, body);

      g_assert_cmpuint (response->status, ==, sends[i].status);
      if (sends[i].status == 410)
        {
          JsonArray *named = json_object_get_array_member (test_response_object (response), "recipients");
          JsonObject *recipient;

          g_assert_cmpstr (test_response_error (response), ==, "stale-devices");
          g_assert_cmpuint (json_array_get_length (named), ==, 1);
          recipient = json_array_get_object_element (named, 0);
          g_assert_cmpstr (json_object_get_string_member (recipient, "uuid"), ==, carol->uuid);
          g_assert_cmpint (json_array_get_int_element (json_object_get_array_member (recipient, "staleDevices"), 0),
                           ==, 1);
        }
      else if (sends[i].status == 401)
        {
          g_assert_false (json_object_has_member (test_response_object (response), "recipients"));
        }
      g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==,
                       sends[i].status == 200 ? 2 : 0);
    }
}

/* Content that is not a v2 message, or not for a listed device, is refused. */
static void
test_sealed_multi_hostile (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  g_autofree char *key = test_random_base64 (16, -1);
  g_autofree char *garbage = test_random_base64 (200, 0x23);
  g_autofree char *body = g_strdup_printf (
    "{\"timestamp\":1,\"content\":\"%s\",\"recipients\":[{\"destination\":\"%s\",\"accessKey\":\"%s\","
    "\"devices\":[{\"deviceId\":1,\"registrationId\":%u}]}]}", garbage, bob->uuid, key, bob->registration_id);
  g_autoptr(TestResponse) response = NULL;

  test_set_access_key (fixture->session, fixture->relay, bob, key);
  response = test_request (fixture->session, fixture->relay, "PUT", "/v1/messages/multi/unidentified", NULL, body);
  g_assert_cmpuint (response->status, ==, 400);
  g_assert_cmpstr (test_response_error (response), ==, "bad-value");
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, 0);
}

/* A v2 SentMessage of @length zero bytes of inner message, for @to's
 * first device alone. */
static guint8 *
sealed_sent_for (TestAccount *to,
                 gsize        length,
                 size_t      *sent_length)
{
  g_autofree guint8 *usmc = g_malloc0 (MAX (length, 1));
  SpKeyPair sender, identity;
  SpSealedRecipient recipient;
  guint8 *sent;
  gsize size;

  g_assert_cmpint (sp_key_pair_generate (&sender), ==, SP_OK);
  g_assert_cmpint (sp_key_pair_generate (&identity), ==, SP_OK);
  recipient = (SpSealedRecipient) { to->uuid, 1, to->registration_id, identity.public_key };
  size = sp_sealed_sender_v2_size (&recipient, 1, length);
  sent = g_malloc (size);
  g_assert_cmpint (sp_sealed_sender_encrypt_v2 (sent, size, sent_length, &sender, &recipient, 1, usmc, length,
                                                NULL), ==, SP_OK);
  return sent;
}

/* A v2 upload whose recipient table is padded with excluded recipients
 * nobody named is refused before any split, and nothing is stored. */
static void
test_sealed_multi_padded (Fixture       *fixture,
                          gconstpointer  data)
{
  enum { PADDING = 200, ENTRY = 17 + 3 + 48, EXCLUDED = 17 + 1 };
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  g_autofree char *key = test_random_base64 (16, -1);
  size_t sent_length = 0;
  g_autofree guint8 *sent = sealed_sent_for (bob, 16, &sent_length);
  g_autoptr(GByteArray) padded = g_byte_array_new ();
  g_autofree char *padded_text = NULL;
  g_autofree char *body = NULL;
  g_autoptr(TestResponse) response = NULL;
  /* The count of 1 + PADDING as a two-byte varint. */
  const guint8 header[] = { 0x23, (1 + PADDING) | 0x80, (1 + PADDING) >> 7 };

  /* Version, a count of one, bob's entry, then what follows the table. */
  g_assert_cmpuint (sent[1], ==, 1);
  g_byte_array_append (padded, header, sizeof header);
  g_byte_array_append (padded, sent + 2, ENTRY);
  for (guint i = 0; i < PADDING; i++)
    {
      guint8 excluded[EXCLUDED] = { 0 };

      /* An ACI service id of its own, then device 0: excluded. */
      excluded[1] = 0xee;
      excluded[2] = i & 0xff;
      excluded[3] = i >> 8;
      g_byte_array_append (padded, excluded, sizeof excluded);
    }
  g_byte_array_append (padded, sent + 2 + ENTRY, sent_length - 2 - ENTRY);
  padded_text = g_base64_encode (padded->data, padded->len);
  body = g_strdup_printf ("{\"timestamp\":1,\"content\":\"%s\",\"recipients\":[{\"destination\":\"%s\","
                          "\"accessKey\":\"%s\",\"devices\":[{\"deviceId\":1,\"registrationId\":%u}]}]}",
                          padded_text, bob->uuid, key, bob->registration_id);
  test_set_access_key (fixture->session, fixture->relay, bob, key);
  response = test_request (fixture->session, fixture->relay, "PUT", "/v1/messages/multi/unidentified", NULL, body);
  g_assert_cmpuint (response->status, ==, 400);
  g_assert_cmpstr (test_response_error (response), ==, "bad-value");
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, 0);
}

/* A v2 upload for @to's first device, as the JSON body to send. */
static char *
sealed_upload_for (TestAccount *to,
                   const char  *key,
                   gsize        length)
{
  size_t sent_length = 0;
  g_autofree guint8 *sent = sealed_sent_for (to, length, &sent_length);
  g_autofree char *sent_text = g_base64_encode (sent, sent_length);

  return g_strdup_printf ("{\"timestamp\":1,\"content\":\"%s\",\"recipients\":[{\"destination\":\"%s\","
                          "\"accessKey\":\"%s\",\"devices\":[{\"deviceId\":1,\"registrationId\":%u}]}]}",
                          sent_text, to->uuid, key, to->registration_id);
}

/* What split uploads hold while they wait for storage is bounded
 * relay-wide (the fixture allows 2000 bytes): past it, 503, before any
 * access key is checked, and nothing is stored. */
static void
test_sealed_multi_held (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  g_autofree char *key = test_random_base64 (16, -1);
  g_autofree char *small = sealed_upload_for (bob, key, 100);
  g_autofree char *large = sealed_upload_for (bob, key, 2000);
  g_autoptr(TestResponse) large_response = NULL;
  g_autoptr(TestResponse) small_response = NULL;

  test_set_access_key (fixture->session, fixture->relay, bob, key);
  large_response = test_request (fixture->session, fixture->relay, "PUT", "/v1/messages/multi/unidentified", NULL,
                                 large);
  g_assert_cmpuint (large_response->status, ==, 503);
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, 0);
  /* The refused upload holds nothing: a small one still fits. */
  small_response = test_request (fixture->session, fixture->relay, "PUT", "/v1/messages/multi/unidentified", NULL,
                                 small);
  g_assert_cmpuint (small_response->status, ==, 200);
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, 1);
}

/* A v2 upload's "expiresInMs" goes to every split envelope; one longer
 * than the relay keeps envelopes (an hour, here) is refused with 400
 * before the access keys are checked, and nothing is stored. */
static void
test_sealed_multi_expiry (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  g_autofree char *key = test_random_base64 (16, -1);
  g_autofree char *wrong_key = test_random_base64 (16, -1);
  g_autofree char *upload = sealed_upload_for (bob, key, 100);
  g_autofree char *wrong_upload = sealed_upload_for (bob, wrong_key, 100);
  const char *expiries[] = { "\"expiresInMs\":3600001,", "\"expiresInMs\":5000," };

  g_assert_true (g_str_has_prefix (upload, "{\"timestamp\":1,"));
  test_set_access_key (fixture->session, fixture->relay, bob, key);
  for (guint i = 0; i < G_N_ELEMENTS (expiries); i++)
    {
      g_autofree char *wrong_body = g_strconcat ("{", expiries[i], wrong_upload + 1, NULL);
      g_autofree char *body = g_strconcat ("{", expiries[i], upload + 1, NULL);
      g_autoptr(TestResponse) wrong = test_request (fixture->session, fixture->relay, "PUT",
                                                    "/v1/messages/multi/unidentified", NULL, wrong_body);
      g_autoptr(TestResponse) response = test_request (fixture->session, fixture->relay, "PUT",
                                                       "/v1/messages/multi/unidentified", NULL, body);

      g_assert_cmpuint (wrong->status, ==, i == 0 ? 400 : 401);
      g_assert_cmpuint (response->status, ==, i == 0 ? 400 : 200);
      g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, i);
    }
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue WHERE expires_at = server_timestamp + 5000"),
                   ==, 1);
}

/* Access keys are checked before the upload is split: an upload whose
 * split would be past what the relay holds (the fixture allows 2000
 * bytes) gets 401, not 503, when a key is wrong, and with a right key
 * for one recipient and a wrong one for the other nothing is stored. */
static void
test_sealed_multi_keys_first (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  g_autoptr(TestAccount) carol = test_account_register (fixture->session, fixture->relay, "carol", 1);
  g_autofree char *key = test_random_base64 (16, -1);
  g_autofree char *wrong = test_random_base64 (16, -1);
  g_autofree char *large = sealed_upload_for (bob, wrong, 2000);
  g_autofree char *content = NULL;
  g_autofree char *both = NULL;
  g_autoptr(TestResponse) large_response = NULL;
  g_autoptr(TestResponse) both_response = NULL;
  SpSealedRecipient recipients[2];
  SpKeyPair sender, identity;
  g_autofree guint8 *usmc = g_malloc0 (100);
  g_autofree guint8 *sent = NULL;
  size_t sent_length = 0;
  gsize size;

  test_set_access_key (fixture->session, fixture->relay, bob, key);
  test_set_access_key (fixture->session, fixture->relay, carol, key);
  large_response = test_request (fixture->session, fixture->relay, "PUT", "/v1/messages/multi/unidentified", NULL,
                                 large);
  g_assert_cmpuint (large_response->status, ==, 401);
  g_assert_cmpstr (test_response_error (large_response), ==, "unauthorized");

  g_assert_cmpint (sp_key_pair_generate (&sender), ==, SP_OK);
  g_assert_cmpint (sp_key_pair_generate (&identity), ==, SP_OK);
  recipients[0] = (SpSealedRecipient) { bob->uuid, 1, bob->registration_id, identity.public_key };
  recipients[1] = (SpSealedRecipient) { carol->uuid, 1, carol->registration_id, identity.public_key };
  size = sp_sealed_sender_v2_size (recipients, 2, 100);
  sent = g_malloc (size);
  g_assert_cmpint (sp_sealed_sender_encrypt_v2 (sent, size, &sent_length, &sender, recipients, 2, usmc, 100, NULL),
                   ==, SP_OK);
  content = g_base64_encode (sent, sent_length);
  both = g_strdup_printf ("{\"timestamp\":1,\"content\":\"%s\",\"recipients\":["
                          "{\"destination\":\"%s\",\"accessKey\":\"%s\",\"devices\":[{\"deviceId\":1,\"registrationId\":%u}]},"
                          "{\"destination\":\"%s\",\"accessKey\":\"%s\",\"devices\":[{\"deviceId\":1,\"registrationId\":%u}]}]}",
                          content, bob->uuid, key, bob->registration_id, carol->uuid, wrong, carol->registration_id);
  both_response = test_request (fixture->session, fixture->relay, "PUT", "/v1/messages/multi/unidentified", NULL,
                                both);
  g_assert_cmpuint (both_response->status, ==, 401);
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, 0);
}

/* A v2 upload of under 1 MiB whose split would store more than 8 MiB
 * (40 devices of 250 KB each) is refused after the first split. */
static void
test_sealed_multi_too_large (Fixture       *fixture,
                             gconstpointer  data)
{
  enum { N = 40, CONTENT = 250 * 1000 };
  g_autofree char *key = test_random_base64 (16, -1);
  g_autofree guint8 *usmc = g_malloc0 (CONTENT);
  g_autoptr(GString) body = g_string_new ("{\"timestamp\":1,\"content\":\"");
  g_autoptr(TestResponse) response = NULL;
  char uuids[N][37];
  SpSealedRecipient recipients[N];
  SpKeyPair sender, identity;
  g_autofree guint8 *sent = NULL;
  g_autofree char *sent_text = NULL;
  size_t sent_length = 0;
  gsize size;

  g_assert_cmpint (sp_key_pair_generate (&sender), ==, SP_OK);
  g_assert_cmpint (sp_key_pair_generate (&identity), ==, SP_OK);
  for (guint i = 0; i < N; i++)
    {
      g_snprintf (uuids[i], sizeof uuids[i], "%08x-0000-4000-8000-000000000000", i);
      recipients[i] = (SpSealedRecipient) { uuids[i], 1, 1, identity.public_key };
    }
  size = sp_sealed_sender_v2_size (recipients, N, CONTENT);
  sent = g_malloc (size);
  g_assert_cmpint (sp_sealed_sender_encrypt_v2 (sent, size, &sent_length, &sender, recipients, N, usmc,
                                                CONTENT, NULL), ==, SP_OK);
  sent_text = g_base64_encode (sent, sent_length);
  g_string_append_printf (body, "%s\",\"recipients\":[", sent_text);
  for (guint i = 0; i < N; i++)
    g_string_append_printf (body, "%s{\"destination\":\"%s\",\"accessKey\":\"%s\",\"devices\":"
                            "[{\"deviceId\":1,\"registrationId\":1}]}", i > 0 ? "," : "", uuids[i], key);
  g_string_append (body, "]}");
  g_assert_cmpuint (body->len, <, 1024 * 1024);
  response = test_request (fixture->session, fixture->relay, "PUT", "/v1/messages/multi/unidentified", NULL,
                           body->str);
  g_assert_cmpuint (response->status, ==, 413);
  g_assert_cmpstr (test_response_error (response), ==, "too-large");
  g_assert_cmpint (test_fixture_query_int (fixture, "SELECT count(*) FROM queue"), ==, 0);
}

static TestResponse *
put_profile (Fixture     *fixture,
             TestAccount *account,
             GBytes      *profile)
{
  g_autoptr(SoupMessage) message = test_message_new (fixture->relay, "PUT", "/v1/profile", account->auth, NULL);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;
  TestResponse *response = g_new0 (TestResponse, 1);

  soup_message_set_request_body_from_bytes (message, "application/octet-stream", profile);
  reply = soup_session_send_and_read (fixture->session, message, NULL, &error);
  g_assert_no_error (error);
  response->status = soup_message_get_status (message);
  response->body = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
  return response;
}

static GBytes *
get_profile (Fixture     *fixture,
             TestAccount *reader,
             const char  *uuid,
             guint       *status)
{
  g_autofree char *path = g_strdup_printf ("/v1/profile/%s", uuid);
  g_autoptr(SoupMessage) message = test_message_new (fixture->relay, "GET", path, reader->auth, NULL);
  g_autoptr(GError) error = NULL;
  GBytes *reply = soup_session_send_and_read (fixture->session, message, NULL, &error);

  g_assert_no_error (error);
  *status = soup_message_get_status (message);
  return reply;
}

static void
test_profiles (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 1);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 1);
  gsize full = 1024 * 1024 + 4096;
  g_autofree guint8 *blob = g_malloc (full);
  g_autoptr(GBytes) profile = NULL;
  g_autofree char *head = NULL;
  int fd;
  g_autoptr(GBytes) read = NULL;
  g_autoptr(GBytes) missing = NULL;
  g_autoptr(TestResponse) stored = NULL;
  guint status;

  missing = get_profile (fixture, bob, alice->uuid, &status);
  g_assert_cmpuint (status, ==, 404);
  randombytes_buf (blob, full);
  profile = g_bytes_new (blob, full);
  stored = put_profile (fixture, alice, profile);
  g_assert_cmpuint (stored->status, ==, 200);
  read = get_profile (fixture, bob, alice->uuid, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (g_bytes_equal (read, profile));

  /* An oversize profile is refused from its head, before its body is
   * read, and the stored one stays. */
  g_clear_pointer (&read, g_bytes_unref);
  fd = test_raw_connect (fixture->relay);
  head = g_strdup_printf ("PUT /v1/profile HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\n"
                          "Content-Length: %u\r\n\r\n", alice->auth, 1024 * 1024 + 64 * 1024 + 1);
  g_assert_cmpuint (test_raw_exchange (fd, head, NULL), ==, 413);
  close (fd);
  read = get_profile (fixture, bob, alice->uuid, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (g_bytes_equal (read, profile));
}

/* A profile may be larger than max-request-bytes, but only a device
 * whose credentials check out makes the relay read that much: with
 * wrong ones, the answer comes before the body has been sent. */
static void
test_profile_unauthenticated (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 1);
  g_autofree char *wrong = test_basic_auth (alice->uuid, 1, "not-the-password");
  g_autofree char *head = NULL;
  gboolean closed = FALSE;
  int fd = test_raw_connect (fixture->relay);

  head = g_strdup_printf ("PUT /v1/profile HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\n"
                          "Content-Length: %u\r\n\r\n", wrong, 1024 * 1024 + 4096);
  g_assert_cmpuint (test_raw_exchange (fd, head, &closed), ==, 401);
  g_assert_true (closed);
  close (fd);
}

/* Sender certificates, from a server key that the sealed-sender
 * subcommand made and a root it keeps apart. */
static void
test_sender_certificate (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autofree char *keys = test_relay_make_data_dir ();
  g_autofree char *root = g_build_filename (keys, "root", NULL);
  g_autofree char *server = g_build_filename (keys, "server", NULL);
  g_autofree char *installed = g_build_filename (dir, "sealed-sender.key", NULL);
  g_autofree char *root_public = NULL;
  g_autofree char *out = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *mismatched = NULL;
  g_auto(GStrv) splitted = NULL;
  const char *new_root[] = { "sealed-sender", "new-root", root, NULL };
  g_autofree char *next = g_build_filename (keys, "next", NULL);
  const char *issue[] = { "sealed-sender", "issue", root, "7", server, NULL };
  const char *issue_next[] = { "sealed-sender", "issue", root, "8", next, NULL };
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestRelay) relay = NULL;
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(TestResponse) keys_response = NULL;
  g_autoptr(TestResponse) anonymous = NULL;
  g_autoptr(TestResponse) forged = NULL;
  g_autofree char *forged_auth = NULL;
  g_autofree guint8 *root_key = NULL;
  g_autofree guint8 *certificate = NULL;
  g_autofree guint8 *identity = NULL;
  gsize root_length, certificate_length, identity_length;
  g_autofree char *keys_path = NULL;
  SpSenderCertificate decoded;
  SpPublicKey trust_root;
  gint64 expires;

  /* Without a key the relay issues none. */
  relay = test_relay_start (dir, test_relay_relaxed_conf, NULL);
  alice = test_account_register (session, relay, "alice", 1);
  response = test_request (session, relay, "GET", "/v1/certificate/delivery", alice->auth, NULL);
  g_assert_cmpuint (response->status, ==, 404);
  g_clear_pointer (&response, test_response_free);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  g_clear_pointer (&relay, test_relay_free);

  g_assert_cmpint (test_relay_run (new_root, &root_public, NULL), ==, 0);
  g_strstrip (root_public);
  /* A key file is never overwritten. */
  g_assert_cmpint (test_relay_run (new_root, NULL, NULL), ==, 1);
  g_assert_cmpint (test_relay_run (issue, &out, NULL), ==, 0);
  g_assert_true (g_file_get_contents (server, &contents, NULL, NULL));
  g_assert_true (g_file_set_contents_full (installed, contents, -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL));

  relay = test_relay_start (dir, test_relay_relaxed_conf, NULL);
  anonymous = test_request (session, relay, "GET", "/v1/certificate/delivery", NULL, NULL);
  g_assert_cmpuint (anonymous->status, ==, 401);
  forged_auth = test_basic_auth (alice->uuid, 1, "not-alice-password-at-all");
  forged = test_request (session, relay, "GET", "/v1/certificate/delivery", forged_auth, NULL);
  g_assert_cmpuint (forged->status, ==, 401);
  response = test_request (session, relay, "GET", "/v1/certificate/delivery", alice->auth, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  certificate = g_base64_decode (json_object_get_string_member (test_response_object (response), "certificate"),
                                 &certificate_length);
  expires = json_object_get_int_member (test_response_object (response), "expires");
  root_key = g_base64_decode (root_public, &root_length);
  g_assert_cmpint (sp_public_key_decode (&trust_root, root_key, root_length), ==, SP_OK);
  g_assert_cmpint (sp_sender_certificate_decode (&decoded, certificate, certificate_length), ==, SP_OK);
  g_assert_cmpstr (decoded.sender_uuid, ==, alice->uuid);
  g_assert_cmpuint (decoded.device_id, ==, 1);
  g_assert_cmpuint (decoded.expires_ms, ==, (guint64) expires);
  g_assert_cmpuint (decoded.signer.key_id, ==, 7);
  g_assert_cmpint (sp_sender_certificate_validate (&decoded, &trust_root, (guint64) g_get_real_time () / 1000),
                   ==, SP_OK);
  /* Short-lived: a day from now it no longer holds. */
  g_assert_cmpint (sp_sender_certificate_validate (&decoded, &trust_root, (guint64) expires + 1), ==,
                   SP_ERR_CERTIFICATE_EXPIRED);
  keys_path = g_strdup_printf ("/v1/keys/%s/1", alice->uuid);
  keys_response = test_request (session, relay, "GET", keys_path, alice->auth, NULL);
  identity = g_base64_decode (json_object_get_string_member (test_response_object (keys_response), "identityKey"),
                              &identity_length);
  g_assert_cmpmem (decoded.identity_key.bytes, SP_PUBLIC_KEY_SIZE, identity, identity_length);

  /* SIGHUP rotates the server key: the next certificate is under key 8. */
  g_assert_cmpint (test_relay_run (issue_next, NULL, NULL), ==, 0);
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (next, &contents, NULL, NULL));
  g_assert_true (g_file_set_contents_full (installed, contents, -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
  g_subprocess_send_signal (relay->process, SIGHUP);
  test_relay_wait_for_log (relay, "with server key 8");
  g_clear_pointer (&response, test_response_free);
  response = test_request (session, relay, "GET", "/v1/certificate/delivery", alice->auth, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  g_clear_pointer (&certificate, g_free);
  certificate = g_base64_decode (json_object_get_string_member (test_response_object (response), "certificate"),
                                 &certificate_length);
  g_assert_cmpint (sp_sender_certificate_decode (&decoded, certificate, certificate_length), ==, SP_OK);
  g_assert_cmpuint (decoded.signer.key_id, ==, 8);
  g_assert_cmpint (sp_sender_certificate_validate (&decoded, &trust_root, (guint64) g_get_real_time () / 1000),
                   ==, SP_OK);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  g_clear_pointer (&relay, test_relay_free);

  /* A key file whose certificate is not for its key id stops the relay. */
  mismatched = g_strjoinv ("key-id=7", (splitted = g_strsplit (contents, "key-id=8", 2)));
  g_assert_cmpstr (mismatched, !=, contents);
  g_assert_true (g_file_set_contents_full (installed, mismatched, -1, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
  {
    const char *start[] = { "--listen", "127.0.0.1:0", "--data-dir", dir, NULL };
    g_autofree char *err = NULL;

    g_assert_cmpint (test_relay_run (start, NULL, &err), ==, 1);
    g_assert_nonnull (strstr (err, "sealed-sender.key"));
  }
  g_assert_cmpint (g_remove (installed), ==, 0);
  g_assert_cmpint (g_remove (root), ==, 0);
  g_assert_cmpint (g_remove (server), ==, 0);
  g_assert_cmpint (g_remove (next), ==, 0);
  test_relay_remove_data_dir (dir);
  test_relay_remove_data_dir (keys);
}

/* Replaces the relay's sealed-sender.key with `contents` (GLib without
 * G_FILE_SET_CONTENTS_CONSISTENT does not truncate a longer file). */
static void
write_sealed_key (const char *installed,
                  const char *contents)
{
  g_assert_true (g_file_set_contents_full (installed, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
}

/* Installs the key file at `source` as the relay's sealed-sender.key. */
static void
install_sealed_key (const char *source,
                    const char *installed)
{
  g_autofree char *contents = NULL;

  g_assert_true (g_file_get_contents (source, &contents, NULL, NULL));
  write_sealed_key (installed, contents);
}

/* The root's public key, published for clients that were given none
 * (GET /v1/certificate/trust-root): only from a key file that names it,
 * and only when it is the key that signed the server certificate; and
 * certificates as short-lived as sender-certificate-lifetime-seconds. */
static void
test_trust_root (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  g_autofree char *keys = test_relay_make_data_dir ();
  g_autofree char *root = g_build_filename (keys, "root", NULL);
  g_autofree char *other_root = g_build_filename (keys, "other-root", NULL);
  g_autofree char *server = g_build_filename (keys, "server", NULL);
  g_autofree char *other_server = g_build_filename (keys, "other-server", NULL);
  g_autofree char *installed = g_build_filename (dir, "sealed-sender.key", NULL);
  g_autofree char *conf = g_strconcat (test_relay_relaxed_conf,
                                       "[limits]\nsender-certificate-lifetime-seconds=30\n", NULL);
  g_autofree char *root_public = NULL;
  g_autofree char *other_public = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *legacy = NULL;
  g_autofree char *swapped = NULL;
  const char *new_root[] = { "sealed-sender", "new-root", root, NULL };
  const char *new_other_root[] = { "sealed-sender", "new-root", other_root, NULL };
  const char *issue[] = { "sealed-sender", "issue", root, "7", server, NULL };
  const char *issue_other[] = { "sealed-sender", "issue", other_root, "9", other_server, NULL };
  const char *start[] = { "--listen", "127.0.0.1:0", "--data-dir", dir, NULL };
  g_autoptr(SoupSession) session = test_session_new ();
  g_autoptr(TestRelay) relay = NULL;
  g_autoptr(TestAccount) alice = NULL;
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(TestResponse) certificate = NULL;
  g_autofree char *err = NULL;
  gint64 expires;
  gint64 before;

  g_assert_cmpint (test_relay_run (new_root, &root_public, NULL), ==, 0);
  g_strstrip (root_public);
  g_assert_cmpint (test_relay_run (new_other_root, &other_public, NULL), ==, 0);
  g_strstrip (other_public);
  g_assert_cmpint (test_relay_run (issue, NULL, NULL), ==, 0);
  g_assert_cmpint (test_relay_run (issue_other, NULL, NULL), ==, 0);

  /* No key, no root. */
  relay = test_relay_start (dir, conf, NULL);
  response = test_request (session, relay, "GET", "/v1/certificate/trust-root", NULL, NULL);
  g_assert_cmpuint (response->status, ==, 404);
  g_clear_pointer (&response, test_response_free);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  g_clear_pointer (&relay, test_relay_free);

  /* The key file that issue wrote names its root: the relay publishes
   * it to anyone, without credentials. */
  install_sealed_key (server, installed);
  relay = test_relay_start (dir, conf, NULL);
  response = test_request (session, relay, "GET", "/v1/certificate/trust-root", NULL, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (test_response_object (response), "trustRoot"), ==, root_public);
  g_clear_pointer (&response, test_response_free);

  /* Certificates live as long as the relay is told. */
  alice = test_account_register (session, relay, "alice", 1);
  before = g_get_real_time () / 1000;
  certificate = test_request (session, relay, "GET", "/v1/certificate/delivery", alice->auth, NULL);
  g_assert_cmpuint (certificate->status, ==, 200);
  expires = json_object_get_int_member (test_response_object (certificate), "expires");
  g_assert_cmpint (expires, >=, before + 30 * 1000);
  g_assert_cmpint (expires, <=, g_get_real_time () / 1000 + 30 * 1000);

  /* SIGHUP with a key under another root: the relay publishes the new
   * root (clients that pinned the old one do not take it). */
  install_sealed_key (other_server, installed);
  g_subprocess_send_signal (relay->process, SIGHUP);
  test_relay_wait_for_log (relay, "with server key 9");
  response = test_request (session, relay, "GET", "/v1/certificate/trust-root", NULL, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (test_response_object (response), "trustRoot"), ==, other_public);
  g_clear_pointer (&response, test_response_free);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  g_clear_pointer (&relay, test_relay_free);

  /* A key file from before the root was written into it still issues
   * certificates, and publishes no root. */
  g_assert_true (g_file_get_contents (server, &contents, NULL, NULL));
  legacy = g_strndup (contents, strstr (contents, "trust-root=") - contents);
  write_sealed_key (installed, legacy);
  relay = test_relay_start (dir, conf, NULL);
  response = test_request (session, relay, "GET", "/v1/certificate/trust-root", NULL, NULL);
  g_assert_cmpuint (response->status, ==, 404);
  g_clear_pointer (&response, test_response_free);
  response = test_request (session, relay, "GET", "/v1/certificate/delivery", alice->auth, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  g_clear_pointer (&response, test_response_free);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  g_clear_pointer (&relay, test_relay_free);

  /* A key file that names a root other than its certificate's signer
   * stops the relay: it would publish a root nothing chains to. */
  swapped = g_strdup_printf ("%strust-root=%s\n", legacy, other_public);
  write_sealed_key (installed, swapped);
  g_assert_cmpint (test_relay_run (start, NULL, &err), ==, 1);
  g_assert_nonnull (strstr (err, "trust-root"));

  g_assert_cmpint (g_remove (installed), ==, 0);
  g_assert_cmpint (g_remove (root), ==, 0);
  g_assert_cmpint (g_remove (other_root), ==, 0);
  g_assert_cmpint (g_remove (server), ==, 0);
  g_assert_cmpint (g_remove (other_server), ==, 0);
  test_relay_remove_data_dir (dir);
  test_relay_remove_data_dir (keys);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *rationed = NULL;
  g_autoptr(GString) wrong_keys = g_string_new (test_relay_relaxed_conf);
  g_autoptr(GString) account_sends = g_string_new (test_relay_relaxed_conf);
  g_autofree char *held = g_strconcat (test_relay_relaxed_conf, "[limits]\nmax-split-bytes=2000\n", NULL);
  g_autofree char *small_share = g_strconcat (test_relay_relaxed_conf, "[limits]\nmax-queue-envelopes-per-sender=8\n",
                                              NULL);
  g_autofree char *hour = g_strconcat (test_relay_relaxed_conf, "[limits]\nmax-queue-age-seconds=3600\n", NULL);

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sp_init (), ==, SP_OK);
  /* The relaxed limits end with their section, which this joins. */
  rationed = g_strconcat (test_relay_relaxed_conf, "target-unidentified-sends=0.001/2\n", NULL);
  g_string_replace (wrong_keys, "address-auth-failures=100000/100000", "address-auth-failures=0.001/4", 1);
  g_string_append (wrong_keys, "target-unidentified-sends=0.001/2\n");
  g_string_replace (account_sends, "account-sends=100000/100000", "account-sends=0.001/3", 1);
#define ADD(path, func, conf) \
  g_test_add ("/relay/fanout/" path, Fixture, conf, test_fixture_setup, func, test_fixture_teardown)
  ADD ("multi-send", test_multi_send, NULL);
  ADD ("multi-send-rate", test_multi_send_rate, account_sends->str);
  ADD ("multi-send-mismatch", test_multi_send_mismatch, NULL);
  ADD ("multi-send-hostile", test_multi_send_hostile, NULL);
  ADD ("multi-send-websocket", test_multi_send_websocket, NULL);
  ADD ("unidentified-send", test_unidentified_send, NULL);
  ADD ("unidentified-rate", test_unidentified_rate, rationed);
  ADD ("unidentified-wrong-keys", test_unidentified_wrong_keys, wrong_keys->str);
  ADD ("sealed-share-per-address", test_sealed_share_per_address, small_share);
  ADD ("unidentified-rate-at-once", test_unidentified_rate_at_once, rationed);
  ADD ("sealed-share-at-once", test_sealed_share_at_once, small_share);
  ADD ("sealed-multi", test_sealed_multi, NULL);
  ADD ("sealed-multi-hostile", test_sealed_multi_hostile, NULL);
  ADD ("sealed-multi-mismatch", test_sealed_multi_mismatch, NULL);
  ADD ("sealed-multi-padded", test_sealed_multi_padded, NULL);
  ADD ("sealed-multi-held", test_sealed_multi_held, held);
  ADD ("sealed-multi-keys-first", test_sealed_multi_keys_first, held);
  ADD ("sealed-multi-too-large", test_sealed_multi_too_large, NULL);
  ADD ("sealed-multi-expiry", test_sealed_multi_expiry, hour);
  ADD ("profiles", test_profiles, NULL);
  ADD ("profile-unauthenticated", test_profile_unauthenticated, NULL);
#undef ADD
  g_test_add_func ("/relay/fanout/sender-certificate", test_sender_certificate);
  g_test_add_func ("/relay/fanout/trust-root", test_trust_root);
  return g_test_run ();
}
