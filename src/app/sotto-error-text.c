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
 * @username: the username the user gave
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
  g_return_val_if_fail (username != NULL, NULL);

  if (g_error_matches (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_UNKNOWN_CONTACT)
      || g_error_matches (error, SOTTO_RELAY_ERROR, SOTTO_RELAY_ERROR_NOT_FOUND))
    return g_strdup_printf (_("Nobody uses the username “%s” on your relay. Check the spelling."),
                            username);

  if (error->domain != SOTTO_RELAY_ERROR)
    return g_strdup (error->message);

  switch ((SottoRelayError) error->code)
    {
    case SOTTO_RELAY_ERROR_USERNAME_TAKEN:
      return g_strdup_printf (_("The username “%s” is taken. Choose another one."), username);
    case SOTTO_RELAY_ERROR_INVALID_URL:
      return g_strdup_printf (_("“%s” is not a relay address. A relay address looks like relay.example.org."),
                              relay_url);
    case SOTTO_RELAY_ERROR_UNREACHABLE:
      return g_strdup_printf (_("Sotto could not reach the relay at %s. Check the address and your connection."),
                              relay_url);
    case SOTTO_RELAY_ERROR_UNAVAILABLE:
      return g_strdup (_("The relay is not working right now. Try again later."));
    case SOTTO_RELAY_ERROR_RATE_LIMITED:
      return g_strdup (_("The relay is busy. Try again in a minute."));
    case SOTTO_RELAY_ERROR_REGISTRATION_CLOSED:
      return g_strdup (_("This relay takes new accounts only with a valid registration token. Enter the invite token you were given, or check it."));
    default:
      return g_strdup (error->message);
    }
}
