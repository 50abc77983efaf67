/* fuzz-session-record.c: the session-record parser, and using what it accepts
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "session-fixture.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The storage form is canonical: whatever parses serialises back to the
 * same bytes.  A record that parses, however odd its contents, is then
 * put to work as Bob's record: it must encrypt and decrypt without
 * crashing, whether or not that succeeds. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const SessionFixture *fixture = session_fixture ();
  SpSessionOverrides overrides = { .ratchet_key = &fixture->bob_ratchet };
  SpSessionRecord *record = NULL;
  SpMemoryStore *memory = NULL;
  SpSessionCipher *cipher = NULL;
  SpStore store;
  uint8_t *again;
  uint8_t out[SP_SESSION_CIPHERTEXT_MAX_SIZE (16)];
  size_t again_size;
  size_t again_len;
  size_t out_len;
  int type;

  if (sp_session_record_new (&record) != SP_OK)
    abort ();
  if (sp_session_record_deserialize (record, data, size) != SP_OK)
    {
      sp_session_record_free (record);
      return 0;
    }

  if (sp_session_record_serialized_size (record, &again_size) != SP_OK
      || again_size != size
      || (again = malloc (again_size + 1)) == NULL
      || sp_session_record_serialize (record, again, again_size, &again_len) != SP_OK
      || again_len != size
      || memcmp (again, data, size) != 0)
    abort ();
  free (again);

  if (sp_memory_store_new (&memory, &fixture->bob_identity, 2) != SP_OK
      || sp_memory_store_get_interface (memory, &store) != SP_OK
      || store.store_session (store.user_data, &fixture_alice, record) != SP_OK
      || sp_session_cipher_new (&cipher, &store, &fixture_bob, &fixture_alice) != SP_OK)
    abort ();
  sp_session_cipher_decrypt_with (cipher, SP_CIPHERTEXT_TYPE_WHISPER, fixture->whisper, fixture->whisper_len,
                                  out, sizeof out, &out_len, &overrides);
  sp_session_cipher_encrypt (cipher, (const uint8_t *) "fuzz", 4, out, sizeof out, &out_len, &type);

  sp_session_cipher_free (cipher);
  sp_memory_store_free (memory);
  sp_session_record_free (record);
  return 0;
}
