/* sp-spqr.c: the SPQR framing of the stalled-braid profile
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libsignal 0.103 refuses messages without an SPQR part and mixes SPQR
 * keys into every message key.  This file implements only what is needed
 * to interoperate (spec 6.5 and 7): the epoch-0 symmetric chain seeded by
 * PQXDH, and V1 messages of type None.  Because we never answer the
 * braid's key exchange, a peer stays in epoch 1 and every key of the
 * session comes from this chain: PQXDH protects the session start against
 * a quantum adversary, but the session does not ratchet post-quantum.
 */

#include "sp-spqr.h"
#include "sp-error.h"
#include "sp-kdf.h"

#include <sodium.h>
#include <string.h>

#define SPQR_VERSION_V1 1
#define SPQR_EPOCH 1
#define SPQR_TYPE_NONE 0
#define SPQR_TYPE_CT1_ACK 4
#define SPQR_TYPE_MAX 6
#define SPQR_CHUNK_SIZE 32
#define SPQR_MAX_CHUNK_INDEX 65535

/* Mirrors the SPQR crate's TRIM_SIZE: its receive history is trimmed to
 * the last SP_MAX_MESSAGE_KEYS indices once it grows this long. */
#define SPQR_TRIM_SIZE (SP_MAX_MESSAGE_KEYS * 11 / 10)

static const char chain_start_info[] = "Signal PQ Ratchet V1 Chain  Start";
static const char chain_next_info[] = "Signal PQ Ratchet V1 Chain Next";

int
sp_spqr_chain_init (SpSpqrChain   *chain,
                    const uint8_t  auth_key[32],
                    bool           a2b)
{
  uint8_t gen[96];
  int rc;

  rc = sp_hkdf_sha256 (gen, sizeof gen, NULL, 0, auth_key, 32,
                       (const uint8_t *) chain_start_info, sizeof chain_start_info - 1);
  if (rc == SP_OK)
    {
      sp_key_list_clear (&chain->recv_history);
      chain->a2b = a2b;
      memcpy (chain->next_root, gen, 32);
      memcpy (chain->send_seed, a2b ? gen + 32 : gen + 64, 32);
      memcpy (chain->recv_seed, a2b ? gen + 64 : gen + 32, 32);
      chain->send_counter = 0;
      chain->recv_counter = 0;
    }
  sodium_memzero (gen, sizeof gen);
  return rc;
}

/* One step of a direction: counter + 1, then HKDF over the seed with the
 * big-endian counter in the info; the first half is the next seed, the
 * second the key for the new counter. */
static int
chain_step (uint8_t   seed[32],
            uint32_t *counter,
            uint8_t   key[32])
{
  uint8_t info[4 + sizeof chain_next_info - 1];
  uint8_t gen[64];
  uint32_t next = *counter + 1;
  int rc;

  info[0] = (uint8_t) (next >> 24);
  info[1] = (uint8_t) (next >> 16);
  info[2] = (uint8_t) (next >> 8);
  info[3] = (uint8_t) next;
  memcpy (info + 4, chain_next_info, sizeof chain_next_info - 1);

  rc = sp_hkdf_sha256 (gen, sizeof gen, NULL, 0, seed, 32, info, sizeof info);
  if (rc == SP_OK)
    {
      memcpy (seed, gen, 32);
      memcpy (key, gen + 32, 32);
      *counter = next;
    }
  sodium_memzero (gen, sizeof gen);
  return rc;
}

static size_t
write_varint (uint8_t  *p,
              uint32_t  value)
{
  size_t n = 0;

  while (value >= 0x80)
    {
      p[n++] = (uint8_t) (value | 0x80);
      value >>= 7;
    }
  p[n++] = (uint8_t) value;
  return n;
}

int
sp_spqr_send (SpSpqrChain *chain,
              uint8_t      key[SP_SPQR_KEY_SIZE],
              uint8_t      message[SP_SPQR_MESSAGE_MAX_SIZE],
              size_t      *message_len)
{
  size_t n = 0;
  int rc;

  if (chain->send_counter == UINT32_MAX)
    return SP_ERR_INVALID_MESSAGE;
  if ((rc = chain_step (chain->send_seed, &chain->send_counter, key)) != SP_OK)
    return rc;

  message[n++] = SPQR_VERSION_V1;
  message[n++] = SPQR_EPOCH;
  n += write_varint (message + n, chain->send_counter);
  message[n++] = SPQR_TYPE_NONE;
  *message_len = n;
  return SP_OK;
}

/* A protobuf-style varint of at most @max. */
static bool
read_varint (const uint8_t **p,
             const uint8_t  *end,
             uint64_t        max,
             uint64_t       *out)
{
  uint64_t value = 0;

  for (unsigned shift = 0; shift < 64; shift += 7)
    {
      uint8_t byte;

      if (*p == end)
        return false;
      byte = *(*p)++;
      if (shift == 63 && byte > 1)
        return false;
      value |= (uint64_t) (byte & 0x7f) << shift;
      if (!(byte & 0x80))
        {
          *out = value;
          return value <= max;
        }
    }
  return false;
}

/* Checks the message is a V1 message in epoch 1 of a known type (its
 * chunk, if any, complete) and returns its key index. */
static bool
parse_message (const uint8_t *message,
               size_t         len,
               uint32_t      *index)
{
  const uint8_t *p = message;
  const uint8_t *end = message + len;
  uint64_t epoch;
  uint64_t value;
  uint8_t type;

  if (len == 0 || *p++ != SPQR_VERSION_V1)
    return false;
  if (!read_varint (&p, end, UINT64_MAX, &epoch) || epoch != SPQR_EPOCH)
    return false;
  if (!read_varint (&p, end, UINT32_MAX, &value))
    return false;
  *index = (uint32_t) value;
  if (p == end || (type = *p++) > SPQR_TYPE_MAX)
    return false;
  /* Every type but None and Ct1Ack carries a chunk.  We never use it (the
   * braid stays stalled), but a truncated one means a broken message. */
  if (type != SPQR_TYPE_NONE && type != SPQR_TYPE_CT1_ACK)
    {
      uint64_t chunk_index;

      if (!read_varint (&p, end, SPQR_MAX_CHUNK_INDEX, &chunk_index)
          || (size_t) (end - p) < SPQR_CHUNK_SIZE)
        return false;
    }
  /* Trailing bytes are tolerated, as by the SPQR crate. */
  return true;
}

int
sp_spqr_receive (SpSpqrChain   *chain,
                 const uint8_t *message,
                 size_t         message_len,
                 bool           unlimited,
                 uint8_t        key[SP_SPQR_KEY_SIZE],
                 bool          *has_key)
{
  SpKeyList *history = &chain->recv_history;
  uint32_t at;
  uint64_t keep_from;
  int rc;

  if (message == NULL || !parse_message (message, message_len, &at))
    return SP_ERR_INVALID_MESSAGE;

  if (at == 0)
    {
      *has_key = false;
      return SP_OK;
    }

  if (at <= chain->recv_counter)
    {
      /* A key handed out before, trimmed, or skipped and still kept. */
      if (!sp_key_list_take (history, at, key))
        return SP_ERR_INVALID_MESSAGE;
      *has_key = true;
      return SP_OK;
    }

  if (!unlimited && at - chain->recv_counter > SP_MAX_FORWARD_JUMPS)
    return SP_ERR_INVALID_MESSAGE;

  /* Keys this far behind @at would be trimmed right away: they are
   * neither kept nor, if the old ones are all older, is the history. */
  keep_from = (uint64_t) at > SP_MAX_MESSAGE_KEYS ? (uint64_t) at - SP_MAX_MESSAGE_KEYS : 0;
  if ((uint64_t) at > (uint64_t) chain->recv_counter + SP_MAX_MESSAGE_KEYS)
    sp_key_list_clear (history);
  {
    uint32_t skipped = at - chain->recv_counter - 1;
    uint32_t kept = skipped < SP_MAX_MESSAGE_KEYS ? skipped : SP_MAX_MESSAGE_KEYS;

    if ((rc = sp_key_list_reserve (history, history->len + kept)) != SP_OK)
      return rc;
  }

  while (chain->recv_counter + 1 < at)
    {
      uint8_t skipped_key[32];

      rc = chain_step (chain->recv_seed, &chain->recv_counter, skipped_key);
      if (rc == SP_OK && chain->recv_counter >= keep_from)
        rc = sp_key_list_append (history, chain->recv_counter, skipped_key);
      sodium_memzero (skipped_key, sizeof skipped_key);
      if (rc != SP_OK)
        return rc;
    }

  if (history->len >= SPQR_TRIM_SIZE)
    {
      uint32_t horizon = chain->recv_counter - SP_MAX_MESSAGE_KEYS;
      uint32_t n = 0;

      while (n < history->len && history->items[n].index < horizon)
        n++;
      sp_key_list_drop_front (history, n);
    }

  if ((rc = chain_step (chain->recv_seed, &chain->recv_counter, key)) != SP_OK)
    return rc;
  *has_key = true;
  return SP_OK;
}
