/* relay-sealed-key.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The sealed sender keys of a relay.  The operator keeps a trust root
 * offline and gives each relay a server key with a certificate that
 * the root signed; clients pin the root's public key.  The relay signs
 * short-lived sender certificates with the server key, so a relay that
 * is broken into can be cut off by the next server certificate without
 * touching a client.  Both files are a few "name=value" lines, read by
 * a strict parser into guarded memory and written only where nothing
 * is yet, readable by the owner alone.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "relay-sealed-key.h"
#include "sp-error.h"
#include "sp-init.h"
#include "sp-keys.h"
#include "sp-sealed-sender.h"
#include "sp-xeddsa.h"

struct _RelaySealedKey
{
  guint32    key_id;
  SpKeyPair *pair;          /* sodium_malloc */
  GBytes    *certificate;   /* the ServerCertificate */
  GBytes    *trust_root;    /* its signer's public key, or NULL */
};

/* One "name=value" line that a file must have exactly once, or at most
 * once if it is optional. */
typedef struct
{
  const char *name;
  gboolean    optional;
  const char *value;
  gsize       length;
} Field;

static gboolean
read_fields (const char  *data,
             gsize        length,
             Field       *fields,
             guint        n_fields,
             GError     **error)
{
  const char *end = data + length;
  const char *line = data;

  if (length > RELAY_SEALED_FILE_MAX_BYTES)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "The key file is too large");
      return FALSE;
    }
  while (line < end)
    {
      const char *newline = memchr (line, '\n', (gsize) (end - line));
      const char *stop = newline != NULL ? newline : end;
      const char *equals = memchr (line, '=', (gsize) (stop - line));
      Field *field = NULL;

      if (stop > line && line[0] != '#')
        {
          for (guint i = 0; equals != NULL && i < n_fields; i++)
            if ((gsize) (equals - line) == strlen (fields[i].name) &&
                memcmp (line, fields[i].name, (gsize) (equals - line)) == 0)
              field = &fields[i];
          if (field == NULL || field->value != NULL)
            {
              g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                           "The key file has a line that is unknown, repeated or not “name=value”");
              return FALSE;
            }
          field->value = equals + 1;
          field->length = (gsize) (stop - equals - 1);
        }
      line = stop + 1;
    }
  for (guint i = 0; i < n_fields; i++)
    if (fields[i].value == NULL && !fields[i].optional)
      {
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "The key file has no “%s”", fields[i].name);
        return FALSE;
      }
  return TRUE;
}

/* Decodes a field's base64 into `out`, which must take exactly `size`
 * bytes. */
static gboolean
decode_exact (const Field  *field,
              guint8       *out,
              gsize         size,
              GError      **error)
{
  size_t decoded = 0;

  if (sodium_base642bin (out, size, field->value, field->length, NULL, &decoded, NULL,
                         sodium_base64_VARIANT_ORIGINAL) != 0 || decoded != size)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "“%s” in the key file is not valid", field->name);
      return FALSE;
    }
  return TRUE;
}

/* A key pair in guarded memory from a field holding its private half. */
static SpKeyPair *
decode_key_pair (const Field  *field,
                 GError      **error)
{
  guint8 *private_key = sodium_malloc (SP_PRIVATE_KEY_SIZE);
  SpKeyPair *pair = sodium_malloc (sizeof *pair);
  gboolean ok;

  ok = decode_exact (field, private_key, SP_PRIVATE_KEY_SIZE, error);
  if (ok && sp_key_pair_from_private (pair, private_key, SP_PRIVATE_KEY_SIZE) != SP_OK)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "“%s” in the key file is not a key", field->name);
      ok = FALSE;
    }
  sodium_free (private_key);
  if (!ok)
    {
      sodium_free (pair);
      return NULL;
    }
  return pair;
}

void
relay_sealed_key_free (RelaySealedKey *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->pair, sodium_free);
  g_clear_pointer (&self->certificate, g_bytes_unref);
  g_clear_pointer (&self->trust_root, g_bytes_unref);
  g_free (self);
}

guint32
relay_sealed_key_get_id (RelaySealedKey *self)
{
  return self->key_id;
}

GBytes *
relay_sealed_key_get_trust_root (RelaySealedKey *self)
{
  return self->trust_root;
}

/* Reads the optional "trust-root" field: the root's public key, which
 * must be the one whose signature the server certificate carries, or a
 * relay would publish a root that none of its certificates chain to. */
static gboolean
parse_trust_root (RelaySealedKey             *self,
                  const Field                *field,
                  const SpServerCertificate  *certificate,
                  GError                    **error)
{
  guint8 encoded[SP_PUBLIC_KEY_SIZE];
  SpPublicKey root;

  if (field->value == NULL)
    return TRUE;
  if (!decode_exact (field, encoded, sizeof encoded, error))
    return FALSE;
  if (sp_public_key_decode (&root, encoded, sizeof encoded) != SP_OK ||
      sp_xeddsa_verify (&root, certificate->certificate, certificate->certificate_len, certificate->signature,
                        certificate->signature_len) != SP_OK)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "“trust-root” in the key file is not the key that signed its certificate");
      return FALSE;
    }
  self->trust_root = g_bytes_new (encoded, sizeof encoded);
  return TRUE;
}

RelaySealedKey *
relay_sealed_key_parse (const char  *data,
                        gsize        length,
                        GError     **error)
{
  g_autoptr(RelaySealedKey) self = g_new0 (RelaySealedKey, 1);
  Field fields[] = {
    { .name = "key-id" }, { .name = "private-key" }, { .name = "certificate" },
    { .name = "trust-root", .optional = TRUE },
  };
  guint8 certificate[SP_SERVER_CERTIFICATE_MAX_SIZE];
  g_autofree char *key_id = NULL;
  SpServerCertificate decoded;
  size_t certificate_length = 0;
  guint64 id;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (!read_fields (data, length, fields, G_N_ELEMENTS (fields), error))
    return NULL;
  key_id = g_strndup (fields[0].value, fields[0].length);
  if (!g_ascii_string_to_unsigned (key_id, 10, 0, G_MAXUINT32, &id, NULL) ||
      id == SP_REVOKED_SERVER_CERTIFICATE_ID)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "“key-id” in the key file is not a key id");
      return NULL;
    }
  self->key_id = (guint32) id;
  if ((self->pair = decode_key_pair (&fields[1], error)) == NULL)
    return NULL;
  if (sodium_base642bin (certificate, sizeof certificate, fields[2].value, fields[2].length, NULL,
                         &certificate_length, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      sp_server_certificate_decode (&decoded, certificate, certificate_length) != SP_OK ||
      decoded.key_id != self->key_id ||
      sodium_memcmp (decoded.key.bytes, self->pair->public_key.bytes, SP_PUBLIC_KEY_SIZE) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "“certificate” in the key file is not a server certificate for this key and id");
      return NULL;
    }
  if (!parse_trust_root (self, &fields[3], &decoded, error))
    return NULL;
  self->certificate = g_bytes_new (certificate, certificate_length);
  return g_steal_pointer (&self);
}

/* Reads a whole file of at most RELAY_SEALED_FILE_MAX_BYTES into
 * guarded memory; NULL with `missing` set when it does not exist. */
static char *
read_guarded (const char  *path,
              gsize       *length,
              gboolean    *missing,
              GError     **error)
{
  char *data;
  ssize_t n;
  int fd;

  *missing = FALSE;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      *missing = errno == ENOENT;
      if (!*missing)
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "Cannot read %s: %s", path,
                     g_strerror (errno));
      return NULL;
    }
  data = sodium_malloc (RELAY_SEALED_FILE_MAX_BYTES + 1);
  n = read (fd, data, RELAY_SEALED_FILE_MAX_BYTES + 1);
  close (fd);
  if (n < 0 || n > RELAY_SEALED_FILE_MAX_BYTES)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "Cannot read %s, or it is too large", path);
      sodium_free (data);
      return NULL;
    }
  *length = (gsize) n;
  return data;
}

RelaySealedKey *
relay_sealed_key_load (const char  *data_dir,
                       GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, RELAY_SEALED_KEY_FILE, NULL);
  g_autoptr(GError) local_error = NULL;
  RelaySealedKey *key;
  gboolean missing;
  gsize length;
  char *data;

  if (sp_init () != SP_OK)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "The session core failed to initialise");
      return NULL;
    }
  data = read_guarded (path, &length, &missing, error);
  if (data == NULL)
    return NULL;
  key = relay_sealed_key_parse (data, length, &local_error);
  sodium_free (data);
  if (key == NULL)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s", path, local_error->message);
  return key;
}

GBytes *
relay_sealed_key_certify (RelaySealedKey  *self,
                          const char      *uuid,
                          guint32          device_id,
                          GBytes          *identity_key,
                          guint64          expires_ms,
                          GError         **error)
{
  gsize server_length = g_bytes_get_size (self->certificate);
  gsize size = SP_SENDER_CERTIFICATE_MAX_SIZE (server_length);
  g_autofree guint8 *out = g_malloc (size);
  guint8 random[SP_XEDDSA_RANDOM_SIZE];
  SpPublicKey identity;
  size_t length = 0;
  gsize identity_length;
  const guint8 *identity_data = g_bytes_get_data (identity_key, &identity_length);

  randombytes_buf (random, sizeof random);
  if (identity_length != SP_PUBLIC_KEY_SIZE ||
      sp_public_key_decode (&identity, identity_data, identity_length) != SP_OK ||
      sp_sender_certificate_create (out, size, &length, uuid, device_id, expires_ms, &identity,
                                    g_bytes_get_data (self->certificate, NULL), server_length,
                                    &self->pair->private_key, random) != SP_OK)
    {
      sodium_memzero (random, sizeof random);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot make a sender certificate");
      return NULL;
    }
  sodium_memzero (random, sizeof random);
  return g_bytes_new (out, length);
}

/* sotto-relay sealed-sender */

static char *
base64 (const guint8 *data,
        gsize         length)
{
  gsize size = sodium_base64_encoded_len (length, sodium_base64_VARIANT_ORIGINAL);
  char *text = sodium_malloc (size);

  sodium_bin2base64 (text, size, data, length, sodium_base64_VARIANT_ORIGINAL);
  return text;
}

/* Writes a new file, readable by its owner only, and never one that is
 * already there: a key file overwritten by mistake is a key lost. */
static gboolean
write_new_file (const char *path,
                const char *text)
{
  gsize length = strlen (text);
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  gboolean ok;

  if (fd < 0)
    {
      g_printerr ("sotto-relay: cannot create %s: %s\n", path, g_strerror (errno));
      return FALSE;
    }
  ok = write (fd, text, length) == (ssize_t) length && fsync (fd) == 0;
  ok = close (fd) == 0 && ok;
  if (!ok)
    {
      g_printerr ("sotto-relay: cannot write %s\n", path);
      unlink (path);
    }
  return ok;
}

/* Fills `text` (guarded, `size` bytes) with the lines of a key file. */
static gboolean
format_file (char       *text,
             gsize       size,
             const char *format,
             ...) G_GNUC_PRINTF (3, 4);

static gboolean
format_file (char       *text,
             gsize       size,
             const char *format,
             ...)
{
  va_list args;
  int n;

  va_start (args, format);
  n = g_vsnprintf (text, size, format, args);
  va_end (args);
  return n > 0 && (gsize) n < size;
}

static int
new_root (const char *path)
{
  SpKeyPair *root = sodium_malloc (sizeof *root);
  char *text = sodium_malloc (RELAY_SEALED_FILE_MAX_BYTES);
  char *private_text = NULL;
  char *public_text = NULL;
  int status = 1;

  if (sp_key_pair_generate (root) == SP_OK)
    {
      private_text = base64 (root->private_key.bytes, SP_PRIVATE_KEY_SIZE);
      public_text = base64 (root->public_key.bytes, SP_PUBLIC_KEY_SIZE);
      if (format_file (text, RELAY_SEALED_FILE_MAX_BYTES,
                       "# The sealed sender trust root of a Sotto relay: keep it offline.\n"
                       "private-key=%s\npublic-key=%s\n", private_text, public_text) &&
          write_new_file (path, text))
        {
          g_print ("%s\n", public_text);
          status = 0;
        }
    }
  g_clear_pointer (&private_text, sodium_free);
  g_clear_pointer (&public_text, sodium_free);
  sodium_free (text);
  sodium_free (root);
  return status;
}

/* Reads the trust root's key pair, and checks that its two halves
 * belong together. */
static SpKeyPair *
read_root (const char *path)
{
  Field fields[] = { { .name = "private-key" }, { .name = "public-key" } };
  g_autoptr(GError) error = NULL;
  guint8 public_key[SP_PUBLIC_KEY_SIZE];
  SpKeyPair *root = NULL;
  gboolean missing;
  gsize length;
  char *data = read_guarded (path, &length, &missing, &error);

  if (data != NULL && read_fields (data, length, fields, G_N_ELEMENTS (fields), &error) &&
      decode_exact (&fields[1], public_key, sizeof public_key, &error) &&
      (root = decode_key_pair (&fields[0], &error)) != NULL &&
      sodium_memcmp (root->public_key.bytes, public_key, SP_PUBLIC_KEY_SIZE) != 0)
    {
      g_set_error (&error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "its public key is not its private key's");
      g_clear_pointer (&root, sodium_free);
    }
  g_clear_pointer (&data, sodium_free);
  if (root == NULL)
    g_printerr ("sotto-relay: %s: %s\n", path, missing ? "no such file" : error->message);
  return root;
}

static int
issue (const char *root_path,
       const char *key_id_text,
       const char *path)
{
  guint8 certificate[SP_SERVER_CERTIFICATE_MAX_SIZE];
  guint8 random[SP_XEDDSA_RANDOM_SIZE];
  SpKeyPair *server = NULL;
  SpKeyPair *root = NULL;
  char *text = NULL;
  char *private_text = NULL;
  char *root_text = NULL;
  g_autofree char *certificate_text = NULL;
  size_t certificate_length = 0;
  guint64 key_id;
  int status = 1;

  if (!g_ascii_string_to_unsigned (key_id_text, 10, 0, G_MAXUINT32, &key_id, NULL) ||
      key_id == SP_REVOKED_SERVER_CERTIFICATE_ID)
    {
      g_printerr ("sotto-relay: %s is not a key id (0 to 4294967295, not 3735929687)\n", key_id_text);
      return 2;
    }
  if ((root = read_root (root_path)) == NULL)
    return 1;
  server = sodium_malloc (sizeof *server);
  text = sodium_malloc (RELAY_SEALED_FILE_MAX_BYTES);
  randombytes_buf (random, sizeof random);
  if (sp_key_pair_generate (server) == SP_OK &&
      sp_server_certificate_create (certificate, sizeof certificate, &certificate_length, (uint32_t) key_id,
                                    &server->public_key, &root->private_key, random) == SP_OK)
    {
      private_text = base64 (server->private_key.bytes, SP_PRIVATE_KEY_SIZE);
      root_text = base64 (root->public_key.bytes, SP_PUBLIC_KEY_SIZE);
      certificate_text = g_base64_encode (certificate, certificate_length);
      if (format_file (text, RELAY_SEALED_FILE_MAX_BYTES,
                       "# A Sotto relay's sealed sender server key, certified by its trust root.\n"
                       "key-id=%u\nprivate-key=%s\ncertificate=%s\ntrust-root=%s\n",
                       (guint) key_id, private_text, certificate_text, root_text) &&
          write_new_file (path, text))
        {
          g_print ("Issued server key %u; copy %s to the relay's data directory as %s and restart it\n",
                   (guint) key_id, path, RELAY_SEALED_KEY_FILE);
          status = 0;
        }
    }
  else
    g_printerr ("sotto-relay: cannot make the server certificate\n");
  sodium_memzero (random, sizeof random);
  g_clear_pointer (&private_text, sodium_free);
  g_clear_pointer (&root_text, sodium_free);
  sodium_free (text);
  sodium_free (server);
  sodium_free (root);
  return status;
}

int
relay_sealed_sender_main (int    argc,
                          char **argv)
{
  if (sp_init () != SP_OK)
    {
      g_printerr ("sotto-relay: the session core failed to initialise\n");
      return 1;
    }
  if (argc == 3 && strcmp (argv[1], "new-root") == 0)
    return new_root (argv[2]);
  if (argc == 5 && strcmp (argv[1], "issue") == 0)
    return issue (argv[2], argv[3], argv[4]);
  g_printerr ("Usage:\n"
              "  sotto-relay sealed-sender new-root ROOT_FILE\n"
              "      Makes a trust root, writes it to ROOT_FILE and prints its public key,\n"
              "      which clients are given as the relay's sealed sender trust root.\n"
              "  sotto-relay sealed-sender issue ROOT_FILE KEY_ID KEY_FILE\n"
              "      Makes a server key, certifies it with the root under KEY_ID and writes\n"
              "      both to KEY_FILE, for the relay's data directory as " RELAY_SEALED_KEY_FILE ".\n");
  return 2;
}
