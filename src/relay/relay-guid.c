/* relay-guid.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * AES-128 on a single block is a keyed permutation of 128-bit values,
 * which is all a GUID needs: distinct entries get distinct GUIDs, and
 * decrypting gives the entry back.  OpenSSL is already loaded for TLS.
 */

#include "config.h"

#include <openssl/evp.h>
#include <string.h>

#include "relay-guid.h"

#define BLOCK_SIZE 16

struct _RelayGuidCipher
{
  EVP_CIPHER_CTX *encrypt;
  EVP_CIPHER_CTX *decrypt;
};

static EVP_CIPHER_CTX *
cipher_context_new (const guint8 key[RELAY_GUID_KEY_SIZE],
                    gboolean     encrypt)
{
  EVP_CIPHER_CTX *context = EVP_CIPHER_CTX_new ();

  /* Without padding, ECB on whole blocks keeps no state between calls,
   * so one context serves every GUID. */
  if (context == NULL ||
      EVP_CipherInit_ex (context, EVP_aes_128_ecb (), NULL, key, NULL, encrypt) != 1 ||
      EVP_CIPHER_CTX_set_padding (context, 0) != 1)
    g_error ("OpenSSL cannot set up AES-128");
  return context;
}

RelayGuidCipher *
relay_guid_cipher_new (const guint8 key[RELAY_GUID_KEY_SIZE])
{
  RelayGuidCipher *self = g_new0 (RelayGuidCipher, 1);

  self->encrypt = cipher_context_new (key, TRUE);
  self->decrypt = cipher_context_new (key, FALSE);
  return self;
}

void
relay_guid_cipher_free (RelayGuidCipher *self)
{
  if (self == NULL)
    return;
  EVP_CIPHER_CTX_free (self->encrypt);
  EVP_CIPHER_CTX_free (self->decrypt);
  g_free (self);
}

static void
cipher_block (EVP_CIPHER_CTX *context,
              const guint8    in[BLOCK_SIZE],
              guint8          out[BLOCK_SIZE])
{
  int length = 0;

  if (EVP_CipherUpdate (context, out, &length, in, BLOCK_SIZE) != 1 || length != BLOCK_SIZE)
    g_error ("OpenSSL cannot run AES-128");
}

static void
put_uint64_be (guint8  *out,
               guint64  value)
{
  for (guint i = 0; i < 8; i++)
    out[i] = (guint8) (value >> (56 - 8 * i));
}

static guint64
get_uint64_be (const guint8 *in)
{
  guint64 value = 0;

  for (guint i = 0; i < 8; i++)
    value = (value << 8) | in[i];
  return value;
}

static gboolean
is_dash_position (guint position)
{
  return position == 8 || position == 13 || position == 18 || position == 23;
}

void
relay_guid_encode (RelayGuidCipher *self,
                   gint64           id,
                   gint64           tag,
                   char             guid[RELAY_UUID_LENGTH + 1])
{
  static const char hex[] = "0123456789abcdef";
  guint8 plain[BLOCK_SIZE];
  guint8 block[BLOCK_SIZE];
  guint byte = 0;

  put_uint64_be (plain, (guint64) id);
  put_uint64_be (plain + 8, (guint64) tag);
  cipher_block (self->encrypt, plain, block);
  for (guint i = 0; i < RELAY_UUID_LENGTH; i++)
    {
      if (is_dash_position (i))
        {
          guid[i] = '-';
          continue;
        }
      guid[i] = hex[byte % 2 == 0 ? block[byte / 2] >> 4 : block[byte / 2] & 0x0f];
      byte++;
    }
  guid[RELAY_UUID_LENGTH] = '\0';
}

static guint8
hex_value (char c)
{
  return (guint8) (c <= '9' ? c - '0' : c - 'a' + 10);
}

/* Fails only for text that is not a GUID in the relay's form; any GUID
 * decodes to some id and tag, which the caller checks against what it
 * stored. */
gboolean
relay_guid_decode (RelayGuidCipher *self,
                   const char      *guid,
                   gint64          *id,
                   gint64          *tag)
{
  guint8 block[BLOCK_SIZE] = { 0 };
  guint8 plain[BLOCK_SIZE];
  guint byte = 0;

  if (!relay_uuid_is_valid (guid, strlen (guid)))
    return FALSE;
  for (guint i = 0; i < RELAY_UUID_LENGTH; i++)
    {
      if (is_dash_position (i))
        continue;
      block[byte / 2] |= (guint8) (byte % 2 == 0 ? hex_value (guid[i]) << 4 : hex_value (guid[i]));
      byte++;
    }
  cipher_block (self->decrypt, block, plain);
  *id = (gint64) get_uint64_be (plain);
  *tag = (gint64) get_uint64_be (plain + 8);
  return TRUE;
}
