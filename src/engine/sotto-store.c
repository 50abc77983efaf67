/* sotto-store.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "sotto-engine-enums.h"
#include "sotto-engine-private.h"
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
#define TAG_SIZE crypto_aead_xchacha20poly1305_ietf_ABYTES

/* Costs for a new passphrase: libsodium's "moderate" level, 256 MiB and
 * about half a second, paid once when the profile is unlocked. */
static const SottoStoreKdfLimits default_kdf_limits = {
  crypto_pwhash_OPSLIMIT_MODERATE,
  crypto_pwhash_MEMLIMIT_MODERATE,
};

G_STATIC_ASSERT (SOTTO_STORE_SEAL_OVERHEAD == NONCE_SIZE + TAG_SIZE);
G_STATIC_ASSERT (SOTTO_STORE_KEY_SIZE == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
G_STATIC_ASSERT (SOTTO_STORE_KEY_SIZE == crypto_kdf_KEYBYTES);
G_STATIC_ASSERT (sizeof KDF_CONTEXT - 1 == crypto_kdf_CONTEXTBYTES);

typedef struct
{
  GTask *task;
  GTaskThreadFunc func;
} SottoStoreJob;

enum {
  PROP_0,
  PROP_DIRECTORY,
  PROP_KEY_SOURCE,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (SottoStore, sotto_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (sotto-store-error-quark, sotto_store_error)

static GParamSpec *properties [N_PROPS];

static SottoStoreKeys *
sotto_store_keys_new (void)
{
  SottoStoreKeys *keys = sodium_malloc (sizeof *keys);

  if (keys == NULL)
    g_error ("Could not allocate guarded memory for the database keys");

  sodium_memzero (keys, sizeof *keys);

  return keys;
}

static void
sotto_store_keys_free (SottoStoreKeys *keys)
{
  sodium_free (keys);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SottoStoreKeys, sotto_store_keys_free)

static char *
secure_strdup (const char *string)
{
  gsize len = strlen (string) + 1;
  char *copy = sodium_malloc (len);

  if (copy == NULL)
    g_error ("Could not allocate guarded memory for a passphrase");

  memcpy (copy, string, len);

  return copy;
}

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

void
_sotto_store_statement_release (SottoStoreStatement *statement)
{
  sqlite3_reset (statement);
  sqlite3_clear_bindings (statement);
}

void
_sotto_store_set_sqlite_error (SottoStore  *self,
                               int          rc,
                               const char  *what,
                               GError     **error)
{
  int code;

  switch (rc & 0xff)
    {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      code = SOTTO_STORE_ERROR_NOT_A_DATABASE;
      break;

    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        code = SOTTO_STORE_ERROR_EXISTS;
      else
        code = SOTTO_STORE_ERROR_FAILED;
      break;

    default:
      code = SOTTO_STORE_ERROR_FAILED;
      break;
    }

  /* Translators: an error: what failed ("Could not read the outbox"),
   * then SQLite's own explanation, which is in English */
  g_set_error (error, SOTTO_STORE_ERROR, code, _("%s (%s)"), what,
               self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
}

gboolean
_sotto_store_check_open (SottoStore  *self,
                         GError     **error)
{
  if (self->db == NULL)
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CLOSED,
                           _("The database is closed"));
      return FALSE;
    }

  return TRUE;
}

SottoStoreStatement *
_sotto_store_prepare (SottoStore  *self,
                      const char  *sql,
                      GError     **error)
{
  sqlite3_stmt *statement;
  int rc;

  g_assert (SOTTO_IS_STORE (self));
  g_assert (sql != NULL);

  if (!_sotto_store_check_open (self, error))
    return NULL;

  /* Keyed by the address of the (static) SQL text: every caller passes a
   * string literal, so a lookup never hashes the whole statement. */
  statement = g_hash_table_lookup (self->statements, sql);
  if (statement != NULL)
    return statement;

  rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, NULL);
  if (rc != SQLITE_OK)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not prepare a statement"), error);
      return NULL;
    }

  g_hash_table_insert (self->statements, (gpointer) sql, statement);

  return statement;
}

gboolean
_sotto_store_step_done (SottoStore           *self,
                        SottoStoreStatement  *statement,
                        GError              **error)
{
  int rc = sqlite3_step (statement);

  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not write to the database"), error);
      return FALSE;
    }

  return TRUE;
}

/* Steps @statement to the one row it selects.  Without that row, fails
 * with %SOTTO_STORE_ERROR_NOT_FOUND and the message @not_found: the
 * caller asked for a record that is not there.  A failure of SQLite is
 * reported as @what. */
gboolean
_sotto_store_step_row (SottoStore           *self,
                       SottoStoreStatement  *statement,
                       GError              **error,
                       const char           *what,
                       const char           *not_found,
                       ...)
{
  int rc = sqlite3_step (statement);

  if (rc == SQLITE_ROW)
    return TRUE;

  if (rc == SQLITE_DONE)
    {
      va_list args;

      va_start (args, not_found);
      g_propagate_error (error, g_error_new_valist (SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_NOT_FOUND,
                                                    not_found, args));
      va_end (args);
    }
  else
    {
      _sotto_store_set_sqlite_error (self, rc, what, error);
    }

  return FALSE;
}

/* Prepares @sql, which selects one row by its id, ?1; binds @id and
 * steps to that row.  Fails as _sotto_store_step_row() does, with
 * @not_found when there is no such row. */
SottoStoreStatement *
_sotto_store_select_by_id (SottoStore  *self,
                           const char  *sql,
                           gint64       id,
                           const char  *what,
                           const char  *not_found,
                           GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = _sotto_store_prepare (self, sql, error);

  if (statement == NULL)
    return NULL;

  sqlite3_bind_int64 (statement, 1, id);

  if (!_sotto_store_step_row (self, statement, error, what, "%s", not_found))
    return NULL;

  return g_steal_pointer (&statement);
}

/* Runs @sql, a statement that returns no rows, with @value bound to ?1. */
gboolean
_sotto_store_exec_int64 (SottoStore  *self,
                         const char  *sql,
                         gint64       value,
                         GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = _sotto_store_prepare (self, sql, error);

  if (statement == NULL)
    return FALSE;

  sqlite3_bind_int64 (statement, 1, value);

  return _sotto_store_step_done (self, statement, error);
}

/* Reads the next free row id from @sql, a query of the form
 * "SELECT IFNULL(MAX(id), 0) + 1 FROM table".  Sealed columns are bound
 * to their row's id, so a row needs its id before it is written. */
gboolean
_sotto_store_next_id (SottoStore  *self,
                      const char  *sql,
                      gint64      *id,
                      GError     **error)
{
  g_autoptr(SottoStoreStatement) statement = NULL;
  int rc;

  statement = _sotto_store_prepare (self, sql, error);
  if (statement == NULL)
    return FALSE;

  rc = sqlite3_step (statement);
  if (rc != SQLITE_ROW)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not read the database"), error);
      return FALSE;
    }

  *id = sqlite3_column_int64 (statement, 0);

  return TRUE;
}

gboolean
_sotto_store_exec (SottoStore  *self,
                   const char  *sql,
                   GError     **error)
{
  int rc;

  if (!_sotto_store_check_open (self, error))
    return FALSE;

  rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not update the database"), error);
      return FALSE;
    }

  return TRUE;
}

/* Transactions.  A job that writes several unrelated things, each of
 * which may fail on its own, groups them in a batch: one transaction,
 * and one sync to disk, in which every _sotto_store_begin() ..
 * _sotto_store_commit() is a savepoint.  What a savepoint released is
 * durable only once _sotto_store_commit_batch() succeeds, so nothing may
 * leave the thread (an acknowledgement, a ciphertext) before that. */
gboolean
_sotto_store_begin (SottoStore  *self,
                    GError     **error)
{
  if (!self->in_batch)
    return _sotto_store_exec (self, "BEGIN IMMEDIATE", error);

  /* The batch's transaction is gone (SQLite rolls back on its own after
   * some errors): a savepoint now would be a transaction of its own,
   * committed out of the batch's order. */
  if (self->batch_failed || sqlite3_get_autocommit (self->db))
    {
      self->batch_failed = TRUE;
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_FAILED,
                           _("Could not update the database: an earlier change failed"));
      return FALSE;
    }

  return _sotto_store_exec (self, "SAVEPOINT unit", error);
}

gboolean
_sotto_store_commit (SottoStore  *self,
                     GError     **error)
{
  if (_sotto_store_exec (self, self->in_batch ? "RELEASE unit" : "COMMIT", error))
    return TRUE;

  _sotto_store_rollback (self);

  return FALSE;
}

void
_sotto_store_rollback (SottoStore *self)
{
  /* SQLite may have rolled back already (after SQLITE_FULL, for one);
   * then there is nothing left to undo and the error says so. */
  if (self->db == NULL || sqlite3_get_autocommit (self->db))
    {
      if (self->in_batch)
        self->batch_failed = TRUE;
      return;
    }

  if (!self->in_batch)
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  else if (sqlite3_exec (self->db, "ROLLBACK TO unit; RELEASE unit", NULL, NULL, NULL) != SQLITE_OK)
    self->batch_failed = TRUE;
}

/* Starts a batch on the store's thread; end it with
 * _sotto_store_commit_batch(), whatever happened inside. */
gboolean
_sotto_store_begin_batch (SottoStore  *self,
                          GError     **error)
{
  g_assert (!self->in_batch);

  if (!_sotto_store_exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;

  self->in_batch = TRUE;
  self->batch_failed = FALSE;

  return TRUE;
}

/* Commits what the batch's savepoints released, or, when one of them
 * could not be undone cleanly, nothing: then every change made in the
 * batch is lost and @error is set. */
gboolean
_sotto_store_commit_batch (SottoStore  *self,
                           GError     **error)
{
  gboolean failed = self->batch_failed;

  g_assert (self->in_batch);

  self->in_batch = FALSE;
  self->batch_failed = FALSE;

  if (failed)
    {
      _sotto_store_rollback (self);
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_FAILED,
                           _("Could not update the database"));
      return FALSE;
    }

  if (sqlite3_get_autocommit (self->db))
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_FAILED,
                           _("Could not update the database: the changes were rolled back"));
      return FALSE;
    }

  return _sotto_store_commit (self, error);
}

/* Room for "table.column.id" with the longest names and any 64-bit id. */
#define ASSOCIATED_DATA_SIZE 96

/* Writes "table.column.id" to @ad and returns its length: the data that
 * binds a sealed value to its place, so that it does not open when moved
 * to another row or column.  Written out by hand rather than formatted,
 * since a search makes one for every message it unseals. */
static gsize
sotto_store_associated_data (char        ad[ASSOCIATED_DATA_SIZE],
                             const char *table,
                             const char *column,
                             gint64      id)
{
  gsize table_len = strlen (table);
  gsize column_len = strlen (column);
  guint64 magnitude = id < 0 ? -(guint64) id : (guint64) id;
  char digits[20];
  gsize n_digits = 0;
  gsize len = 0;

  g_assert (table_len + column_len + 3 + sizeof digits <= ASSOCIATED_DATA_SIZE);

  memcpy (ad, table, table_len);
  len += table_len;
  ad[len++] = '.';
  memcpy (ad + len, column, column_len);
  len += column_len;
  ad[len++] = '.';
  if (id < 0)
    ad[len++] = '-';

  do
    {
      digits[n_digits++] = '0' + magnitude % 10;
      magnitude /= 10;
    }
  while (magnitude > 0);

  while (n_digits > 0)
    ad[len++] = digits[--n_digits];

  return len;
}

gboolean
_sotto_store_bind_sealed (SottoStore           *self,
                          SottoStoreStatement  *statement,
                          int                   index,
                          const char           *table,
                          const char           *column,
                          gint64                id,
                          const void           *data,
                          gsize                 len,
                          GError              **error)
{
  char ad[ASSOCIATED_DATA_SIZE];
  gsize ad_len;
  guint8 *sealed;
  gsize sealed_len;
  int rc;

  g_assert (self->keys != NULL);
  g_assert (data != NULL || len == 0);

  ad_len = sotto_store_associated_data (ad, table, column, id);
  sealed_len = len + SOTTO_STORE_SEAL_OVERHEAD;
  sealed = g_malloc (sealed_len);

  randombytes_buf (sealed, NONCE_SIZE);
  crypto_aead_xchacha20poly1305_ietf_encrypt (sealed + NONCE_SIZE, NULL,
                                              data, len,
                                              (const guint8 *) ad, ad_len,
                                              NULL, sealed, self->keys->seal_key);

  rc = sqlite3_bind_blob64 (statement, index, sealed, sealed_len, g_free);
  if (rc != SQLITE_OK)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not bind a value"), error);
      return FALSE;
    }

  return TRUE;
}

gboolean
_sotto_store_bind_sealed_string (SottoStore           *self,
                                 SottoStoreStatement  *statement,
                                 int                   index,
                                 const char           *table,
                                 const char           *column,
                                 gint64                id,
                                 const char           *string,
                                 GError              **error)
{
  if (string == NULL)
    {
      sqlite3_bind_null (statement, index);
      return TRUE;
    }

  return _sotto_store_bind_sealed (self, statement, index, table, column, id,
                                   string, strlen (string), error);
}

gboolean
_sotto_store_column_unseal (SottoStore           *self,
                            SottoStoreStatement  *statement,
                            int                   index,
                            const char           *table,
                            const char           *column,
                            gint64                id,
                            guint8               *out,
                            gsize                 out_size,
                            gsize                *out_len,
                            GError              **error)
{
  char ad[ASSOCIATED_DATA_SIZE];
  gsize ad_len;
  const guint8 *sealed;
  gsize sealed_len;
  unsigned long long len;

  g_assert (self->keys != NULL);

  sealed = sqlite3_column_blob (statement, index);
  sealed_len = sqlite3_column_bytes (statement, index);

  if (sealed == NULL
      || sealed_len < SOTTO_STORE_SEAL_OVERHEAD
      || sealed_len - SOTTO_STORE_SEAL_OVERHEAD > out_size)
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT,
                           _("A stored record is damaged"));
      return FALSE;
    }

  ad_len = sotto_store_associated_data (ad, table, column, id);

  if (crypto_aead_xchacha20poly1305_ietf_decrypt (out, &len, NULL,
                                                  sealed + NONCE_SIZE, sealed_len - NONCE_SIZE,
                                                  (const guint8 *) ad, ad_len,
                                                  sealed, self->keys->seal_key) != 0)
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT,
                           _("A stored record does not decrypt"));
      return FALSE;
    }

  *out_len = len;

  return TRUE;
}

/* Unseals column @index into memory of its own, with @spare bytes more
 * at the end; *out is %NULL for a NULL column. */
static gboolean
column_unseal_new (SottoStore           *self,
                   SottoStoreStatement  *statement,
                   int                   index,
                   const char           *table,
                   const char           *column,
                   gint64                id,
                   gsize                 spare,
                   guint8              **out,
                   gsize                *out_len,
                   GError              **error)
{
  g_autofree guint8 *plain = NULL;
  gsize size;

  *out = NULL;
  *out_len = 0;

  if (sqlite3_column_type (statement, index) == SQLITE_NULL)
    return TRUE;

  size = MAX (sqlite3_column_bytes (statement, index), SOTTO_STORE_SEAL_OVERHEAD);
  plain = g_malloc (size + spare);

  if (!_sotto_store_column_unseal (self, statement, index, table, column, id, plain, size, out_len, error))
    return FALSE;

  *out = g_steal_pointer (&plain);

  return TRUE;
}

gboolean
_sotto_store_column_unseal_bytes (SottoStore           *self,
                                  SottoStoreStatement  *statement,
                                  int                   index,
                                  const char           *table,
                                  const char           *column,
                                  gint64                id,
                                  GBytes              **out,
                                  GError              **error)
{
  guint8 *plain;
  gsize len;

  if (!column_unseal_new (self, statement, index, table, column, id, 0, &plain, &len, error))
    return FALSE;

  *out = plain != NULL ? g_bytes_new_take (plain, len) : NULL;

  return TRUE;
}

gboolean
_sotto_store_column_unseal_string (SottoStore           *self,
                                   SottoStoreStatement  *statement,
                                   int                   index,
                                   const char           *table,
                                   const char           *column,
                                   gint64                id,
                                   char                **out,
                                   GError              **error)
{
  g_autofree guint8 *plain = NULL;
  gsize len;

  if (!column_unseal_new (self, statement, index, table, column, id, 1, &plain, &len, error))
    return FALSE;

  if (plain == NULL)
    {
      *out = NULL;
      return TRUE;
    }

  plain[len] = '\0';

  if (!g_utf8_validate ((const char *) plain, len, NULL))
    {
      g_set_error_literal (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_CORRUPT,
                           _("A stored text is not valid UTF-8"));
      return FALSE;
    }

  *out = (char *) g_steal_pointer (&plain);

  return TRUE;
}

void
_sotto_store_bind_lookup_hash (SottoStore          *self,
                               SottoStoreStatement *statement,
                               int                  index,
                               const char          *table,
                               const char          *column,
                               const void          *data,
                               gsize                len)
{
  crypto_generichash_state state;
  guint8 hash[crypto_generichash_BYTES];

  g_assert (self->keys != NULL);

  /* The table and column go into the hash so that equal values in two
   * columns do not produce equal, linkable hashes. */
  crypto_generichash_init (&state, self->keys->lookup_key, sizeof self->keys->lookup_key, sizeof hash);
  crypto_generichash_update (&state, (const guint8 *) table, strlen (table) + 1);
  crypto_generichash_update (&state, (const guint8 *) column, strlen (column) + 1);
  crypto_generichash_update (&state, data, len);
  crypto_generichash_final (&state, hash, sizeof hash);

  sqlite3_bind_blob (statement, index, hash, sizeof hash, SQLITE_TRANSIENT);
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

static gboolean
sotto_store_inspect (SottoStore  *self,
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
static gboolean
sotto_store_create (SottoStore                 *self,
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

static gboolean
sotto_store_unlock (SottoStore    *self,
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

static void
sotto_store_close_db (SottoStore *self)
{
  g_hash_table_remove_all (self->statements);
  g_clear_pointer (&self->db, sqlite3_close);
}

static gboolean
sotto_store_open_db (SottoStore  *self,
                     const char  *path,
                     int          flags,
                     GError     **error)
{
  int rc;

  g_assert (self->db == NULL);

  rc = sqlite3_open_v2 (path, &self->db, flags, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, SOTTO_STORE_ERROR, SOTTO_STORE_ERROR_FAILED,
                   _("Could not open the profile’s database: %s"), sqlite3_errstr (rc));
      return FALSE;
    }

  sqlite3_extended_result_codes (self->db, TRUE);

  return TRUE;
}

/* Takes away what others may do with @path, if it exists: a profile is
 * its owner's alone. */
static gboolean
restrict_to_owner (const char  *path,
                   int          mode,
                   GError     **error)
{
  GStatBuf buf;

  if (g_stat (path, &buf) != 0 || (buf.st_mode & 0077) == 0)
    return TRUE;

  if (g_chmod (path, mode) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not make %s private: %s"), path, g_strerror (errsv));
      return FALSE;
    }

  return TRUE;
}

static gboolean
sotto_store_open_internal (SottoStore                 *self,
                           const char                 *passphrase,
                           const SottoStoreKdfLimits  *limits,
                           GCancellable               *cancellable,
                           GError                    **error)
{
  g_autofree char *profile = NULL;
  g_autofree char *path = NULL;
  g_autofree char *wal_path = NULL;
  g_autofree char *shm_path = NULL;
  gboolean had_wal = TRUE;
  gboolean had_shm = TRUE;
  gboolean created = FALSE;
  gboolean is_new = FALSE;
  guint version = 0;

  g_assert (self->db == NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  profile = g_file_get_path (self->directory);
  path = g_build_filename (profile, SOTTO_STORE_DATABASE_NAME, NULL);
  wal_path = g_strconcat (path, "-wal", NULL);
  shm_path = g_strconcat (path, "-shm", NULL);

  if (g_mkdir_with_parents (profile, 0700) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not create the profile directory %s: %s"),
                   profile, g_strerror (errsv));
      return FALSE;
    }

  /* An existing directory, given as a profile, keeps the permissions
   * it had; an existing database may come from a version that left
   * them to the umask. */
  if (!restrict_to_owner (profile, 0700, error)
      || !restrict_to_owner (path, 0600, error)
      || !restrict_to_owner (wal_path, 0600, error)
      || !restrict_to_owner (shm_path, 0600, error))
    return FALSE;

  /* Before anything reads or writes the database. */
  self->lock_fd = _sotto_store_lock_profile (profile, error);
  if (self->lock_fd < 0)
    return FALSE;

  /* SQLite would create the file with the umask's permissions; the
   * contents are sealed, but the file is still nobody else's business.
   * SQLite gives its -wal and -shm files the database's. */
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      int fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

      if (fd < 0)
        {
          int errsv = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       _("Could not create the database %s: %s"), path, g_strerror (errsv));
          return FALSE;
        }

      g_close (fd, NULL);
      created = TRUE;
    }

  /* Reading a database in WAL mode creates its -wal and -shm files; a
   * failed open removes them again if they were not there before. */
  had_wal = g_file_test (wal_path, G_FILE_TEST_EXISTS);
  had_shm = g_file_test (shm_path, G_FILE_TEST_EXISTS);

  /* Everything that can fail on a database that is not ours, or not
   * ours to open, happens on a read-only connection, which never
   * writes: not even the checkpoint that a read-write connection runs
   * when it closes a database in WAL mode.  Such a file is left exactly
   * as it was. */
  if (!sotto_store_open_db (self, path, SQLITE_OPEN_READONLY, error)
      || !sotto_store_inspect (self, &is_new, &version, error)
      || (!is_new && !sotto_store_unlock (self, profile, passphrase, cancellable, error)))
    goto fail;

  sotto_store_close_db (self);

  if (!sotto_store_open_db (self, path, SQLITE_OPEN_READWRITE, error))
    goto fail;

  /* Full synchronisation: a message is acknowledged to the relay once it
   * is stored, so a commit must survive a power cut. */
  if (!_sotto_store_exec (self,
                          "PRAGMA foreign_keys = ON;"
                          /* What is deleted (an expired or deleted message's
                           * sealed body) is overwritten, not left in free pages. */
                          "PRAGMA secure_delete = ON;"
                          "PRAGMA synchronous = FULL;"
                          "PRAGMA trusted_schema = OFF;",
                          error))
    goto fail;

  if (is_new)
    {
      if (!sotto_store_create (self, profile, passphrase, limits, cancellable, error))
        goto fail;
    }
  else if (version < _sotto_store_schema_version ())
    {
      if (!_sotto_store_begin (self, error))
        goto fail;

      if (!_sotto_store_migrate (self, version, error))
        {
          _sotto_store_rollback (self);
          goto fail;
        }

      if (!_sotto_store_commit (self, error))
        goto fail;
    }

  if (!_sotto_store_exec (self, "PRAGMA journal_mode = WAL", error))
    goto fail;

  return TRUE;

fail:
  sotto_store_close_db (self);
  g_clear_pointer (&self->keys, sotto_store_keys_free);
  _sotto_store_unlock_profile (self->lock_fd);
  self->lock_fd = -1;

  if (created)
    g_unlink (path);
  if (!had_wal)
    g_unlink (wal_path);
  if (!had_shm)
    g_unlink (shm_path);

  return FALSE;
}

SottoStore *
_sotto_store_open_sync (GFile                      *directory,
                        const char                 *passphrase,
                        const SottoStoreKdfLimits  *limits,
                        GCancellable               *cancellable,
                        GError                    **error)
{
  g_autoptr(SottoStore) self = NULL;

  g_return_val_if_fail (G_IS_FILE (directory), NULL);
  g_return_val_if_fail (g_file_peek_path (directory) != NULL, NULL);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), NULL);

  self = g_object_new (SOTTO_TYPE_STORE,
                       "directory", directory,
                       NULL);

  if (!sotto_store_open_internal (self, passphrase, limits ? limits : &default_kdf_limits,
                                  cancellable, error))
    return NULL;

  return g_steal_pointer (&self);
}

gboolean
_sotto_store_close_sync (SottoStore  *self,
                         GError     **error)
{
  int rc;

  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);

  if (!_sotto_store_check_open (self, error))
    return FALSE;

  g_hash_table_remove_all (self->statements);

  rc = sqlite3_close (self->db);
  if (rc != SQLITE_OK)
    {
      _sotto_store_set_sqlite_error (self, rc, _("Could not close the database"), error);
      return FALSE;
    }

  self->db = NULL;
  g_clear_pointer (&self->keys, sotto_store_keys_free);
  _sotto_store_unlock_profile (self->lock_fd);
  self->lock_fd = -1;

  return TRUE;
}

/* Set while the store's thread runs a job: the models are made on the
 * main thread only (sotto-records-private.h), and assert it. */
static GPrivate in_store_job;

gboolean
_sotto_store_in_job (void)
{
  return GPOINTER_TO_INT (g_private_get (&in_store_job));
}

static gboolean
sotto_store_release_task_cb (gpointer data)
{
  g_object_unref (data);

  return G_SOURCE_REMOVE;
}

static void
sotto_store_thread_func (gpointer data,
                         gpointer user_data)
{
  SottoStoreJob *job = data;
  GTask *task = job->task;
  GSource *source;

  g_private_set (&in_store_job, GINT_TO_POINTER (TRUE));
  if (!g_task_return_error_if_cancelled (task))
    job->func (task,
               g_task_get_source_object (task),
               g_task_get_task_data (task),
               g_task_get_cancellable (task));
  g_private_set (&in_store_job, GINT_TO_POINTER (FALSE));

  /* Once the caller has let go, the task may hold the last reference to
   * the store, and finalizing the store here would wait for this very
   * thread.  The reference goes back to the task's context, where the
   * callback runs too.  (Not with g_main_context_invoke(), which runs
   * the function right here when the context happens to be free.) */
  source = g_idle_source_new ();
  g_source_set_priority (source, g_task_get_priority (task));
  g_source_set_callback (source, sotto_store_release_task_cb, task, NULL);
  g_source_set_static_name (source, "[sotto] release store job");
  g_source_attach (source, g_task_get_context (task));
  g_source_unref (source);

  g_free (job);
}

/* Runs @func for @task on the store's thread, after every job queued
 * before it. */
void
_sotto_store_run_in_thread (SottoStore      *self,
                            GTask           *task,
                            GTaskThreadFunc  func)
{
  SottoStoreJob *job;

  g_return_if_fail (SOTTO_IS_STORE (self));
  g_return_if_fail (G_IS_TASK (task));
  g_return_if_fail (func != NULL);

  job = g_new0 (SottoStoreJob, 1);
  job->task = g_object_ref (task);
  job->func = func;

  g_thread_pool_push (self->thread, job, NULL);
}

/* Runs @func as a step of @task: a task of its own with @task's source
 * object, cancellable, source tag and data, on the store's thread, or
 * on a worker thread for a @store of %NULL (for work that does not touch
 * the database, like making keys).  @task keeps the data; @callback gets
 * a reference to @task as its user data. */
void
_sotto_task_run_step (GTask               *task,
                      SottoStore          *store,
                      GTaskThreadFunc      func,
                      GAsyncReadyCallback  callback)
{
  g_autoptr(GTask) step = NULL;

  g_assert (store == NULL || SOTTO_IS_STORE (store));
  g_assert (G_IS_TASK (task));

  step = g_task_new (g_task_get_source_object (task), g_task_get_cancellable (task),
                     callback, g_object_ref (task));
  g_task_set_source_tag (step, g_task_get_source_tag (task));
  g_task_set_task_data (step, g_task_get_task_data (task), NULL);

  if (store != NULL)
    _sotto_store_run_in_thread (store, step, func);
  else
    g_task_run_in_thread (step, func);
}

/* Whether @step, a step of @task that returns a boolean, succeeded; when
 * it failed, @task fails with its error. */
gboolean
_sotto_task_propagate_step (GTask        *task,
                            GAsyncResult *step)
{
  GError *error = NULL;

  if (g_task_propagate_boolean (G_TASK (step), &error))
    return TRUE;

  g_task_return_error (task, error);

  return FALSE;
}

/* The callback of an operation's last step, any #GTask that returns a
 * boolean, with the operation's #GTask as @user_data: the operation
 * completes as the step did. */
void
_sotto_task_return_step_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  if (_sotto_task_propagate_step (task, result))
    g_task_return_boolean (task, TRUE);
}

static void
sotto_store_open_thread (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  SottoStore *self = source_object;
  const char *passphrase = task_data;
  g_autoptr(GError) error = NULL;

  if (!sotto_store_open_internal (self, passphrase, &default_kdf_limits, cancellable, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_object_ref (self), g_object_unref);
}

/**
 * sotto_store_exists:
 * @directory: a profile directory
 *
 * Whether the profile in @directory has a database already, so that the
 * app can tell "choose a passphrase" from "enter your passphrase".
 *
 * Returns: %TRUE if there is a database file
 */
gboolean
sotto_store_exists (GFile *directory)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (G_IS_FILE (directory), FALSE);

  path = g_build_filename (g_file_peek_path (directory), SOTTO_STORE_DATABASE_NAME, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/**
 * sotto_store_open_async:
 * @directory: the profile directory; created if missing
 * @passphrase: (nullable): the passphrase, or %NULL to use the keyring
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the store is open
 * @user_data: data for @callback
 *
 * Opens the encrypted database of the profile in @directory, creating it
 * when there is none.
 *
 * A new database keeps its key in the Secret Service when @passphrase is
 * %NULL; without a Secret Service this fails with
 * %SOTTO_STORE_ERROR_PASSPHRASE_REQUIRED, and the caller asks for a
 * passphrase and tries again.  An existing database is unlocked the way it
 * was created.  A database that is not Sotto's, is damaged, or was written
 * by a newer version is reported and left untouched.
 */
void
sotto_store_open_async (GFile               *directory,
                        const char          *passphrase,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(SottoStore) self = NULL;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (G_IS_FILE (directory));
  g_return_if_fail (g_file_peek_path (directory) != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  self = g_object_new (SOTTO_TYPE_STORE,
                       "directory", directory,
                       NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_store_open_async);
  if (passphrase != NULL)
    g_task_set_task_data (task, secure_strdup (passphrase), sodium_free);

  _sotto_store_run_in_thread (self, task, sotto_store_open_thread);
}

/**
 * sotto_store_open_finish:
 * @result: the result passed to the callback
 * @error: a location for a #GError
 *
 * Returns: (transfer full): the open store, or %NULL with @error set
 */
SottoStore *
sotto_store_open_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sotto_store_open_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
sotto_store_close_thread (GTask        *task,
                          gpointer      source_object,
                          gpointer      task_data,
                          GCancellable *cancellable)
{
  SottoStore *self = source_object;
  g_autoptr(GError) error = NULL;

  if (!_sotto_store_close_sync (self, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * sotto_store_close_async:
 * @self: a #SottoStore
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the database is closed
 * @user_data: data for @callback
 *
 * Closes the database after every operation queued before, and wipes the
 * keys from memory.  Later operations fail with
 * %SOTTO_STORE_ERROR_CLOSED.
 */
void
sotto_store_close_async (SottoStore          *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SOTTO_IS_STORE (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sotto_store_close_async);

  _sotto_store_run_in_thread (self, task, sotto_store_close_thread);
}

gboolean
sotto_store_close_finish (SottoStore    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (SOTTO_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * sotto_store_get_directory:
 * @self: a #SottoStore
 *
 * Returns: (transfer none): the profile directory
 */
GFile *
sotto_store_get_directory (SottoStore *self)
{
  g_return_val_if_fail (SOTTO_IS_STORE (self), NULL);

  return self->directory;
}

/**
 * sotto_store_get_key_source:
 * @self: a #SottoStore
 *
 * Returns: where the database key of the open store comes from
 */
SottoKeySource
sotto_store_get_key_source (SottoStore *self)
{
  g_return_val_if_fail (SOTTO_IS_STORE (self), SOTTO_KEY_SOURCE_KEYRING);

  return self->key_source;
}

static void
sotto_store_finalize (GObject *object)
{
  SottoStore *self = (SottoStore *)object;

  /* Every queued job holds a reference, so the thread is idle here. */
  g_thread_pool_free (self->thread, FALSE, TRUE);

  sotto_store_close_db (self);
  g_clear_pointer (&self->keys, sotto_store_keys_free);
  _sotto_store_unlock_profile (self->lock_fd);

  g_clear_pointer (&self->statements, g_hash_table_unref);
  g_clear_object (&self->directory);

  G_OBJECT_CLASS (sotto_store_parent_class)->finalize (object);
}

static void
sotto_store_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  SottoStore *self = SOTTO_STORE (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      g_value_set_object (value, self->directory);
      break;

    case PROP_KEY_SOURCE:
      g_value_set_enum (value, self->key_source);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_store_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  SottoStore *self = SOTTO_STORE (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      self->directory = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sotto_store_class_init (SottoStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sotto_store_finalize;
  object_class->get_property = sotto_store_get_property;
  object_class->set_property = sotto_store_set_property;

  /**
   * SottoStore:directory:
   *
   * The profile directory that holds the database.
   */
  properties [PROP_DIRECTORY] =
    g_param_spec_object ("directory", NULL, NULL,
                         G_TYPE_FILE,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  /**
   * SottoStore:key-source:
   *
   * Where the database key comes from: the keyring or a passphrase.
   */
  properties [PROP_KEY_SOURCE] =
    g_param_spec_enum ("key-source", NULL, NULL,
                       SOTTO_TYPE_KEY_SOURCE,
                       SOTTO_KEY_SOURCE_KEYRING,
                       (G_PARAM_READABLE |
                        G_PARAM_EXPLICIT_NOTIFY |
                        G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  _sotto_engine_init_crypto ();
}

static void
sotto_store_init (SottoStore *self)
{
  self->lock_fd = -1;
  self->thread = g_thread_pool_new (sotto_store_thread_func, self, 1, FALSE, NULL);
  self->statements = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) sqlite3_finalize);
}
