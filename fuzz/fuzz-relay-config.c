/* fuzz-relay-config.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Feeds relay.conf's parser.  The file is the operator's, but the parser
 * must still either take it or name its faults, without leaks or
 * undefined behaviour, and a file it takes must describe a config whose
 * limits lie within their documented ranges.
 */

#include <stdint.h>
#include <string.h>

#include "relay-config.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(RelayConfig) config = relay_config_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autofree char *description = NULL;

  if (!relay_config_load_data (config, "relay.conf", text, &error))
    {
      /* Every fault is a line that names the file and the line. */
      g_auto(GStrv) lines = g_strsplit (error->message, "\n", -1);

      for (guint i = 0; lines[i] != NULL; i++)
        g_assert (g_str_has_prefix (lines[i], "relay.conf:"));
      return 0;
    }
  g_assert (config->max_header_bytes >= 1024 && config->max_header_bytes <= 65536);
  g_assert (config->max_queue_envelopes >= 1);
  for (guint i = 0; i < RELAY_N_RATES; i++)
    g_assert (config->rates[i].rate > 0 && config->rates[i].burst >= 1);
  description = relay_config_describe (config);
  g_assert (strstr (description, "registration=") == description);
  return 0;
}
