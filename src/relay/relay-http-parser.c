/* relay-http-parser.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A strict reader of request heads.  What RFC 9112 lets a server refuse,
 * it refuses, so that no proxy in front of the relay can read the same
 * bytes as a different request: a line ends in CRLF only, a field name
 * is a token right before its colon, no line is folded, no value holds a
 * control character, and the fields that frame or authenticate the
 * request (Content-Length, Authorization, Host, the WebSocket
 * handshake's, and the ranges of a blob's upload or download) come at
 * most once.
 */

#include "config.h"

#include <string.h>

#include "relay-http-parser.h"

typedef struct
{
  const uint8_t *data;
  size_t         position;
  size_t         end;        /* of the head, its last CRLF included */
} Cursor;

/* tchar of RFC 9110, 5.6.2. */
static bool
is_token_char (uint8_t c)
{
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
    return true;
  return c != '\0' && strchr ("!#$%&'*+-.^_`|~", c) != NULL;
}

/* field-vchar, SP or HTAB: anything but a control character. */
static bool
is_value_char (uint8_t c)
{
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool
span_equal (const uint8_t *data,
            size_t         length,
            const char    *word)
{
  size_t word_length = strlen (word);

  if (length != word_length)
    return false;
  for (size_t i = 0; i < length; i++)
    {
      uint8_t c = data[i];

      if (c >= 'A' && c <= 'Z')
        c = (uint8_t) (c - 'A' + 'a');
      if (c != (uint8_t) word[i])
        return false;
    }
  return true;
}

/* Where the head ends: the index just past its blank line, 0 while it
 * has not arrived, or an error for a lone LF or CR. */
static int64_t
find_head_end (const uint8_t *data,
               size_t         length)
{
  for (size_t i = 0; i < length; i++)
    {
      if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
        return RELAY_HTTP_ERROR_MALFORMED;
      if (data[i] == '\r' && i + 1 < length && data[i + 1] != '\n')
        return RELAY_HTTP_ERROR_MALFORMED;
      if (data[i] == '\n' && i >= 3 && data[i - 2] == '\n')
        return (int64_t) i + 1;
    }
  return 0;
}

static bool
read_request_line (Cursor        *cursor,
                   RelayHttpHead *head,
                   int           *error)
{
  const uint8_t *data = cursor->data;
  size_t start = cursor->position;
  size_t i = start;

  *error = RELAY_HTTP_ERROR_MALFORMED;
  while (i < cursor->end && is_token_char (data[i]))
    i++;
  if (i == start || data[i] != ' ')
    return false;
  if (i - start == 3 && memcmp (data + start, "GET", 3) == 0)
    head->method = RELAY_HTTP_METHOD_GET;
  else if (i - start == 4 && memcmp (data + start, "POST", 4) == 0)
    head->method = RELAY_HTTP_METHOD_POST;
  else if (i - start == 3 && memcmp (data + start, "PUT", 3) == 0)
    head->method = RELAY_HTTP_METHOD_PUT;
  else
    head->method = RELAY_HTTP_METHOD_OTHER;

  /* The origin form only: an absolute path and maybe a query. */
  start = ++i;
  if (data[i] != '/')
    return false;
  while (i < cursor->end && data[i] > 0x20 && data[i] != 0x7f)
    i++;
  if (data[i] != ' ')
    return false;
  head->path.offset = start;
  head->path.length = i - start;
  head->path.present = true;
  for (size_t j = start; j < i; j++)
    if (data[j] == '?' || data[j] == '#')
      {
        head->path.length = j - start;
        break;
      }

  i++;
  if (cursor->end - i < 10 || memcmp (data + i, "HTTP/", 5) != 0 || data[i + 6] != '.' ||
      data[i + 5] < '0' || data[i + 5] > '9' || data[i + 7] < '0' || data[i + 7] > '9' ||
      data[i + 8] != '\r')
    return false;
  if (data[i + 5] != '1')
    {
      *error = RELAY_HTTP_ERROR_VERSION;
      return false;
    }
  head->minor_version = data[i + 7] == '0' ? 0 : 1;
  cursor->position = i + 10;
  return true;
}

/* Reads the comma-separated tokens of a Connection or Upgrade field. */
static void
read_tokens (const uint8_t *value,
             size_t         length,
             RelayHttpHead *head,
             bool           connection)
{
  size_t i = 0;

  while (i < length)
    {
      size_t start;

      while (i < length && (value[i] == ' ' || value[i] == '\t' || value[i] == ','))
        i++;
      start = i;
      while (i < length && value[i] != ',' && value[i] != ' ' && value[i] != '\t')
        i++;
      if (i == start)
        continue;
      if (connection && span_equal (value + start, i - start, "close"))
        head->connection_close = true;
      else if (connection && span_equal (value + start, i - start, "keep-alive"))
        head->connection_keep_alive = true;
      else if (connection && span_equal (value + start, i - start, "upgrade"))
        head->connection_upgrade = true;
      else if (!connection && span_equal (value + start, i - start, "websocket"))
        head->upgrade_websocket = true;
    }
}

/* Sets `span` to a field that may come only once. */
static bool
take_once (RelayHttpSpan *span,
           size_t         offset,
           size_t         length)
{
  if (span->present)
    return false;
  span->offset = offset;
  span->length = length;
  span->present = true;
  return true;
}

static bool
read_field (Cursor        *cursor,
            RelayHttpHead *head,
            RelayHttpSpan *host)
{
  const uint8_t *data = cursor->data;
  size_t start = cursor->position;
  size_t i = start;
  size_t name_length;
  size_t value_start;
  size_t value_end;
  const uint8_t *name = data + start;

  while (is_token_char (data[i]))
    i++;
  /* No white space before the colon, and no folded line (5.1, 5.2). */
  if (i == start || data[i] != ':')
    return false;
  name_length = i - start;
  i++;
  while (data[i] == ' ' || data[i] == '\t')
    i++;
  value_start = i;
  while (data[i] != '\r')
    {
      if (!is_value_char (data[i]))
        return false;
      i++;
    }
  value_end = i;
  while (value_end > value_start && (data[value_end - 1] == ' ' || data[value_end - 1] == '\t'))
    value_end--;
  cursor->position = i + 2;

  if (span_equal (name, name_length, "authorization"))
    return take_once (&head->authorization, value_start, value_end - value_start);
  if (span_equal (name, name_length, "content-length"))
    return take_once (&head->content_length, value_start, value_end - value_start);
  if (span_equal (name, name_length, "host"))
    return take_once (host, value_start, value_end - value_start);
  if (span_equal (name, name_length, "sec-websocket-key"))
    return take_once (&head->websocket_key, value_start, value_end - value_start);
  if (span_equal (name, name_length, "sec-websocket-version"))
    return take_once (&head->websocket_version, value_start, value_end - value_start);
  if (span_equal (name, name_length, "content-range"))
    return take_once (&head->content_range, value_start, value_end - value_start);
  if (span_equal (name, name_length, "range"))
    return take_once (&head->range, value_start, value_end - value_start);
  if (span_equal (name, name_length, "transfer-encoding"))
    head->transfer_encoding = true;
  else if (span_equal (name, name_length, "connection"))
    read_tokens (data + value_start, value_end - value_start, head, true);
  else if (span_equal (name, name_length, "upgrade"))
    read_tokens (data + value_start, value_end - value_start, head, false);
  else if (span_equal (name, name_length, "expect"))
    head->expect_continue = span_equal (data + value_start, value_end - value_start, "100-continue");
  return true;
}

/* Reads the head at the start of `data`, whose first `max_length` bytes
 * at most may hold it.  Returns the head's length, its blank line
 * included, with `head` filled in and every span an offset into `data`;
 * 0 when the head has not all arrived yet; or a RelayHttpError. */
int
relay_http_head_parse (const uint8_t *data,
                       size_t         length,
                       size_t         max_length,
                       RelayHttpHead *head)
{
  RelayHttpSpan host = { 0 };
  Cursor cursor = { data, 0, 0 };
  int64_t end;
  int error;

  memset (head, 0, sizeof *head);
  if (max_length > INT32_MAX)
    max_length = INT32_MAX;
  end = find_head_end (data, length < max_length ? length : max_length);
  if (end < 0)
    return (int) end;
  if (end == 0)
    return length >= max_length ? RELAY_HTTP_ERROR_TOO_LARGE : 0;
  cursor.end = (size_t) end;

  if (!read_request_line (&cursor, head, &error))
    return error;
  while (cursor.position < cursor.end - 2)
    if (!read_field (&cursor, head, &host))
      return RELAY_HTTP_ERROR_MALFORMED;
  /* An HTTP/1.1 request must name its host (RFC 9112, 3.2). */
  if (head->minor_version == 1 && !host.present)
    return RELAY_HTTP_ERROR_MALFORMED;
  return (int) end;
}

/* Whether the connection may carry another request after this one. */
bool
relay_http_keep_alive (const RelayHttpHead *head)
{
  if (head->connection_close)
    return false;
  return head->minor_version == 1 || head->connection_keep_alive;
}

static int
hex_value (uint8_t c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decodes the percent-encoding of a path into `out`, NUL-terminated.
 * Returns the decoded length, or -1 for a bad escape, an escaped NUL or
 * a path longer than `out` holds. */
int
relay_http_path_decode (const uint8_t *path,
                        size_t         length,
                        char          *out,
                        size_t         out_size)
{
  size_t n = 0;

  for (size_t i = 0; i < length; i++)
    {
      int c = path[i];

      if (c == '%')
        {
          int high;
          int low;

          if (length - i < 3)
            return -1;
          high = hex_value (path[i + 1]);
          low = hex_value (path[i + 2]);
          if (high < 0 || low < 0 || (high == 0 && low == 0))
            return -1;
          c = high << 4 | low;
          i += 2;
        }
      if (n + 1 >= out_size)
        return -1;
      out[n++] = (char) c;
    }
  if (out_size == 0 || n > INT32_MAX)
    return -1;
  out[n] = '\0';
  return (int) n;
}
