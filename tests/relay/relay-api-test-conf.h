/* relay-api-test-conf.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the tests of API v1 share: relay configurations with every rate
 * limit but account lookups out of the way, and with the limits some
 * cases test, and the case on a fixture of its own.
 */

#pragma once

#define RELAXED_RATES \
  "[rate-limits]\n" \
  "address-requests=100000/100000\n" \
  "address-registrations=100000/100000\n" \
  "address-auth-failures=100000/100000\n" \
  "address-websockets=100000/100000\n" \
  "account-sends=100000/100000\n" \
  "account-bundles=100000/100000\n" \
  "account-key-uploads=100000/100000\n" \
  "pair-sends=100000/100000\n"

#define LIMITS_CONF \
  RELAXED_RATES "account-lookups=100000/100000\n" \
  "[limits]\nmax-queue-envelopes=3\nmax-one-time-prekeys=25\nmax-envelope-bytes=1024\n"

/* A case at /relay/api/@path, on a relay with @conf (NULL: relaxed). */
#define API_TEST_ADD(path, func, conf) \
  g_test_add ("/relay/api/" path, TestFixture, conf, test_fixture_setup, func, test_fixture_teardown)
