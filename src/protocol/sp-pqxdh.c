/* sp-pqxdh.c: the PQXDH key agreement
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sp-pqxdh.h"
#include "sp-error.h"
#include "sp-kdf.h"

#include <sodium.h>
#include <string.h>

static const char pqxdh_info[] = "WhisperText_X25519_SHA-256_CRYSTALS-KYBER-1024";

/* 32 bytes of 0xFF, three or four DH outputs, the Kyber secret. */
#define IKM_MAX_SIZE (32 + 4 * SP_DH_SIZE + SP_KYBER1024_SHARED_SECRET_BYTES)

typedef struct {
  uint8_t bytes[IKM_MAX_SIZE];
  size_t len;
} Ikm;

static void
ikm_init (Ikm *ikm)
{
  memset (ikm->bytes, 0xff, 32);
  ikm->len = 32;
}

static int
ikm_add_dh (Ikm                *ikm,
            const SpPrivateKey *private_key,
            const SpPublicKey  *public_key)
{
  int rc = sp_dh (ikm->bytes + ikm->len, private_key, public_key);

  if (rc == SP_OK)
    ikm->len += SP_DH_SIZE;
  return rc;
}

/* HKDF with no salt over the IKM; wipes the IKM. */
static int
derive (SpPqxdhKeys *out,
        Ikm         *ikm)
{
  uint8_t okm[96];
  int rc;

  rc = sp_hkdf_sha256 (okm, sizeof okm, NULL, 0, ikm->bytes, ikm->len,
                       (const uint8_t *) pqxdh_info, sizeof pqxdh_info - 1);
  if (rc == SP_OK)
    {
      memcpy (out->root_key, okm, 32);
      memcpy (out->chain_key, okm + 32, 32);
      memcpy (out->spqr_auth_key, okm + 64, 32);
    }
  sodium_memzero (okm, sizeof okm);
  sodium_memzero (ikm, sizeof *ikm);
  return rc;
}

int
sp_pqxdh_initiate (SpPqxdhKeys          *out,
                   uint8_t               kyber_ciphertext[SP_KYBER_CIPHERTEXT_SIZE],
                   const SpKeyPair      *identity,
                   const SpKeyPair      *base_key,
                   const SpPreKeyBundle *bundle,
                   const uint8_t        *kyber_random)
{
  uint8_t ciphertext[SP_KYBER_CIPHERTEXT_SIZE];
  Ikm ikm;
  int rc;

  ikm_init (&ikm);
  if ((rc = ikm_add_dh (&ikm, &identity->private_key, &bundle->signed_pre_key)) != SP_OK
      || (rc = ikm_add_dh (&ikm, &base_key->private_key, &bundle->identity_key)) != SP_OK
      || (rc = ikm_add_dh (&ikm, &base_key->private_key, &bundle->signed_pre_key)) != SP_OK
      || (bundle->has_pre_key
          && (rc = ikm_add_dh (&ikm, &base_key->private_key, &bundle->pre_key)) != SP_OK)
      || (rc = sp_kyber1024_encapsulate (ciphertext, ikm.bytes + ikm.len,
                                         bundle->kyber_pre_key, sizeof bundle->kyber_pre_key,
                                         kyber_random)) != SP_OK)
    {
      sodium_memzero (&ikm, sizeof ikm);
      return rc;
    }
  ikm.len += SP_KYBER1024_SHARED_SECRET_BYTES;

  if ((rc = derive (out, &ikm)) == SP_OK)
    memcpy (kyber_ciphertext, ciphertext, sizeof ciphertext);
  return rc;
}

int
sp_pqxdh_respond (SpPqxdhKeys       *out,
                  const SpKeyPair   *identity,
                  const SpKeyPair   *signed_pre_key,
                  const SpKeyPair   *one_time_pre_key,
                  const uint8_t     *kyber_secret_key,
                  size_t             kyber_secret_key_len,
                  const SpPublicKey *their_identity,
                  const SpPublicKey *their_base_key,
                  const uint8_t     *kyber_ciphertext,
                  size_t             kyber_ciphertext_len)
{
  Ikm ikm;
  int rc;

  ikm_init (&ikm);
  if ((rc = ikm_add_dh (&ikm, &signed_pre_key->private_key, their_identity)) != SP_OK
      || (rc = ikm_add_dh (&ikm, &identity->private_key, their_base_key)) != SP_OK
      || (rc = ikm_add_dh (&ikm, &signed_pre_key->private_key, their_base_key)) != SP_OK
      || (one_time_pre_key != NULL
          && (rc = ikm_add_dh (&ikm, &one_time_pre_key->private_key, their_base_key)) != SP_OK)
      || (rc = sp_kyber1024_decapsulate (ikm.bytes + ikm.len, kyber_secret_key, kyber_secret_key_len,
                                         kyber_ciphertext, kyber_ciphertext_len)) != SP_OK)
    {
      sodium_memzero (&ikm, sizeof ikm);
      return rc;
    }
  ikm.len += SP_KYBER1024_SHARED_SECRET_BYTES;

  return derive (out, &ikm);
}
