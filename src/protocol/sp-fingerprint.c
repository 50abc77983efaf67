/* sp-fingerprint.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sp-fingerprint.h"
#include "sp-error.h"
#include "sp-protobuf.h"

#include <gcrypt.h>
#include <sodium.h>
#include <string.h>

#define HALF_DIGITS (SP_FINGERPRINT_DIGITS / 2)
#define HASH_SIZE 64
#define SCANNABLE_SIZE 32
/* A LogicalFingerprint: the tag and length of field 1, then the bytes. */
#define LOGICAL_SIZE (2 + SCANNABLE_SIZE)

/* H0 = SHA-512 (0x0000 || key || id || key), Hi = SHA-512 (Hi-1 || key).
 * The leading two bytes are always zero whatever the version.
 *
 * On libgcrypt's SHA-512, which uses the CPU's vector units (AVX2 where
 * there is some), and through gcry_md_hash_buffers(), which hashes
 * without allocating a context: the chain is 5,200 calls in a row, and
 * libsodium's portable SHA-512 takes about a quarter longer over it. */
static int
iterate_hash (uint8_t            out[HASH_SIZE],
              uint32_t           iterations,
              const uint8_t     *id,
              size_t             id_len,
              const SpPublicKey *key)
{
  static const uint8_t prefix[2] = { 0, 0 };
  /* libgcrypt never writes through these pointers. */
  gcry_buffer_t first[4] = {
    { .data = (void *) prefix, .len = sizeof prefix },
    { .data = (void *) key->bytes, .len = SP_PUBLIC_KEY_SIZE },
  };
  int n_first = 2;
  uint8_t hashes[2][HASH_SIZE];
  gcry_buffer_t round[] = {
    { .len = HASH_SIZE },
    { .data = (void *) key->bytes, .len = SP_PUBLIC_KEY_SIZE },
  };
  gcry_error_t err;

  if (id_len > 0)
    first[n_first++] = (gcry_buffer_t) { .data = (void *) id, .len = id_len };
  first[n_first++] = (gcry_buffer_t) { .data = (void *) key->bytes, .len = SP_PUBLIC_KEY_SIZE };
  err = gcry_md_hash_buffers (GCRY_MD_SHA512, 0, hashes[0], first, n_first);
  /* Two buffers in turn, so that no round hashes into its own input; 97
   * bytes fit one SHA-512 block, one compression per round. */
  for (uint32_t i = 1; i < iterations && err == 0; i++)
    {
      round[0].data = hashes[(i - 1) % 2];
      err = gcry_md_hash_buffers (GCRY_MD_SHA512, 0, hashes[i % 2], round, 2);
    }
  if (err != 0)
    return SP_ERR_CRYPTO;
  memcpy (out, hashes[(iterations - 1) % 2], HASH_SIZE);
  return SP_OK;
}

/* Six 5-byte big-endian chunks, each mod 100000, five digits apiece. */
static void
encode_digits (char          out[HALF_DIGITS + 1],
               const uint8_t hash[HASH_SIZE])
{
  for (unsigned chunk = 0; chunk < HALF_DIGITS / 5; chunk++)
    {
      uint64_t value = 0;

      for (unsigned i = 0; i < 5; i++)
        value = value << 8 | hash[chunk * 5 + i];
      value %= 100000;
      for (unsigned digit = 5; digit-- > 0; value /= 10)
        out[chunk * 5 + digit] = (char) ('0' + value % 10);
    }
  out[HALF_DIGITS] = '\0';
}

static int
write_logical (SpPbWriter    *writer,
               uint32_t       field,
               const uint8_t  hash[HASH_SIZE])
{
  uint8_t logical[LOGICAL_SIZE];
  SpPbWriter inner;
  size_t len;
  int ret;

  sp_pb_writer_init (&inner, logical, sizeof logical);
  sp_pb_write_bytes (&inner, 1, hash, SCANNABLE_SIZE);
  ret = sp_pb_writer_finish (&inner, &len);
  if (ret == SP_OK)
    sp_pb_write_bytes (writer, field, logical, len);
  return ret;
}

int
sp_fingerprint_create (SpFingerprint     *out,
                       uint32_t           iterations,
                       uint32_t           version,
                       const uint8_t     *local_id,
                       size_t             local_id_len,
                       const SpPublicKey *local_key,
                       const uint8_t     *remote_id,
                       size_t             remote_id_len,
                       const SpPublicKey *remote_key)
{
  uint8_t local_hash[HASH_SIZE], remote_hash[HASH_SIZE];
  char local_digits[HALF_DIGITS + 1], remote_digits[HALF_DIGITS + 1];
  SpFingerprint result;
  SpPbWriter writer;
  const char *first, *second;
  int ret;

  if (out == NULL || local_key == NULL || remote_key == NULL
      || (local_id == NULL && local_id_len > 0)
      || (remote_id == NULL && remote_id_len > 0))
    return SP_ERR_INVALID_ARGUMENT;
  if (iterations < SP_FINGERPRINT_MIN_ITERATIONS || iterations > SP_FINGERPRINT_MAX_ITERATIONS)
    return SP_ERR_INVALID_ARGUMENT;

  memset (&result, 0, sizeof result);
  if ((ret = iterate_hash (local_hash, iterations, local_id, local_id_len, local_key)) != SP_OK
      || (ret = iterate_hash (remote_hash, iterations, remote_id, remote_id_len, remote_key)) != SP_OK)
    return ret;

  /* The smaller half first, so that both parties read the same number. */
  encode_digits (local_digits, local_hash);
  encode_digits (remote_digits, remote_hash);
  first = strcmp (local_digits, remote_digits) < 0 ? local_digits : remote_digits;
  second = first == local_digits ? remote_digits : local_digits;
  memcpy (result.displayable, first, HALF_DIGITS);
  memcpy (result.displayable + HALF_DIGITS, second, HALF_DIGITS);
  result.displayable[SP_FINGERPRINT_DIGITS] = '\0';

  sp_pb_writer_init (&writer, result.scannable, sizeof result.scannable);
  sp_pb_write_varint (&writer, 1, version);
  ret = write_logical (&writer, 2, local_hash);
  if (ret == SP_OK)
    ret = write_logical (&writer, 3, remote_hash);
  if (ret == SP_OK)
    ret = sp_pb_writer_finish (&writer, &result.scannable_len);
  if (ret == SP_OK)
    *out = result;
  return ret;
}

typedef struct {
  const uint8_t *content;
  size_t len;
  bool present;
} LogicalFingerprint;

typedef struct {
  uint32_t version;
  bool has_version;
  LogicalFingerprint local;
  LogicalFingerprint remote;
} CombinedFingerprints;

/* LogicalFingerprint {1: content}.  Repeated occurrences of a message
 * field merge in protobuf, so a later content replaces an earlier one
 * and an occurrence without content leaves it alone. */
static int
parse_logical (LogicalFingerprint *out,
               const SpPbField    *outer)
{
  SpPbReader reader;
  SpPbField field;
  int ret;

  if (outer->wire_type != SP_PB_WIRE_BYTES)
    return SP_ERR_MALFORMED;

  sp_pb_reader_init (&reader, outer->data, outer->len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      if (field.number != 1)
        continue;
      if (field.wire_type != SP_PB_WIRE_BYTES)
        return SP_ERR_MALFORMED;
      out->content = field.data;
      out->len = field.len;
      out->present = true;
    }
  return ret < 0 ? SP_ERR_MALFORMED : SP_OK;
}

/* Decoded as libsignal's protobuf library does, since the other side's
 * form may come from any Signal client: unknown fields are skipped, a
 * later scalar wins, and a version wider than 32 bits is truncated. */
static int
parse_combined (CombinedFingerprints *out,
                const uint8_t        *data,
                size_t                len)
{
  SpPbReader reader;
  SpPbField field;
  int ret;

  memset (out, 0, sizeof *out);
  sp_pb_reader_init (&reader, data, len);
  while ((ret = sp_pb_reader_next (&reader, &field)) == 1)
    {
      switch (field.number)
        {
        case 1:
          if (field.wire_type != SP_PB_WIRE_VARINT)
            return SP_ERR_MALFORMED;
          out->version = (uint32_t) field.value;
          out->has_version = true;
          break;

        case 2:
          if (parse_logical (&out->local, &field) != SP_OK)
            return SP_ERR_MALFORMED;
          break;

        case 3:
          if (parse_logical (&out->remote, &field) != SP_OK)
            return SP_ERR_MALFORMED;
          break;

        default:
          break;
        }
    }
  return ret < 0 ? SP_ERR_MALFORMED : SP_OK;
}

static bool
logical_equal (const LogicalFingerprint *a,
               const LogicalFingerprint *b)
{
  /* Lengths are not secret; contents are compared in constant time. */
  return a->len == b->len && (a->len == 0 || sodium_memcmp (a->content, b->content, a->len) == 0);
}

/* The checks come in libsignal's order: their form must decode, then the
 * versions must agree (a missing version counts as 0), and only then
 * must both of their fingerprints be present. */
int
sp_fingerprint_compare (const uint8_t *ours,
                        size_t         ours_len,
                        const uint8_t *theirs,
                        size_t         theirs_len,
                        bool          *matches)
{
  CombinedFingerprints our_fp, their_fp;
  bool same_local, same_remote;

  if (matches == NULL || (ours == NULL && ours_len > 0) || (theirs == NULL && theirs_len > 0))
    return SP_ERR_INVALID_ARGUMENT;

  if (parse_combined (&our_fp, ours, ours_len) != SP_OK
      || !our_fp.has_version || !our_fp.local.present || !our_fp.remote.present)
    return SP_ERR_MALFORMED;
  if (parse_combined (&their_fp, theirs, theirs_len) != SP_OK)
    return SP_ERR_MALFORMED;
  if (their_fp.version != our_fp.version)
    return SP_ERR_VERSION_MISMATCH;
  if (!their_fp.local.present || !their_fp.remote.present)
    return SP_ERR_MALFORMED;

  /* Their local fingerprint is our remote one and the other way round;
   * both comparisons run before the results are combined. */
  same_local = logical_equal (&their_fp.local, &our_fp.remote);
  same_remote = logical_equal (&their_fp.remote, &our_fp.local);
  *matches = same_local & same_remote;
  return SP_OK;
}
