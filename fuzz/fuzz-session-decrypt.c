/* fuzz-session-decrypt.c: decryption against a fixed session
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "session-fixture.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The first byte chooses the message type (odd: PreKeySignalMessage,
 * even: SignalMessage), the rest is the message.  Every input starts from
 * the same stores (see session-fixture.h).  Whatever the bytes, decryption
 * must not crash, and a failure must leave Bob's record as it was. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const SessionFixture *fixture = session_fixture ();
  SpSessionOverrides overrides = { .ratchet_key = &fixture->bob_ratchet };
  SpMemoryStore *memory = NULL;
  SpSessionCipher *cipher = NULL;
  SpSessionRecord *record = NULL;
  SpStore store;
  uint8_t *plaintext;
  uint8_t *after;
  size_t plaintext_len;
  size_t after_size;
  size_t after_len;
  int type;
  int rc;

  if (size == 0)
    return 0;
  type = data[0] & 1 ? SP_CIPHERTEXT_TYPE_PREKEY : SP_CIPHERTEXT_TYPE_WHISPER;

  if (fixture_bob_store (fixture, &memory) != SP_OK
      || sp_memory_store_get_interface (memory, &store) != SP_OK
      || sp_session_cipher_new (&cipher, &store, &fixture_bob, &fixture_alice) != SP_OK
      || sp_session_record_new (&record) != SP_OK)
    abort ();

  plaintext = malloc (size);
  if (plaintext == NULL)
    abort ();
  rc = sp_session_cipher_decrypt_with (cipher, type, data + 1, size - 1, plaintext, size - 1,
                                       &plaintext_len, &overrides);
  if (rc == SP_OK && plaintext_len > size - 1)
    abort ();

  if (rc != SP_OK)
    {
      /* Atomicity: the stored record is byte for byte the fixture's. */
      if (store.load_session (store.user_data, &fixture_alice, record) != SP_OK
          || sp_session_record_serialized_size (record, &after_size) != SP_OK
          || (after = malloc (after_size)) == NULL)
        abort ();
      if (sp_session_record_serialize (record, after, after_size, &after_len) != SP_OK
          || after_len != fixture->bob_record_len
          || memcmp (after, fixture->bob_record, after_len) != 0)
        abort ();
      free (after);
    }

  free (plaintext);
  sp_session_record_free (record);
  sp_session_cipher_free (cipher);
  sp_memory_store_free (memory);
  return 0;
}
