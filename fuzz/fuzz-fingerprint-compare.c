/* fuzz-fingerprint-compare.c: the decoder of the other side's scannable form
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The scanned bytes come from a camera, so they are untrusted input.  The
 * input is compared against a fixed, valid scannable form in both
 * positions; the comparison must return one of its documented results,
 * and a form must always match its mirror image.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sp-error.h"
#include "sp-fingerprint.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The scannable form of the spec's first fingerprint vector, and the same
 * form seen from the other side (local and remote swapped). */
static const uint8_t ours[] = {
  0x08, 0x02, 0x12, 0x22, 0x0a, 0x20, 0xa2, 0xcc, 0xff, 0x67, 0x5d, 0x00, 0x2a, 0xfb, 0xb8, 0x3f,
  0x4a, 0xa0, 0xe7, 0x16, 0xd6, 0x56, 0xdb, 0x04, 0xd4, 0x16, 0x5e, 0x9e, 0xf8, 0x37, 0xb9, 0x7d,
  0x03, 0x1a, 0x0b, 0xb9, 0xc3, 0x43, 0x1a, 0x22, 0x0a, 0x20, 0x3f, 0xa2, 0xd0, 0xb8, 0xd5, 0xce,
  0xa6, 0xd4, 0x8e, 0xb8, 0x6c, 0xec, 0x83, 0xf1, 0x0c, 0x76, 0xa3, 0x95, 0x8f, 0x12, 0x93, 0x61,
  0x17, 0x5d, 0xa8, 0x8c, 0x57, 0x3b, 0xa7, 0x82, 0x96, 0xf1,
};

static bool
is_documented_result (int result)
{
  return result == SP_OK || result == SP_ERR_MALFORMED || result == SP_ERR_VERSION_MISMATCH;
}

static void
check_mirror_matches (void)
{
  uint8_t theirs[sizeof ours];
  bool matches = false;

  /* Swap the two LogicalFingerprint fields (36 bytes each after the
   * two-byte version field). */
  memcpy (theirs, ours, 2);
  memcpy (theirs + 2, ours + 38, 36);
  memcpy (theirs + 38, ours + 2, 36);
  theirs[2] = 0x12;
  theirs[38] = 0x1a;

  if (sp_fingerprint_compare (ours, sizeof ours, theirs, sizeof theirs, &matches) != SP_OK || !matches)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  bool matches = false;
  int result;

  check_mirror_matches ();

  result = sp_fingerprint_compare (ours, sizeof ours, data, size, &matches);
  if (!is_documented_result (result))
    abort ();

  result = sp_fingerprint_compare (data, size, ours, sizeof ours, &matches);
  if (!is_documented_result (result))
    abort ();

  return 0;
}
