/* sp-session.c: session setup, encryption and decryption against a store
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every operation loads the record into the cipher's own copy, works on
 * that copy (and on a copy of each state it tries), and writes to the
 * store only once the message has been authenticated and decrypted.  The
 * cipher keeps these copies and its buffers between messages, so that an
 * established session encrypts and decrypts without allocating.
 */

#include "sp-session.h"
#include "sp-session-private.h"
#include "sp-error.h"
#include "sp-message.h"
#include "sp-pqxdh.h"
#include "sp-ratchet.h"
#include "sp-session-state.h"
#include "sp-service-id.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Room for typical messages, allocated with the cipher. */
#define INITIAL_PLAINTEXT_SIZE 4096

struct _SpSessionCipher {
  SpStore store;
  SpAddress remote;
  char *remote_name;

  /* Field 6 of the first messages, when both names are service ids:
   * what we send (we are the sender) and what we expect to receive. */
  bool has_addresses;
  uint8_t outgoing_addresses[SP_MESSAGE_ADDRESSES_SIZE];
  uint8_t incoming_addresses[SP_MESSAGE_ADDRESSES_SIZE];

  SpSessionRecord *record;
  SpSessionState *attempt;     /* may be NULL until first needed */

  uint8_t *buffer;             /* ciphertexts; not secret */
  size_t buffer_size;
  uint8_t *plaintext;          /* sodium_malloc() */
  size_t plaintext_size;
};

/* Secrets of a session setup: a stack temporary, wiped after use, so
 * that setting up a session does not pay for a guarded allocation. */
typedef struct {
  SpKeyPair identity;
  SpKeyPair base_key;
  SpKeyPair ratchet_key;
  SpPqxdhKeys keys;
  SpPreKey pre_key;
  SpSignedPreKey signed_pre_key;
  SpKyberPreKey kyber_pre_key;
} SetupSecrets;

/* Addresses */

static bool
encode_addresses (const SpAddress *sender,
                  const SpAddress *recipient,
                  uint8_t          out[SP_MESSAGE_ADDRESSES_SIZE])
{
  if (sender->device_id > UINT8_MAX || recipient->device_id > UINT8_MAX)
    return false;
  if (!sp_service_id_parse (sender->name, out)
      || !sp_service_id_parse (recipient->name, out + SP_SERVICE_ID_FIXED_SIZE + 1))
    return false;
  out[SP_SERVICE_ID_FIXED_SIZE] = (uint8_t) sender->device_id;
  out[2 * SP_SERVICE_ID_FIXED_SIZE + 1] = (uint8_t) recipient->device_id;
  return true;
}

/* Buffers */

static int
ensure_buffer (SpSessionCipher *cipher,
               size_t           size)
{
  uint8_t *buffer;

  if (size <= cipher->buffer_size)
    return SP_OK;
  buffer = malloc (size);
  if (buffer == NULL)
    return SP_ERR_NO_MEMORY;
  free (cipher->buffer);
  cipher->buffer = buffer;
  cipher->buffer_size = size;
  return SP_OK;
}

static int
ensure_plaintext (SpSessionCipher *cipher,
                  size_t           size)
{
  uint8_t *plaintext;

  if (size <= cipher->plaintext_size)
    return SP_OK;
  plaintext = sodium_malloc (size);
  if (plaintext == NULL)
    return SP_ERR_NO_MEMORY;
  sodium_free (cipher->plaintext);
  cipher->plaintext = plaintext;
  cipher->plaintext_size = size;
  return SP_OK;
}

/* A state to work on; a promotion may have taken the previous one. */
static int
ensure_attempt (SpSessionCipher *cipher)
{
  if (cipher->attempt != NULL)
    return SP_OK;
  return sp_session_state_new (&cipher->attempt);
}

/* Lifetime */

int
sp_session_cipher_new (SpSessionCipher **out,
                       const SpStore    *store,
                       const SpAddress  *local,
                       const SpAddress  *remote)
{
  SpSessionCipher *cipher;
  int rc;

  if (out == NULL || store == NULL || local == NULL || remote == NULL
      || local->name == NULL || remote->name == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  cipher = calloc (1, sizeof *cipher);
  if (cipher == NULL)
    return SP_ERR_NO_MEMORY;
  cipher->store = *store;
  cipher->remote_name = strdup (remote->name);
  if (cipher->remote_name == NULL)
    {
      sp_session_cipher_free (cipher);
      return SP_ERR_NO_MEMORY;
    }
  cipher->remote.name = cipher->remote_name;
  cipher->remote.device_id = remote->device_id;
  cipher->has_addresses = encode_addresses (local, remote, cipher->outgoing_addresses)
                          && encode_addresses (remote, local, cipher->incoming_addresses);

  if ((rc = sp_session_record_new (&cipher->record)) != SP_OK
      || (rc = sp_session_state_new (&cipher->attempt)) != SP_OK
      || (rc = ensure_plaintext (cipher, INITIAL_PLAINTEXT_SIZE)) != SP_OK)
    {
      sp_session_cipher_free (cipher);
      return rc;
    }

  *out = cipher;
  return SP_OK;
}

void
sp_session_cipher_free (SpSessionCipher *cipher)
{
  if (cipher == NULL)
    return;
  sp_session_record_free (cipher->record);
  sp_session_state_free (cipher->attempt);
  free (cipher->buffer);
  sodium_free (cipher->plaintext);
  free (cipher->remote_name);
  free (cipher);
}

/* Store access */

static int
load_record (SpSessionCipher *cipher,
             bool             missing_ok)
{
  int rc = cipher->store.load_session (cipher->store.user_data, &cipher->remote, cipher->record);

  if (rc == SP_ERR_NO_SESSION && missing_ok)
    {
      sp_session_record_clear (cipher->record);
      return SP_OK;
    }
  if (rc == SP_OK && cipher->record->n_states == 0 && !missing_ok)
    return SP_ERR_NO_SESSION;
  return rc;
}

/* The trust decision for @key, with a changed identity told apart from
 * one that is merely not trusted. */
static int
check_trust (SpSessionCipher   *cipher,
             const SpPublicKey *key,
             SpDirection        direction)
{
  SpPublicKey saved;
  bool trusted = false;
  bool found = false;
  int rc;

  rc = cipher->store.is_trusted_identity (cipher->store.user_data, &cipher->remote, key,
                                          direction, &trusted);
  if (rc != SP_OK)
    return rc;
  if (trusted)
    return SP_OK;

  rc = cipher->store.get_identity (cipher->store.user_data, &cipher->remote, &saved, &found);
  if (rc != SP_OK)
    return rc;
  if (found && memcmp (saved.bytes, key->bytes, SP_PUBLIC_KEY_SIZE) != 0)
    return SP_ERR_IDENTITY_CHANGED;
  return SP_ERR_UNTRUSTED_IDENTITY;
}

static uint64_t
now_ms (const SpSessionOverrides *overrides)
{
  struct timespec ts;

  if (overrides != NULL && overrides->now_ms != 0)
    return overrides->now_ms;
  clock_gettime (CLOCK_REALTIME, &ts);
  return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* Session setup as the initiator */

int
sp_session_cipher_process_bundle_with (SpSessionCipher          *cipher,
                                       const SpPreKeyBundle     *bundle,
                                       const SpSessionOverrides *overrides)
{
  SetupSecrets setup;
  SetupSecrets *secrets = &setup;
  SpXeddsaVerifier verifier;
  SpSessionState *state;
  uint32_t registration_id;
  int rc;

  if (cipher == NULL || bundle == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  if (bundle->identity_key.bytes[0] != SP_KEY_TYPE_DJB
      || bundle->signed_pre_key.bytes[0] != SP_KEY_TYPE_DJB
      || (bundle->has_pre_key && bundle->pre_key.bytes[0] != SP_KEY_TYPE_DJB))
    return SP_ERR_INVALID_KEY;
  if ((rc = check_trust (cipher, &bundle->identity_key, SP_DIRECTION_SENDING)) != SP_OK)
    return rc;
  /* Both signatures are by the identity key, converted once for both. */
  if (sp_xeddsa_verifier_init (&verifier, &bundle->identity_key) != SP_OK
      || sp_xeddsa_verifier_verify (&verifier, bundle->signed_pre_key.bytes, SP_PUBLIC_KEY_SIZE,
                                    bundle->signed_pre_key_signature, SP_SIGNATURE_SIZE) != SP_OK
      || sp_xeddsa_verifier_verify (&verifier, bundle->kyber_pre_key, SP_KYBER_PUBLIC_KEY_SIZE,
                                    bundle->kyber_pre_key_signature, SP_SIGNATURE_SIZE) != SP_OK)
    return SP_ERR_INVALID_SIGNATURE;

  if ((rc = load_record (cipher, true)) != SP_OK || (rc = ensure_attempt (cipher)) != SP_OK)
    return rc;

  state = cipher->attempt;
  sp_session_state_reset (state);

  if ((rc = cipher->store.get_identity_key_pair (cipher->store.user_data, &secrets->identity)) != SP_OK
      || (rc = cipher->store.get_local_registration_id (cipher->store.user_data, &registration_id)) != SP_OK)
    goto out;

  if (overrides != NULL && overrides->base_key != NULL)
    secrets->base_key = *overrides->base_key;
  else if ((rc = sp_key_pair_generate (&secrets->base_key)) != SP_OK)
    goto out;
  if (overrides != NULL && overrides->ratchet_key != NULL)
    secrets->ratchet_key = *overrides->ratchet_key;
  else if ((rc = sp_key_pair_generate (&secrets->ratchet_key)) != SP_OK)
    goto out;

  rc = sp_pqxdh_initiate (&secrets->keys, state->pending_pre_key.kyber_ciphertext,
                          &secrets->identity, &secrets->base_key, bundle,
                          overrides != NULL ? overrides->kyber_random : NULL);
  if (rc != SP_OK)
    goto out;
  rc = sp_ratchet_init_initiator (state, &secrets->keys, &bundle->signed_pre_key,
                                  &secrets->ratchet_key);
  if (rc != SP_OK)
    goto out;

  state->local_identity = secrets->identity.public_key;
  state->remote_identity = bundle->identity_key;
  state->local_registration_id = registration_id;
  state->remote_registration_id = bundle->registration_id;
  state->base_key = secrets->base_key.public_key;
  state->pending = true;
  state->pending_pre_key.has_pre_key_id = bundle->has_pre_key;
  state->pending_pre_key.pre_key_id = bundle->has_pre_key ? bundle->pre_key_id : 0;
  state->pending_pre_key.signed_pre_key_id = bundle->signed_pre_key_id;
  state->pending_pre_key.kyber_pre_key_id = bundle->kyber_pre_key_id;
  state->pending_pre_key.timestamp_ms = now_ms (overrides);

  sp_session_record_promote (cipher->record, &cipher->attempt);
  rc = cipher->store.store_session (cipher->store.user_data, &cipher->remote, cipher->record);
  if (rc == SP_OK)
    rc = cipher->store.save_identity (cipher->store.user_data, &cipher->remote, &bundle->identity_key);

out:
  sodium_memzero (&setup, sizeof setup);
  return rc;
}

int
sp_pre_key_bundle_init (SpPreKeyBundle       *bundle,
                        uint32_t              registration_id,
                        uint32_t              device_id,
                        const SpPublicKey    *identity_key,
                        const SpSignedPreKey *signed_pre_key,
                        const SpKyberPreKey  *kyber_pre_key,
                        const SpPreKey       *pre_key)
{
  if (bundle == NULL || identity_key == NULL || signed_pre_key == NULL || kyber_pre_key == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  memset (bundle, 0, sizeof *bundle);
  bundle->registration_id = registration_id;
  bundle->device_id = device_id;
  bundle->identity_key = *identity_key;
  bundle->signed_pre_key_id = signed_pre_key->id;
  bundle->signed_pre_key = signed_pre_key->key_pair.public_key;
  memcpy (bundle->signed_pre_key_signature, signed_pre_key->signature, SP_SIGNATURE_SIZE);
  bundle->kyber_pre_key_id = kyber_pre_key->id;
  memcpy (bundle->kyber_pre_key, kyber_pre_key->public_key, SP_KYBER_PUBLIC_KEY_SIZE);
  memcpy (bundle->kyber_pre_key_signature, kyber_pre_key->signature, SP_SIGNATURE_SIZE);
  if (pre_key != NULL)
    {
      bundle->has_pre_key = true;
      bundle->pre_key_id = pre_key->id;
      bundle->pre_key = pre_key->key_pair.public_key;
    }
  return SP_OK;
}

int
sp_session_cipher_process_bundle (SpSessionCipher      *cipher,
                                  const SpPreKeyBundle *bundle)
{
  return sp_session_cipher_process_bundle_with (cipher, bundle, NULL);
}

/* Encryption */

int
sp_session_cipher_encrypt_with (SpSessionCipher          *cipher,
                                const uint8_t            *plaintext,
                                size_t                    plaintext_len,
                                uint8_t                  *out,
                                size_t                    out_size,
                                size_t                   *out_len,
                                int                      *out_type,
                                const SpSessionOverrides *overrides)
{
  SpSessionState *state;
  size_t padded_len;
  size_t message_size;
  size_t message_len;
  size_t final_len;
  uint8_t *scratch;
  uint8_t *message;
  uint8_t *final;
  int type;
  int rc;

  if (cipher == NULL || (plaintext == NULL && plaintext_len > 0) || out == NULL
      || out_len == NULL || out_type == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  if (plaintext_len > SIZE_MAX / 4 - 2 * SP_SESSION_CIPHERTEXT_MAX_SIZE (0))
    return SP_ERR_INVALID_ARGUMENT;

  if ((rc = load_record (cipher, false)) != SP_OK)
    return rc;
  state = cipher->record->states[0];

  if (state->pending
      && now_ms (overrides) > state->pending_pre_key.timestamp_ms + SP_MAX_UNACKNOWLEDGED_AGE_MS)
    return SP_ERR_SESSION_EXPIRED;
  if ((rc = check_trust (cipher, &state->remote_identity, SP_DIRECTION_SENDING)) != SP_OK)
    return rc;

  /* One buffer, three parts: the AES output, the SignalMessage and,
   * while unacknowledged, the PreKeySignalMessage around it. */
  padded_len = (plaintext_len / 16 + 1) * 16;
  message_size = SP_SESSION_CIPHERTEXT_MAX_SIZE (plaintext_len);
  if ((rc = ensure_buffer (cipher, padded_len + 2 * message_size)) != SP_OK)
    return rc;
  scratch = cipher->buffer;
  message = scratch + padded_len;
  final = message + message_size;

  rc = sp_ratchet_encrypt (state, plaintext, plaintext_len,
                           state->pending && cipher->has_addresses ? cipher->outgoing_addresses : NULL,
                           scratch, padded_len, message, message_size, &message_len);
  if (rc != SP_OK)
    return rc;

  if (state->pending)
    {
      const SpPendingPreKey *pending = &state->pending_pre_key;
      SpPreKeySignalMessage wrapper;

      memset (&wrapper, 0, sizeof wrapper);
      wrapper.version = SP_MESSAGE_VERSION;
      wrapper.has_pre_key_id = pending->has_pre_key_id;
      wrapper.pre_key_id = pending->pre_key_id;
      wrapper.base_key = state->base_key;
      wrapper.identity_key = state->local_identity;
      wrapper.message = message;
      wrapper.message_len = message_len;
      wrapper.registration_id = state->local_registration_id;
      wrapper.signed_pre_key_id = pending->signed_pre_key_id;
      wrapper.has_kyber_pre_key_id = true;
      wrapper.kyber_pre_key_id = pending->kyber_pre_key_id;
      wrapper.kyber_ciphertext = pending->kyber_ciphertext;
      wrapper.kyber_ciphertext_len = SP_KYBER_CIPHERTEXT_SIZE;
      rc = sp_pre_key_signal_message_encode (final, message_size, &final_len, &wrapper);
      if (rc != SP_OK)
        return rc;
      type = SP_CIPHERTEXT_TYPE_PREKEY;
    }
  else
    {
      final = message;
      final_len = message_len;
      type = SP_CIPHERTEXT_TYPE_WHISPER;
    }

  if (final_len > out_size)
    return SP_ERR_BUFFER_TOO_SMALL;
  rc = cipher->store.store_session (cipher->store.user_data, &cipher->remote, cipher->record);
  if (rc != SP_OK)
    return rc;

  memcpy (out, final, final_len);
  *out_len = final_len;
  *out_type = type;
  return SP_OK;
}

int
sp_session_cipher_encrypt (SpSessionCipher *cipher,
                           const uint8_t   *plaintext,
                           size_t           plaintext_len,
                           uint8_t         *out,
                           size_t           out_size,
                           size_t          *out_len,
                           int             *out_type)
{
  return sp_session_cipher_encrypt_with (cipher, plaintext, plaintext_len, out, out_size,
                                         out_len, out_type, NULL);
}

/* Decryption */

/* Tries live state @index of the record on a copy, leaving the record as
 * it was; the result stays in cipher->attempt. */
static int
try_state (SpSessionCipher          *cipher,
           uint32_t                  index,
           const SpSignalMessage    *message,
           const uint8_t            *data,
           const SpSessionOverrides *overrides,
           size_t                   *plaintext_len)
{
  int rc;

  if ((rc = sp_session_state_copy (cipher->attempt, cipher->record->states[index])) != SP_OK)
    return rc;
  return sp_ratchet_decrypt (cipher->attempt, message, data,
                             cipher->has_addresses ? cipher->incoming_addresses : NULL,
                             overrides != NULL ? overrides->ratchet_key : NULL,
                             cipher->plaintext, cipher->plaintext_size, plaintext_len);
}

/* Hands the plaintext over once everything has been committed. */
static void
deliver (SpSessionCipher *cipher,
         size_t           plaintext_len,
         uint8_t         *out,
         size_t          *out_len)
{
  memcpy (out, cipher->plaintext, plaintext_len);
  sodium_memzero (cipher->plaintext, plaintext_len);
  *out_len = plaintext_len;
}

/* "Sesame": the current state first, then each archived one; a state
 * that decrypts the message becomes the current one. */
static int
decrypt_signal (SpSessionCipher          *cipher,
                const SpPublicKey        *sender_identity,
                const uint8_t            *data,
                size_t                    len,
                uint8_t                  *out,
                size_t                    out_size,
                size_t                   *out_len,
                const SpSessionOverrides *overrides)
{
  SpSignalMessage message;
  size_t plaintext_len = 0;
  uint32_t found;
  int first_error = SP_OK;
  int rc;

  if ((rc = sp_signal_message_decode (&message, data, len)) != SP_OK)
    return rc;
  if ((rc = load_record (cipher, false)) != SP_OK
      || (rc = ensure_attempt (cipher)) != SP_OK
      || (rc = ensure_plaintext (cipher, message.ciphertext_len)) != SP_OK)
    return rc;

  for (found = 0; found < cipher->record->n_states; found++)
    {
      rc = try_state (cipher, found, &message, data, overrides, &plaintext_len);
      if (rc == SP_OK)
        break;
      /* A duplicate is a verdict, not a reason to look further; running
         out of memory is not the message's fault. */
      if (rc == SP_ERR_DUPLICATE_MESSAGE || rc == SP_ERR_NO_MEMORY)
        return rc;
      if (first_error == SP_OK)
        first_error = rc;
    }
  if (found == cipher->record->n_states)
    return first_error;

  if (plaintext_len > out_size)
    rc = SP_ERR_BUFFER_TOO_SMALL;
  else if (sender_identity != NULL
           && sodium_memcmp (sender_identity->bytes, cipher->attempt->remote_identity.bytes,
                             SP_PUBLIC_KEY_SIZE) != 0)
    rc = SP_ERR_IDENTITY_MISMATCH;
  else
    rc = check_trust (cipher, &cipher->attempt->remote_identity, SP_DIRECTION_RECEIVING);
  if (rc != SP_OK)
    {
      sodium_memzero (cipher->plaintext, plaintext_len);
      return rc;
    }

  sp_session_record_replace_and_promote (cipher->record, found, &cipher->attempt);
  rc = cipher->store.store_session (cipher->store.user_data, &cipher->remote, cipher->record);
  if (rc == SP_OK)
    rc = cipher->store.save_identity (cipher->store.user_data, &cipher->remote,
                                      &cipher->record->states[0]->remote_identity);
  if (rc != SP_OK)
    {
      sodium_memzero (cipher->plaintext, plaintext_len);
      return rc;
    }
  deliver (cipher, plaintext_len, out, out_len);
  return SP_OK;
}

/* A live state with the message's base key: the initiator repeating a
 * PreKeySignalMessage of a session we already have.  The identity field
 * is not covered by the inner MAC, so it must match the state's too. */
static bool
find_state_by_base_key (const SpSessionRecord       *record,
                        const SpPreKeySignalMessage *message,
                        uint32_t                    *index)
{
  for (uint32_t i = 0; i < record->n_states; i++)
    {
      const SpSessionState *state = record->states[i];

      if (state->version == message->version
          && memcmp (state->base_key.bytes, message->base_key.bytes, SP_PUBLIC_KEY_SIZE) == 0
          && memcmp (state->remote_identity.bytes, message->identity_key.bytes, SP_PUBLIC_KEY_SIZE) == 0)
        {
          *index = i;
          return true;
        }
    }
  return false;
}

/* PQXDH as the responder: a new state for the message in cipher->attempt. */
static int
respond (SpSessionCipher             *cipher,
         const SpPreKeySignalMessage *message,
         SetupSecrets                *secrets)
{
  SpSessionState *state = cipher->attempt;
  uint32_t registration_id;
  int rc;

  if (message->version != SP_MESSAGE_VERSION)
    return SP_ERR_INVALID_MESSAGE;
  if (!message->has_kyber_pre_key_id || message->kyber_ciphertext == NULL)
    return SP_ERR_INVALID_MESSAGE;

  if ((rc = cipher->store.load_signed_pre_key (cipher->store.user_data, message->signed_pre_key_id,
                                               &secrets->signed_pre_key)) != SP_OK
      || (rc = cipher->store.load_kyber_pre_key (cipher->store.user_data, message->kyber_pre_key_id,
                                                 &secrets->kyber_pre_key)) != SP_OK
      || (message->has_pre_key_id
          && (rc = cipher->store.load_pre_key (cipher->store.user_data, message->pre_key_id,
                                               &secrets->pre_key)) != SP_OK))
    return rc;
  if ((rc = sp_public_key_check_canonical (&message->base_key)) != SP_OK)
    return rc;
  if ((rc = cipher->store.get_identity_key_pair (cipher->store.user_data, &secrets->identity)) != SP_OK
      || (rc = cipher->store.get_local_registration_id (cipher->store.user_data, &registration_id)) != SP_OK)
    return rc;

  rc = sp_pqxdh_respond (&secrets->keys, &secrets->identity, &secrets->signed_pre_key.key_pair,
                         message->has_pre_key_id ? &secrets->pre_key.key_pair : NULL,
                         secrets->kyber_pre_key.secret_key, sizeof secrets->kyber_pre_key.secret_key,
                         &message->identity_key, &message->base_key,
                         message->kyber_ciphertext, message->kyber_ciphertext_len);
  if (rc != SP_OK)
    return rc;

  sp_session_state_reset (state);
  if ((rc = sp_ratchet_init_responder (state, &secrets->keys, &secrets->signed_pre_key.key_pair)) != SP_OK)
    return rc;
  state->local_identity = secrets->identity.public_key;
  state->remote_identity = message->identity_key;
  state->local_registration_id = registration_id;
  state->remote_registration_id = message->registration_id;
  state->base_key = message->base_key;
  return SP_OK;
}

static int
decrypt_prekey (SpSessionCipher          *cipher,
                const SpPublicKey        *sender_identity,
                const uint8_t            *data,
                size_t                    len,
                uint8_t                  *out,
                size_t                    out_size,
                size_t                   *out_len,
                const SpSessionOverrides *overrides)
{
  SpPreKeySignalMessage message;
  SpSignalMessage inner;
  SetupSecrets secrets;
  size_t plaintext_len = 0;
  uint32_t existing;
  bool reuse;
  int rc;

  if ((rc = sp_pre_key_signal_message_decode (&message, data, len)) != SP_OK
      || (rc = sp_signal_message_decode (&inner, message.message, message.message_len)) != SP_OK)
    return rc;
  if (sender_identity != NULL
      && sodium_memcmp (sender_identity->bytes, message.identity_key.bytes, SP_PUBLIC_KEY_SIZE) != 0)
    return SP_ERR_IDENTITY_MISMATCH;
  if ((rc = load_record (cipher, true)) != SP_OK
      || (rc = ensure_attempt (cipher)) != SP_OK
      || (rc = ensure_plaintext (cipher, inner.ciphertext_len)) != SP_OK)
    return rc;
  if ((rc = check_trust (cipher, &message.identity_key, SP_DIRECTION_RECEIVING)) != SP_OK)
    return rc;

  reuse = find_state_by_base_key (cipher->record, &message, &existing);
  if (reuse)
    {
      rc = sp_session_state_copy (cipher->attempt, cipher->record->states[existing]);
    }
  else
    {
      rc = respond (cipher, &message, &secrets);
      sodium_memzero (&secrets, sizeof secrets);
    }
  if (rc == SP_OK)
    rc = sp_ratchet_decrypt (cipher->attempt, &inner, message.message,
                             cipher->has_addresses ? cipher->incoming_addresses : NULL,
                             overrides != NULL ? overrides->ratchet_key : NULL,
                             cipher->plaintext, cipher->plaintext_size, &plaintext_len);
  if (rc == SP_OK && plaintext_len > out_size)
    rc = SP_ERR_BUFFER_TOO_SMALL;

  /* Decrypted: now, and only now, the stores change.  The Kyber prekey
   * check comes first because it may still refuse the message. */
  if (rc == SP_OK && !reuse)
    rc = cipher->store.mark_kyber_pre_key_used (cipher->store.user_data, message.kyber_pre_key_id,
                                                message.signed_pre_key_id, &message.base_key);
  if (rc == SP_OK)
    {
      if (reuse)
        sp_session_record_replace_and_promote (cipher->record, existing, &cipher->attempt);
      else
        sp_session_record_promote (cipher->record, &cipher->attempt);
      rc = cipher->store.store_session (cipher->store.user_data, &cipher->remote, cipher->record);
    }
  if (rc == SP_OK)
    rc = cipher->store.save_identity (cipher->store.user_data, &cipher->remote, &message.identity_key);
  if (rc == SP_OK && !reuse && message.has_pre_key_id)
    rc = cipher->store.remove_pre_key (cipher->store.user_data, message.pre_key_id);

  if (rc != SP_OK)
    {
      sodium_memzero (cipher->plaintext, cipher->plaintext_size);
      return rc;
    }
  deliver (cipher, plaintext_len, out, out_len);
  return SP_OK;
}

/* Both decryptions; @sender_identity, when given, is the identity the
 * message must come from. */
static int
decrypt_from (SpSessionCipher          *cipher,
              int                       type,
              const SpPublicKey        *sender_identity,
              const uint8_t            *ciphertext,
              size_t                    ciphertext_len,
              uint8_t                  *out,
              size_t                    out_size,
              size_t                   *out_len,
              const SpSessionOverrides *overrides)
{
  if (cipher == NULL || ciphertext == NULL || out_len == NULL || (out == NULL && out_size > 0))
    return SP_ERR_INVALID_ARGUMENT;

  switch (type)
    {
    case SP_CIPHERTEXT_TYPE_WHISPER:
      return decrypt_signal (cipher, sender_identity, ciphertext, ciphertext_len, out, out_size, out_len,
                             overrides);
    case SP_CIPHERTEXT_TYPE_PREKEY:
      return decrypt_prekey (cipher, sender_identity, ciphertext, ciphertext_len, out, out_size, out_len,
                             overrides);
    default:
      return SP_ERR_INVALID_ARGUMENT;
    }
}

int
sp_session_cipher_decrypt_with (SpSessionCipher          *cipher,
                                int                       type,
                                const uint8_t            *ciphertext,
                                size_t                    ciphertext_len,
                                uint8_t                  *out,
                                size_t                    out_size,
                                size_t                   *out_len,
                                const SpSessionOverrides *overrides)
{
  return decrypt_from (cipher, type, NULL, ciphertext, ciphertext_len, out, out_size, out_len, overrides);
}

int
sp_session_cipher_decrypt (SpSessionCipher *cipher,
                           int              type,
                           const uint8_t   *ciphertext,
                           size_t           ciphertext_len,
                           uint8_t         *out,
                           size_t           out_size,
                           size_t          *out_len)
{
  return decrypt_from (cipher, type, NULL, ciphertext, ciphertext_len, out, out_size, out_len, NULL);
}

int
sp_session_cipher_decrypt_sealed (SpSessionCipher   *cipher,
                                  int                type,
                                  const SpPublicKey *sender_identity,
                                  const uint8_t     *ciphertext,
                                  size_t             ciphertext_len,
                                  uint8_t           *out,
                                  size_t             out_size,
                                  size_t            *out_len)
{
  if (sender_identity == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  return decrypt_from (cipher, type, sender_identity, ciphertext, ciphertext_len, out, out_size, out_len,
                       NULL);
}
