/* sotto-store-key.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sotto-store-private.h"

/* Everything in the database that could identify a person or unlock a
 * message is sealed with XChaCha20-Poly1305 under a key derived from one
 * random database key.  That key never touches the disk in the clear: it
 * is either kept in the Secret Service or sealed under a key that
 * Argon2id derives from a passphrase.  The header table holds what is
 * needed to get there (which of the two, the KDF salt and costs, the
 * sealed key) and a MAC that tells a wrong key from a damaged file.  The
 * header table keeps this shape in every schema version, because it is
 * read before any migration can run. */

#define KDF_CONTEXT "sotto-db"
#define SUBKEY_SEAL 1
#define SUBKEY_LOOKUP 2
#define SUBKEY_CHECK 3

#define KEY_CHECK_MESSAGE "Sotto database key check"
#define WRAPPED_KEY_AD "Sotto wrapped database key"

#define NONCE_SIZE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES

G_STATIC_ASSERT (SOTTO_STORE_KEY_SIZE == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
G_STATIC_ASSERT (SOTTO_STORE_KEY_SIZE == crypto_kdf_KEYBYTES);
G_STATIC_ASSERT (sizeof KDF_CONTEXT - 1 == crypto_kdf_CONTEXTBYTES);

static SottoStoreKeys *
sotto_store_keys_new (void)
{
  SottoStoreKeys *keys = sodium_malloc (sizeof *keys);

  if (keys == NULL)
    g_error ("Could not allocate guarded memory for the database keys");

  sodium_memzero (keys, sizeof *keys);

  return keys;
}

void
_sotto_store_keys_free (SottoStoreKeys *keys)
{
  sodium_free (keys);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoStoreKeys, _sotto_store_keys_free)

static void
sotto_store_derive_subkeys (SottoStoreKeys *keys,
                            guint8          check[crypto_generichash_BYTES])
{
  guint8 check_key[SOTTO_STORE_KEY_SIZE];

  crypto_kdf_derive_from_key (keys->seal_key, sizeof keys->seal_key,
                              SUBKEY_SEAL, KDF_CONTEXT, keys->database_key);
  crypto_kdf_derive_from_key (keys->lookup_key, sizeof keys->lookup_key,
                              SUBKEY_LOOKUP, KDF_CONTEXT, keys->database_key);
  crypto_kdf_derive_from_key (check_key, sizeof check_key,
                              SUBKEY_CHECK, KDF_CONTEXT, keys->database_key);

  crypto_generichash (check, crypto_generichash_BYTES,
                      (const guint8 *) KEY_CHECK_MESSAGE, strlen (KEY_CHECK_MESSAGE),
                      check_key, sizeof check_key);

  sodium_memzero (check_key, sizeof check_key);
}

static gboolean
query_int (sqlite3     *db,
           const char  *sql,
           gint64      *value,
           GError     **error)
{
  sqlite3_stmt *statement = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, sql, -1, &statement, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (statement);

  if (rc == SQLITE_ROW)
    {
      *value = sqlite3_column_int64 (statement, 0);
      sqlite3_finalize (statement);
      return TRUE;
    }

  sqlite3_finalize (statement);

  if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
    g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_A_DATABASE,
                         _("The profile’s database file is damaged or not a database"));
  else
    g_set_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_FAILED,
                 _("Could not read the profile’s database: %s"), sqlite3_errstr (rc));

  return FALSE;
}

gboolean
_sotto_store_inspect (SottoStore  *self,
                      gboolean    *is_new,
                      guint       *version,
                      GError     **error)
{
  gint64 application_id;
  gint64 user_version;
  gint64 n_objects;

  if (!query_int (self->db, "PRAGMA application_id", &application_id, error)
      || !query_int (self->db, "PRAGMA user_version", &user_version, error)
      || !query_int (self->db, "SELECT count(*) FROM sqlite_master", &n_objects, error))
    return FALSE;

  if (user_version == 0 && n_objects == 0
      && (application_id == 0 || application_id == SOTTO_STORE_APPLICATION_ID))
    {
      *is_new = TRUE;
      *version = 0;
      return TRUE;
    }

  if (application_id != SOTTO_STORE_APPLICATION_ID || user_version <= 0)
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_FOREIGN,
                           _("The profile’s database belongs to another application"));
      return FALSE;
    }

  if (user_version > _sotto_store_schema_version ())
    {
      g_set_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_TOO_NEW,
                   _("The profile’s database was written by a newer version of Sotto "
                     "(schema %u, this version knows %u)"),
                   (guint) user_version, _sotto_store_schema_version ());
      return FALSE;
    }

  *is_new = FALSE;
  *version = user_version;

  return TRUE;
}

static gboolean
sotto_store_set_header (SottoStore    *self,
                        const char    *name,
                        const void    *value,
                        gsize          len,
                        GError       **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  statement = _sotto_store_prepare (self, "INSERT OR REPLACE INTO header (name, value) VALUES (?1, ?2)", error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_text (statement, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_blob (statement, 2, value, len, SQLITE_TRANSIENT);

  return _sotto_store_step_done (self, statement, error);
}

static gboolean
sotto_store_set_header_int (SottoStore  *self,
                            const char  *name,
                            gint64       value,
                            GError     **error)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, value);

  return sotto_store_set_header (self, name, text, strlen (text), error);
}

/* Copies the header value @name into @out, which must hold exactly
 * @size bytes; anything else means the header is damaged. */
static gboolean
sotto_store_get_header (SottoStore  *self,
                        const char  *name,
                        void        *out,
                        gsize        size,
                        GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;

  statement = _sotto_store_prepare (self, "SELECT value FROM header WHERE name = ?1", error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_text (statement, 1, name, -1, SQLITE_STATIC);

  if (sqlite3_step (statement) != SQLITE_ROW
      || sqlite3_column_bytes (statement, 0) != size)
    {
      g_set_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT,
                   _("The database header is damaged (%s)"), name);
      return FALSE;
    }

  memcpy (out, sqlite3_column_blob (statement, 0), size);

  return TRUE;
}

static gboolean
sotto_store_get_header_int (SottoStore  *self,
                            const char  *name,
                            guint64      max,
                            guint64     *value,
                            GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  const char *text = NULL;

  statement = _sotto_store_prepare (self, "SELECT CAST(value AS TEXT) FROM header WHERE name = ?1", error);
  if (statement == NULL)
    return FALSE;

  sqlite3_bind_text (statement, 1, name, -1, SQLITE_STATIC);

  if (sqlite3_step (statement) == SQLITE_ROW)
    text = (const char *) sqlite3_column_text (statement, 0);

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 1, max, value, NULL))
    {
      g_set_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT,
                   _("The database header is damaged (%s)"), name);
      return FALSE;
    }

  return TRUE;
}

static gboolean
sotto_store_derive_wrapping_key (const char                 *passphrase,
                                 const guint8               *salt,
                                 const SottoStoreKdfLimits  *limits,
                                 guint8                     *out,
                                 GError                    **error)
{
  if (crypto_pwhash (out, SOTTO_STORE_KEY_SIZE,
                     passphrase, strlen (passphrase), salt,
                     limits->opslimit, limits->memlimit,
                     crypto_pwhash_ALG_ARGON2ID13) != 0)
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_FAILED,
                           _("Not enough memory to derive the key from the passphrase"));
      return FALSE;
    }

  return TRUE;
}

/* Writes a new database: the schema, then the key material.  Runs in one
 * transaction, so a failure leaves an empty file behind, which the next
 * attempt treats as new again. */
gboolean
_sotto_store_create (SottoStore                 *self,
                     const char                 *profile,
                     const char                 *passphrase,
                     const SottoStoreKdfLimits  *limits,
                     GCancellable               *cancellable,
                     GError                    **error)
{
  g_autoptr(SottoStoreKeys) keys = sotto_store_keys_new ();
  guint8 check[crypto_generichash_BYTES];

  randombytes_buf (keys->database_key, sizeof keys->database_key);
  sotto_store_derive_subkeys (keys, check);

  if (!_sotto_store_begin (self, error))
    return FALSE;

  if (!_sotto_store_migrate (self, 0, error)
      || !sotto_store_set_header (self, "key-check", check, sizeof check, error))
    goto fail;

  if (passphrase != NULL)
    {
      guint8 salt[crypto_pwhash_SALTBYTES];
      guint8 wrapped[SOTTO_STORE_KEY_SIZE + SOTTO_STORE_SEAL_OVERHEAD];
      guint8 *wrapping_key;
      gboolean derived;

      randombytes_buf (salt, sizeof salt);

      wrapping_key = sodium_malloc (SOTTO_STORE_KEY_SIZE);
      if (wrapping_key == NULL)
        g_error ("Could not allocate guarded memory for a key");

      derived = sotto_store_derive_wrapping_key (passphrase, salt, limits, wrapping_key, error);
      if (derived)
        {
          randombytes_buf (wrapped, NONCE_SIZE);
          crypto_aead_xchacha20poly1305_ietf_encrypt (wrapped + NONCE_SIZE, NULL,
                                                      keys->database_key, sizeof keys->database_key,
                                                      (const guint8 *) WRAPPED_KEY_AD, strlen (WRAPPED_KEY_AD),
                                                      NULL, wrapped, wrapping_key);
        }
      sodium_free (wrapping_key);

      if (!derived
          || !sotto_store_set_header (self, "key-source", "passphrase", strlen ("passphrase"), error)
          || !sotto_store_set_header (self, "kdf-salt", salt, sizeof salt, error)
          || !sotto_store_set_header_int (self, "kdf-opslimit", limits->opslimit, error)
          || !sotto_store_set_header_int (self, "kdf-memlimit", limits->memlimit, error)
          || !sotto_store_set_header (self, "wrapped-key", wrapped, sizeof wrapped, error))
        goto fail;

      self->key_source = SOTTO_KEY_SOURCE_PASSPHRASE;
    }
  else
    {
      g_autoptr(GError) keyring_error = NULL;

      if (!sotto_store_set_header (self, "key-source", "keyring", strlen ("keyring"), error))
        goto fail;

      /* The key goes into the keyring before the commit: if that fails,
       * no database exists whose key could be lost. */
      if (!_sotto_store_keyring_store (profile, keys->database_key, cancellable, &keyring_error))
        {
          g_set_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_PASSPHRASE_REQUIRED,
                       _("No keyring can keep the database key (%s); a passphrase is needed"),
                       keyring_error->message);
          goto fail;
        }

      self->key_source = SOTTO_KEY_SOURCE_KEYRING;
    }

  if (!_sotto_store_commit (self, error))
    return FALSE;

  self->keys = g_steal_pointer (&keys);

  return TRUE;

fail:
  _sotto_store_rollback (self);

  return FALSE;
}

static gboolean
sotto_store_unwrap_key (SottoStore      *self,
                        const char      *passphrase,
                        SottoStoreKeys  *keys,
                        GError         **error)
{
  SottoStoreKdfLimits limits;
  guint8 salt[crypto_pwhash_SALTBYTES];
  guint8 wrapped[SOTTO_STORE_KEY_SIZE + SOTTO_STORE_SEAL_OVERHEAD];
  guint64 opslimit;
  guint64 memlimit;
  guint8 *wrapping_key;
  int rc;

  if (passphrase == NULL)
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_PASSPHRASE_REQUIRED,
                           _("The database is protected by a passphrase"));
      return FALSE;
    }

  /* Costs beyond libsodium's "sensitive" level are more than Sotto ever
   * writes; a header asking for them would only make opening hang. */
  if (!sotto_store_get_header (self, "kdf-salt", salt, sizeof salt, error)
      || !sotto_store_get_header_int (self, "kdf-opslimit", crypto_pwhash_OPSLIMIT_SENSITIVE, &opslimit, error)
      || !sotto_store_get_header_int (self, "kdf-memlimit", crypto_pwhash_MEMLIMIT_SENSITIVE, &memlimit, error)
      || !sotto_store_get_header (self, "wrapped-key", wrapped, sizeof wrapped, error))
    return FALSE;

  limits.opslimit = opslimit;
  limits.memlimit = memlimit;

  wrapping_key = sodium_malloc (SOTTO_STORE_KEY_SIZE);
  if (wrapping_key == NULL)
    g_error ("Could not allocate guarded memory for a key");

  if (!sotto_store_derive_wrapping_key (passphrase, salt, &limits, wrapping_key, error))
    {
      sodium_free (wrapping_key);
      return FALSE;
    }

  rc = crypto_aead_xchacha20poly1305_ietf_decrypt (keys->database_key, NULL, NULL,
                                                   wrapped + NONCE_SIZE, sizeof wrapped - NONCE_SIZE,
                                                   (const guint8 *) WRAPPED_KEY_AD, strlen (WRAPPED_KEY_AD),
                                                   wrapped, wrapping_key);
  sodium_free (wrapping_key);

  if (rc != 0)
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_WRONG_PASSPHRASE,
                           _("The passphrase is wrong"));
      return FALSE;
    }

  return TRUE;
}

gboolean
_sotto_store_unlock (SottoStore    *self,
                     const char    *profile,
                     const char    *passphrase,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr(SottoStoreKeys) keys = sotto_store_keys_new ();
  guint8 stored_check[crypto_generichash_BYTES];
  guint8 check[crypto_generichash_BYTES];
  char source[16] = { 0 };
  g_autoptr(SottoStoreStatement) statement = NULL;

  statement = _sotto_store_prepare (self, "SELECT value FROM header WHERE name = 'key-source'", error);
  if (statement == NULL)
    return FALSE;

  if (sqlite3_step (statement) == SQLITE_ROW
      && sqlite3_column_bytes (statement, 0) < sizeof source)
    memcpy (source, sqlite3_column_blob (statement, 0), sqlite3_column_bytes (statement, 0));
  g_clear_pointer (&statement, _sotto_store_statement_release);

  if (g_str_equal (source, "passphrase"))
    {
      self->key_source = SOTTO_KEY_SOURCE_PASSPHRASE;

      if (!sotto_store_unwrap_key (self, passphrase, keys, error))
        return FALSE;
    }
  else if (g_str_equal (source, "keyring"))
    {
      g_autoptr(GError) keyring_error = NULL;
      gboolean found = FALSE;

      self->key_source = SOTTO_KEY_SOURCE_KEYRING;

      if (!_sotto_store_keyring_lookup (profile, keys->database_key, &found, cancellable, &keyring_error))
        {
          g_set_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_KEY_MISSING,
                       _("Could not read the database key from the keyring: %s"),
                       keyring_error->message);
          return FALSE;
        }

      if (!found)
        {
          g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_KEY_MISSING,
                               _("The keyring has no key for this profile’s database"));
          return FALSE;
        }
    }
  else
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT,
                           _("The database header is damaged (key-source)"));
      return FALSE;
    }

  if (!sotto_store_get_header (self, "key-check", stored_check, sizeof stored_check, error))
    return FALSE;

  sotto_store_derive_subkeys (keys, check);

  if (sodium_memcmp (check, stored_check, sizeof check) != 0)
    {
      /* A wrapped key that decrypts is the right one; only a damaged
       * header gets here in passphrase mode. */
      if (self->key_source == SOTTO_KEY_SOURCE_KEYRING)
        g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_WRONG_KEY,
                             _("The key in the keyring does not unlock this profile’s database"));
      else
        g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT,
                             _("The database header is damaged (key-check)"));
      return FALSE;
    }

  self->keys = g_steal_pointer (&keys);

  return TRUE;
}
