/* relay-sealed-quota.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "relay-queue-usage.h"

G_BEGIN_DECLS

/* How long a client address's count of sealed envelopes for a device
 * lasts when the device does not come online on this relay. */
#define RELAY_SEALED_QUOTA_WINDOW_US (24 * G_TIME_SPAN_HOUR)

typedef struct _RelaySealedQuota RelaySealedQuota;

/* Each client address may queue `limit` of the sealed envelopes that
 * wait for one device. */
RelaySealedQuota *relay_sealed_quota_new            (const RelayQueueAmount *limit);
void              relay_sealed_quota_free           (RelaySealedQuota       *self);
/* The bucket of a client address: itself for IPv4, its /64 for IPv6,
 * where one client commonly holds a whole /64. */
char             *relay_sealed_quota_bucket         (const char             *address);
/* Whether the address's bucket may queue one more sealed envelope of
 * `bytes` for the device. */
gboolean          relay_sealed_quota_admits         (RelaySealedQuota       *self,
                                                     const char             *device_key,
                                                     const char             *bucket,
                                                     gint64                  bytes,
                                                     gint64                  now_us);
/* Counts a sealed envelope that the bucket queued for the device. */
void              relay_sealed_quota_add            (RelaySealedQuota       *self,
                                                     const char             *device_key,
                                                     const char             *bucket,
                                                     gint64                  bytes,
                                                     gint64                  now_us);
/* Takes back what relay_sealed_quota_add() counted for an envelope
 * that was not stored after all. */
void              relay_sealed_quota_remove         (RelaySealedQuota       *self,
                                                     const char             *device_key,
                                                     const char             *bucket,
                                                     gint64                  bytes,
                                                     gint64                  now_us);
/* The device came online and reads its queue: its counts start again. */
void              relay_sealed_quota_forget_device  (RelaySealedQuota       *self,
                                                     const char             *device_key);
/* Drops the counts older than RELAY_SEALED_QUOTA_WINDOW_US. */
void              relay_sealed_quota_prune          (RelaySealedQuota       *self,
                                                     gint64                  now_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelaySealedQuota, relay_sealed_quota_free)

G_END_DECLS
