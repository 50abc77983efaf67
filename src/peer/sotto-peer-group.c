/* sotto-peer-group.c: sotto-peer's group (sender key) operations
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-peer"

#include "config.h"

#include <sodium.h>

#include "sp-error.h"
#include "sp-sender-key.h"
#include "sp-uuid.h"

#include "sotto-peer-private.h"

/* The local device is the one "init" named; its sender keys and those it
 * received live in the same store as its sessions, so that with --state
 * DIR they persist the same way. */

/* A distribution id as libsignal's API takes it: a UUID string in its
 * canonical 8-4-4-4-12 form, either case. */
static gboolean
get_distribution_id (JsonObject  *request,
                     guint8       out[SP_DISTRIBUTION_ID_SIZE],
                     GError     **error)
{
  const char *text = sotto_peer_get_string (request, "distribution_id", error);

  G_STATIC_ASSERT (SP_DISTRIBUTION_ID_SIZE == SP_UUID_SIZE);

  if (text == NULL)
    return FALSE;
  if (sp_uuid_decode (out, text) != SP_OK)
    {
      g_set_error_literal (error, SOTTO_PEER_ERROR, SOTTO_PEER_ERROR_MALFORMED_REQUEST,
                           "Member “distribution_id” must be a UUID");
      return FALSE;
    }
  return TRUE;
}

static JsonObject *
sender_key_create_op (SottoPeer   *peer,
                      JsonObject  *request,
                      GError     **error)
{
  guint8 distribution_id[SP_DISTRIBUTION_ID_SIZE];
  guint8 message[SP_SENDER_KEY_DISTRIBUTION_MESSAGE_MAX_SIZE];
  SpGroupCipher *cipher;
  size_t len = 0;
  JsonObject *response = NULL;

  if ((cipher = sotto_peer_get_group_cipher (peer, error)) == NULL
      || !get_distribution_id (request, distribution_id, error))
    return NULL;

  if (sotto_peer_check (sp_group_cipher_create_distribution (cipher, distribution_id, message,
                                                             sizeof message, &len), error))
    {
      response = json_object_new ();
      sotto_peer_set_hex (response, "distribution_message", message, len);
    }
  /* It carries the chain key. */
  sodium_memzero (message, sizeof message);
  return response;
}

static JsonObject *
sender_key_process_op (SottoPeer   *peer,
                       JsonObject  *request,
                       GError     **error)
{
  g_autofree guint8 *message = NULL;
  SpGroupCipher *cipher;
  SpAddress sender;
  gsize len = 0;
  gboolean ok;
  JsonObject *response;

  if ((cipher = sotto_peer_get_group_cipher (peer, error)) == NULL
      || !sotto_peer_get_address (request, "peer", "device", &sender, error)
      || (message = sotto_peer_get_hex (request, "distribution_message", &len, error)) == NULL)
    return NULL;

  ok = sotto_peer_check (sp_group_cipher_process_distribution (cipher, &sender, message, len), error);
  sodium_memzero (message, len);
  if (!ok)
    return NULL;

  response = json_object_new ();
  json_object_set_boolean_member (response, "ok", TRUE);
  return response;
}

static JsonObject *
group_encrypt_op (SottoPeer   *peer,
                  JsonObject  *request,
                  GError     **error)
{
  guint8 distribution_id[SP_DISTRIBUTION_ID_SIZE];
  g_autofree guint8 *plaintext = NULL;
  g_autofree guint8 *ciphertext = NULL;
  SpGroupCipher *cipher;
  gsize plaintext_len = 0;
  size_t ciphertext_len = 0;
  size_t size;
  JsonObject *response;

  if ((cipher = sotto_peer_get_group_cipher (peer, error)) == NULL
      || !get_distribution_id (request, distribution_id, error)
      || (plaintext = sotto_peer_get_hex (request, "plaintext", &plaintext_len, error)) == NULL)
    return NULL;

  size = SP_GROUP_CIPHERTEXT_MAX_SIZE (plaintext_len);
  ciphertext = g_malloc (size);
  if (!sotto_peer_check (sp_group_cipher_encrypt (cipher, distribution_id, plaintext, plaintext_len,
                                                  ciphertext, size, &ciphertext_len), error))
    return NULL;

  response = json_object_new ();
  sotto_peer_set_hex (response, "ciphertext", ciphertext, ciphertext_len);
  return response;
}

static JsonObject *
group_decrypt_op (SottoPeer   *peer,
                  JsonObject  *request,
                  GError     **error)
{
  g_autofree guint8 *ciphertext = NULL;
  guint8 *plaintext;
  SpGroupCipher *cipher;
  SpAddress sender;
  gsize ciphertext_len = 0;
  size_t plaintext_len = 0;
  JsonObject *response = NULL;

  if ((cipher = sotto_peer_get_group_cipher (peer, error)) == NULL
      || !sotto_peer_get_address (request, "peer", "device", &sender, error)
      || (ciphertext = sotto_peer_get_hex (request, "ciphertext", &ciphertext_len, error)) == NULL)
    return NULL;

  plaintext = sotto_peer_secret_new (ciphertext_len + 1);
  if (sotto_peer_check (sp_group_cipher_decrypt (cipher, &sender, ciphertext, ciphertext_len,
                                                 plaintext, ciphertext_len, &plaintext_len), error))
    {
      response = json_object_new ();
      sotto_peer_set_hex (response, "plaintext", plaintext, plaintext_len);
    }
  sodium_free (plaintext);
  return response;
}

const SottoPeerOp sotto_peer_group_ops[] = {
  { "sender_key_create", sender_key_create_op },
  { "sender_key_process", sender_key_process_op },
  { "group_encrypt", group_encrypt_op },
  { "group_decrypt", group_decrypt_op },
  { NULL, NULL },
};
