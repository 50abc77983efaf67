/* fuzz-sealed-sender-decrypt.c: opening v1 and v2 sealed messages
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <stdlib.h>
#include <string.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-sealed-sender.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The recipient is the spec's known-answer recipient (private key 0x22
 * repeated), so that the seeds, the known-answer messages, open; what
 * the fuzzer makes of them must be refused or open to a USMC inside the
 * output buffer, never read or write past either buffer. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const SpAddress local = { "0b0b0b0b-1111-4222-8333-444444444444", 2 };
  uint8_t scalar[32];
  SpKeyPair recipient;
  SpPublicKey trust_root;
  SpKeyPair root_pair;
  SpSealedContent content;
  uint8_t *out = malloc (size + 1);

  if (sp_init () != SP_OK || out == NULL)
    abort ();
  memset (scalar, 0x22, sizeof scalar);
  if (sp_key_pair_from_private (&recipient, scalar, sizeof scalar) != SP_OK)
    abort ();
  memset (scalar, 0x01, sizeof scalar);
  if (sp_key_pair_from_private (&root_pair, scalar, sizeof scalar) != SP_OK)
    abort ();
  trust_root = root_pair.public_key;

  if (sp_sealed_sender_decrypt (&content, out, size, &recipient, &local, &trust_root, 0, data, size) == SP_OK)
    {
      if (content.content < out || content.content + content.content_len > out + size)
        abort ();
      if (strcmp (content.sender.sender_uuid, local.name) == 0 && content.sender.device_id == local.device_id)
        abort ();
    }

  free (out);
  return 0;
}
