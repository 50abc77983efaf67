/* protocol-test-util.h: what the tests of the core and above share
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The known answers in the tests are written in hex.  These helpers turn
 * them into bytes and back, and fail the test on anything that is not
 * hex, so that a typing slip in a vector cannot pass as a result.  They
 * need GLib, libsodium and the core's headers only (not its library), so
 * the engine's and the command line's tests use them as well.
 */

#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "sp-prekeys.h"

G_BEGIN_DECLS

/* Decodes @hex, which must be exactly 2 × @len hex digits, into @out. */
void           test_unhex          (uint8_t       *out,
                                    size_t         len,
                                    const char    *hex);

/* Decodes @hex, an even number of hex digits, into new bytes. */
GBytes        *test_bytes_from_hex (const char    *hex) G_GNUC_WARN_UNUSED_RESULT;

/* The data of @bytes, for the calls that take a pointer and a length. */
const uint8_t *test_data_of        (GBytes        *bytes);

/* @data in lowercase hex, in a new string. */
char          *test_hex_of         (const uint8_t *data,
                                    size_t         len) G_GNUC_WARN_UNUSED_RESULT;

/* Asserts that the @len bytes at @data are @hex, in lowercase. */
void           test_assert_hex     (const uint8_t *data,
                                    size_t         len,
                                    const char    *hex);

/* A copy of @bytes with one to three of its bytes changed at random, as
 * damage to storage would change them. */
uint8_t       *test_damaged_copy   (GBytes        *bytes) G_GNUC_WARN_UNUSED_RESULT;

/* Skips the current test (or the program's, before g_test_run()) for
 * @why; under CI (CI=true), which installs everything the suite needs,
 * aborts instead, so that a test that could not run there never passes
 * unseen as skipped. */
void           test_skip_or_fail_on_ci (const char *why);

/* Assert that two prekey records are equal, field by field: the structs
 * have padding that decoding leaves alone. */
void           test_assert_pre_key_equal        (const SpPreKey       *a,
                                                 const SpPreKey       *b);
void           test_assert_signed_pre_key_equal (const SpSignedPreKey *a,
                                                 const SpSignedPreKey *b);
void           test_assert_kyber_pre_key_equal  (const SpKyberPreKey  *a,
                                                 const SpKyberPreKey  *b);

G_END_DECLS
