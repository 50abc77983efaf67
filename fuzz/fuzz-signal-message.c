/* fuzz-signal-message.c: the SignalMessage decoder on arbitrary input
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <stdlib.h>
#include <string.h>

#include "sp-error.h"
#include "sp-message.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Whatever decodes must point inside the input, survive a MAC check and
 * encode again without error, and the re-encoded message must decode to
 * the same fields.  The encoder writes minimal varints and drops unknown
 * fields, so it needs no more room than the input, except for the two
 * bytes of a previous counter the input may have left out. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const uint8_t mac_key[32] = { 1 };
  SpSignalMessage message, again;
  uint8_t *out;
  size_t len = 0, room;

  if (sp_signal_message_decode (&message, data, size) != SP_OK)
    return 0;

  if (message.serialized_len + SP_SIGNAL_MESSAGE_MAC_SIZE != size
      || message.mac != data + message.serialized_len
      || message.ciphertext < data || message.ciphertext + message.ciphertext_len > data + size)
    abort ();

  if (sp_signal_message_verify_mac (&message, data, mac_key, &message.ratchet_key, &message.ratchet_key)
      == SP_ERR_INVALID_ARGUMENT)
    abort ();

  /* The encoder only writes version 4. */
  if (message.version != SP_MESSAGE_VERSION)
    return 0;

  room = size + 2;
  out = malloc (room);
  if (out == NULL)
    return 0;
  if (sp_signal_message_encode (out, room, &len, &message, mac_key,
                                &message.ratchet_key, &message.ratchet_key) != SP_OK
      || sp_signal_message_decode (&again, out, len) != SP_OK
      || again.counter != message.counter
      || again.previous_counter != message.previous_counter
      || again.ciphertext_len != message.ciphertext_len
      || memcmp (again.ratchet_key.bytes, message.ratchet_key.bytes, SP_PUBLIC_KEY_SIZE) != 0
      || (again.addresses == NULL) != (message.addresses == NULL)
      || sp_signal_message_verify_mac (&again, out, mac_key, &message.ratchet_key,
                                       &message.ratchet_key) != SP_OK)
    abort ();

  free (out);
  return 0;
}
