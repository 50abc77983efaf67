/* fuzz-sender-key-distribution.c: the SenderKeyDistributionMessage decoder
 * and processing what it accepts
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <stdlib.h>
#include <string.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-sender-key.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Whatever decodes must point inside the input, encode again into a
 * message that decodes to the same fields, and be taken by a group
 * cipher, twice (the second time finds the state it made). */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const SpAddress sender = { "sender", 1 };
  static const SpAddress local = { "local", 2 };
  SpSenderKeyDistributionMessage message, again;
  uint8_t out[SP_SENDER_KEY_DISTRIBUTION_MESSAGE_MAX_SIZE];
  size_t len;
  SpKeyPair identity = { 0 };
  SpMemoryStore *memory = NULL;
  SpGroupCipher *cipher = NULL;
  SpStore store;

  if (sp_init () != SP_OK)
    abort ();

  if (sp_sender_key_distribution_message_decode (&message, data, size) != SP_OK)
    return 0;
  if (message.chain_key < data || message.chain_key + 32 > data + size)
    abort ();

  if (sp_sender_key_distribution_message_encode (out, sizeof out, &len, &message) != SP_OK
      || sp_sender_key_distribution_message_decode (&again, out, len) != SP_OK
      || again.chain_id != message.chain_id
      || again.iteration != message.iteration
      || memcmp (again.distribution_id, message.distribution_id, SP_DISTRIBUTION_ID_SIZE) != 0
      || memcmp (again.chain_key, message.chain_key, 32) != 0
      || memcmp (again.signing_key.bytes, message.signing_key.bytes, SP_PUBLIC_KEY_SIZE) != 0)
    abort ();

  if (sp_memory_store_new (&memory, &identity, 1) != SP_OK
      || sp_memory_store_get_interface (memory, &store) != SP_OK
      || sp_group_cipher_new (&cipher, &store, &local) != SP_OK
      || sp_group_cipher_process_distribution (cipher, &sender, data, size) != SP_OK
      || sp_group_cipher_process_distribution (cipher, &sender, data, size) != SP_OK)
    abort ();

  sp_group_cipher_free (cipher);
  sp_memory_store_free (memory);
  return 0;
}
