/* sp-service-id.h: service ids and UUIDs as libsignal writes them (internal)
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sp-uuid.h"

#define SP_SERVICE_ID_FIXED_SIZE (1 + SP_UUID_SIZE)
#define SP_SERVICE_ID_ACI 0x00
#define SP_SERVICE_ID_PNI 0x01

/* libsignal's fixed-width service id: a kind byte (ACI for a bare UUID,
 * PNI for "PNI:" and a UUID) and the 16 UUID bytes.  Only the hyphenated
 * UUID form is recognised. */
bool sp_service_id_parse (const char *name,
                          uint8_t     out[SP_SERVICE_ID_FIXED_SIZE]);

/* The lowercase hyphenated form of @uuid, NUL-terminated, as libsignal
 * formats a UUID it received as 16 bytes. */
void sp_uuid_format (char          out[SP_UUID_STRING_LENGTH + 1],
                     const uint8_t uuid[SP_UUID_SIZE]);
