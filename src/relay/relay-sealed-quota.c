/* relay-sealed-quota.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What each client address has queued, as sealed envelopes, for each
 * device that is not online.  Sealed envelopes name no sender, so in the
 * queue they all count as one sender's (RelayQueueUsage); without more,
 * one hostile sealed sender could fill that share and leave every other
 * sealed sender to the device refused.  Here each client address (each
 * IPv6 /64) may hold only part of it, so it takes several addresses to
 * fill.
 *
 * The counts live in the event loop's memory and nowhere else: the
 * stored envelope keeps no trace of its sender's address.  So they are
 * approximate where memory is: a restart forgets them (the shared share
 * still bounds the queue), a device that comes online here starts them
 * again, as it reads what waits, and a count older than a day goes (a
 * device that reads through another node of a shared database is never
 * seen here).  Memory is bounded by what the queues hold.
 */

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "relay-sealed-quota.h"

typedef struct
{
  RelayQueueAmount held;
  gint64           since;     /* monotonic time of the first envelope counted */
} BucketCount;

struct _RelaySealedQuota
{
  RelayQueueAmount  limit;
  GHashTable       *devices;  /* "uuid.device" -> (bucket -> BucketCount) */
};

RelaySealedQuota *
relay_sealed_quota_new (const RelayQueueAmount *limit)
{
  RelaySealedQuota *self = g_new0 (RelaySealedQuota, 1);

  self->limit = *limit;
  self->devices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_hash_table_unref);
  return self;
}

void
relay_sealed_quota_free (RelaySealedQuota *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->devices);
  g_free (self);
}

char *
relay_sealed_quota_bucket (const char *address)
{
  g_autoptr(GInetAddress) parsed = g_inet_address_new_from_string (address);
  static const guint8 v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  const guint8 *bytes;

  if (parsed == NULL || g_inet_address_get_family (parsed) != G_SOCKET_FAMILY_IPV6)
    return g_strdup (address);
  bytes = g_inet_address_to_bytes (parsed);
  /* An IPv4 client on a dual-stack socket is one address, not a /64. */
  if (memcmp (bytes, v4_mapped, sizeof v4_mapped) == 0)
    return g_strdup (address);
  return g_strdup_printf ("%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64", bytes[0], bytes[1], bytes[2], bytes[3],
                          bytes[4], bytes[5], bytes[6], bytes[7]);
}

static BucketCount *
lookup (RelaySealedQuota *self,
        const char       *device_key,
        const char       *bucket)
{
  GHashTable *buckets = g_hash_table_lookup (self->devices, device_key);

  return buckets != NULL ? g_hash_table_lookup (buckets, bucket) : NULL;
}

static gboolean
expired (const BucketCount *count,
         gint64             now_us)
{
  return now_us - count->since >= RELAY_SEALED_QUOTA_WINDOW_US;
}

gboolean
relay_sealed_quota_admits (RelaySealedQuota *self,
                           const char       *device_key,
                           const char       *bucket,
                           gint64            bytes,
                           gint64            now_us)
{
  BucketCount *count = lookup (self, device_key, bucket);

  if (count == NULL || expired (count, now_us))
    return bytes <= self->limit.bytes && self->limit.envelopes >= 1;
  return count->held.envelopes + 1 <= self->limit.envelopes && count->held.bytes + bytes <= self->limit.bytes;
}

void
relay_sealed_quota_add (RelaySealedQuota *self,
                        const char       *device_key,
                        const char       *bucket,
                        gint64            bytes,
                        gint64            now_us)
{
  GHashTable *buckets = g_hash_table_lookup (self->devices, device_key);
  BucketCount *count;

  if (buckets == NULL)
    {
      buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (self->devices, g_strdup (device_key), buckets);
    }
  count = g_hash_table_lookup (buckets, bucket);
  if (count == NULL)
    {
      count = g_new0 (BucketCount, 1);
      g_hash_table_insert (buckets, g_strdup (bucket), count);
    }
  if (count->held.envelopes == 0 || expired (count, now_us))
    *count = (BucketCount) { { 0, 0 }, now_us };
  count->held.envelopes++;
  count->held.bytes += bytes;
}

void
relay_sealed_quota_remove (RelaySealedQuota *self,
                           const char       *device_key,
                           const char       *bucket,
                           gint64            bytes,
                           gint64            now_us)
{
  BucketCount *count = lookup (self, device_key, bucket);

  /* The device may have come online meanwhile, and its counts started
   * again. */
  if (count == NULL || expired (count, now_us) || count->held.envelopes == 0)
    return;
  count->held.envelopes--;
  count->held.bytes -= MIN (count->held.bytes, bytes);
}

void
relay_sealed_quota_forget_device (RelaySealedQuota *self,
                                  const char       *device_key)
{
  g_hash_table_remove (self->devices, device_key);
}

void
relay_sealed_quota_prune (RelaySealedQuota *self,
                          gint64            now_us)
{
  GHashTableIter devices;
  GHashTable *buckets;

  g_hash_table_iter_init (&devices, self->devices);
  while (g_hash_table_iter_next (&devices, NULL, (gpointer *) &buckets))
    {
      GHashTableIter iter;
      BucketCount *count;

      g_hash_table_iter_init (&iter, buckets);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &count))
        if (expired (count, now_us))
          g_hash_table_iter_remove (&iter);
      if (g_hash_table_size (buckets) == 0)
        g_hash_table_iter_remove (&devices);
    }
}
