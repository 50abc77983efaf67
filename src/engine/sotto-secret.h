/* sotto-secret.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Guarded memory for a passphrase on its way to the engine: locked,
 * fenced by guard pages and wiped when freed. */
char     *sotto_secret_new    (gsize        size) G_GNUC_WARN_UNUSED_RESULT;
char     *sotto_secret_strdup (const char  *string) G_GNUC_WARN_UNUSED_RESULT;
void      sotto_secret_free   (char        *secret);

G_END_DECLS
