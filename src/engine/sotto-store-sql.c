/* sotto-store-sql.c
 *
 * Copyright 2026 The Sotto authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "sotto-store"

#include "config.h"

#include <glib/gi18n.h>

#include "sotto-store-private.h"

/* The store's use of SQLite: prepared statements kept for reuse, the
 * steps every query takes, and transactions and the batches of
 * savepoints that group several jobs into one commit. */

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

/* Steps @statement to its end and collects what @read_row makes of each
 * row into an array that frees them with @free_row.  @read_row returns
 * %NULL with its error set for a row it cannot read, which fails the
 * whole read; a failure of SQLite is reported as @what. */
GPtrArray *
_sotto_store_read_rows (SottoStore           *self,
                        SottoStoreStatement  *statement,
                        SottoStoreRowReader   read_row,
                        GDestroyNotify        free_row,
                        const char           *what,
                        GError              **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (free_row);
  int rc;

  while ((rc = sqlite3_step (statement)) == SQLITE_ROW)
    {
      gpointer row = read_row (self, statement, error);

      if (row == NULL)
        return NULL;

      g_ptr_array_add (rows, row);
    }

  if (rc != SQLITE_DONE)
    {
      _sotto_store_set_sqlite_error (self, rc, what, error);
      return NULL;
    }

  return g_steal_pointer (&rows);
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

/* Runs @sql, a statement that returns no rows, with @values bound to
 * ?1, ?2 and on. */
static gboolean
exec_int64s (SottoStore    *self,
             const char    *sql,
             const gint64  *values,
             guint          n_values,
             GError       **error)
{
  g_autoptr(SottoStoreStatement) statement = _sotto_store_prepare (self, sql, error);

  if (statement == NULL)
    return FALSE;

  for (guint i = 0; i < n_values; i++)
    sqlite3_bind_int64 (statement, i + 1, values[i]);

  return _sotto_store_step_done (self, statement, error);
}

/* Runs @sql, a statement that returns no rows, with @value bound to ?1. */
gboolean
_sotto_store_exec_int64 (SottoStore  *self,
                         const char  *sql,
                         gint64       value,
                         GError     **error)
{
  return exec_int64s (self, sql, &value, 1, error);
}

/* Runs @sql, a statement that returns no rows, with @first bound to ?1
 * and @second to ?2. */
gboolean
_sotto_store_exec_int64_pair (SottoStore  *self,
                              const char  *sql,
                              gint64       first,
                              gint64       second,
                              GError     **error)
{
  const gint64 values[] = { first, second };

  return exec_int64s (self, sql, values, G_N_ELEMENTS (values), error);
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
    {
      if (!self->in_batch)
        _sotto_store_wipe_journal (self);
      return TRUE;
    }

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
