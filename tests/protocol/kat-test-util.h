/* kat-test-util.h: the known-answer files of tests/kat, for the tests
 * that read them
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A member a test asks for must be there: a renamed or missing member
 * fails the test where it is read, instead of passing a NULL on.
 */

#pragma once

#include <json-glib/json-glib.h>

#include "sp-keys.h"

G_BEGIN_DECLS

/* Loads tests/kat/@name into @parser and returns its root object. */
JsonObject *test_kat_load     (JsonParser *parser,
                               const char *name);

/* The string member @name of @object. */
const char *test_kat_string   (JsonObject *object,
                               const char *name);

/* The key pair whose private key is the hex member @name of @object. */
void        test_kat_key_pair (JsonObject *object,
                               const char *name,
                               SpKeyPair  *out);

G_END_DECLS
