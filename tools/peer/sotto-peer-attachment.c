/* sotto-peer-attachment.c: sotto-peer's attachment operations
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-peer"

#include "config.h"

#include <sodium.h>

#include "sp-attachment.h"
#include "sp-error.h"

#include "sotto-peer-private.h"

/* With "chunk": N the core streams the input N bytes at a time, so that
 * the interop tests cross every block and pass boundary; without it,
 * all at once. */

/* The largest chunk a request may ask for; a chunk longer than the
 * input is the same as none. */
#define MAX_CHUNK (64 * 1024 * 1024)

static gboolean
get_chunk (JsonObject  *request,
           gsize       *chunk,
           GError     **error)
{
  guint64 value;

  *chunk = 0;
  if (!json_object_has_member (request, "chunk"))
    return TRUE;
  if (!sotto_peer_get_uint (request, "chunk", MAX_CHUNK, &value, error))
    return FALSE;
  if (value == 0)
    {
      g_set_error_literal (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_MALFORMED_REQUEST,
                           "Member “chunk” must be at least 1");
      return FALSE;
    }
  *chunk = (gsize) value;
  return TRUE;
}

static JsonObject *
attachment_encrypt_op (SottoPeer   *peer,
                       JsonObject  *request,
                       GError     **error)
{
  guint8 *key = sotto_peer_secret_new (SP_ATTACHMENT_KEY_SIZE);
  guint8 iv[SP_ATTACHMENT_IV_SIZE];
  guint8 digest[SP_ATTACHMENT_DIGEST_SIZE];
  g_autofree guint8 *plaintext = NULL;
  g_autofree guint8 *blob = NULL;
  gsize plaintext_len = 0;
  gsize blob_size;
  gsize blob_len = 0;
  gsize chunk;
  JsonObject *response = NULL;

  if (!sotto_peer_get_hex_fixed (request, "key", key, SP_ATTACHMENT_KEY_SIZE, error)
      || !sotto_peer_get_hex_fixed (request, "iv", iv, sizeof iv, error)
      || (plaintext = sotto_peer_get_hex (request, "plaintext", &plaintext_len, error)) == NULL
      || !get_chunk (request, &chunk, error))
    goto out;

  /* Requests are far below the core's 4 GiB limit. */
  blob_size = (gsize) sp_attachment_blob_size (plaintext_len);
  blob = g_malloc (blob_size);
  if (!sotto_peer_check (sp_attachment_encrypt (blob, blob_size, &blob_len, digest, key, iv,
                                                 plaintext, plaintext_len, chunk),
                         error))
    goto out;

  response = json_object_new ();
  sotto_peer_set_hex (response, "blob", blob, blob_size);
  sotto_peer_set_hex (response, "digest", digest, sizeof digest);

out:
  sodium_free (key);
  return response;
}

static JsonObject *
attachment_decrypt_op (SottoPeer   *peer,
                       JsonObject  *request,
                       GError     **error)
{
  guint8 *key = sotto_peer_secret_new (SP_ATTACHMENT_KEY_SIZE);
  guint8 digest[SP_ATTACHMENT_DIGEST_SIZE];
  g_autofree guint8 *blob = NULL;
  guint8 *plaintext = NULL;
  gsize blob_len = 0;
  gsize plaintext_len = 0;
  guint64 size = 0;
  gsize chunk;
  JsonObject *response = NULL;

  /* A size beyond the core's limit reaches the core, which refuses it. */
  if (!sotto_peer_get_hex_fixed (request, "key", key, SP_ATTACHMENT_KEY_SIZE, error)
      || !sotto_peer_get_hex_fixed (request, "digest", digest, sizeof digest, error)
      || !sotto_peer_get_uint (request, "size", G_MAXINT64, &size, error)
      || (blob = sotto_peer_get_hex (request, "blob", &blob_len, error)) == NULL
      || !get_chunk (request, &chunk, error))
    goto out;

  /* A plaintext is always shorter than its blob, and the core refuses a
   * blob of the wrong length before it looks at the room for the
   * plaintext, so the buffer need not be larger than the blob. */
  plaintext = sotto_peer_secret_new (MIN (size, blob_len) + 1);
  if (!sotto_peer_check (sp_attachment_decrypt (plaintext, MIN (size, blob_len), &plaintext_len, key, digest,
                                                size, blob, blob_len, chunk),
                         error))
    goto out;

  response = json_object_new ();
  sotto_peer_set_hex (response, "plaintext", plaintext, plaintext_len);

out:
  if (plaintext != NULL)
    sodium_free (plaintext);
  sodium_free (key);
  return response;
}

const SottoPeerOp sotto_peer_attachment_ops[] = {
  { "attachment_encrypt", attachment_encrypt_op },
  { "attachment_decrypt", attachment_decrypt_op },
  { NULL, NULL },
};
