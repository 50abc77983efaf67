/* sotto-secret.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-secret"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "sotto-engine-private.h"
#include "sotto-secret.h"

/**
 * sotto_secret_new:
 * @size: how many bytes
 *
 * Returns: (transfer full): @size zeroed bytes of guarded memory, for
 *   sotto_secret_free(); aborts when there is none
 */
char *
sotto_secret_new (gsize size)
{
  char *secret;

  g_return_val_if_fail (size > 0, NULL);

  _sotto_engine_init_crypto ();
  secret = _sotto_secure_alloc (size);
  sodium_memzero (secret, size);

  return secret;
}

/**
 * sotto_secret_strdup:
 * @string: a passphrase
 *
 * Returns: (transfer full): a copy of @string in guarded memory, for
 *   sotto_secret_free()
 */
char *
sotto_secret_strdup (const char *string)
{
  gsize size;
  char *secret;

  g_return_val_if_fail (string != NULL, NULL);

  size = strlen (string) + 1;
  secret = sotto_secret_new (size);
  memcpy (secret, string, size);

  return secret;
}

/**
 * sotto_secret_free:
 * @secret: (nullable): what sotto_secret_new() or sotto_secret_strdup()
 *   returned
 *
 * Wipes and frees @secret.
 */
void
sotto_secret_free (char *secret)
{
  sodium_free (secret);
}
