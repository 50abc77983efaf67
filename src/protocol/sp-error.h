/* sp-error.h: the one error enum of the session core
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

/* Every public function of the core returns SP_OK or one of these
 * negative codes.  On failure no output buffer has been written. */
typedef enum {
  SP_OK = 0,
  SP_ERR_INVALID_ARGUMENT = -1,
  SP_ERR_NO_MEMORY = -2,
  SP_ERR_CRYPTO = -3,
  SP_ERR_BUFFER_TOO_SMALL = -4,
  SP_ERR_MALFORMED = -5,
  SP_ERR_INVALID_KEY = -6,
  SP_ERR_INVALID_SIGNATURE = -7,
  SP_ERR_BAD_PADDING = -8,
  SP_ERR_BAD_MAC = -9,
  SP_ERR_VERSION_MISMATCH = -10,
  SP_ERR_UNTRUSTED_IDENTITY = -11,
  SP_ERR_IDENTITY_CHANGED = -12,
  SP_ERR_DUPLICATE_MESSAGE = -13,
  SP_ERR_TOO_FAR_AHEAD = -14,
  SP_ERR_MISSING_PREKEY = -15,
  SP_ERR_NO_SESSION = -16,
  SP_ERR_INVALID_MESSAGE = -17,
  SP_ERR_STORE = -18,
  SP_ERR_SESSION_EXPIRED = -19,
  SP_ERR_NO_SENDER_KEY = -20,
  SP_ERR_INVALID_CERTIFICATE = -21,
  SP_ERR_CERTIFICATE_EXPIRED = -22,
  SP_ERR_SELF_SEND = -23,
  SP_ERR_IDENTITY_MISMATCH = -24,
  SP_ERR_BAD_DIGEST = -25,
} SpError;

/* A sentence describing @error, for people. */
const char *sp_strerror (int error);

/* A short stable identifier such as "invalid_signature", for programs. */
const char *sp_error_code (int error);
