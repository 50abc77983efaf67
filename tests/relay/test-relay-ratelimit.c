/* test-relay-ratelimit.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The rate limiter's buckets.  Whoever holds one IPv6 address usually
 * holds its whole /64 (a home router delegates one, and SLAAC and
 * privacy extensions pick a new address in it at will), so the limits
 * per address count an IPv6 client's /64 as one address.  IPv4
 * addresses, and IPv4 written as IPv4-mapped IPv6, stay one each, and
 * keys that are no addresses (accounts) are left as they are.
 */

#include "config.h"

#include "relay-ratelimit.h"

#define NOW_US G_GINT64_CONSTANT (1000000000)

/* A limiter whose every kind allows one request and refills slowly. */
static RelayRateLimiter *
one_each_limiter (void)
{
  RelayRate rates[RELAY_N_RATES];

  for (guint i = 0; i < RELAY_N_RATES; i++)
    rates[i] = (RelayRate) { 1.0 / 3600, 1.0 };
  return relay_rate_limiter_new (rates);
}

static void
test_ipv6_prefix (void)
{
  const RelayRateKind address_kinds[] = {
    RELAY_RATE_ADDRESS_REQUESTS, RELAY_RATE_ADDRESS_REGISTRATIONS, RELAY_RATE_ADDRESS_AUTH_FAILURES,
    RELAY_RATE_ADDRESS_WEBSOCKETS, RELAY_RATE_ADDRESS_UNIDENTIFIED_SENDS,
  };

  for (guint k = 0; k < G_N_ELEMENTS (address_kinds); k++)
    {
      g_autoptr(RelayRateLimiter) limiter = one_each_limiter ();
      RelayRateKind kind = address_kinds[k];

      g_assert_true (relay_rate_limiter_take (limiter, kind, "2001:db8:1:2::1", NOW_US));
      /* Another address of the same /64, written differently. */
      g_assert_false (relay_rate_limiter_peek (limiter, kind, "2001:db8:1:2:ffff:ffff:ffff:fffe", NOW_US));
      g_assert_false (relay_rate_limiter_take (limiter, kind, "2001:0db8:0001:0002:0000:0000:0000:0009", NOW_US));
      /* The next /64 is someone else. */
      g_assert_true (relay_rate_limiter_take (limiter, kind, "2001:db8:1:3::1", NOW_US));
      /* So are two IPv4 clients, whether or not as mapped addresses. */
      g_assert_true (relay_rate_limiter_take (limiter, kind, "192.0.2.1", NOW_US));
      g_assert_true (relay_rate_limiter_take (limiter, kind, "192.0.2.2", NOW_US));
      g_assert_false (relay_rate_limiter_take (limiter, kind, "192.0.2.2", NOW_US));
      g_assert_true (relay_rate_limiter_take (limiter, kind, "::ffff:198.51.100.1", NOW_US));
      g_assert_true (relay_rate_limiter_take (limiter, kind, "::ffff:198.51.100.2", NOW_US));
      /* What is not an address is a key of its own. */
      g_assert_true (relay_rate_limiter_take (limiter, kind, "unknown", NOW_US));
    }
}

/* Keys of the other kinds are never read as addresses. */
static void
test_other_kinds_untouched (void)
{
  g_autoptr(RelayRateLimiter) limiter = one_each_limiter ();

  g_assert_true (relay_rate_limiter_take (limiter, RELAY_RATE_ACCOUNT_SENDS, "2001:db8::1", NOW_US));
  g_assert_true (relay_rate_limiter_take (limiter, RELAY_RATE_ACCOUNT_SENDS, "2001:db8::2", NOW_US));
  g_assert_false (relay_rate_limiter_take (limiter, RELAY_RATE_ACCOUNT_SENDS, "2001:db8::2", NOW_US));
}

/* A /64 whose bucket has refilled is pruned like any other. */
static void
test_prune (void)
{
  g_autoptr(RelayRateLimiter) limiter = one_each_limiter ();
  gint64 later = NOW_US + G_GINT64_CONSTANT (7200) * G_USEC_PER_SEC;

  g_assert_true (relay_rate_limiter_take (limiter, RELAY_RATE_ADDRESS_REQUESTS, "2001:db8::1", NOW_US));
  relay_rate_limiter_prune (limiter, later);
  g_assert_true (relay_rate_limiter_take (limiter, RELAY_RATE_ADDRESS_REQUESTS, "2001:db8::2", later));
  g_assert_false (relay_rate_limiter_take (limiter, RELAY_RATE_ADDRESS_REQUESTS, "2001:db8::3", later));
}

/* A token given back can be taken again, and never makes the bucket
 * hold more than its burst. */
static void
test_give_back (void)
{
  g_autoptr(RelayRateLimiter) limiter = one_each_limiter ();
  RelayRateKind kind = RELAY_RATE_TARGET_UNIDENTIFIED_SENDS;

  g_assert_true (relay_rate_limiter_take (limiter, kind, "bob", NOW_US));
  g_assert_false (relay_rate_limiter_take (limiter, kind, "bob", NOW_US));
  relay_rate_limiter_give_back (limiter, kind, "bob", NOW_US);
  relay_rate_limiter_give_back (limiter, kind, "bob", NOW_US);
  g_assert_true (relay_rate_limiter_take (limiter, kind, "bob", NOW_US));
  g_assert_false (relay_rate_limiter_take (limiter, kind, "bob", NOW_US));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/relay/ratelimit/ipv6-prefix", test_ipv6_prefix);
  g_test_add_func ("/relay/ratelimit/other-kinds-untouched", test_other_kinds_untouched);
  g_test_add_func ("/relay/ratelimit/prune", test_prune);
  g_test_add_func ("/relay/ratelimit/give-back", test_give_back);
  return g_test_run ();
}
