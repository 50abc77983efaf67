/* relay-auth.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Device passwords are stored only as Argon2id hashes.  Verifying one
 * costs tens of milliseconds, far too much for every request, so once a
 * password has been verified the relay remembers a keyed BLAKE2b digest
 * of it under a random key that never leaves memory; later requests
 * compare digests in constant time.  The cache is bounded and simply
 * forgets everything when full.
 *
 * A device that does not exist is checked against a decoy: a hash of
 * a random password that is thrown away, made with the same cost as
 * every stored one.  An unknown device then costs the relay, and the
 * client, as much as a wrong password for a known one, so that neither
 * the time of an answer nor the work behind it tells which exist.
 */

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "relay-api.h"
#include "relay-auth.h"

struct _RelayAuthCache
{
  guint8      key[crypto_generichash_KEYBYTES];
  guint       capacity;
  GHashTable *digests;   /* "uuid.device" -> digest */
  char       *decoy_hash;
};

char *
relay_password_hash (const char *password)
{
  char hash[crypto_pwhash_STRBYTES];

  if (crypto_pwhash_str (hash, password, strlen (password),
                         crypto_pwhash_OPSLIMIT_INTERACTIVE,
                         crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return NULL;
  return g_strdup (hash);
}

gboolean
relay_password_verify (const char *hash,
                       const char *password)
{
  return crypto_pwhash_str_verify (hash, password, strlen (password)) == 0;
}

RelayAuthCache *
relay_auth_cache_new (guint capacity)
{
  RelayAuthCache *self = g_new0 (RelayAuthCache, 1);
  char *password = sodium_malloc (RELAY_PASSWORD_MIN + 1);
  guint8 random[RELAY_PASSWORD_MIN / 2];

  /* Hex, so that it is a password a client could send. */
  randombytes_buf (random, sizeof random);
  sodium_bin2hex (password, RELAY_PASSWORD_MIN + 1, random, sizeof random);
  sodium_memzero (random, sizeof random);
  self->decoy_hash = relay_password_hash (password);
  sodium_free (password);
  g_assert (self->decoy_hash != NULL);
  randombytes_buf (self->key, sizeof self->key);
  self->capacity = capacity;
  self->digests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

void
relay_auth_cache_free (RelayAuthCache *self)
{
  if (self == NULL)
    return;
  sodium_memzero (self->key, sizeof self->key);
  g_hash_table_unref (self->digests);
  g_free (self->decoy_hash);
  g_free (self);
}

static void
digest (RelayAuthCache *self,
        const char     *password,
        guint8         *out)
{
  crypto_generichash (out, crypto_generichash_BYTES, (const guint8 *) password,
                      strlen (password), self->key, sizeof self->key);
}

gboolean
relay_auth_cache_check (RelayAuthCache *self,
                        const char     *uuid,
                        guint32         device_id,
                        const char     *password)
{
  char name[RELAY_DEVICE_KEY_SIZE];
  guint8 computed[crypto_generichash_BYTES];
  const guint8 *known;
  gboolean match;

  relay_device_key (name, uuid, device_id);
  known = g_hash_table_lookup (self->digests, name);
  if (known == NULL)
    return FALSE;
  digest (self, password, computed);
  match = sodium_memcmp (computed, known, sizeof computed) == 0;
  sodium_memzero (computed, sizeof computed);
  return match;
}

void
relay_auth_cache_remember (RelayAuthCache *self,
                           const char     *uuid,
                           guint32         device_id,
                           const char     *password)
{
  guint8 *value = g_malloc (crypto_generichash_BYTES);
  char *name = g_malloc (RELAY_DEVICE_KEY_SIZE);

  if (g_hash_table_size (self->digests) >= self->capacity)
    g_hash_table_remove_all (self->digests);
  digest (self, password, value);
  relay_device_key (name, uuid, device_id);
  g_hash_table_insert (self->digests, name, value);
}

/* What a device that does not exist is checked against; no password
 * anyone knows matches it. */
const char *
relay_auth_cache_get_decoy_hash (RelayAuthCache *self)
{
  return self->decoy_hash;
}
