/* sotto-timeline-model.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Messages the timeline adds or starts with at a time, unless it is told
 * another number. */
#define SOTTO_TIMELINE_MODEL_PAGE_SIZE 50

#define SOTTO_TYPE_TIMELINE_MODEL (sotto_timeline_model_get_type ())

G_DECLARE_FINAL_TYPE (SottoTimelineModel, sotto_timeline_model, SOTTO, TIMELINE_MODEL, GObject)

SottoTimelineModel *sotto_timeline_model_new              (void) G_GNUC_WARN_UNUSED_RESULT;
void                sotto_timeline_model_set_messages     (SottoTimelineModel *self,
                                                           GListModel         *messages,
                                                           guint               start,
                                                           guint               end);
void                sotto_timeline_model_set_page_size    (SottoTimelineModel *self,
                                                           guint               page_size);
guint               sotto_timeline_model_get_page_size    (SottoTimelineModel *self);
void                sotto_timeline_model_show_newest      (SottoTimelineModel *self,
                                                           GListModel         *messages);
void                sotto_timeline_model_show_around      (SottoTimelineModel *self,
                                                           GListModel         *messages,
                                                           guint               position);
gboolean            sotto_timeline_model_extend_older     (SottoTimelineModel *self);
gboolean            sotto_timeline_model_extend_newer     (SottoTimelineModel *self);
guint               sotto_timeline_model_get_start        (SottoTimelineModel *self);
guint               sotto_timeline_model_get_end          (SottoTimelineModel *self);
gboolean            sotto_timeline_model_get_shows_newest (SottoTimelineModel *self);
gpointer            sotto_timeline_model_dup_before       (SottoTimelineModel *self,
                                                           guint               position) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
