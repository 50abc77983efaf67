/* sotto-error-text.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *sotto_error_text_describe (const GError *error,
                                 const char   *relay_url,
                                 const char   *username) G_GNUC_WARN_UNUSED_RESULT;
char *sotto_error_text_general  (const GError *error) G_GNUC_WARN_UNUSED_RESULT;
char *sotto_error_text_username (const char   *username) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
