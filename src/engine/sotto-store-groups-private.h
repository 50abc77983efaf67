/* sotto-store-groups-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-group-state-private.h"
#include "sotto-store-private.h"

G_BEGIN_DECLS

/**
 * SottoGroupEventKind:
 * @SOTTO_GROUP_EVENT_TEXT: a message to the group
 * @SOTTO_GROUP_EVENT_UPDATE: a change to the group: @text is the
 *   action's name, @detail the title or the member it is about
 * @SOTTO_GROUP_EVENT_KEY_CHANGE: the safety number with the member
 *   @author changed
 *
 * What a group's timeline holds.
 */
typedef enum
{
  SOTTO_GROUP_EVENT_TEXT = 1,
  SOTTO_GROUP_EVENT_UPDATE = 2,
  SOTTO_GROUP_EVENT_KEY_CHANGE = 3,
} SottoGroupEventKind;

/* One entry of a group's timeline, as stored (sealed, whole). */
typedef struct
{
  SottoGroupEventKind kind;
  char *id;
  gboolean outgoing;
  char *author;
  char *author_name;
  char *text;
  char *detail;
  gint64 sent_at;
} SottoGroupEvent;

SottoGroupEvent *_sotto_group_event_new             (SottoGroupEventKind   kind,
                                                     const char           *id,
                                                     gboolean              outgoing,
                                                     const char           *author,
                                                     const char           *author_name,
                                                     const char           *text,
                                                     const char           *detail,
                                                     gint64                sent_at) G_GNUC_WARN_UNUSED_RESULT;
SottoGroupEvent *_sotto_group_event_copy            (const SottoGroupEvent *event) G_GNUC_WARN_UNUSED_RESULT;
void             _sotto_group_event_free            (SottoGroupEvent      *event);

/* On the store's thread (sotto-store-groups.c). */
SottoGroupState *_sotto_store_load_group            (SottoStore           *self,
                                                     const char           *group_id,
                                                     gint64               *row,
                                                     GError              **error) G_GNUC_WARN_UNUSED_RESULT;
GPtrArray       *_sotto_store_list_groups           (SottoStore           *self,
                                                     GError              **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean         _sotto_store_save_group            (SottoStore           *self,
                                                     SottoGroupState      *state,
                                                     gint64               *row,
                                                     GError              **error);
gboolean         _sotto_store_add_group_event       (SottoStore           *self,
                                                     gint64                row,
                                                     const SottoGroupEvent *event,
                                                     GError              **error);
GPtrArray       *_sotto_store_load_group_events     (SottoStore           *self,
                                                     gint64                row,
                                                     guint                 limit,
                                                     GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoGroupEvent, _sotto_group_event_free)

G_END_DECLS
