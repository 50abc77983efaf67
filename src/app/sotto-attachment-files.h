/* sotto-attachment-files.h: attachments leaving the profile, at the user's request
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "sotto-messenger.h"

G_BEGIN_DECLS

SottoMessenger *sotto_attachment_files_get_messenger (GtkWidget           *widget);
void            sotto_attachment_files_toast         (GtkWidget           *widget,
                                                      const char          *message);
GFile          *sotto_attachment_files_new_private_dir (GError           **error) G_GNUC_WARN_UNUSED_RESULT;
void            sotto_attachment_files_remove        (GFile               *file);
GdkTexture     *sotto_attachment_files_load_picture  (GBytes              *bytes,
                                                      int                  max_side,
                                                      GError             **error) G_GNUC_WARN_UNUSED_RESULT;
GdkTexture     *sotto_attachment_files_load_picture_stream (GInputStream  *stream,
                                                            int            max_side,
                                                            GCancellable  *cancellable,
                                                            GError       **error) G_GNUC_WARN_UNUSED_RESULT;
void            sotto_attachment_files_decrypt_async (GtkWidget           *widget,
                                                      SottoAttachment     *attachment,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
GFile          *sotto_attachment_files_decrypt_finish (GAsyncResult       *result,
                                                       GError            **error) G_GNUC_WARN_UNUSED_RESULT;
void            sotto_attachment_files_open          (GtkWidget           *widget,
                                                      SottoAttachment     *attachment);
void            sotto_attachment_files_save_as       (GtkWidget           *widget,
                                                      SottoAttachment     *attachment);
void            sotto_attachment_files_retry         (GtkWidget           *widget,
                                                      SottoAttachment     *attachment);

G_END_DECLS
