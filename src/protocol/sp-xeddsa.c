/* sp-xeddsa.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libsignal's variant of XEdDSA: the Edwards private scalar is the X25519
 * key reduced mod L, never negated, and the sign bit of the Edwards
 * public key travels in the otherwise unused top bit of s.
 */

#include "sp-xeddsa.h"
#include "sp-curve25519.h"
#include "sp-error.h"

#include <sodium.h>
#include <string.h>

#define SCALAR_SIZE 32
#define POINT_SIZE 32

/* The little-endian encoding of 2^256 - 2: XEdDSA's domain separation
 * for the nonce hash. */
static const uint8_t nonce_prefix[32] = {
  0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

static void
hash_update (crypto_hash_sha512_state *state,
             const uint8_t            *data,
             size_t                    len)
{
  if (len > 0)
    crypto_hash_sha512_update (state, data, len);
}

/* SHA-512 (R || A || M) mod L, the challenge of both signing and
 * verification. */
static void
challenge (uint8_t        h[SCALAR_SIZE],
           const uint8_t  R[POINT_SIZE],
           const uint8_t  A[POINT_SIZE],
           const uint8_t *message,
           size_t         message_len)
{
  crypto_hash_sha512_state state;
  uint8_t digest[crypto_hash_sha512_BYTES];

  crypto_hash_sha512_init (&state);
  hash_update (&state, R, POINT_SIZE);
  hash_update (&state, A, POINT_SIZE);
  hash_update (&state, message, message_len);
  crypto_hash_sha512_final (&state, digest);
  crypto_core_ed25519_scalar_reduce (h, digest);
}

int
sp_xeddsa_sign (uint8_t             signature[SP_SIGNATURE_SIZE],
                const SpPrivateKey *private_key,
                const uint8_t      *message,
                size_t              message_len,
                const uint8_t      *random)
{
  crypto_hash_sha512_state state;
  uint8_t z[SP_XEDDSA_RANDOM_SIZE];
  uint8_t wide[crypto_hash_sha512_BYTES];
  uint8_t a[SCALAR_SIZE], r[SCALAR_SIZE], h[SCALAR_SIZE], ha[SCALAR_SIZE];
  uint8_t A[POINT_SIZE], sig[SP_SIGNATURE_SIZE];
  int ret = SP_OK;

  if (signature == NULL || private_key == NULL || (message == NULL && message_len > 0))
    return SP_ERR_INVALID_ARGUMENT;

  if (random != NULL)
    memcpy (z, random, sizeof z);
  else
    randombytes_buf (z, sizeof z);

  /* a = k mod L, widened to the 64 bytes the reduction takes. */
  memset (wide, 0, sizeof wide);
  memcpy (wide, private_key->bytes, SP_PRIVATE_KEY_SIZE);
  crypto_core_ed25519_scalar_reduce (a, wide);

  /* r = SHA-512 (prefix || k || M || Z) mod L */
  crypto_hash_sha512_init (&state);
  hash_update (&state, nonce_prefix, sizeof nonce_prefix);
  hash_update (&state, private_key->bytes, SP_PRIVATE_KEY_SIZE);
  hash_update (&state, message, message_len);
  hash_update (&state, z, sizeof z);
  crypto_hash_sha512_final (&state, wide);
  crypto_core_ed25519_scalar_reduce (r, wide);

  /* Both scalars are nonzero mod L unless a hash hits a multiple of L,
   * so libsodium's refusal to return the identity is only a formality. */
  if (crypto_scalarmult_ed25519_base_noclamp (A, a) != 0
      || crypto_scalarmult_ed25519_base_noclamp (sig, r) != 0)
    {
      ret = SP_ERR_CRYPTO;
      goto out;
    }

  /* s = h·a + r mod L, with A's sign bit in the free top bit. */
  challenge (h, sig, A, message, message_len);
  crypto_core_ed25519_scalar_mul (ha, h, a);
  crypto_core_ed25519_scalar_add (sig + POINT_SIZE, ha, r);
  sig[SP_SIGNATURE_SIZE - 1] = (uint8_t) ((sig[SP_SIGNATURE_SIZE - 1] & 0x7f) | (A[31] & 0x80));

  memcpy (signature, sig, SP_SIGNATURE_SIZE);

out:
  sodium_memzero (&state, sizeof state);
  sodium_memzero (z, sizeof z);
  sodium_memzero (wide, sizeof wide);
  sodium_memzero (a, sizeof a);
  sodium_memzero (r, sizeof r);
  sodium_memzero (ha, sizeof ha);
  sodium_memzero (sig, sizeof sig);
  return ret;
}

/* libsignal's equation, computed without any of the restrictions of a
 * stock Ed25519 verifier: the key may have a torsion component or small
 * order, x = 0 may carry a sign bit, and s is used as it is. */
static int
verify_exact (const SpPublicKey *public_key,
              unsigned           sign,
              const uint8_t     *message,
              size_t             message_len,
              const uint8_t      R[POINT_SIZE],
              const uint8_t      s[SCALAR_SIZE])
{
  SpEdPoint A, minus_A, check;
  uint8_t A_enc[POINT_SIZE], h[SCALAR_SIZE], computed_R[POINT_SIZE];

  /* The hash covers the re-encoded key, which drops the sign bit when
   * x = 0. */
  if (sp_curve25519_point_from_montgomery (&A, A_enc, public_key->bytes + 1, sign) != SP_OK)
    return SP_ERR_INVALID_SIGNATURE;

  /* R =? s·B - h·A, compared as encodings. */
  challenge (h, R, A_enc, message, message_len);
  sp_curve25519_point_negate (&minus_A, &A);
  sp_curve25519_double_scalarmult (&check, h, &minus_A, s);
  sp_curve25519_point_encode (computed_R, &check);

  if (memcmp (computed_R, R, POINT_SIZE) != 0)
    return SP_ERR_INVALID_SIGNATURE;
  return SP_OK;
}

int
sp_xeddsa_verifier_init (SpXeddsaVerifier  *verifier,
                         const SpPublicKey *public_key)
{
  if (verifier == NULL || public_key == NULL)
    return SP_ERR_INVALID_ARGUMENT;

  verifier->public_key = *public_key;
  /* The Edwards key's y from u; u = -1 has none. */
  verifier->has_edwards_y = public_key->bytes[0] == SP_KEY_TYPE_DJB
                            && sp_curve25519_edwards_y (verifier->edwards_y, public_key->bytes + 1) == SP_OK;
  return SP_OK;
}

/* C and libsignal must accept exactly the same signatures (spec 1.3).
 * libsodium's verifier computes the same equation with the same hash but
 * is stricter: it refuses s >= L, small-order R and small-order keys.  So
 * whatever it accepts, libsignal accepts too, and it serves as the fast
 * path; only a rejection is re-examined under libsignal's rule.  (The
 * exact computation alone takes about a quarter longer for a valid
 * signature: libsodium's field arithmetic is faster than ours.) */
int
sp_xeddsa_verifier_verify (const SpXeddsaVerifier *verifier,
                           const uint8_t          *message,
                           size_t                  message_len,
                           const uint8_t          *signature,
                           size_t                  signature_len)
{
  uint8_t ed[POINT_SIZE], ed_signature[SP_SIGNATURE_SIZE];
  uint8_t *s = ed_signature + POINT_SIZE;
  unsigned sign;

  if (verifier == NULL || (message == NULL && message_len > 0))
    return SP_ERR_INVALID_ARGUMENT;
  if (signature == NULL || signature_len != SP_SIGNATURE_SIZE || !verifier->has_edwards_y)
    return SP_ERR_INVALID_SIGNATURE;

  /* s: bit 255 carries the key's sign, bits 253 and 254 must be clear. */
  sign = signature[SP_SIGNATURE_SIZE - 1] >> 7;
  memcpy (ed_signature, signature, SP_SIGNATURE_SIZE);
  s[31] &= 0x7f;
  if ((s[31] & 0x60) != 0)
    return SP_ERR_INVALID_SIGNATURE;

  /* The Edwards key: y from u, the sign of x from the signature. */
  memcpy (ed, verifier->edwards_y, POINT_SIZE);
  ed[31] |= (uint8_t) (sign << 7);

  if (crypto_sign_verify_detached (ed_signature, message, message_len, ed) == 0)
    return SP_OK;
  return verify_exact (&verifier->public_key, sign, message, message_len, ed_signature, s);
}

int
sp_xeddsa_verify (const SpPublicKey *public_key,
                  const uint8_t     *message,
                  size_t             message_len,
                  const uint8_t     *signature,
                  size_t             signature_len)
{
  SpXeddsaVerifier verifier;
  int rc;

  if ((rc = sp_xeddsa_verifier_init (&verifier, public_key)) != SP_OK)
    return rc;
  return sp_xeddsa_verifier_verify (&verifier, message, message_len, signature, signature_len);
}

bool
sp_xeddsa_signature_is_canonical (const uint8_t signature[SP_SIGNATURE_SIZE])
{
  uint8_t wide[2 * POINT_SIZE] = { 0 };
  uint8_t reduced[POINT_SIZE];

  /* Bit 255 carries the key's sign; s is the rest. */
  memcpy (wide, signature + POINT_SIZE, POINT_SIZE);
  wide[POINT_SIZE - 1] &= 0x7f;
  crypto_core_ed25519_scalar_reduce (reduced, wide);
  return memcmp (reduced, wide, POINT_SIZE) == 0;
}
