/* sp-group-cipher.c: group messages with sender keys
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Follows libsignal's group_cipher (spec section 8).  A sender chain
 * steps like a Double Ratchet chain (seed = HMAC(ck, 0x01), next chain
 * key = HMAC(ck, 0x02)), so receiving reuses the ratchet's chain code
 * with its limits; only the message keys differ:
 * HKDF(seed, "WhisperGroup", 48) = IV (16) || cipher key (32).
 */

#include "sp-sender-key-state.h"
#include "sp-aes.h"
#include "sp-error.h"
#include "sp-kdf.h"
#include "sp-ratchet.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char group_keys_info[] = "WhisperGroup";

struct _SpGroupCipher {
  SpStore store;
  char *local_name;
  uint32_t local_device_id;

  /* The working copy of the record an operation is on. */
  SpSenderKeyRecord *record;

  /* Ciphertext on the way out; plaintext (guarded) on the way in, which
   * reaches the caller only once the record is stored. */
  uint8_t *ciphertext;
  size_t ciphertext_size;
  uint8_t *plaintext;
  size_t plaintext_size;
};

int
sp_sender_key_message_keys (SpSenderMessageKeys *out,
                            const uint8_t        seed[32])
{
  uint8_t okm[SP_AES_BLOCK_SIZE + SP_AES_KEY_SIZE];
  int rc;

  rc = sp_hkdf_sha256 (okm, sizeof okm, NULL, 0, seed, 32,
                       (const uint8_t *) group_keys_info, sizeof group_keys_info - 1);
  if (rc == SP_OK)
    {
      memcpy (out->iv, okm, SP_AES_BLOCK_SIZE);
      memcpy (out->cipher_key, okm + SP_AES_BLOCK_SIZE, SP_AES_KEY_SIZE);
    }
  sodium_memzero (okm, sizeof okm);
  return rc;
}

int
sp_group_cipher_new (SpGroupCipher   **out,
                     const SpStore    *store,
                     const SpAddress  *local)
{
  SpGroupCipher *cipher;
  int rc;

  if (out == NULL || store == NULL || local == NULL || local->name == NULL
      || store->load_sender_key == NULL || store->store_sender_key == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  cipher = calloc (1, sizeof *cipher);
  if (cipher == NULL)
    return SP_ERR_NO_MEMORY;
  cipher->store = *store;
  cipher->local_device_id = local->device_id;
  cipher->local_name = strdup (local->name);
  rc = cipher->local_name != NULL ? sp_sender_key_record_new (&cipher->record) : SP_ERR_NO_MEMORY;
  if (rc != SP_OK)
    {
      sp_group_cipher_free (cipher);
      return rc;
    }
  *out = cipher;
  return SP_OK;
}

void
sp_group_cipher_free (SpGroupCipher *cipher)
{
  if (cipher == NULL)
    return;
  sp_sender_key_record_free (cipher->record);
  free (cipher->local_name);
  free (cipher->ciphertext);
  sodium_free (cipher->plaintext);
  free (cipher);
}

/* Grows the ciphertext buffer to @size bytes. */
static int
reserve_ciphertext (SpGroupCipher *cipher,
                    size_t         size)
{
  uint8_t *grown;

  if (size <= cipher->ciphertext_size)
    return SP_OK;
  grown = realloc (cipher->ciphertext, size);
  if (grown == NULL)
    return SP_ERR_NO_MEMORY;
  cipher->ciphertext = grown;
  cipher->ciphertext_size = size;
  return SP_OK;
}

/* Grows the guarded plaintext buffer to @size bytes; its old contents
 * are not kept. */
static int
reserve_plaintext (SpGroupCipher *cipher,
                   size_t         size)
{
  uint8_t *grown;

  if (size <= cipher->plaintext_size)
    return SP_OK;
  grown = sodium_malloc (size);
  if (grown == NULL)
    return SP_ERR_NO_MEMORY;
  sodium_free (cipher->plaintext);
  cipher->plaintext = grown;
  cipher->plaintext_size = size;
  return SP_OK;
}

/* Loads the record of (@sender, @distribution_id) into the working copy;
 * an empty record when the store has none and @missing_ok. */
static int
load_record (SpGroupCipher   *cipher,
             const SpAddress *sender,
             const uint8_t    distribution_id[SP_DISTRIBUTION_ID_SIZE],
             bool             missing_ok)
{
  int rc;

  sp_sender_key_record_clear (cipher->record);
  rc = cipher->store.load_sender_key (cipher->store.user_data, sender, distribution_id, cipher->record);
  if (rc == SP_ERR_NO_SENDER_KEY && missing_ok)
    {
      sp_sender_key_record_clear (cipher->record);
      return SP_OK;
    }
  if (rc == SP_OK && cipher->record->n_states == 0)
    rc = SP_ERR_NO_SENDER_KEY;
  return rc;
}

static int
store_record (SpGroupCipher   *cipher,
              const SpAddress *sender,
              const uint8_t    distribution_id[SP_DISTRIBUTION_ID_SIZE])
{
  return cipher->store.store_sender_key (cipher->store.user_data, sender, distribution_id, cipher->record);
}

/* A new sender key of our own, as libsignal makes it: a random 31-bit
 * chain id, a random chain key at iteration 0, a new signing key pair. */
static int
add_own_state (SpSenderKeyRecord *record)
{
  SpKeyPair *signing = sodium_malloc (sizeof *signing);
  uint8_t *chain_key = sodium_malloc (SP_SENDER_CHAIN_KEY_SIZE);
  int rc;

  if (signing == NULL || chain_key == NULL)
    rc = SP_ERR_NO_MEMORY;
  else
    rc = sp_key_pair_generate (signing);
  if (rc == SP_OK)
    {
      randombytes_buf (chain_key, SP_SENDER_CHAIN_KEY_SIZE);
      sp_sender_key_record_add (record, SP_SENDER_KEY_VERSION, randombytes_random () >> 1, 0, chain_key,
                                &signing->public_key, &signing->private_key);
    }
  sodium_free (signing);
  sodium_free (chain_key);
  return rc;
}

int
sp_group_cipher_create_distribution (SpGroupCipher *cipher,
                                     const uint8_t  distribution_id[SP_DISTRIBUTION_ID_SIZE],
                                     uint8_t       *out,
                                     size_t         out_size,
                                     size_t        *out_len)
{
  SpAddress local;
  SpSenderKeyDistributionMessage message = { 0 };
  const SpSenderKeyState *state;
  bool created = false;
  int rc;

  if (cipher == NULL || distribution_id == NULL || out == NULL || out_len == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  if (out_size < SP_SENDER_KEY_DISTRIBUTION_MESSAGE_MAX_SIZE)
    return SP_ERR_BUFFER_TOO_SMALL;

  local.name = cipher->local_name;
  local.device_id = cipher->local_device_id;
  if ((rc = load_record (cipher, &local, distribution_id, true)) != SP_OK)
    return rc;
  if (cipher->record->n_states == 0)
    {
      if ((rc = add_own_state (cipher->record)) != SP_OK)
        return rc;
      created = true;
    }

  state = &cipher->record->states[0];
  message.version = (uint8_t) state->version;
  memcpy (message.distribution_id, distribution_id, SP_DISTRIBUTION_ID_SIZE);
  message.chain_id = state->chain_id;
  message.iteration = state->iteration;
  message.chain_key = state->chain_key;
  message.signing_key = state->signing_key;

  /* The message goes out only once a new key is stored. */
  if (created && (rc = store_record (cipher, &local, distribution_id)) != SP_OK)
    return rc;
  return sp_sender_key_distribution_message_encode (out, out_size, out_len, &message);
}

int
sp_group_cipher_process_distribution (SpGroupCipher   *cipher,
                                      const SpAddress *sender,
                                      const uint8_t   *data,
                                      size_t           len)
{
  SpSenderKeyDistributionMessage message;
  int rc;

  if (cipher == NULL || sender == NULL || sender->name == NULL || (data == NULL && len > 0))
    return SP_ERR_INVALID_ARGUMENT;
  if ((rc = sp_sender_key_distribution_message_decode (&message, data, len)) != SP_OK)
    return rc;
  if ((rc = load_record (cipher, sender, message.distribution_id, true)) != SP_OK)
    return rc;

  sp_sender_key_record_add (cipher->record, message.version, message.chain_id, message.iteration,
                            message.chain_key, &message.signing_key, NULL);
  return store_record (cipher, sender, message.distribution_id);
}

int
sp_group_cipher_encrypt (SpGroupCipher *cipher,
                         const uint8_t  distribution_id[SP_DISTRIBUTION_ID_SIZE],
                         const uint8_t *plaintext,
                         size_t         plaintext_len,
                         uint8_t       *out,
                         size_t         out_size,
                         size_t        *out_len)
{
  SpAddress local;
  SpSenderKeyMessage message = { 0 };
  SpSenderKeyState *state;
  SpSenderMessageKeys keys;
  uint8_t seed[32];
  uint8_t next_chain_key[SP_SENDER_CHAIN_KEY_SIZE];
  size_t padded_len = (plaintext_len / 16 + 1) * 16;
  size_t ciphertext_len = 0;
  size_t message_len = 0;
  uint8_t *encoded;
  int rc;

  if (cipher == NULL || distribution_id == NULL || (plaintext == NULL && plaintext_len > 0)
      || out == NULL || out_len == NULL || plaintext_len > SIZE_MAX / 2)
    return SP_ERR_INVALID_ARGUMENT;
  if (out_size < SP_GROUP_CIPHERTEXT_MAX_SIZE (plaintext_len))
    return SP_ERR_BUFFER_TOO_SMALL;

  local.name = cipher->local_name;
  local.device_id = cipher->local_device_id;
  if ((rc = load_record (cipher, &local, distribution_id, false)) != SP_OK)
    return rc;
  state = &cipher->record->states[0];
  if (!state->has_signing_private)
    return SP_ERR_NO_SENDER_KEY;
  /* The chain key of the last iteration has no successor to store. */
  if (state->iteration == UINT32_MAX)
    return SP_ERR_INVALID_MESSAGE;

  /* The AES output, then the message, in one buffer. */
  if ((rc = reserve_ciphertext (cipher, padded_len + SP_SENDER_KEY_MESSAGE_SIZE (padded_len))) != SP_OK)
    return rc;
  encoded = cipher->ciphertext + padded_len;

  rc = sp_ratchet_chain_step (seed, next_chain_key, state->chain_key);
  if (rc == SP_OK)
    rc = sp_sender_key_message_keys (&keys, seed);
  if (rc == SP_OK)
    rc = sp_aes256_cbc_encrypt (cipher->ciphertext, padded_len, &ciphertext_len, keys.cipher_key, keys.iv,
                                plaintext, plaintext_len);
  if (rc == SP_OK)
    {
      message.version = (uint8_t) state->version;
      memcpy (message.distribution_id, distribution_id, SP_DISTRIBUTION_ID_SIZE);
      message.chain_id = state->chain_id;
      message.iteration = state->iteration;
      message.ciphertext = cipher->ciphertext;
      message.ciphertext_len = ciphertext_len;
      rc = sp_sender_key_message_encode (encoded, SP_SENDER_KEY_MESSAGE_SIZE (padded_len), &message_len,
                                         &message, &state->signing_private, NULL);
    }
  if (rc == SP_OK)
    {
      memcpy (state->chain_key, next_chain_key, SP_SENDER_CHAIN_KEY_SIZE);
      state->iteration++;
      rc = store_record (cipher, &local, distribution_id);
    }
  if (rc == SP_OK)
    {
      memcpy (out, encoded, message_len);
      *out_len = message_len;
    }

  sodium_memzero (seed, sizeof seed);
  sodium_memzero (next_chain_key, sizeof next_chain_key);
  sodium_memzero (&keys, sizeof keys);
  return rc;
}

int
sp_group_cipher_decrypt (SpGroupCipher   *cipher,
                         const SpAddress *sender,
                         const uint8_t   *data,
                         size_t           len,
                         uint8_t         *out,
                         size_t           out_size,
                         size_t          *out_len)
{
  SpSenderKeyMessage message;
  SpSenderKeyState *state;
  SpSenderMessageKeys keys;
  uint8_t seed[32];
  size_t plaintext_len = 0;
  int rc;

  if (cipher == NULL || sender == NULL || sender->name == NULL || (data == NULL && len > 0)
      || out == NULL || out_len == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  if ((rc = sp_sender_key_message_decode (&message, data, len)) != SP_OK)
    return rc;
  if ((rc = load_record (cipher, sender, message.distribution_id, false)) != SP_OK)
    return rc;

  state = sp_sender_key_record_find (cipher->record, message.chain_id);
  if (state == NULL)
    return SP_ERR_NO_SENDER_KEY;
  if ((rc = sp_sender_key_message_verify (&message, data, &state->signing_key)) != SP_OK)
    return rc;
  if ((rc = reserve_plaintext (cipher, message.ciphertext_len + 1)) != SP_OK)
    return rc;

  rc = sp_ratchet_chain_seed (state->chain_key, &state->iteration, &state->skipped, message.iteration,
                              false, seed);
  if (rc == SP_OK)
    rc = sp_sender_key_message_keys (&keys, seed);
  if (rc == SP_OK)
    rc = sp_aes256_cbc_decrypt (cipher->plaintext, cipher->plaintext_size, &plaintext_len,
                                keys.cipher_key, keys.iv, message.ciphertext, message.ciphertext_len);
  if (rc == SP_OK && plaintext_len > out_size)
    rc = SP_ERR_BUFFER_TOO_SMALL;
  if (rc == SP_OK)
    rc = store_record (cipher, sender, message.distribution_id);
  if (rc == SP_OK)
    {
      memcpy (out, cipher->plaintext, plaintext_len);
      *out_len = plaintext_len;
    }

  sodium_memzero (cipher->plaintext, plaintext_len);
  sodium_memzero (seed, sizeof seed);
  sodium_memzero (&keys, sizeof keys);
  return rc;
}
