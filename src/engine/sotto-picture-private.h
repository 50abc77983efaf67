/* sotto-picture-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "sotto-picture.h"

G_BEGIN_DECLS

GdkPixbuf *_sotto_picture_load_pixbuf (GInputStream  *stream,
                                       int            max_side,
                                       GCancellable  *cancellable,
                                       GError       **error);

G_END_DECLS
