/* sotto-contact-label.c: a contact's name with their username beside it
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-contact-label"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-contact-label.h"

/* A display name is whatever the contact typed into their profile: it
 * can be anyone's name, including another contact's.  Wherever the app
 * shows it, the username, which the relay keeps unique, stays in sight
 * beside it, so that "Bob" from mallory never passes for bob. */

/**
 * sotto_contact_label_username:
 * @contact: a #SottoContact
 *
 * Returns: (nullable): the username to show beside the contact's name,
 *   or %NULL when the name shown is the username itself
 */
const char *
sotto_contact_label_username (SottoContact *contact)
{
  const char *username;

  g_return_val_if_fail (SOTTO_IS_CONTACT (contact), NULL);

  username = sotto_contact_get_username (contact);
  if (username == NULL || g_strcmp0 (sotto_contact_get_name (contact), username) == 0)
    return NULL;

  return username;
}

/**
 * sotto_contact_label_full:
 * @contact: a #SottoContact
 *
 * Returns: (transfer full): the contact's name with their username, as
 *   in "Robert (bob)", or the username alone
 */
char *
sotto_contact_label_full (SottoContact *contact)
{
  const char *username;

  g_return_val_if_fail (SOTTO_IS_CONTACT (contact), NULL);

  username = sotto_contact_label_username (contact);
  if (username == NULL)
    return g_strdup (sotto_contact_get_name (contact));

  /* Translators: a contact's display name and, in parentheses, their
   * username, as in "Robert (bob)" */
  return g_strdup_printf (_("%s (%s)"), sotto_contact_get_name (contact), username);
}
