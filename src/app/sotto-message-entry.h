/* sotto-message-entry.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SOTTO_TYPE_MESSAGE_ENTRY (sotto_message_entry_get_type ())

G_DECLARE_FINAL_TYPE (SottoMessageEntry, sotto_message_entry, SOTTO, MESSAGE_ENTRY, GtkWidget)

GtkWidget     *sotto_message_entry_new           (void);
GtkTextView   *sotto_message_entry_get_text_view (SottoMessageEntry *self);
GtkTextBuffer *sotto_message_entry_get_buffer    (SottoMessageEntry *self);
char          *sotto_message_entry_dup_text      (SottoMessageEntry *self) G_GNUC_WARN_UNUSED_RESULT;
void           sotto_message_entry_set_text      (SottoMessageEntry *self,
                                                  const char        *text);
void           sotto_message_entry_give_back     (SottoMessageEntry *self,
                                                  const char        *text);

G_END_DECLS
