/* test-relay-online.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Online-only sends ("online": true), against a real sotto-relay
 * process: pushed to a connected device without a GUID, stored nowhere,
 * lost for a device that is offline, the same answer either way, and an
 * unidentified one only with the right access key.
 */

#include "config.h"

#include "relay-test-util.h"

typedef TestFixture Fixture;

#define ACCESS_KEY "AAECAwQFBgcICQoLDA0ODw=="
#define WRONG_ACCESS_KEY "DwAAAAAAAAAAAAAAAAAAAA=="

static char *
online_body (TestAccount *to,
             const char  *access_key,
             guint        type,
             const char  *content)
{
  g_autofree char *key_member = access_key != NULL ? g_strdup_printf ("\"accessKey\":\"%s\",", access_key)
                                                   : g_strdup ("");

  return g_strdup_printf ("{%s\"online\":true,\"timestamp\":1767225600000,\"messages\":"
                          "[{\"type\":%u,\"destinationDeviceId\":1,"
                          "\"destinationRegistrationId\":%u,\"content\":\"%s\"}]}",
                          key_member, type, to->registration_id, content);
}

/* Sends online-only from @from, or unidentified with @access_key when
 * @from is %NULL; checks the answer names no envelope. */
static guint
send_online (Fixture     *fixture,
             TestAccount *from,
             TestAccount *to,
             const char  *access_key,
             const char  *content)
{
  g_autofree char *path = from != NULL ? g_strdup_printf ("/v1/messages/%s", to->uuid)
                                       : g_strdup_printf ("/v1/messages/%s/unidentified", to->uuid);
  g_autofree char *body = online_body (to, access_key, from != NULL ? 1 : 6, content);
  g_autoptr(TestResponse) response = test_request (fixture->session, fixture->relay, "PUT", path,
                                                   from != NULL ? from->auth : NULL, body);

  if (response->status == 200)
    {
      JsonObject *object = test_response_object (response);

      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "messages")), ==, 0);
      g_assert_true (json_object_has_member (object, "serverTimestamp"));
    }
  return response->status;
}

static gint64
online_pushed (Fixture *fixture)
{
  return test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_online_total");
}

static void
expect_online_envelope (TestSocket  *socket,
                        const char  *content,
                        const char  *source)
{
  g_autoptr(JsonNode) node = NULL;
  JsonObject *envelope = test_socket_expect_envelope (socket, &node);

  g_assert_true (json_object_get_boolean_member (envelope, "online"));
  g_assert_false (json_object_has_member (envelope, "guid"));
  g_assert_cmpstr (json_object_get_string_member (envelope, "content"), ==, content);
  if (source != NULL)
    g_assert_cmpstr (json_object_get_string_member (envelope, "source"), ==, source);
  else
    g_assert_false (json_object_has_member (envelope, "source"));
}

static void
expect_nothing (TestSocket *socket)
{
  g_autoptr(JsonNode) node = test_socket_next (socket, 300);

  g_assert_null (node);
}

/* A connected device gets it at once; an offline one never does, and
 * the sender cannot tell the two apart. */
static void
test_online_identified (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestSocket) socket = NULL;

  /* Bob is offline: accepted, and gone. */
  g_assert_cmpuint (send_online (fixture, alice, bob, NULL, "b2ZmbGluZQ=="), ==, 200);
  g_assert_cmpint (online_pushed (fixture), ==, 0);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 0);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_accepted_total"), ==, 0);

  socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  g_assert_no_error (socket->error);
  test_socket_expect_drained (socket);
  expect_nothing (socket);

  /* Bob is online: pushed without a GUID, and still not stored. */
  g_assert_cmpuint (send_online (fixture, alice, bob, NULL, "b25saW5l"), ==, 200);
  expect_online_envelope (socket, "b25saW5l", alice->uuid);
  g_assert_cmpint (online_pushed (fixture), ==, 1);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 0);
  g_clear_pointer (&socket, test_socket_free);

  /* Nothing waits for the next connection. */
  socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  test_socket_expect_drained (socket);
  expect_nothing (socket);

  /* "online" must be a boolean; false is an ordinary, stored send. */
  {
    g_autofree char *path = g_strdup_printf ("/v1/messages/%s", bob->uuid);
    g_autoptr(TestResponse) wrong = test_request (fixture->session, fixture->relay, "PUT", path, alice->auth,
                                                  "{\"online\":1,\"timestamp\":1,\"messages\":[{\"type\":1,"
                                                  "\"destinationDeviceId\":1,\"destinationRegistrationId\":1,"
                                                  "\"content\":\"eA==\"}]}");
    g_autofree char *stored = g_strdup_printf ("{\"online\":false,\"timestamp\":1,\"messages\":[{\"type\":1,"
                                               "\"destinationDeviceId\":1,\"destinationRegistrationId\":%u,"
                                               "\"content\":\"eA==\"}]}", bob->registration_id);
    g_autoptr(TestResponse) ordinary = test_request (fixture->session, fixture->relay, "PUT", path, alice->auth,
                                                     stored);
    g_autoptr(JsonNode) node = NULL;

    g_assert_cmpuint (wrong->status, ==, 400);
    g_assert_cmpstr (test_response_error (wrong), ==, "wrong-type");
    g_assert_cmpuint (ordinary->status, ==, 200);
    g_assert_true (json_object_has_member (test_socket_expect_envelope (socket, &node), "guid"));
  }
  g_assert_cmpint (online_pushed (fixture), ==, 1);
}

/* Sealed: the access key is checked before anything is pushed, and the
 * envelope names no sender. */
static void
test_online_unidentified (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestSocket) socket = NULL;

  test_set_access_key (fixture->session, fixture->relay, bob, ACCESS_KEY);
  socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  test_socket_expect_drained (socket);

  g_assert_cmpuint (send_online (fixture, NULL, bob, WRONG_ACCESS_KEY, "c2VhbGVk"), ==, 401);
  expect_nothing (socket);
  g_assert_cmpint (online_pushed (fixture), ==, 0);

  g_assert_cmpuint (send_online (fixture, NULL, bob, ACCESS_KEY, "c2VhbGVk"), ==, 200);
  expect_online_envelope (socket, "c2VhbGVk", NULL);
  g_assert_cmpint (online_pushed (fixture), ==, 1);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/relay/online/" path, Fixture, NULL, test_fixture_setup, func, test_fixture_teardown)
  ADD ("identified", test_online_identified);
  ADD ("unidentified", test_online_unidentified);
#undef ADD

  return g_test_run ();
}
