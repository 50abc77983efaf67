/* sotto-display-text.c: names and titles that others choose
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-engine"

#include "config.h"

#include "sotto-display-text-private.h"

/* Whether the character @c reorders or breaks the text around it:
 * controls (a line break, or an escape sequence that drives the
 * terminal sotto-cli prints to), the line and paragraph separators, and
 * the directional embeddings, overrides and isolates, which reverse the
 * text after them (a name that makes the message after it read
 * backwards). */
static gboolean
breaks_line (gunichar c)
{
  return g_unichar_iscntrl (c)
         || c == 0x2028 || c == 0x2029
         || (c >= 0x202a && c <= 0x202e)
         || (c >= 0x2066 && c <= 0x2069);
}

/* Whether @text, @len bytes, is a name or title as earlier versions
 * took them, and may have stored them: 1 to @max bytes of UTF-8 without
 * NUL. */
gboolean
_sotto_display_text_is_stored_valid (const char *text,
                                     gsize       len,
                                     gsize       max)
{
  /* g_utf8_validate() refuses a NUL among @len bytes. */
  return len > 0 && len <= max && g_utf8_validate (text, len, NULL);
}

/* Whether @text, @len bytes, is a name or title another person chose
 * that may be shown on one line among other text: 1 to @max bytes of
 * UTF-8 without NUL and without characters that break or reorder the
 * line. */
gboolean
_sotto_display_text_is_valid (const char *text,
                              gsize       len,
                              gsize       max)
{
  const char *end = text + len;

  if (!_sotto_display_text_is_stored_valid (text, len, max))
    return FALSE;

  for (const char *p = text; p < end; p = g_utf8_next_char (p))
    {
      if (breaks_line (g_utf8_get_char (p)))
        return FALSE;
    }

  return TRUE;
}

/* A copy of @text, valid UTF-8, without the characters that break or
 * reorder a line: what Sotto sends of a name it did not choose, such as
 * a file's. */
char *
_sotto_display_text_clean (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  GString *clean = g_string_new (NULL);

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!breaks_line (c))
        g_string_append_unichar (clean, c);
    }

  return g_string_free (clean, FALSE);
}

/* A name or title as an earlier version may have stored it (see
 * _sotto_display_text_is_stored_valid()), as it is shown now: on one
 * line, without the characters that break or reorder it, or U+FFFD when
 * nothing else is left.  A record that holds one loads, rather than
 * being taken for damaged. */
char *
_sotto_display_text_from_stored (const char *text)
{
  g_autofree char *clean = _sotto_display_text_clean (text);

  return clean[0] != '\0' ? g_steal_pointer (&clean) : g_strdup ("\uFFFD");
}
