/* relay-invite.h
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RELAY_INVITE_HASH_SIZE 32
/* 32 random bytes in unpadded base64url. */
#define RELAY_INVITE_TOKEN_LENGTH 43

char   *relay_invite_token_new (void);
GBytes *relay_invite_hash      (const char *token);

G_END_DECLS
