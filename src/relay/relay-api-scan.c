/* relay-api-scan.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Fast paths for the two requests a busy relay reads most: sends (as
 * HTTP bodies or WebSocket messages) and acknowledgements.  Parsing them with json-glib builds a GObject parser
 * and a tree of nodes for every request, which cost more than the rest
 * of the request's handling on the event loop.  The scanner here reads
 * only a strict subset of JSON (no escapes, no fractions or exponents,
 * no unknown or repeated members, nothing outside ASCII) straight into
 * the result.  Anything outside that subset, and any invalid value, makes
 * it give up without a word: the json-glib decoder then parses the
 * request again and produces the answer, error or not.  So the subset
 * needs no error messages of its own, and whatever it accepts means the
 * same to both paths (the fuzz target checks that).  At its end is the
 * strict JSON check every request passes before json-glib reads it.
 */

#include "config.h"

#include <string.h>

#include "relay-api-private.h"

/* Longest integer read: 18 digits always fit in a gint64. */
#define MAX_DIGITS 18

typedef struct
{
  const char *p;
  const char *end;
} Scanner;

static void
skip_space (Scanner *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

static gboolean
take (Scanner *s,
      char     c)
{
  skip_space (s);
  if (s->p == s->end || *s->p != c)
    return FALSE;
  s->p++;
  return TRUE;
}

/* The characters each kind of string may hold.  A table rather than a
 * test function per character: the content of every envelope passes
 * through here. */
enum
{
  CHARS_NAME = 1 << 0,
  CHARS_BASE64 = 1 << 1,
  CHARS_UUID = 1 << 2,
};

static guint8 char_classes[256];

/* Fills the table once; both entry points call it first. */
static void
init_char_classes (void)
{
  static gsize initialized = 0;

  if (!g_once_init_enter (&initialized))
    return;
  for (guint c = 0; c < 128; c++)
    char_classes[c] = (guint8) ((g_ascii_isalpha (c) ? CHARS_NAME : 0) |
                                (g_ascii_isalnum (c) || c == '+' || c == '/' || c == '=' ? CHARS_BASE64 : 0) |
                                (g_ascii_isxdigit (c) || c == '-' ? CHARS_UUID : 0));
  g_once_init_leave (&initialized, 1);
}

/* Reads a string of characters of the class `allowed`, without its
 * quotes. */
static gboolean
take_string (Scanner      *s,
             guint8        allowed,
             const char  **start,
             gsize        *length)
{
  const char *p;

  if (!take (s, '"'))
    return FALSE;
  for (p = s->p; p < s->end && *p != '"'; p++)
    if ((char_classes[(guint8) *p] & allowed) == 0)
      return FALSE;
  if (p == s->end)
    return FALSE;
  *start = s->p;
  *length = (gsize) (p - s->p);
  s->p = p + 1;
  return TRUE;
}

/* Reads a member name and its colon; the name matches exactly one of
 * `names`, whose index it returns, or the scan gives up (-1). */
static int
take_name (Scanner           *s,
           const char * const *names,
           guint               n_names)
{
  const char *name;
  gsize length;

  if (!take_string (s, CHARS_NAME, &name, &length) || !take (s, ':'))
    return -1;
  for (guint i = 0; i < n_names; i++)
    if (strlen (names[i]) == length && memcmp (names[i], name, length) == 0)
      return (int) i;
  return -1;
}

/* Reads a non-negative integer without sign, fraction, exponent or
 * leading zero (which JSON does not allow). */
static gboolean
take_integer (Scanner *s,
              gint64   min,
              gint64   max,
              gint64  *value)
{
  gint64 v = 0;
  guint digits = 0;

  skip_space (s);
  while (s->p < s->end && g_ascii_isdigit (*s->p))
    {
      if (++digits > MAX_DIGITS || (digits == 2 && v == 0))
        return FALSE;
      v = v * 10 + (*s->p++ - '0');
    }
  if (digits == 0 || (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E')))
    return FALSE;
  if (v < min || v > max)
    return FALSE;
  *value = v;
  return TRUE;
}

/* Reads an object of exactly the `n_names` members, each once, in any
 * order; `read_value` reads the value of member `index`. */
static gboolean
take_object (Scanner             *s,
             const char * const  *names,
             guint                n_names,
             gboolean           (*read_value) (Scanner *s,
                                               int      index,
                                               gpointer data),
             gpointer             data)
{
  guint32 seen = 0;

  if (!take (s, '{'))
    return FALSE;
  for (guint i = 0; i < n_names; i++)
    {
      int index;

      if ((i > 0 && !take (s, ',')) || (index = take_name (s, names, n_names)) < 0 ||
          (seen & (1u << index)) != 0 || !read_value (s, index, data))
        return FALSE;
      seen |= 1u << index;
    }
  return take (s, '}');
}

enum
{
  MESSAGE_TYPE,
  MESSAGE_DEVICE,
  MESSAGE_REGISTRATION,
  MESSAGE_CONTENT,
  N_MESSAGE_MEMBERS,
};

static const char * const message_names[N_MESSAGE_MEMBERS] = {
  [MESSAGE_TYPE] = "type",
  [MESSAGE_DEVICE] = "destinationDeviceId",
  [MESSAGE_REGISTRATION] = "destinationRegistrationId",
  [MESSAGE_CONTENT] = "content",
};

/* A message's members as read, before its envelope is made: the envelope
 * holds a copy of the base64 text in its own allocation. */
typedef struct
{
  gint64      type;
  gint64      device_id;
  gint64      registration_id;
  const char *content;
  gsize       content_length;
} MessageScan;

static gboolean
read_message_member (Scanner  *s,
                     int       index,
                     gpointer  data)
{
  MessageScan *scan = data;

  switch (index)
    {
    case MESSAGE_TYPE:
      return take_integer (s, 1, RELAY_ENVELOPE_TYPE_MAX, &scan->type);
    case MESSAGE_DEVICE:
      return take_integer (s, 1, RELAY_DEVICE_ID_MAX, &scan->device_id);
    case MESSAGE_REGISTRATION:
      return take_integer (s, 1, RELAY_REGISTRATION_ID_MAX, &scan->registration_id);
    case MESSAGE_CONTENT:
      return take_string (s, CHARS_BASE64, &scan->content, &scan->content_length);
    default:
      g_assert_not_reached ();
    }
}

/* Reads the array of messages; every one must go to a different device. */
static gboolean
take_messages (Scanner          *s,
               RelaySendRequest *request,
               gsize             max_content)
{
  guint64 devices[(RELAY_DEVICE_ID_MAX + 64) / 64] = { 0 };

  if (!take (s, '['))
    return FALSE;
  do
    {
      MessageScan scan = { 0 };
      g_autoptr(GBytes) content = NULL;
      RelayOutgoingEnvelope *envelope;
      guint32 device;

      if (request->messages->len == RELAY_MAX_ENVELOPES_PER_REQUEST ||
          !take_object (s, message_names, N_MESSAGE_MEMBERS, read_message_member, &scan))
        return FALSE;
      content = _relay_api_decode_base64 (scan.content, scan.content_length, "content", max_content, NULL);
      if (content == NULL || g_bytes_get_size (content) == 0)
        return FALSE;
      device = (guint32) scan.device_id;
      if ((devices[device / 64] & (G_GUINT64_CONSTANT (1) << (device % 64))) != 0)
        return FALSE;
      devices[device / 64] |= G_GUINT64_CONSTANT (1) << (device % 64);
      envelope = _relay_outgoing_envelope_new (scan.content, scan.content_length);
      envelope->type = (guint8) scan.type;
      envelope->device_id = device;
      envelope->registration_id = (guint32) scan.registration_id;
      envelope->content = g_steal_pointer (&content);
      g_ptr_array_add (request->messages, envelope);
    }
  while (take (s, ','));
  return take (s, ']');
}

/* The members of a send: the first two make the HTTP body, and a send
 * over the WebSocket adds the other three. */
enum
{
  SEND_TIMESTAMP,
  SEND_MESSAGES,
  N_SEND_BODY_MEMBERS,
  SEND_TYPE = N_SEND_BODY_MEMBERS,
  SEND_ID,
  SEND_DESTINATION,
  N_SEND_MEMBERS,
};

static const char * const send_names[N_SEND_MEMBERS] = {
  [SEND_TIMESTAMP] = "timestamp",
  [SEND_MESSAGES] = "messages",
  [SEND_TYPE] = "type",
  [SEND_ID] = "id",
  [SEND_DESTINATION] = "destination",
};

typedef struct
{
  RelaySendRequest   *request;
  RelayClientMessage *message;     /* NULL for an HTTP body */
  gsize               max_content;
} SendScan;

static gboolean
read_send_member (Scanner  *s,
                  int       index,
                  gpointer  data)
{
  SendScan *scan = data;
  const char *text;
  gsize length;

  switch (index)
    {
    case SEND_TIMESTAMP:
      return take_integer (s, 0, G_MAXINT64, &scan->request->timestamp);
    case SEND_MESSAGES:
      return take_messages (s, scan->request, scan->max_content);
    case SEND_TYPE:
      return take_string (s, CHARS_NAME, &text, &length) &&
             length == 4 && memcmp (text, "send", 4) == 0;
    case SEND_ID:
      return take_integer (s, 0, G_MAXINT64, &scan->message->id);
    case SEND_DESTINATION:
      if (!take_string (s, CHARS_UUID, &text, &length) || !relay_uuid_is_valid (text, length))
        return FALSE;
      memcpy (scan->message->destination, text, length);
      scan->message->destination[length] = '\0';
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

/* Scans a whole send object of `n_members` members into `scan`. */
static gboolean
scan_send (const char *data,
           gsize       length,
           guint       n_members,
           SendScan   *scan)
{
  Scanner s;

  /* An empty body may come as a NULL pointer. */
  if (length == 0)
    return FALSE;
  s.p = data;
  s.end = data + length;
  if (!take_object (&s, send_names, n_members, read_send_member, scan))
    return FALSE;
  skip_space (&s);
  return s.p == s.end;
}

RelaySendRequest *
_relay_send_request_scan (const char *data,
                          gsize       length,
                          gsize       max_content)
{
  g_autoptr(RelaySendRequest) request = _relay_send_request_new ();
  SendScan scan = { request, NULL, max_content };

  init_char_classes ();
  if (!scan_send (data, length, N_SEND_BODY_MEMBERS, &scan))
    return NULL;
  return g_steal_pointer (&request);
}

/* Reads one quoted GUID into the acknowledgement. */
static gboolean
take_guid (Scanner            *s,
           RelayClientMessage *message)
{
  RelayGuid guid;
  const char *text;
  gsize length;

  if (message->guids->len == RELAY_MAX_ACKS_PER_MESSAGE ||
      !take_string (s, CHARS_UUID, &text, &length) || !relay_uuid_is_valid (text, length))
    return FALSE;
  memcpy (guid.text, text, length);
  guid.text[length] = '\0';
  g_array_append_val (message->guids, guid);
  return TRUE;
}

/* Only the exact text clients write is taken for acknowledgements:
 * {"type":"ack","guid":"…"} or {"type":"ack","guids":["…",…]}. */
static RelayClientMessage *
scan_ack (const char *data,
          gsize       length)
{
  static const char one[] = "{\"type\":\"ack\",\"guid\":";
  static const char many[] = "{\"type\":\"ack\",\"guids\":";
  g_autoptr(RelayClientMessage) message = NULL;
  Scanner s;

  /* The member names are matched whole: take() skips white space, which
   * inside a name would make it another name. */
  s.end = data + length;
  if (length >= sizeof many - 1 && memcmp (data, many, sizeof many - 1) == 0)
    {
      s.p = data + sizeof many - 1;
      /* Every GUID but the last takes its quotes and a comma, and the
       * last its quotes and the brackets around the list. */
      message = _relay_client_message_new_ack (MIN ((length - (sizeof many - 1)) / (RELAY_UUID_LENGTH + 3),
                                                    RELAY_MAX_ACKS_PER_MESSAGE));
      if (!take (&s, '['))
        return NULL;
      do
        if (!take_guid (&s, message))
          return NULL;
      while (take (&s, ','));
      if (!take (&s, ']'))
        return NULL;
    }
  else if (length >= sizeof one - 1 && memcmp (data, one, sizeof one - 1) == 0)
    {
      s.p = data + sizeof one - 1;
      message = _relay_client_message_new_ack (1);
      if (!take_guid (&s, message))
        return NULL;
    }
  else
    return NULL;
  if (!take (&s, '}') || s.p != s.end)
    return NULL;
  return g_steal_pointer (&message);
}

RelayClientMessage *
_relay_client_message_scan (const char *data,
                            gsize       length,
                            gsize       max_content)
{
  g_autoptr(RelayClientMessage) message = NULL;
  SendScan scan;

  init_char_classes ();
  if (length == 0)
    return NULL;
  message = scan_ack (data, length);
  if (message != NULL)
    return g_steal_pointer (&message);
  message = _relay_client_message_new_send ();
  message->send = _relay_send_request_new ();
  scan.request = message->send;
  scan.message = message;
  scan.max_content = max_content;
  if (!scan_send (data, length, N_SEND_MEMBERS, &scan))
    return NULL;
  return g_steal_pointer (&message);
}

/* The strict JSON check.  json-glib reads more than JSON: comments,
 * numbers with leading zeros, and more after the value.  Two readers that
 * disagree on what a request says are a way to smuggle one past the
 * other, so every request the json-glib decoder reads passes this check
 * of RFC 8259's grammar first.  It also bounds nesting: json-glib parses
 * recursively, and deeply nested input could exhaust the stack before any
 * other check ran.  It is a loop with an explicit stack that reads each
 * byte once, and leaves UTF-8 to g_utf8_validate(). */

static gboolean
take_digits (Scanner *s)
{
  const char *start = s->p;

  while (s->p < s->end && g_ascii_isdigit (*s->p))
    s->p++;
  return s->p > start;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static gboolean
take_number (Scanner *s)
{
  if (s->p < s->end && *s->p == '-')
    s->p++;
  if (s->p == s->end || !g_ascii_isdigit (*s->p))
    return FALSE;
  if (*s->p == '0')
    s->p++;
  else
    take_digits (s);
  if (s->p < s->end && *s->p == '.')
    {
      s->p++;
      if (!take_digits (s))
        return FALSE;
    }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
    {
      s->p++;
      if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
        s->p++;
      if (!take_digits (s))
        return FALSE;
    }
  return TRUE;
}

/* The four hex digits of a \u escape, its "\u" already taken, as
 * @unit. */
static gboolean
take_utf16_unit (Scanner *s,
                 guint   *unit)
{
  *unit = 0;
  for (guint i = 0; i < 4; i++)
    {
      if (s->p == s->end || !g_ascii_isxdigit (*s->p))
        return FALSE;
      *unit = *unit << 4 | (guint) g_ascii_xdigit_value (*s->p++);
    }
  return TRUE;
}

/* A \u escape, its "\u" already taken.  UTF-16 surrogates come only as
 * a high one escaped right before a low one: json-glib refuses the rest,
 * so the check must too. */
static gboolean
take_unicode_escape (Scanner *s)
{
  guint unit;

  if (!take_utf16_unit (s, &unit) || (unit >= 0xdc00 && unit <= 0xdfff))
    return FALSE;
  if (unit < 0xd800 || unit > 0xdbff)
    return TRUE;
  if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
    return FALSE;
  s->p += 2;
  return take_utf16_unit (s, &unit) && unit >= 0xdc00 && unit <= 0xdfff;
}

/* A string, its opening quote already taken: no raw control characters,
 * and only the escapes JSON has. */
static gboolean
take_any_string_rest (Scanner *s)
{
  while (s->p < s->end)
    {
      guchar c = (guchar) *s->p++;

      if (c == '"')
        return TRUE;
      if (c < 0x20)
        return FALSE;
      if (c != '\\')
        continue;
      if (s->p == s->end)
        return FALSE;
      c = (guchar) *s->p++;
      if (c == 'u')
        {
          if (!take_unicode_escape (s))
            return FALSE;
        }
      else if (strchr ("\"\\/bfnrt", c) == NULL || c == '\0')
        return FALSE;
    }
  return FALSE;
}

static gboolean
take_any_string (Scanner *s)
{
  return take (s, '"') && take_any_string_rest (s);
}

static gboolean
take_literal (Scanner    *s,
              const char *literal)
{
  gsize length = strlen (literal);

  if ((gsize) (s->end - s->p) < length || memcmp (s->p, literal, length) != 0)
    return FALSE;
  s->p += length;
  return TRUE;
}

gboolean
_relay_json_check (const char *data,
                   gsize       length,
                   guint       max_depth)
{
  /* The open containers, innermost last: '{' or '['. */
  char stack[RELAY_JSON_CHECK_MAX_DEPTH];
  guint depth = 0;
  Scanner s;

  g_return_val_if_fail (max_depth <= RELAY_JSON_CHECK_MAX_DEPTH, FALSE);

  /* An empty body may come as a NULL pointer. */
  if (length == 0)
    return FALSE;
  s.p = data;
  s.end = data + length;

  for (;;)
    {
      /* A value. */
      skip_space (&s);
      if (s.p == s.end)
        return FALSE;
      switch (*s.p)
        {
        case '{':
        case '[':
          if (depth == max_depth)
            return FALSE;
          stack[depth++] = *s.p++;
          if (take (&s, stack[depth - 1] == '{' ? '}' : ']'))
            {
              depth--;
              break;
            }
          if (stack[depth - 1] == '{' && !(take_any_string (&s) && take (&s, ':')))
            return FALSE;
          continue;
        case '"':
          s.p++;
          if (!take_any_string_rest (&s))
            return FALSE;
          break;
        case 't':
          if (!take_literal (&s, "true"))
            return FALSE;
          break;
        case 'f':
          if (!take_literal (&s, "false"))
            return FALSE;
          break;
        case 'n':
          if (!take_literal (&s, "null"))
            return FALSE;
          break;
        default:
          if (!take_number (&s))
            return FALSE;
          break;
        }

      /* After a value: close containers, or go on to the next member. */
      for (;;)
        {
          if (depth == 0)
            {
              skip_space (&s);
              return s.p == s.end;
            }
          if (take (&s, ','))
            {
              if (stack[depth - 1] == '{' && !(take_any_string (&s) && take (&s, ':')))
                return FALSE;
              break;
            }
          if (!take (&s, stack[depth - 1] == '{' ? '}' : ']'))
            return FALSE;
          depth--;
        }
    }
}
