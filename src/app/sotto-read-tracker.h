/* sotto-read-tracker.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SOTTO_TYPE_READ_TRACKER (sotto_read_tracker_get_type ())

G_DECLARE_FINAL_TYPE (SottoReadTracker, sotto_read_tracker, SOTTO, READ_TRACKER, GObject)

SottoReadTracker *sotto_read_tracker_new    (GtkScrolledWindow *scroller) G_GNUC_WARN_UNUSED_RESULT;
void              sotto_read_tracker_queue  (SottoReadTracker  *self);
void              sotto_read_tracker_flush  (SottoReadTracker  *self);
void              sotto_read_tracker_forget (SottoReadTracker  *self);

G_END_DECLS
