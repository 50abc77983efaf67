/* sp-ratchet.c: the Double Ratchet on one session state
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Follows libsignal's session_cipher: receiving chains are found by the
 * sender's ratchet key, a new key triggers a DH ratchet step, message-key
 * seeds skipped over are kept (at most SP_MAX_MESSAGE_KEYS per chain,
 * oldest evicted first), and the SPQR key of each message becomes the
 * HKDF salt of its message keys.
 */

#include "sp-ratchet.h"
#include "sp-aes.h"
#include "sp-error.h"
#include "sp-kdf.h"
#include "sp-spqr.h"

#include <sodium.h>
#include <string.h>

static const char message_keys_info[] = "WhisperMessageKeys";
static const char root_info[] = "WhisperRatchet";

int
sp_ratchet_chain_step (uint8_t       seed[32],
                       uint8_t       next_chain_key[32],
                       const uint8_t chain_key[32])
{
  static const uint8_t message_key_seed = 0x01;
  static const uint8_t chain_key_seed = 0x02;
  int rc;

  if ((rc = sp_hmac_sha256 (seed, chain_key, 32, &message_key_seed, 1)) != SP_OK)
    return rc;
  return sp_hmac_sha256 (next_chain_key, chain_key, 32, &chain_key_seed, 1);
}

int
sp_ratchet_message_keys (SpMessageKeys *out,
                         const uint8_t  seed[32],
                         const uint8_t *spqr_key)
{
  uint8_t okm[80];
  int rc;

  rc = sp_hkdf_sha256 (okm, sizeof okm, spqr_key, spqr_key != NULL ? 32 : 0, seed, 32,
                       (const uint8_t *) message_keys_info, sizeof message_keys_info - 1);
  if (rc == SP_OK)
    {
      memcpy (out->cipher_key, okm, 32);
      memcpy (out->mac_key, okm + 32, 32);
      memcpy (out->iv, okm + 64, 16);
    }
  sodium_memzero (okm, sizeof okm);
  return rc;
}

int
sp_ratchet_root_step (uint8_t             new_root_key[32],
                      uint8_t             chain_key[32],
                      const uint8_t       root_key[32],
                      const SpPrivateKey *ours,
                      const SpPublicKey  *theirs)
{
  uint8_t dh[SP_DH_SIZE];
  uint8_t okm[64];
  int rc;

  rc = sp_dh (dh, ours, theirs);
  if (rc == SP_OK)
    rc = sp_hkdf_sha256 (okm, sizeof okm, root_key, 32, dh, sizeof dh,
                         (const uint8_t *) root_info, sizeof root_info - 1);
  if (rc == SP_OK)
    {
      memcpy (new_root_key, okm, 32);
      memcpy (chain_key, okm + 32, 32);
    }
  sodium_memzero (dh, sizeof dh);
  sodium_memzero (okm, sizeof okm);
  return rc;
}

/* Appends a receiving chain, dropping the oldest when there are already
 * SP_MAX_RECEIVER_CHAINS.  The dropped chain's key memory is reused. */
static SpReceiverChain *
add_receiver_chain (SpSessionState    *state,
                    const SpPublicKey *ratchet_key,
                    const uint8_t      chain_key[32])
{
  SpReceiverChain *chain;

  if (state->n_receivers == SP_MAX_RECEIVER_CHAINS)
    {
      SpKeyList spare = state->receivers[0].skipped;

      sp_key_list_clear (&spare);
      memmove (&state->receivers[0], &state->receivers[1],
               (SP_MAX_RECEIVER_CHAINS - 1) * sizeof state->receivers[0]);
      state->n_receivers--;
      state->receivers[state->n_receivers].skipped = spare;
    }

  chain = &state->receivers[state->n_receivers++];
  chain->ratchet_key = *ratchet_key;
  chain->index = 0;
  memcpy (chain->chain_key, chain_key, 32);
  return chain;
}

static SpReceiverChain *
find_receiver_chain (SpSessionState    *state,
                     const SpPublicKey *ratchet_key)
{
  for (uint32_t i = 0; i < state->n_receivers; i++)
    if (memcmp (state->receivers[i].ratchet_key.bytes, ratchet_key->bytes, SP_PUBLIC_KEY_SIZE) == 0)
      return &state->receivers[i];
  return NULL;
}

int
sp_ratchet_init_initiator (SpSessionState     *state,
                           const SpPqxdhKeys  *keys,
                           const SpPublicKey  *their_signed_pre_key,
                           const SpKeyPair    *sending_ratchet)
{
  int rc;

  rc = sp_ratchet_root_step (state->root_key, state->sender_chain_key, keys->root_key,
                             &sending_ratchet->private_key, their_signed_pre_key);
  if (rc != SP_OK)
    return rc;
  state->version = SP_MESSAGE_VERSION;
  state->sender_ratchet = *sending_ratchet;
  state->sender_index = 0;
  state->previous_counter = 0;
  state->n_receivers = 0;
  add_receiver_chain (state, their_signed_pre_key, keys->chain_key);
  return sp_spqr_chain_init (&state->spqr, keys->spqr_auth_key, true);
}

int
sp_ratchet_init_responder (SpSessionState    *state,
                           const SpPqxdhKeys *keys,
                           const SpKeyPair   *signed_pre_key)
{
  state->version = SP_MESSAGE_VERSION;
  memcpy (state->root_key, keys->root_key, 32);
  state->sender_ratchet = *signed_pre_key;
  memcpy (state->sender_chain_key, keys->chain_key, 32);
  state->sender_index = 0;
  state->previous_counter = 0;
  state->n_receivers = 0;
  return sp_spqr_chain_init (&state->spqr, keys->spqr_auth_key, false);
}

static bool
session_with_self (const SpSessionState *state)
{
  return memcmp (state->local_identity.bytes, state->remote_identity.bytes, SP_PUBLIC_KEY_SIZE) == 0;
}

int
sp_ratchet_encrypt (SpSessionState *state,
                    const uint8_t  *plaintext,
                    size_t          plaintext_len,
                    const uint8_t  *addresses,
                    uint8_t        *scratch,
                    size_t          scratch_size,
                    uint8_t        *out,
                    size_t          out_size,
                    size_t         *out_len)
{
  uint8_t seed[32];
  uint8_t next_chain_key[32];
  uint8_t spqr_key[SP_SPQR_KEY_SIZE];
  uint8_t spqr_message[SP_SPQR_MESSAGE_MAX_SIZE];
  SpMessageKeys keys;
  SpSignalMessage message;
  int rc;

  if (state->sender_index == UINT32_MAX)
    return SP_ERR_INVALID_MESSAGE;

  memset (&message, 0, sizeof message);
  message.version = SP_MESSAGE_VERSION;
  message.ratchet_key = state->sender_ratchet.public_key;
  message.counter = state->sender_index;
  message.previous_counter = state->previous_counter;
  message.pq_ratchet = spqr_message;
  message.addresses = addresses;
  message.addresses_len = addresses != NULL ? SP_MESSAGE_ADDRESSES_SIZE : 0;

  if ((rc = sp_ratchet_chain_step (seed, next_chain_key, state->sender_chain_key)) != SP_OK
      || (rc = sp_spqr_send (&state->spqr, spqr_key, spqr_message, &message.pq_ratchet_len)) != SP_OK
      || (rc = sp_ratchet_message_keys (&keys, seed, spqr_key)) != SP_OK
      || (rc = sp_aes256_cbc_encrypt (scratch, scratch_size, &message.ciphertext_len,
                                      keys.cipher_key, keys.iv, plaintext, plaintext_len)) != SP_OK)
    goto out;
  message.ciphertext = scratch;

  rc = sp_signal_message_encode (out, out_size, out_len, &message, keys.mac_key,
                                 &state->local_identity, &state->remote_identity);
  if (rc == SP_OK)
    {
      memcpy (state->sender_chain_key, next_chain_key, 32);
      state->sender_index++;
    }

out:
  sodium_memzero (seed, sizeof seed);
  sodium_memzero (next_chain_key, sizeof next_chain_key);
  sodium_memzero (spqr_key, sizeof spqr_key);
  sodium_memzero (&keys, sizeof keys);
  return rc;
}

/* The DH ratchet step for a new ratchet key of the other side, in two
 * halves.  The receiving half derives the new receiving chain from our
 * current ratchet key; the sending half, a fresh key pair and the next
 * sending chain, waits until the message has proved genuine, so that a
 * forged message costs one Diffie-Hellman and not three operations. */
static int
receive_step (SpSessionState     *state,
              const SpPublicKey  *their_ratchet_key,
              uint8_t             next_root_key[32],
              SpReceiverChain   **out)
{
  uint8_t receiving_chain[32];
  int rc;

  rc = sp_ratchet_root_step (next_root_key, receiving_chain, state->root_key,
                             &state->sender_ratchet.private_key, their_ratchet_key);
  if (rc == SP_OK)
    *out = add_receiver_chain (state, their_ratchet_key, receiving_chain);
  sodium_memzero (receiving_chain, sizeof receiving_chain);
  return rc;
}

static int
send_step (SpSessionState    *state,
           const SpPublicKey *their_ratchet_key,
           const uint8_t      root_key[32],
           const SpKeyPair   *next_ratchet)
{
  SpKeyPair fresh;
  const SpKeyPair *ours = next_ratchet;
  int rc = SP_OK;

  if (ours == NULL)
    {
      rc = sp_key_pair_generate (&fresh);
      ours = &fresh;
    }
  if (rc == SP_OK)
    rc = sp_ratchet_root_step (state->root_key, state->sender_chain_key, root_key,
                               &ours->private_key, their_ratchet_key);
  if (rc == SP_OK)
    {
      state->previous_counter = state->sender_index > 0 ? state->sender_index - 1 : 0;
      state->sender_ratchet = *ours;
      state->sender_index = 0;
    }
  sodium_memzero (&fresh, sizeof fresh);
  return rc;
}

int
sp_ratchet_chain_seed (uint8_t    chain_key_io[32],
                       uint32_t  *index_io,
                       SpKeyList *skipped,
                       uint32_t   counter,
                       bool       unlimited,
                       uint8_t    seed[32])
{
  uint8_t chain_key[32];
  uint8_t next[32];
  uint32_t jump;
  uint32_t keep;
  uint32_t evict;
  int rc = SP_OK;

  if (counter < *index_io)
    return sp_key_list_take (skipped, counter, seed) ? SP_OK : SP_ERR_DUPLICATE_MESSAGE;

  jump = counter - *index_io;
  if (jump > SP_MAX_FORWARD_JUMPS && !unlimited)
    return SP_ERR_TOO_FAR_AHEAD;
  if (counter == UINT32_MAX)
    return SP_ERR_INVALID_MESSAGE;

  /* Only the newest SP_MAX_MESSAGE_KEYS seeds survive: older ones of the
   * chain go first, then the oldest of those about to be skipped. */
  keep = jump < SP_MAX_MESSAGE_KEYS ? jump : SP_MAX_MESSAGE_KEYS;
  evict = skipped->len + keep > SP_MAX_MESSAGE_KEYS ? skipped->len + keep - SP_MAX_MESSAGE_KEYS : 0;
  sp_key_list_drop_front (skipped, evict);
  if ((rc = sp_key_list_reserve (skipped, skipped->len + keep)) != SP_OK)
    return rc;

  memcpy (chain_key, chain_key_io, 32);
  for (uint32_t index = *index_io; index <= counter && rc == SP_OK; index++)
    {
      rc = sp_ratchet_chain_step (seed, next, chain_key);
      if (rc == SP_OK && index < counter && counter - index <= keep)
        rc = sp_key_list_append (skipped, index, seed);
      memcpy (chain_key, next, 32);
    }
  if (rc == SP_OK)
    {
      memcpy (chain_key_io, chain_key, 32);
      *index_io = counter + 1;
    }

  sodium_memzero (chain_key, sizeof chain_key);
  sodium_memzero (next, sizeof next);
  return rc;
}

int
sp_ratchet_decrypt (SpSessionState        *state,
                    const SpSignalMessage *message,
                    const uint8_t         *data,
                    const uint8_t         *expected_addresses,
                    const SpKeyPair       *next_ratchet,
                    uint8_t               *plaintext,
                    size_t                 plaintext_size,
                    size_t                *plaintext_len)
{
  SpReceiverChain *chain;
  uint8_t seed[32];
  uint8_t spqr_key[SP_SPQR_KEY_SIZE];
  uint8_t next_root_key[32];
  bool has_spqr_key = false;
  bool unlimited = session_with_self (state);
  bool stepped = false;
  SpMessageKeys keys;
  int rc;

  if (message->version != state->version)
    return SP_ERR_VERSION_MISMATCH;

  chain = find_receiver_chain (state, &message->ratchet_key);
  if (chain == NULL)
    {
      if ((rc = receive_step (state, &message->ratchet_key, next_root_key, &chain)) != SP_OK)
        goto out;
      stepped = true;
    }

  if ((rc = sp_ratchet_chain_seed (chain->chain_key, &chain->index, &chain->skipped,
                                   message->counter, unlimited, seed)) != SP_OK)
    goto out;
  if ((rc = sp_spqr_receive (&state->spqr, message->pq_ratchet, message->pq_ratchet_len,
                             unlimited, spqr_key, &has_spqr_key)) != SP_OK)
    goto out;
  if ((rc = sp_ratchet_message_keys (&keys, seed, has_spqr_key ? spqr_key : NULL)) != SP_OK)
    goto out;

  /* libsignal checks the addresses field together with the MAC and
   * reports a mismatch the same way. */
  if (message->addresses != NULL
      && (expected_addresses == NULL
          || message->addresses_len != SP_MESSAGE_ADDRESSES_SIZE
          || memcmp (message->addresses, expected_addresses, SP_MESSAGE_ADDRESSES_SIZE) != 0))
    {
      rc = SP_ERR_BAD_MAC;
      goto out;
    }
  if ((rc = sp_signal_message_verify_mac (message, data, keys.mac_key,
                                          &state->remote_identity, &state->local_identity)) != SP_OK)
    goto out;

  rc = sp_aes256_cbc_decrypt (plaintext, plaintext_size, plaintext_len, keys.cipher_key, keys.iv,
                              message->ciphertext, message->ciphertext_len);
  if (rc == SP_OK && stepped)
    rc = send_step (state, &message->ratchet_key, next_root_key, next_ratchet);
  if (rc == SP_OK)
    state->pending = false;

out:
  sodium_memzero (next_root_key, sizeof next_root_key);
  sodium_memzero (seed, sizeof seed);
  sodium_memzero (spqr_key, sizeof spqr_key);
  sodium_memzero (&keys, sizeof keys);
  return rc;
}
