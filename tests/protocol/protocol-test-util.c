/* protocol-test-util.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "protocol-test-util.h"

#include <sodium.h>
#include <string.h>

void
test_unhex (uint8_t    *out,
            size_t      len,
            const char *hex)
{
  size_t decoded = 0;

  g_assert_cmpuint (strlen (hex), ==, 2 * len);
  g_assert_cmpint (sodium_hex2bin (out, len, hex, 2 * len, NULL, &decoded, NULL), ==, 0);
  g_assert_cmpuint (decoded, ==, len);
}

GBytes *
test_bytes_from_hex (const char *hex)
{
  size_t len = strlen (hex);
  uint8_t *bytes;

  g_assert_cmpuint (len % 2, ==, 0);
  /* One spare byte so that "" still gives a real allocation. */
  bytes = g_malloc (len / 2 + 1);
  test_unhex (bytes, len / 2, hex);
  return g_bytes_new_take (bytes, len / 2);
}

const uint8_t *
test_data_of (GBytes *bytes)
{
  return g_bytes_get_data (bytes, NULL);
}

char *
test_hex_of (const uint8_t *data,
             size_t         len)
{
  char *hex = g_malloc (2 * len + 1);

  sodium_bin2hex (hex, 2 * len + 1, data, len);
  return hex;
}

void
test_assert_hex (const uint8_t *data,
                 size_t         len,
                 const char    *hex)
{
  g_autofree char *actual = test_hex_of (data, len);

  g_assert_cmpstr (actual, ==, hex);
}

uint8_t *
test_damaged_copy (GBytes *bytes)
{
  size_t len;
  const uint8_t *data = g_bytes_get_data (bytes, &len);
  uint8_t *damaged = g_memdup2 (data, len);
  int n = g_random_int_range (1, 4);

  g_assert_cmpuint (len, >, 0);
  for (int i = 0; i < n; i++)
    damaged[g_random_int_range (0, (gint32) len)] ^= (uint8_t) g_random_int_range (1, 256);

  return damaged;
}

void
test_assert_pre_key_equal (const SpPreKey *a,
                           const SpPreKey *b)
{
  g_assert_cmpuint (a->id, ==, b->id);
  g_assert_cmpuint (a->timestamp, ==, b->timestamp);
  g_assert_cmpmem (&a->key_pair, sizeof a->key_pair, &b->key_pair, sizeof b->key_pair);
}

void
test_assert_signed_pre_key_equal (const SpSignedPreKey *a,
                                  const SpSignedPreKey *b)
{
  g_assert_cmpuint (a->id, ==, b->id);
  g_assert_cmpuint (a->timestamp, ==, b->timestamp);
  g_assert_cmpmem (&a->key_pair, sizeof a->key_pair, &b->key_pair, sizeof b->key_pair);
  g_assert_cmpmem (a->signature, sizeof a->signature, b->signature, sizeof b->signature);
}

void
test_assert_kyber_pre_key_equal (const SpKyberPreKey *a,
                                 const SpKyberPreKey *b)
{
  g_assert_cmpuint (a->id, ==, b->id);
  g_assert_cmpuint (a->timestamp, ==, b->timestamp);
  g_assert_cmpmem (a->public_key, sizeof a->public_key, b->public_key, sizeof b->public_key);
  g_assert_cmpmem (a->secret_key, sizeof a->secret_key, b->secret_key, sizeof b->secret_key);
  g_assert_cmpmem (a->signature, sizeof a->signature, b->signature, sizeof b->signature);
}

void
test_skip_or_fail_on_ci (const char *why)
{
  if (g_strcmp0 (g_getenv ("CI"), "true") == 0)
    g_error ("%s, which CI must have: failing rather than skipping", why);

  g_test_skip (why);
}
