/* sp-session-record.c: session states, records and their storage form
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sp-session-state.h"
#include "sp-storage.h"
#include "sp-error.h"
#include "sp-message.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Storage form, version 1.  All integers are big-endian.
 *
 *   record  = "SPSR" || u8 format version (1) || u8 number of states (0..41)
 *             || states, the current one first, then the archived ones
 *             newest first; nothing may follow
 *   state   = u8 session version (4) || u8 flags
 *             || local identity (33) || remote identity (33)
 *             || u32 local registration id || u32 remote registration id
 *             || base key (33) || root key (32)
 *             || sender ratchet public (33) || sender ratchet private (32)
 *             || sender chain key (32) || u32 sender index || u32 previous counter
 *             || [pending]  when flags bit 0
 *             || u8 number of receiving chains (0..5) || chains, oldest first
 *             || spqr
 *   flags   = bit 0 unacknowledged, bit 1 the pending message names a
 *             one-time prekey, bit 2 SPQR direction A2B; the rest zero
 *   pending = [u32 one-time prekey id when flags bit 1]
 *             || u32 signed prekey id || u32 Kyber prekey id
 *             || Kyber ciphertext (1569) || u64 timestamp (ms)
 *   chain   = ratchet key (33) || chain key (32) || u32 next index
 *             || u16 n (0..2000) || n x (u32 index || seed (32)),
 *             indices strictly increasing and below the next index
 *   spqr    = next root (32) || u32 send counter || send seed (32)
 *             || u32 receive counter || receive seed (32)
 *             || u16 n (below 2200) || n x (u32 index || key (32)),
 *             indices strictly increasing and below the receive counter
 *
 * Public keys must carry the 0x05 type byte and private keys must be
 * clamped; the Kyber ciphertext must carry the 0x08 type byte. */

#define RECORD_MAGIC "SPSR"
#define RECORD_FORMAT_VERSION 1

#define FLAG_PENDING 0x01
#define FLAG_PENDING_PRE_KEY 0x02
#define FLAG_SPQR_A2B 0x04
#define FLAGS_KNOWN (FLAG_PENDING | FLAG_PENDING_PRE_KEY | FLAG_SPQR_A2B)

/* Mirrors the SPQR crate's TRIM_SIZE: its key history is garbage
 * collected when it reaches this many entries. */
#define SPQR_HISTORY_LIMIT (SP_MAX_MESSAGE_KEYS * 11 / 10)

#define INDEXED_KEY_SIZE (4 + 32)

#define STATE_FIXED_SIZE (2 + 33 + 33 + 4 + 4 + 33 + 32 + 33 + 32 + 32 + 4 + 4)
#define PENDING_FIXED_SIZE (4 + 4 + SP_KYBER_CIPHERTEXT_SIZE + 8)
#define CHAIN_FIXED_SIZE (33 + 32 + 4 + 2)
#define SPQR_FIXED_SIZE (32 + 4 + 32 + 4 + 32 + 2)

/* States */

int
sp_session_state_new (SpSessionState **out)
{
  SpSessionState *state = sodium_malloc (sizeof *state);

  if (state == NULL)
    return SP_ERR_NO_MEMORY;
  memset (state, 0, sizeof *state);
  *out = state;
  return SP_OK;
}

void
sp_session_state_free (SpSessionState *state)
{
  if (state == NULL)
    return;
  for (size_t i = 0; i < SP_MAX_RECEIVER_CHAINS; i++)
    sp_key_list_free (&state->receivers[i].skipped);
  sp_key_list_free (&state->spqr.recv_history);
  sodium_free (state);
}

/* The key lists of a state, so that copies can keep their memory. */
#define N_LISTS (SP_MAX_RECEIVER_CHAINS + 1)

typedef struct {
  SpKeyList lists[N_LISTS];
} StateLists;

static void
state_take_lists (SpSessionState *state,
                  StateLists     *lists)
{
  for (size_t i = 0; i < SP_MAX_RECEIVER_CHAINS; i++)
    lists->lists[i] = state->receivers[i].skipped;
  lists->lists[SP_MAX_RECEIVER_CHAINS] = state->spqr.recv_history;
}

static void
state_put_lists (SpSessionState   *state,
                 const StateLists *lists)
{
  for (size_t i = 0; i < SP_MAX_RECEIVER_CHAINS; i++)
    state->receivers[i].skipped = lists->lists[i];
  state->spqr.recv_history = lists->lists[SP_MAX_RECEIVER_CHAINS];
}

void
sp_session_state_reset (SpSessionState *state)
{
  StateLists lists;

  state_take_lists (state, &lists);
  for (size_t i = 0; i < N_LISTS; i++)
    sp_key_list_clear (&lists.lists[i]);
  sodium_memzero (state, sizeof *state);
  state_put_lists (state, &lists);
}

/* Grows @dst's lists to hold @src's keys without changing @dst. */
static int
state_reserve_like (SpSessionState       *dst,
                    const SpSessionState *src)
{
  int rc;

  for (size_t i = 0; i < SP_MAX_RECEIVER_CHAINS; i++)
    if ((rc = sp_key_list_reserve (&dst->receivers[i].skipped,
                                   src->receivers[i].skipped.len)) != SP_OK)
      return rc;
  return sp_key_list_reserve (&dst->spqr.recv_history, src->spqr.recv_history.len);
}

static void
state_copy_reserved (SpSessionState       *dst,
                     const SpSessionState *src)
{
  StateLists lists;

  state_take_lists (dst, &lists);
  memcpy (dst, src, sizeof *dst);
  state_put_lists (dst, &lists);
  for (size_t i = 0; i < SP_MAX_RECEIVER_CHAINS; i++)
    sp_key_list_copy_reserved (&dst->receivers[i].skipped, &src->receivers[i].skipped);
  sp_key_list_copy_reserved (&dst->spqr.recv_history, &src->spqr.recv_history);
}

int
sp_session_state_copy (SpSessionState       *dst,
                       const SpSessionState *src)
{
  int rc;

  if ((rc = state_reserve_like (dst, src)) != SP_OK)
    return rc;
  state_copy_reserved (dst, src);
  return SP_OK;
}

/* Records */

int
sp_session_record_new (SpSessionRecord **out)
{
  SpSessionRecord *record;

  if (out == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  /* The record itself only holds pointers; the states it points to are
   * in guarded memory. */
  record = calloc (1, sizeof *record);
  if (record == NULL)
    return SP_ERR_NO_MEMORY;
  *out = record;
  return SP_OK;
}

void
sp_session_record_free (SpSessionRecord *record)
{
  if (record == NULL)
    return;
  for (uint32_t i = 0; i < record->n_allocated; i++)
    sp_session_state_free (record->states[i]);
  free (record);
}

/* Makes sure @record has at least @n allocated states. */
static int
record_reserve (SpSessionRecord *record,
                uint32_t         n)
{
  while (record->n_allocated < n)
    {
      int rc = sp_session_state_new (&record->states[record->n_allocated]);

      if (rc != SP_OK)
        return rc;
      record->n_allocated++;
    }
  return SP_OK;
}

/* Wipes the states from @n on and makes @n the number of live ones. */
static void
record_truncate (SpSessionRecord *record,
                 uint32_t         n)
{
  for (uint32_t i = n; i < record->n_states; i++)
    sp_session_state_reset (record->states[i]);
  record->n_states = n;
}

void
sp_session_record_clear (SpSessionRecord *record)
{
  record_truncate (record, 0);
}

int
sp_session_record_copy (SpSessionRecord       *dst,
                        const SpSessionRecord *src)
{
  int rc;

  if (dst == NULL || src == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  if (dst == src)
    return SP_OK;

  /* Every allocation happens before the first byte of @dst changes. */
  if ((rc = record_reserve (dst, src->n_states)) != SP_OK)
    return rc;
  for (uint32_t i = 0; i < src->n_states; i++)
    if ((rc = state_reserve_like (dst->states[i], src->states[i])) != SP_OK)
      return rc;

  for (uint32_t i = 0; i < src->n_states; i++)
    state_copy_reserved (dst->states[i], src->states[i]);
  if (dst->n_states < src->n_states)
    dst->n_states = src->n_states;
  record_truncate (dst, src->n_states);
  return SP_OK;
}

int
sp_session_record_has_session (const SpSessionRecord *record,
                               bool                  *has_session)
{
  if (record == NULL || has_session == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  *has_session = record->n_states > 0;
  return SP_OK;
}

int
sp_session_record_get_remote_registration_id (const SpSessionRecord *record,
                                              uint32_t              *out)
{
  if (record == NULL || out == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  if (record->n_states == 0)
    return SP_ERR_NO_SESSION;
  *out = record->states[0]->remote_registration_id;
  return SP_OK;
}

void
sp_session_record_promote (SpSessionRecord  *record,
                           SpSessionState  **state)
{
  SpSessionState *spare;

  if (record->n_states == SP_SESSION_RECORD_MAX_STATES)
    {
      /* The oldest archived state goes; its slot is reused below. */
      spare = record->states[record->n_states - 1];
      sp_session_state_reset (spare);
      record->n_states--;
    }
  else if (record->n_states < record->n_allocated)
    {
      spare = record->states[record->n_states];
    }
  else
    {
      spare = NULL;
      record->n_allocated++;
    }

  memmove (&record->states[1], &record->states[0],
           record->n_states * sizeof record->states[0]);
  record->states[0] = *state;
  record->n_states++;
  *state = spare;
}

void
sp_session_record_replace_and_promote (SpSessionRecord  *record,
                                       uint32_t          index,
                                       SpSessionState  **state)
{
  SpSessionState *replaced = record->states[index];

  memmove (&record->states[1], &record->states[0], index * sizeof record->states[0]);
  record->states[0] = *state;
  *state = replaced;
}

/* Serialisation */

static size_t
state_serialized_size (const SpSessionState *state)
{
  size_t size = STATE_FIXED_SIZE + 1 + SPQR_FIXED_SIZE;

  if (state->pending)
    size += PENDING_FIXED_SIZE + (state->pending_pre_key.has_pre_key_id ? 4 : 0);
  for (uint32_t i = 0; i < state->n_receivers; i++)
    size += CHAIN_FIXED_SIZE + (size_t) state->receivers[i].skipped.len * INDEXED_KEY_SIZE;
  size += (size_t) state->spqr.recv_history.len * INDEXED_KEY_SIZE;
  return size;
}

int
sp_session_record_serialized_size (const SpSessionRecord *record,
                                   size_t                *out)
{
  size_t size = SP_STORAGE_HEADER_SIZE;

  if (record == NULL || out == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  for (uint32_t i = 0; i < record->n_states; i++)
    size += state_serialized_size (record->states[i]);
  *out = size;
  return SP_OK;
}

static uint8_t *
put_state (uint8_t              *p,
           const SpSessionState *state)
{
  const SpPendingPreKey *pending = &state->pending_pre_key;
  uint8_t flags = 0;

  if (state->pending)
    flags |= FLAG_PENDING;
  if (state->pending && pending->has_pre_key_id)
    flags |= FLAG_PENDING_PRE_KEY;
  if (state->spqr.a2b)
    flags |= FLAG_SPQR_A2B;

  p = sp_put_u8 (p, (uint8_t) state->version);
  p = sp_put_u8 (p, flags);
  p = sp_put_bytes (p, state->local_identity.bytes, SP_PUBLIC_KEY_SIZE);
  p = sp_put_bytes (p, state->remote_identity.bytes, SP_PUBLIC_KEY_SIZE);
  p = sp_put_u32 (p, state->local_registration_id);
  p = sp_put_u32 (p, state->remote_registration_id);
  p = sp_put_bytes (p, state->base_key.bytes, SP_PUBLIC_KEY_SIZE);
  p = sp_put_bytes (p, state->root_key, SP_ROOT_KEY_SIZE);
  p = sp_put_bytes (p, state->sender_ratchet.public_key.bytes, SP_PUBLIC_KEY_SIZE);
  p = sp_put_bytes (p, state->sender_ratchet.private_key.bytes, SP_PRIVATE_KEY_SIZE);
  p = sp_put_bytes (p, state->sender_chain_key, SP_CHAIN_KEY_SIZE);
  p = sp_put_u32 (p, state->sender_index);
  p = sp_put_u32 (p, state->previous_counter);

  if (state->pending)
    {
      if (pending->has_pre_key_id)
        p = sp_put_u32 (p, pending->pre_key_id);
      p = sp_put_u32 (p, pending->signed_pre_key_id);
      p = sp_put_u32 (p, pending->kyber_pre_key_id);
      p = sp_put_bytes (p, pending->kyber_ciphertext, SP_KYBER_CIPHERTEXT_SIZE);
      p = sp_put_u64 (p, pending->timestamp_ms);
    }

  p = sp_put_u8 (p, (uint8_t) state->n_receivers);
  for (uint32_t i = 0; i < state->n_receivers; i++)
    {
      const SpReceiverChain *chain = &state->receivers[i];

      p = sp_put_bytes (p, chain->ratchet_key.bytes, SP_PUBLIC_KEY_SIZE);
      p = sp_put_bytes (p, chain->chain_key, SP_CHAIN_KEY_SIZE);
      p = sp_put_u32 (p, chain->index);
      p = sp_put_key_list (p, &chain->skipped);
    }

  p = sp_put_bytes (p, state->spqr.next_root, 32);
  p = sp_put_u32 (p, state->spqr.send_counter);
  p = sp_put_bytes (p, state->spqr.send_seed, 32);
  p = sp_put_u32 (p, state->spqr.recv_counter);
  p = sp_put_bytes (p, state->spqr.recv_seed, 32);
  p = sp_put_key_list (p, &state->spqr.recv_history);
  return p;
}

int
sp_session_record_serialize (const SpSessionRecord *record,
                             uint8_t               *out,
                             size_t                 out_size,
                             size_t                *out_len)
{
  size_t size;
  uint8_t *p;

  if (record == NULL || out == NULL || out_len == NULL)
    return SP_ERR_INVALID_ARGUMENT;
  sp_session_record_serialized_size (record, &size);
  if (out_size < size)
    return SP_ERR_BUFFER_TOO_SMALL;

  p = sp_put_header (out, RECORD_MAGIC, RECORD_FORMAT_VERSION, (uint8_t) record->n_states);
  for (uint32_t i = 0; i < record->n_states; i++)
    p = put_state (p, record->states[i]);

  *out_len = (size_t) (p - out);
  return SP_OK;
}

/* Parsing.  A record is parsed twice: once to validate it and learn how
 * many keys each list needs, then, after every allocation has been made,
 * once more to fill the states.  The second pass cannot fail. */

/* How many keys each list of a state needs. */
typedef struct {
  uint32_t lens[N_LISTS];
} StateSizes;

/* With @state NULL, validates and fills @sizes; otherwise fills @state,
 * whose lists must already have room for @sizes. */
static bool
get_state (SpCursor       *c,
           SpSessionState *state,
           StateSizes     *sizes)
{
  SpSessionState *s = state;
  SpPendingPreKey *pending = s != NULL ? &s->pending_pre_key : NULL;
  uint8_t version;
  uint8_t flags;
  uint8_t n_receivers;
  uint32_t u32;
  uint64_t u64;
  const uint8_t *kyber;

#define SET(field, value) do { if (s != NULL) (field) = (value); } while (0)

  if (!sp_get_u8 (c, &version) || version != SP_MESSAGE_VERSION)
    return false;
  if (!sp_get_u8 (c, &flags) || (flags & ~FLAGS_KNOWN) != 0)
    return false;
  /* Only an initiator (SPQR direction A2B) has a pending prekey message. */
  if ((flags & FLAG_PENDING_PRE_KEY) && !(flags & FLAG_PENDING))
    return false;
  if ((flags & FLAG_PENDING) && !(flags & FLAG_SPQR_A2B))
    return false;

  if (s != NULL)
    sp_session_state_reset (s);
  SET (s->version, version);
  SET (s->pending, (flags & FLAG_PENDING) != 0);
  SET (s->spqr.a2b, (flags & FLAG_SPQR_A2B) != 0);

  if (!sp_get_public_key (c, s != NULL ? &s->local_identity : NULL)
      || !sp_get_public_key (c, s != NULL ? &s->remote_identity : NULL))
    return false;
  if (!sp_get_u32 (c, &u32))
    return false;
  SET (s->local_registration_id, u32);
  if (!sp_get_u32 (c, &u32))
    return false;
  SET (s->remote_registration_id, u32);
  if (!sp_get_public_key (c, s != NULL ? &s->base_key : NULL)
      || !sp_get_bytes (c, s != NULL ? s->root_key : NULL, SP_ROOT_KEY_SIZE)
      || !sp_get_public_key (c, s != NULL ? &s->sender_ratchet.public_key : NULL)
      || !sp_get_private_key (c, s != NULL ? &s->sender_ratchet.private_key : NULL)
      || !sp_get_bytes (c, s != NULL ? s->sender_chain_key : NULL, SP_CHAIN_KEY_SIZE))
    return false;
  if (!sp_get_u32 (c, &u32))
    return false;
  SET (s->sender_index, u32);
  if (!sp_get_u32 (c, &u32))
    return false;
  SET (s->previous_counter, u32);

  if (flags & FLAG_PENDING)
    {
      SET (pending->has_pre_key_id, (flags & FLAG_PENDING_PRE_KEY) != 0);
      if (flags & FLAG_PENDING_PRE_KEY)
        {
          if (!sp_get_u32 (c, &u32))
            return false;
          SET (pending->pre_key_id, u32);
        }
      if (!sp_get_u32 (c, &u32))
        return false;
      SET (pending->signed_pre_key_id, u32);
      if (!sp_get_u32 (c, &u32))
        return false;
      SET (pending->kyber_pre_key_id, u32);
      if (!sp_cursor_take (c, SP_KYBER_CIPHERTEXT_SIZE, &kyber) || kyber[0] != SP_KEY_TYPE_KYBER1024)
        return false;
      if (s != NULL)
        memcpy (pending->kyber_ciphertext, kyber, SP_KYBER_CIPHERTEXT_SIZE);
      if (!sp_get_u64 (c, &u64))
        return false;
      SET (pending->timestamp_ms, u64);
    }

  if (!sp_get_u8 (c, &n_receivers) || n_receivers > SP_MAX_RECEIVER_CHAINS)
    return false;
  SET (s->n_receivers, n_receivers);
  for (uint32_t i = 0; i < n_receivers; i++)
    {
      SpReceiverChain *chain = s != NULL ? &s->receivers[i] : NULL;
      uint32_t index;

      if (!sp_get_public_key (c, chain != NULL ? &chain->ratchet_key : NULL)
          || !sp_get_bytes (c, chain != NULL ? chain->chain_key : NULL, SP_CHAIN_KEY_SIZE)
          || !sp_get_u32 (c, &index))
        return false;
      SET (chain->index, index);
      if (!sp_get_key_list (c, chain != NULL ? &chain->skipped : NULL,
                         SP_MAX_MESSAGE_KEYS, index, &sizes->lens[i]))
        return false;
    }

  if (!sp_get_bytes (c, s != NULL ? s->spqr.next_root : NULL, 32)
      || !sp_get_u32 (c, &u32))
    return false;
  SET (s->spqr.send_counter, u32);
  if (!sp_get_bytes (c, s != NULL ? s->spqr.send_seed : NULL, 32)
      || !sp_get_u32 (c, &u32))
    return false;
  SET (s->spqr.recv_counter, u32);
  if (!sp_get_bytes (c, s != NULL ? s->spqr.recv_seed : NULL, 32)
      || !sp_get_key_list (c, s != NULL ? &s->spqr.recv_history : NULL,
                        SPQR_HISTORY_LIMIT - 1, u32, &sizes->lens[SP_MAX_RECEIVER_CHAINS]))
    return false;

#undef SET
  return true;
}

int
sp_session_record_deserialize (SpSessionRecord *record,
                               const uint8_t   *data,
                               size_t           len)
{
  StateSizes sizes[SP_SESSION_RECORD_MAX_STATES];
  SpCursor c = { data, len };
  uint8_t n_states;
  int rc;

  if (record == NULL || (data == NULL && len > 0))
    return SP_ERR_INVALID_ARGUMENT;

  memset (sizes, 0, sizeof sizes);
  if (!sp_get_header (&c, RECORD_MAGIC, RECORD_FORMAT_VERSION, 0, SP_SESSION_RECORD_MAX_STATES, &n_states))
    return SP_ERR_MALFORMED;
  for (uint32_t i = 0; i < n_states; i++)
    if (!get_state (&c, NULL, &sizes[i]))
      return SP_ERR_MALFORMED;
  if (c.left != 0)
    return SP_ERR_MALFORMED;

  if ((rc = record_reserve (record, n_states)) != SP_OK)
    return rc;
  for (uint32_t i = 0; i < n_states; i++)
    {
      SpSessionState *state = record->states[i];

      for (size_t j = 0; j < SP_MAX_RECEIVER_CHAINS; j++)
        if ((rc = sp_key_list_reserve (&state->receivers[j].skipped, sizes[i].lens[j])) != SP_OK)
          return rc;
      if ((rc = sp_key_list_reserve (&state->spqr.recv_history,
                                     sizes[i].lens[SP_MAX_RECEIVER_CHAINS])) != SP_OK)
        return rc;
    }

  c.p = data;
  c.left = len;
  sp_get_header (&c, RECORD_MAGIC, RECORD_FORMAT_VERSION, 0, SP_SESSION_RECORD_MAX_STATES, &n_states);
  for (uint32_t i = 0; i < n_states; i++)
    get_state (&c, record->states[i], &sizes[i]);
  if (record->n_states < n_states)
    record->n_states = n_states;
  record_truncate (record, n_states);
  return SP_OK;
}
