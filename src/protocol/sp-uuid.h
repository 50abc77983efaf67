/* sp-uuid.h: UUIDs in their canonical text form
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stdint.h>

#define SP_UUID_SIZE 16
/* 32 hex digits in groups of 8-4-4-4-12, joined by hyphens. */
#define SP_UUID_STRING_LENGTH 36

/* Decodes the NUL-terminated @text, a UUID in the canonical hyphenated
 * 8-4-4-4-12 form with hex digits in either case, into its 16 bytes.
 * Anything else, the unhyphenated and braced forms included, is
 * SP_ERR_MALFORMED. */
int sp_uuid_decode (uint8_t     out[SP_UUID_SIZE],
                    const char *text);
