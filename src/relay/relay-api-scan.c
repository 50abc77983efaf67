/* relay-api-scan.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Fast paths for the two requests a busy relay reads most: sends and
 * acknowledgements.  Parsing them with json-glib builds a GObject parser
 * and a tree of nodes for every request, which cost more than the rest
 * of the request's handling on the event loop.  The scanner here reads
 * only a strict subset of JSON (no escapes, no fractions or exponents,
 * no unknown or repeated members, nothing outside ASCII) straight into
 * the result.  Anything outside that subset, and any invalid value, makes
 * it give up without a word: the json-glib decoder then parses the
 * request again and produces the answer, error or not.  So the subset
 * needs no error messages of its own, and whatever it accepts means the
 * same to both paths (the fuzz target checks that).
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

/* Reads a string of characters for which `allowed` holds, without its
 * quotes. */
static gboolean
take_string (Scanner      *s,
             gboolean    (*allowed) (char c),
             const char  **start,
             gsize        *length)
{
  const char *p;

  if (!take (s, '"'))
    return FALSE;
  for (p = s->p; p < s->end && *p != '"'; p++)
    if (!allowed (*p))
      return FALSE;
  if (p == s->end)
    return FALSE;
  *start = s->p;
  *length = (gsize) (p - s->p);
  s->p = p + 1;
  return TRUE;
}

static gboolean
is_name_char (char c)
{
  return g_ascii_isalpha (c);
}

static gboolean
is_base64_char (char c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/' || c == '=';
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

  if (!take_string (s, is_name_char, &name, &length) || !take (s, ':'))
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

typedef struct
{
  RelayOutgoingEnvelope *envelope;
  gsize                  max_content;
} MessageScan;

static gboolean
read_message_member (Scanner  *s,
                     int       index,
                     gpointer  data)
{
  MessageScan *scan = data;
  RelayOutgoingEnvelope *envelope = scan->envelope;
  const char *content;
  gsize length;
  gint64 value;

  switch (index)
    {
    case MESSAGE_TYPE:
      if (!take_integer (s, 1, RELAY_ENVELOPE_TYPE_MAX, &value))
        return FALSE;
      envelope->type = (guint8) value;
      return TRUE;
    case MESSAGE_DEVICE:
      if (!take_integer (s, 1, RELAY_DEVICE_ID_MAX, &value))
        return FALSE;
      envelope->device_id = (guint32) value;
      return TRUE;
    case MESSAGE_REGISTRATION:
      if (!take_integer (s, 1, RELAY_REGISTRATION_ID_MAX, &value))
        return FALSE;
      envelope->registration_id = (guint32) value;
      return TRUE;
    case MESSAGE_CONTENT:
      if (!take_string (s, is_base64_char, &content, &length))
        return FALSE;
      envelope->content = _relay_api_decode_base64 (content, length, "content", scan->max_content, NULL);
      if (envelope->content == NULL || g_bytes_get_size (envelope->content) == 0)
        return FALSE;
      envelope->content_base64 = g_strndup (content, length);
      return TRUE;
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
      MessageScan scan = { g_new0 (RelayOutgoingEnvelope, 1), max_content };
      guint32 device;

      g_ptr_array_add (request->messages, scan.envelope);
      if (request->messages->len > RELAY_MAX_ENVELOPES_PER_REQUEST ||
          !take_object (s, message_names, N_MESSAGE_MEMBERS, read_message_member, &scan))
        return FALSE;
      device = scan.envelope->device_id;
      if ((devices[device / 64] & (G_GUINT64_CONSTANT (1) << (device % 64))) != 0)
        return FALSE;
      devices[device / 64] |= G_GUINT64_CONSTANT (1) << (device % 64);
    }
  while (take (s, ','));
  return take (s, ']');
}

enum
{
  SEND_TIMESTAMP,
  SEND_MESSAGES,
  N_SEND_MEMBERS,
};

static const char * const send_names[N_SEND_MEMBERS] = {
  [SEND_TIMESTAMP] = "timestamp",
  [SEND_MESSAGES] = "messages",
};

typedef struct
{
  RelaySendRequest *request;
  gsize             max_content;
} SendScan;

static gboolean
read_send_member (Scanner  *s,
                  int       index,
                  gpointer  data)
{
  SendScan *scan = data;

  if (index == SEND_TIMESTAMP)
    return take_integer (s, 0, G_MAXINT64, &scan->request->timestamp);
  return take_messages (s, scan->request, scan->max_content);
}

RelaySendRequest *
_relay_send_request_scan (const char *data,
                          gsize       length,
                          gsize       max_content)
{
  g_autoptr(RelaySendRequest) request = NULL;
  SendScan scan = { NULL, max_content };
  Scanner s;

  /* An empty body may come as a NULL pointer. */
  if (length == 0)
    return NULL;
  request = _relay_send_request_new ();
  scan.request = request;
  s.p = data;
  s.end = data + length;
  if (!take_object (&s, send_names, N_SEND_MEMBERS, read_send_member, &scan))
    return NULL;
  skip_space (&s);
  if (s.p != s.end)
    return NULL;
  return g_steal_pointer (&request);
}

/* Only the exact text clients write is taken here. */
char *
_relay_ack_scan (const char *data,
                 gsize       length)
{
  static const char head[] = "{\"type\":\"ack\",\"guid\":\"";
  static const char tail[] = "\"}";
  gsize head_length = sizeof head - 1;
  gsize tail_length = sizeof tail - 1;
  const char *guid;

  if (length != head_length + RELAY_UUID_LENGTH + tail_length)
    return NULL;
  guid = data + head_length;
  if (memcmp (data, head, head_length) != 0 ||
      memcmp (guid + RELAY_UUID_LENGTH, tail, tail_length) != 0 ||
      !relay_uuid_is_valid (guid, RELAY_UUID_LENGTH))
    return NULL;
  return g_strndup (guid, RELAY_UUID_LENGTH);
}
