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
 * When another process changes the database (an administrator deleting
 * or banning an account), a remembered password may belong to a device
 * that is gone.  Rather than forgetting every password, which would cost
 * a hash for every device at once, the cache marks what it remembers as
 * unconfirmed: the relay then checks that the device still exists, a
 * read of the database, before it trusts the password again.
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

typedef struct
{
  guint8 digest[crypto_generichash_BYTES];
  guint  generation;     /* the cache's when last confirmed */
} Remembered;

struct _RelayAuthCache
{
  guint8      key[crypto_generichash_KEYBYTES];
  guint       capacity;
  guint       generation;
  GHashTable *digests;   /* "uuid.device" -> Remembered */
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

RelayAuthCacheResult
relay_auth_cache_check (RelayAuthCache *self,
                        const char     *uuid,
                        guint32         device_id,
                        const char     *password)
{
  char name[RELAY_DEVICE_KEY_SIZE];
  guint8 computed[crypto_generichash_BYTES];
  const Remembered *known;
  gboolean match;

  relay_device_key (name, uuid, device_id);
  known = g_hash_table_lookup (self->digests, name);
  if (known == NULL)
    return RELAY_AUTH_CACHE_MISS;
  digest (self, password, computed);
  match = sodium_memcmp (computed, known->digest, sizeof computed) == 0;
  sodium_memzero (computed, sizeof computed);
  if (!match)
    return RELAY_AUTH_CACHE_MISS;
  return known->generation == self->generation ? RELAY_AUTH_CACHE_HIT : RELAY_AUTH_CACHE_UNCONFIRMED;
}

void
relay_auth_cache_remember (RelayAuthCache *self,
                           const char     *uuid,
                           guint32         device_id,
                           const char     *password)
{
  Remembered *value = g_new (Remembered, 1);
  char *name = g_malloc (RELAY_DEVICE_KEY_SIZE);

  if (g_hash_table_size (self->digests) >= self->capacity)
    g_hash_table_remove_all (self->digests);
  digest (self, password, value->digest);
  value->generation = self->generation;
  relay_device_key (name, uuid, device_id);
  g_hash_table_insert (self->digests, name, value);
}

/* After a change from outside: every password remembered so far needs
 * its device confirmed before it counts again. */
void
relay_auth_cache_unconfirm_all (RelayAuthCache *self)
{
  self->generation++;
}

/* The device still exists: its password, if remembered, counts again. */
void
relay_auth_cache_confirm (RelayAuthCache *self,
                          const char     *uuid,
                          guint32         device_id)
{
  char name[RELAY_DEVICE_KEY_SIZE];
  Remembered *known;

  relay_device_key (name, uuid, device_id);
  known = g_hash_table_lookup (self->digests, name);
  if (known != NULL)
    known->generation = self->generation;
}

/* The device is gone: its password is forgotten. */
void
relay_auth_cache_forget (RelayAuthCache *self,
                         const char     *uuid,
                         guint32         device_id)
{
  char name[RELAY_DEVICE_KEY_SIZE];

  relay_device_key (name, uuid, device_id);
  g_hash_table_remove (self->digests, name);
}

/* What a device that does not exist is checked against; no password
 * anyone knows matches it. */
const char *
relay_auth_cache_get_decoy_hash (RelayAuthCache *self)
{
  return self->decoy_hash;
}
