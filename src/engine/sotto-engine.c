/* sotto-engine.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-engine"

#include "config.h"

#include <glib/gi18n.h>
#include <sodium.h>

#include "sotto-engine.h"
#include "sotto-engine-private.h"
#include "sotto-messenger.h"

/**
 * sotto_engine_init:
 * @error: return location for an error
 *
 * Initialises the cryptography the engine stands on (libsodium and
 * libgcrypt, through the session core).  The engine's classes do this
 * themselves and abort when it fails; a program that would rather say
 * so and exit calls this first.  Safe to call more than once.
 *
 * Returns: %TRUE if the engine can be used
 */
gboolean
sotto_engine_init (GError **error)
{
  if (sp_init () != SP_OK)
    {
      g_set_error_literal (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
                           _("Could not initialise libsodium and libgcrypt"));
      return FALSE;
    }

  return TRUE;
}

void
_sotto_set_error_from_sp (GError     **error,
                          int          rc,
                          const char  *what)
{
  /* Translators: an error: what failed, then the protocol's own
   * explanation, which is in English */
  g_set_error (error, SOTTO_MESSENGER_ERROR, SOTTO_MESSENGER_ERROR_FAILED,
               _("%s (%s)"), what, sp_strerror (rc));
}

gpointer
_sotto_secure_alloc (gsize size)
{
  gpointer memory = sodium_malloc (size);

  if (memory == NULL)
    g_error ("Could not allocate guarded memory for keys");

  return memory;
}
