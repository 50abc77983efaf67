/* sotto-error-text.c: the engine's errors in words a person understands
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-error-text"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-error-text.h"
#include "sotto-messenger.h"
#include "sotto-relay-error.h"

/**
 * sotto_error_text_describe:
 * @error: an error of registration or of looking a person up
 * @relay_url: the relay's address
 * @username: (nullable): the username the user gave, if the error can
 *   be about one
 *
 * Says what went wrong and what to do about it, in place of the
 * technical message (HTTP statuses, socket errors) the engine carries.
 *
 * Returns: (transfer full): a sentence or two for the user
 */
char *
sotto_error_text_describe (const GError *error,
                           const char   *relay_url,
                           const char   *username)
{
  g_return_val_if_fail (error != NULL, NULL);
  g_return_val_if_fail (relay_url != NULL, NULL);

  if (username != NULL
      && (g_error_matches (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_UNKNOWN_CONTACT)
          || g_error_matches (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_NOT_FOUND)))
    return g_strdup_printf (_("Nobody uses the username “%s” on your relay. Check the spelling."),
                            username);

  if (username != NULL && g_error_matches (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_USERNAME_TAKEN))
    return g_strdup_printf (_("The username “%s” is taken. Choose another one."), username);
  if (g_error_matches (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_INVALID_URL))
    return g_strdup_printf (_("“%s” is not a relay address. A relay address looks like relay.example.org."),
                            relay_url);
  if (g_error_matches (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_UNREACHABLE))
    return g_strdup_printf (_("Sotto could not reach the relay at %s. Check the address and your connection."),
                            relay_url);

  return sotto_error_text_general (error);
}

/**
 * sotto_error_text_general:
 * @error: an error the engine reports
 *
 * Says what went wrong in Sotto's own words.  A relay's refusal carries
 * the relay's own text, in English and of the relay's choosing: that
 * never reaches the user, who reads a sentence for the kind of refusal.
 *
 * Returns: (transfer full): a sentence or two for the user
 */
char *
sotto_error_text_general (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain != SOTTO_RELAY_ERROR)
    return g_strdup (error->message);

  switch ((SottoRelayError) error->code)
    {
    /* Made by Sotto itself, about what the user gave it. */
    case SOTTO_RELAY_ERROR_INVALID_URL:
    case SOTTO_RELAY_ERROR_INSECURE:
    case SOTTO_RELAY_ERROR_UNREACHABLE:
    case SOTTO_RELAY_ERROR_BAD_CA:
      return g_strdup (error->message);
    case SOTTO_RELAY_ERROR_UNAVAILABLE:
      return g_strdup (_("The relay is not working right now. Try again later."));
    case SOTTO_RELAY_ERROR_RATE_LIMITED:
      return g_strdup (_("The relay is busy. Try again in a minute."));
    case SOTTO_RELAY_ERROR_REGISTRATION_CLOSED:
      return g_strdup (_("This relay takes new accounts only with a valid registration token. Enter the invite token you were given, or check it."));
    case SOTTO_RELAY_ERROR_UNAUTHORIZED:
      return g_strdup (_("The relay no longer accepts this device. It may have removed your account."));
    case SOTTO_RELAY_ERROR_NOT_FOUND:
      return g_strdup (_("The relay does not know this person or device."));
    case SOTTO_RELAY_ERROR_USERNAME_TAKEN:
      return g_strdup (_("This username is taken. Choose another one."));
    case SOTTO_RELAY_ERROR_DEVICE_MISMATCH:
    case SOTTO_RELAY_ERROR_STALE_DEVICES:
      return g_strdup (_("Your contact’s devices changed while Sotto sent this. Try again."));
    case SOTTO_RELAY_ERROR_BAD_REQUEST:
      return g_strdup (_("The relay did not accept what Sotto sent. The relay may run a different version of Sotto."));
    case SOTTO_RELAY_ERROR_BAD_RESPONSE:
      return g_strdup (_("The relay’s answer makes no sense to Sotto. The relay may run a different version of Sotto."));
    case SOTTO_RELAY_ERROR_FAILED:
    default:
      return g_strdup (_("The relay refused to do this."));
    }
}

/* The first thing to fix in @username, which the relay refuses: a
 * character no username has (spaces and capitals first, the commonest),
 * else its length.  A username the relay takes has only ASCII. */
static char *
dup_username_problem (const char *username)
{
  gboolean space = FALSE;
  gboolean capital = FALSE;
  const char *other = NULL;
  glong length = g_utf8_strlen (username, -1);

  for (const char *p = username; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c))
        space = TRUE;
      else if (g_unichar_isupper (c))
        capital = TRUE;
      else if (other == NULL && !(c < 0x80 && (g_ascii_islower (c) || g_ascii_isdigit (c) || c == '.' || c == '_')))
        other = p;
    }

  if (space && capital)
    return g_strdup (_("A username has no spaces or capital letters."));
  if (space)
    return g_strdup (_("A username has no spaces."));
  if (capital)
    return g_strdup (_("A username has no capital letters."));
  if (other != NULL)
    {
      g_autofree char *character = g_strndup (other, g_utf8_next_char (other) - other);

      /* Translators: %s is one character, as “!” */
      return g_strdup_printf (_("A username cannot have “%s”."), character);
    }
  if (length < 3)
    return g_strdup (_("A username has at least 3 characters."));
  if (length > 32)
    return g_strdup (_("A username has at most 32 characters."));

  return NULL;
}

/**
 * sotto_error_text_username:
 * @username: a username the user typed, valid UTF-8
 *
 * Says what is wrong with @username by the relay's own rule
 * (sotto_messenger_username_is_valid(), docs/relay-api.md), so that a
 * form says it under the field before anything goes to the relay.
 *
 * Returns: (transfer full) (nullable): what to fix, then the rule; %NULL
 *   for a valid username
 */
char *
sotto_error_text_username (const char *username)
{
  g_autofree char *problem = NULL;
  const char *rule;

  g_return_val_if_fail (username != NULL, NULL);

  if (sotto_messenger_username_is_valid (username))
    return NULL;

  rule = _("Usernames have 3 to 32 characters: lowercase letters, digits, dots and underscores.");
  problem = dup_username_problem (username);
  if (problem == NULL)
    return g_strdup (rule);

  /* Translators: what is wrong with a username, then the rule */
  return g_strdup_printf (C_("username problem", "%s %s"), problem, rule);
}
