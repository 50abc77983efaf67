/* relay-ratelimit.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Token buckets keyed by kind and client address or account.  They live
 * on the event loop thread only, so they need no locking.  A bucket that
 * has refilled completely carries no information, which is what lets
 * the periodic prune bound the table's memory.
 *
 * The limits per address count an IPv6 client's /64 as one address:
 * whoever holds one address of it usually holds all of it (a home
 * router is delegated a /64 or more, and SLAAC and privacy extensions
 * pick new addresses in it at will), so a limit per IPv6 address would
 * limit nobody.  IPv4 addresses, also when written as IPv4-mapped IPv6,
 * count one each.
 */

#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "relay-ratelimit.h"

typedef struct
{
  double tokens;
  gint64 updated_us;
} Bucket;

struct _RelayRateLimiter
{
  RelayRate   rates[RELAY_N_RATES];
  GHashTable *buckets[RELAY_N_RATES];
};

RelayRateLimiter *
relay_rate_limiter_new (const RelayRate *rates)
{
  RelayRateLimiter *self = g_new0 (RelayRateLimiter, 1);

  memcpy (self->rates, rates, sizeof self->rates);
  for (guint i = 0; i < RELAY_N_RATES; i++)
    self->buckets[i] = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

/* New rates for a running relay.  Every bucket keeps what it holds (at
 * most the new burst), so that a reload does not hand every client a
 * fresh burst. */
void
relay_rate_limiter_set_rates (RelayRateLimiter *self,
                              const RelayRate  *rates)
{
  g_return_if_fail (self != NULL);

  for (guint i = 0; i < RELAY_N_RATES; i++)
    {
      GHashTableIter iter;
      Bucket *bucket;

      g_hash_table_iter_init (&iter, self->buckets[i]);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &bucket))
        bucket->tokens = MIN (bucket->tokens, rates[i].burst);
    }
  memcpy (self->rates, rates, sizeof self->rates);
}

void
relay_rate_limiter_free (RelayRateLimiter *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < RELAY_N_RATES; i++)
    g_hash_table_unref (self->buckets[i]);
  g_free (self);
}

static double
refill (const RelayRate *rate,
        Bucket          *bucket,
        gint64           now_us)
{
  double elapsed = (double) MAX (now_us - bucket->updated_us, 0) / G_USEC_PER_SEC;

  return MIN (rate->burst, bucket->tokens + elapsed * rate->rate);
}

static gboolean
kind_is_per_address (RelayRateKind kind)
{
  switch (kind)
    {
    case RELAY_RATE_ADDRESS_REQUESTS:
    case RELAY_RATE_ADDRESS_REGISTRATIONS:
    case RELAY_RATE_ADDRESS_AUTH_FAILURES:
    case RELAY_RATE_ADDRESS_WEBSOCKETS:
    case RELAY_RATE_ADDRESS_UNIDENTIFIED_SENDS:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Room for an IPv6 prefix in text, "/64" included. */
#define PREFIX_KEY_SIZE (INET6_ADDRSTRLEN + 3)

/* The key of the bucket that @key's requests of @kind draw from: for an
 * IPv6 address that is not IPv4-mapped, its /64 written into @buffer;
 * otherwise @key itself. */
static const char *
bucket_key (RelayRateKind  kind,
            const char    *key,
            char           buffer[PREFIX_KEY_SIZE])
{
  struct in6_addr address;

  if (!kind_is_per_address (kind) || inet_pton (AF_INET6, key, &address) != 1 ||
      IN6_IS_ADDR_V4MAPPED (&address))
    return key;
  memset (address.s6_addr + 8, 0, 8);
  if (inet_ntop (AF_INET6, &address, buffer, INET6_ADDRSTRLEN) == NULL)
    return key;
  strcat (buffer, "/64");
  return buffer;
}

/* The bucket of @key, created full and refilled to @now_us. */
static Bucket *
refilled_bucket (RelayRateLimiter *self,
                 RelayRateKind     kind,
                 const char       *key,
                 gint64            now_us)
{
  const RelayRate *rate = &self->rates[kind];
  char prefix[PREFIX_KEY_SIZE];
  Bucket *bucket;

  key = bucket_key (kind, key, prefix);
  bucket = g_hash_table_lookup (self->buckets[kind], key);

  if (bucket == NULL)
    {
      bucket = g_new (Bucket, 1);
      bucket->tokens = rate->burst;
      bucket->updated_us = now_us;
      g_hash_table_insert (self->buckets[kind], g_strdup (key), bucket);
    }
  bucket->tokens = refill (rate, bucket, now_us);
  bucket->updated_us = now_us;
  return bucket;
}

gboolean
relay_rate_limiter_take (RelayRateLimiter *self,
                         RelayRateKind     kind,
                         const char       *key,
                         gint64            now_us)
{
  Bucket *bucket;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail ((guint) kind < RELAY_N_RATES, FALSE);

  bucket = refilled_bucket (self, kind, key, now_us);
  if (bucket->tokens < 1.0)
    return FALSE;
  bucket->tokens -= 1.0;
  return TRUE;
}

gboolean
relay_rate_limiter_peek (RelayRateLimiter *self,
                         RelayRateKind     kind,
                         const char       *key,
                         gint64            now_us)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail ((guint) kind < RELAY_N_RATES, FALSE);

  return refilled_bucket (self, kind, key, now_us)->tokens >= 1.0;
}

void
relay_rate_limiter_give_back (RelayRateLimiter *self,
                              RelayRateKind     kind,
                              const char       *key,
                              gint64            now_us)
{
  Bucket *bucket;

  g_return_if_fail (self != NULL);
  g_return_if_fail ((guint) kind < RELAY_N_RATES);

  bucket = refilled_bucket (self, kind, key, now_us);
  bucket->tokens = MIN (self->rates[kind].burst, bucket->tokens + 1.0);
}

void
relay_rate_limiter_prune (RelayRateLimiter *self,
                          gint64            now_us)
{
  g_return_if_fail (self != NULL);

  for (guint i = 0; i < RELAY_N_RATES; i++)
    {
      GHashTableIter iter;
      Bucket *bucket;

      g_hash_table_iter_init (&iter, self->buckets[i]);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &bucket))
        if (refill (&self->rates[i], bucket, now_us) >= self->rates[i].burst)
          g_hash_table_iter_remove (&iter);
    }
}
