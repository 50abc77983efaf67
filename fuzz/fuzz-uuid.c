/* fuzz-uuid.c: the UUID decoder
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Names that reach the decoder come from the relay and from other
 * devices.  The input, cut at its first NUL, must either be refused with
 * the output untouched, or be a UUID that the decoded bytes spell back,
 * up to the case of its hex digits.
 */

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sp-error.h"
#include "sp-uuid.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The canonical form of @bytes, in lowercase. */
static void
uuid_encode (char          out[SP_UUID_STRING_LENGTH + 1],
             const uint8_t bytes[SP_UUID_SIZE])
{
  char hex[2 * SP_UUID_SIZE + 1];

  sodium_bin2hex (hex, sizeof hex, bytes, SP_UUID_SIZE);
  memcpy (out, hex, 8);
  out[8] = '-';
  memcpy (out + 9, hex + 8, 4);
  out[13] = '-';
  memcpy (out + 14, hex + 12, 4);
  out[18] = '-';
  memcpy (out + 19, hex + 16, 4);
  out[23] = '-';
  memcpy (out + 24, hex + 20, 12);
  out[SP_UUID_STRING_LENGTH] = '\0';
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  char *text = malloc (size + 1);
  uint8_t out[SP_UUID_SIZE];
  char again[SP_UUID_STRING_LENGTH + 1];
  int rc;

  if (text == NULL)
    abort ();
  memcpy (text, data, size);
  text[size] = '\0';

  memset (out, 0xa5, sizeof out);
  rc = sp_uuid_decode (out, text);
  if (rc == SP_OK)
    {
      uuid_encode (again, out);
      if (strcasecmp (again, text) != 0)
        abort ();
    }
  else
    {
      for (size_t i = 0; i < sizeof out; i++)
        if (rc != SP_ERR_MALFORMED || out[i] != 0xa5)
          abort ();
    }

  free (text);
  return 0;
}
