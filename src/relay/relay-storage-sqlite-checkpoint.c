/* relay-storage-sqlite-checkpoint.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Checkpoints of the write-ahead log, on a thread and connection of
 * their own.  Left to SQLite, the writer's connection checkpoints inside
 * the COMMIT that takes the WAL past 1,000 pages: it copies every page
 * of the log into the database file and syncs that file, milliseconds
 * on a disk whose WAL sync takes a tenth of one, and meanwhile neither
 * that commit's sends nor any after them are answered.  At 1,000 to
 * 5,000 sends a second that happens every half second or so and puts
 * its whole length into the 99th percentile of the latency.  Here the
 * writer's commits only tell this thread how long the log has grown;
 * the thread checkpoints passively (it takes no lock that a commit
 * needs), and the writer restarts the log at the start of its next
 * transaction once everything in it has been copied, as SQLite does.
 *
 * Durability is unchanged: a commit is durable when its WAL frames are
 * synced, which the writer's COMMIT still does before it returns; a
 * checkpoint syncs the log before it copies it and the database file
 * before the log may be reused (synchronous=FULL on this connection
 * too).
 */

#include "config.h"

#include "relay-storage-sqlite-private.h"

/* The log's growth since the last checkpoint that wakes the thread:
 * SQLite's own default. */
#define CHECKPOINT_FRAMES 1000

/* A log this long is checkpointed by the writer itself, as SQLite
 * would, so that it stays bounded whatever happens to the thread.  A
 * passive checkpoint copies only what was committed when it began, and
 * the log can restart only when nothing was committed while it ran:
 * under a steady stream of commits that moment may never come, and the
 * writer's own checkpoint, between two of its commits, makes it. */
#define INLINE_CHECKPOINT_FRAMES (4 * CHECKPOINT_FRAMES)

struct _RelaySqliteCheckpointer
{
  sqlite3          *writer_db;
  sqlite3          *db;        /* this thread's own connection */
  GThread          *thread;
  GMutex            mutex;
  GCond             cond;
  gboolean          requested; /* under mutex */
  gboolean          closing;   /* under mutex */
  /* Frames of the current log that the last checkpoint copied; written
   * by the thread, read by the writer's commits. */
  gint              backfilled;
  RelayLogThrottle  warnings;  /* this thread's */
};

static gpointer
checkpoint_thread (gpointer data)
{
  RelaySqliteCheckpointer *self = data;

  for (;;)
    {
      int log_frames = 0;
      int backfilled = 0;
      int rc;

      g_mutex_lock (&self->mutex);
      while (!self->requested && !self->closing)
        g_cond_wait (&self->cond, &self->mutex);
      self->requested = FALSE;
      if (self->closing)
        {
          g_mutex_unlock (&self->mutex);
          break;
        }
      g_mutex_unlock (&self->mutex);

      rc = sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &backfilled);
      if (rc == SQLITE_OK)
        g_atomic_int_set (&self->backfilled, backfilled);
      else if (rc != SQLITE_BUSY)
        {
          g_autofree char *line = g_strdup_printf ("SQLite: checkpoint failed: %s", sqlite3_errmsg (self->db));

          relay_log_throttle_message (&self->warnings, G_LOG_LEVEL_WARNING, line);
        }
    }
  return NULL;
}

/* Runs on the writer's thread after each of its commits, with the
 * number of frames the log now holds. */
static int
wal_hook_cb (gpointer    data,
             sqlite3    *db,
             const char *name,
             int         frames)
{
  RelaySqliteCheckpointer *self = data;
  gint backfilled = g_atomic_int_get (&self->backfilled);
  gboolean wake = FALSE;

  /* A log shorter than what was copied from it has restarted. */
  if (frames < backfilled)
    {
      g_atomic_int_set (&self->backfilled, 0);
      backfilled = 0;
    }
  if (frames >= INLINE_CHECKPOINT_FRAMES)
    {
      int copied = 0;

      /* SQLITE_BUSY when the thread checkpoints right now: then the
       * next commit tries again. */
      if (sqlite3_wal_checkpoint_v2 (db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, &copied) == SQLITE_OK)
        g_atomic_int_set (&self->backfilled, copied);
      return SQLITE_OK;
    }
  if (frames - backfilled < CHECKPOINT_FRAMES)
    return SQLITE_OK;
  g_mutex_lock (&self->mutex);
  wake = !self->requested;
  self->requested = TRUE;
  g_mutex_unlock (&self->mutex);
  if (wake)
    g_cond_signal (&self->cond);
  return SQLITE_OK;
}

/* Opens a second connection to `path` and takes over the checkpoints
 * of `writer_db`, the connection that commits to it. */
RelaySqliteCheckpointer *
relay_sqlite_checkpointer_start (sqlite3     *writer_db,
                                 const char  *path,
                                 GError     **error)
{
  RelaySqliteCheckpointer *self = g_new0 (RelaySqliteCheckpointer, 1);
  char *message = NULL;

  if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
      sqlite3_exec (self->db, "PRAGMA synchronous = FULL", NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot open %s for checkpoints: %s", path,
                   message != NULL ? message : self->db != NULL ? sqlite3_errmsg (self->db) : "out of memory");
      sqlite3_free (message);
      sqlite3_close (self->db);
      g_free (self);
      return NULL;
    }
  self->writer_db = writer_db;
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  self->thread = g_thread_new ("relay-checkpoint", checkpoint_thread, self);
  /* The hook replaces SQLite's automatic checkpoint on this connection. */
  sqlite3_wal_hook (writer_db, wal_hook_cb, self);
  return self;
}

/* Call once the writer has stopped committing.  The writer's connection
 * checkpoints what is left when it closes, as the last one. */
void
relay_sqlite_checkpointer_stop (RelaySqliteCheckpointer *self)
{
  if (self == NULL)
    return;
  sqlite3_wal_hook (self->writer_db, NULL, NULL);
  g_mutex_lock (&self->mutex);
  self->closing = TRUE;
  g_mutex_unlock (&self->mutex);
  g_cond_signal (&self->cond);
  g_thread_join (self->thread);
  sqlite3_close (self->db);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);
  relay_log_throttle_clear (&self->warnings);
  g_free (self);
}
