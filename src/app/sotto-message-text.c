/* sotto-message-text.c: what a bubble says of replies, reactions, edits,
 * deletion, and its text as markup with links
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-message-text"

#include "config.h"

#include <glib/gi18n.h>

#include <string.h>

#include "sotto-message-text.h"

/**
 * sotto_message_dup_shown_text:
 *
 * Returns: (transfer full): the text a bubble shows for @message: its
 *   text, or that it was deleted for everyone
 */
char *
sotto_message_dup_shown_text (SottoMessage *message)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (message), NULL);

  if (sotto_message_get_deleted (message) || sotto_message_get_body (message) == NULL)
    return g_strdup (_("This message was deleted"));

  return g_strdup (sotto_message_get_body (message));
}

/**
 * sotto_message_dup_quote:
 *
 * Returns: (transfer full) (nullable): the excerpt a reply shows above
 *   its text, or %NULL for a message that is no reply
 */
char *
sotto_message_dup_quote (SottoMessage *message)
{
  g_return_val_if_fail (SOTTO_IS_MESSAGE (message), NULL);

  if (sotto_message_get_quote_id (message) == NULL)
    return NULL;

  /* The excerpt comes with the reply, so it shows even without the
   * original; only deleting the original for everyone takes it. */
  if (sotto_message_get_quote_text (message) == NULL)
    return g_strdup (_("This message was deleted"));

  return g_strdup (sotto_message_get_quote_text (message));
}

/**
 * sotto_message_dup_reactions:
 *
 * Returns: (transfer full) (nullable): the reactions under @message, each
 *   emoji once with its count when more than one person chose it, as in
 *   "👍 2" or "👍 ❤️"; %NULL without reactions
 */
char *
sotto_message_dup_reactions (SottoMessage *message)
{
  const char *mine;
  const char *theirs;

  g_return_val_if_fail (SOTTO_IS_MESSAGE (message), NULL);

  mine = sotto_message_get_my_reaction (message);
  theirs = sotto_message_get_their_reaction (message);

  if (mine != NULL && theirs != NULL)
    {
      if (g_str_equal (mine, theirs))
        /* Translators: one emoji reaction and how many chose it, as in "👍 2" */
        return g_strdup_printf (C_("reaction count", "%s %u"), mine, 2);

      return g_strdup_printf ("%s %s", theirs, mine);
    }

  return g_strdup (mine != NULL ? mine : theirs);
}

/**
 * sotto_message_dup_reactors:
 * @contact_name: who the contact is
 *
 * Returns: (transfer full) (nullable): who reacted with what, one line
 *   each, as in "Bob: 👍"; %NULL without reactions
 */
char *
sotto_message_dup_reactors (SottoMessage *message,
                            const char   *contact_name)
{
  const char *mine;
  const char *theirs;
  g_autoptr(GString) lines = g_string_new (NULL);

  g_return_val_if_fail (SOTTO_IS_MESSAGE (message), NULL);

  mine = sotto_message_get_my_reaction (message);
  theirs = sotto_message_get_their_reaction (message);
  if (mine == NULL && theirs == NULL)
    return NULL;

  /* Translators: who reacted to a message, and with what, as in "Bob: 👍" */
  if (theirs != NULL)
    g_string_append_printf (lines, _("%s: %s"), contact_name, theirs);
  if (mine != NULL)
    {
      if (lines->len > 0)
        g_string_append_c (lines, '\n');
      /* Translators: the user's own reaction to a message, as in "You: 👍" */
      g_string_append_printf (lines, _("You: %s"), mine);
    }

  return g_string_free (g_steal_pointer (&lines), FALSE);
}

/* Characters without a space after which a break opportunity is added. */
#define LONGEST_UNBROKEN_RUN 24

/* The longest web address that is a link, in bytes: more than browsers
 * and servers take (about 2,000), and a message of many such addresses
 * cannot make a label of megabytes of link attributes. */
#define LONGEST_ADDRESS 4096

/* Appends @len bytes of @text as markup.  Pango lays out a wrapping line
 * with no break opportunity in time that grows with the square of its
 * length (a message of 8000 letters without a space took 80 seconds), so
 * long runs get zero-width spaces: anyone who can write to the user
 * could otherwise freeze the window with one message. */
static void
append_breakable_markup (GString    *markup,
                         const char *text,
                         gssize      len)
{
  const char *end = text + len;
  guint run = 0;

  for (const char *p = text; p < end; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      g_autofree char *escaped = g_markup_escape_text (p, g_utf8_next_char (p) - p);

      g_string_append (markup, escaped);

      if (g_unichar_isspace (c))
        run = 0;
      else if (++run == LONGEST_UNBROKEN_RUN)
        {
          g_string_append_unichar (markup, 0x200B);
          run = 0;
        }
    }
}

/**
 * sotto_message_text_dup_markup:
 * @text: a message's text
 * @links: whether web addresses are links
 *
 * Returns: (transfer full): @text as Pango markup, in which web
 *   addresses are links when @links: those with http or https, and
 *   those that start with "www.", which go to https.  Nothing else: a
 *   message must not make a click run anything.
 */
char *
sotto_message_text_dup_markup (const char *text,
                               gboolean    links)
{
  static GRegex *address_regex;
  g_autoptr(GMatchInfo) match = NULL;
  GString *markup = g_string_new (NULL);
  const char *rest = text;

  /* An address ends before trailing punctuation, as in "see https://x.org.";
   * one without a scheme names a host with a dot in it, as www.x.org. */
  if (g_once_init_enter (&address_regex))
    g_once_init_leave (&address_regex,
                       g_regex_new ("\\b(?:https?://|www\\.(?=[\\w-]+\\.\\w))[^\\s<>\"]*[^\\s<>\".,;:!?'()\\[\\]]",
                                    G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL));

  for (g_regex_match (address_regex, text, 0, &match);
       links && g_match_info_matches (match);
       g_match_info_next (match, NULL))
    {
      g_autofree char *address = NULL;
      int start, end;

      g_match_info_fetch_pos (match, 0, &start, &end);
      if (end - start > LONGEST_ADDRESS)
        continue;

      append_breakable_markup (markup, rest, text + start - rest);
      address = g_markup_escape_text (text + start, end - start);
      g_string_append_printf (markup, "<a href=\"%s%s\">",
                              g_ascii_strncasecmp (text + start, "www.", 4) == 0 ? "https://" : "", address);
      append_breakable_markup (markup, text + start, end - start);
      g_string_append (markup, "</a>");
      rest = text + end;
    }

  append_breakable_markup (markup, rest, strlen (rest));

  return g_string_free (markup, FALSE);
}
