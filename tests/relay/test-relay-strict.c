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
 * the relay.  A refused request changes nothing.  So are WebSocket
 * frames that break RFC 6455, 5: an unmasked client frame, reserved
 * bits, unknown opcodes, fragmented or oversized control frames and
 * text that is not UTF-8 close the connection with the status the RFC
 * names, and the message in them is never acted on.
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

/* WebSocket frames, written and read by hand: the relay's are never
 * masked, and a client's are masked unless a case says otherwise. */
typedef struct
{
  guint8  opcode;
  GBytes *payload;
} RawFrame;

static void
raw_frame_free (RawFrame *frame)
{
  g_bytes_unref (frame->payload);
  g_free (frame);
}

/* Takes the first whole frame off the front of `buffer`, or returns NULL. */
static RawFrame *
take_frame (GString *buffer)
{
  const guint8 *data = (const guint8 *) buffer->str;
  gsize header = 2;
  guint64 length;
  RawFrame *frame;

  if (buffer->len < 2)
    return NULL;
  g_assert_cmpuint (data[1] & 0x80, ==, 0);
  length = data[1] & 0x7f;
  if (length == 126)
    header += 2;
  else if (length == 127)
    header += 8;
  if (buffer->len < header)
    return NULL;
  if (length == 126)
    length = (guint64) data[2] << 8 | data[3];
  else if (length == 127)
    {
      length = 0;
      for (guint i = 0; i < 8; i++)
        length = length << 8 | data[2 + i];
    }
  if (buffer->len < header + length)
    return NULL;
  frame = g_new0 (RawFrame, 1);
  frame->opcode = data[0] & 0x0f;
  frame->payload = g_bytes_new (data + header, length);
  g_string_erase (buffer, 0, (gssize) (header + length));
  return frame;
}

/* A client frame: `first` is the first byte (FIN, reserved bits and
 * opcode), and the payload is masked if `masked`. */
static GByteArray *
client_frame (guint8       first,
              gboolean     masked,
              const guint8 *payload,
              gsize        length)
{
  static const guint8 mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
  GByteArray *frame = g_byte_array_new ();
  guint8 header[10];
  gsize header_length = 2;

  header[0] = first;
  if (length < 126)
    header[1] = (guint8) length;
  else
    {
      g_assert_cmpuint (length, <=, G_MAXUINT16);
      header[1] = 126;
      header[2] = (guint8) (length >> 8);
      header[3] = (guint8) length;
      header_length = 4;
    }
  if (masked)
    header[1] |= 0x80;
  g_byte_array_append (frame, header, (guint) header_length);
  if (masked)
    g_byte_array_append (frame, mask, sizeof mask);
  for (gsize i = 0; i < length; i++)
    {
      guint8 byte = masked ? payload[i] ^ mask[i % 4] : payload[i];

      g_byte_array_append (frame, &byte, 1);
    }
  return frame;
}

typedef struct
{
  const char *name;
  guint8      first;         /* FIN, reserved bits and opcode */
  gboolean    masked;
  gboolean    send;          /* a send to Bob as payload, else `length` bytes */
  gboolean    bad_utf8;      /* a byte that is never UTF-8 in the send */
  gsize       length;
  gint        close_code;
} FramingDefect;

static const FramingDefect framing_defects[] = {
  { "unmasked text frame", 0x81, FALSE, TRUE, FALSE, 0, 1002 },
  { "reserved bit", 0xc1, TRUE, TRUE, FALSE, 0, 1002 },
  { "unknown opcode", 0x83, TRUE, TRUE, FALSE, 0, 1002 },
  { "fragmented ping", 0x09, TRUE, FALSE, FALSE, 4, 1002 },
  { "oversized ping", 0x89, TRUE, FALSE, FALSE, 126, 1002 },
  { "text that is not UTF-8", 0x81, TRUE, TRUE, TRUE, 0, 1007 },
};

/* Opens Alice's WebSocket by hand and waits until the relay has checked
 * her credentials, which its queue-empty marker says. */
static int
open_checked_websocket (Strict  *strict,
                        GString *rest)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  int fd = test_raw_websocket_open (strict->relay, strict->alice->auth, FALSE, rest);

  for (;;)
    {
      RawFrame *frame;

      while ((frame = take_frame (rest)) != NULL)
        {
          gboolean drained = frame->opcode == 0x1 &&
                             strstr (g_bytes_get_data (frame->payload, NULL), "queue-empty") != NULL;

          raw_frame_free (frame);
          if (drained)
            return fd;
        }
      g_assert_cmpint (test_raw_read (fd, rest, deadline), ==, TEST_READ_DATA);
    }
}

/* Each framing defect, on a checked connection, closes it with the
 * status RFC 6455 names; the send inside is never answered nor stored
 * (strict_finish checks that Bob's queue is empty). */
static void
test_websocket_framing (void)
{
  Strict strict = { 0 };
  g_autofree char *send = NULL;

  strict_start (&strict);
  send = g_strdup_printf ("{\"type\":\"send\",\"id\":7,\"destination\":\"%s\",\"timestamp\":1767225600000,"
                          "\"messages\":[{\"type\":1,\"destinationDeviceId\":1,"
                          "\"destinationRegistrationId\":%u,\"content\":\"AAEC\"}]}",
                          strict.bob->uuid, strict.bob->registration_id);
  for (guint i = 0; i < G_N_ELEMENTS (framing_defects); i++)
    {
      const FramingDefect *defect = &framing_defects[i];
      gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
      g_autoptr(GString) buffer = g_string_new (NULL);
      g_autoptr(GByteArray) frame = NULL;
      g_autofree guint8 *payload = NULL;
      gsize length = defect->length;
      gint close_code = -1;
      TestReadResult result;
      RawFrame *received;
      int fd;

      g_test_message ("%s", defect->name);
      if (defect->send)
        {
          length = strlen (send);
          payload = (guint8 *) g_strdup (send);
          if (defect->bad_utf8)
            payload[length - 6] = 0xff;
        }
      else
        payload = g_malloc0 (length);
      fd = open_checked_websocket (&strict, buffer);
      frame = client_frame (defect->first, defect->masked, payload, length);
      test_raw_write (fd, (const char *) frame->data, frame->len);

      do
        result = test_raw_read (fd, buffer, deadline);
      while (result == TEST_READ_DATA);
      /* The relay closes the connection itself, in time. */
      g_assert_cmpint (result, ==, TEST_READ_END);
      while ((received = take_frame (buffer)) != NULL)
        {
          gsize size;
          const guint8 *data = g_bytes_get_data (received->payload, &size);

          /* Whatever comes before the close frame is no answer to the send. */
          if (received->opcode == 0x1)
            g_assert_null (g_strstr_len ((const char *) data, (gssize) size, "\"response\""));
          if (received->opcode == 0x8)
            {
              g_assert_cmpuint (size, >=, 2);
              close_code = data[0] << 8 | data[1];
            }
          raw_frame_free (received);
        }
      g_assert_cmpint (close_code, ==, defect->close_code);
      close (fd);
    }
  strict_finish (&strict);
}

/* Reads the next frame. */
static RawFrame *
next_frame (int      fd,
            GString *buffer)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  RawFrame *frame;

  while ((frame = take_frame (buffer)) == NULL)
    g_assert_cmpint (test_raw_read (fd, buffer, deadline), ==, TEST_READ_DATA);
  return frame;
}

static void
write_frame (int           fd,
             guint8        first,
             const char   *payload,
             gsize         length)
{
  g_autoptr(GByteArray) frame = client_frame (first, TRUE, (const guint8 *) payload, length);

  test_raw_write (fd, (const char *) frame->data, frame->len);
}

/* What RFC 6455 allows is served: a message in three fragments, with a
 * ping between two of them, is read as one (its answer repeats its id)
 * and the ping gets its pong; the client's close frame gets one back
 * with the same code, and the relay closes. */
static void
test_websocket_fragments_and_control (void)
{
  Strict strict = { 0 };
  g_autoptr(GString) buffer = g_string_new (NULL);
  const char *message = "{\"type\":\"send\",\"id\":9,\"destination\":\"not-a-uuid\",\"timestamp\":1,"
                        "\"messages\":[]}";
  gsize third = strlen (message) / 3;
  gboolean pong_seen = FALSE;
  gboolean answer_seen = FALSE;
  RawFrame *frame;
  const guint8 *data;
  gsize size;
  int fd;

  strict_start (&strict);
  fd = open_checked_websocket (&strict, buffer);
  write_frame (fd, 0x01, message, third);
  write_frame (fd, 0x89, "are you there", 13);
  write_frame (fd, 0x00, message + third, third);
  write_frame (fd, 0x80, message + 2 * third, strlen (message) - 2 * third);

  /* The pong may come before or after the answer. */
  while (!pong_seen || !answer_seen)
    {
      frame = next_frame (fd, buffer);
      data = g_bytes_get_data (frame->payload, &size);
      if (frame->opcode == 0xa)
        {
          g_assert_cmpmem (data, size, "are you there", 13);
          pong_seen = TRUE;
        }
      else if (frame->opcode == 0x1)
        {
          g_assert_nonnull (g_strstr_len ((const char *) data, (gssize) size,
                                          "\"type\":\"response\",\"id\":9,\"status\":400"));
          answer_seen = TRUE;
        }
      raw_frame_free (frame);
    }

  write_frame (fd, 0x88, "\x03\xe8", 2);
  frame = next_frame (fd, buffer);
  data = g_bytes_get_data (frame->payload, &size);
  g_assert_cmpuint (frame->opcode, ==, 0x8);
  g_assert_cmpuint (size, ==, 2);
  g_assert_cmpint (data[0] << 8 | data[1], ==, 1000);
  raw_frame_free (frame);
  g_assert_true (test_raw_read_to_end (fd, g_get_monotonic_time () + 5 * G_USEC_PER_SEC));
  close (fd);
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
  g_test_add_func ("/relay/strict/websocket-framing", test_websocket_framing);
  g_test_add_func ("/relay/strict/websocket-fragments-and-control", test_websocket_fragments_and_control);
  return g_test_run ();
}
