/* fuzz-json-depth.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Feeds the depth scan that guards json-glib from what a relay sends.
 * The scan is a small parser of its own, and it is only right if
 * json-glib never builds a tree deeper than what the scan let through:
 * text it passes is parsed, and the tree it makes is measured.
 */

#include <stdint.h>

#include "sotto-bounded-input-private.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static guint
node_depth (JsonNode *node)
{
  guint deepest = 0;

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          guint depth = node_depth (json_array_get_element (array, i));

          deepest = MAX (deepest, depth);
        }

      return deepest + 1;
    }

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autoptr(GList) members = json_object_get_values (json_node_get_object (node));

      for (GList *l = members; l != NULL; l = l->next)
        {
          guint depth = node_depth (l->data);

          deepest = MAX (deepest, depth);
        }

      return deepest + 1;
    }

  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;

  if (!_sotto_json_depth_is_within ((const char *) data, size, SOTTO_JSON_MAX_DEPTH))
    return 0;

  /* The scan let it through, so json-glib may see it, and whatever it
   * makes of it nests no deeper than the bound. */
  parser = json_parser_new_immutable ();
  if (json_parser_load_from_data (parser, (const char *) data, size, NULL)
      && json_parser_get_root (parser) != NULL)
    g_assert_cmpuint (node_depth (json_parser_get_root (parser)), <=, SOTTO_JSON_MAX_DEPTH);

  object = _sotto_json_parse_object ((const char *) data, size, &error);
  g_assert_true ((object == NULL) == (error != NULL));

  return 0;
}
