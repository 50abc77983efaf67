/* sotto-avatar.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "sotto-contact.h"
#include "sotto-group.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_AVATAR (sotto_avatar_get_type ())

/* The longest side, in pixels, an avatar is decoded to: more than the
 * largest avatar shown (96 pixels) needs at a scale factor of 4. */
#define SOTTO_AVATAR_MAX_SIDE 512

G_DECLARE_FINAL_TYPE (SottoAvatar, sotto_avatar, SOTTO, AVATAR, GtkWidget)

GtkWidget    *sotto_avatar_new            (void);
SottoContact *sotto_avatar_get_contact    (SottoAvatar  *self);
void          sotto_avatar_set_contact    (SottoAvatar  *self,
                                           SottoContact *contact);
SottoGroup   *sotto_avatar_get_group      (SottoAvatar  *self);
void          sotto_avatar_set_group      (SottoAvatar  *self,
                                           SottoGroup   *group);
GdkPaintable *sotto_avatar_get_image      (SottoAvatar  *self);
void          sotto_avatar_load_image_async (GBytes              *bytes,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
GdkTexture   *sotto_avatar_load_image_finish (GAsyncResult  *result,
                                              GError       **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
