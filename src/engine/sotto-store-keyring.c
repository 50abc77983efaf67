/* sotto-store-keyring.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <libsecret/secret.h>

#include "sotto-store-private.h"

/* The database key of each profile is one item in the Secret Service,
 * found by the profile's path.  The secret_password_*() calls go through
 * libsecret's backend, which inside Flatpak is a file sealed with a key
 * from the Secret portal, so the sandbox needs no access to the Secret
 * Service itself.  These calls block; the store makes them on its own
 * thread. */

static const SecretSchema *
sotto_store_keyring_get_schema (void)
{
  static const SecretSchema schema = {
    "im.sotto.Sotto.DatabaseKey", SECRET_SCHEMA_NONE,
    {
      { "profile", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

gboolean
_sotto_store_keyring_lookup (const char    *profile,
                             guint8        *key,
                             gboolean      *found,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_autoptr(SecretValue) value = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *secret;
  gsize len;

  g_assert (profile != NULL);
  g_assert (key != NULL);
  g_assert (found != NULL);

  value = secret_password_lookup_binary_sync (sotto_store_keyring_get_schema (),
                                              cancellable, &local_error,
                                              "profile", profile,
                                              NULL);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (value == NULL)
    {
      *found = FALSE;
      return TRUE;
    }

  secret = secret_value_get (value, &len);
  if (len != SOTTO_STORE_KEY_SIZE)
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_WRONG_KEY,
                           _("The key in the keyring has the wrong size"));
      return FALSE;
    }

  memcpy (key, secret, SOTTO_STORE_KEY_SIZE);
  *found = TRUE;

  return TRUE;
}

gboolean
_sotto_store_keyring_store (const char    *profile,
                            const guint8  *key,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(SecretValue) value = NULL;
  g_autofree char *label = NULL;

  g_assert (profile != NULL);
  g_assert (key != NULL);

  /* libsecret copies the key into its own non-pageable memory. */
  value = secret_value_new ((const char *) key, SOTTO_STORE_KEY_SIZE, "application/octet-stream");
  label = g_strdup_printf (_("Sotto database key for %s"), profile);

  /* An item with the same attributes is replaced. */
  return secret_password_store_binary_sync (sotto_store_keyring_get_schema (),
                                            SECRET_COLLECTION_DEFAULT, label, value,
                                            cancellable, error,
                                            "profile", profile,
                                            NULL);
}
