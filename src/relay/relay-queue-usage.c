/* relay-queue-usage.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What every device's queue holds, in envelopes and bytes, in all and
 * per sender, so that a send can be refused before it is stored: a queue
 * is bounded in bytes as well as in envelopes, and one sender may take
 * only a share of it, so that an account that floods a recipient fills
 * its own share and leaves the rest of the queue to everyone else.
 * Shares alone do not stop a few fresh accounts that each fill theirs,
 * so what senders hold beyond a small light allowance also counts
 * against a flood pool of half the queue, which they share: the other
 * half stays open to senders that did not flood.
 *
 * The storage writer thread alone uses it, and changes it only for what
 * it has stored or deleted; after a rollback it counts again from the
 * table.  Queues that empty are forgotten, which bounds its memory by
 * what the queues hold.
 */

#include "config.h"

#include "relay-queue-usage.h"

typedef struct
{
  RelayQueueAmount total;
  GHashTable      *senders;   /* sender UUID -> RelayQueueAmount */
} DeviceUsage;

struct _RelayQueueUsage
{
  GHashTable *devices;        /* "uuid.device" -> DeviceUsage */
  gint64      total;          /* envelopes in every queue */
};

static void
device_usage_free (DeviceUsage *usage)
{
  g_hash_table_unref (usage->senders);
  g_free (usage);
}

RelayQueueUsage *
relay_queue_usage_new (void)
{
  RelayQueueUsage *self = g_new0 (RelayQueueUsage, 1);

  self->devices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) device_usage_free);
  return self;
}

void
relay_queue_usage_free (RelayQueueUsage *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->devices);
  g_free (self);
}

void
relay_queue_usage_clear (RelayQueueUsage *self)
{
  g_hash_table_remove_all (self->devices);
  self->total = 0;
}

/* Adds envelopes and bytes from `sender` to a device's queue; negative
 * amounts take them away. */
void
relay_queue_usage_add (RelayQueueUsage *self,
                       const char      *device_key,
                       const char      *sender,
                       gint64           envelopes,
                       gint64           bytes)
{
  DeviceUsage *usage;
  RelayQueueAmount *share;

  if (envelopes == 0 && bytes == 0)
    return;
  usage = g_hash_table_lookup (self->devices, device_key);
  if (usage == NULL)
    {
      usage = g_new0 (DeviceUsage, 1);
      usage->senders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (self->devices, g_strdup (device_key), usage);
    }
  share = g_hash_table_lookup (usage->senders, sender);
  if (share == NULL)
    {
      share = g_new0 (RelayQueueAmount, 1);
      g_hash_table_insert (usage->senders, g_strdup (sender), share);
    }
  share->envelopes += envelopes;
  share->bytes += bytes;
  usage->total.envelopes += envelopes;
  usage->total.bytes += bytes;
  self->total += envelopes;
  if (share->envelopes <= 0)
    g_hash_table_remove (usage->senders, sender);
  if (usage->total.envelopes <= 0)
    g_hash_table_remove (self->devices, device_key);
}

static gboolean
fits (const RelayQueueAmount *held,
      gint64                  bytes,
      const RelayQueueAmount *limit)
{
  return held->envelopes + 1 <= limit->envelopes && held->bytes + bytes <= limit->bytes;
}

/* What a sender may hold in a queue before it counts as flooding it: a
 * tenth of its share. */
static RelayQueueAmount
light_allowance (const RelayQueueLimits *limits)
{
  return (RelayQueueAmount) { MAX (1, limits->sender.envelopes / 10), MAX (1, limits->sender.bytes / 10) };
}

/* What the senders that flood a queue may hold beyond their light
 * allowances, all together: half the queue, or one sender's share where
 * the operator made that larger, so that a lone sender still reaches its
 * share.  However many accounts an attacker opens, the rest is left to
 * senders that did not flood, less the light allowances of the
 * attacker's accounts. */
static RelayQueueAmount
flood_pool (const RelayQueueLimits *limits)
{
  return (RelayQueueAmount) {
    MAX (limits->sender.envelopes, limits->device.envelopes / 2),
    MAX (limits->sender.bytes, limits->device.bytes / 2),
  };
}

static RelayQueueAmount
excess (const RelayQueueAmount *held,
        const RelayQueueAmount *allowance)
{
  return (RelayQueueAmount) {
    MAX (0, held->envelopes - allowance->envelopes), MAX (0, held->bytes - allowance->bytes)
  };
}

/* What a device's senders hold beyond their light allowances.  It walks
 * the device's senders, only for a send from a sender past its own
 * allowance; there are at most as many as the queue holds envelopes. */
static RelayQueueAmount
flooded (DeviceUsage            *usage,
         const RelayQueueAmount *allowance)
{
  RelayQueueAmount total = { 0, 0 };
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, usage->senders);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      RelayQueueAmount over = excess (value, allowance);

      total.envelopes += over.envelopes;
      total.bytes += over.bytes;
    }
  return total;
}

/* Whether a device's queue takes one more envelope of `bytes` from
 * `sender`: the queue and the sender's share have room, and if the
 * sender would hold more than its light allowance, so does the flood
 * pool. */
gboolean
relay_queue_usage_admits (RelayQueueUsage        *self,
                          const char             *device_key,
                          const char             *sender,
                          gint64                  bytes,
                          const RelayQueueLimits *limits)
{
  static const RelayQueueAmount empty = { 0, 0 };
  DeviceUsage *usage = g_hash_table_lookup (self->devices, device_key);
  RelayQueueAmount allowance = light_allowance (limits);
  RelayQueueAmount pool_limit = flood_pool (limits);
  const RelayQueueAmount *share;
  RelayQueueAmount after, before_excess, after_excess, pool;

  /* In an empty queue, what fits a share fits the pool, which is never
   * smaller than a share. */
  if (usage == NULL)
    return fits (&empty, bytes, &limits->device) && fits (&empty, bytes, &limits->sender);
  share = g_hash_table_lookup (usage->senders, sender);
  if (share == NULL)
    share = &empty;
  if (!fits (&usage->total, bytes, &limits->device) || !fits (share, bytes, &limits->sender))
    return FALSE;

  after = (RelayQueueAmount) { share->envelopes + 1, share->bytes + bytes };
  after_excess = excess (&after, &allowance);
  if (after_excess.envelopes == 0 && after_excess.bytes == 0)
    return TRUE;
  before_excess = excess (share, &allowance);
  pool = flooded (usage, &allowance);
  return pool.envelopes - before_excess.envelopes + after_excess.envelopes <= pool_limit.envelopes &&
         pool.bytes - before_excess.bytes + after_excess.bytes <= pool_limit.bytes;
}

gint64
relay_queue_usage_get_total (RelayQueueUsage *self)
{
  return self->total;
}
