/* relay-auth.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RelayAuthCache RelayAuthCache;

typedef enum
{
  RELAY_AUTH_CACHE_MISS,
  RELAY_AUTH_CACHE_HIT,
  RELAY_AUTH_CACHE_UNCONFIRMED,   /* the password matches; the device may be gone */
} RelayAuthCacheResult;

/* Slow, salted hashing (Argon2id through libsodium).  These block for
 * tens of milliseconds and must run on a worker thread. */
char           *relay_password_hash       (const char     *password);
gboolean        relay_password_verify     (const char     *hash,
                                           const char     *password);

RelayAuthCache *relay_auth_cache_new      (guint           capacity);
void            relay_auth_cache_free     (RelayAuthCache *self);
RelayAuthCacheResult relay_auth_cache_check (RelayAuthCache *self,
                                           const char     *uuid,
                                           guint32         device_id,
                                           const char     *password);
void            relay_auth_cache_remember (RelayAuthCache *self,
                                           const char     *uuid,
                                           guint32         device_id,
                                           const char     *password);
void            relay_auth_cache_unconfirm_all (RelayAuthCache *self);
void            relay_auth_cache_confirm  (RelayAuthCache *self,
                                           const char     *uuid,
                                           guint32         device_id);
void            relay_auth_cache_forget   (RelayAuthCache *self,
                                           const char     *uuid,
                                           guint32         device_id);
const char     *relay_auth_cache_get_decoy_hash (RelayAuthCache *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayAuthCache, relay_auth_cache_free)

G_END_DECLS
