/* sotto-display-text-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean _sotto_display_text_is_valid        (const char *text,
                                              gsize       len,
                                              gsize       max);
gboolean _sotto_display_text_is_stored_valid (const char *text,
                                              gsize       len,
                                              gsize       max);
char     *_sotto_display_text_clean          (const char *text) G_GNUC_WARN_UNUSED_RESULT;
char     *_sotto_display_text_from_stored    (const char *text) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
