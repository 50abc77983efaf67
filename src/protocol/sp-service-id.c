/* sp-service-id.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sp-service-id.h"
#include "sp-error.h"

#include <string.h>

bool
sp_service_id_parse (const char *name,
                     uint8_t     out[SP_SERVICE_ID_FIXED_SIZE])
{
  uint8_t kind = SP_SERVICE_ID_ACI;

  if (name == NULL)
    return false;
  if (strncmp (name, "PNI:", 4) == 0)
    {
      kind = SP_SERVICE_ID_PNI;
      name += 4;
    }
  if (sp_uuid_decode (out + 1, name) != SP_OK)
    return false;
  out[0] = kind;
  return true;
}

void
sp_uuid_format (char          out[SP_UUID_STRING_LENGTH + 1],
                const uint8_t uuid[SP_UUID_SIZE])
{
  static const char digits[] = "0123456789abcdef";
  size_t n = 0;

  for (size_t i = 0; i < SP_UUID_STRING_LENGTH; i++)
    {
      if (i == 8 || i == 13 || i == 18 || i == 23)
        {
          out[i] = '-';
          continue;
        }
      out[i] = digits[uuid[n] >> 4];
      out[++i] = digits[uuid[n++] & 0x0f];
    }
  out[SP_UUID_STRING_LENGTH] = '\0';
}
