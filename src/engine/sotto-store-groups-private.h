/* sotto-store-groups-private.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sotto-group-event.h"
#include "sotto-group-state-private.h"
#include "sotto-store-private.h"

G_BEGIN_DECLS

/* The form of a sealed timeline entry (group_events.body): kind, id,
 * outgoing, author, author's name, text, detail. */
#define SOTTO_STORE_GROUP_EVENT_FORMAT "(usbsmsmsms)"

/* A group content waiting for the relay to accept it for one member. */
typedef struct
{
  gint64 id;
  char *uuid;
  char *username;
  GBytes *plaintext;
  gint64 timestamp;
} SottoGroupDelivery;

void             _sotto_group_delivery_free         (SottoGroupDelivery   *delivery);

/* One of this device's group messages that the relay has not taken for
 * every member yet (sotto-store-group-outgoing.c): its entry's row, its
 * group, its content, the members still to get it (SottoGroupMember:
 * UUID and username), and whether the last try failed for good. */
typedef struct
{
  gint64 event_row;
  char *group_id;
  GBytes *plaintext;
  GPtrArray *members;
  gboolean failed;
} SottoGroupOutgoing;

void             _sotto_group_outgoing_free         (SottoGroupOutgoing   *outgoing);

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
gboolean         _sotto_store_delete_group          (SottoStore           *self,
                                                     gint64                row,
                                                     GError              **error);
gboolean         _sotto_store_load_group_avatar     (SottoStore           *self,
                                                     gint64                row,
                                                     SottoGroupState      *state,
                                                     GError              **error);
gboolean         _sotto_store_save_group_avatar     (SottoStore           *self,
                                                     gint64                row,
                                                     SottoGroupState      *state,
                                                     GError              **error);
gboolean         _sotto_store_add_group_event       (SottoStore           *self,
                                                     gint64                row,
                                                     const SottoGroupEvent *event,
                                                     GError              **error);
gboolean         _sotto_store_mark_group_event_sealed (SottoStore         *self,
                                                     gint64                row,
                                                     const char           *author,
                                                     const char           *event_id,
                                                     GError              **error);
gboolean         _sotto_store_count_group_unread    (SottoStore           *self,
                                                     const char           *group_id,
                                                     guint                *count,
                                                     GError              **error);
gboolean         _sotto_store_mark_group_read       (SottoStore           *self,
                                                     gint64                row,
                                                     const char           *author,
                                                     const char           *event_id,
                                                     GError              **error);
GPtrArray       *_sotto_store_load_group_events     (SottoStore           *self,
                                                     gint64                row,
                                                     guint                 limit,
                                                     GError              **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean         _sotto_store_rehash_group_events   (SottoStore           *self,
                                                     GError              **error);
SottoGroupEvent *_sotto_store_find_group_event      (SottoStore           *self,
                                                     gint64                row,
                                                     const char           *author,
                                                     const char           *event_id,
                                                     gint64               *id,
                                                     GError              **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean         _sotto_store_find_group_row        (SottoStore           *self,
                                                     const char           *group_id,
                                                     gint64               *row,
                                                     GError              **error);
gboolean         _sotto_store_delete_group_event    (SottoStore           *self,
                                                     gint64                id,
                                                     GError              **error);
gboolean         _sotto_store_find_group_event_row  (SottoStore           *self,
                                                     gint64                row,
                                                     const char           *author,
                                                     const char           *event_id,
                                                     gint64               *id,
                                                     GError              **error);
gboolean         _sotto_store_update_group_event    (SottoStore           *self,
                                                     gint64                id,
                                                     const SottoGroupEvent *event,
                                                     GError              **error);

gboolean         _sotto_store_load_group_own_key    (SottoStore           *self,
                                                     gint64                row,
                                                     guint8                distribution_id[16],
                                                     gboolean             *found,
                                                     GError              **error);
gboolean         _sotto_store_save_group_own_key    (SottoStore           *self,
                                                     gint64                row,
                                                     const guint8          distribution_id[16],
                                                     GError              **error);
gboolean         _sotto_store_rotate_group_own_key  (SottoStore           *self,
                                                     gint64                row,
                                                     GError              **error);
gboolean         _sotto_store_group_key_is_shared   (SottoStore           *self,
                                                     gint64                row,
                                                     const char           *uuid,
                                                     gboolean             *shared,
                                                     GError              **error);
gboolean         _sotto_store_set_group_key_shared  (SottoStore           *self,
                                                     gint64                row,
                                                     const char           *uuid,
                                                     gboolean              shared,
                                                     GError              **error);

SottoGroupDelivery *_sotto_store_add_group_delivery (SottoStore           *self,
                                                     gint64                row,
                                                     const char           *uuid,
                                                     const char           *username,
                                                     GBytes               *plaintext,
                                                     gint64                timestamp,
                                                     GError              **error) G_GNUC_WARN_UNUSED_RESULT;
GPtrArray       *_sotto_store_list_group_deliveries (SottoStore           *self,
                                                     GError              **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean         _sotto_store_delete_group_delivery (SottoStore           *self,
                                                     gint64                id,
                                                     GError              **error);

/* sotto-store-group-outgoing.c */
gboolean         _sotto_store_save_group_outgoing   (SottoStore           *self,
                                                     gint64                row,
                                                     const SottoGroupOutgoing *outgoing,
                                                     GError              **error);
gboolean         _sotto_store_read_group_outgoing_state (SottoStore       *self,
                                                     SottoStoreStatement  *statement,
                                                     int                   column,
                                                     gint64                event_row,
                                                     SottoGroupEvent      *event,
                                                     GError              **error);
GPtrArray       *_sotto_store_list_group_outgoing   (SottoStore           *self,
                                                     gboolean              failed,
                                                     gint64                event_row,
                                                     GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoGroupDelivery, _sotto_group_delivery_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoGroupOutgoing, _sotto_group_outgoing_free)

G_END_DECLS
