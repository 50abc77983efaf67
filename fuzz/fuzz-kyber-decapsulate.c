/* fuzz-kyber-decapsulate.c: Kyber1024 decapsulation of untrusted bytes
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is one mode byte followed by a body:
 *   bit 0 clear: the body is a ciphertext for a fixed key pair;
 *   bit 0 set:   the body is a secret key followed by a ciphertext, the
 *                ciphertext being its last SP_KYBER_CIPHERTEXT_SIZE bytes
 *                when the body is longer than that, its second half
 *                otherwise;
 *   bit 1 set:   the body is also encapsulated to as a public key.
 * Every call must give exactly the error its lengths and type bytes call
 * for, leave the outputs untouched on error, and be deterministic.
 */

#include <stdlib.h>
#include <string.h>

#include "sp-error.h"
#include "sp-init.h"
#include "sp-kyber1024.h"

#define SENTINEL 0xa5

typedef struct {
  uint8_t public_key[SP_KYBER_PUBLIC_KEY_SIZE];
  uint8_t secret_key[SP_KYBER_SECRET_KEY_SIZE];
  uint8_t ciphertext[SP_KYBER_CIPHERTEXT_SIZE];
  uint8_t shared_secret[SP_KYBER1024_SHARED_SECRET_BYTES];
} Fixture;

static Fixture fixture;

/* The seed corpus was made with this key pair and message. */
static void
fixture_init (void)
{
  static int initialised;
  uint8_t seed[SP_KYBER1024_SEED_BYTES];
  uint8_t m[SP_KYBER1024_ENCAPS_RANDOM_BYTES];

  if (initialised)
    return;

  if (sp_init () != SP_OK)
    abort ();
  for (size_t i = 0; i < sizeof seed; i++)
    seed[i] = (uint8_t) i;
  memset (m, 0x42, sizeof m);
  if (sp_kyber1024_keypair_from_seed (fixture.public_key, fixture.secret_key, seed) != SP_OK
      || sp_kyber1024_encapsulate (fixture.ciphertext, fixture.shared_secret, fixture.public_key,
                                   sizeof fixture.public_key, m) != SP_OK)
    abort ();

  initialised = 1;
}

static int
all_sentinel (const uint8_t *buf,
              size_t         len)
{
  for (size_t i = 0; i < len; i++)
    {
      if (buf[i] != SENTINEL)
        return 0;
    }
  return 1;
}

static void
check_decapsulate (const uint8_t *sk,
                   size_t         sk_len,
                   const uint8_t *ct,
                   size_t         ct_len)
{
  uint8_t ss[SP_KYBER1024_SHARED_SECRET_BYTES];
  uint8_t again[SP_KYBER1024_SHARED_SECRET_BYTES];
  int expected = SP_OK;
  int ret;

  if (sk_len != SP_KYBER_SECRET_KEY_SIZE || sk[0] != SP_KEY_TYPE_KYBER1024)
    expected = SP_ERR_INVALID_KEY;
  else if (ct_len != SP_KYBER_CIPHERTEXT_SIZE || ct[0] != SP_KEY_TYPE_KYBER1024)
    expected = SP_ERR_MALFORMED;

  memset (ss, SENTINEL, sizeof ss);
  ret = sp_kyber1024_decapsulate (ss, sk, sk_len, ct, ct_len);
  if (ret != expected)
    abort ();
  if (ret != SP_OK)
    {
      if (!all_sentinel (ss, sizeof ss))
        abort ();
      return;
    }

  if (sp_kyber1024_decapsulate (again, sk, sk_len, ct, ct_len) != SP_OK
      || memcmp (ss, again, sizeof ss) != 0)
    abort ();

  /* The fixture's own ciphertext must give the fixture's secret. */
  if (memcmp (sk, fixture.secret_key, sizeof fixture.secret_key) == 0
      && memcmp (ct, fixture.ciphertext, sizeof fixture.ciphertext) == 0
      && memcmp (ss, fixture.shared_secret, sizeof ss) != 0)
    abort ();
}

static void
check_encapsulate (const uint8_t *pk,
                   size_t         pk_len)
{
  uint8_t ct[SP_KYBER_CIPHERTEXT_SIZE];
  uint8_t ss[SP_KYBER1024_SHARED_SECRET_BYTES];
  int valid = pk_len == SP_KYBER_PUBLIC_KEY_SIZE && pk[0] == SP_KEY_TYPE_KYBER1024;
  int ret;

  memset (ct, SENTINEL, sizeof ct);
  memset (ss, SENTINEL, sizeof ss);
  ret = sp_kyber1024_encapsulate (ct, ss, pk, pk_len, NULL);
  if (ret != (valid ? SP_OK : SP_ERR_INVALID_KEY))
    abort ();
  if (ret != SP_OK && (!all_sentinel (ct, sizeof ct) || !all_sentinel (ss, sizeof ss)))
    abort ();
  if (ret == SP_OK && ct[0] != SP_KEY_TYPE_KYBER1024)
    abort ();
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const uint8_t *body;
  size_t body_len;
  uint8_t mode;

  fixture_init ();
  if (size == 0)
    return 0;

  mode = data[0];
  body = data + 1;
  body_len = size - 1;

  if ((mode & 1) == 0)
    {
      check_decapsulate (fixture.secret_key, sizeof fixture.secret_key, body, body_len);
    }
  else
    {
      size_t split = body_len > SP_KYBER_CIPHERTEXT_SIZE
                     ? body_len - SP_KYBER_CIPHERTEXT_SIZE
                     : body_len / 2;

      check_decapsulate (body, split, body + split, body_len - split);
    }

  if ((mode & 2) != 0)
    check_encapsulate (body, body_len);

  return 0;
}
