/* sp-uuid.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sp-uuid.h"
#include "sp-error.h"

#include <sodium.h>
#include <string.h>

int
sp_uuid_decode (uint8_t     out[SP_UUID_SIZE],
                const char *text)
{
  uint8_t bytes[SP_UUID_SIZE];
  size_t len = 0;

  if (out == NULL || text == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  /* With the length and the hyphens' places fixed, what is left is
   * exactly 32 characters that must all be hex digits.  Every hyphen
   * falls between two whole bytes, where sodium_hex2bin() skips the
   * characters it is told to ignore. */
  if (strlen (text) != SP_UUID_STRING_LENGTH
      || text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-'
      || sodium_hex2bin (bytes, sizeof bytes, text, SP_UUID_STRING_LENGTH, "-", &len, NULL) != 0
      || len != SP_UUID_SIZE)
    return SP_ERR_MALFORMED;

  memcpy (out, bytes, SP_UUID_SIZE);
  return SP_OK;
}
