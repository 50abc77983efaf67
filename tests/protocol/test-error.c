/* test-error.c: every error code has a name and a message
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <glib.h>

#include "sp-error.h"
#include "sp-init.h"

static void
test_error_names_unique (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (int error = SP_OK; error >= SP_ERR_BAD_DIGEST; error--)
    {
      const char *code = sp_error_code (error);

      g_assert_cmpstr (code, !=, "unknown");
      g_assert_cmpstr (sp_strerror (error), !=, "Unknown error");
      g_assert_false (g_hash_table_contains (seen, code));
      g_hash_table_add (seen, (gpointer) code);
    }

  g_assert_cmpstr (sp_error_code (SP_ERR_BAD_DIGEST - 1), ==, "unknown");
  g_assert_cmpstr (sp_error_code (1), ==, "unknown");
}

static void
test_init_twice (void)
{
  g_assert_cmpint (sp_init (), ==, SP_OK);
  g_assert_cmpint (sp_init (), ==, SP_OK);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/protocol/error/names-unique", test_error_names_unique);
  g_test_add_func ("/protocol/error/init-twice", test_init_twice);

  return g_test_run ();
}
