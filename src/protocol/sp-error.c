/* sp-error.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "sp-error.h"

#include <stddef.h>

typedef struct {
  int error;
  const char *code;
  const char *message;
} SpErrorInfo;

static const SpErrorInfo error_table[] = {
  { SP_OK, "ok", "Success" },
  { SP_ERR_INVALID_ARGUMENT, "invalid_argument", "An argument was invalid" },
  { SP_ERR_NO_MEMORY, "no_memory", "Out of memory" },
  { SP_ERR_CRYPTO, "crypto", "A cryptographic library call failed" },
  { SP_ERR_BUFFER_TOO_SMALL, "buffer_too_small", "The output buffer is too small" },
  { SP_ERR_MALFORMED, "malformed", "The input is malformed" },
  { SP_ERR_INVALID_KEY, "invalid_key", "The key is invalid" },
  { SP_ERR_INVALID_SIGNATURE, "invalid_signature", "The signature is invalid" },
  { SP_ERR_BAD_PADDING, "bad_padding", "The padding is invalid" },
  { SP_ERR_BAD_MAC, "bad_mac", "The message authentication code does not match" },
  { SP_ERR_VERSION_MISMATCH, "version_mismatch", "The versions do not match" },
  { SP_ERR_UNTRUSTED_IDENTITY, "untrusted_identity", "The identity key is not trusted" },
  { SP_ERR_IDENTITY_CHANGED, "identity_changed", "The identity key has changed" },
  { SP_ERR_DUPLICATE_MESSAGE, "duplicate_message", "The message was already received" },
  { SP_ERR_TOO_FAR_AHEAD, "too_far_ahead", "The message is too far ahead in its chain" },
  { SP_ERR_MISSING_PREKEY, "missing_prekey", "The prekey the message refers to is unknown" },
  { SP_ERR_NO_SESSION, "no_session", "There is no session with this address" },
  { SP_ERR_INVALID_MESSAGE, "invalid_message", "The message is invalid" },
  { SP_ERR_STORE, "store", "The store failed" },
  { SP_ERR_SESSION_EXPIRED, "session_expired", "The pending session has expired" },
  { SP_ERR_NO_SENDER_KEY, "no_sender_key", "There is no sender key for this sender, group and chain" },
  { SP_ERR_INVALID_CERTIFICATE, "invalid_certificate", "The sender certificate is not signed by a trusted server" },
  { SP_ERR_CERTIFICATE_EXPIRED, "certificate_expired", "The sender certificate has expired" },
  { SP_ERR_SELF_SEND, "self_send", "The sealed message claims to come from this device" },
  { SP_ERR_IDENTITY_MISMATCH, "identity_mismatch", "The identity key does not match the sender certificate" },
  { SP_ERR_BAD_DIGEST, "bad_digest", "The attachment does not match its digest" },
};

static const SpErrorInfo *
lookup (int error)
{
  for (size_t i = 0; i < sizeof error_table / sizeof error_table[0]; i++)
    if (error_table[i].error == error)
      return &error_table[i];
  return NULL;
}

const char *
sp_strerror (int error)
{
  const SpErrorInfo *info = lookup (error);

  return info != NULL ? info->message : "Unknown error";
}

const char *
sp_error_code (int error)
{
  const SpErrorInfo *info = lookup (error);

  return info != NULL ? info->code : "unknown";
}
