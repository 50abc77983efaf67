/* sotto-image-viewer.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "sotto-attachment.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_IMAGE_VIEWER (sotto_image_viewer_get_type ())

G_DECLARE_FINAL_TYPE (SottoImageViewer, sotto_image_viewer, SOTTO, IMAGE_VIEWER, AdwWindow)

SottoImageViewer *sotto_image_viewer_new           (GtkWindow        *transient_for,
                                                    SottoAttachment  *attachment,
                                                    GdkPaintable     *thumbnail);
GdkPaintable     *sotto_image_viewer_get_paintable (SottoImageViewer *self);
gboolean          sotto_image_viewer_get_loaded    (SottoImageViewer *self);

G_END_DECLS
