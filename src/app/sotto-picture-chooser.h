/* sotto-picture-chooser.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void   sotto_picture_chooser_choose_async  (GtkWindow            *parent,
                                            const char           *title,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
GFile *sotto_picture_chooser_choose_finish (GAsyncResult         *result,
                                            GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
