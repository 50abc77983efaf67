/* fuzz-sender-key-message.c: the SenderKeyMessage decoder, and group
 * decryption of arbitrary bytes against a known sender key
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-sender-key.h"
#include "sp-sender-key-state.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The receiver knows one chain: distribution id 00 x 16, chain id 1,
 * iteration 0, chain key 11 x 32, signed by the key of scalar 09 x 32.
 * The seed corpus holds messages of that chain, which decrypt. */
static const uint8_t fixture_signing_private[32] = {
  9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
};

/* Whatever decodes must point inside the input and survive a signature
 * check.  A decryption that fails must leave the receiver's record as
 * it was. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const SpAddress sender = { "sender", 1 };
  static const SpAddress local = { "local", 2 };
  static const uint8_t distribution_id[SP_DISTRIBUTION_ID_SIZE] = { 0 };
  static SpKeyPair signing;
  static bool have_signing;
  SpSenderKeyMessage message;
  SpKeyPair identity = { 0 };
  SpMemoryStore *memory = NULL;
  SpGroupCipher *cipher = NULL;
  SpSenderKeyRecord *record = NULL;
  SpStore store;
  uint8_t chain_key[32];
  uint8_t before[512], after[512];
  size_t before_len, after_len;
  uint8_t *out;
  size_t out_len;

  if (sp_init () != SP_OK)
    abort ();

  /* The fixture's public key is the same for every input. */
  if (!have_signing)
    {
      if (sp_key_pair_from_private (&signing, fixture_signing_private, 32) != SP_OK)
        abort ();
      have_signing = true;
    }

  if (sp_sender_key_message_decode (&message, data, size) == SP_OK)
    {
      if (message.signature != data + size - 64 || message.signed_len + 64 != size
          || message.ciphertext < data || message.ciphertext + message.ciphertext_len > data + size)
        abort ();
      if (sp_sender_key_message_verify (&message, data, &signing.public_key) == SP_ERR_INVALID_ARGUMENT)
        abort ();
    }

  memset (chain_key, 0x11, sizeof chain_key);
  if (sp_memory_store_new (&memory, &identity, 1) != SP_OK
      || sp_memory_store_get_interface (memory, &store) != SP_OK
      || sp_group_cipher_new (&cipher, &store, &local) != SP_OK
      || sp_sender_key_record_new (&record) != SP_OK)
    abort ();
  sp_sender_key_record_add (record, SP_SENDER_KEY_VERSION, 1, 0, chain_key, &signing.public_key, NULL);
  if (store.store_sender_key (store.user_data, &sender, distribution_id, record) != SP_OK
      || sp_sender_key_record_serialize (record, before, sizeof before, &before_len) != SP_OK
      || (out = malloc (size + 1)) == NULL)
    abort ();

  if (sp_group_cipher_decrypt (cipher, &sender, data, size, out, size, &out_len) != SP_OK)
    {
      if (store.load_sender_key (store.user_data, &sender, distribution_id, record) != SP_OK
          || sp_sender_key_record_serialize (record, after, sizeof after, &after_len) != SP_OK
          || after_len != before_len || memcmp (before, after, before_len) != 0)
        abort ();
    }

  free (out);
  sp_sender_key_record_free (record);
  sp_group_cipher_free (cipher);
  sp_memory_store_free (memory);
  return 0;
}
