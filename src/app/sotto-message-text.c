/* sotto-message-text.c: what a bubble says of replies, reactions, edits
 * and deletion
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-message-text"

#include "config.h"

#include <glib/gi18n.h>

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
