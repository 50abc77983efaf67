/* relay-migrate.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * sotto-relay migrate: copies an SQLite relay's whole state into an
 * empty PostgreSQL database.  The SQLite file is opened read-only, in
 * one read transaction, so the copy is one consistent snapshot and the
 * file stays as it was; the data directory's lock keeps a relay from
 * starting on it meanwhile.  Every table goes over in PostgreSQL's
 * binary COPY format, inside one transaction, which is then read back
 * with COPY TO in the same row order: the row counts and a BLAKE2b hash
 * of each table's COPY stream must match the source before the
 * transaction commits.  Ids and tags are copied as they are, and so is
 * the GUID key, so the GUIDs that clients hold for queued envelopes
 * still name them.  The attachment blobs in DATA_DIR/blobs go along in
 * the same transaction, checked the same way (relay-blob-migrate.c).
 */

#include "config.h"

#include <libpq-fe.h>
#include <sodium.h>
#include <sqlite3.h>
#include <string.h>

#include "relay-admin-private.h"
#include "relay-blob-migrate.h"
#include "relay-lock.h"
#include "relay-migrate.h"
#include "relay-postgresql-private.h"
#include "relay-storage.h"

typedef enum
{
  COLUMN_TEXT,
  COLUMN_BYTES,
  COLUMN_INT2,
  COLUMN_INT8,
  COLUMN_BOOL,
} ColumnType;

typedef struct
{
  const char *name;
  ColumnType  type;
} Column;

/* A table as both schemas have it.  Its first n_key columns are its
 * primary key, which orders the rows on both sides. */
typedef struct
{
  const char   *name;
  const Column *columns;
  guint         n_columns;
  guint         n_key;
} Table;

static const Column account_columns[] = {
  { "uuid", COLUMN_TEXT }, { "username", COLUMN_TEXT }, { "identity_key", COLUMN_BYTES },
  { "created", COLUMN_INT8 }, { "banned", COLUMN_BOOL },
};
static const Column device_columns[] = {
  { "account", COLUMN_TEXT }, { "device_id", COLUMN_INT8 }, { "registration_id", COLUMN_INT8 },
  { "password_hash", COLUMN_TEXT }, { "password_digest", COLUMN_BYTES },
};
static const Column signed_prekey_columns[] = {
  { "account", COLUMN_TEXT }, { "device_id", COLUMN_INT8 }, { "kind", COLUMN_INT2 },
  { "key_id", COLUMN_INT8 }, { "public_key", COLUMN_BYTES }, { "signature", COLUMN_BYTES },
};
static const Column queue_columns[] = {
  { "id", COLUMN_INT8 }, { "account", COLUMN_TEXT }, { "device_id", COLUMN_INT8 }, { "tag", COLUMN_INT8 },
  { "type", COLUMN_INT2 }, { "source", COLUMN_TEXT }, { "source_device", COLUMN_INT8 },
  { "client_timestamp", COLUMN_INT8 }, { "server_timestamp", COLUMN_INT8 }, { "content", COLUMN_BYTES },
  { "expires_at", COLUMN_INT8 },
};
static const Column secret_columns[] = {
  { "name", COLUMN_TEXT }, { "value", COLUMN_BYTES },
};
static const Column invite_columns[] = {
  { "hash", COLUMN_BYTES }, { "created", COLUMN_INT8 },
};
static const Column access_key_columns[] = {
  { "account", COLUMN_TEXT }, { "key", COLUMN_BYTES },
};
static const Column profile_columns[] = {
  { "account", COLUMN_TEXT }, { "profile", COLUMN_BYTES }, { "updated", COLUMN_INT8 },
};

/* In the order that the foreign keys need.  One-time prekeys have the
 * signed prekeys' columns. */
static const Table tables[] = {
  { "accounts", account_columns, G_N_ELEMENTS (account_columns), 1 },
  { "devices", device_columns, G_N_ELEMENTS (device_columns), 2 },
  { "signed_prekeys", signed_prekey_columns, G_N_ELEMENTS (signed_prekey_columns), 3 },
  { "one_time_prekeys", signed_prekey_columns, G_N_ELEMENTS (signed_prekey_columns), 4 },
  { "queue", queue_columns, G_N_ELEMENTS (queue_columns), 1 },
  { "secrets", secret_columns, G_N_ELEMENTS (secret_columns), 1 },
  { "invites", invite_columns, G_N_ELEMENTS (invite_columns), 1 },
  { "access_keys", access_key_columns, G_N_ELEMENTS (access_key_columns), 1 },
  { "profiles", profile_columns, G_N_ELEMENTS (profile_columns), 1 },
};

/* PostgreSQL's binary COPY stream: a signature, flags and an empty
 * header extension, then the rows, then a row count of -1. */
static const guint8 copy_header[] = {
  'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
static const guint8 copy_trailer[] = { 0xff, 0xff };

typedef struct
{
  gint64 rows;
  guint8 hash[crypto_generichash_BYTES];
} TableSum;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

static char *
column_list (const Table *table)
{
  g_autoptr(GString) list = g_string_new (NULL);

  for (guint i = 0; i < table->n_columns; i++)
    g_string_append_printf (list, "%s%s", i > 0 ? ", " : "", table->columns[i].name);
  return g_string_free (g_steal_pointer (&list), FALSE);
}

/* The primary key's order, the same on both sides: PostgreSQL compares
 * text by its bytes only in the "C" collation, as SQLite does. */
static char *
key_order (const Table *table,
           gboolean     postgresql)
{
  g_autoptr(GString) order = g_string_new (NULL);

  for (guint i = 0; i < table->n_key; i++)
    g_string_append_printf (order, "%s%s%s", i > 0 ? ", " : "", table->columns[i].name,
                            postgresql && table->columns[i].type == COLUMN_TEXT ? " COLLATE \"C\"" : "");
  return g_string_free (g_steal_pointer (&order), FALSE);
}

static void
append_be (GByteArray *out,
           guint64     value,
           guint       size)
{
  guint8 bytes[8];

  for (guint i = 0; i < size; i++)
    bytes[i] = (guint8) (value >> (8 * (size - 1 - i)));
  g_byte_array_append (out, bytes, size);
}

/* One SQLite value as a field of a binary COPY row. */
static gboolean
append_field (GByteArray    *out,
              sqlite3_stmt  *s,
              const Table   *table,
              guint          column,
              GError       **error)
{
  const Column *spec = &table->columns[column];
  gint64 value;
  int size;

  if (sqlite3_column_type (s, (int) column) == SQLITE_NULL)
    {
      append_be (out, G_MAXUINT32, 4);
      return TRUE;
    }
  switch (spec->type)
    {
    case COLUMN_TEXT:
    case COLUMN_BYTES:
      {
        const void *data = spec->type == COLUMN_TEXT ? (const void *) sqlite3_column_text (s, (int) column)
                                                     : sqlite3_column_blob (s, (int) column);

        size = sqlite3_column_bytes (s, (int) column);
        append_be (out, (guint32) size, 4);
        g_byte_array_append (out, data, (guint) size);
        return TRUE;
      }
    case COLUMN_INT2:
      value = sqlite3_column_int64 (s, (int) column);
      if (value < G_MININT16 || value > G_MAXINT16)
        return relay_admin_fail (error, "%s.%s holds %" G_GINT64_FORMAT ", which PostgreSQL's column cannot",
                     table->name, spec->name, value);
      append_be (out, 2, 4);
      append_be (out, (guint64) value, 2);
      return TRUE;
    case COLUMN_INT8:
      append_be (out, 8, 4);
      append_be (out, (guint64) sqlite3_column_int64 (s, (int) column), 8);
      return TRUE;
    case COLUMN_BOOL:
      append_be (out, 1, 4);
      append_be (out, sqlite3_column_int64 (s, (int) column) != 0, 1);
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

static gboolean
put_copy_data (PGconn        *conn,
               const guint8  *data,
               gsize          size,
               GError       **error)
{
  if (PQputCopyData (conn, (const char *) data, (int) size) != 1)
    return relay_admin_fail (error, "Cannot send rows to PostgreSQL: %s", g_strchomp (PQerrorMessage (conn)));
  return TRUE;
}

/* Copies one table from SQLite into PostgreSQL, and sums what it sent. */
static gboolean
copy_table (sqlite3      *db,
            PGconn       *conn,
            const Table  *table,
            TableSum     *sum,
            GError      **error)
{
  g_autofree char *columns = column_list (table);
  g_autofree char *order = key_order (table, FALSE);
  g_autofree char *select = g_strdup_printf ("SELECT %s FROM %s ORDER BY %s", columns, table->name, order);
  g_autofree char *copy = g_strdup_printf ("COPY %s (%s) FROM STDIN (FORMAT binary)", table->name, columns);
  g_autoptr(GByteArray) row = g_byte_array_new ();
  g_autoptr(sqlite3_stmt) s = NULL;
  g_autoptr(PGresult) started = NULL;
  g_autoptr(PGresult) ended = NULL;
  crypto_generichash_state state;
  int rc;

  if (sqlite3_prepare_v2 (db, select, -1, &s, NULL) != SQLITE_OK)
    return relay_admin_fail (error, "Cannot read %s: %s", table->name, sqlite3_errmsg (db));
  started = PQexec (conn, copy);
  if (PQresultStatus (started) != PGRES_COPY_IN)
    return relay_admin_fail (error, "Cannot copy into %s: %s", table->name, g_strchomp (PQresultErrorMessage (started)));

  crypto_generichash_init (&state, NULL, 0, sizeof sum->hash);
  crypto_generichash_update (&state, copy_header, sizeof copy_header);
  if (!put_copy_data (conn, copy_header, sizeof copy_header, error))
    return FALSE;
  sum->rows = 0;
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      g_byte_array_set_size (row, 0);
      append_be (row, table->n_columns, 2);
      for (guint i = 0; i < table->n_columns; i++)
        if (!append_field (row, s, table, i, error))
          {
            PQputCopyEnd (conn, "a value does not fit");
            return FALSE;
          }
      crypto_generichash_update (&state, row->data, row->len);
      if (!put_copy_data (conn, row->data, row->len, error))
        return FALSE;
      sum->rows++;
    }
  if (rc != SQLITE_DONE)
    {
      PQputCopyEnd (conn, "the source failed");
      return relay_admin_fail (error, "Cannot read %s: %s", table->name, sqlite3_errmsg (db));
    }
  crypto_generichash_update (&state, copy_trailer, sizeof copy_trailer);
  crypto_generichash_final (&state, sum->hash, sizeof sum->hash);
  if (!put_copy_data (conn, copy_trailer, sizeof copy_trailer, error))
    return FALSE;
  if (PQputCopyEnd (conn, NULL) != 1)
    return relay_admin_fail (error, "Cannot finish copying %s: %s", table->name, g_strchomp (PQerrorMessage (conn)));
  ended = PQgetResult (conn);
  if (PQresultStatus (ended) != PGRES_COMMAND_OK)
    return relay_admin_fail (error, "PostgreSQL refused the rows of %s: %s", table->name,
                 g_strchomp (PQresultErrorMessage (ended)));
  /* COPY's own result, then the end of the command. */
  g_clear_pointer (&ended, PQclear);
  while ((ended = PQgetResult (conn)) != NULL)
    g_clear_pointer (&ended, PQclear);
  return TRUE;
}

/* Reads one table back from PostgreSQL in the same order and format,
 * and sums it as copy_table() summed the source. */
static gboolean
sum_target (PGconn       *conn,
            const Table  *table,
            TableSum     *sum,
            GError      **error)
{
  g_autofree char *columns = column_list (table);
  g_autofree char *order = key_order (table, TRUE);
  g_autofree char *copy = g_strdup_printf ("COPY (SELECT %s FROM %s ORDER BY %s) TO STDOUT (FORMAT binary)",
                                           columns, table->name, order);
  g_autofree char *count = g_strdup_printf ("SELECT count(*) FROM %s", table->name);
  g_autoptr(PGresult) started = PQexec (conn, copy);
  g_autoptr(PGresult) ended = NULL;
  g_autoptr(PGresult) counted = NULL;
  crypto_generichash_state state;
  char *data = NULL;
  int size;

  if (PQresultStatus (started) != PGRES_COPY_OUT)
    return relay_admin_fail (error, "Cannot read %s back: %s", table->name, g_strchomp (PQresultErrorMessage (started)));
  crypto_generichash_init (&state, NULL, 0, sizeof sum->hash);
  while ((size = PQgetCopyData (conn, &data, 0)) > 0)
    {
      crypto_generichash_update (&state, (const guint8 *) data, (gsize) size);
      PQfreemem (data);
    }
  crypto_generichash_final (&state, sum->hash, sizeof sum->hash);
  ended = PQgetResult (conn);
  if (size != -1 || PQresultStatus (ended) != PGRES_COMMAND_OK)
    return relay_admin_fail (error, "Cannot read %s back: %s", table->name, g_strchomp (PQerrorMessage (conn)));
  g_clear_pointer (&ended, PQclear);
  while ((ended = PQgetResult (conn)) != NULL)
    g_clear_pointer (&ended, PQclear);
  counted = relay_pg_query (conn, count, NULL, 0);
  if (counted == NULL)
    return relay_admin_fail (error, "Cannot count %s: %s", table->name, g_strchomp (PQerrorMessage (conn)));
  sum->rows = relay_pg_value_int (counted, 0, 0);
  return TRUE;
}

static gboolean
open_source (const char  *data_dir,
             sqlite3    **db,
             GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, "relay.db", NULL);
  g_autoptr(sqlite3_stmt) version = NULL;
  g_autoptr(sqlite3_stmt) legacy = NULL;
  gint64 schema;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return relay_admin_fail (error, "There is no relay database in %s", data_dir);
  /* Read-only: SQLite neither writes the file nor checkpoints its
   * write-ahead log into it. */
  if (sqlite3_open_v2 (path, db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    return relay_admin_fail (error, "Cannot open %s: %s", path, *db != NULL ? sqlite3_errmsg (*db) : "out of memory");
  if (sqlite3_exec (*db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (*db, "PRAGMA user_version", -1, &version, NULL) != SQLITE_OK ||
      sqlite3_step (version) != SQLITE_ROW)
    return relay_admin_fail (error, "Cannot read %s: %s", path, sqlite3_errmsg (*db));
  schema = sqlite3_column_int64 (version, 0);
  if (schema != relay_storage_sqlite_schema_version ())
    return relay_admin_fail (error, "%s has schema version %" G_GINT64_FORMAT " and this relay knows %u: "
                 "start this version of sotto-relay on it once, stop it, then migrate",
                 path, schema, relay_storage_sqlite_schema_version ());
  /* Envelopes stored before schema version 4 carry GUIDs of their own,
   * which the PostgreSQL schema has no column for; their clients may
   * hold them, so they are not given new ones behind their backs. */
  if (sqlite3_prepare_v2 (*db, "SELECT count(*) FROM queue WHERE tag IS NULL", -1, &legacy, NULL) != SQLITE_OK ||
      sqlite3_step (legacy) != SQLITE_ROW)
    return relay_admin_fail (error, "Cannot read %s: %s", path, sqlite3_errmsg (*db));
  if (sqlite3_column_int64 (legacy, 0) > 0)
    return relay_admin_fail (error, "%s holds %" G_GINT64_FORMAT " envelopes queued by a relay older than schema "
                 "version 4, whose GUIDs PostgreSQL cannot keep: run the relay until they are "
                 "fetched or expire, then migrate", path, (gint64) sqlite3_column_int64 (legacy, 0));
  return TRUE;
}

/* The target must hold nothing: a relay that ever ran on it has at
 * least its GUID key there.  The tables stay locked until the copy
 * commits, so no node can start writing into them meanwhile. */
static gboolean
check_target_empty (PGconn  *conn,
                    GError **error)
{
  g_autoptr(GString) lock = g_string_new ("LOCK TABLE ");
  g_autoptr(GString) count = g_string_new ("SELECT 0");

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_string_append_printf (lock, "%s%s", i > 0 ? ", " : "", tables[i].name);
      g_string_append_printf (count, " + (SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 1) t)", tables[i].name);
    }
  g_string_append (lock, " IN ACCESS EXCLUSIVE MODE");
  if (!relay_pg_exec (conn, "BEGIN") || !relay_pg_exec (conn, lock->str))
    return relay_admin_fail (error, "Cannot lock the target database: %s", g_strchomp (PQerrorMessage (conn)));
  {
    g_autoptr(PGresult) result = relay_pg_query (conn, count->str, NULL, 0);

    if (result == NULL)
      return relay_admin_fail (error, "Cannot read the target database: %s", g_strchomp (PQerrorMessage (conn)));
    if (relay_pg_value_int (result, 0, 0) != 0)
      return relay_admin_fail (error, "The target database already holds a relay's data: migrate only into an empty one");
  }
  return TRUE;
}

/* New entries on PostgreSQL get ids after the copied ones. */
static gboolean
advance_queue_ids (PGconn  *conn,
                   GError **error)
{
  if (!relay_pg_exec (conn, "SELECT setval (pg_get_serial_sequence ('queue', 'id'), max (id)) FROM queue "
                            "HAVING max (id) IS NOT NULL"))
    return relay_admin_fail (error, "Cannot set the queue's next id: %s", g_strchomp (PQerrorMessage (conn)));
  return TRUE;
}

/* What the copied queues hold, which the relay reads instead of
 * counting them (see relay-postgresql-schema.c). */
static gboolean
count_queue (PGconn  *conn,
             GError **error)
{
  if (!relay_pg_exec (conn, RELAY_PG_COUNT_QUEUE_SQL))
    return relay_admin_fail (error, "Cannot count the copied queues: %s", g_strchomp (PQerrorMessage (conn)));
  return TRUE;
}

static gboolean
migrate (const char  *data_dir,
         const char  *url,
         GError     **error)
{
  sqlite3 *db = NULL;
  PGconn *conn = NULL;
  TableSum sums[G_N_ELEMENTS (tables)];
  TableSum blobs;
  gboolean ok = FALSE;

  if (!open_source (data_dir, &db, error))
    goto out;
  if ((conn = relay_pg_connect (url, error)) == NULL || !check_target_empty (conn, error))
    goto out;
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      TableSum target;

      if (!copy_table (db, conn, &tables[i], &sums[i], error) || !sum_target (conn, &tables[i], &target, error))
        goto out;
      if (target.rows != sums[i].rows || sodium_memcmp (target.hash, sums[i].hash, sizeof target.hash) != 0)
        {
          relay_admin_fail (error, "%s did not arrive intact (%" G_GINT64_FORMAT " rows sent, %" G_GINT64_FORMAT
                " found): nothing was migrated", tables[i].name, sums[i].rows, target.rows);
          goto out;
        }
    }
  if (!relay_blob_migrate (data_dir, conn, &blobs.rows, blobs.hash, error) ||
      !advance_queue_ids (conn, error) || !count_queue (conn, error))
    goto out;
  if (!relay_pg_exec (conn, "COMMIT"))
    {
      relay_admin_fail (error, "Cannot commit the copy: %s", g_strchomp (PQerrorMessage (conn)));
      goto out;
    }
  for (guint i = 0; i <= G_N_ELEMENTS (tables); i++)
    {
      const TableSum *sum = i < G_N_ELEMENTS (tables) ? &sums[i] : &blobs;
      char hex[2 * crypto_generichash_BYTES + 1];

      sodium_bin2hex (hex, sizeof hex, sum->hash, sizeof sum->hash);
      g_print ("%-16s %8" G_GINT64_FORMAT " rows  BLAKE2b %s\n",
               i < G_N_ELEMENTS (tables) ? tables[i].name : "blobs", sum->rows, hex);
    }
  g_print ("Copied %s into PostgreSQL; every table's rows and checksum match, and %s/relay.db is unchanged\n",
           data_dir, data_dir);
  ok = TRUE;

out:
  /* An unfinished transaction ends with the connection: nothing of it stays. */
  g_clear_pointer (&conn, PQfinish);
  if (db != NULL)
    sqlite3_close (db);
  return ok;
}

int
relay_migrate_main (int    argc,
                    char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  GOptionEntry entries[] = {
    { "from", 0, 0, G_OPTION_ARG_FILENAME, &from, "The SQLite relay's data directory", "DATA_DIR" },
    { "to", 0, 0, G_OPTION_ARG_STRING, &to, "The empty PostgreSQL database", "postgresql://..." },
    G_OPTION_ENTRY_NULL
  };
  int lock_fd;

  g_set_prgname ("sotto-relay migrate");
  context = g_option_context_new ("- copy an SQLite relay into PostgreSQL");
  g_option_context_set_summary (context,
                                "Copies the relay's whole state (accounts, devices, keys, queues,\n"
                                "invites, its GUID key) from DATA_DIR/relay.db, and the attachment\n"
                                "blobs in DATA_DIR/blobs, into an empty PostgreSQL database,\n"
                                "checks each table's row count and checksum,\n"
                                "and commits only if all match.  relay.db is only read; the relay\n"
                                "must be stopped meanwhile.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("sotto-relay migrate: %s\n", error->message);
      return 2;
    }
  if (from == NULL || to == NULL || argc > 1)
    {
      g_printerr ("sotto-relay migrate: --from and --to are required, and nothing else (see --help)\n");
      return 2;
    }
  if (!g_file_test (from, G_FILE_TEST_IS_DIR))
    {
      g_printerr ("sotto-relay migrate: the data directory %s does not exist\n", from);
      return 1;
    }
  /* Held until the process exits: a relay started on the directory
   * meanwhile would change what is being copied. */
  lock_fd = relay_lock_data_dir (from, &error);
  if (lock_fd < 0 || !migrate (from, to, &error))
    {
      g_printerr ("sotto-relay migrate: %s\n", error->message);
      return 1;
    }
  return 0;
}
