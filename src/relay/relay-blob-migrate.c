/* relay-blob-migrate.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * sotto-relay migrate's part for attachment blobs: each blob of the
 * filesystem store in DATA_DIR/blobs becomes a row of `blobs` and its
 * bytes rows of `blob_chunks`, as the PostgreSQL store writes them
 * (relay-blob-store-postgresql.c), and each owner's usage a row of
 * `blob_usage`.  The blobs are read in order of their ids, a chunk at a
 * time, and hashed as they go; they are then read back from the
 * database in the same order and hashed the same way, and the counts
 * and hashes must match.  An upload not yet complete comes over with
 * the bytes it has stored, so that its client goes on from where the
 * SQLite relay's store would have told it to.
 *
 * The directory is only read, but for what interrupted creates left
 * there over an hour ago, which the relay's own scan clears away too.
 */

#include "config.h"

#include <string.h>

#include "relay-admin-private.h"
#include "relay-blob-migrate.h"
#include "relay-blob-store.h"
#include "relay-postgresql-private.h"

/* Chunks read back from the database in one go. */
#define READ_BACK_CHUNKS "4"

static void
collect (const RelayBlobInfo *info,
         gpointer             user_data)
{
  GArray *blobs = user_data;

  g_array_append_val (blobs, *info);
}

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  return strcmp (((const RelayBlobInfo *) a)->id, ((const RelayBlobInfo *) b)->id);
}

static void
hash_info (crypto_generichash_state *state,
           const RelayBlobInfo      *info)
{
  guint64 numbers[] = { info->meta.size, (guint64) info->meta.created_ms, info->stored, info->complete };
  guint8 bytes[sizeof numbers];

  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    for (guint j = 0; j < 8; j++)
      bytes[8 * i + j] = (guint8) (numbers[i] >> (8 * (7 - j)));
  crypto_generichash_update (state, (const guint8 *) info->id, strlen (info->id) + 1);
  crypto_generichash_update (state, (const guint8 *) info->meta.owner, strlen (info->meta.owner) + 1);
  crypto_generichash_update (state, bytes, sizeof bytes);
}

static gboolean
insert (PGconn              *conn,
        const char          *sql,
        const char * const  *params,
        int                  n_params,
        const guint8        *data,
        gsize                length,
        GError             **error)
{
  g_autoptr(PGresult) result = relay_pg_query_params (conn, sql, params, n_params, data, length);

  if (PQresultStatus (result) != PGRES_COMMAND_OK)
    return relay_admin_fail (error, "Cannot copy the attachment blobs: %s", g_strchomp (PQresultErrorMessage (result)));
  return TRUE;
}

static gboolean
copy_blob (RelayBlobStore            *store,
           PGconn                    *conn,
           RelayBlobInfo             *info,
           crypto_generichash_state  *state,
           GError                   **error)
{
  g_autofree guint8 *chunk = NULL;
  RelayBlobHandle *handle = NULL;
  RelayBlobInfo opened;
  char size[24], created[24], stored[24];
  const char *blob_params[] = { info->id, info->meta.owner, size, created, stored, info->complete ? "t" : "f" };
  RelayBlobStatus status = RELAY_BLOB_OK;

  hash_info (state, info);
  g_snprintf (size, sizeof size, "%" G_GUINT64_FORMAT, info->meta.size);
  g_snprintf (created, sizeof created, "%" G_GINT64_FORMAT, info->meta.created_ms);
  g_snprintf (stored, sizeof stored, "%" G_GUINT64_FORMAT, info->stored);
  if (!insert (conn, "INSERT INTO blobs (id, owner, size, created_ms, stored, committed) "
                     "VALUES ($1, $2, $3, $4, $5, $6)", blob_params, G_N_ELEMENTS (blob_params), NULL, 0, error))
    return FALSE;
  if (info->stored == 0)
    return TRUE;
  if (info->complete)
    status = store->klass->open (store, info->id, NULL, FALSE, &opened, &handle);
  else
    status = relay_blob_store_fs_open_partial (store, info->id, &opened, &handle);
  if (status != RELAY_BLOB_OK || handle == NULL || opened.stored != info->stored)
    {
      relay_blob_store_close (store, &handle);
      return relay_admin_fail (error, "Cannot read the attachment blob %s", info->id);
    }
  chunk = g_malloc (RELAY_BLOB_CHUNK);
  for (guint64 offset = 0; status == RELAY_BLOB_OK && offset < info->stored; offset += RELAY_BLOB_CHUNK)
    {
      gsize length = (gsize) MIN ((guint64) RELAY_BLOB_CHUNK, info->stored - offset);
      char at[24];
      const char *chunk_params[] = { info->id, at };

      g_snprintf (at, sizeof at, "%" G_GUINT64_FORMAT, offset);
      status = store->klass->read (store, handle, offset, chunk, length);
      if (status != RELAY_BLOB_OK)
        break;
      crypto_generichash_update (state, chunk, length);
      if (!insert (conn, "INSERT INTO blob_chunks (blob, offset_bytes, data) VALUES ($1, $2, $3)",
                   chunk_params, G_N_ELEMENTS (chunk_params), chunk, length, error))
        {
          relay_blob_store_close (store, &handle);
          return FALSE;
        }
    }
  relay_blob_store_close (store, &handle);
  if (status != RELAY_BLOB_OK)
    return relay_admin_fail (error, "Cannot read the attachment blob %s", info->id);
  return TRUE;
}

/* Hashes a blob's bytes as the database holds them, a few chunks at a
 * time. */
static gboolean
sum_chunks (PGconn                    *conn,
            const char                *id,
            crypto_generichash_state  *state,
            GError                   **error)
{
  guint64 next = 0;

  for (;;)
    {
      char at[24];
      const char *params[] = { id, at };
      g_autoptr(PGresult) result = NULL;
      int rows;

      g_snprintf (at, sizeof at, "%" G_GUINT64_FORMAT, next);
      result = relay_pg_query_params (conn, "SELECT offset_bytes, data FROM blob_chunks WHERE blob = $1 "
                                            "AND offset_bytes >= $2::bigint ORDER BY offset_bytes LIMIT " READ_BACK_CHUNKS,
                                      params, G_N_ELEMENTS (params), NULL, 0);
      if (PQresultStatus (result) != PGRES_TUPLES_OK)
        return relay_admin_fail (error, "Cannot read the attachment blobs back: %s",
                                 g_strchomp (PQresultErrorMessage (result)));
      rows = PQntuples (result);
      if (rows == 0)
        return TRUE;
      for (int row = 0; row < rows; row++)
        {
          int length = PQgetlength (result, row, 1);

          crypto_generichash_update (state, (const guint8 *) PQgetvalue (result, row, 1), (gsize) length);
          next = (guint64) relay_pg_value_int (result, row, 0) + (guint64) length;
        }
    }
}

/* Reads the blobs back in the order they were copied, and hashes them
 * as copy_blob() did. */
static gboolean
sum_target (PGconn   *conn,
            gint64   *count,
            guint8    hash[crypto_generichash_BYTES],
            GError  **error)
{
  g_autoptr(PGresult) result = relay_pg_query_params (conn, "SELECT id, owner, size, created_ms, stored, committed "
                                                            "FROM blobs ORDER BY id COLLATE \"C\"", NULL, 0, NULL, 0);
  crypto_generichash_state state;

  if (PQresultStatus (result) != PGRES_TUPLES_OK)
    return relay_admin_fail (error, "Cannot read the attachment blobs back: %s",
                             g_strchomp (PQresultErrorMessage (result)));
  crypto_generichash_init (&state, NULL, 0, crypto_generichash_BYTES);
  for (int row = 0; row < PQntuples (result); row++)
    {
      RelayBlobInfo info = { 0 };

      if (PQgetlength (result, row, 0) > RELAY_BLOB_ID_LENGTH || PQgetlength (result, row, 1) > RELAY_UUID_LENGTH)
        return relay_admin_fail (error, "The attachment blobs did not arrive intact");
      g_strlcpy (info.id, PQgetvalue (result, row, 0), sizeof info.id);
      g_strlcpy (info.meta.owner, PQgetvalue (result, row, 1), sizeof info.meta.owner);
      info.meta.size = (guint64) relay_pg_value_int (result, row, 2);
      info.meta.created_ms = relay_pg_value_int (result, row, 3);
      info.stored = (guint64) relay_pg_value_int (result, row, 4);
      info.complete = PQgetvalue (result, row, 5)[0] != 0;
      hash_info (&state, &info);
      if (!sum_chunks (conn, info.id, &state, error))
        return FALSE;
    }
  crypto_generichash_final (&state, hash, crypto_generichash_BYTES);
  *count = PQntuples (result);
  return TRUE;
}

gboolean
relay_blob_migrate (const char  *data_dir,
                    PGconn      *conn,
                    gint64      *count,
                    guint8       hash[crypto_generichash_BYTES],
                    GError     **error)
{
  g_autofree char *dir = g_build_filename (data_dir, "blobs", NULL);
  g_autoptr(RelayBlobStore) store = relay_blob_store_new_filesystem (dir);
  g_autoptr(GArray) blobs = g_array_new (FALSE, FALSE, sizeof (RelayBlobInfo));
  g_autoptr(PGresult) existing = NULL;
  guint8 target_hash[crypto_generichash_BYTES];
  gint64 target_count;
  crypto_generichash_state state;

  /* Locked until the copy commits, as the other tables are. */
  if (!relay_pg_exec (conn, "LOCK TABLE blobs, blob_chunks, blob_usage IN ACCESS EXCLUSIVE MODE") ||
      (existing = relay_pg_query (conn, "SELECT count (*) FROM blobs", NULL, 0)) == NULL)
    return relay_admin_fail (error, "Cannot lock the target's attachment blobs: %s",
                             g_strchomp (PQerrorMessage (conn)));
  if (relay_pg_value_int (existing, 0, 0) != 0)
    return relay_admin_fail (error, "The target database already holds a relay's data: migrate only into an empty one");
  if (store->klass->scan (store, collect, blobs) != RELAY_BLOB_OK)
    return relay_admin_fail (error, "Cannot read the attachment blobs in %s", dir);
  g_array_sort (blobs, compare_ids);
  crypto_generichash_init (&state, NULL, 0, crypto_generichash_BYTES);
  for (guint i = 0; i < blobs->len; i++)
    if (!copy_blob (store, conn, &g_array_index (blobs, RelayBlobInfo, i), &state, error))
      return FALSE;
  crypto_generichash_final (&state, hash, crypto_generichash_BYTES);
  if (!relay_pg_exec (conn, "INSERT INTO blob_usage (owner, bytes) SELECT owner, "
                            "sum (greatest (size, " G_STRINGIFY (RELAY_BLOB_MIN_CHARGE) ")) FROM blobs GROUP BY owner"))
    return relay_admin_fail (error, "Cannot count the attachments' usage: %s", g_strchomp (PQerrorMessage (conn)));
  if (!sum_target (conn, &target_count, target_hash, error))
    return FALSE;
  *count = (gint64) blobs->len;
  if (target_count != *count || sodium_memcmp (target_hash, hash, sizeof target_hash) != 0)
    return relay_admin_fail (error, "The attachment blobs did not arrive intact (%" G_GINT64_FORMAT " sent, %"
                             G_GINT64_FORMAT " found): nothing was migrated", *count, target_count);
  return TRUE;
}
