/* test-uuid.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib.h>
#include <string.h>

#include "protocol-test-util.h"
#include "sp-error.h"
#include "sp-uuid.h"

#define UUID_BYTES_HEX "9d0652a3dcc34d11975f74d61598733f"

/* The canonical form decodes to its 16 bytes, with the hex digits in
 * either case. */
static void
test_decode (void)
{
  static const char *forms[] = {
    "9d0652a3-dcc3-4d11-975f-74d61598733f",
    "9D0652A3-DCC3-4D11-975F-74D61598733F",
    "9d0652A3-dCc3-4D11-975f-74D61598733f",
  };

  for (size_t i = 0; i < G_N_ELEMENTS (forms); i++)
    {
      uint8_t out[SP_UUID_SIZE] = { 0 };

      g_assert_cmpint (sp_uuid_decode (out, forms[i]), ==, SP_OK);
      test_assert_hex (out, sizeof out, UUID_BYTES_HEX);
    }
}

/* Everything but the canonical form is refused, and a refused input
 * leaves the output as it was. */
static void
test_rejected (void)
{
  static const char *rejected[] = {
    "",
    "9d0652a3dcc34d11975f74d61598733f",
    "{9d0652a3-dcc3-4d11-975f-74d61598733f}",
    "9d0652a3-dcc3-4d11-975f-74d61598733",
    "9d0652a3-dcc3-4d11-975f-74d61598733f0",
    "9d0652a3-dcc3-4d11-975f-74d61598733f-",
    "9d0652a-3dcc3-4d11-975f-74d61598733f",
    "9d0652-a3dcc3-4d11-975f-74d61598733f",
    "9d0652a3-dcc34d11--975f-74d61598733f",
    "9d0652a3-dcc-34d11-975f-74d61598733f",
    "9d0652a3-dcc3-4d11-975f7-4d61598733f",
    "9d0652a3+dcc3+4d11+975f+74d61598733f",
    "9d0652a3-dcc3-4d11-975f-74d61598733g",
    "9d0652a3-dcc3-4d11-975f-74d6159873 f",
    "9d0652a3-dcc3-4d11-975f--4d61598733f",
    "------------------------------------",
    "PNI:9d0652a3-dcc3-4d11-975f-74d61598733f",
  };

  for (size_t i = 0; i < G_N_ELEMENTS (rejected); i++)
    {
      uint8_t out[SP_UUID_SIZE];
      uint8_t before[SP_UUID_SIZE];

      memset (out, 0xa5, sizeof out);
      memcpy (before, out, sizeof before);
      g_test_message ("%s", rejected[i]);
      g_assert_cmpint (sp_uuid_decode (out, rejected[i]), ==, SP_ERR_MALFORMED);
      g_assert_cmpmem (out, sizeof out, before, sizeof before);
    }
}

static void
test_null (void)
{
  uint8_t out[SP_UUID_SIZE];

  g_assert_cmpint (sp_uuid_decode (NULL, "9d0652a3-dcc3-4d11-975f-74d61598733f"), ==, SP_ERR_INVALID_ARGUMENT);
  g_assert_cmpint (sp_uuid_decode (out, NULL), ==, SP_ERR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/protocol/uuid/decode", test_decode);
  g_test_add_func ("/protocol/uuid/rejected", test_rejected);
  g_test_add_func ("/protocol/uuid/null", test_null);

  return g_test_run ();
}
