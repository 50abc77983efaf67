/* kat-test-util.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "kat-test-util.h"

#include <sodium.h>

#include "protocol-test-util.h"
#include "sp-error.h"

JsonObject *
test_kat_load (JsonParser *parser,
               const char *name)
{
  g_autofree char *path = g_build_filename (SOTTO_KAT_DIR, name, NULL);
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));

  return json_node_get_object (root);
}

const char *
test_kat_string (JsonObject *object,
                 const char *name)
{
  g_assert_true (json_object_has_member (object, name));

  return json_object_get_string_member (object, name);
}

void
test_kat_key_pair (JsonObject *object,
                   const char *name,
                   SpKeyPair  *out)
{
  uint8_t scalar[32];

  test_unhex (scalar, sizeof scalar, test_kat_string (object, name));
  g_assert_cmpint (sp_key_pair_from_private (out, scalar, sizeof scalar), ==, SP_OK);
  sodium_memzero (scalar, sizeof scalar);
}
