/* relay-json-check.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * json-glib reads more than JSON: comments, numbers with leading zeros,
 * and more after the value.  Two readers that disagree on what a request
 * says are a way to smuggle one past the other, so every request goes
 * through this check of RFC 8259's grammar before json-glib sees it.
 * It also bounds nesting: json-glib parses recursively, and deeply
 * nested input could exhaust the stack before any other check ran.
 *
 * The check is a loop with an explicit stack, and reads each byte once.
 * It leaves UTF-8 to g_utf8_validate().
 */

#include "config.h"

#include <string.h>

#include "relay-json-check.h"

typedef struct
{
  const char *p;
  const char *end;
} Reader;

static void
skip_space (Reader *r)
{
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
    r->p++;
}

static gboolean
take (Reader *r,
      char    c)
{
  skip_space (r);
  if (r->p == r->end || *r->p != c)
    return FALSE;
  r->p++;
  return TRUE;
}

static gboolean
take_digits (Reader *r)
{
  const char *start = r->p;

  while (r->p < r->end && g_ascii_isdigit (*r->p))
    r->p++;
  return r->p > start;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static gboolean
take_number (Reader *r)
{
  if (r->p < r->end && *r->p == '-')
    r->p++;
  if (r->p == r->end || !g_ascii_isdigit (*r->p))
    return FALSE;
  if (*r->p == '0')
    r->p++;
  else
    take_digits (r);
  if (r->p < r->end && *r->p == '.')
    {
      r->p++;
      if (!take_digits (r))
        return FALSE;
    }
  if (r->p < r->end && (*r->p == 'e' || *r->p == 'E'))
    {
      r->p++;
      if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
        r->p++;
      if (!take_digits (r))
        return FALSE;
    }
  return TRUE;
}

/* A string, its opening quote already taken: no raw control characters,
 * and only the escapes JSON has. */
static gboolean
take_string_rest (Reader *r)
{
  while (r->p < r->end)
    {
      guchar c = (guchar) *r->p++;

      if (c == '"')
        return TRUE;
      if (c < 0x20)
        return FALSE;
      if (c != '\\')
        continue;
      if (r->p == r->end)
        return FALSE;
      c = (guchar) *r->p++;
      if (c == 'u')
        {
          for (guint i = 0; i < 4; i++)
            if (r->p == r->end || !g_ascii_isxdigit (*r->p++))
              return FALSE;
        }
      else if (strchr ("\"\\/bfnrt", c) == NULL || c == '\0')
        return FALSE;
    }
  return FALSE;
}

static gboolean
take_string (Reader *r)
{
  return take (r, '"') && take_string_rest (r);
}

static gboolean
take_literal (Reader     *r,
              const char *literal)
{
  gsize length = strlen (literal);

  if ((gsize) (r->end - r->p) < length || memcmp (r->p, literal, length) != 0)
    return FALSE;
  r->p += length;
  return TRUE;
}

gboolean
relay_json_check (const char *data,
                  gsize       length,
                  guint       max_depth)
{
  /* The open containers, innermost last: '{' or '['. */
  char stack[RELAY_JSON_CHECK_MAX_DEPTH];
  guint depth = 0;
  Reader r = { data, data + length };

  g_return_val_if_fail (max_depth <= RELAY_JSON_CHECK_MAX_DEPTH, FALSE);

  for (;;)
    {
      /* A value. */
      skip_space (&r);
      if (r.p == r.end)
        return FALSE;
      switch (*r.p)
        {
        case '{':
        case '[':
          if (depth == max_depth)
            return FALSE;
          stack[depth++] = *r.p++;
          if (take (&r, stack[depth - 1] == '{' ? '}' : ']'))
            {
              depth--;
              break;
            }
          if (stack[depth - 1] == '{' && !(take_string (&r) && take (&r, ':')))
            return FALSE;
          continue;
        case '"':
          r.p++;
          if (!take_string_rest (&r))
            return FALSE;
          break;
        case 't':
          if (!take_literal (&r, "true"))
            return FALSE;
          break;
        case 'f':
          if (!take_literal (&r, "false"))
            return FALSE;
          break;
        case 'n':
          if (!take_literal (&r, "null"))
            return FALSE;
          break;
        default:
          if (!take_number (&r))
            return FALSE;
          break;
        }

      /* After a value: close containers, or go on to the next member. */
      for (;;)
        {
          if (depth == 0)
            {
              skip_space (&r);
              return r.p == r.end;
            }
          if (take (&r, ','))
            {
              if (stack[depth - 1] == '{' && !(take_string (&r) && take (&r, ':')))
                return FALSE;
              break;
            }
          if (!take (&r, stack[depth - 1] == '{' ? '}' : ']'))
            return FALSE;
          depth--;
        }
    }
}
