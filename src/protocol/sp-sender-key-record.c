/* sp-sender-key-record.c: sender key records and their storage form
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sp-sender-key-state.h"
#include "sp-error.h"
#include "sp-session.h"

#include <sodium.h>
#include <string.h>

/* Storage form, version 1.  All integers are big-endian.
 *
 *   record = "SPSK" || u8 format version (1) || u8 number of states (1..5)
 *            || states, the newest first; nothing may follow
 *   state  = u8 message version (3) || u8 flags
 *            || u32 chain id || u32 iteration || chain key (32)
 *            || signing public key (33) || [signing private key (32)]
 *            || u16 n (0..2000) || n x (u32 iteration || seed (32)),
 *               iterations strictly increasing and below the state's
 *   flags  = bit 0: the private signing key follows; the rest zero
 *
 * Chain ids are distinct within a record; a public key carries the 0x05
 * type byte and a private key is clamped and derives the public one. */

#define RECORD_MAGIC "SPSK"
#define RECORD_FORMAT_VERSION 1

#define FLAG_SIGNING_PRIVATE 0x01

#define STATE_FIXED_SIZE (1 + 1 + 4 + 4 + SP_SENDER_CHAIN_KEY_SIZE + SP_PUBLIC_KEY_SIZE + 2)
#define INDEXED_KEY_SIZE (4 + 32)

int
sp_sender_key_record_new (SpSenderKeyRecord **out)
{
  SpSenderKeyRecord *record;

  if (out == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  record = sodium_malloc (sizeof *record);
  if (record == NULL)
    return SP_ERR_NO_MEMORY;
  memset (record, 0, sizeof *record);
  *out = record;
  return SP_OK;
}

void
sp_sender_key_record_free (SpSenderKeyRecord *record)
{
  if (record == NULL)
    return;
  for (size_t i = 0; i < SP_MAX_SENDER_KEY_STATES; i++)
    sp_key_list_free (&record->states[i].skipped);
  sodium_free (record);
}

/* Wipes @state but keeps its key list's memory. */
static void
state_reset (SpSenderKeyState *state)
{
  SpKeyList skipped = state->skipped;

  sp_key_list_clear (&skipped);
  sodium_memzero (state, sizeof *state);
  state->skipped = skipped;
}

void
sp_sender_key_record_clear (SpSenderKeyRecord *record)
{
  for (uint32_t i = 0; i < record->n_states; i++)
    state_reset (&record->states[i]);
  record->n_states = 0;
}

int
sp_sender_key_record_copy (SpSenderKeyRecord       *dst,
                           const SpSenderKeyRecord *src)
{
  int rc;

  if (dst == NULL || src == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  if (dst == src)
    return SP_OK;

  /* Every allocation happens before the first byte of @dst changes. */
  for (uint32_t i = 0; i < src->n_states; i++)
    if ((rc = sp_key_list_reserve (&dst->states[i].skipped, src->states[i].skipped.len)) != SP_OK)
      return rc;

  sp_sender_key_record_clear (dst);
  for (uint32_t i = 0; i < src->n_states; i++)
    {
      SpKeyList skipped = dst->states[i].skipped;

      memcpy (&dst->states[i], &src->states[i], sizeof dst->states[i]);
      dst->states[i].skipped = skipped;
      sp_key_list_copy_reserved (&dst->states[i].skipped, &src->states[i].skipped);
    }
  dst->n_states = src->n_states;
  return SP_OK;
}

SpSenderKeyState *
sp_sender_key_record_find (SpSenderKeyRecord *record,
                           uint32_t           chain_id)
{
  for (uint32_t i = 0; i < record->n_states; i++)
    if (record->states[i].chain_id == chain_id)
      return &record->states[i];
  return NULL;
}

/* Moves live state @index to the front, the newer ones one down. */
static void
move_to_front (SpSenderKeyRecord *record,
               uint32_t           index)
{
  SpSenderKeyState state = record->states[index];

  memmove (&record->states[1], &record->states[0], index * sizeof record->states[0]);
  record->states[0] = state;
  sodium_memzero (&state, sizeof state);
}

void
sp_sender_key_record_add (SpSenderKeyRecord  *record,
                          uint32_t            version,
                          uint32_t            chain_id,
                          uint32_t            iteration,
                          const uint8_t       chain_key[SP_SENDER_CHAIN_KEY_SIZE],
                          const SpPublicKey  *signing_key,
                          const SpPrivateKey *private_key)
{
  SpSenderKeyState *existing = sp_sender_key_record_find (record, chain_id);
  SpSenderKeyState *state;
  uint32_t slot;

  /* A chain we already follow is not rewound: a repeated distribution
   * message must not make old messages decryptable twice. */
  if (existing != NULL
      && sodium_memcmp (existing->signing_key.bytes, signing_key->bytes, SP_PUBLIC_KEY_SIZE) == 0)
    {
      move_to_front (record, (uint32_t) (existing - record->states));
      return;
    }

  /* The same chain id with another signing key replaces that state;
   * otherwise a new state takes a free slot or the oldest one. */
  if (existing != NULL)
    slot = (uint32_t) (existing - record->states);
  else if (record->n_states == SP_MAX_SENDER_KEY_STATES)
    slot = record->n_states - 1;
  else
    slot = record->n_states++;

  state = &record->states[slot];
  state_reset (state);
  state->version = version;
  state->chain_id = chain_id;
  state->iteration = iteration;
  memcpy (state->chain_key, chain_key, SP_SENDER_CHAIN_KEY_SIZE);
  state->signing_key = *signing_key;
  state->has_signing_private = private_key != NULL;
  if (private_key != NULL)
    state->signing_private = *private_key;
  move_to_front (record, slot);
}

/* Serialisation */

static size_t
state_serialized_size (const SpSenderKeyState *state)
{
  return STATE_FIXED_SIZE + (state->has_signing_private ? SP_PRIVATE_KEY_SIZE : 0)
         + (size_t) state->skipped.len * INDEXED_KEY_SIZE;
}

int
sp_sender_key_record_serialized_size (const SpSenderKeyRecord *record,
                                      size_t                  *out)
{
  size_t size = SP_STORAGE_HEADER_SIZE;

  if (record == NULL || out == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  if (record->n_states == 0)
    return SP_ERR_NO_SENDER_KEY;
  for (uint32_t i = 0; i < record->n_states; i++)
    size += state_serialized_size (&record->states[i]);
  *out = size;
  return SP_OK;
}

int
sp_sender_key_record_serialize (const SpSenderKeyRecord *record,
                                uint8_t                 *out,
                                size_t                   out_size,
                                size_t                  *out_len)
{
  size_t size;
  uint8_t *p;
  int rc;

  if (record == NULL || out == NULL || out_len == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  if ((rc = sp_sender_key_record_serialized_size (record, &size)) != SP_OK)
    return rc;
  if (out_size < size)
    return SP_ERR_BUFFER_TOO_SMALL;

  p = sp_put_header (out, RECORD_MAGIC, RECORD_FORMAT_VERSION, (uint8_t) record->n_states);
  for (uint32_t i = 0; i < record->n_states; i++)
    {
      const SpSenderKeyState *state = &record->states[i];

      p = sp_put_u8 (p, (uint8_t) state->version);
      p = sp_put_u8 (p, state->has_signing_private ? FLAG_SIGNING_PRIVATE : 0);
      p = sp_put_u32 (p, state->chain_id);
      p = sp_put_u32 (p, state->iteration);
      p = sp_put_bytes (p, state->chain_key, SP_SENDER_CHAIN_KEY_SIZE);
      p = sp_put_bytes (p, state->signing_key.bytes, SP_PUBLIC_KEY_SIZE);
      if (state->has_signing_private)
        p = sp_put_bytes (p, state->signing_private.bytes, SP_PRIVATE_KEY_SIZE);
      p = sp_put_key_list (p, &state->skipped);
    }

  *out_len = (size_t) (p - out);
  return SP_OK;
}

/* Parsing, in two passes as for session records: the first validates
 * and learns the length of each key list, the second, after every
 * allocation has been made, fills the record and cannot fail. */

/* With @state NULL, validates and reports the key list's length and the
 * chain id; otherwise fills @state, whose list must have room for it. */
static bool
get_state (SpCursor         *c,
           SpSenderKeyState *state,
           uint32_t         *n_skipped,
           uint32_t         *chain_id)
{
  SpSenderKeyState s = { 0 };
  uint8_t version;
  uint8_t flags;
  bool ok;

  if (!sp_get_u8 (c, &version) || version != SP_SENDER_KEY_VERSION
      || !sp_get_u8 (c, &flags) || (flags & ~FLAG_SIGNING_PRIVATE) != 0
      || !sp_get_u32 (c, &s.chain_id)
      || !sp_get_u32 (c, &s.iteration))
    return false;

  s.version = version;
  s.has_signing_private = (flags & FLAG_SIGNING_PRIVATE) != 0;
  *chain_id = s.chain_id;
  ok = sp_get_bytes (c, s.chain_key, SP_SENDER_CHAIN_KEY_SIZE)
       && sp_get_public_key (c, &s.signing_key)
       && (!s.has_signing_private || sp_get_private_key (c, &s.signing_private));

  /* A private key that does not derive the public one was not written
   * here.  Checked in the first pass only: it costs a scalar
   * multiplication. */
  if (ok && s.has_signing_private && state == NULL)
    {
      SpKeyPair *pair = sodium_malloc (sizeof *pair);

      ok = pair != NULL
           && sp_key_pair_from_parts (pair, s.signing_key.bytes, SP_PUBLIC_KEY_SIZE,
                                      s.signing_private.bytes, SP_PRIVATE_KEY_SIZE) == SP_OK;
      sodium_free (pair);
    }
  ok = ok && sp_get_key_list (c, state != NULL ? &state->skipped : NULL,
                              SP_MAX_MESSAGE_KEYS, s.iteration, n_skipped);

  if (ok && state != NULL)
    {
      SpKeyList skipped = state->skipped;

      *state = s;
      state->skipped = skipped;
    }
  sodium_memzero (&s, sizeof s);
  return ok;
}

int
sp_sender_key_record_deserialize (SpSenderKeyRecord *record,
                                  const uint8_t     *data,
                                  size_t             len)
{
  uint32_t n_skipped[SP_MAX_SENDER_KEY_STATES] = { 0 };
  uint32_t chain_ids[SP_MAX_SENDER_KEY_STATES];
  SpCursor c = { data, len };
  uint8_t n_states;
  int rc;

  if (record == NULL || (data == NULL && len > 0))
    return SP_ERR_INVALID_ARGUMENT;

  if (!sp_get_header (&c, RECORD_MAGIC, RECORD_FORMAT_VERSION, 1, SP_MAX_SENDER_KEY_STATES, &n_states))
    return SP_ERR_MALFORMED;
  for (uint32_t i = 0; i < n_states; i++)
    {
      if (!get_state (&c, NULL, &n_skipped[i], &chain_ids[i]))
        return SP_ERR_MALFORMED;
      for (uint32_t j = 0; j < i; j++)
        if (chain_ids[j] == chain_ids[i])
          return SP_ERR_MALFORMED;
    }
  if (c.left != 0)
    return SP_ERR_MALFORMED;

  for (uint32_t i = 0; i < n_states; i++)
    if ((rc = sp_key_list_reserve (&record->states[i].skipped, n_skipped[i])) != SP_OK)
      return rc;

  sp_sender_key_record_clear (record);
  c.p = data;
  c.left = len;
  sp_get_header (&c, RECORD_MAGIC, RECORD_FORMAT_VERSION, 1, SP_MAX_SENDER_KEY_STATES, &n_states);
  for (uint32_t i = 0; i < n_states; i++)
    get_state (&c, &record->states[i], &n_skipped[i], &chain_ids[i]);
  record->n_states = n_states;
  return SP_OK;
}
