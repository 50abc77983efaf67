/* sotto-engine-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "sp-error.h"
#include "sp-init.h"

G_BEGIN_DECLS

/* Called from the class_init of every class that uses libsodium or the
 * session core.  Without a working random number generator nothing the
 * engine does is safe, so failing here is fatal. */
static inline void
_sotto_engine_init_crypto (void)
{
  if (sp_init () != SP_OK)
    g_error ("Could not initialise libsodium and libgcrypt");
}

static inline gint64
_sotto_now_ms (void)
{
  return g_get_real_time () / 1000;
}

gboolean _sotto_uuid_to_bytes     (const char  *uuid,
                                   guint8       bytes[16]);

/* sodium_malloc that aborts when guarded memory runs out: the engine
 * cannot go on without somewhere safe to keep keys. */
gpointer _sotto_secure_alloc      (gsize        size);

/* A #SOTTO_MESSENGER_ERROR_FAILED saying what failed and why the
 * session core refused it. */
void     _sotto_set_error_from_sp (GError     **error,
                                   int          rc,
                                   const char  *what);

G_END_DECLS
