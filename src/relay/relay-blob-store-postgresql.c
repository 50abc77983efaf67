/* relay-blob-store-postgresql.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Blobs in the relay's PostgreSQL database (schema version 9), so that
 * every node on it serves every blob: a row of `blobs` holds each
 * blob's metadata and how many of its bytes are stored, `blob_chunks`
 * its bytes in rows of at most RELAY_BLOB_CHUNK keyed by their offset,
 * and `blob_usage` what each account is charged.
 *
 * Each append is one statement, and so one transaction, that writes
 * its bytes and moves the blob's count of stored bytes on: what it returns
 * from is durable, and a crash leaves the blob as it stood after the
 * last append that returned.  A blob is committed by marking it so once
 * every byte is stored.  Creating a blob charges its owner in the same
 * statement, on the owner's one row of blob_usage, which makes two
 * nodes that create at once take turns, so that they cannot both fit a
 * blob into the last of a quota.
 *
 * An upload open to append holds a session-level advisory lock on its
 * id in a connection of its own until it is closed, so that two nodes
 * cannot write parts of one upload at once; the lock goes with the
 * session, also when its node dies.  A node that freezes (SIGSTOP, a
 * paused VM) or loses its path to the server keeps the session, and
 * the lock, until PostgreSQL notices, which it may never do over a
 * connection whose other end's kernel still answers: the session ends
 * once it has been idle longer than a part waits for its client's next
 * chunk (idle_session_timeout).  But a node that stops in the middle of
 * sending a statement, an append's 256 KiB of bytes or the few bytes
 * that end its message, leaves its session active, waiting for the
 * rest, where no timeout of PostgreSQL's applies, statement_timeout
 * included, which is held off while a message is read.  So the owner's
 * next request on any node ends such a session, once it has waited for
 * its node that long (end_stuck_part()).  The other operations take a
 * connection from a small pool for one statement at a time.
 */

#include "config.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "relay-blob-store.h"
#include "relay-postgresql-private.h"

/* Connections kept open between operations. */
#define IDLE_MAX        4
/* Uploads open at once on one node, each with a connection of its own:
 * a bound on what a node takes of the server's max_connections. */
#define UPLOADS_MAX     32
/* Of those, what one account may hold, so that the slow parts of a few
 * accounts (each may have blob-streams-per-account transfers) leave
 * most of them to the others. */
#define UPLOADS_PER_ACCOUNT 4
/* The advisory locks of blobs ("Sott" and the next): an upload's is
 * (LOCK_CLASS, 31 bits of its id), the sweep's (SWEEP_LOCK_CLASS, 0). */
#define LOCK_CLASS      "1399813236"
#define SWEEP_LOCK_CLASS "1399813237"
/* The longest chunk that appends grow (append_sql). */
#define SMALL_CHUNK     (16 * 1024)
/* Blobs removed by one statement of the sweep. */
#define EXPIRE_BATCH    256
/* How long ending a stuck part's session waits for it to be gone. */
#define END_WAIT_MS     5000

/* Charges the owner ($2) the blob's charge ($5) unless that passes the
 * quota ($6), and creates the blob only if it did. */
static const char create_sql[] =
  "WITH charged AS ("
  "  INSERT INTO blob_usage AS u (owner, bytes) SELECT $2::text, $5::bigint WHERE $5::bigint <= $6::bigint"
  "  ON CONFLICT (owner) DO UPDATE SET bytes = u.bytes + excluded.bytes"
  "  WHERE u.bytes + excluded.bytes <= $6::bigint"
  "  RETURNING owner) "
  "INSERT INTO blobs (id, owner, size, created_ms) SELECT $1::text, owner, $3::bigint, $4::bigint FROM charged";

/* With the length of the chunks, which the toasted values' headers
 * tell without reading them. */
static const char info_sql[] =
  "SELECT owner, size, created_ms, stored, committed,"
  "  (SELECT coalesce (sum (length (data)), 0)::bigint FROM blob_chunks WHERE blob = $1)"
  "  FROM blobs WHERE id = $1";

/* Advisory locks are the whole server's: those of other databases on
 * it (another relay's) are not this one's uploads. */
static const char busy_sql[] =
  "SELECT count (*) FROM pg_locks WHERE locktype = 'advisory' AND classid = " LOCK_CLASS
  "  AND objid = $1::oid AND objsubid = 2"
  "  AND database = (SELECT oid FROM pg_database WHERE datname = current_database ())";

/* Ends the session that holds the lock of upload $1 when it has waited
 * for its node in the middle of a statement (active, and reading from
 * or writing to its client) for more than $2 seconds, and waits for it
 * to be gone, and its lock with it; counts the sessions it ended.  A
 * node that is well sends a statement in one go and reads its short
 * answer at once, so that only a node that stopped (or whose path to the
 * server broke) leaves its session so for long.  PostgreSQL shows a
 * session's state, and lets it be ended, only to its own role (or to
 * members of pg_read_all_stats and pg_signal_backend): the nodes share
 * one (docs/deploy.md). */
static const char end_stuck_sql[] =
  "SELECT count (*) FILTER (WHERE pg_terminate_backend (a.pid, " G_STRINGIFY (END_WAIT_MS) "))"
  "  FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid"
  "  WHERE l.locktype = 'advisory' AND l.granted AND l.classid = " LOCK_CLASS
  "  AND l.objid = $1::oid AND l.objsubid = 2"
  "  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database ())"
  "  AND a.state = 'active' AND a.wait_event IN ('ClientRead', 'ClientWrite')"
  "  AND a.state_change < now () - $2::integer * interval '1 second'";

/* Appends $4, of $3 bytes, at $2, which must be where the blob stands;
 * one row if it did.  The bytes go at the end of the last chunk while
 * that stays within SMALL_CHUNK with them, else into a chunk of their
 * own.  Appending writes the whole chunk anew (and its TOAST, and their
 * WAL): a client that sends a few bytes a part then makes the database
 * write at most SMALL_CHUNK for each, not up to RELAY_BLOB_CHUNK, and
 * adds a row only every SMALL_CHUNK bytes.  Any two chunks in a row
 * hold more than SMALL_CHUNK, so that a blob has fewer than
 * 2 * size / SMALL_CHUNK + 1 of them, whatever its parts were; the
 * full chunks of an ordinary part never grow. */
static const char append_sql[] =
  "WITH grown AS ("
  "  UPDATE blobs SET stored = stored + $3::bigint"
  "  WHERE id = $1 AND stored = $2::bigint AND NOT committed AND stored + $3::bigint <= size"
  "  RETURNING id), "
  "roomy AS ("
  "  SELECT c.offset_bytes FROM blob_chunks AS c, grown WHERE c.blob = grown.id"
  "  AND c.offset_bytes > $2::bigint - " G_STRINGIFY (SMALL_CHUNK)
  "  AND c.offset_bytes + length (c.data) = $2::bigint"
  "  AND length (c.data) + $3::bigint <= " G_STRINGIFY (SMALL_CHUNK) "), "
  "extended AS ("
  "  UPDATE blob_chunks AS c SET data = c.data || $4 FROM roomy"
  "  WHERE c.blob = $1 AND c.offset_bytes = roomy.offset_bytes), "
  "added AS ("
  "  INSERT INTO blob_chunks (blob, offset_bytes, data) SELECT id, $2::bigint, $4 FROM grown"
  "  WHERE NOT EXISTS (SELECT FROM roomy)) "
  "SELECT count (*) FROM grown";

static const char commit_sql[] =
  "UPDATE blobs SET committed = true WHERE id = $1 AND stored = size AND NOT committed";

/* The chunks that hold bytes [$2 + RELAY_BLOB_CHUNK, $3) of a blob: no
 * chunk is longer than RELAY_BLOB_CHUNK. */
static const char read_sql[] =
  "SELECT offset_bytes, data FROM blob_chunks WHERE blob = $1"
  "  AND offset_bytes > $2::bigint AND offset_bytes < $3::bigint ORDER BY offset_bytes";

/* Removes a batch of expired blobs that no append holds, and gives
 * their owners their charge back. */
static const char expire_sql[] =
  "WITH gone AS ("
  "  DELETE FROM blobs WHERE id IN (SELECT id FROM blobs WHERE created_ms <= $1::bigint"
  "    ORDER BY created_ms LIMIT " G_STRINGIFY (EXPIRE_BATCH) " FOR UPDATE SKIP LOCKED)"
  "  RETURNING id, owner, size, created_ms, stored, committed), "
  "released AS ("
  "  UPDATE blob_usage AS u SET bytes = greatest (u.bytes - g.charge, 0)"
  "  FROM (SELECT owner, sum (greatest (size, " G_STRINGIFY (RELAY_BLOB_MIN_CHARGE) "))::bigint AS charge"
  "        FROM gone GROUP BY owner) AS g"
  "  WHERE u.owner = g.owner) "
  "SELECT owner, size, created_ms, stored, committed, id FROM gone";

typedef struct
{
  RelayBlobStore  parent;
  char           *url;
  char            idle_seconds[16]; /* how long an upload's session may wait for its node */
  char            idle_sql[64];     /* the idle session timeout of an upload */
  GMutex          lock;
  GPtrArray      *idle;     /* of PGconn, each perhaps with an unlock's result to read */
  guint           uploads;  /* handles open to append */
  GHashTable     *owners;   /* owner -> handles of theirs open to append */
} PgStore;

struct _RelayBlobHandle
{
  PGconn  *conn;       /* an upload's, which holds its lock */
  char     id[RELAY_BLOB_ID_LENGTH + 1];
  char     owner[RELAY_UUID_LENGTH + 1];  /* an upload's, whose share it takes */
  guint64  size;
  guint64  position;   /* where the next append goes */
};

/* A connection of the pool's, or a new one; NULL after a warning. */
static PGconn *
take_connection (PgStore *self)
{
  g_autoptr(GError) error = NULL;
  PGconn *conn = NULL;
  PGresult *result;

  g_mutex_lock (&self->lock);
  if (self->idle->len > 0)
    conn = g_ptr_array_steal_index_fast (self->idle, self->idle->len - 1);
  g_mutex_unlock (&self->lock);
  if (conn != NULL)
    {
      /* The unlock that closed an upload on it. */
      while ((result = PQgetResult (conn)) != NULL)
        PQclear (result);
      /* A server that restarted, or ended the session, meanwhile closed
       * the connection: reading what waits on it finds that out without
       * blocking (libpq's sockets never block), before a request fails
       * on it. */
      if (PQconsumeInput (conn) && PQstatus (conn) == CONNECTION_OK && PQtransactionStatus (conn) == PQTRANS_IDLE)
        return conn;
      PQfinish (conn);
    }
  conn = relay_pg_open (self->url, &error);
  if (conn == NULL)
    relay_blob_store_warn (&self->parent, "Attachment blobs: %s", error->message);
  return conn;
}

static void
give_connection (PgStore *self,
                 PGconn  *conn)
{
  g_mutex_lock (&self->lock);
  if (PQstatus (conn) == CONNECTION_OK && self->idle->len < IDLE_MAX)
    g_ptr_array_add (self->idle, g_steal_pointer (&conn));
  g_mutex_unlock (&self->lock);
  if (conn != NULL)
    PQfinish (conn);
}

/* Runs `sql` with text parameters, but for a binary last one when
 * `data` is not NULL, and binary results into *result. */
static RelayBlobStatus
query (PgStore             *self,
       PGconn              *conn,
       const char          *sql,
       const char * const  *params,
       int                  n_params,
       const guint8        *data,
       gsize                length,
       PGresult           **result)
{
  ExecStatusType status;
  const char *state;

  *result = relay_pg_query_params (conn, sql, params, n_params, data, length);
  status = PQresultStatus (*result);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    return RELAY_BLOB_OK;
  state = PQresultErrorField (*result, PG_DIAG_SQLSTATE);
  relay_blob_store_warn (&self->parent, "Attachment blobs: %s", PQresultErrorMessage (*result));
  g_clear_pointer (result, PQclear);
  /* disk_full, and the rest of class 53, insufficient resources */
  return state != NULL && g_str_has_prefix (state, "53") ? RELAY_BLOB_NO_SPACE : RELAY_BLOB_FAILED;
}

static guint64
changed_rows (const PGresult *result)
{
  return g_ascii_strtoull (PQcmdTuples ((PGresult *) result), NULL, 10);
}

/* Fills in `info` from a row of owner, size, created_ms, stored and
 * committed; FALSE for a row that cannot be a blob's. */
static gboolean
info_from_row (const PGresult *result,
               int             row,
               RelayBlobInfo  *info)
{
  int owner_length = PQgetlength (result, row, 0);
  gint64 size = relay_pg_value_int (result, row, 1);
  gint64 stored = relay_pg_value_int (result, row, 3);

  if (owner_length > RELAY_UUID_LENGTH || size < 0 || stored < 0)
    return FALSE;
  memcpy (info->meta.owner, PQgetvalue (result, row, 0), (gsize) owner_length);
  info->meta.owner[owner_length] = '\0';
  info->meta.size = (guint64) size;
  info->meta.created_ms = relay_pg_value_int (result, row, 2);
  info->stored = (guint64) stored;
  info->complete = PQgetvalue (result, row, 4)[0] != 0;
  return TRUE;
}

static RelayBlobStatus
read_info (PgStore       *self,
           PGconn        *conn,
           const char    *id,
           RelayBlobInfo *info)
{
  const char *params[] = { id };
  g_autoptr(PGresult) result = NULL;
  RelayBlobStatus status = query (self, conn, info_sql, params, 1, NULL, 0, &result);

  memset (info, 0, sizeof *info);
  g_strlcpy (info->id, id, sizeof info->id);
  if (status != RELAY_BLOB_OK)
    return status;
  if (PQntuples (result) == 0)
    return RELAY_BLOB_NOT_FOUND;
  /* More bytes than the upload declared, or chunks that do not add up
   * to what it stored, mean a damaged blob. */
  if (!info_from_row (result, 0, info) || info->stored > info->meta.size ||
      (info->complete && info->stored != info->meta.size) ||
      relay_pg_value_int (result, 0, 5) != (gint64) info->stored)
    {
      relay_blob_store_warn (&self->parent, "Blob %s holds %" G_GINT64_FORMAT " bytes of a blob of %"
                             G_GUINT64_FORMAT, id, relay_pg_value_int (result, 0, 5), info->meta.size);
      return RELAY_BLOB_FAILED;
    }
  return RELAY_BLOB_OK;
}

/* The id's part of its upload's advisory lock, in decimal. */
static void
lock_key (const char *id,
          char        key[16])
{
  char hex[9];

  g_strlcpy (hex, id, sizeof hex);
  g_snprintf (key, 16, "%lu", strtoul (hex, NULL, 16) & 0x7fffffff);
}

static RelayBlobStatus
pg_create (RelayBlobStore      *store,
           const char          *id,
           const RelayBlobMeta *meta,
           guint64              quota)
{
  PgStore *self = (PgStore *) store;
  char size[24], created[24], charge[24], limit[24];
  const char *params[] = { id, meta->owner, size, created, charge, limit };
  g_autoptr(PGresult) result = NULL;
  RelayBlobStatus status;
  PGconn *conn = take_connection (self);

  if (conn == NULL)
    return RELAY_BLOB_FAILED;
  g_snprintf (size, sizeof size, "%" G_GUINT64_FORMAT, meta->size);
  g_snprintf (created, sizeof created, "%" G_GINT64_FORMAT, meta->created_ms);
  g_snprintf (charge, sizeof charge, "%" G_GUINT64_FORMAT, relay_blob_charge (meta->size));
  g_snprintf (limit, sizeof limit, "%" G_GUINT64_FORMAT, MIN (quota, (guint64) G_MAXINT64));
  status = query (self, conn, create_sql, params, G_N_ELEMENTS (params), NULL, 0, &result);
  give_connection (self, conn);
  if (status != RELAY_BLOB_OK)
    return status;
  return changed_rows (result) == 1 ? RELAY_BLOB_OK : RELAY_BLOB_QUOTA;
}

/* Ends the session of a part of the upload whose lock is `key` if its
 * node stopped in the middle of a statement (end_stuck_sql); TRUE when
 * it ended one, whose lock is then free. */
static gboolean
end_stuck_part (PgStore    *self,
                PGconn     *conn,
                const char *key)
{
  const char *params[] = { key, self->idle_seconds };
  g_autoptr(PGresult) result = NULL;

  if (query (self, conn, end_stuck_sql, params, G_N_ELEMENTS (params), NULL, 0, &result) != RELAY_BLOB_OK ||
      relay_pg_value_int (result, 0, 0) == 0)
    return FALSE;
  g_message ("Attachment blobs: ended the session of a node that stopped in the middle of a part");
  return TRUE;
}

/* OK, or BUSY while a part of the upload whose lock is `key` is being
 * written on any node. */
static RelayBlobStatus
check_busy (PgStore    *self,
            PGconn     *conn,
            const char *key)
{
  const char *params[] = { key };
  g_autoptr(PGresult) result = NULL;
  RelayBlobStatus status = query (self, conn, busy_sql, params, 1, NULL, 0, &result);

  if (status == RELAY_BLOB_OK && relay_pg_value_int (result, 0, 0) > 0)
    status = RELAY_BLOB_BUSY;
  return status;
}

static RelayBlobStatus
pg_stat (RelayBlobStore *store,
         const char     *id,
         const char     *owner,
         RelayBlobInfo  *info)
{
  PgStore *self = (PgStore *) store;
  char key[16];
  RelayBlobStatus status;
  PGconn *conn = take_connection (self);

  if (conn == NULL)
    return RELAY_BLOB_FAILED;
  status = read_info (self, conn, id, info);
  /* What a part being written on any node has reached is not known
   * until it ends. */
  lock_key (id, key);
  if (status == RELAY_BLOB_OK && !info->complete)
    status = check_busy (self, conn, key);
  if (status == RELAY_BLOB_BUSY && owner != NULL && strcmp (owner, info->meta.owner) == 0 &&
      end_stuck_part (self, conn, key))
    status = check_busy (self, conn, key);
  give_connection (self, conn);
  return status;
}

/* One try at the lock of `params`' upload (lock_upload()). */
static RelayBlobStatus
try_lock (PgStore            *self,
          PGconn             *conn,
          const char * const *params)
{
  g_autoptr(PGresult) result = NULL;
  RelayBlobStatus status;

  status = query (self, conn, "SELECT CASE WHEN owner = $3 THEN pg_try_advisory_lock (" LOCK_CLASS ", $1::integer)"
                              "  END FROM blobs WHERE id = $2", params, 3, NULL, 0, &result);
  if (status != RELAY_BLOB_OK)
    return status;
  if (PQntuples (result) == 0 || PQgetisnull (result, 0, 0))
    return RELAY_BLOB_NOT_FOUND;
  return PQgetvalue (result, 0, 0)[0] != 0 ? RELAY_BLOB_OK : RELAY_BLOB_BUSY;
}

/* Takes the lock of `owner`'s upload `id` on `conn`: OK, BUSY, NOT_FOUND
 * or a failure.  The lock is tried only once the owner is known to be
 * `owner` (a CASE evaluates only the branch it takes), so that no one
 * else learns of a part under way, nor holds its lock for a moment, nor
 * ends the session of a stuck one. */
static RelayBlobStatus
lock_upload (PgStore    *self,
             PGconn     *conn,
             const char *id,
             const char *owner)
{
  char key[16];
  const char *params[] = { key, id, owner };
  RelayBlobStatus status;

  lock_key (id, key);
  if (!relay_pg_exec (conn, self->idle_sql))
    return RELAY_BLOB_FAILED;
  status = try_lock (self, conn, params);
  /* A holder found stuck and ended has let go of the lock. */
  if (status == RELAY_BLOB_BUSY && end_stuck_part (self, conn, key))
    status = try_lock (self, conn, params);
  return status;
}

/* Gives an upload's connection back, its lock let go of without
 * waiting for the answers, which the next to take it reads; a kept
 * connection may idle as long as it likes. */
static void
release_upload (PgStore *self,
                PGconn  *conn)
{
  if (!PQsendQuery (conn, "SELECT pg_advisory_unlock_all (); RESET idle_session_timeout"))
    {
      /* Ending the session lets go of the lock too. */
      PQfinish (conn);
      conn = NULL;
    }
  g_mutex_lock (&self->lock);
  self->uploads--;
  g_mutex_unlock (&self->lock);
  if (conn != NULL)
    give_connection (self, conn);
}

/* Takes one of the owner's share of uploads (`step` 1), if any is
 * left, or gives one back (-1). */
static gboolean
move_share (PgStore    *self,
            const char *owner,
            int         step)
{
  guint held;
  gboolean moved;

  g_mutex_lock (&self->lock);
  held = GPOINTER_TO_UINT (g_hash_table_lookup (self->owners, owner));
  g_assert (step > 0 || held > 0);
  moved = step < 0 || held < UPLOADS_PER_ACCOUNT;
  if (moved && held + step == 0)
    g_hash_table_remove (self->owners, owner);
  else if (moved)
    g_hash_table_insert (self->owners, g_strdup (owner), GUINT_TO_POINTER (held + step));
  g_mutex_unlock (&self->lock);
  return moved;
}

static RelayBlobStatus
pg_open (RelayBlobStore   *store,
         const char       *id,
         const char       *owner,
         gboolean          append,
         RelayBlobInfo    *info,
         RelayBlobHandle **handle)
{
  PgStore *self = (PgStore *) store;
  RelayBlobStatus status;
  PGconn *conn;

  /* An upload's lock is taken for its owner only. */
  g_assert (!append || owner != NULL);
  *handle = NULL;
  if (append)
    {
      g_mutex_lock (&self->lock);
      status = self->uploads < UPLOADS_MAX ? RELAY_BLOB_OK : RELAY_BLOB_UNAVAILABLE;
      if (status == RELAY_BLOB_OK)
        self->uploads++;
      g_mutex_unlock (&self->lock);
      if (status != RELAY_BLOB_OK)
        return status;
    }
  conn = take_connection (self);
  if (conn == NULL)
    status = RELAY_BLOB_FAILED;
  else if (!append || (status = lock_upload (self, conn, id, owner)) == RELAY_BLOB_OK)
    status = read_info (self, conn, id, info);
  if (status == RELAY_BLOB_OK && owner != NULL && strcmp (info->meta.owner, owner) != 0)
    status = RELAY_BLOB_NOT_FOUND;
  if (status == RELAY_BLOB_OK && append && !info->complete && !move_share (self, info->meta.owner, 1))
    status = RELAY_BLOB_ACCOUNT_BUSY;
  /* A committed blob takes no more bytes; an upload cannot be read. */
  if (status == RELAY_BLOB_OK && append != info->complete)
    {
      *handle = g_new0 (RelayBlobHandle, 1);
      g_strlcpy ((*handle)->id, id, sizeof (*handle)->id);
      if (append)
        g_strlcpy ((*handle)->owner, info->meta.owner, sizeof (*handle)->owner);
      (*handle)->size = info->meta.size;
      (*handle)->position = info->stored;
    }
  else if (status == RELAY_BLOB_OK && !append)
    status = RELAY_BLOB_NOT_FOUND;
  if (append && *handle != NULL)
    (*handle)->conn = conn;
  else if (append && conn != NULL)
    release_upload (self, conn);
  else if (append)
    {
      g_mutex_lock (&self->lock);
      self->uploads--;
      g_mutex_unlock (&self->lock);
    }
  else if (conn != NULL)
    give_connection (self, conn);
  return status;
}

static RelayBlobStatus
pg_append (RelayBlobStore  *store,
           RelayBlobHandle *handle,
           const guint8    *data,
           gsize            length)
{
  PgStore *self = (PgStore *) store;
  char position[24], size[24];
  const char *params[] = { handle->id, position, size };
  g_autoptr(PGresult) result = NULL;
  RelayBlobStatus status;

  g_assert (length <= RELAY_BLOB_CHUNK);
  g_snprintf (position, sizeof position, "%" G_GUINT64_FORMAT, handle->position);
  g_snprintf (size, sizeof size, "%" G_GSIZE_FORMAT, length);
  status = query (self, handle->conn, append_sql, params, G_N_ELEMENTS (params), data, length, &result);
  if (status != RELAY_BLOB_OK)
    return status;
  /* The sweep removed the blob meanwhile. */
  if (relay_pg_value_int (result, 0, 0) != 1)
    return RELAY_BLOB_NOT_FOUND;
  handle->position += length;
  return RELAY_BLOB_OK;
}

static RelayBlobStatus
pg_sync (RelayBlobStore  *store,
         RelayBlobHandle *handle)
{
  /* Each append was committed as it returned. */
  return RELAY_BLOB_OK;
}

static RelayBlobStatus
pg_commit (RelayBlobStore  *store,
           RelayBlobHandle *handle)
{
  PgStore *self = (PgStore *) store;
  const char *params[] = { handle->id };
  g_autoptr(PGresult) result = NULL;
  RelayBlobStatus status = query (self, handle->conn, commit_sql, params, 1, NULL, 0, &result);

  if (status != RELAY_BLOB_OK)
    return status;
  return changed_rows (result) == 1 ? RELAY_BLOB_OK : RELAY_BLOB_NOT_FOUND;
}

static RelayBlobStatus
pg_read (RelayBlobStore  *store,
         RelayBlobHandle *handle,
         guint64          offset,
         guint8          *data,
         gsize            length)
{
  PgStore *self = (PgStore *) store;
  char after[24], end[24];
  const char *params[] = { handle->id, after, end };
  g_autoptr(PGresult) result = NULL;
  guint64 covered = offset;
  RelayBlobStatus status;
  PGconn *conn = take_connection (self);

  if (conn == NULL)
    return RELAY_BLOB_FAILED;
  g_snprintf (after, sizeof after, "%" G_GINT64_FORMAT, (gint64) offset - RELAY_BLOB_CHUNK);
  g_snprintf (end, sizeof end, "%" G_GUINT64_FORMAT, offset + length);
  status = query (self, conn, read_sql, params, G_N_ELEMENTS (params), NULL, 0, &result);
  give_connection (self, conn);
  if (status != RELAY_BLOB_OK)
    return status;
  /* The chunks follow each other without a gap from the blob's start. */
  for (int row = 0; row < PQntuples (result) && covered < offset + length; row++)
    {
      guint64 first = (guint64) relay_pg_value_int (result, row, 0);
      guint64 last = first + (guint64) PQgetlength (result, row, 1);
      guint64 take;

      if (first > covered)
        break;
      if (last <= covered)
        continue;
      take = MIN (last, offset + length) - covered;
      memcpy (data + (covered - offset), PQgetvalue (result, row, 1) + (covered - first), (gsize) take);
      covered += take;
    }
  if (covered == offset + length)
    return RELAY_BLOB_OK;
  relay_blob_store_warn (store, "Blob %s lacks the bytes at %" G_GUINT64_FORMAT " of a blob of %" G_GUINT64_FORMAT,
                         handle->id, covered, handle->size);
  return RELAY_BLOB_FAILED;
}

static void
pg_close (RelayBlobStore  *store,
          RelayBlobHandle *handle)
{
  if (handle->conn != NULL)
    release_upload ((PgStore *) store, handle->conn);
  if (handle->owner[0] != '\0')
    move_share ((PgStore *) store, handle->owner, -1);
  g_free (handle);
}

/* Removes the expired blobs, a batch a transaction; the sweep of one
 * node at a time, so that the sweeps' updates of blob_usage never wait
 * for each other in turn.  The others find nothing to do this time. */
static RelayBlobStatus
pg_expire (RelayBlobStore *store,
           gint64          cutoff_ms,
           GArray         *removed)
{
  PgStore *self = (PgStore *) store;
  char cutoff[24];
  const char *params[] = { cutoff };
  RelayBlobStatus status = RELAY_BLOB_OK;
  int rows = EXPIRE_BATCH;
  PGconn *conn = take_connection (self);

  if (conn == NULL)
    return RELAY_BLOB_FAILED;
  g_snprintf (cutoff, sizeof cutoff, "%" G_GINT64_FORMAT, cutoff_ms);
  while (status == RELAY_BLOB_OK && rows == EXPIRE_BATCH)
    {
      g_autoptr(PGresult) lock = NULL;
      g_autoptr(PGresult) result = NULL;
      guint before = removed->len;

      rows = 0;
      if (!relay_pg_exec (conn, "BEGIN"))
        status = RELAY_BLOB_FAILED;
      else if ((status = query (self, conn, "SELECT pg_try_advisory_xact_lock (" SWEEP_LOCK_CLASS ", 0)", NULL, 0,
                                NULL, 0, &lock)) == RELAY_BLOB_OK &&
               PQgetvalue (lock, 0, 0)[0] != 0 &&
               (status = query (self, conn, expire_sql, params, 1, NULL, 0, &result)) == RELAY_BLOB_OK)
        rows = PQntuples (result);
      for (int row = 0; row < rows; row++)
        {
          RelayBlobInfo info = { 0 };

          if (!info_from_row (result, row, &info))
            continue;
          g_strlcpy (info.id, PQgetvalue (result, row, 5), sizeof info.id);
          g_array_append_val (removed, info);
        }
      if (!relay_pg_exec (conn, status == RELAY_BLOB_OK ? "COMMIT" : "ROLLBACK") && status == RELAY_BLOB_OK)
        {
          status = RELAY_BLOB_FAILED;
          g_array_set_size (removed, before);
        }
    }
  give_connection (self, conn);
  return status;
}

static void
pg_free (RelayBlobStore *store)
{
  PgStore *self = (PgStore *) store;

  g_assert (self->uploads == 0);
  g_hash_table_unref (self->owners);
  g_ptr_array_unref (self->idle);
  g_mutex_clear (&self->lock);
  g_free (self->url);
  g_free (self);
}

/* No scan and no remove: the service never works the usage out, and the
 * sweep is pg_expire(). */
static const RelayBlobStoreClass pg_class = {
  .shared = TRUE,
  .create = pg_create,
  .stat = pg_stat,
  .open = pg_open,
  .append = pg_append,
  .sync = pg_sync,
  .commit = pg_commit,
  .read = pg_read,
  .close = pg_close,
  .expire = pg_expire,
  .free = pg_free,
};

/* A store in the database at `url`, whose schema relay_pg_connect()
 * has brought up to date, whose uploads' sessions end once idle for
 * `idle_seconds`; its first connection is made now, so that a relay
 * that cannot reach the database does not start. */
RelayBlobStore *
relay_blob_store_new_postgresql (const char  *url,
                                 guint        idle_seconds,
                                 GError     **error)
{
  PGconn *conn = relay_pg_open (url, error);
  PgStore *self;

  if (conn == NULL)
    return NULL;
  self = g_new0 (PgStore, 1);
  relay_blob_store_init (&self->parent, &pg_class);
  self->url = g_strdup (url);
  g_snprintf (self->idle_seconds, sizeof self->idle_seconds, "%u", idle_seconds);
  g_snprintf (self->idle_sql, sizeof self->idle_sql, "SET idle_session_timeout = '%us'", idle_seconds);
  g_mutex_init (&self->lock);
  self->idle = g_ptr_array_new_with_free_func ((GDestroyNotify) PQfinish);
  self->owners = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_ptr_array_add (self->idle, conn);
  return &self->parent;
}
