/* relay-invite.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Single-use invite tokens.  The database keeps only a hash of each, so
 * that a copy of it (a backup) cannot be used to register.  A token is
 * 256 random bits, which no guessing can reach, so a fast unkeyed hash
 * is enough; a slow password hash would only make each registration
 * attempt cost the relay more.
 */

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "relay-invite.h"

G_STATIC_ASSERT (RELAY_INVITE_HASH_SIZE == crypto_generichash_BYTES);

/* A new token, to be shown once and then forgotten.  It never starts
 * with '-': `sotto-relay admin invite revoke TOKEN` would read such a
 * token as an option.  Drawing again costs one bit in 64 of the first
 * character, out of 256 random bits. */
char *
relay_invite_token_new (void)
{
  guint8 secret[32];
  char *token = g_malloc (sodium_base64_ENCODED_LEN (sizeof secret, sodium_base64_VARIANT_URLSAFE_NO_PADDING));

  do
    {
      randombytes_buf (secret, sizeof secret);
      sodium_bin2base64 (token, sodium_base64_ENCODED_LEN (sizeof secret, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                         secret, sizeof secret, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    }
  while (token[0] == '-');
  sodium_memzero (secret, sizeof secret);
  g_assert (strlen (token) == RELAY_INVITE_TOKEN_LENGTH);
  return token;
}

GBytes *
relay_invite_hash (const char *token)
{
  guint8 hash[RELAY_INVITE_HASH_SIZE];

  crypto_generichash (hash, sizeof hash, (const guint8 *) token, strlen (token), NULL, 0);
  return g_bytes_new (hash, sizeof hash);
}
