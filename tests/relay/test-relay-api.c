/* test-relay-api.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every endpoint of API v1, successes and failures, against a real
 * sotto-relay process on loopback.
 */

#include "config.h"

#include <string.h>

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

/* The WebSocket. */

static void
expect_nothing (TestSocket *socket)
{
  g_autoptr(JsonNode) node = test_socket_next (socket, 300);

  g_assert_null (node);
}

static void
test_ws_offline_queue (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(GPtrArray) guids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) contents = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(TestSocket) socket = NULL;

  for (guint i = 0; i < 5; i++)
    {
      g_ptr_array_add (contents, test_random_base64 (100, -1));
      g_ptr_array_add (guids, test_send_envelope (fixture->session, fixture->relay, alice, bob, g_ptr_array_index (contents, i)));
    }
  socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  g_assert_no_error (socket->error);
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(JsonNode) node = NULL;
      JsonObject *envelope = test_socket_expect_envelope (socket, &node);

      /* In order, with the sender, and the content byte for byte. */
      g_assert_cmpstr (json_object_get_string_member (envelope, "guid"), ==, g_ptr_array_index (guids, i));
      g_assert_cmpstr (json_object_get_string_member (envelope, "content"), ==, g_ptr_array_index (contents, i));
      g_assert_cmpstr (json_object_get_string_member (envelope, "source"), ==, alice->uuid);
      g_assert_cmpint (json_object_get_int_member (envelope, "sourceDevice"), ==, 1);
      g_assert_cmpint (json_object_get_int_member (envelope, "envelopeType"), ==, 1);
      test_socket_ack (socket, g_ptr_array_index (guids, i));
    }
  test_socket_expect_drained (socket);

  /* Sent while connected: pushed at once. */
  {
    g_autofree char *content = test_random_base64 (100, -1);
    g_autofree char *guid = test_send_envelope (fixture->session, fixture->relay, alice, bob, content);
    g_autoptr(JsonNode) node = NULL;
    JsonObject *envelope = test_socket_expect_envelope (socket, &node);

    g_assert_cmpstr (json_object_get_string_member (envelope, "guid"), ==, guid);
    test_socket_ack (socket, guid);
  }
  g_clear_pointer (&socket, test_socket_free);

  /* Everything was acknowledged, so a new connection finds nothing. */
  socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  test_socket_expect_drained (socket);
  expect_nothing (socket);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_delivered_total"), ==, 6);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 0);
}

static void
test_ws_redelivery (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(GPtrArray) guids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(TestSocket) socket = NULL;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *content = test_random_base64 (50, -1);

      g_ptr_array_add (guids, test_send_envelope (fixture->session, fixture->relay, alice, bob, content));
    }
  socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(JsonNode) node = NULL;
      JsonObject *envelope = test_socket_expect_envelope (socket, &node);

      g_assert_cmpstr (json_object_get_string_member (envelope, "guid"), ==, g_ptr_array_index (guids, i));
    }
  test_socket_expect_drained (socket);
  test_socket_ack (socket, g_ptr_array_index (guids, 1));
  /* An ack for an envelope that is not Bob's, or not at all, changes nothing. */
  test_socket_ack (socket, "00000000-0000-4000-8000-000000000000");
  expect_nothing (socket);
  g_clear_pointer (&socket, test_socket_free);

  socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  {
    g_autoptr(JsonNode) first = NULL;
    g_autoptr(JsonNode) second = NULL;

    g_assert_cmpstr (json_object_get_string_member (test_socket_expect_envelope (socket, &first), "guid"), ==,
                     g_ptr_array_index (guids, 0));
    g_assert_cmpstr (json_object_get_string_member (test_socket_expect_envelope (socket, &second), "guid"), ==,
                     g_ptr_array_index (guids, 2));
  }
  test_socket_expect_drained (socket);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 2);
}

/* The relay says why it closes in a last "close" message. */
static void
expect_close (TestSocket *socket,
              gint64      code)
{
  g_autoptr(JsonNode) node = test_socket_next (socket, 5000);
  JsonObject *object;

  g_assert_nonnull (node);
  object = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "close");
  g_assert_cmpint (json_object_get_int_member (object, "code"), ==, code);
  g_assert_true (test_socket_wait_closed (socket, 5000));
}

static void
test_ws_auth (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autofree char *wrong = test_basic_auth (bob->uuid, 1, "definitely-wrong-password");
  g_autoptr(TestSocket) none = test_socket_connect (fixture->session, fixture->relay, NULL);
  g_autoptr(TestSocket) bad = test_socket_connect (fixture->session, fixture->relay, wrong);
  g_autoptr(TestSocket) first = NULL;
  g_autoptr(TestSocket) second = NULL;

  /* Without credentials the upgrade itself is refused. */
  g_assert_nonnull (none->error);
  /* With wrong ones the socket opens, then closes with 4401. */
  g_assert_no_error (bad->error);
  expect_close (bad, 4401);

  /* A second connection of the same device replaces the first. */
  first = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  test_socket_expect_drained (first);
  second = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  test_socket_expect_drained (second);
  expect_close (first, 4409);
}

static void
test_ws_bad_frames (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestSocket) socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  const char *garbage[] = { "not json", "{\"type\":\"ack\"}", "{\"type\":\"ack\",\"guid\":\"x\"}",
                            "{\"type\":\"dance\"}", "[]", "{\"type\":\"ack\",\"guid\":7}" };
  const char *codes[] = { "bad-json", "missing-field", "bad-value", "bad-value", "bad-json", "wrong-type" };
  /* One byte over max-request-bytes, the bound on any client message. */
  g_autofree char *huge = g_strnfill (1024 * 1024 + 1, 'x');
  g_autoptr(TestSocket) binary = NULL;
  g_autoptr(TestSocket) big = NULL;
  g_autoptr(TestResponse) health = NULL;

  test_socket_expect_drained (socket);
  for (guint i = 0; i < G_N_ELEMENTS (garbage); i++)
    {
      g_autoptr(JsonNode) node = NULL;
      JsonObject *object;

      soup_websocket_connection_send_text (socket->connection, garbage[i]);
      node = test_socket_next (socket, 5000);
      g_assert_nonnull (node);
      object = json_node_get_object (node);
      g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "error");
      g_assert_cmpstr (json_object_get_string_member (object, "error"), ==, codes[i]);
    }
  g_clear_pointer (&socket, test_socket_free);

  binary = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  test_socket_expect_drained (binary);
  soup_websocket_connection_send_binary (binary->connection, "\x01\x02", 2);
  expect_close (binary, 1003);

  big = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  test_socket_expect_drained (big);
  soup_websocket_connection_send_text (big->connection, huge);
  expect_close (big, 1009);

  health = test_request (fixture->session, fixture->relay, "GET", "/v1/health", NULL, NULL);
  g_assert_cmpuint (health->status, ==, 200);
}

/* Sends made on the WebSocket, answered there by id. */

static void
ws_send (TestSocket  *socket,
         gint64       id,
         const char  *destination,
         guint        device_id,
         guint        registration_id,
         const char  *content)
{
  g_autofree char *text = g_strdup_printf ("{\"type\":\"send\",\"id\":%" G_GINT64_FORMAT ","
                                           "\"destination\":\"%s\",\"timestamp\":1767225600000,"
                                           "\"messages\":[{\"type\":1,\"destinationDeviceId\":%u,"
                                           "\"destinationRegistrationId\":%u,\"content\":\"%s\"}]}",
                                           id, destination, device_id, registration_id, content);

  soup_websocket_connection_send_text (socket->connection, text);
}

/* Returns the body of the response to send `id`, which must come next. */
static JsonObject *
expect_response (TestSocket  *socket,
                 gint64       id,
                 guint        status,
                 JsonNode   **holder)
{
  JsonObject *object;

  *holder = test_socket_next (socket, 5000);
  g_assert_nonnull (*holder);
  object = json_node_get_object (*holder);
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "response");
  g_assert_cmpint (json_object_get_int_member (object, "id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (object, "status"), ==, status);
  return json_object_get_object_member (object, "body");
}

static void
wait_for_metric (Fixture    *fixture,
                 const char *name,
                 gint64      value)
{
  for (guint tries = 0; test_relay_metric (fixture->session, fixture->relay, name) != value; tries++)
    {
      g_assert_cmpuint (tries, <, 100);
      g_usleep (50 * 1000);
    }
}

static void
test_ws_send (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestSocket) sender = test_socket_connect (fixture->session, fixture->relay, alice->auth);
  g_autoptr(TestSocket) receiver = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  g_autoptr(GPtrArray) guids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) contents = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) ack = g_string_new ("{\"type\":\"ack\",\"guids\":[");
  const guint total = 50;

  test_socket_expect_drained (sender);
  test_socket_expect_drained (receiver);
  /* Many sends in flight at once, each answered by its id. */
  for (guint i = 0; i < total; i++)
    {
      g_ptr_array_add (contents, test_random_base64 (100, -1));
      ws_send (sender, i + 1, bob->uuid, 1, bob->registration_id, g_ptr_array_index (contents, i));
    }
  for (guint i = 0; i < total; i++)
    {
      g_autoptr(JsonNode) node = NULL;
      JsonObject *body = expect_response (sender, i + 1, 200, &node);
      JsonObject *sent = json_array_get_object_element (json_object_get_array_member (body, "messages"), 0);

      g_assert_cmpint (json_object_get_int_member (sent, "deviceId"), ==, 1);
      g_assert_cmpint (json_object_get_int_member (body, "serverTimestamp"), >, 0);
      g_ptr_array_add (guids, g_strdup (json_object_get_string_member (sent, "guid")));
    }
  /* Bob gets them in order, and acknowledges them all in one message. */
  for (guint i = 0; i < total; i++)
    {
      g_autoptr(JsonNode) node = NULL;
      JsonObject *envelope = test_socket_expect_envelope (receiver, &node);

      g_assert_cmpstr (json_object_get_string_member (envelope, "guid"), ==, g_ptr_array_index (guids, i));
      g_assert_cmpstr (json_object_get_string_member (envelope, "content"), ==, g_ptr_array_index (contents, i));
      g_assert_cmpstr (json_object_get_string_member (envelope, "source"), ==, alice->uuid);
      g_string_append_printf (ack, "%s\"%s\"", i > 0 ? "," : "", (char *) g_ptr_array_index (guids, i));
    }
  g_string_append (ack, "]}");
  soup_websocket_connection_send_text (receiver->connection, ack->str);
  wait_for_metric (fixture, "sotto_relay_envelopes_delivered_total", total);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 0);
  g_clear_pointer (&receiver, test_socket_free);
  receiver = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  test_socket_expect_drained (receiver);
  expect_nothing (receiver);
}

/* Failed sends are answered by id with the status and error body an
 * HTTP send would get, and store nothing. */
static void
test_ws_send_errors (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestSocket) sender = test_socket_connect (fixture->session, fixture->relay, alice->auth);
  g_autofree char *content = test_random_base64 (100, -1);
  g_autoptr(JsonNode) unknown = NULL;
  g_autoptr(JsonNode) mismatch = NULL;
  g_autoptr(JsonNode) stale = NULL;
  g_autoptr(JsonNode) base64 = NULL;
  g_autoptr(JsonNode) no_id = NULL;
  JsonObject *body;

  test_socket_expect_drained (sender);
  ws_send (sender, 1, "00000000-0000-4000-8000-000000000000", 1, 1, content);
  body = expect_response (sender, 1, 404, &unknown);
  g_assert_cmpstr (json_object_get_string_member (body, "error"), ==, "not-found");

  ws_send (sender, 2, bob->uuid, 2, bob->registration_id, content);
  body = expect_response (sender, 2, 409, &mismatch);
  g_assert_cmpstr (json_object_get_string_member (body, "error"), ==, "device-mismatch");
  g_assert_cmpint (json_array_get_int_element (json_object_get_array_member (body, "missingDevices"), 0), ==, 1);
  g_assert_cmpint (json_array_get_int_element (json_object_get_array_member (body, "extraDevices"), 0), ==, 2);

  ws_send (sender, 3, bob->uuid, 1, bob->registration_id % 16000 + 1, content);
  body = expect_response (sender, 3, 410, &stale);
  g_assert_cmpstr (json_object_get_string_member (body, "error"), ==, "stale-devices");

  ws_send (sender, 4, bob->uuid, 1, bob->registration_id, "AAEC=");
  body = expect_response (sender, 4, 400, &base64);
  g_assert_cmpstr (json_object_get_string_member (body, "error"), ==, "bad-base64");

  /* Without an id there is nothing to answer, so an error message comes. */
  soup_websocket_connection_send_text (sender->connection, "{\"type\":\"send\",\"destination\":\"x\"}");
  no_id = test_socket_next (sender, 5000);
  g_assert_nonnull (no_id);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (no_id), "type"), ==, "error");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (no_id), "error"), ==, "missing-field");

  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 0);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_accepted_total"), ==, 0);
}

/* The relay remembers each account's devices between sends; a device
 * that takes a new registration id must be seen at once. */
static void
test_ws_send_new_registration (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestSocket) sender = test_socket_connect (fixture->session, fixture->relay, alice->auth);
  g_autofree char *content = test_random_base64 (100, -1);
  guint old_id = bob->registration_id;
  guint new_id = old_id % 16000 + 1;
  g_autofree char *prekeys = test_prekeys_json (100, 1, FALSE);
  g_autofree char *upload = g_strdup_printf ("{\"registrationId\":%u,\"preKeys\":%s}", new_id, prekeys);
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(JsonNode) before = NULL;
  g_autoptr(JsonNode) stale = NULL;
  g_autoptr(JsonNode) after = NULL;

  test_socket_expect_drained (sender);
  ws_send (sender, 1, bob->uuid, 1, old_id, content);
  expect_response (sender, 1, 200, &before);
  response = test_request (fixture->session, fixture->relay, "PUT", "/v1/keys", bob->auth, upload);
  g_assert_cmpuint (response->status, ==, 200);
  ws_send (sender, 2, bob->uuid, 1, old_id, content);
  expect_response (sender, 2, 410, &stale);
  ws_send (sender, 3, bob->uuid, 1, new_id, content);
  expect_response (sender, 3, 200, &after);
}

/* With websocket-send-queue at 8, a client that writes 200 sends before
 * reading any answer is held back by TCP, and still gets every answer. */
static void
test_ws_send_backpressure (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestSocket) sender = test_socket_connect (fixture->session, fixture->relay, alice->auth);
  g_autofree char *content = test_random_base64 (100, -1);
  const guint total = 200;

  test_socket_expect_drained (sender);
  for (guint i = 0; i < total; i++)
    ws_send (sender, i, bob->uuid, 1, bob->registration_id, content);
  for (guint i = 0; i < total; i++)
    {
      g_autoptr(JsonNode) node = NULL;

      expect_response (sender, i, 200, &node);
    }
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, total);
}

/* Raw bytes that are no WebSocket at all after a valid upgrade. */
static void
test_ws_broken_framing (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autofree char *upgrade = g_strdup_printf ("GET /v1/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                                              "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                              "Authorization: %s\r\n\r\n", bob->auth);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  /* An unmasked client frame with a reserved opcode and bogus length. */
  const guint8 junk[] = { 0x8b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 };
  g_autoptr(TestResponse) health = NULL;
  char buffer[4096];
  GInputStream *input;

  g_socket_client_set_enable_proxy (client, FALSE);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) fixture->relay->port, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (g_socket_connection_get_socket (connection), 5);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), upgrade,
                             strlen (upgrade), NULL, NULL, &error);
  g_assert_no_error (error);
  input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  g_assert_cmpint (g_input_stream_read (input, buffer, sizeof buffer - 1, NULL, NULL), >, 0);
  g_assert_true (g_str_has_prefix (buffer, "HTTP/1.1 101"));
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), junk,
                             sizeof junk, NULL, NULL, NULL);
  /* The relay drops the connection; reads end rather than hang. */
  while (g_input_stream_read (input, buffer, sizeof buffer, NULL, NULL) > 0)
    ;
  health = test_request (fixture->session, fixture->relay, "GET", "/v1/health", NULL, NULL);
  g_assert_cmpuint (health->status, ==, 200);
}

static void
test_ws_slow_reader (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(TestSocket) socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const guint total = 40;
  guint received = 0;

  test_socket_expect_drained (socket);
  /* This fixture lets 8 envelopes wait in memory and 4 go unacknowledged:
   * the rest must come from storage as the reader catches up. */
  for (guint i = 0; i < total; i++)
    {
      g_autofree char *content = test_random_base64 (100, -1);

      g_free (test_send_envelope (fixture->session, fixture->relay, alice, bob, content));
    }
  while (received < total)
    {
      g_autoptr(JsonNode) node = NULL;
      JsonObject *envelope = test_socket_expect_envelope (socket, &node);
      const char *guid = json_object_get_string_member (envelope, "guid");

      g_assert_true (g_hash_table_add (seen, g_strdup (guid)));
      test_socket_ack (socket, guid);
      received++;
    }
  expect_nothing (socket);
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 0);
}

/* Expired envelopes leave the queue, and free their room in it. */
static void
test_ws_expiry (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(TestAccount) alice = test_account_register (fixture->session, fixture->relay, "alice", 0);
  g_autoptr(TestAccount) bob = test_account_register (fixture->session, fixture->relay, "bob", 0);
  g_autoptr(GPtrArray) fresh = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *path = g_strdup_printf ("/v1/messages/%s", bob->uuid);
  g_autofree char *body = test_send_body (1, bob->registration_id, "AAEC");
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(TestSocket) socket = NULL;
  gint64 deadline;

  for (guint i = 0; i < 3; i++)
    g_free (test_send_envelope (fixture->session, fixture->relay, alice, bob, "AAEC"));
  response = test_request (fixture->session, fixture->relay, "PUT", path, alice->auth, body);
  g_assert_cmpstr (test_response_error (response), ==, "queue-full");

  /* A relay expires old envelopes when it starts. */
  g_assert_cmpint (test_relay_stop (fixture->relay), ==, 0);
  test_relay_free (fixture->relay);
  g_usleep (1200 * G_TIME_SPAN_MILLISECOND);
  fixture->relay = test_relay_start (fixture->dir, data, NULL);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_expired_total") < 3)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * G_TIME_SPAN_MILLISECOND);
    }
  g_assert_cmpint (test_relay_metric (fixture->session, fixture->relay, "sotto_relay_envelopes_queued"), ==, 0);

  /* Bob is online before the next sends, so that these arrive however
   * slowly the test runs. */
  socket = test_socket_connect (fixture->session, fixture->relay, bob->auth);
  test_socket_expect_drained (socket);
  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (fresh, test_send_envelope (fixture->session, fixture->relay, alice, bob, "AAEC"));
  g_clear_pointer (&response, test_response_free);
  response = test_request (fixture->session, fixture->relay, "PUT", path, alice->auth, body);
  g_assert_cmpstr (test_response_error (response), ==, "queue-full");
  for (guint i = 0; i < fresh->len; i++)
    {
      g_autoptr(JsonNode) node = NULL;

      g_assert_cmpstr (json_object_get_string_member (test_socket_expect_envelope (socket, &node), "guid"), ==,
                       g_ptr_array_index (fresh, i));
    }
}

#define RELAXED_RATES \
  "[rate-limits]\n" \
  "address-requests=100000/100000\n" \
  "address-registrations=100000/100000\n" \
  "address-auth-failures=100000/100000\n" \
  "address-websockets=100000/100000\n" \
  "account-sends=100000/100000\n" \
  "account-bundles=100000/100000\n" \
  "account-key-uploads=100000/100000\n" \
  "pair-sends=100000/100000\n"

static const char *lookup_conf = RELAXED_RATES "account-lookups=0.001/5\n";
static const char *limits_conf = RELAXED_RATES "account-lookups=100000/100000\n"
                                 "[limits]\nmax-queue-envelopes=3\nmax-one-time-prekeys=25\nmax-envelope-bytes=1024\n";
static const char *address_conf = "[rate-limits]\naddress-requests=0.001/8\n";
static const char *slow_conf = "[limits]\nwebsocket-send-queue=8\nwebsocket-unacked=4\n";
static const char *backpressure_conf = RELAXED_RATES "[limits]\nwebsocket-send-queue=8\n";
static const char *expiry_conf = RELAXED_RATES "[limits]\nmax-queue-envelopes=3\nmax-queue-age-seconds=1\n";

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, conf) \
  g_test_add ("/relay/api/" path, Fixture, conf, test_fixture_setup, func, test_fixture_teardown)

  ADD ("health-and-metrics", test_health_and_metrics, NULL);
  ADD ("register", test_register, NULL);
  g_test_add_func ("/relay/api/register-token", test_register_token);
  ADD ("auth", test_auth, NULL);
  ADD ("prekeys", test_prekeys, limits_conf);
  ADD ("bundles", test_bundles, NULL);
  ADD ("lookup", test_lookup, lookup_conf);
  ADD ("send", test_send, limits_conf);
  ADD ("malformed", test_malformed, NULL);
  ADD ("raw-limits", test_raw_limits, NULL);
  ADD ("oversize-envelope", test_oversize_envelope, limits_conf);
  ADD ("address-rate-limit", test_address_rate_limit, address_conf);
  ADD ("concurrent-bundles", test_concurrent_bundles, NULL);
  ADD ("websocket/offline-queue", test_ws_offline_queue, NULL);
  ADD ("websocket/redelivery", test_ws_redelivery, NULL);
  ADD ("websocket/auth", test_ws_auth, NULL);
  ADD ("websocket/bad-frames", test_ws_bad_frames, NULL);
  ADD ("websocket/broken-framing", test_ws_broken_framing, NULL);
  ADD ("websocket/slow-reader", test_ws_slow_reader, slow_conf);
  ADD ("websocket/expiry", test_ws_expiry, expiry_conf);
  ADD ("websocket/send", test_ws_send, NULL);
  ADD ("websocket/send-errors", test_ws_send_errors, NULL);
  ADD ("websocket/send-new-registration", test_ws_send_new_registration, limits_conf);
  ADD ("websocket/send-backpressure", test_ws_send_backpressure, backpressure_conf);

#undef ADD

  return g_test_run ();
}
