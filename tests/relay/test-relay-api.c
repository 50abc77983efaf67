/* test-relay-api.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every HTTP endpoint of API v1, successes and failures, against a real
 * sotto-relay process on loopback; test-relay-websocket.c has the
 * WebSocket.
 */

#include "config.h"

#include <string.h>

#include "relay-api-test-conf.h"
#include "relay-test-util.h"

typedef TestFixture Fixture;

static void
test_health_and_metrics (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(TestResponse) health = test_request (fixture->session, fixture->relay, "GET", "/v1/health",
                                                 NULL, NULL);
  g_autofree char *metrics = NULL;
  const char *names[] = {
    "sotto_relay_envelopes_accepted_total", "sotto_relay_envelopes_delivered_total",
    "sotto_relay_envelopes_queued", "sotto_relay_open_connections",
    "sotto_relay_request_errors_total", "sotto_relay_commit_seconds_bucket",
  };

  g_assert_cmpuint (health->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (test_response_object (health), "status"), ==, "ok");
  metrics = test_relay_metrics_text (fixture->session, fixture->relay);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_nonnull (strstr (metrics, names[i]));
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_http_requests_total"), >=, 2);
}

static void
test_register (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 3);
  g_autoptr(TestResponse) again = NULL;
  g_autofree char *body = NULL;

  g_assert_true (g_uuid_string_is_valid (alice->uuid));
  test_assert_key_counts (fixture, alice, 3, 3);

  body = test_register_body ("alice", "another-password-123", 7, 0, NULL);
  again = test_request (fixture->session, fixture->relay, "POST", "/v1/accounts", NULL, body);
  g_assert_cmpuint (again->status, ==, 409);
  g_assert_cmpstr (test_response_error (again), ==, "username-taken");
}

static void
test_register_token (void)
{
  g_autofree char *dir = test_relay_make_data_dir ();
  const char *args[] = { "--registration", "token:s3cret-token", NULL };
  g_autoptr(TestRelay) relay = test_relay_start (dir, test_relay_relaxed_conf, args);
  g_autoptr(SoupSession) session = test_session_new ();
  const char *tokens[] = { NULL, "wrong-token", "s3cret-toke", "s3cret-token" };
  const guint expected[] = { 403, 403, 403, 200 };

  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      g_autofree char *name = g_strdup_printf ("token_user%u", i);
      g_autofree char *body = test_register_body (name, "a-good-long-password", 42, 1, tokens[i]);
      g_autoptr(TestResponse) response = test_request (session, relay, "POST", "/v1/accounts", NULL, body);

      g_assert_cmpuint (response->status, ==, expected[i]);
      if (expected[i] == 403)
        g_assert_cmpstr (test_response_error (response), ==, "registration-closed");
    }
  g_clear_object (&session);
  g_assert_cmpint (test_relay_stop (relay), ==, 0);
  test_relay_remove_data_dir (dir);
}

static void
test_auth (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autofree char *wrong = test_basic_auth (alice->uuid, 1, "not-the-password!");
  g_autofree char *other_device = test_basic_auth (alice->uuid, 2, alice->password);
  g_autofree char *unknown = test_basic_auth ("00000000-0000-4000-8000-000000000000", 1, alice->password);
  const char *bad[] = { wrong, other_device, unknown, "Basic !!!", "Bearer abc", "Basic " };
  g_autoptr(TestResponse) me = NULL;

  me = test_request (fixture->session, fixture->relay, "GET", "/v1/accounts/me", alice->auth, NULL);
  g_assert_cmpuint (me->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (test_response_object (me), "uuid"), ==, alice->uuid);
  g_assert_cmpint (json_object_get_int_member (test_response_object (me), "deviceId"), ==, 1);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(TestResponse) response = test_request (fixture->session, fixture->relay, "GET",
                                                       "/v1/accounts/me", bad[i], NULL);

      g_assert_cmpuint (response->status, ==, 401);
      g_assert_cmpstr (test_response_error (response), ==, "unauthorized");
    }
  {
    g_autoptr(TestResponse) none = test_request (fixture->session, fixture->relay, "GET",
                                                 "/v1/accounts/me", NULL, NULL);

    g_assert_cmpuint (none->status, ==, 401);
  }
  /* The cached digest must not let a wrong password through either. */
  {
    g_autoptr(TestResponse) again = test_request (fixture->session, fixture->relay, "GET",
                                                  "/v1/accounts/me", wrong, NULL);

    g_assert_cmpuint (again->status, ==, 401);
  }
}

static void
test_prekeys (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 2);
  g_autofree char *ec = test_prekeys_json (100, 5, FALSE);
  g_autofree char *kyber = test_prekeys_json (200, 4, TRUE);
  g_autofree char *upload = g_strdup_printf ("{\"preKeys\":%s,\"pqPreKeys\":%s}", ec, kyber);
  g_autofree char *signed_key = test_random_base64 (33, 0x05);
  g_autofree char *signature = test_random_base64 (64, -1);
  g_autofree char *replace = g_strdup_printf ("{\"signedPreKey\":{\"keyId\":9,\"publicKey\":\"%s\","
                                              "\"signature\":\"%s\"}}", signed_key, signature);
  g_autofree char *too_many_keys = test_prekeys_json (300, 20, FALSE);
  g_autofree char *too_many = g_strdup_printf ("{\"preKeys\":%s}", too_many_keys);
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(TestResponse) bundle = NULL;
  JsonObject *device;

  response = test_request (fixture->session, fixture->relay, "PUT", "/v1/keys", alice->auth, upload);
  g_assert_cmpuint (response->status, ==, 200);
  test_assert_key_counts (fixture, alice, 7, 6);

  g_clear_pointer (&response, test_response_free);
  response = test_request (fixture->session, fixture->relay, "PUT", "/v1/keys", alice->auth, replace);
  g_assert_cmpuint (response->status, ==, 200);
  test_assert_key_counts (fixture, alice, 7, 6);

  /* The relay keeps at most 25 one-time prekeys of a kind here; an
   * upload that would pass that changes nothing. */
  g_clear_pointer (&response, test_response_free);
  response = test_request (fixture->session, fixture->relay, "PUT", "/v1/keys", alice->auth, too_many);
  g_assert_cmpuint (response->status, ==, 400);
  g_assert_cmpstr (test_response_error (response), ==, "too-many");
  test_assert_key_counts (fixture, alice, 7, 6);

  g_clear_pointer (&response, test_response_free);
  response = test_request (fixture->session, fixture->relay, "PUT", "/v1/keys", alice->auth, "{}");
  g_assert_cmpuint (response->status, ==, 400);
  g_assert_cmpstr (test_response_error (response), ==, "missing-field");

  bundle = test_request (fixture->session, fixture->relay, "GET", "/v1/keys/me-is-not-a-uuid",
                         alice->auth, NULL);
  g_assert_cmpuint (bundle->status, ==, 400);
  g_clear_pointer (&bundle, test_response_free);
  {
    g_autofree char *path = g_strdup_printf ("/v1/keys/%s/1", alice->uuid);

    bundle = test_request (fixture->session, fixture->relay, "GET", path, alice->auth, NULL);
  }
  g_assert_cmpuint (bundle->status, ==, 200);
  device = json_array_get_object_element (json_object_get_array_member (test_response_object (bundle),
                                                                        "devices"), 0);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (device, "signedPreKey"),
                                               "keyId"), ==, 9);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (device, "signedPreKey"),
                                                  "publicKey"), ==, signed_key);
  test_assert_key_counts (fixture, alice, 6, 5);
}

static void
test_bundles (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 2);
  g_autofree char *path = g_strdup_printf ("/v1/keys/%s", bob->uuid);
  g_autofree char *path_device2 = g_strdup_printf ("/v1/keys/%s/2", bob->uuid);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(TestResponse) response = test_request (fixture->session, fixture->relay, "GET", path,
                                                       alice->auth, NULL);
      JsonObject *object = test_response_object (response);
      JsonObject *device;
      JsonObject *pq;

      g_assert_cmpuint (response->status, ==, 200);
      g_assert_true (json_object_has_member (object, "identityKey"));
      device = json_array_get_object_element (json_object_get_array_member (object, "devices"), 0);
      g_assert_cmpint (json_object_get_int_member (device, "deviceId"), ==, 1);
      g_assert_cmpint (json_object_get_int_member (device, "registrationId"), ==, bob->registration_id);
      pq = json_object_get_object_member (device, "pqPreKey");
      if (i < 2)
        {
          /* One-time prekeys go out lowest id first, once each. */
          g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (device, "preKey"),
                                                       "keyId"), ==, i + 1);
          g_assert_cmpint (json_object_get_int_member (pq, "keyId"), ==, i + 1);
          g_assert_false (json_object_get_boolean_member (pq, "lastResort"));
        }
      else
        {
          g_assert_false (json_object_has_member (device, "preKey"));
          g_assert_cmpint (json_object_get_int_member (pq, "keyId"), ==, 1000);
          g_assert_true (json_object_get_boolean_member (pq, "lastResort"));
        }
    }
  {
    g_autoptr(TestResponse) missing = test_request (fixture->session, fixture->relay, "GET",
                                                    "/v1/keys/00000000-0000-4000-8000-000000000000",
                                                    alice->auth, NULL);
    g_autoptr(TestResponse) no_device = test_request (fixture->session, fixture->relay, "GET",
                                                      path_device2, alice->auth, NULL);

    g_assert_cmpuint (missing->status, ==, 404);
    g_assert_cmpstr (test_response_error (missing), ==, "not-found");
    g_assert_cmpuint (no_device->status, ==, 404);
  }
  test_assert_key_counts (fixture, bob, 0, 0);
}

static void
test_lookup (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob.b_2", 0);
  g_autoptr(TestResponse) found = test_request (fixture->session, fixture->relay, "GET",
                                                "/v1/accounts/username/bob.b_2", alice->auth, NULL);
  g_autoptr(TestResponse) missing = test_request (fixture->session, fixture->relay, "GET",
                                                  "/v1/accounts/username/nobody", alice->auth, NULL);
  g_autoptr(TestResponse) bad = test_request (fixture->session, fixture->relay, "GET",
                                              "/v1/accounts/username/Bob", alice->auth, NULL);
  g_autoptr(TestResponse) unauthenticated = test_request (fixture->session, fixture->relay, "GET",
                                                          "/v1/accounts/username/bob.b_2", NULL, NULL);
  guint limited = 0;

  g_assert_cmpuint (found->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (test_response_object (found), "uuid"), ==, bob->uuid);
  g_assert_cmpuint (missing->status, ==, 404);
  g_assert_cmpuint (bad->status, ==, 400);
  g_assert_cmpstr (test_response_error (bad), ==, "bad-username");
  g_assert_cmpuint (unauthenticated->status, ==, 401);

  /* This fixture allows a burst of 5 lookups: three are spent above. */
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(TestResponse) response = test_request (fixture->session, fixture->relay, "GET",
                                                       "/v1/accounts/username/bob.b_2", alice->auth, NULL);

      if (response->status == 429)
        {
          g_assert_cmpstr (test_response_error (response), ==, "rate-limited");
          limited++;
        }
      else
        g_assert_cmpuint (response->status, ==, 200);
    }
  g_assert_cmpuint (limited, >=, 2);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_rate_limited_total"), ==, limited);
}

static void
test_send (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autofree char *path = g_strdup_printf ("/v1/messages/%s", bob->uuid);
  g_autofree char *content = test_random_base64 (100, -1);
  g_autofree char *good = test_send_body (1, bob->registration_id, content);
  g_autofree char *stale = test_send_body (1, bob->registration_id % 16380 + 1, content);
  g_autofree char *extra = g_strdup_printf ("{\"timestamp\":1,\"messages\":["
                                            "{\"type\":1,\"destinationDeviceId\":1,\"destinationRegistrationId\":%u,\"content\":\"AA==\"},"
                                            "{\"type\":1,\"destinationDeviceId\":2,\"destinationRegistrationId\":5,\"content\":\"AA==\"}]}",
                                            bob->registration_id);
  g_autofree char *wrong_device = test_send_body (3, bob->registration_id, content);
  g_autoptr(TestResponse) response = NULL;
  JsonObject *object;
  JsonArray *array;

  response = test_request (fixture->session, fixture->relay, "PUT", path, alice->auth, good);
  g_assert_cmpuint (response->status, ==, 200);
  object = test_response_object (response);
  array = json_object_get_array_member (object, "messages");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  g_assert_true (g_uuid_string_is_valid (json_object_get_string_member (json_array_get_object_element (array, 0),
                                                                        "guid")));
  g_assert_cmpint (json_object_get_int_member (object, "serverTimestamp"), >, 0);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_accepted_total"), ==, 1);
  /* The send's time inside the relay, in its two parts. */
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_send_storage_seconds_count"), ==, 1);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_send_handback_seconds_count"), ==, 1);

  g_clear_pointer (&response, test_response_free);
  response = test_request (fixture->session, fixture->relay, "PUT", path, alice->auth, stale);
  g_assert_cmpuint (response->status, ==, 410);
  g_assert_cmpstr (test_response_error (response), ==, "stale-devices");
  array = json_object_get_array_member (test_response_object (response), "staleDevices");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  g_assert_cmpint (json_array_get_int_element (array, 0), ==, 1);

  g_clear_pointer (&response, test_response_free);
  response = test_request (fixture->session, fixture->relay, "PUT", path, alice->auth, extra);
  g_assert_cmpuint (response->status, ==, 409);
  g_assert_cmpstr (test_response_error (response), ==, "device-mismatch");
  array = json_object_get_array_member (test_response_object (response), "extraDevices");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  g_assert_cmpint (json_array_get_int_element (array, 0), ==, 2);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (test_response_object (response),
                                                                         "missingDevices")), ==, 0);

  g_clear_pointer (&response, test_response_free);
  response = test_request (fixture->session, fixture->relay, "PUT", path, alice->auth, wrong_device);
  g_assert_cmpuint (response->status, ==, 409);
  array = json_object_get_array_member (test_response_object (response), "missingDevices");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  g_assert_cmpint (json_array_get_int_element (array, 0), ==, 1);

  g_clear_pointer (&response, test_response_free);
  response = test_request (fixture->session, fixture->relay, "PUT",
                           "/v1/messages/00000000-0000-4000-8000-000000000000", alice->auth, good);
  g_assert_cmpuint (response->status, ==, 404);

  /* None of the refused sends reached the queue. */
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_accepted_total"), ==, 1);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 1);

  /* The queue holds 3 envelopes here. */
  for (guint i = 0; i < 2; i++)
    {
      g_clear_pointer (&response, test_response_free);
      response = test_request (fixture->session, fixture->relay, "PUT", path, alice->auth, good);
      g_assert_cmpuint (response->status, ==, 200);
    }
  g_clear_pointer (&response, test_response_free);
  response = test_request (fixture->session, fixture->relay, "PUT", path, alice->auth, good);
  g_assert_cmpuint (response->status, ==, 429);
  g_assert_cmpstr (test_response_error (response), ==, "queue-full");
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 3);
}

typedef struct
{
  const char *name;
  const char *method;
  const char *path;       /* "@" stands for Bob's UUID */
  gboolean    auth;
  const char *body;
  guint       status;
  const char *error;
} Malformed;

static const Malformed malformed[] = {
  { "bad json", "PUT", "/v1/messages/@", TRUE, "{\"timestamp\":", 400, "bad-json" },
  { "not an object", "PUT", "/v1/messages/@", TRUE, "[1,2]", 400, "bad-json" },
  { "empty body", "PUT", "/v1/messages/@", TRUE, "", 400, "bad-json" },
  { "deep nesting", "PUT", "/v1/messages/@", TRUE, "{\"a\":[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]}", 400, "bad-json" },
  { "invalid utf-8", "PUT", "/v1/messages/@", TRUE, "{\"timestamp\":\"\xff\xfe\"}", 400, "bad-json" },
  { "missing messages", "PUT", "/v1/messages/@", TRUE, "{\"timestamp\":1}", 400, "missing-field" },
  { "messages wrong type", "PUT", "/v1/messages/@", TRUE, "{\"timestamp\":1,\"messages\":{}}", 400, "wrong-type" },
  { "timestamp wrong type", "PUT", "/v1/messages/@", TRUE, "{\"timestamp\":\"1\",\"messages\":[]}", 400, "wrong-type" },
  { "timestamp float", "PUT", "/v1/messages/@", TRUE, "{\"timestamp\":1.5,\"messages\":[]}", 400, "wrong-type" },
  { "no envelopes", "PUT", "/v1/messages/@", TRUE, "{\"timestamp\":1,\"messages\":[]}", 400, "too-many" },
  { "envelope not object", "PUT", "/v1/messages/@", TRUE, "{\"timestamp\":1,\"messages\":[3]}", 400, "wrong-type" },
  { "bad base64", "PUT", "/v1/messages/@", TRUE,
    "{\"timestamp\":1,\"messages\":[{\"type\":1,\"destinationDeviceId\":1,\"destinationRegistrationId\":1,\"content\":\"a*b=\"}]}", 400, "bad-base64" },
  { "empty content", "PUT", "/v1/messages/@", TRUE,
    "{\"timestamp\":1,\"messages\":[{\"type\":1,\"destinationDeviceId\":1,\"destinationRegistrationId\":1,\"content\":\"\"}]}", 400, "bad-value" },
  { "bad type", "PUT", "/v1/messages/@", TRUE,
    "{\"timestamp\":1,\"messages\":[{\"type\":99,\"destinationDeviceId\":1,\"destinationRegistrationId\":1,\"content\":\"AA==\"}]}", 400, "bad-value" },
  { "device zero", "PUT", "/v1/messages/@", TRUE,
    "{\"timestamp\":1,\"messages\":[{\"type\":1,\"destinationDeviceId\":0,\"destinationRegistrationId\":1,\"content\":\"AA==\"}]}", 400, "bad-value" },
  { "duplicate device", "PUT", "/v1/messages/@", TRUE,
    "{\"timestamp\":1,\"messages\":[{\"type\":1,\"destinationDeviceId\":1,\"destinationRegistrationId\":1,\"content\":\"AA==\"},"
    "{\"type\":1,\"destinationDeviceId\":1,\"destinationRegistrationId\":1,\"content\":\"AA==\"}]}", 400, "duplicate" },
  { "send unauthenticated", "PUT", "/v1/messages/@", FALSE, "{}", 401, "unauthorized" },
  { "send to bad uuid", "PUT", "/v1/messages/xyz", TRUE, "{}", 400, "bad-value" },
  { "send unknown user", "PUT", "/v1/messages/00000000-0000-4000-8000-000000000000", TRUE,
    "{\"timestamp\":1,\"messages\":[{\"type\":1,\"destinationDeviceId\":1,\"destinationRegistrationId\":1,\"content\":\"AA==\"}]}", 404, "not-found" },
  { "send with GET", "GET", "/v1/messages/@", TRUE, NULL, 405, "method-not-allowed" },
  { "unknown path", "GET", "/v2/anything", FALSE, NULL, 404, "not-found" },
  { "register bad json", "POST", "/v1/accounts", FALSE, "{{", 400, "bad-json" },
  { "register bad username", "POST", "/v1/accounts", FALSE, "{\"username\":\"Al\"}", 400, "bad-username" },
  { "register short password", "POST", "/v1/accounts", FALSE, "{\"username\":\"carol\",\"password\":\"short\"}", 400, "bad-value" },
  { "register wrong id type", "POST", "/v1/accounts", FALSE,
    "{\"username\":\"carol\",\"password\":\"a-long-enough-password\",\"registrationId\":\"7\"}", 400, "wrong-type" },
  { "register bad identity", "POST", "/v1/accounts", FALSE,
    "{\"username\":\"carol\",\"password\":\"a-long-enough-password\",\"registrationId\":7,\"identityKey\":\"BQ==\"}", 400, "bad-key" },
  { "register identity bad prefix", "POST", "/v1/accounts", FALSE,
    "{\"username\":\"carol\",\"password\":\"a-long-enough-password\",\"registrationId\":7,"
    "\"identityKey\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", 400, "bad-key" },
  { "register with PUT", "PUT", "/v1/accounts", FALSE, "{}", 405, "method-not-allowed" },
  { "keys bad signature", "PUT", "/v1/keys", TRUE,
    "{\"signedPreKey\":{\"keyId\":1,\"publicKey\":\"BQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"signature\":\"AAAA\"}}", 400, "bad-key" },
  { "keys wrong kyber", "PUT", "/v1/keys", TRUE,
    "{\"pqPreKeys\":[{\"keyId\":1,\"publicKey\":\"BQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"signature\":\"AAAA\"}]}", 400, "bad-key" },
  { "keys negative id", "PUT", "/v1/keys", TRUE,
    "{\"preKeys\":[{\"keyId\":-1,\"publicKey\":\"BQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}", 400, "bad-value" },
  { "keys duplicate id", "PUT", "/v1/keys", TRUE,
    "{\"preKeys\":[{\"keyId\":1,\"publicKey\":\"BQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"},"
    "{\"keyId\":1,\"publicKey\":\"BQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}", 400, "duplicate" },
  { "keys list wrong type", "PUT", "/v1/keys", TRUE, "{\"preKeys\":\"x\"}", 400, "wrong-type" },
  { "keys unauthenticated", "GET", "/v1/keys", FALSE, NULL, 401, "unauthorized" },
  { "bundle bad device", "GET", "/v1/keys/@/0", TRUE, NULL, 400, "bad-value" },
  { "lookup unauthenticated", "GET", "/v1/accounts/username/bob", FALSE, NULL, 401, "unauthorized" },
  { "websocket without upgrade", "GET", "/v1/websocket", FALSE, NULL, 426, "upgrade-required" },
};

static void
test_malformed (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 2);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 2);
  gint64 errors = test_relay_metric (fixture->session, fixture->relay, "sotto_relay_request_errors_total{class=\"4xx\"}");

  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      const Malformed *m = &malformed[i];
      g_auto(GStrv) parts = g_strsplit (m->path, "@", -1);
      g_autofree char *path = g_strjoinv (bob->uuid, parts);
      g_autoptr(TestResponse) response = NULL;

      g_test_message ("malformed request: %s", m->name);
      response = test_request (fixture->session, fixture->relay, m->method, path,
                               m->auth ? alice->auth : NULL, m->body);
      g_assert_cmpuint (response->status, ==, m->status);
      g_assert_cmpstr (test_response_error (response), ==, m->error);
    }
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_request_errors_total{class=\"4xx\"}"), ==,
                   errors + (gint64) G_N_ELEMENTS (malformed));

  /* Nothing changed: no account, no key, no envelope. */
  test_assert_key_counts (fixture, alice, 2, 2);
  test_assert_key_counts (fixture, bob, 2, 2);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_accepted_total"), ==, 0);
  {
    g_autoptr(TestResponse) carol = test_request (fixture->session, fixture->relay, "GET",
                                                  "/v1/accounts/username/carol", alice->auth, NULL);

    g_assert_cmpuint (carol->status, ==, 404);
  }
}

/* Raw HTTP for what libsoup will not send: oversized headers and bodies,
 * a body without a length, an unknown method. */
static char *
raw_exchange (TestRelay  *relay,
              const char *request,
              gsize       length)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  GString *reply = g_string_new (NULL);

  g_socket_client_set_enable_proxy (client, FALSE);
  char buffer[4096];
  gssize n;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) relay->port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request, length,
                             NULL, NULL, NULL);
  g_socket_set_timeout (g_socket_connection_get_socket (connection), 5);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)), buffer,
                                   sizeof buffer, NULL, &error)) > 0)
    {
      g_string_append_len (reply, buffer, n);
      if (strstr (reply->str, "\r\n\r\n") != NULL && strstr (reply->str, "}") != NULL)
        break;
    }
  if (error != NULL)
    g_test_message ("read: %s", error->message);
  return g_string_free (reply, FALSE);
}

static void
test_raw_limits (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *long_header = g_strnfill (8000, 'a');
  g_autofree char *oversize_header = g_strdup_printf ("GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n",
                                                      long_header);
  const char *no_length = "PUT /v1/keys HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const char *too_long = "PUT /v1/keys HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n";
  const char *bad_method = "DELETE /v1/keys HTTP/1.1\r\nHost: x\r\n\r\n";
  g_autofree char *reply = NULL;
  g_autoptr(TestResponse) health = NULL;

  reply = raw_exchange (fixture->relay, no_length, strlen (no_length));
  g_assert_true (g_str_has_prefix (reply, "HTTP/1.1 411"));
  g_free (reply);
  reply = raw_exchange (fixture->relay, too_long, strlen (too_long));
  g_assert_true (g_str_has_prefix (reply, "HTTP/1.1 413"));
  g_assert_nonnull (strstr (reply, "\"too-large\""));
  g_free (reply);
  reply = raw_exchange (fixture->relay, bad_method, strlen (bad_method));
  g_assert_true (g_str_has_prefix (reply, "HTTP/1.1 405"));
  g_free (reply);
  /* Headers beyond the limit get the connection dropped, not served. */
  reply = raw_exchange (fixture->relay, oversize_header, strlen (oversize_header));
  g_assert_false (g_str_has_prefix (reply, "HTTP/1.1 200"));

  health = test_request (fixture->session, fixture->relay, "GET", "/v1/health", NULL, NULL);
  g_assert_cmpuint (health->status, ==, 200);
}

static void
test_oversize_envelope (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autofree char *path = g_strdup_printf ("/v1/messages/%s", bob->uuid);
  g_autofree char *big = test_random_base64 (2048, -1);   /* this fixture allows 1024 bytes */
  g_autofree char *body = test_send_body (1, bob->registration_id, big);
  g_autoptr(TestResponse) response = test_request (fixture->session, fixture->relay, "PUT", path,
                                                   alice->auth, body);

  g_assert_cmpuint (response->status, ==, 413);
  g_assert_cmpstr (test_response_error (response), ==, "too-large");
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_accepted_total"), ==, 0);
}

static void
test_address_rate_limit (Fixture       *fixture,
                         gconstpointer  data)
{
  guint ok = 0;
  guint limited = 0;

  for (guint i = 0; i < 12; i++)
    {
      g_autoptr(TestResponse) response = test_request (fixture->session, fixture->relay, "GET",
                                                       "/v1/health", NULL, NULL);

      if (response->status == 200)
        ok++;
      else
        {
          g_assert_cmpuint (response->status, ==, 429);
          g_assert_cmpstr (test_response_error (response), ==, "rate-limited");
          limited++;
        }
    }
  g_assert_cmpuint (ok, >=, 8);
  g_assert_cmpuint (ok, <=, 9);
  g_assert_cmpuint (limited, >=, 3);
}

/* Concurrent bundle fetches: each one-time prekey goes to one caller. */

typedef struct
{
  guint       pending;
  GHashTable *ec_ids;
  GHashTable *kyber_ids;
  guint       ec_none;
  guint       kyber_last_resort;
} Fetches;

static void
fetch_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Fetches *fetches = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *device;
  JsonObject *pq;

  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
                                             (gssize) g_bytes_get_size (body), NULL));
  device = json_array_get_object_element (json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                                                        "devices"), 0);
  if (json_object_has_member (device, "preKey"))
    {
      gint64 id = json_object_get_int_member (json_object_get_object_member (device, "preKey"), "keyId");

      g_assert_true (g_hash_table_add (fetches->ec_ids, GINT_TO_POINTER ((int) id)));
    }
  else
    fetches->ec_none++;
  pq = json_object_get_object_member (device, "pqPreKey");
  if (json_object_get_boolean_member (pq, "lastResort"))
    fetches->kyber_last_resort++;
  else
    g_assert_true (g_hash_table_add (fetches->kyber_ids,
                                     GINT_TO_POINTER ((int) json_object_get_int_member (pq, "keyId"))));
  fetches->pending--;
}

static void
test_concurrent_bundles (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 40);
  g_autoptr(TestAccount) carol = test_account_register (fixture->session, fixture->relay, "carol", 0);
  g_autofree char *url = g_strdup_printf ("%s/v1/keys/%s", fixture->relay->base_url, bob->uuid);
  Fetches fetches = { 0 };
  const guint n_fetches = 64;

  fetches.ec_ids = g_hash_table_new (NULL, NULL);
  fetches.kyber_ids = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < n_fetches; i++)
    {
      g_autoptr(SoupMessage) message = soup_message_new ("GET", url);

      soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                    i % 2 == 0 ? alice->auth : carol->auth);
      soup_session_send_and_read_async (fixture->session, message, G_PRIORITY_DEFAULT, NULL,
                                        fetch_done_cb, &fetches);
      fetches.pending++;
    }
  while (fetches.pending > 0)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (g_hash_table_size (fetches.ec_ids), ==, 40);
  g_assert_cmpuint (g_hash_table_size (fetches.kyber_ids), ==, 40);
  g_assert_cmpuint (fetches.ec_none, ==, n_fetches - 40);
  g_assert_cmpuint (fetches.kyber_last_resort, ==, n_fetches - 40);
  test_assert_key_counts (fixture, bob, 0, 0);
  g_hash_table_unref (fetches.ec_ids);
  g_hash_table_unref (fetches.kyber_ids);
}

static const char *lookup_conf = RELAXED_RATES "account-lookups=0.001/5\n";
static const char *address_conf = "[rate-limits]\naddress-requests=0.001/8\n";

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  API_TEST_ADD ("health-and-metrics", test_health_and_metrics, NULL);
  API_TEST_ADD ("register", test_register, NULL);
  g_test_add_func ("/relay/api/register-token", test_register_token);
  API_TEST_ADD ("auth", test_auth, NULL);
  API_TEST_ADD ("prekeys", test_prekeys, LIMITS_CONF);
  API_TEST_ADD ("bundles", test_bundles, NULL);
  API_TEST_ADD ("lookup", test_lookup, lookup_conf);
  API_TEST_ADD ("send", test_send, LIMITS_CONF);
  API_TEST_ADD ("malformed", test_malformed, NULL);
  API_TEST_ADD ("raw-limits", test_raw_limits, NULL);
  API_TEST_ADD ("oversize-envelope", test_oversize_envelope, LIMITS_CONF);
  API_TEST_ADD ("address-rate-limit", test_address_rate_limit, address_conf);
  API_TEST_ADD ("concurrent-bundles", test_concurrent_bundles, NULL);

  return g_test_run ();
}
