/* sotto-picture-header-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The largest width and height that a GIF or a WebP file declares
 * anywhere a decoder sizes what it allocates: FALSE when @data is not
 * such a file, or is not well formed up to where its sizes are. */
gboolean _sotto_picture_gif_size  (const guint8 *data,
                                   gsize         len,
                                   guint32      *width,
                                   guint32      *height);
gboolean _sotto_picture_webp_size (const guint8 *data,
                                   gsize         len,
                                   guint32      *width,
                                   guint32      *height);

G_END_DECLS
