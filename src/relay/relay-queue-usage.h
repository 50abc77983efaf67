/* relay-queue-usage.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gint64 envelopes;
  gint64 bytes;
} RelayQueueAmount;

/* What a device's queue may hold, in all and from any one sender. */
typedef struct
{
  RelayQueueAmount device;
  RelayQueueAmount sender;
} RelayQueueLimits;

typedef struct _RelayQueueUsage RelayQueueUsage;

RelayQueueUsage *relay_queue_usage_new      (void);
void             relay_queue_usage_free     (RelayQueueUsage        *self);
void             relay_queue_usage_clear    (RelayQueueUsage        *self);
void             relay_queue_usage_add      (RelayQueueUsage        *self,
                                             const char             *device_key,
                                             const char             *sender,
                                             gint64                  envelopes,
                                             gint64                  bytes);
gboolean         relay_queue_usage_admits   (RelayQueueUsage        *self,
                                             const char             *device_key,
                                             const char             *sender,
                                             gint64                  bytes,
                                             const RelayQueueLimits *limits);
gint64           relay_queue_usage_get_total (RelayQueueUsage       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayQueueUsage, relay_queue_usage_free)

G_END_DECLS
