/* sotto-peer-primitives.c: sotto-peer's operations on keys, signatures,
 * safety numbers and Kyber
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-peer"

#include "config.h"

#include <sodium.h>

#include "sp-error.h"
#include "sp-fingerprint.h"
#include "sp-keys.h"
#include "sp-kyber1024.h"
#include "sp-xeddsa.h"

#include "sotto-peer-private.h"

/* Each handler decodes its members, calls one core function and encodes
 * the result; every check on the bytes themselves is the core's, so a
 * request with a wrong key length or type reaches the core and comes back
 * with the core's error code, which the interop tests can assert on. */

/* Private keys and Kyber secrets live in guarded memory here as in the
 * core, so that the peer exercises the core the way the engine does. */
static void
secret_free (gpointer memory)
{
  /* sodium_free() wipes the memory before releasing it. */
  sodium_free (memory);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SpKeyPair, secret_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SpPrivateKey, secret_free)

static void
wipe_free (guint8 *data,
           gsize   len)
{
  if (data == NULL)
    return;
  sodium_memzero (data, len);
  g_free (data);
}

static JsonObject *
keypair_op (SottoPeer   *peer,
            JsonObject  *request,
            GError     **error)
{
  g_autoptr(SpKeyPair) pair = sotto_peer_secret_new (sizeof (SpKeyPair));
  guint8 *private_bytes = sotto_peer_secret_new (SP_PRIVATE_KEY_SIZE);
  JsonObject *response = NULL;

  if (sotto_peer_get_hex_fixed (request, "private", private_bytes, SP_PRIVATE_KEY_SIZE, error)
      && sotto_peer_check (sp_key_pair_from_private (pair, private_bytes, SP_PRIVATE_KEY_SIZE), error))
    {
      response = json_object_new ();
      sotto_peer_set_hex (response, "private", pair->private_key.bytes, SP_PRIVATE_KEY_SIZE);
      sotto_peer_set_hex (response, "public", pair->public_key.bytes, SP_PUBLIC_KEY_SIZE);
    }

  secret_free (private_bytes);
  return response;
}

static JsonObject *
xeddsa_sign_op (SottoPeer   *peer,
                JsonObject  *request,
                GError     **error)
{
  g_autoptr(SpPrivateKey) private_key = sotto_peer_secret_new (sizeof (SpPrivateKey));
  guint8 *private_bytes = sotto_peer_secret_new (SP_PRIVATE_KEY_SIZE);
  guint8 random[SP_XEDDSA_RANDOM_SIZE];
  guint8 signature[SP_SIGNATURE_SIZE];
  g_autofree guint8 *message = NULL;
  gsize message_len = 0;
  JsonObject *response = NULL;

  if (sotto_peer_get_hex_fixed (request, "private", private_bytes, SP_PRIVATE_KEY_SIZE, error)
      && (message = sotto_peer_get_hex (request, "message", &message_len, error)) != NULL
      && sotto_peer_get_hex_fixed (request, "random", random, sizeof random, error)
      && sotto_peer_check (sp_private_key_decode (private_key, private_bytes, SP_PRIVATE_KEY_SIZE), error)
      && sotto_peer_check (sp_xeddsa_sign (signature, private_key, message, message_len, random), error))
    {
      response = json_object_new ();
      sotto_peer_set_hex (response, "signature", signature, sizeof signature);
    }

  sodium_memzero (random, sizeof random);
  secret_free (private_bytes);
  return response;
}

static JsonObject *
xeddsa_verify_op (SottoPeer   *peer,
                  JsonObject  *request,
                  GError     **error)
{
  g_autofree guint8 *public_bytes = NULL;
  g_autofree guint8 *message = NULL;
  g_autofree guint8 *signature = NULL;
  gsize public_len = 0, message_len = 0, signature_len = 0;
  SpPublicKey public_key;
  JsonObject *response;
  int rc;

  if ((public_bytes = sotto_peer_get_hex (request, "public", &public_len, error)) == NULL
      || (message = sotto_peer_get_hex (request, "message", &message_len, error)) == NULL
      || (signature = sotto_peer_get_hex (request, "signature", &signature_len, error)) == NULL
      || !sotto_peer_check (sp_public_key_decode (&public_key, public_bytes, public_len), error))
    return NULL;

  /* A signature that does not verify is an answer, not an error; any
   * other failure is reported as one. */
  rc = sp_xeddsa_verify (&public_key, message, message_len, signature, signature_len);
  if (rc != SP_OK && rc != SP_ERR_INVALID_SIGNATURE)
    {
      sotto_peer_check (rc, error);
      return NULL;
    }

  response = json_object_new ();
  json_object_set_boolean_member (response, "valid", rc == SP_OK);
  return response;
}

static gboolean
get_public_key (JsonObject   *request,
                const char   *member,
                SpPublicKey  *out,
                GError      **error)
{
  gsize len = 0;
  g_autofree guint8 *bytes = sotto_peer_get_hex (request, member, &len, error);

  return bytes != NULL && sotto_peer_check (sp_public_key_decode (out, bytes, len), error);
}

static JsonObject *
fingerprint_op (SottoPeer   *peer,
                JsonObject  *request,
                GError     **error)
{
  g_autofree guint8 *local_id = NULL;
  g_autofree guint8 *remote_id = NULL;
  gsize local_id_len = 0, remote_id_len = 0;
  guint64 iterations, version;
  SpPublicKey local_key, remote_key;
  SpFingerprint fingerprint;
  JsonObject *response;

  if (!sotto_peer_get_uint (request, "iterations", G_MAXUINT32, &iterations, error)
      || !sotto_peer_get_uint (request, "version", G_MAXUINT32, &version, error)
      || (local_id = sotto_peer_get_hex (request, "local_id", &local_id_len, error)) == NULL
      || !get_public_key (request, "local_key", &local_key, error)
      || (remote_id = sotto_peer_get_hex (request, "remote_id", &remote_id_len, error)) == NULL
      || !get_public_key (request, "remote_key", &remote_key, error)
      || !sotto_peer_check (sp_fingerprint_create (&fingerprint,
                                                   (guint32) iterations, (guint32) version,
                                                   local_id, local_id_len, &local_key,
                                                   remote_id, remote_id_len, &remote_key),
                            error))
    return NULL;

  response = json_object_new ();
  json_object_set_string_member (response, "displayable", fingerprint.displayable);
  sotto_peer_set_hex (response, "scannable", fingerprint.scannable, fingerprint.scannable_len);
  return response;
}

static JsonObject *
kyber_keypair_op (SottoPeer   *peer,
                  JsonObject  *request,
                  GError     **error)
{
  guint8 *seed = sotto_peer_secret_new (SP_KYBER1024_SEED_BYTES);
  guint8 *secret_key = sotto_peer_secret_new (SP_KYBER_SECRET_KEY_SIZE);
  guint8 public_key[SP_KYBER_PUBLIC_KEY_SIZE];
  JsonObject *response = NULL;

  if (sotto_peer_get_hex_fixed (request, "seed", seed, SP_KYBER1024_SEED_BYTES, error)
      && sotto_peer_check (sp_kyber1024_keypair_from_seed (public_key, secret_key, seed), error))
    {
      response = json_object_new ();
      sotto_peer_set_hex (response, "public", public_key, sizeof public_key);
      sotto_peer_set_hex (response, "secret", secret_key, SP_KYBER_SECRET_KEY_SIZE);
    }

  secret_free (secret_key);
  secret_free (seed);
  return response;
}

static JsonObject *
kyber_encapsulate_op (SottoPeer   *peer,
                      JsonObject  *request,
                      GError     **error)
{
  g_autofree guint8 *public_key = NULL;
  gsize public_len = 0;
  guint8 random[SP_KYBER1024_ENCAPS_RANDOM_BYTES];
  guint8 ciphertext[SP_KYBER_CIPHERTEXT_SIZE];
  guint8 *shared_secret = sotto_peer_secret_new (SP_KYBER1024_SHARED_SECRET_BYTES);
  JsonObject *response = NULL;

  if ((public_key = sotto_peer_get_hex (request, "public", &public_len, error)) != NULL
      && sotto_peer_get_hex_fixed (request, "random", random, sizeof random, error)
      && sotto_peer_check (sp_kyber1024_encapsulate (ciphertext, shared_secret,
                                                     public_key, public_len, random),
                           error))
    {
      response = json_object_new ();
      sotto_peer_set_hex (response, "ciphertext", ciphertext, sizeof ciphertext);
      sotto_peer_set_hex (response, "shared_secret", shared_secret, SP_KYBER1024_SHARED_SECRET_BYTES);
    }

  sodium_memzero (random, sizeof random);
  secret_free (shared_secret);
  return response;
}

static JsonObject *
kyber_decapsulate_op (SottoPeer   *peer,
                      JsonObject  *request,
                      GError     **error)
{
  guint8 *secret_key = NULL;
  gsize secret_len = 0;
  g_autofree guint8 *ciphertext = NULL;
  gsize ciphertext_len = 0;
  guint8 *shared_secret = sotto_peer_secret_new (SP_KYBER1024_SHARED_SECRET_BYTES);
  JsonObject *response = NULL;

  if ((secret_key = sotto_peer_get_hex (request, "secret", &secret_len, error)) != NULL
      && (ciphertext = sotto_peer_get_hex (request, "ciphertext", &ciphertext_len, error)) != NULL
      && sotto_peer_check (sp_kyber1024_decapsulate (shared_secret, secret_key, secret_len,
                                                     ciphertext, ciphertext_len),
                           error))
    {
      response = json_object_new ();
      sotto_peer_set_hex (response, "shared_secret", shared_secret, SP_KYBER1024_SHARED_SECRET_BYTES);
    }

  wipe_free (secret_key, secret_len);
  secret_free (shared_secret);
  return response;
}

const SottoPeerOp sotto_peer_primitive_ops[] = {
  { "keypair", keypair_op },
  { "xeddsa_sign", xeddsa_sign_op },
  { "xeddsa_verify", xeddsa_verify_op },
  { "fingerprint", fingerprint_op },
  { "kyber_keypair", kyber_keypair_op },
  { "kyber_encapsulate", kyber_encapsulate_op },
  { "kyber_decapsulate", kyber_decapsulate_op },
  { NULL, NULL },
};
