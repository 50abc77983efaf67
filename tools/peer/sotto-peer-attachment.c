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

/* Without "chunk" an operation uses the core's one-shot function; with
 * "chunk": N it streams the input through the core N bytes at a time,
 * so that the interop tests cross every block and pass boundary. */

/* The largest chunk a request may ask for: the whole of a request fits
 * in far less, and it bounds the output buffers below. */
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

static int
encrypt_streaming (guint8        *blob,
                   gsize          blob_size,
                   guint8         digest[SP_ATTACHMENT_DIGEST_SIZE],
                   const guint8   key[SP_ATTACHMENT_KEY_SIZE],
                   const guint8   iv[SP_ATTACHMENT_IV_SIZE],
                   const guint8  *plaintext,
                   gsize          plaintext_len,
                   gsize          chunk)
{
  SpAttachmentEncryptor *encryptor = NULL;
  gsize written = 0;
  gsize len = 0;
  bool done = false;
  int rc;

  rc = sp_attachment_encryptor_new (&encryptor, key, iv, plaintext_len);
  for (gsize offset = 0; rc == SP_OK && offset < plaintext_len; offset += chunk)
    {
      gsize n = MIN (chunk, plaintext_len - offset);

      rc = sp_attachment_encryptor_update (encryptor, blob + written, blob_size - written, &len,
                                           plaintext + offset, n);
      written += len;
    }
  /* The rest in pieces of the chunk size too (at least the minimum). */
  while (rc == SP_OK && !done)
    {
      gsize room = MIN (MAX (chunk, SP_ATTACHMENT_FINAL_MIN_SIZE), blob_size - written);

      rc = sp_attachment_encryptor_final (encryptor, blob + written, room, &len, digest, &done);
      written += len;
    }
  sp_attachment_encryptor_free (encryptor);

  if (rc == SP_OK && written != blob_size)
    g_error ("The encryptor wrote %" G_GSIZE_FORMAT " bytes of a %" G_GSIZE_FORMAT "-byte blob",
             written, blob_size);
  return rc;
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
  int rc;

  if (!sotto_peer_get_hex_fixed (request, "key", key, SP_ATTACHMENT_KEY_SIZE, error)
      || !sotto_peer_get_hex_fixed (request, "iv", iv, sizeof iv, error)
      || (plaintext = sotto_peer_get_hex (request, "plaintext", &plaintext_len, error)) == NULL
      || !get_chunk (request, &chunk, error))
    goto out;

  /* Requests are far below the core's 4 GiB limit. */
  blob_size = (gsize) sp_attachment_blob_size (plaintext_len);
  blob = g_malloc (blob_size);
  if (chunk == 0)
    rc = sp_attachment_encrypt (blob, blob_size, &blob_len, digest, key, iv, plaintext, plaintext_len);
  else
    rc = encrypt_streaming (blob, blob_size, digest, key, iv, plaintext, plaintext_len, chunk);
  if (!sotto_peer_check (rc, error))
    goto out;

  response = json_object_new ();
  sotto_peer_set_hex (response, "blob", blob, blob_size);
  sotto_peer_set_hex (response, "digest", digest, sizeof digest);

out:
  sodium_free (key);
  return response;
}

/* @plaintext has room for @plaintext_size bytes, which may be less than
 * @size when the blob cannot be that long: the first pass then refuses
 * it before anything is written. */
static int
decrypt_streaming (guint8        *plaintext,
                   gsize          plaintext_size,
                   gsize         *plaintext_len,
                   const guint8   key[SP_ATTACHMENT_KEY_SIZE],
                   const guint8   digest[SP_ATTACHMENT_DIGEST_SIZE],
                   gsize          size,
                   const guint8  *blob,
                   gsize          blob_len,
                   gsize          chunk)
{
  SpAttachmentDecryptor *decryptor = NULL;
  gsize written = 0;
  gsize len = 0;
  int rc;

  rc = sp_attachment_decryptor_new (&decryptor, key, digest, size);
  for (gsize offset = 0; rc == SP_OK && offset < blob_len; offset += chunk)
    rc = sp_attachment_decryptor_verify (decryptor, blob + offset, MIN (chunk, blob_len - offset));
  if (rc == SP_OK)
    rc = sp_attachment_decryptor_verify_final (decryptor);
  for (gsize offset = 0; rc == SP_OK && offset < blob_len; offset += chunk)
    {
      rc = sp_attachment_decryptor_update (decryptor, plaintext + written, plaintext_size - written, &len,
                                           blob + offset, MIN (chunk, blob_len - offset));
      written += len;
    }
  if (rc == SP_OK)
    rc = sp_attachment_decryptor_final (decryptor);
  sp_attachment_decryptor_free (decryptor);

  *plaintext_len = written;
  return rc;
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
  int rc;

  /* A size beyond the core's limit reaches the core, which refuses it. */
  if (!sotto_peer_get_hex_fixed (request, "key", key, SP_ATTACHMENT_KEY_SIZE, error)
      || !sotto_peer_get_hex_fixed (request, "digest", digest, sizeof digest, error)
      || !sotto_peer_get_uint (request, "size", G_MAXINT64, &size, error)
      || (blob = sotto_peer_get_hex (request, "blob", &blob_len, error)) == NULL
      || !get_chunk (request, &chunk, error))
    goto out;

  /* A plaintext is always shorter than its blob, so the buffer need
   * not be larger than the blob; a larger size goes through the
   * streaming path, whose first pass refuses the blob's length. */
  plaintext = sotto_peer_secret_new (MIN (size, blob_len) + 1);
  if (chunk == 0 && size <= blob_len)
    rc = sp_attachment_decrypt (plaintext, size, &plaintext_len, key, digest, size, blob, blob_len);
  else
    rc = decrypt_streaming (plaintext, MIN (size, blob_len), &plaintext_len, key, digest, size, blob, blob_len,
                            chunk != 0 ? chunk : MAX (blob_len, 1));
  if (!sotto_peer_check (rc, error))
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
