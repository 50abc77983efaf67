/* fuzz-sender-key-record.c: the sender-key record parser, and using what
 * it accepts
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

/* The storage form is canonical: whatever parses serialises back to the
 * same bytes.  A record that parses is then put to work, as our own
 * sender key and as someone else's: writing its distribution message,
 * encrypting and decrypting must not crash, whether or not they work. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const SpAddress local = { "local", 1 };
  static const uint8_t distribution_id[SP_DISTRIBUTION_ID_SIZE] = { 0 };
  SpSenderKeyRecord *record = NULL;
  SpKeyPair identity = { 0 };
  SpMemoryStore *memory = NULL;
  SpGroupCipher *cipher = NULL;
  SpStore store;
  uint8_t *again;
  uint8_t out[SP_GROUP_CIPHERTEXT_MAX_SIZE (4)];
  uint8_t plaintext[sizeof out];
  size_t again_size, again_len, out_len, plaintext_len;

  if (sp_init () != SP_OK)
    abort ();

  if (sp_sender_key_record_new (&record) != SP_OK)
    abort ();
  if (sp_sender_key_record_deserialize (record, data, size) != SP_OK)
    {
      sp_sender_key_record_free (record);
      return 0;
    }

  if (sp_sender_key_record_serialized_size (record, &again_size) != SP_OK
      || again_size != size
      || (again = malloc (again_size + 1)) == NULL
      || sp_sender_key_record_serialize (record, again, again_size, &again_len) != SP_OK
      || again_len != size
      || memcmp (again, data, size) != 0)
    abort ();
  free (again);

  if (sp_memory_store_new (&memory, &identity, 1) != SP_OK
      || sp_memory_store_get_interface (memory, &store) != SP_OK
      || store.store_sender_key (store.user_data, &local, distribution_id, record) != SP_OK
      || sp_group_cipher_new (&cipher, &store, &local) != SP_OK
      || sp_group_cipher_create_distribution (cipher, distribution_id, out, sizeof out, &out_len) != SP_OK)
    abort ();
  if (sp_group_cipher_encrypt (cipher, distribution_id, (const uint8_t *) "fuzz", 4, out, sizeof out,
                               &out_len) == SP_OK
      && sp_group_cipher_decrypt (cipher, &local, out, out_len, plaintext, sizeof plaintext,
                                  &plaintext_len) != SP_ERR_DUPLICATE_MESSAGE)
    abort ();

  sp_group_cipher_free (cipher);
  sp_memory_store_free (memory);
  sp_sender_key_record_free (record);
  return 0;
}
