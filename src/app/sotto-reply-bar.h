/* sotto-reply-bar.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "sotto-message.h"

G_BEGIN_DECLS

#define SOTTO_TYPE_REPLY_BAR (sotto_reply_bar_get_type ())

G_DECLARE_FINAL_TYPE (SottoReplyBar, sotto_reply_bar, SOTTO, REPLY_BAR, GtkWidget)

GtkTextBuffer *sotto_reply_bar_get_buffer  (SottoReplyBar *self);
void          sotto_reply_bar_set_buffer   (SottoReplyBar *self,
                                            GtkTextBuffer *buffer);
SottoMessage *sotto_reply_bar_get_message  (SottoReplyBar *self);
gboolean      sotto_reply_bar_get_editing  (SottoReplyBar *self);
void          sotto_reply_bar_reply_to     (SottoReplyBar *self,
                                            SottoMessage  *message,
                                            const char    *author);
void          sotto_reply_bar_edit         (SottoReplyBar *self,
                                            SottoMessage  *message,
                                            const char    *text);
void          sotto_reply_bar_cancel       (SottoReplyBar *self);
void          sotto_reply_bar_put_text     (SottoReplyBar *self,
                                            const char    *text);
gboolean      sotto_reply_bar_get_putting_text (SottoReplyBar *self);
char         *sotto_reply_bar_dup_draft    (SottoReplyBar *self) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
