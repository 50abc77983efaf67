/* test-relay-strict.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the RFCs say a server must refuse, the relay refuses: a request
 * with both Content-Length and Transfer-Encoding (RFC 9112, 6.1), and
 * JSON that is not JSON (RFC 8259): trailing content, comments, numbers
 * with leading zeros.  Readers that are lenient in different ways let a
 * request mean one thing to a proxy or a client library and another to
 * the relay.  A refused request changes nothing.
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include "relay-test-raw.h"

typedef struct
{
  char        *dir;
  TestRelay   *relay;
  SoupSession *session;
  TestAccount *alice;
  TestAccount *bob;
} Strict;

static void
strict_start (Strict *strict)
{
  strict->dir = test_relay_make_data_dir ();
  strict->session = test_session_new ();
  strict->relay = test_relay_start (strict->dir, test_relay_relaxed_conf, NULL);
  strict->alice = test_account_register (strict->session, strict->relay, "alice", 0);
  strict->bob = test_account_register (strict->session, strict->relay, "bob", 0);
}

/* Nothing reached Bob, and the relay stops cleanly. */
static void
strict_finish (Strict *strict)
{
  g_autoptr(TestSocket) socket = test_socket_connect (strict->session, strict->relay, strict->bob->auth);

  g_assert_no_error (socket->error);
  test_socket_expect_drained (socket);
  g_clear_pointer (&socket, test_socket_free);
  g_clear_object (&strict->session);
  g_assert_cmpint (test_relay_stop (strict->relay), ==, 0);
  g_clear_pointer (&strict->relay, test_relay_free);
  g_clear_pointer (&strict->alice, test_account_free);
  g_clear_pointer (&strict->bob, test_account_free);
  test_relay_remove_data_dir (strict->dir);
  g_free (strict->dir);
}

/* Writes `request` on a fresh connection; returns the answer's status,
 * and in *closed whether the relay closed the connection after it. */
static guint
raw_exchange (TestRelay  *relay,
              const char *request,
              gboolean   *closed)
{
  int fd = test_raw_connect (relay);
  guint status = test_raw_exchange (fd, request, closed);

  close (fd);
  return status;
}

static char *
send_request (Strict     *strict,
              const char *framing,
              const char *body)
{
  return g_strdup_printf ("PUT /v1/messages/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Authorization: %s\r\nContent-Type: application/json\r\n%s\r\n%s",
                          strict->bob->uuid, strict->alice->auth, framing, body);
}

/* A send framed by both headers is refused with 400 and the connection
 * closed, whichever framing the body would fit; one framed by
 * Transfer-Encoding alone gets 411, as lengths are required. */
static void
test_content_length_and_transfer_encoding (void)
{
  Strict strict = { 0 };
  g_autofree char *body = NULL;
  g_autofree char *chunked = NULL;
  g_autofree char *both_length = NULL;
  g_autofree char *both_chunked = NULL;
  g_autofree char *only_chunked = NULL;
  g_autofree char *framing = NULL;
  gboolean closed;

  strict_start (&strict);
  body = test_send_body (1, strict.bob->registration_id, "AAEC");
  chunked = g_strdup_printf ("%zx\r\n%s\r\n0\r\n\r\n", strlen (body), body);

  framing = g_strdup_printf ("Content-Length: %zu\r\nTransfer-Encoding: chunked\r\n", strlen (body));
  both_length = send_request (&strict, framing, body);
  g_assert_cmpuint (raw_exchange (strict.relay, both_length, &closed), ==, 400);
  g_assert_true (closed);
  g_clear_pointer (&framing, g_free);

  framing = g_strdup_printf ("Transfer-Encoding: chunked\r\nContent-Length: %zu\r\n", strlen (chunked));
  both_chunked = send_request (&strict, framing, chunked);
  g_assert_cmpuint (raw_exchange (strict.relay, both_chunked, &closed), ==, 400);
  g_assert_true (closed);

  only_chunked = send_request (&strict, "Transfer-Encoding: chunked\r\n", chunked);
  g_assert_cmpuint (raw_exchange (strict.relay, only_chunked, &closed), ==, 411);
  g_assert_true (closed);

  strict_finish (&strict);
}

/* Replaces the first `from` in `text` with `to`. */
static char *
replace_once (const char *text,
              const char *from,
              const char *to)
{
  const char *at = strstr (text, from);

  g_assert_nonnull (at);
  return g_strdup_printf ("%.*s%s%s", (int) (at - text), text, to, at + strlen (from));
}

typedef struct
{
  const char *name;
  const char *from;   /* NULL appends `to` */
  const char *to;
} Defect;

static const Defect defects[] = {
  { "trailing object", NULL, " {}" },
  { "trailing garbage", NULL, "x" },
  { "trailing comma", NULL, "," },
  { "block comment", "\"messages\"", "/* a comment */\"messages\"" },
  { "line comment", "\"messages\"", "// a comment\n\"messages\"" },
  { "leading zero", "\"type\":1", "\"type\":01" },
  { "negative leading zero", "\"type\":1", "\"type\":-01" },
  { "single quotes", "\"type\":1", "'type':1" },
  { "trailing member comma", "}]}", "},]}" },
};

static char *
with_defect (const char   *body,
             const Defect *defect)
{
  if (defect->from == NULL)
    return g_strconcat (body, defect->to, NULL);
  return replace_once (body, defect->from, defect->to);
}

/* Each defect in a send over HTTP gets 400 bad-json. */
static void
test_json_http (void)
{
  Strict strict = { 0 };
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;

  strict_start (&strict);
  path = g_strdup_printf ("/v1/messages/%s", strict.bob->uuid);
  body = test_send_body (1, strict.bob->registration_id, "AAEC");
  for (guint i = 0; i < G_N_ELEMENTS (defects); i++)
    {
      g_autofree char *bad = with_defect (body, &defects[i]);
      g_autoptr(TestResponse) response = test_request (strict.session, strict.relay, "PUT", path,
                                                       strict.alice->auth, bad);

      g_test_message ("%s: %u", defects[i].name, response->status);
      g_assert_cmpuint (response->status, ==, 400);
      g_assert_cmpstr (test_response_error (response), ==, "bad-json");
    }
  strict_finish (&strict);
}

/* A registration with a number written with a leading zero is refused
 * and registers nothing. */
static void
test_json_register (void)
{
  Strict strict = { 0 };
  g_autofree char *body = NULL;
  g_autofree char *bad = NULL;
  g_autoptr(TestResponse) response = NULL;
  g_autoptr(TestResponse) lookup = NULL;

  strict_start (&strict);
  body = test_register_body ("carol", "password-of-carol", 1234, 0, NULL);
  bad = replace_once (body, "\"registrationId\":1234", "\"registrationId\":01234");
  response = test_request (strict.session, strict.relay, "POST", "/v1/accounts", NULL, bad);
  g_assert_cmpuint (response->status, ==, 400);
  g_assert_cmpstr (test_response_error (response), ==, "bad-json");
  lookup = test_request (strict.session, strict.relay, "GET", "/v1/accounts/username/carol",
                         strict.alice->auth, NULL);
  g_assert_cmpuint (lookup->status, ==, 404);
  strict_finish (&strict);
}

/* The same defects in a send over the WebSocket: the answer is an error,
 * never a stored envelope. */
static void
test_json_websocket (void)
{
  Strict strict = { 0 };
  g_autoptr(TestSocket) socket = NULL;
  g_autofree char *message = NULL;

  strict_start (&strict);
  socket = test_socket_connect (strict.session, strict.relay, strict.alice->auth);
  g_assert_no_error (socket->error);
  test_socket_expect_drained (socket);
  message = g_strdup_printf ("{\"type\":\"send\",\"id\":7,\"destination\":\"%s\",\"timestamp\":1767225600000,"
                             "\"messages\":[{\"type\":1,\"destinationDeviceId\":1,"
                             "\"destinationRegistrationId\":%u,\"content\":\"AAEC\"}]}",
                             strict.bob->uuid, strict.bob->registration_id);
  for (guint i = 0; i < G_N_ELEMENTS (defects); i++)
    {
      g_autofree char *bad = with_defect (message, &defects[i]);
      g_autoptr(JsonNode) node = NULL;
      JsonObject *object;
      const char *type;

      soup_websocket_connection_send_text (socket->connection, bad);
      node = test_socket_next (socket, 5000);
      g_assert_nonnull (node);
      object = json_node_get_object (node);
      type = json_object_get_string_member (object, "type");
      g_test_message ("%s: %s", defects[i].name, type);
      if (g_strcmp0 (type, "response") == 0)
        {
          g_assert_cmpint (json_object_get_int_member (object, "status"), ==, 400);
          object = json_object_get_object_member (object, "body");
        }
      else
        g_assert_cmpstr (type, ==, "error");
      g_assert_cmpstr (json_object_get_string_member (object, "error"), ==, "bad-json");
    }
  g_clear_pointer (&socket, test_socket_free);
  strict_finish (&strict);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/relay/strict/content-length-and-transfer-encoding",
                   test_content_length_and_transfer_encoding);
  g_test_add_func ("/relay/strict/json/http", test_json_http);
  g_test_add_func ("/relay/strict/json/register", test_json_register);
  g_test_add_func ("/relay/strict/json/websocket", test_json_websocket);
  return g_test_run ();
}
