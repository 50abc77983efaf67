/* sotto-picture.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The most pixels a picture may declare and still be decoded. */
#define SOTTO_PICTURE_MAX_PIXELS (8192 * 8192)

/* A decoded picture: @height rows @stride bytes apart, each pixel 8-bit
 * red, green and blue, then alpha (not premultiplied) if @has_alpha. */
typedef struct
{
  GBytes   *pixels;
  int       width;
  int       height;
  gsize     stride;
  gboolean  has_alpha;
} SottoPicture;

SottoPicture *sotto_picture_load (GInputStream  *stream,
                                  int            max_side,
                                  GCancellable  *cancellable,
                                  GError       **error);
void          sotto_picture_free (SottoPicture  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoPicture, sotto_picture_free)

G_END_DECLS
