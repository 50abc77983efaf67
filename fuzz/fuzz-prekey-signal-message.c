/* fuzz-prekey-signal-message.c: the PreKeySignalMessage decoder on
 * arbitrary input
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <stdlib.h>
#include <string.h>

#include "sp-error.h"
#include "sp-message.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Whatever decodes must point inside the input, carry a decodable
 * SignalMessage, and encode again into no more room than the input took
 * (when it was version 4) to something that decodes to the same fields. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  SpPreKeySignalMessage message, again;
  SpSignalMessage inner;
  uint8_t *out;
  size_t len = 0, room;

  if (sp_pre_key_signal_message_decode (&message, data, size) != SP_OK)
    return 0;

  if (message.message < data || message.message + message.message_len > data + size
      || sp_signal_message_decode (&inner, message.message, message.message_len) != SP_OK
      || (message.kyber_ciphertext != NULL) != message.has_kyber_pre_key_id)
    abort ();

  if (message.version != SP_MESSAGE_VERSION)
    return 0;

  /* The encoder always writes the registration id, which the input may
   * have left out: two bytes of tag and a varint of at most five. */
  room = size + 1 + 5;
  out = malloc (room);
  if (out == NULL)
    return 0;
  if (sp_pre_key_signal_message_encode (out, room, &len, &message) != SP_OK
      || sp_pre_key_signal_message_decode (&again, out, len) != SP_OK
      || again.has_pre_key_id != message.has_pre_key_id
      || again.pre_key_id != message.pre_key_id
      || again.registration_id != message.registration_id
      || again.signed_pre_key_id != message.signed_pre_key_id
      || again.kyber_pre_key_id != message.kyber_pre_key_id
      || again.message_len != message.message_len
      || memcmp (again.message, message.message, message.message_len) != 0
      || memcmp (again.base_key.bytes, message.base_key.bytes, SP_PUBLIC_KEY_SIZE) != 0
      || memcmp (again.identity_key.bytes, message.identity_key.bytes, SP_PUBLIC_KEY_SIZE) != 0)
    abort ();

  free (out);
  return 0;
}
