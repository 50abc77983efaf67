/* sotto-store-seal.c
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

/* Sealed columns: a value is sealed with XChaCha20-Poly1305 under the
 * seal key, bound to its table, column and row, and a value looked up by
 * equality is stored as a keyed hash (see sotto-store-key.c for the
 * keys). */

#define NONCE_SIZE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_SIZE crypto_aead_xchacha20poly1305_ietf_ABYTES

G_STATIC_ASSERT (SOTTO_STORE_SEAL_OVERHEAD == NONCE_SIZE + TAG_SIZE);

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
