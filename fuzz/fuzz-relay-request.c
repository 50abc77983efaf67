/* fuzz-relay-request.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Feeds the relay's request decoders.  The first byte picks the decoder,
 * the rest is the untrusted input; every decoder must either succeed or
 * fail cleanly, without leaks or undefined behaviour.
 */

#include <stdint.h>
#include <string.h>

#include "relay-api.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  const char *body;
  gsize length;

  if (size < 1)
    return 0;
  body = (const char *) data + 1;
  length = size - 1;

  switch (data[0] % 5)
    {
    case 0:
      relay_register_request_free (relay_register_request_parse (body, length, &error));
      break;
    case 1:
      relay_keys_request_free (relay_keys_request_parse (body, length, &error));
      break;
    case 2:
      relay_send_request_free (relay_send_request_parse (body, length, 1024, &error));
      break;
    case 3:
      g_free (relay_ack_parse (body, length, &error));
      break;
    default:
      {
        /* A header value is a C string; stop at the first NUL. */
        g_autofree char *header = g_strndup (body, length);

        relay_credentials_free (relay_credentials_parse (header, &error));
      }
      break;
    }
  return 0;
}
